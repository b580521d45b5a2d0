/* partial_day.c: PartialDayHistory, "1d" windows in a minute simulation. */
#ifndef FASTPORTAL_PARTIAL_DAY_H
#define FASTPORTAL_PARTIAL_DAY_H

#include "fastportal.h"

extern PyTypeObject fp_PartialDayHistory_Type;

#endif
