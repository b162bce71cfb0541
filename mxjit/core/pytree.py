"""Pytrees: nested containers whose leaves are arrays, flattened to a list of leaves and a
structure (a hashable tree definition) that rebuilds them.

Containers ("nodes") are lists, tuples, dicts (by sorted key), `None` (no children),
`collections.OrderedDict` (in order), namedtuples and dataclasses (rebuilt as the same
type), and any type given to `register_pytree_node`. The public `tree_flatten` takes every
other value as a leaf, as JAX does; `jit` and the transforms flatten with
`flatten_arrays`, where only arrays are leaves and other values are static parts of the
structure (hashable: they become part of a cache key). Walks are iterative, so a deeply
nested tree never meets Python's recursion limit; a shallow structure that is rebuilt
again and again (a jitted function's results) gets a function that rebuilds it, made once.

    >>> tree_flatten({'b': [1, 2], 'a': (3, None)})[0]
    [3, 1, 2]
"""
from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from ..base import ArgumentError

#: The tree definition of a leaf.
LEAF = "*"


class NodeRule(NamedTuple):
    """How a container type splits into (children, aux) and is rebuilt from (aux,
    children); aux must be hashable."""

    flatten: Callable[[Any], tuple[Iterable[Any], Hashable]]
    unflatten: Callable[[Hashable, list[Any]], Any]


def _sorted_keys(d: dict) -> tuple:
    try:
        return tuple(sorted(d))
    except TypeError:  # (keys of several types: insertion order)
        return tuple(d)


_RULES: dict[type, NodeRule] = {
    list: NodeRule(lambda x: (x, None), lambda aux, children: list(children)),
    tuple: NodeRule(lambda x: (x, None), lambda aux, children: tuple(children)),
    dict: NodeRule(lambda x: ([x[k] for k in _sorted_keys(x)], _sorted_keys(x)),
                   lambda keys, children: dict(zip(keys, children))),  # type: ignore
    OrderedDict: NodeRule(lambda x: (list(x.values()), tuple(x)),
                          lambda keys, children: OrderedDict(zip(keys, children))),  # type: ignore
    type(None): NodeRule(lambda x: ((), None), lambda aux, children: None),
}

def register_pytree_node(nodetype: type, flatten_func: Callable[[Any], tuple[Any, Any]],
                         unflatten_func: Callable[[Any, Any], Any]) -> None:
    """Make `nodetype` a container of pytrees: `flatten_func(x)` gives (children, aux) with
    aux hashable, `unflatten_func(aux, children)` rebuilds it (JAX's signature).

    >>> class Pair:
    ...     def __init__(self, a, b): self.a, self.b = a, b
    >>> register_pytree_node(Pair, lambda p: ((p.a, p.b), None),
    ...                      lambda aux, ch: Pair(*ch))
    >>> tree_leaves(Pair(1, [2, 3]))
    [1, 2, 3]
    """
    if not isinstance(nodetype, type):
        raise ArgumentError(f"register_pytree_node: expected a type, got {nodetype!r}")
    if nodetype in _RULES:
        raise ArgumentError(f"register_pytree_node: {nodetype.__name__} is registered already")
    _RULES[nodetype] = NodeRule(flatten_func, unflatten_func)


def _split(x: Any) -> tuple[Iterable[Any], Hashable] | None:
    """(children, aux) of a container, None for anything else."""
    rule = _RULES.get(type(x))
    if rule is not None:
        children, aux = rule.flatten(x)
        try:
            hash(aux)
        except TypeError as e:
            raise ArgumentError(f"pytree: the aux data of a {type(x).__name__} node must be "
                                f"hashable, got {aux!r}") from e
        return children, aux
    if isinstance(x, tuple) and hasattr(type(x), "_fields"):  # a namedtuple
        return x, None
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        names = tuple(f.name for f in dataclasses.fields(x) if f.init)
        return [getattr(x, n) for n in names], names
    return None


def _rebuild(kind: type, aux: Any, children: list[Any]) -> Any:
    rule = _RULES.get(kind)
    if rule is not None:
        return rule.unflatten(aux, children)
    if dataclasses.is_dataclass(kind):
        return kind(**dict(zip(aux, children)))
    return kind(*children)  # a namedtuple


_DONE = object()


