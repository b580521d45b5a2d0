"""conftest.sample, which picks the items of an exhaustive sweep that make test checks:
every stride-th, the last and the edges asked for; every item under FASTPORTAL_LONG=1;
refused in a test not marked sweep (make test-long selects those)."""

import pytest

import conftest
from conftest import sample


@pytest.mark.sweep
def test_every_stride_th_the_last_and_the_edges(monkeypatch):
    monkeypatch.setattr(conftest, "LONG", False)
    assert sample(range(10), 4) == [0, 4, 8, 9]
    assert sample(list("abcdefg"), 3, also=lambda i: i == 4) == list("adeg")
    assert sample(range(5), 1) == [0, 1, 2, 3, 4]
    assert sample([], 3) == []
    monkeypatch.setattr(conftest, "LONG", True)
    assert sample(range(10), 4) == list(range(10))


def test_refused_in_a_test_not_marked_sweep():
    with pytest.raises(AssertionError, match="marked"):
        sample(range(10), 4)
