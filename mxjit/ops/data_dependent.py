"""Operators that count or select by the input's values: `histogram` and
`contrib.boolean_mask`.

`histogram`'s counts are a `scatter_add` of ones at each value's bin, so it runs traced
(its shapes come from the bins). What decides a shape from values needs concrete inputs:
`boolean_mask`'s output and `histogram` without a range (NumPy's answer, as MXNet) run
eagerly; inside `mx.jit` / `mx.grad` they raise a `ConcreteValueError` (a `TracerError`)
that says so (a hybridized block then runs eagerly), unless the input whose values decide
the shape is a constant of the trace. `boolean_mask` is a `take`
at the selected positions, so its gradient flows to `data`.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..base import ConcreteValueError, ParamError, ShapeError
from ..core import Array, bind
from ..core.operators import register_operator
from .elementwise import cast, minimum
from .indexing import concrete
from .operands import as_dtype, axis_index, constant, ew, reshape_exact, select
from .shape import slice_ranges


def _values(op: str, x: Array, why: str) -> np.ndarray:
    """The values of `x`, or a `ConcreteValueError` saying `why` `op` needs them."""
    values = concrete(x)
    if values is None:
        raise ConcreteValueError(f"{op}: {why}, which are not known while tracing (inside mx.jit, "
                          f"mx.grad or a hybridized block); call {op} outside the traced "
                          f"function")
    return np.asarray(values)


# ---- histogram ---------------------------------------------------------------------------


def _uniform_edges(count: int, low: float, high: float) -> np.ndarray:
    steps = np.arange(count + 1)
    return (high * steps + (count - steps) * low) / count  # MXNet's formula, in float64


def _uniform_bins(values: Array, edges: np.ndarray) -> tuple[Array, Array]:
    """(bin of each float64 value for equal bins between `edges`, whether it is inside),
    computed as MXNet does: from the position, corrected against the edges it rounded
    across."""
    count, low, high = edges.size - 1, float(edges[0]), float(edges[-1])
    inside = ew("logical_and", ew("ge", values, low), ew("le", values, high))
    guess = select(inside, ew("div", ew("mul", ew("sub", values, low), float(count)),
                              high - low), 0.0)  # (NaN and the outside never reach the cast)
    bins = minimum(as_dtype(guess, np.int64), count - 1)
    at = constant(edges, values)
    bins = bins - as_dtype(ew("lt", values, _take(at, bins)), np.int64)
    above = ew("ge", values, _take(at, minimum(bins + 1, count)))
    return bins + as_dtype(ew("logical_and", above, ew("ne", bins, count - 1)), np.int64), inside


def _edge_bins(values: Array, edges: Array) -> tuple[Array, Array]:
    """(bin of each float64 value for the given float64 edges, whether it is inside): the
    number of edges at or below it, less one (the last bin includes its right edge)."""
    count = edges.shape[0] - 1
    column = reshape_exact(values, (values.shape[0], 1))
    passed = bind("reduce_sum", as_dtype(ew("ge", column, reshape_exact(edges, (1, count + 1))),
                                         np.int64), axes=(1,))
    last = slice_ranges(edges, (count,), (count + 1,), (1,))
    inside = ew("logical_and", ew("ge", passed, 1), ew("le", values, last))
    return minimum(passed - 1, count - 1), inside


def _take(values: Array, index: Array) -> Array:
    return bind("take", values, index, axis=0, mode="clip")  # type: ignore[no-any-return]


@register_operator("_histogram", inputs=("data", "bins"), kinds={"range": "any"})
def histogram_op(data: Array, bins: Array | None = None, bin_cnt: int | None = None,
                 range: Any = None) -> list[Array]:
    """MXNet's `_histogram` of the flattened data: [counts (int64), bin edges (the data's
    dtype)], over `bin_cnt` equal bins of `range` = (low, high) (an empty range is widened
    by 0.5 each side), or over the increasing edges `bins`. Values outside are not counted;
    the last bin includes its right edge. `mx.nd.histogram` and `mx.sym.histogram` write it.

    >>> counts, edges = mx.sym.histogram(mx.sym.var('x'), bins=4, range=(0, 1))  # doctest: +SKIP
    """
    values = as_dtype(reshape_exact(data, (data.size,)), np.float64)
    if bins is not None:
        if bins.ndim != 1 or bins.size < 2:
            raise ShapeError(f"histogram: bins must be a 1-D array of at least 2 edges, got "
                             f"shape {bins.shape}")
        known = concrete(bins)
        if known is not None and np.any(np.diff(np.asarray(known, np.float64)) < 0):
            raise ParamError("histogram: the bin edges must increase monotonically")
        count, edges = bins.size - 1, cast(bins, data._dtype)
        target, inside = _edge_bins(values, as_dtype(bins, np.float64))
    else:
        if bin_cnt is None or range is None:
            raise ParamError("histogram: give bin_cnt and range together, or the bins array "
                             "of edges")
        if isinstance(bin_cnt, bool) or not isinstance(bin_cnt, (int, np.integer)) or \
                bin_cnt < 1:
            raise ParamError(f"histogram: bins must be a positive int or an array of edges, "
                             f"got {bin_cnt!r}")
        count = int(bin_cnt)
        uniform = _uniform_edges(count, *_range(range))
        edges = constant(uniform.astype(data._dtype), data)
        target, inside = _uniform_bins(values, uniform)
    counts = bind("scatter_add", as_dtype(inside, np.int64), target, axis=0, mode="clip",
                  size=count)
    return [counts, edges]


def histogram(a: Array, bins: Any = 10, range: Any = None) -> tuple[Array, Array]:
    """(counts, bin_edges) of the flattened data, as MXNet's `mx.nd.histogram`: the
    `_histogram` operator (see it) over `bins` equal bins of `range`, or over the edges of
    an array `bins`. With an int and no range, MXNet's answer is NumPy's histogram, both
    arrays as float32 (eager only: the range comes from the values).

    >>> counts, edges = mx.nd.histogram(mx.nd.array([0, 1, 1, 2]), bins=2, range=(0, 2))
    ... # doctest: +SKIP
    """
    if isinstance(bins, Array):
        counts, edges = histogram_op(a, bins)
        return counts, edges
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ParamError(f"histogram: bins must be a positive int or an array of edges, got "
                         f"{bins!r}")
    if range is None:
        values = _values("histogram", a, "without a range (give range= to trace it) the "
                         "bins come from the values of the data").reshape(-1)
        found, bounds = np.histogram(values, bins=int(bins))
        wrap = a._result_class._wrap
        return (wrap(found.astype(np.float32), a._ctx),
                wrap(bounds.astype(np.float32), a._ctx))
    counts, edges = histogram_op(a, bin_cnt=int(bins), range=range)
    return counts, edges


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
    keep = _values("boolean_mask", index, "the output's shape depends on the values of index")
    positions = np.flatnonzero(keep).astype(np.int64)
    return bind("take", data, constant(positions, data), axis=ax, mode="clip")
