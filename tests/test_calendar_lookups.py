"""The simulation's calendar, patched: ExchangeCalendar's per-bar lookups
(minute_to_session in every direction, is_open_on_minute with and without breaks,
is_trading_minute, previous_minute, next_minute, next_open) and per-session lookups against exchange_calendars' own
methods, on every minute of a year of XNYS (early closes, holidays), CMES (overnight
sessions) and XHKG (breaks) (make test: a fixed sample of them, conftest.sample), at the calendar's ends, and for inputs the core leaves to
exchange_calendars (naive and other-zone Timestamps, seconds, strings, datetimes, bad
directions, out-of-range minutes), errors included."""

import datetime

import pandas as pd
import pytest

import fastportal

from conftest import outcome, sample

CALENDARS = ["XNYS", "CMES", "XHKG"]
LOOKUPS = [("minute_to_session", ()), ("minute_to_session", ("previous",)),
           ("minute_to_session", ("none",)), ("is_open_on_minute", ()),
           ("is_open_on_minute", (True,)), ("is_trading_minute", ()),
           ("previous_minute", ()), ("next_minute", ()), ("next_open", ())]


def calendar(name):
    from zipline.utils.calendar_utils import get_calendar

    return get_calendar(name)


def same(ours, theirs, context):
    if isinstance(theirs, Exception):
        assert type(ours) is type(theirs), (context, ours, theirs)
        # (exchange_calendars' MinuteOutOfBounds for NaT fails in its own __str__: its
        # arguments, which make the message, are compared)
        assert repr(ours.args) == repr(theirs.args), (context, ours.args, theirs.args)
    else:
        assert type(ours) is type(theirs) and ours == theirs, (context, ours, theirs)
        if isinstance(theirs, pd.Timestamp):
            assert (ours.tz, ours.unit, repr(ours)) == (theirs.tz, theirs.unit, repr(theirs))


def compare(upstream, minutes, lookups=LOOKUPS):
    """Each lookup of each minute, patched against exchange_calendars' own method."""
    from exchange_calendars import ExchangeCalendar

    fastportal.install()
    for name, extra in lookups:
        patched = getattr(ExchangeCalendar, name)
        original = patched.__wrapped__
        for minute in minutes:
            try:
                theirs = original(upstream, minute, *extra)
            except Exception as exc:  # noqa: BLE001 - the error is the answer compared
                theirs = exc
            try:
                ours = patched(upstream, minute, *extra)
            except Exception as exc:  # noqa: BLE001
                ours = exc
            # the common case checked inline, the rest (Timestamps, errors) in full
            if type(ours) is not bool or type(theirs) is not bool or ours != theirs:
                same(ours, theirs, (upstream.name, name, extra, minute))


@pytest.mark.sweep
@pytest.mark.parametrize("name", CALENDARS)
def test_every_minute_of_a_year(name):
    """The lookups a simulation makes on every bar, on every minute of 2023; the minute
    steps on every third (make test: every 13th of each)."""
    upstream = calendar(name)
    year = pd.date_range("2023-01-01", "2024-01-01", freq="min", tz="UTC")
    compare(upstream, sample(year, 13), LOOKUPS[:6])
    compare(upstream, sample(year[::3], 13), LOOKUPS[6:])


@pytest.mark.parametrize("name", CALENDARS)
def test_the_calendars_ends_and_inputs_left_to_exchange_calendars(name):
    upstream = calendar(name)
    first, last = upstream.first_minute, upstream.last_minute
    minute = pd.Timedelta(minutes=1)
    inside = upstream.session_first_minute(upstream.sessions[500]) + 7 * minute
    probes = [first - minute, first, first + minute, last - minute, last, last + minute,
              first - pd.Timedelta(days=3), last + pd.Timedelta(days=3),
              inside, inside.tz_localize(None), inside.tz_convert("America/New_York"),
              inside + pd.Timedelta(seconds=30), inside + pd.Timedelta(nanoseconds=1),
              str(inside), inside.to_pydatetime(), inside.value, None,
              pd.Timestamp(inside.value, unit="ns").as_unit("s").tz_localize("UTC")]
    compare(upstream, probes)
    compare(upstream, [inside], [("minute_to_session", (direction,))
                                 for direction in ("sideways", None, 1, "NEXT")])
    compare(upstream, [inside], [("is_open_on_minute", (flag,))
                                 for flag in (1, 0, "yes", None)])


def test_uninstall_puts_exchange_calendars_back():
    from exchange_calendars import ExchangeCalendar

    originals = {name: ExchangeCalendar.__dict__[name] for name, _ in LOOKUPS}
    fastportal.install()
    assert all(ExchangeCalendar.__dict__[name] is not f for name, f in originals.items())
    fastportal.uninstall()
    assert all(ExchangeCalendar.__dict__[name] is f for name, f in originals.items())


def test_timestamps_of_other_units_beyond_the_nanosecond_range():
    """exchange_calendars rounds such a minute first, then answers for it."""
    from exchange_calendars.exchange_calendar_xnys import XNYSExchangeCalendar

    for side, probes in (("right", ["1677-09-21 00:12:43"]),
                         ("left", ["2262-04-11 23:47:17"])):
        # built here: exchange_calendars.get_calendar keeps one calendar a name, and
        # another side would replace the one zipline's bundles were read with
        upstream = XNYSExchangeCalendar(side=side)
        compare(upstream, [pd.Timestamp(probe) for probe in probes]
                + [pd.Timestamp("2262-04-11 23:47:59.999").as_unit("ms")])


