"""2-bit gradient compression: MXNet's quantization with error feedback, its bit layout,
and the 'device' store's results (the numbers real MXNet 1.9.1 prints)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mxjit as mx
from mxjit.base import ParamError
from mxjit.kvstore.compression import TwoBitCompression, parse_compression_params


def reference_quantize(residual, grad, t):
    """MXNet's quantize_2bit, one value at a time."""
    out = np.zeros_like(grad)
    for i, g in enumerate(grad):
        residual[i] += g
        if residual[i] >= t:
            out[i], residual[i] = t, residual[i] - t
        elif residual[i] <= -t:
            out[i], residual[i] = -t, residual[i] + t
    return out


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-3, 3, width=32), min_size=1, max_size=40),
       st.floats(0.125, 2.0, width=32))
def test_quantize_then_dequantize_matches_mxnets_loop_twice_in_a_row(values, t):
    grad = np.array(values, np.float32)
    gc = TwoBitCompression(t)
    residual = np.zeros_like(grad)
    for _ in range(2):  # (the second round sends part of the first's residual)
        got = gc.dequantize(gc.quantize("k", grad), grad.size)
        np.testing.assert_array_equal(got, reference_quantize(residual, grad, np.float32(t)))
        assert gc.quantize("k", np.zeros_like(grad)).size == -(-grad.size // 16) * 4


def test_bit_layout_is_mxnets_first_value_in_the_high_bits():
    gc = TwoBitCompression(0.5)
    packed = gc.quantize("k", np.array([1, -1, 0, 1] + [0] * 12, np.float32))
    assert packed.dtype == np.uint8 and packed.size == 4  # (16 values: one float's bytes)
    assert packed[0] == 0b11_10_00_11


def test_device_store_compresses_each_device_with_its_own_residual():
    kv = mx.kv.create("device")
    kv.set_gradient_compression({"type": "2bit", "threshold": 0.5})
    kv.init(1, mx.nd.zeros((4,)))
    grad = [0.3, 0.6, -0.7, 1.2]
    out = mx.nd.zeros((4,))
    kv.push(1, [mx.nd.array(grad), mx.nd.array(grad)])
    kv.pull(1, out=out)
    np.testing.assert_array_equal(out.asnumpy(), [0, 1, -1, 1])
    kv.push(1, [mx.nd.array(grad), mx.nd.array(grad)])
    kv.pull(1, out=out)
    np.testing.assert_array_equal(out.asnumpy(), [1, 1, -1, 1])
    kv.push(1, mx.nd.array(grad))
    kv.pull(1, out=out)
    np.testing.assert_array_equal(out.asnumpy(), [0, 0.5, -0.5, 0.5])


def test_compression_parameters_are_checked():
    assert parse_compression_params({"type": "2bit"}) == 0.5
    with pytest.raises(ParamError, match="Required parameter type"):
        parse_compression_params({"threshold": 1})
    with pytest.raises(ParamError, match="Unknown type for gradient compression 1bit"):
        parse_compression_params({"type": "1bit"})
    with pytest.raises(ParamError, match="threshold must be greater than 0"):
        mx.kv.create("device").set_gradient_compression({"type": "2bit", "threshold": -1})
