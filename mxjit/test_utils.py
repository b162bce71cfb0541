"""`mx.test_utils`: MXNet 1.9.1's testing helpers (names, signatures, defaults, messages).

Tolerances per dtype, random arrays and shapes (dense, CSR and row_sparse), the
comparisons whose failures say where the largest error is (`assert_almost_equal`),
environment scopes, the statistical checks of random generators, and
`check_numeric_gradient` for Python functions of NDArrays.

    >>> mx.test_utils.assert_almost_equal(mx.nd.ones((2,)), np.ones(2))
    >>> mx.test_utils.get_rtol(None, np.dtype(np.float32))
    0.0001

Symbols are checked by `simple_forward`, `check_symbolic_forward`,
`check_symbolic_backward`, `check_consistency` and `check_numeric_gradient` (which also
takes a Python function of NDArrays), `numeric_grad` differentiates a bound executor by
finite differences, and `check_gluon_hybridize_consistency` compares a block eager and
hybridized. The data helpers (`get_mnist`, `download`, ...) live in test_data.py. SciPy
is optional: only `chi_square_check` and `verify_generator` need it.
"""
from __future__ import annotations

import inspect
import io
import json
import logging
import numbers
import os
import platform
import sys
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import ContextDecorator, contextmanager
from functools import wraps
from types import SimpleNamespace
from typing import Any

import numpy as np
import numpy.random as rnd
import numpy.testing as npt

from . import autograd, nd
from .base import ArgumentError, DTypeError, ParamError, ShapeError
from .context import Context, current_context, num_gpus
from .symbol import Symbol
from .test_data import (
    DummyIter,
    download,
    download_model,
    get_bz2_data,
    get_cifar10,
    get_im2rec_path,
    get_mnist,
    get_mnist_iterator,
    get_mnist_pkl,
    get_mnist_ubyte,
    get_zip_data,
)
from .test_gluon_utils import check_gluon_hybridize_consistency
from .util import getenv, setenv, use_np

array = nd.array

__all__ = [
    "use_np", "is_op_runnable", "has_tvm_ops",
    "default_context", "set_default_context", "default_dtype", "default_rtols",
    "default_atols", "default_numeric_eps", "effective_dtype", "get_tolerance", "get_tols",
    "get_atol", "get_rtol", "get_etol", "random_arrays", "random_uniform_arrays",
    "random_sample", "shuffle_csr_column_indices", "assign_each", "assign_each2",
    "create_2d_tensor", "create_vector", "get_identity_mat", "get_identity_mat_batch",
    "rand_sparse_ndarray", "rand_ndarray", "create_sparse_array", "create_sparse_array_zd",
    "rand_shape_2d", "rand_shape_3d", "rand_shape_nd", "rand_coord_2d", "np_reduce", "same",
    "almost_equal", "assert_almost_equal", "assert_allclose", "assert_almost_equal_with_err",
    "assert_almost_equal_ignore_nan", "assert_exception", "retry", "check_numeric_gradient",
    "list_gpus", "same_array", "discard_stderr", "gen_buckets_probs_with_ppf", "mean_check",
    "var_check", "chi_square_check", "verify_generator", "compare_ndarray_tuple",
    "compare_optimizer", "simple_forward", "check_symbolic_forward",
    "check_symbolic_backward", "check_consistency",
    "environment", "collapse_sum_like", "is_cd_run", "new_matrix_with_real_eigvals_2d",
    "new_matrix_with_real_eigvals_nd", "new_orthonormal_matrix_2d",
    "new_sym_matrix_with_real_eigvals_2d", "new_sym_matrix_with_real_eigvals_nd",
    "check_speed", "same_symbol_structure", "is_aarch64_run", "DummyIter", "download",
    "download_model", "get_mnist", "get_mnist_pkl", "get_mnist_ubyte", "get_cifar10",
    "get_mnist_iterator", "get_zip_data", "get_bz2_data", "get_im2rec_path",
    "check_gluon_hybridize_consistency", "numeric_grad",
]
_HELPERS = list(__all__)
#: MXNet's test_utils has no __all__, so `from mxnet.test_utils import *` also gives the
#: modules and names it imports, which MXNet's own tests and users' scripts then use
#: (`np`, `mx`, `sys`, `array`, ...).
__all__ += ["time", "numbers", "sys", "os", "platform", "json", "logging", "contextmanager",
            "OrderedDict", "np", "npt", "rnd", "mx", "Context", "current_context", "array",  # noqa: F822
            "Symbol", "getenv", "setenv"]


def __getattr__(name: str) -> Any:
    if name == "mx":  # (the package itself, which this module may not import)
        return sys.modules[__name__.rpartition(".")[0]]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:  # (what tab completion offers: the helpers)
    return _HELPERS


# ---- contexts, dtypes and tolerances ---------------------------------------------------------


def default_context() -> Context:
    """The context tests run on: the current default context.

    >>> mx.test_utils.default_context()
    cpu(0)
    """
    return current_context()


def set_default_context(ctx: Context) -> None:
    """Make `ctx` this thread's default context (until a `with` scope ends or it is set again).

    >>> mx.test_utils.set_default_context(mx.cpu(0))
    """
    if not isinstance(ctx, Context):
        raise ArgumentError(f"set_default_context: ctx must be a Context such as mx.cpu(), "
                            f"got {type(ctx).__name__}")
    # (the thread-local slot `with ctx:` sets; MXNet sets its own the same way)
    Context._local.current = ctx


def default_dtype() -> type:
    """The dtype tests create data in: `numpy.float32`.

    >>> mx.test_utils.default_dtype()
    <class 'numpy.float32'>
    """
    return np.float32


def _exact(*names: str) -> dict[np.dtype, float]:
    return {np.dtype(n): 0 for n in names}


_FLOAT64 = np.dtype(np.float64)
_INTEGRAL = ("bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64")


def default_rtols() -> dict[np.dtype, float]:
    """Relative tolerances for comparing data of each dtype (0 for exact types).

    >>> mx.test_utils.default_rtols()[np.dtype(np.float16)]
    0.01
    """
    return {np.dtype(np.float16): 1e-2, np.dtype(np.float32): 1e-4,
            np.dtype(np.float64): 1e-5, **_exact(*_INTEGRAL)}


def default_atols() -> dict[np.dtype, float]:
    """Absolute tolerances for comparing data of each dtype (0 for exact types).

    >>> mx.test_utils.default_atols()[np.dtype(np.float32)]
    0.001
    """
    return {np.dtype(np.float16): 1e-1, np.dtype(np.float32): 1e-3,
            np.dtype(np.float64): 1e-20, **_exact(*_INTEGRAL)}


def default_numeric_eps() -> dict[np.dtype, float]:
    """Finite-difference steps per float dtype (powers of two: the step adds no rounding).

    >>> mx.test_utils.default_numeric_eps()[np.dtype(np.float64)]
    6.103515625e-05
    """
    return {np.dtype(np.float16): 1.0 / 2**6, np.dtype(np.float32): 1.0 / 2**9,
            np.dtype(np.float64): 1.0 / 2**14}


def effective_dtype(dat: Any) -> np.dtype:
    """The dtype whose tolerances fit `dat`'s values: its own dtype. (MXNet returns float16
    for float32 data on GPUs that compute matrix products in TF32; mxjit keeps TF32 off.)

    >>> mx.test_utils.effective_dtype(mx.nd.ones((2,)))
    dtype('float32')
    """
    return np.dtype(dat.dtype)


def get_tolerance(dat: Any, tol: Any, default_tol: dict) -> float:
    """The tolerance for `dat`: `tol` itself when it is a number, else its entry (a dict
    of dtype -> float) or `default_tol`'s entry for `dat`'s effective dtype.

    >>> mx.test_utils.get_tolerance(np.ones(2, np.float16), None, mx.test_utils.default_rtols())
    0.01
    """
    if isinstance(tol, numbers.Number):
        return tol  # type: ignore[return-value]
    dtype = effective_dtype(dat)
    given = {} if tol is None else {np.dtype(k): v for k, v in tol.items()}
    if dtype in given:
        return given[dtype]  # type: ignore[no-any-return]
    if dtype not in default_tol:
        raise DTypeError(f"no default tolerance for dtype {dtype}; pass rtol and atol")
    return default_tol[dtype]  # type: ignore[no-any-return]


def get_tols(x: Any, y: Any, rtol: Any, atol: Any) -> tuple[float, float]:
    """(rtol, atol) for comparing `x` with `y`: the given ones, else the larger default of
    their two dtypes (numbers count as NumPy scalars).

    >>> mx.test_utils.get_tols(np.ones(2, np.float16), np.ones(2), None, None)
    (0.01, 0.1)
    """
    x = np.array(x) if isinstance(x, numbers.Number) else x
    y = np.array(y) if isinstance(y, numbers.Number) else y
    rtols, atols = default_rtols(), default_atols()
    return (max(get_tolerance(x, rtol, rtols), get_tolerance(y, rtol, rtols)),
            max(get_tolerance(x, atol, atols), get_tolerance(y, atol, atols)))


def get_atol(atol: float | None = None, dtype: Any = _FLOAT64) -> float:
    """`atol`, or the default absolute tolerance of `dtype` (float64's: 1e-20).

    >>> mx.test_utils.get_atol(), mx.test_utils.get_atol(0.5)
    (1e-20, 0.5)
    """
    return default_atols()[np.dtype(dtype)] if atol is None else atol


def get_rtol(rtol: float | None = None, dtype: Any = _FLOAT64) -> float:
    """`rtol`, or the default relative tolerance of `dtype` (float64's: 1e-5).

    >>> mx.test_utils.get_rtol()
    1e-05
    """
    return default_rtols()[np.dtype(dtype)] if rtol is None else rtol


def get_etol(etol: float | None = None) -> float:
    """`etol` (the tolerated fraction of mismatching elements), or 0.

    >>> mx.test_utils.get_etol(), mx.test_utils.get_etol(0.1)
    (0, 0.1)
    """
    return 0 if etol is None else etol


# ---- random data -----------------------------------------------------------------------------


def _shape(s: Any) -> tuple[int, ...]:
    return (int(s),) if isinstance(s, (int, np.integer)) else tuple(int(d) for d in s)


