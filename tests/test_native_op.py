"""mx.operator.define: native operators declared by their formula (and gradient), which fuse
into kernels like built-ins, render for CUDA and differentiate to higher orders."""
import json
import shutil
import subprocess

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import ArgumentError, ParamError
from mxjit.lower import render_cuda

nd = mx.nd


def _smooth_l1_grad(data, out, out_grad, scalar=1.0):
    s2 = scalar * scalar
    return out_grad * nd.where(nd.abs(data) < 1 / s2, s2 * data, nd.sign(data))


@mx.operator.define("test_smooth_l1", grad=_smooth_l1_grad)
def _smooth_l1(data, scalar=1.0):
    """The guide's smooth_l1: 0.5 (sigma x)^2 where |x| < 1/sigma^2, else |x| - 0.5/sigma^2."""
    s2 = scalar * scalar
    a = nd.abs(data)
    return nd.where(a < 1 / s2, 0.5 * s2 * data * data, a - 0.5 / s2)


@mx.operator.define("test_softsign")
def _softsign(data, scale=1.0):
    return scale * data / (1 + nd.abs(data))


@mx.operator.define("test_blend")
def _blend(lhs, rhs, weight=0.5):
    return weight * lhs + (1 - weight) * nd.exp(rhs)


X = np.array([-2.0, -0.3, 0.1, 0.7, 3.0, -0.05], np.float32)


def _grad(f, x):
    v = nd.array(x)
    v.attach_grad()
    with mx.autograd.record():
        y = f(v).sum()
    y.backward()
    return v.grad.asnumpy()


@pytest.mark.parametrize("sigma", [0.5, 1.0, 2.0])
def test_smooth_l1_matches_the_builtin_and_mxnet(sigma):
    np.testing.assert_allclose(nd.test_smooth_l1(nd.array(X), scalar=sigma).asnumpy(),
                               nd.smooth_l1(nd.array(X), scalar=sigma).asnumpy(), rtol=1e-6)
    np.testing.assert_allclose(_grad(lambda v: nd.test_smooth_l1(v, scalar=sigma), X),
                               _grad(lambda v: nd.smooth_l1(v, scalar=sigma), X), rtol=1e-6)
    if sigma == 2.0:  # MXNet 1.9.1's nd.smooth_l1(x, scalar=2) and its gradient
        got = nd.test_smooth_l1(nd.array(X[:5]), scalar=2.0).asnumpy()
        np.testing.assert_allclose(got, [1.875, 0.175, 0.02, 0.575, 2.875], rtol=1e-6)
        np.testing.assert_allclose(_grad(lambda v: nd.test_smooth_l1(v, scalar=2.0), X[:5]),
                                   [-1.0, -1.0, 0.4, 1.0, 1.0], rtol=1e-6)


def _numeric(f, x, eps=1e-3):
    x = x.astype(np.float64)
    return np.array([(f(x + eps * e) - f(x - eps * e)) / (2 * eps) for e in np.eye(len(x))])


def test_derived_gradients_to_second_order_against_numerical_differences():
    scale = 1.5

    def value(x):
        return (scale * x / (1 + np.abs(x))).sum()

    def first(x):
        return scale / (1 + np.abs(x)) ** 2

    np.testing.assert_allclose(_grad(lambda v: nd.test_softsign(v, scale=scale), X),
                               _numeric(value, X), rtol=1e-3, atol=1e-4)
    second = mx.grad(lambda v: mx.grad(lambda u: nd.test_softsign(u, scale=scale).sum())(v)
                     .sum())(nd.array(X)).asnumpy()
    np.testing.assert_allclose(second, _numeric(lambda x: first(x).sum(), X), rtol=1e-3,
                               atol=1e-4)


def test_a_given_gradient_differentiates_again():
    # d/dx of smooth_l1's gradient: sigma^2 inside |x| < 1/sigma^2, 0 outside
    second = mx.grad(lambda v: mx.grad(lambda u: nd.test_smooth_l1(u, scalar=2.0).sum())(v)
                     .sum())(nd.array(X)).asnumpy()
    np.testing.assert_allclose(second, np.where(np.abs(X) < 0.25, 4.0, 0.0), rtol=1e-6)


