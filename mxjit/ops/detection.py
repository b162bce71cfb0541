"""Object-detection operators of mx.nd.contrib: box geometry (`box_iou`, `box_encode`,
`box_decode`), non-maximum suppression (`box_nms`), `bipartite_matching`, SSD's MultiBox
family (`MultiBoxPrior`, `MultiBoxTarget`, `MultiBoxDetection`) and the RPN proposals of
Faster R-CNN (`Proposal`, `MultiProposal`).

Geometry with static shapes is composed of elementwise primitives. The greedy steps whose
course depends on the values (sort by score then suppress, match, mine negatives) run on
the host as the opaque primitives declared here, whose NumPy meanings follow MXNet 1.9.1's
CPU kernels step by step; the data flows in and out of them through ordinary primitives, so
every operator works eagerly and under `mx.jit` with the same results. Gradients are
MXNet's: `box_nms` hands each kept row's cotangent back to the row it came from (a `take`);
the other operators give zero gradients, as MXNet does.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..base import DTypeError, ParamError, ShapeError
from ..core import Array, bind
from ..core.operators import register_operator
from ..trace import define_primitive
from ..trace.graph import AbstractValue
from .elementwise import exp, log
from .operands import as_dtype, constant, ew, iota, reshape_exact, select
from .shape import slice_ranges

_FORMATS = ("corner", "center")


# ---- checks ------------------------------------------------------------------------------


def _floats(op: str, *arrays: Array) -> np.dtype:
    """The common floating-point dtype of `arrays`, or a DTypeError naming `op`."""
    dtypes = {a._dtype for a in arrays}
    if len(dtypes) != 1 or next(iter(dtypes)).kind != "f":
        raise DTypeError(f"{op}: inputs must share one floating-point dtype (float16, float32 "
                         f"or float64), got {[a._dtype.name for a in arrays]}")
    return next(iter(dtypes))


def _float32(op: str, *arrays: Array) -> None:
    """MXNet's legacy detection operators compute in float32 only."""
    if any(a._dtype != np.float32 for a in arrays):
        raise DTypeError(f"{op}: inputs must be float32 (MXNet's kernel is float32 only), got "
                         f"{[a._dtype.name for a in arrays]}")


def _format(op: str, name: str, value: Any) -> str:
    if value not in _FORMATS:
        raise ParamError(f"{op}: {name} must be 'corner' or 'center', got {value!r}")
    return str(value)


def _floats_param(op: str, name: str, value: Any, length: int | None = None
                  ) -> tuple[float, ...]:
    """A tuple-of-floats parameter (sizes, ratios, variances, ...)."""
    try:
        items = tuple(float(v) for v in (value if isinstance(value, (list, tuple)) else
                                         (value,)))
    except (TypeError, ValueError):
        raise ParamError(f"{op}: {name} must be a tuple of numbers, got {value!r}") from None
    if not items or (length is not None and len(items) != length):
        want = f"{length} numbers" if length is not None else "at least one number"
        raise ParamError(f"{op}: {name} must hold {want}, got {value!r}")
    return items


# ---- composition helpers -----------------------------------------------------------------


def column(x: Array, k: int) -> Array:
    """x[..., k]: one field of rows such as boxes [x1, y1, x2, y2] or rois.

    >>> column(mx.nd.array([[0, 1, 2, 3]]), 2).asnumpy()  # doctest: +SKIP
    array([2.], dtype=float32)
    """
    start = (0,) * (x.ndim - 1) + (k,)
    piece = slice_ranges(x, start, x.shape[:-1] + (k + 1,), (1,) * x.ndim)
    return reshape_exact(piece, x.shape[:-1])


def _stack_last(parts: Sequence[Array]) -> Array:
    """Arrays of one shape stacked along a new last axis."""
    shape = parts[0].shape + (1,)
    return bind("concat", *(reshape_exact(p, shape) for p in parts), axis=len(shape) - 1)


def _overlap(a1: Array, a2: Array, b1: Array, b2: Array, fmt: str) -> Array:
    """MXNet's `Intersect` (bounding_box-common.h): the overlap of two intervals along one
    axis, given as (min, max) corners or (center, size). Comparisons select as C++'s
    `a > b ? a : b` does, so a NaN picks the second operand."""
    if fmt == "center":
        ah, bh = ew("div", a2, 2), ew("div", b2, 2)
        a1, a2, b1, b2 = ew("sub", a1, ah), ew("add", a1, ah), ew("sub", b1, bh), \
            ew("add", b1, bh)
    left = select(ew("gt", a1, b1), a1, b1)
    right = select(ew("lt", a2, b2), a2, b2)
    width = ew("sub", right, left)
    return select(ew("gt", width, 0), width, 0)


def _area(box: Sequence[Array], fmt: str) -> Array:
    """MXNet's `BoxArea`: 0 for a box with a negative side."""
    if fmt == "corner":
        w, h = ew("sub", box[2], box[0]), ew("sub", box[3], box[1])
    else:
        w, h = box[2], box[3]
    negative = ew("logical_or", ew("lt", w, 0), ew("lt", h, 0))
    area = ew("mul", w, h)
    return select(negative, 0, area)


def _to_center(box: Sequence[Array]) -> list[Array]:
    left, top, right, bottom = box
    return [ew("div", ew("add", left, right), 2), ew("div", ew("add", top, bottom), 2),
            ew("sub", right, left), ew("sub", bottom, top)]


def _to_corner(box: Sequence[Array]) -> list[Array]:
    x, y, w, h = box
    hw, hh = ew("div", w, 2), ew("div", h, 2)
    return [ew("sub", x, hw), ew("sub", y, hh), ew("add", x, hw), ew("add", y, hh)]


def _decode(deltas: Sequence[Array], anchor: Sequence[Array], stds: Sequence[float],
            clip: float = -1.0) -> list[Array]:
    """Corner boxes from center-offset deltas on anchors given as (x, y, w, h): MXNet's
    `box_decode` arithmetic, shared by MultiBoxDetection (std = variance)."""
    ax, ay, aw, ah = anchor
    ox = ew("add", ew("mul", ew("mul", deltas[0], stds[0]), aw), ax)
    oy = ew("add", ew("mul", ew("mul", deltas[1], stds[1]), ah), ay)
    dw, dh = ew("mul", deltas[2], stds[2]), ew("mul", deltas[3], stds[3])
    if clip > 0:  # (`dw < clip ? dw : clip`: NaN becomes clip)
        dw, dh = (select(ew("lt", d, clip), d, clip) for d in (dw, dh))
    ow = ew("mul", ew("mul", exp(dw), aw), 0.5)
    oh = ew("mul", ew("mul", exp(dh), ah), 0.5)
    return [ew("sub", ox, ow), ew("sub", oy, oh), ew("add", ox, ow), ew("add", oy, oh)]


def _gather_rows(rows: Array, order: Array) -> Array:
    """rows[b, order[b, i]] of (B, n, k) rows, -1 where order is -1 (no row)."""
    b, n, k = rows.shape
    kept = ew("ge", order, 0)
    flat = ew("add", order, ew("mul", iota(order.shape, 0, order), n))
    picked = bind("take", reshape_exact(rows, (b * n, k)), select(kept, flat, 0), axis=0,
                  mode="clip")
    mask = bind("broadcast_to", reshape_exact(kept, kept.shape + (1,)), shape=picked.shape)
    return select(mask, picked, -1)


# ---- host steps: greedy suppression and matching ----------------------------------------


