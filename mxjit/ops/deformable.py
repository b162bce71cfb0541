"""Deformable convolutions of mx.nd.contrib: `DeformableConvolution` (v1, Dai et al. 2017)
and `ModulatedDeformableConvolution` (v2, Zhu et al. 2018), 2-D, NCHW.

Each kernel tap of each output pixel reads the data not at its grid position but shifted
by a learned (dy, dx) from `offset`, interpolated bilinearly (v2 also scales it by `mask`).
The samples are gathers of the four neighbouring pixels with clipped indices (so no offset
ever reads outside the data) weighted and masked elementwise; they form the same
(N, C, taps, Ho, Wo) columns as im2col, contracted with the weights by the convolution's
grouped GEMM. Gradients w.r.t. data, offset, mask, weight and bias come from the
primitives' rules.

The two versions treat the border as MXNet does (its CPU and GPU kernels agree): v1
samples only positions inside [0, H) x [0, W) and, on the last row or column, reads that
row or column alone; v2 samples positions inside (-1, H) x (-1, W), neighbours outside
counting as zero.
"""
from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from ..base import DTypeError, ParamError, ShapeError
from ..core import Array, bind
from ..core.operators import register_operator
from .conv import contract_columns
from .elementwise import cast, clip, floor
from .operands import check_shape, constant, ew, full, reshape_exact, select
from .patches import window_params
from .shape import broadcast_exact, slice_ranges, transpose

_SPATIAL = {"kernel": "shape", "stride": "shape", "dilate": "shape", "pad": "shape"}


