"""Reading cProfile output the way the original study did: its hot functions, the top 20
by cumulative and by own time, totals and the history share; a function-level comparison
of two pstats files (the chart is in charts.py)."""

import io
import os
import pstats
import re

# The functions of the profile in docs/BENCHMARKS.md, as (label, test on (file,
# function name)).
# data.history is upstream's BarData.history or, patched, fastportal's.
HOT_FUNCTIONS = [
    ("data.history", lambda f, n: n == "history" and (
        f.endswith("_protocol.pyx") or f.endswith(os.path.join("fastportal", "_patch.py")))),
    ("_get_history_daily_window", lambda f, n: n == "_get_history_daily_window"),
    ("_get_history_minute_window", lambda f, n: n == "_get_history_minute_window"),
    ("minutes_window", lambda f, n: n == "minutes_window" and "exchange_calendars" in f),
    ("DataFrame.__init__", lambda f, n: n == "__init__" and f.endswith(
        os.path.join("pandas", "core", "frame.py"))),
    ("minute_to_session", lambda f, n: n == "minute_to_session" and "exchange_calendars" in f),
    ("_generate_range", lambda f, n: n == "_generate_range" and "pandas" in f),
    ("isinstance", lambda f, n: n == "<built-in method builtins.isinstance>"),
]

# rustybt's BarData is compiled without Cython's profiling, so its history is not in a
# profile at all: there the data.history row is DataPortal.get_history_window, which its
# BarData.history calls once for each window it returns (its own overhead uncounted).
HISTORY_STAND_IN = ("DataPortal.get_history_window", lambda f, n: (
    n == "get_history_window" and f.endswith(os.path.join("data", "data_portal.py"))))


class NotPstats(ValueError):
    pass


def load(path):
    """pstats.Stats of a file, or NotPstats saying why it is not one."""
    try:
        stats = pstats.Stats(os.fspath(path), stream=io.StringIO())
    except FileNotFoundError:
        raise NotPstats(f"{path}: no such file") from None
    except Exception as exc:  # marshal and pstats raise several types for a bad file
        raise NotPstats(f"{path} is not a pstats file ({type(exc).__name__}: {exc})") from None
    if not isinstance(stats.stats, dict):
        raise NotPstats(f"{path} is not a pstats file")
    return stats


def _row(stats, matches):
    calls = cumulative = 0
    for (filename, _, name), (_, ncalls, _, cum, _) in stats.stats.items():
        if matches(filename, name):
            calls += ncalls
            cumulative += cum
    return calls, cumulative


def history_stood_in(stats):
    """Whether the profile has no BarData.history of upstream's or fastportal's, and its
    data.history row is HISTORY_STAND_IN's."""
    return _row(stats, HOT_FUNCTIONS[0][1])[0] == 0 and _row(stats, HISTORY_STAND_IN[1])[0] > 0


def hot_rows(stats):
    """{label: (calls, cumulative seconds)} for HOT_FUNCTIONS."""
    rows = {label: _row(stats, matches) for label, matches in HOT_FUNCTIONS}
    if history_stood_in(stats):
        rows["data.history"] = _row(stats, HISTORY_STAND_IN[1])
    return rows


def totals(stats):
    """(runtime under the profiler, function calls, history share of the runtime)."""
    _, history = hot_rows(stats)["data.history"]
    runtime = stats.total_tt
    return runtime, stats.total_calls, (history / runtime if runtime else 0.0)


def top_functions(stats, title):
    """The top 20 by cumulative and by own time, as pstats prints them."""
    out = io.StringIO()
    for key, heading in (("cumulative", "cumulative time"), ("tottime", "own time")):
        out.write(f"==== {title}: top 20 functions by {heading} ====\n")
        stats.stream = out
        stats.sort_stats(key).print_stats(20)
    return out.getvalue()


def comparison_table(before, after):
    """The study's table, before and after, as text lines."""
    lines = [f"{'function':<28}{'calls before':>14}{'calls after':>13}"
             f"{'cum s before':>14}{'cum s after':>13}"]
    hot_before, hot_after = hot_rows(before), hot_rows(after)
    for label, _ in HOT_FUNCTIONS:
        (cb, tb), (ca, ta) = hot_before[label], hot_after[label]
        lines.append(f"{label:<28}{cb:>14,}{ca:>13,}{tb:>14.3f}{ta:>13.3f}")
    (rb, nb, sb), (ra, na, sa) = totals(before), totals(after)
    lines.append(f"{'total runtime (profiled) s':<28}{'':>14}{'':>13}{rb:>14.3f}{ra:>13.3f}")
    lines.append(f"{'total function calls':<28}{nb:>14,}{na:>13,}")
    lines.append(f"{'history share of runtime':<28}{'':>14}{'':>13}{sb:>13.1%}{sa:>13.1%}")
    lines.append(f"speedup under the profiler: {rb / ra:.2f}x")
    if history_stood_in(before) or history_stood_in(after):
        lines.append(f"data.history before: the framework's compiled BarData.history is not "
                     f"profiled; its row is {HISTORY_STAND_IN[0]}, called once a window")
    return lines


# -- compare -------------------------------------------------------------------------------

_SITE = re.compile(r".*[/\\](?:site|dist)-packages[/\\]")
_STDLIB = re.compile(r".*[/\\]lib[/\\]python\d+\.\d+[/\\]")


def portable_name(filename):
    """A file name that is the same for the same module in two environments."""
    for pattern in (_SITE, _STDLIB):
        if pattern.match(filename):
            return pattern.sub("", filename, count=1).replace("\\", "/")
    return filename.replace("\\", "/")


def by_function(stats):
    """{(portable file, function): [calls, own seconds, cumulative seconds]}; functions of
    one name in one file (at different lines) are summed."""
    table = {}
    for (filename, _, name), (_, ncalls, tottime, cumtime, _) in stats.stats.items():
        row = table.setdefault((portable_name(filename), name), [0, 0.0, 0.0])
        row[0] += ncalls
        row[1] += tottime
        row[2] += cumtime
    return table


def compare_rows(before, after):
    """Rows (file, function, calls, own s, cum s before; the same after; own s saved),
    sorted by own time saved, most first."""
    a, b = by_function(before), by_function(after)
    rows = []
    for key in a.keys() | b.keys():
        old, new = a.get(key, [0, 0.0, 0.0]), b.get(key, [0, 0.0, 0.0])
        rows.append((key[0], key[1], *old, *new, old[1] - new[1]))
    rows.sort(key=lambda row: (-row[-1], row[0], row[1]))
    return rows


def compare_table(before, after, top):
    lines = [f"{'calls before':>13}{'calls after':>13}{'own s before':>14}{'own s after':>13}"
             f"{'cum s before':>14}{'cum s after':>13}{'saved s':>10}  function"]
    for file, name, cb, ob, tb, ca, oa, ta, saved in compare_rows(before, after)[:top]:
        lines.append(f"{cb:>13,}{ca:>13,}{ob:>14.4f}{oa:>13.4f}{tb:>14.4f}{ta:>13.4f}"
                     f"{saved:>10.4f}  {file}:{name}")
    return lines
