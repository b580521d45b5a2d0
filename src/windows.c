/* AdjustedColumn: the adjusted, rounded history of one (asset, field, perspective).
 *
 * zipline's AdjustedArrayWindow multiplies row r by every adjustment whose index a
 * satisfies r < a <= end + perspective, in index order (and, within an index, in the
 * order the adjustment reader lists them), then rounds with ndarray.round. That is path
 * independent: every window ending between two adjustments reads the same numbers. So a
 * column keeps one rounded *version* of all its rows and serves every window length from
 * it; passing an adjustment makes a new version and leaves the old one, and any view of
 * it, unchanged. The version before is kept too: clocks either side of an adjustment
 * (threads on one portal, a strategy looking back) share two versions instead of
 * rebuilding one at every switch.
 *
 * What reaches pandas is a fresh, writable copy of the window, as upstream hands out: a
 * strategy may write into it. Copying 2000 rows costs about 0.3 us here, a private
 * copy-on-write mapping about 6.6 us, so the copy is the cheaper way to make writes safe.
 *
 * A column may hold a segment of the reader's rows: row 0 is reader row first_row (a
 * minute column holds the rows around the simulation's clock, not the whole bundle).
 * The functions for the other files take reader rows; inside, rows are the column's.
 */
#include "windows.h"
#include "arguments.h"
#include "arrays.h"
#include "calendar.h"
#include "ranges.h"

#include <math.h>
#include <string.h>

typedef struct {
    PyObject_HEAD
    Py_ssize_t first_row;   /* the reader row of row 0 */
    Py_ssize_t rows;
    double *raw;            /* as the bar reader gave it */
    PyArrayObject *version; /* raw times adjustments[0:applied], rounded; read-only, and
                               views handed out keep it alive */
    PyArrayObject *previous; /* the version made before it (adjustments[0:previous_applied]),
                                or NULL */
    Py_ssize_t previous_applied;
    int64_t *adj_loc;       /* ascending; an adjustment at loc multiplies rows [0, loc) */
    double *adj_value;
    Py_ssize_t adjustments;
    Py_ssize_t applied;
    Py_ssize_t perspective;
    int additive;           /* adjustments add (a continuous future's "add" rolls) */
    double scale;           /* 10 ** decimals, as NumPy computes it */
    Py_ssize_t first_alive; /* rows first_alive..last_alive: the asset is alive */
    Py_ssize_t last_alive;  /* rows after this one are NaN in a price window */
    PyObject *seed;         /* seed(start, end) -> float, for a price window's leading gap */
    Py_ssize_t versions_made;
} AdjustedColumnObject;

/* NumPy's power_of_ten (multiarray/calculation.c), so the scale is bit-identical. */
static double
power_of_ten(int n)
{
    static const double p10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};
    if (n < 9)
        return p10[n];
    double ret = 1e9;
    while (n-- > 9)
        ret *= 10.;
    return ret;
}

/* ndarray.round(decimals) for decimals >= 0, in place: multiply, rint, divide. */
static void
round_in_place(double *values, Py_ssize_t n, double scale)
{
    for (Py_ssize_t i = 0; i < n; i++)
        values[i] = rint(values[i] * scale) / scale;
}

/* out = raw times adjustments[0:upto] (plus them, for an additive column), each row
   adjusted in the adjustments' order as upstream adjusts it. Made from raw every time rather than kept unrounded between
   versions: a version is rare (one per adjustment passed), memory is held for the run. */
static void
apply_adjustments(AdjustedColumnObject *self, Py_ssize_t upto, double *out)
{
    memcpy(out, self->raw, self->rows * sizeof(double));
    for (Py_ssize_t k = 0; k < upto; k++) {
        Py_ssize_t stop = (Py_ssize_t)self->adj_loc[k];
        double value = self->adj_value[k];
        if (stop > self->rows)
            stop = self->rows;
        if (self->additive)
            for (Py_ssize_t r = 0; r < stop; r++)
                out[r] += value;
        else
            for (Py_ssize_t r = 0; r < stop; r++)
                out[r] *= value;
    }
}

/* Make the current version the one that serves windows ending at `end`: the current
   one, the previous one (the two swap), or a new one (the current becomes the previous). */
