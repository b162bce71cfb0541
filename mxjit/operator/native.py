"""Native operators: one declaration of an operator by its formula, written with mx.nd
operators (or Python arithmetic) over its arrays, and optionally its gradient; it becomes
an operator of the table (`mx.nd.<name>`, `mx.sym.<name>`, symbol JSON) like a built-in.

Unlike a `CustomOp`, which runs as an opaque host call, a native operator is its formula's
primitives, so it fuses with its neighbours into kernels, renders for the CPU and CUDA
backends, and differentiates to any order: its gradient is derived from the formula, or,
when `grad` is given, is that function (through `custom_vjp`: its primitives fuse and
differentiate again too). The formula's parameters with defaults are the operator's scalar
parameters (floats, written in symbol JSON as MXNet writes them); the others are its inputs.

    >>> @mx.operator.define('scaled_softsign')  # doctest: +SKIP
    ... def scaled_softsign(data, scale=1.0):
    ...     return scale * data / (1 + mx.nd.abs(data))
    >>> mx.nd.scaled_softsign(mx.nd.array([1, -3]), scale=2)  # doctest: +SKIP
"""
from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from .. import nd
from .. import symbol as sym
from ..base import ArgumentError, ParamError
from ..core import custom_vjp, jit
from ..core.operators import OPERATORS, lookup, make_function, register_operator
from ..nd.ndarray import finish
from ..symbol.namespace import make_function as make_symbol_function

F = TypeVar("F", bound=Callable[..., Any])


def _with_gradient(name: str, formula: Callable[..., Any], grad: Callable[..., Any],
                   n_inputs: int, params: tuple[tuple[str, Any], ...]) -> custom_vjp:
    """`formula` over its inputs with the scalar parameters `params` fixed, whose vjp is
    `grad(*inputs, out, out_grad, **params)` (one gradient per input)."""
    kwargs = dict(params)

    def value(*arrays: Any) -> Any:
        return formula(*arrays, **kwargs)

    def fwd(*arrays: Any) -> Any:
        out = formula(*arrays, **kwargs)
        return out, (arrays, out)

    def bwd(res: Any, g: Any) -> tuple:
        arrays, out = res
        got = grad(*arrays, out, g, **kwargs)
        got = got if isinstance(got, (tuple, list)) else (got,)
        if len(got) != n_inputs:
            raise ArgumentError(f"{name}: its gradient returned {len(got)} arrays for "
                                f"{n_inputs} inputs")
        return tuple(got)

    rule = custom_vjp(value)
    rule.defvjp(fwd, bwd)
    return rule


def define(name: str, grad: Callable[..., Any] | None = None) -> Callable[[F], F]:
    """Declare the operator `name` by its formula (the decorated function of its inputs,
    then its scalar parameters with their defaults), with the gradient derived from it, or
    `grad(*inputs, out, out_grad, **params)` returning one gradient per input. The operator
    is added to `mx.nd` and `mx.sym` (MXNet's signature: inputs, parameters, `out=`,
    `name=`) and to the operator table (symbol JSON). Returns the formula unchanged.

    >>> @mx.operator.define('softsign2')  # doctest: +SKIP
    ... def softsign2(data): return data / (1 + mx.nd.abs(data))
    """
    def decorate(formula: F) -> F:
        if name in OPERATORS or hasattr(nd, name):
            raise ParamError(f"define: an operator named {name!r} exists already")
        sig = inspect.signature(formula)
        inputs = tuple(n for n, p in sig.parameters.items() if p.default is p.empty)
        params = [n for n in sig.parameters if n not in inputs]
        if not inputs or list(sig.parameters)[:len(inputs)] != list(inputs):
            raise ParamError(f"define({name!r}): the formula's inputs (parameters without "
                             f"defaults) must come first and there must be one, got {sig}")
        # (eagerly too, the formula runs as one compiled program: its kernels fused)
        fused = jit(formula, static_argnames=tuple(params))
        rules: Callable[..., custom_vjp] | None = None
        if grad is not None:
            rules = functools.lru_cache(maxsize=64)(
                lambda ps: _with_gradient(name, formula, grad, len(inputs), ps))

        def impl(*args: Any, **kwargs: Any) -> Any:
            if rules is None:
                return fused(*args, **kwargs)
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            arrays = [bound.arguments[n] for n in inputs]
            return rules(tuple((p, float(bound.arguments[p])) for p in params))(*arrays)

        impl.__signature__ = sig  # type: ignore[attr-defined]
        impl.__doc__ = formula.__doc__ or f"The native operator {name}."
        impl.__name__ = impl.__qualname__ = name
        register_operator(name, inputs=inputs, kinds={p: "float" for p in params})(impl)
        _publish(name)
        return formula

    return decorate


def _publish(name: str) -> None:
    """Add the operator's functions to mx.nd and mx.sym (their namespaces were generated
    from the table when they were imported)."""
    op = lookup(name)
    for module, function in ((nd, make_function(op, name, finish, "NDArray", "mxjit.nd")),
                             (sym, make_symbol_function(op, name))):
        setattr(module, name, function)
        module.__all__ = sorted({*module.__all__, name})  # type: ignore
