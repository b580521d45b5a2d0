"""What test_processes.py runs in other processes (forked, spawned, joblib's loky
workers): module-level, so that a child that does not share the parent's memory can
import it by name and unpickle the calls made of it."""

import os

import fastportal
from fastportal.study import scenarios


class LookingStrategy:
    """A strategy for scenarios.run_backtest: every `every`-th bar, data.history of each
    symbol's close at each length, of all of them at once, of several fields at once,
    data.current and data.can_trade; orders the first symbol and records. Every window
    is kept in .windows and where it was asked in .where, to be compared."""

    def __init__(self, symbols, frequency="1d", lengths=(3, 20), every=1):
        self.symbols = symbols
        self.frequency = frequency
        self.lengths = lengths
        self.every = every
        self.windows = []
        self.where = []

    def initialize(self, context):
        from zipline.api import symbol

        context.assets = [symbol(name) for name in self.symbols]
        context.bars = 0

    def _look(self, data, assets, fields, n):
        window = data.history(assets, fields, n, self.frequency)
        self.windows.append(window)
        self.where.append((data.current_dt, str(assets), str(fields), n))
        return window

    def handle_data(self, context, data):
        from zipline.api import order_target, record

        context.bars += 1
        if context.bars % self.every:
            return
        for asset in context.assets:
            for n in self.lengths:
                self._look(data, asset, "close", n)
        self._look(data, context.assets, "price", self.lengths[-1])
        self._look(data, context.assets[::-1], ["open", "high", "low", "volume"], 5)
        first = context.assets[0]
        recent = self._look(data, first, "price", self.lengths[-1])
        if data.can_trade(first):
            order_target(first, 100 if data.current(first, "price") > recent.mean() else 0)
        record(mean=recent.mean())


def registered(bundle_name, calendar="XNYS"):
    """The bundle's name registered with zipline in this process, as run_algorithm needs
    it to load the bundle: a child that was not forked from the process that ingested it
    knows no bundles. Its data is read from the ZIPLINE_ROOT run_backtest is given."""
    from zipline.data import bundles

    if bundle_name not in bundles.bundles:
        bundles.register(bundle_name, lambda *args, **kwargs: None, calendar_name=calendar)


def backtest(bundle_name, root, symbols, start, end, data_frequency="daily",
             frequency="1d", lengths=(3, 20), every=1, install=False):
    """A real run_algorithm of LookingStrategy on the bundle in ZIPLINE_ROOT=root, in
    this process: installs fastportal first if asked (a spawned child or a loky worker
    imports it uninstalled), counting from zero if so. Returns a dict: the perf frame,
    the windows and where they were asked, fastportal.stats() before and after the run,
    whether fastportal was installed at its end, and this process's id."""
    registered(bundle_name)
    if install:
        fastportal.install()
        fastportal.reset_stats()
    stats_before = fastportal.stats()
    strategy = LookingStrategy(symbols, frequency, lengths, every)
    perf = scenarios.run_backtest(bundle_name, root, strategy, start=start, end=end,
                                  data_frequency=data_frequency)
    return {"perf": perf, "windows": strategy.windows, "where": strategy.where,
            "stats_before": stats_before, "stats_after": fastportal.stats(),
            "installed": fastportal.installed(), "pid": os.getpid()}
