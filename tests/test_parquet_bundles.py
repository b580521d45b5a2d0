"""rustybt's Parquet bundles (written by its own CSVAdapter, read through its
ParquetDailyBarReader in its default configuration), patched against unpatched.

Their reader keeps one cached slice keyed by dates and fields but not assets, so what
its get_value answers depends on the reads before it; any read of the core's would
change what upstream's spot path then reads. The core therefore leaves such a portal's
history to upstream ("call-order reader"), and its spot values go to upstream too (the
core reads only bcolz tapes). What a user gets is rustybt's own answer, in rustybt's own
order: its load_raw_arrays looks dates up in a datetime64[ms] index by datetime.date, so
every window is NaN, as unpatched."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

pytest.importorskip("rustybt.data.adapters.csv_adapter",
                    reason="rustybt's Parquet bundles are tested under make test-rustybt")

from conftest import assert_same  # noqa: E402

WORK = Path(__file__).with_name("parquet_work.py")


def csv_of_sessions(path):
    """Seeded daily bars of three symbols over XNYS 2022-10-03..2023-12-29, one file with
    a symbol column, sorted by date as CSVAdapter requires."""
    import exchange_calendars

    sessions = exchange_calendars.get_calendar("XNYS").sessions_in_range("2022-10-03",
                                                                         "2023-12-29")
    rng = np.random.default_rng(7)
    frames = []
    for symbol, start in (("AAA", 50.0), ("BBB", 120.0), ("SPLT", 200.0)):
        close = np.round(start * np.exp(np.cumsum(rng.normal(0, 0.01, len(sessions)))), 2)
        open_ = np.round(close * (1 + rng.normal(0, 0.003, len(close))), 2)
        frames.append(pd.DataFrame({
            "timestamp": sessions.strftime("%Y-%m-%d"), "symbol": symbol, "open": open_,
            "high": np.round(np.maximum(open_, close) * 1.01, 2),
            "low": np.round(np.minimum(open_, close) * 0.99, 2), "close": close,
            "volume": rng.integers(100_000, 500_000, len(close))}))
    pd.concat(frames).sort_values(["timestamp", "symbol"], kind="stable").to_csv(path,
                                                                                index=False)


def child(root, *arguments):
    done = subprocess.run([sys.executable, str(WORK), *map(str, arguments)],
                          env=dict(os.environ, ZIPLINE_ROOT=str(root)), capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]


def test_a_csv_bundle_answers_as_unpatched(tmp_path):
    root = tmp_path / "root"
    csv = tmp_path / "bars.csv"
    csv_of_sessions(csv)
    child(root, "ingest", csv)
    results = {}
    for mode in ("unpatched", "patched"):
        child(root, "run", mode, tmp_path / f"{mode}.pickle")
        results[mode] = pd.read_pickle(tmp_path / f"{mode}.pickle")
    theirs, ours = results["unpatched"], results["patched"]
    assert list(ours["windows"]) == list(theirs["windows"])
    for key, window in theirs["windows"].items():
        assert_same(ours["windows"][key], window, context=str(key))
    random_ids = ["orders", "transactions"]
    assert_frame_equal(ours["perf"].drop(columns=random_ids).sort_index(axis=1),
                       theirs["perf"].drop(columns=random_ids).sort_index(axis=1),
                       check_exact=True)
    # rustybt's own answer: every price NaN (a several-fields frame's volume is NaN cast
    # to int64); data.current answers from get_value
    closes = [w["close"] if key[2] == "fields" else w
              for key, w in theirs["windows"].items() if key[2] in ("close", "fields")]
    assert all(np.isnan(np.asarray(close, dtype=float)).all() for close in closes)
    assert any(not np.isnan(v) for key, v in theirs["windows"].items() if key[2] == "current")
    history_calls = sum(key[2] != "current" for key in theirs["windows"])
    stats = ours["stats"]
    assert stats.get("served", 0) == 0, stats
    assert stats["fell through: call-order reader"] == history_calls, stats
