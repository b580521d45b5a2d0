"""python -m fastportal profile | compare: see fastportal.cli."""
import sys

from fastportal.cli import main

sys.exit(main())
