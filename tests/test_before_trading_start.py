"""before_trading_start in a minute simulation, patched against unpatched zipline: under
handle_non_market_minutes upstream's BarData steps back to the previous market minute,
asks for the window there and multiplies it by the adjustments between that minute and
now (unrounded; for several fields, by the first asset's ratio). From minutes before the
open of sessions with a split, dividends and a merger, after the holiday, on the early
close; "1m" and "1d"; one asset, lists and several fields."""

import pandas as pd
import pytest

import fastportal
from fastportal import _framework
from fastportal.study import scenarios

from conftest import FIELDS, MINUTE, bar_data, differential, outcome, session_minutes


def forms(assets):
    """(assets, fields) as a strategy passes them."""
    from zipline.assets import Equity

    equities = [a for a in assets if type(a) is Equity]
    everything = list(assets)
    return (
        [(asset, field) for asset in everything for field in FIELDS]
        + [(everything, "price"), ([everything[3], everything[0]], "close"),
           (tuple(everything[:3]), "volume"), (pd.Index(everything[:2]), "open")]
        + [(everything[0], ["open", "close", "volume"]),
           ([everything[3], everything[0], everything[2]], ["close", "price", "volume"]),
           (equities, ("high", "low"))]
    )


def test_non_market_minutes_in_a_minute_simulation(minute_bundle, minute_assets):
    from zipline._protocol import handle_non_market_minutes

    calendar = scenarios.data_portal(minute_bundle).trading_calendar
    minutes = []
    # 6: AAA's split and dividend; 9: DDD's dividend, CCC's gap; 10: CCC's split;
    # 11: DDD's merger; 8: the early close; 7: after the holiday
    for position in (1, 6, 7, 8, 9, 10, 11, 13):
        first = session_minutes(minute_bundle, position)[0]
        minutes += [first - pd.Timedelta(minutes=45), first - pd.Timedelta(hours=9)]
    calls = [(m, assets, fields, frequency, n) for m in minutes
             for assets, fields in forms(minute_assets)
             for frequency, n in (("1d", 3), ("1m", 30))]
    labels = [str(call) for call in calls]

    def produce():
        portal = scenarios.data_portal(minute_bundle)
        out = []
        for minute, assets, fields, frequency, n in calls:
            data = bar_data(portal, lambda minute=minute: minute, "minute")
            with handle_non_market_minutes(data):
                out.append(outcome(lambda: data.history(assets, fields, n, frequency)))
        return out

    theirs = differential(produce, labels)
    stats = fastportal.stats()
    raised = sum(isinstance(t, Exception) for t in theirs)
    assert not any(k.startswith("fell through") for k in stats), stats
    assert stats["served"] == len(calls) - raised, stats


def test_ratios_are_get_adjustments(minute_bundle, minute_assets):
    """The core's ratio of every asset and field at every pair of minutes around the
    adjustments is upstream's get_adjustments, bit for bit; where upstream raises (rustybt:
    an asset with a merger, every field but volume) the core refuses."""
    from fastportal._portal import TimelineRefused, portal_core

    portal = scenarios.data_portal(minute_bundle)
    core = portal_core(portal)
    sessions = minute_bundle.equity_daily_bar_reader.sessions
    instants = [pd.Timestamp(s).tz_localize("UTC") + pd.Timedelta(hours=h)
                for s in sessions for h in (-3, 0, 14)]
    checked = changed = raised = 0
    for field in ("close", "volume", "price"):
        for i, dt in enumerate(instants):
            for now in instants[i:i + 7]:
                for asset in minute_assets:
                    try:
                        [theirs] = portal.get_adjustments([asset], field, dt, now)
                    except TypeError as exc:
                        assert "tz-naive and tz-aware" in str(exc)
                        with pytest.raises(TimelineRefused):
                            core.ratios([asset], field, dt, now)
                        raised += 1
                        continue
                    [ours] = core.ratios([asset], field, dt, now)
                    assert float(theirs).hex() == ours.hex()
                    checked += 1
                    changed += theirs != 1.0
    assert checked > 1000 and changed > 20
    pairs = sum(len(instants[i:i + 7]) for i in range(len(instants)))
    merged = sum(asset.sid in {sid for sid, _, _ in MINUTE.mergers} for asset in minute_assets)
    naive = _framework.of(portal).mergers_compared_naive
    assert merged and raised == (2 * pairs * merged if naive else 0), raised


def test_a_zero_volume_split_raises_where_upstream_raises(minute_bundle, minute_assets):
    """get_adjustments divides by a volume split's ratio after the window is built: a
    ratio of 0 raises ZeroDivisionError there, and a window upstream refuses raises its
    own error first."""
    from zipline._protocol import handle_non_market_minutes

    asset = minute_assets[0]
    session = minute_bundle.equity_daily_bar_reader.sessions[3]
    calls = [(asset, "volume", 5, "1m"), (asset, "volume", 100000, "1m"),
             (asset, "volume", 2, "1d"), (asset, "volume", 400, "1d"),
             ([asset], ["volume", "close"], 2, "1d"), (asset, "close", 2, "1d")]

    def produce():
        portal = scenarios.data_portal(minute_bundle)
        portal._splits_dict[int(asset)] = [[pd.Timestamp(session), 0.0]]
        now = portal.trading_calendar.session_first_minute(session) - pd.Timedelta(minutes=45)
        data = bar_data(portal, lambda: now, "minute")
        with handle_non_market_minutes(data):
            return [outcome(lambda: data.history(*call)) for call in calls]

    theirs = differential(produce, [str(call) for call in calls])
    assert [type(t).__name__ for t in theirs[:4]] == [
        "ZeroDivisionError", "HistoryWindowStartsBeforeData", "ZeroDivisionError",
        "HistoryWindowStartsBeforeData"]
