"""The adaptive family: Adam, Adamax, Nadam, AdaGrad, AdaDelta, RMSProp (plain and
centred), Ftrl, FTML and LAMB.

Each step is MXNet 1.9.1's arithmetic (its update operators' kernels, or its Python code
for Adamax, Nadam, AdaGrad and AdaDelta), over one parameter; `FusedOptimizer` runs it
over all. Scalars that depend on the step count t (bias corrections) are computed in
double precision on the host, as MXNet's Python code does, and enter as coefficients.

    >>> opt = mx.optimizer.create("adam", learning_rate=1e-3)  # doctest: +SKIP
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import nd
from ..core import Array
from ..nd import NDArray, zeros
from .fused import FusedOptimizer, Step, sum_of_squares
from .optimizer import register

__all__ = ["Adam", "Adamax", "Nadam", "AdaGrad", "AdaDelta", "RMSProp", "Ftrl", "FTML",
           "LAMB"]


def _zeros_like(weight: NDArray, count: int, sparse_like: bool = True) -> tuple[NDArray, ...]:
    """`count` zero states of the weight's shape and dtype (and storage type, unless
    `sparse_like` is off). MXNet gives some optimizers' states its default float32 instead
    of the weight's dtype, which fails at the first update of a float16 or float64 weight;
    here states always take the weight's dtype."""
    stype = weight.stype if sparse_like else "default"
    return tuple(zeros(weight.shape, weight.context, dtype=weight.dtype, stype=stype)
                 for _ in range(count))


def _count_rows(opt: FusedOptimizer, indices: Sequence[Any]) -> list[dict[str, float]]:
    """lr, wd and the step count t of each index (counting this update)."""
    rows = []
    for index in indices:
        opt._update_count(index)
        rows.append({"lr": opt._get_lr(index), "wd": opt._get_wd(index),
                     "t": opt._index_update_count[index]})
    return rows


def _bias_corrections(opt: FusedOptimizer, indices: Sequence[Any], beta1: float,
                      beta2: float) -> list[dict[str, float]]:
    """lr, wd and Adam's bias corrections 1 - beta1 ** t and 1 - beta2 ** t of each index
    (counting this update), for steps that divide the moments by them themselves."""
    rows = _count_rows(opt, indices)
    for row in rows:
        t = row.pop("t")
        row.update(correction1=1.0 - beta1 ** t, correction2=1.0 - beta2 ** t)
    return rows


