"""What the core keeps for one DataPortal: its calendar and its adjusted columns.

Everything here is read from the portal's own readers, through upstream's own functions
(bar reader, adjustment reader, decimal places, last traded value), once per column.
Per call, `daily_series` and `daily_frame` only look up a column and ask the core for a
window; they return None for whatever the core does not cover, and the caller then asks
upstream.
"""

import functools
import sqlite3
import weakref
from collections import Counter

import numpy as np
import pandas as pd

from fastportal import _core, _framework
from fastportal._core import (ASSET_TYPE, BEFORE_DATA, CALL_ORDER_READER, COLUMN_RANGE,
                              CONTINUOUS_FUTURE, LEADING_GAP, NEW_COLUMN, NO_MINUTE_READER,
                              PANDAS_INTERNALS, WINDOW_BEFORE_DATA)
from fastportal._continuous import LoaderFollower
from fastportal._pandas import builder

# Fields the core serves, and the column each one reads.
COLUMN_OF_FIELD = {
    "open": "open",
    "high": "high",
    "low": "low",
    "close": "close",
    "volume": "volume",
    "price": "close",
    # the contract in force at each bar: served for continuous futures (float64 in
    # daily windows, int64 in "1m" ones, as upstream's windows hold it)
    "sid": "sid",
}

# The DailyHistoryAggregator method that folds a column's minute bars into the session's.
_AGGREGATE_OF_COLUMN = {"open": "opens", "high": "highs", "low": "lows", "close": "closes",
                        "volume": "volumes"}

# Rows a minute column holds past the window it was built for (20 sessions of XNYS):
# the simulation's clock walks through them before the column is built again.
MINUTE_PREFETCH = 7800

# Why calls went to upstream; the windows served are counted by the core
# (_core.windows_served).
stats = Counter()


def refused(reason):
    """A call upstream refuses with its own error, raised on the core's path."""
    stats["refused as upstream: " + reason] += 1


def _refused_continuous():
    refused(CONTINUOUS_FUTURE)


def fell_through(reason):
    stats["fell through: " + reason] += 1
    return None


# What a history object answers when it does not serve a window: why (a str), or, for a
# minute column to build, (why, first, last) with the reader rows the column is to hold.
NOT_SERVED = frozenset((str, tuple))


def reason_and_rows(answer):
    """(why, (first, last) or None) of an answer whose type is in NOT_SERVED."""
    return (answer, None) if type(answer) is str else (answer[0], answer[1:])


def ask_upstream(frequency, minute_data, function, /, *args, **kwargs):
    """function(*args, **kwargs), upstream's answer to a history call, counted by kind of
    window as answered or, when upstream raises (a bad argument, a window it refuses),
    as raised."""
    if frequency == "1m":
        kind = "1m"
    elif frequency == "1d":
        kind = "1d, minute data" if minute_data else "1d, daily data"
    else:
        kind = "other"
    try:
        result = function(*args, **kwargs)
    except Exception:
        stats["upstream raised: " + kind] += 1
        raise
    stats["upstream answered: " + kind] += 1
    return result


def refused_by_upstream(reason, frequency, minute_data, function, /, *args, **kwargs):
    """Arguments upstream refuses with its own error (a bar count below 1): its own
    function raises it, counted as refused. Were it to answer, the call counts as fallen
    through, and its answer stands."""
    try:
        result = ask_upstream(frequency, minute_data, function, *args, **kwargs)
    except Exception:
        refused(reason)
        raise
    fell_through(reason)
    return result


# The calendars the core has put its objects on (in their __dict__, so that they live
# and die with the calendar), to take them off again at uninstall(): id -> weak
# reference (a calendar need not be hashable).
_calendars = {}


def attach(calendar, key, value):
    """calendar.__dict__[key] = value, remembered for detach_all()."""
    key_of_calendar = id(calendar)
    if key_of_calendar not in _calendars:
        _calendars[key_of_calendar] = weakref.ref(
            calendar, lambda _, k=key_of_calendar: _calendars.pop(k, None))
    calendar.__dict__[key] = value


def detach_all():
    """Take the core's objects off every calendar they were put on."""
    for reference in list(_calendars.values()):
        calendar = reference()
        if calendar is not None:
            for key in [key for key in calendar.__dict__ if key.startswith("_fastportal_")]:
                del calendar.__dict__[key]
    _calendars.clear()


