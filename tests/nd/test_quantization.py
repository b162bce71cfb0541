"""mx.nd.contrib quantization operators against NumPy references of MXNet's kernels (written
from src/operator/quantization/ at 1.9.1, float32 step by step), and against values copied
from real MXNet: its portable kernels (MXNet 1.8/1.9 built without MKL-DNN) and, for the
operators that only have MKL-DNN kernels, the pip build of 1.9.1."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import mxjit as mx
from mxjit.base import ArgumentError, DTypeError, ParamError, ShapeError, TracerError

C = mx.nd.contrib
F32 = np.float32


def r(value: float) -> mx.nd.NDArray:
    """A range input: one float32 value of shape (1,)."""
    return mx.nd.array([value])


def values(result: Any) -> list[np.ndarray]:
    return [x.asnumpy() for x in result]


# ---- NumPy references of MXNet's portable kernels ----------------------------------------------


def ref_int8(x: np.ndarray, real: float) -> np.ndarray:
    """FloatToQuantized<int8>: sign(x) * min(|x| * (127 / R) + 0.5f, 127), truncated."""
    scale = F32(127) / F32(real)
    level = (np.abs(x).astype(F32) * scale).astype(F32) + F32(0.5)
    return np.trunc(np.sign(x) * np.minimum(level, F32(127))).astype(np.int8)


def ref_uint8(x: np.ndarray, low: float, high: float) -> np.ndarray:
    """quantize_unsigned: (x - low) * float(255.0 / (high - low)) + 0.5 (double), truncated;
    saturated outside the range (MXNet wraps there)."""
    scale = F32(255.0 / np.float64(F32(high) - F32(low)))
    level = ((x.astype(F32) - F32(low)).astype(F32) * scale).astype(F32)
    return np.clip(np.floor(level.astype(np.float64) + 0.5), 0, 255).astype(np.uint8)


def product_range(abs_a: float, levels_a: float, abs_b: float, levels_b: float) -> F32:
    return F32(F32(F32(abs_a) / F32(levels_a)) * F32(F32(abs_b) / F32(levels_b))) * F32(2**31)


def int_conv2d(x: np.ndarray, w: np.ndarray, pad: int = 0) -> np.ndarray:
    """Exact integer cross-correlation of (N, C, H, W) with (F, C, kh, kw), stride 1."""
    xp = np.pad(x.astype(np.int64), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    f, _, kh, kw = w.shape
    oh, ow = xp.shape[2] - kh + 1, xp.shape[3] - kw + 1
    out = np.zeros((x.shape[0], f, oh, ow), np.int64)
    for i in range(kh):
        for j in range(kw):
            out += np.einsum("nchw,fc->nfhw", xp[:, :, i:i + oh, j:j + ow],
                             w[:, :, i, j].astype(np.int64))
    return out


def bias_levels(bias: np.ndarray, abs_bias: float, max_out: F32) -> np.ndarray:
    """QuantizedSumInitKernelWithBias: bias * (R_bias / 127) / (R_out / INT32_MAX)."""
    one_out = F32(np.float64(max_out) / (2**31 - 1))
    one_bias = F32(np.float64(F32(abs_bias)) / 127.0)
    return np.trunc((bias.astype(F32) * one_bias).astype(F32) / one_out).astype(np.int64)


floats = hnp.arrays(F32, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5),
                    elements=st.floats(-4, 4, width=32))


# ---- quantize, quantize_v2, quantize_asym ------------------------------------------------------


_X = np.array([-1.0, -0.5, 0.0, 0.25, 0.5, 1.0, 0.3, -0.7, 0.00393, 0.0059], F32)


def test_quantize_matches_mxnet() -> None:
    # expected values from MXNet's portable (non-MKL-DNN) kernels
    q, lo, hi = values(C.quantize(mx.nd.array(_X), r(-1), r(1), out_type="int8"))
    assert q.dtype == np.int8 and q.tolist() == [-127, -64, 0, 32, 64, 127, 38, -89, 0, 1]
    assert lo.shape == (1,) and (lo[0], hi[0]) == (-1, 1)
    q, lo, hi = values(C.quantize(mx.nd.array(_X), r(-1), r(1)))  # uint8 by default
    assert q.dtype == np.uint8 and q.tolist() == [0, 64, 128, 159, 191, 255, 166, 38, 128, 128]
    assert (lo[0], hi[0]) == (-1, 1)
    # out of range: saturated (MXNet's uint8 kernel wraps 2.0 to 127 and -3.0 to 2)
    q, _, _ = values(C.quantize(mx.nd.array([2.0, -3.0]), r(-1), r(1)))
    assert q.tolist() == [255, 0]
    q, lo, hi = values(C.quantize(mx.nd.array([2.0, -3.0]), r(0.5), r(-2), out_type="int8"))
    assert q.tolist() == [127, -127] and (lo[0], hi[0]) == (-2, 2)


def test_quantize_nan_gives_zero() -> None:
    # MXNet converts NaN with an undefined cast, which gives 0 on x86
    for dtype in ("int8", "uint8"):
        q = C.quantize(mx.nd.array([np.nan, 1.0]), r(-1), r(1), out_type=dtype)[0].asnumpy()
        assert q[0] == 0


@given(x=floats, low=st.floats(-3, -0.1), high=st.floats(0.1, 3), dtype=st.sampled_from(
    ["int8", "uint8"]))
@settings(max_examples=15, deadline=None)
def test_quantize_against_reference_eager_and_jit(x: np.ndarray, low: float, high: float,
                                                  dtype: str) -> None:
    low, high = float(F32(low)), float(F32(high))
    want = ref_int8(x, max(-low, high)) if dtype == "int8" else ref_uint8(x, low, high)
    eager = values(C.quantize(mx.nd.array(x), r(low), r(high), out_type=dtype))
    jitted = values(mx.jit(lambda a, b, c: C.quantize(a, b, c, out_type=dtype))(
        mx.nd.array(x), r(low), r(high)))
    for got in (eager, jitted):
        assert got[0].dtype == dtype and got[0].shape == x.shape
        np.testing.assert_array_equal(got[0], want)


def test_quantize_v2_uncalibrated_uses_the_data_range() -> None:
    x = mx.nd.array(np.append(_X, [2.0, -3.0]))
    q, lo, hi = values(C.quantize_v2(x))  # int8 by default; values from MXNet (portable)
    assert q.dtype == np.int8
    assert q.tolist() == [-42, -21, 0, 11, 21, 42, 13, -30, 0, 0, 85, -127]
    assert (lo[0], hi[0]) == (-3, 3)
    q, lo, hi = values(C.quantize_v2(x, out_type="uint8"))
    assert q.tolist() == [102, 128, 153, 166, 179, 204, 168, 117, 153, 153, 255, 0]
    assert (lo[0], hi[0]) == (-3, 2)


def test_quantize_v2_calibrated_and_auto() -> None:
    x = mx.nd.array(_X)
    q, lo, hi = values(C.quantize_v2(x, min_calib_range=-1.0, max_calib_range=1.0))
    assert q.tolist() == [-127, -64, 0, 32, 64, 127, 38, -89, 0, 1] and hi[0] == 1
    q, lo, hi = values(C.quantize_v2(x, out_type="auto", min_calib_range=-1.0,
                                     max_calib_range=1.0))
    assert q.dtype == np.int8
    q, lo, hi = values(C.quantize_v2(x, out_type="auto", min_calib_range=0.0,
                                     max_calib_range=1.0))
    assert q.dtype == np.uint8 and (lo[0], hi[0]) == (0, 1)
    np.testing.assert_array_equal(q, ref_uint8(_X, 0.0, 1.0))
    empty, lo, _ = values(C.quantize_v2(mx.nd.zeros((0, 3)), min_calib_range=-1.0,
                                        max_calib_range=1.0))
    assert empty.shape == (0, 3) and lo[0] == -1


def test_quantize_v2_passes_quantized_data_through() -> None:
    # as MXNet: the bytes are kept, typed as out_type; the range is the dtype's or the calibrated
    u8 = mx.nd.array([0, 1, 200], dtype="uint8")
    q, lo, hi = values(C.quantize_v2(u8))
    assert q.dtype == np.int8 and q.tolist() == [0, 1, -56] and (lo[0], hi[0]) == (0, 255)
    q, lo, hi = values(C.quantize_v2(mx.nd.array([-128, 1], dtype="int8"), out_type="uint8"))
    assert q.tolist() == [128, 1] and (lo[0], hi[0]) == (-127, 127)
    q, lo, hi = values(C.quantize_v2(u8, out_type="uint8", min_calib_range=0.0,
                                     max_calib_range=3.0))
    assert q.tolist() == [0, 1, 200] and (lo[0], hi[0]) == (0, 3)


@given(x=floats.filter(lambda a: a.size > 0 and a.max() > a.min()), calibrated=st.booleans())
@settings(max_examples=15, deadline=None)
def test_quantize_asym_against_reference(x: np.ndarray, calibrated: bool) -> None:
    low, high = (F32(-2.5), F32(3.0)) if calibrated else (x.min(), x.max())
    kw = {"min_calib_range": -2.5, "max_calib_range": 3.0} if calibrated else {}
    q, scale, shift = values(C.quantize_asym(mx.nd.array(x), **kw))
    with np.errstate(over="ignore"):
        want_scale = F32(255) / F32(high - low)
    # a range of a few subnormals overflows the scale to inf: the levels are then 0 * inf, undefined
    assume(np.isfinite(want_scale))
    want_shift = F32(255) - F32(high * want_scale)
    np.testing.assert_allclose(scale, [want_scale], rtol=1e-6)
    np.testing.assert_allclose(shift, [want_shift], rtol=1e-6, atol=1e-4)
    level = (x * scale[0]).astype(F32) + shift[0]
    want = np.clip(np.floor(level.astype(np.float64) + 0.5), 0, 255)
    # the kernel may fuse the product and the sum into one FMA (one rounding, not two):
    # at a tie that moves a level by one step
    fused = (x.astype(np.float64) * scale[0] + shift[0]).astype(F32)
    want_fused = np.clip(np.floor(fused.astype(np.float64) + 0.5), 0, 255)
    assert q.dtype == np.uint8
    assert np.all((q == want) | (q == want_fused)), (q, want, want_fused)


def test_quantize_asym_scale_and_shift() -> None:
    x = mx.nd.array(np.append(_X, [2.0, -3.0]).reshape(1, 1, 12))
    q, scale, shift = values(C.quantize_asym(x))
    assert (scale[0], shift[0]) == (51, 153)  # as MXNet 1.9.1 gives
    assert q.reshape(-1)[-2:].tolist() == [255, 0]


# ---- dequantize, requantize --------------------------------------------------------------------


def test_dequantize_matches_mxnet() -> None:
    # expected values from MXNet's portable kernels
    q = mx.nd.array([-128, -127, -1, 0, 1, 64, 127], dtype="int8")
    got = C.dequantize(q, r(-2), r(1)).asnumpy()
    assert got.dtype == F32
    np.testing.assert_allclose(got, [-2.0157480239868164, -2.0, -0.015748031437397003, 0.0,
                                     0.015748031437397003, 1.0078740119934082, 2.0], rtol=1e-7)
    u = mx.nd.array([0, 1, 127, 128, 255], dtype="uint8")
    np.testing.assert_allclose(C.dequantize(u, r(-1), r(3)).asnumpy(),
                               [-1.0, -0.9843137264251709, 0.992156982421875, 1.007843255996704,
                                3.0], rtol=1e-6)


@given(x=floats)
@settings(max_examples=10, deadline=None)
def test_quantize_dequantize_round_trip(x: np.ndarray) -> None:
    for dtype in ("int8", "uint8"):
        q, lo, hi = C.quantize(mx.nd.array(x), r(-4), r(4), out_type=dtype)
        back = C.dequantize(q, lo, hi).asnumpy()
        np.testing.assert_allclose(back, x, atol=8 / 255 + 1e-6)


_I32 = np.array([-2147483647, -1000000000, -12345678, 0, 1, 16777217, 999999999, 2147483647],
                np.int32)


def test_requantize_matches_mxnet() -> None:
    # expected values from MXNet's portable kernels
    q, lo, hi = values(C.requantize(mx.nd.array(_I32, dtype="int32"), r(-10), r(10)))
    assert q.dtype == np.int8 and q.tolist() == [-127, -59, -1, 0, 0, 1, 59, 127]
    assert (lo[0], hi[0]) == (-10, 10)
    q, lo, hi = values(C.requantize(mx.nd.array(_I32, dtype="int32"), r(-10), r(10),
                                    min_calib_range=-3.0, max_calib_range=4.0))
    assert q.tolist() == [-127, -127, -2, 0, 0, 2, 127, 127] and (lo[0], hi[0]) == (-4, 4)


def test_requantize_to_uint8() -> None:
    data = mx.nd.array(_I32, dtype="int32")
    # calibrated from 0 up with 'auto': MXNet 1.9.1 (MKL-DNN) gives these values
    q, lo, hi = values(C.requantize(data, r(-10), r(10), out_type="auto", min_calib_range=0.0,
                                    max_calib_range=4.0))
    assert q.dtype == np.uint8 and q.tolist() == [0, 0, 0, 0, 0, 5, 255, 255]
    assert (lo[0], hi[0]) == (0, 4)
    # uncalibrated: over [0, the largest |value|] (MXNet's MKL-DNN kernel overflows here)
    q, lo, hi = values(C.requantize(data, r(-10), r(10), out_type="uint8"))
    x = _I32.astype(F32) * F32(F32(10) / F32(2**31))
    want = np.clip(np.rint(x * F32(F32(255) / F32(10))), 0, 255)
    np.testing.assert_array_equal(q, want)
    assert (lo[0], hi[0]) == (0, 10)


@given(data=hnp.arrays(np.int32, hnp.array_shapes(max_dims=2, max_side=6),
                       elements=st.integers(-2**31, 2**31 - 1)),
       calib=st.one_of(st.none(), st.floats(0.5, 20)))
@settings(max_examples=15, deadline=None)
def test_requantize_to_int8_against_reference(data: np.ndarray, calib: float | None) -> None:
    level = F32(F32(6) / F32(2**31))
    x = (data.astype(F32) * level).astype(F32)
    if calib is not None:
        real = float(F32(calib))
        kw = {"min_calib_range": -calib, "max_calib_range": calib / 2}
    else:
        real = float(np.abs(x).max(initial=0))
        kw = {}
    q, lo, hi = values(mx.jit(lambda d, a, b: C.requantize(d, a, b, **kw))(
        mx.nd.array(data, dtype="int32"), r(-6), r(3)))
    np.testing.assert_array_equal(q, ref_int8(x, real) if real else np.zeros_like(q))
    assert (lo[0], hi[0]) == (-F32(real), F32(real))


# ---- layers ------------------------------------------------------------------------------------


def test_quantized_act_flatten_embedding() -> None:
    q8 = mx.nd.array([-128, -127, -1, 0, 1, 64, 127], dtype="int8")
    y, lo, hi = values(C.quantized_act(q8, r(-1), r(1), act_type="relu"))
    assert y.dtype == np.int8 and y.tolist() == [0, 0, 0, 0, 1, 64, 127] and hi[0] == 1
    # uint8 stays uint8 (MXNet types the result int8 and wraps 128 to -128)
    u8 = mx.nd.array([0, 128, 255], dtype="uint8")
    y, lo, _ = values(C.quantized_act(u8, r(0), r(1), act_type="relu"))
    assert y.dtype == np.uint8 and y.tolist() == [0, 128, 255] and lo[0] == 0
    data = np.arange(24).reshape(2, 3, 4).astype(np.int8)
    y, lo, hi = values(C.quantized_flatten(mx.nd.array(data, dtype="int8"), r(-1), r(2)))
    assert y.shape == (2, 12) and y.dtype == np.int8 and (lo[0], hi[0]) == (-1, 2)
    np.testing.assert_array_equal(y, data.reshape(2, 12))
    weight = mx.nd.array(np.arange(12).reshape(4, 3) - 6, dtype="int8")
    y, lo, hi = values(C.quantized_embedding(mx.nd.array([0, 3, 5, -1, 1.7]), weight, r(-1),
                                             r(2), input_dim=4, output_dim=3))
    # MXNet's values: indices clipped to [0, 3], 1.7 truncated to 1
    assert y.dtype == np.int8 and y.reshape(-1).tolist() == [-6, -5, -4, 3, 4, 5, 3, 4, 5, -6,
                                                             -5, -4, -3, -2, -1]
    assert (lo[0], hi[0]) == (-1, 2)


def test_quantized_concat_matches_mxnet() -> None:
    # MXNet 1.9.1's values (MKL-DNN: 127.5 / 255.5 levels, halves to even)
    a = mx.nd.array([[1, -2, 127]], dtype="int8")
    b = mx.nd.array([[3, 200, 255]], dtype="uint8")
    y, lo, hi = values(C.quantized_concat(a, b, r(-1), r(1), r(0), r(2), num_args=2, dim=0))
    assert y.dtype == np.int8 and y.tolist() == [[0, -1, 64], [1, 100, 127]]
    assert (lo[0], hi[0]) == (-1, 2)
    y, lo, hi = values(C.quantized_concat([a, a, r(-1), r(1), r(-2), r(0.5)], num_args=2))
    assert y.tolist() == [[0, -1, 64, 1, -2, 127]] and (lo[0], hi[0]) == (-2, 1)
    y, lo, hi = values(C.quantized_concat(b, b, r(0), r(1), r(0), r(3), num_args=2))
    assert y.dtype == np.uint8 and y.tolist() == [[1, 67, 85, 3, 200, 255]]


_A = np.array([-128, -100, 5, 127, 3], np.int8)
_B = np.array([-128, 100, -7, 127, 2], np.int8)
_U = np.array([0, 100, 5, 255, 3], np.uint8)


def test_quantized_elemwise_add_matches_mxnet() -> None:
    a, b, u = (mx.nd.array(v, dtype=v.dtype) for v in (_A, _B, _U))
    # MXNet 1.9.1's values (MKL-DNN)
    y, lo, hi = values(C.quantized_elemwise_add(a, b, r(-1), r(1), r(-2), r(2)))
    assert y.dtype == np.int32 and (lo[0], hi[0]) == (-3, 3)
    assert y.tolist() == [-2147483648, 561433664, -50529032, 2139062272, 39300356]
    y, lo, hi = values(C.quantized_elemwise_add(a, b, r(-1), r(1), r(-2), r(2),
                                                min_calib_range=-2.0, max_calib_range=2.0))
    assert y.dtype == np.int8 and y.tolist() == [-128, 50, -4, 127, 4] and hi[0] == 2
    y, lo, hi = values(C.quantized_elemwise_add(u, u, r(0), r(1), r(0), r(2)))
    assert y.tolist() == [0, 840502464, 42025120, 2143281152, 25215072]
    y, lo, hi = values(C.quantized_elemwise_add(u, u, r(0), r(1), r(0), r(2),
                                                min_calib_range=0.0, max_calib_range=2.0))
    assert y.dtype == np.uint8 and y.tolist() == [0, 150, 8, 255, 4]


def test_quantized_elemwise_add_mixed_dtypes_scale_each_input_directly() -> None:
    # MXNet first rounds the uint8 input to int8 (saturating, garbage without calibration)
    y, _, _ = values(C.quantized_elemwise_add(mx.nd.array(_A, dtype="int8"),
                                              mx.nd.array(_U, dtype="uint8"), r(-1), r(1), r(0),
                                              r(2), min_calib_range=-2.0, max_calib_range=2.0))
    out_scale = F32(127.5) / F32(2)
    want = _A * F32(out_scale / F32(127.5)) + _U * F32(out_scale / F32(F32(255.5) / F32(2)))
    np.testing.assert_array_equal(y, np.clip(np.rint(want), -128, 127))


def test_quantized_elemwise_mul() -> None:
    a, b = mx.nd.array(_A, dtype="int8"), mx.nd.array(_B, dtype="int8")
    # MXNet's values (its portable kernel, through the Symbol API)
    y, lo, hi = values(C.quantized_elemwise_mul(a, b, r(-1), r(1), r(-2), r(2)))
    assert y.dtype == np.int32 and y.tolist() == [16384, -10000, -35, 16129, 6]
    assert (lo[0], hi[0]) == (-266288.5, 266288.5)
    y = C.quantized_elemwise_mul(a, b, r(-1), r(1), r(-2), r(2), enable_float_output=True)
    np.testing.assert_allclose(y.asnumpy(), [2.015717029571533, -1.230296015739441,
                                             -0.004306036047637463, 1.984344482421875,
                                             0.0007381776231341064], rtol=1e-6)
    # calibrated: truncated toward zero and saturated (MXNet wraps 257 to 1, -157 to 100)
    y, lo, hi = values(C.quantized_elemwise_mul(a, b, r(-1), r(1), r(-2), r(2),
                                                min_calib_range=-1.0, max_calib_range=1.0))
    scale = F32(F32(F32(127.5) / F32(1)) / F32(127.5)) / F32(F32(127.5) / F32(2))
    want = np.clip(np.trunc((_A.astype(np.int32) * _B).astype(F32) * scale), -128, 127)
    assert y.dtype == np.int8 and y.tolist() == want.tolist() == [127, -128, 0, 127, 0]


_POOL_DATA = np.array([[[[1, 2, 3, 4], [5, 6, -7, 8], [9, -10, 11, 12], [13, 14, 15, -128]]]])


@pytest.mark.parametrize("dtype, params, want", [
    # MXNet 1.9.1's values (MKL-DNN: averages round half to even)
    ("int8", {"pool_type": "avg", "kernel": (2, 2)}, [4, 1, 2, 2, 0, 6, 6, 8, -22]),
    ("int8", {"pool_type": "max", "kernel": (2, 2)}, [6, 6, 8, 9, 11, 12, 14, 15, 15]),
    ("int8", {"pool_type": "avg", "kernel": (3, 3), "pad": (1, 1)},
     [2, 1, 2, 1, 1, 2, 3, 3, 4, 6, -9, -10, 3, 6, -10, -10]),
    ("int8", {"pool_type": "avg", "kernel": (3, 3), "pad": (1, 1), "count_include_pad": False},
     [4, 2, 3, 2, 2, 2, 3, 5, 6, 6, -9, -15, 6, 9, -14, -22]),
    ("int8", {"pool_type": "avg", "global_pool": True}, [-3]),
    ("uint8", {"pool_type": "avg", "kernel": (2, 2)}, [4, 4, 6, 8, 8, 10, 12, 12, 42]),
    ("uint8", {"pool_type": "max", "kernel": (2, 2)}, [6, 7, 8, 10, 11, 12, 14, 15, 128]),
])
def test_quantized_pooling_matches_mxnet(dtype: str, params: dict, want: list) -> None:
    data = np.abs(_POOL_DATA) if dtype == "uint8" else _POOL_DATA
    y, lo, hi = values(C.quantized_pooling(mx.nd.array(data, dtype=dtype), r(-1), r(1),
                                           **params))
    assert y.dtype == dtype and y.reshape(-1).tolist() == want and (lo[0], hi[0]) == (-1, 1)


def test_quantized_fully_connected_matches_mxnet() -> None:
    # MXNet 1.9.1's values
    d = np.array([[-91, 107, 12, -56, 127], [9, 75, 5, -49, 64]], np.int8)
    w = np.array([[16, 1, 76, -57, 109], [124, 6, -103, 50, -108], [126, -27, 18, 84, 11]],
                 np.int8)
    data, weight = mx.nd.array(d, dtype="int8"), mx.nd.array(w, dtype="int8")
    y, lo, hi = values(C.quantized_fully_connected(data, weight, r(-1), r(1), r(-2), r(2),
                                                   num_hidden=3, no_bias=True))
    assert y.dtype == np.int32 and y.tolist() == [[16598, -28394, -17446], [10368, -8311, -4213]]
    assert (lo[0], hi[0]) == (-266288.5, 266288.5)
    bias = mx.nd.array([100, -7, 127], dtype="int8")
    y, _, _ = values(C.quantized_fully_connected(data, weight, bias, r(-1), r(1), r(-2), r(2),
                                                 r(-0.01), r(0.01), num_hidden=3))
    assert y.tolist() == [[16661, -28398, -17366], [10431, -8315, -4133]]
    u = np.array([[252, 234, 156, 157, 142], [50, 68, 215, 215, 233]], np.uint8)
    y, lo, hi = values(C.quantized_fully_connected(mx.nd.array(u, dtype="uint8"), weight,
                                                   min_data=r(0), max_data=r(1),
                                                   min_weight=r(-2), max_weight=r(2),
                                                   num_hidden=3, no_bias=True))
    assert y.tolist() == [[22651, 9098, 42992], [30350, -29951, 28957]]
    assert hi[0] == F32(132622.125)


@given(data=st.data(), flatten=st.booleans())
@settings(max_examples=10, deadline=None)
def test_quantized_fully_connected_is_exact(data: Any, flatten: bool) -> None:
    shape = data.draw(st.sampled_from([(2, 3), (1, 2, 4), (3, 1, 1)]), "shape")
    ints = st.integers(-128, 127)
    x = data.draw(hnp.arrays(np.int8, shape, elements=ints), "x")
    k = int(np.prod(shape[1:])) if flatten else shape[-1]
    w = data.draw(hnp.arrays(np.int8, (4, k), elements=ints), "w")
    b = data.draw(hnp.arrays(np.int8, (4,), elements=ints), "b")
    args = (mx.nd.array(x, dtype="int8"), mx.nd.array(w, dtype="int8"),
            mx.nd.array(b, dtype="int8"), r(-3), r(1), r(-0.5), r(0.25), r(-2), r(2))

    def layer(*a: Any) -> Any:
        return C.quantized_fully_connected(*a, num_hidden=4, flatten=flatten)

    x2 = x.reshape(shape[0], -1) if flatten else x
    max_out = product_range(3, 127, 0.5, 127)
    want = x2.astype(np.int64) @ w.T.astype(np.int64) + bias_levels(b, 2, max_out)
    for got in (values(layer(*args)), values(mx.jit(layer)(*args))):
        np.testing.assert_array_equal(got[0], want)
        assert got[2][0] == max_out


def test_quantized_conv_accumulates_exactly() -> None:
    rng = np.random.RandomState(0)
    x = rng.randint(-128, 128, size=(2, 3, 5, 4)).astype(np.int8)
    w = np.full((2, 3, 3, 3), -128, np.int8)  # extremes: every product is +-16384
    w[1] = rng.randint(-128, 128, size=(3, 3, 3))
    b = np.array([127, -100], np.int8)
    args = [mx.nd.array(v, dtype="int8") for v in (x, w, b)]
    y, lo, hi = values(C.quantized_conv(*args, r(-1), r(1), r(-2), r(1), r(-0.5), r(0.5),
                                        kernel=(3, 3), pad=(1, 1), num_filter=2))
    max_out = product_range(1, 127, 2, 127)
    want = int_conv2d(x, w, pad=1) + bias_levels(b, 0.5, max_out).reshape(1, 2, 1, 1)
    assert y.dtype == np.int32 and y.shape == (2, 2, 5, 4)
    np.testing.assert_array_equal(y, want)
    assert (lo[0], hi[0]) == (-max_out, max_out)


def test_quantized_conv_uint8_data_matches_mxnet_accumulation() -> None:
    # MXNet 1.9.1 (MKL-DNN, which takes uint8 data) gives these int32 sums without bias
    rng = np.random.RandomState(0)
    d = rng.randint(0, 256, size=(1, 2, 3, 3)).astype(np.uint8)
    w = rng.randint(-127, 128, size=(2, 2, 2, 2)).astype(np.int8)
    y, lo, hi = values(C.quantized_conv(mx.nd.array(d, dtype="uint8"),
                                        mx.nd.array(w, dtype="int8"), r(0), r(2), r(-1), r(1),
                                        kernel=(2, 2), num_filter=2, no_bias=True))
    assert y.reshape(-1).tolist() == [-7745, -6787, -7628, 11698, -29385, -20073, -12838,
                                      -27213]
    assert hi[0] == product_range(2, 255, 1, 127)  # uint8 data counts 255 levels


def test_quantized_batch_norm_matches_mxnet() -> None:
    # MXNet 1.9.1's values (MKL-DNN, the only kernel; it ignores fix_gamma, hence False)
    x = mx.nd.array([[[[-128, -5, 0, 3]], [[7, 64, 127, -1]]]], dtype="int8")
    stats = [mx.nd.array(v) for v in ([2.0, 0.5], [0.1, -0.2], [0.05, -0.1], [1.5, 0.25])]
    calib = {"min_calib_range": -3.0, "max_calib_range": 2.0, "fix_gamma": False}
    y, lo, hi = values(C.quantized_batch_norm(x, *stats, r(-1), r(2), **calib))
    assert y.dtype == np.int8 and y.reshape(-1).tolist() == [-128, -5, 1, 4, 0, 38, 80, -5]
    assert (lo[0], hi[0]) == (-3, 2)
    y, _, _ = values(C.quantized_batch_norm(x, *stats, r(-1), r(2), eps=0.01, **calib))
    assert y.reshape(-1).tolist() == [-128, -5, 1, 4, 0, 37, 78, -5]
    u = mx.nd.array([[[[0, 5, 128, 255]], [[7, 64, 127, 1]]]], dtype="uint8")
    y, _, _ = values(C.quantized_batch_norm(u, *stats, r(0), r(2), **calib))
    assert y.reshape(-1).tolist() == [1, 3, 70, 127, -2, 17, 38, -4]
    # fix_gamma (the default) treats gamma as 1, as BatchNorm does
    fixed = [mx.nd.array([1.0, 1.0])] + stats[1:]
    calib["fix_gamma"] = True
    np.testing.assert_array_equal(
        C.quantized_batch_norm(x, *stats, r(-1), r(2), **calib)[0].asnumpy(),
        C.quantized_batch_norm(x, *fixed, r(-1), r(2), **calib)[0].asnumpy())


# ---- calibrate_entropy -------------------------------------------------------------------------


def test_calibrate_entropy_matches_mxnet() -> None:
    data = np.random.RandomState(0).normal(size=20000).astype(F32)
    # MXNet 1.9.1's thresholds and divergences
    for bins, quantized, threshold, divergence in [(101, 15, 2.97029709815979, 0.0074916),
                                                   (31, 7, 1.9354838132858276, 0.0099893),
                                                   (32, 7, 2.0, 0.0146460)]:
        hist, edges = np.histogram(data, bins=bins, range=(-4, 4))
        thr, div = values(C.calibrate_entropy(mx.nd.array(hist.astype(F32)),
                                              mx.nd.array(edges.astype(F32)),
                                              num_quantized_bins=quantized))
        assert thr.shape == div.shape == (1,) and thr.dtype == F32
        assert thr[0] == F32(threshold)
        np.testing.assert_allclose(div, [divergence], rtol=1e-4)
    hist = np.zeros(21, F32)
    hist[10], hist[3] = 5, 2.5
    thr, div = values(C.calibrate_entropy(mx.nd.array(hist), mx.nd.array(
        np.linspace(-1, 1, 22).astype(F32)), num_quantized_bins=5))
    assert thr[0] == F32(0.8095238208770752)
    np.testing.assert_allclose(div, [0.00539117306470871], rtol=1e-3)


# ---- no gradients ------------------------------------------------------------------------------


def test_gradients_are_zero() -> None:
    x = mx.nd.array([[0.5, -1.5], [2.0, 0.25]])

    def round_trip(data: Any, low: Any, high: Any) -> Any:
        q, lo, hi = C.quantize(data, low, high, out_type="int8")
        return (C.dequantize(q, lo, hi) + lo + hi).sum()

    grads = mx.grad(round_trip, argnums=(0, 1, 2))(x, r(-2), r(2))
    assert all(not g.asnumpy().any() for g in grads)
    x.attach_grad()
    with mx.autograd.record():
        q, lo, hi = C.quantize_v2(x * 2)
        y = (C.dequantize(q, lo, hi) * x).sum() + hi.sum()
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), C.dequantize(q, lo, hi).asnumpy())


def test_eager_and_jit_agree_on_a_quantized_layer() -> None:
    rng = np.random.RandomState(3)
    x = mx.nd.array(rng.uniform(-1, 1, size=(2, 3, 4, 4)).astype(F32))
    w = mx.nd.array(rng.randint(-127, 128, size=(4, 3, 3, 3)), dtype="int8")

    def layer(data: Any, weight: Any) -> Any:
        q, lo, hi = C.quantize_v2(data)
        y, ylo, yhi = C.quantized_conv(q, weight, lo, hi, r(-1), r(1), kernel=(3, 3),
                                       num_filter=4, no_bias=True)
        y, ylo, yhi = C.requantize(y, ylo, yhi)
        y, ylo, yhi = C.quantized_pooling(y, ylo, yhi, kernel=(2, 2), pool_type="avg")
        return C.dequantize(y, ylo, yhi)

    np.testing.assert_array_equal(layer(x, w).asnumpy(), mx.jit(layer)(x, w).asnumpy())


# ---- errors ------------------------------------------------------------------------------------


_I8 = mx.nd.array([1, 2], dtype="int8")
_F = mx.nd.array([1.0, 2.0])


@pytest.mark.parametrize("call, error, match", [
    (lambda: C.quantize(_I8, r(0), r(1)), DTypeError, "quantize: data must be float32"),
    (lambda: C.quantize(_F, r(0), r(1), out_type="auto"), ParamError, "'int8' or 'uint8'"),
    (lambda: C.quantize(_F, mx.nd.array([0, 1]), r(1)), ShapeError, "min_range must hold one"),
    (lambda: C.quantize(_F, 0.0, r(1)), ArgumentError, "min_range must be an array"),
    (lambda: C.quantize_v2(_F, out_type="int4"), ParamError, "out_type must be one of"),
    (lambda: C.quantize_v2(_F, min_calib_range=0.0), ParamError, "give both"),
    (lambda: C.quantize_v2(mx.nd.zeros((0, 2))), ShapeError, "empty data"),
    (lambda: C.dequantize(_I8, r(0), r(1), out_type="float16"), ParamError, "'float32'"),
    (lambda: C.dequantize(_F, r(0), r(1)), DTypeError, "int8 or uint8"),
    (lambda: C.requantize(_I8, r(0), r(1)), DTypeError, "requantize: data must be int32"),
    (lambda: C.quantized_act(_I8, r(0), r(1), act_type="tanh"), ParamError, "relu"),
    (lambda: C.quantized_concat(_I8, r(0), r(1), num_args=2), ParamError, "3 \\* num_args"),
    (lambda: C.quantized_elemwise_add(_I8, mx.nd.ones(3, dtype="int8"), r(0), r(1), r(0), r(1)),
     ShapeError, "same shape"),
    (lambda: C.quantized_elemwise_mul(_I8, mx.nd.ones(2, dtype="uint8"), r(0), r(1), r(0),
                                      r(1)), DTypeError, "rhs must be int8"),
    (lambda: C.quantized_pooling(mx.nd.ones((1, 1, 2, 2), dtype="int8"), r(0), r(1),
                                 kernel=(2, 2), pool_type="sum"), ParamError, "'max' or 'avg'"),
    (lambda: C.quantized_fully_connected(_I8, mx.nd.ones((2, 2), dtype="int8"), _I8, r(0), r(1),
                                         r(0), r(1), num_hidden=2, no_bias=True), ParamError,
     "no_bias=True"),
    (lambda: C.quantized_fully_connected(_I8, mx.nd.ones((2, 2), dtype="int8"), _I8, r(0), r(1),
                                         r(0), r(1), num_hidden=2), ParamError,
     "'min_bias' is required"),
    (lambda: C.quantized_fully_connected(_I8, mx.nd.ones((2, 2), dtype="int8"), None, r(0), r(1),
                                         r(0), r(1), num_hidden=2), ParamError, "bias is required"),
    (lambda: C.quantized_fully_connected(mx.nd.ones((1, 2), dtype="int8"),
                                         mx.nd.ones((2, 2), dtype="int8"),
                                         mx.nd.ones(3, dtype="int8"), r(0), r(1), r(0), r(1),
                                         r(0), r(1), num_hidden=2), ShapeError, "bias"),
    (lambda: C.quantized_conv(mx.nd.ones((1, 2, 3, 3), dtype="int8"),
                              mx.nd.ones((2, 1, 1, 1), dtype="int8"), r(0), r(1), r(0), r(1),
                              kernel=(1, 1), num_filter=2, num_group=2, no_bias=True),
     ParamError, "num_group=1"),
    (lambda: C.quantized_conv(mx.nd.ones((1, 2, 3, 3), dtype="int8"),
                              mx.nd.ones((2, 2, 1, 1), dtype="int8"),
                              mx.nd.ones(3, dtype="int8"), r(0), r(1), r(0), r(1), r(0), r(1),
                              kernel=(1, 1), num_filter=2), ShapeError, "bias"),
    (lambda: C.quantized_batch_norm(mx.nd.ones((1, 2), dtype="int8"), *[mx.nd.ones(2)] * 4, r(0),
                                    r(1)), ParamError, "calib_range"),
    (lambda: C.calibrate_entropy(mx.nd.ones(5), mx.nd.ones(5)), ShapeError, "one more element"),
    (lambda: C.calibrate_entropy(mx.nd.ones(5), mx.nd.ones(6), num_quantized_bins=9),
     ParamError, "num_quantized_bins"),
    # (MXNet aborts on its check p > 0 and q > 0 here)
    (lambda: C.calibrate_entropy(mx.nd.array([1e-6, 0, 5, 0, 0]), mx.nd.ones(6),
                                 num_quantized_bins=3), ParamError, "non-positive"),
])
def test_errors(call: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()


def test_calibrate_entropy_needs_concrete_values() -> None:
    f = mx.jit(lambda h, e: C.calibrate_entropy(h, e))
    with pytest.raises(TracerError, match="calibrate_entropy"):
        f(mx.nd.ones(5), mx.nd.ones(6))
