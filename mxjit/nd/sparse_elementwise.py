"""Elementwise operators over sparse arrays, with MXNet 1.9.1's storage types.

A result is sparse exactly where MXNet's is (its FInferStorageType rules, checked case by
case against MXNet): unary functions that map 0 to 0 (abs, sqrt, sin, relu, sign, ...)
keep the operand's storage type; `csr + csr`, `csr * csr`, `rsp + rsp` are sparse over the
union of the stored positions; `csr * dense` and `rsp * dense` keep the sparse operand's
pattern; a scalar keeps the type when it maps 0 to 0 (`x * 3`, `x / 3`, `x + 0`,
`x > 1`); everything else is dense. The values are computed by the dense operators on the
arrays of stored values, so each has exactly its dense semantics (and errors); this module
only decides the storage type and lines the values up (`sparse_layout.py`). As in MXNet,
an operator reads only stored values: positions a sparse result does not store are 0
(`csr / 0` stores inf where csr stores a value, 0 elsewhere).

Results are sparse only when every operand is an eager array outside autograd: a traced
operand, or one recorded while autograd records, gives the dense result, which `mx.jit`
and autograd can use (a sparse variable is read as its dense values).

    >>> a = mx.nd.sparse.csr_matrix(([1, -2], [0, 2], [0, 1, 2]), shape=(2, 3))
    >>> (abs(a) * 2).stype, (a + 1).stype  # doctest: +SKIP
    ('csr', 'default')
"""
from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from ..base import ShapeError
from ..core import tape
from ..core.operators import lookup
from ..ops.elementwise import binary
from ..ops.operands import broadcast_shape
from .ndarray import NDArray
from .sparse_layout import (
    align_csr,
    align_rows,
    csr_from_keys,
    dense_at_stored,
    empty_like,
    with_values,
)
from .sparse_storage import BaseSparseNDArray, CSRNDArray, RowSparseNDArray, store_into

#: The unary operators that map 0 to 0, which keep a sparse operand's storage type.
ZERO_PRESERVING = ("abs", "arcsin", "arcsinh", "arctan", "arctanh", "cbrt", "ceil",
                   "degrees", "expm1", "fix", "floor", "log1p", "negative", "radians", "relu",
                   "rint", "round", "sign", "sin", "sinh", "sqrt", "square", "tan", "tanh",
                   "trunc", "stop_gradient", "make_loss")

Rule = Callable[..., Any]
_NUMBERS = (int, float, np.number, np.bool_)


def eager(*arrays: Any) -> bool:
    """Whether no array among `arrays` is traced or being recorded (a sparse result can
    be made: sparse results are neither traced nor recorded)."""
    recording = tape.is_recording()
    return all(not isinstance(a, NDArray) or (
        a._node is None and (a._rec is None or not recording)) for a in arrays)


def _values(a: BaseSparseNDArray) -> NDArray:
    return NDArray._wrap(a._sp_data, a._ctx)


def dense_values(name: str, *operands: Any, **params: Any) -> np.ndarray:
    """The dense operator `name` over arrays of values (NDArrays or NumPy), as NumPy."""
    arrays = [NDArray._wrap(x) if isinstance(x, np.ndarray) else x for x in operands]
    return lookup(name).impl(*arrays, **params).asnumpy()  # type: ignore[no-any-return]


# ---- unary ----------------------------------------------------------------------------------


def unary_rule(name: str) -> Rule:
    """The sparse form of the zero-preserving unary operator `name`: same pattern."""
    def rule(data: Any, **params: Any) -> Any:
        if not isinstance(data, BaseSparseNDArray) or not eager(data):
            return None
        return with_values(data, dense_values(name, _values(data), **params))

    return rule


def zeros_like_rule(data: Any, dtype: Any = None) -> Any:
    """zeros_like of a sparse array stores nothing."""
    if not isinstance(data, BaseSparseNDArray):
        return None
    return empty_like(data if dtype is None else data.astype(dtype))


def clip_rule(data: Any, a_min: float, a_max: float) -> Any:
    """clip keeps a sparse type when 0 is inside [a_min, a_max] (MXNet has no sparse clip
    otherwise; the result is then dense here, where MXNet raises)."""
    if not isinstance(data, BaseSparseNDArray) or not a_min <= 0 <= a_max:
        return None
    return with_values(data, dense_values("clip", _values(data), a_min=a_min, a_max=a_max))


# ---- with a scalar ----------------------------------------------------------------------------


def _scalar_keeps_zero(op: str, scalar: Any, reflected: bool) -> bool:
    """Whether MXNet's scalar operator keeps a sparse type: 0 op scalar is 0."""
    if op == "mul":
        return True
    if op == "div":
        return not reflected
    if op == "add":
        return scalar == 0
    if op == "sub":
        return scalar == 0 and not reflected
    if op in ("eq", "ne", "lt", "le", "gt", "ge"):
        return not getattr(operator, op)(0, scalar)
    return False  # (mod, pow: MXNet's are dense)


