/* Calendar: exchange_calendars' session lookups over int64 nanosecond arrays.
 *
 * Built once per ExchangeCalendar. minute_to_session is a binary search over the last
 * minute of every session, as exchange_calendars does it; whatever the fast path does not
 * answer exactly (sub-minute timestamps, minutes out of bounds, inputs that are not
 * Timestamps, errors) is passed to the upstream calendar, so its answers and its
 * exceptions are the ones the caller sees.
 */
#include "calendar.h"
#include "arguments.h"
#include "arrays.h"
#include "objects.h"
#include "ranges.h"

#define NANOS_PER_MINUTE INT64_C(60000000000)

static PyObject *str_value;     /* "value" */
static PyObject *str_next;
static PyObject *str_previous;
static PyObject *str_none;
static PyObject *str_minute_to_session;

/* Index of the first element >= value in an ascending array (count if none). */
Py_ssize_t
fp_sorted_position(const int64_t *values, Py_ssize_t count, int64_t value)
{
    Py_ssize_t lo = 0, hi = count;
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (values[mid] < value)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* -1 for a direction the fast path does not know: upstream raises for it. */
static int
direction_of(PyObject *direction)
{
    if (direction == NULL || direction == str_next)
        return DIRECTION_NEXT;
    if (!PyUnicode_Check(direction))
        return -1;
    if (PyUnicode_Compare(direction, str_next) == 0)
        return DIRECTION_NEXT;
    if (PyUnicode_Compare(direction, str_previous) == 0)
        return DIRECTION_PREVIOUS;
    if (PyUnicode_Compare(direction, str_none) == 0)
        return DIRECTION_NONE;
    return -1;
}

/* 1 and *out set for a pandas Timestamp (exactly: a subclass could answer .value its own
   way), 0 for anything else, -1 on error. */
int
fp_timestamp_nanos(CalendarObject *cal, PyObject *obj, int64_t *out)
{
    if (Py_TYPE(obj) != (PyTypeObject *)cal->timestamp_type)
        return 0;
    PyObject *value = PyObject_GetAttr(obj, str_value);
    if (value == NULL) {
        /* a Timestamp of another unit outside the nanosecond range: exchange_calendars
           rounds it to a minute first and answers (or raises) for that minute itself */
        if (!PyErr_ExceptionMatches(PyExc_OverflowError))
            return -1;
        PyErr_Clear();
        return 0;
    }
    long long nanos = PyLong_AsLongLong(value);
    Py_DECREF(value);
    if (nanos == -1 && PyErr_Occurred())
        return -1;
    *out = (int64_t)nanos;
    return 1;
}

/* Position of a session label, or -1 (no error set) when it is not one. */
Py_ssize_t
fp_calendar_label_position(CalendarObject *cal, int64_t nanos)
{
    Py_ssize_t i = fp_sorted_position(cal->sess, cal->count, nanos);
    return (i < cal->count && cal->sess[i] == nanos) ? i : -1;
}

static Py_ssize_t
upstream_session_index(CalendarObject *cal, PyObject *minute, PyObject *direction)
{
    PyObject *session;
    if (direction == NULL)
        session = PyObject_CallMethodOneArg(cal->upstream, str_minute_to_session, minute);
    else
        session = PyObject_CallMethodObjArgs(cal->upstream, str_minute_to_session, minute,
                                             direction, NULL);
    if (session == NULL)
        return -1;
    int64_t nanos = 0;
    int found = fp_timestamp_nanos(cal, session, &nanos);
    Py_DECREF(session);
    if (found < 0)
        return -1;
    Py_ssize_t i = found ? fp_calendar_label_position(cal, nanos) : -1;
    if (i < 0)
        PyErr_SetString(PyExc_RuntimeError,
                        "the calendar answered a session that is not among its sessions");
    return i;
}

/* The session of a whole-minute `nanos` in direction `dir`, or -1 (no error set) where
   only upstream answers exactly: out of bounds, sub-minute, "none" on a closed minute. */
static Py_ssize_t
fast_session_index(CalendarObject *cal, int64_t nanos, int dir)
{
    if (nanos % NANOS_PER_MINUTE != 0 || nanos < cal->first[0] ||
        nanos > cal->last[cal->count - 1])
        return -1;
    Py_ssize_t i = fp_sorted_position(cal->last, cal->count, nanos);
    /* With breaks ignored a session is open on every minute from its first to its last;
       i is the first session whose last minute is not before `nanos`. */
    if (dir == DIRECTION_NEXT || nanos >= cal->first[i])
        return i;
    if (dir == DIRECTION_PREVIOUS)
        return i - 1;
    return -1;
}

static Py_ssize_t
session_index_of(CalendarObject *cal, PyObject *minute, PyObject *direction)
{
    int dir = direction_of(direction);
    int64_t nanos = 0;
    int fast = dir < 0 ? 0 : fp_timestamp_nanos(cal, minute, &nanos);
    if (fast < 0)
        return -1;
    Py_ssize_t i = fast ? fast_session_index(cal, nanos, dir) : -1;
    return i >= 0 ? i : upstream_session_index(cal, minute, direction);
}

/* minute_to_session(sessions[i]): the portal's second lookup of a daily window's end. */
static Py_ssize_t
label_session_index(CalendarObject *cal, Py_ssize_t i)
{
    Py_ssize_t j = fast_session_index(cal, cal->sess[i], DIRECTION_NEXT);
    if (j >= 0)
        return j;
    PyObject *label = PySequence_GetItem(cal->sessions_index, i);
    if (label == NULL)
        return -1;
    j = upstream_session_index(cal, label, NULL);
    Py_DECREF(label);
    return j;
}

/* ---- construction ---------------------------------------------------------------- */

static int
strictly_increasing(const int64_t *v, Py_ssize_t n)
{
    for (Py_ssize_t i = 1; i < n; i++)
        if (v[i] <= v[i - 1])
            return 0;
    return 1;
}

static PyObject *
Calendar_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"upstream", "first_minutes", "last_minutes", "builder",
                             "timestamp_type", NULL};
    PyObject *upstream, *first_obj, *last_obj, *builder, *timestamp_type;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOO!O:Calendar", kwlist, &upstream,
                                     &first_obj, &last_obj, &fp_PandasBuilder_Type, &builder,
                                     &timestamp_type))
        return NULL;
    if (!PyType_Check(timestamp_type)) {
        PyErr_SetString(PyExc_TypeError, "timestamp_type must be a type");
        return NULL;
    }

    CalendarObject *self = (CalendarObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    PyObject *asi8 = NULL;
    self->sessions_index = PyObject_GetAttrString(upstream, "sessions");
    if (self->sessions_index == NULL)
        goto fail;
    asi8 = PyObject_GetAttrString(self->sessions_index, "asi8");
    if (asi8 == NULL)
        goto fail;
    /* one at a time: a conversion must not run with the last one's error pending */
    if ((self->sessions = fp_int64_vector(asi8, "sessions")) == NULL ||
        (self->first_minutes = fp_int64_vector(first_obj, "first_minutes")) == NULL ||
        (self->last_minutes = fp_int64_vector(last_obj, "last_minutes")) == NULL)
        goto fail;
    self->count = PyArray_DIM(self->sessions, 0);
    if (self->count == 0 || PyArray_DIM(self->first_minutes, 0) != self->count ||
        PyArray_DIM(self->last_minutes, 0) != self->count) {
        PyErr_SetString(PyExc_ValueError,
                        "sessions, first_minutes and last_minutes must have one entry per "
                        "session, and there must be at least one session");
        goto fail;
    }
    self->sess = (const int64_t *)PyArray_DATA(self->sessions);
    self->first = (const int64_t *)PyArray_DATA(self->first_minutes);
    self->last = (const int64_t *)PyArray_DATA(self->last_minutes);
    if (!strictly_increasing(self->sess, self->count) ||
        !strictly_increasing(self->last, self->count)) {
        PyErr_SetString(PyExc_ValueError, "sessions and last minutes must be strictly increasing");
        goto fail;
    }
    for (Py_ssize_t i = 0; i < self->count; i++) {
        if (self->first[i] > self->last[i]) {
            PyErr_Format(PyExc_ValueError, "session %zd opens after it closes", i);
            goto fail;
        }
    }
    self->freq = PyObject_GetAttrString(self->sessions_index, "freq");
    self->dtype = PyObject_GetAttrString(self->sessions_index, "dtype");
    if (self->freq == NULL || self->dtype == NULL)
        goto fail;
    if (!PyArray_DescrCheck(self->dtype) ||
        ((PyArray_Descr *)self->dtype)->type_num != NPY_DATETIME ||
        PyDataType_ELSIZE((PyArray_Descr *)self->dtype) != 8) {
        PyErr_SetString(PyExc_TypeError, "the calendar's sessions must be tz-naive datetime64");
        goto fail;
    }
    Py_INCREF(upstream);
    self->upstream = upstream;
    Py_INCREF(builder);
    self->builder = (PandasBuilderObject *)builder;
    Py_INCREF(timestamp_type);
    self->timestamp_type = timestamp_type;
    Py_DECREF(asi8);
    return (PyObject *)self;
fail:
    Py_XDECREF(asi8);
    Py_DECREF(self);
    return NULL;
}

