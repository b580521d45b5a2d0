"""zipline's example bundle, `test`, as zipline's own test_examples.py uses it: the example
data of zipline-reloaded's sdist, in a ZIPLINE_ROOT of its own whose extension.py
registers the bundle (zipline loads that file at startup, as it loads ~/.zipline's)."""

import importlib.util
import tarfile
from pathlib import Path

import pandas as pd

import zipline.examples

from fastportal.study.runs import comparable_perf

EXAMPLES = Path(zipline.examples.__file__).parent
REGISTER = 'from zipline.data.bundles import register\nregister("test", lambda *args: None)\n'


def _sdist():
    spec = importlib.util.spec_from_file_location(
        "upstream_run", Path(__file__).parent / "upstream" / "run.py")
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    return run.sdist_tests("zipline")


def example_root(directory):
    """A ZIPLINE_ROOT in directory holding the example bundle, registered as `test`."""
    archive = _sdist() / "tests" / "resources" / "example_data.tar.gz"
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith("example_data/root/")
                   and not Path(m.name).name.startswith("._")]
        tar.extractall(directory, members=members, filter="data")
    root = Path(directory) / "example_data" / "root"
    (root / "extension.py").write_text(REGISTER)
    return root


def assert_same_perf(ours, theirs):
    pd.testing.assert_frame_equal(comparable_perf(pd.read_pickle(ours)),
                                  comparable_perf(pd.read_pickle(theirs)), check_exact=True)
