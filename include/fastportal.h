/* fastportal._core: declarations shared by the C files.
 *
 * module.c    the module, its types and functions
 * arrays.c    frozen arrays: the core's own read-only copies of what it reads
 * arguments.c the (end, count) arguments of the window methods
 * calendar.c  Calendar: session lookups over int64 nanosecond arrays
 * ranges.c    session windows as zero-copy views and DatetimeIndex objects
 * windows.c   AdjustedColumn: adjusted, rounded, versioned history buffers
 * objects.c   PandasBuilder: Series and DatetimeIndex without their constructors
 * history.c   DailyHistory, MinuteHistory: one history call, minute to Series
 * minutes.c   Minutes: trading minutes by position, from session opens and lengths
 * partial_day.c PartialDayHistory: "1d" windows in a minute simulation
 * fields.c    several fields at once: the (date, asset) x fields frame
 * ratios.c    AdjustmentTimeline: the ratio before_trading_start scales windows by
 * lookups.c   CalendarLookups: exchange_calendars' per-bar lookups, answered exactly
 * stamps.c    fresh copies of the session labels the core keeps
 * tapes.c     SpotTape: one asset's bars in one bcolz reader, as get_value reads them
 * spot.c      Spot: DataPortal's spot values (data.current, can_trade, is_stale, orders)
 * current.c   BarData.current's Series and DataFrames
 * methods.c   FastMethod: calendar lookups and BarData calls without a Python frame
 */
#ifndef FASTPORTAL_H
#define FASTPORTAL_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#define NPY_NO_DEPRECATED_API NPY_2_0_API_VERSION
#define PY_ARRAY_UNIQUE_SYMBOL fastportal_ARRAY_API
#ifndef FASTPORTAL_MODULE_C
#define NO_IMPORT_ARRAY
#endif
#include <numpy/arrayobject.h>

/* Directions of minute_to_session, as exchange_calendars names them. */
enum direction { DIRECTION_NEXT, DIRECTION_PREVIOUS, DIRECTION_NONE };

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

typedef struct {
    PyObject_HEAD
    PyObject *upstream;           /* the exchange_calendars calendar: answers what we do not */
    PyObject *sessions_index;     /* upstream.sessions, to box a session label */
    PyArrayObject *sessions;      /* int64 ns session labels, read-only */
    PyArrayObject *first_minutes; /* int64 ns first trading minute of each session */
    PyArrayObject *last_minutes;  /* int64 ns last trading minute of each session */
    const int64_t *sess;
    const int64_t *first;
    const int64_t *last;
    Py_ssize_t count;
    PandasBuilderObject *builder; /* how ranges.c makes a DatetimeIndex */
    PyObject *freq;               /* upstream.sessions.freq */
    PyObject *dtype;              /* upstream.sessions.dtype */
    PyObject *timestamp_type;     /* pandas.Timestamp */
} CalendarObject;

extern PyTypeObject Calendar_Type;
extern PyTypeObject AdjustedColumn_Type;
extern PyTypeObject PandasBuilder_Type;
extern PyTypeObject DailyHistory_Type;
extern PyTypeObject Minutes_Type;
extern PyTypeObject MinuteHistory_Type;
extern PyTypeObject PartialDayHistory_Type;
extern PyTypeObject AdjustmentTimeline_Type;
extern PyTypeObject CalendarLookups_Type;
extern PyTypeObject Spot_Type;
extern PyTypeObject FastMethod_Type;
int methods_init_strings(void);

/* calendar.c */
Py_ssize_t session_index_of(CalendarObject *cal, PyObject *minute, PyObject *direction);
Py_ssize_t sorted_position(const int64_t *values, Py_ssize_t count, int64_t value);
Py_ssize_t daily_window_end(CalendarObject *cal, PyObject *minute);
int timestamp_nanos(CalendarObject *cal, PyObject *obj, int64_t *out);
Py_ssize_t calendar_label_position(CalendarObject *cal, int64_t nanos);

/* minutes.c */
int minutes_init_strings(void);
int trading_minute_position(PyObject *minutes, PyObject *minute, int64_t *pos);
int session_of_position(PyObject *minutes, int64_t pos, Py_ssize_t *session, int64_t *first);
int next_session_start(PyObject *minutes, PyObject *minute, int64_t *pos);
/* Where a whole minute lies among the trading minutes. */
typedef struct {
    int64_t nanos;
    Py_ssize_t session;  /* the first session whose last minute is not before it */
    int in_session;      /* between that session's first and last minutes (a break too) */
    int64_t position;    /* of the first trading minute at or after it */
    int trading;         /* it is a trading minute */
} MinuteSpot;
int minutes_locate(PyObject *minutes, PyObject *minute, MinuteSpot *spot);
PyObject *minutes_boxed_at(PyObject *minutes, int64_t pos);
PyObject *minutes_box(PyObject *minutes, int64_t nanos);
CalendarObject *minutes_calendar(PyObject *minutes);

