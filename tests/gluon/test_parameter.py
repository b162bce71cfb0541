"""Gluon's Parameter, Constant and ParameterDict against MXNet 1.9.1's behaviour."""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

import mxjit as mx
from mxjit import autograd, gluon
from mxjit.gluon import Constant, DeferredInitializationError, Parameter, ParameterDict

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mxnet-1.9.1"


def test_repr_as_mxnet_prints_it():
    assert repr(Parameter("w", shape=(2, 3))) == \
        "Parameter w (shape=(2, 3), dtype=<class 'numpy.float32'>)"
    assert repr(Parameter("w", shape=(2, 3), dtype="float32")) == \
        "Parameter w (shape=(2, 3), dtype=float32)"
    assert repr(Constant("c", [[1, 2], [3, 4]])) == \
        "Constant c (shape=(2, 2), dtype=<class 'numpy.float32'>)"
    d = ParameterDict("net_")
    d.get("weight", shape=(2, 0))
    assert repr(d) == ("net_ (\n  Parameter net_weight (shape=(2, 0), "
                       "dtype=<class 'numpy.float32'>)\n)")


def test_initialize_data_grad_and_backward():
    p = Parameter("w", shape=(2, 3), init=mx.init.One())
    p.initialize()
    np.testing.assert_array_equal(p.data().asnumpy(), np.ones((2, 3)))
    np.testing.assert_array_equal(p.grad().asnumpy(), np.zeros((2, 3)))
    with autograd.record():
        y = (p.data() * p.data()).sum()
    y.backward()
    np.testing.assert_array_equal(p.grad().asnumpy(), 2 * np.ones((2, 3)))
    p.zero_grad()
    np.testing.assert_array_equal(p.grad().asnumpy(), np.zeros((2, 3)))


def test_grad_req_add_accumulates_and_null_detaches():
    p = Parameter("w", shape=(3,), grad_req="add", init=mx.init.One())
    p.initialize()
    for _ in range(2):
        with autograd.record():
            y = (p.data() * 3).sum()
        y.backward()
    np.testing.assert_array_equal(p.grad().asnumpy(), [6, 6, 6])
    p.grad_req = "null"
    with pytest.raises(RuntimeError, match="grad_req is 'null'"):
        p.grad()
    p.grad_req = "write"
    assert p.grad().shape == (3,)


def test_bad_grad_req_is_an_assertion_error_as_in_mxnet():
    with pytest.raises(AssertionError, match="grad_req"):
        Parameter("w", grad_req="sometimes")


def test_uninitialized_and_deferred_errors():
    p = Parameter("w", shape=(2, 3))
    with pytest.raises(RuntimeError, match="has not been initialized"):
        p.data()
    q = Parameter("q", shape=(2, 0), allow_deferred_init=True)
    q.initialize()
    with pytest.raises(DeferredInitializationError, match="deferred"):
        q.data()
    assert isinstance(DeferredInitializationError("x"), mx.MXNetError)
    with pytest.raises(ValueError, match="unknown dimensions"):
        Parameter("r", shape=(2, 0)).initialize()


def test_deferred_set_data_is_kept_for_initialisation():
    q = Parameter("q", shape=(2, 0), allow_deferred_init=True)
    q.initialize()
    q.set_data(mx.nd.ones((2, 5)) * 3)
    q._finish_deferred_init()
    np.testing.assert_array_equal(q.data().asnumpy(), np.full((2, 5), 3))


def test_shape_merge_and_conflict():
    p = Parameter("w", shape=(4, 0))
    p.shape = (4, 7)
    assert p.shape == (4, 7)
    with pytest.raises(AssertionError, match="does not fit"):
        p.shape = (5, 7)


def test_initialize_twice_warns_and_force_reinit_refills():
    p = Parameter("w", shape=(3,), init=mx.init.Zero())
    p.initialize()
    with pytest.warns(UserWarning, match="already initialized"):
        p.initialize(mx.init.One())
    np.testing.assert_array_equal(p.data().asnumpy(), [0, 0, 0])
    p.initialize(mx.init.One(), force_reinit=True)
    np.testing.assert_array_equal(p.data().asnumpy(), [1, 1, 1])


def test_several_contexts():
    p = Parameter("w", shape=(2,), init=mx.init.One())
    p.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
    assert p.list_ctx() == [mx.cpu(0), mx.cpu(1)]
    assert p.data(mx.cpu(1)).context == mx.cpu(1)
    assert len(p.list_data()) == 2 and len(p.list_grad()) == 2
    with pytest.raises(RuntimeError, match="not initialized on context"):
        p.data(mx.cpu(2))
    p.set_data(mx.nd.array([5, 6]))
    for a in p.list_data():
        np.testing.assert_array_equal(a.asnumpy(), [5, 6])
    p.reset_ctx(mx.cpu(3))
    assert p.list_ctx() == [mx.cpu(3)]
    np.testing.assert_array_equal(p.data(mx.cpu(3)).asnumpy(), [5, 6])


