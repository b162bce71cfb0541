"""Jitted functions and the eager op table keep a bounded number of compiled programs, the
most recently used (issue #11, part 3); what they drop still runs wherever it is held."""
import gc

import numpy as np
import pytest

import mxjit as mx
from mxjit.core import eager
from mxjit.lower import KERNELS

nd = mx.nd


def test_a_jitted_function_keeps_its_most_recently_used_signatures(monkeypatch):
    monkeypatch.setenv("MXJIT_JIT_CACHE_SIZE", "3")
    f = mx.jit(lambda x: x * 2 + 1)
    for n in (1, 2, 3, 4, 5):
        assert f(nd.ones((n,))).asnumpy().tolist() == [3.0] * n
        f(nd.ones((4,)))  # (used all along: kept)
    assert len(f._cache) == 3 and len(f._fast) <= 3
    shapes = {sig[1][0][0] for sig in f._cache}
    assert shapes == {(3,), (4,), (5,)}
    assert f(nd.ones((1,))).asnumpy().tolist() == [3.0]  # traced again


def test_the_jit_cache_size_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("MXJIT_JIT_CACHE_SIZE", "2")
    f = mx.jit(lambda x: x - 1)
    for n in range(1, 7):
        f(np.ones((n,), np.float32))
        f.lower(nd.ones((n + 10,)))
    assert len(f._cache) == 2


def test_a_dropped_signature_still_runs_where_the_tape_holds_it(monkeypatch):
    monkeypatch.setenv("MXJIT_JIT_CACHE_SIZE", "1")
    f = mx.jit(lambda x: nd.exp(x) * x)
    x = nd.array(np.linspace(0, 1, 7).astype(np.float32))
    x.attach_grad()
    with mx.autograd.record():
        y = f(x)
    for n in range(2, 6):  # f forgets x's signature
        f(nd.ones((n,)))
    gc.collect()
    y.backward()
    v = x.asnumpy()
    np.testing.assert_allclose(x.grad.asnumpy(), np.exp(v) * (v + 1), rtol=1e-5)


def test_the_eager_op_table_keeps_the_most_recently_used_programs(monkeypatch):
    monkeypatch.setattr(KERNELS, "capacity", 4)
    eager.EAGER_OPS.clear()
    rng = np.random.default_rng(0)
    held = [nd.array(rng.random((3, 5)).astype(np.float32)) for _ in range(2)]
    for n in range(2, 12):
        a, b = rng.random((n, 3)).astype(np.float32), rng.random((n, 2)).astype(np.float32)
        got = nd.concat(nd.array(a), nd.array(b), dim=1).asnumpy()
        np.testing.assert_array_equal(got, np.concatenate([a, b], axis=1))
        nd.concat(*held, dim=0)  # (used all along: kept)
        assert len(eager.EAGER_OPS) <= 4
    assert any(k[0] == "concat" and k[2][0] == (3, 5) for k in eager.EAGER_OPS)


@pytest.mark.parametrize("bad", ["-1", "many"])
def test_a_bad_jit_cache_size_warns_and_uses_the_default(monkeypatch, bad):
    monkeypatch.setenv("MXJIT_JIT_CACHE_SIZE", bad)
    with pytest.warns(RuntimeWarning, match="MXJIT_JIT_CACHE_SIZE"):
        f = mx.jit(lambda x: x + 3)
    assert f(nd.ones((2,))).asnumpy().tolist() == [4.0, 4.0]
