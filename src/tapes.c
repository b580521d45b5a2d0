/* SpotTape: one asset's bars in one bcolz reader, as its get_value reads them, for the
 * spot path (spot.c).
 *
 * A tape holds the reader's raw uint32 bars of the asset (open, high, low, close,
 * volume) over the reader's rows, the factor the reader multiplies a price by, and where
 * the rows lie: a daily tape's row 0 is a position among the reader's sessions; a minute
 * tape holds the reader's rows first.. of the asset's `length` (not all of them: a few
 * sessions around the simulation's clock), reader row r being slot r % minutes_per_day
 * of the session r / minutes_per_day, after its open. For the price's forward fill and
 * last_traded it also keeps, for each row, the last row at or before it that traded (a
 * counted row with a volume), computed once, and for a minute tape the last such row
 * before its rows (`prior`, with its close) and the reader's own record of searches that
 * found no trade (`known`: upstream reads and updates it, and so does the core).
 *
 * The geometry is checked whole on construction (sessions, opens increasing; each
 * session shorter than minutes_per_day; every row inside the opens; minutes whose
 * nanoseconds fit in int64), so that no lookup can leave the arrays or overflow.
 */
#include "tapes.h"
#include "arrays.h"
#include "ratios.h"

#define NANOS_PER_MINUTE INT64_C(60000000000)
/* Epoch minutes whose nanoseconds (and the minute after) fit in int64. */
#define MINUTE_LIMIT (INT64_MAX / NANOS_PER_MINUTE - 2)

static int
increasing(PyArrayObject *values)
{
    const int64_t *v = PyArray_DATA(values);
    for (Py_ssize_t i = 1; i < PyArray_DIM(values, 0); i++)
        if (v[i] <= v[i - 1])
            return 0;
    return 1;
}

static int
invalid(const char *message)
{
    PyErr_SetString(PyExc_ValueError, message);
    return -1;
}

/* The tape's geometry argument: daily (sessions) or minute (opens, closes, per day). */
static int
tape_geometry(SpotTapeObject *self, PyObject *sessions, PyObject *opens, PyObject *closes,
              Py_ssize_t minutes_per_day)
{
    if (sessions != Py_None) {
        if ((self->sessions = fp_int64_vector(sessions, "sessions")) == NULL)
            return -1;
        if (!increasing(self->sessions))
            return invalid("sessions must be increasing");
        return 0;
    }
    if ((self->opens = fp_int64_vector(opens, "opens")) == NULL ||
        (self->closes = fp_int64_vector(closes, "closes")) == NULL)
        return -1;
    Py_ssize_t days = PyArray_DIM(self->opens, 0);
    if (PyArray_DIM(self->closes, 0) != days || days == 0)
        return invalid("opens and closes must be of one non-zero length");
    if (minutes_per_day < 1 || minutes_per_day > 1440)
        return invalid("minutes_per_day must be in 1..1440");
    self->per_day = (long)minutes_per_day;  /* in 1..1440, checked */
    if (days > PY_SSIZE_T_MAX / minutes_per_day)
        return invalid("too many sessions");
    const int64_t *o = PyArray_DATA(self->opens), *c = PyArray_DATA(self->closes);
    for (Py_ssize_t i = 0; i < days; i++)
        if (o[i] < -MINUTE_LIMIT || c[i] > MINUTE_LIMIT || c[i] < o[i] ||
            c[i] - o[i] >= minutes_per_day || (i > 0 && o[i] <= c[i - 1]))
            return invalid("each session must open after the last one closed, close "
                           "within minutes_per_day of its open, in epoch minutes whose "
                           "nanoseconds fit in int64");
    return 0;
}

/* Whether a minute tape's row is a minute of its session (the slots after an early
   close are not), as the reader's last-traded search skips them. */
static int
row_counted(SpotTapeObject *self, Py_ssize_t row)
{
    if (self->opens == NULL)
        return 1;
    Py_ssize_t reader_row = self->first + row;
    Py_ssize_t day = reader_row / self->per_day;  /* inside the opens: checked */
    const int64_t *opens = PyArray_DATA(self->opens), *closes = PyArray_DATA(self->closes);
    return reader_row % self->per_day <= closes[day] - opens[day];
}

