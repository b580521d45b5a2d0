"""The spot path against upstream: DataPortal's get_spot_value,
get_scalar_asset_spot_value and get_adjusted_value, and what BarData builds on them
(current in every form, can_trade, is_stale), patched against unpatched on the daily,
minute and futures bundles."""

import pandas as pd
import pytest
from conftest import (DIFFERENTIAL, FUTURES, LONG, MINUTE, bar_data, differential, looked_at,
                      outcome, sample, session_minutes)

import fastportal
from fastportal import _framework
from fastportal.study import scenarios

SPOT_FIELDS = ("open", "high", "low", "close", "volume", "price", "last_traded")

# Sessions of the minute bundle (positions): BBB's first (3) and last (12), CCC's gaps (4,
# 9), the holiday's neighbours (7, 8; 8 closes early), CCC's split (10), and after BBB
# ended (13).
MINUTE_SESSIONS = (3, 4, 7, 8, 9, 10, 12, 13)


def portal_calls(portal, assets, dts, frequency, perspective):
    """Every spot call of the portal, for each dt, asset and field."""
    out = []
    for dt in dts:
        for asset in assets:
            for field in SPOT_FIELDS:
                out.append(outcome(lambda: portal.get_spot_value(asset, field, dt,
                                                                 frequency)))
                out.append(outcome(lambda: portal.get_scalar_asset_spot_value(
                    asset, field, dt, frequency)))
                out.append(outcome(lambda: portal.get_adjusted_value(
                    asset, field, dt, perspective, frequency)))
    return out


def portal_differential(bundle, assets, dts, frequency, perspective):
    labels = [(dt, asset.symbol, field, call) for dt in dts for asset in assets
              for field in SPOT_FIELDS for call in ("spot", "scalar", "adjusted")]

    def produce():
        return portal_calls(scenarios.data_portal(bundle), assets, dts, frequency,
                            perspective)

    return differential(produce, labels)


def test_daily_spot_values_every_session(bundle, sessions, assets):
    """Every session of the daily bundle: starts and ends inside, gaps, adjustments on
    and off sessions, a future; perspective after all of them."""
    portal_differential(bundle, assets, list(sessions), "daily", sessions[-1])
    served = fastportal.stats().get("spot values served", 0)
    assert served >= len(sessions) * len(assets) * len(SPOT_FIELDS) * 2


def test_futures_spot_values_every_session(futures_bundle):
    finder = futures_bundle.asset_finder
    assets = finder.retrieve_all([a.sid for a in FUTURES.assets])
    sessions = futures_bundle.equity_daily_bar_reader.sessions
    portal_differential(futures_bundle, assets, list(sessions), "daily", sessions[-1])


@pytest.mark.sweep
@pytest.mark.parametrize("position", MINUTE_SESSIONS)
def test_minute_spot_values_every_minute(minute_bundle, minute_assets, position):
    """Every trading minute of the session (make test: its first 35, every 5th and its
    last, conftest.sample), and minutes around it outside the market: the minute
    reader's values, its forward fill of price across sessions (adjusted across splits
    and dividends) and its last traded minute."""
    minutes = session_minutes(minute_bundle, position)
    outside = [minutes[0] - pd.Timedelta(minutes=m) for m in (1, 60, 600)] + [
        minutes[-1] + pd.Timedelta(minutes=m) for m in (1, 30)]
    dts = sample(minutes, 5, also=lambda i: i < 35) + outside
    perspective = minutes[-1] + pd.Timedelta(days=3)
    portal_differential(minute_bundle, minute_assets, dts, "minute", perspective)
    portal_differential(minute_bundle, minute_assets, list(minutes[::37]), "daily",
                        perspective)


def zone_refusals():
    return fastportal.stats().get("spot refused as upstream: time zone", 0)


