"""The `fastportal` command.

    fastportal profile --scenario daily|daily-adjusted|minute|futures
        the cProfile study of docs/BENCHMARKS.md re-run, upstream and patched
    fastportal profile -f algo.py -b BUNDLE -s START -e END [zipline run's options]
        the same comparison for your own algorithm file, run as `zipline run` runs it
    fastportal run [zipline run's options]
        zipline's own `zipline run`, with fastportal installed
    fastportal compare BASE.pstats NEW.pstats
        a function-level table of two profiles of your own
    fastportal sweep -f algo.py -D name=v1,v2 ... [--workers N | --scheduler ADDRESS]
        [-o table.csv] [zipline run's options]
        every combination of the -D values, each a backtest, on Dask (fastportal[sweep])
"""

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

from fastportal._framework import NAMES
from fastportal.study import profiling, upstream
from fastportal.sweeps import cli as sweep_parser


class Failure(Exception):
    """Something the user can fix: said in one line, exit status 2."""


def say(line="", end="\n"):
    print(line, end=end, flush=True)


class Progress:
    """Numbered steps, each a line that ends with the step's time and the time since the
    command started."""

    def __init__(self):
        self.started = time.perf_counter()
        self.number = 0

    @contextlib.contextmanager
    def step(self, text):
        self.number += 1
        say(f"[{self.number}] {text} ...", end="")
        started = time.perf_counter()
        try:
            yield
        except BaseException:
            say(" failed")
            raise
        now = time.perf_counter()
        say(f" {now - started:.1f} s (elapsed {now - self.started:.1f} s)")


def _writable_folder(path):
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise Failure(f"the output folder {path} is not writable ({exc.strerror or exc})")


def _require_framework(name=None):
    """The framework of this command's backtests (study.upstream), importable."""
    try:
        return upstream.choose(name)
    except ImportError as exc:
        raise Failure(str(exc)) from None


def _chart_maker():
    """charts.draw_chart, or None after saying in one line that matplotlib is missing."""
    try:
        from fastportal.study import charts

        import matplotlib  # noqa: F401
    except ImportError:
        say("matplotlib is not installed: no chart (pip install 'fastportal[profile]'); "
            "the tables and pstats are written")
        return None
    return charts.draw_chart


def _spread(values, unit="", digits=3):
    return (f"{statistics.median(values):.{digits}f}{unit} "
            f"(min {min(values):.{digits}f}, max {max(values):.{digits}f})")


class Report:
    """Lines printed and kept for report.txt."""

    def __init__(self):
        self.lines = []

    def __call__(self, line=""):
        say(line)
        self.lines.append(line)

    def write(self, path):
        path.write_text("\n".join(self.lines) + "\n")


def _profiled_runs(subject, out, progress, report, draw_chart):
    """Upstream and patched under cProfile; the pstats, the top 20 tables, the chart and
    the study's table."""
    paths = {"upstream": out / "baseline.pstats", "patched": out / "patched.pstats"}
    for mode, path in paths.items():
        with progress.step(f"{mode} run under cProfile -> {path}"):
            subject.run(mode, profile_to=path)
    before, after = (profiling.load(paths[mode]) for mode in ("upstream", "patched"))
    summary = out / "summary.txt"
    summary.write_text(profiling.top_functions(before, "upstream (baseline.pstats)")
                       + profiling.top_functions(after, "fastportal (patched.pstats)"))
    say(f"    top 20 tables: {summary}")
    if draw_chart is not None:
        chart = out / "profile.png"
        draw_chart(before, after, chart, f"{subject.title}: upstream and fastportal")
        say(f"    chart: {chart}")
    report()
    report(f"{subject.title}, under cProfile")
    for line in profiling.comparison_table(before, after):
        report(line)


def _timed_runs(subject, runs, progress, report):
    """`runs` alternating runs of each of subject.modes without the profiler, and the table
    of their wall times, ratios and peak RSS."""
    results = {mode: [] for mode in subject.modes}
    for run in range(runs):
        for mode in subject.modes:
            with progress.step(f"run {run + 1}/{runs} without profiler: {mode}"):
                results[mode].append(subject.run(mode))

    def walls(mode):
        return [r["wall"] for r in results[mode]]

    report()
    report(f"{subject.title}, wall time without profiler, {runs} alternating runs each way, "
           "median (min, max)")
    for mode in subject.modes:
        report(f"  {mode + ' s':<34}{_spread(walls(mode))}")
    report(f"  {'speedup upstream / patched':<34}"
           f"{_spread([u / p for u, p in zip(walls('upstream'), walls('patched'))], 'x', 2)}")
    if "oracle" in subject.modes:
        report(f"  {'patched / oracle floor':<34}"
               f"{_spread([p / o for p, o in zip(walls('patched'), walls('oracle'))], 'x', 2)}")
    for mode in ("upstream", "patched"):
        report(f"  {'peak RSS ' + mode:<34}"
               f"{_spread([r['rss_mib'] for r in results[mode]], ' MiB', 0)}")
    report(f"  {'history calls served (patched)':<34}{results['patched'][0]['served']}")
    return results


