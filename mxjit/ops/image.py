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

import functools
import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from ..base import ArgumentError, DTypeError, ParamError, ShapeError
from ..core import Array, bind, jit
from ..core.operators import register_operator
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


# ---- resize: OpenCV 3.4's cv::resize, which MXNet 1.9.1 links ------------------------------
#
# Separable, as in OpenCV: the width is resampled first, then the height (the order decides
# the rounding of uint8 images). A pass gathers a (positions, taps) table of source indices
# and sums the taps with weights; the tables are NumPy constants made here with OpenCV's
# float32 arithmetic, so a pass is one gather and one reduction whatever the scale. Float
# images are computed in their dtype. uint8 images follow OpenCV's integer fixed point
# (weights in units of 1/2048, int32 sums) and, where OpenCV works in float32 (area, most of
# bicubic's vertical pass), its rounded products and order of additions: their pixels are
# OpenCV's bit for bit. Each (size, interp) is one jitted program, eagerly too.

_ONE = 2048  # INTER_RESIZE_COEF_SCALE: the fixed-point weight 1.0 of uint8 images
_TAPS = {1: 2, 2: 4, 3: 2, 4: 8}  # per interp code (area when enlarging is bilinear-like)
_F32 = np.float32


def _inverse_scale(out_len: int, in_len: int) -> float:
    """Source pixels per output pixel, as OpenCV computes it (1 / (out / in) in double,
    which can differ from in / out in the last bit and so move a floor)."""
    return 1.0 / (out_len / in_len)


def _cubic_weights(f: np.ndarray) -> np.ndarray:
    """OpenCV's interpolateCubic (Keys, A = -0.75) at offsets f: (n,) -> (n, 4) float32."""
    a, one = _F32(-0.75), _F32(1)
    x0, x2 = f + one, one - f
    c0 = ((a * x0 - _F32(5) * a) * x0 + _F32(8) * a) * x0 - _F32(4) * a
    c1 = ((a + _F32(2)) * f - (a + _F32(3))) * f * f + one
    c2 = ((a + _F32(2)) * x2 - (a + _F32(3))) * x2 * x2 + one
    return np.stack([c0, c1, c2, one - c0 - c1 - c2], axis=1)


def _lanczos_weights(f: np.ndarray) -> np.ndarray:
    """OpenCV's interpolateLanczos4 at offsets f: (n,) -> (n, 8) float32, normalised to sum
    to 1 (its x + 3 - i in float, the sines in double)."""
    s45 = 0.70710678118654752440
    cs = np.array([[1, 0], [-s45, -s45], [0, 1], [s45, -s45], [-1, 0], [s45, s45], [0, -1],
                   [-s45, s45]])
    x3 = f + _F32(3)
    y0 = -x3.astype(np.float64) * np.pi * 0.25
    y = -(x3[:, None] - np.arange(8, dtype=_F32)).astype(np.float64) * np.pi * 0.25
    with np.errstate(divide="ignore", invalid="ignore"):  # (y = 0 only where f = 0, below)
        c = ((cs[:, 0] * np.sin(y0)[:, None] + cs[:, 1] * np.cos(y0)[:, None])
             / (y * y)).astype(_F32)
        total = np.zeros(len(f), _F32)
        for k in range(8):  # summed in order, in float, as OpenCV does
            total = total + c[:, k]
        c = c * (_F32(1) / total)[:, None]
    # Where x + 3 - i is 0 in float (f = 1 - 2**-24 rounds to 1, say) OpenCV's weights are
    # NaN; the window's limit there is that one tap.
    on_tap = x3[:, None] - np.arange(8, dtype=_F32) == 0
    c = np.where(on_tap.any(axis=1)[:, None], on_tap.astype(_F32), c)
    return np.where((f < np.finfo(_F32).eps)[:, None], np.eye(8, dtype=_F32)[3], c)


