"""The operator table: registration, parameters with kinds, defaults and MXNet's JSON
string forms (checked against symbol files written by MXNet 1.9.1), and the functions
front ends generate from it."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import ParamError
from mxjit.core.operators import (
    OPERATORS,
    REQUIRED,
    Param,
    lookup,
    make_function,
    register_operator,
    split_namespace,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mxnet-1.9.1"


def _symbol_nodes():
    if not FIXTURES.exists():
        pytest.skip(f"MXNet's fixtures are not at {FIXTURES}")
    for name in ("zoo-symbol.json", "cnn-symbol.json", "mlp-symbol.json", "lstm-symbol.json"):
        for node in json.loads((FIXTURES / name).read_text())["nodes"]:
            if node["op"] != "null":
                yield name, node


def test_mxnets_symbol_attributes_read_as_the_operators_parameters():
    seen = set()
    for name, node in _symbol_nodes():
        op = lookup(node["op"])
        seen.add(op.name)
        for key, text in (node.get("attrs") or {}).items():
            param = op.param(key)
            value = param.parse(text)
            assert param.parse(param.format(value)) == value, (name, node["op"], key, text)
    assert {"Convolution", "BatchNorm", "Pooling", "FullyConnected", "Concat", "Reshape",
            "SwapAxis", "Dropout", "LeakyReLU", "Embedding", "sum", "RNN",
            "_rnn_param_concat"} <= seen


def test_rnn_param_concat_is_concat_along_dim():
    # (what MXNet 1.9.1's mx.nd._internal._rnn_param_concat computes: no flattening)
    op = lookup("_rnn_param_concat")
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.arange(4, dtype=np.float32).reshape(2, 2)
    got = op.impl(mx.nd.array(a), mx.nd.array(b), dim=1).asnumpy()
    np.testing.assert_array_equal(got, np.concatenate([a, b], axis=1))
    flat = op.impl(mx.nd.array(a.ravel()), mx.nd.array(b.ravel()), dim=0, num_args=2)
    np.testing.assert_array_equal(flat.asnumpy(), np.concatenate([a.ravel(), b.ravel()]))
    assert [p.name for p in op.params] == ["dim", "num_args"]


@pytest.mark.parametrize("param, value, text", [
    (Param("kernel", "shape", REQUIRED), (3, 3), "(3, 3)"),
    (Param("axes", "shape", ()), (), "()"),
    (Param("no_bias", "bool", False), False, "False"),
    (Param("eps", "float", 1e-3), 1e-05, "1e-05"),
    (Param("num_hidden", "int", REQUIRED), 10, "10"),
    (Param("act_type", "str", "relu"), "elu", "elu"),
    (Param("dtype", "dtype", None), np.dtype("float16"), "float16"),
    (Param("axis", "any", None), None, "None"),
    (Param("axis", "any", None), (0, 2), "(0, 2)"),
])
def test_string_forms(param, value, text):
    assert param.format(value) == text
    assert param.parse(text) == (value.name if param.kind == "dtype" else value)


def test_string_forms_mxnet_also_writes():
    assert Param("shape", "shape", ()).parse("-1") == (-1,)
    assert Param("fix_gamma", "bool", True).parse("1") is True
    assert Param("act_type", "any", None).parse("relu") == "relu"
    with pytest.raises(ParamError, match="cannot read 'x' as int"):
        Param("k", "int", 1).parse("x")


def test_names_namespaces_and_aliases():
    assert split_namespace("_contrib_index_copy") == ("contrib", "index_copy")
    assert split_namespace("_linalg_gemm2") == ("linalg", "gemm2")
    assert split_namespace("broadcast_add") == ("", "broadcast_add")
    assert lookup("concat") is lookup("Concat") is OPERATORS["Concat"]
    assert ("", "linalg_gemm2") in lookup("_linalg_gemm2").public_names()
    assert mx.nd.linalg_gemm2 is not mx.nd.linalg.gemm2  # (one function per namespace)
    with pytest.raises(ParamError, match="unknown operator 'nope'"):
        lookup("nope")


def test_parameters_come_from_the_implementation():
    op = lookup("FullyConnected")
    assert op.inputs == ("data", "weight", "bias")
    assert [p.name for p in op.params] == ["num_hidden", "no_bias", "flatten"]
    assert op.param("num_hidden").required and op.param("num_hidden").kind == "int"
    assert op.param("no_bias").kind == "bool" and op.param("no_bias").default is False
    assert lookup("Concat").variadic and lookup("Concat").inputs == ("data",)
    with pytest.raises(ParamError, match="has no parameter 'bogus'"):
        op.param("bogus")


def test_registration_errors():
    def impl(x, y=1):
        return x

    with pytest.raises(ParamError, match="already registered"):
        register_operator("exp")(impl)
    with pytest.raises(ParamError, match="must be the first parameters"):
        register_operator("_test_order", inputs=("y",))(impl)

    def star(x, *rest, y=1):
        return x

    with pytest.raises(ParamError, match=r"parameter \*rest must be an input"):
        register_operator("_test_star")(star)
    assert "_test_order" not in OPERATORS and "_test_star" not in OPERATORS


def test_open_operators_take_further_keywords():
    def impl(x, scale=1.0, **extra):
        return x * scale, extra

    register_operator("_test_open")(impl)
    try:
        op = OPERATORS["_test_open"]
        assert op.open and [p.name for p in op.params] == ["scale"]
        function = make_function(op, "f", lambda r, operands, out: r, "NDArray", "m")
        x = mx.nd.ones(2)
        assert function(x, scale=2.0, mode="fast")[1] == {"mode": "fast"}
    finally:
        del OPERATORS["_test_open"]


def test_generated_functions_check_required_arguments_and_finish():
    calls = []

    def finish(result, operands, out):
        calls.append((result, operands, out))
        return result

    f = make_function(lookup("one_hot"), "one_hot", finish, "NDArray", "test")
    x = mx.nd.array([0, 2])
    got = f(x, depth=3)
    assert got.shape == (2, 3) and calls[-1][1] == (x,) and calls[-1][2] is None
    with pytest.raises(ParamError, match="one_hot: the argument 'depth' is required"):
        f(x)
    with pytest.raises(ParamError, match="one_hot: the argument 'indices' is required"):
        f(depth=3)
    with pytest.raises(TypeError):
        f(x, depth=3, bogus=1)  # (Python's own check of the real signature)
