"""SoftmaxActivation, SVMOutput and IdentityAttachKLSparseReg against NumPy references
written here (and a few values printed by MXNet 1.9.1): forward values, their MXNet-style
backward passes, eagerly, under mx.jit and mx.grad, and every user error."""
import numpy as np
import pytest

import mxjit as mx
from mxjit.base import DTypeError, ParamError, ShapeError
from tests.helpers import check_grads

nd = mx.nd


def softmax_np(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def rand(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape) * 2


# ---- SoftmaxActivation -------------------------------------------------------------------


@pytest.mark.parametrize("shape, mode, axis", [
    ((3,), "instance", -1), ((2, 5), "instance", -1), ((2, 3, 2), "instance", -1),
    ((2, 3, 2, 2), "instance", -1), ((2, 3, 4), "channel", 1), ((2, 3, 2, 2), "channel", 1),
])
def test_softmax_activation_eager_and_jit(shape, mode, axis):
    # 'instance' is a softmax over the last axis at any rank: what MXNet 1.9.1 computes
    x = rand(*shape)
    want = softmax_np(x, axis)
    for dtype, tol in (("float32", 1e-6), ("float64", 1e-12)):
        got = nd.SoftmaxActivation(nd.array(x, dtype=dtype), mode=mode)
        assert got.dtype == np.dtype(dtype)
        np.testing.assert_allclose(got.asnumpy(), want, rtol=tol, atol=tol)
    jitted = mx.jit(lambda a: nd.SoftmaxActivation(a, mode=mode))(nd.array(x))
    np.testing.assert_allclose(jitted.asnumpy(), want, rtol=1e-6, atol=1e-7)


def test_softmax_activation_matches_mxnets_example():
    x = nd.array([[3.0, 0.5, -0.5, 2.0, 7.0], [2.0, -0.4, 7.0, 3.0, 0.2]])
    # printed in MXNet 1.9.1's docstring of SoftmaxActivation
    want = [[1.78322066e-02, 1.46375655e-03, 5.38485940e-04, 6.56010211e-03, 9.73605454e-01],
            [6.56221947e-03, 5.95310994e-04, 9.73919690e-01, 1.78379621e-02, 1.08472735e-03]]
    np.testing.assert_allclose(nd.SoftmaxActivation(x).asnumpy(), want, rtol=1e-5)


@pytest.mark.parametrize("mode", ["instance", "channel"])
def test_softmax_activation_gradient_to_second_order(mode):
    check_grads(lambda x: nd.SoftmaxActivation(x, mode=mode) * nd.array(
        np.arange(12.0).reshape(2, 3, 2), dtype="float64"), [rand(2, 3, 2)], order=2)


def test_softmax_activation_empty_and_errors():
    for shape in ((0, 3), (2, 0), (2, 0, 3)):
        assert nd.SoftmaxActivation(nd.ones(shape)).shape == shape
    with pytest.raises(ParamError, match="mode must be 'instance' or 'channel'"):
        nd.SoftmaxActivation(nd.ones((2, 3)), mode="spatial")
    with pytest.raises(ShapeError, match="at least 3 dims"):
        nd.SoftmaxActivation(nd.ones((2, 3)), mode="channel")
    with pytest.raises(ShapeError, match="at least 1 dims"):
        nd.SoftmaxActivation(nd.array(np.float32(1.0)).reshape(()))


# ---- SVMOutput ---------------------------------------------------------------------------


def svm_grad_np(x, label, margin=1.0, c=1.0, linear=False):
    """MXNet's L1/L2-SVM gradients; classes on the last axis, labels truncated to ints."""
    k = np.trunc(label).astype(np.int64)[..., None]
    at_label = np.arange(x.shape[-1]) == k
    if linear:
        g = np.where(at_label, -c * (margin > x), c * (margin > -x))
    else:
        g = np.where(at_label, -2 * c * np.maximum(margin - x, 0),
                     2 * c * np.maximum(margin + x, 0))
    return g


@pytest.mark.parametrize("linear", [False, True])
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 2)])
def test_svm_output_backward_ignores_the_head_gradient(linear, shape):
    x = rand(*shape, seed=1)
    label = np.random.default_rng(2).integers(0, shape[-1], shape[:-1]).astype(np.float32)
    label.flat[0] = 1.7  # truncated to 1, as MXNet's int cast does
    label.flat[-1] = 9  # no such class: every entry of the row counts as another class
    data = nd.array(x)
    data.attach_grad()
    with mx.autograd.record():
        y = nd.SVMOutput(data, nd.array(label), margin=1.5, regularization_coefficient=0.7,
                         use_linear=linear)
    y.backward(nd.ones(shape) * 3)
    np.testing.assert_array_equal(y.asnumpy(), data.asnumpy())
    want = svm_grad_np(x, label, 1.5, 0.7, linear)
    np.testing.assert_allclose(data.grad.asnumpy(), want, rtol=1e-6, atol=1e-6)
    traced = mx.grad(lambda d: nd.SVMOutput(d, nd.array(label), margin=1.5,
                                            regularization_coefficient=0.7,
                                            use_linear=linear).sum())(data)
    np.testing.assert_allclose(traced.asnumpy(), want, rtol=1e-6, atol=1e-6)


