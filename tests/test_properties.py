"""Property tests: random bundles written with zipline's own writers (random_bundles.py),
and on each a random sequence of BarData calls, patched against unpatched zipline and
compared as docs/DESIGN.md section 3 says (conftest's differential and assert_same).

The calls are history in every form (one asset or a list, tuple or Index of them; one
field or several; lengths from 1 to past the start of the data, and a few below 1) in
daily simulations ("1d") and minute simulations ("1m" and "1d", also from
before_trading_start), at clocks anywhere in a session, in simulation order or in any
order across sessions (forward within a session of a minute simulation: see
forward_in_each_session); and current, can_trade and is_stale at the same clocks.

Profiles, chosen by FASTPORTAL_HYPOTHESIS: "default" (make test) runs
EXAMPLES["default"] examples per test, 120 in all, derandomized; "long" (make test-long)
runs EXAMPLES["long"], 6,000 in all (the daily and the minute test on a core each, about
ten minutes), from a new random seed each run, and prints the blob that reproduces a failure
(@reproduce_failure). FASTPORTAL_HYPOTHESIS_EXAMPLES=N runs N examples per test under
either. No example database: nothing is written into the repository."""

import os
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import time

import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import fastportal
from fastportal.study import scenarios

import random_bundles
from conftest import FIELDS, bar_data, differential, outcome

PROFILE = os.environ.get("FASTPORTAL_HYPOTHESIS", "default")
# examples per test; each example writes one bundle and makes CALLS calls on it
EXAMPLES = {
    "default": {"daily": 60, "minute": 60},
    "long": {"daily": 3000, "minute": 3000},
}[PROFILE]
if os.environ.get("FASTPORTAL_HYPOTHESIS_EXAMPLES"):
    EXAMPLES = dict.fromkeys(EXAMPLES, int(os.environ["FASTPORTAL_HYPOTHESIS_EXAMPLES"]))
CALLS = (10, 30)  # calls drawn per example, at least and at most

