/* minutes.c: Minutes, a calendar's trading minutes by position, from its sessions'
 * opens, breaks and closes.
 */
#ifndef FASTPORTAL_MINUTES_H
#define FASTPORTAL_MINUTES_H

#include "calendar.h"

/* Where a whole minute lies among the trading minutes. */
typedef struct {
    int64_t nanos;
    Py_ssize_t session;  /* the first session whose last minute is not before it */
    int in_session;      /* between that session's first and last minutes (a break too) */
    int64_t position;    /* of the first trading minute at or after it */
    int trading;         /* it is a trading minute */
} MinuteSpot;

extern PyTypeObject fp_Minutes_Type;

int fp_minutes_init_strings(void);
int fp_trading_minute_position(PyObject *minutes, PyObject *minute, int64_t *pos);
int fp_session_of_position(PyObject *minutes, int64_t pos, Py_ssize_t *session,
                           int64_t *first);
int fp_next_session_start(PyObject *minutes, PyObject *minute, int64_t *pos);
int fp_minutes_locate(PyObject *minutes, PyObject *minute, MinuteSpot *spot);
PyObject *fp_minutes_boxed_at(PyObject *minutes, int64_t pos);
PyObject *fp_minutes_box(PyObject *minutes, int64_t nanos);
CalendarObject *fp_minutes_calendar(PyObject *minutes);

#endif
