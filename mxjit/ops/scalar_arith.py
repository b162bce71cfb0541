"""MXNet's internal arithmetic operators: an array with a scalar (`_plus_scalar`,
`_rdiv_scalar`, ...) and two arrays of one shape (`_power`, `_greater`, ...). They are
what Symbol arithmetic writes into graphs (`x + 1` is `_plus_scalar`, `x ** y` is
`_power`) and what MXNet's JSON files name, so they are operators of the table. The
scalar takes the array's dtype; comparisons give 1 or 0 in that dtype, as in MXNet.

    >>> mx.nd._internal._plus_scalar(mx.nd.ones((2,)), scalar=2)  # doctest: +SKIP
"""
from __future__ import annotations

from typing import Any

from ..core import Array
from ..core.operators import SAME_SHAPE_INPUTS, register_operator
from .arith import check_same_shape
from .elementwise import binary, cast

#: Operator -> (primitive, scalar on the left).
SCALAR = {
    "_plus_scalar": ("add", False), "_minus_scalar": ("sub", False),
    "_rminus_scalar": ("sub", True), "_mul_scalar": ("mul", False),
    "_div_scalar": ("div", False), "_rdiv_scalar": ("div", True),
    "_mod_scalar": ("mod", False), "_rmod_scalar": ("mod", True),
    "_power_scalar": ("pow", False), "_rpower_scalar": ("pow", True),
    "_maximum_scalar": ("maximum", False), "_minimum_scalar": ("minimum", False),
    "_equal_scalar": ("eq", False), "_not_equal_scalar": ("ne", False),
    "_greater_scalar": ("gt", False), "_greater_equal_scalar": ("ge", False),
    "_lesser_scalar": ("lt", False), "_lesser_equal_scalar": ("le", False),
}
#: Operator -> primitive, for two arrays of one shape.
SAME_SHAPE = {
    "_power": "pow", "_maximum": "maximum", "_minimum": "minimum", "_mod": "mod",
    "_equal": "eq", "_not_equal": "ne", "_greater": "gt", "_greater_equal": "ge",
    "_lesser": "lt", "_lesser_equal": "le",
}
_COMPARISONS = ("eq", "ne", "gt", "ge", "lt", "le")


def _scalar_fn(name: str, prim: str, left: bool) -> Any:
    def f(data: Array, scalar: float = 1.0, is_int: bool = True) -> Array:
        out = binary(prim, scalar, data) if left else binary(prim, data, scalar)
        return cast(out, data._dtype) if prim in _COMPARISONS else out

    f.__name__ = f.__qualname__ = name
    side = "scalar (op) data" if left else "data (op) scalar"
    f.__doc__ = (f"Elementwise {prim} of an array and a scalar, as {side}.\n\n"
                 f"    >>> mx.nd._internal.{name}(mx.nd.ones((2,)), scalar=2)  # doctest: +SKIP\n"
                 "    ")
    SAME_SHAPE_INPUTS[name] = ("data",)
    return register_operator(name, fresh=True)(f)


def _same_shape_fn(name: str, prim: str) -> Any:
    def f(lhs: Array, rhs: Array) -> Array:
        check_same_shape(name, lhs, rhs, f"broadcast{name}")
        out = binary(prim, lhs, rhs)
        return cast(out, lhs._dtype) if prim in _COMPARISONS else out

    f.__name__ = f.__qualname__ = name
    f.__doc__ = (f"Elementwise {prim} of two arrays of the same shape.\n\n"
                 f"    >>> mx.nd._internal.{name}(mx.nd.ones((2,)), mx.nd.ones((2,)))"
                 "  # doctest: +SKIP\n    ")
    return register_operator(name, inputs=("lhs", "rhs"), fresh=True)(f)


for _name, (_prim, _left) in SCALAR.items():
    _scalar_fn(_name, _prim, _left)
for _name, _prim in SAME_SHAPE.items():
    _same_shape_fn(_name, _prim)
