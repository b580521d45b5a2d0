"""Continuous futures in daily history, patched against unpatched zipline, on a futures
chain written through zipline's writers: overlapping contracts, calendar and volume
rolls inside the windows, a contract that never trades, the chain's last contract
ending before the bundle, an equity adjusted on roll dates. Offsets 0-2, both roll
styles, no adjustment, "mul" and "add"; every field, price and the contract's sid; one
continuous future, lists mixed with equities and contracts, several fields;
get_history_window too. Upstream's answer for a continuous future depends on the range
its loader built the window over, so the calls run in several orders: forward, walking
back, and shuffled. (make test: the sessions next to a roll of any of them, and every
3rd, conftest.sample.)"""

import random

import pandas as pd
import pytest

import fastportal
from fastportal.study import scenarios

from conftest import bar_data, continuous_futures, differential, near_rolls, outcome, sample

FIELDS = ("open", "high", "low", "close", "volume", "price", "sid")


def run(bundle, calls):
    """Outcomes of data.history for calls [(end session, assets, fields, n)] in order,
    then of get_history_window for the single-field ones, on one fresh portal."""
    portal = scenarios.data_portal(bundle)
    calendar = portal.trading_calendar
    sessions = bundle.equity_daily_bar_reader.sessions
    now = [None]
    data = bar_data(portal, lambda: now[0])
    out = []
    for end, assets, fields, n in calls:
        now[0] = calendar.session_close(sessions[end])
        out.append(outcome(lambda: data.history(assets, fields, n, "1d")))
        if isinstance(fields, str) and isinstance(assets, list):
            out.append(outcome(lambda: portal.get_history_window(
                assets, sessions[end], n, "1d", fields, "daily")))
    return out


def compare(bundle, calls):
    labels = [f"{c} {way}" for c in calls for way in (
        ("history", "portal") if isinstance(c[2], str) and isinstance(c[1], list)
        else ("history",))]
    return differential(lambda: run(bundle, calls), labels)


@pytest.mark.sweep
def test_every_continuous_future_forward(futures_bundle):
    cfs = continuous_futures(futures_bundle)
    rolls = near_rolls(futures_bundle, cfs)
    ends = sample(range(0, 250, 2), 7, also=lambda i: rolls(2 * i))
    calls = [(end, cf, field, n) for end in ends for cf in cfs
             for field in FIELDS for n in (1, 5, 60)]
    theirs = compare(futures_bundle, calls)
    stats = fastportal.stats()
    raised = sum(isinstance(t, Exception) for t in theirs)
    # the chain's end: upstream's roll finder raises for offsets past the last contract
    assert stats["served"] == len(theirs) - raised, stats
    assert not any(k.startswith("upstream answered") for k in stats), stats
    assert stats["served"] > len(theirs) // 2


def test_orders_walking_back_and_shuffled(futures_bundle):
    cfs = continuous_futures(futures_bundle)
    aaa, *contracts = futures_bundle.asset_finder.retrieve_all([1, 11, 12, 13, 14, 15])
    rng = random.Random(11)
    groups = [[cfs[0], aaa], [cfs[4], contracts[1], cfs[13]], cfs[9:12]]
    calls = []
    for end in list(range(240, 0, -7)) + rng.sample(range(250), 60):
        for n in (1, 3, 30):
            calls.append((end, rng.choice(cfs), rng.choice(FIELDS), n))
            calls.append((end, rng.choice(groups), rng.choice(FIELDS[:-1]), n))
            calls.append((end, rng.choice(groups), ["open", "close", "price", "volume"], n))
            calls.append((end, rng.choice(cfs), ["sid", "close"], n))
    theirs = compare(futures_bundle, calls)
    stats = fastportal.stats()
    raised = sum(isinstance(t, Exception) for t in theirs)
    assert stats["served"] == len(theirs) - raised, stats
    assert not any(k.startswith("upstream answered") for k in stats), stats


