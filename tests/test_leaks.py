"""A million history calls of mixed forms in one process (make test: 100,000): after a
warm-up, neither the process's resident memory nor the memory Python traces grows by
1 MiB, and the reference counts of what the calls return and of what they are given stay
as they were. A leak of 16 bytes a call (the smallest Python object) is 1.6 MB over
100,000 calls. FASTPORTAL_LEAK_CALLS sets the number of calls (by default a million
under FASTPORTAL_LONG=1, 100,000 otherwise)."""

import gc
import itertools
import os
import sys
import tracemalloc

import pytest

import fastportal
from fastportal.study import scenarios

from conftest import LONG, bar_data, session_minutes

CALLS = int(os.environ.get("FASTPORTAL_LEAK_CALLS", 1_000_000 if LONG else 100_000))
MIB = 1 << 20


def resident_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def mixed_calls(bundle, minute_bundle, assets, minute_assets):
    """Zero-argument calls of every history form, daily and minute, and current, at clocks
    either side of adjustments."""
    daily_portal = scenarios.data_portal(bundle)
    sessions = bundle.equity_daily_bar_reader.sessions
    close = daily_portal.trading_calendar.session_close
    daily = [bar_data(daily_portal, lambda s=s: close(sessions[s])) for s in (39, 40, 121)]
    minute_portal = scenarios.data_portal(minute_bundle)
    minutes = [bar_data(minute_portal, lambda m=m: m, "minute")
               for m in session_minutes(minute_bundle, 5)[[0, 200, 389]]]
    few, fields = list(assets[:3]), ["open", "close"]
    calls = []
    for data in daily:
        calls += [lambda d=data: d.history(assets[0], "close", 30, "1d"),
                  lambda d=data: d.history(assets[2], "price", 35, "1d"),
                  lambda d=data: d.history(few, "volume", 10, "1d"),
                  lambda d=data: d.history(assets[0], fields, 5, "1d"),
                  lambda d=data: d.history(few, fields, 3, "1d"),
                  lambda d=data: d.current(assets[0], "close")]
    for data in minutes:
        calls += [lambda d=data: d.history(minute_assets[0], "close", 20, "1m"),
                  lambda d=data: d.history(list(minute_assets[:2]), "price", 60, "1m"),
                  lambda d=data: d.history(minute_assets[1], "close", 3, "1d"),
                  lambda d=data: d.history(minute_assets[0], fields, 4, "1m"),
                  lambda d=data: d.current(minute_assets[0], "price")]
    return calls, (few, fields, assets[0], minute_assets[0])


@pytest.mark.sweep
def test_many_calls_hold_no_more_memory(bundle, minute_bundle, assets, minute_assets):
    fastportal.install()
    calls, given = mixed_calls(bundle, minute_bundle, assets, minute_assets)
    for call in calls * 200:  # warm-up: every column, version and pandas cache made
        call()
    served = fastportal.stats().get("served", 0)
    answers = [call() for call in calls]
    gc.collect()  # garbage of earlier tests may refer to the session's assets: gone first
    held = [sys.getrefcount(answer) for answer in answers]
    given_counts = [sys.getrefcount(obj) for obj in given]
    tracemalloc.start()
    traced, resident = tracemalloc.get_traced_memory()[0], resident_bytes()
    for call in itertools.islice(itertools.cycle(calls), CALLS):
        call()
    gc.collect()
    traced_growth = tracemalloc.get_traced_memory()[0] - traced
    tracemalloc.stop()
    resident_growth = resident_bytes() - resident
    print(f"\n{CALLS} calls: traced {traced_growth:+d} B, resident {resident_growth:+d} B")
    assert traced_growth < MIB, traced_growth
    assert resident_growth < MIB, resident_growth
    assert [sys.getrefcount(answer) for answer in answers] == held
    assert [sys.getrefcount(obj) for obj in given] == given_counts
    history_calls = sum(1 for call in calls if "history" in call.__code__.co_names)
    assert fastportal.stats()["served"] - served >= CALLS * history_calls // len(calls)
