"""gluon.model_zoo against real MXNet 1.9.1 (fixtures in tests/fixtures/model_zoo, written
by its `make_model_zoo_fixtures.py`): every network's class, prefix, structural and full
parameter names, shapes and grad_req, and its graph as JSON; the signatures; outputs,
gradients and one SGD step of five networks given the same seeded parameters, eager and
hybridized; `.params` files MXNet saved loading here by name; and the pretrained-file
store's names and errors."""
from __future__ import annotations

import gzip
import hashlib
import importlib.util
import inspect
import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import MissingFileError, ParamError
from mxjit.gluon import nn
from mxjit.gluon.model_zoo import model_store, vision
from mxjit.gluon.model_zoo.vision.densenet import get_densenet

FIXTURES = Path(__file__).parent.parent / "fixtures" / "model_zoo"
_spec = importlib.util.spec_from_file_location("seeded_params", FIXTURES / "seeded_params.py")
assert _spec is not None and _spec.loader is not None
seeded = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(seeded)

with gzip.open(FIXTURES / "param_names.json.gz", "rt") as _f:
    MXNET = json.load(_f)
SIGNATURES = MXNET.pop("__signatures__")
MODELS_DIR = os.path.join(mx.base.data_dir(), "models")


def build(name: str, **kwargs: Any) -> Any:
    """A network with MXNet's names as a fresh process gives them (counters from 0)."""
    with mx.name.NameManager():
        return vision.get_model(name, **kwargs)


def input_size(name: str) -> int:
    return 299 if name == "inceptionv3" else 224


# ---- names, shapes, signatures ------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(MXNET))
def test_parameter_names_and_shapes_are_mxnets(name):
    net = build(name)
    size = input_size(name)
    graph = net(mx.sym.var("data"))
    args, _, auxs = graph.infer_shape(data=(1, 3, size, size))
    shapes = {**dict(zip(graph.list_arguments(), args)),
              **dict(zip(graph.list_auxiliary_states(), auxs))}
    full = {id(p): k for k, p in net.collect_params().items()}
    ours = [[key, full[id(p)], list(shapes[p.name]), p.grad_req]
            for key, p in net._collect_params_with_prefix().items()]
    want = MXNET[name]
    assert type(net).__name__ == want["class"]
    assert net.prefix == want["prefix"]
    assert ours == want["params"]


@pytest.mark.parametrize("name", sorted(MXNET))
def test_symbolic_graph_is_mxnets_byte_for_byte(name):
    assert build(name)(mx.sym.var("data")).tojson() == MXNET[name]["symbol"]


@pytest.mark.parametrize("name", ["resnet18_v1", "mobilenetv2_0.25"])
def test_deferred_shapes_resolve_eagerly_as_in_mxnet(name):
    net = build(name)
    net.initialize()
    net.infer_shape(mx.nd.zeros((1, 3, 32, 32)))  # (these shapes do not depend on the size)
    ours = [[k, list(p.shape)] for k, p in net._collect_params_with_prefix().items()]
    assert ours == [[k, shape] for k, _, shape, _ in MXNET[name]["params"]]


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_signatures_are_mxnets(name):
    function = getattr(model_store if name in ("get_model_file", "purge") else vision, name)
    ours = [[p.name, p.kind.name, None if p.default is p.empty else repr(p.default)]
            for p in inspect.signature(function).parameters.values()]
    # MXNet's root default is its home's models folder; ours is this machine's.
    want = [[n, k, repr(MODELS_DIR) if n == "root" else d] for n, k, d in SIGNATURES[name]]
    assert ours == want


@pytest.mark.parametrize("name", [n for n in MXNET if "repr" in MXNET[n]])
def test_printed_form_is_mxnets(name):
    assert repr(build(name)) == MXNET[name]["repr"]


# ---- forward passes ---------------------------------------------------------------------

