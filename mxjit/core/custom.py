"""Functions with derivative rules of their own: `custom_vjp`, `custom_jvp` and `checkpoint`
(alias `remat`), as in JAX.

Each wraps its function's outputs in `custom_derivative` nodes (`trace/custom.py`): the
identity on the output, whose operands are the function's arguments (and residuals), and
whose rule builds the cotangents of those operands when a backward pass reaches it:

- `custom_vjp`: the user's `bwd(residuals, cotangents)`;
- `custom_jvp`: the transpose of the user's JVP rule (traced with placeholder tangents, in
  which it is linear, then differentiated with respect to them);
- `checkpoint`: the backward pass of the function recomputed from its arguments (a copy of
  its graph over fresh identities of them, so nothing of the forward pass is read).

Forward mode goes through these rules too (it transposes reverse mode), and so does `vmap`
(the rule's cotangents are batched like any graph). Like the other transforms, a call on
concrete arrays is jit-compiled. Values the function closes over (rather than takes as
arguments) get no gradient through `custom_vjp` and `custom_jvp`; pass them as arguments.
"""
from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..base import ArgumentError, GradientError, ShapeError, UnsupportedError
from ..trace import Node, apply, backward, const, substitute, toposort, zeros_like
from ..trace.forward import fresh_mark, placeholder
from .pytree import flatten_arrays, tree_unflatten
from .transforms import _is_array, _node_of
from .vmap import Transform


def _leaves(tree: Any) -> tuple[list[Any], Any]:
    return flatten_arrays(tree, _is_array)


def _wrap_outputs(out: Any, operands: Sequence[Node], rule: Any, what: str) -> Any:
    """`out` with each floating-point array leaf k made `custom_derivative(leaf, *operands,
    rule=rule, index=k)`."""
    try:
        leaves, treedef = _leaves(out)
    except ArgumentError as e:
        raise ArgumentError(f"{what}: the function must return arrays or pytrees of arrays: "
                            f"{e}") from None
    wrapped = [
        o._result_class._traced(apply("custom_derivative", _node_of(o), *operands, rule=rule,
                                      index=k)) if o._dtype.kind == "f" else o
        for k, o in enumerate(leaves)]
    return tree_unflatten(treedef, wrapped)


def _bind_args(fun: Callable, args: tuple, kwargs: dict) -> tuple:
    """The arguments as positional ones (custom rules receive them positionally)."""
    if not kwargs:
        return args
    try:
        bound = inspect.signature(fun).bind(*args, **kwargs)
    except TypeError as e:
        raise ArgumentError(f"{getattr(fun, '__name__', 'function')}: {e}") from None
    bound.apply_defaults()
    return tuple(bound.arguments.values())


def _split_args(args: tuple, nondiff: tuple[int, ...]) -> tuple[tuple, tuple]:
    """(the arguments in `nondiff`, the others)."""
    return (tuple(a for k, a in enumerate(args) if k in nondiff),
            tuple(a for k, a in enumerate(args) if k not in nondiff))


def _merge_args(nondiff_values: tuple, diff_values: tuple, nondiff: tuple[int, ...]) -> tuple:
    fixed, free = iter(nondiff_values), iter(diff_values)
    return tuple(next(fixed) if k in nondiff else next(free)
                 for k in range(len(nondiff_values) + len(diff_values)))


def _cotangents_for(args: tuple, grads: Any, what: str) -> list[Node | None]:
    """The cotangent nodes of the array leaves of `args` from a user's rule's result, one
    entry per argument (None: zero; None too for non-float arrays)."""
    if not isinstance(grads, (tuple, list)) or len(grads) != len(args):
        raise GradientError(f"{what} must return a tuple with one cotangent per "
                            f"differentiable argument ({len(args)}), got {grads!r:.80}")
    out: list[Node | None] = []
    for k, (arg, grad) in enumerate(zip(args, grads)):
        leaves, _ = _leaves(arg)
        if grad is None:
            out.extend([None] * len(leaves))
            continue
        g_leaves, _ = flatten_arrays(grad, lambda x: _is_array(x) or x is None)
        if len(g_leaves) != len(leaves):
            raise GradientError(f"{what} returned {len(g_leaves)} cotangent arrays for "
                                f"argument {k}, which holds {len(leaves)}")
        for a, g in zip(leaves, g_leaves):
            if g is None or a._dtype.kind != "f":
                out.append(None)
                continue
            if tuple(g.shape) != tuple(a.shape):
                raise ShapeError(f"{what} returned a cotangent of shape {g.shape} for an "
                                 f"array of shape {a.shape} (argument {k})")
            out.append(apply("cast", _node_of(g), dtype=a._dtype))
    return out


