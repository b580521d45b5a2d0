/* PandasBuilder: Series, DatetimeIndex and frames (the several-fields frame with its
 * MultiIndex too) assembled the way pandas' own fast paths
 * assemble them, without running their Python-level constructors.
 *
 * pd.Series(values, index=index, copy=False) costs ~10 us, most of it argument
 * inspection that a history window never needs: its values are a fresh float64 array
 * and its index a DatetimeIndex that is already right. Here each object is made by its
 * type's tp_new and given the attributes pandas' own _simple_new / _from_mgr /
 * SingleBlockManager.from_array give it, in the same order; the Cython parts (block,
 * placement, references, the datetime array's backing) are made by calling them. The result is the object
 * pandas would have made. Which pandas builds that same object is checked by the shim
 * (fastportal._pandas) before the builder is used; tests/test_objects.py compares the
 * two anatomies attribute by attribute.
 */
#include "objects.h"
#include "arrays.h"

static PyObject *str_freq_attr;
static PyObject *str_data, *str_name_attr, *str_cache, *str_id, *str_references;
static PyObject *str_add_index_reference;
static PyObject *str_axes, *str_blocks;
static PyObject *str_is_copy, *str_mgr, *str_item_cache, *str_attrs, *str_flags;
static PyObject *str_allows_duplicate_labels, *str_obj;
static PyObject *str_known_consolidated, *str_is_consolidated;
static PyObject *str_fields_name, *str_levels, *str_codes, *str_names, *str_sortorder;

int
fp_objects_init_strings(void)
{
#define INTERN(var, text) \
    if ((var = PyUnicode_InternFromString(text)) == NULL) return -1
    INTERN(str_freq_attr, "_freq");
    INTERN(str_data, "_data");
    INTERN(str_name_attr, "_name");
    INTERN(str_cache, "_cache");
    INTERN(str_id, "_id");
    INTERN(str_references, "_references");
    INTERN(str_add_index_reference, "add_index_reference");
    INTERN(str_axes, "axes");
    INTERN(str_blocks, "blocks");
    INTERN(str_is_copy, "_is_copy");
    INTERN(str_mgr, "_mgr");
    INTERN(str_item_cache, "_item_cache");
    INTERN(str_attrs, "_attrs");
    INTERN(str_flags, "_flags");
    INTERN(str_allows_duplicate_labels, "_allows_duplicate_labels");
    INTERN(str_obj, "_obj");
    INTERN(str_known_consolidated, "_known_consolidated");
    INTERN(str_is_consolidated, "_is_consolidated");
    INTERN(str_fields_name, "fields");
    INTERN(str_levels, "_levels");
    INTERN(str_codes, "_codes");
    INTERN(str_names, "_names");
    INTERN(str_sortorder, "sortorder");
#undef INTERN
    return 0;
}

/* object.__new__(cls), as pandas' _simple_new and _from_mgr begin. */
static PyObject *
build_bare(PyTypeObject *type, PyObject *no_args)
{
    return PyBaseObject_Type.tp_new(type, no_args, NULL);
}

/* The check object.__new__(cls) makes when called from Python: the first static base
   of cls must be made by object.__new__ too, or its instances would miss their C state. */
static int
made_by_object_new(PyTypeObject *type)
{
    while (type != NULL && (type->tp_flags & Py_TPFLAGS_HEAPTYPE))
        type = type->tp_base;
    return type != NULL && type->tp_new == PyBaseObject_Type.tp_new;
}

/* object.__setattr__(obj, name, value), stealing value; -1 on error. */
static int
build_set_stolen(PyObject *obj, PyObject *name, PyObject *value)
{
    if (value == NULL)
        return -1;
    int rc = PyObject_GenericSetAttr(obj, name, value);
    Py_DECREF(value);
    return rc;
}

static int
set_borrowed(PyObject *obj, PyObject *name, PyObject *value)
{
    return PyObject_GenericSetAttr(obj, name, value);
}

/* Index._simple_new(data) for an Index subclass `type`. */
static PyObject *
simple_index(PandasBuilderObject *b, PyTypeObject *type, PyObject *data)
{
    PyObject *refs = NULL, *done = NULL;
    PyObject *index = build_bare(type, b->no_args);
    if (index == NULL || set_borrowed(index, str_data, data) < 0 ||
        set_borrowed(index, str_name_attr, Py_None) < 0 ||
        build_set_stolen(index, str_cache, PyDict_New()) < 0 ||
        build_set_stolen(index, str_id, PyObject_CallNoArgs((PyObject *)&PyBaseObject_Type)) < 0)
        goto fail;
    refs = PyObject_CallNoArgs((PyObject *)b->refs_type);
    if (refs == NULL || set_borrowed(index, str_references, refs) < 0)
        goto fail;
    done = PyObject_CallMethodOneArg(refs, str_add_index_reference, index);
    if (done == NULL)
        goto fail;
    Py_DECREF(done);
    Py_DECREF(refs);
    return index;
fail:
    Py_XDECREF(refs);
    Py_XDECREF(index);
    return NULL;
}

