"""MXNet's `_slice_assign` (`_crop_assign`) and `_slice_assign_scalar`: an array with a
`slice` region replaced, as a new array (what `x[1:3] = y` runs in MXNet's graph). The
region's positions are known from the shapes, so the write is `indexing.replaced_at`'s
`where` over a scatter of the new values, as a recorded `x[key] = y` is: traced and
differentiable (the region's old values get no gradient).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..base import ShapeError
from ..core import Array, scalar_operand
from ..core.operators import register_operator
from .elementwise import cast
from .indexing import replaced_at
from .operands import reshape_exact
from .shape import broadcast_exact, slice_bounds

_KINDS = {"begin": "shape", "end": "shape", "step": "shape"}


def _region(shape: tuple[int, ...], begin: Any, end: Any, step: Any, op: str) -> np.ndarray:
    """The flat positions of the region, in the region's shape."""
    starts, stops, steps = slice_bounds(shape, begin, end, step, op)
    key = tuple(slice(b, e, s) for b, e, s in zip(starts, stops, steps))
    return np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)[key]


@register_operator("_slice_assign", inputs=("lhs", "rhs"), aliases=("_crop_assign",),
                   kinds=_KINDS)
def slice_assign(lhs: Array, rhs: Array, begin: Any, end: Any, step: Any = None) -> Array:
    """`lhs` with `lhs[begin:end:step]` replaced by `rhs` (of the region's shape).

    >>> mx.nd._internal._slice_assign(mx.nd.ones((2, 3)), mx.nd.zeros((2, 1)),
    ...                               begin=(0, 1), end=(2, 2))  # doctest: +SKIP
    """
    region = _region(lhs.shape, begin, end, step, "_slice_assign")
    if tuple(rhs.shape) != region.shape:
        raise ShapeError(f"_slice_assign: rhs has shape {tuple(rhs.shape)}, the region "
                         f"{region.shape}")
    return replaced_at(lhs, region.reshape(-1),
                       reshape_exact(cast(rhs, lhs._dtype), (region.size,)))


@register_operator("_slice_assign_scalar", aliases=("_crop_assign_scalar",), kinds=_KINDS)
def slice_assign_scalar(data: Array, *, scalar: float = 0.0, begin: Any, end: Any,
                        step: Any = None) -> Array:
    """`data` with `data[begin:end:step]` set to `scalar`.

    >>> mx.nd._internal._slice_assign_scalar(mx.nd.ones((2, 3)), scalar=5, begin=(0,),
    ...                                      end=(1,))  # doctest: +SKIP
    """
    region = _region(data.shape, begin, end, step, "_slice_assign_scalar")
    return replaced_at(data, region.reshape(-1),
                       broadcast_exact(scalar_operand(scalar, data), (region.size,)))
