/* AdjustmentTimeline: one asset's splits, mergers and dividends as DataPortal's
 * get_adjustments reads them, for before_trading_start in a minute simulation.
 *
 * There upstream's BarData steps back a minute, asks for the window, and multiplies it by
 * the product of the adjustments effective after that minute and up to now:
 * reduce(mul, [...], 1.0) over the splits (1/ratio for volume), then, except for volume,
 * the mergers and the dividends, each list read in the order the adjustment reader
 * returned it and left at the first entry after now. The product is taken here in that
 * same order, so it is the same float, and the history types scale the window by it.
 *
 * A framework whose get_adjustments compares zoned times with the mergers' naive dates
 * (mergers_compared_naive) raises pandas' TypeError for an asset with a merger on every
 * field but volume, at the zoned times a simulation asks about; such a timeline refuses
 * those ratios, and what needs one is left to upstream (which answers where the times
 * it is given are naive). That framework also compares the times as given, where zipline
 * first makes both naive: a time with a zone against one without raises there for any
 * adjustment the loop reads (fp_adjustment_refused's mixed_zones).
 */
#include "ratios.h"
#include "arrays.h"

enum { SPLITS, MERGERS, DIVIDENDS, KINDS };

typedef struct {
    PyObject_HEAD
    PyArrayObject *dates[KINDS];  /* int64 ns, naive UTC, in the reader's order */
    PyArrayObject *ratios[KINDS]; /* float64 */
    int refuses_prices;           /* upstream raises for every ratio but volume's */
    int compares_as_given;        /* upstream compares times without making them naive */
} AdjustmentTimelineObject;

/* *ratio *= each adjustment of one kind effective in (dt, now], as upstream's loop does:
   0, or -1 with ZeroDivisionError where upstream's 1.0 / ratio of a volume split raises. */
static int
apply_kind(AdjustmentTimelineObject *self, int kind, int invert, int64_t dt, int64_t now,
           double *ratio)
{
    const int64_t *dates = (const int64_t *)PyArray_DATA(self->dates[kind]);
    const double *ratios = (const double *)PyArray_DATA(self->ratios[kind]);
    Py_ssize_t count = PyArray_DIM(self->dates[kind], 0);
    for (Py_ssize_t i = 0; i < count; i++) {
        if (dt < dates[i] && dates[i] <= now) {
            if (invert && ratios[i] == 0.0) {
                PyErr_SetString(PyExc_ZeroDivisionError, "float division by zero");
                return -1;
            }
            *ratio *= invert ? 1.0 / ratios[i] : ratios[i];
        }
        else if (dates[i] > now)
            break;
    }
    return 0;
}

/* The product get_adjustments takes for the asset: 0 and *ratio; 1 where upstream
   raises its TypeError instead (refuses_prices); -1 with an error. */
static int
timeline_ratio(AdjustmentTimelineObject *self, int volume, int64_t dt, int64_t now,
               double *ratio)
{
    *ratio = 1.0;
    if (!volume && self->refuses_prices)
        return 1;
    if (apply_kind(self, SPLITS, volume, dt, now, ratio) < 0)
        return -1;
    if (!volume) {
        apply_kind(self, MERGERS, 0, dt, now, ratio);
        apply_kind(self, DIVIDENDS, 0, dt, now, ratio);
    }
    return 0;
}

static int
check_timeline(PyObject *timeline)
{
    if (PyObject_TypeCheck(timeline, &fp_AdjustmentTimeline_Type))
        return 0;
    PyErr_SetString(PyExc_TypeError, "expected an AdjustmentTimeline");
    return -1;
}

/* For spot.c: timeline_ratio of an AdjustmentTimeline. */
int
fp_adjustment_ratio(PyObject *timeline, int volume, int64_t dt, int64_t now, double *ratio)
{
    if (check_timeline(timeline) < 0)
        return -1;
    return timeline_ratio((AdjustmentTimelineObject *)timeline, volume, dt, now, ratio);
}

/* For spot.c: where upstream's get_adjustments raises for the field's ratio, 1 (the
   mergers) or 2 (the zones); 0 where it answers, -1 with an error. mixed_zones: one of
   its two times has a zone and the other has none. */
int
fp_adjustment_refused(PyObject *timeline, int volume, int mixed_zones)
{
    if (check_timeline(timeline) < 0)
        return -1;
    AdjustmentTimelineObject *self = (AdjustmentTimelineObject *)timeline;
    int mixed = mixed_zones && self->compares_as_given;
    if (mixed && PyArray_DIM(self->dates[SPLITS], 0) > 0)
        return 2;  /* its splits loop, read first, raises */
    if (!volume && self->refuses_prices)
        return 1;
    if (!mixed || volume)
        return 0;
    return PyArray_DIM(self->dates[MERGERS], 0) + PyArray_DIM(self->dates[DIVIDENDS], 0) > 0
               ? 2 : 0;
}

