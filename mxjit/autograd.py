"""`mx.autograd`: MXNet 1.x's recording autograd.

While `record()` is on, every eager op on an array that depends on a variable (an array
with `attach_grad()`) is recorded; `backward()` differentiates the recorded graph with the
same gradient rules `mx.grad` uses and runs its backward pass as one compiled program.
A jitted function (or a hybridized block) called while recording is recorded as one call.

    >>> x = mx.nd.array([1.0, 2.0]); x.attach_grad()  # doctest: +SKIP
    >>> with mx.autograd.record():  # doctest: +SKIP
    ...     y = (x * x).sum()
    >>> y.backward(); x.grad  # doctest: +SKIP
"""
from typing import Any as _Any

from .core.function import Function
from .core.history import symbol_of as _symbol_of
from .core.tape import (
    backward,
    grad,
    is_recording,
    is_training,
    mark_variables,
    pause,
    predict_mode,
    record,
    set_recording,
    set_training,
    train_mode,
)


def get_symbol(x: _Any) -> _Any:
    """The recorded computation history of `x` as a Symbol of MXNet operators, named as
    MXNet names it: variables `var0`, ... (in `attach_grad` order), constants `null<n>`,
    operator calls `node_<n>` (in recording order). The Symbol layer builds it
    (`symbol/recorded.py`, registered with `core/history.py`: autograd may import only
    `core`).

    >>> with mx.autograd.record(): y = mx.nd.exp(x * 2)  # doctest: +SKIP
    >>> mx.autograd.get_symbol(y).list_arguments()  # doctest: +SKIP
    ['var0']
    """
    return _symbol_of(x)


__all__ = ["Function", "backward", "get_symbol", "grad", "is_recording", "is_training",
           "mark_variables", "pause", "predict_mode", "record", "set_recording",
           "set_training", "train_mode"]
