"""`mx.nd.CachedOp`: a symbol called as a function of its inputs' arrays, as MXNet's
imperative runtime runs a graph (Gluon's hybridized blocks did so before `jit`). The graph
is one `jit` function, compiled once per input signature; under `autograd.record()` the
call is recorded as one operation, and auxiliary states (BatchNorm's moving statistics)
are written back as MXNet's CachedOp writes them.

    >>> op = mx.nd.CachedOp(mx.sym.var('x') * 2)  # doctest: +SKIP
    >>> op(mx.nd.ones(3))  # doctest: +SKIP
"""
from __future__ import annotations

from typing import Any

from ..base import ArgumentError, ShapeError
from ..core import jit
from .executor import evaluate_with_states, write_states
from .graph import topological


class CachedOp:
    """The symbol `sym` as a function of its `list_inputs()` arrays (MXNet's `CachedOp`;
    `flags` are MXNet's tuning options, accepted and ignored).

    >>> op = CachedOp(mx.sym.FullyConnected(mx.sym.var('x'), num_hidden=2))  # doctest: +SKIP
    >>> y = op(x, weight, bias)  # doctest: +SKIP
    """

    def __init__(self, sym: Any, flags: Any = ()) -> None:
        self._symbol = sym
        names = sym.list_inputs()
        variables = {n.name: n for n in topological(sym._outputs) if n.op is None}
        self._inputs = [variables[name] for name in names]
        aux = set(sym.list_auxiliary_states())
        self._aux_positions = [k for k, name in enumerate(names) if name in aux]
        self._function = jit(self._run)
        self._function.__name__ = f"CachedOp of {sym!r}"

    def _run(self, arrays: list[Any]) -> Any:
        outs, changed, new = evaluate_with_states(
            self._symbol._outputs, {id(n): a for n, a in zip(self._inputs, arrays)},
            [arrays[k] for k in self._aux_positions])
        return outs, [self._aux_positions[k] for k in changed], new

    def __call__(self, *args: Any, out: Any = None, default_ctx: Any = None) -> Any:
        if len(args) != len(self._inputs):
            raise ArgumentError(f"CachedOp: the symbol takes {len(self._inputs)} inputs "
                                f"({[n.name for n in self._inputs]}), got {len(args)}")
        outs, changed, new = self._function(list(args))
        if changed:
            write_states(outs[0], [args[k] for k in changed], new)
        if out is not None:
            sinks = list(out) if isinstance(out, (list, tuple)) else [out]
            if len(sinks) != len(outs):
                raise ArgumentError(f"CachedOp: out has {len(sinks)} arrays for "
                                    f"{len(outs)} outputs")
            for target, value in zip(sinks, outs):
                if tuple(target.shape) != tuple(value.shape):
                    raise ShapeError(f"CachedOp: out has shape {tuple(target.shape)}, the "
                                     f"output {tuple(value.shape)}")
                target[:] = value
            return out
        return outs[0] if len(outs) == 1 else list(outs)
