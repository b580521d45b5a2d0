"""Per call: the history forms beyond one field of one asset, upstream against patched
against a bare pandas floor, interleaved, several repetitions, as ratios in one run.

    python -m benchmarks.forms [--repeat 7] [--calls 100]

Daily, n = 200: 1 asset x 5 fields, 10 assets x 4 fields, 100 assets x 5 fields, a
continuous future's price across rolls ("mul" and "add"); a minute simulation: "1m"
3 assets x 4 fields, n = 60, and before_trading_start's "1d" close of one asset, n = 20.
"""

import argparse
from contextlib import nullcontext

import pandas as pd

import fastportal
from fastportal.study import scenarios, upstream

from benchmarks.common import FUTURES, MICRO, MINUTE, bundle, per_call_us, print_case

OHLCV = ["open", "high", "low", "close", "volume"]



def bar_data(portal, clock, frequency):
    NoRestrictions = upstream.module("finance.asset_restrictions").NoRestrictions
    BarData = upstream.module("protocol").BarData

    return BarData(portal, lambda: clock, frequency, portal.trading_calendar,
                   NoRestrictions())


def floor_of(value):
    """The cheapest pandas object like value: its values and axes, made by the public
    constructors from ready parts."""
    values, index = value.values, value.index
    if value.ndim == 1:
        return lambda: pd.Series(values, index=index, copy=False)
    columns = value.columns
    return lambda: pd.DataFrame(values, index=index, columns=columns, copy=False)


class Case:
    """One form: a BarData call made upstream and patched on portals of its own."""

    def __init__(self, label, make_data, assets, fields, n, frequency, stepped=False):
        self.label, self.assets, self.fields, self.n = label, assets, fields, n
        self.frequency, self.stepped = frequency, stepped
        fastportal.uninstall()
        self.upstream = make_data()
        fastportal.install()
        self.patched = make_data()

    def call(self, data):
        handle_non_market_minutes = upstream.module("_protocol").handle_non_market_minutes

        with handle_non_market_minutes(data) if self.stepped else nullcontext():
            return data.history(self.assets, self.fields, self.n, self.frequency)

    def timed(self, data, calls):
        handle_non_market_minutes = upstream.module("_protocol").handle_non_market_minutes

        assets, fields, n, frequency = self.assets, self.fields, self.n, self.frequency
        with handle_non_market_minutes(data) if self.stepped else nullcontext():
            return per_call_us(lambda: data.history(assets, fields, n, frequency), calls)


def daily_cases():
    loaded, _ = bundle(MICRO)
    sessions = loaded.equity_daily_bar_reader.sessions
    portal_of = lambda: scenarios.data_portal(loaded)  # noqa: E731
    clock = portal_of().trading_calendar.session_close(sessions[len(sessions) - 5])
    many = loaded.asset_finder.retrieve_all(range(100))

    def make():
        return bar_data(portal_of(), clock, "daily")

    return [Case("1 asset x 5 fields, n=200", make, many[0], OHLCV, 200, "1d"),
            Case("10 assets x 4 fields, n=200", make, many[:10], OHLCV[:4], 200, "1d"),
            Case("100 assets x 5 fields, n=200", make, many, OHLCV, 200, "1d")]


def futures_cases():
    loaded, _ = bundle(FUTURES)
    sessions = loaded.equity_daily_bar_reader.sessions
    clock = scenarios.data_portal(loaded).trading_calendar.session_close(sessions[700])

    def make():
        return bar_data(scenarios.data_portal(loaded), clock, "daily")

    finder = loaded.asset_finder
    return [Case(f"continuous future price across rolls, {adjustment}, n=200", make,
                 finder.create_continuous_future("BN", 0, "calendar", adjustment),
                 "price", 200, "1d")
            for adjustment in ("mul", "add")]


def minute_cases():
    loaded, _ = bundle(MINUTE)
    portal_of = lambda: scenarios.data_portal(loaded)  # noqa: E731
    calendar = portal_of().trading_calendar
    sessions = loaded.equity_daily_bar_reader.sessions
    session = sessions[len(sessions) - 2]
    minute = calendar.session_first_minute(session) + pd.Timedelta(minutes=200)
    before_open = calendar.session_first_minute(session) - pd.Timedelta(minutes=45)
    assets = loaded.asset_finder.retrieve_all(range(3))
    return [
        Case("1m, 3 assets x 4 fields, n=60", lambda: bar_data(portal_of(), minute, "minute"),
             assets, OHLCV[:4], 60, "1m"),
        Case("before_trading_start, 1 asset close, n=20, 1d",
             lambda: bar_data(portal_of(), before_open, "minute"), assets[1], "close", 20,
             "1d", stepped=True),
    ]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--calls", type=int, default=100)
    args = parser.parse_args()

    cases = daily_cases() + futures_cases() + minute_cases()
    results = {case.label: {"upstream": [], "patched": [], "floor": []} for case in cases}
    for case in cases:  # warm both ways, and check they agree
        fastportal.uninstall()
        theirs = case.call(case.upstream)
        fastportal.install()
        ours = case.call(case.patched)
        if type(ours) is not type(theirs) or not ours.equals(theirs):
            raise SystemExit(f"{case.label}: patched differs from upstream")
    fastportal.reset_stats()
    for _ in range(args.repeat):
        for case in cases:
            r = results[case.label]
            fastportal.uninstall()
            r["upstream"].append(case.timed(case.upstream, max(3, args.calls // 10)))
            fastportal.install()
            r["patched"].append(case.timed(case.patched, args.calls))
            r["floor"].append(per_call_us(floor_of(case.call(case.patched)), args.calls))

    print(f"per call, {args.repeat} repetitions interleaved; medians (min, max)")
    for label, r in results.items():
        print_case(label, r["upstream"], r["patched"], r["floor"])
    print(f"core: {fastportal.stats()}")


if __name__ == "__main__":
    main()
