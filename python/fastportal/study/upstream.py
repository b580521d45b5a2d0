"""The framework the study's backtests run on: zipline-reloaded or rustybt, whose modules
keep zipline's names under its own package (rustybt.api, rustybt.data.bundles, ...).
Chosen once per process (fastportal profile --framework, passed on to each backtest's
process); by default the first of them installed here, zipline before rustybt."""

import importlib
import importlib.util

from fastportal._framework import NAMES

# package -> (distribution, the version fastportal is tested with)
DISTRIBUTIONS = {"zipline": ("zipline-reloaded", "3.2.1"), "rustybt": ("rustybt", "0.3.3")}

_chosen = None


def installed():
    return [name for name in NAMES if importlib.util.find_spec(name) is not None]


def choose(name=None):
    """Make `name` (default: the first installed) the framework of this process; returns
    it. ImportError, said in one line, when it is not importable here."""
    global _chosen
    if name is None:
        found = installed()
        name = found[0] if found else NAMES[0]
    if name not in NAMES:
        raise ValueError(f"unknown framework {name!r}; choose from {', '.join(NAMES)}")
    try:
        importlib.import_module(name)
    except ImportError as exc:
        distribution, version = DISTRIBUTIONS[name]
        raise ImportError(f"{distribution} is not importable here ({exc}); install it with "
                          f"pip install {distribution}=={version}") from None
    _chosen = name
    return name


def name():
    return _chosen or choose()


def module(path=""):
    """The chosen framework's module at `path` (zipline's dotted name without `zipline.`),
    or its package for ""."""
    return importlib.import_module(f"{name()}.{path}" if path else name())
