"""Elementwise operators: MXNet's unary math, the binary operators with broadcasting and
scalars, `where`, `clip` and `cast`, each over primitives, so they fuse and differentiate
like everything else.
"""
from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from ..base import DTypeError
from ..core import Array, bind, bind_elementwise, same_shape_binary, weakened
from ..core.operators import SAME_SHAPE_INPUTS, input_shape_rule, register_operator
from ..trace import canonical_dtype
from ..trace.elementwise import UNARY_FLOAT
from .operands import broadcast_shape, not_equal_zero, operand, reshape_exact

COMPARISONS = frozenset({"eq", "ne", "lt", "le", "gt", "ge"})


def promote(a: Array, b: Array, op: str) -> tuple[Array, Array]:
    """Two operands of one dtype for `op`. Front ends whose arrays promote (mx.np) cast
    both to NumPy's common dtype; MXNet's mx.nd does not, and two dtypes are a DTypeError
    there that names both and the cast to write.

    >>> promote(mx.nd.ones(2), mx.nd.ones(2, dtype='int32'), 'add')  # doctest: +SKIP
    DTypeError: add: operands of two dtypes, float32 and int32 ...
    """
    if a._dtype == b._dtype:
        return a, b
    if a._weak != b._weak:  # a traced Python scalar takes the array's dtype, as the number would
        return (cast(a, b._dtype), b) if a._weak else (a, cast(b, a._dtype))
    if a._weak:  # two Python numbers: Python's rule (int with float is float)
        common = np.result_type(a._dtype, b._dtype)
        return weakened(cast(a, common)), weakened(cast(b, common))
    common = np.result_type(a._dtype, b._dtype)
    if a._promotes_dtypes and b._promotes_dtypes:
        return cast(a, common), cast(b, common)
    # the suggested cast: an integer operand to the float's dtype, else to the wider one
    kinds = {a._dtype.kind, b._dtype.kind}
    if "f" in kinds and kinds != {"f"}:
        common = a._dtype if a._dtype.kind == "f" else b._dtype
    which = "lhs" if a._dtype != common else "rhs"
    raise DTypeError(
        f"{op}: operands of two dtypes, {a._dtype.name} and {b._dtype.name}; MXNet's "
        f"operators do not promote: cast one first, e.g. {which}.astype('{common.name}')")


def binary(op: str, lhs: Any, rhs: Any) -> Array:
    """`op` between arrays and/or scalars with NumPy broadcasting (MXNet's operators).

    Comparisons return 1/0 in the operands' dtype, as MXNet does.

    >>> binary('add', mx.nd.ones(2), 1).asnumpy()  # doctest: +SKIP
    array([2., 2.], dtype=float32)
    """
    cast_to = None
    if lhs._weak if isinstance(lhs, Array) else rhs._weak:
        lhs, rhs = _as_python_numbers(op, lhs, rhs)
    if type(lhs) is type(rhs) and isinstance(lhs, Array):
        fast = same_shape_binary(op, lhs, rhs, op in COMPARISONS)
        if fast is not None:
            return fast  # type: ignore[no-any-return]
        if lhs.shape == rhs.shape and lhs._dtype == rhs._dtype:
            a, b, shape = lhs, rhs, lhs.shape  # the common case, without the general checks
        else:
            a, b = promote(lhs, rhs, op)
            shape = broadcast_shape(op, a.shape, b.shape)
    else:
        lhs, rhs = _as_python_numbers(op, lhs, rhs)
        like = lhs if isinstance(lhs, Array) else rhs
        a, b = promote(operand(lhs, like), operand(rhs, like), op)
        shape = broadcast_shape(op, a.shape, b.shape)
    if op in COMPARISONS:
        cast_to = a._dtype
    return bind_elementwise(op, [a, b], shape, cast_to)  # type: ignore[no-any-return]


def _as_python_numbers(op: str, lhs: Any, rhs: Any) -> tuple[Any, Any]:
    """Traced Python ints (weak arrays) that meet a float, or are divided, become floats,
    as the Python numbers they stand for would (3 / 2 is 1.5)."""
    def is_float(x: Any) -> bool:
        return isinstance(x, float) or (isinstance(x, Array) and x._weak
                                        and x._dtype.kind == "f")

    def as_float(x: Any) -> Any:
        if isinstance(x, Array) and x._weak and x._dtype.kind != "f" and (
                op == "div" or is_float(lhs) or is_float(rhs)):
            return weakened(cast(x, np.float64))
        return x

    return as_float(lhs), as_float(rhs)


