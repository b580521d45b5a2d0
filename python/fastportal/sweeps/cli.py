"""`fastportal sweep -f algo.py -D name=v1,v2 ... [zipline run's options]`: the grid's
table, printed or written with -o (CSV or Parquet), its progress on stderr, a heatmap
of one result over a two-name grid (--heatmap)."""

import os
import sys
import time
from pathlib import Path

from fastportal.sweeps.points import RESULTS

TABLES = (".csv", ".parquet")
DEFAULT_METRIC = "sharpe"
BAR_WIDTH = 30
# SIGINT's exit status, as a shell gives a command that Ctrl-C ended
CANCELLED = 130


def add_parser(commands):
    sweep = commands.add_parser(
        "sweep", allow_abbrev=False, help="a grid of -D defines, each a backtest, on Dask",
        description="Every combination of the -D values (-D name=v1,v2,...), each run by "
        "zipline's own `run` command with the algorithm file and zipline run's other "
        "options (-b, -s, -e, --data-frequency, --capital-base, ...), on a local Dask "
        "cluster (--workers) or an existing one (--scheduler).")
    sweep.add_argument("-f", "--algofile", required=True, help="the algorithm file")
    sweep.add_argument("-D", "--define", action="append", default=[], metavar="NAME=V1,V2",
                       help="a name and its values, as zipline run -D name=value")
    where = sweep.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, help="local worker processes (default: one "
                       "a core)")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="an existing dask.distributed scheduler")
    sweep.add_argument("--extension", action="append", default=[], metavar="FILE",
                       help="a zipline extension file or module to load, as zipline -e")
    sweep.add_argument("-o", "--output", help="write the table to this file: .csv or "
                       ".parquet")
    sweep.add_argument("--heatmap", metavar="PNG", help="draw --metric over a grid of two "
                       "names as a heatmap PNG")
    sweep.add_argument("--metric", choices=RESULTS[:-2],
                       help=f"the result the heatmap shows (default: {DEFAULT_METRIC})")
    sweep.set_defaults(handler=run_command)
    return sweep


class Progress:
    """A sweep's progress on a stream: a bar redrawn in place on a terminal, a line a
    point elsewhere (a log keeps every line)."""

    def __init__(self, stream):
        self.stream = stream
        self.terminal = stream.isatty()
        self.started = time.perf_counter()
        self.done = 0
        self.total = None

    def __call__(self, row, done, total):
        self.done, self.total = done, total
        elapsed = time.perf_counter() - self.started
        if self.terminal:
            filled = BAR_WIDTH * done // total
            self.stream.write(f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] "
                              f"{done}/{total} points, {elapsed:.0f} s"
                              + ("\n" if done == total else ""))
        else:
            point = " ".join(f"{name}={value}" for name, value in row.items()
                             if name not in RESULTS)
            failed = "" if row["error"] is None else f": {row['error']}"
            self.stream.write(f"point {done}/{total} ({point}) after {elapsed:.1f} s"
                              f"{failed}\n")
        self.stream.flush()

    def cancelled(self):
        if self.terminal and self.done:
            self.stream.write("\n")
        if self.total is None:
            return "cancelled before any point was done"
        return f"cancelled after {self.done} of {self.total} points"


def checked(args, failure):
    """The command's own arguments refused before any cluster starts."""
    from fastportal.sweeps.grid import parse_defines

    if args.output is not None:
        if Path(args.output).suffix.lower() not in TABLES:
            raise failure(f"-o {args.output}: the sweep's table is written as CSV or "
                          "Parquet (a .csv or .parquet file)")
        writable(args.output, "-o", failure)
    if args.heatmap is not None:
        if Path(args.heatmap).suffix.lower() != ".png":
            raise failure(f"--heatmap {args.heatmap}: the heatmap is a PNG (a .png file)")
        writable(args.heatmap, "--heatmap", failure)
        try:
            import matplotlib  # noqa: F401 - drawn at the end, checked first
        except ImportError:
            raise failure("--heatmap needs matplotlib: pip install 'fastportal[sweep]'") \
                from None
        names = parse_defines(args.define)
        if len(names) != 2:
            raise failure(f"--heatmap needs a grid of two names; -D gives {len(names)}")
    elif args.metric is not None:
        raise failure("--metric is the heatmap's: give --heatmap too")
    if args.workers is not None and args.workers < 1:
        raise failure("--workers must be at least 1")


def writable(path, option, failure):
    folder = Path(path).resolve().parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise failure(f"{option} {path}: {folder} is not a writable folder")


def run_command(args, rest, failure):
    """The sweep of the command's arguments; `failure` is the command's one-line error."""
    from fastportal.sweeps.run import SweepError, distributed_module, sweep

    progress = Progress(sys.stderr)
    client = None
    try:
        checked(args, failure)
        distributed = distributed_module()
        if not Path(args.algofile).is_file():
            raise SweepError(f"{args.algofile}: no such algorithm file")
        if args.output is not None and Path(args.output).suffix.lower() == ".parquet":
            parquet_engine()
        if args.scheduler is not None:
            client = distributed.Client(args.scheduler)
        table = sweep(args.algofile, args.define, rest, args.extension, client,
                      args.workers, on_row=progress)
    except KeyboardInterrupt:
        print(f"fastportal sweep: {progress.cancelled()}", file=sys.stderr)
        return CANCELLED
    except (SweepError, ValueError, OSError) as exc:
        raise failure(str(exc)) from None
    finally:
        if client is not None:
            client.close()
    try:
        written(table, args.output)
    except OSError as exc:
        print(table.to_string(index=False))
        raise failure(f"-o {args.output}: {exc} (the table is printed above)") from None
    if args.heatmap is not None:
        heatmap(table, args.metric or DEFAULT_METRIC, args.heatmap)
    if table["error"].notna().all():
        print("fastportal sweep: every point raised; the table has their errors",
              file=sys.stderr)
        return 1
    return 0


def heatmap(table, metric, path):
    from fastportal.sweeps.heatmap import draw_heatmap

    if table[metric].isna().all():
        print(f"fastportal sweep: no point has a {metric}: no heatmap drawn",
              file=sys.stderr)
        return
    draw_heatmap(table, metric, path)
    print(f"{metric} heatmap -> {path}")


def parquet_engine():
    try:
        import pyarrow  # noqa: F401 - pandas' Parquet engine
    except ImportError:
        from fastportal.sweeps.run import SweepError

        raise SweepError("-o *.parquet needs pyarrow: pip install 'fastportal[sweep]'")


def written(table, output):
    """The table printed, or written as the output's suffix says."""
    if output is None:
        print(table.to_string(index=False))
        return
    if Path(output).suffix.lower() == ".parquet":
        table.to_parquet(output, index=False)
    else:
        table.to_csv(output, index=False)
    print(f"{len(table)} rows -> {output}")
