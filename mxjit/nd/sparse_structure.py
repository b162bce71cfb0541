"""Sparse forms of the operators that move stored values around, with MXNet 1.9.1's
storage types: slice and concat of CSR arrays stay CSR (row slices, column ranges, joins
along rows), add_n of row_sparse arrays stays row_sparse, and `retain` keeps chosen rows
of a row_sparse array; `mx.nd.take` of CSR rows is CSR. Other storage combinations are
MXNet's dense results (the rules return None and the dense operator runs).

    >>> a = mx.nd.sparse.csr_matrix(([1, 2], [0, 2], [0, 1, 2]), shape=(2, 3))
    >>> mx.nd.sparse.slice(a, begin=(1,), end=(2,)).stype  # doctest: +SKIP
    'csr'
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..base import ArgumentError, MXNetIndexError
from ..ops.operands import variadic_arrays
from ..ops.shape import _python_slice
from .ndarray import NDArray
from .sparse_elementwise import dense_values
from .sparse_layout import align_rows
from .sparse_storage import INDEX, CSRNDArray, RowSparseNDArray, row_ids, store_into


def _bounds(begin: Any, end: Any, dim: int, axis: int) -> tuple[int, int]:
    b, e, _ = _python_slice(begin, end, None, dim, "slice", axis)
    return b, max(b, e)


def slice_rule(data: Any, begin: Any, end: Any, step: Any = None) -> Any:
    """A CSR array sliced with unit steps (rows, and columns when given) is CSR."""
    begin, end = tuple(begin), tuple(end)
    if not isinstance(data, CSRNDArray) or not 1 <= len(begin) == len(end) <= 2 or (
            step is not None and any(s not in (None, 1) for s in step)):
        return None  # (dense, or the dense operator's error)
    m, n = data.shape
    r0, r1 = _bounds(begin[0], end[0], m, 0)
    c0, c1 = _bounds(begin[1], end[1], n, 1) if len(begin) == 2 else (0, n)
    indptr = data._sp_indptr
    assert indptr is not None
    lo, hi = int(indptr[r0]), int(indptr[r1])
    cols = data._sp_indices[lo:hi]
    keep = (cols >= c0) & (cols < c1)
    rows = row_ids(indptr[r0:r1 + 1] - lo, r1 - r0)[keep]
    new_indptr = np.zeros(r1 - r0 + 1, INDEX)
    np.cumsum(np.bincount(rows, minlength=r1 - r0), out=new_indptr[1:])
    return CSRNDArray._make(data._sp_data[lo:hi][keep].copy(), cols[keep] - c0, new_indptr,
                            (r1 - r0, c1 - c0), data._ctx)


def concat_rule(*data: Any, dim: int = 1, num_args: int | None = None) -> Any:
    """CSR arrays joined along their rows (dim=0) are CSR."""
    arrays = variadic_arrays("concat", data, num_args)
    if dim not in (0, -2) or not all(isinstance(a, CSRNDArray) for a in arrays) or \
            len({a.shape[1] for a in arrays}) > 1 or len({a._dtype for a in arrays}) > 1:
        return None  # (dense, or the dense operator's error)
    offsets = np.cumsum([0] + [a._sp_data.size for a in arrays[:-1]])
    indptr = np.concatenate([np.zeros(1, INDEX)] + [a._sp_indptr[1:] + off  # type: ignore
                                                     for a, off in zip(arrays, offsets)])
    shape = (sum(a.shape[0] for a in arrays), arrays[0].shape[1])
    return CSRNDArray._make(np.concatenate([a._sp_data for a in arrays]),
                            np.concatenate([a._sp_indices for a in arrays]), indptr, shape,
                            arrays[0]._ctx)


def add_n_rule(*args: Any, num_args: int | None = None) -> Any:
    """The sum of row_sparse arrays is row_sparse, over the union of their rows."""
    arrays = variadic_arrays("add_n", args, num_args)
    if not all(isinstance(a, RowSparseNDArray) for a in arrays) or \
            len({a.shape for a in arrays}) > 1:
        return None  # (dense, or the dense operator's error)
    rows, aligned = align_rows(list(arrays))
    return RowSparseNDArray._make(dense_values("add_n", *aligned), rows, None, arrays[0].shape,
                                  arrays[0]._ctx)


def take_rule(a: Any, indices: Any, axis: int = 0, mode: str = "clip") -> Any:
    """Rows of a CSR array taken at 1-D dense indices (axis 0, clip or wrap) are CSR."""
    if not isinstance(a, CSRNDArray) or axis != 0 or mode not in ("clip", "wrap") or \
            type(indices) is not NDArray or indices.ndim != 1 or a.shape[0] == 0:
        return None  # (dense, or the dense operator's error)
    m = a.shape[0]
    ids = indices.asnumpy().astype(INDEX)  # (float indices truncate, as MXNet's cast does)
    rows = np.clip(ids, 0, m - 1) if mode == "clip" else np.mod(ids, m)
    indptr = a._sp_indptr
    assert indptr is not None
    counts = (indptr[rows + 1] - indptr[rows]).astype(INDEX)
    new_indptr = np.zeros(rows.size + 1, INDEX)
    np.cumsum(counts, out=new_indptr[1:])
    # each taken row's stored values, copied from where that row starts
    at = np.repeat(indptr[rows] - new_indptr[:-1], counts) + np.arange(new_indptr[-1])
    return CSRNDArray._make(a._sp_data[at], a._sp_indices[at], new_indptr,
                            (rows.size, a.shape[1]), a._ctx)


def retain(data: RowSparseNDArray, indices: Any, out: Any = None, name: str | None = None
           ) -> RowSparseNDArray:
    """The rows `indices` of the row_sparse array `data` (rows it does not store are kept
    as zero rows); the result stores them in ascending order.

    >>> r = mx.nd.sparse.row_sparse_array(([[1, 2], [3, 4]], [0, 2]), shape=(4, 2))
    >>> mx.nd.sparse.retain(r, mx.nd.array([2, 3])).indices.asnumpy()  # doctest: +SKIP
    array([2, 3])
    """
    if not isinstance(data, RowSparseNDArray):
        stype = getattr(data, "stype", type(data).__name__)
        raise ArgumentError(f"retain: data must be a RowSparseNDArray, got {stype}")
    wanted = np.asarray(indices.asnumpy() if isinstance(indices, NDArray) else indices)
    if wanted.size and (wanted.dtype.kind not in "iuf" or np.any(wanted != np.floor(wanted))):
        raise ArgumentError(f"retain: indices must be whole numbers, got {wanted.tolist()}")
    rows = np.unique(wanted.astype(INDEX).reshape(-1))
    if rows.size and (rows[0] < 0 or rows[-1] >= data.shape[0]):
        raise MXNetIndexError(f"retain: row indices must be in [0, {data.shape[0]}) for data "
                              f"of shape {data.shape}, got {wanted.tolist()}")
    stored = data._sp_indices
    at = np.searchsorted(stored, rows)
    present = at < stored.size
    present[present] = stored[at[present]] == rows[present]
    values = np.zeros((rows.size,) + data.shape[1:], data._dtype)
    values[present] = data._sp_data[at[present]]
    result = RowSparseNDArray._make(values, rows, None, data.shape, data._ctx)
    return result if out is None else store_into(result, out)  # type: ignore[return-value]
