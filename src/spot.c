/* Spot: DataPortal's spot values, the values data.current, can_trade, is_stale and the
 * order path and ledger read (get_spot_value, get_scalar_asset_spot_value,
 * get_adjusted_value), for equities and futures contracts in bcolz readers.
 *
 * Upstream takes the minute's session from the calendar, calls an asset dead before its
 * start date or after its end date (volume 0, prices NaN), and reads the reader's bar:
 * a price is the raw uint32 times the reader's factor, NaN for 0; a volume is the raw
 * int; "price" is the last close at or before the bar (a daily reader steps back session
 * by session, a minute reader finds the last minute that traded), multiplied by the
 * adjustments between that bar and now when it lies on another day; "last_traded" is
 * that bar's time. The same steps run here on the tapes (tapes.c), with the same
 * Python types out: float, int, Timestamp or NaT.
 *
 * Spot.value() and Spot.adjusted() answer where this is exactly upstream's answer; for
 * anything else (another asset type or reader, a field or time zone not covered, a
 * minute exchange_calendars answers itself) they return a reason (a str): the caller
 * asks upstream, or, for "new tape" / "tape range", builds the asset's tape and asks
 * again.
 */
#include "spot.h"
#include "calendar.h"
#include "minutes.h"
#include "ratios.h"
#include "reasons.h"
#include "rolls.h"
#include "tapes.h"

#include <math.h>

#define NANOS_PER_MINUTE INT64_C(60000000000)
#define NANOS_PER_DAY (INT64_C(1440) * NANOS_PER_MINUTE)

static const char *field_names[FIELDS] = {"open", "high", "low", "close", "volume", "price",
                                          "last_traded", "contract"};
static PyObject *spot_field_strs[FIELDS];

static PyObject *str_daily, *str_minute, *str_start_date, *str_end_date, *str_tzinfo;
static PyObject *str_auto_close_date, *str_is_exchange_open, *str_next_open;

Py_ssize_t fp_spot_served;

static int
spot_field_of(PyObject *field)
{
    for (int f = 0; f < FIELDS; f++)
        if (field == spot_field_strs[f])
            return f;
    if (!PyUnicode_CheckExact(field))
        return -1;
    for (int f = 0; f < FIELDS; f++)
        if (PyUnicode_Compare(field, spot_field_strs[f]) == 0)
            return f;
    return -1;
}

static int
frequency_of(PyObject *frequency)
{
    if (frequency == str_daily || frequency == str_minute)
        return frequency == str_minute;
    if (!PyUnicode_CheckExact(frequency))
        return -1;
    if (PyUnicode_Compare(frequency, str_daily) == 0)
        return 0;
    return PyUnicode_Compare(frequency, str_minute) == 0 ? 1 : -1;
}

/* 1 when obj's tzinfo is None (*aware 0) or a UTC zone (*aware 1), 0 for another zone,
   -1 on error. */
static int
utc_or_naive(SpotObject *self, PyObject *obj, int *aware)
{
    PyObject *tz = PyObject_GetAttr(obj, str_tzinfo);
    if (tz == NULL)
        return -1;
    int found = tz == Py_None;
    *aware = !found;
    for (Py_ssize_t i = 0; !found && i < PyTuple_GET_SIZE(self->utc_zones); i++)
        found = tz == PyTuple_GET_ITEM(self->utc_zones, i);
    Py_DECREF(tz);
    return found;
}

/* 1 and *nanos for an attribute of the asset that is a tz-naive Timestamp, 0 for
   anything else (NaT, None, a tz-aware one), -1 on error. */
static int
naive_date(SpotObject *self, PyObject *asset, PyObject *name, int64_t *nanos)
{
    PyObject *date = PyObject_GetAttr(asset, name);
    if (date == NULL)
        return -1;
    int aware = 0;
    int fast = fp_timestamp_nanos(fp_minutes_calendar(self->minutes), date, nanos);
    if (fast > 0)
        fast = utc_or_naive(self, date, &aware);
    Py_DECREF(date);
    return fast < 0 ? -1 : fast && !aware;
}

/* ---- reading a tape ------------------------------------------------------------- */

static void
read_float(SpotRead *out, double value)
{
    out->kind = V_FLOAT;
    out->real = value;
}

static void
read_price(SpotTapeObject *tape, int bar, Py_ssize_t row, SpotRead *out)
{
    uint32_t raw = fp_tape_bars(tape, bar)[row];
    read_float(out, raw == 0 ? Py_NAN : (double)raw * tape->scale);
}

/* A price found in a session before the call's (at found), times the adjustments in
   (found, now] as upstream's get_adjusted_value takes them: 1; 0 with *why where
   upstream's get_adjustments raises instead; -1 on error. mixed_zones: found and now
   differ in having a zone, as upstream holds them. */
static int
adjust_price(SpotTapeObject *tape, int64_t found, int64_t now, int mixed_zones, SpotRead *out,
             PyObject **why)
{
    double ratio;
    int refused = fp_adjustment_refused(tape->timeline, 0, mixed_zones);
    if (refused == 0)
        refused = fp_adjustment_ratio(tape->timeline, 0, found, now, &ratio);
    if (refused < 0)
        return -1;
    if (refused) {
        *why = refused == 2 ? FP_WHY(TIME_ZONE) : FP_WHY(MERGERS_COMPARED_NAIVE);
        return 0;
    }
    out->real *= ratio;
    return 1;
}

