"""mx.mod: Module trains as Gluon does and as real MXNet 1.9.1 did; the step-by-step API,
prediction, checkpoints, the other modules, several devices, and every error a user hits."""
from __future__ import annotations

import warnings
from collections import namedtuple
from pathlib import Path

import numpy as np
import pytest

import mxjit as mx
from mxjit import gluon, nd
from mxjit.base import ArgumentError, MXNetError, ParamError, ShapeError, UnsupportedError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mxnet-1.9.1"

# The tiny problem real MXNet 1.9.1 trained for the reference weights below.
_RS = np.random.RandomState(0)
X = _RS.rand(8, 4).astype(np.float32)
Y = np.array([0, 1, 2, 0, 1, 2, 0, 1], dtype=np.float32)
INIT = {"fc1_weight": _RS.uniform(-0.5, 0.5, (5, 4)).astype(np.float32),
        "fc1_bias": _RS.uniform(-0.5, 0.5, (5,)).astype(np.float32),
        "fc2_weight": _RS.uniform(-0.5, 0.5, (3, 5)).astype(np.float32),
        "fc2_bias": _RS.uniform(-0.5, 0.5, (3,)).astype(np.float32)}

# mx.mod.Module(net).fit(NDArrayIter(X, Y, batch_size=4), num_epoch=3, arg_params=INIT, ...)
# in MXNet 1.9.1 (weight decay reaches only the *_weight parameters there).
MXNET_AFTER_FIT = {
    ("sgd", (("learning_rate", 0.5), ("momentum", 0.9), ("wd", 0.01))): {
        "fc1_bias": [0.4640057384967804, -0.48221367597579956, -0.24699890613555908,
                     -0.2735844850540161, 0.18636102974414825],
        "fc1_weight": [[-0.4604491889476776, 0.05833519250154495, -0.4896638095378876,
                        0.29388073086738586],
                       [0.6122293472290039, -0.011986365541815758, 0.5161596536636353,
                        -0.03402791544795036],
                       [-0.17048518359661102, 0.019499333575367928, 0.1252148598432541,
                        -0.4308238923549652],
                       [0.6775075197219849, 0.05332617834210396, 0.028791874647140503,
                        -0.22740375995635986],
                       [-0.24870795011520386, -0.26729029417037964, 0.32677268981933594,
                        0.3707882761955261]],
        "fc2_bias": [0.41940754652023315, 0.1736612617969513, 0.22780151665210724],
        "fc2_weight": [[-0.01478082686662674, -0.4170839786529541, -0.07629794627428055,
                        -0.009671658277511597, -0.3562939465045929],
                       [0.21843679249286652, -0.2776118814945221, -0.4104112684726715,
                        -0.49368759989738464, 0.39287468791007996],
                       [-0.6536890864372253, 0.6421808004379272, -0.3917701840400696,
                        0.5071492195129395, -0.12779614329338074]]},
    ("adam", (("learning_rate", 0.05), ("wd", 0.01))): {
        "fc1_bias": [0.46972525119781494, -0.43276432156562805, -0.11252381652593613,
                     -0.31760478019714355, 0.1924314647912979],
        "fc1_weight": [[-0.3411363363265991, 0.09135200083255768, -0.5174933075904846,
                        0.3719847500324249],
                       [0.4051152169704437, -0.0766315758228302, 0.5801602005958557,
                        -0.05991354584693909],
                       [-0.36219891905784607, 0.1379946768283844, 0.0001621060073375702,
                        -0.24820856750011444],
                       [0.44551584124565125, 0.06804105639457703, -0.006292674690485001,
                        -0.1190740168094635],
                       [-0.18622834980487823, -0.15729030966758728, 0.2791241705417633,
                        0.2094624787569046]],
        "fc2_bias": [0.43979689478874207, 0.14276142418384552, 0.2668657898902893],
        "fc2_weight": [[-0.11375582218170166, -0.32875388860702515, -0.148640438914299,
                        -0.10725250840187073, -0.40990182757377625],
                       [0.283738911151886, -0.18158985674381256, -0.3716783821582794,
                        -0.36096838116645813, 0.5829206109046936],
                       [-0.6609690189361572, 0.633935272693634, -0.4981352388858795,
                        0.4527210295200348, -0.12225732207298279]]},
}


