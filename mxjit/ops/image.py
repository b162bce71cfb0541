"""`mx.nd.image`: image operators (to_tensor, normalize, crop, resize, flips and colour
augmentation) over primitives.

Images are (H, W, C) or batches (N, H, W, C) as decoded, except `normalize`, which works on
tensors (C, H, W) or (N, C, H, W) as `to_tensor` makes them, and the flips and colour
augmentations, which take one (H, W, C) image of 1 or 3 channels, as MXNet's do. Every operator
is a composition of primitives (slices, gathers, arithmetic), so it runs eagerly, inside
`mx.jit`, and differentiates; the random augmentations draw their factors from mxjit's random
streams (`ops/random.py`), so a jitted function draws new ones on every call.

    >>> img = mx.nd.array(np.zeros((4, 6, 3)), dtype='uint8')  # doctest: +SKIP
    >>> mx.nd.image.to_tensor(img).shape  # doctest: +SKIP
    (3, 4, 6)
"""
from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from ..base import ArgumentError, DTypeError, ParamError, ShapeError, UnsupportedError
from ..core import Array, bind
from ..core.operators import register_operator
from . import elementwise
from .elementwise import cast, clip, floor, maximum, minimum
from .operands import as_dtype, constant, ew, select
from .random import normal, unit_uniform
from .reduce import mean
from .shape import broadcast_exact, slice_ranges, transpose


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


# ---- flips and colour augmentation of one (H, W, C) image ----------------------------------
#
# As MXNet's kernels do, the arithmetic runs in float32 (float64 images in float64) and the
# result is stored in the image's dtype: integers truncated toward zero and saturated to their
# range (MXNet saturates uint8 and leaves other integer types undefined out of range).

_LUMA = (0.299, 0.587, 0.114)  # the gray level of (R, G, B) (ITU-R BT.601), as MXNet
# AlexNet's PCA lighting noise: the eigenvectors (columns) and eigenvalues of the RGB
# covariance of ImageNet, as MXNet's AdjustLightingImpl holds them.
_EIGVEC = np.array([[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140],
                    [-0.5836, -0.6948, 0.4203]])
_EIGVAL = np.array([55.46, 4.794, 1.148])
# HLS -> RGB: per hue sector, which of (p2, p1, falling, rising) is B, G and R (OpenCV's
# table, which MXNet's HLS2RGBConvert copies).
_HLS_SECTORS = ((1, 3, 0), (1, 0, 2), (3, 0, 1), (0, 2, 1), (0, 1, 3), (2, 1, 0))


def _hwc(fn: str, data: Any, arithmetic: bool = True) -> Array:
    if not isinstance(data, Array):
        raise ArgumentError(f"{fn}: data must be an array, got {type(data).__name__}")
    if data.ndim != 3 or data.shape[2] not in (1, 3):
        raise ShapeError(f"{fn}: the input must be one image of shape (H, W, C) with C 1 or 3, "
                         f"got {data.shape}")
    if arithmetic and data._dtype.kind not in "fiu":
        raise DTypeError(f"{fn}: the image must hold numbers, got {data._dtype}")
    return data


def _compute(data: Array) -> Array:
    return data if data._dtype == np.float64 else as_dtype(data, np.float32)


def _store(x: Array, dtype: np.dtype) -> Array:
    """Float values `x` as an image of `dtype` (see above)."""
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        top = np.asarray(info.max, x._dtype)
        if int(top) > info.max:  # (the bound rounded up in x's dtype: take the one below)
            top = np.nextafter(top, top.dtype.type(0))
        x = minimum(maximum(x, float(info.min)), float(top))
    return as_dtype(x, dtype)


def _channels(x: Array) -> list[Array]:
    """The channels of an (H, W, C) image, each (H, W, 1)."""
    h, w, c = x.shape
    return [slice_ranges(x, (0, 0, k), (h, w, k + 1), (1, 1, 1)) for k in range(c)]


