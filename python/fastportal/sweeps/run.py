"""A sweep on Dask: every point of the grid a backtest on a worker, each worker patched
once (worker.Patched), the rows gathered into one table in the grid's order."""

import contextlib
import os
import signal
import threading
from pathlib import Path

MISSING = ("fastportal sweep needs dask[distributed]: pip install 'fastportal[sweep]'")
# how long a running cluster may take to have a worker
WORKER_WAIT_S = 60


class SweepError(Exception):
    """A sweep that cannot run, said in one line."""


def distributed_module():
    try:
        import distributed
    except ImportError:
        raise SweepError(MISSING) from None
    return distributed


def bundle_of(arguments):
    """The bundle of zipline run's arguments as its own parser reads them (its default
    when not given); SweepError with its message for arguments it refuses, so that a
    mistyped option stops the sweep before any point runs."""
    import click

    from fastportal.study import upstream

    run = upstream.module("__main__").run
    try:
        with run.make_context("run", ["-t", "", *arguments]) as context:
            parsed = context.params
    except click.exceptions.Exit:
        raise SweepError("the options after fastportal sweep's own are zipline run's: "
                         "see zipline run --help") from None
    except click.ClickException as exc:
        raise SweepError(f"zipline run: {exc.format_message()}") from None
    if parsed["start"] is None or parsed["end"] is None:
        raise SweepError("zipline run needs the simulation's dates: -s/--start and "
                         "-e/--end")
    return parsed["bundle"]


def check_workers(client, bundle, extensions):
    """Every worker can read the bundle from its own ZIPLINE_ROOT, or SweepError naming
    the workers that cannot and why; SweepError if the cluster has no worker."""
    from fastportal.sweeps.worker import bundle_problem

    try:
        client.wait_for_workers(1, timeout=WORKER_WAIT_S)
    except TimeoutError:
        raise SweepError(f"the cluster at {client.scheduler.address} has had no worker "
                         f"for {WORKER_WAIT_S} s") from None
    problems = {address: problem for address, problem
                in client.run(bundle_problem, bundle, extensions).items() if problem}
    if problems:
        raise SweepError("; ".join(f"worker {address}: {problem}"
                                   for address, problem in sorted(problems.items())))


def sweep(algofile, defines, arguments=(), extensions=(), client=None, workers=None,
          keep_perf=False, on_row=None):
    """The table of a sweep: one row per point of the -D grid (grid.points), each the
    algorithm file run by zipline's own `run` command with the point's defines and
    `arguments` (zipline run's: -b, -s, -e, ...), on `client` (a distributed.Client) or on
    a local cluster of `workers` processes (default: one a core, no more than the
    points). `on_row(row, done, total)` is called as each point's row arrives. With
    keep_perf, (table, [perf frame or None per row]). Interrupted (Ctrl-C) or failing, it
    cancels the points not yet run; a cluster of its own is closed with its processes."""
    import pandas as pd

    from fastportal.sweeps.grid import parse_defines, points
    from fastportal.sweeps.points import RESULTS, sweep_point
    from fastportal.sweeps.worker import Patched

    distributed = distributed_module()
    todo = points(parse_defines(defines, reserved=RESULTS))
    algotext = Path(algofile).read_text()
    arguments, extensions = list(arguments), list(extensions)
    bundle = bundle_of(arguments)
    own = client is None
    cluster = None
    try:
        if own:
            cluster = local_cluster(distributed, min(workers or os.cpu_count(), len(todo)))
            client = distributed.Client(cluster)
        client.register_plugin(Patched(interrupted_by_sweep=own))
        check_workers(client, bundle, extensions)
        futures = client.map(sweep_point, [algotext] * len(todo), todo,
                             [arguments] * len(todo), [extensions] * len(todo),
                             keep_perf=keep_perf, pure=False)
        results = gathered(distributed, client, futures, on_row, keep_perf)
    finally:
        if own:
            with interrupts_ignored():  # a second Ctrl-C does not cut the closing short
                if client is not None:
                    client.close()
                if cluster is not None:
                    cluster.close()
        else:
            # a cluster of others' that outlives the sweep: its workers as they were
            with contextlib.suppress(Exception):
                client.unregister_worker_plugin(Patched.name)
    if not keep_perf:
        return pd.DataFrame(results)
    return pd.DataFrame([row for row, _ in results]), [perf for _, perf in results]


@contextlib.contextmanager
def interrupts_ignored():
    """SIGINT ignored for the block (in the main thread, where Python handles it)."""
    main = threading.current_thread() is threading.main_thread()
    if main:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)


def local_cluster(distributed, workers):
    """A LocalCluster of `workers` single-threaded processes that a terminal's Ctrl-C
    leaves to this process: they start with SIGINT ignored (a spawned interpreter keeps
    an ignored SIGINT), so that the sweep cancels and closes them. A Ctrl-C while they
    start (a second or two) is not seen."""
    with interrupts_ignored():
        # no dashboard, and the scheduler's HTTP routes on a free port rather than on
        # 8787, where another cluster's dashboard would make it warn
        return distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True,
            dashboard_address=None,
            scheduler_kwargs={"dashboard": False, "dashboard_address": ":0"})


def gathered(distributed, client, futures, on_row, keep_perf):
    """The points' results in their order, on_row told of each as it completes. A
    point's result is let go of on the cluster once here (the `futures` list is emptied:
    a worker that dies later does not take it with it). Interrupted or failing, the
    points still pending are cancelled."""
    pending = {future.key: (i, future) for i, future in enumerate(futures)}
    futures.clear()
    results = [None] * len(pending)
    try:
        for done, (future, result) in enumerate(distributed.as_completed(
                [future for _, future in pending.values()], with_results=True,
                raise_errors=False), 1):
            i, _ = pending.pop(future.key)
            if future.status != "finished":
                raise SweepError(f"a point did not finish on the cluster ({future.status}: "
                                 f"{type(result).__name__}: {result}); {done - 1} of "
                                 f"{len(results)} points had")
            results[i] = result
            if on_row is not None:
                on_row(result[0] if keep_perf else result, done, len(results))
    except BaseException:
        with contextlib.suppress(Exception):
            client.cancel([future for _, future in pending.values()])
        raise
    return results
