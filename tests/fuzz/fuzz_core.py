"""Coverage-guided fuzzing of fastportal._core (atheris, libFuzzer's mutation).

    python tests/fuzz/fuzz_core.py [libFuzzer flags] CORPUS_DIR    (make fuzz, fuzz-smoke)

Each input is one call: a constructor, method or slot of every type in fastportal._core
or one of its functions, on the objects a real portal built (or on new ones, from the
arguments the portal built them with, some replaced); or, with fastportal installed,
BarData.history, current, can_trade, is_stale, DataPortal.get_history_window and the
spot values, and the calendar lookups, on bundles of equities and futures with minute
bars and of futures over years (ingested once into .cache/bundles).

The invariant: each call returns or raises an Exception other than SystemError (which
CPython raises for a C function that broke its error protocol). Anything else, a
SystemError, a crash, an abort, a sanitizer report, ends the run with the input saved
(crash-*); the same command with that file in place of the corpus replays it.

Coverage: fastportal's Python modules are instrumented by atheris; the C extension is
instrumented when it was built with clang's -fsanitize=fuzzer-no-link (make fuzz builds
it so in .fuzz/ when clang is there)."""

import os
import sys
import warnings

import atheris

with atheris.instrument_imports(include=["fastportal"]):
    import fastportal
    from fastportal import _core
    from fastportal.study import scenarios

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(1, os.path.dirname(os.path.dirname(__file__)))
from conftest import MINUTE_FUTURES  # noqa: E402
from values import Draw, Pools  # noqa: E402

BUNDLES = os.environ.get("FASTPORTAL_FUZZ_BUNDLES", ".cache/bundles")
CORE_TYPES = [getattr(_core, name) for name in dir(_core)
              if isinstance(getattr(_core, name), type)]
CORE_FUNCTIONS = [getattr(_core, name) for name in dir(_core)
                  if not name.startswith("_") and callable(getattr(_core, name))
                  and not isinstance(getattr(_core, name), type)]
# every method, attribute and slot a core type defines itself
MEMBERS = [(kind, name) for kind in CORE_TYPES for name in sorted(vars(kind))
           if name not in ("__doc__", "__new__", "__init__", "__module__")]


def recording_constructors(arguments, objects):
    """Puts recorders in _core's namespace (fastportal calls _core.X(...)): each core
    object the portal builds is kept, with its arguments. Returns the restorer."""
    originals = {kind.__name__: kind for kind in CORE_TYPES}

    def recorder(kind):
        def build(*args, **kwargs):
            made = kind(*args, **kwargs)
            if len(arguments.setdefault(kind, [])) < 8:
                arguments[kind].append((args, kwargs))
            if len(objects.setdefault(kind, [])) < 8:
                objects[kind].append(made)
            return made
        return build

    for name, kind in originals.items():
        setattr(_core, name, recorder(kind))
    return lambda: [setattr(_core, name, kind) for name, kind in originals.items()]


def bar_data(portal, clock, data_frequency):
    from zipline.finance.asset_restrictions import NoRestrictions
    from zipline.protocol import BarData

    return BarData(portal, lambda: clock, data_frequency, portal.trading_calendar,
                   NoRestrictions())


def clocks_of(portal, sessions):
    calendar = portal.trading_calendar
    out = []
    for session in sessions:
        first, last = calendar.session_first_minute(session), calendar.session_last_minute(
            session)
        out += [session, first, last, first + pd.Timedelta(minutes=37),
                first - pd.Timedelta(minutes=1), last + pd.Timedelta(minutes=1),
                session + pd.Timedelta(hours=12)]
    return out


def warm_up(portal, assets, clocks):
    """The calls a strategy makes, so that the portal builds every core object."""
    for clock in clocks:
        for frequency, data_frequency in (("1d", "daily"), ("1d", "minute"),
                                          ("1m", "minute")):
            data = bar_data(portal, clock, data_frequency)
            for call in (lambda: data.history(assets, "close", 5, frequency),
                         lambda: data.history(assets[0], ["open", "price"], 3, frequency),
                         lambda: data.current(assets, "price"),
                         lambda: data.current(assets[0], ["close", "last_traded"]),
                         lambda: data.can_trade(assets), lambda: data.is_stale(assets[0]),
                         lambda: portal.get_history_window(assets, clock, 4, frequency,
                                                           "volume", data_frequency)):
                try:
                    call()
                except Exception:  # noqa: BLE001 - a clock upstream refuses
                    pass


