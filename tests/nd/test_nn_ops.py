"""Neural-network, sorting, reduction and linear-algebra operators of `mx.nd`.

Each operator is compared with a float64 NumPy reference written here (convolutions as
explicit loops), eagerly and under `mx.jit` (same numbers); gradients are checked against
central differences with `check_grads`; training/predict behaviour, loss-layer backward
passes and every user error are tested. Shapes stay small: each new shape compiles kernels.
"""
import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mxjit as mx
from mxjit.base import DTypeError, ParamError, ShapeError
from tests.helpers import check_grads

nd = mx.nd
FEW = settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
SOME = settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mxnet-1.9.1"


def rand(*shape, seed=0, lo=-2.0, hi=2.0, away=0.0):
    """float64 values in [lo, hi], at least `away` from 0 (to stay off kinks)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(lo, hi, shape)
    if away:
        x = np.where(np.abs(x) < away, np.sign(x + 1e-12) * away + x, x)
    return x


def eager_and_jit(f, *arrays, dtype="float32"):
    """f on NDArrays eagerly and under mx.jit: both results (NumPy), checked equal."""
    args = [nd.array(a, dtype=dtype) for a in arrays]
    eager = f(*args)
    jitted = mx.jit(f)(*args)
    if isinstance(eager, list):
        for e, j in zip(eager, jitted):
            np.testing.assert_allclose(e.asnumpy(), j.asnumpy(), rtol=1e-6, atol=1e-6)
        return [e.asnumpy() for e in eager]
    np.testing.assert_allclose(eager.asnumpy(), jitted.asnumpy(), rtol=1e-6, atol=1e-6)
    return eager.asnumpy()


def close(got, want, rtol=1e-5, atol=1e-5):
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def softmax_np(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# ---- activations ---------------------------------------------------------------------------

ACTIVATIONS = {
    "relu": lambda x: np.maximum(x, 0),
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "tanh": np.tanh,
    "softrelu": lambda x: np.where(x > 20, x, np.log1p(np.exp(np.minimum(x, 20)))),
    "softsign": lambda x: x / (1 + np.abs(x)),
}


@pytest.mark.parametrize("act", sorted(ACTIVATIONS))
def test_activation_matches_numpy_eagerly_and_under_jit(act):
    x = np.concatenate([rand(11, seed=1, lo=-5, hi=5), [0.0, 25.0, -30.0]])
    got = eager_and_jit(lambda v: nd.Activation(v, act_type=act), x)
    close(got, ACTIVATIONS[act](x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("act", sorted(ACTIVATIONS))
def test_activation_gradients(act):
    order = 1 if act == "relu" else 2  # relu's second derivative is 0 off its kink
    check_grads(lambda v: nd.Activation(v, act_type=act), [rand(2, 3, seed=2, away=0.1)],
                order=order)


def test_relu_gradient_at_zero_is_zero_as_in_mxnet():
    g = mx.grad(lambda v: nd.Activation(v, act_type="relu").sum())(nd.array([0.0, 1.0]))
    assert g.asnumpy().tolist() == [0.0, 1.0]


def test_activation_rejects_an_unknown_type():
    with pytest.raises(ParamError, match="act_type must be one of"):
        nd.Activation(nd.ones((2,)), act_type="swish")
    assert issubclass(ParamError, ValueError)


SELU_A, SELU_L = 1.6732632423543772, 1.0507009873554805
LEAKY = {
    "leaky": lambda x: np.where(x > 0, x, 0.25 * x),
    "elu": lambda x: np.where(x > 0, x, 0.25 * np.expm1(np.minimum(x, 0))),
    "selu": lambda x: SELU_L * np.where(x > 0, x, SELU_A * np.expm1(np.minimum(x, 0))),
    "gelu": lambda x: 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2))),
}


@pytest.mark.parametrize("act", sorted(LEAKY))
def test_leaky_relu_family(act):
    x = np.concatenate([rand(9, seed=3, lo=-4, hi=4), [0.0, 50.0]])
    got = eager_and_jit(lambda v: nd.LeakyReLU(v, act_type=act), x)
    close(got, LEAKY[act](x))
    check_grads(lambda v: nd.LeakyReLU(v, act_type=act), [rand(2, 3, seed=4, away=0.1)],
                order=1 if act == "leaky" else 2)


def test_prelu_learns_one_slope_per_channel():
    x, gamma = rand(2, 3, 4, seed=5, away=0.1), np.array([0.1, 0.5, 2.0])
    got = eager_and_jit(lambda v, g: nd.LeakyReLU(v, g, act_type="prelu"), x, gamma)
    close(got, np.where(x > 0, x, gamma[None, :, None] * x))
    shared = nd.LeakyReLU(nd.array(x), nd.array([0.3]), act_type="prelu").asnumpy()
    close(shared, np.where(x > 0, x, 0.3 * x))
    check_grads(lambda v, g: nd.LeakyReLU(v, g, act_type="prelu"), [x, gamma])


def test_rrelu_random_slopes_when_training_and_their_mean_otherwise():
    x = -np.ones(2000)
    y = nd.LeakyReLU(nd.array(x), act_type="rrelu").asnumpy()
    close(y, -(0.125 + 0.334) / 2 * np.ones(2000))
    with mx.autograd.train_mode():
        slopes = -nd.LeakyReLU(nd.array(x), act_type="rrelu").asnumpy()
    assert 0.125 <= slopes.min() and slopes.max() < 0.334
    assert slopes.std() > 0.1 * (0.334 - 0.125)


def test_leaky_relu_errors():
    with pytest.raises(ParamError, match="needs the slope array"):
        nd.LeakyReLU(nd.ones((2, 3)), act_type="prelu")
    with pytest.raises(ShapeError, match="cannot broadcast prelu's gamma of shape"):
        nd.LeakyReLU(nd.ones((2, 3)), nd.ones((5,)), act_type="prelu")
    with pytest.raises(ShapeError, match="cannot broadcast prelu's gamma"):
        nd.LeakyReLU(nd.ones((2, 3, 4, 5)), nd.ones((5,)), act_type="prelu")
    with pytest.raises(ParamError, match="act_type must be one of"):
        nd.LeakyReLU(nd.ones((2,)), act_type="swish")


@pytest.mark.parametrize("data,gamma,placed", [
    ((2, 3, 4, 5), (3,), (1, 3, 1, 1)), ((2, 3, 4, 5), (1,), (1, 1, 1, 1)),
    ((2, 3, 4, 5), (2, 3), (2, 3, 1, 1)), ((2, 3, 4, 5), (2, 1), (2, 1, 1, 1)),
    ((3, 4), (3, 4), (3, 4)), ((3, 4), (3, 1), (3, 1)), ((2, 3), (2,), (2, 1)),
    ((4,), (4,), (4,)), ((4,), (1,), (1,))])
def test_prelu_places_gamma_on_the_first_two_axes_as_mxnet(data, gamma, placed):
    # (MXNet's expand_shape: gamma's axes, from its last, go on the data's axes 1 and 0;
    # the placements are those MXNet 1.9.1 computed for these shapes)
    rng = np.random.default_rng(0)
    x, g = rng.standard_normal(data), rng.uniform(0.1, 0.5, gamma)
    slope = g.reshape(placed)
    xa, ga = nd.array(x), nd.array(g)
    ga.attach_grad()
    with mx.autograd.record():
        y = nd.LeakyReLU(xa, ga, act_type="prelu")
    y.backward()
    np.testing.assert_allclose(y.asnumpy(), np.where(x > 0, x, x * slope), rtol=1e-6)
    expected = np.where(x > 0, 0, x) * np.ones_like(slope)
    axes = tuple(a for a in range(len(data)) if placed[a] == 1)
    np.testing.assert_allclose(ga.grad.asnumpy(),
                               expected.sum(axis=axes).reshape(gamma), rtol=1e-5)


# ---- softmax family --------------------------------------------------------------------------


@FEW
@given(st.integers(1, 3), st.integers(0, 2), st.sampled_from([None, 0.5, 2.0]))
def test_softmax_log_softmax_softmin(ndim, axis_pick, temperature):
    shape = (2, 3, 4)[:ndim]
    axis = -1 if axis_pick >= ndim else axis_pick
    x = rand(*shape, seed=ndim + axis_pick, lo=-3, hi=3)
    t = 1.0 if temperature is None else temperature
    want = softmax_np(x / t, axis)
    close(eager_and_jit(lambda v: nd.softmax(v, axis=axis, temperature=temperature), x), want)
    close(eager_and_jit(lambda v: nd.log_softmax(v, axis=axis, temperature=temperature), x),
          np.log(want))
    close(eager_and_jit(lambda v: nd.softmin(v, axis=axis, temperature=temperature), x),
          softmax_np(-x / t, axis))


def test_softmax_family_gradients():
    x = rand(2, 4, seed=6)
    check_grads(lambda v: nd.softmax(v, axis=0) * v, [x], order=1)
    check_grads(lambda v: nd.log_softmax(v, temperature=2.0) * v, [x], order=1)
    check_grads(lambda v: nd.softmin(v) * v, [x], order=1)


def test_softmax_over_an_empty_axis_is_empty():
    # (as mx.np's, and NumPy's meaning: no elements, nothing to normalise)
    for fn in (nd.softmax, nd.log_softmax):
        assert fn(nd.zeros((2, 0))).shape == (2, 0)
        assert mx.jit(fn)(nd.zeros((3, 0))).shape == (3, 0)


def test_softmax_dtype_computes_in_the_wider_type():
    x = nd.array(rand(2, 5, seed=7), dtype="float16")
    y = nd.softmax(x, dtype="float32")
    assert y.dtype == np.float32
    close(y.asnumpy(), softmax_np(x.asnumpy().astype(np.float64)), rtol=1e-6, atol=1e-7)
    assert nd.log_softmax(x).dtype == np.float16


def test_softmax_with_length_masks_the_tail():
    x = rand(3, 5, seed=8)
    length = np.array([5, 2, 1])
    got = eager_and_jit(lambda v, n: nd.softmax(v, n, use_length=True), x, length)
    want = np.zeros_like(x)
    for i, n in enumerate(length):
        want[i, :n] = softmax_np(x[i, :n])
    close(got, want)
    np.testing.assert_allclose(nd.log_softmax(nd.array(x), 0).asnumpy(),
                               np.log(softmax_np(x.T)).T, rtol=1e-5)  # (axis comes second)
    with pytest.raises(ParamError, match="no length input"):
        nd.log_softmax(nd.array(x), use_length=True)
    with pytest.raises(ParamError, match="softmin has no length input"):
        nd.softmin(nd.array(x), use_length=True)
    check_grads(lambda v: nd.softmax(v, nd.array(length, dtype="int64"), use_length=True) * v,
                [x], order=1)
    with pytest.raises(ParamError, match="needs the `length` array"):
        nd.softmax(nd.array(x), use_length=True)
    with pytest.raises(ShapeError, match="length must have shape"):
        nd.softmax(nd.array(x), nd.array([1, 2]), use_length=True)


# ---- FullyConnected, Embedding ----------------------------------------------------------------


@FEW
@given(st.sampled_from([(3, 4), (2, 3, 2), (2, 1, 2, 2)]), st.booleans(), st.booleans())
def test_fully_connected(shape, flatten, no_bias):
    x = rand(*shape, seed=9)
    k = int(np.prod(shape[1:])) if flatten else shape[-1]
    w, b = rand(5, k, seed=10), rand(5, seed=11)

    def f(v, wt, bs):
        return nd.FullyConnected(v, wt, None if no_bias else bs, num_hidden=5, no_bias=no_bias,
                                 flatten=flatten)

    xx = x.reshape(shape[0], -1) if flatten else x
    want = xx @ w.T + (0 if no_bias else b)
    close(eager_and_jit(f, x, w, b), want)


def test_fully_connected_gradients_and_errors():
    x, w, b = rand(3, 2, 2, seed=12), rand(4, 4, seed=13), rand(4, seed=14)
    check_grads(lambda v, wt, bs: nd.FullyConnected(v, wt, bs, num_hidden=4), [x, w, b])
    with pytest.raises(ShapeError, match=r"weight .* must have shape \(4, 4\)"):
        nd.FullyConnected(nd.array(x), nd.ones((4, 3)), nd.array(b), num_hidden=4)
    with pytest.raises(ParamError, match="bias is required"):
        nd.FullyConnected(nd.array(x), nd.array(w), num_hidden=4)
    with pytest.raises(ParamError, match="the argument 'num_hidden' is required"):
        nd.FullyConnected(nd.array(x), nd.array(w), nd.array(b))
    with pytest.raises(ShapeError, match="bias must have shape"):
        nd.FullyConnected(nd.array(x), nd.array(w), nd.ones((3,)), num_hidden=4)


def test_embedding_rows_and_gradient():
    w = rand(5, 3, seed=15)
    idx = np.array([[0, 4], [2, 2]])
    got = eager_and_jit(lambda i, wt: nd.Embedding(i, wt, input_dim=5, output_dim=3), idx, w)
    close(got, w[idx])
    g = mx.grad(lambda wt: (nd.Embedding(nd.array(idx), wt, 5, 3) * 2).sum())(nd.array(w))
    counts = np.bincount(idx.ravel(), minlength=5)[:, None]
    close(g.asnumpy(), 2 * counts * np.ones((5, 3)))
    with pytest.raises(ShapeError, match=r"must have shape \(5, 4\)"):
        nd.Embedding(nd.array(idx), nd.array(w), input_dim=5, output_dim=4)
    with pytest.raises(ParamError, match="the argument 'input_dim' is required"):
        nd.Embedding(nd.array(idx), nd.array(w))


# ---- convolution, deconvolution, pooling --------------------------------------------------------


def conv_np(x, w, b, stride, pad, dilate, groups):
    """Direct convolution by loops over output positions and kernel taps (float64)."""
    n, c = x.shape[:2]
    f, k = w.shape[0], w.shape[2:]
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])
    out = [(xp.shape[2 + i] - dilate[i] * (k[i] - 1) - 1) // stride[i] + 1
           for i in range(len(k))]
    y = np.zeros((n, f, *out))
    cg, fg = c // groups, f // groups
    for o in itertools.product(*(range(m) for m in out)):
        for t in itertools.product(*(range(m) for m in k)):
            at = tuple(o[i] * stride[i] + t[i] * dilate[i] for i in range(len(k)))
            patch = xp[(slice(None), slice(None)) + at]
            for g in range(groups):
                wt = w[(slice(g * fg, (g + 1) * fg), slice(None)) + t]
                y[(slice(None), slice(g * fg, (g + 1) * fg)) + o] += (
                    patch[:, g * cg:(g + 1) * cg] @ wt.T)
    return y if b is None else y + b.reshape((1, f) + (1,) * len(k))


@st.composite
def conv_cases(draw):
    nd_ = draw(st.integers(1, 3))
    groups = draw(st.sampled_from([1, 2]))
    c = groups * draw(st.integers(1, 2))
    f = groups * draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd_))
    stride = tuple(draw(st.integers(1, 2)) for _ in range(nd_))
    dilate = tuple(draw(st.integers(1, 2)) for _ in range(nd_))
    pad = tuple(draw(st.integers(0, 1)) for _ in range(nd_))
    least = [max(1, d * (k - 1) + 1 - 2 * p) for k, d, p in zip(kernel, dilate, pad)]
    spatial = tuple(draw(st.integers(m, m + (2 if nd_ < 3 else 1))) for m in least)
    return (2, c) + spatial, (f, c // groups) + kernel, stride, dilate, pad, groups


@SOME
@given(conv_cases(), st.booleans())
def test_convolution_1d_2d_3d_matches_loops(case, no_bias):
    xshape, wshape, stride, dilate, pad, groups = case
    x, w, b = rand(*xshape, seed=20), rand(*wshape, seed=21), rand(wshape[0], seed=22)

    def f(v, wt, bs):
        return nd.Convolution(v, wt, None if no_bias else bs, kernel=wshape[2:], stride=stride,
                              dilate=dilate, pad=pad, num_filter=wshape[0], num_group=groups,
                              no_bias=no_bias)

    want = conv_np(x, w, None if no_bias else b, stride, pad, dilate, groups)
    close(eager_and_jit(f, x, w, b), want, atol=1e-4)


def test_convolution_gradients():
    x, w, b = rand(1, 2, 4, 5, seed=23), rand(4, 1, 2, 3, seed=24), rand(4, seed=25)
    check_grads(lambda v, wt, bs: nd.Convolution(v, wt, bs, kernel=(2, 3), stride=(2, 1),
                                                 pad=(1, 1), dilate=(1, 2), num_filter=4,
                                                 num_group=2), [x, w, b], order=1)
    check_grads(lambda v, wt: nd.Convolution(v, wt, kernel=(3,), pad=(1,), num_filter=2,
                                             no_bias=True) ** 2,
                [rand(1, 2, 4, seed=26), rand(2, 2, 3, seed=27)])


def test_eager_autograd_through_convolution_and_pooling_matches_grad():
    x, w = rand(1, 2, 5, 5, seed=91), rand(3, 2, 3, 3, seed=92)

    def f(v, wt):
        y = nd.Convolution(v, wt, kernel=(3, 3), pad=(1, 1), stride=(2, 2), num_filter=3,
                           no_bias=True)
        return nd.Pooling(nd.Activation(y, act_type="tanh"), kernel=(2, 2), pool_type="avg")

    xv, wv = nd.array(x), nd.array(w)
    for a in (xv, wv):
        a.attach_grad()
    with mx.autograd.record():
        y = f(xv, wv)
    y.backward()
    gx, gw = mx.grad(lambda v, wt: f(v, wt).sum(), argnums=(0, 1))(nd.array(x), nd.array(w))
    close(xv.grad.asnumpy(), gx.asnumpy(), atol=1e-5)
    close(wv.grad.asnumpy(), gw.asnumpy(), atol=1e-5)


def test_convolution_is_one_library_call_plus_the_bias_kernel():
    x, w, b = (nd.array(rand(*s, seed=28)) for s in ((2, 3, 6, 6), (4, 3, 3, 3), (4,)))
    lowered = mx.jit(lambda v, wt, bs: nd.Convolution(v, wt, bs, kernel=(3, 3),
                                                      num_filter=4)).lower(x, w, b)
    assert len(lowered.kernels) == 1, lowered.as_text()  # the bias add
    assert lowered.as_text().count("library conv(") == 1


def test_convolution_channel_last_layout():
    x, w = rand(2, 5, 5, 3, seed=29), rand(4, 2, 2, 3, seed=30)  # NHWC data, OHWI weight
    got = nd.Convolution(nd.array(x), nd.array(w), kernel=(2, 2), num_filter=4, no_bias=True,
                         layout="NHWC").asnumpy()
    want = conv_np(x.transpose(0, 3, 1, 2), w.transpose(0, 3, 1, 2), None, (1, 1), (0, 0),
                   (1, 1), 1).transpose(0, 2, 3, 1)
    close(got, want, atol=1e-4)


def test_convolution_errors():
    x = nd.ones((1, 4, 5, 5))
    with pytest.raises(ShapeError, match=r"weight .* must have shape \(2, 4, 3, 3\)"):
        nd.Convolution(x, nd.ones((2, 3, 3, 3)), kernel=(3, 3), num_filter=2, no_bias=True)
    with pytest.raises(ParamError, match="the argument 'kernel' is required"):
        nd.Convolution(x, nd.ones((2, 4, 3, 3)), num_filter=2, no_bias=True)
    with pytest.raises(ParamError, match="the argument 'num_filter' is required"):
        nd.Convolution(x, nd.ones((2, 4, 3, 3)), kernel=(3, 3), no_bias=True)
    with pytest.raises(ShapeError, match="needs 4-D data"):
        nd.Convolution(nd.ones((4, 5, 5)), nd.ones((2, 4, 3, 3)), kernel=(3, 3), num_filter=2,
                       no_bias=True)
    with pytest.raises(ParamError, match="num_group=3 must divide"):
        nd.Convolution(x, nd.ones((3, 1, 3, 3)), kernel=(3, 3), num_filter=3, num_group=3,
                       no_bias=True)
    with pytest.raises(ShapeError, match="does not fit"):
        nd.Convolution(x, nd.ones((2, 4, 7, 7)), kernel=(7, 7), num_filter=2, no_bias=True)
    with pytest.raises(ParamError, match="bias is required"):
        nd.Convolution(x, nd.ones((2, 4, 3, 3)), kernel=(3, 3), num_filter=2)
    with pytest.raises(ParamError, match="stride .* must have 2 entries"):
        nd.Convolution(x, nd.ones((2, 4, 3, 3)), kernel=(3, 3), stride=(1, 1, 1), num_filter=2,
                       no_bias=True)
    with pytest.raises(ParamError, match="layout 'NCW' does not fit"):
        nd.Convolution(x, nd.ones((2, 4, 3, 3)), kernel=(3, 3), num_filter=2, no_bias=True,
                       layout="NCW")


def deconv_np(x, w, stride, pad, dilate, adj, groups):
    """Transposed convolution by scattering each input element through the kernel."""
    n, c = x.shape[:2]
    fg, k = w.shape[1], w.shape[2:]
    full = [(x.shape[2 + i] - 1) * stride[i] + dilate[i] * (k[i] - 1) + 1 + adj[i]
            for i in range(len(k))]
    y = np.zeros((n, fg * groups, *full))
    cg = c // groups
    for i in itertools.product(*(range(m) for m in x.shape[2:])):
        for t in itertools.product(*(range(m) for m in k)):
            at = tuple(i[d] * stride[d] + t[d] * dilate[d] for d in range(len(k)))
            for g in range(groups):
                xs = x[(slice(None), slice(g * cg, (g + 1) * cg)) + i]
                wt = w[(slice(g * cg, (g + 1) * cg), slice(None)) + t]
                y[(slice(None), slice(g * fg, (g + 1) * fg)) + at] += xs @ wt
    crop = tuple(slice(p, m - p) for p, m in zip(pad, full))
    return y[(slice(None), slice(None)) + crop]


@FEW
@given(st.sampled_from([
    ((1, 2, 3), (2, 3, 2), (2,), (0,), (1,), (1,), 1),
    ((2, 2, 3, 2), (2, 1, 3, 2), (2, 1), (1, 0), (1, 1), (1, 0), 2),
    ((1, 1, 2, 3), (1, 2, 2, 2), (1, 2), (0, 1), (2, 1), (0, 1), 1),
    ((1, 2, 2, 2, 2), (2, 1, 2, 1, 2), (2, 1, 1), (0, 0, 0), (1, 1, 1), (0, 0, 0), 1),
]))
def test_deconvolution_matches_scatter_reference(case):
    xshape, wshape, stride, pad, dilate, adj, groups = case
    x, w = rand(*xshape, seed=31), rand(*wshape, seed=32)
    f_out = wshape[1] * groups

    def f(v, wt):
        return nd.Deconvolution(v, wt, kernel=wshape[2:], stride=stride, pad=pad, dilate=dilate,
                                adj=adj, num_filter=f_out, num_group=groups)

    close(eager_and_jit(f, x, w), deconv_np(x, w, stride, pad, dilate, adj, groups), atol=1e-4)


def test_deconvolution_target_shape_bias_gradient_and_errors():
    x, w, b = rand(1, 2, 3, 3, seed=33), rand(2, 3, 3, 3, seed=34), rand(3, seed=35)
    y = nd.Deconvolution(nd.array(x), nd.array(w), nd.array(b), kernel=(3, 3), stride=(2, 2),
                         target_shape=(6, 6), num_filter=3, no_bias=False)
    assert y.shape == (1, 3, 6, 6)
    want = deconv_np(x, w, (2, 2), (1, 1), (1, 1), (1, 1), 1) + b[None, :, None, None]
    close(y.asnumpy(), want, atol=1e-4)
    check_grads(lambda v, wt: nd.Deconvolution(v, wt, kernel=(2, 2), stride=(2, 1), pad=(0, 1),
                                               num_filter=3),
                [rand(1, 2, 2, 3, seed=36), rand(2, 3, 2, 2, seed=37)], order=1)
    with pytest.raises(ShapeError, match=r"weight .* must have shape \(2, 3, 3, 3\)"):
        nd.Deconvolution(nd.array(x), nd.ones((3, 3, 3, 3)), kernel=(3, 3), num_filter=3)
    with pytest.raises(ShapeError, match="target_shape .* is too big"):
        nd.Deconvolution(nd.array(x), nd.array(w), kernel=(3, 3), target_shape=(9, 9),
                         num_filter=3)
    with pytest.raises(ParamError, match="adj"):
        nd.Deconvolution(nd.array(x), nd.array(w), kernel=(3, 3), adj=(1, 1), num_filter=3)


def pool_np(x, kernel, stride, pad, pool_type, convention="valid", include_pad=True, p=2):
    spatial = x.shape[2:]
    rnd = math.ceil if convention == "full" else math.floor
    out = [rnd((d + 2 * q - k) / s) + 1 for d, q, k, s in zip(spatial, pad, kernel, stride)]
    if convention == "same":  # MXNet's: ceil(in / stride) windows from 0, cut at the end
        out = [math.ceil(d / s) for d, s in zip(spatial, stride)]
    y = np.zeros(x.shape[:2] + tuple(out))
    for o in itertools.product(*(range(m) for m in out)):
        start = [o[i] * stride[i] - pad[i] for i in range(len(out))]
        end = [min(start[i] + kernel[i], spatial[i] + pad[i]) for i in range(len(out))]
        size = np.prod([e - s for s, e in zip(start, end)])
        lo = [max(s, 0) for s in start]
        hi = [min(e, d) for e, d in zip(end, spatial)]
        win = x[(slice(None), slice(None)) + tuple(slice(a, b) for a, b in zip(lo, hi))]
        win = win.reshape(x.shape[:2] + (-1,))
        if not include_pad:
            size = max(win.shape[-1], 1)
        at = (slice(None), slice(None)) + o
        if win.shape[-1] == 0:  # a 'full'-convention window wholly past the data
            y[at] = -np.inf if pool_type == "max" else 0.0
        elif pool_type == "max":
            y[at] = win.max(-1)
        elif pool_type == "sum":
            y[at] = win.sum(-1)
        elif pool_type == "avg":
            y[at] = win.sum(-1) / size
        else:
            y[at] = (win ** p).sum(-1) ** (1 / p)
    return y


@SOME
@given(st.integers(1, 3), st.sampled_from(["max", "avg", "sum", "lp"]),
       st.sampled_from(["valid", "full", "same"]), st.booleans(), st.data())
def test_pooling_matches_loops(nd_, pool_type, convention, include_pad, data):
    if convention == "same":
        nd_ = 1  # (MXNet's 'same' is 1-D pooling without pad)
    kernel = tuple(data.draw(st.integers(1, 3)) for _ in range(nd_))
    stride = tuple(data.draw(st.integers(1, 3)) for _ in range(nd_))
    pad = tuple(0 if convention == "same" else data.draw(st.integers(0, k // 2))
                for k in kernel)
    spatial = tuple(data.draw(st.integers(k, k + 2)) for k in kernel)
    x = rand(2, 2, *spatial, seed=38, lo=0.1, hi=2.0)

    def f(v):
        return nd.Pooling(v, kernel=kernel, pool_type=pool_type, stride=stride, pad=pad,
                          pooling_convention=convention, count_include_pad=include_pad,
                          p_value=2)

    want = pool_np(x, kernel, stride, pad, pool_type, convention, include_pad)
    close(eager_and_jit(f, x), want, atol=1e-5)


def test_pooling_global_lp_layouts_and_gradients():
    x = rand(2, 3, 4, 5, seed=39, lo=0.5, hi=2)
    for pool_type, ref in (("max", x.max((2, 3))), ("avg", x.mean((2, 3))),
                           ("sum", x.sum((2, 3))), ("lp", np.sqrt((x * x).sum((2, 3))))):
        got = nd.Pooling(nd.array(x), pool_type=pool_type, global_pool=True, p_value=2)
        assert got.shape == (2, 3, 1, 1)
        close(got.asnumpy()[..., 0, 0], ref)
    close(nd.Pooling(nd.array(x), kernel=(2, 2), pool_type="lp", p_value=1).asnumpy(),
          pool_np(x, (2, 2), (1, 1), (0, 0), "sum"))
    close(nd.Pooling(nd.array(x), kernel=(2, 2), pool_type="lp", p_value=3).asnumpy(),
          pool_np(x, (2, 2), (1, 1), (0, 0), "lp", p=3), atol=1e-5)
    nhwc = nd.Pooling(nd.array(x.transpose(0, 2, 3, 1)), kernel=(2, 2), stride=(2, 2),
                      layout="NHWC").asnumpy()
    close(nhwc, pool_np(x, (2, 2), (2, 2), (0, 0), "max").transpose(0, 2, 3, 1))
    for pool_type in ("max", "avg", "lp"):
        check_grads(lambda v, t=pool_type: nd.Pooling(v, kernel=(2, 2), stride=(1, 2), pad=(1, 0),
                                                      pool_type=t, p_value=2),
                    [rand(1, 2, 3, 4, seed=40, lo=0.5, hi=2)], order=1)


def test_same_convention_pooling_values_and_gradients():
    x = nd.arange(7).reshape((1, 1, 7))
    y = nd.Pooling(x, kernel=(3,), stride=(2,), pool_type="max", pooling_convention="same")
    assert y.asnumpy().ravel().tolist() == [2.0, 4.0, 6.0, 6.0]  # the last window is [6]
    for pool_type in ("max", "avg"):
        check_grads(lambda v, t=pool_type: nd.Pooling(v, kernel=(3,), stride=(2,), pool_type=t,
                                                      pooling_convention="same"),
                    [rand(2, 2, 7, seed=41, lo=0.5, hi=2)], order=2)


def test_max_pooling_gives_tied_gradients_to_the_first_maximum():
    x = nd.array([[[[1.0, 1.0], [0.0, 1.0]]]])
    g = mx.grad(lambda v: nd.Pooling(v, kernel=(2, 2)).sum())(x)
    assert g.asnumpy().ravel().tolist() == [1.0, 0.0, 0.0, 0.0]


def test_pooling_errors():
    x = nd.ones((1, 1, 4, 4))
    with pytest.raises(ParamError, match="pool_type must be one of"):
        nd.Pooling(x, kernel=(2, 2), pool_type="median")
    with pytest.raises(ParamError, match="pooling_convention"):
        nd.Pooling(x, kernel=(2, 2), pooling_convention="half")
    with pytest.raises(ParamError, match="'same' convention is for 1-D pooling"):
        nd.Pooling(x, kernel=(2, 2), pooling_convention="same")
    with pytest.raises(ParamError, match="without pad"):
        nd.Pooling(nd.ones((1, 1, 5)), kernel=(2,), pad=(1,), pooling_convention="same")
    with pytest.raises(ParamError, match="p_value"):
        nd.Pooling(x, kernel=(2, 2), pool_type="lp")
    with pytest.raises(ShapeError, match="larger than the data"):
        nd.Pooling(x, kernel=(5, 5))
    with pytest.raises(ShapeError, match="needs 4-D data"):
        nd.Pooling(nd.ones((4, 4)), kernel=(2, 2))


# ---- normalisation ------------------------------------------------------------------------------


def batchnorm_np(x, gamma, beta, mean, var, eps, axis=1):
    shape = [1] * x.ndim
    shape[axis] = -1
    r = lambda v: v.reshape(shape)  # noqa: E731
    return (x - r(mean)) / np.sqrt(r(var) + eps) * r(gamma) + r(beta)


def test_batchnorm_predict_mode_uses_the_moving_statistics():
    x, gamma, beta = rand(4, 3, 2, seed=41), rand(3, seed=42), rand(3, seed=43)
    mean, var = rand(3, seed=44), rand(3, seed=45, lo=0.5, hi=2)
    f = lambda *a: nd.BatchNorm(*a, fix_gamma=False)  # noqa: E731
    got = eager_and_jit(f, x, gamma, beta, mean, var)
    close(got, batchnorm_np(x, gamma, beta, mean, var, 1e-3))
    fixed = nd.BatchNorm(*(nd.array(a) for a in (x, gamma, beta, mean, var))).asnumpy()
    close(fixed, batchnorm_np(x, np.ones(3), beta, mean, var, 1e-3))
    check_grads(lambda v, g, b: nd.BatchNorm(v, g, b, nd.array(mean, dtype="float64"),
                                             nd.array(var, dtype="float64"), fix_gamma=False),
                [x, gamma, beta], order=1)


def test_batchnorm_training_normalises_with_batch_statistics_and_updates_in_backward():
    x, gamma, beta = rand(5, 3, 4, seed=46), rand(3, seed=47), rand(3, seed=48)
    mm, mv = nd.array(rand(3, seed=49)), nd.array(rand(3, seed=50, lo=0.5, hi=2))
    mm0, mv0 = mm.asnumpy(), mv.asnumpy()
    gv = nd.array(gamma)
    gv.attach_grad()
    with mx.autograd.train_mode():  # training without recording: batch statistics, no update
        nd.BatchNorm(nd.array(x), gv, nd.array(beta), mm, mv, fix_gamma=False)
    with mx.autograd.record():
        y, mean, invstd = nd.BatchNorm(nd.array(x), gv, nd.array(beta), mm, mv,
                                       eps=1e-5, momentum=0.8, fix_gamma=False,
                                       output_mean_var=True)
    bm, bv = x.mean((0, 2)), x.var((0, 2))
    close(y.asnumpy(), batchnorm_np(x, gamma, beta, bm, bv, 1e-5), atol=1e-5)
    close(mean.asnumpy(), bm)
    close(invstd.asnumpy(), 1 / np.sqrt(bv + 1e-5), atol=1e-5)
    # MXNet updates the moving statistics in the backward pass, once per pass
    assert np.array_equal(mm.asnumpy(), mm0) and np.array_equal(mv.asnumpy(), mv0)
    y.backward(retain_graph=True)
    close(mm.asnumpy(), 0.8 * mm0 + 0.2 * bm)
    close(mv.asnumpy(), 0.8 * mv0 + 0.2 * bv)
    y.backward()
    close(mm.asnumpy(), 0.64 * mm0 + 0.36 * bm)
    close(mv.asnumpy(), 0.64 * mv0 + 0.36 * bv)
    mm, mv = nd.array(mm0), nd.array(mv0)
    with mx.autograd.record(train_mode=False):  # recording in predict mode: no update
        y = nd.BatchNorm(nd.array(x), gv, nd.array(beta), mm, mv, fix_gamma=False)
    y.backward()
    assert np.array_equal(mm.asnumpy(), mm0) and np.array_equal(mv.asnumpy(), mv0)
    with mx.autograd.record():
        y = nd.BatchNorm(nd.array(x), gv, nd.array(beta), mm, mv, momentum=0.8)
    y.backward()
    close(mm.asnumpy(), 0.8 * mm0 + 0.2 * bm)
    close(mv.asnumpy(), 0.8 * mv0 + 0.2 * bv)
    with mx.autograd.train_mode():  # use_global_stats: moving statistics, no update
        g = nd.BatchNorm(nd.array(x), nd.array(gamma), nd.array(beta), mm, mv,
                         use_global_stats=True, fix_gamma=False)
    close(g.asnumpy(), batchnorm_np(x, gamma, beta, mm.asnumpy(), mv.asnumpy(), 1e-3))
    close(mm.asnumpy(), 0.8 * mm0 + 0.2 * bm)


def test_batchnorm_training_gradients_axis_and_fix_gamma():
    x, gamma, beta = rand(4, 2, 3, seed=51), rand(3, seed=52), rand(3, seed=53)
    mm, mv = np.zeros(3), np.ones(3)
    with mx.autograd.train_mode():
        check_grads(lambda v, g, b, m, s: nd.BatchNorm(v, g, b, m, s, axis=-1, fix_gamma=False)
                    * v, [x, gamma, beta, mm, mv], order=1)
        dg = mx.grad(lambda g, v: nd.BatchNorm(v, g, nd.zeros((3,), dtype="float64"),
                                                nd.zeros((3,), dtype="float64"),
                                                nd.ones((3,), dtype="float64"), axis=2,
                                                ).sum())
    with mx.autograd.train_mode():
        with pytest.raises(ParamError, match="must be arguments of the traced function"):
            dg(nd.array(gamma, dtype="float64"), nd.array(x, dtype="float64"))
    # eager autograd: fix_gamma gives gamma a zero gradient, as MXNet writes it
    xv, gv, b2 = nd.array(x), nd.array(gamma[:2]), nd.array(beta[:2])
    xv.attach_grad()
    gv.attach_grad()
    gv.grad[:] = 7
    with mx.autograd.record():
        y = nd.BatchNorm(xv, gv, b2, nd.zeros(2), nd.ones(2)) * xv
    y.backward()
    assert np.all(gv.grad.asnumpy() == 0)

    def f64(v, g, b, m, s):
        return (nd.BatchNorm(v, g, b, m, s) * v).sum()

    with mx.autograd.train_mode():
        want = mx.grad(f64)(*(nd.array(a, dtype="float64") for a in (
            x, gamma[:2], beta[:2], np.zeros(2), np.ones(2))))
    close(xv.grad.asnumpy(), want.asnumpy(), atol=1e-4)


def test_batchnorm_in_a_jitted_training_step_returns_the_updated_statistics():
    def step(x, gamma, beta, mm, mv):
        y = nd.BatchNorm(x, gamma, beta, mm, mv, momentum=0.5)
        return y, mm, mv

    x = rand(6, 2, seed=54)
    args = [nd.array(a) for a in (x, np.ones(2), np.zeros(2), np.zeros(2), np.ones(2))]
    with mx.autograd.train_mode():
        y, mm, mv = mx.jit(step)(*args)
    close(mm.asnumpy(), 0.5 * x.mean(0))
    close(mv.asnumpy(), 0.5 + 0.5 * x.var(0))
    assert args[3].asnumpy().tolist() == [0.0, 0.0]  # the caller's arrays are not written
    y2, mm2, _ = mx.jit(step)(*args)  # predict mode: a separate trace, no update
    close(mm2.asnumpy(), [0.0, 0.0])
    close(y2.asnumpy(), x / np.sqrt(1 + 1e-3))


def test_batchnorm_errors():
    x = nd.ones((2, 3, 4))
    with pytest.raises(ShapeError, match=r"gamma .* must have shape \(3,\)"):
        nd.BatchNorm(x, nd.ones(4), nd.ones(3), nd.ones(3), nd.ones(3))
    with pytest.raises(ShapeError, match=r"moving_var .* must have shape \(4,\)"):
        nd.BatchNorm(x, nd.ones(4), nd.ones(4), nd.ones(4), nd.ones(3), axis=2)
    with pytest.raises(ShapeError, match="axis 3 is out of range"):
        nd.BatchNorm(x, nd.ones(3), nd.ones(3), nd.ones(3), nd.ones(3), axis=3)


def test_mlp_written_by_mxnet_gives_mxnets_output():
    params = nd.load(str(FIXTURES / "mlp.params"))
    x = nd.array(np.load(FIXTURES / "mlp_input.npy"))

    def net(v):
        h = nd.Activation(nd.FullyConnected(v, params["0.weight"], params["0.bias"],
                                            num_hidden=4), act_type="relu")
        h = nd.BatchNorm(h, params["1.gamma"], params["1.beta"], params["1.running_mean"],
                         params["1.running_var"], eps=1e-5, fix_gamma=False)  # Gluon eps
        return nd.FullyConnected(h, params["2.weight"], params["2.bias"], num_hidden=2)

    close(net(x).asnumpy(), np.load(FIXTURES / "mlp_output.npy"), rtol=1e-5, atol=1e-6)
    close(mx.jit(net)(x).asnumpy(), np.load(FIXTURES / "mlp_output.npy"), rtol=1e-5, atol=1e-6)


def test_layer_instance_and_l2_normalisation():
    x, gamma, beta = rand(2, 3, 4, seed=55), rand(4, seed=56), rand(4, seed=57)
    m, v = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    got = eager_and_jit(lambda a, g, b: nd.LayerNorm(a, g, b, output_mean_var=True), x, gamma,
                        beta)
    close(got[0], (x - m) / np.sqrt(v + 1e-5) * gamma + beta)
    close(got[1], m)
    close(got[2], np.sqrt(v + 1e-5))
    g3, b3 = rand(3, seed=58), rand(3, seed=59)
    ax1 = nd.LayerNorm(nd.array(x), nd.array(g3), nd.array(b3), axis=1).asnumpy()
    m1, v1 = x.mean(1, keepdims=True), x.var(1, keepdims=True)
    close(ax1, (x - m1) / np.sqrt(v1 + 1e-5) * g3[:, None] + b3[:, None])
    check_grads(lambda a, g, b: nd.LayerNorm(a, g, b) * a, [x, gamma, beta], order=1)
    inst = eager_and_jit(lambda a, g, b: nd.InstanceNorm(a, g, b), x, g3, b3)
    close(inst, (x - m) / np.sqrt(v + 1e-3) * g3[:, None] + b3[:, None])
    check_grads(lambda a, g, b: nd.InstanceNorm(a, g, b) * a, [x, g3, b3], order=1)
    for mode, axes in (("instance", (1, 2)), ("channel", (1,)), ("spatial", (2,))):
        got = nd.L2Normalization(nd.array(x), mode=mode).asnumpy()
        close(got, x / np.sqrt((x * x).sum(axes, keepdims=True) + 1e-10))
    close(eager_and_jit(lambda a: nd.L2Normalization(a), x),
          x / np.sqrt((x * x).sum((1, 2), keepdims=True) + 1e-10))
    check_grads(lambda a: nd.L2Normalization(a, mode="channel"), [x], order=1)
    with pytest.raises(ShapeError, match=r"gamma .* must have shape \(4,\)"):
        nd.LayerNorm(nd.array(x), nd.array(g3), nd.array(beta))
    with pytest.raises(ShapeError, match="at least 3 dimensions"):
        nd.InstanceNorm(nd.ones((2, 3)), nd.ones(3), nd.ones(3))
    with pytest.raises(ParamError, match="mode must be"):
        nd.L2Normalization(nd.array(x), mode="batch")


# ---- dropout ------------------------------------------------------------------------------------


def test_dropout_is_the_identity_in_predict_mode():
    x = nd.array(rand(3, 4, seed=60))
    close(nd.Dropout(x, p=0.5).asnumpy(), x.asnumpy())
    close(mx.jit(lambda v: nd.Dropout(v))(x).asnumpy(), x.asnumpy())


@pytest.mark.parametrize("p", [0.1, 0.5, 0.7])
def test_dropout_statistics_when_training(p):
    x = nd.ones((200, 500))
    with mx.autograd.train_mode():
        y = nd.Dropout(x, p=p).asnumpy()
    kept = y != 0
    assert abs(1 - kept.mean() - p) < 0.01
    close(y[kept], np.full(kept.sum(), 1 / (1 - p)), rtol=1e-6)
    always = nd.Dropout(x, p=p, mode="always").asnumpy()
    assert abs(1 - (always != 0).mean() - p) < 0.01


def test_dropout_masks_axes_seeds_jit_and_gradient():
    x = nd.ones((4, 300, 3))
    with mx.autograd.train_mode():
        shared = nd.Dropout(x, p=0.5, axes=(0, 2)).asnumpy()
        assert (shared == shared[:1, :, :1]).all()
        mx.random.seed(7)
        a = nd.Dropout(x, p=0.5).asnumpy()
        mx.random.seed(7)
        b = nd.Dropout(x, p=0.5).asnumpy()
        assert (a == b).all()
        f = mx.jit(lambda v: nd.Dropout(v, p=0.5))
        assert (f(x).asnumpy() != f(x).asnumpy()).any()  # a fresh mask on every call
        assert (nd.Dropout(x, p=1.0).asnumpy() == 0).all()
        assert (nd.Dropout(x, p=0.0).asnumpy() == 1).all()
    v = nd.array(rand(50, seed=61))
    v.attach_grad()
    with mx.autograd.record():
        y = nd.Dropout(v, p=0.3)
    y.backward()
    mask = y.asnumpy() != 0
    close(v.grad.asnumpy(), mask / 0.7)
    with pytest.raises(ParamError, match="p must be in"):
        nd.Dropout(x, p=1.5)
    with pytest.raises(ParamError, match="mode must be"):
        nd.Dropout(x, mode="sometimes")


# ---- gradient control and loss layers -----------------------------------------------------------


def test_block_grad_stops_the_gradient():
    x = nd.array([1.0, 2.0, 3.0])
    close(nd.BlockGrad(x).asnumpy(), x.asnumpy())
    g = mx.grad(lambda v: (v * nd.BlockGrad(v)).sum())(x)
    close(g.asnumpy(), x.asnumpy())
    g = mx.grad(lambda v: (v * nd.stop_gradient(v * v)).sum())(x)
    close(g.asnumpy(), (x * x).asnumpy())
    v = nd.array([1.0, 2.0])
    v.attach_grad()
    with mx.autograd.record():
        y = nd.BlockGrad(v * 3) + v
    y.backward()
    assert v.grad.asnumpy().tolist() == [1.0, 1.0]


def _backward(f, x, head=None):
    """The gradient eager autograd gives `x` for f(x), with a given head gradient."""
    v = nd.array(x)
    v.attach_grad()
    with mx.autograd.record():
        y = f(v)
    y.backward(None if head is None else nd.array(head))
    return y.asnumpy(), v.grad.asnumpy()


def test_softmax_output_forward_is_softmax_and_backward_ignores_the_head_gradient():
    x, label = rand(4, 5, seed=62), np.array([0, 3, 4, 1])
    onehot = np.eye(5)[label]
    y, g = _backward(lambda v: nd.SoftmaxOutput(v, nd.array(label), grad_scale=2.0), x,
                     head=rand(4, 5, seed=63))
    close(y, softmax_np(x))
    close(g, (softmax_np(x) - onehot) * 2.0)
    close(eager_and_jit(lambda v, t: nd.SoftmaxOutput(v, t), x, label), softmax_np(x))
    mg = mx.grad(lambda v: nd.SoftmaxOutput(v, nd.array(label)).sum())(nd.array(x))
    close(mg.asnumpy(), softmax_np(x) - onehot)
    # out_grad=True multiplies by the head gradient
    head = rand(4, 5, seed=64)
    _, g = _backward(lambda v: nd.SoftmaxOutput(v, nd.array(label), out_grad=True), x, head)
    close(g, (softmax_np(x) - onehot) * head)


def test_softmax_output_ignore_normalization_multi_output_and_smoothing():
    x, label = rand(4, 3, seed=65), np.array([0, -1, 2, -1])
    sm = softmax_np(x)
    hot = np.zeros((4, 3))
    hot[[0, 2], [0, 2]] = 1
    grad = np.where((label == -1)[:, None], 0, sm - hot)
    for norm, scale in (("null", 1), ("batch", 1 / 4), ("valid", 1 / 2)):
        _, g = _backward(lambda v, n=norm: nd.SoftmaxOutput(v, nd.array(label), use_ignore=True,
                                                            normalization=n), x)
        close(g, grad * scale)
    # multi_output: softmax over axis 1, labels (n, spatial); MXNet divides by the spatial size
    x3, lab3 = rand(2, 3, 4, seed=66), np.array([[0, 1, 2, 0], [2, 2, 1, 0]])
    y, g = _backward(lambda v: nd.SoftmaxOutput(v, nd.array(lab3), multi_output=True), x3)
    sm3 = softmax_np(x3, axis=1)
    close(y, sm3)
    close(g, (sm3 - np.eye(3)[lab3].transpose(0, 2, 1)) / 4)
    # a probability target of the data's shape
    target = softmax_np(rand(4, 3, seed=67))
    _, g = _backward(lambda v: nd.SoftmaxOutput(v, nd.array(target)), x)
    close(g, sm - target)
    _, g = _backward(lambda v: nd.SoftmaxOutput(v, nd.array([0, 1, 2, 0]), smooth_alpha=0.2), x)
    smooth = np.eye(3)[[0, 1, 2, 0]] * 0.8 + (1 - np.eye(3)[[0, 1, 2, 0]]) * 0.1
    close(g, sm - smooth)
    _, g = _backward(lambda v: nd.SoftmaxOutput(v, nd.array([[0], [1]]), preserve_shape=True),
                     rand(2, 1, 3, seed=68))
    assert g.shape == (2, 1, 3)
    with pytest.raises(ShapeError, match="label must have shape"):
        nd.SoftmaxOutput(nd.array(x), nd.array([0, 1]))
    with pytest.raises(ShapeError, match="with multi_output the label must have shape"):
        nd.SoftmaxOutput(nd.array(x3), nd.array([0, 1]), multi_output=True)
    with pytest.raises(ParamError, match="normalization must be"):
        nd.SoftmaxOutput(nd.array(x), nd.array(label), normalization="mean")


def test_regression_outputs_and_make_loss():
    x, t = rand(3, 2, seed=69), rand(3, 2, seed=70)
    for op, fwd, grad in ((nd.LinearRegressionOutput, x, x - t),
                          (nd.MAERegressionOutput, x, np.sign(x - t)),
                          (nd.LogisticRegressionOutput, 1 / (1 + np.exp(-x)),
                           1 / (1 + np.exp(-x)) - t)):
        y, g = _backward(lambda v, op=op: op(v, nd.array(t), grad_scale=3.0), x,
                         head=rand(3, 2, seed=71))
        close(y, fwd)
        close(g, grad * 3.0 / 2)  # grad_scale / num_output (outputs per sample)
        close(eager_and_jit(lambda v, lab, op=op: op(v, lab), x, t), fwd)
    _, g = _backward(lambda v: nd.LinearRegressionOutput(v, nd.array(t[:, 0])), x[:, :1])
    close(g, x[:, :1] - t[:, :1])
    with pytest.raises(ShapeError, match="does not match"):
        nd.LinearRegressionOutput(nd.array(x), nd.ones((2, 3)))
    y, g = _backward(lambda v: nd.MakeLoss(v * v, grad_scale=0.5), x, head=rand(3, 2, seed=72))
    close(g, 0.5 * 2 * x)
    _, g = _backward(lambda v: nd.MakeLoss(v, normalization="batch"), x)
    close(g, np.full_like(x, 1 / 3))
    _, g = _backward(lambda v: nd.make_loss(v * 2), x)
    close(g, np.full_like(x, 2.0))


def test_softmax_cross_entropy_and_smooth_l1():
    x, label = rand(3, 4, seed=73), np.array([1, 0, 3])
    want = -np.log(softmax_np(x))[np.arange(3), label].sum()
    got = eager_and_jit(lambda v, t: nd.softmax_cross_entropy(v, t), x, label)
    assert got.shape == (1,)
    close(got, [want])
    check_grads(lambda v: nd.softmax_cross_entropy(v, nd.array(label)), [x], order=1)
    with pytest.raises(ShapeError, match="needs data"):
        nd.softmax_cross_entropy(nd.array(x), nd.array([1, 0]))
    v = np.array([-3.0, -0.7, 0.2, 0.9, 2.5])
    for s in (1.0, 2.0):
        want = np.where(np.abs(v) < 1 / s**2, 0.5 * (s * v) ** 2, np.abs(v) - 0.5 / s**2)
        close(eager_and_jit(lambda a, s=s: nd.smooth_l1(a, scalar=s), v), want)
    check_grads(lambda a: nd.smooth_l1(a, scalar=2.0), [v], order=1)


# ---- sorting ------------------------------------------------------------------------------------


def topk_np(x, axis, k, ascend):
    order = np.argsort(x if ascend else -x, axis=axis, kind="stable")
    return np.take(order, np.arange(k), axis=axis)


@FEW
@given(st.sampled_from([(5,), (3, 4), (2, 3, 4)]), st.integers(-1, 2), st.integers(0, 3),
       st.booleans(), st.sampled_from(["float32", "int32"]))
def test_topk_sort_argsort(shape, axis, k, ascend, dtype):
    axis = min(axis, len(shape) - 1)
    x = np.random.default_rng(74).permutation(np.prod(shape)).reshape(shape)  # distinct values
    n = shape[axis]
    kk = n if k < 1 else min(k, n)
    idx = topk_np(x, axis, kk, ascend)
    got = eager_and_jit(lambda v: nd.topk(v, axis=axis, k=kk, is_ascend=ascend), x, dtype=dtype)
    assert got.dtype == np.float32
    close(got, idx)
    values = np.take_along_axis(x, idx, axis)
    close(eager_and_jit(lambda v: nd.topk(v, axis=axis, k=kk, ret_typ="value",
                                          is_ascend=ascend), x, dtype=dtype), values)
    both = eager_and_jit(lambda v: nd.topk(v, axis=axis, k=kk, ret_typ="both",
                                           is_ascend=ascend, dtype="int32"), x, dtype=dtype)
    close(both[0], values)
    close(both[1], idx)
    mask = np.zeros(shape)
    np.put_along_axis(mask, idx, 1, axis)
    close(eager_and_jit(lambda v: nd.topk(v, axis=axis, k=kk, ret_typ="mask",
                                          is_ascend=ascend), x, dtype=dtype), mask)
    srt = np.sort(x, axis=axis)
    close(eager_and_jit(lambda v: nd.sort(v, axis=axis, is_ascend=ascend), x, dtype=dtype),
          srt if ascend else np.flip(srt, axis))
    close(eager_and_jit(lambda v: nd.argsort(v, axis=axis, is_ascend=ascend), x, dtype=dtype),
          topk_np(x, axis, n, ascend))


def test_sorting_flattens_with_axis_none_breaks_ties_by_position_and_differentiates():
    x = np.array([[3.0, 1.0], [2.0, 5.0]])
    close(nd.sort(nd.array(x), axis=None).asnumpy(), [1, 2, 3, 5])
    close(nd.topk(nd.array(x), axis=None, k=2).asnumpy(), [3, 0])
    close(nd.argsort(nd.array([2.0, 1.0, 2.0, 1.0])).asnumpy(), [1, 3, 0, 2])
    close(nd.argsort(nd.array([2.0, 1.0, 2.0, 1.0]), is_ascend=False).asnumpy(), [0, 2, 1, 3])
    assert nd.argsort(nd.array(x), dtype="int64").dtype == np.int64
    v = rand(3, 4, seed=75)
    check_grads(lambda a: nd.topk(a, k=2, ret_typ="value") ** 2, [v])
    check_grads(lambda a: nd.sort(a, axis=0) * nd.array(np.arange(12.0).reshape(3, 4),
                                                        dtype="float64"), [v], order=1)
    g = mx.grad(lambda a: nd.topk(a, k=1, ret_typ="value").sum())(nd.array(v))
    close(g.asnumpy(), (v == v.max(1, keepdims=True)).astype(float))
    with pytest.raises(ParamError, match="ret_typ must be one of"):
        nd.topk(nd.array(x), ret_typ="values")
    with pytest.raises(ParamError, match="k=3 is larger"):
        nd.topk(nd.array(x), k=3)
    with pytest.raises(ShapeError, match="axis 2 is out of range"):
        nd.sort(nd.array(x), axis=2)


# ---- reductions ---------------------------------------------------------------------------------


def test_nansum_nanprod_and_norm():
    x = np.array([[1.0, np.nan, 2.0], [np.nan, 3.0, -4.0]])
    close(eager_and_jit(lambda v: nd.nansum(v), x), [2.0])
    close(eager_and_jit(lambda v: nd.nansum(v, axis=1), x), [3.0, -1.0])
    close(eager_and_jit(lambda v: nd.nanprod(v, axis=0, keepdims=True), x), [[1.0, 3.0, -8.0]])
    close(nd.nansum(nd.array([[1, 2]], dtype="int32"), axis=1).asnumpy(), [3])
    y = rand(2, 3, 4, seed=76, away=0.1)
    close(eager_and_jit(lambda v: nd.norm(v), y), [np.sqrt((y * y).sum())])
    close(eager_and_jit(lambda v: nd.norm(v, ord=1, axis=1), y), np.abs(y).sum(1))
    close(eager_and_jit(lambda v: nd.norm(v, axis=(1, 2), keepdims=True), y),
          np.sqrt((y * y).sum((1, 2), keepdims=True)))
    assert nd.norm(nd.array([3, 4], dtype="int32")).dtype == np.float32
    check_grads(lambda v: nd.norm(v, axis=2), [y])
    check_grads(lambda v: nd.norm(v, ord=1, axis=0), [y], order=1)
    check_grads(lambda v: nd.nansum(v * v, axis=1), [y], order=1)
    with pytest.raises(ParamError, match="ord must be 1 or 2"):
        nd.norm(nd.array(y), ord=3)


# ---- linear algebra -----------------------------------------------------------------------------

la = nd.linalg


@SOME
@given(st.sampled_from([(), (2,), (2, 3)]), st.booleans(), st.booleans(),
       st.sampled_from([1.0, -0.5]))
def test_gemm2_and_gemm(batch, ta, tb, alpha):
    a = rand(*batch, *((4, 3) if ta else (3, 4)), seed=77)
    b = rand(*batch, *((2, 4) if tb else (4, 2)), seed=78)
    c = rand(*batch, 3, 2, seed=79)
    opa = np.swapaxes(a, -1, -2) if ta else a
    opb = np.swapaxes(b, -1, -2) if tb else b
    got = eager_and_jit(lambda x, y: la.gemm2(x, y, transpose_a=ta, transpose_b=tb, alpha=alpha),
                        a, b)
    close(got, alpha * opa @ opb)
    got = eager_and_jit(lambda x, y, z: la.gemm(x, y, z, transpose_a=ta, transpose_b=tb,
                                                alpha=alpha, beta=0.5), a, b, c)
    close(got, alpha * opa @ opb + 0.5 * c)


def test_gemm2_row_axis_gradients_and_errors():
    a, b = rand(3, 2, 4, seed=80), rand(4, 2, 5, seed=81)  # rows on axis 0
    want = np.swapaxes(np.swapaxes(a, 0, 1) @ np.swapaxes(b, 0, 1), 0, 1)
    close(la.gemm2(nd.array(a), nd.array(b), axis=0).asnumpy(), want)
    check_grads(lambda x, y: la.gemm2(x, y, transpose_b=True, alpha=2.0),
                [rand(2, 3, seed=82), rand(4, 3, seed=83)])
    with pytest.raises(ShapeError, match="do not multiply"):
        la.gemm2(nd.ones((2, 3)), nd.ones((2, 3)))
    with pytest.raises(ShapeError, match="batch axes differ"):
        la.gemm2(nd.ones((2, 2, 3)), nd.ones((3, 3, 2)))
    with pytest.raises(ShapeError, match="C has shape"):
        la.gemm(nd.ones((2, 3)), nd.ones((3, 2)), nd.ones((3, 3)))
    with pytest.raises(DTypeError, match="floating-point"):
        la.gemm2(nd.ones((2, 2), dtype="int32"), nd.ones((2, 2), dtype="int32"))


def spd(n, seed):
    m = rand(n, n, seed=seed)
    return m @ m.T + n * np.eye(n)


def test_triangular_products_and_solves():
    a, b, r = spd(3, 84), rand(3, 2, seed=85), rand(2, 3, seed=86)
    low = np.tril(a)
    close(eager_and_jit(lambda x: la.syrk(x, alpha=2.0), b), 2 * b @ b.T)
    close(la.syrk(nd.array(b), transpose=True).asnumpy(), b.T @ b)
    close(eager_and_jit(lambda x, y: la.trmm(x, y), a, b), low @ b)
    close(la.trmm(nd.array(a), nd.array(r), rightside=True, transpose=True,
                  lower=False).asnumpy(), r @ np.triu(a).T)
    close(eager_and_jit(lambda x, y: la.trsm(x, y, alpha=2.0), a, b),
          np.linalg.solve(low, 2 * b))
    close(la.trsm(nd.array(a), nd.array(r), rightside=True, transpose=True).asnumpy(),
          r @ np.linalg.inv(low.T), atol=1e-5)
    check_grads(lambda x, y: la.trsm(x, y), [a, b])
    check_grads(lambda x, y: la.trsm(x, y, rightside=True, transpose=True, lower=False),
                [a, r], order=1)
    check_grads(lambda x, y: la.trmm(x, y, transpose=True), [a, b], order=1)


def test_cholesky_inverse_and_determinants():
    a = np.stack([spd(3, 87), spd(3, 88)])
    chol = np.linalg.cholesky(a)
    close(eager_and_jit(lambda x: la.potrf(x), a), chol, atol=1e-5)
    close(eager_and_jit(lambda x: la.potri(x), chol), np.linalg.inv(a), atol=1e-5)
    close(eager_and_jit(lambda x: la.inverse(x), a), np.linalg.inv(a), atol=1e-5)
    close(eager_and_jit(lambda x: la.det(x), a), np.linalg.det(a), rtol=1e-5)
    assert la.det(nd.array(a[0])).shape == (1,)
    sign, logdet = la.slogdet(nd.array(-a[0]))
    close(sign.asnumpy(), [-1.0])
    close(logdet.asnumpy(), [np.log(np.linalg.det(a[0]))])
    close(la.sumlogdiag(nd.array(chol)).asnumpy(), np.log(np.diagonal(chol, 0, 1, 2)).sum(-1))
    sym = lambda x: x + nd.transpose(x, (0, 2, 1))  # noqa: E731  (potrf reads one triangle)
    check_grads(lambda x: la.potrf(sym(x)), [a / 2], order=1)
    check_grads(lambda x: la.inverse(x), [a], order=1)
    check_grads(lambda x: la.det(x), [a[:1] / 3], order=1)
    check_grads(lambda x: la.slogdet(x)[1], [a], order=1)
    check_grads(lambda x: la.sumlogdiag(x), [a], order=1)
    with pytest.raises(ShapeError, match="square matrices"):
        la.potrf(nd.ones((2, 3)))


def test_diagonals():
    a = rand(2, 3, 3, seed=89)
    for k in (0, 1, -2):
        close(eager_and_jit(lambda x, k=k: la.extractdiag(x, offset=k), a),
              np.diagonal(a, k, 1, 2))
    v = rand(2, 3, seed=90)
    for k in (0, 2, -1):
        want = np.stack([np.diag(row, k) for row in v])
        close(eager_and_jit(lambda x, k=k: la.makediag(x, offset=k), v), want)
    check_grads(lambda x: la.extractdiag(x, offset=1) ** 2, [a])
    check_grads(lambda x: la.makediag(x, offset=-1) ** 2, [v])
    with pytest.raises(ShapeError, match="outside 3x3"):
        la.extractdiag(nd.array(a), offset=3)


@pytest.mark.parametrize("ord_", [1, 2])
def test_norm_over_more_than_two_axes_is_the_elementwise_norm(ord_):
    # (MXNet 1.9.1: norm(x, axis=(0, 1, 2)) of arange(24) is 65.75713 for L2, 276 for L1)
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 5
    got = nd.norm(nd.array(x), ord=ord_, axis=(0, 1, 2)).asnumpy()
    want = np.abs(x).sum() if ord_ == 1 else np.sqrt((x.astype(np.float64) ** 2).sum())
    np.testing.assert_allclose(got, want, rtol=1e-6)
    y = np.random.default_rng(0).standard_normal((2, 3, 4, 5)).astype(np.float32)
    kept = nd.norm(nd.array(y), ord=ord_, axis=(0, 2, 3), keepdims=True)
    ref = (np.abs(y).sum(axis=(0, 2, 3), keepdims=True) if ord_ == 1
           else np.sqrt((y.astype(np.float64) ** 2).sum(axis=(0, 2, 3), keepdims=True)))
    np.testing.assert_allclose(kept.asnumpy(), ref, rtol=1e-5)


@pytest.mark.parametrize("lower", [True, False])
def test_potrf_and_potri_of_either_triangle(lower):
    # (MXNet 1.9.1: lower=False gives U with A = U.T @ U, and potri inverts from it)
    a = np.array([[9.0, 3, -6, 12], [3, 26, -7, -11], [-6, -7, 9, 7], [12, -11, 7, 65]])
    factor = nd.linalg.potrf(nd.array(a, dtype="float64"), lower=lower).asnumpy()
    low = np.linalg.cholesky(a)
    np.testing.assert_allclose(factor, low if lower else low.T, atol=1e-12)
    inverse = nd.linalg.potri(nd.array(factor, dtype="float64"), lower=lower).asnumpy()
    np.testing.assert_allclose(inverse, np.linalg.inv(a), rtol=1e-10, atol=1e-12)
    check_grads(lambda m: nd.linalg.potrf((m + nd.swapaxes(m, 0, 1)) * 0.5, lower=lower),
                [a], order=1)


def test_a_number_as_kernel_is_a_1d_window():
    # (MXNet 1.9.1 reads kernel=3 as (3,): Convolution (1, 1, 10) -> (1, 2, 4) at stride 2)
    x = nd.array(np.arange(10, dtype=np.float32).reshape(1, 1, 10))
    conv = nd.Convolution(x, nd.ones((2, 1, 3)), kernel=3, num_filter=2, no_bias=True,
                          stride=2)
    np.testing.assert_allclose(conv.asnumpy()[0, 0], [3.0, 9.0, 15.0, 21.0])
    pooled = nd.Pooling(x, kernel=2, stride=2, pool_type="max")
    np.testing.assert_allclose(pooled.asnumpy()[0, 0], [1.0, 3.0, 5.0, 7.0, 9.0])
    assert nd.Deconvolution(nd.ones((1, 2, 4)), nd.ones((2, 1, 3)), kernel=3, num_filter=1,
                            no_bias=True).shape == (1, 1, 6)