/* The tape of a contract a continuous future's table names (borrowed), of the call's
   reader and of its geometry: 1, 0 with *why, -1 on error. The tapes dict is searched
   only for a contract of the type of the call's own (its hash and equality are the
   asset type's). */
static int
contract_tape(SpotCall *call, PyObject *contract, SpotTapeObject **out, PyObject **why)
{
    if (contract == Py_None || contract == Py_False) {
        *why = FP_WHY(NO_CONTRACT);
        return 0;
    }
    if (Py_TYPE(contract) != Py_TYPE(call->contract)) {
        *why = FP_WHY(PRICE_ACROSS_ROLL);
        return 0;
    }
    PyObject *found = PyDict_GetItemWithError(call->tapes, contract);
    if (found == NULL && PyErr_Occurred())
        return -1;
    SpotTapeObject *tape = (SpotTapeObject *)found, *now = call->tape;
    if (found == NULL || !PyObject_TypeCheck(found, &fp_SpotTape_Type) ||
        tape->asset_type != (PyObject *)Py_TYPE(contract)) {
        *why = FP_WHY(CONTRACT_TAPE);
        return 0;
    }
    int same_geometry = call->minute_data
        ? tape->opens != NULL && tape->per_day == now->per_day &&
          PyArray_DIM(tape->opens, 0) == PyArray_DIM(now->opens, 0)
        : tape->sessions != NULL &&
          PyArray_DIM(tape->sessions, 0) == PyArray_DIM(now->sessions, 0);
    if (!same_geometry) {
        *why = FP_WHY(PRICE_ACROSS_ROLL);
        return 0;
    }
    *out = tape;
    return 1;
}

/* A continuous future's price from a daily reader: upstream's walk back session by
   session from the reader's session loc, asking the roll finder at each step (the
   contract may change on the way), until a close or a session without the contract's
   bar (NoDataOnDate). 1, 0 with *why, -1 on error. */
static int
daily_continuous_price(SpotCall *call, Py_ssize_t loc, SpotRead *out, PyObject **why)
{
    const int64_t *sessions = PyArray_DATA(call->tape->sessions);
    for (Py_ssize_t at = loc;; at--) {
        if (at < 0) {
            /* a session before the reader's: not in the table */
            *why = FP_WHY(PRICE_ACROSS_ROLL);
            return 0;
        }
        PyObject *contract = fp_roll_contract(call->roll, sessions[at], NULL);
        SpotTapeObject *tape = call->tape;
        if (contract == NULL) {
            *why = FP_WHY(ROLL_RANGE);
            return 0;
        }
        int fast = contract == call->contract ? 1 : contract_tape(call, contract, &tape, why);
        if (fast <= 0)
            return fast;
        Py_ssize_t row = at - tape->first;
        if (row < 0 || row >= tape->rows) {
            read_float(out, Py_NAN);
            return 1;
        }
        if (fp_tape_bars(tape, BAR_CLOSE)[row] != 0) {
            read_price(tape, BAR_CLOSE, row, out);
            return 1;
        }
    }
}

/* The daily reader's answer: sid_day_index, get_value, the price's walk back and
   get_last_traded_dt, on the tape's rows: 1, 0 with *why, -1 on error. */
static int
daily_read(SpotCall *call, SpotRead *out, PyObject **why)
{
    SpotTapeObject *tape = call->tape;
    const int64_t *sessions = PyArray_DATA(tape->sessions);
    Py_ssize_t count = PyArray_DIM(tape->sessions, 0);
    Py_ssize_t loc = fp_sorted_position(sessions, count, call->session);
    int on_date = loc < count && sessions[loc] == call->session;
    Py_ssize_t row = loc - tape->first;  /* < 0: before the asset's rows; >= rows: after */
    if (call->field == F_LAST_TRADED) {
        /* after the asset's rows, upstream steps back to its last one */
        Py_ssize_t last = row < tape->rows ? row : tape->rows - 1;
        Py_ssize_t traded = on_date && row >= 0 ? tape->traded[last] : -1;
        if (traded < 0)
            out->kind = V_NAT;
        else {
            out->kind = V_SESSION;
            out->time = sessions[traded + tape->first];
        }
        return 1;
    }
    if (!on_date || row < 0 || row >= tape->rows) {
        read_float(out, Py_NAN);  /* NoDataOnDate, a volume too */
        return 1;
    }
    if (call->field == F_VOLUME) {
        out->kind = V_INT;
        out->count = fp_tape_bars(tape, BAR_VOLUME)[row];
        return 1;
    }
    if (call->field != F_PRICE) {
        read_price(tape, call->field, row, out);
        return 1;
    }
    if (call->roll != NULL)
        return daily_continuous_price(call, loc, out, why);
    const uint32_t *close = fp_tape_bars(tape, BAR_CLOSE);
    Py_ssize_t found = row;
    while (found >= 0 && close[found] == 0)
        found--;
    if (found < 0) {
        read_float(out, Py_NAN);
        return 1;
    }
    read_price(tape, BAR_CLOSE, found, out);
    /* the value is not this session's: adjusted from its session to this one (a
       timeline is an equity's) */
    if (found != row && tape->timeline != Py_None)
        return adjust_price(tape, sessions[found + tape->first], call->session, 0, out, why);
    return 1;
}

