"""One point of a sweep: the algorithm's text run by zipline's own `run` command with the
point's defines (`zipline run -t TEXT -D name=value ...`, which binds each into the
algorithm's namespace), and the row of results kept from its perf frame."""

import os
import time
import traceback

# The results of a point, in the order of its row: the grid's names come first.
RESULTS = ("total_return", "annual_volatility", "sharpe", "max_drawdown",
           "final_portfolio_value", "transactions", "wall_s", "error")


# what a row reads from the perf frame
PERF_COLUMNS = ("algorithm_period_return", "algo_volatility", "sharpe", "max_drawdown",
                "portfolio_value", "transactions")


def run_options(defines, arguments):
    """zipline run's arguments for a point: its defines, then the sweep's own (-b, -s,
    -e, ...), the perf frame returned rather than written."""
    options = []
    for name, value in defines.items():
        options += ["-D", f"{name}={value}"]
    return [*options, *arguments, "-o", os.devnull]


def run_point(algotext, defines, arguments, extensions=()):
    """The perf frame of zipline run -t algotext with the point's defines and arguments,
    as `zipline [-e EXT ...] run ...` gives it (`rustybt ...` where rustybt is the
    framework: study.upstream)."""
    from fastportal.study import upstream

    command = [option for extension in extensions for option in ("-e", extension)]
    command += ["run", "-t", algotext, *run_options(defines, arguments)]
    return upstream.module("__main__").main.main(args=command, prog_name=upstream.name(),
                                                 standalone_mode=False)


def row_of(defines, perf=None, wall=None, error=None):
    """The point's row: its defines, then RESULTS from the perf frame's last day (the
    algorithm's period return, volatility, Sharpe and drawdown as zipline's metrics give
    them), or an error's last line and no results."""
    row = dict(defines)
    if error is not None:
        row.update({name: None for name in RESULTS})
        row["wall_s"] = wall
        row["error"] = error
        return row
    missing = [column for column in PERF_COLUMNS if column not in perf.columns]
    if missing:
        raise ValueError(f"the perf frame has no {', '.join(missing)}: the table's results "
                         "are those of zipline's default metrics set")
    last = perf.iloc[-1]
    row.update({
        "total_return": number(last["algorithm_period_return"]),
        "annual_volatility": number(last["algo_volatility"]),
        "sharpe": number(last["sharpe"]),
        "max_drawdown": number(last["max_drawdown"]),
        "final_portfolio_value": number(last["portfolio_value"]),
        "transactions": int(perf["transactions"].map(len).sum()),
        "wall_s": wall,
        "error": None,
    })
    return row


def number(value):
    """A metric as a float; None where zipline has none (the Sharpe ratio of a strategy
    that never moved: no volatility)."""
    return None if value is None else float(value)


def last_line(exc):
    """The last line of an exception's traceback, as Python prints it."""
    return traceback.format_exception_only(type(exc), exc)[-1].strip()


def sweep_point(algotext, defines, arguments, extensions=(), keep_perf=False):
    """A point's row, its error recorded in the row rather than raised; with keep_perf,
    (row, perf frame or None)."""
    started = time.perf_counter()
    try:
        perf = run_point(algotext, defines, arguments, extensions)
        row = row_of(defines, perf, time.perf_counter() - started)
    # the algorithm's error is the row's; sys.exit() in it too, rather than the worker's
    # end (which Dask would take for a dead worker and run the point again elsewhere)
    except (Exception, SystemExit) as exc:  # noqa: BLE001
        row, perf = row_of(defines, wall=time.perf_counter() - started,
                           error=last_line(exc)), None
    return (row, perf) if keep_perf else row
