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
from ..core import tape
from ..trace.dtypes import canonical_dtype
from ..trace.graph import const
from . import ops
from .dispatch import bind, bind_elementwise, scalar_operand
from .ndarray import NDArray
from .ops import _write

# ---- helpers -----------------------------------------------------------------------------


def _full(value: Any, like: NDArray, shape: tuple[int, ...] | None = None) -> NDArray:
    """`value` in `like`'s dtype, broadcast to `shape` (default: like's shape)."""
    return ops.broadcast_to(scalar_operand(value, like), like.shape if shape is None else shape)


def _constant(array: np.ndarray, like: NDArray) -> NDArray:
    """A NumPy constant as an operand next to `like` (a literal of the trace when traced)."""
    if like._node is not None:
        return NDArray._traced(const(array))
    return NDArray._wrap(array)


def _ew(op: str, *args: Any, like: NDArray | None = None, **attrs: Any) -> NDArray:
    """Elementwise `op` with NumPy broadcasting; Python scalars become 0-d operands in the
    dtype of `like` (default: the first array), so nothing is materialised to broadcast and
    eager calls run one shape-independent kernel."""
    if like is None:
        like = next(a for a in args if isinstance(a, NDArray))
    operands = [a if isinstance(a, NDArray) else scalar_operand(a, like) for a in args]
    shape = ops.broadcast_shape(op, *(a.shape for a in operands))
    return bind_elementwise(op, operands, shape, **attrs)


def _cmp(op: str, a: NDArray, b: Any) -> NDArray:
    """A bool array a <op> b (a scalar `b` in a's dtype)."""
    return _ew(op, a, b)


def _select(cond: NDArray, a: Any, b: Any) -> NDArray:
    """where(cond, a, b) for a bool `cond`; scalars take the other operand's dtype."""
    like = a if isinstance(a, NDArray) else b
    return _ew("where", cond, a, b, like=like)


def _axis(axis: int, ndim: int, op: str) -> int:
    ax = axis + ndim if axis < 0 else axis
    if not 0 <= ax < ndim:
        raise ShapeError(f"{op}: axis {axis} out of range for an array of {ndim} dimensions")
    return ax


def _along(v: NDArray, axis: int, ndim: int) -> NDArray:
    """A 1-D array reshaped to lie along `axis` of an ndim-dimensional array."""
    return ops.reshape(v, shape=tuple(-1 if k == axis else 1 for k in range(ndim)))


def _check_shape(op: str, what: str, arr: NDArray, shape: tuple[int, ...]) -> None:
    if arr.shape != shape:
        raise ShapeError(f"{op}: {what} must have shape {shape}, got {arr.shape}")


def _cast(x: NDArray, dtype: Any) -> NDArray:
    """x converted to `dtype` (x itself when it already has it)."""
    d = canonical_dtype(dtype)
    return x if x._dtype == d else ops.cast(x, d)


def _is_symbolic(*arrays: NDArray | None) -> bool:
    return any(a is not None and a._node is not None for a in arrays)


# ---- activations -------------------------------------------------------------------------


def _relu(x: NDArray) -> NDArray:
    return ops.relu(x)  # one kernel; gradient 0 at 0, as MXNet's relu


def _softrelu(x: NDArray) -> NDArray:
    # MXNet's softrelu: x above 20, else log1p(exp(x)); the unused branch sees a capped x so
    # that neither it nor its gradient overflows.
    capped = _ew("minimum", x, 20)
    return _select(_cmp("gt", x, 20), x, _ew("log1p", _ew("exp", capped)))


_ACTIVATIONS: dict[str, Callable[[NDArray], NDArray]] = {
    "relu": _relu,
    "sigmoid": lambda x: _ew("sigmoid", x),
    "tanh": lambda x: _ew("tanh", x),
    "softrelu": _softrelu,
    "softsign": lambda x: x / (ops.abs(x) + 1),
}


def Activation(data: NDArray, act_type: str = "relu", out: NDArray | None = None,
               name: str | None = None) -> NDArray:
    """An elementwise activation: 'relu', 'sigmoid', 'tanh', 'softrelu' or 'softsign'.

    >>> mx.nd.Activation(mx.nd.array([-1, 2]), act_type='relu')  # doctest: +SKIP
    """
    fn = _ACTIVATIONS.get(act_type)
    if fn is None:
        raise ParamError(f"Activation: act_type must be one of {sorted(_ACTIVATIONS)}, got "
                         f"{act_type!r}")
    return _write(fn(data), out)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_LAMBDA = 1.0507009873554804934193349852946


