/* BarData.current's Series and DataFrames, from the spot values of spot.c.
 *
 * Upstream builds them from dicts: pd.Series(data={asset: value}, index=assets,
 * name=field), pd.Series(data={field: value}, index=fields, name=asset.symbol), and
 * pd.DataFrame of one such Series per field. pandas infers each column's dtype from its
 * values: int64 when every value is an int (volumes), float64 when they are floats or
 * ints and floats. Times (last_traded) make other dtypes: those calls, and lists with
 * repeated items (the DataFrame then fails to align its Series), are left to upstream.
 * Here the values are read into a fresh array and the objects assembled by the
 * PandasBuilder (objects.c), with object Indexes of the assets and the fields.
 */
#include "current.h"
#include "objects.h"
#include "reasons.h"
#include "spot.h"

static PyObject *str_symbol;

/* The items of a list or tuple, as a new tuple (a snapshot the caller's code cannot
   change), or NULL with no error set for anything else or an empty one. */
static PyObject *
items_of(PyObject *sequence)
{
    if ((!PyList_CheckExact(sequence) && !PyTuple_CheckExact(sequence)) ||
        PySequence_Size(sequence) == 0)
        return NULL;
    return PySequence_Tuple(sequence);
}

/* 1 when the items are all different, 0 when one repeats, -1 on error. */
static int
all_different(PyObject *items)
{
    PyObject *set = PySet_New(items);
    if (set == NULL)
        return -1;
    int different = PySet_GET_SIZE(set) == PyTuple_GET_SIZE(items);
    Py_DECREF(set);
    return different;
}

/* Reads field of each asset into reads: 1, 0 with *why, -1 on error. */
static int
read_assets(SpotObject *self, PyObject *assets, PyObject *field, PyObject *dt,
            PyObject *frequency, SpotRead *reads, PyObject **why)
{
    for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(assets); j++) {
        SpotCall call;
        int fast = fp_spot_call(self, PyTuple_GET_ITEM(assets, j), field, dt, frequency, &call,
                                why);
        if (fast > 0)
            fast = fp_spot_read(&call, &reads[j], why);
        fp_spot_call_done(&call);
        if (fast <= 0)
            return fast;
        if (reads[j].kind != V_FLOAT && reads[j].kind != V_INT) {
            *why = FP_WHY(TIMES);
            return 0;
        }
    }
    return 1;
}

/* The values as pandas infers their dtype from the Python objects: a new int64 array
   when all are ints, else float64. */
static int
all_ints(const SpotRead *reads, Py_ssize_t count)
{
    for (Py_ssize_t j = 0; j < count; j++)
        if (reads[j].kind != V_INT)
            return 0;
    return 1;
}

static PyObject *
column_values(const SpotRead *reads, Py_ssize_t count, int *ints)
{
    *ints = all_ints(reads, count);
    npy_intp size = count;
    PyArrayObject *values = (PyArrayObject *)PyArray_SimpleNew(1, &size,
                                                               *ints ? NPY_INT64 : NPY_FLOAT64);
    if (values == NULL)
        return NULL;
    for (Py_ssize_t j = 0; j < count; j++) {
        if (*ints)
            ((int64_t *)PyArray_DATA(values))[j] = reads[j].count;
        else
            ((double *)PyArray_DATA(values))[j] =
                reads[j].kind == V_INT ? (double)reads[j].count : reads[j].real;
    }
    return (PyObject *)values;
}

/* The Series of values over the labels, named name. */
static PyObject *
series_of(SpotObject *self, const SpotRead *reads, PyObject *labels, PyObject *name)
{
    PandasBuilderObject *b = (PandasBuilderObject *)self->builder;
    int ints;
    PyObject *values = column_values(reads, PyTuple_GET_SIZE(labels), &ints);
    if (values == NULL)
        return NULL;
    PyObject *index = fp_build_object_index(b, labels, Py_None);
    PyObject *series = index == NULL ? NULL : fp_build_series(b, values, index, name);
    Py_XDECREF(index);
    Py_DECREF(values);
    return series;
}

/* The arguments' count and a builder: 1, 0 (no builder: pandas' own constructors are
   upstream's), -1 on error. */
static int
check_call(SpotObject *self, Py_ssize_t nargs, const char *name)
{
    if (nargs != 4) {
        PyErr_Format(PyExc_TypeError, "%s() takes 4 arguments (%zd given)", name, nargs);
        return -1;
    }
    return self->builder == Py_None ? 0 : 1;
}

