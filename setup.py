"""Build of fastportal._core.

FASTPORTAL_STRICT=1 (set by `make setup`, hence by the tests) turns every warning into
an error. Floating point contraction stays off in every build: adjusted prices must round
exactly as NumPy rounds them, and a fused multiply-add would change the last bit.
"""
import os

import numpy
from setuptools import Extension, setup

SOURCES = ["src/module.c", "src/arrays.c", "src/arguments.c", "src/reasons.c",
           "src/calendar.c", "src/ranges.c", "src/windows.c", "src/objects.c",
           "src/history_common.c", "src/history.c", "src/minutes.c", "src/partial_day.c",
           "src/fields.c", "src/ratios.c", "src/lookups.c", "src/tapes.c", "src/rolls.c",
           "src/spot.c", "src/current.c", "src/spot_type.c", "src/stamps.c", "src/methods.c"]

# Every header: the extension is built again when one of them changes.
HEADERS = ["include/fastportal.h", "include/arrays.h", "include/arguments.h",
           "include/reasons.h", "include/calendar.h", "include/ranges.h", "include/windows.h",
           "include/objects.h", "include/history_common.h", "include/history.h",
           "include/minutes.h", "include/partial_day.h", "include/fields.h",
           "include/ratios.h", "include/lookups.h", "include/tapes.h", "include/rolls.h",
           "include/spot.h", "include/current.h", "include/spot_type.h",
           "include/stamps.h", "include/methods.h"]

# -fvisibility=hidden: the module exports PyInit__core alone (PyMODINIT_FUNC marks it
# visible); the symbols the files share stay inside the extension.
compile_args = ["-std=c11", "-O2", "-ffp-contract=off", "-fno-fast-math",
                "-fvisibility=hidden"]
if os.environ.get("FASTPORTAL_STRICT") == "1":
    compile_args += ["-Wall", "-Wextra", "-Werror"]

setup(
    ext_modules=[
        Extension(
            "fastportal._core",
            sources=SOURCES,
            include_dirs=["include", numpy.get_include()],
            depends=HEADERS,
            extra_compile_args=compile_args,
        )
    ]
)
