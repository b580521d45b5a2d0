"""Reads valgrind memcheck XML reports (--xml=yes) and fails on the errors that concern
fastportal's C code: those with a frame in fastportal's extension (_core*.so) in one of
their stacks (where it happened; where the block was allocated or freed, or the
uninitialised value made) below any Python code, that is, in _core or in what _core
called directly. Leaks count when definitely lost. Python, NumPy and pandas bring memcheck
reports of their own (their allocators and caches, what the interpreter keeps at exit,
Python's ints read before set), also under Python code that _core calls back (a
strategy's wrapper, a calendar method); those are counted and left aside.

    python tests/tools/memcheck_core_errors.py .valgrind/memcheck.*.xml
"""

import re
import sys
import xml.etree.ElementTree as ElementTree
from collections import Counter

# fastportal's extension only (NumPy and SciPy have modules named _core too)
CORE_OBJECT = re.compile(r"/fastportal/_core[.][^/]*[.]so$")
IGNORED_LEAKS = {"Leak_PossiblyLost", "Leak_StillReachable", "Leak_IndirectlyLost"}


PYTHON_CODE = "_PyEval_EvalFrameDefault"   # the interpreter running Python code


def in_core(stack):
    """Whether a frame of _core comes before (inside of) the first Python code frame."""
    for frame in stack.iter("frame"):
        if CORE_OBJECT.search(frame.findtext("obj", "")):
            return True
        if frame.findtext("fn") == PYTHON_CODE:
            return False
    return False


def describe(error):
    what = error.findtext("what") or error.findtext("xwhat/text") or ""
    lines = [f"{error.findtext('kind')}: {what}"]
    for stack in error.iter("stack"):
        lines.append("  stack:")
        for frame in stack.iter("frame"):
            where = frame.findtext("file")
            where = f"{where}:{frame.findtext('line')}" if where else frame.findtext("obj", "")
            lines.append(f"    {frame.findtext('fn', '?')}  ({where})")
    return "\n".join(lines)


def core_errors(path):
    """(errors with a _core frame, Counter of the other errors' kinds) of one report."""
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError:
        with open(path, "rb") as report:
            if b"<error>" not in report.read():
                # a child forked to run another program (valgrind does not follow it):
                # its report stops at the exec, with nothing in it
                return [], Counter()
        raise   # a report cut after errors: valgrind died
    ours, others = [], Counter()
    for error in root.iter("error"):
        kind = error.findtext("kind")
        if kind in IGNORED_LEAKS:
            continue
        if any(in_core(stack) for stack in error.iter("stack")):
            ours.append(error)
        else:
            others[kind] += 1
    return ours, others


def main(paths):
    if not paths:
        print("memcheck_core_errors: no report given", file=sys.stderr)
        return 2
    found, others = [], Counter()
    for path in paths:
        ours, theirs = core_errors(path)
        found += [(path, error) for error in ours]
        others += theirs
    print(f"memcheck: {len(paths)} report(s); errors outside fastportal's _core, "
          f"ignored: {dict(others) or 'none'}")
    for path, error in found:
        print(f"\n{path}:\n{describe(error)}")
    print(f"memcheck: {len(found)} error(s) with a frame in fastportal's _core")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
