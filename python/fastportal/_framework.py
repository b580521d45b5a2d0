"""The frameworks fastportal patches: zipline-reloaded (package `zipline`) and rustybt,
a fork of it whose modules keep zipline's names under its own package. The shim is the
same for both; what it takes from a framework (its BarData, DataPortal, asset types,
readers, roll finders, calendar functions) it takes from the framework's object, found
from the package name or from the portal in hand."""

import functools
import importlib
import importlib.util
import warnings
import weakref

NAMES = ("zipline", "rustybt")

# Where each name the shim uses lives, inside the framework's package.
_HOMES = {
    "BarData": "_protocol",
    "DataPortal": "data.data_portal",
    "Asset": "assets",
    "Equity": "assets",
    "Future": "assets",
    "ContinuousFuture": "assets.continuous_futures",
    "BcolzDailyBarReader": "data.bcolz_daily_bars",
    "BcolzMinuteBarReader": "data.bcolz_minute_bars",
    "CalendarRollFinder": "assets.roll_finder",
    "VolumeRollFinder": "assets.roll_finder",
    "ROLL_DAYS_FOR_CURRENT_CONTRACT": "assets.roll_finder",
}


# Where the frameworks' own code differs in what the shim reads or repeats:
# - adjustment_tables: the table names their DataPortal.get_adjustments passes to
#   _get_adjustment_list (rustybt's adjustment reader accepts only lower case);
# - mergers_compared_naive: rustybt's get_adjustments compares a time with a zone to the
#   mergers' naive dates (splits and dividends it first puts in the time's zone), so it
#   raises pandas' TypeError for any asset with a merger, on every field but volume;
#   the core leaves those assets' ratios and spot values to it;
# - get_calendar_bound: zipline's get_calendar binds exchange_calendars' signature twice
#   per call, which fastportal's replaces (_calendar.get_calendar_patches); rustybt's
#   makes its one call directly and stays;
# - call_order_readers: bar readers whose answers depend on the calls made before (module,
#   class name). rustybt's Parquet readers keep one cached slice keyed by dates and
#   fields but not assets, so a get_value after another read may miss an asset's bar;
#   a portal reading through one is left to upstream, whose calls then run in upstream's
#   own order.
_DIFFERENCES = {
    "zipline": {"adjustment_tables": ("SPLITS", "MERGERS", "DIVIDENDS"),
                "mergers_compared_naive": False, "get_calendar_bound": True,
                "call_order_readers": ()},
    "rustybt": {"adjustment_tables": ("splits", "mergers", "dividends"),
                "mergers_compared_naive": True, "get_calendar_bound": False,
                "call_order_readers": (
                    ("rustybt.data.polars.parquet_bar_reader", "ParquetDailyBarReader"),
                    ("rustybt.data.polars.parquet_minute_bar_reader",
                     "ParquetMinuteBarReader"))},
}


class Framework:
    """One framework: its package's name, what differs in its code (_DIFFERENCES), and
    the names of _HOMES, imported when first asked for."""

    def __init__(self, name):
        self.name = name
        self.__dict__.update(_DIFFERENCES[name])

    def __repr__(self):
        return f"<fastportal framework {self.name}>"

    def __getattr__(self, attribute):
        home = _HOMES.get(attribute)
        if home is None:
            raise AttributeError(attribute)
        value = getattr(self.module(home), attribute)
        setattr(self, attribute, value)
        return value

    def module(self, path):
        return importlib.import_module(f"{self.name}.{path}")

    def owns(self, module_name):
        """Whether a module of that name is the framework's."""
        return module_name == self.name or module_name.startswith(self.name + ".")


@functools.cache
def framework(name):
    if name not in NAMES:
        raise ValueError(f"fastportal knows no framework {name!r} (known: "
                         f"{', '.join(NAMES)})")
    return Framework(name)


def importable():
    """The frameworks installed here, each imported with every name the shim takes from
    it. One that is installed but fails to import, or lacks one of those names, is left
    unpatched, with a warning that says why."""
    found = []
    for name in NAMES:
        if importlib.util.find_spec(name) is None:
            continue
        try:
            module = importlib.import_module(name)
            if module.__name__ != name:
                continue  # another framework's package under a second name: patched as that
            candidate = framework(name)
            for attribute in _HOMES:
                getattr(candidate, attribute)
        except Exception as exc:  # noqa: BLE001 - whatever its import raised, it is said
            warnings.warn(f"fastportal: {name} is installed but does not import "
                          f"({type(exc).__name__}: {exc}); it is not patched",
                          RuntimeWarning, stacklevel=4)
            continue
        found.append(candidate)
    return found


# type -> its framework (or None), weakly: classes made per object (mocks) do not pile up
_framework_of_type = weakref.WeakKeyDictionary()


def of(obj):
    """The framework an object (a portal, a BarData, a roll finder) belongs to: that of
    the first class in its type's MRO defined in a framework's package (a user's DataPortal
    subclass is its framework's); None when no class of it is a framework's, and the
    core then leaves the object to upstream."""
    kind = type(obj)
    try:
        return _framework_of_type[kind]
    except KeyError:
        pass
    found = None
    for cls in kind.__mro__:
        root = (getattr(cls, "__module__", "") or "").partition(".")[0]
        if root in NAMES:
            found = framework(root)
            break
    try:
        _framework_of_type[kind] = found
    except TypeError:  # a type that takes no weak reference: asked again next time
        pass
    return found
