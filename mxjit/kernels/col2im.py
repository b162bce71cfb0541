"""col2im for the data gradient of a convolution: each column entry added to the data
position it was read from, as one generated kernel per shape.

The column gradients of a chunk of B images are a (C, *K, B, *O) array: entry (c, k, b, o)
belongs to data position o * stride + k * dilate - pad of channel c of image b. Summed as
a gather (`window_spread` over the taps: every data position tests every tap for a window
that read it) this cost 6.8 ms for LeNet's second layer on a 2-core host; added where it
belongs it costs 0.6 ms: the kernel loops over (image, channel, *tap, *window position),
the last innermost, and adds each entry into the data padded by `pad` on each side, where
every position a window reads lies, so nothing is tested. Threads split the images, and
each image's channels belong to one thread: no two threads add into one element.

    >>> dx = col2im(cols, kernel=(5, 5), out=(8, 8), size=(12, 12), stride=(1, 1),
    ...             dilate=(1, 1), pad=(0, 0))  # doctest: +SKIP
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..lower import I64, KERNELS, Expr, Kernel, Store, iconst, launch, loop_var


def _add(a: Expr, b: Expr, dtype: np.dtype = I64) -> Expr:
    return Expr.make("add", dtype, (a, b))


def _mul(a: Expr, b: int) -> Expr:
    return Expr.make("mul", I64, (a, iconst(b)))


def scatter_kernel(channels: int, kernel: Sequence[int], images: int, out: Sequence[int],
                   padded: Sequence[int], stride: Sequence[int], dilate: Sequence[int],
                   dtype: np.dtype) -> Kernel:
    """The kernel adding (C, *K, B, *O) columns (slot 0) into (B, C, *padded) data
    (slot 1) at o * stride + k * dilate per spatial axis.

    >>> scatter_kernel(2, (3,), 1, (4,), (6,), (1,), (1,), np.dtype('f4')).dims
    (1, 2, 3, 4)
    """
    nd = len(kernel)
    dims = (images, channels) + tuple(kernel) + tuple(out)
    b, c = loop_var(0), loop_var(1)
    taps = [loop_var(2 + i) for i in range(nd)]
    spots = [loop_var(2 + nd + i) for i in range(nd)]
    read = c
    for t, k in zip(taps, kernel):
        read = _add(_mul(read, k), t)
    read = _add(_mul(read, images), b)
    for o, m in zip(spots, out):
        read = _add(_mul(read, m), o)
    at = _add(_mul(b, channels), c)
    for o, t, s, d, p in zip(spots, taps, stride, dilate, padded):
        at = _add(_mul(at, p), _add(_mul(o, s), _mul(t, d)))
    dtype = np.dtype(dtype)
    total = _add(Expr.make("load", dtype, (at,), 1), Expr.make("load", dtype, (read,), 0),
                 dtype)
    return Kernel("col2im_scatter", dims, (False,) * len(dims), 0, (dtype, dtype), 1,
                  (Store(1, at, total),))


def col2im(cols: np.ndarray, kernel: Sequence[int], out: Sequence[int], size: Sequence[int],
           stride: Sequence[int], dilate: Sequence[int], pad: Sequence[int],
           into: np.ndarray | None = None) -> np.ndarray:
    """The (B, C, *size) data gradient of contiguous (C, *kernel, B, *out) column
    gradients, written into `into` when given (C-contiguous, that shape).

    >>> col2im(np.ones((1, 2, 1, 2), 'f'), (2,), (2,), (3,), (1,), (1,), (0,))[0, 0]
    array([1., 2., 1.], dtype=float32)
    """
    channels, images = cols.shape[0], cols.shape[1 + len(kernel)]
    # (the padded extent holds every position a window reads: size + 2 pad, or more when
    # the windows reach past the padding's end)
    padded = tuple(max(n + 2 * p, (m - 1) * s + (k - 1) * d + 1)
                   for n, p, m, s, k, d in zip(size, pad, out, stride, kernel, dilate))
    exact = padded == tuple(size) and not any(pad)
    shape = (images, channels) + tuple(size)
    target = into if exact and into is not None else np.empty(
        (images, channels) + padded if not exact else shape, cols.dtype)
    target[...] = 0
    if target.size and cols.size:
        compiled = KERNELS.get(scatter_kernel(channels, kernel, images, out, padded, stride,
                                              dilate, cols.dtype))
        launch(compiled.call, [cols, target], images, math.prod(cols.shape))
    if exact:
        return target
    inner = target[(slice(None), slice(None))
                   + tuple(slice(p, p + n) for p, n in zip(pad, size))]
    if into is None:
        return np.ascontiguousarray(inner)
    into[...] = inner
    return into
