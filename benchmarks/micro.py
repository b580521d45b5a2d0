"""Per call: data.history(asset, field, n, "1d") on a warm portal, upstream against
patched against the bare-Series floor, interleaved, several repetitions.

    python -m benchmarks.micro [--repeat 7] [--calls 300]
"""

import argparse

import pandas as pd

import fastportal
from fastportal.study import scenarios, upstream

from benchmarks.common import MICRO, bundle, per_call_us, print_case, row



def bar_data(portal, position, installed):
    NoRestrictions = upstream.module("finance.asset_restrictions").NoRestrictions

    (fastportal.install if installed else fastportal.uninstall)()
    BarData = upstream.module("protocol").BarData

    sessions = portal._history_loader._reader.sessions
    close = portal.trading_calendar.session_close(sessions[position])
    return BarData(portal, lambda: close, "daily", portal.trading_calendar, NoRestrictions())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()

    loaded, _ = bundle(MICRO)
    end = len(loaded.equity_daily_bar_reader.sessions) - 5
    asset, gappy = loaded.asset_finder.retrieve_all([0, 100])
    many = loaded.asset_finder.retrieve_all(range(100))
    upstream = bar_data(scenarios.data_portal(loaded), end, installed=False)
    ours = bar_data(scenarios.data_portal(loaded), end, installed=True)

    cases = [(f"close n={n}", asset, "close", n) for n in (20, 200, 2000)]
    cases += [("price n=200, no gaps", asset, "price", 200),
              ("price n=200, gaps", gappy, "price", 200),
              ("close n=200, 1 asset of 100 (list)", [asset], "close", 200),
              ("close n=200, 100 assets", list(many), "close", 200)]
    results = {label: {"upstream": [], "patched": [], "floor": []} for label, *_ in cases}
    for _ in range(args.repeat):
        for label, assets, field, n in cases:
            fastportal.uninstall()
            results[label]["upstream"].append(
                per_call_us(lambda: upstream.history(assets, field, n, "1d"), args.calls // 3))
            fastportal.install()
            results[label]["patched"].append(
                per_call_us(lambda: ours.history(assets, field, n, "1d"), args.calls))
            values = ours.history(assets, field, n, "1d")
            view, index = values.values, values.index
            if values.ndim == 1:
                floor = lambda: pd.Series(view, index=index, copy=False)  # noqa: E731
            else:
                floor = lambda: pd.DataFrame(view, index=index, copy=False)  # noqa: E731
            results[label]["floor"].append(per_call_us(floor, args.calls))

    print(f"per call, {args.repeat} repetitions interleaved; medians (min, max)")
    for label, r in results.items():
        print_case(label, r["upstream"], r["patched"], r["floor"])
    p20, p2000 = results["close n=20"]["patched"], results["close n=2000"]["patched"]
    print("\n" + row("patched n=2000 / patched n=20", [b / a for a, b in zip(p20, p2000)], "x"))
    print(f"core: {fastportal.stats()}")


if __name__ == "__main__":
    main()
