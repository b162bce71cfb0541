"""Sparse storage for `mx.nd.sparse`: CSR and row-sparse arrays held as NumPy arrays on the host.

`CSRNDArray` stores a 2-D matrix as `data` (the nnz values), `indices` (their columns) and
`indptr` (row offsets); `RowSparseNDArray` stores the non-zero rows of an N-D array as
`data` (rows, *shape[1:]) and `indices` (their row ids, ascending). Both are NDArrays: an
operator without a sparse implementation reads them as dense arrays (MXNet's "storage
fallback"), and `tostype` converts in both directions. The operators that keep a sparse
storage type are in `sparse_elementwise.py`, `sparse_structure.py` and `sparse_dot.py`.
Sparse arrays cannot be traced themselves, and they are read-only through dense views; as
autograd variables they are read through their dense values.

    >>> a = mx.nd.sparse.csr_matrix(([1, 2, 3], [0, 2, 1], [0, 2, 2, 3]), shape=(3, 3))
    >>> a  # doctest: +SKIP
    <BLANKLINE>
    <CSRNDArray 3x3 @cpu(0)>
"""
from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ..base import (
    ArgumentError,
    DTypeError,
    MXNetIndexError,
    ParamError,
    ShapeError,
    SparseFormatError,
)
from ..context import Context, check_context, current_context
from ..core import Array
from ..ops.operands import write_out
from ..trace import canonical_dtype
from .ndarray import NDArray
from .serialization import SparseRecord, dumps_record, loads_sparse_record

INDEX = np.dtype(np.int64)


