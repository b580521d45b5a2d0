"""A framework's own tests, from its sdist, unpatched and patched.

zipline-reloaded (the default): its sdist's history, data portal, bar data, continuous
futures, algorithm, examples, clock and trade simulation test files; rustybt
(--framework rustybt, in .venv-rustybt): its history, bar data, data portal and
continuous futures test files. Each runs twice, side by side (one process each): as they
are, and with fastportal installed by fastportal_plugin.py. The patched run must pass
exactly the tests the unpatched run passes, and in every file no history call may fall
through to upstream. Prints both counts and, for each file, the history calls the core
served and those that fell through or that upstream answered or raised on; exits
non-zero on any difference."""

import json
import os
import subprocess
import sys
import tarfile
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CACHE = REPO / ".cache"
# framework -> (distribution, version, test files, how its pytest runs). rustybt's sdist
# holds its package's sources at the top, where they would be imported instead of the
# installed build: its pytest runs without the working folder on sys.path (python -P)
# and imports the test files without changing sys.path (--import-mode=importlib).
SUITES = {
    "zipline": ("zipline_reloaded", "3.2.1", [
        "tests/test_history.py", "tests/test_data_portal.py", "tests/test_bar_data.py",
        "tests/test_continuous_futures.py", "tests/test_algorithm.py",
        "tests/test_examples.py", "tests/test_clock.py", "tests/test_tradesimulation.py"],
        [sys.executable, "-m", "pytest"]),
    "rustybt": ("rustybt", "0.3.3", [
        "tests/test_history.py", "tests/test_bar_data.py", "tests/test_data_portal.py",
        "tests/test_continuous_futures.py"],
        [sys.executable, "-P", "-m", "pytest", "--import-mode=importlib"]),
}


def sdist_tests(framework):
    distribution, version, _, _ = SUITES[framework]
    source = CACHE / f"{distribution}-{version}"
    if (source / "tests").is_dir():
        return source
    CACHE.mkdir(exist_ok=True)
    archive = CACHE / f"{distribution}-{version}.tar.gz"
    if not archive.exists():
        package = distribution.replace("_", "-")
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary",
             package, f"{package}=={version}", "-d", str(CACHE)],
            check=True,
        )
    with tarfile.open(archive) as tar:
        tar.extractall(CACHE, filter="data")
    return source


def start(framework, source, patched):
    """The run's pytest, started; its output goes to files (two runs at once would fill
    and block on pipes that are read one after the other)."""
    name = "patched" if patched else "unpatched"
    report = CACHE / f"upstream-{framework}-{name}.xml"
    stats_file = CACHE / f"upstream-{framework}-{name}-stats.json"
    _, _, files, pytest = SUITES[framework]
    report.unlink(missing_ok=True)
    stats_file.unlink(missing_ok=True)
    env = dict(os.environ)
    env.pop("FASTPORTAL_STATS", None)
    command = [*pytest, "-p", "no:cacheprovider", "-q",
               "-o", "addopts=--strict-markers --disable-warnings", f"--junitxml={report}"]
    if patched:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")]))
        env["FASTPORTAL_STATS"] = str(stats_file)
        command += ["-p", "fastportal_plugin"]
    print(f"{framework} suite, {name}: running {' '.join(files)}", flush=True)
    out, err = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
    child = subprocess.Popen(command + files, cwd=source, env=env, stdout=out, stderr=err,
                             text=True)
    return framework, name, child, out, err, report, stats_file


def finish(started):
    """The outcome of each test of a run started by start(), and its statistics."""
    framework, name, child, out, err, report, stats_file = started
    child.wait()
    out.seek(0)
    err.seek(0)
    stdout, stderr = out.read(), err.read()
    out.close()
    err.close()
    tail = stdout.strip().splitlines()[-1:] or [stderr[-2000:]]
    print(f"{framework} suite, {name}: {tail[0]}", flush=True)
    patched = name == "patched"
    outcomes = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        test_id = f"{case.get('classname')}::{case.get('name')}"
        kinds = {child.tag for child in case}
        if kinds & {"failure", "error"}:
            outcomes[test_id] = "failed"
        elif "skipped" in kinds:
            outcomes[test_id] = "skipped"
        else:
            outcomes[test_id] = "passed"
    stats = json.loads(stats_file.read_text()) if patched else {"total": {}, "by file": {}}
    return outcomes, stats


