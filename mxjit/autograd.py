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
from .core.function import Function
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

__all__ = ["Function", "backward", "grad", "is_recording", "is_training", "mark_variables",
           "pause", "predict_mode", "record", "set_recording", "set_training", "train_mode"]
