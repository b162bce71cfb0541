"""Patch operators: `im2col` (sliding windows as columns), its adjoint `col2im`, and the
optical-flow `Correlation` of two feature maps.

All three are movement ops (pad, strided slices, concat; Correlation gathers the displaced
windows with constant indices) plus sums, so they fuse into a few kernels and differentiate
through the primitives' rules: im2col and col2im are linear and each is the other's gradient.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..base import DTypeError, ParamError, ShapeError
from ..core import Array, bind, scalar_operand
from ..core.operators import register_operator
from . import reduce
from .conv import Pooling, spatial_param, spread, window_columns
from .operands import constant, ew, reshape_exact, select
from .shape import slice_ranges

_WINDOW = {"kernel": "shape", "stride": "shape", "dilate": "shape", "pad": "shape"}


def _floats(op: str, *arrays: Array) -> None:
    for a in arrays:
        if a._dtype.kind != "f":
            raise DTypeError(f"{op}: needs floating-point data (as MXNet), got {a._dtype.name}")


def window_params(op: str, kernel: Any, stride: Any, dilate: Any, pad: Any
                  ) -> tuple[tuple[int, ...], ...]:
    """kernel, stride, dilate and pad as one int per spatial axis (1-D, 2-D or 3-D windows;
    stride and dilate default to 1, pad to 0), checked.

    >>> window_params("im2col", (2, 2), (), (), 1)
    ((2, 2), (1, 1), (1, 1), (1, 1))
    """
    nd = len(kernel) if isinstance(kernel, (tuple, list)) else 0
    if nd not in (1, 2, 3):
        raise ParamError(f"{op}: kernel must have 1, 2 or 3 entries, got {kernel!r}")
    params = tuple(spatial_param(op, name, value, nd, default) for name, value, default in
                   (("kernel", kernel, 1), ("stride", stride, 1), ("dilate", dilate, 1),
                    ("pad", pad, 0)))
    k, s, d, p = params
    if min(k + s + d) < 1 or min(p) < 0:
        raise ParamError(f"{op}: kernel {k}, stride {s} and dilate {d} must be positive and "
                         f"pad {p} non-negative")
    return params


def _blocks(op: str, spatial: Sequence[int], kernel: Sequence[int], stride: Sequence[int],
            dilate: Sequence[int], pad: Sequence[int]) -> tuple[int, ...]:
    """The number of windows along each spatial axis (the convolution's output size)."""
    extent = [dl * (k - 1) + 1 for dl, k in zip(dilate, kernel)]
    if any(e > d + 2 * p for e, d, p in zip(extent, spatial, pad)):
        raise ShapeError(f"{op}: kernel {tuple(kernel)} dilated by {tuple(dilate)} exceeds the "
                         f"spatial size {tuple(spatial)} padded by {tuple(pad)}")
    return tuple((d + 2 * p - e) // s + 1 for d, p, e, s in zip(spatial, pad, extent, stride))


@register_operator("im2col", kinds=_WINDOW)
def im2col(data: Array, kernel: Sequence[int], stride: Sequence[int] = (),
           dilate: Sequence[int] = (), pad: Sequence[int] = ()) -> Array:
    """The sliding windows of (N, C, *spatial) data as columns: (N, C * prod(kernel), L),
    L being the number of windows (the output size of a convolution with the same
    parameters); row c * prod(kernel) + k holds channel c at kernel offset k (row-major).

    >>> mx.nd.im2col(mx.nd.ones((1, 2, 4, 4)), kernel=(2, 2)).shape  # doctest: +SKIP
    (1, 8, 9)
    """
    kernel, stride, dilate, pad = window_params("im2col", kernel, stride, dilate, pad)
    if data.ndim != len(kernel) + 2:
        raise ShapeError(f"im2col: a {len(kernel)}-D kernel needs {len(kernel) + 2}-D data "
                         f"(batch, channel, spatial...), got shape {data.shape}")
    _floats("im2col", data)
    out_size = _blocks("im2col", data.shape[2:], kernel, stride, dilate, pad)
    cols = window_columns(data, kernel, stride, dilate, pad, out_size)
    n, c = data.shape[:2]
    return reshape_exact(cols, (n, c * math.prod(kernel), math.prod(out_size)))


@register_operator("col2im", kinds={**_WINDOW, "output_size": "shape"})
def col2im(data: Array, output_size: Sequence[int], kernel: Sequence[int],
           stride: Sequence[int] = (), dilate: Sequence[int] = (), pad: Sequence[int] = ()
           ) -> Array:
    """Sum (N, C * prod(kernel), L) columns back into (N, C, *output_size) images: the
    adjoint of `im2col` (overlapping windows add up), so col2im(im2col(x)) is x times the
    number of windows covering each pixel.

    >>> cols = mx.nd.im2col(mx.nd.ones((1, 1, 3, 3)), kernel=(2, 2))  # doctest: +SKIP
    >>> mx.nd.col2im(cols, output_size=(3, 3), kernel=(2, 2))[0, 0, 1]  # doctest: +SKIP
    [2. 4. 2.]
    """
    kernel, stride, dilate, pad = window_params("col2im", kernel, stride, dilate, pad)
    nd = len(kernel)
    size = spatial_param("col2im", "output_size", output_size, nd, 0)
    if min(size) < 1:
        raise ParamError(f"col2im: output_size must be positive, got {tuple(size)}")
    taps = math.prod(kernel)
    blocks = _blocks("col2im", size, kernel, stride, dilate, pad)
    if data.ndim != 3 or data.shape[1] % taps or data.shape[2] != math.prod(blocks):
        raise ShapeError(f"col2im: data must have shape (N, C * {taps}, {math.prod(blocks)}) "
                         f"for output_size {tuple(size)}, kernel {kernel}, stride {stride}, "
                         f"dilate {dilate} and pad {pad}; got {data.shape}")
    _floats("col2im", data)
    n, c = data.shape[0], data.shape[1] // taps
    cols = reshape_exact(data, (n, c, taps) + blocks)
    padded = tuple(d + 2 * p for d, p in zip(size, pad))
    zero = scalar_operand(0, data)
    total = None
    for t, offsets in enumerate(itertools.product(*(range(k) for k in kernel))):
        piece = reshape_exact(slice_ranges(cols, (0, 0, t) + (0,) * nd,
                                           (n, c, t + 1) + blocks, (1,) * (nd + 3)),
                              (n, c) + blocks)
        for axis, s in enumerate(stride):
            if s > 1 and blocks[axis] > 1:
                piece = spread(piece, 2 + axis, s)
        low = tuple(o * dl for o, dl in zip(offsets, dilate))
        high = tuple(d - lo - m for d, lo, m in zip(padded, low, piece.shape[2:]))
        piece = bind("pad", piece, zero, low=(0, 0) + low, high=(0, 0) + high)
        total = piece if total is None else total + piece
    assert total is not None
    return slice_ranges(total, (0, 0) + pad, (n, c) + tuple(p + d for p, d in zip(pad, size)),
                        (1,) * (nd + 2))


# ---- Correlation -------------------------------------------------------------------------


@register_operator("Correlation", inputs=("data1", "data2"))
def Correlation(data1: Array, data2: Array, kernel_size: int = 1, max_displacement: int = 1,
                stride1: int = 1, stride2: int = 1, pad_size: int = 0,
                is_multiply: bool = True) -> Array:
    """FlowNet's correlation of two (N, C, H, W) maps: for each position of data1 (every
    stride1-th, after zero-padding both by pad_size) and each displacement (a multiple of
    stride2 up to max_displacement in y and x), the mean over channels and a
    kernel_size x kernel_size patch of data1 * data2 (or |data1 - data2| when not
    is_multiply). Output: (N, (2 * (max_displacement // stride2) + 1) ** 2, Ho, Wo),
    displacements in row-major order (y, then x).

    >>> a = mx.nd.ones((1, 2, 5, 5))
    >>> mx.nd.Correlation(a, a, kernel_size=1, max_displacement=1).shape  # doctest: +SKIP
    (1, 9, 3, 3)
    """
    for name, value, least in (("kernel_size", kernel_size, 1), ("stride1", stride1, 1),
                               ("stride2", stride2, 1), ("max_displacement", max_displacement, 0),
                               ("pad_size", pad_size, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
            raise ParamError(f"Correlation: {name} must be an int >= {least}, got {value!r}")
    if kernel_size % 2 == 0:
        raise ParamError(f"Correlation: kernel_size must be odd, got {kernel_size}")
    if data1.ndim != 4 or data2.shape != data1.shape:
        raise ShapeError(f"Correlation: data1 and data2 must be 4-D (N, C, H, W) of one shape, "
                         f"got {data1.shape} and {data2.shape}")
    _floats("Correlation", data1)
    if data2._dtype != data1._dtype:
        raise DTypeError(f"Correlation: data1 and data2 must share a dtype, got "
                         f"{data1._dtype.name} and {data2._dtype.name}")
    n, c, h, w = data1.shape
    k, md, s1, s2, p = kernel_size, max_displacement, stride1, stride2, pad_size
    border = md + (k - 1) // 2
    out_h, out_w = (math.ceil((d + 2 * p - 2 * border) / s1) for d in (h, w))
    if out_h < 1 or out_w < 1:
        raise ShapeError(f"Correlation: max_displacement {md} and kernel_size {k} do not fit "
                         f"data {data1.shape} padded by {p}")
    # The patches of data1 start at md + i * stride1 in the padded map; span is the extent
    # of the rows/columns they cover, each displacement a shifted window of the same span.
    span = ((out_h - 1) * s1 + k, (out_w - 1) * s1 + k)
    first = reshape_exact(_window(_zero_pad(data1, p), md, md, span), (n, c, 1) + span)
    # every displaced window of data2 in one gather (constant indices into the padded maps)
    padded2 = _zero_pad(data2, p)
    width = padded2.shape[3]
    radius = md // s2
    steps = np.arange(-radius, radius + 1) * s2
    rows = (md + steps[:, None, None, None] + np.arange(span[0])[None, None, :, None]) * width
    cols = md + steps[None, :, None, None] + np.arange(span[1])[None, None, None, :]
    index = (rows + cols).reshape(-1, *span)  # (displacements, *span), y-major
    flat = reshape_exact(padded2, (n, c, padded2.shape[2] * width))
    moved = bind("take", flat, constant(index, flat), axis=2, mode="clip")
    if is_multiply:
        products = ew("mul", first, moved)
    else:
        # |a - b| written as a choice so that a tie sends +1 to data1 and -1 to data2,
        # as MXNet's backward does (abs's own gradient is 0 there)
        products = select(ew("ge", first, moved), ew("sub", first, moved),
                          ew("sub", moved, first))
    per_pixel = reduce.sum(products, axis=1)  # (N, displacements, *span)
    patches = Pooling(per_pixel, kernel=(k, k), stride=(s1, s1), pool_type="sum")
    return patches / float(k * k * c)


def _zero_pad(x: Array, pad: int) -> Array:
    """(N, C, H, W) data with `pad` zeros around each map."""
    if not pad:
        return x
    pads = (0, 0, pad, pad)
    return bind("pad", x, scalar_operand(0, x), low=pads, high=pads)


def _window(x: Array, top: int, left: int, span: tuple[int, int]) -> Array:
    """The span[0] x span[1] window of (N, C, H, W) maps whose corner is (top, left)."""
    n, c = x.shape[:2]
    return slice_ranges(x, (0, 0, top, left), (n, c, top + span[0], left + span[1]),
                        (1, 1, 1, 1))