static int
ensure_version(AdjustedColumnObject *self, Py_ssize_t end)
{
    int64_t cutoff = (int64_t)end + self->perspective;
    Py_ssize_t wanted = fp_sorted_position(self->adj_loc, self->adjustments, cutoff + 1);
    if (self->version != NULL && wanted == self->applied)
        return 0;
    if (self->previous != NULL && wanted == self->previous_applied) {
        PyArrayObject *swap = self->version;
        self->version = self->previous;
        self->previous = swap;
        self->previous_applied = self->applied;
        self->applied = wanted;
        return 0;
    }
    npy_intp dims[1] = {self->rows};
    PyArrayObject *version = fp_frozen_array(1, dims, NPY_FLOAT64);
    if (version == NULL)
        return -1;
    double *values = (double *)PyArray_DATA(version);
    apply_adjustments(self, wanted, values);
    round_in_place(values, self->rows, self->scale);
    Py_XSETREF(self->previous, self->version);
    self->previous_applied = self->applied;
    self->version = version;
    self->applied = wanted;
    self->versions_made++;
    return 0;
}

static const double *
window_start(AdjustedColumnObject *self, Py_ssize_t end, Py_ssize_t count)
{
    if (fp_check_window(end, count, self->rows) < 0 || ensure_version(self, end) < 0)
        return NULL;
    return (const double *)PyArray_DATA(self->version) + (end - count + 1);
}

/* A price window: close, its leading gap seeded as upstream seeds it, forward filled,
   NaN after the asset's end date. Returns -1 with an error set. */
static int
fill_price(AdjustedColumnObject *self, Py_ssize_t end, Py_ssize_t count, double *out)
{
    Py_ssize_t start = end - count + 1;
    if (out[0] != out[0] && self->seed != NULL) {
        PyObject *seed = PyObject_CallFunction(self->seed, "nn", start, end);
        if (seed == NULL)
            return -1;
        double value = PyFloat_AsDouble(seed);
        Py_DECREF(seed);
        if (value == -1.0 && PyErr_Occurred())
            return -1;
        out[0] = value;
    }
    for (Py_ssize_t i = 1; i < count; i++)
        if (out[i] != out[i])
            out[i] = out[i - 1];
    if (self->last_alive < end) {
        Py_ssize_t first_dead = self->last_alive < start ? 0 : self->last_alive + 1 - start;
        for (Py_ssize_t i = first_dead; i < count; i++)
            out[i] = NAN;
    }
    return 0;
}

static Py_ssize_t
nan_count(const double *values, Py_ssize_t count)
{
    Py_ssize_t gaps = 0;
    for (Py_ssize_t i = 0; i < count; i++)
        gaps += values[i] != values[i];
    return gaps;
}

/* Copy the window (as a price window if `price`) into out. */
static int
fill_window(AdjustedColumnObject *self, Py_ssize_t end, Py_ssize_t count, int price,
            double *out)
{
    const double *src = window_start(self, end, count);
    if (src == NULL)
        return -1;
    memcpy(out, src, count * sizeof(double));
    /* The scan of the fresh copy costs less than the copy itself. */
    if (price && (end > self->last_alive || nan_count(out, count) > 0))
        return fill_price(self, end, count, out);
    return 0;
}

static PyObject *
new_window(AdjustedColumnObject *self, Py_ssize_t end, Py_ssize_t count, int price)
{
    if (fp_check_window(end, count, self->rows) < 0)
        return NULL;
    npy_intp dims[1] = {count};
    PyObject *out = PyArray_SimpleNew(1, dims, NPY_FLOAT64);
    if (out == NULL)
        return NULL;
    if (fill_window(self, end, count, price, (double *)PyArray_DATA((PyArrayObject *)out)) <
        0) {
        Py_DECREF(out);
        return NULL;
    }
    return out;
}

/* The column's row of a reader row; -1, outside every window, for one before it. */
static Py_ssize_t
local_row(AdjustedColumnObject *self, Py_ssize_t row)
{
    return row < self->first_row ? -1 : row - self->first_row;
}

static AdjustedColumnObject *
as_column(PyObject *column)
{
    if (!PyObject_TypeCheck(column, &fp_AdjustedColumn_Type)) {
        PyErr_Format(PyExc_TypeError, "expected an AdjustedColumn, got %.200s",
                     Py_TYPE(column)->tp_name);
        return NULL;
    }
    return (AdjustedColumnObject *)column;
}

