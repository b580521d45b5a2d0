/* windows.c: AdjustedColumn, the adjusted, rounded, versioned history of one (asset,
 * field, perspective). The functions take reader rows.
 */
#ifndef FASTPORTAL_WINDOWS_H
#define FASTPORTAL_WINDOWS_H

#include "fastportal.h"

extern PyTypeObject fp_AdjustedColumn_Type;

PyObject *fp_column_window(PyObject *column, Py_ssize_t end, Py_ssize_t count, int price);
int fp_column_fill(PyObject *column, Py_ssize_t end, Py_ssize_t count, int price, double *out);
const double *fp_column_raw(PyObject *column, Py_ssize_t first, Py_ssize_t last);
int fp_column_covers(PyObject *column, Py_ssize_t first, Py_ssize_t last);
int fp_column_alive(PyObject *column, Py_ssize_t row);
int fp_column_price_fill(PyObject *column, Py_ssize_t end, Py_ssize_t count, double *out);

#endif