@register
class Adam(FusedOptimizer):
    """Adam: g = clip(rescale_grad * grad + wd * weight); mean and var move towards g and
    g ** 2; `weight -= lr * sqrt(1 - beta2 ** t) / (1 - beta1 ** t) * mean / (sqrt(var) +
    epsilon)`.

    >>> opt = mx.optimizer.Adam(learning_rate=0.001, beta1=0.9, beta2=0.999)  # doctest: +SKIP
    """

    _hyper_attrs = ("beta1", "beta2", "epsilon")

    def __init__(self, learning_rate: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-8, lazy_update: bool = True, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.lazy_update = lazy_update

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return _zeros_like(weight, 2, self.lazy_update)

    def _lazy(self, weight: NDArray, states: tuple[NDArray, ...], mixed: bool) -> bool:
        # (adam_update is lazy when the mean and variance are stored like the weight)
        return self.lazy_update and all(s.stype == weight.stype for s in states)

    def _coefficients(self, indices: Sequence[Any]) -> list[dict[str, float]]:
        rows = _count_rows(self, indices)
        for row in rows:
            t = row.pop("t")
            row["lr"] *= math.sqrt(1.0 - self.beta2 ** t) / (1.0 - self.beta1 ** t)
        return rows

    def _step(self, s: Step) -> tuple[Array, tuple[Array, ...]]:
        mean, var = s.states
        g = s.clip(s.g * s.rescale_grad + s.w * s.wd)
        mean = s.beta1 * mean + (1 - s.beta1) * g
        var = s.beta2 * var + (1 - s.beta2) * g * g
        return s.w - s.lr * mean / (nd.sqrt(var) + s.epsilon), (mean, var)


@register
class Adamax(FusedOptimizer):
    """AdaMax (Adam under the infinity norm): g = clip(rescale_grad * grad + wd * weight),
    m moves towards g, u = max(beta2 * u, |g|), `weight -= lr / (1 - beta1 ** t) * m / u`.

    >>> opt = mx.optimizer.Adamax(learning_rate=0.002)  # doctest: +SKIP
    """

    _clips_when_given = True
    _hyper_attrs = ("beta1", "beta2")

    def __init__(self, learning_rate: float = 0.002, beta1: float = 0.9, beta2: float = 0.999,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return _zeros_like(weight, 2, sparse_like=False)

    def _coefficients(self, indices: Sequence[Any]) -> list[dict[str, float]]:
        rows = _count_rows(self, indices)
        for row in rows:
            row["lr"] /= 1.0 - self.beta1 ** row.pop("t")
        return rows

    def _step(self, s: Step) -> tuple[Array, tuple[Array, ...]]:
        m, u = s.states
        g = s.clip(s.g * s.rescale_grad + s.wd * s.w)
        m = m * s.beta1 + (1 - s.beta1) * g
        u = nd.maximum(s.beta2 * u, nd.abs(g))
        return s.w - s.lr * m / u, (m, u)


@register
class Nadam(FusedOptimizer):
    """Nesterov-accelerated Adam with MXNet's warming momentum schedule (momentum_t =
    beta1 * (1 - 0.5 * 0.96 ** (t * schedule_decay)); the schedule's running product is
    one per optimizer, advanced by every parameter's update, as in MXNet).

    >>> opt = mx.optimizer.Nadam(learning_rate=0.001)  # doctest: +SKIP
    """

    _clips_when_given = True
    _hyper_attrs = ("beta1", "beta2", "epsilon")

    def __init__(self, learning_rate: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-8, schedule_decay: float = 0.004, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.schedule_decay = schedule_decay
        self.m_schedule = 1.0

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return _zeros_like(weight, 2, sparse_like=False)

    def _coefficients(self, indices: Sequence[Any]) -> list[dict[str, float]]:
        rows = _count_rows(self, indices)
        for row in rows:
            t = row.pop("t")
            momentum_t = self.beta1 * (1.0 - 0.5 * pow(0.96, t * self.schedule_decay))
            momentum_next = self.beta1 * (1.0 - 0.5 * pow(0.96, (t + 1) * self.schedule_decay))
            self.m_schedule = self.m_schedule * momentum_t
            row.update(grad_scale=1.0 - self.m_schedule,
                       mean_scale=1.0 - self.m_schedule * momentum_next,
                       var_scale=1.0 - pow(self.beta2, t),
                       grad_weight=1.0 - momentum_t, mean_weight=momentum_next)
        return rows

    def _step(self, s: Step) -> tuple[Array, tuple[Array, ...]]:
        m, v = s.states
        g = s.clip(s.g * s.rescale_grad + s.wd * s.w)
        m = m * s.beta1 + (1 - s.beta1) * g
        v = v * s.beta2 + (1 - s.beta2) * g * g
        m_bar = s.grad_weight * (g / s.grad_scale) + s.mean_weight * (m / s.mean_scale)
        return s.w - s.lr * m_bar / (nd.sqrt(v / s.var_scale) + s.epsilon), (m, v)


@register
class AdaGrad(FusedOptimizer):
    """AdaGrad: g = clip(rescale_grad * grad), history += g ** 2, `weight -= lr * (g /
    sqrt(history + eps) + wd * weight)`.

    >>> opt = mx.optimizer.AdaGrad(learning_rate=0.1, eps=1e-7)  # doctest: +SKIP
    """

    _clips_when_given = True

    def __init__(self, eps: float = 1e-7, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return _zeros_like(weight, 1)[0]

    def _lazy(self, weight: NDArray, states: tuple[NDArray, ...], mixed: bool) -> bool:
        # (MXNet's sparse AdaGrad, which refuses a weight decay; here the decay applies to
        # the rows updated)
        return True

    def _hyper(self) -> dict[str, float]:
        return {**super()._hyper(), "eps": self.float_stable_eps}

    def _step(self, s: Step) -> tuple[Array, tuple[Array, ...]]:
        g = s.clip(s.g * s.rescale_grad)
        history = s.states[0] + g * g
        div = g / nd.sqrt(history + s.eps)
        return s.w + (div + s.w * s.wd) * -s.lr, (history,)


@register
class AdaDelta(FusedOptimizer):
    """AdaDelta (no learning rate): g = clip(rescale_grad * grad), acc_g moves towards g **
    2, delta = sqrt(acc_delta + epsilon) / sqrt(acc_g + epsilon) * g, acc_delta moves
    towards delta ** 2, `weight -= delta + wd * weight`.

    >>> opt = mx.optimizer.AdaDelta(rho=0.9, epsilon=1e-5)  # doctest: +SKIP
    """

    _clips_when_given = True
    _hyper_attrs = ("rho", "epsilon")

    def __init__(self, rho: float = 0.90, epsilon: float = 1e-5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return _zeros_like(weight, 2, sparse_like=False)

    def _step(self, s: Step) -> tuple[Array, tuple[Array, ...]]:
        acc_g, acc_delta = s.states
        # (MXNet scales the caller's gradient array in place; here it stays as it was)
        g = s.clip(s.g * s.rescale_grad)
        acc_g = acc_g * s.rho + (1 - s.rho) * g * g
        delta = nd.sqrt(acc_delta + s.epsilon) / nd.sqrt(acc_g + s.epsilon) * g
        acc_delta = acc_delta * s.rho + (1 - s.rho) * delta * delta
        return s.w - (delta + s.wd * s.w), (acc_g, acc_delta)


@register
class RMSProp(FusedOptimizer):
    """RMSProp: Tieleman and Hinton's (g = clip(rescale_grad * grad + wd * weight), n
    moves towards g ** 2, `weight -= lr * g / sqrt(n + epsilon)`) or, `centered`,
    Graves's (with the mean gradient and a momentum `gamma2`); the weight is then clipped
    to [-clip_weights, clip_weights] when `clip_weights` is given.

    >>> opt = mx.optimizer.RMSProp(learning_rate=0.001, centered=True)  # doctest: +SKIP
    """

    _hyper_attrs = ("gamma1", "gamma2", "epsilon")

    def __init__(self, learning_rate: float = 0.001, gamma1: float = 0.9, gamma2: float = 0.9,
                 epsilon: float = 1e-8, centered: bool = False, clip_weights: float | None = None,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.gamma1 = gamma1
        self.gamma2 = gamma2
        self.centered = centered
        self.epsilon = epsilon
        self.clip_weights = clip_weights

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return _zeros_like(weight, 3 if self.centered else 1)

    def _weight_bound(self) -> float | None:
        # (the operators clip the weight when clip_weights is passed, i.e. truthy, and >= 0)
        return self.clip_weights if self.clip_weights and self.clip_weights >= 0 else None

    def _structure(self) -> tuple:
        return super()._structure() + (self._weight_bound(),)

    def _step(self, s: Step) -> tuple[Array, tuple[Array, ...]]:
        g = s.clip(s.rescale_grad * s.g + s.wd * s.w)
        n = (1 - s.gamma1) * (g * g) + s.gamma1 * s.states[0]
        if len(s.states) == 1:
            w = s.w - s.lr * (g / nd.sqrt(n + s.epsilon))
            states: tuple[Array, ...] = (n,)
        else:
            mean = (1 - s.gamma1) * g + s.gamma1 * s.states[1]
            delta = s.gamma2 * s.states[2] - s.lr * g / nd.sqrt(n - mean * mean + s.epsilon)
            w = s.w + delta
            states = (n, mean, delta)
        bound = self._weight_bound()
        if bound is not None:
            w = w.clip(-bound, bound)
        return w, states


@register
class Ftrl(FusedOptimizer):
    """FTRL-proximal: with g = clip(rescale_grad * grad), z += g - (sqrt(n + g ** 2) -
    sqrt(n)) * weight / lr and n += g ** 2; `weight = (sign(z) * lamda1 - z) / ((beta +
    sqrt(n)) / lr + wd)` where |z| > lamda1, else 0.

    >>> opt = mx.optimizer.Ftrl(learning_rate=0.1, lamda1=0.01, beta=1)  # doctest: +SKIP
    """

    _hyper_attrs = ("lamda1", "beta")

    def __init__(self, lamda1: float = 0.01, learning_rate: float = 0.1, beta: float = 1,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lamda1 = lamda1
        self.beta = beta
        self.lr = learning_rate

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return _zeros_like(weight, 2)

    def _lazy(self, weight: NDArray, states: tuple[NDArray, ...], mixed: bool) -> bool:
        # (ftrl_update's sparse kernel takes row_sparse weight and states only)
        return all(a.stype == "row_sparse" for a in (weight, *states))

    def _step(self, s: Step) -> tuple[Array, tuple[Array, ...]]:
        z, n = s.states
        g = s.clip(s.g * s.rescale_grad)
        z = z + g - (nd.sqrt(n + g * g) - nd.sqrt(n)) * s.w / s.lr
        n = n + g * g
        sign = (z > 0) - (z < 0)
        w = (sign * s.lamda1 - z) / ((s.beta + nd.sqrt(n)) / s.lr + s.wd) * (nd.abs(z) > s.lamda1)
        return w, (z, n)


@register
class FTML(FusedOptimizer):
    """FTML (follow the moving leader): g = clip(rescale_grad * grad + wd * weight), v
    moves towards g ** 2, d = (1 - beta1 ** t) / lr * (sqrt(v / (1 - beta2 ** t)) +
    epsilon), z = beta1 * z + (1 - beta1) * g - (d - beta1 * d_previous) * weight;
    `weight = -z / d`.

    >>> opt = mx.optimizer.FTML(learning_rate=0.01, beta1=0.6)  # doctest: +SKIP
    """

    _hyper_attrs = ("beta1", "beta2", "epsilon")

    def __init__(self, beta1: float = 0.6, beta2: float = 0.999, epsilon: float = 1e-8,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return _zeros_like(weight, 3, sparse_like=False)

    def _coefficients(self, indices: Sequence[Any]) -> list[dict[str, float]]:
        return _bias_corrections(self, indices, self.beta1, self.beta2)

    def _step(self, s: Step) -> tuple[Array, tuple[Array, ...]]:
        d, v, z = s.states
        g = s.clip(s.rescale_grad * s.g + s.wd * s.w)
        v = s.beta2 * v + (1 - s.beta2) * (g * g)
        d_t = s.correction1 / s.lr * (nd.sqrt(v / s.correction2) + s.epsilon)
        z = s.beta1 * z + (1 - s.beta1) * g - (d_t - s.beta1 * d) * s.w
        return -z / d_t, (d_t, v, z)


@register
class LAMB(FusedOptimizer):
    """LAMB (layer-wise adaptive moments): Adam's direction plus wd * weight, scaled per
    parameter by the trust ratio |weight| / |direction| (|weight| raised to `lower_bound`
    and cut to `upper_bound` when given; 1 where either norm is 0).

    >>> opt = mx.optimizer.LAMB(learning_rate=0.001, wd=0.01)  # doctest: +SKIP
    """

    _hyper_attrs = ("beta1", "beta2", "epsilon")

    def __init__(self, learning_rate: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-6, lower_bound: float | None = None,
                 upper_bound: float | None = None, bias_correction: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound
        self.bias_correction = bias_correction

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return _zeros_like(weight, 2)

    def _coefficients(self, indices: Sequence[Any]) -> list[dict[str, float]]:
        return _bias_corrections(self, indices, self.beta1, self.beta2)

    def _bounds(self) -> tuple[float | None, float | None]:
        # (the operators get a bound when it is truthy and apply it when it is >= 0)
        lower, upper = (b if b and b >= 0 else None for b in (self.lower_bound, self.upper_bound))
        return lower, upper

    def _structure(self) -> tuple:
        return super()._structure() + self._bounds() + (bool(self.bias_correction),)

    def _step(self, s: Step) -> tuple[Array, tuple[Array, ...]]:
        mean, var = s.states
        g = s.clip(s.g * s.rescale_grad)
        mean = s.beta1 * mean + (1 - s.beta1) * g
        var = s.beta2 * var + (1 - s.beta2) * g * g
        m, v = mean, var
        if self.bias_correction:
            m, v = mean / s.correction1, var / s.correction2
        direction = nd.cast(m / (nd.sqrt(v) + s.epsilon) + s.wd * s.w, np.float32)
        # |weight| of the weight as stored (float16 in multi-precision), as MXNet's kernel
        r1, r2 = nd.sqrt(sum_of_squares(s.stored)), nd.sqrt(sum_of_squares(direction))
        lower, upper = self._bounds()
        if lower is not None:
            r1 = nd.maximum(r1, lower)
        if upper is not None:
            r1 = nd.minimum(r1, upper)
        ratio = nd.where((r1 == 0) + (r2 == 0), r1 * 0 + 1, r1 / r2)
        new = s.w - (s.lr * nd.cast(ratio, s.w.dtype)) * nd.cast(direction, s.w.dtype)
        return new, (mean, var)
