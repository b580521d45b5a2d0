"""Minutes (trading minutes by position, from session opens and lengths) against
exchange_calendars, which materialises every minute: every trading minute of the whole
default range of XNYS (early closes), XLON, CMES and XHKG (breaks); minute positions of
every minute and of the times between; minute_to_session for every minute of three years
of XNYS and XHKG (make test: every 17th, conftest.sample) and of weeks with holidays, early
closes and breaks on all four; minute windows and previous/next minute, errors included."""

import numpy as np
import pandas as pd
import pytest

from fastportal import _core
from fastportal._portal import calendar_core, minutes_core

from conftest import outcome, sample

CALENDARS = ["XNYS", "XLON", "CMES", "XHKG"]
MINUTE = 60 * 10**9

# weeks with a holiday, an early close (XNYS 2023-07-03, 2023-11-24), a typhoon or
# half day (XHKG), month and year ends
WEEKS = ["2023-06-28", "2023-11-20", "2023-12-22", "2024-02-08"]


def calendar(name):
    from zipline.utils.calendar_utils import get_calendar

    return get_calendar(name)


def same(ours, theirs, context):
    if isinstance(theirs, Exception):
        assert type(ours) is type(theirs), (context, ours, theirs)
        assert repr(ours.args) == repr(theirs.args), (context, ours, theirs)
    elif isinstance(theirs, pd.DatetimeIndex):
        pd.testing.assert_index_equal(ours, theirs, exact=True, obj=str(context))
        assert (ours.freq, ours.tz, ours.name) == (theirs.freq, theirs.tz, theirs.name)
    else:
        assert type(ours) is type(theirs) and ours == theirs and repr(ours) == repr(theirs), (
            context, ours, theirs)