/* 1 when the column holds reader rows first..last, 0 when not, -1 on error. */
int
fp_column_covers(PyObject *column, Py_ssize_t first, Py_ssize_t last)
{
    AdjustedColumnObject *self = as_column(column);
    if (self == NULL)
        return -1;
    return self->first_row <= first && first <= last && last - self->first_row < self->rows;
}

/* For partial_day.c: the raw reader rows first..last (as the bar reader gave them), NULL
   with an error set when they are not all in the column. */
const double *
fp_column_raw(PyObject *column, Py_ssize_t first, Py_ssize_t last)
{
    AdjustedColumnObject *self = as_column(column);
    if (self == NULL)
        return NULL;
    first = local_row(self, first);
    last = local_row(self, last);
    if (first < 0 || first > last || last >= self->rows) {
        PyErr_Format(PyExc_IndexError, "rows %zd..%zd are outside the column's %zd rows",
                     first, last, self->rows);
        return NULL;
    }
    return self->raw + first;
}

/* For partial_day.c: 1 when the asset is alive at row, 0 when not, -1 on error. */
int
fp_column_alive(PyObject *column, Py_ssize_t row)
{
    AdjustedColumnObject *self = as_column(column);
    if (self == NULL)
        return -1;
    row = local_row(self, row);
    return row >= 0 && self->first_alive <= row && row <= self->last_alive;
}

/* For partial_day.c: the price fill of a window already in out, rows end-count+1..end. */
int
fp_column_price_fill(PyObject *column, Py_ssize_t end, Py_ssize_t count, double *out)
{
    AdjustedColumnObject *self = as_column(column);
    if (self == NULL || fp_check_window(end = local_row(self, end), count, self->rows) < 0)
        return -1;
    if (end > self->last_alive || nan_count(out, count) > 0)
        return fill_price(self, end, count, out);
    return 0;
}

/* Copy a column's window (a price window if `price`) into out, for history.c and
   partial_day.c. */
int
fp_column_fill(PyObject *column, Py_ssize_t end, Py_ssize_t count, int price, double *out)
{
    AdjustedColumnObject *self = as_column(column);
    if (self == NULL || fp_check_window(end = local_row(self, end), count, self->rows) < 0)
        return -1;
    return fill_window(self, end, count, price, out);
}

/* A fresh array of a column's window (a price window if `price`), for history.c. */
PyObject *
fp_column_window(PyObject *column, Py_ssize_t end, Py_ssize_t count, int price)
{
    AdjustedColumnObject *self = as_column(column);
    return self == NULL ? NULL : new_window(self, local_row(self, end), count, price);
}

/* ---- construction ---------------------------------------------------------------- */

