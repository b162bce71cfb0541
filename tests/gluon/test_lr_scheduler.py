"""mx.lr_scheduler: the rates MXNet 1.9.1 gives (lr_schedulers.json, written by it), the
warm-up modes, and every error its constructors raise."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import mxjit as mx

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "mxnet-1.9.1" / "lr_schedulers.json"

#: How lr_schedulers.json was written: sched(i) for i in 0..40 (see the fixtures README).
SCHEDULERS = {
    "FactorScheduler": lambda: mx.lr_scheduler.FactorScheduler(
        step=5, factor=0.5, base_lr=0.1, warmup_steps=3, warmup_begin_lr=0.01),
    "MultiFactorScheduler": lambda: mx.lr_scheduler.MultiFactorScheduler(
        step=[4, 10, 25], factor=0.3, base_lr=0.2),
    "PolyScheduler": lambda: mx.lr_scheduler.PolyScheduler(
        max_update=30, base_lr=0.1, pwr=2, final_lr=0.001, warmup_steps=5),
    "CosineScheduler": lambda: mx.lr_scheduler.CosineScheduler(
        max_update=30, base_lr=0.1, final_lr=0.001, warmup_steps=5, warmup_mode="constant"),
}


def test_the_namespace_shows_the_schedulers_only() -> None:
    public = {n for n in dir(mx.lr_scheduler) if not n.startswith("_")}
    assert public == set(SCHEDULERS) | {"LRScheduler"}


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_mxnets_rates_reproduced(name: str) -> None:
    expected = json.loads(FIXTURE.read_text())[name]
    sched = SCHEDULERS[name]()
    got = [sched(i) for i in range(len(expected))]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)


def test_warmup_modes() -> None:
    linear = mx.lr_scheduler.PolyScheduler(10, base_lr=0.1, warmup_steps=4, warmup_begin_lr=0.02)
    assert [linear(i) for i in range(4)] == pytest.approx([0.02, 0.04, 0.06, 0.08])
    constant = mx.lr_scheduler.CosineScheduler(10, base_lr=0.1, warmup_steps=4,
                                               warmup_begin_lr=0.02, warmup_mode="constant")
    assert [constant(i) for i in range(4)] == [0.02] * 4
    assert constant(4) == pytest.approx(0.1) and constant(10) == pytest.approx(0.0)


def test_factor_scheduler_stops_at_stop_factor_lr_and_resumes_late() -> None:
    sched = mx.lr_scheduler.FactorScheduler(step=1, factor=0.1, stop_factor_lr=1e-3, base_lr=1.0)
    assert sched(100) == 1e-3  # (many steps passed at once: training resumed at update 100)
    fresh = mx.lr_scheduler.FactorScheduler(step=2, factor=0.5, base_lr=1.0)
    assert [fresh(i) for i in (1, 2, 3, 5)] == [1.0, 1.0, 0.5, 0.25]


def test_a_user_scheduler_and_the_base_call() -> None:
    class Halving(mx.lr_scheduler.LRScheduler):
        def __call__(self, num_update: int) -> float:
            return self.base_lr / 2 ** (num_update // 10)

    assert Halving(base_lr=0.4)(25) == 0.1
    with pytest.raises(NotImplementedError, match="must override this"):
        mx.lr_scheduler.LRScheduler()(3)


@pytest.mark.parametrize("make, error, message", [
    (lambda: mx.lr_scheduler.LRScheduler(base_lr=0.1, warmup_begin_lr=0.2), ValueError,
     "Base lr has to be higher than warmup_begin_lr"),
    (lambda: mx.lr_scheduler.LRScheduler(warmup_steps=-1), ValueError,
     "Warmup steps has to be positive or 0"),
    (lambda: mx.lr_scheduler.LRScheduler(warmup_mode="cubic"), ValueError,
     "Supports only linear and constant modes of warmup"),
    (lambda: mx.lr_scheduler.LRScheduler(warmup_steps=2.5), AssertionError,
     "warmup_steps must be an int"),
    (lambda: mx.lr_scheduler.FactorScheduler(step=0), ValueError,
     "Schedule step must be greater or equal than 1 round"),
    (lambda: mx.lr_scheduler.FactorScheduler(step=2, factor=1.5), ValueError,
     "Factor must be no more than 1 to make lr reduce"),
    (lambda: mx.lr_scheduler.MultiFactorScheduler(step=(2, 4)), AssertionError,
     "step must be a non-empty list"),
    (lambda: mx.lr_scheduler.MultiFactorScheduler(step=[4, 4]), ValueError,
     "Schedule step must be an increasing integer list"),
    (lambda: mx.lr_scheduler.MultiFactorScheduler(step=[0, 4]), ValueError,
     "Schedule step must be greater or equal than 1 round"),
    (lambda: mx.lr_scheduler.MultiFactorScheduler(step=[2], factor=2), ValueError,
     "Factor must be no more than 1 to make lr reduce"),
    (lambda: mx.lr_scheduler.PolyScheduler(max_update=0), ValueError,
     "maximum number of updates must be strictly positive"),
    (lambda: mx.lr_scheduler.PolyScheduler(max_update=10.0), AssertionError,
     "max_update must be an int"),
    (lambda: mx.lr_scheduler.CosineScheduler(max_update=0), ValueError,
     "maximum number of updates must be strictly positive"),
    (lambda: mx.lr_scheduler.CosineScheduler(max_update=10.0), AssertionError,
     "max_update must be an int"),
    (lambda: mx.lr_scheduler.PolyScheduler(10, warmup_steps=2).get_warmup_lr(2),
     AssertionError, "past the warm-up of 2 steps"),
])
def test_errors(make, error, message) -> None:
    with pytest.raises(error, match=message):
        make()


def test_an_invalid_warmup_mode_set_later_is_an_error() -> None:
    sched = mx.lr_scheduler.PolyScheduler(10, warmup_steps=2)
    sched.warmup_mode = "cubic"
    with pytest.raises(ValueError, match="Invalid warmup mode cubic"):
        sched(0)
