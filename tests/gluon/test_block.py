"""Gluon's Block and HybridBlock: naming, containers, saving, hooks, and `hybridize()` as
one compiled program per signature whose numbers equal the eager ones."""
from __future__ import annotations

import io
import warnings
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import pytest

import mxjit as mx
from mxjit import autograd, gluon, nd
from mxjit.gluon import nn

from .layer_check import eager_and_hybrid

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mxnet-1.9.1"


def mlp(**kwargs):
    net = nn.HybridSequential(**kwargs)
    with net.name_scope():
        net.add(nn.Dense(4, activation="relu"), nn.BatchNorm(), nn.Dropout(0.5))
    return net


def test_automatic_prefixes_follow_mxnet():
    with mx.name.NameManager():
        net = mlp()
        other = nn.Dense(2)
    assert net.prefix == "hybridsequential0_" and net.name == "hybridsequential0"
    assert other.prefix == "dense0_"
    assert [p for p in net.collect_params()] == [
        "hybridsequential0_dense0_weight", "hybridsequential0_dense0_bias",
        "hybridsequential0_batchnorm0_gamma", "hybridsequential0_batchnorm0_beta",
        "hybridsequential0_batchnorm0_running_mean",
        "hybridsequential0_batchnorm0_running_var"]
    assert net[0].act.prefix == "hybridsequential0_dense0_relu_"
    with mx.name.NameManager():
        assert nn.Dense(3, in_units=2, prefix="fc_").weight.name == "fc_weight"
        with mx.name.Prefix("outer_"):
            assert nn.Dense(1).prefix == "outer_dense0_"


def test_repr_before_and_after_shapes_are_known():
    net = mlp()
    assert repr(net) == (
        "HybridSequential(\n"
        "  (0): Dense(None -> 4, Activation(relu))\n"
        "  (1): BatchNorm(axis=1, eps=1e-05, momentum=0.9, fix_gamma=False, "
        "use_global_stats=False, in_channels=None)\n"
        "  (2): Dropout(p = 0.5, axes=())\n)")
    net.initialize()
    net(nd.ones((2, 3)))
    assert "Dense(3 -> 4, Activation(relu))" in repr(net)
    assert "in_channels=4)" in repr(net)

    class Two(gluon.Block):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.a = nn.Dense(2)
            self.b = nn.Dense(3)

    assert repr(Two()) == ("Two(\n  (a): Dense(None -> 2, linear)\n"
                           "  (b): Dense(None -> 3, linear)\n)")
    assert repr(gluon.Block()) == "Block(\n\n)"
    assert repr(nn.Lambda("tanh")) == "Lambda(tanh)"
    assert repr(nn.Embedding(10, 4)) == "Embedding(10 -> 4, float32)"
    assert repr(nn.LayerNorm()) == ("LayerNorm(eps=1e-05, axis=-1, center=True, scale=True, "
                                    "in_channels=0)")
    assert repr(nn.GroupNorm()) == "GroupNorm(eps=1e-05, num_groups=1, center=True, scale=True)"
    assert repr(nn.Flatten()) == "Flatten"


def test_params_sharing_and_collect_select():
    with mx.name.NameManager():
        a = nn.Dense(3, in_units=2)
        b = nn.Dense(3, in_units=2, params=a.params)
    assert b.weight is a.weight and b.prefix == "dense1_"
    net = mlp()
    assert list(net.collect_params(".*weight|.*bias")) == [
        net[0].weight.name, net[0].bias.name]
    assert list(net.collect_params("nothing")) == []


def test_sequential_indexing_slicing_and_children():
    with mx.name.NameManager():
        s = nn.Sequential()
        s.add(nn.Dense(1), nn.Dense(2), nn.Dense(3))
    assert len(s) == 3 and s[1] is list(s._children.values())[1]
    tail = s[1:]
    assert isinstance(tail, nn.Sequential) and len(tail) == 2 and tail.prefix == s.prefix
    with pytest.raises(ValueError, match="HybridSequential"):
        nn.HybridSequential().add(nn.Lambda("tanh"))
    with pytest.warns(UserWarning, match="Consider using HybridSequential"):
        s.hybridize()


def test_attribute_type_change_is_refused():
    net = nn.Dense(2)
    with pytest.raises(TypeError, match="Changing attribute type"):
        net.weight = 3
    with pytest.raises(AssertionError, match="Overriding Parameter"):
        net.weight = gluon.Parameter("x", shape=(1,))


def test_calling_before_initialize_says_so():
    net = nn.Dense(2, in_units=3)
    with pytest.raises(RuntimeError, match="has not been initialized"):
        net(nd.ones((1, 3)))
    net.hybridize()
    with pytest.raises(RuntimeError, match="has not been initialized"):
        net(nd.ones((1, 3)))


