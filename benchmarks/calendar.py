"""Per call: the simulation's calendar lookups, exchange_calendars' own methods against
the patched ones, against a bare Python floor (bisect over a ready list, then a list
index), interleaved, several repetitions, as ratios in one run.

    python -m benchmarks.calendar [--repeat 7] [--calls 20000]

XNYS, at a trading minute, at a minute between two sessions, and of a session.
"""

import argparse
import bisect

import pandas as pd

import fastportal
from fastportal.study import upstream

from benchmarks.common import interleaved


def cases(calendar):
    trading = pd.Timestamp("2024-06-12 15:31", tz="UTC")
    closed = pd.Timestamp("2024-06-12 23:10", tz="UTC")
    session = pd.Timestamp("2024-06-12")
    return [
        ("minute_to_session(trading minute)", lambda: calendar.minute_to_session(trading)),
        ("minute_to_session(closed minute)", lambda: calendar.minute_to_session(closed)),
        ("minute_to_session(closed, 'previous')",
         lambda: calendar.minute_to_session(closed, "previous")),
        ("is_open_on_minute(trading minute)", lambda: calendar.is_open_on_minute(trading)),
        ("is_trading_minute(closed minute)", lambda: calendar.is_trading_minute(closed)),
        ("previous_minute(trading minute)", lambda: calendar.previous_minute(trading)),
        ("next_minute(closed minute)", lambda: calendar.next_minute(closed)),
        ("next_open(closed minute)", lambda: calendar.next_open(closed)),
        ("session_close(session)", lambda: calendar.session_close(session)),
        ("session_first_minute(session)", lambda: calendar.session_first_minute(session)),
    ]


def floor_of(calendar):
    """A lookup of a ready table in plain Python: the cheapest answer of the kind."""
    lasts = calendar.last_minutes_nanos.tolist()
    labels = list(calendar.sessions)
    value = pd.Timestamp("2024-06-12 15:31", tz="UTC").value
    return lambda: labels[bisect.bisect_left(lasts, value)]


def main():
    get_calendar = upstream.module("utils.calendar_utils").get_calendar

    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--calls", type=int, default=20000)
    args = parser.parse_args()

    calendar = get_calendar("XNYS")
    floor = floor_of(calendar)
    for label, call in cases(calendar):  # warm both ways, and check they agree
        fastportal.uninstall()
        theirs = call()
        fastportal.install()
        ours = call()
        if type(ours) is not type(theirs) or ours != theirs:
            raise SystemExit(f"{label}: patched differs from upstream")
    interleaved(cases(calendar), cases(calendar), floor, args.repeat, args.calls)


if __name__ == "__main__":
    main()
