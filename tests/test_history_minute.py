"""Minute history ("1m" in a minute simulation), patched against unpatched zipline, on a
minute bundle ingested through zipline's writers: every field, windows of 1 minute to
more than two sessions, ending at every minute of an early-close session and of a full
one and at a sample of minutes of every session, across the holiday, a split, dividends,
a merger, assets that start and stop trading, gap sessions and quiet stretches."""

import fastportal
from fastportal import scenarios

from conftest import FIELDS, bar_data, differential, outcome


def minute_history(bundle, assets, minutes, fields, lengths):
    labels = [(m, a.symbol, f, n) for m in minutes for a in assets for f in fields
              for n in lengths]

    def produce():
        portal = scenarios.data_portal(bundle)
        out = []
        for minute in minutes:
            data = bar_data(portal, lambda minute=minute: minute, "minute")
            for asset in assets:
                for field in fields:
                    for n in lengths:
                        out.append(outcome(lambda: data.history(asset, field, n, "1m")))
        return out

    differential(produce, labels)
    return labels


def session_minutes(bundle, position):
    calendar = scenarios.data_portal(bundle).trading_calendar
    sessions = bundle.equity_daily_bar_reader.sessions
    return calendar.session_minutes(sessions[position])


def test_every_minute_of_an_early_close_and_a_full_session(minute_bundle, minute_assets):
    for position in (8, 14):
        minutes = list(session_minutes(minute_bundle, position))
        minute_history(minute_bundle, minute_assets, minutes, ("close", "price"),
                       (1, 30, 400))
    stats = fastportal.stats()
    assert stats["served"] > 0.9 * sum(stats.values()), stats


def test_every_field_at_minutes_of_every_session(minute_bundle, minute_assets):
    sessions = minute_bundle.equity_daily_bar_reader.sessions
    minutes = []
    for position in range(len(sessions)):
        every = session_minutes(minute_bundle, position)
        minutes += list(every[::53]) + [every[0], every[-1]]
    labels = minute_history(minute_bundle, minute_assets, minutes, FIELDS, (1, 2, 390, 1000))
    stats = fastportal.stats()
    assert stats["served"] + stats.get("fell through: window bounds", 0) == len(labels), stats
