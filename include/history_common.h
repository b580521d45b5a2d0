/* history_common.c: what DailyHistory, MinuteHistory and PartialDayHistory share. */
#ifndef FASTPORTAL_HISTORY_COMMON_H
#define FASTPORTAL_HISTORY_COMMON_H

#include "objects.h"

extern PyObject *str_window_bounds, *str_column, *str_minute_window, *str_before_data;
extern PyObject *str_column_range, *str_no_assets;

int history_init_strings(void);
void history_served(void);
PyObject *history_windows_served(PyObject *module, PyObject *reset);
PyObject *history_reason(PyObject *text);
PyObject *history_reason_with_rows(PyObject *out, Py_ssize_t first, Py_ssize_t last);
int history_count(PyObject *arg, Py_ssize_t *count);
int history_check_args(Py_ssize_t nargs, PyObject *field);
int history_is_price(PyObject *field);
int history_is_sid(PyObject *field);
PyObject *history_sid_ints(PyObject *values);
PyObject *history_column(PyObject *columns, PyObject *asset, PyObject *field, PyObject **why);
int history_frame_args(PandasBuilderObject *builder, Py_ssize_t nargs, PyObject *const *args,
                       PyObject **call, PyObject **column_axis, double **scales);
void history_frame_args_release(PyObject **call, double *scales);
int history_scales(PyObject *const *args, Py_ssize_t nargs, Py_ssize_t at, Py_ssize_t count,
                   double **out);
void history_scale(double *values, Py_ssize_t count, double scale);

#endif
