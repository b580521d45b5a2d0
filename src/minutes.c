/* Minutes: the trading minutes of a calendar, by position, without an array of them.
 *
 * exchange_calendars materialises every trading minute of its range (1.7 million for
 * XHKG's default range) to answer minute positions and minute windows by searchsorted.
 * Here session i's minutes are first[i] .. last_am[i] and first_pm[i] .. last[i] (one
 * run when the session has no break), a minute apart, and cum[i] counts the minutes of
 * the sessions before i; a minute's position and the minute at a position are a binary
 * search over sessions plus arithmetic. Whatever the fast path does not answer exactly
 * (inputs that are not Timestamps, out-of-range minutes, errors) is asked of
 * exchange_calendars, so its answers and exceptions are the caller's.
 */
#include "minutes.h"
#include "arguments.h"
#include "arrays.h"
#include "calendar.h"
#include "objects.h"

#define NANOS_PER_MINUTE INT64_C(60000000000)
#define NO_BREAK INT64_MIN /* NaT as int64: a session without a break */

typedef struct {
    PyObject_HEAD
    CalendarObject *calendar;
    PyArrayObject *last_am_minutes;  /* int64 ns, NaT when no break */
    PyArrayObject *first_pm_minutes; /* int64 ns, NaT when no break */
    PyArrayObject *cum_minutes;      /* int64, count + 1 entries: minutes before session i */
    const int64_t *last_am;
    const int64_t *first_pm;
    const int64_t *cum;
    PyObject *dtype;                 /* the minutes' DatetimeTZDtype */
    PyObject *box;                   /* int ns -> Timestamp with the minutes' tz */
} MinutesObject;

static PyObject *str_minutes_window, *str_previous_minute, *str_next_minute;
static PyObject *str_get_minute_idx;

int
fp_minutes_init_strings(void)
{
    if ((str_minutes_window = PyUnicode_InternFromString("minutes_window")) == NULL ||
        (str_previous_minute = PyUnicode_InternFromString("previous_minute")) == NULL ||
        (str_next_minute = PyUnicode_InternFromString("next_minute")) == NULL ||
        (str_get_minute_idx = PyUnicode_InternFromString("_get_minute_idx")) == NULL)
        return -1;
    return 0;
}

static int64_t
ceil_minutes(int64_t nanos)
{
    return nanos / NANOS_PER_MINUTE + (nanos % NANOS_PER_MINUTE > 0);
}

static int
has_break(MinutesObject *self, Py_ssize_t i)
{
    return self->last_am[i] != NO_BREAK;
}

/* Minutes of session i before its break (all of them when it has none). */
static int64_t
morning_minutes(MinutesObject *self, Py_ssize_t i)
{
    const int64_t *first = self->calendar->first, *last = self->calendar->last;
    int64_t end = has_break(self, i) ? self->last_am[i] : last[i];
    return (end - first[i]) / NANOS_PER_MINUTE + 1;
}

/* Position of the first trading minute at or after `nanos`: searchsorted(minutes,
   nanos, "left") over all trading minutes. Total minutes when there is none. */
static int64_t
minute_position(MinutesObject *self, int64_t nanos)
{
    CalendarObject *cal = self->calendar;
    Py_ssize_t i = fp_sorted_position(cal->last, cal->count, nanos);
    if (i == cal->count)
        return self->cum[cal->count];
    if (nanos <= cal->first[i])
        return self->cum[i];
    if (has_break(self, i) && nanos > self->last_am[i]) {
        int64_t morning = morning_minutes(self, i);
        if (nanos <= self->first_pm[i])
            return self->cum[i] + morning;
        return self->cum[i] + morning + ceil_minutes(nanos - self->first_pm[i]);
    }
    return self->cum[i] + ceil_minutes(nanos - cal->first[i]);
}

/* The trading minute at position pos, 0 <= pos < total. */
static int64_t
minute_at(MinutesObject *self, int64_t pos)
{
    CalendarObject *cal = self->calendar;
    /* the last session i with cum[i] <= pos */
    Py_ssize_t lo = 0, hi = cal->count;
    while (hi - lo > 1) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (self->cum[mid] <= pos)
            lo = mid;
        else
            hi = mid;
    }
    int64_t offset = pos - self->cum[lo];
    int64_t morning = morning_minutes(self, lo);
    if (offset >= morning)
        return self->first_pm[lo] + (offset - morning) * NANOS_PER_MINUTE;
    return cal->first[lo] + offset * NANOS_PER_MINUTE;
}

