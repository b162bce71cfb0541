"""The loops in a compiled program: one step per loop (`scan`, `while_loop`, `cond`) that
holds its body lowered once as a program of its own and runs it per iteration.

A scan's step reads each step's rows of its `xs` as views (no copy), hands the carries from
one run of the body to the next, and writes each step's outputs into rows of the stacked
results. The body is lowered for the results the graph asks for: a forward pass alone never
computes the values a backward pass would read. Body programs are kept by (body, results,
layouts), so a loop met again in another program (or an eager call) plans nothing, and
their kernels are cached like any (`cache.py`): a 1,000-step loop compiles what one step
compiles.

    >>> from mxjit.trace import var, apply
    >>> from mxjit.trace.control import make_body
    >>> c = var((), np.dtype('float32'))  # doctest: +SKIP
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..trace.control import Body, branch_index, scan_saved
from ..trace.graph import Node
from ..trace.simplify import scalar_of
from .emit import Layout
from .program import CALL_PLANNERS, FILL, CallStep, Program, _apply_views, lower_graph

#: Body programs by (body, outputs, input shapes): at most this many are kept.
MAX_BODY_PROGRAMS = 256
_bodies: OrderedDict[Any, Program] = OrderedDict()
_lock = threading.Lock()


def body_program(body: Body, outputs: Sequence[Node]) -> Program:
    """`outputs` of `body` (over its inputs, C-contiguous) lowered and compiled, once.

    >>> body_program(body, body.outputs).run(arrays)  # doctest: +SKIP
    """
    key = (body, tuple(outputs))
    with _lock:
        program = _bodies.get(key)
        if program is not None:
            _bodies.move_to_end(key)
            return program
    layouts = [Layout.contiguous(n.shape) for n in body.inputs]
    program = lower_graph(list(outputs), list(body.inputs), layouts)
    with _lock:
        _bodies[key] = program
        if len(_bodies) > MAX_BODY_PROGRAMS:
            _bodies.popitem(last=False)
    return program


def _operands(bufs: list[Any], args: list[tuple[int, list[Node]]]) -> list[np.ndarray]:
    """The step's operands, C-contiguous (what the body programs are compiled for)."""
    out = []
    for b, ops in args:
        if b == FILL:  # (a scalar broadcast: made here, never a kernel)
            out.append(np.full(ops[0].shape, scalar_of(ops[0]), ops[0].dtype))
            continue
        else:
            a = _apply_views(bufs[b], ops) if ops else bufs[b]
        out.append(a if a.flags.c_contiguous else np.ascontiguousarray(a))
    return out


def _fresh(a: np.ndarray, operands: list[np.ndarray]) -> np.ndarray:
    """`a` as a result of its own: a copy where it is (a view of) an operand or a constant
    (callers may write to results)."""
    if not a.flags.writeable or any(np.may_share_memory(a, o) for o in operands):
        return np.array(a, copy=True)
    return a


def _args_text(args: list[tuple[int, list[Node]]]) -> str:
    return ", ".join("fill" if b == FILL else f"buf{b}" for b, _ in args)


def _indent(program: Program) -> list[str]:
    return ["  " + line for line in program.plan_text]


