/* CalendarLookups: the lookups a simulation makes of its exchange_calendars calendar on
 * every bar (minute_to_session, is_open_on_minute, is_trading_minute, previous_minute,
 * next_minute), answered from the core's sessions and minutes.
 *
 * Each method answers only where its answer is exchange_calendars' exactly: a pandas
 * Timestamp on a whole minute between the calendar's first and last trading minutes (a
 * tz-naive Timestamp that is a session label, for the session methods), and arguments
 * of the types exchange_calendars documents. For anything else it returns
 * None, and the caller asks exchange_calendars, whose answers and exceptions then stand.
 * Session labels are boxed once per session; each answer is a fresh copy of the one kept
 * (stamps.c), as exchange_calendars hands out a fresh Timestamp each time.
 */
#include "lookups.h"
#include "arrays.h"
#include "calendar.h"
#include "minutes.h"
#include "stamps.h"

typedef struct {
    PyObject_HEAD
    PyObject *minutes;  /* Minutes */
    PyObject *labels;   /* list: session i's label Timestamp once asked for, else None */
    PyArrayObject *opens, *closes;  /* int64 ns, a session each: the schedule's */
} CalendarLookupsObject;

static PyObject *str_next_dir, *str_previous_dir, *str_none_dir, *str_tzinfo;

/* Session i's label, as calendar.sessions[i] gives it: a fresh Timestamp (a new
   reference), copied from the one kept. A Timestamp has a __dict__, so the kept one is
   never handed out. */
static PyObject *
session_label(CalendarLookupsObject *self, Py_ssize_t i)
{
    PyObject *label = PyList_GET_ITEM(self->labels, i);
    if (label == Py_None) {
        label = PySequence_GetItem(fp_minutes_calendar(self->minutes)->sessions_index, i);
        if (label == NULL)
            return NULL;
        PyList_SetItem(self->labels, i, label);  /* steals the new reference */
    }
    Py_INCREF(label);  /* a copy may run pandas' code, which could reach the list */
    PyObject *fresh = fp_timestamp_copy(label);
    Py_DECREF(label);
    return fresh;
}

/* The direction argument: one of enum direction, or -1 for what is not one of the three
   names (exchange_calendars raises its own error for it). */
static int
direction_named(PyObject *direction)
{
    if (direction == str_next_dir)
        return DIRECTION_NEXT;
    if (!PyUnicode_CheckExact(direction))
        return -1;
    if (PyUnicode_Compare(direction, str_next_dir) == 0)
        return DIRECTION_NEXT;
    if (PyUnicode_Compare(direction, str_previous_dir) == 0)
        return DIRECTION_PREVIOUS;
    if (PyUnicode_Compare(direction, str_none_dir) == 0)
        return DIRECTION_NONE;
    return -1;
}

static PyObject *
CalendarLookups_minute_to_session(CalendarLookupsObject *self, PyObject *const *args,
                                  Py_ssize_t nargs)
{
    if (nargs < 1 || nargs > 2) {
        PyErr_Format(PyExc_TypeError,
                     "minute_to_session() takes a minute and a direction (%zd given)", nargs);
        return NULL;
    }
    int direction = nargs == 2 ? direction_named(args[1]) : DIRECTION_NEXT;
    MinuteSpot spot;
    int fast = direction < 0 ? 0 : fp_minutes_locate(self->minutes, args[0], &spot);
    if (fast <= 0)
        return fast < 0 ? NULL : Py_NewRef(Py_None);
    if (direction == DIRECTION_NEXT || spot.in_session)
        return session_label(self, spot.session);
    if (direction == DIRECTION_PREVIOUS)  /* between sessions: the one before (>= 0, as
                                              the minute is after the first's first) */
        return session_label(self, spot.session - 1);
    Py_RETURN_NONE;  /* "none" between sessions: exchange_calendars raises */
}

static PyObject *
CalendarLookups_is_open_on_minute(CalendarLookupsObject *self, PyObject *const *args,
                                  Py_ssize_t nargs)
{
    if (nargs < 1 || nargs > 2) {
        PyErr_Format(PyExc_TypeError,
                     "is_open_on_minute() takes a minute and ignore_breaks (%zd given)",
                     nargs);
        return NULL;
    }
    PyObject *ignore_breaks = nargs == 2 ? args[1] : Py_False;
    MinuteSpot spot;
    /* a bool only: any other object's truth is its own code's to tell */
    int fast = !PyBool_Check(ignore_breaks) ? 0
                                            : fp_minutes_locate(self->minutes, args[0], &spot);
    if (fast <= 0)
        return fast < 0 ? NULL : Py_NewRef(Py_None);
    /* with breaks ignored, a break's minutes (strictly between its ends) count as open:
       every minute from the session's first to its last */
    return PyBool_FromLong(ignore_breaks == Py_True ? spot.in_session : spot.trading);
}

