/* FastMethod: a method whose common calls the core answers without a Python frame.
 *
 * install() puts these on exchange_calendars' ExchangeCalendar (the per-bar lookups), on
 * fastportal's BarData (current, can_trade, is_stale) and on DataPortal (its spot
 * values, which the order path and the ledger read), where each sits in front of
 * the Python function that does the same job completely (`slow`: the shim's wrapper,
 * which asks the core, builds what it lacks, counts, and otherwise calls upstream). A
 * call with positional arguments only goes to the core directly; when the core answers
 * exactly, that is the answer; anything else (keywords, no core objects yet, a reason
 * instead of an answer) is the slow function's call, with the same arguments. So the
 * answers are the slow function's; only the cost of a Python frame per call is saved.
 *
 * The object is a method descriptor (like a function): `obj.method(...)` calls it with
 * obj first, `Class.method` is the object itself.
 */
#include "methods.h"
#include "current.h"
#include "lookups.h"
#include "spot.h"
#include "spot_type.h"

#include <stddef.h>

enum method_kind { CALENDAR_LOOKUP, BAR_CURRENT, BAR_CAN_TRADE, BAR_IS_STALE, PORTAL_SPOT,
                   PORTAL_ADJUSTED };

typedef struct {
    PyObject_HEAD
    int kind;
    Py_ssize_t min_args, max_args;  /* positional arguments after the instance */
    PyObject *lookup;   /* CALENDAR_LOOKUP: the CalendarLookups method's name */
    PyMethodDef *lookup_def;  /* and its definition, called directly */
    PyObject *names;    /* the parameters' names after the instance, for keyword calls,
                           or None (keyword calls go to slow) */
    PyObject *slow;     /* the Python function that answers every call */
    vectorcallfunc vectorcall;
} FastMethodObject;

static PyObject *str_lookups, *str_spot, *str_dt, *str_daily, *str_adjust, *str_frequency;
static PyObject *str_restricted, *str_calendar, *str_portal, *str_trading_calendar;
static PyObject *str_minute_to_session;

/* obj.__dict__[key] as a new reference, or NULL: absent (no error set) or an error. */
static PyObject *
instance_item(PyObject *obj, PyObject *key)
{
    PyObject *dict = PyObject_GenericGetDict(obj, NULL);
    if (dict == NULL) {
        if (PyErr_ExceptionMatches(PyExc_AttributeError))
            PyErr_Clear();  /* no __dict__: nothing the core put there */
        return NULL;
    }
    PyObject *item = PyDict_GetItemWithError(dict, key);
    Py_XINCREF(item);
    Py_DECREF(dict);
    return item;
}

/* The calendar lookup: lookups.<name>(*args), None when it does not answer. */
static PyObject *
calendar_lookup(FastMethodObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *lookups = instance_item(args[0], str_lookups);
    if (lookups == NULL || !PyObject_TypeCheck(lookups, &fp_CalendarLookups_Type)) {
        Py_XDECREF(lookups);
        return PyErr_Occurred() ? NULL : Py_NewRef(Py_None);
    }
    PyMethodDef *def = self->lookup_def;
    PyObject *answer;
    if (def->ml_flags & METH_O)
        answer = nargs == 2 ? ((PyCFunction)(void (*)(void))def->ml_meth)(lookups, args[1])
                            : Py_NewRef(Py_None);
    else
        answer = ((_PyCFunctionFast)(void (*)(void))def->ml_meth)(lookups, args + 1,
                                                                  nargs - 1);
    Py_DECREF(lookups);
    return answer;
}

/* What the BarData fast paths read of the instance, as new references. */
enum { SPOT, CLOCK, DAILY, FREQUENCY, RESTRICTED, CALENDAR, PORTAL, BAR_STATE_ITEMS };
typedef struct {
    PyObject *item[BAR_STATE_ITEMS];
} BarState;

static void
bar_state_release(BarState *state)
{
    for (int i = 0; i < BAR_STATE_ITEMS; i++)
        Py_CLEAR(state->item[i]);
}

/* 1 with *state filled when the instance has a Spot and is outside
   before_trading_start, 0 when not (the slow function answers), -1 on error. The
   instance's __dict__ is read once. */
static int
bar_state(PyObject *bar, BarState *state)
{
    PyObject *const keys[BAR_STATE_ITEMS] = {str_spot, str_dt, str_daily, str_frequency,
                                              str_restricted, str_calendar, str_portal};
    memset(state, 0, sizeof(*state));
    PyObject *dict = PyObject_GenericGetDict(bar, NULL);
    if (dict == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_AttributeError))
            return -1;
        PyErr_Clear();  /* no __dict__: nothing the core put there */
        return 0;
    }
    int ready = PyDict_GetItemWithError(dict, str_adjust) == Py_False;
    for (int i = 0; ready && i < BAR_STATE_ITEMS; i++) {
        PyObject *item = PyDict_GetItemWithError(dict, keys[i]);
        ready = item != NULL;
        state->item[i] = Py_XNewRef(item);
    }
    Py_DECREF(dict);
    if (ready && Py_TYPE(state->item[SPOT]) == &fp_Spot_Type)
        return 1;
    bar_state_release(state);
    return PyErr_Occurred() ? -1 : 0;
}

