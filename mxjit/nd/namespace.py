"""`mx.nd`'s operator functions, generated from the operator table.

Each registered operator becomes a function with MXNet's signature (its inputs and
parameters, then `out=None, name=None`) and a generated docstring, in the namespace MXNet
puts it (`mx.nd`, `mx.nd.contrib`, `mx.nd.linalg`, ...). What the functions share is
`finish`: MXNet's operators return new arrays (never an operand, nor a view of one) and
write into `out=` when it is given (`ndarray.finish`).

    >>> 'FullyConnected' in functions('')  # doctest: +SKIP
    True
"""
from __future__ import annotations

import functools
import numbers
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import ops  # noqa: F401  (registers every operator)
from ..base import ArgumentError, ShapeError
from ..core.operators import lookup, make_function, namespace
from ..ops.operands import axis_index, ints
from .ndarray import NDArray, finish

#: MXNet's Python-level names that are another operator under a different name (they
#: broadcast, or pick the operator by their arguments, in MXNet; the operators here do).
#: `split_v2`, which turns NumPy's arguments into `_split_v2`'s, is written out below.
RENAMED = {
    "": {"add": "broadcast_add", "subtract": "broadcast_sub", "multiply": "broadcast_mul",
         "divide": "broadcast_div", "modulo": "broadcast_mod", "power": "broadcast_power",
         "maximum": "broadcast_maximum", "minimum": "broadcast_minimum",
         "equal": "broadcast_equal", "not_equal": "broadcast_not_equal",
         "greater": "broadcast_greater", "greater_equal": "broadcast_greater_equal",
         "lesser": "broadcast_lesser", "lesser_equal": "broadcast_lesser_equal",
         "logical_and": "broadcast_logical_and", "logical_or": "broadcast_logical_or",
         "logical_xor": "broadcast_logical_xor", "true_divide": "broadcast_div"},
}
def _as_one_or_zero(test: Callable[[Any, Any], bool]) -> Callable[[Any, Any], int]:
    return lambda x, y: 1 if test(x, y) else 0


#: What those functions give for two Python numbers: MXNet computes a Python number
#: (`mx.nd.power(0.9, t)` in an optimizer), comparisons as 1 or 0.
_TRUTH = {"equal": operator.eq, "not_equal": operator.ne, "greater": operator.gt,
          "greater_equal": operator.ge, "lesser": operator.lt, "lesser_equal": operator.le,
          "logical_and": lambda x, y: bool(x) and bool(y),
          "logical_or": lambda x, y: bool(x) or bool(y),
          "logical_xor": lambda x, y: bool(x) != bool(y)}
ON_NUMBERS: dict[str, Callable[[Any, Any], Any]] = {
    "add": operator.add, "subtract": operator.sub, "multiply": operator.mul,
    "divide": operator.truediv, "true_divide": operator.truediv, "modulo": operator.mod,
    "power": operator.pow, "maximum": lambda x, y: x if x > y else y,
    "minimum": lambda x, y: x if x < y else y,
    **{name: _as_one_or_zero(test) for name, test in _TRUTH.items()}}


def functions(ns: str) -> dict[str, Callable[..., Any]]:
    """The `mx.nd` functions of namespace `ns` ('' for `mx.nd` itself, 'contrib', ...)."""
    module = "mxjit.nd" + (f".{ns}" if ns else "")
    made = {name: make_function(op, name, finish, "NDArray", module)
            for name, op in namespace(ns).items()}
    for name, target in RENAMED.get(ns, {}).items():
        made[name] = _on_numbers_too(make_function(lookup(target), name, finish, "NDArray",
                                                   module, numbers=True), ON_NUMBERS[name])
    if not ns:
        made["split_v2"] = _split_v2(make_function(lookup("_split_v2"), "split_v2", finish,
                                                   "NDArray", module))
    return made


def _on_numbers_too(function: Callable[..., Any], scalar: Callable[[Any, Any], Any]
                    ) -> Callable[..., Any]:
    """`function`, except that two Python numbers give `scalar` of them, as in MXNet."""
    @functools.wraps(function)
    def either(lhs: Any, rhs: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(lhs, numbers.Number) and isinstance(rhs, numbers.Number):
            return scalar(lhs, rhs)
        return function(lhs, rhs, *args, **kwargs)

    return either


def _split_v2(operator: Callable[..., Any]) -> Callable[..., Any]:
    """MXNet's Python-level `mx.nd.split_v2` over the `_split_v2` operator's function."""
    def split_v2(ary: NDArray, indices_or_sections: Any, axis: int = 0,
                 squeeze_axis: bool = False, out: Any = None, name: str | None = None) -> Any:
        """Split `ary` along `axis`: an int N gives N equal parts (N must divide the axis),
        a tuple of increasing ints the split points (NumPy's `split`; a point past the axis
        gives an empty part). `squeeze_axis` drops the split axis (parts of size 1 only).

        >>> [p.shape for p in mx.nd.split_v2(mx.nd.ones((5, 2)), (2, 3))]  # doctest: +SKIP
        [(2, 2), (1, 2), (2, 2)]
        """
        if not isinstance(ary, NDArray):
            raise ArgumentError(f"split_v2: ary must be an NDArray, got {type(ary).__name__}")
        dim = ary.shape[axis_index(axis, ary.ndim, "split_v2")]
        indices, sections = split_v2_arguments(indices_or_sections, dim)
        return operator(ary, indices=indices, axis=axis, squeeze_axis=squeeze_axis,
                        sections=sections, out=out)

    split_v2.__module__ = operator.__module__
    return split_v2


def split_v2_arguments(indices_or_sections: Any, dim: int | None = None
                       ) -> tuple[list[int], int]:
    """`_split_v2`'s (indices, sections) for NumPy's `indices_or_sections`: an int is that
    many sections (with `dim`, the axis size, they must divide it evenly, as `mx.nd`'s
    check: its equal parts are `sections` then), a sequence the split points.

    >>> split_v2_arguments((2, 3)), split_v2_arguments(3)
    (([0, 2, 3], 0), ([], 3))
    """
    if isinstance(indices_or_sections, (int, np.integer)) and \
            not isinstance(indices_or_sections, bool):
        n = int(indices_or_sections)
        if n < 1:
            raise ShapeError(f"split_v2: the number of sections must be positive, got {n}")
        if dim is not None and dim % n:
            raise ShapeError(f"split_v2: {n} sections do not evenly divide an axis of size "
                             f"{dim}")
        return [], n
    return [0, *ints(indices_or_sections, "split_v2: indices_or_sections")], 0
