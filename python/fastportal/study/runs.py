"""Whole backtests, one per process: the scenarios of docs/BENCHMARKS.md, and a user's
algorithm file run as `zipline run` runs it.

Every run (upstream, patched, or the oracle floor; with or without cProfile) is a fresh
`python -m fastportal.study.runs run ...` process, so each has its own peak RSS and none is
warmed by another: the first run_algorithm of a process pays for imports, bundle
loading and caches, and every mode pays it alike; a patched run's install() (patching,
and the check of pandas' layout) is inside its timed and profiled span. The oracle's
answers are computed beforehand by an upstream run in a process of its own and read from
a pickle before the timed run starts; every timed run given them prepares them alike.
"""

import argparse
import gc
import json
import linecache
import os
import pickle
import resource
import subprocess
import sys
import time
import traceback
import warnings
from pathlib import Path

from fastportal.study import upstream

MODES = ("upstream", "patched", "oracle")
# scenario: (first day, last day, data frequency) of its backtest
BACKTESTS = {
    "daily": ("2024-08-01", "2025-08-01", "daily"),
    "daily-adjusted": ("2024-08-01", "2025-08-01", "daily"),
    "minute": ("2024-10-01", "2024-11-01", "minute"),
    "futures": ("2024-08-01", "2025-08-01", "daily"),
}
SCENARIOS = tuple(BACKTESTS)
USER_ERROR = 3  # a child's exit status for an error the user can fix, said on its stdout


class UserError(Exception):
    """An error the user can fix, in one line; with the traceback of the user's own code
    where that code raised."""

    def __init__(self, message, traceback=""):
        super().__init__(message)
        self.traceback = traceback


def spec_of(scenario):
    from fastportal.study import scenarios

    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; choose from {', '.join(SCENARIOS)}")
    if scenario == "minute":
        return scenarios.minute_spec()
    if scenario == "futures":
        return scenarios.futures_spec()
    return scenarios.daily_spec(adjusted=scenario == "daily-adjusted")


def strategy_of(scenario):
    from fastportal.study import scenarios

    if scenario == "futures":
        return scenarios.FuturesTrend()
    return scenarios.MinuteZScore() if scenario == "minute" else scenarios.SmaCrossover()


def backtest(scenario, strategy, cache, end=None):
    """The scenario's run_algorithm with `strategy`, ending on `end` (default its own)."""
    from fastportal.study import scenarios

    start, last, frequency = BACKTESTS[scenario]
    root = ensure_bundle(scenario, cache)
    scenarios.run_backtest(spec_of(scenario).name, root, strategy, start=start,
                           end=end or last, data_frequency=frequency)


def default_cache():
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "fastportal" / "bundles"


def ensure_bundle(scenario, cache):
    """Ingest the scenario's bundle into cache if it is not there; its ZIPLINE_ROOT."""
    from fastportal.study import scenarios

    _, root = scenarios.cached_bundle(spec_of(scenario), cache)
    return root


# -- in the child process ----------------------------------------------------------------

class Measured:
    """A run's span: the clock, cProfile if profile_to is given, and, in the patched mode,
    fastportal.install() inside both (the user pays for it in each process)."""

    def __init__(self, mode, profile_to=None):
        self.mode = mode
        self.profile_to = profile_to
        self.profiler = None

    def __enter__(self):
        import fastportal

        if self.profile_to is not None:
            import cProfile

            self.profiler = cProfile.Profile()
        self.start = time.perf_counter()
        if self.profiler:
            self.profiler.enable()
        if self.mode == "patched":
            fastportal.install()
        return self

    def __exit__(self, kind, value, traceback):
        if self.profiler:
            self.profiler.disable()
        self.wall = time.perf_counter() - self.start
        if self.profiler and kind is None:
            self.profiler.dump_stats(self.profile_to)
        return False

    def result(self):
        """Wall time, peak RSS and the history calls the core served."""
        import fastportal

        return {
            "mode": self.mode,
            "wall": self.wall,
            "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "served": fastportal.stats().get("served", 0),
        }


