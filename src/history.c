/* DailyHistory and MinuteHistory: data.history(asset, field, n, "1d") in a daily
 * simulation and data.history(asset, field, n, "1m") in a minute one, from the
 * simulation's minute to the Series, in one call.
 *
 * It holds what one DataPortal's daily history needs: the calendar, where the bar
 * reader's sessions sit in it, the first trading day, and the shim's dict of adjusted
 * columns keyed by (asset, field). The shim builds columns (through upstream's readers)
 * and decides what the core serves; a call here only looks things up and assembles.
 * What it does not serve it names: "window bounds" (upstream refuses or handles the
 * window), "before data" (a minute window starting before the first trading minute,
 * which upstream refuses), "new column" (not built yet), "column range" (a minute
 * column built over other rows) or "column" (cannot be built), and the shim goes on from
 * there. A minute history hands "new column" and "column range" back with the reader rows
 * the column is to hold, as (why, first, last): in the answer, not on the object, where
 * another thread's call could overwrite them before the shim reads them.
 */
#include "history.h"
#include "arrays.h"
#include "calendar.h"
#include "fields.h"
#include "history_common.h"
#include "minutes.h"
#include "objects.h"
#include "ranges.h"
#include "reasons.h"
#include "windows.h"

typedef struct {
    PyObject_HEAD
    CalendarObject *calendar;
    PyObject *columns;      /* dict (asset, field) -> AdjustedColumn, or None if unbuildable */
    Py_ssize_t offset;      /* calendar position of the reader's first session, -1 if none */
    Py_ssize_t first_day;   /* calendar position of the first trading day */
    Py_ssize_t rows;        /* sessions in the reader */
} DailyHistoryObject;

/* The window's last reader row, or -1 with *why: "before data" when it starts before
   the first trading day (upstream refuses it), "window bounds" when it lies outside the
   reader (upstream answers). */
static Py_ssize_t
window_end_row(DailyHistoryObject *self, Py_ssize_t end_loc, Py_ssize_t count,
               PyObject **why)
{
    Py_ssize_t start_loc = end_loc - count + 1;  /* count <= PY_SSIZE_T_MAX: no overflow */
    *why = start_loc < self->first_day ? FP_WHY(BEFORE_DATA) : FP_WHY(WINDOW_BOUNDS);
    if (self->offset < 0 || start_loc < self->first_day || start_loc < self->offset ||
        end_loc - self->offset >= self->rows)
        return -1;
    return end_loc - self->offset;
}

/* fp_history_column(...) for a window of reader rows end_row-count+1..end_row: also NULL
   with *why "column range" when the column holds other rows. */
static PyObject *
window_column(PyObject *columns, PyObject *asset, PyObject *field, Py_ssize_t end_row,
              Py_ssize_t count, PyObject **why)
{
    PyObject *column = fp_history_column(columns, asset, field, why);
    if (column == NULL)
        return NULL;
    int covers = fp_column_covers(column, end_row - count + 1, end_row);
    if (covers > 0)
        return column;
    Py_DECREF(column);
    if (covers == 0)
        *why = FP_WHY(COLUMN_RANGE);
    return NULL;
}

/* What a daily or minute window of several fields reads: the columns and the rows. */
typedef struct {
    PyObject *columns;
    Py_ssize_t end_row, count;
} RowsWindow;

static int
fill_rows_window(void *state, PyObject *asset, PyObject *field, double *out, PyObject **why)
{
    RowsWindow *w = (RowsWindow *)state;
    PyObject *column = window_column(w->columns, asset, field, w->end_row, w->count, why);
    if (column == NULL)
        return -1;
    int filled = fp_column_fill(column, w->end_row, w->count, fp_history_is_price(field), out);
    Py_DECREF(column);
    return filled;
}

/* The Series of rows end_row-count+1..end_row of (asset, field) over `index` (stolen),
   multiplied by *scale if any; its values int64 if `sid_ints` (fp_history_sid_ints). */