class BaseSparseNDArray(NDArray):
    """The common base of `CSRNDArray` and `RowSparseNDArray` (MXNet's name)."""

    __slots__ = ("_sp_data", "_sp_indices", "_sp_indptr", "_sp_shape", "_dense")
    _stype = "default"
    _sp_data: np.ndarray
    _sp_indices: np.ndarray
    _sp_indptr: np.ndarray | None
    _sp_shape: tuple[int, ...]
    _dense: np.ndarray | None

    @classmethod
    def _make(cls, data: np.ndarray, indices: np.ndarray, indptr: np.ndarray | None,
              shape: tuple[int, ...], ctx: Context | None = None) -> Any:
        a = object.__new__(cls)
        a._sp_data, a._sp_indices, a._sp_indptr = data, indices, indptr
        a._sp_shape = tuple(int(d) for d in shape)
        a._dense = None
        a._node, a._ctx, a._rec, a._grad = None, ctx, None, None
        return a

    def __getstate__(self) -> dict[str, Any]:
        """Pickled as MXNet pickles: the array's record of MXNet's binary format."""
        return {"handle": bytearray(dumps_record(to_payload(self)))}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickle MXNet's state of a sparse array of this storage type."""
        handle = state.get("handle") if isinstance(state, dict) else None
        if handle is None:
            raise ArgumentError(f"{type(self).__name__}.__setstate__: expected MXNet's "
                                f"{{'handle': bytes}}")
        made = from_payload(loads_sparse_record(bytes(handle)))
        if type(made) is not type(self):
            raise ArgumentError(f"{type(self).__name__}.__setstate__: the state holds a "
                                f"{made.stype} array")
        for slot in BaseSparseNDArray.__slots__:
            setattr(self, slot, getattr(made, slot))
        self._node, self._ctx, self._rec, self._grad = None, None, None, None

    # storage fallback: dense operators read this (a read-only dense copy, built once)
    @property  # type: ignore[override]
    def _data(self) -> np.ndarray:
        if self._dense is None:
            dense = self._densify()
            dense.setflags(write=False)
            self._dense = dense
        return self._dense

    def _densify(self) -> np.ndarray:
        raise NotImplementedError

    #: How many index arrays the storage type has (MXNet's `_num_aux`).
    _num_aux = 0

    @property
    def _dtype(self) -> np.dtype:
        return self._sp_data.dtype

    @property
    def shape(self) -> tuple[int, ...]:
        return self._sp_shape

    @property
    def stype(self) -> str:
        return self._stype

    @property
    def context(self) -> Context:
        return self._ctx or Context("cpu", 0)

    ctx = context

    @property
    def data(self) -> NDArray:
        """The stored values."""
        return NDArray._wrap(self._sp_data, self._ctx)

    @property
    def indices(self) -> NDArray:
        """Column ids (CSR) or row ids (row_sparse) of the stored values, int64."""
        return NDArray._wrap(self._sp_indices, self._ctx)

    def asnumpy(self) -> np.ndarray:
        """The dense values as a NumPy array."""
        return self._densify()

    def detach(self) -> Any:
        """The same stored values, cut off from the recorded graph (same storage type)."""
        return type(self)._make(self._sp_data, self._sp_indices, self._sp_indptr, self.shape,
                                self._ctx)

    def __repr__(self) -> str:
        shape = "x".join(map(str, self.shape))
        return f"\n<{type(self).__name__} {shape} @{self.context}>"

    __str__ = __repr__

    def tostype(self, stype: str) -> Array:
        """A copy with storage type `stype` ('default', 'csr' or 'row_sparse')."""
        return cast_storage(self, stype)

    def copy(self) -> Any:
        """A copy of the same storage type."""
        indptr = None if self._sp_indptr is None else self._sp_indptr.copy()
        return type(self)._make(self._sp_data.copy(), self._sp_indices.copy(), indptr,
                                self.shape, self._ctx)

    def copyto(self, other: Any) -> Any:
        """A copy onto the context `other`, or into the array `other` (same shape and dtype,
        converted to its storage type, as MXNet does)."""
        if isinstance(other, Context):
            result = self.copy()
            result._ctx = check_context(other)
            return result
        if not isinstance(other, NDArray):
            raise ArgumentError(f"copyto: the target must be an NDArray or a Context, got "
                                f"{type(other).__name__}")
        return store_into(self, other)

    def astype(self, dtype: Any, copy: bool = True) -> Any:
        """The same sparsity pattern with the values converted to `dtype`."""
        d = canonical_dtype(dtype)
        if not copy and d == self._dtype:
            return self
        indptr = None if self._sp_indptr is None else self._sp_indptr.copy()
        return type(self)._make(self._sp_data.astype(d), self._sp_indices.copy(), indptr,
                                self.shape, self._ctx)

    def __setitem__(self, key: Any, value: Any) -> None:
        """x[:] = value: new contents (an array of any storage type, NumPy data or a
        number), kept in x's storage type; the only key MXNet's sparse arrays take.

        >>> x = mx.nd.sparse.zeros('row_sparse', (3, 2))
        >>> x[:] = mx.nd.ones((3, 2))  # doctest: +SKIP
        """
        if not (isinstance(key, slice) and key == slice(None)):
            raise ParamError(f"{type(self).__name__} supports only x[:] = value, got the key "
                             f"{key!r}")
        if isinstance(value, BaseSparseNDArray) and value.stype == self.stype \
                and value.shape == self.shape:
            # (its stored entries are copied, explicit zeros included, as MXNet's copyto
            # does: a DGL graph's edge id 0 is one)
            store_into(value.astype(self._dtype, copy=False), self)
            return
        if isinstance(value, NDArray):
            dense = value.asnumpy()
        elif isinstance(value, (int, float, np.number, np.bool_)):
            dense = np.full(self.shape, value)
        else:
            dense = np.asarray(value)
        if dense.shape != self.shape:
            raise ShapeError(f"x[:] = value: value has shape {dense.shape}, x has {self.shape}")
        store_into(NDArray._wrap(dense.astype(self._dtype), self._ctx), self)

    def check_format(self, full_check: bool = True) -> None:
        """Raise SparseFormatError, with MXNet's message, if the components do not describe
        a valid array of this shape; `full_check=False` checks their lengths only.

        >>> mx.nd.sparse.row_sparse_array(([[1, 2]], [5]), shape=(3, 2)).check_format()
        Traceback (most recent call last):
        SparseFormatError: Indices of row_sparse NDArray should be non-negative, ...
        """
        _check_lengths(self.stype, self._sp_data, self._sp_indices, self._sp_indptr,
                       self.shape)
        if full_check:
            _check_ids(self.stype, self._sp_indices, self._sp_indptr, self.shape, True)

    def _store_values(self, g: np.ndarray, add: bool, owned: bool = False) -> None:
        """Dense values (a gradient, an `out=` result), in this array's storage type
        (MXNet's storage fallback)."""
        total = g + self.asnumpy() if add else g
        store_into(NDArray._wrap(np.asarray(total, self._dtype), self._ctx), self)

    def _zero_gradient(self, stype: str | None) -> NDArray:
        # (MXNet's default gradient buffer has the array's own storage type)
        return super()._zero_gradient(stype or self.stype)