def _flatten(tree: Any, is_leaf: Callable[[Any], bool] | None, statics: bool
             ) -> tuple[list[Any], Any]:
    leaves: list[Any] = []
    top: list[Any] = []
    # frames: (node type, aux, children left, their definitions so far)
    stack: list[tuple[Any, Any, Any, list[Any]]] = [(None, None, iter((tree,)), top)]
    while stack:
        kind, aux, children, defs = stack[-1]
        child = next(children, _DONE)
        if child is _DONE:
            stack.pop()
            if stack:
                stack[-1][3].append((kind, aux, tuple(defs)))
            continue
        split = None if is_leaf is not None and is_leaf(child) else _split(child)
        if split is not None:
            stack.append((type(child), split[1], iter(split[0]), []))
        elif statics and not (is_leaf is not None and is_leaf(child)):
            defs.append(("static", static_key(child)))
        else:
            leaves.append(child)
            defs.append(LEAF)
    return leaves, top[0]


def tree_flatten(tree: Any, is_leaf: Callable[[Any], bool] | None = None
                 ) -> tuple[list[Any], Any]:
    """The leaves of `tree` in order and its structure; every value that is not a container
    is a leaf (`is_leaf(x)` true makes `x` a leaf too, containers included).

    >>> leaves, treedef = tree_flatten([1, (2, {'x': 3})])
    >>> leaves
    [1, 2, 3]
    >>> tree_unflatten(treedef, [10, 20, 30])
    [10, (20, {'x': 30})]
    """
    return _flatten(tree, is_leaf, statics=False)


def flatten_arrays(tree: Any, is_leaf: Callable[[Any], bool]) -> tuple[list[Any], Any]:
    """`tree_flatten` where only values with `is_leaf(x)` (the arrays) are leaves and every
    other non-container is a static (hashable) part of the structure: how `jit` keys a call.

    >>> leaves, treedef = flatten_arrays([1, (2, 3)], lambda x: x == 2)
    >>> leaves, static_parts(treedef)
    ([2], [('static', ('int', 1)), ('static', ('int', 3))])
    """
    return _flatten(tree, is_leaf, statics=True)


def tree_unflatten(treedef: Any, leaves: Sequence[Any]) -> Any:
    """The tree that `treedef` describes, with `leaves` in place of its leaves.

    >>> tree_unflatten(tree_flatten((1, [2]))[1], ['a', 'b'])
    ('a', ['b'])
    """
    if treedef == LEAF and len(leaves) == 1:  # (a function's one result: the common case)
        return leaves[0]
    kept = _builders.get(id(treedef))
    if kept is None:
        if len(_builders) >= _BUILDERS_KEPT:
            _builders.clear()
        kept = _builders[id(treedef)] = (treedef, _builder(treedef, 0))
    if kept[1] is not None:
        it = iter(leaves)
        try:
            tree = kept[1](it)
        except StopIteration:
            raise ArgumentError("tree_unflatten: fewer leaves than the structure has") from None
        if next(it, _DONE) is not _DONE:
            raise ArgumentError("tree_unflatten: more leaves than the structure has")
        return tree
    it = iter(leaves)
    top: list[Any] = []
    # frames: (node type, aux, child definitions left, rebuilt children)
    stack: list[tuple[Any, Any, Any, list[Any]]] = [(None, None, iter((treedef,)), top)]
    while stack:
        kind, aux, defs, built = stack[-1]
        d: Any = next(defs, _DONE)
        if d is _DONE:
            stack.pop()
            if stack:
                stack[-1][3].append(_rebuild(kind, aux, built))
            continue
        if d == LEAF:
            try:
                built.append(next(it))
            except StopIteration:
                raise ArgumentError(
                    "tree_unflatten: fewer leaves than the structure has") from None
        elif d[0] == "static":
            built.append(d[1][1])
        else:
            stack.append((d[0], d[1], iter(d[2]), []))
    if next(it, _DONE) is not _DONE:
        raise ArgumentError("tree_unflatten: more leaves than the structure has")
    return top[0]


#: Functions that rebuild the shallow structures met again and again (a jitted function's
#: results come back in the same structure object each call): by the structure's id, the
#: structure kept with its builder so that its id stays its own. Bounded.
_builders: dict[int, tuple[Any, Callable[[Iterator[Any]], Any] | None]] = {}
_BUILDERS_KEPT = 1024