static int64_t
total_minutes(MinutesObject *self)
{
    return self->cum[self->calendar->count];
}

/* 1 and *nanos for a Timestamp on a whole minute inside the calendar's first and last
   minutes, 0 for anything else (exchange_calendars answers it: it floors sub-minute
   times, raises out of bounds, parses other types), -1 on error. */
static int
whole_minute(MinutesObject *self, PyObject *minute, int64_t *nanos)
{
    int fast = fp_timestamp_nanos(self->calendar, minute, nanos);
    if (fast <= 0)
        return fast;
    return *nanos % NANOS_PER_MINUTE == 0 && *nanos >= self->calendar->first[0] &&
           *nanos <= self->calendar->last[self->calendar->count - 1];
}

/* For history.c and partial_day.c: 1 and *pos when `minute` is a Timestamp exactly on
   a trading minute of `minutes` (a Minutes object), 0 when it is anything else, -1 on
   error. */
int
fp_trading_minute_position(PyObject *minutes, PyObject *minute, int64_t *pos)
{
    if (!PyObject_TypeCheck(minutes, &fp_Minutes_Type)) {
        PyErr_SetString(PyExc_TypeError, "expected a Minutes object");
        return -1;
    }
    MinutesObject *self = (MinutesObject *)minutes;
    int64_t nanos;
    int fast = whole_minute(self, minute, &nanos);
    if (fast <= 0)
        return fast;
    *pos = minute_position(self, nanos);
    return *pos < total_minutes(self) && minute_at(self, *pos) == nanos;
}

/* For lookups.c and spot.c: where a minute lies. 1 with *spot filled for a Timestamp on
   a whole minute inside the calendar's first and last minutes; 0 for anything else (which
   exchange_calendars answers); -1 on error. */
int
fp_minutes_locate(PyObject *minutes, PyObject *minute, MinuteSpot *spot)
{
    if (!PyObject_TypeCheck(minutes, &fp_Minutes_Type)) {
        PyErr_SetString(PyExc_TypeError, "expected a Minutes object");
        return -1;
    }
    MinutesObject *self = (MinutesObject *)minutes;
    CalendarObject *cal = self->calendar;
    int fast = whole_minute(self, minute, &spot->nanos);
    if (fast <= 0)
        return fast;
    spot->session = fp_sorted_position(cal->last, cal->count, spot->nanos);
    spot->in_session = spot->nanos >= cal->first[spot->session];
    spot->position = minute_position(self, spot->nanos);
    spot->trading = spot->position < total_minutes(self) &&
                    minute_at(self, spot->position) == spot->nanos;
    return 1;
}

/* For lookups.c: nanos as a Timestamp in the minutes' zone (UTC). */
PyObject *
fp_minutes_box(PyObject *minutes, int64_t nanos)
{
    PyObject *value = PyLong_FromLongLong(nanos);
    if (value == NULL)
        return NULL;
    PyObject *boxed = PyObject_CallOneArg(((MinutesObject *)minutes)->box, value);
    Py_DECREF(value);
    return boxed;
}

/* For lookups.c: the trading minute at position pos as a Timestamp, or None when pos is
   outside the minutes. */
PyObject *
fp_minutes_boxed_at(PyObject *minutes, int64_t pos)
{
    MinutesObject *self = (MinutesObject *)minutes;
    if (pos < 0 || pos >= total_minutes(self))
        Py_RETURN_NONE;
    return fp_minutes_box(minutes, minute_at(self, pos));
}

CalendarObject *
fp_minutes_calendar(PyObject *minutes)
{
    return ((MinutesObject *)minutes)->calendar;
}

/* For partial_day.c: 1 and *pos, the position of the first minute of the session after
   `minute`, when minute is a whole minute between two sessions (where
   minute_to_session(minute, "next") is that session); 0 for anything else (a trading
   minute, a break, a minute after the last session, not a Timestamp); -1 on error. */
int
fp_next_session_start(PyObject *minutes, PyObject *minute, int64_t *pos)
{
    if (!PyObject_TypeCheck(minutes, &fp_Minutes_Type)) {
        PyErr_SetString(PyExc_TypeError, "expected a Minutes object");
        return -1;
    }
    MinutesObject *self = (MinutesObject *)minutes;
    CalendarObject *cal = self->calendar;
    int64_t nanos;
    int fast = whole_minute(self, minute, &nanos);
    if (fast <= 0)
        return fast;
    Py_ssize_t i = fp_sorted_position(cal->last, cal->count, nanos);
    if (i == cal->count || nanos >= cal->first[i])
        return 0;
    *pos = self->cum[i];
    return 1;
}

