/* spot_type.c: the Spot type, DataPortal's spot values (data.current, can_trade,
 * is_stale, the order path and the ledger).
 */
#ifndef FASTPORTAL_SPOT_TYPE_H
#define FASTPORTAL_SPOT_TYPE_H

#include "fastportal.h"

extern PyTypeObject fp_Spot_Type;

#endif