static PyObject *
series_of(PandasBuilderObject *builder, PyObject *columns, PyObject *asset,
          PyObject *field, Py_ssize_t end_row, Py_ssize_t count, PyObject *index,
          const double *scale, int sid_ints)
{
    PyObject *why, *values = NULL, *series = NULL;
    if (index == NULL)  /* before the lookup, which runs the asset's __hash__ and __eq__ */
        return NULL;
    PyObject *column = window_column(columns, asset, field, end_row, count, &why);
    if (column == NULL) {
        Py_DECREF(index);
        return why ? fp_history_reason(why) : NULL;
    }
    int price = fp_history_is_price(field);
    values = fp_column_window(column, end_row, count, price);
    if (values != NULL && scale != NULL)
        fp_history_scale((double *)PyArray_DATA((PyArrayObject *)values), count, *scale);
    if (values != NULL && sid_ints)
        Py_SETREF(values, fp_history_sid_ints(values));
    if (values != NULL && (series = fp_build_series(builder, values, index, asset)) != NULL)
        fp_history_served();
    Py_DECREF(column);
    Py_XDECREF(values);
    Py_DECREF(index);
    return series;
}

/* The frame of `assets` (a list or tuple), each column's rows end_row-count+1..end_row
   (multiplied by its scale, if any), over `index` (stolen), its values int64 if
   `sid_ints` (fp_history_sid_ints); or the reason one of the columns is not served. */
static PyObject *
history_frame(PandasBuilderObject *builder, PyObject *columns, PyObject *assets,
              PyObject *field, Py_ssize_t end_row, Py_ssize_t count, PyObject *index,
              PyObject *column_axis, const double *scales, int sid_ints)
{
    if (index == NULL)
        return NULL;
    Py_ssize_t width = PySequence_Fast_GET_SIZE(assets);
    if (width == 0) {  /* upstream's daily window of no assets */
        PyObject *empty = fp_build_empty_frame(builder, index);
        Py_DECREF(index);
        if (empty != NULL)
            fp_history_served();
        return empty;
    }
    int price = fp_history_is_price(field);
    npy_intp dims[2] = {width, count};
    PyObject *block = PyArray_SimpleNew(2, dims, NPY_FLOAT64);
    PyObject *out = NULL;
    if (block == NULL)
        goto done;
    double *rows = (double *)PyArray_DATA((PyArrayObject *)block);
    for (Py_ssize_t j = 0; j < width; j++) {
        PyObject *why;
        PyObject *column = window_column(columns, PySequence_Fast_GET_ITEM(assets, j), field,
                                         end_row, count, &why);
        if (column == NULL) {
            out = why ? fp_history_reason(why) : NULL;
            goto done;
        }
        int filled = fp_column_fill(column, end_row, count, price, rows + j * count);
        Py_DECREF(column);
        if (filled < 0)
            goto done;
        if (scales != NULL)
            fp_history_scale(rows + j * count, count, scales[j]);
    }
    if (sid_ints) {
        Py_SETREF(block, fp_history_sid_ints(block));
        if (block == NULL)
            goto done;
    }
    if ((out = fp_build_frame(builder, block, index, assets, column_axis)) != NULL)
        fp_history_served();
done:
    Py_XDECREF(block);
    Py_DECREF(index);
    return out;
}


/* The window of a daily series() or fields() call: 1 with *end_loc, *end_row and
   *count; 0 with *why when upstream answers; -1 with an error set. */
static int
daily_window(DailyHistoryObject *self, PyObject *const *args, Py_ssize_t *end_loc,
             Py_ssize_t *end_row, Py_ssize_t *count, PyObject **why)
{
    int parsed = fp_history_count(args[3], count);
    *why = FP_WHY(WINDOW_BOUNDS);
    if (parsed <= 0)
        return parsed;
    if ((*end_loc = fp_daily_window_end(self->calendar, args[0])) < 0)
        return -1;
    *end_row = window_end_row(self, *end_loc, *count, why);
    return *end_row < 0 ? 0 : 1;
}

static PyObject *
DailyHistory_series(DailyHistoryObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Py_ssize_t end_loc = 0, end_row = 0, count = 0;
    PyObject *why;
    double *scale;
    if (fp_history_check_args(nargs, nargs >= 4 ? args[2] : NULL) < 0 ||
        fp_history_scales(args, nargs, 4, 1, &scale) < 0)
        return NULL;
    int found = daily_window(self, args, &end_loc, &end_row, &count, &why);
    PyObject *out = found < 0 ? NULL : found == 0 ? fp_history_reason(why)
        : series_of(self->calendar->builder, self->columns, args[1], args[2], end_row,
                    count, fp_index_of_sessions(self->calendar, end_loc, count), scale, 0);
    PyMem_Free(scale);
    return out;
}

