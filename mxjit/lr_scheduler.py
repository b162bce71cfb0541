"""`mx.lr_scheduler`: learning rates as a function of the number of updates (MXNet 1.x's).

A scheduler is called with the optimizer's `num_update` (the most updates any weight has
had) and returns the learning rate, after an optional warm-up that rises linearly from
`warmup_begin_lr` or stays there. Factor and multi-factor schedulers keep state (they
lower `base_lr` in place as the steps pass), as MXNet's do.

    >>> sched = mx.lr_scheduler.FactorScheduler(step=10, factor=0.5, base_lr=0.1)
    >>> sched(25)  # doctest: +SKIP
    0.025
"""
import logging as _logging
import math as _math

from .base import NotOverriddenError as _NotOverriddenError
from .base import ParamError as _ParamError

__all__ = ["LRScheduler", "FactorScheduler", "MultiFactorScheduler", "PolyScheduler",
           "CosineScheduler"]


def _require(condition: bool, message: str) -> None:
    """MXNet checks these with `assert`; raised explicitly so `python -O` keeps them."""
    if not condition:
        raise AssertionError(message)


class LRScheduler:
    """The base class: `base_lr` and the warm-up (`warmup_steps` updates, 'linear' from
    `warmup_begin_lr` to `base_lr` or 'constant' at `warmup_begin_lr`). Subclasses define
    `__call__(num_update)`.

    >>> class Halving(mx.lr_scheduler.LRScheduler):  # doctest: +SKIP
    ...     def __call__(self, num_update):
    ...         return self.base_lr / 2 ** (num_update // 100)
    """

    def __init__(self, base_lr: float = 0.01, warmup_steps: int = 0,
                 warmup_begin_lr: float = 0, warmup_mode: str = "linear") -> None:
        self.base_lr = base_lr
        _require(isinstance(warmup_steps, int),
                 f"warmup_steps must be an int, got {type(warmup_steps).__name__}")
        self.warmup_steps = warmup_steps
        self.warmup_final_lr = base_lr
        self.warmup_begin_lr = warmup_begin_lr
        if self.warmup_begin_lr > self.warmup_final_lr:
            raise _ParamError("Base lr has to be higher than warmup_begin_lr")
        if self.warmup_steps < 0:
            raise _ParamError("Warmup steps has to be positive or 0")
        if warmup_mode not in ("linear", "constant"):
            raise _ParamError("Supports only linear and constant modes of warmup")
        self.warmup_mode = warmup_mode

    def get_warmup_lr(self, num_update: int) -> float:
        """The learning rate at update `num_update` of the warm-up (< warmup_steps).

        >>> mx.lr_scheduler.PolyScheduler(10, warmup_steps=4).get_warmup_lr(2)  # doctest: +SKIP
        0.005
        """
        _require(num_update < self.warmup_steps,
                 f"update {num_update} is past the warm-up of {self.warmup_steps} steps")
        if self.warmup_mode == "linear":
            increase = (self.warmup_final_lr - self.warmup_begin_lr) \
                * float(num_update) / float(self.warmup_steps)
            return self.warmup_begin_lr + increase  # type: ignore[no-any-return]
        if self.warmup_mode == "constant":
            return self.warmup_begin_lr
        raise _ParamError(f"Invalid warmup mode {self.warmup_mode}")

    def __call__(self, num_update: int) -> float:
        """The learning rate after `num_update` updates (the most any weight has had).

        >>> sched(0)  # doctest: +SKIP
        """
        raise _NotOverriddenError("must override this")


class FactorScheduler(LRScheduler):
    """`base_lr * factor ** ((num_update - 1) // step)`: the rate drops after every `step`
    updates (update `step` itself still has the old one), never below `stop_factor_lr`.

    >>> mx.lr_scheduler.FactorScheduler(step=5, factor=0.5, base_lr=0.1)(11)  # doctest: +SKIP
    0.025
    """

    def __init__(self, step: int, factor: float = 1, stop_factor_lr: float = 1e-8,
                 base_lr: float = 0.01, warmup_steps: int = 0, warmup_begin_lr: float = 0,
                 warmup_mode: str = "linear") -> None:
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        if step < 1:
            raise _ParamError("Schedule step must be greater or equal than 1 round")
        if factor > 1.0:
            raise _ParamError("Factor must be no more than 1 to make lr reduce")
        self.step = step
        self.factor = factor
        self.stop_factor_lr = stop_factor_lr
        self.count = 0

    def __call__(self, num_update: int) -> float:
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        # A loop, not a test: training resumed at a later update passes several steps at once.
        while num_update > self.count + self.step:
            self.count += self.step
            self.base_lr *= self.factor
            if self.base_lr < self.stop_factor_lr:
                self.base_lr = self.stop_factor_lr
                _logging.info("Update[%d]: now learning rate arrived at %0.5e, will not "
                             "change in the future", num_update, self.base_lr)
            else:
                _logging.info("Update[%d]: Change learning rate to %0.5e", num_update,
                             self.base_lr)
        return self.base_lr


