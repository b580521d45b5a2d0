/* PartialDayHistory: data.history(asset, field, n, "1d") in a minute simulation.
 *
 * Upstream answers it with n - 1 daily rows ending the session before, adjusted as seen
 * from the current session (the loader's perspective 1), and one last row for the
 * current session so far, which its DailyHistoryAggregator folds from the minute bars
 * between the session's first minute and now: the first open, the highest high, the
 * lowest low, the last close that traded, the summed volume; NaN (0 for volume) when the
 * asset is not alive that session. The aggregator caches its running values, but with
 * the simulation's clock moving forward they equal the fold over the minutes, which is
 * what is computed here from the raw minute rows the minute column keeps.
 *
 * "price" is then forward filled as upstream fills it, seeded from the last trade before
 * the session preceding the window (the shim's seed of the perspective-1 column).
 *
 * A continuous future's current session is the aggregation of whichever contracts its
 * roll finder names minute by minute, and the aggregator's cache is what decides it: for
 * those the shim passes the value upstream's own aggregator (or, for "sid", its current
 * contract) gives, in `today`, a dict (asset, field) -> float. With such values a window
 * may also end at a minute between two sessions, which upstream reads as the next
 * session.
 */
#include "partial_day.h"
#include "calendar.h"
#include "fields.h"
#include "history_common.h"
#include "minutes.h"
#include "objects.h"
#include "ranges.h"
#include "reasons.h"
#include "windows.h"

#include <math.h>

enum partial_kind { PARTIAL_OPEN, PARTIAL_HIGH, PARTIAL_LOW, PARTIAL_CLOSE, PARTIAL_VOLUME };

typedef struct {
    PyObject_HEAD
    CalendarObject *calendar;
    PyObject *minutes;        /* Minutes */
    PyObject *daily_columns;  /* dict (asset, field) -> perspective-1 daily AdjustedColumn */
    PyObject *minute_columns; /* dict (asset, field) -> minute AdjustedColumn */
    Py_ssize_t offset;        /* calendar position of the daily reader's first session */
    Py_ssize_t first_day;     /* calendar position of the first trading day */
    Py_ssize_t rows;          /* sessions in the daily reader */
    int64_t minute_offset;    /* minute position of the minute reader's first row */
} PartialDayHistoryObject;

/* The aggregation of a field, -1 for a field it has none for. */
static int
kind_of(PyObject *field)
{
    static const char *names[] = {"open", "high", "low", "close", "volume", "price"};
    static const int kinds[] = {PARTIAL_OPEN,  PARTIAL_HIGH,   PARTIAL_LOW,
                                PARTIAL_CLOSE, PARTIAL_VOLUME, PARTIAL_CLOSE};
    for (int k = 0; k < 6; k++)
        if (PyUnicode_CompareWithASCIIString(field, names[k]) == 0)
            return kinds[k];
    return -1;
}

/* The session so far from its minutes' raw bars, count >= 1. */
static double
fold_session(int kind, const double *bars, Py_ssize_t count)
{
    double value = kind == PARTIAL_VOLUME ? 0.0 : NAN;
    for (Py_ssize_t i = 0; i < count; i++) {
        double bar = bars[i];
        if (bar != bar)
            continue;
        switch (kind) {
        case PARTIAL_OPEN:
            return bar;
        case PARTIAL_HIGH:
            if (value != value || bar > value)
                value = bar;
            break;
        case PARTIAL_LOW:
            if (value != value || bar < value)
                value = bar;
            break;
        case PARTIAL_CLOSE:
            value = bar;
            break;
        default:
            value += bar;
        }
    }
    return value;
}

/* Where a call's window is: its session, the reader row of that session, the minute
   positions of the session's first minute and of now (the first minute, when now lies
   between sessions); the values the shim gives for the session so far (a dict or NULL,
   borrowed). */
typedef struct {
    Py_ssize_t count, session, end_row;
    int64_t first_minute, minute;
    int between_sessions;
    PyObject *today;
    Py_ssize_t wanted_first, wanted_last; /* minute reader rows of the session so far */
} PartialWindow;