settings.register_profile(
    "fastportal-default", deadline=None, database=None, derandomize=True,
    print_blob=True, report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("fastportal-long", settings.get_profile("fastportal-default"),
                          derandomize=False)
SETTINGS = settings.get_profile(f"fastportal-{PROFILE}")

SPOT_FIELDS = FIELDS + ("last_traded",)


@dataclass(frozen=True)
class Call:
    """One BarData call: at `minute` of session `session` (an index into the session's
    minutes, its last past an early close; or "open", "close", or "before": 8:45 New
    York time, before_trading_start's clock), `method` of `assets` (positions in the
    bundle's assets, in a `container`, or alone when it is None), with `fields`, and
    `bar_count` and `frequency` for history."""
    session: int
    minute: object
    method: str
    assets: tuple
    container: str | None
    fields: object = None
    bar_count: int | None = None
    frequency: str | None = None


@dataclass(frozen=True)
class Scenario:
    bundle: random_bundles.BundleDraw
    data_frequency: str
    calls: tuple


def clock_order(call, data_frequency):
    """(session, rank in it) of the minute a call reads: in a minute simulation,
    before_trading_start steps back to the previous session's last minute."""
    if call.minute == "before":
        return ((call.session - 1, 10**6) if data_frequency == "minute"
                else (call.session, -1))
    return call.session, {"open": 0, "close": 10**6}.get(call.minute, call.minute)


def forward_in_each_session(calls, data_frequency):
    """The calls in their order across sessions, but in clock order within each session:
    upstream folds the session so far into running values on the premise that the
    clock only moves forward inside a session (README: asked for an earlier minute of
    the same session after a later one, upstream answers from that cache; the core from
    the minute bars; see test_an_earlier_minute_of_the_same_session)."""
    places = {}
    for i, call in enumerate(calls):
        places.setdefault(clock_order(call, data_frequency)[0], []).append(i)
    ordered = list(calls)
    for positions in places.values():
        in_order = sorted((calls[i] for i in positions),
                          key=lambda call: clock_order(call, data_frequency))
        for i, call in zip(positions, in_order):
            ordered[i] = call
    return ordered


@st.composite
def calls(draw, spec, data_frequency):
    n_assets = len(spec.assets)
    session = draw(st.integers(0, spec.sessions - 1))
    minute = draw(st.sampled_from(("open", "close", "before")) | st.integers(0, 389))
    # now and then an asset twice (upstream's several-field frame refuses that)
    repeats = draw(st.sampled_from((False,) * 4 + (True,)))
    chosen = draw(st.lists(st.integers(0, n_assets - 1), min_size=1,
                           max_size=n_assets + repeats, unique=not repeats))
    container = draw(st.sampled_from((None, None, "list", "tuple", "Index")))
    if container is None:
        chosen = chosen[:1]
    method = draw(st.sampled_from(("history",) * 6 + ("current", "can_trade", "is_stale")))
    if method in ("can_trade", "is_stale"):
        return Call(session, minute, method, tuple(chosen), container)
    pool = FIELDS if method == "history" else SPOT_FIELDS
    fields = draw(st.sampled_from(pool) | st.lists(st.sampled_from(pool), min_size=1,
                                                    max_size=4))
    if method == "current":
        return Call(session, minute, method, tuple(chosen), container, fields)
    if data_frequency == "daily":
        frequency = draw(st.sampled_from(("1d",) * 19 + ("1m",)))  # "1m" raises here
    else:
        frequency = draw(st.sampled_from(("1m", "1d")))
    # mostly windows that the bundle holds, some that start before it, a few of no bars
    sessions_so_far = session + 1
    if frequency == "1d":
        within, past = sessions_so_far, spec.sessions + 2
    else:
        within, past = sessions_so_far * 390, sessions_so_far * 390 + 60
    lengths = {"short": st.integers(1, min(within, 30)), "within": st.integers(1, within),
               "past": st.integers(1, past), "none": st.sampled_from((0, -1))}
    bar_count = draw(lengths[draw(st.sampled_from(("short", "within", "within", "past") * 4
                                                  + ("none",)))])
    return Call(session, minute, method, tuple(chosen), container, fields, bar_count,
                frequency)


@st.composite
def scenarios_of(draw, minutes):
    spec = draw(random_bundles.bundles(minutes))
    data_frequency = draw(st.sampled_from(("minute", "minute", "daily"))) if minutes \
        else "daily"
    drawn = draw(st.lists(calls(spec, data_frequency), min_size=CALLS[0],
                          max_size=CALLS[1]))
    if draw(st.booleans()):  # as a simulation asks: the clock only moves forward
        drawn = sorted(drawn, key=lambda call: clock_order(call, data_frequency))
    elif data_frequency == "minute":
        drawn = forward_in_each_session(drawn, data_frequency)
    return Scenario(spec, data_frequency, tuple(drawn))


def clock(calendar, sessions, call):
    session = sessions[call.session]
    if call.minute == "open":
        return calendar.session_first_minute(session)
    if call.minute == "close":
        return calendar.session_close(session)
    if call.minute == "before":
        return pd.Timestamp.combine(session.date(), time(8, 45)).tz_localize(
            "America/New_York").tz_convert("UTC")
    minutes = calendar.session_minutes(session)
    return minutes[min(call.minute, len(minutes) - 1)]  # an early close's last, past it


def ask(data, assets, call):
    """The call's outcome: its value or the exception it raised."""
    if call.container is not None:
        assets = {"list": list, "tuple": tuple, "Index": pd.Index}[call.container](assets)
    else:
        assets = assets[0]
    if call.method == "history":
        return outcome(lambda: data.history(assets, call.fields, call.bar_count,
                                            call.frequency))
    if call.method == "current":
        return outcome(lambda: data.current(assets, call.fields))
    return outcome(lambda: getattr(data, call.method)(assets))


def outcomes(bundle, scenario):
    """Every call of the scenario in order, on a fresh portal and BarData, as zipline's
    simulation makes them (before_trading_start of a minute simulation under
    handle_non_market_minutes)."""
    from zipline._protocol import handle_non_market_minutes

    portal = scenarios.data_portal(bundle)
    calendar = portal.trading_calendar
    sessions = random_bundles.sessions_of(scenario.bundle)
    everything = bundle.asset_finder.retrieve_all([a.sid for a in scenario.bundle.assets])
    now = [None]
    data = bar_data(portal, lambda: now[0], scenario.data_frequency)
    out = []
    for call in scenario.calls:
        now[0] = clock(calendar, sessions, call)
        assets = [everything[i] for i in call.assets]
        if call.minute == "before" and scenario.data_frequency == "minute":
            with handle_non_market_minutes(data):
                out.append(ask(data, assets, call))
        else:
            out.append(ask(data, assets, call))
    return out


# What the property tests saw, over all examples of the test running: a test that only
# met exceptions, or calls the core never served, would show nothing.
tally = Counter()


def check(scenario):
    with tempfile.TemporaryDirectory(dir=random_bundles.SCRATCH) as directory:
        with random_bundles.written(scenario.bundle, directory) as bundle:
            fastportal.reset_stats()
            theirs = differential(lambda: outcomes(bundle, scenario),
                                  [repr(call) for call in scenario.calls])
    stats = fastportal.stats()
    tally["examples"] += 1
    tally["calls"] += len(theirs)
    tally["raised"] += sum(isinstance(t, Exception) for t in theirs)
    tally["history answered"] += sum(
        call.method == "history" and not isinstance(t, Exception)
        for call, t in zip(scenario.calls, theirs))
    tally["windows served"] += stats.get("served", 0)
    tally["spot values served"] += stats.get("spot values served", 0)


def run_property(minutes, **overrides):
    name = "minute" if minutes else "daily"
    tally.clear()
    chosen = settings(SETTINGS, **{"max_examples": EXAMPLES[name], **overrides})
    chosen(given(scenarios_of(minutes))(check))()
    print(f"{name}: {dict(tally)}")
    return tally


def test_daily_bundles():
    seen = run_property(minutes=False)
    assert seen["examples"] >= min(EXAMPLES["daily"], 50)
    # most answered windows came from the core, and spot values too
    assert seen["windows served"] >= 0.5 * seen["history answered"] > 0, seen
    assert seen["spot values served"] > 0, seen


def test_minute_bundles():
    seen = run_property(minutes=True)
    assert seen["examples"] >= min(EXAMPLES["minute"], 50)
    assert seen["windows served"] >= 0.5 * seen["history answered"] > 0, seen
    assert seen["spot values served"] > 0, seen


def test_a_window_one_ulp_off_is_caught(monkeypatch):
    """The property can fail: daily windows whose last value is one ulp off are caught."""
    import numpy as np
    from fastportal._portal import PortalCore

    served = PortalCore.daily_series

    def off_by_one_ulp(self, *args):
        series = served(self, *args)
        if isinstance(series, pd.Series) and series.dtype == np.float64:
            series = series.copy()
            series.iloc[-1] = np.nextafter(series.iloc[-1], np.inf)
        return series

    monkeypatch.setattr(PortalCore, "daily_series", off_by_one_ulp)
    with pytest.raises(AssertionError):
        run_property(minutes=False, max_examples=30, phases=[Phase.generate])


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "documented in README: within a session upstream's daily aggregator assumes the "
    "clock only moves forward; asked for an earlier minute after a later one it raises "
    "ValueError('negative dimensions are not allowed') where the core answers from the "
    "minute bars"))
def test_an_earlier_minute_of_the_same_session():
    """data.history(asset, "high", 1, "1d") in a minute simulation at minute 145 of a
    session, then at minute 144 of the same session: the one precise case the property
    tests leave out (forward_in_each_session)."""
    from random_bundles import AssetDraw, BundleDraw

    bundle = BundleDraw(
        start=pd.Timestamp("2016-03-14"), sessions=3, minutes=True,
        assets=(AssetDraw(sid=1, first=0, last=2, gaps=frozenset(), price_scale=50.0,
                          volatility=0.03, quiet=0.0, seed=1),),
        adjustments=())
    calls = tuple(Call(2, minute, "history", (0,), None, "high", 1, "1d")
                  for minute in (145, 144))
    check(Scenario(bundle, "minute", calls))
