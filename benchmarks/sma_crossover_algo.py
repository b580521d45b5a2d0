"""The daily scenario's SMA strategy as a zipline algorithm file, its windows given by
defines: zipline run -f sma_crossover_algo.py -D short=50 -D long=200 ... On the first
ten symbols, data.history(asset, "close", n, "1d") for both windows each bar; 100 shares
while the short mean is above the long, none otherwise."""

from zipline.api import order_target, record, symbol


def initialize(context):
    context.assets = [symbol(f"SYM{i:03d}") for i in range(10)]


def handle_data(context, data):
    means = {}
    for asset in context.assets:
        fast = data.history(asset, "close", short, "1d").mean()  # noqa: F821 - a define
        slow = data.history(asset, "close", long, "1d").mean()  # noqa: F821 - a define
        order_target(asset, 100 if fast > slow else 0)
        means[f"{asset.symbol}_short"] = fast
        means[f"{asset.symbol}_long"] = slow
    record(**means)