def test_times_of_mixed_zones(bundle, sessions, assets, minute_bundle, minute_assets):
    """A dt and a perspective_dt of which one has a zone: zipline makes both naive before
    it compares them with the adjustments' dates; rustybt compares them as given and
    raises for an asset with any adjustment its loop reads. The same holds for a naive
    minute whose price is forward filled from an earlier session (the reader's last
    traded minute has a zone). Patched as upstream either way."""
    naive_first = [(sessions[i], sessions[i + 30].tz_localize("UTC"))
                   for i in range(0, len(sessions) - 30, 41)]
    zone_first = [(dt.tz_localize("UTC"), perspective.tz_localize(None))
                  for dt, perspective in naive_first]
    for dt, perspective in naive_first + zone_first:
        portal_differential(bundle, assets, [dt], "daily", perspective)
    daily_refusals = zone_refusals()
    # CCC's whole-session gaps at 4 and 9 (its split at 10): price forward filled
    gap_minutes = [session_minutes(minute_bundle, p)[k].tz_localize(None)
                   for p in (4, 9) for k in (0, 200)]
    portal_differential(minute_bundle, minute_assets, gap_minutes, "minute",
                        gap_minutes[-1] + pd.Timedelta(days=3))
    import zipline

    if _framework.framework(zipline.__name__).mergers_compared_naive:
        assert daily_refusals > 0 and zone_refusals() > daily_refusals
    else:
        assert zone_refusals() == 0
    assert fastportal.stats()["spot values served"] > 0


def test_odd_arguments(bundle, sessions, assets):
    """What the core does not serve goes to upstream, errors and all."""
    session = sessions[100]
    asset = assets[0]
    calls = [
        (asset.sid, "close", session, "daily"),
        (asset.symbol, "close", session, "daily"),
        ([asset], "close", session, "daily"),
        (asset, "contract", session, "daily"),
        (asset, "nonsense", session, "daily"),
        (asset, "close", session, "weekly"),
        (asset, "close", pd.Timestamp("1980-01-02"), "daily"),
        (asset, "close", pd.Timestamp("2200-01-02"), "daily"),
        (asset, "close", session.tz_localize("US/Eastern"), "daily"),
        (asset, "close", session + pd.Timedelta(seconds=30), "daily"),
        (asset, "close", pd.NaT, "daily"),
        (asset, "close", session.to_pydatetime(), "daily"),
        (asset, "close", None, "daily"),
        (asset, 3, session, "daily"),
    ]

    def produce():
        portal = scenarios.data_portal(bundle)
        return [outcome(lambda: portal.get_spot_value(*call)) for call in calls]

    differential(produce, calls)


def bar_data_calls(data, asset, assets, fields):
    """current in its four forms, can_trade and is_stale, one asset and several."""
    return [
        outcome(lambda: data.current(asset, fields[0])),
        outcome(lambda: data.current(asset, list(fields))),
        outcome(lambda: data.current(assets, fields[0])),
        outcome(lambda: data.current(assets, list(fields))),
        outcome(lambda: data.can_trade(asset)),
        outcome(lambda: data.can_trade(assets)),
        outcome(lambda: data.is_stale(asset)),
        outcome(lambda: data.is_stale(assets)),
    ]


BAR_DATA_FORMS = ("current one", "current fields", "current assets", "current frame",
                  "can_trade one", "can_trade list", "is_stale one", "is_stale list")


def bar_data_differential(bundle, assets, clocks, frequency, restrictions=None,
                          calendar=None, before_trading_start=False):
    """Every form at every clock, for each asset and field, patched against unpatched."""
    field_sets = [(field,) for field in SPOT_FIELDS] + [("price", "volume"),
                                                        ("close", "last_traded")]
    labels = [(clock, asset.symbol, fields, form) for clock in clocks for asset in assets
              for fields in field_sets for form in BAR_DATA_FORMS]

    def produce():
        from zipline.finance.asset_restrictions import NoRestrictions
        from zipline._protocol import handle_non_market_minutes
        from zipline.protocol import BarData

        portal = scenarios.data_portal(bundle)
        out = []
        for clock in clocks:
            data = BarData(portal, lambda clock=clock: clock, frequency,
                           calendar or portal.trading_calendar,
                           restrictions or NoRestrictions())
            for asset in assets:
                for fields in field_sets:
                    if before_trading_start:
                        with handle_non_market_minutes(data):
                            out += bar_data_calls(data, asset, assets, fields)
                    else:
                        out += bar_data_calls(data, asset, assets, fields)
        return out

    theirs = differential(produce, labels)
    stats = fastportal.stats()
    # what BarData leaves to upstream (times in a Series, lists under
    # before_trading_start...) upstream's BarData asks of the portal, which the core
    # answers: nothing falls through to upstream's portal
    assert not [key for key in stats if key.startswith("spot fell through")], stats
    assert stats["spot values served"] > len(labels), stats
    return theirs


