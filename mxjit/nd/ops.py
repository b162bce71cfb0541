"""`mx.nd` operators over primitives: each works eagerly and inside a trace.

Composite operators (`relu`, `mean`, `clip`, ...) are written with primitives only, so
they fuse and differentiate like everything else.
"""
from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..base import DTypeError, ShapeError
from ..trace.dtypes import canonical_dtype
from .dispatch import (
    bind,
    bind_elementwise,
    fresh_result,
    int_param,
    same_shape_binary,
    scalar_operand,
    with_out,
)
from .dispatch import write_out as _write
from .ndarray import NDArray
from .shape_ops import concat, expand_dims, flip, reshape, reshape_exact  # noqa: F401

# ---- operands ----------------------------------------------------------------------------


def _operand(x: Any, like: NDArray | None = None) -> NDArray:
    if isinstance(x, NDArray):
        return x
    if isinstance(x, (int, float, bool, np.number, np.bool_)) and like is not None:
        return scalar_operand(x, like)
    from .creation import array

    return array(x)


def not_equal_zero(x: Any, like: NDArray | None = None) -> NDArray:
    """A bool array: x != 0 (MXNet's truth test for conditions and logical ops)."""
    a = _operand(x, like)
    return bind("ne", a, broadcast_to(scalar_operand(0, a), a.shape))


def _promote(a: NDArray, b: NDArray) -> tuple[NDArray, NDArray]:
    if a._dtype == b._dtype:
        return a, b
    common = np.result_type(a._dtype, b._dtype)
    return cast(a, common), cast(b, common)


def broadcast_shape(op: str, *shapes: tuple[int, ...]) -> tuple[int, ...]:
    """NumPy's broadcast of `shapes` (written out: `np.broadcast_shapes` costs microseconds,
    a good part of a small eager op), or a ShapeError naming `op`.

    >>> broadcast_shape("add", (4, 1), (3,))
    (4, 3)
    """
    ndim = builtins.max(len(s) for s in shapes)
    out = []
    for k in range(ndim):
        d = 1
        for s in shapes:
            i = k - ndim + len(s)
            if i >= 0 and s[i] != 1:
                if d != 1 and d != s[i]:
                    raise ShapeError(f"{op}: operands with shapes {list(shapes)} cannot be "
                                     "broadcast together")
                d = s[i]
        out.append(d)
    return tuple(out)


COMPARISONS = frozenset({"eq", "ne", "lt", "le", "gt", "ge"})


def binary(op: str, lhs: Any, rhs: Any) -> NDArray:
    """`op` between arrays and/or scalars with NumPy broadcasting (MXNet's operators).

    Comparisons return 1/0 in the operands' dtype, as MXNet does.
    """
    cast_to = None
    if type(lhs) is NDArray and type(rhs) is NDArray:
        fast = same_shape_binary(op, lhs, rhs, op in COMPARISONS)
        if fast is not None:
            return fast
    if (type(lhs) is NDArray and type(rhs) is NDArray and lhs.shape == rhs.shape
            and lhs._dtype == rhs._dtype):
        a, b, shape = lhs, rhs, lhs.shape  # the common case, without the general checks
    else:
        like = lhs if isinstance(lhs, NDArray) else rhs
        a, b = _promote(_operand(lhs, like), _operand(rhs, like))
        shape = broadcast_shape(op, a.shape, b.shape)
    if op in COMPARISONS:
        cast_to = a._dtype
    return bind_elementwise(op, [a, b], shape, cast_to)


def _unary(name: str, doc: str) -> Any:
    def f(data: NDArray, out: NDArray | None = None, name: str | None = None) -> NDArray:
        return _write(bind_elementwise(prim, [data], data.shape), out)

    prim = name
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"{doc}\n\n    >>> mx.nd.{name}(mx.nd.array([0.5]))  # doctest: +SKIP\n    "
    return f


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
sign = _unary("sign", "Sign (-1, 0, 1), elementwise.")
abs = _unary("abs", "Absolute value, elementwise.")
negative = _unary("neg", "Negation, elementwise.")
negative.__name__ = "negative"
rint = _unary("rint", "Round to the nearest integer, halves to even, elementwise.")
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


def fix(data: NDArray, out: NDArray | None = None, name: str | None = None) -> NDArray:
    """Round toward zero, elementwise (MXNet's name for trunc).

    >>> mx.nd.fix(mx.nd.array([-2.7, 2.7]))  # doctest: +SKIP
    """
    return _write(bind_elementwise("trunc", [data], data.shape), out)