class _Custom:
    """What custom_vjp and custom_jvp share: the wrapped function, its non-differentiable
    arguments and its compiled form for concrete arrays."""

    kind = "custom"

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = ()):
        if not callable(fun):
            raise ArgumentError(f"{self.kind}: expected a function, got {type(fun).__name__}")
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.__name__: str = getattr(fun, "__name__", "function")
        self._inside_rule = 0
        functools.update_wrapper(self, fun, updated=())  # (not its __dict__: a wrapped
        # jit or custom_vjp object would overwrite this one's own attributes with its own)
        self._compiled = Transform(self._traced, f"{self.kind}({getattr(fun, '__name__', 'f')})")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._inside_rule:  # (the function called by its own rule: its plain value)
            return self.fun(*args, **kwargs)
        self._check_defined()
        return self._compiled(*_bind_args(self.fun, args, kwargs))

    def _call_rule(self, rule: Callable, *args: Any) -> Any:
        """`rule(*args)`, during which calls of this function are calls of `fun`."""
        self._inside_rule += 1
        try:
            return rule(*args)
        finally:
            self._inside_rule -= 1

    def _check_defined(self) -> None:
        raise UnsupportedError(f"{self.kind} is defined by its subclasses")

    def _traced(self, *args: Any) -> Any:
        raise UnsupportedError(f"{self.kind} is defined by its subclasses")


class custom_vjp(_Custom):
    """A function whose reverse-mode derivative is given by hand: `f.defvjp(fwd, bwd)` with
    `fwd(*args) -> (output, residuals)` and `bwd(residuals, output_cotangent) -> a tuple with
    one cotangent per argument` (None for zero). Arguments in `nondiff_argnums` are passed
    to `bwd` first and get no cotangent. The output's value is `fwd`'s.

    >>> @mx.custom_vjp
    ... def clip_gradient(x): return x
    >>> clip_gradient.defvjp(lambda x: (x, None),
    ...                      lambda res, g: (mx.nd.clip(g, -1, 1),))  # doctest: +SKIP
    """

    kind = "custom_vjp"

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = ()):
        super().__init__(fun, nondiff_argnums)
        self.fwd: Callable | None = None
        self.bwd: Callable | None = None

    def defvjp(self, fwd: Callable, bwd: Callable) -> None:
        """Give the forward function (output and residuals) and the backward function.

        >>> f.defvjp(lambda x: (f(x), x), lambda x, g: (g * 2 * x,))  # doctest: +SKIP
        """
        if not callable(fwd) or not callable(bwd):
            raise ArgumentError("custom_vjp.defvjp: fwd and bwd must be functions")
        self.fwd, self.bwd = fwd, bwd

    def _check_defined(self) -> None:
        if self.fwd is None:
            raise GradientError(f"custom_vjp function {self.__name__} has no rule: call "
                                f"{self.__name__}.defvjp(fwd, bwd) before calling it")

    def _traced(self, *args: Any) -> Any:
        assert self.fwd is not None
        got = self._call_rule(self.fwd, *args)
        if not isinstance(got, tuple) or len(got) != 2:
            raise ArgumentError(f"custom_vjp: fwd of {self.__name__} must return a pair "
                                f"(output, residuals), got {type(got).__name__}")
        out, res = got
        nondiff, diff = _split_args(args, self.nondiff_argnums)
        arg_leaves, arg_def = _leaves(diff)
        res_leaves, res_def = _leaves(res)
        out_leaves, out_def = _leaves(out)
        rule = _VJPRule(self, nondiff, diff, res_leaves, res_def, out_leaves, out_def)
        operands = [_node_of(a) for a in arg_leaves] + [_node_of(r) for r in res_leaves]
        return _wrap_outputs(out, operands, rule, "custom_vjp")


