"""`mx.nd` neural-network layers as composites over primitives: activations, the softmax
family, FullyConnected, normalisation layers, Dropout, Embedding and MXNet's loss layers.

Each is a handful of `bind` calls, so it runs eagerly, fuses inside `mx.jit` and gets its
gradient from the primitives' vjp rules. The loss layers (`SoftmaxOutput`,
`LinearRegressionOutput`, ...) keep MXNet's semantics through the `loss_output` primitive:
their backward pass is the loss gradient itself, whatever the head gradient is.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..base import ParamError, ShapeError
from ..core import Array, bind, next_key, tape
from ..core.operators import input_shape_rule, register_operator
from ..trace import canonical_dtype
from . import elementwise, reduce
from .elementwise import maximum, relu, sign
from .operands import (
    along,
    any_traced,
    as_dtype,
    axis_index,
    check_shape,
    constant,
    ew,
    full,
    iota,
    select,
)
from .shape import broadcast_exact, expand_dims, reshape

# ---- activations -------------------------------------------------------------------------


def _relu(x: Array) -> Array:
    return relu(x)  # one kernel; gradient 0 at 0, as MXNet's relu


def _softrelu(x: Array) -> Array:
    # MXNet's softrelu: x above 20, else log1p(exp(x)); the unused branch sees a capped x so
    # that neither it nor its gradient overflows.
    capped = ew("minimum", x, 20)
    return select(ew("gt", x, 20), x, ew("log1p", ew("exp", capped)))


_ACTIVATIONS: dict[str, Callable[[Array], Array]] = {
    "relu": _relu,
    "sigmoid": lambda x: ew("sigmoid", x),
    "tanh": lambda x: ew("tanh", x),
    "softrelu": _softrelu,
    "softsign": lambda x: x / (elementwise.abs(x) + 1),
}


@register_operator("Activation")
def Activation(data: Array, act_type: str = "relu") -> Array:
    """An elementwise activation: 'relu', 'sigmoid', 'tanh', 'softrelu' or 'softsign'.

    >>> mx.nd.Activation(mx.nd.array([-1, 2]), act_type='relu')  # doctest: +SKIP
    """
    fn = _ACTIVATIONS.get(act_type)
    if fn is None:
        raise ParamError(f"Activation: act_type must be one of {sorted(_ACTIVATIONS)}, got "
                         f"{act_type!r}")
    return fn(data)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_LAMBDA = 1.0507009873554804934193349852946


def _elu(x: Array, alpha: float) -> Array:
    negative = ew("expm1", ew("minimum", x, 0)) * alpha
    return select(ew("gt", x, 0), x, negative)


def _prelu_gamma_shape(gamma: tuple[int, ...], data: tuple[int, ...]) -> tuple[int, ...]:
    """Where prelu's `gamma` sits against the data, as MXNet places it: its axes, from the
    last, on the data's axes 1 and 0 (each the same size or 1); the data's other axes
    share one slope. So (C,) is per channel, and (N, C) or (N, 1) per example too."""
    placed = [1] * len(data)
    s = len(gamma) - 1
    for i in range(len(data) - 1, -1, -1):
        if s >= 0 and i <= 1 and gamma[s] in (data[i], 1):
            placed[i] = gamma[s]
            s -= 1
    if s != -1:
        raise ShapeError(f"LeakyReLU: cannot broadcast prelu's gamma of shape {gamma} to data "
                         f"of shape {data} (its axes go on the data's axes 1 and 0: (C,), "
                         f"(1,), (N, C) or (N, 1))")
    return tuple(placed)


@register_operator("LeakyReLU", inputs=("data", "gamma"), compiled=True)
def LeakyReLU(data: Array, gamma: Array | None = None, act_type: str = "leaky",
              slope: float = 0.25, lower_bound: float = 0.125, upper_bound: float = 0.334) -> Array:
    """Leaky rectifiers: 'leaky' (x or slope * x), 'prelu' (learned slope `gamma` per
    channel, axis 1), 'rrelu' (random slope in [lower_bound, upper_bound) when training,
    their mean otherwise), 'elu', 'selu' and 'gelu'.

    >>> mx.nd.LeakyReLU(mx.nd.array([-1, 2]), slope=0.1)  # doctest: +SKIP
    """
    x = data
    if act_type == "leaky":
        y = select(ew("gt", x, 0), x, x * slope)
    elif act_type == "prelu":
        if gamma is None:
            raise ParamError("LeakyReLU: act_type='prelu' needs the slope array `gamma`")
        g = reshape(gamma, shape=_prelu_gamma_shape(tuple(gamma.shape), tuple(x.shape)))
        y = select(ew("gt", x, 0), x, x * g)
    elif act_type == "rrelu":
        if tape.is_training():
            bits = bind("random_bits", next_key(), shape=x.shape)
            u = as_dtype(bits, x._dtype) * 2.0**-32
            y = select(ew("gt", x, 0), x, x * (u * (upper_bound - lower_bound) + lower_bound))
        else:
            y = select(ew("gt", x, 0), x, x * ((lower_bound + upper_bound) / 2))
    elif act_type == "elu":
        y = _elu(x, slope)
    elif act_type == "selu":
        y = _elu(x, _SELU_ALPHA) * _SELU_LAMBDA
    elif act_type == "gelu":
        y = x * (ew("erf", x * (1 / math.sqrt(2))) + 1) * 0.5
    else:
        raise ParamError("LeakyReLU: act_type must be one of ['elu', 'gelu', 'leaky', 'prelu', "
                         f"'rrelu', 'selu'], got {act_type!r}")
    return y


@input_shape_rule("LeakyReLU")
def _leaky_relu_inputs(shapes: dict[str, tuple[int, ...]], **_: Any
                       ) -> dict[str, tuple[int, ...]]:
    data = shapes["data"]
    return {"gamma": (data[1] if len(data) > 1 else 1,)}


# ---- softmax family ----------------------------------------------------------------------


def _softmax_input(data: Array, axis: int, temperature: float | None, dtype: Any,
                   length: Array | None, use_length: bool, op: str
                   ) -> tuple[Array, int, Array | None]:
    x = data if dtype is None else as_dtype(data, canonical_dtype(dtype))
    if temperature is not None and temperature != 1.0:
        x = x / temperature
    ax = axis_index(axis, x.ndim, op)
    mask = None
    if use_length:
        if length is None:
            raise ParamError(f"{op}: use_length=True needs the `length` array")
        expected = x.shape[:ax] + x.shape[ax + 1:]
        check_shape(op, "length", length, expected)
        positions = iota(x.shape, ax, x)
        limit = broadcast_exact(expand_dims(as_dtype(length, np.int64), ax), x.shape)
        mask = ew("lt", positions, limit)
    return x, ax, mask


def _row_max(x: Array, axis: int) -> Array:
    """The max along `axis` that softmax subtracts, held constant for differentiation: the
    result does not depend on the shift, so its gradient is zero and the backward pass
    needs no kernels for it. Eagerly the max is cut from the recorded graph (a leaf)."""
    # (an empty axis has no max; any shift will do for its no elements, so 0, its sum)
    m = (reduce.max(x, axis=axis, keepdims=True) if x.shape[axis] else
         reduce.sum(x, axis=axis, keepdims=True))
    return bind("stop_gradient", m) if m._node is not None else m.detach()


def _shifted_exp(x: Array, ax: int, mask: Array | None) -> tuple[Array, Array]:
    """x minus its row maximum, and exp of that; masked entries are 0 in both."""
    if mask is not None:
        x = select(mask, x, -np.inf)
    shifted = x - _row_max(x, ax)
    e = ew("exp", shifted)
    if mask is not None:
        e = select(mask, e, 0)
        shifted = select(mask, shifted, 0)
    return shifted, e


@register_operator("softmax", inputs=("data", "length"), kinds={"dtype": "dtype"}, compiled=True)
def softmax(data: Array, length: Array | None = None, axis: int = -1,
            temperature: float | None = None, dtype: Any = None, use_length: bool = False) -> Array:
    """exp(x / t) normalised along `axis`; with `use_length`, only the first `length`
    entries along `axis` take part and the rest are 0.

    >>> mx.nd.softmax(mx.nd.array([[1, 2, 3]]))  # doctest: +SKIP
    """
    x, ax, mask = _softmax_input(data, axis, temperature, dtype, length, use_length, "softmax")
    _, e = _shifted_exp(x, ax, mask)
    # one division per row and a multiply per element, as PyTorch does (a division per
    # element costs a tenth of a compiled softmax; the result moves by at most an ulp)
    return e * (1.0 / reduce.sum(e, axis=ax, keepdims=True))


@register_operator("log_softmax", kinds={"dtype": "dtype"}, compiled=True)
def log_softmax(data: Array, axis: int = -1, temperature: float | None = None,
                dtype: Any = None, use_length: bool = False) -> Array:
    """log(softmax(x)) computed stably. As in MXNet 1.9.1 it has no `length` input (the
    second positional argument is `axis`), so `use_length` cannot be set.

    >>> mx.nd.log_softmax(mx.nd.array([[1, 2, 3]]))  # doctest: +SKIP
    """
    if use_length:
        raise ParamError("log_softmax has no length input (as in MXNet 1.9.1); mask with "
                         "softmax(data, length, use_length=True) instead")
    x, ax, _ = _softmax_input(data, axis, temperature, dtype, None, False, "log_softmax")
    shifted, e = _shifted_exp(x, ax, None)
    return shifted - ew("log", reduce.sum(e, axis=ax, keepdims=True))


@register_operator("softmin", kinds={"dtype": "dtype"}, compiled=True)
def softmin(data: Array, axis: int = -1, temperature: float | None = None, dtype: Any = None,
            use_length: bool = False) -> Array:
    """softmax(-x): small entries get large weights. As in MXNet 1.9.1 it has no `length`
    input, so `use_length` cannot be set.

    >>> mx.nd.softmin(mx.nd.array([[1, 2, 3]]))  # doctest: +SKIP
    """
    if use_length:
        raise ParamError("softmin has no length input (as in MXNet 1.9.1); mask with "
                         "softmax(-data, length, use_length=True) instead")
    return softmax(-data, axis=axis, temperature=temperature, dtype=dtype)


# ---- dense layers ------------------------------------------------------------------------


@register_operator("FullyConnected", inputs=("data", "weight", "bias"), compiled=True)
def FullyConnected(data: Array, weight: Array, bias: Array | None = None, *,
                   num_hidden: int, no_bias: bool = False, flatten: bool = True) -> Array:
    """data @ weight.T + bias; `weight` is (num_hidden, num_input). With `flatten` the
    data is (batch, num_input) after flattening all axes but the first, else the last axis
    is contracted.

    >>> mx.nd.FullyConnected(mx.nd.ones((2, 3)), mx.nd.ones((4, 3)), num_hidden=4,
    ...                      no_bias=True).shape  # doctest: +SKIP
    (2, 4)
    """
    if flatten and data.ndim != 2:
        n = data.shape[0] if data.ndim else 1
        x = reshape(data, shape=(n, int(math.prod(data.shape[1:]))))
    else:
        x = data
    num_input = x.shape[-1]
    check_shape("FullyConnected", f"weight (num_hidden={num_hidden}, num_input={num_input})",
                 weight, (num_hidden, num_input))
    y = bind("dot_general", x, weight, contract=((x.ndim - 1,), (1,)), batch=((), ()))
    if not no_bias:
        if bias is None:
            raise ParamError("FullyConnected: bias is required unless no_bias=True")
        if bias.shape == (num_hidden, 1):  # (MXNet's shape rule takes this bias too)
            bias = reshape(bias, shape=(num_hidden,))
        check_shape("FullyConnected", "bias", bias, (num_hidden,))
        y = y + bias
    return y


@input_shape_rule("FullyConnected")
def _fully_connected_inputs(shapes: dict[str, tuple[int, ...]], *, num_hidden: int,
                            flatten: bool = True, **_: Any) -> dict[str, tuple[int, ...]]:
    data = shapes["data"]
    width = int(np.prod(data[1:])) if flatten else data[-1]
    return {"weight": (num_hidden, width), "bias": (num_hidden,)}


@register_operator("Embedding", inputs=("data", "weight"))
def Embedding(data: Array, weight: Array, *, input_dim: int, output_dim: int,
              dtype: Any = "float32", sparse_grad: bool = False) -> Array:
    """Rows of `weight` (input_dim, output_dim) at the indices in `data`: float indices are
    truncated toward zero and every index is clipped to [0, input_dim - 1], as in MXNet
    (eagerly and under `mx.jit`; never an error).

    >>> mx.nd.Embedding(mx.nd.array([0, 2]), mx.nd.ones((3, 4)), 3, 4).shape  # doctest: +SKIP
    (2, 4)
    """
    check_shape("Embedding", "weight (input_dim, output_dim)", weight, (input_dim, output_dim))
    idx = data if data._dtype.kind in "iu" else as_dtype(data, np.int64)
    return bind("take", weight, idx, axis=0, mode="clip")


@input_shape_rule("Embedding")
def _embedding_inputs(shapes: dict[str, tuple[int, ...]], *, input_dim: int, output_dim: int,
                      **_: Any) -> dict[str, tuple[int, ...]]:
    return {"weight": (input_dim, output_dim)}


# ---- normalisation -----------------------------------------------------------------------


def mean_and_variance(x: Array, axes: Sequence[int]) -> tuple[Array, Array]:
    """Mean and (biased) variance over `axes`, kept as size-1 axes."""
    m = reduce.mean(x, axis=tuple(axes), keepdims=True)
    centered = x - m
    return m, reduce.mean(centered * centered, axis=tuple(axes), keepdims=True)


@register_operator("BatchNorm", inputs=("data", "gamma", "beta", "moving_mean", "moving_var"))
def BatchNorm(data: Array, gamma: Array, beta: Array, moving_mean: Array,
              moving_var: Array, eps: float = 1e-3, momentum: float = 0.9,
              fix_gamma: bool = True, use_global_stats: bool = False,
              output_mean_var: bool = False, axis: int = 1, cudnn_off: bool = False,
              min_calib_range: float | None = None, max_calib_range: float | None = None) -> Any:
    """Batch normalisation over every axis but `axis` (the channels).

    In training mode (`mx.autograd.is_training()`, e.g. inside `mx.autograd.record()`) and
    without `use_global_stats` it normalises with the batch's mean and biased variance, and
    each backward pass through the result updates `moving_mean`/`moving_var` in place
    (m = m * momentum + batch * (1 - momentum)), as MXNet does: a forward pass alone leaves
    them as they were. Otherwise it uses the moving statistics. With
    `fix_gamma` the scale is 1 and gamma's gradient is 0. `output_mean_var` also returns the
    mean and the inverse standard deviation used (MXNet's CPU outputs).

    Inside a trace (`mx.jit`, `mx.grad`) the update rebinds `moving_mean`/`moving_var` to
    their new traced values, as `x += y` does there: return them from the jitted function to
    get the new statistics (the caller's arrays are not written). Moving statistics that
    are not arguments of the trace (captured concrete arrays) cannot be updated from inside
    it, and training mode raises then.

    >>> y = mx.nd.BatchNorm(x, gamma, beta, mean, var)  # doctest: +SKIP
    """
    ax = axis_index(axis, data.ndim, "BatchNorm")
    c = data.shape[ax]
    for what, arr in (("gamma", gamma), ("beta", beta), ("moving_mean", moving_mean),
                      ("moving_var", moving_var)):
        check_shape("BatchNorm", f"{what} (channels along axis {axis})", arr, (c,))
    reduce_axes = tuple(k for k in range(data.ndim) if k != ax)
    training = tape.is_training() and not use_global_stats
    if training:
        if any_traced(data, moving_mean, moving_var) and not (
                any_traced(moving_mean) and any_traced(moving_var)):
            raise ParamError(
                "BatchNorm: in training mode inside a trace the moving statistics must be "
                "arguments of the traced function (they are updated, and returned values are "
                "how a trace hands updates back); pass moving_mean/moving_var as arguments, "
                "use use_global_stats=True, or call it in predict mode")
        mean_k, var_k = mean_and_variance(as_dtype(data, gamma._dtype), reduce_axes)
        mean = reshape(mean_k, shape=(c,))
        var = reshape(var_k, shape=(c,))
    else:
        mean, var = moving_mean, moving_var
    invstd = ew("rsqrt", var + eps)
    scale = invstd
    if not fix_gamma:
        scale = invstd * gamma
    else:
        # gamma is treated as 1, but stays in the graph with a zero gradient (MXNet writes 0).
        ones = select(constant(np.array(True), gamma), 1, BlockGrad(gamma))
        scale = invstd * ones
    nd_ = data.ndim
    y = (as_dtype(data, gamma._dtype) - along(mean, ax, nd_)) * along(scale, ax, nd_)
    y = as_dtype(y + along(beta, ax, nd_), data._dtype)
    if training:
        update_moving(y, [(moving_mean, mean), (moving_var, var)], momentum)
    if output_mean_var:
        return [y, mean, invstd]
    return y


@input_shape_rule("BatchNorm")
def _batch_norm_inputs(shapes: dict[str, tuple[int, ...]], *, axis: int = 1, **_: Any
                       ) -> dict[str, tuple[int, ...]]:
    channels = (shapes["data"][axis],)
    return dict.fromkeys(("gamma", "beta", "moving_mean", "moving_var"), channels)


def update_moving(result: Array, updates: Sequence[tuple[Array, Array]], momentum: float
                  ) -> None:
    """Move each statistic toward its batch value, stat = stat * momentum + batch *
    (1 - momentum): in a trace at once, by rebinding the traced statistic (as in-place
    operators do there); eagerly in place, each time a backward pass goes through `result`
    (MXNet updates auxiliary states in the backward pass).

    >>> update_moving(y, [(moving_mean, mean)], 0.9)  # doctest: +SKIP
    """
    for stat, batch in updates:
        if stat._node is not None:
            stat._node = (stat * momentum + as_dtype(batch, stat._dtype) * (1 - momentum))._node
    if any_traced(result):  # (a concrete statistic cannot be written from inside a trace)
        return
    eager = [(stat, batch.detach()) for stat, batch in updates]

    def update() -> None:
        with tape.pause(train_mode=True):
            for stat, batch in eager:
                new = stat.detach() * momentum + as_dtype(batch, stat._dtype) * (1 - momentum)
                stat._buffer()[...] = new._buffer()

    tape.on_backward(result, update)


@register_operator("LayerNorm", inputs=("data", "gamma", "beta"), compiled=True)
def LayerNorm(data: Array, gamma: Array, beta: Array, axis: int = -1, eps: float = 1e-5,
              output_mean_var: bool = False) -> Any:
    """Normalise over `axis`, then scale by gamma and shift by beta (both of that axis's
    length). `output_mean_var` also returns the mean and the standard deviation
    sqrt(var + eps), with `axis` kept as size 1.

    >>> mx.nd.LayerNorm(mx.nd.ones((2, 3)), mx.nd.ones((3,)), mx.nd.zeros((3,)))  # doctest: +SKIP
    """
    ax = axis_index(axis, data.ndim, "LayerNorm")
    for what, arr in (("gamma", gamma), ("beta", beta)):
        check_shape("LayerNorm", f"{what} (length of axis {axis})", arr, (data.shape[ax],))
    mean, var = mean_and_variance(data, (ax,))
    std = ew("sqrt", var + eps)
    y = (data - mean) / std * along(gamma, ax, data.ndim) + along(beta, ax, data.ndim)
    return [y, mean, std] if output_mean_var else y


@input_shape_rule("LayerNorm")
def _layer_norm_inputs(shapes: dict[str, tuple[int, ...]], *, axis: int = -1, **_: Any
                       ) -> dict[str, tuple[int, ...]]:
    return dict.fromkeys(("gamma", "beta"), (shapes["data"][axis],))


@register_operator("InstanceNorm", inputs=("data", "gamma", "beta"), compiled=True)
def InstanceNorm(data: Array, gamma: Array, beta: Array, eps: float = 1e-3) -> Array:
    """Normalise each (sample, channel) over its spatial axes (2 and up), then scale by
    gamma and shift by beta per channel.

    >>> mx.nd.InstanceNorm(x, gamma, beta)  # doctest: +SKIP
    """
    if data.ndim < 3:
        raise ShapeError(f"InstanceNorm: data must have at least 3 dimensions (N, C, ...), got "
                         f"shape {data.shape}")
    for what, arr in (("gamma", gamma), ("beta", beta)):
        check_shape("InstanceNorm", f"{what} (channels)", arr, (data.shape[1],))
    mean, var = mean_and_variance(data, tuple(range(2, data.ndim)))
    y = (data - mean) * ew("rsqrt", var + eps)
    return y * along(gamma, 1, data.ndim) + along(beta, 1, data.ndim)


@input_shape_rule("InstanceNorm")
def _instance_norm_inputs(shapes: dict[str, tuple[int, ...]], **_: Any
                          ) -> dict[str, tuple[int, ...]]:
    return dict.fromkeys(("gamma", "beta"), (shapes["data"][1],))


@register_operator("L2Normalization", compiled=True)
def L2Normalization(data: Array, eps: float = 1e-10, mode: str = "instance") -> Array:
    """x / sqrt(sum(x**2) + eps) over each instance (all axes but 0), each 'channel'
    (axis 1) or each 'spatial' map (axes 2 and up).

    >>> mx.nd.L2Normalization(mx.nd.array([[3, 4]]))  # doctest: +SKIP
    """
    axes = {"instance": tuple(range(1, data.ndim)), "channel": (1,),
            "spatial": tuple(range(2, data.ndim))}.get(mode)
    if axes is None:
        raise ParamError(f"L2Normalization: mode must be 'instance', 'channel' or 'spatial', "
                         f"got {mode!r}")
    if not axes or max(axes) >= data.ndim:
        raise ShapeError(f"L2Normalization: mode {mode!r} needs more dimensions than the "
                         f"data's shape {data.shape}")
    norm = ew("rsqrt", reduce.sum(data * data, axis=axes, keepdims=True) + eps)
    return data * norm


# ---- dropout -------------------------------------------------------------------------------


@register_operator("Dropout", kinds={"axes": "shape"})
def Dropout(data: Array, p: float = 0.5, mode: str = "training", axes: Sequence[int] = (),
            cudnn_off: bool = False) -> Array:
    """Zero each element with probability `p` and scale the rest by 1 / (1 - p), in
    training mode (or always with mode='always'); the identity otherwise. Elements along
    `axes` share one mask entry. Masks come from the Philox stream of `mx.random`.

    >>> with mx.autograd.train_mode(): y = mx.nd.Dropout(x, p=0.2)  # doctest: +SKIP
    """
    if mode not in ("training", "always"):
        raise ParamError(f"Dropout: mode must be 'training' or 'always', got {mode!r}")
    if not 0 <= p <= 1:
        raise ParamError(f"Dropout: p must be in [0, 1], got {p}")
    active = mode == "always" or tape.is_training()
    if not active or p == 0:
        return data * 1
    axes_n = {axis_index(a, data.ndim, "Dropout") for a in axes}
    mask_shape = tuple(1 if k in axes_n else d for k, d in enumerate(data.shape))
    if p == 1:
        return select(constant(np.array(False), data), data, 0)
    bits = bind("random_bits", next_key(), shape=mask_shape)
    threshold = min(int(p * 2.0**32), 2**32 - 1)  # keep where uniform bits >= p * 2**32
    keep = broadcast_exact(ew("ge", bits, threshold), data.shape)
    return select(keep, data * (1 / (1 - p)), 0)


# ---- gradient control and loss layers ------------------------------------------------------


@register_operator("BlockGrad", aliases=("stop_gradient",))
def BlockGrad(data: Array) -> Array:
    """The identity, with no gradient flowing back through it.

    >>> y = mx.nd.BlockGrad(x)  # doctest: +SKIP
    """
    return bind("stop_gradient", data)



def loss_output(value: Array, data: Array, grad: Callable[[], Array], head: bool = False
                 ) -> Array:
    """`value`, whose backward pass hands `grad()` to `data` (computed only when needed)."""
    if not any_traced(value, data) and not tape.is_recording():
        return value
    g = grad()
    return bind("loss_output", value, data, as_dtype(g, data._dtype), head=head)


def _labels_equal(label: Array, value: float) -> Array:
    return ew("eq", as_dtype(label, np.float64), float(value))


@register_operator("SoftmaxOutput", inputs=("data", "label"), aliases=("Softmax",))
def SoftmaxOutput(data: Array, label: Array, grad_scale: float = 1.0,
                  ignore_label: float = -1.0, multi_output: bool = False,
                  use_ignore: bool = False, preserve_shape: bool = False,
                  normalization: str = "null", out_grad: bool = False,
                  smooth_alpha: float = 0.0) -> Array:
    """Softmax forward; backward (softmax - one_hot(label)) * grad_scale, whatever the head
    gradient (MXNet's loss-layer semantics; `out_grad=True` multiplies by it).

    The softmax runs over axis 1 of the data flattened to 2-D (`multi_output`: over axis 1
    of the N-D data, labels (n, d2, ...); `preserve_shape`: over the last axis). A label of
    the data's shape is a probability target. `use_ignore` zeroes the gradient of samples
    labelled `ignore_label`; `normalization` divides it by 1 ('null'), the batch size
    ('batch') or the number of labels other than `ignore_label` ('valid').

    >>> with mx.autograd.record(): y = mx.nd.SoftmaxOutput(x, label)  # doctest: +SKIP
    >>> y.backward()  # doctest: +SKIP
    """
    if normalization not in ("null", "batch", "valid"):
        raise ParamError(f"SoftmaxOutput: normalization must be 'null', 'batch' or 'valid', "
                         f"got {normalization!r}")
    if data.ndim < 1:
        raise ShapeError("SoftmaxOutput: data must have at least one dimension")
    if label.shape == data.shape:  # probabilities as the target
        axis = 1 if multi_output else data.ndim - 1
        if multi_output or preserve_shape or data.ndim <= 2:
            sm = softmax(data, axis=axis)
        else:
            sm = reshape(softmax(reshape(data, shape=(data.shape[0], -1))),
                             shape=data.shape)
        return loss_output(sm, data, lambda: (sm - as_dtype(label, sm._dtype))
                                   * grad_scale, out_grad)
    n = data.shape[0]
    if multi_output:
        if data.ndim < 2:
            raise ShapeError(f"SoftmaxOutput: multi_output needs data of at least 2 "
                             f"dimensions, got {data.shape}")
        rest = data.shape[2:]
        spatial = int(math.prod(rest))
        allowed = [(n, spatial), (n,) + rest, (n, 1) + rest]
        if label.shape not in allowed:
            raise ShapeError(f"SoftmaxOutput: with multi_output the label must have shape "
                             f"{allowed[0]} or {allowed[1]}, got {label.shape}")
        sm = softmax(data, axis=1)
        lab = reshape(label, shape=(n, 1) + rest)
        cls_axis, per_sample = 1, spatial
    else:
        if preserve_shape:
            sm = softmax(data, axis=-1)
            expected = data.shape[:-1]
        else:
            sm = reshape(softmax(reshape(data, shape=(n, -1))), shape=data.shape)
            expected = (n,)
        if label.size != int(math.prod(expected)):
            raise ShapeError(f"SoftmaxOutput: label must have shape {expected} (one class "
                             f"index per softmax row) for data {data.shape}, got {label.shape}")
        cls_axis = data.ndim - 1 if preserve_shape else 1
        flat_shape = data.shape if preserve_shape else (n, int(np.prod(data.shape[1:])))
        lab = reshape(label, shape=flat_shape[:-1] + (1,))
        per_sample = 1

    def grad() -> Array:
        p = sm if preserve_shape or multi_output else reshape(sm, shape=(n, -1))
        k = p.shape[cls_axis]
        classes = iota(p.shape, cls_axis, p, np.float64)
        hot = ew("eq", classes, as_dtype(lab, np.float64))
        target = as_dtype(hot, p._dtype)
        if smooth_alpha:  # 1 - alpha on the label, alpha spread evenly over the others
            rest = smooth_alpha / max(k - 1, 1)
            target = target * (1 - smooth_alpha - rest) + rest
        g = p - target
        if use_ignore:
            g = select(broadcast_exact(_labels_equal(lab, ignore_label), p.shape), 0, g)
        # MXNet's scaling: multi_output divides by the spatial size except for 'valid'.
        if normalization == "valid":
            ignored = as_dtype(_labels_equal(label, ignore_label), p._dtype)
            valid = maximum(float(label.size) - reduce.sum(ignored), 1)
            g = g * (grad_scale / valid)
        else:
            count = float(n if multi_output else label.size) if normalization == "batch" else 1.0
            g = g * (grad_scale / per_sample / count)
        return reshape(g, shape=data.shape)

    return loss_output(sm, data, grad, out_grad)


@input_shape_rule("SoftmaxOutput")
def _softmax_output_inputs(shapes: dict[str, tuple[int, ...]], *, multi_output: bool = False,
                           preserve_shape: bool = False, **_: Any
                           ) -> dict[str, tuple[int, ...]]:
    data = shapes["data"]
    if multi_output:
        return {"label": (data[0],) + data[2:]}
    return {"label": data[:-1] if preserve_shape else (data[0],)}



def _regression_label(op: str, data: Array, label: Array) -> Array:
    if label.size != data.size or (label.ndim and data.ndim and label.shape[0] != data.shape[0]):
        raise ShapeError(f"{op}: label of shape {label.shape} does not match the data's shape "
                         f"{data.shape}")
    return as_dtype(reshape(label, shape=data.shape), data._dtype)


def _regression(op: str, forward: Callable[[Array], Array],
                backward: Callable[[Array, Array], Array], doc: str) -> Any:
    def layer(data: Array, label: Array, grad_scale: float = 1.0) -> Array:
        lab = _regression_label(op, data, label)
        y = forward(data)
        num_output = label.size // label.shape[0] if label.ndim and label.shape[0] else 1
        return loss_output(y, data, lambda: backward(y, lab) * (grad_scale / num_output))

    layer.__name__ = layer.__qualname__ = op
    layer.__doc__ = (f"{doc}\n\n    The backward pass gives grad_scale / num_output times the "
                     "loss gradient, whatever the head gradient.\n\n"
                     f"    >>> with mx.autograd.record(): y = mx.nd.{op}(x, label)"
                     "  # doctest: +SKIP\n    ")
    register_operator(op, inputs=("data", "label"))(layer)
    input_shape_rule(op)(_same_label_shape)
    return layer


def _same_label_shape(shapes: dict[str, tuple[int, ...]], **_: Any
                      ) -> dict[str, tuple[int, ...]]:
    return {"label": shapes["data"]}


LinearRegressionOutput = _regression(
    "LinearRegressionOutput", lambda x: x, lambda y, t: y - t,
    "Identity forward; squared-error gradient (out - label) backward.")
MAERegressionOutput = _regression(
    "MAERegressionOutput", lambda x: x, lambda y, t: sign(y - t),
    "Identity forward; absolute-error gradient sign(out - label) backward.")
LogisticRegressionOutput = _regression(
    "LogisticRegressionOutput", lambda x: ew("sigmoid", x), lambda y, t: y - t,
    "Sigmoid forward; logistic-loss gradient (sigmoid(x) - label) backward.")


@register_operator("MakeLoss")
def MakeLoss(data: Array, grad_scale: float = 1.0, valid_thresh: float = 0.0,
             normalization: str = "null") -> Array:
    """Treat `data` as a loss: identity forward, gradient grad_scale backward (divided by
    the batch size with 'batch', by the count of entries above valid_thresh with 'valid').

    >>> with mx.autograd.record(): loss = mx.nd.MakeLoss(x * x)  # doctest: +SKIP
    """
    if normalization not in ("null", "batch", "valid"):
        raise ParamError(f"MakeLoss: normalization must be 'null', 'batch' or 'valid', got "
                         f"{normalization!r}")

    def grad() -> Array:
        ones = full(grad_scale, data)
        if normalization == "batch":
            return ones / (data.shape[0] if data.ndim else 1)
        if normalization == "valid":
            valid = reduce.sum(as_dtype(ew("gt", data, valid_thresh), data._dtype))
            return ones / maximum(valid, 1)
        return ones

    return loss_output(data, data, grad)


@register_operator("make_loss")
def make_loss(data: Array) -> Array:
    """MakeLoss with its defaults: identity forward, gradient 1 backward."""
    return MakeLoss(data)


@register_operator("softmax_cross_entropy", inputs=("data", "label"), compiled=True)
def softmax_cross_entropy(data: Array, label: Array) -> Array:
    """Sum over the batch of -log(softmax(data)[i, label[i]]), as a shape-(1,) array.

    >>> mx.nd.softmax_cross_entropy(mx.nd.array([[1, 2, 3]]), mx.nd.array([2]))  # doctest: +SKIP
    """
    if data.ndim != 2 or label.shape != (data.shape[0],):
        raise ShapeError(f"softmax_cross_entropy: needs data (batch, classes) and label "
                         f"(batch,), got {data.shape} and {label.shape}")
    logp = log_softmax(data, axis=-1)
    classes = iota(data.shape, 1, data, np.int64)
    labels = broadcast_exact(expand_dims(as_dtype(label, np.int64), 1), data.shape)
    picked = select(ew("eq", classes, labels), logp, 0)
    return -reduce.sum(picked)


@register_operator("smooth_l1", compiled=True)
def smooth_l1(data: Array, scalar: float = 1.0) -> Array:
    """0.5 * (scalar * x)**2 where |x| < 1 / scalar**2, else |x| - 0.5 / scalar**2.

    >>> mx.nd.smooth_l1(mx.nd.array([-2, 0.5]))  # doctest: +SKIP
    """
    s2 = scalar * scalar
    a = elementwise.abs(data)
    small = data * data * (0.5 * s2)
    return select(ew("lt", a, 1 / s2), small, a - 0.5 / s2)