/* Index(labels, dtype=object, name=name) for the items of a list or tuple. */
PyObject *
fp_build_object_index(PandasBuilderObject *b, PyObject *labels, PyObject *name)
{
    npy_intp width = PySequence_Fast_GET_SIZE(labels);
    PyArrayObject *values = (PyArrayObject *)PyArray_SimpleNew(1, &width, NPY_OBJECT);
    if (values == NULL)
        return NULL;
    for (npy_intp j = 0; j < width; j++) {
        if (PyArray_SETITEM(values, PyArray_GETPTR1(values, j),
                            PySequence_Fast_GET_ITEM(labels, j)) < 0) {
            Py_DECREF(values);
            return NULL;
        }
    }
    PyObject *index = simple_index(b, b->object_index_type, (PyObject *)values);
    Py_DECREF(values);
    if (index != NULL && name != Py_None && set_borrowed(index, str_name_attr, name) < 0)
        Py_CLEAR(index);
    return index;
}

/* DatetimeArray._simple_new(values, freq, dtype), then DatetimeIndex._simple_new(it). */
PyObject *
fp_build_datetime_index(PandasBuilderObject *b, PyObject *values, PyObject *freq,
                        PyObject *dtype)
{
    PyObject *array_args[2] = {values, dtype};
    PyObject *array = PyObject_Vectorcall(b->array_new, array_args, 2, NULL);
    if (array == NULL)
        return NULL;
    PyObject *index = NULL;
    if (set_borrowed(array, str_freq_attr, freq) == 0)
        index = simple_index(b, b->index_type, array);
    Py_DECREF(array);
    return index;
}

/* new_block(values, placement=BlockPlacement(slice(0, rows)), ndim=ndim). */
static PyObject *
numpy_block(PandasBuilderObject *b, PyObject *values, Py_ssize_t rows, PyObject *ndim)
{
    PyObject *stop = PyLong_FromSsize_t(rows);
    if (stop == NULL)
        return NULL;
    PyObject *slice = PySlice_New(b->zero, stop, NULL);
    Py_DECREF(stop);
    if (slice == NULL)
        return NULL;
    PyObject *placement = PyObject_CallOneArg((PyObject *)b->placement_type, slice);
    Py_DECREF(slice);
    if (placement == NULL)
        return NULL;
    PyObject *block_args[3] = {values, placement, ndim};
    PyObject *block = PyObject_Vectorcall((PyObject *)b->block_type, block_args, 3, NULL);
    Py_DECREF(placement);
    return block;
}

/* SingleBlockManager.from_array(values, index), as Series._from_mgr receives it. */
static PyObject *
single_block_manager(PandasBuilderObject *b, PyObject *values, PyObject *index)
{
    PyObject *block = numpy_block(b, values, PyArray_DIM((PyArrayObject *)values, 0), b->one);
    if (block == NULL)
        return NULL;
    PyObject *manager = build_bare(b->manager_type, b->no_args);
    if (manager == NULL ||
        build_set_stolen(manager, str_axes, Py_BuildValue("[O]", index)) < 0 ||
        build_set_stolen(manager, str_blocks, PyTuple_Pack(1, block)) < 0) {
        Py_XDECREF(manager);
        manager = NULL;
    }
    Py_DECREF(block);
    return manager;
}

/* Flags(obj, allows_duplicate_labels=True). */
static PyObject *
ndframe_flags(PandasBuilderObject *b, PyObject *series)
{
    PyObject *flags = build_bare(b->flags_type, b->no_args);
    if (flags == NULL)
        return NULL;
    if (set_borrowed(flags, str_allows_duplicate_labels, Py_True) < 0 ||
        build_set_stolen(flags, str_obj, PyWeakref_NewRef(series, NULL)) < 0) {
        Py_DECREF(flags);
        return NULL;
    }
    return flags;
}

/* NDFrame.__init__(obj, manager). */
static int
ndframe_init(PandasBuilderObject *b, PyObject *obj, PyObject *manager)
{
    if (set_borrowed(obj, str_is_copy, Py_None) < 0 ||
        set_borrowed(obj, str_mgr, manager) < 0 ||
        build_set_stolen(obj, str_item_cache, PyDict_New()) < 0 ||
        build_set_stolen(obj, str_attrs, PyDict_New()) < 0 ||
        build_set_stolen(obj, str_flags, ndframe_flags(b, obj)) < 0)
        return -1;
    return 0;
}

/* pd.Series(values, index=index, name=name, copy=False) for a 1-D array. */
PyObject *
fp_build_series(PandasBuilderObject *b, PyObject *values, PyObject *index, PyObject *name)
{
    if (PyObject_Hash(name) == -1) {
        /* pandas' is_hashable turns only a TypeError into its own */
        if (PyErr_ExceptionMatches(PyExc_TypeError)) {
            PyErr_Clear();
            PyErr_SetString(PyExc_TypeError, "Series.name must be a hashable type");
        }
        return NULL;
    }
    PyObject *manager = single_block_manager(b, values, index);
    if (manager == NULL)
        return NULL;
    PyObject *series = build_bare(b->series_type, b->no_args);
    if (series == NULL || ndframe_init(b, series, manager) < 0 ||
        set_borrowed(series, str_name_attr, name) < 0) {
        Py_XDECREF(series);
        series = NULL;
    }
    Py_DECREF(manager);
    return series;
}

