"""Forward mode and Jacobians: `jvp` (from the vjp rules, transposed), `linearize`, `jacfwd`,
`jacrev` and `hessian`, against central differences and against reverse mode.

Every differentiable primitive's forward mode is checked without compiling (its JVP graph
evaluated with the primitives' NumPy meanings, float64, against central differences of its
NumPy meaning), on the samples of tests/trace/test_batching_rules.py; the public transforms
are then checked end to end on operators of every family.
"""
from __future__ import annotations

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import ArgumentError, GradientError, ShapeError
from mxjit.trace import PRIMITIVES, apply, evaluate, var
from mxjit.trace.forward import jvp as jvp_nodes
from tests.trace.test_batching_rules import SAMPLES, run

nd = mx.nd

#: Differentiable primitives whose forward mode is not the derivative of their value, or
#: that need more than a sample: why.
NOT_SAMPLED = {
    "loss_output": "a loss layer: its gradient is the layer's, not its value's derivative",
    "custom_derivative": "the rule decides: tests/core/test_custom_rules.py",
    "host_call": "a host call (CustomOp, autograd.Function): its backward cannot be "
                 "differentiated again (below)",
    "host_vjp": "a host call's backward (below)",
    "rroi_align": "has no gradient at all (MXNet's backward is not implemented)",
    **{name: "control flow: differentiated through its bodies (trace/control.py, tested there)"
       for name in ("scan", "while_loop", "cond")},
}
#: Primitives that read one triangle of symmetric matrices, whose gradient is symmetric (as
#: MXNet's): their derivative along a symmetric tangent is their value's.
SYMMETRIC = {"cholesky", "syevd"}


def test_every_differentiable_primitive_has_forward_mode_through_its_vjp_rule():
    for name, prim in PRIMITIVES.items():
        # forward mode transposes the vjp rule, so a vjp rule is a JVP rule
        assert (prim.vjp is not None) == prim.differentiable, name
    sampled = {s.split("/")[0] for s in SAMPLES}
    missing = {n for n, p in PRIMITIVES.items() if p.differentiable} - sampled - set(NOT_SAMPLED)
    assert not missing, f"differentiable primitives without a forward-mode check: {missing}"


def _float64(x):
    return x.astype(np.float64) if x.dtype == np.float32 else x


@pytest.mark.parametrize("sample", sorted(s for s in SAMPLES if s.split("/")[0] not in
                                          NOT_SAMPLED))
def test_forward_mode_of_a_primitive_matches_central_differences(sample):
    name = sample.split("/")[0]
    makers, attrs = SAMPLES[sample]
    rng = np.random.default_rng(len(sample))
    xs = [_float64(m(rng)) for m in makers]
    ts = [rng.uniform(-1, 1, x.shape) if x.dtype.kind == "f" else np.zeros(x.shape, x.dtype)
          for x in xs]
    if name in SYMMETRIC:
        ts = [t + t.T for t in ts]
    inputs = [var(x.shape, x.dtype) for x in xs]
    tangents = [var(t.shape, t.dtype) for t in ts]
    out = apply(name, *inputs, **attrs)
    tangent_out, = jvp_nodes([out], inputs, tangents)
    got, = run([tangent_out], dict(zip(inputs + tangents, xs + ts)))
    if not PRIMITIVES[name].differentiable or out.dtype.kind != "f":
        assert not np.any(got), sample  # a constant to the derivative
        return
    eps = 1e-6
    plus = evaluate(name, [x + eps * t for x, t in zip(xs, ts)], attrs)
    minus = evaluate(name, [x - eps * t for x, t in zip(xs, ts)], attrs)
    np.testing.assert_allclose(got, (plus - minus) / (2 * eps), rtol=1e-5, atol=1e-7,
                               err_msg=sample)


# ---- the public transforms -------------------------------------------------------------------

RNG = np.random.default_rng(3)


def f64(*shape, lo=-1.0, hi=1.0):
    return RNG.uniform(lo, hi, shape)


def numerical_jvp(f, xs, ts, eps=1e-6):
    plus = f(*[nd.array(x + eps * t, dtype="float64") for x, t in zip(xs, ts)]).asnumpy()
    minus = f(*[nd.array(x - eps * t, dtype="float64") for x, t in zip(xs, ts)]).asnumpy()
    return (plus - minus) / (2 * eps)


