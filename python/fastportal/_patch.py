"""The patches: a BarData that sends history to the core, and DataPortal's daily windows,
in each framework installed (zipline, rustybt: _framework).

Upstream's BarData is a Cython class whose methods cannot be replaced in place, so
install() puts a subclass in its place in every loaded module of the framework that holds
it (zipline.protocol, the simulator, the test fixtures...); modules imported later get the
subclass from the framework's _protocol. Every call the core does not serve goes to
upstream's own method with the same arguments, so its checks, results and errors are
unchanged.
"""

import functools
import sys
import threading
from collections.abc import Iterable

from pandas import Index

from fastportal import _core, _framework
from fastportal._core import (ARGUMENTS, ASSET_TYPE, ASSETS, BAR_COUNT, DUPLICATE_ASSETS,
                              FIELDS, MERGERS_COMPARED_NAIVE, NON_MARKET_MINUTES,
                              PORTAL_ARGUMENTS)
from fastportal._calendar import patches as calendar_patches
from fastportal._calendar import fast_method as calendar_fast_method
from fastportal._calendar import get_calendar_patches
from fastportal._calendar import state_patch as calendar_state_patch
from fastportal._spot import fast_method as spot_fast_method
from fastportal._spot import patches as spot_patches
from fastportal._spot import spot_core, spot_per_value
from fastportal._pandas import builder
from fastportal._portal import (COLUMN_OF_FIELD, TimelineRefused, ask_upstream, detach_all,
                                fell_through, portal_core, refused, refused_by_upstream,
                                why_no_core)

_saved = []  # (owner, name, original) for uninstall, in the order patched

# Set while a BarData call the core did not serve runs upstream's BarData.history, so
# that the portal underneath answers as upstream, without a second attempt and count.
_falling_through = threading.local()

def _is_asset_list(assets):
    """What BarData.history takes for several assets and the core serves: a list, a
    tuple or a plain Index."""
    kind = type(assets)
    return kind is list or kind is tuple or kind is Index


def _several_fields(fields):
    """The fields of a several-field call as upstream keys them (each once, in the order
    first asked), or None when the core does not serve them."""
    kind = type(fields)
    if (kind is not list and kind is not tuple) or not fields:
        return None
    for field in fields:
        if type(field) is not str or field not in COLUMN_OF_FIELD:
            return None
    return tuple(dict.fromkeys(fields))


# What BarData's core path returns for arguments upstream refuses with its own error,
# and when upstream's get_adjustments raises for an asset's ratio (TimelineRefused): the
# reason each is counted by.
_REFUSED = object()
_RATIOS_REFUSED = object()
_REFUSALS = {_REFUSED: BAR_COUNT, _RATIOS_REFUSED: MERGERS_COMPARED_NAIVE}

# What BarData's core path returns when upstream's BarData.history is to run with the
# portal's windows served by the core (several fields; non-market minutes).
_PER_WINDOW = object()


def _upstream_call(function, *args, **kwargs):
    _falling_through.active = True
    try:
        return function(*args, **kwargs)
    finally:
        _falling_through.active = False


_HISTORY_PARAMETERS = ("assets", "fields", "bar_count", "frequency")


def _bound_history_arguments(args, kwargs):
    """(assets, fields, bar_count, frequency) of a history call made with positional
    and keyword arguments, or None when they are not exactly those four."""
    if not kwargs:
        return args if len(args) == 4 else None
    names = _HISTORY_PARAMETERS[len(args):]
    if len(args) + len(kwargs) != 4 or set(kwargs) != set(names):
        return None
    return args + tuple(kwargs[name] for name in names)


def _check_parameters(names, types, args, kwargs):
    """The TypeError upstream's check_parameters raises for an argument of another type
    than BarData's method takes (names: its parameters; types: the types of each),
    raised here because zipline-reloaded 3.2.1's compiled check_parameters crashes the
    interpreter (segmentation fault) on raising it. Its other errors (an unexpected
    keyword, IndexError for an extra argument, an empty set's indexing) it raises
    itself: the checks stop where upstream would raise one of those, as it runs them,
    keywords first. Message as in its source."""
    if any(keyword not in names for keyword in kwargs):
        return
    checked = [(i, names[i], value) for i, value in enumerate(args[:len(types)])]
    if len(args) > len(types):
        checked.append(None)  # upstream fails on the extra argument, with its IndexError
    checked += [(names.index(keyword), keyword, value) for keyword, value in kwargs.items()]
    for item in checked:
        if item is None:
            return
        position, name, value = item
        if position < 2 and isinstance(value, Iterable) and not isinstance(value, str):
            if len(value) == 0:
                continue
            value = value[0]
        expected = types[position]
        if not isinstance(value, expected):
            raise TypeError(
                "Expected %s argument to be of type %s%s"
                % (name, "or iterable of type " if position < 2 else "",
                   ", ".join(t.__name__ for t in expected))
            )