static PyObject *
AdjustedColumn_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"raw",        "adjustment_locs", "adjustment_values",
                             "decimals",   "perspective",     "last_alive",
                             "seed",       "first_alive",     "first_row",
                             "additive",   NULL};
    PyObject *raw_obj, *locs_obj, *values_obj, *seed = Py_None;
    int decimals, additive = 0;
    Py_ssize_t perspective, last_alive = PY_SSIZE_T_MAX, first_alive = 0, first_row = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOin|nOnnp:AdjustedColumn", kwlist,
                                     &raw_obj, &locs_obj, &values_obj, &decimals,
                                     &perspective, &last_alive, &seed, &first_alive,
                                     &first_row, &additive))
        return NULL;
    if (decimals < 0 || decimals > 300) {
        PyErr_Format(PyExc_ValueError, "decimals must be in 0..300, got %d", decimals);
        return NULL;
    }
    if (perspective != 0 && perspective != 1) {
        PyErr_Format(PyExc_ValueError, "perspective must be 0 or 1, got %zd", perspective);
        return NULL;
    }
    if (first_row < 0 || first_row > PY_SSIZE_T_MAX / 2) {
        PyErr_Format(PyExc_ValueError, "first_row must be a reader row, got %zd", first_row);
        return NULL;
    }
    if (seed != Py_None && !PyCallable_Check(seed)) {
        PyErr_SetString(PyExc_TypeError, "seed must be callable or None");
        return NULL;
    }

    PyArrayObject *raw = NULL, *locs = NULL, *values = NULL;
    AdjustedColumnObject *self = NULL;
    /* one at a time: a conversion must not run with the last one's error pending */
    if ((raw = fp_float64_vector(raw_obj, "raw")) == NULL ||
        (locs = fp_int64_vector(locs_obj, "adjustment_locs")) == NULL ||
        (values = fp_float64_vector(values_obj, "adjustment_values")) == NULL)
        goto fail;
    Py_ssize_t rows = PyArray_DIM(raw, 0), adjustments = PyArray_DIM(locs, 0);
    if (rows < 1) {
        PyErr_SetString(PyExc_ValueError, "raw must hold at least one row");
        goto fail;
    }
    if (PyArray_DIM(values, 0) != adjustments) {
        PyErr_SetString(PyExc_ValueError,
                        "adjustment_locs and adjustment_values must have the same length");
        goto fail;
    }
    const int64_t *loc = (const int64_t *)PyArray_DATA(locs);
    for (Py_ssize_t k = 0; k < adjustments; k++) {
        if (loc[k] < 0 || (k > 0 && loc[k] < loc[k - 1])) {
            PyErr_SetString(PyExc_ValueError,
                            "adjustment_locs must be non-negative and ascending");
            goto fail;
        }
    }

    self = (AdjustedColumnObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        goto fail;
    self->first_row = first_row;
    self->rows = rows;
    self->adjustments = adjustments;
    self->raw = PyMem_Malloc(rows * sizeof(double));
    self->adj_loc = PyMem_Malloc((adjustments + 1) * sizeof(int64_t));
    self->adj_value = PyMem_Malloc((adjustments + 1) * sizeof(double));
    if (!self->raw || !self->adj_loc || !self->adj_value) {
        PyErr_NoMemory();
        goto fail;
    }
    memcpy(self->raw, PyArray_DATA(raw), rows * sizeof(double));
    memcpy(self->adj_loc, loc, adjustments * sizeof(int64_t));
    memcpy(self->adj_value, PyArray_DATA(values), adjustments * sizeof(double));
    self->perspective = perspective;
    self->additive = additive;
    self->scale = power_of_ten(decimals);
    self->first_alive = first_alive;
    self->last_alive = last_alive;
    if (seed != Py_None) {
        Py_INCREF(seed);
        self->seed = seed;
    }
    Py_DECREF(raw);
    Py_DECREF(locs);
    Py_DECREF(values);
    return (PyObject *)self;
fail:
    Py_XDECREF(raw);
    Py_XDECREF(locs);
    Py_XDECREF(values);
    Py_XDECREF(self);
    return NULL;
}

static int
AdjustedColumn_traverse(AdjustedColumnObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->seed);
    return 0;
}

static int
AdjustedColumn_clear(AdjustedColumnObject *self)
{
    Py_CLEAR(self->seed);
    return 0;
}

static void
AdjustedColumn_dealloc(AdjustedColumnObject *self)
{
    PyObject_GC_UnTrack(self);
    AdjustedColumn_clear(self);
    Py_CLEAR(self->version);
    Py_CLEAR(self->previous);
    PyMem_Free(self->raw);
    PyMem_Free(self->adj_loc);
    PyMem_Free(self->adj_value);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* ---- methods --------------------------------------------------------------------- */

static PyObject *
AdjustedColumn_view(AdjustedColumnObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Py_ssize_t end, count;
    if (fp_parse_end_and_count(args, nargs, "view", &end, &count) < 0)
        return NULL;
    end = local_row(self, end);
    if (window_start(self, end, count) == NULL)
        return NULL;
    return fp_readonly_view(self->version, end - count + 1, count);
}

static PyObject *
AdjustedColumn_copy(AdjustedColumnObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Py_ssize_t end, count;
    if (fp_parse_end_and_count(args, nargs, "copy", &end, &count) < 0)
        return NULL;
    end = local_row(self, end);
    return new_window(self, end, count, 0);
}

static PyObject *
AdjustedColumn_price(AdjustedColumnObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Py_ssize_t end, count;
    if (fp_parse_end_and_count(args, nargs, "price", &end, &count) < 0)
        return NULL;
    end = local_row(self, end);
    return new_window(self, end, count, 1);
}

static PyObject *
AdjustedColumn_gaps(AdjustedColumnObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Py_ssize_t end, count;
    if (fp_parse_end_and_count(args, nargs, "gaps", &end, &count) < 0)
        return NULL;
    end = local_row(self, end);
    const double *values = window_start(self, end, count);
    if (values == NULL)
        return NULL;
    return PyLong_FromSsize_t(nan_count(values, count));
}

static PyObject *
AdjustedColumn_covers(AdjustedColumnObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Py_ssize_t first, last;
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "covers() takes first and last (%zd given)", nargs);
        return NULL;
    }
    if ((first = PyLong_AsSsize_t(args[0])) == -1 && PyErr_Occurred())
        return NULL;
    if ((last = PyLong_AsSsize_t(args[1])) == -1 && PyErr_Occurred())
        return NULL;
    return PyBool_FromLong(fp_column_covers((PyObject *)self, first, last));
}

