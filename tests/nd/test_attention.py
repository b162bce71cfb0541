"""mx.nd.contrib.interleaved_matmul_* against NumPy references written from MXNet's
documentation of the interleaved layout (its "equivalent code"), eagerly, under `mx.jit` and
through autograd, with second-order gradient checks."""
from __future__ import annotations

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import ArgumentError, DTypeError, ParamError, ShapeError
from tests.helpers import check_grads

C = mx.nd.contrib
RNG = np.random.default_rng(0)


def split_heads(packed: np.ndarray, heads: int, parts: int, part: int) -> np.ndarray:
    """(seq, batch, heads * parts * d) -> part `part` as (batch * heads, seq, d)."""
    seq, batch, width = packed.shape
    d = width // (heads * parts)
    tmp = packed.reshape(seq, batch, heads, parts, d)[:, :, :, part]
    return tmp.transpose(1, 2, 0, 3).reshape(batch * heads, seq, d)


def scores_ref(q: np.ndarray, k: np.ndarray) -> np.ndarray:
    return q @ k.transpose(0, 2, 1) / np.sqrt(q.shape[-1])


def weighted_ref(att: np.ndarray, v: np.ndarray, batch: int, heads: int) -> np.ndarray:
    d = v.shape[-1]
    out = (att @ v).reshape(batch, heads, att.shape[1], d)
    return out.transpose(2, 0, 1, 3).reshape(att.shape[1], batch, heads * d)


def selfatt_qk_ref(qkv: np.ndarray, heads: int) -> np.ndarray:
    return scores_ref(split_heads(qkv, heads, 3, 0), split_heads(qkv, heads, 3, 1))


def selfatt_valatt_ref(qkv: np.ndarray, att: np.ndarray, heads: int) -> np.ndarray:
    return weighted_ref(att, split_heads(qkv, heads, 3, 2), qkv.shape[1], heads)


def encdec_qk_ref(q: np.ndarray, kv: np.ndarray, heads: int) -> np.ndarray:
    return scores_ref(split_heads(q, heads, 1, 0), split_heads(kv, heads, 2, 0))


def encdec_valatt_ref(kv: np.ndarray, att: np.ndarray, heads: int) -> np.ndarray:
    return weighted_ref(att, split_heads(kv, heads, 2, 1), kv.shape[1], heads)


SIZES = [(4, 2, 3, 2, 5), (1, 1, 1, 3, 1), (3, 2, 2, 1, 2), (0, 2, 2, 2, 3), (2, 0, 2, 2, 3)]


@pytest.mark.parametrize("seq, batch, heads, d, seq_k", SIZES)
@pytest.mark.parametrize("dtype, tol", [("float32", 1e-5), ("float64", 1e-12)])
def test_match_references(seq, batch, heads, d, seq_k, dtype, tol) -> None:
    qkv = RNG.standard_normal((seq, batch, 3 * heads * d))
    att = RNG.random((batch * heads, seq, seq))
    q = RNG.standard_normal((seq, batch, heads * d))
    kv = RNG.standard_normal((seq_k, batch, 2 * heads * d))
    att2 = RNG.random((batch * heads, seq, seq_k))
    cases = [
        (C.interleaved_matmul_selfatt_qk, (qkv,), selfatt_qk_ref(qkv, heads)),
        (C.interleaved_matmul_selfatt_valatt, (qkv, att), selfatt_valatt_ref(qkv, att, heads)),
        (C.interleaved_matmul_encdec_qk, (q, kv), encdec_qk_ref(q, kv, heads)),
        (C.interleaved_matmul_encdec_valatt, (kv, att2), encdec_valatt_ref(kv, att2, heads)),
    ]
    for op, args, ref in cases:
        arrays = [mx.nd.array(a, dtype=dtype) for a in args]
        got = op(*arrays, heads=heads)
        assert got.shape == ref.shape and got.dtype == np.dtype(dtype)
        np.testing.assert_allclose(got.asnumpy(), ref, rtol=tol, atol=tol)
        jitted = mx.jit(lambda *xs, op=op: op(*xs, heads=heads))(*arrays)
        np.testing.assert_allclose(jitted.asnumpy(), ref, rtol=tol, atol=tol)


def test_values_copied_from_mxnet() -> None:
    # MXNet 1.9.1: interleaved_matmul_selfatt_qk(arange(2 * 1 * 6).reshape(2, 1, 6) / 10,
    # heads=1) and selfatt_valatt of the same with attention [[[0.25, 0.75], [1, 0]]]
    qkv = mx.nd.array(np.arange(12).reshape(2, 1, 6) / 10)
    np.testing.assert_allclose(C.interleaved_matmul_selfatt_qk(qkv, heads=1).asnumpy(),
                               [[[0.0212132, 0.0636396], [0.2333452, 0.7848885]]], rtol=1e-5)
    att = mx.nd.array([[[0.25, 0.75], [1.0, 0.0]]])
    np.testing.assert_allclose(C.interleaved_matmul_selfatt_valatt(qkv, att, heads=1).asnumpy(),
                               [[[0.85, 0.95]], [[0.4, 0.5]]], rtol=1e-6)


