/* history_common.c: what DailyHistory, MinuteHistory and PartialDayHistory share. */
#ifndef FASTPORTAL_HISTORY_COMMON_H
#define FASTPORTAL_HISTORY_COMMON_H

#include "objects.h"

int fp_history_init_strings(void);
void fp_history_served(void);
PyObject *fp_history_windows_served(PyObject *module, PyObject *reset);
PyObject *fp_history_reason(PyObject *text);
PyObject *fp_history_reason_with_rows(PyObject *out, Py_ssize_t first, Py_ssize_t last);
int fp_history_count(PyObject *arg, Py_ssize_t *count);
int fp_history_check_args(Py_ssize_t nargs, PyObject *field);
int fp_history_is_price(PyObject *field);
int fp_history_is_sid(PyObject *field);
PyObject *fp_history_sid_ints(PyObject *values);
PyObject *fp_history_column(PyObject *columns, PyObject *asset, PyObject *field,
                            PyObject **why);
int fp_history_frame_args(PandasBuilderObject *builder, Py_ssize_t nargs,
                          PyObject *const *args, PyObject **call, PyObject **column_axis,
                          double **scales);
void fp_history_frame_args_release(PyObject **call, double *scales);
int fp_history_scales(PyObject *const *args, Py_ssize_t nargs, Py_ssize_t at, Py_ssize_t count,
                      double **out);
void fp_history_scale(double *values, Py_ssize_t count, double scale);

#endif