/* ranges.c */
PyObject *window_of_sessions(CalendarObject *cal, Py_ssize_t end, Py_ssize_t count);
PyObject *index_of_sessions(CalendarObject *cal, Py_ssize_t end, Py_ssize_t count);
PyObject *readonly_view(PyArrayObject *base, Py_ssize_t start, Py_ssize_t count);
PyObject *readonly_view_as(PyArrayObject *base, Py_ssize_t start, Py_ssize_t count,
                           PyArray_Descr *descr);

/* objects.c */
int objects_init_strings(void);
PyObject *build_datetime_index(PandasBuilderObject *b, PyObject *values, PyObject *freq,
                               PyObject *dtype);
PyObject *build_series(PandasBuilderObject *b, PyObject *values, PyObject *index,
                       PyObject *name);
PyObject *build_frame(PandasBuilderObject *b, PyObject *block_values, PyObject *index,
                      PyObject *columns, PyObject *column_axis);
PyObject *build_object_index(PandasBuilderObject *b, PyObject *labels, PyObject *name);
PyObject *build_empty_frame(PandasBuilderObject *b, PyObject *index);
PyObject *build_frame_of_blocks(PandasBuilderObject *b, PyObject *values, PyObject *positions,
                                PyObject *index, PyObject *column_index);
PyObject *build_bare(PyTypeObject *type, PyObject *no_args);
int build_set_stolen(PyObject *obj, PyObject *name, PyObject *value);

/* fields.c */
/* Fills one asset's window of one field into out: 0, or -1 with *why the reason it is
   not served (no error set) or with an error set (*why NULL). */
typedef int (*window_fill)(void *state, PyObject *asset, PyObject *field, double *out,
                           PyObject **why);
extern PyObject *str_date, *str_date_time;
int fields_init_strings(void);
PyObject *build_fields_frame(PandasBuilderObject *b, PyObject *block, PyObject *dates,
                             Py_ssize_t count, PyObject *assets, PyObject *fields,
                             PyObject *dt_label);
PyObject *history_fields(PandasBuilderObject *b, window_fill fill, void *state,
                         PyObject *assets, PyObject *fields, Py_ssize_t count,
                         PyObject *dates, PyObject *dt_label, const double *scales,
                         int sid_ints);
int history_check_fields_args(Py_ssize_t nargs, PyObject *const *args);

/* windows.c */
PyObject *column_window(PyObject *column, Py_ssize_t end, Py_ssize_t count, int price);
int column_fill(PyObject *column, Py_ssize_t end, Py_ssize_t count, int price, double *out);
const double *column_raw(PyObject *column, Py_ssize_t first, Py_ssize_t last);
int column_covers(PyObject *column, Py_ssize_t first, Py_ssize_t last);
int column_alive(PyObject *column, Py_ssize_t row);
int column_price_fill(PyObject *column, Py_ssize_t end, Py_ssize_t count, double *out);

/* history.c: what DailyHistory, MinuteHistory and PartialDayHistory share */
extern PyObject *str_price, *str_window_bounds, *str_new_column, *str_column;
extern PyObject *str_minute_window, *str_before_data, *str_column_range, *str_no_assets;
extern PyObject *str_sid;
int history_init_strings(void);
void history_served(void);
PyObject *history_windows_served(PyObject *module, PyObject *reset);
PyObject *history_reason(PyObject *text);
PyObject *history_reason_with_rows(PyObject *out, Py_ssize_t first, Py_ssize_t last);
int history_count(PyObject *arg, Py_ssize_t *count);
int history_check_args(Py_ssize_t nargs, PyObject *field);
int history_is_price(PyObject *field);
int history_is_sid(PyObject *field);
PyObject *history_sid_ints(PyObject *values);
PyObject *history_column(PyObject *columns, PyObject *asset, PyObject *field, PyObject **why);
int history_frame_args(PandasBuilderObject *builder, Py_ssize_t nargs, PyObject *const *args,
                       PyObject **call, PyObject **column_axis, double **scales);
void history_frame_args_release(PyObject **call, double *scales);
PyObject *history_frame(PandasBuilderObject *builder, PyObject *columns, PyObject *assets,
                        PyObject *field, Py_ssize_t end_row, Py_ssize_t count,
                        PyObject *index, PyObject *column_axis, const double *scales,
                        int sid_ints);
int history_scales(PyObject *const *args, Py_ssize_t nargs, Py_ssize_t at, Py_ssize_t count,
                   double **out);
void history_scale(double *values, Py_ssize_t count, double scale);


/* stamps.c */
int stamps_init_strings(void);
PyObject *timestamp_copy(PyObject *stamp);

/* ratios.c */
int adjustment_ratio(PyObject *timeline, int volume, int64_t dt, int64_t now, double *ratio);

/* spot.c */
int spot_init_strings(void);
PyObject *spot_values_served(PyObject *module, PyObject *reset);

#endif
