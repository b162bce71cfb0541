"""MXNet's optimizer update operators (sgd_update, adam_update, ...) over primitives.

Each returns the updated weight (callers pass `out=weight`) and writes its state arrays
(mom, mean, var, n, z, the float32 master copy `weight32` of the `mp_` variants, ...) in
place, as MXNet's operators do. Inside a trace (`mx.jit`, `mx.grad`, a hybridized block) an
in-place write has nowhere to go, so a traced state array is rebound to its new value (as
`x += y` is in a trace): return it from the jitted function to keep it. The updates are not
differentiable in MXNet; here their inputs are read as constants, so no gradient flows
through an update (under `autograd.record()` or `mx.grad`).

As in MXNet's kernels, `clip_gradient` clips when it is >= 0 (MXNet's docs say <= 0 turns
clipping off, but its code clips to 0 at 0), and NaN passes through clipping. The `multi_*`
and `preloaded_multi_*` operators take the arrays of each weight interleaved (weight, grad,
[mom], [weight32], then the next weight's) and return the list of new weights.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..base import ArgumentError, DTypeError, ParamError, ShapeError, TracerError
from ..core import Array, bind, tape
from ..core.operators import input_shape_rule, register_operator
from .elementwise import abs as absolute
from .elementwise import binary, clip, maximum, minimum, sqrt
from .operands import (
    as_dtype,
    constant,
    ew,
    full,
    reshape_exact,
    select,
    variadic_arrays,
    write_out,
    write_outs,
)
from .reduce import sum as reduce_sum
from .shape import concat, slice_ranges

_FLOAT_TYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
_F32 = np.dtype(np.float32)


# ---- checks ----------------------------------------------------------------------------------


def _array(op: str, name: str, x: Any) -> Array:
    if not isinstance(x, Array):
        raise ArgumentError(f"{op}: {name} must be an NDArray, got {type(x).__name__}")
    return x


def _check_float(op: str, weight: Any, dtypes: Sequence[np.dtype] = _FLOAT_TYPES) -> None:
    """weight an array of one of `dtypes` (MXNet's updates run on floating types)."""
    _array(op, "weight", weight)
    if weight._dtype not in dtypes:
        names = [d.name for d in dtypes]
        valid = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
        raise DTypeError(f"{op}: weight must be {valid}, got {weight._dtype.name}")


def _check_weight(op: str, weight: Any, grad: Any, states: dict[str, Any] | None = None,
                  state_dtype: np.dtype | None = None,
                  dtypes: Sequence[np.dtype] = _FLOAT_TYPES) -> None:
    """weight of a floating dtype (one of `dtypes`), grad of its shape and dtype, and the
    `states` of its shape and of `state_dtype` (default: the weight's)."""
    _check_float(op, weight, dtypes)
    _check_state(op, weight, "grad", grad, weight._dtype)
    for name, state in (states or {}).items():
        _check_state(op, weight, name, state, state_dtype or weight._dtype)


def _check_master(op: str, weight: Any, grad: Any, states: dict[str, Any],
                  weight32: Any) -> Array:
    """`_check_weight` for an update with an optional float32 master copy `weight32` (then
    the states are float32 too); returns the array the update runs on."""
    states = {k: v for k, v in states.items() if v is not None}
    if weight32 is not None:
        states["weight32"] = weight32
    _check_weight(op, weight, grad, states, None if weight32 is None else _F32)
    return weight if weight32 is None else weight32  # type: ignore[no-any-return]


def _check_state(op: str, weight: Array, name: str, x: Any, dtype: np.dtype) -> None:
    """`x` (a gradient or state array) of weight's shape and of `dtype`."""
    _array(op, name, x)
    if x.shape != weight.shape:
        raise ShapeError(f"{op}: {name} must have the weight's shape {weight.shape}, got "
                         f"{x.shape}")
    if x._dtype != dtype:
        why = " (a float32 master copy or state of a mixed-precision update)" \
            if dtype == _F32 and weight._dtype != _F32 else " (the weight's)"
        raise DTypeError(f"{op}: {name} must be {dtype.name}{why}, got {x._dtype.name}")


def _check_scalar_array(op: str, name: str, x: Any, dtype: np.dtype, first: bool = False
                        ) -> None:
    """`x` a one-value array of `dtype` (a norm); with `first`, any non-empty array whose
    first element is read (MXNet's rescale_grad arrays)."""
    _array(op, name, x)
    if x.size == 0 or (x.size != 1 and not first):
        raise ShapeError(f"{op}: {name} must hold {'a value' if first else 'one value'}, got "
                         f"shape {x.shape}")
    if x._dtype != dtype:
        raise DTypeError(f"{op}: {name} must be {dtype.name}, got {x._dtype.name}")


def _per_weight(op: str, name: str, values: Any, count: int, count_name: str
                ) -> tuple[float, ...]:
    """A tuple parameter with one value per weight (a single number is a tuple of one)."""
    items = (values,) if isinstance(values, (int, float, np.number)) else tuple(values)
    if len(items) != count:
        raise ParamError(f"{op}: {name} has {len(items)} values but {count_name}={count}; "
                         f"give one per weight")
    return tuple(float(v) for v in items)


def _groups(op: str, data: Sequence[Any], names: Sequence[str], count: int,
            count_name: str = "num_weights", extra: Sequence[str] = ()
            ) -> tuple[list[tuple[Any, ...]], tuple[Any, ...]]:
    """The variadic inputs of a multi-tensor op cut into one group per weight (`names`
    each, interleaved), and the `extra` arrays after the groups."""
    arrays = variadic_arrays(op, data, error=ParamError)
    per = len(names)
    if len(arrays) != per * count + len(extra):
        tail = f", then {', '.join(extra)}" if extra else ""
        raise ParamError(f"{op}: {count_name}={count} needs {per * count + len(extra)} arrays "
                         f"({', '.join(names)} for each weight{tail}), got {len(arrays)}")
    groups = [tuple(arrays[i * per:(i + 1) * per]) for i in range(count)]
    dtypes = {g[0]._dtype for g in groups if isinstance(g[0], Array)}
    if len(dtypes) > 1:
        raise DTypeError(f"{op}: the weights must share one dtype, got "
                         f"{sorted(d.name for d in dtypes)}")
    return groups, tuple(arrays[per * count:])


# ---- reading inputs, writing states ----------------------------------------------------------


def _frozen(x: Array) -> Array:
    """`x`'s value with no gradient through it (updates are not differentiable)."""
    if x._node is not None:
        return bind("stop_gradient", x)  # type: ignore[no-any-return]
    return x.detach() if x._rec is not None else x


def _read(x: Array, dtype: np.dtype) -> Array:
    return as_dtype(_frozen(x), dtype)


def _write_state(op: str, name: str, state: Array, new: Array) -> None:
    """Store `new` into the state array `state`: in place eagerly, by rebinding its node in a
    trace (the caller returns it from the traced function to keep it)."""
    new = as_dtype(new, state._dtype)
    if state._node is not None:
        state._node = new._node if new._node is not None else constant(
            new._buffer(), state)._node
        return
    if new._data is None:
        raise TracerError(
            f"{op}: the state array {name} is not an argument of the traced function (inside "
            f"mx.jit, mx.grad or a hybridized block), so its in-place update cannot be kept; "
            f"pass {name} to the jitted function as an argument and return it, or call {op} "
            f"without jit")
    tape.overwriting(state._buffer())  # (recorded values in this memory go stale)
    state._buffer()[...] = new._buffer()


def _element(x: Array, i: int, dtype: np.dtype) -> Array:
    """Element i of x (flattened) as a 0-d array of `dtype`."""
    flat = reshape_exact(_frozen(x), (x.size,))
    return as_dtype(reshape_exact(slice_ranges(flat, (i,), (i + 1,), (1,)), ()), dtype)


# ---- the arithmetic every update shares ------------------------------------------------------


def _clip(x: Array, bound: float) -> Array:
    """MXNet's gradient clipping to [-bound, bound], on when bound >= 0."""
    return x if bound < 0 else clip(x, -bound, bound)


def _sign(x: Array) -> Array:
    """-1, 0 or 1 in x's dtype; 0 for NaN (MXNet's kernels compute (x > 0) - (x < 0))."""
    return binary("gt", x, 0) - binary("lt", x, 0)


def _sum_of_squares(x: Array) -> Array:
    """The sum of x's squared elements in float32, as a 0-d array."""
    x32 = as_dtype(x, _F32)
    return bind("reduce_sum", x32 * x32, axes=tuple(range(x.ndim)))  # type: ignore


def _trust_ratio(r1: Array, r2: Array, lower_bound: float, upper_bound: float) -> Array:
    """LAMB's r1 / r2 with r1 bounded (each bound on when >= 0), 1 where either is 0."""
    if lower_bound >= 0:
        r1 = maximum(r1, lower_bound)
    if upper_bound >= 0:
        r1 = minimum(r1, upper_bound)
    either_zero = ew("logical_or", ew("eq", r1, 0.0), ew("eq", r2, 0.0))
    return select(either_zero, 1.0, r1 / r2)


def _sgd_step(op: str, weight: Array, grad: Array, mom: Array | None,
              weight32: Array | None, lr: Any, wd: Any, momentum: float,
              rescale_grad: float, clip_gradient: float) -> Array:
    """MXNet's SGD kernels: mom = momentum * mom - lr * wd * w - lr * clip(rescale * grad),
    w += mom; without `mom` the step is the bracket. With `weight32` the step runs in float32
    on the master copy. `lr` and `wd` are numbers or 0-d arrays."""
    w = _frozen(_check_master(op, weight, grad, {"mom": mom}, weight32))
    lr, wd = (as_dtype(v, w._dtype) if isinstance(v, Array) else v for v in (lr, wd))
    step = w * (-(lr * wd)) - _clip(_read(grad, w._dtype) * rescale_grad, clip_gradient) * lr
    if mom is not None:
        step = _frozen(mom) * momentum + step
        _write_state(op, "mom", mom, step)
    new = w + step
    if weight32 is None:
        return new
    _write_state(op, "weight32", weight32, new)
    return as_dtype(new, weight._dtype)


def _nag_step(op: str, weight: Array, grad: Array, mom: Array, weight32: Array | None,
              lr: float, momentum: float, wd: float, rescale_grad: float,
              clip_gradient: float) -> Array:
    """MXNet's NAG kernels (see nag_mom_update)."""
    w = _frozen(_check_master(op, weight, grad, {"mom": mom}, weight32))
    g = _clip(_read(grad, w._dtype) * rescale_grad, clip_gradient)
    m = _frozen(mom) * momentum
    new = w - m + (m - (g + w * wd) * lr) * (momentum + 1)
    # MXNet's kernels decay the momentum with the weight they have just written: the master
    # copy in mixed precision, and the weight itself when out=weight (as its optimizer calls
    # it; with another out= MXNet would use the old weight).
    _write_state(op, "mom", mom, m - (g + new * wd) * lr)
    if weight32 is None:
        return new
    _write_state(op, "weight32", weight32, new)
    return as_dtype(new, weight._dtype)


def _lamb_direction(op: str, w: Array, grad: Array, mean: Array, var: Array, beta1: float,
                    beta2: float, epsilon: float, t: int, bias_correction: bool, wd: float,
                    rescale_grad: float, clip_gradient: float) -> Array:
    """LAMB's phase one over the (frozen) weight `w`: moves mean and var, returns g."""
    g = _clip(_read(grad, w._dtype) * rescale_grad, clip_gradient)
    m = _frozen(mean) * beta1 + g * (1 - beta1)
    v = _frozen(var) * beta2 + g * g * (1 - beta2)
    _write_state(op, "mean", mean, m)
    _write_state(op, "var", var, v)
    if bias_correction:
        m, v = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return m / (sqrt(v) + epsilon) + w * wd  # type: ignore[no-any-return]


def _adamw_step(op: str, weight: Array, grad: Array, mean: Array, var: Array,
                weight32: Array | None, rescale_grad: Array, lr: float, beta1: float,
                beta2: float, epsilon: float, wd: float, eta: float, clip_gradient: float,
                writes_grad: bool) -> Array:
    """MXNet's AdamW kernels; a NaN, infinite or zero `rescale_grad` skips the update.
    `writes_grad`: the single-tensor float kernel leaves the rescaled, clipped gradient in
    `grad` (MXNet does)."""
    w = _frozen(_check_master(op, weight, grad, {"mean": mean, "var": var}, weight32))
    _check_scalar_array(op, "rescale_grad", rescale_grad, _F32, first=True)
    scale = _element(rescale_grad, 0, _F32)  # (tested in float32, as MXNet reads it)
    ok = ew("logical_and", ew("eq", scale - scale, 0.0), ew("ne", scale, 0.0))
    g = _clip(_read(grad, w._dtype) * as_dtype(scale, w._dtype), clip_gradient)
    m = _frozen(mean) * beta1 + g * (1 - beta1)
    v = _frozen(var) * beta2 + g * g * (1 - beta2)
    new = w - (m * lr / (sqrt(v) + epsilon) + w * wd) * eta
    if writes_grad:
        _write_state(op, "grad", grad, select(ok, g, _frozen(grad)))
    _write_state(op, "mean", mean, select(ok, m, _frozen(mean)))
    _write_state(op, "var", var, select(ok, v, _frozen(var)))
    if weight32 is None:
        return select(ok, new, w)
    _write_state(op, "weight32", weight32, select(ok, new, w))
    return select(ok, as_dtype(new, weight._dtype), _frozen(weight))


# ---- SGD, NAG ----------------------------------------------------------------------------------


@register_operator("sgd_update", inputs=("weight", "grad"))
def sgd_update(weight: Array, grad: Array, *, lr: float, wd: float = 0.0,
               rescale_grad: float = 1.0, clip_gradient: float = -1.0,
               lazy_update: bool = True) -> Array:
    """SGD: weight - lr * (clip(rescale_grad * grad) + wd * weight). `lazy_update` only
    matters for row_sparse gradients.

    >>> mx.nd.sgd_update(w, g, lr=0.1, out=w)  # doctest: +SKIP
    """
    return _sgd_step("sgd_update", weight, grad, None, None, lr, wd, 0.0, rescale_grad,
                     clip_gradient)


@register_operator("sgd_mom_update", inputs=("weight", "grad", "mom"))
def sgd_mom_update(weight: Array, grad: Array, mom: Array, *, lr: float,
                   momentum: float = 0.0, wd: float = 0.0, rescale_grad: float = 1.0,
                   clip_gradient: float = -1.0, lazy_update: bool = True) -> Array:
    """SGD with momentum: mom = momentum * mom - lr * (clip(rescale_grad * grad) + wd *
    weight) (in place), then weight + mom.

    >>> mx.nd.sgd_mom_update(w, g, mom, lr=0.1, momentum=0.9, out=w)  # doctest: +SKIP
    """
    return _sgd_step("sgd_mom_update", weight, grad, mom, None, lr, wd, momentum,
                     rescale_grad, clip_gradient)


@register_operator("mp_sgd_update", inputs=("weight", "grad", "weight32"))
def mp_sgd_update(weight: Array, grad: Array, weight32: Array, *, lr: float, wd: float = 0.0,
                  rescale_grad: float = 1.0, clip_gradient: float = -1.0,
                  lazy_update: bool = True) -> Array:
    """sgd_update on the float32 master copy `weight32` (updated in place); returns it in
    the weight's dtype (float16 typically).

    >>> mx.nd.mp_sgd_update(w16, g16, w32, lr=0.1, out=w16)  # doctest: +SKIP
    """
    return _sgd_step("mp_sgd_update", weight, grad, None, weight32, lr, wd, 0.0,
                     rescale_grad, clip_gradient)


@register_operator("mp_sgd_mom_update", inputs=("weight", "grad", "mom", "weight32"))
def mp_sgd_mom_update(weight: Array, grad: Array, mom: Array, weight32: Array, *, lr: float,
                      momentum: float = 0.0, wd: float = 0.0, rescale_grad: float = 1.0,
                      clip_gradient: float = -1.0, lazy_update: bool = True) -> Array:
    """sgd_mom_update on the float32 master copy `weight32` with a float32 `mom` (both
    updated in place); returns the weight in its own dtype.

    >>> mx.nd.mp_sgd_mom_update(w16, g16, m32, w32, lr=0.1, momentum=0.9, out=w16)  # doctest: +SKIP
    """
    return _sgd_step("mp_sgd_mom_update", weight, grad, mom, weight32, lr, wd, momentum,
                     rescale_grad, clip_gradient)


@register_operator("nag_mom_update", inputs=("weight", "grad", "mom"))
def nag_mom_update(weight: Array, grad: Array, mom: Array, *, lr: float,
                   momentum: float = 0.0, wd: float = 0.0, rescale_grad: float = 1.0,
                   clip_gradient: float = -1.0) -> Array:
    """Nesterov momentum: with m = momentum * mom and s = lr * (clip(rescale_grad * grad)
    + wd * weight), returns new = weight - m + (momentum + 1) * (m - s); mom becomes m - lr *
    (clip(rescale_grad * grad) + wd * new), as MXNet's kernel computes it with out=weight.

    >>> mx.nd.nag_mom_update(w, g, mom, lr=0.1, momentum=0.9, out=w)  # doctest: +SKIP
    """
    return _nag_step("nag_mom_update", weight, grad, mom, None, lr, momentum, wd,
                     rescale_grad, clip_gradient)


@register_operator("mp_nag_mom_update", inputs=("weight", "grad", "mom", "weight32"))
def mp_nag_mom_update(weight: Array, grad: Array, mom: Array, weight32: Array, *, lr: float,
                      momentum: float = 0.0, wd: float = 0.0, rescale_grad: float = 1.0,
                      clip_gradient: float = -1.0) -> Array:
    """nag_mom_update on the float32 master copy `weight32` (updated in place, with the
    float32 `mom`); returns the weight in its own dtype.

    >>> mx.nd.mp_nag_mom_update(w16, g16, m32, w32, lr=0.1, momentum=0.9, out=w16)  # doctest: +SKIP
    """
    return _nag_step("mp_nag_mom_update", weight, grad, mom, weight32, lr, momentum, wd,
                     rescale_grad, clip_gradient)


# ---- sign methods ------------------------------------------------------------------------------


@register_operator("signsgd_update", inputs=("weight", "grad"))
def signsgd_update(weight: Array, grad: Array, *, lr: float, wd: float = 0.0,
                   rescale_grad: float = 1.0, clip_gradient: float = -1.0) -> Array:
    """SignSGD: (1 - lr * wd) * weight - lr * sign(grad). As in MXNet, rescale_grad and
    clip_gradient have no effect on a sign.

    >>> mx.nd.signsgd_update(w, g, lr=0.01, out=w)  # doctest: +SKIP
    """
    _check_weight("signsgd_update", weight, grad)
    w = _frozen(weight)
    return w * (1 - lr * wd) - _sign(_frozen(grad)) * lr


@register_operator("signum_update", inputs=("weight", "grad", "mom"))
def signum_update(weight: Array, grad: Array, mom: Array, *, lr: float, momentum: float = 0.0,
                  wd: float = 0.0, rescale_grad: float = 1.0, clip_gradient: float = -1.0,
                  wd_lh: float = 0.0) -> Array:
    """Signum: mom = momentum * mom - (1 - momentum) * (wd * weight + clip(rescale_grad *
    grad)) (in place), then (1 - lr * wd_lh) * weight + lr * sign(mom).

    >>> mx.nd.signum_update(w, g, mom, lr=0.01, momentum=0.9, out=w)  # doctest: +SKIP
    """
    op = "signum_update"
    _check_weight(op, weight, grad, {"mom": mom})
    w = _frozen(weight)
    g = _clip(_frozen(grad) * rescale_grad, clip_gradient)
    m = _frozen(mom) * momentum - (w * wd + g) * (1 - momentum)
    _write_state(op, "mom", mom, m)
    return w * (1 - lr * wd_lh) + _sign(m) * lr


# ---- adaptive methods --------------------------------------------------------------------------


@register_operator("adam_update", inputs=("weight", "grad", "mean", "var"))
def adam_update(weight: Array, grad: Array, mean: Array, var: Array, *, lr: float,
                beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-8,
                wd: float = 0.0, rescale_grad: float = 1.0, clip_gradient: float = -1.0,
                lazy_update: bool = True) -> Array:
    """Adam: g = clip(rescale_grad * grad + wd * weight); mean and var move towards g and
    g ** 2 (in place); returns weight - lr * mean / (sqrt(var) + epsilon). Bias correction
    is the caller's (MXNet's optimizer scales lr).

    >>> mx.nd.adam_update(w, g, mean, var, lr=0.01, out=w)  # doctest: +SKIP
    """
    op = "adam_update"
    _check_weight(op, weight, grad, {"mean": mean, "var": var})
    w = _frozen(weight)
    g = _clip(_frozen(grad) * rescale_grad + w * wd, clip_gradient)
    m = _frozen(mean) * beta1 + g * (1 - beta1)
    v = _frozen(var) * beta2 + g * g * (1 - beta2)
    _write_state(op, "mean", mean, m)
    _write_state(op, "var", var, v)
    return w - m * lr / (sqrt(v) + epsilon)  # type: ignore[no-any-return]


@register_operator("rmsprop_update", inputs=("weight", "grad", "n"))
def rmsprop_update(weight: Array, grad: Array, n: Array, *, lr: float, gamma1: float = 0.95,
                   epsilon: float = 1e-8, wd: float = 0.0, rescale_grad: float = 1.0,
                   clip_gradient: float = -1.0, clip_weights: float = -1.0) -> Array:
    """RMSProp (Tieleman & Hinton): g = clip(rescale_grad * grad + wd * weight); n = (1 -
    gamma1) * g ** 2 + gamma1 * n (in place); returns weight - lr * g / sqrt(n + epsilon),
    clipped to [-clip_weights, clip_weights] when clip_weights >= 0.

    >>> mx.nd.rmsprop_update(w, g, n, lr=0.01, out=w)  # doctest: +SKIP
    """
    op = "rmsprop_update"
    _check_weight(op, weight, grad, {"n": n})
    w = _frozen(weight)
    g = _clip(_frozen(grad) * rescale_grad + w * wd, clip_gradient)
    new_n = g * g * (1 - gamma1) + _frozen(n) * gamma1
    _write_state(op, "n", n, new_n)
    return _clip(w - g / sqrt(new_n + epsilon) * lr, clip_weights)


@register_operator("rmspropalex_update", inputs=("weight", "grad", "n", "g", "delta"))
def rmspropalex_update(weight: Array, grad: Array, n: Array, g: Array, delta: Array, *,
                       lr: float, gamma1: float = 0.95, gamma2: float = 0.9,
                       epsilon: float = 1e-8, wd: float = 0.0, rescale_grad: float = 1.0,
                       clip_gradient: float = -1.0, clip_weights: float = -1.0) -> Array:
    """Centred RMSProp (Graves): n and g average grad ** 2 and grad, delta = gamma2 * delta
    - lr * grad / sqrt(n - g ** 2 + epsilon) (all in place); returns weight + delta,
    clipped to [-clip_weights, clip_weights] when clip_weights >= 0.

    >>> mx.nd.rmspropalex_update(w, gr, n, g, delta, lr=0.01, out=w)  # doctest: +SKIP
    """
    op = "rmspropalex_update"
    _check_weight(op, weight, grad, {"n": n, "g": g, "delta": delta})
    w = _frozen(weight)
    gr = _clip(_frozen(grad) * rescale_grad + w * wd, clip_gradient)
    new_n = gr * gr * (1 - gamma1) + _frozen(n) * gamma1
    new_g = gr * (1 - gamma1) + _frozen(g) * gamma1
    new_delta = _frozen(delta) * gamma2 - gr * lr / sqrt(new_n - new_g * new_g + epsilon)
    _write_state(op, "n", n, new_n)
    _write_state(op, "g", g, new_g)
    _write_state(op, "delta", delta, new_delta)
    return _clip(w + new_delta, clip_weights)


@register_operator("ftrl_update", inputs=("weight", "grad", "z", "n"))
def ftrl_update(weight: Array, grad: Array, z: Array, n: Array, *, lr: float,
                lamda1: float = 0.01, beta: float = 1.0, wd: float = 0.0,
                rescale_grad: float = 1.0, clip_gradient: float = -1.0) -> Array:
    """FTRL-proximal: with g = clip(rescale_grad * grad), z += g - (sqrt(n + g ** 2) -
    sqrt(n)) * weight / lr and n += g ** 2 (in place); returns (sign(z) * lamda1 - z) /
    ((beta + sqrt(n)) / lr + wd) where |z| > lamda1, else 0.

    >>> mx.nd.ftrl_update(w, g, z, n, lr=0.1, out=w)  # doctest: +SKIP
    """
    op = "ftrl_update"
    _check_weight(op, weight, grad, {"z": z, "n": n})
    w, old_n = _frozen(weight), _frozen(n)
    g = _clip(_frozen(grad) * rescale_grad, clip_gradient)
    new_n = old_n + g * g
    new_z = _frozen(z) + g - (sqrt(new_n) - sqrt(old_n)) * w / lr
    _write_state(op, "z", z, new_z)
    _write_state(op, "n", n, new_n)
    active = binary("gt", absolute(new_z), lamda1)
    return (_sign(new_z) * lamda1 - new_z) / ((sqrt(new_n) + beta) / lr + wd) * active


@register_operator("ftml_update", inputs=("weight", "grad", "d", "v", "z"))
def ftml_update(weight: Array, grad: Array, d: Array, v: Array, z: Array, *, lr: float,
                beta1: float = 0.6, beta2: float = 0.999, epsilon: float = 1e-8, t: int,
                wd: float = 0.0, rescale_grad: float = 1.0, clip_grad: float = -1.0
                ) -> Array:
    """FTML (Follow the Moving Leader) at step `t` (from 1): with g = clip(rescale_grad *
    grad + wd * weight), v moves towards g ** 2, d = (1 - beta1 ** t) / lr * (sqrt(v / (1 -
    beta2 ** t)) + epsilon), z = beta1 * z + (1 - beta1) * g - (d - beta1 * d_old) * weight
    (all in place); returns -z / d.

    >>> mx.nd.ftml_update(w, g, d, v, z, lr=0.01, t=1, out=w)  # doctest: +SKIP
    """
    op = "ftml_update"
    _check_weight(op, weight, grad, {"d": d, "v": v, "z": z})
    w = _frozen(weight)
    g = _clip(_frozen(grad) * rescale_grad + w * wd, clip_grad)
    new_v = _frozen(v) * beta2 + g * g * (1 - beta2)
    new_d = (sqrt(new_v / (1 - beta2 ** t)) + epsilon) * ((1 - beta1 ** t) / lr)
    new_z = _frozen(z) * beta1 + g * (1 - beta1) - (new_d - _frozen(d) * beta1) * w
    _write_state(op, "v", v, new_v)
    _write_state(op, "d", d, new_d)
    _write_state(op, "z", z, new_z)
    return -new_z / new_d  # type: ignore[no-any-return]


@register_operator("_contrib_group_adagrad_update", inputs=("weight", "grad", "history"))
def group_adagrad_update(weight: Array, grad: Array, history: Array, *, lr: float,
                         rescale_grad: float = 1.0, clip_gradient: float = -1.0,
                         epsilon: float = 1e-5) -> Array:
    """Group AdaGrad, one learning rate per row (first axis): with g = clip(rescale_grad *
    grad), history (one value per row) += the row's mean of g ** 2 (in place); returns
    weight - lr * g / sqrt(history + epsilon). (MXNet 1.9.1 runs it for row_sparse
    gradients only; a dense gradient is the case where every row is present.)

    >>> mx.nd.contrib.group_adagrad_update(w, g, hist, lr=0.1, out=w)  # doctest: +SKIP
    """
    op = "group_adagrad_update"
    _check_weight(op, weight, grad)
    _array(op, "history", history)
    if weight.ndim == 0:
        raise ShapeError(f"{op}: weight needs a first axis of rows, got shape ()")
    rows = weight.shape[0]
    if history.ndim == 0 or history.shape[0] != rows or history.size != rows:
        raise ShapeError(f"{op}: history must hold one value per row of the weight {weight.shape}"
                         f" (shape ({rows},) or ({rows}, 1)), got {history.shape}")
    if history._dtype != weight._dtype:
        raise DTypeError(f"{op}: history must be {weight._dtype.name} (the weight's), got "
                         f"{history._dtype.name}")
    g = _clip(_frozen(grad) * rescale_grad, clip_gradient)
    row_length = weight.size // rows if rows else 1
    squares = g * g
    if weight.ndim > 1:
        squares = reduce_sum(squares, axis=tuple(range(1, weight.ndim)))
    new_history = reshape_exact(_frozen(history), (rows,)) + squares / float(row_length)
    _write_state(op, "history", history, reshape_exact(new_history, history.shape))
    per_row = reshape_exact(new_history, (rows,) + (1,) * (weight.ndim - 1))
    return _frozen(weight) - g * lr / sqrt(per_row + epsilon)  # type: ignore[no-any-return]


@register_operator("_sparse_adagrad_update", inputs=("weight", "grad", "history"))
def sparse_adagrad_update(weight: Array, grad: Array, history: Array, *, lr: float,
                          epsilon: float = 1e-07, wd: float = 0.0, rescale_grad: float = 1.0,
                          clip_gradient: float = -1.0) -> Array:
    """AdaGrad: with g = clip(rescale_grad * grad), history += g ** 2 (in place); returns
    weight - lr * g / sqrt(history + epsilon). Weight decay is not supported, as in MXNet.
    (MXNet 1.9.1 runs it for row_sparse gradients only, updating the rows they store;
    `mx.nd.sparse.adagrad_update` does, over this. A dense gradient is the case where
    every row is present; a zero row leaves its weight and history as they are.)

    >>> mx.sym.sparse.adagrad_update(w, g, history, lr=0.1)  # doctest: +SKIP
    """
    op = "adagrad_update"
    _check_weight(op, weight, grad, {"history": history})
    if wd != 0:
        raise ParamError(f"{op}: weight decay is not supported (wd={wd}); use wd=0")
    g = _clip(_frozen(grad) * rescale_grad, clip_gradient)
    new_history = _frozen(history) + g * g
    _write_state(op, "history", history, new_history)
    return _frozen(weight) - g / sqrt(new_history + epsilon) * lr  # type: ignore


@input_shape_rule("_sparse_adagrad_update")
def _sparse_adagrad_inputs(shapes: dict[str, tuple[int, ...]], **_: Any
                           ) -> dict[str, tuple[int, ...]]:
    known = list(shapes.values())[:1]  # (all three have one shape, as in MXNet)
    return dict.fromkeys(("weight", "grad", "history"), known[0]) if known else {}


# ---- LAMB --------------------------------------------------------------------------------------


@register_operator("lamb_update_phase1", inputs=("weight", "grad", "mean", "var"))
def lamb_update_phase1(weight: Array, grad: Array, mean: Array, var: Array, *,
                       beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-6, t: int,
                       bias_correction: bool = True, wd: float, rescale_grad: float = 1.0,
                       clip_gradient: float = -1.0) -> Array:
    """LAMB's first phase: with g = clip(rescale_grad * grad), mean and var move towards g
    and g ** 2 (in place); returns mean / (sqrt(var) + epsilon) + wd * weight, mean and var
    divided by (1 - beta ** t) first when `bias_correction`.

    >>> g = mx.nd.lamb_update_phase1(w, grad, mean, var, t=1, wd=0.01)  # doctest: +SKIP
    """
    op = "lamb_update_phase1"
    _check_weight(op, weight, grad, {"mean": mean, "var": var})
    return _lamb_direction(op, _frozen(weight), grad, mean, var, beta1, beta2, epsilon, t,
                           bias_correction, wd, rescale_grad, clip_gradient)


@register_operator("mp_lamb_update_phase1",
                   inputs=("weight", "grad", "mean", "var", "weight32"))
def mp_lamb_update_phase1(weight: Array, grad: Array, mean: Array, var: Array, weight32: Array,
                          *, beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-6,
                          t: int, bias_correction: bool = True, wd: float,
                          rescale_grad: float = 1.0, clip_gradient: float = -1.0) -> Array:
    """lamb_update_phase1 for a float16 weight and gradient, in float32 over the master
    copy `weight32` (mean and var float32); returns g in float32.

    >>> g = mx.nd.mp_lamb_update_phase1(w16, g16, mean, var, w32, t=1, wd=0.01)  # doctest: +SKIP
    """
    op = "mp_lamb_update_phase1"
    _check_weight(op, weight, grad, {"mean": mean, "var": var, "weight32": weight32}, _F32,
                  dtypes=(np.dtype(np.float16),))
    return _lamb_direction(op, _frozen(weight32), grad, mean, var, beta1, beta2, epsilon, t,
                           bias_correction, wd, rescale_grad, clip_gradient)


@register_operator("lamb_update_phase2", inputs=("weight", "g", "r1", "r2"))
def lamb_update_phase2(weight: Array, g: Array, r1: Array, r2: Array, *, lr: float,
                       lower_bound: float = -1.0, upper_bound: float = -1.0) -> Array:
    """LAMB's second phase: weight - lr * r1 / r2 * g with r1 (the weight's norm, one value)
    raised to lower_bound and cut to upper_bound (each when >= 0), and the ratio 1 where r1
    or r2 (g's norm) is 0.

    >>> mx.nd.lamb_update_phase2(w, g, w.norm(), g.norm(), lr=0.01, out=w)  # doctest: +SKIP
    """
    op = "lamb_update_phase2"
    _check_weight(op, weight, g)
    for name, r in (("r1", r1), ("r2", r2)):
        _check_scalar_array(op, name, r, weight._dtype)
    w = _frozen(weight)
    ratio = _trust_ratio(_element(r1, 0, w._dtype), _element(r2, 0, w._dtype), lower_bound,
                         upper_bound)
    return w - _frozen(g) * (ratio * lr)


@register_operator("mp_lamb_update_phase2", inputs=("weight", "g", "r1", "r2", "weight32"))
def mp_lamb_update_phase2(weight: Array, g: Array, r1: Array, r2: Array, weight32: Array, *,
                          lr: float, lower_bound: float = -1.0, upper_bound: float = -1.0
                          ) -> Array:
    """lamb_update_phase2 on the float32 master copy `weight32` (float32 g, r1, r2): writes
    the new weight into `weight32` and returns it in the weight's dtype.

    >>> mx.nd.mp_lamb_update_phase2(w16, g, r1, r2, w32, lr=0.01, out=w16)  # doctest: +SKIP
    """
    op = "mp_lamb_update_phase2"
    _check_float(op, weight)
    for name, x in (("g", g), ("weight32", weight32)):
        _check_state(op, weight, name, x, _F32)
    for name, r in (("r1", r1), ("r2", r2)):
        _check_scalar_array(op, name, r, _F32)
    ratio = _trust_ratio(_element(r1, 0, _F32), _element(r2, 0, _F32), lower_bound, upper_bound)
    new = _frozen(weight32) - _frozen(g) * (ratio * lr)
    _write_state(op, "weight32", weight32, new)
    return as_dtype(new, weight._dtype)


def _multi_lamb_operator(name: str, mixed: bool, doc: str) -> Any:
    """Register MXNet's multi-tensor LAMB (`mixed`: over float32 master copies): phase one,
    the norms, phase two, for each tensor."""
    op = name.lstrip("_")
    names = ("weight", "grad", "mean", "var") + (("weight32",) if mixed else ())

    def update(*data: Array, learning_rates: Sequence[float], beta1: float = 0.9,
               beta2: float = 0.999, epsilon: float = 1e-6, wds: Sequence[float],
               rescale_grad: float = 1.0, lower_bound: float = -1.0, upper_bound: float = -1.0,
               clip_gradient: float = -1.0, bias_correction: bool = True,
               step_count: Sequence[int], num_tensors: int = 1) -> list[Array]:
        groups, _ = _groups(op, data, names, num_tensors, "num_tensors")
        lrs, decays, steps = (_per_weight(op, k, v, num_tensors, "num_tensors") for k, v in (
            ("learning_rates", learning_rates), ("wds", wds), ("step_count", step_count)))
        results = []
        for (weight, grad, mean, var, *master), lr, wd, t in zip(groups, lrs, decays, steps):
            _check_weight(op, weight, grad, dict(zip(names[2:], (mean, var, *master))),
                          _F32 if mixed else None)
            w = _frozen(master[0] if mixed else weight)
            g = _lamb_direction(op, w, grad, mean, var, beta1, beta2, epsilon, int(t),
                                bias_correction, wd, rescale_grad, clip_gradient)
            # (r1 is the norm of the weight as given, float16 included, as in MXNet)
            r1 = sqrt(_sum_of_squares(_frozen(weight)))
            ratio = _trust_ratio(r1, sqrt(_sum_of_squares(g)), lower_bound, upper_bound)
            new = w - g * (as_dtype(ratio, w._dtype) * lr)
            if mixed:
                _write_state(op, "weight32", master[0], new)
            results.append(as_dtype(new, weight._dtype))
        return results

    update.__name__ = update.__qualname__ = name
    update.__doc__ = doc
    return register_operator(name, inputs=("data",))(update)


_multi_lamb_update = _multi_lamb_operator("_multi_lamb_update", False, """
    LAMB over several tensors: (weight, grad, mean, var) per tensor; see
    `mx.nd.contrib.multi_lamb_update`.

    >>> mx.nd.contrib.multi_lamb_update([w], [g], [m], [v], [1], [0.01], [0])  # doctest: +SKIP
    """)
_multi_mp_lamb_update = _multi_lamb_operator("_multi_mp_lamb_update", True, """
    Mixed-precision LAMB over several tensors: (weight, grad, mean, var, weight32) per
    tensor; see `mx.nd.contrib.multi_mp_lamb_update`.

    >>> C.multi_mp_lamb_update([w], [g], [m], [v], [w32], [1], [.1], [0])  # doctest: +SKIP
    """)


# ---- several weights in one call ---------------------------------------------------------------


def _multi_sgd(op: str, data: Sequence[Any], has_mom: bool, mixed: bool, lrs: Any, wds: Any,
               momentum: float, rescale_grad: float, clip_gradient: float, num_weights: int,
               preloaded: bool = False) -> list[Array]:
    """The SGD kernel over each weight's group; `preloaded`: lrs and wds are the last two
    inputs (float32 arrays, one value per weight) instead of parameters."""
    names = ("weight", "grad") + (("mom",) if has_mom else ()) + (("weight32",) if mixed else ())
    groups, extra = _groups(op, data, names, num_weights,
                            extra=("lrs", "wds") if preloaded else ())
    rates: list[Any]
    decays: list[Any]
    if preloaded:
        for name, x in zip(("lrs", "wds"), extra):
            _array(op, name, x)
            if x._dtype != _F32 or x.size != num_weights:
                raise ShapeError(f"{op}: {name} must be a float32 array of num_weights="
                                 f"{num_weights} values, got {x._dtype.name} of shape {x.shape}")
        rates = [_element(extra[0], i, _F32) for i in range(num_weights)]
        decays = [_element(extra[1], i, _F32) for i in range(num_weights)]
    else:
        rates = list(_per_weight(op, "lrs", lrs, num_weights, "num_weights"))
        decays = list(_per_weight(op, "wds", wds, num_weights, "num_weights"))
    results = []
    for group, lr, wd in zip(groups, rates, decays):
        weight, grad = group[:2]
        mom = group[2] if has_mom else None
        results.append(_sgd_step(op, weight, grad, mom, group[-1] if mixed else None, lr, wd,
                                 momentum, rescale_grad, clip_gradient))
    return results


def _multi_sgd_operator(name: str, has_mom: bool, mixed: bool, preloaded: bool, doc: str
                        ) -> Any:
    """Register one of the eight multi-weight SGD operators: their signatures differ only
    in the momentum and in whether lrs and wds are parameters or (preloaded) arrays."""

    def run(data: Sequence[Any], lrs: Any, wds: Any, momentum: float, rescale_grad: float,
            clip_gradient: float, num_weights: int) -> list[Array]:
        return _multi_sgd(name, data, has_mom, mixed, lrs, wds, momentum, rescale_grad,
                          clip_gradient, num_weights, preloaded)

    def with_rates(*data: Array, lrs: Sequence[float], wds: Sequence[float],
                   rescale_grad: float = 1.0, clip_gradient: float = -1.0,
                   num_weights: int = 1) -> list[Array]:
        return run(data, lrs, wds, 0.0, rescale_grad, clip_gradient, num_weights)

    def with_rates_mom(*data: Array, lrs: Sequence[float], wds: Sequence[float],
                       momentum: float = 0.0, rescale_grad: float = 1.0,
                       clip_gradient: float = -1.0, num_weights: int = 1) -> list[Array]:
        return run(data, lrs, wds, momentum, rescale_grad, clip_gradient, num_weights)

    def loaded(*data: Array, rescale_grad: float = 1.0, clip_gradient: float = -1.0,
               num_weights: int = 1) -> list[Array]:
        return run(data, None, None, 0.0, rescale_grad, clip_gradient, num_weights)

    def loaded_mom(*data: Array, momentum: float = 0.0, rescale_grad: float = 1.0,
                   clip_gradient: float = -1.0, num_weights: int = 1) -> list[Array]:
        return run(data, None, None, momentum, rescale_grad, clip_gradient, num_weights)

    f = ((loaded_mom if has_mom else loaded) if preloaded else
         (with_rates_mom if has_mom else with_rates))
    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc
    return register_operator(name, inputs=("data",))(f)


multi_sgd_update = _multi_sgd_operator("multi_sgd_update", False, False, False, """
    sgd_update over `num_weights` weights: data is weight, grad for each in turn, lrs and
    wds hold one value per weight; returns the new weights.

    >>> mx.nd.multi_sgd_update(w, g, v, h, lrs=(1, 1), wds=(0, 0), num_weights=2)  # doctest: +SKIP
    """)
multi_sgd_mom_update = _multi_sgd_operator("multi_sgd_mom_update", True, False, False, """
    sgd_mom_update over `num_weights` weights: data is weight, grad, mom for each in turn
    (each mom updated in place); returns the new weights.

    >>> mx.nd.multi_sgd_mom_update(w, g, mom, lrs=(0.1,), wds=(0,), momentum=0.9)  # doctest: +SKIP
    """)
multi_mp_sgd_update = _multi_sgd_operator("multi_mp_sgd_update", False, True, False, """
    mp_sgd_update over `num_weights` weights: data is weight, grad, weight32 for each in
    turn; returns the new weights in their dtype.

    >>> mx.nd.multi_mp_sgd_update(w16, g16, w32, lrs=(0.1,), wds=(0,), out=[w16])  # doctest: +SKIP
    """)
multi_mp_sgd_mom_update = _multi_sgd_operator("multi_mp_sgd_mom_update", True, True, False, """
    mp_sgd_mom_update over `num_weights` weights: data is weight, grad, mom, weight32 for
    each in turn; returns the new weights in their dtype.

    >>> mx.nd.multi_mp_sgd_mom_update(w16, g16, m32, w32, lrs=(0.1,), wds=(0,))  # doctest: +SKIP
    """)
preloaded_multi_sgd_update = _multi_sgd_operator("preloaded_multi_sgd_update", False, False,
                                                 True, """
    multi_sgd_update with the learning rates and weight decays as float32 arrays: data is
    weight, grad for each weight, then lrs, then wds.

    >>> mx.nd.preloaded_multi_sgd_update(w, g, lrs, wds, out=[w])  # doctest: +SKIP
    """)
preloaded_multi_sgd_mom_update = _multi_sgd_operator("preloaded_multi_sgd_mom_update", True,
                                                     False, True, """
    multi_sgd_mom_update with lrs and wds as float32 arrays: data is weight, grad, mom for
    each weight, then lrs, then wds.

    >>> mx.nd.preloaded_multi_sgd_mom_update(w, g, mom, lrs, wds, momentum=0.9)  # doctest: +SKIP
    """)
preloaded_multi_mp_sgd_update = _multi_sgd_operator("preloaded_multi_mp_sgd_update", False,
                                                    True, True, """
    multi_mp_sgd_update with lrs and wds as float32 arrays: data is weight, grad, weight32
    for each weight, then lrs, then wds.

    >>> mx.nd.preloaded_multi_mp_sgd_update(w16, g16, w32, lrs, wds, out=[w16])  # doctest: +SKIP
    """)
preloaded_multi_mp_sgd_mom_update = _multi_sgd_operator("preloaded_multi_mp_sgd_mom_update",
                                                        True, True, True, """
    multi_mp_sgd_mom_update with lrs and wds as float32 arrays: data is weight, grad, mom,
    weight32 for each weight, then lrs, then wds.

    >>> mx.nd.preloaded_multi_mp_sgd_mom_update(w16, g16, m32, w32, lrs, wds)  # doctest: +SKIP
    """)


@register_operator("multi_sum_sq", inputs=("data",))
def multi_sum_sq(*data: Array, num_arrays: int) -> Array:
    """The sum of squares of each array (all of one floating dtype), as float32 of shape
    (num_arrays,).

    >>> mx.nd.multi_sum_sq(mx.nd.array([1, 2]), mx.nd.array([3]), num_arrays=2)  # doctest: +SKIP
    [5. 9.]
    """
    op = "multi_sum_sq"
    arrays = variadic_arrays(op, data, error=ParamError)
    if len(arrays) != num_arrays:
        raise ParamError(f"{op}: num_arrays={num_arrays} but {len(arrays)} arrays given")
    for k, x in enumerate(arrays):
        _array(op, f"array {k}", x)
        if x._dtype != arrays[0]._dtype or x._dtype not in _FLOAT_TYPES:
            raise DTypeError(f"{op}: the arrays must share one floating dtype, got "
                             f"{[a._dtype.name for a in arrays]}")
    sums = [reshape_exact(_sum_of_squares(_frozen(x)), (1,)) for x in arrays]
    return concat(*sums, dim=0)


@register_operator("multi_lars", inputs=("lrs", "weights_sum_sq", "grads_sum_sq", "wds"))
def multi_lars(lrs: Array, weights_sum_sq: Array, grads_sum_sq: Array, wds: Array, *,
               eta: float, eps: float, rescale_grad: float = 1.0) -> Array:
    """LARS learning rates from sums of squares (float32 arrays of one shape): lrs * eta *
    |w| / (|g| * rescale_grad + wds * |w| + eps) where both norms are positive, else lrs.

    >>> mx.nd.multi_lars(lrs, w_sum_sq, g_sum_sq, wds, eta=0.001, eps=0)  # doctest: +SKIP
    """
    op = "multi_lars"
    named = {"lrs": lrs, "weights_sum_sq": weights_sum_sq, "grads_sum_sq": grads_sum_sq,
             "wds": wds}
    for name, x in named.items():
        _array(op, name, x)
        if x._dtype != _F32:
            raise DTypeError(f"{op}: {name} must be float32 (MXNet's multi_lars supports only "
                             f"float32), got {x._dtype.name}")
        if x.shape != lrs.shape:
            raise ShapeError(f"{op}: {name} must have the shape of lrs {lrs.shape}, got "
                             f"{x.shape}")
    rate, decay, w_sq, g_sq = (_frozen(x) for x in (lrs, wds, weights_sum_sq, grads_sum_sq))
    w_norm = sqrt(w_sq)
    valid = ew("logical_and", ew("gt", w_norm, 0.0), ew("gt", g_sq, 0.0))
    lars = rate * eta * w_norm / (sqrt(g_sq) * rescale_grad + decay * w_norm + eps)
    return select(valid, lars, rate)


@register_operator("reset_arrays", inputs=("data",))
def reset_arrays(*data: Array, num_arrays: int) -> list[Array]:
    """Set every array to zero in place (traced arrays are rebound to zeros); returns [].

    >>> mx.nd.reset_arrays(grad1, grad2, num_arrays=2)  # doctest: +SKIP
    []
    """
    op = "reset_arrays"
    arrays = variadic_arrays(op, data, error=ParamError)
    if len(arrays) != num_arrays:
        raise ParamError(f"{op}: num_arrays={num_arrays} but {len(arrays)} arrays given")
    for k, x in enumerate(arrays):
        _write_state(op, f"array {k}", _array(op, f"array {k}", x), full(0, x))
    return []


# ---- AdamW (contrib) ---------------------------------------------------------------------------


@register_operator("_adamw_update", inputs=("weight", "grad", "mean", "var", "rescale_grad"))
def _adamw_update(weight: Array, grad: Array, mean: Array, var: Array, rescale_grad: Array, *,
                  lr: float, beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-8,
                  wd: float = 0.0, eta: float, clip_gradient: float = -1.0) -> Array:
    """AdamW with rescale_grad as an array; see `mx.nd.contrib.adamw_update`.

    >>> mx.nd.contrib.adamw_update(w, g, m, v, 1.0, lr=0.01, eta=1.0, out=w)  # doctest: +SKIP
    """
    return _adamw_step("adamw_update", weight, grad, mean, var, None, rescale_grad, lr, beta1,
                       beta2, epsilon, wd, eta, clip_gradient, writes_grad=True)


@register_operator("_mp_adamw_update",
                   inputs=("weight", "grad", "mean", "var", "weight32", "rescale_grad"))
def _mp_adamw_update(weight: Array, grad: Array, mean: Array, var: Array, weight32: Array,
                     rescale_grad: Array, *, lr: float, beta1: float = 0.9,
                     beta2: float = 0.999, epsilon: float = 1e-8, wd: float = 0.0, eta: float,
                     clip_gradient: float = -1.0) -> Array:
    """Mixed-precision AdamW with rescale_grad as an array; see
    `mx.nd.contrib.mp_adamw_update`.

    >>> mx.nd.contrib.mp_adamw_update(w16, g16, m, v, w32, 1.0, lr=0.01, eta=1.0)  # doctest: +SKIP
    """
    return _adamw_step("mp_adamw_update", weight, grad, mean, var, weight32, rescale_grad, lr,
                       beta1, beta2, epsilon, wd, eta, clip_gradient, writes_grad=False)


def _multi_adamw_operator(name: str, mixed: bool, doc: str) -> Any:
    """Register MXNet's multi-tensor AdamW (`mixed`: over float32 master copies)."""
    op = name.lstrip("_")
    names = ("weight", "grad", "mean", "var") + (("weight32",) if mixed else ())

    def update(*data: Array, lrs: Sequence[float], beta1: float = 0.9, beta2: float = 0.999,
               epsilon: float = 1e-8, wds: Sequence[float], etas: Sequence[float],
               clip_gradient: float = -1.0, num_weights: int = 1) -> list[Array]:
        groups, (rescale,) = _groups(op, data, names, num_weights, extra=("rescale_grad",))
        rates, decays, multipliers = (_per_weight(op, k, v, num_weights, "num_weights")
                                      for k, v in (("lrs", lrs), ("wds", wds), ("etas", etas)))
        return [_adamw_step(op, weight, grad, mean, var, master[0] if mixed else None, rescale,
                            lr, beta1, beta2, epsilon, wd, eta, clip_gradient,
                            writes_grad=False)
                for (weight, grad, mean, var, *master), lr, wd, eta
                in zip(groups, rates, decays, multipliers)]

    update.__name__ = update.__qualname__ = name
    update.__doc__ = doc
    return register_operator(name, inputs=("data",))(update)


_multi_adamw_update = _multi_adamw_operator("_multi_adamw_update", False, """
    AdamW over several weights: (weight, grad, mean, var) per weight, then rescale_grad; see
    `mx.nd.contrib.multi_adamw_update`.

    >>> mx.nd.contrib.multi_adamw_update([w], [g], [m], [v], 1.0, [.01], [0], [1])  # doctest: +SKIP
    """)
_multi_mp_adamw_update = _multi_adamw_operator("_multi_mp_adamw_update", True, """
    Mixed-precision AdamW over several weights: (weight, grad, mean, var, weight32) per
    weight, then rescale_grad; see `mx.nd.contrib.multi_mp_adamw_update`.

    >>> C.multi_mp_adamw_update([w], [g], [m], [v], [w32], 1, [.1], [0], [1])  # doctest: +SKIP
    """)


# ---- mx.nd.contrib's Python-level functions over the operators above --------------------------


def _rescale_array(rescale_grad: Any, like: Array) -> Array:
    """rescale_grad as MXNet's wrappers pass it: a float32 array (a number becomes one)."""
    if isinstance(rescale_grad, Array):
        return rescale_grad
    return constant(np.full((1,), rescale_grad, dtype=np.float32), like)  # type: ignore


def _weights(op: str, weights: Any) -> list[Any]:
    if not isinstance(weights, (list, tuple)) or not weights:
        raise ArgumentError(f"{op}: weights must be a non-empty list of arrays")
    return list(weights)


def adamw_update(weight: Array, grad: Array, mean: Array, var: Array, rescale_grad: Any,
                 lr: float, eta: float, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-8, wd: float = 0.0, clip_gradient: float = -1.0,
                 out: Array | None = None, name: str | None = None) -> Array:
    """AdamW (decoupled weight decay): with g = clip(rescale_grad * grad), mean and var move
    towards g and g ** 2 (in place, and grad holds g afterwards, as in MXNet); returns
    weight - eta * (lr * mean / (sqrt(var) + epsilon) + wd * weight). A NaN, infinite or
    zero rescale_grad (a number or an array) skips the update.

    >>> mx.nd.contrib.adamw_update(w, g, mean, var, 1.0, lr=0.01, eta=1.0, out=w)  # doctest: +SKIP
    """
    _array("adamw_update", "weight", weight)
    return write_out(_adamw_update(weight, grad, mean, var, _rescale_array(rescale_grad, weight),
                                   lr=lr, beta1=beta1, beta2=beta2, epsilon=epsilon, wd=wd,
                                   eta=eta, clip_gradient=clip_gradient), out)


def mp_adamw_update(weight: Array, grad: Array, mean: Array, var: Array, weight32: Array,
                    rescale_grad: Any, lr: float, eta: float, beta1: float = 0.9,
                    beta2: float = 0.999, epsilon: float = 1e-8, wd: float = 0.0,
                    clip_gradient: float = -1.0, out: Array | None = None,
                    name: str | None = None) -> Array:
    """adamw_update on the float32 master copy `weight32` (float32 mean and var, all
    updated in place); returns the weight in its own dtype. grad is left as it is.

    >>> mx.nd.contrib.mp_adamw_update(w16, g16, m, v, w32, 1.0, lr=0.01, eta=1.0)  # doctest: +SKIP
    """
    _array("mp_adamw_update", "weight", weight)
    return write_out(_mp_adamw_update(weight, grad, mean, var, weight32,
                                      _rescale_array(rescale_grad, weight), lr=lr, beta1=beta1,
                                      beta2=beta2, epsilon=epsilon, wd=wd, eta=eta,
                                      clip_gradient=clip_gradient), out)


def multi_adamw_update(weights: Sequence[Array], grads: Sequence[Array],
                       mean: Sequence[Array], var: Sequence[Array], rescale_grad: Any,
                       lrs: Sequence[float], wds: Sequence[float], etas: Sequence[float],
                       out: Any = None, name: str | None = None, size: int = 0,
                       beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-8,
                       clip_gradient: float = -1.0) -> Any:
    """adamw_update over lists of weights, gradients, means and variances (lrs, wds and
    etas one per weight; grads are left as they are); returns the new weights.

    >>> mx.nd.contrib.multi_adamw_update([w], [g], [m], [v], 1.0, [.01], [0], [1])  # doctest: +SKIP
    """
    weights = _weights("multi_adamw_update", weights)
    data = [x for group in zip(weights, grads, mean, var) for x in group]
    results = _multi_adamw_update(*data, _rescale_array(rescale_grad, weights[0]), lrs=lrs,
                                  beta1=beta1, beta2=beta2, epsilon=epsilon, wds=wds,
                                  etas=etas, clip_gradient=clip_gradient,
                                  num_weights=size or len(weights))
    return write_outs(results, out)


def multi_mp_adamw_update(weights: Sequence[Array], grads: Sequence[Array],
                          mean: Sequence[Array], var: Sequence[Array],
                          weights32: Sequence[Array], rescale_grad: Any, lrs: Sequence[float],
                          wds: Sequence[float], etas: Sequence[float], out: Any = None,
                          name: str | None = None, size: int = 0, beta1: float = 0.9,
                          beta2: float = 0.999, epsilon: float = 1e-8,
                          clip_gradient: float = -1.0) -> Any:
    """mp_adamw_update over lists of weights, gradients, means, variances and float32
    master copies; returns the new weights.

    >>> C.multi_mp_adamw_update([w], [g], [m], [v], [w32], 1, [.1], [0], [1])  # doctest: +SKIP
    """
    weights = _weights("multi_mp_adamw_update", weights)
    data = [x for group in zip(weights, grads, mean, var, weights32) for x in group]
    results = _multi_mp_adamw_update(*data, _rescale_array(rescale_grad, weights[0]), lrs=lrs,
                                     beta1=beta1, beta2=beta2, epsilon=epsilon, wds=wds,
                                     etas=etas, clip_gradient=clip_gradient,
                                     num_weights=size or len(weights))
    return write_outs(results, out)


def multi_lamb_update(weights: Sequence[Array], grads: Sequence[Array], mean: Sequence[Array],
                      var: Sequence[Array], step_count: Sequence[int], lrs: Sequence[float],
                      wds: Sequence[float], out: Any = None, num_tensors: int = 0,
                      beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-6,
                      rescale_grad: float = 1.0, lower_bound: float = -1.0,
                      upper_bound: float = -1.0, clip_gradient: float = -1.0,
                      bias_correction: bool = True, name: str | None = None) -> Any:
    """LAMB over lists of tensors, each at its own step count (from 1): phase one, the
    trust ratio of the weight's and the direction's norms, phase two; means and variances
    are updated in place. Returns the new weights.

    >>> mx.nd.contrib.multi_lamb_update([w], [g], [m], [v], [1], [0.01], [0])  # doctest: +SKIP
    """
    weights = _weights("multi_lamb_update", weights)
    data = [x for group in zip(weights, grads, mean, var) for x in group]
    results = _multi_lamb_update(*data, learning_rates=lrs, beta1=beta1, beta2=beta2,
                                 epsilon=epsilon, wds=wds, rescale_grad=rescale_grad,
                                 lower_bound=lower_bound, upper_bound=upper_bound,
                                 clip_gradient=clip_gradient, bias_correction=bias_correction,
                                 step_count=step_count, num_tensors=num_tensors or len(weights))
    return write_outs(results, out)


def multi_mp_lamb_update(weights: Sequence[Array], grads: Sequence[Array],
                         mean: Sequence[Array], var: Sequence[Array],
                         weights32: Sequence[Array], step_count: Sequence[int],
                         lrs: Sequence[float], wds: Sequence[float], out: Any = None,
                         num_tensors: int = 0, beta1: float = 0.9, beta2: float = 0.999,
                         epsilon: float = 1e-6, rescale_grad: float = 1.0,
                         lower_bound: float = -1.0, upper_bound: float = -1.0,
                         clip_gradient: float = -1.0, bias_correction: bool = True,
                         name: str | None = None) -> Any:
    """multi_lamb_update in float32 over the master copies `weights32` (updated in place,
    with float32 means and variances); returns the new weights in their dtype.

    >>> C.multi_mp_lamb_update([w], [g], [m], [v], [w32], [1], [.1], [0])  # doctest: +SKIP
    """
    weights = _weights("multi_mp_lamb_update", weights)
    data = [x for group in zip(weights, grads, mean, var, weights32) for x in group]
    results = _multi_mp_lamb_update(*data, learning_rates=lrs, beta1=beta1, beta2=beta2,
                                    epsilon=epsilon, wds=wds, rescale_grad=rescale_grad,
                                    lower_bound=lower_bound, upper_bound=upper_bound,
                                    clip_gradient=clip_gradient,
                                    bias_correction=bias_correction, step_count=step_count,
                                    num_tensors=num_tensors or len(weights))
    return write_outs(results, out)
