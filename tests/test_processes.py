"""fastportal in other processes, and switched off and on in the middle of a run.

A real run_algorithm patched in a forked child, in a spawned child and in joblib's loky
workers gives upstream's answers: every window and the perf frame, pickled back to the
parent, identical to those of the same run unpatched in the parent, every window served
by the core in the child, and the child's stats() its own. And a run whose strategy calls
uninstall() and install() at several points sees every window, spot value and result of
a wholly unpatched run."""

import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from pandas.testing import assert_frame_equal

import fastportal
from fastportal.study import scenarios

from conftest import (DIFFERENTIAL, MINUTE, assert_same, bar_data, looked_at, looking_strategy,
                      outcome)

# A spawned child and a loky worker import the module their work is in by name: they
# start with the parent's sys.path, which must hold this directory.
TESTS = str(Path(__file__).resolve().parent)
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)

import process_work  # noqa: E402 - importable by children only through the path above

# Over the daily bundle's AAA split and mergers (sessions 40, 80), BBB's split (60), the
# dividends of AAA and CCC (120), CCC's gaps (100) and FFF's start (100); every other
# session, as each daily window's index carries the calendar's CustomBusinessDay, which
# takes pandas some milliseconds to unpickle.
DAILY_RUN = dict(symbols=["AAA", "BBB", "CCC", "FFF"], start="2023-02-15",
                 end="2023-07-31", every=2)
# Over the minute bundle's Thanksgiving holiday and early close, AAA's split and dividend
# (session 6), CCC's gap (session 9) and BBB's last session (12).
MINUTE_RUN = dict(symbols=looked_at(MINUTE, ["AAA", "BBB", "CCC", "DDD"]), start="2023-11-20",
                  end="2023-12-01", data_frequency="minute", frequency="1m",
                  lengths=(3, 30), every=13)


def upstream_backtest(bundle_name, root, **run):
    """process_work.backtest in this process, unpatched."""
    assert not fastportal.installed()
    return process_work.backtest(bundle_name, str(root), **run)


def assert_same_backtest(ours, theirs):
    """Every window where upstream had it, and the perf frame, as compare_backtests
    compares them (orders and transactions carry random ids: their counts compared)."""
    assert ours["where"] == theirs["where"] and len(ours["windows"]) == len(theirs["windows"])
    for o, t, where in zip(ours["windows"], theirs["windows"], theirs["where"]):
        assert_same(o, t, context=str(where))
    random_ids = ["orders", "transactions"]
    assert_frame_equal(ours["perf"].drop(columns=random_ids).sort_index(axis=1),
                       theirs["perf"].drop(columns=random_ids).sort_index(axis=1),
                       check_exact=True)
    for column in random_ids:
        assert (ours["perf"][column].map(len).tolist()
                == theirs["perf"][column].map(len).tolist()), column


def assert_served_in_child(result):
    """The child ran patched, in another process, and its core served every window."""
    assert result["installed"] and result["pid"] != os.getpid(), result["pid"]
    stats = result["stats_after"]
    assert not any(key.startswith(("fell through", "upstream")) for key in stats), stats
    assert stats["served"] == len(result["windows"]) > 0, stats
    assert stats.get("spot values served", 0) > 0, stats


def test_forked_child(zipline_root, bundle, sessions, assets):
    """A child forked from a patched parent runs patched (install() is inherited), answers
    as upstream does, and counts only its own calls: the parent's served calls are not in
    its stats(), and the parent's stats() stay its own."""
    theirs = upstream_backtest(DIFFERENTIAL.name, zipline_root, **DAILY_RUN)
    fastportal.install()
    portal = scenarios.data_portal(bundle)
    close = portal.trading_calendar.session_close(sessions[100])
    data = bar_data(portal, lambda: close)
    data.history(assets[0], "close", 5, "1d")
    data.history(assets, "close", 5, "1d")
    data.current(assets[0], "close")
    parents = fastportal.stats()
    assert parents["served"] == 2 and parents["spot values served"] == 1, parents
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        ours = pool.submit(process_work.backtest, DIFFERENTIAL.name, str(zipline_root),
                           **DAILY_RUN).result()
    assert ours["stats_before"] == {}, ours["stats_before"]
    assert_served_in_child(ours)
    assert_same_backtest(ours, theirs)
    assert fastportal.stats() == parents