/* BlockManager(blocks, [columns, index], verify_integrity=False), consolidated as the
   DataFrame constructor leaves it, in a DataFrame made by _from_mgr. */
static PyObject *
frame_of_blocks(PandasBuilderObject *b, PyObject *blocks, PyObject *index,
                PyObject *column_index)
{
    PyObject *manager_args[3] = {blocks, NULL, Py_False};
    manager_args[1] = Py_BuildValue("[OO]", column_index, index);
    if (manager_args[1] == NULL)
        return NULL;
    PyObject *manager = PyObject_Vectorcall((PyObject *)b->frame_manager_type, manager_args,
                                            2, b->verify_integrity);
    Py_DECREF(manager_args[1]);
    PyObject *frame = NULL;
    if (manager != NULL && set_borrowed(manager, str_known_consolidated, Py_True) == 0 &&
        set_borrowed(manager, str_is_consolidated, Py_True) == 0) {
        frame = build_bare(b->frame_type, b->no_args);
        if (frame != NULL && ndframe_init(b, frame, manager) < 0)
            Py_CLEAR(frame);
    }
    Py_XDECREF(manager);
    return frame;
}

/* pd.DataFrame(block.T, index=index, columns=columns, copy=False) for a (columns, rows)
   float64 block, as BlockManager and DataFrame._from_mgr assemble it. */
PyObject *
fp_build_frame(PandasBuilderObject *b, PyObject *block_values, PyObject *index,
               PyObject *columns, PyObject *column_axis)
{
    PyObject *column_index = NULL, *block = NULL, *blocks = NULL;
    PyObject *frame = NULL;
    npy_intp width = PyArray_DIM((PyArrayObject *)block_values, 0);
    if (column_axis != NULL) {
        /* an Index of the columns, given: pd.DataFrame keeps it as its columns */
        Py_INCREF(column_axis);
        column_index = column_axis;
        goto columns_done;
    }
    column_index = fp_build_object_index(b, columns, Py_None);
    if (column_index == NULL)
        goto done;
columns_done:
    block = numpy_block(b, block_values, width, b->two);
    if (block == NULL)
        goto done;
    blocks = PyTuple_Pack(1, block);
    if (blocks != NULL)
        frame = frame_of_blocks(b, blocks, index, column_index);
done:
    Py_XDECREF(column_index);
    Py_XDECREF(block);
    Py_XDECREF(blocks);
    return frame;
}

/* A DataFrame of several blocks, as pd.DataFrame(dict of Series) leaves it once
   consolidated: each block's (k, rows) values placed at its k column positions (an
   int64 array), the blocks in the order given. */
PyObject *
fp_build_frame_of_blocks(PandasBuilderObject *b, PyObject *values, PyObject *positions,
                         PyObject *index, PyObject *column_index)
{
    Py_ssize_t count = PyTuple_GET_SIZE(values);
    PyObject *blocks = PyTuple_New(count), *frame = NULL;
    if (blocks == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *placement = PyObject_CallOneArg((PyObject *)b->placement_type,
                                                  PyTuple_GET_ITEM(positions, i));
        if (placement == NULL)
            goto done;
        PyObject *block_args[3] = {PyTuple_GET_ITEM(values, i), placement, b->two};
        PyObject *block = PyObject_Vectorcall((PyObject *)b->block_type, block_args, 3, NULL);
        Py_DECREF(placement);
        if (block == NULL)
            goto done;
        PyTuple_SET_ITEM(blocks, i, block);
    }
    frame = frame_of_blocks(b, blocks, index, column_index);
done:
    Py_DECREF(blocks);
    return frame;
}

/* pd.DataFrame(None, index=index, columns=None): upstream's daily window of no assets,
   made by pandas' own constructor (it has no block for the builder to assemble). */
PyObject *
fp_build_empty_frame(PandasBuilderObject *b, PyObject *index)
{
    PyObject *args[2] = {Py_None, index};
    PyObject *names = Py_BuildValue("(s)", "index");
    if (names == NULL)
        return NULL;
    PyObject *frame = PyObject_Vectorcall((PyObject *)b->frame_type, args, 1, names);
    Py_DECREF(names);
    return frame;
}

/* ---- several fields: rows (date, asset), a column per field (fields.c) ------------ */

/* The codes of a level of `categories` labels, in the narrowest type pandas'
   coerce_indexer_dtype picks: code of row r is r / repeat % categories. pandas takes
   with codes unchecked, so they must never be written: a frozen array, which nothing can
   make writable. */
static PyObject *
level_codes(Py_ssize_t rows, Py_ssize_t categories, Py_ssize_t repeat)
{
    int type = categories < INT8_MAX ? NPY_INT8 : categories < INT16_MAX ? NPY_INT16
             : categories < INT32_MAX ? NPY_INT32 : NPY_INT64;
    npy_intp dims[1] = {rows};
    PyArrayObject *codes = fp_frozen_array(1, dims, type);
    if (codes == NULL)
        return NULL;
    char *data = PyArray_DATA(codes);
    for (Py_ssize_t r = 0; r < rows; r++) {
        Py_ssize_t code = r / repeat % categories;
        switch (type) {
        case NPY_INT8: ((int8_t *)data)[r] = (int8_t)code; break;
        case NPY_INT16: ((int16_t *)data)[r] = (int16_t)code; break;
        case NPY_INT32: ((int32_t *)data)[r] = (int32_t)code; break;
        default: ((int64_t *)data)[r] = (int64_t)code;
        }
    }
    return (PyObject *)codes;
}

