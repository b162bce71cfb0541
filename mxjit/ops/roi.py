"""Region-of-interest pooling: `ROIPooling` (max over quantised bins), `contrib.ROIAlign`
(averaged bilinear samples, optionally position-sensitive), `contrib.PSROIPooling`,
`contrib.DeformablePSROIPooling` and `contrib.RROIAlign` (rotated regions).

Regions are rows [batch index, x1, y1, x2, y2] in image coordinates, scaled onto the
feature map by `spatial_scale`. Their sizes are data, so every bin reads a window of
unknown extent; to keep shapes static the averaging operators are written as products with
per-region weight matrices over the rows and the columns of the feature map (the bilinear
weights of every sample point, summed); DeformablePSROIPooling, whose samples move with
learned offsets, gathers its fixed number of samples directly. Values are read with
`take`, so gradients reach the data (and DeformablePSROIPooling's offsets) through take's
scatter; regions themselves get none, as in MXNet. A batch index outside [0, batch) gives
a region of zeros and never reads memory.

Two steps run on the host as opaque primitives: ROIPooling's search for each bin's first
maximum (its positions; the values are then gathered with `take`, so the gradient goes to
them as in MXNet), whose windows would otherwise mean scanning every region across the
whole map, and RROIAlign, whose sample grid depends on the rotated regions' sizes and
which, as in MXNet, has no gradient.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..base import DTypeError, GradientError, ParamError, ShapeError
from ..core import Array, bind
from ..core.operators import register_operator
from ..trace import define_primitive, evaluate
from ..trace.graph import AbstractValue, Node
from .detection import column
from .elementwise import ceil, floor
from .operands import along, as_dtype, constant, ew, iota, reshape_exact, select

# ---- arguments ---------------------------------------------------------------------------


def _inputs(op: str, data: Array, rois: Array, width: int) -> None:
    """data (batch, channels, height, width) and rois (num_rois, `width`) of one float dtype."""
    if data.ndim != 4:
        raise ShapeError(f"{op}: data must be 4-D (batch, channel, height, width), got shape "
                         f"{data.shape}")
    if rois.ndim != 2 or rois.shape[1] != width:
        raise ShapeError(f"{op}: rois must be 2-D (num_rois, {width}), got shape {rois.shape}")
    if data._dtype != rois._dtype or data._dtype.kind != "f":
        raise DTypeError(f"{op}: data and rois must share one floating-point dtype, got "
                         f"{data._dtype.name} and {rois._dtype.name}")


def _scale(op: str, spatial_scale: Any) -> float:
    try:
        scale = float(spatial_scale)
    except (TypeError, ValueError):
        scale = math.nan
    if not 0.0 <= scale <= 1.0:
        raise ParamError(f"{op}: spatial_scale must lie in [0, 1] (feature map over image "
                         f"size), got {spatial_scale!r}")
    return scale


def _positive(op: str, name: str, value: Any, count: int | None = None) -> tuple[int, ...]:
    """`count` positive ints (one int when count is None)."""
    items = value if isinstance(value, (list, tuple)) else (value,)
    ok = all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v > 0
             for v in items) and len(items) == (count or 1)
    if not ok:
        want = f"{count} positive ints" if count else "a positive int"
        raise ParamError(f"{op}: {name} must be {want}, got {value!r}")
    return tuple(int(v) for v in items)


def _batch_rows(rois: Array, batches: int) -> tuple[Array, Array]:
    """Each region's image (its batch index truncated as C++ does, 0 where invalid) and
    whether that index lies in [0, batches)."""
    index = bind("trunc", column(rois, 0))
    valid = ew("logical_and", ew("ge", index, 0), ew("lt", index, batches))
    return as_dtype(select(valid, index, 0), np.int64), valid


def _zeros(data: Array, shape: tuple[int, ...]) -> Array:
    """The result when there is nothing to pool (no regions, or an empty map): zeros."""
    return constant(np.zeros(shape, data._dtype), data)


def _zero_invalid(out: Array, valid: Array) -> Array:
    return select(along(valid, 0, out.ndim), out, 0)


def _channels(op: str, data: Array, output_dim: int, group: int) -> None:
    if data.shape[1] < output_dim * group * group:
        raise ShapeError(f"{op}: data needs at least output_dim * group_size**2 = "
                         f"{output_dim} * {group}**2 channels, got {data.shape[1]}")


def _group_channels(output_dim: int, group: int, pooled: int) -> np.ndarray:
    """Input channel of each (output channel, bin row, bin column) of position-sensitive
    pooling: (c * group + gh) * group + gw with gh = floor(ph * group / pooled)."""
    g = np.minimum(np.arange(pooled) * group // pooled, group - 1)
    c = np.arange(output_dim)[:, None, None]
    return (c * group + g[None, :, None]) * group + g[None, None, :]


# ---- separable pooling: ROIAlign, PSROIPooling -------------------------------------------


def _pool_with_weights(data: Array, index: Array, valid: Array, wy: Array, wx: Array,
                       channels: np.ndarray | None = None) -> Array:
    """out[r, c, ph, pw] = sum over (h, w) of wy[r, ph, h] wx[r, pw, w] data[b_r, ch, h, w],
    where ch = c, or channels[c, ph, pw] (position-sensitive); 0 for invalid regions.

    The columns are contracted first for every image (one GEMM), then each region picks
    its image's rows and the rows are contracted (a batched GEMM, or a reduction when the
    channel depends on the bin)."""
    batches, chans, height, width = data.shape
    rois, pooled_w = wx.shape[:2]
    pooled_h = wy.shape[1]
    cols = bind("dot_general", data, wx, contract=((3,), (2,)), batch=((), ()))
    region = iota((rois,), 0, index)
    if channels is None:  # region r reads cols[b_r, :, :, r, :]
        by_region = reshape_exact(bind("transpose", cols, perm=(0, 3, 1, 2, 4)),
                                  (batches * rois, chans, height, pooled_w))
        picked = bind("take", by_region, ew("add", ew("mul", index, rois), region), axis=0,
                      mode="clip")
        out = bind("dot_general", picked, wy, contract=((2,), (2,)), batch=((0,), (0,)))
        return _zero_invalid(bind("transpose", out, perm=(0, 1, 3, 2)), valid)
    # region r, bin (ph, pw) reads cols[b_r, channels[c, ph, pw], h, r, pw] for every h
    out_dim = channels.shape[0]
    stride_c, stride_h = height * rois * pooled_w, rois * pooled_w
    per_region = ew("add", ew("mul", index, chans * stride_c), ew("mul", region, pooled_w))
    per_bin = channels * stride_c + np.arange(pooled_w)
    position = ew("add", ew("add", reshape_exact(per_region, (rois, 1, 1, 1, 1)),
                            constant(per_bin.reshape(1, out_dim, pooled_h, pooled_w, 1), index)),
                  ew("mul", iota((1, 1, 1, 1, height), 4, index), stride_h))
    picked = bind("take", reshape_exact(cols, (cols.size,)), position, axis=0, mode="clip")
    rows = reshape_exact(wy, (rois, 1, pooled_h, 1, height))
    out = bind("reduce_sum", ew("mul", picked, rows), axes=(4,))
    return _zero_invalid(out, valid)


def _sample_weights(start: Array, bin_size: Array, grid: Array, size: int, pooled: int,
                    sample_ratio: int) -> Array:
    """ROIAlign's weights along one axis, (R, pooled, size): the bilinear weights that the
    `grid` samples of each bin put on each row (or column), averaged. Samples beyond
    [-1, size] count but weigh nothing, as in MXNet.

    With a fixed sample_ratio every sample is enumerated. Otherwise the grid is
    ceil(bin size), so samples are more than half a pixel apart and at most 2 * size + 3
    of them fall within [-1, size]: 2 * size + 6 candidates from just before the first
    one cover them (each checked against the grid and the bounds)."""
    rois = start.shape[0]
    like = start
    ps = iota((1, pooled, 1), 1, like, like._dtype)
    base = ew("add", reshape_exact(start, (rois, 1, 1)),
              ew("mul", ps, reshape_exact(bin_size, (rois, 1, 1))))
    step_num = reshape_exact(bin_size, (rois, 1, 1))
    count = reshape_exact(grid, (rois, 1, 1))
    if sample_ratio > 0:
        candidates = sample_ratio
        first: Any = 0
    else:
        candidates = 2 * size + 6
        spacing = ew("div", step_num, count)
        first = floor(ew("sub", ew("div", ew("sub", -1.0, base), spacing), 1.5))
        first = select(ew("gt", first, 0), first, 0)  # (NaN: 0)
    k = ew("add", iota((1, 1, candidates), 2, like, like._dtype), first)
    y = ew("add", base, ew("div", ew("mul", ew("add", k, 0.5), step_num), count))
    inside = ew("logical_and", ew("lt", k, count),
                  ew("logical_and", ew("ge", y, -1.0), ew("le", y, float(size))))
    y = select(ew("le", y, 0), 0, y)
    low = floor(y)
    end = ew("ge", low, float(size - 1))
    low = select(end, float(size - 1), low)
    y = select(end, float(size - 1), y)
    high = select(end, float(size - 1), ew("add", low, 1.0))
    frac = ew("sub", y, low)
    rows = iota((1, 1, 1, size), 3, like, like._dtype)
    shape4 = (rois, pooled, candidates, 1)
    at_low = as_dtype(ew("eq", rows, reshape_exact(low, shape4)), like._dtype)
    at_high = as_dtype(ew("eq", rows, reshape_exact(high, shape4)), like._dtype)
    weight = ew("add", ew("mul", at_low, reshape_exact(ew("sub", 1.0, frac), shape4)),
                ew("mul", at_high, reshape_exact(frac, shape4)))
    weight = select(reshape_exact(inside, shape4), weight, 0)
    return ew("div", bind("reduce_sum", weight, axes=(2,)), count)


@register_operator("_contrib_ROIAlign", inputs=("data", "rois"))
def ROIAlign(data: Array, rois: Array, *, pooled_size: Sequence[int], spatial_scale: float,
             sample_ratio: int = -1, position_sensitive: bool = False,
             aligned: bool = False) -> Array:
    """Mask R-CNN's RoIAlign: each region of (R, 5) `rois` [batch, x1, y1, x2, y2] is cut
    into pooled_size bins and each bin is the average of bilinear samples of the
    (N, C, H, W) data at a regular grid (sample_ratio per axis, or ceil(bin size) when
    it is <= 0). Output (R, C, ph, pw); with position_sensitive, bin (i, j) of output
    channel c reads input channel (c * ph + i) * pw + j, giving C / (ph * pw) channels.
    `aligned` shifts coordinates by half a pixel (Detectron2) and keeps regions smaller
    than a pixel. Regions with a batch index outside the batch are zero. Gradient to the
    data; none to the regions.

    >>> mx.nd.contrib.ROIAlign(x, mx.nd.array([[0, 0, 0, 4, 4]]), pooled_size=(2, 2),
    ...                        spatial_scale=1.0)  # doctest: +SKIP
    """
    _inputs("ROIAlign", data, rois, 5)
    ph, pw = _positive("ROIAlign", "pooled_size", pooled_size, 2)
    scale = _scale("ROIAlign", spatial_scale)
    channels = None
    if position_sensitive:
        if data.shape[1] % (ph * pw):
            raise ShapeError(f"ROIAlign: position_sensitive needs channels divisible by "
                             f"pooled_size {ph}x{pw}, got {data.shape[1]}")
        out_dim = data.shape[1] // (ph * pw)
        channels = np.arange(out_dim * ph * pw).reshape(out_dim, ph, pw)
    if rois.shape[0] == 0 or data.size == 0:
        out_c = data.shape[1] if channels is None else channels.shape[0]
        return _zeros(data, (rois.shape[0], out_c, ph, pw))
    rois = bind("stop_gradient", rois)
    index, valid = _batch_rows(rois, data.shape[0])
    offset = 0.5 if aligned else 0.0
    x1, y1, x2, y2 = (ew("sub", ew("mul", column(rois, k), scale), offset) for k in range(1, 5))
    weights = []
    for lo, hi, pooled, size in ((y1, y2, ph, data.shape[2]), (x1, x2, pw, data.shape[3])):
        extent = ew("sub", hi, lo)
        if not aligned:  # (MXNet forces malformed regions to 1x1)
            extent = select(ew("lt", extent, 1.0), 1.0, extent)
        bin_size = ew("div", extent, float(pooled))
        if sample_ratio > 0:
            grid = constant(np.full(rois.shape[:1], sample_ratio, data._dtype), rois)
        else:
            grid = ceil(bin_size)
            grid = select(ew("lt", grid, 1.0), 1.0, grid)
        weights.append(_sample_weights(lo, bin_size, grid, size, pooled, int(sample_ratio)))
    return _pool_with_weights(data, index, valid, weights[0], weights[1], channels)


def _quantised_weights(start: Array, bin_size: Array, size: int, pooled: int) -> Array:
    """PSROIPooling's averaging weights along one axis, (R, pooled, size): 1 / length over
    each bin [floor(p * bin + start), ceil((p + 1) * bin + start)) clipped to [0, size), 0
    elsewhere (and for an empty bin)."""
    rois = start.shape[0]
    ps = iota((1, pooled), 1, start, start._dtype)
    step, at = reshape_exact(bin_size, (rois, 1)), reshape_exact(start, (rois, 1))
    lo = floor(ew("add", ew("mul", ps, step), at))
    hi = ceil(ew("add", ew("mul", ew("add", ps, 1.0), step), at))
    lo, hi = (ew("minimum", ew("maximum", v, 0.0), float(size)) for v in (lo, hi))
    cells = iota((1, 1, size), 2, start, start._dtype)
    inside = ew("logical_and", ew("ge", cells, reshape_exact(lo, (rois, pooled, 1))),
                ew("lt", cells, reshape_exact(hi, (rois, pooled, 1))))
    length = reshape_exact(ew("sub", hi, lo), (rois, pooled, 1))
    return select(inside, ew("div", 1.0, length), 0)


@register_operator("_contrib_PSROIPooling", inputs=("data", "rois"))
def PSROIPooling(data: Array, rois: Array, *, spatial_scale: float, output_dim: int,
                 pooled_size: int, group_size: int = 0) -> Array:
    """R-FCN's position-sensitive RoI pooling: each region of (R, 5) `rois` is cut into
    pooled_size x pooled_size quantised bins; bin (i, j) of output channel c averages input
    channel (c * group + gi) * group + gj over the bin, with gi = floor(i * group /
    pooled_size) (group_size 0 means pooled_size). Output (R, output_dim, pooled_size,
    pooled_size); empty bins are 0. Gradient to the data.

    >>> mx.nd.contrib.PSROIPooling(x, rois, spatial_scale=1.0, output_dim=2, pooled_size=2)
    ... # doctest: +SKIP
    """
    _inputs("PSROIPooling", data, rois, 5)
    scale = _scale("PSROIPooling", spatial_scale)
    (pooled,) = _positive("PSROIPooling", "pooled_size", pooled_size)
    (out_dim,) = _positive("PSROIPooling", "output_dim", output_dim)
    if group_size != 0:
        _positive("PSROIPooling", "group_size", group_size)
    group = int(group_size) or pooled
    _channels("PSROIPooling", data, out_dim, group)
    if rois.shape[0] == 0 or data.size == 0:
        return _zeros(data, (rois.shape[0], out_dim, pooled, pooled))
    rois = bind("stop_gradient", rois)
    index, valid = _batch_rows(rois, data.shape[0])
    corners = [bind("round", column(rois, k)) for k in range(1, 5)]
    weights = []
    for lo, hi, size in ((corners[1], corners[3], data.shape[2]),
                         (corners[0], corners[2], data.shape[3])):
        start, end = ew("mul", lo, scale), ew("mul", ew("add", hi, 1.0), scale)
        extent = ew("sub", end, start)
        extent = select(ew("lt", extent, 0.1), 0.1, extent)
        weights.append(_quantised_weights(start, ew("div", extent, float(pooled)), size,
                                          pooled))
    channels = _group_channels(out_dim, group, pooled)
    return _pool_with_weights(data, index, valid, weights[0], weights[1], channels)


# ---- ROIPooling --------------------------------------------------------------------------


def _lowest(dtype: np.dtype) -> Any:
    """MXNet's starting maximum, -FLT_MAX, in `dtype` (-inf in float16)."""
    with np.errstate(over="ignore"):
        return np.asarray(-np.finfo(np.float32).max).astype(dtype)[()]


