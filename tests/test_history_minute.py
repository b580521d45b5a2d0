"""Minute history ("1m" in a minute simulation), patched against unpatched zipline, on a
minute bundle ingested through zipline's writers: every field, windows of 1 minute to
more than two sessions, ending at every minute of an early-close session and of a full
one (make test: every 11th and the last, conftest.sample) and at a sample of minutes of
every session, across the holiday, a split, dividends, a merger, assets that start and
stop trading, gap sessions and quiet stretches."""

import pytest

import fastportal
from fastportal.study import scenarios

from conftest import (FIELDS, bar_data, differential, history_in_minutes, outcome, refusals,
                      sample, session_minutes)


def minute_history(bundle, assets, minutes, fields, lengths):
    return history_in_minutes(bundle, assets, minutes, fields, lengths, "1m")[0]


@pytest.mark.sweep
def test_every_minute_of_an_early_close_and_a_full_session(minute_bundle, minute_assets):
    for position in (8, 14):
        minutes = sample(session_minutes(minute_bundle, position), 11)
        minute_history(minute_bundle, minute_assets, minutes, ("close", "price"),
                       (1, 30, 400))
    stats = fastportal.stats()
    answered = sum(v for k, v in stats.items() if k.startswith("upstream answered"))
    assert stats["served"] > 0.9 * (stats["served"] + answered), stats


def test_every_field_at_minutes_of_every_session(minute_bundle, minute_assets):
    from zipline.assets import Future

    assert sum(type(asset) is Future for asset in minute_assets) == 2  # served alike
    sessions = minute_bundle.equity_daily_bar_reader.sessions
    minutes = []
    for position in range(len(sessions)):
        every = session_minutes(minute_bundle, position)
        minutes += list(every[::53]) + [every[0], every[-1]]
    labels = minute_history(minute_bundle, minute_assets, minutes, FIELDS, (1, 2, 390, 1000))
    stats = fastportal.stats()
    # windows starting before the first trading minute: upstream's own refusal, raised
    assert stats["refused as upstream: window before data"] > 0, stats
    refused = refusals(stats)
    assert stats["served"] + stats.get("fell through: window bounds", 0) + refused == \
        len(labels), stats


def test_minute_columns_hold_segments_built_again_as_the_clock_moves(
        minute_bundle, minute_assets, monkeypatch):
    """A minute column holds the rows around the clock, not the whole bundle: with a
    prefetch of 7 rows it is built again every few minutes and for every longer window,
    across the split and dividends of session 6 and the holiday; "1m" and "1d" windows
    (which fold the session so far from the same columns), one asset and a list, are
    still upstream's, and no column holds more than its longest window and the prefetch."""
    from fastportal import _portal

    monkeypatch.setattr(_portal, "MINUTE_PREFETCH", 7)
    minutes = []
    for position in (5, 6, 7, 8):
        every = session_minutes(minute_bundle, position)
        minutes += list(every[:12]) + list(every[150:160]) + list(every[-3:])
    lengths = (1, 9, 400)

    portals = []

    def produce():
        portal = scenarios.data_portal(minute_bundle)
        portals.append(portal)
        out = []
        for minute in minutes:
            data = bar_data(portal, lambda minute=minute: minute, "minute")
            for frequency in ("1m", "1d"):
                for field in FIELDS:
                    for n in lengths[:2] if frequency == "1d" else lengths:
                        for asset in minute_assets:
                            out.append(outcome(lambda: data.history(asset, field, n,
                                                                     frequency)))
                        out.append(outcome(lambda: data.history(minute_assets, field, n,
                                                                 frequency)))
        return out

    labels = [(m, f, field, n, a) for m in minutes for f in ("1m", "1d") for field in FIELDS
              for n in (lengths[:2] if f == "1d" else lengths)
              for a in [a.symbol for a in minute_assets] + ["all"]]
    differential(produce, labels)
    columns = [c for c in _portal.portal_core(portals[-1]).minute_columns.values() if c]
    assert columns and all(c.rows <= 400 + 7 for c in columns), [c.rows for c in columns]
    assert all(c.first_row > 0 for c in columns)
    stats = fastportal.stats()
    assert stats["served"] > 0.8 * len(labels), stats
    assert not any(k.startswith("upstream answered") for k in stats), stats


def test_the_core_minutes_are_the_minute_loaders(minute_bundle):
    from fastportal._portal import portal_core

    portal = scenarios.data_portal(minute_bundle)
    core = portal_core(portal)
    assert core._minute_history() is not None
    import pandas as pd

    pd.testing.assert_index_equal(core.minute_dts, portal._minute_history_loader._calendar,
                                  exact=True)


def test_minute_history_arguments_are_checked(minute_bundle, minute_assets):
    import numpy as np
    import pandas as pd

    from fastportal import _core
    from fastportal._portal import portal_core

    core = portal_core(scenarios.data_portal(minute_bundle))
    history = core._minute_history()
    minute = core.minute_dts[500]
    asset = minute_assets[0]
    # the reason comes with the reader rows to build, in the answer itself
    assert history.series(minute, asset, "close", 5) == ("new column", 496, 500)
    core.minute_column(asset, "close", (496, 500))
    assert isinstance(history.series(minute, asset, "close", 5), pd.Series)
    # built for 5 rows ending at reader row 500: a longer window wants more of them
    assert history.series(minute, asset, "close", 501) == ("column range", 0, 500)
    assert history.frame(minute, [asset], "close", 501) == ("column range", 0, 500)
    assert history.fields(minute, (asset,), ("close",), 501) == ("column range", 0, 500)
    core.minute_column(asset, "close", (0, 500))
    assert history.series(minute, asset, "close", 501).shape == (501,)
    assert history.series(minute, asset, "close", 502) == "before data"
    assert history.series(minute, asset, "close", 2**70) == "window bounds"
    assert history.series(minute + pd.Timedelta(seconds=1), asset, "close", 5) == (
        "minute window")
    assert history.series(minute.tz_convert(None), asset, "close", 5).shape == (5,)
    assert history.series(str(minute), asset, "close", 5) == "minute window"
    assert history.series(pd.Timestamp("2023-11-23 15:00", tz="UTC"), asset, "close",
                          5) == "minute window"  # Thanksgiving
    for args, error in [((minute, asset, "close"), TypeError),
                        ((minute, asset, 1, 5), TypeError),
                        ((minute, asset, "close", 0), ValueError),
                        ((minute, asset, "close", 1.0), TypeError),
                        ((minute, [asset], "close", 5), TypeError)]:
        assert isinstance(outcome(lambda: history.series(*args)), error), args
    minutes, calendar = history_parts(core)
    labels = np.asarray(core.minute_dts.asi8)
    dtype = core.minute_dts.dtype
    for args, error in [((calendar, calendar, {}, labels, dtype, 0, 0), TypeError),
                        ((minutes, minutes, {}, labels, dtype, 0, 0), TypeError),
                        ((minutes, calendar, [], labels, dtype, 0, 0), TypeError),
                        ((minutes, calendar, {}, "x", dtype, 0, 0), TypeError),
                        ((minutes, calendar, {}, labels, dtype, -1, 0), ValueError),
                        ((minutes, calendar, {}, labels, dtype, 0), TypeError)]:
        assert isinstance(outcome(lambda: _core.MinuteHistory(*args)), error), args


def history_parts(core):
    from fastportal._portal import minutes_core

    return minutes_core(core.portal.trading_calendar), core.calendar
