"""A sweep's grid: zipline run's -D name=value with comma-separated values, and its
points in order."""

import pytest

from fastportal.sweeps.grid import parse_defines, points, values_of


def test_values_are_the_expressions_as_written():
    assert values_of("10,20, 30") == ["10", "20", "30"]
    assert values_of("(1, 2),[3, 4],'a,b'") == ["(1, 2)", "[3, 4]", "'a,b'"]
    assert values_of("dict(a=1, b=2)") == ["dict(a=1, b=2)"]


@pytest.mark.parametrize("text", ["", "1,,2", "5,", "(", "a b", "x=1"])
def test_a_value_list_that_is_not_expressions_is_refused(text):
    with pytest.raises(ValueError, match="is not a comma-separated list of Python"):
        values_of(text)


def test_points_are_every_combination_the_last_name_fastest():
    grid = parse_defines(["short=10,20", "long=50,100,200", "name='x'"])
    assert grid == [("short", ["10", "20"]), ("long", ["50", "100", "200"]),
                    ("name", ["'x'"])]
    assert points(grid) == [
        {"short": s, "long": l, "name": "'x'"}
        for s in ("10", "20") for l in ("50", "100", "200")]
    assert points([]) == [{}]


@pytest.mark.parametrize("define, said", [
    ("short", "invalid define 'short', should be of the form name=value"),
    ("2x=1", "invalid define '2x=1': '2x' is not a name"),
    ("=1", "invalid define '=1': '' is not a name"),
])
def test_a_define_not_of_the_form_name_values_is_refused(define, said):
    with pytest.raises(ValueError) as raised:
        parse_defines([define])
    assert str(raised.value) == said


def test_a_name_defined_twice_is_refused():
    with pytest.raises(ValueError, match="'short' is defined twice"):
        parse_defines(["short=1", "short=2"])


@pytest.mark.parametrize("defines, said", [
    (["sharpe=1,2"], "-D sharpe: 'sharpe' is a column of the sweep's table; give the "
                     "define another name"),
    (["error=1"], "-D error: 'error' is a column of the sweep's table; give the define "
                  "another name"),
    # zipline run splits a define at every "=" and refuses what it gets
    (["p=dict(a=1),2"], "-D p=dict(a=1): zipline run cannot take a value with '=' in it"),
    (["x=1,2,1"], "-D x: 1 is given twice"),
])
def test_what_a_table_or_zipline_cannot_take_is_refused(defines, said):
    from fastportal.sweeps.points import RESULTS

    with pytest.raises(ValueError) as raised:
        parse_defines(defines, reserved=RESULTS)
    assert str(raised.value) == said


def test_zipline_refuses_a_value_with_an_equals_sign(bundle, zipline_root, monkeypatch):
    """What the grid's refusal stands for: zipline run's own error on such a define."""
    from fastportal.sweeps.points import run_point

    from conftest import DIFFERENTIAL

    monkeypatch.setenv("ZIPLINE_ROOT", str(zipline_root))
    with pytest.raises(ValueError, match=r"invalid define 'p=dict\(a=1\)', should be of "
                                         "the form name=value"):
        run_point("", {"p": "dict(a=1)"}, ["-b", DIFFERENTIAL.name, "-s", "2023-03-01",
                                            "-e", "2023-03-31"])
