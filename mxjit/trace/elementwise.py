"""Elementwise primitives: one row per primitive with its NumPy meaning, gradient rule and
flags, then the few with rules of their own (where, cast, the identities, loss_output).

Operands of a binary primitive have one shape and one dtype (front ends broadcast and cast
first). Gradient rules are written with primitives, so a backward pass is an ordinary
graph that can be differentiated again.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..base import DTypeError, ShapeError
from . import special
from .dtypes import canonical_dtype, conversion_bits, is_bool, is_float, is_int
from .graph import AbstractValue, Node
from .primitives import VJPRule, apply, define_primitive, full_like, ones_like, zeros_like
from .simplify import fill, is_scalar, scalar_of

# ---- shape and dtype rules -----------------------------------------------------------------


def _unary_rule(name: str, floats: bool) -> Callable[[AbstractValue], AbstractValue]:
    def rule(x: AbstractValue) -> AbstractValue:
        if floats and not is_float(x.dtype):
            raise DTypeError(f"{name}: needs a floating-point operand, got {x.dtype}")
        if not floats and is_bool(x.dtype) and name != "abs":
            raise DTypeError(f"{name}: not defined for bool operands")
        return x

    return rule


def same_operands(name: str, *xs: AbstractValue) -> None:
    """Operands of one shape and one dtype, or an error naming `name`."""
    if any(x.shape != xs[0].shape for x in xs):
        raise ShapeError(f"{name}: operand shapes differ: {[x.shape for x in xs]}")
    if any(x.dtype != xs[0].dtype for x in xs):
        raise DTypeError(f"{name}: operand dtypes differ: {[str(x.dtype) for x in xs]}")


def _binary_rule(name: str, result: str) -> Callable[..., AbstractValue]:
    def rule(a: AbstractValue, b: AbstractValue) -> AbstractValue:
        same_operands(name, a, b)
        if result == "bool":
            return AbstractValue(a.shape, np.dtype(bool))
        if result == "logical" and not is_bool(a.dtype):
            raise DTypeError(f"{name}: needs bool operands, got {a.dtype}")
        if result == "bitwise" and a.dtype.kind not in "iub":
            raise DTypeError(f"{name}: needs integer or bool operands, got {a.dtype}")
        if result == "arith" and is_bool(a.dtype):
            raise DTypeError(f"{name}: not defined for bool operands; cast first")
        return a

    return rule


# ---- NumPy meanings NumPy does not spell directly -------------------------------------------


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _erf(x: np.ndarray) -> np.ndarray:
    return np.vectorize(math.erf, otypes=[x.dtype])(x) if x.size else x.copy()


def _int_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """C-style truncating division; x / 0 is 0 instead of a crash (MXNet 1.9.1 dies here)."""
    if not is_int(a.dtype):
        return np.true_divide(a, b).astype(a.dtype)
    safe = np.where(b == 0, 1, b).astype(a.dtype)
    q = a // safe  # floor, then toward zero (no abs: |INT_MIN| overflows)
    q = np.where(((a - q * safe) != 0) & ((a < 0) != (safe < 0)), q + 1, q)
    return np.where(b == 0, 0, q).astype(a.dtype)


def _mod(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if is_int(a.dtype):
        return np.where(b == 0, 0, np.mod(a, np.where(b == 0, 1, b))).astype(a.dtype)
    return np.mod(a, b)


def _round_half_away(x: np.ndarray) -> np.ndarray:
    t = np.trunc(x)  # x - t is exact; floor(|x| + 0.5) would round 0.49999997 up
    return np.where(np.abs(x - t) >= 0.5, t + np.sign(x), t).astype(x.dtype)


def _ieee_extremum(pick: Callable[..., Any], larger: bool
                   ) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """IEEE 754-2019 maximum/minimum (LLVM's llvm.maximum, what every backend renders):
    NaN propagates and -0 < +0, where NumPy's keep the first of two equal zeros."""
    def impl(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.dtype.kind != "f":
            return np.asarray(pick(a, b))
        zeros = (a == 0) & (b == 0)
        # of two zeros, the larger is the one without the sign bit (unless both have it)
        a_wins = np.signbit(b) if larger else np.signbit(a)
        zero = np.where(a_wins, a, b)
        return np.asarray(np.where(zeros, zero, pick(a, b))).astype(a.dtype)

    return impl


def _pow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if is_int(a.dtype):
        return np.where(b < 0, 0, np.power(a, np.maximum(b, 0))).astype(a.dtype)
    # C99's pow, as the kernels: (+-0) ** y for y > 0 not an odd integer is +0 (NumPy takes
    # x ** 0.5 as sqrt(x), which keeps -0's sign)
    out = np.power(a, b)
    with np.errstate(invalid="ignore"):
        odd = (np.floor(b) == b) & (np.floor(b / 2) != b / 2)
    return np.asarray(np.where((a == 0) & (b > 0) & ~odd, np.zeros_like(out), out)
                      ).astype(out.dtype)


def _quiet(f: Callable[..., Any], result: str | None = None) -> Callable[..., np.ndarray]:
    """`f` without floating-point warnings, its result in the first operand's dtype (or
    `result`)."""
    def impl(*xs: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.asarray(f(*xs)).astype(result or xs[0].dtype)

    return impl


# ---- gradient rules ------------------------------------------------------------------------


def _bin(op: str, a: Node, b: Node) -> Node:
    return apply(op, a, b)


def _scale(g: Node, value: float) -> Node:
    return apply("mul", g, full_like(g, value))


def _unary(derivative: Callable[[Node, Node], Node]) -> VJPRule:
    """A rule g * f'(x), with f' written from the input x and the output y."""
    return lambda n, g: (_bin("mul", g, derivative(n.inputs[0], n)),)


def _one_minus_sq(y: Node) -> Node:
    return _bin("sub", full_like(y, 1), _bin("mul", y, y))


def _one_minus_x_sq(x: Node) -> Node:
    """(1 - x)(1 + x): 1 - x^2 without the cancellation of 1 - x * x next to |x| = 1."""
    return _bin("mul", _bin("sub", full_like(x, 1), x), _bin("add", full_like(x, 1), x))


#: Bernoulli terms of digamma's asymptotic series: psi(u) ~ log u - 1/(2u) - sum c_k u^-2k.
_DIGAMMA_SERIES = (1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12,
                   -3617 / 8160)


def digamma(x: Node) -> Node:
    """psi(x) = d gammaln(x) / dx, from primitives so that it differentiates again: the
    reflection psi(1 - x) - pi cot(pi x) below 1/2, six steps of psi(z) = psi(z + 1) - 1/z,
    then the asymptotic series at z + 6 >= 6.5 (error ~1e-14)."""
    reflect = _bin("lt", x, full_like(x, 0.5))
    z = apply("where", reflect, _bin("sub", full_like(x, 1), x), x)
    steps = [_bin("div", full_like(z, 1), _bin("add", z, full_like(z, k))) for k in range(6)]
    u = _bin("add", z, full_like(z, 6))
    inv = _bin("div", full_like(u, 1), u)
    inv2 = _bin("mul", inv, inv)
    tail = full_like(u, _DIGAMMA_SERIES[-1])
    for c in reversed(_DIGAMMA_SERIES[:-1]):
        tail = _bin("add", full_like(u, c), _bin("mul", inv2, tail))
    psi = _bin("sub", apply("log", u), _bin("add", _scale(inv, 0.5), _bin("mul", inv2, tail)))
    for step in steps:
        psi = _bin("sub", psi, step)
    # cot(pi x) = cot(pi r), r = x - round(x) exactly; as cos / sin, not 1 / tan, whose
    # derivatives blow up at |r| = 1/2. The unused branch reads a safe value, so that its
    # derivatives stay finite too (0 * inf would be NaN).
    r = apply("where", reflect, _bin("sub", x, apply("round", x)), full_like(x, 0.25))
    pi_r = _scale(r, math.pi)
    cot = _bin("div", _scale(apply("cos", pi_r), math.pi), apply("sin", pi_r))
    return apply("where", reflect, _bin("sub", psi, cot), psi)


def _div_vjp(n: Node, g: Node) -> Sequence[Node | None]:
    x, y = n.inputs
    gx = _bin("div", g, y)
    return gx, apply("neg", _bin("mul", gx, n))


def _pow_vjp(n: Node, g: Node) -> Sequence[Node | None]:
    x, y = n.inputs
    c = scalar_of(y)
    if c in (0, 1):  # a constant exponent (x ** 2 ...): no pow where it is 0, 1 or 2
        slope = full_like(x, c)
    elif c == 2:
        slope = _scale(x, 2)
    elif c is not None:
        slope = _scale(apply("pow", x, full_like(x, c - 1)), c)
    else:
        # d(x**0)/dx is 0, also at x = 0 where y * x**(y-1) would be 0 * inf; the unused
        # branch reads a safe base so that its own derivatives stay finite too.
        zero_zero = _bin("logical_and", _bin("eq", x, zeros_like(x)),
                         _bin("eq", y, zeros_like(y)))
        base = apply("where", zero_zero, ones_like(x), x)
        slope = _bin("mul", y, apply("pow", base, _bin("sub", y, full_like(y, 1))))
        slope = apply("where", zero_zero, zeros_like(y), slope)
    gx = _bin("mul", g, slope)
    positive = _bin("gt", x, zeros_like(x))
    safe_log = apply("log", apply("where", positive, x, full_like(x, 1)))
    gy = _bin("mul", g, _bin("mul", n, safe_log))
    return gx, gy


def _in_float64_for_integers(rule: VJPRule) -> VJPRule:
    """`rule`, also for integer nodes (MXNet's autograd, `backward(integers=True)`): there
    it runs on a float64 copy of the node, and the cotangents are truncated back to the
    operands' dtypes (pow's needs a log, mod's a floor: float-only primitives)."""
    def rule_for_any(n: Node, g: Node) -> Sequence[Node | None]:
        if n.dtype.kind not in "iu":
            return rule(n, g)
        f64 = np.dtype(np.float64)
        shadow = apply(n.op, *(apply("cast", i, dtype=f64) for i in n.inputs), **dict(n.attrs))
        grads = rule(shadow, apply("cast", g, dtype=f64))
        return [None if gi is None else apply("cast", gi, dtype=i.dtype)
                for gi, i in zip(grads, n.inputs)]

    return rule_for_any


def _select_vjp(pred: str) -> VJPRule:
    def rule(n: Node, g: Node) -> Sequence[Node | None]:
        x, y = n.inputs
        take_x = _bin(pred, x, y)  # ties go to the first operand, as in MXNet
        zero = zeros_like(g)
        return apply("where", take_x, g, zero), apply("where", take_x, zero, g)

    return rule


def _mod_vjp(n: Node, g: Node) -> Sequence[Node | None]:
    x, y = n.inputs
    if n.dtype.kind in "iu":  # (MXNet's integer mod has zero gradients, unlike pow)
        return zeros_like(x), zeros_like(y)
    return g, apply("neg", _bin("mul", g, apply("floor", _bin("div", x, y))))


# ---- simplification rules ------------------------------------------------------------------


def _add_simplify(x: Node, y: Node, aval: AbstractValue) -> Node | None:
    if is_scalar(y, 0):
        return x
    return y if is_scalar(x, 0) else None


def _sub_simplify(x: Node, y: Node, aval: AbstractValue) -> Node | None:
    if is_scalar(y, 0):
        return x
    if x is y and is_int(aval.dtype):
        return fill(0, aval)
    return None


def _mul_simplify(x: Node, y: Node, aval: AbstractValue) -> Node | None:
    if is_scalar(y, 1):
        return x
    if is_scalar(x, 1):
        return y
    if is_int(aval.dtype) and (is_scalar(x, 0) or is_scalar(y, 0)):
        return fill(0, aval)
    return None


def _div_simplify(x: Node, y: Node, aval: AbstractValue) -> Node | None:
    return x if is_scalar(y, 1) else None


def _neg_simplify(x: Node, aval: AbstractValue) -> Node | None:
    return x.inputs[0] if x.op == "neg" else None


# ---- the table -----------------------------------------------------------------------------

EXPENSIVE, CHEAP = True, False

#: Floating-point unary primitives: NumPy meaning, gradient rule (None: piecewise constant,
#: zero gradient), whether it is expensive.
UNARY_FLOAT: dict[str, tuple[Callable[..., Any], VJPRule | None, bool]] = {
    "exp": (np.exp, _unary(lambda x, y: y), EXPENSIVE),
    "expm1": (np.expm1, _unary(lambda x, y: _bin("add", y, full_like(y, 1))), EXPENSIVE),
    "log": (np.log, lambda n, g: (_bin("div", g, n.inputs[0]),), EXPENSIVE),
    "log1p": (np.log1p, lambda n, g: (_bin("div", g, _bin("add", n.inputs[0],
                                                           full_like(g, 1))),), EXPENSIVE),
    "log2": (np.log2, lambda n, g: (_bin("div", g, _scale(n.inputs[0], math.log(2))),),
             EXPENSIVE),
    "log10": (np.log10, lambda n, g: (_bin("div", g, _scale(n.inputs[0], math.log(10))),),
              EXPENSIVE),
    "sin": (np.sin, _unary(lambda x, y: apply("cos", x)), EXPENSIVE),
    "cos": (np.cos, _unary(lambda x, y: apply("neg", apply("sin", x))), EXPENSIVE),
    "tan": (np.tan, _unary(lambda x, y: _bin("add", full_like(y, 1), _bin("mul", y, y))),
            EXPENSIVE),
    "tanh": (np.tanh, _unary(lambda x, y: _one_minus_sq(y)), EXPENSIVE),
    "sigmoid": (_sigmoid, _unary(lambda x, y: _bin("mul", y, _bin("sub", full_like(y, 1), y))),
                EXPENSIVE),
    "erf": (_erf, _unary(lambda x, y: _scale(apply("exp", apply("neg", _bin("mul", x, x))),
                                             2 / math.sqrt(math.pi))), EXPENSIVE),
    "erfinv": (special.erfinv, _unary(lambda x, y: _scale(apply("exp", _bin("mul", y, y)),
                                                          math.sqrt(math.pi) / 2)), EXPENSIVE),
    "sqrt": (np.sqrt, lambda n, g: (_bin("div", _scale(g, 0.5), n),), CHEAP),
    "rsqrt": (lambda x: 1 / np.sqrt(x),
              lambda n, g: (_bin("mul", _scale(g, -0.5), _bin("div", n, n.inputs[0])),), CHEAP),
    "cbrt": (np.cbrt, lambda n, g: (_bin("div", g, _scale(_bin("mul", n, n), 3)),), EXPENSIVE),
    "arcsin": (np.arcsin, _unary(lambda x, y: apply("rsqrt", _one_minus_x_sq(x))), EXPENSIVE),
    "arccos": (np.arccos, _unary(lambda x, y: apply("neg", apply("rsqrt", _one_minus_x_sq(x)))),
               EXPENSIVE),
    "arctan": (np.arctan, lambda n, g: (_bin("div", g, _bin(
        "add", full_like(g, 1), _bin("mul", n.inputs[0], n.inputs[0]))),), EXPENSIVE),
    "sinh": (np.sinh, _unary(lambda x, y: apply("cosh", x)), EXPENSIVE),
    "cosh": (np.cosh, _unary(lambda x, y: apply("sinh", x)), EXPENSIVE),
    "arcsinh": (np.arcsinh, _unary(lambda x, y: apply("rsqrt", _bin(
        "add", _bin("mul", x, x), full_like(x, 1)))), EXPENSIVE),
    "arccosh": (np.arccosh, _unary(lambda x, y: apply("rsqrt", _bin(
        "mul", _bin("sub", x, full_like(x, 1)), _bin("add", x, full_like(x, 1))))), EXPENSIVE),
    "arctanh": (np.arctanh, lambda n, g: (_bin("div", g, _one_minus_x_sq(n.inputs[0])),),
                EXPENSIVE),
    "gamma": (special.gamma, _unary(lambda x, y: _bin("mul", y, digamma(x))), EXPENSIVE),
    "gammaln": (special.gammaln, _unary(lambda x, y: digamma(x)), EXPENSIVE),
    "floor": (np.floor, None, CHEAP),
    "ceil": (np.ceil, None, CHEAP),
    "round": (_round_half_away, None, CHEAP),  # half away from zero (MXNet's round)
    "rint": (np.rint, None, CHEAP),  # half to even (NumPy's rint)
    "trunc": (np.trunc, None, CHEAP),
}
#: Unary primitives of any number type.
UNARY_ANY: dict[str, tuple[Callable[..., Any], VJPRule | None]] = {
    "neg": (np.negative, lambda n, g: (apply("neg", g),)),
    "abs": (np.abs, _unary(lambda x, y: apply("sign", x))),
    "sign": (np.sign, None),
}
#: Binary arithmetic (numbers, not bool): NumPy meaning, gradient rule.
BINARY_ARITH: dict[str, tuple[Callable[..., Any], VJPRule]] = {
    "add": (np.add, lambda n, g: (g, g)),
    "sub": (np.subtract, lambda n, g: (g, apply("neg", g))),
    "mul": (np.multiply, lambda n, g: (_bin("mul", g, n.inputs[1]), _bin("mul", g, n.inputs[0]))),
    "div": (_int_div, _div_vjp),
    "pow": (_pow, _in_float64_for_integers(_pow_vjp)),
    "mod": (_mod, _mod_vjp),
}
BINARY_ANY: dict[str, tuple[Callable[..., Any], VJPRule]] = {
    "maximum": (_ieee_extremum(np.maximum, larger=True), _select_vjp("ge")),
    "minimum": (_ieee_extremum(np.minimum, larger=False), _select_vjp("le")),
}
#: Comparisons: bool results, zero gradients.
COMPARE = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
           "gt": np.greater, "ge": np.greater_equal}
LOGICAL = {"logical_and": np.logical_and, "logical_or": np.logical_or,
           "logical_xor": np.logical_xor}
#: Bitwise operations of integers (of bools, the logical ones).
BITWISE = {"bitwise_and": np.bitwise_and, "bitwise_or": np.bitwise_or,
           "bitwise_xor": np.bitwise_xor}
_SIMPLIFY = {"add": _add_simplify, "sub": _sub_simplify, "mul": _mul_simplify,
             "div": _div_simplify, "neg": _neg_simplify}

for _n, (_f, _vjp, _costly) in UNARY_FLOAT.items():
    define_primitive(_n, "elementwise", _unary_rule(_n, True), _quiet(_f), vjp=_vjp,
                     differentiable=_vjp is not None, expensive=_costly)
for _n, (_f, _vjp) in UNARY_ANY.items():
    define_primitive(_n, "elementwise", _unary_rule(_n, False), _quiet(_f), vjp=_vjp,
                     differentiable=_vjp is not None, simplify=_SIMPLIFY.get(_n))
for _n, (_f, _vjp) in BINARY_ARITH.items():
    define_primitive(_n, "elementwise", _binary_rule(_n, "arith"), _quiet(_f), vjp=_vjp,
                     simplify=_SIMPLIFY.get(_n), expensive=_n == "pow")
for _n, (_f, _vjp) in BINARY_ANY.items():
    define_primitive(_n, "elementwise", _binary_rule(_n, "any"), _quiet(_f), vjp=_vjp)
for _n, _f in COMPARE.items():
    define_primitive(_n, "elementwise", _binary_rule(_n, "bool"), _quiet(_f, "bool"),
                     differentiable=False)
for _n, _f in LOGICAL.items():
    define_primitive(_n, "elementwise", _binary_rule(_n, "logical"), _quiet(_f),
                     differentiable=False)
for _n, _f in BITWISE.items():
    define_primitive(_n, "elementwise", _binary_rule(_n, "bitwise"), _quiet(_f),
                     differentiable=False)

# ---- primitives with rules of their own ------------------------------------------------------


def _logical_not_rule(x: AbstractValue) -> AbstractValue:
    if not is_bool(x.dtype):
        raise DTypeError(f"logical_not: needs a bool operand, got {x.dtype}")
    return x


define_primitive("logical_not", "elementwise", _logical_not_rule, np.logical_not,
                 differentiable=False)


def _invert_rule(x: AbstractValue) -> AbstractValue:
    if x.dtype.kind not in "iub":
        raise DTypeError(f"invert: needs an integer or bool operand, got {x.dtype}")
    return x


define_primitive("invert", "elementwise", _invert_rule, np.invert, differentiable=False)


def _isnan_simplify(x: Node, aval: AbstractValue) -> Node | None:
    return None if is_float(x.dtype) else fill(False, aval)  # integers are never NaN


define_primitive("isnan", "elementwise", lambda x: AbstractValue(x.shape, np.dtype(bool)),
                 np.isnan, differentiable=False, simplify=_isnan_simplify)

# The identity, kept apart by a unique id: what a gradient is taken with respect to.
define_primitive("mark", "elementwise", lambda x, *, id: x, lambda x, *, id: x,
                 vjp=lambda n, g: (g,), identity=True, foldable=False)
# The identity whose cotangent is zero (MXNet's BlockGrad / stop_gradient).
define_primitive("stop_gradient", "elementwise", lambda x: x, lambda x: x,
                 differentiable=False, identity=True)


def _loss_output_rule(value: AbstractValue, data: AbstractValue, grad: AbstractValue, *,
                      head: bool) -> AbstractValue:
    same_operands("loss_output", value, data, grad)
    return value


# MXNet's loss layers (SoftmaxOutput, *RegressionOutput, MakeLoss): the value of `value`;
# in reverse mode `data` receives `grad` itself, times the head cotangent only when `head`.
define_primitive(
    "loss_output", "elementwise", _loss_output_rule, lambda v, d, g, *, head: v,
    vjp=lambda n, g: (None, _bin("mul", n.inputs[2], g) if n.attr("head") else n.inputs[2],
                      None))


def _where_rule(c: AbstractValue, a: AbstractValue, b: AbstractValue) -> AbstractValue:
    if not is_bool(c.dtype):
        raise DTypeError(f"where: condition must be bool, got {c.dtype}")
    same_operands("where", a, b)
    if c.shape != a.shape:
        raise ShapeError(f"where: condition shape {c.shape} differs from operands {a.shape}")
    return a


def _where_vjp(n: Node, g: Node) -> Sequence[Node | None]:
    c = n.inputs[0]
    zero = zeros_like(g)
    return None, apply("where", c, g, zero), apply("where", c, zero, g)


define_primitive("where", "elementwise", _where_rule, np.where, vjp=_where_vjp)


def _cast_rule(x: AbstractValue, *, dtype: np.dtype) -> AbstractValue:
    return AbstractValue(x.shape, canonical_dtype(dtype))


def _cast_impl(x: np.ndarray, *, dtype: np.dtype) -> np.ndarray:
    d = np.dtype(dtype)
    with np.errstate(all="ignore"):
        if is_float(x.dtype) and (is_int(d) or is_bool(d)):
            if is_bool(d):
                return x != 0
            bits = conversion_bits(d)
            limit = 2.0 ** (bits - 1)
            wide = x.astype(np.float64)
            fits = (wide >= -limit) & (wide < limit)
            through = np.where(fits, np.trunc(np.where(fits, wide, 0.0)), -limit)
            return through.astype(np.int64 if bits == 64 else np.int32).astype(d)
        return x.astype(d)


def _cast_vjp(n: Node, g: Node) -> Sequence[Node | None]:
    src = n.inputs[0].dtype
    return (apply("cast", g, dtype=src),) if src.kind in "fiu" else (None,)


def _cast_simplify(x: Node, aval: AbstractValue, *, dtype: Any) -> Node | None:
    if x.dtype == aval.dtype:
        return x
    # A widening float cast followed by the cast back is the identity.
    if x.op == "cast" and x.inputs[0].dtype == aval.dtype and is_float(aval.dtype) and (
        is_float(x.dtype) and x.dtype.itemsize > aval.dtype.itemsize
    ):
        return x.inputs[0]
    return None


define_primitive("cast", "elementwise", _cast_rule, _cast_impl, vjp=_cast_vjp,
                 simplify=_cast_simplify)
