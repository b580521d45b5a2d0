"""Synthetic bundles ingested through the framework's own bundle machinery (zipline's or
rustybt's: study.upstream), and the strategies of the benchmark scenarios. Used by the
tests, the benchmarks and the profile comparison.

A bundle lives in a ZIPLINE_ROOT of the caller's choosing (never the user's ~/.zipline).
"""

import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fastportal.study import upstream

CALENDAR = "XNYS"


@dataclass
class AssetSpec:
    sid: int
    symbol: str
    first: int = 0            # first session (position in the bundle's sessions)
    last: int | None = None   # last session, None for the bundle's last
    gaps: tuple = ()          # session positions with no trade
    root_symbol: str | None = None  # a future of this root, expiring after its last session
    tick_size: float = 0.01
    auto_close: int | None = None   # a future's auto-close session, before its last one
    no_volume: bool = False         # a future that never trades a contract


@dataclass
class BundleSpec:
    name: str
    start: str
    end: str
    assets: list
    seed: int = 0
    calendar: str = CALENDAR
    # (sid, session position or date string, ratio); dividends as (sid, ex position, amount)
    splits: list = field(default_factory=list)
    mergers: list = field(default_factory=list)
    dividends: list = field(default_factory=list)
    minutes: bool = False     # also write minute bars (daily bars are then made from them)


def _random_walk(index, seed, start_price, step, volumes):
    """Seeded OHLCV over `index`: a lognormal random walk of closes (`step` a bar), opens
    near them, highs and lows around both; prices in more decimals than a bundle keeps."""
    rng = np.random.default_rng(seed)
    n = len(index)
    close = start_price * np.exp(np.cumsum(rng.normal(0.0, step, n)))
    open_ = close * np.exp(rng.normal(0.0, step / 4, n))
    high = np.maximum(open_, close) * (1 + rng.uniform(0.0, step / 2, n))
    low = np.minimum(open_, close) * (1 - rng.uniform(0.0, step / 2, n))
    volume = rng.integers(*volumes, n).astype(np.float64)
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": volume},
        index=index,
    )


def random_walk_bars(sessions, seed, start_price=50.0):
    """Seeded daily OHLCV."""
    return _random_walk(sessions, seed, start_price, 0.02, (1_000, 1_000_000))


def random_walk_minutes(calendar, sessions, seed, start_price=50.0):
    """Seeded minute OHLCV over every trading minute of `sessions`, and the daily bars
    made from it (first open, highest high, lowest low, last close, summed volume)."""
    minutes = calendar.sessions_minutes(sessions[0], sessions[-1])
    bars = _random_walk(minutes, seed, start_price, 0.001, (100, 10_000))
    by_session = bars.groupby(calendar.minutes_to_sessions(minutes))
    daily = pd.DataFrame({"open": by_session["open"].first(),
                          "high": by_session["high"].max(), "low": by_session["low"].min(),
                          "close": by_session["close"].last(),
                          "volume": by_session["volume"].sum()})
    return bars, daily.reindex(sessions)


def _session(sessions, when):
    return sessions[when] if isinstance(when, (int, np.integer)) else pd.Timestamp(when)


