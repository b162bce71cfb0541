"""`mx.nd.sparse.dot`: matrix products with CSR and row_sparse operands, with MXNet's
storage types for the result.

dot(csr, dense) and dot(dense, csr) are compositions of gather / scatter primitives, so
they differentiate with respect to the dense operand and run inside `mx.jit` with the
sparse operand a constant; other combinations read sparse operands densely.

    >>> a = mx.nd.sparse.csr_matrix(([1, 2], [0, 2], [0, 1, 2]), shape=(2, 3))
    >>> mx.nd.sparse.dot(a, mx.nd.ones((2, 4)), transpose_a=True).stype  # doctest: +SKIP
    'row_sparse'
"""
from __future__ import annotations

import numpy as np

from ..base import ArgumentError, ParamError, ShapeError
from ..core import Array, bind
from ..ops.elementwise import cast
from ..ops.linalg import dot as dense_dot
from ..ops.operands import constant
from ..ops.shape import broadcast_exact, transpose
from .ndarray import NDArray
from .sparse_storage import (
    BaseSparseNDArray,
    CSRNDArray,
    RowSparseNDArray,
    cast_storage,
    row_ids,
)


def _dense_operand(x: Array) -> Array:
    # (a sparse autograd variable is read through its dense values, keeping its record)
    if isinstance(x, BaseSparseNDArray) and x._rec is None:
        return NDArray._wrap(x.asnumpy(), x._ctx)
    return x


def _csr_times_dense(csr: CSRNDArray, dense: Array, transpose: bool) -> Array:
    """csr @ dense (or csr.T @ dense): gather rows of `dense`, scale, scatter-add."""
    dtype = np.result_type(csr._dtype, dense._dtype)
    rhs = dense if dense._dtype == dtype else cast(dense, dtype)
    m, k = csr.shape
    rows = row_ids(csr._sp_indptr, m)
    gather_at, scatter_at, size = (rows, csr._sp_indices, k) if transpose else (
        csr._sp_indices, rows, m)
    inner = k if not transpose else m
    if rhs.shape[0] != inner:
        raise ShapeError(f"dot: shapes {csr.shape}{'.T' if transpose else ''} and "
                         f"{dense.shape} do not match")
    tail = rhs.shape[1:]
    if csr._sp_data.size == 0:
        return NDArray._wrap(np.zeros((size,) + tail, dtype)) if rhs._node is None else \
            broadcast_exact(constant(np.zeros((), dtype), rhs), (size,) + tail)
    picked = bind("take", rhs, constant(gather_at, rhs), axis=0, mode="clip")
    scale = constant(csr._sp_data.astype(dtype).reshape((-1,) + (1,) * len(tail)), rhs)
    scaled = picked * broadcast_exact(scale, picked.shape)
    return bind("scatter_add", scaled, constant(scatter_at, rhs), axis=0, mode="clip",
                size=size)


def _dense_times_csr(dense: Array, csr: CSRNDArray, transpose: bool) -> Array:
    """dense @ csr (or dense @ csr.T): gather columns of `dense`, scale, scatter-add."""
    dtype = np.result_type(csr._dtype, dense._dtype)
    lhs = dense if dense._dtype == dtype else cast(dense, dtype)
    m, k = csr.shape
    rows = row_ids(csr._sp_indptr, m)
    gather_at, scatter_at, size = (csr._sp_indices, rows, m) if transpose else (
        rows, csr._sp_indices, k)
    inner = k if transpose else m
    if lhs.ndim != 2 or lhs.shape[1] != inner:
        raise ShapeError(f"dot: shapes {dense.shape} and {csr.shape}{'.T' if transpose else ''}"
                         " do not match")
    if csr._sp_data.size == 0:
        return NDArray._wrap(np.zeros((lhs.shape[0], size), dtype))
    picked = bind("take", lhs, constant(gather_at, lhs), axis=1, mode="clip")
    scale = constant(csr._sp_data.astype(dtype).reshape(1, -1), lhs)
    scaled = picked * broadcast_exact(scale, picked.shape)
    return bind("scatter_add", scaled, constant(scatter_at, lhs), axis=1, mode="clip",
                size=size)