/* The frame of a list of assets, the window ending at session end_loc. */
static PyObject *
daily_frame(DailyHistoryObject *self, PyObject *const *args, PyObject *column_axis,
            const double *scales)
{
    Py_ssize_t end_loc = PyLong_AsSsize_t(args[0]);
    if (end_loc == -1 && PyErr_Occurred())
        return NULL;
    Py_ssize_t count;
    int parsed = fp_history_count(args[3], &count);
    if (parsed <= 0)
        return parsed < 0 ? NULL : fp_history_reason(FP_WHY(WINDOW_BOUNDS));
    if (end_loc < 0 || end_loc >= self->calendar->count) {
        PyErr_Format(PyExc_IndexError, "session %zd is outside the calendar", end_loc);
        return NULL;
    }
    PyObject *why;
    Py_ssize_t end_row = window_end_row(self, end_loc, count, &why);
    if (end_row < 0)
        return fp_history_reason(why);
    return history_frame(self->calendar->builder, self->columns, args[1], args[2], end_row,
                         count, fp_index_of_sessions(self->calendar, end_loc, count),
                         column_axis, scales, 0);
}

static PyObject *
DailyHistory_frame(DailyHistoryObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *call[6], *column_axis;
    double *scales;
    if (fp_history_frame_args(self->calendar->builder, nargs, args, call, &column_axis,
                              &scales) < 0)
        return NULL;
    PyObject *out = daily_frame(self, call, column_axis, scales);
    fp_history_frame_args_release(call, scales);
    return out;
}

/* The frame of several fields for the sorted, unique assets, the window ending with the
   session of minute dt. */
static PyObject *
DailyHistory_fields(DailyHistoryObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Py_ssize_t end_loc = 0, end_row = 0, count = 0;
    PyObject *why;
    double *scales;
    if (fp_history_check_fields_args(nargs, args) < 0 ||
        fp_history_scales(args, nargs, 4, PyTuple_GET_SIZE(args[2]), &scales) < 0)
        return NULL;
    int found = daily_window(self, args, &end_loc, &end_row, &count, &why);
    RowsWindow w = {self->columns, end_row, count};
    PyObject *out = found < 0 ? NULL : found == 0 ? fp_history_reason(why)
        : fp_history_fields(self->calendar->builder, fill_rows_window, &w, args[1], args[2],
                            count, fp_index_of_sessions(self->calendar, end_loc, count),
                            fp_str_date, scales, 0);
    PyMem_Free(scales);
    return out;
}

static PyObject *
DailyHistory_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"calendar", "columns", "offset", "first_day", "rows", NULL};
    PyObject *calendar, *columns, *offset_obj;
    Py_ssize_t first_day, rows, offset = -1;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!O!Onn:DailyHistory", kwlist,
                                     &fp_Calendar_Type, &calendar, &PyDict_Type, &columns,
                                     &offset_obj, &first_day, &rows))
        return NULL;
    if (offset_obj != Py_None) {
        offset = PyLong_AsSsize_t(offset_obj);
        if (offset == -1 && PyErr_Occurred())
            return NULL;
        if (offset < 0) {
            PyErr_SetString(PyExc_ValueError, "offset must be a position or None");
            return NULL;
        }
    }
    if (rows < 0 || (offset >= 0 && rows > ((CalendarObject *)calendar)->count - offset)) {
        PyErr_Format(PyExc_ValueError, "%zd reader rows from calendar position %zd run past "
                     "the calendar's %zd sessions", rows, offset,
                     ((CalendarObject *)calendar)->count);
        return NULL;
    }
    DailyHistoryObject *self = (DailyHistoryObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    Py_INCREF(calendar);
    self->calendar = (CalendarObject *)calendar;
    Py_INCREF(columns);
    self->columns = columns;
    self->offset = offset;
    self->first_day = first_day;
    self->rows = rows;
    return (PyObject *)self;
}

