"""Random bundles for the property tests: drawn by hypothesis as plain descriptions
(BundleDraw), then written with zipline's own writers (AssetDBWriter,
BcolzDailyBarWriter, BcolzMinuteBarWriter, SQLiteAdjustmentWriter) into a directory and
read back with zipline's readers, as a BundleData that scenarios.data_portal accepts.

A bundle is a few XNYS sessions drawn anywhere in 2016-2024 (often next to a holiday, an
early close or a change of daylight saving time), a few equities (and sometimes a future,
whose tick size sets its rounding) that start and end anywhere inside, sessions and
minutes without trade (NaN prices, volume 0), and splits, mergers and dividends piled
on a few dates (sessions, weekends, holidays, dates outside the bundle) with ratios
from near 0 to very large. Prices come from a seeded random walk at a drawn scale, from
thousandths (which round to 0, read back as NaN) to hundreds of thousands."""

import os
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
from hypothesis import strategies as st

CALENDAR = "XNYS"
MINUTES_PER_DAY = 390

# Where a bundle's first session is drawn near: holidays, early closes (day after
# Thanksgiving, July 3rd, Christmas Eve) and the changes of daylight saving time, whose
# neighbours shift minutes and sessions around.
LANDMARKS = ("2016-03-14", "2016-11-25", "2017-07-03", "2018-11-05", "2019-12-24",
             "2020-03-09", "2021-11-26", "2022-06-20", "2023-07-03", "2023-11-24",
             "2024-03-11", "2024-12-24")
EARLIEST, LATEST = pd.Timestamp("2016-01-04"), pd.Timestamp("2024-12-31")

# Ratios of splits and mergers: ordinary ones, near 0, very large, and exactly 0.
RATIOS = st.one_of(
    st.sampled_from([0.5, 0.25, 2.0, 1.0, 0.0]),
    st.floats(0.05, 3.0),
    st.floats(1e-9, 1e-3),
    st.floats(1e3, 1e9),
)
# Dividends as a fraction of the close before the ex-date (ratio = 1 - fraction): tiny,
# ordinary, a ratio near 0, and at or past the close (zipline's writer drops those).
DIVIDEND_FRACTIONS = st.one_of(
    st.floats(1e-9, 1e-4),
    st.floats(0.001, 0.5),
    st.floats(0.99, 1.0 - 1e-9),
    st.floats(1.0, 3.0),
)
TICK_SIZES = (0.01, 0.0001, 0.25, 0.05, 1.0, 1e-6)
PRICE_SCALES = (0.001, 0.05, 1.0, 50.0, 3000.0, 400_000.0)


@dataclass(frozen=True)
class AssetDraw:
    sid: int
    first: int              # first session it trades (position in the bundle)
    last: int               # its last session
    gaps: frozenset         # sessions without a trade
    price_scale: float
    volatility: float       # of the random walk, per bar
    quiet: float            # chance that a minute has no trade (minute bundles)
    seed: int
    tick_size: float | None = None   # a future when set


@dataclass(frozen=True)
class BundleDraw:
    start: pd.Timestamp     # first session
    sessions: int
    minutes: bool           # minute bars too (daily bars are then folded from them)
    assets: tuple
    # (kind, sid, calendar days after the first session, ratio or dividend fraction)
    adjustments: tuple


def calendar():
    from zipline.utils.calendar_utils import get_calendar

    return get_calendar(CALENDAR)


@st.composite
def first_sessions(draw):
    all_sessions = calendar().sessions
    sessions = all_sessions[(all_sessions >= EARLIEST) & (all_sessions <= LATEST)]
    landmark = draw(st.sampled_from(LANDMARKS))
    near = sessions.searchsorted(pd.Timestamp(landmark)) + draw(st.integers(-4, 1))
    anywhere = draw(st.integers(0, len(sessions) - 60))
    return sessions[draw(st.sampled_from([near, anywhere]))]


@st.composite
def assets(draw, sessions, minutes):
    count = draw(st.integers(1, 4))
    sids = draw(st.lists(st.integers(1, 60), min_size=count, max_size=count, unique=True))
    drawn = []
    for i, sid in enumerate(sids):
        first = draw(st.integers(0, sessions - 1) | st.just(0))
        last = draw(st.integers(first, sessions - 1) | st.just(sessions - 1))
        gaps = draw(st.frozensets(st.integers(first, last), max_size=last - first + 1))
        drawn.append(AssetDraw(
            sid=sid, first=first, last=last, gaps=gaps,
            price_scale=draw(st.sampled_from(PRICE_SCALES)),
            volatility=draw(st.sampled_from((0.0, 0.002, 0.03, 0.4))),
            quiet=draw(st.sampled_from((0.0, 0.05, 0.7, 0.99))) if minutes else 0.0,
            seed=draw(st.integers(0, 2**16)),
            # the last asset is sometimes a future (the first is always an equity)
            tick_size=(draw(st.none() | st.sampled_from(TICK_SIZES))
                       if i == count - 1 and i > 0 else None),
        ))
    return tuple(drawn)