def test_spawned_child(minute_root, minute_bundle):
    """A spawned child, a new interpreter that imports fastportal uninstalled, installs
    it and runs a minute backtest from the bundle's root: upstream's answers."""
    theirs = upstream_backtest(MINUTE.name, minute_root, **MINUTE_RUN)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        untouched = pool.submit(fastportal.installed).result()
        ours = pool.submit(process_work.backtest, MINUTE.name, str(minute_root),
                           install=True, **MINUTE_RUN).result()
    assert untouched is False  # the child is not a copy of this process
    assert_served_in_child(ours)
    assert_same_backtest(ours, theirs)
    assert not fastportal.installed() and fastportal.stats() == {}


# Three runs for two loky workers: two daily date ranges on different symbols, and a
# minute run asking for "1d" windows (each session so far folded from minute bars).
LOKY_RUNS = [
    (DIFFERENTIAL.name, "daily", dict(symbols=["AAA", "BBB", "GGG"], start="2023-03-01",
                                      end="2023-05-31", lengths=(1, 15), every=2)),
    (DIFFERENTIAL.name, "daily", dict(symbols=["CCC", "EEE", "FFF", "DDD"],
                                      start="2023-05-15", end="2023-09-29", every=3)),
    (MINUTE.name, "minute", dict(symbols=looked_at(MINUTE, ["DDD", "AAA", "CCC"]),
                                 start="2023-11-21",
                                 end="2023-11-29", data_frequency="minute",
                                 frequency="1d", lengths=(1, 3), every=59)),
]


def test_joblib_loky_workers(zipline_root, bundle, minute_root, minute_bundle):
    """Backtests in joblib's loky workers, each installing fastportal in its worker:
    upstream's answers for each."""
    from joblib import Parallel, delayed

    roots = {"daily": str(zipline_root), "minute": str(minute_root)}
    theirs = [upstream_backtest(name, roots[kind], **run) for name, kind, run in LOKY_RUNS]
    # workers that stay idle for a few seconds exit: they hold zipline and a patched
    # interpreter that nothing else in the session uses
    ours = Parallel(n_jobs=2, backend="loky", idle_worker_timeout=5)(
        delayed(process_work.backtest)(name, roots[kind], install=True, **run)
        for name, kind, run in LOKY_RUNS)
    for o, t in zip(ours, theirs):
        assert_served_in_child(o)
        assert_same_backtest(o, t)
    assert not fastportal.installed()


# -- uninstall() and install() from inside a run ---------------------------------------

# (session of the run, where in it) -> what the strategy calls there, the first time it
# is there. "before" is before_trading_start, "open" and "close" scheduled functions,
# "bar" handle_data (in a minute run, its first sampled minute of the session).
TOGGLES = {
    (3, "bar"): fastportal.uninstall,
    (5, "before"): fastportal.install,
    (7, "open"): fastportal.uninstall,
    (9, "close"): fastportal.install,
    (11, "bar"): fastportal.uninstall,
    (11, "close"): fastportal.install,
    (12, "before"): fastportal.uninstall,
    (13, "bar"): fastportal.install,
}

SYMBOLS = {"daily": ["AAA", "BBB", "CCC", "EEE", "GGG"],
           "minute": ["AAA", "BBB", "CCC", "DDD", "FUF24"]}
# the bar lengths asked of each frequency
LENGTHS = {"1d": (1, 3, 20), "1m": (1, 30)}
# a minute run looks every MINUTE_SAMPLE-th minute from handle_data
MINUTE_SAMPLE = 47


@pytest.mark.parametrize("data_frequency, installed_at_start", [
    ("daily", True), ("daily", False), ("minute", True), ("minute", False)])
