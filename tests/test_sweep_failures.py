"""A sweep that loses a worker mid-sweep still gives its complete table, each row still
a serial upstream run; Ctrl-C at a terminal cancels it cleanly, its worker processes
gone."""

import os
import signal
import subprocess
import sys
import time

import distributed
import psutil
import pytest

import fastportal

from test_sweep_dask import ARGUMENTS, assert_rows_are_serial_upstream, sweep_root

# The SMA strategy, whose first point with short=5 kills the worker process running it
# (SIGKILL: no clean-up, as an out-of-memory kill), once: the marker file says it did.
KILLING = """
import os
import signal

from zipline.api import order_target, symbol


def initialize(context):
    context.assets = [symbol("AAA"), symbol("BBB")]
    if short == 5 and not os.path.exists({marker!r}):
        open({marker!r}, "w").close()
        os.kill(os.getpid(), signal.SIGKILL)


def handle_data(context, data):
    time.sleep(pause)
    for asset in context.assets:
        fast = data.history(asset, "close", short, "1d").mean()
        slow = data.history(asset, "close", long, "1d").mean()
        order_target(asset, 100 if fast > slow else 0)
"""


@pytest.fixture(scope="module")
def root(bundle, zipline_root, tmp_path_factory):
    return sweep_root(zipline_root, tmp_path_factory.mktemp("failures"))


def test_a_worker_killed_mid_sweep_has_its_points_rerun(root, zipline_root, tmp_path,
                                                        monkeypatch):
    marker = tmp_path / "killed"
    algotext = "import time\n" + KILLING.format(marker=str(marker))
    algofile = tmp_path / "killing.py"
    algofile.write_text(algotext)
    monkeypatch.setenv("ZIPLINE_ROOT", str(root))
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                       dashboard_address=None)
    try:
        with distributed.Client(cluster) as client:
            before = set(client.run(os.getpid).values())
            table, perfs = fastportal.sweep(algofile, ["short=3,5", "long=10,20",
                                                       "pause=0"],
                                            ARGUMENTS, client=client, keep_perf=True)
            client.wait_for_workers(2, timeout=60)
            after = set(client.run(os.getpid).values())
    finally:
        cluster.close()
    assert marker.exists()
    # one worker process died; its nanny started another, which Dask gave its points
    assert len(before) == len(after) == 2 and len(before & after) == 1
    assert len(table) == 4 and table["error"].isna().all()
    assert all(perf is not None for perf in perfs)
    assert_rows_are_serial_upstream(algotext, table, perfs, zipline_root, monkeypatch)


def python_descendants(pid):
    """The Python processes under pid (a short-lived helper that ended meanwhile is not
    one)."""
    found = []
    for process in psutil.Process(pid).children(recursive=True):
        try:
            if "python" in process.name():
                found.append(process)
        except psutil.NoSuchProcess:
            pass
    return found


def test_ctrl_c_cancels_the_sweep_and_leaves_no_worker_behind(root, tmp_path):
    algofile = tmp_path / "slow.py"
    algofile.write_text("import time\n" + KILLING.format(marker=str(algofile)))
    # a terminal's Ctrl-C: SIGINT to the command's whole process group, workers included
    command = subprocess.Popen(
        [sys.executable, "-m", "fastportal", "sweep", "-f", str(algofile),
         "-D", "short=3,5,7,9", "-D", "long=10,20", "-D", "pause=0.02", *ARGUMENTS,
         "--workers", "2"],
        env=dict(os.environ, ZIPLINE_ROOT=str(root)), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        # the first point's line: the workers are busy
        first = next(line for line in command.stderr if line.startswith("point ")
                     or line.startswith("fastportal sweep"))
        workers = python_descendants(command.pid)
        os.killpg(command.pid, signal.SIGINT)
        time.sleep(0.3)  # and again, impatient, while the sweep closes its cluster
        if command.poll() is None:
            os.killpg(command.pid, signal.SIGINT)
        out, err = command.communicate(timeout=120)
    finally:
        if command.poll() is None:
            os.killpg(command.pid, signal.SIGKILL)
    assert first.startswith("point 1/8 ("), first + err
    assert len(workers) >= 2
    assert command.returncode == 130, err
    said = err.splitlines()[-1]
    assert said.startswith("fastportal sweep: cancelled after ") and said.endswith(
        " of 8 points"), err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert "Exception ignored" not in err, err
    assert out == ""  # no table
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(p.is_running() for p in workers):
        time.sleep(0.1)
    assert not [p.pid for p in workers if p.is_running()
                and p.status() != psutil.STATUS_ZOMBIE]
