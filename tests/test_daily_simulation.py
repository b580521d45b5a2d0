"""A real daily run_algorithm on the futures bundle, patched against unpatched: every
history form from handle_data, from functions scheduled at the open and the close and
from before_trading_start: one asset and lists (empty, duplicates, equities with
contracts and continuous futures), one field and several, continuous futures of both
roll styles and every adjustment across their rolls, with orders and record. Every
window is identical, the run's results too, and every call was served."""

import pytest

import fastportal
from fastportal.study import scenarios

from conftest import FUTURES, LONG, compare_backtests, looking_strategy, outcome


def forms(context):
    """(assets, fields, n) of every form asked each time."""
    cfs, aaa, contract = context.cfs, context.aaa, context.contract
    return [
        (aaa, "price", 20), (aaa, ["open", "high", "low", "close", "volume"], 30),
        (cfs[0], "price", 60), (cfs[1], "close", 5), (cfs[2], "sid", 10),
        (cfs[3], ["close", "price", "sid"], 40), (cfs[4], "volume", 3),
        ([aaa, cfs[5], contract], "close", 15), ([cfs[0], aaa], ["open", "close"], 8),
        ([], "price", 4), ([aaa, aaa], "close", 2), ((contract, aaa), "high", 1),
        (cfs, ["price", "volume"], 25),
    ]


@pytest.mark.sweep
def test_daily_run_algorithm_sees_the_same(futures_root, futures_bundle):
    """(make test: to 2023-06-15, the rolls, the split and the dividend at sessions 50
    and 100 inside; make test-long: to 2023-11-15, the rolls at 150 and 200 too)"""
    windows, where = [], []

    def look(context, data, label):
        for assets, fields, n in forms(context):
            windows.append(outcome(lambda: data.history(assets, fields, n, "1d")))
            where.append((label, data.current_dt, str(assets), str(fields), n))

    def initialize(context):
        from zipline.api import continuous_future, future_symbol, symbol

        context.aaa = symbol("AAA")
        context.contract = future_symbol("CLG23")
        context.cfs = [continuous_future("CL", offset, roll, adjustment)
                       for roll, offset, adjustment in (
                           ("calendar", 0, "mul"), ("volume", 0, "add"),
                           ("calendar", 1, None), ("volume", 0, None),
                           ("calendar", 0, "add"), ("volume", 1, "mul"))]

    def handle_data(context, data):
        from zipline.api import order_target, record

        look(context, data, "bar")
        recent = data.history(context.aaa, "price", 10, "1d")
        windows.append(recent)
        where.append(("bar", data.current_dt, "AAA", "price", 10))
        order_target(context.aaa, 100 if recent.iloc[-1] > recent.mean() else 0)
        record(mean=recent.mean())

    strategy = looking_strategy(initialize, handle_data, look)

    def run():
        # the rolls at sessions 50, 100, 150, 200; AAA's split at 50, dividend at 100
        return scenarios.run_backtest(FUTURES.name, futures_root, strategy,
                                      start="2023-02-15",
                                      end="2023-11-15" if LONG else "2023-06-15")

    their_windows, _ = compare_backtests(run, windows, where)
    stats = fastportal.stats()
    raised = sum(isinstance(t, Exception) for t in their_windows)
    assert not any(key.startswith(("fell through", "upstream")) for key in stats), stats
    assert stats["served"] == len(their_windows) - raised, stats