#: (model, input side) run eagerly and hybridized in the default suite; the rest are slow.
#: (The numerical case below covers SqueezeNet; ResNet v1 and MobileNet v1 are slow ones.)
FAST_FORWARD = [("resnet18_v2", 32), ("alexnet", 64), ("mobilenetv2_0.25", 32)]
SLOW_FORWARD = [(n, 32) for n in MXNET if n.startswith(("resnet", "vgg", "mobilenet"))]
SLOW_FORWARD += [(n, 224) for n in MXNET if n.startswith(("densenet", "squeezenet"))]
SLOW_FORWARD = [c for c in SLOW_FORWARD if c not in FAST_FORWARD] + [("inceptionv3", 299)]


def check_eager_equals_hybridized(name: str, side: int) -> None:
    net = build(name, classes=7)
    net.initialize(mx.init.Xavier())
    x = mx.nd.array(seeded.seeded_input((1, 3, side, side)))
    eager = net(x).asnumpy()
    assert eager.shape == (1, 7) and np.isfinite(eager).all()
    net.hybridize()
    hybrid = net(x).asnumpy()
    np.testing.assert_allclose(hybrid, eager, rtol=0, atol=1e-4 * np.abs(eager).max())


@pytest.mark.parametrize("name,side", FAST_FORWARD)
def test_the_other_families_run_eager_and_hybridized_alike(name, side):
    check_eager_equals_hybridized(name, side)


@pytest.mark.slow
@pytest.mark.parametrize("name,side", SLOW_FORWARD)
def test_every_model_runs_eager_and_hybridized_alike(name, side):
    check_eager_equals_hybridized(name, side)


# ---- numbers against MXNet ----------------------------------------------------------------

def without_dropout(block: Any) -> None:
    """Rate 0 everywhere, as the fixture script does, so training mode is deterministic."""
    if isinstance(block, nn.Dropout):
        block._rate = 0
    for child in block._children.values():
        without_dropout(child)


def assert_close_to(ours: np.ndarray, want: np.ndarray, what: str) -> None:
    scale = np.abs(want).max()
    err = np.abs(ours - want).max() / scale
    assert err < 1e-3, f"{what}: relative error {err:.2e}"


#: Relative tolerance of the parameter gradients (of each one's norm). Deep training-mode
#: BatchNorm at batch 1 makes the gradients ill-conditioned: MXNet's own float32 gradients
#: differ from its float64 ones by up to 1.2e-3 (DenseNet-121) and 1.5e-2 (Inception v3)
#: of the norm, against under 7e-4 for the other three (measured with `net.cast('float64')`).
GRAD_TOLERANCE = {"resnet18_v1": 1e-3, "mobilenet0.25": 1e-3, "squeezenet1.1": 2e-3,
                  "densenet121": 5e-3, "inceptionv3": 4e-2}


def check_against_mxnet(name: str, hybridize: bool) -> None:
    want = np.load(FIXTURES / f"{name}.npz")
    shape = tuple(int(d) for d in want["input_shape"])
    net = build(name)
    net.initialize()
    x = mx.nd.array(seeded.seeded_input(shape))
    net.infer_shape(x)
    params = net._collect_params_with_prefix()
    for key, p in params.items():
        p.set_data(mx.nd.array(seeded.seeded_value(key, p.shape)))
    without_dropout(net)
    if hybridize:
        net.hybridize()
    assert_close_to(net(x).asnumpy(), want["predict"], "predict")
    with mx.autograd.record():
        y = net(x)
        loss = (y * mx.nd.array(seeded.seeded_projection(y.shape))).sum()
    loss.backward()
    assert_close_to(y.asnumpy(), want["train"], "train")
    keys = list(want["grad_keys"])
    assert keys == [k for k, p in params.items() if p.grad_req != "null"]
    grads = [params[k].grad().asnumpy() for k in keys]
    norms = np.array([np.linalg.norm(g) for g in grads])
    tolerance = GRAD_TOLERANCE[name]
    np.testing.assert_allclose(norms, want["grad_norms"], rtol=tolerance)
    heads = np.stack([g.ravel()[:want["grad_heads"].shape[1]] for g in grads])
    # (each gradient's first values, within the tolerance of that gradient's norm)
    excess = np.abs(heads - want["grad_heads"]).max(axis=1) - tolerance * want["grad_norms"]
    assert (excess <= 0).all(), keys[int(np.argmax(excess))]
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd",
                               {"learning_rate": float(want["learning_rate"])})
    trainer.step(1)
    assert_close_to(net(x).asnumpy(), want["after_step"], "after one SGD step")
    assert list(want["param_keys"]) == list(params)
    after = np.array([np.linalg.norm(p.data().asnumpy()) for p in params.values()])
    np.testing.assert_allclose(after, want["param_norms"], rtol=1e-4)


