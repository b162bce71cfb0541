"""Resampling (N, C, H, W) maps to another height and width: `AdaptiveAvgPooling2D`,
`BilinearResize2D` (mx.nd.contrib) and `SpatialTransformer`.

Adaptive pooling and bilinear resizing are separable: each output row mixes a few input
rows with weights known from the shapes alone, so they are products with constant matrices
(pooling) or gathers of constant indices with constant weights (resizing), and their
gradients are the transposes. The spatial transformer is `GridGenerator` followed by
`BilinearSampler`.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..base import DTypeError, ParamError, ShapeError
from ..core import Array, bind
from ..core.operators import register_operator
from .operands import along, constant, ints
from .shape import transpose
from .spatial import BilinearSampler, GridGenerator


def _check_maps(op: str, data: Array) -> None:
    if data.ndim != 4:
        raise ShapeError(f"{op}: data must be 4-D (batch, channel, height, width), got shape "
                         f"{data.shape}")
    if data._dtype.kind != "f":
        raise DTypeError(f"{op}: needs floating-point data (as MXNet), got {data._dtype.name}")


# ---- adaptive average pooling ------------------------------------------------------------


def _averaging_matrix(size: int, out: int) -> np.ndarray:
    """(out, size) weights: output i averages inputs floor(i * size / out) up to
    ceil((i + 1) * size / out) (exclusive), MXNet's (and PyTorch's) adaptive windows."""
    weights = np.zeros((out, size))
    for i in range(out):
        start, stop = (i * size) // out, -((-(i + 1) * size) // out)
        weights[i, start:stop] = 1.0 / (stop - start)
    return weights


def _mix_rows_and_columns(data: Array, rows: np.ndarray, cols: np.ndarray) -> Array:
    """rows @ map @ cols.T for every (N, C) map: (N, C, H, W) -> (N, C, R, K)."""
    dtype = data._dtype
    y = bind("dot_general", data, constant(cols.astype(dtype), data), contract=((3,), (1,)),
             batch=((), ()))  # (N, C, H, K)
    y = bind("dot_general", constant(rows.astype(dtype), data), y, contract=((1,), (2,)),
             batch=((), ()))  # (R, N, C, K)
    return transpose(y, (1, 2, 0, 3))


@register_operator("_contrib_AdaptiveAvgPooling2D", kinds={"output_size": "shape"})
def AdaptiveAvgPooling2D(data: Array, output_size: Any = ()) -> Array:
    """Average pooling of (N, C, H, W) data to `output_size` = (height, width) (an int for
    a square, () for 1 x 1), each output pixel averaging the input window
    [floor(i * H / h), ceil((i + 1) * H / h)) (and likewise across).

    >>> mx.nd.contrib.AdaptiveAvgPooling2D(mx.nd.ones((1, 3, 7, 9)), output_size=(2, 3)).shape
    ... # doctest: +SKIP
    (1, 3, 2, 3)
    """
    _check_maps("AdaptiveAvgPooling2D", data)
    size = ints(output_size, "AdaptiveAvgPooling2D: output_size")
    if len(size) > 2 or min(size, default=0) < 0:
        raise ParamError(f"AdaptiveAvgPooling2D: output_size must be an int or (height, width) "
                         f"of non-negative ints, got {output_size!r}")
    out_h, out_w = {0: (1, 1), 1: size * 2, 2: size}[len(size)]
    h, w = data.shape[2:]
    if (h == 0 and out_h) or (w == 0 and out_w):
        raise ShapeError(f"AdaptiveAvgPooling2D: cannot pool the empty maps of {data.shape} to "
                         f"{(out_h, out_w)}")
    return _mix_rows_and_columns(data, _averaging_matrix(h, out_h),
                                 _averaging_matrix(w, out_w))


# ---- bilinear resizing -------------------------------------------------------------------

_RESIZE_MODES = ("size", "odd_scale", "like", "to_even_down", "to_even_up", "to_odd_down",
                 "to_odd_up")


def _resized(mode: str, size: int, target: int, scale: float | None, like: int | None,
             name: str) -> int:
    """One output dimension by MXNet's rule for `mode` (scales truncate toward zero)."""
    if mode == "size":
        return target if scale is None else int(scale * size)
    if mode == "odd_scale":
        if scale is None:
            raise ParamError(f"BilinearResize2D: mode 'odd_scale' needs scale_{name}")
        return int(size * scale) if size % 2 == 0 else int((size - 1) * scale) + 1
    if mode == "like":
        assert like is not None
        return like
    odd = size % 2
    return {"to_even_down": size - odd, "to_even_up": size + odd,
            "to_odd_down": size - 1 + odd, "to_odd_up": size + 1 - odd}[mode]


