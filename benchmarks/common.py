"""Bundles for the benchmarks, ingested once into .cache/bench/<framework> (never ~/.zipline)."""

import statistics
import time
import warnings
from pathlib import Path

from fastportal.study import scenarios

warnings.filterwarnings("ignore")
ROOT = Path(__file__).resolve().parent.parent / ".cache" / "bench"

# Long enough for 2000-session windows; SYM001 has gaps for the price-with-gaps figure.
MICRO = scenarios.BundleSpec(
    name="fastportal-micro", start="2015-01-02", end="2026-09-30", seed=11,
    assets=[scenarios.AssetSpec(i, f"SYM{i:03d}") for i in range(100)]
    + [scenarios.AssetSpec(100, "GAPS", gaps=tuple(range(2500, 2960, 9)))],
    splits=[(0, "2020-06-01", 0.5)], dividends=[(0, "2024-06-03", 0.4)],
)


def bundle(spec):
    """The spec's bundle, ingested into .cache/bench the first time."""
    return scenarios.cached_bundle(spec, ROOT)


def per_call_us(function, calls):
    """Microseconds a call of function(), over `calls` calls in a row."""
    start = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - start) / calls * 1e6


def summary(values):
    return statistics.median(values), min(values), max(values)


def print_case(label, upstream, patched, floor):
    """The lines of one case: each way per call, and both ratios."""
    print(f"\n{label}")
    print(row("  upstream us/call", upstream))
    print(row("  patched us/call", patched))
    print(row("  bare floor us/call", floor))
    print(row("  upstream / patched", [u / p for u, p in zip(upstream, patched)], "x"))
    print(row("  patched / floor", [p / f for p, f in zip(patched, floor)], "x"))


def interleaved(upstream_cases, patched_cases, floor, repeat, calls):
    """Times each case upstream (fastportal uninstalled) and patched (installed), and the
    floor, `repeat` times interleaved, and prints the medians and ratios. The cases are
    (label, call) lists in the same order; a case may be the same call both ways."""
    import fastportal

    results = {label: {"upstream": [], "patched": [], "floor": []}
               for label, _ in upstream_cases}
    for _ in range(repeat):
        for (label, theirs), (_, ours) in zip(upstream_cases, patched_cases):
            r = results[label]
            # each way warmed by a call first: uninstall() takes the core's objects off the
            # calendars, and install() builds them again on the first call
            fastportal.uninstall()
            theirs()
            r["upstream"].append(per_call_us(theirs, max(3, calls // 10)))
            fastportal.install()
            ours()
            r["patched"].append(per_call_us(ours, calls))
            r["floor"].append(per_call_us(floor, calls))
    fastportal.uninstall()
    print(f"per call, {repeat} repetitions interleaved; medians (min, max)")
    for label, r in results.items():
        print_case(label, r["upstream"], r["patched"], r["floor"])


def row(label, values, unit=""):
    med, lo, hi = summary(values)
    return f"{label:<52} {med:>9.2f}{unit} (min {lo:.2f}, max {hi:.2f})"


# The minute scenario's data: 10 symbols, XNYS minute bars for 2024-10.
MINUTE = scenarios.minute_spec()

# For "1d" windows of 200 sessions in a minute simulation: minute bars (and the daily bars
# made from them) for 3 symbols over most of 2024, a split inside.
MINUTE_YEAR = scenarios.BundleSpec(
    name="fastportal-minute-year", start="2024-01-02", end="2024-10-31", seed=17,
    minutes=True, assets=[scenarios.AssetSpec(i, f"SYM{i:03d}") for i in range(3)],
    splits=[(1, "2024-09-16", 0.5)], dividends=[(2, "2024-10-21", 0.3)],
)

# A futures chain for continuous-future windows: a contract every 60 sessions, each
# trading 150 sessions and auto-closing after 120, so windows of 200 cross rolls.
FUTURES = scenarios.BundleSpec(
    name="fastportal-futures-bench", start="2022-01-03", end="2025-12-31", seed=23,
    assets=[scenarios.AssetSpec(0, "SYM000")]
    + [scenarios.AssetSpec(100 + k, f"BN{k:02d}", first=60 * k, last=60 * k + 150,
                           auto_close=60 * k + 120, root_symbol="BN")
       for k in range(14)],
)
