"""Row chains: consecutive kernels over the same rows run row by row as one CPU kernel."""
import gc

import numpy as np
import pytest

import mxjit as mx
from mxjit.lower import program as program_module
from mxjit.lower.chain import FLAT_ROWS, flat_row, row_form
from mxjit.lower.kernel import I64, Expr, KernelChain, iconst, loop_var

nd = mx.nd


def _softmax(v, axis=-1):
    e = np.exp(v - v.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _chains(lowered):
    return [k.kernel for k in lowered.program.kernels if isinstance(k.kernel, KernelChain)]


def test_softmax_rows_run_as_one_kernel_with_exp_in_scratch():
    x = nd.array(np.random.default_rng(0).standard_normal((64, 40)).astype(np.float32))
    lowered = mx.jit(lambda v: nd.softmax(v)).lower(x)
    (chain,) = _chains(lowered)
    assert len(lowered.program.kernels) == 1
    # max, exp, sum and divide; exp(x - max) is computed once, into a row of scratch
    assert len(chain.kernels) == 4
    assert (np.dtype(np.float32), 40) in chain.scratch
    assert "run row by row" in lowered.as_text()
    # the CUDA listing keeps the three kernels of the plan, exp recomputed
    assert len(mx.jit(lambda v: nd.softmax(v)).lower(x, backend="cuda").kernels) == 3


def test_flat_elementwise_kernels_chain_in_long_rows_not_element_by_element():
    # recording keeps exp(-x) for backward: two flat kernels over 65536 elements, whose
    # "rows" would be single elements; they chain cut into rows of 8192 (each member's
    # inner loop vectorised), never element by element
    x = nd.array(np.random.default_rng(2).standard_normal((256, 256)).astype(np.float32))
    x.attach_grad()
    f = mx.jit(lambda a: 1 / (1 + nd.exp(-a)))
    with mx.autograd.record():
        y = f(x)
    programs = [p for p in _programs() if any("fused_exp_neg" in t for t in p.plan_text)]
    chains = [c for p in programs for c in _chains_of(p)]
    assert chains
    assert all(m.dims == (8, 8192) for c in chains for m in c.kernel.kernels)
    np.testing.assert_allclose(y.asnumpy(), 1 / (1 + np.exp(-x.asnumpy())), rtol=1e-6)


@pytest.mark.parametrize("extent,row", [(256 * 784, 7168), (65536, 8192), (1280, 640),
                                        (2_000_000, 8000), (256, 256), (1023, 1023),
                                        (1024, 512), (4, None), (10007, None),
                                        (16384 * 3, 8192)])
def test_the_row_length_of_a_flat_kernel_divides_its_extent(extent, row):
    assert flat_row(extent) == row
    if row is not None and extent >= 2 * FLAT_ROWS[0]:
        assert extent % row == 0 and extent // row >= 2 and FLAT_ROWS[0] <= row <= FLAT_ROWS[1]


def test_an_optimizer_step_runs_state_and_weight_updates_as_one_chain():
    # SGD with momentum: the new momentum, then the weight plus it, over one flat extent
    w = nd.array(np.random.default_rng(3).standard_normal((256, 784)).astype(np.float32))
    g = nd.array(np.random.default_rng(4).standard_normal((256, 784)).astype(np.float32))
    opt = mx.optimizer.SGD(learning_rate=0.1, momentum=0.9)
    update = mx.optimizer.get_updater(opt)
    w0, mom = w.asnumpy().astype(np.float64), np.zeros((256, 784))
    for _ in range(3):
        update(0, g, w)
        mom = 0.9 * mom - 0.1 * g.asnumpy()
        w0 = w0 + mom
    np.testing.assert_allclose(w.asnumpy(), w0, rtol=1e-5, atol=1e-6)
    program = next(iter(opt._programs.values()))
    lowered = program.lower([w], [g], [], [[update.states[0]]],
                            nd.array(np.zeros((1, 2))), nd.array(np.zeros(2)))
    assert "steps 1-2 run row by row as one kernel" in lowered.as_text()


@pytest.mark.parametrize("size", [10, 256, 1000])
def test_a_short_parameter_updates_as_one_chain_of_one_row(size):
    # a bias: too short to cut into rows, it is one row, so its new momentum and new
    # weight are still one kernel (one launch per parameter, not one per state)
    w = nd.array(np.arange(size, dtype=np.float32))
    g = nd.array(np.ones(size, dtype=np.float32))
    opt = mx.optimizer.SGD(learning_rate=0.1, momentum=0.9)
    update = mx.optimizer.get_updater(opt)
    for _ in range(2):
        update(0, g, w)
    np.testing.assert_allclose(w.asnumpy(), np.arange(size) - 0.1 - (0.9 * 0.1 + 0.1),
                               rtol=1e-6)
    program = next(iter(opt._programs.values()))
    lowered = program.lower([w], [g], [], [[update.states[0]]],
                            nd.array(np.zeros((1, 2))), nd.array(np.zeros(2)))
    assert "steps 1-2 run row by row as one kernel" in lowered.as_text()
    assert len(lowered.program.kernels) == 1


def _programs():
    return [o for o in gc.get_objects() if isinstance(o, program_module.Program)]


def _chains_of(program):
    return [k for k in program.kernels if isinstance(k.kernel, KernelChain)]


@pytest.mark.parametrize("shape,axis", [((7, 5), -1), ((1, 9), 1), ((3, 1), 1), ((130, 33), 1),
                                        ((5, 6, 7), -1), ((5, 6, 7), 1), ((4, 3, 2), 0)])
def test_chained_softmax_and_log_softmax_match_numpy(shape, axis):
    v = np.random.default_rng(1).standard_normal(shape).astype(np.float32) * 4
    x = nd.array(v)
    got = mx.jit(lambda a: nd.softmax(a, axis=axis))(x).asnumpy()
    np.testing.assert_allclose(got, _softmax(v.astype(np.float64), axis), rtol=1e-5, atol=1e-7)
    got = mx.jit(lambda a: nd.log_softmax(a, axis=axis))(x).asnumpy()
    ref = np.log(_softmax(v.astype(np.float64), axis))
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)


