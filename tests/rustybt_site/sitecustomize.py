"""Run at the start of every Python process the tests start under make test-rustybt
(as_rustybt puts this folder on their PYTHONPATH): the name zipline is rustybt's there
too."""

import as_rustybt

as_rustybt.second_name()