class CSRNDArray(BaseSparseNDArray):
    """A 2-D array in compressed sparse row format.

    >>> a = mx.nd.sparse.csr_matrix(([1.0], [1], [0, 1, 1]), shape=(2, 2))
    >>> a.asnumpy()  # doctest: +SKIP
    array([[0., 1.],
           [0., 0.]], dtype=float32)
    """

    __slots__ = ()
    _stype = "csr"
    _num_aux = 2

    @property
    def indptr(self) -> NDArray:
        """Row offsets into `data` / `indices`, int64, length rows + 1."""
        assert self._sp_indptr is not None
        return NDArray._wrap(self._sp_indptr, self._ctx)

    def _densify(self) -> np.ndarray:
        _check_ids("csr", self._sp_indices, self._sp_indptr, self.shape, False)
        out = np.zeros(self.shape, self._dtype)
        rows = row_ids(self._sp_indptr, self.shape[0])
        np.add.at(out, (rows, self._sp_indices), self._sp_data)
        return out

    def asscipy(self) -> Any:
        """The matrix as a `scipy.sparse.csr_matrix` (needs SciPy)."""
        import scipy.sparse as sp  # type: ignore[import-not-found]

        return sp.csr_matrix((self._sp_data, self._sp_indices, self._sp_indptr),
                             shape=self.shape)

    def __getitem__(self, key: Any) -> CSRNDArray:
        """Rows `key` (an int or a step-1 slice) as a CSR array."""
        m = self.shape[0]
        if isinstance(key, (int, np.integer)):
            k = int(key) + m if key < 0 else int(key)
            if not 0 <= k < m:
                raise MXNetIndexError(f"index {key} is out of bounds for axis 0 with size {m}")
            begin, end = k, k + 1
        elif isinstance(key, slice):
            if key.step not in (None, 1):
                raise ParamError("CSRNDArray only supports continuous slicing on axis 0")
            begin, end, _ = key.indices(m)
            end = max(end, begin)
        elif isinstance(key, tuple):
            raise ParamError("Multi-dimension indexing is not supported")
        else:
            raise ParamError(f"Undefined behaviour for {key!r}")
        indptr = self._sp_indptr
        assert indptr is not None
        lo, hi = int(indptr[begin]), int(indptr[end])
        return CSRNDArray._make(self._sp_data[lo:hi].copy(), self._sp_indices[lo:hi].copy(),
                                indptr[begin:end + 1] - lo, (end - begin, self.shape[1]),
                                self._ctx)


class RowSparseNDArray(BaseSparseNDArray):
    """An N-D array that stores only some of its rows (first-axis slices).

    >>> a = mx.nd.sparse.row_sparse_array(([[1, 2], [3, 4]], [0, 2]), shape=(4, 2))
    >>> a.indices.asnumpy()  # doctest: +SKIP
    array([0, 2])
    """

    __slots__ = ()
    _stype = "row_sparse"
    _num_aux = 1

    def _densify(self) -> np.ndarray:
        _check_ids("row_sparse", self._sp_indices, None, self.shape, False)
        out = np.zeros(self.shape, self._dtype)
        out[self._sp_indices] = self._sp_data
        return out


# ---- validation and conversion -----------------------------------------------------------


def row_ids(indptr: np.ndarray | None, rows: int) -> np.ndarray:
    """The row of every stored CSR value."""
    if indptr is None or indptr.size == 0:
        return np.zeros(0, INDEX)
    return np.repeat(np.arange(rows, dtype=INDEX), np.diff(indptr))


