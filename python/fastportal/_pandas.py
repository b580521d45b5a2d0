"""The core's PandasBuilder for the installed pandas, and the check that it builds what
pandas builds.

The builder assembles a Series and a DatetimeIndex from pandas' internal types, as
pandas' own _simple_new and _from_mgr do (src/objects.c). That is only right for a pandas
whose internals are laid out as the builder expects, so before it is used the builder
builds a sample both ways and compares the anatomy of the two objects; on any difference
the public constructors are used instead (slower, never wrong).
"""

import warnings

import numpy as np
import pandas as pd

from fastportal import _core


def references(refs):
    """The types of what a BlockValuesRefs refers to. Dead references are left out: pandas
    prunes them before it counts references (BlockValuesRefs.has_reference), and its own
    constructors leave some behind (a Series made from a dict and reindexed)."""
    return [type(ref()).__name__ for ref in refs.referenced_blocks if ref() is not None]


def anatomy(series):
    """What a Series is made of, attribute by attribute, down to its arrays; equal for two
    Series that pandas cannot tell apart."""
    index = series.index
    block, = series._mgr.blocks
    array = index._data
    return {
        "series": (type(series), list(vars(series)), series._is_copy, series._item_cache,
                   series._attrs, series._name),
        "flags": (type(series._flags), list(vars(series._flags)),
                  series._flags._allows_duplicate_labels, series._flags._obj() is series),
        "manager": (type(series._mgr), list(vars(series._mgr)), type(series._mgr.axes),
                    len(series._mgr.axes), series._mgr.axes[0] is index,
                    type(series._mgr.blocks)),
        "block": (type(block), block.ndim, repr(block.mgr_locs), type(block.values),
                  block.values.dtype, block.values.flags.writeable,
                  references(block.refs)),
        "index": (type(index), list(vars(index)), index._name, index._cache,
                  type(index._id), references(index._references)),
        "array": (type(array), list(vars(array)), type(array._ndarray), array._ndarray.dtype,
                  array._ndarray.flags.writeable, array._dtype, array._freq)
        if isinstance(index, pd.DatetimeIndex) else
        (type(array), array.dtype, array.flags.writeable, index.dtype),
    }


def frame_anatomy(frame):
    """What a DataFrame is made of, as anatomy() says it of a Series."""
    columns = frame.columns
    return {
        "frame": (type(frame), list(vars(frame)), frame._is_copy, frame._item_cache,
                  frame._attrs),
        "flags": (type(frame._flags), list(vars(frame._flags)),
                  frame._flags._allows_duplicate_labels, frame._flags._obj() is frame),
        "manager": (type(frame._mgr), type(frame._mgr.axes), len(frame._mgr.axes),
                    frame._mgr.axes[1] is frame.index, type(frame._mgr.blocks),
                    frame._mgr._known_consolidated, frame._mgr._is_consolidated),
        "blocks": [(type(block), block.ndim, repr(block.mgr_locs), type(block.values),
                    block.values.dtype, block.values.shape, block.values.flags.writeable,
                    block.values.flags.c_contiguous, references(block.refs))
                   for block in frame._mgr.blocks],
        "columns": (type(columns), list(vars(columns)), columns._name, columns._cache,
                    columns.dtype, type(columns._data), references(columns._references)),
    }


def fields_frame_anatomy(frame):
    """What a frame of several fields is made of, as frame_anatomy() says it of a frame,
    with its MultiIndex down to the levels and codes."""
    index = frame.index
    levels = index._levels
    dates, assets = levels
    return dict(
        frame_anatomy(frame),
        index=(type(index), list(vars(index)), index._names, index.sortorder, index._cache,
               type(index._id), index._references, type(levels), type(index._codes)),
        dates=(type(dates), dates._name, dates.dtype, dates.freq, list(vars(dates)),
               type(dates._data), dates._data._ndarray.flags.writeable),
        assets=(type(assets), assets._name, assets.dtype, list(vars(assets)),
                type(assets._data)),
        codes=[(type(codes), codes.dtype, codes.flags.writeable, codes.flags.c_contiguous,
                codes.tolist()) for codes in index._codes],
    )