/* The shim's value of (asset, field) for the current session: 1 and *value, 0 when it
   gives none, -1 with an error set. */
static int
value_given(const PartialWindow *w, PyObject *asset, PyObject *field, double *value)
{
    if (w->today == NULL || PyDict_GET_SIZE(w->today) == 0)
        return 0;
    PyObject *key = PyTuple_Pack(2, asset, field);
    if (key == NULL)
        return -1;
    PyObject *given = PyDict_GetItemWithError(w->today, key);  /* borrowed */
    Py_DECREF(key);
    if (given == NULL)
        return PyErr_Occurred() ? -1 : 0;
    if (!PyFloat_CheckExact(given)) {
        PyErr_SetString(PyExc_TypeError, "today's values must be floats");
        return -1;
    }
    *value = PyFloat_AS_DOUBLE(given);
    return 1;
}

/* The current session's row of (asset, field): 0 and *value; -1 with *why set when it is
   not served, or -1 with an error set (and *why NULL). */
static int
session_so_far(PartialDayHistoryObject *self, PyObject *asset, PyObject *field, int kind,
               PyObject *daily, const PartialWindow *w, double *value, PyObject **why)
{
    int given = value_given(w, asset, field, value);
    if (given != 0)
        return given < 0 ? -1 : 0;
    if (w->between_sessions || kind < 0) {
        /* no minute of the session yet to fold, or a field with no fold (upstream
           answers or raises) */
        *why = w->between_sessions ? FP_WHY(MINUTE_WINDOW) : FP_WHY(COLUMN);
        return -1;
    }
    Py_ssize_t end_row = w->end_row;
    int alive = fp_column_alive(daily, end_row);
    if (alive < 0)
        return -1;
    if (!alive) {
        *value = kind == PARTIAL_VOLUME ? 0.0 : NAN;
        return 0;
    }
    Py_ssize_t first = (Py_ssize_t)(w->first_minute - self->minute_offset);
    Py_ssize_t last = (Py_ssize_t)(w->minute - self->minute_offset);
    if (first < 0) {
        *why = FP_WHY(MINUTE_WINDOW); /* before the minute reader: upstream says what */
        return -1;
    }
    PyObject *bars = fp_history_column(self->minute_columns, asset, field, why);
    if (bars == NULL)
        return -1;
    int covers = fp_column_covers(bars, first, last);
    const double *raw = covers > 0 ? fp_column_raw(bars, first, last) : NULL;
    Py_DECREF(bars);
    if (raw == NULL) {
        /* the shim builds the rows, or says upstream answers */
        if (covers == 0)
            *why = FP_WHY(COLUMN_RANGE);
        return -1;
    }
    *value = fold_session(kind, raw, last - first + 1);
    return 0;
}

/* 1 with *w filled (but for w->today); 0 with *why when upstream answers; -1 with an
   error set. */
static int
find_window(PartialDayHistoryObject *self, PyObject *const *args, PartialWindow *w,
            PyObject **why)
{
    int parsed = fp_history_count(args[3], &w->count);
    if (parsed <= 0) {
        *why = FP_WHY(WINDOW_BOUNDS);
        return parsed;
    }
    int on_minute = fp_trading_minute_position(self->minutes, args[0], &w->minute);
    w->between_sessions = 0;
    if (on_minute == 0)
        on_minute = w->between_sessions =
            fp_next_session_start(self->minutes, args[0], &w->minute);
    if (on_minute <= 0) {
        *why = FP_WHY(MINUTE_WINDOW);
        return on_minute;
    }
    if (fp_session_of_position(self->minutes, w->minute, &w->session, &w->first_minute) < 0)
        return -1;
    w->wanted_first = (Py_ssize_t)(w->first_minute - self->minute_offset);
    w->wanted_last = (Py_ssize_t)(w->minute - self->minute_offset);
    Py_ssize_t start = w->session - w->count + 1;
    if (self->offset < 0 || start < self->first_day || start < self->offset ||
        w->session - self->offset >= self->rows) {
        /* before the first trading day upstream refuses the window; elsewhere it answers */
        *why = start < self->first_day ? FP_WHY(BEFORE_DATA) : FP_WHY(WINDOW_BOUNDS);
        return 0;
    }
    w->end_row = w->session - self->offset;
    return 1;
}

