"""Large reductions to a single value, rewritten in two stages so the first uses every core.

A CPU kernel runs in parallel over its outermost kept loop. A reduction to one value has
no kept loop, so it would run on one thread, at half this machine's read bandwidth.
Reducing rows first (the rows are a kept loop, so they spread over the threads) and then
the row results needs only reassociation, which our reductions already allow (their
float adds are `reassoc`; max, min and the wrapping integer ops are associative).
float16 is left alone: its partial results would be rounded to float16 between stages.
"""
from __future__ import annotations

import numpy as np

from ..trace import apply
from ..trace.graph import Node, toposort

#: The reductions that split, and the elementwise op joining two partial results.
JOIN = {"reduce_sum": "add", "reduce_prod": "mul", "reduce_max": "maximum",
        "reduce_min": "minimum"}
#: Rows of the first stage when a 1-D operand is cut into rows.
ROWS = 256


def split_reductions(outputs: list[Node], threads: int, min_size: int) -> list[Node]:
    """`outputs` with every reduction to one value of at least `min_size` elements split.

    >>> from mxjit.trace.graph import var
    >>> x = var((1 << 22,), np.dtype('float32'))
    >>> [y] = split_reductions([apply('reduce_sum', x, axes=(0,))], 2, 1 << 21)
    >>> y.op, y.inputs[0].shape
    ('reduce_sum', (256,))
    """
    if threads < 2:
        return outputs
    rebuilt: dict[Node, Node] = {}
    for n in toposort(outputs):
        inputs = tuple(rebuilt.get(i, i) for i in n.inputs)
        new = n if inputs == n.inputs else apply(n.op, *inputs, **dict(n.attrs))
        if (new.op in JOIN and new.aval.size == 1 and new.dtype != np.float16
                and new.inputs[0].aval.size >= min_size):
            new = _two_stages(new, threads)
        rebuilt[n] = new
    return [rebuilt.get(o, o) for o in outputs]


def _two_stages(node: Node, threads: int) -> Node:
    op, x = node.op, node.inputs[0]
    dims = tuple(d for d in x.shape if d != 1)
    if dims != x.shape:
        x = apply("reshape", x, shape=dims)
    if len(dims) >= 2 and dims[0] >= threads:  # the leading axis is the row loop
        total = apply(op, apply(op, x, axes=tuple(range(1, len(dims)))), axes=(0,))
    elif len(dims) == 1:  # rows of n // ROWS elements, then what is left over
        n = dims[0]
        width = n // ROWS
        body = apply("reshape", apply("slice", x, start=(0,), stop=(ROWS * width,), step=(1,)),
                     shape=(ROWS, width))
        total = apply(op, apply(op, body, axes=(1,)), axes=(0,))
        if ROWS * width < n:
            tail = apply("slice", x, start=(ROWS * width,), stop=(n,), step=(1,))
            total = apply(JOIN[op], total, apply(op, tail, axes=(0,)))
    else:
        return node
    return apply("reshape", total, shape=node.shape)
