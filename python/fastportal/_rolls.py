"""Continuous futures on the spot path: the contract upstream's roll finder names, per
stretch of time, for the core's RollTable (src/rolls.c).

Upstream asks its roll finder on every spot value of a continuous future
(get_contract_center at the session for a daily reader, at the minute for a minute
reader). Its answer depends on the time only through:

- the session of the time, and the time's UTC date (a contract's start date is compared
  with the time's nanoseconds; a volume roll compares session labels with the time);
- for a volume roll, the session of the time 90 business days on (capped at the
  reader's last day), a step function of the time within one UTC date.

So within a session, the answer changes only at a UTC midnight or where the session 90
days on changes; the latter is found by bisection, each quantity being monotone within a
date. Upstream is asked once per stretch, at the stretch's first minute. Roll finders
of other types are left to upstream.
"""

import numpy as np
import pandas as pd

from fastportal import _core

# Sessions a roll table reaches around the one it is built for.
ROLL_SESSIONS = 20

_MINUTE = 60_000_000_000
_DAY = 1440 * _MINUTE


def _roll_finder(portal, cf):
    """cf's roll finder when the core follows its type, else None."""
    from zipline.assets.roll_finder import CalendarRollFinder, VolumeRollFinder

    finder = getattr(portal, "_roll_finders", {}).get(cf.roll_style)
    if type(finder) not in (CalendarRollFinder, VolumeRollFinder):
        return None
    try:
        # upstream's dispatching reader finds the continuous future by its sid
        if portal.asset_finder.retrieve_asset(cf.sid) != cf:
            return None
    except Exception:
        return None
    return finder


def _contract(portal, cf, when):
    try:
        return portal._get_current_contract(cf, when)
    except Exception:
        return False  # upstream's roll finder raises: upstream answers


def _volume_step(finder, minute):
    """What a volume roll reads of a minute beyond its session and date: the date and
    session 90 business days on (or the reader's last day), or the error raised."""
    from zipline.assets.roll_finder import ROLL_DAYS_FOR_CURRENT_CONTRACT

    calendar = finder.trading_calendar
    try:
        end = min(minute + ROLL_DAYS_FOR_CURRENT_CONTRACT * calendar.day,
                  finder.session_reader.last_available_dt.tz_localize(minute.tzinfo))
        return end.normalize().value, calendar.minute_to_session(end).value
    except Exception as exc:
        return type(exc)


def _stretch_starts(finder, first, last):
    """Minutes (ns) in [first, last] (ns, one UTC date) where a stretch starts."""
    from zipline.assets.roll_finder import VolumeRollFinder

    if type(finder) is not VolumeRollFinder:
        return [first]

    def step(ns):
        return _volume_step(finder, pd.Timestamp(ns, tz="UTC"))

    starts = [first]
    pending = [(first, last, step(first), step(last))]
    while pending:
        lo, hi, at_lo, at_hi = pending.pop()
        if at_lo == at_hi:
            continue  # monotone quantities equal at both ends: constant between
        if hi - lo == _MINUTE:
            starts.append(hi)
            continue
        mid = lo + (hi - lo) // _MINUTE // 2 * _MINUTE
        at_mid = step(mid)
        pending += [(lo, mid, at_lo, at_mid), (mid, hi, at_mid, at_hi)]
    return sorted(starts)


def _session_stretches(portal, cf, finder, position, minute_data):
    """[(start ns, contract)] over the session at position: its label for a daily
    table; for a minute table, every minute that belongs to it (after the close before
    it, to its close)."""
    calendar = portal.trading_calendar
    if not minute_data:
        session = calendar.sessions[position]
        return [(session.value, _contract(portal, cf, session))]
    last = calendar.last_minutes_nanos[position]
    first = (calendar.last_minutes_nanos[position - 1] + _MINUTE if position > 0
             else calendar.first_minutes_nanos[0])
    out = []
    day = first - first % _DAY
    while day <= last:
        piece = (max(first, day), min(last, day + _DAY - _MINUTE))
        for start in _stretch_starts(finder, *piece):
            out.append((start, _contract(portal, cf, pd.Timestamp(start, tz="UTC"))))
        day += _DAY
    return out


def store_roll(portal, minute_data, cf, session):
    """Builds cf's roll table for the reader of minute_data, or extends it, to reach
    ROLL_SESSIONS around session (a session label); None, stored, when upstream's roll
    finder is not one the core follows."""
    rolls = portal.__dict__["_fastportal_rolls"][minute_data]
    parts = portal.__dict__["_fastportal_roll_parts"][minute_data]  # stretches by session
    finder = _roll_finder(portal, cf)
    if finder is None:
        rolls[cf] = None
        return
    calendar = portal.trading_calendar
    sessions = calendar.sessions
    position = sessions.get_loc(session)
    known = parts.setdefault(cf, {})
    low = max(0, position - ROLL_SESSIONS)
    high = min(len(sessions) - 1, position + ROLL_SESSIONS)
    if known:
        # one unbroken range: the table covers from its first key to its end
        low, high = min(low, min(known)), max(high, max(known))
    for p in range(low, high + 1):
        if p not in known:
            known[p] = _session_stretches(portal, cf, finder, p, minute_data)
    starts, contracts = [], []
    for p in range(low, high + 1):
        for start, contract in known[p]:
            if not contracts or contract is not contracts[-1]:
                starts.append(start)
                contracts.append(contract)
    end = calendar.last_minutes_nanos[high] if minute_data else sessions[high].value
    rolls[cf] = _core.RollTable(np.array(starts, dtype=np.int64), tuple(contracts), int(end))
