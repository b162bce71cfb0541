"""`_slice_assign` (`_crop_assign`) and `_slice_assign_scalar`: a slice region replaced, as
a new array, traced and differentiable (MXNet's test_ndarray_crop)."""
from __future__ import annotations

import json

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import ShapeError
from tests.helpers import numerical_grad


def test_crop_assign_writes_the_region_into_out():
    x = mx.nd.ones((2, 3, 4))
    mx.nd._internal._crop_assign(x, mx.nd.zeros((2, 1, 3)), begin=(0, 0, 0), end=(2, 1, 3),
                                 out=x)
    expected = np.ones((2, 3, 4), np.float32)
    expected[0:2, 0:1, 0:3] = 0
    np.testing.assert_array_equal(x.asnumpy(), expected)
    x = mx.nd.ones((2, 3, 4))
    mx.nd._internal._crop_assign_scalar(x, scalar=5, begin=(0, 0, 0), end=(2, 1, 3), out=x)
    expected[0:2, 0:1, 0:3] = 5
    np.testing.assert_array_equal(x.asnumpy(), expected)


@pytest.mark.parametrize("begin,end,step", [((1,), (3,), None), ((0, 4), (None, 0), (2, -2)),
                                            ((-2, None), (None, None), None)])
def test_slice_assign_matches_numpy_and_its_gradients_split_between_the_operands(begin, end,
                                                                                  step):
    rng = np.random.default_rng(0)
    lhs = rng.standard_normal((4, 5))
    key = tuple(slice(b, e, s) for b, e, s in zip(begin, end, step or (None,) * len(begin)))
    rhs = rng.standard_normal(lhs[key].shape)
    expected = lhs.copy()
    expected[key] = rhs

    def f(a, b):
        return mx.nd._internal._slice_assign(a, b, begin=begin, end=end, step=step)

    got = f(mx.nd.array(lhs, dtype="float64"), mx.nd.array(rhs, dtype="float64"))
    np.testing.assert_array_equal(got.asnumpy(), expected)
    jitted = mx.jit(f)(mx.nd.array(lhs, dtype="float64"), mx.nd.array(rhs, dtype="float64"))
    np.testing.assert_array_equal(jitted.asnumpy(), expected)
    weights = rng.standard_normal(lhs.shape)
    a, b = mx.nd.array(lhs, dtype="float64"), mx.nd.array(rhs, dtype="float64")
    a.attach_grad()
    b.attach_grad()
    with mx.autograd.record():
        loss = (f(a, b) * mx.nd.array(weights, dtype="float64")).sum()
    loss.backward()
    outside = np.ones(lhs.shape)
    outside[key] = 0
    np.testing.assert_allclose(a.grad.asnumpy(), weights * outside)
    np.testing.assert_allclose(b.grad.asnumpy(), weights[key])
    numeric = numerical_grad(
        lambda v, w: float((f(mx.nd.array(v, dtype="float64"), mx.nd.array(w, dtype="float64"))
                            .asnumpy() * weights).sum()), [lhs, rhs], 1)
    np.testing.assert_allclose(b.grad.asnumpy(), numeric, atol=1e-6)
    numeric = numerical_grad(
        lambda v, w: float((f(mx.nd.array(v, dtype="float64"), mx.nd.array(w, dtype="float64"))
                            .asnumpy() * weights).sum()), [lhs, rhs], 0)
    np.testing.assert_allclose(a.grad.asnumpy(), numeric, atol=1e-6)


def test_slice_assign_on_symbols_writes_mxnets_node_and_infers_shapes():
    out = mx.sym._internal._slice_assign(mx.sym.var("a"), mx.sym.var("b"), begin=(0, 1),
                                         end=(2, None), step=(1, 2), name="assign")
    node = [n for n in json.loads(out.tojson())["nodes"] if n["op"] != "null"][0]
    assert node["op"] == "_slice_assign"
    assert node["attrs"] == {"begin": "(0, 1)", "end": "(2, None)", "step": "(1, 2)"}
    assert out.infer_shape(a=(2, 5), b=(2, 2)) == ([(2, 5), (2, 2)], [(2, 5)], [])


def test_slice_assign_refuses_a_value_of_another_shape_than_the_region():
    with pytest.raises(ShapeError, match=r"rhs has shape \(2, 2\), the region \(2, 1, 3\)"):
        mx.nd._internal._slice_assign(mx.nd.ones((2, 3, 4)), mx.nd.zeros((2, 2)),
                                      begin=(0, 0, 0), end=(2, 1, 3))
    with pytest.raises(ShapeError, match="3 axes given for an array of 2 dims"):
        mx.nd._internal._slice_assign_scalar(mx.nd.ones((2, 3)), scalar=1, begin=(0, 0, 0),
                                             end=(1, 1, 1))
