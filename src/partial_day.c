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
 */
#include "fastportal.h"

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
    int64_t minute_offset;    /* minute position of the minute columns' first row */
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

/* The current session's row: 0 and *value, a reason (new reference) when it is not
   served, or NULL with an error set (and *why NULL). */
static int
session_so_far(PartialDayHistoryObject *self, PyObject *asset, PyObject *field, int kind,
               Py_ssize_t end_row, int64_t first_minute, int64_t minute, double *value,
               PyObject **why)
{
    PyObject *daily = history_column(self->daily_columns, asset, field, why);
    if (daily == NULL)
        return -1;
    int alive = column_alive(daily, end_row);
    Py_DECREF(daily);
    if (alive < 0)
        return -1;
    if (!alive) {
        *value = kind == PARTIAL_VOLUME ? 0.0 : NAN;
        return 0;
    }
    PyObject *bars = history_column(self->minute_columns, asset, field, why);
    if (bars == NULL)
        return -1;
    Py_ssize_t first = (Py_ssize_t)(first_minute - self->minute_offset);
    Py_ssize_t last = (Py_ssize_t)(minute - self->minute_offset);
    const double *raw = first < 0 ? NULL : column_raw(bars, first, last);
    Py_DECREF(bars);
    if (raw == NULL) {
        if (first >= 0 && !PyErr_ExceptionMatches(PyExc_IndexError))
            return -1;
        PyErr_Clear();
        *why = str_minute_window; /* outside the minute reader: upstream says what */
        return -1;
    }
    *value = fold_session(kind, raw, last - first + 1);
    return 0;
}

static PyObject *
PartialDayHistory_series(PartialDayHistoryObject *self, PyObject *const *args,
                         Py_ssize_t nargs)
{
    Py_ssize_t count, session;
    int parsed, kind, on_minute;
    int64_t minute, first_minute;
    if (history_check_args(nargs, nargs == 4 ? args[2] : NULL) < 0 ||
        (parsed = history_count(args[3], &count)) < 0)
        return NULL;
    PyObject *asset = args[1], *field = args[2];
    if (!parsed)
        return history_reason(str_window_bounds);
    if ((kind = kind_of(field)) < 0)
        return history_reason(str_column);
    if ((on_minute = trading_minute_position(self->minutes, args[0], &minute)) < 0)
        return NULL;
    if (!on_minute)
        return history_reason(str_minute_window);
    if (session_of_position(self->minutes, minute, &session, &first_minute) < 0)
        return NULL;
    Py_ssize_t start = session - count + 1;
    if (self->offset < 0 || start < self->first_day || start < self->offset ||
        session - self->offset >= self->rows)
        return history_reason(str_window_bounds);
    Py_ssize_t end_row = session - self->offset;

    PyObject *why = NULL, *daily = NULL, *values = NULL, *index = NULL, *series = NULL;
    double today;
    if (session_so_far(self, asset, field, kind, end_row, first_minute, minute, &today,
                       &why) < 0)
        return why ? history_reason(why) : NULL;
    if ((daily = history_column(self->daily_columns, asset, field, &why)) == NULL)
        return why ? history_reason(why) : NULL;
    npy_intp dims[1] = {count};
    if ((values = PyArray_SimpleNew(1, dims, NPY_FLOAT64)) == NULL)
        goto done;
    double *out = (double *)PyArray_DATA((PyArrayObject *)values);
    if (count > 1 && column_fill(daily, end_row - 1, count - 1, 0, out) < 0)
        goto done;
    out[count - 1] = today;
    if (field == str_price || PyUnicode_Compare(field, str_price) == 0) {
        if (column_price_fill(daily, end_row, count, out) < 0)
            goto done;
    }
    if ((index = index_of_sessions(self->calendar, session, count)) != NULL)
        series = build_series(self->calendar->builder, values, index, asset);
done:
    Py_DECREF(daily);
    Py_XDECREF(values);
    Py_XDECREF(index);
    return series;
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
                                     &Calendar_Type, &calendar, &Minutes_Type, &minutes,
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
     "series(dt, asset, field, bar_count) -> the Series data.history(..., '1d') returns "
     "at minute dt of a minute simulation, or the reason (a str) it is left to upstream."},
    {NULL, NULL, 0, NULL},
};

PyTypeObject PartialDayHistory_Type = {
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