def calendar_core(calendar):
    """The core Calendar of an exchange_calendars calendar, built once per calendar
    (None when the core cannot build this pandas' objects)."""
    core = calendar.__dict__.get("_fastportal_calendar")
    if core is None:
        objects = builder()
        if objects is None:
            return None
        core = _core.Calendar(
            calendar,
            calendar.first_minutes_nanos,
            calendar.last_minutes_nanos,
            objects,
            pd.Timestamp,
        )
        attach(calendar, "_fastportal_calendar", core)
    return core


def minutes_core(calendar):
    """The core Minutes of an exchange_calendars calendar, built once per calendar (None
    when the core cannot build this pandas' objects)."""
    core = calendar.__dict__.get("_fastportal_minutes")
    if core is None:
        sessions = calendar_core(calendar)
        if sessions is None:
            return None
        dtype = calendar.first_minutes.dtype
        core = _core.Minutes(
            sessions,
            calendar.last_am_minutes_nanos,
            calendar.first_pm_minutes_nanos,
            dtype,
            functools.partial(pd.Timestamp, tz=dtype.tz),
        )
        attach(calendar, "_fastportal_minutes", core)
    return core


class PortalCore:
    """The core's view of one DataPortal in daily history."""

    def __init__(self, portal):
        framework = _framework.of(portal)
        Equity, Future = framework.Equity, framework.Future
        ContinuousFuture = framework.ContinuousFuture
        self.portal = portal
        # The assets served: equities, single futures contracts (whose history reads the
        # same dispatch readers, without adjustments, rounded to their tick size) and
        # continuous futures (the contract in force at each bar as upstream's roll
        # finders and continuous-future readers give it, with its roll adjustments).
        self.served_types = (Equity, Future, ContinuousFuture)
        self.continuous_type = ContinuousFuture
        self.calendar = calendar_core(portal.trading_calendar)
        self.builder = builder()
        loader = portal._history_loader
        self.loader = loader
        self.reader = loader._reader
        self.first_day_loc = portal._first_trading_day_loc
        self.reader_sessions = self.reader.sessions
        self.reader_offset = self._reader_offset()
        self.columns = {}
        # continuous futures: the daily loader's state followed (the minute loader's is
        # made with the minute history)
        self.daily_follower = LoaderFollower(
            ContinuousFuture, COLUMN_OF_FIELD, loader, self.reader_sessions, "daily",
            self._build_column, _refused_continuous)
        self.minute_follower = None
        self.minute_columns = {}
        self.minute_spans = {}  # (asset, column) -> longest run of minute rows asked for
        self.partial_columns = {}  # daily, seen from the session after: minute-mode "1d"
        self.session_columns = {}  # (future, column, row) -> a one-session window's column
        self.partial_minutes = {}  # the minute columns of those windows' current sessions
        self._minute_state = None
        self._partial_state = None
        self.history = _core.DailyHistory(
            self.calendar, self.columns, self.reader_offset, self.first_day_loc,
            len(self.reader_sessions),
        )

    def _reader_offset(self):
        """Position of the reader's first session in the calendar, or None when the
        reader's sessions are not a contiguous run of the calendar's."""
        sessions = self.reader_sessions
        if len(sessions) == 0:
            return None
        calendar_sessions = self.portal.trading_calendar.sessions
        offset = calendar_sessions.searchsorted(sessions[0])
        run = calendar_sessions[offset : offset + len(sessions)]
        if len(run) != len(sessions) or not (run.asi8 == sessions.asi8).all():
            return None
        return int(offset)

    # -- columns ---------------------------------------------------------------------

    def column(self, asset, field, _rows=None):
        """The daily AdjustedColumn for (asset, field), or None. (A continuous future's
        is placed for each call by place_continuous.)"""
        if type(asset) is self.continuous_type:
            return None
        return self._cached_column(self.columns, asset, field, lambda: self._build_column(
            asset, COLUMN_OF_FIELD[field], self.loader, self.reader_sessions, "daily"))

    def partial_column(self, asset, field):
        """The daily AdjustedColumn of a minute simulation's "1d" windows, or None. (A
        continuous future's is placed for each call by _place_partial.)"""
        if type(asset) is self.continuous_type:
            return None
        return self._cached_column(self.partial_columns, asset, field, lambda: self._build_column(
            asset, COLUMN_OF_FIELD[field], self.loader, self.reader_sessions, "daily",
            perspective=1))

    def minute_column(self, asset, field, rows):
        """The minute AdjustedColumn for (asset, field) that holds the reader rows
        (first, last) = rows, or None. Not the whole bundle: the longest run of rows asked
        of it so far, ending with the window, and MINUTE_PREFETCH rows after it, as
        upstream's minute loader holds a window and its prefetch."""
        first, last = rows
        total = len(self.minute_dts)
        if first < 0 or last >= total or type(asset) is self.continuous_type:
            return None  # outside the minute reader, or a continuous future not placed
        column = self.minute_columns.get((asset, field), False)
        if column is None or (column and column.covers(first, last)):
            return column  # unbuildable (upstream answers), or it holds the rows
        key = (asset, COLUMN_OF_FIELD[field])
        span = self.minute_spans[key] = max(last - first + 1, self.minute_spans.get(key, 0))
        start, stop = max(0, last - span + 1), min(total, last + 1 + MINUTE_PREFETCH)
        return self._store_column(self.minute_columns, asset, field, lambda: self._build_column(
            asset, key[1], self.minute_loader, self.minute_dts[start:stop], "minute",
            first_row=start))

    def _cached_column(self, store, asset, field, build):
        try:
            return store[(asset, field)]
        except KeyError:
            return self._store_column(store, asset, field, build)

    @staticmethod
    def _store_column(store, asset, field, build):
        try:
            column = build()
        except sqlite3.ProgrammingError:
            # zipline's adjustment reader refuses threads other than its own: upstream
            # raises the same, and the thread that owns the reader can build it later
            return None
        except Exception:
            # Upstream will raise its own error (unknown sid, unreadable bar...).
            column = None
        store[(asset, field)] = column
        if field == "price" or field == "close":
            # close and price share one column; the price parts ride along unused.
            store[(asset, "close" if field == "price" else "price")] = column
        return column

    def _build_column(self, asset, field, loader, dts, frequency, perspective=0,
                      first_row=0, decimals=None, adjustment_dts=None, raw=None):
        """Raw bars, adjustments and decimals as upstream's loader reads them over dts
        (adjustments over adjustment_dts if given), reader rows first_row... A column of
        perspective 1 (a minute simulation's daily rows) also knows the sessions the
        asset is alive, which decide its current session's row."""
        if field == "sid" and type(asset) is not self.continuous_type:
            raise ValueError("sid windows are served for continuous futures")
        if raw is None:
            raw = loader._reader.load_raw_arrays([field], dts[0], dts[-1], [asset])[0]
        raw = np.asarray(raw[:, 0], dtype=np.float64)
        locs, values, additive = self._adjustments(
            asset, field, dts if adjustment_dts is None else adjustment_dts, loader)
        if decimals is None:
            decimals = loader._decimal_places_for_asset(asset, dts[-1])
        alive = {}
        if perspective == 1:
            alive["first_alive"] = int(dts.searchsorted(asset.start_date, side="left"))
        if field == "close" or perspective == 1:
            alive["last_alive"] = self._last_alive(asset, dts)
        if field == "close":
            alive["seed"] = self._seed(asset, dts, frequency, step_back=perspective == 1)
        return _core.AdjustedColumn(raw, locs, values, decimals, perspective,
                                    first_row=first_row, additive=additive, **alive)

    def _adjustments(self, asset, field, dts, loader):
        """Upstream's adjustments for the column, in the order its window applies them,
        and whether they add (a continuous future's "add" rolls) rather than multiply."""
        reader = loader._adjustment_readers.get(type(asset))
        if reader is None:
            return np.empty(0, np.int64), np.empty(0, np.float64), False
        by_loc = reader.load_pricing_adjustments([field], dts, [asset])[0]
        locs, values, kinds = [], [], set()
        for loc in sorted(by_loc):
            for adjustment in by_loc[loc]:
                kind = type(adjustment).__name__
                if (
                    kind not in ("Float64Multiply", "Float64Add")
                    or adjustment.first_row != 0
                    or adjustment.last_row != loc - 1
                ):
                    raise ValueError("an adjustment the core does not apply")
                kinds.add(kind)
                locs.append(loc)
                values.append(adjustment.value)
        if len(kinds) > 1:
            raise ValueError("adjustments that add and multiply in one column")
        return (np.array(locs, np.int64), np.array(values, np.float64),
                kinds == {"Float64Add"})

    @staticmethod
    def _last_alive(asset, dts):
        """Last row on or before the asset's end date: upstream writes NaN into a price
        window wherever the normalized date is after it (and calls a session after it
        not alive)."""
        end_date = asset.end_date
        if pd.isnull(end_date):
            return len(dts)
        if dts.tz is not None:
            end_date = end_date.tz_localize(dts.tz)
        if end_date.normalize() >= dts[-1].normalize():
            return len(dts) - 1  # alive to the last row (and the day after may not exist)
        next_day = end_date.normalize() + pd.Timedelta(days=1)
        return int(dts.searchsorted(next_day, side="left")) - 1

    def _seed(self, asset, dts, frequency, step_back=False):
        """Upstream's value for a price window's leading gap, from the bar before it.
        In a minute simulation a daily window looks for it from the session before its
        first (step_back), so as not to take a value from later in that first session."""
        portal = self.portal
        day = portal.trading_calendar.day

        def seed(start, end):
            history_start = dts[start] - day if step_back else dts[start]
            last_traded = portal.get_last_traded_dt(asset, history_start, frequency)
            if pd.isnull(last_traded):
                return np.nan
            try:
                return portal.get_adjusted_value(
                    asset,
                    "price",
                    dt=last_traded,
                    perspective_dt=dts[end],
                    data_frequency=frequency,
                )
            except Exception:
                refused(LEADING_GAP)  # upstream's own error, raised out of the window call
                raise

        return seed

    # -- windows ---------------------------------------------------------------------

    def _minute_history(self):
        """The core's MinuteHistory for this portal, or None when it has no minute reader.
        Its minutes are the minute loader's: from the reader's first trading day to its
        last available minute, found by position rather than in an array of every minute."""
        if self._minute_state is None:
            try:
                self.minute_loader = self.portal._minute_history_loader
                reader = self.minute_loader._reader
                calendar = self.portal.trading_calendar
                minutes = minutes_core(calendar)
                start = minutes.index_of(reader.first_trading_day.tz_localize("UTC"))
                last = pd.Timestamp(reader.last_available_dt)
                if last.tzinfo is None:
                    last = last.tz_localize("UTC")
                stop = int(minutes.positions(np.array([last.value + 1]))[0])
                labels = minutes.values(start, stop - start)
                labels.flags.writeable = False
                dtype = calendar.first_minutes.dtype
                self.minute_dts = pd.DatetimeIndex(labels.view("M8[ns]")).tz_localize(dtype.tz)
                self.minute_start = start
                self.minute_follower = LoaderFollower(
                    self.continuous_type, COLUMN_OF_FIELD, self.minute_loader,
                    self.minute_dts, "minute", self._build_column, _refused_continuous)
                self._minute_state = _core.MinuteHistory(
                    minutes, self.calendar, self.minute_columns, labels, dtype, start,
                    minutes.index_of(self.portal._first_trading_minute),
                )
            except Exception:
                self._minute_state = False
        return self._minute_state or None

    def _partial_history(self):
        """The core's PartialDayHistory for this portal, or None without a minute reader."""
        if self._partial_state is None:
            self._partial_state = False
            if self._minute_history() is not None:
                self._partial_state = _core.PartialDayHistory(
                    self.calendar, minutes_core(self.portal.trading_calendar),
                    self.partial_columns, self.partial_minutes,
                    -1 if self.reader_offset is None else self.reader_offset,
                    self.first_day_loc, len(self.reader_sessions), self.minute_start,
                )
        return self._partial_state or None

    def _partial_columns(self, asset, field, rows):
        """The columns a minute simulation's "1d" window reads: the daily one, and the
        minute one whose bars the core folds into the session so far (none for a
        continuous future, whose minute columns hold roll-adjusted bars)."""
        self.partial_column(asset, field)
        minute = self.minute_column(asset, field, rows)
        self.partial_minutes[(asset, field)] = minute
        if field == "price" or field == "close":
            self.partial_minutes[(asset, "close" if field == "price" else "price")] = minute

    # The three below ask the core once inline, the path of nearly every call; the
    # retry after building a column is _retry's.

    def minute_series(self, dt, asset, field, bar_count, scales=None):
        """data.history(asset, field, bar_count, "1m") at minute dt, for one asset
        (scales: the window multiplied by scales[0])."""
        history = self._minute_state or self._minute_history()
        if history is None:
            return fell_through(NO_MINUTE_READER)
        if type(asset) is self.continuous_type:
            self._place_minute(history, dt, (asset,), (field,), bar_count)
        series = history.series(dt, asset, field, bar_count, scales)
        if type(series) in NOT_SERVED:
            return self._retry(series, history, self.minute_column, dt, asset, field,
                               bar_count, scales)
        return series

    def partial_series(self, dt, asset, field, bar_count, scales=None):
        """data.history(asset, field, bar_count, "1d") at minute dt of a minute
        simulation, for one asset."""
        history = self._partial_state or self._partial_history()
        if history is None:
            return fell_through(NO_MINUTE_READER)
        if type(asset) is self.continuous_type:
            today = self._place_partial(dt, (asset,), (field,), bar_count)
            series = history.series(dt, asset, field, bar_count, scales, today)
            if type(series) in NOT_SERVED:
                why = reason_and_rows(series)[0]
                if why == BEFORE_DATA:
                    self._refuse_before_data(history, dt, bar_count)
                return fell_through(why)
            return series
        series = history.series(dt, asset, field, bar_count, scales)
        if type(series) in NOT_SERVED:
            return self._retry(series, history, self._partial_columns, dt, asset, field,
                               bar_count, scales)
        return series

    def daily_series(self, dt, asset, field, bar_count):
        """data.history(asset, field, bar_count, "1d") at minute dt, for one asset."""
        if type(asset) is self.continuous_type:
            self._place_daily(self.calendar.daily_window_end(dt), (asset,), (field,),
                              bar_count)
        series = self.history.series(dt, asset, field, bar_count)
        if type(series) is str:
            return self._retry(series, self.history, self.column, dt, asset, field,
                               bar_count)
        return series

    def _retry(self, answer, history, build_column, dt, asset, field, bar_count,
               scales=None):
        """After history.series(...) answered why it does not serve: the column it asks
        for built and the core asked again, upstream's refusal, or a fall through."""
        why, rows = reason_and_rows(answer)
        if why == BEFORE_DATA:
            self._refuse_before_data(history, dt, bar_count)
        if why != NEW_COLUMN and why != COLUMN_RANGE:
            return fell_through(why)
        build_column(asset, field, rows)
        series = history.series(dt, asset, field, bar_count, scales)
        if type(series) in NOT_SERVED:
            return fell_through(reason_and_rows(series)[0])
        return series

    def daily_frame(self, assets, end_loc, bar_count, field, columns=None):
        """get_history_window(assets, ..., "1d", field, "daily") as upstream's frame
        (columns: the Index to label the frame's columns with, if not the assets)."""
        self._place_daily(end_loc, assets, (field,), bar_count)
        return self._frame(self.history, self.column, end_loc, assets, field, bar_count,
                           columns=columns)

    def _place_minute(self, history, dt, assets, fields, bar_count):
        """As _place_daily, for a "1m" window ending at minute dt."""
        if not self._any_continuous(assets):
            return
        rows = history.window_rows(dt, bar_count)
        if type(rows) is str:
            return  # the core leaves the window to upstream, or refuses it
        for field in fields:
            if not self.minute_follower.place(self.minute_columns, assets, field, rows[1],
                                              bar_count):
                break  # upstream fails on the sid before the fields after

    def _place_daily(self, end_loc, assets, fields, bar_count):
        """The columns of the continuous futures among assets, for a daily window of
        bar_count sessions ending at calendar position end_loc; none for a window the
        core leaves to upstream or refuses (upstream's loader is not reached then)."""
        if type(end_loc) is not int or not self._any_continuous(assets):
            return
        end_row = self._reader_row(end_loc, bar_count)
        if end_row is None:
            return
        for field in fields:
            if not self.daily_follower.place(self.columns, assets, field, end_row, bar_count):
                break

    def _reader_row(self, end_loc, bar_count):
        """The daily reader's row of the session at calendar position end_loc, for a
        window of bar_count sessions ending there; None when the core does not serve the
        window from the reader (it starts before the reader or the first trading day, or
        ends after the reader)."""
        offset = self.reader_offset
        if offset is None:
            return None
        end_row = end_loc - offset
        if (end_loc - bar_count + 1 < max(offset, self.first_day_loc)
                or end_row >= len(self.reader_sessions)):
            return None
        return end_row

    def minute_frame(self, assets, dt, bar_count, field, scales=None, columns=None):
        """get_history_window(assets, dt, ..., "1m", field, ...) as upstream's frame
        (scales: each asset's column multiplied by its own)."""
        history = self._minute_state or self._minute_history()
        if history is None:
            return fell_through(NO_MINUTE_READER)
        self._place_minute(history, dt, assets, (field,), bar_count)
        return self._frame(history, self.minute_column, dt, assets, field, bar_count,
                           scales, columns)

    def partial_frame(self, assets, dt, bar_count, field, scales=None, columns=None):
        """get_history_window(assets, dt, ..., "1d", field, "minute") as upstream's frame."""
        history = self._partial_state or self._partial_history()
        if history is None:
            return fell_through(NO_MINUTE_READER)
        today = self._place_partial(dt, assets, (field,), bar_count)
        return self._frame(history, self._partial_columns, dt, assets, field, bar_count,
                           scales, columns, today)

    def daily_fields(self, dt, assets, fields, bar_count, asked=None):
        """data.history(assets, fields, bar_count, "1d") of a daily simulation at minute
        dt, for several fields: assets sorted and unique, fields unique (tuples); asked:
        the assets and fields as the strategy gave them, the order upstream reads in."""
        if asked is None or not self._any_continuous(assets):
            return self._fields(self.history, self.column, dt, assets, fields, bar_count)
        end_loc = self.calendar.daily_window_end(dt)
        return self._fields_in_order(
            self.daily_follower, lambda fields: self._place_daily(end_loc, asked[0], fields,
                                                                  bar_count),
            asked[1], lambda: self._fields(self.history, self.column, dt, assets, fields,
                                           bar_count))

    def minute_fields(self, dt, assets, fields, bar_count, scales=None, asked=None):
        """data.history(assets, fields, bar_count, "1m") for several fields (scales:
        each field's windows multiplied by its own; asked: as daily_fields)."""
        history = self._minute_state or self._minute_history()
        if history is None:
            return fell_through(NO_MINUTE_READER)
        serve = lambda: self._fields(history, self.minute_column, dt, assets,  # noqa: E731
                                     fields, bar_count, scales)
        if asked is None or not self._any_continuous(assets):
            return serve()
        return self._fields_in_order(
            self.minute_follower,
            lambda fields: self._place_minute(history, dt, asked[0], fields, bar_count),
            asked[1], serve)

    def _any_continuous(self, assets):
        continuous = self.continuous_type
        return any(type(asset) is continuous for asset in assets)

    @staticmethod
    def _fields_in_order(follower, place, asked_fields, serve):
        """Several fields with continuous futures among the assets: their columns placed
        for the fields as asked, then the frame served. Upstream builds one field's
        windows after another and fills a price window as soon as it is built; when that
        fill raises (a seed upstream cannot find), the fields after it were never built,
        so the loader state is the one of the fields up to it."""
        states = dict(follower.states)
        place(asked_fields)
        try:
            return serve()
        except Exception:
            if "price" in asked_fields:
                follower.states.clear()
                follower.states.update(states)
                place(asked_fields[:list(asked_fields).index("price") + 1])
            raise

    def partial_fields(self, dt, assets, fields, bar_count, scales=None, asked=None):
        """data.history(assets, fields, bar_count, "1d") of a minute simulation, for
        several fields (asked: as daily_fields)."""
        history = self._partial_state or self._partial_history()
        if history is None:
            return fell_through(NO_MINUTE_READER)
        if asked is None or not self._any_continuous(assets):
            return self._fields(history, self._partial_columns, dt, assets, fields,
                                bar_count, scales)
        today = {}
        return self._fields_in_order(
            self.daily_follower,
            lambda fields: today.update(self._place_partial(dt, asked[0], fields, bar_count)
                                        or {}),
            asked[1], lambda: self._fields(history, self._partial_columns, dt, assets,
                                           fields, bar_count, scales, today))

    def _place_partial(self, dt, assets, fields, bar_count):
        """For a minute simulation's "1d" window ending at minute dt, what upstream reads
        for the continuous futures among assets, field after field: their daily columns
        (its daily loader's window of the bar_count - 1 sessions before dt's, seen from
        dt's session), then their values for the session so far from its own
        DailyHistoryAggregator (for "sid", the contract its roll finder names at dt).
        The aggregator keeps running values per session, and which contract a minute
        reads can change within a session: calling it, as upstream does, keeps its state
        and answers upstream's. Returns {(asset, field): float}, or None when the core
        leaves the window to upstream or refuses it."""
        continuous = self.continuous_type
        if self.reader_offset is None or not self._any_continuous(assets):
            return None
        portal = self.portal
        try:
            session = self.calendar.session_index(dt)
            trading = portal.trading_calendar.is_trading_minute(dt)
        except Exception:
            return None  # upstream raises its own error for this minute
        row = self._reader_row(session, bar_count)
        if row is None:
            return None
        futures = [asset for asset in assets if type(asset) is continuous]
        today = {}
        for field in fields:
            if bar_count > 1:
                if not self.daily_follower.place(self.partial_columns, assets, field,
                                                 row - 1, bar_count - 1, perspective=1):
                    break
            else:
                for asset in futures:  # upstream's loader reads no session before dt's
                    self._place_session_column(asset, field, row)
            if field == "sid":
                values = [int(portal._get_current_contract(asset, dt)) for asset in futures]
            elif trading:
                aggregate = getattr(portal._daily_aggregator,
                                    _AGGREGATE_OF_COLUMN[COLUMN_OF_FIELD[field]])
                values = aggregate(futures, dt)
            else:
                continue  # the session has no minute yet: upstream answers
            for asset, value in zip(futures, np.asarray(values, np.float64).tolist()):
                today[(asset, field)] = value
        return today

    def _place_session_column(self, asset, field, row):
        """The column a one-session window of a continuous future reads: none of its
        bars, only when the future is alive and, for price, the seed of its gap."""
        column_field = COLUMN_OF_FIELD[field]
        key = (asset, column_field, row)
        column = self.session_columns.get(key)
        if column is None:
            dts = self.reader_sessions[row:row + 1]
            alive = {"first_alive": int(dts.searchsorted(asset.start_date, side="left")),
                     "last_alive": self._last_alive(asset, dts)}
            if column_field == "close":
                alive["seed"] = self._seed(asset, dts, "daily", step_back=True)
            column = self.session_columns[key] = _core.AdjustedColumn(
                np.full(1, np.nan), np.empty(0, np.int64), np.empty(0, np.float64), 0, 1,
                first_row=row, **alive)
        self.partial_columns[(asset, field)] = column
        if field == "price" or field == "close":
            self.partial_columns[(asset, "close" if field == "price" else "price")] = column

    def _fields(self, history, build_column, dt, assets, fields, bar_count, scales=None,
                today=None):
        call = (dt, assets, fields, bar_count, scales) + ((today,) if today else ())
        frame = history.fields(*call)
        if type(frame) in NOT_SERVED:
            why, rows = reason_and_rows(frame)
            if why == BEFORE_DATA:
                self._refuse_before_data(history, dt, bar_count)
            if why != NEW_COLUMN and why != COLUMN_RANGE:
                return fell_through(why)
            for field in fields:
                for asset in assets:
                    build_column(asset, field, rows)
            frame = history.fields(*call)
            if type(frame) in NOT_SERVED:
                return fell_through(reason_and_rows(frame)[0])
        return frame

    # -- before_trading_start in a minute simulation ------------------------------------

    def previous_minute(self, minute):
        """trading_calendar.previous_minute(minute), where upstream's BarData steps back
        to under handle_non_market_minutes; None when the core has no minutes for it."""
        minutes = minutes_core(self.portal.trading_calendar)
        return None if minutes is None else minutes.previous_minute(minute)

    def timeline(self, asset):
        return adjustment_timeline(self.portal, asset)

    def ratios(self, assets, field, dt, now):
        """get_adjustments(assets, field, dt, now): each asset's ratio, as a tuple.
        TimelineRefused where upstream's get_adjustments raises for an asset instead."""
        volume = field == "volume"
        dt, now = dt.value, now.value
        ratios = tuple(self.timeline(asset).ratio(volume, dt, now) for asset in assets)
        if None in ratios:
            raise TimelineRefused(assets)
        return ratios

    def _refuse_before_data(self, history, end, bar_count):
        """A window that starts before the first trading minute or day: upstream raises
        HistoryWindowStartsBeforeData, with a start it suggests, from the function called
        here. `end` is the window's minute, or a daily frame's session position."""
        refused(WINDOW_BEFORE_DATA)
        portal = self.portal
        if history is self._minute_state:
            portal._handle_minute_history_out_of_bounds(bar_count)
            return
        if type(end) is not int:
            calendar = self.calendar
            end = (calendar.daily_window_end(end) if history is self.history
                   else calendar.session_index(end))
        portal._get_days_for_window(portal.trading_calendar.sessions[end], bar_count)

    def _frame(self, history, build_column, end, assets, field, bar_count, scales=None,
               columns=None, today=None):
        """history.frame(...) for a list, a tuple or an Index of served assets; an Index
        becomes the frame's columns as it is, as in pd.DataFrame(..., columns=assets)
        (or `columns`, when given)."""
        served = self.served_types
        if not all(type(asset) in served for asset in assets):
            return fell_through(ASSET_TYPE)
        if isinstance(assets, pd.Index):
            assets, columns = list(assets), assets if columns is None else columns
        call = (end, assets, field, bar_count, columns, scales) + ((today,) if today else ())
        frame = history.frame(*call)
        if type(frame) in NOT_SERVED:
            why, rows = reason_and_rows(frame)
            if why == BEFORE_DATA:
                self._refuse_before_data(history, end, bar_count)
            if why != NEW_COLUMN and why != COLUMN_RANGE:
                return fell_through(why)
            for asset in assets:
                build_column(asset, field, rows)
            frame = history.frame(*call)
            if type(frame) in NOT_SERVED:
                return fell_through(reason_and_rows(frame)[0])
        return frame


