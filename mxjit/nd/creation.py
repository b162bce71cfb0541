"""Creating NDArrays: from data, filled, ranges."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..base import ArgumentError, ParamError, ShapeError
from ..context import Context, check_context, current_context
from ..ops.creation import arange_values
from ..ops.operands import NON_NUMBERS, int_param
from ..trace import canonical_dtype
from .ndarray import NDArray
from .sparse_storage import BaseSparseNDArray
from .sparse_storage import array as sparse_array
from .sparse_storage import zeros as sparse_zeros


def _ctx(ctx: Context | None) -> Context:
    return check_context(ctx or current_context())


def array(source_array: Any, ctx: Context | None = None, dtype: Any = None) -> NDArray:
    """An NDArray copied from `source_array` (float32 unless `dtype` says otherwise,
    or the source is an NDArray, whose dtype is kept).

    >>> mx.nd.array([[1, 2], [3, 4]])  # doctest: +SKIP
    """
    if isinstance(source_array, BaseSparseNDArray) or (
            hasattr(source_array, "tocsr") and hasattr(source_array, "indptr")):
        return sparse_array(source_array, ctx, dtype)  # (MXNet keeps a sparse source sparse)
    if isinstance(source_array, NDArray):
        src = source_array._buffer()
        d = canonical_dtype(dtype) if dtype is not None else src.dtype
    else:
        src = np.asarray(source_array)
        d = canonical_dtype(dtype)
    if src.dtype.kind not in "biuf":
        raise ArgumentError("array: the source must hold numbers, not "
                            f"{NON_NUMBERS.get(src.dtype.kind, src.dtype.name)}")
    return NDArray._wrap(np.array(src, dtype=d, copy=True), _ctx(ctx))


def _filled(shape: Any, value: Any, ctx: Context | None, dtype: Any) -> NDArray:
    raw = [shape] if isinstance(shape, (int, np.integer, NDArray)) else shape
    shape = tuple(int_param("array creation", "each shape entry", d) for d in raw)
    if any(d < 0 for d in shape):
        raise ParamError(f"negative dimension in shape {shape}")
    return NDArray._wrap(np.full(shape, value, dtype=canonical_dtype(dtype)), _ctx(ctx))


def zeros(shape: Any, ctx: Context | None = None, dtype: Any = None, stype: str | None = None,
          out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """An array of zeros; `stype='csr'` or `'row_sparse'` gives a sparse one. With `out`,
    written into that array (of the same shape), which is returned.

    >>> mx.nd.zeros((2, 3))  # doctest: +SKIP
    """
    if stype not in (None, "default"):
        return sparse_zeros(stype, shape, ctx, dtype)
    return _into(out, _filled(shape, 0, ctx, dtype), "zeros")


def ones(shape: Any, ctx: Context | None = None, dtype: Any = None, out: NDArray | None = None,
         **kwargs: Any) -> NDArray:
    """An array of ones (written into `out` when given, as `zeros`).

    >>> mx.nd.ones((2,))  # doctest: +SKIP
    """
    return _into(out, _filled(shape, 1, ctx, dtype), "ones")


def full(shape: Any, val: Any, ctx: Context | None = None, dtype: Any = None,
         out: NDArray | None = None) -> NDArray:
    """An array filled with `val` (written into `out` when given, as `zeros`).

    >>> mx.nd.full((2,), 7)  # doctest: +SKIP
    """
    if not isinstance(val, (int, float, np.number, np.bool_)):
        raise ArgumentError(f"full: val must be a number, got {type(val).__name__}")
    return _into(out, _filled(shape, val, ctx, dtype), "full")


def _into(out: NDArray | None, result: NDArray, function: str) -> NDArray:
    """`result`, or `out` with `result` written into it (MXNet's `out=`)."""
    if out is None:
        return result
    if not isinstance(out, NDArray):
        raise ArgumentError(f"{function}: out must be an NDArray, got {type(out).__name__}")
    if tuple(out.shape) != tuple(result.shape):
        raise ShapeError(f"{function}: out has shape {tuple(out.shape)}, the result "
                         f"{tuple(result.shape)}")
    out[:] = result
    return out


def empty(shape: Any, ctx: Context | None = None, dtype: Any = None, stype: str | None = None
          ) -> NDArray:
    """An uninitialised array (zeros here: reading it must never leak old memory)."""
    return zeros(shape, ctx, dtype, stype)


def arange(start: float, stop: float | None = None, step: float = 1.0, repeat: int = 1,
           ctx: Context | None = None, dtype: Any = None) -> NDArray:
    """Evenly spaced values in [start, stop) (in [0, start) without `stop`), each repeated
    `repeat` times.

    >>> mx.nd.arange(0, 6, 2, repeat=2)  # doctest: +SKIP
    [0. 0. 2. 2. 4. 4.]
    """
    return NDArray._wrap(arange_values(start, stop, step, repeat, dtype), _ctx(ctx))


def linspace(start: float, stop: float, num: int, endpoint: bool = True,
             ctx: Context | None = None, dtype: Any = None) -> NDArray:
    """`num` evenly spaced values from start to stop (stop included by default).

    >>> mx.nd.linspace(0, 1, 5)  # doctest: +SKIP
    """
    num = int_param("linspace", "num", num)
    if num < 0:
        raise ParamError(f"linspace: num must be non-negative, got {num}")
    values = np.linspace(start, stop, num, endpoint=endpoint)
    return NDArray._wrap(values.astype(canonical_dtype(dtype)), _ctx(ctx))


def eye(N: int, M: int = 0, k: int = 0, ctx: Context | None = None, dtype: Any = None
        ) -> NDArray:
    """A 2-D array with ones on the k-th diagonal (M=0 means square).

    >>> mx.nd.eye(2, 3, k=1)  # doctest: +SKIP
    """
    n, m, k = (int_param("eye", what, v) for what, v in (("N", N), ("M", M), ("k", k)))
    if n < 0 or m < 0:
        raise ParamError(f"eye: N and M must be non-negative, got N={n}, M={m}")
    return NDArray._wrap(np.eye(n, m or None, k, dtype=canonical_dtype(dtype)), _ctx(ctx))
