"""`mx.np`'s elementwise math and reductions: tables of NumPy names over the registered
operators and primitives, made into functions by `adapter.make`.

`UNARY` maps a NumPy ufunc to the operator that computes it, `BINARY` a two-operand ufunc
to its primitive (through `arithmetic.binary`, NumPy's broadcasting and MXNet's NumPy
promotion), `REDUCTIONS` a reduction to its operator and dtype rule. The few functions
whose meaning takes more than one operator (`round` with decimals, `isinf`, `arctan2`,
`std`, `all`, ...) are written out below the tables.

    >>> mx.np.exp(mx.np.zeros(2)), mx.np.sum(mx.np.ones((2, 3)), axis=0)  # doctest: +SKIP
"""
from __future__ import annotations

import math as _math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..base import ArgumentError, ShapeError, UnsupportedError
from ..core import Array, bind, bind_elementwise, same_shape_binary
from ..ops.operands import as_dtype, axis_indices, reshape_exact
from ..trace import USER_DTYPES
from .adapter import finish, make, operands, operator
from .arithmetic import binary
from .indexing import reshaped
from .ndarray import ndarray
from .promotion import DEFAULT_FLOAT, INDEX_DTYPE, common_dtype, mean_dtype, sum_dtype, user_dtype

#: NumPy ufunc -> the operator that computes it (integers keep their dtype in float math,
#: as MXNet 1.9.1's mx.np does: `sqrt` of int32 [1, 4] is int32 [1, 2]).
UNARY = {
    "exp": "exp", "expm1": "expm1", "log": "log", "log10": "log10", "log2": "log2",
    "log1p": "log1p", "sqrt": "sqrt", "cbrt": "cbrt", "sin": "sin", "cos": "cos",
    "tan": "tan", "arcsin": "arcsin", "arccos": "arccos", "arctan": "arctan", "sinh": "sinh",
    "cosh": "cosh", "tanh": "tanh", "arcsinh": "arcsinh", "arccosh": "arccosh",
    "arctanh": "arctanh", "floor": "floor", "ceil": "ceil", "trunc": "trunc", "fix": "fix",
    "rint": "rint", "sign": "sign", "abs": "abs", "absolute": "abs", "fabs": "abs",
    "negative": "negative", "square": "square", "reciprocal": "reciprocal",
    "degrees": "degrees", "rad2deg": "degrees", "radians": "radians", "deg2rad": "radians",
}

#: NumPy ufunc of two operands -> its elementwise primitive.
BINARY = {
    "add": "add", "subtract": "sub", "multiply": "mul", "divide": "div",
    "true_divide": "div", "mod": "mod", "remainder": "mod", "power": "pow",
    "maximum": "maximum", "minimum": "minimum", "equal": "eq", "not_equal": "ne",
    "less": "lt", "less_equal": "le", "greater": "gt", "greater_equal": "ge",
    "logical_and": "logical_and", "logical_or": "logical_or", "logical_xor": "logical_xor",
}

#: NumPy reduction -> (operator, the dtype rule of its result, takes `dtype=`).
REDUCTIONS: dict[str, tuple[str, Callable[[np.dtype], np.dtype] | None, bool]] = {
    "sum": ("sum", sum_dtype, True), "prod": ("prod", sum_dtype, True),
    "mean": ("mean", mean_dtype, True), "max": ("max", None, False),
    "amax": ("max", None, False), "min": ("min", None, False), "amin": ("min", None, False),
    "nansum": ("nansum", sum_dtype, True), "nanprod": ("nanprod", sum_dtype, True),
}


#: NumPy's ufunc keywords and the only values MXNet 1.9.1 accepts (others raise
#: NotImplementedError there, as here).
UFUNC_OPTIONS = (("where", True), ("casting", "same_kind"), ("order", "K"), ("dtype", None),
                 ("subok", True))


