"""Decoding image files into (H, W, C) uint8 NDArrays, through Pillow.

MXNet decodes with OpenCV; Pillow reads the same formats with the same decoders (libpng,
libjpeg), and where OpenCV turns a colour image gray its own way, the same arithmetic is
done here, so `imdecode` gives MXNet's numbers: a PNG goes gray through libpng's
truncating fixed-point luma, a JPEG through the decoder's own luma channel, anything else
through OpenCV's rounded fixed-point `cvtColor`.

    >>> mx.image.imdecode(open('cat.png', 'rb').read()).shape  # doctest: +SKIP
    (224, 224, 3)
"""
from __future__ import annotations

import io
import os
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import nd
from ..base import MissingFileError, MXNetError, ParamError

if TYPE_CHECKING:
    from PIL import Image

# (red, green, blue, shift): gray = (r * red + g * green + b * blue + round) >> shift.
# libpng's rgb_to_gray with (0.299, 0.587) as OpenCV asks for it: 15-bit coefficients whose
# sum is 1, truncated; OpenCV's cvtColor: 14-bit BT.601 coefficients, rounded.
_LIBPNG_GRAY = (9797, 19234, 3737, 15, 0)
_OPENCV_GRAY = (4899, 9617, 1868, 14, 1 << 13)
_GRAY_MODES = ("L", "I;16", "I;16B", "I;16L", "I", "1")


def _gray(rgb: np.ndarray, rule: tuple[int, int, int, int, int]) -> np.ndarray:
    red, green, blue, shift, rounding = rule
    r, g, b = (rgb[..., k].astype(np.int64) for k in range(3))
    return ((r * red + g * green + b * blue + rounding) >> shift).astype(np.uint8)


def _to_uint8(img: Image.Image) -> np.ndarray:
    """The pixels of a gray image as uint8 (16-bit samples keep their high byte, as OpenCV
    reduces them without IMREAD_ANYDEPTH)."""
    values = np.asarray(img)
    if img.mode == "1":
        return values.astype(np.uint8) * 255
    if values.dtype != np.uint8:
        return (values.astype(np.int64) >> 8).clip(0, 255).astype(np.uint8)
    return values


def _decode(data: bytes, flag: int, to_rgb: bool) -> np.ndarray:
    # (imported when used: `import mxjit` needs no Pillow)
    from PIL import Image, UnidentifiedImageError

    try:
        img = Image.open(io.BytesIO(data))
        if flag == 0 and img.format == "JPEG":
            img.draft("L", img.size)  # the decoder's luma, with no scaling
        img.load()
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise MXNetError(f"imdecode: decoding failed, the {len(data)} bytes are not an image "
                         f"Pillow can read ({err})") from None
    if flag == 0:
        if img.mode in _GRAY_MODES:
            gray = _to_uint8(img)
        else:
            rule = _LIBPNG_GRAY if img.format == "PNG" else _OPENCV_GRAY
            gray = _gray(np.asarray(img.convert("RGB")), rule)
        return gray[:, :, None]
    if img.mode in _GRAY_MODES:
        rgb = np.repeat(_to_uint8(img)[:, :, None], 3, axis=2)
    else:
        rgb = np.asarray(img.convert("RGB"))
    return rgb if to_rgb else rgb[:, :, ::-1]


def _result(pixels: np.ndarray, out: nd.NDArray | None) -> nd.NDArray:
    if out is None:
        return nd.array(np.ascontiguousarray(pixels), dtype=np.uint8)
    if tuple(out.shape) != pixels.shape:
        raise ParamError(f"imdecode: out has shape {tuple(out.shape)}, the image "
                         f"{pixels.shape}")
    out[:] = nd.array(np.ascontiguousarray(pixels), dtype=out.dtype)
    return out


def _check_flag(fn: str, flag: int) -> int:
    if flag not in (0, 1):
        raise ParamError(f"{fn}: flag must be 1 (colour, 3 channels) or 0 (gray, 1 channel), "
                         f"got {flag!r}")
    return int(flag)


def imdecode(buf: Any, flag: int = 1, to_rgb: bool = True,
             out: nd.NDArray | None = None) -> nd.NDArray:
    """Decode an image file held in memory (PNG, JPEG, BMP, ...) into an (H, W, 3) uint8
    NDArray, RGB (BGR with `to_rgb=False`), or (H, W, 1) gray with `flag=0`.

    >>> mx.image.imdecode(open('cat.jpg', 'rb').read(), flag=0).shape  # doctest: +SKIP
    (224, 224, 1)
    """
    flag = _check_flag("imdecode", flag)
    if isinstance(buf, nd.NDArray):
        buf = buf.asnumpy().astype(np.uint8)
    if isinstance(buf, np.ndarray):
        data = np.ascontiguousarray(buf).tobytes()
    elif isinstance(buf, (bytes, bytearray, memoryview)):
        data = bytes(buf)
    else:
        raise ParamError(f"imdecode: buf must be bytes, bytearray, a numpy.ndarray or an "
                         f"NDArray, got {type(buf).__name__} (encode a str to bytes first)")
    return _result(_decode(data, flag, bool(to_rgb)), out)


def imread(filename: str, flag: int = 1, to_rgb: bool = True,
           out: nd.NDArray | None = None) -> nd.NDArray:
    """Read and decode an image file: `imdecode` of its bytes.

    >>> mx.image.imread('cat.jpg').shape  # doctest: +SKIP
    (224, 224, 3)
    """
    flag = _check_flag("imread", flag)
    path = os.fspath(filename)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise MissingFileError(f"imread: cannot open {path!r}: no such file") from None
    return imdecode(data, flag, to_rgb, out)
