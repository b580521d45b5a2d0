"""Whole backtests of the scenarios of BENCHMARKS.md, one per process.

Every run (upstream, patched, or the oracle floor; with or without cProfile) is a fresh
`python -m fastportal.runs run ...` process, so each has its own peak RSS and none is
warmed by another: the first run_algorithm of a process pays for imports, bundle
loading and caches, and every mode pays it alike; a patched run's install() (patching,
and the check of pandas' layout) is inside its timed and profiled span. The oracle's answers are computed
beforehand by an upstream run in a process of its own and read from a pickle before the
timed run starts; every timed run given them prepares them alike.
"""

import argparse
import gc
import json
import os
import pickle
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

MODES = ("upstream", "patched", "oracle")
# scenario: (first day, last day, data frequency) of its backtest
BACKTESTS = {
    "daily": ("2024-08-01", "2025-08-01", "daily"),
    "daily-adjusted": ("2024-08-01", "2025-08-01", "daily"),
    "minute": ("2024-10-01", "2024-11-01", "minute"),
    "futures": ("2024-08-01", "2025-08-01", "daily"),
}
SCENARIOS = tuple(BACKTESTS)


def spec_of(scenario):
    from fastportal import scenarios

    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; choose from {', '.join(SCENARIOS)}")
    if scenario == "minute":
        return scenarios.minute_spec()
    if scenario == "futures":
        return scenarios.futures_spec()
    return scenarios.daily_spec(adjusted=scenario == "daily-adjusted")


def strategy_of(scenario):
    from fastportal import scenarios

    if scenario == "futures":
        return scenarios.FuturesTrend()
    return scenarios.MinuteZScore() if scenario == "minute" else scenarios.SmaCrossover()


def backtest(scenario, strategy, cache, end=None):
    """The scenario's run_algorithm with `strategy`, ending on `end` (default its own)."""
    from fastportal import scenarios

    start, last, frequency = BACKTESTS[scenario]
    root = ensure_bundle(scenario, cache)
    scenarios.run_backtest(spec_of(scenario).name, root, strategy, start=start,
                           end=end or last, data_frequency=frequency)


def default_cache():
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "fastportal" / "bundles"


def ensure_bundle(scenario, cache):
    """Ingest the scenario's bundle into cache if it is not there; its ZIPLINE_ROOT."""
    from fastportal import scenarios

    _, root = scenarios.cached_bundle(spec_of(scenario), cache)
    return root


# -- in the child process ----------------------------------------------------------------

def run_here(mode, scenario, cache, end=None, profile_to=None, oracle=None):
    """One backtest in this process; returns wall time, peak RSS and history calls served."""
    import fastportal
    from fastportal import scenarios

    warnings.filterwarnings("ignore")
    ensure_bundle(scenario, cache)
    strategy = strategy_of(scenario)
    if oracle is not None:
        # Every mode given the oracle's answers prepares them, so that the preparation
        # (which warms pandas and the bundle's readers) favours none of the timed runs.
        with open(oracle, "rb") as recorded:
            answers = oracle_answers(pickle.load(recorded), scenario, cache)
        if mode == "oracle":
            strategy = scenarios.Oracle(strategy, answers)
        # Out of the cyclic collector's reach, in every mode alike: the prepared answers
        # (a minute run's are ~28,000 Series) would otherwise make each full collection
        # of the timed run longer, and most in the runs that allocate while the oracle
        # does not.
        gc.collect()
        gc.freeze()
    elif mode == "oracle":
        raise ValueError("the oracle run needs the recorded answers (--oracle)")
    profiler = None
    if profile_to is not None:
        import cProfile

        profiler = cProfile.Profile()
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    if mode == "patched":
        fastportal.install()  # timed and profiled: the user pays for it in each process
    backtest(scenario, strategy, cache, end)
    if profiler:
        profiler.disable()
    wall = time.perf_counter() - start
    if profiler:
        profiler.dump_stats(profile_to)
    return {
        "mode": mode,
        "wall": wall,
        "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "served": fastportal.stats().get("served", 0),
    }


def oracle_answers(recorded, scenario, cache):
    """The Series of a recording, rebuilt as upstream built them: values, the slice of the
    calendar's sessions or minutes (so every daily index shares the calendar's freq
    object, as upstream's do; a pickled Series would carry its own copy of the holiday
    calendar) and the asset."""
    import numpy as np
    import pandas as pd

    from fastportal import scenarios

    loaded, _ = scenarios.cached_bundle(spec_of(scenario), cache)
    if scenario == "futures":
        scenarios.FuturesTrend.continuous_futures(loaded.asset_finder)  # known by sid
    calendar = loaded.equity_daily_bar_reader.trading_calendar
    labels = calendar.minutes if BACKTESTS[scenario][2] == "minute" else calendar.sessions
    keys = list(recorded)
    firsts = np.array([recorded[key][1] for key in keys], dtype=np.int64)
    starts = labels.asi8.searchsorted(firsts).tolist()
    assets = {}
    answers = {}
    for key, start in zip(keys, starts):
        sid, n, _ = key
        asset = assets.get(sid) or assets.setdefault(
            sid, loaded.asset_finder.retrieve_asset(sid))
        answers[key] = pd.Series(
            recorded[key][0], index=labels[start : start + n], name=asset, copy=False)
    return answers


def record_here(scenario, cache, out, end=None):
    """The oracle's answers: every Series upstream's history returns, as (values, first
    session) pickled to out, after checking that oracle_answers rebuilds each exactly."""
    import pandas as pd

    from fastportal import scenarios

    warnings.filterwarnings("ignore")
    strategy = scenarios.Recording(strategy_of(scenario))
    backtest(scenario, strategy, cache, end)
    recorded = {key: (series.to_numpy(), int(series.index.asi8[0]))
                for key, series in strategy.answers.items()}
    rebuilt = oracle_answers(recorded, scenario, cache)
    for key, series in strategy.answers.items():
        pd.testing.assert_series_equal(rebuilt[key], series, check_exact=True,
                                       check_freq=True, check_flags=True)
    with open(out, "wb") as sink:
        pickle.dump(recorded, sink, protocol=pickle.HIGHEST_PROTOCOL)
    return {"answers": len(recorded)}


# -- from the parent -----------------------------------------------------------------------

def _child(arguments):
    command = [sys.executable, "-m", "fastportal.runs", *map(str, arguments)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_in_child(mode, scenario, cache, end=None, profile_to=None, oracle=None):
    arguments = ["run", "--mode", mode, "--scenario", scenario, "--cache", cache]
    if end is not None:
        arguments += ["--end", end]
    if profile_to is not None:
        arguments += ["--profile-to", profile_to]
    if oracle is not None:
        arguments += ["--oracle", oracle]
    return _child(arguments)


def record_in_child(scenario, cache, out, end=None):
    arguments = ["record", "--scenario", scenario, "--cache", cache, "--out", out]
    if end is not None:
        arguments += ["--end", end]
    return _child(arguments)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m fastportal.runs")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run")
    run.add_argument("--mode", choices=MODES, required=True)
    run.add_argument("--profile-to")
    run.add_argument("--oracle")
    record = commands.add_parser("record")
    record.add_argument("--out", required=True)
    for sub in (run, record):
        sub.add_argument("--scenario", choices=SCENARIOS, required=True)
        sub.add_argument("--cache", required=True)
        sub.add_argument("--end")
    args = parser.parse_args(argv)
    if args.command == "run":
        result = run_here(args.mode, args.scenario, args.cache, args.end, args.profile_to,
                          args.oracle)
    else:
        result = record_here(args.scenario, args.cache, args.out, args.end)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
