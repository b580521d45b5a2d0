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
    """The types of what a BlockValuesRefs refers to."""
    return [type(ref()).__name__ for ref in refs.referenced_blocks]


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
                  array._ndarray.flags.writeable, array._dtype, array._freq),
    }


def frame_anatomy(frame):
    """What a DataFrame is made of, as anatomy() says it of a Series."""
    block, = frame._mgr.blocks
    columns = frame.columns
    return {
        "frame": (type(frame), list(vars(frame)), frame._is_copy, frame._item_cache,
                  frame._attrs),
        "flags": (type(frame._flags), list(vars(frame._flags)),
                  frame._flags._allows_duplicate_labels, frame._flags._obj() is frame),
        "manager": (type(frame._mgr), type(frame._mgr.axes), len(frame._mgr.axes),
                    frame._mgr.axes[1] is frame.index, type(frame._mgr.blocks),
                    frame._mgr._known_consolidated, frame._mgr._is_consolidated),
        "block": (type(block), block.ndim, repr(block.mgr_locs), type(block.values),
                  block.values.dtype, block.values.shape, block.values.flags.writeable,
                  block.values.flags.c_contiguous, references(block.refs)),
        "columns": (type(columns), list(vars(columns)), columns._name, columns._cache,
                    columns.dtype, type(columns._data), references(columns._references)),
    }


def _types():
    from pandas.core.arrays import DatetimeArray
    from pandas.core.flags import Flags
    from pandas.core.internals.blocks import NumpyBlock
    from pandas.core.internals.managers import BlockManager, SingleBlockManager
    from pandas._libs.internals import BlockPlacement, BlockValuesRefs

    return dict(
        series_type=pd.Series, manager_type=SingleBlockManager, block_type=NumpyBlock,
        placement_type=BlockPlacement, refs_type=BlockValuesRefs, flags_type=Flags,
        index_type=pd.DatetimeIndex, frame_type=pd.DataFrame, frame_manager_type=BlockManager,
        object_index_type=pd.Index,
        # what DatetimeArray._simple_new's super()._simple_new(values, dtype) calls
        array_new=super(DatetimeArray, DatetimeArray)._simple_new,
    )


def _public_series(values, labels, freq, name):
    """The same Series through pandas' public and _simple_new constructors."""
    from pandas.core.arrays import DatetimeArray

    array = DatetimeArray._simple_new(labels, freq, labels.dtype)
    index = pd.DatetimeIndex._simple_new(array)
    return pd.Series(values, index=index, name=name, copy=False)


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
    try:
        pd.testing.assert_series_equal(ours, theirs, check_exact=True, check_freq=True,
                                       check_flags=True)
        pd.testing.assert_frame_equal(our_frame, their_frame, check_exact=True,
                                      check_freq=True, check_flags=True)
    except AssertionError:
        return False
    return (anatomy(ours) == anatomy(theirs)
            and frame_anatomy(our_frame) == frame_anatomy(their_frame))


_builder = None


def builder():
    """The PandasBuilder, or None when it does not build what this pandas builds."""
    global _builder
    if _builder is None:
        candidate = None
        try:
            candidate = _core.PandasBuilder(**_types())
            fits = _builds_what_pandas_builds(candidate)
        except (ImportError, AttributeError, TypeError, ValueError):
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