@st.composite
def adjustments(draw, sessions, sids):
    # calendar days the adjustments fall on, drawn first so that several share a date
    span = sessions * 7 // 5 + 3
    days = draw(st.lists(st.integers(-3, span), min_size=1, max_size=4, unique=True))
    kinds = st.sampled_from(("split", "merger", "dividend"))
    events = draw(st.lists(
        st.tuples(kinds, st.sampled_from(sids), st.sampled_from(days)), max_size=8))
    return tuple(
        (kind, sid, day, draw(DIVIDEND_FRACTIONS if kind == "dividend" else RATIOS))
        for kind, sid, day in events)


@st.composite
def bundles(draw, minutes):
    sessions = draw(st.integers(2, 5) if minutes else st.integers(2, 40))
    drawn_assets = draw(assets(sessions, minutes))
    return BundleDraw(
        start=draw(first_sessions()), sessions=sessions, minutes=minutes,
        assets=drawn_assets,
        adjustments=draw(adjustments(sessions, [a.sid for a in drawn_assets])),
    )


# -- writing ----------------------------------------------------------------------------

def _walk(rng, n, asset, step_scale=1.0):
    """OHLCV of n bars: a lognormal random walk of closes at the asset's scale, in the
    thousandths the writers keep, below what their uint32 columns hold."""
    step = asset.volatility * step_scale
    close = asset.price_scale * np.exp(np.cumsum(rng.normal(0.0, step, n)))
    open_ = close * np.exp(rng.normal(0.0, step / 2, n))
    high = np.maximum(open_, close) * (1 + rng.uniform(0.0, step, n))
    low = np.minimum(open_, close) * (1 - rng.uniform(0.0, step, n))
    frame = pd.DataFrame({"open": open_, "high": high, "low": low, "close": close})
    frame = frame.clip(upper=4_000_000.0).round(3)
    frame["volume"] = rng.integers(1, 100_000, n).astype(np.float64)
    return frame


def _no_trade(frame, where):
    frame.loc[where, ["open", "high", "low", "close"]] = np.nan
    frame.loc[where, "volume"] = 0.0


def _bars(cal, sessions, asset, minutes):
    """(daily bars, minute bars or None) of one asset over its sessions."""
    lived = sessions[asset.first : asset.last + 1]
    gap_sessions = sessions[sorted(asset.gaps)]
    rng = np.random.default_rng(asset.seed)
    if not minutes:
        daily = _walk(rng, len(lived), asset).set_index(lived)
        _no_trade(daily, gap_sessions)
        return daily, None
    index = cal.sessions_minutes(lived[0], lived[-1])
    bars = _walk(rng, len(index), asset, step_scale=0.05).set_index(index)
    of_session = cal.minutes_to_sessions(index)
    _no_trade(bars, of_session.isin(gap_sessions) | (rng.random(len(index)) < asset.quiet))
    by_session = bars.groupby(of_session)
    daily = pd.DataFrame({"open": by_session["open"].first(),
                          "high": by_session["high"].max(), "low": by_session["low"].min(),
                          "close": by_session["close"].last(),
                          "volume": by_session["volume"].sum()}).reindex(lived)
    return daily, bars


def _asset_tables(spec, sessions):
    equities, futures = [], []
    for asset in spec.assets:
        row = {"sid": asset.sid, "symbol": f"S{asset.sid}", "asset_name": f"S{asset.sid}",
               "start_date": sessions[asset.first], "end_date": sessions[asset.last],
               "auto_close_date": sessions[asset.last] + pd.Timedelta(days=1),
               "exchange": "NYSE"}
        if asset.tick_size is None:
            equities.append(row)
        else:
            futures.append(dict(
                row, symbol=f"FU{asset.sid}", root_symbol="FU", exchange="CMES",
                first_traded=sessions[asset.first],
                notice_date=sessions[asset.last] + pd.Timedelta(days=1),
                expiration_date=sessions[asset.last] + pd.Timedelta(days=2),
                tick_size=asset.tick_size, multiplier=100.0))
    exchanges = pd.DataFrame({"exchange": ["NYSE", "CMES"],
                              "canonical_name": ["NYSE", "CMES"],
                              "country_code": ["US", "US"]})
    tables = dict(equities=pd.DataFrame(equities).set_index("sid"), exchanges=exchanges)
    if futures:
        tables["futures"] = pd.DataFrame(futures).set_index("sid")
        tables["root_symbols"] = pd.DataFrame({"root_symbol": ["FU"], "root_symbol_id": [1],
                                               "exchange": ["CMES"]})
    return tables