@functools.cache
def _parameter_types(framework):
    """{method: (parameter names, their types)} as the framework's BarData's
    check_parameters has them."""
    Asset, ContinuousFuture = framework.Asset, framework.ContinuousFuture
    return {"history": (_HISTORY_PARAMETERS,
                        ((Asset, ContinuousFuture, str), (str,), (int,), (str,))),
            "current": (("assets", "fields"), ((Asset, ContinuousFuture, str), (str,))),
            "can_trade": (("assets",), ((Asset,),)),
            "is_stale": (("assets",), ((Asset,),))}


def check_arguments(framework, method, args, kwargs):
    """BarData.<method>'s argument types checked as the framework's checks them (see
    _check_parameters), before a call goes to upstream's method."""
    names, types = _parameter_types(framework)[method]
    _check_parameters(names, types, args, kwargs)



def _make_bar_data_class(upstream_bar_data, framework):
    upstream_history = upstream_bar_data.history
    upstream_current = upstream_bar_data.current
    upstream_can_trade = upstream_bar_data.can_trade
    upstream_is_stale = upstream_bar_data.is_stale
    upstream_flag = upstream_bar_data._handle_non_market_minutes

    class BarData(upstream_bar_data):
        __doc__ = upstream_bar_data.__doc__

        def __init__(
            self, data_portal, simulation_dt_func, data_frequency, trading_calendar,
            restrictions,
        ):
            super().__init__(
                data_portal, simulation_dt_func, data_frequency, trading_calendar,
                restrictions,
            )
            self._fastportal_portal = data_portal
            self._fastportal_dt = simulation_dt_func
            self._fastportal_daily = data_frequency == "daily"
            self._fastportal_adjust_minutes = False
            self._fastportal_core = None
            self._fastportal_frequency = data_frequency
            self._fastportal_spot = None
            self._fastportal_calendar = trading_calendar
            self._fastportal_restricted = restrictions.is_restricted

        @property
        def _handle_non_market_minutes(self):
            return upstream_flag.__get__(self)

        @_handle_non_market_minutes.setter
        def _handle_non_market_minutes(self, value):
            upstream_flag.__set__(self, value)
            self._fastportal_adjust_minutes = bool(value)

        def history(self, *args, **kwargs):
            call = args if not kwargs and len(args) == 4 else _bound_history_arguments(
                args, kwargs)
            if call is None:
                # not the four arguments: upstream's own check raises, ours where its
                # compiled one would crash; what it lets through, it answers
                try:
                    check_arguments(framework, "history", args, kwargs)
                except TypeError:
                    refused(ARGUMENTS)
                    raise
                frequency = kwargs.get("frequency", args[3] if len(args) > 3 else None)
                return refused_by_upstream(ARGUMENTS, frequency, not self._fastportal_daily,
                                           _upstream_call, upstream_history, self, *args,
                                           **kwargs)
            result = self._fastportal_history(*call)
            if result is _PER_WINDOW:
                check_arguments(framework, "history", args, kwargs)
                return upstream_history(self, *args, **kwargs)
            if result is _REFUSED or result is _RATIOS_REFUSED:
                check_arguments(framework, "history", args, kwargs)
                frequency = kwargs.get("frequency", args[3] if len(args) > 3 else None)
                return refused_by_upstream(_REFUSALS[result], frequency,
                                           not self._fastportal_daily, _upstream_call,
                                           upstream_history, self, *args, **kwargs)
            if result is None:
                check_arguments(framework, "history", args, kwargs)
                frequency = kwargs.get("frequency", args[3] if len(args) > 3 else None)
                return ask_upstream(frequency, not self._fastportal_daily, _upstream_call,
                                    upstream_history, self, *args, **kwargs)
            return result

        history.__doc__ = upstream_history.__doc__

        def _fastportal_spot_core(self):
            spot = self._fastportal_spot
            if spot is None:
                spot = self._fastportal_spot = spot_core(self._fastportal_portal)
            return spot

        # One asset (and one field), outside before_trading_start: current, can_trade
        # and is_stale asked of the core directly. Everything else is upstream's method,
        # whose portal calls the core answers one value at a time.

        def current(self, *args, **kwargs):
            if len(args) == 2 and not kwargs and not self._fastportal_adjust_minutes:
                spot = self._fastportal_spot_core()
                if spot:
                    assets, fields = args
                    several = type(assets) is list or type(assets) is tuple
                    if type(fields) is str:
                        ask = spot.current_series if several else spot.value
                    elif type(fields) is list or type(fields) is tuple:
                        ask = spot.current_frame if several else spot.current_fields
                    else:
                        check_arguments(framework, "current", args, kwargs)
                        return upstream_current(self, *args, **kwargs)
                    dt = self._fastportal_dt()
                    if self._fastportal_daily:
                        dt = self._fastportal_portal.trading_calendar.minute_to_session(dt)
                    value = ask(assets, fields, dt, self._fastportal_frequency)
                    if type(value) is not str:
                        return value
                    spot_per_value(value)
            check_arguments(framework, "current", args, kwargs)
            return upstream_current(self, *args, **kwargs)

        current.__doc__ = upstream_current.__doc__

        def can_trade(self, *args, **kwargs):
            if len(args) == 1 and not kwargs and not self._fastportal_adjust_minutes:
                spot = self._fastportal_spot_core()
                if spot:
                    answer = spot.can_trade(args[0], self._fastportal_dt(),
                                            self._fastportal_restricted,
                                            self._fastportal_calendar, self._fastportal_daily,
                                            self._fastportal_frequency,
                                            self._fastportal_portal)
                    if type(answer) is bool:
                        return answer
                    spot_per_value(answer)
            check_arguments(framework, "can_trade", args, kwargs)
            return upstream_can_trade(self, *args, **kwargs)

        can_trade.__doc__ = upstream_can_trade.__doc__

        def is_stale(self, *args, **kwargs):
            if len(args) == 1 and not kwargs and not self._fastportal_adjust_minutes:
                spot = self._fastportal_spot_core()
                if spot:
                    answer = spot.is_stale(args[0], self._fastportal_dt(),
                                           self._fastportal_frequency)
                    if type(answer) is bool:
                        return answer
                    spot_per_value(answer)
            check_arguments(framework, "is_stale", args, kwargs)
            return upstream_is_stale(self, *args, **kwargs)

        is_stale.__doc__ = upstream_is_stale.__doc__

        def _fastportal_history(self, assets, fields, bar_count, frequency):
            core = self._fastportal_core
            if core is None:
                core = self._fastportal_core = portal_core(self._fastportal_portal)
                if core is None:
                    return fell_through(why_no_core(self._fastportal_portal))
            if type(bar_count) is not int:
                return fell_through(ARGUMENTS)
            if bar_count < 1:
                return _REFUSED
            now = self._fastportal_dt()
            stepped = self._fastportal_adjust_minutes
            if stepped:
                # Under handle_non_market_minutes (before_trading_start in a minute
                # simulation) upstream steps back a minute and multiplies the window by
                # the adjustments between that minute and now: the core does the same.
                if self._fastportal_daily:
                    fell_through(NON_MARKET_MINUTES)
                    return _PER_WINDOW
                dt = core.previous_minute(now)
                if dt is None:
                    fell_through(NON_MARKET_MINUTES)
                    return _PER_WINDOW
            else:
                dt = now
            if type(fields) is not str:
                several = _several_fields(fields)
                if several is None:
                    # upstream's BarData asks the portal for one window per field, and
                    # those the core serves
                    fell_through(FIELDS)
                    return _PER_WINDOW
                return self._fastportal_fields(core, assets, fields, several, bar_count,
                                               frequency, dt, now if stepped else None)
            if fields not in COLUMN_OF_FIELD:
                fell_through(FIELDS)
                return _PER_WINDOW
            single = type(assets) in core.served_types
            if not single and not _is_asset_list(assets):
                return fell_through(ASSETS)
            scales = None
            if stepped:
                try:
                    scales = core.ratios((assets,) if single else assets, fields, dt, now)
                except ZeroDivisionError:
                    # a volume split of ratio 0: upstream raises it once the window is
                    # built, or the window's own error first
                    return fell_through(NON_MARKET_MINUTES)
                except TimelineRefused:
                    return _RATIOS_REFUSED
            if self._fastportal_daily:
                if frequency != "1d":
                    return fell_through(ARGUMENTS)
                if single:
                    return core.daily_series(dt, assets, fields, bar_count)
                end_loc = core.calendar.daily_window_end(dt)
                return core.daily_frame(assets, end_loc, bar_count, fields)
            if frequency == "1m":
                if single:
                    return core.minute_series(dt, assets, fields, bar_count, scales)
                return core.minute_frame(assets, dt, bar_count, fields, scales)
            if frequency == "1d":
                if single:
                    return core.partial_series(dt, assets, fields, bar_count, scales)
                return core.partial_frame(assets, dt, bar_count, fields, scales)
            return fell_through(ARGUMENTS)

        def _fastportal_fields(self, core, assets, asked, fields, bar_count, frequency, dt,
                               now):
            """data.history(assets, asked, ...) for several fields (`fields`: each once):
            the frame of (date, asset) rows, its assets sorted and unique as upstream's
            sort_index leaves them. With `now` (stepped back from it), each field's
            windows are scaled by the ratio of the first asset asked for, as upstream
            scales them."""
            single = type(assets) in core.served_types
            if single:
                ordered = (assets,)
            elif not _is_asset_list(assets) or len(assets) == 0:
                return fell_through(ASSETS)
            else:
                for asset in assets:
                    if type(asset) not in core.served_types:
                        return fell_through(ASSET_TYPE)
                ordered = tuple(sorted(assets))
                if len(set(ordered)) != len(ordered):
                    # upstream's stack refuses duplicate columns: its error stands
                    fell_through(DUPLICATE_ASSETS)
                    return _PER_WINDOW
            scales = None
            if now is not None:
                if type(assets) is core.continuous_type:
                    # upstream's get_adjustments cannot iterate a bare continuous future
                    # and raises; its error stands
                    fell_through(NON_MARKET_MINUTES)
                    return _PER_WINDOW
                # upstream takes every asset's ratio and keeps the first's: an error
                # of any asset's is its own
                try:
                    scales = tuple(core.ratios((assets,) if single else assets, field, dt,
                                               now)[0]
                                   for field in fields)
                except ZeroDivisionError:  # as for one field
                    fell_through(NON_MARKET_MINUTES)
                    return _PER_WINDOW
                except TimelineRefused:
                    return _RATIOS_REFUSED
            # upstream reads the assets and the fields in the order the strategy gave them
            in_order = ([assets] if single else assets, asked)
            if self._fastportal_daily:
                if frequency != "1d":
                    return fell_through(ARGUMENTS)
                return core.daily_fields(dt, ordered, fields, bar_count, in_order)
            if frequency == "1m":
                return core.minute_fields(dt, ordered, fields, bar_count, scales, in_order)
            if frequency == "1d":
                return core.partial_fields(dt, ordered, fields, bar_count, scales, in_order)
            return fell_through(ARGUMENTS)

    BarData.__module__ = __name__
    BarData.__qualname__ = "BarData"
    # their calls of one asset reach the core without a Python frame (methods.c); the
    # functions above answer every other call
    for name in ("current", "can_trade", "is_stale"):
        function = BarData.__dict__[name]
        function.__wrapped__ = getattr(upstream_bar_data, name)
        setattr(BarData, name, _core.FastMethod(name, function))
    return BarData


