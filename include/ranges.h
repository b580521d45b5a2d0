/* ranges.c: session windows as zero-copy views and DatetimeIndex objects; read-only
 * views of frozen arrays.
 */
#ifndef FASTPORTAL_RANGES_H
#define FASTPORTAL_RANGES_H

#include "calendar.h"

PyObject *fp_window_of_sessions(CalendarObject *cal, Py_ssize_t end, Py_ssize_t count);
PyObject *fp_index_of_sessions(CalendarObject *cal, Py_ssize_t end, Py_ssize_t count);
PyObject *fp_readonly_view(PyArrayObject *base, Py_ssize_t start, Py_ssize_t count);
PyObject *fp_readonly_view_as(PyArrayObject *base, Py_ssize_t start, Py_ssize_t count,
                              PyArray_Descr *descr);

#endif
