"""Rotating (C, H, W) or (N, C, H, W) float32 images about their centre, through
`mx.nd.BilinearSampler` (pixels outside the image read as 0), as MXNet's `imrotate`.

    >>> turned = mx.image.imrotate(img.astype('float32'), 30)  # doctest: +SKIP
    >>> jittered = mx.image.random_rotate(img.astype('float32'), (-10, 10))  # doctest: +SKIP
"""
from __future__ import annotations

from numbers import Number
from typing import Any

import numpy as np

from .. import nd
from ..base import ArgumentError, DTypeError, ParamError, ShapeError


def _zoom(h: int, w: int, rad: np.ndarray, zoom_out: bool) -> np.ndarray:
    """How far the sampling grid is scaled so that the rotated image covers the whole frame
    (zoom in) or the whole rotated image stays in the frame (zoom out): one factor per
    image, from the positions of the two rotated corners."""
    rho, corner = np.hypot(h, w), np.arctan(h / w)
    max_x = np.maximum(np.abs(rho * np.cos(corner + np.abs(rad))),
                       np.abs(rho * np.cos(corner - np.abs(rad))))
    max_y = np.maximum(np.abs(rho * np.sin(corner + np.abs(rad))),
                       np.abs(rho * np.sin(corner - np.abs(rad))))
    if zoom_out:
        return np.maximum(max_x / w, max_y / h)
    return np.minimum(w / max_x, h / max_y)


def imrotate(src: nd.NDArray, rotation_degrees: Any, zoom_in: bool = False,
             zoom_out: bool = False) -> nd.NDArray:
    """Rotate a float32 image (C, H, W) by `rotation_degrees` (a number), or a batch
    (N, C, H, W) by one angle or one per image (an NDArray of N angles), anticlockwise
    about the centre. `zoom_in` scales up until no empty corner shows, `zoom_out` scales
    down until the whole image shows.

    >>> mx.image.imrotate(mx.nd.ones((3, 4, 5)), 90).shape  # doctest: +SKIP
    (3, 4, 5)
    """
    if zoom_in and zoom_out:
        raise ParamError("imrotate: zoom_in and zoom_out cannot both be True")
    if src.dtype != np.float32:
        raise DTypeError(f"imrotate: only float32 images are supported, got {src.dtype}")
    single = src.ndim == 3
    if single and not isinstance(rotation_degrees, Number):
        raise ArgumentError("imrotate: one image takes one rotation angle (a number)")
    if src.ndim not in (3, 4):
        raise ShapeError(f"imrotate: src must be (C, H, W) or (N, C, H, W), got shape "
                         f"{tuple(src.shape)}")
    batch = nd.expand_dims(src, axis=0) if single else src
    n, h, w = int(batch.shape[0]), int(batch.shape[2]), int(batch.shape[3])
    if isinstance(rotation_degrees, Number):
        degrees = np.full(n, float(rotation_degrees))  # type: ignore[arg-type]
    else:
        degrees = np.asarray(rotation_degrees.asnumpy() if isinstance(rotation_degrees, nd.NDArray)
                             else rotation_degrees, dtype=np.float64).reshape(-1)
    if degrees.size != n:
        raise ShapeError(f"imrotate: {n} images but {degrees.size} rotation angles")
    rad = (np.pi * degrees.astype(np.float32) / 180).astype(np.float32)[:, None, None]
    hscale, wscale = (h - 1) / 2, (w - 1) / 2
    rows, cols = np.mgrid[0:h, 0:w].astype(np.float32)
    rows, cols = rows - np.float32(hscale), cols - np.float32(wscale)
    cos, sin = np.cos(rad), np.sin(rad)
    grid = np.stack([(cols * cos - rows * sin) / np.float32(wscale),
                     (cols * sin + rows * cos) / np.float32(hscale)], axis=1)
    if zoom_in or zoom_out:
        grid = grid * _zoom(h, w, rad, zoom_out)[:, :, :, None].astype(np.float32)
    out = nd.BilinearSampler(batch, nd.array(grid.astype(np.float32)))
    return out[0] if single else out


def random_rotate(src: nd.NDArray, angle_limits: tuple[float, float], zoom_in: bool = False,
                  zoom_out: bool = False) -> nd.NDArray:
    """`imrotate` by an angle drawn uniformly from `angle_limits` (degrees; one per image of
    a batch), from mxjit's random streams (MXNet draws from NumPy's).

    >>> mx.image.random_rotate(mx.nd.ones((3, 4, 5)), (-15, 15)).shape  # doctest: +SKIP
    (3, 4, 5)
    """
    low, high = float(angle_limits[0]), float(angle_limits[1])
    count = 1 if src.ndim == 3 else int(src.shape[0])
    degrees = nd.random.uniform(low, high, shape=(count,), dtype="float64").asnumpy()
    if src.ndim == 3:
        return imrotate(src, float(degrees[0]), zoom_in, zoom_out)
    return imrotate(src, nd.array(degrees), zoom_in, zoom_out)