/* The minute BarData reads at: its clock, or in a daily simulation the clock's session
   by the portal's calendar (a new reference). */
static PyObject *
bar_minute(BarState *state)
{
    PyObject *dt = PyObject_CallNoArgs(state->item[CLOCK]);
    if (dt == NULL || state->item[DAILY] != Py_True)
        return dt;
    PyObject *calendar = PyObject_GetAttr(state->item[PORTAL], str_trading_calendar);
    PyObject *session = calendar == NULL ? NULL
                                         : PyObject_CallMethodOneArg(calendar,
                                                                     str_minute_to_session, dt);
    Py_XDECREF(calendar);
    Py_DECREF(dt);
    return session;
}

/* The BarData fast paths: the answer, or NotImplemented to let the slow function
   answer (no error set), or NULL on error. */
static PyObject *
bar_call(FastMethodObject *self, PyObject *const *args, Py_ssize_t Py_UNUSED(nargs))
{
    BarState state;
    int ready = bar_state(args[0], &state);
    if (ready <= 0)
        return ready < 0 ? NULL : Py_NewRef(Py_NotImplemented);
    SpotObject *spot = (SpotObject *)state.item[SPOT];
    PyObject *answer = NULL, *dt = NULL;
    if (self->kind == BAR_CURRENT) {
        PyObject *assets = args[1], *fields = args[2];
        int several = PyList_CheckExact(assets) || PyTuple_CheckExact(assets);
        PyObject *(*ask)(SpotObject *, PyObject *const *, Py_ssize_t) = NULL;
        if (PyUnicode_CheckExact(fields))
            ask = several ? fp_spot_current_series : fp_spot_value_of;
        else if (PyList_CheckExact(fields) || PyTuple_CheckExact(fields))
            ask = several ? fp_spot_current_frame : fp_spot_current_fields;
        if (ask != NULL && (dt = bar_minute(&state)) != NULL) {
            PyObject *call[4] = {assets, fields, dt, state.item[FREQUENCY]};
            answer = ask(spot, call, 4);
        }
        else if (ask == NULL)
            answer = Py_NewRef(Py_NotImplemented);
    }
    else if ((dt = PyObject_CallNoArgs(state.item[CLOCK])) != NULL) {
        if (self->kind == BAR_IS_STALE) {
            PyObject *call[3] = {args[1], dt, state.item[FREQUENCY]};
            answer = fp_spot_is_stale_of(spot, call, 3);
        }
        else {
            PyObject *call[7] = {args[1], dt, state.item[RESTRICTED], state.item[CALENDAR],
                                 state.item[DAILY], state.item[FREQUENCY], state.item[PORTAL]};
            answer = fp_spot_can_trade_of(spot, call, 7);
        }
    }
    Py_XDECREF(dt);
    bar_state_release(&state);
    if (answer != NULL && PyUnicode_Check(answer)) {
        Py_DECREF(answer);  /* a reason: the slow function asks again and counts it */
        return Py_NewRef(Py_NotImplemented);
    }
    return answer;
}

/* DataPortal's get_spot_value / get_scalar_asset_spot_value (args: the portal, asset,
   field, dt, frequency) and get_adjusted_value (asset, field, dt, perspective_dt,
   frequency): the portal's Spot answers, or NotImplemented. */
static PyObject *
portal_call(FastMethodObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *spot = instance_item(args[0], str_spot);
    if (spot == NULL || Py_TYPE(spot) != &fp_Spot_Type) {
        Py_XDECREF(spot);
        return PyErr_Occurred() ? NULL : Py_NewRef(Py_NotImplemented);
    }
    PyObject *answer = self->kind == PORTAL_SPOT
                           ? fp_spot_value_of((SpotObject *)spot, args + 1, nargs - 1)
                           : fp_spot_adjusted_of((SpotObject *)spot, args + 1, nargs - 1);
    Py_DECREF(spot);
    if (answer != NULL && PyUnicode_Check(answer)) {
        Py_DECREF(answer);  /* a reason: the slow function asks again and counts it */
        return Py_NewRef(Py_NotImplemented);
    }
    return answer;
}

#define MAX_BOUND 8

/* The arguments of a call with keywords, bound by the parameters' names into bound
   (instance first): the count bound, or 0 when they do not bind (the slow function then
   raises or answers as it does). */