/* The reader row of an epoch minute, as find_position_of_minute finds it: >= 0; -1 where
   upstream raises (not between an open and a close, without forward fill); -2 for a
   minute before the reader's first open (upstream's index wraps around there). */
static Py_ssize_t
minute_row(SpotTapeObject *tape, int64_t minute, int forward_fill)
{
    const int64_t *opens = PyArray_DATA(tape->opens), *closes = PyArray_DATA(tape->closes);
    Py_ssize_t loc = fp_sorted_position(opens, PyArray_DIM(tape->opens, 0), minute + 1) - 1;
    if (loc < 0)
        return -2;
    int64_t delta = minute - opens[loc];
    if (!forward_fill && delta >= tape->per_day)
        return -1;
    if (delta > closes[loc] - opens[loc])
        delta = closes[loc] - opens[loc];
    return loc * tape->per_day + (Py_ssize_t)delta;
}

static int64_t
minute_of_row(SpotTapeObject *tape, Py_ssize_t row)
{
    const int64_t *opens = PyArray_DATA(tape->opens);
    return opens[row / tape->per_day] + row % tape->per_day;
}

/* The raw bar at a reader row: 1 and *raw (0 past the asset's rows, as upstream's
   IndexError gives), 0 when the row lies outside the tape's window. */
static int
minute_bar(SpotTapeObject *tape, int bar, Py_ssize_t row, uint32_t *raw)
{
    if (row >= tape->length) {
        *raw = 0;
        return 1;
    }
    if (row < tape->first || row >= tape->first + tape->rows)
        return 0;
    *raw = fp_tape_bars(tape, bar)[row - tape->first];
    return 1;
}

/* The row of the last minute that traded at or before `minute`, not before the minute
   `start` (find_last_traded_position_internal): >= 0, -1 for none, -2 when the tape
   cannot tell (before the reader's first open, or its window not reaching the row). */
static Py_ssize_t
last_traded_row(SpotTapeObject *tape, int64_t minute, int64_t start)
{
    Py_ssize_t row = minute_row(tape, minute, 1);
    if (row == -2)
        return -2;
    if (row > tape->length - 1)
        row = tape->length - 1;
    if (row < 0)
        return -1;
    if (row >= tape->first + tape->rows)
        return -2;
    /* in the window, its last trade; before it, the last trade before the window */
    Py_ssize_t traded = row < tape->first ? -1 : tape->traded[row - tape->first];
    traded = traded < 0 ? tape->prior : traded + tape->first;
    if (row < tape->first && tape->prior >= 0 && tape->prior > row)
        return -2;  /* a row before the window after its prior trade: not kept */
    return traded < 0 || minute_of_row(tape, traded) < start ? -1 : traded;
}

/* The minute reader's search for the last trade (_find_last_traded_position): from the
   asset's start, or from the minute its reader recorded a search for the sid found no
   trade before, as upstream's reader records it (and records it here when this search
   finds none). >= 0, -1 for none, -2 when the tape cannot tell, -3 on error. */
static Py_ssize_t
last_traded_search(SpotTapeObject *tape, int64_t minute, int64_t start_nanos)
{
    double earliest = (double)(start_nanos / NANOS_PER_MINUTE);
    PyObject *known = NULL;
    if (tape->known != Py_None) {
        known = PyDict_GetItemWithError(tape->known, tape->sid);
        if (known == NULL && PyErr_Occurred())
            return -3;
        if (known != NULL) {
            if (!PyFloat_CheckExact(known))
                return -2;  /* recorded otherwise than upstream records it */
            earliest = PyFloat_AS_DOUBLE(known);
        }
    }
    if ((double)minute < earliest)
        return -1;
    if (!(earliest > -9.0e15 && earliest < 9.0e15))
        return -2;
    Py_ssize_t traded = last_traded_row(tape, minute, (int64_t)earliest);
    if (traded == -1 && tape->known != Py_None &&
        (known == NULL || (double)minute >= earliest)) {
        /* max(dt_minute, recorded): the minute, unless the record is later */
        PyObject *value = PyFloat_FromDouble((double)minute);
        if (value == NULL || PyDict_SetItem(tape->known, tape->sid, value) < 0)
            traded = -3;
        Py_XDECREF(value);
    }
    return traded;
}

/* The raw close of a row found by the search (the prior row, before the window). */
static uint32_t
found_close(SpotTapeObject *tape, Py_ssize_t row)
{
    return row < tape->first ? tape->prior_close
                             : fp_tape_bars(tape, BAR_CLOSE)[row - tape->first];
}

/* A continuous future's price when its contract last traded at another minute (reader
   row traded, epoch minute found): upstream reads that minute's close of the contract
   its roll finder names at that minute, unadjusted. 1, 0 with *why, -1 on error. */
