"""Gluon parameters of still-unknown shape (`PendingInput`) met by `mx.np` functions while
a block is probed for its parameter shapes: MXNet infers them from the other operand
(`x.dot(w)` with `w` of shape (0, 100) takes its first size from `x`'s last).

Elementwise functions fill each unknown size from the other operand's size on the same
axis (counted from the right); `dot` and `matmul` fill the contracted size.

    >>> resolve(pending_w, 'dot', 1, x)  # doctest: +SKIP
"""
from __future__ import annotations

from typing import Any

from ..base import DeferredInitializationError
from ..core import Array
from ..core.operators import PendingInput

CONTRACTIONS = frozenset({"dot", "matmul"})


def _contracted_axis(position: int, ndim: int) -> int:
    """The axis of operand `position` that `function` contracts (NumPy's dot and matmul)."""
    return -1 if position == 0 or ndim == 1 else -2


def _filled(function: str, pending: PendingInput, position: int, other: Array
            ) -> tuple[int, ...] | None:
    known = pending.known_shape()
    if function in CONTRACTIONS:
        if known is None:
            return None
        other_axis = _contracted_axis(1 - position, other.ndim)
        shape = list(known)
        shape[_contracted_axis(position, len(shape))] = other.shape[other_axis]
        return tuple(shape)
    if known is None:
        return tuple(other.shape)
    shape = list(known)
    for i in range(1, min(len(shape), other.ndim) + 1):
        if shape[-i] == 0 and other.shape[-i] != 1:
            shape[-i] = other.shape[-i]
    return tuple(shape)


def resolve(pending: PendingInput, function: str, position: int, other: Array | None) -> Any:
    """The array for `pending`, operand `position` of a binary `function` whose other
    operand is `other`.

    >>> resolve(pending_w, 'add', 1, x)  # doctest: +SKIP
    """
    shape = _filled(function, pending, position, other) if other is not None else None
    if shape is None or 0 in shape:
        raise DeferredInitializationError(
            f"{function} cannot infer the shape of {pending.describe()} from its other "
            f"operand; give the parameter's full shape, or define infer_shape(self, x, "
            f"*args) on the block to set it")
    return pending.resolve(shape)


def resolved_operands(function: str, xs: tuple[Any, ...]) -> tuple[Any, ...]:
    """`xs` with each pending input replaced by its array (binary functions only)."""
    if len(xs) != 2:
        return xs
    out = list(xs)
    for i, x in enumerate(xs):
        other = xs[1 - i]
        if isinstance(x, PendingInput):
            out[i] = resolve(x, function, i, other if isinstance(other, Array) else None)
    return tuple(out)
