"""mx.sym.np and mx.sym.npx: mx.np's functions on symbols (one `_np_call` node each), NumPy
semantics for as_np_ndarray() symbols, JSON round trips, gradients, and Gluon export of
blocks written with F.np."""
import json

import numpy as onp
import pytest

import mxjit as mx
from mxjit.base import MXNetError
from mxjit.core.np_functions import FUNCTIONS

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


def test_errors_name_the_function(monkeypatch):
    with pytest.raises(MXNetError, match="mx.np has no function 'no_such_function'"):
        _run(mx.sym.np.no_such_function(mx.sym.var("a")), a=[1.0])
    monkeypatch.setitem(FUNCTIONS, "pair_of", lambda x: (x, x))  # (not in RESULT_COUNTS)
    with pytest.raises(MXNetError, match=r"np.pair_of on symbols: it returns tuple of 2 "
                       r"results where 1 array\(s\) were expected"):
        _run(mx.sym.np.pair_of(mx.sym.var("a")), a=[1.0])
    with pytest.raises(MXNetError, match="np.split on symbols: the number of its results "
                                         "must follow from its arguments"):
        mx.sym.np.split(mx.sym.var("a"))


def test_functions_of_several_results_give_lists_of_symbols():
    a = mx.sym.var("a").as_np_ndarray()
    parts = mx.sym.np.split(a, [1, 3], axis=1)  # (a list even of one part, as MXNet's)
    assert isinstance(parts, list) and len(parts) == 3 and len(mx.sym.np.split(a, 1)) == 1
    av = onp.arange(12.0).reshape(3, 4)
    for part, want in zip(parts, onp.split(av, [1, 3], axis=1)):
        onp.testing.assert_array_equal(_run(mx.sym.load_json(part.tojson()), a=av), want)
    u, s, vt = mx.sym.np.linalg.svd(a)
    exe = mx.sym.Group([u, s, vt]).bind(mx.cpu(), {"a": nd.array(av)})
    uv, sv, vtv = (o.asnumpy() for o in exe.forward())
    onp.testing.assert_allclose((uv * sv) @ vtv, av, atol=1e-4)
    assert type(mx.sym.np.linalg.qr(a, mode="r")) is mx.sym.np._Symbol
    assert len(mx.sym.np.unique(a, return_counts=True)) == 2


def test_numpy_symbols_index_as_numpy_and_groups_pick_outputs():
    a = mx.sym.var("a").as_np_ndarray()
    av = onp.arange(24.0).reshape(2, 3, 4)
    for key in [(slice(None), -1), (Ellipsis, slice(1, None, 2)), 0, (None, 1, slice(2))]:
        indexed = mx.sym.load_json(a[key].tojson())
        onp.testing.assert_array_equal(_run(indexed, a=av), av[key])
    group = mx.sym.Group([a, a * 2]).as_np_ndarray()
    onp.testing.assert_array_equal(_run(group[1], a=av), av * 2)
    with pytest.raises(TypeError, match="indices of symbol group must be integers or slices"):
        group[0, 1]


def test_operators_on_numpy_symbols_give_numpy_symbols():
    x = mx.sym.var("x").as_np_ndarray()
    y = mx.sym.FullyConnected(x, num_hidden=3, name="fc")
    assert type(y) is mx.sym.np._Symbol and type(mx.sym.relu(mx.sym.var("z"))) is mx.sym.Symbol
    onp.testing.assert_array_equal(y[0].infer_shape(x=(2, 5))[1], [(3,)])


def test_a_block_indexing_np_inputs_exports_with_layers_on_numpy_symbols(tmp_path):
    @mx.util.use_np
    class Case(mx.gluon.HybridBlock):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.layer = mx.gluon.nn.Dense(4, flatten=False)

        def hybrid_forward(self, F, x, y):
            return self.layer(F.np.split(x, 1)[0][:, -1, :] + y[:, -1, :])

    block = Case()
    block.initialize()
    block.hybridize()
    x, y = (mx.np.array(onp.random.rand(3, 2, 5, 6), dtype="float32") for _ in range(2))
    want = block(x, y).asnumpy()
    block.export(str(tmp_path / "case"))
    with mx.util.np_array(True), mx.util.np_shape(True):
        loaded = mx.gluon.SymbolBlock.imports(
            str(tmp_path / "case-symbol.json"), ["data0", "data1"],
            str(tmp_path / "case-0000.params"))
        onp.testing.assert_allclose(loaded(x, y).asnumpy(), want, rtol=1e-5)
