"""What a Dask worker of a sweep holds: fastportal installed once (a worker plugin), and
each bundle loaded once, from the worker's own ZIPLINE_ROOT."""

import logging
import os
import signal
import threading

from distributed import WorkerPlugin


class Patched(WorkerPlugin):
    """fastportal.install() in the worker, once; zipline's bundle loading remembered per
    bundle, root and timestamp, so that a worker's grid points share one load. zipline
    run's INFO lines of every point are not logged (its warnings are), unless the worker
    configured logging itself.

    `interrupted_by_sweep`: the worker is a sweep's own local process, which a
    terminal's Ctrl-C reaches too; it leaves the interrupt to the sweep, which cancels
    and closes its cluster, rather than dying with a traceback of its own (a worker that
    a nanny restarts comes here again)."""

    name = "fastportal-sweep"

    def __init__(self, interrupted_by_sweep=False):
        self.interrupted_by_sweep = interrupted_by_sweep
        self.installed_before = True

    def setup(self, worker):
        import fastportal
        from fastportal.study import upstream

        bundles = upstream.module("data.bundles")
        if self.interrupted_by_sweep and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        # before zipline's main, whose basicConfig at INFO is then a no-op
        logging.basicConfig(level=logging.WARNING)
        self.installed_before = fastportal.installed()
        fastportal.install()
        if not hasattr(bundles.load, "__wrapped__"):
            bundles.load = remembered(bundles.load)

    def teardown(self, worker):
        """The worker as the sweep found it (on a cluster of others' that outlives it):
        zipline's bundle loading, and its loaded bundles let go of; fastportal
        uninstalled, unless it was installed before."""
        import fastportal
        from fastportal.study import upstream

        bundles = upstream.module("data.bundles")
        bundles.load = getattr(bundles.load, "__wrapped__", bundles.load)
        if not self.installed_before:
            fastportal.uninstall()


def remembered(load):
    loaded = {}

    def load_once(name, environ=os.environ, timestamp=None):
        key = (name, environ.get("ZIPLINE_ROOT"), timestamp)
        if key not in loaded:
            loaded[key] = load(name, environ, timestamp)
        return loaded[key]

    load_once.__wrapped__ = load
    return load_once


def bundle_problem(name, extensions):
    """Why this worker cannot run a backtest on the bundle (None if it can): not
    registered by its $ZIPLINE_ROOT/extension.py or the sweep's extensions, or no
    ingestion in its ZIPLINE_ROOT."""
    from fastportal.study import upstream

    bundles = upstream.module("data.bundles")
    try:
        upstream.module("utils.run_algo").load_extensions(True, extensions, True, os.environ)
    except Exception as exc:  # noqa: BLE001 - said with the worker's name
        return f"an extension could not be loaded ({type(exc).__name__}: {exc})"
    if name not in bundles.bundles:
        return f"bundle {name!r} is not registered"
    try:
        ingested = bundles.ingestions_for_bundle(name, os.environ)
    except FileNotFoundError:  # never ingested here: no folder of its own yet
        ingested = []
    if not ingested:
        root = upstream.module("utils.paths").zipline_root()
        return f"bundle {name!r} has no ingested data in {root}"
    return None