def test_custom_block_with_unknown_shapes_needs_infer_shape():
    class Scale(gluon.HybridBlock):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.w = self.params.get("w", shape=(0,), allow_deferred_init=True)

        def hybrid_forward(self, F, x, w):
            return x * w

    net = Scale()
    net.initialize()
    with pytest.raises(gluon.DeferredInitializationError, match="infer_shape"):
        net(nd.ones((2, 3)))

    class Inferred(Scale):
        def infer_shape(self, x):
            self.w.shape = (x.shape[-1],)

    net = Inferred()
    net.initialize(mx.init.One())
    net.hybridize()
    np.testing.assert_array_equal(net(nd.ones((2, 3))).asnumpy(), np.ones((2, 3)))


def test_the_guides_custom_layer_infers_its_deferred_weight_through_the_operator():
    class NormalizationHybridLayer(gluon.HybridBlock):
        def __init__(self, hidden_units, scales):
            super().__init__()
            with self.name_scope():
                self.weights = self.params.get("weights", shape=(hidden_units, 0),
                                               allow_deferred_init=True)
                self.scales = self.params.get("scales", shape=scales.shape,
                                              init=mx.init.Constant(scales.asnumpy()),
                                              differentiable=False)

        def hybrid_forward(self, F, x, weights, scales):
            normalized = F.broadcast_div(F.broadcast_sub(x, F.min(x)),
                                         F.broadcast_sub(F.max(x), F.min(x)))
            weighted = F.FullyConnected(normalized, weights, num_hidden=self.weights.shape[0],
                                        no_bias=True)
            return F.broadcast_mul(scales, weighted)

    x = nd.random.uniform(low=-10, high=10, shape=(5, 2))
    outs = []
    for hybridize in (False, True):
        mx.random.seed(0)
        net = nn.HybridSequential()
        with net.name_scope():
            net.add(nn.Dense(5), NormalizationHybridLayer(5, nd.array([2])), nn.Dense(1))
        net.initialize(mx.init.Xavier(magnitude=2.24))
        if hybridize:
            net.hybridize()
        outs.append(net(x).asnumpy())
        assert net[1].weights.shape == (5, 5) and outs[-1].shape == (5, 1)
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-6)


@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_deferred_convolution_and_batchnorm_weights_come_from_their_operators(layout):
    class Custom(gluon.HybridBlock):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.w = self.params.get("w", shape=(4, 0, 3, 3) if layout == "NCHW" else
                                     (4, 3, 3, 0), allow_deferred_init=True)
            self.gamma = self.params.get("gamma", shape=(0,), init="ones",
                                         allow_deferred_init=True)
            self.beta = self.params.get("beta", shape=(0,), init="zeros",
                                        allow_deferred_init=True)
            self.mean = self.params.get("mean", shape=(0,), init="zeros", grad_req="null",
                                        allow_deferred_init=True)
            self.var = self.params.get("var", shape=(0,), init="ones", grad_req="null",
                                       allow_deferred_init=True)

        def hybrid_forward(self, F, x, w, gamma, beta, mean, var):
            y = F.Convolution(x, w, kernel=(3, 3), num_filter=4, no_bias=True, layout=layout)
            return F.BatchNorm(y, gamma, beta, mean, var, axis=1 if layout == "NCHW" else 3)

    net = Custom()
    net.initialize()
    x = nd.ones((2, 5, 6, 6) if layout == "NCHW" else (2, 6, 6, 5))
    assert net(x).shape == ((2, 4, 4, 4) if layout == "NCHW" else (2, 4, 4, 4))
    assert net.w.shape == ((4, 5, 3, 3) if layout == "NCHW" else (4, 3, 3, 5))
    assert net.gamma.shape == (4,) and net.var.shape == (4,)


def test_hooks_run_and_detach():
    net = nn.Dense(2, in_units=3)
    net.initialize()
    seen = []
    pre = net.register_forward_pre_hook(lambda blk, x: seen.append(("pre", x[0].shape)))
    post = net.register_forward_hook(lambda blk, x, y: seen.append(("post", y.shape)))
    net(nd.ones((4, 3)))
    assert seen == [("pre", (4, 3)), ("post", (4, 2))]
    pre.detach()
    post.detach()
    net(nd.ones((4, 3)))
    assert len(seen) == 2


