"""A window handed out never changes afterwards, and writing into it behaves as upstream
(a fresh, writable copy) without changing what the next call returns."""

import numpy as np
import pytest

import fastportal
from fastportal.study import scenarios

from conftest import assert_same, bar_data, differential, session_minutes, unpatched


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


# Attributes through which pandas objects reach their arrays.
REACH = ("_values", "_data", "_ndarray", "_mgr", "blocks", "values", "index", "columns",
         "levels", "codes", "_codes", "_levels", "arrays", "axes", "base", "_cache", "dtype")


def reachable_arrays(root, limit=6):
    """Every ndarray reachable from root through pandas' attributes, containers and
    .base chains, depth first."""
    seen, found = set(), []

    def visit(obj, depth):
        if obj is None or id(obj) in seen or depth > limit:
            return
        seen.add(id(obj))
        if isinstance(obj, np.ndarray):
            found.append(obj)
            visit(obj.base, depth + 1)
            return
        if isinstance(obj, (list, tuple)):
            for item in obj:
                visit(item, depth + 1)
            return
        if isinstance(obj, dict):
            for item in obj.values():
                visit(item, depth + 1)
            return
        if not type(obj).__module__.startswith(("pandas", "fastportal")):
            return
        for name in REACH:
            try:
                visit(getattr(obj, name), depth + 1)
            except Exception:  # noqa: BLE001 - an attribute pandas refuses is not a path
                pass
        for item in getattr(obj, "__dict__", {}).values():
            visit(item, depth + 1)

    visit(root, 0)
    return found


def vandalise(array):
    """Make array writable if numpy lets anyone, and overwrite every element; then retype
    it in place (numpy lets anyone set an array's dtype), as wide as numpy allows."""
    try:
        array.flags.writeable = True
    except ValueError:
        written = False
    else:
        written = True
        if array.dtype == object:
            array[...] = "vandal"
        elif array.dtype.kind in "mM":
            array.view(np.int64)[...] = 86_400_000_000_000
        elif array.dtype.kind in "iuf":
            array[...] = 3
        else:
            array[...] = True
    owner = array.base
    if owner is not None and not isinstance(owner, np.ndarray):
        # numpy's unpickling wraps a bytes object's memory without a copy, writable
        alias = np.empty(0, np.uint8)
        try:
            alias.__setstate__((1, (array.nbytes,), np.dtype(np.uint8), False, owner))
            alias[...] = 7
            written = True
        except (TypeError, ValueError):
            pass
    if array.dtype != object:
        for wider in (np.dtype("V40"), np.dtype(np.complex128), np.dtype(np.int8)):
            try:
                array.dtype = wider
                break
            except (ValueError, TypeError):
                pass
    return written


def looks(bundle, minute_bundle, assets, minute_assets):
    """History in every form, daily and minute, and the spot path, at fixed clocks."""
    def daily():
        portal = scenarios.data_portal(bundle)
        data = bar_data(portal, lambda: at(bundle, portal, 150))
        return [data.history(assets[0], "close", 60, "1d"),
                data.history(assets[0], ["open", "close"], 20, "1d"),
                data.history(list(assets[:3]), "price", 30, "1d"),
                data.history(list(assets[:2]), ["high", "volume"], 5, "1d"),
                data.current(assets[0], "close"),
                data.current(list(assets[:3]), ["close", "volume"])]

    def minute():
        portal = scenarios.data_portal(minute_bundle)
        minute = session_minutes(minute_bundle, 3)[100]
        data = bar_data(portal, lambda: minute, "minute")
        return [data.history(minute_assets[0], "close", 90, "1m"),
                data.history(list(minute_assets[:2]), "volume", 30, "1m"),
                data.history(minute_assets[0], ["open", "price"], 3, "1d"),
                data.current(minute_assets[0], "price")]

    return lambda: daily() + minute()


def test_nothing_reachable_from_an_answer_reaches_cached_state(
        bundle, minute_bundle, assets, minute_assets):
    """Every array reachable from what history and current return is flipped writable
    where numpy allows it and overwritten, and retyped in place; the next calls still
    answer as upstream."""
    produce = looks(bundle, minute_bundle, assets, minute_assets)
    with unpatched():
        theirs = produce()
    fastportal.install()
    answers = produce()
    written = [array for answer in answers for array in reachable_arrays(answer)
               if vandalise(array)]
    assert written, "the walk reached no array at all"
    again = produce()
    for label, (ours, expected) in enumerate(zip(again, theirs)):
        assert_same(ours, expected, f"call {label} after overwriting what the last returned")