def run_here(mode, scenario, cache, end=None, profile_to=None, oracle=None):
    """One backtest in this process; returns wall time, peak RSS and history calls served."""
    from fastportal.study import scenarios

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
    with Measured(mode, profile_to) as measured:
        backtest(scenario, strategy, cache, end)
    return measured.result()


def oracle_answers(recorded, scenario, cache):
    """The Series of a recording, rebuilt as upstream built them: values, the slice of the
    calendar's sessions or minutes (so every daily index shares the calendar's freq
    object, as upstream's do; a pickled Series would carry its own copy of the holiday
    calendar) and the asset."""
    import numpy as np
    import pandas as pd

    from fastportal.study import scenarios

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

    from fastportal.study import scenarios

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


def _user_traceback(exc, filename, shown_as):
    """The frames of exc's traceback in the user's algorithm (compiled as filename), as
    Python prints them, the file named shown_as."""
    frames = [frame for frame in traceback.extract_tb(exc.__traceback__)
              if frame.filename == filename]
    if not frames:
        return ""
    for frame in frames:
        frame.filename = shown_as
    return ("Traceback (most recent call last):\n" + "".join(traceback.format_list(frames))
            + "".join(traceback.format_exception_only(type(exc), exc)))


def _defines(arguments):
    return any(a in ("-D", "--define") or a.startswith(("-D", "--define="))
               for a in arguments)


def _algorithm_options(algofile, arguments):
    """-f algofile; or, with -D, the file's text as -t, which zipline requires of -D (its
    code is then compiled as "<algorithm>", whose lines the traceback is given here)."""
    if not _defines(arguments):
        return ["-f", algofile], algofile
    text = Path(algofile).read_text()
    linecache.cache["<algorithm>"] = (len(text), None, text.splitlines(True), "<algorithm>")
    return ["-t", text], "<algorithm>"


def _extension_options(extensions):
    return [option for extension in extensions for option in ("-e", extension)]


def _answering_bar_data(answers, record):
    """zipline's BarData, its history answered in call order from answers (the oracle
    floor) or, with record, appending each upstream answer to them."""
    BarData = upstream.module("_protocol").BarData

    def recording_history(self, assets, fields, bar_count, frequency):
        answer = BarData.history(self, assets, fields, bar_count, frequency)
        answers.append(answer.copy())
        return answer

    calls = iter(answers)

    def oracle_history(self, assets, fields, bar_count, frequency):
        return next(calls)

    return type("BarData", (BarData,), {
        "history": recording_history if record else oracle_history})


def algo_here(mode, algofile, arguments, extensions, perf, profile_to=None, oracle=None,
              record=None):
    """One `zipline run -f algofile ARGUMENTS -o perf`, through zipline's own command, in
    this process; returns wall time, peak RSS and history calls served. With oracle, the
    answers recorded (with record, by an upstream run) are loaded first in every mode, and
    the oracle mode's history answers from them."""
    import click

    command_group = upstream.module("__main__").main
    tradesimulation = upstream.module("gens.tradesimulation")
    warnings.filterwarnings("ignore")
    answers = []
    if oracle is not None:
        with open(oracle, "rb") as recorded:
            answers = pickle.load(recorded)
        gc.collect()  # as a scenario's timed runs do: see run_here
        gc.freeze()
    if mode == "oracle" or record is not None:
        tradesimulation.BarData = _answering_bar_data(answers, record is not None)
    algorithm, compiled_as = _algorithm_options(algofile, arguments)
    command = [*_extension_options(extensions), "--strict-extensions", "run", *algorithm,
               *arguments, "-o", perf]
    try:
        with Measured(mode, profile_to) as measured:
            command_group.main(args=command, prog_name=upstream.name(), standalone_mode=False)
    except click.ClickException as exc:
        raise UserError(exc.format_message()) from None
    except Exception as exc:
        where = _user_traceback(exc, compiled_as, algofile)
        said = f"the {mode} run failed: {type(exc).__name__}: {exc}"
        raise UserError(said if where else said + " (not in the algorithm file)", where)
    if record is not None:
        with open(record, "wb") as sink:
            pickle.dump(answers, sink, protocol=pickle.HIGHEST_PROTOCOL)
    return measured.result()


