"""A real run_algorithm in minute mode on the minute bundle, patched against unpatched:
history from before_trading_start (where upstream steps back to the previous market
minute and adjusts), from handle_data at sampled minutes and from functions scheduled at
the open and the close, "1m" and "1d", every field, one asset and a list of them, several
fields at once, over
sessions with a split, dividends, a merger, the Thanksgiving holiday and early close, an
asset that stops trading and a future starting. Every window is identical, and so are
the run's results."""

import fastportal
from fastportal.study import scenarios

from conftest import (FIELDS, MINUTE, MINUTE_FUTURES, compare_backtests, looked_at,
                      looking_strategy, outcome)

# handle_data looks every SAMPLE_EVERY-th minute; scheduled functions look at the open
# and the close of every session.
SAMPLE_EVERY = 47
LENGTHS = {"1m": (1, 30, 400), "1d": (1, 3)}


def test_minute_run_algorithm_sees_the_same(minute_root, minute_bundle):
    windows, where = [], []

    def look(context, data, label):
        for frequency, lengths in LENGTHS.items():
            for asset in context.assets:
                for field in FIELDS:
                    for n in lengths:
                        windows.append(data.history(asset, field, n, frequency))
                        where.append((label, data.current_dt, asset.symbol, field, n,
                                      frequency))
            windows.append(data.history(context.assets, "price", 5, frequency))
            where.append((label, data.current_dt, "all", "price", 5, frequency))
            for assets in (context.assets[0], context.assets[::-1]):
                windows.append(data.history(assets, ["open", "close", "price", "volume"],
                                            4, frequency))
                where.append((label, data.current_dt, str(assets), "fields", 4, frequency))

    def initialize(context):
        from zipline.api import future_symbol, symbol

        futures = {a.symbol for a in MINUTE.assets if a.root_symbol}
        context.assets = [future_symbol(name) if name in futures else symbol(name)
                          for name in looked_at(MINUTE)]
        context.bars = 0

    def handle_data(context, data):
        from zipline.api import order_target, record

        context.bars += 1
        if context.bars % SAMPLE_EVERY:
            return
        look(context, data, "bar")
        first = context.assets[0]
        recent = data.history(first, "close", 20, "1m")
        windows.append(recent)
        where.append(("bar", data.current_dt, first.symbol, "close", 20, "1m"))
        order_target(first, 100 if data.current(first, "close") > recent.mean() else 0)
        record(mean=recent.mean())

    strategy = looking_strategy(initialize, handle_data, look)

    def run():
        # sessions 5..12: AAA's split and dividend at 6, DDD's dividend at 9 and merger
        # at 11, CCC's split at 10 and its gap at 9, BBB's last session 12, FUF24 from 5,
        # the holiday and the early close (session 8)
        return scenarios.run_backtest(MINUTE.name, minute_root, strategy,
                                      start="2023-11-20", end="2023-11-30",
                                      data_frequency="minute")

    their_windows, their_where = compare_backtests(run, windows, where)
    assert {label for label, *_ in their_where} == {"before", "open", "close", "bar"}
    stats = fastportal.stats()
    # before_trading_start too: the core steps back and adjusts as upstream does
    assert not any(key.startswith(("fell through", "upstream")) for key in stats), stats
    assert stats["served"] == len(their_windows), stats


def continuous_forms(context):
    """(assets, fields, n) of every form asked each time, on the minute futures chain."""
    cfs, aaa, contract = context.cfs, context.aaa, context.contract
    return [
        (aaa, "price", 20), ([cfs[0]], ["open", "high", "low", "close", "volume"], 30),
        (cfs[0], "price", 60), (cfs[1], "close", 5), (cfs[2], "sid", 10),
        ([cfs[3]], ["close", "price", "sid"], 40), (cfs[4], "volume", 3),
        ([aaa, cfs[5], contract], "close", 15), ([cfs[0], aaa], ["open", "close"], 8),
        ([aaa, aaa], "close", 2), ((contract, aaa), "high", 1),
        (cfs, ["price", "volume"], 25), (cfs[1:3], ["sid"], 4),
    ]


def test_minute_run_algorithm_with_continuous_futures(minute_futures_root,
                                                      minute_futures_bundle):
    """Every history form, "1m" and "1d", with continuous futures of both roll styles
    and every adjustment across the chain's rolls, from handle_data, scheduled functions
    and before_trading_start of a minute simulation: every window identical and every
    call served (or refused with upstream's own error where its roll finder runs past
    the chain)."""
    windows, where = [], []

    def look(context, data, label):
        for frequency in ("1m", "1d"):
            for assets, fields, n in continuous_forms(context):
                if frequency == "1d":
                    n = n % 3 + 1  # the bundle starts two sessions before the run
                windows.append(outcome(lambda: data.history(assets, fields, n, frequency)))
                where.append((label, data.current_dt, str(assets), str(fields), n,
                              frequency))

    def initialize(context):
        from zipline.api import continuous_future, future_symbol, symbol

        context.aaa = symbol("AAA")
        context.contract = future_symbol("FUZ23")
        context.cfs = [continuous_future("FU", offset, roll, adjustment)
                       for roll, offset, adjustment in (
                           ("calendar", 0, "mul"), ("volume", 0, "add"),
                           ("calendar", 1, None), ("volume", 0, None),
                           ("calendar", 0, "add"), ("volume", 1, "mul"))]
        context.bars = 0

    def handle_data(context, data):
        from zipline.api import order_target, record

        context.bars += 1
        if context.bars % 97:
            return
        look(context, data, "bar")
        recent = data.history(context.cfs[0], "price", 30, "1m")
        windows.append(recent)
        where.append(("bar", data.current_dt, "cf", "price", 30, "1m"))
        order_target(context.aaa, 100 if recent.iloc[-1] > recent.mean() else 0)
        record(mean=recent.mean())

    strategy = looking_strategy(initialize, handle_data, look)

    def run():
        # FUX23's auto close at session 6, FUZ23's at 11 (volume rolls around them),
        # FUF24 without volume, AAA's split at 6, the holiday and the early close
        return scenarios.run_backtest(MINUTE_FUTURES.name, minute_futures_root, strategy,
                                      start="2023-11-15", end="2023-12-05",
                                      data_frequency="minute")

    their_windows, their_where = compare_backtests(run, windows, where)
    assert {label for label, *_ in their_where} == {"before", "open", "close", "bar"}
    stats = fastportal.stats()
    raised = sum(isinstance(t, Exception) for t in their_windows)
    assert not any(key.startswith(("fell through", "upstream")) for key in stats), stats
    assert stats["served"] == len(their_windows) - raised, stats
    assert raised < len(their_windows) // 4, raised