def ufunc_result(name: str, result: Any, where: Any, casting: Any, order: Any, dtype: Any,
                 subok: Any, out: Any) -> Any:
    """`result` under NumPy's ufunc keywords (only their defaults are supported).

    >>> ufunc_result('exp', y, True, 'same_kind', 'K', None, True, None)  # doctest: +SKIP
    """
    given = {"where": where, "casting": casting, "order": order, "dtype": dtype,
             "subok": subok}
    for key, default in UFUNC_OPTIONS:
        value = given[key]
        if value is default or value == default:
            continue
        if not _legal_ufunc_option(key, value):
            raise ArgumentError(f"{name}: {key}={value!r} not understood")
        raise UnsupportedError(f"{name}: {key}={value!r} is not supported (only "
                               f"{key}={default!r})")
    return finish(result, out)


def _legal_ufunc_option(key: str, value: Any) -> bool:
    """Whether NumPy would understand the ufunc keyword value (MXNet's rule: such values
    are not implemented; others are not understood)."""
    if key == "casting":
        return value in ("no", "equiv", "safe", "same_kind", "unsafe")
    if key == "order":
        return isinstance(value, str)
    if key == "dtype":
        try:
            return np.dtype(value) in USER_DTYPES
        except TypeError:
            return False
    if key == "subok":
        return isinstance(value, bool)
    return key == "where"


def _with_ufunc_options(name: str, f: Callable[..., Any], arity: int) -> Callable[..., Any]:
    """A written-out function `f(x, out)` or `f(x1, x2, out)` taking the ufunc keywords
    too."""
    def body(*args: Any) -> Any:
        xs, (out, where, casting, order, dtype, subok) = args[:arity], args[arity:]
        return ufunc_result(name, f(*xs), where, casting, order, dtype, subok, out)

    return body


def _unary(name: str, op: str) -> Callable[..., Any]:
    impl = operator(op)

    def body(x: Any, out: Any, where: Any, casting: Any, order: Any, dtype: Any,
             subok: Any) -> Any:
        if not isinstance(x, Array):
            x = operands(name, x)[0]
        if out is None and where is True and dtype is None and casting == "same_kind" and \
                order == "K" and subok is True:
            return finish(impl(x))
        return ufunc_result(name, impl(x), where, casting, order, dtype, subok, out)

    return make(name, ["x", ("out", None), *UFUNC_OPTIONS], body,
                f"NumPy's `{name}`, elementwise.", f"mx.np.{name}(mx.np.array([0.5, 1.0]))", op)


def _binary(name: str, prim: str) -> Callable[..., Any]:
    fast_ok = prim != "div"

    def body(x1: Any, x2: Any, out: Any, where: Any, casting: Any, order: Any, dtype: Any,
             subok: Any) -> Any:
        plain = out is None and where is True and dtype is None and casting == "same_kind" \
            and order == "K" and subok is True
        if plain and type(x1) is ndarray and type(x2) is ndarray and (
                fast_ok or x1._dtype.kind == "f"):
            fast = same_shape_binary(prim, x1, x2, False)  # (the hot path of eager code)
            if fast is not None:
                return fast
        if plain:
            return finish(binary(prim, x1, x2))
        return ufunc_result(name, binary(prim, x1, x2), where, casting, order, dtype, subok,
                             out)

    return make(name, ["x1", "x2", ("out", None), *UFUNC_OPTIONS], body,
                f"NumPy's `{name}` with broadcasting and NumPy's dtype promotion.",
                f"mx.np.{name}(mx.np.ones((2, 3)), mx.np.arange(3))", prim)


def reduced_shape(shape: tuple[int, ...], axis: Any, keepdims: bool, function: str
                  ) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(the axes reduced, the result's shape by NumPy's rule) for `axis` over `shape`.

    >>> reduced_shape((2, 3), 1, False, 'sum')
    ((1,), (2,))
    """
    axes = tuple(range(len(shape))) if axis is None else axis_indices(axis, len(shape),
                                                                       function)
    kept = tuple(1 if k in axes else d for k, d in enumerate(shape)) if keepdims else \
        tuple(d for k, d in enumerate(shape) if k not in axes)
    return axes, kept


def accumulator(source: np.dtype, target: np.dtype) -> np.dtype:
    """The float dtype a sum-like reduction of `source` into `target` accumulates in: the
    wider of those that are floats, at least float32 (MXNet's: float16 sums accumulate in
    float32, and a float64 array summed into float32 is summed in float64, then cast).

    >>> accumulator(np.dtype('float16'), np.dtype('float16'))
    dtype('float32')
    """
    floats = [d for d in (source, target) if d.kind == "f"] or [np.dtype(DEFAULT_FLOAT)]
    widest = max(floats, key=lambda d: d.itemsize)
    return widest if widest.itemsize >= 4 else np.dtype(np.float32)


def reduce(op: str, x: Array, axis: Any, keepdims: bool, function: str) -> Any:
    """The operator `op` over `axis` of `x`, shaped by NumPy's rule (0-d for all axes)."""
    axes, shape = reduced_shape(x.shape, axis, keepdims, function)
    if not axes:
        return as_dtype(x, x._dtype) if x.size else x
    result = operator(op)(x, axis=axes, keepdims=keepdims)
    return result if result.shape == shape else reshaped(result, shape)


