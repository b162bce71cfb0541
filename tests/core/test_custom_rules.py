"""`mx.custom_vjp`, `mx.custom_jvp` and `mx.checkpoint`: the user's rules are what `grad`,
`vjp`, `jvp` and `vmap` use, under `jit` and on the autograd tape; a checkpointed function
has the same gradients and keeps fewer forward values; errors name what is wrong."""
from __future__ import annotations

import functools

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import ArgumentError, GradientError, ShapeError
from mxjit.trace.grad import residuals

nd = mx.nd


def arr(*values):
    return nd.array(np.array(values, dtype=np.float64), dtype="float64")


# ---- custom_vjp ------------------------------------------------------------------------------


def _clip_gradient():
    @mx.custom_vjp
    def clip_gradient(x):
        return x * 2

    clip_gradient.defvjp(lambda x: (x * 2, None), lambda res, g: (nd.clip(g, -1, 1),))
    return clip_gradient


def test_custom_vjp_values_come_from_fwd_and_gradients_from_bwd():
    f = _clip_gradient()
    x = arr(0.5, -2.0, 3.0)
    np.testing.assert_allclose(f(x).asnumpy(), [1, -4, 6])
    loss = lambda x: (f(x) * arr(0.5, 3, -3)).sum()  # noqa: E731
    for g in (mx.grad(loss), mx.jit(mx.grad(loss)), mx.grad(mx.jit(loss))):
        np.testing.assert_allclose(g(x).asnumpy(), [0.5, 1, -1])
    _, back = mx.vjp(f, x)
    np.testing.assert_allclose(back(arr(5, -5, 0.25))[0].asnumpy(), [1, -1, 0.25])


def test_jit_and_checkpoint_of_a_custom_vjp_function_keep_its_rule():
    # (wrapping must not copy the custom function's attributes over the wrapper's own)
    f = _clip_gradient()
    x = arr(0.5, -2.0, 3.0)
    weights = arr(0.5, 3, -3)
    for wrapped in (mx.jit(f), mx.checkpoint(f), mx.jit(mx.checkpoint(f))):
        loss = lambda x, wrapped=wrapped: (wrapped(x) * weights).sum()  # noqa: E731
        for g in (mx.grad(loss), mx.jit(mx.grad(loss))):
            np.testing.assert_allclose(g(x).asnumpy(), [0.5, 1, -1])
        np.testing.assert_allclose(wrapped(x).asnumpy(), [1, -4, 6])


def _scaled_sin(calls=None):
    """sin(x) whose rule says the derivative is 2 cos(x) (so tests see which one is used)."""
    @mx.custom_vjp
    def f(x):
        return nd.sin(x)

    def fwd(x):
        return nd.sin(x), nd.cos(x)

    def bwd(cos_x, g):
        if calls is not None:
            calls.append(g.shape)
        return (2 * cos_x * g,)

    f.defvjp(fwd, bwd)
    return f


def test_forward_mode_of_custom_vjp_transposes_bwd():
    f = _scaled_sin()
    x, t = arr(0.3, 1.2), arr(1.0, -2.0)
    _, tangent = mx.jvp(f, (x,), (t,))
    np.testing.assert_allclose(tangent.asnumpy(), 2 * np.cos([0.3, 1.2]) * [1, -2])
    jac = mx.jacfwd(f)(x).asnumpy()
    np.testing.assert_allclose(jac, np.diag(2 * np.cos([0.3, 1.2])))


def test_second_order_differentiates_bwd():
    f = _scaled_sin()
    x = arr(0.3, 1.2)
    h = mx.grad(lambda x: mx.grad(lambda y: f(y).sum())(x).sum())(x)
    np.testing.assert_allclose(h.asnumpy(), -2 * np.sin([0.3, 1.2]))


