"""Resizing, cropping and normalising decoded (H, W, C) images, over `mx.nd.image`.

Sizes are (width, height), as in MXNet. The random crops draw from mxjit's random streams,
so `mx.random.seed` makes them repeat (MXNet draws them from Python's `random`).

Resizing is `mx.nd.image.resize`, OpenCV's arithmetic: nearest (0), bilinear (1), bicubic (2,
the default of the crops here), area (3) and Lanczos (4) give MXNet's pixels.

    >>> img = mx.image.imread('cat.jpg')  # doctest: +SKIP
    >>> small = mx.image.resize_short(img, 256, interp=1)  # doctest: +SKIP
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import nd
from ..base import ParamError

_INTERP_NAMES = {0: "nearest", 1: "bilinear", 2: "bicubic", 3: "area", 4: "Lanczos"}


def _unit_uniform(n: int) -> np.ndarray:
    return nd.random.uniform(0.0, 1.0, shape=(n,), dtype="float64").asnumpy()


def _operand(value: Any, dtype: Any) -> Any:
    """Numbers and NDArrays as they are; sequences as NDArrays of the image's dtype."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return nd.array(value, dtype=dtype)
    return value


def _randint(low: int, high: int) -> int:
    """An integer drawn uniformly from [low, high] (both ends included, as Python's
    `random.randint`)."""
    return int(nd.random.randint(low, high + 1, shape=(1,)).asnumpy()[0])


def _interp_method(interp: int, sizes: tuple[int, int, int, int]) -> int:
    """MXNet's interpolation code, with 9 (by direction: bicubic to enlarge, area to
    shrink, else bilinear; `sizes` is (old h, old w, new h, new w)) and 10 (random) made
    concrete."""
    if interp == 9:
        oh, ow, nh, nw = sizes
        if nh > oh and nw > ow:
            return 2
        return 3 if nh < oh and nw < ow else 1
    if interp == 10:
        return _randint(0, 4)
    if interp not in _INTERP_NAMES:
        raise ParamError(f"unknown interpolation method {interp!r}: use 0 (nearest), 1 "
                         f"(bilinear), 2 (bicubic), 3 (area), 4 (Lanczos), 9 (auto) or 10 "
                         f"(random)")
    return interp


def _hw(src: nd.NDArray, fn: str) -> tuple[int, int]:
    if src.ndim != 3:
        raise ParamError(f"{fn}: src must be one (H, W, C) image, got shape {tuple(src.shape)}")
    return int(src.shape[0]), int(src.shape[1])


def imresize(src: nd.NDArray, w: int, h: int, interp: int = 1,
             out: nd.NDArray | None = None) -> nd.NDArray:
    """Resize an (H, W, C) image to `h` x `w` (`interp` as OpenCV's codes: 0 nearest, 1
    bilinear, 2 bicubic, 3 area, 4 Lanczos; 9 picks by direction, 10 at random).

    >>> mx.image.imresize(mx.nd.zeros((4, 6, 3), dtype='uint8'), 3, 2).shape  # doctest: +SKIP
    (2, 3, 3)
    """
    h0, w0 = _hw(src, "imresize")
    method = _interp_method(interp, (h0, w0, int(h), int(w)))
    result = nd.image.resize(src, (int(w), int(h)), False, method)  # type: ignore[attr-defined]
    if out is None:
        return result
    out[:] = result
    return out


def scale_down(src_size: tuple[int, int], size: tuple[int, int]) -> tuple[int, int]:
    """Shrink a crop size (w, h) to fit an image of `src_size` (w, h), keeping its aspect
    ratio.

    >>> mx.image.scale_down((640, 480), (720, 120))  # doctest: +SKIP
    (640, 106)
    """
    w, h = size
    sw, sh = src_size
    fw, fh = float(w), float(h)
    if sh < fh:
        fw, fh = fw * sh / fh, sh
    if sw < fw:
        fw, fh = sw, fh * sw / fw
    return int(fw), int(fh)


def resize_short(src: nd.NDArray, size: int, interp: int = 2) -> nd.NDArray:
    """Resize an (H, W, C) image so that its shorter side is `size` pixels, keeping the
    aspect ratio (the longer side rounded down).

    >>> mx.image.resize_short(mx.nd.zeros((6, 8, 3), dtype='uint8'), 3).shape  # doctest: +SKIP
    (3, 4, 3)
    """
    h, w = _hw(src, "resize_short")
    if h > w:
        new_h, new_w = size * h // w, size
    else:
        new_h, new_w = size, size * w // h
    return imresize(src, new_w, new_h, interp=_interp_method(interp, (h, w, new_h, new_w)))


def fixed_crop(src: nd.NDArray, x0: int, y0: int, w: int, h: int,
               size: tuple[int, int] | None = None, interp: int = 2) -> nd.NDArray:
    """The `w` x `h` window at column `x0`, row `y0` of an (H, W, C) image, resized to
    `size` (w, h) when given.

    >>> mx.image.fixed_crop(img, 0, 0, 100, 80, size=(50, 40))  # doctest: +SKIP
    """
    out = nd.image.crop(src, x0, y0, w, h)  # type: ignore[attr-defined]
    if size is not None and (w, h) != tuple(size):
        sizes = (h, w, int(size[1]), int(size[0]))
        out = imresize(out, *size, interp=_interp_method(interp, sizes))
    return out


