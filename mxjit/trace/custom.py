"""`custom_derivative`: the identity on its first operand whose reverse-mode rule is a
Python object in its attributes, what `mx.custom_vjp`, `mx.custom_jvp` and `mx.checkpoint`
build on.

A node `custom_derivative(value, *operands, rule=r, index=k)` is worth `value` (output k of
a user's function, computed by ordinary primitives from the operands); its cotangent goes to
`operands` only, through `r.vjp(node, g)` (never into `value`'s own graph). The rule object
has that one method (`CustomRule`) and is compared by identity. The operands are inputs of
the node, so substituting or batching a graph carries them along. Lowering replaces each
such node by its value first (`without_custom_rules`): operands that only the rule reads
(residuals a backward pass would need) are then never computed by a forward program.

    >>> from mxjit.trace import var
    >>> x = var((2,), np.dtype('float32'))
    >>> y = apply('custom_derivative', apply('sin', x), x, rule=None, index=0)  # doctest: +SKIP
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from .graph import AbstractValue, Node, toposort
from .primitives import define_primitive


class CustomRule(Protocol):
    """The reverse-mode rule of a `custom_derivative` node."""

    def vjp(self, node: Node, g: Node) -> Sequence[Node | None]:
        """Cotangents of `node.inputs` (None for the value and for what gets none)."""


def _rule_vjp(n: Node, g: Node) -> Sequence[Node | None]:
    rule: CustomRule = n.attr("rule")
    return rule.vjp(n, g)


def _custom_rule_shape(value: AbstractValue, *operands: AbstractValue, rule: Any, index: int
                       ) -> AbstractValue:
    return value


def _custom_rule_numpy(value: np.ndarray, *operands: np.ndarray, rule: Any, index: int
                       ) -> np.ndarray:
    return value


define_primitive("custom_derivative", "opaque", _custom_rule_shape, _custom_rule_numpy,
                 vjp=_rule_vjp, foldable=False)


def without_custom_rules(outputs: Sequence[Node]) -> list[Node]:
    """The graph of `outputs` with every `custom_derivative` node replaced by its value (what
    lowering compiles: the rules matter to gradients only).

    >>> without_custom_rules([])
    []
    """
    order = toposort(list(outputs))
    if not any(n.op == "custom_derivative" for n in order):
        return list(outputs)
    new: dict[Node, Node] = {}
    for n in order:
        if n.op == "custom_derivative":
            new[n] = new[n.inputs[0]]
            continue
        inputs = tuple(new[i] for i in n.inputs)
        changed = any(a is not b for a, b in zip(inputs, n.inputs))
        new[n] = Node.make(n.op, inputs, dict(n.attrs), n.aval) if changed else n
    return [new[o] for o in outputs]