def test_vmap_of_custom_vjp_runs_bwd_once_on_the_whole_batch():
    calls = []
    f = _scaled_sin(calls)
    xs = np.random.default_rng(0).uniform(-1, 1, (4, 3))
    per_example = mx.vmap(mx.grad(lambda x: f(x).sum()))
    got = per_example(nd.array(xs, dtype="float64")).asnumpy()
    np.testing.assert_allclose(got, 2 * np.cos(xs))
    assert len(calls) == 1 and calls[0] == (3,)  # traced once, per example, then batched
    total = mx.grad(lambda x: mx.vmap(f)(x).sum())(nd.array(xs, dtype="float64"))
    np.testing.assert_allclose(total.asnumpy(), 2 * np.cos(xs))


def test_custom_vjp_with_pytrees_several_outputs_none_and_nondiff_arguments():
    @functools.partial(mx.custom_vjp, nondiff_argnums=(0,))
    def f(scale, p):
        return p["a"] * scale, p["b"] + 1

    def fwd(scale, p):
        return f(scale, p), p["a"]

    def bwd(scale, a, cts):
        da, db = cts
        return ({"a": da * scale * 10, "b": None},)

    f.defvjp(fwd, bwd)
    p = {"a": arr(1.0, 2.0), "b": arr(3.0)}
    out = f(3.0, p)
    np.testing.assert_allclose(out[0].asnumpy(), [3, 6])
    g = mx.grad(lambda p: f(3.0, p)[0].sum() + f(3.0, p)[1].sum())(p)
    np.testing.assert_allclose(g["a"].asnumpy(), [30, 30])
    np.testing.assert_allclose(g["b"].asnumpy(), [0])  # None: a zero cotangent


def test_custom_vjp_on_the_autograd_tape():
    f = _scaled_sin()
    x = arr(0.3, 1.2)
    x.attach_grad()
    with mx.autograd.record():
        y = (f(x) * 3).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), 6 * np.cos([0.3, 1.2]))


def test_a_forward_program_does_not_compute_residuals_only_bwd_reads():
    @mx.custom_vjp
    def f(x):
        return x * 2

    f.defvjp(lambda x: (x * 2, nd.dot(x, x.T)), lambda gram, g: (nd.dot(gram, g),))
    x = nd.array(np.ones((3, 3)))
    assert "dot_general" not in mx.jit(f).lower(x).as_text()
    assert "dot_general" in mx.grad(lambda x: f(x).sum()).lower(x).as_text()


def test_custom_vjp_errors():
    @mx.custom_vjp
    def f(x):
        return x

    with pytest.raises(GradientError, match=r"has no rule: call f.defvjp\(fwd, bwd\)"):
        f(arr(1.0))
    f.defvjp(lambda x: x, lambda res, g: (g,))
    with pytest.raises(ArgumentError, match=r"must return a pair \(output, residuals\)"):
        f(arr(1.0))
    f.defvjp(lambda x: (x, None), lambda res, g: (g, g))
    with pytest.raises(GradientError, match="one cotangent per differentiable argument"):
        mx.grad(lambda x: f(x).sum())(arr(1.0))
    f.defvjp(lambda x: (x, None), lambda res, g: (nd.ones(3),))
    with pytest.raises(ShapeError, match=r"shape \(3,\) for an array of shape \(1,\)"):
        mx.grad(lambda x: f(x).sum())(arr(1.0))
    with pytest.raises(ArgumentError, match="fwd and bwd must be functions"):
        f.defvjp(None, None)
    with pytest.raises(ArgumentError, match="expected a function"):
        mx.custom_vjp(3)


# ---- custom_jvp ------------------------------------------------------------------------------


def _log1pexp(factor=1.0):
    @mx.custom_jvp
    def log1pexp(x):
        return nd.log(1 + nd.exp(x))

    @log1pexp.defjvp
    def rule(primals, tangents):
        x, = primals
        t, = tangents
        return log1pexp(x), t * nd.sigmoid(x) * factor

    return log1pexp


