"""A sweep on a 2-worker local Dask cluster: a small grid of SMA windows on the
differential bundle, every row and perf frame equal to a serial, unpatched run of
zipline's own `run` command with the same defines; a point whose algorithm raises keeps
its error in its row and the rest complete; a bundle a worker cannot read is said with
the worker's name."""

import dataclasses
import os

import distributed
import pandas as pd
import pytest

import fastportal
from fastportal.study import scenarios
from fastportal.study.runs import comparable_perf
from fastportal.sweeps.grid import parse_defines, points
from fastportal.sweeps.points import RESULTS, row_of, run_point
from fastportal.sweeps.run import SweepError, sweep
from fastportal.sweeps.worker import Patched

from conftest import DIFFERENTIAL
from test_sweep_points import ALGORITHM

ARGUMENTS = ["-b", DIFFERENTIAL.name, "-s", "2023-03-01", "-e", "2023-05-31",
             "--no-benchmark"]
def sweep_root(zipline_root, here):
    """A ZIPLINE_ROOT with the ingested bundle's data and the bundle registered by its
    extension.py, as a user's is."""
    return scenarios.root_with_extension(DIFFERENTIAL, zipline_root, here / "root")


def assert_rows_are_serial_upstream(algotext, table, perfs, zipline_root, monkeypatch):
    """Every row that ran has the perf frame of a serial, unpatched zipline run with its
    defines, exactly, and the row computed from that frame (its wall time aside)."""
    monkeypatch.setenv("ZIPLINE_ROOT", str(zipline_root))
    assert not fastportal.installed()  # the serial runs below are upstream's
    names = [name for name in table.columns if name not in RESULTS]
    for (_, row), perf in zip(table.iterrows(), perfs):
        if perf is None:
            continue
        point = {name: row[name] for name in names}
        theirs = run_point(algotext, point, ARGUMENTS)
        pd.testing.assert_frame_equal(comparable_perf(perf), comparable_perf(theirs),
                                      check_exact=True)
        assert row.to_dict() == row_of(point, theirs, row["wall_s"])


@pytest.fixture(scope="module")
def swept(bundle, zipline_root, tmp_path_factory):
    """The grid's rows and perf frames on 2 workers."""
    here = tmp_path_factory.mktemp("sweep")
    root = sweep_root(zipline_root, here)
    algofile = here / "sma.py"
    algofile.write_text(ALGORITHM)
    defines = ["short=3,5", "long=10,20,0"]
    previous = os.environ.get("ZIPLINE_ROOT")
    os.environ["ZIPLINE_ROOT"] = str(root)  # the workers' own, inherited
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                       dashboard_address=None)
    try:
        with distributed.Client(cluster) as client:
            table, perfs = fastportal.sweep(algofile, defines, ARGUMENTS, client=client,
                                            keep_perf=True)
            served = client.run(lambda: (fastportal.installed(),
                                         fastportal.stats().get("served", 0)))
    finally:
        cluster.close()
        if previous is None:
            del os.environ["ZIPLINE_ROOT"]
        else:
            os.environ["ZIPLINE_ROOT"] = previous
    return algofile, defines, table, perfs, served


def test_every_row_is_a_serial_upstream_run(swept, zipline_root, monkeypatch):
    algofile, defines, table, perfs, served = swept
    assert list(table.columns) == ["short", "long", *RESULTS]
    assert table[["short", "long"]].to_dict("records") == points(parse_defines(defines))
    assert sum(perf is not None for perf in perfs) == 4
    assert_rows_are_serial_upstream(ALGORITHM, table, perfs, zipline_root, monkeypatch)
    assert (table["transactions"].dropna() > 0).all()
    # both workers patched for the sweep (and uninstalled after it: the cluster was the
    # caller's); two windows a bar on two symbols on the 4 points that ran, and on each
    # of the 2 that raised its first window, served before its second raised
    assert len(served) == 2 and not any(installed for installed, _ in served.values())
    assert all(n > 0 for _, n in served.values())
    assert sum(n for _, n in served.values()) == 4 * 2 * 2 * len(perfs[0]) + 2


def test_a_point_that_raises_keeps_its_error_and_the_rest_complete(swept):
    _, _, table, perfs, _ = swept
    failed = table[table["long"] == "0"]
    assert len(failed) == 2 and len(table) == 6
    assert (failed["error"] == "ValueError: bar_count must be >= 1, but got 0").all()
    assert failed["final_portfolio_value"].isna().all()
    assert table[table["long"] != "0"]["error"].isna().all()
    assert [perf is None for perf in perfs] == [long == "0" for long in table["long"]]


def test_a_bundle_the_workers_cannot_read_is_said_with_their_names(swept, tmp_path,
                                                                  monkeypatch):
    algofile = swept[0]
    monkeypatch.setenv("ZIPLINE_ROOT", str(tmp_path))  # no extension, no ingestion
    with pytest.raises(SweepError) as raised:
        sweep(algofile, ["short=3,5"], ARGUMENTS, workers=2)
    said = str(raised.value)
    assert said.count("worker tcp://127.0.0.1:") == 2, said
    assert f"bundle {DIFFERENTIAL.name!r} is not registered" in said


