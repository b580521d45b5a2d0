"""DailyHistory, the core's one-call daily window: what it serves and what it leaves to
upstream (by name), and its arguments checked. What it serves is compared with upstream
in test_history_daily.py; here the core is driven directly."""

import numpy as np
import pandas as pd
import pytest

from fastportal import _core
from fastportal.study import scenarios
from fastportal._portal import portal_core

from conftest import outcome


@pytest.fixture
def core(bundle):
    return portal_core(scenarios.data_portal(bundle))


def test_windows_it_leaves_to_upstream_are_named(core, sessions, assets):
    close = core.portal.trading_calendar.session_close
    history = core.history
    asset = assets[0]
    assert history.series(close(sessions[10]), asset, "close", 5) == "new column"
    core.column(asset, "close")
    served = history.series(close(sessions[10]), asset, "close", 5)
    assert isinstance(served, pd.Series) and len(served) == 5
    assert history.series(close(sessions[10]), asset, "close", 12) == "before data"
    assert history.series(close(sessions[10]), asset, "close", 2**70) == "window bounds"
    core.columns[(asset, "open")] = None
    assert history.series(close(sessions[10]), asset, "open", 3) == "column"


def test_a_reader_off_the_calendar_serves_nothing(core, sessions, assets):
    history = _core.DailyHistory(core.calendar, {}, None, 0, 10)
    dt = core.portal.trading_calendar.session_close(sessions[100])
    assert history.series(dt, assets[0], "close", 5) == "window bounds"


def test_arguments_are_checked(core, sessions, assets):
    history = core.history
    dt = core.portal.trading_calendar.session_close(sessions[100])
    core.column(assets[0], "close")
    calls = [
        ((dt, assets[0], "close"), TypeError),
        ((dt, assets[0], "close", 5, 1), TypeError),
        ((dt, assets[0], b"close", 5), TypeError),
        ((dt, assets[0], "close", 5.0), TypeError),
        ((dt, assets[0], "close", 0), ValueError),
        ((dt, assets[0], "close", -3), ValueError),
        ((dt, [assets[0]], "close", 5), TypeError),       # unhashable key
    ]
    for args, error in calls:
        assert isinstance(outcome(lambda: history.series(*args)), error), args
    # a minute the calendar cannot place raises what the portal's two lookups raise
    upstream = core.portal.trading_calendar
    for minute in (pd.Timestamp("1990-01-02 15:00", tz="UTC"),
                   pd.Timestamp("2200-01-02 15:00", tz="UTC"), "not a minute", None):
        ours = outcome(lambda: history.series(minute, assets[0], "close", 5))
        theirs = outcome(
            lambda: upstream.minute_to_session(upstream.minute_to_session(minute)))
        assert isinstance(theirs, Exception), minute
        assert type(ours) is type(theirs) and repr(ours.args) == repr(theirs.args), minute


def test_construction_is_checked(core):
    calendar, count = core.calendar, len(core.portal.trading_calendar.sessions)
    bad = [
        (("calendar", {}, 0, 0, 10), TypeError),
        ((calendar, [], 0, 0, 10), TypeError),
        ((calendar, {}, -1, 0, 10), ValueError),
        ((calendar, {}, "0", 0, 10), TypeError),
        ((calendar, {}, 0, 0, -1), ValueError),
        ((calendar, {}, count - 5, 0, 6), ValueError),
        ((calendar, {}, 0, 0), TypeError),
    ]
    for args, error in bad:
        assert isinstance(outcome(lambda: _core.DailyHistory(*args)), error), args
    assert isinstance(_core.DailyHistory(calendar, {}, count - 5, 0, 5), _core.DailyHistory)


def test_a_column_that_is_not_one_is_refused(core, sessions, assets):
    dt = core.portal.trading_calendar.session_close(sessions[100])
    history = _core.DailyHistory(core.calendar, {(assets[0], "close"): np.ones(250)},
                                 core.reader_offset, core.first_day_loc, 250)
    assert isinstance(outcome(lambda: history.series(dt, assets[0], "close", 5)), TypeError)


def test_frames_it_leaves_to_upstream_are_named_and_arguments_checked(core, sessions,
                                                                     assets):
    end = core.calendar.session_position(sessions[10])
    history = core.history
    pair = list(assets[:2])
    assert history.frame(end, pair, "close", 5) == "new column"
    for asset in pair:
        core.column(asset, "close")
    frame = history.frame(end, pair, "close", 5)
    assert isinstance(frame, pd.DataFrame) and frame.shape == (5, 2)
    assert list(frame.columns) == pair
    assert history.frame(end, tuple(pair), "close", 5).shape == (5, 2)
    assert history.frame(end, pair, "close", 12) == "before data"
    assert history.frame(end, pair, "close", 2**70) == "window bounds"
    core.columns[(assets[2], "close")] = None
    assert history.frame(end, pair + [assets[2]], "close", 3) == "column"
    calls = [
        ((end, pair, "close"), TypeError),
        ((end, "ab", "close", 5), TypeError),
        ((end, pair, 1, 5), TypeError),
        ((end, pair, "close", 0), ValueError),
        ((end, pair, "close", 5.0), TypeError),
        (("x", pair, "close", 5), TypeError),
        ((-1, pair, "close", 5), IndexError),
        ((10**6, pair, "close", 5), IndexError),
        ((end, [[1]], "close", 5), TypeError),           # unhashable key
    ]
    for args, error in calls:
        assert isinstance(outcome(lambda: history.frame(*args)), error), args
    odd = _core.DailyHistory(core.calendar, {(1, "close"): "not a column"},
                             core.reader_offset, core.first_day_loc, 250)
    assert isinstance(outcome(lambda: odd.frame(end, [1], "close", 3)), TypeError)


