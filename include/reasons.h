/* reasons.c: why a call is left to upstream, every reason written once.
 *
 * A reason is a str the core answers instead of a value, or one the shim counts by:
 * fastportal.stats() keys are made of the texts ("fell through: before data"), so they
 * do not change. The module exports each text as a constant named after it
 * (_core.BEFORE_DATA == "before data") and all of them, in this order, as
 * _core.REASONS; the C files use the interned str, FP_WHY(BEFORE_DATA). The reasons the
 * shim alone gives are listed too, so that the shim writes no text of its own.
 */
#ifndef FASTPORTAL_REASONS_H
#define FASTPORTAL_REASONS_H

#include "fastportal.h"

#define FP_REASON_LIST(FP_REASON) \
    /* the history types (history.c, partial_day.c, history_common.c) */ \
    FP_REASON(WINDOW_BOUNDS, "window bounds") \
    FP_REASON(BEFORE_DATA, "before data") \
    FP_REASON(NEW_COLUMN, "new column") \
    FP_REASON(COLUMN_RANGE, "column range") \
    FP_REASON(COLUMN, "column") \
    FP_REASON(MINUTE_WINDOW, "minute window") \
    FP_REASON(NO_ASSETS, "no assets") \
    /* the spot values (spot.c) */ \
    FP_REASON(ASSET_TYPE, "asset type") \
    FP_REASON(ANOTHER_CALENDAR, "another calendar") \
    FP_REASON(FIELD, "field") \
    FP_REASON(DATA_FREQUENCY, "data frequency") \
    FP_REASON(CALENDAR, "calendar") \
    FP_REASON(TIME_ZONE, "time zone") \
    FP_REASON(ASSET_DATES, "asset dates") \
    FP_REASON(NEW_TAPE, "new tape") \
    FP_REASON(TAPE_RANGE, "tape range") \
    FP_REASON(NO_TAPE, "no tape") \
    FP_REASON(READER_RANGE, "reader range") \
    FP_REASON(ADJUSTED, "adjusted") \
    FP_REASON(ADJUSTED_TIME, "adjusted time") \
    FP_REASON(MERGERS_COMPARED_NAIVE, "mergers compared naive") \
    FP_REASON(NEW_ROLL, "new roll") \
    FP_REASON(ROLL_RANGE, "roll range") \
    FP_REASON(NO_ROLL_TABLE, "no roll table") \
    FP_REASON(NO_CONTRACT, "no contract") \
    FP_REASON(PRICE_ACROSS_ROLL, "price across a roll") \
    FP_REASON(CONTRACT_TAPE, "contract tape") \
    /* current's Series and frames (current.c) */ \
    FP_REASON(TIMES, "times") \
    FP_REASON(REPEATED_ITEMS, "repeated items") \
    FP_REASON(FORM, "form") \
    FP_REASON(PANDAS_INTERNALS, "pandas internals") \
    /* the shim's alone */ \
    FP_REASON(NO_MINUTE_READER, "no minute reader") \
    FP_REASON(ARGUMENTS, "arguments") \
    FP_REASON(BAR_COUNT, "bar count") \
    FP_REASON(NON_MARKET_MINUTES, "non-market minutes") \
    FP_REASON(FIELDS, "fields") \
    FP_REASON(ASSETS, "assets") \
    FP_REASON(DUPLICATE_ASSETS, "duplicate assets") \
    FP_REASON(PORTAL_ARGUMENTS, "portal arguments") \
    FP_REASON(CONTINUOUS_FUTURE, "continuous future") \
    FP_REASON(WINDOW_BEFORE_DATA, "window before data") \
    FP_REASON(LEADING_GAP, "leading gap") \
    FP_REASON(CALL_ORDER_READER, "call-order reader")

#define FP_REASON_ENUM(name, text) FP_REASON_##name,
enum fp_reason { FP_REASON_LIST(FP_REASON_ENUM) FP_REASON_COUNT };
#undef FP_REASON_ENUM

/* The interned texts, by enum fp_reason. */
extern PyObject *fp_reasons[FP_REASON_COUNT];

/* The interned str of a reason: FP_WHY(BEFORE_DATA) is "before data". */
#define FP_WHY(name) (fp_reasons[FP_REASON_##name])

int fp_reasons_init(void);

#endif
