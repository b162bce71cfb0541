"""Output layers: SVMOutput, SoftmaxActivation, IdentityAttachKLSparseReg.

`SVMOutput` is a loss layer in MXNet's sense (identity forward; its backward pass is the hinge
gradient whatever the head gradient), built on the `loss_output` primitive as `SoftmaxOutput`
is. `IdentityAttachKLSparseReg` is the identity whose backward pass adds the gradient of a KL
sparseness penalty on the mean activation, kept as a moving average in an auxiliary state.
"""
from __future__ import annotations

import numpy as np

from ..base import DTypeError, ParamError, ShapeError
from ..core import Array, tape
from ..core.operators import input_shape_rule, register_operator
from . import reduce
from .nn import loss_output, softmax, update_moving
from .operands import along, any_traced, as_dtype, check_shape, ew, full, iota, select
from .shape import broadcast_exact, expand_dims


@register_operator("SoftmaxActivation")
def SoftmaxActivation(data: Array, mode: str = "instance") -> Array:
    """Softmax over the last axis ('instance', what MXNet 1.9.1 computes for any rank) or
    over axis 1, the channels, at each position ('channel', for data of 3 or more dims).
    MXNet has deprecated it in favour of `softmax`.

    >>> mx.nd.SoftmaxActivation(mx.nd.array([[1, 2, 3]]))  # doctest: +SKIP
    [[0.09003057 0.24472848 0.66524094]]
    """
    if mode not in ("instance", "channel"):
        raise ParamError(f"SoftmaxActivation: mode must be 'instance' or 'channel', got "
                         f"{mode!r}")
    if data.ndim < (1 if mode == "instance" else 3):
        raise ShapeError(f"SoftmaxActivation: mode={mode!r} needs data of at least "
                         f"{1 if mode == 'instance' else 3} dims, got shape {data.shape}")
    if data.size == 0:  # (nothing to normalise; a softmax over an empty axis has no max)
        return data
    return softmax(data, axis=-1 if mode == "instance" else 1)


@register_operator("SVMOutput", inputs=("data", "label"))
def SVMOutput(data: Array, label: Array, margin: float = 1.0,
              regularization_coefficient: float = 1.0, use_linear: bool = False) -> Array:
    """Identity forward; backward the gradient of the one-vs-rest hinge loss, whatever the
    head gradient (MXNet's loss-layer semantics).

    The classes lie along the last axis; `label` holds one class index per row (shape
    data.shape[:-1], truncated to an int; an index outside the classes marks none). With
    x the data, k the label and c = regularization_coefficient, the gradient is
    -c * [margin > x_k] at k and c * [margin > -x_j] elsewhere for the L1-SVM
    (`use_linear`), and -2c * max(margin - x_k, 0) and 2c * max(margin + x_j, 0) for the
    L2-SVM.

    >>> with mx.autograd.record(): y = mx.nd.SVMOutput(x, label)  # doctest: +SKIP
    >>> y.backward()  # doctest: +SKIP
    """
    _float_data("SVMOutput", data)
    if data.ndim < 2:
        raise ShapeError(f"SVMOutput: data must have at least 2 dims (..., classes), got shape "
                         f"{data.shape}")
    check_shape("SVMOutput", "label (one class index per row of the data's last axis)",
                label, data.shape[:-1])
    c = regularization_coefficient

    def grad() -> Array:
        classes = iota(data.shape, data.ndim - 1, data)
        k = broadcast_exact(expand_dims(as_dtype(label, np.int64), -1), data.shape)
        if use_linear:
            at_label = as_dtype(ew("lt", data, margin), data._dtype) * -c
            others = as_dtype(ew("gt", data, -margin), data._dtype) * c
        else:
            at_label = ew("maximum", -data + margin, 0) * (-2 * c)
            others = ew("maximum", data + margin, 0) * (2 * c)
        return select(ew("eq", classes, k), at_label, others)

    return loss_output(data, data, grad)


@input_shape_rule("SVMOutput")
def _svm_output_inputs(shapes: dict[str, tuple[int, ...]], **_: object
                       ) -> dict[str, tuple[int, ...]]:
    return {"label": shapes["data"][:-1]}


@register_operator("IdentityAttachKLSparseReg", inputs=("data", "moving_avg"))
def IdentityAttachKLSparseReg(data: Array, moving_avg: Array, sparseness_target: float = 0.1,
                              penalty: float = 0.001, momentum: float = 0.9) -> Array:
    """The identity; its backward pass adds to the head gradient the gradient of a KL
    sparseness penalty, penalty * (-rho / a + (1 - rho) / (1 - a)) with rho the
    `sparseness_target` and `a` the moving average of each channel's mean activation
    (mean over every axis but 1): a = momentum * moving_avg + (1 - momentum) * mean.

    `moving_avg` (shape (channels,)) is MXNet's auxiliary state, zeros to begin with. Each
    backward pass through the result updates it to `a` in place, as MXNet does; inside a
    trace in training mode it is rebound to its new traced value, so return it from the
    traced function, as with BatchNorm's statistics.

    >>> avg = mx.nd.zeros((4,))  # doctest: +SKIP
    >>> with mx.autograd.record(): y = mx.nd.IdentityAttachKLSparseReg(h, avg)  # doctest: +SKIP
    """
    op = "IdentityAttachKLSparseReg"
    _float_data(op, data)
    if data.ndim < 2:
        raise ShapeError(f"{op}: data must have at least 2 dims (batch, channel, ...), got "
                         f"shape {data.shape}")
    check_shape(op, "moving_avg (one entry per channel, axis 1)", moving_avg, (data.shape[1],))
    training = tape.is_training()
    if data.size == 0 or not (training or tape.is_recording() or any_traced(data, moving_avg)):
        return data  # (an empty batch has no mean activation to average in)
    if training and any_traced(data) and not any_traced(moving_avg):
        raise ParamError(f"{op}: in training mode inside a trace moving_avg must be an argument "
                         "of the traced function (it is updated, and returned values are how a "
                         "trace hands updates back); pass it as an argument or call it in "
                         "predict mode")
    with tape.pause(train_mode=training):  # (the statistics are not differentiated)
        axes = tuple(k for k in range(data.ndim) if k != 1)
        mean = as_dtype(reduce.mean(data, axis=axes), moving_avg._dtype)
        avg = as_dtype(moving_avg * momentum + mean * (1 - momentum), data._dtype)
        per_channel = (-sparseness_target / avg + (1 - sparseness_target) / (1 - avg)) * penalty
        term = broadcast_exact(along(per_channel, 1, data.ndim), data.shape)
    out = data + loss_output(full(0, data), data, lambda: term)
    if training or moving_avg._node is None:
        update_moving(out, [(moving_avg, mean)], momentum)
    return out


def _float_data(op: str, data: Array) -> None:
    if data._dtype.kind != "f":
        raise DTypeError(f"{op}: data must be floating point, got {data._dtype.name}")