static int
tape_traded(SpotTapeObject *self)
{
    self->traded = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(self->rows ? self->rows : 1));
    if (self->traded == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    const uint32_t *volume = fp_tape_bars(self, BAR_VOLUME);
    Py_ssize_t last = -1;
    for (Py_ssize_t row = 0; row < self->rows; row++) {
        if (volume[row] != 0 && row_counted(self, row))
            last = row;
        self->traded[row] = last;
    }
    return 0;
}

/* The arguments of SpotTape(...), held: converting them runs Python code (__index__,
   __float__, __array__), which could drop the keyword dict they are borrowed from. */
enum { A_BARS, A_SCALE, A_FIRST, A_TIMELINE, A_ASSET_TYPE, A_SESSIONS, A_OPENS, A_CLOSES,
       A_PER_DAY, A_LENGTH, A_PRIOR, A_PRIOR_CLOSE, A_KNOWN, A_SID, A_COUNT };

static int
index_of(PyObject *obj, Py_ssize_t *out)
{
    PyObject *index = PyNumber_Index(obj);
    if (index == NULL)
        return -1;
    *out = PyLong_AsSsize_t(index);
    Py_DECREF(index);
    return *out == -1 && PyErr_Occurred() ? -1 : 0;
}

static PyObject *
tape_of(PyTypeObject *type, PyObject **a)
{
    Py_ssize_t first, length = -1, prior = -1, per_day = 0;
    double scale = PyFloat_AsDouble(a[A_SCALE]);
    if ((scale == -1.0 && PyErr_Occurred()) || index_of(a[A_FIRST], &first) < 0 ||
        (a[A_PER_DAY] != NULL && index_of(a[A_PER_DAY], &per_day) < 0) ||
        (a[A_LENGTH] != NULL && index_of(a[A_LENGTH], &length) < 0) ||
        (a[A_PRIOR] != NULL && index_of(a[A_PRIOR], &prior) < 0))
        return NULL;
    unsigned long prior_close = 0;
    if (a[A_PRIOR_CLOSE] != NULL) {
        if (!PyLong_Check(a[A_PRIOR_CLOSE])) {
            PyErr_SetString(PyExc_TypeError, "prior_close must be an int");
            return NULL;
        }
        prior_close = PyLong_AsUnsignedLongMask(a[A_PRIOR_CLOSE]);
        if (prior_close == (unsigned long)-1 && PyErr_Occurred())
            return NULL;
    }
    PyObject *timeline = a[A_TIMELINE], *asset_type = a[A_ASSET_TYPE];
    PyObject *sessions = a[A_SESSIONS], *opens = a[A_OPENS], *closes = a[A_CLOSES];
    PyObject *known = a[A_KNOWN], *sid = a[A_SID];
    if (timeline != Py_None && !PyObject_TypeCheck(timeline, &fp_AdjustmentTimeline_Type)) {
        PyErr_SetString(PyExc_TypeError, "timeline must be an AdjustmentTimeline or None");
        return NULL;
    }
    if (asset_type == NULL || !PyType_Check(asset_type) ||
        (known != Py_None && !PyDict_CheckExact(known))) {
        PyErr_SetString(PyExc_TypeError, "asset_type must be a type, known a dict or None");
        return NULL;
    }
    if ((sessions == Py_None) == (opens == Py_None) || (opens == Py_None) != (closes == Py_None)) {
        PyErr_SetString(PyExc_TypeError, "give either sessions or opens and closes");
        return NULL;
    }
    if (prior_close > UINT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "prior_close must be a uint32");
        return NULL;
    }
    SpotTapeObject *self = (SpotTapeObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->timeline = Py_NewRef(timeline);
    self->asset_type = Py_NewRef(asset_type);
    self->known = Py_NewRef(known);
    self->sid = Py_NewRef(sid);
    self->scale = scale;
    self->first = first;
    self->prior = prior;
    self->prior_close = (uint32_t)prior_close;
    PyArrayObject *in = (PyArrayObject *)PyArray_FROMANY(a[A_BARS], NPY_UINT32, 2, 2,
                                                         NPY_ARRAY_CARRAY_RO);
    if (in == NULL) {
        if (PyErr_ExceptionMatches(PyExc_MemoryError))
            goto fail;
        PyErr_SetString(PyExc_TypeError, "bars must be a 2-D array of uint32");
        goto fail;
    }
    self->bars = fp_frozen_copy(in);
    Py_DECREF(in);
    if (self->bars == NULL)
        goto fail;
    if (PyArray_DIM(self->bars, 0) != BARS) {
        invalid("bars must have 5 rows: open high low close volume");
        goto fail;
    }
    self->rows = PyArray_DIM(self->bars, 1);
    if (self->rows < 1 || first < 0) {
        invalid("a tape has at least one row, from a first >= 0");
        goto fail;
    }
    if (tape_geometry(self, sessions, opens, closes, per_day) < 0)
        goto fail;
    if (self->sessions != NULL && first > PyArray_DIM(self->sessions, 0) - self->rows) {
        invalid("the tape's rows lie outside its sessions");
        goto fail;
    }
    if (self->opens != NULL) {
        Py_ssize_t slots = PyArray_DIM(self->opens, 0) * self->per_day;
        if (length < 0 || first > length - self->rows || first > slots - self->rows ||
            prior < -1 || prior >= first || (known != Py_None && sid == Py_None)) {
            invalid("a minute tape's rows lie inside its length and the sessions' slots; "
                    "prior is -1 or a row before them; known needs the sid");
            goto fail;
        }
        self->length = length;
    }
    if (tape_traded(self) < 0)
        goto fail;
    return (PyObject *)self;
fail:
    Py_DECREF(self);
    return NULL;
}

