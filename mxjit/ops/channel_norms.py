"""Normalisation across channels: `GroupNorm` (over groups of channels and the spatial axes)
and `LRN` (over a window of neighbouring channels), as composites of reductions and
elementwise primitives."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..base import ParamError, ShapeError
from ..core import Array, bind, scalar_operand
from ..core.operators import input_shape_rule, register_operator
from .nn import mean_and_variance
from .operands import along, ew, reshape_exact
from .shape import broadcast_exact, slice_ranges


@register_operator("GroupNorm", inputs=("data", "gamma", "beta"), compiled=True)
def GroupNorm(data: Array, gamma: Array, beta: Array, num_groups: int = 1,
              eps: float = 1e-5, output_mean_var: bool = False) -> Any:
    """Split the channels (axis 1) into `num_groups` groups and normalise each sample's
    group over its channels and spatial axes, then scale by gamma and shift by beta.

    As in MXNet 1.x, gamma and beta have shape (num_groups,) and act per group; shape (C,)
    (per channel, as in the paper and MXNet 2) is accepted too. `output_mean_var` also
    returns the mean and sqrt(var + eps), each of shape (N, num_groups).

    >>> mx.nd.GroupNorm(x, mx.nd.ones((2,)), mx.nd.zeros((2,)), num_groups=2)  # doctest: +SKIP
    """
    if data.ndim < 3:
        raise ShapeError(f"GroupNorm: data must have at least 3 dims (batch, channel, ...), got "
                         f"shape {data.shape}")
    n, c = data.shape[:2]
    if isinstance(num_groups, bool) or not isinstance(num_groups, (int, np.integer)) or \
            num_groups < 1 or c % num_groups:
        raise ParamError(f"GroupNorm: num_groups must be a positive int dividing the {c} "
                         f"channels, got {num_groups!r}")
    g = int(num_groups)
    for what, arr in (("gamma", gamma), ("beta", beta)):
        if arr.shape not in ((g,), (c,)):
            raise ShapeError(f"GroupNorm: {what} must have shape ({g},) (per group) or ({c},) "
                             f"(per channel), got {arr.shape}")
    grouped = reshape_exact(data, (n, g, c // g) + data.shape[2:])
    mean, var = mean_and_variance(grouped, tuple(range(2, grouped.ndim)))
    std = ew("sqrt", var + eps)
    normed = reshape_exact((grouped - mean) / std, data.shape)
    scale, shift = (_per_channel(p, g, c) for p in (gamma, beta))
    y = normed * along(scale, 1, data.ndim) + along(shift, 1, data.ndim)
    if output_mean_var:
        return [y, reshape_exact(mean, (n, g)), reshape_exact(std, (n, g))]
    return y


@input_shape_rule("GroupNorm")
def _group_norm_inputs(shapes: dict[str, tuple[int, ...]], *, num_groups: int = 1, **_: Any
                       ) -> dict[str, tuple[int, ...]]:
    return dict.fromkeys(("gamma", "beta"), (num_groups,))


def _per_channel(param: Array, groups: int, channels: int) -> Array:
    """A per-group parameter (groups,) repeated over each group's channels: (channels,)."""
    if param.shape == (channels,):
        return param
    per_group = reshape_exact(param, (groups, 1))
    return reshape_exact(broadcast_exact(per_group, (groups, channels // groups)), (channels,))


@register_operator("LRN")
def LRN(data: Array, alpha: float = 1e-4, beta: float = 0.75, knorm: float = 2.0,
        nsize: int | None = None
        ) -> Array:
    """Local response normalisation across channels of (N, C, H, W) data:
    x / (knorm + alpha / nsize * sum of x**2 over the nsize channels around it) ** beta,
    the window being zero-padded at the edges.

    >>> mx.nd.LRN(mx.nd.ones((1, 3, 2, 2)), nsize=3)  # doctest: +SKIP
    """
    if nsize is None:
        raise ParamError("LRN: nsize (the window width in channels) is required")
    if isinstance(nsize, bool) or not isinstance(nsize, (int, np.integer)) or nsize < 1 or \
            nsize % 2 == 0:
        raise ParamError(f"LRN: nsize must be a positive odd int, got {nsize!r}")
    if data.ndim != 4:
        raise ShapeError(f"LRN: data must be 4-D (batch, channel, height, width), got shape "
                         f"{data.shape}")
    half = nsize // 2
    squares = data * data
    padded = bind("pad", squares, scalar_operand(0, squares), low=(0, half, 0, 0),
                  high=(0, half, 0, 0))
    n, c, h, w = data.shape
    window = slice_ranges(padded, (0, 0, 0, 0), (n, c, h, w), (1, 1, 1, 1))
    for k in range(1, nsize):
        window = window + slice_ranges(padded, (0, k, 0, 0), (n, k + c, h, w), (1, 1, 1, 1))
    norm = window * (alpha / nsize) + knorm
    return data * ew("pow", norm, -beta)
