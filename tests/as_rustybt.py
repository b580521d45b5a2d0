"""A pytest plugin (make test-rustybt: pytest -p as_rustybt): fastportal's differential
tests with rustybt as the framework. The tests name zipline's modules; with this plugin
`zipline.X` is rustybt's own module `rustybt.X`, the same object under a second name
(nothing is imported twice, nothing is replaced), so every bundle, portal, BarData and
run_algorithm of the tests is rustybt's, patched and unpatched. Only where zipline is not
installed: the two would be indistinguishable otherwise."""

import importlib
import importlib.abc
import importlib.util
import os
import sys
from pathlib import Path

FRAMEWORK = "rustybt"


class _SecondName(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds zipline and zipline.X as rustybt and rustybt.X."""

    def __init__(self):
        self.own_specs = {}  # second name -> the module's own spec, while it is imported

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "zipline" and not fullname.startswith("zipline."):
            return None
        if importlib.util.find_spec(FRAMEWORK + fullname[len("zipline"):]) is None:
            return None  # no such module of rustybt's: no such module of zipline's
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        module = importlib.import_module(FRAMEWORK + spec.name[len("zipline"):])
        self.own_specs[spec.name] = module.__spec__
        return module

    def exec_module(self, module):
        # imported already, under its own name; the import system has just set the
        # second name's spec on it: its own goes back
        module.__spec__ = self.own_specs.pop(module.__spec__.name)


def second_name():
    """zipline names rustybt's package in this process, from now on (once: a process
    started by the tests has it from sitecustomize already)."""
    if any(isinstance(finder, _SecondName) for finder in sys.meta_path):
        return
    if importlib.util.find_spec("zipline") is not None:
        raise RuntimeError("as_rustybt: zipline is installed here, so the name cannot be "
                           "rustybt's (make test-rustybt runs in .venv-rustybt)")
    importlib.import_module(FRAMEWORK)
    sys.meta_path.insert(0, _SecondName())


def pytest_configure(config):
    second_name()
    # the processes the tests start (a child that must crash, spawned workers) too
    here = Path(__file__).resolve().parent
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(here / "rustybt_site"), str(here), os.environ.get("PYTHONPATH")]))
