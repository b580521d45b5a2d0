"""Per call in a minute simulation on a warm portal: data.history(asset, "close", n, "1m")
for n = 20, 390, 3900 and data.history(asset, "close", 200, "1d"); upstream against
patched against the bare-Series floor, interleaved, several repetitions. Then the memory
the core's minute buffers hold against the raw data in them, and against the reader's
rows for the same columns (a minute column holds a segment of them).

    python -m benchmarks.minute [--repeat 7] [--calls 300]
"""

import argparse

import pandas as pd

import fastportal
from fastportal.study import scenarios, upstream

from benchmarks.common import MINUTE, MINUTE_YEAR, bundle, per_call_us, print_case, row


def bar_data(portal, minute, installed):
    NoRestrictions = upstream.module("finance.asset_restrictions").NoRestrictions

    (fastportal.install if installed else fastportal.uninstall)()
    BarData = upstream.module("protocol").BarData

    return BarData(portal, lambda: minute, "minute", portal.trading_calendar,
                   NoRestrictions())


def setting(spec, sid):
    """An asset (with a split inside) and two BarData at a minute of the second-to-last
    session, on portals of their own: upstream's and the patched one."""
    loaded, _ = bundle(spec)
    portal = scenarios.data_portal(loaded)
    sessions = loaded.equity_daily_bar_reader.sessions
    minute = portal.trading_calendar.session_minutes(sessions[-2])[200]
    asset = loaded.asset_finder.retrieve_asset(sid)
    upstream = bar_data(scenarios.data_portal(loaded), minute, installed=False)
    ours_portal = scenarios.data_portal(loaded)
    ours = bar_data(ours_portal, minute, installed=True)
    return asset, upstream, ours, ours_portal


def measure(cases, repeat, calls):
    """cases: {label: (upstream call, patched call)}; per-call times of each way and of
    the bare-Series floor on the patched answer, interleaved."""
    results = {label: {"upstream": [], "patched": [], "floor": []} for label in cases}
    for _ in range(repeat):
        for label, (theirs, ours) in cases.items():
            fastportal.uninstall()
            results[label]["upstream"].append(per_call_us(theirs, calls // 3))
            fastportal.install()
            results[label]["patched"].append(per_call_us(ours, calls))
            window = ours()
            view, index = window.values, window.index
            results[label]["floor"].append(per_call_us(
                lambda: pd.Series(view, index=index, copy=False), calls))
    return results


def buffer_memory(portal):
    """(bytes the core holds for the portal's minute columns, raw float64 bytes of the
    rows they hold, raw float64 bytes of the reader's rows for the same columns)."""
    from fastportal._portal import portal_core

    core = portal_core(portal)
    columns = {id(c): c for c in core.minute_columns.values() if c is not None}
    held = sum(c.nbytes for c in columns.values())
    rows = sum(c.rows for c in columns.values())
    return held, rows * 8, len(columns) * len(core.minute_dts) * 8


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()

    asset, upstream, ours, portal = setting(MINUTE, 1)
    cases = {
        f"1m close n={n}": (lambda n=n: upstream.history(asset, "close", n, "1m"),
                            lambda n=n: ours.history(asset, "close", n, "1m"))
        for n in (20, 390, 3900)
    }
    year_asset, year_upstream, year_ours, year_portal = setting(MINUTE_YEAR, 1)
    cases["1d close n=200 in a minute simulation"] = (
        lambda: year_upstream.history(year_asset, "close", 200, "1d"),
        lambda: year_ours.history(year_asset, "close", 200, "1d"),
    )
    results = measure(cases, args.repeat, args.calls)

    print(f"minute simulation, per call, {args.repeat} repetitions interleaved; "
          "medians (min, max)")
    for label, r in results.items():
        print_case(label, r["upstream"], r["patched"], r["floor"])
    p20, p3900 = results["1m close n=20"]["patched"], results["1m close n=3900"]["patched"]
    print("\n" + row("patched n=3900 / patched n=20", [b / a for a, b in zip(p20, p3900)], "x"))
    for name, where in (("1m windows, one month of minute bars", portal),
                        ("1d windows, ten months of minute bars", year_portal)):
        held, raw, reader = buffer_memory(where)
        print(f"minute buffers ({name}): {held:,} bytes held for {raw:,} bytes of raw "
              f"float64 rows ({held / raw:.3f}x); the reader's rows for those columns: "
              f"{reader:,} bytes as float64")
    print(f"core: {fastportal.stats()}")


if __name__ == "__main__":
    main()
