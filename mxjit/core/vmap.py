"""`vmap`: a function of one example made a function of a batch, as a graph transformation.

The function is traced once on one example (each batched argument's batch axis removed),
then its graph is rebuilt over the whole batch by each primitive's batching rule
(`trace/batching.py`). Like the other transforms it jit-compiles on concrete arrays and adds
its nodes to the enclosing trace otherwise, so it composes with `jit`, `grad`, `jvp` and
itself in any order: `vmap(grad(loss), in_axes=(None, 0, 0))` gives per-example gradients
in one program.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..base import ArgumentError, ParamError, ShapeError
from ..trace import Node, apply, toposort, var
from ..trace.batching import Batched, batch_graph, put_batch
from .pytree import LEAF, flatten_arrays, tree_flatten, tree_unflatten
from .trace_state import current_trace
from .transforms import _any_traced, _as_arrays, _is_array, _node_of, _Transform

Axes = Any  # an int, None, or a pytree of them (a prefix of the arguments' structure)


class Transform(_Transform):
    """A transform that adds its nodes to the trace in progress whenever there is one (so a
    function that closes over traced values works inside `jit` and `grad`), and is
    jit-compiled otherwise."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if current_trace() is not None or _any_traced((list(args), kwargs)):
            return self._traced(*_as_arrays(args), **_as_arrays(kwargs))
        return self._compiled(*args, **kwargs)


def _check_axes_spec(spec: Any, what: str) -> None:
    leaves: list[Any] = []
    stack = [spec]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
        elif isinstance(x, dict):
            stack.extend(x.values())
        else:
            leaves.append(x)
    for x in leaves:
        if x is not None and (isinstance(x, bool) or not isinstance(x, int)):
            raise ArgumentError(f"vmap: {what} must be an int, None, or a pytree of them, "
                                f"got {x!r}")


def _count_leaves(treedef: Any) -> int:
    count, stack = 0, [treedef]
    while stack:
        d = stack.pop()
        if d == LEAF:
            count += 1
        elif d[0] != "static":
            stack.extend(d[2])
    return count


def leaf_axes(spec: Axes, treedef: Any, what: str) -> list[int | None]:
    """The axis of each array leaf of a tree (given by its structure) from an axes spec: an
    int or None for everything under it, or a container of the tree's own structure.

    >>> leaf_axes((0, None), flatten_arrays((1, 2), lambda x: True)[1], "x")
    [0, None]
    """
    spec_leaves, spec_def = tree_flatten(spec, is_leaf=lambda x: x is None)
    values = iter(spec_leaves)
    out: list[int | None] = []
    stack = [(spec_def, treedef)]
    while stack:
        s, t = stack.pop()
        if s == LEAF:
            out.extend([next(values)] * _count_leaves(t))
        elif t == LEAF or t[0] == "static" or s[0] != t[0] or s[1] != t[1] or len(s[2]) != len(
                t[2]):
            raise ArgumentError(f"vmap: the axes given for {what} ({spec!r}) do not match its "
                                "structure: give an int or None, or a container of the same "
                                "structure")
        else:
            stack.extend(reversed(list(zip(s[2], t[2]))))
    return out


def _normalize(axis: int, ndim: int, what: str) -> int:
    if not -ndim <= axis < ndim:
        raise ShapeError(f"vmap: {what} is out of range for {ndim} axes")
    return axis % ndim


def _batch_inputs(args: tuple, in_axes: Axes) -> tuple[list[Any], Any, list[int | None],
                                                       int]:
    """The array leaves of `args`, their structure, each leaf's batch axis and the batch
    size."""
    per_arg = in_axes if isinstance(in_axes, (tuple, list)) else (in_axes,) * len(args)
    if len(per_arg) != len(args):
        raise ArgumentError(f"vmap: in_axes has {len(per_arg)} entries for {len(args)} "
                            "positional arguments")
    leaves, treedef = flatten_arrays(list(args), _is_array)
    axes: list[int | None] = []
    for k, (arg, spec) in enumerate(zip(args, per_arg)):
        arg_leaves, arg_def = flatten_arrays(arg, _is_array)
        for j, (a, ax) in enumerate(zip(arg_leaves, leaf_axes(spec, arg_def, f"argument {k}"))):
            where = f"in_axes {ax} of argument {k}" + (f" (array {j})" if len(arg_leaves) > 1
                                                       else "")
            axes.append(None if ax is None else _normalize(ax, a.ndim, f"{where}, shape "
                                                                       f"{a.shape},"))
    sizes = {a.shape[ax] for a, ax in zip(leaves, axes) if ax is not None}
    if not sizes:
        raise ParamError("vmap: no argument is batched (in_axes is None for every array); "
                         "give at least one array a batch axis")
    if len(sizes) > 1:
        found = [(a.shape, ax) for a, ax in zip(leaves, axes) if ax is not None]
        raise ShapeError(f"vmap: the batched arguments disagree on the batch size: (shape, "
                         f"axis) {found}")
    return leaves, treedef, axes, sizes.pop()