class _VJPRule:
    """custom_vjp's rule: the user's bwd over the node's residual operands."""

    def __init__(self, owner: custom_vjp, nondiff: tuple, args: tuple, res_leaves: list[Any],
                 res_def: Any, out_leaves: list[Any], out_def: Any):
        self.owner, self.nondiff, self.args = owner, nondiff, args
        self.n_args = len(_leaves(args)[0])
        self.res_classes, self.res_def = [r._result_class for r in res_leaves], res_def
        self.outs = [(o._result_class, o.shape, o._dtype) for o in out_leaves]
        self.out_def = out_def

    def __repr__(self) -> str:
        return f"custom_vjp({self.owner.__name__})"

    def vjp(self, node: Node, g: Node) -> list[Node | None]:
        res_nodes = node.inputs[1 + self.n_args:]
        res = tree_unflatten(self.res_def, [c._traced(r) for c, r in
                                            zip(self.res_classes, res_nodes)])
        index = node.attr("index")
        cts = [cls._traced(g if k == index else _zeros(shape, dtype))
               for k, (cls, shape, dtype) in enumerate(self.outs)]
        assert self.owner.bwd is not None
        grads = self.owner._call_rule(self.owner.bwd, *self.nondiff, res,
                                      tree_unflatten(self.out_def, cts))
        arg_cts = _cotangents_for(self.args, grads, f"custom_vjp: bwd of {self.owner.__name__}")
        return [None, *arg_cts] + [None] * len(res_nodes)


def _zeros(shape: tuple[int, ...], dtype: Any) -> Node:
    return apply("broadcast_to", const(np.asarray(0, dtype)), shape=tuple(shape))


class custom_jvp(_Custom):
    """A function whose forward-mode derivative is given by hand: `f.defjvp(rule)` with
    `rule(primals, tangents) -> (output, output_tangent)`, linear in the tangents. Reverse
    mode transposes the rule. Arguments in `nondiff_argnums` are passed to the rule first.

    >>> @mx.custom_jvp
    ... def log1pexp(x): return mx.nd.log(1 + mx.nd.exp(x))
    >>> @log1pexp.defjvp
    ... def rule(primals, tangents):
    ...     x, = primals; t, = tangents
    ...     return log1pexp(x), t * mx.nd.sigmoid(x)  # doctest: +SKIP
    """

    kind = "custom_jvp"

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = ()):
        super().__init__(fun, nondiff_argnums)
        self.jvp: Callable | None = None

    def defjvp(self, jvp: Callable) -> Callable:
        """Give the JVP rule; returns it (so it can decorate it).

        >>> f.defjvp(lambda primals, tangents: (f(*primals), 2 * tangents[0]))  # doctest: +SKIP
        """
        if not callable(jvp):
            raise ArgumentError("custom_jvp.defjvp: the rule must be a function")
        self.jvp = jvp
        return jvp

    def _check_defined(self) -> None:
        if self.jvp is None:
            raise GradientError(f"custom_jvp function {self.__name__} has no rule: call "
                                f"{self.__name__}.defjvp(rule) before calling it")

    def _traced(self, *args: Any) -> Any:
        out = self.fun(*args)
        nondiff, diff = _split_args(args, self.nondiff_argnums)
        arg_leaves, arg_def = _leaves(diff)
        out_leaves, out_def = _leaves(out)
        rule = _JVPRule(self, nondiff, arg_leaves, arg_def, len(out_leaves), out_def)
        return _wrap_outputs(out, [_node_of(a) for a in arg_leaves], rule, "custom_jvp")


class _JVPRule:
    """custom_jvp's reverse-mode rule: the transpose of the user's JVP rule."""

    def __init__(self, owner: custom_jvp, nondiff: tuple, arg_leaves: list[Any], arg_def: Any,
                 n_out: int, out_def: Any):
        self.owner, self.nondiff = owner, nondiff
        self.classes = [a._result_class for a in arg_leaves]
        self.arg_def, self.n_out, self.out_def = arg_def, n_out, out_def

    def __repr__(self) -> str:
        return f"custom_jvp({self.owner.__name__})"

    def vjp(self, node: Node, g: Node) -> list[Node | None]:
        primals = node.inputs[1:]
        tangents = [placeholder(p, "tangent") if p.dtype.kind == "f" else zeros_like(p)
                    for p in primals]
        wrap = lambda nodes: tuple(tree_unflatten(  # noqa: E731
            self.arg_def, [c._traced(n) for c, n in zip(self.classes, nodes)]))
        assert self.owner.jvp is not None
        got = self.owner._call_rule(self.owner.jvp, *self.nondiff, wrap(primals),
                                    wrap(tangents))
        name = f"custom_jvp: the rule of {self.owner.__name__}"
        if not isinstance(got, tuple) or len(got) != 2:
            raise GradientError(f"{name} must return a pair (output, output tangent)")
        t_leaves, t_def = _leaves(got[1])
        if t_def != self.out_def:
            raise GradientError(f"{name} returned a tangent of another structure than the "
                                "output")
        t_out = _node_of(t_leaves[node.attr("index")])
        if t_out.shape != g.shape:
            raise ShapeError(f"{name} returned a tangent of shape {t_out.shape} for an "
                             f"output of shape {g.shape}")
        floats = [t for t, p in zip(tangents, primals) if p.dtype.kind == "f"]
        cts = iter(backward([apply("cast", t_out, dtype=g.dtype)], [g], floats))
        return [None] + [next(cts) if p.dtype.kind == "f" else None for p in primals]


