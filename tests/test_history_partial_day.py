"""Daily history in a minute simulation (data.history(..., "1d") with minute data),
patched against unpatched zipline on the minute bundle: the daily rows seen from the
current session and the current session so far, as upstream's DailyHistoryAggregator
folds it, from every minute of several sessions in simulation order (make test: the
first 35 minutes of each, every 13th and the last, conftest.sample): the first minute of
a session, quiet first half-hours (no trade yet), the early close, a split and a
dividend taking effect, a merger, a gap session, and an asset on its first and last
sessions and after it stopped trading."""

import pandas as pd
import pytest

import fastportal
from fastportal.study import scenarios

from conftest import (FIELDS, bar_data, differential, history_in_minutes, outcome, refusals,
                      sample, session_minutes)


def daily_history_in_minutes(bundle, assets, minutes, fields, lengths):
    return history_in_minutes(bundle, assets, minutes, fields, lengths, "1d")


@pytest.mark.sweep
@pytest.mark.parametrize("position", [3, 6, 7, 8, 13])
def test_every_minute_of_a_session(minute_bundle, minute_assets, position):
    # 3: BBB's first session; 6: a split and a dividend; 3 and 7: a quiet first
    # half-hour (no trade yet); 8: the early close;
    # 13: the session after BBB's last. (The first half-hour and the first trade after
    # it are checked minute by minute in make test too.)
    minutes = sample(session_minutes(minute_bundle, position), 13, also=lambda i: i < 35)
    labels, theirs = daily_history_in_minutes(minute_bundle, minute_assets, minutes,
                                              ("open", "high", "close", "price", "volume"),
                                              (1, 3))
    stats = fastportal.stats()
    refused = refusals(stats)
    assert stats["served"] + refused == len(labels), stats
    assert stats["served"] > 0.6 * len(labels), stats
    # the quiet first half-hour of some sessions: NaN so far, then a value
    if position in (3, 7):
        assert any(hasattr(t, "iloc") and t.iloc[-1] != t.iloc[-1] for t in theirs)


def test_every_field_and_length_at_minutes_of_every_session(minute_bundle, minute_assets):
    sessions = minute_bundle.equity_daily_bar_reader.sessions
    minutes = []
    for position in range(len(sessions)):
        every = session_minutes(minute_bundle, position)
        minutes += [every[0], every[1]] + list(every[29:33]) + list(every[47::61]) + [every[-1]]
    labels, _ = daily_history_in_minutes(minute_bundle, minute_assets, minutes, FIELDS,
                                         (1, 2, 5, 19, 40))
    stats = fastportal.stats()
    refused = refusals(stats)
    assert stats["served"] + stats.get("fell through: window bounds", 0) + refused == \
        len(labels), stats
    assert stats["served"] > 0.5 * len(labels), stats


def test_a_wrong_partial_day_is_caught(minute_bundle, minute_assets, monkeypatch):
    """The comparison above can fail: a session fold that ignores the current minute is
    told apart from upstream's."""
    from fastportal._portal import PortalCore

    served = PortalCore.partial_series

    def stale(self, dt, asset, field, bar_count):
        series = served(self, dt, asset, field, bar_count)
        if series is not None and field == "high":
            series = series.copy()
            series.iloc[-1] = series.iloc[-1] - 0.01
        return series

    monkeypatch.setattr(PortalCore, "partial_series", stale)
    minutes = list(session_minutes(minute_bundle, 10))[100:104]
    with pytest.raises(AssertionError):
        daily_history_in_minutes(minute_bundle, minute_assets[:1], minutes, ("high",), (2,))


