"""mx.lax (scan, fori_loop, while_loop, cond, switch) and MXNet's foreach built on it: values
against NumPy and unrolled Python loops, gradients against numerical differences and the
unrolled loop (mx.grad, jit(grad), eager autograd), pytrees, nesting, zero-length scans,
vmap, compile cost independent of the number of steps, and every error a user can hit."""
from __future__ import annotations

import time

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import ArgumentError, ControlFlowError, GradientError, ParamError
from mxjit.lower import KERNELS

nd = mx.nd
lax = mx.lax
F64 = np.float64


def _rand(*shape: int, seed: int = 0, scale: float = 1.0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(F64)


def _close(a, b, rtol=1e-9, atol=1e-11):  # type: ignore[no-untyped-def]
    np.testing.assert_allclose(np.asarray(a.asnumpy() if hasattr(a, "asnumpy") else a),
                               np.asarray(b.asnumpy() if hasattr(b, "asnumpy") else b),
                               rtol=rtol, atol=atol)


def _numeric_grad(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:  # type: ignore[no-untyped-def]
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += eps
        down[idx] -= eps
        g[idx] = (f(up) - f(down)) / (2 * eps)
    return g


# ---- an RNN cell, scanned and unrolled ---------------------------------------------------------

W, U = _rand(3, 3, seed=1, scale=0.5), _rand(3, 3, seed=2, scale=0.5)
XS, H0 = _rand(5, 2, 3, seed=3), _rand(2, 3, seed=4)


def _cell(w, u):  # type: ignore[no-untyped-def]
    def cell(h, x):  # type: ignore[no-untyped-def]
        h = nd.tanh(nd.dot(x, w) + nd.dot(h, u))
        return h, h * 2
    return cell


def _scanned(w, u, xs, h0):  # type: ignore[no-untyped-def]
    h, ys = lax.scan(_cell(w, u), h0, xs)
    return (ys * ys).sum() + h.sum()


def _unrolled(w, u, xs, h0):  # type: ignore[no-untyped-def]
    h, total = h0, 0
    for t in range(xs.shape[0]):
        h, y = _cell(w, u)(h, xs[t])
        total = total + (y * y).sum()
    return total + h.sum()


def _numpy_rnn(w, u, xs, h0):  # type: ignore[no-untyped-def]
    h, ys = h0, []
    for x in xs:
        h = np.tanh(x @ w + h @ u)
        ys.append(h * 2)
    return h, np.stack(ys)


def _args():  # type: ignore[no-untyped-def]
    return [nd.array(a, dtype=F64) for a in (W, U, XS, H0)]


def test_scan_matches_numpy_eagerly_and_jitted() -> None:
    w, u, xs, h0 = _args()
    want_h, want_ys = _numpy_rnn(W, U, XS, H0)
    h, ys = lax.scan(_cell(w, u), h0, xs)
    assert isinstance(h, nd.NDArray) and ys.shape == (5, 2, 3)
    _close(h, want_h)
    _close(ys, want_ys)
    h2, ys2 = mx.jit(lambda w, u, xs, h0: lax.scan(_cell(w, u), h0, xs))(w, u, xs, h0)
    _close(h2, want_h)
    _close(ys2, want_ys)


def test_scan_gradients_match_the_unrolled_loop_and_numerical_differences() -> None:
    args = _args()
    for k in range(4):
        got = mx.grad(_scanned, argnums=k)(*args)
        want = mx.grad(_unrolled, argnums=k)(*args)
        _close(got, want)
        jitted = mx.jit(mx.grad(_scanned, argnums=k))(*args)
        _close(jitted, want)
    numpy_args = [W, U, XS, H0]

    def numeric(k: int, value: np.ndarray) -> float:
        vals = list(numpy_args)
        vals[k] = value
        h, ys = _numpy_rnn(*vals)
        return float((ys * ys).sum() + h.sum())

    for k in (0, 2):
        got = mx.grad(_scanned, argnums=k)(*args)
        _close(got, _numeric_grad(lambda v, k=k: numeric(k, v), numpy_args[k]), rtol=1e-6,
               atol=1e-7)


def test_bias_gradients_and_scanned_expressions() -> None:
    """A broadcast bias is summed inside the loop; `xs * 2 + 1` is computed by the body."""
    def f(w, b, xs, h0):  # type: ignore[no-untyped-def]
        h, ys = lax.scan(lambda h, x: (nd.tanh(nd.dot(h, w) + b + x), h), h0, xs * 2 + 1)
        return (ys * ys).mean() + h.sum()

    def g(w, b, xs, h0):  # type: ignore[no-untyped-def]
        h, total, xs = h0, 0, xs * 2 + 1
        for t in range(xs.shape[0]):
            total = total + (h * h).sum()
            h = nd.tanh(nd.dot(h, w) + b + xs[t])
        return total / h0.size / xs.shape[0] + h.sum()

    args = [nd.array(a, dtype=F64) for a in (W, _rand(3, seed=11), XS, H0)]
    _close(f(*args), g(*args))
    for k in range(4):
        _close(mx.grad(f, argnums=k)(*args), mx.grad(g, argnums=k)(*args))
    text = mx.jit(mx.grad(f, argnums=(0, 1, 2))).lower(*args).as_text()
    plan = text[text.index("plan:"):]
    assert "dims=(5, 2, 3)" not in plan and "dims=(30,)" not in plan  # no scanned temporary


def test_scan_under_eager_autograd_with_closed_over_variables() -> None:
    grads = []
    for fn in (_scanned, _unrolled):
        w, u, xs, h0 = _args()
        for a in (w, u, xs, h0):
            a.attach_grad()
        with mx.autograd.record():
            loss = fn(w, u, xs, h0)
        loss.backward()
        grads.append([a.grad.asnumpy() for a in (w, u, xs, h0)])
    for got, want in zip(*grads):
        _close(got, want)


def test_jitted_scan_on_the_tape_reads_the_forward_stacks() -> None:
    f = mx.jit(_scanned)
    w, u, xs, h0 = _args()
    w.attach_grad()
    with mx.autograd.record():
        loss = f(w, u, xs, h0)
    loss.backward()
    _close(w.grad, mx.grad(_unrolled)(*_args()))


def test_scan_pytrees_reverse_and_no_xs() -> None:
    data = np.arange(12, dtype=np.float32).reshape(4, 3)
    init = {"sum": nd.zeros(3), "count": nd.array(0, dtype="int32")}

    def step(c, x):  # type: ignore[no-untyped-def]
        new = {"sum": c["sum"] + x[0], "count": c["count"] + 1}
        return new, (new["sum"], x[1] * 2)

    xs = (nd.array(data), nd.array(data + 1))
    for reverse in (False, True):
        c, (sums, twice) = lax.scan(step, init, xs, reverse=reverse)
        order = data[::-1] if reverse else data
        want = np.cumsum(order, axis=0)
        _close(sums, want[::-1] if reverse else want)
        _close(twice, (data + 1) * 2)
        assert c["count"].asnumpy() == 4 and c["count"].dtype == np.int32
    c, ys = lax.scan(lambda c, x: (c * 2, None), nd.ones(2), None, length=5)
    assert ys is None and c.asnumpy().tolist() == [32, 32]


def test_zero_length_scan() -> None:
    h0 = nd.array(H0, dtype=F64)
    xs = nd.zeros((0, 2, 3), dtype=F64)
    h, ys = lax.scan(_cell(nd.array(W, dtype=F64), nd.array(U, dtype=F64)), h0, xs)
    _close(h, H0)
    assert ys.shape == (0, 2, 3)
    g = mx.grad(lambda h0: lax.scan(lambda c, x: (c * x, c), h0, nd.zeros((0, 3)))[0].sum())(
        nd.ones(3))
    assert g.asnumpy().tolist() == [1, 1, 1]


def test_nested_scans_values_and_gradients() -> None:
    def outer(w, xs):  # type: ignore[no-untyped-def]
        def row(c, x):  # type: ignore[no-untyped-def]
            inner, ys = lax.scan(lambda d, v: (nd.sin(d * v + c), d), c, x)
            return inner * w, ys.sum()
        c, ys = lax.scan(row, nd.ones((), dtype=F64) * 0.3, xs)
        return c + ys.sum()

    def unrolled(w, xs):  # type: ignore[no-untyped-def]
        c, total = nd.ones((), dtype=F64) * 0.3, 0
        for i in range(xs.shape[0]):
            d, acc = c, 0
            for j in range(xs.shape[1]):
                acc = acc + d
                d = nd.sin(d * xs[i, j] + c)
            c, total = d * w, total + acc
        return c + total

    w, xs = nd.array(0.7, dtype=F64), nd.array(_rand(3, 4, seed=5), dtype=F64)
    _close(outer(w, xs), unrolled(w, xs))
    _close(mx.jit(outer)(w, xs), unrolled(w, xs))
    for k in (0, 1):
        _close(mx.grad(outer, argnums=k)(w, xs), mx.grad(unrolled, argnums=k)(w, xs))


def test_second_order_through_scan() -> None:
    def f(x):  # type: ignore[no-untyped-def]
        return lax.scan(lambda c, v: (c * nd.sin(v * x), c), nd.ones((), dtype=F64),
                        nd.array([0.5, 1.0, 1.5], dtype=F64))[0]

    def g(x):  # type: ignore[no-untyped-def]
        c = nd.ones((), dtype=F64)
        for v in (0.5, 1.0, 1.5):
            c = c * nd.sin(v * x)
        return c

    x = nd.array(0.4, dtype=F64)
    _close(mx.grad(mx.grad(f))(x), mx.grad(mx.grad(g))(x))


def test_forward_mode_and_vmap_of_gradients_through_scan() -> None:
    def f(x):  # type: ignore[no-untyped-def]
        c, ys = lax.scan(lambda c, v: (nd.sin(c * v), c * 2), nd.ones(1, dtype=F64), x)
        return c + ys.sum()

    def g(x):  # type: ignore[no-untyped-def]
        c, total = nd.ones(1, dtype=F64), 0
        for t in range(x.shape[0]):
            c, total = nd.sin(c * x[t]), total + c * 2
        return c + total

    x = nd.array([0.3, 0.7, 1.1], dtype=F64)
    t = nd.array([1.0, -0.5, 2.0], dtype=F64)
    for got, want in zip(mx.jvp(f, (x,), (t,)), mx.jvp(g, (x,), (t,))):
        _close(got, want)
    _close(mx.hessian(f)(x), mx.hessian(g)(x))
    xs = nd.array(_rand(4, 3, seed=10), dtype=F64)
    batched = mx.vmap(mx.grad(lambda v: f(v).sum()))(xs)
    for b in range(4):
        _close(batched[b], mx.grad(lambda v: g(v).sum())(xs[b]))


def test_bodies_over_eager_arrays_and_random_draws() -> None:
    w = nd.ones((2, 2)) * 0.5

    def step(c, x):  # type: ignore[no-untyped-def]
        return c + nd.dot(w, w).sum(), nd.random.uniform(shape=(2,))

    c, ys = lax.scan(step, nd.zeros(1), None, length=3)  # eagerly: w is an operand
    assert c.asnumpy().tolist() == [6]
    rows = ys.asnumpy()
    assert len({tuple(r) for r in rows}) == 3  # a fresh draw per step
    assert not np.array_equal(rows, lax.scan(step, nd.zeros(1), None, length=3)[1].asnumpy())
    jitted = mx.jit(lambda c0: lax.scan(step, c0, None, length=3))
    first, second = jitted(nd.zeros(1))[1].asnumpy(), jitted(nd.zeros(1))[1].asnumpy()
    assert not np.array_equal(first, second) and (0 <= first).all() and (first < 1).all()


def test_foreach_is_one_loop_eagerly_recorded_and_compiles_once() -> None:
    data = _rand(6, 4, seed=6)
    w = nd.array(_rand(4, 4, seed=7, scale=0.3), dtype=F64)
    w.attach_grad()
    x = nd.array(data, dtype=F64)

    def step(row, states):  # type: ignore[no-untyped-def]
        h = nd.tanh(nd.dot(states[0], w) + row)
        return h, [h]

    with mx.autograd.record():
        outs, states = nd.contrib.foreach(step, x, [nd.zeros(4, dtype=F64)])
        loss = outs.sum() + states[0].sum()
    loss.backward()
    want_w = w.grad.asnumpy().copy()
    h, rows = np.zeros(4), []
    for r in data:
        h = np.tanh(h @ w.asnumpy() + r)
        rows.append(h)
    _close(outs, np.stack(rows))
    w2 = nd.array(w.asnumpy(), dtype=F64)
    w2.attach_grad()
    with mx.autograd.record():
        hs, hh = [], nd.zeros(4, dtype=F64)
        for t in range(6):
            hh = nd.tanh(nd.dot(hh, w2) + x[t])
            hs.append(hh)
        (nd.stack(*hs).sum() + hh.sum()).backward()
    _close(want_w, w2.grad)
    compiles = KERNELS.compiles
    w = nd.array(_rand(4, 4, seed=9), dtype=F64)  # new weights: an operand, not a constant
    outs, _ = nd.contrib.foreach(step, nd.array(data * 2, dtype=F64), [nd.zeros(4, dtype=F64)])
    assert KERNELS.compiles == compiles  # a new call (new values) compiles nothing
    h, rows = np.zeros(4), []
    for r in data * 2:
        h = np.tanh(h @ w.asnumpy() + r)
        rows.append(h)
    _close(outs, np.stack(rows))


def test_compiling_1000_steps_costs_what_one_step_costs() -> None:
    def compile_foreach(steps: int, hidden: int) -> tuple[float, int]:
        w = nd.ones((hidden, hidden))

        def f(xs, h):  # type: ignore[no-untyped-def]
            step = lambda x, s: (nd.tanh(nd.dot(x, w) + s), nd.sigmoid(s) * x)  # noqa: E731
            outs, final = nd.contrib.foreach(step, xs, h)
            return (outs * outs).sum() + final.sum()

        fn = mx.jit(mx.grad(f, argnums=(0, 1)))
        args = (nd.ones((steps, 2, hidden)), nd.ones((2, hidden)))
        before, t0 = KERNELS.compiles, time.perf_counter()
        fn.lower(*args)
        return time.perf_counter() - t0, KERNELS.compiles - before

    # (other sizes than the other tests use: every kernel is compiled here, none cached)
    one, n_one = compile_foreach(1, 37)
    many, n_many = compile_foreach(1000, 41)
    print(f"\ncompile of jit(grad(foreach)): 1 step {one * 1e3:.0f} ms ({n_one} kernels), "
          f"1000 steps {many * 1e3:.0f} ms ({n_many} kernels)")
    assert n_many == n_one
    assert many < 5 * one + 0.2


def test_fori_loop() -> None:
    out = lax.fori_loop(0, 10, lambda i, v: v * 2, nd.ones(2))
    assert out.asnumpy().tolist() == [1024, 1024]
    total = lax.fori_loop(2, 5, lambda i, v: v + i, 0)  # Python ints become int32 arrays
    assert int(total.asnumpy()) == 9 and total.dtype == np.int32
    assert lax.fori_loop(3, 1, lambda i, v: v + 1.0, 0.0).asnumpy() == 0  # no steps
    f = mx.jit(lambda n, v: lax.fori_loop(0, n, lambda i, v: v * 2, v))  # traced bounds
    assert f(nd.array(3, dtype="int32"), nd.ones(2)).asnumpy().tolist() == [8, 8]
    g = mx.grad(lambda x: lax.fori_loop(0, 3, lambda i, v: v * x, nd.ones((), dtype=F64)))
    _close(g(nd.array(2.0, dtype=F64)), 12.0)  # d x^3 = 3 x^2


def test_while_loop_values_eagerly_jitted_and_its_gradient_error() -> None:
    def collatz(n):  # type: ignore[no-untyped-def]
        def body(c):  # type: ignore[no-untyped-def]
            n, steps = c
            odd = (n % 2) == 1
            return nd.where(odd, 3 * n + 1, n / 2), steps + 1
        return lax.while_loop(lambda c: c[0] != 1, body, (n, nd.zeros((), dtype="int32")))

    n, steps = collatz(nd.array(27.0))
    assert n.asnumpy() == 1 and steps.asnumpy() == 111
    n, steps = mx.jit(collatz)(nd.array(6.0))
    assert steps.asnumpy() == 8
    with pytest.raises(GradientError, match="not reverse-differentiable"):
        mx.grad(lambda x: lax.while_loop(lambda v: v.sum() < 10, lambda v: v * 2, x).sum())(
            nd.ones(2))


def test_cond_and_switch_run_one_branch() -> None:
    def f(x):  # type: ignore[no-untyped-def]
        return lax.cond(x.sum() > 0, lambda v: nd.log(v).sum(), lambda v: v.sum() * 3, x)

    for fn in (f, mx.jit(f)):
        _close(fn(nd.array([1.0, 2.0], dtype=F64)), np.log(2.0))
        _close(fn(nd.array([-1.0, -2.0], dtype=F64)), -9.0)
    # the branch not taken is not computed: log of a negative number leaves no NaN
    g = mx.grad(f)(nd.array([-1.0, -2.0], dtype=F64))
    assert g.asnumpy().tolist() == [3, 3]
    _close(mx.grad(f)(nd.array([1.0, 4.0], dtype=F64)), [1.0, 0.25])
    branches = [lambda v: v, lambda v: v * 2, lambda v: v * 3]
    for k, want in ((-1, 1), (0, 1), (1, 2), (2, 3), (7, 3)):
        assert lax.switch(k, branches, nd.ones(2)).asnumpy().tolist() == [want, want]
        s = mx.jit(lambda k, x: lax.switch(k, branches, x))(nd.array(k, dtype="int32"),
                                                              nd.ones(2))
        assert s.asnumpy().tolist() == [want, want]


def test_cond_inside_a_scan_body() -> None:
    def step(c, x):  # type: ignore[no-untyped-def]
        c = lax.cond(x > 0, lambda: c + x, lambda: c * 0.5)
        return c, c

    xs = np.array([1.0, -1.0, 2.0, -3.0, 4.0])
    c, ys = lax.scan(step, nd.zeros((), dtype=F64), nd.array(xs, dtype=F64))
    want, rows = 0.0, []
    for x in xs:
        want = want + x if x > 0 else want * 0.5
        rows.append(want)
    _close(ys, rows)
    g = mx.grad(lambda xs: lax.scan(step, nd.zeros((), dtype=F64), xs)[0])(
        nd.array(xs, dtype=F64))
    _close(g, [0.25, 0, 0.5, 0, 1])


def test_vmap_of_loops() -> None:
    xs = _rand(4, 3, seed=8)

    def f(x):  # type: ignore[no-untyped-def]
        c, ys = lax.scan(lambda c, v: (c * 0.5 + v, c), nd.zeros((), dtype=F64), x)
        picked = lax.cond(c > 0, lambda: c * 2, lambda: -c)
        n = lax.while_loop(lambda v: v < 10, lambda v: v * 2 + 1, nd.abs(c) + 1)
        return ys, picked, n

    batched = mx.vmap(f)(nd.array(xs, dtype=F64))
    for b in range(4):
        for got, want in zip(batched, f(nd.array(xs[b], dtype=F64))):
            _close(got[b], want)


# ---- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("call, error, match", [
    (lambda: lax.scan(lambda c, x: (c[0:1], x), nd.ones(2), nd.ones((3, 2))),
     ControlFlowError, r"keep their shape and dtype.*float32\[2\].*float32\[1\]"),
    (lambda: lax.scan(lambda c, x: (c.astype("int32"), x), nd.ones(2), nd.ones((3, 2))),
     ControlFlowError, r"keep their shape and dtype.*int32"),
    (lambda: lax.scan(lambda c, x: ((c, c), x), nd.ones(2), nd.ones((3, 2))),
     ControlFlowError, "keep its structure"),
    (lambda: lax.scan(lambda c, x: (c, "y"), nd.ones(2), nd.ones((3, 2))),
     ArgumentError, "f's y must be a pytree of arrays; it holds a str"),
    (lambda: lax.scan(lambda c, x: c, nd.ones(2), nd.ones((3, 2))),
     ControlFlowError, "must return a pair"),
    (lambda: lax.scan(lambda c, x: (c, x), nd.ones(2), [nd.ones((3, 2)), nd.ones((4, 2))]),
     ControlFlowError, "differ in length"),
    (lambda: lax.scan(lambda c, x: (c, x), nd.ones(2), nd.ones(())),
     ControlFlowError, "leading axis"),
    (lambda: lax.scan(lambda c, x: (c, x), nd.ones(2), nd.ones((3, 2)), length=4),
     ControlFlowError, "length=4 but xs has 3 rows"),
    (lambda: lax.scan(lambda c, x: (c, x), nd.ones(2)), ParamError, "give xs or length"),
    (lambda: lax.scan(lambda c, x: (c, x), nd.ones(2), None, length=-1), ParamError,
     "length must be"),
    (lambda: lax.scan(None, nd.ones(2), nd.ones((3, 2))), ArgumentError, "must be a function"),
    (lambda: lax.scan(lambda c, x: (c, x), "init", nd.ones((3, 2))), ArgumentError,
     "init must be a pytree of arrays"),
    (lambda: lax.scan(lambda c, x: (c, bool(x.sum())), nd.ones(2), nd.ones((3, 2))),
     mx.base.TracerError, "bool"),
    (lambda: lax.while_loop(lambda v: v, lambda v: v, nd.ones(2)), ControlFlowError,
     "cond_fun must return one boolean"),
    (lambda: lax.while_loop(lambda v: v.sum() < 3, lambda v: v.sum(), nd.ones(2)),
     ControlFlowError, "keep their shape"),
    (lambda: lax.while_loop(lambda v: True, 3, nd.ones(2)), ArgumentError, "body_fun must be"),
    (lambda: lax.cond(nd.ones(1), lambda: nd.ones(2), lambda: nd.ones(3)), ControlFlowError,
     r"must match.*true_fun gives float32\[2\], false_fun gives float32\[3\]"),
    (lambda: lax.cond(nd.ones(1), lambda: nd.ones(2), lambda: [nd.ones(2)]), ControlFlowError,
     "same structure"),
    (lambda: lax.cond(nd.ones(2), lambda: nd.ones(2), lambda: nd.ones(2)), ControlFlowError,
     "predicate must be one boolean"),
    (lambda: lax.switch(0, [], nd.ones(2)), ParamError, "at least one branch"),
    (lambda: lax.fori_loop(0, "10", lambda i, v: v, nd.ones(2)), ArgumentError,
     "bounds must be ints"),
])
def test_errors(call, error, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=match):
        call()


def test_errors_inside_jit_name_the_loop() -> None:
    f = mx.jit(lambda x: lax.scan(lambda c, v: (c.sum(), v), x, x))
    with pytest.raises(ControlFlowError, match=r"scan: carries must keep their shape"):
        f(nd.ones((2, 2)))
    g = mx.jit(lambda x: nd.contrib.foreach(lambda r, s: (r, [s[0][0:1]]), x, [x[0]]))
    with pytest.raises(ControlFlowError, match=r"foreach: carries must keep their shape"):
        g(nd.ones((2, 2)))