static PyObject *
CalendarLookups_is_trading_minute(CalendarLookupsObject *self, PyObject *minute)
{
    MinuteSpot spot;
    int fast = fp_minutes_locate(self->minutes, minute, &spot);
    if (fast <= 0)
        return fast < 0 ? NULL : Py_NewRef(Py_None);
    return PyBool_FromLong(spot.trading);
}

static PyObject *
CalendarLookups_previous_minute(CalendarLookupsObject *self, PyObject *minute)
{
    MinuteSpot spot;
    int fast = fp_minutes_locate(self->minutes, minute, &spot);
    if (fast <= 0)
        return fast < 0 ? NULL : Py_NewRef(Py_None);
    /* the last trading minute before it; None before the first (upstream raises) */
    return fp_minutes_boxed_at(self->minutes, spot.position - 1);
}

static PyObject *
CalendarLookups_next_minute(CalendarLookupsObject *self, PyObject *minute)
{
    MinuteSpot spot;
    int fast = fp_minutes_locate(self->minutes, minute, &spot);
    if (fast <= 0)
        return fast < 0 ? NULL : Py_NewRef(Py_None);
    /* the first trading minute after it; None after the last (upstream raises) */
    return fp_minutes_boxed_at(self->minutes, spot.position + spot.trading);
}

static PyObject *
CalendarLookups_next_open(CalendarLookupsObject *self, PyObject *minute)
{
    MinuteSpot spot;
    int fast = fp_minutes_locate(self->minutes, minute, &spot);
    if (fast <= 0)
        return fast < 0 ? NULL : Py_NewRef(Py_None);
    /* the first open after the minute: searchsorted(opens, minute, "right") */
    const int64_t *opens = (const int64_t *)PyArray_DATA(self->opens);
    Py_ssize_t lo = 0, hi = PyArray_DIM(self->opens, 0);
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (opens[mid] <= spot.nanos)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == PyArray_DIM(self->opens, 0))
        Py_RETURN_NONE;  /* at or after the last open: exchange_calendars raises */
    return fp_minutes_box(self->minutes, opens[lo]);
}

/* One of the session's times (times: a session each) as a UTC Timestamp, for a tz-naive
   Timestamp that is exactly a session label; None for anything else. */
static PyObject *
session_time(CalendarLookupsObject *self, PyObject *session, const int64_t *times)
{
    CalendarObject *cal = fp_minutes_calendar(self->minutes);
    int64_t nanos;
    int fast = fp_timestamp_nanos(cal, session, &nanos);  /* an exact Timestamp only */
    if (fast <= 0)
        return fast < 0 ? NULL : Py_NewRef(Py_None);
    PyObject *tz = PyObject_GetAttr(session, str_tzinfo);
    if (tz == NULL)
        return NULL;
    int naive = tz == Py_None;
    Py_DECREF(tz);
    Py_ssize_t i = naive ? fp_calendar_label_position(cal, nanos) : -1;
    if (i < 0)
        Py_RETURN_NONE;  /* not a session, or tz-aware: exchange_calendars raises */
    return fp_minutes_box(self->minutes, times[i]);
}

static PyObject *
CalendarLookups_session_open(CalendarLookupsObject *self, PyObject *session)
{
    return session_time(self, session, (const int64_t *)PyArray_DATA(self->opens));
}

static PyObject *
CalendarLookups_session_close(CalendarLookupsObject *self, PyObject *session)
{
    return session_time(self, session, (const int64_t *)PyArray_DATA(self->closes));
}

static PyObject *
CalendarLookups_session_first_minute(CalendarLookupsObject *self, PyObject *session)
{
    return session_time(self, session, fp_minutes_calendar(self->minutes)->first);
}

static PyObject *
CalendarLookups_session_last_minute(CalendarLookupsObject *self, PyObject *session)
{
    return session_time(self, session, fp_minutes_calendar(self->minutes)->last);
}