def relu(data: NDArray, out: NDArray | None = None, name: str | None = None) -> NDArray:
    """max(x, 0), elementwise; its gradient is 0 at 0, as in MXNet.

    >>> mx.nd.relu(mx.nd.array([-1, 2]))  # doctest: +SKIP
    """
    # maximum's ties take the first operand, so with 0 first x gets no gradient at 0
    return _write(maximum(0, data), out)


def square(data: NDArray, out: NDArray | None = None, name: str | None = None) -> NDArray:
    """x * x, elementwise."""
    return _write(data * data, out)


def reciprocal(data: NDArray, out: NDArray | None = None, name: str | None = None) -> NDArray:
    """1 / x, elementwise."""
    return _write(1 / data, out)


def _floats_only(op: str, data: NDArray) -> NDArray:
    """`data`, if it is floating point (scaling an integer array by 180/pi is no MXNet op)."""
    if data._dtype.kind != "f":
        raise DTypeError(f"{op}: needs a floating-point operand, got {data._dtype.name}")
    return data


def degrees(data: NDArray, out: NDArray | None = None, name: str | None = None) -> NDArray:
    """Radians to degrees, x * 180 / pi, elementwise.

    >>> mx.nd.degrees(mx.nd.array([3.14159265]))  # doctest: +SKIP
    """
    return _write(_floats_only("degrees", data) * (180 / math.pi), out)


def radians(data: NDArray, out: NDArray | None = None, name: str | None = None) -> NDArray:
    """Degrees to radians, x * pi / 180, elementwise.

    >>> mx.nd.radians(mx.nd.array([180.0]))  # doctest: +SKIP
    """
    return _write(_floats_only("radians", data) * (math.pi / 180), out)


def rcbrt(data: NDArray, out: NDArray | None = None, name: str | None = None) -> NDArray:
    """1 / cbrt(x), elementwise.

    >>> mx.nd.rcbrt(mx.nd.array([8.0]))  # doctest: +SKIP
    """
    return _write(1 / cbrt(data), out)


def softsign(data: NDArray, out: NDArray | None = None, name: str | None = None) -> NDArray:
    """x / (1 + |x|), elementwise.

    >>> mx.nd.softsign(mx.nd.array([-1.0, 3.0]))  # doctest: +SKIP
    """
    return _write(_floats_only("softsign", data) / (abs(data) + 1), out)


def hard_sigmoid(data: NDArray, alpha: float = 0.2, beta: float = 0.5,
                 out: NDArray | None = None, name: str | None = None) -> NDArray:
    """max(0, min(1, alpha * x + beta)), elementwise.

    >>> mx.nd.hard_sigmoid(mx.nd.array([-3.0, 0.0, 3.0]))  # doctest: +SKIP
    """
    x = _floats_only("hard_sigmoid", data)
    # float16 data is scaled in float32 and rounded once, as MXNet's kernel does: alpha
    # rounded to float16 first would leave 1e-4 where alpha * x + beta is 0
    half = x._dtype == np.float16
    y = (cast(x, np.float32) if half else x) * alpha + beta
    # the bounds first: ties go to the first operand, so the kinks get no gradient (MXNet)
    y = minimum(1.0, maximum(0.0, y))
    return _write(cast(y, np.float16) if half else y, out)


def logical_not(data: NDArray, out: NDArray | None = None, name: str | None = None) -> NDArray:
    """1 where x is 0, else 0, in x's dtype (a bool array gives bool), as in MXNet 1.x.

    >>> mx.nd.logical_not(mx.nd.array([0.0, 2.0]))  # doctest: +SKIP
    """
    return _write(cast(bind("logical_not", not_equal_zero(data)), data._dtype), out)


@with_out
def maximum(lhs: Any, rhs: Any) -> NDArray:
    """Elementwise maximum with broadcasting (NaN wins, as in NumPy)."""
    return binary("maximum", lhs, rhs)


@with_out
def minimum(lhs: Any, rhs: Any) -> NDArray:
    """Elementwise minimum with broadcasting (NaN wins, as in NumPy)."""
    return binary("minimum", lhs, rhs)


@with_out
def power(base: Any, exp: Any) -> NDArray:
    """base ** exp with broadcasting."""
    return binary("pow", base, exp)