def test_the_worker_plugin_installs_fastportal_and_loads_a_bundle_once(bundle, zipline_root,
                                                                       monkeypatch):
    from zipline.data import bundles

    monkeypatch.setattr(bundles, "load", bundles.load)  # put back after the test
    calls = []
    upstream_load = bundles.load

    def counted(*args):
        calls.append(args[0])
        return upstream_load(*args)

    bundles.load = counted
    plugin = Patched()
    plugin.setup(worker=None)
    Patched().setup(worker=None)  # a second setup wraps nothing twice
    assert fastportal.installed()
    environ = {"ZIPLINE_ROOT": str(zipline_root)}
    first = bundles.load(DIFFERENTIAL.name, environ, None)
    assert bundles.load(DIFFERENTIAL.name, environ, None) is first
    assert calls == [DIFFERENTIAL.name]
    plugin.teardown(worker=None)  # the worker as the plugin found it
    assert bundles.load is counted and not fastportal.installed()
    fastportal.install()
    plugin = Patched()
    plugin.setup(worker=None)
    plugin.teardown(worker=None)  # fastportal was installed before: it stays
    assert fastportal.installed()


def fastportal_command(*args, env=None):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "fastportal", *map(str, args)],
                          capture_output=True, text=True, timeout=600, env=env)


def test_the_command_writes_the_table_its_progress_and_heatmap(swept, tmp_path):
    algofile, defines, table, _, _ = swept
    root = algofile.parent / "root"
    out, heatmap = tmp_path / "table.csv", tmp_path / "sharpe.png"
    done = fastportal_command("sweep", "-f", algofile, "-D", defines[0], "-D", defines[1],
                              *ARGUMENTS, "--workers", 2, "-o", out, "--heatmap", heatmap,
                              env=dict(os.environ, ZIPLINE_ROOT=str(root)))
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.splitlines() == [f"6 rows -> {out}", f"sharpe heatmap -> {heatmap}"]
    written = pd.read_csv(out, dtype={"short": str, "long": str, "error": object})
    columns = [c for c in table.columns if c != "wall_s"]
    assert_same_table(written[columns], table[columns])
    # not a terminal: a line a point as it completes, in the order they completed
    progress = [line for line in done.stderr.splitlines() if line.startswith("point ")]
    assert [line.split()[1] for line in progress] == [f"{k}/6" for k in range(1, 7)]
    assert sorted(line.split(" (")[1].split(")")[0] for line in progress) == sorted(
        f"short={short} long={long}" for short, long in zip(table["short"], table["long"]))
    assert sum(line.endswith(": ValueError: bar_count must be >= 1, but got 0")
               for line in progress) == 2
    assert not [line for line in done.stderr.splitlines() if "[Performance]" in line]
    assert heatmap.read_bytes().startswith(b"\x89PNG")


def assert_same_table(written, table):
    """A written table read back against the sweep's: CSV's float text to 1e-15, an
    empty error as None."""
    def comparable(frame):
        frame = frame.astype({"transactions": "float64", "error": object})
        return frame.assign(error=frame["error"].where(frame["error"].notna(), None))

    pd.testing.assert_frame_equal(comparable(written), comparable(table), check_exact=False,
                                  rtol=1e-15, check_dtype=False)


def test_the_heatmap_is_the_metric_over_the_two_names(swept):
    from fastportal.sweeps.heatmap import grid_of

    table = swept[2]
    rows, columns, values, labels = grid_of(table, "sharpe")
    assert rows == ["3", "5"] and columns == ["10", "20", "0"]
    for _, row in table.iterrows():
        at = rows.index(row["short"]), columns.index(row["long"])
        if row["error"] is None:
            assert values[at] == row["sharpe"] and labels[at] == f"{row['sharpe']:.3g}"
        else:
            assert values[at] != values[at] and labels[at] == "error"  # NaN
    nothing = table.assign(sharpe=[None, 1.5, None, None, 2.5, None])
    assert grid_of(nothing, "sharpe")[3].tolist() == [["none", "1.5", "error"],
                                                      ["none", "2.5", "error"]]


def test_the_heatmap_without_matplotlib_is_refused_before_anything_runs(tmp_path):
    no_matplotlib = (
        "import sys; sys.modules['matplotlib'] = None; "
        "from fastportal.study.cli import main; "
        f"sys.exit(main(['sweep', '-f', {str(tmp_path / 'a.py')!r}, '-D', 'x=1', '-D', "
        f"'y=2', '--heatmap', {str(tmp_path / 'h.png')!r}]))")
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", no_matplotlib], capture_output=True,
                          text=True)
    assert done.returncode == 2
    assert done.stderr == ("fastportal sweep: --heatmap needs matplotlib: pip install "
                           "'fastportal[sweep]'\n")


def test_the_command_without_dask_says_so_in_one_line(tmp_path):
    no_dask = ("import sys; sys.modules['distributed'] = None; "
               "from fastportal.study.cli import main; "
               f"sys.exit(main(['sweep', '-f', {str(tmp_path / 'a.py')!r}, '-D', 'x=1']))")
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", no_dask], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr == ("fastportal sweep: fastportal sweep needs dask[distributed]: "
                           "pip install 'fastportal[sweep]'\n")