@pytest.mark.sweep
def test_windows_around_every_roll_in_a_simulation_order(futures_bundle):
    """A strategy's order: each session once, several window lengths, every continuous
    future, the windows spanning the rolls at 50, 100, 150, 200 and the volume rolls."""
    cfs = continuous_futures(futures_bundle)
    ends = sample(range(250), 7, also=near_rolls(futures_bundle, cfs))
    calls = [(end, cf, field, n) for end in ends for cf in cfs
             for field in ("price", "close") for n in (2, 20, 120)]
    theirs = compare(futures_bundle, calls)
    raised = sum(isinstance(t, Exception) for t in theirs)
    assert fastportal.stats()["served"] == len(theirs) - raised
    assert raised < len(theirs) // 2


def sampled_minutes(bundle):
    """The first, second, last and some other minutes of every session, in clock order,
    with a walk back now and then."""
    from conftest import session_minutes

    sessions = bundle.equity_daily_bar_reader.sessions
    minutes = []
    for position in range(len(sessions)):
        every = session_minutes(bundle, position)
        minutes += [every[0], every[1]] + list(every[37::97]) + [every[-1]]
    return minutes + minutes[len(minutes) // 2: len(minutes) // 2 + 9]  # walking back


def minute_calls(bundle, cfs, rng):
    """(minute, assets, fields, n) at sampled minutes of every session."""
    aaa = bundle.asset_finder.retrieve_asset(1)
    calls = []
    for minute in sampled_minutes(bundle):
        for n in (1, 30, 400):
            calls.append((minute, rng.choice(cfs), rng.choice(FIELDS), n))
            calls.append((minute, [rng.choice(cfs), aaa, rng.choice(cfs)], "price", n))
            calls.append((minute, rng.choice(cfs), ["open", "close", "volume"], n))
        calls.append((minute, rng.choice(cfs), ["sid"], 5))
        calls.append((minute, rng.sample(cfs, 2), ["sid", "high"], 5))
    return calls


def in_a_minute_simulation(bundle, calls, frequency, after_each=None, at_the_end=None):
    """produce() for differential(): the outcomes of data.history(assets, fields, n,
    frequency) for calls [(minute, assets, fields, n)], the clock at each call's minute,
    on one fresh portal; after_each(data, now, call, out) after each call and
    at_the_end(portal, out) after them all add outcomes of their own."""

    def produce():
        portal = scenarios.data_portal(bundle)
        now = [None]
        data = bar_data(portal, lambda: now[0], "minute")
        out = []
        for call in calls:
            minute, assets, fields, n = call
            now[0] = minute
            out.append(outcome(lambda: data.history(assets, fields, n, frequency)))
            if after_each is not None:
                after_each(data, now, call, out)
        if at_the_end is not None:
            at_the_end(portal, out)
        return out

    return produce


def test_continuous_futures_in_minute_windows(minute_futures_bundle):
    """"1m" windows of continuous futures in a minute simulation: served, upstream's
    loader state followed on the minute loader (1,560 minutes of prefetch)."""
    bundle = minute_futures_bundle
    cfs = continuous_futures(bundle, "FU")
    calls = minute_calls(bundle, cfs, random.Random(5))

    theirs = differential(in_a_minute_simulation(bundle, calls, "1m"),
                          [str(c) for c in calls])
    stats = fastportal.stats()
    raised = sum(isinstance(t, Exception) for t in theirs)
    assert not any(k.startswith(("fell through", "upstream answered")) for k in stats), stats
    assert stats["served"] == len(calls) - raised, stats
    assert stats["served"] > len(calls) // 2, stats


def test_continuous_futures_in_daily_windows_of_a_minute_simulation(minute_futures_bundle):
    """"1d" windows of continuous futures in a minute simulation: the sessions before
    now from upstream's daily loader (its state followed, seen from the session), the
    session so far as upstream's aggregator folds it, whichever contracts it reads; every
    field and sid, lists with an equity, several fields; under before_trading_start too;
    and get_history_window at minutes between two sessions, which upstream reads as the
    next session."""
    from zipline._protocol import handle_non_market_minutes

    bundle = minute_futures_bundle
    cfs = continuous_futures(bundle, "FU")
    aaa = bundle.asset_finder.retrieve_asset(1)
    rng = random.Random(8)
    calls = []
    for minute in sampled_minutes(bundle):
        for n in (1, 2, 7):
            calls.append((minute, rng.choice(cfs), rng.choice(FIELDS), n))
            calls.append((minute, [rng.choice(cfs), aaa, rng.choice(cfs)],
                          rng.choice(FIELDS[:-1]), n))
            calls.append((minute, rng.choice(cfs), ["open", "sid", "close", "volume"], n))
            calls.append((minute, [aaa, rng.choice(cfs)], ["price", "high"], n))
    sessions = bundle.equity_daily_bar_reader.sessions
    calendar = scenarios.data_portal(bundle).trading_calendar
    between = [calendar.session_close(session) + pd.Timedelta(minutes=minutes)
               for session in sessions[:-1] for minutes in (1, 30)]

    def before_trading_start(data, now, call, out):
        minute, assets, fields, n = call
        if minute.minute == 45:
            # a bare continuous future with several fields: upstream's get_adjustments
            # raises on it (test_where_upstream_fails_first)
            listed = assets if type(fields) is str or type(assets) is list else [assets]
            now[0] = minute + pd.Timedelta(minutes=1)
            with handle_non_market_minutes(data):
                out.append(outcome(lambda: data.history(listed, fields, n, "1d")))

    def between_sessions(portal, out):
        for minute in between:
            for n in (1, 3):
                out.append(outcome(lambda: portal.get_history_window(
                    cfs[:3] + cfs[9:12], minute, n, "1d", "sid", "minute")))

    produce = in_a_minute_simulation(bundle, calls, "1d", before_trading_start,
                                     between_sessions)

    labels = []
    for call in calls:
        labels += [call, (call, "before_trading_start")] if call[0].minute == 45 else [call]
    labels += [(minute, n) for minute in between for n in (1, 3)]
    theirs = differential(produce, labels)
    stats = fastportal.stats()
    raised = sum(isinstance(t, Exception) for t in theirs)
    assert not any(k.startswith(("fell through", "upstream answered")) for k in stats), stats
    assert stats["served"] == len(theirs) - raised, stats
    # offsets 1 and 2 run past this chain's last contract in its last sessions
    assert stats["served"] > len(theirs) // 3, stats


def test_where_upstream_fails_first(futures_bundle, minute_futures_bundle):
    """Calls that raise, and what they leave: the sid of a list that also holds an equity
    (zipline's reader fails on the equity's sid before any roll is looked at, whatever
    field comes next); a price window whose fill fails before upstream builds the next
    field's window (that window was never built, and is built later from a later end);
    several fields of a bare continuous future under before_trading_start (zipline's
    get_adjustments cannot iterate it)."""
    from zipline._protocol import handle_non_market_minutes

    aaa = futures_bundle.asset_finder.retrieve_asset(1)
    past_end = futures_bundle.asset_finder.create_continuous_future("CL", 2, "calendar", None)
    minute_finder = minute_futures_bundle.asset_finder
    volume_add = minute_finder.create_continuous_future("FU", 2, "volume", "add")
    front = minute_finder.create_continuous_future("FU", 0, "calendar", None)
    at = lambda text: pd.Timestamp(text, tz="UTC")  # noqa: E731

    def produce():
        out = []
        data = bar_data(scenarios.data_portal(futures_bundle), lambda: at("2023-12-07 21:00"))
        out.append(outcome(lambda: data.history([aaa, past_end], "sid", 3, "1d")))
        out.append(outcome(lambda: data.history((aaa, past_end), ["sid", "close"], 3, "1d")))
        now = [at("2023-11-17 21:00")]
        data = bar_data(scenarios.data_portal(minute_futures_bundle), lambda: now[0], "minute")
        out.append(outcome(lambda: data.history(volume_add, ["price", "low"], 30, "1m")))
        now[0] = at("2023-11-22 18:02")
        out.append(outcome(lambda: data.history(volume_add, "low", 30, "1m")))
        now[0] = at("2023-11-14 16:02")
        with handle_non_market_minutes(data):
            out.append(outcome(lambda: data.history(front, ["close"], 3, "1m")))
        return out

    theirs = differential(produce, [f"call {i}" for i in range(5)])
    assert all(isinstance(t, Exception) for t in theirs), theirs
