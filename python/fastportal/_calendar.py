"""The simulation's calendar: exchange_calendars' per-bar and per-session lookups asked
of the core first.

zipline asks its calendar which session a minute belongs to, whether the exchange is
open, the minute before or after and the next open several times a bar (the order path,
BarData, the clock), and a session's open and close once a session; exchange_calendars
answers each after parsing and bounds checks that cost more than the lookup. install()
puts these methods on ExchangeCalendar (src/methods.c's FastMethod in front of the
wrappers below): each asks the calendar's CalendarLookups (src/lookups.c), which answers where its answer is
exchange_calendars' exactly and says None elsewhere; then exchange_calendars' own method
answers, with its own exceptions. uninstall() puts the originals back.
"""

from fastportal import _core
from fastportal._portal import attach, minutes_core

# What exchange_calendars' own lookups read or call on the calendar: a calendar class
# that overrides any of them answers its own way, and keeps its own answers.
_READ_BY_LOOKUPS = (
    "minute_to_session", "is_open_on_minute", "is_trading_minute", "is_break_minute",
    "previous_minute", "next_minute", "next_open", "session_open", "session_close",
    "session_first_minute", "session_last_minute", "_get_session_minute_from_nanos",
    "_get_session_idx", "_get_minute_idx", "is_session", "_date_oob", "_minute_oob",
    "sessions", "sessions_nanos", "schedule", "first_session", "last_session", "opens",
    "closes", "opens_nanos", "closes_nanos", "minutes", "minutes_nanos", "first_minutes",
    "last_minutes", "first_minutes_nanos", "last_minutes_nanos", "last_am_minutes_nanos",
    "first_pm_minutes_nanos",
)


def _overrides_lookups(calendar):
    from exchange_calendars import ExchangeCalendar

    kind = type(calendar)
    return any(getattr(kind, name, None) is not getattr(ExchangeCalendar, name, None)
               for name in _READ_BY_LOOKUPS)


def _lookups(calendar):
    """The calendar's CalendarLookups, built once per calendar, or False when the core
    does not answer for it (its lookups are then exchange_calendars')."""
    from exchange_calendars import ExchangeCalendar

    state = getattr(calendar, "__dict__", None)
    if type(state) is not dict or not isinstance(calendar, ExchangeCalendar):
        return False  # not a calendar the core can keep its objects on
    lookups = state.get("_fastportal_lookups")
    if lookups is None:
        minutes = None
        if not _overrides_lookups(calendar):
            try:
                minutes = minutes_core(calendar)
            except Exception:
                minutes = None  # a calendar the core cannot read
        lookups = False if minutes is None else _core.CalendarLookups(
            minutes, calendar.opens_nanos, calendar.closes_nanos)
        attach(calendar, "_fastportal_lookups", lookups)
    return lookups


def _getstate(self):
    """The calendar's state, as object.__getstate__ gives it, without the core's objects,
    which do not pickle (a copy or an unpickled calendar builds its own)."""
    state = object.__getstate__(self)
    slots = None
    if type(state) is tuple:  # (__dict__, the values of __slots__)
        state, slots = state
    if state:
        state = {key: value for key, value in state.items()
                 if not key.startswith("_fastportal_")}
    return state if slots is None else (state, slots)


def _minute_to_session(original):
    def minute_to_session(self, minute, direction="next", _parse=True):
        lookups = _lookups(self)
        if lookups:
            session = lookups.minute_to_session(minute, direction)
            if session is not None:
                return session
        return original(self, minute, direction, _parse)

    return minute_to_session


def _is_open_on_minute(original):
    def is_open_on_minute(self, minute, ignore_breaks=False, _parse=True):
        lookups = _lookups(self)
        if lookups:
            is_open = lookups.is_open_on_minute(minute, ignore_breaks)
            if is_open is not None:
                return is_open
        return original(self, minute, ignore_breaks, _parse)

    return is_open_on_minute


def _minute_lookup(original, name):
    """A lookup of one minute (and _parse), named as exchange_calendars names it."""

    def lookup(self, minute, _parse=True):
        lookups = _lookups(self)
        if lookups:
            answer = getattr(lookups, name)(minute)
            if answer is not None:
                return answer
        return original(self, minute, _parse)

    return lookup


def _session_lookup(original, name):
    """A lookup of one session (and _parse), named as exchange_calendars names it."""

    def lookup(self, session, _parse=True):
        lookups = _lookups(self)
        if lookups:
            answer = getattr(lookups, name)(session)
            if answer is not None:
                return answer
        return original(self, session, _parse)

    return lookup


# The lookups that take a minute or a session and, for these two, one more argument.
_TWO_ARGUMENTS = ("minute_to_session", "is_open_on_minute")