def _interp_taps(out_len: int, in_len: int, interp: int, across: bool
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Source indices and float32 weights, both (out_len, taps), of OpenCV's generic
    resize: bilinear (1), bicubic (2), Lanczos (4), or area (3) when enlarging, which
    places its two taps by pixel coverage. `across`: the horizontal pass, where OpenCV
    moves a bilinear tap that falls outside the image onto the border with weight 1; the
    vertical pass repeats the border row under the tap's own weights."""
    scale, taps = _inverse_scale(out_len, in_len), _TAPS[interp]
    pos = np.arange(out_len)
    if interp == 3:
        start = np.floor(pos * scale).astype(np.int64)
        f = ((pos + 1) - (start + 1) * (out_len / in_len)).astype(_F32)
        f = np.where(f <= 0, _F32(0), f - np.floor(f))
    else:
        src = ((pos + 0.5) * scale - 0.5).astype(_F32)
        start = np.floor(src).astype(np.int64)
        f = src - start.astype(_F32)
    if taps == 2 and across:
        outside = (start < 0) | (start >= in_len - 1)
        f = np.where(outside, _F32(0), f)
        start = np.clip(start, 0, in_len - 1)
    if interp == 2:
        weights = _cubic_weights(f)
    elif interp == 4:
        weights = _lanczos_weights(f)
    else:
        weights = np.stack([_F32(1) - f, f], axis=1)
    idx = np.clip(start[:, None] + np.arange(1 - taps // 2, taps // 2 + 1), 0, in_len - 1)
    return idx, weights.astype(_F32)


def _area_taps(out_len: int, in_len: int) -> tuple[np.ndarray, np.ndarray]:
    """OpenCV's computeResizeAreaTab when shrinking by a non-integer factor: each output
    pixel averages the source pixels its cell covers, the partly covered ones at the ends
    by their covered fraction. Rows are padded with zero weights to the longest."""
    scale = _inverse_scale(out_len, in_len)
    fs1 = np.arange(out_len) * scale
    fs2 = fs1 + scale
    cell = np.minimum(scale, in_len - fs1)
    s2 = np.minimum(np.floor(fs2).astype(np.int64), in_len - 1)
    s1 = np.minimum(np.ceil(fs1).astype(np.int64), s2)
    taps = int((s2 - s1).max()) + 2  # a partial pixel each side of the whole ones
    idx = s1[:, None] - 1 + np.arange(taps)
    weights = np.where((idx >= s1[:, None]) & (idx < s2[:, None]), 1.0 / cell[:, None], 0.0)
    left = (s1 - fs1 > 1e-3)[:, None] & (idx == s1[:, None] - 1)
    right = (fs2 - s2 > 1e-3)[:, None] & (idx == s2[:, None])
    weights = np.where(left, ((s1 - fs1) / cell)[:, None], weights)
    partial = np.minimum(np.minimum(fs2 - s2, 1.0), cell) / cell
    weights = np.where(right, partial[:, None], weights)
    return np.clip(idx, 0, in_len - 1), weights.astype(_F32)


def _gather(x: Array, axis: int, idx: np.ndarray) -> Array:
    """x with `axis` replaced by the (positions, taps) of `idx`."""
    return bind("take", x, constant(idx.astype(np.int32), x), axis=axis, mode="clip")


def _along(table: np.ndarray, axis: int, like: Array) -> Array:
    """A (positions, taps) table as a constant at axes (axis, axis + 1) of `like`'s shape."""
    shape = (1,) * axis + table.shape + (1,) * (like.ndim - axis - 2)
    return broadcast_exact(constant(table.reshape(shape), like), like.shape)


def _weighted_sum(x: Array, axis: int, idx: np.ndarray, weights: np.ndarray) -> Array:
    """sum_k weights[i, k] * x[..., idx[i, k], ...] along `axis`, in x's dtype (a reduction:
    its order is the kernel's, within rounding of OpenCV's)."""
    g = _gather(x, axis, idx)
    return bind("reduce_sum", g * _along(weights.astype(x._dtype), axis, g), axes=(axis + 1,))


def _float32_sum(x: Array, axis: int, idx: np.ndarray, weights: np.ndarray) -> Array:
    """The same sum as OpenCV's float loops do it for uint8 images, whose rounding it
    decides: each product rounded to float32 (made exactly in float64 first, so that no
    fused multiply-add skips the rounding), then added in tap order, which a reduction
    would not keep."""
    def term(k: int) -> Array:
        g = bind("take", x, constant(idx[:, k].astype(np.int32), x), axis=axis, mode="clip")
        w = weights[:, k].astype(np.float64).reshape((-1,) + (1,) * (x.ndim - axis - 1))
        return cast(cast(g, np.float64) * broadcast_exact(constant(w, x), g.shape), np.float32)

    total = term(0)
    for k in range(1, idx.shape[1]):
        total = total + term(k)
    return total


def _fixed(weights: np.ndarray) -> np.ndarray:
    """float32 weights as OpenCV's int16 fixed-point ones (rounded half to even)."""
    return np.rint(weights * _F32(_ONE)).astype(np.int32)


def _resize_generic(x: Array, w_axis: int, size: tuple[int, int], interp: int) -> Array:
    """Bilinear, bicubic, Lanczos and enlarging area: OpenCV's resizeGeneric_."""
    (h, w), (oh, ow) = x.shape[w_axis - 1:w_axis + 1], size
    ix, wx = _interp_taps(ow, w, interp, across=True)
    iy, wy = _interp_taps(oh, h, interp, across=False)
    used = np.unique(iy)
    if len(used) < h:  # shrinking: resample only the rows the height's taps read, as OpenCV
        x = bind("take", x, constant(used.astype(np.int32), x), axis=w_axis - 1, mode="clip")
        iy = np.searchsorted(used, iy)
    if x._dtype != np.uint8:
        return _weighted_sum(_weighted_sum(x, w_axis, ix, wx), w_axis - 1, iy, wy)
    rows = _weighted_sum(cast(x, np.int32), w_axis, ix, _fixed(wx))  # exact: < 2**21
    h_axis, by = w_axis - 1, _fixed(wy)
    if _TAPS[interp] == 2:
        # VResizeLinear's uint8 form: each term (b * (S >> 4)) >> 16, then (sum + 2) >> 2
        g = ew("div", _gather(rows, h_axis, iy), 16)
        g = ew("div", g * _along(by, h_axis, g), 65536)
        total = bind("reduce_sum", g, axes=(h_axis + 1,))
        return cast(ew("div", total + 2, 4), np.uint8)
    exact = ew("div", _weighted_sum(rows, h_axis, iy, by) + (1 << 21), 1 << 22)
    exact = clip(exact, 0.0, 255.0)
    if interp == 4:
        return cast(exact, np.uint8)
    # Bicubic: OpenCV's SSE2 loop does each image row's first multiple of 8 values (of
    # width * channels) in float32, rounded half to even; the rest in the integer form.
    vector = _float32_sum(rows, h_axis, iy, by * _F32(1 / _ONE ** 2))
    vector = clip(ew("rint", vector), 0.0, 255.0)
    row = ow * x.shape[-1]
    if row % 8 == 0:
        return cast(vector, np.uint8)
    in_loop = (np.arange(row) < row - row % 8).reshape(ow, x.shape[-1])
    mask = broadcast_exact(constant(in_loop, x), exact.shape)
    return cast(select(mask, cast(vector, np.int32), exact), np.uint8)


def _integer_factor(scale: float) -> int | None:
    """`scale` as an integer when it is one (OpenCV's test: within DBL_EPSILON)."""
    factor = round(scale)
    return factor if abs(scale - factor) < np.finfo(np.float64).eps else None


def _resize_area(x: Array, w_axis: int, size: tuple[int, int], fx: int | None,
                 fy: int | None) -> Array:
    """Area interpolation when shrinking both sides (or keeping one): OpenCV's
    resizeAreaFast_ for integer factors `fx`, `fy` (a box sum), else resizeArea_ (float32
    coverage tables)."""
    (h, w), (oh, ow) = x.shape[w_axis - 1:w_axis + 1], size
    if fx is not None and fy is not None:
        lead, channels = x.shape[:w_axis - 1], x.shape[w_axis + 1:]
        blocks = bind("reshape", cast(x, np.int32) if x._dtype == np.uint8 else x,
                      shape=lead + (oh, fy, ow, fx) + channels)
        total = bind("reduce_sum", blocks, axes=(w_axis, w_axis + 2))
        scale = float(_F32(1 / (fx * fy)))  # (a float, as OpenCV's 1.f / area)
        if x._dtype != np.uint8:
            return total * scale
        if (fx, fy) == (2, 2) and x.shape[-1] in (1, 3, 4):  # its SSE2 form: (sum + 2) >> 2
            return cast(ew("div", total + 2, 4), np.uint8)
        return cast(clip(ew("rint", cast(total, np.float32) * scale), 0.0, 255.0), np.uint8)
    ix, wx = _area_taps(ow, w)
    iy, wy = _area_taps(oh, h)
    if x._dtype != np.uint8:
        return _weighted_sum(_weighted_sum(x, w_axis, ix, wx), w_axis - 1, iy, wy)
    y = _float32_sum(_float32_sum(x, w_axis, ix, wx), w_axis - 1, iy, wy)
    return cast(clip(ew("rint", y), 0.0, 255.0), np.uint8)


def _resize_nearest(x: Array, w_axis: int, size: tuple[int, int]) -> Array:
    """OpenCV's resizeNN: output pixel i takes source pixel floor(i * scale)."""
    for axis, out_len in ((w_axis - 1, size[0]), (w_axis, size[1])):
        in_len = x.shape[axis]
        idx = np.floor(np.arange(out_len) * _inverse_scale(out_len, in_len))
        x = bind("take", x, constant(np.minimum(idx, in_len - 1).astype(np.int32), x),
                 axis=axis, mode="clip")
    return x


@register_operator("_image_resize", kinds={"size": "shape"})
def resize(data: Array, size: Any = (), keep_ratio: bool = False, interp: int = 1) -> Array:
    """Resize (H, W, C) or (N, H, W, C) images to `size` = (width, height), or to a square
    (or, with `keep_ratio`, a short side) of `size` pixels, as OpenCV's cv::resize does.
    `interp`: 0 nearest, 1 bilinear, 2 bicubic (Keys, A = -0.75), 3 area (a box filter
    weighted by pixel coverage when shrinking; bilinear-like when enlarging), 4 Lanczos
    (8 x 8). uint8 images are computed in OpenCV's fixed point and match it pixel for pixel;
    float images are computed in their dtype and differentiate.

    >>> img = mx.nd.array(np.arange(48).reshape(4, 4, 3), dtype='uint8')  # doctest: +SKIP
    >>> mx.nd.image.resize(img, (6, 5), interp=2).shape  # doctest: +SKIP
    (5, 6, 3)
    """
    data = _image("resize", data)
    if data._dtype.kind not in "fiu":
        raise DTypeError(f"resize: the image must hold numbers, got {data._dtype}")
    if interp not in (0, 1, 2, 3, 4):
        raise ParamError(f"resize: interp must be 0 (nearest), 1 (bilinear), 2 (bicubic), 3 "
                         f"(area) or 4 (Lanczos), got {interp!r}")
    if size is None or (not isinstance(size, (int, np.integer)) and len(size) == 0):
        raise ParamError("resize: size must be given as an int or (width, height)")
    w_axis = data.ndim - 2
    h, w = data.shape[w_axis - 1], data.shape[w_axis]
    oh, ow = _target_size(size, keep_ratio, h, w)
    if oh <= 0 or ow <= 0:
        raise ParamError(f"resize: the target size ({ow}, {oh}) must be positive")
    if (oh, ow) == (h, w):  # OpenCV copies
        return bind("cast", data, dtype=data._dtype)
    return _resize_program((oh, ow), int(interp))(data)


@functools.lru_cache(maxsize=256)
def _resize_program(size: tuple[int, int], interp: int) -> Callable[[Array], Array]:
    """Resizing to `size` (height, width) as one jitted function: eagerly one program (not
    an eager kernel per tap), recorded on the tape as one call."""

    def resize_images(data: Array) -> Array:
        w_axis = data.ndim - 2
        h, w = data.shape[w_axis - 1:w_axis + 1]
        if interp == 0:
            return _resize_nearest(data, w_axis, size)
        x = data if data._dtype.kind == "f" or data._dtype == np.uint8 else cast(data,
                                                                                  np.float32)
        sx, sy = _inverse_scale(size[1], w), _inverse_scale(size[0], h)
        fx, fy, method = _integer_factor(sx), _integer_factor(sy), interp
        if method == 1 and fx == fy == 2:
            method = 3  # OpenCV halves bilinearly with its 2 x 2 box average
        if method == 3 and sx >= 1 and sy >= 1:
            y = _resize_area(x, w_axis, size, fx, fy)
        else:
            y = _resize_generic(x, w_axis, size, method)
        if y._dtype == data._dtype:
            return y
        info = np.iinfo(data._dtype)  # other integers: rounded half to even, saturated
        return cast(clip(ew("rint", y), float(info.min), float(info.max)), data._dtype)

    return jit(resize_images)


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
