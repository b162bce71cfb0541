"""MXNet's named arithmetic families: broadcast_* (NumPy broadcasting), elemwise_* (equal
shapes only) and the plain names (add, subtract, ...), each with `out=`."""
from __future__ import annotations

from typing import Any

from ..base import ShapeError
from .ndarray import NDArray
from .ops import _write, binary

#: MXNet name suffix -> primitive.
_BINARY = {
    "add": "add", "sub": "sub", "mul": "mul", "div": "div", "mod": "mod", "power": "pow",
    "maximum": "maximum", "minimum": "minimum", "equal": "eq", "not_equal": "ne",
    "greater": "gt", "greater_equal": "ge", "lesser": "lt", "lesser_equal": "le",
}
_LOGICAL = {"logical_and": "logical_and", "logical_or": "logical_or",
            "logical_xor": "logical_xor"}


def _broadcast_fn(suffix: str, prim: str) -> Any:
    def f(lhs: Any, rhs: Any, out: NDArray | None = None, name: str | None = None) -> NDArray:
        return _write(binary(prim, lhs, rhs), out)

    f.__name__ = f.__qualname__ = f"broadcast_{suffix}"
    f.__doc__ = (f"Elementwise {suffix} with NumPy broadcasting.\n\n"
                 f"    >>> mx.nd.broadcast_{suffix}(mx.nd.ones((2, 1)), mx.nd.ones((3,)))"
                 "  # doctest: +SKIP\n    ")
    return f


def _elemwise_fn(suffix: str, prim: str) -> Any:
    def f(lhs: NDArray, rhs: NDArray, out: NDArray | None = None, name: str | None = None
          ) -> NDArray:
        if not isinstance(lhs, NDArray) or not isinstance(rhs, NDArray):
            raise TypeError(f"elemwise_{suffix}: both operands must be NDArrays")
        if lhs.shape != rhs.shape:
            raise ShapeError(f"elemwise_{suffix}: operand shapes {lhs.shape} and {rhs.shape} "
                             f"differ; elemwise ops need equal shapes (use broadcast_{suffix} "
                             "to broadcast)")
        return _write(binary(prim, lhs, rhs), out)

    f.__name__ = f.__qualname__ = f"elemwise_{suffix}"
    f.__doc__ = (f"Elementwise {suffix} of two arrays of the same shape.\n\n"
                 f"    >>> mx.nd.elemwise_{suffix}(mx.nd.ones((2,)), mx.nd.ones((2,)))"
                 "  # doctest: +SKIP\n    ")
    return f


def _logical_fn(name: str) -> Any:
    def f(lhs: Any, rhs: Any, out: NDArray | None = None, name: str | None = None) -> NDArray:
        from .ops import cast, not_equal_zero

        a, b = not_equal_zero(lhs), not_equal_zero(rhs)
        like = lhs if isinstance(lhs, NDArray) else rhs
        return _write(cast(binary(prim, a, b), like._dtype), out)

    prim = name
    f.__name__ = f.__qualname__ = f"broadcast_{name}"
    f.__doc__ = f"Elementwise {name} of non-zero tests, as 1/0 in the operands' dtype."
    return f


FUNCTIONS: dict[str, Any] = {}
for _suffix, _prim in _BINARY.items():
    FUNCTIONS[f"broadcast_{_suffix}"] = _broadcast_fn(_suffix, _prim)
for _suffix in ("add", "sub", "mul", "div"):
    FUNCTIONS[f"elemwise_{_suffix}"] = _elemwise_fn(_suffix, _BINARY[_suffix])
for _name in _LOGICAL:
    FUNCTIONS[f"broadcast_{_name}"] = _logical_fn(_name)
    FUNCTIONS[_name] = FUNCTIONS[f"broadcast_{_name}"]
# MXNet's plain names broadcast as the operators do.
for _plain, _suffix in (("add", "add"), ("subtract", "sub"), ("multiply", "mul"),
                        ("divide", "div"), ("modulo", "mod"), ("equal", "equal"),
                        ("not_equal", "not_equal"), ("greater", "greater"),
                        ("greater_equal", "greater_equal"), ("lesser", "lesser"),
                        ("lesser_equal", "lesser_equal")):
    FUNCTIONS[_plain] = FUNCTIONS[f"broadcast_{_suffix}"]
FUNCTIONS["broadcast_plus"] = FUNCTIONS["broadcast_add"]
FUNCTIONS["broadcast_minus"] = FUNCTIONS["broadcast_sub"]
globals().update(FUNCTIONS)
__all__ = sorted(FUNCTIONS)