def _make_ingest(spec):
    def ingest(environ, asset_db_writer, minute_bar_writer, daily_bar_writer,
               adjustment_writer, calendar, start_session, end_session, cache,
               show_progress, output_dir):
        sessions = calendar.sessions_in_range(start_session, end_session)
        rows, future_rows, frames, minute_frames = [], [], {}, {}
        for asset in spec.assets:
            last = len(sessions) - 1 if asset.last is None else asset.last
            lived = sessions[asset.first : last + 1]
            gap_sessions = [sessions[g] for g in asset.gaps if asset.first <= g <= last]
            if spec.minutes:
                minute_bars, bars = random_walk_minutes(calendar, lived,
                                                        spec.seed * 1000 + asset.sid)
                # no trade on a gap session, nor in the first 30 minutes of every 7th
                quiet = calendar.minutes_to_sessions(minute_bars.index).isin(gap_sessions)
                quiet |= (np.arange(len(minute_bars)) % (390 * 7)) < 30
                minute_bars.loc[quiet, ["open", "high", "low", "close"]] = np.nan
                minute_bars.loc[quiet, "volume"] = 0.0
                minute_frames[asset.sid] = minute_bars
            else:
                bars = random_walk_bars(lived, spec.seed * 1000 + asset.sid)
            bars.loc[gap_sessions, ["open", "high", "low", "close"]] = np.nan
            bars.loc[gap_sessions, "volume"] = 0.0
            if asset.no_volume:
                bars["volume"] = 0.0
            frames[asset.sid] = bars
            row = {
                "sid": asset.sid, "symbol": asset.symbol, "asset_name": asset.symbol,
                "start_date": lived[0], "end_date": lived[-1],
                "auto_close_date": lived[-1] + pd.Timedelta(days=1), "exchange": "NYSE",
            }
            if asset.root_symbol is None:
                rows.append(row)
            else:
                if asset.auto_close is not None:
                    row["auto_close_date"] = sessions[asset.auto_close]
                future_rows.append(dict(
                    row, root_symbol=asset.root_symbol, exchange="CMES",
                    first_traded=lived[0], notice_date=lived[-1] + pd.Timedelta(days=1),
                    expiration_date=lived[-1] + pd.Timedelta(days=2),
                    tick_size=asset.tick_size, multiplier=100.0))
        equities = pd.DataFrame(rows).set_index("sid")
        exchanges = pd.DataFrame({"exchange": ["NYSE", "CMES"], "canonical_name": ["NYSE", "CMES"],
                                  "country_code": ["US", "US"]})
        futures = root_symbols = None
        if future_rows:
            futures = pd.DataFrame(future_rows).set_index("sid")
            roots = sorted({row["root_symbol"] for row in future_rows})
            root_symbols = pd.DataFrame({"root_symbol": roots,
                                         "root_symbol_id": range(1, len(roots) + 1),
                                         "exchange": ["CMES"] * len(roots)})
        asset_db_writer.write(equities=equities, futures=futures, exchanges=exchanges,
                              root_symbols=root_symbols)
        daily_bar_writer.write(frames.items(), show_progress=show_progress)
        if minute_frames:
            minute_bar_writer.write(minute_frames.items(), show_progress=show_progress)

        def ratios(entries):
            return pd.DataFrame(
                [{"sid": sid, "effective_date": _session(sessions, when), "ratio": ratio}
                 for sid, when, ratio in entries],
                columns=["sid", "effective_date", "ratio"],
            )

        dividends = pd.DataFrame(
            [{"sid": sid, "ex_date": _session(sessions, when),
              "record_date": _session(sessions, when), "declared_date": _session(sessions, when),
              "pay_date": _session(sessions, when) + pd.Timedelta(days=14), "amount": amount}
             for sid, when, amount in spec.dividends],
            columns=["sid", "ex_date", "record_date", "declared_date", "pay_date", "amount"],
        )
        adjustment_writer.write(
            splits=ratios(spec.splits), mergers=ratios(spec.mergers), dividends=dividends
        )

    return ingest


def ingest(spec, root):
    """Register and ingest `spec` into ZIPLINE_ROOT=root; return the loaded bundle."""
    bundles = upstream.module("data.bundles")
    environ = dict(os.environ, ZIPLINE_ROOT=str(root))
    if spec.name in bundles.bundles:
        bundles.unregister(spec.name)
    bundles.register(
        spec.name, _make_ingest(spec), calendar_name=spec.calendar,
        start_session=pd.Timestamp(spec.start), end_session=pd.Timestamp(spec.end),
        minutes_per_day=390, create_writers=True,
    )
    bundles.ingest(spec.name, environ=environ, show_progress=False)
    return bundles.load(spec.name, environ=environ)


def cached_bundle(spec, cache):
    """The spec's bundle in cache/<framework>/<name> (its ZIPLINE_ROOT: each framework
    ingests its own, in its asset database's version), ingested the first time, when
    a previous ingest did not finish or when the spec changed, and registered for
    run_algorithm after that. Returns (loaded bundle, root)."""
    import shutil
    from pathlib import Path

    bundles = upstream.module("data.bundles")
    root = Path(cache) / upstream.name() / spec.name
    marker = root / ".ingested"
    if not marker.exists() or marker.read_text() != repr(spec):
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        loaded = ingest(spec, root)
        marker.write_text(repr(spec))
        return loaded, root
    if spec.name not in bundles.bundles:
        bundles.register(spec.name, lambda *a, **k: None, calendar_name=spec.calendar)
    environ = dict(os.environ, ZIPLINE_ROOT=str(root))
    return bundles.load(spec.name, environ=environ), root


