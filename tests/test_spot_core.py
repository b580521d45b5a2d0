"""The spot path's C objects at their boundary: SpotTape refuses geometry its lookups
could not stay inside, Spot holds a tape through Python code that drops it, assets of
two types with one sid keep their own tapes, the minute reader's record of searches that
found no trade is read and written as upstream does, and an asset whose last trade lies
before a minute tape's window is answered from the tape."""

import numpy as np
import pandas as pd
import pytest
from conftest import FUTURES, MINUTE, bar_data, differential, outcome, session_minutes

import fastportal
from fastportal import _core
from fastportal.study import scenarios

PER_DAY = 390


def minute_tape(**changes):
    """A minute SpotTape over two sessions of 390 slots, with changes to its arguments."""
    from zipline.assets import Equity

    arguments = dict(bars=np.ones((5, 2 * PER_DAY), np.uint32), scale=0.001, first=0,
                     timeline=None, asset_type=Equity,
                     opens=np.array([1_000_000, 1_001_440]),
                     closes=np.array([1_000_389, 1_001_829]), minutes_per_day=PER_DAY,
                     length=2 * PER_DAY)
    arguments.update(changes)
    return _core.SpotTape(**arguments)


def test_a_well_formed_tape_is_built():
    minute_tape()


class DropsTheKeywords:
    """An argument whose conversion (its __index__ or __bool__) empties the keyword dict
    the constructor's other arguments are borrowed from, and makes garbage that would
    take their memory."""

    def __init__(self, value):
        self.value = value

    def clear(self):
        import gc

        for referrer in gc.get_referrers(self):
            if type(referrer) is dict and len(referrer) > 3:
                referrer.clear()
        [np.arange(7.0) for _ in range(200)]
        [bytearray(64) for _ in range(5000)]

    def __index__(self):
        self.clear()
        return self.value

    def __bool__(self):
        self.clear()
        return bool(self.value)


def test_constructors_hold_their_arguments_while_converting_them():
    from zipline.assets import Equity

    class Sessions(list):  # freed if the constructor only borrowed it
        pass

    for _ in range(20):
        tape = _core.SpotTape(**dict(
            bars=np.ones((5, 3), np.uint32), scale=0.001, first=DropsTheKeywords(0),
            timeline=None, asset_type=Equity, sessions=Sessions([1, 2, 3])))
        assert tape is not None
        timeline = _core.AdjustmentTimeline(**dict(
            split_dates=Sessions([1, 2]), split_ratios=Sessions([0.5, 0.5]),
            merger_dates=Sessions([3]), merger_ratios=Sessions([0.9]),
            dividend_dates=Sessions([]), dividend_ratios=Sessions([]),
            mergers_compared_naive=DropsTheKeywords(1)))
        assert timeline.ratio(False, 0, 10) is None and timeline.ratio(True, 0, 10) == 4.0


@pytest.mark.parametrize("changes", [
    dict(first=10 * PER_DAY, length=20 * PER_DAY),          # rows past the sessions
    dict(opens=np.array([1_001_440, 1_000_000]),             # not increasing
         closes=np.array([1_001_829, 1_000_389])),
    dict(closes=np.array([1_000_000 + PER_DAY, 1_001_829])),  # longer than a day's slots
    dict(closes=np.array([999_999, 1_001_829])),             # closes before it opens
    dict(opens=np.array([2**62, 2**62 + 1440]),              # nanoseconds overflow
         closes=np.array([2**62 + 10, 2**62 + 1450])),
    dict(length=PER_DAY),                                    # rows past the asset's length
    dict(prior=0),                                           # prior not before first
    dict(minutes_per_day=0),
    dict(known={}),                                          # a record without the sid
])
def test_tape_geometry_is_checked(changes):
    with pytest.raises(ValueError):
        minute_tape(**changes)


