"""Pytrees: every container kind round-trips as its own type, through the public functions,
`jit` and `grad`; registering a container; deep nesting without recursion limits."""
from __future__ import annotations

import dataclasses
import sys
from collections import OrderedDict, namedtuple

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import ArgumentError

Point = namedtuple("Point", ["x", "y"])


@dataclasses.dataclass
class Params:
    w: object
    b: object
    name: str = "layer"


class Pair:
    def __init__(self, first, second):
        self.first, self.second = first, second


mx.register_pytree_node(Pair, lambda p: ((p.first, p.second), "pair"),
                        lambda aux, children: Pair(*children))


def test_each_container_round_trips_as_its_own_type():
    tree = {"p": Point(1, [2, None]), "o": OrderedDict([("z", 3), ("a", 4)]),
            "d": Params(5, (6,)), "t": (7,), "pair": Pair(8, 9)}
    leaves, treedef = mx.tree_flatten(tree)
    # dict keys sorted; OrderedDict in its order; None has no leaves; name is a leaf too
    assert leaves == [5, 6, "layer", 3, 4, 1, 2, 8, 9, 7]
    back = mx.tree_unflatten(treedef, leaves)
    assert type(back["p"]) is Point and back["p"] == Point(1, [2, None])
    assert type(back["o"]) is OrderedDict and list(back["o"]) == ["z", "a"]
    assert back["d"] == Params(5, (6,))
    assert isinstance(back["pair"], Pair) and (back["pair"].first, back["pair"].second) == (8, 9)


def test_a_structure_rebuilds_the_same_way_every_time_it_is_met():
    from mxjit.core.pytree import flatten_arrays
    tree = (Point(1, [2, None]), {"k": (3,), "s": "static"}, [], Params(4, 5))
    leaves, treedef = flatten_arrays(tree, lambda x: isinstance(x, int))
    assert leaves == [1, 2, 3, 4, 5]
    for shift in range(3):  # (the first call builds the rebuilding function, the rest reuse it)
        back = mx.tree_unflatten(treedef, [v + shift for v in leaves])
        assert back == (Point(1 + shift, [2 + shift, None]), {"k": (3 + shift,), "s": "static"},
                        [], Params(4 + shift, 5 + shift))
        assert type(back[0]) is Point and type(back[3]) is Params
    with pytest.raises(ArgumentError, match="fewer leaves"):
        mx.tree_unflatten(treedef, leaves[:-1])
    with pytest.raises(ArgumentError, match="more leaves"):
        mx.tree_unflatten(treedef, leaves + [6])


def test_tree_map_leaves_structure_and_is_leaf():
    assert mx.tree_map(lambda a, b: a * b, Point(2, [3]), Point(10, [100])) == Point(20, [300])
    assert mx.tree_leaves({"b": [1, 2], "a": None}) == [1, 2]
    assert mx.tree_structure((1, 2)) == mx.tree_structure(("a", "b"))
    assert mx.tree_structure((1, 2)) != mx.tree_structure([1, 2])
    assert mx.tree_leaves([[1, 2], [3]], is_leaf=lambda x: x == [1, 2]) == [[1, 2], 3]


def test_pytree_errors():
    with pytest.raises(ArgumentError, match="does not have the first tree's structure"):
        mx.tree_map(lambda a, b: a, (1, 2), [1, 2])
    with pytest.raises(ArgumentError, match="fewer leaves"):
        mx.tree_unflatten(mx.tree_structure((1, 2)), [1])
    with pytest.raises(ArgumentError, match="more leaves"):
        mx.tree_unflatten(mx.tree_structure((1, 2)), [1, 2, 3])
    with pytest.raises(ArgumentError, match="registered already"):
        mx.register_pytree_node(Pair, lambda p: ((), None), lambda a, c: None)
    with pytest.raises(ArgumentError, match="expected a type"):
        mx.register_pytree_node("Pair", lambda p: ((), None), lambda a, c: None)

    class Bad:
        pass

    mx.register_pytree_node(Bad, lambda b: ((), [1]), lambda a, c: Bad())
    with pytest.raises(ArgumentError, match="aux data of a Bad node must be hashable"):
        mx.tree_flatten(Bad())


def test_jit_and_grad_take_and_return_namedtuples_dataclasses_and_registered_nodes():
    x = mx.nd.array([1.0, 2.0])

    @mx.jit
    def step(p: Params, pt: Point):
        return Point(p.w * pt.x + p.b, Pair(pt.y, p.w))

    out = step(Params(x, x * 0 + 1), Point(x * 2, x))
    assert type(out) is Point and isinstance(out.y, Pair)
    np.testing.assert_allclose(out.x.asnumpy(), [3.0, 9.0])
    np.testing.assert_allclose(out.y.first.asnumpy(), [1.0, 2.0])

    def loss(p: Params):
        return (p.w * p.w * 3 + p.b).sum()

    g = mx.grad(loss)(Params(x, x, name="dense"))
    assert type(g) is Params and g.name == "dense"  # (a static field comes back as it was)
    np.testing.assert_allclose(g.w.asnumpy(), [6.0, 12.0])
    np.testing.assert_allclose(g.b.asnumpy(), [1.0, 1.0])


def test_deep_nesting_needs_no_recursion():
    tree: object = 0
    for k in range(1, 3000):
        tree = [tree, k]
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)
    try:
        leaves, treedef = mx.tree_flatten(tree)
        back = mx.tree_unflatten(treedef, [v + 1 for v in leaves])
        doubled = mx.tree_map(lambda v: 2 * v, tree)
    finally:
        sys.setrecursionlimit(limit)
    assert leaves == list(range(3000))
    assert back[1] == 3000 and doubled[1] == 2 * 2999


def test_jit_takes_arguments_nested_thousands_deep():
    x = mx.nd.ones(2)
    tree: object = x
    for _ in range(3000):
        tree = [tree]

    def first(t):
        while isinstance(t, list):
            t = t[0]
        return t * 2

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(400)
    try:
        got = mx.jit(first)(tree)
    finally:
        sys.setrecursionlimit(limit)
    np.testing.assert_allclose(got.asnumpy(), [2.0, 2.0])
