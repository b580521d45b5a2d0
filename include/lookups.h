/* lookups.c: CalendarLookups, exchange_calendars' per-bar lookups answered exactly. */
#ifndef FASTPORTAL_LOOKUPS_H
#define FASTPORTAL_LOOKUPS_H

#include "fastportal.h"

extern PyTypeObject fp_CalendarLookups_Type;

int fp_lookups_init_strings(void);

#endif
