"""PandasBuilder against pandas' own constructors: the Series and DatetimeIndex it
assembles are made of the same parts as the ones pandas makes, behave the same, and it
checks its arguments. When a pandas lays its objects out differently, the builder is not
used and history goes to upstream."""

import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from pandas.core.arrays import DatetimeArray
from pandas.testing import assert_series_equal

import fastportal
from fastportal import _core, _pandas, _portal

from conftest import bar_data, outcome


@pytest.fixture(scope="module")
def builder():
    built = _pandas.builder()
    assert built is not None, "the builder does not fit the pinned pandas"
    return built


def labels_of(periods, freq):
    labels = pd.date_range("2023-01-03", periods=periods, freq=freq).values
    labels.flags.writeable = False
    return labels


@pytest.mark.parametrize("periods", [1, 2, 200])
@pytest.mark.parametrize("freq", ["B", "D", None])
@pytest.mark.parametrize("name", ["close", None, ("a", 1)])
def test_series_is_made_of_what_pandas_makes_it_of(builder, periods, freq, name):
    labels = labels_of(periods, freq or "D")
    offset = pd.tseries.frequencies.to_offset(freq) if freq else None
    values = np.random.default_rng(periods).normal(size=periods)
    ours = builder.series(values, builder.datetime_index(labels, offset, labels.dtype), name)
    theirs = pd.Series(values, copy=False, name=name, index=pd.DatetimeIndex._simple_new(
        DatetimeArray._simple_new(labels, offset, labels.dtype)))
    assert _pandas.anatomy(ours) == _pandas.anatomy(theirs)
    assert_series_equal(ours, theirs, check_exact=True, check_freq=True, check_flags=True)
    assert ours.values is values or ours.values.base is values  # zero-copy, as pandas
    assert ours.index.freq == offset


def test_builder_objects_behave_as_pandas_objects(builder):
    labels = labels_of(5, "B")
    values = np.arange(5.0)
    ours = builder.series(values.copy(), builder.datetime_index(labels, pd.offsets.BDay(),
                                                                labels.dtype), "x")
    theirs = pd.Series(values.copy(), index=pd.DatetimeIndex(labels, freq="B"), name="x")
    for operation in (lambda s: s.mean(), lambda s: s.rolling(2).mean(),
                      lambda s: s.resample("W").last(), lambda s: s.to_frame(),
                      lambda s: s.loc["2023-01-04":], lambda s: (s * 2).shift(1),
                      lambda s: s.index.union(s.index[:2]), lambda s: s.copy(deep=True)):
        a, b = operation(ours), operation(theirs)
        if isinstance(a, float):
            assert a == b
        elif isinstance(a, pd.Index):
            pd.testing.assert_index_equal(a, b, exact=True)
        elif isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b, check_exact=True, check_freq=True)
        else:
            assert_series_equal(a, b, check_exact=True, check_freq=True)
    ours.iloc[0] = 9.0
    theirs.iloc[0] = 9.0
    assert_series_equal(ours, theirs, check_exact=True)
    ours.index.name = "renamed"  # an index of its own: nothing else sees the name
    assert builder.datetime_index(labels, None, labels.dtype).name is None


def test_builder_keeps_no_reference_it_should_not(builder):
    labels = labels_of(20, "B")
    values, name, freq = np.ones(20), ("held", 1), pd.offsets.BDay()
    before = [sys.getrefcount(x) for x in (values, name, freq, labels)]
    for _ in range(200):
        index = builder.datetime_index(labels, freq, labels.dtype)
        series = builder.series(values, index, name)
        del index, series
    assert [sys.getrefcount(x) for x in (values, name, freq, labels)] == before


def test_builder_arguments_are_checked(builder):
    labels = labels_of(3, "B")
    index = builder.datetime_index(labels, None, labels.dtype)
    bad_series = [
        (np.ones(3, np.int32), index, "x", TypeError),
        (np.ones((3, 1)), index, "x", TypeError),
        ([1.0, 2.0, 3.0], index, "x", TypeError),
        (np.ones(3), pd.Index([1, 2, 3]), "x", TypeError),
        (np.ones(3), labels, "x", TypeError),
        (np.ones(4), index, "x", ValueError),
        (np.ones(3), index, ["unhashable"], TypeError),
    ]
    for values, idx, name, error in bad_series:
        assert isinstance(outcome(lambda: builder.series(values, idx, name)), error)
    assert str(outcome(lambda: builder.series(np.ones(3), index, {}))) == (
        str(outcome(lambda: pd.Series(np.ones(3), index=index, name={}))))
    bad_indexes = [
        (labels.astype(np.int64), None, labels.dtype),
        (labels.reshape(3, 1), None, labels.dtype),
        (labels, None, np.dtype("M8[s]")),
        (labels, None, "M8[ns]"),
        (labels, None, pd.DatetimeTZDtype("us", "UTC")),  # its base is not the values'
        (labels, None, pd.CategoricalDtype()),
    ]
    for values, freq, dtype in bad_indexes:
        assert isinstance(outcome(lambda: builder.datetime_index(values, freq, dtype)),
                          TypeError)
    assert isinstance(outcome(lambda: builder.series(np.ones(3), index)), TypeError)
    assert isinstance(outcome(lambda: builder.datetime_index(labels)), TypeError)


