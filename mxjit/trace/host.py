"""Host calls: Python code that a compiled program runs as one opaque step.

`host_call(*operands, fn=f, index=k, avals=results)` is result k of `f.forward(operands)`,
a Python function of NumPy arrays (a user's `CustomOp`, an `autograd.Function`) whose result
shapes and dtypes (`avals`) are known before it runs, so the rest of the graph is planned,
fused and compiled around it. Its gradient is `host_vjp(*operands, *results, *cotangents,
fn=f, index=i, avals=operand avals)`: cotangent i of `f.backward(operands, results,
cotangents)`. Both have one node per result (told apart by `index`, as the loops' results)
and `lower` runs each application once for all its results (`lower/host.py`). `fn` is
compared by identity; its `name` is what error messages call it.

    >>> from mxjit.trace import var  # doctest: +SKIP
    >>> y = apply('host_call', var((2,), np.dtype('float32')), fn=f, index=0,
    ...           avals=(AbstractValue((2,), np.dtype('float32')),))  # doctest: +SKIP
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from ..base import GradientError, ShapeError
from .graph import AbstractValue, Node
from .primitives import apply, define_primitive, zeros_like


class HostFunction(Protocol):
    """What a host call runs: a forward over NumPy arrays and its backward."""

    name: str

    def forward(self, operands: Sequence[np.ndarray]) -> list[np.ndarray]:
        """The results, as many as the call's `avals`, of those shapes and dtypes."""

    def backward(self, operands: Sequence[np.ndarray], results: Sequence[np.ndarray],
                 cotangents: Sequence[np.ndarray], wanted: Sequence[int]
                 ) -> list[np.ndarray | None]:
        """The cotangent of each operand (`wanted`: the positions whose are needed)."""


def check_results(fn: Any, what: str, got: Sequence[Any], avals: Sequence[AbstractValue],
                  names: Sequence[str] | None = None) -> list[np.ndarray]:
    """`got` as arrays of the promised shapes and dtypes, or a `ShapeError` that names the
    host function and the result (by `names` where given).

    >>> aval = AbstractValue((2,), np.dtype('f8'))  # doctest: +SKIP
    >>> check_results(f, 'forward', [np.ones(2)], [aval])  # doctest: +SKIP
    """
    if len(got) != len(avals):
        raise ShapeError(f"{fn.name}: {what} gave {len(got)} arrays, expected {len(avals)}")
    out = []
    for k, (g, a) in enumerate(zip(got, avals)):
        label = names[k] if names else str(k)
        g = np.asarray(g)
        if g.shape != a.shape:
            raise ShapeError(f"{fn.name}: {what} wrote {label!r} with shape {g.shape}, but its "
                             f"shape is {a.shape} (from infer_shape)")
        out.append(g if g.dtype == a.dtype else g.astype(a.dtype))
    return out


def _call_shape(*operands: AbstractValue, fn: Any, index: int, avals: tuple) -> AbstractValue:
    return avals[index]  # type: ignore[no-any-return]


def _call_numpy(*operands: np.ndarray, fn: Any, index: int, avals: tuple) -> np.ndarray:
    return check_results(fn, "forward", fn.forward(operands), avals)[index]


def _call_results_vjp(n: Node, cts: dict[int, Node]) -> list[Node]:
    fn, avals = n.attr("fn"), n.attr("avals")
    results = [apply("host_call", *n.inputs, fn=fn, index=k, avals=avals)
               for k in range(len(avals))]
    full = [cts.get(k) or zeros_like(r) for k, r in enumerate(results)]
    operand_avals = tuple(i.aval for i in n.inputs)
    return [apply("host_vjp", *n.inputs, *results, *full, fn=fn, index=k, avals=operand_avals)
            for k in range(len(n.inputs))]


def _vjp_shape(*operands: AbstractValue, fn: Any, index: int, avals: tuple) -> AbstractValue:
    return avals[index]  # type: ignore[no-any-return]


def vjp_operands(arrays: Sequence[np.ndarray], avals: tuple) -> tuple[list, list, list]:
    """(operands, results, cotangents) of a `host_vjp` application's arrays."""
    n = len(avals)
    m = (len(arrays) - n) // 2
    return list(arrays[:n]), list(arrays[n:n + m]), list(arrays[n + m:])


def host_backward(fn: Any, arrays: Sequence[np.ndarray], avals: tuple, wanted: Sequence[int]
                  ) -> list[np.ndarray | None]:
    """The cotangents `fn.backward` gives for the operands in `wanted` (checked)."""
    operands, results, cts = vjp_operands(arrays, avals)
    got = list(fn.backward(operands, results, cts, wanted))
    if len(got) != len(avals):
        raise ShapeError(f"{fn.name}: backward gave {len(got)} gradients for {len(avals)} "
                         f"inputs")
    names = getattr(fn, "input_names", None)
    for k in wanted:
        got[k] = check_results(fn, "backward", [got[k]], [avals[k]],
                               [f"in_grad of {names[k]}" if names else f"in_grad {k}"])[0]
    return got


def _vjp_numpy(*arrays: np.ndarray, fn: Any, index: int, avals: tuple) -> np.ndarray:
    return host_backward(fn, arrays, avals, [index])[index]  # type: ignore[return-value]


def _no_second_order(n: Node, cts: Any) -> list[Node]:
    raise GradientError(f"the backward of {n.attr('fn').name} (a host call: a custom "
                        "operator or autograd.Function) cannot be differentiated again")


define_primitive("host_call", "opaque", _call_shape, _call_numpy, foldable=False,
                 vjp=lambda n, g: _call_results_vjp(n, {n.attr("index"): g}),
                 results_vjp=_call_results_vjp)
define_primitive("host_vjp", "opaque", _vjp_shape, _vjp_numpy, foldable=False,
                 vjp=_no_second_order, results_vjp=_no_second_order)