def _descending(values: np.ndarray) -> np.ndarray:
    """Positions sorting `values` from the largest, ties in index order (a stable sort)."""
    return np.argsort(-values, kind="stable")


def _above(values: np.ndarray, thresh: float) -> np.ndarray:
    """values > thresh, as C++ compares a DType value with a float parameter."""
    return values.astype(np.promote_types(values.dtype, np.float32)) > np.float32(thresh)


def _greedy_keep(count: int, suppresses: Callable[[int, slice], np.ndarray],
                 limit: int | None = None) -> np.ndarray:
    """Greedy NMS over `count` candidates in priority order: each one still alive
    suppresses the later ones `suppresses(i, slice(i + 1, count))` marks. Returns the alive
    mask (with `limit`, the first `limit` alive ones are exactly those kept)."""
    alive = np.ones(count, dtype=bool)
    kept = 0
    for i in range(count):
        if not alive[i]:
            continue
        kept += 1
        if limit is not None and kept >= limit:
            break
        rest = slice(i + 1, count)
        alive[rest] &= ~suppresses(i, rest)
    return alive


def _np_overlap(a1: np.ndarray, a2: np.ndarray, b1: np.ndarray, b2: np.ndarray,
                fmt: str) -> np.ndarray:
    """`_overlap` in NumPy (the host NMS of box_nms)."""
    if fmt == "center":
        ah, bh = a2 / 2, b2 / 2
        a1, a2, b1, b2 = a1 - ah, a1 + ah, b1 - bh, b1 + bh
    w = np.where(a2 < b2, a2, b2) - np.where(a1 > b1, a1, b1)
    return np.where(w > 0, w, 0).astype(w.dtype)


def _np_area(box: np.ndarray, fmt: str) -> np.ndarray:
    w, h = (box[:, 2] - box[:, 0], box[:, 3] - box[:, 1]) if fmt == "corner" else \
        (box[:, 2], box[:, 3])
    return np.where((w < 0) | (h < 0), 0, w * h).astype(box.dtype)


def _box_nms_numpy(data: np.ndarray, *, overlap_thresh: float, valid_thresh: float,
                   topk: int, coord_start: int, score_index: int, id_index: int,
                   background_id: int, force_suppress: bool, in_format: str) -> np.ndarray:
    """For each batch of (B, n, width) rows: the positions of the rows box_nms keeps, best
    score first, then -1 (MXNet's BoxNMSForward: filter by score and class, sort, keep the
    top k, suppress greedily where the IoU exceeds the threshold)."""
    batches, n, _ = data.shape
    out = np.full((batches, n), -1, dtype=np.int64)
    dtype = data.dtype.type
    scores = data[:, :, score_index]
    valid = scores > dtype(np.float32(valid_thresh))
    if id_index >= 0:
        valid &= data[:, :, id_index] != dtype(background_id)
    for b in range(batches):
        candidates = np.flatnonzero(valid[b])
        order = candidates[_descending(scores[b, candidates])][:n if topk < 0 else topk]
        same_class = id_index >= 0 and not force_suppress
        ids = np.trunc(data[b, order, id_index]) if same_class else None
        box = data[b, order, coord_start:coord_start + 4]
        kept = order[_box_nms_keep(box, ids, in_format, overlap_thresh)]
        out[b, :kept.size] = kept
    return out


def _box_nms_keep(box: np.ndarray, ids: np.ndarray | None, fmt: str, thresh: float
                  ) -> np.ndarray:
    """Which of the sorted boxes (n, 4) box_nms keeps (MXNet's nms_impl: IoU > thresh
    suppresses, within a class when `ids` are given)."""
    area = _np_area(box, fmt)

    def suppresses(i: int, rest: slice) -> np.ndarray:
        inter = _np_overlap(box[i, 0], box[i, 2], box[rest, 0], box[rest, 2], fmt) * \
            _np_overlap(box[i, 1], box[i, 3], box[rest, 1], box[rest, 3], fmt)
        with np.errstate(all="ignore"):
            hit = _above(inter / (area[i] + area[rest] - inter), thresh)
        return hit & (ids[rest] == ids[i]) if ids is not None else hit

    return _greedy_keep(box.shape[0], suppresses)


def _box_nms_rule(data: AbstractValue, **params: Any) -> AbstractValue:
    return AbstractValue(data.shape[:2], np.dtype(np.int64))


# positions of kept rows: integers, no gradient (box_nms gathers the rows with `take`)
define_primitive("box_nms_order", "opaque", _box_nms_rule, _box_nms_numpy,
                 differentiable=False)


def _bipartite_numpy(data: np.ndarray, *, is_ascend: bool, threshold: float, topk: int
                     ) -> np.ndarray:
    """MXNet's greedy bipartite matching of (B, N, M) scores: row and column markers, as
    (B, N + M) in the data's dtype (-1: unmatched). Like MXNet's kernel, `topk` ends the
    matching once more than `topk` pairs are matched."""
    batches, rows, cols = data.shape
    out = np.full((batches, rows + cols), -1, dtype=data.dtype)
    for b in range(batches):
        scores = data[b].reshape(-1)
        order = np.argsort(scores, kind="stable") if is_ascend else _descending(scores)
        if is_ascend:
            good = scores.astype(np.promote_types(scores.dtype, np.float32)) < \
                np.float32(threshold)
        else:
            good = _above(scores, threshold)
        row_of, col_of = out[b, :rows], out[b, rows:]
        count, most = 0, min(rows, cols)
        for j in order:
            r, c = divmod(int(j), cols)
            if row_of[r] != -1 or col_of[c] != -1:
                continue
            if not good[j]:
                break  # (the first free pair with a bad score ends the matching)
            row_of[r], col_of[c] = c, r
            count += 1
            if 0 < topk < count or count == most:
                break  # (or nothing is left free)
    return out


def _bipartite_rule(data: AbstractValue, **params: Any) -> AbstractValue:
    return AbstractValue((data.shape[0], data.shape[1] + data.shape[2]), data.dtype)


define_primitive("bipartite_matching", "opaque", _bipartite_rule, _bipartite_numpy,
                 differentiable=False)


# ---- box_iou, box_encode, box_decode ------------------------------------------------------


def _boxes(op: str, name: str, x: Array, ndim: int | None = None) -> None:
    if x.ndim < 2 or x.shape[-1] != 4 or (ndim is not None and x.ndim != ndim):
        dims = f"{ndim}-D" if ndim is not None else "at least 2-D"
        raise ShapeError(f"{op}: {name} must be {dims} with 4 coordinates in the last axis, "
                         f"got shape {x.shape}")


@register_operator("_contrib_box_iou", inputs=("lhs", "rhs"))
def box_iou(lhs: Array, rhs: Array, format: str = "corner") -> Array:
    """Intersection-over-union of every box of `lhs` (..., 4) with every box of `rhs`
    (..., 4): shape lhs.shape[:-1] + rhs.shape[:-1]. Boxes are [xmin, ymin, xmax, ymax]
    ('corner') or [x, y, width, height] ('center'). No gradient (zero, as in MXNet).

    >>> x = mx.nd.array([[0.5, 0.5, 1.0, 1.0], [0.0, 0.0, 0.5, 0.5]])
    >>> mx.nd.contrib.box_iou(x, mx.nd.array([[0.25, 0.25, 0.75, 0.75]]))  # doctest: +SKIP
    [[0.14285715]
     [0.14285715]]
    """
    fmt = _format("box_iou", "format", format)
    _boxes("box_iou", "lhs", lhs)
    _boxes("box_iou", "rhs", rhs)
    _floats("box_iou", lhs, rhs)
    nl, nr = lhs.size // 4, rhs.size // 4
    a = [reshape_exact(c, (nl, 1)) for c in
         (column(reshape_exact(lhs, (nl, 4)), k) for k in range(4))]
    b = [reshape_exact(c, (1, nr)) for c in
         (column(reshape_exact(rhs, (nr, 4)), k) for k in range(4))]
    inter = ew("mul", _overlap(a[0], a[2], b[0], b[2], fmt), _overlap(a[1], a[3], b[1], b[3], fmt))
    union = ew("sub", ew("add", _area(a, fmt), _area(b, fmt)), inter)
    iou = select(ew("le", inter, 0), 0, ew("div", inter, union))
    return bind("stop_gradient", reshape_exact(iou, lhs.shape[:-1] + rhs.shape[:-1]))