static int
minute_continuous_close(SpotCall *call, Py_ssize_t traded, int64_t found, SpotRead *out,
                        PyObject **why)
{
    PyObject *contract = fp_roll_contract(call->roll, found * NANOS_PER_MINUTE, NULL);
    SpotTapeObject *tape = call->tape;
    if (contract == NULL) {
        *why = FP_WHY(ROLL_RANGE);
        return 0;
    }
    uint32_t close;
    if (contract == call->contract)
        close = found_close(tape, traded);
    else {
        int fast = contract_tape(call, contract, &tape, why);
        if (fast <= 0)
            return fast;
        if (!minute_bar(tape, BAR_CLOSE, traded, &close)) {
            *why = FP_WHY(PRICE_ACROSS_ROLL);  /* not in the other contract's window */
            return 0;
        }
    }
    read_float(out, close == 0 ? Py_NAN : (double)close * tape->scale);
    return 1;
}

/* The minute reader's answer (get_value, _get_minute_spot_value, get_last_traded_dt):
   1, 0 with *why when the tape cannot answer, -1 on error. */
static int
minute_read(SpotCall *call, SpotRead *out, PyObject **why)
{
    SpotTapeObject *tape = call->tape;
    int64_t minute = call->dt / NANOS_PER_MINUTE;  /* a whole minute, checked */
    if (call->field == F_LAST_TRADED || call->field == F_PRICE) {
        if (call->field == F_PRICE) {
            Py_ssize_t row = minute_row(tape, minute, 0);
            uint32_t raw = 0;
            if (row == -2 || (row >= 0 && !minute_bar(tape, BAR_CLOSE, row, &raw))) {
                *why = row == -2 ? FP_WHY(READER_RANGE) : FP_WHY(TAPE_RANGE);
                return 0;
            }
            if (raw != 0) {
                read_float(out, (double)raw * tape->scale);
                return 1;
            }
        }
        if (call->search_start % NANOS_PER_MINUTE != 0 || call->search_start < 0) {
            *why = FP_WHY(ASSET_DATES);  /* upstream divides it into minutes as a float */
            return 0;
        }
        Py_ssize_t traded = last_traded_search(tape, minute, call->search_start);
        if (traded == -3)
            return -1;
        if (traded == -2) {
            *why = FP_WHY(TAPE_RANGE);
            return 0;
        }
        if (traded < 0) {
            if (call->field == F_PRICE)
                read_float(out, Py_NAN);
            else
                out->kind = V_NAT;
            return 1;
        }
        int64_t found = minute_of_row(tape, traded);
        if (call->field == F_LAST_TRADED) {
            out->kind = V_MINUTE;
            out->time = found;
            return 1;
        }
        /* get_value at the found minute reads the found row itself: a continuous
           future's, of the contract its roll finder names then */
        if (call->roll != NULL && found != minute)
            return minute_continuous_close(call, traded, found, out, why);
        uint32_t close = found_close(tape, traded);
        read_float(out, close == 0 ? Py_NAN : (double)close * tape->scale);
        int64_t found_nanos = found * NANOS_PER_MINUTE;
        int same_day = found == minute ||
                       (call->dt >= 0 && call->dt / NANOS_PER_DAY == found_nanos / NANOS_PER_DAY);
        if (!same_day && tape->timeline != Py_None)
            /* the reader's last traded minute has a zone */
            return adjust_price(tape, found_nanos, call->dt, !call->aware, out, why);
        return 1;
    }
    Py_ssize_t row = minute_row(tape, minute, 0);
    uint32_t raw = 0;
    if (row == -2) {
        *why = FP_WHY(READER_RANGE);
        return 0;
    }
    if (row >= 0 && !minute_bar(tape, call->field, row, &raw)) {
        *why = FP_WHY(TAPE_RANGE);
        return 0;
    }
    if (call->field == F_VOLUME) {
        out->kind = V_INT;
        out->count = raw;  /* 0 where upstream raised NoDataOnDate too */
    }
    else
        read_float(out, raw == 0 ? Py_NAN : (double)raw * tape->scale);
    return 1;
}

/* ---- one call ------------------------------------------------------------------- */

/* Upstream's _get_single_asset_value: alive from the start date (compared with the
   time) through the end date (compared with the session). */
static int
alive(const SpotCall *call)
{
    return call->dt >= call->start && call->session <= call->end;
}

/* A field where there is no bar: a volume of 0, no last trade, a price of NaN. */
static void
read_no_bar(int field, SpotRead *out)
{
    if (field == F_VOLUME) {
        out->kind = V_INT;
        out->count = 0;
    }
    else if (field == F_LAST_TRADED)
        out->kind = V_NAT;
    else
        read_float(out, Py_NAN);
}

static int
is_served(SpotObject *self, PyObject *kind)
{
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(self->served); i++)
        if (kind == PyTuple_GET_ITEM(self->served, i))
            return 1;
    return 0;
}

/* A bar of no contract in a minute reader: upstream's reader refuses a minute outside
   its market (NoDataOnDate: a volume of 0, prices NaN, no last trade) before it reads
   the sid of None, and fails on one inside. The market is read from any tape of a
   contract of the table (of a served type: the tapes dict is searched only with those).
   1, 0 with *why, -1 on error. */
