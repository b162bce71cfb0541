"""Quantization operators of mx.nd.contrib: quantize, dequantize, requantize, calibration
and the int8/uint8 layers (quantized_conv, quantized_fully_connected, quantized_pooling, ...).

A quantized array travels with a float32 range: (data, min_range, max_range), each range an
array of shape (1,). MXNet 1.9.1 has two sets of kernels with different conventions, and
mxjit follows, per operator, MXNet's portable kernels (its CPU kernels without MKL-DNN, or
its GPU kernels) where they exist:

* symmetric int8 uses 127 levels each side of zero: q = sign(x) * min(|x| * 127 / R + 0.5,
  127) truncated, R = max(|min_range|, |max_range|), and the range becomes (-R, R);
* uint8 is affine: q = (x - min_range) * 255 / (max_range - min_range) + 0.5 truncated;
* int8 x int8 products accumulate exactly in int32, whose range is 2**31 levels of
  (R_a / 127) * (R_b / 127) (a uint8 operand counts 255 levels).

Values outside the range saturate (MXNet's portable kernels wrap them, an undefined
conversion in C++). The MKL-DNN kernels that MXNet's pip builds run on the CPU scale by
127.5 and 255.5 and round halves to even; mxjit follows them only for the operators that
have no other kernel (quantized_act, quantized_batch_norm, quantized_concat,
quantized_elemwise_add, quantized_pooling's rounding, and requantize to uint8).

None of these operators is differentiable in MXNet (their gradients are zero): their float
results are wrapped in `BlockGrad`, and integer results carry no gradient anyway.

    >>> q, lo, hi = mx.nd.contrib.quantize_v2(x, out_type='int8')  # doctest: +SKIP
    >>> y = mx.nd.contrib.dequantize(q, lo, hi)  # doctest: +SKIP
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..base import ArgumentError, DTypeError, ParamError, ShapeError, TracerError
from ..core import Array
from ..core.operators import INPUT_SHAPE_RULES, input_shape_rule, register_operator
from . import reduce
from .conv import Convolution, Pooling
from .elementwise import relu
from .indexing import concrete
from .nn import BlockGrad, Embedding, FullyConnected
from .operands import (
    along,
    as_dtype,
    axis_index,
    check_shape,
    constant,
    ew,
    full,
    reshape_exact,
    select,
)
from .shape import concat, flatten

_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)
_INT8, _UINT8, _INT32 = np.dtype(np.int8), np.dtype(np.uint8), np.dtype(np.int32)
#: float(MinAbs(INT32_MIN, INT32_MAX)) as MXNet computes it in float32: 2**31 levels
_INT32_LEVELS = 2.0**31
#: the levels of MKL-DNN's scales (MXNet's kInt8Range and kUint8Range)
_MKLDNN_RANGE = {_INT8: 127.5, _UINT8: 255.5, _INT32: _INT32_LEVELS}
_OUT_TYPES = ("auto", "int8", "uint8")
_QUANTIZED = (_INT8, _UINT8)


# ---- ranges and the conversions every operator shares ----------------------------------------


def _range_value(op: str, name: str, arr: Any) -> Array:
    """A range input (one float value, MXNet's shape (1,)) as a 0-d float32 array."""
    if not isinstance(arr, Array):
        raise ArgumentError(f"{op}: {name} must be an array of one value, got "
                            f"{type(arr).__name__}")
    if arr.size != 1:
        raise ShapeError(f"{op}: {name} must hold one value (shape (1,)), got shape "
                         f"{arr.shape}")
    return reshape_exact(as_dtype(arr, _F32), ())


def _range_out(value: Array) -> Array:
    """A 0-d float32 range as the (1,)-shaped output MXNet gives, without a gradient."""
    return BlockGrad(reshape_exact(value, (1,)))


def _need_dtype(op: str, name: str, arr: Array, dtypes: Sequence[np.dtype]) -> None:
    if arr._dtype not in dtypes:
        raise DTypeError(f"{op}: {name} must be {' or '.join(d.name for d in dtypes)}, got "
                         f"{arr._dtype.name}")


def _calibration(op: str, low: float | None, high: float | None, like: Array
                 ) -> tuple[Array, Array] | None:
    """The calibrated range as 0-d float32 arrays next to `like`, or None when it is not
    given (MXNet uses the bounds only as a pair)."""
    if (low is None) != (high is None):
        raise ParamError(f"{op}: give both min_calib_range and max_calib_range, or neither; "
                         f"got {low!r} and {high!r}")
    if low is None or high is None:
        return None
    return _constant_range(like, low), _constant_range(like, high)


def _out_dtype(op: str, out_type: str, calib_low: float | None) -> np.dtype:
    """int8 or uint8 for out_type; 'auto' is uint8 for a calibrated range that starts at 0
    or above and int8 otherwise (MXNet's GetQuantizeOutputType)."""
    if out_type not in _OUT_TYPES:
        raise ParamError(f"{op}: out_type must be one of {list(_OUT_TYPES)}, got {out_type!r}")
    if out_type == "auto":
        return _UINT8 if calib_low is not None and calib_low >= 0 else _INT8
    return np.dtype(out_type)


def _constant_range(like: Array, value: float) -> Array:
    return constant(np.array(value, _F32), like)


def _max_abs(a: Array, b: Array) -> Array:
    return ew("maximum", ew("abs", a), ew("abs", b))


def _to_int8(x: Array, real_range: Array) -> Array:
    """float32 -> int8 with 127 levels each side (MXNet's FloatToQuantized<int8>):
    sign(x) * min(|x| * 127 / real_range + 0.5, 127), truncated."""
    level = ew("abs", x) * ew("div", 127.0, real_range)
    # Clamping before adding 0.5 gives MXNet's integer (it clamps after) and keeps LLVM from
    # fusing the product and the sum into one FMA, which rounds once where MXNet rounds twice.
    rounded = ew("floor", ew("minimum", level, 127.0) + 0.5)
    return as_dtype(ew("sign", x) * rounded, _INT8)


def _to_uint8(level: Array) -> Array:
    """Levels (float32) -> uint8 by adding 0.5 in float64 and truncating, as MXNet's uint8
    kernels do; outside [0, 255] they saturate."""
    clipped = ew("minimum", ew("maximum", level, 0.0), 255.0)
    return as_dtype(ew("floor", as_dtype(clipped, _F64) + 0.5), _UINT8)


def _affine_uint8(x: Array, low: Array, high: Array) -> Array:
    """quantize's uint8 formula: (x - low) * 255 / (high - low), rounded half up."""
    scale = as_dtype(ew("div", 255.0, as_dtype(high - low, _F64)), _F32)
    return _to_uint8((x - low) * scale)


def _saturate(x: Array, dtype: np.dtype) -> Array:
    """Round half to even and saturate to `dtype` (MKL-DNN's float -> integer conversion)."""
    info = np.iinfo(dtype)
    rounded = ew("rint", x)
    if dtype.itemsize < 4:
        return as_dtype(ew("minimum", ew("maximum", rounded, float(info.min)), float(info.max)),
                        dtype)
    # float32 has no INT32_MAX: 2**31 and above saturate to it
    top = ew("ge", rounded, 2.0**31)
    inside = as_dtype(ew("maximum", ew("minimum", rounded, 2.0**31 - 128), -(2.0**31)), dtype)
    return select(top, int(info.max), inside)


def _levels(dtype: np.dtype) -> float:
    """Quantized levels of one sign of a dtype: 127 for int8, 255 for uint8."""
    return 127.0 if dtype == _INT8 else 255.0


def _product_range(a: tuple[Array, Array], a_dtype: np.dtype, b: tuple[Array, Array],
                   b_dtype: np.dtype) -> tuple[Array, Array]:
    """The int32 range of a product of quantized operands (MXNet's
    QuantizationRangeForMultiplication): 2**31 levels of one level of a times one of b."""
    one_a = ew("div", _max_abs(*a), _levels(a_dtype))
    one_b = ew("div", _max_abs(*b), _levels(b_dtype))
    high = one_a * one_b * _INT32_LEVELS
    return -high, high


# ---- quantize, dequantize, requantize ----------------------------------------------------------


@register_operator("_contrib_quantize", inputs=("data", "min_range", "max_range"))
def quantize(data: Array, min_range: Array, max_range: Array, out_type: str = "uint8") -> Any:
    """Quantize float32 data with the given range: uint8 (the default) maps
    [min_range, max_range] onto [0, 255]; int8 maps [-R, R] onto [-127, 127], with
    R = max(|min_range|, |max_range|). Returns [out, min_out, max_out].

    >>> q, lo, hi = mx.nd.contrib.quantize(x, mx.nd.array([-1]), mx.nd.array([1]),
    ...                                    out_type='int8')  # doctest: +SKIP
    """
    op = "quantize"
    _need_dtype(op, "data", data, (_F32,))
    if out_type not in ("int8", "uint8"):
        raise ParamError(f"{op}: out_type must be 'int8' or 'uint8', got {out_type!r}")
    low, high = _range_value(op, "min_range", min_range), _range_value(op, "max_range", max_range)
    return _quantize_float(data, low, high, np.dtype(out_type))


def _quantize_float(data: Array, low: Array, high: Array, dtype: np.dtype) -> list[Array]:
    if dtype == _UINT8:
        return [_affine_uint8(data, low, high), _range_out(low), _range_out(high)]
    real = _max_abs(low, high)
    return [_to_int8(data, real), _range_out(-real), _range_out(real)]


@register_operator("_contrib_quantize_v2")
def quantize_v2(data: Array, out_type: str = "int8", min_calib_range: float | None = None,
                max_calib_range: float | None = None) -> Any:
    """Quantize float32 data with the calibrated range, or with the data's own min and max
    when none is given; out_type 'auto' picks uint8 for a calibrated range starting at 0 or
    above. int8 or uint8 data passes through (its bytes as out_type), with the calibrated
    range or the full range of its dtype. Returns [out, min_out, max_out].

    >>> q, lo, hi = mx.nd.contrib.quantize_v2(x, min_calib_range=-2.0,
    ...                                       max_calib_range=2.0)  # doctest: +SKIP
    """
    op = "quantize_v2"
    _need_dtype(op, "data", data, (_F32, _INT8, _UINT8))
    calibration = _calibration(op, min_calib_range, max_calib_range, data)
    dtype = _out_dtype(op, out_type, min_calib_range)
    if data._dtype != _F32:
        if calibration is None:
            bottom, top = (0.0, 255.0) if data._dtype == _UINT8 else (-127.0, 127.0)
            calibration = _constant_range(data, bottom), _constant_range(data, top)
        return [as_dtype(data, dtype), _range_out(calibration[0]), _range_out(calibration[1])]
    low, high = _data_range(op, data, calibration)
    return _quantize_float(data, low, high, dtype)


def _data_range(op: str, data: Array, calibration: tuple[Array, Array] | None
                ) -> tuple[Array, Array]:
    """The calibrated range, or the data's min and max (0-d float32)."""
    if calibration is not None:
        return calibration
    if data.size == 0:
        raise ShapeError(f"{op}: empty data of shape {data.shape} has no range to quantize "
                         "with; pass min_calib_range and max_calib_range")
    return reduce.min(data), reduce.max(data)


@register_operator("_contrib_quantize_asym")
def quantize_asym(data: Array, min_calib_range: float | None = None,
                  max_calib_range: float | None = None) -> Any:
    """Quantize float32 data to uint8 with a scale and a shift: out = x * scale + shift,
    rounded half up, with scale = 255 / (max - min) and shift = 255 - max * scale for the
    calibrated range or the data's own. Returns [out, scale, shift].

    >>> q, scale, shift = mx.nd.contrib.quantize_asym(x)  # doctest: +SKIP
    """
    op = "quantize_asym"
    _need_dtype(op, "data", data, (_F32,))
    low, high = _data_range(op, data, _calibration(op, min_calib_range, max_calib_range, data))
    scale = ew("div", 255.0, high - low)
    shift = 255.0 - high * scale
    return [_to_uint8(data * scale + shift), _range_out(scale), _range_out(shift)]


@register_operator("_contrib_dequantize", inputs=("data", "min_range", "max_range"))
def dequantize(data: Array, min_range: Array, max_range: Array, out_type: str = "float32"
               ) -> Array:
    """Convert int8 or uint8 data back to float32: uint8 maps [0, 255] onto
    [min_range, max_range]; int8 maps [-127, 127] onto [-R, R], R = max(|min_range|,
    |max_range|).

    >>> x = mx.nd.contrib.dequantize(q, lo, hi)  # doctest: +SKIP
    """
    op = "dequantize"
    _need_dtype(op, "data", data, _QUANTIZED)
    if out_type != "float32":
        raise ParamError(f"{op}: out_type must be 'float32', got {out_type!r}")
    low, high = _range_value(op, "min_range", min_range), _range_value(op, "max_range", max_range)
    x = as_dtype(data, _F32)
    if data._dtype == _UINT8:
        out = x * ew("div", high - low, 255.0) + low
    else:
        out = x * ew("div", _max_abs(low, high), 127.0)
    return BlockGrad(out)


@register_operator("_contrib_requantize", inputs=("data", "min_range", "max_range"))
def requantize(data: Array, min_range: Array, max_range: Array, out_type: str = "int8",
               min_calib_range: float | None = None, max_calib_range: float | None = None
               ) -> Any:
    """Requantize int32 data (with the range of its 2**31 levels) to int8 over the
    calibrated range, or over the range its values actually reach. uint8 (out_type 'uint8',
    or 'auto' with a calibrated range from 0 up) maps [0, R] onto [0, 255], rounding halves
    to even (MXNet's MKL-DNN kernel). Returns [out, min_out, max_out].

    >>> q8, lo8, hi8 = mx.nd.contrib.requantize(q32, lo, hi)  # doctest: +SKIP
    """
    op = "requantize"
    _need_dtype(op, "data", data, (_INT32,))
    calibration = _calibration(op, min_calib_range, max_calib_range, data)
    dtype = _out_dtype(op, out_type, min_calib_range)
    low, high = _range_value(op, "min_range", min_range), _range_value(op, "max_range", max_range)
    level = ew("div", _max_abs(low, high), _INT32_LEVELS)
    x = as_dtype(data, _F32) * level
    if calibration is not None:
        real = _max_abs(*calibration)
    elif data.size:
        reached = (reduce.min(data), reduce.max(data))
        real = _max_abs(*(as_dtype(v, _F32) * level for v in reached))
    else:
        real = _constant_range(x, 0.0)
    if dtype == _UINT8:
        return [_saturate(x * ew("div", 255.0, real), _UINT8),
                _range_out(_constant_range(x, 0.0)), _range_out(real)]
    return [_to_int8(x, real), _range_out(-real), _range_out(real)]


# ---- layers on quantized data -------------------------------------------------------------------


@register_operator("_contrib_quantized_act", inputs=("data", "min_data", "max_data"))
def quantized_act(data: Array, min_data: Array, max_data: Array, act_type: str) -> Any:
    """ReLU of int8 or uint8 data (the only activation MXNet quantizes); the range passes
    through. Returns [out, min_out, max_out].

    >>> y, lo, hi = mx.nd.contrib.quantized_act(q, lo, hi, act_type='relu')  # doctest: +SKIP
    """
    op = "quantized_act"
    if act_type != "relu":
        raise ParamError(f"{op}: only act_type='relu' is supported for quantized data, got "
                         f"{act_type!r}")
    _need_dtype(op, "data", data, _QUANTIZED)
    low, high = _range_value(op, "min_data", min_data), _range_value(op, "max_data", max_data)
    # uint8 data is its own ReLU (MXNet declares an int8 result and wraps values above 127)
    out = relu(data) if data._dtype == _INT8 else data
    return [out, _range_out(low), _range_out(high)]


@register_operator("_contrib_quantized_flatten", inputs=("data", "min_data", "max_data"))
def quantized_flatten(data: Array, min_data: Array, max_data: Array) -> Any:
    """Flatten quantized data to (batch, rest), the range passing through. Returns
    [out, min_out, max_out].

    >>> y, lo, hi = mx.nd.contrib.quantized_flatten(q, lo, hi)  # doctest: +SKIP
    """
    op = "quantized_flatten"
    low, high = _range_value(op, "min_data", min_data), _range_value(op, "max_data", max_data)
    return [flatten(data), _range_out(low), _range_out(high)]


@register_operator("_contrib_quantized_embedding",
                   inputs=("data", "weight", "min_weight", "max_weight"),
                   kinds={"dtype": "dtype"})
def quantized_embedding(data: Array, weight: Array, min_weight: Array, max_weight: Array, *,
                        input_dim: int, output_dim: int, dtype: Any = "float32",
                        sparse_grad: bool = False) -> Any:
    """Rows of the int8 `weight` (input_dim, output_dim) at the indices in `data` (clipped
    to range, as Embedding); the weight's range passes through. Returns [out, min_out,
    max_out].

    >>> y, lo, hi = mx.nd.contrib.quantized_embedding(idx, qw, lo, hi, input_dim=10,
    ...                                               output_dim=4)  # doctest: +SKIP
    """
    op = "quantized_embedding"
    _need_dtype(op, "weight", weight, (_INT8,))
    low, high = _range_value(op, "min_weight", min_weight), _range_value(op, "max_weight",
                                                                         max_weight)
    rows = Embedding(data, weight, input_dim=input_dim, output_dim=output_dim)
    return [rows, _range_out(low), _range_out(high)]


@register_operator("_contrib_quantized_concat", inputs=("data",))
def quantized_concat(*data: Array, num_args: int, dim: int = 1) -> Any:
    """Concatenate `num_args` quantized arrays along `dim`; `data` is the arrays, then each
    one's min and max. The result is int8 if any input is, else uint8, over the smallest
    range holding every input's and 0; inputs are rescaled to it (MKL-DNN's scales, halves
    to even). Returns [out, min_out, max_out].

    >>> y, lo, hi = mx.nd.contrib.quantized_concat(a, b, a_lo, a_hi, b_lo, b_hi,
    ...                                            num_args=2)  # doctest: +SKIP
    """
    op = "quantized_concat"
    if len(data) == 1 and isinstance(data[0], (list, tuple)):
        data = tuple(data[0])
    if isinstance(num_args, bool) or not isinstance(num_args, (int, np.integer)) or \
            num_args < 1 or len(data) != 3 * num_args:
        raise ParamError(f"{op}: expects num_args arrays followed by a min and a max for each "
                         f"(3 * num_args inputs); got {len(data)} inputs for num_args="
                         f"{num_args!r}")
    arrays = data[:num_args]
    for k, arr in enumerate(arrays):
        _need_dtype(op, f"input {k}", arr, _QUANTIZED)
    ranges = [(_range_value(op, f"min of input {k}", data[num_args + 2 * k]),
               _range_value(op, f"max of input {k}", data[num_args + 2 * k + 1]))
              for k in range(num_args)]
    dtype = _INT8 if any(a._dtype == _INT8 for a in arrays) else _UINT8
    low, high = _constant_range(arrays[0], 0.0), _constant_range(arrays[0], 0.0)
    for lo, hi in ranges:
        low, high = ew("minimum", low, lo), ew("maximum", high, hi)
    out_scale = ew("div", _MKLDNN_RANGE[dtype], _max_abs(low, high))
    parts = []
    for arr, (lo, hi) in zip(arrays, ranges):
        ratio = out_scale / ew("div", _MKLDNN_RANGE[arr._dtype], _max_abs(lo, hi))
        parts.append(_saturate(as_dtype(arr, _F32) * ratio, dtype))
    return [concat(*parts, dim=dim), _range_out(low), _range_out(high)]


def _binary_operands(op: str, lhs: Array, rhs: Array, ranges: Sequence[Array],
                     dtypes: Sequence[np.dtype]) -> list[Array]:
    """Checks two same-shaped quantized operands; their four ranges as 0-d float32."""
    _need_dtype(op, "lhs", lhs, dtypes)
    _need_dtype(op, "rhs", rhs, dtypes)
    if lhs.shape != rhs.shape:
        raise ShapeError(f"{op}: lhs {lhs.shape} and rhs {rhs.shape} must have the same shape "
                         "(no broadcasting)")
    names = ("lhs_min", "lhs_max", "rhs_min", "rhs_max")
    return [_range_value(op, n, r) for n, r in zip(names, ranges)]


@register_operator("_contrib_quantized_elemwise_add",
                   inputs=("lhs", "rhs", "lhs_min", "lhs_max", "rhs_min", "rhs_max"))
def quantized_elemwise_add(lhs: Array, rhs: Array, lhs_min: Array, lhs_max: Array,
                           rhs_min: Array, rhs_max: Array, min_calib_range: float | None = None,
                           max_calib_range: float | None = None) -> Any:
    """Add two int8/uint8 arrays of one shape. Without calibration the result is int32 over
    the range +-(R_lhs + R_rhs); with it, int8 (uint8 when both inputs are) over the
    calibrated range. MKL-DNN's scales (127.5 / 255.5 levels), halves to even. Returns
    [out, min_out, max_out].

    >>> y, lo, hi = mx.nd.contrib.quantized_elemwise_add(a, b, a_lo, a_hi, b_lo,
    ...                                                  b_hi)  # doctest: +SKIP
    """
    op = "quantized_elemwise_add"
    lmin, lmax, rmin, rmax = _binary_operands(op, lhs, rhs, (lhs_min, lhs_max, rhs_min, rhs_max),
                                              _QUANTIZED)
    abs_l, abs_r = _max_abs(lmin, lmax), _max_abs(rmin, rmax)
    range_l, range_r = _MKLDNN_RANGE[lhs._dtype], _MKLDNN_RANGE[rhs._dtype]
    calibration = _calibration(op, min_calib_range, max_calib_range, lhs)
    if calibration is not None:
        dtype = lhs._dtype if lhs._dtype == rhs._dtype else _INT8
        low, high = calibration
        out_scale = ew("div", _MKLDNN_RANGE[dtype], _max_abs(low, high))
        scale_l = out_scale / ew("div", range_l, abs_l)
        scale_r = out_scale / ew("div", range_r, abs_r)
    else:
        dtype = _INT32
        high = abs_l + abs_r
        low = -high
        scale_l = abs_l * _INT32_LEVELS / (high * range_l)
        scale_r = abs_r * _INT32_LEVELS / (high * range_r)
    total = as_dtype(lhs, _F32) * scale_l + as_dtype(rhs, _F32) * scale_r
    return [_saturate(total, dtype), _range_out(low), _range_out(high)]


@register_operator("_contrib_quantized_elemwise_mul",
                   inputs=("lhs", "rhs", "lhs_min", "lhs_max", "rhs_min", "rhs_max"))
def quantized_elemwise_mul(lhs: Array, rhs: Array, lhs_min: Array, lhs_max: Array,
                           rhs_min: Array, rhs_max: Array, min_calib_range: float | None = None,
                           max_calib_range: float | None = None,
                           enable_float_output: bool = False) -> Any:
    """Multiply two int8 arrays of one shape. Without calibration: the exact int32 products
    over the product range; with it: int8 over the calibrated range (truncated toward 0,
    saturated); with `enable_float_output`: the float32 products (one output). The last two
    scale by 127.5 levels, as MXNet's kernel does. Returns [out, min_out, max_out], or out
    alone for float output.

    >>> y, lo, hi = mx.nd.contrib.quantized_elemwise_mul(a, b, a_lo, a_hi, b_lo,
    ...                                                  b_hi)  # doctest: +SKIP
    """
    op = "quantized_elemwise_mul"
    lmin, lmax, rmin, rmax = _binary_operands(op, lhs, rhs, (lhs_min, lhs_max, rhs_min, rhs_max),
                                              (_INT8,))
    calibration = _calibration(op, min_calib_range, max_calib_range, lhs)
    products = as_dtype(lhs, _INT32) * as_dtype(rhs, _INT32)
    scale_l = ew("div", _MKLDNN_RANGE[_INT8], _max_abs(lmin, lmax))
    scale_r = ew("div", _MKLDNN_RANGE[_INT8], _max_abs(rmin, rmax))
    if enable_float_output:
        out_scale = as_dtype(ew("div", 1.0, as_dtype(scale_l, _F64)) / as_dtype(scale_r, _F64),
                             _F32)
        return BlockGrad(as_dtype(products, _F32) * out_scale)
    if calibration is None:
        low, high = _product_range((lmin, lmax), _INT8, (rmin, rmax), _INT8)
        return [products, _range_out(low), _range_out(high)]
    low, high = calibration
    out_scale = ew("div", _MKLDNN_RANGE[_INT8], _max_abs(low, high)) / scale_l / scale_r
    scaled = ew("trunc", as_dtype(products, _F32) * out_scale)
    out = as_dtype(ew("minimum", ew("maximum", scaled, -128.0), 127.0), _INT8)
    return [out, _range_out(low), _range_out(high)]


_POOL_SPATIAL = {"kernel": "shape", "stride": "shape", "pad": "shape"}


@register_operator("_contrib_quantized_pooling", inputs=("data", "min_data", "max_data"),
                   kinds=_POOL_SPATIAL)
def quantized_pooling(data: Array, min_data: Array, max_data: Array,
                      kernel: Sequence[int] = (), pool_type: str = "max",
                      global_pool: bool = False, cudnn_off: bool = False,
                      pooling_convention: str = "valid", stride: Sequence[int] = (),
                      pad: Sequence[int] = (), p_value: int | None = None,
                      count_include_pad: bool | None = None, layout: str | None = None) -> Any:
    """Max or average pooling of int8/uint8 data (as Pooling); averages round half to even.
    The range passes through. Returns [out, min_out, max_out].

    >>> y, lo, hi = mx.nd.contrib.quantized_pooling(q, lo, hi, kernel=(2, 2),
    ...                                             pool_type='avg')  # doctest: +SKIP
    """
    op = "quantized_pooling"
    if pool_type not in ("max", "avg"):
        raise ParamError(f"{op}: pool_type must be 'max' or 'avg' for quantized data, got "
                         f"{pool_type!r}")
    _need_dtype(op, "data", data, _QUANTIZED)
    low, high = _range_value(op, "min_data", min_data), _range_value(op, "max_data", max_data)

    def pool(x: Array) -> Array:
        return Pooling(x, kernel=kernel, pool_type=pool_type, global_pool=global_pool,
                       pooling_convention=pooling_convention, stride=stride, pad=pad,
                       count_include_pad=count_include_pad, layout=layout)

    # averages in float32, where window sums of 8-bit values are exact
    out = pool(data) if pool_type == "max" else _saturate(pool(as_dtype(data, _F32)),
                                                          data._dtype)
    return [out, _range_out(low), _range_out(high)]


_WEIGHTED_INPUTS = ("data", "weight", "bias", "min_data", "max_data", "min_weight",
                    "max_weight", "min_bias", "max_bias")


def _weighted_ranges(op: str, data: Array, weight: Array, bias: Array | None,
                     ranges: Sequence[Array | None], no_bias: bool
                     ) -> tuple[list[Array], Array | None]:
    """Checks data, weight and bias (int8; data may be uint8) and reads the ranges.

    MXNet takes the ranges after the arrays, so without a bias the positional form
    (data, weight, min_data, max_data, min_weight, max_weight) puts them one slot earlier:
    both forms are accepted."""
    if no_bias and bias is not None:
        if ranges[3] is not None:
            raise ParamError(f"{op}: a bias was given with no_bias=True")
        ranges, bias = (bias, *ranges[:-1]), None
    _need_dtype(op, "data", data, _QUANTIZED)
    _need_dtype(op, "weight", weight, (_INT8,))
    if not no_bias:
        if bias is None:
            raise ParamError(f"{op}: bias is required unless no_bias=True")
        _need_dtype(op, "bias", bias, (_INT8,))
    names = ("min_data", "max_data", "min_weight", "max_weight", "min_bias", "max_bias")
    count = 4 if no_bias else 6
    for name, value in zip(names[:count], ranges[:count]):
        if value is None:
            raise ParamError(f"{op}: the argument {name!r} is required")
    return [_range_value(op, n, r) for n, r in zip(names[:count], ranges[:count])], bias


def _with_bias(out: Array, bias: Array | None, ranges: list[Array], data_dtype: np.dtype,
               bias_shape: tuple[int, ...]) -> list[Array]:
    """The int32 result plus the int8 bias moved to its scale (truncated, as MXNet's
    QuantizedSumInitKernelWithBias), and the product range."""
    low, high = _product_range((ranges[0], ranges[1]), data_dtype, (ranges[2], ranges[3]), _INT8)
    if bias is not None:
        one_out = as_dtype(as_dtype(high, _F64) / float(2**31 - 1), _F32)
        one_bias = as_dtype(as_dtype(_max_abs(ranges[4], ranges[5]), _F64) / 127.0, _F32)
        scaled = as_dtype(bias, _F32) * one_bias / one_out
        bias_levels = select(ew("eq", one_out, 0.0), 0, as_dtype(scaled, _INT32))
        out = out + reshape_exact(bias_levels, bias_shape)
    return [out, _range_out(low), _range_out(high)]


@register_operator("_contrib_quantized_fully_connected", inputs=_WEIGHTED_INPUTS)
def quantized_fully_connected(data: Array, weight: Array, bias: Array | None = None,
                              min_data: Array | None = None, max_data: Array | None = None,
                              min_weight: Array | None = None, max_weight: Array | None = None,
                              min_bias: Array | None = None, max_bias: Array | None = None, *,
                              num_hidden: int, no_bias: bool = False, flatten: bool = True
                              ) -> Any:
    """FullyConnected of int8 (or uint8) data with int8 weights, accumulated exactly in
    int32; the int8 bias is moved to the output's scale. The output range is the product
    range of data and weight. Returns [out, min_out, max_out].

    >>> y, lo, hi = mx.nd.contrib.quantized_fully_connected(q, qw, qb, d_lo, d_hi, w_lo,
    ...     w_hi, b_lo, b_hi, num_hidden=4)  # doctest: +SKIP
    """
    op = "quantized_fully_connected"
    ranges, bias = _weighted_ranges(op, data, weight, bias, (min_data, max_data, min_weight,
                                    max_weight, min_bias, max_bias), no_bias)
    out = FullyConnected(as_dtype(data, _INT32), as_dtype(weight, _INT32), num_hidden=num_hidden,
                         no_bias=True, flatten=flatten)
    if bias is not None:
        check_shape(op, "bias", bias, (num_hidden,))
    return _with_bias(out, bias, ranges, data._dtype, (num_hidden,))


#: A quantized layer's ranges: one value each.
_RANGE_SHAPES = dict.fromkeys(_WEIGHTED_INPUTS[3:], (1,))


@input_shape_rule("_contrib_quantized_fully_connected")
def _quantized_fully_connected_inputs(shapes: dict[str, tuple[int, ...]], **params: Any
                                      ) -> dict[str, tuple[int, ...]]:
    """FullyConnected's weight and bias, and the ranges, as MXNet infers them."""
    return {**INPUT_SHAPE_RULES["FullyConnected"](shapes, **params), **_RANGE_SHAPES}


@input_shape_rule("_contrib_quantized_conv")
def _quantized_conv_inputs(shapes: dict[str, tuple[int, ...]], **params: Any
                           ) -> dict[str, tuple[int, ...]]:
    """Convolution's weight and bias, and the ranges, as MXNet infers them."""
    return {**INPUT_SHAPE_RULES["Convolution"](shapes, **params), **_RANGE_SHAPES}


@register_operator("_contrib_quantized_conv", inputs=_WEIGHTED_INPUTS,
                   kinds={"kernel": "shape", "stride": "shape", "dilate": "shape",
                          "pad": "shape"})
def quantized_conv(data: Array, weight: Array, bias: Array | None = None,
                   min_data: Array | None = None, max_data: Array | None = None,
                   min_weight: Array | None = None, max_weight: Array | None = None,
                   min_bias: Array | None = None, max_bias: Array | None = None, *,
                   kernel: Sequence[int], stride: Sequence[int] = (),
                   dilate: Sequence[int] = (), pad: Sequence[int] = (), num_filter: int,
                   num_group: int = 1, workspace: int = 1024, no_bias: bool = False,
                   cudnn_tune: str | None = None, cudnn_off: bool = False,
                   layout: str | None = None) -> Any:
    """Convolution of int8 (or uint8) data with int8 weights, accumulated exactly in int32;
    the int8 bias is moved to the output's scale. The output range is the product range of
    data and weight. Returns [out, min_out, max_out].

    >>> y, lo, hi = mx.nd.contrib.quantized_conv(q, qw, qb, d_lo, d_hi, w_lo, w_hi, b_lo,
    ...     b_hi, kernel=(3, 3), num_filter=8)  # doctest: +SKIP
    """
    op = "quantized_conv"
    if num_group != 1:
        raise ParamError(f"{op}: only num_group=1 is supported (as in MXNet), got {num_group}")
    ranges, bias = _weighted_ranges(op, data, weight, bias, (min_data, max_data, min_weight,
                                    max_weight, min_bias, max_bias), no_bias)
    out = Convolution(as_dtype(data, _INT32), as_dtype(weight, _INT32), kernel=kernel,
                      stride=stride, dilate=dilate, pad=pad, num_filter=num_filter,
                      no_bias=True, layout=layout)
    if bias is not None:
        check_shape(op, "bias", bias, (num_filter,))
    channel = 1 if layout in (None, "NCW", "NCHW", "NCDHW") else out.ndim - 1
    bias_shape = tuple(num_filter if k == channel else 1 for k in range(out.ndim))
    return _with_bias(out, bias, ranges, data._dtype, bias_shape)


@register_operator("_contrib_quantized_batch_norm",
                   inputs=("data", "gamma", "beta", "moving_mean", "moving_var", "min_data",
                           "max_data"))
def quantized_batch_norm(data: Array, gamma: Array, beta: Array, moving_mean: Array,
                         moving_var: Array, min_data: Array, max_data: Array, eps: float = 1e-3,
                         momentum: float = 0.9, fix_gamma: bool = True,
                         use_global_stats: bool = False, output_mean_var: bool = False,
                         axis: int = 1, cudnn_off: bool = False,
                         min_calib_range: float | None = None,
                         max_calib_range: float | None = None) -> Any:
    """Inference BatchNorm (moving statistics) of int8/uint8 data to int8 over the
    calibrated output range, which is required. Follows MXNet's MKL-DNN kernel: uint8 data
    is first rescaled to int8 (127.5 / 255.5 levels, halves to even), and the normalised
    value is divided by sqrt(1 + eps) once more. Returns [out, min_out, max_out].

    >>> y, lo, hi = mx.nd.contrib.quantized_batch_norm(q, g, b, m, v, lo, hi,
    ...     min_calib_range=-3.0, max_calib_range=3.0)  # doctest: +SKIP
    """
    op = "quantized_batch_norm"
    _need_dtype(op, "data", data, _QUANTIZED)
    calibration = _calibration(op, min_calib_range, max_calib_range, data)
    if calibration is None:
        raise ParamError(f"{op}: min_calib_range and max_calib_range are required (MXNet's "
                         "quantized BatchNorm has no uncalibrated mode)")
    low, high = _range_value(op, "min_data", min_data), _range_value(op, "max_data", max_data)
    ax = axis_index(axis, data.ndim, op)
    channels = data.shape[ax]
    for what, arr in (("gamma", gamma), ("beta", beta), ("moving_mean", moving_mean),
                      ("moving_var", moving_var)):
        check_shape(op, f"{what} (channels along axis {axis})", arr, (channels,))
    x = as_dtype(data, _F32)
    if data._dtype == _UINT8:
        x = as_dtype(_saturate(x * (127.5 / 255.5), _INT8), _F32)
    out_low, out_high = calibration
    abs_data, abs_out = _max_abs(low, high), _max_abs(out_low, out_high)
    g = full(1.0, x, (channels,)) if fix_gamma else as_dtype(gamma, _F32)
    invstd = as_dtype(ew("div", 1.0, ew("sqrt", as_dtype(moving_var, _F64) + eps)), _F32)
    scale = g * invstd * abs_data / abs_out
    shift = (as_dtype(beta, _F32) - as_dtype(moving_mean, _F32) * g * invstd) * 127.5 / abs_out
    # MKL-DNN then normalises with the rescaled statistics (mean 0, variance 1) and eps again
    scale = scale / float(np.sqrt(np.float32(1.0) + np.float32(eps), dtype=np.float32))
    y = x * along(BlockGrad(scale), ax, x.ndim) + along(BlockGrad(shift), ax, x.ndim)
    return [_saturate(y, _INT8), _range_out(out_low), _range_out(out_high)]


# ---- calibration ------------------------------------------------------------------------------


@register_operator("_contrib_calibrate_entropy", inputs=("hist", "hist_edges"))
def calibrate_entropy(hist: Array, hist_edges: Array, num_quantized_bins: int = 255) -> Any:
    """The threshold that minimises the KL divergence between a histogram (symmetric around
    its middle bin) and its quantization to `num_quantized_bins` levels, and that divergence.
    Eager only: it searches over the histogram's values. Returns [threshold, divergence].

    >>> thr, div = mx.nd.contrib.calibrate_entropy(hist, edges)  # doctest: +SKIP
    """
    op = "calibrate_entropy"
    _need_dtype(op, "hist", hist, (_F32,))
    counts, edges = concrete(hist), concrete(hist_edges)
    if counts is None or edges is None:
        raise TracerError(f"{op}: searches over the histogram's values, which are not known "
                          "while tracing (inside mx.jit, mx.grad or a hybridized block); call "
                          "it outside the traced function")
    counts = np.asarray(counts, _F32).ravel()
    edges = np.asarray(edges).astype(_F32).ravel()
    if edges.size != counts.size + 1:
        raise ShapeError(f"{op}: hist_edges must have one more element than hist ("
                         f"{counts.size + 1}), got {edges.size}")
    bins = int(num_quantized_bins)
    if bins < 1 or bins // 2 > counts.size // 2:
        raise ParamError(f"{op}: num_quantized_bins must be in [1, {counts.size | 1}] for a "
                         f"histogram of {counts.size} bins, got {num_quantized_bins}")
    threshold, divergence = _entropy_search(counts, edges, bins)
    return [constant(np.array([threshold], _F32), hist),
            constant(np.array([divergence], _F32), hist)]


def _entropy_search(hist: np.ndarray, edges: np.ndarray, bins: int) -> tuple[float, float]:
    """MXNet's CalibrateComputeCPU: for each window of 2i+1 bins around the middle, the KL
    divergence between the window (outliers folded into its ends) and its quantization."""
    middle, half = hist.size // 2, bins // 2
    best = (float(edges[middle + half + 1]), float(np.finfo(np.float32).max))
    for i in range(half, middle + 1):
        start, stop = middle - i, middle + i + 1
        divergence = _window_divergence(hist, start, stop, bins)
        if divergence < best[1]:
            best = (float(edges[stop]), divergence)
    return best


def _window_divergence(hist: np.ndarray, start: int, stop: int, bins: int) -> float:
    # As MXNet: p keeps the counts, with everything at or before `start` in its first bin
    # and everything after the window added to its last; the quantized copy reads the
    # window's counts truncated to integers, without the first bin.
    p = hist[start:stop].copy()
    p[0] = hist[:start + 1].sum(dtype=np.float32)
    p[-1] += hist[stop:].sum(dtype=np.float32)
    sliced = np.trunc(hist[start:stop]).astype(np.float32)
    sliced[0] = 0
    merged = sliced.size // bins
    q = np.zeros_like(p)
    for j in range(bins):
        lo, hi = j * merged, (sliced.size if j == bins - 1 else (j + 1) * merged)
        total = sliced[lo:(j + 1) * merged].sum(dtype=np.float32)
        if j == bins - 1:
            total += sliced[bins * merged:].sum(dtype=np.float32)
        nonzero = np.count_nonzero(sliced[lo:hi])
        if nonzero:
            q[lo:hi] = np.where(p[lo:hi] != 0, np.float32(total / nonzero), 0)
    p_smooth, q_smooth = _smooth(p), _smooth(q)
    if q_smooth is None:
        return float("inf")
    if p_smooth is None or (p_smooth <= 0).any() or (q_smooth <= 0).any():
        raise ParamError("calibrate_entropy: the histogram smooths to non-positive "
                         "probabilities (MXNet's check p > 0 and q > 0 fails); use counts, "
                         "not small fractions")
    p = p_smooth / p_smooth.sum(dtype=np.float32)
    q = q_smooth / q_smooth.sum(dtype=np.float32)
    return float(np.sum(p * np.log(p / q), dtype=np.float32))


def _smooth(p: np.ndarray, eps: float = 1e-4) -> np.ndarray | None:
    """Zeros become eps, taken evenly from the non-zero entries (None: nothing to smooth)."""
    zeros = p == 0
    nonzero = p.size - int(zeros.sum())
    if not nonzero:
        return None
    taken = np.float32(eps * zeros.sum() / nonzero)
    if taken >= 1:
        return None
    return np.where(zeros, np.float32(eps), p - taken).astype(np.float32)