def _adjustment_frames(spec, sessions, daily_reader):
    """Splits, mergers and dividends as SQLiteAdjustmentWriter takes them; a dividend's
    amount is its fraction of the close the writer divides it by (the last session
    before the ex-date), or of 1 where there is none."""
    closes = daily_reader.load_raw_arrays(["close"], sessions[0], sessions[-1],
                                          [a.sid for a in spec.assets])[0]
    column = {a.sid: i for i, a in enumerate(spec.assets)}
    ratios = {"split": [], "merger": []}
    dividends = []
    for kind, sid, day, value in spec.adjustments:
        date = sessions[0] + pd.Timedelta(days=day)
        if kind != "dividend":
            ratios[kind].append({"sid": sid, "effective_date": date, "ratio": value})
            continue
        before = sessions.searchsorted(date) - 1
        close = closes[before, column[sid]] if before >= 0 else np.nan
        amount = value * (1.0 if np.isnan(close) else close)
        dividends.append({"sid": sid, "ex_date": date, "record_date": date,
                          "declared_date": date, "pay_date": date + pd.Timedelta(days=14),
                          "amount": amount})
    ratio_columns = ["sid", "effective_date", "ratio"]
    return dict(
        splits=pd.DataFrame(ratios["split"], columns=ratio_columns),
        mergers=pd.DataFrame(ratios["merger"], columns=ratio_columns),
        dividends=pd.DataFrame(dividends, columns=["sid", "ex_date", "record_date",
                                                   "declared_date", "pay_date", "amount"]),
    )


# Bundles are written to memory where the machine has it: writing and removing small
# files on disk (SQLite syncs each table it creates) costs more than the calls compared.
SCRATCH = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None


def sessions_of(spec):
    all_sessions = calendar().sessions
    at = all_sessions.get_loc(spec.start)
    return all_sessions[at : at + spec.sessions]


@contextmanager
def written(spec, directory):
    """The bundle `spec` written into `directory` (which must exist) and read back: a
    zipline BundleData, closed on exit."""
    from sqlalchemy import create_engine
    from zipline.assets import AssetDBWriter, AssetFinder
    from zipline.data.adjustments import SQLiteAdjustmentReader, SQLiteAdjustmentWriter
    from zipline.data.bcolz_daily_bars import BcolzDailyBarReader, BcolzDailyBarWriter
    from zipline.data.bcolz_minute_bars import BcolzMinuteBarReader, BcolzMinuteBarWriter
    from zipline.data.bundles.core import BundleData

    cal = calendar()
    sessions = sessions_of(spec)
    paths = {name: os.path.join(directory, name)
             for name in ("assets.sqlite", "daily", "minute", "adjustments.sqlite")}

    engine = create_engine("sqlite:///" + paths["assets.sqlite"])
    AssetDBWriter(engine).write(**_asset_tables(spec, sessions))
    bars = {a.sid: _bars(cal, sessions, a, spec.minutes) for a in spec.assets}
    with warnings.catch_warnings():
        # the writer warns of the NaN of no-trade sessions, which it stores as 0
        warnings.simplefilter("ignore", UserWarning)
        BcolzDailyBarWriter(paths["daily"], cal, sessions[0], sessions[-1]).write(
            (sid, daily) for sid, (daily, _) in bars.items())
    os.mkdir(paths["minute"])
    minute_writer = BcolzMinuteBarWriter(paths["minute"], cal, sessions[0], sessions[-1],
                                         MINUTES_PER_DAY)
    if spec.minutes:
        minute_writer.write((sid, minute) for sid, (_, minute) in bars.items())
    daily_reader = BcolzDailyBarReader(paths["daily"])
    with SQLiteAdjustmentWriter(paths["adjustments.sqlite"], daily_reader) as writer:
        writer.write(**_adjustment_frames(spec, sessions, daily_reader))

    bundle = BundleData(
        asset_finder=AssetFinder(engine),
        equity_minute_bar_reader=BcolzMinuteBarReader(paths["minute"]),
        equity_daily_bar_reader=daily_reader,
        adjustment_reader=SQLiteAdjustmentReader(paths["adjustments.sqlite"]),
    )
    try:
        yield bundle
    finally:
        bundle.close()
        engine.dispose()