static int
DailyHistory_traverse(DailyHistoryObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->calendar);
    Py_VISIT(self->columns);
    return 0;
}

static int
DailyHistory_clear(DailyHistoryObject *self)
{
    Py_CLEAR(self->calendar);
    Py_CLEAR(self->columns);
    return 0;
}

static void
DailyHistory_dealloc(DailyHistoryObject *self)
{
    PyObject_GC_UnTrack(self);
    DailyHistory_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef DailyHistory_methods[] = {
    {"series", (PyCFunction)(void (*)(void))DailyHistory_series, METH_FASTCALL,
     "series(dt, asset, field, bar_count) -> the Series data.history returns at minute dt, "
     "or the reason (a str) it is left to upstream."},
    {"frame", (PyCFunction)(void (*)(void))DailyHistory_frame, METH_FASTCALL,
     "frame(end_loc, assets, field, bar_count, columns=None) -> the frame "
     "get_history_window returns for a list of assets (columns: the Index it was given "
     "as, if any), the window ending at session end_loc, or the reason (a str) it is left "
     "to upstream."},
    {"fields", (PyCFunction)(void (*)(void))DailyHistory_fields, METH_FASTCALL,
     "fields(dt, assets, fields, bar_count) -> the frame data.history returns for several "
     "fields (assets a sorted tuple of unique assets, fields a tuple of unique fields), or "
     "the reason (a str) it is left to upstream."},
    {NULL, NULL, 0, NULL},
};

PyTypeObject fp_DailyHistory_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "fastportal._core.DailyHistory",
    .tp_basicsize = sizeof(DailyHistoryObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "DailyHistory(calendar, columns, offset, first_day, rows): daily history "
              "windows of one DataPortal.",
    .tp_new = DailyHistory_new,
    .tp_traverse = (traverseproc)DailyHistory_traverse,
    .tp_clear = (inquiry)DailyHistory_clear,
    .tp_dealloc = (destructor)DailyHistory_dealloc,
    .tp_methods = DailyHistory_methods,
};


/* ---- MinuteHistory ------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    PyObject *minutes;          /* the calendar's Minutes */
    CalendarObject *calendar;   /* its Calendar: the builder and the datetime64 dtype */
    PyObject *columns;          /* dict (asset, field) -> minute AdjustedColumn, or None */
    PyArrayObject *labels;      /* int64 ns of the reader's minutes, read-only */
    PyObject *dtype;            /* the minutes' tz-aware dtype */
    Py_ssize_t offset;          /* Minutes position of the reader's first minute */
    Py_ssize_t first_trading;   /* Minutes position of the portal's first trading minute */
} MinuteHistoryObject;

/* The DatetimeIndex of reader rows start..start+count-1: a view of the labels. */
static PyObject *
minute_index(MinuteHistoryObject *self, Py_ssize_t start, Py_ssize_t count)
{
    Py_INCREF(self->calendar->dtype);
    PyObject *labels = fp_readonly_view_as(self->labels, start, count,
                                           (PyArray_Descr *)self->calendar->dtype);
    if (labels == NULL)
        return NULL;
    PyObject *index = fp_build_datetime_index(self->calendar->builder, labels, Py_None,
                                              self->dtype);
    Py_DECREF(labels);
    return index;
}

/* The reader row ending a minute window at args[0] of args[3] rows: 1 and *end_row,
   *count; 0 with *why when upstream answers; -1 with an error set. */
static int
minute_window_rows(MinuteHistoryObject *self, PyObject *const *args, Py_ssize_t *end_row,
                   Py_ssize_t *count, PyObject **why)
{
    int parsed = fp_history_count(args[3], count);
    if (parsed <= 0) {
        *why = FP_WHY(WINDOW_BOUNDS);
        return parsed;
    }
    int64_t position;
    int exact = fp_trading_minute_position(self->minutes, args[0], &position);
    if (exact <= 0) {  /* not a trading minute, or not a Timestamp: upstream raises or parses */
        *why = FP_WHY(MINUTE_WINDOW);
        return exact;
    }
    Py_ssize_t rows = PyArray_DIM(self->labels, 0);
    /* compared as counts, so that a count near 2**63 cannot overflow a window start */
    int64_t end = position - self->offset;
    if (*count > position - self->first_trading + 1) {
        *why = FP_WHY(BEFORE_DATA); /* upstream refuses it: HistoryWindowStartsBeforeData */
        return 0;
    }
    if (*count > end + 1 || end >= rows) {
        *why = FP_WHY(WINDOW_BOUNDS);
        return 0;
    }
    *end_row = (Py_ssize_t)end;
    return 1;
}

