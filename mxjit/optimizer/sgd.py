"""The gradient-descent family: SGD (and its old name ccSGD), NAG, Signum, SGLD, DCASGD,
LARS, LBSGD, and MXNet's `Test` optimizer.

Each step is MXNet 1.9.1's arithmetic (its update operators' kernels, or its Python code
for SGLD, DCASGD and Test), over one parameter; `FusedOptimizer` runs it over all.

    >>> opt = mx.optimizer.create("sgd", learning_rate=0.1, momentum=0.9)  # doctest: +SKIP
"""
from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import nd
from ..core import Array
from ..nd import NDArray, zeros
from .fused import FusedOptimizer, Step, state_arrays, sum_of_squares
from .optimizer import register, warn_low_precision
from .sparse_rows import Job, RowJob

__all__ = ["SGD", "ccSGD", "NAG", "Signum", "SGLD", "DCASGD", "LARS", "LBSGD", "Test"]


def _sign(x: Array) -> Array:
    """-1, 0 or 1; 0 for NaN (MXNet's kernels compute (x > 0) - (x < 0))."""
    return (x > 0) - (x < 0)  # type: ignore[no-any-return]


def _momentum_state(weight: NDArray, momentum: float, sparse_like: bool = True) -> Any:
    """A zero momentum like `weight` (None without momentum), in the weight's storage type
    unless `sparse_like` is off."""
    if momentum == 0.0:
        return None
    stype = weight.stype if sparse_like else "default"
    return zeros(weight.shape, weight.context, dtype=weight.dtype, stype=stype)


class _MomentumFirst(FusedOptimizer):
    """MXNet's SGD-like optimizers keep their multi-precision state as (state, weight32)."""

    _warning_name = "SGD"

    def create_state_multi_precision(self, index: Any, weight: NDArray) -> Any:
        if self.multi_precision and weight.dtype == np.float16:
            master = weight.astype(np.float32)
            return (self.create_state(index, master), master)
        if weight.dtype == np.float16:
            warn_low_precision(self._warning_name)
        return self.create_state(index, weight)

    def _split_state(self, state: Any, mixed: bool) -> tuple[NDArray | None, Any]:
        return (state[1], state[0]) if mixed else (None, state)


def sgd_step(s: Step) -> tuple[Array, tuple[Array, ...]]:
    """MXNet's SGD kernel: mom = momentum * mom - lr * wd * w - lr * clip(rescale * g),
    w + mom (without a momentum state: (1 - lr * wd) * w - lr * clip(rescale * g))."""
    g = s.clip(s.g * s.rescale_grad)
    if not s.states:
        return s.w * (1 - s.lr * s.wd) - s.lr * g, ()
    mom = s.momentum * s.states[0] - s.lr * s.wd * s.w - s.lr * g
    return s.w + mom, (mom,)