def test_reverse_mode_of_custom_jvp_transposes_its_rule():
    f = _log1pexp()
    x = nd.array([0.0, 100.0])  # float32: exp(100) overflows, the naive gradient is NaN
    g = mx.grad(lambda x: f(x).sum())(x).asnumpy()
    np.testing.assert_allclose(g, [0.5, 1.0])
    naive = mx.grad(lambda x: nd.log(1 + nd.exp(x)).sum())(x).asnumpy()
    assert np.isnan(naive[1])


def test_forward_mode_of_custom_jvp_uses_its_rule():
    f = _log1pexp(factor=3.0)
    x, t = arr(0.0, 1.0), arr(1.0, 2.0)
    y, tangent = mx.jvp(f, (x,), (t,))
    np.testing.assert_allclose(y.asnumpy(), np.log1p(np.exp([0.0, 1.0])))
    sig = 1 / (1 + np.exp(-np.array([0.0, 1.0])))
    np.testing.assert_allclose(tangent.asnumpy(), 3 * sig * [1, 2])
    np.testing.assert_allclose(mx.grad(lambda x: f(x).sum())(x).asnumpy(), 3 * sig)


def test_custom_jvp_second_order_and_vmap():
    f = _log1pexp()
    x = arr(0.5, -1.0)
    sig = 1 / (1 + np.exp(-x.asnumpy()))
    h = mx.hessian(lambda x: f(x).sum())(x).asnumpy().reshape(2, 2)
    np.testing.assert_allclose(h, np.diag(sig * (1 - sig)), atol=1e-12)
    xs = np.random.default_rng(1).uniform(-2, 2, (5, 2))
    got = mx.vmap(mx.grad(lambda x: f(x).sum()))(nd.array(xs, dtype="float64")).asnumpy()
    np.testing.assert_allclose(got, 1 / (1 + np.exp(-xs)))


def test_custom_jvp_with_nondiff_arguments():
    @functools.partial(mx.custom_jvp, nondiff_argnums=(1,))
    def power(x, n):
        return x ** n

    @power.defjvp
    def rule(n, primals, tangents):
        x, = primals
        t, = tangents
        return power(x, n), n * x ** (n - 1) * t

    np.testing.assert_allclose(mx.grad(lambda x: power(x, 3).sum())(arr(2.0)).asnumpy(), [12])


def test_custom_jvp_errors():
    @mx.custom_jvp
    def f(x):
        return x * 2

    with pytest.raises(GradientError, match=r"has no rule: call f.defjvp\(rule\)"):
        f(arr(1.0))
    f.defjvp(lambda primals, tangents: primals[0])
    with pytest.raises(GradientError, match=r"must return a pair \(output, output tangent\)"):
        mx.grad(lambda x: f(x).sum())(arr(1.0))
    f.defjvp(lambda primals, tangents: (primals[0], nd.ones(3)))
    with pytest.raises(ShapeError, match=r"tangent of shape \(3,\) for an output of shape"):
        mx.grad(lambda x: f(x).sum())(arr(1.0))
    with pytest.raises(ArgumentError, match="must be a function"):
        f.defjvp(3)


# ---- checkpoint ------------------------------------------------------------------------------


def _block(w1, w2, x):
    return nd.tanh(nd.dot(nd.tanh(nd.dot(x, w1)), w2))


def _mlp_args(rng):
    return [nd.array(rng.normal(0, 0.5, s), dtype="float64") for s in ((4, 6), (6, 4), (3, 4))]