static Py_ssize_t
bind_keywords(FastMethodObject *self, PyObject *const *args, Py_ssize_t nargs,
              PyObject *kwnames, PyObject **bound)
{
    Py_ssize_t width = self->names == Py_None ? 0 : PyTuple_GET_SIZE(self->names);
    if (width == 0 || width + 1 > MAX_BOUND || nargs > width + 1)
        return 0;
    for (Py_ssize_t i = 0; i <= width; i++)
        bound[i] = i < nargs ? args[i] : NULL;
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(kwnames); k++) {
        PyObject *key = PyTuple_GET_ITEM(kwnames, k);
        Py_ssize_t at = -1;
        for (Py_ssize_t i = 0; at < 0 && i < width; i++)
            if (PyTuple_GET_ITEM(self->names, i) == key ||
                (PyUnicode_CheckExact(key) &&
                 PyUnicode_Compare(PyTuple_GET_ITEM(self->names, i), key) == 0))
                at = i + 1;
        if (at < 0 || bound[at] != NULL)
            return 0;
        bound[at] = args[nargs + k];
    }
    for (Py_ssize_t i = 0; i <= width; i++)
        if (bound[i] == NULL)
            return 0;
    return width + 1;
}

static PyObject *
FastMethod_vectorcall(FastMethodObject *self, PyObject *const *args, size_t nargsf,
                      PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    PyObject *kwnames_of_call = kwnames;
    PyObject *bound[MAX_BOUND];
    PyObject *const *given = args;
    Py_ssize_t given_count = nargs;
    if (kwnames != NULL && nargs >= 1 && PyTuple_GET_SIZE(kwnames) > 0) {
        Py_ssize_t count = bind_keywords(self, args, nargs, kwnames, bound);
        if (count > 0) {
            given = bound;
            given_count = count;
            kwnames = NULL;  /* for the fast path only; slow gets the call as made */
        }
    }
    if (kwnames == NULL && given_count - 1 >= self->min_args &&
        given_count - 1 <= self->max_args) {
        PyObject *const *args_for_slow = args;
        args = given;
        nargs = given_count;
        PyObject *answer;
        if (self->kind == CALENDAR_LOOKUP)
            answer = calendar_lookup(self, args, nargs);
        else if (self->kind == PORTAL_SPOT || self->kind == PORTAL_ADJUSTED)
            answer = portal_call(self, args, nargs);
        else
            answer = bar_call(self, args, nargs);
        /* what a path returns to leave the call to slow: None for a calendar lookup
           (never an answer of one), NotImplemented for a spot value (None is one: a
           continuous future with no contract) */
        if (answer != (self->kind == CALENDAR_LOOKUP ? Py_None : Py_NotImplemented))
            return answer;  /* the core's answer, or its error */
        Py_DECREF(answer);
        args = args_for_slow;
    }
    return PyObject_Vectorcall(self->slow, args, nargsf, kwnames_of_call);
}

static PyObject *
FastMethod_get(FastMethodObject *self, PyObject *obj, PyObject *Py_UNUSED(type))
{
    if (obj == NULL || obj == Py_None)
        return Py_NewRef(self);
    return PyMethod_New((PyObject *)self, obj);
}

static PyObject *
FastMethod_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"kind", "slow", "lookup", "names", NULL};
    const char *kind;
    PyObject *slow, *lookup = Py_None, *names = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "sO|OO:FastMethod", kwlist, &kind, &slow,
                                     &lookup, &names))
        return NULL;
    if (names != Py_None) {
        int strings = PyTuple_CheckExact(names) && PyTuple_GET_SIZE(names) < MAX_BOUND;
        for (Py_ssize_t i = 0; strings && i < PyTuple_GET_SIZE(names); i++)
            strings = PyUnicode_CheckExact(PyTuple_GET_ITEM(names, i));
        if (!strings) {
            PyErr_Format(PyExc_TypeError, "names must be a tuple of fewer than %d str",
                         MAX_BOUND);
            return NULL;
        }
    }
    static const struct { const char *name; int kind; Py_ssize_t min, max; } kinds[] = {
        {"calendar 1", CALENDAR_LOOKUP, 1, 1}, {"calendar 2", CALENDAR_LOOKUP, 1, 2},
        {"current", BAR_CURRENT, 2, 2}, {"can_trade", BAR_CAN_TRADE, 1, 1},
        {"is_stale", BAR_IS_STALE, 1, 1}, {"spot value", PORTAL_SPOT, 4, 4},
        {"adjusted value", PORTAL_ADJUSTED, 5, 5},
    };
    int found = -1;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(kind, kinds[i].name) == 0)
            found = (int)i;
    if (found < 0 || !PyCallable_Check(slow) ||
        (kinds[found].kind == CALENDAR_LOOKUP) != PyUnicode_CheckExact(lookup)) {
        PyErr_SetString(PyExc_ValueError, "FastMethod(kind, slow, lookup): kind one of "
                        "'calendar 1', 'calendar 2' (with a lookup name), 'current', "
                        "'can_trade', 'is_stale', 'spot value', 'adjusted value'; slow a "
                        "callable");
        return NULL;
    }
    PyMethodDef *def = NULL;
    if (kinds[found].kind == CALENDAR_LOOKUP) {
        const char *name = PyUnicode_AsUTF8(lookup);
        if (name == NULL)
            return NULL;
        for (def = fp_CalendarLookups_Type.tp_methods; def->ml_name != NULL; def++)
            if (strcmp(def->ml_name, name) == 0)
                break;
        if (def->ml_name == NULL ||
            !(def->ml_flags & (METH_O | METH_FASTCALL)) || (def->ml_flags & METH_KEYWORDS)) {
            PyErr_Format(PyExc_ValueError, "CalendarLookups has no lookup %R", lookup);
            return NULL;
        }
    }
    FastMethodObject *self = (FastMethodObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->lookup_def = def;
    self->kind = kinds[found].kind;
    self->min_args = kinds[found].min;
    self->max_args = kinds[found].max;
    self->slow = Py_NewRef(slow);
    self->lookup = Py_NewRef(lookup);
    self->names = Py_NewRef(names);
    self->vectorcall = (vectorcallfunc)FastMethod_vectorcall;
    return (PyObject *)self;
}

