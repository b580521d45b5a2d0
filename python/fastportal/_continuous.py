"""Continuous futures: which column upstream's history loader would read, call by call.

The contract in force at a bar, and so a continuous future's window, depends on the range
upstream's loader computed the rolls over: from the window's start to its end when the
loader built it, plus the loader's prefetch. The loader keeps one window per (field,
asset, size, perspective) and builds it again when the clock passes that range or walks
back. LoaderFollower follows that state for one loader (daily or minute), in upstream's
order (fields as asked, assets as given), including what a call that raises leaves
behind, and puts in the core's column dict the column built over the same range, with
the decimals upstream took at the same end. Eviction from the loader's LRU of 1,000
windows a field is not followed.
"""


class LoaderFollower:
    """Upstream's history loader `loader` (over reader rows `dts`) as continuous futures
    see it (column_of_field: the column a field reads, close for price).
    build_column(asset, field, loader, dts, frequency, perspective, first_row=,
    decimals=, adjustment_dts=, raw=) makes a column, as PortalCore._build_column does;
    on_refusal() counts an exception of upstream's raised. A column is built over the
    rows the loader builds its window over, from the window's start to the range's end,
    and serves that window until the loader would build it again."""

    def __init__(self, continuous_type, column_of_field, loader, dts, frequency,
                 build_column, on_refusal):
        self.continuous_type = continuous_type
        self.column_of_field = column_of_field
        self.loader = loader
        self.dts = dts
        self.frequency = frequency
        self.build_column = build_column
        self.on_refusal = on_refusal
        self.states = {}    # (asset, field, size, perspective) -> (range end, last end, column)
        self.failures = {}  # upstream's error for a range that cannot be built
        self.raw = {}       # raw rows read ahead of their column, as the loader reads them

    def place(self, store, assets, field, end_row, size, perspective=0):
        """What upstream's loader does for get_history_window(assets, ..., field) with a
        window of `size` rows ending at reader row end_row: the columns of the continuous
        futures among assets put in store, or upstream's exception raised (with the state
        a raising call leaves). False when upstream fails on the call before its loader
        builds anything, for a reason of its own (a sid of an asset that has none)."""
        loader, dts, continuous = self.loader, self.dts, self.continuous_type
        if field == "sid" and not all(type(asset) is continuous for asset in assets):
            # other assets have no sid to read: the loader fails on them before it
            # builds anything, with its error (the call is left to upstream, and the
            # fields after this one are never reached)
            return False
        self.raw.clear()
        column_field = self.column_of_field[field]
        range_end = min(end_row + loader._prefetch_length, len(dts) - 1)
        start_row = end_row - size + 1
        states, needed = self.states, []
        for asset in assets:
            if type(asset) is continuous:
                key = (asset, column_field, size, perspective)
                state = states.get(key)
                if state is not None and end_row > state[0]:
                    del states[key]  # expired: the loader drops it before building again
                    state = None
                if state is None or end_row < state[1]:
                    needed.append((asset, key))
        # the loader reads every needed asset's raw rows, then makes each one's window
        for asset, _ in needed:
            self._column(asset, column_field, range_end, perspective, start_row, None,
                         raw_only=True)
        for asset, key in needed:
            decimals = loader._decimal_places_for_asset(asset, dts[end_row])
            column = self._column(asset, column_field, range_end, perspective, start_row,
                                  decimals)
            # until the window is read, the loader counts it as ending a row later
            states[key] = (range_end, end_row + 1, column)
        for asset in assets:
            if type(asset) is continuous:
                key = (asset, column_field, size, perspective)
                state_end, _, column = states[key]
                states[key] = (state_end, end_row, column)
                store[(asset, field)] = column
                if field == "price" or field == "close":
                    store[(asset, "close" if field == "price" else "price")] = column
        return True

    def _column(self, asset, field, range_end, perspective, start_row, decimals,
                raw_only=False):
        """The column over reader rows start_row..range_end, or upstream's exception
        raised. raw_only: only the raw rows (the rolls) are read."""
        failure = (asset, field, range_end, perspective, start_row)
        error = self.failures.get(failure)
        if error is None:
            try:
                return self._build(asset, field, start_row, range_end, perspective,
                                   decimals, raw_only)
            except Exception as exc:  # noqa: BLE001 - upstream's own error, kept
                if len(self.failures) > 1000:
                    self.failures.clear()  # a chain's end asked at many starts
                error = self.failures[failure] = exc
        self.on_refusal()
        raise error

    def _build(self, asset, field, first, range_end, perspective, decimals, raw_only):
        loader, dts = self.loader, self.dts
        rows = dts[first:range_end + 1]
        if raw_only:
            self.raw[(asset, field, range_end, first)] = raw = loader._reader.load_raw_arrays(
                [field], rows[0], rows[-1], [asset])[0]
            return raw
        adjustment_end = min(range_end + perspective, len(dts) - 1)
        return self.build_column(asset, field, loader, rows, self.frequency, perspective,
                                 first_row=first, decimals=decimals,
                                 adjustment_dts=dts[first:adjustment_end + 1],
                                 raw=self.raw.pop((asset, field, range_end, first), None))