def random_arrays(*shapes: Any) -> Any:
    """Standard-normal NumPy arrays in the default dtype: one array for one shape, else a
    list (shape `()` gives a 0-d array).

    >>> mx.test_utils.random_arrays((2, 3)).shape
    (2, 3)
    """
    arrays: list[np.ndarray] = [np.array(np.random.randn(*_shape(s)), dtype=default_dtype())
                                for s in shapes]
    return arrays[0] if len(arrays) == 1 else arrays


def random_uniform_arrays(*shapes: Any, low: float = 0.0, high: float = 1.0,
                          dtype: Any = None) -> list[np.ndarray]:
    """A list of NumPy arrays uniform in [low, high), one per shape (float32 by default).

    >>> [a.shape for a in mx.test_utils.random_uniform_arrays((2,), (3,), low=-1.0)]
    [(2,), (3,)]
    """
    dtype = default_dtype() if dtype is None else dtype
    return [np.random.uniform(low, high, size=s).astype(dtype) for s in shapes]


def random_sample(population: Sequence, k: int) -> Sequence:
    """`k` elements drawn without replacement from the sequence `population`.

    >>> len(mx.test_utils.random_sample(list(range(10)), 3))
    3
    """
    if not 0 <= k <= len(population):
        raise ParamError(f"random_sample: k must be in [0, {len(population)}], got {k}")
    shuffled = population[:]
    np.random.shuffle(shuffled)  # type: ignore[arg-type]
    return shuffled[:k]


def rand_shape_2d(dim0: int = 10, dim1: int = 10, allow_zero_size: bool = False
                  ) -> tuple[int, int]:
    """A random 2-D shape with sizes in [1, dim] ([0, dim] with `allow_zero_size`).

    >>> len(mx.test_utils.rand_shape_2d())
    2
    """
    low = 0 if allow_zero_size else 1
    return int(np.random.randint(low, dim0 + 1)), int(np.random.randint(low, dim1 + 1))


def rand_shape_3d(dim0: int = 10, dim1: int = 10, dim2: int = 10,
                  allow_zero_size: bool = False) -> tuple[int, int, int]:
    """A random 3-D shape with sizes in [1, dim] ([0, dim] with `allow_zero_size`).

    >>> len(mx.test_utils.rand_shape_3d(2, 2, 2))
    3
    """
    low = 0 if allow_zero_size else 1
    return (int(np.random.randint(low, dim0 + 1)), int(np.random.randint(low, dim1 + 1)),
            int(np.random.randint(low, dim2 + 1)))


def rand_shape_nd(num_dim: int, dim: int = 10, allow_zero_size: bool = False
                  ) -> tuple[int, ...]:
    """A random shape of `num_dim` axes with sizes in [1, dim] ([0, dim] with
    `allow_zero_size`).

    >>> len(mx.test_utils.rand_shape_nd(4))
    4
    """
    low = 0 if allow_zero_size else 1
    return tuple(int(d) for d in np.random.randint(low, dim + 1, size=num_dim))


def rand_coord_2d(x_low: int, x_high: int, y_low: int, y_high: int) -> tuple[int, int]:
    """A random point with x in [x_low, x_high) and y in [y_low, y_high).

    >>> mx.test_utils.rand_coord_2d(0, 1, 5, 6)
    (0, 5)
    """
    return (int(np.random.randint(x_low, x_high, dtype=np.int64)),
            int(np.random.randint(y_low, y_high, dtype=np.int64)))


# ---- sparse data -----------------------------------------------------------------------------


def shuffle_csr_column_indices(csr: Any) -> None:
    """Shuffle the column indices within each row of `csr` in place (anything with
    `indptr` and `indices`: a SciPy CSR matrix, a CSRNDArray), leaving `data` as it is,
    to test code on CSR matrices whose column indices are not sorted. Shuffle a CSRNDArray
    before computing with it: operators keep the dense form they first read.

    >>> a = mx.nd.sparse.csr_matrix(([1, 2, 3], [0, 1, 2], [0, 3, 3]), shape=(2, 3))
    >>> mx.test_utils.shuffle_csr_column_indices(a)
    >>> sorted(a.indices.asnumpy().tolist())
    [0, 1, 2]
    """
    indptr = np.asarray(csr.indptr)
    for row in range(len(indptr) - 1):
        start, end = int(indptr[row]), int(indptr[row + 1])
        columns = np.array(csr.indices[start:end])
        np.random.shuffle(columns)
        csr.indices[start:end] = columns


def _validate_csr_generation_inputs(num_rows: int, num_cols: int, density: float,
                                    distribution: str = "uniform") -> None:
    total_nnz = int(num_rows * num_cols * density)
    if density < 0 or density > 1:
        raise ParamError("density has to be between 0 and 1")
    if num_rows <= 0 or num_cols <= 0:
        raise ParamError("num_rows or num_cols should be greater than 0")
    if distribution == "powerlaw" and total_nnz < 2 * num_rows:
        raise ParamError(
            f"not supported for this density: {density} for this shape ({num_rows}, "
            f"{num_cols}) Please keep : num_rows * num_cols * density >= 2 * num_rows")


def _uniform_csr(num_rows: int, num_cols: int, density: float, dtype: Any,
                 data_init: float | None, shuffle_csr_indices: bool,
                 ctx: Context) -> nd.sparse.CSRNDArray:
    """round(density * size) distinct positions with values uniform in [0, 1) (what MXNet
    asks of `scipy.sparse.rand`, drawn here without SciPy)."""
    _validate_csr_generation_inputs(num_rows, num_cols, density, "uniform")
    nnz = int(round(density * num_rows * num_cols))
    positions = np.sort(np.random.choice(num_rows * num_cols, size=nnz, replace=False))
    rows, columns = np.divmod(positions, num_cols)
    data = np.random.uniform(size=nnz).astype(dtype)
    if data_init is not None:
        data.fill(data_init)
    indptr = np.zeros(num_rows + 1, np.int64)
    np.cumsum(np.bincount(rows, minlength=num_rows), out=indptr[1:])

    if shuffle_csr_indices:
        shuffle_csr_column_indices(SimpleNamespace(indptr=indptr, indices=columns))
    return nd.sparse.csr_matrix((data, columns, indptr), shape=(num_rows, num_cols),
                                ctx=ctx, dtype=dtype)


def _powerlaw_csr(num_rows: int, num_cols: int, density: float, dtype: Any,
                  ctx: Context) -> nd.sparse.CSRNDArray:
    """A CSR matrix whose rows hold 1, 2, 4, 8, ... non-zeros (then full rows) until
    density * size values are placed."""
    _validate_csr_generation_inputs(num_rows, num_cols, density, "powerlaw")
    unused = int(num_rows * num_cols * density)
    dense = np.zeros((num_rows, num_cols), dtype=dtype)

    def done() -> nd.sparse.CSRNDArray:
        return nd.sparse.csr_matrix(dense, ctx=ctx, dtype=dtype)

    for row in range(num_rows):  # a first value in every row, so that no row is empty
        dense[row, 0] = 1 + np.random.uniform(0.001, 2)
        unused -= 1
        if unused <= 0:
            return done()
    col_max = 2
    for row in range(num_rows):
        col_limit = min(num_cols, col_max)
        if col_limit == num_cols and unused > col_limit:
            dense[row] = 1 + np.random.uniform(0.001, 2)
            unused = unused - col_limit + 1
            if unused <= 0:
                return done()
            continue
        for col in range(1, col_limit):
            dense[row, col] = 1 + np.random.uniform(0.001, 2)
            unused -= 1
            if unused <= 0:
                return done()
        col_max *= 2
    if unused > 0:
        raise ParamError(f"not supported for this density: {density} for this shape "
                         f"({num_rows},{num_cols})")
    return done()


def rand_sparse_ndarray(shape: Any, stype: str, density: float | None = None,
                        dtype: Any = None, distribution: str | None = None,
                        data_init: float | None = None, rsp_indices: Any = None,
                        modifier_func: Callable | None = None,
                        shuffle_csr_indices: bool = False, ctx: Context | None = None
                        ) -> tuple[Any, tuple]:
    """A random sparse array and its parts: `(csr, (indptr, indices, data))` for 'csr' or
    `(rsp, (values, row_indices))` (NumPy arrays) for 'row_sparse'.

    Each row of a row_sparse array (or each element of a CSR one, distribution 'uniform')
    is stored with probability `density` (random when None); values are uniform in
    [0, 1), or `data_init`. 'powerlaw' (CSR only) stores 1, 2, 4, ... values per row.
    `rsp_indices` chooses the stored rows; `modifier_func` maps each row_sparse value
    (as MXNet, it is not applied to CSR arrays).

    >>> csr, (indptr, indices, data) = mx.test_utils.rand_sparse_ndarray(
    ...     (5, 16), 'csr', density=0.5, distribution='powerlaw')
    >>> np.diff(indptr.asnumpy()).tolist()
    [2, 4, 8, 16, 10]
    """
    ctx = ctx if ctx else default_context()
    density = np.random.rand() if density is None else density
    dtype = default_dtype() if dtype is None else dtype
    distribution = "uniform" if distribution is None else distribution
    shape = _shape(shape)
    if stype == "row_sparse":
        if distribution != "uniform":
            raise ParamError(f"Distribution {distribution} not supported for row_sparse")
        if rsp_indices is not None:
            indices = np.asarray(rsp_indices, dtype=np.int64).reshape(-1)
            if len(indices) > shape[0]:
                raise ParamError(f"rsp_indices: {len(indices)} rows given for an array "
                                 f"of {shape[0]} rows")
        else:
            indices = np.argwhere(np.random.rand(shape[0]) < density).flatten()
        if indices.shape[0] == 0:
            empty = nd.zeros(shape, stype="row_sparse", dtype=dtype, ctx=ctx)
            return empty, (np.array([], dtype=dtype), np.array([]))
        values = np.random.rand(indices.shape[0], *shape[1:]).astype(dtype)
        if data_init is not None:
            values.fill(data_init)
        if modifier_func is not None:
            values = assign_each(values, modifier_func)
        rsp = nd.sparse.row_sparse_array((values, indices), shape=shape, dtype=dtype, ctx=ctx)
        return rsp, (values, indices)
    if stype == "csr":
        if len(shape) != 2:
            raise ShapeError(f"rand_sparse_ndarray: a csr array is 2-D, got shape {shape}")
        if distribution == "uniform":
            csr = _uniform_csr(shape[0], shape[1], density, dtype, data_init,
                               shuffle_csr_indices, ctx)
        elif distribution == "powerlaw":
            csr = _powerlaw_csr(shape[0], shape[1], density, dtype, ctx)
        else:
            raise ParamError(f"Distribution not supported: {distribution}")
        return csr, (csr.indptr, csr.indices, csr.data)
    raise ParamError(f"unknown storage type {stype!r}; use 'csr' or 'row_sparse'")


