/* arrays.c: frozen arrays, the core's own read-only copies of what it reads; NumPy's C
 * API table.
 */
#ifndef FASTPORTAL_ARRAYS_H
#define FASTPORTAL_ARRAYS_H

#include "fastportal.h"

int fp_arrays_init(void);
PyArrayObject *fp_frozen_array(int nd, const npy_intp *dims, int type_num);
PyArrayObject *fp_frozen_copy(PyArrayObject *in);
PyArrayObject *fp_int64_vector(PyObject *obj, const char *what);
PyArrayObject *fp_float64_vector(PyObject *obj, const char *what);

#endif