#: (model, hybridized) compared in the default suite (compiling the kernels of a network and
#: its backward pass takes seconds); the other combinations are slow tests.
FAST_NUMERIC = [("squeezenet1.1", False)]  # (tests/test_gluoncv.py checks hybridized)
SLOW_NUMERIC = [(n, h) for n in seeded.NUMERIC_CASES for h in (False, True)
                if (n, h) not in FAST_NUMERIC]


@pytest.mark.parametrize("name,hybridize", FAST_NUMERIC)
def test_outputs_gradients_and_a_step_match_mxnet(name, hybridize):
    check_against_mxnet(name, hybridize)


@pytest.mark.slow
@pytest.mark.parametrize("name,hybridize", SLOW_NUMERIC)
def test_all_numeric_cases_match_mxnet(name, hybridize):
    check_against_mxnet(name, hybridize)


#: The small networks of the zoo's classes whose `.params` MXNet saved (fixture script).
TINY = {
    "resnet_v1": lambda: vision.ResNetV1(vision.BasicBlockV1, [1, 1], [4, 4, 8], classes=5,
                                         thumbnail=True),
    "resnet_v2": lambda: vision.ResNetV2(vision.BottleneckV2, [1, 1], [4, 8, 16], classes=5),
    "mobilenet": lambda: vision.MobileNet(0.0625, classes=5),
    "densenet": lambda: vision.DenseNet(4, 4, [2, 2], classes=5),
}


@pytest.mark.parametrize("name", [
    "resnet_v1", "resnet_v2", "densenet", pytest.param("mobilenet", marks=pytest.mark.slow),
])
def test_params_files_saved_by_mxnet_load_by_name(name):
    with mx.name.NameManager():
        net = TINY[name]()
    net.load_parameters(str(FIXTURES / f"tiny_{name}.params"))
    x = mx.nd.array(seeded.seeded_input((2, 3, 56, 56)))
    want = np.load(FIXTURES / f"tiny_{name}.npz")["predict"]
    assert_close_to(net(x).asnumpy(), want, "eager")
    net.hybridize()
    assert_close_to(net(x).asnumpy(), want, "hybridized")


def test_params_file_in_the_zoos_older_format_loads():
    """MXNet's published files were written by `collect_params().save(strip_prefix=...)`:
    names without the network's prefix (`stage1_conv0_weight`) instead of structural ones."""
    with mx.name.NameManager():
        net = TINY["resnet_v1"]()
    net.load_parameters(str(FIXTURES / "tiny_resnet_v1_legacy.params"))
    x = mx.nd.array(seeded.seeded_input((2, 3, 56, 56)))
    want = np.load(FIXTURES / "tiny_resnet_v1.npz")["predict"]
    assert_close_to(net(x).asnumpy(), want, "eager")


# ---- the pretrained-file store -------------------------------------------------------------

@pytest.mark.parametrize("call,file_name", [
    (lambda root: vision.resnet18_v1(pretrained=True, root=root), "resnet18_v1-a0666292"),
    (lambda root: vision.get_model("ResNet50_v2", pretrained=True, root=root),
     "resnet50_v2-ecdde353"),
    (lambda root: vision.vgg11_bn(pretrained=True, root=root), "vgg11_bn-ee79a809"),
    (lambda root: vision.get_model("mobilenet0.5", pretrained=True, root=root),
     "mobilenet0.5-8e9d539c"),
    (lambda root: vision.mobilenet_v2_0_25(pretrained=True, root=root),
     "mobilenetv2_0.25-ae8f9392"),
    (lambda root: vision.squeezenet1_1(pretrained=True, root=root), "squeezenet1.1-33ba0f93"),
    (lambda root: vision.densenet121(pretrained=True, root=root), "densenet121-f27dbf2d"),
    (lambda root: vision.inception_v3(pretrained=True, root=root), "inceptionv3-ed47ec45"),
    (lambda root: vision.alexnet(pretrained=True, root=root), "alexnet-44335d1f"),
])
def test_pretrained_offline_names_the_file_expected(tmp_path, call, file_name):
    with pytest.raises(MissingFileError, match="mxjit does not download") as info:
        call(str(tmp_path))
    assert str(tmp_path / f"{file_name}.params") in str(info.value)
    assert f"gluon/models/{file_name}.zip" in str(info.value)


