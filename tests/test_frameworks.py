"""The frameworks the shim patches (fastportal._framework): each found from its package
name or from an object of its own, its names imported from its own modules, and a
framework that is installed but does not import left unpatched with a warning, the
others patched as usual."""

import subprocess
import sys

import pytest

import fastportal
from fastportal import _framework


def test_names_come_from_the_frameworks_own_modules():
    from zipline._protocol import BarData
    from zipline.assets import Equity
    from zipline.assets.continuous_futures import ContinuousFuture
    from zipline.data.data_portal import DataPortal

    zipline = _framework.framework("zipline")
    assert zipline is _framework.framework("zipline")
    assert (zipline.BarData, zipline.DataPortal, zipline.Equity, zipline.ContinuousFuture) == (
        BarData, DataPortal, Equity, ContinuousFuture)
    assert zipline.owns("zipline") and zipline.owns("zipline.data.data_portal")
    assert not zipline.owns("ziplinex") and not zipline.owns("rustybt.data")
    with pytest.raises(AttributeError):
        zipline.Nothing  # noqa: B018 - the attribute is the test
    with pytest.raises(ValueError, match="knows no framework 'backtrader'"):
        _framework.framework("backtrader")


def test_an_object_belongs_to_the_framework_of_its_first_class_defined_in_one():
    from zipline.data.data_portal import DataPortal

    class UsersPortal(DataPortal):
        pass

    portal = UsersPortal.__new__(UsersPortal)
    assert _framework.of(portal) is _framework.framework("zipline")
    assert _framework.of(object()) is None  # not a framework's: left to upstream


BROKEN = """
import warnings
import fastportal
from fastportal import _framework
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    fastportal.install()
from zipline._protocol import BarData
from zipline.data.data_portal import DataPortal
print([str(w.message) for w in caught])
print(BarData.__module__, DataPortal.get_history_window.__module__)
print([f.name for f in _framework.importable()])
"""


def test_a_framework_that_does_not_import_is_left_with_a_warning(tmp_path):
    broken = tmp_path / "rustybt"
    broken.mkdir()
    (broken / "__init__.py").write_text("raise ImportError('numpy.core.multiarray failed')\n")
    done = subprocess.run([sys.executable, "-c", BROKEN], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    said, patched, found = done.stdout.splitlines()
    assert "rustybt is installed but does not import (ImportError: numpy.core.multiarray " \
           "failed); it is not patched" in said
    assert patched == "fastportal._patch fastportal._patch"
    assert found == "['zipline']"


def test_install_patches_each_installed_framework():
    import importlib.util

    installed = [name for name in _framework.NAMES if importlib.util.find_spec(name)]
    assert [f.name for f in _framework.importable()] == installed
    with fastportal.patched():
        for name in installed:
            bar_data = _framework.framework(name).module("_protocol").BarData
            assert bar_data.__module__ == "fastportal._patch", name
    for name in set(_framework.NAMES) - set(installed):
        assert name not in sys.modules


def test_an_install_that_fails_leaves_nothing_patched(monkeypatch):
    from exchange_calendars import ExchangeCalendar

    from fastportal import _patch

    before = dict(ExchangeCalendar.__dict__)

    def broken(framework):
        raise RuntimeError("spot patches broke")

    monkeypatch.setattr(_patch, "spot_patches", broken)
    with pytest.raises(RuntimeError, match="spot patches broke"):
        fastportal.install()
    assert not fastportal.installed()
    assert dict(ExchangeCalendar.__dict__) == before
    monkeypatch.undo()
    with fastportal.patched():  # and a later install works
        assert fastportal.installed()


def test_a_portal_of_no_framework_is_left_to_upstream():
    from fastportal import _portal, _spot

    class Portal:  # duck-typed, as a user's stand-in would be
        trading_calendar = None

    assert _spot.spot_core(Portal()) is False
    assert _portal.portal_core(Portal()) is None
