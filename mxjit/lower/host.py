"""The host calls in a compiled program (`trace/host.py`): one step per application that
runs its Python function once and hands each result to its buffer.

A `host_call` step runs `fn.forward`; a `host_vjp` step runs `fn.backward` once for every
operand cotangent the graph reads (the others are not asked for: MXNet's 'null' request).
Results are checked against the shapes and dtypes the graph was planned with before any is
stored, and copied where they share memory with an operand.

    >>> from mxjit.trace import var, apply  # doctest: +SKIP
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..base import UnsupportedError
from ..trace.graph import Node
from ..trace.host import check_results, host_backward
from ..trace.simplify import scalar_of
from .program import CALL_PLANNERS, FILL, CallStep, _apply_views


def _operands(bufs: list[Any], args: list[tuple[int, list[Node]]]) -> list[np.ndarray]:
    out = []
    for b, ops in args:
        if b == FILL:  # (a scalar broadcast the planner did not materialise)
            out.append(np.full(ops[0].shape, scalar_of(ops[0]), ops[0].dtype))
        else:
            out.append(_apply_views(bufs[b], ops) if ops else bufs[b])
    return out


def _memory(a: Any) -> Any:
    while getattr(a, "base", None) is not None:
        a = a.base
    return a


def _own(a: np.ndarray, operands: list[np.ndarray]) -> np.ndarray:
    """`a` as a buffer of its own (callers may write to results): copied where it is (a
    view of) an operand's memory (a user's function may return its argument)."""
    memory = _memory(a)
    if not a.flags.writeable or any(_memory(o) is memory for o in operands):
        return np.array(a, copy=True)
    return np.ascontiguousarray(a)


class HostStep(CallStep):
    """One application of `host_call` or `host_vjp`, for the results the graph reads."""

    def __init__(self, nodes: list[Node], args: list[tuple[int, list[Node]]], outs: list[int]):
        first = nodes[0]
        self.name = first.op
        self.host, self.avals = first.attr("fn"), first.attr("avals")
        self.attrs = {}
        self.args, self.outs = args, outs
        self.indices = [n.attr("index") for n in nodes]

    def plan_text(self) -> list[str]:
        args = ", ".join("fill" if b == FILL else f"buf{b}" for b, _ in self.args)
        return [f"  host {self.name} {self.host.name}({args}) -> "
                f"{', '.join(f'buf{b}' for b in self.outs)}"]

    def fn(self, *arrays: Any) -> Any:  # (what a GPU runs of a library step)
        raise UnsupportedError(f"{self.host.name}: host calls (custom operators, "
                               "autograd.Function) run on CPU arrays only for now")

    def run(self, bufs: list[Any]) -> None:
        operands = _operands(bufs, self.args)
        results: list[Any]
        if self.name == "host_call":
            results = check_results(self.host, "forward", self.host.forward(operands), self.avals,
                                    getattr(self.host, "output_names", None))
        else:
            results = host_backward(self.host, operands, self.avals, self.indices)
        for index, b in zip(self.indices, self.outs):
            bufs[b] = _own(results[index], operands)


def _plan(nodes: list[Node], args: list[tuple[int, list[Node]]], outs: list[int]
          ) -> tuple[CallStep, list[str]]:
    step = HostStep(nodes, args, outs)
    return step, step.plan_text()


CALL_PLANNERS.update(host_call=_plan, host_vjp=_plan)
