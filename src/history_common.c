/* What DailyHistory, MinuteHistory and PartialDayHistory share: a call's arguments, the
 * column of (asset, field), the reason a window is not served and the count of windows
 * served.
 */
#include "history_common.h"
#include "objects.h"
#include "reasons.h"

static PyObject *str_price, *str_sid;

/* Windows handed out by DailyHistory, MinuteHistory and PartialDayHistory: the "served"
   of fastportal.stats(), counted here so that the hot path pays no Python for it. */
static Py_ssize_t windows_served;

void
fp_history_served(void)
{
    windows_served++;
}

PyObject *
fp_history_windows_served(PyObject *module, PyObject *reset)
{
    (void)module;
    int clear = PyObject_IsTrue(reset);
    if (clear < 0)
        return NULL;
    PyObject *count = PyLong_FromSsize_t(windows_served);
    if (count != NULL && clear)
        windows_served = 0;
    return count;
}

int
fp_history_init_strings(void)
{
    if ((str_price = PyUnicode_InternFromString("price")) == NULL ||
        (str_sid = PyUnicode_InternFromString("sid")) == NULL)
        return -1;
    return 0;
}

PyObject *
fp_history_reason(PyObject *text)
{
    Py_INCREF(text);
    return text;
}

/* out, or (out, first, last) when out asks the shim for a column: see history.c. */
PyObject *
fp_history_reason_with_rows(PyObject *out, Py_ssize_t first, Py_ssize_t last)
{
    if (out != FP_WHY(NEW_COLUMN) && out != FP_WHY(COLUMN_RANGE))
        return out;
    PyObject *reason = Py_BuildValue("(Onn)", out, first, last);
    Py_DECREF(out);
    return reason;
}

/* The bar_count of a series() call: 1 with *count set, 0 when it is too large for any
   window (upstream says how it fails), -1 with an error set. */
int
fp_history_count(PyObject *arg, Py_ssize_t *count)
{
    *count = PyLong_AsSsize_t(arg);
    if (*count == -1 && PyErr_Occurred()) {
        if (!PyErr_ExceptionMatches(PyExc_OverflowError))
            return -1;
        PyErr_Clear();
        return 0;
    }
    if (*count < 1) {
        PyErr_Format(PyExc_ValueError, "bar_count must be at least 1, got %zd", *count);
        return -1;
    }
    return 1;
}

int
fp_history_check_args(Py_ssize_t nargs, PyObject *field)
{
    if (nargs != 4 && nargs != 5) {
        PyErr_Format(PyExc_TypeError, "series() takes dt, asset, field, bar_count and "
                     "optionally scales (%zd given)", nargs);
        return -1;
    }
    if (!PyUnicode_Check(field)) {
        PyErr_SetString(PyExc_TypeError, "field must be a str");
        return -1;
    }
    return 0;
}

/* The optional scales argument of a call: 0 with *out NULL (None or absent) or a
   PyMem buffer of the `count` floats of a tuple; -1 with an error set. */
int
fp_history_scales(PyObject *const *args, Py_ssize_t nargs, Py_ssize_t at, Py_ssize_t count,
                  double **out)
{
    *out = NULL;
    if (nargs <= at || args[at] == Py_None)
        return 0;
    PyObject *scales = args[at];
    if (!PyTuple_CheckExact(scales) || PyTuple_GET_SIZE(scales) != count) {
        PyErr_Format(PyExc_TypeError, "scales must be None or a tuple of %zd floats", count);
        return -1;
    }
    double *values = PyMem_Malloc((count > 0 ? count : 1) * sizeof(double));
    if (values == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *item = PyTuple_GET_ITEM(scales, i);
        if (!PyFloat_CheckExact(item)) {
            PyMem_Free(values);
            PyErr_Format(PyExc_TypeError, "scales must be None or a tuple of %zd floats",
                         count);
            return -1;
        }
        values[i] = PyFloat_AS_DOUBLE(item);
    }
    *out = values;
    return 0;
}

/* values *= scale, as upstream multiplies a window by its adjustment ratio. */
void
fp_history_scale(double *values, Py_ssize_t count, double scale)
{
    for (Py_ssize_t i = 0; i < count; i++)
        values[i] *= scale;
}

/* The column of (asset, field): a new reference; or NULL with *why set to the reason it
   is not served (no error set), or NULL with an error set. */
