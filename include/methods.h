/* methods.c: FastMethod, calendar lookups and BarData and DataPortal calls without a
 * Python frame.
 */
#ifndef FASTPORTAL_METHODS_H
#define FASTPORTAL_METHODS_H

#include "fastportal.h"

extern PyTypeObject FastMethod_Type;

int methods_init_strings(void);

#endif