static int
Calendar_traverse(CalendarObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->upstream);
    Py_VISIT(self->sessions_index);
    Py_VISIT(self->builder);
    Py_VISIT(self->freq);
    Py_VISIT(self->dtype);
    Py_VISIT(self->timestamp_type);
    return 0;
}

static int
Calendar_clear(CalendarObject *self)
{
    Py_CLEAR(self->upstream);
    Py_CLEAR(self->sessions_index);
    Py_CLEAR(self->sessions);
    Py_CLEAR(self->first_minutes);
    Py_CLEAR(self->last_minutes);
    Py_CLEAR(self->builder);
    Py_CLEAR(self->freq);
    Py_CLEAR(self->dtype);
    Py_CLEAR(self->timestamp_type);
    return 0;
}

static void
Calendar_dealloc(CalendarObject *self)
{
    PyObject_GC_UnTrack(self);
    Calendar_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* ---- methods --------------------------------------------------------------------- */

static PyObject *
Calendar_session_index(CalendarObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 1 || nargs > 2) {
        PyErr_Format(PyExc_TypeError,
                     "session_index() takes a minute and an optional direction (%zd given)",
                     nargs);
        return NULL;
    }
    Py_ssize_t i = session_index_of(self, args[0], nargs == 2 ? args[1] : NULL);
    return i < 0 ? NULL : PyLong_FromSsize_t(i);
}

