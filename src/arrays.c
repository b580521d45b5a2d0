/* Frozen arrays: the core's own copies of what it reads and caches.
 *
 * An array the core keeps (sessions, minutes, versions, bars, level codes) is read-only
 * and its memory belongs to a capsule: nothing a strategy reaches can make it writable,
 * and a view handed out keeps the capsule, not the array, alive (ranges.c).
 *
 * This file also holds NumPy's C API table, which every file uses (fastportal.h).
 */
#define FASTPORTAL_ARRAYS_C
#include "arrays.h"

/* Fills NumPy's C API table: 0, or -1 with an ImportError set. */
int
fp_arrays_init(void)
{
    import_array1(-1);
    return 0;
}

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
fp_frozen_array(int nd, const npy_intp *dims, int type_num)
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
fp_frozen_copy(PyArrayObject *in)
{
    PyArrayObject *out = fp_frozen_array(PyArray_NDIM(in), PyArray_DIMS(in),
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
    PyArrayObject *out = fp_frozen_copy(in);
    Py_DECREF(in);
    return out;
}

PyArrayObject *
fp_int64_vector(PyObject *obj, const char *what)
{
    return owned_vector(obj, NPY_INT64, what);
}

PyArrayObject *
fp_float64_vector(PyObject *obj, const char *what)
{
    return owned_vector(obj, NPY_FLOAT64, what);
}