def _reduction(name: str, op: str, rule: Callable[[np.dtype], np.dtype] | None,
               takes_dtype: bool) -> Callable[..., Any]:
    impl = operator(op)

    def compute(a: Any, axis: Any, dtype: Any, out: Any, keepdims: bool) -> Any:
        if dtype is None and out is None and type(a) is ndarray and 0 not in a.shape and (
                rule is None or rule(a._dtype) == a._dtype) and (
                axis is None or type(axis) is int and -a.ndim <= axis < a.ndim) and not (
                takes_dtype and a._dtype == np.float16):
            # (the hot path: all axes or one, the same dtype; MXNet's 0-d result is (1,))
            result = impl(a, axis, keepdims)
            if not keepdims and result.ndim != (0 if axis is None else a.ndim - 1):
                return reshaped(result, ())
            return result
        x = operands(name, a)[0]
        target = user_dtype(dtype, name) if dtype is not None else (
            rule(x._dtype) if rule else x._dtype)
        if name == "mean" and target.kind != "f" and x._dtype.kind != "f":
            # (NumPy's: the sum in the integer dtype, wrapping, then divided and truncated)
            axes, _ = reduced_shape(x.shape, axis, keepdims, name)
            count = float(_math.prod(x.shape[k] for k in axes))
            total = reduce("sum", as_dtype(x, target), axis, keepdims, name)
            result = as_dtype(binary("div", total, count), target)
        elif takes_dtype and (target.kind == "f" or name == "mean"):
            work = accumulator(x._dtype, target)
            result = as_dtype(reduce(op, as_dtype(x, work), axis, keepdims, name), target)
        else:
            result = reduce(op, as_dtype(x, target), axis, keepdims, name)
        return finish(result, out)

    def without_dtype(a: Any, axis: Any, out: Any, keepdims: bool) -> Any:
        return compute(a, axis, None, out, keepdims)

    params: list[Any] = ["a", ("axis", None), ("dtype", None), ("out", None),
                         ("keepdims", False)]
    body: Callable[..., Any] = compute
    if not takes_dtype:
        params, body = [p for p in params if p[0] != "dtype"], without_dtype

    return make(name, params, body, f"NumPy's `{name}` over `axis` (all axes by default).",
                f"mx.np.{name}(mx.np.ones((2, 3)), axis=1)", op)


# ---- functions of more than one operator ---------------------------------------------------


def _around(a: Any, decimals: int = 0, out: Any = None) -> Any:
    x = operands("round", a)[0]
    if x._dtype.kind in "biu":
        if decimals >= 0:
            return finish(as_dtype(x, x._dtype), out)
        return finish(as_dtype(_around(as_dtype(x, np.float64), decimals), x._dtype), out)
    if decimals == 0:
        return finish(bind_elementwise("rint", [x], x.shape), out)
    scale = 10.0 ** decimals
    scaled = bind_elementwise("rint", [binary("mul", x, scale)], x.shape)
    return finish(binary("div", scaled, scale), out)


def _isnan(x: Any, out: Any = None) -> Any:
    a = operands("isnan", x)[0]
    if a._dtype.kind != "f":
        return finish(binary("ne", a, a), out)  # (all False)
    return finish(bind_elementwise("isnan", [a], a.shape), out)