static PyObject *
CalendarLookups_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"minutes", "opens", "closes", NULL};
    PyObject *minutes, *opens_obj, *closes_obj;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!OO:CalendarLookups", kwlist,
                                     &fp_Minutes_Type, &minutes, &opens_obj, &closes_obj))
        return NULL;
    /* everything made before the object exists: the conversions run Python code, which
       must not find it half made */
    Py_ssize_t count = fp_minutes_calendar(minutes)->count;
    PyArrayObject *opens = NULL, *closes = NULL;
    PyObject *labels = NULL;
    if ((opens = fp_int64_vector(opens_obj, "opens")) == NULL ||
        (closes = fp_int64_vector(closes_obj, "closes")) == NULL)
        goto fail;
    if (PyArray_DIM(opens, 0) != count || PyArray_DIM(closes, 0) != count) {
        PyErr_Format(PyExc_ValueError, "opens and closes must have one entry for each of "
                     "the calendar's %zd sessions", count);
        goto fail;
    }
    if ((labels = PyList_New(count)) == NULL)
        goto fail;
    for (Py_ssize_t i = 0; i < count; i++)
        PyList_SET_ITEM(labels, i, Py_NewRef(Py_None));
    CalendarLookupsObject *self = (CalendarLookupsObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        goto fail;
    self->minutes = Py_NewRef(minutes);
    self->labels = labels;
    self->opens = opens;
    self->closes = closes;
    return (PyObject *)self;
fail:
    Py_XDECREF(opens);
    Py_XDECREF(closes);
    Py_XDECREF(labels);
    return NULL;
}

static int
CalendarLookups_traverse(CalendarLookupsObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->minutes);
    Py_VISIT(self->labels);
    return 0;
}

static int
CalendarLookups_clear(CalendarLookupsObject *self)
{
    Py_CLEAR(self->minutes);
    Py_CLEAR(self->labels);
    Py_CLEAR(self->opens);
    Py_CLEAR(self->closes);
    return 0;
}

static void
CalendarLookups_dealloc(CalendarLookupsObject *self)
{
    PyObject_GC_UnTrack(self);
    CalendarLookups_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

int
fp_lookups_init_strings(void)
{
    if ((str_next_dir = PyUnicode_InternFromString("next")) == NULL ||
        (str_previous_dir = PyUnicode_InternFromString("previous")) == NULL ||
        (str_none_dir = PyUnicode_InternFromString("none")) == NULL ||
        (str_tzinfo = PyUnicode_InternFromString("tzinfo")) == NULL)
        return -1;
    return 0;
}

static PyMethodDef CalendarLookups_methods[] = {
    {"minute_to_session", (PyCFunction)(void (*)(void))CalendarLookups_minute_to_session,
     METH_FASTCALL,
     "minute_to_session(minute, direction='next') -> the session label, or None."},
    {"is_open_on_minute", (PyCFunction)(void (*)(void))CalendarLookups_is_open_on_minute,
     METH_FASTCALL, "is_open_on_minute(minute, ignore_breaks=False) -> bool, or None."},
    {"is_trading_minute", (PyCFunction)CalendarLookups_is_trading_minute, METH_O,
     "is_trading_minute(minute) -> bool, or None."},
    {"previous_minute", (PyCFunction)CalendarLookups_previous_minute, METH_O,
     "previous_minute(minute) -> the trading minute before it, or None."},
    {"next_minute", (PyCFunction)CalendarLookups_next_minute, METH_O,
     "next_minute(minute) -> the trading minute after it, or None."},
    {"next_open", (PyCFunction)CalendarLookups_next_open, METH_O,
     "next_open(minute) -> the first open after it, or None."},
    {"session_open", (PyCFunction)CalendarLookups_session_open, METH_O,
     "session_open(session) -> its open, or None."},
    {"session_close", (PyCFunction)CalendarLookups_session_close, METH_O,
     "session_close(session) -> its close, or None."},
    {"session_first_minute", (PyCFunction)CalendarLookups_session_first_minute, METH_O,
     "session_first_minute(session) -> its first trading minute, or None."},
    {"session_last_minute", (PyCFunction)CalendarLookups_session_last_minute, METH_O,
     "session_last_minute(session) -> its last trading minute, or None."},
    {NULL, NULL, 0, NULL},
};

PyTypeObject fp_CalendarLookups_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "fastportal._core.CalendarLookups",
    .tp_basicsize = sizeof(CalendarLookupsObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "CalendarLookups(minutes, opens, closes): a calendar's per-bar lookups, "
              "each answered "
              "exactly as exchange_calendars answers it, or None where the core does not.",
    .tp_new = CalendarLookups_new,
    .tp_traverse = (traverseproc)CalendarLookups_traverse,
    .tp_clear = (inquiry)CalendarLookups_clear,
    .tp_dealloc = (destructor)CalendarLookups_dealloc,
    .tp_methods = CalendarLookups_methods,
};