/* What a method returns when the core leaves the call to upstream: a new reference to
   the reason, or NULL when an error is set. */
static PyObject *
leave(PyObject *why)
{
    return PyErr_Occurred() ? NULL : Py_NewRef(why);
}

/* current(assets, field): a Series over the assets, named field. */
PyObject *
fp_spot_current_series(SpotObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    int ready = check_call(self, nargs, "current_series");
    if (ready <= 0)
        return ready < 0 ? NULL : leave(FP_WHY(PANDAS_INTERNALS));
    PyObject *assets = items_of(args[0]);
    if (assets == NULL)
        return leave(FP_WHY(FORM));
    PyObject *why = FP_WHY(FORM), *result = NULL;
    SpotRead *reads = PyMem_Calloc((size_t)PyTuple_GET_SIZE(assets), sizeof(SpotRead));
    if (reads == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    /* the items are checked by the reads before they are hashed together */
    int fast = read_assets(self, assets, args[1], args[2], args[3], reads, &why);
    if (fast > 0 && (fast = all_different(assets)) == 0)
        why = FP_WHY(REPEATED_ITEMS);
    if (fast > 0) {
        result = series_of(self, reads, assets, args[1]);
        if (result != NULL)
            fp_spot_served += PyTuple_GET_SIZE(assets);
    }
    else if (fast == 0)
        result = Py_NewRef(why);
done:
    PyMem_Free(reads);
    Py_DECREF(assets);
    return result;
}

/* current(asset, fields): a Series over the fields, named the asset's symbol. */
PyObject *
fp_spot_current_fields(SpotObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    int ready = check_call(self, nargs, "current_fields");
    if (ready <= 0)
        return ready < 0 ? NULL : leave(FP_WHY(PANDAS_INTERNALS));
    PyObject *fields = items_of(args[1]);
    if (fields == NULL)
        return leave(FP_WHY(FORM));
    PyObject *why = FP_WHY(FORM), *result = NULL, *name = NULL;
    Py_ssize_t count = PyTuple_GET_SIZE(fields);
    SpotRead *reads = PyMem_Calloc((size_t)count, sizeof(SpotRead));
    if (reads == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    int fast = 1;
    for (Py_ssize_t i = 0; fast > 0 && i < count; i++) {
        PyObject *one = PyTuple_Pack(1, args[0]);
        if (one == NULL) {
            fast = -1;
            break;
        }
        fast = read_assets(self, one, PyTuple_GET_ITEM(fields, i), args[2], args[3],
                           &reads[i], &why);
        Py_DECREF(one);
    }
    if (fast > 0 && (fast = all_different(fields)) == 0)
        why = FP_WHY(REPEATED_ITEMS);
    if (fast > 0 && (name = PyObject_GetAttr(args[0], str_symbol)) == NULL)
        fast = -1;
    if (fast > 0) {
        result = series_of(self, reads, fields, name);
        if (result != NULL)
            fp_spot_served += count;
    }
    else if (fast == 0)
        result = Py_NewRef(why);
done:
    Py_XDECREF(name);
    PyMem_Free(reads);
    Py_DECREF(fields);
    return result;
}

/* The frame's blocks, one of its float64 columns and one of its int64 ones, in the order
   pandas leaves them, each a (columns, assets) array with the positions of its
   columns. */
static PyObject *
frame_of(SpotObject *self, const SpotRead *reads, PyObject *assets, PyObject *fields)
{
    PandasBuilderObject *b = (PandasBuilderObject *)self->builder;
    Py_ssize_t rows = PyTuple_GET_SIZE(assets), width = PyTuple_GET_SIZE(fields);
    PyObject *values = NULL, *positions = NULL, *index = NULL, *columns = NULL;
    PyObject *frame = NULL;
    int *ints = PyMem_Calloc((size_t)width, sizeof(int));
    if (ints == NULL)
        return PyErr_NoMemory();
    Py_ssize_t int_columns = 0;
    for (Py_ssize_t i = 0; i < width; i++)
        int_columns += ints[i] = all_ints(reads + i * rows, rows);
    Py_ssize_t groups = (int_columns > 0) + (int_columns < width);
    values = PyTuple_New(groups);
    positions = PyTuple_New(groups);
    if (values == NULL || positions == NULL)
        goto done;
    /* DataFrame(dict) forms a block of each run of columns of one dtype, in the order
       of the columns; consolidation then merges a dtype's runs and sorts the blocks by
       dtype name (float64 first) only when a dtype lies in more than one run */
    Py_ssize_t runs = 1;
    for (Py_ssize_t i = 1; i < width; i++)
        runs += ints[i] != ints[i - 1];
    int int_first = runs == groups && ints[0];
    Py_ssize_t group = 0;
    for (int pass = 0; pass < 2; pass++) {
        int want_ints = int_first ? !pass : pass;
        npy_intp k = want_ints ? int_columns : width - int_columns;
        if (k == 0)
            continue;
        npy_intp shape[2] = {k, rows};
        PyArrayObject *block = (PyArrayObject *)PyArray_SimpleNew(
            2, shape, want_ints ? NPY_INT64 : NPY_FLOAT64);
        PyArrayObject *at = (PyArrayObject *)PyArray_SimpleNew(1, &k, NPY_INT64);
        if (block == NULL || at == NULL) {
            Py_XDECREF(block);
            Py_XDECREF(at);
            goto done;
        }
        PyTuple_SET_ITEM(values, group, (PyObject *)block);
        PyTuple_SET_ITEM(positions, group, (PyObject *)at);
        group++;
        npy_intp row = 0;
        for (Py_ssize_t i = 0; i < width; i++) {
            if (ints[i] != want_ints)
                continue;
            ((int64_t *)PyArray_DATA(at))[row] = i;
            const SpotRead *column = reads + i * rows;
            for (Py_ssize_t j = 0; j < rows; j++) {
                if (want_ints)
                    ((int64_t *)PyArray_GETPTR2(block, row, j))[0] = column[j].count;
                else
                    ((double *)PyArray_GETPTR2(block, row, j))[0] =
                        column[j].kind == V_INT ? (double)column[j].count : column[j].real;
            }
            row++;
        }
    }
    index = fp_build_object_index(b, assets, Py_None);
    columns = index == NULL ? NULL : fp_build_object_index(b, fields, Py_None);
    if (columns != NULL)
        frame = fp_build_frame_of_blocks(b, values, positions, index, columns);
done:
    PyMem_Free(ints);
    Py_XDECREF(values);
    Py_XDECREF(positions);
    Py_XDECREF(index);
    Py_XDECREF(columns);
    return frame;
}

/* current(assets, fields): a DataFrame, the assets down and the fields across. */
PyObject *
fp_spot_current_frame(SpotObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    int ready = check_call(self, nargs, "current_frame");
    if (ready <= 0)
        return ready < 0 ? NULL : leave(FP_WHY(PANDAS_INTERNALS));
    PyObject *assets = items_of(args[0]);
    if (assets == NULL)
        return leave(FP_WHY(FORM));
    PyObject *fields = items_of(args[1]);
    if (fields == NULL) {
        Py_DECREF(assets);
        return leave(FP_WHY(FORM));
    }
    PyObject *why = FP_WHY(FORM), *result = NULL;
    Py_ssize_t rows = PyTuple_GET_SIZE(assets), width = PyTuple_GET_SIZE(fields);
    SpotRead *reads = NULL;
    if (width > PY_SSIZE_T_MAX / (Py_ssize_t)sizeof(SpotRead) / rows) {
        PyErr_NoMemory();
        goto done;
    }
    reads = PyMem_Calloc((size_t)(rows * width), sizeof(SpotRead));
    if (reads == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    int fast = 1;
    for (Py_ssize_t i = 0; fast > 0 && i < width; i++)
        fast = read_assets(self, assets, PyTuple_GET_ITEM(fields, i), args[2], args[3],
                           reads + i * rows, &why);
    if (fast > 0 && (fast = all_different(assets)) > 0)
        fast = all_different(fields);
    if (fast == 0 && why == FP_WHY(FORM))
        why = FP_WHY(REPEATED_ITEMS);  /* the reads all answered: a list repeats an item */
    if (fast > 0) {
        result = frame_of(self, reads, assets, fields);
        if (result != NULL)
            fp_spot_served += rows * width;
    }
    else if (fast == 0)
        result = Py_NewRef(why);
done:
    PyMem_Free(reads);
    Py_DECREF(assets);
    Py_DECREF(fields);
    return result;
}

int
fp_current_init_strings(void)
{
    return (str_symbol = PyUnicode_InternFromString("symbol")) == NULL ? -1 : 0;
}