def test_partial_day_history_arguments_are_checked(minute_bundle, minute_assets):
    import pandas as pd

    from fastportal import _core
    from fastportal._portal import portal_core

    core = portal_core(scenarios.data_portal(minute_bundle))
    history = core._partial_history()
    asset = minute_assets[0]
    minute = core.minute_dts[1000]
    # with the minute reader rows of the session so far: its first minute to this one
    so_far = (780, 1000)
    assert history.series(minute, asset, "close", 1) == ("new column", *so_far)
    assert history.frame(minute, [asset], "close", 1) == ("new column", *so_far)
    assert history.fields(minute, (asset,), ("close",), 1) == ("new column", *so_far)
    core._partial_columns(asset, "close", so_far)
    assert isinstance(history.series(minute, asset, "close", 2), pd.Series)
    assert history.series(minute, asset, "sid", 2) == ("new column", *so_far)
    core._partial_columns(asset, "sid", so_far)  # an equity has no sid column
    assert history.series(minute, asset, "sid", 2) == "column"
    # the session so far as the shim gives it (for continuous futures): used as given
    given = history.series(minute, asset, "close", 2, None, {(asset, "close"): 5.5})
    assert given.iloc[-1] == 5.5
    assert given.iloc[:-1].equals(history.series(minute, asset, "close", 2).iloc[:-1])
    with pytest.raises(TypeError, match="today must be None or a dict"):
        history.series(minute, asset, "close", 2, None, [])
    with pytest.raises(TypeError, match="today's values must be floats"):
        history.series(minute, asset, "close", 2, None, {(asset, "close"): 5})
    between = core.portal.trading_calendar.session_close(minute.normalize().tz_localize(None)) + \
        pd.Timedelta(minutes=3)
    core.partial_minutes.clear()
    assert history.series(between, asset, "close", 2) == "minute window"
    assert not core.partial_minutes  # nothing built for a window left to upstream
    assert history.series(minute + pd.Timedelta(seconds=30), asset, "close", 2) == \
        "minute window"
    assert history.series(minute, asset, "close", 2**70) == "window bounds"
    assert history.series(minute, asset, "close", 400) == "before data"
    with pytest.raises(ValueError):
        history.series(minute, asset, "close", 0)
    with pytest.raises(TypeError):
        history.series(minute, asset, 3, 2)
    with pytest.raises(TypeError):
        history.series(minute, asset, "close")
    with pytest.raises(TypeError):
        _core.PartialDayHistory(None, None, {}, {}, 0, 0, 0, 0)
    with pytest.raises(ValueError):
        _core.PartialDayHistory(core.calendar, _core_minutes(core), {}, {}, -5, 0, 0, 0)


def _core_minutes(core):
    from fastportal._portal import minutes_core

    return minutes_core(core.portal.trading_calendar)


@pytest.mark.parametrize("frequency", ["1m", "1d"])
def test_lists_of_assets_in_a_minute_simulation(minute_bundle, minute_assets, frequency):
    """data.history with a list of assets, and DataPortal.get_history_window as upstream's
    own tests call it, both frequencies, every field, from minutes of every session."""
    sessions = minute_bundle.equity_daily_bar_reader.sessions
    minutes = []
    for position in range(len(sessions)):
        every = session_minutes(minute_bundle, position)
        minutes += [every[0], every[31], every[200], every[-1]]
    lists = (list(minute_assets), minute_assets[1:3], tuple(minute_assets[2:]),
             pd.Index(minute_assets[:3], name="held"))
    lengths = (1, 3, 20) if frequency == "1d" else (1, 45, 400)
    labels = [(m, i, f, n, way) for m in minutes for i in range(len(lists)) for f in FIELDS
              for n in lengths for way in ("data", "portal")]

    def produce():
        portal = scenarios.data_portal(minute_bundle)
        out = []
        for minute in minutes:
            data = bar_data(portal, lambda minute=minute: minute, "minute")
            for assets in lists:
                for field in FIELDS:
                    for n in lengths:
                        out.append(outcome(lambda: data.history(assets, field, n, frequency)))
                        out.append(outcome(lambda: portal.get_history_window(
                            assets if isinstance(assets, pd.Index) else list(assets),
                            minute, n, frequency, field, "minute")))
        return out

    differential(produce, labels)
    stats = fastportal.stats()
    refused = refusals(stats)
    assert stats["served"] + stats.get("fell through: window bounds", 0) + refused == \
        len(labels), stats
    assert stats["served"] > 0.5 * len(labels), stats
