"""install(), uninstall(), installed(), patched(): what they change and put back."""

import subprocess
import sys

import fastportal
from fastportal.study import scenarios


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


def test_a_forked_child_counts_from_zero(bundle, sessions, assets):
    """stats() in a child forked after calls were counted holds only the child's own."""
    import os

    from conftest import bar_data

    fastportal.install()
    portal = scenarios.data_portal(bundle)
    close = portal.trading_calendar.session_close(sessions[100])
    data = bar_data(portal, lambda: close)
    data.history(assets[0], "close", 5, "1d")
    data.current(assets[0], "close")
    assert fastportal.stats()["served"] == 1
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its counts, then one call of its own
        try:
            before = fastportal.stats()
            data.history(assets[0], "close", 3, "1d")
            after = fastportal.stats()
            os.write(write, repr((before, after)).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        before, after = eval(pipe.read())  # noqa: S307 - our own child's repr of dicts
    os.waitpid(pid, 0)
    assert before == {} and after == {"served": 1}, (before, after)
    assert fastportal.stats()["served"] == 1  # the parent's own, unchanged
