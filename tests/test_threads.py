"""Several threads on one warm patched portal: each answer as upstream's, and a column
keeps the versions either side of an adjustment instead of rebuilding at every switch.

zipline's SQLite readers refuse use from a thread other than the one that opened them,
so the portal is warmed (every asset's rows and adjustments read) in the main thread
first; upstream is under the same rule."""

import random
import sys
import threading

import fastportal
from fastportal.study import scenarios

from conftest import assert_same, bar_data, outcome, session_minutes, unpatched

THREADS = 4


def at(bundle, portal, position):
    sessions = bundle.equity_daily_bar_reader.sessions
    return portal.trading_calendar.session_close(sessions[position])


def in_threads(work):
    """work(i) in THREADS threads started together, switching as often as CPython can;
    their results in thread order. An exception in a thread fails the test."""
    results, errors = [None] * THREADS, []
    start = threading.Barrier(THREADS)

    def run(i):
        try:
            start.wait()
            results[i] = work(i)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert not errors, errors
    return results


def daily_calls(assets):
    """(session position, asset, field, bar_count) crossing the adjustments of AAA (40,
    80, 120), BBB (60), CCC (120) and FFF (150)."""
    return [(position, asset, field, n)
            for position in (35, 41, 79, 81, 119, 121, 149, 151, 201)
            for asset in assets[:3] + assets[5:6]
            for field in ("close", "price", "volume")
            for n in (1, 30, 100)]


def test_daily_threads_crossing_adjustments_answer_as_upstream(bundle, assets):
    calls = daily_calls(list(assets))

    def answer(portal, clock, call):
        position, asset, field, n = call
        clock[0] = at(bundle, portal, position)
        return outcome(lambda: data_of(portal, clock).history(asset, field, n, "1d"))

    def data_of(portal, clock):
        return bar_data(portal, lambda: clock[0])

    with unpatched():
        portal = scenarios.data_portal(bundle)
        theirs = [answer(portal, [None], call) for call in calls]
    fastportal.install()
    portal = scenarios.data_portal(bundle)
    for call in calls:  # warm: every reader row and adjustment read in this thread
        answer(portal, [None], call)

    def work(i):
        order = list(range(len(calls)))
        random.Random(i).shuffle(order)
        clock = [None]
        return [(k, answer(portal, clock, calls[k])) for k in order * 3]

    served = fastportal.stats().get("served", 0)
    for results in in_threads(work):
        for k, ours in results:
            assert_same(ours, theirs[k], f"thread answer to {calls[k]}")
    answered = sum(not isinstance(t, Exception) for t in theirs)
    assert fastportal.stats().get("served", 0) - served == THREADS * 3 * answered


def test_minute_threads_answer_as_upstream(minute_bundle, minute_assets):
    minutes = [m for position in (4, 5, 6, 7) for m in session_minutes(minute_bundle,
                                                                         position)[::97]]
    calls = [(minute, asset, field, n, frequency)
             for minute in minutes for asset in minute_assets[:3]
             for field in ("close", "price", "volume")
             for n, frequency in ((15, "1m"), (400, "1m"), (3, "1d"))]

    def answer(portal, call):
        minute, asset, field, n, frequency = call
        data = bar_data(portal, lambda: minute, "minute")
        return outcome(lambda: data.history(asset, field, n, frequency))

    with unpatched():
        portal = scenarios.data_portal(minute_bundle)
        theirs = [answer(portal, call) for call in calls]
    fastportal.install()
    portal = scenarios.data_portal(minute_bundle)
    for call in calls:
        answer(portal, call)

    def work(i):
        order = list(range(len(calls)))
        random.Random(i).shuffle(order)
        return [(k, answer(portal, calls[k])) for k in order * 2]

    for results in in_threads(work):
        for k, ours in results:
            assert_same(ours, theirs[k], f"thread answer to {calls[k]}")


def test_threads_either_side_of_an_adjustment_share_two_versions(bundle, assets):
    """Two threads just before AAA's adjustments at session 40, two just after: the
    column keeps both versions rather than rebuilding whenever the other side asks."""
    aaa = assets[0]
    fastportal.install()
    portal = scenarios.data_portal(bundle)
    sides = (at(bundle, portal, 39), at(bundle, portal, 40))
    with unpatched():
        theirs = [bar_data(scenarios.data_portal(bundle), lambda s=s: s).history(
            aaa, "close", 20, "1d") for s in sides]
    datas = [bar_data(portal, lambda s=s: s) for s in sides]
    for data in datas:
        data.history(aaa, "close", 20, "1d")
    column = portal.__dict__["_fastportal_core"].columns[(aaa, "close")]
    made = column.versions_made

    def work(i):
        data = datas[i % 2]
        return [data.history(aaa, "close", 20, "1d") for _ in range(3000)]

    for i, results in enumerate(in_threads(work)):
        for ours in results[::300]:
            assert_same(ours, theirs[i % 2], f"thread {i}")
    assert column.versions_made == made == 2


def test_a_cold_read_from_another_thread_fails_as_upstream_and_is_served_later(
        bundle, assets):
    """zipline's adjustment reader refuses a thread other than the one that opened it: a
    window of an asset not read yet fails from a thread, upstream and patched alike;
    patched, the same window from the reader's own thread is served afterwards."""
    def from_thread(data):
        outcomes = []
        thread = threading.Thread(target=lambda: outcomes.append(
            outcome(lambda: data.history(assets[1], "close", 10, "1d"))))
        thread.start()
        thread.join()
        return outcomes[0]

    def data_of(portal):
        return bar_data(portal, lambda: at(bundle, portal, 120))

    with unpatched():
        portal = scenarios.data_portal(bundle)
        theirs = from_thread(data_of(portal))
        expected = data_of(portal).history(assets[1], "close", 10, "1d")
    fastportal.install()
    portal = scenarios.data_portal(bundle)
    ours = from_thread(data_of(portal))
    assert type(ours) is type(theirs) and type(theirs).__name__ == "ProgrammingError"
    assert str(ours).split(".")[0] == str(theirs).split(".")[0] == (
        "SQLite objects created in a thread can only be used in that same thread")
    served = fastportal.stats().get("served", 0)
    assert_same(data_of(portal).history(assets[1], "close", 10, "1d"), expected)
    assert fastportal.stats().get("served", 0) == served + 1