def _elu(x: NDArray, alpha: float) -> NDArray:
    negative = _ew("expm1", _ew("minimum", x, 0)) * alpha
    return _select(_cmp("gt", x, 0), x, negative)


def LeakyReLU(data: NDArray, gamma: NDArray | None = None, act_type: str = "leaky",
              slope: float = 0.25, lower_bound: float = 0.125, upper_bound: float = 0.334,
              out: NDArray | None = None, name: str | None = None) -> NDArray:
    """Leaky rectifiers: 'leaky' (x or slope * x), 'prelu' (learned slope `gamma` per
    channel, axis 1), 'rrelu' (random slope in [lower_bound, upper_bound) when training,
    their mean otherwise), 'elu', 'selu' and 'gelu'.

    >>> mx.nd.LeakyReLU(mx.nd.array([-1, 2]), slope=0.1)  # doctest: +SKIP
    """
    x = data
    if act_type == "leaky":
        y = _select(_cmp("gt", x, 0), x, x * slope)
    elif act_type == "prelu":
        if gamma is None:
            raise ParamError("LeakyReLU: act_type='prelu' needs the slope array `gamma`")
        channels = x.shape[1] if x.ndim > 1 else 1
        if gamma.ndim != 1 or gamma.shape[0] not in (1, channels):
            raise ShapeError(f"LeakyReLU: prelu's gamma must have shape ({channels},) or (1,) "
                             f"for data of shape {x.shape}, got {gamma.shape}")
        g = gamma if x.ndim < 2 else _along(gamma, 1, x.ndim)
        y = _select(_cmp("gt", x, 0), x, x * g)
    elif act_type == "rrelu":
        if tape.is_training():
            bits = bind("random_bits", _random_key(), shape=x.shape)
            u = _cast(bits, x._dtype) * 2.0**-32
            y = _select(_cmp("gt", x, 0), x, x * (u * (upper_bound - lower_bound) + lower_bound))
        else:
            y = _select(_cmp("gt", x, 0), x, x * ((lower_bound + upper_bound) / 2))
    elif act_type == "elu":
        y = _elu(x, slope)
    elif act_type == "selu":
        y = _elu(x, _SELU_ALPHA) * _SELU_LAMBDA
    elif act_type == "gelu":
        y = x * (_ew("erf", x * (1 / math.sqrt(2))) + 1) * 0.5
    else:
        raise ParamError("LeakyReLU: act_type must be one of ['elu', 'gelu', 'leaky', 'prelu', "
                         f"'rrelu', 'selu'], got {act_type!r}")
    return _write(y, out)


def _random_key() -> NDArray:
    from ..core import next_key

    return next_key()  # type: ignore[no-any-return]


# ---- softmax family ----------------------------------------------------------------------


def _softmax_input(data: NDArray, axis: int, temperature: float | None, dtype: Any,
                   length: NDArray | None, use_length: bool, op: str
                   ) -> tuple[NDArray, int, NDArray | None]:
    x = data if dtype is None else _cast(data, canonical_dtype(dtype))
    if temperature is not None and temperature != 1.0:
        x = x / temperature
    ax = _axis(axis, x.ndim, op)
    mask = None
    if use_length:
        if length is None:
            raise ParamError(f"{op}: use_length=True needs the `length` array")
        expected = x.shape[:ax] + x.shape[ax + 1:]
        _check_shape(op, "length", length, expected)
        from .creation import _iota

        positions = _iota(x.shape, ax, x)
        limit = ops.broadcast_to(ops.expand_dims(_cast(length, np.int64), ax), x.shape)
        mask = _ew("lt", positions, limit)
    return x, ax, mask


def _row_max(x: NDArray, axis: int) -> NDArray:
    """The max along `axis` that softmax subtracts, held constant for differentiation: the
    result does not depend on the shift, so its gradient is zero and the backward pass
    needs no kernels for it. Eagerly the max is cut from the recorded graph (a leaf)."""
    m = ops.max(x, axis=axis, keepdims=True)
    return bind("stop_gradient", m) if m._node is not None else m.detach()