def rand_ndarray(shape: Any, stype: str = "default", density: float | None = None,
                 dtype: Any = None, modifier_func: Callable | None = None,
                 shuffle_csr_indices: bool = False, distribution: str | None = None,
                 ctx: Context | None = None) -> nd.NDArray:
    """A random NDArray: standard normal for stype 'default', else `rand_sparse_ndarray`'s
    array ('csr' or 'row_sparse').

    >>> mx.test_utils.rand_ndarray((3, 4), 'csr', density=0.0).stype
    'csr'
    """
    ctx = ctx if ctx else default_context()
    if stype == "default":
        return nd.array(random_arrays(shape), dtype=dtype, ctx=ctx)
    arr, _ = rand_sparse_ndarray(shape, stype, density=density, modifier_func=modifier_func,
                                 dtype=dtype, shuffle_csr_indices=shuffle_csr_indices,
                                 distribution=distribution, ctx=ctx)
    return arr  # type: ignore[no-any-return]


def create_sparse_array(shape: Any, stype: str, data_init: float | None = None,
                        rsp_indices: Any = None, dtype: Any = None,
                        modifier_func: Callable | None = None, density: float = .5,
                        shuffle_csr_indices: bool = False) -> nd.NDArray:
    """A random sparse array ('row_sparse' rows `rsp_indices` sorted, or 'csr').

    >>> mx.test_utils.create_sparse_array((4, 2), 'row_sparse', rsp_indices=[3, 1]).indices
    <BLANKLINE>
    [1 3]
    <NDArray 2 @cpu(0)>
    """
    if stype == "row_sparse":
        indices = None if rsp_indices is None else np.sort(np.asarray(rsp_indices))
        arr, _ = rand_sparse_ndarray(shape, stype, density=density, data_init=data_init,
                                     rsp_indices=indices, dtype=dtype,
                                     modifier_func=modifier_func)
    elif stype == "csr":
        arr, _ = rand_sparse_ndarray(shape, stype, density=density, data_init=data_init,
                                     dtype=dtype, modifier_func=modifier_func,
                                     shuffle_csr_indices=shuffle_csr_indices)
    else:
        raise AssertionError("Unknown storage type: " + stype)
    return arr  # type: ignore[no-any-return]


def create_sparse_array_zd(shape: Any, stype: str, density: float,
                           data_init: float | None = None, rsp_indices: Any = None,
                           dtype: Any = None, modifier_func: Callable | None = None,
                           shuffle_csr_indices: bool = False) -> nd.NDArray:
    """`create_sparse_array`, where a row_sparse array stores exactly the rows
    `rsp_indices` (none when None) whatever `density` says.

    >>> mx.test_utils.create_sparse_array_zd((4, 2), 'row_sparse', 0.5).indices.shape
    (0,)
    """
    if stype == "row_sparse":
        density = 0.0
        if rsp_indices is not None and len(rsp_indices) > _shape(shape)[0]:
            raise ParamError(f"rsp_indices: {len(rsp_indices)} rows given for an array "
                             f"of {_shape(shape)[0]} rows")
    return create_sparse_array(shape, stype, data_init=data_init, rsp_indices=rsp_indices,
                               dtype=dtype, modifier_func=modifier_func, density=density,
                               shuffle_csr_indices=shuffle_csr_indices)


# ---- element-wise helpers and large-tensor data ------------------------------------------------


def assign_each(the_input: np.ndarray, function: Callable | None) -> np.ndarray:
    """`function` applied to each element (a float64 array), or a copy when it is None.

    >>> mx.test_utils.assign_each(np.array([1, 2]), lambda v: v * 10)
    array([10., 20.])
    """
    if function is None:
        return np.array(the_input)
    output = np.zeros(the_input.shape)
    for index, value in np.ndenumerate(the_input):
        output[index] = function(value)
    return output


def assign_each2(input1: np.ndarray, input2: np.ndarray, function: Callable | None
                 ) -> np.ndarray:
    """`function` applied to each pair of elements (a float64 array), or a copy of
    `input1` when it is None.

    >>> mx.test_utils.assign_each2(np.array([1, 2]), np.array([3, 4]), lambda a, b: a * b)
    array([3., 8.])
    """
    if function is None:
        return np.array(input1)
    if input1.shape != input2.shape:
        raise ShapeError(f"assign_each2: shapes {input1.shape} and {input2.shape} differ")
    output = np.zeros(input1.shape)
    for index, value in np.ndenumerate(input1):
        output[index] = function(value, input2[index])
    return output


def create_2d_tensor(rows: int, columns: int, dtype: Any = np.int64) -> nd.NDArray:
    """A (rows, columns) NDArray whose row i holds i (for large-tensor tests).

    >>> mx.test_utils.create_2d_tensor(2, 3).asnumpy().tolist()
    [[0, 0, 0], [1, 1, 1]]
    """
    column = nd.arange(0, rows, dtype=dtype).reshape(rows, 1)
    return nd.broadcast_to(column, shape=(rows, columns))  # type: ignore[attr-defined,no-any-return]


def create_vector(size: int, dtype: Any = np.int64) -> nd.NDArray:
    """The NDArray [0, 1, ..., size - 1] (for large-tensor tests).

    >>> mx.test_utils.create_vector(3).asnumpy().tolist()
    [0, 1, 2]
    """
    return nd.arange(0, size, dtype=dtype)


