"""What `hybridize()` turns a block's call into: `jit` over the whole block.

The jitted function takes every parameter of the block and its descendants as inputs
(bound to the traced values while the block's `forward` runs, see `parameter.bound`),
so an optimizer step changes no program. It returns the block's outputs, then the new
values of the parameters that the forward pass rebinds (BatchNorm's running statistics in
training mode); those are written back when a backward pass goes through the outputs,
which is when MXNet updates auxiliary states. Called while `autograd.record()` is on, the
jitted call is recorded as one operation, so the backward pass of the whole network is
one compiled program too.

A block whose trace needs values, not only shapes (a `ConcreteValueError`: `np.unique`,
`np.bincount`, `x[mask]`, `bool(x)`), cannot be one program: it runs eagerly for that
input signature, op by op with the same numbers as before `hybridize()` and gradients
through the autograd tape, as MXNet runs its dynamic-shape operators in a hybridized
block. The decision is kept per signature, so later calls neither trace nor fail again;
`MXJIT_LOG_COMPILES=1` logs it once with the reason. Its hybridized children, called
eagerly then, still compile on their own. Python code in `hybrid_forward` runs up to the
failing operation in the attempted trace, then again in full in the eager call: a side
effect there (a print, a counter) happens twice on the first call of a signature, then
once per call.

    >>> net.hybridize(); y = net(x)  # one compiled program per input signature  # doctest: +SKIP
"""
from __future__ import annotations

import inspect
from typing import Any

from .. import autograd
from ..base import ConcreteValueError, ParamError
from ..core import jit, tape
from ..core.array import Array
from ..core.jit import JitFunction, log_compile_event
from ..core.pytree import tree_leaves
from .parameter import Parameter, bound, probing


def _unique_params(block: Any) -> list[Parameter]:
    seen: dict[int, Parameter] = {}
    for p in block.collect_params().values():
        seen.setdefault(id(p), p)
    return list(seen.values())


def trace_once(block: Any, args: tuple) -> None:
    """Trace a call of `block` without running it, in predict mode: each descendant's
    first call sets its deferred parameter shapes and initialises them on the way.

    >>> trace_once(net, (mx.nd.ones((2, 3)),))  # doctest: +SKIP
    """
    def run(*xs: Any) -> Any:
        block._ensure_params(*xs)
        return block.forward(*xs)

    with autograd.pause(train_mode=False), probing():
        JitFunction(run).trace(args, {})