def softmax(data: NDArray, length: NDArray | None = None, axis: int = -1,
            temperature: float | None = None, dtype: Any = None, use_length: bool = False,
            out: NDArray | None = None, name: str | None = None) -> NDArray:
    """exp(x / t) normalised along `axis`; with `use_length`, only the first `length`
    entries along `axis` take part and the rest are 0.

    >>> mx.nd.softmax(mx.nd.array([[1, 2, 3]]))  # doctest: +SKIP
    """
    x, ax, mask = _softmax_input(data, axis, temperature, dtype, length, use_length, "softmax")
    if mask is not None:
        x = _select(mask, x, -np.inf)
    shifted = x - _row_max(x, ax)
    e = _ew("exp", shifted)
    if mask is not None:
        e = _select(mask, e, 0)
    # one division per row and a multiply per element, as PyTorch does (a division per
    # element costs a tenth of a compiled softmax; the result moves by at most an ulp)
    return _write(e * (1.0 / ops.sum(e, axis=ax, keepdims=True)), out)


def log_softmax(data: NDArray, length: NDArray | None = None, axis: int = -1,
                temperature: float | None = None, dtype: Any = None, use_length: bool = False,
                out: NDArray | None = None, name: str | None = None) -> NDArray:
    """log(softmax(x)) computed stably (masked entries are 0 with `use_length`).

    >>> mx.nd.log_softmax(mx.nd.array([[1, 2, 3]]))  # doctest: +SKIP
    """
    x, ax, mask = _softmax_input(data, axis, temperature, dtype, length, use_length,
                                 "log_softmax")
    if mask is not None:
        x = _select(mask, x, -np.inf)
    shifted = x - _row_max(x, ax)
    e = _ew("exp", shifted)
    if mask is not None:
        e = _select(mask, e, 0)
        shifted = _select(mask, shifted, 0)
    y = shifted - _ew("log", ops.sum(e, axis=ax, keepdims=True))
    return _write(y if mask is None else _select(mask, y, 0), out)


def softmin(data: NDArray, axis: int = -1, temperature: float | None = None, dtype: Any = None,
            out: NDArray | None = None, name: str | None = None) -> NDArray:
    """softmax(-x): small entries get large weights.

    >>> mx.nd.softmin(mx.nd.array([[1, 2, 3]]))  # doctest: +SKIP
    """
    return _write(softmax(-data, axis=axis, temperature=temperature, dtype=dtype), out)


# ---- dense layers ------------------------------------------------------------------------


def FullyConnected(data: NDArray, weight: NDArray, bias: NDArray | None = None,
                   num_hidden: int | None = None, no_bias: bool = False, flatten: bool = True,
                   out: NDArray | None = None, name: str | None = None) -> NDArray:
    """data @ weight.T + bias; `weight` is (num_hidden, num_input). With `flatten` the
    data is (batch, num_input) after flattening all axes but the first, else the last axis
    is contracted.

    >>> mx.nd.FullyConnected(mx.nd.ones((2, 3)), mx.nd.ones((4, 3)), num_hidden=4,
    ...                      no_bias=True).shape  # doctest: +SKIP
    (2, 4)
    """
    if num_hidden is None:
        raise ParamError("FullyConnected: num_hidden is required")
    if flatten:
        n = data.shape[0] if data.ndim else 1
        x = ops.reshape(data, shape=(n, int(np.prod(data.shape[1:], dtype=np.int64))))
    else:
        x = data
    num_input = x.shape[-1]
    _check_shape("FullyConnected", f"weight (num_hidden={num_hidden}, num_input={num_input})",
                 weight, (num_hidden, num_input))
    y = bind("dot_general", x, weight, contract=((x.ndim - 1,), (1,)), batch=((), ()))
    if not no_bias:
        if bias is None:
            raise ParamError("FullyConnected: bias is required unless no_bias=True")
        _check_shape("FullyConnected", "bias", bias, (num_hidden,))
        y = y + bias
    return _write(y, out)


def Embedding(data: NDArray, weight: NDArray, input_dim: int | None = None,
              output_dim: int | None = None, dtype: Any = "float32", sparse_grad: bool = False,
              out: NDArray | None = None, name: str | None = None) -> NDArray:
    """Rows of `weight` (input_dim, output_dim) at the indices in `data` (clipped to range).

    >>> mx.nd.Embedding(mx.nd.array([0, 2]), mx.nd.ones((3, 4)), 3, 4).shape  # doctest: +SKIP
    (2, 4)
    """
    if input_dim is None or output_dim is None:
        raise ParamError("Embedding: input_dim and output_dim are required")
    _check_shape("Embedding", "weight (input_dim, output_dim)", weight, (input_dim, output_dim))
    idx = data if data._dtype.kind in "iu" else _cast(data, np.int64)
    return _write(bind("take", weight, idx, axis=0, mode="clip"), out)