def root_with_extension(spec, data_root, root):
    """A ZIPLINE_ROOT at `root` as a user's is for `zipline run -b NAME`: the spec's
    ingested data, a symlink to data_root's, and an extension.py registering the bundle
    (its ingest is data_root's, so registering needs none)."""
    from pathlib import Path

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    if not (root / "data").exists():
        (root / "data").symlink_to(Path(data_root) / "data")
    (root / "extension.py").write_text(
        f"from {upstream.name()}.data.bundles import register\n\n"
        f"register({spec.name!r}, lambda *args, **kwargs: None, "
        f"calendar_name={spec.calendar!r})\n")
    return root


def data_portal(bundle):
    """A DataPortal over a loaded bundle, built as zipline's run_algorithm builds it."""
    DataPortal = upstream.module("data.data_portal").DataPortal
    get_calendar = upstream.module("utils.calendar_utils").get_calendar
    calendar = get_calendar(bundle.equity_daily_bar_reader.trading_calendar.name)
    return DataPortal(
        bundle.asset_finder,
        trading_calendar=calendar,
        first_trading_day=bundle.equity_minute_bar_reader.first_trading_day,
        equity_minute_reader=bundle.equity_minute_bar_reader,
        equity_daily_reader=bundle.equity_daily_bar_reader,
        adjustment_reader=bundle.adjustment_reader,
        future_minute_reader=bundle.equity_minute_bar_reader,
        future_daily_reader=bundle.equity_daily_bar_reader,
    )


# -- the scenarios of docs/BENCHMARKS.md ------------------------------------------------

def minute_spec():
    """`minute`: 10 symbols, XNYS minute bars for 2024-10 and the backtest's last day
    (2024-11-01); a split and a dividend inside the month."""
    return BundleSpec(
        name="fastportal-minute", start="2024-10-01", end="2024-11-01", seed=13, minutes=True,
        assets=[AssetSpec(i, f"SYM{i:03d}") for i in range(10)],
        splits=[(1, "2024-10-15", 0.5)], dividends=[(2, "2024-10-21", 0.3)],
    )


def daily_spec(adjusted=False):
    """`daily`: 50 symbols on XNYS, 2023-10-01 to 2026-10-01. `daily-adjusted` adds
    splits, dividends and a merger, several inside the backtest (2024-08-01..2025-08-01)."""
    assets = [AssetSpec(sid=i, symbol=f"SYM{i:03d}") for i in range(50)]
    spec = BundleSpec(
        name="fastportal-daily-adjusted" if adjusted else "fastportal-daily",
        start="2023-10-02", end="2026-09-30", assets=assets, seed=7,
    )
    if adjusted:
        spec.splits = [(0, "2024-09-16", 0.5), (3, "2025-01-13", 0.25), (7, "2025-05-05", 0.5),
                       (1, "2024-03-04", 0.5)]
        spec.dividends = [(0, "2024-11-01", 0.35), (2, "2024-10-15", 0.5), (5, "2025-02-14", 0.2),
                          (5, "2025-05-15", 0.2), (9, "2025-03-03", 0.4)]
        spec.mergers = [(4, "2025-04-01", 0.97)]
    return spec


FUTURES_ROOTS = ("CL", "ES", "NG", "HG")  # roots zipline has fees for, and no chain filter


def futures_spec():
    """`futures`: four futures chains on XNYS sessions 2023-10-02 to 2026-09-30, a
    contract every 60 sessions in each, trading for 150 and auto-closing after 120, so
    every continuous future rolls every 60 sessions and a 200-session window spans three
    or four contracts."""
    assets = [AssetSpec(0, "SYM000")]  # the asset database wants an equity
    for r, root in enumerate(FUTURES_ROOTS):
        assets += [AssetSpec(100 * (r + 1) + k, f"{root}{k:02d}", first=60 * k,
                             last=60 * k + 150, auto_close=60 * k + 120, root_symbol=root)
                   for k in range(11)]
    return BundleSpec(name="fastportal-futures", start="2023-10-02", end="2026-09-30",
                      assets=assets, seed=29)


class FuturesTrend:
    """The futures scenario's strategy: per bar, for the front continuous future of each
    chain (calendar rolls, "mul" adjustments), SMA(50) against SMA(200) of
    data.history(cf, "price", n, "1d"); one contract long in the contract in force
    (data.current(cf, "contract")) or flat; record."""

    def __init__(self, history=None):
        self.history = history

    @staticmethod
    def continuous_futures(finder):
        return [finder.create_continuous_future(root, 0, "calendar", "mul")
                for root in FUTURES_ROOTS]

    def initialize(self, context):
        context.api = api = upstream.module("api")
        context.cfs = [api.continuous_future(root, 0, "calendar", "mul")
                       for root in FUTURES_ROOTS]
        context.held = {}

    def handle_data(self, context, data):
        order_target, record = context.api.order_target, context.api.record
        history = self.history or data.history
        means = {}
        for cf in context.cfs:
            short = history(cf, "price", 50, "1d").mean()
            long = history(cf, "price", 200, "1d").mean()
            contract = data.current(cf, "contract")
            held = context.held.get(cf.root_symbol)
            if held is not None and held != contract:
                order_target(held, 0)
            if contract is not None and data.can_trade(contract):
                order_target(contract, 1 if short > long else 0)
                context.held[cf.root_symbol] = contract
            means[f"{cf.root_symbol}_short"] = short
            means[f"{cf.root_symbol}_long"] = long
        record(**means)