#: Rounding ops: an integer operand is whole already, and MXNet returns it unchanged.
_ROUNDING = frozenset({"floor", "ceil", "round", "rint", "trunc"})


def on_integers(data: Array, f: Any) -> Array:
    """f(data) for float math: an integer operand is computed in float64 and converted
    back to its dtype, as MXNet's kernels do for integer arrays (`exp` of int32 [1, 2] is
    [2, 7]; NaN and out-of-range results convert as x86 does, see `cast`).

    >>> on_integers(mx.nd.array([1, 2], dtype='int32'), exp).asnumpy()  # doctest: +SKIP
    array([2, 7], dtype=int32)
    """
    if data._dtype.kind not in "iu":
        return f(data)  # type: ignore[no-any-return]
    return cast(f(cast(data, np.float64)), data._dtype)


def _unary(name: str, doc: str, primitive: str | None = None) -> Any:
    prim = primitive or name

    def elementwise(data: Array) -> Array:
        return bind_elementwise(prim, [data], data.shape)  # type: ignore[no-any-return]

    def f(data: Array) -> Array:
        if prim not in UNARY_FLOAT or data._dtype.kind not in "iu":
            return elementwise(data)
        if prim in _ROUNDING:
            return cast(data, data._dtype)  # (a copy)
        return on_integers(data, elementwise)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"{doc}\n\n    >>> mx.nd.{name}(mx.nd.array([0.5]))  # doctest: +SKIP\n    "
    SAME_SHAPE_INPUTS[name] = ("data",)
    return register_operator(name, fresh=True)(f)


exp = _unary("exp", "Exponential, elementwise.")
expm1 = _unary("expm1", "exp(x) - 1, accurate near 0.")
log = _unary("log", "Natural logarithm, elementwise.")
log1p = _unary("log1p", "log(1 + x), accurate near 0.")
sin = _unary("sin", "Sine, elementwise.")
cos = _unary("cos", "Cosine, elementwise.")
tan = _unary("tan", "Tangent, elementwise.")
tanh = _unary("tanh", "Hyperbolic tangent, elementwise.")
sigmoid = _unary("sigmoid", "Logistic sigmoid 1 / (1 + exp(-x)), elementwise.")
erf = _unary("erf", "Gauss error function, elementwise.")
sqrt = _unary("sqrt", "Square root, elementwise.")
rsqrt = _unary("rsqrt", "1 / sqrt(x), elementwise.")
floor = _unary("floor", "Round down, elementwise.")
ceil = _unary("ceil", "Round up, elementwise.")
round = _unary("round", "Round half away from zero, elementwise.")
trunc = _unary("trunc", "Round toward zero, elementwise.")
fix = _unary("fix", "Round toward zero, elementwise (MXNet's name for trunc).", "trunc")
sign = _unary("sign", "Sign (-1, 0, 1), elementwise.")
abs = _unary("abs", "Absolute value, elementwise.")
negative = _unary("negative", "Negation, elementwise.", "neg")
log2 = _unary("log2", "Base-2 logarithm, elementwise.")
log10 = _unary("log10", "Base-10 logarithm, elementwise.")
cbrt = _unary("cbrt", "Cube root (negative for negative x), elementwise.")
arcsin = _unary("arcsin", "Inverse sine in [-pi/2, pi/2], elementwise (NaN beyond [-1, 1]).")
arccos = _unary("arccos", "Inverse cosine in [0, pi], elementwise (NaN beyond [-1, 1]).")
arctan = _unary("arctan", "Inverse tangent in [-pi/2, pi/2], elementwise.")
sinh = _unary("sinh", "Hyperbolic sine, elementwise.")
cosh = _unary("cosh", "Hyperbolic cosine, elementwise.")
arcsinh = _unary("arcsinh", "Inverse hyperbolic sine, elementwise.")
arccosh = _unary("arccosh", "Inverse hyperbolic cosine, elementwise (NaN below 1).")
arctanh = _unary("arctanh", "Inverse hyperbolic tangent, elementwise (+-inf at +-1).")
erfinv = _unary("erfinv", "Inverse of the error function on [-1, 1], elementwise.")
gamma = _unary("gamma", "The gamma function, elementwise (NaN at the negative integers).")
gammaln = _unary("gammaln", "log|gamma(x)|, elementwise (+inf at 0 and the negative "
                 "integers).")