def get_identity_mat(size: int) -> nd.NDArray:
    """The float32 identity matrix of `size` rows.

    >>> mx.test_utils.get_identity_mat(2).asnumpy().tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    return nd.eye(size, dtype=np.float32)


def get_identity_mat_batch(size: int) -> nd.NDArray:
    """A batch of two float32 identity matrices: shape (2, size, size).

    >>> mx.test_utils.get_identity_mat_batch(3).shape
    (2, 3, 3)
    """
    eye = get_identity_mat(size).asnumpy()
    return nd.array(np.stack([eye, eye]))


# ---- comparisons -----------------------------------------------------------------------------


def _numpy(x: Any) -> Any:
    """NDArrays (sparse ones too) as NumPy arrays; everything else as it is."""
    return x.asnumpy() if isinstance(x, nd.NDArray) else x


def np_reduce(dat: np.ndarray, axis: Any, keepdims: bool, numpy_reduce_func: Callable
              ) -> np.ndarray:
    """Reduce `dat` over `axis` (an int, a sequence or None) with a NumPy reduction such as
    `np.sum`, one axis at a time, optionally keeping the reduced axes.

    >>> mx.test_utils.np_reduce(np.ones((2, 3, 4)), (0, 2), True, np.sum).shape
    (1, 3, 1)
    """
    if isinstance(axis, int):
        axes = [axis]
    else:
        axes = list(axis) if axis is not None else list(range(len(dat.shape)))
    result = dat
    for i in sorted(axes, reverse=True):
        result = numpy_reduce_func(result, axis=i)
    if keepdims:
        kept = list(dat.shape)
        for i in axes:
            kept[i] = 1
        result = result.reshape(tuple(kept))
    return result


def same(a: Any, b: Any) -> bool:
    """Whether two arrays have the same shape and elements.

    >>> mx.test_utils.same(np.array([1, 2]), mx.nd.array([1, 2]))
    True
    """
    return bool(np.array_equal(_numpy(a), _numpy(b)))


#: NumPy 2 prints scalars as `np.float32(1.0)`; MXNet's messages were NumPy 1's.
_PRINT_LEGACY: dict[str, Any] = {"legacy": "1.25"} if np.lib.NumpyVersion(
    np.__version__) >= "2.0.0" else {}


def _check_shapes(a: Any, b: Any) -> None:
    if a.shape != b.shape:
        with np.printoptions(**_PRINT_LEGACY):
            message = npt.build_err_msg(
                [a, b], err_msg=f"a.shape = {a.shape} and b.shape = {b.shape} are not equal")
        raise AssertionError(message)


def almost_equal(a: Any, b: Any, rtol: Any = None, atol: Any = None,
                 equal_nan: bool = False, use_broadcast: bool = True) -> bool:
    """Whether |a - b| <= atol + rtol * |b| everywhere (NumPy's `allclose`; float64's
    tolerances by default).

    >>> mx.test_utils.almost_equal(np.ones(2), np.ones(2) + 1e-7)
    True
    """
    if not use_broadcast:
        _check_shapes(a, b)
    a, b = _numpy(a), _numpy(b)
    if isinstance(rtol, dict) or isinstance(atol, dict):
        rtol, atol = get_tols(a, b, rtol, atol)
    return bool(np.allclose(a, b, rtol=get_rtol(rtol), atol=get_atol(atol),
                            equal_nan=equal_nan))


def _find_max_violation(a: np.ndarray, b: np.ndarray, rtol: float, atol: float
                        ) -> tuple[tuple[int, ...], float]:
    """The index of the largest |a - b| / (atol + rtol |b|), and that ratio (infinities equal
    to themselves count as equal, as in `allclose`)."""
    if a.ndim == 0 and b.ndim == 0:  # (NumPy 1, MXNet's, computed scalars in float64)
        a, b = a.astype(np.float64), b.astype(np.float64)
    with np.errstate(invalid="ignore"):
        absdiff = np.where(np.equal(a, b), 0, np.abs(a - b))
        violation = absdiff / (atol + rtol * np.abs(b) + 1e-20)
    index = np.unravel_index(np.argmax(violation), violation.shape)
    return tuple(int(i) for i in index), float(np.max(violation))


def _location(a: np.ndarray, b: np.ndarray, index: tuple[int, ...], names: Sequence[str],
              max_error: bool = False) -> str:
    maximum = "maximum " if max_error else ""
    return (f"Location of {maximum}error: {index}, {names[0]}={a[index]:.8f}, "
            f"{names[1]}={b[index]:.8f}")


def _mismatch_error(a: Any, b: Any, rtol: float, atol: float, names: Sequence[str],
                    equal_nan: bool, mismatches: tuple[int, int]) -> AssertionError:
    """MXNet's report of a failed comparison: the largest violation (location and values),
    the tolerances and the share of mismatching elements. The first `mismatches[0]`
    violations are printed; at most `mismatches[1]` are counted (all when <= 0)."""
    x, y = (np.array(v) for v in np.broadcast_arrays(np.asarray(a), np.asarray(b)))
    index, worst = _find_max_violation(x, y, rtol, atol)
    if index == ():
        message = f"Error {worst:f} exceeds tolerance rtol={rtol:e}, atol={atol:e}.\n"
    else:
        print(f"\n*** Maximum errors for vector of size {x.size}:  rtol={rtol}, atol={atol}\n")
        first, rel, count = index, worst, 1
        while count <= x.size:
            if count <= mismatches[0]:
                print(f"{count:3d}: Error {rel:f}  {_location(x, y, index, names)}")
            x[index] = y[index] = 0
            if almost_equal(x, y, rtol, atol, equal_nan=equal_nan):
                break
            count += 1
            if count > mismatches[1] > 0:
                break
            index, rel = _find_max_violation(x, y, rtol, atol)
        x, y = (np.array(v) for v in np.broadcast_arrays(np.asarray(a), np.asarray(b)))
        degree = "at least " if 0 < mismatches[1] < count else ""
        message = (f"Error {worst:f} exceeds tolerance rtol={rtol:e}, atol={atol:e} (mismatch "
                   f"{degree}{100 * count / x.size:f}%).\n"
                   f"{_location(x, y, first, names, max_error=True)}")
    with np.printoptions(threshold=4, suppress=True, **_PRINT_LEGACY):
        return AssertionError(npt.build_err_msg([a, b], err_msg=message))


def assert_almost_equal(a: Any, b: Any, rtol: Any = None, atol: Any = None,
                        names: Sequence[str] = ("a", "b"), equal_nan: bool = False,
                        use_broadcast: bool = True, mismatches: tuple[int, int] = (10, 10)
                        ) -> None:
    """Raise an AssertionError unless |a - b| <= atol + rtol * |b| everywhere.

    `a` and `b` are NDArrays, NumPy arrays or numbers; tolerances default to the larger of
    their dtypes' (`default_rtols`, `default_atols`), and may be numbers or dicts of dtype
    -> tolerance. The error gives the largest violation's location and values (under
    `names`), the tolerances and the share of mismatching elements. Boolean arrays must be
    equal.

    >>> mx.test_utils.assert_almost_equal(mx.nd.array([1, 2]), np.array([1, 2.0001]))
    """
    if not use_broadcast:
        _check_shapes(a, b)
    rtol, atol = get_tols(a, b, rtol, atol)
    a, b = _numpy(a), _numpy(b)
    if getattr(a, "dtype", None) == np.bool_ and getattr(b, "dtype", None) == np.bool_:
        npt.assert_equal(a, b)
        return
    if almost_equal(a, b, rtol, atol, equal_nan=equal_nan):
        return
    raise _mismatch_error(a, b, rtol, atol, names, equal_nan, mismatches)


def assert_allclose(a: Any, b: Any, rtol: float = 1e-07, atol: float = 0,
                    equal_nan: bool = True) -> None:
    """`assert_almost_equal` with NumPy's `assert_allclose` defaults (rtol 1e-7, atol 0,
    NaN equal to NaN).

    >>> mx.test_utils.assert_allclose(np.array([1.0, np.nan]), np.array([1.0, np.nan]))
    """
    assert_almost_equal(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


def assert_almost_equal_with_err(a: Any, b: Any, rtol: Any = None, atol: Any = None,
                                 etol: float | None = None, names: Sequence[str] = ("a", "b"),
                                 equal_nan: bool = False,
                                 mismatches: tuple[int, int] = (10, 10)) -> None:
    """`assert_almost_equal` that tolerates a fraction `etol` of mismatching elements
    (with etol 0 or None it is `assert_almost_equal`).

    >>> mx.test_utils.assert_almost_equal_with_err(np.array([1., 2, 3, 9]),
    ...                                            np.array([1., 2, 3, 4]), etol=0.3)
    """
    etol = get_etol(etol)
    if etol <= 0:
        assert_almost_equal(a, b, rtol=rtol, atol=atol, names=names, equal_nan=equal_nan,
                            mismatches=mismatches)
        return
    rtol, atol = get_tols(a, b, rtol, atol)
    a, b = _numpy(a), _numpy(b)
    close = np.isclose(a, b, rtol=rtol, atol=atol)
    if 1 - np.count_nonzero(close) / close.size > etol:
        raise _mismatch_error(a, b, rtol, atol, names, equal_nan, mismatches)


def assert_almost_equal_ignore_nan(a: Any, b: Any, rtol: Any = None, atol: Any = None,
                                   names: Sequence[str] = ("a", "b")) -> None:
    """`assert_almost_equal` over the elements where neither array is NaN.

    >>> mx.test_utils.assert_almost_equal_ignore_nan(np.array([1.0, np.nan]),
    ...                                              np.array([1.0, 5.0]))
    """
    a, b = np.copy(_numpy(a)), np.copy(_numpy(b))
    nan = np.logical_or(np.isnan(a), np.isnan(b))
    a[nan] = 0
    b[nan] = 0
    assert_almost_equal(a, b, rtol, atol, names)


def assert_exception(f: Callable, exception_type: type[BaseException] | tuple,
                     *args: Any, **kwargs: Any) -> None:
    """Raise an AssertionError unless `f(*args, **kwargs)` raises `exception_type` (any
    other exception passes through).

    >>> mx.test_utils.assert_exception(int, ValueError, 'x')
    """
    try:
        f(*args, **kwargs)
    except exception_type:
        return
    raise AssertionError(f"{getattr(f, '__name__', f)!s} did not raise "
                         f"{getattr(exception_type, '__name__', exception_type)!s}")


def compare_ndarray_tuple(t1: Any, t2: Any, rtol: Any = None, atol: Any = None) -> None:
    """`assert_almost_equal` over nested tuples of arrays (nothing to do if either is None).

    >>> mx.test_utils.compare_ndarray_tuple((mx.nd.ones(2), (np.zeros(1),)),
    ...                                     (np.ones(2), (np.zeros(1),)))
    """
    if t1 is None or t2 is None:
        return
    if isinstance(t1, tuple):
        for s1, s2 in zip(t1, t2):
            compare_ndarray_tuple(s1, s2, rtol, atol)
    else:
        assert_almost_equal(t1, t2, rtol=rtol, atol=atol)


def compare_optimizer(opt1: Any, opt2: Any, shape: Any, dtype: Any, w_stype: str = "default",
                      g_stype: str = "default", rtol: float = 1e-4, atol: float = 1e-5,
                      compare_states: bool = True, ntensors: int = 1) -> None:
    """Run one update of `opt1` and of `opt2` on the same random weight and gradient (one
    shape), or of `opt1` per tensor against one multi-tensor update of `opt2` (a list of
    `ntensors` shapes), and assert the weights and states agree.

    >>> compare_optimizer(reference_sgd, mx.optimizer.SGD(), (3, 4), 'float32')  # doctest: +SKIP
    """
    def draw(s: Any, stype: str, density: float | None) -> Any:
        if stype == "default":
            return nd.random.uniform(shape=s, dtype=dtype)
        if stype in ("row_sparse", "csr"):
            return rand_ndarray(s, stype, density=density, dtype=dtype)
        raise ParamError(f"compare_optimizer: storage type {stype!r} is not supported")

    def dense(a: Any) -> Any:
        return a.tostype("default") if getattr(a, "stype", "default") != "default" else a

    if not isinstance(shape, list):
        if ntensors != 1:
            raise ParamError("compare_optimizer: several tensors need a list of shapes")
        # (a sparse weight stores every row; a sparse gradient a random part, as in MXNet,
        # so that lazy updates, which skip the rows it lacks, are compared too)
        w2, g2 = draw(shape, w_stype, 1), draw(shape, g_stype, None)
        w1, g1 = dense(w2).copy(), dense(g2).copy()
        state1 = opt1.create_state_multi_precision(0, w1)
        state2 = opt2.create_state_multi_precision(0, w2)
        if compare_states:
            compare_ndarray_tuple(state1, state2)
        opt1.update_multi_precision(0, w1, g1, state1)
        opt2.update_multi_precision(0, w2, g2, state2)
        if compare_states:
            compare_ndarray_tuple(state1, state2, rtol=rtol, atol=atol)
        assert_almost_equal(w1, w2, rtol=rtol, atol=atol)
        return
    w1 = [nd.random.uniform(shape=s, dtype=dtype) for s in shape]
    g1 = [nd.random.uniform(shape=s, dtype=dtype) for s in shape]
    w2, g2 = [w.copy() for w in w1], [g.copy() for g in g1]
    states2 = [opt2.create_state_multi_precision(0, w2[k]) for k in range(ntensors)]
    opt2.update_multi_precision(list(range(ntensors)), w2, g2, states2)
    for k in range(ntensors):
        state1 = opt1.create_state_multi_precision(k, w1[k])
        opt1.update_multi_precision(k, w1[k], g1[k], state1)
        if compare_states:
            compare_ndarray_tuple(state1, states2[k], rtol, atol)
        compare_ndarray_tuple(w1[k], w2[k], rtol, atol)


def same_array(array1: nd.NDArray, array2: nd.NDArray) -> bool:
    """Whether two NDArrays share their memory (`array1` is changed and changed back).

    >>> x = mx.nd.ones((2,))
    >>> mx.test_utils.same_array(x, x[:]), mx.test_utils.same_array(x, x.copy())
    (True, False)
    """
    array1[:] += 1
    if not same(array1.asnumpy(), array2.asnumpy()):
        array1[:] -= 1
        return False
    array1[:] -= 1
    return same(array1.asnumpy(), array2.asnumpy())


def collapse_sum_like(a: np.ndarray, shape: Sequence[int]) -> np.ndarray:
    """`a` summed over the axes that `shape` lacks or has as 1, so that the result has
    `shape` (the gradient of broadcasting `shape` to `a.shape`).

    >>> mx.test_utils.collapse_sum_like(np.ones((2, 3, 4)), (3, 1)).tolist()
    [[8.0], [8.0], [8.0]]
    """
    shape = tuple(shape)
    if len(a.shape) < len(shape):
        raise ShapeError(f"collapse_sum_like: shape {shape} has more axes than "
                         f"{a.shape}")
    if np.prod(shape) == 0 or a.size == 0:
        return np.zeros(shape, dtype=a.dtype)
    lead = len(a.shape) - len(shape)
    axes = list(range(lead))
    for i, s in enumerate(shape):
        if s != a.shape[i + lead]:
            if s != 1:
                raise ShapeError(f"collapse_sum_like: shape {shape} does not broadcast "
                                 f"to {a.shape}")
            axes.append(i + lead)
    return np.sum(a, axis=tuple(axes)).reshape(shape)


# ---- test control ----------------------------------------------------------------------------


def retry(n: int) -> Callable[[Callable], Callable]:
    """Decorator: run a stochastic test up to `n` times, until it raises no AssertionError.

    >>> @mx.test_utils.retry(3)
    ... def test_draw(): assert np.random.rand() < 2
    >>> test_draw()
    """
    if n <= 0:
        raise ParamError(f"retry: n must be positive, got {n}")

    def decorate(f: Callable) -> Callable:
        @wraps(f)
        def wrapper(*args: Any, **kwargs: Any) -> None:
            for i in range(n):
                try:
                    f(*args, **kwargs)
                    return
                except AssertionError:
                    if i == n - 1:
                        raise
                    nd.waitall()
        return wrapper
    return decorate


class _EnvironmentScope(ContextDecorator):
    """Sets environment variables on entry and restores them on exit (see `environment`)."""

    def __init__(self, env_vars: dict[str, str | None]):
        self.env_vars = env_vars
        self._saved: list[dict[str, str | None]] = []

    @staticmethod
    def _set(env_vars: dict[str, str | None]) -> None:
        for name, value in env_vars.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    def __enter__(self) -> _EnvironmentScope:
        self._saved.append({name: os.environ.get(name) for name in self.env_vars})
        self._set(self.env_vars)
        return self

    def __exit__(self, *exc: Any) -> None:
        nd.waitall()  # (work in flight may still read the variables)
        self._set(self._saved.pop())


def environment(*args: Any) -> _EnvironmentScope:
    """Set environment variables for a `with` block or a decorated function, and restore
    them afterwards (also after an exception): `environment(name, value)` or
    `environment({name: value, ...})`; a value None unsets the variable.

    >>> with mx.test_utils.environment('MXNET_TEST_FLAG', '1'):
    ...     os.environ['MXNET_TEST_FLAG']
    '1'
    """
    if len(args) == 1 and isinstance(args[0], dict):
        return _EnvironmentScope(dict(args[0]))
    if len(args) != 2:
        raise ArgumentError("Expecting one dict arg or two args: env var name and value")
    return _EnvironmentScope({args[0]: args[1]})


def is_cd_run() -> bool:
    """Whether the tests run as part of a continuous-delivery job (CD_JOB=1).

    >>> mx.test_utils.is_cd_run() in (True, False)
    True
    """
    return os.environ.get("CD_JOB", 0) == "1"


def list_gpus() -> range:
    """The ids of the GPUs this machine offers: range(number of GPUs).

    >>> len(mx.test_utils.list_gpus()) == mx.context.num_gpus()
    True
    """
    return range(num_gpus())


@contextmanager
def discard_stderr() -> Iterator[None]:
    """Discard what is written to the standard error (file descriptor 2, so output of
    compiled code too) inside the block.

    >>> with mx.test_utils.discard_stderr():
    ...     print('lost', file=sys.stderr)
    """
    fileno: int | None
    try:
        fileno = sys.stderr.fileno()
    except (AttributeError, io.UnsupportedOperation):
        fileno = None  # (a stream without a descriptor: nothing to redirect)
    if fileno is None:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fileno)
    try:
        with open(os.devnull, "w") as bit_bucket:
            os.dup2(bit_bucket.fileno(), fileno)
            try:
                yield
            finally:
                sys.stderr.flush()
                os.dup2(saved, fileno)
    finally:
        os.close(saved)


# ---- numerical gradients ---------------------------------------------------------------------


def _argument_names(sym: Callable, count: int) -> list[str]:
    """Names for `count` positional arguments of `sym`: its parameters' (argN beyond)."""
    try:
        params = inspect.signature(sym).parameters.values()
    except (TypeError, ValueError):
        params = []  # type: ignore[assignment]
    names = [p.name for p in params
             if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)][:count]
    return names + [f"arg{i}" for i in range(len(names), count)]


