"""A sweep on Dask: every point of the grid a backtest on a worker, each worker patched
once (worker.Patched), the rows gathered into one table in the grid's order."""

import os
import signal
import threading
from pathlib import Path

MISSING = ("fastportal sweep needs dask[distributed]: pip install 'fastportal[sweep]'")


class SweepError(Exception):
    """A sweep that cannot run, said in one line."""


def distributed_module():
    try:
        import distributed
    except ImportError:
        raise SweepError(MISSING) from None
    return distributed


def bundle_of(arguments):
    """The -b/--bundle of zipline run's arguments (its default when not given)."""
    bundle = "quantopian-quandl"
    for i, argument in enumerate(arguments):
        if argument in ("-b", "--bundle") and i + 1 < len(arguments):
            bundle = arguments[i + 1]
        elif argument.startswith("--bundle="):
            bundle = argument.partition("=")[2]
    return bundle


def check_workers(client, bundle, extensions):
    """Every worker can read the bundle from its own ZIPLINE_ROOT, or SweepError naming
    the workers that cannot and why."""
    from fastportal.sweeps.worker import bundle_problem

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
    a local cluster of `workers` processes (default: one a core). `on_row(row, done,
    total)` is called as each point's row arrives. With keep_perf, (table, [perf frame or
    None per row]). Interrupted (Ctrl-C) or failing, it cancels the points not yet run;
    a cluster of its own is closed with its processes."""
    import pandas as pd

    from fastportal.sweeps.grid import parse_defines, points
    from fastportal.sweeps.points import sweep_point
    from fastportal.sweeps.worker import Patched

    distributed = distributed_module()
    grid = parse_defines(defines)
    algotext = Path(algofile).read_text()
    arguments, extensions = list(arguments), list(extensions)
    own = client is None
    if own:
        cluster = local_cluster(distributed, workers or os.cpu_count())
        client = distributed.Client(cluster)
    futures = []
    try:
        client.register_plugin(Patched(interrupted_by_sweep=own))
        check_workers(client, bundle_of(arguments), extensions)
        todo = points(grid)
        futures = client.map(sweep_point, [algotext] * len(todo), todo,
                             [arguments] * len(todo), [extensions] * len(todo),
                             keep_perf=keep_perf, pure=False)
        results = gathered(distributed, futures, on_row, keep_perf)
    except BaseException:
        if futures:
            client.cancel(futures)
        raise
    finally:
        if own:
            client.close()
            cluster.close()
    if not keep_perf:
        return pd.DataFrame(results)
    return pd.DataFrame([row for row, _ in results]), [perf for _, perf in results]


def local_cluster(distributed, workers):
    """A LocalCluster of `workers` single-threaded processes that a terminal's Ctrl-C
    leaves to this process: they start with SIGINT ignored (a spawned interpreter keeps
    an ignored SIGINT), so that the sweep cancels and closes them."""
    main = threading.current_thread() is threading.main_thread()
    if main:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        # no dashboard, and the scheduler's HTTP routes on a free port rather than on
        # 8787, where another cluster's dashboard would make it warn
        return distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True,
            dashboard_address=None,
            scheduler_kwargs={"dashboard": False, "dashboard_address": ":0"})
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)


def gathered(distributed, futures, on_row, keep_perf):
    """The futures' results in their order, on_row told of each as it completes."""
    position = {future.key: i for i, future in enumerate(futures)}
    results = [None] * len(futures)
    for done, (future, result) in enumerate(
            distributed.as_completed(futures, with_results=True), 1):
        results[position[future.key]] = result
        if on_row is not None:
            on_row(result[0] if keep_perf else result, done, len(futures))
    return results
