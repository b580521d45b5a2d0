"""Shared fixtures: real bundles ingested once per session through zipline's machinery,
and the comparison of patched against unpatched calls; and the sample of the exhaustive
sweeps that make test checks (all of them under make test-long)."""

import os
import warnings
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal

import fastportal
from fastportal.study import scenarios
from fastportal.study.scenarios import AssetSpec, BundleSpec

warnings.filterwarnings("ignore", category=DeprecationWarning)

# 250 XNYS sessions of 2023. Positions below are session positions in the bundle.
DIFFERENTIAL = BundleSpec(
    name="fastportal-differential",
    start="2023-01-03",
    end="2023-12-29",
    seed=3,
    assets=[
        AssetSpec(1, "AAA"),                                  # several adjustments a date
        AssetSpec(2, "BBB", first=30, last=200),              # starts and ends inside
        AssetSpec(3, "CCC", gaps=(0, 1, 10, 11, 12, 100, 150, 151, 249)),
        AssetSpec(4, "DDD"),                                  # nothing happens to it
        AssetSpec(5, "EEE"),                                  # adjustments off-session
        AssetSpec(6, "FFF", first=100, gaps=(101, 102)),      # starts late, gaps at once
        AssetSpec(7, "GGG", last=120, gaps=(118,)),           # ends early after a gap
        AssetSpec(8, "FUH23", first=20, last=230, gaps=(50, 51),   # a future: no
                  root_symbol="FU", tick_size=0.0001),            # adjustments
    ],
    splits=[(1, 40, 0.5), (2, 60, 0.25), (5, "2023-06-10", 0.5), (6, 150, 0.5),
            (4, 0, 0.5), (1, 249, 0.5), (7, 119, 0.5)],
    mergers=[(1, 40, 0.95), (1, 80, 0.9), (5, "2023-06-10", 0.98)],
    dividends=[(1, 40, 0.3), (1, 120, 0.25), (2, 199, 0.1), (3, 120, 0.2),
               (5, "2023-06-10", 0.3), (6, 200, 0.5)],
)

FIELDS = ("open", "high", "low", "close", "volume", "price")

# The exhaustive sweeps (every minute of years, every session, every length, ...) check
# every item under FASTPORTAL_LONG=1 (make test-long), and a fixed sample of them
# otherwise (make test): see sample(). Their tests are marked sweep, which make test-long
# selects (-m sweep); sample() refuses to run in a test that is not.
LONG = os.environ.get("FASTPORTAL_LONG", "") not in ("", "0")
_in_a_sweep = [False]


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "sweep: an exhaustive sweep or a long backtest, sampled or shortened "
        "unless FASTPORTAL_LONG=1")
    config.addinivalue_line(
        "markers", "long: a whole-command test that make test-long runs and make test "
        "leaves out (another test of the same command stays in make test)")


# Modules whose module-scoped fixture is costly (the profile command's runs, an upstream
# zipline run): under pytest-xdist (make test: -n 2) their tests stay together on one
# worker, which builds the fixture once; every other test goes to whichever worker is
# free. (pytest-xdist 3.8.0's
# --dist loadgroup does not group under pytest 9.2, whose node ids it can no longer
# rename: pytest-xdist issue 1386.)
ONE_WORKER_MODULES = ("test_profile_command.py", "test_zipline_ways.py")

try:
    from xdist.scheduler import LoadScopeScheduling
except ImportError:  # pytest-xdist not installed: the tests run in one process
    pass
else:
    class _Scheduling(LoadScopeScheduling):
        """pytest-xdist's scheduling by work unit, a unit being a test, or all the tests
        of one of ONE_WORKER_MODULES (handed out first: the largest units go first)."""

        def _split_scope(self, nodeid):
            path = nodeid.split("::", 1)[0]
            return path if path.rsplit("/", 1)[-1] in ONE_WORKER_MODULES else nodeid

    def pytest_xdist_make_scheduler(config, log):
        if config.getvalue("dist") == "load":
            return _Scheduling(config, log)
        return None  # another --dist asked for: pytest-xdist's own


@pytest.fixture(autouse=True)
def sweep_marked(request):
    _in_a_sweep[0] = request.node.get_closest_marker("sweep") is not None
    yield
    _in_a_sweep[0] = False


def sample(items, stride, also=None):
    """The items of a sweep (a sequence) that this run checks, as a list in their order:
    every one under FASTPORTAL_LONG=1; otherwise every stride-th from the first, the last,
    and those at the positions i for which also(i) is true. The same items every run (no
    randomness); the strides used are primes, so that over a year of minutes the sample
    falls on every minute of the day (1440), every minute of a session (390) and every
    day of the week."""
    assert _in_a_sweep[0], "a test that samples a sweep is marked @pytest.mark.sweep"
    if LONG or stride <= 1:
        return list(items)
    last = len(items) - 1
    return [items[i] for i in range(len(items))
            if i % stride == 0 or i == last or (also is not None and also(i))]