class _Key:
    """A stand-in asset whose hash runs code: it empties or grows the caller's list."""

    def __init__(self, number, action=None):
        self.number, self.action = number, action

    def __hash__(self):
        if self.action:
            self.action()
        return self.number

    def __eq__(self, other):
        return isinstance(other, _Key) and other.number == self.number


@pytest.mark.parametrize("change", ["clear", "grow"])
def test_a_list_changed_while_a_frame_is_made_cannot_reach_it(core, sessions, assets, change):
    """frame() reads a snapshot of the assets taken on entry: an asset's __hash__ (run by
    the column lookup) that empties or grows the caller's list changes nothing in the
    frame, whose columns and scales are the snapshot's."""
    column = core.column(assets[0], "close")
    caller = []
    action = caller.clear if change == "clear" else lambda: caller.extend(keys[:1] * 50)
    keys = [_Key(0, action), _Key(1), _Key(2)]
    history = _core.DailyHistory(core.calendar, {(k, "close"): column for k in keys},
                                 core.reader_offset, core.first_day_loc,
                                 len(core.reader_sessions))
    caller[:] = keys
    end = core.calendar.session_index(sessions[100])
    frame = history.frame(end, caller, "close", 5, None, (1.0, 2.0, 3.0))
    assert isinstance(frame, pd.DataFrame) and frame.shape == (5, 3)
    assert list(frame.columns) == keys
    base = frame.iloc[:, 0].to_numpy()
    assert np.array_equal(frame.iloc[:, 2].to_numpy(), base * 3.0)


def test_scales_are_checked(core, sessions, assets):
    history = core.history
    core.column(assets[0], "close")
    end = core.calendar.session_index(sessions[100])
    dt = core.portal.trading_calendar.session_close(sessions[100])
    pair = [assets[0], assets[0]]
    for bad in ([1.0], (1.0,), (1, 2), (1.0, "x"), "ab"):
        assert isinstance(outcome(lambda: history.frame(end, pair, "close", 3, None, bad)),
                          TypeError)
    for bad in ((1.0, 2.0), [1.0], (1,)):
        assert isinstance(outcome(lambda: history.series(dt, assets[0], "close", 3, bad)),
                          TypeError)
    scaled = history.series(dt, assets[0], "close", 3, (0.5,))
    plain = history.series(dt, assets[0], "close", 3, None)
    assert np.array_equal(scaled.to_numpy(), plain.to_numpy() * 0.5)


def test_the_codes_of_a_fields_frame_cannot_be_made_writable(core, sessions, assets):
    """pandas takes with a MultiIndex's codes unchecked: they must stay read-only."""
    for field in ("close", "open"):
        core.column(assets[0], field)
        core.column(assets[3], field)
    dt = core.portal.trading_calendar.session_close(sessions[100])
    frame = core.history.fields(dt, (assets[0], assets[3]), ("close", "open"), 4)
    for codes in frame.index.codes:
        with pytest.raises(ValueError):
            codes.flags.writeable = True
        base = codes.base
        assert not isinstance(base, np.ndarray)


def _xnys_core():
    from zipline.utils.calendar_utils import get_calendar

    from fastportal._portal import calendar_core, minutes_core

    calendar = get_calendar("XNYS")
    return calendar, calendar_core(calendar), minutes_core(calendar)


def _column(rows=10):
    return _core.AdjustedColumn(np.arange(1.0, rows + 1), np.empty(0, np.int64),
                                np.empty(0), 2, 0)


def test_a_failing_index_is_not_carried_into_the_asset_lookup():
    """The window's index fails (a MemoryError in pandas): the error is raised before the
    asset's __hash__ and __eq__ run, not carried into them."""
    from fastportal import _pandas

    calendar, _, _ = _xnys_core()
    types = _pandas._types()

    def fail(*args):
        raise MemoryError("no room for the index")

    types["array_new"] = fail
    failing = _core.Calendar(calendar, calendar.first_minutes_nanos,
                             calendar.last_minutes_nanos, _core.PandasBuilder(**types),
                             pd.Timestamp)
    hashed = []

    class Asset:
        def __hash__(self):
            hashed.append(1)
            return 1

    end = calendar.session_close(calendar.sessions[105])
    with pytest.raises(MemoryError, match="no room for the index"):
        _core.DailyHistory(failing, {}, 100, 0, 10).series(end, Asset(), "close", 3)
    assert hashed == []