@pytest.mark.parametrize("arguments, said", [
    (["-o", "table.txt"], "-o table.txt: the sweep's table is written as CSV or Parquet "
     "(a .csv or .parquet file)"),
    (["-D", "x=1", "--heatmap", "h.png"], "--heatmap needs a grid of two names; -D gives 1"),
    (["-D", "x=1", "-D", "y=2", "--heatmap", "h.svg"],
     "--heatmap h.svg: the heatmap is a PNG (a .png file)"),
    (["--workers", "0"], "--workers must be at least 1"),
    (["-o", "/nonexistent/table.csv"], "-o /nonexistent/table.csv: /nonexistent is not a "
     "writable folder"),
    (["--metric", "sharpe"], "--metric is the heatmap's: give --heatmap too"),
    (["-D", "x=1", "-s", "2023-03-01", "-e", "2023-05-31", "--wrokers", "2"],
     "zipline run: No such option '--wrokers'."),
    (["-D", "x"], "invalid define 'x', should be of the form name=value"),
])
def test_the_command_refuses_what_it_cannot_run(swept, arguments, said):
    algofile = swept[0]
    done = fastportal_command("sweep", "-f", algofile, *arguments)
    assert done.returncode == 2 and done.stderr == f"fastportal sweep: {said}\n"


def test_the_command_fails_when_every_point_raised(swept, tmp_path):
    algofile = swept[0]
    root = algofile.parent / "root"
    out = tmp_path / "TABLE.CSV"  # the suffix in any case
    done = fastportal_command("sweep", "-f", algofile, "-D", "short=3", "-D", "long=0",
                              *ARGUMENTS, "--workers", 1, "-o", out,
                              env=dict(os.environ, ZIPLINE_ROOT=str(root)))
    assert done.returncode == 1, done.stderr[-3000:]
    assert done.stderr.splitlines()[-1] == ("fastportal sweep: every point raised; the "
                                            "table has their errors")
    assert pd.read_csv(out)["error"].tolist() == [
        "ValueError: bar_count must be >= 1, but got 0"]


def test_a_cluster_without_workers_is_said(swept, monkeypatch):
    from fastportal.sweeps import run

    monkeypatch.setattr(run, "WORKER_WAIT_S", 1)
    with distributed.LocalCluster(n_workers=0, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        with pytest.raises(SweepError) as raised:
            sweep(swept[0], ["short=3"], ARGUMENTS, client=client)
    assert str(raised.value) == (f"the cluster at {cluster.scheduler_address} has had no "
                                 "worker for 1 s")


def test_points_cancelled_on_the_cluster_end_the_sweep_in_one_line(swept, monkeypatch):
    """As when the scheduler goes away: the points' futures are cancelled under the
    sweep (here by another client of the cluster, after the first row)."""
    monkeypatch.setenv("ZIPLINE_ROOT", str(swept[0].parent / "root"))
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client, \
            distributed.Client(cluster, set_as_default=False) as other:

        def cancel_the_rest(row, done, total):
            keys = [key for key in client.futures if key.startswith("sweep_point")]
            other.cancel([distributed.Future(key, other) for key in keys], force=True)

        with pytest.raises(SweepError) as raised:
            sweep(swept[0], ["short=3,5", "long=10,20"], ARGUMENTS, client=client,
                  on_row=cancel_the_rest)
    said = str(raised.value)
    assert said.startswith("a point did not finish on the cluster (cancelled: ")
    assert said.endswith("; 1 of 4 points had"), said


def test_progress_on_a_terminal_is_a_bar_redrawn_in_place():
    import io

    from fastportal.sweeps.cli import Progress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    progress = Progress(stream)
    row = {"short": "3", "long": "10", "error": None}
    progress(row, 1, 4)
    progress(row, 4, 4)
    first, last = stream.getvalue().split("\r")[1:]
    assert first.startswith("[#######.......................] 1/4 points, ")
    assert last.startswith("[##############################] 4/4 points, ")
    assert last.endswith(" s\n")  # the finished bar keeps its line
    assert progress.cancelled() == "cancelled after 4 of 4 points"
    assert Progress(Terminal()).cancelled() == "cancelled before any point was done"


def test_a_bundle_registered_but_never_ingested_is_said(tmp_path, monkeypatch):
    from zipline.data import bundles

    from fastportal.sweeps.worker import bundle_problem

    never = dataclasses.replace(DIFFERENTIAL, name="never-ingested")
    # its data folder a link to one that holds nothing
    scenarios.root_with_extension(never, tmp_path / "nothing", tmp_path)
    monkeypatch.setenv("ZIPLINE_ROOT", str(tmp_path))
    try:
        assert bundle_problem("never-ingested", []) == (
            f"bundle 'never-ingested' has no ingested data in {tmp_path}")
    finally:
        if "never-ingested" in bundles.bundles:
            bundles.unregister("never-ingested")
