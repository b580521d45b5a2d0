"""Build of fastportal._core.

FASTPORTAL_STRICT=1 (set by `make setup`, hence by the tests) turns every warning into
an error. Floating point contraction stays off in every build: adjusted prices must round
exactly as NumPy rounds them, and a fused multiply-add would change the last bit.
"""
import os

import numpy
from setuptools import Extension, setup

SOURCES = ["src/module.c", "src/arrays.c", "src/arguments.c", "src/calendar.c", "src/ranges.c", "src/windows.c", "src/objects.c",
           "src/history_common.c", "src/history.c", "src/minutes.c", "src/partial_day.c", "src/fields.c",
           "src/ratios.c", "src/lookups.c", "src/tapes.c", "src/rolls.c", "src/spot.c", "src/spot_type.c",
           "src/current.c", "src/stamps.c",
           "src/methods.c"]

compile_args = ["-std=c11", "-O2", "-ffp-contract=off", "-fno-fast-math"]
if os.environ.get("FASTPORTAL_STRICT") == "1":
    compile_args += ["-Wall", "-Wextra", "-Werror"]

setup(
    ext_modules=[
        Extension(
            "fastportal._core",
            sources=SOURCES,
            include_dirs=["include", numpy.get_include()],
            depends=["include/fastportal.h", "include/arrays.h", "include/arguments.h",
                     "include/spot.h"],
            extra_compile_args=compile_args,
        )
    ]
)