def setup():
    warnings.simplefilter("ignore")
    arguments, objects = {}, {}
    restore = recording_constructors(arguments, objects)
    fastportal.install()
    portals, assets, clocks = [], [], []
    # equities with minute bars, futures with minute bars and rolls, futures over years
    for spec in (scenarios.minute_spec(), MINUTE_FUTURES, scenarios.futures_spec()):
        bundle, _ = scenarios.cached_bundle(spec, BUNDLES)
        portal = scenarios.data_portal(bundle)
        finder = bundle.asset_finder
        mine = finder.retrieve_all(sorted(finder.sids))[:6]
        roots = {getattr(a, "root_symbol", None) for a in mine} - {None}
        mine += [finder.create_continuous_future(root, offset, style, adjustment)
                 for root in sorted(roots)[:1] for offset in (0, 1)
                 for style, adjustment in (("calendar", "mul"), ("volume", None))]
        sessions = bundle.equity_daily_bar_reader.sessions
        mine_clocks = clocks_of(portal, [sessions[0], sessions[1], sessions[len(sessions) // 2],
                                         sessions[-1]])
        warm_up(portal, mine, mine_clocks[::3])
        portals.append(portal)
        assets += mine
        clocks += mine_clocks
    for name in ("minute_to_session", "next_minute", "session_close"):
        try:
            getattr(portals[0].trading_calendar, name)(clocks[1])
        except Exception:  # noqa: BLE001
            pass
    restore()
    missing = [kind.__name__ for kind in CORE_TYPES if kind not in objects]
    if missing:
        print(f"fuzz_core: no {', '.join(missing)} built by the warm-up", file=sys.stderr)
    return portals, Pools(assets, clocks, objects, arguments)


PORTALS, POOLS = setup()


def call_member(draw):
    kind, name = draw.pick(MEMBERS)
    target = draw.pick(POOLS.objects.get(kind, [])) if draw.int(0, 7) else draw.value()
    args, kwargs = draw.arguments(6)
    if name in ("__getattribute__",) and draw.flag():
        return getattr(target, draw.value() if draw.flag() else str(draw.value()))
    member = getattr(kind, name)
    if callable(member):
        return member(target, *args, **kwargs)
    return member.__get__(target, kind)  # a getter


def construct(draw):
    kind = draw.pick(CORE_TYPES)
    known = POOLS.arguments.get(kind)
    if not known or draw.int(0, 3) == 0:
        args, kwargs = draw.arguments(14)
        return kind(*args, **kwargs)
    args, kwargs = draw.pick(known)
    args, kwargs = list(args), dict(kwargs)
    for _ in range(draw.int(0, 3)):
        if args and draw.flag():
            args[draw.int(0, len(args) - 1)] = draw.value()
        elif kwargs:
            kwargs[draw.pick(sorted(kwargs))] = draw.value()
    if draw.int(0, 5) == 0:
        args = args[:draw.int(0, len(args))] + [draw.value() for _ in range(draw.int(0, 2))]
    made = kind(*args, **kwargs)
    name = draw.pick([n for k, n in MEMBERS if k is kind])   # SpotTape has none
    if name and callable(getattr(kind, name)):
        args, kwargs = draw.arguments(6)
        return getattr(kind, name)(made, *args, **kwargs)
    return made


def call_function(draw):
    return draw.pick(CORE_FUNCTIONS)(draw.value())


def history(draw):
    portal = draw.pick(PORTALS)
    data = bar_data(portal, draw.clock(), draw.pick(("daily", "minute", "minute", "x")))
    assets = draw.assets()
    if isinstance(assets, list):
        draw.victims.append(assets)   # a Clears drawn below empties the asset list
    fields, count = draw.fields(), draw.count()
    frequency = draw.pick(("1d", "1m", "1d", "1m", "5m", "1h", "")) if draw.int(0, 4) else (
        draw.value())
    if draw.int(0, 5) == 0:
        return data.history(assets=assets, fields=fields, bar_count=count,
                            frequency=frequency)
    return data.history(assets, fields, count, frequency)


def history_window(draw):
    portal = draw.pick(PORTALS)
    assets = draw.assets()
    if isinstance(assets, list):
        draw.victims.append(assets)
    args = [assets, draw.clock(), draw.count(),
            draw.pick(("1d", "1m")) if draw.flag() else draw.value(),
            draw.pick(("close", "price", "volume", "open")) if draw.flag() else draw.fields(),
            draw.pick(("daily", "minute")) if draw.flag() else draw.value()]
    if draw.flag():
        args.append(draw.value())   # ffill
    return portal.get_history_window(*args)


def spot(draw):
    portal = draw.pick(PORTALS)
    data_frequency = draw.pick(("daily", "minute"))
    clock = draw.clock()
    kind = draw.int(0, 6)
    if kind < 3:
        data = bar_data(portal, clock, data_frequency)
        method = (data.current, data.can_trade, data.is_stale)[kind]
        assets = draw.assets()
        return method(assets, draw.fields()) if kind == 0 else method(assets)
    if kind == 3:
        return portal.get_spot_value(draw.assets(), draw.fields(), clock, data_frequency)
    if kind == 4:
        return portal.get_scalar_asset_spot_value(draw.asset(), draw.fields(), clock,
                                                  data_frequency)
    if kind == 5:
        return portal.get_adjusted_value(draw.asset(), draw.fields(), clock, draw.clock(),
                                         data_frequency)
    return portal.get_last_traded_dt(draw.asset(), clock, data_frequency)


def calendar_lookup(draw):
    calendar = draw.pick(PORTALS).trading_calendar
    name = draw.pick(("minute_to_session", "is_open_on_minute", "is_trading_minute",
                      "previous_minute", "next_minute", "next_open", "session_open",
                      "session_close", "session_first_minute", "session_last_minute",
                      "minute_to_past_session", "session_minutes"))
    args = [draw.clock()] + [draw.value() for _ in range(draw.int(0, 2))]
    return getattr(calendar, name)(*args)


ACTIONS = (call_member, call_member, call_member, construct, construct, call_function,
           history, history, history, history_window, history_window, spot, spot,
           calendar_lookup)


def test_one_input(data):
    draw = Draw(atheris.FuzzedDataProvider(data), POOLS)
    try:
        ACTIONS[draw.int(0, len(ACTIONS) - 1)](draw)
    except SystemError:
        raise   # a C function that returned NULL without an exception, or the reverse
    except Exception:  # noqa: BLE001 - any other exception is a fine answer
        pass


if __name__ == "__main__":
    np.seterr(all="ignore")
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
