"""python -m fastportal run | profile | compare: see fastportal.study.cli."""
import sys

from fastportal.study.cli import main

sys.exit(main())
