"""`fastportal profile -f ALGO` with zipline run's options: a user's own algorithm file
profiled upstream and patched, as `zipline run` runs it. On zipline's example algorithms
and example bundle; the errors a user can cause, each one line and exit status 2, the
user's traceback kept where the user's code raised; and without matplotlib, tables and
pstats but no chart, said in one line."""

import os
import re
import subprocess
import sys

import pytest

from conftest import MINUTE
from example_bundle import EXAMPLES, assert_same_perf, example_root
from fastportal.study import profiling
from fastportal.study.cli import main

FASTPORTAL = [sys.executable, "-m", "fastportal"]
SMALL_ALGO = """
from zipline.api import order_target, record, symbol

def initialize(context):
    context.asset = symbol("AAPL")

def handle_data(context, data):
    mean = data.history(context.asset, "price", 5, "1d").mean()
    order_target(context.asset, 10 if data.current(context.asset, "price") > mean else 0)
    record(mean=mean)
"""
SMALL_OPTIONS = ["-b", "test", "-s", "2014-01-02", "-e", "2014-02-28", "--no-benchmark"]
SMALL_SESSIONS = 40  # XNYS sessions of January and February 2014


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return example_root(tmp_path_factory.mktemp("example"))


def profile(args, root, cwd, **env):
    environ = dict(os.environ, ZIPLINE_ROOT=str(root), MPLBACKEND="Agg", **env)
    return subprocess.run([*FASTPORTAL, "profile", *map(str, args)], capture_output=True,
                          text=True, env=environ, cwd=cwd, timeout=900)


def history_calls(out, file):
    return profiling.hot_rows(profiling.load(out / file))["data.history"][0]


@pytest.mark.parametrize("example, options, calls", [
    ("dual_moving_average.py", ["-s", "2011-01-04", "-e", "2012-12-31", "--capital-base",
                                "1e7"], (501 - 299) * 2),
    pytest.param("buyapple.py", ["-s", "2014-01-02", "-e", "2014-10-31"], 0,
                 marks=pytest.mark.long),
])
def test_an_example_algorithm_is_profiled_both_ways(example, options, calls, root, tmp_path):
    out = tmp_path / "out"
    done = profile(["-f", EXAMPLES / example, "-b", "test", *options, "--no-benchmark",
                    "--out", out, "--runs", 1], root, tmp_path)
    assert done.returncode == 0, done.stderr[-4000:]
    for name in ("baseline.pstats", "patched.pstats", "summary.txt", "profile.png",
                 "report.txt", "perf-upstream.pickle", "perf-patched.pickle"):
        assert (out / name).is_file(), name
    assert history_calls(out, "baseline.pstats") == history_calls(out, "patched.pstats") == calls
    after = profiling.hot_rows(profiling.load(out / "patched.pstats"))
    assert after["_get_history_daily_window"][0] == 0
    assert re.search(rf"^  history calls served \(patched\)\s+{calls}$", done.stdout, re.M)
    assert "perf frame, patched against upstream: the same" in done.stdout
    assert "perf frame, oracle against upstream: the same" in done.stdout
    assert_same_perf(out / "perf-patched.pickle", out / "perf-upstream.pickle")
    for label, _ in profiling.HOT_FUNCTIONS:
        assert re.search(rf"^{re.escape(label)}\s+[\d,]+\s+[\d,]+\s+[\d.]+\s+[\d.]+$",
                         done.stdout, re.M), label
    steps = re.findall(r"^\[(\d+)\] .* \.\.\. [\d.]+ s \(elapsed [\d.]+ s\)$", done.stdout, re.M)
    assert steps == ["1", "2", "3", "4", "5", "6"], done.stdout
    assert (out / "report.txt").read_text().splitlines()[1].startswith(f"{example} on bundle")


@pytest.mark.long
def test_zipline_run_options_reach_the_runs(minute_bundle, minute_root, tmp_path):
    """-D binds names as zipline run -D does, --data-frequency minute runs a minute
    simulation, --extension loads a file of the user's as zipline -e does (here the one
    that registers the session's minute bundle)."""
    algo = tmp_path / "algo.py"
    algo.write_text(SMALL_ALGO.replace('"price", 5, "1d"', '"price", LENGTH, FREQ')
                    .replace('symbol("AAPL")', 'symbol(SYMBOL)'))
    (tmp_path / "ext.py").write_text(
        "from zipline.data.bundles import register\n"
        f"register({MINUTE.name!r}, lambda *args: None, calendar_name='XNYS')\n")
    out = tmp_path / "out"
    done = profile(["-f", algo, "-b", MINUTE.name, "-s", "2023-11-14", "-e", "2023-11-15",
                    "--no-benchmark", "--data-frequency", "minute", "-D", "LENGTH=3",
                    "-D", "FREQ='1m'", "-D", "SYMBOL='AAA'", "--extension", tmp_path / "ext.py",
                    "--out", out, "--runs", 1], minute_root, tmp_path)
    assert done.returncode == 0, done.stderr[-4000:]
    assert "2023-11-14 to 2023-11-15, minute data" in done.stdout
    assert history_calls(out, "patched.pstats") == 2 * 390
    assert re.search(r"^  history calls served \(patched\)\s+780$", done.stdout, re.M)
    assert_same_perf(out / "perf-patched.pickle", out / "perf-upstream.pickle")


