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

from fastportal import _core, _framework

# Sessions a roll table reaches before and after the one it is built for.
ROLL_SESSIONS_BEFORE = 20
ROLL_SESSIONS_AFTER = 60

_MINUTE = 60_000_000_000
_DAY = 1440 * _MINUTE


def _roll_finder(portal, cf):
    """cf's roll finder when the core follows its type, else None."""
    framework = _framework.of(portal)
    finder = getattr(portal, "_roll_finders", {}).get(cf.roll_style)
    if type(finder) not in (framework.CalendarRollFinder, framework.VolumeRollFinder):
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


def _volume_step(finder, days, minute):
    """What a volume roll reads of a minute beyond its session and date: the date and
    session `days` (its framework's ROLL_DAYS_FOR_CURRENT_CONTRACT, 90) business days on
    (or the reader's last day), or the error raised."""
    calendar = finder.trading_calendar
    try:
        end = min(minute + days * calendar.day,
                  finder.session_reader.last_available_dt.tz_localize(minute.tzinfo))
        return end.normalize().value, calendar.minute_to_session(end).value
    except Exception as exc:
        return type(exc)


def _stretch_starts(finder, first, last):
    """Minutes (ns) in [first, last] (ns, one UTC date) where a stretch starts."""
    framework = _framework.of(finder)
    if type(finder) is not framework.VolumeRollFinder:
        return [first]
    days = framework.ROLL_DAYS_FOR_CURRENT_CONTRACT

    def step(ns):
        return _volume_step(finder, days, pd.Timestamp(ns, tz="UTC"))

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


def _session_starts(portal, finder, position, minute_data):
    """Where stretches may start within the session at position: its label for a daily
    table; for a minute table, the first minute that belongs to it (after the close
    before it), each UTC midnight after, and where a volume roll's session 90 days on
    changes."""
    calendar = portal.trading_calendar
    if not minute_data:
        return [int(calendar.sessions.asi8[position])]
    last = int(calendar.last_minutes_nanos[position])
    first = int(calendar.last_minutes_nanos[position - 1] + _MINUTE if position > 0
                else calendar.first_minutes_nanos[0])
    out = []
    day = first - first % _DAY
    while day <= last:
        out += _stretch_starts(finder, max(first, day), min(last, day + _DAY - _MINUTE))
        day += _DAY
    return out


def _contracts_at(portal, cf, starts, minute_data, monotone):
    """upstream's contract at each start (ns). monotone (a calendar roll): the contract
    moves only forward along the chain as time does, the same contract at two times is
    the contract between them, and upstream is asked only where the ends differ. (The
    front contract is the first not auto-closed, the primary the front or the next
    once the front auto-closes, the answer the primary plus the offset, or the front
    while the next has not started: equal contracts at two times mean one primary.)"""
    Future = _framework.of(portal).Future

    def at(ns):
        return _contract(portal, cf, pd.Timestamp(ns, tz="UTC") if minute_data
                         else pd.Timestamp(ns))

    if not monotone:
        return [at(ns) for ns in starts]
    out = [None] * len(starts)
    out[0], out[-1] = at(starts[0]), at(starts[-1])
    pending = [(0, len(starts) - 1)]
    while pending:
        lo, hi = pending.pop()
        if hi - lo < 2:
            continue
        if out[lo] is out[hi] and type(out[lo]) is Future:
            out[lo + 1:hi] = [out[lo]] * (hi - lo - 1)
            continue
        mid = (lo + hi) // 2
        out[mid] = at(starts[mid])
        pending += [(lo, mid), (mid, hi)]
    return out


def _merged(stretches):
    """(starts, contracts) with a stretch only where the contract changes."""
    starts, contracts = [], []
    for start, contract in stretches:
        if not contracts or contract is not contracts[-1]:
            starts.append(start)
            contracts.append(contract)
    return starts, contracts


def store_roll(portal, minute_data, cf, session):
    """Builds cf's roll table for the reader of minute_data, or extends it, to reach
    ROLL_SESSIONS_BEFORE and ROLL_SESSIONS_AFTER around session (a session label); None,
    stored, when upstream's roll finder is not one the core follows."""
    calendar_roll_finder = _framework.of(portal).CalendarRollFinder
    rolls = portal.__dict__["_fastportal_rolls"][minute_data]
    finder = _roll_finder(portal, cf)
    if finder is None:
        rolls[cf] = None
        return
    calendar = portal.trading_calendar
    sessions = calendar.sessions
    position = sessions.get_loc(session)
    # the stretches so far: (first session, last session, starts, contracts)
    parts = portal.__dict__["_fastportal_roll_parts"][minute_data]
    low, high, starts, contracts = parts.get(cf, (position, position - 1, [], []))
    if position < low - ROLL_SESSIONS_AFTER or position > high + ROLL_SESSIONS_AFTER:
        # far from the table (a clock years before the data): a new table around the
        # session, rather than one that asks upstream for every session in between
        low, high, starts, contracts = position, position - 1, [], []
    reach_back = ROLL_SESSIONS_BEFORE
    if low <= position <= high:
        # asked for a session the table holds: the core wanted a key before the table
        # (a price walked back, a contract's last trade long ago): reach further back
        reach_back = position - low + ROLL_SESSIONS_AFTER
    # one unbroken range of sessions: the table covers from its first key to its end
    new_low = min(low, max(0, position - reach_back))
    new_high = max(high, min(len(sessions) - 1, position + ROLL_SESSIONS_AFTER))
    for block in (range(new_low, low), range(high + 1, new_high + 1)):
        if not block:
            continue
        keys = [ns for p in block for ns in _session_starts(portal, finder, p, minute_data)]
        found = _contracts_at(portal, cf, keys, minute_data,
                              type(finder) is calendar_roll_finder)
        if block[0] < low:
            stretches = list(zip(keys, found)) + list(zip(starts, contracts))
        else:
            stretches = list(zip(starts, contracts)) + list(zip(keys, found))
        starts, contracts = _merged(stretches)
    parts[cf] = (new_low, new_high, starts, contracts)
    end = calendar.last_minutes_nanos[new_high] if minute_data else sessions.asi8[new_high]
    rolls[cf] = _core.RollTable(np.array(starts, dtype=np.int64), tuple(contracts), int(end))
