"""Kernels compiled once for every shape: extents and strides are read at run time.

A jitted program is compiled per shape, so its kernels know every extent and stride. An
eager op is compiled once and called with many shapes, so its kernel is keyed only by what
its code depends on: the op, the dtype, which loops of the (merged) nest reduce, and
whether the innermost loop is unit-stride (then its stride is the constant 1, and the loop
vectorises). The rest comes from a small int64 parameter buffer.
"""
from __future__ import annotations

import numpy as np

from .kernel import I64, Expr, Kernel, Reduction, Store, iconst, loop_var

#: Reduction primitives and the `Reduction.op` each becomes.
REDUCE_OPS = {"reduce_sum": "sum", "reduce_prod": "prod", "reduce_max": "max",
              "reduce_min": "min", "argmax": "argmax", "argmin": "argmin"}

# buffer slots of a generic reduction kernel
OPERAND, PARAMS, OUTPUT = 0, 1, 2


def _param(k: int) -> Expr:
    return Expr.make("load", I64, (iconst(k),), PARAMS)


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