/* The window of one asset into out (count values): 0, or -1 with *why or an error. */
static int
fill_asset(PartialDayHistoryObject *self, PyObject *asset, PyObject *field, int price,
           const PartialWindow *w, double *out, PyObject **why)
{
    double today;
    if (w->between_sessions) {
        /* only given values are served there: no column is asked for without one */
        int given = value_given(w, asset, field, &today);
        if (given <= 0) {
            if (given == 0)
                *why = FP_WHY(MINUTE_WINDOW);
            return -1;
        }
    }
    PyObject *daily = fp_history_column(self->daily_columns, asset, field, why);
    if (daily == NULL)
        return -1;
    int failed =
        session_so_far(self, asset, field, kind_of(field), daily, w, &today, why) < 0 ||
        (w->count > 1 && fp_column_fill(daily, w->end_row - 1, w->count - 1, 0, out) < 0);
    if (!failed) {
        out[w->count - 1] = today;
        failed = price && fp_column_price_fill(daily, w->end_row, w->count, out) < 0;
    }
    Py_DECREF(daily);
    return failed ? -1 : 0;
}

/* What a partial-day window of several fields reads. */
typedef struct {
    PartialDayHistoryObject *self;
    const PartialWindow *w;
} PartialFill;

static int
fill_partial(void *state, PyObject *asset, PyObject *field, double *out, PyObject **why)
{
    PartialFill *p = (PartialFill *)state;
    return fill_asset(p->self, asset, field, fp_history_is_price(field), p->w, out, why);
}

/* The Series of one asset at the window w. */
static PyObject *
partial_series(PartialDayHistoryObject *self, PyObject *const *args, const PartialWindow *w,
               const double *scale)
{
    PyObject *why = NULL, *index = NULL, *series = NULL;
    npy_intp dims[1] = {w->count};
    PyObject *values = PyArray_SimpleNew(1, dims, NPY_FLOAT64);
    if (values == NULL)
        return NULL;
    double *out = (double *)PyArray_DATA((PyArrayObject *)values);
    if (fill_asset(self, args[1], args[2], fp_history_is_price(args[2]), w, out, &why) == 0) {
        if (scale != NULL)
            fp_history_scale(out, w->count, *scale);
        if ((index = fp_index_of_sessions(self->calendar, w->session, w->count)) != NULL &&
            (series = fp_build_series(self->calendar->builder, values, index,
                                      args[1])) != NULL)
            fp_history_served();
    }
    Py_DECREF(values);
    Py_XDECREF(index);
    return series == NULL && why != NULL ? fp_history_reason(why) : series;
}

/* The optional `today` argument, the last of nargs when there are `at` + 1: a dict,
   borrowed into *today (NULL for None), and nargs without it. 0, or -1 with an error. */
static int
today_argument(PyObject *const *args, Py_ssize_t *nargs, Py_ssize_t at, PyObject **today)
{
    *today = NULL;
    if (*nargs != at + 1)
        return 0;
    *nargs = at;
    if (args[at] == Py_None)
        return 0;
    if (!PyDict_CheckExact(args[at])) {
        PyErr_SetString(PyExc_TypeError, "today must be None or a dict");
        return -1;
    }
    *today = args[at];
    return 0;
}

static PyObject *
PartialDayHistory_series(PartialDayHistoryObject *self, PyObject *const *args,
                         Py_ssize_t nargs)
{
    PartialWindow w;
    PyObject *why = NULL, *today;
    double *scale;
    if (today_argument(args, &nargs, 5, &today) < 0 ||
        fp_history_check_args(nargs, nargs >= 4 ? args[2] : NULL) < 0 ||
        fp_history_scales(args, nargs, 4, 1, &scale) < 0)
        return NULL;
    int found = find_window(self, args, &w, &why);
    w.today = today;
    PyObject *out = found < 0 ? NULL : found == 0 ? fp_history_reason(why)
        : fp_history_reason_with_rows(partial_series(self, args, &w, scale), w.wanted_first,
                                      w.wanted_last);
    PyMem_Free(scale);
    return out;
}

