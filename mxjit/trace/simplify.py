"""What simplification shares: constant folding, and recognising scalar constants.

Hash-consing makes CSE free, and building graphs from their outputs makes dead code
unreachable; `apply` folds small constant expressions (here) and then applies the
primitive's own simplification rule (in its record). The rules read operands with
`scalar_of` and build constant results with `fill`.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .graph import AbstractValue, Node, const, const_value

#: Fold constants only up to this many elements: big constants would bloat programs.
FOLD_LIMIT = 64


def fold_constants(numpy_impl: Callable[..., np.ndarray], inputs: Sequence[Node],
                   attrs: dict[str, Any], aval: AbstractValue) -> Node | None:
    """The constant result of a small application to constants, else None.

    >>> fold_constants(np.add, [const(1.0), const(2.0)], {}, AbstractValue((), np.dtype(float)))
    Node(const, (), float64)
    """
    if aval.size > FOLD_LIMIT or not all(i.op == "const" for i in inputs):
        return None
    arrays = [i.attr("value").array for i in inputs]
    with np.errstate(all="ignore"):
        value = np.asarray(numpy_impl(*arrays, **attrs))
    return const(value.astype(aval.dtype).reshape(aval.shape))


def scalar_of(node: Node) -> Any:
    """The value of a node that is one scalar everywhere (a constant or its broadcast).

    >>> scalar_of(const(2.0))
    2.0
    """
    while node.op == "broadcast_to" or node.op == "reshape":
        node = node.inputs[0]
    v = const_value(node)
    if v is not None and v.size == 1:
        return v.reshape(()).item()
    return None


def is_scalar(node: Node, value: float) -> bool:
    """Whether `node` is `value` everywhere (bools never match numbers)."""
    v = scalar_of(node)
    return v is not None and v == value and not isinstance(v, bool)


def fill(value: Any, aval: AbstractValue) -> Node:
    """`value` everywhere in the shape and dtype of `aval`."""
    scalar = const(np.asarray(value, aval.dtype))
    if aval.shape == ():
        return scalar
    return Node.make("broadcast_to", (scalar,), {"shape": tuple(aval.shape)}, aval)
