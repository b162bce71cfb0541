"""Reductions: sum, max, min and prod over any axes, and argmax/argmin along one axis."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..base import DTypeError, ShapeError
from .graph import AbstractValue, Node
from .primitives import apply, define_primitive, ones_like, zeros_like
from .simplify import fill
from .windows import summed_spread


def check_axes(name: str, shape: tuple[int, ...], axes: tuple[int, ...]) -> None:
    """Distinct axes within the rank of `shape`, or a ShapeError naming `name`."""
    if len(set(axes)) != len(axes) or any(not 0 <= a < len(shape) for a in axes):
        raise ShapeError(f"{name}: invalid axes {axes} for shape {shape}")


def _reduce_rule(name: str) -> Callable[..., AbstractValue]:
    def rule(x: AbstractValue, *, axes: tuple[int, ...]) -> AbstractValue:
        check_axes(name, x.shape, axes)
        if x.dtype.kind == "b":
            raise DTypeError(f"{name}: cast bool operands first")
        if name in ("reduce_max", "reduce_min") and any(x.shape[a] == 0 for a in axes):
            raise ShapeError(f"{name}: zero-size reduction over axes {axes} of {x.shape}")
        kept = tuple(d for k, d in enumerate(x.shape) if k not in axes)
        return AbstractValue(kept, x.dtype)

    return rule


def _reduce_impl(f: Any) -> Callable[..., np.ndarray]:
    def impl(x: np.ndarray, *, axes: tuple[int, ...]) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.asarray(f(x, axis=tuple(axes))).astype(x.dtype)

    return impl


def _ieee_extremum_impl(f: Any, larger: bool) -> Callable[..., np.ndarray]:
    """np.max/np.min with IEEE 754-2019's order of zeros (-0 < +0), as the kernels reduce
    with llvm.maximum/minimum; NumPy keeps whichever zero its traversal meets first."""
    plain = _reduce_impl(f)

    def impl(x: np.ndarray, *, axes: tuple[int, ...]) -> np.ndarray:
        out = plain(x, axes=axes)
        if x.dtype.kind != "f" or not out.size:
            return out
        # the zero that wins: +0 for max when any +0 is there, -0 for min when any -0 is
        winner = (x == 0) & (np.signbit(x) != larger)
        present = np.any(winner, axis=tuple(axes))
        zero = x.dtype.type(0.0 if larger else -0.0)
        return np.asarray(np.where((out == 0) & present, zero, out)).astype(x.dtype)

    return impl


def keep_reduced(g: Node, x: Node, axes: Sequence[int]) -> Node:
    """A reduction's result (or cotangent) broadcast back over the reduced axes of `x`."""
    shape = tuple(1 if k in axes else d for k, d in enumerate(x.shape))
    return apply("broadcast_to", apply("reshape", g, shape=shape), shape=x.shape)


def _sum_vjp(n: Node, g: Node) -> Sequence[Node | None]:
    return (keep_reduced(g, n.inputs[0], n.attr("axes")),)


def _extremum_vjp(n: Node, g: Node) -> Sequence[Node | None]:
    """g where x equals the max (min): every tied element gets all of it, as in MXNet's
    _backward_max (ograd * (data == out))."""
    x, axes = n.inputs[0], n.attr("axes")
    hit = apply("cast", apply("eq", x, keep_reduced(n, x, axes)), dtype=x.dtype)
    return (apply("mul", keep_reduced(g, x, axes), hit),)


def _prod_vjp(n: Node, g: Node) -> Sequence[Node | None]:
    """g times the product of the other elements: prod / x, or, at a zero, the product of
    the non-zeros when it is the only zero (0 when there are more)."""
    x, axes = n.inputs[0], n.attr("axes")
    zero = apply("eq", x, zeros_like(x))
    safe = apply("where", zero, ones_like(x), x)
    zeros = keep_reduced(apply("reduce_sum", apply("cast", zero, dtype=x.dtype), axes=axes),
                         x, axes)
    only_zero = keep_reduced(apply("reduce_prod", safe, axes=axes), x, axes)
    at_zero = apply("where", apply("eq", zeros, ones_like(x)), only_zero, zeros_like(x))
    others = apply("where", zero, at_zero, apply("div", keep_reduced(n, x, axes), safe))
    return (apply("mul", keep_reduced(g, x, axes), others),)


def _empty_reduction(identity: float) -> Callable[..., Node | None]:
    """A sum or product over no elements is its identity (kernels need a non-empty domain)."""
    def rule(x: Node, aval: AbstractValue, *, axes: tuple) -> Node | None:
        return fill(identity, aval) if x.aval.size == 0 and aval.size else None

    return rule


def _sum_simplify(x: Node, aval: AbstractValue, *, axes: tuple) -> Node | None:
    """An empty sum is 0; a sum over the taps of windows that tile the data is a layout
    change (`windows.summed_spread`)."""
    return _empty_reduction(0)(x, aval, axes=axes) or summed_spread(x, axes)


define_primitive("reduce_sum", "reduce", _reduce_rule("reduce_sum"), _reduce_impl(np.sum),
                 vjp=_sum_vjp, simplify=_sum_simplify)
define_primitive("reduce_prod", "reduce", _reduce_rule("reduce_prod"), _reduce_impl(np.prod),
                 vjp=_prod_vjp, simplify=_empty_reduction(1))
define_primitive("reduce_max", "reduce", _reduce_rule("reduce_max"),
                 _ieee_extremum_impl(np.max, larger=True),
                 vjp=_extremum_vjp)
define_primitive("reduce_min", "reduce", _reduce_rule("reduce_min"),
                 _ieee_extremum_impl(np.min, larger=False),
                 vjp=_extremum_vjp)


def _arg_rule(name: str) -> Callable[..., AbstractValue]:
    def rule(x: AbstractValue, *, axis: int) -> AbstractValue:
        check_axes(name, x.shape, (axis,))
        if x.shape[axis] == 0:
            raise ShapeError(f"{name}: zero-size axis {axis} of {x.shape}")
        kept = tuple(d for k, d in enumerate(x.shape) if k != axis)
        return AbstractValue(kept, np.dtype(np.int64))

    return rule


define_primitive("argmax", "reduce", _arg_rule("argmax"),
                 lambda x, *, axis: np.asarray(np.argmax(x, axis=axis)), differentiable=False)
define_primitive("argmin", "reduce", _arg_rule("argmin"),
                 lambda x, *, axis: np.asarray(np.argmin(x, axis=axis)), differentiable=False)
