/* current.c: BarData.current's Series and DataFrames, from spot.c's reads. */
#ifndef FASTPORTAL_CURRENT_H
#define FASTPORTAL_CURRENT_H

#include "spot.h"

PyObject *fp_spot_current_series(SpotObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *fp_spot_current_fields(SpotObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *fp_spot_current_frame(SpotObject *self, PyObject *const *args, Py_ssize_t nargs);
int fp_current_init_strings(void);

#endif
