"""Every row of README.md's misuse table, patched and upstream: the call in the row gives
the exception (type, and message where the row states one) or value the row states,
patched exactly as upstream; where the row says upstream crashes, a forked child shows
that it still does, and patched raises the TypeError the row states."""

import faulthandler
import os
import re
import signal
from pathlib import Path

import pytest

import fastportal
from fastportal.study import scenarios

from conftest import assert_same, bar_data, outcome, unpatched

README = Path(__file__).resolve().parent.parent / "README.md"
ROW = re.compile(r"^\| (?P<misuse>.+?) \| `(?P<call>[^`]+)` \| (?P<gets>.+) \|$")
EXCEPTION = re.compile(r"^`(?P<type>\w+)(?:: (?P<message>[^`]*))?`")
CRASH = "upstream crashes; "


def misuse_rows():
    text = README.read_text()
    start = text.index("<!-- misuse table")
    table = text[start:text.index("<!-- end of misuse table -->")]
    rows = [ROW.match(line) for line in table.splitlines()[3:] if line.strip()]
    assert rows and all(rows), "every line of the table is a row of three cells"
    return [row.groupdict() for row in rows]


ROWS = misuse_rows()


@pytest.fixture
def make_data(bundle, sessions):
    def make():
        portal = scenarios.data_portal(bundle)
        close = portal.trading_calendar.session_close(sessions[100])
        assert str(close.date()) == "2023-05-26" and str(sessions[0].date()) == "2023-01-03"
        return bar_data(portal, lambda: close)

    return make


def run(call, data, asset):
    return outcome(lambda: eval(call, {"data": data, "asset": asset}))


def upstream_crashes(call, data, asset):
    """Whether call, made unpatched in a forked child, kills it (a segmentation fault, or
    AddressSanitizer's report of one under make sanitize) rather than returning or
    raising."""
    child = os.fork()
    if child == 0:
        try:
            faulthandler.disable()  # the crash is expected: no dump of it
            os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
            fastportal.uninstall()
            run(call, data, asset)
        finally:
            os._exit(3)
    _, status = os.waitpid(child, 0)
    if os.WIFSIGNALED(status):
        return os.WTERMSIG(status) in (signal.SIGSEGV, signal.SIGBUS)
    return os.WEXITSTATUS(status) != 3


@pytest.mark.parametrize("row", ROWS, ids=[row["misuse"] for row in ROWS])
def test_misuse_gets_what_the_readme_says(row, make_data, assets):
    asset, gets = assets[0], row["gets"]
    crashes = gets.startswith(CRASH)
    if crashes:
        with unpatched():
            assert upstream_crashes(row["call"], make_data(), asset), row
        gets = gets[len(CRASH):]
    else:
        with unpatched():
            theirs = run(row["call"], make_data(), asset)
    fastportal.install()
    ours = run(row["call"], make_data(), asset)
    stated = EXCEPTION.match(gets)
    if stated is None:
        assert not isinstance(ours, Exception), (row, ours)
        if gets == "NaN":
            assert ours != ours, (row, ours)
    else:
        assert type(ours).__name__ == stated["type"], (row, ours)
        if stated["message"] is not None:
            assert str(ours) == stated["message"], (row, ours)
    if not crashes:
        assert_same(ours, theirs, row["misuse"])


def test_the_table_covers_the_misuses_the_guide_names():
    """bar_count 0, negative, float, bool, huge or a string; an unknown field or
    frequency; a string, None or a number as an asset; a window before the data."""
    misuses = " / ".join(row["misuse"] for row in ROWS)
    for named in ("`bar_count` 0", "`bar_count` negative", "`bar_count` a float",
                  "`bar_count` True", "`bar_count` larger", "`bar_count` a string",
                  "an unknown field", "an unknown frequency", "a symbol string as the asset",
                  "None as the asset", "a number as the asset", "a window before the data"):
        assert named in misuses, named
