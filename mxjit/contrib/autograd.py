"""`mx.contrib.autograd`: MXNet's first autograd interface, which 1.9.1 still ships: one
switch for training and recording together (`set_is_training`, `train_section`,
`test_section`), `mark_variables`, `backward`/`compute_gradient`, and the function
transforms `grad_and_loss` and `grad`. It runs on `mx.autograd`'s tape.

    >>> x = mx.nd.array([1.0, 2.0])
    >>> mx.contrib.autograd.grad(lambda a: (a * a).sum())(x)[0].asnumpy().tolist()
    [2.0, 4.0]
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

from ..autograd import backward as _backward
from ..autograd import mark_variables, set_recording, set_training
from ..base import ArgumentError
from ..nd import NDArray, zeros

__all__ = ["TrainingStateScope", "backward", "compute_gradient", "grad", "grad_and_loss",
           "mark_variables", "set_is_training", "test_section", "train_section"]

def set_is_training(is_train: bool) -> bool:
    """Turn training mode and recording on or off together; returns whether recording was
    on (MXNet returns the second of its two previous states).

    >>> prev = mx.contrib.autograd.set_is_training(True)
    >>> mx.autograd.is_recording(), mx.autograd.is_training()
    (True, True)
    >>> _ = mx.contrib.autograd.set_is_training(prev)
    """
    set_training(is_train)
    return set_recording(is_train)


class TrainingStateScope:
    """A `with` scope in which training and recording are `enter_state`; the state before
    comes back on exit.

    >>> with mx.contrib.autograd.TrainingStateScope(True):
    ...     mx.autograd.is_recording()
    True
    """

    def __init__(self, enter_state: bool) -> None:
        self._enter_state = enter_state
        self._prev: bool | None = None

    def __enter__(self) -> None:
        self._prev = set_is_training(self._enter_state)

    def __exit__(self, ptype: type[BaseException] | None, value: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._prev is not None and self._prev != self._enter_state:
            set_is_training(self._prev)


def train_section() -> TrainingStateScope:
    """A scope that records and trains (MXNet's older `autograd.record()`).

    >>> with mx.contrib.autograd.train_section():
    ...     mx.autograd.is_training()
    True
    """
    return TrainingStateScope(True)


def test_section() -> TrainingStateScope:
    """A scope that neither records nor trains, for evaluation inside a `train_section`.

    >>> with mx.contrib.autograd.test_section():
    ...     mx.autograd.is_recording()
    False
    """
    return TrainingStateScope(False)


def backward(outputs: Sequence[NDArray], out_grads: Sequence[NDArray | None] | None = None,
             retain_graph: bool = False) -> None:
    """Gradients of the list `outputs` into their variables' gradient buffers (head
    gradients `out_grads`, ones where None).

    >>> x = mx.nd.ones(2); x.attach_grad()
    >>> with mx.contrib.autograd.train_section():
    ...     y = x * 3
    >>> mx.contrib.autograd.backward([y]); x.grad.asnumpy().tolist()
    [3.0, 3.0]
    """
    if not isinstance(outputs, (list, tuple)):
        raise ArgumentError(f"contrib.autograd.backward: outputs must be a list or tuple of "
                            f"NDArrays, got {type(outputs).__name__}")
    heads = list(outputs)
    _backward(heads, None if out_grads is None else list(out_grads), retain_graph=retain_graph)


def compute_gradient(outputs: Sequence[NDArray]) -> None:
    """Deprecated in MXNet: `backward(outputs)`.

    >>> mx.contrib.autograd.compute_gradient([y])  # doctest: +SKIP
    """
    backward(outputs)


def grad_and_loss(func: Callable[..., Any], argnum: int | list[int] | None = None
                  ) -> Callable[..., tuple[list[NDArray], Any]]:
    """A function returning (gradients of the arguments `argnum`, all when None, and
    `func`'s value), recorded in a `train_section`.

    >>> grads, loss = mx.contrib.autograd.grad_and_loss(lambda a: (a * a).sum())(
    ...     mx.nd.array([3.0]))
    >>> grads[0].asnumpy().tolist(), loss.asscalar()
    ([6.0], 9.0)
    """
    @functools.wraps(func)
    def wrapped(*args: Any) -> tuple[list[NDArray], Any]:
        variables = args
        if argnum is not None:
            variables = tuple(args[i] for i in (argnum if isinstance(argnum, list) else [argnum]))
        for x in variables:
            if not isinstance(x, NDArray):
                raise ArgumentError(f"contrib.autograd: the inputs to differentiate must be "
                                    f"NDArrays, got {type(x).__name__}")
        grads = [zeros(x.shape, x.context, dtype=x.dtype) for x in variables]
        mark_variables(list(variables), grads)
        with train_section():
            outputs = func(*args)
        compute_gradient([outputs] if isinstance(outputs, NDArray) else outputs)
        return grads, outputs

    return wrapped


def grad(func: Callable[..., Any], argnum: int | list[int] | None = None
         ) -> Callable[..., list[NDArray]]:
    """A function returning the gradients of `func` with respect to the arguments
    `argnum` (all when None).

    >>> mx.contrib.autograd.grad(lambda a: (a * a).sum())(mx.nd.array([3.0]))[0].asscalar()
    6.0
    """
    with_loss = grad_and_loss(func, argnum)

    @functools.wraps(with_loss)
    def wrapped(*args: Any) -> list[NDArray]:
        return with_loss(*args)[0]

    return wrapped
