"""The spot path: DataPortal's get_spot_value, get_scalar_asset_spot_value and
get_adjusted_value asked of the core first.

These are what data.current, data.can_trade, data.is_stale, the order path and the
ledger read on every bar; upstream's BarData calls them, and here they reach the core's
Spot (src/spot.c), which reads each asset's bars from a SpotTape: the bcolz reader's own
raw bars of the asset, copied once (a daily tape: all its sessions; a minute tape: the
sessions around the simulation's clock, built again when the clock leaves them). What
the core does not answer goes to upstream's own method, with the same arguments.
"""

import datetime
import functools

import numpy as np
import pandas as pd

from fastportal import _core, _framework
from fastportal._core import (ADJUSTED_TIME, CONTRACT_TAPE, MERGERS_COMPARED_NAIVE, NEW_ROLL,
                              NEW_TAPE, ROLL_RANGE, TAPE_RANGE, TIME_ZONE)
from fastportal._calendar import _lookups
from fastportal._pandas import builder
from fastportal._portal import adjustment_timeline, minutes_core, stats
from fastportal._rolls import store_roll

_BARS = ("open", "high", "low", "close", "volume")

# Sessions a minute tape holds before and after the one it is built for.
TAPE_SESSIONS_BEFORE = 5
TAPE_SESSIONS_AFTER = 20


def _fell_through(reason):
    stats["spot fell through: " + reason] += 1


# Reasons for which upstream may raise its own error: counted as refused when it does
# (TIME_ZONE: rustybt compares a time with a zone to one without).
_UPSTREAM_RAISES = (ADJUSTED_TIME, MERGERS_COMPARED_NAIVE, TIME_ZONE)


def _to_upstream(reason, call):
    """call(), upstream's answer to a value the core left to it for `reason`."""
    if reason not in _UPSTREAM_RAISES:
        _fell_through(reason)
        return call()
    try:
        value = call()
    except Exception:
        stats["spot refused as upstream: " + reason] += 1
        raise
    _fell_through(reason)
    return value


def spot_per_value(reason):
    """A BarData call the core did not answer whole: upstream's BarData runs, and asks the
    portal, which the core answers, one value at a time."""
    stats["spot per value: " + reason] += 1


def spot_core(portal):
    """The portal's Spot, built once per portal, or False when the core does not answer
    for it (its calendar answers lookups its own way, or pandas is not one the core
    knows)."""
    spot = portal.__dict__.get("_fastportal_spot")
    if spot is None:
        spot = _build_spot(portal) or False
        portal.__dict__["_fastportal_spot"] = spot
    return spot


def _build_spot(portal):
    framework = _framework.of(portal)
    if framework is None:
        return None
    Equity, Future = framework.Equity, framework.Future
    ContinuousFuture = framework.ContinuousFuture
    calendar = portal.trading_calendar
    if builder() is None or not _lookups(calendar):
        return None
    minutes = minutes_core(calendar)
    zones = {datetime.timezone.utc, pd.Timestamp(0, tz="UTC").tzinfo,
             calendar.first_minutes.dtype.tz}
    try:
        import pytz

        zones.add(pytz.utc)
    except ImportError:  # pragma: no cover - zipline requires pytz
        pass
    tapes = portal.__dict__["_fastportal_tapes"] = {False: {}, True: {}}
    rolls = portal.__dict__["_fastportal_rolls"] = {False: {}, True: {}}
    portal.__dict__["_fastportal_roll_parts"] = {False: {}, True: {}}
    return _core.Spot(minutes, tapes[False], tapes[True], (Equity, Future), Equity,
                      tuple(zones), pd.NaT, pd.Timestamp,
                      functools.partial(pd.Timestamp, tz="UTC", unit="m"), builder(),
                      ContinuousFuture, rolls[False], rolls[True])


def _reader(portal, asset, minute_data):
    dispatch = portal._pricing_readers.get("minute" if minute_data else "daily")
    readers = getattr(dispatch, "_readers", None)
    return None if readers is None else readers.get(type(asset))


def _daily_tape(reader, asset, timeline):
    sid = asset.sid
    first, last = reader._first_rows[sid], reader._last_rows[sid]
    bars = np.stack([np.asarray(reader._spot_col(name)[first:last + 1]) for name in _BARS])
    if bars.dtype != np.uint32:
        return None
    return _core.SpotTape(bars, 0.001, int(reader._calendar_offsets[sid]), timeline,
                          asset_type=type(asset), sessions=reader.sessions.asi8)