class ScanStep(CallStep):
    """Runs a scan: see the module docstring."""

    def __init__(self, nodes: list[Node], args: list[tuple[int, list[Node]]], outs: list[int]):
        attrs = dict(nodes[0].attrs)
        body: Body = attrs["body"]
        self.nc, self.nx = attrs["n_carry"], attrs["n_xs"]
        self.length, self.reverse = attrs["length"], attrs["reverse"]
        self.args, self.outs = args, outs
        self.indices = [n.attr("index") for n in nodes]
        stacked = list(body.outputs[self.nc:])
        if max(self.indices) >= len(body.outputs):
            stacked += scan_saved(body, self.nc, self.nx)
        #: which stacked results the graph reads: their positions among the body's outputs
        self.stacked = sorted({i - self.nc for i in self.indices if i >= self.nc})
        self.shapes = [(self.length,) + stacked[j].shape for j in self.stacked]
        self.dtypes = [stacked[j].dtype for j in self.stacked]
        self.body = body_program(body, list(body.outputs[:self.nc])
                                 + [stacked[j] for j in self.stacked])

    def plan_text(self, outs: list[int]) -> list[str]:
        args = _args_text(self.args)
        results = ", ".join(f"buf{b}" for b in outs)
        way = "reversed " if self.reverse else ""
        return [f"  scan {way}x{self.length} ({args}) -> {results}; its body:"] + _indent(
            self.body)

    def run(self, bufs: list[Any]) -> None:
        operands = _operands(bufs, self.args)
        nc, nx = self.nc, self.nx
        carry, xs, consts = operands[:nc], operands[nc:nc + nx], operands[nc + nx:]
        stacks = [np.empty(s, d) for s, d in zip(self.shapes, self.dtypes)]
        run = self.body.run
        n = self.length
        for i in range(n):
            t = n - 1 - i if self.reverse else i
            outs = run(carry + [x[t, ...] for x in xs] + consts)
            carry = [c if c.flags.c_contiguous else np.ascontiguousarray(c) for c in outs[:nc]]
            for s, y in zip(stacks, outs[nc:]):
                s[t, ...] = y
        where = {j: s for j, s in zip(self.stacked, stacks)}
        for index, b in zip(self.indices, self.outs):
            bufs[b] = _fresh(carry[index], operands) if index < nc else where[index - nc]


class WhileStep(CallStep):
    """Runs a while loop: its condition program, then its body program, until the condition
    is false."""

    def __init__(self, nodes: list[Node], args: list[tuple[int, list[Node]]], outs: list[int]):
        cond: Body = nodes[0].attr("cond")
        body: Body = nodes[0].attr("body")
        self.nc = nodes[0].attr("n_carry")
        self.args, self.outs = args, outs
        self.indices = [n.attr("index") for n in nodes]
        self.cond = body_program(cond, list(cond.outputs))
        self.body = body_program(body, list(body.outputs))

    def plan_text(self, outs: list[int]) -> list[str]:
        args = _args_text(self.args)
        results = ", ".join(f"buf{b}" for b in outs)
        return ([f"  while_loop ({args}) -> {results}; its condition:"] + _indent(self.cond)
                + ["  its body:"] + _indent(self.body))

    def run(self, bufs: list[Any]) -> None:
        operands = _operands(bufs, self.args)
        carry, consts = operands[:self.nc], operands[self.nc:]
        while bool(self.cond.run(carry + consts)[0]):
            outs = self.body.run(carry + consts)
            carry = [c if c.flags.c_contiguous else np.ascontiguousarray(c) for c in outs]
        for index, b in zip(self.indices, self.outs):
            bufs[b] = _fresh(carry[index], operands)


class CondStep(CallStep):
    """Runs the branch its predicate picks (each branch a program, compiled once)."""

    def __init__(self, nodes: list[Node], args: list[tuple[int, list[Node]]], outs: list[int]):
        branches: tuple[Body, ...] = nodes[0].attr("branches")
        self.args, self.outs = args, outs
        self.indices = [n.attr("index") for n in nodes]
        self.branches = [body_program(b, [b.outputs[i] for i in self.indices])
                         for b in branches]

    def plan_text(self, outs: list[int]) -> list[str]:
        args = _args_text(self.args)
        results = ", ".join(f"buf{b}" for b in outs)
        text = [f"  cond ({args}) -> {results}"]
        for k, b in enumerate(self.branches):
            text += [f"  its branch {k}:"] + _indent(b)
        return text

    def run(self, bufs: list[Any]) -> None:
        operands = _operands(bufs, self.args)
        branch = self.branches[branch_index(operands[0], len(self.branches))]
        for b, y in zip(self.outs, branch.run(operands[1:])):
            bufs[b] = _fresh(y, operands)


def _planner(step: type[ScanStep] | type[WhileStep] | type[CondStep]) -> Any:
    def plan(nodes: list[Node], args: list[tuple[int, list[Node]]], outs: list[int]
             ) -> tuple[CallStep, list[str]]:
        made = step(nodes, args, outs)
        return made, made.plan_text(outs)

    return plan


CALL_PLANNERS.update(scan=_planner(ScanStep), while_loop=_planner(WhileStep),
                     cond=_planner(CondStep))
