"""Gathering and scattering along an axis: `take` (fused into kernels as an index map), its
adjoint `scatter_add` (a library call), and `check_index`, which raises when an index read at
run time is out of range (how a traced gather keeps MXNet's IndexError)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..base import DTypeError, MXNetIndexError, ParamError, ShapeError
from .dtypes import is_int
from .graph import AbstractValue, Node
from .primitives import apply, define_primitive


def _take_rule(x: AbstractValue, i: AbstractValue, *, axis: int, mode: str) -> AbstractValue:
    if not is_int(i.dtype):
        raise DTypeError(f"take: indices must be integers, got {i.dtype}")
    if not 0 <= axis < x.ndim:
        raise ShapeError(f"take: axis {axis} out of range for {x.shape}")
    if mode not in ("clip", "wrap"):
        raise ParamError(f"take: mode must be 'clip' or 'wrap', got {mode!r}")
    if x.shape[axis] == 0 and i.size:
        raise ShapeError(f"take: cannot index the empty axis {axis} of {x.shape}")
    return AbstractValue(x.shape[:axis] + i.shape + x.shape[axis + 1:], x.dtype)


def _take_impl(x: np.ndarray, i: np.ndarray, *, axis: int, mode: str) -> np.ndarray:
    idx = i.astype(np.int64)
    if mode == "wrap" and x.shape[axis]:  # NumPy's wrap adds n until >= 0: hangs at INT64_MIN
        idx, mode = np.mod(idx, x.shape[axis]), "clip"
    return np.take(x, idx, axis=axis, mode=mode)  # type: ignore[call-overload]


def _take_vjp(n: Node, g: Node) -> Sequence[Node | None]:
    x, idx = n.inputs
    return apply("scatter_add", g, idx, axis=n.attr("axis"), mode=n.attr("mode"),
                 size=x.shape[n.attr("axis")]), None


define_primitive("take", "index", _take_rule, _take_impl, vjp=_take_vjp)


def _scatter_rule(g: AbstractValue, i: AbstractValue, *, axis: int, mode: str, size: int
                  ) -> AbstractValue:
    if not is_int(i.dtype):
        raise DTypeError(f"scatter_add: indices must be integers, got {i.dtype}")
    k = i.ndim
    if g.shape[axis:axis + k] != i.shape:
        raise ShapeError(f"scatter_add: updates {g.shape} do not match indices {i.shape} "
                         f"at axis {axis}")
    return AbstractValue(g.shape[:axis] + (size,) + g.shape[axis + k:], g.dtype)


def scatter_add_numpy(g: np.ndarray, i: np.ndarray, *, axis: int, mode: str, size: int
                      ) -> np.ndarray:
    """Add the slices of `g` into a zero array at positions `i` along `axis` (take's adjoint).

    >>> scatter_add_numpy(np.ones(3), np.array([0, 0, 2]), axis=0, mode='clip', size=3)
    array([2., 0., 1.])
    """
    idx = i.astype(np.int64)
    idx = np.mod(idx, size) if mode == "wrap" else np.clip(idx, 0, size - 1)
    k = idx.ndim
    out = np.zeros(g.shape[:axis] + (size,) + g.shape[axis + k:], g.dtype)
    moved = np.moveaxis(out, axis, 0)
    updates = np.moveaxis(g.reshape(g.shape[:axis] + (idx.size,) + g.shape[axis + k:]), axis, 0)
    np.add.at(moved, idx.reshape(-1), updates)
    return out


def _scatter_vjp(n: Node, g: Node) -> Sequence[Node | None]:
    _, idx = n.inputs
    return apply("take", g, idx, axis=n.attr("axis"), mode=n.attr("mode")), None


define_primitive("scatter_add", "opaque", _scatter_rule, scatter_add_numpy, vjp=_scatter_vjp)


def index_error(what: str, values: np.ndarray, low: int, high: int) -> MXNetIndexError | None:
    """The error for the first of `values` outside [low, high] (NaN is outside), or None;
    `high` is the axis size less one (`low` is 0, or minus the size where negative indices
    count from the end).

    >>> index_error("take", np.array([0, 5]), 0, 2)
    MXNetIndexError('take: index 5 is out of bounds for an axis of size 3 (valid: 0 <= index <= 2)')
    """
    with np.errstate(invalid="ignore"):
        bad = ~((values >= low) & (values <= high))
    if not bad.any():
        return None
    first = values[bad].reshape(-1)[0]
    text = str(int(first)) if first.dtype.kind != "f" or float(first).is_integer() else str(first)
    return MXNetIndexError(f"{what}: index {text} is out of bounds for an axis of size {high + 1} "
                           f"(valid: {low} <= index <= {high})")


def _check_rule(i: AbstractValue, *, low: int, high: int, what: str) -> AbstractValue:
    if i.dtype.kind not in "iuf":
        raise DTypeError(f"check_index: indices must be numbers, got {i.dtype}")
    return AbstractValue(i.shape, i.dtype)


def check_index_numpy(i: np.ndarray, *, low: int, high: int, what: str) -> np.ndarray:
    """`i` itself when every value is in [low, high]; else raise `MXNetIndexError` (the check
    a traced gather runs before its kernel, as a library step).

    >>> check_index_numpy(np.array([2, -3]), low=-3, high=2, what="index")
    array([ 2, -3])
    """
    error = index_error(what, i, low, high)
    if error is not None:
        raise error
    return i


define_primitive("check_index", "opaque", _check_rule, check_index_numpy, differentiable=False)
