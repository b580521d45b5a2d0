"""pytest plugin: fastportal installed before upstream's test modules are imported, the way
a user's process has it installed before zipline builds its BarData and DataPortal.
Writes fastportal.stats() to $FASTPORTAL_STATS at the end of the session: the whole run's
counts under "total" and each test file's under "by file"."""

import json
import os
from collections import Counter

import pytest

import fastportal

_by_file = {}


def pytest_configure(config):
    fastportal.install()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    before = Counter(fastportal.stats())
    yield
    counts = _by_file.setdefault(item.location[0], Counter())
    counts.update(Counter(fastportal.stats()) - before)


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("FASTPORTAL_STATS")
    if path:
        with open(path, "w") as out:
            json.dump({"total": fastportal.stats(), "by file": _by_file}, out)
