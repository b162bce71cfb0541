"""Public namespaces hold public names only (tab completion in a REPL is how people
explore), the generated `mx.nd` functions have MXNet's real signatures and docstrings, and
a jitted function says what it wraps."""
from __future__ import annotations

import inspect
import json
import types
from pathlib import Path

import pytest

import mxjit as mx

NAMESPACES = [mx.nd, mx.autograd, mx.nd.random, mx.nd.contrib, mx.nd.linalg, mx.nd.image,
              mx.nd.sparse, mx.random, mx.context, mx.optimizer, mx.lr_scheduler, mx.init,
              mx.metric, mx.gluon.nn, mx.gluon.loss, mx.np, mx.np.linalg, mx.np.random,
              mx.npx, mx.util]
#: MXNet's public submodules of these namespaces.
SUBMODULES = {"contrib", "image", "linalg", "ndarray", "random", "sparse", "optimizer",
              "activations", "basic_layers", "conv_layers", "np", "npx", "numpy",
              "numpy_extension"}


@pytest.mark.parametrize("module", NAMESPACES, ids=lambda m: m.__name__)
def test_a_namespace_shows_only_its_public_names(module):
    public = [n for n in dir(module) if not n.startswith("_")]
    assert set(public) <= set(module.__all__), set(public) - set(module.__all__)
    for name in module.__all__:
        value = getattr(module, name)
        if isinstance(value, types.ModuleType):
            assert name in SUBMODULES, name
        assert value is None or value is not getattr(__import__("typing"), name, None), name
    assert "annotations" not in public and "Any" not in public
    # (mx.metric.np is MXNet's; mx.nd.np is mx.np, MXNet's F.np in hybrid_forward)
    assert "np" not in public or module is mx.metric or module.np is mx.np


def test_generated_functions_have_mxnets_signatures_and_docstrings():
    sig = inspect.signature(mx.nd.Convolution)
    assert list(sig.parameters)[:4] == ["data", "weight", "bias", "kernel"]
    assert list(sig.parameters)[-2:] == ["out", "name"]
    assert repr(sig.parameters["num_filter"].default) == "<required>"
    assert sig.parameters["no_bias"].default is False
    concat = inspect.signature(mx.nd.concat)
    assert concat.parameters["data"].kind is inspect.Parameter.VAR_POSITIONAL
    doc = mx.nd.Convolution.__doc__
    assert "Parameters" in doc and "num_filter : int, required" in doc
    assert "MXNet operator `Convolution`" in doc and ">>>" in doc
    assert mx.nd.Convolution.__module__ == "mxjit.nd"
    assert "alias" not in mx.nd.concat.__doc__ and "Concat" in mx.nd.concat.__doc__
    assert inspect.signature(mx.nd.linalg.gemm2).parameters["A"].default is not None


def test_every_table_operator_is_in_its_namespace():
    from mxjit.core.operators import OPERATORS

    for op in OPERATORS.values():
        for ns, name in op.public_names():
            if ns == "_internal":
                continue
            module = mx.nd if ns == "" else getattr(mx.nd, ns)
            assert callable(getattr(module, name, None)), (op.name, ns, name)


def test_a_jitted_function_names_what_it_wraps():
    def step(x):
        return x * 2

    f = mx.jit(step)
    assert "step" in repr(f) and "0 signature(s)" in repr(f)
    f(mx.nd.ones(2))
    f(mx.nd.ones(3))
    assert "2 signature(s)" in repr(f)
    g = mx.grad(lambda x: (x * x).sum())
    assert repr(g).startswith("<grad(")


def test_out_takes_a_list_for_operators_with_several_results():
    x = mx.nd.arange(6).reshape((2, 3))
    a, b = mx.nd.zeros((2, 1)), mx.nd.zeros((2, 2))
    got = mx.nd.split_v2(x, [1], axis=1, out=[a, b])
    assert got[0] is a and got[1] is b
    assert b.asnumpy().tolist() == [[1, 2], [4, 5]]
    with pytest.raises(mx.base.ArgumentError, match="pass a list of 2"):
        mx.nd.split_v2(x, [1], axis=1, out=a)
    same = mx.nd.reshape(x, shape=(3, 2))  # (a view of x eagerly: nd returns a new array)
    x[0, 0] = 7
    assert same.asnumpy()[0, 0] == 0


