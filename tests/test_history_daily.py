"""Daily history, patched against unpatched zipline, on a bundle with splits, dividends and
mergers (several on one date, off-session dates, the first and last sessions), assets that
start and end inside windows, and gaps. Every field; window lengths from 1 to past the
first trading day (make test: those whose window starts at or next to a session where
something happens, and every 13th, conftest.sample)."""

import pandas as pd
import pytest

import fastportal
from fastportal.study import scenarios

from conftest import (DIFFERENTIAL, FIELDS, assert_same, bar_data, differential, outcome,
                      sample, unpatched)

# Sessions around which something happens in the differential bundle.
EVENT_SESSIONS = (0, 1, 2, 12, 13, 30, 39, 40, 41, 60, 80, 100, 101, 103, 118, 119, 120,
                  121, 150, 151, 152, 199, 200, 201, 248, 249)


def run_calls(bundle, calls, frequency="daily"):
    """Outcomes of BarData.history for calls [(end session position, asset, field, n)],
    on a fresh portal, in order, through whatever zipline.protocol.BarData is now."""
    portal = scenarios.data_portal(bundle)
    calendar = portal.trading_calendar
    sessions = bundle.equity_daily_bar_reader.sessions
    now = [None]
    data = bar_data(portal, lambda: now[0], frequency)
    results = []
    for end, asset, field, n in calls:
        now[0] = calendar.session_close(sessions[end])
        results.append(outcome(lambda: data.history(asset, field, n, "1d")))
    return results


def compare(bundle, calls):
    return differential(lambda: run_calls(bundle, calls),
                        [f"history at {call}" for call in calls])


def window_starts_near_an_event(end):
    """Of the windows ending at `end`, of lengths range(1, end + 3): whether the one at
    position i starts at, or a session before or after, one of EVENT_SESSIONS (or before
    the bundle's first)."""
    near = {e + d for e in EVENT_SESSIONS for d in (-1, 0, 1)}
    return lambda i: end - i in near or i + 1 >= end


@pytest.mark.sweep
def test_every_length_at_event_sessions(bundle, assets):
    lengths = {end: sample(range(1, end + 3), 13, also=window_starts_near_an_event(end))
               for end in EVENT_SESSIONS}
    calls = [
        (end, asset, field, n)
        for end in EVENT_SESSIONS
        for asset in assets
        for field in FIELDS
        for n in lengths[end]
        if field in ("close", "price", "volume") or n % 5 in (1, 2) or n >= end
    ]
    theirs = compare(bundle, calls)
    stats = fastportal.stats()
    raised = sum(isinstance(t, Exception) for t in theirs)
    # Every call that upstream answers is served by the core; the windows upstream
    # refuses (before the first trading day) are refused with upstream's own error,
    # raised by its own function.
    assert stats["served"] == len(calls) - raised
    assert raised > 0 and stats.get("refused as upstream: window before data") == raised
    assert not any(key.startswith(("fell through", "upstream")) for key in stats), stats


@pytest.mark.sweep
def test_every_session_short_and_full_windows(bundle, assets):
    """(make test: the first 21 sessions, those at and next to EVENT_SESSIONS, and every
    7th, conftest.sample)"""
    from zipline.assets import Future

    assert sum(type(asset) is Future for asset in assets) == 1  # served alike
    near = {e + d for e in EVENT_SESSIONS for d in (-1, 0, 1)}
    calls = [
        (end, asset, field, n)
        for end in sample(range(250), 7, also=lambda end: end < 21 or end in near)
        for asset in assets
        for field in ("close", "price")
        for n in (1, 2, 20, end + 1)
    ]
    theirs = compare(bundle, calls)
    raised = sum(isinstance(t, Exception) for t in theirs)
    # Refused by upstream: length 20 before session 19 and length 2 at session 0, for
    # every asset and both fields.
    assert raised == len(assets) * 2 * (19 + 1)
    assert fastportal.stats()["served"] == len(calls) - raised


def test_walking_back_in_time_rebuilds(bundle, assets):
    """Upstream rebuilds a window asked for an earlier end; so must the versions."""
    ends = [249, 10, 200, 41, 40, 39, 120, 0, 249]
    calls = [(end, asset, field, n) for end in ends for asset in assets
             for field in FIELDS for n in (1, 5, end + 1)]
    compare(bundle, calls)


