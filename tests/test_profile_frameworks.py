"""`fastportal profile --framework`: the daily scenario on rustybt's own run_algorithm,
named as rustybt (make test-rustybt, where it is installed), and the one-line error where
it is not (make test)."""

import importlib.util
import os
import subprocess
import sys

from fastportal.study import profiling

SHORT_END = "2024-08-22"


def fastportal_command(*args, env=None):
    return subprocess.run([sys.executable, "-m", "fastportal", *map(str, args)],
                          capture_output=True, text=True, timeout=1200, env=env)


def ran_on(stats, package):
    """Whether run_algorithm of `package` (its own module file) ran in the profile."""
    suffix = f"{package}/utils/run_algo.py"
    return any(filename.endswith(suffix) and name == "run_algorithm"
               for filename, _, name in stats.stats)


def test_profile_runs_the_framework_asked_for(tmp_path):
    out, cache = tmp_path / "out", tmp_path / "bundles"
    done = fastportal_command("profile", "--framework", "rustybt", "--scenario", "daily",
                              "--out", out, "--cache", cache, "--runs", 1, "--end", SHORT_END)
    if importlib.util.find_spec("rustybt") is None:
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith("fastportal profile: rustybt is not importable here (")
        assert done.stderr.rstrip().endswith("install it with pip install rustybt==0.3.3")
        assert len(done.stderr.splitlines()) == 1
        return
    assert done.returncode == 0, done.stderr[-3000:]
    before = profiling.load(out / "baseline.pstats")
    after = profiling.load(out / "patched.pstats")
    assert ran_on(before, "rustybt") and ran_on(after, "rustybt")
    assert not ran_on(before, "zipline") and not ran_on(after, "zipline")
    # rustybt's compiled BarData.history is not in a profile: upstream's row is the
    # portal's get_history_window, one call a window, said under the table
    assert profiling.history_stood_in(before) and not profiling.history_stood_in(after)
    calls_before, _ = profiling.hot_rows(before)["data.history"]
    calls_after, _ = profiling.hot_rows(after)["data.history"]
    assert calls_before == calls_after > 0
    assert profiling.hot_rows(after)["_get_history_daily_window"][0] == 0
    assert "its row is DataPortal.get_history_window" in done.stdout
    assert f"history calls served (patched)    {calls_after}" in done.stdout
    assert (cache / "rustybt" / "fastportal-daily" / ".ingested").exists()


def test_an_unknown_framework_is_refused(tmp_path):
    done = fastportal_command("profile", "--framework", "backtrader", "--out", tmp_path)
    assert done.returncode == 2
    assert "invalid choice: 'backtrader'" in done.stderr


RUSTYBT_ALGORITHM = '''
from rustybt.api import order_target, record, symbol


def initialize(context):
    context.assets = [symbol(f"SYM{i:03d}") for i in range(3)]


def handle_data(context, data):
    for asset in context.assets:
        short = data.history(asset, "close", 5, "1d").mean()
        long = data.history(asset, "close", 30, "1d").mean()
        order_target(asset, 100 if short > long else 0)
    record(price=data.current(context.assets[0], "price"))
'''

EXTENSION = '''
import pandas as pd
from rustybt.data.bundles import register

register("fastportal-daily", lambda *args, **kwargs: None, calendar_name="XNYS",
         start_session=pd.Timestamp("2023-10-02"), end_session=pd.Timestamp("2026-09-30"))
'''


def test_profile_of_an_algorithm_file_written_for_rustybt(tmp_path):
    """-f algo.py importing rustybt.api, its bundle registered in the ZIPLINE_ROOT's
    extension.py as rustybt reads it: run as `rustybt run` runs it, each way."""
    algofile = tmp_path / "algo.py"
    algofile.write_text(RUSTYBT_ALGORITHM)
    arguments = ("profile", "--framework", "rustybt", "-f", algofile, "-b",
                 "fastportal-daily", "-s", "2024-08-01", "-e", "2024-09-30", "--no-benchmark",
                 "--runs", 1, "--out", tmp_path / "out")
    if importlib.util.find_spec("rustybt") is None:
        done = fastportal_command(*arguments)
        assert done.returncode == 2 and "rustybt is not importable here" in done.stderr
        return
    from fastportal.study import runs, scenarios, upstream

    upstream.choose("rustybt")
    _, root = scenarios.cached_bundle(runs.spec_of("daily"), tmp_path / "bundles")
    (root / "extension.py").write_text(EXTENSION)
    done = fastportal_command(*arguments, env=dict(os.environ, ZIPLINE_ROOT=str(root)))
    assert done.returncode == 0, done.stderr[-3000:]
    after = profiling.load(tmp_path / "out" / "patched.pstats")
    calls = profiling.hot_rows(after)["data.history"][0]
    assert calls == 2 * 3 * 42  # two windows a bar on 3 symbols, 42 sessions
    assert f"history calls served (patched)    {calls}" in done.stdout
    assert "perf frame, patched against upstream: the same" in done.stdout
    assert "perf frame, oracle against upstream: the same" in done.stdout