static int
no_contract_outside_market(SpotObject *self, SpotCall *call, PyObject **why)
{
    PyObject *contracts = call->roll->contracts;
    *why = FP_WHY(NO_CONTRACT);
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(contracts); i++) {
        PyObject *contract = PyTuple_GET_ITEM(contracts, i);
        if (!is_served(self, (PyObject *)Py_TYPE(contract)))
            continue;
        PyObject *tape = PyDict_GetItemWithError(self->minute_tapes, contract);
        if (tape == NULL && PyErr_Occurred())
            return -1;
        if (tape == NULL || !PyObject_TypeCheck(tape, &fp_SpotTape_Type) ||
            ((SpotTapeObject *)tape)->opens == NULL)
            continue;
        return minute_row((SpotTapeObject *)tape, call->dt / NANOS_PER_MINUTE, 0) == -1;
    }
    return 0;
}

/* A continuous future's contract at the call's time, from its roll table: 1 with
   call->roll held and call->contract, 0 with *why, -1 on error. */
static int
continuous_contract(SpotObject *self, PyObject *asset, SpotCall *call, PyObject **why)
{
    PyObject *rolls = call->minute_data ? self->minute_rolls : self->daily_rolls;
    PyObject *table = PyDict_GetItemWithError(rolls, asset);
    if (table == NULL) {
        *why = FP_WHY(NEW_ROLL);
        return PyErr_Occurred() ? -1 : 0;
    }
    if (!PyObject_TypeCheck(table, &fp_RollTable_Type)) {
        *why = FP_WHY(NO_ROLL_TABLE);
        return 0;
    }
    /* a daily reader asks at the session, a minute reader at the minute */
    PyObject *contract = fp_roll_contract((RollTableObject *)table,
                                          call->minute_data ? call->dt : call->session, NULL);
    if (contract == NULL) {
        *why = FP_WHY(ROLL_RANGE);
        return 0;
    }
    if (contract == Py_False || (contract == Py_None && !call->minute_data &&
                                 call->field != F_CONTRACT && call->field != F_LAST_TRADED)) {
        *why = FP_WHY(NO_CONTRACT);  /* upstream raises, or reads a sid of None */
        return 0;
    }
    call->roll = (RollTableObject *)Py_NewRef(table);
    call->contract = contract;
    return 1;
}

/* Checks the arguments and finds the asset's tape: 1 with *call filled (release it with
   fp_spot_call_done()), 0 with *why, -1 on error. */
int
fp_spot_call(SpotObject *self, PyObject *asset, PyObject *field, PyObject *dt,
             PyObject *frequency, SpotCall *call, PyObject **why)
{
    call->tape = NULL;
    call->tapes = NULL;
    call->roll = NULL;
    call->contract = NULL;
    PyObject *kind = (PyObject *)Py_TYPE(asset);
    int continuous = kind == self->continuous;
    if (!continuous && !is_served(self, kind)) {
        *why = FP_WHY(ASSET_TYPE);
        return 0;
    }
    if ((call->field = spot_field_of(field)) < 0) {
        *why = FP_WHY(FIELD);
        return 0;
    }
    if ((call->minute_data = frequency_of(frequency)) < 0) {
        *why = FP_WHY(DATA_FREQUENCY);
        return 0;
    }
    MinuteSpot spot;
    int fast = fp_minutes_locate(self->minutes, dt, &spot);
    if (fast <= 0) {
        *why = FP_WHY(CALENDAR);
        return fast;
    }
    int aware;
    if ((fast = utc_or_naive(self, dt, &aware)) <= 0) {
        *why = FP_WHY(TIME_ZONE);
        return fast;
    }
    call->dt = spot.nanos;
    call->aware = aware;
    call->session = fp_minutes_calendar(self->minutes)->sess[spot.session];
    call->trading = spot.trading;
    int dated = naive_date(self, asset, str_start_date, &call->start);
    if (dated > 0)
        dated = naive_date(self, asset, str_end_date, &call->end);
    if (dated <= 0) {
        *why = FP_WHY(ASSET_DATES);
        return dated;
    }
    call->search_start = call->start;
    if (call->field == F_CONTRACT && !continuous) {
        /* upstream names None for an asset not alive, and fails otherwise */
        if (!alive(call))
            return 1;
        *why = FP_WHY(FIELD);
        return 0;
    }
    if (continuous) {
        if (call->field != F_LAST_TRADED && !alive(call))
            return 1;  /* not alive: fp_spot_read answers without a contract */
        if (call->minute_data && !aware) {
            *why = FP_WHY(TIME_ZONE);  /* the roll table is of UTC minutes */
            return 0;
        }
        int found = continuous_contract(self, asset, call, why);
        if (found > 0 && call->contract != Py_None &&
            !is_served(self, (PyObject *)Py_TYPE(call->contract))) {
            *why = FP_WHY(ASSET_TYPE);  /* a table naming something else than a contract */
            return 0;
        }
        if (found <= 0 || call->field == F_CONTRACT)
            return found;
        if (call->contract == Py_None)  /* fp_spot_read answers without a tape */
            return call->field == F_LAST_TRADED ? 1
                                                : no_contract_outside_market(self, call, why);
        /* the contract's bars, as upstream's reader reads them */
        asset = call->contract;
        kind = (PyObject *)Py_TYPE(asset);
        if ((dated = naive_date(self, asset, str_start_date, &call->search_start)) <= 0) {
            *why = FP_WHY(ASSET_DATES);
            return dated;
        }
    }
    PyObject *tapes = call->minute_data ? self->minute_tapes : self->daily_tapes;
    PyObject *tape = PyDict_GetItemWithError(tapes, asset);
    if (tape == NULL) {
        *why = FP_WHY(NEW_TAPE);
        return PyErr_Occurred() ? -1 : 0;
    }
    if (!PyObject_TypeCheck(tape, &fp_SpotTape_Type) ||
        (call->minute_data ? ((SpotTapeObject *)tape)->opens
                           : ((SpotTapeObject *)tape)->sessions) == NULL) {
        *why = FP_WHY(NO_TAPE);
        return 0;
    }
    if (((SpotTapeObject *)tape)->asset_type != kind) {
        *why = FP_WHY(NEW_TAPE);  /* another type's asset of the same sid */
        return 0;
    }
    /* held: the caller may run Python code (a Timestamp's value, the restrictions) */
    call->tape = (SpotTapeObject *)Py_NewRef(tape);
    call->tapes = tapes;
    return 1;
}