# ---- checkpoint --------------------------------------------------------------------------------


class _RematRule:
    """checkpoint's rule: the function's graph (`outputs` over `inputs`) copied over fresh
    identities of the node's operands, and differentiated there."""

    def __init__(self, name: str, inputs: list[Node], outputs: list[Node]):
        self.name, self.inputs, self.outputs = name, inputs, outputs
        self._copies: dict[tuple[Node, ...], tuple[list[Node], list[Node]]] = {}

    def __repr__(self) -> str:
        return f"checkpoint({self.name})"

    def vjp(self, node: Node, g: Node) -> list[Node | None]:
        operands = tuple(node.inputs[1:])
        copy = self._copies.get(operands)
        if copy is None:  # (one copy per graph: each output's rule shares it)
            fresh = [fresh_mark(x, "remat") for x in operands]
            copy = self._copies[operands] = (
                fresh, substitute(self.outputs, dict(zip(self.inputs, fresh))))
        fresh, recomputed = copy
        floats = [f for f in fresh if f.dtype.kind == "f"]
        cts = iter(backward([recomputed[node.attr("index")]], [g], floats))
        return [None] + [next(cts) if f.dtype.kind == "f" else None for f in fresh]


def _free_inputs(outputs: list[Node], args: list[Node]) -> list[Node]:
    """The floating-point values a function's graph reads besides its arguments (what it
    closes over): inputs of its nodes that depend on an argument, and outputs that depend
    on none."""
    arg_set = set(args)
    order = toposort(outputs, stop=arg_set)
    inner = set(args)
    for n in order:
        if n not in inner and any(i in inner for i in n.inputs):
            inner.add(n)
    found: dict[Node, None] = {}
    for n in order:
        if n in inner and n not in arg_set:
            for i in n.inputs:
                if i not in inner and i.op != "const" and i.dtype.kind == "f":
                    found[i] = None
    for o in outputs:
        if o not in inner and o.op != "const" and o.dtype.kind == "f":
            found[o] = None
    return list(found)


def _traced_checkpoint(fun: Callable, args: tuple, kwargs: dict) -> Any:
    leaves, _ = _leaves((args, kwargs))
    arg_nodes = [_node_of(a) for a in leaves]
    out = fun(*args, **kwargs)
    try:
        out_leaves, _ = _leaves(out)
    except ArgumentError as e:
        raise ArgumentError(f"checkpoint: the function must return arrays or pytrees of "
                            f"arrays: {e}") from None
    out_nodes = [_node_of(o) for o in out_leaves]
    operands = list(dict.fromkeys(arg_nodes)) + [
        n for n in _free_inputs(out_nodes, arg_nodes) if n not in set(arg_nodes)]
    rule = _RematRule(getattr(fun, "__name__", "f"), operands, out_nodes)
    return _wrap_outputs(out, operands, rule, "checkpoint")


def checkpoint(fun: Callable) -> Callable[..., Any]:
    """`fun` whose backward pass recomputes its forward pass from its arguments instead of
    reading the values the forward pass computed (less memory for more arithmetic); the
    values and gradients are `fun`'s. Alias: `mx.remat`.

    >>> block = mx.checkpoint(lambda w, x: mx.nd.tanh(mx.nd.dot(x, w)))  # doctest: +SKIP
    >>> mx.grad(lambda w, x: block(w, x).sum())(w, x)  # doctest: +SKIP
    """
    if not callable(fun):
        raise ArgumentError(f"checkpoint: expected a function, got {type(fun).__name__}")

    def traced(*args: Any, **kwargs: Any) -> Any:
        return _traced_checkpoint(fun, args, kwargs)

    transform = Transform(traced, f"checkpoint({getattr(fun, '__name__', 'f')})")
    functools.update_wrapper(transform, fun, updated=())  # (see custom_vjp)
    return transform


remat = checkpoint