def test_svm_output_matches_mxnet():
    x = nd.array([[3.5281048, 0.8003144, 1.957476, 4.4817863],
                  [3.735116, -1.9545557, 1.9001769, -0.3027144]])
    x.attach_grad()
    with mx.autograd.record():
        y = nd.SVMOutput(x, nd.array([0, 2]), margin=1.5, regularization_coefficient=0.7)
    y.backward()
    # printed by MXNet 1.9.1 for these inputs
    np.testing.assert_allclose(x.grad.asnumpy(), [[0, 3.2204401, 4.8404665, 8.3745],
                                                  [7.329162, 0, 0, 1.6761999]], rtol=1e-6)


def test_svm_output_errors():
    with pytest.raises(ShapeError, match="at least 2 dims"):
        nd.SVMOutput(nd.ones((3,)), nd.ones((3,)))
    with pytest.raises(ShapeError, match=r"label .* must have shape \(2, 3\)"):
        nd.SVMOutput(nd.ones((2, 3, 4)), nd.ones((2,)))
    with pytest.raises(DTypeError, match="SVMOutput: data must be floating point"):
        nd.SVMOutput(nd.ones((2, 3), dtype="int32"), nd.ones((2,)))


# ---- IdentityAttachKLSparseReg -----------------------------------------------------------


def kl_grad_np(avg, shape, target, penalty):
    per_channel = penalty * (-target / avg + (1 - target) / (1 - avg))
    return np.broadcast_to(per_channel.reshape((1, -1) + (1,) * (len(shape) - 2)), shape)


def test_kl_sparse_reg_matches_mxnet_over_two_steps():
    x = nd.array([[0.2, 0.3, 0.5], [0.1, 0.4, 0.6]])
    avg = nd.array([0.5, 0.5, 0.5])
    x.attach_grad()
    # gradients and moving averages printed by MXNet 1.9.1 (an executor, moving_avg 0.5)
    for head, grad, moving in ((1, [1.4691963, 1.5419511, 1.6202481], [0.43, 0.47, 0.51]),
                               (2, [2.371598, 2.4978063, 2.6368253], [0.374, 0.446, 0.518])):
        with mx.autograd.record():
            y = nd.IdentityAttachKLSparseReg(x, avg, penalty=0.5, sparseness_target=0.2,
                                             momentum=0.8)
        y.backward(nd.ones((2, 3)) * head)
        np.testing.assert_array_equal(y.asnumpy(), x.asnumpy())
        np.testing.assert_allclose(x.grad.asnumpy(), [grad, grad], rtol=1e-6)
        np.testing.assert_allclose(avg.asnumpy(), moving, rtol=1e-6)