class MultiFactorScheduler(LRScheduler):
    """`base_lr * factor ** k` once the update count has passed k of the (increasing)
    `step` boundaries.

    >>> mx.lr_scheduler.MultiFactorScheduler([4, 10], factor=0.1, base_lr=1.0)(5)  # doctest: +SKIP
    0.1
    """

    def __init__(self, step: list[int], factor: float = 1, base_lr: float = 0.01,
                 warmup_steps: int = 0, warmup_begin_lr: float = 0,
                 warmup_mode: str = "linear") -> None:
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        _require(isinstance(step, list) and len(step) >= 1,
                 f"step must be a non-empty list of ints, got {step!r}")
        for i, boundary in enumerate(step):
            if i != 0 and step[i] <= step[i - 1]:
                raise _ParamError("Schedule step must be an increasing integer list")
            if boundary < 1:
                raise _ParamError("Schedule step must be greater or equal than 1 round")
        if factor > 1.0:
            raise _ParamError("Factor must be no more than 1 to make lr reduce")
        self.step = step
        self.cur_step_ind = 0
        self.factor = factor
        self.count = 0

    def __call__(self, num_update: int) -> float:
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        while self.cur_step_ind <= len(self.step) - 1:
            if num_update > self.step[self.cur_step_ind]:
                self.count = self.step[self.cur_step_ind]
                self.cur_step_ind += 1
                self.base_lr *= self.factor
                _logging.info("Update[%d]: Change learning rate to %0.5e", num_update,
                             self.base_lr)
            else:
                return self.base_lr
        return self.base_lr


class PolyScheduler(LRScheduler):
    """After the warm-up, `final_lr + (base_lr - final_lr) * (1 - n / max_steps) ** pwr`
    with n the updates since the warm-up and max_steps = max_update - warmup_steps;
    `final_lr` from `max_update` on.

    >>> mx.lr_scheduler.PolyScheduler(max_update=10, base_lr=0.1, pwr=1)(5)  # doctest: +SKIP
    0.05
    """

    def __init__(self, max_update: int, base_lr: float = 0.01, pwr: float = 2,
                 final_lr: float = 0, warmup_steps: int = 0, warmup_begin_lr: float = 0,
                 warmup_mode: str = "linear") -> None:
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        _require(isinstance(max_update, int),
                 f"max_update must be an int, got {type(max_update).__name__}")
        if max_update < 1:
            raise _ParamError("maximum number of updates must be strictly positive")
        self.power = pwr
        self.base_lr_orig = self.base_lr
        self.max_update = max_update
        self.final_lr = final_lr
        self.max_steps = self.max_update - self.warmup_steps

    def __call__(self, num_update: int) -> float:
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        if num_update <= self.max_update:
            remaining = 1 - float(num_update - self.warmup_steps) / float(self.max_steps)
            self.base_lr = self.final_lr + (self.base_lr_orig - self.final_lr) \
                * pow(remaining, self.power)
        return self.base_lr


class CosineScheduler(LRScheduler):
    """After the warm-up, `final_lr + (base_lr - final_lr) * (1 + cos(pi * n / max_steps))
    / 2` with n the updates since the warm-up and max_steps = max_update - warmup_steps;
    `final_lr` from `max_update` on.

    >>> mx.lr_scheduler.CosineScheduler(max_update=10, base_lr=0.1)(5)  # doctest: +SKIP
    0.05
    """

    def __init__(self, max_update: int, base_lr: float = 0.01, final_lr: float = 0,
                 warmup_steps: int = 0, warmup_begin_lr: float = 0,
                 warmup_mode: str = "linear") -> None:
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        _require(isinstance(max_update, int),
                 f"max_update must be an int, got {type(max_update).__name__}")
        if max_update < 1:
            raise _ParamError("maximum number of updates must be strictly positive")
        self.base_lr_orig = base_lr
        self.max_update = max_update
        self.final_lr = final_lr
        self.max_steps = self.max_update - self.warmup_steps

    def __call__(self, num_update: int) -> float:
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        if num_update <= self.max_update:
            angle = _math.pi * (num_update - self.warmup_steps) / self.max_steps
            self.base_lr = self.final_lr + (self.base_lr_orig - self.final_lr) \
                * (1 + _math.cos(angle)) / 2
        return self.base_lr