def _isinf(x: Any, out: Any = None) -> Any:
    a = operands("isinf", x)[0]
    if a._dtype.kind != "f":
        return finish(binary("ne", a, a), out)  # (all False)
    return finish(binary("eq", operator("abs")(a), _math.inf), out)


def _isposinf(x: Any, out: Any = None) -> Any:
    a = operands("isposinf", x)[0]
    if a._dtype.kind != "f":
        return finish(binary("ne", a, a), out)  # (all False)
    return finish(binary("eq", a, _math.inf), out)


def _isneginf(x: Any, out: Any = None) -> Any:
    a = operands("isneginf", x)[0]
    if a._dtype.kind != "f":
        return finish(binary("ne", a, a), out)  # (all False)
    return finish(binary("eq", a, -_math.inf), out)


def _isfinite(x: Any, out: Any = None) -> Any:
    a = operands("isfinite", x)[0]
    return finish(binary("lt", operator("abs")(a), _math.inf) if a._dtype.kind == "f"
                  else binary("eq", a, a), out)


def _logical_not(x: Any, out: Any = None) -> Any:
    a = operands("logical_not", x)[0]
    return finish(binary("eq", a, 0), out)


def _floats(function: str, x1: Any, x2: Any) -> tuple[Any, Any]:
    """The operands in one float dtype (their common one; integers in the default float);
    Python numbers stay numbers."""
    xs = [x if isinstance(x, (Array, int, float)) else operands(function, x)[0]
          for x in (x1, x2)]
    if not any(isinstance(x, Array) for x in xs):
        xs[0] = operands(function, xs[0])[0]
    dtypes = [x._dtype for x in xs if isinstance(x, Array)]
    dt = common_dtype(dtypes[0], dtypes[-1])
    dt = dt if dt.kind == "f" else DEFAULT_FLOAT
    return tuple(as_dtype(x, dt) if isinstance(x, Array) else x for x in xs)  # type: ignore


def _hypot(x1: Any, x2: Any, out: Any = None) -> Any:
    a, b = _floats("hypot", x1, x2)
    return finish(operator("sqrt")(binary("add", binary("mul", a, a), binary("mul", b, b))),
                  out)


def _arctan2(x1: Any, x2: Any, out: Any = None) -> Any:
    y, x = _floats("arctan2", x1, x2)
    base = operator("arctan")(binary("div", y, x))
    # quadrant correction: add pi (with y's sign) where x < 0; x == 0 gives +-pi/2
    pi = binary("add", binary("mul", y, 0.0), _math.pi)  # (in y's dtype)
    correction = binary("mul", _copysign_values(pi, y), binary("lt", x, 0))
    return finish(binary("add", base, correction), out)


def _copysign_values(magnitude: Array, sign_of: Array) -> Array:
    negative = binary("lt", sign_of, 0)
    return binary("sub", binary("mul", magnitude, binary("eq", negative, False)),
                  binary("mul", magnitude, negative))


def _copysign(x1: Any, x2: Any, out: Any = None) -> Any:
    a, b = _floats("copysign", x1, x2)
    return finish(_copysign_values(operator("abs")(a), b), out)


def floor_divide(x1: Any, x2: Any, out: Any = None) -> Any:
    """x1 // x2: the floor of the true quotient (integers divide in float64 and convert
    back, so the result keeps their dtype).

    >>> mx.np.floor_divide(mx.np.array([-3., 3.]), 2)  # doctest: +SKIP
    array([-2.,  1.])
    """
    a = x1 if isinstance(x1, Array) else None
    b = x2 if isinstance(x2, Array) else None
    probe = binary("add", x1, x2)
    if probe._dtype.kind == "f":
        return finish(operator("floor")(binary("div", x1, x2)), out)
    wide = [as_dtype(v, np.float64) if isinstance(v, Array) else float(v)
            for v in (a if a is not None else x1, b if b is not None else x2)]
    q = operator("floor")(binary("div", wide[0], wide[1]))
    return finish(as_dtype(q, probe._dtype), out)