@with_out
def clip(data: NDArray, a_min: float, a_max: float) -> NDArray:
    """Limit values to [a_min, a_max].

    Bounds beyond an integer dtype's range are clamped into it: clipping uint8 data to
    [-5, 300] leaves it as it is.

    >>> mx.nd.clip(mx.nd.array([-2, 0, 2]), -1, 1)  # doctest: +SKIP
    """
    if data._dtype.kind in "iu":
        info = np.iinfo(data._dtype)
        a_min, a_max = (builtins.min(builtins.max(b, info.min), info.max) for b in (a_min, a_max))
    return minimum(maximum(data, a_min), a_max)


@with_out
def cast(data: NDArray, dtype: Any) -> NDArray:
    """Convert to `dtype` (float -> int truncates toward zero and wraps, like C).

    >>> mx.nd.cast(mx.nd.array([1.7]), dtype='int32')  # doctest: +SKIP
    """
    return bind_elementwise("cast", [data], data.shape, dtype=canonical_dtype(dtype))


Cast = cast


@with_out
def where(condition: NDArray, x: NDArray, y: NDArray) -> NDArray:
    """x where condition is non-zero, else y (MXNet's `where`).

    >>> mx.nd.where(mx.nd.array([1, 0]), mx.nd.array([1, 2]), mx.nd.array([3, 4]))  # doctest: +SKIP
    """
    x, y = _promote(_operand(x, condition), _operand(y, condition))
    c = _operand(condition)
    shape = broadcast_shape("where", c.shape, x.shape, y.shape)
    cond = not_equal_zero(broadcast_to(c, shape))
    return bind("where", cond, broadcast_to(x, shape), broadcast_to(y, shape))


# ---- reductions --------------------------------------------------------------------------


def _axes(ndim: int, axis: Any, exclude: bool = False) -> tuple[int, ...]:
    if axis is None or (isinstance(axis, (tuple, list)) and not axis):
        axes = tuple(range(ndim))
    else:
        raw = [axis] if isinstance(axis, (int, np.integer, NDArray)) else axis
        axes = tuple(a + ndim if a < 0 else a for a in (int_param("reduce", "axis", a)
                                                         for a in raw))
        if any(not 0 <= a < ndim for a in axes):
            raise ShapeError(f"axis {axis} out of range for an array of {ndim} dims")
    if exclude:
        axes = tuple(a for a in range(ndim) if a not in axes)
    return tuple(sorted(set(axes)))


def _reduce(prim: str, data: NDArray, axis: Any, keepdims: bool, exclude: bool) -> NDArray:
    axes = _axes(data.ndim, axis, exclude)
    out = bind(prim, data, axes=axes)
    if keepdims:
        return reshape_exact(out, tuple(1 if k in axes else d for k, d in enumerate(data.shape)))
    if out.ndim == 0:  # MXNet's global reductions give shape (1,)
        return reshape_exact(out, (1,))
    return out


@with_out
def sum(data: NDArray, axis: Any = None, keepdims: bool = False, exclude: bool = False
        ) -> NDArray:
    """Sum over `axis` (all axes by default; shape (1,) then, as in MXNet).

    >>> mx.nd.sum(mx.nd.ones((2, 3)), axis=1)  # doctest: +SKIP
    """
    return _reduce("reduce_sum", data, axis, keepdims, exclude)


@with_out
def max(data: NDArray, axis: Any = None, keepdims: bool = False, exclude: bool = False
        ) -> NDArray:
    """Maximum over `axis`."""
    return _reduce("reduce_max", data, axis, keepdims, exclude)


@with_out
def min(data: NDArray, axis: Any = None, keepdims: bool = False, exclude: bool = False
        ) -> NDArray:
    """Minimum over `axis`."""
    return _reduce("reduce_min", data, axis, keepdims, exclude)


@with_out
def prod(data: NDArray, axis: Any = None, keepdims: bool = False, exclude: bool = False
         ) -> NDArray:
    """Product over `axis`."""
    return _reduce("reduce_prod", data, axis, keepdims, exclude)


@with_out
def mean(data: NDArray, axis: Any = None, keepdims: bool = False, exclude: bool = False
         ) -> NDArray:
    """Mean over `axis`."""
    axes = _axes(data.ndim, axis, exclude)
    count = int(np.prod([data.shape[a] for a in axes], dtype=np.int64))
    total = _reduce("reduce_sum", data, axis, keepdims, exclude)
    return total / builtins.max(count, 1) if count else total * float("nan")