def test_a_tape_dropped_while_adjusting_stays_alive(futures_bundle):
    """get_adjusted_value reads the perspective's value (Python code) after finding the
    tape; code there that drops the tape must not free it under the core."""
    from pandas._libs.tslibs.timestamps import _Timestamp

    fastportal.install()
    portal = scenarios.data_portal(futures_bundle)
    asset = futures_bundle.asset_finder.retrieve_asset(1)
    sessions = futures_bundle.equity_daily_bar_reader.sessions
    dt, perspective = sessions[50], sessions[200]
    expected = portal.get_adjusted_value(asset, "price", dt, perspective, "daily")
    tapes = portal.__dict__["_fastportal_tapes"]
    spot = portal.__dict__["_fastportal_spot"]
    original = _Timestamp.__dict__["value"]

    def value(self):
        if self is perspective:
            tapes[False].clear()
            [bytearray(96) for _ in range(1000)]  # reuse what was freed
        return original.__get__(self)

    pd.Timestamp.value = property(value)
    try:
        answer = spot.adjusted(asset, "price", dt, perspective, "daily")
    finally:
        del pd.Timestamp.value
    assert answer == expected


def test_an_equity_and_a_future_of_one_sid(futures_bundle):
    """Assets compare by sid alone; each type keeps its own tape (only equities are
    adjusted)."""
    from zipline.assets import Future

    equity = futures_bundle.asset_finder.retrieve_asset(1)
    future = Future(1, equity.exchange_info, symbol="AAAF", root_symbol="CL",
                    start_date=equity.start_date, end_date=equity.end_date)
    sessions = futures_bundle.equity_daily_bar_reader.sessions
    calls = [(asset, session) for session in (sessions[50], sessions[100], sessions[101])
             for asset in (equity, future, equity)]

    def produce():
        portal = scenarios.data_portal(futures_bundle)
        return [outcome(lambda: portal.get_spot_value(asset, "price", session, "daily"))
                for asset, session in calls]

    differential(produce, [(type(a).__name__, s) for a, s in calls])
    assert FUTURES.assets[0].symbol == "AAA"


def test_the_readers_record_of_searches_without_a_trade(minute_bundle):
    """The minute reader records, per sid, a minute before which a search found no
    trade, and later searches stop there: an asset of the same sid with a later start
    date then finds a trade from before its start. The core reads and writes the same
    record."""
    from zipline.assets import Equity

    base = minute_bundle.asset_finder.retrieve_asset(1)
    sessions = minute_bundle.equity_daily_bar_reader.sessions
    later = Equity(1, base.exchange_info, symbol="AAA", start_date=sessions[7],
                   end_date=base.end_date)
    reader = minute_bundle.equity_minute_bar_reader

    def produce():
        reader._known_zero_volume_dict.clear()
        portal = scenarios.data_portal(minute_bundle)
        calendar = portal.trading_calendar
        quiet = calendar.session_minutes(sessions[7])[5]
        first_quiet = calendar.session_minutes(sessions[0])[5]
        out = [outcome(lambda: portal.get_spot_value(base, "last_traded", first_quiet,
                                                     "minute"))]
        for field in ("last_traded", "price", "volume"):
            out.append(outcome(lambda: portal.get_spot_value(later, field, quiet, "minute")))
        data = bar_data(portal, lambda: quiet, "minute")
        out.append(outcome(lambda: data.is_stale(later)))
        out.append(dict(reader._known_zero_volume_dict))
        return out

    differential(produce, ["base last_traded", "last_traded", "price", "volume",
                           "is_stale", "record"])


def test_a_last_trade_before_the_tapes_window(minute_bundle):
    """BBB's last bars are at session 12: from session 18 its last trade lies before a
    minute tape's window, and the core answers from the tape's prior row."""
    sessions = minute_bundle.equity_daily_bar_reader.sessions
    bbb = minute_bundle.asset_finder.retrieve_asset(2)
    assert bbb.symbol == MINUTE.assets[1].symbol

    def produce():
        portal = scenarios.data_portal(minute_bundle)
        minutes = portal.trading_calendar.session_minutes(sessions[18])
        return [outcome(lambda: portal.get_spot_value(bbb, field, minute, "minute"))
                for minute in minutes[::60] for field in ("last_traded", "price")]

    differential(produce, list(range(14)))
    stats = fastportal.stats()
    assert not [key for key in stats if key.startswith("spot fell through")], stats


def block_layout(frame):
    return [(str(block.dtype), list(block.mgr_locs.as_array)) for block in frame._mgr.blocks]


