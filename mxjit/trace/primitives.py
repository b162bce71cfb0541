"""The primitive registry: one record per primitive holding everything known about it.

A primitive's record (`Primitive`) holds its kind, its shape/dtype rule, its NumPy meaning,
its gradient rule, its simplification rule and its flags; the modules of this package each
declare a family of primitives with `define_primitive`, every fact of one primitive next to
the others. Every front end (`mx.nd`, `mx.jit`, gradients) builds graphs from primitives
only, through `apply`. Backends render primitives from their own tables (`lower/llvm.py`,
`lower/cuda.py`, `lower/emit.py`), one table per backend.

    >>> from mxjit.trace import var
    >>> x = var((3,), np.dtype('float32')); apply('exp', x).aval.shape
    (3,)
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..base import ParamError
from .graph import AbstractValue, Node, const
from .simplify import fold_constants

#: A gradient rule: (node, cotangent of its output) -> cotangents of its inputs (None: zero).
VJPRule = Callable[[Node, Node], Sequence["Node | None"]]
#: A simplification rule: (*inputs, aval, **attrs) -> an equal, simpler node or None.
SimplifyRule = Callable[..., "Node | None"]
#: The gradient rule of a primitive with several results: (any result's node, the cotangent
#: of each result by its `index`, missing where zero) -> cotangents of the inputs.
ResultsVJPRule = Callable[[Node, "dict[int, Node]"], Sequence["Node | None"]]

KINDS = ("elementwise", "reduce", "movement", "index", "contraction", "opaque", "random",
         "leaf")


@dataclass(frozen=True)
class Primitive:
    """Everything known about one primitive.

    kind: elementwise | reduce | movement | index | contraction | opaque | random | leaf
    (leaf: no array operands). Contraction and opaque primitives run as library calls;
    the others are fused into kernels.
    """

    name: str
    kind: str
    shape_rule: Callable[..., AbstractValue]
    numpy_impl: Callable[..., np.ndarray]
    #: reverse-mode rule; None with `differentiable` False means zero cotangents
    vjp: VJPRule | None = None
    #: False for piecewise-constant or integer-valued results: their cotangents are zero
    differentiable: bool = True
    simplify: SimplifyRule | None = None
    #: constant folding may evaluate it (off where a constant would bloat the program)
    foldable: bool = True
    #: NumPy can apply it to a buffer as a view of its operand (a movement)
    view: bool = False
    #: its value is its (only) operand's: no work at all (mark, stop_gradient)
    identity: bool = False
    #: costs many times a load: computed once and kept rather than recomputed (fusion)
    expensive: bool = False
    #: several results (the loops): one node per result, told apart by its `index`
    #: attribute, all computed by one application; the backward walk calls this rule once
    #: with every result's cotangent (`vjp` is the same rule for one result alone)
    results_vjp: ResultsVJPRule | None = None


PRIMITIVES: dict[str, Primitive] = {}


def define_primitive(name: str, kind: str, shape_rule: Callable[..., AbstractValue],
                     numpy_impl: Callable[..., np.ndarray], **facts: Any) -> Primitive:
    """Register a primitive with all its facts (see `Primitive`); names are unique.

    >>> define_primitive('my_op', 'opaque', lambda x: x, lambda x: x,
    ...                  vjp=lambda n, g: (g,))  # doctest: +SKIP
    """
    if name in PRIMITIVES:
        raise ParamError(f"primitive {name!r} is already defined")
    if kind not in KINDS:
        raise ParamError(f"primitive {name!r}: unknown kind {kind!r}; one of {KINDS}")
    prim = Primitive(name, kind, shape_rule, numpy_impl, **facts)
    if prim.vjp is None and prim.differentiable:
        raise ParamError(f"primitive {name!r} needs a vjp rule or differentiable=False")
    PRIMITIVES[name] = prim
    return prim


def apply(name: str, *inputs: Node, **attrs: Any) -> Node:
    """Build (or find) the node `name(*inputs, **attrs)`, simplified.

    >>> from mxjit.trace import var
    >>> x = var((3,), np.dtype('float32')); apply('exp', x).aval.shape
    (3,)
    """
    prim = PRIMITIVES[name]
    aval = prim.shape_rule(*(i.aval for i in inputs), **attrs)
    if prim.foldable:
        folded = fold_constants(prim.numpy_impl, inputs, attrs, aval)
        if folded is not None:
            return folded
    if prim.simplify is not None:
        simpler = prim.simplify(*inputs, aval, **attrs)
        if simpler is not None:
            return simpler
    return Node.make(name, tuple(inputs), attrs, aval)


def result_group(node: Node) -> tuple:
    """What the results of one application of a several-result primitive share (its op,
    inputs and attributes but `index`): nodes with equal groups are computed together.

    >>> from mxjit.trace import var
    >>> x = var((3,), np.dtype('float32'))
    >>> result_group(apply('exp', x))[0]
    'exp'
    """
    return (node.op, node.inputs, tuple(kv for kv in node.attrs if kv[0] != "index"))


def evaluate(node_op: str, arrays: list[np.ndarray], attrs: dict[str, Any]) -> np.ndarray:
    """The NumPy meaning of one primitive application.

    >>> evaluate('add', [np.ones(2), np.ones(2)], {})
    array([2., 2.])
    """
    return np.asarray(PRIMITIVES[node_op].numpy_impl(*arrays, **attrs))


# ---- nodes that gradient and simplification rules build ----------------------------------


def full_like(node: Node, value: float) -> Node:
    """`value` broadcast to `node`'s shape, in its dtype."""
    return apply("broadcast_to", const(np.asarray(value, node.dtype)), shape=node.shape)


def zeros_like(node: Node) -> Node:
    return full_like(node, 0)


def ones_like(node: Node) -> Node:
    return full_like(node, 1)