def _arg_reduction(name: str) -> Callable[..., Any]:
    def body(a: Any, axis: Any, out: Any) -> Any:
        x = operands(name, a)[0]
        if x.ndim == 0 and axis is not None:
            axis_indices(axis, 1, name)  # (a 0-d array has the axes 0 and -1)
        if x.size == 0 and (axis is None or x.shape[axis_indices(axis, x.ndim, name)[0]] == 0):
            raise ShapeError(f"{name}: attempt to get {name} of an empty sequence (shape "
                             f"{x.shape}, axis {axis})")
        if axis is None or x.ndim == 0:
            flat = reshape_exact(x, (x.size,))
            index = reshaped(operator(name)(flat, axis=0), ())  # (MXNet's is (1,))
            return finish(as_dtype(index, INDEX_DTYPE), out)
        return finish(as_dtype(operator(name)(x, axis=axis), INDEX_DTYPE), out)

    return make(name, ["a", ("axis", None), ("out", None)], body,
                f"NumPy's `{name}`: int64 indices along `axis` (of the flattened array by "
                "default).", f"mx.np.{name}(mx.np.array([1., 3., 2.]))", name)


def _truth(name: str, op: str) -> Callable[..., Any]:
    def body(a: Any, axis: Any, out: Any, keepdims: bool) -> Any:
        x = operands(name, a)[0]
        if x.size == 0:  # (NumPy: all() of nothing is True, any() False)
            _, shape = reduced_shape(x.shape, axis, keepdims, name)
            return finish(operator("_full")(shape=shape, value=name == "all", dtype=np.bool_,
                                            ctx=x.context), out)
        nonzero = as_dtype(binary("ne", x, 0), np.int32)
        return finish(binary("eq", reduce(op, nonzero, axis, keepdims, name), 1), out)

    return make(name, ["a", ("axis", None), ("out", None), ("keepdims", False)], body,
                f"NumPy's `{name}`: whether {name} element along `axis` is nonzero.",
                f"mx.np.{name}(mx.np.array([1, 0]))", op)


def _moments(name: str) -> Callable[..., Any]:
    def body(a: Any, axis: Any, dtype: Any, out: Any, ddof: int, keepdims: bool) -> Any:
        x = operands(name, a)[0]
        x = as_dtype(x, user_dtype(dtype, name) if dtype is not None else mean_dtype(x._dtype))
        axes, _ = reduced_shape(x.shape, axis, keepdims, name)
        n = _math.prod(x.shape[k] for k in axes)
        centred = binary("sub", x, reduce("mean", x, axes, True, name))
        var = binary("div", reduce("sum", binary("mul", centred, centred), axes, keepdims,
                                   name), max(n - ddof, 0))
        return finish(operator("sqrt")(var) if name == "std" else var, out)

    return make(name, ["a", ("axis", None), ("dtype", None), ("out", None), ("ddof", 0),
                       ("keepdims", False)], body,
                f"NumPy's `{name}` over `axis`, with `ddof` delta degrees of freedom.",
                f"mx.np.{name}(mx.np.array([1., 2., 3.]))", "mean")


def _cumsum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Any:
    x = operands("cumsum", a)[0]
    d = user_dtype(dtype, "cumsum") if dtype is not None else sum_dtype(x._dtype)
    return finish(operator("_np_cumsum")(x, axis=axis, dtype=d), out)