def _grad_requests(grad_nodes: Any, names: list[str], float_names: list[str]
                   ) -> dict[str, str]:
    if grad_nodes is None:
        requests = {name: "write" for name in float_names}
    elif isinstance(grad_nodes, (list, tuple)):
        requests = {names[g] if isinstance(g, int) else g: "write" for g in grad_nodes}
    elif isinstance(grad_nodes, dict):
        requests = dict(grad_nodes)
    else:
        raise ParamError("check_numeric_gradient: grad_nodes must be None, a list of "
                         f"argument names or a dict name -> grad_req, got "
                         f"{type(grad_nodes).__name__}")
    for name, req in requests.items():
        if name not in names:
            raise ParamError(f"check_numeric_gradient: grad_nodes names {name!r}, not "
                             f"an argument; the arguments are {names}")
        if req not in ("write", "add", "null"):
            raise ParamError(f"Invalid grad_req {req} for argument {name}")
    return requests


def _outputs(result: Any) -> list[nd.NDArray]:
    outputs = list(result) if isinstance(result, (list, tuple)) else [result]
    if not outputs or not all(isinstance(o, nd.NDArray) for o in outputs):
        raise ArgumentError("check_numeric_gradient: the function must return an "
                            "NDArray or a list of NDArrays, got "
                            f"{type(result).__name__}")
    return outputs


class _GradientProblem:
    """A function and the point it is differentiated at: its arguments as NumPy values
    with their storage types, and its auxiliary arguments (fresh arrays for every call)."""

    def __init__(self, sym: Callable, location: Any, aux_states: Any,
                 ctx: Context, dtype: np.dtype):
        self.sym, self.ctx = sym, ctx

        def as_array(v: Any) -> nd.NDArray:
            if isinstance(v, nd.NDArray):
                return v.as_in_context(ctx)
            return nd.array(v, ctx=ctx, dtype=dtype)

        self.by_name = isinstance(location, dict)
        if isinstance(location, dict):
            self.names, arrays = list(location), [as_array(v) for v in location.values()]
        else:
            self.names = _argument_names(sym, len(location))
            arrays = [as_array(v) for v in location]
        self.values = {n: a.asnumpy() for n, a in zip(self.names, arrays)}
        self.stypes = {n: a.stype for n, a in zip(self.names, arrays)}
        aux = aux_states if isinstance(aux_states, dict) else dict(enumerate(aux_states or ()))
        self.aux = {k: (a.asnumpy(), a.stype) for k, a in
                    ((k, as_array(v)) for k, v in aux.items())}

    def array(self, value: np.ndarray, stype: str) -> nd.NDArray:
        a = nd.array(value, ctx=self.ctx, dtype=value.dtype)
        return a if stype == "default" else a.tostype(stype)  # type: ignore[attr-defined]

    def arrays(self, values: dict[str, np.ndarray]) -> dict[str, nd.NDArray]:
        return {n: self.array(values[n], self.stypes[n]) for n in self.names}

    def __call__(self, inputs: dict[str, nd.NDArray]) -> list[nd.NDArray]:
        aux = {k: self.array(*v) for k, v in self.aux.items()}
        positional = [] if self.by_name else [inputs[n] for n in self.names]
        keywords = dict(inputs) if self.by_name else {}
        positional += [a for k, a in aux.items() if isinstance(k, int)]
        keywords.update({k: a for k, a in aux.items() if isinstance(k, str)})
        return _outputs(self.sym(*positional, **keywords))


def _numeric_gradient(problem: _GradientProblem, name: str, projections: list[np.ndarray],
                      eps: float, use_forward_train: bool, dtype: np.dtype) -> np.ndarray:
    """d sum(projection * f) / d argument `name` by central differences, element by element
    (the argument is perturbed in its own dtype, the sums are taken in float64)."""
    def projected(point: dict[str, np.ndarray]) -> float:
        with autograd.pause(train_mode=use_forward_train):
            outputs = problem(problem.arrays(point))
        return sum(float(np.sum(p * o.asnumpy().astype(np.float64)))
                   for p, o in zip(projections, outputs))

    point = {n: np.array(v, order="C") for n, v in problem.values.items()}
    flat = point[name].reshape(-1)
    numeric = np.zeros(flat.size, dtype=dtype)
    for i in range(flat.size if flat.dtype.kind == "f" else 0):
        old = flat[i]
        flat[i] += eps / 2.0
        f_plus = projected(point)
        flat[i] -= eps
        f_minus = projected(point)
        flat[i] = old
        numeric[i] = (f_plus - f_minus) / eps
    return numeric.reshape(point[name].shape)