# 19 XNYS sessions with minute bars around Thanksgiving 2023: the holiday (11-23), the
# early close the day after (session 8, 13:00 local), a split and dividends inside,
# assets that start and stop trading inside, gap sessions, and quiet first half-hours.
MINUTE = BundleSpec(
    name="fastportal-minute",
    start="2023-11-13",
    end="2023-12-08",
    seed=9,
    minutes=True,
    assets=[
        AssetSpec(1, "AAA"),
        AssetSpec(2, "BBB", first=3, last=12),
        AssetSpec(3, "CCC", gaps=(4, 9)),
        AssetSpec(4, "DDD"),
        AssetSpec(5, "FUZ23", root_symbol="FU", tick_size=0.0001),   # futures: no
        AssetSpec(6, "FUF24", first=5, last=14, gaps=(9,), root_symbol="FU"),  # adjustments
    ],
    splits=[(1, 6, 0.5), (3, 10, 0.25)],
    mergers=[(4, 11, 0.95)],
    dividends=[(1, 6, 0.4), (4, 9, 0.2)],
)


# A futures chain over the 250 sessions of 2023: overlapping contracts that auto-close
# before they stop trading, one that never trades a contract (no volume), the chain's
# last contract ending before the bundle does, and an equity with a split and a
# dividend on roll dates.
FUTURES = BundleSpec(
    name="fastportal-futures",
    start="2023-01-03",
    end="2023-12-29",
    seed=5,
    assets=[
        AssetSpec(1, "AAA", gaps=(50, 100)),   # no trade on its split and dividend dates
        AssetSpec(11, "CLF23", first=0, last=70, auto_close=50, root_symbol="CL"),
        AssetSpec(12, "CLG23", first=20, last=120, auto_close=100, root_symbol="CL"),
        AssetSpec(13, "CLH23", first=60, last=170, auto_close=150, root_symbol="CL",
                  no_volume=True),
        AssetSpec(14, "CLJ23", first=110, last=215, auto_close=200, root_symbol="CL",
                  gaps=(130, 131)),
        AssetSpec(15, "CLK23", first=160, last=235, auto_close=230, root_symbol="CL"),
    ],
    splits=[(1, 50, 0.5)],
    dividends=[(1, 100, 0.4)],
)


@pytest.fixture(scope="session")
def zipline_root(tmp_path_factory):
    return tmp_path_factory.mktemp("zipline_root")


@pytest.fixture(scope="session")
def bundle(zipline_root):
    return scenarios.ingest(DIFFERENTIAL, zipline_root)


@pytest.fixture(scope="session")
def sessions(bundle):
    return bundle.equity_daily_bar_reader.sessions


@pytest.fixture(scope="session")
def assets(bundle):
    return bundle.asset_finder.retrieve_all([a.sid for a in DIFFERENTIAL.assets])


# A futures chain with minute bars over 19 sessions around Thanksgiving 2023 (the
# holiday, the early close at 8): contracts overlapping and auto-closing inside, one
# without volume, the chain ending before the bundle; an equity split on a roll date.
MINUTE_FUTURES = BundleSpec(
    name="fastportal-minute-futures",
    start="2023-11-13",
    end="2023-12-08",
    seed=21,
    minutes=True,
    assets=[
        AssetSpec(1, "AAA"),
        AssetSpec(21, "FUX23", first=0, last=8, auto_close=6, root_symbol="FU"),
        AssetSpec(22, "FUZ23", first=2, last=14, auto_close=11, root_symbol="FU"),
        AssetSpec(23, "FUF24", first=7, last=17, auto_close=15, root_symbol="FU",
                  no_volume=True),
        AssetSpec(24, "FUG24", first=12, last=17, auto_close=17, root_symbol="FU"),
    ],
    splits=[(1, 6, 0.5)],
)


@pytest.fixture(scope="session")
def minute_futures_root(tmp_path_factory):
    return tmp_path_factory.mktemp("minute_futures_root")


@pytest.fixture(scope="session")
def minute_futures_bundle(minute_futures_root):
    return scenarios.ingest(MINUTE_FUTURES, minute_futures_root)


@pytest.fixture(scope="session")
def futures_root(tmp_path_factory):
    return tmp_path_factory.mktemp("futures_root")


@pytest.fixture(scope="session")
def futures_bundle(futures_root):
    return scenarios.ingest(FUTURES, futures_root)


