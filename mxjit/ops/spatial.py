"""Spatial transformer operators: `GridGenerator` and `BilinearSampler` (MXNet semantics).

A sampling grid holds, for every output pixel, the source position (x, y) normalised to
[-1, 1] across the input's width and height. `BilinearSampler` reads the input there with
bilinear weights; neighbours outside the input count as zeros. Both are compositions of
primitives (gathers, `where`, arithmetic), so they run eagerly and inside `mx.jit` and give
gradients with respect to the data, the grid and the affine parameters.

    >>> theta = mx.nd.array([[1, 0, 0, 0, 1, 0]])  # the identity transform
    >>> grid = mx.nd.GridGenerator(theta, 'affine', target_shape=(4, 4))  # doctest: +SKIP
    >>> mx.nd.BilinearSampler(mx.nd.ones((1, 3, 4, 4)), grid).shape  # doctest: +SKIP
    (1, 3, 4, 4)
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..base import ArgumentError, DTypeError, ParamError, ShapeError
from ..core import Array, bind
from ..core.operators import register_operator
from .elementwise import cast, clip, floor
from .operands import constant, reshape_exact
from .shape import broadcast_exact, transpose


def _axis_points(n: int) -> np.ndarray:
    """n evenly spaced points from -1 to 1 (just -1 for n == 1)."""
    return np.linspace(-1.0, 1.0, n) if n > 1 else np.full(n, -1.0)


@register_operator("GridGenerator", kinds={"target_shape": "shape"})
def GridGenerator(data: Array, transform_type: str = "affine", target_shape: Any = (0, 0)) -> Array:
    """A sampling grid (N, 2, H, W) for `BilinearSampler`.

    `affine`: `data` is (N, 6), the rows of 2x3 matrices applied to the target pixels'
    normalised (x, y, 1), for a grid of `target_shape` = (H, W). `warp`: `data` is an
    (N, 2, H, W) flow field in pixels, added to each pixel's own position and normalised.

    >>> theta = mx.nd.array([[1, 0, 0, 0, 1, 0]])
    >>> mx.nd.GridGenerator(theta, 'affine', (2, 3)).shape  # doctest: +SKIP
    (1, 2, 2, 3)
    """
    if not isinstance(data, Array):
        raise ArgumentError(f"GridGenerator: data must be an array, got {type(data).__name__}")
    if data._dtype.kind != "f":
        raise DTypeError(f"GridGenerator: data must be floating-point, got {data._dtype}")
    if transform_type == "affine":
        result = _affine_grid(data, target_shape)
    elif transform_type == "warp":
        result = _warp_grid(data)
    else:
        raise ParamError(f"GridGenerator: transform_type must be 'affine' or 'warp', got "
                         f"{transform_type!r}")
    return result


def _affine_grid(data: Array, target_shape: Any) -> Array:
    if data.ndim != 2 or data.shape[1] != 6:
        raise ShapeError(f"GridGenerator: affine data must have shape (N, 6), got {data.shape}")
    try:
        h, w = (int(d) for d in target_shape)
    except (TypeError, ValueError):
        raise ParamError(f"GridGenerator: target_shape must be (height, width), got "
                         f"{target_shape!r}") from None
    if h <= 0 or w <= 0:
        raise ParamError(f"GridGenerator: target_shape must be positive for affine transforms, "
                         f"got {(h, w)}")
    xs, ys = np.meshgrid(_axis_points(w), _axis_points(h))
    points = np.stack([xs.reshape(-1), ys.reshape(-1), np.ones(h * w)]).astype(data._dtype)
    n = data.shape[0]
    theta = reshape_exact(data, shape=(n, 2, 3))
    grid = bind("dot_general", theta, constant(points, data), contract=((2,), (0,)),
                batch=((), ()))
    return reshape_exact(grid, shape=(n, 2, h, w))


def _warp_grid(data: Array) -> Array:
    if data.ndim != 4 or data.shape[1] != 2:
        raise ShapeError(f"GridGenerator: warp data must have shape (N, 2, H, W), got "
                         f"{data.shape}")
    n, _, h, w = data.shape
    ys, xs = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64),
                         indexing="ij")
    base = np.stack([xs, ys])[None]
    half = np.array([max(w - 1, 1) / 2.0, max(h - 1, 1) / 2.0]).reshape(1, 2, 1, 1)
    pixels = data + broadcast_exact(constant(base.astype(data._dtype), data), data.shape)
    scale = broadcast_exact(constant(half.astype(data._dtype), data), data.shape)
    return pixels / scale - 1.0


@register_operator("BilinearSampler", inputs=("data", "grid"))
def BilinearSampler(data: Array, grid: Array, cudnn_off: Any = None) -> Array:
    """Sample (N, C, H, W) `data` at the (N, 2, Ho, Wo) `grid` positions -> (N, C, Ho, Wo).

    Grid x = -1 is the left column's centre, x = 1 the right one's (likewise y); the four
    neighbours of a position are weighted bilinearly and those outside the input are zero.

    >>> mx.nd.BilinearSampler(mx.nd.ones((1, 1, 2, 2)), mx.nd.zeros((1, 2, 1, 1)))  # doctest: +SKIP
    [[[[1.]]]]
    <Array 1x1x1x1 @cpu(0)>
    """
    for what, a in (("data", data), ("grid", grid)):
        if not isinstance(a, Array):
            raise ArgumentError(f"BilinearSampler: {what} must be an array, got "
                            f"{type(a).__name__}")
    if data.ndim != 4:
        raise ShapeError(f"BilinearSampler: data must have shape (N, C, H, W), got {data.shape}")
    if grid.ndim != 4 or grid.shape[1] != 2 or grid.shape[0] != data.shape[0]:
        raise ShapeError(f"BilinearSampler: grid must have shape ({data.shape[0]}, 2, Ho, Wo) "
                         f"for data of shape {data.shape}, got {grid.shape}")
    if data._dtype.kind != "f" or grid._dtype != data._dtype:
        raise DTypeError(f"BilinearSampler: data and grid must share a floating-point dtype, "
                         f"got {data._dtype} and {grid._dtype}")
    n, c, h, w = data.shape
    ho, wo = grid.shape[2:]
    plane = (n, ho, wo)
    gx = reshape_exact(bind("slice", grid, start=(0, 0, 0, 0), stop=(n, 1, ho, wo),
                          step=(1, 1, 1, 1)), shape=plane)
    gy = reshape_exact(bind("slice", grid, start=(0, 1, 0, 0), stop=(n, 2, ho, wo),
                          step=(1, 1, 1, 1)), shape=plane)
    x = (gx + 1.0) * ((w - 1) / 2.0)
    y = (gy + 1.0) * ((h - 1) / 2.0)
    x0, y0 = floor(x), floor(y)
    wx, wy = x - x0, y - y0  # weights of the right / bottom neighbours
    # pixels as rows of (N * H * W, C), so one gather fetches all channels of a neighbour
    rows = reshape_exact(transpose(data, (0, 2, 3, 1)), shape=(n * h * w, c))
    batch_base = broadcast_exact(constant(
        (np.arange(n, dtype=np.int64) * (h * w)).reshape(n, 1, 1), data), plane)
    total = None
    for dy, wy_k in ((0, 1.0 - wy), (1, wy)):
        for dx, wx_k in ((0, 1.0 - wx), (1, wx)):
            xi, yi = x0 + float(dx), y0 + float(dy)
            inside = (xi >= 0.0) * (xi <= w - 1.0) * (yi >= 0.0) * (yi <= h - 1.0)
            row = cast(clip(yi, 0, h - 1), np.int64)
            col = cast(clip(xi, 0, w - 1), np.int64)
            flat = row * w + col + batch_base
            value = bind("take", rows, flat, axis=0, mode="clip")  # (N, Ho, Wo, C)
            weight = reshape_exact(wy_k * wx_k * inside, shape=plane + (1,))
            term = value * broadcast_exact(weight, plane + (c,))
            total = term if total is None else total + term
    assert total is not None
    return transpose(total, (0, 3, 1, 2))