def test_an_asset_whose_hash_fails_otherwise_than_by_type_keeps_its_error():
    """pandas turns only a TypeError of the name's hash into its own."""
    calendar, sessions, _ = _xnys_core()
    calls = [0]

    class Asset:
        def __hash__(self):
            calls[0] += 1
            if calls[0] == 2:  # the lookup hashes it first, the Series name second
                raise KeyboardInterrupt
            return 1

        def __eq__(self, other):
            return True

    asset = Asset()
    history = _core.DailyHistory(sessions, {(asset, "close"): _column()}, 100, 0, 10)
    calls[0] = 0
    with pytest.raises(KeyboardInterrupt):
        history.series(calendar.session_close(calendar.sessions[105]), asset, "close", 3)


def test_a_volume_split_of_ratio_zero_divides_by_zero_as_upstream():
    """get_adjustments takes 1.0 / ratio of a split for volume: a zero ratio raises."""
    empty = (np.empty(0, np.int64), np.empty(0))
    timeline = _core.AdjustmentTimeline(np.array([10]), np.array([0.0]), *empty, *empty)
    with pytest.raises(ZeroDivisionError, match="float division by zero"):
        timeline.ratio(True, 0, 30)
    assert timeline.ratio(False, 0, 30) == 0.0
    assert timeline.ratio(True, 10, 30) == 1.0  # not effective in (dt, now]


def test_a_timeline_of_mergers_compared_naive_refuses_all_but_volume():
    """rustybt's get_adjustments raises for an asset with a merger on every field but
    volume, whether or not the merger falls in (dt, now]: such a timeline says None there,
    and answers volume's ratio (its splits) as any other; without a merger it answers."""
    empty = (np.empty(0, np.int64), np.empty(0))
    splits = (np.array([10]), np.array([0.5]))
    naive = _core.AdjustmentTimeline(*splits, np.array([100]), np.array([0.9]), *empty,
                                     mergers_compared_naive=True)
    assert naive.ratio(False, 0, 30) is None and naive.ratio(False, 200, 300) is None
    assert naive.ratio(True, 0, 30) == 2.0
    plain = _core.AdjustmentTimeline(*splits, np.array([100]), np.array([0.9]), *empty)
    assert plain.ratio(False, 0, 300) == 0.5 * 0.9
    no_merger = _core.AdjustmentTimeline(*splits, *empty, *empty,
                                         mergers_compared_naive=True)
    assert no_merger.ratio(False, 0, 30) == 0.5
    with pytest.raises(TypeError):
        _core.AdjustmentTimeline(*splits, *empty, *empty, True)  # keyword only


def test_an_index_subclass_is_refused_as_columns():
    """A frame's columns and a builder's index are exact types: a subclass could report
    another length than its array's."""
    calendar, sessions, _ = _xnys_core()

    class Liar(pd.Index):
        def __len__(self):
            return 3

    liar = Liar._simple_new(np.array([10], dtype=object))
    columns = {(i, "close"): _column() for i in (1, 2, 3)}
    history = _core.DailyHistory(sessions, columns, 100, 0, 10)
    with pytest.raises(TypeError, match="columns must be None or an Index"):
        history.frame(105, [1, 2, 3], "close", 3, liar)


def test_minute_values_out_of_range_near_the_largest_int():
    _, _, minutes = _xnys_core()
    with pytest.raises(IndexError, match="minutes from"):
        minutes.values(2**63 - 1, 1)


BIGGEST = 2**63 - 1


def test_windows_of_the_largest_count_are_refused_without_overflow(
        core, minute_bundle, minute_assets, sessions, assets):
    """A window start (end - count + 1) is never computed where it would overflow: with
    the end before or inside the reader and bar_count up to 2**63 - 1 every history names
    the window (make sanitize builds with -fno-wrapv, so an overflow there aborts)."""
    close = core.portal.trading_calendar.session_close
    core.column(assets[0], "close")
    for position in (0, 1, 100, len(sessions) - 1):
        for count in (BIGGEST, BIGGEST - 1, 2**62):
            assert core.history.series(close(sessions[position]), assets[0], "close",
                                       count) in ("before data", "window bounds")
            assert core.history.frame(core.calendar.session_index(sessions[position]),
                                      [assets[0]], "close", count) in (
                "before data", "window bounds")
    minute = portal_core(scenarios.data_portal(minute_bundle))
    for history in (minute._minute_history(), minute._partial_history()):
        for row in (0, 1, 500, len(minute.minute_dts) - 1):
            for count in (BIGGEST, BIGGEST - 1):
                answer = history.series(minute.minute_dts[row], minute_assets[0], "close",
                                        count)
                assert answer in ("before data", "window bounds"), answer