/* FrozenList([a, b]) */
static PyObject *
frozen_pair(PandasBuilderObject *b, PyObject *first, PyObject *second)
{
    PyObject *pair = PyList_New(2);
    if (pair == NULL)
        return NULL;
    Py_INCREF(first);
    PyList_SET_ITEM(pair, 0, first);
    Py_INCREF(second);
    PyList_SET_ITEM(pair, 1, second);
    PyObject *frozen = PyObject_CallOneArg((PyObject *)b->frozen_list_type, pair);
    Py_DECREF(pair);
    return frozen;
}

/* pd.MultiIndex(levels=[dates, assets], codes=..., names=[dt_label, None],
   verify_integrity=False) for rows ordered by date, then asset. `dates` is a fresh
   DatetimeIndex of `count` dates, made by the core (pandas takes the codes unchecked:
   its length is not asked of it again): it takes dt_label as its name, as upstream's
   level has it. count * width is the block's row count, which the caller has. */
static PyObject *
fields_multi_index(PandasBuilderObject *b, PyObject *dates, Py_ssize_t count,
                   PyObject *assets, PyObject *dt_label)
{
    Py_ssize_t width = PyTuple_GET_SIZE(assets);
    PyObject *asset_level = NULL, *date_codes = NULL, *asset_codes = NULL;
    PyObject *levels = NULL, *codes = NULL, *index = NULL;
    if (PyObject_GenericSetAttr(dates, str_name_attr, dt_label) < 0)
        return NULL;
    if ((asset_level = fp_build_object_index(b, assets, Py_None)) == NULL ||
        (date_codes = level_codes(count * width, count, width)) == NULL ||
        (asset_codes = level_codes(count * width, width, 1)) == NULL ||
        (levels = frozen_pair(b, dates, asset_level)) == NULL ||
        (codes = frozen_pair(b, date_codes, asset_codes)) == NULL)
        goto done;
    index = build_bare(b->multi_index_type, b->no_args);
    if (index == NULL ||
        build_set_stolen(index, str_cache, PyDict_New()) < 0 ||
        PyObject_GenericSetAttr(index, str_levels, levels) < 0 ||
        PyObject_GenericSetAttr(index, str_codes, codes) < 0 ||
        build_set_stolen(index, str_names, Py_BuildValue("[OO]", dt_label, Py_None)) < 0 ||
        PyObject_GenericSetAttr(index, str_sortorder, Py_None) < 0 ||
        build_set_stolen(index, str_id,
                         PyObject_CallNoArgs((PyObject *)&PyBaseObject_Type)) < 0 ||
        PyObject_GenericSetAttr(index, str_references, Py_None) < 0)
        Py_CLEAR(index);
done:
    Py_XDECREF(asset_level);
    Py_XDECREF(date_codes);
    Py_XDECREF(asset_codes);
    Py_XDECREF(levels);
    Py_XDECREF(codes);
    return index;
}

/* The frame of a (fields, dates x assets) float64 block: rows (date, asset) over the
   fresh DatetimeIndex `dates`, `assets` sorted and unique, columns the `fields`. */
PyObject *
fp_build_fields_frame(PandasBuilderObject *b, PyObject *block, PyObject *dates,
                      Py_ssize_t count, PyObject *assets, PyObject *fields, PyObject *dt_label)
{
    PyObject *frame = NULL;
    PyObject *index = fields_multi_index(b, dates, count, assets, dt_label);
    if (index == NULL)
        return NULL;
    PyObject *columns = fp_build_object_index(b, fields, str_fields_name);
    if (columns != NULL)
        frame = fp_build_frame(b, block, index, NULL, columns);
    Py_DECREF(index);
    Py_XDECREF(columns);
    return frame;
}

/* ---- the type ----------------------------------------------------------------------- */