def continuous_futures(bundle, root="CL"):
    """Every continuous future of a root: offsets 0-2, both roll styles, each adjustment."""
    finder = bundle.asset_finder
    return [finder.create_continuous_future(root, offset, roll_style, adjustment)
            for roll_style in ("calendar", "volume") for offset in (0, 1, 2)
            for adjustment in (None, "mul", "add")]


def near_rolls(bundle, cfs):
    """For sample's also: whether the session at a position is one at which upstream's
    roll finder names another contract for one of cfs than at the session before (or
    raises, or stops raising), or is next to one; computed unpatched, and only when
    sampling."""
    if LONG:
        return lambda position: True
    portal = scenarios.data_portal(bundle)
    sessions = bundle.equity_daily_bar_reader.sessions
    with unpatched():
        contracts = [[repr(outcome(lambda: portal._get_current_contract(cf, session)))
                      for session in sessions] for cf in cfs]
    changes = {position for column in contracts for position in range(1, len(sessions))
               if column[position] != column[position - 1]}
    return {p + d for p in changes for d in (-1, 0, 1)}.__contains__


@pytest.fixture(scope="session")
def minute_root(tmp_path_factory):
    return tmp_path_factory.mktemp("minute_root")


@pytest.fixture(scope="session")
def minute_bundle(minute_root):
    return scenarios.ingest(MINUTE, minute_root)


@pytest.fixture(scope="session")
def minute_assets(minute_bundle):
    return minute_bundle.asset_finder.retrieve_all([a.sid for a in MINUTE.assets])


@pytest.fixture(autouse=True)
def fresh_install_state():
    """Each test starts and ends unpatched, with zeroed statistics."""
    fastportal.uninstall()
    fastportal.reset_stats()
    yield
    fastportal.uninstall()


@contextmanager
def unpatched():
    """Upstream exactly as it is, for the duration of the block."""
    was = fastportal.installed()
    fastportal.uninstall()
    try:
        yield
    finally:
        if was:
            fastportal.install()


def looked_at(spec, symbols=None):
    """The symbols (default: all of spec's) a whole backtest's strategy looks at: all of
    them, but with rustybt none with a merger. Its get_adjustments compares zoned times
    with naive merger dates, so a backtest that asks such an asset's window before the
    open, or its price across sessions, raises unpatched (its TypeError is compared call
    by call in the history and spot tests)."""
    import zipline

    from fastportal import _framework

    symbols = [a.symbol for a in spec.assets] if symbols is None else symbols
    if not _framework.framework(zipline.__name__).mergers_compared_naive:
        return symbols
    merged = {a.symbol for a in spec.assets if a.sid in {m[0] for m in spec.mergers}}
    return [symbol for symbol in symbols if symbol not in merged]


def refusals(stats):
    """History calls upstream refused with its own error, raised on the core's path:
    windows before the data; with rustybt, also its get_adjustments' TypeError for an
    asset with a merger (a leading gap's value, a before_trading_start ratio)."""
    return sum(n for key, n in stats.items() if key.startswith("refused as upstream: "))


def differential(produce, labels):
    """produce() unpatched, then patched; each outcome compared as assert_same does.
    Returns the unpatched outcomes."""
    with unpatched():
        theirs = produce()
    fastportal.install()
    ours = produce()
    assert len(ours) == len(theirs) == len(labels)
    for label, o, t in zip(labels, ours, theirs):
        assert_same(o, t, context=str(label))
    return theirs


def bar_data(portal, clock, data_frequency="daily"):
    """A BarData of whatever class zipline.protocol holds now (ours when installed)."""
    from zipline.finance.asset_restrictions import NoRestrictions
    from zipline.protocol import BarData

    return BarData(portal, clock, data_frequency, portal.trading_calendar, NoRestrictions())


def outcome(call):
    """The value of call(), or the exception it raised."""
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - the exception is the outcome compared
        return exc


def exception_text(exc):
    """str(exc), or what str() raised (some of exchange_calendars' errors assert in it)."""
    try:
        return str(exc)
    except Exception as error:  # noqa: BLE001 - what str() raised is the text compared
        return f"str() raised {type(error).__name__}: {error}"