def test_kl_sparse_reg_averages_each_channel_over_batch_and_space():
    x = np.random.default_rng(3).uniform(0.05, 0.95, (2, 3, 4))
    start = np.full(3, 0.3)
    data, avg = nd.array(x, dtype="float64"), nd.array(start, dtype="float64")
    data.attach_grad()
    with mx.autograd.record():
        y = nd.IdentityAttachKLSparseReg(data, avg)
    y.backward()
    moving = 0.9 * start + 0.1 * x.mean(axis=(0, 2))
    np.testing.assert_allclose(avg.asnumpy(), moving, rtol=1e-12)
    np.testing.assert_allclose(data.grad.asnumpy(),
                               1 + kl_grad_np(moving, x.shape, 0.1, 0.001), rtol=1e-12)


def test_kl_sparse_reg_in_predict_mode_and_under_grad_keeps_the_average():
    x = np.random.default_rng(4).uniform(0.1, 0.9, (3, 2))
    avg = nd.array([0.4, 0.6], dtype="float64")
    data = nd.array(x, dtype="float64")
    np.testing.assert_array_equal(nd.IdentityAttachKLSparseReg(data, avg).asnumpy(), x)
    g = mx.grad(lambda d: nd.IdentityAttachKLSparseReg(d, avg).sum())(data)
    moving = 0.9 * np.array([0.4, 0.6]) + 0.1 * x.mean(axis=0)
    np.testing.assert_allclose(g.asnumpy(), 1 + kl_grad_np(moving, x.shape, 0.1, 0.001),
                               rtol=1e-12)
    np.testing.assert_array_equal(avg.asnumpy(), [0.4, 0.6])  # not training: not updated


def test_kl_sparse_reg_under_jit_in_training_mode_returns_the_new_average():
    def step(d, a):
        return nd.IdentityAttachKLSparseReg(d, a, momentum=0.5), a

    x = np.random.default_rng(5).uniform(0.1, 0.9, (3, 2))
    with mx.autograd.train_mode():
        y, new = mx.jit(step)(nd.array(x), nd.array([0.2, 0.4]))
        np.testing.assert_allclose(y.asnumpy(), x, rtol=1e-6)
        np.testing.assert_allclose(new.asnumpy(), 0.5 * np.array([0.2, 0.4])
                                   + 0.5 * x.mean(axis=0), rtol=1e-6)
        captured = nd.array([0.2, 0.4])
        with pytest.raises(ParamError, match="moving_avg must be an argument"):
            mx.jit(lambda d: nd.IdentityAttachKLSparseReg(d, captured))(nd.array(x))


def test_empty_batches_keep_the_average_and_give_empty_gradients():
    avg = nd.array([0.5, 0.5, 0.5])
    for layer in (lambda x: nd.IdentityAttachKLSparseReg(x, avg),
                  lambda x: nd.SVMOutput(x, nd.ones((0,)))):
        x = nd.ones((0, 3))
        x.attach_grad()
        with mx.autograd.record():
            y = layer(x)
        y.backward()
        assert y.shape == x.grad.shape == (0, 3)
    np.testing.assert_array_equal(avg.asnumpy(), 0.5)


def test_kl_sparse_reg_errors():
    with pytest.raises(ShapeError, match="at least 2 dims"):
        nd.IdentityAttachKLSparseReg(nd.ones((3,)), nd.ones((3,)))
    with pytest.raises(ShapeError, match=r"moving_avg .* must have shape \(3,\)"):
        nd.IdentityAttachKLSparseReg(nd.ones((2, 3)), nd.ones((2,)))
    with pytest.raises(ParamError, match="'moving_avg' is required"):
        nd.IdentityAttachKLSparseReg(nd.ones((2, 3)))
    with pytest.raises(DTypeError, match="floating point, got int64"):
        nd.IdentityAttachKLSparseReg(nd.ones((2, 3), dtype="int64"), nd.ones((3,)))