def _linear_taps(size: int, out: int, align_corners: bool
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each output index along one axis: the two input indices it mixes and the weight
    of the second, computed in float32 as MXNet's kernels do."""
    f32 = np.float32
    if out > 1:
        scale = f32(size - 1) / f32(out - 1) if align_corners else f32(size) / f32(out)
    else:
        scale = f32(0)
    dst = np.arange(out)
    if align_corners:
        src = scale * dst.astype(f32)
    else:  # (this one is computed in double and rounded once, as in MXNet's C++)
        src = np.maximum(np.float64(scale) * (dst + 0.5) - 0.5, 0).astype(f32)
    first = src.astype(np.int64)  # (src >= 0: truncation is floor)
    second = np.where(first < size - 1, first + 1, first)
    return first, second, (src - first.astype(np.float32))


def _interpolate(x: Array, axis: int, out: int, align_corners: bool) -> Array:
    """Linear interpolation of `x` along `axis` to `out` points."""
    first, second, weight = _linear_taps(x.shape[axis], out, align_corners)
    lam = along(constant(weight.astype(x._dtype), x), axis, x.ndim)
    low = bind("take", x, constant(first, x), axis=axis, mode="clip")
    high = bind("take", x, constant(second, x), axis=axis, mode="clip")
    return low * (1.0 - lam) + high * lam


@register_operator("_contrib_BilinearResize2D", inputs=("data", "like"))
def BilinearResize2D(data: Array, like: Array | None = None, height: int = 1, width: int = 1,
                     scale_height: float | None = None, scale_width: float | None = None,
                     mode: str = "size", align_corners: bool = True) -> Array:
    """Resize (N, C, H, W) maps by bilinear interpolation. The output size: 'size' gives
    (height, width), or the input's size times scale_height / scale_width; 'like' the
    size of the second array `like`; 'odd_scale' scales (an odd size s becomes
    (s - 1) * scale + 1); 'to_even_down', 'to_even_up', 'to_odd_down', 'to_odd_up' move
    each odd (even) size one down or up. With align_corners the corner pixels' centres
    map onto each other; without, pixel areas scale (half-pixel centres).

    >>> mx.nd.contrib.BilinearResize2D(mx.nd.ones((1, 1, 2, 2)), height=3, width=5).shape
    ... # doctest: +SKIP
    (1, 1, 3, 5)
    """
    _check_maps("BilinearResize2D", data)
    if mode not in _RESIZE_MODES:
        raise ParamError(f"BilinearResize2D: mode must be one of {list(_RESIZE_MODES)}, got "
                         f"{mode!r}")
    if (mode == "like") != (like is not None):
        raise ParamError("BilinearResize2D: give the array `like` exactly when mode='like' "
                         f"(mode={mode!r}, like {'given' if like is not None else 'missing'})")
    if like is not None and like.ndim != 4:
        raise ShapeError(f"BilinearResize2D: like must be 4-D (batch, channel, height, width), "
                         f"got shape {like.shape}")
    for name, value in (("height", height), ("width", width)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ParamError(f"BilinearResize2D: {name} must be a positive int, got {value!r}")
    h, w = data.shape[2:]
    like_hw = like.shape[2:] if like is not None else (None, None)
    out_h = _resized(mode, h, height, scale_height, like_hw[0], "height")
    out_w = _resized(mode, w, width, scale_width, like_hw[1], "width")
    if out_h < 0 or out_w < 0 or ((h == 0 and out_h) or (w == 0 and out_w)):
        raise ShapeError(f"BilinearResize2D: cannot resize maps of {data.shape} to "
                         f"{(out_h, out_w)}")
    y = _interpolate(data, 2, out_h, align_corners)
    return _interpolate(y, 3, out_w, align_corners)


# ---- spatial transformer -----------------------------------------------------------------


@register_operator("SpatialTransformer", inputs=("data", "loc"), kinds={"target_shape": "shape"})
def SpatialTransformer(data: Array, loc: Array, *, target_shape: Any = (0, 0),
                       transform_type: str, sampler_type: str, cudnn_off: Any = None) -> Array:
    """Warp (N, C, H, W) data by the affine transforms `loc` (N, 6), each the rows of a
    2x3 matrix mapping an output pixel's normalised (x, y, 1) to where it samples the input
    (bilinearly, zero outside): `BilinearSampler(data, GridGenerator(loc, 'affine',
    target_shape))`, an (N, C, *target_shape) result.

    >>> identity = mx.nd.array([[1, 0, 0, 0, 1, 0]])
    >>> mx.nd.SpatialTransformer(mx.nd.ones((1, 1, 4, 4)), identity, target_shape=(2, 2),
    ...                          transform_type='affine', sampler_type='bilinear')
    ... # doctest: +SKIP
    """
    if transform_type != "affine":
        raise ParamError(f"SpatialTransformer: transform_type must be 'affine' (the only one "
                         f"MXNet has), got {transform_type!r}")
    if sampler_type != "bilinear":
        raise ParamError(f"SpatialTransformer: sampler_type must be 'bilinear' (the only one "
                         f"MXNet has), got {sampler_type!r}")
    if data.ndim != 4:
        raise ShapeError(f"SpatialTransformer: data must be 4-D (batch, channel, height, "
                         f"width), got shape {data.shape}")
    if loc.ndim != 2 or loc.shape != (data.shape[0], 6):
        raise ShapeError(f"SpatialTransformer: loc must have shape ({data.shape[0]}, 6) for "
                         f"data of shape {data.shape}, got {loc.shape}")
    size = ints(target_shape, "SpatialTransformer: target_shape")
    if len(size) != 2 or min(size) < 1:
        raise ParamError(f"SpatialTransformer: target_shape must be a positive (height, width), "
                         f"got {target_shape!r}")
    return BilinearSampler(data, GridGenerator(loc, "affine", size))