static PyObject *
PandasBuilder_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"series_type", "manager_type", "block_type", "placement_type",
                             "refs_type", "flags_type", "index_type", "frame_type",
                             "frame_manager_type", "object_index_type", "multi_index_type",
                             "frozen_list_type", "tz_dtype_type", "array_new", NULL};
    PyTypeObject *types[13];
    PyObject *array_new;
    if (!PyArg_ParseTupleAndKeywords(
            args, kwds, "O!O!O!O!O!O!O!O!O!O!O!O!O!O:PandasBuilder", kwlist, &PyType_Type,
            &types[0], &PyType_Type, &types[1], &PyType_Type, &types[2], &PyType_Type,
            &types[3], &PyType_Type, &types[4], &PyType_Type, &types[5], &PyType_Type,
            &types[6], &PyType_Type, &types[7], &PyType_Type, &types[8], &PyType_Type,
            &types[9], &PyType_Type, &types[10], &PyType_Type, &types[11], &PyType_Type,
            &types[12], &array_new))
        return NULL;
    if (!PyCallable_Check(array_new)) {
        PyErr_SetString(PyExc_TypeError, "array_new must be callable");
        return NULL;
    }
    for (int i = 0; i < 13; i++) {
        if (types[i]->tp_new == NULL) {
            PyErr_Format(PyExc_TypeError, "%s cannot be instantiated", kwlist[i]);
            return NULL;
        }
    }
    PyTypeObject *bare[7] = {types[0], types[1], types[5], types[6], types[7], types[9],
                             types[10]};
    for (int i = 0; i < 7; i++) {
        if (!made_by_object_new(bare[i])) {
            PyErr_Format(PyExc_TypeError, "%s instances are not made by object.__new__",
                         bare[i]->tp_name);
            return NULL;
        }
    }
    PandasBuilderObject *self = (PandasBuilderObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    PyTypeObject **slots[13] = {&self->series_type, &self->manager_type, &self->block_type,
                                &self->placement_type, &self->refs_type, &self->flags_type,
                                &self->index_type, &self->frame_type,
                                &self->frame_manager_type, &self->object_index_type,
                                &self->multi_index_type, &self->frozen_list_type,
                                &self->tz_dtype_type};
    for (int i = 0; i < 13; i++) {
        Py_INCREF(types[i]);
        *slots[i] = types[i];
    }
    Py_INCREF(array_new);
    self->array_new = array_new;
    self->no_args = PyTuple_New(0);
    self->zero = PyLong_FromLong(0);
    self->one = PyLong_FromLong(1);
    self->two = PyLong_FromLong(2);
    self->verify_integrity = Py_BuildValue("(s)", "verify_integrity");
    if (self->no_args == NULL || self->zero == NULL || self->one == NULL ||
        self->two == NULL || self->verify_integrity == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static int
PandasBuilder_traverse(PandasBuilderObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->series_type);
    Py_VISIT(self->manager_type);
    Py_VISIT(self->block_type);
    Py_VISIT(self->placement_type);
    Py_VISIT(self->refs_type);
    Py_VISIT(self->flags_type);
    Py_VISIT(self->index_type);
    Py_VISIT(self->frame_type);
    Py_VISIT(self->frame_manager_type);
    Py_VISIT(self->object_index_type);
    Py_VISIT(self->multi_index_type);
    Py_VISIT(self->frozen_list_type);
    Py_VISIT(self->tz_dtype_type);
    Py_VISIT(self->array_new);
    return 0;
}

static int
PandasBuilder_clear(PandasBuilderObject *self)
{
    Py_CLEAR(self->series_type);
    Py_CLEAR(self->manager_type);
    Py_CLEAR(self->block_type);
    Py_CLEAR(self->placement_type);
    Py_CLEAR(self->refs_type);
    Py_CLEAR(self->flags_type);
    Py_CLEAR(self->index_type);
    Py_CLEAR(self->frame_type);
    Py_CLEAR(self->frame_manager_type);
    Py_CLEAR(self->object_index_type);
    Py_CLEAR(self->multi_index_type);
    Py_CLEAR(self->frozen_list_type);
    Py_CLEAR(self->tz_dtype_type);
    Py_CLEAR(self->array_new);
    Py_CLEAR(self->no_args);
    Py_CLEAR(self->zero);
    Py_CLEAR(self->one);
    Py_CLEAR(self->two);
    Py_CLEAR(self->verify_integrity);
    return 0;
}

static void
PandasBuilder_dealloc(PandasBuilderObject *self)
{
    PyObject_GC_UnTrack(self);
    PandasBuilder_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* The methods below check what Python code hands them. Arrays are checked on a private
   view (a new ndarray over the caller's memory, which no Python code can reach): a
   __len__, __hash__ or attribute of another argument, run later, can reshape or retype
   the caller's array, never the view the builder goes on with. */
static PyArrayObject *
private_view(PyObject *arg, const char *what)
{
    if (!PyArray_CheckExact(arg)) {
        PyErr_Format(PyExc_TypeError, "%s must be a numpy array", what);
        return NULL;
    }
    return (PyArrayObject *)PyArray_View((PyArrayObject *)arg, NULL, NULL);
}

/* The numpy dtype an index's values must have: dtype itself, or the base of a pandas
   DatetimeTZDtype (a minute window's index has one), as a new reference; NULL with a
   TypeError otherwise. */
static PyObject *
values_dtype_of(PandasBuilderObject *self, PyObject *dtype)
{
    if (PyArray_DescrCheck(dtype))
        return Py_NewRef(dtype);
    if (Py_TYPE(dtype) == self->tz_dtype_type) {
        PyObject *base = PyObject_GetAttrString(dtype, "base");
        if (base == NULL || PyArray_DescrCheck(base))
            return base;
        Py_DECREF(base);
    }
    PyErr_SetString(PyExc_TypeError,
                    "dtype must be the values' numpy dtype or a DatetimeTZDtype based on it");
    return NULL;
}

static PyObject *
PandasBuilder_datetime_index(PandasBuilderObject *self, PyObject *const *args,
                             Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_Format(PyExc_TypeError,
                     "datetime_index() takes values, freq and dtype (%zd given)", nargs);
        return NULL;
    }
    PyObject *numpy_dtype = values_dtype_of(self, args[2]);  /* may run Python: first */
    if (numpy_dtype == NULL)
        return NULL;
    PyArrayObject *values = private_view(args[0], "values");
    PyObject *index = NULL;
    if (values != NULL) {
        if (PyArray_NDIM(values) != 1 || PyArray_TYPE(values) != NPY_DATETIME ||
            !PyArray_ISNOTSWAPPED(values) ||
            !PyArray_EquivTypes(PyArray_DESCR(values), (PyArray_Descr *)numpy_dtype))
            PyErr_SetString(PyExc_TypeError,
                            "values must be a 1-D datetime64 array of the dtype's unit");
        else
            index = fp_build_datetime_index(self, (PyObject *)values, args[1], args[2]);
    }
    Py_DECREF(numpy_dtype);
    Py_XDECREF(values);
    return index;
}

/* The length of an index argument, or -1 with an error: a DatetimeIndex (an exact type,
   whose length pandas reads from its array), or a list or tuple of labels if `labels`. */
static Py_ssize_t
index_length(PandasBuilderObject *self, PyObject *index, int labels, const char *what)
{
    if (labels && (PyList_CheckExact(index) || PyTuple_CheckExact(index)))
        return PySequence_Fast_GET_SIZE(index);
    if (Py_TYPE(index) != self->index_type) {
        PyErr_Format(PyExc_TypeError, "%s must be a %s%s", what, self->index_type->tp_name,
                     labels ? ", a list or a tuple" : "");
        return -1;
    }
    return PyObject_Size(index);
}

static PyObject *
PandasBuilder_series(PandasBuilderObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_Format(PyExc_TypeError, "series() takes values, index and name (%zd given)",
                     nargs);
        return NULL;
    }
    /* a DatetimeIndex, or the labels of an object Index, as data.current's Series of
       several assets or fields has it */
    Py_ssize_t n = index_length(self, args[1], 1, "index");
    if (n < 0)
        return NULL;
    PyArrayObject *values = private_view(args[0], "values");
    if (values == NULL)
        return NULL;
    PyObject *index = NULL, *series = NULL;
    if (PyArray_NDIM(values) != 1 ||
        (PyArray_TYPE(values) != NPY_FLOAT64 && PyArray_TYPE(values) != NPY_INT64))
        PyErr_SetString(PyExc_TypeError, "values must be a 1-D float64 or int64 array");
    else if (n != PyArray_DIM(values, 0))
        PyErr_Format(PyExc_ValueError, "%zd values for an index of %zd",
                     (Py_ssize_t)PyArray_DIM(values, 0), n);
    else if (Py_TYPE(args[1]) == self->index_type)
        series = fp_build_series(self, (PyObject *)values, args[1], args[2]);
    else if ((index = fp_build_object_index(self, args[1], Py_None)) != NULL)
        series = fp_build_series(self, (PyObject *)values, index, args[2]);
    Py_XDECREF(index);
    Py_DECREF(values);
    return series;
}

/* Whether positions place each of columns 0..width-1 exactly once, block after block of
   k x rows values: 1, or 0 with a ValueError. */
static int
blocks_fit(PyObject *values, PyObject *positions, Py_ssize_t width, Py_ssize_t rows)
{
    char *placed = PyMem_Calloc(width > 0 ? (size_t)width : 1, 1);
    if (placed == NULL) {
        PyErr_NoMemory();
        return 0;
    }
    Py_ssize_t total = 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(values); i++) {
        PyArrayObject *block = (PyArrayObject *)PyTuple_GET_ITEM(values, i);
        PyArrayObject *at = (PyArrayObject *)PyTuple_GET_ITEM(positions, i);
        Py_ssize_t k = PyArray_DIM(block, 0);
        if (PyArray_DIM(block, 1) != rows || PyArray_DIM(at, 0) != k) {
            PyErr_SetString(PyExc_ValueError, "a block is k x rows for k positions");
            PyMem_Free(placed);
            return 0;
        }
        const int64_t *where = (const int64_t *)PyArray_DATA(at);
        for (Py_ssize_t j = 0; j < k; j++) {
            if (where[j] < 0 || where[j] >= width || placed[where[j]]) {
                total = -1;
                break;
            }
            placed[where[j]] = 1;
        }
        if (total < 0)
            break;
        total += k;
    }
    PyMem_Free(placed);
    if (total != width) {
        PyErr_SetString(PyExc_ValueError, "positions must place each column exactly once");
        return 0;
    }
    return 1;
}

