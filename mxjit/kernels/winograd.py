"""Winograd's minimal filtering F(2x2, 3x3): a 3x3, stride-1 convolution in 2.25x fewer
multiplications than im2col and GEMM, for the CPU plans of `convolution.py`.

Each output tile of 2x2 positions reads a 4x4 tile of the (padded) input, the tiles
overlapping by two. With the constant matrices B, G and A of Lavin and Gray ("Fast
Algorithms for Convolutional Neural Networks", 2015):

    Y = A^T [ (G g G^T) * (B^T d B) ] A        (4x4 elementwise product, summed over C)

Over a batch this is 16 independent GEMMs: for each of the 16 positions (xi, nu) of the
transformed tile, M[xi, nu] (F, P) = U[xi, nu] (F, C) @ V[xi, nu] (C, P), where
U = G g G^T are the transformed weights, V = B^T d B the transformed input tiles and P
counts the tiles. The input and output transforms are generated kernels (adds and
subtracts of strided slices; B and A hold only 0 and +-1), run a chunk of the batch at a
time so that V and M stay in cache between the kernels and the GEMMs.

The data gradient of a stride-1 convolution is the same forward product, of the output
gradient (padded by 2 - pad) with the flipped weights, channels swapped. (The weight
gradient's Winograd form, dU[xi, nu] = gM[xi, nu] @ V[xi, nu]^T summed over the tiles,
loses to im2col: see `convolution.strategy`.)

F(2x2, 3x3) rounds a little more than a direct sum (the transforms add up to 4 terms
each), about 1e-6 relative to the largest output in float32, so it is used for float32
(and float16, computed in float32) only.
"""
from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from ..lower import Layout, Program, empty, lower_graph
from ..trace import apply, const, var
from ..trace.graph import Node
from .chunking import even_chunk

#: B^T, G and A^T of F(2x2, 3x3).
B_T = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]])
G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]])
A_T = np.array([[1, 1, 1, 0], [0, 1, -1, -1]])

#: A chunk's transformed tiles V (16 per tile and channel) take about this many bytes (at
#: least one image). Measured on the 2-core host, forward passes of 32 images (larger
#: chunks make faster GEMMs and slower transforms): (64, 56, 56) took 37, 33, 30 and 27 ms
#: with 4, 8, 12 and 24 MB, 36 ms in one chunk; (256, 14, 14) 16-18 ms with any.
CHUNK_BYTES = 24 << 20

#: The fewest input channels and filters, and the fewest output tiles over the batch per
#: product, for which Winograd pays. Measured on the 2-core host against im2col (time
#: ratios, forward / data gradient): 32 channels of 28x28 at batch 64: 1.01 / 1.17; 64
#: channels of 16x16 at batch 16, 32 and 64 (1,024 to 4,096 tiles): 0.89 / 1.22, 0.73 /
#: 1.12, 0.95 / 0.80, of 32x32 at batch 8: 0.85 / 0.93; 128 channels of 8x8 at batch 16
#: (256 tiles) 0.81 / 1.19; 256 channels of 14x14 at batch 8, 16, 32: 0.79 / 0.92, 0.74 /
#: 0.81, 0.72 / 0.80; 256 of 4x4 at batch 16 (64 tiles): 1.01 / 1.66; 512 of 2x2: 2.3 /
#: 3.5. With few tiles the transformed weights, 16 per filter and channel, cost more than
#: the products they save; the data gradient also flips the weights, and im2col does it
#: well (its GEMM's inner dimension is only the filters).
MIN_CHANNELS = 64
MIN_TILES = {"conv": 256, "conv_data_grad": 1536}


def applies(op: str, channels: int, filters: int, groups: int, kernel: Sequence[int],
            stride: Sequence[int], dilate: Sequence[int], pad: Sequence[int],
            batch: int, out: Sequence[int], dtype: np.dtype) -> bool:
    """Whether `op` ('conv' or 'conv_data_grad') of a convolution of these extents runs by
    F(2x2, 3x3): a 2-D, 3x3, stride-1, undilated, ungrouped float32 convolution of at least
    `MIN_CHANNELS` channels and filters, padded by at most 2 (so that its data gradient,
    padded by 2 - pad, is one too), whose product covers `MIN_TILES` tiles over the
    batch (`out`: the size of what the Winograd product computes: the convolution's
    output, or for the data gradient the data's size).

    >>> applies('conv', 64, 64, 1, (3, 3), (1, 1), (1, 1), (1, 1), 32, (56, 56),
    ...         np.dtype('float32'))
    True
    >>> applies('conv', 3, 64, 1, (3, 3), (1, 1), (1, 1), (1, 1), 32, (56, 56),
    ...         np.dtype('float32'))
    False
    """
    th, tw = tiles(out) if len(out) == 2 else (0, 0)
    return (tuple(kernel) == (3, 3) and tuple(stride) == (1, 1) and tuple(dilate) == (1, 1)
            and groups == 1 and min(channels, filters) >= MIN_CHANNELS
            and all(0 <= p <= 2 for p in pad) and np.dtype(dtype) == np.float32
            and batch * th * tw >= MIN_TILES.get(op, batch * th * tw + 1))