/* The frame of a list of assets at the window w, each column scaled if `scales`. */
static PyObject *
partial_frame(PartialDayHistoryObject *self, PyObject *const *args, const PartialWindow *w,
              PyObject *column_axis, const double *scales)
{
    PyObject *why = NULL, *index = NULL, *frame = NULL;
    PyObject *assets = args[1];
    Py_ssize_t width = PySequence_Fast_GET_SIZE(assets);
    if (width == 0) {  /* upstream's daily window of no assets */
        if ((index = fp_index_of_sessions(self->calendar, w->session, w->count)) == NULL)
            return NULL;
        if ((frame = fp_build_empty_frame(self->calendar->builder, index)) != NULL)
            fp_history_served();
        Py_DECREF(index);
        return frame;
    }
    npy_intp dims[2] = {width, w->count};
    PyObject *block = PyArray_SimpleNew(2, dims, NPY_FLOAT64);
    if (block == NULL)
        return NULL;
    double *rows = (double *)PyArray_DATA((PyArrayObject *)block);
    int price = fp_history_is_price(args[2]);
    for (Py_ssize_t j = 0; j < width; j++) {
        if (fill_asset(self, PySequence_Fast_GET_ITEM(assets, j), args[2], price, w,
                       rows + j * w->count, &why) < 0)
            goto done;
        if (scales != NULL)
            fp_history_scale(rows + j * w->count, w->count, scales[j]);
    }
    if ((index = fp_index_of_sessions(self->calendar, w->session, w->count)) != NULL)
        if ((frame = fp_build_frame(self->calendar->builder, block, index, assets,
                                    column_axis)) != NULL)
            fp_history_served();
done:
    Py_DECREF(block);
    Py_XDECREF(index);
    return frame == NULL && why != NULL ? fp_history_reason(why) : frame;
}

static PyObject *
PartialDayHistory_frame(PartialDayHistoryObject *self, PyObject *const *args,
                        Py_ssize_t nargs)
{
    PartialWindow w;
    PyObject *why = NULL, *call[6], *column_axis, *today;
    double *scales;
    if (today_argument(args, &nargs, 6, &today) < 0 ||
        fp_history_frame_args(self->calendar->builder, nargs, args, call, &column_axis,
                              &scales) < 0)
        return NULL;
    int found = find_window(self, call, &w, &why);
    w.today = today;
    PyObject *out = found < 0 ? NULL : found == 0 ? fp_history_reason(why)
        : fp_history_reason_with_rows(partial_frame(self, call, &w, column_axis, scales),
                                      w.wanted_first, w.wanted_last);
    fp_history_frame_args_release(call, scales);
    return out;
}

static PyObject *
PartialDayHistory_fields(PartialDayHistoryObject *self, PyObject *const *args,
                         Py_ssize_t nargs)
{
    PartialWindow w;
    PyObject *why = NULL, *today;
    double *scales;
    if (today_argument(args, &nargs, 5, &today) < 0 ||
        fp_history_check_fields_args(nargs, args) < 0 ||
        fp_history_scales(args, nargs, 4, PyTuple_GET_SIZE(args[2]), &scales) < 0)
        return NULL;
    int found = find_window(self, args, &w, &why);
    w.today = today;
    PartialFill fill = {self, &w};
    PyObject *out = found < 0 ? NULL : found == 0 ? fp_history_reason(why)
        : fp_history_reason_with_rows(
              fp_history_fields(self->calendar->builder, fill_partial, &fill, args[1],
                                args[2], w.count,
                                fp_index_of_sessions(self->calendar, w.session, w.count),
                                fp_str_date, scales, 0),
              w.wanted_first, w.wanted_last);
    PyMem_Free(scales);
    return out;
}

