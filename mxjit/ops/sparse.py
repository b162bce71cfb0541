"""MXNet's operators of sparse storage, with their dense semantics: what a traced program
(`mx.jit`, a bound symbol) computes, where every array is dense.

`cast_storage` is the identity on values (its gradient passes through); `_sparse_retain`
keeps the rows `indices` lists and zeroes the others (its gradient is the head gradient
on those rows, MXNet's `_backward_sparse_retain`); `_contrib_getnnz` counts the non-zero
values and `_contrib_edge_id` reads the value at (u[i], v[i]), -1 where it is zero. A
sparse array's explicit zeros are not seen here (its dense form has none), so a CSR graph
with an edge id 0 reads that edge as absent. The eager sparse forms, which keep or read
storage, are `mx.nd.sparse`'s (`nd/sparse_*.py`); they call these for traced arrays.

    >>> mx.sym.sparse.retain(mx.sym.var('x'), mx.sym.var('i'))  # doctest: +SKIP
    <Symbol retain0>
"""
from __future__ import annotations

import numpy as np

from ..base import ParamError, ShapeError
from ..core import Array, bind
from ..core.operators import register_operator
from .contrib_math import identity
from .elementwise import cast
from .indexing import take
from .operands import along, ew, full, not_equal_zero, reshape_exact, select
from .reduce import sum as reduce_sum

#: MXNet's storage type names (`cast_storage`'s `stype`).
STORAGE_TYPES = ("default", "csr", "row_sparse")


@register_operator("cast_storage")
def cast_storage(data: Array, stype: str) -> Array:
    """`data` with storage type `stype` ('default', 'csr' or 'row_sparse'): the same
    values (a CSR array is 2-D).

    >>> mx.sym.cast_storage(mx.sym.var('x'), stype='csr')  # doctest: +SKIP
    """
    if stype not in STORAGE_TYPES:
        raise ParamError(f"cast_storage: Invalid Input: {stype!r}, valid values are: "
                         "{'csr', 'default', 'row_sparse'}")
    if stype == "csr" and data.ndim != 2:
        raise ShapeError(f"cast_storage: a csr array is 2-D, got shape {data.shape}")
    if stype == "row_sparse" and data.ndim == 0:
        raise ShapeError("cast_storage: a row_sparse array needs at least one axis")
    return identity(data)


@register_operator("_sparse_retain", inputs=("data", "indices"))
def retain(data: Array, indices: Array) -> Array:
    """The rows of `data` listed in `indices` (truncated to integers), the other rows zero;
    indices outside [0, rows) retain nothing, as in MXNet.

    >>> mx.sym.sparse.retain(mx.sym.var('x'), mx.sym.var('i'))  # doctest: +SKIP
    """
    if data.ndim == 0:
        raise ShapeError("retain: data needs a first axis of rows, got shape ()")
    rows = data.shape[0]
    if indices.size == 0 or data.size == 0:
        return full(0, data)  # type: ignore[no-any-return]
    wanted = reshape_exact(bind("stop_gradient", cast(indices, np.int64)), (indices.size,))
    inside = ew("logical_and", ew("ge", wanted, 0), ew("lt", wanted, rows))
    # (a row is kept when an index inside the array names it: a count per row, scattered)
    hits = bind("scatter_add", select(inside, full(1, wanted), 0), wanted, axis=0,
                mode="clip", size=rows)
    kept = along(not_equal_zero(hits), 0, data.ndim)
    return select(bind("broadcast_to", kept, shape=data.shape), data, 0)  # type: ignore


@register_operator("_contrib_getnnz")
def getnnz(data: Array, axis: int | None = None) -> Array:
    """The non-zero values of the 2-D `data`: in all (shape (1,)), per column (axis=0) or
    per row (axis=1), as int64 (a CSR array's count of stored values, less its explicit
    zeros).

    >>> mx.sym.contrib.getnnz(mx.sym.var('x', stype='csr'), axis=1)  # doctest: +SKIP
    """
    if data.ndim != 2:
        raise ShapeError(f"getnnz: data must be 2-D (a CSR matrix), got shape {data.shape}")
    if axis not in (None, 0, 1, -1, -2):
        raise ParamError(f"getnnz: axis must be None, 0 or 1, got {axis}")
    counts = cast(bind("stop_gradient", not_equal_zero(data)), np.int64)
    if axis is None:
        return reshape_exact(reduce_sum(counts), (1,))
    return reduce_sum(counts, axis=axis % 2)  # type: ignore[no-any-return]


@register_operator("_contrib_edge_id", inputs=("data", "u", "v"))
def edge_id(data: Array, u: Array, v: Array) -> Array:
    """The value of the 2-D graph `data` at (u[i], v[i]) (the edge id), or -1 where it is 0
    or the vertices are not whole numbers inside the graph; in data's dtype, with no
    gradient.

    >>> g, u, v = mx.sym.var('g', stype='csr'), mx.sym.var('u'), mx.sym.var('v')
    >>> mx.sym.contrib.edge_id(g, u, v)  # doctest: +SKIP
    """
    if data.ndim != 2:
        raise ShapeError(f"edge_id: data must be 2-D (a CSR graph), got shape {data.shape}")
    for what, x in (("u", u), ("v", v)):
        if x.ndim != 1:
            raise ShapeError(f"edge_id: {what} must be 1-D, got shape {x.shape}")
    if u.shape != v.shape:
        raise ShapeError(f"edge_id: u and v must have the same length, got {u.shape} and "
                         f"{v.shape}")
    m, n = data.shape
    if m * n == 0:  # (no vertex is inside an empty graph)
        return full(-1, data, u.shape)  # type: ignore[no-any-return]
    valid = None
    for x, size in ((u, m), (v, n)):
        whole = ew("eq", cast(cast(x, np.int64), x._dtype), x)
        inside = ew("logical_and", ew("ge", x, 0), ew("lt", x, size))
        both = ew("logical_and", whole, inside)
        valid = both if valid is None else ew("logical_and", valid, both)
    row, col = (select(valid, cast(x, np.int64), 0) for x in (u, v))
    found = take(reshape_exact(bind("stop_gradient", data), (m * n,)),
                 ew("add", ew("mul", row, n), col))
    return select(ew("logical_and", valid, not_equal_zero(found)), found, -1)  # type: ignore
