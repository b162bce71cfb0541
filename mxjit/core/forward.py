"""Forward mode and Jacobians: `jvp`, `linearize`, `jacfwd`, `jacrev` and `hessian`, as in JAX.

`jvp` transposes the backward pass twice (`trace/forward.py`), so every differentiable
primitive has forward mode through its vjp rule. The Jacobians batch one product per basis
vector with the batching rules: `jacfwd` pushes the columns of the identity forward,
`jacrev` pulls its rows back, each as one batched graph (one compiled program, no Python
loop over the basis), and `hessian` is `jacfwd(jacrev(f))`. Like the other transforms they
jit-compile on concrete arrays and add their nodes to the enclosing trace otherwise.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..base import ArgumentError, GradientError, ShapeError
from ..trace import Node, apply, backward, full_like, var, zeros_like
from ..trace.batching import Batched, batch_graph, front
from ..trace.forward import fresh_mark
from ..trace.forward import jvp as jvp_nodes
from .pytree import flatten_arrays, tree_unflatten
from .transforms import _as_arrays, _is_array, _node_of
from .vmap import Transform

#: How many functions' jvp programs `jvp` keeps (least recently used dropped first).
JVP_CACHE_SIZE = 64
_jvp_transforms: dict[Any, Transform] = {}


def _leaves(tree: Any) -> tuple[list[Any], Any]:
    return flatten_arrays(tree, _is_array)


def _traced_jvp(fun: Callable, primals: Sequence[Any], tangents: Sequence[Any]
                ) -> tuple[Any, Any]:
    p_leaves, p_def = _leaves(list(primals))
    t_leaves, t_def = _leaves(list(tangents))
    if p_def != t_def:
        raise ArgumentError("jvp: the tangents must have the structure of the primals")
    for k, (p, t) in enumerate(zip(p_leaves, t_leaves)):
        if p.shape != t.shape:
            raise ShapeError(f"jvp: tangent {k} has shape {t.shape}, its primal {p.shape}")
    marks = [fresh_mark(_node_of(p), "primal") for p in p_leaves]
    out = fun(*tree_unflatten(p_def, [p._result_class._traced(m)
                                      for p, m in zip(p_leaves, marks)]))
    try:
        out_leaves, out_def = _leaves(out)
    except ArgumentError as e:
        raise ArgumentError(f"jvp: the function must return arrays or pytrees of arrays: {e}"
                            ) from None
    tangent_outs = jvp_nodes([_node_of(o) for o in out_leaves], marks,
                             [_node_of(t) for t in t_leaves])
    return out, tree_unflatten(out_def, [o._result_class._traced(n)
                                         for o, n in zip(out_leaves, tangent_outs)])


def _jvp_transform(fun: Callable) -> Transform:
    """The compiled jvp of `fun`: the same for each call of `jvp` with the same function
    (the last `JVP_CACHE_SIZE` functions), so its programs are reused."""
    try:
        found = _jvp_transforms.pop(fun, None)
    except TypeError:  # (an unhashable callable: compiled per call)
        found = None
        fun_key = None
    else:
        fun_key = fun
    if found is None:
        def traced(primals: tuple, tangents: tuple) -> tuple[Any, Any]:
            return _traced_jvp(fun, primals, tangents)

        found = Transform(traced, f"jvp({getattr(fun, '__name__', 'f')})")
    if fun_key is not None:
        _jvp_transforms[fun_key] = found  # (most recent last)
        while len(_jvp_transforms) > JVP_CACHE_SIZE:
            del _jvp_transforms[next(iter(_jvp_transforms))]
    return found


def jvp(fun: Callable, primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    """`(fun(*primals), J t)`: the value and its derivative along `tangents` (forward mode);
    `primals` and `tangents` are tuples of arrays (or pytrees of them) of one structure.

    >>> y, t = mx.jvp(mx.nd.sin, (mx.nd.array([0.0]),), (mx.nd.array([1.0]),))  # doctest: +SKIP
    >>> t  # cos(0) * 1  # doctest: +SKIP
    """
    if not callable(fun):
        raise ArgumentError(f"jvp: expected a function, got {type(fun).__name__}")
    for what, value in (("primals", primals), ("tangents", tangents)):
        if not isinstance(value, (tuple, list)):
            raise ArgumentError(f"jvp: {what} must be a tuple or list with one entry per "
                                f"argument, got {type(value).__name__}")
    if len(primals) != len(tangents):
        raise ArgumentError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    return _jvp_transform(fun)(tuple(primals), tuple(tangents))  # type: ignore[no-any-return]


def linearize(fun: Callable, *primals: Any) -> tuple[Any, Callable[..., Any]]:
    """`(fun(*primals), f_jvp)` with `f_jvp(*tangents)` the derivative along the tangents.
    (Each call of `f_jvp` runs one compiled program that evaluates `fun` at the primals
    again: no values are kept between calls.)

    >>> y, f_jvp = mx.linearize(mx.nd.exp, mx.nd.array([0.0, 1.0]))  # doctest: +SKIP
    >>> f_jvp(mx.nd.array([1.0, 1.0]))  # doctest: +SKIP
    """
    primals = tuple(_as_arrays(primals))
    leaves, treedef = _leaves(list(primals))
    zeros = tree_unflatten(treedef, [
        a._result_class._traced(zeros_like(a._node)) if a._node is not None
        else a._result_class._wrap(np.zeros(a.shape, a._dtype)) for a in leaves])
    out, _ = jvp(fun, primals, zeros)

    def f_jvp(*tangents: Any) -> Any:
        return jvp(fun, primals, tangents)[1]

    return out, f_jvp


# ---- Jacobians -------------------------------------------------------------------------------


def _basis(n: int, offset: int, shape: tuple[int, ...], dtype: np.dtype) -> Node:
    """Columns offset..offset+size of the n x n identity, each reshaped to `shape`: the
    basis vectors of one array among the n elements of all (batched along axis 0)."""
    size = int(math.prod(shape))
    rows = apply("iota", shape=(n, size), axis=0, dtype=np.dtype(np.int64))
    cols = apply("iota", shape=(n, size), axis=1, dtype=np.dtype(np.int64))
    if offset:
        cols = apply("add", cols, full_like(cols, offset))
    eye = apply("cast", apply("eq", rows, cols), dtype=dtype)
    return apply("reshape", eye, shape=(n,) + shape)


def _split_rows(batched: Node, pieces: Sequence[Node], last: bool) -> list[Node]:
    """The basis axis of `batched` (first) cut into one block per node of `pieces`, each
    reshaped to (rest of batched) + its shape (`last`) or its shape + (rest) (not `last`)."""
    rest = batched.shape[1:]
    if last:
        batched = apply("transpose", batched, perm=tuple(range(1, batched.ndim)) + (0,))
    blocks, offset = [], 0
    for p in pieces:
        size = p.aval.size
        if last:
            start, stop = (0,) * len(rest) + (offset,), rest + (offset + size,)
        else:
            start, stop = (offset,) + (0,) * len(rest), (offset + size,) + rest
        block = apply("slice", batched, start=start, stop=stop, step=(1,) * batched.ndim)
        blocks.append(apply("reshape", block, shape=rest + p.shape if last else
                            p.shape + rest))
        offset += size
    return blocks


def _identity_seeds(nodes: list[Node]) -> tuple[int, list[Node], dict[Node, Batched]]:
    """Placeholders shaped as `nodes` and, batched over their total size n, the rows of the
    n x n identity they take: (n, placeholders, batching environment)."""
    n = sum(x.aval.size for x in nodes)
    seeds = [var(x.shape, x.dtype) for x in nodes]
    env: dict[Node, Batched] = {}
    offset = 0
    for seed, x in zip(seeds, nodes):
        env[seed] = (_basis(n, offset, x.shape, x.dtype), 0)
        offset += x.aval.size
    return n, seeds, env


def _jacfwd_blocks(outs: list[Node], ins: list[Node]) -> list[list[Node]]:
    """blocks[i][j]: d outs[i] / d ins[j], of shape outs[i].shape + ins[j].shape: the
    tangents of the identity's columns, batched."""
    n, tangents, env = _identity_seeds(ins)
    batched = batch_graph(jvp_nodes(outs, ins, tangents), env, n)
    return [_split_rows(front(b, d, n), ins, last=True) for b, d in batched]


