"""Kernels compiled once for every shape: extents and strides are read at run time.

A jitted program is compiled per shape, so its kernels know every extent and stride. An
eager op is compiled once and called with many shapes, so its kernel is keyed only by what
its code depends on: the op, the dtypes, which loops of the (merged) nest reduce, and
whether the innermost loop is unit-stride (then its stride is the constant 1, and the loop
vectorises) or, for an elementwise operand, broadcast (stride 0). The rest comes from a
small int64 parameter buffer.
"""
from __future__ import annotations

import numpy as np

from .kernel import I64, REDUCE_OPS, Expr, Kernel, Reduction, Store, iconst, loop_var

# buffer slots of a generic reduction kernel
OPERAND, PARAMS, OUTPUT = 0, 1, 2


def _param(k: int) -> Expr:
    return _param_at(PARAMS, k)


def _offset(terms: list[tuple[int, Expr | None]]) -> Expr:
    """sum of loop var * stride; a None stride is the constant 1."""
    total: Expr | None = None
    for j, stride in terms:
        term = loop_var(j) if stride is None else Expr.make("mul", I64, (loop_var(j), stride))
        total = term if total is None else Expr.make("add", I64, (total, term))
    return total if total is not None else iconst(0)


def reduction_kernel(op: str, dtype: np.dtype, reduce: tuple[bool, ...], unit_inner: bool
                     ) -> Kernel:
    """`op` over the loops flagged in `reduce` (outermost first), for every shape.

    Slots: the operand, the parameters, the output. With n loops the parameters are the n
    extents, the n operand strides and the n output strides (in elements; the output's
    innermost kept loop has stride 1, as the output is allocated contiguous). Argmax and
    argmin need their reduced loop innermost (index tracking uses the register schedule).
    """
    n = len(reduce)
    kept = [j for j in range(n) if not reduce[j]]
    operand = _offset([(j, None if unit_inner and j == n - 1 else _param(n + j))
                       for j in range(n)])
    output = _offset([(j, None if j == kept[-1] else _param(2 * n + j)) for j in kept])
    first_reduce = reduce.index(True) if True in reduce else n
    red = Reduction(REDUCE_OPS[op], Expr.make("load", dtype, (operand,), OPERAND),
                    all(reduce[first_reduce:]))
    out_dtype = np.dtype(np.int64) if op in ("argmax", "argmin") else np.dtype(dtype)
    return Kernel(
        name=f"eager_{op}", dims=(-1,) * n, reduce_vars=reduce,
        split=kept[0] if kept else None, buffers=(np.dtype(dtype), I64, out_dtype),
        n_inputs=2, stores=(Store(OUTPUT, output, Expr.make("acc", out_dtype)),),
        reduction=red, extents=tuple(_param(j) for j in range(n)))


def elementwise_kernel(op: str, operands: tuple[np.dtype, ...], out: np.dtype,
                       cast_to: np.dtype | None, inner: tuple[int | None, ...], n: int
                       ) -> Kernel:
    """`op` over operands broadcast to an n-loop nest (outermost first), for every shape.

    Slots: the operands, the parameters, the (C-contiguous) output. The parameters are the
    n extents, then each operand's n strides, then the output's n strides (in elements).
    `inner[k]` is operand k's innermost stride when the code may rely on it (0: broadcast
    along that loop, 1: unit stride, so the loop vectorises), None when it is read at run
    time. With `cast_to`, the result is cast (MXNet's comparisons give 1/0 floats).
    """
    k_ops = len(operands)
    params = k_ops
    loads = []
    for k, dtype in enumerate(operands):
        terms: list[tuple[int, Expr | None]] = [(j, _param_at(params, n + k * n + j))
                                                for j in range(n - 1)]
        if inner[k] is None:
            terms.append((n - 1, _param_at(params, n + k * n + n - 1)))
        elif inner[k] == 1:
            terms.append((n - 1, None))
        loads.append(Expr.make("load", dtype, (_offset(terms),), k))
    value = Expr.make(op, out, tuple(loads))
    if cast_to is not None:
        value = Expr.make("cast", cast_to, (value,))
    output = _offset([(j, None if j == n - 1 else _param_at(params, n + k_ops * n + j))
                      for j in range(n)])
    result = np.dtype(cast_to) if cast_to is not None else np.dtype(out)
    return Kernel(
        name=f"eager_{op}", dims=(-1,) * n, reduce_vars=(False,) * n, split=0,
        buffers=(*operands, I64, result), n_inputs=k_ops + 1,
        stores=(Store(k_ops + 1, output, value),), reduction=None,
        extents=tuple(_param_at(params, j) for j in range(n)))


def _param_at(slot: int, k: int) -> Expr:
    return Expr.make("load", I64, (iconst(k),), slot)
