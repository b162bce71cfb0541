"""Forward mode from reverse mode: Jacobian-vector products by transposing the backward
pass (the "double vjp").

The backward pass of a graph at a cotangent u, `u -> J^T u`, is linear in u; its own
backward pass, at a tangent t, is `t -> J t`. So with u a placeholder node (a `mark` of
zeros, which no simplification sees through), `backward(backward(outputs, u, inputs), t, u)`
is the forward-mode derivative, built from the vjp rules every differentiable primitive has
already (and simplified as it is built: what it keeps of u multiplies by zero). No
primitive needs a rule of its own for forward mode.

    >>> from mxjit.trace import var
    >>> x = var((3,), np.dtype('float32'))
    >>> jvp([apply('sin', x)], [x], [apply('cos', x)])[0].shape
    (3,)
"""
from __future__ import annotations

import itertools
from collections.abc import Sequence

from ..base import ShapeError
from .grad import backward
from .graph import Node
from .primitives import apply, zeros_like

_ids = itertools.count()


def fresh_mark(node: Node, tag: str) -> Node:
    """An identity of `node` distinct from every other node (its id is `(tag, n)`: apart from
    the integer ids of `mx.grad`'s marks)."""
    return apply("mark", node, id=(tag, next(_ids)))


def placeholder(like: Node, tag: str) -> Node:
    """A node of `like`'s shape and dtype that a graph can be built over and differentiated
    against, worth zero when it is computed."""
    return fresh_mark(zeros_like(like), tag)


def jvp(outputs: Sequence[Node], inputs: Sequence[Node], tangents: Sequence[Node]
        ) -> list[Node]:
    """The tangents of `outputs` when `inputs` move along `tangents` (J t). Outputs that are
    not floating-point, or depend on no input, get zero tangents; inputs that are not
    floating-point carry none.

    >>> from mxjit.trace import var
    >>> x = var((2,), np.dtype('float32')); t = var((2,), np.dtype('float32'))
    >>> jvp([apply('mul', x, x)], [x], [t])[0].op  # doctest: +SKIP
    'mul'
    """
    for x, t in zip(inputs, tangents):
        if x.shape != t.shape:
            raise ShapeError(f"jvp: a tangent of shape {t.shape} for a primal of shape "
                             f"{x.shape}")
    pairs = [(x, apply("cast", t, dtype=x.dtype)) for x, t in zip(inputs, tangents)
             if x.dtype.kind == "f"]
    floats = [o for o in outputs if o.dtype.kind == "f"]
    if not pairs or not floats:
        return [zeros_like(o) for o in outputs]
    us = [placeholder(o, "cotangent") for o in floats]
    cts = backward(floats, us, [x for x, _ in pairs])
    tangent_outs = iter(backward(cts, [t for _, t in pairs], us))
    return [next(tangent_outs) if o.dtype.kind == "f" else zeros_like(o) for o in outputs]

