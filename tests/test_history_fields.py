"""Several fields at once (data.history(assets, [fields], n, freq)), patched against
unpatched zipline: one asset, lists, tuples and Indexes of them in any order, mixed
equities and futures, assets not yet alive or gone, duplicate and repeated fields, "1d"
in daily and minute simulations and "1m", on the differential and minute bundles."""

import pandas as pd

import fastportal
from fastportal.study import scenarios

from conftest import bar_data, differential, outcome, refusals, session_minutes

FIELD_LISTS = (
    ["open", "high", "low", "close", "volume"],
    ("close", "open", "price"),
    ["price"],
    ["close", "close", "volume"],      # upstream keys the fields once
    ("volume", "low"),
)


def asset_groups(assets):
    """One asset, and lists of them as strategies pass them."""
    first, second, third = assets[0], assets[1], assets[2]
    return (
        first, assets[-1],
        [third, first, second],                 # unsorted
        tuple(assets),                          # everything, futures included
        [assets[-1], first],                    # a future before an equity
        pd.Index(assets[:3]),
        [assets[3]],                            # a single-element list
    )


def compare(bundle, calls, frequency, data_frequency):
    """Outcomes of data.history(assets, fields, n, frequency) for calls [(minute, assets,
    fields, n)], in order, on a fresh portal, patched against unpatched."""
    labels = [f"{minute} {assets} {fields} {n}" for minute, assets, fields, n in calls]

    def produce():
        portal = scenarios.data_portal(bundle)
        now = [None]
        data = bar_data(portal, lambda: now[0], data_frequency)
        out = []
        for minute, assets, fields, n in calls:
            now[0] = minute
            out.append(outcome(lambda: data.history(assets, fields, n, frequency)))
        return out

    return differential(produce, labels)


def served_or_refused(calls, theirs):
    """Every call upstream answers is served; upstream's refusals are its own."""
    stats = fastportal.stats()
    raised = sum(isinstance(t, Exception) for t in theirs)
    assert stats["served"] == len(calls) - raised, stats
    assert not any(k.startswith("upstream answered") for k in stats), stats
    return stats


def test_daily_several_fields(bundle, assets):
    calendar = scenarios.data_portal(bundle).trading_calendar
    sessions = bundle.equity_daily_bar_reader.sessions
    calls = [
        (calendar.session_close(sessions[end]), group, fields, n)
        for end in (0, 1, 12, 39, 40, 41, 100, 119, 120, 150, 200, 201, 249)
        for group in asset_groups(assets)
        for fields in FIELD_LISTS
        for n in (1, 3, 41, end + 1)
    ]
    theirs = compare(bundle, calls, "1d", "daily")
    served_or_refused(calls, theirs)
    frames = [t for t in theirs if isinstance(t, pd.DataFrame)]
    assert frames and all(t.index.names[0] == "date" for t in frames)


def test_minute_several_fields(minute_bundle, minute_assets):
    minutes = []
    for position in (0, 3, 6, 8, 9, 13, 18):
        every = session_minutes(minute_bundle, position)
        minutes += [every[0], every[1], every[30], every[-1]]
    calls = [(minute, group, fields, n) for minute in minutes
             for group in asset_groups(minute_assets)
             for fields in FIELD_LISTS[:3] for n in (1, 60, 400)]
    theirs = compare(minute_bundle, calls, "1m", "minute")
    stats = fastportal.stats()
    refused = refusals(stats)
    raised = sum(isinstance(t, Exception) for t in theirs)
    assert refused == raised and stats["served"] == len(calls) - raised, stats
    assert any(isinstance(t, pd.DataFrame) and t.index.names[0] == "date_time"
               for t in theirs)


def test_daily_several_fields_in_a_minute_simulation(minute_bundle, minute_assets):
    minutes = []
    for position in (1, 3, 6, 7, 8, 13):
        every = session_minutes(minute_bundle, position)
        minutes += [every[0], every[1], every[31], every[200 % len(every)], every[-1]]
    calls = [(minute, group, fields, n) for minute in minutes
             for group in asset_groups(minute_assets)
             for fields in FIELD_LISTS for n in (1, 2, 5)]
    theirs = compare(minute_bundle, calls, "1d", "minute")
    served_or_refused(calls, theirs)


def test_duplicate_assets_keep_upstreams_error(bundle, assets):
    calendar = scenarios.data_portal(bundle).trading_calendar
    minute = calendar.session_close(bundle.equity_daily_bar_reader.sessions[50])
    calls = [(minute, [assets[0], assets[0]], ["close", "open"], 3),
             (minute, (assets[2], assets[1], assets[2]), ["price"], 1)]
    theirs = compare(bundle, calls, "1d", "daily")
    assert all(isinstance(t, ValueError) for t in theirs)


def test_a_frame_of_several_fields_is_the_callers(bundle, assets):
    """Writing into a frame of several fields changes nothing the next call returns."""
    fastportal.install()
    portal = scenarios.data_portal(bundle)
    minute = portal.trading_calendar.session_close(bundle.equity_daily_bar_reader.sessions[90])
    data = bar_data(portal, lambda: minute)
    first = data.history(assets[:3], ["close", "price"], 20, "1d")
    expected = first.copy()
    first.iloc[:, :] = -1.0
    first["close"] *= 2
    again = data.history(assets[:3], ["close", "price"], 20, "1d")
    pd.testing.assert_frame_equal(again, expected, check_exact=True)
    assert fastportal.stats()["served"] == 2
