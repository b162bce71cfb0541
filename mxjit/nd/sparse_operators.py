"""The operator functions of `mx.nd.sparse`: each `mx.nd` operator MXNet's sparse
namespace has, generated from the operator table with MXNet's signature, plus a storage
rule that gives its sparse results (`sparse_elementwise.py`, `sparse_structure.py`,
`sparse_optimizers.py`); operands a rule does not cover run the dense operator. `add`,
`subtract`, `multiply` and `divide` are MXNet's Python-level functions.

    >>> functions()['sqrt'](mx.nd.sparse.zeros('csr', (2, 2))).stype  # doctest: +SKIP
    'csr'
"""
from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable
from typing import Any

from ..core.operators import lookup, make_function, split_namespace
from .methods import FLUENT_METHODS, fluent
from .namespace import functions as table_functions
from .ndarray import finish as dense_finish
from .sparse_elementwise import (
    BINARY_RULES,
    ZERO_PRESERVING,
    Rule,
    add_operators,
    clip_rule,
    eager,
    ufunc,
    unary_rule,
    zeros_like_rule,
)
from .sparse_graph import edge_id
from .sparse_optimizers import LAZY, adagrad_update, update_rule
from .sparse_storage import BaseSparseNDArray, cast_storage, getnnz, store_into
from .sparse_structure import add_n_rule, concat_rule, retain, slice_rule, take_rule

#: The operators of MXNet's `mx.nd.sparse` that are table operators, each with the rule
#: that makes its sparse results (None: its result is always dense).
_RULES: dict[str, Rule | None] = {
    **{name: unary_rule(name) for name in ZERO_PRESERVING},
    **BINARY_RULES,
    "zeros_like": zeros_like_rule, "clip": clip_rule, "slice": slice_rule,
    "concat": concat_rule, "add_n": add_n_rule, "ElementWiseSum": add_n_rule,
    **{name: update_rule(name) for name in LAZY},
    **{name: None for name in (
        "arccos", "arccosh", "cos", "cosh", "exp", "gamma", "gammaln", "log", "log10",
        "log2", "rsqrt", "sigmoid", "elemwise_div", "broadcast_add", "broadcast_sub",
        "broadcast_plus", "broadcast_minus", "where", "sum", "mean", "norm", "Embedding",
        "FullyConnected", "LinearRegressionOutput", "LogisticRegressionOutput",
        "MAERegressionOutput")},
}


#: Operators with a sparse result in MXNet that its `mx.nd.sparse` lacks: only `mx.nd`'s
#: function gives it (`mx.nd.take(csr, rows)` is CSR).
_ND_RULES: dict[str, Rule] = {"take": take_rule}


def _storage_note(name: str, rule: Rule | None) -> str:
    """What the docstring says about storage types."""
    if rule is None:
        return "sparse operands are read as dense arrays; the result is dense."
    if name in ZERO_PRESERVING:
        return ("a csr or row_sparse operand keeps its storage type (the stored values are "
                "computed, the rest stays 0).")
    return (rule.__doc__ or "").strip()


def _finish(result: Any, operands: tuple, out: Any) -> Any:
    """MXNet's `out=` for sparse results: written in `out`'s storage type."""
    if isinstance(result, BaseSparseNDArray) or isinstance(out, BaseSparseNDArray):
        return result if out is None else store_into(result, out)
    return dense_finish(result, operands, out)


def _operands(args: tuple) -> tuple:
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        return tuple(args[0])  # (variadic operators also take one list)
    return args


def _has_sparse(args: tuple) -> bool:
    return any(isinstance(a, BaseSparseNDArray) for a in _operands(args))


def _dense_result(result: Any) -> Any:
    """A dense operator's result on sparse operands, dense (an identity such as a loss
    layer hands back its sparse operand itself)."""
    if isinstance(result, (list, tuple)):
        return [_dense_result(r) for r in result]
    return cast_storage(result, "default") if isinstance(result, BaseSparseNDArray) else result


def _storage_function(name: str, rule: Rule | None) -> Callable[..., Any]:
    """`mx.nd.<name>` with `rule` giving the sparse results (MXNet's signature and `out=`)."""
    op = lookup(name)
    dense = op.impl

    @functools.wraps(dense)
    def impl(*args: Any, **kwargs: Any) -> Any:
        if not _has_sparse(args):
            return dense(*args, **kwargs)
        # (a traced or recorded operand: the dense result, which jit and autograd use)
        result = None if rule is None or not eager(*_operands(args)) else \
            rule(*args, **kwargs)
        return _dense_result(dense(*args, **kwargs)) if result is None else result

    doc = f"{op.doc}\n\nStorage types: {_storage_note(name, rule)}"
    return make_function(dataclasses.replace(op, impl=impl, doc=doc), name, _finish, "NDArray",
                         "mxjit.nd.sparse")


