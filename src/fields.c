/* Several fields at once: data.history(assets, [fields], n, freq).
 *
 * Upstream asks the portal for one window per field, then concatenates, stacks, unstacks
 * and sorts them into a frame with one row per (date, asset) and one column per field:
 * rows ordered by date, then by asset; a MultiIndex named (date or date_time, None) whose
 * levels are the window's dates (their freq kept) and the sorted assets; columns an
 * Index of the fields, in the order asked, named "fields". The same frame is made here
 * directly: one (fields, rows) block filled from the history type's windows, then the
 * codes of the two levels and the MultiIndex assembled as MultiIndex.__new__ assembles
 * it (objects.c).
 *
 * The shim hands over the assets already sorted and unique and the fields unique, as
 * tuples, so nothing here depends on how a Python object compares.
 */
#include "fields.h"
#include "history_common.h"
#include "objects.h"

PyObject *fp_str_date, *fp_str_date_time;

int
fp_fields_init_strings(void)
{
#define INTERN(var, text) \
    if ((var = PyUnicode_InternFromString(text)) == NULL) return -1
    INTERN(fp_str_date, "date");
    INTERN(fp_str_date_time, "date_time");
#undef INTERN
    return 0;
}

/* The frame of `fields` for `assets` (tuples: the fields unique, the assets sorted and
   unique), each window `count` rows filled by fill(state, ...) and multiplied by its
   field's scale if any (upstream scales a field's windows by one ratio), over `dates`
   (stolen), its values int64 if `sid_ints` (fp_history_sid_ints);
   or the reason (a str) a window is not served, or NULL with an error set. */
PyObject *
fp_history_fields(PandasBuilderObject *b, window_fill fill, void *state, PyObject *assets,
                  PyObject *fields, Py_ssize_t count, PyObject *dates, PyObject *dt_label,
                  const double *scales, int sid_ints)
{
    if (dates == NULL)
        return NULL;
    Py_ssize_t width = PyTuple_GET_SIZE(assets), depth = PyTuple_GET_SIZE(fields);
    PyObject *block = NULL, *out = NULL;
    double *window = NULL;
    if (count > PY_SSIZE_T_MAX / (Py_ssize_t)sizeof(double) / (width > 0 ? width : 1)) {
        PyErr_NoMemory();
        goto done;
    }
    npy_intp dims[2] = {depth, count * width};
    if ((block = PyArray_SimpleNew(2, dims, NPY_FLOAT64)) == NULL)
        goto done;
    if ((window = PyMem_Malloc((count > 0 ? count : 1) * sizeof(double))) == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    double *rows = (double *)PyArray_DATA((PyArrayObject *)block);
    for (Py_ssize_t f = 0; f < depth; f++) {
        PyObject *field = PyTuple_GET_ITEM(fields, f);
        double *column = rows + f * count * width;
        for (Py_ssize_t j = 0; j < width; j++) {
            PyObject *why = NULL;
            if (fill(state, PyTuple_GET_ITEM(assets, j), field, window, &why) < 0) {
                out = why ? fp_history_reason(why) : NULL;
                goto done;
            }
            if (scales != NULL)
                fp_history_scale(window, count, scales[f]);
            for (Py_ssize_t i = 0; i < count; i++)
                column[i * width + j] = window[i];
        }
    }
    if (sid_ints) {
        Py_SETREF(block, fp_history_sid_ints(block));
        if (block == NULL)
            goto done;
    }
    out = fp_build_fields_frame(b, block, dates, count, assets, fields, dt_label);
    if (out != NULL)
        fp_history_served();
done:
    PyMem_Free(window);
    Py_XDECREF(block);
    Py_DECREF(dates);
    return out;
}

/* The assets and fields of a fields(dt, assets, fields, bar_count) call: 0, or -1 with
   a TypeError set. */
int
fp_history_check_fields_args(Py_ssize_t nargs, PyObject *const *args)
{
    if (nargs != 4 && nargs != 5) {
        PyErr_Format(PyExc_TypeError, "fields() takes dt, assets, fields, bar_count and "
                     "optionally scales (%zd given)", nargs);
        return -1;
    }
    if (!PyTuple_CheckExact(args[1]) || !PyTuple_CheckExact(args[2])) {
        PyErr_SetString(PyExc_TypeError, "assets and fields must be tuples");
        return -1;
    }
    Py_ssize_t depth = PyTuple_GET_SIZE(args[2]);
    if (depth == 0) {
        PyErr_SetString(PyExc_ValueError, "fields must not be empty");
        return -1;
    }
    for (Py_ssize_t f = 0; f < depth; f++) {
        if (!PyUnicode_Check(PyTuple_GET_ITEM(args[2], f))) {
            PyErr_SetString(PyExc_TypeError, "each field must be a str");
            return -1;
        }
    }
    return 0;
}