def numeric_grad(executor: Any, location: dict[str, np.ndarray], aux_states: Any = None,
                 eps: float = 1e-4, use_forward_train: bool = True,
                 dtype: Any = np.float32) -> dict[str, np.ndarray]:
    """The gradient of the sum of a bound executor's first output with respect to each
    float argument in `location` (name -> NumPy array), by central differences of `eps`;
    the executor's arguments are left at `location`'s values.

    >>> ex = (mx.sym.var('x') ** 2).simple_bind(mx.cpu(), x=(2,))  # doctest: +SKIP
    >>> mx.test_utils.numeric_grad(ex, {'x': np.array([1., 2.])})['x']  # doctest: +SKIP
    array([2., 4.], dtype=float32)
    """
    if np.dtype(dtype) not in (np.float16, np.float32, np.float64):
        raise DTypeError(f"numeric_grad: dtype must be float16, float32 or float64, got {dtype}")
    point = {k: np.array(v, order="C") for k, v in location.items()}
    for k, v in point.items():
        executor.arg_dict[k][:] = v.astype(dtype)
    aux = dict(aux_states or {})

    def first_output() -> np.ndarray:
        for key, value in aux.items():
            executor.aux_dict[key][:] = value
        executor.forward(is_train=use_forward_train)
        return np.asarray(executor.outputs[0].asnumpy())

    grads = {k: np.zeros(v.shape, dtype=dtype) for k, v in point.items()}
    for k, v in point.items():
        flat = v.reshape(-1)
        for i in range(flat.size if v.dtype.kind == "f" else 0):
            old = flat[i]
            flat[i] = old + eps / 2.0
            executor.arg_dict[k][:] = v.astype(dtype)
            f_plus = first_output()
            flat[i] = old - eps / 2.0
            executor.arg_dict[k][:] = v.astype(dtype)
            f_minus = first_output()
            flat[i] = old
            grads[k].reshape(-1)[i] = (f_plus - f_minus).sum() / eps
        executor.arg_dict[k][:] = v.astype(dtype)
    return grads


def check_numeric_gradient(sym: Callable, location: Any, aux_states: Any = None,
                           numeric_eps: Any = None, rtol: Any = None, atol: Any = None,
                           grad_nodes: Any = None, use_forward_train: bool = True,
                           ctx: Context | None = None, grad_stype_dict: Any = None,
                           dtype: Any = np.float32) -> None:
    """Check the gradients autograd gives `sym` against central finite differences.

    `sym` is an `mx.sym.Symbol` or a Python function of NDArrays returning an NDArray or a
    list of them. `location` holds its arguments: a list (in order: a symbol's
    `list_arguments()`) or a dict (by name) of NumPy arrays (made NDArrays of `dtype` on
    `ctx`) or NDArrays. `aux_states` are further arguments (a symbol's auxiliary states),
    passed the same way, neither differentiated nor perturbed, and fresh for each call.

    As in MXNet, each output is weighed by a random projection (uniform in [0.1, 1.1)):
    autograd's gradient (recorded in training mode, `backward` with the projections as
    head gradients) must match (f(x + eps/2) - f(x - eps/2)) / eps of the weighed sum, per
    element, with `eps` = `numeric_eps` (by default `default_numeric_eps()` of the output
    dtype), evaluated in training mode when `use_forward_train`. `grad_nodes` chooses the
    arguments checked: names (or positions), or a dict name -> grad_req ('write', 'add':
    the gradient adds to a random initial one, 'null': it leaves it alone); by default
    every float argument. `grad_stype_dict` (name -> storage type) is passed to
    `attach_grad`. The failure is `assert_almost_equal`'s, naming NUMERICAL_x and
    BACKWARD_x, with `rtol`/`atol` defaulting to the dtype's tolerances.

    >>> x = np.random.rand(3, 4)
    >>> mx.test_utils.check_numeric_gradient(lambda a: mx.nd.tanh(a) * a, [x])
    """
    is_symbol = False
    if isinstance(sym, Symbol):
        is_symbol = True
        location = _by_name(sym.list_arguments(), location, "arguments", "location")
        if aux_states is not None:
            aux_states = _by_name(sym.list_auxiliary_states(), aux_states, "aux_states",
                                  "aux_states")
        sym = _symbol_function(sym)
    elif not callable(sym):
        raise ArgumentError("check_numeric_gradient: sym must be an mx.sym.Symbol or a "
                            f"Python function of NDArrays, got {type(sym).__name__}")
    d = _gradient_dtype(dtype)
    if not isinstance(location, (list, tuple, dict)):
        raise ArgumentError("check_numeric_gradient: location must be a list, tuple or "
                            f"dict of arrays, got {type(location).__name__}")
    if grad_stype_dict is not None and not isinstance(grad_stype_dict, dict):
        raise ArgumentError("grad_stype_dict must be a dict")
    problem = _GradientProblem(sym, location, aux_states, ctx or default_context(), d)
    requests = _grad_requests(grad_nodes, problem.names,
                              [n for n, v in problem.values.items() if v.dtype.kind == "f"])

    inputs = problem.arrays(problem.values)
    initial = {}
    for name, req in requests.items():
        if is_symbol and inputs[name].stype != "default":
            # (autograd's variables are dense; a bound symbol reads dense arrays as well)
            inputs[name] = nd.array(inputs[name].asnumpy(), ctx=inputs[name].context,
                                    dtype=inputs[name].dtype)
        inputs[name].attach_grad(req, stype=(grad_stype_dict or {}).get(name))
        if req != "write":
            inputs[name].grad[:] = np.random.normal(0, 0.01, size=inputs[name].shape)
        initial[name] = inputs[name].grad.asnumpy()
    with autograd.record(train_mode=True):
        outputs = problem(inputs)
    eps = get_tolerance(outputs[0], numeric_eps, default_numeric_eps())
    if d in (np.float16, np.float32) and eps < 1e-5:
        raise ParamError(f"check_numeric_gradient: numeric_eps={eps} is too small for "
                         f"{d} finite differences (at least 1e-5)")
    projections = [np.random.rand(*o.shape) + 0.1 for o in outputs]
    if any(req != "null" for req in requests.values()):
        autograd.backward(outputs, head_grads=[
            nd.array(p, ctx=o.context, dtype=o.dtype) for p, o in zip(projections, outputs)])

    for name, req in requests.items():
        numeric = _numeric_gradient(problem, name, projections, eps, use_forward_train, d)
        got = inputs[name].grad.asnumpy()
        labels = (f"NUMERICAL_{name}", f"BACKWARD_{name}")
        if req == "write":
            assert_almost_equal(numeric, got, rtol, atol, labels)
        elif req == "add":
            assert_almost_equal(numeric, got - initial[name], rtol, atol, labels)
        else:
            assert_almost_equal(initial[name], got, rtol, atol, labels)


def _by_name(names: list[str], values: Any, what: str, label: str) -> dict[str, Any]:
    """A symbol's `what` (arguments, aux_states) given as a list in order or a dict by name,
    as a dict; every one must be given."""
    if isinstance(values, dict):
        if set(values) != set(names):
            raise ParamError(f"Symbol {what} and keys of the given {label} do not match. "
                             f"symbol {what}: {sorted(names)}, {label} keys: {sorted(values)}")
        return {n: values[n] for n in names}
    if not isinstance(values, (list, tuple)) or len(values) != len(names):
        raise ParamError(f"{label} must give the symbol's {len(names)} {what} {names} as a "
                         f"list or a dict, got {type(values).__name__}"
                         + (f" of {len(values)}" if isinstance(values, (list, tuple)) else ""))
    return dict(zip(names, values))


def _symbol_function(sym: Symbol) -> Callable[..., list[nd.NDArray]]:
    """A symbol as a Python function of its arguments and auxiliary states by name, run in
    training mode when autograd is (bound to the arrays themselves: the tape sees them)."""
    aux_names = set(sym.list_auxiliary_states())

    def run(**arrays: nd.NDArray) -> list[nd.NDArray]:
        args = {k: v for k, v in arrays.items() if k not in aux_names}
        aux = {k: v for k, v in arrays.items() if k in aux_names}
        exe = sym.bind(next(iter(args.values())).context, args, grad_req="null",
                       aux_states=aux or None)
        return list(exe.forward(is_train=autograd.is_training()))

    return run


def _as_nd(value: Any, ctx: Context, dtype: Any) -> Any:
    """A NumPy value as an NDArray of `dtype` ('asnumpy': its own); anything else as is."""
    if not isinstance(value, np.ndarray):
        return value
    return nd.array(value, ctx=ctx, dtype=value.dtype if dtype == "asnumpy" else dtype)


def _symbol_inputs(sym: Symbol, location: Any, aux_states: Any, ctx: Context, dtype: Any
                   ) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """A symbol's arguments and auxiliary states (None: not given) as NDArrays by name."""
    args = {n: _as_nd(v, ctx, dtype) for n, v in
            _by_name(sym.list_arguments(), location, "arguments", "location").items()}
    if aux_states is None:
        return args, None
    aux = _by_name(sym.list_auxiliary_states(), aux_states, "aux_states", "aux_states")
    return args, {n: _as_nd(v, ctx, dtype) for n, v in aux.items()}


def simple_forward(sym: Symbol, ctx: Context | None = None, is_train: bool = False,
                   **inputs: Any) -> Any:
    """The outputs (NumPy arrays; one output: the array itself) of `sym` bound to `inputs`.

    >>> mx.test_utils.simple_forward(mx.sym.var('x') * 2, x=np.ones(2))
    array([2., 2.], dtype=float32)
    """
    ctx = ctx or default_context()
    exe = sym.bind(ctx, args={k: nd.array(v, ctx=ctx) for k, v in inputs.items()})
    exe.forward(is_train=is_train)
    outputs = [o.asnumpy() for o in exe.outputs]
    return outputs[0] if len(outputs) == 1 else outputs


def check_symbolic_forward(sym: Symbol, location: Any, expected: Any, rtol: Any = None,
                           atol: Any = None, aux_states: Any = None,
                           ctx: Context | None = None, equal_nan: bool = False,
                           dtype: Any = np.float32) -> list[nd.NDArray]:
    """Bind `sym` at `location` (its arguments: a list in `list_arguments()` order or a
    dict by name; NumPy arrays become NDArrays of `dtype`, 'asnumpy' keeps theirs), run it
    in inference mode, and compare each output with `expected` (a list, or a dict by output
    name); the outputs are returned.

    >>> mx.test_utils.check_symbolic_forward(mx.sym.var('x') * 2, [np.ones(2)], [[2, 2]])
    [
    [2. 2.]
    <NDArray 2 @cpu(0)>]
    """
    ctx = ctx or default_context()
    args, aux = _symbol_inputs(sym, location, aux_states, ctx, dtype)
    if isinstance(expected, dict):
        expected = [expected[k] for k in sym.list_outputs()]
    exe = sym.bind(ctx, args=args, grad_req="null", aux_states=aux)
    exe.forward(is_train=False)
    for name, want, got in zip(sym.list_outputs(), expected, exe.outputs):
        assert_almost_equal(np.asarray(want), got, rtol, atol,
                            (f"EXPECTED_{name}", f"FORWARD_{name}"), equal_nan=equal_nan)
    return list(exe.outputs)