def _types():
    from pandas.core.arrays import DatetimeArray
    from pandas.core.flags import Flags
    from pandas.core.indexes.frozen import FrozenList
    from pandas.core.internals.blocks import NumpyBlock
    from pandas.core.internals.managers import BlockManager, SingleBlockManager
    from pandas._libs.internals import BlockPlacement, BlockValuesRefs

    return dict(
        series_type=pd.Series, manager_type=SingleBlockManager, block_type=NumpyBlock,
        placement_type=BlockPlacement, refs_type=BlockValuesRefs, flags_type=Flags,
        index_type=pd.DatetimeIndex, frame_type=pd.DataFrame, frame_manager_type=BlockManager,
        object_index_type=pd.Index, multi_index_type=pd.MultiIndex,
        frozen_list_type=FrozenList, tz_dtype_type=pd.DatetimeTZDtype,
        # what DatetimeArray._simple_new's super()._simple_new(values, dtype) calls
        array_new=super(DatetimeArray, DatetimeArray)._simple_new,
    )


def _public_series(values, labels, freq, name, dtype=None):
    """The same Series through pandas' public and _simple_new constructors."""
    from pandas.core.arrays import DatetimeArray

    array = DatetimeArray._simple_new(labels, freq, labels.dtype if dtype is None else dtype)
    index = pd.DatetimeIndex._simple_new(array)
    return pd.Series(values, index=index, name=name, copy=False)


def _public_fields_frame(block, dates, assets, fields, dt_label):
    """The frame of several fields through pandas' public constructors."""
    dates = dates.rename(dt_label)
    codes = [np.repeat(np.arange(len(dates)), len(assets)),
             np.tile(np.arange(len(assets)), len(dates))]
    index = pd.MultiIndex(levels=[dates, pd.Index(list(assets), dtype=object)], codes=codes,
                          names=[dt_label, None], verify_integrity=False)
    columns = pd.Index(list(fields), dtype=object, name="fields")
    return pd.DataFrame(block.T, index=index, columns=columns, copy=False)


def _stacked_fields_frame(block, dates, assets, fields, dt_label):
    """The frame of several fields as zipline's BarData.history makes it: one frame per
    field, concatenated, stacked, unstacked and sorted."""
    windows = {field: pd.DataFrame(block[f].reshape(len(dates), len(assets)),
                                   index=dates, columns=list(assets))
               for f, field in enumerate(fields)}
    frame = pd.concat(windows, keys=windows.keys(), names=["fields", dt_label])
    return frame.stack(future_stack=True).unstack(level="fields").sort_index()


def index_parts(index):
    """(values, freq, dtype) of a DatetimeIndex, as the builder takes them: the values a
    read-only datetime64[ns] copy."""
    values = index.asi8.view("M8[ns]").copy()
    values.flags.writeable = False
    return values, index.freq, index.dtype


def _fields_frames_agree(builder, dates_of, dt_label):
    """The builder's frame of several fields against pandas' own, built both ways."""
    assets, fields = ("a", "b", "c"), ("close", "open")
    block = np.arange(24.0).reshape(2, 12) / 7
    parts = index_parts(dates_of())
    ours = builder.fields_frame(block, *parts, assets, fields, dt_label)
    # over the same read-only values, as the core's dates are
    theirs = _public_fields_frame(block, _public_series(np.empty(len(parts[0])), parts[0],
                                                        parts[1], None, parts[2]).index,
                                  assets, fields, dt_label)
    stacked = _stacked_fields_frame(block, dates_of(), assets, fields, dt_label)
    same = fields_frame_anatomy(ours) == fields_frame_anatomy(theirs)
    for other in (theirs, stacked):
        pd.testing.assert_frame_equal(ours, other, check_exact=True, check_freq=True,
                                      check_flags=True)
    return same


def _current_agrees(builder):
    """data.current's Series of several assets (int64 and float64) and its frames of
    several fields (one block per dtype, in the orders pandas' constructor leaves them),
    the builder's against pandas' own as zipline's BarData makes them."""
    assets = ("a", "b", "c")
    agree = True
    for values in (np.array([3, 1, 2]), np.array([0.5, np.nan, 2.0])):
        ours = builder.series(values.copy(), assets, "volume")
        theirs = pd.Series(data=dict(zip(assets, values.tolist())), index=list(assets),
                           name="volume")
        pd.testing.assert_series_equal(ours, theirs, check_exact=True, check_flags=True)
        agree = agree and anatomy(ours) == anatomy(theirs)
    rows = np.arange(3.0)
    for fields, positions in ((("close", "volume"), ([0], [1])),
                              (("volume", "close"), ([1], [0])),
                              (("close", "volume", "open"), ([0, 2], [1]))):
        is_int = [field == "volume" for field in fields]
        floats = np.array([rows + k for k, i in enumerate(is_int) if not i])
        ints = np.array([np.arange(3) + k for k, i in enumerate(is_int) if i])
        int_first = positions[1] == [0]
        blocks = (ints, floats) if int_first else (floats, ints)
        places = tuple(np.array(p, np.int64) for p in (positions[::-1] if int_first
                                                       else positions))
        ours = builder.blocks_frame(blocks, places, assets, fields)
        theirs = pd.DataFrame({field: pd.Series(
            data=dict(zip(assets, (ints[positions[1].index(k)] if i
                                   else floats[positions[0].index(k)]).tolist())),
            index=list(assets), name=field) for k, (field, i) in enumerate(zip(fields, is_int))})
        pd.testing.assert_frame_equal(ours, theirs, check_exact=True, check_flags=True)
        agree = agree and frame_anatomy(ours) == frame_anatomy(theirs)
    return agree