def _arg(prim: str, data: NDArray, axis: Any, keepdims: bool) -> NDArray:
    if axis is None:
        flat = reshape_exact(data, (data.size,))
        return cast(reshape_exact(bind(prim, flat, axis=0), (1,)), np.float32)
    ax = _axes(data.ndim, axis)[0]
    out = cast(bind(prim, data, axis=ax), np.float32)  # MXNet returns float indices
    if keepdims:
        return reshape_exact(out, tuple(1 if k == ax else d for k, d in enumerate(data.shape)))
    return reshape_exact(out, (1,)) if out.ndim == 0 else out  # MXNet has no 0-d results


@with_out
def argmax(data: NDArray, axis: Any = None, keepdims: bool = False) -> NDArray:
    """Index of the maximum along `axis`, as float32 (MXNet's convention)."""
    return _arg("argmax", data, axis, keepdims)


@with_out
def argmin(data: NDArray, axis: Any = None, keepdims: bool = False) -> NDArray:
    """Index of the minimum along `axis`, as float32 (MXNet's convention)."""
    return _arg("argmin", data, axis, keepdims)


# ---- shape -------------------------------------------------------------------------------


@with_out
@fresh_result
def transpose(data: NDArray, axes: Sequence[int] | None = None) -> NDArray:
    """Permute the axes (reverse them by default). A new array eagerly, as in MXNet; inside
    `jit` an index map that costs no copy."""
    perm = tuple(reversed(range(data.ndim))) if not axes else tuple(
        a + data.ndim if a < 0 else a for a in axes)
    return bind("transpose", data, perm=perm)


@fresh_result
def broadcast_to(data: NDArray, shape: Sequence[int]) -> NDArray:
    """Broadcast size-1 (and missing leading) axes to `shape`."""
    shape = tuple(shape)
    if data.shape == shape:
        return data
    return bind("broadcast_to", data, shape=shape)


@with_out
def one_hot(indices: NDArray, depth: int, on_value: float = 1.0, off_value: float = 0.0,
            dtype: Any = "float32") -> NDArray:
    """One-hot encoding along a new last axis of size `depth`.

    >>> mx.nd.one_hot(mx.nd.array([0, 2]), 3)  # doctest: +SKIP
    """
    depth = int_param("one_hot", "depth", depth)
    idx = cast(indices, np.int64)
    shape = idx.shape + (depth,)
    from .creation import _iota

    hot = bind("eq", broadcast_to(expand_dims(idx, -1), shape), _iota(shape, len(shape) - 1, idx))
    d = canonical_dtype(dtype)
    on, off = scalar_operand(on_value, cast(idx, d)), scalar_operand(off_value, cast(idx, d))
    return bind("where", hot, broadcast_to(on, shape), broadcast_to(off, shape))


# ---- linear algebra ----------------------------------------------------------------------


@with_out
def dot(lhs: NDArray, rhs: NDArray, transpose_a: bool = False, transpose_b: bool = False
        ) -> NDArray:
    """Matrix product over the last axis of `lhs` and the first of `rhs` (MXNet's `dot`).

    >>> mx.nd.dot(mx.nd.ones((2, 3)), mx.nd.ones((3, 4))).shape  # doctest: +SKIP
    (2, 4)
    """
    a, b = _promote(lhs, rhs)
    if transpose_a:
        a = transpose(a, tuple(range(1, a.ndim)) + (0,)) if a.ndim > 1 else a
    if transpose_b:
        b = transpose(b, (b.ndim - 1,) + tuple(range(b.ndim - 1))) if b.ndim > 1 else b
    out = bind("dot_general", a, b, contract=((a.ndim - 1,), (0,)), batch=((), ()))
    return reshape_exact(out, (1,)) if out.ndim == 0 else out


@with_out
def batch_dot(lhs: NDArray, rhs: NDArray, transpose_a: bool = False, transpose_b: bool = False
              ) -> NDArray:
    """Batched matrix product of (B, M, K) and (B, K, N) arrays."""
    a, b = _promote(lhs, rhs)
    ca = 1 if transpose_a else 2
    cb = 2 if transpose_b else 1
    out = bind("dot_general", a, b, contract=((ca,), (cb,)), batch=((0,), (0,)))
    return out
