"""Every entry point of fastportal._core called with odd arguments: each call returns or
raises an Exception, and the interpreter survives (a crash fails the whole run). The
values include wrong types, huge and negative integers, NaN, empty and wrong-dtype arrays,
and objects whose __index__, __hash__ or __eq__ raise."""

import itertools

import numpy as np
import pandas as pd
import pytest

from fastportal import _core, _pandas
from fastportal._portal import calendar_core


class RaisesEverywhere:
    def __index__(self):
        raise RuntimeError("index")

    def __hash__(self):
        raise RuntimeError("hash")

    def __eq__(self, other):
        raise RuntimeError("eq")

    def __len__(self):
        raise RuntimeError("len")

    def __iter__(self):
        raise RuntimeError("iter")

    def __float__(self):
        raise RuntimeError("float")


ODD = [
    None, 0, 1, -1, 3, 2**31, 2**63, -(2**63) - 1, 2**70, 1.5, float("nan"), "x", "price",
    b"close", (), [], {}, object(), RaisesEverywhere(), np.int64(2), np.array([]),
    np.array([1.0, 2.0]), np.array([[1.0]]), np.array(["a"]), np.arange(3),
    pd.Timestamp("2023-03-01 15:00", tz="UTC"), pd.Timestamp("2023-03-01"), pd.NaT,
    np.array(np.datetime64("2020-01-01", "ns")), np.array(1.0),  # 0-d: no dims to read
    np.array(["2020-01-02"], "M8[ns]").astype(">M8[ns]"),
]


def survive(call, *args):
    try:
        call(*args)
    except Exception:  # noqa: BLE001 - any exception is a fine outcome here
        pass


def outcome_of(call):
    try:
        return call()
    except Exception as exc:  # noqa: BLE001
        return exc


def combos(arity, pool=ODD):
    """Every value in every position with a fixed filler elsewhere, and random tuples."""
    rng = np.random.default_rng(arity)
    for position in range(arity):
        for value in pool:
            yield tuple(value if i == position else 1 for i in range(arity))
    for _ in range(300):
        yield tuple(pool[int(i)] for i in rng.integers(0, len(pool), arity))


@pytest.fixture(scope="module")
def calendar():
    from zipline.utils.calendar_utils import get_calendar

    return calendar_core(get_calendar("XNYS"))


@pytest.fixture(scope="module")
def column():
    seed = lambda start, end: 1.0  # noqa: E731
    return _core.AdjustedColumn(np.array([1.0, np.nan, 3.0, 4.0, np.nan, 6.0]),
                                np.array([2, 4]), np.array([0.5, 0.25]), 2, 0, 4, seed)


def test_calendar_methods(calendar):
    for name in ("session_index", "minute_to_session", "daily_window_end",
                 "session_position", "sessions_window", "sessions_index"):
        method = getattr(calendar, name)
        for arity in range(0, 4):
            for args in itertools.islice(combos(arity), 400):
                survive(method, *args)


def test_calendar_construction(calendar):
    upstream = calendar.upstream
    objects = _pandas.builder()
    good = (upstream, upstream.first_minutes_nanos, upstream.last_minutes_nanos, objects,
            pd.Timestamp)
    for position in range(len(good)):
        for value in ODD:
            args = list(good)
            args[position] = value
            survive(_core.Calendar, *args)


def test_adjusted_column_methods_and_construction(column):
    parts = (np.array([1.0, np.nan, 3.0]), np.array([1]), np.array([0.5]), 2, 0, 1,
             lambda start, end: 1.0, 0)
    segment = _core.AdjustedColumn(*parts, 2**40)
    for target in (column, segment):
        for name in ("view", "copy", "price", "gaps", "covers"):
            for arity in range(0, 4):
                for args in itertools.islice(combos(arity), 400):
                    survive(getattr(target, name), *args)
    assert segment.covers(2**40, 2**40 + 2) and not segment.covers(2**40 - 1, 2**40)
    np.testing.assert_array_equal(segment.price(2**40 + 2, 3),
                                  _core.AdjustedColumn(*parts).price(2, 3))
    good = (np.arange(5.0), np.array([1, 3]), np.array([0.5, 2.0]), 3, 0, 5, None, 0, 0)
    for position in range(len(good)):
        for value in ODD:
            args = list(good)
            args[position] = value
            survive(_core.AdjustedColumn, *args)
    # a seed that raises or answers nonsense
    for answer in (RaisesEverywhere(), "x", None, float("nan")):
        odd = _core.AdjustedColumn(np.array([np.nan, 1.0, np.nan]), np.empty(0, np.int64),
                                   np.empty(0), 2, 0, 2, lambda s, e, a=answer: a)
        survive(odd.price, 2, 3)
    survive(_core.AdjustedColumn(np.array([np.nan, 1.0]), np.empty(0, np.int64),
                                 np.empty(0), 2, 0, 1, lambda: 1.0).price, 1, 2)