def _check_lengths(stype: str, data: np.ndarray, indices: np.ndarray,
                   indptr: np.ndarray | None, shape: tuple[int, ...]) -> None:
    """The components' shapes fit an array of `shape` (what MXNet checks on creation)."""
    if data.ndim == 0 or indices.ndim != 1 or indices.shape[0] != data.shape[0]:
        raise SparseFormatError(f"{stype}: indices must be 1-D with one entry per stored value "
                                f"(data has shape {data.shape}), got shape {indices.shape}")
    if stype == "csr":
        assert indptr is not None
        if len(shape) != 2 or data.ndim != 1:
            raise SparseFormatError(f"csr: needs 1-D data and a 2-D shape, got data "
                                    f"{data.shape} and shape {shape}")
        if indptr.shape != (shape[0] + 1,):
            raise SparseFormatError(f"csr: indptr must have {shape[0] + 1} entries for "
                                    f"{shape[0]} rows, got {indptr.shape[0]}")
    elif not shape or data.shape[1:] != tuple(shape[1:]):
        raise SparseFormatError(f"row_sparse: data rows of shape {data.shape[1:]} do not "
                                f"fit an array of shape {shape}")


def _check_ids(stype: str, indices: np.ndarray, indptr: np.ndarray | None,
               shape: tuple[int, ...], ordered: bool) -> None:
    """MXNet's full `check_format` of the index arrays (lengths already checked), with
    its messages. Without `ordered`, ids may be unsorted or repeated: what reading the
    values needs (MXNet, like mxjit, creates arrays from components unchecked)."""
    if stype == "csr":
        assert indptr is not None
        if indptr[0] != 0 or indptr[-1] != indices.size or np.any(np.diff(indptr) < 0):
            raise SparseFormatError(
                f"IndPtr of csr NDArray should be non-negative, in non-decreasing order, start "
                f"with 0, and end with value equal with size of indices ({indices.size}), got "
                f"{indptr.tolist()}")
        rows = row_ids(indptr, shape[0])
        unordered = ordered and np.any((rows[1:] == rows[:-1]) & (indices[1:] <= indices[:-1]))
        if unordered or np.any((indices < 0) | (indices >= shape[1])):
            raise SparseFormatError(
                f"Indices of csr NDArray should be non-negative, in ascending order per row and "
                f"less than the number of columns ({shape[1]}), got {indices.tolist()}")
        return
    unordered = ordered and np.any(np.diff(indices) <= 0)
    if unordered or np.any((indices < 0) | (indices >= shape[0])):
        raise SparseFormatError(
            f"Indices of row_sparse NDArray should be non-negative, less than the size of first "
            f"dimension ({shape[0]}) and in ascending order, got {indices.tolist()}")


def _index_array(values: Any, what: str) -> np.ndarray:
    arr = np.asarray(values.asnumpy() if isinstance(values, NDArray) else values)
    if arr.size == 0:
        return np.zeros(0, INDEX)
    if arr.dtype.kind == "f" and np.all(arr == np.round(arr)):
        arr = arr.astype(INDEX)
    if arr.dtype.kind not in "iu":
        raise DTypeError(f"{what} must hold integers, got dtype {arr.dtype}")
    return arr.astype(INDEX).reshape(-1)


def _values(values: Any, dtype: Any) -> np.ndarray:
    """Stored values: float32 unless `dtype` is given or they come as a typed array."""
    if isinstance(values, NDArray):
        arr = values.asnumpy()
    else:
        arr = np.asarray(values)
        if dtype is None and not isinstance(values, np.ndarray):
            arr = arr.astype(np.float32)
    if dtype is not None:
        arr = arr.astype(canonical_dtype(dtype))
    canonical_dtype(arr.dtype)
    return np.array(arr, copy=True)


def _csr_from_dense(dense: np.ndarray, ctx: Context | None) -> CSRNDArray:
    if dense.ndim != 2:
        raise ShapeError(f"csr: needs a 2-D array, got shape {dense.shape}")
    rows, cols = np.nonzero(dense)
    indptr = np.zeros(dense.shape[0] + 1, INDEX)
    np.cumsum(np.bincount(rows, minlength=dense.shape[0]), out=indptr[1:])
    return CSRNDArray._make(dense[rows, cols].copy(), cols.astype(INDEX), indptr, dense.shape,
                            ctx)


