"""Per call: the spot path (data.current in its forms, can_trade, is_stale) and the
calendar's minute_to_session, upstream against patched, against a bare Python floor (an
index into a ready list), interleaved, several repetitions, as ratios in one run.

    python -m benchmarks.spot [--repeat 7] [--calls 5000]

A daily simulation on the micro bundle (GAPS has no trade on the session asked, so its
price is forward-filled and adjusted), a minute simulation on the minute scenario's
bundle and a daily one on a futures chain (continuous futures, calendar and volume
rolls), through real BarData objects over real DataPortals.
"""

import argparse

import pandas as pd

import fastportal
from benchmarks.common import FUTURES, MICRO, MINUTE, bundle, interleaved
from fastportal.study import scenarios, upstream

GAP_POSITION = 2509  # a session of MICRO's on which GAPS does not trade
MINUTE_AT = pd.Timestamp("2024-10-16 15:31", tz="UTC")


def bar_data_of(loaded, frequency, clock):
    """A BarData of the class zipline.protocol holds now, over a new portal, at clock()."""
    NoRestrictions = upstream.module("finance.asset_restrictions").NoRestrictions
    BarData = upstream.module("protocol").BarData

    portal = scenarios.data_portal(loaded)
    calendar = portal.trading_calendar
    now = clock(calendar)
    return BarData(portal, lambda: now, frequency, calendar, NoRestrictions()), calendar


def daily_cases(data, assets, calendar, clock):
    one, gaps = assets[1], assets[-1]
    ten = list(assets[:10])
    return [
        ("daily: current(asset, 'close')", lambda: data.current(one, "close")),
        ("daily: current(asset, 'price') in a gap", lambda: data.current(gaps, "price")),
        ("daily: current(10 assets, ['price', 'volume'])",
         lambda: data.current(ten, ["price", "volume"])),
        ("daily: can_trade(asset)", lambda: data.can_trade(one)),
        ("daily: is_stale(asset)", lambda: data.is_stale(one)),
        ("daily: calendar.minute_to_session(minute)",
         lambda: calendar.minute_to_session(clock)),
    ]


def minute_cases(data, assets, calendar):
    one, ten = assets[1], list(assets[:10])
    return [
        ("minute: current(asset, 'close')", lambda: data.current(one, "close")),
        ("minute: current(asset, 'price')", lambda: data.current(one, "price")),
        ("minute: current(10 assets, ['price', 'volume'])",
         lambda: data.current(ten, ["price", "volume"])),
        ("minute: can_trade(asset)", lambda: data.can_trade(one)),
        ("minute: is_stale(asset)", lambda: data.is_stale(one)),
        ("minute: calendar.minute_to_session(minute)",
         lambda: calendar.minute_to_session(MINUTE_AT)),
    ]


def futures_cases(data, finder):
    calendar_roll = finder.create_continuous_future("BN", 0, "calendar", None)
    volume_roll = finder.create_continuous_future("BN", 1, "volume", "mul")
    return [
        ("futures: current(cf, 'price')", lambda: data.current(calendar_roll, "price")),
        ("futures: current(cf, 'contract')",
         lambda: data.current(calendar_roll, "contract")),
        ("futures: current(volume-rolled cf, 'close')",
         lambda: data.current(volume_roll, "close")),
    ]


def simulations():
    """(label, make_cases): each makes its BarData afresh, of the BarData class in place
    (upstream's or fastportal's)."""
    daily_bundle, _ = bundle(MICRO)
    minute_bundle, _ = bundle(MINUTE)
    futures_bundle, _ = bundle(FUTURES)

    session = daily_bundle.equity_daily_bar_reader.sessions[GAP_POSITION]

    def daily():
        data, calendar = bar_data_of(daily_bundle, "daily",
                                     lambda calendar: calendar.session_close(session))
        assets = daily_bundle.asset_finder.retrieve_all(daily_bundle.asset_finder.sids)
        return daily_cases(data, assets, calendar, calendar.session_close(session))

    def minute():
        data, calendar = bar_data_of(minute_bundle, "minute", lambda calendar: MINUTE_AT)
        assets = minute_bundle.asset_finder.retrieve_all(minute_bundle.asset_finder.sids)
        return minute_cases(data, assets, calendar)

    def futures():
        sessions = futures_bundle.equity_daily_bar_reader.sessions
        data, _ = bar_data_of(futures_bundle, "daily",
                              lambda calendar: calendar.session_close(sessions[500]))
        return futures_cases(data, futures_bundle.asset_finder)

    return [daily, minute, futures]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--calls", type=int, default=5000)
    args = parser.parse_args()

    ready = [0.0] * 1000
    floor = lambda: ready[500]  # noqa: E731 - the cheapest answer of the kind
    made = {}
    for mode in ("upstream", "patched"):
        fastportal.uninstall()
        if mode == "patched":
            fastportal.install()
        made[mode] = [case for make in simulations() for case in make()]
        for _, call in made[mode]:
            call()  # warm: columns, tapes, lookups
    for (label, theirs), (_, ours) in zip(made["upstream"], made["patched"]):
        a, b = theirs(), ours()
        same = a.equals(b) if hasattr(a, "equals") else (type(a) is type(b) and (
            a == b or (a != a and b != b)))
        if not same:
            raise SystemExit(f"{label}: patched differs from upstream")
    interleaved(made["upstream"], made["patched"], floor, args.repeat, args.calls)

if __name__ == "__main__":
    main()