def test_builder(calendar):
    builder = _pandas.builder()
    index = calendar.sessions_index(100, 3)
    for args in itertools.islice(combos(3, ODD + [index, np.ones(3), np.ones((2, 3)),
                                                  ["a", "b"]]), 800):
        survive(builder.series, *args)
        survive(builder.datetime_index, *args)
        survive(builder.frame, *args)
    types = _pandas._types()
    plain = type("Plain", (), {})
    labels = calendar.sessions_window(100, 3).view("M8[ns]")
    for key in types:
        for value in ODD + [object, dict, int, plain, pd.Series, np.ndarray, len]:
            survive(lambda: _core.PandasBuilder(**dict(types, **{key: value})))
            try:
                odd = _core.PandasBuilder(**dict(types, **{key: value}))
            except Exception:  # noqa: BLE001
                continue
            index = outcome_of(lambda: odd.datetime_index(labels, None, labels.dtype))
            survive(odd.series, np.ones(3), index, "x")
            survive(odd.series, np.ones(3), calendar.sessions_index(100, 3), "x")


def test_daily_history(calendar, column):
    history = _core.DailyHistory(calendar, {(1, "close"): column, (2, "close"): None,
                                            (3, "close"): "not a column"}, 0, 0, 6)
    for args in itertools.islice(combos(4, ODD + [2, "close"]), 1500):
        survive(history.series, *args)
        survive(history.frame, *args)
    for assets in ([1, 2, 3], (1,), [1, RaisesEverywhere()], [], [2], [3]):
        for end, count in ((5, 3), (5, 0), (-1, 1), (2**70, 1), (5, 2**70)):
            survive(history.frame, end, assets, "close", count)
            survive(history.frame, end, assets, "price", count)
            for columns in ODD + [pd.Index(["a", "b", "c"]), pd.Index([1])]:
                survive(history.frame, end, assets, "close", count, columns)
    for args in itertools.islice(combos(5), 600):
        survive(_core.DailyHistory, *args)


def test_minutes():
    from zipline.utils.calendar_utils import get_calendar

    from fastportal._portal import minutes_core

    minutes = minutes_core(get_calendar("XHKG"))
    for name in ("positions", "index_of", "previous_minute", "next_minute"):
        for value in ODD:
            survive(getattr(minutes, name), value)
    for name in ("values", "window"):
        for arity in range(0, 4):
            for args in itertools.islice(combos(arity), 400):
                survive(getattr(minutes, name), *args)
    for args in itertools.islice(combos(5), 600):
        survive(_core.Minutes, *args)


def test_minute_history():
    from zipline.utils.calendar_utils import get_calendar

    from fastportal._portal import calendar_core, minutes_core

    upstream = get_calendar("XNYS")
    minutes = minutes_core(upstream)
    start = minutes.index_of(pd.Timestamp("2023-11-13 14:31", tz="UTC"))
    labels = minutes.values(start, 800)
    history = _core.MinuteHistory(minutes, calendar_core(upstream),
                                  {(1, "close"): None, (2, "close"): "not a column"},
                                  labels, upstream.first_minutes.dtype, start, start)
    pool = ODD + [pd.Timestamp(int(labels[10]), tz="UTC"), 1, 2, "close"]
    for args in itertools.islice(combos(4, pool), 1500):
        survive(history.series, *args)
    for args in itertools.islice(combos(7), 800):
        survive(_core.MinuteHistory, *args)


def test_partial_day_history():
    import numpy as np
    from zipline.utils.calendar_utils import get_calendar

    from fastportal._portal import calendar_core, minutes_core

    upstream = get_calendar("XNYS")
    minutes = minutes_core(upstream)
    calendar = calendar_core(upstream)
    start = minutes.index_of(pd.Timestamp("2023-11-13 14:31", tz="UTC"))
    offset = int(upstream.sessions.searchsorted(pd.Timestamp("2023-11-13")))
    daily = _core.AdjustedColumn(np.linspace(10.0, 20.0, 19), np.array([5]), np.array([0.5]),
                                 3, 1, 15, None, 2)
    bars = _core.AdjustedColumn(np.full(19 * 390, 7.0), np.empty(0, np.int64),
                                np.empty(0), 3, 0)
    history = _core.PartialDayHistory(
        calendar, minutes,
        {(1, "close"): daily, (2, "close"): None, (3, "close"): "not a column"},
        {(1, "close"): bars, (3, "close"): bars}, offset, offset, 19, start)
    pool = ODD + [pd.Timestamp(int(minutes.values(start + 800, 1)[0]), tz="UTC"), 1, 2, 3,
                  "close", [1, 2], (1,), [3]]
    served = history.series(pool[len(ODD)], 1, "close", 3)
    assert isinstance(served, pd.Series) and served.iloc[-1] == 7.0, served
    # no daily column for asset 4: the shim is to build it, and the minute rows with it
    assert history.series(pool[len(ODD)], 4, "close", 3) == ("new column", 780, 800)
    for args in itertools.islice(combos(4, pool), 1500):
        survive(history.series, *args)
        survive(history.frame, *args)
    for columns in ODD + [pd.Index([1, 3]), pd.Index([1])]:
        survive(history.frame, pool[len(ODD)], [1, 3], "close", 2, columns)
        survive(history.frame, pool[len(ODD)], [1], "price", 2, columns)
    for args in itertools.islice(combos(8), 800):
        survive(_core.PartialDayHistory, *args)


