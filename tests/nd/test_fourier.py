"""contrib.fft, contrib.ifft and contrib.count_sketch against NumPy (np.fft and a loop),
eagerly and under mx.jit, with gradients and every user error; the lengths cover the dense
transform, the four-step split and Bluestein's prime-length convolution.

MXNet 1.9.1 has these only on the GPU; their semantics (unnormalised transforms, the
interleaved (real, imaginary) layout, the sketch's scatter-add) are read from its sources.
"""
from __future__ import annotations

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import DTypeError, ParamError, ShapeError
from tests.helpers import assert_eager_and_jit, check_grads

C = mx.nd.contrib


def rand(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape)


def interleave(z: np.ndarray) -> np.ndarray:
    return np.stack([z.real, z.imag], axis=-1).reshape(z.shape[:-1] + (2 * z.shape[-1],))


@pytest.mark.parametrize("shape", [
    (3, 5), (2, 1, 3, 8), (1, 1), (0, 4),
    (2, 96),  # four-step: 8 x 12
    (2, 67),  # a prime above the dense limit: Bluestein's chirp convolution
    (1, 2, 1, 134),  # 2 x 67: both
])
def test_fft_and_ifft_match_numpy(shape):
    x = rand(*shape)
    assert_eager_and_jit(C.fft, interleave(np.fft.fft(x)), x, rtol=1e-10, atol=1e-10)
    z = rand(*shape[:-1], 2 * shape[-1], seed=1)
    spectrum = z[..., 0::2] + 1j * z[..., 1::2]
    want = (np.fft.ifft(spectrum) * shape[-1]).real  # unnormalised, real part
    assert_eager_and_jit(C.ifft, want, z, rtol=1e-10, atol=1e-10)


def test_float32_float16_and_round_trip():
    x = rand(4, 6).astype(np.float32)
    y = C.fft(mx.nd.array(x))
    assert y.dtype == np.float32 and y.shape == (4, 12)
    np.testing.assert_allclose(C.ifft(y).asnumpy(), 6 * x, rtol=1e-5, atol=1e-5)
    half = C.fft(mx.nd.array(x, dtype="float16"))
    assert half.dtype == np.float16
    np.testing.assert_allclose(half.asnumpy(), interleave(np.fft.fft(x.astype(np.float16))),
                               rtol=1e-2, atol=2e-2)


def test_impulse_and_exact_quarter_turns():
    got = C.fft(mx.nd.array([[1, 0, 0, 0]])).asnumpy()
    np.testing.assert_array_equal(got, [[1, 0, 1, 0, 1, 0, 1, 0]])
    got = C.ifft(mx.nd.array([[1, 0, 1, 0, 1, 0, 1, 0]], dtype="float64")).asnumpy()
    np.testing.assert_array_equal(got, [[4, 0, 0, 0]])


def test_fft_ifft_gradients():
    # linear maps: order 2 checks that the second derivative vanishes; MXNet's backward is the
    # inverse transform for fft and the forward one for ifft, which these are
    check_grads(lambda v: C.fft(v) * C.fft(v), [rand(2, 5)], order=2)
    check_grads(lambda v: C.ifft(v) ** 2, [rand(2, 1, 1, 6, seed=2)], order=2)
    check_grads(lambda v: C.fft(v) ** 2, [rand(1, 67, seed=3)], order=1)  # (Bluestein)
    check_grads(lambda v: C.ifft(v) ** 2, [rand(1, 2 * 72, seed=4)], order=1)  # (four-step)


def test_fft_nan_propagates():
    got = C.fft(mx.nd.array([[np.nan, 1.0]])).asnumpy()
    assert np.isnan(got[0, [0, 2]]).all()


