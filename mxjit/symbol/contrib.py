"""`mx.sym.contrib`: the table's contrib operators as symbols, and MXNet's Python-level
contrib functions: the control flow `foreach`, `while_loop` and `cond` (control_flow.py),
`rand_zipfian` (a composition of symbol operators) and the AdamW updates, whose
`rescale_grad` may be a number (a `_full` node then, as in MXNet).

    >>> sampled, count_true, count_sampled = mx.sym.contrib.rand_zipfian(
    ...     mx.sym.var('t'), 3, 10)  # doctest: +SKIP
"""
import math as _math
from typing import Any as _Any

from ..base import ArgumentError as _ArgumentError
from ..core.operators import lookup as _lookup
from .control_flow import cond, foreach, while_loop  # noqa: F401  (re-exported)
from .creation import full as _full
from .namespace import functions as _functions
from .namespace import make_function as _make_function
from .random import uniform as _uniform
from .symbol import Symbol as _Symbol


def rand_zipfian(true_classes: _Symbol, num_sampled: int, range_max: int
                 ) -> tuple[_Symbol, _Symbol, _Symbol]:
    """`num_sampled` classes drawn from the approximately log-uniform (Zipfian)
    distribution over [0, range_max), with the expected counts of the true classes and of
    the sampled ones.

    >>> sampled, count_true, count_sampled = mx.sym.contrib.rand_zipfian(
    ...     mx.sym.var('t'), 3, 10)  # doctest: +SKIP
    """
    if not isinstance(true_classes, _Symbol):
        raise _ArgumentError(f"rand_zipfian: true_classes must be a Symbol, got "
                             f"{type(true_classes).__name__}")
    log_range = _math.log(range_max + 1)
    draws = _uniform(0, log_range, shape=(num_sampled,), dtype="float64")
    sampled = (draws.exp() - 1).astype("int64") % range_max

    def expected_count(classes: _Symbol) -> _Symbol:
        as_float = classes.astype("float64")
        return ((as_float + 2.0) / (as_float + 1.0)).log() / log_range * num_sampled

    return sampled, expected_count(true_classes), expected_count(sampled)


def _adamw(op_name: str, inputs: dict[str, _Any], rescale_grad: _Any, name: str | None,
           params: dict[str, _Any]) -> _Symbol:
    if not isinstance(rescale_grad, _Symbol):
        rescale_grad = _full(shape=(1,), val=rescale_grad)
    fn = _make_function(_lookup(op_name), op_name)
    return fn(**inputs, rescale_grad=rescale_grad, name=name, **params)


def adamw_update(weight: _Symbol, grad: _Symbol, mean: _Symbol, var: _Symbol,
                 rescale_grad: _Any, lr: float, eta: float, beta1: float = 0.9,
                 beta2: float = 0.999, epsilon: float = 1e-8, wd: float = 0,
                 clip_gradient: float = -1, out: _Any = None, name: str | None = None,
                 **kwargs: _Any) -> _Symbol:
    """AdamW's update of `weight` (MXNet's `_adamw_update` node).

    >>> w = mx.sym.contrib.adamw_update(w, g, m, v, 1.0, lr=0.01, eta=1.0)  # doctest: +SKIP
    """
    return _adamw("_adamw_update", {"weight": weight, "grad": grad, "mean": mean, "var": var},
                  rescale_grad, name, {"lr": lr, "eta": eta, "beta1": beta1, "beta2": beta2,
                                       "epsilon": epsilon, "wd": wd,
                                       "clip_gradient": clip_gradient, **kwargs})


def mp_adamw_update(weight: _Symbol, grad: _Symbol, mean: _Symbol, var: _Symbol,
                    weight32: _Symbol, rescale_grad: _Any, lr: float, eta: float,
                    beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-8,
                    wd: float = 0, clip_gradient: float = -1, out: _Any = None,
                    name: str | None = None, **kwargs: _Any) -> _Symbol:
    """Mixed-precision AdamW's update of `weight` over float32 `weight32` (MXNet's
    `_mp_adamw_update` node).

    >>> w = mx.sym.contrib.mp_adamw_update(w, g, m, v, w32, 1.0, lr=0.01, eta=1.0)  # doctest: +SKIP
    """
    return _adamw("_mp_adamw_update", {"weight": weight, "grad": grad, "mean": mean,
                                       "var": var, "weight32": weight32},
                  rescale_grad, name, {"lr": lr, "eta": eta, "beta1": beta1, "beta2": beta2,
                                       "epsilon": epsilon, "wd": wd,
                                       "clip_gradient": clip_gradient, **kwargs})


_made = _functions("contrib")
globals().update(_made)
__all__ = sorted(["rand_zipfian", "adamw_update", "mp_adamw_update", "foreach", "while_loop",
                  "cond", *_made])
del _made
