"""A 16-point sweep of the daily scenario's SMA strategy (short x long windows, one year
on 10 of the daily bundle's symbols), three ways, interleaved, several repetitions:

- upstream serial: one process running the points one after another, unpatched;
- fastportal serial: the same, fastportal installed;
- fastportal sweep on 2 local workers (fastportal.sweep), the cluster's start included.

Each way's wall time and its ratio to upstream serial, its time to the first point's
row, and the peak memory of each process that ran points. The three tables are checked
equal, wall times aside.

    python -m benchmarks.sweep [--repeat 3]
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from fastportal.study import scenarios

from benchmarks.common import ROOT, bundle, row

ALGOFILE = Path(__file__).with_name("sma_crossover_algo.py")
DEFINES = ["short=10,20,30,50", "long=80,120,160,200"]
SPEC = scenarios.daily_spec()
ARGUMENTS = ["-b", SPEC.name, "-s", "2024-08-01", "-e", "2025-08-01",
             "--capital-base", "100000", "--no-benchmark"]


def sweep_root():
    """A ZIPLINE_ROOT holding the daily bundle's data and an extension.py registering
    it, as a user's is."""
    _, data_root = bundle(SPEC)
    return scenarios.root_with_extension(SPEC, data_root, ROOT / "sweep-root")


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def serial(patched):
    """This process runs the grid's points one after another; prints as JSON its rows,
    its peak memory and the clock time (time.time) of its first row."""
    from fastportal.sweeps.grid import parse_defines, points
    from fastportal.sweeps.points import sweep_point

    if patched:
        import fastportal

        fastportal.install()
    algotext, first, rows = ALGOFILE.read_text(), None, []
    for point in points(parse_defines(DEFINES)):
        rows.append(sweep_point(algotext, point, ARGUMENTS))
        first = first or time.time()
    print(json.dumps({"first_at": first, "rss": [peak_rss_mib()], "rows": rows}))


def serial_run(root, patched):
    """A serial way in a process of its own, timed from before its interpreter starts
    (as the sweep's time includes its workers' start)."""
    started_at, started = time.time(), time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "benchmarks.sweep", "--serial",
                           "fastportal" if patched else "upstream"],
                          env=dict(os.environ, ZIPLINE_ROOT=str(root)), check=True,
                          capture_output=True, text=True)
    wall = time.perf_counter() - started
    figures = json.loads(done.stdout.splitlines()[-1])
    return {**figures, "wall": wall, "first": figures["first_at"] - started_at}


def dask_run(root, workers=2):
    """fastportal.sweep on a local cluster of its own making, timed from before the
    cluster's start; the workers' peak memory read before it closes."""
    import distributed

    import fastportal
    from fastportal.sweeps.run import local_cluster

    os.environ["ZIPLINE_ROOT"] = str(root)
    started = time.perf_counter()
    first = []
    cluster = local_cluster(distributed, workers)
    try:
        with distributed.Client(cluster) as client:
            table = fastportal.sweep(
                ALGOFILE, DEFINES, ARGUMENTS, client=client,
                on_row=lambda *_: first or first.append(time.perf_counter() - started))
            wall = time.perf_counter() - started
            rss = sorted(client.run(peak_rss_mib).values())
    finally:
        cluster.close()
    return {"wall": wall, "first": first[0], "rss": rss,
            "rows": table.to_dict("records")}


def without_wall(rows):
    return [{k: v for k, v in r.items() if k != "wall_s"} for r in rows]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--serial", choices=("upstream", "fastportal"))
    args = parser.parse_args()
    if args.serial:
        return serial(args.serial == "fastportal")
    root = sweep_root()
    ways = {"upstream serial": lambda: serial_run(root, False),
            "fastportal serial": lambda: serial_run(root, True),
            "fastportal sweep, 2 workers": lambda: dask_run(root)}
    results = {way: [] for way in ways}
    for _ in range(args.repeat):
        for way, run in ways.items():
            results[way].append(run())
    tables = [without_wall(r["rows"]) for runs in results.values() for r in runs]
    same = all(table == tables[0] for table in tables)
    errors = sum(r["error"] is not None for r in tables[0])
    print(f"16-point sweep, {SPEC.name} 2024-08-01..2025-08-01, "
          f"{' '.join('-D ' + d for d in DEFINES)}; {args.repeat} repetitions "
          f"interleaved, medians (min, max); tables equal every way: {same}; "
          f"points that raised: {errors}")
    upstream = [r["wall"] for r in results["upstream serial"]]
    for way, runs in results.items():
        print(f"\n{way}")
        print(row("  wall s", [r["wall"] for r in runs]))
        print(row("  upstream serial / this", [u / r["wall"] for u, r in
                                               zip(upstream, runs)], "x"))
        print(row("  first row after s", [r["first"] for r in runs]))
        print(row("  then s a point", [(r["wall"] - r["first"]) / (len(r["rows"]) - 1)
                                       for r in runs]))
        for k in range(len(runs[0]["rss"])):
            print(row(f"  peak RSS MiB, process {k + 1}", [r["rss"][k] for r in runs]))
    if not same:
        sys.exit("the tables differ")


if __name__ == "__main__":
    main()
