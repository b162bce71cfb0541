"""Operators whose output shape depends on the input's values: `histogram` and
`contrib.boolean_mask`.

A trace knows shapes but not values, so these need concrete inputs: eagerly they just run;
inside `mx.jit` / `mx.grad` they raise a `TracerError` that says so, unless the input whose
values decide the shape is a constant of the trace. `boolean_mask` is a `take` at the
selected positions, so its gradient flows to `data`.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..base import ParamError, ShapeError, TracerError
from ..core import Array, bind
from ..core.operators import register_operator
from .indexing import concrete
from .operands import axis_index, constant


def _values(op: str, x: Array, what: str) -> np.ndarray:
    values = concrete(x)
    if values is None:
        raise TracerError(f"{op}: the output's shape depends on the values of {what}, which "
                          "are not known while tracing (inside mx.jit, mx.grad or a hybridized "
                          f"block); call {op} outside the traced function")
    return np.asarray(values)


# ---- histogram ---------------------------------------------------------------------------


def _uniform_edges(count: int, low: float, high: float) -> np.ndarray:
    steps = np.arange(count + 1)
    return (high * steps + (count - steps) * low) / count  # MXNet's formula, in float64


def _uniform_bins(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin of each value for equal bins between `edges` (-1 outside), computed as MXNet
    does: from the position, corrected against the edges it rounded across."""
    count, low, high = edges.size - 1, edges[0], edges[-1]
    inside = (values >= low) & (values <= high)
    with np.errstate(all="ignore"):
        guess = np.where(inside, (values - low) * count / (high - low), 0)
    bins = np.minimum(np.trunc(guess).astype(np.int64), count - 1)
    bins -= values < edges[bins]
    bins += (values >= edges[np.minimum(bins + 1, count)]) & (bins != count - 1)
    return np.where(inside, bins, -1)


def _edge_bins(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin of each value for the given edges (the last bin includes its right edge)."""
    count = edges.size - 1
    inside = (values >= edges[0]) & (values <= edges[-1])
    bins = np.minimum(np.searchsorted(edges, values, side="right") - 1, count - 1)
    return np.where(inside, bins, -1)


def _counts(bins: np.ndarray, count: int) -> np.ndarray:
    return np.bincount(bins[bins >= 0], minlength=count).astype(np.int64)


def histogram(a: Array, bins: Any = 10, range: Any = None) -> tuple[Array, Array]:
    """(counts, bin_edges) of the flattened data, as MXNet's `mx.nd.histogram`.

    `bins` is a number of equal bins over `range` = (low, high) (counts int64, edges in the
    data's dtype; an empty range is widened by 0.5 each side), or an Array of increasing
    edges. With an int and no range, MXNet's answer is NumPy's histogram, both arrays as
    float32. Values outside the range are not counted; the last bin includes its right edge.
    Eager only (the counts depend on the values).

    >>> counts, edges = mx.nd.histogram(mx.nd.array([0, 1, 1, 2]), bins=2, range=(0, 2))
    ... # doctest: +SKIP
    """
    values = _values("histogram", a, "the data").reshape(-1)
    ctx, wrap = a._ctx, a._result_class._wrap
    if isinstance(bins, Array):
        edges = _values("histogram", bins, "bins").astype(np.float64)
        if edges.ndim != 1 or edges.size < 2:
            raise ShapeError(f"histogram: bins must be a 1-D array of at least 2 edges, got "
                             f"shape {edges.shape}")
        if np.any(np.diff(edges) < 0):
            raise ParamError("histogram: the bin edges must increase monotonically")
        counts = _counts(_edge_bins(values.astype(np.float64), edges), edges.size - 1)
        return (wrap(counts, ctx),
                wrap(edges.astype(a._dtype), ctx))
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ParamError(f"histogram: bins must be a positive int or an array of edges, got "
                         f"{bins!r}")
    if range is None:
        counts, edges = np.histogram(values, bins=int(bins))
        return (wrap(counts.astype(np.float32), ctx),
                wrap(edges.astype(np.float32), ctx))
    low, high = _range(range)
    edges = _uniform_edges(int(bins), low, high)
    counts = _counts(_uniform_bins(values.astype(np.float64), edges), int(bins))
    return wrap(counts, ctx), wrap(edges.astype(a._dtype), ctx)


def _range(value: Any) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ParamError(f"histogram: range must be (low, high), got {value!r}") from None
    if not low <= high:
        raise ParamError(f"histogram: range {value!r} must have low <= high")
    return (low - 0.5, high + 0.5) if low == high else (low, high)


# ---- boolean_mask ------------------------------------------------------------------------


@register_operator("_contrib_boolean_mask", inputs=("data", "index"))
def boolean_mask(data: Array, index: Array, axis: int = 0) -> Array:
    """The slices of `data` along `axis` where `index` (1-D, one entry per slice) is
    non-zero. MXNet 1.x only allows axis=0; any axis works here.

    >>> mx.nd.contrib.boolean_mask(mx.nd.array([[1, 2], [3, 4]]), mx.nd.array([0, 1]))
    ... # doctest: +SKIP
    [[3. 4.]]
    """
    ax = axis_index(axis, data.ndim, "boolean_mask")
    if index.ndim != 1 or index.shape[0] != data.shape[ax]:
        raise ShapeError(f"boolean_mask: index must be 1-D with one entry per slice of axis "
                         f"{axis} ({data.shape[ax]} for data {data.shape}), got shape "
                         f"{index.shape}")
    keep = _values("boolean_mask", index, "index")
    positions = np.flatnonzero(keep).astype(np.int64)
    return bind("take", data, constant(positions, data), axis=ax, mode="clip")