def _setup(op: str, data: Array, offset: Array, weight: Array, mask: Array | None,
           kernel: Sequence[int], stride: Sequence[int], dilate: Sequence[int],
           pad: Sequence[int], num_filter: int, num_group: int, dg: int, layout: str | None
           ) -> tuple[tuple[int, ...], ...]:
    """Checks shared by both versions; (kernel, stride, dilate, pad, output size)."""
    if not isinstance(kernel, (tuple, list)) or len(kernel) != 2:
        raise ParamError(f"{op}: kernel must be (height, width) (only 2-D is supported, as in "
                         f"MXNet), got {kernel!r}")
    if layout not in (None, "NCHW"):
        raise ParamError(f"{op}: layout must be 'NCHW' (or None), got {layout!r}")
    k, s, d, p = window_params(op, kernel, stride, dilate, pad)
    if data.ndim != 4:
        raise ShapeError(f"{op}: data must be 4-D (batch, channel, height, width), got shape "
                         f"{data.shape}")
    n, c, h, w = data.shape
    for name, value in (("num_filter", num_filter), ("num_group", num_group),
                        ("num_deformable_group", dg)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ParamError(f"{op}: {name} must be a positive int, got {value!r}")
    if c % num_group or num_filter % num_group or c % dg:
        raise ParamError(f"{op}: num_group={num_group} must divide the {c} channels and "
                         f"num_filter={num_filter}, and num_deformable_group={dg} the channels")
    out = tuple((size + 2 * pp - dd * (kk - 1) - 1) // ss + 1
                for size, pp, dd, kk, ss in zip((h, w), p, d, k, s))
    if min(out) < 1:
        raise ShapeError(f"{op}: kernel {k} (dilate {d}, stride {s}) does not fit data "
                         f"{(h, w)} padded by {p}")
    taps = k[0] * k[1]
    check_shape(op, f"offset (batch, {dg} * 2 * {taps}, *output size)", offset,
                (n, dg * 2 * taps) + out)
    if mask is not None:
        check_shape(op, f"mask (batch, {dg} * {taps}, *output size)", mask, (n, dg * taps) + out)
    check_shape(op, "weight (num_filter, channels / num_group, *kernel)", weight,
                (num_filter, c // num_group) + k)
    arrays = [data, offset, weight] + ([] if mask is None else [mask])
    if data._dtype.kind != "f" or any(a._dtype != data._dtype for a in arrays):
        raise DTypeError(f"{op}: data, offset, mask and weight must share a floating-point "
                         f"dtype, got {[a._dtype.name for a in arrays]}")
    return k, s, d, p, out


def _grid_positions(offset: Array, kernel: Sequence[int], stride: Sequence[int],
                    dilate: Sequence[int], pad: Sequence[int], dg: int) -> tuple[Array, Array]:
    """The sampling rows and columns, each (N, dg, taps, Ho, Wo): the taps' grid positions
    plus the offsets (channel 2 * tap of a group is dy, 2 * tap + 1 is dx)."""
    n, _, ho, wo = offset.shape
    taps = kernel[0] * kernel[1]
    shifts = reshape_exact(offset, (n, dg, taps, 2, ho, wo))
    plane = (n, dg, taps, ho, wo)
    dy, dx = (reshape_exact(slice_ranges(shifts, (0, 0, 0, a, 0, 0), (n, dg, taps, a + 1, ho, wo),
                                         (1,) * 6), plane) for a in (0, 1))
    offsets = list(itertools.product(range(kernel[0]), range(kernel[1])))
    rows = np.array([[o * stride[0] - pad[0] + i * dilate[0] for o in range(ho)]
                     for i, _ in offsets])
    cols = np.array([[o * stride[1] - pad[1] + j * dilate[1] for o in range(wo)]
                     for _, j in offsets])
    dtype = offset._dtype
    base_y = constant(rows.astype(dtype).reshape(1, 1, taps, ho, 1), offset)
    base_x = constant(cols.astype(dtype).reshape(1, 1, taps, 1, wo), offset)
    return dy + broadcast_exact(base_y, plane), dx + broadcast_exact(base_x, plane)


def _all(*conditions: Array) -> Array:
    out = conditions[0]
    for cond in conditions[1:]:
        out = ew("logical_and", out, cond)
    return out


def _sample(data: Array, y: Array, x: Array, weight_scale: Array | None, dg: int,
            clamp_edges: bool) -> Array:
    """Bilinear samples of each deformable group's channels at (y, x): (N, dg, taps, Ho, Wo)
    positions give (N, C, taps, Ho, Wo) columns, scaled by `weight_scale` (v2's mask)."""
    n, c, h, w = data.shape
    plane = y.shape
    cg = c // dg
    if h * w == 0:  # (no pixel to gather: every sample lies outside)
        return full(0, data, (n, c) + plane[2:])
    # each pixel of a group as a row of its cg channels: one gather fetches them all
    pixels = transpose(reshape_exact(data, (n, dg, cg, h, w)), (0, 1, 3, 4, 2))
    rows = reshape_exact(pixels, (n * dg * h * w, cg))
    first = np.arange(n * dg, dtype=np.int64).reshape(n, dg, 1, 1, 1) * (h * w)
    group_base = broadcast_exact(constant(first, y), plane)
    y0, x0 = floor(y), floor(x)
    ly, lx = y - y0, x - x0
    if clamp_edges:  # the last row (column) is read alone, not mixed with the one past it
        valid = _all(ew("ge", y, 0.0), ew("lt", y, float(h)), ew("ge", x, 0.0),
                     ew("lt", x, float(w)))
        ly = select(ew("lt", y0, float(h - 1)), ly, 0.0)
        lx = select(ew("lt", x0, float(w - 1)), lx, 0.0)
    else:
        valid = _all(ew("gt", y, -1.0), ew("lt", y, float(h)), ew("gt", x, -1.0),
                     ew("lt", x, float(w)))
    total = None
    for dy, wy in ((0, 1.0 - ly), (1, ly)):
        for dx, wx in ((0, 1.0 - lx), (1, lx)):
            yi, xi = y0 + float(dy), x0 + float(dx)
            weight = wy * wx
            if not clamp_edges:  # neighbours outside the data count as zeros
                inside = _all(ew("ge", yi, 0.0), ew("le", yi, float(h - 1)), ew("ge", xi, 0.0),
                              ew("le", xi, float(w - 1)))
                weight = select(inside, weight, 0.0)
            if weight_scale is not None:
                weight = weight * weight_scale
            # indices clipped into the data: a NaN or far-away offset reads a valid pixel,
            # whose weight the masks zero
            row = cast(clip(yi, 0, h - 1), np.int64)
            col = cast(clip(xi, 0, w - 1), np.int64)
            value = bind("take", rows, row * w + col + group_base, axis=0, mode="clip")
            term = value * broadcast_exact(reshape_exact(select(valid, weight, 0.0),
                                                         plane + (1,)), plane + (cg,))
            total = term if total is None else total + term
    assert total is not None
    # (N, dg, taps, Ho, Wo, cg) -> (N, dg, cg, taps, Ho, Wo) -> (N, C, taps, Ho, Wo)
    grouped = transpose(total, (0, 1, 5, 2, 3, 4))
    return reshape_exact(grouped, (n, c) + plane[2:])


def _deformable(op: str, data: Array, offset: Array, mask: Array | None, weight: Array,
                bias: Array | None, kernel: Sequence[int], stride: Sequence[int],
                dilate: Sequence[int], pad: Sequence[int], num_filter: int, num_group: int,
                dg: int, no_bias: bool, layout: str | None) -> Array:
    k, s, d, p, _ = _setup(op, data, offset, weight, mask, kernel, stride, dilate, pad,
                           num_filter, num_group, dg, layout)
    y, x = _grid_positions(offset, k, s, d, p, dg)
    scale = None
    if mask is not None:
        scale = reshape_exact(mask, y.shape)
    cols = _sample(data, y, x, scale, dg, clamp_edges=mask is None)
    out = contract_columns(cols, weight, num_group)
    if no_bias:
        return out
    if bias is None:
        raise ParamError(f"{op}: bias is required unless no_bias=True")
    check_shape(op, "bias", bias, (num_filter,))
    return out + broadcast_exact(reshape_exact(bias, (1, num_filter, 1, 1)), out.shape)


@register_operator("_contrib_DeformableConvolution",
                   inputs=("data", "offset", "weight", "bias"), kinds=_SPATIAL)
def DeformableConvolution(data: Array, offset: Array, weight: Array, bias: Array | None = None,
                          *, kernel: Sequence[int], stride: Sequence[int] = (),
                          dilate: Sequence[int] = (), pad: Sequence[int] = (),
                          num_filter: int, num_group: int = 1, num_deformable_group: int = 1,
                          workspace: int = 1024, no_bias: bool = False,
                          layout: str | None = None) -> Array:
    """2-D deformable convolution of (N, C, H, W) data: each kernel tap samples the data
    bilinearly at its grid position plus an offset (dy, dx) from `offset`
    (N, num_deformable_group * 2 * kh * kw, Ho, Wo), then the samples are convolved with
    (num_filter, C / num_group, kh, kw) weights plus a (num_filter,) bias. Positions outside
    the data give 0. The channels split into num_deformable_group groups, each with its own
    offsets.

    >>> offset = mx.nd.zeros((1, 18, 4, 4))  # zero offsets: an ordinary convolution
    >>> mx.nd.contrib.DeformableConvolution(x, offset, w, b, kernel=(3, 3), pad=(1, 1),
    ...                                     num_filter=8)  # doctest: +SKIP
    """
    return _deformable("DeformableConvolution", data, offset, None, weight, bias, kernel,
                       stride, dilate, pad, num_filter, num_group, num_deformable_group,
                       no_bias, layout)


@register_operator("_contrib_ModulatedDeformableConvolution",
                   inputs=("data", "offset", "mask", "weight", "bias"), kinds=_SPATIAL)
def ModulatedDeformableConvolution(data: Array, offset: Array, mask: Array, weight: Array,
                                   bias: Array | None = None, *, kernel: Sequence[int],
                                   stride: Sequence[int] = (), dilate: Sequence[int] = (),
                                   pad: Sequence[int] = (), num_filter: int,
                                   num_group: int = 1, num_deformable_group: int = 1,
                                   workspace: int = 1024, no_bias: bool = False,
                                   im2col_step: int = 64, layout: str | None = None) -> Array:
    """2-D modulated deformable convolution (DCNv2): as `DeformableConvolution`, with each
    sample also multiplied by `mask` (N, num_deformable_group * kh * kw, Ho, Wo). Samples
    near the border mix in zeros for the neighbours outside the data. As in MXNet,
    num_deformable_group must divide num_filter, and im2col_step the batch size when
    the batch is larger (its value does not change the result).

    >>> mx.nd.contrib.ModulatedDeformableConvolution(x, offset, mask, w, b, kernel=(3, 3),
    ...                                              pad=(1, 1), num_filter=8)  # doctest: +SKIP
    """
    op = "ModulatedDeformableConvolution"
    if isinstance(num_filter, (int, np.integer)) and isinstance(num_deformable_group, (
            int, np.integer)) and num_deformable_group > 0 and num_filter % num_deformable_group:
        raise ParamError(f"{op}: num_deformable_group={num_deformable_group} must divide "
                         f"num_filter={num_filter}")
    if isinstance(im2col_step, bool) or not isinstance(im2col_step, (int, np.integer)) or \
            im2col_step < 1:
        raise ParamError(f"{op}: im2col_step must be a positive int, got {im2col_step!r}")
    batch = data.shape[0] if data.ndim else 0
    if batch > im2col_step and batch % im2col_step:
        raise ParamError(f"{op}: a batch of {batch} must be divisible by im2col_step="
                         f"{im2col_step} (or not larger than it)")
    return _deformable(op, data, offset, mask, weight, bias, kernel, stride, dilate, pad,
                       num_filter, num_group, num_deformable_group, no_bias, layout)