@register_operator("rint", fresh=True)
def rint(data: Array) -> Array:
    """Round to the nearest integer, elementwise, halves toward -inf as MXNet does
    ([0.5, 1.5, 2.5, -0.5] gives [0, 1, 2, -1]; NumPy's rint rounds halves to even).

    >>> mx.nd.rint(mx.nd.array([0.5, 1.5, -0.5]))  # doctest: +SKIP
    """
    if data._dtype.kind in "iu":
        return cast(data, data._dtype)  # (a copy: whole already)
    below, above = floor(data), ceil(data)
    nearer_below = bind_elementwise("le", [data - below, above - data], data.shape)
    return bind("where", nearer_below, below, above)  # type: ignore[no-any-return]


@register_operator("relu", fresh=True)
def relu(data: Array) -> Array:
    """max(x, 0), elementwise; its gradient is 0 at 0, as in MXNet.

    >>> mx.nd.relu(mx.nd.array([-1, 2]))  # doctest: +SKIP
    """
    # maximum's ties take the first operand, so with 0 first x gets no gradient at 0
    return maximum(0, data)


@register_operator("square", fresh=True)
def square(data: Array) -> Array:
    """x * x, elementwise.

    >>> mx.nd.square(mx.nd.array([3.0]))  # doctest: +SKIP
    """
    return binary("mul", data, data)


@register_operator("reciprocal", fresh=True)
def reciprocal(data: Array) -> Array:
    """1 / x, elementwise.

    >>> mx.nd.reciprocal(mx.nd.array([4.0]))  # doctest: +SKIP
    """
    return on_integers(data, lambda x: binary("div", 1, x))


def _floats_only(op: str, data: Array) -> Array:
    """`data`, if it is floating point (MXNet has no integer kernel for `op`)."""
    if data._dtype.kind != "f":
        raise DTypeError(f"{op}: needs a floating-point operand, got {data._dtype.name}")
    return data


@register_operator("degrees", fresh=True)
def degrees(data: Array) -> Array:
    """Radians to degrees, x * 180 / pi, elementwise.

    >>> mx.nd.degrees(mx.nd.array([3.14159265]))  # doctest: +SKIP
    """
    return on_integers(data, lambda x: binary("mul", x, 180 / math.pi))


@register_operator("radians", fresh=True)
def radians(data: Array) -> Array:
    """Degrees to radians, x * pi / 180, elementwise.

    >>> mx.nd.radians(mx.nd.array([180.0]))  # doctest: +SKIP
    """
    return on_integers(data, lambda x: binary("mul", x, math.pi / 180))


@register_operator("rcbrt", fresh=True)
def rcbrt(data: Array) -> Array:
    """1 / cbrt(x), elementwise.

    >>> mx.nd.rcbrt(mx.nd.array([8.0]))  # doctest: +SKIP
    """
    return on_integers(data, lambda x: binary("div", 1, cbrt(x)))


@register_operator("softsign", fresh=True)
def softsign(data: Array) -> Array:
    """x / (1 + |x|), elementwise.

    >>> mx.nd.softsign(mx.nd.array([-1.0, 3.0]))  # doctest: +SKIP
    """
    return on_integers(data, lambda x: binary("div", x, binary("add", abs(x), 1)))


@register_operator("hard_sigmoid", fresh=True)
def hard_sigmoid(data: Array, alpha: float = 0.2, beta: float = 0.5) -> Array:
    """max(0, min(1, alpha * x + beta)), elementwise.

    >>> mx.nd.hard_sigmoid(mx.nd.array([-3.0, 0.0, 3.0]))  # doctest: +SKIP
    """
    x = _floats_only("hard_sigmoid", data)
    # float16 data is scaled in float32 and rounded once, as MXNet's kernel does: alpha
    # rounded to float16 first would leave 1e-4 where alpha * x + beta is 0
    half = x._dtype == np.float16
    y = binary("add", binary("mul", cast(x, np.float32) if half else x, alpha), beta)
    # the bounds first: ties go to the first operand, so the kinks get no gradient (MXNet)
    y = minimum(1.0, maximum(0.0, y))
    return cast(y, np.float16) if half else y


