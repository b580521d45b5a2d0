"""pytest plugin: fastportal installed before upstream's test modules are imported, the way
a user's process has it installed before zipline builds its BarData and DataPortal.
Writes fastportal.stats() to $FASTPORTAL_STATS at the end of the session."""

import json
import os

import fastportal


def pytest_configure(config):
    fastportal.install()


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("FASTPORTAL_STATS")
    if path:
        with open(path, "w") as out:
            json.dump(fastportal.stats(), out)
