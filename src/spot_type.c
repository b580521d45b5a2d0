/* Spot: the type, its constructor and its methods table. Its answers are spot.c's
 * (value, adjusted, can_trade, is_stale) and current.c's (current's Series and frames).
 */
#include "spot_type.h"
#include "current.h"
#include "minutes.h"
#include "objects.h"
#include "spot.h"

static PyMethodDef Spot_methods[] = {
    {"current_series", (PyCFunction)(void (*)(void))fp_spot_current_series, METH_FASTCALL,
     "current_series(assets, field, dt, data_frequency) -> BarData.current(assets, field)'s "
     "Series, or a reason (str)."},
    {"current_fields", (PyCFunction)(void (*)(void))fp_spot_current_fields, METH_FASTCALL,
     "current_fields(asset, fields, dt, data_frequency) -> BarData.current(asset, fields)'s "
     "Series, or a reason (str)."},
    {"current_frame", (PyCFunction)(void (*)(void))fp_spot_current_frame, METH_FASTCALL,
     "current_frame(assets, fields, dt, data_frequency) -> BarData.current(assets, fields)'s "
     "DataFrame, or a reason (str)."},
    {"can_trade", (PyCFunction)(void (*)(void))fp_spot_can_trade_of, METH_FASTCALL,
     "can_trade(asset, dt, is_restricted, calendar, daily, data_frequency, portal) -> "
     "BarData.can_trade(asset)'s answer at dt, or a reason (str)."},
    {"is_stale", (PyCFunction)(void (*)(void))fp_spot_is_stale_of, METH_FASTCALL,
     "is_stale(asset, dt, data_frequency) -> BarData.is_stale(asset)'s answer at dt, or "
     "a reason (str)."},
    {"value", (PyCFunction)(void (*)(void))fp_spot_value_of, METH_FASTCALL,
     "value(asset, field, dt, data_frequency) -> DataPortal.get_spot_value's answer for "
     "one asset, or a reason (str) the core leaves it to upstream."},
    {"adjusted", (PyCFunction)(void (*)(void))fp_spot_adjusted_of, METH_FASTCALL,
     "adjusted(asset, field, dt, perspective_dt, data_frequency) -> "
     "DataPortal.get_adjusted_value's answer, or a reason (str)."},
    {NULL, NULL, 0, NULL},
};

/* ---- construction ---------------------------------------------------------------- */

static PyObject *
Spot_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"minutes", "daily_tapes", "minute_tapes", "served", "equity",
                             "utc_zones", "nat", "session_box", "minute_box", "builder",
                             "continuous", "daily_rolls", "minute_rolls", NULL};
    PyObject *minutes, *daily, *minute, *served, *equity, *zones, *nat, *session_box,
        *minute_box, *builder, *continuous, *daily_rolls, *minute_rolls;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO!O!O!OO!OOOOO!O!O!:Spot", kwlist, &minutes,
                                     &PyDict_Type, &daily, &PyDict_Type, &minute,
                                     &PyTuple_Type, &served, &equity, &PyTuple_Type, &zones,
                                     &nat, &session_box, &minute_box, &builder,
                                     &PyType_Type, &continuous, &PyDict_Type, &daily_rolls,
                                     &PyDict_Type, &minute_rolls))
        return NULL;
    if (builder != Py_None && !PyObject_TypeCheck(builder, &fp_PandasBuilder_Type)) {
        PyErr_SetString(PyExc_TypeError, "builder must be a PandasBuilder or None");
        return NULL;
    }
    if (!PyObject_TypeCheck(minutes, &fp_Minutes_Type)) {
        PyErr_SetString(PyExc_TypeError, "minutes must be a Minutes");
        return NULL;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(served); i++)
        if (!PyType_Check(PyTuple_GET_ITEM(served, i))) {
            PyErr_SetString(PyExc_TypeError, "served must be a tuple of types");
            return NULL;
        }
    if (!PyType_Check(equity) || !PyCallable_Check(session_box) ||
        !PyCallable_Check(minute_box)) {
        PyErr_SetString(PyExc_TypeError,
                        "equity must be a type, session_box and minute_box callables");
        return NULL;
    }
    SpotObject *self = (SpotObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->minutes = Py_NewRef(minutes);
    self->daily_tapes = Py_NewRef(daily);
    self->minute_tapes = Py_NewRef(minute);
    self->served = Py_NewRef(served);
    self->equity = Py_NewRef(equity);
    self->utc_zones = Py_NewRef(zones);
    self->nat = Py_NewRef(nat);
    self->session_box = Py_NewRef(session_box);
    self->minute_box = Py_NewRef(minute_box);
    self->builder = Py_NewRef(builder);
    self->continuous = Py_NewRef(continuous);
    self->daily_rolls = Py_NewRef(daily_rolls);
    self->minute_rolls = Py_NewRef(minute_rolls);
    return (PyObject *)self;
}

static int
Spot_traverse(SpotObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->minutes);
    Py_VISIT(self->daily_tapes);
    Py_VISIT(self->minute_tapes);
    Py_VISIT(self->served);
    Py_VISIT(self->equity);
    Py_VISIT(self->utc_zones);
    Py_VISIT(self->nat);
    Py_VISIT(self->session_box);
    Py_VISIT(self->minute_box);
    Py_VISIT(self->builder);
    Py_VISIT(self->continuous);
    Py_VISIT(self->daily_rolls);
    Py_VISIT(self->minute_rolls);
    return 0;
}

static int
Spot_clear(SpotObject *self)
{
    Py_CLEAR(self->minutes);
    Py_CLEAR(self->daily_tapes);
    Py_CLEAR(self->minute_tapes);
    Py_CLEAR(self->served);
    Py_CLEAR(self->equity);
    Py_CLEAR(self->utc_zones);
    Py_CLEAR(self->nat);
    Py_CLEAR(self->session_box);
    Py_CLEAR(self->minute_box);
    Py_CLEAR(self->builder);
    Py_CLEAR(self->continuous);
    Py_CLEAR(self->daily_rolls);
    Py_CLEAR(self->minute_rolls);
    return 0;
}

static void
Spot_dealloc(SpotObject *self)
{
    PyObject_GC_UnTrack(self);
    Spot_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

PyTypeObject fp_Spot_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "fastportal._core.Spot",
    .tp_basicsize = sizeof(SpotObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Spot(minutes, daily_tapes, minute_tapes, served, equity, utc_zones, nat, "
              "session_box, minute_box, builder, continuous, daily_rolls, minute_rolls): a "
              "DataPortal's spot values from its assets' tapes (dicts the caller fills: "
              "asset -> SpotTape) and its continuous futures' roll tables (continuous "
              "future -> RollTable).",
    .tp_new = Spot_new,
    .tp_traverse = (traverseproc)Spot_traverse,
    .tp_clear = (inquiry)Spot_clear,
    .tp_dealloc = (destructor)Spot_dealloc,
    .tp_methods = Spot_methods,
};
