"""Functional transforms over `trace/grad.py`: `grad`, `value_and_grad` and `vjp`, as in JAX.

On concrete arrays a transform is jit-compiled (forward and backward fused into kernels,
cached per signature); on traced arrays (inside `jit` or another transform) it adds its
backward graph to the enclosing trace, which is what makes `grad(grad(f))`, `jit(grad(f))`
and `grad(jit(f))` work.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

from ..base import GradientError, ParamError, ShapeError
from ..trace import Node, apply, backward, const, ones_like
from .array import Array, default_array_class
from .jit import JitFunction, is_leaf, jit
from .pytree import flatten_arrays, tree_unflatten

_mark_ids = itertools.count()


def _is_array(x: Any) -> bool:
    return isinstance(x, Array)


def _any_traced(tree: Any) -> bool:
    leaves, _ = flatten_arrays(tree, is_leaf)
    return any(isinstance(a, Array) and a._node is not None for a in leaves)


def _as_arrays(tree: Any) -> Any:
    """`tree` with its NumPy arrays as arrays of the default class (Python numbers stay
    numbers: inside a trace they are literals)."""
    leaves, treedef = flatten_arrays(tree, is_leaf)
    wrap = default_array_class()._wrap
    return tree_unflatten(treedef, [x if isinstance(x, Array) or type(x) in (int, float)
                                    else wrap(x) for x in leaves])


def _node_of(a: Any) -> Node:
    return a._node if a._node is not None else const(a._buffer())


def _mark(tree: Any, where: str) -> tuple[Any, list[Node]]:
    """Fresh identity nodes for the arrays of `tree`: what the gradient is taken against."""
    leaves, treedef = flatten_arrays(tree, _is_array)
    marks = []
    if not leaves:
        raise GradientError(
            f"grad: {where} is a {type(tree).__name__}, which holds no array: gradients are "
            "taken with respect to arrays (pass e.g. mx.nd.array([3.0]), or leave it out of "
            "argnums)")
    for k, a in enumerate(leaves):
        if a._dtype.kind != "f":
            raise GradientError(f"grad: {where}{'' if len(leaves) == 1 else f' (array {k})'} has "
                                f"dtype {a._dtype}; gradients need floating-point inputs")
        marks.append(apply("mark", _node_of(a), id=next(_mark_ids)))
    return tree_unflatten(treedef, [a._result_class._traced(m)
                                    for a, m in zip(leaves, marks)]), marks


def _normalize_argnums(argnums: int | Sequence[int], nargs: int) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for k in nums:
        if not -nargs <= k < nargs:
            raise ParamError(f"grad: argnums {argnums} out of range for {nargs} arguments")
    return tuple(k % nargs for k in nums)


def _traced_value_and_grad(fun: Callable, argnums: int | Sequence[int], has_aux: bool,
                           args: tuple, kwargs: dict) -> tuple[Any, Any]:
    nums = _normalize_argnums(argnums, len(args))
    new_args, marks_per_arg = list(args), []
    for k in nums:
        new_args[k], marks = _mark(args[k], f"argument {k}")
        marks_per_arg.append(marks)
    result = fun(*new_args, **kwargs)
    out, aux = result if has_aux else (result, None)
    if not isinstance(out, Array) or out.size != 1:
        shape = getattr(out, "shape", type(out).__name__)
        raise GradientError(f"grad: the function must return one array of size 1 (a scalar "
                            f"loss), got {shape}; use mx.vjp for other outputs")
    if out._dtype.kind != "f":
        raise GradientError(f"grad: the output has dtype {out._dtype}; it must be floating-point")
    out_node = _node_of(out)
    flat = [m for ms in marks_per_arg for m in ms]
    grads = iter(backward([out_node], [ones_like(out_node)], flat))
    per_arg = []
    for k in nums:
        leaves, treedef = flatten_arrays(args[k], _is_array)
        per_arg.append(tree_unflatten(treedef, [a._result_class._traced(next(grads))
                                                for a in leaves]))
    g = per_arg[0] if isinstance(argnums, int) else tuple(per_arg)
    value = (out, aux) if has_aux else out
    return value, g


class _Transform:
    """A function of arrays that traces itself inside traces and jit-compiles otherwise."""

    def __init__(self, traced: Callable[..., Any], name: str):
        self._traced = traced
        self._compiled: JitFunction = jit(traced)
        self.__name__ = name

    def __repr__(self) -> str:
        return f"<{self.__name__}: {len(self._compiled._cache)} signature(s) compiled>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if _any_traced((list(args), kwargs)):
            return self._traced(*_as_arrays(args), **_as_arrays(kwargs))
        return self._compiled(*args, **kwargs)

    def lower(self, *args: Any, **kwargs: Any) -> Any:
        return self._compiled.lower(*args, **kwargs)


def value_and_grad(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False
                   ) -> Callable[..., Any]:
    """A function returning `(fun(*args), gradient of fun w.r.t. args[argnums])`.

    >>> loss, g = mx.value_and_grad(lambda x: (x * x).sum())(mx.nd.array([3.0]))  # doctest: +SKIP
    """
    def traced(*args: Any, **kwargs: Any) -> Any:
        return _traced_value_and_grad(fun, argnums, has_aux, args, kwargs)

    return _Transform(traced, f"value_and_grad({getattr(fun, '__name__', 'f')})")


def grad(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False
         ) -> Callable[..., Any]:
    """The gradient of a scalar-valued `fun` w.r.t. `args[argnums]` (arrays or pytrees of them).

    >>> mx.grad(lambda x: (x * x).sum())(mx.nd.array([3.0]))  # doctest: +SKIP
    """
    def traced(*args: Any, **kwargs: Any) -> Any:
        (value, g) = _traced_value_and_grad(fun, argnums, has_aux, args, kwargs)
        return (g, value[1]) if has_aux else g

    return _Transform(traced, f"grad({getattr(fun, '__name__', 'f')})")


def vjp(fun: Callable, *primals: Any) -> tuple[Any, Callable[[Any], tuple]]:
    """`(fun(*primals), vjp_fn)`; `vjp_fn(cotangent)` gives the cotangents of the primals.

    >>> y, back = mx.vjp(lambda x: x * 2, mx.nd.array([1.0]))  # doctest: +SKIP
    >>> back(mx.nd.array([1.0]))  # doctest: +SKIP
    """
    def forward_and_back(primals: tuple, cotangent: Any) -> tuple:
        marked, marks = [], []
        for k, p in enumerate(primals):
            m, ms = _mark(p, f"primal {k}")
            marked.append(m)
            marks.append(ms)
        out = fun(*marked)
        out_leaves, _ = flatten_arrays(out, _is_array)
        ct_leaves, _ = flatten_arrays(cotangent, _is_array)
        if len(ct_leaves) != len(out_leaves) or any(
                c.shape != o.shape for c, o in zip(ct_leaves, out_leaves)):
            raise ShapeError(f"vjp: cotangent shapes {[c.shape for c in ct_leaves]} do not "
                             f"match the outputs {[o.shape for o in out_leaves]}")
        cts = [apply("cast", _node_of(c), dtype=o._dtype) for c, o in zip(ct_leaves, out_leaves)]
        flat = [m for ms in marks for m in ms]
        grads = iter(backward([_node_of(o) for o in out_leaves], cts, flat))
        result = []
        for p in primals:
            leaves, treedef = flatten_arrays(p, _is_array)
            result.append(tree_unflatten(treedef, [a._result_class._traced(next(grads))
                                                   for a in leaves]))
        return tuple(result)

    back = _Transform(forward_and_back, f"vjp({getattr(fun, '__name__', 'f')})")
    primals = _as_arrays(primals)
    out = fun(*primals) if _any_traced(list(primals)) else jit(fun)(*primals)

    def vjp_fn(cotangent: Any) -> tuple:
        return back(tuple(primals), cotangent)

    return out, vjp_fn