def by_window(stats, outcome):
    """'1m n, 1d, minute data n, ...': the calls of fastportal.stats() upstream answered
    (outcome "answered") or raised on ("raised"), by kind of window."""
    prefix = f"upstream {outcome}: "
    return ", ".join(f"{kind} {stats.get(prefix + kind, 0)}"
                     for kind in ("1m", "1d, minute data", "1d, daily data", "other"))


def main():
    framework = "zipline"
    if sys.argv[1:2] == ["--framework"] and len(sys.argv) == 3 and sys.argv[2] in SUITES:
        framework = sys.argv[2]
    elif sys.argv[1:]:
        sys.exit(f"usage: run.py [--framework {'|'.join(SUITES)}]")
    source = sdist_tests(framework)
    unpatched = start(framework, source, patched=False)
    patched = start(framework, source, patched=True)
    theirs, _ = finish(unpatched)
    ours, counts = finish(patched)
    stats = counts["total"]

    def count(outcomes, kind):
        return sum(1 for v in outcomes.values() if v == kind)

    differ = sorted(t for t in set(theirs) | set(ours) if theirs.get(t) != ours.get(t))
    for test_id in differ:
        print(f"  differs: {test_id}: unpatched {theirs.get(test_id)}, "
              f"patched {ours.get(test_id)}")
    fallbacks = {k: v for k, v in stats.items() if k.startswith("fell through")}
    print(f"history calls served by the core in the patched run: {stats.get('served', 0)}; "
          f"fell through: {sum(fallbacks.values())} {fallbacks}")
    refused = {k: v for k, v in stats.items() if k.startswith("refused as upstream")}
    if refused:
        print(f"refused by the core with upstream's own error: {refused}")
    spot = {k: v for k, v in stats.items() if k.startswith("spot")}
    print(f"spot values (current, can_trade, is_stale, orders, ledger): {spot}")
    print("answered by upstream, by window: " + by_window(stats, "answered"))
    print("raised by upstream (its own error), by window: " + by_window(stats, "raised"))
    leaks = {}
    for file, file_stats in sorted(counts["by file"].items()):
        fell = {k[len("fell through: "):]: v for k, v in file_stats.items()
                if k.startswith("fell through")}
        refused = sum(v for k, v in file_stats.items() if k.startswith("refused as upstream"))
        spot = {k[len("spot "):]: v for k, v in file_stats.items() if k.startswith("spot")}
        print(f"  {file}: spot {spot}")
        print(f"  {file}: served {file_stats.get('served', 0)}; fell through "
              f"{sum(fell.values())} {fell or ''}; refused with upstream's error {refused}; "
              f"answered by upstream: {by_window(file_stats, 'answered')}; raised by "
              f"upstream: {by_window(file_stats, 'raised')}")
        if fell:
            leaks[file] = fell
    for name, outcomes in (("unpatched", theirs), ("patched", ours)):
        print(f"{name}: {count(outcomes, 'passed')} passed, {count(outcomes, 'failed')} failed, "
              f"{count(outcomes, 'skipped')} skipped")
    for file, fell in leaks.items():
        print(f"  FELL THROUGH in {file}: {fell}")
    ok = not differ and not leaks and stats.get("served", 0) > 0 and count(ours, "passed") > 0
    print("upstream: " + ("patched run passes exactly what the unpatched run passes"
                          if ok else "patched and unpatched runs DIFFER"))
    print(f"upstream: {count(ours, 'passed')} passed, {len(differ)} failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