def _served_frame(portal, assets, end_dt, bar_count, frequency, field, data_frequency):
    """The core's frame for DataPortal.get_history_window, or None for upstream's."""
    core = portal_core(portal)
    if core is None:
        return fell_through(why_no_core(portal))
    columns = None
    if not all(type(asset) in core.served_types for asset in assets):
        # sids: upstream's loader looks them up, and the frame keeps them as its columns
        # (its price fill and its minute-mode daily aggregation need assets, and fail on
        # sids: those failures are upstream's)
        if (field == "price" or (frequency == "1d" and data_frequency == "minute")
                or not all(type(asset) is int or type(asset) in core.served_types
                           for asset in assets)):
            return fell_through(ASSET_TYPE)
        try:
            resolved = portal.asset_finder.retrieve_all(assets)
        except Exception:
            return fell_through(ASSET_TYPE)
        columns = assets if isinstance(assets, Index) else Index(assets)
        assets = resolved
    if frequency == "1m":
        return core.minute_frame(assets, end_dt, bar_count, field, columns=columns)
    if frequency != "1d":
        return fell_through(PORTAL_ARGUMENTS)
    if data_frequency == "minute":
        return core.partial_frame(assets, end_dt, bar_count, field, columns=columns)
    if data_frequency != "daily":
        return fell_through(PORTAL_ARGUMENTS)
    return core.daily_frame(assets, core.calendar.session_index(end_dt), bar_count, field,
                            columns=columns)


