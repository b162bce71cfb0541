"""mx.sym.np and mx.sym.npx: mx.np's functions on symbols (one `_np_call` node each), NumPy
semantics for as_np_ndarray() symbols, JSON round trips, gradients, and Gluon export of
blocks written with F.np."""
import json

import numpy as onp
import pytest

import mxjit as mx
from mxjit.base import MXNetError

nd = mx.nd


def _run(sym, **arrays):
    exe = sym.bind(mx.cpu(), {k: nd.array(v) for k, v in arrays.items()})
    return exe.forward()[0].asnumpy()


def test_numpy_symbols_broadcast_and_call_mx_np():
    x, w = mx.sym.var("x").as_np_ndarray(), mx.sym.var("w").as_np_ndarray()
    assert type(x) is mx.sym.np._Symbol
    y = mx.sym.np.tanh(x @ w + 1).sum(axis=1) - x.mean()  # (shapes broadcast as NumPy's)
    xv, wv = onp.random.rand(2, 3), onp.random.rand(3, 4)
    want = onp.tanh(xv @ wv + 1).sum(axis=1) - xv.mean()
    onp.testing.assert_allclose(_run(y, x=xv, w=wv), want, rtol=1e-5)
    assert y.infer_shape(x=(2, 3), w=(3, 4))[1] == [(2,)]
    assert type(y.as_nd_ndarray()) is mx.sym.Symbol


def test_lists_keywords_subnamespaces_and_npx():
    a, b = mx.sym.var("a"), mx.sym.var("b")
    stacked = mx.sym.np.stack([a, b], axis=1)
    onp.testing.assert_array_equal(_run(stacked, a=[1, 2], b=[3, 4]), [[1, 3], [2, 4]])
    onp.testing.assert_allclose(_run(mx.sym.np.linalg.det(a), a=[[1, 2], [3, 4]]), -2.0)
    onp.testing.assert_array_equal(_run(mx.sym.npx.relu(a), a=[-1, 2]), [0, 2])
    zeros = mx.sym.np.zeros((2, 2), dtype=onp.float64)
    assert _run(zeros).dtype == onp.float64


def test_json_round_trip_keeps_the_calls():
    x = mx.sym.var("x").as_np_ndarray()
    y = mx.sym.np.sum(x * 2, axis=(0, 1), keepdims=True)
    ops = [n["op"] for n in json.loads(y.tojson())["nodes"]]
    assert ops == ["null", "_np_call", "_np_call"]
    loaded = mx.sym.load_json(y.tojson())
    onp.testing.assert_allclose(_run(loaded, x=onp.ones((2, 3))), [[12.0]])


def test_gradients_through_numpy_symbols_equal_mx_np_autograd():
    x = mx.sym.var("x").as_np_ndarray()
    y = mx.sym.np.sum(mx.sym.np.exp(x) * x, axis=0)
    xv = onp.random.rand(3, 2)
    gx = nd.zeros((3, 2))
    exe = y.bind(mx.cpu(), {"x": nd.array(xv)}, args_grad={"x": gx})
    exe.forward(is_train=True)
    exe.backward(nd.ones((2,)))
    onp.testing.assert_allclose(gx.asnumpy(), onp.exp(xv) * (1 + xv), rtol=1e-5)


def test_a_block_written_with_f_np_exports_and_imports(tmp_path):
    class Block(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return F.np.sum(x * 2, axis=1) + F.np.exp(x).mean()

    mx.npx.set_np()
    try:
        block = Block()
        block.hybridize()
        x = mx.np.array(onp.random.rand(2, 3))
        want = block(x).asnumpy()
        block.export(str(tmp_path / "npblock"))
        loaded = mx.gluon.SymbolBlock.imports(str(tmp_path / "npblock-symbol.json"), ["data"])
        onp.testing.assert_allclose(loaded(x).asnumpy(), want, rtol=1e-6)
    finally:
        mx.npx.reset_np()


def test_errors_name_the_function():
    with pytest.raises(MXNetError, match="mx.np has no function 'no_such_function'"):
        _run(mx.sym.np.no_such_function(mx.sym.var("a")), a=[1.0])
    with pytest.raises(MXNetError, match="only functions of one array result"):
        _run(mx.sym.np.linalg.svd(mx.sym.var("a")), a=[[1.0, 2.0], [3.0, 4.0]])