def test_pretrained_default_root_is_mxnet_home_models():
    assert model_store.get_model_file.__defaults__ == (MODELS_DIR,)
    if not os.path.exists(os.path.join(MODELS_DIR, "alexnet-44335d1f.params")):
        with pytest.raises(MissingFileError, match=re.escape(MODELS_DIR)):
            vision.alexnet(pretrained=True)


def test_pretrained_file_with_the_published_hash_loads(tmp_path, monkeypatch):
    with mx.name.NameManager():
        source = vision.squeezenet1_1(classes=3)
    source.initialize(mx.init.Xavier())
    source(mx.nd.zeros((1, 3, 224, 224)))
    saved = tmp_path / "saved.params"
    source.save_parameters(str(saved))
    digest = hashlib.sha1(saved.read_bytes()).hexdigest()
    monkeypatch.setitem(model_store._MODEL_SHA1, "squeezenet1.1", digest)
    saved.rename(tmp_path / f"squeezenet1.1-{digest[:8]}.params")
    net = vision.get_model("squeezenet1.1", classes=3, pretrained=True, root=str(tmp_path),
                           ctx=mx.cpu())
    for (key, want), got in zip(source._collect_params_with_prefix().items(),
                                net._collect_params_with_prefix().values()):
        np.testing.assert_array_equal(got.data().asnumpy(), want.data().asnumpy(), key)


def test_pretrained_file_with_another_hash_is_refused(tmp_path):
    (tmp_path / "alexnet-44335d1f.params").write_bytes(b"not the published file")
    with pytest.raises(ParamError, match="SHA-1 digest 44335d1f0046"):
        model_store.get_model_file("alexnet", root=str(tmp_path))


def test_purge_deletes_only_params_files(tmp_path):
    (tmp_path / "a.params").write_bytes(b"")
    (tmp_path / "notes.txt").write_bytes(b"")
    model_store.purge(str(tmp_path))
    assert os.listdir(tmp_path) == ["notes.txt"]


# ---- errors ---------------------------------------------------------------------------------

@pytest.mark.parametrize("call,message", [
    (lambda: vision.get_model("resnet19_v1"), "Model resnet19_v1 is not supported. Available "
                                              "options are\n\talexnet\n\tdensenet121"),
    (lambda: model_store.short_hash("resnet19_v1"), "Pretrained model for resnet19_v1 is not "
                                                    "available."),
    (lambda: vision.get_resnet(3, 18), "Invalid resnet version: 3. Options are 1 and 2."),
    (lambda: vision.get_resnet(1, 20), r"Invalid number of layers: 20. Options are \[18, 34"),
    (lambda: vision.ResNetV1(vision.BasicBlockV1, [2, 2], [64, 64]),
     "one more channel count than layer counts"),
    (lambda: vision.get_vgg(12), r"Invalid number of layers: 12. Options are \[11, 13"),
    (lambda: vision.VGG([1, 1], [64]), "one filter count per block"),
    (lambda: get_densenet(100), r"Invalid number of layers: 100. Options are \[121"),
    (lambda: vision.SqueezeNet("2.0"), "Unsupported SqueezeNet version 2.0:1.0 or 1.1"),
])
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ParamError, match=message):
        call()


def test_get_model_is_case_insensitive_and_passes_arguments():
    net = vision.get_model("MobileNetV2_0.25", classes=4)
    assert isinstance(net, vision.MobileNetV2)
    net.initialize()
    assert net(mx.nd.zeros((1, 3, 32, 32))).shape == (1, 4)