def _traced_vmap(fun: Callable, in_axes: Axes, out_axes: Axes, args: tuple, kwargs: dict
                 ) -> Any:
    if kwargs:  # (keyword arguments are batched along their first axis, as in JAX)
        names = sorted(kwargs)
        every = tuple(in_axes) if isinstance(in_axes, (tuple, list)) else (in_axes,) * len(args)
        return _traced_vmap(lambda *a: fun(*a[:len(args)], **dict(zip(names, a[len(args):]))),
                            every + (0,) * len(names), out_axes,
                            tuple(args) + tuple(kwargs[n] for n in names), {})
    leaves, treedef, axes, size = _batch_inputs(args, in_axes)
    env: dict[Node, Batched] = {}
    per_example = []
    for a, ax in zip(leaves, axes):
        node = _node_of(a)
        if ax is None:
            per_example.append(a)
            continue
        v = var(node.shape[:ax] + node.shape[ax + 1:], node.dtype)
        env[v] = (node, ax)
        per_example.append(a._result_class._traced(v))
    state = current_trace()
    drawn = len(state.random_keys) if state is not None else 0
    out = fun(*tree_unflatten(treedef, per_example))
    try:
        out_leaves, out_def = flatten_arrays(out, _is_array)
    except ArgumentError as e:
        raise ArgumentError(f"vmap: the function must return arrays, pytrees of arrays and "
                            f"hashable constants: {e}") from None
    out_nodes = [_node_of(o) for o in out_leaves]
    if state is not None and len(state.random_keys) > drawn:
        env.update(_independent_draws(out_nodes, state.random_keys[drawn:], size))
    batched = batch_graph(out_nodes, env, size)
    results = []
    for k, (o, (node, d), ax) in enumerate(zip(out_leaves, batched,
                                               leaf_axes(out_axes, out_def, "the output"))):
        if ax is None:
            if d is not None:
                raise ParamError(f"vmap: output {k} depends on the batched arguments, so "
                                 "out_axes cannot be None for it")
            results.append(o._result_class._traced(node))
            continue
        dst = _normalize(ax, node.ndim + (d is None), f"out_axes {ax} of output {k}, of "
                         f"{node.ndim - (d is not None)} axes per example,")
        results.append(o._result_class._traced(put_batch(node, d, dst, size)))
    return tree_unflatten(out_def, results)


def _independent_draws(outputs: list[Node], keys: list[Node], size: int
                       ) -> dict[Node, Batched]:
    """Random draws made inside the function, batched so that each example gets numbers of
    its own (as one call per example would): a `random_bits` draw becomes one draw over the
    batch, and the key, for every other use, one key per example (the draw's key with the
    example's index added to its second word)."""
    fresh = set(keys)
    env: dict[Node, Batched] = {}
    for n in toposort(outputs):
        if n.op == "random_bits" and n.inputs[0] in fresh:
            env[n] = (apply("random_bits", n.inputs[0], shape=(size,) + n.shape), 0)
    offsets = apply("iota", shape=(size, 2), axis=0, dtype=np.dtype(np.uint32))
    second = apply("iota", shape=(size, 2), axis=1, dtype=np.dtype(np.uint32))  # (0, 1)
    for key in keys:
        spread = apply("broadcast_to", apply("reshape", key, shape=(1, 2)), shape=(size, 2))
        env[key] = (apply("add", spread, apply("mul", offsets, second)), 0)
    return env


def vmap(fun: Callable, in_axes: Axes = 0, out_axes: Axes = 0) -> Callable[..., Any]:
    """`fun` of one example made a function of a batch: `in_axes` says which axis of each
    argument is the batch (None: the same for every example; an int, or a tuple with one
    entry per positional argument, each a prefix of that argument's pytree), `out_axes`
    where the batch axis goes in each result. Keyword arguments are batched along axis 0.

    >>> f = mx.vmap(lambda w, x: mx.nd.dot(w, x), in_axes=(None, 0))  # doctest: +SKIP
    >>> f(mx.nd.ones((3, 4)), mx.nd.ones((8, 4))).shape  # doctest: +SKIP
    (8, 3)
    """
    if not callable(fun):
        raise ArgumentError(f"vmap: expected a function, got {type(fun).__name__}")
    _check_axes_spec(in_axes, "in_axes")
    _check_axes_spec(out_axes, "out_axes")

    def traced(*args: Any, **kwargs: Any) -> Any:
        return _traced_vmap(fun, in_axes, out_axes, _as_arrays(args), _as_arrays(kwargs))

    return Transform(traced, f"vmap({getattr(fun, '__name__', 'f')})")