def _make_get_history_window(upstream_get_history_window):
    def get_history_window(
        self, assets, end_dt, bar_count, frequency, field, data_frequency, ffill=True
    ):
        if getattr(_falling_through, "active", False):
            # a BarData fallback, counted there: upstream all the way down
            return upstream_get_history_window(
                self, assets, end_dt, bar_count, frequency, field, data_frequency, ffill
            )
        if (
            ffill is True
            and type(bar_count) is int
            and bar_count >= 1
            and type(field) is str
            and field in COLUMN_OF_FIELD
            and (type(assets) is list or type(assets) is Index)
        ):
            frame = _served_frame(self, assets, end_dt, bar_count, frequency, field,
                                  data_frequency)
            if frame is not None:
                return frame
        elif type(bar_count) is int and bar_count < 1:
            return refused_by_upstream(
                BAR_COUNT, frequency, data_frequency == "minute",
                upstream_get_history_window, self, assets, end_dt, bar_count, frequency,
                field, data_frequency, ffill)
        else:
            fell_through(PORTAL_ARGUMENTS)
        return ask_upstream(
            frequency, data_frequency == "minute", upstream_get_history_window,
            self, assets, end_dt, bar_count, frequency, field, data_frequency, ffill
        )

    get_history_window.__doc__ = upstream_get_history_window.__doc__
    get_history_window.__wrapped__ = upstream_get_history_window
    return get_history_window