EYE3 = np.eye(3) * 3
OPERATORS = {
    "softmax": (lambda x: nd.softmax(x, axis=-1), [(3, 4)]),
    "log_softmax": (lambda x: nd.log_softmax(x), [(3, 4)]),
    "dot": (lambda a, b: nd.dot(a, b), [(3, 4), (4, 2)]),
    "batch_dot": (lambda a, b: nd.batch_dot(a, b), [(2, 3, 4), (2, 4, 2)]),
    "max": (lambda x: nd.max(x, axis=1), [(3, 4)]),
    "prod": (lambda x: nd.prod(x, axis=0), [(3, 4)]),
    "take": (lambda x: nd.take(x, nd.array([0, 2, 2], dtype="int64")), [(3, 4)]),
    "slice": (lambda x: x[1:3, ::-2], [(3, 4)]),
    "pad": (lambda x: nd.pad(x.reshape((1, 1, 3, 4)), mode="constant",
                             pad_width=(0, 0, 0, 0, 1, 1, 2, 0), constant_value=0.5), [(3, 4)]),
    "concat": (lambda a, b: nd.concat(a, b, dim=0), [(3, 4), (2, 4)]),
    "broadcast": (lambda a, b: a * b, [(3, 4), (1, 4)]),
    "pow": (lambda a, b: nd.abs(a) ** b, [(3, 4), (3, 4)]),
    "potrf": (lambda a: nd.linalg.potrf(nd.dot(a, a, transpose_b=True)
                                        + nd.array(EYE3, dtype="float64")), [(3, 3)]),
    "det": (lambda a: nd.linalg.det(a), [(3, 3)]),
    "sort": (lambda x: nd.sort(x, axis=1), [(3, 4)]),
    "Convolution": (lambda x, w: nd.Convolution(x, w, kernel=(2, 2), num_filter=2,
                                                no_bias=True), [(1, 2, 4, 4), (2, 2, 2, 2)]),
    "Pooling": (lambda x: nd.Pooling(x, kernel=(2, 2), pool_type="max", stride=(2, 2)),
                [(1, 2, 4, 4)]),
    "LayerNorm": (lambda x, g, b: nd.LayerNorm(x, g, b), [(3, 4), (4,), (4,)]),
    "where": (lambda a, b: nd.where(a > 0, a * b, b), [(3, 4), (3, 4)]),
    "norm": (lambda x: nd.norm(x, axis=1), [(3, 4)]),
}


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_jvp_of_an_operator_matches_differences_and_reverse_mode(name):
    f, shapes = OPERATORS[name]
    xs = [f64(*s) for s in shapes]
    ts = [f64(*s) for s in shapes]
    args = tuple(nd.array(x, dtype="float64") for x in xs)
    y, ty = mx.jvp(f, args, tuple(nd.array(t, dtype="float64") for t in ts))
    np.testing.assert_allclose(y.asnumpy(), f(*args).asnumpy(), rtol=1e-12)
    np.testing.assert_allclose(ty.asnumpy(), numerical_jvp(f, xs, ts), rtol=1e-6, atol=1e-8)
    # <u, J t> = <J^T u, t>
    u = f64(*y.shape)
    _, back = mx.vjp(f, *args)
    cts = back(nd.array(u, dtype="float64"))
    lhs = float((u * ty.asnumpy()).sum())
    rhs = sum(float((c.asnumpy() * t).sum()) for c, t in zip(cts, ts))
    assert abs(lhs - rhs) < 1e-9 * max(1.0, abs(lhs))


def test_jvp_of_pytrees_integer_primals_and_several_outputs():
    def f(p, n):
        return {"a": nd.exp(p["x"]) * p["y"].sum(), "b": n * 2}

    p = {"x": nd.array([0.0, 1.0], dtype="float64"), "y": nd.array([2.0], dtype="float64")}
    t = {"x": nd.array([1.0, 1.0], dtype="float64"), "y": nd.array([0.5], dtype="float64")}
    n = nd.array([3], dtype="int32")
    out, tangent = mx.jvp(f, (p, n), (t, nd.array([1], dtype="int32")))
    assert out["b"].asnumpy().tolist() == [6]
    np.testing.assert_allclose(tangent["a"].asnumpy(), np.exp([0, 1]) * 2 + np.exp([0, 1]) * 0.5)
    assert tangent["b"].asnumpy().tolist() == [0]  # integers carry no tangent


