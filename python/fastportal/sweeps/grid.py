"""The grid of a sweep: zipline run's `-D name=value`, each value a comma-separated list
of Python expressions (`-D short=10,20 -D long=50,100`), and its points, every
combination in the order given."""

import ast
import itertools


def values_of(text):
    """The expressions of a comma-separated list, each as written: commas inside
    brackets or strings do not separate ("(1, 2),3" is two values)."""
    try:
        tree = ast.parse(f"({text},)", mode="eval")
    except SyntaxError:
        tree = None
    if tree is None or not isinstance(tree.body, ast.Tuple) or not tree.body.elts:
        raise ValueError(f"{text!r} is not a comma-separated list of Python expressions")
    source = f"({text},)"
    return [ast.get_source_segment(source, element) for element in tree.body.elts]


def parse_defines(defines, reserved=()):
    """[(name, [value, ...]), ...] of `-D name=v1,v2,...` arguments, in the order given;
    the errors zipline gives for a define not of the form name=value, and ours for a name
    given twice or among `reserved` (the table's own columns), a value given twice, and
    a value with "=" (zipline run splits a define at every "=": it cannot take one)."""
    grid = []
    for define in defines:
        name, equals, text = define.partition("=")
        if not equals:
            raise ValueError(f"invalid define {define!r}, should be of the form name=value")
        name = name.strip()
        if not name.isidentifier():
            raise ValueError(f"invalid define {define!r}: {name!r} is not a name")
        if any(name == known for known, _ in grid):
            raise ValueError(f"{name!r} is defined twice")
        if name in reserved:
            raise ValueError(f"-D {name}: {name!r} is a column of the sweep's table; "
                             "give the define another name")
        values = values_of(text)
        for k, value in enumerate(values):
            if "=" in value:
                raise ValueError(f"-D {name}={value}: zipline run cannot take a value "
                                 "with '=' in it")
            if value in values[:k]:
                raise ValueError(f"-D {name}: {value} is given twice")
        grid.append((name, values))
    return grid


def points(grid):
    """Every combination of the grid's values, as {name: value text}, the last name
    varying fastest."""
    names = [name for name, _ in grid]
    return [dict(zip(names, combination))
            for combination in itertools.product(*(values for _, values in grid))]
