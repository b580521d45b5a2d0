"""The core Calendar against exchange_calendars, on zipline's (right-sided) calendars:
every session's first and last minute, every break bound, the minutes either side, session
labels and sub-minute times, in all three directions, errors included. (make test: the
bounds of every 5th session and of every session whose times of day or distance from the
session before are not those of its neighbours: early closes, daylight saving changes,
holidays; make test-long: of every session.)"""

import numpy as np
import pandas as pd
import pytest

from fastportal._pandas import builder
from fastportal._portal import calendar_core

from conftest import outcome, sample

ONE_MINUTE = pd.Timedelta(minutes=1)


def probed_sessions(calendar, bounds):
    """Positions of the sessions whose bounds are probed (conftest.sample): every 5th, and
    both sessions either side of a change of a bound's time of day (an early close, a
    daylight saving change, a day without a break) or of a distance from the session
    before other than a weekday's or a weekend's (a holiday)."""
    sessions = calendar.sessions
    times = pd.concat([pd.Series(series.values.astype("datetime64[ns]") - sessions.values)
                       for series in bounds], axis=1)
    changed = (times != times.shift(1)).any(axis=1).to_numpy()
    days = np.diff(sessions.values).astype("timedelta64[D]").astype(int)
    holiday = np.concatenate([[True], ~((days == 1) | ((days == 3)
                                                      & (sessions.weekday[1:] == 0)))])
    edge = changed | holiday
    edge[:-1] |= edge[1:]
    return sample(range(len(sessions)), 5, also=edge.__getitem__)


def probe_minutes(calendar):
    bounds = [calendar.first_minutes, calendar.last_minutes, calendar.opens, calendar.closes]
    if calendar.break_starts.notna().any():
        bounds += [calendar.break_starts, calendar.break_ends]
    positions = probed_sessions(calendar, bounds)
    bounds = [series.iloc[positions].dropna() for series in bounds]
    minutes = pd.DatetimeIndex(pd.concat(bounds).values).tz_localize("UTC").unique()
    minutes = minutes.append([minutes - ONE_MINUTE, minutes + ONE_MINUTE]).unique()
    labels = calendar.sessions[positions].tz_localize("UTC")
    return minutes.append(labels).sort_values()


def message(exc):
    """str(exc), or what str() raised: exchange_calendars' MinuteOutOfBounds(NaT) cannot be
    printed (its __str__ asserts), on both sides alike."""
    try:
        return str(exc)
    except Exception as failure:  # noqa: BLE001
        return f"unprintable: {type(failure).__name__}"


def same(ours, theirs, context):
    if isinstance(theirs, Exception):
        assert type(ours) is type(theirs), (context, ours, theirs)
        assert message(ours) == message(theirs), context
    else:
        assert ours == theirs, (context, ours, theirs)


@pytest.mark.sweep
@pytest.mark.parametrize("name", ["XNYS", "XLON", "CMES", "XHKG"])
def test_minute_to_session_on_every_bound(name):
    from zipline.utils.calendar_utils import get_calendar

    calendar = get_calendar(name)
    core = calendar_core(calendar)
    minutes = probe_minutes(calendar)
    for direction in ("next", "previous", "none"):
        for minute in minutes:
            theirs = outcome(lambda: calendar.minute_to_session(minute, direction))
            same(outcome(lambda: core.minute_to_session(minute, direction)), theirs,
                 (name, minute, direction))
            if not isinstance(theirs, Exception):
                assert core.session_index(minute, direction) == calendar.sessions.get_loc(theirs)
    for minute in minutes:
        # BarData's minute_to_session, then the portal's, on the label it got.
        theirs = outcome(lambda: calendar.sessions.get_loc(
            calendar.minute_to_session(calendar.minute_to_session(minute))))
        same(outcome(lambda: core.daily_window_end(minute)), theirs, (name, minute, "daily"))


@pytest.mark.parametrize("name", ["XNYS", "XHKG"])
def test_odd_inputs_are_answered_by_upstream(name):
    from zipline.utils.calendar_utils import get_calendar

    calendar = get_calendar(name)
    core = calendar_core(calendar)
    first, last = calendar.first_minute, calendar.last_minute
    inputs = [
        first - ONE_MINUTE, last + ONE_MINUTE, first - pd.Timedelta(days=400),
        pd.Timestamp("2024-03-05 14:31:30", tz="UTC"), pd.Timestamp("2024-03-05 14:31:00.5"),
        pd.Timestamp("2024-03-05 09:45", tz="America/New_York"), pd.Timestamp("2024-03-05"),
        "2024-03-05 15:00", "not a date", None, 1.5, pd.NaT,
        pd.Timestamp("2024-03-05 15:00", tz="UTC").as_unit("s"),
    ]
    for minute in inputs:
        for direction in ("next", "previous", "none", "sideways", None, 3):
            args = (minute,) if direction is None else (minute, direction)
            same(outcome(lambda: core.minute_to_session(*args)),
                 outcome(lambda: calendar.minute_to_session(*args)), (minute, direction))


def test_session_positions_and_ranges():
    from zipline.utils.calendar_utils import get_calendar

    calendar = get_calendar("XNYS")
    core = calendar_core(calendar)
    sessions = calendar.sessions
    for position in range(0, len(sessions), 97):
        assert core.session_position(sessions[position]) == position
        for count in sorted({1, min(2, position + 1), min(50, position + 1), position + 1}):
            theirs = sessions[position - count + 1 : position + 1]
            ours = core.sessions_index(position, count)
            pd.testing.assert_index_equal(ours, theirs, exact=True, check_exact=True)
            assert ours.freq == theirs.freq and ours.name == theirs.name
            window = core.sessions_window(position, count)
            assert np.array_equal(window, theirs.asi8) and not window.flags.writeable
    for label in (pd.Timestamp("2024-03-09"), pd.Timestamp("2024-03-05", tz="UTC"), "x"):
        same(outcome(lambda: core.session_position(label)),
             outcome(lambda: sessions.get_loc(label)), label)


def test_core_arguments_are_checked():
    from fastportal import _core
    from zipline.utils.calendar_utils import get_calendar

    calendar = get_calendar("XNYS")
    core = calendar_core(calendar)
    bad_windows = [(-1, 1), (len(calendar.sessions), 1), (10, 0), (10, 12), (10, -5)]
    for end, count in bad_windows:
        assert isinstance(outcome(lambda: core.sessions_index(end, count)),
                          (IndexError, ValueError))
    assert isinstance(outcome(lambda: core.sessions_window("a", 1)), TypeError)
    assert isinstance(outcome(lambda: core.session_index()), TypeError)
    objects = builder()
    assert isinstance(outcome(lambda: _core.Calendar(calendar, [1, 2], [3], objects,
                                                     pd.Timestamp)), ValueError)
    assert isinstance(outcome(lambda: _core.Calendar(calendar, "x", "y", objects,
                                                     pd.Timestamp)), TypeError)
    assert isinstance(outcome(lambda: _core.Calendar(calendar, calendar.first_minutes_nanos,
                                                     calendar.last_minutes_nanos, len,
                                                     pd.Timestamp)), TypeError)