@pytest.fixture(autouse=True)
def fresh_names():
    with mx.name.NameManager():
        yield


def mlp(hidden: int = 5, classes: int = 3) -> mx.sym.Symbol:
    data = mx.sym.var("data")
    h = mx.sym.Activation(mx.sym.FullyConnected(data, num_hidden=hidden, name="fc1"),
                          act_type="tanh")
    return mx.sym.SoftmaxOutput(mx.sym.FullyConnected(h, num_hidden=classes, name="fc2"),
                                name="softmax")


def init_params() -> dict[str, nd.NDArray]:
    return {k: nd.array(v) for k, v in INIT.items()}


def as_numpy(params: dict) -> dict[str, np.ndarray]:
    return {k: v.asnumpy() for k, v in params.items()}


def bound(batch_size: int = 4, **kwargs) -> mx.mod.Module:
    mod = mx.mod.Module(mlp(), **{k: v for k, v in kwargs.items() if k == "context"})
    mod.bind(data_shapes=[("data", (batch_size, 4))],
             label_shapes=[("softmax_label", (batch_size,))],
             **{k: v for k, v in kwargs.items() if k != "context"})
    mod.init_params(arg_params=init_params())
    return mod


def numpy_forward(params: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    h = np.tanh(x @ params["fc1_weight"].T + params["fc1_bias"])
    z = h @ params["fc2_weight"].T + params["fc2_bias"]
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# ---- training ------------------------------------------------------------------------------


@pytest.mark.parametrize("optimizer, params", list(MXNET_AFTER_FIT))
def test_fit_reproduces_real_mxnet(optimizer, params):
    mod = mx.mod.Module(mlp())
    mod.fit(mx.io.NDArrayIter(X, Y, batch_size=4), num_epoch=3, optimizer=optimizer,
            optimizer_params=params, arg_params=init_params())
    got = as_numpy(mod.get_params()[0])
    for name, want in MXNET_AFTER_FIT[(optimizer, params)].items():
        np.testing.assert_allclose(got[name], want, rtol=1e-5, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("optimizer, params", [
    ("sgd", {"learning_rate": 0.5, "momentum": 0.9}),
    ("adam", {"learning_rate": 0.05, "wd": 0.01}),
])
def test_fit_equals_the_same_gluon_network_trained_with_trainer(optimizer, params):
    mod = mx.mod.Module(mlp())
    mod.fit(mx.io.NDArrayIter(X, Y, batch_size=4), num_epoch=2, optimizer=optimizer,
            optimizer_params=params, arg_params=init_params())

    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(5, activation="tanh", in_units=4), gluon.nn.Dense(3, in_units=5))
    net.initialize()
    for layer, prefix in zip(net, ("fc1", "fc2")):
        layer.weight.set_data(nd.array(INIT[f"{prefix}_weight"]))
        layer.bias.set_data(nd.array(INIT[f"{prefix}_bias"]))
        layer.bias.wd_mult = 0.0  # (a Module decays only the *_weight parameters)
    net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), optimizer, params)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    for _ in range(2):
        for start in (0, 4):
            x, y = nd.array(X[start:start + 4]), nd.array(Y[start:start + 4])
            with mx.autograd.record():
                loss = loss_fn(net(x), y)
            loss.backward()
            trainer.step(4)
    got = as_numpy(mod.get_params()[0])
    for layer, prefix in zip(net, ("fc1", "fc2")):
        np.testing.assert_allclose(got[f"{prefix}_weight"], layer.weight.data().asnumpy(),
                                   rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got[f"{prefix}_bias"], layer.bias.data().asnumpy(),
                                   rtol=1e-5, atol=1e-6)