def _rsp_from_dense(dense: np.ndarray, ctx: Context | None) -> RowSparseNDArray:
    if dense.ndim == 0:
        raise ShapeError("row_sparse: needs an array with at least one axis")
    flat = dense.reshape(dense.shape[0], int(np.prod(dense.shape[1:])))  # (also for 0 rows)
    rows = np.nonzero(np.any(flat != 0, axis=1))[0].astype(INDEX)
    return RowSparseNDArray._make(dense[rows].copy(), rows, None, dense.shape, ctx)


def cast_storage(data: Array, stype: str) -> Array:
    """`data` converted to storage type `stype` ('default', 'csr' or 'row_sparse').

    >>> mx.nd.sparse.cast_storage(mx.nd.eye(3), 'csr').stype  # doctest: +SKIP
    'csr'
    """
    if not isinstance(data, NDArray):
        raise ArgumentError(f"cast_storage: data must be an NDArray, got {type(data).__name__}")
    if stype not in ("default", "csr", "row_sparse"):
        raise ParamError(f"unknown storage type {stype!r}; use 'default', 'csr' or "
                         "'row_sparse'")
    if stype == data.stype:
        return data.copy()
    dense = data.asnumpy() if isinstance(data, BaseSparseNDArray) else np.array(
        data._buffer(), copy=True)
    if stype == "default":
        return NDArray._wrap(dense, data._ctx)
    if stype == "csr":
        return _csr_from_dense(dense, data._ctx)
    return _rsp_from_dense(dense, data._ctx)


def store_into(result: NDArray, out: NDArray) -> NDArray:
    """Write `result` into `out` (same shape and dtype), converted to `out`'s storage type:
    a sparse `out` takes the new components, a dense one the values.

    >>> store_into(mx.nd.ones((2, 2)), mx.nd.sparse.zeros('csr', (2, 2))).stype  # doctest: +SKIP
    'csr'
    """
    if result.shape != out.shape:
        raise ShapeError(f"out=: the result has shape {result.shape}, out has {out.shape}")
    if result._dtype != out._dtype:
        raise DTypeError(f"out=: the result has dtype {result._dtype.name}, out has "
                         f"{out._dtype.name}")
    if not isinstance(out, BaseSparseNDArray):
        dense = result.asnumpy() if isinstance(result, BaseSparseNDArray) else result
        return write_out(NDArray._wrap(dense) if isinstance(dense, np.ndarray) else dense,
                         out)  # type: ignore[no-any-return]
    stored = cast_storage(result, out.stype)  # (a copy, also when the types are the same)
    out._sp_data, out._sp_indices = stored._sp_data, stored._sp_indices  # type: ignore
    out._sp_indptr, out._dense = stored._sp_indptr, None  # type: ignore[attr-defined]
    return out


# ---- construction ---------------------------------------------------------------------------


def _context(ctx: Context | None) -> Context:
    return check_context(ctx or current_context())


def _shape_arg(shape: Any) -> tuple[int, ...] | None:
    if shape is None:
        return None
    dims = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(d) for d in shape)
    if any(d < 0 for d in dims):
        raise ShapeError(f"negative dimension in shape {dims}")
    return dims


def _check_shape(op: str, given: tuple[int, ...], dims: tuple[int, ...] | None) -> None:
    """MXNet's check of `shape=` against the shape the input already has."""
    given = tuple(int(d) for d in given)
    if dims is not None and given != dims:
        raise ShapeError(f"{op}: Shape mismatch detected. {given} v.s. {dims}")


def _dense_input(op: str, arg: NDArray | np.ndarray | list, dims: tuple[int, ...] | None,
                 dtype: Any) -> np.ndarray:
    """A dense array argument of `op` as NumPy (float32 for lists), checked against `dims`."""
    dense = arg.asnumpy() if isinstance(arg, NDArray) else np.asarray(
        arg, dtype=None if isinstance(arg, np.ndarray) else np.float32)
    if dtype is not None:
        dense = dense.astype(canonical_dtype(dtype))
    _check_shape(op, dense.shape, dims)
    return dense


def _is_shape(arg1: tuple) -> bool:
    return all(isinstance(d, (int, np.integer)) for d in arg1)


def _inferred(op: str, indices: np.ndarray) -> int:
    """The extent the largest stored id implies (MXNet cannot infer it from no ids)."""
    if indices.size == 0:
        raise ShapeError(f"{op}: cannot infer the shape of an array that stores nothing; "
                         "pass shape=")
    return int(indices.max()) + 1


