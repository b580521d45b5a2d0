/* history.c: DailyHistory and MinuteHistory, one history call from the simulation's
 * minute to the Series or frame.
 */
#ifndef FASTPORTAL_HISTORY_H
#define FASTPORTAL_HISTORY_H

#include "fastportal.h"

extern PyTypeObject fp_DailyHistory_Type;
extern PyTypeObject fp_MinuteHistory_Type;

#endif