/* For partial_day.c: the session of the trading minute at position pos and the
   position of that session's first minute. 0 on success, -1 with an error set. */
int
fp_session_of_position(PyObject *minutes, int64_t pos, Py_ssize_t *session, int64_t *first)
{
    if (!PyObject_TypeCheck(minutes, &fp_Minutes_Type)) {
        PyErr_SetString(PyExc_TypeError, "expected a Minutes object");
        return -1;
    }
    MinutesObject *self = (MinutesObject *)minutes;
    if (pos < 0 || pos >= total_minutes(self)) {
        PyErr_Format(PyExc_IndexError, "minute position %lld is outside the calendar",
                     (long long)pos);
        return -1;
    }
    *session = fp_sorted_position(self->calendar->last, self->calendar->count,
                                  minute_at(self, pos));
    *first = self->cum[*session];
    return 0;
}

/* A fresh, frozen int64 array of the count minutes from position start. */
static PyObject *
minute_values(MinutesObject *self, int64_t start, Py_ssize_t count)
{
    npy_intp dims[1] = {count};
    PyObject *out = (PyObject *)fp_frozen_array(1, dims, NPY_INT64);
    if (out == NULL)
        return NULL;
    int64_t *values = (int64_t *)PyArray_DATA((PyArrayObject *)out);
    if (count == 0)
        return out;
    /* one search, then walk: consecutive positions are consecutive minutes of a session */
    CalendarObject *cal = self->calendar;
    int64_t pos = start;
    while (pos < start + count) {
        values[pos - start] = minute_at(self, pos);
        Py_ssize_t i = fp_sorted_position(cal->last, cal->count, values[pos - start]);
        int64_t session_end = self->cum[i + 1];
        int64_t morning_end = self->cum[i] + morning_minutes(self, i);
        for (pos++; pos < start + count && pos < session_end; pos++) {
            int64_t previous = values[pos - start - 1];
            values[pos - start] = pos == morning_end ? self->first_pm[i]
                                                     : previous + NANOS_PER_MINUTE;
        }
    }
    return out;
}

/* ---- methods ------------------------------------------------------------------------- */

static PyObject *
Minutes_positions(MinutesObject *self, PyObject *arg)
{
    PyArrayObject *in = (PyArrayObject *)PyArray_FROMANY(arg, NPY_INT64, 1, 1,
                                                         NPY_ARRAY_CARRAY_RO);
    if (in == NULL)
        return NULL;
    npy_intp n = PyArray_DIM(in, 0);
    PyObject *out = PyArray_SimpleNew(1, &n, NPY_INT64);
    if (out != NULL) {
        const int64_t *nanos = (const int64_t *)PyArray_DATA(in);
        int64_t *pos = (int64_t *)PyArray_DATA((PyArrayObject *)out);
        for (npy_intp k = 0; k < n; k++)
            pos[k] = minute_position(self, nanos[k]);
    }
    Py_DECREF(in);
    return out;
}

static PyObject *
Minutes_values(MinutesObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Py_ssize_t start, count;
    if (fp_parse_end_and_count(args, nargs, "values", &start, &count) < 0)
        return NULL;
    if (start < 0 || count < 0 || start > total_minutes(self) ||
        count > total_minutes(self) - start) {
        PyErr_Format(PyExc_IndexError, "%zd minutes from %zd are outside 0..%lld", count,
                     start, (long long)total_minutes(self) - 1);
        return NULL;
    }
    return minute_values(self, start, count);
}

static PyObject *
Minutes_index_of(MinutesObject *self, PyObject *minute)
{
    int64_t nanos;
    int fast = whole_minute(self, minute, &nanos);
    if (fast < 0)
        return NULL;
    if (!fast)
        return PyObject_CallMethodOneArg(self->calendar->upstream, str_get_minute_idx,
                                         minute);
    return PyLong_FromLongLong(minute_position(self, nanos));
}

