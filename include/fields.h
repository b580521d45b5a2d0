/* fields.c: several fields at once, the block of a (date, asset) x fields frame filled
 * from a history type's windows.
 */
#ifndef FASTPORTAL_FIELDS_H
#define FASTPORTAL_FIELDS_H

#include "objects.h"

/* Fills one asset's window of one field into out: 0, or -1 with *why the reason it is
   not served (no error set) or with an error set (*why NULL). */
typedef int (*window_fill)(void *state, PyObject *asset, PyObject *field, double *out,
                           PyObject **why);

extern PyObject *fp_str_date, *fp_str_date_time;

int fp_fields_init_strings(void);
PyObject *fp_history_fields(PandasBuilderObject *b, window_fill fill, void *state,
                            PyObject *assets, PyObject *fields, Py_ssize_t count,
                            PyObject *dates, PyObject *dt_label, const double *scales,
                            int sid_ints);
int fp_history_check_fields_args(Py_ssize_t nargs, PyObject *const *args);

#endif
