"""`fastportal profile` end to end on a shortened daily scenario (a real bundle ingested
through zipline, real run_algorithm in child processes), its failures, and
`fastportal compare` on pstats files with known differences."""

import cProfile
import re
import struct
import subprocess
import sys

import pytest

from fastportal.study import charts, profiling

SHORT_END = "2024-08-22"  # the daily scenario's backtest, shortened


def history_calls():
    """Two windows a bar on 10 symbols over the shortened backtest."""
    from zipline.utils.calendar_utils import get_calendar

    from fastportal.study.runs import BACKTESTS

    return len(get_calendar("XNYS").sessions_in_range(BACKTESTS["daily"][0], SHORT_END)) * 10 * 2


def fastportal_command(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "fastportal", *map(str, args)],
                          capture_output=True, text=True, **kwargs)


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def profiled(tmp_path_factory):
    out = tmp_path_factory.mktemp("profile")
    cache = tmp_path_factory.mktemp("bundles")
    done = fastportal_command("profile", "--scenario", "daily", "--out", out, "--cache",
                              cache, "--runs", 1, "--end", SHORT_END, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    return out, cache, done.stdout


def test_both_profiles_load_and_differ_where_history_is_served(profiled):
    out, _, _ = profiled
    before = profiling.load(out / "baseline.pstats")
    after = profiling.load(out / "patched.pstats")
    calls_before, _ = profiling.hot_rows(before)["data.history"]
    calls_after, _ = profiling.hot_rows(after)["data.history"]
    assert calls_before == calls_after == history_calls()
    assert profiling.hot_rows(after)["_get_history_daily_window"][0] == 0
    assert profiling.hot_rows(before)["_get_history_daily_window"][0] == calls_before
    summary = (out / "summary.txt").read_text()
    for title in ("upstream (baseline.pstats)", "fastportal (patched.pstats)"):
        for heading in ("cumulative time", "own time"):
            assert f"==== {title}: top 20 functions by {heading} ====" in summary


@pytest.mark.long
def test_the_minute_scenario_profiles_and_serves_every_window(tmp_path):
    """--scenario minute, shortened to its first two sessions: 3 symbols a minute, from
    the 20th minute of the backtest on."""
    out, cache = tmp_path / "out", tmp_path / "bundles"
    done = fastportal_command("profile", "--scenario", "minute", "--out", out, "--cache",
                              cache, "--runs", 1, "--end", "2024-10-02", timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    windows = (2 * 390 - 19) * 3
    before = profiling.load(out / "baseline.pstats")
    after = profiling.load(out / "patched.pstats")
    assert profiling.hot_rows(before)["data.history"][0] == windows
    assert profiling.hot_rows(before)["_get_history_minute_window"][0] == windows
    assert profiling.hot_rows(after)["data.history"][0] == windows
    assert profiling.hot_rows(after)["_get_history_minute_window"][0] == 0
    assert re.search(rf"^  history calls served \(patched\)\s+{windows}$", done.stdout, re.M)


def test_the_printed_tables_have_every_row(profiled):
    out, _, stdout = profiled
    for label, _ in profiling.HOT_FUNCTIONS:
        assert re.search(rf"^{re.escape(label)}\s+[\d,]+\s+[\d,]+\s+[\d.]+\s+[\d.]+$",
                         stdout, re.M), label
    for label in ("total runtime (profiled) s", "total function calls",
                  "history share of runtime"):
        assert re.search(rf"^{re.escape(label)}\s", stdout, re.M), label
    speedup = re.search(r"^speedup under the profiler: (\S+)x$", stdout, re.M)
    assert speedup and float(speedup.group(1)) > 0
    for mode in ("upstream", "patched", "oracle"):
        assert re.search(rf"^  {mode} s\s+[\d.]+ \(min [\d.]+, max [\d.]+\)$", stdout, re.M)
    for label in ("speedup upstream / patched", "patched / oracle floor"):
        match = re.search(rf"^  {re.escape(label)}\s+([\d.]+)x", stdout, re.M)
        assert match and float(match.group(1)) > 0, label
    assert re.search(r"^  peak RSS patched\s+\d+ MiB", stdout, re.M)
    assert re.search(rf"^  history calls served \(patched\)\s+{history_calls()}$", stdout,
                     re.M)
    assert (out / "report.txt").read_text().splitlines()[1].startswith("scenario daily")
    steps = re.findall(r"^\[(\d+)\] ", stdout, re.M)
    assert steps == [str(i) for i in range(1, len(steps) + 1)] and len(steps) == 7


def test_the_chart_is_a_png_of_the_expected_size(profiled):
    out, _, _ = profiled
    assert png_size(out / "profile.png") == charts.CHART_SIZE
    assert not (out / "oracle.pickle").exists()


def test_a_second_run_reuses_the_bundle(profiled, tmp_path):
    _, cache, _ = profiled
    marker = next(cache.glob("*/*/.ingested"))  # cache/<framework>/<bundle>
    stamp = marker.stat().st_mtime_ns
    done = fastportal_command("profile", "--out", tmp_path, "--cache", cache, "--runs", 1,
                              "--end", SHORT_END, "--no-profile", timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert marker.stat().st_mtime_ns == stamp
    assert not (tmp_path / "baseline.pstats").exists()
    assert "under cProfile" not in done.stdout


def test_failures_are_stated_with_a_non_zero_exit(tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("")
    done = fastportal_command("profile", "--out", a_file / "out", "--cache", tmp_path)
    assert done.returncode == 2 and "is not writable" in done.stderr
    done = fastportal_command("profile", "--out", tmp_path / "out", "--cache", a_file,
                              "--no-profile")
    assert done.returncode == 2 and "could not be ingested" in done.stderr
    no_zipline = ("import sys; sys.modules['zipline'] = None; from fastportal.study.cli import main;"
                  f" sys.exit(main(['profile', '--out', {str(tmp_path / 'z')!r}]))")
    done = subprocess.run([sys.executable, "-c", no_zipline], capture_output=True, text=True)
    assert done.returncode == 2 and "zipline-reloaded is not importable" in done.stderr
    done = fastportal_command("profile", "--runs", 0, "--out", tmp_path / "out")
    assert done.returncode == 2


# -- compare ---------------------------------------------------------------------------------

def busy(n):
    total = 0
    for i in range(n):
        total += i * i
    return total


def slow():
    return busy(200_000)


def kept():
    return busy(1_000)


def added():
    return 1


def profile_to(path, calls):
    profiler = cProfile.Profile()
    profiler.enable()
    for function, times in calls:
        for _ in range(times):
            function()
    profiler.disable()
    profiler.dump_stats(path)


def test_compare_pairs_functions_and_sorts_by_time_saved(tmp_path):
    profile_to(tmp_path / "base.pstats", [(slow, 6), (kept, 2)])
    profile_to(tmp_path / "new.pstats", [(slow, 1), (kept, 2), (added, 3)])
    done = fastportal_command("compare", tmp_path / "base.pstats", tmp_path / "new.pstats",
                              "--top", 50)
    assert done.returncode == 0, done.stderr
    rows = {}
    for line in done.stdout.splitlines()[2:]:
        fields = line.split()
        rows[fields[7]] = (int(fields[0].replace(",", "")), int(fields[1].replace(",", "")),
                           float(fields[6]))
    keyed = {key.rsplit(":", 1)[1]: value for key, value in rows.items()
             if "test_profile_command.py" in key}
    assert keyed["slow"][:2] == (6, 1)
    assert keyed["busy"][:2] == (8, 3)
    assert keyed["kept"][:2] == (2, 2)
    assert keyed["added"][:2] == (0, 3)
    saved = [value[2] for value in rows.values()]
    assert saved == sorted(saved, reverse=True)
    first = done.stdout.splitlines()[2]
    assert first.endswith("test_profile_command.py:busy")


def test_compare_top_limits_rows(tmp_path):
    profile_to(tmp_path / "a.pstats", [(slow, 1), (kept, 1), (added, 1)])
    done = fastportal_command("compare", tmp_path / "a.pstats", tmp_path / "a.pstats",
                              "--top", 2)
    assert done.returncode == 0 and len(done.stdout.splitlines()) == 2 + 2


def test_compare_refuses_what_is_not_pstats(tmp_path):
    profile_to(tmp_path / "good.pstats", [(added, 1)])
    (tmp_path / "text.pstats").write_text("not a profile\n")
    for bad in (tmp_path / "text.pstats", tmp_path / "missing.pstats"):
        done = fastportal_command("compare", bad, tmp_path / "good.pstats")
        assert done.returncode == 2
        assert str(bad) in done.stderr and ("not a pstats file" in done.stderr
                                            or "no such file" in done.stderr)


def test_portable_names_pair_the_same_module_across_environments():
    assert profiling.portable_name(
        "/a/venv/lib/python3.11/site-packages/pandas/core/frame.py") == "pandas/core/frame.py"
    assert profiling.portable_name(
        "/b/env/lib/python3.13/site-packages/pandas/core/frame.py") == "pandas/core/frame.py"
    assert profiling.portable_name(
        "/root/.pyenv/versions/3.11.7/lib/python3.11/functools.py") == "functools.py"
    assert profiling.portable_name("~") == "~"
