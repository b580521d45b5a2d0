"""fastportal: zipline's data.history() served from C, with the same answers.

    import fastportal
    fastportal.install()          # patch zipline in this process
    fastportal.uninstall()        # put every patched attribute back
    with fastportal.patched():    # patched inside the block only
        ...
    fastportal.stats()            # calls served by the core, and fallbacks by reason
    fastportal.sweep(...)         # a grid of -D defines on Dask (fastportal[sweep])

In IPython or Jupyter, `%load_ext fastportal` installs it; zipline's own `%%zipline` cell
magic then runs patched.
"""

import os
from contextlib import contextmanager

from fastportal import _core, _patch, _portal
from fastportal.sweeps.run import sweep  # Dask itself imported only by a sweep

__version__ = "0.1.0"
__all__ = ["install", "uninstall", "installed", "patched", "stats", "reset_stats", "sweep"]


def install():
    """Patch zipline so that data.history() is served by the core. Idempotent."""
    _patch.install()


def uninstall():
    """Restore every attribute install() replaced. Idempotent."""
    _patch.uninstall()


def installed():
    """Whether fastportal is installed in this process."""
    return _patch.installed()


@contextmanager
def patched():
    """Install fastportal for the duration of a with block (if it was not already)."""
    was_installed = installed()
    install()
    try:
        yield
    finally:
        if not was_installed:
            uninstall()


def stats():
    """{"served": n, "fell through: <reason>": n, "upstream answered: <window>": n, ...}
    since the last reset_stats(): calls the core served, why others were not, and how many
    upstream answered ("upstream answered: ...") or refused with its own error ("upstream
    raised: ...") by kind of window ("1m", "1d, minute data", "1d, daily data")."""
    counts = dict(_portal.stats)
    served = _core.windows_served(False)
    if served:
        counts["served"] = served
    spot_served = _core.spot_values_served(False)
    if spot_served:
        counts["spot values served"] = spot_served
    return counts


def load_ipython_extension(ipython):
    """`%load_ext fastportal`: install, and load zipline's own IPython extension (its
    `%%zipline` magic) if zipline is importable and it is not loaded yet."""
    install()
    try:
        import zipline  # noqa: F401
    except ImportError:
        return
    ipython.extension_manager.load_extension("zipline")


def unload_ipython_extension(ipython):
    """`%unload_ext fastportal`: uninstall."""
    uninstall()


def reset_stats():
    _portal.stats.clear()
    _core.windows_served(True)
    _core.spot_values_served(True)


# A forked child counts its own calls: it starts from zero, not from its parent's counts.
os.register_at_fork(after_in_child=reset_stats)
