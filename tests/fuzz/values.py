"""Arguments for the fuzz harness, drawn from atheris' FuzzedDataProvider: the values a
strategy might pass by mistake (wrong types, huge and negative counts, NaN and NaT,
strings, bools), the odd containers it might pass assets in (tuples, generators, dicts,
sets, arrays, Index), and hostile objects that raise from every dunder or that empty the
list they sit in while the core is reading it."""

import datetime

import numpy as np
import pandas as pd

FIELDS = ("open", "high", "low", "close", "volume", "price", "last_traded", "contract")
WORDS = FIELDS + ("1d", "1m", "daily", "minute", "next", "previous", "none", "calendar",
                  "volume", "mul", "add", "", "close ", "CLOSE", "sid", "\x00")
INTS = (0, 1, -1, 2, 3, 20, 390, 391, 2**31 - 1, 2**31, -(2**31), 2**63 - 1, -(2**63),
        2**63, 2**64, 2**70, -(2**70))
FLOATS = (float("nan"), float("inf"), float("-inf"), -0.0, 0.5, 1e300, -1.0, 3.0)


class Pools:
    """What the harness found alive in a real portal: assets, clocks, core objects, the
    arguments each core constructor was first built with."""

    def __init__(self, assets, clocks, objects, arguments):
        self.assets = assets          # equities, futures, continuous futures
        self.clocks = clocks          # pd.Timestamp minutes and sessions of the bundles
        self.objects = objects        # {core type: [instances]}
        self.arguments = arguments    # {core type: [(args, kwargs)]}


class RaisesEverywhere:
    def __index__(self):
        raise RuntimeError("index")

    __int__ = __float__ = __len__ = __iter__ = __bool__ = __index__

    def __hash__(self):
        raise RuntimeError("hash")

    def __eq__(self, other):
        raise RuntimeError("eq")

    def __getattr__(self, name):
        raise RuntimeError(name)


class Clears:
    """Asset-like (its asset's hash, equality and attributes), and the list it was put in
    (or the list of the call) is emptied whenever it is hashed, compared, counted or
    iterated: a list the core holds no reference to must not be read after that."""

    def __init__(self, victim, asset, count):
        self.victim, self.asset, self.count = victim, asset, count

    def __hash__(self):
        self.victim.clear()
        return hash(self.asset)

    def __eq__(self, other):
        self.victim.clear()
        return self.asset == other

    def __index__(self):
        self.victim.clear()
        return self.count

    __int__ = __index__

    def __len__(self):
        self.victim.clear()
        return self.count

    def __iter__(self):
        self.victim.clear()
        return iter([self.asset] * self.count)

    def __getattr__(self, name):
        return getattr(self.asset, name)