# ---- normalisation -----------------------------------------------------------------------


def _moments(x: NDArray, axes: Sequence[int]) -> tuple[NDArray, NDArray]:
    """Mean and (biased) variance over `axes`, kept as size-1 axes."""
    mean = ops.mean(x, axis=tuple(axes), keepdims=True)
    centered = x - mean
    return mean, ops.mean(centered * centered, axis=tuple(axes), keepdims=True)


def BatchNorm(data: NDArray, gamma: NDArray, beta: NDArray, moving_mean: NDArray,
              moving_var: NDArray, eps: float = 1e-3, momentum: float = 0.9,
              fix_gamma: bool = True, use_global_stats: bool = False,
              output_mean_var: bool = False, axis: int = 1, cudnn_off: bool = False,
              min_calib_range: float | None = None, max_calib_range: float | None = None,
              out: NDArray | None = None, name: str | None = None) -> Any:
    """Batch normalisation over every axis but `axis` (the channels).

    In training mode (`mx.autograd.is_training()`, e.g. inside `tape.record()`) and
    without `use_global_stats` it normalises with the batch's mean and biased variance and
    updates `moving_mean`/`moving_var` in place (m = m * momentum + batch * (1 - momentum)),
    as MXNet does, during the forward pass; otherwise it uses the moving statistics. With
    `fix_gamma` the scale is 1 and gamma's gradient is 0. `output_mean_var` also returns the
    mean and the inverse standard deviation used (MXNet's CPU outputs).

    Inside a trace (`mx.jit`, `mx.grad`) the update rebinds `moving_mean`/`moving_var` to
    their new traced values, as `x += y` does there: return them from the jitted function to
    get the new statistics (the caller's arrays are not written). Moving statistics that
    are not arguments of the trace (captured concrete arrays) cannot be updated from inside
    it, and training mode raises then.

    >>> y = mx.nd.BatchNorm(x, gamma, beta, mean, var)  # doctest: +SKIP
    """
    ax = _axis(axis, data.ndim, "BatchNorm")
    c = data.shape[ax]
    for what, arr in (("gamma", gamma), ("beta", beta), ("moving_mean", moving_mean),
                      ("moving_var", moving_var)):
        _check_shape("BatchNorm", f"{what} (channels along axis {axis})", arr, (c,))
    reduce_axes = tuple(k for k in range(data.ndim) if k != ax)
    training = tape.is_training() and not use_global_stats
    if training:
        if _is_symbolic(data, moving_mean, moving_var) and not (
                _is_symbolic(moving_mean) and _is_symbolic(moving_var)):
            raise ParamError(
                "BatchNorm: in training mode inside a trace the moving statistics must be "
                "arguments of the traced function (they are updated, and returned values are "
                "how a trace hands updates back); pass moving_mean/moving_var as arguments, "
                "use use_global_stats=True, or call it in predict mode")
        mean_k, var_k = _moments(_cast(data, gamma._dtype), reduce_axes)
        mean = ops.reshape(mean_k, shape=(c,))
        var = ops.reshape(var_k, shape=(c,))
        _update_moving(moving_mean, mean, momentum)
        _update_moving(moving_var, var, momentum)
    else:
        mean, var = moving_mean, moving_var
    invstd = _ew("rsqrt", var + eps)
    scale = invstd
    if not fix_gamma:
        scale = invstd * gamma
    else:
        # gamma is treated as 1, but stays in the graph with a zero gradient (MXNet writes 0).
        ones = _select(_constant(np.array(True), gamma), 1, BlockGrad(gamma))
        scale = invstd * ones
    nd_ = data.ndim
    y = (_cast(data, gamma._dtype) - _along(mean, ax, nd_)) * _along(scale, ax, nd_)
    y = _cast(y + _along(beta, ax, nd_), data._dtype)
    y = _write(y, out)
    if output_mean_var:
        return [y, mean, invstd]
    return y


