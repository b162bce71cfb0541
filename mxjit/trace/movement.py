"""Movement primitives: reshape, broadcast_to, transpose, slice, flip, pad and concat.

They move elements without arithmetic; inside kernels they become index maps
(`lower/emit.py`), so they never copy. `broadcast_to` is the only primitive that
broadcasts, so un-broadcasting a cotangent happens in one place: its gradient rule.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..base import ShapeError
from .graph import AbstractValue, Node, const
from .primitives import apply, define_primitive
from .reductions import check_axes


def _reshape_rule(x: AbstractValue, *, shape: tuple[int, ...]) -> AbstractValue:
    if int(math.prod(shape)) != x.size or any(d < 0 for d in shape):
        raise ShapeError(f"reshape: cannot reshape {x.shape} (size {x.size}) into {shape}")
    return AbstractValue(tuple(shape), x.dtype)


def _reshape_simplify(x: Node, aval: AbstractValue, *, shape: tuple) -> Node | None:
    if x.shape == aval.shape:
        return x
    if x.op == "reshape":
        return apply("reshape", x.inputs[0], shape=shape)
    return None


define_primitive("reshape", "movement", _reshape_rule, lambda x, *, shape: x.reshape(shape),
                 vjp=lambda n, g: (apply("reshape", g, shape=n.inputs[0].shape),),
                 simplify=_reshape_simplify, view=True, foldable=False)


def _broadcast_rule(x: AbstractValue, *, shape: tuple[int, ...]) -> AbstractValue:
    lead = len(shape) - x.ndim
    if lead < 0 or any(d not in (1, s) for d, s in zip(x.shape, shape[lead:])):
        raise ShapeError(f"broadcast_to: cannot broadcast {x.shape} to {shape}")
    return AbstractValue(tuple(shape), x.dtype)


def _unbroadcast(n: Node, g: Node) -> Sequence[Node | None]:
    """Sum the cotangent over the axes `broadcast_to` created or stretched."""
    x = n.inputs[0]
    lead = len(n.shape) - len(x.shape)
    axes = tuple(range(lead)) + tuple(
        lead + k for k, d in enumerate(x.shape) if d == 1 and n.shape[lead + k] != 1)
    summed = apply("reduce_sum", g, axes=axes) if axes else g
    return (apply("reshape", summed, shape=x.shape),)


def _broadcast_simplify(x: Node, aval: AbstractValue, *, shape: tuple) -> Node | None:
    if x.shape == aval.shape:
        return x
    if x.op == "broadcast_to":
        return apply("broadcast_to", x.inputs[0], shape=shape)
    return None


# (not folded: a broadcast scalar stays a scalar, which kernels inline)
define_primitive("broadcast_to", "movement", _broadcast_rule,
                 lambda x, *, shape: np.broadcast_to(x, shape).copy(), vjp=_unbroadcast,
                 simplify=_broadcast_simplify, view=True, foldable=False)


def _transpose_rule(x: AbstractValue, *, perm: tuple[int, ...]) -> AbstractValue:
    if sorted(perm) != list(range(x.ndim)):
        raise ShapeError(f"transpose: axes {perm} are not a permutation of {x.ndim} axes")
    return AbstractValue(tuple(x.shape[p] for p in perm), x.dtype)


def _transpose_vjp(n: Node, g: Node) -> Sequence[Node | None]:
    inverse = tuple(int(i) for i in np.argsort(n.attr("perm")))
    return (apply("transpose", g, perm=inverse),)


def _transpose_simplify(x: Node, aval: AbstractValue, *, perm: tuple) -> Node | None:
    if tuple(perm) == tuple(range(len(perm))):
        return x
    if x.op == "transpose":
        inner = x.attr("perm")
        return apply("transpose", x.inputs[0], perm=tuple(inner[p] for p in perm))
    return None


define_primitive("transpose", "movement", _transpose_rule,
                 lambda x, *, perm: np.transpose(x, perm), vjp=_transpose_vjp,
                 simplify=_transpose_simplify, view=True)


def _slice_rule(x: AbstractValue, *, start: tuple, stop: tuple, step: tuple) -> AbstractValue:
    if not len(start) == len(stop) == len(step) == x.ndim:
        raise ShapeError(f"slice: need one (start, stop, step) per axis of {x.shape}")
    return AbstractValue(tuple(len(range(*sl)) for sl in zip(start, stop, step)), x.dtype)


def _slice_impl(x: np.ndarray, *, start: tuple, stop: tuple, step: tuple) -> np.ndarray:
    # (start, stop, step) as slice.indices gives them; an empty range may start at -1,
    # which NumPy would read as the last element
    return x[tuple(slice(b, None if (e < 0 and s < 0) else e, s) if len(range(b, e, s))
                   else slice(0, 0) for b, e, s in zip(start, stop, step))]


def _slice_vjp(n: Node, g: Node) -> Sequence[Node | None]:
    """Scatter the cotangent back: flip negative steps, spread steps, pad to the input."""
    x = n.inputs[0]
    starts, steps = n.attr("start"), n.attr("step")
    flip_axes = tuple(k for k, s in enumerate(steps) if s < 0)
    if flip_axes:
        g = apply("flip", g, axes=flip_axes)
    low, high = [], []
    for k, (b, s, d) in enumerate(zip(starts, steps, x.shape)):
        count = g.shape[k]
        step = abs(s)
        first = b if s > 0 else b + s * (count - 1)  # lowest index touched
        if step > 1 and count > 0:
            g = _spread(g, k, step)
        span = g.shape[k]
        low.append(first if count else 0)
        high.append(d - span - (first if count else 0))
    pad_value = const(np.asarray(0, g.dtype))
    return (apply("pad", g, pad_value, low=tuple(low), high=tuple(high)),)


def _spread(g: Node, axis: int, step: int) -> Node:
    """Insert step-1 zeros after each element along `axis` (then drop the trailing ones)."""
    shape = g.shape
    expanded = apply("reshape", g, shape=shape[:axis + 1] + (1,) + shape[axis + 1:])
    zero = const(np.asarray(0, g.dtype))
    low = (0,) * (len(shape) + 1)
    high = tuple(step - 1 if k == axis + 1 else 0 for k in range(len(shape) + 1))
    padded = apply("pad", expanded, zero, low=low, high=high)
    merged = shape[:axis] + (shape[axis] * step,) + shape[axis + 1:]
    flat = apply("reshape", padded, shape=merged)
    keep = (shape[axis] - 1) * step + 1
    stops = tuple(keep if k == axis else d for k, d in enumerate(merged))
    return apply("slice", flat, start=(0,) * len(merged), stop=stops, step=(1,) * len(merged))


def _slice_simplify(x: Node, aval: AbstractValue, *, start: tuple, stop: tuple, step: tuple
                    ) -> Node | None:
    full = all(b == 0 and s == 1 and e >= d for b, e, s, d in zip(start, stop, step, x.shape))
    return x if full else None


define_primitive("slice", "movement", _slice_rule, _slice_impl, vjp=_slice_vjp,
                 simplify=_slice_simplify, view=True)


def _flip_rule(x: AbstractValue, *, axes: tuple[int, ...]) -> AbstractValue:
    check_axes("flip", x.shape, axes)
    return x


def _flip_simplify(x: Node, aval: AbstractValue, *, axes: tuple) -> Node | None:
    if not axes or all(x.shape[a] <= 1 for a in axes):
        return x
    if x.op == "flip" and sorted(x.attr("axes")) == sorted(axes):
        return x.inputs[0]
    return None


define_primitive("flip", "movement", _flip_rule, lambda x, *, axes: np.flip(x, axes),
                 vjp=lambda n, g: (apply("flip", g, axes=n.attr("axes")),),
                 simplify=_flip_simplify, view=True)


def _pad_rule(x: AbstractValue, v: AbstractValue, *, low: tuple, high: tuple) -> AbstractValue:
    if len(low) != x.ndim or len(high) != x.ndim or min(low + high, default=0) < 0:
        raise ShapeError(f"pad: need non-negative (low, high) per axis of {x.shape}")
    if v.shape != () or v.dtype != x.dtype:
        raise ShapeError("pad: the padding value must be a scalar of the operand's dtype")
    return AbstractValue(tuple(d + lo + hi for d, lo, hi in zip(x.shape, low, high)), x.dtype)


def _pad_impl(x: np.ndarray, v: np.ndarray, *, low: tuple, high: tuple) -> np.ndarray:
    if x.ndim == 0:  # np.pad rejects an empty pad_width
        return x.copy()
    return np.pad(x, list(zip(low, high)), constant_values=v)


def _pad_vjp(n: Node, g: Node) -> Sequence[Node | None]:
    x = n.inputs[0]
    low = n.attr("low")
    inner = apply("slice", g, start=tuple(low),
                  stop=tuple(lo + d for lo, d in zip(low, x.shape)), step=(1,) * x.ndim)
    all_axes = tuple(range(g.ndim))
    g_value = apply("sub", apply("reduce_sum", g, axes=all_axes),
                    apply("reduce_sum", inner, axes=all_axes))
    return inner, g_value


def _pad_simplify(x: Node, v: Node, aval: AbstractValue, *, low: tuple, high: tuple
                  ) -> Node | None:
    if x.aval.size == 0 and aval.size:  # padding an empty array: all padding
        return apply("broadcast_to", v, shape=aval.shape)
    return None


define_primitive("pad", "movement", _pad_rule, _pad_impl, vjp=_pad_vjp, simplify=_pad_simplify)


def _concat_rule(*xs: AbstractValue, axis: int) -> AbstractValue:
    first = xs[0]
    for x in xs:
        if x.ndim != first.ndim or x.dtype != first.dtype or any(
            a != b for k, (a, b) in enumerate(zip(x.shape, first.shape)) if k != axis
        ):
            raise ShapeError(f"concat: operands {[x.shape for x in xs]} differ off axis {axis}")
    if not 0 <= axis < first.ndim:
        raise ShapeError(f"concat: axis {axis} out of range for {first.shape}")
    shape = list(first.shape)
    shape[axis] = sum(x.shape[axis] for x in xs)
    return AbstractValue(tuple(shape), first.dtype)


def _concat_vjp(n: Node, g: Node) -> Sequence[Node | None]:
    axis, out, start = n.attr("axis"), [], 0
    for x in n.inputs:
        stop = start + x.shape[axis]
        starts = tuple(start if k == axis else 0 for k in range(g.ndim))
        stops = tuple(stop if k == axis else d for k, d in enumerate(g.shape))
        out.append(apply("slice", g, start=starts, stop=stops, step=(1,) * g.ndim))
        start = stop
    return out


#: The most operands one concat node joins: a wider one becomes a concat of concats, as a
#: kernel takes its buffers as native call arguments (ctypes allows at most 1,024).
MAX_CONCAT_OPERANDS = 128


def _split_wide_concat(*args: Any, axis: int) -> Node | None:
    xs = args[:-1]  # (the last is the result's abstract value)
    if len(xs) <= MAX_CONCAT_OPERANDS:
        return None
    parts = [xs[k:k + MAX_CONCAT_OPERANDS] for k in range(0, len(xs), MAX_CONCAT_OPERANDS)]
    return apply("concat", *(apply("concat", *p, axis=axis) if len(p) > 1 else p[0]
                             for p in parts), axis=axis)


define_primitive("concat", "movement", _concat_rule,
                 lambda *xs, axis: np.concatenate(xs, axis), vjp=_concat_vjp,
                 simplify=_split_wide_concat)