@register_operator("_contrib_box_encode",
                   inputs=("samples", "matches", "anchors", "refs", "means", "stds"))
def box_encode(samples: Array, matches: Array, anchors: Array, refs: Array, means: Array,
               stds: Array) -> list[Array]:
    """Regression targets of (B, N, 4) corner `anchors` toward their matched ground truth
    `refs[b, matches[b, n]]` ((B, M, 4) corners), as normalised center offsets
    ((dx / w - mean) / std, (log(w' / w) - mean) / std, ...), and the mask of the positive
    `samples` (> 0.5); rows that are not positive are 0. Returns [targets, masks], both
    (B, N, 4). Matches outside [0, M) are clipped. No gradient (as in MXNet).

    >>> t, m = mx.nd.contrib.box_encode(samples, matches, anchors, refs, means, stds)
    ... # doctest: +SKIP
    """
    _floats("box_encode", samples, matches, anchors, refs, means, stds)
    _boxes("box_encode", "anchors", anchors, 3)
    _boxes("box_encode", "refs", refs, 3)
    batch, n = anchors.shape[:2]
    for name, arr, shape in (("samples", samples, (batch, n)), ("matches", matches, (batch, n)),
                             ("means", means, (4,)), ("stds", stds, (4,))):
        if arr.shape != shape:
            raise ShapeError(f"box_encode: {name} must have shape {shape} for anchors of shape "
                             f"{anchors.shape}, got {arr.shape}")
    if refs.shape[0] != batch or refs.shape[1] == 0:
        raise ShapeError(f"box_encode: refs must be (B={batch}, M >= 1, 4), got {refs.shape}")
    m = refs.shape[1]
    match = ew("minimum", ew("maximum", as_dtype(bind("trunc", matches), np.int64), 0), m - 1)
    rows = ew("add", match, ew("mul", iota((batch, n), 0, match), m))
    ref = bind("take", reshape_exact(refs, (batch * m, 4)), rows, axis=0, mode="clip")
    ref_c = _center_of(ref)
    anc_c = _center_of(anchors)
    offsets = [ew("div", ew("sub", ref_c[0], anc_c[0]), anc_c[2]),
               ew("div", ew("sub", ref_c[1], anc_c[1]), anc_c[3]),
               log(ew("div", ref_c[2], anc_c[2])), log(ew("div", ref_c[3], anc_c[3]))]
    normed = [ew("div", ew("sub", o, column(means, k)), column(stds, k))
              for k, o in enumerate(offsets)]
    positive = ew("gt", samples, 0.5)
    targets = _stack_last([select(positive, t, 0) for t in normed])
    mask = as_dtype(bind("broadcast_to", reshape_exact(positive, (batch, n, 1)),
                         shape=(batch, n, 4)), samples._dtype)
    return [bind("stop_gradient", targets), bind("stop_gradient", mask)]


def _center_of(box: Array) -> list[Array]:
    """(x, y, w, h) of corner boxes, as box_encode computes them (x = xmin + w * 0.5)."""
    x1, y1, x2, y2 = (column(box, k) for k in range(4))
    w, h = ew("sub", x2, x1), ew("sub", y2, y1)
    return [ew("add", x1, ew("mul", w, 0.5)), ew("add", y1, ew("mul", h, 0.5)), w, h]


@register_operator("_contrib_box_decode", inputs=("data", "anchors"))
def box_decode(data: Array, anchors: Array, std0: float = 1.0, std1: float = 1.0,
               std2: float = 1.0, std3: float = 1.0, clip: float = -1.0,
               format: str = "center") -> Array:
    """Corner boxes (B, N, 4) from predicted center offsets `data` (B, N, 4) on `anchors`
    (1, N, 4), given as corners or centers (`format`): x = dx * std0 * w + x_a,
    w = exp(dw * std2) * w_a (dw * std2 limited to `clip` when clip > 0), and likewise for
    y and h. No gradient (as in MXNet).

    >>> mx.nd.contrib.box_decode(mx.nd.zeros((1, 1, 4)), mx.nd.array([[[0, 0, 2, 2]]]),
    ...                          format='corner')  # doctest: +SKIP
    [[[0. 0. 2. 2.]]]
    """
    fmt = _format("box_decode", "format", format)
    _floats("box_decode", data, anchors)
    _boxes("box_decode", "data", data, 3)
    n = data.shape[1]
    if anchors.shape != (1, n, 4):
        raise ShapeError(f"box_decode: anchors must have shape (1, {n}, 4) for data of shape "
                         f"{data.shape}, got {anchors.shape}")
    anchor = _center_of(anchors) if fmt == "corner" else [column(anchors, k) for k in range(4)]
    deltas = [column(data, k) for k in range(4)]
    boxes = _decode(deltas, anchor, (std0, std1, std2, std3), clip)
    return bind("stop_gradient", _stack_last(boxes))


# ---- box_nms -----------------------------------------------------------------------------


def _check_nms_layout(width: int, coord_start: int, score_index: int, id_index: int) -> None:
    """MXNet's BoxNMSShape checks of the row layout."""
    expected = 6 if id_index >= 0 else 5
    if width < expected:
        raise ShapeError(f"box_nms: rows need at least {expected} values (score, 4 coordinates"
                         f"{', class id' if id_index >= 0 else ''}), got {width}")
    coords = range(coord_start, coord_start + 4)
    if not (0 <= coord_start and coord_start + 3 < width):
        raise ParamError(f"box_nms: coordinates {coord_start}..{coord_start + 3} out of range "
                         f"for rows of width {width}")
    for name, index in (("score_index", score_index), ("id_index", id_index)):
        if name == "id_index" and index < 0:
            continue
        if not 0 <= index < width:
            raise ParamError(f"box_nms: {name}={index} out of range for rows of width {width}")
        if index in coords:
            raise ParamError(f"box_nms: {name}={index} conflicts with the coordinates "
                             f"{coord_start}..{coord_start + 3}")
    if id_index == score_index:
        raise ParamError(f"box_nms: id_index and score_index are both {id_index}")


