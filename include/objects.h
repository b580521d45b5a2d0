/* objects.c: PandasBuilder, and the pandas objects it assembles without their
 * constructors: DatetimeIndex, Series, DataFrame, object Index, the several-fields frame.
 */
#ifndef FASTPORTAL_OBJECTS_H
#define FASTPORTAL_OBJECTS_H

#include "fastportal.h"

typedef struct {
    PyObject_HEAD
    PyTypeObject *series_type;    /* pandas.Series */
    PyTypeObject *manager_type;   /* SingleBlockManager */
    PyTypeObject *block_type;     /* NumpyBlock */
    PyTypeObject *placement_type; /* BlockPlacement */
    PyTypeObject *refs_type;      /* BlockValuesRefs */
    PyTypeObject *flags_type;     /* pandas.Flags */
    PyTypeObject *index_type;     /* DatetimeIndex */
    PyTypeObject *frame_type;     /* pandas.DataFrame */
    PyTypeObject *frame_manager_type; /* BlockManager */
    PyTypeObject *object_index_type;  /* pandas.Index, for a frame's columns */
    PyTypeObject *multi_index_type;   /* pandas.MultiIndex, rows of several fields */
    PyTypeObject *frozen_list_type;   /* FrozenList, its levels and codes */
    PyTypeObject *tz_dtype_type;      /* DatetimeTZDtype, a minute index's dtype */
    PyObject *array_new;          /* DatetimeArray's NDArrayBacked._simple_new */
    PyObject *no_args, *zero, *one, *two;
    PyObject *verify_integrity;   /* ("verify_integrity",): BlockManager's keyword */
} PandasBuilderObject;

extern PyTypeObject fp_PandasBuilder_Type;

int fp_objects_init_strings(void);
PyObject *fp_build_datetime_index(PandasBuilderObject *b, PyObject *values, PyObject *freq,
                                  PyObject *dtype);
PyObject *fp_build_series(PandasBuilderObject *b, PyObject *values, PyObject *index,
                          PyObject *name);
PyObject *fp_build_frame(PandasBuilderObject *b, PyObject *block_values, PyObject *index,
                         PyObject *columns, PyObject *column_axis);
PyObject *fp_build_object_index(PandasBuilderObject *b, PyObject *labels, PyObject *name);
PyObject *fp_build_empty_frame(PandasBuilderObject *b, PyObject *index);
PyObject *fp_build_frame_of_blocks(PandasBuilderObject *b, PyObject *values,
                                   PyObject *positions, PyObject *index,
                                   PyObject *column_index);
PyObject *fp_build_fields_frame(PandasBuilderObject *b, PyObject *block, PyObject *dates,
                                Py_ssize_t count, PyObject *assets, PyObject *fields,
                                PyObject *dt_label);

#endif