def fast_method(name, wrapper):
    """The method install() puts on ExchangeCalendar for a lookup: positional calls go to
    the calendar's CalendarLookups without a Python frame (src/methods.c), every other
    call, and every call the lookups do not answer, to wrapper."""
    kind = "calendar 2" if name in _TWO_ARGUMENTS else "calendar 1"
    return _core.FastMethod(kind, wrapper, name)


def patches():
    """(owner, name, replacement(original)) of the calendar methods the core answers."""
    from exchange_calendars import ExchangeCalendar

    minutes = [(ExchangeCalendar, name, lambda original, name=name: _minute_lookup(
                    original, name))
               for name in ("is_trading_minute", "previous_minute", "next_minute",
                            "next_open")]
    sessions = [(ExchangeCalendar, name, lambda original, name=name: _session_lookup(
                     original, name))
                for name in ("session_open", "session_close", "session_first_minute",
                             "session_last_minute")]
    return [(ExchangeCalendar, "minute_to_session", _minute_to_session),
            (ExchangeCalendar, "is_open_on_minute", _is_open_on_minute)] + minutes + sessions


# The calendars zipline's get_calendar opens from 1990 when no start is given.
_FROM_1990 = ("us_futures", "CMES", "XNYS", "NYSE")


def _get_calendar(original, calendar_utils):
    """zipline's get_calendar(name), called once a bar per asset by Asset.is_exchange_open
    (can_trade in a minute simulation): it binds exchange_calendars' signature twice to
    make one call, get_calendar(name[, 1990-01-01], side="right"); for a lone name, that
    call is made here directly. (calendar_utils: zipline's module, whose ec_get_calendar
    is called, as upstream calls it.)"""
    import pandas as pd
    from exchange_calendars import calendar_utils as ec_utils

    # exchange_calendars' dispatcher answers such a call with the calendar its factory
    # made for the name (an alias resolved to it), from its cache, while the cache holds
    # the calendar made with these arguments: the cache's entry is remembered, and while
    # it is still the entry of a name that is still a factory's (no registered instance
    # of the name, the alias unchanged), it is the answer.
    dispatcher = ec_utils.global_calendar_dispatcher
    dispatch = calendar_utils.ec_get_calendar
    if getattr(dispatch, "__self__", None) is not dispatcher:
        dispatch = None
    entries = {}

    def get_calendar(*args, **kwargs):
        if len(args) == 1 and not kwargs and type(args[0]) is str:
            name = args[0]
            known = entries.get(name)
            if known is not None and calendar_utils.ec_get_calendar is dispatch:
                canonical, entry = known
                if (dispatcher._factory_output_cache.get(canonical) is entry
                        and canonical in dispatcher._calendar_factories
                        and canonical not in dispatcher._aliases
                        and canonical not in dispatcher._calendars
                        and (name == canonical or dispatcher._aliases.get(name) == canonical)):
                    return entry[0]
            if name in _FROM_1990:
                calendar = calendar_utils.ec_get_calendar(name, pd.Timestamp("1990-01-01"),
                                                          side="right")
            else:
                calendar = calendar_utils.ec_get_calendar(name, side="right")
            canonical = dispatcher._aliases.get(name, name)
            entry = dispatcher._factory_output_cache.get(canonical)
            if dispatch is not None and entry is not None and entry[0] is calendar:
                entries[name] = (canonical, entry)
            return calendar
        return original(*args, **kwargs)

    get_calendar.__signature__ = original.__signature__
    return get_calendar


def get_calendar_patches(framework):
    """(owner, name, value): zipline's get_calendar, in every loaded zipline module that
    holds it (Asset.is_exchange_open reads it from zipline.assets._assets); none for a
    framework whose get_calendar does not bind (_framework: get_calendar_bound)."""
    import sys

    if not framework.get_calendar_bound:
        return []
    calendar_utils = framework.module("utils.calendar_utils")
    original = calendar_utils.get_calendar
    fast = _get_calendar(original, calendar_utils)
    fast.__name__, fast.__qualname__, fast.__doc__ = (original.__name__,
                                                      original.__qualname__, original.__doc__)
    fast.__wrapped__ = original
    return [(module, "get_calendar", fast) for module in list(sys.modules.values())
            if framework.owns(getattr(module, "__name__", "") or "")
            and module.__dict__.get("get_calendar") is original]


def state_patch():
    """(owner, name, value): the pickling state of calendars, without the core's
    objects (ExchangeCalendar defines no __getstate__ of its own)."""
    from exchange_calendars import ExchangeCalendar

    return ExchangeCalendar, "__getstate__", _getstate