def test_bar_data_daily(bundle, sessions, assets):
    calendar = scenarios.data_portal(bundle).trading_calendar
    clocks = [calendar.session_close(sessions[i]) for i in
              (0, 1, 10, 11, 12, 29, 30, 31, 100, 101, 102, 118, 119, 120, 121, 150, 200,
               201, 249)]
    bar_data_differential(bundle, assets, clocks, "daily")


@pytest.mark.parametrize("position", MINUTE_SESSIONS)
def test_bar_data_minute(minute_bundle, minute_assets, position):
    minutes = session_minutes(minute_bundle, position)
    clocks = list(minutes[:3]) + list(minutes[3:-3:29]) + list(minutes[-3:])
    bar_data_differential(minute_bundle, minute_assets, clocks, "minute")


@pytest.mark.parametrize("position", (3, 8, 9, 13))
def test_bar_data_before_trading_start(minute_bundle, minute_assets, position):
    """Under handle_non_market_minutes upstream reads the minute before and adjusts to
    now (before_trading_start)."""
    calendar = scenarios.data_portal(minute_bundle).trading_calendar
    session = minute_bundle.equity_daily_bar_reader.sessions[position]
    clocks = [calendar.session_first_minute(session) - pd.Timedelta(minutes=m)
              for m in (1, 46, 600)]
    bar_data_differential(minute_bundle, minute_assets, clocks, "minute",
                          before_trading_start=True)


def test_bar_data_with_restrictions(minute_bundle, minute_assets):
    from zipline.finance.asset_restrictions import (HistoricalRestrictions, Restriction,
                                                    RESTRICTION_STATES,
                                                    StaticRestrictions)

    sessions = minute_bundle.equity_daily_bar_reader.sessions
    minutes = session_minutes(minute_bundle, 9)
    clocks = list(minutes[::45])
    static = StaticRestrictions([minute_assets[0], minute_assets[4]])
    historical = HistoricalRestrictions([
        Restriction(minute_assets[1], minutes[100], RESTRICTION_STATES.FROZEN),
        Restriction(minute_assets[1], minutes[200], RESTRICTION_STATES.ALLOWED),
        Restriction(minute_assets[2], sessions[2], RESTRICTION_STATES.FROZEN),
    ])
    for restrictions in (static, historical):
        bar_data_differential(minute_bundle, minute_assets, clocks, "minute",
                              restrictions=restrictions)


def test_bar_data_on_another_calendar(minute_bundle, minute_assets):
    """A futures calendar as the simulation's, with equities on XNYS: minutes where CMES
    is open and NYSE is not."""
    from exchange_calendars.exchange_calendar_cmes import CMESExchangeCalendar

    cmes = CMESExchangeCalendar(start=pd.Timestamp("2023-01-03"),
                                end=pd.Timestamp("2024-06-28"), side="right")
    sessions = minute_bundle.equity_daily_bar_reader.sessions
    minutes = cmes.session_minutes(sessions[9])
    clocks = list(minutes[::97]) + [minutes[-1]]
    bar_data_differential(minute_bundle, minute_assets, clocks, "minute", calendar=cmes)


def spot_strategy(assets_of, looks, every=1):
    """A strategy that reads current, can_trade and is_stale of each asset every bar,
    and every `every`-th bar, at the open, the close and in before_trading_start current
    in its four forms too (all appended to `looks`); it records and orders on them."""
    from conftest import looking_strategy

    def look(context, data, label):
        assets = context.assets
        for asset in assets:
            looks.append(((label, data.current_dt, asset.symbol),
                          bar_data_calls(data, asset, assets, ("price", "volume"))))
            looks.append(((label, data.current_dt, asset.symbol, "fields"),
                          [outcome(lambda: data.current(asset, field))
                           for field in SPOT_FIELDS]))

    def initialize(context):
        context.assets = assets_of()
        context.bars = 0

    def handle_data(context, data):
        from zipline.api import order_target, record
        from zipline.assets import Equity

        context.bars += 1
        # every bar: one asset's current, can_trade and is_stale; every `every`-th: all forms
        for asset in context.assets:
            looks.append((("every bar", data.current_dt, asset.symbol),
                          [outcome(lambda: data.current(asset, "price")),
                           outcome(lambda: data.can_trade(asset)),
                           outcome(lambda: data.is_stale(asset))]))
        if context.bars % every:
            return
        look(context, data, "bar")
        for i, asset in enumerate(context.assets):
            # (orders in equities: zipline has no fees for the bundles' futures roots)
            if (data.can_trade(asset) and not data.is_stale(asset)
                    and type(asset) is Equity):
                price = data.current(asset, "price")
                order_target(asset, (10 * (i + 1)) if context.bars % 3 else 0)
                record(**{f"price_{asset.sid}": price})

    return looking_strategy(initialize, handle_data, look)


