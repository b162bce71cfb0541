"""A jitted function called while `autograd.record()` is on is recorded on the tape:
`backward()` differentiates through it (one compiled backward program for the whole
recorded graph), reads the intermediates it kept instead of computing them again, and
works for create_graph, grad_req='add', random draws and warm steps that compile nothing."""
from __future__ import annotations

import numpy as np
import pytest

import mxjit as mx
from mxjit.core import tape

nd = mx.nd
autograd = mx.autograd


def _var(values, grad_req="write"):
    x = nd.array(np.asarray(values, np.float64), dtype="float64")
    x.attach_grad(grad_req)
    return x


def _layer(x, w, b):
    return nd.tanh(nd.dot(x, w) + b)


def test_backward_through_a_jitted_call_between_eager_ops_matches_mx_grad():
    rng = np.random.default_rng(0)
    x = nd.array(rng.normal(size=(4, 5)), dtype="float64")
    w, b = _var(rng.normal(size=(5, 3))), _var(rng.normal(size=3))
    layer = mx.jit(_layer)

    def loss(w, b):
        return (layer(x * 2, w, b) ** 2).sum()

    with autograd.record():
        y = loss(w, b)
    y.backward()
    gw, gb = mx.grad(lambda w, b: (_layer(x * 2, w, b) ** 2).sum(), argnums=(0, 1))(w, b)
    np.testing.assert_allclose(w.grad.asnumpy(), gw.asnumpy(), rtol=1e-12)
    np.testing.assert_allclose(b.grad.asnumpy(), gb.asnumpy(), rtol=1e-12)


def test_several_outputs_in_a_pytree_only_some_of_them_used():
    f = mx.jit(lambda a: {"s": nd.sin(a), "pair": (a * a, nd.exp(a))})
    a = _var([0.1, 0.2, 0.3])
    with autograd.record():
        out = f(a)
        y = (out["pair"][1] * 3 + out["s"]).sum()
    y.backward()
    want = 3 * np.exp(a.asnumpy()) + np.cos(a.asnumpy())
    np.testing.assert_allclose(a.grad.asnumpy(), want, rtol=1e-12)


def test_the_backward_program_reads_the_kept_product_instead_of_computing_it(monkeypatch):
    programs = []
    lower_graph = tape.lower_graph

    def capture(*args, **kwargs):
        programs.append(lower_graph(*args, **kwargs))
        return programs[-1]

    monkeypatch.setattr(tape, "lower_graph", capture)
    rng = np.random.default_rng(1)
    x = nd.array(rng.normal(size=(6, 7)), dtype="float64")
    w = _var(rng.normal(size=(7, 5)))
    f = mx.jit(lambda x, w: nd.exp(nd.sin(nd.dot(x, w))))
    with autograd.record():
        y = f(x, w).sum()
    y.backward()
    want = mx.grad(lambda w: nd.exp(nd.sin(nd.dot(x, w))).sum())(w)
    np.testing.assert_allclose(w.grad.asnumpy(), want.asnumpy(), rtol=1e-12)
    (program,) = programs
    dots = [s for s in program.steps if getattr(s, "name", None) == "dot_general"]
    assert len(dots) == 1, "\n".join(program.plan_text)  # x^T @ g only: x @ w was kept


def test_create_graph_through_a_jitted_call():
    f = mx.jit(lambda x: nd.sin(x) * x)
    x = _var([0.3, -1.2, 2.0])
    with autograd.record():
        y = f(x).sum()
        (dx,) = autograd.grad(y, [x], create_graph=True)
        z = (dx * dx).sum()
    z.backward()
    v = x.asnumpy()
    first = np.cos(v) * v + np.sin(v)
    second = -np.sin(v) * v + 2 * np.cos(v)
    np.testing.assert_allclose(dx.asnumpy(), first, rtol=1e-12)
    np.testing.assert_allclose(x.grad.asnumpy(), 2 * first * second, rtol=1e-12)


def test_grad_req_add_accumulates_over_jitted_steps():
    f = mx.jit(lambda w: (w * w).sum())
    w = _var([1.0, -2.0], grad_req="add")
    for _ in range(3):
        with autograd.record():
            y = f(w)
        y.backward()
    np.testing.assert_allclose(w.grad.asnumpy(), [6.0, -12.0])


def test_dropout_inside_a_jitted_call_uses_the_forward_mask_in_backward():
    mx.random.seed(3)
    f = mx.jit(lambda x: nd.Dropout(x, p=0.5))
    x = _var(np.ones(200))
    with autograd.record():
        y = f(x)
    y.backward()
    kept = y.asnumpy() != 0
    assert 0 < kept.sum() < 200
    np.testing.assert_array_equal(x.grad.asnumpy(), np.where(kept, 2.0, 0.0))


def test_a_warm_recorded_step_compiles_nothing(monkeypatch):
    f = mx.jit(_layer)
    rng = np.random.default_rng(2)
    w, b = _var(rng.normal(size=(3, 2))), _var(rng.normal(size=2))
    for step in range(3):
        if step == 2:
            monkeypatch.setenv("MXJIT_FAIL_ON_COMPILE", "1")
        x = nd.array(rng.normal(size=(5, 3)), dtype="float64")
        with autograd.record():
            y = f(x, w, b).sum()
        y.backward()
    monkeypatch.delenv("MXJIT_FAIL_ON_COMPILE")
    want = mx.grad(lambda w: _layer(x, w, b).sum())(w)
    np.testing.assert_allclose(w.grad.asnumpy(), want.asnumpy(), rtol=1e-12)


def test_numpy_arguments_and_a_jitted_grad_under_record():
    data = np.linspace(-1, 1, 6).reshape(2, 3)
    w = _var([0.5, -0.25, 2.0])
    f = mx.jit(lambda d, w: nd.sum(d * w, axis=1))
    with autograd.record():
        y = (f(data, w) ** 2).sum()
    y.backward()
    want = 2 * ((data * w.asnumpy()).sum(axis=1)[:, None] * data).sum(axis=0)
    np.testing.assert_allclose(w.grad.asnumpy(), want, rtol=1e-12)
    # a jitted gradient is itself recorded: the tape differentiates it again
    g = mx.grad(lambda w: (w * w * w).sum())
    with autograd.record():
        h = g(w).sum()  # 3 w^2 summed
    h.backward()
    np.testing.assert_allclose(w.grad.asnumpy(), 6 * w.asnumpy(), rtol=1e-12)


def test_calls_without_recorded_operands_are_not_recorded():
    f = mx.jit(lambda a: a * 2)
    a = nd.array([1.0, 2.0])
    with autograd.record():
        y = f(a)
    assert y._rec is None
    with pytest.raises(mx.base.AutogradError, match="not in a computational graph"):
        y.backward()
