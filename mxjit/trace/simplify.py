"""Simplification applied as nodes are built: constant folding and algebraic identities.

Hash-consing makes CSE free, and building graphs from their outputs makes dead code
unreachable, so these rules are the rest of the simplifier. Each rule sees the op, its
inputs and attrs, and returns a simpler equivalent node or None.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .dtypes import is_float, is_int
from .graph import AbstractValue, Node, const, const_value

#: Fold constants only up to this many elements: big constants would bloat programs.
FOLD_LIMIT = 64
# Scalars stay scalars (kernels inline them); random bits may be large.
_NO_FOLD = {"random_bits", "broadcast_to", "reshape", "mark"}


def scalar_of(node: Node) -> Any:
    """The value of a node that is one scalar everywhere (a constant or its broadcast)."""
    while node.op == "broadcast_to" or node.op == "reshape":
        node = node.inputs[0]
    v = const_value(node)
    if v is not None and v.size == 1:
        return v.reshape(()).item()
    return None


def _fill(value: Any, aval: AbstractValue) -> Node:
    from .ops import apply

    return apply("broadcast_to", const(np.asarray(value, aval.dtype)), shape=aval.shape)


def _is(node: Node, value: float) -> bool:
    v = scalar_of(node)
    return v is not None and v == value and not isinstance(v, bool)


def _add(x: Node, y: Node, aval: AbstractValue) -> Node | None:
    if _is(y, 0):
        return x
    return y if _is(x, 0) else None


def _sub(x: Node, y: Node, aval: AbstractValue) -> Node | None:
    if _is(y, 0):
        return x
    if x is y and is_int(aval.dtype):
        return _fill(0, aval)
    return None


def _mul(x: Node, y: Node, aval: AbstractValue) -> Node | None:
    if _is(y, 1):
        return x
    if _is(x, 1):
        return y
    if is_int(aval.dtype) and (_is(x, 0) or _is(y, 0)):
        return _fill(0, aval)
    return None


def _div(x: Node, y: Node, aval: AbstractValue) -> Node | None:
    return x if _is(y, 1) else None


def _neg(x: Node, aval: AbstractValue) -> Node | None:
    return x.inputs[0] if x.op == "neg" else None


def _isnan(x: Node, aval: AbstractValue) -> Node | None:
    return None if is_float(x.dtype) else _fill(False, aval)  # integers are never NaN


def _cast(x: Node, aval: AbstractValue, *, dtype: Any) -> Node | None:
    if x.dtype == aval.dtype:
        return x
    # A widening float cast followed by the cast back is the identity.
    if x.op == "cast" and x.inputs[0].dtype == aval.dtype and is_float(aval.dtype) and (
        is_float(x.dtype) and x.dtype.itemsize > aval.dtype.itemsize
    ):
        return x.inputs[0]
    return None


def _reshape(x: Node, aval: AbstractValue, *, shape: tuple) -> Node | None:
    if x.shape == aval.shape:
        return x
    if x.op == "reshape":
        from .ops import apply

        return apply("reshape", x.inputs[0], shape=shape)
    return None


def _transpose(x: Node, aval: AbstractValue, *, perm: tuple) -> Node | None:
    if tuple(perm) == tuple(range(len(perm))):
        return x
    if x.op == "transpose":
        from .ops import apply

        inner = x.attr("perm")
        return apply("transpose", x.inputs[0], perm=tuple(inner[p] for p in perm))
    return None


def _broadcast(x: Node, aval: AbstractValue, *, shape: tuple) -> Node | None:
    if x.shape == aval.shape:
        return x
    if x.op == "broadcast_to":
        from .ops import apply

        return apply("broadcast_to", x.inputs[0], shape=shape)
    return None


def _slice(x: Node, aval: AbstractValue, *, start: tuple, stop: tuple, step: tuple
           ) -> Node | None:
    full = all(b == 0 and s == 1 and e >= d for b, e, s, d in zip(start, stop, step, x.shape))
    return x if full else None


def _flip(x: Node, aval: AbstractValue, *, axes: tuple) -> Node | None:
    if not axes or all(x.shape[a] <= 1 for a in axes):
        return x
    if x.op == "flip" and sorted(x.attr("axes")) == sorted(axes):
        return x.inputs[0]
    return None


def _empty_reduction(identity: float) -> Callable[..., Node | None]:
    """A sum or product over no elements is its identity (kernels need a non-empty domain)."""
    def rule(x: Node, aval: AbstractValue, *, axes: tuple) -> Node | None:
        return _fill(identity, aval) if x.aval.size == 0 and aval.size else None

    return rule


def _pad(x: Node, v: Node, aval: AbstractValue, *, low: tuple, high: tuple) -> Node | None:
    if x.aval.size == 0 and aval.size:  # padding an empty array: all padding
        from .ops import apply

        return apply("broadcast_to", v, shape=aval.shape)
    return None


RULES: dict[str, Callable[..., Node | None]] = {
    "add": _add, "sub": _sub, "mul": _mul, "div": _div, "neg": _neg, "cast": _cast,
    "isnan": _isnan,
    "reshape": _reshape, "transpose": _transpose, "broadcast_to": _broadcast,
    "slice": _slice, "flip": _flip, "pad": _pad,
    "reduce_sum": _empty_reduction(0), "reduce_prod": _empty_reduction(1),
}


def simplify_node(op: str, inputs: tuple[Node, ...], attrs: dict[str, Any], aval: AbstractValue
                  ) -> Node | None:
    """A simpler node equal to op(*inputs, **attrs), or None to build it as it is."""
    if op not in _NO_FOLD and aval.size <= FOLD_LIMIT and all(i.op == "const" for i in inputs):
        from .ops import evaluate

        arrays = [i.attr("value").array for i in inputs]
        return const(evaluate(op, arrays, attrs).astype(aval.dtype).reshape(aval.shape))
    rule = RULES.get(op)
    return rule(*inputs, aval, **attrs) if rule is not None else None
