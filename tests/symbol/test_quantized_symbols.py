"""MXNet's quantized operators on symbols: their inputs (the ranges included), their three
outputs (value, min, max), shape and dtype inference as MXNet 1.9.1 prints them, and the
same numbers as mx.nd when bound."""
from __future__ import annotations

import numpy as np
import pytest

import mxjit as mx

v = mx.sym.var
c = mx.sym.contrib
F32, I8, I32, U8 = np.float32, np.int8, np.int32, np.uint8


@pytest.fixture(autouse=True)
def fresh_names():
    with mx.name.NameManager():
        yield


def suffixes(names, prefix):
    return [n[len(prefix):] if n.startswith(prefix) else n for n in names]


def test_quantized_layers_list_mxnets_inputs_and_outputs():
    fc = c.quantized_fully_connected(v("d"), num_hidden=4)
    assert suffixes(fc.list_arguments(), "quantized_fully_connected0_") == [
        "d", "weight", "bias", "min_data", "max_data", "min_weight", "max_weight", "min_bias",
        "max_bias"]
    assert suffixes(fc.list_outputs(), "quantized_fully_connected0_") == [
        "output", "min_output", "max_output"]
    no_bias = c.quantized_fully_connected(v("d"), num_hidden=4, no_bias=True)
    assert suffixes(no_bias.list_arguments(), "quantized_fully_connected1_") == [
        "d", "weight", "min_data", "max_data", "min_weight", "max_weight"]
    # (printed by MXNet 1.9.1: the name after each node's prefix)
    cases = {
        "act": (c.quantized_act(v("d"), v("a"), v("b"), act_type="relu"),
                ["output", "min_output", "max_output"]),
        "pooling": (c.quantized_pooling(v("d"), v("a"), v("b"), kernel=(2, 2)),
                    ["output", "min_output", "max_output"]),
        "requantize": (c.requantize(v("d"), v("a"), v("b")), ["output0", "output1", "output2"]),
        "quantize_v2": (c.quantize_v2(v("d")), ["output0", "output1", "output2"]),
        "quantize_asym": (c.quantize_asym(v("d")), ["output", "scale", "shift"]),
        "dequantize": (c.dequantize(v("d"), v("a"), v("b")), ["output"]),
    }
    for sym, names in cases.values():
        node = sym.list_outputs()[0].rsplit("_output", 1)[0]
        assert suffixes(sym.list_outputs(), node + "_") == names
    bn = c.quantized_batch_norm(v("d"), v("g"), v("be"), v("mm"), v("mv"), v("a"), v("b"))
    assert bn.list_arguments() == ["d", "g", "be", "a", "b"]
    assert bn.list_auxiliary_states() == ["mm", "mv"]


def test_quantized_layers_infer_shapes_and_dtypes_as_mxnet():
    fc = c.quantized_fully_connected(v("d"), num_hidden=4)
    assert fc.infer_shape(d=(2, 3)) == ([(2, 3), (4, 3), (4,)] + [(1,)] * 6,
                                        [(2, 4), (1,), (1,)], [])
    assert fc.infer_type(d="int8") == ([I8, I8, I8] + [F32] * 6, [I32, F32, F32], [])
    conv = c.quantized_conv(v("d"), num_filter=4, kernel=(3, 3))
    assert conv.infer_shape(d=(1, 2, 5, 5)) == (
        [(1, 2, 5, 5), (4, 2, 3, 3), (4,)] + [(1,)] * 6, [(1, 4, 3, 3), (1,), (1,)], [])
    act = c.quantized_act(v("d"), v("a"), v("b"), act_type="relu")
    assert act.infer_type(d="int8") == ([I8, F32, F32], [I8, F32, F32], [])
    assert c.requantize(v("d"), v("a"), v("b"), out_type="uint8").infer_type(d="int32") == (
        [I32, F32, F32], [U8, F32, F32], [])
    assert c.dequantize(v("d"), v("a"), v("b")).infer_type(d="int8") == (
        [I8, F32, F32], [F32], [])
    embed = c.quantized_embedding(v("d"), v("w"), v("a"), v("b"), input_dim=4, output_dim=3)
    assert embed.infer_type(d="float32", w="int8") == ([F32, I8, F32, F32], [I8, F32, F32],
                                                        [])
    bn = c.quantized_batch_norm(v("d"), v("g"), v("be"), v("mm"), v("mv"), v("a"), v("b"))
    assert bn.infer_type(d="int8") == ([I8, F32, F32, F32, F32], [I8, F32, F32], [F32, F32])


def test_a_bound_quantized_layer_computes_what_nd_computes():
    fc = c.quantized_fully_connected(v("d"), num_hidden=4, no_bias=True)
    names = fc.list_arguments()
    rng = np.random.default_rng(0)
    args = {"d": mx.nd.array(rng.integers(-5, 5, (2, 3)), dtype="int8"),
            names[1]: mx.nd.array(rng.integers(-5, 5, (4, 3)), dtype="int8")}
    args.update({n: mx.nd.array([-1.0 if "min" in n else 1.0]) for n in names[2:]})
    outs = fc.bind(mx.cpu(), args).forward()
    want = mx.nd.contrib.quantized_fully_connected(
        args["d"], args[names[1]], None, *(args[n] for n in names[2:]), num_hidden=4,
        no_bias=True)
    assert [o.dtype for o in outs] == [I32, F32, F32]
    for got, ref in zip(outs, want):
        np.testing.assert_array_equal(got.asnumpy(), ref.asnumpy())