/* values and positions (tuples of one array per block) as the builder goes on with them:
   private views of the blocks (C-contiguous, aligned, native 2-D float64 or int64) and
   frozen native copies of the positions (1-D int64), checked and then made placements
   of by pandas; 0 with both set, or -1 with an error. */
static int
own_blocks(PyObject *values, PyObject *positions, PyObject **blocks, PyObject **places)
{
    Py_ssize_t count = PyTuple_GET_SIZE(values);
    if (count < 1 || PyTuple_GET_SIZE(positions) != count) {
        PyErr_SetString(PyExc_ValueError, "one positions array for each of 1 or more blocks");
        return -1;
    }
    if ((*blocks = PyTuple_New(count)) == NULL || (*places = PyTuple_New(count)) == NULL)
        goto fail;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyArrayObject *block = private_view(PyTuple_GET_ITEM(values, i), "each block");
        if (block == NULL)
            goto fail;
        PyTuple_SET_ITEM(*blocks, i, (PyObject *)block);
        if (PyArray_NDIM(block) != 2 || !PyArray_ISCARRAY_RO(block) ||
            !PyArray_ISNOTSWAPPED(block) ||
            (PyArray_TYPE(block) != NPY_FLOAT64 && PyArray_TYPE(block) != NPY_INT64)) {
            PyErr_SetString(PyExc_TypeError, "each block must be a C-contiguous, aligned, "
                                             "native 2-D float64 or int64 array");
            goto fail;
        }
        PyObject *at = PyTuple_GET_ITEM(positions, i);
        if (!PyArray_CheckExact(at) || PyArray_NDIM((PyArrayObject *)at) != 1 ||
            PyArray_TYPE((PyArrayObject *)at) != NPY_INT64) {
            PyErr_SetString(PyExc_TypeError, "each positions must be a 1-D int64 array");
            goto fail;
        }
        PyArrayObject *native = (PyArrayObject *)PyArray_FROMANY(at, NPY_INT64, 1, 1,
                                                                 NPY_ARRAY_CARRAY_RO);
        PyArrayObject *place = native == NULL ? NULL : fp_frozen_copy(native);
        Py_XDECREF(native);
        if (place == NULL)
            goto fail;
        PyTuple_SET_ITEM(*places, i, (PyObject *)place);
    }
    return 0;