static PyObject *
SpotTape_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"bars", "scale", "first", "timeline", "asset_type", "sessions",
                             "opens", "closes", "minutes_per_day", "length", "prior",
                             "prior_close", "known", "sid", NULL};
    PyObject *a[A_COUNT] = {NULL};
    a[A_SESSIONS] = a[A_OPENS] = a[A_CLOSES] = a[A_KNOWN] = a[A_SID] = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOO|$OOOOOOOOOO:SpotTape", kwlist,
                                     &a[A_BARS], &a[A_SCALE], &a[A_FIRST], &a[A_TIMELINE],
                                     &a[A_ASSET_TYPE], &a[A_SESSIONS], &a[A_OPENS],
                                     &a[A_CLOSES], &a[A_PER_DAY], &a[A_LENGTH], &a[A_PRIOR],
                                     &a[A_PRIOR_CLOSE], &a[A_KNOWN], &a[A_SID]))
        return NULL;
    for (int i = 0; i < A_COUNT; i++)
        Py_XINCREF(a[i]);
    PyObject *tape = tape_of(type, a);
    for (int i = 0; i < A_COUNT; i++)
        Py_XDECREF(a[i]);
    return tape;
}

static void
SpotTape_dealloc(SpotTapeObject *self)
{
    Py_XDECREF(self->bars);
    Py_XDECREF(self->timeline);
    Py_XDECREF(self->sessions);
    Py_XDECREF(self->opens);
    Py_XDECREF(self->closes);
    Py_XDECREF(self->asset_type);
    Py_XDECREF(self->known);
    Py_XDECREF(self->sid);
    PyMem_Free(self->traded);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

PyTypeObject fp_SpotTape_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "fastportal._core.SpotTape",
    .tp_basicsize = sizeof(SpotTapeObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "SpotTape(bars, scale, first, timeline, *, asset_type, sessions=None, "
              "opens=None, closes=None, minutes_per_day=0, length=-1, prior=-1, "
              "prior_close=0, known=None, sid=None): one asset's raw uint32 bars (5 x "
              "rows: open, high, low, close, volume) in a bcolz reader, for assets of "
              "asset_type; a daily tape gives the reader's sessions (row 0 at position "
              "first), a minute tape the reader's market opens and closes in epoch "
              "minutes, its minutes per day, the asset's length in the reader (row 0 is "
              "its row first), the last row before first that traded and its close, and "
              "the reader's dict of searches that found no trade, keyed by sid.",
    .tp_new = SpotTape_new,
    .tp_dealloc = (destructor)SpotTape_dealloc,
};