def test_the_step_by_step_api_is_what_fit_runs():
    it = mx.io.NDArrayIter(X, Y, batch_size=4)
    mod = bound()
    mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.5})
    for batch in it:
        mod.forward(batch, is_train=True)
        probs = mod.get_outputs()[0].asnumpy()
        np.testing.assert_allclose(probs, numpy_forward(as_numpy(mod.get_params()[0]),
                                                        batch.data[0].asnumpy()), rtol=1e-5)
        mod.backward()
        mod.update()
    with pytest.raises(ParamError, match="train_data gave no batch"):
        mx.mod.Module(mlp()).fit(it, num_epoch=1)  # (fit does not reset before its epoch)
    it.reset()
    fitted = mx.mod.Module(mlp())
    fitted.fit(it, num_epoch=1, optimizer_params={"learning_rate": 0.5},
               arg_params=init_params())
    for name, value in as_numpy(fitted.get_params()[0]).items():
        np.testing.assert_allclose(as_numpy(mod.get_params()[0])[name], value, rtol=1e-6)


def test_gradients_and_input_gradients_are_softmax_minus_one_hot_backpropagated():
    mod = bound(batch_size=8, inputs_need_grad=True)
    batch = mx.io.DataBatch([nd.array(X)], [nd.array(Y)])
    mod.forward_backward(batch)
    p = INIT
    h = np.tanh(X @ p["fc1_weight"].T + p["fc1_bias"])
    dz = numpy_forward(p, X) - np.eye(3)[Y.astype(int)]  # (SoftmaxOutput: no 1/batch)
    dh = dz @ p["fc2_weight"] * (1 - h ** 2)
    exe = mod._execs[0]
    np.testing.assert_allclose(exe.grad_dict["fc2_weight"].asnumpy(), dz.T @ h, rtol=1e-4,
                               atol=1e-6)
    np.testing.assert_allclose(exe.grad_dict["fc1_bias"].asnumpy(), dh.sum(0), rtol=1e-4,
                               atol=1e-6)
    (dx,) = mod.get_input_grads()
    np.testing.assert_allclose(dx.asnumpy(), dh @ p["fc1_weight"], rtol=1e-4, atol=1e-6)


def test_fixed_parameters_stay_and_optimizer_objects_keep_their_settings():
    mod = mx.mod.Module(mlp(), fixed_param_names=["fc1_weight"])
    opt = mx.optimizer.SGD(learning_rate=0.5, rescale_grad=0.25)
    mod.fit(mx.io.NDArrayIter(X, Y, batch_size=4), num_epoch=1, optimizer=opt,
            arg_params=init_params())
    args = as_numpy(mod.get_params()[0])
    np.testing.assert_array_equal(args["fc1_weight"], INIT["fc1_weight"])
    assert not np.allclose(args["fc1_bias"], INIT["fc1_bias"])
    assert mod._optimizer is opt and opt.idx2name[0] == "fc1_weight"


def test_the_guide_example_without_labels_and_a_namedtuple_batch():
    data = mx.sym.var("data")
    mod = mx.mod.Module(symbol=data * 2, label_names=None)
    mod.bind(data_shapes=[("data", (1, 10))])
    mod.init_params()
    Batch = namedtuple("Batch", ["data"])
    mod.forward(Batch([nd.arange(10).reshape((1, 10))]))
    np.testing.assert_array_equal(mod.get_outputs()[0].asnumpy(), np.arange(10)[None] * 2)
    # a batch of another shape binds executors for it, sharing the parameters
    mod.forward(Batch([nd.ones((3, 10))]))
    assert mod.get_outputs()[0].shape == (3, 10) and mod.data_shapes[0].shape == (3, 10)
    assert mod.output_shapes == [("_mulscalar0_output", (3, 10))]