fail:
    Py_CLEAR(*blocks);
    Py_CLEAR(*places);
    return -1;
}

static PyObject *
PandasBuilder_blocks_frame(PandasBuilderObject *self, PyObject *const *args,
                           Py_ssize_t nargs)
{
    if (nargs != 4) {
        PyErr_Format(PyExc_TypeError, "blocks_frame() takes values, positions, rows and "
                     "columns (%zd given)", nargs);
        return NULL;
    }
    if (!PyTuple_CheckExact(args[0]) || !PyTuple_CheckExact(args[1]) ||
        !PyTuple_CheckExact(args[2]) || !PyTuple_CheckExact(args[3])) {
        PyErr_SetString(PyExc_TypeError, "values, positions, rows and columns must be tuples");
        return NULL;
    }
    PyObject *blocks = NULL, *places = NULL, *index = NULL, *columns = NULL, *frame = NULL;
    if (own_blocks(args[0], args[1], &blocks, &places) < 0)
        return NULL;
    if (blocks_fit(blocks, places, PyTuple_GET_SIZE(args[3]), PyTuple_GET_SIZE(args[2])) &&
        (index = fp_build_object_index(self, args[2], Py_None)) != NULL &&
        (columns = fp_build_object_index(self, args[3], Py_None)) != NULL)
        frame = fp_build_frame_of_blocks(self, blocks, places, index, columns);
    Py_DECREF(blocks);
    Py_DECREF(places);
    Py_XDECREF(index);
    Py_XDECREF(columns);
    return frame;
}

static PyObject *
PandasBuilder_frame(PandasBuilderObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_Format(PyExc_TypeError, "frame() takes block, index and columns (%zd given)",
                     nargs);
        return NULL;
    }
    /* an Index of the columns (an exact type) is kept as the frame's columns, as history
       keeps the Index a strategy gave */
    PyObject *column_axis = Py_TYPE(args[2]) == self->object_index_type ? args[2] : NULL;
    if (column_axis == NULL && !PyList_CheckExact(args[2]) && !PyTuple_CheckExact(args[2])) {
        PyErr_SetString(PyExc_TypeError, "columns must be a list, a tuple or an Index");
        return NULL;
    }
    Py_ssize_t rows = index_length(self, args[1], 0, "index");
    Py_ssize_t width = rows < 0 ? -1 : PyObject_Size(args[2]);
    if (width < 0)
        return NULL;
    PyArrayObject *block = private_view(args[0], "block");
    if (block == NULL)
        return NULL;
    PyObject *frame = NULL;
    if (PyArray_NDIM(block) != 2 || PyArray_TYPE(block) != NPY_FLOAT64)
        PyErr_SetString(PyExc_TypeError, "block must be a 2-D float64 array");
    else if (width != PyArray_DIM(block, 0) || rows != PyArray_DIM(block, 1))
        PyErr_Format(PyExc_ValueError,
                     "a (%zd, %zd) block for %zd columns and an index of %zd",
                     (Py_ssize_t)PyArray_DIM(block, 0), (Py_ssize_t)PyArray_DIM(block, 1),
                     width, rows);
    else
        frame = fp_build_frame(self, (PyObject *)block, args[1], args[2], column_axis);
    Py_DECREF(block);
    return frame;
}