static PyObject *
datetime_index_of_minutes(MinutesObject *self, int64_t first, Py_ssize_t size)
{
    PyObject *values = minute_values(self, first, size);
    if (values == NULL)
        return NULL;
    /* datetime64[ns] (the sessions' descriptor) under the minutes' tz-aware dtype */
    Py_INCREF(self->calendar->dtype);
    PyObject *labels = PyArray_View((PyArrayObject *)values,
                                    (PyArray_Descr *)self->calendar->dtype, NULL);
    Py_DECREF(values);
    if (labels == NULL)
        return NULL;
    PyObject *index = fp_build_datetime_index(self->calendar->builder, labels, Py_None,
                                              self->dtype);
    Py_DECREF(labels);
    return index;
}

/* minutes_window(minute, count) as exchange_calendars answers it: the |count| trading
   minutes from `minute` (count > 0) or ending at it (count < 0). */
static PyObject *
Minutes_window(MinutesObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "window() takes minute and count (%zd given)", nargs);
        return NULL;
    }
    int64_t nanos, pos = 0;
    int fast = whole_minute(self, args[0], &nanos);
    if (fast < 0)
        return NULL;
    Py_ssize_t count = 0;
    if (fast && PyLong_CheckExact(args[1])) {
        count = PyLong_AsSsize_t(args[1]);
        if (count == -1 && PyErr_Occurred()) {
            PyErr_Clear(); /* beyond any calendar: upstream says how */
            count = 0;
        }
    }
    if (count != 0 && count != PY_SSIZE_T_MIN) {
        pos = minute_position(self, nanos);
        int64_t size = count > 0 ? count : -(int64_t)count;
        int64_t first = count > 0 ? pos : pos - size + 1;
        if (minute_at(self, pos) == nanos && first >= 0 && size <= total_minutes(self) &&
            first <= total_minutes(self) - size)
            return datetime_index_of_minutes(self, first, (Py_ssize_t)size);
    }
    PyObject *call[3] = {self->calendar->upstream, args[0], args[1]};
    return PyObject_VectorcallMethod(str_minutes_window, call,
                                     3 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
}

static PyObject *
step_minute(MinutesObject *self, PyObject *minute, int backwards)
{
    int64_t nanos;
    int fast = whole_minute(self, minute, &nanos);
    if (fast < 0)
        return NULL;
    if (fast) {
        int64_t pos = minute_position(self, nanos);
        if (backwards)
            pos--;
        else if (pos < total_minutes(self) && minute_at(self, pos) == nanos)
            pos++;
        if (pos >= 0 && pos < total_minutes(self)) {
            PyObject *value = PyLong_FromLongLong(minute_at(self, pos));
            if (value == NULL)
                return NULL;
            PyObject *boxed = PyObject_CallOneArg(self->box, value);
            Py_DECREF(value);
            return boxed;
        }
    }
    return PyObject_CallMethodOneArg(self->calendar->upstream,
                                     backwards ? str_previous_minute : str_next_minute,
                                     minute);
}

static PyObject *
Minutes_previous_minute(MinutesObject *self, PyObject *minute)
{
    return step_minute(self, minute, 1);
}

static PyObject *
Minutes_next_minute(MinutesObject *self, PyObject *minute)
{
    return step_minute(self, minute, 0);
}

static PyObject *
Minutes_get_total(MinutesObject *self, void *closure)
{
    (void)closure;
    return PyLong_FromLongLong(total_minutes(self));
}

/* ---- construction -------------------------------------------------------------------- */