def test_builder_refuses_types_object_new_cannot_make():
    types = _pandas._types()
    for key, wrong in [("series_type", np.ndarray), ("flags_type", DatetimeArray),
                       ("index_type", int), ("array_new", 3)]:
        assert isinstance(outcome(lambda: _core.PandasBuilder(**dict(types, **{key: wrong}))),
                          TypeError), key


class OtherFlags(pd.Flags):
    """Stands for a pandas whose objects are laid out otherwise."""


def test_a_builder_that_differs_from_pandas_is_not_used(monkeypatch, bundle, sessions,
                                                        assets):
    assert _pandas._builds_what_pandas_builds(_pandas.builder())
    pandas_types = _pandas._types
    monkeypatch.setattr(_pandas, "_types",
                        lambda: dict(pandas_types(), flags_type=OtherFlags))
    monkeypatch.setattr(_pandas, "_builder", None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert _pandas.builder() is None
    assert any("differently" in str(w.message) for w in caught)

    from fastportal.study import scenarios

    portal = scenarios.data_portal(bundle)
    clock = portal.trading_calendar.session_close(sessions[100])
    with fastportal.patched():
        patched = bar_data(portal, lambda: clock).history(assets[0], "close", 10, "1d")
    unpatched = bar_data(scenarios.data_portal(bundle), lambda: clock).history(
        assets[0], "close", 10, "1d")
    assert_series_equal(patched, unpatched, check_exact=True, check_freq=True)
    assert fastportal.stats() == {"fell through: pandas internals": 1,
                                  "upstream answered: 1d, daily data": 1}
    assert _portal.portal_core(portal) is None


@pytest.mark.parametrize("width,rows", [(1, 1), (1, 200), (3, 2), (100, 200)])
def test_frame_is_made_of_what_pandas_makes_it_of(builder, width, rows):
    labels = labels_of(rows, "B")
    index = builder.datetime_index(labels, pd.offsets.BDay(), labels.dtype)
    block = np.random.default_rng(width).normal(size=(width, rows))
    columns = [("asset", i) if i % 2 else f"c{i}" for i in range(width)]
    ours = builder.frame(block, index, columns)
    theirs = pd.DataFrame(block.T, index=index, columns=columns, copy=False)
    assert _pandas.frame_anatomy(ours) == _pandas.frame_anatomy(theirs)
    pd.testing.assert_frame_equal(ours, theirs, check_exact=True, check_freq=True,
                                  check_flags=True)
    assert ours.values.base is block or ours._mgr.blocks[0].values is block


def test_builder_frames_behave_as_pandas_frames(builder):
    labels = labels_of(6, "B")
    index = builder.datetime_index(labels, pd.offsets.BDay(), labels.dtype)
    block = np.arange(18.0).reshape(3, 6)
    columns = ["a", "b", "c"]
    ours = builder.frame(block.copy(), index, columns)
    theirs = pd.DataFrame(block.T.copy(), index=pd.DatetimeIndex(labels, freq="B"),
                          columns=columns)
    for operation in (lambda f: f.mean(), lambda f: f["b"], lambda f: f.loc[:, "a"],
                      lambda f: f.iloc[2:], lambda f: f.pct_change(), lambda f: f.T,
                      lambda f: f.rolling(2).sum(), lambda f: f[["c", "a"]]):
        a, b = operation(ours), operation(theirs)
        if isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b, check_exact=True, check_freq=True)
        else:
            assert_series_equal(a, b, check_exact=True, check_freq=True)
    ours.iloc[0, 0] = -1.0
    theirs.iloc[0, 0] = -1.0
    ours["d"] = 1.0
    theirs["d"] = 1.0
    pd.testing.assert_frame_equal(ours, theirs, check_exact=True)