def test_new_batch_shapes_reuse_their_executors():
    mod = bound()
    first = mod._execs
    for n in (3, 4, 3):
        mod.forward(mx.io.DataBatch([nd.array(X[:n])], [nd.array(Y[:n])]), is_train=False)
        np.testing.assert_allclose(mod.get_outputs()[0].asnumpy(),
                                   numpy_forward(INIT, X[:n]), rtol=1e-5)
    assert mod._execs is not first and len(mod._exec_cache) == 2
    mod.forward(mx.io.DataBatch([nd.array(X[:4])], [nd.array(Y[:4])]))
    assert mod._execs is first
    assert mod._execs[0].arg_dict["fc1_weight"] is mod._exec_cache[(("data", (3, 4)), (
        "softmax_label", (3,)))][0].arg_dict["fc1_weight"]


def test_several_devices_sum_gradients_like_the_local_kvstore():
    single = mx.mod.Module(mlp())
    multi = mx.mod.Module(mlp(), context=[mx.cpu(0), mx.cpu(1)])
    for mod in (single, multi):
        mod.fit(mx.io.NDArrayIter(X, Y, batch_size=4), num_epoch=2,
                optimizer_params={"learning_rate": 0.5, "momentum": 0.9},
                arg_params=init_params())
    want = as_numpy(single.get_params()[0])
    for name, value in as_numpy(multi.get_params()[0]).items():
        np.testing.assert_allclose(value, want[name], rtol=1e-5, atol=1e-6)
    assert [e._ctx for e in multi._execs] == [mx.cpu(0), mx.cpu(1)]
    assert multi.get_outputs()[0].shape == (4, 3)
    assert [len(o) for o in multi.get_outputs(merge_multi_context=False)] == [2]


def test_several_devices_without_a_kvstore_update_each_from_its_own_gradient():
    mod = bound(context=[mx.cpu(0), mx.cpu(1)])
    mod.init_optimizer(kvstore=None, optimizer_params={"learning_rate": 0.5})
    mod.forward_backward(mx.io.DataBatch([nd.array(X[:4])], [nd.array(Y[:4])]))
    mod.update()
    w0, w1 = (e.arg_dict["fc2_bias"].asnumpy() for e in mod._execs)
    assert not np.allclose(w0, w1)
    np.testing.assert_allclose(mod.get_params()[0]["fc2_bias"].asnumpy(), (w0 + w1) / 2,
                               rtol=1e-6)


# ---- prediction ----------------------------------------------------------------------------


def test_predict_merges_batches_and_drops_the_padding():
    it = mx.io.NDArrayIter(X[:6], Y[:6], batch_size=4)  # (the second batch pads 2)
    mod = bound()
    probs = mod.predict(it)
    np.testing.assert_allclose(probs.asnumpy(), numpy_forward(INIT, X[:6]), rtol=1e-5)
    assert isinstance(mod.predict(it, always_output_list=True), list)
    per_batch = mod.predict(it, merge_batches=False)
    assert [[o.shape for o in outs] for outs in per_batch] == [[(4, 3)], [(2, 3)]]
    assert mod.predict(it, num_batch=1).shape == (4, 3)
    # (a batch of another size without labels: the labels follow it, where MXNet stops)
    np.testing.assert_allclose(mod.predict(X[:3]).asnumpy(), numpy_forward(INIT, X[:3]),
                               rtol=1e-5)
    assert mod.label_shapes[0].shape == (3,)
    seen = [(n, outs[0].shape, batch.pad) for outs, n, batch in mod.iter_predict(it)]
    assert seen == [(0, (4, 3), 0), (1, (2, 3), 2)]


def test_predict_of_several_outputs_and_score():
    data = mx.sym.var("data")
    group = mx.sym.Group([mx.sym.FullyConnected(data, num_hidden=2, name="a"),
                          mx.sym.relu(data, name="r")])
    mod = mx.mod.Module(group, label_names=None)
    mod.bind(data_shapes=[("data", (4, 4))], for_training=False)
    mod.init_params()
    outs = mod.predict(mx.io.NDArrayIter(X, batch_size=4))
    assert [o.shape for o in outs] == [(8, 2), (8, 4)]
    np.testing.assert_allclose(outs[1].asnumpy(), X, rtol=1e-6)

    mod = bound()
    it = mx.io.NDArrayIter(X, Y, batch_size=4)
    acc = (numpy_forward(INIT, X).argmax(1) == Y).mean()
    assert mod.score(it, "acc") == [("accuracy", pytest.approx(acc))]
    name_values = dict(mod.score(it, ["acc", "ce"]))
    assert set(name_values) == {"accuracy", "cross-entropy"}