# -- from the parent -----------------------------------------------------------------------

class Scenario:
    """A built-in scenario: its bundle ingested into the cache, its oracle's answers
    recorded, then runs of each mode."""

    modes = MODES

    def __init__(self, name, cache, end=None):
        self.name = name
        self.cache = Path(cache or default_cache())
        self.end = end
        self.title = f"scenario {name}"
        self.oracle = None

    def check(self):
        pass

    def preparations(self, out):
        self.oracle = out / "oracle.pickle"
        return [(f"bundle for scenario {self.name} in {self.cache}", self._ingest),
                (f"oracle answers from an upstream run -> {self.oracle}",
                 lambda: record_in_child(self.name, self.cache, self.oracle, self.end))]

    def _ingest(self):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # pandas' deprecations inside zipline's ingest
                ensure_bundle(self.name, self.cache)
        except Exception as exc:
            raise UserError(f"the bundle could not be ingested into {self.cache}: "
                            f"{type(exc).__name__}: {exc}") from None

    def run(self, mode, profile_to=None):
        oracle = None if profile_to is not None else self.oracle
        return run_in_child(mode, self.name, self.cache, self.end, profile_to, oracle)

    def finish(self):
        if self.oracle is not None and self.oracle.exists():
            self.oracle.unlink()

    def checks(self):
        return []


class AlgorithmFile:
    """A user's algorithm file and zipline run's options for it: each run is `zipline run`
    in a process of its own, upstream, patched or the oracle floor (history answered in
    call order from what an upstream run answered), its perf frame kept."""

    modes = MODES

    def __init__(self, algofile, arguments, extensions):
        self.algofile = os.path.abspath(algofile)
        self.arguments = list(arguments)
        self.extensions = list(extensions)
        self.perf = {}
        self.oracle = None

    def check(self):
        """zipline's own parser and loaders on the arguments, so that what the user can fix
        is said before any backtest runs."""
        import click

        run_command = upstream.module("__main__").run
        if not os.path.isfile(self.algofile):
            raise UserError(f"{self.algofile}: no such algorithm file")
        if any(a in ("-o", "--output") or a.startswith("--output=") for a in self.arguments):
            raise UserError("-o/--output: fastportal profile writes the perf frames into "
                            "its --out folder")
        try:
            with run_command.make_context(f"{upstream.name()} run", ["-f", self.algofile,
                                                          *self.arguments]) as context:
                options = dict(context.params)
        except click.exceptions.Exit:
            raise UserError(f"for {upstream.name()} run's options see {upstream.name()} run "
                            "--help") from None
        except click.ClickException as exc:
            raise UserError(exc.format_message()) from None
        if options["start"] is None or options["end"] is None:
            raise UserError("must specify dates with '-s' / '--start' and '-e' / '--end'")
        if options["start"] > options["end"]:
            raise UserError(f"the start {options['start'].date()} is after the end "
                            f"{options['end'].date()}")
        self._check_bundle(options["bundle"])
        self.title = (f"{os.path.basename(self.algofile)} on bundle {options['bundle']}, "
                      f"{options['start'].date()} to {options['end'].date()}, "
                      f"{options['data_frequency']} data")

    def _check_bundle(self, name):
        bundles = upstream.module("data.bundles")
        zipline_root = upstream.module("utils.paths").zipline_root
        load_extensions = upstream.module("utils.run_algo").load_extensions
        try:
            load_extensions(True, self.extensions, True, os.environ)
        except Exception as exc:
            raise UserError(f"an extension could not be loaded: {type(exc).__name__}: "
                            f"{exc}") from None
        if name not in bundles.bundles:
            raise UserError(f"unknown bundle {name!r}; registered: "
                            f"{', '.join(sorted(bundles.bundles)) or 'none'} (register "
                            "bundles in $ZIPLINE_ROOT/extension.py or an --extension file)")
        if not bundles.ingestions_for_bundle(name, os.environ):
            raise UserError(f"bundle {name!r} has no ingested data in {zipline_root()} "
                            f"({upstream.name()} ingest -b {name})")

    def preparations(self, out):
        self.perf = {mode: out / f"perf-{mode}.pickle" for mode in self.modes}
        self.oracle = out / "oracle.pickle"
        return [(f"oracle answers from an upstream run -> {self.oracle}",
                 lambda: self._child("upstream", ["--record", self.oracle]))]

    def run(self, mode, profile_to=None):
        if profile_to is not None:
            return self._child(mode, ["--profile-to", profile_to])
        return self._child(mode, ["--oracle", self.oracle])

    def _child(self, mode, options):
        arguments = ["algo", "--mode", mode, "--perf", self.perf[mode], *options]
        arguments += [f"--extension={extension}" for extension in self.extensions]
        return _child([*arguments, self.algofile, *self.arguments])

    def finish(self):
        if self.oracle is not None and self.oracle.exists():
            self.oracle.unlink()

    def checks(self):
        """Whether the patched and the oracle runs' perf frames are upstream's, order ids
        and the order of columns aside."""
        import pandas as pd

        upstream = comparable_perf(pd.read_pickle(self.perf["upstream"]))
        lines = [""]
        for mode in ("patched", "oracle"):
            try:
                pd.testing.assert_frame_equal(
                    comparable_perf(pd.read_pickle(self.perf[mode])), upstream,
                    check_exact=True)
            except AssertionError as exc:
                lines.append(f"perf frame, {mode} against upstream: DIFFERENT "
                             f"({str(exc).splitlines()[0]}); both in {self.perf[mode].parent}")
            else:
                lines.append(f"perf frame, {mode} against upstream: the same (order ids and "
                             "the order of columns aside)")
        return lines


