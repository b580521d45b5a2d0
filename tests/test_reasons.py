"""The reasons a call is left to upstream are defined once (include/reasons.h): _core
exports each as a constant named after it and all of them as REASONS, and the shim names
them by those constants, never by their text."""

import re
from pathlib import Path

from fastportal import _core

SHIM = Path(_core.__file__).resolve().parent


def constants():
    return {name: value for name, value in vars(_core).items()
            if name.isupper() and name != "REASONS"}


def test_every_reason_is_a_constant_once():
    assert len(_core.REASONS) == len(set(_core.REASONS)) >= 30
    assert sorted(constants().values()) == sorted(_core.REASONS)
    for name, text in constants().items():
        assert type(text) is str and name == re.sub(r"\W+", "_", text).upper() or \
            name == "PRICE_ACROSS_ROLL", (name, text)


def test_the_shim_writes_no_reason_as_text():
    """Of the reasons of several words: one word ("fields", "calendar") is also the name
    of a parameter or an attribute."""
    for path in SHIM.glob("_*.py"):
        source = path.read_text()
        for text in [reason for reason in _core.REASONS if " " in reason]:
            assert f'"{text}"' not in source and f"'{text}'" not in source, (path.name, text)