def tiles(out: Sequence[int]) -> tuple[int, int]:
    """Tile rows and columns covering an output of this (height, width)."""
    return (out[0] + 1) // 2, (out[1] + 1) // 2


def chunk_images(channels: int, out: Sequence[int], itemsize: int, n: int) -> int:
    """Images per chunk: as many as keep a chunk's V within `CHUNK_BYTES` (at least one),
    evened out over the batch so that the last chunk is not much smaller.

    >>> chunk_images(64, (56, 56), 4, 32), chunk_images(256, (14, 14), 4, 32)
    (7, 16)
    """
    th, tw = tiles(out)
    per_image = 16 * channels * th * tw * itemsize
    return even_chunk(n, CHUNK_BYTES // max(per_image, 1))


def weights(w: np.ndarray) -> np.ndarray:
    """(F, C, 3, 3) weights transformed to U = G g G^T as 16 (F, C) matrices: one
    (16, 9) x (9, F * C) product (an einsum over the four axes took 8.5 ms for 256x256
    filters, this 0.2 ms).

    >>> weights(np.ones((1, 1, 3, 3), np.float32)).ravel()[[0, 5]]
    array([1.  , 2.25], dtype=float32)
    """
    f, c = w.shape[:2]
    u = np.kron(G, G).astype(w.dtype) @ w.reshape(f * c, 9).T
    return u.reshape(16, f, c)


def _combine(coefficients: Sequence[int], parts: Sequence[Node]) -> Node:
    """The sum of parts times coefficients in {-1, 0, 1}, as adds and subtracts."""
    total: Node | None = None
    for c, p in zip(coefficients, parts):
        if c == 0:
            continue
        if total is None:
            total = p if c == 1 else apply("neg", p)
        else:
            total = apply("add" if c == 1 else "sub", total, p)
    assert total is not None
    return total


@functools.lru_cache(maxsize=64)
def input_program(images: int, channels: int, size: tuple[int, ...], pad: tuple[int, ...],
                  out: tuple[int, ...], dtype: np.dtype) -> Program:
    """(B, C, H, W) data -> its transformed tiles V as 16 (C, B, th, tw) arrays."""
    th, tw = tiles(out)
    x = var((images, channels) + size, dtype)
    high = (2 * th + 2 - size[0] - pad[0], 2 * tw + 2 - size[1] - pad[1])
    padded = apply("pad", x, const(np.asarray(0, dtype)), low=(0, 0) + pad,
                   high=(0, 0) + high)
    tiled = apply("transpose", padded, perm=(1, 0, 2, 3))
    d = [[apply("slice", tiled, start=(0, 0, a, e),
                stop=(channels, images, a + 2 * th - 1, e + 2 * tw - 1), step=(1, 1, 2, 2))
          for e in range(4)] for a in range(4)]
    rows = [[_combine(B_T[xi], [d[a][e] for a in range(4)]) for e in range(4)]
            for xi in range(4)]
    v = [_combine(B_T[nu], rows[xi]) for xi in range(4) for nu in range(4)]
    return lower_graph(v, [x], [Layout.contiguous(x.shape)])


@functools.lru_cache(maxsize=64)
def output_program(images: int, filters: int, out: tuple[int, ...], dtype: np.dtype
                   ) -> Program:
    """16 (F, B, th, tw) products M -> the output tiles A^T M A as (B, F, th, 2, tw, 2):
    a (B, F, 2 th, 2 tw) array, the output with its odd row or column beyond `out`."""
    th, tw = tiles(out)
    m = [var((filters, images, th, tw), dtype) for _ in range(16)]
    cols = [[_combine(A_T[r], [m[4 * xi + nu] for xi in range(4)]) for nu in range(4)]
            for r in range(2)]
    y = [[apply("reshape", _combine(A_T[s], cols[r]), shape=(filters, images, th, 1, tw, 1))
          for s in range(2)] for r in range(2)]
    rows = [apply("concat", *y[r], axis=5) for r in range(2)]
    tiled = apply("transpose", apply("concat", *rows, axis=3), perm=(1, 0, 2, 3, 4, 5))
    return lower_graph([tiled], m, [Layout.contiguous(v.shape) for v in m])


def convolve(x: np.ndarray, u: np.ndarray, pad: tuple[int, ...], out: tuple[int, ...],
             y: np.ndarray) -> None:
    """y = the stride-1 3x3 convolution of x (N, C, H, W) padded by `pad` with the
    transformed weights u (16, F, C) (see `weights`), written into y (N, F, *out)."""
    n, c = x.shape[:2]
    f = u.shape[1]
    th, tw = tiles(out)
    chunk = chunk_images(c, out, x.itemsize, n)
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        v = input_program(hi - lo, c, x.shape[2:], pad, out, x.dtype).run([x[lo:hi]])
        m = empty((16, f, (hi - lo) * th * tw), x.dtype)
        for k in range(16):
            np.matmul(u[k], v[k].reshape(c, -1), out=m[k])
        tiled = output_program(hi - lo, f, out, x.dtype).run(
            [m[k].reshape(f, hi - lo, th, tw) for k in range(16)])[0]
        y[lo:hi] = tiled.reshape(hi - lo, f, 2 * th, 2 * tw)[:, :, :out[0], :out[1]]