# ---- checkpoints ---------------------------------------------------------------------------


def test_checkpoints_round_trip_with_optimizer_states(tmp_path):
    prefix = str(tmp_path / "mlp")
    it = mx.io.NDArrayIter(X, Y, batch_size=4)
    opt_params = {"learning_rate": 0.5, "momentum": 0.9}
    mod = mx.mod.Module(mlp())
    mod.fit(it, num_epoch=1, optimizer_params=opt_params, arg_params=init_params())
    mod.save_checkpoint(prefix, 1, save_optimizer_states=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "mlp-0001.params", "mlp-0001.states", "mlp-symbol.json"]
    saved = nd.load(prefix + "-0001.params")
    assert sorted(saved) == ["arg:fc1_bias", "arg:fc1_weight", "arg:fc2_bias", "arg:fc2_weight"]
    loaded = mx.mod.Module.load(prefix, 1, load_optimizer_states=True)
    for m in (mod, loaded):  # (both continue with the parameters they hold)
        with pytest.warns(UserWarning, match="init_params call ignored"):
            m.fit(it, num_epoch=2, begin_epoch=1, optimizer_params=opt_params)
    for name, value in as_numpy(mod.get_params()[0]).items():
        np.testing.assert_allclose(as_numpy(loaded.get_params()[0])[name], value, rtol=1e-6)
    symbol, args, aux = mx.model.load_checkpoint(prefix, 1)
    assert symbol.list_arguments() == mlp().list_arguments() and aux == {}
    np.testing.assert_array_equal(args["fc1_bias"].asnumpy(), saved["arg:fc1_bias"].asnumpy())


def test_a_checkpoint_real_mxnet_wrote_predicts_what_mxnet_computed():
    # (Dense -> BatchNorm -> Dense exported by Gluon: arguments and auxiliary states)
    mod = mx.mod.Module.load(str(FIXTURES / "mlp"), 0, label_names=None)
    x = np.load(FIXTURES / "mlp_input.npy")
    mod.bind(data_shapes=[("data", x.shape)], for_training=False)
    np.testing.assert_allclose(mod.predict(x).asnumpy(), np.load(FIXTURES / "mlp_output.npy"),
                               rtol=1e-5, atol=1e-6)
    assert sorted(mod.get_params()[1]) == ["hybridsequential0_batchnorm0_running_mean",
                                           "hybridsequential0_batchnorm0_running_var"]


def test_params_files_and_set_params(tmp_path):
    mod = bound()
    fname = str(tmp_path / "p.params")
    mod.save_params(fname)
    other = bound()
    other.set_params({k: nd.zeros(v.shape) for k, v in INIT.items()}, {})
    assert not other.get_params()[0]["fc1_weight"].asnumpy().any()
    other.load_params(fname)
    np.testing.assert_array_equal(other.get_params()[0]["fc1_weight"].asnumpy(),
                                  INIT["fc1_weight"])
    other.set_params({"fc2_bias": nd.ones(3)}, {}, allow_missing=True)
    np.testing.assert_array_equal(other.get_params()[0]["fc2_bias"].asnumpy(), np.ones(3))
    np.testing.assert_array_equal(other.get_params()[0]["fc1_bias"].asnumpy(),
                                  INIT["fc1_bias"])


# ---- the other modules ---------------------------------------------------------------------


def _summed_net(length: int) -> tuple[mx.sym.Symbol, tuple[str], tuple[str]]:
    data = mx.sym.var("data")
    pooled = mx.sym.sum(data, axis=1)  # (batch, length, 4) -> (batch, 4)
    out = mx.sym.FullyConnected(pooled, num_hidden=3, name="fc")
    return mx.sym.SoftmaxOutput(out, name="softmax"), ("data",), ("softmax_label",)


