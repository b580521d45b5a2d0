"""zipline's own ways to run a backtest, patched: `zipline -e ext.py run` with the extension
the README gives, `fastportal run` (zipline's run command with fastportal installed) and,
in IPython, `%load_ext fastportal` then zipline's `%%zipline` cell magic. Each on zipline's
example bundle and its dual_moving_average.py, against an unpatched `zipline run` with the
same options: the same perf frame, and every history call served."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from example_bundle import EXAMPLES, assert_same_perf, example_root

README = Path(__file__).resolve().parent.parent / "README.md"
ALGO = EXAMPLES / "dual_moving_average.py"
# 501 sessions; the algorithm asks for two windows a bar from its 300th bar on
OPTIONS = ["-b", "test", "-s", "2011-01-04", "-e", "2012-12-31", "--capital-base", "1e7",
           "--no-benchmark"]
HISTORY_CALLS = (501 - 299) * 2
ZIPLINE = Path(sys.executable).parent / "zipline"
FASTPORTAL = Path(sys.executable).parent / "fastportal"
# an extension of the test's own: fastportal.stats() written at exit, in every process
STATS_EXTENSION = ("import atexit, json, os\nimport fastportal\n"
                   "atexit.register(lambda: json.dump(fastportal.stats(), "
                   "open(os.environ['STATS_OUT'], 'w')))\n")


def readme_extension():
    """The extension file the README gives, as the README gives it."""
    text = README.read_text()
    block = re.search(r"\n    # ~/\.zipline/extension\.py.*?\n((?:    .*\n|\n)+?)\n(?! )", text)
    assert block, "the README gives no extension file"
    return "\n".join(line[4:] for line in block.group(0).strip("\n").splitlines()) + "\n"


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return example_root(tmp_path_factory.mktemp("example"))


def command(args, root, tmp_path, **env):
    environ = dict(os.environ, ZIPLINE_ROOT=str(root), STATS_OUT=str(tmp_path / "stats.json"),
                   MPLBACKEND="Agg", **env)
    done = subprocess.run(list(map(str, args)), capture_output=True, text=True, env=environ,
                          cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    return done


def stats_of(tmp_path):
    return json.loads((tmp_path / "stats.json").read_text())


def assert_all_served(stats):
    assert stats.get("served") == HISTORY_CALLS, stats
    assert not [key for key in stats if "fell through" in key or "upstream" in key], stats


@pytest.fixture(scope="module")
def upstream_perf(root, tmp_path_factory):
    """An unpatched `zipline run` (the stats extension loaded, and nothing served)."""
    where = tmp_path_factory.mktemp("upstream")
    (where / "stats_ext.py").write_text(STATS_EXTENSION)
    command([ZIPLINE, "-e", "stats_ext.py", "run", "-f", ALGO, *OPTIONS, "-o", "perf.pickle"],
            root, where)
    assert stats_of(where) == {}
    return where / "perf.pickle"


def test_zipline_run_with_the_readme_extension_serves_every_window(root, upstream_perf,
                                                                   tmp_path):
    (tmp_path / "ext.py").write_text(readme_extension())
    (tmp_path / "stats_ext.py").write_text(STATS_EXTENSION)
    command([ZIPLINE, "-e", "ext.py", "-e", "stats_ext.py", "run", "-f", ALGO, *OPTIONS,
             "-o", "perf.pickle"], root, tmp_path)
    assert_all_served(stats_of(tmp_path))
    assert_same_perf(tmp_path / "perf.pickle", upstream_perf)


def test_the_extension_in_zipline_root_serves_every_window(root, upstream_perf, tmp_path):
    """The same extension as $ZIPLINE_ROOT/extension.py, which zipline loads by default."""
    own_root = tmp_path / "root"
    own_root.mkdir()
    (own_root / "data").symlink_to(root / "data")
    (own_root / "extension.py").write_text((root / "extension.py").read_text()
                                           + readme_extension() + STATS_EXTENSION)
    command([ZIPLINE, "run", "-f", ALGO, *OPTIONS, "-o", "perf.pickle"], own_root, tmp_path)
    assert_all_served(stats_of(tmp_path))
    assert_same_perf(tmp_path / "perf.pickle", upstream_perf)


def test_fastportal_run_is_zipline_run_patched(root, upstream_perf, tmp_path):
    """Its options are zipline run's, parsed by zipline's own command: the same perf frame
    as `zipline run` with the same options."""
    algo = tmp_path / "algo.py"  # the example, and fastportal's stats written at exit
    algo.write_text(ALGO.read_text() + "\n" + STATS_EXTENSION)
    command([FASTPORTAL, "run", "-f", algo, *OPTIONS, "-o", "perf.pickle"], root, tmp_path)
    assert_all_served(stats_of(tmp_path))
    assert_same_perf(tmp_path / "perf.pickle", upstream_perf)


def test_fastportal_run_takes_zipline_runs_options_and_errors(root, tmp_path):
    # one hash seed: zipline lists --data-frequency's choices from a set
    helped = command([FASTPORTAL, "run", "--help"], root, tmp_path, PYTHONHASHSEED="0")
    theirs = command([ZIPLINE, "run", "--help"], root, tmp_path, PYTHONHASHSEED="0")
    assert helped.stdout.replace("fastportal run", "zipline run") == theirs.stdout
    environ = dict(os.environ, ZIPLINE_ROOT=str(root))
    for bad in (["-f", ALGO, *OPTIONS[:2]], ["-f", ALGO, "-b", "nope", *OPTIONS[2:]]):
        ours = subprocess.run([FASTPORTAL, "run", *map(str, bad)], capture_output=True,
                              text=True, env=environ, timeout=600)
        theirs = subprocess.run([ZIPLINE, "run", *map(str, bad)], capture_output=True,
                                text=True, env=environ, timeout=600)
        assert ours.returncode == theirs.returncode != 0
        assert (ours.stderr.replace("fastportal run", "zipline run").splitlines()[-1]
                == theirs.stderr.splitlines()[-1])


MAGIC = """
import json, os, sys
from IPython.core.interactiveshell import InteractiveShell

shell = InteractiveShell.instance()
shell.run_line_magic("load_ext", "fastportal")
cell = "%%zipline {options} -o perf.pickle\\n" + open({algo!r}).read()
result = shell.run_cell(cell)
result.raise_error()
import fastportal
json.dump(fastportal.stats(), open(os.environ["STATS_OUT"], "w"))
"""


def test_load_ext_then_the_zipline_cell_magic_runs_patched(root, upstream_perf, tmp_path):
    """IPython's own shell runs a real cell: `%%zipline` with the example's source."""
    script = MAGIC.format(options=" ".join(OPTIONS), algo=str(ALGO))
    command([sys.executable, "-c", script], root, tmp_path)
    assert_all_served(stats_of(tmp_path))
    assert_same_perf(tmp_path / "perf.pickle", upstream_perf)


def test_unload_ext_uninstalls(root, tmp_path):
    script = ("from IPython.core.interactiveshell import InteractiveShell\n"
              "import fastportal\n"
              "shell = InteractiveShell.instance()\n"
              "shell.run_line_magic('load_ext', 'fastportal')\n"
              "assert fastportal.installed()\n"
              "assert 'zipline' in shell.magics_manager.magics['cell']\n"
              "shell.run_line_magic('unload_ext', 'fastportal')\n"
              "assert not fastportal.installed()\n")
    command([sys.executable, "-c", script], root, tmp_path)