def test_jvp_composes_with_jit_grad_and_itself():
    x = nd.array([0.3, -0.7], dtype="float64")
    t = nd.array([1.0, 2.0], dtype="float64")
    f = lambda x: (nd.sin(x) ** 2).sum()  # noqa: E731
    inside_jit = mx.jit(lambda x, t: mx.jvp(f, (x,), (t,))[1])(x, t)
    xn, tn = x.asnumpy(), t.asnumpy()
    want = (2 * np.sin(xn) * np.cos(xn) * tn).sum()
    np.testing.assert_allclose(inside_jit.asnumpy(), [want])
    # forward over reverse: the Hessian-vector product
    hvp = mx.jvp(mx.grad(f), (x,), (t,))[1]
    np.testing.assert_allclose(hvp.asnumpy(), 2 * np.cos(2 * xn) * tn)
    # reverse over forward
    g = mx.grad(lambda x: mx.jvp(f, (x,), (t,))[1])(x)
    np.testing.assert_allclose(g.asnumpy(), 2 * np.cos(2 * xn) * tn)
    # second-order forward: d2/ds2 f(x + s t)
    second = mx.jvp(lambda x: mx.jvp(f, (x,), (t,))[1], (x,), (t,))[1]
    np.testing.assert_allclose(second.asnumpy(), [(2 * np.cos(2 * xn) * tn * tn).sum()])


def test_linearize_gives_the_value_and_a_reusable_jvp():
    x = nd.array([0.0, 1.0], dtype="float64")
    y, f_jvp = mx.linearize(nd.exp, x)
    np.testing.assert_allclose(y.asnumpy(), np.exp([0, 1]))
    np.testing.assert_allclose(f_jvp(nd.array([1.0, 2.0], dtype="float64")).asnumpy(),
                               np.exp([0, 1]) * [1, 2])
    np.testing.assert_allclose(f_jvp(nd.array([3.0, 0.0], dtype="float64")).asnumpy(),
                               np.exp([0, 1]) * [3, 0])


def numerical_jacobian(f, x, eps=1e-6):
    cols = []
    for k in range(x.size):
        e = np.zeros(x.size)
        e[k] = eps
        e = e.reshape(x.shape)
        plus = f(nd.array(x + e, dtype="float64")).asnumpy()
        minus = f(nd.array(x - e, dtype="float64")).asnumpy()
        cols.append((plus - minus) / (2 * eps))
    return np.moveaxis(np.stack(cols), 0, -1).reshape(cols[0].shape + x.shape)


def test_jacfwd_and_jacrev_match_differences_and_each_other():
    a = f64(4, 6)

    def f(x):
        return nd.tanh(nd.dot(nd.array(a, dtype="float64"), x.reshape((6,)))) * x.sum()

    x = f64(2, 3)
    want = numerical_jacobian(f, x)
    for jac in (mx.jacfwd(f), mx.jacrev(f), mx.jit(mx.jacfwd(f)), mx.jit(mx.jacrev(f))):
        got = jac(nd.array(x, dtype="float64"))
        assert got.shape == (4, 2, 3)
        np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-6, atol=1e-8)


def test_jacobians_of_pytrees_with_tuple_argnums_and_aux():
    def f(w, b, x):
        y = nd.dot(w, x) + b
        return {"y": y, "s": (y * y).sum()}, x * 2

    w, b, x = f64(2, 3), f64(2), f64(3)
    args = [nd.array(v, dtype="float64") for v in (w, b, x)]
    for jac in (mx.jacfwd, mx.jacrev):
        got, aux = jac(f, argnums=(0, 2), has_aux=True)(*args)
        np.testing.assert_allclose(aux.asnumpy(), x * 2)
        dy_dw, dy_dx = got["y"]
        assert dy_dw.shape == (2, 2, 3) and dy_dx.shape == (2, 3)
        np.testing.assert_allclose(dy_dx.asnumpy(), w)
        np.testing.assert_allclose(dy_dw.asnumpy(), np.einsum("ij,k->ijk", np.eye(2), x))
        ds_dw, ds_dx = got["s"]
        y = w @ x + b
        np.testing.assert_allclose(ds_dw.asnumpy().reshape(2, 3), 2 * np.outer(y, x))
        np.testing.assert_allclose(ds_dx.asnumpy().reshape(3), 2 * w.T @ y)