def _update_moving(stat: NDArray, batch: NDArray, momentum: float) -> None:
    if stat._node is not None:  # traced: rebind, as in-place operators do in a trace
        stat._node = (stat * momentum + _cast(batch, stat._dtype) * (1 - momentum))._node
        return
    with tape.pause(train_mode=True):
        new = stat.detach() * momentum + _cast(batch.detach(), stat._dtype) * (1 - momentum)
    stat._buffer()[...] = new._buffer()


def LayerNorm(data: NDArray, gamma: NDArray, beta: NDArray, axis: int = -1, eps: float = 1e-5,
              output_mean_var: bool = False, out: NDArray | None = None,
              name: str | None = None) -> Any:
    """Normalise over `axis`, then scale by gamma and shift by beta (both of that axis's
    length). `output_mean_var` also returns the mean and the standard deviation
    sqrt(var + eps), with `axis` kept as size 1.

    >>> mx.nd.LayerNorm(mx.nd.ones((2, 3)), mx.nd.ones((3,)), mx.nd.zeros((3,)))  # doctest: +SKIP
    """
    ax = _axis(axis, data.ndim, "LayerNorm")
    for what, arr in (("gamma", gamma), ("beta", beta)):
        _check_shape("LayerNorm", f"{what} (length of axis {axis})", arr, (data.shape[ax],))
    mean, var = _moments(data, (ax,))
    std = _ew("sqrt", var + eps)
    y = (data - mean) / std * _along(gamma, ax, data.ndim) + _along(beta, ax, data.ndim)
    y = _write(y, out)
    return [y, mean, std] if output_mean_var else y


def InstanceNorm(data: NDArray, gamma: NDArray, beta: NDArray, eps: float = 1e-3,
                 out: NDArray | None = None, name: str | None = None) -> NDArray:
    """Normalise each (sample, channel) over its spatial axes (2 and up), then scale by
    gamma and shift by beta per channel.

    >>> mx.nd.InstanceNorm(x, gamma, beta)  # doctest: +SKIP
    """
    if data.ndim < 3:
        raise ShapeError(f"InstanceNorm: data must have at least 3 dimensions (N, C, ...), got "
                         f"shape {data.shape}")
    for what, arr in (("gamma", gamma), ("beta", beta)):
        _check_shape("InstanceNorm", f"{what} (channels)", arr, (data.shape[1],))
    mean, var = _moments(data, tuple(range(2, data.ndim)))
    y = (data - mean) * _ew("rsqrt", var + eps)
    return _write(y * _along(gamma, 1, data.ndim) + _along(beta, 1, data.ndim), out)


def L2Normalization(data: NDArray, eps: float = 1e-10, mode: str = "instance",
                    out: NDArray | None = None, name: str | None = None) -> NDArray:
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
    norm = _ew("rsqrt", ops.sum(data * data, axis=axes, keepdims=True) + eps)
    return _write(data * norm, out)


# ---- dropout -------------------------------------------------------------------------------


def Dropout(data: NDArray, p: float = 0.5, mode: str = "training", axes: Sequence[int] = (),
            cudnn_off: bool = False, out: NDArray | None = None,
            name: str | None = None) -> NDArray:
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
        return _write(data * 1, out)
    axes_n = {_axis(a, data.ndim, "Dropout") for a in axes}
    mask_shape = tuple(1 if k in axes_n else d for k, d in enumerate(data.shape))
    if p == 1:
        return _write(_select(_constant(np.array(False), data), data, 0), out)
    bits = bind("random_bits", _random_key(), shape=mask_shape)
    threshold = min(int(p * 2.0**32), 2**32 - 1)  # keep where uniform bits >= p * 2**32
    keep = ops.broadcast_to(_cmp("ge", bits, threshold), data.shape)
    return _write(_select(keep, data * (1 / (1 - p)), 0), out)


# ---- gradient control and loss layers ------------------------------------------------------


def BlockGrad(data: NDArray, out: NDArray | None = None, name: str | None = None) -> NDArray:
    """The identity, with no gradient flowing back through it.

    >>> y = mx.nd.BlockGrad(x)  # doctest: +SKIP
    """
    return _write(bind("stop_gradient", data), out)


stop_gradient = BlockGrad


