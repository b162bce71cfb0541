"""Index bookkeeping for sparse results: where an array stores its values, two patterns
aligned for a binary op, dense values read at stored positions, and arrays rebuilt from
positions and values.

The values themselves are computed by the dense operators on the aligned value arrays
(`nd/sparse_elementwise.py`); this module only moves indices around, on the host.

    >>> a = mx.nd.sparse.csr_matrix(([1, 2], [0, 2], [0, 1, 2]), shape=(2, 3))
    >>> csr_keys(a).tolist()  # doctest: +SKIP
    [0, 5]
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..context import Context
from .sparse_storage import (
    INDEX,
    BaseSparseNDArray,
    CSRNDArray,
    RowSparseNDArray,
    row_ids,
)


def csr_keys(a: CSRNDArray) -> np.ndarray:
    """The flat position `row * columns + column` of every stored value of `a`."""
    rows = row_ids(a._sp_indptr, a.shape[0])
    return rows * a.shape[1] + a._sp_indices


def csr_from_keys(keys: np.ndarray, values: np.ndarray, shape: tuple[int, ...],
                  ctx: Context | None) -> CSRNDArray:
    """A CSR array storing `values` at the flat positions `keys` (ascending)."""
    columns = max(shape[1], 1)
    rows, cols = np.divmod(keys.astype(INDEX), columns)
    indptr = np.zeros(shape[0] + 1, INDEX)
    np.cumsum(np.bincount(rows, minlength=shape[0]), out=indptr[1:])
    return CSRNDArray._make(np.ascontiguousarray(values), cols, indptr, shape, ctx)


def with_values(a: BaseSparseNDArray, values: np.ndarray) -> Any:
    """An array of `a`'s type and sparsity pattern holding `values` (one per stored value,
    or one row per stored row)."""
    indptr = None if a._sp_indptr is None else a._sp_indptr.copy()
    return type(a)._make(np.ascontiguousarray(values), a._sp_indices.copy(), indptr, a.shape,
                         a._ctx)


def empty_like(a: BaseSparseNDArray) -> Any:
    """An array of `a`'s type, shape and dtype that stores nothing (all zeros)."""
    if isinstance(a, CSRNDArray):
        return CSRNDArray._make(np.zeros(0, a._dtype), np.zeros(0, INDEX),
                                np.zeros(a.shape[0] + 1, INDEX), a.shape, a._ctx)
    return RowSparseNDArray._make(np.zeros((0,) + a.shape[1:], a._dtype), np.zeros(0, INDEX),
                                  None, a.shape, a._ctx)


def _aligned(positions: list[np.ndarray], values: list[np.ndarray], tail: tuple[int, ...]
             ) -> tuple[np.ndarray, list[np.ndarray]]:
    """The union of `positions` (ascending, unique) and each operand's values at it (zero
    where an operand stores nothing; repeated positions add up, as they do densely)."""
    union = np.unique(np.concatenate(positions)) if positions else np.zeros(0, INDEX)
    aligned = []
    for pos, vals in zip(positions, values):
        out = np.zeros((union.size,) + tail, vals.dtype)
        np.add.at(out, np.searchsorted(union, pos), vals)
        aligned.append(out)
    return union, aligned


def align_csr(arrays: list[CSRNDArray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """The flat positions stored by any of `arrays`, and each one's values there."""
    return _aligned([csr_keys(a) for a in arrays], [a._sp_data for a in arrays], ())


def align_rows(arrays: list[RowSparseNDArray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """The rows stored by any of the row_sparse `arrays`, and each one's rows there."""
    return _aligned([a._sp_indices for a in arrays], [a._sp_data for a in arrays],
                    arrays[0].shape[1:])


def dense_at_stored(dense: np.ndarray, a: BaseSparseNDArray) -> np.ndarray:
    """The values of `dense` (broadcast to `a`'s shape) where `a` stores values, in the
    layout of `a`'s stored values."""
    full = np.broadcast_to(dense, a.shape)  # (a view: only the stored positions are read)
    if isinstance(a, CSRNDArray):
        return full[row_ids(a._sp_indptr, a.shape[0]), a._sp_indices]
    return full[a._sp_indices]

