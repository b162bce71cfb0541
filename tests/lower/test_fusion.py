"""How many kernels programs lower to: fusion is observable through `jit(f).lower()`."""
import numpy as np

import mxjit as mx
from mxjit.lower import emit, fuse

nd = mx.nd


def _arrays(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [nd.array(rng.standard_normal(s).astype(np.float32)) for s in shapes]


def test_chain_of_eight_elementwise_ops_over_broadcast_inputs_is_one_kernel():
    def chain(a, b, c, d):
        return nd.relu(a * b + c) * nd.sigmoid(d) + nd.tanh(a) - nd.exp(b) / (c * c + 1)

    args = _arrays((64, 1), (1, 32), (64, 32), (32,))
    lowered = mx.jit(chain).lower(*args)
    assert len(lowered.kernels) == 1
    a, b, c, d = (x.asnumpy().astype(np.float64) for x in args)
    expected = (np.maximum(a * b + c, 0) / (1 + np.exp(-d)) + np.tanh(a)
                - np.exp(b) / (c * c + 1))
    np.testing.assert_allclose(mx.jit(chain)(*args).asnumpy(), expected, rtol=2e-5, atol=1e-5)


def test_softmax_over_an_axis_is_at_most_three_kernels():
    (x,) = _arrays((16, 40))
    for axis in (0, 1, -1):
        lowered = mx.jit(lambda v, axis=axis: nd.softmax(v, axis=axis)).lower(x)
        assert len(lowered.kernels) <= 3, lowered.as_text()
        got = mx.jit(lambda v, axis=axis: nd.softmax(v, axis=axis))(x).asnumpy()
        v = x.asnumpy().astype(np.float64)
        e = np.exp(v - v.max(axis=axis, keepdims=True))
        np.testing.assert_allclose(got, e / e.sum(axis=axis, keepdims=True), rtol=1e-5, atol=1e-7)


def test_reduction_absorbs_its_elementwise_prologue():
    (x,) = _arrays((32, 16))
    lowered = mx.jit(lambda v: nd.sum(nd.exp(v) * 2 + 1, axis=1)).lower(x)
    assert len(lowered.kernels) == 1


def test_movement_ops_are_index_maps_not_copies():
    (x,) = _arrays((8, 6))

    def f(v):
        w = nd.transpose(v).reshape((3, 16))
        return nd.flip(w, axis=1) * 2

    lowered = mx.jit(f).lower(x)
    assert len(lowered.kernels) == 1
    expected = np.flip(x.asnumpy().T.reshape(3, 16), axis=1) * 2
    np.testing.assert_array_equal(mx.jit(f)(x).asnumpy(), expected)


def test_contiguous_elementwise_kernel_is_one_flat_loop():
    (x,) = _arrays((4, 5, 6))
    lowered = mx.jit(lambda v: v * 3 + 1).lower(x)
    (kernel,) = lowered.program.kernels
    assert kernel.kernel.dims == (120,)


def test_matmul_goes_to_the_library_and_its_epilogue_fuses():
    x, w, b = _arrays((8, 5), (4, 5), (4,))

    def dense(x, w, b):
        return nd.relu(nd.dot(x, w, transpose_b=True) + b)

    lowered = mx.jit(dense).lower(x, w, b)
    text = lowered.as_text()
    assert "library dot_general" in text
    assert len(lowered.kernels) == 1
    ref = np.maximum(x.asnumpy() @ w.asnumpy().T + b.asnumpy(), 0)
    np.testing.assert_allclose(mx.jit(dense)(x, w, b).asnumpy(), ref, rtol=1e-5, atol=1e-6)


def test_as_text_shows_the_simplified_graph_and_the_plan():
    (x,) = _arrays((3,))
    text = mx.jit(lambda v: (v * 1 + 0).T.T).lower(x).as_text()
    assert "graph:" in text and "plan:" in text
    assert "mul" not in text and "add" not in text  # x*1+0 and .T.T simplify away


def test_long_constant_loops_are_not_unrolled_and_short_ones_are():
    from mxjit.lower.llvm import NO_UNROLL_TRIPS

    long_rows = nd.array(np.random.default_rng(0).random((8, NO_UNROLL_TRIPS)).astype("f4"))
    src = mx.jit(lambda a: nd.sum(a, axis=1)).lower(long_rows).kernels[0].source
    assert "!llvm.loop" in src and '!{ !"llvm.loop.unroll.disable" }' in src
    assert "distinct" in src and "mxj.loop" not in src  # (the tags are rewritten away)
    short_rows = nd.array(np.random.default_rng(1).random((8, 7)).astype("f4"))
    f = mx.jit(lambda a: nd.max(a, axis=1))
    assert "llvm.loop" not in f.lower(short_rows).kernels[0].source
    np.testing.assert_array_equal(f(short_rows).asnumpy(), short_rows.asnumpy().max(1))
    np.testing.assert_allclose(mx.jit(lambda a: nd.sum(a, axis=1))(long_rows).asnumpy(),
                               long_rows.asnumpy().sum(1), rtol=1e-5)


def _reduction_of(lowered):
    (compiled,) = lowered.program.kernels
    return compiled.kernel.reduction


def test_short_reductions_between_kept_axes_accumulate_in_a_register():
    # a window's taps (pooling, depthwise convolution) lie between the kept axes: with few
    # of them the reduction is innermost, in a register, and the kept row vectorises
    for depth, expected in ((9, True), (emit.REGISTER_REDUCTION_DEPTH + 1, False)):
        (x,) = _arrays((8, depth, 6, 40))
        for op, ref in ((nd.sum, np.sum), (nd.max, np.max)):
            f = mx.jit(lambda v, op=op: op(v, axis=1))
            assert _reduction_of(f.lower(x)).in_register is expected
            np.testing.assert_allclose(f(x).asnumpy(), ref(x.asnumpy().astype(np.float64),
                                       axis=1), rtol=1e-5, atol=1e-5)
    # a reduction over trailing axes always does, whatever its depth
    (x,) = _arrays((8, 1000))
    assert _reduction_of(mx.jit(lambda v: nd.sum(v, axis=1)).lower(x)).in_register


def test_a_costly_value_broadcast_many_times_is_computed_once():
    def spread(a, b, c):
        # (8 operations per element of a, then 9 copies of each): one kernel computes the
        # value, the next reads it 9 times
        g = nd.relu(a * b + c) * nd.sigmoid(b) - nd.tanh(a) / (c * c + 1)
        return nd.broadcast_to(g.reshape((6, 1, 5)), (6, 9, 5)) * nd.arange(9).reshape(
            (1, 9, 1))

    def cheap(a, b, c):  # a scale is cheaper to recompute than to store
        return nd.broadcast_to((a * 2).reshape((6, 1, 5)), (6, 9, 5)) + 1

    args = _arrays((6, 5), (6, 5), (6, 5))
    assert len(mx.jit(spread).lower(*args).kernels) == 2
    assert len(mx.jit(cheap).lower(*args).kernels) == 1
    a, b, c = (x.asnumpy().astype(np.float64) for x in args)
    g = np.maximum(a * b + c, 0) / (1 + np.exp(-b)) - np.tanh(a) / (c * c + 1)
    np.testing.assert_allclose(mx.jit(spread)(*args).asnumpy(),
                               g[:, None, :] * np.arange(9)[None, :, None], rtol=2e-5,
                               atol=1e-5)
    assert fuse.BROADCAST_MIN_REUSE <= 9 and fuse.BROADCAST_MIN_NODES <= 8


def test_a_nest_unrolls_no_more_than_its_bound_of_copies_of_its_body():
    from llvmlite import ir

    from mxjit.lower.llvm import _Range, _unrolling

    def nest(*trips, split=None):
        i64 = ir.IntType(64)
        his = [ir.Constant(i64, t) for t in trips]
        return _Range(split, ir.Constant(i64, 0), ir.Constant(i64, 1), his)

    # (innermost last: 8 copies, then 8 x 8 = 64, then 8 x 64 = 512 is too many)
    assert _unrolling(nest(8, 8, 8), [0, 1, 2], limit=128) == [False, True, True]
    # (a loop of a run-time trip count is left to LLVM, and unrolls nothing fully)
    assert _unrolling(nest(64, 1, 64, split=1), [0, 1, 2], limit=24) == [False, None, False]
    assert _unrolling(nest(3, 3), [0, 1], inner=4, limit=24) == [False, True]


def test_a_sum_into_memory_over_long_loops_is_not_unrolled():
    from mxjit.lower.llvm import MEMORY_REDUCTION_UNROLL_TRIPS

    # (a bias gradient: a sum over batch and pixels; LLVM took 1.3 s over its 64 unrolled
    # copies)
    n = 2 * MEMORY_REDUCTION_UNROLL_TRIPS
    a = nd.array(np.random.default_rng(2).random((n, 50, n)).astype("f4"))
    f = mx.jit(lambda v: nd.sum(v, axis=(0, 2)))
    sources = [k.source for k in f.lower(a).kernels]
    assert any('!{ !"llvm.loop.unroll.disable" }' in s for s in sources)
    np.testing.assert_allclose(f(a).asnumpy(), a.asnumpy().sum((0, 2)), rtol=1e-5)
