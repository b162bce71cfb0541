"""Pytrees: nested lists, tuples and dicts whose leaves are arrays, flattened to a list of
leaves and a structure that rebuilds them. Anything else in a tree is a static part of its
structure (it must be hashable: it becomes part of a cache key)."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..base import ArgumentError


def tree_flatten(tree: Any, is_leaf: Callable[[Any], bool]) -> tuple[list[Any], Any]:
    """Leaves of a nested list/tuple/dict in order, and the structure to rebuild it.

    >>> tree_flatten([1, (2, 3)], lambda x: isinstance(x, int))[0]
    [1, 2, 3]
    """
    if is_leaf(tree):
        return [tree], "*"
    if isinstance(tree, (list, tuple)):
        leaves, defs = [], []
        for item in tree:
            sub, d = tree_flatten(item, is_leaf)
            leaves += sub
            defs.append(d)
        return leaves, (type(tree).__name__, tuple(defs))
    if isinstance(tree, dict):
        keys = sorted(tree)
        leaves, defs = [], []
        for k in keys:
            sub, d = tree_flatten(tree[k], is_leaf)
            leaves += sub
            defs.append(d)
        return leaves, ("dict", tuple(keys), tuple(defs))
    return [], ("static", static_key(tree))


def tree_unflatten(treedef: Any, leaves: Sequence[Any]) -> Any:
    """The tree `tree_flatten` described, with `leaves` in place of its leaves.

    >>> tree_unflatten(('list', ('*', '*')), [1, 2])
    [1, 2]
    """
    return _build(treedef, iter(leaves))


def _build(d: Any, it: Any) -> Any:
    if d == "*":
        return next(it)
    if d[0] in ("list", "tuple"):
        items = [_build(sub, it) for sub in d[1]]
        return items if d[0] == "list" else tuple(items)
    if d[0] == "dict":
        return {k: _build(sub, it) for k, sub in zip(d[1], d[2])}
    return d[1][1]


def static_key(value: Any) -> tuple[str, Any]:
    """The cache-key form of a static (non-array) value; it must be hashable."""
    try:
        hash(value)
    except TypeError as e:
        raise ArgumentError(f"jit: argument {value!r} is neither an array nor hashable; "
                            "pass arrays or mark it static with a hashable value") from e
    return (type(value).__name__, value)


def static_parts(treedef: Any) -> list[Any]:
    """The static (non-array) parts of a structure."""
    if treedef == "*":
        return []
    if treedef[0] == "static":
        return [treedef]
    subs = treedef[1] if treedef[0] in ("list", "tuple") else treedef[2]
    return [d for s in subs for d in static_parts(s)]