def test_frame_arguments_are_checked(builder):
    labels = labels_of(3, "B")
    index = builder.datetime_index(labels, None, labels.dtype)
    bad = [
        (np.ones((2, 3), np.int64), index, ["a", "b"], TypeError),
        (np.ones(3), index, ["a"], TypeError),
        (np.ones((2, 3)), labels, ["a", "b"], TypeError),
        (np.ones((2, 3)), index, "ab", TypeError),
        (np.ones((2, 3)), index, ["a"], ValueError),
        (np.ones((2, 4)), index, ["a", "b"], ValueError),
    ]
    for block, idx, columns, error in bad:
        assert isinstance(outcome(lambda: builder.frame(block, idx, columns)), error)
    assert isinstance(outcome(lambda: builder.frame(np.ones((1, 3)), index)), TypeError)


@pytest.mark.parametrize("error", [KeyError("a probe"), IndexError("a probe"),
                                   RuntimeError("a probe")])
def test_any_failure_of_the_pandas_check_stands_the_core_aside(monkeypatch, error):
    """Whatever the check of pandas' layout raises, the core stands aside with one
    warning, instead of the error reaching a strategy's first call."""
    def probe(candidate):
        raise error

    monkeypatch.setattr(_pandas, "_builder", None)
    monkeypatch.setattr(_pandas, "_builds_what_pandas_builds", probe)
    with pytest.warns(RuntimeWarning, match="lays out its objects differently"):
        assert _pandas.builder() is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _pandas.builder() is None  # once: no second warning


def test_frame_columns_may_be_an_index_of_the_right_length(builder):
    labels = labels_of(3, "B")
    index = builder.datetime_index(labels, None, labels.dtype)
    columns = pd.Index(["a", "b"], dtype=object, name="assets")
    frame = builder.frame(np.ones((2, 3)), index, columns)
    assert frame.columns is columns
    for bad in (pd.Index(["a"], dtype=object), pd.Index(["a", "b", "c"], dtype=object)):
        assert isinstance(outcome(lambda: builder.frame(np.ones((2, 3)), index, bad)),
                          ValueError)


def test_series_over_labels_and_blocks_frame_arguments_are_checked(builder):
    labels, fields = ("a", "b", "c"), ("close", "volume")
    for bad_index in ("abc", pd.Index(list(labels)), {"a": 1}):
        assert isinstance(outcome(lambda: builder.series(np.ones(3), bad_index, "x")),
                          TypeError)
    assert isinstance(outcome(lambda: builder.series(np.ones(3, np.int32), labels, "x")),
                      TypeError)
    assert isinstance(outcome(lambda: builder.series(np.ones(2), labels, "x")), ValueError)
    rows = np.ones((1, 3))
    ints = np.ones((1, 3), np.int64)
    at = [np.array([0]), np.array([1])]
    good = ((rows, ints), tuple(at), labels, fields)
    assert isinstance(builder.blocks_frame(*good), pd.DataFrame)
    bad = [
        ((rows, ints), [at[0], at[1]], labels, fields),        # not tuples
        ((rows, ints), (at[0],), labels, fields),               # a block without positions
        ((), (), labels, fields),                               # no block
        ((rows, ints), (at[0], at[0]), labels, fields),         # a column placed twice
        ((rows, ints), (at[0], np.array([2])), labels, fields),  # beyond the columns
        ((rows, ints), (at[0], np.array([-1])), labels, fields),
        ((rows, ints), (at[0], np.array([1.0])), labels, fields),
        ((rows,), (at[0],), labels, fields),                    # a column not placed
        ((rows, np.ones((1, 2), np.int64)), tuple(at), labels, fields),  # wrong rows
        ((rows, np.ones((2, 3), np.int64)), tuple(at), labels, fields),  # k != positions
        ((rows, np.ones((1, 3), np.int32)), tuple(at), labels, fields),
        ((rows, np.ones((3, 2), np.int64).T), (at[0], np.array([1, 2])), labels,
         fields + ("open",)),                                   # not contiguous
        ((rows, "x"), tuple(at), labels, fields),
    ]
    for args in bad:
        assert isinstance(outcome(lambda: builder.blocks_frame(*args)),
                          (TypeError, ValueError)), args
    assert isinstance(outcome(lambda: builder.blocks_frame(*good[:3])), TypeError)