@register_operator("_contrib_box_nms", aliases=("_contrib_box_non_maximum_suppression",))
def box_nms(data: Array, overlap_thresh: float = 0.5, valid_thresh: float = 0.0,
            topk: int = -1, coord_start: int = 2, score_index: int = 1, id_index: int = -1,
            background_id: int = -1, force_suppress: bool = False, in_format: str = "corner",
            out_format: str = "corner") -> Array:
    """Non-maximum suppression over rows [id, score, xmin, ymin, xmax, ymax, ...] of
    (..., n, width) data (leading axes are batches). Rows with score > valid_thresh (and a
    class id other than background_id) are sorted by descending score, the best `topk` are
    kept, and each row whose IoU with a better kept row exceeds overlap_thresh is removed
    (only within its class unless force_suppress). The result has the data's shape: the
    kept rows in order, then rows of -1; coordinates are converted to `out_format`. The
    gradient goes back to the rows the kept ones came from; topk=0 returns the data.

    >>> x = mx.nd.array([[0, 0.5, 0.1, 0.1, 0.2, 0.2], [1, 0.4, 0.1, 0.1, 0.2, 0.2]])
    >>> mx.nd.contrib.box_nms(x, overlap_thresh=0.1, force_suppress=True)  # doctest: +SKIP
    [[ 0.   0.5  0.1  0.1  0.2  0.2]
     [-1.  -1.  -1.  -1.  -1.  -1. ]]
    """
    fin, fout = _format("box_nms", "in_format", in_format), \
        _format("box_nms", "out_format", out_format)
    _floats("box_nms", data)
    if data.ndim < 2:
        raise ShapeError(f"box_nms: data must be (..., num_boxes, width) with at least 2 dims, "
                         f"got shape {data.shape}")
    n, width = data.shape[-2:]
    _check_nms_layout(width, coord_start, score_index, id_index)
    if n == 0 or topk == 0 or data.size == 0:
        return data  # (MXNet returns the input when topk < 1; front ends copy it)
    batches = data.size // (n * width)
    rows = reshape_exact(data, (batches, n, width))
    order = bind("box_nms_order", rows, overlap_thresh=float(overlap_thresh),
                 valid_thresh=float(valid_thresh), topk=int(topk),
                 coord_start=int(coord_start), score_index=int(score_index),
                 id_index=int(id_index), background_id=int(background_id),
                 force_suppress=bool(force_suppress), in_format=fin)
    out = _gather_rows(rows, order)
    if fin != fout:
        coords = [column(out, coord_start + k) for k in range(4)]
        moved = _to_center(coords) if fout == "center" else _to_corner(coords)
        kept = ew("ge", order, 0)
        converted = [select(kept, new, old) for new, old in zip(moved, coords)]
        columns = [column(out, k) for k in range(width)]
        columns[coord_start:coord_start + 4] = converted
        out = _stack_last(columns)
    return reshape_exact(out, data.shape)


# ---- bipartite_matching ------------------------------------------------------------------


@register_operator("_contrib_bipartite_matching")
def bipartite_matching(data: Array, is_ascend: bool = False, *, threshold: float,
                       topk: int = -1) -> list[Array]:
    """Greedy bipartite matching of a (..., N, M) score matrix: pairs are taken best score
    first (lowest with is_ascend) while both row and column are free, until a free pair's
    score is not above `threshold` (below, with is_ascend). Returns [the column matched to
    each row (..., N), the row matched to each column (..., M)], -1 where unmatched, in the
    data's dtype. As in MXNet, `topk` stops the matching once more than topk pairs are
    matched. No gradient.

    >>> s = mx.nd.array([[0.5, 0.6], [0.1, 0.2], [0.3, 0.4]])
    >>> mx.nd.contrib.bipartite_matching(s, threshold=1e-12)  # doctest: +SKIP
    [[ 1. -1.  0.], [2. 0.]]
    """
    _floats("bipartite_matching", data)
    if data.ndim < 2:
        raise ShapeError(f"bipartite_matching: data must be a (..., N, M) score matrix, got "
                         f"shape {data.shape}")
    rows, cols = data.shape[-2:]
    lead = data.shape[:-2]
    batches = math.prod(lead)
    if batches * rows * cols == 0:
        return [constant(np.full(lead + (rows,), -1, data._dtype), data),
                constant(np.full(lead + (cols,), -1, data._dtype), data)]
    markers = bind("bipartite_matching", reshape_exact(data, (batches, rows, cols)),
                   is_ascend=bool(is_ascend), threshold=float(threshold), topk=int(topk))
    row_marker = slice_ranges(markers, (0, 0), (batches, rows), (1, 1))
    col_marker = slice_ranges(markers, (0, rows), (batches, rows + cols), (1, 1))
    return [reshape_exact(row_marker, lead + (rows,)), reshape_exact(col_marker, lead + (cols,))]


# ---- MultiBoxPrior -----------------------------------------------------------------------


def _prior_boxes(height: int, width: int, sizes: Sequence[float], ratios: Sequence[float],
                 steps: Sequence[float], offsets: Sequence[float]) -> np.ndarray:
    """MXNet's MultiBoxPriorForward in float32: for each cell (row-major), anchors of every
    size at the first ratio, then of the first size at the other ratios, as corners."""
    f = np.float32
    step_y, step_x = (f(steps[0]), f(steps[1])) if steps[0] > 0 and steps[1] > 0 else \
        (f(1) / f(height), f(1) / f(width))
    shapes = [(f(s), np.sqrt(f(ratios[0]))) for s in sizes] + \
        [(f(sizes[0]), np.sqrt(f(r))) for r in ratios[1:]]
    half_w = np.array([s * f(height) / f(width) * r / f(2) for s, r in shapes], f)
    half_h = np.array([s / r / f(2) for s, r in shapes], f)
    cy = ((np.arange(height, dtype=f) + f(offsets[0])) * step_y)[:, None, None]
    cx = ((np.arange(width, dtype=f) + f(offsets[1])) * step_x)[None, :, None]
    grid = (height, width, len(shapes))
    corners = [np.broadcast_to(v, grid) for v in
               (cx - half_w, cy - half_h[None, None, :], cx + half_w, cy + half_h)]
    return np.stack(corners, axis=-1).reshape(1, -1, 4)


@register_operator("_contrib_MultiBoxPrior")
def MultiBoxPrior(data: Array, sizes: Sequence[float] = (1.0,),
                  ratios: Sequence[float] = (1.0,), clip: bool = False,
                  steps: Sequence[float] = (-1.0, -1.0),
                  offsets: Sequence[float] = (0.5, 0.5)) -> Array:
    """SSD's anchor boxes for a (N, C, H, W) feature map: at each cell, one box per size
    (at the first ratio) and one per further ratio (at the first size), as corners
    normalised to the image, shape (1, H * W * (len(sizes) + len(ratios) - 1), 4).
    Centers are (cell + offset) * step, the step defaulting to 1 / H and 1 / W; `clip`
    limits coordinates to [0, 1]. Only the data's shape is read (no gradient).

    >>> mx.nd.contrib.MultiBoxPrior(mx.nd.ones((1, 3, 2, 2)), sizes=(0.5,)).shape
    ... # doctest: +SKIP
    (1, 4, 4)
    """
    _float32("MultiBoxPrior", data)
    if data.ndim < 4 or data.shape[2] <= 0 or data.shape[3] <= 0:
        raise ShapeError(f"MultiBoxPrior: data must be (batch, channel, height, width) with a "
                         f"non-empty feature map, got shape {data.shape}")
    size_list = _floats_param("MultiBoxPrior", "sizes", sizes)
    ratio_list = _floats_param("MultiBoxPrior", "ratios", ratios)
    step = _floats_param("MultiBoxPrior", "steps", steps, 2)
    offset = _floats_param("MultiBoxPrior", "offsets", offsets, 2)
    if step[0] * step[1] < 0:
        raise ParamError(f"MultiBoxPrior: steps {step}: give both step_y and step_x, or "
                         "neither (-1)")
    if not all(0 <= o <= 1 for o in offset):
        raise ParamError(f"MultiBoxPrior: offsets must lie in [0, 1], got {offset}")
    boxes = _prior_boxes(data.shape[2], data.shape[3], size_list, ratio_list, step, offset)
    return constant(np.clip(boxes, 0, 1) if clip else boxes, data)


