"""install(), uninstall(), installed(), patched(): what they change and put back."""

import subprocess
import sys

import fastportal


def patched_attributes():
    import zipline._protocol
    import zipline.protocol
    from zipline.data.data_portal import DataPortal
    from zipline.gens import tradesimulation

    return {
        "zipline._protocol.BarData": zipline._protocol.BarData,
        "zipline.protocol.BarData": zipline.protocol.BarData,
        "tradesimulation.BarData": tradesimulation.BarData,
        "DataPortal.get_history_window": DataPortal.__dict__["get_history_window"],
    }


def test_install_then_uninstall_restores_everything():
    before = patched_attributes()
    fastportal.install()
    during = patched_attributes()
    assert fastportal.installed()
    assert all(during[name] is not before[name] for name in before)
    assert issubclass(during["zipline.protocol.BarData"], before["zipline.protocol.BarData"])
    fastportal.uninstall()
    assert not fastportal.installed()
    assert patched_attributes() == before


def test_install_and_uninstall_are_idempotent():
    before = patched_attributes()
    fastportal.install()
    first = patched_attributes()
    fastportal.install()
    assert patched_attributes() == first
    fastportal.uninstall()
    fastportal.uninstall()
    assert patched_attributes() == before


def test_patched_block():
    before = patched_attributes()
    with fastportal.patched():
        assert fastportal.installed()
        assert patched_attributes() != before
    assert not fastportal.installed()
    assert patched_attributes() == before
    fastportal.install()
    with fastportal.patched():
        pass
    assert fastportal.installed(), "a block leaves an outer install in place"


def test_install_before_zipline_is_imported():
    """A user may call install() first thing: zipline modules imported later, the
    simulator's included, get the patched BarData."""
    code = (
        "import sys, fastportal\n"
        "assert not any(m.startswith('zipline') for m in sys.modules)\n"
        "fastportal.install()\n"
        "from zipline.gens.tradesimulation import BarData\n"
        "from zipline.testing.fixtures import BarData as fixtures_bar_data\n"
        "from zipline._protocol import BarData as upstream\n"
        "assert BarData.__module__ == 'fastportal._patch', BarData\n"
        "assert fixtures_bar_data is BarData and issubclass(BarData, upstream.__mro__[1])\n"
        "fastportal.uninstall()\n"
        "import zipline.gens.tradesimulation as t\n"
        "assert t.BarData.__module__ == 'zipline._protocol'\n"
        "print('ok')\n"
    )
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert child.returncode == 0 and child.stdout.strip() == "ok", child.stderr[-2000:]