def _wrong_input(op: str, arg1: Any, forms: str) -> Exception:
    if isinstance(arg1, tuple):
        return ParamError(f"{op}: Unexpected length of input tuple: {len(arg1)}; give {forms}")
    if isinstance(arg1, BaseSparseNDArray):
        return ParamError(f"{op}: Unexpected input type: {type(arg1).__name__}; convert it "
                          "with tostype")
    return ArgumentError(f"{op}: unexpected input {type(arg1).__name__}; give {forms}")


def _csr_from_definition(arg1: tuple, dims: tuple[int, ...] | None, c: Context,
                         dtype: Any) -> CSRNDArray:
    """`(data, indices, indptr)`, taken as given: like MXNet, only the lengths are checked
    here (`check_format` checks the ids)."""
    data = _values(arg1[0], dtype)
    indices = _index_array(arg1[1], "csr_matrix: indices")
    indptr = _index_array(arg1[2], "csr_matrix: indptr")
    if dims is None:
        dims = (max(indptr.size - 1, 0), _inferred("csr_matrix", indices))
    _check_lengths("csr", data, indices, indptr, dims)
    return CSRNDArray._make(data, indices, indptr, dims, c)


def _csr_from_coo(arg1: tuple, dims: tuple[int, ...] | None, c: Context, dtype: Any
                  ) -> CSRNDArray:
    """`(data, (row, col))`: duplicates summed, as SciPy's conversion does for MXNet."""
    data = _values(arg1[0], dtype)
    row = _index_array(arg1[1][0], "csr_matrix: row")
    col = _index_array(arg1[1][1], "csr_matrix: col")
    if not data.shape[0] == row.size == col.size:
        raise SparseFormatError("csr_matrix: data, row and col must have the same length")
    if dims is None:
        dims = (int(row.max()) + 1 if row.size else 0, int(col.max()) + 1 if col.size else 0)
    dense = np.zeros(dims, data.dtype)
    np.add.at(dense, (row, col), data)
    return _csr_from_dense(dense, c)


def _csr_from_scipy(matrix: Any, dims: tuple[int, ...] | None, c: Context, dtype: Any
                    ) -> CSRNDArray:
    """A SciPy sparse matrix in MXNet's canonical form: ids sorted per row, duplicates
    summed."""
    m = matrix.tocsr().sorted_indices()
    m.sum_duplicates()
    _check_shape("csr_matrix", m.shape, dims)
    return _csr_from_definition((m.data, m.indices, m.indptr), m.shape, c, dtype)


def csr_matrix(arg1: Any, shape: Any = None, ctx: Context | None = None, dtype: Any = None
               ) -> CSRNDArray:
    """A `CSRNDArray` from `(data, indices, indptr)`, `(data, (row, col))`, a shape
    `(M, N)` (all zeros), a dense array or NDArray, a CSRNDArray or a SciPy CSR matrix.
    As in MXNet, `(data, indices, indptr)` is stored as given (`check_format` checks it).

    >>> mx.nd.sparse.csr_matrix(([1, 2], [0, 2], [0, 1, 2]), shape=(2, 3))  # doctest: +SKIP
    <BLANKLINE>
    <CSRNDArray 2x3 @cpu(0)>
    """
    c = _context(ctx)
    dims = _shape_arg(shape)
    if isinstance(arg1, CSRNDArray):
        _check_shape("csr_matrix", arg1.shape, dims)
        result = arg1.astype(dtype) if dtype is not None else arg1.copy()
        result._ctx = c
        return result
    if hasattr(arg1, "tocsr") and hasattr(arg1, "indptr"):  # scipy.sparse
        return _csr_from_scipy(arg1, dims, c, dtype)
    if isinstance(arg1, tuple) and len(arg1) == 3:
        return _csr_from_definition(arg1, dims, c, dtype)
    if isinstance(arg1, tuple) and len(arg1) == 2 and isinstance(arg1[1], tuple):
        return _csr_from_coo(arg1, dims, c, dtype)
    if isinstance(arg1, tuple) and len(arg1) == 2 and _is_shape(arg1):
        _check_shape("csr_matrix", arg1, dims)
        return zeros("csr", arg1, c, dtype)  # type: ignore[return-value]
    if isinstance(arg1, (NDArray, np.ndarray, list)) and not isinstance(arg1, RowSparseNDArray):
        return _csr_from_dense(_dense_input("csr_matrix", arg1, dims, dtype), c)
    raise _wrong_input("csr_matrix", arg1, "(data, indices, indptr), (data, (row, col)), a "
                       "shape or a dense array")


