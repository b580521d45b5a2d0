/* Fresh copies of the tz-naive session labels the core keeps.
 *
 * exchange_calendars hands out a new Timestamp for every session label it answers, and
 * so does the core: a Timestamp has a __dict__, and a label kept and shared would carry
 * whatever a strategy set on it into every later answer. Timestamp.replace() makes the
 * copy in ~0.6 us, most of a lookup's cost. A Timestamp's own state is its datetime
 * fields and pandas' C fields (value, unit...), all plain numbers in one block after the
 * object header; a copy of that block into a new object of the same type is the same
 * Timestamp with a fresh (empty) __dict__. That copy is used only for a type whose
 * layout allows it (checked below: no object references in the block, no dict or weak
 * references inside it) and once a copy made so has been compared with replace()'s,
 * value, unit, hash and repr; otherwise replace() makes every copy.
 */
#include "stamps.h"

#include <datetime.h>

static PyTypeObject *copyable;  /* the Timestamp type verified, a strong reference */
static PyObject *str_replace_method;

static int
count_reference(PyObject *Py_UNUSED(obj), void *count)
{
    (*(Py_ssize_t *)count)++;
    return 0;
}

/* Whether stamp's type can be copied as a block: its static base (pandas' _Timestamp)
   holds a datetime and plain C fields only (its traversal finds no reference in stamp),
   and the type adds nothing inside that block. */
static int
layout_copyable(PyObject *stamp)
{
    PyTypeObject *type = Py_TYPE(stamp), *base = type->tp_base;
    Py_ssize_t references = 0;
    if (base != NULL && base->tp_traverse != NULL)
        base->tp_traverse(stamp, count_reference, &references);
    return base != NULL && !(base->tp_flags & Py_TPFLAGS_HEAPTYPE) && references == 0 &&
           base->tp_itemsize == 0 &&
           type->tp_itemsize == 0 && base->tp_dictoffset == 0 &&
           base->tp_weaklistoffset == 0 &&
           base->tp_basicsize >= (Py_ssize_t)sizeof(PyDateTime_DateTime) &&
           base->tp_basicsize <= type->tp_basicsize &&
           (type->tp_weaklistoffset == 0 || type->tp_weaklistoffset >= base->tp_basicsize) &&
           (type->tp_dictoffset <= 0 || type->tp_dictoffset >= base->tp_basicsize) &&
           type->tp_alloc != NULL;
}

static PyObject *
block_copy(PyObject *stamp)
{
    PyTypeObject *type = Py_TYPE(stamp);
    PyObject *copy = type->tp_alloc(type, 0);
    if (copy != NULL)
        memcpy((char *)copy + sizeof(PyObject), (char *)stamp + sizeof(PyObject),
               (size_t)(type->tp_base->tp_basicsize - (Py_ssize_t)sizeof(PyObject)));
    return copy;
}

static int
naive(PyObject *stamp)
{
    return !((PyDateTime_DateTime *)stamp)->hastzinfo;
}

/* 1 when a and b print, hash and compare alike and have one unit; 0 if not; -1 on
   error. */
static int
alike(PyObject *a, PyObject *b)
{
    int same = PyObject_RichCompareBool(a, b, Py_EQ);
    if (same <= 0)
        return same;
    Py_hash_t ha = PyObject_Hash(a), hb = PyObject_Hash(b);
    if (ha == -1 || hb == -1)
        return -1;
    PyObject *ra = PyObject_Repr(a), *rb = PyObject_Repr(b);
    PyObject *ua = PyObject_GetAttrString(a, "unit"), *ub = PyObject_GetAttrString(b, "unit");
    if (ra == NULL || rb == NULL || ua == NULL || ub == NULL)
        same = -1;
    else if (ha != hb)
        same = 0;
    else {
        same = PyObject_RichCompareBool(ra, rb, Py_EQ);
        if (same > 0)
            same = PyObject_RichCompareBool(ua, ub, Py_EQ);
    }
    Py_XDECREF(ra);
    Py_XDECREF(rb);
    Py_XDECREF(ua);
    Py_XDECREF(ub);
    return same;
}

/* A new Timestamp equal to stamp (a Timestamp the core keeps), with a fresh __dict__. */
PyObject *
fp_timestamp_copy(PyObject *stamp)
{
    PyTypeObject *type = Py_TYPE(stamp);
    if (type == copyable && naive(stamp))
        return block_copy(stamp);
    PyObject *fresh = PyObject_CallMethodNoArgs(stamp, str_replace_method);
    if (fresh == NULL || copyable != NULL || !naive(stamp) || !layout_copyable(stamp) ||
        Py_TYPE(fresh) != type)
        return fresh;
    PyObject *candidate = block_copy(stamp);
    if (candidate == NULL) {
        Py_DECREF(fresh);
        return NULL;
    }
    int same = alike(candidate, fresh);
    Py_DECREF(candidate);
    if (same < 0) {
        Py_DECREF(fresh);
        return NULL;
    }
    if (same)
        copyable = (PyTypeObject *)Py_NewRef(type);
    return fresh;
}

int
fp_stamps_init_strings(void)
{
    (void)PyDateTimeAPI;  /* datetime.h's capsule pointer: only its struct is used here */
    str_replace_method = PyUnicode_InternFromString("replace");
    return str_replace_method == NULL ? -1 : 0;
}