class HybridProgram:
    """The compiled form of one hybridized block (rebuilt when the block changes)."""

    def __init__(self, block: Any):
        self.block = block
        self.params: list[Parameter] | None = None
        #: The signatures (of the block's inputs) whose trace needed values: they run
        #: eagerly, see the module docstring.
        self.eager: set[Any] = set()

        def run(values: list[Any], *args: Any) -> Any:
            return self._run(values, *args)

        # (named after the block and its inputs, so MXJIT_LOG_COMPILES says which input of
        # which block made it trace again)
        try:
            names = [n for n in inspect.signature(block.forward).parameters if n != "args"]
        except (TypeError, ValueError):
            names = ["x"]
        run.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD)
             for n in ["params"] + names])
        self.fn = jit(run)
        self.fn.__name__ = f"{block.name} ({type(block).__name__})"

    def _run(self, values: list[Any], *args: Any) -> Any:
        assert self.params is not None
        nodes = [v._node for v in values]
        with bound(dict(zip(self.params, values))):
            out = self.block.forward(*args)
        changed = tuple(k for k, (v, n) in enumerate(zip(values, nodes)) if v._node is not n)
        return out, changed, [values[k] for k in changed]

    def _ready(self, args: tuple) -> list[Parameter]:
        if self.params is None:
            params = _unique_params(self.block)
            if any(p._data is None and p._deferred_init for p in params):
                trace_once(self.block, args)
            for p in params:
                if p._data is None:
                    p.data()  # (raises the error that says why it has no data)
            self.params = params
        return self.params

    def __call__(self, *args: Any) -> Any:
        if all_arrays(args):
            arrays = [a for a in args if a._data is not None]
        else:
            _check_inputs(args)
            arrays = [a for a in tree_leaves(args) if isinstance(a, Array) and
                      a._data is not None]
        _check_contexts(arrays)
        # (only a block that ran eagerly once pays for the look-up)
        if self.eager and self.fn.signature((), *args) in self.eager:
            return self._run_eagerly(args)
        try:
            return self._run_compiled(args, arrays[0].context if arrays else None)
        except ConcreteValueError as e:
            self.eager.add(self.fn.signature((), *args))
            log_compile_event(
                f"hybridize: {self.fn.__name__} runs eagerly, op by op, for inputs "
                f"{_describe(args)} in {'training' if tape.is_training() else 'predict'} "
                f"mode: tracing it needs values, not only shapes: {e}")
            return self._run_eagerly(args)

    def _run_eagerly(self, args: tuple) -> Any:
        """The block's call as if it were not hybridized (its hybridized children compile)."""
        self.block._ensure_params(*args)
        return self.block.forward(*args)

    def _run_compiled(self, args: tuple, ctx: Any) -> Any:
        params = self._ready(args)
        values = [p.data(ctx) for p in params]
        out, changed, new = self.fn(values, *args)
        if ctx is not None and ctx.device_type == "cpu" and ctx.device_id:
            for o in tree_leaves(out):  # (the results are on the inputs' CPU, as MXNet's)
                if isinstance(o, Array) and o._data is not None and o._ctx is None:
                    o._ctx = ctx
        if changed and tape.is_recording():
            self._write_back_on_backward(out, [params[k] for k in changed], new, ctx)
        return out

    @staticmethod
    def _write_back_on_backward(out: Any, params: list[Parameter], new: list[Any],
                                ctx: Any) -> None:
        head = next((o for o in tree_leaves(out) if isinstance(o, Array) and
                     o._rec is not None), None)
        if head is None:
            return

        def write() -> None:
            for p, value in zip(params, new):
                p.data(ctx)._buffer()[...] = value._buffer()

        tape.on_backward(head, write)


def all_arrays(args: tuple[Any, ...]) -> bool:
    """Whether every input is an array (no containers, symbols or None): what a block's
    call checks first, as nearly every call is so.

    >>> all_arrays((mx.nd.ones(2),)), all_arrays((mx.nd.ones(2), None))  # doctest: +SKIP
    (True, False)
    """
    for a in args:
        if not isinstance(a, Array):
            return False
    return True


def _describe(args: tuple) -> str:
    """The arrays among a call's inputs as `[(2, 3) float32, ...]`, for log lines."""
    return "[" + ", ".join(f"{a.shape} {a._dtype}" for a in tree_leaves(args)
                           if isinstance(a, Array)) + "]"


def _check_contexts(arrays: list[Any]) -> None:
    """MXNet's rule: a hybridized block's array inputs share one context (pinned CPU memory
    counts as the CPU's)."""
    if len(arrays) < 2:
        return
    found = {a.context for a in arrays}
    if len({(c.device_type.replace("cpu_pinned", "cpu"), c.device_id) for c in found}) > 1:
        # (MXNet's message, word for word)
        raise ParamError("Find multiple contexts in the input, After hybridized, the "
                         "HybridBlock only supports one input context. You can print the "
                         "ele.ctx in the input arguments to inspect their contexts. Find all "
                         f"contexts = {found}")


def _check_inputs(args: Any) -> None:
    """MXNet's rule for a hybridized block's inputs: arrays or None, nested in lists or
    tuples (a number would be baked into the compiled program as a traced scalar)."""
    if isinstance(args, Array) or args is None:
        return
    if not isinstance(args, (list, tuple)):
        # (MXNet's message, word for word)
        raise ParamError(f"When hybridized, the input of HybridBlock input must be (nested) "
                         f"list of Symbol or NDArray, but got {args} of type {type(args)}")
    for a in args:
        _check_inputs(a)