def test_several_assets_through_the_portal(bundle, assets, sessions):
    """DataPortal.get_history_window for many assets at once, as a list and as a named
    Index (which becomes the frame's columns as it is): zipline's frame."""
    named = pd.Index(assets[2:5], name="held")

    def frames():
        portal = scenarios.data_portal(bundle)
        out = []
        for end in (0, 13, 40, 60, 101, 119, 121, 150, 200, 201, 249):
            for field in FIELDS:
                for n in (1, 7, end + 1, end + 2):
                    for these in (list(assets), named):
                        out.append(outcome(lambda: portal.get_history_window(
                            these, sessions[end], n, "1d", field, "daily")))
        return out

    labels = [(end, field, n, kind) for end in (0, 13, 40, 60, 101, 119, 121, 150, 200, 201, 249)
              for field in FIELDS for n in (1, 7, end + 1, end + 2)
              for kind in ("list", "named Index")]
    theirs = differential(frames, labels)
    assert fastportal.stats()["served"] == sum(not isinstance(t, Exception) for t in theirs)


def history_at_session_100(bundle, calls):
    portal = scenarios.data_portal(bundle)
    close = portal.trading_calendar.session_close(bundle.equity_daily_bar_reader.sessions[100])
    data = bar_data(portal, lambda: close)
    return [outcome(lambda: data.history(*args, **kwargs)) for args, kwargs in calls]


def test_bad_values_raise_as_upstream(bundle, assets):
    asset = assets[0]
    calls = [
        ((asset, "close", 0, "1d"), {}), ((asset, "close", -3, "1d"), {}),
        ((asset, "nope", 5, "1d"), {}), ((asset, "close", 5, "1w"), {}),
        ((asset, "close", 10**6, "1d"), {}), ((asset, "close", 2**70, "1d"), {}),
        ((asset, "sid", 5, "1d"), {}), ((asset, "close", True, "1d"), {}),
        ((asset, ["close", "nope"], 5, "1d"), {}), ((asset, "close", 251, "1d"), {}),
        ((), {"assets": asset, "fields": "close", "bar_count": 5, "frequency": "1d"}),
    ]
    differential(lambda: history_at_session_100(bundle, calls),
                 [f"history{call}" for call in calls])


UPSTREAM_CRASHES = [
    ("(asset, 'close', 5.0, '1d')", "Expected bar_count argument to be of type int"),
    ("(asset, 'close', 5, None)", "Expected frequency argument to be of type str"),
    ("(asset, 7, 5, '1d')", "Expected fields argument to be of type or iterable of type str"),
    ("(3.5, 'close', 5, '1d')",
     "Expected assets argument to be of type or iterable of type Asset, ContinuousFuture, str"),
]


def test_wrong_types_raise_instead_of_crashing(bundle, assets, zipline_root):
    """zipline-reloaded 3.2.1's compiled argument check segfaults where its source raises
    TypeError; patched, the user gets that TypeError. Checked in a child process that
    upstream still crashes, so that this test says so the day it stops crashing."""
    import subprocess
    import sys

    script = (
        "import warnings; warnings.simplefilter('ignore')\n"
        "from zipline.data import bundles\n"
        "from fastportal.study import scenarios\n"
        "import conftest\n"
        "b = scenarios.ingest(conftest.DIFFERENTIAL, {root!r})\n"
        "asset = b.asset_finder.retrieve_asset(1)\n"
        "portal = scenarios.data_portal(b)\n"
        "close = portal.trading_calendar.session_close(b.equity_daily_bar_reader.sessions[100])\n"
        "data = conftest.bar_data(portal, lambda: close)\n"
        "data.history(*{args})\n"
    )
    tests_dir = str(__import__("pathlib").Path(__file__).parent)
    for args, message in UPSTREAM_CRASHES:
        child = subprocess.run(
            [sys.executable, "-c", script.format(root=str(zipline_root / "child"), args=args)],
            cwd=tests_dir, capture_output=True, text=True, timeout=300,
        )
        # a segmentation fault; under make sanitize, AddressSanitizer reports it and exits
        crashed = child.returncode == -11 or "AddressSanitizer: SEGV" in child.stderr
        assert crashed, (args, child.returncode, child.stderr[-500:])

    fastportal.install()
    asset = assets[0]
    calls = [((eval(args, {"asset": asset})), {}) for args, _ in UPSTREAM_CRASHES]
    calls.append(((asset, "close", 5, "1d"), {"extra": 1}))
    ours = history_at_session_100(bundle, calls)
    expected = [m for _, m in UPSTREAM_CRASHES] + [
        "history() got an unexpected keyword argument 'extra'"]
    for call, o, message in zip(calls, ours, expected):
        assert type(o) is TypeError and str(o) == message, (call, o)


