"""Per call: data.history(asset, "close", n, "1m") in a minute simulation on a warm portal,
upstream against patched against the bare-Series floor, interleaved, several repetitions.

    python -m benchmarks.minute [--repeat 7] [--calls 300]
"""

import argparse

import pandas as pd

import fastportal
from fastportal import scenarios

from benchmarks.common import MINUTE, bundle, print_case, row
from benchmarks.micro import per_call_us


def bar_data(portal, minute, installed):
    from zipline.finance.asset_restrictions import NoRestrictions

    (fastportal.install if installed else fastportal.uninstall)()
    from zipline.protocol import BarData

    return BarData(portal, lambda: minute, "minute", portal.trading_calendar,
                   NoRestrictions())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()

    loaded, _ = bundle(MINUTE)
    portal = scenarios.data_portal(loaded)
    sessions = loaded.equity_daily_bar_reader.sessions
    minute = portal.trading_calendar.session_minutes(sessions[-2])[200]
    asset = loaded.asset_finder.retrieve_asset(1)  # split inside the month
    upstream = bar_data(scenarios.data_portal(loaded), minute, installed=False)
    ours = bar_data(scenarios.data_portal(loaded), minute, installed=True)

    lengths = (20, 390, 3900)
    results = {n: {"upstream": [], "patched": [], "floor": []} for n in lengths}
    for _ in range(args.repeat):
        for n in lengths:
            fastportal.uninstall()
            results[n]["upstream"].append(per_call_us(
                lambda: upstream.history(asset, "close", n, "1m"), args.calls // 3))
            fastportal.install()
            results[n]["patched"].append(per_call_us(
                lambda: ours.history(asset, "close", n, "1m"), args.calls))
            window = ours.history(asset, "close", n, "1m")
            view, index = window.values, window.index
            results[n]["floor"].append(per_call_us(
                lambda: pd.Series(view, index=index, copy=False), args.calls))

    print(f"1m per call, {args.repeat} repetitions interleaved; medians (min, max)")
    for n, r in results.items():
        print_case(f"close n={n}", r["upstream"], r["patched"], r["floor"])
    p20, p3900 = results[20]["patched"], results[3900]["patched"]
    print("\n" + row("patched n=3900 / patched n=20", [b / a for a, b in zip(p20, p3900)], "x"))
    print(f"core: {fastportal.stats()}")


if __name__ == "__main__":
    main()