class Draw:
    """Values drawn from one fuzz input; `victims` are the lists being filled, which a
    Clears empties."""

    def __init__(self, fdp, pools):
        self.fdp, self.pools = fdp, pools
        self.victims = [[]]

    def int(self, low, high):
        return self.fdp.ConsumeIntInRange(low, high)

    def pick(self, options):
        return options[self.int(0, len(options) - 1)] if options else None

    def flag(self):
        return self.fdp.ConsumeBool()

    def count(self):
        """A bar count: mostly small, sometimes odd."""
        kind = self.int(0, 7)
        if kind < 4:
            return self.int(0, 400)
        return (self.pick(INTS), True, np.int64(self.int(-3, 50)), self.value())[kind - 4]

    def clock(self):
        """A simulation clock: mostly a real minute or session, else NaT, NaN, naive,
        far, another zone, another type."""
        kind = self.int(0, 11)
        if kind < 5:
            return self.pick(self.pools.clocks)
        stamp = self.pick(self.pools.clocks)
        return (pd.NaT, float("nan"), None, stamp.tz_localize(None) if stamp.tz else stamp,
                pd.Timestamp("1990-01-02 15:00", tz="UTC") + pd.Timedelta(self.int(0, 2**20),
                                                                        "min"),
                stamp.tz_convert("Asia/Tokyo") if stamp.tz else stamp.to_datetime64(),
                self.value())[kind - 5]

    def asset(self):
        return self.pick(self.pools.assets)

    def assets(self):
        """One asset, or several in some container."""
        kind = self.int(0, 16)
        if kind < 5:
            return self.asset()
        if kind < 12:   # assets, now and then something else among them
            return self.container(self.int(0, 5),
                                  lambda: self.asset() if self.int(0, 7) else self.value())
        if kind < 14:   # sids, as the portal takes them
            return self.container(self.int(0, 5), lambda: getattr(self.asset(), "sid", 0))
        return self.container(self.int(0, 5), self.value)

    def fields(self):
        kind = self.int(0, 5)
        if kind < 3:
            return self.pick(FIELDS)
        if kind < 5:
            return self.container(self.int(0, 4), lambda: self.pick(FIELDS))
        return self.value()

    def container(self, size, item):
        kind = self.int(0, 11)
        if kind >= 8:
            items = [item() for _ in range(size)]
            return (tuple(items), (x for x in items), dict.fromkeys(_hashable(items)),
                    set(_hashable(items)))[kind - 8]
        victim = []
        self.victims.append(victim)
        try:
            victim.extend(item() for _ in range(size))
        finally:
            self.victims.pop()
        if kind < 5:
            return victim
        try:
            return (np.array(victim, dtype=object), pd.Index(victim),
                    np.array(victim))[kind - 5]
        except Exception:  # noqa: BLE001 - items numpy or pandas refuse: the list itself
            return victim

    def value(self, depth=0):
        """Any value, a container of values at most two deep."""
        kind = self.int(0, 27 if depth < 2 else 20)
        fdp = self.fdp
        if kind == 0:
            return None
        if kind == 1:
            return self.flag()
        if kind == 2:
            return self.int(-5, 400)
        if kind == 3:
            return self.pick(INTS)
        if kind == 4:
            return self.pick(FLOATS) if self.flag() else fdp.ConsumeRegularFloat()
        if kind == 5:
            return self.pick(WORDS)
        if kind == 6:
            return fdp.ConsumeUnicodeNoSurrogates(self.int(0, 8))
        if kind == 7:
            return fdp.ConsumeBytes(self.int(0, 8))
        if kind in (8, 9):
            return self.asset()
        if kind == 10:
            return getattr(self.asset(), "sid", 0)
        if kind == 11:
            return self.clock()
        if kind == 12:
            return self.array()
        if kind == 13:
            return RaisesEverywhere()
        if kind == 14:
            return Clears(self.victims[-1], self.asset(), self.int(0, 3))
        if kind == 15:
            objects = self.pick(list(self.pools.objects.values()))
            return self.pick(objects)
        if kind == 16:
            arguments = self.pick(list(self.pools.arguments.values()))
            args, kwargs = self.pick(arguments)
            return self.pick(list(args) + list(kwargs.values()))
        if kind == 17:
            answer = self.value(depth + 2)
            return lambda *args, **kwargs: answer
        if kind == 18:
            return self.pick((int, float, object, dict, pd.Timestamp, type(self.asset())))
        if kind == 19:
            return np.int64(self.int(-3, 2**20)) if self.flag() else np.float64("nan")
        if kind == 20:
            return datetime.datetime(2024, 10, self.int(1, 31), self.int(0, 23))
        return self.container(self.int(0, 4), lambda: self.value(depth + 1))

    def array(self):
        size = self.int(0, 6)
        kind = self.int(0, 7)
        if kind == 0:
            return np.array([self.int(-2**40, 2**40) for _ in range(size)], dtype=np.int64)
        if kind == 1:
            return np.array([self.fdp.ConsumeRegularFloat() for _ in range(size)])
        if kind == 2:
            return np.array([self.pick(FLOATS) for _ in range(size)])
        if kind == 3:
            return np.ones((self.int(0, 5), size), dtype=self.pick(
                (np.uint32, np.float64, np.int64, np.int32, bool)))
        if kind == 4:
            return np.array([c.value for c in (self.clock() for _ in range(size))
                             if isinstance(c, pd.Timestamp)], dtype="M8[ns]")
        if kind == 5:
            return np.arange(size, dtype=self.pick((np.int64, np.uint32, np.float32)))[::-1]
        if kind == 6:
            return np.empty(0, dtype=self.pick((np.int64, np.float64, object)))
        return pd.DatetimeIndex([c for c in self.pools.clocks[:size]])

    def arguments(self, most):
        """Positional arguments, and sometimes a keyword or two."""
        args = [self.value() for _ in range(self.int(0, most))]
        kwargs = {}
        for _ in range(self.int(0, 2) if self.int(0, 3) == 0 else 0):
            kwargs[self.pick(WORDS + ("minutes", "scale", "first", "sid", "known"))] = (
                self.value())
        return args, kwargs


def _hashable(items):
    out = []
    for item in items:
        try:
            hash(item)
        except Exception:  # noqa: BLE001 - unhashable or raising: left out of the set
            continue
        out.append(item)
    return out