def test_backtest_records_the_same(zipline_root, bundle):
    """A real run_algorithm whose strategy records what history returned: identical."""
    from pandas.testing import assert_frame_equal

    windows = []

    def initialize(context):
        from zipline.api import future_symbol, symbol

        context.assets = [future_symbol(a.symbol) if a.root_symbol else symbol(a.symbol)
                          for a in DIFFERENTIAL.assets]

    def handle_data(context, data):
        from zipline.api import order_target, record

        for asset in context.assets:
            windows.append(data.history(asset, "price", 30, "1d"))
            windows.append(data.history(asset, "volume", 5, "1d"))
            windows.append(data.history(asset, "close", 200, "1d"))
        windows.append(data.history(context.assets, "close", 3, "1d"))
        first = context.assets[0]
        short = data.history(first, "close", 5, "1d").mean()
        order_target(first, 100 if short > data.history(first, "close", 50, "1d").mean() else 0)
        record(short=short)

    def run():
        windows.clear()
        strategy = type("S", (), {"initialize": staticmethod(initialize),
                                  "handle_data": staticmethod(handle_data)})
        perf = scenarios.run_backtest(DIFFERENTIAL.name, zipline_root, strategy,
                                   start="2023-11-01", end="2023-12-29")
        return perf, list(windows)

    with unpatched():
        theirs, their_windows = run()
    fastportal.install()
    ours, our_windows = run()
    assert len(our_windows) == len(their_windows) > 0
    for i, (o, t) in enumerate(zip(our_windows, their_windows)):
        assert_same(o, t, context=f"window {i}")
    # Column order follows dict order inside zipline and orders carry random ids.
    random_ids = ["orders", "transactions"]
    assert_frame_equal(ours.drop(columns=random_ids).sort_index(axis=1),
                       theirs.drop(columns=random_ids).sort_index(axis=1), check_exact=True)
    assert ours["transactions"].map(len).tolist() == theirs["transactions"].map(len).tolist()
    stats = fastportal.stats()
    assert stats["served"] == len(our_windows) + 2 * len(ours)


def test_before_trading_start_and_scheduled_functions_see_the_same(zipline_root, bundle):
    """History from before_trading_start and from functions scheduled at the open and
    the close, every field, in a real run_algorithm spanning adjustments, an asset's start
    and end, and gaps: identical. (In a daily simulation zipline 3.2.1 does not step back
    a minute in before_trading_start; it does in minute mode, see the next test.)"""
    windows = []
    where = []

    def look(context, data, label):
        for asset in context.assets:
            for field in FIELDS:
                for n in (1, 3, 20):
                    windows.append(data.history(asset, field, n, "1d"))
                    where.append((label, asset.symbol, field, n))
        windows.append(data.history(context.assets, "price", 4, "1d"))
        where.append((label, "all", "price", 4))

    def initialize(context):
        from zipline.api import date_rules, future_symbol, schedule_function, symbol, time_rules

        context.assets = [future_symbol(a.symbol) if a.root_symbol else symbol(a.symbol)
                          for a in DIFFERENTIAL.assets]
        schedule_function(lambda c, d: look(c, d, "open"), date_rules.every_day(),
                          time_rules.market_open())
        schedule_function(lambda c, d: look(c, d, "close"), date_rules.every_day(),
                          time_rules.market_close())

    strategy = type("S", (), {
        "initialize": staticmethod(initialize),
        "handle_data": staticmethod(lambda context, data: None),
        "before_trading_start": staticmethod(
            lambda context, data: look(context, data, "before")),
    })

    def run():
        windows.clear()
        where.clear()
        # sessions ~99..128: FFF starting at 100 with gaps, the 2023-06-10 off-session
        # adjustments, GGG's split at 119 and its end at 120, dividends at 120
        scenarios.run_backtest(DIFFERENTIAL.name, zipline_root, strategy,
                            start="2023-05-25", end="2023-07-07")
        return list(windows), list(where)

    with unpatched():
        theirs, their_where = run()
    fastportal.install()
    ours, our_where = run()
    assert our_where == their_where and len(ours) == len(theirs)
    assert {label for label, *_ in our_where} == {"before", "open", "close"}
    for o, t, context in zip(ours, theirs, our_where):
        assert_same(o, t, context=str(context))
    assert fastportal.stats()["served"] == len(ours)