def scalar_rule(op: str, data: BaseSparseNDArray, scalar: Any, reflected: bool = False
                ) -> Any:
    """`data op scalar` (`scalar op data` when reflected) as a sparse array, or None when
    MXNet's result is dense."""
    if not _scalar_keeps_zero(op, scalar, reflected) or not eager(data):
        return None
    values = _values(data)
    result = binary(op, scalar, values) if reflected else binary(op, values, scalar)
    return with_values(data, result.asnumpy())


# ---- between arrays ---------------------------------------------------------------------------


def _same_shape(op: str, lhs: Any, rhs: Any) -> None:
    if lhs.shape != rhs.shape:
        raise ShapeError(f"{op}: the operands must have the same shape, got {lhs.shape} and "
                         f"{rhs.shape}")


def _both_sparse(op: str, lhs: Any, rhs: Any) -> Any:
    """lhs op rhs over the union of their stored positions (same storage type); a CSR
    result drops the zeros it computes, as MXNet's does."""
    _same_shape(op, lhs, rhs)
    if isinstance(lhs, CSRNDArray):
        keys, (a, b) = align_csr([lhs, rhs])
        values = dense_values(op, a, b)
        keep = values != 0
        return csr_from_keys(keys[keep], values[keep], lhs.shape, lhs._ctx)
    rows, (a, b) = align_rows([lhs, rhs])
    return RowSparseNDArray._make(dense_values(op, a, b), rows, None, lhs.shape, lhs._ctx)


def _with_dense(op: str, lhs: Any, rhs: Any) -> Any:
    """lhs op rhs where one operand is dense: the sparse operand's pattern, the dense one
    read (broadcast) at the stored positions."""
    sparse, dense = (lhs, rhs) if isinstance(lhs, BaseSparseNDArray) else (rhs, lhs)
    if op.startswith("elemwise_"):
        _same_shape(op, lhs, rhs)
    if broadcast_shape(op, lhs.shape, rhs.shape) != sparse.shape:
        return None  # (the dense operand widens the result: MXNet's is dense)
    picked = dense_at_stored(dense.asnumpy(), sparse)
    values = _values(sparse)
    result = dense_values(op, values, picked) if sparse is lhs else \
        dense_values(op, picked, values)
    return with_values(sparse, result)


_STYPES = {"c": "csr", "r": "row_sparse", "d": "dense"}


def _kinds(lhs: Any, rhs: Any) -> str:
    """'cc', 'rd', 'dc', ...: the storage types of two array operands."""
    return "".join("c" if isinstance(x, CSRNDArray) else "r" if isinstance(x, RowSparseNDArray)
                   else "d" if isinstance(x, NDArray) else "s" for x in (lhs, rhs))


#: For each binary operator, the operand storage types whose result is sparse: the first
#: set over the union of two patterns of one type, the second (with a dense operand) over
#: the sparse operand's pattern.
BINARY_SPARSE = {
    "elemwise_add": ({"cc", "rr"}, set()),
    "elemwise_sub": ({"cc", "rr"}, set()),
    "elemwise_mul": ({"cc", "rr"}, {"cd", "dc", "rd", "dr"}),
    "broadcast_mul": (set(), {"cd"}),
    "broadcast_div": (set(), {"cd"}),
}


def binary_rule(op: str) -> Rule:
    """The sparse form of the binary operator `op` (a key of `BINARY_SPARSE`)."""
    same, with_dense = BINARY_SPARSE[op]

    def rule(lhs: Any, rhs: Any) -> Any:
        kinds = _kinds(lhs, rhs)
        if not eager(lhs, rhs):
            return None
        if kinds in same:
            return _both_sparse(op, lhs, rhs)
        if kinds in with_dense:
            return _with_dense(op, lhs, rhs)
        return None

    kinds = sorted(same | with_dense)
    rule.__doc__ = (", ".join(f"{_STYPES[k[0]]} with {_STYPES[k[1]]}" for k in kinds)
                    + " give a sparse result; other operands a dense one.")
    return rule


#: The sparse form of each operator of `BINARY_SPARSE`.
BINARY_RULES = {op: binary_rule(op) for op in BINARY_SPARSE}


def apply_binary(op: str, lhs: Any, rhs: Any) -> Any:
    """The binary operator `op` on two arrays: sparse where MXNet's result is, else the
    dense operator."""
    result = BINARY_RULES[op](lhs, rhs) if op in BINARY_RULES else None
    return lookup(op).impl(lhs, rhs) if result is None else result


