/* RollTable: the contract a continuous future reads, as upstream's roll finder names it,
 * over a stretch of the simulation's time.
 *
 * Upstream asks its roll finder for the contract on every spot value of a continuous
 * future (get_contract_center, then the contract's bar). The answer depends on the time
 * only through a few steps (the session, the UTC date, the session 90 days on), so it is
 * constant over stretches: the shim asks upstream once per stretch and hands the
 * stretches here. A daily table is keyed by session labels (ns), a minute table by UTC
 * minutes (ns); each stretch runs from its start to the next one's, the last to `end`.
 * A stretch's contract is a Future, None (upstream names none), or False (upstream's
 * roll finder raises there: upstream answers).
 */
#include "rolls.h"
#include "arrays.h"
#include "calendar.h"

#include <structmember.h>

PyObject *
fp_roll_contract(RollTableObject *table, int64_t key, Py_ssize_t *stretch)
{
    const int64_t *starts = PyArray_DATA(table->starts);
    Py_ssize_t count = PyArray_DIM(table->starts, 0);
    if (key < starts[0] || key > table->end)
        return NULL;
    Py_ssize_t i = fp_sorted_position(starts, count, key);
    if (i == count || starts[i] != key)
        i--;
    if (stretch != NULL)
        *stretch = i;
    return PyTuple_GET_ITEM(table->contracts, i);
}

static PyObject *
RollTable_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"starts", "contracts", "end", NULL};
    PyObject *starts_arg, *contracts;
    long long end;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO!L:RollTable", kwlist, &starts_arg,
                                     &PyTuple_Type, &contracts, &end))
        return NULL;
    PyArrayObject *starts = fp_int64_vector(starts_arg, "starts");
    if (starts == NULL)
        return NULL;
    const int64_t *v = PyArray_DATA(starts);
    Py_ssize_t count = PyArray_DIM(starts, 0);
    const char *wrong = NULL;
    if (count == 0 || count != PyTuple_GET_SIZE(contracts))
        wrong = "starts and contracts must be of one non-zero length";
    for (Py_ssize_t i = 1; wrong == NULL && i < count; i++)
        if (v[i] <= v[i - 1])
            wrong = "starts must be increasing";
    if (wrong == NULL && end < v[count - 1])
        wrong = "end must not be before the last start";
    if (wrong != NULL) {
        PyErr_SetString(PyExc_ValueError, wrong);
        Py_DECREF(starts);
        return NULL;
    }
    RollTableObject *self = (RollTableObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        Py_DECREF(starts);
        return NULL;
    }
    self->starts = starts;
    self->contracts = Py_NewRef(contracts);
    self->end = end;
    return (PyObject *)self;
}

/* contract_at(key) -> the stretch's contract, or raises KeyError outside the table. */
static PyObject *
RollTable_contract_at(RollTableObject *self, PyObject *key)
{
    long long nanos = PyLong_AsLongLong(key);
    if (nanos == -1 && PyErr_Occurred())
        return NULL;
    PyObject *contract = fp_roll_contract(self, nanos, NULL);
    if (contract == NULL) {
        PyErr_SetObject(PyExc_KeyError, key);
        return NULL;
    }
    return Py_NewRef(contract);
}

static PyMethodDef RollTable_methods[] = {
    {"contract_at", (PyCFunction)RollTable_contract_at, METH_O,
     "contract_at(key) -> the contract of the stretch holding key (ns); KeyError outside."},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef RollTable_members[] = {
    {"contracts", T_OBJECT, offsetof(RollTableObject, contracts), READONLY,
     "each stretch's contract (a tuple)"},
    {NULL, 0, 0, 0, NULL},
};

static int
RollTable_traverse(RollTableObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->contracts);
    return 0;
}

static int
RollTable_clear(RollTableObject *self)
{
    Py_CLEAR(self->contracts);
    return 0;
}

static void
RollTable_dealloc(RollTableObject *self)
{
    PyObject_GC_UnTrack(self);
    RollTable_clear(self);
    Py_CLEAR(self->starts);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

PyTypeObject fp_RollTable_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "fastportal._core.RollTable",
    .tp_basicsize = sizeof(RollTableObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "RollTable(starts, contracts, end): a continuous future's contract over "
              "stretches of time (int64 ns starts, increasing; a tuple of contracts; the "
              "last key covered).",
    .tp_new = RollTable_new,
    .tp_traverse = (traverseproc)RollTable_traverse,
    .tp_clear = (inquiry)RollTable_clear,
    .tp_dealloc = (destructor)RollTable_dealloc,
    .tp_methods = RollTable_methods,
    .tp_members = RollTable_members,
};