def test_hessian_matches_differences_of_the_gradient():
    a = f64(5, 4)

    def f(x):
        return nd.log(1 + nd.exp(nd.dot(nd.array(a, dtype="float64"), x))).sum() + (
            nd.sin(x) ** 2).sum()

    x = f64(4)
    got = mx.hessian(f)(nd.array(x, dtype="float64")).asnumpy().reshape(4, 4)
    want = numerical_jacobian(lambda v: mx.grad(f)(v), x).reshape(4, 4)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(got, got.T, rtol=1e-10)


def test_a_hessian_is_one_program_whatever_the_number_of_parameters():
    def f(x):
        return (nd.tanh(x) ** 2).sum() * x.sum()

    graphs = [mx.hessian(f).lower(nd.array(f64(n))).as_text().split("plan:")[0]
              for n in (10, 50)]
    assert graphs[0].count("\n") == graphs[1].count("\n")  # as many nodes: no loop over n


# ---- errors ----------------------------------------------------------------------------------


def test_jvp_argument_errors():
    x = nd.array([1.0])
    with pytest.raises(ArgumentError, match="primals must be a tuple"):
        mx.jvp(nd.exp, x, (x,))
    with pytest.raises(ArgumentError, match="1 primals but 2 tangents"):
        mx.jvp(nd.exp, (x,), (x, x))
    with pytest.raises(ArgumentError, match="structure of the primals"):
        mx.jvp(lambda p: p["a"], ({"a": x},), ({"b": x},))
    with pytest.raises(ShapeError, match=r"tangent 0 has shape \(2,\), its primal \(1,\)"):
        mx.jvp(nd.exp, (x,), (nd.array([1.0, 2.0]),))
    with pytest.raises(ArgumentError, match="expected a function"):
        mx.jvp(None, (x,), (x,))


def test_jacobian_errors_name_the_argument_or_output():
    with pytest.raises(GradientError, match="jacfwd: argument 0 has dtype int32"):
        mx.jacfwd(lambda n: n * 2)(nd.array([1], dtype="int32"))
    with pytest.raises(GradientError, match="jacrev: output 0 has dtype int32"):
        mx.jacrev(lambda x: x.astype("int32"))(nd.array([1.0, 2.0]))
    with pytest.raises(ArgumentError, match="jacrev: argnums 3 out of range"):
        mx.jacrev(lambda x: x, argnums=3)(nd.array([1.0]))
    with pytest.raises(GradientError, match="holds no array"):
        mx.jacfwd(lambda n: nd.ones(2))(None)


def test_forward_mode_through_a_host_call_is_an_error():
    class Square:  # (a host function: what the tape records a Function or CustomOp as)
        name = "Square"

    node = var((2,), np.dtype(np.float32))
    call = apply("host_call", node, fn=Square(), index=0, avals=(node.aval,))
    with pytest.raises(GradientError, match="cannot be differentiated again"):
        jvp_nodes([call], [node], [var((2,), np.dtype(np.float32))])


def test_trace_level_jvp_checks_tangent_shapes():
    x = var((2,), np.dtype(np.float32))
    with pytest.raises(ShapeError, match=r"tangent of shape \(3,\) for a primal of shape"):
        jvp_nodes([apply("exp", x)], [x], [var((3,), np.dtype(np.float32))])


def test_jvp_of_one_function_compiles_once_per_signature():
    from mxjit.core import forward

    def f(x):
        return nd.exp(x) * 2

    for value in (0.0, 1.0, 2.0):
        mx.jvp(f, (nd.array([value]),), (nd.array([1.0]),))
    assert "1 signature" in repr(forward._jvp_transforms[f])