def row_sparse_array(arg1: Any, shape: Any = None, ctx: Context | None = None,
                     dtype: Any = None) -> RowSparseNDArray:
    """A `RowSparseNDArray` from `(data, indices)`, a shape (all zeros), a dense array or
    NDArray, or a RowSparseNDArray. As in MXNet, `(data, indices)` is stored as given
    (`check_format` checks that the ids ascend).

    >>> mx.nd.sparse.row_sparse_array(([[1, 2], [3, 4]], [0, 2]), shape=(4, 2))  # doctest: +SKIP
    <BLANKLINE>
    <RowSparseNDArray 4x2 @cpu(0)>
    """
    c = _context(ctx)
    dims = _shape_arg(shape)
    if isinstance(arg1, RowSparseNDArray):
        _check_shape("row_sparse_array", arg1.shape, dims)
        result = arg1.astype(dtype) if dtype is not None else arg1.copy()
        result._ctx = c
        return result
    if isinstance(arg1, tuple) and len(arg1) == 2 and not _is_shape(arg1):
        data = _values(arg1[0], dtype)
        indices = _index_array(arg1[1], "row_sparse_array: indices")
        if data.ndim == 0:
            raise SparseFormatError("row_sparse_array: data needs a first axis of stored rows")
        if dims is None:
            dims = (_inferred("row_sparse_array", indices),) + data.shape[1:]
        _check_lengths("row_sparse", data, indices, None, dims)
        return RowSparseNDArray._make(data, indices, None, dims, c)
    if isinstance(arg1, tuple) and len(arg1) >= 2 and _is_shape(arg1):
        _check_shape("row_sparse_array", arg1, dims)
        return zeros("row_sparse", arg1, c, dtype)  # type: ignore[return-value]
    if isinstance(arg1, (NDArray, np.ndarray, list)) and not isinstance(arg1, CSRNDArray):
        return _rsp_from_dense(_dense_input("row_sparse_array", arg1, dims, dtype), c)
    raise _wrong_input("row_sparse_array", arg1, "(data, indices), a shape or a dense array")


def zeros(stype: str, shape: Any, ctx: Context | None = None, dtype: Any = None,
          **kwargs: Any) -> NDArray:
    """An all-zero array of storage type `stype` ('csr', 'row_sparse' or 'default').

    >>> mx.nd.sparse.zeros('row_sparse', (4, 2)).indices.shape  # doctest: +SKIP
    (0,)
    """
    dims = _shape_arg(shape)
    assert dims is not None
    d = canonical_dtype(dtype)
    c = _context(ctx)
    if stype == "csr":
        if len(dims) != 2:
            raise ShapeError(f"zeros: a csr array must be 2-D, got shape {dims}")
        return CSRNDArray._make(np.zeros(0, d), np.zeros(0, INDEX),
                                np.zeros(dims[0] + 1, INDEX), dims, c)
    if stype == "row_sparse":
        if not dims:
            raise ShapeError("zeros: a row_sparse array needs at least one axis")
        return RowSparseNDArray._make(np.zeros((0,) + dims[1:], d), np.zeros(0, INDEX), None,
                                      dims, c)
    if stype == "default":
        return NDArray._wrap(np.zeros(dims, d), c)
    raise ParamError(f"unknown storage type {stype!r}; use 'default', 'csr' or 'row_sparse'")


def empty(stype: str, shape: Any, ctx: Context | None = None, dtype: Any = None) -> NDArray:
    """An array of storage type `stype` with no stored values (zeros)."""
    return zeros(stype, shape, ctx, dtype)


