"""One point of a sweep: zipline's own `run -t TEXT -D name=value`, patched against
unpatched on the differential bundle, and its row; a point whose algorithm raises gives a
row with the error's last line."""

import pandas as pd
import pytest

import fastportal
from fastportal.study.runs import comparable_perf
from fastportal.sweeps.points import RESULTS, row_of, run_point, sweep_point

from conftest import DIFFERENTIAL

ALGORITHM = """
from zipline.api import order_target, record, symbol


def initialize(context):
    context.assets = [symbol("AAA"), symbol("BBB")]


def handle_data(context, data):
    for asset in context.assets:
        fast = data.history(asset, "close", short, "1d").mean()
        slow = data.history(asset, "close", long, "1d").mean()
        order_target(asset, 100 if fast > slow else 0)
    record(fast=fast, slow=slow)
"""


@pytest.fixture
def arguments(bundle, zipline_root, monkeypatch):
    monkeypatch.setenv("ZIPLINE_ROOT", str(zipline_root))
    return ["-b", DIFFERENTIAL.name, "-s", "2023-03-01", "-e", "2023-05-31",
            "--no-benchmark"]


def test_a_point_is_zipline_runs_answer_with_its_defines(arguments):
    defines = {"short": "5", "long": "20"}
    theirs = run_point(ALGORITHM, defines, arguments)
    fastportal.install()
    ours = run_point(ALGORITHM, defines, arguments)
    pd.testing.assert_frame_equal(comparable_perf(ours), comparable_perf(theirs),
                                  check_exact=True)
    assert fastportal.stats()["served"] == 2 * 2 * len(theirs)
    assert not any(key.startswith("fell through") for key in fastportal.stats())
    row = row_of(defines, theirs, 1.5)
    assert list(row) == ["short", "long", *RESULTS]
    assert row["final_portfolio_value"] == theirs["portfolio_value"].iloc[-1]
    assert row["total_return"] == theirs["algorithm_period_return"].iloc[-1]
    assert row["transactions"] == sum(len(t) for t in theirs["transactions"]) > 0
    assert row["error"] is None and row["wall_s"] == 1.5
    other = run_point(ALGORITHM, {"short": "3", "long": "30"}, arguments)
    assert row_of({}, other)["final_portfolio_value"] != row["final_portfolio_value"]


def test_a_point_whose_algorithm_raises_has_the_error_in_its_row(arguments):
    fastportal.install()
    row = sweep_point(ALGORITHM, {"short": "5", "long": "0"}, arguments)
    assert row["error"] == "ValueError: bar_count must be >= 1, but got 0"  # zipline's own
    assert all(row[name] is None for name in RESULTS if name not in ("wall_s", "error"))
    assert row["short"] == "5" and row["wall_s"] > 0
    missing = sweep_point(ALGORITHM, {"short": "5"}, arguments)
    assert missing["error"] == "NameError: name 'long' is not defined"


def test_a_strategy_that_never_moves_has_no_sharpe_as_zipline_gives_none(arguments):
    # equal windows: fast is never above slow, no order, no volatility
    theirs = run_point(ALGORITHM, {"short": "5", "long": "5"}, arguments)
    assert theirs["sharpe"].iloc[-1] is None
    fastportal.install()
    row = sweep_point(ALGORITHM, {"short": "5", "long": "5"}, arguments)
    assert row["error"] is None and row["sharpe"] is None
    assert row["transactions"] == 0 and row["annual_volatility"] == 0.0
    assert row["final_portfolio_value"] == theirs["portfolio_value"].iloc[-1]


def test_an_algorithm_that_exits_has_it_in_its_row(arguments):
    exiting = "import sys\n\ndef initialize(context):\n    sys.exit(3)\n"
    row = sweep_point(exiting, {}, arguments)
    assert row["error"] == "SystemExit: 3" and row["final_portfolio_value"] is None


def test_a_perf_frame_without_the_tables_results_is_said_in_the_row(arguments):
    row = sweep_point(ALGORITHM, {"short": "5", "long": "20"},
                      [*arguments, "--metrics-set", "none"])
    assert row["error"] == (
        "ValueError: the perf frame has no algorithm_period_return, algo_volatility, "
        "sharpe, max_drawdown, portfolio_value, transactions: the table's results are "
        "those of zipline's default metrics set")


def test_zipline_runs_own_parser_reads_the_bundle_and_refuses_what_it_refuses():
    from fastportal.sweeps.run import SweepError, bundle_of

    dates = ["-s", "2023-03-01", "-e", "2023-05-31"]
    assert bundle_of(dates) == "quandl"  # zipline run's default
    assert bundle_of(["-bmine", *dates]) == "mine"
    assert bundle_of(["--bundle=mine", *dates]) == "mine"
    for arguments, said in [
        ([*dates, "--work", "2"], "zipline run: No such option '--work'."),
        (["-b", "mine"], "zipline run needs the simulation's dates: -s/--start and "
                         "-e/--end"),
        (["-s", "someday", "-e", "2023-05-31"], "zipline run: Invalid value for '-s' / "
                                                "'--start'"),
        ([*dates, "--help"], "the options after fastportal sweep's own are zipline "
                             "run's: see zipline run --help"),
    ]:
        with pytest.raises(SweepError) as raised:
            bundle_of(arguments)
        assert str(raised.value).startswith(said), (arguments, str(raised.value))