/* _get_single_asset_value on a checked call: 1, 0 with *why, -1 on error. */
int
fp_spot_read(SpotCall *call, SpotRead *out, PyObject **why)
{
    if (call->field == F_CONTRACT) {
        out->kind = V_OBJECT;
        out->object = alive(call) ? call->contract : Py_None;
        return 1;
    }
    /* no contract named (last_traded, or a minute outside the market: see
       no_contract_outside_market), or not alive (upstream answers without its reader,
       except for last_traded) */
    if (call->contract == Py_None || (!alive(call) && call->field != F_LAST_TRADED)) {
        read_no_bar(call->field, out);
        return 1;
    }
    if (!call->minute_data)
        return daily_read(call, out, why);
    return minute_read(call, out, why);
}

static PyObject *
boxed(SpotObject *self, SpotRead *read)
{
    PyObject *box, *arg, *value;
    switch (read->kind) {
    case V_FLOAT:
        return PyFloat_FromDouble(read->real);
    case V_INT:
        return PyLong_FromUnsignedLong(read->count);
    case V_NAT:
        return Py_NewRef(self->nat);
    case V_OBJECT:
        return Py_NewRef(read->object);
    default:
        box = read->kind == V_SESSION ? self->session_box : self->minute_box;
        if ((arg = PyLong_FromLongLong(read->time)) == NULL)
            return NULL;
        value = PyObject_CallOneArg(box, arg);
        Py_DECREF(arg);
        return value;
    }
}

static int
check_nargs(Py_ssize_t nargs, Py_ssize_t wanted, const char *name)
{
    if (nargs == wanted)
        return 0;
    PyErr_Format(PyExc_TypeError, "%s() takes %zd arguments (%zd given)", name, wanted, nargs);
    return -1;
}

PyObject *
fp_spot_value_of(SpotObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (check_nargs(nargs, 4, "value") < 0)
        return NULL;
    SpotCall call;
    SpotRead read;
    PyObject *why = NULL;
    int fast = fp_spot_call(self, args[0], args[1], args[2], args[3], &call, &why);
    if (fast > 0)
        fast = fp_spot_read(&call, &read, &why);
    PyObject *value = fast > 0 ? boxed(self, &read) : NULL;  /* before the call's table goes */
    fp_spot_call_done(&call);
    if (fast <= 0)
        return fast < 0 ? NULL : Py_NewRef(why);
    if (value != NULL)
        fp_spot_served++;
    return value;
}

/* *mixed_zones: whether dt and perspective_dt differ in having a zone, where the tape's
   timeline compares times as given (fp_adjustment_compares_as_given), else 0. 1; 0 for a
   perspective that is not exactly a Timestamp (upstream's own handling); -1 on error. */
static int
zones_mixed(SpotObject *self, SpotCall *call, PyObject *perspective_dt, int *mixed_zones)
{
    *mixed_zones = 0;
    int as_given = fp_adjustment_compares_as_given(call->tape->timeline);
    if (as_given <= 0)
        return as_given < 0 ? -1 : 1;
    if (Py_TYPE(perspective_dt) !=
        (PyTypeObject *)fp_minutes_calendar(self->minutes)->timestamp_type)
        return 0;
    PyObject *tz = PyObject_GetAttr(perspective_dt, str_tzinfo);  /* a Timestamp's own */
    if (tz == NULL)
        return -1;
    *mixed_zones = (tz != Py_None) != call->aware;
    Py_DECREF(tz);
    return 1;
}

/* An equity's read times the adjustments in (dt, perspective]: 1, 0 with *why where
   upstream's product raises or the core cannot take it, -1 on error. */
