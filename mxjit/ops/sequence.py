"""MXNet's variable-length sequence operators: `SequenceMask`, `SequenceLast` and
`SequenceReverse`.

The data is (max_len, batch, ...) (or (batch, max_len, ...) with axis=1); with
`use_sequence_length=True` the array `sequence_length` (batch,) gives each sequence's true
length (float lengths are truncated, lengths are clipped to [0, max_len]). Each operator is
index arithmetic (`iota`, `where`) plus a gather, so it traces under `mx.jit` and its
gradient flows to `data` (never to the lengths).
"""
from __future__ import annotations

import math

import numpy as np

from ..base import ParamError, ShapeError
from ..core import Array, bind
from ..core.operators import register_operator
from .elementwise import cast
from .indexing import pick, take
from .operands import along, ew, iota, reshape_exact, select
from .shape import broadcast_exact, broadcast_new, flip


def _lengths(op: str, data: Array, sequence_length: Array | None,
             use_sequence_length: bool, axis: int, axes: tuple[int, ...]) -> Array | None:
    """The lengths as int64 in [0, max_len] (None without `use_sequence_length`)."""
    if axis not in axes:
        raise ParamError(f"{op}: axis must be {' or '.join(map(str, axes))} (the sequence "
                         f"axis), got {axis}")
    if data.ndim < 2:
        raise ShapeError(f"{op}: data must have at least 2 dims (max_len, batch, ...), got "
                         f"shape {data.shape}")
    if not use_sequence_length:
        return None
    if sequence_length is None:
        raise ParamError(f"{op}: use_sequence_length=True needs the sequence_length array")
    batch = data.shape[1 - axis]
    if sequence_length.shape != (batch,):
        raise ShapeError(f"{op}: sequence_length must have shape ({batch},) (one length per "
                         f"sequence of data {data.shape}, axis={axis}), got "
                         f"{sequence_length.shape}")
    lengths = cast(bind("stop_gradient", sequence_length), np.int64)
    return ew("minimum", ew("maximum", lengths, 0), data.shape[axis])


@register_operator("SequenceMask", inputs=("data", "sequence_length"))
def SequenceMask(data: Array, sequence_length: Array | None = None,
                 use_sequence_length: bool = False, value: float = 0.0, axis: int = 0) -> Array:
    """Set the steps beyond each sequence's length to `value` (a copy of the data without
    `use_sequence_length`).

    >>> mx.nd.SequenceMask(x, mx.nd.array([1, 3]), use_sequence_length=True)  # doctest: +SKIP
    """
    lengths = _lengths("SequenceMask", data, sequence_length, use_sequence_length, axis, (0, 1))
    if lengths is None:
        return broadcast_new(data, data.shape)
    steps = iota(data.shape, axis, data)
    limit = broadcast_exact(along(lengths, 1 - axis, data.ndim), data.shape)
    return select(ew("lt", steps, limit), data, value)


@register_operator("SequenceLast", inputs=("data", "sequence_length"))
def SequenceLast(data: Array, sequence_length: Array | None = None,
                 use_sequence_length: bool = False, axis: int = 0) -> Array:
    """The last step of each sequence: shape (batch, ...). Without `use_sequence_length`
    every sequence is max_len long; a length of 0 gives the first step.

    >>> mx.nd.SequenceLast(x, mx.nd.array([1, 3]), use_sequence_length=True)  # doctest: +SKIP
    """
    lengths = _lengths("SequenceLast", data, sequence_length, use_sequence_length, axis, (0, 1))
    steps = data.shape[axis]
    if steps == 0:
        raise ShapeError(f"SequenceLast: the sequence axis {axis} of {data.shape} is empty")
    if lengths is None:
        last = take(data, [steps - 1], axis=axis)
        return reshape_exact(last, data.shape[:axis] + data.shape[axis + 1:])
    reduced = data.shape[:axis] + data.shape[axis + 1:]  # (batch, ...) for either axis
    index = broadcast_exact(along(ew("maximum", lengths - 1, 0), 0, len(reduced)), reduced)
    return pick(data, index, axis=axis)


@register_operator("SequenceReverse", inputs=("data", "sequence_length"))
def SequenceReverse(data: Array, sequence_length: Array | None = None,
                    use_sequence_length: bool = False, axis: int = 0) -> Array:
    """Reverse the first `length` steps of each sequence along axis 0 (the steps beyond a
    sequence's length stay where they are); all steps without `use_sequence_length`.

    >>> mx.nd.SequenceReverse(x, mx.nd.array([2, 3]), use_sequence_length=True)  # doctest: +SKIP
    """
    lengths = _lengths("SequenceReverse", data, sequence_length, use_sequence_length, axis,
                       (0,))
    steps, batch = data.shape[:2]
    if lengths is None:
        return broadcast_new(flip(data, axis=0), data.shape)
    t = iota((steps, batch), 0, data)
    limit = broadcast_exact(reshape_exact(lengths, (1, batch)), (steps, batch))
    source = select(ew("lt", t, limit), limit - 1 - t, t)  # the step each output reads
    rows = source * batch + iota((steps, batch), 1, data)
    flat = reshape_exact(data, (steps * batch, math.prod(data.shape[2:])))
    taken = bind("take", flat, reshape_exact(rows, (steps * batch,)), axis=0, mode="clip")
    return reshape_exact(taken, data.shape)