def test_non_market_minutes_step_back_as_upstream(bundle, assets, sessions):
    """A BarData under zipline's handle_non_market_minutes (what before_trading_start
    sets in minute mode) steps back to the previous market minute, then multiplies the
    window by the adjustments between it and now: from minutes before the open (the
    day of a split, of a dividend), at the open and after the close. That step is
    upstream's; the window it asks the portal for is served."""
    from zipline._protocol import handle_non_market_minutes

    calendar = scenarios.data_portal(bundle).trading_calendar
    minutes = []
    for position in (1, 40, 41, 120, 200):
        first = calendar.session_first_minute(sessions[position])
        last = calendar.session_last_minute(sessions[position])
        minutes += [first - pd.Timedelta(minutes=45), first, last + pd.Timedelta(hours=2)]
    labels = [(m, a.symbol, f) for m in minutes for a in assets for f in ("price", "close")]

    def produce():
        out = []
        for minute in minutes:
            data = bar_data(scenarios.data_portal(bundle), lambda minute=minute: minute)
            with handle_non_market_minutes(data):
                for asset in assets:
                    for field in ("price", "close"):
                        out.append(outcome(lambda: data.history(asset, field, 3, "1d")))
        return out

    differential(produce, labels)
    # upstream's BarData steps back and adjusts; the windows it asks for are served
    stats = fastportal.stats()
    assert stats["fell through: non-market minutes"] == len(labels)
    refused = stats.get("refused as upstream: window before data", 0)
    assert stats["served"] + refused == len(labels)
    assert stats["served"] > 0.5 * len(labels)


def test_keyword_arguments_are_served(bundle, assets, sessions):
    """data.history(asset, "close", bar_count=5, frequency="1d") and the like, as
    zipline's own tests call it: served; misnamed keywords get upstream's TypeError."""
    calendar = scenarios.data_portal(bundle).trading_calendar
    minute = calendar.session_close(sessions[120])
    forms = [
        ((assets[0], "close"), {"bar_count": 5, "frequency": "1d"}),
        ((), {"assets": assets[:2], "fields": "price", "bar_count": 3, "frequency": "1d"}),
        ((assets[0],), {"fields": ["open", "close"], "bar_count": 2, "frequency": "1d"}),
        ((assets[0], "close"), {"bar_count": 5, "freq": "1d"}),
        ((assets[0], "close", 5), {"frequency": "1d", "extra": 1}),
    ]

    def produce():
        data = bar_data(scenarios.data_portal(bundle), lambda: minute)
        return [outcome(lambda: data.history(*args, **kwargs)) for args, kwargs in forms]

    theirs = differential(produce, [str(form) for form in forms])
    assert [type(t) for t in theirs[3:]] == [TypeError, TypeError]
    stats = fastportal.stats()
    assert stats["served"] == 3 and stats["refused as upstream: arguments"] == 2, stats


def test_an_asset_alive_to_the_end_of_time():
    """Futures in zipline's own tests end at Timestamp.max: the day after it is not a
    timestamp, and such an asset is alive to the column's last row."""
    from fastportal._portal import PortalCore

    dts = pd.date_range("2023-01-02", periods=5, freq="D", tz="UTC")
    forever = type("Forever", (), {"end_date": pd.Timestamp.max})()
    assert PortalCore._last_alive(forever, dts) == 4
    ended = type("Ended", (), {"end_date": pd.Timestamp("2023-01-03")})()
    assert PortalCore._last_alive(ended, dts) == 1