static int
adjust_read(SpotObject *self, SpotCall *call, PyObject *perspective_dt, SpotRead *read,
            PyObject **why)
{
    if (call->tape != NULL && call->tape->timeline != Py_None) {
        /* before the product: such a framework raises whatever the value is */
        int mixed_zones;
        int timestamp = zones_mixed(self, call, perspective_dt, &mixed_zones);
        if (timestamp <= 0) {
            *why = FP_WHY(ADJUSTED);
            return timestamp;
        }
        int refused = fp_adjustment_refused(call->tape->timeline, call->field == F_VOLUME,
                                            mixed_zones);
        if (refused != 0) {
            *why = refused == 1 ? FP_WHY(MERGERS_COMPARED_NAIVE) : FP_WHY(TIME_ZONE);
            return refused < 0 ? -1 : 0;
        }
    }
    if (read->kind == V_NAT)
        return 1;  /* NaT times a ratio is NaT */
    if (read->kind == V_SESSION || read->kind == V_MINUTE || read->kind == V_OBJECT ||
        call->tape == NULL) {
        *why = FP_WHY(ADJUSTED_TIME);  /* upstream's product raises (a time, None) */
        return 0;
    }
    int64_t perspective;
    int known = fp_timestamp_nanos(fp_minutes_calendar(self->minutes), perspective_dt,
                                   &perspective);
    if (known <= 0 || call->tape->timeline == Py_None) {
        *why = FP_WHY(ADJUSTED);
        return known < 0 ? -1 : 0;
    }
    double ratio;  /* not refused: checked above, for the same field */
    if (fp_adjustment_ratio(call->tape->timeline, call->field == F_VOLUME, call->dt,
                            perspective, &ratio) < 0) {
        if (!PyErr_ExceptionMatches(PyExc_ZeroDivisionError))
            return -1;
        PyErr_Clear();  /* a volume split of 0: upstream raises it */
        *why = FP_WHY(ADJUSTED);
        return 0;
    }
    read_float(read, (read->kind == V_INT ? (double)read->count : read->real) * ratio);
    return 1;
}

/* get_adjusted_value(asset, field, dt, perspective_dt, frequency): the spot value, and
   for an equity times the adjustments in (dt, perspective_dt]. */
PyObject *
fp_spot_adjusted_of(SpotObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (check_nargs(nargs, 5, "adjusted") < 0)
        return NULL;
    SpotCall call;
    SpotRead read;
    PyObject *why = NULL;
    int fast = fp_spot_call(self, args[0], args[1], args[2], args[4], &call, &why);
    if (fast > 0)
        fast = fp_spot_read(&call, &read, &why);
    if (fast > 0 && (PyObject *)Py_TYPE(args[0]) == self->equity)
        fast = adjust_read(self, &call, args[3], &read, &why);
    PyObject *value = fast > 0 ? boxed(self, &read) : NULL;
    fp_spot_call_done(&call);
    if (fast <= 0)
        return fast < 0 ? NULL : Py_NewRef(why);
    if (value != NULL)
        fp_spot_served++;
    return value;
}

/* 1 and *nanos (*none 0) for an auto-close date that is a tz-naive Timestamp, 1 and
   *none for None or NaT (neither closes the asset), 0 for anything else, -1 on error. */
static int
auto_close_of(SpotObject *self, PyObject *asset, int64_t *nanos, int *none)
{
    PyObject *date = PyObject_GetAttr(asset, str_auto_close_date);
    if (date == NULL)
        return -1;
    int fast = 1;
    *none = date == Py_None || date == self->nat;
    if (!*none) {
        int aware = 0;
        fast = fp_timestamp_nanos(fp_minutes_calendar(self->minutes), date, nanos);
        if (fast > 0)
            fast = utc_or_naive(self, date, &aware);
        if (fast > 0 && aware)
            fast = 0;
    }
    Py_DECREF(date);
    return fast;
}

static int
truth_of_call(PyObject *result)
{
    if (result == NULL)
        return -1;
    int truth = PyObject_IsTrue(result);
    Py_DECREF(result);
    return truth;
}

/* can_trade's conditions, in upstream's order, on a checked call. */
static PyObject *
can_trade_checks(SpotObject *Py_UNUSED(self), SpotCall *call, PyObject *asset, PyObject *dt,
                 PyObject *restricted, PyObject *calendar, int daily, int64_t auto_close,
                 int no_auto_close, PyObject *frequency, PyObject *portal)
{
    int restricted_now = truth_of_call(PyObject_CallFunctionObjArgs(restricted, asset, dt,
                                                                    NULL));
    if (restricted_now != 0)
        return restricted_now < 0 ? NULL : Py_NewRef(Py_False);
    if (call->session < call->start || call->session > call->end)
        Py_RETURN_FALSE;  /* not alive for the session */
    if (!no_auto_close && call->session > auto_close)
        Py_RETURN_FALSE;
    if (!daily) {
        PyObject *when = call->trading ? Py_NewRef(dt)
                                       : PyObject_CallMethodOneArg(calendar, str_next_open, dt);
        if (when == NULL)
            return NULL;
        int open = truth_of_call(PyObject_CallMethodOneArg(asset, str_is_exchange_open, when));
        Py_DECREF(when);
        if (open <= 0)
            return open < 0 ? NULL : Py_NewRef(Py_False);
    }
    SpotRead price;
    PyObject *why = NULL;
    int fast = fp_spot_read(call, &price, &why);
    if (fast < 0)
        return NULL;
    if (fast > 0)
        return PyBool_FromLong(!(price.kind == V_FLOAT && isnan(price.real)));
    /* the portal's answer, as upstream asks it */
    PyObject *value = PyObject_CallMethod(portal, "get_spot_value", "OsOO", asset, "price",
                                          dt, frequency);
    if (value == NULL)
        return NULL;
    double real = PyFloat_AsDouble(value);
    Py_DECREF(value);
    if (real == -1.0 && PyErr_Occurred())
        return NULL;
    return PyBool_FromLong(!isnan(real));
}

