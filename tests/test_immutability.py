"""A window handed out never changes afterwards, and writing into it behaves as upstream
(a fresh, writable copy) without changing what the next call returns."""

import numpy as np
import pytest

import fastportal
from fastportal import scenarios

from conftest import assert_same, bar_data, differential


def at(bundle, portal, position):
    sessions = bundle.equity_daily_bar_reader.sessions
    return portal.trading_calendar.session_close(sessions[position])


def test_series_from_before_a_split_is_unchanged_after(bundle, assets):
    fastportal.install()
    portal = scenarios.data_portal(bundle)
    now = [at(bundle, portal, 38)]
    data = bar_data(portal, lambda: now[0])
    aaa = assets[0]  # split, merger and dividend at session 40
    before = data.history(aaa, "close", 30, "1d")
    kept = before.copy()
    now[0] = at(bundle, portal, 45)
    after = data.history(aaa, "close", 30, "1d")
    assert_same(before, kept, "window held across the split")
    # The same sessions, seen after the split, are adjusted: the data did move on.
    overlap = before.index.intersection(after.index)
    assert not np.array_equal(before[overlap].values, after[overlap].values)


WRITES = {
    "iloc": lambda s: s.iloc.__setitem__(0, 1.0),
    "slice": lambda s: s.__setitem__(slice(None), 0.0),
    "inplace multiply": lambda s: s.__imul__(2),
    "values": lambda s: s.values.__setitem__(0, 7.0),
    "loc": lambda s: s.loc.__setitem__(s.index[-1], -1.0),
}


@pytest.mark.parametrize("write", sorted(WRITES))
@pytest.mark.parametrize("field", ["close", "price", "volume"])
def test_writes_behave_as_upstream_and_do_not_leak(bundle, assets, write, field):
    """Each write gives the same Series upstream's does, and the next call is clean."""
    def run():
        portal = scenarios.data_portal(bundle)
        data = bar_data(portal, lambda: at(bundle, portal, 120))
        asset = assets[2]  # gaps, a dividend at 120
        written = data.history(asset, field, 50, "1d")
        WRITES[write](written)
        return written, data.history(asset, field, 50, "1d"), data.history(asset, field, 20, "1d")

    differential(run, [f"{write} on {field}: {what}"
                       for what in ("written", "next call", "shorter next call")])
    written_again = run()[0]
    assert written_again.values.flags.writeable


def test_frames_of_several_assets_are_writable_copies(bundle, assets):
    fastportal.install()
    portal = scenarios.data_portal(bundle)
    data = bar_data(portal, lambda: at(bundle, portal, 200))
    frame = data.history(list(assets), "price", 10, "1d")
    clean = frame.copy()
    frame.iloc[:, :] = 0.0
    assert_same(data.history(list(assets), "price", 10, "1d"), clean, "frame after a write")
