"""Multi-store kernels (mxjit/lower/merge.py): consecutive flat elementwise kernels become
one kernel storing every output when the later reads the earlier's outputs only at the
element it computes; anything else stays apart. Results always equal NumPy's."""
from __future__ import annotations

import gc

import numpy as np

import mxjit as mx
from mxjit import nd
from mxjit.lower.program import Program


def _plan(f, *args):
    return mx.jit(f).lower(*args).program.plan_text


def _kernel_lines(plan):
    return [line for line in plan if line.strip().startswith("kernel")]


def test_a_momentum_step_is_one_kernel_storing_both_outputs():
    rng = np.random.default_rng(0)
    w, g, m = (rng.standard_normal(300_000).astype(np.float32) for _ in range(3))

    def step(w, g, m):
        new_m = 0.9 * m - 0.1 * g
        return w + new_m, new_m

    plan = _plan(step, *(nd.array(v) for v in (w, g, m)))
    (line,) = _kernel_lines(plan)
    assert line.strip().startswith("kernel multi2_") and "->" in line and "," in line.split("->")[1]
    new_w, new_m = mx.jit(step)(*(nd.array(v) for v in (w, g, m)))
    np.testing.assert_allclose(new_m.asnumpy(), 0.9 * m - 0.1 * g, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(new_w.asnumpy(), w + (0.9 * m - 0.1 * g), rtol=1e-6, atol=1e-6)


def test_small_loops_stay_apart():
    w, g, m = (nd.array(np.ones(1000, np.float32)) for _ in range(3))
    kernels = _kernel_lines(_plan(lambda w, g, m: (w + (0.9 * m - g), 0.9 * m - g), w, g, m))
    assert len(kernels) == 2 and not any("multi" in line for line in kernels)


def test_independent_kernels_stay_apart():
    a, b = nd.array(np.arange(6.0)), nd.array(np.arange(4.0))
    plan = _plan(lambda x, y: (nd.exp(x), nd.sin(x), nd.cos(y)), a, b)
    kernels = _kernel_lines(plan)
    assert len(kernels) == 3 and not any("multi" in line for line in kernels)
    ex, sx, cy = mx.jit(lambda x, y: (nd.exp(x), nd.sin(x), nd.cos(y)))(a, b)
    np.testing.assert_allclose(ex.asnumpy(), np.exp(np.arange(6.0)), rtol=1e-6)
    np.testing.assert_allclose(sx.asnumpy(), np.sin(np.arange(6.0)), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(cy.asnumpy(), np.cos(np.arange(4.0)), rtol=1e-6)


def test_an_adam_step_is_one_kernel_per_parameter():
    shapes = [(512, 512), (600, 500), (10,)]
    opt = mx.optimizer.Adam(learning_rate=0.1)
    weights = [nd.array(np.random.rand(*s)) for s in shapes]
    grads = [nd.array(np.random.rand(*s)) for s in shapes]
    states = [opt.create_state(i, w) for i, w in enumerate(weights)]
    opt.update([0, 1, 2], weights, grads, states)
    (program,) = opt._programs.values()
    jobs, rows = opt._prepare([0, 1, 2], weights, grads, states, False)
    table = np.array([[r[n] for n in rows[0]] for r in rows])
    shared = np.array(list(opt._hyper().values()), dtype=np.float64)
    plan = program.lower(weights, grads, [], [list(s) for *_, s in jobs], table,
                         shared).program.plan_text
    kernels = _kernel_lines(plan)
    assert [line.strip().startswith("kernel multi3_") for line in kernels].count(True) == 2
    assert len(kernels) == 5  # (the small parameter's three kernels stay apart)


def test_reading_another_element_of_an_earlier_output_keeps_kernels_apart():
    v = np.random.default_rng(1).standard_normal(4097).astype(np.float32)

    def f(x):
        y = nd.exp(x)
        return y, nd.flip(y, axis=0) + 1  # (element i needs element n-1-i of y)

    assert len(_kernel_lines(_plan(f, nd.array(v)))) == 2
    y, z = mx.jit(f)(nd.array(v))
    np.testing.assert_allclose(z.asnumpy(), np.exp(v)[::-1] + 1, rtol=1e-6)


def test_kernels_that_chain_row_by_row_are_left_to_the_chain():
    x = nd.array(np.random.default_rng(2).standard_normal((64, 40)).astype(np.float32))
    plan = _plan(lambda v: nd.softmax(v), x)
    assert not any("multi" in line for line in plan) and any("row by row" in t for t in plan)


def test_recorded_sigmoid_with_its_saved_exp_is_one_kernel():
    v = np.random.default_rng(3).standard_normal((600, 700)).astype(np.float32)
    x = nd.array(v)
    x.attach_grad()
    with mx.autograd.record():
        y = mx.jit(lambda a: 1 / (1 + nd.exp(-a)))(x)
    y.backward()
    programs = [o for o in gc.get_objects() if isinstance(o, Program)
                and any("multi2_div_add dims=(420000,)" in t for t in o.plan_text)]
    assert programs and all(len(p.kernels) == 1 for p in programs)
    s = 1 / (1 + np.exp(-v.astype(np.float64)))
    np.testing.assert_allclose(y.asnumpy(), s, rtol=1e-6)
    np.testing.assert_allclose(x.grad.asnumpy(), s * (1 - s), rtol=1e-5, atol=1e-7)