def check_symbolic_backward(sym: Symbol, location: Any, out_grads: Any, expected: Any,
                            rtol: Any = None, atol: Any = None, aux_states: Any = None,
                            grad_req: Any = "write", ctx: Context | None = None,
                            grad_stypes: dict[str, str] | None = None,
                            equal_nan: bool = False, dtype: Any = np.float32) -> dict[str, Any]:
    """Bind `sym` at `location` (as `check_symbolic_forward`), run it in training mode and
    backward with `out_grads` (a list, a dict by output name, or None), and compare the
    gradients with `expected` (a list in argument order or a dict by name). With
    grad_req 'add' the gradient buffers start from random values, which are subtracted
    before comparing; 'null' arguments are not compared. The gradients are returned.

    >>> mx.test_utils.check_symbolic_backward(mx.sym.var('x') * 2, [np.ones(2)],
    ...                                       [np.ones(2)], [[2, 2]])  # doctest: +SKIP
    """
    ctx = ctx or default_context()
    names = sym.list_arguments()
    args, aux = _symbol_inputs(sym, location, aux_states, ctx, dtype)
    if isinstance(expected, (list, tuple)):
        expected = dict(zip(names, expected))
    if isinstance(grad_req, str):
        grad_req = {n: grad_req for n in names}
    elif isinstance(grad_req, (list, tuple)):
        grad_req = dict(zip(names, grad_req))
    # (buffers dirtied deterministically, in name order, as MXNet does)
    initial = {k: np.random.normal(size=np.shape(expected[k])) for k in sorted(expected)}
    grads: dict[str, Any] = {}
    for k, v in initial.items():
        stype = (grad_stypes or {}).get(k)
        if stype in (None, "default"):
            own = np.asarray(expected[k]).dtype
            grads[k] = nd.array(v, ctx=ctx, dtype=own if dtype == "asnumpy" else dtype)
        else:
            grads[k] = nd.zeros(v.shape, ctx=ctx, stype=stype)
        initial[k] = grads[k].asnumpy()
    exe = sym.bind(ctx, args=args, args_grad=grads, grad_req=grad_req, aux_states=aux)
    exe.forward(is_train=True)
    if isinstance(out_grads, dict):
        out_grads = [out_grads[k] for k in sym.list_outputs()]
    if out_grads is not None:
        out_grads = [_as_nd(g, ctx, dtype) for g in out_grads]
    exe.backward(out_grads)
    for name in expected:
        labels = (f"EXPECTED_{name}", f"BACKWARD_{name}")
        got = grads[name].asnumpy()
        want = np.asarray(expected[name])
        if grad_req[name] == "write":
            assert_almost_equal(want, got, rtol, atol, labels, equal_nan=equal_nan)
        elif grad_req[name] == "add":
            assert_almost_equal(want, got - initial[name], rtol, atol, labels,
                                equal_nan=equal_nan)
    return grads


def check_consistency(sym: Any, ctx_list: list[dict[str, Any]], scale: float = 1.0,
                      grad_req: Any = "write", arg_params: dict[str, Any] | None = None,
                      aux_params: dict[str, Any] | None = None, rtol: Any = None,
                      atol: Any = None, raise_on_err: bool = True, ground_truth: Any = None,
                      equal_nan: bool = False, use_uniform: bool = False,
                      rand_type: Any = np.float64) -> dict[str, Any]:
    """Run `sym` (or one symbol per entry) under each entry of `ctx_list` (`simple_bind`'s
    keywords: 'ctx', the input shapes, 'type_dict') from the same random arguments (normal
    with `scale`, or uniform in +-0.92 `scale`; `arg_params`/`aux_params` give some), and
    check that outputs (inference mode) and gradients (training mode, backward with the
    first run's outputs as head gradients, in the least precise dtype) agree with the most
    precise run, within tolerances by dtype. The most precise run's outputs and gradients
    (or `ground_truth`) are returned.

    >>> ctx_list = [{'ctx': mx.cpu(), 'x': (2, 3), 'type_dict': {'x': t}}
    ...             for t in (np.float64, np.float32)]
    >>> _ = mx.test_utils.check_consistency(mx.sym.tanh(mx.sym.var('x')), ctx_list)
    """
    if len(ctx_list) < 2:
        raise ArgumentError("check_consistency: ctx_list needs at least two entries")
    symbols = [sym] * len(ctx_list) if isinstance(sym, Symbol) else list(sym)
    if len(symbols) != len(ctx_list):
        raise ArgumentError("check_consistency: give one symbol, or one per ctx_list entry")
    output_names, arg_names = symbols[0].list_outputs(), symbols[0].list_arguments()
    exes = []
    for s, spec in zip(symbols, ctx_list):
        if s.list_arguments() != arg_names or s.list_outputs() != output_names:
            raise ArgumentError("check_consistency: the symbols differ in their arguments or "
                                "outputs")
        exes.append(s.simple_bind(grad_req=grad_req, **spec))
    arg_params = dict(arg_params or {})
    aux_params = dict(aux_params or {})
    for name in sorted(exes[0].arg_dict):
        if name not in arg_params:
            shape = exes[0].arg_dict[name].shape
            arg_params[name] = (np.random.uniform(-0.92 * scale, 0.92 * scale, size=shape)
                                if use_uniform else np.random.normal(size=shape, scale=scale)
                                ).astype(rand_type)
    for name in exes[0].aux_dict:
        aux_params.setdefault(name, 0)
    for exe in exes:
        for name, arr in exe.arg_dict.items():
            arr[:] = arg_params[name]
        for name, arr in exe.aux_dict.items():
            arr[:] = aux_params[name]
        if grad_req == "add":
            for arr in exe.grad_arrays:
                if arr is not None:
                    arr[:] = 0

    def compare(got: Any, want: Any, what: str, i: int, tols: tuple[Any, Any]) -> None:
        try:
            assert_almost_equal(got, want, tols[0], tols[1], equal_nan=equal_nan)
        except AssertionError as e:
            if raise_on_err:
                raise AssertionError(f"{what}: run {i} against run {best}: {e}") from None
            print(f"{what} error: run {i} against run {best}: {e}")

    for exe in exes:
        exe.forward(is_train=False)
    dtypes = [np.dtype(exe.outputs[0].dtype) for exe in exes]
    best = int(np.argmax([d.itemsize for d in dtypes]))  # (the first most precise run)
    truth = ground_truth
    if truth is None:
        truth = {n: o.copy() for n, o in exes[best].output_dict.items()}
    for i, exe in enumerate(exes):
        if i != best:
            for name, out in zip(output_names, exe.outputs):
                compare(out, truth[name], f"predict {name}", i, (rtol, atol))
    if grad_req == "null":
        return truth  # type: ignore[no-any-return]
    for exe in exes:
        exe.forward(is_train=True)
    least = [min((exe.outputs[k].dtype for exe in exes), key=lambda d: np.dtype(d).itemsize)
             for k in range(len(output_names))]
    heads = [o.asnumpy().astype(d) for o, d in zip(exes[0].outputs, least)]
    for exe in exes:
        exe.backward([nd.array(h, ctx=o.context, dtype=o.dtype)
                      for h, o in zip(heads, exe.outputs)])
    if ground_truth is None:  # (the training pass's outputs, then the gradients)
        truth.update({n: o.copy() for n, o in exes[best].output_dict.items()})
        truth.update({n: None if g is None else g.copy()
                      for n, g in exes[best].grad_dict.items()})
    for i, exe in enumerate(exes):
        if i == best:
            continue
        for name, arr in zip(output_names + arg_names, list(exe.outputs) + exe.grad_arrays):
            if truth.get(name) is None or arr is None:
                continue
            # (a float32 gradient of a float16 run, BatchNorm's gamma, is compared at the
            # tolerance of the run's dtype)
            low = min((np.dtype(arr.dtype), dtypes[i]), key=lambda d: d.itemsize)
            tols = (rtol, atol) if low == np.dtype(arr.dtype) else get_tols(
                arr.astype(low), truth[name].astype(low), rtol, atol)
            compare(arr, truth[name], f"train {name}", i, tols)
    return truth  # type: ignore[no-any-return]


def check_speed(sym: Symbol, location: dict[str, np.ndarray] | None = None,
                ctx: Context | None = None, N: int = 20, grad_req: Any = None,  # noqa: N803
                typ: str = "whole", **kwargs: Any) -> float:
    """Seconds per run of a bound symbol: forward and backward (`typ` 'whole') or
    forward alone ('forward'), averaged over N runs after one warm-up. Inputs come from
    `location` {name: array}, or normal noise for the shapes in `kwargs`.

    >>> t = check_speed(mx.sym.relu(mx.sym.var('x')), N=2, x=(4, 4))
    >>> t > 0
    True
    """
    if typ not in ("whole", "forward"):
        raise ParamError('typ can only be "whole" or "forward".')
    ctx = ctx or default_context()
    grad_req = grad_req or "write"
    if location is None:
        exe = sym.simple_bind(ctx=ctx, grad_req=grad_req, **kwargs)
        location = {k: np.random.normal(size=a.shape, scale=1.0)
                    for k, a in exe.arg_dict.items()}
    else:
        if not isinstance(location, dict):
            raise ArgumentError(f'Expect dict, get "location"={location}')
        exe = sym.simple_bind(ctx=ctx, grad_req=grad_req,
                              **{k: v.shape for k, v in location.items()})
    for name, value in location.items():
        exe.arg_dict[name][:] = value.astype(exe.arg_dict[name].dtype)
    train = typ == "whole"

    def run() -> None:
        exe.forward(is_train=train)
        if train:
            exe.backward(out_grads=exe.outputs)

    run()
    nd.waitall()
    start = time.perf_counter()
    for _ in range(N):
        run()
    nd.waitall()
    return (time.perf_counter() - start) / N


