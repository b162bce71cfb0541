"""Optimizer updates with row_sparse gradients (`mx.nd.sparse.sgd_update`, ...), with
MXNet's lazy_update semantics: only the rows the gradient stores are updated, in the
weight and in the state arrays (mom, mean, var, history); the other rows keep their
values, weight decay included. `lazy_update=False` (and FTRL, which has no lazy form in
MXNet) is the standard update with the gradient read densely.

The arithmetic is the dense operators' (`ops/optimizer_updates.py`), run on the gathered
rows (AdaGrad's is `_sparse_adagrad_update`'s, which MXNet has only in this sparse form).
A row_sparse weight gives a row_sparse result storing every row (as MXNet's does); state
arrays are written in place, in their own storage type.

    >>> g = mx.nd.sparse.row_sparse_array(([[1.0, 1.0]], [1]), shape=(3, 2))
    >>> w = mx.nd.ones((3, 2))
    >>> mx.nd.sparse.sgd_update(w, g, lr=0.1, out=w)  # doctest: +SKIP
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..base import ArgumentError, ParamError, ShapeError
from ..core import tape
from ..core.operators import lookup
from .ndarray import NDArray
from .sparse_elementwise import eager
from .sparse_storage import BaseSparseNDArray, RowSparseNDArray, store_into

#: The updates with a sparse form, and whether MXNet's is lazy (updates only the stored
#: rows) when `lazy_update` is on.
LAZY = {"sgd_update": True, "sgd_mom_update": True, "adam_update": True,
        "ftrl_update": False}


def _check_shapes(op: str, weight: Any, grad: Any, states: tuple) -> None:
    for name, x in (("grad", grad),) + tuple((f"state {i}", s) for i, s in enumerate(states)):
        if not isinstance(x, NDArray):
            raise ArgumentError(f"{op}: {name} must be an NDArray, got {type(x).__name__}")
        if x.shape != weight.shape:
            raise ShapeError(f"{op}: {name} must have the weight's shape {weight.shape}, got "
                             f"{x.shape}")


def _write_rows(state: NDArray, values: np.ndarray, rows: Any) -> None:
    """Store the updated `rows` of a state array in place (in its storage type)."""
    if isinstance(state, BaseSparseNDArray):
        full = state.asnumpy()
        full[rows] = values
        store_into(NDArray._wrap(full), state)
        return
    tape.overwriting(state._buffer())  # (recorded values in this memory go stale)
    state._buffer()[rows] = values


def run_on_rows(op: str, step: Callable[..., NDArray], weight: NDArray, grad: NDArray,
                states: tuple, lazy: bool, params: dict[str, Any]) -> NDArray:
    """`step(weight_rows, grad_rows, *state_rows, **params)` (which writes the state rows
    in place) on the rows a row_sparse `grad` stores (all rows unless `lazy`); returns the
    whole new weight, in the weight's storage type."""
    _check_shapes(op, weight, grad, states)
    sparse_grad = grad if lazy and isinstance(grad, RowSparseNDArray) else None
    rows: Any = slice(None) if sparse_grad is None else sparse_grad._sp_indices
    w = weight.asnumpy()
    g = grad.asnumpy() if sparse_grad is None else sparse_grad._sp_data
    picked = [NDArray._wrap(np.array(s.asnumpy()[rows], copy=True), s._ctx) for s in states]
    new_rows = step(NDArray._wrap(w[rows].copy(), weight._ctx), NDArray._wrap(g, grad._ctx),
                    *picked, **params)
    for state, values in zip(states, picked):
        _write_rows(state, values.asnumpy(), rows)
    w[rows] = new_rows.asnumpy()
    if isinstance(weight, RowSparseNDArray):
        return RowSparseNDArray._make(w, np.arange(w.shape[0], dtype=np.int64), None, w.shape,
                                      weight._ctx)
    return NDArray._wrap(w, weight._ctx)  # type: ignore[no-any-return]


def update_rule(op: str) -> Callable[..., Any]:
    """The sparse form of the dense optimizer update `op` (a key of `LAZY`)."""
    dense = lookup(op).impl

    def rule(weight: Any, grad: Any, *states: Any, **params: Any) -> Any:
        if not eager(weight, grad, *states):
            return None
        lazy = LAZY[op] and bool(params.get("lazy_update", True)) and \
            isinstance(grad, RowSparseNDArray)
        return run_on_rows(op, dense, weight, grad, states, lazy, params)

    rule.__doc__ = ("a row_sparse grad updates only its rows (weight and states) when "
                    "lazy_update is on; sparse states are updated in place."
                    if LAZY[op] else "sparse operands are read densely (MXNet's FTRL has "
                    "no lazy form); sparse states are updated in place.")
    return rule


def adagrad_update(weight: NDArray, grad: NDArray, history: NDArray, lr: float,
                   epsilon: float = 1e-07, wd: float = 0.0, rescale_grad: float = 1.0,
                   clip_gradient: float = -1.0, out: NDArray | None = None,
                   name: str | None = None) -> NDArray:
    """AdaGrad with a row_sparse gradient (MXNet's `_sparse_adagrad_update`): for the rows
    `grad` stores, history += g ** 2 and weight -= lr * g / sqrt(history + epsilon), with
    g = clip(rescale_grad * grad, clip_gradient); other rows are left as they are. Weight
    decay is not supported (as in MXNet).

    >>> mx.nd.sparse.adagrad_update(w, g, history, lr=0.1, out=w)  # doctest: +SKIP
    """
    if not isinstance(grad, RowSparseNDArray):
        stype = getattr(grad, "stype", type(grad).__name__)
        raise ArgumentError(f"adagrad_update: grad must be a RowSparseNDArray, got {stype}")
    if isinstance(history, BaseSparseNDArray) or isinstance(weight, BaseSparseNDArray):
        raise ArgumentError("adagrad_update: weight and history must be dense, got "
                            f"{weight.stype} and {history.stype}")
    if wd != 0:
        raise ParamError(f"adagrad_update: weight decay is not supported (wd={wd}); use "
                         "wd=0")
    result = run_on_rows("adagrad_update", lookup("_sparse_adagrad_update").impl, weight, grad,
                         (history,), True, {"lr": lr, "epsilon": epsilon,
                                            "rescale_grad": rescale_grad,
                                            "clip_gradient": clip_gradient})
    return result if out is None else store_into(result, out)