def _last_trade_before(volumes, first, opens, closes, per_day):
    """The last row before `first` that traded (volume, and a minute of its session, as
    the reader's search counts rows), or -1: searched back from `first` twenty sessions
    at a time, so that a tape built late in a long bundle reads only back to the
    asset's last trade."""
    stop = first
    while stop > 0:
        start = max(0, stop - 20 * per_day)
        rows = np.arange(start, stop)
        counted = rows % per_day <= (closes - opens)[rows // per_day]
        traded = np.flatnonzero((np.asarray(volumes[start:stop]) != 0) & counted)
        if len(traded):
            return start + int(traded[-1])
        stop = start
    return -1


def _minute_tape(reader, asset, timeline, dt):
    sid = asset.sid
    per_day = int(reader._minutes_per_day)
    opens, closes = reader._market_open_values, reader._market_close_values
    files = [reader._open_minute_file(name, sid) for name in _BARS]
    length = len(files[0])
    if any(len(file) != length for file in files):
        return None
    session = int(np.searchsorted(opens, dt.value // 60_000_000_000, side="right")) - 1
    first = max(0, session - TAPE_SESSIONS_BEFORE) * per_day
    stop = min(length, (max(session, 0) + 1 + TAPE_SESSIONS_AFTER) * per_day)
    if first >= stop:
        first = max(0, stop - per_day) // per_day * per_day
    bars = np.stack([np.asarray(file[first:stop]) for file in files])
    if bars.dtype != np.uint32:
        return None
    prior = _last_trade_before(files[4], first, opens, closes, per_day)
    return _core.SpotTape(bars, float(reader._ohlc_ratio_inverse_for_sid(sid)), first,
                          timeline, asset_type=type(asset), opens=opens, closes=closes,
                          minutes_per_day=per_day, length=length, prior=prior,
                          prior_close=int(files[3][prior]) if prior >= 0 else 0,
                          known=reader._known_zero_volume_dict, sid=sid)


def _store_tape(portal, spot_tapes, asset, dt, minute_data):
    """Builds the asset's tape for the reader of minute_data (around dt for minute
    data); None, stored, when the core cannot read that reader."""
    framework = _framework.of(portal)
    tape = None
    try:
        reader = _reader(portal, asset, minute_data)
        timeline = (adjustment_timeline(portal, asset) if type(asset) is framework.Equity
                    else None)
        if not minute_data and type(reader) is framework.BcolzDailyBarReader:
            tape = _daily_tape(reader, asset, timeline)
        elif (minute_data and type(reader) is framework.BcolzMinuteBarReader
              and type(dt) is pd.Timestamp):
            tape = _minute_tape(reader, asset, timeline, dt)
    except Exception:
        tape = None  # upstream answers, with its own error if it raises
    spot_tapes[asset] = tape


def _reads_of(portal, asset, dt, minute_data, reason):
    """The assets whose tapes a call wants: the asset, or a continuous future's contract
    at dt, or (CONTRACT_TAPE: the price was found across a roll) every contract its
    roll table names."""
    framework = _framework.of(portal)
    if type(asset) is not framework.ContinuousFuture:
        return [asset]
    table = portal.__dict__["_fastportal_rolls"][minute_data].get(asset)
    if reason == CONTRACT_TAPE:
        tapes = portal.__dict__["_fastportal_tapes"][minute_data]
        return {c for c in table.contracts if type(c) is framework.Future and c not in tapes}
    key = dt.value if minute_data else portal.trading_calendar.minute_to_session(dt).value
    return [table.contract_at(key)]


def _answer(portal, ask, asset, dt, frequency):
    """ask() (a Spot call), building the asset's tape when it has none or the clock has
    left it, and a continuous future's roll table likewise; the reason (str) when the
    core leaves the call to upstream."""
    value = ask()
    for _ in range(3):  # a continuous future: its table, its contract's tape, another's
        if type(value) is not str or value not in _BUILDS:
            break
        minute_data = frequency == "minute"
        try:
            if value == NEW_ROLL or value == ROLL_RANGE:
                store_roll(portal, minute_data, asset,
                           portal.trading_calendar.minute_to_session(dt))
            else:
                for read in _reads_of(portal, asset, dt, minute_data, value):
                    _store_tape(portal, portal.__dict__["_fastportal_tapes"][minute_data],
                                read, dt, minute_data)
        except Exception:
            return value  # upstream answers, with its own error if it raises
        value = ask()
    return value


_BUILDS = (NEW_TAPE, TAPE_RANGE, NEW_ROLL, ROLL_RANGE, CONTRACT_TAPE)


def _make_spot_value(upstream):
    def get_spot_value(self, assets, field, dt, data_frequency):
        spot = self.__dict__.get("_fastportal_spot")
        if spot is None:
            spot = spot_core(self)
        if spot:
            value = _answer(self, lambda: spot.value(assets, field, dt, data_frequency),
                            assets, dt, data_frequency)
            if type(value) is not str:
                return value
            return _to_upstream(value, lambda: upstream(self, assets, field, dt,
                                                        data_frequency))
        return upstream(self, assets, field, dt, data_frequency)

    return get_spot_value


def _make_adjusted_value(upstream):
    def get_adjusted_value(self, asset, field, dt, perspective_dt, data_frequency,
                           spot_value=None):
        spot = self.__dict__.get("_fastportal_spot")
        if spot is None:
            spot = spot_core(self)
        if spot and spot_value is None:
            value = _answer(self, lambda: spot.adjusted(asset, field, dt, perspective_dt,
                                                        data_frequency),
                            asset, dt, data_frequency)
            if type(value) is not str:
                return value
            return _to_upstream(value, lambda: upstream(self, asset, field, dt,
                                                        perspective_dt, data_frequency))
        return upstream(self, asset, field, dt, perspective_dt, data_frequency, spot_value)

    return get_adjusted_value


def patches(framework):
    """(owner, name, replacement(original)) of the framework's DataPortal's spot
    methods."""
    DataPortal = framework.DataPortal
    return [(DataPortal, "get_spot_value", _make_spot_value),
            (DataPortal, "get_scalar_asset_spot_value", _make_spot_value),
            (DataPortal, "get_adjusted_value", _make_adjusted_value)]


def fast_method(name, wrapper):
    """What install() puts on DataPortal for a spot method: a call with positional
    arguments goes to the portal's Spot without a Python frame (src/methods.c); every
    other call, and every call the Spot leaves, to wrapper."""
    import inspect

    names = tuple(inspect.signature(wrapper.__wrapped__).parameters)[1:]
    if name == "get_adjusted_value":
        # spot_value is the core's only when not given: five names bind the fast path
        return _core.FastMethod("adjusted value", wrapper, None, names[:5])
    return _core.FastMethod("spot value", wrapper, None, names)
