"""Continuous futures on the spot path, patched against unpatched: data.current of every
field (the contract too) on the daily and minute futures bundles, every continuous
future of the chain (offsets 0-2, calendar and volume rolls), in every form, in real
runs; and the roll tables the core reads the contract from, against upstream's roll
finder at every minute."""

import pandas as pd
import pytest
from conftest import (FUTURES, LONG, MINUTE_FUTURES, continuous_futures, differential, near_rolls,
                      outcome, sample, session_minutes)
from test_spot import compare_spot_backtests

import fastportal
from fastportal import _rolls
from fastportal.study import scenarios

CF_FIELDS = ("open", "high", "low", "close", "volume", "price", "last_traded", "contract")

# Sessions of the minute futures bundle (positions): FUX23 auto-closes (6), the holiday's
# neighbours (7, 8; 8 closes early), FUZ23 auto-closes (11), FUG24's first days (12, 13),
# FUF24 (never traded) auto-closes (15), the last session (18).
MINUTE_SESSIONS = (5, 6, 7, 8, 11, 12, 15, 18)


def no_fall_through_but_refusals(stats):
    """Nothing left to upstream's portal but what upstream refuses: a continuous future
    its roll finder names no contract for, the contract of an asset that has none."""
    return not [k for k in stats if k.startswith("spot fell through")
                and k not in ("spot fell through: no contract", "spot fell through: field")]


def spot_calls(portal, cfs, dts, frequency, adjusted_every=4):
    out = []
    for d, dt in enumerate(dts):
        for cf in cfs:
            for field in CF_FIELDS:
                out.append(outcome(lambda: portal.get_spot_value(cf, field, dt, frequency)))
                if d % adjusted_every == 0:
                    out.append(outcome(lambda: portal.get_adjusted_value(
                        cf, field, dt, dts[-1], frequency)))
    return out


def spot_differential(bundle, cfs, dts, frequency):
    """Every field of every continuous future at each dt; what falls through is only
    what upstream refuses or names no contract for."""
    labels = [(dt, cf.root_symbol, cf.offset, cf.roll_style, cf.adjustment, field, call)
              for d, dt in enumerate(dts) for cf in cfs for field in CF_FIELDS
              for call in (("spot", "adjusted") if d % 4 == 0 else ("spot",))]
    theirs = differential(
        lambda: spot_calls(scenarios.data_portal(bundle), cfs, dts, frequency), labels)
    stats = fastportal.stats()
    refused = sum(isinstance(t, Exception) for t in theirs)
    # (an adjusted value upstream refuses falls through twice: upstream's
    # get_adjusted_value asks the portal's get_spot_value)
    assert no_fall_through_but_refusals(stats), stats
    assert stats["spot values served"] == len(theirs) - refused, stats
    return theirs


@pytest.mark.sweep
def test_daily_every_session(futures_bundle):
    """Every session of 2023 (make test: those next to a roll and every 7th,
    conftest.sample): rolls by auto-close date and by volume, a contract that never
    trades, the chain ending before the bundle does."""
    sessions = futures_bundle.equity_daily_bar_reader.sessions
    cfs = continuous_futures(futures_bundle)
    spot_differential(futures_bundle, cfs,
                      sample(sessions, 7, also=near_rolls(futures_bundle, cfs)), "daily")


@pytest.mark.sweep
@pytest.mark.parametrize("position", MINUTE_SESSIONS)
def test_minute_every_minute(minute_futures_bundle, position):
    """Every trading minute of the session (make test: its first ten, every 13th and its
    last, conftest.sample) and minutes outside it: the contract at the minute, the price
    forward-filled through the contract's last trade."""
    minutes = session_minutes(minute_futures_bundle, position)
    outside = [minutes[0] - pd.Timedelta(minutes=m) for m in (1, 45, 600)] + [
        minutes[-1] + pd.Timedelta(minutes=m) for m in (1, 200)]
    cfs = continuous_futures(minute_futures_bundle, "FU")
    spot_differential(minute_futures_bundle, cfs,
                      sample(minutes, 13, also=lambda i: i < 10) + outside, "minute")


def test_daily_frequency_in_a_minute_bundle(minute_futures_bundle):
    cfs = continuous_futures(minute_futures_bundle, "FU")
    minutes = [m for p in (6, 11, 15) for m in session_minutes(minute_futures_bundle, p)[::41]]
    spot_differential(minute_futures_bundle, cfs, minutes, "daily")


def test_clocks_years_apart(minute_futures_bundle):
    """A clock years before the data between clocks in it: upstream's answers at each, and
    the roll table built again around the far clock, not across the years between."""
    cfs = continuous_futures(minute_futures_bundle, "FU")
    near = list(session_minutes(minute_futures_bundle, 6)[::97])
    far = [pd.Timestamp("1990-07-25 20:11", tz="UTC"), pd.Timestamp("2001-03-01 15:00", tz="UTC")]
    spot_differential(minute_futures_bundle, cfs, near[:2] + far + near[2:], "minute")