def test_checkpoint_gives_the_same_gradients_to_second_order():
    w1, w2, x = _mlp_args(np.random.default_rng(0))
    plain = lambda w1, w2: (_block(w1, w2, x) ** 2).sum()  # noqa: E731
    ck = mx.checkpoint(_block)
    remat = lambda w1, w2: (ck(w1, w2, x) ** 2).sum()  # noqa: E731
    for a, b in zip(mx.grad(plain, argnums=(0, 1))(w1, w2),
                    mx.grad(remat, argnums=(0, 1))(w1, w2)):
        np.testing.assert_allclose(a.asnumpy(), b.asnumpy(), rtol=1e-12)
    hvp = lambda f: mx.jvp(mx.grad(f), (w1, w2), (w1, w2))[1]  # noqa: E731
    np.testing.assert_allclose(hvp(plain).asnumpy(), hvp(remat).asnumpy(), rtol=1e-10)
    np.testing.assert_allclose(ck(w1, w2, x).asnumpy(), _block(w1, w2, x).asnumpy())
    assert mx.remat is mx.checkpoint


def test_checkpoint_keeps_fewer_forward_values_and_recomputes_them():
    w1, w2, x = _mlp_args(np.random.default_rng(1))
    ck = mx.checkpoint(_block)

    def kept(f):
        outs, _, _, ins = mx.jit(f).trace((w1, w2, x), {})
        return residuals(outs, ins)

    plain, remat = kept(lambda *a: _block(*a) * 2), kept(lambda *a: ck(*a) * 2)
    assert [n.op for n in plain] == ["tanh", "tanh"]  # the inner and the outer layer's
    assert remat == []  # the backward pass recomputes both from the arguments

    def products(f):
        return mx.value_and_grad(lambda w1: f(w1, w2, x).sum()).lower(w1).as_text().count(
            "library dot_general")

    # the value's forward pass, then the backward pass computes it again
    assert products(ck) == products(_block) + 2


def test_checkpoint_of_a_function_closing_over_traced_weights():
    w1, w2, x = _mlp_args(np.random.default_rng(2))

    def loss(w1):
        return (mx.checkpoint(lambda x: _block(w1, w2, x))(x) ** 2).sum()

    want = mx.grad(lambda w1: (_block(w1, w2, x) ** 2).sum())(w1)
    np.testing.assert_allclose(mx.grad(loss)(w1).asnumpy(), want.asnumpy(), rtol=1e-12)


def test_checkpoint_under_vmap_of_grad():
    w1, w2, _ = _mlp_args(np.random.default_rng(3))
    xs = nd.array(np.random.default_rng(4).normal(size=(5, 4)), dtype="float64")
    ck = mx.checkpoint(_block)
    got = mx.vmap(mx.grad(lambda w1, x: ck(w1, w2, x).sum()), in_axes=(None, 0))(w1, xs)
    want = mx.vmap(mx.grad(lambda w1, x: _block(w1, w2, x).sum()), in_axes=(None, 0))(w1, xs)
    np.testing.assert_allclose(got.asnumpy(), want.asnumpy(), rtol=1e-12)


def test_checkpoint_errors():
    with pytest.raises(ArgumentError, match="expected a function"):
        mx.checkpoint(None)
    with pytest.raises(ArgumentError, match="must return arrays"):
        mx.checkpoint(lambda x: {x.shape: {1}})(nd.ones(2))


def test_rule_results_of_the_wrong_structure_are_errors():
    @mx.custom_vjp
    def f(p):
        return p["a"] * 2

    f.defvjp(lambda p: (p["a"] * 2, None), lambda res, g: ({"a": g, "b": g},))
    with pytest.raises(GradientError, match="2 cotangent arrays for argument 0, which holds 1"):
        mx.grad(lambda p: f(p).sum())({"a": arr(1.0)})
    with pytest.raises(ArgumentError, match="f: missing a required argument: 'p'"):
        f(q=arr(1.0))

    @mx.custom_jvp
    def h(x):
        return x * 2, x * 3

    h.defjvp(lambda primals, tangents: (h(*primals), tangents[0]))
    with pytest.raises(GradientError, match="tangent of another structure than the output"):
        mx.grad(lambda x: h(x)[0].sum())(arr(1.0))
    with pytest.raises(ArgumentError, match="must return arrays or pytrees of arrays"):
        mx.jvp(lambda x: {x.shape: {1}}, (arr(1.0),), (arr(1.0),))