static PyMethodDef AdjustedColumn_methods[] = {
    {"view", (PyCFunction)(void (*)(void))AdjustedColumn_view, METH_FASTCALL,
     "view(end, count) -> read-only, zero-copy view of the adjusted rows end-count+1..end."},
    {"copy", (PyCFunction)(void (*)(void))AdjustedColumn_copy, METH_FASTCALL,
     "copy(end, count) -> the same rows as a fresh, writable array."},
    {"price", (PyCFunction)(void (*)(void))AdjustedColumn_price, METH_FASTCALL,
     "price(end, count) -> the rows as zipline's 'price': forward filled, the leading gap "
     "seeded, NaN after the last live row."},
    {"gaps", (PyCFunction)(void (*)(void))AdjustedColumn_gaps, METH_FASTCALL,
     "gaps(end, count) -> how many rows of the window are NaN."},
    {"covers", (PyCFunction)(void (*)(void))AdjustedColumn_covers, METH_FASTCALL,
     "covers(first, last) -> whether the column holds reader rows first..last."},
    {NULL, NULL, 0, NULL},
};

static PyObject *
AdjustedColumn_get_versions_made(AdjustedColumnObject *self, void *closure)
{
    (void)closure;
    return PyLong_FromSsize_t(self->versions_made);
}

static PyObject *
AdjustedColumn_get_rows(AdjustedColumnObject *self, void *closure)
{
    (void)closure;
    return PyLong_FromSsize_t(self->rows);
}

static PyObject *
AdjustedColumn_get_first_row(AdjustedColumnObject *self, void *closure)
{
    (void)closure;
    return PyLong_FromSsize_t(self->first_row);
}

/* What the column holds for the run: raw rows, its versions, the adjustments. */
static PyObject *
AdjustedColumn_get_nbytes(AdjustedColumnObject *self, void *closure)
{
    (void)closure;
    Py_ssize_t version = ((self->version != NULL) + (self->previous != NULL)) * self->rows *
                         (Py_ssize_t)sizeof(double);
    return PyLong_FromSsize_t(self->rows * (Py_ssize_t)sizeof(double) + version +
                              (self->adjustments + 1) *
                                  (Py_ssize_t)(sizeof(int64_t) + sizeof(double)));
}

static PyGetSetDef AdjustedColumn_getset[] = {
    {"nbytes", (getter)AdjustedColumn_get_nbytes, NULL,
     "bytes held: raw rows, the current and previous versions and the adjustments", NULL},
    {"versions_made", (getter)AdjustedColumn_get_versions_made, NULL,
     "how many adjusted versions this column has built", NULL},
    {"rows", (getter)AdjustedColumn_get_rows, NULL, "number of rows", NULL},
    {"first_row", (getter)AdjustedColumn_get_first_row, NULL,
     "the reader row of the column's first row", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject fp_AdjustedColumn_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "fastportal._core.AdjustedColumn",
    .tp_basicsize = sizeof(AdjustedColumnObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "AdjustedColumn(raw, adjustment_locs, adjustment_values, decimals, perspective, "
              "last_alive=None, seed=None, first_alive=0, first_row=0, additive=False): "
              "adjusted history of one asset and field, reader rows first_row.. (alive "
              "rows, adjustment locations and the seed's rows counted from first_row); "
              "additive: the adjustments add rather than multiply.",
    .tp_new = AdjustedColumn_new,
    .tp_dealloc = (destructor)AdjustedColumn_dealloc,
    .tp_traverse = (traverseproc)AdjustedColumn_traverse,
    .tp_clear = (inquiry)AdjustedColumn_clear,
    .tp_methods = AdjustedColumn_methods,
    .tp_getset = AdjustedColumn_getset,
};