def same_symbol_structure(sym1: Symbol, sym2: Symbol) -> bool:
    """Whether the two graphs' nodes, in order, run the same operators (MXNet's check:
    names and attributes may differ; the shorter graph is compared as far as it goes).

    >>> a, b = mx.sym.var('a'), mx.sym.var('b')
    >>> same_symbol_structure(mx.sym.relu(a), mx.sym.relu(b)), same_symbol_structure(
    ...     mx.sym.relu(a), mx.sym.sigmoid(a))
    (True, False)
    """
    nodes1 = json.loads(sym1.tojson())["nodes"]
    nodes2 = json.loads(sym2.tojson())["nodes"]
    return all(n1["op"] == n2["op"] for n1, n2 in zip(nodes1, nodes2))


def is_aarch64_run() -> bool:
    """Whether this runs on an aarch64 machine.

    >>> is_aarch64_run() in (True, False)
    True
    """
    return platform.machine() == "aarch64"


def _gradient_dtype(dtype: Any) -> np.dtype:
    try:
        d = np.dtype(dtype)
    except TypeError as e:
        raise DTypeError(f"check_numeric_gradient: unknown dtype {dtype!r}") from e
    if d not in (np.float16, np.float32, np.float64):
        raise DTypeError("check_numeric_gradient: dtype must be float16, float32 or "
                         f"float64, got {d}")
    return d


# ---- random generators -----------------------------------------------------------------------


def gen_buckets_probs_with_ppf(ppf: Callable[[float], float], nbuckets: int
                               ) -> tuple[list[tuple[float, float]], list[float]]:
    """`nbuckets` equally likely buckets from a quantile function `ppf`, and their
    probabilities (for `chi_square_check`).

    >>> mx.test_utils.gen_buckets_probs_with_ppf(lambda p: p, 2)
    ([(0.0, 0.5), (0.5, 1.0)], [0.5, 0.5])
    """
    if nbuckets <= 0:
        raise ParamError(f"gen_buckets_probs_with_ppf: nbuckets must be positive, got "
                         f"{nbuckets}")
    probs = [1.0 / nbuckets for _ in range(nbuckets)]
    buckets = [(ppf(i / float(nbuckets)), ppf((i + 1) / float(nbuckets)))
               for i in range(nbuckets)]
    return buckets, probs


def mean_check(generator: Callable[[int], Any], mu: float, sigma: float,
               nsamples: int = 1000000) -> bool:
    """Whether the mean of `generator(nsamples)` lies within mu +- 3 sigma / sqrt(n).

    >>> mx.test_utils.mean_check(lambda n: np.random.normal(0, 1.0, size=n), 0, 1.0)
    ... # doctest: +SKIP
    True
    """
    mean = np.array(_numpy(generator(nsamples))).mean()
    bound = 3 * sigma / np.sqrt(nsamples)
    return bool(mu - bound < mean < mu + bound)


def var_check(generator: Callable[[int], Any], sigma: float, nsamples: int = 1000000
              ) -> bool:
    """Whether the sample variance of `generator(nsamples)` lies within
    sigma^2 +- 3 sqrt(2 sigma^4 / (n - 1)).

    >>> mx.test_utils.var_check(lambda n: np.random.normal(0, 2.0, size=n), 2.0)  # doctest: +SKIP
    True
    """
    var = np.array(_numpy(generator(nsamples))).var(ddof=1)
    bound = 3 * np.sqrt(2 * sigma ** 4 / (nsamples - 1))
    return bool(sigma ** 2 - bound < var < sigma ** 2 + bound)


def chi_square_check(generator: Callable[[int], Any], buckets: list, probs: Sequence[float],
                     nsamples: int = 1000000) -> tuple[float, np.ndarray, np.ndarray]:
    """Pearson's chi-square test of `generator(nsamples)` against bucket probabilities
    (needs SciPy): (p value, observed counts, expected counts).

    `buckets` holds ascending, disjoint (low, high) ranges for a continuous distribution,
    or the possible values of a discrete one; `probs` their probabilities.

    >>> buckets, probs = mx.test_utils.gen_buckets_probs_with_ppf(lambda p: p, 5)
    >>> p, obs, exp = mx.test_utils.chi_square_check(np.random.uniform, buckets, probs)
    ... # doctest: +SKIP
    """
    try:
        from scipy import stats
    except ImportError as e:  # (SciPy's own error, with MXNet's words as a note)
        if hasattr(e, "add_note"):
            e.add_note("scipy is not available. Please check if the scipy python bindings "
                       "are installed.")
        raise
    if not isinstance(buckets, list):
        raise ArgumentError(f"chi_square_check: buckets must be a list, got "
                            f"{type(buckets).__name__}")
    if len(probs) != len(buckets):
        raise ParamError(f"chi_square_check: {len(probs)} probabilities for "
                         f"{len(buckets)} buckets")
    samples = np.asarray(_numpy(generator(nsamples)))
    expected = (nsamples * np.array(probs, dtype=np.float32)).astype(np.int32)
    observed = np.zeros(len(buckets), dtype=np.int64)
    if isinstance(buckets[0], (list, tuple)):
        edges = np.zeros(len(buckets) * 2, dtype=np.float32)
        for i, (low, high) in enumerate(buckets):
            if low > high or (i + 1 < len(buckets) and high > buckets[i + 1][0]):
                raise ParamError("chi_square_check: buckets must be ascending (low, high) "
                                 f"ranges without overlap, got {buckets}")
            edges[2 * i], edges[2 * i + 1] = low, high
        ids = np.searchsorted(edges, samples, side="right") // 2
        for i in range(len(buckets)):
            observed[i] = (ids == i).sum()
    else:
        for i, value in enumerate(buckets):
            observed[i] = (samples == value).sum()
    # Pearson's statistic against the truncated expected counts, computed here: SciPy's
    # `chisquare` (1.10 already) refuses counts whose sums differ, as they do by that
    # truncation, so MXNet's own call of it fails for most bucket probabilities
    statistic = float(((observed - expected) ** 2 / expected).sum())
    return float(stats.chi2.sf(statistic, len(buckets) - 1)), observed, expected


def verify_generator(generator: Callable[[int], Any], buckets: list, probs: Sequence[float],
                     nsamples: int = 1000000, nrepeat: int = 5, success_rate: float = 0.2,
                     alpha: float = 0.05) -> list[float]:
    """Repeat `chi_square_check` `nrepeat` times; raise an AssertionError unless at least
    a fraction `success_rate` of the p values exceed `alpha` (needs SciPy). Returns the
    p values.

    >>> buckets, probs = mx.test_utils.gen_buckets_probs_with_ppf(lambda p: p, 5)
    >>> mx.test_utils.verify_generator(np.random.uniform, buckets, probs)  # doctest: +SKIP
    """
    results = [chi_square_check(generator, buckets, probs, nsamples) for _ in range(nrepeat)]
    p_values = [r[0] for r in results]
    if (np.array(p_values) > alpha).sum() < nrepeat * success_rate:
        raise AssertionError(
            f"Generator test fails, Chi-square p={p_values}, obs_freq={[r[1] for r in results]}"
            f", expected_freq={[r[2] for r in results]}.\nbuckets={buckets}, probs={probs}")
    return p_values


# ---- well-conditioned matrices ---------------------------------------------------------------


def new_matrix_with_real_eigvals_2d(n: int) -> np.ndarray:
    """A well-conditioned n x n matrix with real eigenvalues in (-10, 10).

    >>> a = mx.test_utils.new_matrix_with_real_eigvals_2d(3)
    >>> bool(np.isreal(np.linalg.eigvals(a)).all())
    True
    """
    while True:  # q = (I - 2 v v^T) D, kept when its condition number is below 3
        diag = np.diag(np.random.uniform(-1.0, 1.0, n))
        v = np.random.uniform(-1.0, 1.0, n).reshape(n, 1)
        v = v / np.linalg.norm(v, axis=-2, keepdims=True)
        q = (np.eye(n) - 2 * v @ v.T) @ diag
        if np.linalg.cond(q, 2) < 3:
            break
    return np.linalg.inv(q) @ np.diag(np.random.uniform(-10.0, 10.0, n)) @ q


def new_matrix_with_real_eigvals_nd(shape: Sequence[int]) -> np.ndarray:
    """A batch of `new_matrix_with_real_eigvals_2d` matrices of shape (..., n, n).

    >>> mx.test_utils.new_matrix_with_real_eigvals_nd((2, 3, 3)).shape
    (2, 3, 3)
    """
    count = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return np.array([new_matrix_with_real_eigvals_2d(shape[-1])
                     for _ in range(count)]).reshape(shape)


def new_orthonormal_matrix_2d(n: int) -> np.ndarray:
    """A random n x n orthonormal matrix.

    >>> q = mx.test_utils.new_orthonormal_matrix_2d(3); np.allclose(q @ q.T, np.eye(3))
    True
    """
    x = np.random.randn(n, n)
    return np.linalg.qr(x.T @ x)[0]  # type: ignore[no-any-return]


def new_sym_matrix_with_real_eigvals_2d(n: int) -> np.ndarray:
    """A random symmetric n x n matrix with eigenvalues in (-10, 10).

    >>> a = mx.test_utils.new_sym_matrix_with_real_eigvals_2d(3); np.allclose(a, a.T)
    True
    """
    q = new_orthonormal_matrix_2d(n)
    return q.T @ np.diag(np.random.uniform(-10.0, 10.0, n)) @ q  # type: ignore[no-any-return]


def new_sym_matrix_with_real_eigvals_nd(shape: Sequence[int]) -> np.ndarray:
    """A batch of `new_sym_matrix_with_real_eigvals_2d` matrices of shape (..., n, n).

    >>> mx.test_utils.new_sym_matrix_with_real_eigvals_nd((2, 2, 2)).shape
    (2, 2, 2)
    """
    count = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return np.array([new_sym_matrix_with_real_eigvals_2d(shape[-1])
                     for _ in range(count)]).reshape(shape)


def has_tvm_ops() -> bool:
    """Whether operators generated by TVM are built in: never in mxjit, whose kernels are
    its own (MXNet's tests skip their TVM-only cases on this).

    >>> has_tvm_ops()
    False
    """
    return False


def is_op_runnable() -> bool:
    """Whether the current context can run every operator: always here, as in MXNet on the
    CPU and on GPUs without TVM operators.

    >>> is_op_runnable()
    True
    """
    return True