static PyObject *
Minutes_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"calendar", "last_am_minutes", "first_pm_minutes", "dtype",
                             "box", NULL};
    PyObject *calendar, *last_am_obj, *first_pm_obj, *dtype, *box;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!OOOO:Minutes", kwlist, &fp_Calendar_Type,
                                     &calendar, &last_am_obj, &first_pm_obj, &dtype, &box))
        return NULL;
    if (!PyCallable_Check(box)) {
        PyErr_SetString(PyExc_TypeError, "box must be callable");
        return NULL;
    }
    MinutesObject *self = (MinutesObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    Py_INCREF(calendar);
    self->calendar = (CalendarObject *)calendar;
    CalendarObject *cal = self->calendar;
    /* one at a time: a conversion must not run with the last one's error pending */
    if ((self->last_am_minutes = fp_int64_vector(last_am_obj, "last_am_minutes")) == NULL ||
        (self->first_pm_minutes = fp_int64_vector(first_pm_obj, "first_pm_minutes")) == NULL)
        goto fail;
    if (PyArray_DIM(self->last_am_minutes, 0) != cal->count ||
        PyArray_DIM(self->first_pm_minutes, 0) != cal->count) {
        PyErr_SetString(PyExc_ValueError,
                        "last_am_minutes and first_pm_minutes need one entry per session");
        goto fail;
    }
    self->last_am = (const int64_t *)PyArray_DATA(self->last_am_minutes);
    self->first_pm = (const int64_t *)PyArray_DATA(self->first_pm_minutes);
    npy_intp dims[1] = {cal->count + 1};
    self->cum_minutes = fp_frozen_array(1, dims, NPY_INT64);
    if (self->cum_minutes == NULL)
        goto fail;
    int64_t *cum = (int64_t *)PyArray_DATA(self->cum_minutes);
    cum[0] = 0;
    for (Py_ssize_t i = 0; i < cal->count; i++) {
        int64_t first = cal->first[i], last = cal->last[i];
        int64_t am = self->last_am[i], pm = self->first_pm[i];
        if ((first - cal->first[0]) % NANOS_PER_MINUTE != 0 ||
            (last - first) % NANOS_PER_MINUTE != 0 || (am == NO_BREAK) != (pm == NO_BREAK) ||
            (am != NO_BREAK && !(first <= am && am < pm && pm <= last &&
                                 (am - first) % NANOS_PER_MINUTE == 0 &&
                                 (last - pm) % NANOS_PER_MINUTE == 0))) {
            PyErr_Format(PyExc_ValueError, "session %zd's minutes are not whole minutes "
                         "from open to close around its break", i);
            goto fail;
        }
        self->cum = cum;
        int64_t n = morning_minutes(self, i);
        if (am != NO_BREAK)
            n += (last - pm) / NANOS_PER_MINUTE + 1;
        cum[i + 1] = cum[i] + n;
    }
    self->cum = cum;
    Py_INCREF(dtype);
    self->dtype = dtype;
    Py_INCREF(box);
    self->box = box;
    return (PyObject *)self;
fail:
    Py_DECREF(self);
    return NULL;
}

static int
Minutes_traverse(MinutesObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->calendar);
    Py_VISIT(self->dtype);
    Py_VISIT(self->box);
    return 0;
}

static int
Minutes_clear(MinutesObject *self)
{
    Py_CLEAR(self->calendar);
    Py_CLEAR(self->last_am_minutes);
    Py_CLEAR(self->first_pm_minutes);
    Py_CLEAR(self->cum_minutes);
    Py_CLEAR(self->dtype);
    Py_CLEAR(self->box);
    return 0;
}

static void
Minutes_dealloc(MinutesObject *self)
{
    PyObject_GC_UnTrack(self);
    Minutes_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef Minutes_methods[] = {
    {"positions", (PyCFunction)Minutes_positions, METH_O,
     "positions(int64 nanos array) -> searchsorted(minutes, nanos, 'left'), elementwise."},
    {"values", (PyCFunction)(void (*)(void))Minutes_values, METH_FASTCALL,
     "values(start, count) -> int64 ns of the count trading minutes from position start."},
    {"index_of", (PyCFunction)Minutes_index_of, METH_O,
     "index_of(minute) -> position of the minute, or of the next trading minute."},
    {"window", (PyCFunction)(void (*)(void))Minutes_window, METH_FASTCALL,
     "window(minute, count) -> DatetimeIndex as calendar.minutes_window(minute, count)."},
    {"previous_minute", (PyCFunction)Minutes_previous_minute, METH_O,
     "previous_minute(minute) -> Timestamp, as calendar.previous_minute."},
    {"next_minute", (PyCFunction)Minutes_next_minute, METH_O,
     "next_minute(minute) -> Timestamp, as calendar.next_minute."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef Minutes_getset[] = {
    {"total", (getter)Minutes_get_total, NULL, "number of trading minutes", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject fp_Minutes_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "fastportal._core.Minutes",
    .tp_basicsize = sizeof(MinutesObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Minutes(calendar, last_am_minutes, first_pm_minutes, dtype, box): trading "
              "minutes of a Calendar by position.",
    .tp_new = Minutes_new,
    .tp_traverse = (traverseproc)Minutes_traverse,
    .tp_clear = (inquiry)Minutes_clear,
    .tp_dealloc = (destructor)Minutes_dealloc,
    .tp_methods = Minutes_methods,
    .tp_getset = Minutes_getset,
};