@register
class SGD(_MomentumFirst):
    """Stochastic gradient descent with momentum and weight decay:
    `mom = momentum * mom - lr * (clip(rescale_grad * grad) + wd * weight)`, `weight +=
    mom` (without momentum, `weight -= lr * (...)`).

    >>> opt = mx.optimizer.SGD(learning_rate=0.1, momentum=0.9, wd=1e-4)  # doctest: +SKIP
    """

    def __init__(self, momentum: float = 0.0, lazy_update: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.momentum = momentum
        self.lazy_update = lazy_update

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return _momentum_state(weight, self.momentum, self.lazy_update)

    def _lazy(self, weight: NDArray, states: tuple[NDArray, ...], mixed: bool) -> bool:
        # (sgd_update and sgd_mom_update are lazy with a momentum stored like the weight;
        # their multi-precision forms have no sparse kernel)
        return self.lazy_update and not mixed and all(s.stype == weight.stype for s in states)

    def _coefficients(self, indices: Sequence[Any]) -> list[dict[str, float]]:
        # (MXNet's aggregated SGD counts every index first, then reads the rates)
        self._update_count(indices)
        return [{"lr": lr, "wd": wd}
                for lr, wd in zip(self._get_lrs(indices), self._get_wds(indices))]

    def _hyper(self) -> dict[str, float]:
        return {**super()._hyper(), "momentum": max(self.momentum, 0.0)}

    def _step(self, s: Step) -> tuple[Array, tuple[Array, ...]]:
        return sgd_step(s)


@register
class ccSGD(SGD):
    """Deprecated in MXNet: the same as `SGD`.

    >>> opt = mx.optimizer.ccSGD(learning_rate=0.1)  # doctest: +SKIP
    """


@register
class NAG(_MomentumFirst):
    """Nesterov accelerated gradient (MXNet's nag_mom_update): with m = momentum * mom and
    g = clip(rescale_grad * grad), `weight += (momentum + 1) * (m - lr * (g + wd * weight))
    - m`, then mom = m - lr * (g + wd * new weight).

    >>> opt = mx.optimizer.NAG(learning_rate=0.1, momentum=0.9)  # doctest: +SKIP
    """

    _warning_name = "NAG"

    def __init__(self, momentum: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.momentum = momentum

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return _momentum_state(weight, self.momentum, sparse_like=False)  # (MXNet's: dense)

    def _hyper(self) -> dict[str, float]:
        return {**super()._hyper(), "momentum": max(self.momentum, 0.0)}

    def _step(self, s: Step) -> tuple[Array, tuple[Array, ...]]:
        if not s.states:
            return sgd_step(s)
        g = s.clip(s.g * s.rescale_grad)
        m = s.momentum * s.states[0]
        new = s.w - m + (s.momentum + 1) * (m - s.lr * (g + s.wd * s.w))
        # MXNet's kernel decays the momentum with the weight it has just written.
        return new, (m - s.lr * (g + s.wd * new),)


@register
class Signum(FusedOptimizer):
    """signSGD and Signum: `mom = momentum * mom - (1 - momentum) * (wd * weight +
    clip(rescale_grad * grad))`, `weight = (1 - lr * wd_lh) * weight + lr * sign(mom)`;
    without momentum, `weight = (1 - lr * wd) * weight - lr * sign(grad)`.

    >>> opt = mx.optimizer.Signum(learning_rate=0.01, momentum=0.9)  # doctest: +SKIP
    """

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.9, wd_lh: float = 0.0,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.momentum = momentum
        self.wd_lh = wd_lh

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return _momentum_state(weight, self.momentum)

    def _hyper(self) -> dict[str, float]:
        return {**super()._hyper(), "momentum": max(self.momentum, 0.0),
                "wd_lh": self.wd_lh or 0.0}

    def _step(self, s: Step) -> tuple[Array, tuple[Array, ...]]:
        if not s.states:  # (signsgd_update: rescaling and clipping cannot change a sign)
            return s.w * (1 - s.lr * s.wd) - s.lr * _sign(s.g), ()
        g = s.clip(s.g * s.rescale_grad)
        mom = s.momentum * s.states[0] - (1 - s.momentum) * s.wd * s.w - (1 - s.momentum) * g
        return (1 - s.lr * s.wd_lh) * s.w + s.lr * _sign(mom), (mom,)


@register
class SGLD(FusedOptimizer):
    """Stochastic gradient Langevin dynamics: `weight += -lr / 2 * (clip(rescale_grad *
    grad) + wd * weight) + N(0, sqrt(lr))` (noise from `mx.random`'s stream).

    >>> opt = mx.optimizer.SGLD(learning_rate=0.01)  # doctest: +SKIP
    """

    _clips_when_given = True

    def _coefficients(self, indices: Sequence[Any]) -> list[dict[str, float]]:
        rows = super()._coefficients(indices)
        for row in rows:
            row["noise"] = math.sqrt(row["lr"])
        return rows

    def _step(self, s: Step) -> tuple[Array, tuple[Array, ...]]:
        g = s.clip(s.g * s.rescale_grad)
        w = s.w - s.lr / 2 * (g + s.wd * s.w)
        noise = nd.random.normal(0, 1, shape=s.w.shape, dtype=s.w.dtype)
        return w + noise * s.noise, ()


@register
class DCASGD(FusedOptimizer):
    """Delay-compensated asynchronous SGD: with g = clip(rescale_grad * grad), `step = -lr
    * (g + wd * weight + lamda * g * g * (weight - previous weight))`, `mom = momentum *
    mom + step` and `weight += mom` (or `weight += step` without momentum). MXNet 1.9.1
    fails with momentum (it tests an array's truth); here momentum works.

    >>> opt = mx.optimizer.DCASGD(learning_rate=0.1, momentum=0.9)  # doctest: +SKIP
    """

    _clips_when_given = True

    def __init__(self, momentum: float = 0.0, lamda: float = 0.04, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.momentum = momentum
        self.lamda = lamda

    def create_state(self, index: Any, weight: NDArray) -> Any:
        mom = None if self.momentum == 0.0 else zeros(weight.shape, weight.context,
                                                      dtype=weight.dtype)
        return (mom, weight.copy())

    def _hyper(self) -> dict[str, float]:
        return {**super()._hyper(), "momentum": self.momentum, "lamda": self.lamda}

    def _step(self, s: Step) -> tuple[Array, tuple[Array, ...]]:
        g = s.clip(s.g * s.rescale_grad)
        previous = s.states[-1]
        step = -s.lr * (g + s.wd * s.w + s.lamda * g * g * (s.w - previous))
        if len(s.states) == 1:
            return s.w + step, (s.w,)
        mom = s.states[0] * s.momentum + step
        return s.w + mom, (mom, s.w)


@register
class LARS(_MomentumFirst):
    """Layer-wise adaptive rate scaling on SGD with momentum: each parameter whose name
    ends neither in gamma, beta nor bias gets the rate `lr * eta * |w| / (|g| *
    rescale_grad + wd * |w| + eps)` (lr itself where either norm is 0); with
    `momentum_correction`, the momentum is scaled by the last change of the learning rate.

    >>> opt = mx.optimizer.LARS(learning_rate=0.1, momentum=0.9, eta=0.001)  # doctest: +SKIP
    """

    def __init__(self, momentum: float = 0.0, lazy_update: bool = True, eta: float = 0.001,
                 eps: float = 0, momentum_correction: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.momentum = momentum
        self.momentum_correction = momentum_correction
        self.lazy_update = lazy_update
        self.eta = eta
        self.eps = eps
        self.last_lr: float | None = None
        self.cur_lr: float | None = None

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return _momentum_state(weight, self.momentum, self.lazy_update)

    def _decays(self, name: str) -> bool:
        return name.endswith("_weight")

    def _get_lrs(self, indices: Sequence[Any]) -> list[float]:
        # Remember the last two global rates for the momentum correction.
        if self.cur_lr is not None:
            self.last_lr = self.cur_lr
        lr = self.learning_rate
        if self.cur_lr is None:
            self.last_lr = lr
        self.cur_lr = lr
        return super()._get_lrs(indices)

    def _coefficients(self, indices: Sequence[Any]) -> list[dict[str, float]]:
        self._update_count(indices)
        rows = []
        for index, lr, wd in zip(indices, self._get_lrs(indices), self._get_wds(indices)):
            name = self.idx2name.get(index, str(index))
            layerwise = not name.endswith(("gamma", "beta", "bias"))
            rows.append({"lr": lr, "wd": wd, "layerwise": float(layerwise)})
        return rows

    def _hyper(self) -> dict[str, float]:
        momentum = 0.0
        if self.momentum > 0:
            momentum = self.momentum
            if self.momentum_correction and self.last_lr != 0:
                momentum *= self.cur_lr / self.last_lr  # type: ignore[operator]
        return {**super()._hyper(), "momentum": momentum, "eta": self.eta, "eps": self.eps}

    def _step(self, s: Step) -> tuple[Array, tuple[Array, ...]]:
        w_sq, g_sq = sum_of_squares(s.stored), sum_of_squares(s.g)
        w_norm = nd.sqrt(w_sq)
        # (MXNet's multi_lars works in float32 whatever the weights' dtype)
        lr, wd, rescale, eta, eps, layerwise = (nd.cast(x, np.float32) for x in (
            s.lr, s.wd, s.rescale_grad, s.eta, s.eps, s.layerwise))
        scaled = lr * eta * w_norm / (nd.sqrt(g_sq) * rescale + wd * w_norm + eps)
        valid = (w_norm > 0) * (g_sq > 0) * layerwise
        s.lr = nd.cast(nd.where(valid, scaled, lr), s.w.dtype)
        return sgd_step(s)


@register
class LBSGD(FusedOptimizer):
    """Large-batch SGD: gradients accumulate over `batch_scale` calls, then an SGD step
    with the learning rate scaled by a warm-up (`warmup_strategy` 'linear', 'power2',
    'sqrt' over `warmup_epochs * updates_per_epoch` updates up to `batch_scale`, or
    'lars': the layer's sqrt(|w|^2 / (|g|^2 + wd * |w|^2)), kept within [0.01, 100]).

    >>> opt = mx.optimizer.LBSGD(learning_rate=0.1, momentum=0.9, batch_scale=4)  # doctest: +SKIP
    """

    def __init__(self, momentum: float = 0.0, multi_precision: bool = False,
                 warmup_strategy: str = "linear", warmup_epochs: int = 5, batch_scale: int = 1,
                 updates_per_epoch: int = 32, begin_epoch: int = 0, num_epochs: int = 60,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        logging.info("Running Large-Batch SGD Algorithm")
        logging.info("(Batch_scale=%f, warmup_epochs=%d, warmup_strategy=%s, "
                     "updates_per_epoch=%d)", batch_scale, warmup_epochs, warmup_strategy,
                     updates_per_epoch)
        self.momentum = momentum
        self.multi_precision = multi_precision
        self.warmup_strategy = warmup_strategy
        self.warmup_epochs = warmup_epochs
        self.batch_scale = batch_scale
        self.updates_per_epoch = updates_per_epoch
        self.init_updates = begin_epoch * updates_per_epoch
        self.num_epochs = num_epochs
        self.cumgrads: dict[Any, dict[str, Any]] = {}

    def create_state(self, index: Any, weight: NDArray) -> Any:
        if self.multi_precision and weight.dtype == np.float16:
            master = weight.astype(np.float32)
            return (_momentum_state(master, self.momentum), master)
        if weight.dtype == np.float16:
            warn_low_precision("SGD")
        return _momentum_state(weight, self.momentum)

    def _split_state(self, state: Any, mixed: bool) -> tuple[NDArray | None, Any]:
        if mixed:  # (through update_multi_precision: the base class's (weight32, state))
            return state[0], state[1]
        if isinstance(state, (list, tuple)):  # (create_state's own (momentum, weight32))
            return state[1], state[0]
        return None, state

    def _get_lbmult(self, nup: int) -> float:
        """The warm-up's learning-rate multiplier after `nup` accumulated updates."""
        nwup = self.warmup_epochs * self.updates_per_epoch
        maxmult = float(self.batch_scale)
        if nup >= nwup:
            return maxmult
        if nwup <= 1:
            return 1.0
        if self.warmup_strategy == "linear":
            return 1.0 + (maxmult - 1) * nup / nwup
        if self.warmup_strategy == "power2":
            return 1.0 + (maxmult - 1) * (nup * nup) / (nwup * nwup)
        if self.warmup_strategy == "sqrt":
            return 1.0 + (maxmult - 1) * math.sqrt(float(nup) / nwup)
        return 1.0

    def _get_lars(self, weight: NDArray, g: NDArray, wd: float) -> float:
        """The 'lars' strategy's multiplier (read back to the host, as MXNet does)."""
        weight2, grad2 = self._l2norm(weight), self._l2norm(g)
        lars = math.sqrt(weight2 / (grad2 + wd * weight2 + 1e-18))
        return min(max(lars, 0.01), 100.0)

    def _l2norm(self, v: NDArray) -> float:
        return float((v * v).asnumpy().sum())

    def _cumulate_gradient(self, grad: NDArray, index: Any) -> dict[str, Any]:
        """Add `grad` to the index's accumulated gradient; its count starts at the
        updates of the epochs skipped (`begin_epoch`)."""
        cgrad = self.cumgrads.get(index, {})
        if cgrad and cgrad["num_cums"] > 0:
            cgrad = {"cum_grad": cgrad["cum_grad"] + grad, "num_cums": cgrad["num_cums"] + 1}
        else:
            cgrad = {"cum_grad": grad, "num_cums": self.init_updates + 1}
        self.cumgrads[index] = cgrad
        return cgrad

    def _prepare(self, indices: list[Any], weights: list[NDArray], grads: list[NDArray],
                 states: list[Any], multi_precision: bool
                 ) -> tuple[list[Job | RowJob], list[dict]]:
        jobs: list[Job | RowJob] = []
        rows = []
        for i, w, g, st in zip(indices, weights, grads, states):
            lr, wd = self._get_lr(i), self._get_wd(i)  # (before counting, as MXNet reads them)
            self._update_count(i)
            cgrad = self._cumulate_gradient(g, i)
            if cgrad["num_cums"] % self.batch_scale != 0:
                continue  # (MXNet runs an SGD step with lr 0 there: the weight stays)
            g = cgrad["cum_grad"]
            if self.batch_scale != 1:
                g = g / self.batch_scale
            master, inner = self._split_state(st, multi_precision and w.dtype == np.float16)
            if self.warmup_strategy == "lars":
                mult = self._get_lars(w if master is None else master, g, wd)
            else:
                mult = self._get_lbmult(cgrad["num_cums"])
            cgrad["cum_grad"] = 0
            jobs.append(self._job(w, g, master, state_arrays(inner)))
            rows.append({"lr": lr * mult, "wd": wd})
        return jobs, rows

    def _hyper(self) -> dict[str, float]:
        return {**super()._hyper(), "momentum": max(self.momentum, 0.0)}

    def _step(self, s: Step) -> tuple[Array, tuple[Array, ...]]:
        return sgd_step(s)


@register
class Test(FusedOptimizer):
    """MXNet's optimizer for tests: `weight += rescale_grad * grad`, and the state keeps a
    copy of the weight.

    >>> opt = mx.optimizer.Test(rescale_grad=0.5)  # doctest: +SKIP
    """

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return zeros(weight.shape, weight.context)

    def _coefficients(self, indices: Sequence[Any]) -> list[dict[str, float]]:
        return [{} for _ in indices]  # (MXNet's Test counts no updates)

    def _step(self, s: Step) -> tuple[Array, tuple[Array, ...]]:
        w = s.w + s.g * s.rescale_grad
        return w, (nd.cast(w, s.states[0].dtype),)
