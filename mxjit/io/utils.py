"""`mx.io.utils`: MXNet's private helpers of `NDArrayIter` that data code written for
MXNet imports (`from mxnet.io.utils import _init_data`), over mxjit's own.

    >>> _init_data(np.ones((2, 3)), allow_empty=False, default_name='data')  # doctest: +SKIP
    [('data', <NDArray 2x3 @cpu(0)>)]
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import nd
from . import io as _io

__all__: list[str] = []


def __dir__() -> list[str]:  # (what tab completion offers: the public names)
    return __all__


def _init_data(data: Any, allow_empty: bool, default_name: str) -> list[tuple[str, Any]]:
    """`data` (an array, a list or a dict of them) as (name, NDArray) pairs sorted by name.

    >>> [k for k, _ in _init_data([np.ones(2), np.ones(2)], False, 'x')]  # doctest: +SKIP
    ['_0_x', '_1_x']
    """
    return _io._named_arrays(data, default_name, required=not allow_empty)


def _has_instance(data: list[tuple[str, Any]], dtype: type) -> bool:
    """Whether an array of `_init_data`'s pairs is a `dtype` (e.g. CSRNDArray).

    >>> _has_instance([('x', mx.nd.ones(2))], mx.nd.NDArray)  # doctest: +SKIP
    True
    """
    return any(isinstance(arr, dtype) for _, arr in data)


def _getdata_by_idx(data: list[tuple[str, Any]], idx: Any) -> list[tuple[str, Any]]:
    """The pairs with each array's rows taken in the order `idx` (a shuffle).

    >>> _getdata_by_idx([('x', mx.nd.arange(3))], [2, 0, 1])  # doctest: +SKIP
    [('x', <NDArray 3 @cpu(0)>)]
    """
    rows = np.asarray(idx)
    return [(k, _io._csr_rows(v, rows) if isinstance(v, nd.sparse.CSRNDArray)
             else nd.array(v.asnumpy()[rows], v.context, dtype=v.dtype)) for k, v in data]
