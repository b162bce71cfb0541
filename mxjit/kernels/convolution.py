"""Convolution on the CPU: the `conv` primitive and its two gradients as BLAS GEMMs over
contiguous im2col buffers, a chunk of the batch at a time.

Three library primitives, each linear in both operands and each the others' transpose, so
gradients close to any order (all in NC(D)HW layout, G groups, nd spatial axes):

- `conv(x (N, C, *S), w (F, C/G, *K); out=O)` -> (N, F, *O), the forward product;
- `conv_data_grad(g (N, F, *O), w; size=S)` -> (N, C, *S), its gradient w.r.t. the data,
  which is also the transposed convolution (MXNet's Deconvolution);
- `conv_weight_grad(x, g; kernel=K)` -> (F, C/G, *K), its gradient w.r.t. the weights.

Position o of the output reads input position o * stride + k * dilate - pad for tap k
(zero outside the input), per spatial axis; the attributes carry stride, dilate, pad,
groups and the one extent the operands do not give.

The CPU plan (`plan`) cuts the batch into chunks whose im2col buffer holds about
`CHUNK_BYTES` (at least one image), so the buffer is written and read again while in
cache. Per chunk of B images, with T taps and P output positions per image:
- im2col is one generated kernel (`window_slices` over the data broadcast over the taps)
  writing the columns as a contiguous (C * T, B * P) matrix; a 1x1, stride-1, unpadded
  convolution of one image reads the image itself;
- the forward pass is one GEMM per group, (F/G, C/G * T) x (C/G * T, B * P);
- the data gradient is one GEMM per group, W^T times the output gradient, then col2im
  (col2im.py): one generated kernel that adds each column entry into the data position
  it was read from, threads owning whole images: no tests per tap, no atomics;
- the weight gradient is one GEMM per group and chunk, (F/G, B * P) x (B * P, C/G * T),
  accumulated over the chunks.
The generated kernels are lowered (and cached, in memory and on disk) like any other.

A 3x3, stride-1 forward product or data gradient of enough channels instead runs by
Winograd's F(2x2, 3x3) (winograd.py), in 2.25x fewer multiplications; `strategy` is the
rule.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..base import DTypeError, ShapeError
from ..lower import Layout, Program, empty, lower_graph
from ..trace import apply, const, define_primitive, var
from ..trace.batching import front, per_example, register_batching_rule
from ..trace.graph import AbstractValue, Node
from ..trace.windows import _slices_impl, _spread_impl
from . import winograd
from .chunking import even_chunk
from .col2im import col2im

#: The im2col buffer of a chunk of the batch is about this large (at least one image): it
#: stays in cache between the kernel that writes it and the GEMM that reads it. Measured
#: on the 2-core host (benchmarks/conv.py): 4-16 MiB are alike; one buffer for a whole
#: batch of 56x56x64 images (231 MB) made the forward pass 1.5x slower.
CHUNK_BYTES = 8 << 20


@dataclass(frozen=True)
class Geometry:
    """The extents of one convolution: batch, channels, filters, groups; spatial size of
    the data, the kernel and the output; stride, dilate and pad per spatial axis."""

    n: int
    c: int
    f: int
    groups: int
    size: tuple[int, ...]
    kernel: tuple[int, ...]
    out: tuple[int, ...]
    stride: tuple[int, ...]
    dilate: tuple[int, ...]
    pad: tuple[int, ...]

    @property
    def taps(self) -> int:
        return math.prod(self.kernel)

    @property
    def positions(self) -> int:
        return math.prod(self.out)

    def windows(self) -> dict[str, tuple[int, ...]]:
        return {"stride": self.stride, "dilate": self.dilate, "pad": self.pad}


def geometry(op: str, a: Any, b: Any, attrs: dict[str, Any]) -> Geometry:
    """The geometry of `op` applied to operands of these shapes (arrays or abstract
    values), checked: a ShapeError names what does not fit."""
    stride, dilate, pad, g = attrs["stride"], attrs["dilate"], attrs["pad"], attrs["groups"]
    nd = len(stride)
    if a.ndim != nd + 2 or b.ndim != nd + 2:
        raise ShapeError(f"{op}: operands {a.shape} and {b.shape} need {nd + 2} axes")
    if op == "conv":
        (n, c), size, (f, cg), kernel, out = a.shape[:2], a.shape[2:], b.shape[:2], \
            b.shape[2:], attrs["out"]
    elif op == "conv_data_grad":
        (n, f), out, (f2, cg), kernel, size = a.shape[:2], a.shape[2:], b.shape[:2], \
            b.shape[2:], attrs["size"]
        if f2 != f:
            raise ShapeError(f"{op}: {f} gradient channels against weights {b.shape}")
        c = cg * g
    else:
        (n, c), size, (n2, f), out, kernel = a.shape[:2], a.shape[2:], b.shape[:2], \
            b.shape[2:], attrs["kernel"]
        if n2 != n:
            raise ShapeError(f"{op}: batch {n} of the data against {n2} of the gradient")
        cg = c // g if g else 0
    if g < 1 or c % g or f % g or cg * g != c:
        raise ShapeError(f"{op}: {g} groups do not divide {c} channels and {f} filters "
                         f"(operands {a.shape} and {b.shape})")
    geo = Geometry(n, c, f, g, tuple(size), tuple(kernel), tuple(out), tuple(stride),
                   tuple(dilate), tuple(pad))
    if not (len(geo.size) == len(geo.kernel) == len(geo.out) == len(dilate) == len(pad) == nd):
        raise ShapeError(f"{op}: stride, dilate, pad and extents need {nd} entries each")
    return geo


def _rule(op: str) -> Callable[..., AbstractValue]:
    def rule(a: AbstractValue, b: AbstractValue, **attrs: Any) -> AbstractValue:
        if a.dtype != b.dtype or a.dtype.kind not in "fiu":
            raise DTypeError(f"{op}: operands must be numbers of one dtype, got {a.dtype} and "
                             f"{b.dtype}")
        geo = geometry(op, a, b, attrs)
        shape = {"conv": (geo.n, geo.f) + geo.out,
                 "conv_data_grad": (geo.n, geo.c) + geo.size,
                 "conv_weight_grad": (geo.f, geo.c // geo.groups) + geo.kernel}[op]
        return AbstractValue(shape, a.dtype)

    return rule


# NumPy meanings: im2col over the whole batch and one matmul per group (the reference the
# tests compare the plans with, what constant folding and the GPU's host fallback run)

def _columns(x: np.ndarray, geo: Geometry) -> np.ndarray:
    """The windows of x as (N, G, C/G * T, P)."""
    nd = len(geo.kernel)
    spread = np.broadcast_to(x.reshape(x.shape[:2] + (1,) * nd + geo.size),
                             x.shape[:2] + geo.kernel + geo.size)
    cols = _slices_impl(spread, np.zeros((), x.dtype), out=geo.out, **geo.windows())
    return cols.reshape(geo.n, geo.groups, geo.c // geo.groups * geo.taps, geo.positions)


def _wide(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """float16 computes in float32 (BLAS has no half GEMM) and rounds once."""
    def impl(a: np.ndarray, b: np.ndarray, **attrs: Any) -> np.ndarray:
        if a.dtype == np.float16:
            return fn(a.astype(np.float32), b.astype(np.float32), **attrs).astype(np.float16)
        return fn(a, b, **attrs)

    return impl


def _weights(w: np.ndarray, geo: Geometry) -> np.ndarray:
    return w.reshape(geo.groups, geo.f // geo.groups, geo.c // geo.groups * geo.taps)


@_wide
def conv_numpy(x: np.ndarray, w: np.ndarray, **attrs: Any) -> np.ndarray:
    """The convolution of x with w (see the module's docstring), as im2col and matmul.

    >>> conv_numpy(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), out=(2, 2), stride=(1, 1),
    ...            dilate=(1, 1), pad=(0, 0), groups=1)[0, 0]
    array([[4., 4.],
           [4., 4.]])
    """
    geo = geometry("conv", x, w, attrs)
    y = np.matmul(_weights(w, geo)[None], _columns(x, geo))
    return y.reshape((geo.n, geo.f) + geo.out)


@_wide
def conv_data_grad_numpy(g: np.ndarray, w: np.ndarray, **attrs: Any) -> np.ndarray:
    """The gradient of `conv` w.r.t. its data, given the output gradient g."""
    geo = geometry("conv_data_grad", g, w, attrs)
    nd = len(geo.kernel)
    gy = g.reshape(geo.n, geo.groups, geo.f // geo.groups, geo.positions)
    cols = np.matmul(np.swapaxes(_weights(w, geo), 1, 2)[None], gy)
    cols = cols.reshape((geo.n, geo.c) + geo.kernel + geo.out)
    spread = _spread_impl(cols, size=geo.size, **geo.windows())
    return spread.sum(axis=tuple(range(2, 2 + nd)), dtype=g.dtype)


@_wide
def conv_weight_grad_numpy(x: np.ndarray, g: np.ndarray, **attrs: Any) -> np.ndarray:
    """The gradient of `conv` w.r.t. its weights, given the data and the output gradient."""
    geo = geometry("conv_weight_grad", x, g, attrs)
    gy = g.reshape(geo.n, geo.groups, geo.f // geo.groups, geo.positions)
    dw = np.matmul(gy, np.swapaxes(_columns(x, geo), 2, 3)).sum(axis=0, dtype=x.dtype)
    return dw.reshape((geo.f, geo.c // geo.groups) + geo.kernel)


# gradients: each primitive's two operands get the other two primitives

def _common(n: Node) -> dict[str, Any]:
    return {k: n.attr(k) for k in ("stride", "dilate", "pad", "groups")}


def _conv_vjp(n: Node, ct: Node) -> Sequence[Node | None]:
    x, w = n.inputs
    return (apply("conv_data_grad", ct, w, size=x.shape[2:], **_common(n)),
            apply("conv_weight_grad", x, ct, kernel=w.shape[2:], **_common(n)))


def _data_grad_vjp(n: Node, ct: Node) -> Sequence[Node | None]:
    g, w = n.inputs
    return (apply("conv", ct, w, out=g.shape[2:], **_common(n)),
            apply("conv_weight_grad", ct, g, kernel=w.shape[2:], **_common(n)))


def _weight_grad_vjp(n: Node, ct: Node) -> Sequence[Node | None]:
    x, g = n.inputs
    return (apply("conv_data_grad", g, ct, size=x.shape[2:], **_common(n)),
            apply("conv", x, ct, out=g.shape[2:], **_common(n)))


define_primitive("conv", "contraction", _rule("conv"), conv_numpy, vjp=_conv_vjp)
define_primitive("conv_data_grad", "contraction", _rule("conv_data_grad"),
                 conv_data_grad_numpy, vjp=_data_grad_vjp)
define_primitive("conv_weight_grad", "contraction", _rule("conv_weight_grad"),
                 conv_weight_grad_numpy, vjp=_weight_grad_vjp)

NUMPY = {"conv": conv_numpy, "conv_data_grad": conv_data_grad_numpy,
         "conv_weight_grad": conv_weight_grad_numpy}


# the CPU plan

def chunk_images(geo: Geometry, itemsize: int) -> int:
    """How many images one chunk takes: as many as keep its im2col buffer within
    `CHUNK_BYTES` (at least one), evened out over the batch.

    >>> chunk_images(Geometry(32, 64, 64, 1, (56, 56), (3, 3), (56, 56), (1, 1), (1, 1),
    ...                       (1, 1)), 4)
    1
    """
    per_image = geo.c * geo.taps * geo.positions * itemsize
    return even_chunk(geo.n, CHUNK_BYTES // max(per_image, 1))


def reads_image_as_columns(geo: Geometry) -> bool:
    """A 1x1 convolution with stride 1 and no pad: an image is its own (C, P) columns."""
    return (all(k == 1 for k in geo.kernel) and all(s == 1 for s in geo.stride)
            and not any(geo.pad) and geo.out == geo.size)


#: A forward product whose columns are at most this deep (channels per group times taps)
#: takes one GEMM per image over columns laid out image by image, written straight into
#: the output, rather than one GEMM over the chunk followed by a copy that puts the batch
#: axis first: so shallow a GEMM is memory-bound and the copy doubled it. Measured on the
#: 2-core host: a 1-channel 5x5 layer of 64 28x28 images 0.97 ms by one GEMM, 0.44 by
#: GEMMs per image; 20 channels of 5x5 (500 deep) 1.2 against 2.1, and 147 deep (3
#: channels of 7x7) alike.
PER_IMAGE_MAX_DEPTH = 32


def per_image_columns(geo: Geometry, chunk: int) -> bool:
    """Whether the forward product runs a GEMM per image (see `PER_IMAGE_MAX_DEPTH`).

    >>> per_image_columns(Geometry(64, 1, 20, 1, (28, 28), (5, 5), (24, 24), (1, 1),
    ...                            (1, 1), (0, 0)), 64)
    True
    """
    return chunk > 1 and geo.groups == 1 and geo.c * geo.taps <= PER_IMAGE_MAX_DEPTH


def _im2col_program(geo: Geometry, images: int, dtype: np.dtype, per_image: bool = False
                    ) -> Program:
    """(B, C, *S) data -> its columns as a contiguous (C, *K, B, *O) array, or with
    `per_image` (B, C, *K, *O)."""
    nd = len(geo.kernel)
    x = var((images, geo.c) + geo.size, dtype)
    spread = apply("broadcast_to", apply("reshape", x, shape=(images, geo.c) + (1,) * nd
                                         + geo.size), shape=(images, geo.c) + geo.kernel + geo.size)
    cols = apply("window_slices", spread, const(np.asarray(0, dtype)), out=geo.out,
                 **geo.windows())
    if not per_image:
        perm = (1,) + tuple(range(2, 2 + nd)) + (0,) + tuple(range(2 + nd, 2 + 2 * nd))
        cols = apply("transpose", cols, perm=perm)
    return lower_graph([cols], [x], [Layout.contiguous(x.shape)])


def strategy(op: str, geo: Geometry, dtype: np.dtype) -> str:
    """How the CPU computes `op` over this geometry: 'winograd' (F(2x2, 3x3), see
    winograd.py) for the forward product and the data gradient of the 3x3, stride-1,
    wide and large enough convolutions `winograd.applies` to, 'im2col' (columns and GEMMs)
    otherwise. The weight
    gradient always takes im2col: its Winograd form is 16 GEMMs with a long inner
    dimension and 64x64 results, which ran at half OpenBLAS's speed on the 2-core host
    (a (32, 64, 56, 56) layer's weight gradient: 44 ms against 40 by im2col, where
    Winograd's forward took 30 ms against 36).

    >>> geo = Geometry(32, 64, 64, 1, (56, 56), (3, 3), (56, 56), (1, 1), (1, 1), (1, 1))
    >>> strategy('conv', geo, np.dtype('float32')), strategy('conv_weight_grad', geo,
    ...                                                        np.dtype('float32'))
    ('winograd', 'im2col')
    """
    out = geo.out if op == "conv" else geo.size
    if winograd.applies(op, geo.c, geo.f, geo.groups, geo.kernel, geo.stride, geo.dilate,
                        geo.pad, geo.n, out, dtype):
        return "winograd"
    return "im2col"


class ConvPlan:
    """One of the three primitives specialised to its operands' shapes and dtype: the
    chunking, the generated kernels and the GEMMs (see the module's docstring)."""

    def __init__(self, op: str, a: Any, b: Any, attrs: dict[str, Any]):
        self.op = op
        self.geo = geo = geometry(op, a, b, attrs)
        self.dtype = np.dtype(a.dtype)
        self.wide = np.dtype(np.float32) if self.dtype == np.float16 else self.dtype
        self.chunk = chunk_images(geo, self.wide.itemsize)
        self.direct = reads_image_as_columns(geo) and self.chunk == 1
        self.strategy = strategy(op, geo, self.wide)
        self._programs: dict[tuple[str, int], Program] = {}

    def _program(self, kind: str, images: int) -> Program:
        key = (kind, images)
        if key not in self._programs:
            self._programs[key] = _im2col_program(self.geo, images, self.wide,
                                                  per_image=kind == "per_image")
        return self._programs[key]

    def _chunks(self) -> list[tuple[int, int]]:
        return [(s, min(s + self.chunk, self.geo.n)) for s in range(0, self.geo.n, self.chunk)]

    def _columns(self, x: np.ndarray, lo: int, hi: int) -> np.ndarray:
        """The chunk's im2col buffer as a (C * T, B * P) matrix."""
        geo = self.geo
        if self.direct:
            return x[lo].reshape(geo.c, geo.positions)
        cols = self._program("im2col", hi - lo).run([x[lo:hi]])[0]
        return cols.reshape(geo.c * geo.taps, (hi - lo) * geo.positions)

    def _transposed(self, y: np.ndarray, lo: int, hi: int, channels: int) -> np.ndarray:
        """Chunk rows (B, channels, P) of a batch-first array as (channels, B * P)."""
        rows = y[lo:hi].reshape(hi - lo, channels, self.geo.positions)
        if hi - lo == 1:
            return rows[0]
        return np.ascontiguousarray(rows.transpose(1, 0, 2)).reshape(channels, -1)

    def __call__(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a = np.ascontiguousarray(a, dtype=self.wide)
        b = np.ascontiguousarray(b, dtype=self.wide)
        with np.errstate(all="ignore"):
            out = getattr(self, "_" + self.op)(a, b)
        return out.astype(self.dtype, copy=False)

    def _conv(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        geo = self.geo
        y = empty((geo.n, geo.f) + geo.out, self.wide)
        if self.strategy == "winograd":
            winograd.convolve(x, winograd.weights(w), geo.pad, geo.out, y)
            return y
        weights = w.reshape(geo.f, -1)
        if per_image_columns(geo, self.chunk):
            for lo, hi in self._chunks():
                cols = self._program("per_image", hi - lo).run([x[lo:hi]])[0]
                np.matmul(weights, cols.reshape(hi - lo, weights.shape[1], -1),
                          out=y[lo:hi].reshape(hi - lo, geo.f, -1))
            return y
        for lo, hi in self._chunks():
            cols = self._columns(x, lo, hi)
            target = (y[lo].reshape(geo.f, -1) if hi - lo == 1
                      else np.empty((geo.f, (hi - lo) * geo.positions), self.wide))
            self._per_group(weights, cols, target, transpose_a=False)
            if hi - lo > 1:
                y[lo:hi].reshape(hi - lo, geo.f, -1)[...] = \
                    target.reshape(geo.f, hi - lo, -1).transpose(1, 0, 2)
        return y

    def _conv_data_grad(self, g: np.ndarray, w: np.ndarray) -> np.ndarray:
        geo = self.geo
        dx = empty((geo.n, geo.c) + geo.size, self.wide)
        if self.strategy == "winograd":
            # (at stride 1, the data gradient convolves g with the flipped weights, in
            # and out channels swapped, padded by kernel - 1 - pad)
            flipped = np.ascontiguousarray(w.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1])
            winograd.convolve(g, winograd.weights(flipped), tuple(2 - p for p in geo.pad),
                              geo.size, dx)
            return dx
        weights = w.reshape(geo.f, -1)
        for lo, hi in self._chunks():
            gy = self._transposed(g, lo, hi, geo.f)
            if self.direct:
                self._per_group(weights, gy, dx[lo].reshape(geo.c, -1), transpose_a=True)
                continue
            cols = empty((geo.c * geo.taps, gy.shape[1]), self.wide)
            self._per_group(weights, gy, cols, transpose_a=True)
            shaped = cols.reshape((geo.c,) + geo.kernel + (hi - lo,) + geo.out)
            col2im(shaped, geo.kernel, geo.out, geo.size, geo.stride, geo.dilate, geo.pad,
                   into=dx[lo:hi])
        return dx

    def _conv_weight_grad(self, x: np.ndarray, g: np.ndarray) -> np.ndarray:
        geo = self.geo
        fg, q = geo.f // geo.groups, geo.c // geo.groups * geo.taps
        # A chunk's positions at least the columns' rows: dW_g^T = cols_g @ gy_g^T, which
        # OpenBLAS runs up to 1.4x faster for such long inner products, transposed once at
        # the end; otherwise gy_g @ cols_g^T, as transposing a wide result (512 filters of
        # 512 channels at 2x2: 9 ms) costs more than the product (1.6 ms).
        long_inner = self.chunk * geo.positions >= q
        acc = np.empty((geo.groups,) + ((q, fg) if long_inner else (fg, q)), self.wide)
        for lo, hi in self._chunks():
            cols, gy = self._columns(x, lo, hi), self._transposed(g, lo, hi, geo.f)
            for k in range(geo.groups):
                cols_k, gy_k = cols[k * q:(k + 1) * q], gy[k * fg:(k + 1) * fg]
                a, b = (cols_k, gy_k.T) if long_inner else (gy_k, cols_k.T)
                if lo == 0:
                    np.matmul(a, b, out=acc[k])
                else:
                    acc[k] += a @ b
        dw = acc.transpose(0, 2, 1) if long_inner else acc
        return dw.reshape((geo.f, geo.c // geo.groups) + geo.kernel)

    def _per_group(self, weights: np.ndarray, rhs: np.ndarray, out: np.ndarray,
                   transpose_a: bool) -> None:
        """out = W_g @ rhs_g per group (W_g^T @ rhs_g with `transpose_a`), one GEMM each."""
        geo = self.geo
        fg, q = geo.f // geo.groups, geo.c // geo.groups * geo.taps
        for k in range(geo.groups):
            wk = weights[k * fg:(k + 1) * fg]
            if transpose_a:
                np.matmul(wk.T, rhs[k * fg:(k + 1) * fg], out=out[k * q:(k + 1) * q])
            else:
                np.matmul(wk, rhs[k * q:(k + 1) * q], out=out[k * fg:(k + 1) * fg])


def plan(op: str) -> Callable[..., Callable[[np.ndarray, np.ndarray], np.ndarray]]:
    """The CPU planner of `op`: abstract operands and attributes -> a `ConvPlan`.

    >>> plan('conv')(x_aval, w_aval, **attrs)(x, w)  # doctest: +SKIP
    """
    def planner(a: Any, b: Any, **attrs: Any) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        return ConvPlan(op, a, b, attrs)

    return planner


def _batched(node: Node, args: list[Node], dims: list[int | None], size: int
             ) -> tuple[Node, int | None]:
    """vmap: a batch of data (or output gradients) over shared weights folds into the
    convolution's own batch axis; anything else runs once per example."""
    if node.op != "conv_weight_grad" and dims[1] is None and dims[0] is not None:
        x = front(args[0], dims[0], size)
        merged = apply("reshape", x, shape=(size * x.shape[1],) + x.shape[2:])
        out = apply(node.op, merged, args[1], **dict(node.attrs))
        return apply("reshape", out, shape=(size,) + node.shape), 0
    return per_example(node, args, dims, size)


for _op in NUMPY:
    register_batching_rule(_op, _batched)