def test_operators_marked_fresh_never_return_an_operand_or_a_view_of_one():
    import numpy as np

    from mxjit.core.operators import OPERATORS

    base = mx.nd.array(np.linspace(0.1, 0.9, 12).reshape(3, 4))
    x = base.T  # (a strided view: the general eager paths)
    checked = 0
    for op in OPERATORS.values():
        if not op.fresh or any(p.required for p in op.params):
            continue
        args = [x] * len(op.inputs)
        out = op.impl(*args)
        for r in out if isinstance(out, list) else [out]:
            assert not np.may_share_memory(r._data, base._data), op.name
        checked += 1
    assert checked > 60


# ---- every public name of MXNet 1.9.1's mx.nd and mx.autograd ----------------------------

REFERENCE_NAMES = json.loads(
    (Path(__file__).parent / "fixtures" / "mxnet-1.9.1" / "public_names.json").read_text())

_LEAKED = "an import of MXNet's own module, not API"
#: Names of MXNet 1.9.1 that mxjit leaves out, each with the reason.
NOT_PROVIDED = {
    "nd": {
        **{m: "MXNet's generated-code or registration module" for m in (
            "gen__internal", "gen_contrib", "gen_image", "gen_linalg", "gen_op", "gen_sparse",
            "op", "register", "utils")},
        **{f: "an indexing helper of MXNet's ndarray.py, not API" for f in (
            "get_indexing_dispatch_code", "get_oshape_of_gather_nd_op",
            "indexing_key_expand_implicit_axes")},
        "imdecode": "arrives with mx.image's decoders (issue #15)",
    },
    "nd.contrib": {
        **{n: _LEAKED for n in ("current_context", "math", "mx", "ndarray", "np", "uniform")},
    },
    "nd.sparse": {n: _LEAKED for n in (
        "Context", "NDArray", "NDArrayHandle", "NotSupportedForSparseNDArray", "c_array_buf",
        "check_call", "ctypes", "current_context", "gs_retain", "integer_types", "mx_real_t",
        "native_array", "np", "numeric_types", "op", "operator", "py_slice", "py_sum", "spsp",
        "warnings")},
    "nd.random": {n: _LEAKED for n in ("NDArray", "current_context", "numeric_types")},
    "autograd": {
        **{n: _LEAKED for n in (
            "CFUNCTYPE", "Lock", "MXCallbackList", "NDArrayHandle", "POINTER",
            "SymbolHandle", "array", "c_array", "c_array_buf", "c_handle_array", "c_int",
            "c_void_p", "cast", "check_call", "ctypes", "mx_uint", "string_types",
            "traceback")},
    },
}


@pytest.mark.parametrize("where", sorted(k for k in REFERENCE_NAMES if not k.startswith("_")))
def test_every_public_name_of_mxnet_is_here_or_left_out_with_a_reason(where):
    module = mx
    for part in where.split("."):
        module = getattr(module, part)
    left_out = NOT_PROVIDED.get(where, {})
    missing = sorted(n for n in REFERENCE_NAMES[where] if n not in left_out
                     and not hasattr(module, n))
    assert not missing, f"mx.{where} lacks MXNet's {missing}"
    provided = sorted(n for n in left_out if hasattr(module, n))
    assert not provided, f"mx.{where} has {provided}: take them off NOT_PROVIDED"
    for name, kind in REFERENCE_NAMES[where].items():
        if name in left_out:
            continue
        value = getattr(module, name)
        if kind == "module":
            assert isinstance(value, types.ModuleType), name
        elif kind == "function":
            assert callable(value), name