def test_a_calendar_overriding_what_the_lookups_read_keeps_its_answers():
    from exchange_calendars.exchange_calendar_xnys import XNYSExchangeCalendar

    class HalfHourLate(XNYSExchangeCalendar):
        def is_open_on_minute(self, minute, ignore_breaks=False, _parse=True):
            minute = pd.Timestamp(minute)
            if minute.hour == 15 and minute.minute < 30:
                return False
            return super().is_open_on_minute(minute, ignore_breaks, _parse)

    late = HalfHourLate(start="2023-01-01", end="2023-12-31")
    minute = pd.Timestamp("2023-11-24 15:00", tz="UTC")
    fastportal.install()
    assert late.minute_to_session(minute, "previous") == pd.Timestamp("2023-11-22")
    with pytest.raises(ValueError, match="is not a trading minute"):
        late.minute_to_session(minute, "none")


def test_a_patched_calendar_pickles_and_copies_and_hands_out_fresh_labels():
    import copy
    import pickle

    upstream = calendar("XNYS")
    minute = pd.Timestamp("2023-11-24 15:00", tz="UTC")
    fastportal.install()
    label = upstream.minute_to_session(minute)
    label.note = "the strategy's"
    assert not hasattr(upstream.minute_to_session(minute), "note")
    for twin in (pickle.loads(pickle.dumps(upstream)), copy.deepcopy(upstream)):
        assert twin.minute_to_session(minute) == label
    fastportal.uninstall()
    assert not [key for key in vars(upstream) if key.startswith("_fastportal_")]
    pickle.dumps(upstream)


SESSION_LOOKUPS = [(name, ()) for name in ("session_open", "session_close",
                                           "session_first_minute", "session_last_minute")]


@pytest.mark.parametrize("name", CALENDARS)
def test_every_session_and_dates_that_are_not_sessions(name):
    upstream = calendar(name)
    sessions = list(upstream.sessions)
    first, last = sessions[0], sessions[-1]
    day = pd.Timedelta(days=1)
    odd = [first - day, last + day, sessions[100] + day, sessions[100] - day,
           sessions[100] + pd.Timedelta(nanoseconds=1), sessions[100] + pd.Timedelta(hours=9),
           sessions[100].tz_localize("UTC"), sessions[100].as_unit("s"), str(sessions[100]),
           sessions[100].date(), sessions[100].to_pydatetime(), sessions[100].to_datetime64(),
           None, 17]
    compare(upstream, sessions + odd, SESSION_LOOKUPS)


def test_keyword_calls_as_exchange_calendars_names_the_parameters():
    upstream = calendar("XNYS")
    session = upstream.sessions[100]
    minute = upstream.session_first_minute(session) + pd.Timedelta(minutes=5)
    calls = [("session_open", {"session": session}), ("session_close", {"session": session}),
             ("session_first_minute", {"session": session}),
             ("session_last_minute", {"session": session}),
             ("minute_to_session", {"minute": minute, "direction": "previous"}),
             ("is_open_on_minute", {"minute": minute, "ignore_breaks": True}),
             ("is_trading_minute", {"minute": minute}), ("previous_minute", {"minute": minute}),
             ("next_minute", {"minute": minute, "_parse": True}),
             ("next_open", {"minute": minute})]
    theirs = [getattr(upstream, name)(**kwargs) for name, kwargs in calls]
    fastportal.install()
    for (name, kwargs), their in zip(calls, theirs):
        same(getattr(upstream, name)(**kwargs), their, name)


def _calendar_classes():
    """A calendar class that cannot be hashed, and one with __slots__ (module-level, so
    that pickle finds them)."""
    from exchange_calendars.exchange_calendar_xnys import XNYSExchangeCalendar

    global Unhashable, Slotted

    class Unhashable(XNYSExchangeCalendar):
        def __eq__(self, other):
            return type(self) is type(other)

    class Slotted(XNYSExchangeCalendar):
        __slots__ = ("extra",)

    Unhashable.__qualname__, Slotted.__qualname__ = "Unhashable", "Slotted"


def test_unhashable_and_slotted_calendar_classes():
    import copy
    import pickle

    _calendar_classes()
    fastportal.install()
    unhashable = Unhashable(start="2020-01-01", end="2020-12-31")
    session = unhashable.sessions[3]
    assert unhashable.session_open(session) == unhashable.schedule.loc[session, "open"]
    slotted = Slotted(start="2020-01-01", end="2020-12-31")
    slotted.extra = 42
    slotted.session_open(session)
    assert copy.copy(slotted).extra == copy.deepcopy(slotted).extra == 42
    assert pickle.loads(pickle.dumps(slotted)).extra == 42
    fastportal.uninstall()
    pickle.dumps(unhashable)


def test_zipline_get_calendar_as_asset_is_exchange_open_calls_it():
    """zipline's get_calendar(name), patched where Asset.is_exchange_open reads it,
    answers with the calendar upstream's returns (the same object), exchange_calendars'
    errors for names it does not know, and follows aliases registered and removed."""
    import exchange_calendars
    import zipline.assets._assets as assets_module
    from zipline.utils import calendar_utils

    upstream = calendar_utils.get_calendar
    fastportal.install()
    patched = assets_module.get_calendar
    assert patched is not upstream
    names = ["NYSE", "XNYS", "CMES", "us_futures", "XHKG", "XLON", "NOPE", 3, "FPALIAS"]

    def compare():
        for name in names:
            for _ in range(2):  # the second call answers from what the first saw
                ours, theirs = outcome(lambda: patched(name)), outcome(lambda: upstream(name))
                if isinstance(theirs, Exception):
                    assert type(ours) is type(theirs) and str(ours) == str(theirs), name
                else:
                    assert ours is theirs, name

    compare()
    exchange_calendars.register_calendar_alias("FPALIAS", "XLON")
    try:
        compare()
    finally:
        exchange_calendars.calendar_utils.global_calendar_dispatcher.deregister_calendar(
            "FPALIAS")
    compare()