def test_apply_cast_and_zero_grad():
    net = mlp()
    names = []
    net.apply(lambda b: names.append(type(b).__name__))
    assert names == ["Activation", "Dense", "BatchNorm", "Dropout", "HybridSequential"]
    net.initialize()
    net(nd.ones((2, 3)))
    net.cast("float64")
    assert net[0].weight.data().dtype == np.float64
    assert net(nd.ones((2, 3), dtype="float64")).dtype == np.float64
    net.cast("float16")
    assert net[1].gamma.data().dtype == np.float32  # (BatchNorm keeps float32 statistics)
    net.collect_params().setattr("grad_req", "add")
    net.cast("float32")
    for _ in range(2):
        with autograd.record():
            y = net(nd.ones((2, 3)))
        y.backward()
    assert np.abs(net[0].bias.grad().asnumpy()).sum() >= 0
    net.zero_grad()
    assert not net[0].weight.grad().asnumpy().any()


def test_save_and_load_parameters_round_trip(tmp_path):
    net = mlp()
    net.initialize()
    net(nd.ones((2, 3)))
    path = str(tmp_path / "net.params")
    net.save_parameters(path)
    assert sorted(nd.load(path)) == ["0.bias", "0.weight", "1.beta", "1.gamma",
                                     "1.running_mean", "1.running_var"]
    again = mlp()
    again.load_parameters(path)
    for k, p in again._collect_params_with_prefix().items():
        np.testing.assert_array_equal(p.data().asnumpy(),
                                      net._collect_params_with_prefix()[k].data().asnumpy())
    small = nn.HybridSequential()
    small.add(nn.Dense(4))
    with pytest.raises(ValueError, match="ignore_extra"):
        small.load_parameters(path)
    small.load_parameters(path, ignore_extra=True)
    bigger = mlp()
    bigger.add(nn.Dense(2))
    with pytest.raises(AssertionError, match="allow_missing"):
        bigger.load_parameters(path)
    bigger.load_parameters(path, allow_missing=True)


def test_load_mxnet_mlp_fixture_and_reproduce_its_output():
    net = nn.HybridSequential()
    net.add(nn.Dense(4, activation="relu", in_units=3), nn.BatchNorm(in_channels=4),
            nn.Dense(2, in_units=4))
    net.load_parameters(str(FIXTURES / "mlp.params"))
    x = nd.array(np.load(FIXTURES / "mlp_input.npy"))
    expected = np.load(FIXTURES / "mlp_output.npy")
    np.testing.assert_allclose(net(x).asnumpy(), expected, rtol=1e-5, atol=1e-6)
    net.hybridize()
    np.testing.assert_allclose(net(x).asnumpy(), expected, rtol=1e-5, atol=1e-6)


def test_eager_equals_hybridized_for_an_mlp_with_batchnorm_and_dropout():
    x = np.random.RandomState(0).randn(4, 3).astype(np.float32)

    def make():
        net = nn.HybridSequential()
        with net.name_scope():
            net.add(nn.Dense(5, activation="tanh"), nn.BatchNorm(), nn.Dropout(0.3),
                    nn.Dense(2))
        return net

    out, grads = eager_and_hybrid(make, [x], head=np.random.RandomState(1).randn(4, 2))
    assert sorted(grads) == ["0.bias", "0.weight", "1.beta", "1.gamma", "3.bias", "3.weight"]
    eager_and_hybrid(make, [x], train=False)


def test_hybridize_compiles_the_whole_network_once_per_signature(monkeypatch, capsys):
    net = mlp()
    net.initialize()
    net.hybridize()
    with autograd.record():
        y = net(nd.ones((2, 3)))
    y.backward()
    assert len(net._program.fn._cache) == 1
    assert all(c._program is None for c in net._children.values())  # (no per-layer programs)
    before = net[0].weight.data().asnumpy().copy()
    net[0].weight.set_data(nd.ones((4, 3)))
    with autograd.predict_mode():
        net(nd.ones((2, 3)))
    assert len(net._program.fn._cache) == 2  # (predict mode is another signature)
    with autograd.predict_mode():
        net(nd.ones((2, 3)))
    assert len(net._program.fn._cache) == 2  # (new weights need no new program)
    assert not np.array_equal(before, net[0].weight.data().asnumpy())
    monkeypatch.setenv("MXJIT_LOG_COMPILES", "1")
    with autograd.predict_mode():
        net(nd.ones((5, 3)))
    assert "argument x: shape (2, 3) -> (5, 3)" in capsys.readouterr().err