static PyObject *
PartialDayHistory_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"calendar",  "minutes", "daily_columns", "minute_columns",
                             "offset",    "first_day", "rows",        "minute_offset",
                             NULL};
    PyObject *calendar, *minutes, *daily_columns, *minute_columns;
    Py_ssize_t offset, first_day, rows;
    long long minute_offset;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!O!O!O!nnnL:PartialDayHistory", kwlist,
                                     &fp_Calendar_Type, &calendar, &fp_Minutes_Type, &minutes,
                                     &PyDict_Type, &daily_columns, &PyDict_Type,
                                     &minute_columns, &offset, &first_day, &rows,
                                     &minute_offset))
        return NULL;
    if (offset < -1 || rows < 0 || minute_offset < 0 ||
        (offset >= 0 && rows > ((CalendarObject *)calendar)->count - offset)) {
        PyErr_Format(PyExc_ValueError,
                     "offset %zd, rows %zd and minute_offset %lld do not fit the calendar "
                     "(offset -1 for a reader outside it)", offset, rows, minute_offset);
        return NULL;
    }
    PartialDayHistoryObject *self = (PartialDayHistoryObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    Py_INCREF(calendar);
    self->calendar = (CalendarObject *)calendar;
    Py_INCREF(minutes);
    self->minutes = minutes;
    Py_INCREF(daily_columns);
    self->daily_columns = daily_columns;
    Py_INCREF(minute_columns);
    self->minute_columns = minute_columns;
    self->offset = offset;
    self->first_day = first_day;
    self->rows = rows;
    self->minute_offset = minute_offset;
    return (PyObject *)self;
}

static int
PartialDayHistory_traverse(PartialDayHistoryObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->calendar);
    Py_VISIT(self->minutes);
    Py_VISIT(self->daily_columns);
    Py_VISIT(self->minute_columns);
    return 0;
}

static int
PartialDayHistory_clear(PartialDayHistoryObject *self)
{
    Py_CLEAR(self->calendar);
    Py_CLEAR(self->minutes);
    Py_CLEAR(self->daily_columns);
    Py_CLEAR(self->minute_columns);
    return 0;
}

static void
PartialDayHistory_dealloc(PartialDayHistoryObject *self)
{
    PyObject_GC_UnTrack(self);
    PartialDayHistory_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}


static PyMethodDef PartialDayHistory_methods[] = {
    {"series", (PyCFunction)(void (*)(void))PartialDayHistory_series, METH_FASTCALL,
     "series(dt, asset, field, bar_count, scales=None, today=None) -> the Series "
     "data.history(..., '1d') returns at minute dt of a minute simulation, or why it is "
     "left to upstream (a str, or (why, first, last) when a column is to be built). "
     "today: {(asset, field): float}, the session so far as upstream's aggregator gives "
     "it, for assets whose bars the core does not fold."},
    {"frame", (PyCFunction)(void (*)(void))PartialDayHistory_frame, METH_FASTCALL,
     "frame(dt, assets, field, bar_count, columns=None, scales=None, today=None) -> the "
     "frame get_history_window(..., '1d', ..., 'minute') returns for a list of assets "
     "(columns: the Index it was given as, if any), or why it is left to upstream (a str, "
     "or (why, first, last) when a column is to be built)."},
    {"fields", (PyCFunction)(void (*)(void))PartialDayHistory_fields, METH_FASTCALL,
     "fields(dt, assets, fields, bar_count, scales=None, today=None) -> the frame "
     "data.history(..., '1d') returns for several fields at minute dt of a minute "
     "simulation (assets a sorted tuple of unique assets, fields a tuple of unique "
     "fields), or why it is left to upstream (a str, or (why, first, last) when a column "
     "is to be built)."},
    {NULL, NULL, 0, NULL},
};

PyTypeObject fp_PartialDayHistory_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "fastportal._core.PartialDayHistory",
    .tp_basicsize = sizeof(PartialDayHistoryObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "PartialDayHistory(calendar, minutes, daily_columns, minute_columns, offset, "
              "first_day, rows, minute_offset): '1d' windows of a minute simulation.",
    .tp_new = PartialDayHistory_new,
    .tp_traverse = (traverseproc)PartialDayHistory_traverse,
    .tp_clear = (inquiry)PartialDayHistory_clear,
    .tp_dealloc = (destructor)PartialDayHistory_dealloc,
    .tp_methods = PartialDayHistory_methods,
};