static PyObject *
MinuteHistory_series(MinuteHistoryObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Py_ssize_t end_row = 0, count = 0;
    PyObject *why;
    if (fp_history_check_args(nargs, nargs >= 4 ? args[2] : NULL) < 0)
        return NULL;
    double *scale;
    if (fp_history_scales(args, nargs, 4, 1, &scale) < 0)
        return NULL;
    int found = minute_window_rows(self, args, &end_row, &count, &why);
    PyObject *out = found < 0 ? NULL : found == 0 ? fp_history_reason(why)
        : fp_history_reason_with_rows(
              series_of(self->calendar->builder, self->columns, args[1], args[2], end_row,
                        count, minute_index(self, end_row - count + 1, count), scale,
                        scale == NULL && fp_history_is_sid(args[2])),
              end_row - count + 1, end_row);
    PyMem_Free(scale);
    return out;
}

static PyObject *
MinuteHistory_frame(MinuteHistoryObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Py_ssize_t end_row = 0, count = 0;
    PyObject *why, *call[6], *column_axis, *out;
    double *scales;
    if (fp_history_frame_args(self->calendar->builder, nargs, args, call, &column_axis,
                              &scales) < 0)
        return NULL;
    if (PyTuple_GET_SIZE(call[1]) == 0) {
        out = fp_history_reason(FP_WHY(NO_ASSETS));  /* upstream's concatenation raises */
    } else {
        int found = minute_window_rows(self, call, &end_row, &count, &why);
        out = found < 0 ? NULL : found == 0 ? fp_history_reason(why)
            : fp_history_reason_with_rows(
                  history_frame(self->calendar->builder, self->columns, call[1], call[2],
                                end_row, count,
                                minute_index(self, end_row - count + 1, count), column_axis,
                                scales, scales == NULL && fp_history_is_sid(call[2])),
                  end_row - count + 1, end_row);
    }
    fp_history_frame_args_release(call, scales);
    return out;
}

static PyObject *
MinuteHistory_fields(MinuteHistoryObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Py_ssize_t end_row = 0, count = 0;
    PyObject *why;
    double *scales;
    if (fp_history_check_fields_args(nargs, args) < 0 ||
        fp_history_scales(args, nargs, 4, PyTuple_GET_SIZE(args[2]), &scales) < 0)
        return NULL;
    int found = minute_window_rows(self, args, &end_row, &count, &why);
    RowsWindow w = {self->columns, end_row, count};
    PyObject *out = found < 0 ? NULL : found == 0 ? fp_history_reason(why)
        : fp_history_reason_with_rows(
              fp_history_fields(self->calendar->builder, fill_rows_window, &w, args[1],
                                args[2], count, minute_index(self, end_row - count + 1, count),
                                fp_str_date_time, scales,
                                scales == NULL && PyTuple_GET_SIZE(args[2]) == 1 &&
                                 fp_history_is_sid(PyTuple_GET_ITEM(args[2], 0))),
              end_row - count + 1, end_row);
    PyMem_Free(scales);
    return out;
}

/* The reader rows (first, last) of a minute window, for the shim to place a column that
   depends on them; or the reason (a str) it is not served. */
static PyObject *
MinuteHistory_window_rows(MinuteHistoryObject *self, PyObject *const *args,
                          Py_ssize_t nargs)
{
    Py_ssize_t end_row = 0, count = 0;
    PyObject *why, *call[4];
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "window_rows() takes dt and bar_count (%zd given)",
                     nargs);
        return NULL;
    }
    call[0] = args[0];
    call[1] = call[2] = Py_None;
    call[3] = args[1];
    int found = minute_window_rows(self, call, &end_row, &count, &why);
    if (found <= 0)
        return found < 0 ? NULL : fp_history_reason(why);
    return Py_BuildValue("(nn)", end_row - count + 1, end_row);
}