def test_pinned_and_shared_cpu_memory_find_the_cpus_arrays():
    # (MXNet matches a context to a parameter's by device kind and id, pinned and shared
    # memory counting as the CPU's: a batch on cpu_pinned(1) uses the cpu(1) weights)
    p = Parameter("w", shape=(2,), init=mx.init.One())
    p.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
    assert p.data(mx.cpu_pinned(1)) is p.data(mx.cpu(1))
    assert p.grad(mx.Context("cpu_shared", 0)) is p.grad(mx.cpu(0))
    with pytest.raises(RuntimeError, match=r"not initialized on context cpu_pinned\(2\)"):
        p.data(mx.cpu_pinned(2))
    with pytest.raises(RuntimeError, match=r"not initialized on context gpu\(0\)"):
        p.data(mx.gpu(0))
    net = gluon.nn.Dense(3, in_units=2)
    net.initialize()
    x = mx.nd.ones((4, 2)).as_in_context(mx.cpu_pinned(0))
    with autograd.record():
        loss = net(x).sum()
    loss.backward()
    np.testing.assert_allclose(net.weight.grad().asnumpy(), np.full((3, 2), 4.0))


def test_cast_keeps_values_and_gradients_attached():
    p = Parameter("w", shape=(2,), init=mx.init.One())
    p.initialize()
    p.cast("float64")
    assert p.data().dtype == np.float64 and p.grad().dtype == np.float64
    with autograd.record():
        y = (p.data() * 2).sum()
    y.backward()
    np.testing.assert_array_equal(p.grad().asnumpy(), [2, 2])


def test_constant_ignores_grad_req_and_holds_its_value():
    c = Constant("c", [[1, 2], [3, 4]])
    c.initialize()
    np.testing.assert_array_equal(c.data().asnumpy(), [[1, 2], [3, 4]])
    assert c.grad_req == "null"
    with pytest.warns(UserWarning, match="only has grad_req 'null'"):
        c.grad_req = "write"
    assert c.grad_req == "null"


def test_parameter_dict_get_shares_and_checks():
    shared = ParameterDict("a_")
    w = shared.get("weight", shape=(3, 0))
    d = ParameterDict("a_", shared)
    assert d.get("weight", shape=(3, 4)) is w
    assert w.shape == (3, 4)
    with pytest.raises(AssertionError, match="shape"):
        d.get("weight", shape=(5, 4))
    c = d.get_constant("scale", [1.0, 2.0])
    assert d.get_constant("scale") is c
    with pytest.raises(KeyError):
        d.get_constant("missing")
    other = ParameterDict("a_")
    other.get("weight", shape=(3, 4))
    with pytest.raises(ValueError, match="different Parameters"):
        d.update(other)
    d.setattr("lr_mult", 0.5)
    assert w.lr_mult == 0.5 and c.lr_mult == 0.5


def test_parameter_dict_save_load_round_trip(tmp_path):
    d = ParameterDict("net_")
    d.get("weight", shape=(2, 3), init=mx.init.Uniform())
    d.get("bias", shape=(2,), init=mx.init.One())
    d.initialize()
    path = str(tmp_path / "p.params")
    d.save(path, strip_prefix="net_")
    assert sorted(mx.nd.load(path)) == ["bias", "weight"]
    e = ParameterDict("net_")
    e.get("weight", shape=(2, 0), allow_deferred_init=True)
    e.get("bias", shape=(2,))
    e.load(path, restore_prefix="net_")
    np.testing.assert_array_equal(e["net_weight"].data().asnumpy(),
                                  d["net_weight"].data().asnumpy())
    with pytest.raises(ValueError, match="strip"):
        d.save(path, strip_prefix="other_")
    f = ParameterDict("net_")
    f.get("weight", shape=(2, 3))
    with pytest.raises(ValueError, match="ignore_extra"):
        f.load(path, restore_prefix="net_")
    f.load(path, restore_prefix="net_", ignore_extra=True)
    g = ParameterDict("net_")
    g.get("weight", shape=(2, 3))
    g.get("gamma", shape=(2,))
    with pytest.raises(AssertionError, match="allow_missing"):
        g.load(path, restore_prefix="net_")


def test_load_mxnet_written_dict_with_arg_prefixes():
    d = ParameterDict()
    d.get("fc1_weight", shape=(4, 5))
    d.get("fc1_bias", shape=(4,))
    d.get("bn_moving_mean", shape=(4,))
    d.load(str(FIXTURES / "dict_params.nd"))
    np.testing.assert_allclose(d["fc1_weight"].data().asnumpy(),
                               np.linspace(-1, 1, 20).reshape(4, 5), rtol=1e-6)
    np.testing.assert_array_equal(d["fc1_bias"].data().asnumpy(), [0.5, -0.5, 1.5, 2.5])


def test_load_checks_shape_and_dtype(tmp_path):
    path = str(tmp_path / "p.params")
    mx.nd.save(path, {"w": mx.nd.ones((2, 3), dtype="float64")})
    d = ParameterDict()
    d.get("w", shape=(2, 4))
    with pytest.raises(AssertionError, match="shape"):
        d.load(path)
    d = ParameterDict()
    d.get("w", shape=(2, 3))
    with pytest.raises(AssertionError, match="cast_dtype"):
        d.load(path)
    d.load(path, cast_dtype=True)
    assert d["w"].data().dtype == np.float32
    e = ParameterDict()
    e.get("w", shape=(2, 3))
    e.load(path, cast_dtype=True, dtype_source="saved")
    assert e["w"].data().dtype == np.float64
    # (loading the saved dtype into arrays already made changes them, as in MXNet)
    d.load(path, cast_dtype=True, dtype_source="saved")
    assert d["w"].data().dtype == np.float64 and d["w"].dtype == np.float64


def test_collect_params_and_initialize_through_a_block():
    with mx.name.NameManager():
        net = gluon.nn.Dense(3, in_units=2)
    net.initialize(mx.init.One())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net.collect_params().initialize(mx.init.Zero(), force_reinit=True)
    np.testing.assert_array_equal(net.weight.data().asnumpy(), np.zeros((3, 2)))