def _loss_output(value: NDArray, data: NDArray, grad: Callable[[], NDArray], head: bool = False
                 ) -> NDArray:
    """`value`, whose backward pass hands `grad()` to `data` (computed only when needed)."""
    if not _is_symbolic(value, data) and not tape.is_recording():
        return value
    g = grad()
    return bind("loss_output", value, data, _cast(g, data._dtype), head=head)


def _labels_equal(label: NDArray, value: float) -> NDArray:
    return _cmp("eq", _cast(label, np.float64), float(value))


def SoftmaxOutput(data: NDArray, label: NDArray, grad_scale: float = 1.0,
                  ignore_label: float = -1.0, multi_output: bool = False,
                  use_ignore: bool = False, preserve_shape: bool = False,
                  normalization: str = "null", out_grad: bool = False,
                  smooth_alpha: float = 0.0, out: NDArray | None = None,
                  name: str | None = None) -> NDArray:
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
            sm = ops.reshape(softmax(ops.reshape(data, shape=(data.shape[0], -1))),
                             shape=data.shape)
        return _write(_loss_output(sm, data, lambda: (sm - _cast(label, sm._dtype))
                                   * grad_scale, out_grad), out)
    n = data.shape[0]
    if multi_output:
        if data.ndim < 2:
            raise ShapeError(f"SoftmaxOutput: multi_output needs data of at least 2 "
                             f"dimensions, got {data.shape}")
        rest = data.shape[2:]
        spatial = int(np.prod(rest, dtype=np.int64))
        allowed = [(n, spatial), (n,) + rest, (n, 1) + rest]
        if label.shape not in allowed:
            raise ShapeError(f"SoftmaxOutput: with multi_output the label must have shape "
                             f"{allowed[0]} or {allowed[1]}, got {label.shape}")
        sm = softmax(data, axis=1)
        lab = ops.reshape(label, shape=(n, 1) + rest)
        cls_axis, per_sample = 1, spatial
    else:
        if preserve_shape:
            sm = softmax(data, axis=-1)
            expected = data.shape[:-1]
        else:
            sm = ops.reshape(softmax(ops.reshape(data, shape=(n, -1))), shape=data.shape)
            expected = (n,)
        if label.size != int(np.prod(expected, dtype=np.int64)):
            raise ShapeError(f"SoftmaxOutput: label must have shape {expected} (one class "
                             f"index per softmax row) for data {data.shape}, got {label.shape}")
        cls_axis = data.ndim - 1 if preserve_shape else 1
        flat_shape = data.shape if preserve_shape else (n, int(np.prod(data.shape[1:])))
        lab = ops.reshape(label, shape=flat_shape[:-1] + (1,))
        per_sample = 1

    def grad() -> NDArray:
        p = sm if preserve_shape or multi_output else ops.reshape(sm, shape=(n, -1))
        k = p.shape[cls_axis]
        from .creation import _iota

        classes = _iota(p.shape, cls_axis, p, np.float64)
        hot = _ew("eq", classes, _cast(lab, np.float64))
        target = _cast(hot, p._dtype)
        if smooth_alpha:  # 1 - alpha on the label, alpha spread evenly over the others
            rest = smooth_alpha / max(k - 1, 1)
            target = target * (1 - smooth_alpha - rest) + rest
        g = p - target
        if use_ignore:
            g = _select(ops.broadcast_to(_labels_equal(lab, ignore_label), p.shape), 0, g)
        # MXNet's scaling: multi_output divides by the spatial size except for 'valid'.
        if normalization == "valid":
            ignored = _cast(_labels_equal(label, ignore_label), p._dtype)
            valid = ops.maximum(float(label.size) - ops.sum(ignored), 1)
            g = g * (grad_scale / valid)
        else:
            count = float(n if multi_output else label.size) if normalization == "batch" else 1.0
            g = g * (grad_scale / per_sample / count)
        return ops.reshape(g, shape=data.shape)

    return _write(_loss_output(sm, data, grad, out_grad), out)


Softmax = SoftmaxOutput


def _regression_label(op: str, data: NDArray, label: NDArray) -> NDArray:
    if label.size != data.size or (label.ndim and data.ndim and label.shape[0] != data.shape[0]):
        raise ShapeError(f"{op}: label of shape {label.shape} does not match the data's shape "
                         f"{data.shape}")
    return _cast(ops.reshape(label, shape=data.shape), data._dtype)


