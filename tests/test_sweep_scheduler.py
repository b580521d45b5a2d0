"""A sweep on a cluster started as a second machine would start it: `dask scheduler` and
two `dask worker` processes on loopback, each worker reading the bundle from its own
ZIPLINE_ROOT. The command's table (Parquet) is the serial upstream runs' rows; a worker
whose ZIPLINE_ROOT lacks the bundle is named."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import distributed
import pandas as pd
import pytest

import fastportal
from fastportal.sweeps.grid import parse_defines, points
from fastportal.sweeps.points import RESULTS, row_of, run_point
from fastportal.sweeps.run import SweepError, sweep

from conftest import DIFFERENTIAL
from test_sweep_dask import ARGUMENTS, fastportal_command, sweep_root
from test_sweep_points import ALGORITHM

DASK = Path(sys.executable).with_name("dask")
DEFINES = ["short=3,5", "long=10,20"]


def started(*arguments, env=None, log):
    return subprocess.Popen([DASK, *map(str, arguments)], env=env, stdout=log,
                            stderr=subprocess.STDOUT)


def worker(scheduler_file, name, root, log):
    return started("worker", "--scheduler-file", scheduler_file, "--name", name,
                   "--nthreads", 1, "--nworkers", 1, "--host", "127.0.0.1",
                   "--no-dashboard", env=dict(os.environ, ZIPLINE_ROOT=str(root)), log=log)


@pytest.fixture(scope="module")
def cluster(bundle, zipline_root, tmp_path_factory):
    """(scheduler address, scheduler file, its processes, their log): a scheduler and
    two workers named one and two, each its own process tree."""
    here = tmp_path_factory.mktemp("scheduler")
    root = sweep_root(zipline_root, here)
    scheduler_file = here / "scheduler.json"
    log = open(here / "dask.log", "w")
    processes = [started("scheduler", "--host", "127.0.0.1", "--port", 0,
                         "--no-dashboard", "--scheduler-file", scheduler_file, log=log)]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        processes += [worker(scheduler_file, name, root, log) for name in ("one", "two")]
        with distributed.Client(scheduler_file=str(scheduler_file)) as client:
            client.wait_for_workers(2, timeout=120)
        address = json.loads(scheduler_file.read_text())["address"]
        yield address, scheduler_file, processes, here
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()


def test_the_command_on_a_running_cluster_writes_the_upstream_rows(cluster, zipline_root,
                                                                   tmp_path, monkeypatch):
    address, scheduler_file, _, here = cluster
    algofile = tmp_path / "sma.py"
    algofile.write_text(ALGORITHM)
    out = tmp_path / "table.parquet"
    # the command's own ZIPLINE_ROOT has no bundle: the workers read theirs
    done = fastportal_command("sweep", "-f", algofile, "-D", DEFINES[0], "-D", DEFINES[1],
                              *ARGUMENTS, "--scheduler", address, "-o", out,
                              env=dict(os.environ, ZIPLINE_ROOT=str(tmp_path)))
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.splitlines() == [f"4 rows -> {out}"]
    table = pd.read_parquet(out)
    grid = points(parse_defines(DEFINES))
    assert list(table.columns) == ["short", "long", *RESULTS]
    assert table[["short", "long"]].to_dict("records") == grid
    monkeypatch.setenv("ZIPLINE_ROOT", str(zipline_root))
    assert not fastportal.installed()
    for point, (_, row) in zip(grid, table.iterrows()):
        theirs = run_point(ALGORITHM, point, ARGUMENTS)
        expected = row_of(point, theirs, row["wall_s"])
        assert pd.isna(row["error"]), row["error"]
        assert {**row.to_dict(), "error": None} == expected
    def loads_remembered():
        from zipline.data import bundles

        return hasattr(bundles.load, "__wrapped__")

    with distributed.Client(address) as client:
        served = client.run(lambda: (fastportal.installed(), loads_remembered(),
                                     fastportal.stats().get("served", 0)))
    # both workers patched for the sweep, and as they were after it: the cluster is
    # others' too; the windows of the 4 points, each two a bar on two symbols, served
    # between them
    assert len(served) == 2
    assert [(installed, remembered) for installed, remembered, _ in served.values()] == [
        (False, False)] * 2
    sessions = len(run_point(ALGORITHM, grid[0], ARGUMENTS))
    assert sum(n for _, _, n in served.values()) == 4 * 2 * 2 * sessions


def test_a_worker_without_the_bundle_is_named(cluster, tmp_path):
    address, scheduler_file, processes, here = cluster
    algofile = tmp_path / "sma.py"
    algofile.write_text(ALGORITHM)
    with open(here / "three.log", "w") as log:
        three = worker(scheduler_file, "three", tmp_path, log)  # an empty ZIPLINE_ROOT
        try:
            with distributed.Client(address) as client:
                client.wait_for_workers(3, timeout=120)
                named = {info["name"]: worker_address for worker_address, info
                         in client.scheduler_info()["workers"].items()}
                with pytest.raises(SweepError) as raised:
                    sweep(algofile, DEFINES, ARGUMENTS, client=client)
        finally:
            three.terminate()
            three.wait(timeout=30)
    assert str(raised.value) == (f"worker {named['three']}: bundle "
                                 f"{DIFFERENTIAL.name!r} is not registered")
