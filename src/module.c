/* fastportal._core: the module, its types, functions and constants. */
#include "arguments.h"
#include "arrays.h"
#include "calendar.h"
#include "current.h"
#include "fields.h"
#include "history.h"
#include "history_common.h"
#include "lookups.h"
#include "methods.h"
#include "minutes.h"
#include "objects.h"
#include "partial_day.h"
#include "ranges.h"
#include "ratios.h"
#include "reasons.h"
#include "rolls.h"
#include "spot.h"
#include "spot_type.h"
#include "stamps.h"
#include "tapes.h"
#include "windows.h"

static PyMethodDef core_methods[] = {
    {"windows_served", (PyCFunction)fp_history_windows_served, METH_O,
     "windows_served(reset) -> windows the history types handed out; zeroed if reset."},
    {"spot_values_served", (PyCFunction)fp_spot_values_served, METH_O,
     "spot_values_served(reset) -> values Spot answered; zeroed if reset."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef core_module = {
    PyModuleDef_HEAD_INIT, .m_name = "fastportal._core",
    .m_doc = "fastportal's C core: calendar lookups, session ranges, adjusted history windows.",
    .m_size = -1, .m_methods = core_methods,
};

static int
add_type(PyObject *module, PyTypeObject *type, const char *name)
{
    if (PyType_Ready(type) < 0)
        return -1;
    Py_INCREF(type);
    if (PyModule_AddObject(module, name, (PyObject *)type) < 0) {
        Py_DECREF(type);
        return -1;
    }
    return 0;
}

/* Each reason as a constant named after it (_core.BEFORE_DATA == "before data"), and
   _core.REASONS, all of them in reasons.h's order: the names the shim compares and counts
   by, so that each text is written once. */
static int
add_reasons(PyObject *module)
{
#define FP_REASON_NAME(name, text) #name,
    static const char *const names[FP_REASON_COUNT] = {FP_REASON_LIST(FP_REASON_NAME)};
#undef FP_REASON_NAME
    PyObject *texts = PyTuple_New(FP_REASON_COUNT);
    if (texts == NULL)
        return -1;
    for (int i = 0; i < FP_REASON_COUNT; i++) {
        PyTuple_SET_ITEM(texts, i, Py_NewRef(fp_reasons[i]));
        if (PyModule_AddObjectRef(module, names[i], fp_reasons[i]) < 0) {
            Py_DECREF(texts);
            return -1;
        }
    }
    int added = PyModule_AddObjectRef(module, "REASONS", texts);
    Py_DECREF(texts);
    return added;
}

PyMODINIT_FUNC
PyInit__core(void)
{
    if (fp_arrays_init() < 0 || fp_reasons_init() < 0 || fp_calendar_init_strings() < 0 ||
        fp_objects_init_strings() < 0 || fp_history_init_strings() < 0 ||
        fp_minutes_init_strings() < 0 || fp_fields_init_strings() < 0 ||
        fp_lookups_init_strings() < 0 || fp_spot_init_strings() < 0 ||
        fp_current_init_strings() < 0 || fp_stamps_init_strings() < 0 ||
        fp_methods_init_strings() < 0)
        return NULL;
    PyObject *module = PyModule_Create(&core_module);
    if (module == NULL)
        return NULL;
    if (add_type(module, &fp_Calendar_Type, "Calendar") < 0 ||
        add_type(module, &fp_AdjustedColumn_Type, "AdjustedColumn") < 0 ||
        add_type(module, &fp_PandasBuilder_Type, "PandasBuilder") < 0 ||
        add_type(module, &fp_DailyHistory_Type, "DailyHistory") < 0 ||
        add_type(module, &fp_Minutes_Type, "Minutes") < 0 ||
        add_type(module, &fp_MinuteHistory_Type, "MinuteHistory") < 0 ||
        add_type(module, &fp_PartialDayHistory_Type, "PartialDayHistory") < 0 ||
        add_type(module, &fp_AdjustmentTimeline_Type, "AdjustmentTimeline") < 0 ||
        add_type(module, &fp_CalendarLookups_Type, "CalendarLookups") < 0 ||
        add_type(module, &fp_SpotTape_Type, "SpotTape") < 0 ||
        add_type(module, &fp_Spot_Type, "Spot") < 0 ||
        add_type(module, &fp_RollTable_Type, "RollTable") < 0 ||
        add_type(module, &fp_FastMethod_Type, "FastMethod") < 0 || add_reasons(module) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
