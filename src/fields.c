/* Several fields at once: data.history(assets, [fields], n, freq).
 *
 * Upstream asks the portal for one window per field, then concatenates, stacks, unstacks
 * and sorts them into a frame with one row per (date, asset) and one column per field:
 * rows ordered by date, then by asset; a MultiIndex named (date or date_time, None) whose
 * levels are the window's dates (their freq kept) and the sorted assets; columns an
 * Index of the fields, in the order asked, named "fields". The same frame is made here
 * directly: one (fields, rows) block filled from the history type's windows, the codes
 * of the two levels, and the MultiIndex assembled as MultiIndex.__new__ assembles it.
 *
 * The shim hands over the assets already sorted and unique and the fields unique, as
 * tuples, so nothing here depends on how a Python object compares.
 */
#include "fastportal.h"
#include "arrays.h"

static PyObject *str_fields_name, *str_cache, *str_levels, *str_codes, *str_names;
static PyObject *str_sortorder, *str_id, *str_references, *str_name;
PyObject *str_date, *str_date_time;

int
fields_init_strings(void)
{
#define INTERN(var, text) \
    if ((var = PyUnicode_InternFromString(text)) == NULL) return -1
    INTERN(str_fields_name, "fields");
    INTERN(str_cache, "_cache");
    INTERN(str_levels, "_levels");
    INTERN(str_codes, "_codes");
    INTERN(str_names, "_names");
    INTERN(str_sortorder, "sortorder");
    INTERN(str_id, "_id");
    INTERN(str_references, "_references");
    INTERN(str_name, "_name");
    INTERN(str_date, "date");
    INTERN(str_date_time, "date_time");
#undef INTERN
    return 0;
}

/* The codes of a level of `categories` labels, in the narrowest type pandas'
   coerce_indexer_dtype picks: code of row r is r / repeat % categories. pandas takes
   with codes unchecked, so they must never be written: a frozen array, which nothing can
   make writable. */
static PyObject *
level_codes(Py_ssize_t rows, Py_ssize_t categories, Py_ssize_t repeat)
{
    int type = categories < INT8_MAX ? NPY_INT8 : categories < INT16_MAX ? NPY_INT16
             : categories < INT32_MAX ? NPY_INT32 : NPY_INT64;
    npy_intp dims[1] = {rows};
    PyArrayObject *codes = frozen_array(1, dims, type);
    if (codes == NULL)
        return NULL;
    char *data = PyArray_DATA(codes);
    for (Py_ssize_t r = 0; r < rows; r++) {
        Py_ssize_t code = r / repeat % categories;
        switch (type) {
        case NPY_INT8: ((int8_t *)data)[r] = (int8_t)code; break;
        case NPY_INT16: ((int16_t *)data)[r] = (int16_t)code; break;
        case NPY_INT32: ((int32_t *)data)[r] = (int32_t)code; break;
        default: ((int64_t *)data)[r] = (int64_t)code;
        }
    }
    return (PyObject *)codes;
}

/* FrozenList([a, b]) */
static PyObject *
frozen_pair(PandasBuilderObject *b, PyObject *first, PyObject *second)
{
    PyObject *pair = PyList_New(2);
    if (pair == NULL)
        return NULL;
    Py_INCREF(first);
    PyList_SET_ITEM(pair, 0, first);
    Py_INCREF(second);
    PyList_SET_ITEM(pair, 1, second);
    PyObject *frozen = PyObject_CallOneArg((PyObject *)b->frozen_list_type, pair);
    Py_DECREF(pair);
    return frozen;
}

/* pd.MultiIndex(levels=[dates, assets], codes=..., names=[dt_label, None],
   verify_integrity=False) for rows ordered by date, then asset. `dates` is a fresh
   DatetimeIndex of `count` dates, made by the core (pandas takes the codes unchecked:
   its length is not asked of it again): it takes dt_label as its name, as upstream's
   level has it. count * width is the block's row count, which the caller has. */