def _rows_of_transposed_product(csr: CSRNDArray, rhs: Array) -> np.ndarray:
    """The rows dot(csr.T, rhs) stores, as MXNet picks them: the columns of `csr` holding a
    value whose row meets a stored row of `rhs` (every row of a dense `rhs`)."""
    columns = csr._sp_indices
    if isinstance(rhs, RowSparseNDArray):
        columns = columns[np.isin(row_ids(csr._sp_indptr, csr.shape[0]), rhs._sp_indices)]
    return np.unique(columns)


def _default_stype(lhs: Array, rhs: Array, transpose_a: bool, transpose_b: bool) -> str:
    """MXNet's storage type of dot's result when forward_stype is not given."""
    if isinstance(lhs, CSRNDArray) and transpose_a and not transpose_b and \
            not isinstance(rhs, CSRNDArray):
        return "row_sparse"
    if isinstance(rhs, CSRNDArray) and not isinstance(lhs, BaseSparseNDArray) and \
            not transpose_a:
        return "csr"
    return "default"


def _stored(result: Array, stype: str, lhs: Array, rhs: Array, transpose_a: bool,
            transpose_b: bool) -> Array:
    """The eager product `result` in storage `stype`. Where that is MXNet's own storage
    for the operands, the result stores the positions the operands make (stored zeros
    included), as MXNet's sparse kernels do; a conversion stores the non-zeros."""
    default = stype == _default_stype(lhs, rhs, transpose_a, transpose_b)
    dense = result.asnumpy()
    if default and stype == "row_sparse":
        rows = _rows_of_transposed_product(lhs, rhs)  # type: ignore[arg-type]
        return RowSparseNDArray._make(dense[rows].copy(), rows, None, dense.shape,
                                      result._ctx)
    if default and stype == "csr" and not transpose_b:
        columns = np.unique(rhs._sp_indices)  # type: ignore[attr-defined]
        m = dense.shape[0]
        indptr = np.arange(m + 1, dtype=np.int64) * columns.size
        return CSRNDArray._make(np.ascontiguousarray(dense[:, columns]).reshape(-1),
                                np.tile(columns, m), indptr, dense.shape, result._ctx)
    return cast_storage(result, stype)


def dot(lhs: Array, rhs: Array, transpose_a: bool = False, transpose_b: bool = False,
        forward_stype: str | None = None) -> Array:
    """Matrix product with sparse operands, in MXNet's storage types: dot(csr.T, dense) is
    row_sparse, dot(dense, csr) and dot(dense, csr.T) are csr, the rest dense;
    `forward_stype` asks for another. A product that is traced (inside `mx.jit`) or
    recorded for autograd stays dense.

    >>> a = mx.nd.sparse.csr_matrix(([1, 2], [0, 2], [0, 1, 2]), shape=(2, 3))
    >>> mx.nd.sparse.dot(a, mx.nd.ones((3, 4))).shape  # doctest: +SKIP
    (2, 4)
    """
    for what, x in (("lhs", lhs), ("rhs", rhs)):
        if not isinstance(x, NDArray):
            raise ArgumentError(f"dot: {what} must be an NDArray, got {type(x).__name__}")
    if forward_stype not in (None, "default", "csr", "row_sparse"):
        raise ParamError(f"dot: unknown forward_stype {forward_stype!r}; use 'default', "
                         "'csr' or 'row_sparse'")
    if isinstance(lhs, CSRNDArray) and not isinstance(rhs, CSRNDArray):
        dense = _dense_operand(rhs)
        result = _csr_times_dense(lhs, transpose(dense) if transpose_b else dense, transpose_a)
    elif isinstance(rhs, CSRNDArray) and not isinstance(lhs, BaseSparseNDArray):
        result = _dense_times_csr(transpose(lhs) if transpose_a else lhs, rhs, transpose_b)
    else:
        result = dense_dot(_dense_operand(lhs), _dense_operand(rhs), transpose_a, transpose_b)
    stype = forward_stype or _default_stype(lhs, rhs, transpose_a, transpose_b)
    if stype == "default" or result._node is not None or result._rec is not None:
        return result
    return _stored(result, stype, lhs, rhs, transpose_a, transpose_b)