def test_frame_blocks_as_pandas_leaves_them(minute_bundle, minute_assets):
    """current(assets, fields): a block per dtype, in the order DataFrame(dict) leaves
    them (first appearance when each dtype is one run of columns, else float64 first)."""
    field_lists = [["volume", "price"], ["price", "volume"], ["volume", "close", "open"],
                   ["close", "volume", "open"], ["volume", "close"],
                   ["open", "volume", "close", "high"]]
    minute = session_minutes(minute_bundle, 9)[100]

    def produce():
        portal = scenarios.data_portal(minute_bundle)
        data = bar_data(portal, lambda: minute, "minute")
        return [block_layout(data.current(list(minute_assets[:4]), fields))
                for fields in field_lists]

    theirs = differential_plain(produce)
    assert theirs[0] == [("int64", [0]), ("float64", [1])]


def differential_plain(produce):
    """produce() unpatched and patched, compared with ==."""
    from conftest import unpatched

    with unpatched():
        theirs = produce()
    fastportal.install()
    assert produce() == theirs
    return theirs


def test_patched_methods_look_like_the_functions_they_stand_for():
    import inspect
    import pickle

    from exchange_calendars import ExchangeCalendar
    from zipline.data.data_portal import DataPortal

    fastportal.install()
    from zipline.protocol import BarData

    method = ExchangeCalendar.minute_to_session
    assert pickle.loads(pickle.dumps(method)) is method
    assert method.__module__ == "exchange_calendars.exchange_calendar"
    assert method.__doc__ == method.__wrapped__.__doc__
    assert str(inspect.signature(BarData.current)) == "(self, assets, fields)"
    assert "assets" in str(inspect.signature(DataPortal.get_spot_value))


def test_the_reason_a_frame_is_left_is_its_own(minute_bundle, minute_assets):
    minute = session_minutes(minute_bundle, 9)[100]
    fastportal.install()
    portal = scenarios.data_portal(minute_bundle)
    data = bar_data(portal, lambda: minute, "minute")
    data.current(list(minute_assets[:3]), ["price", "volume"])  # tapes built
    fastportal.reset_stats()
    data.current(list(minute_assets[:3]), ["price", "last_traded"])
    data.current([minute_assets[0], minute_assets[0]], ["price"])
    stats = fastportal.stats()
    assert stats.get("spot per value: times") == 1, stats
    assert stats.get("spot per value: repeated items") == 1, stats


def test_a_roll_table_checks_its_stretches():
    contracts = ("a", "b")
    table = _core.RollTable(np.array([10, 20]), contracts, 30)
    assert [table.contract_at(k) for k in (10, 19, 20, 30)] == ["a", "a", "b", "b"]
    assert table.contracts is contracts
    for key in (9, 31, -2**63):
        with pytest.raises(KeyError):
            table.contract_at(key)
    with pytest.raises(OverflowError):
        table.contract_at(2**63)
    for starts, names, end in (([], (), 0), ([1, 2], ("a",), 3), ([2, 1], ("a", "b"), 3),
                               ([1, 2], ("a", "b"), 1)):
        with pytest.raises(ValueError):
            _core.RollTable(np.array(starts, dtype=np.int64), names, end)


def test_contract_of_an_asset_not_alive_and_hostile_tables(futures_bundle):
    """The contract of an equity not alive is None, and adjusting it is upstream's
    TypeError (None times a ratio); a roll table naming something other than a contract
    is left to upstream."""
    from zipline.assets.continuous_futures import ContinuousFuture

    sessions = futures_bundle.equity_daily_bar_reader.sessions
    equity = futures_bundle.asset_finder.retrieve_asset(1)
    before = sessions[0] - pd.Timedelta(days=400)

    def produce():
        portal = scenarios.data_portal(futures_bundle)
        return [outcome(lambda: portal.get_spot_value(equity, "contract", before, "daily")),
                outcome(lambda: portal.get_adjusted_value(equity, "contract", sessions[3],
                                                          sessions[9], "daily"))]

    differential(produce, ["spot", "adjusted"])
    fastportal.install()
    portal = scenarios.data_portal(futures_bundle)
    spot = fastportal._spot.spot_core(portal)
    cf = futures_bundle.asset_finder.create_continuous_future("CL", 0, "calendar", None)
    assert type(cf) is ContinuousFuture
    at = sessions[100]
    for named in ("a reason?", NotImplemented, 3):
        portal.__dict__["_fastportal_rolls"][False][cf] = _core.RollTable(
            np.array([sessions[0].value]), (named,), sessions[-1].value)
        for field in ("contract", "price", "close"):
            assert spot.value(cf, field, at, "daily") == "asset type", (named, field)