def array(source_array: Any, ctx: Context | None = None, dtype: Any = None) -> NDArray:
    """A sparse array copied from a CSRNDArray, a RowSparseNDArray or a SciPy CSR matrix.

    >>> mx.nd.sparse.array(mx.nd.sparse.zeros('csr', (2, 2))).stype  # doctest: +SKIP
    'csr'
    """
    if isinstance(source_array, CSRNDArray) or hasattr(source_array, "tocsr"):
        return csr_matrix(source_array, ctx=ctx, dtype=dtype)
    if isinstance(source_array, RowSparseNDArray):
        return row_sparse_array(source_array, ctx=ctx, dtype=dtype)
    raise ParamError(f"sparse.array: expected a CSRNDArray, RowSparseNDArray or "
                     f"scipy.sparse.csr_matrix, got {type(source_array).__name__}")


# ---- save / load ------------------------------------------------------------------------------


def to_payload(array: NDArray) -> Any:
    """What `nd.save` writes for an array: a NumPy array, or a `SparseRecord` if sparse."""
    if not isinstance(array, NDArray):
        raise ArgumentError(f"save: expected NDArrays, got {type(array).__name__}")
    if isinstance(array, BaseSparseNDArray):
        return SparseRecord(array.stype, array.shape, array._sp_data, array._sp_indices,
                            array._sp_indptr)
    return array.asnumpy()


def from_payload(entry: Any) -> NDArray:
    """An NDArray (CSRNDArray / RowSparseNDArray for a `SparseRecord`) from what `nd.load`
    read."""
    if not isinstance(entry, SparseRecord):
        return NDArray._wrap(entry)
    indices = entry.indices.astype(INDEX)
    data = np.array(entry.data, copy=True)
    if entry.stype == "csr":
        assert entry.indptr is not None
        indptr = entry.indptr.astype(INDEX)
        if indptr.size == 0:  # an all-zero matrix saved without allocated storage
            indptr = np.zeros(entry.shape[0] + 1, INDEX)
        return CSRNDArray._make(data, indices, indptr, entry.shape)
    return RowSparseNDArray._make(data, indices, None, entry.shape)


def getnnz(data: Any, axis: int | None = None) -> NDArray:
    """Stored values of a CSR array (explicit zeros included): in all (shape (1,)), per
    column (axis=0) or per row (axis=1), as int64.

    >>> a = mx.nd.sparse.csr_matrix(([1, 2], [0, 2], [0, 1, 2]), (2, 3))
    >>> mx.nd.contrib.getnnz(a)  # doctest: +SKIP
    [2]
    <NDArray 1 @cpu(0)>
    """
    if not isinstance(data, CSRNDArray):
        stype = getattr(data, "stype", type(data).__name__)
        raise ArgumentError(f"getnnz: data must be a CSRNDArray, got {stype}")
    indptr, indices = data._sp_indptr, data._sp_indices
    assert indptr is not None
    if axis is None:
        counts = np.array([indices.size], np.int64)
    elif axis in (1, -1):
        counts = np.diff(indptr).astype(np.int64)
    elif axis in (0, -2):
        counts = np.bincount(indices, minlength=data.shape[1]).astype(np.int64)
    else:
        raise ParamError(f"getnnz: axis must be None, 0 or 1, got {axis}")
    return NDArray._wrap(counts, data._ctx)


def sparse_aware(dense: dict[str, Any], sparse: dict[str, Any], apart: tuple[str, ...]
                 ) -> dict[str, Any]:
    """The functions of `dense` that have a namesake in `sparse` (outside `apart`), made to
    call it when an argument is a sparse array: one operator, MXNet's storage rules from
    either namespace.

    >>> sparse_aware({'abs': nd_abs}, {'abs': sparse_abs}, ())['abs'](csr).stype  # doctest: +SKIP
    'csr'
    """
    made = {}
    for name, f in dense.items():
        if name in sparse and name not in apart:
            made[name] = _dispatching(f, sparse[name])
    return made


def _dispatching(dense: Any, sparse: Any) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        for a in args:
            if isinstance(a, BaseSparseNDArray):
                return sparse(*args, **kwargs)
        for a in kwargs.values():
            if isinstance(a, BaseSparseNDArray):
                return sparse(*args, **kwargs)
        return dense(*args, **kwargs)

    functools.update_wrapper(call, dense)
    return call