def test_without_matplotlib_tables_and_pstats_but_no_chart(root, tmp_path):
    """matplotlib made unimportable, as in an environment without the profile extra."""
    blocker = tmp_path / "blocker" / "matplotlib"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named "
                                         "'matplotlib'\", name='matplotlib')\n")
    (tmp_path / "algo.py").write_text(SMALL_ALGO)
    out = tmp_path / "out"
    done = profile(["-f", "algo.py", *SMALL_OPTIONS, "--out", out, "--runs", 1], root,
                   tmp_path, PYTHONPATH=os.pathsep.join(
                       filter(None, [str(blocker.parent), os.environ.get("PYTHONPATH")])))
    assert done.returncode == 0, done.stderr[-4000:]
    assert done.stderr == "" or "Traceback" not in done.stderr
    first = done.stdout.splitlines()[0]
    assert first.startswith("matplotlib is not installed: no chart")
    assert [line for line in done.stdout.splitlines() if "matplotlib is" in line] == [first]
    assert not (out / "profile.png").exists()
    for name in ("baseline.pstats", "patched.pstats", "summary.txt", "report.txt"):
        assert (out / name).is_file(), name
    assert history_calls(out, "patched.pstats") == SMALL_SESSIONS


def test_errors_a_user_can_cause_are_one_line_and_status_2(root, tmp_path, monkeypatch,
                                                            capsys):
    (tmp_path / "algo.py").write_text(SMALL_ALGO)
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    cases = {
        "no such algorithm file": ["-f", "missing.py", *SMALL_OPTIONS],
        "unknown bundle 'nope'": ["-f", "algo.py", "-b", "nope", *SMALL_OPTIONS[2:]],
        "Invalid value for '-s' / '--start'": ["-f", "algo.py", "-b", "test", "-s",
                                               "2014-13-01", "-e", "2014-02-01"],
        "is after the end": ["-f", "algo.py", "-b", "test", "-s", "2014-03-01", "-e",
                             "2014-02-01"],
        "must specify dates": ["-f", "algo.py", "-b", "test", "-s", "2014-01-02"],
        "is not writable": ["-f", "algo.py", *SMALL_OPTIONS, "--out", a_file / "out"],
        "No such option": ["-f", "algo.py", *SMALL_OPTIONS, "--bogus"],
        "writes the perf frames": ["-f", "algo.py", *SMALL_OPTIONS, "-o", "perf.pickle"],
        "an extension could not be loaded": ["-f", "algo.py", *SMALL_OPTIONS,
                                             "--extension", "missing_ext.py"],
        "go with -f ALGOFILE": ["--scenario", "daily", "-b", "test"],
        "the bundle is zipline's own": ["-f", "algo.py", *SMALL_OPTIONS, "--cache", "c"],
    }
    # in this process: each is said before any backtest runs
    monkeypatch.setenv("ZIPLINE_ROOT", str(root))
    monkeypatch.chdir(tmp_path)
    for expected, args in cases.items():
        status = main(["profile", *map(str, args)])
        said = capsys.readouterr()
        assert status == 2, (expected, said)
        assert said.err.count("\n") == 1 and expected in said.err, (expected, said.err)
        assert said.err.startswith("fastportal profile: ")
    # and through the command, its exit status
    done = profile(cases["unknown bundle 'nope'"], root, tmp_path)
    assert done.returncode == 2 and done.stderr.startswith("fastportal profile: unknown bundle")
    assert done.stderr.count("\n") == 1


def test_an_algorithm_that_raises_shows_its_own_traceback(root, tmp_path):
    (tmp_path / "algo.py").write_text(SMALL_ALGO.replace(
        "    record(mean=mean)",
        "    record(mean=mean)\n    ratio = len(context.portfolio.positions) / 0\n"))
    done = profile(["-f", "algo.py", *SMALL_OPTIONS, "--out", tmp_path / "out"], root,
                   tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert lines[1] == f'  File "{tmp_path / "algo.py"}", line 11, in handle_data'
    assert lines[2].strip() == "ratio = len(context.portfolio.positions) / 0"
    assert "ZeroDivisionError: division by zero" in lines
    assert lines[-1] == ("fastportal profile: the upstream run failed: ZeroDivisionError: "
                         "division by zero")
    assert not any("site-packages" in line for line in lines)
    assert done.stdout.splitlines()[-1].endswith(" ... failed"), done.stdout