#: The table operators MXNet runs on sparse storage only, with their eager forms on
#: NDArrays, which keep or read storage (`retain` of a RowSparseNDArray is row_sparse,
#: `getnnz` counts a CSR array's stored values); traced arrays (`mx.jit`, a bound symbol)
#: run the operator itself, with its dense semantics (`ops/sparse.py`).
EAGER_FORMS: dict[str, Callable[..., Any]] = {
    "cast_storage": cast_storage, "_sparse_retain": retain,
    "_sparse_adagrad_update": adagrad_update, "_contrib_getnnz": getnnz,
    "_contrib_edge_id": edge_id,
}


def _eager_form_function(name: str, public: str, module: str) -> Callable[..., Any]:
    """`mx.nd`'s function of the table operator `name`: its eager form (`EAGER_FORMS`) on
    NDArrays, the operator on traced arrays."""
    op = lookup(name)
    dense, eager = op.impl, EAGER_FORMS[name]

    @functools.wraps(dense)
    def impl(*args: Any, **kwargs: Any) -> Any:
        if any(getattr(a, "_node", None) is not None for a in args):
            return dense(*args, **kwargs)
        return eager(*args, **kwargs)

    doc = (f"{inspect.getdoc(eager)}\n\nInside a trace (`mx.jit`, a hybridized block, a "
           f"bound symbol) arrays are dense, and the operator's dense semantics apply:\n\n"
           f"{op.doc}")
    return make_function(dataclasses.replace(op, impl=impl, doc=doc), public, _finish,
                         "NDArray", module)


def eager_form_functions(ns: str) -> dict[str, Callable[..., Any]]:
    """The functions of `EAGER_FORMS` in namespace `ns` ('' for `mx.nd`, 'sparse',
    'contrib') by public name (`mx.nd.sparse` has `cast_storage` too, as MXNet's has).

    >>> eager_form_functions('contrib')['getnnz'](csr)  # doctest: +SKIP
    """
    module = "mxjit.nd" + (f".{ns}" if ns else "")
    made = {}
    for name in EAGER_FORMS:
        where, public = split_namespace(name)
        if where == ns or (ns == "sparse" and name == "cast_storage"):
            made[public] = _eager_form_function(name, public, module)
    return made


def add(lhs: Any, rhs: Any) -> Any:
    """lhs + rhs: `elemwise_add` for arrays of one shape (csr + csr is csr, row_sparse +
    row_sparse is row_sparse), `broadcast_add` otherwise, the scalar form for a number
    (sparse only for 0).

    >>> (mx.nd.sparse.add(a, a)).stype  # doctest: +SKIP
    'csr'
    """
    return ufunc("add", lhs, rhs)


def subtract(lhs: Any, rhs: Any) -> Any:
    """lhs - rhs: `elemwise_sub` for arrays of one shape, `broadcast_sub` otherwise.

    >>> mx.nd.sparse.subtract(a, a).stype  # doctest: +SKIP
    'csr'
    """
    return ufunc("subtract", lhs, rhs)


def multiply(lhs: Any, rhs: Any) -> Any:
    """lhs * rhs: `elemwise_mul` for arrays of one shape (sparse when either is, except
    csr * row_sparse), `broadcast_mul` otherwise (csr * dense is csr), scalars keep the
    storage type.

    >>> mx.nd.sparse.multiply(a, mx.nd.ones((3, 1))).stype  # doctest: +SKIP
    'csr'
    """
    return ufunc("multiply", lhs, rhs)


def divide(lhs: Any, rhs: Any) -> Any:
    """lhs / rhs: `elemwise_div` for arrays of one shape (dense), `broadcast_div` otherwise
    (csr / dense is csr), `sparse / scalar` keeps the storage type.

    >>> mx.nd.sparse.divide(a, 2).stype  # doctest: +SKIP
    'csr'
    """
    return ufunc("divide", lhs, rhs)


def functions() -> dict[str, Callable[..., Any]]:
    """The operator functions of `mx.nd.sparse`, by name (those of `_RULES` and the eager
    forms of `cast_storage` and the operators registered as `_sparse_*`)."""
    made = table_functions("sparse")
    made.update({name: _storage_function(name, rule) for name, rule in _RULES.items()})
    made.update(eager_form_functions("sparse"))
    return made


def nd_storage_functions() -> dict[str, Callable[..., Any]]:
    """The `mx.nd` functions of `_ND_RULES`, by name: sparse results where MXNet's are.

    >>> nd_storage_functions()['take'](csr, mx.nd.array([1, 0])).stype  # doctest: +SKIP
    'csr'
    """
    return {name: _storage_function(name, rule) for name, rule in _ND_RULES.items()}


def install_methods(cls: type, made: dict[str, Callable[..., Any]]) -> None:
    """Give the sparse array class `cls` MXNet's operators (`+`, `*`, `>`, ...) and the
    fluent methods (`x.sqrt()`, ...) that keep a sparse storage type."""
    add_operators(cls)
    for name in FLUENT_METHODS:
        if _RULES.get(name) is not None:
            setattr(cls, name, fluent(name, made[name]))