PyObject *
fp_history_column(PyObject *columns, PyObject *asset, PyObject *field, PyObject **why)
{
    *why = NULL;
    PyObject *key = PyTuple_Pack(2, asset, field);
    if (key == NULL)
        return NULL;
    PyObject *column = PyDict_GetItemWithError(columns, key);  /* borrowed */
    Py_DECREF(key);
    if (column == NULL) {
        if (!PyErr_Occurred())
            *why = FP_WHY(NEW_COLUMN);
        return NULL;
    }
    if (column == Py_None) {
        *why = FP_WHY(COLUMN);
        return NULL;
    }
    Py_INCREF(column);  /* a price seed runs Python code, which may change the dict */
    return column;
}

int
fp_history_is_price(PyObject *field)
{
    return field == str_price || PyUnicode_Compare(field, str_price) == 0;
}

int
fp_history_is_sid(PyObject *field)
{
    return field == str_sid || PyUnicode_Compare(field, str_sid) == 0;
}

/* A float64 array of contract sids as the int64 array upstream's minute loader holds
   them in (its sid window is an Int64Window): a new array of the same shape. The values
   are whole numbers read from an int64 column; anything else becomes INT64_MIN, what
   NumPy's cast gives for a value int64 cannot hold. */
PyObject *
fp_history_sid_ints(PyObject *values)
{
    PyArrayObject *source = (PyArrayObject *)values;
    PyObject *ints = PyArray_SimpleNew(PyArray_NDIM(source), PyArray_DIMS(source), NPY_INT64);
    if (ints == NULL)
        return NULL;
    const double *from = (const double *)PyArray_DATA(source);
    int64_t *to = (int64_t *)PyArray_DATA((PyArrayObject *)ints);
    npy_intp size = PyArray_SIZE(source);
    for (npy_intp i = 0; i < size; i++) {
        double v = from[i];
        /* -2**63 <= v < 2**63, NaN failing both */
        to[i] = v >= -9223372036854775808.0 && v < 9223372036854775808.0 ? (int64_t)v
                                                                           : INT64_MIN;
    }
    return ints;
}

/* The types of a frame() call's arguments: 0, or -1 with a TypeError set. */
static int
check_frame_args(PandasBuilderObject *builder, Py_ssize_t nargs, PyObject *const *args)
{
    if (nargs < 4 || nargs > 6) {
        PyErr_Format(PyExc_TypeError, "frame() takes its end, assets, field, bar_count "
                     "and optionally columns and scales (%zd given)", nargs);
        return -1;
    }
    if (!PyList_CheckExact(args[1]) && !PyTuple_CheckExact(args[1])) {
        PyErr_SetString(PyExc_TypeError, "assets must be a list or a tuple");
        return -1;
    }
    if (!PyUnicode_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "field must be a str");
        return -1;
    }
    if (nargs >= 5 && args[4] != Py_None &&
        Py_TYPE(args[4]) != builder->object_index_type) {
        PyErr_SetString(PyExc_TypeError,
                        "columns must be None or an Index as long as assets");
        return -1;
    }
    return 0;
}

/* The arguments of a frame(end, assets, field, bar_count[, columns[, scales]]) call,
   checked, into call[0..5]: the assets as a tuple taken once (call[1], a new reference),
   so that what an asset's __hash__ or a price seed does to the caller's list cannot
   reach the loops over it; *column_axis the Index to use as the columns (NULL: made from
   the assets); *scales as fp_history_scales gives them. 0, or -1 with an error set.
   Release with fp_history_frame_args_release. */
int
fp_history_frame_args(PandasBuilderObject *builder, Py_ssize_t nargs, PyObject *const *args,
                      PyObject **call, PyObject **column_axis, double **scales)
{
    *scales = NULL;
    call[1] = NULL;
    if (check_frame_args(builder, nargs, args) < 0 ||
        (call[1] = PySequence_Tuple(args[1])) == NULL)
        return -1;
    call[0] = args[0];
    call[2] = args[2];
    call[3] = args[3];
    call[4] = call[5] = Py_None;
    for (Py_ssize_t i = 4; i < nargs; i++)
        call[i] = args[i];
    *column_axis = NULL;
    if (call[4] != Py_None) {
        Py_ssize_t length = PyObject_Size(call[4]);
        if (length != PyTuple_GET_SIZE(call[1])) {
            if (length >= 0 || PyErr_ExceptionMatches(PyExc_TypeError)) {
                PyErr_Clear();
                PyErr_SetString(PyExc_TypeError,
                                "columns must be None or an Index as long as assets");
            }
            Py_CLEAR(call[1]);
            return -1;
        }
        *column_axis = call[4];
    }
    if (fp_history_scales(call, 6, 5, PyTuple_GET_SIZE(call[1]), scales) < 0) {
        Py_CLEAR(call[1]);
        return -1;
    }
    return 0;
}

void
fp_history_frame_args_release(PyObject **call, double *scales)
{
    Py_CLEAR(call[1]);
    PyMem_Free(scales);
}