def test_chains_split_across_threads_in_pieces(monkeypatch):
    monkeypatch.setattr(program_module, "PARALLEL_MIN_WORK", 64)
    v = np.random.default_rng(2).standard_normal((997, 31)).astype(np.float32)
    got = mx.jit(lambda a: nd.softmax(a))(nd.array(v)).asnumpy()
    np.testing.assert_allclose(got, _softmax(v.astype(np.float64)), rtol=1e-5, atol=1e-7)


def test_layer_norm_statistics_chain_without_scratch_when_outputs_need_them():
    v = np.random.default_rng(3).standard_normal((50, 24)).astype(np.float32)

    def f(a):
        mean = nd.mean(a, axis=1, keepdims=True)
        var = nd.mean((a - mean) * (a - mean), axis=1, keepdims=True)
        return (a - mean) / nd.sqrt(var + 1e-5), mean

    lowered = mx.jit(f).lower(nd.array(v))
    (chain,) = _chains(lowered)
    out, mean = mx.jit(f)(nd.array(v))
    w = v.astype(np.float64)
    m = w.mean(axis=1, keepdims=True)
    ref = (w - m) / np.sqrt(((w - m) ** 2).mean(axis=1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(out.asnumpy(), ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(mean.asnumpy(), m, rtol=1e-5, atol=1e-6)


def test_a_consumer_that_reads_another_row_does_not_chain():
    v = np.random.default_rng(4).standard_normal((33, 8)).astype(np.float32)

    def f(a):  # row i is divided by the sum of row n-1-i: not available yet, row by row
        s = nd.sum(a, axis=1, keepdims=True)
        return a / nd.flip(s, axis=0)

    assert not _chains(mx.jit(f).lower(nd.array(v)))
    ref = v / np.flip(v.sum(axis=1, keepdims=True), axis=0)
    np.testing.assert_allclose(mx.jit(f)(nd.array(v)).asnumpy(), ref, rtol=1e-5, atol=1e-5)


def test_row_form_of_offsets():
    i, j = loop_var(0), loop_var(1)
    add = lambda a, b: Expr.make("add", I64, (a, b))  # noqa: E731
    mul = lambda a, k: Expr.make("mul", I64, (a, iconst(k)))  # noqa: E731
    dims = (10, 6)
    assert row_form(add(mul(i, 6), j), dims) == (6, 0, 5)
    assert row_form(i, dims) == (1, 0, 0)
    assert row_form(add(mul(i, -1), iconst(9)), dims) == (-1, 9, 9)
    assert row_form(Expr.make("mod", I64, (add(i, j), iconst(4))), dims) is None
    assert row_form(Expr.make("floordiv", I64, (j, iconst(4))), dims) == (0, 0, 1)


def test_chains_prefetch_the_next_row_of_what_they_read_and_no_further():
    v = np.random.default_rng(4).standard_normal((300, 16)).astype(np.float32)
    x = nd.array(v)
    (chain,) = _chains(mx.jit(lambda a: nd.softmax(a)).lower(x))
    assert chain.prefetch == ((0, 16, 0, 15),)  # the input, a whole row of 16
    # a slice reads elements 2..9 of each row: only they are prefetched
    f = mx.jit(lambda a: nd.softmax(a[:, 2:10]))
    (chain,) = _chains(f.lower(x))
    assert chain.prefetch == ((0, 16, 2, 9),)
    assert "llvm.prefetch" in f.lower(x).kernels[0].source
    np.testing.assert_allclose(f(x).asnumpy(), _softmax(v[:, 2:10].astype(np.float64)),
                               rtol=1e-5, atol=1e-7)
    # a chain that does not reduce (an optimizer's new momentum, then its new weight)
    # streams through its inputs: the hardware prefetches them
    w, g, m = (nd.array(np.full((256, 784), k, np.float32)) for k in (1.0, 2.0, 3.0))
    sgd = mx.jit(lambda w, g, m: (lambda new_m: (w + new_m, new_m))(m * 0.9 - g * 0.1))
    (chain,) = _chains(sgd.lower(w, g, m))
    assert chain.prefetch == ()
    assert "llvm.prefetch" not in sgd.lower(w, g, m).kernels[0].source
    new_w, new_m = sgd(w, g, m)
    np.testing.assert_allclose(new_m.asnumpy(), 3 * 0.9 - 0.2, rtol=1e-6)
    np.testing.assert_allclose(new_w.asnumpy(), 1 + 3 * 0.9 - 0.2, rtol=1e-6)