static PyObject *
PandasBuilder_fields_frame(PandasBuilderObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 7) {
        PyErr_Format(PyExc_TypeError, "fields_frame() takes block, dates, freq, dtype, "
                     "assets, fields and dt_label (%zd given)", nargs);
        return NULL;
    }
    if (!PyTuple_CheckExact(args[4]) || !PyTuple_CheckExact(args[5])) {
        PyErr_SetString(PyExc_TypeError, "assets and fields must be tuples");
        return NULL;
    }
    if (!PyUnicode_Check(args[6])) {
        PyErr_SetString(PyExc_TypeError, "dt_label must be a str");
        return NULL;
    }
    /* the dates level is a DatetimeIndex the builder makes of the values, as history's
       is: pandas takes the codes unchecked, so its length must be the one checked */
    PyObject *numpy_dtype = values_dtype_of(self, args[3]);  /* may run Python: first */
    if (numpy_dtype == NULL)
        return NULL;
    PyArrayObject *dates = private_view(args[1], "dates");
    PyArrayObject *block = dates == NULL ? NULL : private_view(args[0], "block");
    PyObject *index = NULL, *frame = NULL;
    if (block == NULL)
        goto done;
    /* a 0-d array has no dims to read: its count is never read */
    Py_ssize_t count = PyArray_NDIM(dates) == 1 ? PyArray_DIM(dates, 0) : 0;
    Py_ssize_t width = PyTuple_GET_SIZE(args[4]);
    if (PyArray_NDIM(dates) != 1 || PyArray_TYPE(dates) != NPY_DATETIME ||
        !PyArray_ISNOTSWAPPED(dates) ||
        !PyArray_EquivTypes(PyArray_DESCR(dates), (PyArray_Descr *)numpy_dtype))
        PyErr_SetString(PyExc_TypeError,
                        "dates must be a 1-D datetime64 array of the dtype's unit");
    else if (PyArray_NDIM(block) != 2 || PyArray_TYPE(block) != NPY_FLOAT64 ||
             !PyArray_IS_C_CONTIGUOUS(block))
        PyErr_SetString(PyExc_TypeError, "block must be a C-contiguous 2-D float64 array");
    else if (PyTuple_GET_SIZE(args[5]) != PyArray_DIM(block, 0) ||
             (width > 0 && count > PY_SSIZE_T_MAX / width) ||
             count * width != PyArray_DIM(block, 1))
        PyErr_Format(PyExc_ValueError, "a (%zd, %zd) block for %zd fields, %zd dates and "
                     "%zd assets", (Py_ssize_t)PyArray_DIM(block, 0),
                     (Py_ssize_t)PyArray_DIM(block, 1), PyTuple_GET_SIZE(args[5]), count,
                     width);
    else if ((index = fp_build_datetime_index(self, (PyObject *)dates, args[2],
                                              args[3])) != NULL)
        frame = fp_build_fields_frame(self, (PyObject *)block, index, count, args[4], args[5],
                                      args[6]);
done:
    Py_DECREF(numpy_dtype);
    Py_XDECREF(dates);
    Py_XDECREF(block);
    Py_XDECREF(index);
    return frame;
}

static PyMethodDef PandasBuilder_methods[] = {
    {"fields_frame", (PyCFunction)(void (*)(void))PandasBuilder_fields_frame, METH_FASTCALL,
     "fields_frame(block, dates, freq, dtype, assets, fields, dt_label): the frame of "
     "data.history with several fields over a (fields, dates x assets) block; its dates "
     "level, the DatetimeIndex of the datetime64 dates (as datetime_index makes it), "
     "takes dt_label as its name."},
    {"frame", (PyCFunction)(void (*)(void))PandasBuilder_frame, METH_FASTCALL,
     "frame(block, index, columns): DataFrame over a (columns, rows) float64 block, "
     "as pd.DataFrame(block.T, index=index, columns=columns, copy=False); columns a "
     "list, a tuple or an Index."},
    {"datetime_index", (PyCFunction)(void (*)(void))PandasBuilder_datetime_index,
     METH_FASTCALL,
     "datetime_index(values, freq, dtype): DatetimeIndex over a datetime64 array."},
    {"series", (PyCFunction)(void (*)(void))PandasBuilder_series, METH_FASTCALL,
     "series(values, index, name): Series over a float64 or int64 array, without copying "
     "it; index a DatetimeIndex, or the labels (a list or tuple) of an object Index."},
    {"blocks_frame", (PyCFunction)(void (*)(void))PandasBuilder_blocks_frame, METH_FASTCALL,
     "blocks_frame(values, positions, rows, columns): the DataFrame of data.current's "
     "assets and fields (tuples of labels), one block per dtype placed at its columns."},
    {NULL, NULL, 0, NULL},
};

PyTypeObject fp_PandasBuilder_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "fastportal._core.PandasBuilder",
    .tp_basicsize = sizeof(PandasBuilderObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "PandasBuilder(series_type, manager_type, block_type, placement_type, "
              "refs_type, flags_type, index_type, frame_type, frame_manager_type, "
              "object_index_type, multi_index_type, frozen_list_type, tz_dtype_type, array_new): pandas "
              "objects without "
              "their constructors.",
    .tp_new = PandasBuilder_new,
    .tp_traverse = (traverseproc)PandasBuilder_traverse,
    .tp_clear = (inquiry)PandasBuilder_clear,
    .tp_dealloc = (destructor)PandasBuilder_dealloc,
    .tp_methods = PandasBuilder_methods,
};
