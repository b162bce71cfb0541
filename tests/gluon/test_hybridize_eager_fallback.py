"""Hybridized blocks whose results' shapes depend on values (`np.unique`, `np.bincount`,
`x[mask]`, ...) or whose Python code decides on values: they run eagerly for that input
signature, with the numbers and gradients of the un-hybridized block, as MXNet 1.9.1 runs
its dynamic-shape operators in a hybridized block; `mx.jit` keeps raising."""
from __future__ import annotations

import numpy as onp
import pytest

import mxjit as mx
from mxjit import autograd, gluon, np, npx
from mxjit.base import ConcreteValueError, NotImplementedForSymbol, TracerError, UnsupportedError

X = onp.array([1, 0, 3, 1, 2, 7], dtype="int64")
F32 = onp.array([[0.5, -1.0, 2.0], [-0.25, 3.0, -2.0]], dtype="float32")


@pytest.fixture(autouse=True)
def np_mode():
    npx.set_np()
    yield
    npx.reset_np()


class Lambda(gluon.HybridBlock):
    """A block computing `fn(F, *inputs)`, counting the runs of its Python code."""

    def __init__(self, fn, **kwargs):
        super().__init__(**kwargs)
        self.fn = fn
        self.runs = 0

    def hybrid_forward(self, F, x, *args):
        self.runs += 1
        return self.fn(F, x, *args)


def _values(out):
    return [o.asnumpy() for o in (out if isinstance(out, (list, tuple)) else [out])]