def test_side_effects_run_once_per_signature_and_shapes_are_visible():
    calls = []

    class Net(gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            calls.append(x.shape)
            return x.reshape((x.shape[0], -1)) * 2

    net = Net()
    net.hybridize()
    for _ in range(3):
        out = net(nd.ones((2, 3, 4)))
    assert calls == [(2, 3, 4)] and out.shape == (2, 12)


def test_a_block_overriding_forward_hybridizes_too():
    class Net(gluon.HybridBlock):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.fc = nn.Dense(3, in_units=2)

        def forward(self, x):
            return nd.relu(self.fc(x)) + 1

    net = Net()
    net.initialize(mx.init.One())
    eager = net(nd.ones((2, 2))).asnumpy()
    net.hybridize()
    np.testing.assert_array_equal(net(nd.ones((2, 2))).asnumpy(), eager)
    assert net._program is not None and len(net._program.fn._cache) == 1


def test_running_statistics_move_at_backward_like_mxnet():
    for hybrid in (False, True):
        net = nn.BatchNorm(in_channels=2)
        net.initialize()
        if hybrid:
            net.hybridize()
        x = nd.array([[1, 2], [3, 5]])
        with autograd.record():
            y = net(x)
        np.testing.assert_array_equal(net.running_mean.data().asnumpy(), [0, 0])
        y.backward()
        np.testing.assert_allclose(net.running_mean.data().asnumpy(), [0.2, 0.35], rtol=1e-6)


def test_deferred_shapes_inferred_inside_the_first_hybridized_call():
    net = mlp()
    net.initialize()
    net.hybridize()
    y = net(nd.ones((2, 7)))
    assert y.shape == (2, 4) and net[0].weight.shape == (4, 7)


def test_summary_prints_mxnet_table():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(4, activation="relu", in_units=3), nn.BatchNorm(), nn.Dense(2))
    net.initialize()
    out = io.StringIO()
    with redirect_stdout(out):
        net.summary(nd.ones((2, 3)))
    text = out.getvalue()
    assert "        Activation-1                                      (2, 4)               0" \
        in text
    assert "         BatchNorm-3                                      (2, 4)              16" \
        in text
    assert "   Total params: 42\n   Trainable params: 34\n   Non-trainable params: 8\n" in text
    net.hybridize()
    with pytest.raises(AssertionError, match="must not be hybridized"):
        net.summary(nd.ones((2, 3)))


def test_blocks_kept_in_a_list_attribute_are_warned_of_as_in_mxnet():
    class InList(gluon.Block):
        def __init__(self):
            super().__init__()
            with self.name_scope():
                self.layers = [gluon.nn.Dense(2), gluon.nn.Dense(3)]

    class InSequential(gluon.Block):
        def __init__(self):
            super().__init__()
            with self.name_scope():
                self.layers = gluon.nn.Sequential()
                self.layers.add(gluon.nn.Dense(2))

    with pytest.warns(UserWarning, match='"InList.layers" is an unregistered container'):
        InList().collect_params()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        InSequential().collect_params()


def test_a_hybrid_block_needs_one_array_among_its_inputs():
    class Either(gluon.HybridBlock):
        def hybrid_forward(self, F, a, b):
            return b if a is None else a if b is None else a + b

    for hybridize in (False, True):
        block = Either()
        if hybridize:
            block.hybridize()
        assert block(None, nd.ones((2,))).shape == (2,)
        with pytest.raises(ValueError, match="there must be one NDArray or one Symbol"):
            block(None, None)


def test_a_hybridized_block_takes_inputs_on_one_context_and_answers_on_it():
    class Add(gluon.HybridBlock):
        def hybrid_forward(self, F, a, b):
            return a + b

    block = Add()
    block.hybridize()
    with pytest.raises(ValueError, match=r"Find multiple contexts in the input, After "
                                         r"hybridized.*cpu\(1\)"):
        block(nd.ones((2,), ctx=mx.cpu(1)), nd.ones((2,), ctx=mx.cpu(2)))
    assert block(nd.ones((2,), ctx=mx.cpu_pinned(0)), nd.ones((2,))).shape == (2,)
    x = nd.ones((2,), ctx=mx.cpu(1))
    x.attach_grad()
    with mx.autograd.record():
        y = block(x, x)
    y.backward()
    assert y.context == mx.cpu(1) and x.grad.context == mx.cpu(1)


def test_a_hybridized_block_takes_arrays_and_none_but_not_numbers():
    class Scale(gluon.HybridBlock):
        def hybrid_forward(self, F, x, k):
            return x * k

    block = Scale()
    assert block(nd.ones((2,)), 3).asnumpy().tolist() == [3, 3]  # eagerly, as in MXNet
    block.hybridize()
    for k in (3, 1.5, "x", {"k": nd.ones((2,))}):
        with pytest.raises(ValueError, match="When hybridized, the input of HybridBlock input "
                                             "must be \\(nested\\) list of Symbol or NDArray"):
            block(nd.ones((2,)), k)
    assert block(nd.ones((2,)), [nd.ones((2,))][0]).shape == (2,)