class RecordingBuilder:
    """A builder that notes the kind of every object it is asked to make."""

    def __init__(self, builder):
        self.builder, self.kinds = builder, set()

    def datetime_index(self, values, freq, dtype):
        self.kinds.add(("index", "tz-aware" if isinstance(dtype, pd.DatetimeTZDtype)
                        else "naive", freq is not None))
        return self.builder.datetime_index(values, freq, dtype)

    def series(self, values, index, name):
        self.kinds.add(("series", type(index).__name__, values.dtype.name))
        return self.builder.series(values, index, name)

    def frame(self, block, index, columns):
        self.kinds.add(("frame", type(columns).__name__))
        return self.builder.frame(block, index, columns)

    def fields_frame(self, block, dates, freq, dtype, assets, fields, dt_label):
        self.kinds.add(("fields frame", dt_label))
        return self.builder.fields_frame(block, dates, freq, dtype, assets, fields, dt_label)

    def blocks_frame(self, values, positions, rows, columns):
        self.kinds.add(("blocks frame", tuple(v.dtype.name for v in values)))
        return self.builder.blocks_frame(values, positions, rows, columns)


def test_the_pandas_check_samples_every_kind_of_object_the_core_makes(builder):
    """The check of pandas' layout builds each kind of object the core hands out: history
    Series over session and tz-aware minute indexes, frames with columns from a list and
    from the Index a strategy gave, frames of several fields (date and date_time), and
    data.current's Series over assets (int64 and float64) and frames of blocks in both
    orders of dtype."""
    recording = RecordingBuilder(builder)
    assert _pandas._builds_what_pandas_builds(recording)
    assert recording.kinds >= {
        ("index", "naive", True), ("index", "tz-aware", False),
        ("series", "DatetimeIndex", "float64"),
        ("series", "tuple", "int64"), ("series", "tuple", "float64"),
        ("frame", "list"), ("frame", "Index"),
        ("fields frame", "date"), ("fields frame", "date_time"),
        ("blocks frame", ("float64", "int64")), ("blocks frame", ("int64", "float64")),
    }, recording.kinds


def test_arguments_changed_by_code_run_meanwhile_cannot_reach_the_builder(builder):
    """Code the builder runs (a name's __hash__, an index's __len__, a dtype's attribute)
    may reshape or retype the caller's arrays: the builder goes on with its own views, so
    the call answers or raises, and never reads what the arrays became."""
    labels = labels_of(1, "B")
    index = builder.datetime_index(labels, None, labels.dtype)
    values = np.zeros(1, np.int64)

    class Reshaping:
        def __hash__(self):
            values.shape = ()
            return 1

    assert builder.series(values.copy(), ["a"], "x").shape == (1,)
    outcome(lambda: builder.series(values, ["a"], Reshaping()))  # answers or raises
    block = np.zeros((1, 1))

    class Length:
        def __len__(self):
            block.shape = ()
            return 1

    columns = pd.Index(["a"], dtype=object)
    object.__setattr__(columns, "_data", Length())
    outcome(lambda: builder.frame(block, index, columns))
    dates = np.zeros(4, "M8[ns]")

    class Retyping:
        @property
        def base(self):
            dates.dtype = np.int64
            return np.dtype("M8[ns]")

    assert isinstance(outcome(lambda: builder.datetime_index(dates, None, Retyping())),
                      TypeError), "only numpy dtypes and DatetimeTZDtype are taken"


def test_positions_are_the_builders_own_native_copies(builder):
    """Unaligned and byte-swapped positions are read as numpy reads them, and what pandas
    keeps as the placements is a copy the caller cannot change afterwards."""
    rows, columns = ("r1", "r2", "r3"), ("a", "b")
    memory = bytearray(17)
    memory[1:] = np.array([1, 0], np.int64).tobytes()
    unaligned = np.frombuffer(memory, np.int64, count=2, offset=1)
    swapped = np.array([1, 0], np.int64).astype(">i8")
    block = np.arange(6.0).reshape(2, 3)
    for positions in (unaligned, swapped):
        frame = builder.blocks_frame((block,), (positions,), rows, columns)
        assert frame["a"].tolist() == [3.0, 4.0, 5.0] and frame["b"].tolist() == [0.0, 1.0, 2.0]
    given = np.array([1, 0], np.int64)
    frame = builder.blocks_frame((block,), (given,), rows, columns)
    given[:] = 0
    assert frame["a"].tolist() == [3.0, 4.0, 5.0]
    placement = frame._mgr.blocks[0].mgr_locs.as_array
    assert not np.shares_memory(placement, given)
    for bad in (np.array([0, 2], np.int64).astype(">i8"), np.array([0, 0]).astype(">i8")):
        assert isinstance(outcome(lambda: builder.blocks_frame((block,), (bad,), rows,
                                                               columns)), ValueError)
    swapped_block = block.astype(">f8")
    assert isinstance(outcome(lambda: builder.blocks_frame(
        (swapped_block,), (np.array([0, 1]),), rows, columns)), TypeError)