def _regression(op: str, forward: Callable[[NDArray], NDArray],
                backward: Callable[[NDArray, NDArray], NDArray], doc: str) -> Any:
    def layer(data: NDArray, label: NDArray, grad_scale: float = 1.0,
              out: NDArray | None = None, name: str | None = None) -> NDArray:
        lab = _regression_label(op, data, label)
        y = forward(data)
        num_output = label.size // label.shape[0] if label.ndim and label.shape[0] else 1
        return _write(_loss_output(y, data, lambda: backward(y, lab) * (grad_scale / num_output)),
                      out)

    layer.__name__ = layer.__qualname__ = op
    layer.__doc__ = (f"{doc}\n\n    The backward pass gives grad_scale / num_output times the "
                     "loss gradient, whatever the head gradient.\n\n"
                     f"    >>> with mx.autograd.record(): y = mx.nd.{op}(x, label)"
                     "  # doctest: +SKIP\n    ")
    return layer


LinearRegressionOutput = _regression(
    "LinearRegressionOutput", lambda x: x, lambda y, t: y - t,
    "Identity forward; squared-error gradient (out - label) backward.")
MAERegressionOutput = _regression(
    "MAERegressionOutput", lambda x: x, lambda y, t: ops.sign(y - t),
    "Identity forward; absolute-error gradient sign(out - label) backward.")
LogisticRegressionOutput = _regression(
    "LogisticRegressionOutput", lambda x: _ew("sigmoid", x), lambda y, t: y - t,
    "Sigmoid forward; logistic-loss gradient (sigmoid(x) - label) backward.")


def MakeLoss(data: NDArray, grad_scale: float = 1.0, valid_thresh: float = 0.0,
             normalization: str = "null", out: NDArray | None = None,
             name: str | None = None) -> NDArray:
    """Treat `data` as a loss: identity forward, gradient grad_scale backward (divided by
    the batch size with 'batch', by the count of entries above valid_thresh with 'valid').

    >>> with mx.autograd.record(): loss = mx.nd.MakeLoss(x * x)  # doctest: +SKIP
    """
    if normalization not in ("null", "batch", "valid"):
        raise ParamError(f"MakeLoss: normalization must be 'null', 'batch' or 'valid', got "
                         f"{normalization!r}")

    def grad() -> NDArray:
        ones = _full(grad_scale, data)
        if normalization == "batch":
            return ones / (data.shape[0] if data.ndim else 1)
        if normalization == "valid":
            valid = ops.sum(_cast(_cmp("gt", data, valid_thresh), data._dtype))
            return ones / ops.maximum(valid, 1)
        return ones

    return _write(_loss_output(data, data, grad), out)


def make_loss(data: NDArray, out: NDArray | None = None, name: str | None = None) -> NDArray:
    """MakeLoss with its defaults: identity forward, gradient 1 backward."""
    return MakeLoss(data, out=out)


def softmax_cross_entropy(data: NDArray, label: NDArray, out: NDArray | None = None,
                          name: str | None = None) -> NDArray:
    """Sum over the batch of -log(softmax(data)[i, label[i]]), as a shape-(1,) array.

    >>> mx.nd.softmax_cross_entropy(mx.nd.array([[1, 2, 3]]), mx.nd.array([2]))  # doctest: +SKIP
    """
    if data.ndim != 2 or label.shape != (data.shape[0],):
        raise ShapeError(f"softmax_cross_entropy: needs data (batch, classes) and label "
                         f"(batch,), got {data.shape} and {label.shape}")
    logp = log_softmax(data, axis=-1)
    from .creation import _iota

    classes = _iota(data.shape, 1, data, np.int64)
    labels = ops.broadcast_to(ops.expand_dims(_cast(label, np.int64), 1), data.shape)
    picked = _select(_ew("eq", classes, labels), logp, 0)
    return _write(-ops.sum(picked), out)


def smooth_l1(data: NDArray, scalar: float = 1.0, out: NDArray | None = None,
              name: str | None = None) -> NDArray:
    """0.5 * (scalar * x)**2 where |x| < 1 / scalar**2, else |x| - 0.5 / scalar**2.

    >>> mx.nd.smooth_l1(mx.nd.array([-2, 0.5]))  # doctest: +SKIP
    """
    s2 = scalar * scalar
    a = ops.abs(data)
    small = data * data * (0.5 * s2)
    return _write(_select(_cmp("lt", a, 1 / s2), small, a - 0.5 / s2), out)
