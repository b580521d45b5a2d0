/* Arguments of the window methods: (end, count) read and checked against the rows. */
#include "arguments.h"

/* 0 when rows end-count+1..end lie in 0..size-1, else -1 with an error set. */
int
fp_check_window(Py_ssize_t end, Py_ssize_t count, Py_ssize_t size)
{
    if (end < 0 || end >= size) {
        PyErr_Format(PyExc_IndexError, "window end %zd is outside 0..%zd", end, size - 1);
        return -1;
    }
    if (count < 1 || count > end + 1) {
        PyErr_Format(PyExc_ValueError,
                     "window of %zd rows ending at %zd must hold 1 to %zd rows", count, end,
                     end + 1);
        return -1;
    }
    return 0;
}

/* The (end, count) arguments of every window method, as Py_ssize_t. */
int
fp_parse_end_and_count(PyObject *const *args, Py_ssize_t nargs, const char *name,
                       Py_ssize_t *end, Py_ssize_t *count)
{
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "%s() takes end and count (%zd given)", name, nargs);
        return -1;
    }
    if ((*end = PyLong_AsSsize_t(args[0])) == -1 && PyErr_Occurred())
        return -1;
    if ((*count = PyLong_AsSsize_t(args[1])) == -1 && PyErr_Occurred())
        return -1;
    return 0;
}