@pytest.mark.parametrize("name", CALENDARS)
def test_every_trading_minute_and_position(name):
    upstream = calendar(name)
    minutes = minutes_core(upstream)
    every = upstream.minutes_nanos
    assert minutes.total == len(every)
    np.testing.assert_array_equal(minutes.values(0, minutes.total), every)
    for shift in (0, -1, 1, -MINUTE // 2, MINUTE // 2, -MINUTE, MINUTE, -3 * 3600 * 10**9):
        probe = every + shift
        np.testing.assert_array_equal(minutes.positions(probe),
                                      np.searchsorted(every, probe, "left"), err_msg=shift)
    # pieces of the range, starting anywhere
    rng = np.random.default_rng(len(name))
    for start in rng.integers(0, len(every) - 5000, 50).tolist() + [0, len(every) - 1]:
        count = min(5000, len(every) - start)
        np.testing.assert_array_equal(minutes.values(start, count),
                                      every[start : start + count])


@pytest.mark.parametrize("name", CALENDARS)
def test_minute_to_session_for_every_calendar_minute_of_some_weeks(name):
    upstream = calendar(name)
    core = calendar_core(upstream)
    for week in WEEKS:
        for minute in pd.date_range(week, periods=7 * 1440, freq="min", tz="UTC"):
            for direction in ("next", "previous", "none"):
                same(outcome(lambda: core.minute_to_session(minute, direction)),
                     outcome(lambda: upstream.minute_to_session(minute, direction)),
                     (minute, direction))


@pytest.mark.sweep
@pytest.mark.parametrize("year", [2022, 2023, 2024])
@pytest.mark.parametrize("name", ["XNYS", "XHKG"])
def test_minute_to_session_for_every_minute_of_years(name, year):
    """Every minute of the year (make test: every 17th and the last), trading, in a break
    or closed, in all three directions: the session label, or exchange_calendars' error
    for "none" on a closed minute."""
    upstream = calendar(name)
    core = calendar_core(upstream)
    expected = upstream.minute_to_session
    for minute in sample(pd.date_range(f"{year}-01-01", f"{year}-12-31 23:59", freq="min",
                                       tz="UTC"), 17):
        for direction in ("next", "previous", "none"):
            try:
                theirs = expected(minute, direction)
            except ValueError as error:
                with pytest.raises(ValueError) as ours:
                    core.minute_to_session(minute, direction)
                assert ours.value.args == error.args, (minute, direction)
                continue
            ours = core.minute_to_session(minute, direction)
            assert ours == theirs and ours.value == theirs.value, (minute, direction)


@pytest.mark.parametrize("name", ["XNYS", "XHKG"])
def test_minute_to_session_for_every_trading_minute_of_years(name):
    upstream = calendar(name)
    core = calendar_core(upstream)
    trading = upstream.minutes_in_range("2022-01-01", "2024-12-31")
    expected = upstream.minutes_to_sessions(trading).asi8
    ours = [core.session_index(minute) for minute in trading]
    np.testing.assert_array_equal(core.sessions[ours], expected)


def probe_minutes(upstream, count):
    """Minutes at and around every open, close and break of some sessions."""
    rng = np.random.default_rng(count)
    positions = rng.integers(0, len(upstream.sessions), count)
    bounds = [upstream.first_minutes, upstream.last_minutes]
    if upstream.break_starts.notna().any():
        bounds += [upstream.last_am_minutes, upstream.first_pm_minutes]
    probes = [upstream.first_minute, upstream.last_minute]
    for series in bounds:
        for minute in series.iloc[positions].dropna():
            for offset in (-1, 0, 1):
                probes.append(minute + pd.Timedelta(minutes=offset))
    return probes


@pytest.mark.parametrize("name", CALENDARS)
def test_windows_and_steps_as_exchange_calendars(name):
    upstream = calendar(name)
    minutes = minutes_core(upstream)
    probes = probe_minutes(upstream, 40)
    probes += [probes[5] + pd.Timedelta(seconds=30), probes[6].tz_convert(None),
               str(probes[7]), upstream.first_minute - pd.Timedelta(minutes=1),
               upstream.last_minute + pd.Timedelta(minutes=1), None, "x", 3.5]
    counts = [1, -1, 2, -2, 390, -390, 3000, -3000, 0, 10**9, -(10**9), 2**70, 5.0]
    for minute in probes:
        for count in counts:
            same(outcome(lambda: minutes.window(minute, count)),
                 outcome(lambda: upstream.minutes_window(minute, count)), (minute, count))
        for step in ("previous_minute", "next_minute"):
            same(outcome(lambda: getattr(minutes, step)(minute)),
                 outcome(lambda: getattr(upstream, step)(minute)), (step, minute))
        # a position: exchange_calendars answers np.int64, the core int
        ours, theirs = (outcome(lambda: minutes.index_of(minute)),
                        outcome(lambda: upstream._get_minute_idx(minute)))
        if isinstance(theirs, np.integer):
            assert isinstance(ours, (int, np.integer)) and ours == theirs, minute
        else:
            same(ours, theirs, ("index_of", minute))


def test_arguments_are_checked():
    upstream = calendar("XHKG")
    core = calendar_core(upstream)
    minutes = minutes_core(upstream)
    am, pm = upstream.last_am_minutes_nanos, upstream.first_pm_minutes_nanos
    dtype = upstream.first_minutes.dtype
    bad = [
        ((core, am[:-1], pm, dtype, len), ValueError),
        ((core, am, pm[1:], dtype, len), ValueError),
        ((core, am + 1, pm, dtype, len), ValueError),   # not whole minutes
        ((core, pm, am, dtype, len), ValueError),       # break ends before it starts
        ((core, am, pm, dtype, 3), TypeError),
        (("core", am, pm, dtype, len), TypeError),
        ((core, "x", pm, dtype, len), TypeError),
    ]
    for args, error in bad:
        assert isinstance(outcome(lambda: _core.Minutes(*args)), error), args
    total = minutes.total
    for start, count in ((-1, 1), (total, 1), (0, total + 1), (5, -1), (2**70, 1)):
        assert isinstance(outcome(lambda: minutes.values(start, count)),
                          (IndexError, OverflowError)), (start, count)
    assert isinstance(outcome(lambda: minutes.positions([[1]])), ValueError)
    assert isinstance(outcome(lambda: minutes.positions("x")), ValueError)
    assert isinstance(outcome(lambda: minutes.window(upstream.first_minute)), TypeError)