def compare_spot_backtests(run, looks):
    from conftest import compare_backtests

    windows, where = [], []

    def run_and_flatten():
        looks.clear()
        perf = run()
        for label, outcomes in looks:
            for k, value in enumerate(outcomes):
                windows.append(value)
                where.append(label + (k,))
        return perf

    compare_backtests(run_and_flatten, windows, where)
    return fastportal.stats()


@pytest.mark.sweep
def test_daily_run_algorithm_with_current_can_trade_is_stale(zipline_root, bundle):
    """(make test: to 2023-06-30, three splits and two dividends inside; make test-long:
    the year)"""
    looks = []

    def assets_of():
        from zipline.api import symbol

        return [symbol(a.symbol) for a in DIFFERENTIAL.assets if not a.root_symbol]

    strategy = spot_strategy(assets_of, looks)
    stats = compare_spot_backtests(lambda: scenarios.run_backtest(
        DIFFERENTIAL.name, zipline_root, strategy, start="2023-01-04",
        end="2023-12-28" if LONG else "2023-06-30"), looks)
    assert stats.get("spot values served", 0) > (50_000 if LONG else 25_000), stats


def test_minute_run_algorithm_with_current_can_trade_is_stale(minute_root, minute_bundle):
    looks = []

    def assets_of():
        from zipline.api import future_symbol, symbol

        futures = {a.symbol for a in MINUTE.assets if a.root_symbol}
        return [future_symbol(name) if name in futures else symbol(name)
                for name in looked_at(MINUTE)]

    strategy = spot_strategy(assets_of, looks, every=13)
    stats = compare_spot_backtests(lambda: scenarios.run_backtest(
        MINUTE.name, minute_root, strategy, start="2023-11-20", end="2023-11-30",
        data_frequency="minute"), looks)
    assert stats.get("spot values served", 0) > 50_000, stats


def can_trade_is_stale_differential(bundle, assets, clocks, frequency):
    """can_trade and is_stale, of each asset and of the list, at every clock."""
    labels = [(clock, name, call) for clock in clocks
              for name in [asset.symbol for asset in assets] + ["all"]
              for call in ("can_trade", "is_stale")]

    def produce():
        portal = scenarios.data_portal(bundle)
        out = []
        for clock in clocks:
            data = bar_data(portal, lambda clock=clock: clock, frequency)
            for asset in list(assets) + [list(assets)]:
                out.append(outcome(lambda: data.can_trade(asset)))
                out.append(outcome(lambda: data.is_stale(asset)))
        return out

    differential(produce, labels)
    stats = fastportal.stats()
    assert not [key for key in stats if key.startswith("spot fell through")], stats


@pytest.mark.sweep
@pytest.mark.parametrize("position", (3, 7, 8, 9, 12))
def test_can_trade_and_is_stale_every_minute(minute_bundle, minute_assets, position):
    """Every trading minute of BBB's first and last sessions, the holiday's neighbours
    (8 closes early) and CCC's gap (make test: the first 35 of each, every 5th and the
    last, conftest.sample)."""
    minutes = session_minutes(minute_bundle, position)
    can_trade_is_stale_differential(minute_bundle, minute_assets,
                                    sample(minutes, 5, also=lambda i: i < 35), "minute")


def test_can_trade_and_is_stale_every_session(bundle, sessions, assets):
    calendar = scenarios.data_portal(bundle).trading_calendar
    clocks = [calendar.session_close(session) for session in sessions]
    can_trade_is_stale_differential(bundle, assets, clocks, "daily")