def test_several_inputs_and_their_gradients():
    lhs, rhs = nd.array(X), nd.array(X[::-1].copy())
    lhs.attach_grad()
    rhs.attach_grad()
    with mx.autograd.record():
        y = nd.test_blend(lhs, rhs, weight=0.25).sum()
    y.backward()
    np.testing.assert_allclose(lhs.grad.asnumpy(), np.full(6, 0.25), rtol=1e-6)
    np.testing.assert_allclose(rhs.grad.asnumpy(), 0.75 * np.exp(X[::-1]), rtol=1e-5)


def _chain(v):
    return nd.test_softsign(nd.test_smooth_l1(v * 2, scalar=1.5), scale=3.0) + 1


def test_native_operators_fuse_with_their_neighbours():
    x = nd.array(X)
    lowered = mx.jit(_chain).lower(x)
    assert len(lowered.kernels) == 1  # (two native operators and three built-in ops)
    assert "library" not in lowered.as_text() and "host" not in lowered.as_text()
    np.testing.assert_allclose(mx.jit(_chain)(x).asnumpy(), _chain(x).asnumpy(), rtol=1e-6)
    backward = mx.jit(mx.grad(lambda v: _chain(v).sum())).lower(x)
    assert len(backward.kernels) == 1


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="needs nvcc")
def test_the_fused_kernels_render_as_cuda_c_that_nvcc_compiles(tmp_path):
    x = nd.array(X)
    programs = [mx.jit(_chain).lower(x).program,
                mx.jit(mx.grad(lambda v: _chain(v).sum())).lower(x).program]
    kernels = [s.kernel for p in programs for s in (p.portable or p).kernels]
    source = tmp_path / "native.cu"
    source.write_text("\n".join(render_cuda(k, f"k{i}") for i, k in enumerate(kernels)))
    done = subprocess.run(["nvcc", "--ptx", "-arch=sm_90", "-Xcicc", "-O0", str(source), "-o",
                           str(tmp_path / "native.ptx")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[:3000]
    assert ".entry k0" in (tmp_path / "native.ptx").read_text()


def test_symbol_json_and_hybridized_blocks():
    s = nd_sym = mx.sym.test_smooth_l1(mx.sym.var("x"), scalar=2.0, name="sl1")
    node = json.loads(s.tojson())["nodes"][1]
    assert node == {"op": "test_smooth_l1", "name": "sl1", "attrs": {"scalar": "2.0"},
                    "inputs": [[0, 0, 0]]}
    got = mx.sym.load_json(nd_sym.tojson()).eval(x=nd.array(X))[0].asnumpy()
    np.testing.assert_allclose(got, nd.smooth_l1(nd.array(X), scalar=2.0).asnumpy(), rtol=1e-6)

    class Net(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return F.test_softsign(x, scale=2.0)

    net = Net()
    net.hybridize()
    np.testing.assert_allclose(net(nd.array(X)).asnumpy(), 2 * X / (1 + np.abs(X)),
                               rtol=1e-6)


def test_definition_errors():
    with pytest.raises(ParamError, match="an operator named 'smooth_l1' exists already"):
        mx.operator.define("smooth_l1")(_smooth_l1)
    with pytest.raises(ParamError, match="inputs .* must come first and there must be one"):
        mx.operator.define("test_no_input")(lambda scale=1.0: scale)

    @mx.operator.define("test_bad_grad", grad=lambda a, b, out, g: (g,))
    def _bad(a, b):
        return a * b

    x = nd.array([1.0])
    x.attach_grad()
    with pytest.raises(ArgumentError, match="test_bad_grad: its gradient returned 1 arrays "
                                            "for 2 inputs"):
        with mx.autograd.record():
            nd.test_bad_grad(x, x).backward()