_ABSENT = object()  # what an owner had under a name it did not define

# The methods fastportal's BarData serves. uninstall() takes them off the class, so that
# the BarData objects made while installed (a running simulation's) answer as upstream's
# from then on; install() puts them back. One class per upstream BarData class, made once.
SERVED_METHODS = ("history", "current", "can_trade", "is_stale")
_bar_data_classes = {}  # upstream's BarData -> (ours, {name: its served method})


def _bar_data_class(upstream_bar_data, framework):
    made = _bar_data_classes.get(upstream_bar_data)
    if made is None:
        ours = _make_bar_data_class(upstream_bar_data, framework)
        made = _bar_data_classes[upstream_bar_data] = (
            ours, {name: ours.__dict__[name] for name in SERVED_METHODS})
    ours, methods = made
    for name, method in methods.items():
        setattr(ours, name, method)
    return ours


def _strip_bar_data_classes():
    for ours, methods in _bar_data_classes.values():
        for name in methods:
            if name in ours.__dict__:
                delattr(ours, name)


def _patch(owner, name, value):
    _saved.append((owner, name, owner.__dict__.get(name, _ABSENT)))
    setattr(owner, name, value)


def _patch_methods(patches, fast_method):
    for owner, name, replacement in patches:
        original = owner.__dict__[name]
        wrapped = replacement(original)
        wrapped.__name__, wrapped.__qualname__ = original.__name__, original.__qualname__
        wrapped.__doc__, wrapped.__wrapped__ = original.__doc__, original
        wrapped.__module__ = original.__module__
        _patch(owner, name, fast_method(name, wrapped))


def _install_framework(framework):
    upstream_bar_data, data_portal = framework.BarData, framework.DataPortal
    ours = _bar_data_class(upstream_bar_data, framework)
    for module in list(sys.modules.values()):
        if (framework.owns(getattr(module, "__name__", "") or "")
                and module.__dict__.get("BarData") is upstream_bar_data):
            _patch(module, "BarData", ours)
    _patch(
        data_portal,
        "get_history_window",
        _make_get_history_window(data_portal.get_history_window),
    )
    _patch_methods(spot_patches(framework), spot_fast_method)
    for owner, name, value in get_calendar_patches(framework):
        _patch(owner, name, value)


def install():
    if _saved:
        return
    # pandas' layout is checked once, here, rather than in the first call the core
    # answers (a calendar lookup, a window): the check builds sample objects both ways
    builder()
    frameworks = _framework.importable()
    if not frameworks:
        raise ImportError("fastportal patches zipline-reloaded or rustybt, and neither is "
                          "importable here")
    try:
        # the calendar's lookups are exchange_calendars', which every framework shares
        _patch_methods(calendar_patches(), calendar_fast_method)
        _patch(*calendar_state_patch())
        for framework in frameworks:
            _install_framework(framework)
    except BaseException:
        uninstall()  # nothing half patched
        raise


def uninstall():
    while _saved:
        owner, name, original = _saved.pop()
        if original is _ABSENT:
            delattr(owner, name)
        else:
            setattr(owner, name, original)
    _strip_bar_data_classes()
    detach_all()


def installed():
    return bool(_saved)