@register_operator("logical_not", fresh=True)
def logical_not(data: Array) -> Array:
    """1 where x is 0, else 0, in x's dtype (a bool array gives bool), as in MXNet 1.x.

    >>> mx.nd.logical_not(mx.nd.array([0.0, 2.0]))  # doctest: +SKIP
    """
    return cast(bind("logical_not", not_equal_zero(data)), data._dtype)


def maximum(lhs: Any, rhs: Any) -> Array:
    """Elementwise maximum with broadcasting (NaN wins, as in NumPy).

    >>> mx.nd.maximum(mx.nd.array([1, 5]), 3)  # doctest: +SKIP
    """
    return binary("maximum", lhs, rhs)


def minimum(lhs: Any, rhs: Any) -> Array:
    """Elementwise minimum with broadcasting (NaN wins, as in NumPy).

    >>> mx.nd.minimum(mx.nd.array([1, 5]), 3)  # doctest: +SKIP
    """
    return binary("minimum", lhs, rhs)


@register_operator("clip", fresh=True)
def clip(data: Array, a_min: float, a_max: float) -> Array:
    """Limit values to [a_min, a_max].

    Bounds beyond an integer dtype's range are clamped into it: clipping uint8 data to
    [-5, 300] leaves it as it is.

    >>> mx.nd.clip(mx.nd.array([-2, 0, 2]), -1, 1)  # doctest: +SKIP
    """
    if data._dtype.kind in "iu":
        info = np.iinfo(data._dtype)
        a_min, a_max = (builtins.min(builtins.max(b, info.min), info.max) for b in (a_min, a_max))
    return minimum(maximum(data, a_min), a_max)


@register_operator("Cast", aliases=("cast",), kinds={"dtype": "dtype"})
def cast(data: Array, dtype: Any) -> Array:
    """Convert to `dtype`. Float to integer truncates toward zero as MXNet's C++ casts do on
    x86: NaN and values out of the int32 range (int64 for int64) give its minimum, and
    narrower types wrap (NaN to int32 is -2147483648, 300.7 to int8 is 44).

    >>> mx.nd.cast(mx.nd.array([1.7]), dtype='int32')  # doctest: +SKIP
    """
    return bind_elementwise(  # type: ignore[no-any-return]
        "cast", [data], data.shape, dtype=canonical_dtype(dtype))


@register_operator("where", inputs=("condition", "x", "y"), fresh=True)
def where(condition: Array, x: Array, y: Array) -> Array:
    """x where condition is non-zero, else y (MXNet's `where`).

    As in MXNet, a 1-D condition whose length is x's first axis selects whole rows (of x
    with any number of axes); other shapes broadcast as in NumPy.

    >>> mx.nd.where(mx.nd.array([1, 0]), mx.nd.array([1, 2]), mx.nd.array([3, 4]))  # doctest: +SKIP
    >>> mx.nd.where(mx.nd.array([1, 0]), mx.nd.ones((2, 3)), mx.nd.zeros((2, 3)))  # doctest: +SKIP
    """
    x, y = promote(operand(x, condition), operand(y, condition), "where")
    c = operand(condition)
    if c.ndim == 1 and x.ndim > 1 and c.shape[0] == x.shape[0] and c.shape != x.shape:
        c = reshape_exact(c, c.shape + (1,) * (x.ndim - 1))  # MXNet's row selection
    shape = broadcast_shape("where", c.shape, x.shape, y.shape)
    cond = not_equal_zero(_broadcast(c, shape))
    return bind("where", cond, _broadcast(x, shape), _broadcast(y, shape))  # type: ignore


@input_shape_rule("where")
def _where_shapes(shapes: dict[str, tuple[int, ...]], **params: Any
                  ) -> dict[str, tuple[int, ...]]:
    """x and y of unknown shape have the other's, and so has an unknown condition (MXNet's
    shape inference; `zeros((0, 0))` as y takes x's shape)."""
    known = shapes.get("x", shapes.get("y"))
    if known is None:
        return {}
    rule = {"x": known, "y": known}
    if "condition" not in shapes:
        rule["condition"] = known
    return rule


def _broadcast(x: Array, shape: tuple[int, ...]) -> Array:
    return x if x.shape == shape else bind("broadcast_to", x, shape=shape)