SCALES = [None, (), (1.0,), (0.5, 2.0), (1.0, 2.0, 3.0), (1,), ("x",), [1.0],
          (float("nan"),), (RaisesEverywhere(),)]


def test_fields_scales_and_window_rows(calendar, column):
    """fields(), the scales of series/frame/fields and MinuteHistory.window_rows."""
    from zipline.utils.calendar_utils import get_calendar

    from fastportal._portal import minutes_core

    daily = _core.DailyHistory(calendar, {(1, "close"): column, (1, "open"): column,
                                          (2, "close"): None}, 0, 0, 6)
    dt = pd.Timestamp(int(calendar.sessions_window(4, 1)[0]))
    pool = ODD + [dt, (1,), (1, 2), ("close",), ("close", "open"), ("close", 1), 1, 3]
    for args in itertools.islice(combos(4, pool), 1500):
        survive(daily.fields, *args)
    for scales in SCALES + ODD:
        survive(daily.fields, dt, (1,), ("close", "open"), 2, scales)
        survive(daily.series, dt, 1, "close", 2, scales)
        survive(daily.frame, 4, [1, 1], "close", 2, None, scales)
    upstream = get_calendar("XNYS")
    minutes = minutes_core(upstream)
    start = minutes.index_of(pd.Timestamp("2023-11-13 14:31", tz="UTC"))
    labels = minutes.values(start, 800)
    minute = _core.MinuteHistory(minutes, calendar, {(1, "close"): None}, labels,
                                 upstream.first_minutes.dtype, start, start)
    pool = ODD + [pd.Timestamp(int(labels[10]), tz="UTC"), (1,), ("close",)]
    for args in itertools.islice(combos(2, pool), 600):
        survive(minute.window_rows, *args)
    for args in itertools.islice(combos(4, pool), 600):
        survive(minute.fields, *args)
    for scales in SCALES:
        survive(minute.fields, pool[len(ODD)], (1,), ("close",), 3, scales)


def test_adjustment_timeline():
    good = (np.array([10, 20]), np.array([0.5, 2.0]), np.array([15]), np.array([0.9]),
            np.empty(0, np.int64), np.empty(0))
    for position in range(len(good)):
        for value in ODD:
            args = list(good)
            args[position] = value
            survive(_core.AdjustmentTimeline, *args)
    timeline = _core.AdjustmentTimeline(*good)
    assert timeline.ratio(False, 0, 30) == 0.5 * 2.0 * 0.9
    assert timeline.ratio(True, 0, 30) == (1.0 / 0.5) * (1.0 / 2.0)
    for args in itertools.islice(combos(3), 600):
        survive(timeline.ratio, *args)


def test_fields_frame_of_the_builder(calendar):
    builder = _pandas.builder()
    parts = _pandas.index_parts(calendar.sessions_index(100, 3))
    pool = ODD + [np.ones((2, 6)), np.ones((1, 3)), ("a", "b"), ("close", "open"), "date",
                  *parts]
    for args in itertools.islice(combos(7, pool), 1500):
        survive(builder.fields_frame, *args)
    frame = builder.fields_frame(np.arange(12.0).reshape(2, 6), *parts, ("a", "b"),
                                 ("close", "open"), "date")
    assert frame.shape == (6, 2) and frame.index.names == ["date", None]


class Unarrayable:
    """An argument whose conversion to an array raises."""

    def __array__(self, *args, **kwargs):
        raise RuntimeError("no array here")


def test_constructors_name_the_array_argument_that_fails(calendar):
    """Each array argument converted in turn: the first that fails is named in a
    TypeError, and no later conversion runs with its error pending (which raised
    SystemError)."""
    from fastportal._portal import minutes_core

    upstream = calendar.upstream
    bad = Unarrayable()
    am, pm = upstream.last_am_minutes_nanos, upstream.first_pm_minutes_nanos
    minutes = minutes_core(upstream)
    cases = [
        (lambda: _core.AdjustedColumn(bad, bad, bad, 2, 0), "raw"),
        (lambda: _core.AdjustedColumn(np.ones(3), bad, bad, 2, 0), "adjustment_locs"),
        (lambda: _core.AdjustedColumn(np.ones(3), np.array([1]), bad, 2, 0),
         "adjustment_values"),
        (lambda: _core.Calendar(upstream, bad, bad, _pandas.builder(), pd.Timestamp),
         "first_minutes"),
        (lambda: _core.Calendar(upstream, upstream.first_minutes_nanos, bad,
                                _pandas.builder(), pd.Timestamp), "last_minutes"),
        (lambda: _core.Minutes(calendar, bad, bad, upstream.first_minutes.dtype, len),
         "last_am_minutes"),
        (lambda: _core.Minutes(calendar, am, bad, upstream.first_minutes.dtype, len),
         "first_pm_minutes"),
        (lambda: _core.RollTable(bad, (), 0), "starts"),
    ]
    assert minutes is not None
    for make, name in cases:
        error = outcome_of(make)
        assert type(error) is TypeError, (name, error)
        assert str(error).startswith(name + " "), (name, error)
