"""AdjustedColumn against what it replaces, zipline's AdjustedArrayWindow (Float64Window),
on random columns and adjustments: every window of every length, moving forward as a
simulation does. And its arguments checked."""

import numpy as np
import pytest

from fastportal import _core

from conftest import outcome


def random_column(rng, rows, adjustments):
    raw = rng.lognormal(3.0, 0.5, rows) * rng.choice([1.0, 1.0, 1.0, np.nan], rows)
    locs = np.sort(rng.integers(1, rows, adjustments))
    values = rng.choice([0.5, 0.25, 0.97, 1.0 / 3.0, 0.9871234], adjustments)
    return raw, locs, values


def zipline_window(raw, locs, values, length, perspective, decimals):
    from zipline.lib._float64window import AdjustedArrayWindow
    from zipline.lib.adjustment import Float64Multiply

    adjustments = {}
    for loc, value in zip(locs.tolist(), values.tolist()):
        adjustments.setdefault(loc, []).append(Float64Multiply(0, loc - 1, 0, 0, value))
    return AdjustedArrayWindow(raw.reshape(-1, 1).copy(), {}, adjustments, 0, length,
                               perspective, decimals)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("perspective", [0, 1])
def test_every_window_as_zipline_computes_it(seed, perspective):
    rng = np.random.default_rng(seed)
    rows = 120
    raw, locs, values = random_column(rng, rows, adjustments=int(rng.integers(0, 12)))
    decimals = int(rng.choice([0, 2, 3, 4]))
    column = _core.AdjustedColumn(raw, locs, values, decimals, perspective)
    for length in (1, 2, 7, 40, rows - perspective):
        window = zipline_window(raw, locs, values, length, perspective, decimals)
        for end in range(length - 1, rows - perspective):
            theirs = window.seek(end + 1)[:, 0]
            ours = column.view(end, length)
            assert not ours.flags.writeable
            assert np.array_equal(np.isnan(ours), np.isnan(theirs))
            ok = ~np.isnan(theirs)
            assert np.array_equal(ours[ok].view(np.int64), theirs[ok].view(np.int64)), (
                seed, length, end)
            copy = column.copy(end, length)
            assert copy.flags.writeable and np.shares_memory(copy, ours) is False
            assert column.gaps(end, length) == int(np.isnan(theirs).sum())


def test_a_version_is_made_only_when_an_adjustment_is_passed():
    column = _core.AdjustedColumn(np.arange(1.0, 11.0), np.array([4, 4, 8]),
                                  np.array([0.5, 0.5, 0.1]), 3, 0)
    held = column.view(3, 4)
    for end in range(4):
        column.view(end, 1)
    assert column.versions_made == 1
    column.view(4, 5)
    column.view(7, 8)
    assert column.versions_made == 2
    column.view(9, 10)
    assert column.versions_made == 3
    assert held.tolist() == [1.0, 2.0, 3.0, 4.0], "a view never changes"


def test_price_without_an_end_date_fills_to_the_end():
    column = _core.AdjustedColumn(np.array([1.0, np.nan, 3.0, np.nan, np.nan]),
                                  np.empty(0, np.int64), np.empty(0), 3, 0)
    assert column.price(4, 5).tolist() == [1.0, 1.0, 3.0, 3.0, 3.0]
    ended = _core.AdjustedColumn(np.array([1.0, np.nan, 3.0, 4.0, 5.0]),
                                 np.empty(0, np.int64), np.empty(0), 3, 0, 2, lambda s, e: 9.0)
    assert np.array_equal(ended.price(4, 4), [9.0, 3.0, np.nan, np.nan], equal_nan=True)
    assert np.array_equal(ended.price(4, 2), [np.nan, np.nan], equal_nan=True)


def test_arguments_are_checked():
    good = (np.ones(5), np.array([1]), np.array([0.5]), 3, 0)
    bad = [
        ((np.ones(0),) + good[1:], ValueError), ((np.ones((2, 2)),) + good[1:], TypeError),
        (("x",) + good[1:], TypeError), (good[:1] + (np.array([2, 1]), np.ones(2)) + good[3:],
                                         ValueError),
        (good[:1] + (np.array([-1]),) + good[2:], ValueError),
        (good[:2] + (np.ones(2),) + good[3:], ValueError), (good[:3] + (-1, 0), ValueError),
        (good[:4] + (2,), ValueError), (good + (4, 5), TypeError),
    ]
    for args, error in bad:
        assert isinstance(outcome(lambda: _core.AdjustedColumn(*args)), error), args
    column = _core.AdjustedColumn(*good)
    for method in (column.view, column.copy, column.price, column.gaps):
        for end, count in ((-1, 1), (5, 1), (2, 0), (2, 4), (2, -1)):
            assert isinstance(outcome(lambda: method(end, count)), (IndexError, ValueError))
        assert isinstance(outcome(lambda: method(1)), TypeError)
        assert isinstance(outcome(lambda: method("a", 1)), TypeError)


def test_no_view_leads_to_memory_anyone_can_make_writable():
    """A view's base is what owns the cached version's memory, not the version itself, and
    offers that memory to nobody: numpy refuses to flip the view writable or to wrap the
    memory anew (its __setstate__ wraps a bytes object's memory, writable), and nobody
    reaches the array whose dtype and shape the column relies on."""
    column = _core.AdjustedColumn(np.arange(1.0, 11.0), np.array([4]), np.array([0.5]), 3, 0)
    view = column.view(6, 5)
    owner = view.base
    assert not isinstance(owner, (np.ndarray, bytes)) and not view.flags.owndata
    with pytest.raises(ValueError, match="WRITEABLE"):
        view.flags.writeable = True
    with pytest.raises(TypeError):
        memoryview(owner)
    with pytest.raises(TypeError):
        np.empty(0).__setstate__((1, (10,), np.dtype(np.float64), False, owner))
    view.dtype = np.int64  # the view's own dtype: the column's version is not changed
    del column
    assert view.view(np.float64).tolist() == [1.5, 2.0, 5.0, 6.0, 7.0]


def test_the_version_before_is_kept_and_one_further_back_is_rebuilt():
    column = _core.AdjustedColumn(np.arange(1.0, 11.0), np.array([4, 8]),
                                  np.array([0.5, 0.1]), 3, 0)
    before, after = column.view(3, 4).tolist(), column.view(5, 6).tolist()
    for _ in range(10):
        assert column.view(3, 4).tolist() == before and column.view(5, 6).tolist() == after
    assert column.versions_made == 2
    last = column.view(9, 10).tolist()
    assert column.view(5, 6).tolist() == after and column.versions_made == 3
    assert column.view(3, 4).tolist() == before and column.versions_made == 4
    assert column.view(9, 10).tolist() == last and column.versions_made == 5