def assert_same(ours, theirs, context=""):
    """Equal as docs/DESIGN.md (section 3) defines it: values bit for bit, index, names,
    dtypes, freq, flags; exceptions of the same type with the same message."""
    if isinstance(theirs, Exception):
        assert type(ours) is type(theirs), f"{context}: {ours!r} != {theirs!r}"
        assert exception_text(ours) == exception_text(theirs), context
        return
    assert type(ours) is type(theirs), f"{context}: {type(ours)} != {type(theirs)}"
    if not isinstance(theirs, (pd.Series, pd.DataFrame)):
        assert_same_scalar(ours, theirs, context)
        return
    kwargs = dict(check_exact=True, check_freq=True, check_flags=True)
    if isinstance(theirs, pd.Series):
        assert_series_equal(ours, theirs, **kwargs, obj=context or "Series")
    else:
        assert_frame_equal(ours, theirs, **kwargs, obj=context or "DataFrame")
    dtypes = [theirs.dtype] if isinstance(theirs, pd.Series) else list(theirs.dtypes)
    if not all(isinstance(dtype, np.dtype) and (np.issubdtype(dtype, np.number)
                                                or dtype == bool) for dtype in dtypes):
        return  # objects and times: compared by the pandas assertion above
    # NaN in the same places and the same bits elsewhere (so -0.0 is not 0.0).
    ours_values = np.asarray(ours, dtype=np.float64)
    theirs_values = np.asarray(theirs, dtype=np.float64)
    nan = np.isnan(theirs_values)
    assert np.array_equal(np.isnan(ours_values), nan), context
    assert np.array_equal(
        ours_values[~nan].view(np.int64), theirs_values[~nan].view(np.int64)
    ), context


def assert_same_scalar(ours, theirs, context=""):
    """A scalar as upstream's: its type, the same bits for a float (NaN for NaN), the same
    instant, unit and zone for a Timestamp, equal otherwise."""
    assert type(ours) is type(theirs), f"{context}: {ours!r} != {theirs!r}"
    if isinstance(theirs, float):
        if np.isnan(theirs):
            assert np.isnan(ours), f"{context}: {ours!r} != {theirs!r}"
        else:
            assert np.float64(ours).view(np.int64) == np.float64(theirs).view(np.int64), (
                f"{context}: {ours!r} != {theirs!r}")
    elif isinstance(theirs, pd.Timestamp):
        assert (ours == theirs and ours.unit == theirs.unit
                and str(ours.tz) == str(theirs.tz)), f"{context}: {ours!r} != {theirs!r}"
    elif theirs is pd.NaT or theirs is None:
        assert ours is theirs, f"{context}: {ours!r} != {theirs!r}"
    else:
        assert ours == theirs, f"{context}: {ours!r} != {theirs!r}"


def compare_backtests(run, windows, where):
    """run() (a backtest that appends what its strategy's history calls return to
    `windows`, and where it asked to `where`) unpatched, then patched: every window and
    the perf frame identical. Returns (upstream's windows, where)."""
    from pandas.testing import assert_frame_equal

    def once():
        windows.clear()
        where.clear()
        perf = run()
        return perf, list(windows), list(where)

    with unpatched():
        theirs, their_windows, their_where = once()
    fastportal.install()
    ours, our_windows, our_where = once()
    assert our_where == their_where and len(our_windows) == len(their_windows)
    for o, t, context in zip(our_windows, their_windows, our_where):
        assert_same(o, t, context=str(context))
    random_ids = ["orders", "transactions"]
    assert_frame_equal(ours.drop(columns=random_ids).sort_index(axis=1),
                       theirs.drop(columns=random_ids).sort_index(axis=1), check_exact=True)
    assert ours["transactions"].map(len).tolist() == theirs["transactions"].map(len).tolist()
    return their_windows, their_where


def looking_strategy(initialize, handle_data, look):
    """A strategy for scenarios.run_backtest: initialize(context), then look(context, data,
    label) at every session's open ("open") and close ("close") from scheduled functions
    and from before_trading_start ("before"); handle_data as given."""

    def initialize_and_schedule(context):
        from zipline.api import date_rules, schedule_function, time_rules

        initialize(context)
        schedule_function(lambda c, d: look(c, d, "open"), date_rules.every_day(),
                          time_rules.market_open())
        schedule_function(lambda c, d: look(c, d, "close"), date_rules.every_day(),
                          time_rules.market_close())

    return type("Strategy", (), {
        "initialize": staticmethod(initialize_and_schedule),
        "handle_data": staticmethod(handle_data),
        "before_trading_start": staticmethod(lambda c, d: look(c, d, "before")),
    })


def history_in_minutes(bundle, assets, minutes, fields, lengths, frequency):
    """data.history(asset, field, n, frequency) in a minute simulation for every (minute,
    asset, field, n) in that order, patched against unpatched; the clock only moves
    forward, as in a simulation. Returns (labels, unpatched outcomes)."""
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
                        out.append(outcome(lambda: data.history(asset, field, n,
                                                                 frequency)))
        return out

    return labels, differential(produce, labels)


def session_minutes(bundle, position):
    """The trading minutes of the bundle's session at `position`."""
    calendar = scenarios.data_portal(bundle).trading_calendar
    return calendar.session_minutes(bundle.equity_daily_bar_reader.sessions[position])