/* BarData.can_trade(asset) at dt, outside before_trading_start: upstream's conditions in
   its order (the user's restrictions, alive for dt's session, before its auto-close
   date, in a minute simulation the asset's exchange open at dt or the next open, a last
   price). Every check that could leave the call to upstream is made before the
   restrictions are asked, so that they are asked once; the last price, read last as
   upstream reads it, is asked of the portal (args[6]) if the tape cannot tell it. */
PyObject *
fp_spot_can_trade_of(SpotObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (check_nargs(nargs, 7, "can_trade") < 0)
        return NULL;
    PyObject *asset = args[0], *dt = args[1], *restricted = args[2], *calendar = args[3];
    int daily = PyObject_IsTrue(args[4]);
    if (daily < 0)
        return NULL;
    if (calendar != fp_minutes_calendar(self->minutes)->upstream)
        return Py_NewRef(FP_WHY(ANOTHER_CALENDAR));
    if ((PyObject *)Py_TYPE(asset) == self->continuous)
        return Py_NewRef(FP_WHY(ASSET_TYPE));  /* upstream's parameter check refuses it */
    SpotCall call;
    PyObject *why = NULL;
    int64_t auto_close = 0;
    int no_auto_close = 1;
    int fast = fp_spot_call(self, asset, spot_field_strs[F_PRICE], dt, args[5], &call, &why);
    if (fast > 0 && (fast = auto_close_of(self, asset, &auto_close, &no_auto_close)) == 0)
        why = FP_WHY(ASSET_DATES);
    if (fast <= 0) {
        fp_spot_call_done(&call);
        return fast < 0 ? NULL : Py_NewRef(why);
    }
    fp_spot_served++;
    PyObject *answer = can_trade_checks(self, &call, asset, dt, restricted, calendar, daily,
                                        auto_close, no_auto_close, args[5], args[6]);
    fp_spot_call_done(&call);
    return answer;
}

/* BarData.is_stale(asset) at dt, outside before_trading_start: alive on dt's date
   (upstream normalizes dt rather than asking the calendar), no volume now, and a last
   trade before. */
PyObject *
fp_spot_is_stale_of(SpotObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (check_nargs(nargs, 3, "is_stale") < 0)
        return NULL;
    if ((PyObject *)Py_TYPE(args[0]) == self->continuous)
        return Py_NewRef(FP_WHY(ASSET_TYPE));  /* upstream's parameter check refuses it */
    SpotCall call;
    SpotRead volume, last;
    PyObject *why = NULL;
    int fast = fp_spot_call(self, args[0], spot_field_strs[F_VOLUME], args[1], args[2], &call,
                            &why);
    if (fast > 0 && call.dt < 0) {
        fast = 0;
        why = FP_WHY(CALENDAR);
    }
    int64_t day = fast > 0 ? call.dt - call.dt % NANOS_PER_DAY : 0;
    int answer = 0;  /* not stale: not alive on the day, or a volume now */
    if (fast > 0 && day >= call.start && day <= call.end &&
        (fast = fp_spot_read(&call, &volume, &why)) > 0 &&
        !(volume.kind == V_INT ? volume.count > 0 : volume.real > 0)) {
        /* no volume now: stale if it ever traded (a search upstream makes only here) */
        call.field = F_LAST_TRADED;
        if ((fast = fp_spot_read(&call, &last, &why)) > 0)
            answer = last.kind != V_NAT;
    }
    fp_spot_call_done(&call);
    if (fast <= 0)
        return fast < 0 ? NULL : Py_NewRef(why);
    fp_spot_served++;
    return PyBool_FromLong(answer);
}

PyObject *
fp_spot_values_served(PyObject *Py_UNUSED(module), PyObject *reset)
{
    int zero = PyObject_IsTrue(reset);
    if (zero < 0)
        return NULL;
    PyObject *count = PyLong_FromSsize_t(fp_spot_served);
    if (count != NULL && zero)
        fp_spot_served = 0;
    return count;
}

int
fp_spot_init_strings(void)
{
    struct { PyObject **slot; const char *text; } strings[] = {
        {&str_daily, "daily"}, {&str_minute, "minute"}, {&str_start_date, "start_date"},
        {&str_end_date, "end_date"}, {&str_tzinfo, "tzinfo"},
        {&str_auto_close_date, "auto_close_date"}, {&str_is_exchange_open, "is_exchange_open"},
        {&str_next_open, "next_open"},
    };
    for (int f = 0; f < FIELDS; f++)
        if ((spot_field_strs[f] = PyUnicode_InternFromString(field_names[f])) == NULL)
            return -1;
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
        if ((*strings[i].slot = PyUnicode_InternFromString(strings[i].text)) == NULL)
            return -1;
    return 0;
}
