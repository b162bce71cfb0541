"""`mx.nd.image`: image operators (to_tensor, normalize, crop, resize) over primitives.

Images are (H, W, C) or batches (N, H, W, C) as decoded, except `normalize`, which works on
tensors (C, H, W) or (N, C, H, W) as `to_tensor` makes them. Every operator is a composition
of primitives (slices, gathers, arithmetic), so it runs eagerly, inside `mx.jit`, and
differentiates.

    >>> img = mx.nd.array(np.zeros((4, 6, 3)), dtype='uint8')  # doctest: +SKIP
    >>> mx.nd.image.to_tensor(img).shape  # doctest: +SKIP
    (3, 4, 6)
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..base import ArgumentError, DTypeError, ParamError, ShapeError, UnsupportedError
from ..core import Array, bind
from ..core.operators import register_operator
from . import elementwise
from .elementwise import cast, clip
from .operands import constant
from .shape import broadcast_exact, transpose


def _image(fn: str, data: Any, layout: str = "(H, W, C) or (N, H, W, C)") -> Array:
    if not isinstance(data, Array):
        raise ArgumentError(f"{fn}: data must be an array, got {type(data).__name__}")
    if data.ndim not in (3, 4):
        raise ShapeError(f"{fn}: the input must have shape {layout}, got {data.shape}")
    return data


@register_operator("_image_to_tensor")
def to_tensor(data: Array) -> Array:
    """(H, W, C) or (N, H, W, C) values in [0, 255] -> float32 (C, H, W) or (N, C, H, W)
    values in [0, 1].

    >>> mx.nd.image.to_tensor(mx.nd.ones((2, 2, 3), dtype='uint8') * 255).shape  # doctest: +SKIP
    (3, 2, 2)
    """
    data = _image("to_tensor", data)
    x = data if data._dtype == np.float32 else cast(data, np.float32)
    perm = (2, 0, 1) if data.ndim == 3 else (0, 3, 1, 2)
    return transpose(x, perm) / 255.0


def _per_channel(fn: str, what: str, value: Any, channels: int) -> np.ndarray:
    values = np.atleast_1d(np.asarray(value, np.float64)).reshape(-1)
    if values.size == 1:
        return np.repeat(values, channels)
    if values.size < channels:
        raise ParamError(f"{fn}: {what} needs 1 or {channels} values (one per channel), got "
                         f"{values.size}")
    return values[:channels]


@register_operator("_image_normalize", kinds={"mean": "shape", "std": "shape"})
def normalize(data: Array, mean: Any = 0.0, std: Any = 1.0) -> Array:
    """(x - mean[c]) / std[c] per channel of a (C, H, W) or (N, C, H, W) float tensor.

    >>> x = mx.nd.ones((3, 2, 2))
    >>> mx.nd.image.normalize(x, mean=(0.5, 0.4, 0.3), std=(0.2, 0.2, 0.2))  # doctest: +SKIP
    """
    data = _image("normalize", data, "(C, H, W) or (N, C, H, W)")
    if data._dtype.kind != "f":
        raise DTypeError(f"normalize: the input must be floating-point, got {data._dtype}")
    channels = data.shape[-3]
    m = _per_channel("normalize", "mean", mean, channels)
    s = _per_channel("normalize", "std", std, channels)
    if np.any(s == 0):
        raise ParamError(f"normalize: std must be non-zero, got {tuple(s)}")
    shape = (channels, 1, 1)
    m_arr = broadcast_exact(constant(m.reshape(shape).astype(data._dtype), data), data.shape)
    s_arr = broadcast_exact(constant(s.reshape(shape).astype(data._dtype), data), data.shape)
    return (data - m_arr) / s_arr


@register_operator("_image_crop")
def crop(data: Array, x: int, y: int, width: int, height: int) -> Array:
    """The `height` x `width` window at column `x`, row `y` of (H, W, C) or (N, H, W, C)
    images.

    >>> mx.nd.image.crop(mx.nd.zeros((4, 6, 3)), 1, 0, 2, 3).shape  # doctest: +SKIP
    (3, 2, 3)
    """
    data = _image("crop", data)
    h_axis = data.ndim - 3
    h, w = data.shape[h_axis], data.shape[h_axis + 1]
    x, y, width, height = int(x), int(y), int(width), int(height)
    if x < 0 or y < 0 or width <= 0 or height <= 0 or x + width > w or y + height > h:
        raise ParamError(f"crop: the window x={x}, y={y}, width={width}, height={height} does "
                         f"not fit in an image of width {w} and height {h}")
    start = [0] * data.ndim
    stop = list(data.shape)
    start[h_axis], stop[h_axis] = y, y + height
    start[h_axis + 1], stop[h_axis + 1] = x, x + width
    result = bind("slice", data, start=tuple(start), stop=tuple(stop), step=(1,) * data.ndim)
    return result.copy() if result._node is None else result


def _target_size(size: Any, keep_ratio: bool, h: int, w: int) -> tuple[int, int]:
    """(height, width) of the result, as MXNet reads `size` and `keep_ratio`."""
    dims = (int(size),) if isinstance(size, (int, np.integer)) else tuple(int(s) for s in size)
    if len(dims) == 1:
        if keep_ratio:
            if h > w:
                return int(h * dims[0] / w), dims[0]
            return dims[0], int(w * dims[0] / h)
        return dims[0], dims[0]
    if len(dims) != 2:
        raise ParamError(f"resize: size must be an int or (width, height), got {size!r}")
    return dims[1], dims[0]


def _source_index(out_len: int, in_len: int, interp: int) -> tuple[np.ndarray, np.ndarray,
                                                                   np.ndarray]:
    """Per output position: the two source positions and the weight of the second
    (OpenCV's pixel-centre mapping; nearest takes floor(i * in / out))."""
    scale = in_len / out_len
    pos = np.arange(out_len, dtype=np.float64)
    if interp == 0:
        lo = np.minimum(np.floor(pos * scale), in_len - 1).astype(np.int64)
        return lo, lo, np.zeros(out_len)
    src = (pos + 0.5) * scale - 0.5
    lo = np.floor(src)
    frac = src - lo
    frac = np.where(lo < 0, 0.0, frac)
    lo = np.maximum(lo, 0)
    frac = np.where(lo >= in_len - 1, 0.0, frac)
    lo = np.minimum(lo, in_len - 1).astype(np.int64)
    hi = np.minimum(lo + 1, in_len - 1)
    return lo, hi, frac


@register_operator("_image_resize", kinds={"size": "shape"})
def resize(data: Array, size: Any = (), keep_ratio: bool = False, interp: int = 1) -> Array:
    """Resize (H, W, C) or (N, H, W, C) images to `size` = (width, height), or to a square
    (or, with `keep_ratio`, a short side) of `size` pixels. `interp`: 0 nearest, 1 bilinear
    (OpenCV's pixel-centre convention; integer images are rounded and saturated).

    >>> mx.nd.image.resize(mx.nd.zeros((4, 6, 3)), (3, 2)).shape  # doctest: +SKIP
    (2, 3, 3)
    """
    data = _image("resize", data)
    if interp not in (0, 1):
        raise UnsupportedError(f"resize: interp={interp} is not supported; use 0 (nearest) "
                                  "or 1 (bilinear)")
    if size is None or (not isinstance(size, (int, np.integer)) and len(size) == 0):
        raise ParamError("resize: size must be given as an int or (width, height)")
    h_axis = data.ndim - 3
    h, w = data.shape[h_axis], data.shape[h_axis + 1]
    oh, ow = _target_size(size, keep_ratio, h, w)
    if oh <= 0 or ow <= 0:
        raise ParamError(f"resize: the target size ({ow}, {oh}) must be positive")
    compute = data._dtype if data._dtype.kind == "f" else np.dtype(np.float32)
    x = data if data._dtype == compute else cast(data, compute)
    x = _resample(x, h_axis, oh, h, interp)
    x = _resample(x, h_axis + 1, ow, w, interp)
    if data._dtype.kind != "f":
        info = np.iinfo(data._dtype) if data._dtype.kind in "iu" else None
        x = elementwise.round(x)
        if info is not None:
            x = clip(x, float(info.min), float(info.max))
        x = cast(x, data._dtype)
    return x


def _resample(x: Array, axis: int, out_len: int, in_len: int, interp: int) -> Array:
    lo, hi, frac = _source_index(out_len, in_len, interp)
    first = bind("take", x, constant(lo, x), axis=axis, mode="clip")
    if interp == 0 or not frac.any():
        return first
    second = bind("take", x, constant(hi, x), axis=axis, mode="clip")
    shape = [1] * x.ndim
    shape[axis] = out_len
    weight = broadcast_exact(constant(frac.astype(x._dtype).reshape(shape), x), first.shape)
    return first + (second - first) * weight

