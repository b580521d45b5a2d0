"""What a Dask worker of a sweep holds: fastportal installed once (a worker plugin), and
each bundle loaded once, from the worker's own ZIPLINE_ROOT."""

import os

from distributed import WorkerPlugin


class Patched(WorkerPlugin):
    """fastportal.install() in the worker, once; zipline's bundle loading remembered per
    bundle, root and timestamp, so that a worker's grid points share one load."""

    name = "fastportal-sweep"

    def setup(self, worker):
        import fastportal
        from zipline.data import bundles

        fastportal.install()
        if not hasattr(bundles.load, "__wrapped__"):
            bundles.load = remembered(bundles.load)


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
    from zipline.data import bundles
    from zipline.utils.paths import zipline_root
    from zipline.utils.run_algo import load_extensions

    try:
        load_extensions(True, extensions, True, os.environ)
    except Exception as exc:  # noqa: BLE001 - said with the worker's name
        return f"an extension could not be loaded ({type(exc).__name__}: {exc})"
    if name not in bundles.bundles:
        return f"bundle {name!r} is not registered"
    if not bundles.ingestions_for_bundle(name, os.environ):
        return f"bundle {name!r} has no ingested data in {zipline_root()}"
    return None
