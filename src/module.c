/* fastportal._core: the module, and the argument helpers the other files share. */
#define FASTPORTAL_MODULE_C
#include "fastportal.h"
#include "spot.h"

int calendar_init_strings(void);
int lookups_init_strings(void);

static void
free_frozen_memory(PyObject *capsule)
{
    void *memory = PyCapsule_GetPointer(capsule, PyCapsule_GetName(capsule));
    if (memory == NULL)
        PyErr_Clear();  /* renamed or emptied by someone else: nothing of ours to free */
    PyMem_Free(memory);
}

/* A new, uninitialised, C-contiguous and read-only array whose memory belongs to a
   capsule, its base. The core fills it through PyArray_DATA. NumPy refuses to make such
   an array writable (nothing down its base chain owns writable memory), whereas an array
   that owns its data can be flipped writable by anyone who reaches it, through the .base
   of any view handed out. Not a bytes object: numpy's __setstate__ wraps a bytes
   object's memory, writable, without a copy; a capsule offers no memory to anyone. */
PyArrayObject *
frozen_array(int nd, const npy_intp *dims, int type_num)
{
    PyArray_Descr *descr = PyArray_DescrFromType(type_num);
    if (descr == NULL)
        return NULL;
    Py_ssize_t size = PyDataType_ELSIZE(descr);
    for (int i = 0; i < nd; i++) {
        if (dims[i] < 0 || (dims[i] > 0 && size > PY_SSIZE_T_MAX / dims[i])) {
            Py_DECREF(descr);
            PyErr_NoMemory();
            return NULL;
        }
        size *= dims[i];
    }
    void *data = PyMem_Malloc(size > 0 ? (size_t)size : 1);  /* aligned for any type */
    PyObject *memory = data == NULL ? PyErr_NoMemory()
        : PyCapsule_New(data, "fastportal frozen memory", free_frozen_memory);
    if (memory == NULL) {
        PyMem_Free(data);
        Py_DECREF(descr);
        return NULL;
    }
    PyArrayObject *array = (PyArrayObject *)PyArray_NewFromDescr(
        &PyArray_Type, descr, nd, (npy_intp *)dims, NULL, data, NPY_ARRAY_C_CONTIGUOUS, NULL);
    if (array == NULL) {
        Py_DECREF(memory);
        return NULL;
    }
    if (PyArray_SetBaseObject(array, memory) < 0) {
        Py_DECREF(array);
        return NULL;
    }
    PyArray_UpdateFlags(array, NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED);
    return array;
}

/* A frozen copy of a C-contiguous array. */
PyArrayObject *
frozen_copy(PyArrayObject *in)
{
    PyArrayObject *out = frozen_array(PyArray_NDIM(in), PyArray_DIMS(in),
                                      PyArray_TYPE(in));
    if (out != NULL)
        memcpy(PyArray_DATA(out), PyArray_DATA(in), (size_t)PyArray_NBYTES(in));
    return out;
}

/* A frozen copy of a 1-D array of the given type, or NULL with an error naming the
   argument. A copy, so that nobody can change what the core reads. */
static PyArrayObject *
owned_vector(PyObject *obj, int type_num, const char *what)
{
    PyArrayObject *in = (PyArrayObject *)PyArray_FROMANY(obj, type_num, 1, 1, NPY_ARRAY_CARRAY_RO);
    if (in == NULL) {
        PyErr_Format(PyExc_TypeError, "%s must be a 1-D array of %s", what,
                     type_num == NPY_INT64 ? "int64" : "float64");
        return NULL;
    }
    PyArrayObject *out = frozen_copy(in);
    Py_DECREF(in);
    return out;
}

PyArrayObject *
int64_vector(PyObject *obj, const char *what)
{
    return owned_vector(obj, NPY_INT64, what);
}

PyArrayObject *
float64_vector(PyObject *obj, const char *what)
{
    return owned_vector(obj, NPY_FLOAT64, what);
}

static PyMethodDef core_methods[] = {
    {"windows_served", (PyCFunction)history_windows_served, METH_O,
     "windows_served(reset) -> windows the history types handed out; zeroed if reset."},
    {"spot_values_served", (PyCFunction)spot_values_served, METH_O,
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

PyMODINIT_FUNC
PyInit__core(void)
{
    import_array();
    if (calendar_init_strings() < 0 || objects_init_strings() < 0 ||
        history_init_strings() < 0 || minutes_init_strings() < 0 ||
        fields_init_strings() < 0 || lookups_init_strings() < 0 ||
        spot_init_strings() < 0 || current_init_strings() < 0 ||
        stamps_init_strings() < 0 || methods_init_strings() < 0)
        return NULL;
    PyObject *module = PyModule_Create(&core_module);
    if (module == NULL)
        return NULL;
    if (add_type(module, &Calendar_Type, "Calendar") < 0 ||
        add_type(module, &AdjustedColumn_Type, "AdjustedColumn") < 0 ||
        add_type(module, &PandasBuilder_Type, "PandasBuilder") < 0 ||
        add_type(module, &DailyHistory_Type, "DailyHistory") < 0 ||
        add_type(module, &Minutes_Type, "Minutes") < 0 ||
        add_type(module, &MinuteHistory_Type, "MinuteHistory") < 0 ||
        add_type(module, &PartialDayHistory_Type, "PartialDayHistory") < 0 ||
        add_type(module, &AdjustmentTimeline_Type, "AdjustmentTimeline") < 0 ||
        add_type(module, &CalendarLookups_Type, "CalendarLookups") < 0 ||
        add_type(module, &SpotTape_Type, "SpotTape") < 0 ||
        add_type(module, &Spot_Type, "Spot") < 0 ||
        add_type(module, &RollTable_Type, "RollTable") < 0 ||
        add_type(module, &FastMethod_Type, "FastMethod") < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