# ---- MultiBoxTarget ----------------------------------------------------------------------


def _target_overlaps(anchors: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """IoU (A, G) of anchors and ground-truth corners as MultiBoxTarget's mshadow
    expression computes it (a zero union gives 0)."""
    a = [anchors[:, k, None] for k in range(4)]
    g = [truth[None, :, k] for k in range(4)]

    def side(lo: int, hi: int) -> np.ndarray:
        right = np.where(a[hi] < g[hi], a[hi], g[hi])
        left = np.where(a[lo] > g[lo], a[lo], g[lo])
        return np.where(right - left < 0, np.float32(0), right - left)

    inter = side(0, 2) * side(1, 3)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (g[2] - g[0]) * (g[3] - g[1]) - inter
    with np.errstate(all="ignore"):
        return np.where(union == 0, np.float32(0), inter / union).astype(np.float32)


def _best_truth(ious: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each anchor's best IoU and ground truth (first of ties; -1, -1 when none is > -1)."""
    clean = np.where(np.isnan(ious), -np.inf, ious)
    best = clean.max(axis=1)
    found = best > -1
    return np.where(found, best, np.float32(-1)), np.where(found, clean.argmax(axis=1), -1)


def _match_anchors(ious: np.ndarray, overlap_threshold: float
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MXNet's matching: each ground truth takes its best free anchor, best pair first,
    then every other anchor whose best IoU exceeds the threshold. Returns (positive flags,
    matched truth, best IoU; -1 where not computed)."""
    anchors = ious.shape[0]
    positive = np.zeros(anchors, dtype=bool)
    match = np.full(anchors, -1, dtype=np.int64)
    best = np.full(anchors, -1, dtype=np.float32)
    free = np.where(np.isnan(ious), -np.inf, ious)
    for _ in range(ious.shape[1]):
        j, k = np.unravel_index(int(np.argmax(free)), free.shape)
        if not free[j, k] > np.float32(1e-6):
            break
        positive[j], match[j], best[j] = True, k, free[j, k]
        free[j, :] = -np.inf
        free[:, k] = -np.inf
    if overlap_threshold > 0:
        value, truth = _best_truth(ious)
        rest = ~positive & (truth >= 0)
        best[rest], match[rest] = value[rest], truth[rest]
        positive |= rest & (value > np.float32(overlap_threshold))
    return positive, match, best


def _background_prob(preds: np.ndarray) -> np.ndarray:
    """Softmax probability of class 0 for (C, A) class predictions (MXNet's float32 steps)."""
    top = preds.max(axis=0)
    return (np.exp(preds[0] - top) / np.exp(preds - top).sum(axis=0)).astype(np.float32)


def _multibox_target_numpy(anchors: np.ndarray, labels: np.ndarray, cls_preds: np.ndarray, *,
                           overlap_threshold: float, ignore_label: float,
                           negative_mining_ratio: float, negative_mining_thresh: float,
                           variances: tuple[float, ...]) -> np.ndarray:
    """MXNet's MultiBoxTargetForward: per batch, match anchors (A, 4) to the labels' boxes
    (rows up to the first class id -1), pick negatives (all, or the hardest by background
    probability when mining), and write [loc_target (A * 4), loc_mask (A * 4),
    cls_target (A)] for each batch."""
    f = np.float32
    batches, num_anchors = labels.shape[0], anchors.shape[0]
    loc = np.zeros((batches, num_anchors, 4), f)
    mask = np.zeros((batches, num_anchors, 4), f)
    cls = np.full((batches, num_anchors), f(ignore_label), f)
    for b in range(batches):
        ends = np.flatnonzero(labels[b, :, 0] == -1)
        truth = labels[b, :ends[0] if ends.size else labels.shape[1]]
        if truth.shape[0] == 0:
            continue
        ious = _target_overlaps(anchors, truth[:, 1:5])
        positive, match, best = _match_anchors(ious, overlap_threshold)
        negative = ~positive
        if negative_mining_ratio > 0:
            wanted = int(f(positive.sum()) * f(negative_mining_ratio))
            wanted = min(wanted, num_anchors - int(positive.sum()))
            negative = np.zeros(num_anchors, dtype=bool)
            if wanted > 0:
                value, _ = _best_truth(ious)
                best = np.where(best < 0, value, best)
                pool = np.flatnonzero(~positive & (best < f(negative_mining_thresh)))
                prob = _background_prob(cls_preds[b][:, pool])
                negative[pool[np.argsort(prob, kind="stable")[:wanted]]] = True
        cls[b, negative] = 0
        rows = np.flatnonzero(positive)
        gt = truth[match[rows]]
        cls[b, rows] = gt[:, 0] + f(1)
        mask[b, rows] = 1
        loc[b, rows] = _loc_targets(anchors[rows], gt[:, 1:5], variances)
    return np.concatenate([loc.reshape(batches, -1), mask.reshape(batches, -1), cls], axis=1)


def _loc_targets(anchor: np.ndarray, truth: np.ndarray, variances: Sequence[float]
                 ) -> np.ndarray:
    """MXNet's AssignLocTargets in float32: center offsets over the anchor's size and log
    size ratios, each divided by its variance."""
    f = np.float32
    aw, ah = anchor[:, 2] - anchor[:, 0], anchor[:, 3] - anchor[:, 1]
    ax, ay = (anchor[:, 0] + anchor[:, 2]) * f(0.5), (anchor[:, 1] + anchor[:, 3]) * f(0.5)
    gw, gh = truth[:, 2] - truth[:, 0], truth[:, 3] - truth[:, 1]
    gx, gy = (truth[:, 0] + truth[:, 2]) * f(0.5), (truth[:, 1] + truth[:, 3]) * f(0.5)
    vx, vy, vw, vh = (f(v) for v in variances)
    with np.errstate(all="ignore"):
        return np.stack([(gx - ax) / aw / vx, (gy - ay) / ah / vy, np.log(gw / aw) / vw,
                         np.log(gh / ah) / vh], axis=1).astype(f)


def _multibox_target_rule(anchors: AbstractValue, labels: AbstractValue,
                          cls_preds: AbstractValue, **params: Any) -> AbstractValue:
    return AbstractValue((labels.shape[0], 9 * anchors.shape[0]), np.dtype(np.float32))


define_primitive("multibox_target", "opaque", _multibox_target_rule, _multibox_target_numpy,
                 differentiable=False)


@register_operator("_contrib_MultiBoxTarget", inputs=("anchor", "label", "cls_pred"))
def MultiBoxTarget(anchor: Array, label: Array, cls_pred: Array,
                   overlap_threshold: float = 0.5, ignore_label: float = -1.0,
                   negative_mining_ratio: float = -1.0, negative_mining_thresh: float = 0.5,
                   minimum_negative_samples: int = 0,
                   variances: Sequence[float] = (0.1, 0.1, 0.2, 0.2)) -> list[Array]:
    """SSD training targets. `anchor` (1, A, 4) corners, `label` (B, L, >= 5) rows
    [class, xmin, ymin, xmax, ymax, ...] padded with rows of -1, `cls_pred` (B, classes, A).
    Each ground truth takes its best anchor, then every anchor whose best IoU exceeds
    overlap_threshold is positive; the others are negatives (class 0), or with
    negative_mining_ratio > 0 only the ratio x positives of them with the lowest background
    probability and IoU below negative_mining_thresh (the rest get ignore_label). Returns
    [loc_target (B, A * 4), loc_mask (B, A * 4), cls_target (B, A)]. As in MXNet's CPU
    kernel, minimum_negative_samples is not used; no gradient.

    >>> loc, mask, cls = mx.nd.contrib.MultiBoxTarget(anchors, labels, cls_preds)
    ... # doctest: +SKIP
    """
    _float32("MultiBoxTarget", anchor, label, cls_pred)
    if anchor.ndim != 3 or anchor.shape[0] != 1 or anchor.shape[1] == 0 or \
            anchor.shape[2] != 4:
        raise ShapeError(f"MultiBoxTarget: anchor must be (1, num_anchors > 0, 4), got "
                         f"{anchor.shape}")
    if label.ndim != 3 or label.shape[1] == 0 or label.shape[2] < 5:
        raise ShapeError(f"MultiBoxTarget: label must be (batch, num_labels > 0, width >= 5), "
                         f"got {label.shape}")
    num_anchors = anchor.shape[1]
    if cls_pred.ndim != 3 or cls_pred.shape[2] != num_anchors or \
            cls_pred.shape[0] != label.shape[0]:
        raise ShapeError(f"MultiBoxTarget: cls_pred must be (batch={label.shape[0]}, classes, "
                         f"num_anchors={num_anchors}), got {cls_pred.shape}")
    var = _floats_param("MultiBoxTarget", "variances", variances, 4)
    out = bind("multibox_target", reshape_exact(anchor, (num_anchors, 4)), label, cls_pred,
               overlap_threshold=float(overlap_threshold), ignore_label=float(ignore_label),
               negative_mining_ratio=float(negative_mining_ratio),
               negative_mining_thresh=float(negative_mining_thresh), variances=var)
    batches, a4 = label.shape[0], 4 * num_anchors
    parts = [(0, a4), (a4, 2 * a4), (2 * a4, 2 * a4 + num_anchors)]
    return [slice_ranges(out, (0, lo), (batches, hi), (1, 1)) for lo, hi in parts]


# ---- MultiBoxDetection -------------------------------------------------------------------


def _detection_numpy(rows: np.ndarray, *, nms_threshold: float, force_suppress: bool,
                     nms_topk: int) -> np.ndarray:
    """MXNet's MultiBoxDetectionForward after decoding, on (B, A, 6) rows [class id, score,
    box]: the rows with an id >= 0 are moved to the front; unless the threshold is outside
    (0, 1], the best `nms_topk` by score are sorted to the front and greedy NMS (same class
    unless forced, IoU >= threshold) sets the id of suppressed rows to -1. Rows beyond the
    kept ones keep their unsorted content with id -1, as in MXNet."""
    out = np.full_like(rows, -1)
    for b in range(rows.shape[0]):
        valid = rows[b, rows[b, :, 0] >= 0]
        count = valid.shape[0]
        out[b, :count] = valid
        if count < 1 or nms_threshold <= 0 or nms_threshold > 1:
            continue
        keep = count if nms_topk <= 0 else min(nms_topk, count)
        out[b, keep:count, 0] = -1
        top = valid[_descending(valid[:, 1])[:keep]]
        top[~_detection_keep(top, nms_threshold, force_suppress), 0] = -1
        out[b, :keep] = top
    return out


def _detection_keep(top: np.ndarray, thresh: float, force: bool) -> np.ndarray:
    """Which of the sorted detection rows (n, 6) survive MultiBoxDetection's NMS
    (CalculateOverlap >= thresh suppresses, within a class unless `force`)."""
    box = top[:, 2:6]
    area = (box[:, 2] - box[:, 0]) * (box[:, 3] - box[:, 1])

    def suppresses(i: int, rest: slice) -> np.ndarray:
        w = np.minimum(box[i, 2], box[rest, 2]) - np.maximum(box[i, 0], box[rest, 0])
        h = np.minimum(box[i, 3], box[rest, 3]) - np.maximum(box[i, 1], box[rest, 1])
        inter = np.maximum(w, 0) * np.maximum(h, 0)
        union = area[i] + area[rest] - inter
        with np.errstate(all="ignore"):
            iou = np.where(union <= 0, np.float32(0), inter / union)
        return (force | (top[rest, 0] == top[i, 0])) & (iou >= np.float32(thresh))

    return _greedy_keep(top.shape[0], suppresses)


define_primitive("multibox_detection", "opaque", lambda rows, **params: rows,
                 _detection_numpy, differentiable=False)


def _class_scores(cls_prob: Array, threshold: float) -> tuple[Array, Array]:
    """Each anchor's best foreground class (id - 1, -1 for none) and its probability, as
    MXNet picks them: the first maximum above -1 of classes 1.., kept when >= threshold."""
    batches, classes, anchors = cls_prob.shape
    if classes < 2:
        none = constant(np.full((batches, anchors), -1, np.float32), cls_prob)
        return none, none
    fg = slice_ranges(cls_prob, (0, 1, 0), (batches, classes, anchors), (1, 1, 1))
    above = ew("gt", fg, -1)
    masked = select(above, fg, -1)
    score = bind("reduce_max", masked, axes=(1,))
    best = as_dtype(bind("argmax", masked, axis=1), np.float32)
    chosen = ew("logical_and", ew("gt", score, -1), ew("ge", score, np.float32(threshold)))
    return select(chosen, best, -1), score


@register_operator("_contrib_MultiBoxDetection", inputs=("cls_prob", "loc_pred", "anchor"))
def MultiBoxDetection(cls_prob: Array, loc_pred: Array, anchor: Array, clip: bool = True,
                      threshold: float = 0.01, background_id: int = 0,
                      nms_threshold: float = 0.5, force_suppress: bool = False,
                      variances: Sequence[float] = (0.1, 0.1, 0.2, 0.2),
                      nms_topk: int = -1) -> Array:
    """SSD detections (B, A, 6) rows [class id, score, xmin, ymin, xmax, ymax] from class
    probabilities `cls_prob` (B, classes, A), box offsets `loc_pred` (B, A * 4) and
    `anchor` (1, A, 4): each anchor's best foreground class with probability >= threshold
    (class 0 is the background; as in MXNet's kernel `background_id` is not used), its
    decoded box (clipped to [0, 1] with `clip`), sorted by score, the best `nms_topk`
    suppressed greedily (IoU >= nms_threshold, within a class unless force_suppress).
    Suppressed and dropped rows have id -1. No gradient.

    >>> mx.nd.contrib.MultiBoxDetection(cls_prob, loc_pred, anchors)  # doctest: +SKIP
    """
    _float32("MultiBoxDetection", cls_prob, loc_pred, anchor)
    if cls_prob.ndim != 3 or loc_pred.ndim != 2 or anchor.ndim != 3:
        raise ShapeError(f"MultiBoxDetection: cls_prob, loc_pred and anchor must be 3-D, 2-D "
                         f"and 3-D, got {cls_prob.shape}, {loc_pred.shape}, {anchor.shape}")
    batches, _, num_anchors = cls_prob.shape
    if anchor.shape[1:] != (num_anchors, 4) or anchor.shape[0] == 0 or num_anchors == 0 or \
            loc_pred.shape != (batches, 4 * num_anchors):
        raise ShapeError(f"MultiBoxDetection: for cls_prob {cls_prob.shape} (num_anchors > 0) "
                         f"anchor must be (1, {num_anchors}, 4) and loc_pred "
                         f"({batches}, {4 * num_anchors}), got {anchor.shape} and "
                         f"{loc_pred.shape}")
    var = _floats_param("MultiBoxDetection", "variances", variances, 4)
    first = reshape_exact(slice_ranges(anchor, (0, 0, 0), (1, num_anchors, 4), (1, 1, 1)),
                          (num_anchors, 4))
    x1, y1, x2, y2 = (column(first, k) for k in range(4))
    centers = [ew("div", ew("add", x1, x2), 2), ew("div", ew("add", y1, y2), 2),
               ew("sub", x2, x1), ew("sub", y2, y1)]
    deltas = reshape_exact(loc_pred, (batches, num_anchors, 4))
    boxes = _decode([column(deltas, k) for k in range(4)], centers, var)
    if clip:
        boxes = [ew("maximum", ew("minimum", b, 1), 0) for b in boxes]
    ids, scores = _class_scores(cls_prob, threshold)
    rows = _stack_last([ids, scores] + boxes)
    return bind("multibox_detection", rows, nms_threshold=float(nms_threshold),
                force_suppress=bool(force_suppress), nms_topk=int(nms_topk))


# ---- Proposal, MultiProposal -------------------------------------------------------------


def _rpn_anchors(stride: int, scales: Sequence[float], ratios: Sequence[float],
                 height: int, width: int) -> np.ndarray:
    """The (H * W * A, 4) anchors of an RPN feature map, MXNet's GenerateAnchors (float32
    with its double steps) shifted to every cell (index (h * W + w) * A + a)."""
    f = np.float32
    size = f(stride) * f(stride)  # (the base anchor is [0, 0, stride - 1, stride - 1])
    center = f(0.5 * (float(stride) - 1.0))
    base = []
    for ratio in ratios:
        for scale in scales:
            ws = np.floor(np.sqrt(np.floor(size / f(ratio))) + f(0.5)) * f(scale)
            hs = np.floor(ws / f(scale) * f(ratio) + f(0.5)) * f(scale)
            half_w, half_h = f(0.5) * (ws - f(1)), f(0.5) * (hs - f(1))
            base.append([center - half_w, center - half_h, center + half_w, center + half_h])
    grid = np.array(base, f)[None, None]
    sx = (np.arange(width) * stride).astype(f)[None, :, None]
    sy = (np.arange(height) * stride).astype(f)[:, None, None]
    shape = (height, width, len(base))
    shifted = [np.broadcast_to(grid[..., k] + (sy if k % 2 else sx), shape) for k in range(4)]
    return np.stack(shifted, axis=-1).reshape(-1, 4)


def _in_double(f: Callable[..., Array], *args: Array) -> Array:
    """f computed in float64 and rounded once to float32 (MXNet's float/double mix)."""
    return as_dtype(f(*(as_dtype(a, np.float64) for a in args)), np.float32)


def _rpn_boxes(anchors: np.ndarray, deltas: list[Array], im_h: Array, im_w: Array,
               iou_loss: bool, like: Array) -> list[Array]:
    """Decoded proposal corners clipped to the image, MXNet's BBoxTransformInv (or
    IoUTransformInv with iou_loss), in its float32/double arithmetic."""
    x1, y1, x2, y2 = (constant(anchors[:, k], like) for k in range(4))
    if iou_loss:
        corners = [ew("add", c, d) for c, d in zip((x1, y1, x2, y2), deltas)]
    else:
        f, d = np.float32, np.float64  # (C++: `float + 1.0` is computed in double)
        widths = ((anchors[:, 2] - anchors[:, 0]).astype(d) + 1.0).astype(f)
        heights = ((anchors[:, 3] - anchors[:, 1]).astype(d) + 1.0).astype(f)
        w, h = constant(widths, like), constant(heights, like)
        cx = constant((anchors[:, 0].astype(d) + 0.5 * (widths.astype(d) - 1.0)).astype(f), like)
        cy = constant((anchors[:, 1].astype(d) + 0.5 * (heights.astype(d) - 1.0)).astype(f),
                      like)
        px, py = ew("add", ew("mul", deltas[0], w), cx), ew("add", ew("mul", deltas[1], h), cy)
        pw, ph = ew("mul", exp(deltas[2]), w), ew("mul", exp(deltas[3]), h)

        def low(c: Array, s: Array) -> Array:
            return ew("sub", c, ew("mul", ew("sub", s, 1.0), 0.5))

        def high(c: Array, s: Array) -> Array:
            return ew("add", c, ew("mul", ew("sub", s, 1.0), 0.5))

        corners = [_in_double(low, px, pw), _in_double(low, py, ph), _in_double(high, px, pw),
                   _in_double(high, py, ph)]
    limits = [ew("sub", im_w, 1.0), ew("sub", im_h, 1.0)] * 2
    clipped = []
    for c, top in zip(corners, limits):
        c = select(ew("lt", top, c), top, c)
        clipped.append(select(ew("lt", c, 0), 0, c))
    return clipped


def _proposal_numpy(props: np.ndarray, *, pre_nms_top_n: int, post_nms_top_n: int,
                    threshold: float) -> np.ndarray:
    """MXNet's proposal selection on (B, count, 5) rows [x1, y1, x2, y2, score]: the best
    pre_nms_top_n by score, greedy NMS in pixel units (IoU > threshold) up to
    post_nms_top_n kept, repeated cyclically to fill post_nms_top_n rows."""
    f = np.float32
    batches, count, _ = props.shape
    pre = min(pre_nms_top_n if pre_nms_top_n > 0 else count, count)
    post = min(post_nms_top_n, pre)
    out = np.zeros((batches, post_nms_top_n, 5), f)
    for b in range(batches):
        dets = props[b, _descending(props[b, :, 4])[:pre]]
        keep = np.flatnonzero(_greedy_keep(pre, _pixel_overlaps(dets, threshold),
                                           limit=post))[:post]
        if post_nms_top_n and keep.size:
            out[b] = dets[keep[np.arange(post_nms_top_n) % keep.size]]
    return out


def _pixel_overlaps(dets: np.ndarray, threshold: float) -> Callable[[int, slice], np.ndarray]:
    """The suppression test of MXNet's proposal NMS: IoU in pixel units (+1) > threshold."""
    f = np.float32
    area = (dets[:, 2] - dets[:, 0] + f(1)) * (dets[:, 3] - dets[:, 1] + f(1))

    def suppresses(i: int, rest: slice) -> np.ndarray:
        d = dets[rest]
        xx1 = np.where(dets[i, 0] < d[:, 0], d[:, 0], dets[i, 0])
        yy1 = np.where(dets[i, 1] < d[:, 1], d[:, 1], dets[i, 1])
        xx2 = np.where(d[:, 2] < dets[i, 2], d[:, 2], dets[i, 2])
        yy2 = np.where(d[:, 3] < dets[i, 3], d[:, 3], dets[i, 3])
        w, h = xx2 - xx1 + f(1), yy2 - yy1 + f(1)
        inter = np.where(w > 0, w, f(0)) * np.where(h > 0, h, f(0))
        with np.errstate(all="ignore"):
            return inter / (area[i] + area[rest] - inter) > f(threshold)  # type: ignore

    return suppresses


def _proposal_rule(props: AbstractValue, *, pre_nms_top_n: int, post_nms_top_n: int,
                   threshold: float) -> AbstractValue:
    return AbstractValue((props.shape[0], post_nms_top_n, 5), props.dtype)


define_primitive("rpn_proposals", "opaque", _proposal_rule, _proposal_numpy,
                 differentiable=False)


def _proposals(op: str, cls_prob: Array, bbox_pred: Array, im_info: Array,
               rpn_pre_nms_top_n: int, rpn_post_nms_top_n: int, threshold: float,
               rpn_min_size: int, scales: Sequence[float], ratios: Sequence[float],
               feature_stride: int, output_score: bool, iou_loss: bool) -> Any:
    """Proposal and MultiProposal: decode every anchor's box, drop padded cells and small
    boxes (score -1), then select on the host; rows [batch index, x1, y1, x2, y2]."""
    _float32(op, cls_prob, bbox_pred, im_info)
    scale_list = _floats_param(op, "scales", scales)
    ratio_list = _floats_param(op, "ratios", ratios)
    if cls_prob.ndim != 4 or cls_prob.shape[1] % 2:
        raise ShapeError(f"{op}: cls_prob must be (batch, 2 * anchors, height, width), got "
                         f"{cls_prob.shape}")
    batches, channels, height, width = cls_prob.shape
    anchors = channels // 2
    if anchors != len(scale_list) * len(ratio_list):
        raise ShapeError(f"{op}: cls_prob has {anchors} anchors per cell ({channels} channels) "
                         f"but scales x ratios give {len(scale_list) * len(ratio_list)}")
    if bbox_pred.shape != (batches, 4 * anchors, height, width) or im_info.shape != (batches, 3):
        raise ShapeError(f"{op}: bbox_pred must be {(batches, 4 * anchors, height, width)} and "
                         f"im_info ({batches}, 3), got {bbox_pred.shape} and {im_info.shape}")
    if height * width == 0:
        raise ShapeError(f"{op}: the feature map {cls_prob.shape} is empty")
    if rpn_post_nms_top_n < 0 or feature_stride < 1:
        raise ParamError(f"{op}: rpn_post_nms_top_n must be >= 0 and feature_stride >= 1, got "
                         f"{rpn_post_nms_top_n} and {feature_stride}")
    count = height * width * anchors
    cells = _rpn_anchors(feature_stride, scale_list, ratio_list, height, width)
    fg = slice_ranges(cls_prob, (0, anchors, 0, 0), cls_prob.shape, (1, 1, 1, 1))
    scores = reshape_exact(bind("transpose", fg, perm=(0, 2, 3, 1)), (batches, count))
    moved = bind("transpose", reshape_exact(bbox_pred, (batches, anchors, 4, height, width)),
                 perm=(0, 3, 4, 1, 2))
    deltas = [column(reshape_exact(moved, (batches, count, 4)), k) for k in range(4)]
    im_h, im_w, im_scale = (reshape_exact(column(im_info, k), (batches, 1)) for k in range(3))
    boxes = _rpn_boxes(cells, deltas, im_h, im_w, iou_loss, cls_prob)
    rows = reshape_exact(iota((height, width, anchors), 0, cls_prob, np.float32), (1, count))
    cols = reshape_exact(iota((height, width, anchors), 1, cls_prob, np.float32), (1, count))
    padded = bind("logical_or",
                  ew("ge", rows, bind("trunc", ew("div", im_h, float(feature_stride)))),
                  ew("ge", cols, bind("trunc", ew("div", im_w, float(feature_stride)))))
    min_size = ew("mul", im_scale, float(rpn_min_size))
    small = bind("logical_or",
                 ew("lt", ew("add", ew("sub", boxes[2], boxes[0]), 1.0), min_size),
                 ew("lt", ew("add", ew("sub", boxes[3], boxes[1]), 1.0), min_size))
    half = ew("div", min_size, 2)
    grown = [ew("sub", boxes[0], half), ew("sub", boxes[1], half), ew("add", boxes[2], half),
             ew("add", boxes[3], half)]
    boxes = [select(small, g, b) for g, b in zip(grown, boxes)]
    score = select(ew("logical_or", small, padded), -1, scores)
    chosen = bind("rpn_proposals", _stack_last(boxes + [score]),
                  pre_nms_top_n=int(rpn_pre_nms_top_n),
                  post_nms_top_n=int(rpn_post_nms_top_n), threshold=float(threshold))
    post = int(rpn_post_nms_top_n)
    index = iota((batches, post, 1), 0, cls_prob, np.float32)
    corners = slice_ranges(chosen, (0, 0, 0), (batches, post, 4), (1, 1, 1))
    out = reshape_exact(bind("concat", index, corners, axis=2), (batches * post, 5))
    if not output_score:
        return out
    score_out = slice_ranges(chosen, (0, 0, 4), (batches, post, 5), (1, 1, 1))
    return [out, reshape_exact(score_out, (batches * post, 1))]


@register_operator("_contrib_Proposal", inputs=("cls_prob", "bbox_pred", "im_info"))
def Proposal(cls_prob: Array, bbox_pred: Array, im_info: Array, rpn_pre_nms_top_n: int = 6000,
             rpn_post_nms_top_n: int = 300, threshold: float = 0.7, rpn_min_size: int = 16,
             scales: Sequence[float] = (4.0, 8.0, 16.0, 32.0),
             ratios: Sequence[float] = (0.5, 1.0, 2.0), feature_stride: int = 16,
             output_score: bool = False, iou_loss: bool = False) -> Any:
    """Region proposals of Faster R-CNN's RPN for one image: anchors of every scale and
    ratio at each cell of the (1, 2A, H, W) objectness map `cls_prob` (foreground in the
    last A channels), moved by `bbox_pred` (1, 4A, H, W), clipped to the image `im_info`
    [[height, width, scale]]; boxes smaller than rpn_min_size * scale, and cells beyond the
    image, score -1. The best rpn_pre_nms_top_n are suppressed greedily (IoU > threshold)
    and the first rpn_post_nms_top_n kept (repeated when fewer) returned as rows
    [0, x1, y1, x2, y2], with their scores (rpn_post_nms_top_n, 1) when output_score.
    No gradient.

    >>> rois = mx.nd.contrib.Proposal(cls_prob, bbox_pred, im_info, rpn_post_nms_top_n=5,
    ...                               scales=(8,), ratios=(1,))  # doctest: +SKIP
    """
    if cls_prob.ndim == 4 and cls_prob.shape[0] != 1:
        raise ShapeError(f"Proposal: one image at a time (batch 1), got cls_prob of shape "
                         f"{cls_prob.shape}; use contrib.MultiProposal for batches")
    return _proposals("Proposal", cls_prob, bbox_pred, im_info, rpn_pre_nms_top_n,
                      rpn_post_nms_top_n, threshold, rpn_min_size, scales, ratios,
                      feature_stride, output_score, iou_loss)


@register_operator("_contrib_MultiProposal", inputs=("cls_prob", "bbox_pred", "im_info"))
def MultiProposal(cls_prob: Array, bbox_pred: Array, im_info: Array,
                  rpn_pre_nms_top_n: int = 6000, rpn_post_nms_top_n: int = 300,
                  threshold: float = 0.7, rpn_min_size: int = 16,
                  scales: Sequence[float] = (4.0, 8.0, 16.0, 32.0),
                  ratios: Sequence[float] = (0.5, 1.0, 2.0), feature_stride: int = 16,
                  output_score: bool = False, iou_loss: bool = False) -> Any:
    """`Proposal` for a batch of images: rows [image index, x1, y1, x2, y2], shape
    (batch * rpn_post_nms_top_n, 5), each image's proposals chosen on their own.

    >>> rois = mx.nd.contrib.MultiProposal(cls_prob, bbox_pred, im_info)  # doctest: +SKIP
    """
    return _proposals("MultiProposal", cls_prob, bbox_pred, im_info, rpn_pre_nms_top_n,
                      rpn_post_nms_top_n, threshold, rpn_min_size, scales, ratios,
                      feature_stride, output_score, iou_loss)