class SmaCrossover:
    """The profiled strategy: per bar, on the first `symbols` symbols, SMA(50) against
    SMA(200) of data.history(asset, "close", n, "1d"); order_target 100 or 0; record."""

    def __init__(self, symbols=10, history=None):
        self.symbols = symbols
        self.history = history  # optional replacement of data.history (the oracle run)

    def initialize(self, context):
        context.api = api = upstream.module("api")
        context.assets = [api.symbol(f"SYM{i:03d}") for i in range(self.symbols)]

    def handle_data(self, context, data):
        order_target, record = context.api.order_target, context.api.record
        history = self.history or data.history
        means = {}
        for asset in context.assets:
            short = history(asset, "close", 50, "1d").mean()
            long = history(asset, "close", 200, "1d").mean()
            order_target(asset, 100 if short > long else 0)
            means[f"{asset.symbol}_short"] = short
            means[f"{asset.symbol}_long"] = long
        record(**means)


class MinuteZScore:
    """The minute scenario's strategy: per minute, on the first `symbols` symbols, the
    z-score of data.current(asset, "close") against the mean and std of
    data.history(asset, "close", 20, "1m"); buys 100 below -2.0, sells out above 2.0;
    records the z-scores. The bundle starts with the backtest, so the first 19 minutes
    have no 20-minute window yet and are skipped."""

    def __init__(self, symbols=3, history=None):
        self.symbols = symbols
        self.history = history

    def initialize(self, context):
        context.api = api = upstream.module("api")
        context.assets = [api.symbol(f"SYM{i:03d}") for i in range(self.symbols)]
        context.minutes_seen = 0

    def handle_data(self, context, data):
        order_target, record = context.api.order_target, context.api.record
        context.minutes_seen += 1
        if context.minutes_seen < 20:
            return
        history = self.history or data.history
        scores = {}
        for asset in context.assets:
            window = history(asset, "close", 20, "1m")
            mean, std = window.mean(), window.std()
            score = (data.current(asset, "close") - mean) / std if std > 0 else 0.0
            if score < -2.0:
                order_target(asset, 100)
            elif score > 2.0:
                order_target(asset, 0)
            scores[asset.symbol] = score
        record(**scores)


class Recording:
    """A scenario's strategy that keeps every history answer, keyed (sid, n, minute in
    ns), in .answers."""

    def __init__(self, strategy):
        self.strategy = strategy
        self.answers = {}
        self.initialize = strategy.initialize

    def handle_data(self, context, data):
        now, answers = data.current_dt.value, self.answers

        def history(asset, field, n, frequency):
            answers[(asset.sid, n, now)] = series = data.history(asset, field, n, frequency)
            return series

        self.strategy.history = history
        self.strategy.handle_data(context, data)


class Oracle:
    """The oracle floor: a scenario's strategy answered from a dict of Series computed
    before the run (Recording.answers), so history costs a dict lookup."""

    def __init__(self, strategy, answers):
        self.strategy = strategy
        self.answers = answers
        self.initialize = strategy.initialize

    def handle_data(self, context, data):
        now, answers = data.current_dt.value, self.answers
        self.strategy.history = lambda asset, field, n, frequency: answers[(asset.sid, n, now)]
        self.strategy.handle_data(context, data)


def run_backtest(bundle_name, root, strategy, start="2024-08-01", end="2025-08-01",
              data_frequency="daily"):
    """The framework's run_algorithm on a bundle in `root`, capital 100,000."""
    os.environ["ZIPLINE_ROOT"] = str(root)
    return upstream.module().run_algorithm(
        start=pd.Timestamp(start), end=pd.Timestamp(end),
        initialize=strategy.initialize, handle_data=strategy.handle_data,
        before_trading_start=getattr(strategy, "before_trading_start", None),
        capital_base=100_000, data_frequency=data_frequency, bundle=bundle_name,
        trading_calendar=None,
    )