#: MXNet's Python-level arithmetic (python/mxnet/ndarray/sparse.py): (operator for equal
#: shapes, operator otherwise, the scalar operator).
UFUNCS = {"add": ("elemwise_add", "broadcast_add", "add"),
          "subtract": ("elemwise_sub", "broadcast_sub", "sub"),
          "multiply": ("elemwise_mul", "broadcast_mul", "mul"),
          "divide": ("elemwise_div", "broadcast_div", "div")}


def ufunc(name: str, lhs: Any, rhs: Any) -> Any:
    """`mx.nd.sparse.add` and kin: the elemwise operator for arrays of one shape, the
    broadcast one otherwise, the scalar one for a number."""
    same, broadcast, op = UFUNCS[name]
    if isinstance(lhs, NDArray) and isinstance(rhs, NDArray):
        return apply_binary(same if lhs.shape == rhs.shape else broadcast, lhs, rhs)
    return _with_scalar(op, lhs, rhs)


def _with_scalar(op: str, lhs: Any, rhs: Any) -> Any:
    """`lhs op rhs` where at most one is an array: sparse where MXNet's scalar operator
    keeps the type, else the dense result (a plain number for two numbers)."""
    if not isinstance(lhs, NDArray) and not isinstance(rhs, NDArray):
        return getattr(operator, "truediv" if op == "div" else op)(lhs, rhs)
    result = None
    if isinstance(lhs, BaseSparseNDArray) and isinstance(rhs, _NUMBERS):
        result = scalar_rule(op, lhs, rhs)
    elif isinstance(rhs, BaseSparseNDArray) and isinstance(lhs, _NUMBERS):
        result = scalar_rule(op, rhs, lhs, reflected=True)
    return binary(op, lhs, rhs) if result is None else result


# ---- the operators of sparse arrays ---------------------------------------------------------


def _operators() -> dict[str, Callable[..., Any]]:
    """`+`, `*`, `/`, `>`, ... of sparse arrays, as MXNet 1.9.1's BaseSparseNDArray has
    them: `+ - *` are `sparse.add/subtract/multiply`, `/` is `broadcast_div` (or the scalar
    division), the rest NDArray's operators (dense, except scalar comparisons and `-x`).
    With a dense NDArray on the left, MXNet runs the dense array's operator: dense."""
    def forward(name: str) -> Callable[..., Any]:
        return lambda self, o: ufunc(name, self, o)

    def reflected(op: str, name: str | None) -> Callable[..., Any]:
        def method(self: Any, o: Any) -> Any:
            if isinstance(o, NDArray) or name is None:
                return binary(op, o, self)
            return ufunc(name, o, self)
        return method

    def truediv(self: Any, o: Any) -> Any:
        if isinstance(o, NDArray):
            return apply_binary("broadcast_div", self, o)
        return _with_scalar("div", self, o)

    def dense(op: str, swap: bool = False) -> Callable[..., Any]:
        return lambda self, o: binary(op, o, self) if swap else binary(op, self, o)

    def compare(op: str) -> Callable[..., Any]:
        return lambda self, o: binary(op, self, o) if isinstance(o, NDArray) else \
            _with_scalar(op, self, o)

    def inplace(method: Callable[..., Any]) -> Callable[..., Any]:
        return lambda self, o: store_into(method(self, o), self)

    ops: dict[str, Callable[..., Any]] = {
        "__add__": forward("add"), "__radd__": reflected("add", "add"),
        "__sub__": forward("subtract"), "__rsub__": reflected("sub", None),
        "__mul__": forward("multiply"), "__rmul__": reflected("mul", "multiply"),
        "__truediv__": truediv, "__rtruediv__": dense("div", swap=True),
        "__mod__": dense("mod"), "__rmod__": dense("mod", swap=True),
        "__pow__": dense("pow"), "__rpow__": dense("pow", swap=True),
        "__neg__": lambda self: scalar_rule("mul", self, -1),
        "__abs__": lambda self: unary_rule("abs")(self),
    }
    for name, op in (("__eq__", "eq"), ("__ne__", "ne"), ("__lt__", "lt"), ("__le__", "le"),
                     ("__gt__", "gt"), ("__ge__", "ge")):
        ops[name] = compare(op)
    for name, method in (("__iadd__", "__add__"), ("__isub__", "__sub__"),
                         ("__imul__", "__mul__"), ("__itruediv__", "__truediv__")):
        ops[name] = inplace(ops[method])
    return ops


def add_operators(cls: type) -> None:
    """Give the sparse array class `cls` MXNet's operators for sparse arrays."""
    for name, method in _operators().items():
        method.__name__ = method.__qualname__ = name
        setattr(cls, name, method)