def _gray(x: Array) -> Array:
    """The gray level (H, W, 1) of an RGB or gray image."""
    if x.shape[2] == 1:
        return x
    r, g, b = _channels(x)
    return r * _LUMA[0] + g * _LUMA[1] + b * _LUMA[2]


def _brightness(x: Array, alpha: Any) -> Array:
    return x * alpha


def _contrast(x: Array, alpha: Any) -> Array:
    """Blend with the image's mean gray level."""
    return x * alpha + mean(_gray(x)) * (1 - alpha)


def _saturation(x: Array, alpha: Any) -> Array:
    """Blend each pixel with its gray level.

    MXNet 1.9's kernel takes only 0.114 * B as the gray level (it assigns instead of adding
    in its loop over the channels); this is the blend it means, with the full gray level.
    """
    if x.shape[2] == 1:
        return x
    return x * alpha + _gray(x) * (1 - alpha)


def _hue(x: Array, alpha: Any) -> Array:
    """Rotate the hue by alpha * 360 degrees, through HLS (MXNet's RGB2HLSConvert and
    HLS2RGBConvert, on [0, 255] values)."""
    if x.shape[2] == 1:
        return x
    r, g, b = (c * (1 / 255) for c in _channels(x))
    vmax, vmin = maximum(maximum(r, g), b), minimum(minimum(r, g), b)
    diff, total = vmax - vmin, vmax + vmin
    light = total * 0.5
    chroma = ew("gt", diff, float(np.finfo(np.float32).eps))
    # Denominators of the branch not taken are 1, so neither branch nor gradient is NaN.
    spread = select(chroma, diff, 1.0)
    sat = spread / select(chroma, select(ew("lt", light, 0.5), total, 2 - total), 1.0)
    step = 60 / spread
    hue = select(ew("eq", vmax, r), (g - b) * step,
                 select(ew("eq", vmax, g), (b - r) * step + 120, (r - g) * step + 240))
    hue = select(ew("lt", hue, 0), hue + 360, hue)
    sat, hue = select(chroma, sat, 0.0), select(chroma, hue, 0.0) + alpha * 360
    p2 = select(ew("le", light, 0.5), light * (1 + sat), light + sat - light * sat)
    p1 = light * 2 - p2
    sixths = hue * (1 / 60)
    sixths = sixths - floor(sixths * (1 / 6)) * 6
    sector = minimum(floor(sixths), 5.0)  # (rounding can leave 6.0: that is sector 5's end)
    frac = sixths - sector
    table = (p2, p1, p1 + (p2 - p1) * (1 - frac), p1 + (p2 - p1) * frac)
    rgb = []
    for channel in (2, 1, 0):  # the table's columns are B, G, R
        value = table[_HLS_SECTORS[5][channel]]
        for k in range(4, -1, -1):
            value = select(ew("eq", sector, k), table[_HLS_SECTORS[k][channel]], value)
        rgb.append(select(ew("ne", sat, 0), value, light) * 255)
    return bind("concat", *rgb, axis=2)


def _lighting(x: Array, alpha: Array) -> Array:
    """Add the PCA noise eigvec @ (eigval * alpha) to every pixel (alpha: 3 values)."""
    if x.shape[2] == 1:
        return x
    weights = constant((_EIGVEC * _EIGVAL).astype(x._dtype), x)
    noise = bind("dot_general", weights, alpha, contract=((1,), (0,)), batch=((), ()))
    return x + bind("reshape", noise, shape=(1, 1, 3))


def _uniform_factor(low: float, high: float, x: Array) -> Any:
    """A factor drawn uniformly from [low, high) (a 0-d array of x's dtype), or low if they
    are equal (nothing to draw)."""
    if low == high:
        return low
    (u,) = unit_uniform((), x._dtype)
    return u * (high - low) + low


