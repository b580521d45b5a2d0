"""`fastportal profile`: the cProfile study of BENCHMARKS.md re-run before and after.
`fastportal compare BASE.pstats NEW.pstats`: the same comparison for your own profiles.
"""

import argparse
import statistics
import sys
import tempfile
import warnings
from pathlib import Path

from fastportal import profiling


class Failure(Exception):
    """A reason to stop with a message and a non-zero exit."""


def say(line=""):
    print(line, flush=True)


def _writable_folder(path):
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise Failure(f"the output folder {path} is not writable ({exc.strerror or exc})")


def _require_zipline():
    try:
        import zipline  # noqa: F401
    except ImportError as exc:
        raise Failure(f"zipline-reloaded is not importable here ({exc}); install it with "
                      "pip install zipline-reloaded==3.2.1") from None


def _spread(values, unit="", digits=3):
    return (f"{statistics.median(values):.{digits}f}{unit} "
            f"(min {min(values):.{digits}f}, max {max(values):.{digits}f})")


def profile(args):
    from fastportal import runs

    _require_zipline()
    out = Path(args.out or Path("fastportal-profile") / args.scenario)
    _writable_folder(out)
    cache = Path(args.cache or runs.default_cache())
    report = []

    def emit(line=""):
        say(line)
        report.append(line)

    say(f"[1] bundle for scenario {args.scenario} in {cache}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas' deprecations inside zipline's ingest
            runs.ensure_bundle(args.scenario, cache)
    except Exception as exc:
        raise Failure(f"the bundle could not be ingested into {cache}: "
                      f"{type(exc).__name__}: {exc}") from None
    step = 2
    if not args.no_profile:
        paths = {"upstream": out / "baseline.pstats", "patched": out / "patched.pstats"}
        for mode, path in paths.items():
            say(f"[{step}] {mode} run under cProfile -> {path}")
            runs.run_in_child(mode, args.scenario, cache, args.end, profile_to=path)
            step += 1
        before, after = (profiling.load(paths[m]) for m in ("upstream", "patched"))
        summary = out / "summary.txt"
        summary.write_text(profiling.top_functions(before, "upstream (baseline.pstats)")
                           + profiling.top_functions(after, "fastportal (patched.pstats)"))
        chart = out / "profile.png"
        profiling.draw_chart(before, after, chart, f"{args.scenario}: upstream and fastportal")
        say(f"    top 20 tables: {summary}; chart: {chart}")
        emit()
        emit(f"scenario {args.scenario}, under cProfile")
        for line in profiling.comparison_table(before, after):
            emit(line)

    oracle = out / "oracle.pickle"
    say(f"[{step}] oracle answers from an upstream run -> {oracle}")
    runs.record_in_child(args.scenario, cache, oracle, args.end)
    step += 1
    results = {mode: [] for mode in runs.MODES}
    for run in range(args.runs):
        for mode in runs.MODES:
            say(f"[{step}] run {run + 1}/{args.runs} without profiler: {mode}")
            results[mode].append(runs.run_in_child(mode, args.scenario, cache, args.end,
                                                   oracle=oracle))
            step += 1
    oracle.unlink()

    def walls(mode):
        return [r["wall"] for r in results[mode]]

    emit()
    emit(f"scenario {args.scenario}, wall time without profiler, {args.runs} alternating "
         "runs each way, median (min, max)")
    for mode in runs.MODES:
        emit(f"  {mode + ' s':<34}{_spread(walls(mode))}")
    emit(f"  {'speedup upstream / patched':<34}"
         f"{_spread([u / p for u, p in zip(walls('upstream'), walls('patched'))], 'x', 2)}")
    emit(f"  {'patched / oracle floor':<34}"
         f"{_spread([p / o for p, o in zip(walls('patched'), walls('oracle'))], 'x', 2)}")
    for mode in ("upstream", "patched"):
        emit(f"  {'peak RSS ' + mode:<34}"
             f"{_spread([r['rss_mib'] for r in results[mode]], ' MiB', 0)}")
    emit(f"  {'history calls served (patched)':<34}{results['patched'][0]['served']}")
    (out / "report.txt").write_text("\n".join(report) + "\n")
    return 0


def compare(args):
    try:
        before, after = profiling.load(args.base), profiling.load(args.new)
    except profiling.NotPstats as exc:
        raise Failure(str(exc)) from None
    say(f"{args.base} -> {args.new}: top {args.top} functions by own time saved")
    for line in profiling.compare_table(before, after, args.top):
        say(line)
    return 0


def parser():
    from fastportal.runs import BACKTESTS, SCENARIOS

    top = argparse.ArgumentParser(prog="fastportal", description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = top.add_subparsers(dest="command", required=True)
    run = commands.add_parser("profile", help="the cProfile comparison, upstream and patched")
    run.add_argument("--scenario", choices=SCENARIOS, default="daily")
    run.add_argument("--out", help="output folder (default fastportal-profile/SCENARIO)")
    run.add_argument("--runs", type=int, default=3,
                     help="timed runs each way without the profiler (default 3)")
    run.add_argument("--no-profile", action="store_true",
                     help="only the timed runs, no cProfile runs")
    run.add_argument("--cache", help="bundle cache (default ~/.cache/fastportal/bundles)")
    run.add_argument("--end", help="last day of the backtest (default the scenario's: "
                     + ", ".join(f"{name} {days[1]}" for name, days in BACKTESTS.items())
                     + ")")
    run.set_defaults(handler=profile)
    diff = commands.add_parser("compare", help="function-level table of two pstats files")
    diff.add_argument("base")
    diff.add_argument("new")
    diff.add_argument("--top", type=int, default=30)
    diff.set_defaults(handler=compare)
    return top


def main(argv=None):
    args = parser().parse_args(argv)
    if getattr(args, "runs", 1) < 1 or getattr(args, "top", 1) < 1:
        say(f"fastportal {args.command}: --runs and --top must be at least 1")
        return 2
    try:
        return args.handler(args)
    except Failure as exc:
        print(f"fastportal {args.command}: {exc}", file=sys.stderr, flush=True)
        return 2
    except RuntimeError as exc:  # a backtest process failed; its stderr is in the message
        print(f"fastportal {args.command}: {exc}", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