def random_crop(src: nd.NDArray, size: tuple[int, int], interp: int = 2
                ) -> tuple[nd.NDArray, tuple[int, int, int, int]]:
    """A window of `size` (w, h) at a random place of an (H, W, C) image, shrunk first to
    fit the image (keeping its aspect ratio) and then resized to `size`. Returns the crop
    and its (x, y, w, h) in the image.

    >>> crop, (x, y, w, h) = mx.image.random_crop(img, (100, 100))  # doctest: +SKIP
    """
    h, w = _hw(src, "random_crop")
    new_w, new_h = scale_down((w, h), size)
    x0 = _randint(0, w - new_w)
    y0 = _randint(0, h - new_h)
    return fixed_crop(src, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)


def center_crop(src: nd.NDArray, size: tuple[int, int], interp: int = 2
                ) -> tuple[nd.NDArray, tuple[int, int, int, int]]:
    """The central window of `size` (w, h) of an (H, W, C) image, shrunk first to fit
    (keeping its aspect ratio) and then resized to `size`. Returns the crop and its
    (x, y, w, h) in the image.

    >>> crop, rect = mx.image.center_crop(img, (224, 224))  # doctest: +SKIP
    """
    h, w = _hw(src, "center_crop")
    new_w, new_h = scale_down((w, h), size)
    x0 = (w - new_w) // 2
    y0 = (h - new_h) // 2
    return fixed_crop(src, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)


def random_size_crop(src: nd.NDArray, size: tuple[int, int], area: Any,
                     ratio: tuple[float, float], interp: int = 2
                     ) -> tuple[nd.NDArray, tuple[int, int, int, int]]:
    """A random window covering a fraction in `area` (min, max; a number means (number,
    1)) of an (H, W, C) image with its aspect ratio w/h drawn log-uniformly from `ratio`,
    resized to `size` (w, h). After 10 windows that do not fit it takes `center_crop`.
    Returns the crop and its (x, y, w, h).

    >>> mx.image.random_size_crop(img, (224, 224), 0.08, (0.75, 1.33))[1]  # doctest: +SKIP
    """
    h, w = _hw(src, "random_size_crop")
    low, high = (float(area), 1.0) if isinstance(area, (int, float)) else map(float, area)
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        u = _unit_uniform(2)
        target = (low + (high - low) * u[0]) * h * w
        aspect = math.exp(log_ratio[0] + (log_ratio[1] - log_ratio[0]) * u[1])
        new_w = int(round(math.sqrt(target * aspect)))
        new_h = int(round(math.sqrt(target / aspect)))
        if new_w <= w and new_h <= h:
            x0 = _randint(0, w - new_w)
            y0 = _randint(0, h - new_h)
            return fixed_crop(src, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)
    return center_crop(src, size, interp)


def color_normalize(src: nd.NDArray, mean: Any, std: Any = None) -> nd.NDArray:
    """(src - mean) / std over the last (channel) axis, in place as in MXNet (`src` must be
    a float array); `mean` or `std` None skips that step.

    >>> mx.image.color_normalize(img.astype('float32'), mx.nd.array([123.7, 116.3, 103.5]),
    ...                          mx.nd.array([58.4, 57.1, 57.4]))  # doctest: +SKIP
    """
    if mean is not None:
        src -= _operand(mean, src.dtype)
    if std is not None:
        src /= _operand(std, src.dtype)
    return src


# OpenCV's border codes: constant, replicate, reflect, wrap, reflect-101, as np.pad modes.
_BORDERS = {0: "constant", 1: "edge", 2: "symmetric", 3: "wrap", 4: "reflect"}
# OpenCV's flag that keeps a region of interest from reading its parent image: a whole
# image has no parent, so the flag changes nothing (MXNet's detection padding passes 16).
_BORDER_ISOLATED = 16


def copyMakeBorder(src: nd.NDArray, top: int, bot: int, left: int, right: int,  # noqa: N802
                   type: int = 0, value: float = 0.0, values: Any = (),  # noqa: A002
                   out: nd.NDArray | None = None) -> nd.NDArray:
    """Pad an (H, W, C) image by `top`, `bot` rows and `left`, `right` columns, as OpenCV's
    border `type`: 0 constant (`values` per channel, else `value`), 1 replicate (aaa|abc),
    2 reflect (cba|abc), 3 wrap (xyz|abc...xyz), 4 reflect-101 (dcb|abcd); OpenCV's
    BORDER_ISOLATED flag (16) may be added to any of them.

    >>> src = mx.nd.zeros((4, 5, 3), dtype='uint8')  # doctest: +SKIP
    >>> mx.image.copyMakeBorder(src, 1, 2, 3, 4).shape  # doctest: +SKIP
    (7, 12, 3)
    """
    _hw(src, "copyMakeBorder")
    code = int(type) if isinstance(type, (int, np.integer)) else -1
    mode = _BORDERS.get(code & ~_BORDER_ISOLATED) if code >= 0 else None
    if mode is None:
        raise ParamError(f"copyMakeBorder: unknown border type {type!r}: use 0 (constant), "
                         f"1 (replicate), 2 (reflect), 3 (wrap) or 4 (reflect-101), "
                         f"optionally + 16 (isolated)")
    pixels = src.asnumpy()
    widths = [(int(top), int(bot)), (int(left), int(right))]
    if mode != "constant":
        padded = np.pad(pixels, widths + [(0, 0)], mode=mode)  # type: ignore[call-overload]
    else:
        fill = [values] if isinstance(values, (int, float)) else list(values) or [value]
        fill = (fill * pixels.shape[2])[:pixels.shape[2]] if len(fill) == 1 else fill
        padded = np.stack([np.pad(pixels[..., c], widths, constant_values=fill[c])
                           for c in range(pixels.shape[2])], axis=-1)
    result = nd.array(padded, dtype=src.dtype)
    if out is None:
        return result
    out[:] = result
    return out