def test_uninstall_and_install_inside_a_run(data_frequency, installed_at_start,
                                            zipline_root, bundle, minute_root,
                                            minute_bundle):
    """A strategy that uninstalls and installs fastportal at several sessions and places
    in them (TOGGLES), the run started patched (the simulation's BarData is fastportal's)
    or not (upstream's BarData, its portal's windows patched from the first install()):
    every window, spot value and can_trade at every look, and the perf frame, identical
    to a wholly unpatched run's; the core served windows in every patched stretch."""
    from zipline.api import future_symbol, order_target, record, symbol

    spec, root = ((DIFFERENTIAL, zipline_root) if data_frequency == "daily"
                  else (MINUTE, minute_root))
    frequencies = ("1d",) if data_frequency == "daily" else ("1m", "1d")
    windows, where = [], []
    toggling = {"on": False, "done": [], "served": []}

    def served():
        return fastportal.stats().get("served", 0)

    def toggle(context, label):
        key = (context.session, label)
        if toggling["on"] and key in TOGGLES and key not in toggling["done"]:
            toggling["done"].append(key)
            toggling["served"].append(served())
            TOGGLES[key]()

    def look(context, data, label):
        toggle(context, label)
        for frequency in frequencies:
            for asset in context.assets:
                for n in LENGTHS[frequency]:
                    windows.append(outcome(lambda: data.history(asset, "close", n,
                                                                frequency)))
                    where.append((label, data.current_dt, asset.symbol, n, frequency))
            windows.append(outcome(lambda: data.history(context.assets, "price", 4,
                                                        frequency)))
            where.append((label, data.current_dt, "all", 4, frequency))
            windows.append(outcome(lambda: data.history(context.assets[:3],
                                                        ["open", "volume"], 2,
                                                        frequency)))
            where.append((label, data.current_dt, "three", "fields", frequency))
        for asset in context.assets:
            windows.append(outcome(lambda: data.current(asset, "price")))
            windows.append(outcome(lambda: data.can_trade(asset)))
            where.extend([(label, data.current_dt, asset.symbol, "current"),
                          (label, data.current_dt, asset.symbol, "can_trade")])

    def initialize(context):
        context.assets = [future_symbol(name) if name.startswith("FU") else symbol(name)
                          for name in SYMBOLS[data_frequency]]
        context.session = 0
        context.minutes = 0
        context.looked = -1

    def before(context, data):
        context.session += 1
        look(context, data, "before")

    def handle_data(context, data):
        context.minutes += 1
        if data_frequency == "minute" and context.minutes % MINUTE_SAMPLE:
            return
        label = "bar" if context.looked != context.session else "later bar"
        context.looked = context.session
        look(context, data, label)
        first = context.assets[0]
        if data.can_trade(first):
            recent = data.history(first, "price", 5, frequencies[0])
            order_target(first, 100 if data.current(first, "price") > recent.mean() else 0)
            record(mean=recent.mean())

    strategy = looking_strategy(initialize, handle_data, look)
    strategy.before_trading_start = staticmethod(before)
    start, end = (("2023-02-15", "2023-04-28") if data_frequency == "daily"
                  else ("2023-11-14", "2023-12-01"))

    def run():
        windows.clear()
        where.clear()
        perf = scenarios.run_backtest(spec.name, root, strategy, start=start, end=end,
                                      data_frequency=data_frequency)
        return {"perf": perf, "windows": list(windows), "where": list(where)}

    theirs = run()
    if installed_at_start:
        fastportal.install()
    toggling["on"] = True
    ours = run()
    toggling["served"].append(served())
    assert toggling["done"] == list(TOGGLES), toggling["done"]
    assert fastportal.installed()  # the last toggle installs
    assert_same_backtest(ours, theirs)
    # the stretches of the run between toggles (and its start and end), each patched or
    # not as the toggle before it left fastportal, and the windows the core served in each
    marks = [0, *toggling["served"]]
    patched = [installed_at_start] + [toggle is fastportal.install
                                      for toggle in TOGGLES.values()]
    stretches = [(was, after - before)
                 for was, before, after in zip(patched, marks, marks[1:])]
    assert all(count for was, count in stretches if was), stretches
    # uninstall() takes effect at once, for the BarData made while installed too:
    # nothing is served between uninstall() and install()
    assert not any(count for was, count in stretches if not was), stretches
