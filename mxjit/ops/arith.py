"""MXNet's named arithmetic families: broadcast_* (NumPy broadcasting) and elemwise_*
(equal shapes only), registered from one table of suffixes. MXNet's plain names (add,
subtract, maximum, ...) are front-end functions over these (see `mxjit.nd`)."""
from __future__ import annotations

from typing import Any

from ..base import ArgumentError, ShapeError
from ..core import Array
from ..core.operators import SAME_SHAPE_INPUTS, input_shape_rule, register_operator
from .elementwise import binary, cast
from .operands import not_equal_zero

#: MXNet name suffix -> primitive.
BINARY = {
    "add": "add", "sub": "sub", "mul": "mul", "div": "div", "mod": "mod", "power": "pow",
    "maximum": "maximum", "minimum": "minimum", "equal": "eq", "not_equal": "ne",
    "greater": "gt", "greater_equal": "ge", "lesser": "lt", "lesser_equal": "le",
}
LOGICAL = ("logical_and", "logical_or", "logical_xor")
#: MXNet's aliases of these operators.
_ALIASES = {"broadcast_add": ("broadcast_plus",), "broadcast_sub": ("broadcast_minus",),
            "elemwise_add": ("_add", "_plus", "_Plus"),
            "elemwise_sub": ("_sub", "_minus", "_Minus"),
            "elemwise_mul": ("_mul", "_Mul"), "elemwise_div": ("_div", "_Div")}


def _broadcast_fn(suffix: str, prim: str) -> Any:
    def f(lhs: Any, rhs: Any) -> Array:
        return binary(prim, lhs, rhs)

    name = f"broadcast_{suffix}"
    f.__name__ = f.__qualname__ = name
    f.__doc__ = (f"Elementwise {suffix} with NumPy broadcasting.\n\n"
                 f"    >>> mx.nd.{name}(mx.nd.ones((2, 1)), mx.nd.ones((3,)))"
                 "  # doctest: +SKIP\n    ")
    return register_operator(name, inputs=("lhs", "rhs"), aliases=_ALIASES.get(name, ()),
                             fresh=True)(f)


def check_same_shape(op: str, lhs: Any, rhs: Any, broadcasting: str) -> None:
    """Both operands arrays of one shape (MXNet's elementwise, not broadcasting, ops)."""
    if not isinstance(lhs, Array) or not isinstance(rhs, Array):
        raise ArgumentError(f"{op}: both operands must be arrays")
    if lhs.shape != rhs.shape:
        raise ShapeError(f"{op}: operand shapes {lhs.shape} and {rhs.shape} differ; "
                         f"elemwise ops need equal shapes (use {broadcasting} to broadcast)")


def _elemwise_fn(suffix: str, prim: str) -> Any:
    def f(lhs: Array, rhs: Array) -> Array:
        check_same_shape(f"elemwise_{suffix}", lhs, rhs, f"broadcast_{suffix}")
        return binary(prim, lhs, rhs)

    name = f"elemwise_{suffix}"
    f.__name__ = f.__qualname__ = name
    f.__doc__ = (f"Elementwise {suffix} of two arrays of the same shape.\n\n"
                 f"    >>> mx.nd.{name}(mx.nd.ones((2,)), mx.nd.ones((2,)))"
                 "  # doctest: +SKIP\n    ")
    input_shape_rule(name)(_same_shapes)
    SAME_SHAPE_INPUTS[name] = ("lhs", "rhs")
    return register_operator(name, inputs=("lhs", "rhs"), aliases=_ALIASES.get(name, ()),
                             fresh=True)(f)


def _same_shapes(shapes: dict[str, tuple[int, ...]], **params: Any
                 ) -> dict[str, tuple[int, ...]]:
    """An elemwise operand of unknown shape has the other's (MXNet's shape inference)."""
    known = shapes.get("lhs", shapes.get("rhs"))
    return {} if known is None else {"lhs": known, "rhs": known}


def _logical_fn(prim: str) -> Any:
    def f(lhs: Any, rhs: Any) -> Array:
        a, b = not_equal_zero(lhs), not_equal_zero(rhs)
        like = lhs if isinstance(lhs, Array) else rhs
        return cast(binary(prim, a, b), like._dtype)

    name = f"broadcast_{prim}"
    f.__name__ = f.__qualname__ = name
    f.__doc__ = (f"Elementwise {prim} of non-zero tests, as 1/0 in the operands' dtype.\n\n"
                 f"    >>> mx.nd.{name}(mx.nd.array([0, 1]), mx.nd.array([1, 1]))"
                 "  # doctest: +SKIP\n    ")
    return register_operator(name, inputs=("lhs", "rhs"), fresh=True)(f)


for _suffix, _prim in BINARY.items():
    _broadcast_fn(_suffix, _prim)
for _suffix in ("add", "sub", "mul", "div"):
    _elemwise_fn(_suffix, BINARY[_suffix])
for _prim in LOGICAL:
    _logical_fn(_prim)
