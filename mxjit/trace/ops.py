"""The primitive registry: for each primitive its kind, shape/dtype rule and NumPy meaning.

Every front end (`mx.nd`, `mx.jit`, gradients) builds graphs from these primitives only,
through `apply`. The NumPy implementations define the semantics: constant folding uses
them, and the tests compare compiled kernels against them.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from ..base import DTypeError, ShapeError
from . import special
from .dtypes import canonical_dtype, is_bool, is_float, is_int
from .graph import AbstractValue, Node


@dataclass(frozen=True)
class Primitive:
    name: str
    kind: str  # elementwise | reduce | movement | index | contraction | opaque | random | leaf
    shape_rule: Callable[..., AbstractValue]
    numpy_impl: Callable[..., np.ndarray]


PRIMITIVES: dict[str, Primitive] = {}


def _register(name: str, kind: str, rule: Callable, impl: Callable) -> None:
    PRIMITIVES[name] = Primitive(name, kind, rule, impl)


def register_primitive(name: str, kind: str, shape_rule: Callable, numpy_impl: Callable) -> None:
    """Add a primitive (used by subsystems such as autograd.Function's opaque calls).

    >>> register_primitive('my_op', 'opaque', lambda x: x, lambda x: x)  # doctest: +SKIP
    """
    if name in PRIMITIVES:
        raise ValueError(f"primitive {name!r} is already registered")
    _register(name, kind, shape_rule, numpy_impl)


# ---- elementwise -------------------------------------------------------------------------

def _float_only(name: str, x: AbstractValue) -> None:
    if not is_float(x.dtype):
        raise DTypeError(f"{name}: needs a floating-point operand, got {x.dtype}")


def _unary_rule(name: str, floats: bool) -> Callable:
    def rule(x: AbstractValue) -> AbstractValue:
        if floats:
            _float_only(name, x)
        elif is_bool(x.dtype) and name not in ("abs",):
            raise DTypeError(f"{name}: not defined for bool operands")
        return x

    return rule


def _same_operands(name: str, *xs: AbstractValue) -> None:
    if any(x.shape != xs[0].shape for x in xs):
        raise ShapeError(f"{name}: operand shapes differ: {[x.shape for x in xs]}")
    if any(x.dtype != xs[0].dtype for x in xs):
        raise DTypeError(f"{name}: operand dtypes differ: {[str(x.dtype) for x in xs]}")


def _binary_rule(name: str, result: str) -> Callable:
    def rule(a: AbstractValue, b: AbstractValue) -> AbstractValue:
        _same_operands(name, a, b)
        if result == "bool":
            return AbstractValue(a.shape, np.dtype(bool))
        if result == "logical" and not is_bool(a.dtype):
            raise DTypeError(f"{name}: needs bool operands, got {a.dtype}")
        if result == "arith" and is_bool(a.dtype):
            raise DTypeError(f"{name}: not defined for bool operands; cast first")
        return a

    return rule


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _erf(x: np.ndarray) -> np.ndarray:
    from math import erf

    return np.vectorize(erf, otypes=[x.dtype])(x) if x.size else x.copy()


def _int_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """C-style truncating division; x / 0 is 0 instead of a crash (MXNet 1.9.1 dies here)."""
    if not is_int(a.dtype):
        with np.errstate(all="ignore"):
            return np.true_divide(a, b).astype(a.dtype)
    safe = np.where(b == 0, 1, b).astype(a.dtype)
    with np.errstate(all="ignore"):  # floor, then toward zero (no abs: |INT_MIN| overflows)
        q = a // safe
        q = np.where(((a - q * safe) != 0) & ((a < 0) != (safe < 0)), q + 1, q)
    return np.where(b == 0, 0, q).astype(a.dtype)


def _mod(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        if is_int(a.dtype):
            return np.where(b == 0, 0, np.mod(a, np.where(b == 0, 1, b))).astype(a.dtype)
        return np.mod(a, b)


def _round_half_away(x: np.ndarray) -> np.ndarray:
    t = np.trunc(x)  # x - t is exact; floor(|x| + 0.5) would round 0.49999997 up
    with np.errstate(invalid="ignore"):
        return np.where(np.abs(x - t) >= 0.5, t + np.sign(x), t).astype(x.dtype)


def _pow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        if is_int(a.dtype):
            return np.where(b < 0, 0, np.power(a, np.maximum(b, 0))).astype(a.dtype)
        return np.power(a, b)


UNARY_FLOAT = {
    "exp": np.exp, "expm1": np.expm1, "log": np.log, "log1p": np.log1p, "sin": np.sin,
    "cos": np.cos, "tan": np.tan, "tanh": np.tanh, "sigmoid": _sigmoid, "erf": _erf,
    "sqrt": np.sqrt, "rsqrt": lambda x: (1 / np.sqrt(x)).astype(x.dtype), "floor": np.floor,
    "ceil": np.ceil, "round": _round_half_away, "trunc": np.trunc,
    # rint rounds half to even (NumPy's and MXNet's rint); round above is half away from 0
    "rint": np.rint, "log2": np.log2, "log10": np.log10, "cbrt": np.cbrt,
    "arcsin": np.arcsin, "arccos": np.arccos, "arctan": np.arctan, "sinh": np.sinh,
    "cosh": np.cosh, "arcsinh": np.arcsinh, "arccosh": np.arccosh, "arctanh": np.arctanh,
    "erfinv": special.erfinv, "gamma": special.gamma, "gammaln": special.gammaln,
}
UNARY_ANY = {"neg": np.negative, "abs": np.abs, "sign": np.sign}
BINARY_ARITH = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": _int_div, "pow": _pow,
    "mod": _mod,
}
BINARY_ANY = {"maximum": np.maximum, "minimum": np.minimum}
COMPARE = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
           "gt": np.greater, "ge": np.greater_equal}
LOGICAL = {"logical_and": np.logical_and, "logical_or": np.logical_or,
           "logical_xor": np.logical_xor}


def _errstate(f: Any) -> Callable:
    def impl(*xs: np.ndarray, **_: Any) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.asarray(f(*xs)).astype(xs[0].dtype if f not in COMPARE.values() else bool)

    return impl


for _n, _f in UNARY_FLOAT.items():
    _register(_n, "elementwise", _unary_rule(_n, True), _errstate(_f))
for _n, _f in UNARY_ANY.items():
    _register(_n, "elementwise", _unary_rule(_n, False), _errstate(_f))
for _n, _f in BINARY_ARITH.items():
    _register(_n, "elementwise", _binary_rule(_n, "arith"), _errstate(_f))
for _n, _f in BINARY_ANY.items():
    _register(_n, "elementwise", _binary_rule(_n, "any"), _errstate(_f))
for _n, _f in COMPARE.items():
    _register(_n, "elementwise", _binary_rule(_n, "bool"), _errstate(_f))
for _n, _f in LOGICAL.items():
    _register(_n, "elementwise", _binary_rule(_n, "logical"), _errstate(_f))


def _logical_not_rule(x: AbstractValue) -> AbstractValue:
    if not is_bool(x.dtype):
        raise DTypeError(f"logical_not: needs a bool operand, got {x.dtype}")
    return x


_register("logical_not", "elementwise", _logical_not_rule, lambda x: np.logical_not(x))


def _isnan_rule(x: AbstractValue) -> AbstractValue:
    return AbstractValue(x.shape, np.dtype(bool))


_register("isnan", "elementwise", _isnan_rule, lambda x: np.isnan(x))
# The identity, kept apart by a unique id: what a gradient is taken with respect to.
_register("mark", "elementwise", lambda x, *, id: x, lambda x, *, id: x)
# The identity whose cotangent is zero (MXNet's BlockGrad / stop_gradient).
_register("stop_gradient", "elementwise", lambda x: x, lambda x: x)


def _loss_output_rule(value: AbstractValue, data: AbstractValue, grad: AbstractValue, *,
                      head: bool) -> AbstractValue:
    _same_operands("loss_output", value, data, grad)
    return value


# MXNet's loss layers (SoftmaxOutput, *RegressionOutput, MakeLoss): the value of `value`;
# in reverse mode `data` receives `grad` itself, times the head cotangent only when `head`.
_register("loss_output", "elementwise", _loss_output_rule, lambda v, d, g, *, head: v)


def _where_rule(c: AbstractValue, a: AbstractValue, b: AbstractValue) -> AbstractValue:
    if not is_bool(c.dtype):
        raise DTypeError(f"where: condition must be bool, got {c.dtype}")
    _same_operands("where", a, b)
    if c.shape != a.shape:
        raise ShapeError(f"where: condition shape {c.shape} differs from operands {a.shape}")
    return a


_register("where", "elementwise", _where_rule, lambda c, a, b: np.where(c, a, b))


def _cast_rule(x: AbstractValue, *, dtype: np.dtype) -> AbstractValue:
    return AbstractValue(x.shape, canonical_dtype(dtype))


def _cast_impl(x: np.ndarray, *, dtype: np.dtype) -> np.ndarray:
    d = np.dtype(dtype)
    with np.errstate(all="ignore"):
        if is_float(x.dtype) and (is_int(d) or is_bool(d)):
            if is_bool(d):
                return x != 0
            # C conversion: truncate toward zero, wrap modulo 2^bits (MXNet's CPU behaviour);
            # NaN and out-of-range values give 0 instead of undefined behaviour.
            t = np.trunc(np.nan_to_num(x.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0))
            t = np.where(np.abs(t) < 2.0**63, t, 0.0)
            return t.astype(np.int64).astype(d)
        return x.astype(d)


_register("cast", "elementwise", _cast_rule, _cast_impl)


def _iota_rule(*, shape: tuple[int, ...], axis: int, dtype: np.dtype) -> AbstractValue:
    if not 0 <= axis < len(shape):
        raise ShapeError(f"iota: axis {axis} out of range for shape {shape}")
    return AbstractValue(tuple(shape), canonical_dtype(dtype))


def _iota_impl(*, shape: tuple[int, ...], axis: int, dtype: np.dtype) -> np.ndarray:
    idx = np.arange(shape[axis]).reshape([-1 if d == axis else 1 for d in range(len(shape))])
    return np.broadcast_to(idx, shape).astype(dtype)


_register("iota", "leaf", _iota_rule, _iota_impl)

# ---- reductions --------------------------------------------------------------------------

REDUCE_IMPL = {"reduce_sum": np.sum, "reduce_max": np.max, "reduce_min": np.min,
               "reduce_prod": np.prod}


def _check_axes(name: str, shape: tuple[int, ...], axes: tuple[int, ...]) -> None:
    if len(set(axes)) != len(axes) or any(not 0 <= a < len(shape) for a in axes):
        raise ShapeError(f"{name}: invalid axes {axes} for shape {shape}")


def _reduce_rule(name: str) -> Callable:
    def rule(x: AbstractValue, *, axes: tuple[int, ...]) -> AbstractValue:
        _check_axes(name, x.shape, axes)
        if is_bool(x.dtype):
            raise DTypeError(f"{name}: cast bool operands first")
        if name in ("reduce_max", "reduce_min") and any(x.shape[a] == 0 for a in axes):
            raise ShapeError(f"{name}: zero-size reduction over axes {axes} of {x.shape}")
        kept = tuple(d for k, d in enumerate(x.shape) if k not in axes)
        return AbstractValue(kept, x.dtype)

    return rule


def _reduce_impl(f: Any) -> Callable:
    def impl(x: np.ndarray, *, axes: tuple[int, ...]) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.asarray(f(x, axis=tuple(axes))).astype(x.dtype)

    return impl


for _n, _f in REDUCE_IMPL.items():
    _register(_n, "reduce", _reduce_rule(_n), _reduce_impl(_f))


def _arg_rule(name: str) -> Callable:
    def rule(x: AbstractValue, *, axis: int) -> AbstractValue:
        _check_axes(name, x.shape, (axis,))
        if x.shape[axis] == 0:
            raise ShapeError(f"{name}: zero-size axis {axis} of {x.shape}")
        kept = tuple(d for k, d in enumerate(x.shape) if k != axis)
        return AbstractValue(kept, np.dtype(np.int64))

    return rule


_register("argmax", "reduce", _arg_rule("argmax"), lambda x, *, axis: np.argmax(x, axis=axis))
_register("argmin", "reduce", _arg_rule("argmin"), lambda x, *, axis: np.argmin(x, axis=axis))

REDUCTIONS = frozenset(REDUCE_IMPL) | {"argmax", "argmin"}

# ---- movement ----------------------------------------------------------------------------


def _reshape_rule(x: AbstractValue, *, shape: tuple[int, ...]) -> AbstractValue:
    if int(np.prod(shape, dtype=np.int64)) != x.size or any(d < 0 for d in shape):
        raise ShapeError(f"reshape: cannot reshape {x.shape} (size {x.size}) into {shape}")
    return AbstractValue(tuple(shape), x.dtype)


def _broadcast_rule(x: AbstractValue, *, shape: tuple[int, ...]) -> AbstractValue:
    lead = len(shape) - x.ndim
    if lead < 0 or any(d not in (1, s) for d, s in zip(x.shape, shape[lead:])):
        raise ShapeError(f"broadcast_to: cannot broadcast {x.shape} to {shape}")
    return AbstractValue(tuple(shape), x.dtype)


def _transpose_rule(x: AbstractValue, *, perm: tuple[int, ...]) -> AbstractValue:
    if sorted(perm) != list(range(x.ndim)):
        raise ShapeError(f"transpose: axes {perm} are not a permutation of {x.ndim} axes")
    return AbstractValue(tuple(x.shape[p] for p in perm), x.dtype)


def _slice_rule(x: AbstractValue, *, start: tuple, stop: tuple, step: tuple) -> AbstractValue:
    if not len(start) == len(stop) == len(step) == x.ndim:
        raise ShapeError(f"slice: need one (start, stop, step) per axis of {x.shape}")
    return AbstractValue(tuple(len(range(*sl)) for sl in zip(start, stop, step)), x.dtype)


def _slice_impl(x: np.ndarray, *, start: tuple, stop: tuple, step: tuple) -> np.ndarray:
    # (start, stop, step) as slice.indices gives them; an empty range may start at -1,
    # which NumPy would read as the last element
    return x[tuple(slice(b, None if (e < 0 and s < 0) else e, s) if len(range(b, e, s))
                   else slice(0, 0) for b, e, s in zip(start, stop, step))]


def _pad_rule(x: AbstractValue, v: AbstractValue, *, low: tuple, high: tuple) -> AbstractValue:
    if len(low) != x.ndim or len(high) != x.ndim or min(low + high, default=0) < 0:
        raise ShapeError(f"pad: need non-negative (low, high) per axis of {x.shape}")
    if v.shape != () or v.dtype != x.dtype:
        raise ShapeError("pad: the padding value must be a scalar of the operand's dtype")
    return AbstractValue(tuple(d + lo + hi for d, lo, hi in zip(x.shape, low, high)), x.dtype)


def _pad_impl(x: np.ndarray, v: np.ndarray, *, low: tuple, high: tuple) -> np.ndarray:
    if x.ndim == 0:  # np.pad rejects an empty pad_width
        return x.copy()
    return np.pad(x, list(zip(low, high)), constant_values=v)


def _concat_rule(*xs: AbstractValue, axis: int) -> AbstractValue:
    first = xs[0]
    for x in xs:
        if x.ndim != first.ndim or x.dtype != first.dtype or any(
            a != b for k, (a, b) in enumerate(zip(x.shape, first.shape)) if k != axis
        ):
            raise ShapeError(f"concat: operands {[x.shape for x in xs]} differ off axis {axis}")
    if not 0 <= axis < first.ndim:
        raise ShapeError(f"concat: axis {axis} out of range for {first.shape}")
    shape = list(first.shape)
    shape[axis] = sum(x.shape[axis] for x in xs)
    return AbstractValue(tuple(shape), first.dtype)


def _flip_rule(x: AbstractValue, *, axes: tuple[int, ...]) -> AbstractValue:
    _check_axes("flip", x.shape, axes)
    return x


_register("reshape", "movement", _reshape_rule, lambda x, *, shape: x.reshape(shape))
_register("broadcast_to", "movement", _broadcast_rule,
          lambda x, *, shape: np.broadcast_to(x, shape).copy())
_register("transpose", "movement", _transpose_rule, lambda x, *, perm: np.transpose(x, perm))
_register("slice", "movement", _slice_rule, _slice_impl)
_register("pad", "movement", _pad_rule, _pad_impl)
_register("concat", "movement", _concat_rule, lambda *xs, axis: np.concatenate(xs, axis))
_register("flip", "movement", _flip_rule, lambda x, *, axes: np.flip(x, axes))

# ---- indexing, contraction, random -------------------------------------------------------


def _take_rule(x: AbstractValue, i: AbstractValue, *, axis: int, mode: str) -> AbstractValue:
    if not is_int(i.dtype):
        raise DTypeError(f"take: indices must be integers, got {i.dtype}")
    if not 0 <= axis < x.ndim:
        raise ShapeError(f"take: axis {axis} out of range for {x.shape}")
    if mode not in ("clip", "wrap"):
        raise ValueError(f"take: mode must be 'clip' or 'wrap', got {mode!r}")
    if x.shape[axis] == 0 and i.size:
        raise ShapeError(f"take: cannot index the empty axis {axis} of {x.shape}")
    return AbstractValue(x.shape[:axis] + i.shape + x.shape[axis + 1:], x.dtype)


def _take_impl(x: np.ndarray, i: np.ndarray, *, axis: int, mode: str) -> np.ndarray:
    idx = i.astype(np.int64)
    if mode == "wrap" and x.shape[axis]:  # NumPy's wrap adds n until >= 0: hangs at INT64_MIN
        idx, mode = np.mod(idx, x.shape[axis]), "clip"
    return np.take(x, idx, axis=axis, mode=mode)  # type: ignore[call-overload]


def _dot_rule(a: AbstractValue, b: AbstractValue, *, contract: tuple, batch: tuple
              ) -> AbstractValue:
    (ca, cb), (ba, bb) = contract, batch
    if a.dtype != b.dtype or is_bool(a.dtype):
        raise DTypeError(f"dot: operand dtypes {a.dtype} and {b.dtype} must be equal numbers")
    if [a.shape[k] for k in ca] != [b.shape[k] for k in cb] or [a.shape[k] for k in ba] != [
        b.shape[k] for k in bb
    ]:
        raise ShapeError(f"dot: shapes {a.shape} and {b.shape} do not contract over "
                         f"axes {ca} and {cb}")
    free_a = [d for k, d in enumerate(a.shape) if k not in ca and k not in ba]
    free_b = [d for k, d in enumerate(b.shape) if k not in cb and k not in bb]
    return AbstractValue(tuple([a.shape[k] for k in ba] + free_a + free_b), a.dtype)


class BatchedMatmul(NamedTuple):
    """dot_general as (nb, na, nk) @ (nb, nk, nn): the axis orders that bring each operand
    to that form (before a reshape), the four sizes and the result's shape."""

    perm_a: list[int]
    perm_b: list[int]
    nb: int
    na: int
    nk: int
    nn: int
    shape: list[int]


def batched_matmul(a_shape: tuple[int, ...], b_shape: tuple[int, ...], contract: tuple,
                   batch: tuple) -> BatchedMatmul:
    """The batched-matmul form of `dot_general(a, b, contract=..., batch=...)`.

    >>> batched_matmul((2, 3), (3, 4), ((1,), (0,)), ((), ())).shape
    [2, 4]
    """
    (ca, cb), (ba, bb) = contract, batch
    fa = [k for k in range(len(a_shape)) if k not in ca and k not in ba]
    fb = [k for k in range(len(b_shape)) if k not in cb and k not in bb]

    def size(shape: tuple[int, ...], axes: Sequence[int]) -> int:
        return int(np.prod([shape[k] for k in axes], dtype=np.int64))

    return BatchedMatmul(list(ba) + fa + list(ca), list(bb) + list(cb) + fb,
                         size(a_shape, ba), size(a_shape, fa), size(a_shape, ca),
                         size(b_shape, fb),
                         [a_shape[k] for k in ba] + [a_shape[k] for k in fa]
                         + [b_shape[k] for k in fb])


def dot_general_numpy(a: np.ndarray, b: np.ndarray, *, contract: tuple, batch: tuple
                      ) -> np.ndarray:
    """dot_general through a batched matmul: (batch, free_a, k) @ (batch, k, free_b)."""
    m = batched_matmul(a.shape, b.shape, contract, batch)
    a3 = np.transpose(a, m.perm_a).reshape(m.nb, m.na, m.nk)
    b3 = np.transpose(b, m.perm_b).reshape(m.nb, m.nk, m.nn)
    with np.errstate(all="ignore"):  # overflow to inf is IEEE's answer, as in our kernels
        out = np.matmul(a3, b3)
    return out.reshape(m.shape).astype(a.dtype, copy=False)


_register("dot_general", "contraction", _dot_rule, dot_general_numpy)


def _scatter_rule(g: AbstractValue, i: AbstractValue, *, axis: int, mode: str, size: int
                  ) -> AbstractValue:
    if not is_int(i.dtype):
        raise DTypeError(f"scatter_add: indices must be integers, got {i.dtype}")
    k = i.ndim
    if g.shape[axis:axis + k] != i.shape:
        raise ShapeError(f"scatter_add: updates {g.shape} do not match indices {i.shape} "
                         f"at axis {axis}")
    return AbstractValue(g.shape[:axis] + (size,) + g.shape[axis + k:], g.dtype)


def scatter_add_numpy(g: np.ndarray, i: np.ndarray, *, axis: int, mode: str, size: int
                      ) -> np.ndarray:
    """Add the slices of `g` into a zero array at positions `i` along `axis` (take's adjoint)."""
    idx = i.astype(np.int64)
    idx = np.mod(idx, size) if mode == "wrap" else np.clip(idx, 0, size - 1)
    k = idx.ndim
    out = np.zeros(g.shape[:axis] + (size,) + g.shape[axis + k:], g.dtype)
    moved = np.moveaxis(out, axis, 0)
    updates = np.moveaxis(g.reshape(g.shape[:axis] + (idx.size,) + g.shape[axis + k:]), axis, 0)
    np.add.at(moved, idx.reshape(-1), updates)
    return out


_register("scatter_add", "opaque", _scatter_rule, scatter_add_numpy)
_register("take", "index", _take_rule, _take_impl)


def _random_rule(key: AbstractValue, *, shape: tuple[int, ...]) -> AbstractValue:
    if key.shape != (2,) or key.dtype != np.uint32:
        raise DTypeError("random_bits: the key must be a uint32 array of shape (2,)")
    return AbstractValue(tuple(shape), np.dtype(np.uint32))


def philox_numpy(key: np.ndarray, counter: np.ndarray) -> np.ndarray:
    """Word 0 of Philox-4x32-10 for counters (counter_lo, counter_hi, 0, 0)."""
    mask = np.uint64(0xFFFFFFFF)
    c: np.ndarray = counter.astype(np.uint64)
    c0, c1 = c & mask, c >> np.uint64(32)
    c2 = np.zeros_like(c0)
    c3 = np.zeros_like(c0)
    k0, k1 = np.uint64(key[0]), np.uint64(key[1])
    for _ in range(10):
        p0 = np.uint64(0xD2511F53) * c0
        p1 = np.uint64(0xCD9E8D57) * c2
        c0, c1, c2, c3 = ((p1 >> np.uint64(32)) ^ c1 ^ k0, p1 & mask,
                          (p0 >> np.uint64(32)) ^ c3 ^ k1, p0 & mask)
        k0 = (k0 + np.uint64(0x9E3779B9)) & mask
        k1 = (k1 + np.uint64(0xBB67AE85)) & mask
    return c0.astype(np.uint32)


def _random_impl(key: np.ndarray, *, shape: tuple[int, ...]) -> np.ndarray:
    n = int(np.prod(shape, dtype=np.int64))
    return philox_numpy(key, np.arange(n, dtype=np.uint64)).reshape(shape)


_register("random_bits", "random", _random_rule, _random_impl)


# ---- building nodes ----------------------------------------------------------------------


def apply(name: str, *inputs: Node, **attrs: Any) -> Node:
    """Build (or find) the node `name(*inputs, **attrs)`, simplified.

    >>> from mxjit.trace.graph import var
    >>> x = var((3,), np.dtype('float32')); apply('exp', x).aval.shape
    (3,)
    """
    prim = PRIMITIVES[name]
    aval = prim.shape_rule(*(i.aval for i in inputs), **attrs)
    simpler = simplify_node(name, inputs, attrs, aval)
    if simpler is not None:
        return simpler
    return Node.make(name, tuple(inputs), attrs, aval)


def evaluate(node_op: str, arrays: list[np.ndarray], attrs: dict[str, Any]) -> np.ndarray:
    """The NumPy meaning of one primitive application."""
    return np.asarray(PRIMITIVES[node_op].numpy_impl(*arrays, **attrs))


from .simplify import simplify_node  # noqa: E402  (simplify's rules build nodes with apply)