def test_bucketing_modules_share_parameters_across_bucket_keys():
    rs = np.random.RandomState(1)
    batches = {k: mx.io.DataBatch([nd.array(rs.rand(4, k, 4))], [nd.array(Y[:4])],
                                  bucket_key=k,
                                  provide_data=[mx.io.DataDesc("data", (4, k, 4))],
                                  provide_label=[mx.io.DataDesc("softmax_label", (4,))])
               for k in (3, 5)}
    mod = mx.mod.BucketingModule(_summed_net, default_bucket_key=5)
    mod.bind(data_shapes=batches[5].provide_data, label_shapes=batches[5].provide_label)
    mod.init_params(mx.init.Xavier())
    mod.init_optimizer(optimizer_params={"learning_rate": 0.1})
    before = mod.get_params()[0]["fc_weight"].asnumpy().copy()
    mod.forward_backward(batches[3])
    mod.update()
    assert sorted(mod._buckets) == [3, 5] and mod.symbol is mod._buckets[3].symbol
    w3 = mod._buckets[3]._execs[0].arg_dict["fc_weight"]
    assert w3 is mod._buckets[5]._execs[0].arg_dict["fc_weight"]
    after = mod.get_params()[0]
    assert not np.allclose(after["fc_weight"].asnumpy(), before)
    mod.forward(batches[5], is_train=False)
    x = batches[5].data[0].asnumpy().sum(1)
    z = x @ after["fc_weight"].asnumpy().T + after["fc_bias"].asnumpy()
    e = np.exp(z - z.max(1, keepdims=True))
    np.testing.assert_allclose(mod.get_outputs()[0].asnumpy(), e / e.sum(1, keepdims=True),
                               rtol=1e-5)


def test_bucketing_checkpoints_round_trip(tmp_path):
    prefix = str(tmp_path / "b")
    mod = mx.mod.BucketingModule(_summed_net, default_bucket_key=5)
    mod.bind(data_shapes=[("data", (4, 5, 4))], label_shapes=[("softmax_label", (4,))])
    mod.init_params()
    mod.switch_bucket(3, [("data", (4, 3, 4))], [("softmax_label", (4,))])
    mod.save_checkpoint(prefix, 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "b-0002.params", "b-3-symbol.json", "b-5-symbol.json", "b.buckets"]
    loaded = mx.mod.BucketingModule.load(prefix, 2, _summed_net, 5)
    loaded.bind(data_shapes=[("data", (4, 5, 4))], label_shapes=[("softmax_label", (4,))])
    np.testing.assert_array_equal(loaded.get_params()[0]["fc_weight"].asnumpy(),
                                  mod.get_params()[0]["fc_weight"].asnumpy())


def _two_stage() -> mx.mod.SequentialModule:
    body = mx.sym.Activation(mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=5,
                                                   name="fc1"), act_type="tanh")
    head = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(mx.sym.var("hidden"), num_hidden=3,
                                                      name="fc2"), name="softmax")
    seq = mx.mod.SequentialModule()
    seq.add(mx.mod.Module(body, label_names=None))
    seq.add(mx.mod.Module(head, data_names=["hidden"]), take_labels=True, auto_wiring=True)
    return seq


def test_a_sequential_module_of_two_trains_like_one_module():
    it = mx.io.NDArrayIter(X, Y, batch_size=4)
    seq = _two_stage()
    seq.fit(it, num_epoch=2, optimizer_params={"learning_rate": 0.5},
            arg_params=init_params())
    whole = mx.mod.Module(mlp())
    whole.fit(it, num_epoch=2, optimizer_params={"learning_rate": 0.5},
              arg_params=init_params())
    want = as_numpy(whole.get_params()[0])
    got = as_numpy(seq.get_params()[0])
    assert sorted(got) == sorted(want)
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-5, atol=1e-6)
    assert seq.output_shapes == [("softmax_output", (4, 3))]
    assert seq.label_shapes[0].name == "softmax_label"


