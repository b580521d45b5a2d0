/* methods.c: FastMethod, calendar lookups and BarData and DataPortal calls without a
 * Python frame.
 */
#ifndef FASTPORTAL_METHODS_H
#define FASTPORTAL_METHODS_H

#include "fastportal.h"

extern PyTypeObject fp_FastMethod_Type;

int fp_methods_init_strings(void);

#endif
