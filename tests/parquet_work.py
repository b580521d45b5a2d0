"""The child process of test_parquet_bundles.py: a bundle written by rustybt's own
CSVAdapter (Parquet, read through its ParquetDailyBarReader), and a backtest on it.
rustybt reads ZIPLINE_ROOT when its bundle metadata is first imported, so each step is a
process of its own, ZIPLINE_ROOT set by the test.

    python parquet_work.py ingest CSV
    python parquet_work.py run patched|unpatched OUT
"""

import logging
import pickle
import sys
import warnings

import pandas as pd

BUNDLE = "fastportal-csv"
SYMBOLS = ("AAA", "BBB", "SPLT")
START, END = "2023-01-03", "2023-06-30"


def ingest(csv):
    from rustybt.data.adapters.csv_adapter import CSVAdapter, CSVConfig, SchemaMapping

    adapter = CSVAdapter(CSVConfig(file_path=csv,
                                   schema_mapping=SchemaMapping(symbol_column="symbol")))
    adapter.ingest_to_bundle(bundle_name=BUNDLE, symbols=list(SYMBOLS),
                             start=pd.Timestamp("2022-10-01"), end=pd.Timestamp("2023-12-31"),
                             frequency="1d")


def run(mode, out):
    import fastportal

    if mode == "patched":
        fastportal.install()
    import rustybt
    from rustybt.api import order, record, symbol

    windows = {}

    def initialize(context):
        context.assets = [symbol(name) for name in SYMBOLS]
        context.bars = 0

    def handle_data(context, data):
        now = data.current_dt
        for asset in context.assets:
            windows[(now, asset.symbol, "close")] = data.history(asset, "close", 20, "1d")
            windows[(now, asset.symbol, "volume")] = data.history(asset, "volume", 20, "1d")
            windows[(now, asset.symbol, "price")] = data.history(asset, "price", 5, "1d")
            windows[(now, asset.symbol, "current")] = data.current(asset, "price")
        windows[(now, "all", "close")] = data.history(context.assets, "close", 10, "1d")
        windows[(now, "AAA", "fields")] = data.history(
            context.assets[0], ["open", "high", "low", "close", "volume"], 3, "1d")
        if context.bars % 20 == 0:
            order(context.assets[context.bars // 20 % 3], 10)
        context.bars += 1
        record(aaa=data.current(context.assets[0], "close"))

    perf = rustybt.run_algorithm(start=pd.Timestamp(START), end=pd.Timestamp(END),
                                 initialize=initialize, handle_data=handle_data,
                                 capital_base=100_000, data_frequency="daily", bundle=BUNDLE,
                                 benchmark_returns=None)
    with open(out, "wb") as sink:
        pickle.dump({"windows": windows, "perf": perf,
                     "stats": fastportal.stats() if mode == "patched" else None}, sink)


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)
    if sys.argv[1] == "ingest":
        ingest(sys.argv[2])
    else:
        run(sys.argv[2], sys.argv[3])