class TimelineRefused(Exception):
    """The framework's get_adjustments raises for an asset's ratio, where a timeline
    would answer (_framework: mergers_compared_naive): the call is left to upstream,
    which raises."""


def adjustment_timeline(portal, asset):
    """The asset's AdjustmentTimeline, read once per portal through the portal's own
    cached _get_adjustment_list, as get_adjustments reads it; it refuses the ratios
    the framework's get_adjustments raises for."""
    timelines = portal.__dict__.setdefault("_fastportal_timelines", {})
    timeline = timelines.get(asset)
    if timeline is None:
        framework = _framework.of(portal)
        splits, mergers, dividends = framework.adjustment_tables
        parts = []
        for cache, table in ((portal._splits_dict, splits),
                             (portal._mergers_dict, mergers),
                             (portal._dividends_dict, dividends)):
            adjustments = portal._get_adjustment_list(asset, cache, table)
            parts.append(np.array([when.value for when, _ in adjustments], np.int64))
            parts.append(np.array([ratio for _, ratio in adjustments], np.float64))
        timeline = timelines[asset] = _core.AdjustmentTimeline(
            *parts, mergers_compared_naive=framework.mergers_compared_naive)
    return timeline


def _reads_in_call_order(portal):
    """Whether one of the portal's bar readers answers by the calls made before it
    (_framework: call_order_readers): the core's reads would change upstream's."""
    kinds = _framework.of(portal).call_order_readers
    if not kinds:
        return False
    for dispatch in portal._pricing_readers.values():
        for reader in getattr(dispatch, "_readers", {}).values():
            for each in (reader, getattr(reader, "_reader", None)):  # a reindexing one
                if (type(each).__module__, type(each).__qualname__) in kinds:
                    return True
    return False


def portal_core(portal):
    """The PortalCore of a DataPortal, or None when the core cannot serve it (this
    pandas' objects are not the builder's, the portal has no daily reader the core can
    read, or one whose answers depend on the order of calls: upstream answers, with its
    own errors; why_no_core says which)."""
    core = portal.__dict__.get("_fastportal_core")
    if core is None:
        core = PANDAS_INTERNALS
        if builder() is not None:
            try:
                core = CALL_ORDER_READER if _reads_in_call_order(portal) else PortalCore(portal)
            except Exception:
                core = PANDAS_INTERNALS
        portal.__dict__["_fastportal_core"] = core
    return None if type(core) is str else core


def why_no_core(portal):
    """Why portal_core(portal) is None."""
    return portal.__dict__["_fastportal_core"]