/* Session position of a daily window ending at `minute`: the portal's minute_to_session
   of the label BarData's minute_to_session gave. -1 with an error set on failure. */
Py_ssize_t
fp_daily_window_end(CalendarObject *cal, PyObject *minute)
{
    Py_ssize_t i = session_index_of(cal, minute, NULL);
    return i < 0 ? -1 : label_session_index(cal, i);
}

static PyObject *
Calendar_daily_window_end(CalendarObject *self, PyObject *minute)
{
    Py_ssize_t j = fp_daily_window_end(self, minute);
    return j < 0 ? NULL : PyLong_FromSsize_t(j);
}

static PyObject *
Calendar_minute_to_session(CalendarObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *index = Calendar_session_index(self, args, nargs);
    if (index == NULL)
        return NULL;
    PyObject *label = PyObject_GetItem(self->sessions_index, index);
    Py_DECREF(index);
    return label;
}

static PyObject *
Calendar_session_position(CalendarObject *self, PyObject *label)
{
    int64_t nanos = 0;
    int fast = fp_timestamp_nanos(self, label, &nanos);
    if (fast < 0)
        return NULL;
    if (fast) {
        /* A tz-aware label is not a session label: upstream's get_loc raises for it. */
        PyObject *tz = PyObject_GetAttrString(label, "tzinfo");
        if (tz == NULL)
            return NULL;
        int naive = tz == Py_None;
        Py_DECREF(tz);
        Py_ssize_t i = naive ? fp_calendar_label_position(self, nanos) : -1;
        if (i >= 0)
            return PyLong_FromSsize_t(i);
    }
    return PyObject_CallMethod(self->sessions_index, "get_loc", "O", label);
}

