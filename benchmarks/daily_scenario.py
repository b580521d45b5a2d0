"""The daily scenario of BENCHMARKS.md on zipline's run_algorithm: upstream, patched and
the oracle floor (history answered from a dict filled before the run), each run in its own
process for its peak RSS, alternating, several runs each way.

    python -m benchmarks.daily_scenario [--runs 3] [--adjusted]
"""

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

from fastportal import scenarios

from benchmarks.common import bundle, row

MODES = ("upstream", "patched", "oracle")


def one_run(mode, adjusted):
    """Run the backtest once in this process; print wall time and peak RSS as JSON."""
    import fastportal

    spec = scenarios.daily_spec(adjusted)
    _, root = bundle(spec)
    strategy = scenarios.SmaCrossover(symbols=10)
    if mode == "patched":
        fastportal.install()
    if mode == "oracle":
        answers = {}

        class Recorder(scenarios.SmaCrossover):
            def handle_data(self, context, data):
                def history(asset, field, n, frequency):
                    answers[(asset, n, data.current_dt)] = series = data.history(
                        asset, field, n, frequency)
                    return series
                self.history = history
                super().handle_data(context, data)

        scenarios.run_daily(spec.name, root, Recorder(symbols=10))
        class Oracle(scenarios.SmaCrossover):
            def handle_data(self, context, data):
                now = data.current_dt
                self.history = lambda asset, field, n, frequency: answers[(asset, n, now)]
                super().handle_data(context, data)

        strategy = Oracle(symbols=10)
    start = time.perf_counter()
    scenarios.run_daily(spec.name, root, strategy)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"mode": mode, "wall": wall, "rss_mib": peak,
                      "served": fastportal.stats().get("served", 0)}))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--adjusted", action="store_true")
    parser.add_argument("--one", choices=MODES)
    args = parser.parse_args()
    if args.one:
        return one_run(args.one, args.adjusted)

    name = "daily-adjusted" if args.adjusted else "daily"
    print(f"scenario {name}: ingesting the bundle if needed", flush=True)
    bundle(scenarios.daily_spec(args.adjusted))
    results = {mode: [] for mode in MODES}
    for run in range(args.runs):
        for mode in MODES:
            print(f"  run {run + 1}/{args.runs}: {mode}", flush=True)
            command = [sys.executable, "-m", "benchmarks.daily_scenario", "--one", mode]
            command += ["--adjusted"] if args.adjusted else []
            out = subprocess.run(command, capture_output=True, text=True, check=True)
            results[mode].append(json.loads(out.stdout.strip().splitlines()[-1]))

    def walls(mode):
        return [r["wall"] for r in results[mode]]

    print(f"\nscenario {name}: run_algorithm wall time, {args.runs} runs each way, "
          "medians (min, max)")
    for mode in MODES:
        print(row(f"  {mode} s", walls(mode)))
    print(row("  speedup upstream / patched",
              [u / p for u, p in zip(walls("upstream"), walls("patched"))], "x"))
    print(row("  patched / oracle floor",
              [p / o for p, o in zip(walls("patched"), walls("oracle"))], "x"))
    for mode in ("upstream", "patched"):
        rss = [r["rss_mib"] for r in results[mode]]
        print(f"  peak RSS {mode}: {statistics.median(rss):.0f} MiB")
    print("  (the oracle's RSS includes the answers it computed before its timed run)")
    print(f"  history calls served by the core per patched run: "
          f"{results['patched'][0]['served']}")


if __name__ == "__main__":
    main()