def test_a_python_loss_module_gives_the_gradient_of_the_scores():
    scores = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=3, name="fc2")

    def softmax_grad(s, y):
        p = nd.softmax(s).asnumpy()
        return p - np.eye(3)[y.asnumpy().astype(int)]

    seq = mx.mod.SequentialModule()
    seq.add(mx.mod.Module(scores, label_names=None))
    seq.add(mx.mod.PythonLossModule(grad_func=softmax_grad), take_labels=True,
            auto_wiring=True)
    seq.fit(mx.io.NDArrayIter(X, Y, batch_size=4), num_epoch=2, eval_metric="mse",
            optimizer_params={"learning_rate": 0.5},
            arg_params={"fc2_weight": nd.array(INIT["fc1_weight"][:3]),
                        "fc2_bias": nd.zeros(3)})
    single = mx.mod.Module(mx.sym.SoftmaxOutput(scores, name="softmax"))
    single.fit(mx.io.NDArrayIter(X, Y, batch_size=4), num_epoch=2,
               optimizer_params={"learning_rate": 0.5},
               arg_params={"fc2_weight": nd.array(INIT["fc1_weight"][:3]),
                           "fc2_bias": nd.zeros(3)})
    for name, value in as_numpy(single.get_params()[0]).items():
        np.testing.assert_allclose(as_numpy(seq.get_params()[0])[name], value, rtol=1e-5,
                                   atol=1e-6)
    loss = seq._modules[1]
    assert loss.output_names == ["pyloss_output"] and loss.get_params() == ({}, {})
    assert loss.output_shapes == [("pyloss_output", (4, 3))]


# ---- errors --------------------------------------------------------------------------------


def test_errors_of_the_order_of_calls():
    mod = mx.mod.Module(mlp())
    batch = mx.io.DataBatch([nd.array(X[:4])], [nd.array(Y[:4])])
    with pytest.raises(AssertionError, match="call bind"):
        mod.forward(batch)
    with pytest.raises(AssertionError, match="call bind before initializing"):
        mod.init_params()
    mod.bind(data_shapes=[("data", (4, 4))], label_shapes=[("softmax_label", (4,))])
    with pytest.raises(AssertionError, match=r"call init_params\(\)"):
        mod.forward(batch)
    mod.init_params()
    mod.forward_backward(batch)
    with pytest.raises(AssertionError, match=r"call init_optimizer\(\)"):
        mod.update()
    with pytest.raises(AssertionError, match="inputs_need_grad=True"):
        mod.get_input_grads()
    with pytest.raises(AssertionError, match="specify number of epochs"):
        mod.fit(mx.io.NDArrayIter(X, Y, batch_size=4))
    with pytest.warns(UserWarning, match="already initialized"):
        mod.init_params()
    predicting = mx.mod.Module(mlp())
    with pytest.warns(UserWarning, match="don't match names specified by label_names"):
        predicting.bind(data_shapes=[("data", (4, 4))], for_training=False)
    predicting.init_params()
    predicting.forward(batch)
    with pytest.raises(AssertionError, match="for_training=True"):
        predicting.backward()


def test_errors_of_names():
    with pytest.raises(ParamError, match="input with name 'x' is not found") as info:
        mx.mod.Module(mlp(), data_names=["x"])
    assert isinstance(info.value, ValueError) and "Did you mean one of:\n\tdata" in str(
        info.value)
    with pytest.warns(UserWarning, match="'label' is not found"):
        mx.mod.Module(mlp(), label_names=["label"])
    mod = mx.mod.Module(mlp())
    with pytest.raises(ParamError, match="don't match names specified by data_names"):
        mod.bind(data_shapes=[("x", (4, 4))])
    mod = bound()
    extra = {**init_params(), "fc3_weight": nd.ones(2)}
    mod.set_params(extra, {})  # (MXNet reads only the names it has)
    with pytest.raises(ParamError, match="'fc3_weight' that is not in the arguments"):
        mod.set_params(extra, {}, allow_missing=True)
    mod.set_params(extra, {}, allow_missing=True, allow_extra=True)
    with pytest.raises(ParamError, match="fc2_bias is not presented"):
        mod.set_params({k: v for k, v in init_params().items() if k != "fc2_bias"}, {})
    with pytest.raises(ParamError, match='Unknown meta "take_label"'):
        mx.mod.SequentialModule().add(mod, take_label=True)