CASES = {
    "bincount": (lambda F, x: F.np.bincount(x), lambda x: [onp.bincount(x)], X),
    "bincount_weights": (lambda F, x: F.np.bincount(x, x.astype("float32") * 0.5, 10),
                         lambda x: [onp.bincount(x, x * 0.5, 10)], X),
    "unique": (lambda F, x: F.np.unique(x, True, True, True),
               lambda x: list(onp.unique(x, True, True, True)), X),
    "unique_axis": (lambda F, x: F.np.unique(x.reshape(3, 2), axis=0),
                    lambda x: [onp.unique(x.reshape(3, 2), axis=0)], X % 2),
    "nonzero": (lambda F, x: F.np.nonzero(x), lambda x: list(onp.nonzero(x)), F32),
    "npx_nonzero": (lambda F, x: F.npx.nonzero(x), lambda x: [onp.argwhere(x)], F32),
    "mask": (lambda F, x: x[x > 0], lambda x: [x[x > 0]], F32),
    "mask_rows": (lambda F, x: x[x[:, 0] > 0], lambda x: [x[x[:, 0] > 0]], F32),
    "python_decision": (lambda F, x: x * 2 if x.sum() > 0 else -x,
                        lambda x: [x * 2 if x.sum() > 0 else -x], F32),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_hybridized_block_gives_the_eager_numbers(name):
    fn, reference, data = CASES[name]
    eager = Lambda(fn)
    hybrid = Lambda(fn)
    hybrid.hybridize()
    want = reference(data)
    for _ in range(2):  # (the second call takes the remembered decision)
        for got in (_values(eager(np.array(data))), _values(hybrid(np.array(data)))):
            assert len(got) == len(want)
            for g, w in zip(got, want):
                assert g.shape == w.shape
                onp.testing.assert_allclose(g, w, rtol=1e-6)


def test_the_decision_is_remembered_per_signature():
    block = Lambda(lambda F, x: F.np.unique(x))
    block.hybridize()
    block(np.array(X))
    assert block.runs == 2  # (the attempted trace, then the eager call)
    block(np.array(X[::-1]))
    assert block.runs == 3  # (no second trace for the same shapes)
    block(np.array(X[:4]))
    assert block.runs == 5  # (a new shape is a new signature)
    block(np.array(X[:4].astype("int32")))
    assert block.runs == 7  # (so is a new dtype)
    assert len(block._program.eager) == 3 and not block._program.fn._cache


def test_the_fallback_is_logged_once_with_its_reason(monkeypatch, capsys):
    monkeypatch.setenv("MXJIT_LOG_COMPILES", "1")
    block = Lambda(lambda F, x: F.np.bincount(x), prefix="counts_")
    block.hybridize()
    block(np.array(X))
    block(np.array(X))
    lines = [line for line in capsys.readouterr().err.splitlines() if "runs eagerly" in line]
    assert len(lines) == 1
    assert "hybridize: counts (Lambda) runs eagerly, op by op, for inputs [(6,) int64] in " \
           "predict mode: tracing it needs values, not only shapes: mx.np.bincount" in lines[0]


def test_mx_jit_keeps_raising_for_a_value_dependent_shape():
    block = Lambda(lambda F, x: F.np.unique(x))
    block.hybridize()
    with pytest.raises(ConcreteValueError, match=r"unique \(whose result's shape depends"):
        mx.jit(lambda x: block(x) + 1)(np.array(X))
    with pytest.raises(TracerError, match="boolean mask of shape"):
        mx.jit(lambda x: x[x > 0])(np.array(F32))
    with pytest.raises(TracerError, match="mx.np.bincount .computed by NumPy on the host"):
        mx.grad(lambda x: np.bincount(np.array(X), weights=x).sum())(np.ones(6))


def test_errors_that_do_not_ask_for_values_still_raise():
    def write(F, x):
        x[0] = 1.0
        return x

    block = Lambda(write)
    block.hybridize()
    with pytest.raises(TracerError, match="functionally"):
        block(np.array(F32))
    assert not block._program.eager


def test_gradients_flow_as_in_the_eager_block():
    def make():
        net = gluon.nn.HybridSequential()
        net.add(gluon.nn.Dense(4, in_units=3), Lambda(lambda F, h: (h[h > 0] ** 2).sum()))
        net.initialize(mx.init.Xavier())
        return net

    grads = []
    for hybridize in (False, True):
        mx.random.seed(7)
        net = make()
        if hybridize:
            net.hybridize()
        x = np.array(F32)
        x.attach_grad()
        with autograd.record():
            loss = net(x)
        loss.backward()
        grads.append((loss.asnumpy(), x.grad.asnumpy(), net[0].weight.grad().asnumpy()))
    for eager, hybrid in zip(*grads):
        onp.testing.assert_allclose(hybrid, eager, rtol=1e-6)
    assert onp.any(grads[1][1] != 0)


def test_hybridized_children_still_compile_when_the_parent_runs_eagerly():
    def make():
        mx.random.seed(3)
        net = gluon.nn.HybridSequential()
        net.add(gluon.nn.Dense(5, in_units=3), gluon.nn.BatchNorm(in_channels=5),
                Lambda(lambda F, h: h[h > 0]))
        net.initialize()
        return net

    results = []
    for hybridize in (False, True):
        net = make()
        if hybridize:
            net.hybridize()
        with autograd.record():
            out = net(np.array(F32))
            loss = (out ** 2).sum()
        loss.backward()
        results.append((out.asnumpy(), net[0].weight.grad().asnumpy(),
                        net[1].running_mean.data().asnumpy()))
    for eager, hybrid in zip(*results):
        onp.testing.assert_allclose(hybrid, eager, rtol=1e-5, atol=1e-7)
    assert net._program.eager and not net._program.fn._cache
    assert len(net[0]._program.fn._cache) == 1 and len(net[1]._program.fn._cache) == 1
    assert onp.any(results[1][2] != 0)  # (the running statistics moved)


def test_deferred_shapes_are_set_by_the_eager_call():
    outs = []
    for hybridize in (False, True):
        mx.random.seed(5)
        net = gluon.nn.HybridSequential()
        net.add(gluon.nn.Dense(4), Lambda(lambda F, h: F.np.unique(h > 0, return_counts=True)))
        net.initialize()
        if hybridize:
            net.hybridize()
        outs.append(_values(net(np.array(F32))))
        assert net[0].weight.shape == (4, 3)
    for eager, hybrid in zip(*outs):
        onp.testing.assert_array_equal(hybrid, eager)


class DeferredWeight(gluon.HybridBlock):
    """A user's block whose own weight's shape comes from the operator it feeds."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.weight = self.params.get("weight", shape=(4, 0), allow_deferred_init=True)

    def hybrid_forward(self, F, x, weight):
        h = F.npx.fully_connected(x, weight, no_bias=True, num_hidden=4)
        return F.np.unique(h > 0, return_counts=True)


@pytest.mark.parametrize("hybridize", [False, True])
def test_shape_inference_of_a_users_block_passes_a_value_dependent_operator(hybridize):
    block = DeferredWeight()
    block.initialize(mx.init.One())
    if hybridize:
        block.hybridize()
    values, counts = block(np.array(F32))
    assert block.weight.shape == (4, 3)
    h = F32 @ onp.ones((3, 4))
    want_values, want_counts = onp.unique(h > 0, return_counts=True)
    onp.testing.assert_array_equal(values.asnumpy(), want_values)
    onp.testing.assert_array_equal(counts.asnumpy(), want_counts)


def test_export_writes_the_graph_when_its_operators_exist_as_symbols(tmp_path):
    block = Lambda(lambda F, x: F.np.bincount(x, minlength=9))
    block.hybridize()
    want = block(np.array(X)).asnumpy()
    block.export(str(tmp_path / "counts"))
    loaded = gluon.SymbolBlock.imports(str(tmp_path / "counts-symbol.json"), ["data"])
    loaded.hybridize()
    for _ in range(2):
        onp.testing.assert_array_equal(loaded(np.array(X)).asnumpy(), want)


def test_export_of_a_python_decision_on_values_says_why_it_cannot():
    block = Lambda(lambda F, x: x * 2 if x.sum() > 0 else x)
    block.hybridize()
    block(np.array(F32))
    with pytest.raises(NotImplementedForSymbol, match="Function __bool__"):
        block.export("unused")


def test_export_of_np_nonzero_says_a_symbol_does_not_know_its_axes():
    block = Lambda(lambda F, x: F.np.nonzero(x)[0])
    block.hybridize()
    onp.testing.assert_array_equal(block(np.array(F32)).asnumpy(), onp.nonzero(F32)[0])
    with pytest.raises(UnsupportedError, match="np.nonzero on symbols: it returns one array "
                                               "per axis of its input"):
        block.export("unused")