def _builds_what_pandas_builds(builder):
    labels = pd.date_range("2024-01-02", periods=4, freq="B").values
    labels.flags.writeable = False
    freq = pd.offsets.BusinessDay()
    ours = builder.series(np.arange(4.0), builder.datetime_index(labels, freq, labels.dtype),
                          "sample")
    theirs = _public_series(np.arange(4.0), labels, freq, "sample")
    block = np.arange(8.0).reshape(2, 4)
    columns = ["a", ("b", 1)]
    our_frame = builder.frame(block, ours.index, columns)
    their_frame = pd.DataFrame(block.T, index=theirs.index, columns=columns, copy=False)
    minutes = list(pd.date_range("2024-01-02 14:31", periods=4, freq="min", tz="UTC"))
    # a minute window's index: tz-aware, no freq, over a read-only view of the minutes
    minute_labels = pd.DatetimeIndex(minutes).asi8.view("M8[ns]")
    minute_labels.flags.writeable = False
    utc = pd.DatetimeTZDtype("ns", "UTC")
    our_minutes = builder.series(np.arange(4.0), builder.datetime_index(
        minute_labels, None, utc), "minutes")
    their_minutes = _public_series(np.arange(4.0), minute_labels, None, "minutes", utc)
    # a frame whose columns are the Index a strategy gave
    column_index = pd.Index(["a", ("b", 1)], dtype=object, name="assets")
    our_indexed = builder.frame(block, our_minutes.index, column_index)
    their_indexed = pd.DataFrame(block.T, index=their_minutes.index, columns=column_index,
                                 copy=False)
    try:
        pd.testing.assert_index_equal(their_minutes.index, pd.DatetimeIndex(minutes),
                                      exact=True, check_exact=True)
        for our_series, their_series in ((ours, theirs), (our_minutes, their_minutes)):
            pd.testing.assert_series_equal(our_series, their_series, check_exact=True,
                                           check_freq=True, check_flags=True)
        for our, their in ((our_frame, their_frame), (our_indexed, their_indexed)):
            pd.testing.assert_frame_equal(our, their, check_exact=True, check_freq=True,
                                          check_flags=True)

        def minute_dates():
            return pd.DatetimeIndex(minutes)

        current_agrees = _current_agrees(builder)
        fields_agree = (
            _fields_frames_agree(
                builder, lambda: builder.datetime_index(labels, freq, labels.dtype), "date")
            and _fields_frames_agree(builder, minute_dates, "date_time")
        )
    except AssertionError:
        return False
    return (anatomy(ours) == anatomy(theirs)
            and anatomy(our_minutes) == anatomy(their_minutes)
            and frame_anatomy(our_frame) == frame_anatomy(their_frame)
            and frame_anatomy(our_indexed) == frame_anatomy(their_indexed) and fields_agree
            and current_agrees)


_builder = None


def builder():
    """The PandasBuilder, or None when it does not build what this pandas builds."""
    global _builder
    if _builder is None:
        candidate = None
        try:
            candidate = _core.PandasBuilder(**_types())
            fits = _builds_what_pandas_builds(candidate)
        except Exception:  # noqa: BLE001 - any failure of the check: the core stands aside
            fits = False
        if not fits:
            warnings.warn(
                f"fastportal: pandas {pd.__version__} lays out its objects differently "
                "from the pandas fastportal was tested with; history is served by "
                "upstream zipline instead",
                RuntimeWarning, stacklevel=2,
            )
        _builder = candidate if fits else False
    return _builder or None