def _average(a: Any, axis: Any = None, weights: Any = None, returned: bool = False) -> Any:
    x = operands("average", a)[0]
    x = as_dtype(x, mean_dtype(x._dtype))
    if weights is None:
        avg = reduce("mean", x, axis, False, "average")
        total = binary("add", binary("mul", avg, 0), x.size // max(avg.size, 1))
    else:
        w = as_dtype(operands("average", weights)[0], x._dtype)
        if w.shape != x.shape:
            if axis is None or w.ndim != 1 or isinstance(axis, (tuple, list)):
                raise ShapeError(f"average: weights of shape {w.shape} differ from a's shape "
                                 f"{x.shape}; 1-D weights need an int axis")
            ax = axis_indices(axis, x.ndim, "average")[0]
            if w.size != x.shape[ax]:
                raise ShapeError(f"average: {w.size} weights for axis {ax} of length "
                                 f"{x.shape[ax]}")
            w = bind("broadcast_to", reshape_exact(
                w, tuple(w.size if k == ax else 1 for k in range(x.ndim))), shape=x.shape)
        total = reduce("sum", w, axis, False, "average")
        avg = binary("div", reduce("sum", binary("mul", x, w), axis, False, "average"), total)
    return finish((avg, total) if returned else avg)


def _ptp(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False) -> Any:
    x = operands("ptp", a)[0]
    return finish(binary("sub", reduce("max", x, axis, keepdims, "ptp"),
                         reduce("min", x, axis, keepdims, "ptp")), out)


def _count_nonzero(a: Any, axis: Any = None) -> Any:
    x = operands("count_nonzero", a)[0]
    return finish(reduce("sum", as_dtype(binary("ne", x, 0), INDEX_DTYPE), axis, False,
                         "count_nonzero"))


def _clip(a: Any, a_min: Any, a_max: Any, out: Any = None) -> Any:
    x = operands("clip", a)[0]
    if a_min is not None:
        x = binary("maximum", x, a_min)
    if a_max is not None:
        x = binary("minimum", x, a_max)
    return finish(x if a_min is not None or a_max is not None else bind("cast", x,
                                                                         dtype=x._dtype), out)


def functions() -> dict[str, Callable[..., Any]]:
    """Every function of this module's tables and the written-out ones, by NumPy name."""
    made: dict[str, Callable[..., Any]] = {}
    made.update({n: _unary(n, op) for n, op in UNARY.items()})
    made.update({n: _binary(n, prim) for n, prim in BINARY.items()})
    made.update({n: _reduction(n, *spec) for n, spec in REDUCTIONS.items()})
    made.update({n: _arg_reduction(n) for n in ("argmax", "argmin")})
    made.update({"all": _truth("all", "min"), "any": _truth("any", "max"),
                 "std": _moments("std"), "var": _moments("var")})
    one: list[Any] = ["x", ("out", None)]  # (these take the ufunc keywords too)
    two: list[Any] = ["x1", "x2", ("out", None)]
    written: dict[str, tuple[Callable[..., Any], list[Any], str]] = {
        "round": (_around, ["a", ("decimals", 0), ("out", None)],
                  "Round to `decimals` places, halves to even (NumPy's rule)."),
        "isnan": (_isnan, one, "Whether each element is NaN."),
        "isinf": (_isinf, one, "Whether each element is +inf or -inf."),
        "isposinf": (_isposinf, one, "Whether each element is +inf."),
        "isneginf": (_isneginf, one, "Whether each element is -inf."),
        "isfinite": (_isfinite, one, "Whether each element is finite."),
        "logical_not": (_logical_not, one, "NOT of each element's truth value (a bool array)."),
        "hypot": (_hypot, two, "sqrt(x1**2 + x2**2), elementwise."),
        "arctan2": (_arctan2, two, "The angle of (x2, x1) in [-pi, pi], elementwise."),
        "copysign": (_copysign, two, "|x1| with the sign of x2, elementwise."),
        "cumsum": (_cumsum, ["a", ("axis", None), ("dtype", None), ("out", None)],
                   "Cumulative sums along `axis` (of the flattened array by default)."),
        "average": (_average, ["a", ("axis", None), ("weights", None), ("returned", False)],
                    "The (weighted) average along `axis`."),
        "ptp": (_ptp, ["a", ("axis", None), ("out", None), ("keepdims", False)],
                "Maximum minus minimum along `axis`."),
        "count_nonzero": (_count_nonzero, ["a", ("axis", None)],
                          "The number of nonzero elements along `axis`."),
        "clip": (_clip, ["a", "a_min", "a_max", ("out", None)],
                 "Values limited to [a_min, a_max] (None: no limit on that side)."),
    }
    for name, (body, params, summary) in written.items():
        if params is one or params is two:
            arity = 1 if params is one else 2
            body, params = _with_ufunc_options(name, body, arity), [*params, *UFUNC_OPTIONS]
        made[name] = make(name, params, body, summary)
    made["around"] = made["round_"] = made["round"]
    made["floor_divide"] = make("floor_divide", two, floor_divide,
                                "x1 // x2: the floor of the quotient, elementwise.")
    return made