def _random_enhance(fn: str, data: Any, adjust: Callable[[Array, Any], Array],
                    min_factor: float, max_factor: float) -> Array:
    """`adjust(image, factor)` with a factor drawn from [min_factor, max_factor]."""
    low, high = float(min_factor), float(max_factor)
    if not (low >= 0 and high >= 0):
        raise ParamError(f"{fn}: min_factor and max_factor must be >= 0, got {min_factor} and "
                         f"{max_factor}")
    data = _hwc(fn, data)
    x = _compute(data)
    return _store(adjust(x, _uniform_factor(low, high, x)), data._dtype)


@register_operator("_image_flip_left_right")
def flip_left_right(data: Array) -> Array:
    """Mirror an (H, W, C) image horizontally (reverse its columns).

    >>> mx.nd.image.flip_left_right(mx.nd.array([[[1], [2], [3]]]))  # doctest: +SKIP
    """
    return bind("flip", _hwc("flip_left_right", data, arithmetic=False), axes=(1,))


@register_operator("_image_flip_top_bottom")
def flip_top_bottom(data: Array) -> Array:
    """Mirror an (H, W, C) image vertically (reverse its rows).

    >>> mx.nd.image.flip_top_bottom(mx.nd.array([[[1]], [[2]]]))  # doctest: +SKIP
    """
    return bind("flip", _hwc("flip_top_bottom", data, arithmetic=False), axes=(0,))


def _random_flip(fn: str, data: Any, axis: int) -> Array:
    data = _hwc(fn, data, arithmetic=False)
    (u,) = unit_uniform((), np.float32)
    return select(ew("lt", u, 0.5), bind("flip", data, axes=(axis,)), data)


@register_operator("_image_random_flip_left_right")
def random_flip_left_right(data: Array) -> Array:
    """`flip_left_right` with probability 1/2, else a copy of the image.

    >>> mx.nd.image.random_flip_left_right(mx.nd.ones((2, 3, 3)))  # doctest: +SKIP
    """
    return _random_flip("random_flip_left_right", data, 1)


@register_operator("_image_random_flip_top_bottom")
def random_flip_top_bottom(data: Array) -> Array:
    """`flip_top_bottom` with probability 1/2, else a copy of the image.

    >>> mx.nd.image.random_flip_top_bottom(mx.nd.ones((2, 3, 3)))  # doctest: +SKIP
    """
    return _random_flip("random_flip_top_bottom", data, 0)


@register_operator("_image_random_brightness")
def random_brightness(data: Array, min_factor: float, max_factor: float) -> Array:
    """Scale an (H, W, C) image by a factor drawn uniformly from [min_factor, max_factor].

    >>> mx.nd.image.random_brightness(mx.nd.ones((2, 2, 3)), 0.5, 1.5)  # doctest: +SKIP
    """
    return _random_enhance("random_brightness", data, _brightness, min_factor, max_factor)


@register_operator("_image_random_contrast")
def random_contrast(data: Array, min_factor: float, max_factor: float) -> Array:
    """Blend an (H, W, C) image with its mean gray level: x * a + mean_gray * (1 - a), with a
    drawn uniformly from [min_factor, max_factor].

    >>> mx.nd.image.random_contrast(mx.nd.ones((2, 2, 3)), 0.5, 1.5)  # doctest: +SKIP
    """
    return _random_enhance("random_contrast", data, _contrast, min_factor, max_factor)


@register_operator("_image_random_saturation")
def random_saturation(data: Array, min_factor: float, max_factor: float) -> Array:
    """Blend each pixel of an RGB (H, W, 3) image with its gray level (0.299 R + 0.587 G +
    0.114 B): x * a + gray * (1 - a), with a drawn uniformly from [min_factor, max_factor]; a
    gray (H, W, 1) image is copied. (MXNet 1.9 uses 0.114 B alone as the gray level.)

    >>> mx.nd.image.random_saturation(mx.nd.ones((2, 2, 3)), 0.5, 1.5)  # doctest: +SKIP
    """
    return _random_enhance("random_saturation", data, _saturation, min_factor, max_factor)