def brute_force_contracts(portal, cf, minutes):
    out = []
    for minute in minutes:
        try:
            out.append(portal._get_current_contract(cf, minute))
        except Exception:  # noqa: BLE001 - upstream raising is what the table records
            out.append(False)
    return out


@pytest.mark.sweep
@pytest.mark.parametrize("position", (49, 50, 99, 100, 158, 159, 160, 161) if LONG
                         else (50, 99, 159, 160))
def test_minute_roll_table_every_minute(futures_bundle, position):
    """A minute roll table against upstream's roll finder at every minute that belongs
    to the session (from the close before it to its close), over a year of volume data:
    around the auto-closes (50, 100) and where 90 business days on passes the reader's
    last day (about 160), so that the session 90 days on changes within a UTC date
    (make test: four of the eight sessions)."""
    portal = scenarios.data_portal(futures_bundle)
    calendar = portal.trading_calendar
    session = futures_bundle.equity_daily_bar_reader.sessions[position]
    start = calendar.previous_close(session) + pd.Timedelta(minutes=1)
    minutes = pd.date_range(start, calendar.session_close(session), freq="min")
    cfs = [cf for cf in continuous_futures(futures_bundle)
           if cf.adjustment is None and cf.offset < 2]
    portal.__dict__.update(_fastportal_rolls={False: {}, True: {}},
                           _fastportal_roll_parts={False: {}, True: {}})
    for cf in cfs:
        _rolls.store_roll(portal, True, cf, session)
        table = portal.__dict__["_fastportal_rolls"][True][cf]
        ours = [table.contract_at(m.value) for m in minutes]
        theirs = brute_force_contracts(portal, cf, minutes)
        wrong = [(m, o, t) for m, o, t in zip(minutes, ours, theirs) if o is not t]
        assert not wrong, (cf, wrong[:5])


def current_forms(data, cf, others):
    """current of a continuous future in its four forms, with contracts and an equity."""
    assets = [cf] + others
    return [outcome(lambda: data.current(cf, field)) for field in CF_FIELDS] + [
        outcome(lambda: data.current(cf, ["price", "volume", "contract"])),
        outcome(lambda: data.current(cf, ["close", "price"])),
        outcome(lambda: data.current(assets, "price")),
        outcome(lambda: data.current(assets, "contract")),
        outcome(lambda: data.current(assets, ["open", "volume"])),
    ]  # (can_trade and is_stale of a continuous future crash upstream's parameter check)


def cf_strategy(looks, root, others_of, trade=False, every=1):
    """Every `every`-th bar, and at the open and the close and in before_trading_start:
    current of each continuous future of root in every form; every bar the front one's
    contract and price (ordered when trade: zipline has fees for CL, not FU)."""
    from conftest import looking_strategy

    def look(context, data, label):
        for cf in context.cfs:
            looks.append(((label, data.current_dt, cf.roll_style, cf.offset),
                          current_forms(data, cf, context.others)))

    def initialize(context):
        from zipline.api import continuous_future

        context.cfs = [continuous_future(root, offset, roll, None)
                       for roll in ("calendar", "volume") for offset in (0, 1)]
        context.others = others_of()
        context.bars = 0

    def handle_data(context, data):
        from zipline.api import order_target, record

        context.bars += 1
        if context.bars % every == 0:
            look(context, data, "bar")
        front = context.cfs[0]
        contract, price = data.current(front, "contract"), data.current(front, "price")
        looks.append((("every bar", data.current_dt), [contract, price]))
        if trade and contract is not None and data.can_trade(contract):
            order_target(contract, 1 if context.bars % 5 else 0)
        record(front_price=price)

    return looking_strategy(initialize, handle_data, look)


@pytest.mark.sweep
def test_daily_run_algorithm(futures_root, futures_bundle):
    """(make test: to 2023-06-15, the rolls at sessions 50 and 100 inside; make test-long:
    to 2023-11-15, those at 150 and 200 too)"""
    looks = []

    def others_of():
        from zipline.api import future_symbol, symbol

        return [future_symbol("CLG23"), symbol("AAA")]

    strategy = cf_strategy(looks, "CL", others_of, trade=True)
    stats = compare_spot_backtests(lambda: scenarios.run_backtest(
        FUTURES.name, futures_root, strategy, start="2023-02-15",
        end="2023-11-15" if LONG else "2023-06-15"), looks)
    assert stats.get("spot values served", 0) > (10_000 if LONG else 5_000), stats
    assert no_fall_through_but_refusals(stats), stats


def test_minute_run_algorithm(minute_futures_root, minute_futures_bundle):
    looks = []

    def others_of():
        from zipline.api import future_symbol, symbol

        return [future_symbol("FUZ23"), symbol("AAA")]

    strategy = cf_strategy(looks, "FU", others_of, every=17)
    stats = compare_spot_backtests(lambda: scenarios.run_backtest(
        MINUTE_FUTURES.name, minute_futures_root, strategy, start="2023-11-20",
        end="2023-12-01", data_frequency="minute"), looks)
    assert stats.get("spot values served", 0) > 10_000, stats
    assert no_fall_through_but_refusals(stats), stats