def test_keyword_calls_of_the_portal(bundle, sessions, assets):
    """The ledger calls the portal's spot methods through partials with keywords; those
    bind as the methods' parameters do, and wrong ones raise as upstream raises."""
    session, later = sessions[101], sessions[200]
    asset = assets[2]
    calls = [
        ("get_scalar_asset_spot_value", (asset,),
         dict(field="price", dt=session, data_frequency="daily")),
        ("get_spot_value", (), dict(assets=asset, field="close", dt=session,
                                    data_frequency="daily")),
        ("get_spot_value", (asset, "volume"), dict(data_frequency="daily", dt=session)),
        ("get_adjusted_value", (asset,), dict(field="price", dt=session,
                                              perspective_dt=later, data_frequency="daily")),
        ("get_adjusted_value", (asset, "price", session, later, "daily"),
         dict(spot_value=3.0)),
        ("get_spot_value", (asset,), dict(field="close", dt=session, frequency="daily")),
        ("get_spot_value", (asset, "close"), dict(field="close", dt=session,
                                                  data_frequency="daily")),
        ("get_spot_value", (asset, "close", session, "daily"), dict(extra=1)),
        ("get_spot_value", (asset, "close", session), {}),
    ]

    def produce():
        portal = scenarios.data_portal(bundle)
        return [outcome(lambda: getattr(portal, name)(*args, **kwargs))
                for name, args, kwargs in calls]

    differential(produce, list(range(len(calls))))


# Calls whose argument of the wrong type upstream's compiled check_parameters crashes
# the interpreter on (it raises the TypeError for keyword arguments), with the keyword
# call that raises the same error upstream.
CRASHING_CALLS = [
    ("current", (0, 3), ("assets", "fields")),
    ("current", (3, "price"), ("assets", "fields")),
    ("current", (0, [3]), ("assets", "fields")),
    ("current", (0, 3, 4), None),
    ("can_trade", (3,), ("assets",)),
    ("can_trade", (["x", 0],), ("assets",)),
    ("is_stale", ("x",), ("assets",)),
    ("history", (0, 3, 2, "1d"), ("assets", "fields", "bar_count", "frequency")),
    ("history", (0, "price", "2", "1d"), ("assets", "fields", "bar_count", "frequency")),
]


def test_arguments_upstream_crashes_on_raise_its_error(bundle, sessions, assets):
    """Patched, an argument of the wrong type raises the TypeError upstream's
    check_parameters means to raise (its message as upstream raises it for the same
    argument given by keyword), where upstream's crashes; the errors it does raise
    (an unexpected keyword, an extra argument, an empty set) stay its own."""
    from conftest import unpatched

    def arguments(args, asset):
        return tuple([asset if x == 0 else x for x in a] if type(a) is list
                     else asset if a == 0 else a for a in args)

    def upstream_safe(data, asset):
        return [outcome(lambda: data.current(asset, "price", 5)),
                outcome(lambda: data.can_trade(asset, 1)),
                outcome(lambda: data.history(asset, "price", 2, "1d", 5)),
                outcome(lambda: data.history(asset, {"price"}, 2, "1d")),
                outcome(lambda: data.current(assets=asset, fields=3, x=1)),
                outcome(lambda: data.can_trade([asset, "x"]))]

    def data_of():
        portal = scenarios.data_portal(bundle)
        close = portal.trading_calendar.session_close(sessions[100])
        return bar_data(portal, lambda: close)

    differential(lambda: upstream_safe(data_of(), assets[0]), list(range(6)))
    with unpatched():
        data = data_of()
        by_keyword = [outcome(lambda: getattr(data, method)(
                          **dict(zip(names, arguments(args, assets[0])))))
                      if names else None for method, args, names in CRASHING_CALLS]
    fastportal.install()
    data = data_of()
    for (method, args, names), theirs in zip(CRASHING_CALLS, by_keyword):
        ours = outcome(lambda: getattr(data, method)(*arguments(args, assets[0])))
        assert type(ours) is TypeError, (method, args, ours)
        assert str(ours).startswith("Expected "), (method, args, ours)
        if theirs is not None:
            assert type(theirs) is TypeError and str(ours) == str(theirs), (method, args)