@register_operator("_image_random_hue")
def random_hue(data: Array, min_factor: float, max_factor: float) -> Array:
    """Rotate the hue of an RGB (H, W, 3) image with values in [0, 255] by a * 360 degrees,
    a drawn uniformly from [min_factor, max_factor]; a gray (H, W, 1) image is copied.

    >>> mx.nd.image.random_hue(mx.nd.ones((2, 2, 3)), 0.0, 0.1)  # doctest: +SKIP
    """
    return _random_enhance("random_hue", data, _hue, min_factor, max_factor)


@register_operator("_image_random_color_jitter")
def random_color_jitter(data: Array, brightness: float, contrast: float, saturation: float,
                        hue: float) -> Array:
    """Apply, in a random order, brightness, contrast and saturation changes by factors
    drawn from [1 - x, 1 + x] and a hue rotation by [-hue, hue] turns, each only where its
    parameter is positive (MXNet's order and draws; the image is stored in its dtype after
    every step, as MXNet does).

    >>> mx.nd.image.random_color_jitter(mx.nd.ones((2, 2, 3)), 0.1, 0.1, 0.1, 0.1)  # doctest: +SKIP
    """
    data = _hwc("random_color_jitter", data)
    x = _compute(data)
    steps = [(adjust, float(amount), offset) for adjust, amount, offset in (
        (_brightness, brightness, 1.0), (_contrast, contrast, 1.0),
        (_saturation, saturation, 1.0), (_hue, hue, 0.0)) if amount > 0]
    if not steps:
        return _store(x, data._dtype)
    draws = unit_uniform((), x._dtype, len(steps) + 1)
    factors = [u * (2 * amount) + (offset - amount) for u, (_, amount, offset) in
               zip(draws, steps)]
    orders = np.array(list(itertools.permutations(range(len(steps)))), np.int32)
    which = as_dtype(floor(draws[-1] * float(len(orders))), np.int32)
    for stage in range(len(steps)):
        step = bind("take", constant(orders[:, stage], x), which, axis=0, mode="clip")
        results = [adjust(x, factor) for (adjust, _, _), factor in zip(steps, factors)]
        x = results[-1]
        for k in range(len(steps) - 2, -1, -1):
            x = select(ew("eq", step, k), results[k], x)
        x = _compute(_store(x, data._dtype))
    return _store(x, data._dtype)


@register_operator("_image_adjust_lighting", kinds={"alpha": "shape"})
def adjust_lighting(data: Array, alpha: Any) -> Array:
    """Add AlexNet's PCA lighting noise to an RGB (H, W, 3) image: eigvec @ (eigval * alpha)
    for the 3 `alpha` values of the R, G, B eigenvectors of ImageNet's colours; a gray
    (H, W, 1) image is copied.

    >>> mx.nd.image.adjust_lighting(mx.nd.ones((2, 2, 3)), alpha=(0.1, 0.0, -0.1))  # doctest: +SKIP
    """
    values = np.asarray(alpha, np.float64).reshape(-1)
    if values.size != 3:
        raise ParamError(f"adjust_lighting: alpha must hold 3 values (one per RGB "
                         f"eigenvector), got {alpha!r}")
    data = _hwc("adjust_lighting", data)
    x = _compute(data)
    return _store(_lighting(x, constant(values.astype(x._dtype), x)), data._dtype)


@register_operator("_image_random_lighting")
def random_lighting(data: Array, alpha_std: float = 0.05) -> Array:
    """`adjust_lighting` with the 3 alphas drawn from N(0, alpha_std**2).

    >>> mx.nd.image.random_lighting(mx.nd.ones((2, 2, 3)), alpha_std=0.1)  # doctest: +SKIP
    """
    if not alpha_std >= 0:
        raise ParamError(f"random_lighting: alpha_std must be >= 0, got {alpha_std}")
    data = _hwc("random_lighting", data)
    x = _compute(data)
    alpha = normal(0, 1, shape=(3,), dtype=x._dtype) * float(alpha_std)
    return _store(_lighting(x, alpha), data._dtype)
