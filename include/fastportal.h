/* fastportal._core: what every file includes (Python, NumPy's C API), and the files.
 *
 * module.c      the module: its functions, types and constants; it alone includes every
 *               header
 * arrays.c      frozen arrays: the core's own read-only copies of what it reads; NumPy's
 *               C API for all the files
 * arguments.c   the (end, count) arguments of the window methods
 * reasons.c     why a call is left to upstream: every reason, interned once
 * calendar.c    Calendar: session lookups over int64 nanosecond arrays
 * ranges.c      session windows as zero-copy views and DatetimeIndex objects
 * windows.c     AdjustedColumn: adjusted, rounded, versioned history buffers
 * objects.c     PandasBuilder: Series, DatetimeIndex and frames without their constructors
 * history_common.c  what the history types share: arguments, columns, reasons, counts
 * history.c     DailyHistory, MinuteHistory: one history call, minute to Series
 * minutes.c     Minutes: trading minutes by position, from session opens and lengths
 * partial_day.c PartialDayHistory: "1d" windows in a minute simulation
 * fields.c      several fields at once: the block of the (date, asset) x fields frame
 * ratios.c      AdjustmentTimeline: the ratio before_trading_start scales windows by
 * lookups.c     CalendarLookups: exchange_calendars' per-bar lookups, answered exactly
 * stamps.c      fresh copies of the session labels the core keeps
 * tapes.c       SpotTape: one asset's bars in one bcolz reader, as get_value reads them
 * rolls.c       RollTable: a continuous future's contract, per stretch of time
 * spot.c        DataPortal's spot values (data.current, can_trade, is_stale, orders)
 * current.c     BarData.current's Series and DataFrames
 * spot_type.c   Spot: the type whose methods spot.c and current.c answer
 * methods.c     FastMethod: calendar lookups and BarData calls without a Python frame
 *
 * What a file offers the others is declared in the header named after it (calendar.c:
 * calendar.h), which includes the headers its declarations need and no more; the rest
 * of a file is static.
 */
#ifndef FASTPORTAL_H
#define FASTPORTAL_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

/* One table of NumPy's C API for the whole extension: arrays.c defines it and fills it
   (fp_arrays_init, at the module's import), the other files only use it. */
#include <numpy/numpyconfig.h>
#ifdef NPY_2_0_API_VERSION
#define NPY_NO_DEPRECATED_API NPY_2_0_API_VERSION
#else /* NumPy 1.x's headers (rustybt's environment runs numpy 1.26) */
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#endif
#define PY_ARRAY_UNIQUE_SYMBOL fp_ARRAY_API
#ifndef FASTPORTAL_ARRAYS_C
#define NO_IMPORT_ARRAY
#endif
#include <numpy/arrayobject.h>

/* NumPy 2's accessor of a dtype's item size, defined for NumPy 1.x's headers as NumPy's
   migration guide defines it */
#if NPY_ABI_VERSION < 0x02000000
#define PyDataType_ELSIZE(descr) ((descr)->elsize)
#endif

#endif
