/* calendar.c: Calendar, exchange_calendars' session lookups over int64 nanosecond
 * arrays.
 */
#ifndef FASTPORTAL_CALENDAR_H
#define FASTPORTAL_CALENDAR_H

#include "objects.h"

/* Directions of minute_to_session, as exchange_calendars names them. */
enum direction { DIRECTION_NEXT, DIRECTION_PREVIOUS, DIRECTION_NONE };

typedef struct {
    PyObject_HEAD
    PyObject *upstream;           /* the exchange_calendars calendar: answers what we do not */
    PyObject *sessions_index;     /* upstream.sessions, to box a session label */
    PyArrayObject *sessions;      /* int64 ns session labels, read-only */
    PyArrayObject *first_minutes; /* int64 ns first trading minute of each session */
    PyArrayObject *last_minutes;  /* int64 ns last trading minute of each session */
    const int64_t *sess;
    const int64_t *first;
    const int64_t *last;
    Py_ssize_t count;
    PandasBuilderObject *builder; /* how ranges.c makes a DatetimeIndex */
    PyObject *freq;               /* upstream.sessions.freq */
    PyObject *dtype;              /* upstream.sessions.dtype */
    PyObject *timestamp_type;     /* pandas.Timestamp */
} CalendarObject;

extern PyTypeObject fp_Calendar_Type;

int fp_calendar_init_strings(void);
Py_ssize_t fp_sorted_position(const int64_t *values, Py_ssize_t count, int64_t value);
Py_ssize_t fp_daily_window_end(CalendarObject *cal, PyObject *minute);
int fp_timestamp_nanos(CalendarObject *cal, PyObject *obj, int64_t *out);
Py_ssize_t fp_calendar_label_position(CalendarObject *cal, int64_t nanos);

#endif