static PyObject *
Calendar_sessions_window(CalendarObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Py_ssize_t end, count;
    if (fp_parse_end_and_count(args, nargs, "sessions_window", &end, &count) < 0)
        return NULL;
    return fp_window_of_sessions(self, end, count);
}

static PyObject *
Calendar_sessions_index(CalendarObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Py_ssize_t end, count;
    if (fp_parse_end_and_count(args, nargs, "sessions_index", &end, &count) < 0)
        return NULL;
    return fp_index_of_sessions(self, end, count);
}

static PyMethodDef Calendar_methods[] = {
    {"session_index", (PyCFunction)(void (*)(void))Calendar_session_index, METH_FASTCALL,
     "session_index(minute, direction='next') -> position of minute_to_session(minute, "
     "direction) among the sessions."},
    {"daily_window_end", (PyCFunction)Calendar_daily_window_end, METH_O,
     "daily_window_end(minute) -> position of minute_to_session(minute_to_session(minute)): "
     "the end of a daily history window as BarData and the portal compute it."},
    {"minute_to_session", (PyCFunction)(void (*)(void))Calendar_minute_to_session,
     METH_FASTCALL,
     "minute_to_session(minute, direction='next') -> session label, as exchange_calendars."},
    {"session_position", (PyCFunction)Calendar_session_position, METH_O,
     "session_position(label) -> position of a session label (KeyError as "
     "sessions.get_loc)."},
    {"sessions_window", (PyCFunction)(void (*)(void))Calendar_sessions_window, METH_FASTCALL,
     "sessions_window(end, count) -> read-only int64 view of the count sessions ending at "
     "position end."},
    {"sessions_index", (PyCFunction)(void (*)(void))Calendar_sessions_index, METH_FASTCALL,
     "sessions_index(end, count) -> DatetimeIndex of the count sessions ending at position "
     "end, with the calendar's freq."},
    {NULL, NULL, 0, NULL},
};

static PyObject *
Calendar_get_sessions(CalendarObject *self, void *closure)
{
    (void)closure;
    return fp_readonly_view(self->sessions, 0, self->count);  /* never the core's own array */
}

static PyObject *
Calendar_get_upstream(CalendarObject *self, void *closure)
{
    (void)closure;
    Py_INCREF(self->upstream);
    return self->upstream;
}

static PyGetSetDef Calendar_getset[] = {
    {"sessions", (getter)Calendar_get_sessions, NULL, "int64 ns session labels (read-only)",
     NULL},
    {"upstream", (getter)Calendar_get_upstream, NULL, "the exchange_calendars calendar", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static Py_ssize_t
Calendar_length(CalendarObject *self)
{
    return self->count;
}

static PySequenceMethods Calendar_as_sequence = {.sq_length = (lenfunc)Calendar_length};

PyTypeObject fp_Calendar_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "fastportal._core.Calendar",
    .tp_basicsize = sizeof(CalendarObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Calendar(upstream, first_minutes, last_minutes, builder, timestamp_type): session lookups of an exchange_calendars calendar.",
    .tp_new = Calendar_new,
    .tp_dealloc = (destructor)Calendar_dealloc,
    .tp_traverse = (traverseproc)Calendar_traverse,
    .tp_clear = (inquiry)Calendar_clear,
    .tp_methods = Calendar_methods,
    .tp_getset = Calendar_getset,
    .tp_as_sequence = &Calendar_as_sequence,
};

int
fp_calendar_init_strings(void)
{
    str_value = PyUnicode_InternFromString("value");
    str_next = PyUnicode_InternFromString("next");
    str_previous = PyUnicode_InternFromString("previous");
    str_none = PyUnicode_InternFromString("none");
    str_minute_to_session = PyUnicode_InternFromString("minute_to_session");
    return (str_value && str_next && str_previous && str_none && str_minute_to_session) ? 0
                                                                                         : -1;
}
