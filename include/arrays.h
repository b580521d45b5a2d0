/* arrays.c: frozen arrays, the core's own read-only copies of what it reads; NumPy's C
 * API table.
 */
#ifndef FASTPORTAL_ARRAYS_H
#define FASTPORTAL_ARRAYS_H

#include "fastportal.h"

int arrays_init(void);
PyArrayObject *frozen_array(int nd, const npy_intp *dims, int type_num);
PyArrayObject *frozen_copy(PyArrayObject *in);
PyArrayObject *int64_vector(PyObject *obj, const char *what);
PyArrayObject *float64_vector(PyObject *obj, const char *what);

#endif