static int
FastMethod_traverse(FastMethodObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->slow);
    Py_VISIT(self->lookup);
    Py_VISIT(self->names);
    return 0;
}

static int
FastMethod_clear(FastMethodObject *self)
{
    Py_CLEAR(self->slow);
    Py_CLEAR(self->lookup);
    Py_CLEAR(self->names);
    return 0;
}

static void
FastMethod_dealloc(FastMethodObject *self)
{
    PyObject_GC_UnTrack(self);
    FastMethod_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* The slow function's name, doc, module and signature (its __wrapped__), so that
   help(), inspect and pickle see the method as the function it stands for. */
static PyObject *
FastMethod_getattro(FastMethodObject *self, PyObject *name)
{
    if (PyUnicode_Check(name) && (PyUnicode_CompareWithASCIIString(name, "__doc__") == 0 ||
                                  PyUnicode_CompareWithASCIIString(name, "__module__") == 0))
        return PyObject_GetAttr(self->slow, name);
    PyObject *found = PyObject_GenericGetAttr((PyObject *)self, name);
    if (found != NULL || !PyErr_ExceptionMatches(PyExc_AttributeError))
        return found;
    PyErr_Clear();
    return PyObject_GetAttr(self->slow, name);
}

/* Pickled by reference, as a function is: its module and qualified name. */
static PyObject *
FastMethod_reduce(FastMethodObject *self, PyObject *Py_UNUSED(ignored))
{
    return PyObject_GetAttrString(self->slow, "__qualname__");
}

static PyMethodDef FastMethod_methods[] = {
    {"__reduce__", (PyCFunction)FastMethod_reduce, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

PyTypeObject fp_FastMethod_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "fastportal._core.FastMethod",
    .tp_basicsize = sizeof(FastMethodObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_METHOD_DESCRIPTOR |
                Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "FastMethod(kind, slow, lookup=None, names=None): a method answered by the "
              "core where it can, by slow(self, ...) otherwise; names, the parameters "
              "after self, let calls with keywords be answered too.",
    .tp_vectorcall_offset = offsetof(FastMethodObject, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_descr_get = (descrgetfunc)FastMethod_get,
    .tp_getattro = (getattrofunc)FastMethod_getattro,
    .tp_methods = FastMethod_methods,
    .tp_new = FastMethod_new,
    .tp_traverse = (traverseproc)FastMethod_traverse,
    .tp_clear = (inquiry)FastMethod_clear,
    .tp_dealloc = (destructor)FastMethod_dealloc,
};

int
fp_methods_init_strings(void)
{
    struct { PyObject **slot; const char *text; } strings[] = {
        {&str_lookups, "_fastportal_lookups"}, {&str_spot, "_fastportal_spot"},
        {&str_dt, "_fastportal_dt"}, {&str_daily, "_fastportal_daily"},
        {&str_adjust, "_fastportal_adjust_minutes"},
        {&str_frequency, "_fastportal_frequency"},
        {&str_restricted, "_fastportal_restricted"},
        {&str_calendar, "_fastportal_calendar"}, {&str_portal, "_fastportal_portal"},
        {&str_trading_calendar, "trading_calendar"},
        {&str_minute_to_session, "minute_to_session"},
    };
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
        if ((*strings[i].slot = PyUnicode_InternFromString(strings[i].text)) == NULL)
            return -1;
    return 0;
}