def comparable_perf(perf):
    """A perf frame without what zipline draws at random in each process: the ids of
    orders, and the order of the columns (which it takes from a set)."""
    perf = perf[sorted(perf.columns)].copy()
    for column in ("orders", "transactions"):
        if column in perf:
            perf[column] = [[{k: v for k, v in item.items() if k not in ("id", "order_id")}
                             for item in items] for items in perf[column]]
    return perf


def _child(arguments):
    command = [sys.executable, "-m", "fastportal.study.runs", "--framework", upstream.name(),
               *map(str, arguments)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode == USER_ERROR:
        said = json.loads(done.stdout.strip().splitlines()[-1])
        raise UserError(said["error"], said["traceback"])
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
    parser = argparse.ArgumentParser(prog="python -m fastportal.study.runs")
    parser.add_argument("--framework", required=True)
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
    algo = commands.add_parser("algo")
    algo.add_argument("--mode", choices=MODES, required=True)
    algo.add_argument("--profile-to")
    algo.add_argument("--oracle")
    algo.add_argument("--record")
    algo.add_argument("--perf", required=True)
    algo.add_argument("--extension", action="append", default=[])
    algo.add_argument("algofile")
    algo.add_argument("arguments", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    upstream.choose(args.framework)
    if args.command == "run":
        result = run_here(args.mode, args.scenario, args.cache, args.end, args.profile_to,
                          args.oracle)
    elif args.command == "record":
        result = record_here(args.scenario, args.cache, args.out, args.end)
    else:
        try:
            result = algo_here(args.mode, args.algofile, args.arguments, args.extension,
                               args.perf, args.profile_to, args.oracle, args.record)
        except UserError as exc:
            print(json.dumps({"error": str(exc), "traceback": exc.traceback}))
            sys.exit(USER_ERROR)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