static PyObject *
fields_multi_index(PandasBuilderObject *b, PyObject *dates, Py_ssize_t count,
                   PyObject *assets, PyObject *dt_label)
{
    Py_ssize_t width = PyTuple_GET_SIZE(assets);
    PyObject *asset_level = NULL, *date_codes = NULL, *asset_codes = NULL;
    PyObject *levels = NULL, *codes = NULL, *index = NULL;
    if (PyObject_GenericSetAttr(dates, str_name, dt_label) < 0)
        return NULL;
    if ((asset_level = build_object_index(b, assets, Py_None)) == NULL ||
        (date_codes = level_codes(count * width, count, width)) == NULL ||
        (asset_codes = level_codes(count * width, width, 1)) == NULL ||
        (levels = frozen_pair(b, dates, asset_level)) == NULL ||
        (codes = frozen_pair(b, date_codes, asset_codes)) == NULL)
        goto done;
    index = build_bare(b->multi_index_type, b->no_args);
    if (index == NULL ||
        build_set_stolen(index, str_cache, PyDict_New()) < 0 ||
        PyObject_GenericSetAttr(index, str_levels, levels) < 0 ||
        PyObject_GenericSetAttr(index, str_codes, codes) < 0 ||
        build_set_stolen(index, str_names, Py_BuildValue("[OO]", dt_label, Py_None)) < 0 ||
        PyObject_GenericSetAttr(index, str_sortorder, Py_None) < 0 ||
        build_set_stolen(index, str_id,
                         PyObject_CallNoArgs((PyObject *)&PyBaseObject_Type)) < 0 ||
        PyObject_GenericSetAttr(index, str_references, Py_None) < 0)
        Py_CLEAR(index);
done:
    Py_XDECREF(asset_level);
    Py_XDECREF(date_codes);
    Py_XDECREF(asset_codes);
    Py_XDECREF(levels);
    Py_XDECREF(codes);
    return index;
}

/* The frame of a (fields, dates x assets) float64 block: rows (date, asset) over the
   fresh DatetimeIndex `dates`, `assets` sorted and unique, columns the `fields`. */
PyObject *
build_fields_frame(PandasBuilderObject *b, PyObject *block, PyObject *dates,
                   Py_ssize_t count, PyObject *assets, PyObject *fields, PyObject *dt_label)
{
    PyObject *frame = NULL;
    PyObject *index = fields_multi_index(b, dates, count, assets, dt_label);
    if (index == NULL)
        return NULL;
    PyObject *columns = build_object_index(b, fields, str_fields_name);
    if (columns != NULL)
        frame = build_frame(b, block, index, NULL, columns);
    Py_DECREF(index);
    Py_XDECREF(columns);
    return frame;
}

/* The frame of `fields` for `assets` (tuples: the fields unique, the assets sorted and
   unique), each window `count` rows filled by fill(state, ...) and multiplied by its
   field's scale if any (upstream scales a field's windows by one ratio), over `dates`
   (stolen), its values int64 if `sid_ints` (history_sid_ints);
   or the reason (a str) a window is not served, or NULL with an error set. */
PyObject *
history_fields(PandasBuilderObject *b, window_fill fill, void *state, PyObject *assets,
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
                out = why ? history_reason(why) : NULL;
                goto done;
            }
            if (scales != NULL)
                history_scale(window, count, scales[f]);
            for (Py_ssize_t i = 0; i < count; i++)
                column[i * width + j] = window[i];
        }
    }
    if (sid_ints) {
        Py_SETREF(block, history_sid_ints(block));
        if (block == NULL)
            goto done;
    }
    if ((out = build_fields_frame(b, block, dates, count, assets, fields, dt_label)) != NULL)
        history_served();
done:
    PyMem_Free(window);
    Py_XDECREF(block);
    Py_DECREF(dates);
    return out;
}

/* The assets and fields of a fields(dt, assets, fields, bar_count) call: 0, or -1 with
   a TypeError set. */
int
history_check_fields_args(Py_ssize_t nargs, PyObject *const *args)
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