/* For spot.c: whether upstream compares the times as given (1), so that their zones
   matter to fp_adjustment_refused; 0 if not; -1 with an error. */
int
fp_adjustment_compares_as_given(PyObject *timeline)
{
    if (check_timeline(timeline) < 0)
        return -1;
    return ((AdjustmentTimelineObject *)timeline)->compares_as_given;
}

static PyObject *
AdjustmentTimeline_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"split_dates", "split_ratios", "merger_dates", "merger_ratios",
                             "dividend_dates", "dividend_ratios", "mergers_compared_naive",
                             NULL};
    static const char *names[] = {"split_dates", "split_ratios", "merger_dates",
                                  "merger_ratios", "dividend_dates", "dividend_ratios"};
    PyObject *in[2 * KINDS + 1] = {[2 * KINDS] = Py_False};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOOOO|$O:AdjustmentTimeline", kwlist,
                                     &in[0], &in[1], &in[2], &in[3], &in[4], &in[5],
                                     &in[6]))
        return NULL;
    /* held before any Python code runs (the flag's __bool__, the arrays' conversions),
       which could drop the keyword dict the arguments are borrowed from */
    for (int i = 0; i <= 2 * KINDS; i++)
        Py_INCREF(in[i]);
    AdjustmentTimelineObject *self = NULL;
    int mergers_compared_naive = PyObject_IsTrue(in[2 * KINDS]);
    if (mergers_compared_naive < 0)
        goto done;
    self = (AdjustmentTimelineObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        goto done;
    for (int kind = 0; kind < KINDS; kind++) {
        if ((self->dates[kind] = fp_int64_vector(in[2 * kind], names[2 * kind])) == NULL ||
            (self->ratios[kind] = fp_float64_vector(in[2 * kind + 1],
                                                    names[2 * kind + 1])) == NULL)
            goto fail;
        if (PyArray_DIM(self->dates[kind], 0) != PyArray_DIM(self->ratios[kind], 0)) {
            PyErr_Format(PyExc_ValueError, "%s and %s differ in length", names[2 * kind],
                         names[2 * kind + 1]);
            goto fail;
        }
    }
    self->refuses_prices = mergers_compared_naive && PyArray_DIM(self->dates[MERGERS], 0) > 0;
    self->compares_as_given = mergers_compared_naive;
    goto done;
fail:
    Py_CLEAR(self);
done:
    for (int i = 0; i <= 2 * KINDS; i++)
        Py_DECREF(in[i]);
    return (PyObject *)self;
}

static void
AdjustmentTimeline_dealloc(AdjustmentTimelineObject *self)
{
    for (int kind = 0; kind < KINDS; kind++) {
        Py_XDECREF(self->dates[kind]);
        Py_XDECREF(self->ratios[kind]);
    }
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
AdjustmentTimeline_ratio(AdjustmentTimelineObject *self, PyObject *args)
{
    int volume;
    long long dt, now;
    if (!PyArg_ParseTuple(args, "pLL:ratio", &volume, &dt, &now))
        return NULL;
    double ratio;
    int refused = timeline_ratio(self, volume, dt, now, &ratio);
    if (refused < 0)
        return NULL;
    return refused ? Py_NewRef(Py_None) : PyFloat_FromDouble(ratio);
}

static PyMethodDef AdjustmentTimeline_methods[] = {
    {"ratio", (PyCFunction)AdjustmentTimeline_ratio, METH_VARARGS,
     "ratio(volume, dt_nanos, now_nanos) -> the product get_adjustments takes of the "
     "adjustments effective in (dt, now]; None where it raises instead."},
    {NULL, NULL, 0, NULL},
};

PyTypeObject fp_AdjustmentTimeline_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "fastportal._core.AdjustmentTimeline",
    .tp_basicsize = sizeof(AdjustmentTimelineObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "AdjustmentTimeline(split_dates, split_ratios, merger_dates, merger_ratios, "
              "dividend_dates, dividend_ratios, *, mergers_compared_naive=False): one "
              "asset's adjustments as DataPortal.get_adjustments reads them (dates in int64 "
              "ns, naive UTC); with mergers_compared_naive and a merger, its ratios but "
              "volume's are refused, as that framework's get_adjustments raises for them.",
    .tp_new = AdjustmentTimeline_new,
    .tp_dealloc = (destructor)AdjustmentTimeline_dealloc,
    .tp_methods = AdjustmentTimeline_methods,
};