def _jacrev_blocks(outs: list[Node], ins: list[Node]) -> list[list[Node]]:
    """blocks[i][j] as `_jacfwd_blocks`: the cotangents of the identity's rows, batched."""
    m, cotangents, env = _identity_seeds(outs)
    batched = batch_graph(backward(outs, cotangents, ins), env, m)
    per_input = [_split_rows(front(b, d, m), outs, last=False) for b, d in batched]
    return [[per_input[j][i] for j in range(len(ins))] for i in range(len(outs))]


def _traced_jacobian(fun: Callable, argnums: int | Sequence[int], has_aux: bool, name: str,
                     args: tuple, kwargs: dict) -> Any:
    nums = _argnums(argnums, len(args), name)
    new_args, per_arg, marks = list(args), [], []
    for k in nums:
        leaves, treedef = _leaves(args[k])
        if not leaves:
            raise GradientError(f"{name}: argument {k} holds no array; Jacobians are taken "
                                "with respect to arrays")
        for a in leaves:
            if a._dtype.kind != "f":
                raise GradientError(f"{name}: argument {k} has dtype {a._dtype}; Jacobians "
                                    "need floating-point inputs")
        ms = [fresh_mark(_node_of(a), "primal") for a in leaves]
        new_args[k] = tree_unflatten(treedef, [a._result_class._traced(m)
                                               for a, m in zip(leaves, ms)])
        per_arg.append((treedef, len(leaves)))
        marks.extend(ms)
    result = fun(*new_args, **kwargs)
    out, aux = result if has_aux else (result, None)
    out_leaves, out_def = _leaves(out)
    for k, o in enumerate(out_leaves):
        if o._dtype.kind != "f":
            raise GradientError(f"{name}: output {k} has dtype {o._dtype}; Jacobians need "
                                "floating-point outputs")
    out_nodes = [_node_of(o) for o in out_leaves]
    blocks = (_jacfwd_blocks if name == "jacfwd" else _jacrev_blocks)(out_nodes, marks)
    per_out = []
    for o, row in zip(out_leaves, blocks):
        it = iter(row)
        trees = [tree_unflatten(treedef, [o._result_class._traced(next(it))
                                          for _ in range(count)])
                 for treedef, count in per_arg]
        per_out.append(trees[0] if isinstance(argnums, int) else tuple(trees))
    jac = tree_unflatten(out_def, per_out)
    return (jac, aux) if has_aux else jac