static PyObject *
MinuteHistory_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"minutes", "calendar", "columns", "labels", "dtype", "offset",
                             "first_trading", NULL};
    PyObject *minutes, *calendar, *columns, *labels_obj, *dtype;
    Py_ssize_t offset, first_trading;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!O!O!OOnn:MinuteHistory", kwlist,
                                     &fp_Minutes_Type, &minutes, &fp_Calendar_Type, &calendar,
                                     &PyDict_Type, &columns, &labels_obj, &dtype, &offset,
                                     &first_trading))
        return NULL;
    if (offset < 0 || first_trading < 0) {
        PyErr_SetString(PyExc_ValueError, "offset and first_trading must be positions");
        return NULL;
    }
    MinuteHistoryObject *self = (MinuteHistoryObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->labels = fp_int64_vector(labels_obj, "labels");
    if (self->labels == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    Py_INCREF(minutes);
    self->minutes = minutes;
    Py_INCREF(calendar);
    self->calendar = (CalendarObject *)calendar;
    Py_INCREF(columns);
    self->columns = columns;
    Py_INCREF(dtype);
    self->dtype = dtype;
    self->offset = offset;
    self->first_trading = first_trading;
    return (PyObject *)self;
}

static int
MinuteHistory_traverse(MinuteHistoryObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->minutes);
    Py_VISIT(self->calendar);
    Py_VISIT(self->columns);
    Py_VISIT(self->dtype);
    return 0;
}

static int
MinuteHistory_clear(MinuteHistoryObject *self)
{
    Py_CLEAR(self->minutes);
    Py_CLEAR(self->calendar);
    Py_CLEAR(self->columns);
    Py_CLEAR(self->labels);
    Py_CLEAR(self->dtype);
    return 0;
}

static void
MinuteHistory_dealloc(MinuteHistoryObject *self)
{
    PyObject_GC_UnTrack(self);
    MinuteHistory_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}


static PyMethodDef MinuteHistory_methods[] = {
    {"series", (PyCFunction)(void (*)(void))MinuteHistory_series, METH_FASTCALL,
     "series(dt, asset, field, bar_count) -> the Series data.history(..., '1m') returns "
     "at minute dt, or why it is left to upstream (a str, or (why, first, last) when a "
     "column is to be built)."},
    {"frame", (PyCFunction)(void (*)(void))MinuteHistory_frame, METH_FASTCALL,
     "frame(dt, assets, field, bar_count, columns=None) -> the frame "
     "get_history_window(..., '1m', ...) returns for a list of assets (columns: the Index "
     "it was given as, if any), or why it is left to upstream (a str, or (why, first, "
     "last) when a column is to be built)."},
    {"window_rows", (PyCFunction)(void (*)(void))MinuteHistory_window_rows, METH_FASTCALL,
     "window_rows(dt, bar_count) -> (first, last), the reader rows of the window, or the "
     "reason (a str) it is left to upstream."},
    {"fields", (PyCFunction)(void (*)(void))MinuteHistory_fields, METH_FASTCALL,
     "fields(dt, assets, fields, bar_count) -> the frame data.history(..., '1m') returns "
     "for several fields (assets a sorted tuple of unique assets, fields a tuple of unique "
     "fields), or why it is left to upstream (a str, or (why, first, last) when a column "
     "is to be built)."},
    {NULL, NULL, 0, NULL},
};

PyTypeObject fp_MinuteHistory_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "fastportal._core.MinuteHistory",
    .tp_basicsize = sizeof(MinuteHistoryObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "MinuteHistory(minutes, calendar, columns, labels, dtype, offset, "
              "first_trading): minute history windows of one DataPortal.",
    .tp_new = MinuteHistory_new,
    .tp_traverse = (traverseproc)MinuteHistory_traverse,
    .tp_clear = (inquiry)MinuteHistory_clear,
    .tp_dealloc = (destructor)MinuteHistory_dealloc,
    .tp_methods = MinuteHistory_methods,
};
