/* Session ranges: the window of `count` sessions ending at position `end`.
 *
 * As a zero-copy, read-only view of the calendar's int64 session labels, and as the
 * DatetimeIndex zipline gets from `sessions[start:end + 1]`: same values, dtype, freq and
 * name (None). The index is assembled as pandas' _simple_new constructors assemble it
 * (objects.c), taking the freq as given; a public constructor would validate it against
 * every label, and that validation is where a profiled backtest spends its date-range
 * generations.
 */
#include "ranges.h"
#include "arguments.h"
#include "calendar.h"
#include "objects.h"

/* A read-only 1-D view of base[start:start + count] read as `descr` (stolen; an 8-byte
   type for an 8-byte base) of a frozen array; the view keeps its memory's owner alive. */
PyObject *
fp_readonly_view_as(PyArrayObject *base, Py_ssize_t start, Py_ssize_t count,
                    PyArray_Descr *descr)
{
    npy_intp dims[1] = {count};
    PyObject *view = PyArray_NewFromDescr(
        &PyArray_Type, descr, 1, dims, NULL,
        PyArray_BYTES(base) + start * PyArray_ITEMSIZE(base), 0, NULL);
    if (view == NULL)
        return NULL;
    /* The view's base is what owns the memory (a frozen array's capsule), not the array the
       core keeps: through a view nobody reaches that array, whose dtype and shape the core
       relies on (numpy lets anyone set an array's dtype and shape in place). */
    PyObject *owner = PyArray_BASE(base);
    if (owner == NULL || PyArray_Check(owner)) {
        Py_DECREF(view);
        PyErr_SetString(PyExc_SystemError, "a view of an array that is not frozen");
        return NULL;
    }
    Py_INCREF(owner);
    if (PyArray_SetBaseObject((PyArrayObject *)view, owner) < 0) {
        Py_DECREF(view);
        return NULL;
    }
    return view;
}

/* A read-only 1-D view of base[start:start + count] of a frozen array. */
PyObject *
fp_readonly_view(PyArrayObject *base, Py_ssize_t start, Py_ssize_t count)
{
    PyArray_Descr *descr = PyArray_DESCR(base);
    Py_INCREF(descr);
    return fp_readonly_view_as(base, start, count, descr);
}

PyObject *
fp_window_of_sessions(CalendarObject *cal, Py_ssize_t end, Py_ssize_t count)
{
    if (fp_check_window(end, count, cal->count) < 0)
        return NULL;
    return fp_readonly_view(cal->sessions, end - count + 1, count);
}

PyObject *
fp_index_of_sessions(CalendarObject *cal, Py_ssize_t end, Py_ssize_t count)
{
    if (fp_check_window(end, count, cal->count) < 0)
        return NULL;
    /* cal->dtype was checked to be an 8-byte datetime64 descriptor at construction. */
    Py_INCREF(cal->dtype);
    PyObject *values = fp_readonly_view_as(cal->sessions, end - count + 1, count,
                                           (PyArray_Descr *)cal->dtype);
    if (values == NULL)
        return NULL;
    PyObject *index = fp_build_datetime_index(cal->builder, values, cal->freq, cal->dtype);
    Py_DECREF(values);
    return index;
}