def _builder(treedef: Any, depth: int) -> Callable[[Iterator[Any]], Any] | None:
    """A function that rebuilds `treedef` from an iterator of its leaves (about five
    times faster than `tree_unflatten`'s walk); None for a structure nested deeper than a
    few levels, which the iterative walk rebuilds."""
    if treedef == LEAF:
        return next
    if treedef[0] == "static":
        value = treedef[1][1]
        return lambda it: value
    if depth >= 8:
        return None
    kind, aux, defs = treedef
    parts = [_builder(d, depth + 1) for d in defs]
    if any(b is None for b in parts):
        return None
    if kind is tuple:
        return lambda it: tuple([b(it) for b in parts])  # type: ignore[misc]
    if kind is list:
        return lambda it: [b(it) for b in parts]  # type: ignore[misc]
    return lambda it: _rebuild(kind, aux, [b(it) for b in parts])  # type: ignore[misc]


def tree_leaves(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> list[Any]:
    """The leaves of `tree`, in order.

    >>> tree_leaves({'w': 1, 'b': [2, None]})
    [2, 1]
    """
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """The structure of `tree` (what `tree_unflatten` takes).

    >>> tree_structure((1, 2)) == tree_structure(('a', 'b'))
    True
    """
    return tree_flatten(tree, is_leaf)[1]


def tree_map(f: Callable[..., Any], tree: Any, *rest: Any,
             is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """`tree` with `f(leaf, *corresponding leaves of rest)` in place of each leaf; `rest`
    must have `tree`'s structure.

    >>> tree_map(lambda a, b: a + b, {'x': 1, 'y': (2,)}, {'x': 10, 'y': (20,)})
    {'x': 11, 'y': (22,)}
    """
    leaves, treedef = tree_flatten(tree, is_leaf)
    others = []
    for k, other in enumerate(rest):
        other_leaves, other_def = tree_flatten(other, is_leaf)
        if other_def != treedef:
            raise ArgumentError(f"tree_map: tree {k + 1} does not have the first tree's "
                                "structure")
        others.append(other_leaves)
    return tree_unflatten(treedef, [f(*xs) for xs in zip(leaves, *others)])


def static_key(value: Any) -> tuple[str, Any]:
    """The cache-key form of a static (non-array) value; it must be hashable."""
    try:
        hash(value)
    except TypeError as e:
        raise ArgumentError(f"jit: argument {value!r} is neither an array nor hashable; "
                            "pass arrays or mark it static with a hashable value") from e
    return (type(value).__name__, value)


def static_parts(treedef: Any) -> list[Any]:
    """The static (non-array) parts of a structure, in order.

    >>> static_parts(flatten_arrays([1, 2], lambda x: x == 2)[1])
    [('static', ('int', 1))]
    """
    found, stack = [], [treedef]
    while stack:
        d = stack.pop()
        if d == LEAF:
            continue
        if d[0] == "static":
            found.append(d)
        else:
            stack.extend(reversed(d[2]))
    return found


# ---- MXNet's nested lists (`_flatten` / `_regroup` of its control flow) -------------------
# A leaf's format is 0 and a list's the list of its items' formats, so the JSON that
# MXNet's front end writes for control-flow nodes keeps its exact shape.


def flatten_nested(args: Any, what: str, leaf: type, expected: str,
                   check_leaf: Callable[[Any, str], None] | None = None) -> tuple[list[Any], Any]:
    """A nested list of `leaf`s as a flat list and its format (MXNet's `_flatten`);
    `expected` names what is allowed in the error for anything else, and `check_leaf(leaf,
    what)` may reject a leaf.

    >>> flatten_nested([1, [2, 3]], "x", int, "an int or a (nested) list of ints")
    ([1, 2, 3], [0, [0, 0]])
    """
    if isinstance(args, leaf):
        if check_leaf is not None:
            check_leaf(args, what)
        return [args], 0
    if not isinstance(args, (list, tuple)):
        raise ArgumentError(f"{what} must be {expected}, got {type(args).__name__}")
    flat: list[Any] = []
    fmts = []
    for item in args:
        sub, fmt = flatten_nested(item, what, leaf, expected, check_leaf)
        flat.extend(sub)
        fmts.append(fmt)
    return flat, fmts


def regroup_nested(args: list[Any], fmt: Any) -> tuple[Any, list[Any]]:
    """The nested structure `fmt` over `args` (MXNet's `_regroup`), and what is left.

    >>> regroup_nested([1, 2, 3], [0, [0, 0]])
    ([1, [2, 3]], [])
    """
    if isinstance(fmt, int):
        return (args[0], args[1:]) if fmt == 0 else (args[:fmt], args[fmt:])
    out = []
    for f in fmt:
        res, args = regroup_nested(args, f)
        out.append(res)
    return out, args
