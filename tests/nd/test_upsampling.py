"""UpSampling in every mode MXNet has, against values of MXNet 1.9.1 and NumPy references
written here, eagerly and under mx.jit, with gradients (the basic cases and most errors
are in test_more_ops.py).
"""
from __future__ import annotations

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import DTypeError, ShapeError
from tests.helpers import assert_eager_and_jit, check_grads

nd = mx.nd


def rand(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape)


def nearest_np(x, s):
    return x.repeat(s, axis=2).repeat(s, axis=3)


def test_bilinear_mxnet_documentation_example():
    # (the example of MXNet's UpSampling documentation, which MXNet 1.9.1 reproduces)
    got = nd.UpSampling(nd.ones((1, 1, 3, 3)), nd.ones((1, 1, 4, 4)), scale=2,
                        sample_type="bilinear", num_filter=1)
    edge = [1, 2, 2, 2, 2, 1]
    inner = [2, 4, 4, 4, 4, 2]
    np.testing.assert_array_equal(got.asnumpy()[0, 0], [edge] + [inner] * 4 + [edge])


def test_nearest_sum_of_a_smaller_input_mxnet_values():
    # (MXNet 1.9.1: the (2, 1, 1, 1) input is repeated over the first one's 2x2 maps)
    a = nd.array(np.arange(8).reshape(2, 1, 2, 2))
    b = nd.array([[[[10]]], [[[20]]]])
    got = nd.UpSampling(a, b, scale=1, sample_type="nearest", multi_input_mode="sum",
                        num_args=2)
    np.testing.assert_array_equal(got.asnumpy(), [[[[10, 11], [12, 13]]], [[[24, 25], [26, 27]]]])


@pytest.mark.parametrize("mode", ["concat", "sum"])
def test_nearest_several_inputs_eager_jit_and_gradients(mode):
    a, b, c = rand(2, 2, 2, 2), rand(2, 2, 4, 4, seed=1), rand(2, 2, 1, 1, seed=2)
    parts = [nearest_np(a, 2), b, nearest_np(c, 4)]
    want = np.concatenate(parts, axis=1) if mode == "concat" else sum(parts)
    assert_eager_and_jit(lambda *xs: nd.UpSampling(*xs, scale=2, sample_type="nearest",
                                                   multi_input_mode=mode), want, a, b, c)
    check_grads(lambda *xs: nd.UpSampling(*xs, scale=2, multi_input_mode=mode) ** 2,
                [a[:1], b[:1], c[:1]], order=2)


def test_nearest_integers_and_empty():
    x = np.arange(6).reshape(1, 1, 2, 3)
    got = nd.UpSampling(nd.array(x, dtype="int32"), scale=3, sample_type="nearest")
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got.asnumpy(), nearest_np(x, 3))
    assert nd.UpSampling(nd.zeros((0, 2, 2, 2)), scale=2).shape == (0, 2, 4, 4)


def test_bilinear_jit_and_float32():
    w = rand(3, 1, 4, 4, seed=3)
    x = rand(1, 3, 2, 2, seed=4)
    f = lambda v, k: nd.UpSampling(v, k, scale=2, sample_type="bilinear", num_filter=3)  # noqa
    eager = f(nd.array(x), nd.array(w))
    traced = mx.jit(f)(nd.array(x), nd.array(w))
    assert eager.shape == (1, 3, 4, 4) and eager.dtype == np.float32
    np.testing.assert_allclose(traced.asnumpy(), eager.asnumpy(), rtol=1e-6)


@pytest.mark.parametrize("shapes, dtypes, kwargs, error, match", [
    (((1, 1, 2, 2), (1, 1, 2, 2)), ("float32", "float64"), {}, DTypeError, "share a dtype"),
    (((2, 1, 2, 2), (1, 1, 4, 4)), ("float32", "float32"), {}, ShapeError, "one integer factor"),
    (((1, 1, 2, 2), (1, 1, 1, 2)), ("float32", "float32"), {}, ShapeError, "one integer factor"),
    (((1, 2, 2, 2), (2, 1, 4, 4)), ("float32", "float64"),
     {"sample_type": "bilinear", "num_filter": 2}, DTypeError, "share a dtype"),
])
def test_errors(shapes, dtypes, kwargs, error, match):
    arrays = [nd.ones(s, dtype=d) for s, d in zip(shapes, dtypes)]
    with pytest.raises(error, match=match):
        nd.UpSampling(*arrays, scale=2, **kwargs)