@pytest.mark.parametrize("call, error, match", [
    (lambda: C.fft(mx.nd.ones((2, 3, 4))), ShapeError, r"\(N, d\) or \(N1, N2, N3, d\)"),
    (lambda: C.ifft(mx.nd.ones((5,))), ShapeError, r"\(N, d\) or \(N1, N2, N3, d\)"),
    (lambda: C.ifft(mx.nd.ones((2, 5))), ShapeError, "must be even"),
    (lambda: C.fft(mx.nd.ones((2, 2), dtype="int32")), DTypeError, "floating-point"),
])
def test_fft_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---- count_sketch ------------------------------------------------------------------------


def count_sketch_np(x, h, s, out_dim):
    out = np.zeros(x.shape[:-1] + (out_dim,))
    for i, (k, sign) in enumerate(zip(np.trunc(h[0]).astype(int), s[0])):
        if 0 <= k < out_dim:
            out[..., k] += sign * x[..., i]
    return out


@pytest.mark.parametrize("shape, out_dim", [((3, 6), 4), ((2, 1, 2, 5), 7), ((0, 3), 2)])
def test_count_sketch_matches_numpy(shape, out_dim):
    d = shape[-1]
    rng = np.random.default_rng(3)
    h = rng.integers(0, out_dim, (1, d)).astype(np.float64)
    s = rng.choice([-1.0, 1.0], (1, d))
    x = rand(*shape, seed=4)
    assert_eager_and_jit(lambda v, hh, ss: C.count_sketch(v, hh, ss, out_dim=out_dim),
                         count_sketch_np(x, h, s, out_dim), x, h, s)


def test_count_sketch_mxnet_example_and_out_of_range_hashes():
    # (the example of MXNet's documentation)
    x = mx.nd.array([[1.2, 2.5, 3.4], [3.2, 5.7, 6.6]])
    h, s = mx.nd.array([[0, 3, 4]]), mx.nd.array([[1, -1, 1]])
    np.testing.assert_allclose(C.count_sketch(x, h, s, out_dim=5).asnumpy(),
                               [[1.2, 0, 0, -2.5, 3.4], [3.2, 0, 0, -5.7, 6.6]], rtol=1e-6)
    # hashes outside [0, out_dim) add nothing (MXNet's GPU kernel would write out of bounds),
    # fractional ones truncate as MXNet's float-to-index conversion does
    h = mx.nd.array([[-1, 5, 2.7]])
    np.testing.assert_allclose(C.count_sketch(x, h, s, out_dim=5).asnumpy(),
                               [[0, 0, 3.4, 0, 0], [0, 0, 6.6, 0, 0]], rtol=1e-6)


def test_count_sketch_gradients():
    rng = np.random.default_rng(5)
    h = mx.nd.array(rng.integers(0, 3, (1, 4)), dtype="float64")
    # w.r.t. data (as MXNet) and the signs (MXNet leaves theirs unwritten)
    check_grads(lambda v, ss: C.count_sketch(v, h, ss, out_dim=3) ** 2,
                [rand(2, 4, seed=6), rng.choice([-1.0, 1.0], (1, 4))], order=2)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"out_dim": 0}, ParamError, "out_dim must be a positive int"),
    ({"h": (2, 3)}, ShapeError, r"h must have shape \(1, 3\)"),
    ({"s": (3,)}, ShapeError, r"s must have shape \(1, 3\)"),
    ({"data": (2, 3, 3)}, ShapeError, r"\(N, d\) or \(N1, N2, N3, d\)"),
    ({"h_dtype": "int32"}, DTypeError, "h must have data's dtype float32"),
])
def test_count_sketch_errors(kwargs, error, match):
    data = mx.nd.ones(kwargs.get("data", (2, 3)))
    h = mx.nd.zeros(kwargs.get("h", (1, 3)), dtype=kwargs.get("h_dtype", "float32"))
    s = mx.nd.ones(kwargs.get("s", (1, 3)))
    with pytest.raises(error, match=match):
        C.count_sketch(data, h, s, out_dim=kwargs.get("out_dim", 4))