def test_errors_of_shapes():
    mod = bound()
    with pytest.raises(ShapeError, match=r"'fc1_weight': got an array of shape \(5, 3\)"):
        mod.set_params({**init_params(), "fc1_weight": nd.ones((5, 3))}, {})
    with pytest.raises(ShapeError, match="do not fit the bound parameters.*fc1_weight"):
        mod.forward(mx.io.DataBatch([nd.ones((4, 6))], [nd.ones(4)]))
    with pytest.raises(ShapeError, match=r"'softmax_label': got an array of shape \(4, 1\)"):
        mod.forward(mx.io.DataBatch([nd.ones((4, 4))], [nd.ones((4, 1))]))
    with pytest.raises(ShapeError, match="the same batch size"):
        mx.mod.Module(mlp()).bind(data_shapes=[("data", (4, 4))],
                                  label_shapes=[("softmax_label", (5,))])
    unbound = mx.mod.Module(mx.sym.dot(mx.sym.var("data"), mx.sym.var("w")), label_names=None)
    with pytest.raises(ShapeError, match=r"do not determine the shapes of \['w'\]"):
        unbound.bind(data_shapes=[("data", (2, 3))])
    assert not unbound.binded
    with pytest.raises(ParamError, match="Too many slices"):
        mx.mod.Module(mlp(), context=[mx.cpu(0), mx.cpu(1)]).bind(
            data_shapes=[("data", (1, 4))], label_shapes=[("softmax_label", (1,))])


def test_errors_of_arguments():
    mod = bound()
    with pytest.raises(ArgumentError, match="kvstore must be KVStore, str or None"):
        mod.init_optimizer(kvstore=3)
    with pytest.raises(ParamError, match="Cannot find optimizer"):
        mod.init_optimizer(optimizer="nope")
    with pytest.raises(ParamError, match="eval_data must be of type NDArray or DataIter"):
        mod.predict([X])
    with pytest.raises(ArgumentError, match="context must be a Context"):
        mx.mod.Module(mlp(), context="cpu")
    with pytest.raises(UnsupportedError, match="model parallelism across devices"):
        mx.mod.Module(mlp(), group2ctxs={"dev1": mx.gpu(0)})
    with pytest.raises(ArgumentError, match="group2ctxs must map group names"):
        mx.mod.Module(mlp(), group2ctxs=["dev1"])
    with pytest.raises(MXNetError, match="does not exist"):
        mx.mod.Module.load("/nonexistent/prefix", 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mod.bind(data_shapes=[("data", (4, 4))])  # (bound already: a logged warning only)


def test_groups_placed_on_the_cpu_are_accepted_and_compute_the_same():
    with mx.AttrScope(ctx_group="dev1"):
        net = mlp()
    mod = mx.mod.Module(net, group2ctxs={"dev1": mx.cpu(1)})
    mod.bind(data_shapes=[("data", (4, 4))], label_shapes=[("softmax_label", (4,))])
    mod.init_params(mx.init.Constant(0.1))
    plain = bound()
    plain.init_params(mx.init.Constant(0.1), force_init=True)
    batch = mx.io.DataBatch([nd.array(X[:4])], [nd.array(Y[:4])])
    mod.forward(batch, is_train=False)
    plain.forward(batch, is_train=False)
    np.testing.assert_array_equal(mod.get_outputs()[0].asnumpy(),
                                  plain.get_outputs()[0].asnumpy())
