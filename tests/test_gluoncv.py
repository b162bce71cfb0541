"""GluonCV 0.10.5's classification model zoo, unmodified, on mxjit through
`install_as_mxnet()`: each network, given the seeded parameters that real MXNet 1.9.1 was
given (tests/fixtures/gluoncv), gives MXNet's outputs, eager and hybridized, and the same
parameter gradients of a training-mode step. A few networks run in `make test`, the rest
are marked slow.
"""
from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import mxjit as mx
from mxjit.mxnet_alias import MXNetFinder

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "gluoncv"
_spec = importlib.util.spec_from_file_location("gluoncv_cases", FIXTURES / "gluoncv_cases.py")
cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cases)

#: Tolerances, relative to the largest reference value: the outputs (the issue's 1e-3),
#: and the gradients (relative to the largest gradient norm: a training-mode BatchNorm over
#: a few values per channel amplifies float32 rounding in the early layers of deep nets).
OUTPUT_RTOL = 1e-3
GRAD_RTOL = 5e-3
pytestmark = pytest.mark.filterwarnings(  # (GluonCV's version check, not ours)
    "ignore:distutils Version classes are deprecated:DeprecationWarning")


@pytest.fixture(scope="module")
def gluoncv() -> Iterator[ModuleType]:
    """GluonCV imported under the `mxnet` alias; the alias is taken away afterwards, so
    the rest of the session sees no `mxnet`."""
    if importlib.util.find_spec("gluoncv") is None:
        pytest.skip("gluoncv is not installed (make test installs it)")
    if not hasattr(mx, "operator"):
        pytest.skip("GluonCV's import defines custom operators: it needs mx.operator")
    mx.install_as_mxnet()
    try:
        import gluoncv

        assert gluoncv._found_mxnet
        yield gluoncv
    finally:
        sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, MXNetFinder)]
        for name in [n for n in sys.modules if n.split(".")[0] in ("mxnet", "gluoncv")]:
            del sys.modules[name]


def _run(gluoncv: ModuleType, name: str, hybridize: bool) -> dict[str, Any]:
    kwargs, shape = cases.CASES[name]
    net = gluoncv.model_zoo.get_model(name, **kwargs)
    net.initialize()
    x = mx.nd.array(cases.seeded_input(shape))
    net(x)
    cases.set_seeded_parameters(net, mx.nd, mx.gluon.nn.Dropout)
    if hybridize:
        net.hybridize()
    out = net(x).asnumpy()
    projection = mx.nd.array(cases.seeded_projection(out.shape))
    with mx.autograd.record():
        loss = (net(x) * projection).sum()
    loss.backward()
    return {"output": out, "loss": loss.asnumpy(),
            "grads": {k: p.grad().asnumpy() for k, p in
                      net._collect_params_with_prefix().items() if p.grad_req != "null"}}


def _relative(got: np.ndarray, want: np.ndarray) -> float:
    return float(np.abs(got - want).max() / np.abs(want).max())


@pytest.mark.parametrize("hybridize", [False, True], ids=["eager", "hybridized"])
@pytest.mark.parametrize("name", [
    pytest.param(n, marks=() if n in cases.FAST else pytest.mark.slow) for n in cases.CASES])
def test_a_gluoncv_network_gives_mxnets_outputs_and_gradients(gluoncv, name, hybridize):
    ref = np.load(FIXTURES / f"{name}.npz")
    got = _run(gluoncv, name, hybridize)
    assert _relative(got["output"], ref["output"]) < OUTPUT_RTOL
    assert _relative(got["loss"], ref["loss"]) < OUTPUT_RTOL
    names = str(ref["names"]).split("\n")
    assert names == sorted(got["grads"])
    scale = float(ref["norms"].max())
    for pname, norm, head in zip(names, ref["norms"], ref["heads"]):
        grad = got["grads"][pname].ravel().astype(np.float64)
        k = min(cases.GRAD_HEAD, grad.size)
        assert abs(np.linalg.norm(grad) - norm) < GRAD_RTOL * scale, pname
        np.testing.assert_allclose(grad[:k], head[:k], rtol=0, atol=GRAD_RTOL * scale,
                                   err_msg=pname)