def profile(args, rest):
    from fastportal.study import runs

    _require_framework(args.framework)
    if args.algofile is not None:
        if args.cache is not None:
            raise Failure("--cache is where the built-in scenarios' bundles are kept; with "
                          "-f ALGOFILE the bundle is zipline's own (-b)")
        dates = [] if args.end is None else ["-e", args.end]
        subject = runs.AlgorithmFile(args.algofile, rest + dates, args.extension)
        default_out = Path("fastportal-profile") / Path(args.algofile).stem
    else:
        if rest or args.extension:
            raise Failure(f"{' '.join(rest + args.extension[:1]) or '--extension'}: zipline "
                          "run's options go with -f ALGOFILE, not with --scenario")
        subject = runs.Scenario(args.scenario, args.cache, args.end)
        default_out = Path("fastportal-profile") / args.scenario
    out = Path(args.out or default_out)
    _writable_folder(out)
    draw_chart = None if args.no_profile else _chart_maker()
    try:
        subject.check()
    except runs.UserError as exc:
        raise Failure(str(exc)) from None
    say(f"fastportal profile: {subject.title}")
    progress, report = Progress(), Report()
    try:
        for text, prepare in subject.preparations(out):
            with progress.step(text):
                prepare()
        if not args.no_profile:
            _profiled_runs(subject, out, progress, report, draw_chart)
        _timed_runs(subject, args.runs, progress, report)
    except runs.UserError as exc:
        if exc.traceback:
            print(exc.traceback, file=sys.stderr, end="", flush=True)
        raise Failure(str(exc)) from None
    finally:
        subject.finish()
    for line in subject.checks():
        report(line)
    report.write(out / "report.txt")
    return 0


def compare(args, rest):
    try:
        before, after = profiling.load(args.base), profiling.load(args.new)
    except profiling.NotPstats as exc:
        raise Failure(str(exc)) from None
    say(f"{args.base} -> {args.new}: top {args.top} functions by own time saved")
    for line in profiling.compare_table(before, after, args.top):
        say(line)
    return 0


def zipline_run(argv):
    """zipline's own `run` command (rustybt's where only rustybt is installed), options
    and all, with fastportal installed."""
    _require_framework()
    import fastportal

    command_group = upstream.module("__main__").main
    fastportal.install()
    return command_group.main(args=["run", *argv], prog_name="fastportal")


def parser():
    from fastportal.study.runs import BACKTESTS, SCENARIOS

    top = argparse.ArgumentParser(prog="fastportal", description=__doc__, allow_abbrev=False,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = top.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="zipline run, with fastportal installed (zipline run's "
                        "options: fastportal run --help)", add_help=False)
    run = commands.add_parser(
        "profile", allow_abbrev=False, help="the cProfile comparison, upstream and patched",
        description="The cProfile comparison of a backtest, upstream and patched: a built-in "
        "scenario (--scenario), or your algorithm file (-f) with any of zipline run's "
        "options (-b, -s, -e, -D, --data-frequency, --capital-base, --trading-calendar, "
        "--benchmark-*, --no-benchmark, ...) but -o: the perf frames are written to --out.")
    subject = run.add_mutually_exclusive_group()
    subject.add_argument("--scenario", choices=SCENARIOS, default="daily")
    subject.add_argument("-f", "--algofile", help="your algorithm file, as zipline run -f")
    run.add_argument("--extension", action="append", default=[], metavar="FILE",
                     help="a zipline extension file or module to load, as zipline -e "
                     "(the default $ZIPLINE_ROOT/extension.py is loaded anyway)")
    run.add_argument("--framework", choices=NAMES,
                     help="the framework whose run_algorithm runs the backtests (default: "
                     "zipline if it is installed, else rustybt)")
    run.add_argument("--out", help="output folder (default fastportal-profile/SCENARIO or "
                     "fastportal-profile/ALGO)")
    run.add_argument("--runs", type=int, default=3,
                     help="timed runs each way without the profiler (default 3)")
    run.add_argument("--no-profile", action="store_true",
                     help="only the timed runs, no cProfile runs")
    run.add_argument("--cache", help="scenario bundles (default ~/.cache/fastportal/bundles)")
    run.add_argument("-e", "--end", help="last day of the backtest (with --scenario, default "
                     "the scenario's: " + ", ".join(f"{name} {days[1]}"
                                                   for name, days in BACKTESTS.items()) + ")")
    run.set_defaults(handler=profile)
    diff = commands.add_parser("compare", help="function-level table of two pstats files")
    diff.add_argument("base")
    diff.add_argument("new")
    diff.add_argument("--top", type=int, default=30)
    diff.set_defaults(handler=compare)
    sweep_parser.add_parser(commands)
    return top


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == ["run"]:
            return zipline_run(argv[1:])
        command_line = parser()
        args, rest = command_line.parse_known_args(argv)
        if args.handler is compare and rest:
            command_line.error(f"unrecognized arguments: {' '.join(rest)}")
        if args.handler is sweep_parser.run_command:
            return args.handler(args, rest, Failure)
        if getattr(args, "runs", 1) < 1 or getattr(args, "top", 1) < 1:
            raise Failure("--runs and --top must be at least 1")
        return args.handler(args, rest)
    except Failure as exc:
        print(f"fastportal {argv[0]}: {exc}", file=sys.stderr, flush=True)
        return 2
    except RuntimeError as exc:  # a backtest process failed; its stderr is in the message
        print(f"fastportal {argv[0]}: {exc}", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