def _roi_pool_numpy(data: np.ndarray, rois: np.ndarray, *, pooled_size: tuple[int, int],
                    spatial_scale: float) -> np.ndarray:
    """MXNet's ROIPoolForward, as positions: for each region, channel and bin, the flat
    index into `data` of the bin's first maximum (values at or below -FLT_MAX and NaN never
    win), -1 when nothing wins and -2 for an empty bin or a region whose batch index lies
    outside the batch (MXNet writes 0 there)."""
    t = data.dtype.type
    batches, chans, height, width = data.shape
    ph, pw = pooled_size
    out = np.full((rois.shape[0], chans, ph, pw), -2, np.int64)
    lowest = _lowest(data.dtype)
    wide = np.promote_types(data.dtype, np.float32)  # (C++: a DType times a float)
    with np.errstate(invalid="ignore"):  # (C++'s round: half away from zero)
        starts = evaluate("round", [rois[:, 1:5].astype(wide) * wide.type(spatial_scale)], {})
    for n in range(rois.shape[0]):
        if not -1 < rois[n, 0] < batches or not np.all(np.isfinite(starts[n])):
            continue
        x1, y1, x2, y2 = (int(v) for v in starts[n])
        image = data[int(rois[n, 0])]
        rows = _roi_pool_bins(y1, y2, ph, height, t)
        cols = _roi_pool_bins(x1, x2, pw, width, t)
        for i, (h0, h1) in enumerate(rows):
            for j, (w0, w1) in enumerate(cols):
                if h1 <= h0 or w1 <= w0:
                    continue
                window = image[:, h0:h1, w0:w1].reshape(chans, -1)
                best = np.argmax(np.where(window > lowest, window, -np.inf), axis=1)
                hit = window[np.arange(chans), best] > lowest
                flat = ((int(rois[n, 0]) * chans + np.arange(chans)) * height +
                        h0 + best // (w1 - w0)) * width + w0 + best % (w1 - w0)
                out[n, :, i, j] = np.where(hit, flat, -1)
    return out


def _roi_pool_bins(start: int, end: int, pooled: int, size: int, t: Any
                   ) -> list[tuple[int, int]]:
    """ROIPooling's bins along one axis: [floor(p * bin), ceil((p + 1) * bin)) shifted by
    the region's start and clipped to [0, size), bin = max(end - start + 1, 1) / pooled
    in the data's dtype."""
    bin_size = t(max(end - start + 1, 1)) / t(pooled)
    edges = [(int(np.floor(t(p) * bin_size)) + start, int(np.ceil(t(p + 1) * bin_size)) + start)
             for p in range(pooled)]
    return [(min(max(lo, 0), size), min(max(hi, 0), size)) for lo, hi in edges]


def _roi_pool_rule(data: AbstractValue, rois: AbstractValue, *, pooled_size: tuple[int, int],
                   spatial_scale: float) -> AbstractValue:
    return AbstractValue((rois.shape[0], data.shape[1]) + tuple(pooled_size),
                         np.dtype(np.int64))


# positions are integers: no gradient (ROIPooling gathers the values with `take`)
define_primitive("roi_pool_argmax", "opaque", _roi_pool_rule, _roi_pool_numpy,
                 differentiable=False)


@register_operator("ROIPooling", inputs=("data", "rois"))
def ROIPooling(data: Array, rois: Array, *, pooled_size: Sequence[int],
               spatial_scale: float) -> Array:
    """Fast R-CNN's RoI max pooling: each region of (R, 5) `rois` [batch, x1, y1, x2, y2]
    (scaled by spatial_scale and rounded) is cut into pooled_size quantised bins and each
    bin takes the maximum of the (N, C, H, W) data in it. Output (R, C, ph, pw); empty bins
    and regions with a batch index outside the batch are 0. The bins' maxima are found on
    the host (their windows depend on the regions' values) and gathered with `take`, so the
    gradient goes to the first maximum of each bin, as in MXNet.

    >>> x = mx.nd.arange(48).reshape((1, 1, 8, 6))
    >>> mx.nd.ROIPooling(x, mx.nd.array([[0, 0, 0, 4, 4]]), (2, 2), 1.0)  # doctest: +SKIP
    [[[[14. 16.]
       [26. 28.]]]]
    """
    _inputs("ROIPooling", data, rois, 5)
    pooled = _positive("ROIPooling", "pooled_size", pooled_size, 2)
    scale = _scale("ROIPooling", spatial_scale)
    if rois.shape[0] == 0 or data.size == 0:
        return _zeros(data, (rois.shape[0], data.shape[1]) + pooled)
    positions = bind("roi_pool_argmax", data, rois, pooled_size=pooled, spatial_scale=scale)
    value = bind("take", reshape_exact(data, (data.size,)), positions, axis=0, mode="clip")
    out = select(ew("eq", positions, -1), float(_lowest(data._dtype)), value)
    return select(ew("eq", positions, -2), 0, out)


# ---- DeformablePSROIPooling --------------------------------------------------------------


def _part_cells(pooled: int, part: int, dtype: np.dtype) -> np.ndarray:
    """The offset cell of each bin: floor(p / pooled * part), in MXNet's DType arithmetic."""
    p = np.arange(pooled).astype(dtype)
    return np.floor(p / dtype.type(pooled) * dtype.type(part)).astype(np.int64)


def _offsets(trans: Array, classes: int, part: int, cells: np.ndarray, axis: int) -> Array:
    """trans[r, 2 * class + axis, cells[ph], cells[pw]] as (R, classes, pooled, pooled)."""
    rois, depth = trans.shape[:2]
    pooled = cells.size
    plane = (np.arange(classes) * 2 + axis)[:, None, None] * part * part
    where = plane + (cells[:, None] * part + cells[None, :])[None]
    index = ew("add", ew("mul", iota((rois, 1, 1, 1), 0, trans), depth * part * part),
               constant(where.reshape(1, classes, pooled, pooled), trans))
    return bind("take", reshape_exact(trans, (trans.size,)), index, axis=0, mode="clip")


def _deformable_samples(start: Array, bin_size: Array, extent: Array, shift: Array,
                        pooled: int, samples: int, size: int, inner: bool
                        ) -> tuple[list[Array], list[Array], Array, Array]:
    """One axis of DeformablePSROIPooling's samples, shape (R, C, ph, pw, S, 1) (rows) or
    (R, C, ph, pw, 1, S) (columns, `inner`): the two neighbouring cells and their bilinear
    weights, whether each sample lies within [-0.5, size - 0.5], and how many do."""
    rois, out_dim = shift.shape[:2]
    axis_bin = 3 if inner else 2
    ps = iota((1, 1, pooled, pooled), axis_bin, start, start._dtype)
    first = ew("add", ew("add", ew("mul", ps, along(bin_size, 0, 4)), along(start, 0, 4)),
               ew("mul", shift, along(extent, 0, 4)))
    k = iota((1, 1, 1, 1, samples), 4, start, start._dtype)
    sub = reshape_exact(ew("div", bin_size, float(samples)), (rois, 1, 1, 1, 1))
    pos = ew("add", reshape_exact(first, first.shape + (1,)), ew("mul", k, sub))
    inside = ew("logical_and", ew("ge", pos, -0.5), ew("le", pos, size - 0.5))
    count = bind("reduce_sum", as_dtype(inside, start._dtype), axes=(4,))
    pos = ew("minimum", ew("maximum", pos, 0.0), float(size - 1))
    low, high = floor(pos), ceil(pos)
    frac = ew("sub", pos, low)
    shape = pos.shape[:4] + ((1, samples) if inner else (samples, 1))
    cells = [reshape_exact(as_dtype(c, np.int64), shape) for c in (low, high)]
    weights = [reshape_exact(w, shape) for w in (ew("sub", 1.0, frac), frac)]
    return cells, weights, reshape_exact(inside, shape), count


@register_operator("_contrib_DeformablePSROIPooling", inputs=("data", "rois", "trans"))
def DeformablePSROIPooling(data: Array, rois: Array, trans: Array | None = None, *,
                           spatial_scale: float, output_dim: int, group_size: int,
                           pooled_size: int, part_size: int = 0, sample_per_part: int = 1,
                           trans_std: float = 0.0, no_trans: bool = False) -> Array:
    """Deformable position-sensitive RoI pooling (Deformable ConvNets): as PSROIPooling,
    but each bin averages sample_per_part**2 bilinear samples, the bin moved by
    `trans` (R, 2 * classes, part_size, part_size) x trans_std x the region's size (one
    (x, y) offset per class of output channels and part cell; none with no_trans).
    Samples beyond the map are left out of the average. Output (R, output_dim,
    pooled_size, pooled_size). Gradients to the data and to `trans`.

    >>> mx.nd.contrib.DeformablePSROIPooling(x, rois, trans, spatial_scale=1.0,
    ...     output_dim=2, group_size=2, pooled_size=2, trans_std=0.1)  # doctest: +SKIP
    """
    op = "DeformablePSROIPooling"
    _inputs(op, data, rois, 5)
    scale = _scale(op, spatial_scale)
    (out_dim,) = _positive(op, "output_dim", output_dim)
    (group,) = _positive(op, "group_size", group_size)
    (pooled,) = _positive(op, "pooled_size", pooled_size)
    (samples,) = _positive(op, "sample_per_part", sample_per_part)
    part = int(part_size) or pooled
    if part < 1 or not 0.0 <= float(trans_std) <= 1.0:
        raise ParamError(f"{op}: part_size must be >= 0 and trans_std in [0, 1], got "
                         f"{part_size!r} and {trans_std!r}")
    _channels(op, data, out_dim, group)
    nrois = rois.shape[0]
    classes = 1
    if not no_trans:
        if trans is None:
            raise ParamError(f"{op}: trans is required unless no_trans=True")
        if trans.ndim != 4 or trans.shape[0] != nrois or trans.shape[1] % 2 or \
                trans.shape[1] == 0 or trans.shape[2:] != (part, part) or \
                out_dim % (trans.shape[1] // 2) or trans._dtype != data._dtype:
            raise ShapeError(f"{op}: trans must be ({nrois}, 2 * classes, {part}, {part}) in "
                             f"{data._dtype.name} with classes dividing output_dim={out_dim}, "
                             f"got {trans.shape} {trans._dtype.name}")
        classes = trans.shape[1] // 2
    if nrois == 0 or data.size == 0:
        return _zeros(data, (nrois, out_dim, pooled, pooled))
    rois = bind("stop_gradient", rois)
    index, valid = _batch_rows(rois, data.shape[0])
    corners = [bind("round", column(rois, k)) for k in range(1, 5)]
    class_of = constant(np.arange(out_dim) // (out_dim // classes), index)
    axes = []
    for axis, (lo, hi, size) in enumerate(((corners[0], corners[2], data.shape[3]),
                                           (corners[1], corners[3], data.shape[2]))):
        start = ew("sub", ew("mul", lo, scale), 0.5)
        extent = ew("sub", ew("sub", ew("mul", ew("add", hi, 1.0), scale), 0.5), start)
        extent = select(ew("lt", extent, 0.1), 0.1, extent)
        if no_trans or trans is None:
            shift = constant(np.zeros((nrois, out_dim, pooled, pooled), data._dtype), data)
        else:
            cells = _part_cells(pooled, part, data._dtype)
            per_class = _offsets(trans, classes, part, cells, axis)
            shift = ew("mul", bind("take", per_class, class_of, axis=1, mode="clip"),
                       float(trans_std))
        axes.append(_deformable_samples(start, ew("div", extent, float(pooled)), extent,
                                        shift, pooled, samples, size, axis == 0))
    (xs, wxs, in_x, count_x), (ys, wys, in_y, count_y) = axes
    chans, height, width = data.shape[1:]
    channel = _group_channels(out_dim, group, pooled).reshape(1, out_dim, pooled, pooled, 1, 1)
    plane = ew("mul", ew("add", ew("mul", along(index, 0, 6), chans),
                         constant(channel, index)), height * width)
    flat = reshape_exact(data, (data.size,))
    total = None
    for y, wy in zip(ys, wys):
        for x, wx in zip(xs, wxs):
            at = ew("add", plane, ew("add", ew("mul", y, width), x))
            term = ew("mul", bind("take", flat, at, axis=0, mode="clip"), ew("mul", wy, wx))
            total = term if total is None else ew("add", total, term)
    inside = ew("logical_and", in_y, in_x)
    summed = bind("reduce_sum", select(inside, total, 0), axes=(4, 5))
    count = ew("mul", count_y, count_x)
    out = select(ew("eq", count, 0), 0, ew("div", summed, select(ew("eq", count, 0), 1, count)))
    return _zero_invalid(out, valid)


# ---- RROIAlign ---------------------------------------------------------------------------


def _bilinear_corners(y: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                          np.ndarray]:
    """ROIAlign's bilinear rule along one axis of NumPy sample positions: (low cell, high
    cell, weight of low, weight of high), positions below 0 read cell 0 and positions from
    size - 1 on read the last cell."""
    y = np.where(y <= 0, 0, y).astype(y.dtype)
    low = np.floor(y).astype(np.int64)
    end = low >= size - 1
    low = np.where(end, size - 1, low)
    y = np.where(end, low, y).astype(y.dtype)
    high = np.where(end, low, low + 1)
    frac = (y - low).astype(y.dtype)
    return low, high, (1 - frac).astype(y.dtype), frac


def _rroi_align_numpy(data: np.ndarray, rois: np.ndarray, *, pooled_size: tuple[int, int],
                      spatial_scale: float, sampling_ratio: int) -> np.ndarray:
    """MXNet's RROIAlignForward: each rotated region [batch, cx, cy, w, h, angle in
    degrees] (counter-clockwise) averages bilinear samples on a grid rotated about its
    center; regions with a batch index outside the batch are 0."""
    t = data.dtype.type
    batches, chans, height, width = data.shape
    ph, pw = pooled_size
    out = np.zeros((rois.shape[0], chans, ph, pw), data.dtype)
    for n, roi in enumerate(rois):
        if not -1 < roi[0] < batches:  # (C++ truncates the index; NaN fails too)
            continue
        image = data[int(roi[0])].reshape(chans, height * width)
        cx, cy, w, h = (roi[k] * t(spatial_scale) for k in range(1, 5))
        theta = t(float(roi[5]) * math.pi / 180.0)
        w, h = max(w, t(1)), max(h, t(1))
        if not (np.isfinite(w) and np.isfinite(h)):
            continue  # (no sample grid for a NaN or infinite size)
        grid_h = sampling_ratio if sampling_ratio > 0 else int(math.ceil(h / t(ph)))
        grid_w = sampling_ratio if sampling_ratio > 0 else int(math.ceil(w / t(pw)))
        yy = _grid(-h / t(2), h / t(ph), ph, grid_h)[:, :, None, None]
        xx = _grid(-w / t(2), w / t(pw), pw, grid_w)[None, None, :, :]
        cos, sin = np.cos(theta), np.sin(theta)
        x = (xx * cos + yy * sin + cx).astype(data.dtype)
        y = (yy * cos - xx * sin + cy).astype(data.dtype)
        inside = (y >= -1) & (y <= height) & (x >= -1) & (x <= width)
        y0, y1, wy0, wy1 = _bilinear_corners(y, height)
        x0, x1, wx0, wx1 = _bilinear_corners(x, width)
        total = sum(image[:, yi * width + xi] * np.where(inside, wy * wx, 0)
                    for yi, wy in ((y0, wy0), (y1, wy1)) for xi, wx in ((x0, wx0), (x1, wx1)))
        out[n] = (total.sum(axis=(2, 4)) / t(grid_h * grid_w)).astype(data.dtype)
    return out


def _grid(start: Any, bin_size: Any, pooled: int, grid: int) -> np.ndarray:
    """Sample coordinates (pooled, grid): start + p * bin + (i + 0.5) * bin / grid."""
    t = type(bin_size)
    p = np.arange(pooled).astype(t)[:, None]
    i = (np.arange(grid) + 0.5).astype(t)[None, :]
    return (start + p * bin_size + i * bin_size / t(grid)).astype(t)


def _rroi_rule(data: AbstractValue, rois: AbstractValue, *, pooled_size: tuple[int, int],
               spatial_scale: float, sampling_ratio: int) -> AbstractValue:
    return AbstractValue((rois.shape[0], data.shape[1]) + tuple(pooled_size), data.dtype)


def _rroi_no_gradient(n: Node, g: Node) -> list[Node]:
    raise GradientError("RROIAlign has no gradient (MXNet's backward is not implemented)")


define_primitive("rroi_align", "opaque", _rroi_rule, _rroi_align_numpy, vjp=_rroi_no_gradient)


@register_operator("_contrib_RROIAlign", inputs=("data", "rois"))
def RROIAlign(data: Array, rois: Array, *, pooled_size: Sequence[int], spatial_scale: float,
              sampling_ratio: int = -1) -> Array:
    """Rotated RoIAlign for text detection: each region of (R, 6) `rois` [batch, x_center,
    y_center, width, height, angle in degrees] is cut into pooled_size bins of a grid
    rotated about its center, and each bin averages bilinear samples of the (N, C, H, W)
    data (sampling_ratio per axis, or ceil(bin size) when <= 0). Output (R, C, ph, pw).
    Computed on the host; as in MXNet it has no gradient.

    >>> mx.nd.contrib.RROIAlign(x, mx.nd.array([[0, 2, 2, 3, 2, 30]]), pooled_size=(2, 2),
    ...                         spatial_scale=1.0)  # doctest: +SKIP
    """
    _inputs("RROIAlign", data, rois, 6)
    pooled = _positive("RROIAlign", "pooled_size", pooled_size, 2)
    scale = _scale("RROIAlign", spatial_scale)
    if rois.shape[0] == 0 or data.size == 0:
        return _zeros(data, (rois.shape[0], data.shape[1]) + pooled)
    return bind("rroi_align", data, rois, pooled_size=pooled, spatial_scale=scale,
                sampling_ratio=int(sampling_ratio))