def _argnums(argnums: int | Sequence[int], nargs: int, name: str) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for k in nums:
        if not isinstance(k, int) or not -nargs <= k < nargs:
            raise ArgumentError(f"{name}: argnums {argnums!r} out of range for {nargs} "
                                "arguments")
    return tuple(k % nargs for k in nums)


def _jacobian(fun: Callable, argnums: int | Sequence[int], has_aux: bool, name: str
              ) -> Callable[..., Any]:
    if not callable(fun):
        raise ArgumentError(f"{name}: expected a function, got {type(fun).__name__}")

    def traced(*args: Any, **kwargs: Any) -> Any:
        return _traced_jacobian(fun, argnums, has_aux, name, args, kwargs)

    return Transform(traced, f"{name}({getattr(fun, '__name__', 'f')})")


def jacfwd(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False
           ) -> Callable[..., Any]:
    """The Jacobian of `fun` w.r.t. `args[argnums]` by forward mode (one batched jvp over
    the input basis): for each output leaf, an array of shape output.shape + input.shape
    (a tree like the argument, or a tuple of them for a tuple of argnums).

    >>> mx.jacfwd(lambda x: x * x)(mx.nd.array([1.0, 2.0]))  # diag(2x)  # doctest: +SKIP
    """
    return _jacobian(fun, argnums, has_aux, "jacfwd")


def jacrev(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False
           ) -> Callable[..., Any]:
    """The Jacobian of `fun` w.r.t. `args[argnums]` by reverse mode (one batched vjp over
    the output basis); shapes as `jacfwd`.

    >>> mx.jacrev(lambda x: x * x)(mx.nd.array([1.0, 2.0]))  # diag(2x)  # doctest: +SKIP
    """
    return _jacobian(fun, argnums, has_aux, "jacrev")


def hessian(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False
            ) -> Callable[..., Any]:
    """The Hessian of a scalar-valued `fun`: `jacfwd(jacrev(fun))`, of shape
    input.shape + input.shape.

    >>> mx.hessian(lambda x: (x ** 3).sum())(mx.nd.array([1.0, 2.0]))  # diag(6x)  # doctest: +SKIP
    """
    return jacfwd(jacrev(fun, argnums, has_aux), argnums, has_aux)
