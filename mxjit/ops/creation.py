"""Arrays made from parameters: filled in the shape of another (zeros_like, ones_like,
full_like) and MXNet's creation operators (`_zeros`, `_ones`, `_full`, `_arange`,
`_linspace`, `_eye`) that `mx.sym.zeros` and its kin are nodes of. Traced, a filled array
is one broadcast scalar (no constant of the full size).

    >>> mx.nd.zeros_like(mx.nd.ones((2, 3)))  # doctest: +SKIP
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..base import ArgumentError, ParamError, UnsupportedError
from ..context import Context, check_context
from ..core import Array, current_trace, default_array_class
from ..core.operators import register_operator
from ..trace import apply, canonical_dtype, const
from .operands import int_param


def full_like(data: Array, fill_value: Any, dtype: Any = None) -> Array:
    """`fill_value` everywhere, with the shape (and dtype) of `data`.

    >>> mx.nd.full_like(mx.nd.zeros((2, 3)), 7)  # doctest: +SKIP
    """
    d = canonical_dtype(dtype) if dtype is not None else data._dtype
    cls = data._result_class
    if data._node is not None:
        node = apply("broadcast_to", const(np.array(fill_value, dtype=d)), shape=data.shape)
        return cls._traced(node)  # type: ignore[no-any-return]
    return cls._wrap(np.full(data.shape, fill_value, dtype=d), data._ctx)  # type: ignore


@register_operator("zeros_like")
def zeros_like(data: Array, dtype: Any = None) -> Array:
    """Zeros with the shape (and dtype) of `data`.

    >>> mx.nd.zeros_like(mx.nd.ones((2, 3)))  # doctest: +SKIP
    """
    return full_like(data, 0, dtype)


@register_operator("ones_like")
def ones_like(data: Array, dtype: Any = None) -> Array:
    """Ones with the shape (and dtype) of `data`.

    >>> mx.nd.ones_like(mx.nd.zeros((2, 3)))  # doctest: +SKIP
    """
    return full_like(data, 1, dtype)


# ---- MXNet's creation operators (`_zeros`, `_arange`, ...): what `mx.sym.zeros` and its
# kin make nodes of. Inside a running or inferred symbol they are constants of the trace.


def _created(values: np.ndarray, ctx: Any) -> Array:
    """`values` as an array: a constant of the trace in progress, else an eager array (on
    `ctx` when it is a Context: MXNet's `ctx` only places imperative results)."""
    cls = default_array_class()
    if current_trace() is not None:
        return cls._traced(const(values))  # type: ignore[no-any-return]
    place = check_context(ctx) if isinstance(ctx, Context) else None
    return cls._wrap(values, place)  # type: ignore[no-any-return]


def _filled(what: str, shape: Sequence[int], value: Any, ctx: Any, dtype: Any) -> Array:
    dims = tuple(int_param(what, "each shape entry", d) for d in shape)
    if any(d < 0 for d in dims):
        raise ParamError(f"{what}: negative dimension in shape {dims}")
    d = canonical_dtype(dtype)
    if current_trace() is None:
        return _created(np.full(dims, value, dtype=d), ctx)
    # (one broadcast scalar: no constant of the full size in the program)
    scalar = const(np.array(value, dtype=d))
    node = apply("broadcast_to", scalar, shape=dims) if dims else scalar
    return default_array_class()._traced(node)  # type: ignore[no-any-return]


@register_operator("_zeros", inputs=())
def zeros(*, shape: tuple[int, ...] = (), ctx: str = "", dtype: Any = "float32") -> Array:
    """Zeros of `shape` (MXNet's `_zeros`, the node of `mx.sym.zeros`).

    >>> mx.sym.zeros((2, 3)).eval()[0].shape  # doctest: +SKIP
    (2, 3)
    """
    return _filled("zeros", shape, 0, ctx, dtype)


@register_operator("_ones", inputs=())
def ones(*, shape: tuple[int, ...] = (), ctx: str = "", dtype: Any = "float32") -> Array:
    """Ones of `shape` (MXNet's `_ones`).

    >>> mx.sym.ones((2,), dtype='int32').eval()[0].asnumpy()  # doctest: +SKIP
    array([1, 1], dtype=int32)
    """
    return _filled("ones", shape, 1, ctx, dtype)


@register_operator("_full", inputs=())
def full(*, shape: tuple[int, ...] = (), ctx: str = "", dtype: Any = "float32",
         value: float) -> Array:
    """`value` everywhere in `shape` (MXNet's `_full`).

    >>> mx.sym.full((2,), 7).eval()[0].asnumpy()  # doctest: +SKIP
    array([7., 7.], dtype=float32)
    """
    return _filled("full", shape, value, ctx, dtype)


def arange_values(start: float, stop: float | None, step: float, repeat: int,
                  dtype: Any) -> np.ndarray:
    """MXNet's range: [start, stop) by `step` (in [0, start) without `stop`), each value
    `repeat` times: the count from float64, the values computed in `dtype` from `start` and
    `step` cast to it, as MXNet's kernel does (so an integer range of step 1.3 counts by
    1, and a uint8 range of step -2 wraps as C does)."""
    if stop is None:
        start, stop = 0, start
    for what, v in (("start", start), ("stop", stop), ("step", step)):
        if isinstance(v, bool) or not isinstance(v, (int, float, np.number)):
            raise ArgumentError(f"arange: {what} must be a number, got {type(v).__name__}")
    if step == 0 or not math.isfinite(step):
        raise ParamError(f"arange: step must be a finite non-zero number, got {step}")
    if not (math.isfinite(start) and math.isfinite(stop)):
        raise ParamError(f"arange: start and stop must be finite, got {start} and {stop}")
    repeat = int_param("arange", "repeat", repeat)
    if repeat < 1:
        raise ParamError(f"arange: repeat must be at least 1, got {repeat}")
    dtype = canonical_dtype(dtype)
    count = len(np.arange(start, stop, step, dtype=np.float64))
    if dtype.kind in "iub":  # (C's cast truncates toward zero; the sums wrap in int64)
        values = (int(start) + np.arange(count, dtype=np.int64) * int(step)).astype(dtype)
    else:
        values = np.arange(start, stop, step, dtype=np.float64).astype(dtype)
    return np.repeat(values, repeat)


@register_operator("_arange", inputs=())
def arange(*, start: float, stop: float | None = None, step: float = 1.0,
           repeat: int = 1, infer_range: bool = False, ctx: str = "",
           dtype: Any = "float32") -> Array:
    """Evenly spaced values (MXNet's `_arange`; see `arange_values`).

    >>> mx.sym.arange(0, 6, 2).eval()[0].asnumpy()  # doctest: +SKIP
    array([0., 2., 4.], dtype=float32)
    """
    if infer_range:
        raise UnsupportedError("arange: infer_range=True (a length taken from the consumer's "
                               "shape, deprecated in MXNet) is not supported; give stop")
    return _created(arange_values(start, stop, step, repeat, dtype), ctx)


@register_operator("_linspace", inputs=())
def linspace(*, start: float, stop: float, num: int, endpoint: bool = True, ctx: str = "",
             dtype: Any = "float32") -> Array:
    """`num` evenly spaced values from start to stop (MXNet's `_linspace`).

    >>> mx.sym.linspace(0, 1, 5).eval()[0].asnumpy()  # doctest: +SKIP
    array([0.  , 0.25, 0.5 , 0.75, 1.  ], dtype=float32)
    """
    num = int_param("linspace", "num", num)
    if num < 0:
        raise ParamError(f"linspace: num must be non-negative, got {num}")
    values = np.linspace(start, stop, num, endpoint=endpoint)
    return _created(values.astype(canonical_dtype(dtype)), ctx)


@register_operator("_eye", inputs=())
def eye(*, N: int, M: int = 0, k: int = 0, ctx: str = "",
        dtype: Any = "float32") -> Array:
    """A 2-D array with ones on the k-th diagonal, N x M (M=0: square; MXNet's `_eye`).

    >>> mx.sym.eye(2, 3, k=1).eval()[0].asnumpy()  # doctest: +SKIP
    array([[0., 1., 0.], [0., 0., 1.]], dtype=float32)
    """
    n, m, k = (int_param("eye", what, v) for what, v in (("N", N), ("M", M), ("k", k)))
    if n < 0 or m < 0:
        raise ParamError(f"eye: N and M must be non-negative, got N={n}, M={m}")
    return _created(np.eye(n, m or None, k, dtype=canonical_dtype(dtype)), ctx)
