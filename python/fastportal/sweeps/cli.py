"""`fastportal sweep -f algo.py -D name=v1,v2 ... [zipline run's options]`: the grid's
table, printed or written with -o (CSV)."""

from pathlib import Path


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
    sweep.add_argument("-o", "--output", help="write the table to this CSV file")
    sweep.set_defaults(handler=run_command)
    return sweep


def run_command(args, rest, failure):
    """The sweep of the command's arguments; `failure` is the command's one-line error."""
    from fastportal.sweeps.run import SweepError, distributed_module, sweep

    if args.output is not None and Path(args.output).suffix != ".csv":
        raise failure(f"-o {args.output}: the table is written as CSV (a .csv file)")
    if args.workers is not None and args.workers < 1:
        raise failure("--workers must be at least 1")
    try:
        distributed = distributed_module()
        if not Path(args.algofile).is_file():
            raise SweepError(f"{args.algofile}: no such algorithm file")
        client = None
        if args.scheduler is not None:
            client = distributed.Client(args.scheduler)
        try:
            table = sweep(args.algofile, args.define, rest, args.extension, client,
                          args.workers)
        finally:
            if client is not None:
                client.close()
    except (SweepError, ValueError, OSError) as exc:
        raise failure(str(exc)) from None
    if args.output is None:
        print(table.to_string(index=False))
    else:
        table.to_csv(args.output, index=False)
        print(f"{len(table)} rows -> {args.output}")
    return 0