def test_gradients_second_order() -> None:
    heads, seq, batch, d = 2, 3, 2, 2
    qkv = RNG.standard_normal((seq, batch, 3 * heads * d))
    att = RNG.random((batch * heads, seq, seq))
    check_grads(lambda x: C.interleaved_matmul_selfatt_qk(x, heads=heads) ** 2, [qkv])
    check_grads(lambda x, a: C.interleaved_matmul_selfatt_valatt(x, a, heads=heads) ** 2,
                [qkv, att])
    q = RNG.standard_normal((seq, batch, heads * d))
    kv = RNG.standard_normal((4, batch, 2 * heads * d))
    att2 = RNG.random((batch * heads, seq, 4))
    check_grads(lambda x, y: C.interleaved_matmul_encdec_qk(x, y, heads=heads) ** 2, [q, kv])
    check_grads(lambda y, a: C.interleaved_matmul_encdec_valatt(y, a, heads=heads) ** 2,
                [kv, att2])


def test_autograd_through_a_self_attention_layer() -> None:
    heads, seq, batch, d = 2, 3, 2, 2
    qkv_np = RNG.standard_normal((seq, batch, 3 * heads * d)).astype(np.float32)
    qkv = mx.nd.array(qkv_np)
    qkv.attach_grad()
    with mx.autograd.record():
        scores = C.interleaved_matmul_selfatt_qk(qkv, heads=heads)
        out = C.interleaved_matmul_selfatt_valatt(qkv, mx.nd.softmax(scores), heads=heads)
        loss = (out * out).sum()
    loss.backward()

    def layer(x: mx.nd.NDArray) -> mx.nd.NDArray:
        s = C.interleaved_matmul_selfatt_qk(x, heads=heads)
        o = C.interleaved_matmul_selfatt_valatt(x, mx.nd.softmax(s), heads=heads)
        return (o * o).sum()

    np.testing.assert_allclose(qkv.grad.asnumpy(), mx.grad(layer)(qkv).asnumpy(), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("call, error, match", [
    (lambda: C.interleaved_matmul_selfatt_qk(np.ones((2, 1, 6)), heads=1), ArgumentError,
     "must be an array"),
    (lambda: C.interleaved_matmul_selfatt_qk(mx.nd.ones((2, 6)), heads=1), ShapeError, "3-D"),
    (lambda: C.interleaved_matmul_selfatt_qk(mx.nd.ones((2, 1, 6), dtype="int32"), heads=1),
     DTypeError, "floating-point"),
    (lambda: C.interleaved_matmul_selfatt_qk(mx.nd.ones((2, 1, 7)), heads=1), ShapeError,
     "multiple of 3"),
    (lambda: C.interleaved_matmul_selfatt_qk(mx.nd.ones((2, 1, 12)), heads=3), ParamError,
     "divisor"),
    (lambda: C.interleaved_matmul_selfatt_qk(mx.nd.ones((2, 1, 12)), heads=0), ParamError,
     "positive"),
    (lambda: C.interleaved_matmul_selfatt_qk(mx.nd.ones((2, 1, 12)), heads=2.0), ArgumentError,
     "heads must be an int"),
    (lambda: C.interleaved_matmul_selfatt_qk(mx.nd.ones((2, 1, 12))), ParamError,
     "'heads' is required"),
    (lambda: C.interleaved_matmul_selfatt_valatt(mx.nd.ones((2, 1, 7)), mx.nd.ones((1, 2, 2)),
                                                 heads=1), ShapeError, "multiple of 3"),
    (lambda: C.interleaved_matmul_selfatt_valatt(mx.nd.ones((2, 1, 12)), mx.nd.ones((1, 2, 2)),
                                                 heads=2), ShapeError, r"\(2, 2, 2\)"),
    (lambda: C.interleaved_matmul_selfatt_valatt(mx.nd.ones((2, 1, 6)),
                                                 mx.nd.ones((1, 2, 2), dtype="float64"),
                                                 heads=1), DTypeError, "one dtype"),
    (lambda: C.interleaved_matmul_encdec_qk(mx.nd.ones((2, 1, 4)), mx.nd.ones((3, 1, 6)),
                                            heads=2), ShapeError, "twice the width"),
    (lambda: C.interleaved_matmul_encdec_qk(mx.nd.ones((2, 1, 4)), mx.nd.ones((3, 2, 8)),
                                            heads=2), ShapeError, "the batch"),
    (lambda: C.interleaved_matmul_encdec_valatt(mx.nd.ones((3, 1, 5)), mx.nd.ones((1, 2, 3)),
                                                heads=1), ShapeError, "multiple of 2"),
    (lambda: C.interleaved_matmul_encdec_valatt(mx.nd.ones((3, 1, 8)), mx.nd.ones((2, 2, 4)),
                                                heads=2), ShapeError, r"\(2, seq_q, 3\)"),
])
def test_errors(call, error, match) -> None:
    with pytest.raises(error, match=match):
        call()
