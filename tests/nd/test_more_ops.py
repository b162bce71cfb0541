"""MXNet 1.x operators added over existing primitives: argmax_channel, depth_to_space,
space_to_depth, batch_take, the Sequence* family, UpSampling, add_n, moments, Crop, LRN,
GroupNorm, khatri_rao, contrib.boolean_mask and histogram.

Each is compared with a float64 NumPy reference written here, eagerly (also on
non-contiguous inputs) and under mx.jit; the differentiable ones are checked against central
differences to second order; every user error is tested. Shapes are small and come from
short lists: each new shape compiles kernels.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mxjit as mx
from mxjit.base import DTypeError, ParamError, ShapeError, TracerError
from mxjit.core.operators import lookup
from tests.helpers import check_grads

nd = mx.nd
FEW = settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
TOL = {"float32": dict(rtol=2e-5, atol=2e-6), "float64": dict(rtol=1e-12, atol=1e-12),
       "int32": dict(rtol=0, atol=0)}


def rand(*shape: int, seed: int = 0, lo: float = -2.0, hi: float = 2.0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(lo, hi, shape)


def layouts(x: np.ndarray, dtype: str) -> list[mx.nd.NDArray]:
    """`x` as a contiguous NDArray and as one non-contiguous view (a transpose, or a strided
    view of bigger data, chosen by the size: each layout compiles its own kernels)."""
    plain = nd.array(x, dtype=dtype)
    if x.ndim == 0:
        return [plain]
    if x.ndim >= 2 and x.size % 2:
        return [plain, nd.array(np.ascontiguousarray(x.T), dtype=dtype).T]
    return [plain, nd.array(np.repeat(x, 2, axis=0), dtype=dtype)[::2]]


def check(f, ref, *arrays: np.ndarray, dtype: str = "float64", static: tuple = ()) -> None:
    """f(*NDArrays, *static) against ref(*arrays, *static) (one array or a list of them):
    eagerly for every layout of the first array, and under mx.jit."""
    want = ref(*arrays, *static)
    wants = want if isinstance(want, list) else [want]
    rest = [nd.array(a, dtype=dtype) for a in arrays[1:]]

    def compare(got) -> None:
        gots = got if isinstance(got, list) else [got]
        assert len(gots) == len(wants)
        for g, w in zip(gots, wants):
            assert g.shape == np.shape(w), (g.shape, np.shape(w))
            np.testing.assert_allclose(g.asnumpy(), w, **TOL[dtype])

    for first in layouts(arrays[0], dtype):
        compare(f(first, *rest, *static))
    compare(mx.jit(lambda *xs: f(*xs, *static))(nd.array(arrays[0], dtype=dtype), *rest))


# ---- argmax_channel ----------------------------------------------------------------------


@FEW
@given(st.sampled_from([(1,), (5,), (2, 3), (3, 1), (2, 1, 4)]), st.integers(0, 99),
       st.sampled_from(["float32", "float64", "int32"]))
def test_argmax_channel_matches_numpy(shape, seed, dtype):
    x = np.round(rand(*shape, seed=seed) * 10)

    def ref(a):
        out = np.argmax(a, axis=-1).astype(dtype)
        return out.reshape(1) if out.ndim == 0 else out
    check(nd.argmax_channel, ref, x, dtype=dtype)
    assert nd.argmax_channel(nd.array(x, dtype=dtype)).dtype is np.dtype(dtype).type


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "uint8", "int32",
                                   "int64"])
@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_and_argmin_give_the_index_in_the_datas_dtype(dtype, name):
    a = np.array([[1, 5, 3], [7, 2, 9]], dtype=dtype)
    x = nd.array(a, dtype=dtype)
    f = getattr(nd, name)
    ref = getattr(np, name)
    for got, want in [(f(x, axis=1), ref(a, axis=1)), (f(x), [ref(a)]),
                      (f(x, axis=0, keepdims=True), ref(a, axis=0, keepdims=True)),
                      (f(x, keepdims=True), np.array(ref(a)).reshape(1, 1)),
                      (mx.jit(lambda v: f(v, axis=1))(x), ref(a, axis=1))]:
        assert got.dtype is np.dtype(dtype).type
        np.testing.assert_array_equal(got.asnumpy(), np.asarray(want).astype(dtype))
    assert nd.argmax(nd.ones((2, 3, 4)), keepdims=True).shape == (1, 1, 1)


def test_argmax_indices_wrap_in_narrow_dtypes_as_in_mxnet():
    b = np.zeros(300, np.uint8)
    b[299] = 5
    assert nd.argmax(nd.array(b, dtype="uint8"), axis=0).asnumpy().tolist() == [299 % 256]
    assert nd.argmax(nd.array([1.0, np.nan, 3.0]), axis=0).asnumpy().tolist() == [1.0]


# ---- where ---------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(3, 2), (3, 1), (3, 2, 2)])
def test_where_with_a_1d_condition_selects_whole_rows(shape):
    cond = np.array([1, 0, 1], np.float32)
    x = np.arange(1, 1 + np.prod(shape), dtype=np.float32).reshape(shape)
    want = np.where(cond.reshape((3,) + (1,) * (len(shape) - 1)) != 0, x, -x)
    for f in (nd.where, mx.jit(nd.where)):
        got = f(nd.array(cond), nd.array(x), nd.array(-x))
        assert got.shape == shape
        np.testing.assert_array_equal(got.asnumpy(), want)


def test_where_with_a_condition_of_xs_shape_is_elementwise():
    cond = nd.array([[1, 0, 0], [0, 1, 1], [1, 1, 0]])
    x, y = nd.ones((3, 3)), nd.zeros((3, 3))
    np.testing.assert_array_equal(nd.where(cond, x, y).asnumpy(), cond.asnumpy())


def test_argmax_channel_errors():
    with pytest.raises(ShapeError, match="at least one dim"):
        nd.argmax_channel(nd.array(1.0).reshape(()))
    with pytest.raises(ShapeError, match="last axis of \\(2, 0\\) is empty"):
        nd.argmax_channel(nd.zeros((2, 0)))


# ---- depth_to_space / space_to_depth -----------------------------------------------------


def depth_to_space_np(x, b):
    n, c, h, w = x.shape
    y = x.reshape(n, b, b, c // b**2, h, w).transpose(0, 3, 4, 1, 5, 2)
    return y.reshape(n, c // b**2, h * b, w * b)


def space_to_depth_np(x, b):
    n, c, h, w = x.shape
    y = x.reshape(n, c, h // b, b, w // b, b).transpose(0, 3, 5, 1, 2, 4)
    return y.reshape(n, c * b * b, h // b, w // b)


@FEW
@given(st.sampled_from([(1, 4, 1, 1, 2), (2, 8, 2, 3, 2), (1, 9, 2, 1, 3), (2, 3, 0, 2, 1),
                        (1, 2, 2, 2, 1)]), st.sampled_from(["float32", "float64"]))
def test_depth_to_space_and_back_match_numpy(case, dtype):
    n, c, h, w, b = case
    x = rand(n, c, h, w, seed=c)
    check(nd.depth_to_space, depth_to_space_np, x, dtype=dtype, static=(b,))
    y = depth_to_space_np(x, b)
    check(nd.space_to_depth, space_to_depth_np, y, dtype=dtype, static=(b,))
    back = nd.space_to_depth(nd.depth_to_space(nd.array(x, dtype=dtype), b), b)
    np.testing.assert_array_equal(back.asnumpy(), x.astype(dtype))


def test_depth_space_follow_mxnet_example_and_never_alias():
    x = nd.array(np.arange(24).reshape(1, 4, 2, 3))  # MXNet's documented example
    want = [[[[0, 6, 1, 7, 2, 8], [12, 18, 13, 19, 14, 20], [3, 9, 4, 10, 5, 11],
              [15, 21, 16, 22, 17, 23]]]]
    assert nd.depth_to_space(x, 2).asnumpy().tolist() == want
    same = nd.depth_to_space(x, 1)
    same[:] = 0
    assert x.asnumpy().sum() == 276  # block_size 1 gives a copy, not a view


def test_depth_space_gradients():
    x = rand(1, 4, 2, 1, seed=1)
    check_grads(lambda v: nd.depth_to_space(v, 2) * nd.depth_to_space(v, 2), [x])
    check_grads(lambda v: nd.space_to_depth(v, 2) ** 3, [rand(1, 1, 2, 4, seed=2)])


@pytest.mark.parametrize("op, shape, block, error, match", [
    ("depth_to_space", (4, 2, 2), 2, ShapeError, "must be 4-D"),
    ("depth_to_space", (1, 4, 2, 2), 0, ParamError, "positive int"),
    ("depth_to_space", (1, 4, 2, 2), 2.0, ParamError, "positive int"),
    ("depth_to_space", (1, 6, 2, 2), 2, ShapeError, "not divisible by block_size"),
    ("space_to_depth", (1, 1, 3, 4), 2, ShapeError, "divisible by block_size 2"),
    ("space_to_depth", (1, 1, 4, 4), True, ParamError, "positive int"),
])
def test_depth_space_errors(op, shape, block, error, match):
    with pytest.raises(error, match=match):
        getattr(nd, op)(nd.zeros(shape), block)


# ---- batch_take --------------------------------------------------------------------------


def batch_take_np(a, idx):
    rows = a.reshape(-1, a.shape[-1])
    picked = rows[np.arange(rows.shape[0]), np.clip(idx.reshape(-1), 0, a.shape[-1] - 1)]
    return picked.reshape(idx.shape)


@FEW
@given(st.sampled_from([((3, 4), (3,)), ((2, 3, 2), (6,)), ((2, 3, 2), (2, 3)), ((1, 1), (1,)),
                        ((0, 3), (0,))]), st.integers(0, 99))
def test_batch_take_matches_numpy(shapes, seed):
    a_shape, idx_shape = shapes
    a = rand(*a_shape, seed=seed)
    idx = np.random.default_rng(seed).integers(-1, a_shape[-1] + 1, idx_shape)
    check(lambda x, i: nd.batch_take(x, i), lambda x, i: batch_take_np(x, i.astype(int)),
          a, idx)
    check_grads(lambda x: nd.batch_take(x, nd.array(idx, dtype="int64")) ** 2, [a])


def test_batch_take_errors():
    with pytest.raises(ShapeError, match="at least 2 dims"):
        nd.batch_take(nd.zeros((3,)), nd.zeros((3,)))
    with pytest.raises(ShapeError, match="one entry per row of a: 2"):
        nd.batch_take(nd.zeros((2, 3)), nd.zeros((3,)))
    with pytest.raises(ShapeError, match="empty last axis"):
        nd.batch_take(nd.zeros((2, 0)), nd.zeros((2,)))


# ---- SequenceMask / SequenceLast / SequenceReverse ---------------------------------------


def lengths_np(lengths, steps):
    return np.clip(lengths.astype(np.int64), 0, steps)


def sequence_mask_np(x, lengths, value, axis):
    steps = x.shape[axis]
    t = np.arange(steps).reshape((-1, 1) if axis == 0 else (1, -1))
    keep = t < (lengths_np(lengths, steps).reshape((1, -1) if axis == 0 else (-1, 1)))
    keep = keep.reshape(keep.shape + (1,) * (x.ndim - 2))
    return np.where(keep, x, value)


def sequence_last_np(x, lengths, axis):
    last = np.maximum(lengths_np(lengths, x.shape[axis]) - 1, 0)
    moved = np.moveaxis(x, axis, 0)  # (steps, batch, ...)
    return moved[last, np.arange(moved.shape[1])]


def sequence_reverse_np(x, lengths):
    out = x.copy()
    for b, n in enumerate(lengths_np(lengths, x.shape[0])):
        out[:n, b] = x[:n, b][::-1]
    return out


SEQ_SHAPES = [(4, 3), (4, 3, 2), (1, 2), (3, 1, 2)]


def sequence_case(shape, axis, seed):
    """(data, batch size, steps, lengths): lengths from 0 to past the steps, as floats."""
    x = rand(*shape, seed=seed)
    batch, steps = shape[1 - axis], shape[axis]
    lengths = np.random.default_rng(seed).integers(0, steps + 2, batch).astype(np.float64)
    return x, batch, steps, lengths


@FEW
@given(st.sampled_from(SEQ_SHAPES), st.sampled_from([0, 1]), st.integers(0, 99))
def test_sequence_mask_matches_numpy(shape, axis, seed):
    x, batch, steps, lengths = sequence_case(shape, axis, seed)
    def f(v, n):
        return nd.SequenceMask(v, n, use_sequence_length=True, value=-7.0, axis=axis)
    check(f, lambda v, n: sequence_mask_np(v, n, -7.0, axis), x, lengths)
    plain = nd.SequenceMask(nd.array(x, dtype="float64"), axis=axis)
    np.testing.assert_array_equal(plain.asnumpy(), x)


@FEW
@given(st.sampled_from(SEQ_SHAPES), st.sampled_from([0, 1]), st.integers(0, 99))
def test_sequence_last_matches_numpy(shape, axis, seed):
    x, batch, steps, lengths = sequence_case(shape, axis, seed)
    def f(v, n):
        return nd.SequenceLast(v, n, use_sequence_length=True, axis=axis)
    check(f, lambda v, n: sequence_last_np(v, n, axis), x, lengths)
    full = np.full(batch, float(steps))
    check(lambda v: nd.SequenceLast(v, axis=axis), lambda v: sequence_last_np(v, full, axis), x)


@FEW
@given(st.sampled_from(SEQ_SHAPES), st.integers(0, 99))
def test_sequence_reverse_matches_numpy(shape, seed):
    x, _, _, lengths = sequence_case(shape, 0, seed)
    def f(v, n):
        return nd.SequenceReverse(v, n, use_sequence_length=True)
    check(f, sequence_reverse_np, x, lengths)
    check(nd.SequenceReverse, lambda v: v[::-1], x)


def test_sequence_mask_mxnet_example_and_no_gradient_to_lengths():
    x = np.arange(1, 13, dtype=np.float64).reshape(3, 2, 2)  # MXNet's SequenceMask example
    got = nd.SequenceMask(nd.array(x), nd.array([1, 1]), use_sequence_length=True, value=1)
    assert got.asnumpy().tolist() == [[[1, 2], [3, 4]], [[1, 1], [1, 1]], [[1, 1], [1, 1]]]
    lengths = nd.array([2.0, 3.0], dtype="float64")
    g = mx.grad(lambda v, n: nd.SequenceLast(v, n, use_sequence_length=True).sum(),
                argnums=(0, 1))(nd.array(x, dtype="float64"), lengths)
    assert g[1].asnumpy().tolist() == [0.0, 0.0]


SEQ_LENGTHS = np.array([2.0, 3.0])
SEQ_GRAD_CASES = {
    "mask": lambda v, n: nd.SequenceMask(v, n, use_sequence_length=True),
    "last": lambda v, n: nd.SequenceLast(v, n, use_sequence_length=True),
    "last_axis1": lambda v, n: nd.SequenceLast(v.transpose((1, 0, 2)), n,
                                               use_sequence_length=True, axis=1),
    "reverse": lambda v, n: nd.SequenceReverse(v, n, use_sequence_length=True),
}


@pytest.mark.parametrize("case", sorted(SEQ_GRAD_CASES))
def test_sequence_gradients(case):
    lengths = nd.array(SEQ_LENGTHS, dtype="float64")
    check_grads(lambda v: SEQ_GRAD_CASES[case](v, lengths) ** 2, [rand(3, 2, 2, seed=5)])


@pytest.mark.parametrize("op", ["SequenceMask", "SequenceLast", "SequenceReverse"])
def test_sequence_errors(op):
    f = getattr(nd, op)
    x = nd.zeros((3, 2))
    with pytest.raises(ParamError, match="axis must be"):
        f(x, axis=2)
    with pytest.raises(ParamError, match="needs the sequence_length array"):
        f(x, use_sequence_length=True)
    with pytest.raises(ShapeError, match=r"must have shape \(2,\)"):
        f(x, nd.ones((3,)), use_sequence_length=True)
    with pytest.raises(ShapeError, match="at least 2 dims"):
        f(nd.zeros((3,)))
    if op == "SequenceReverse":
        with pytest.raises(ParamError, match="axis must be 0"):
            f(x, axis=1)
    if op == "SequenceLast":
        with pytest.raises(ShapeError, match="is empty"):
            f(nd.zeros((0, 2)))


# ---- UpSampling --------------------------------------------------------------------------


def nearest_np(x, s):
    return x.repeat(s, axis=2).repeat(s, axis=3)


def deconv_depthwise_np(x, w, s, pad):
    n, c, h, wd = x.shape
    k = w.shape[-1]
    full = np.zeros((n, c, (h - 1) * s + k, (wd - 1) * s + k))
    for i in range(h):
        for j in range(wd):
            full[:, :, i * s:i * s + k, j * s:j * s + k] += x[:, :, i, j, None, None] * w[:, 0]
    return full[:, :, pad:full.shape[2] - pad, pad:full.shape[3] - pad]


@FEW
@given(st.sampled_from([(1, 1, 2, 2), (2, 3, 1, 3), (1, 2, 0, 2)]), st.sampled_from([1, 2, 3]),
       st.sampled_from(["float32", "float64"]))
def test_upsampling_nearest_matches_numpy(shape, scale, dtype):
    x = rand(*shape, seed=scale)
    check(lambda v: nd.UpSampling(v, scale=scale, sample_type="nearest"),
          lambda v: nearest_np(v, scale), x, dtype=dtype)


def test_upsampling_nearest_with_several_inputs():
    a, b = rand(1, 2, 2, 2, seed=1), rand(1, 2, 1, 1, seed=2)
    ua, ub = nearest_np(a, 2), nearest_np(b, 4)
    got = nd.UpSampling(nd.array(a), nd.array(b), scale=2, sample_type="nearest", num_args=2)
    np.testing.assert_allclose(got.asnumpy(), np.concatenate([ua, ub], axis=1), rtol=1e-6)
    got = nd.UpSampling(nd.array(a), nd.array(b), scale=2, multi_input_mode="sum")
    np.testing.assert_allclose(got.asnumpy(), ua + ub, rtol=1e-6)
    check_grads(lambda u, v: nd.UpSampling(u, v, scale=2, multi_input_mode="sum") ** 2, [a, b])


@pytest.mark.parametrize("scale", [2, 3])
def test_upsampling_bilinear_is_a_depthwise_deconvolution(scale):
    k, pad = 2 * scale - scale % 2, int(np.ceil((scale - 1) / 2))
    x, w = rand(1, 2, 2, 3, seed=scale), rand(2, 1, k, k, seed=9)

    def f(v, wt):
        return nd.UpSampling(v, wt, scale=scale, sample_type="bilinear", num_filter=2)
    want = deconv_depthwise_np(x, w, scale, pad)
    assert want.shape == (1, 2, 2 * scale, 3 * scale)
    np.testing.assert_allclose(f(nd.array(x, dtype="float64"), nd.array(w, dtype="float64"))
                               .asnumpy(), want, rtol=1e-12, atol=1e-12)
    if scale == 2:  # (each compile of a grouped deconvolution takes a while)
        jitted = mx.jit(f)(nd.array(x, dtype="float64"), nd.array(w, dtype="float64"))
        np.testing.assert_allclose(jitted.asnumpy(), want, rtol=1e-12, atol=1e-12)


def test_upsampling_bilinear_gradients():
    # first order here: Deconvolution's second order is checked in test_nn_ops.py
    check_grads(lambda v, wt: nd.UpSampling(v, wt, scale=2, sample_type="bilinear",
                                            num_filter=2) ** 2,
                [rand(1, 2, 2, 2, seed=1), rand(2, 1, 4, 4, seed=2)], order=1)


@pytest.mark.parametrize("args, kwargs, error, match", [
    ((), {"scale": 2}, ParamError, "at least one input"),
    (((1, 1, 2, 2),), {}, ParamError, "scale must be a positive int"),
    (((1, 1, 2, 2),), {"scale": 2, "sample_type": "cubic"}, ParamError, "'nearest' or"),
    (((1, 1, 2, 2),), {"scale": 2, "multi_input_mode": "max"}, ParamError, "'concat' or 'sum'"),
    (((1, 1, 2, 2),), {"scale": 2, "num_args": 2}, ParamError, "num_args=2 but 1"),
    (((1, 2, 2),), {"scale": 2}, ShapeError, "must be 4-D"),
    (((1, 1, 2, 2), (1, 1, 3, 3)), {"scale": 2}, ShapeError, "one integer factor"),
    (((1, 1, 2, 2), (1, 2, 2, 2)), {"scale": 1, "multi_input_mode": "sum"}, ShapeError,
     "equal channels"),
    (((1, 1, 2, 2),), {"scale": 2, "sample_type": "bilinear"}, ParamError, "two arrays"),
    (((1, 2, 2, 2), (2, 1, 4, 4)), {"scale": 2, "sample_type": "bilinear", "num_filter": 1},
     ParamError, "num_filter equal to the data's 2 channels"),
])
def test_upsampling_errors(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        nd.UpSampling(*(nd.zeros(s) for s in args), **kwargs)


# ---- add_n -------------------------------------------------------------------------------


@FEW
@given(st.sampled_from([(3,), (2, 3), (1, 1), (0, 2)]), st.integers(1, 4),
       st.sampled_from(["float32", "float64", "int32"]))
def test_add_n_matches_numpy(shape, count, dtype):
    arrays = [np.round(rand(*shape, seed=k) * 5) for k in range(count)]
    got = nd.add_n(*[nd.array(a, dtype=dtype) for a in arrays])
    np.testing.assert_allclose(got.asnumpy(), sum(arrays).astype(dtype), **TOL["float32"])
    assert got.dtype == np.dtype(dtype).type
    check(lambda *xs: nd.ElementWiseSum(*xs), lambda *xs: sum(xs), *arrays)
    listed = nd.add_n([nd.array(a) for a in arrays])
    assert listed.shape == shape


def test_add_n_gradient_and_copy():
    check_grads(lambda a, b, c: nd.add_n(a, b * b, c) ** 2, [rand(2, 2, seed=k) for k in range(3)])
    x = nd.ones((2,))
    y = nd.add_n(x)
    y[:] = 5
    assert x.asnumpy().tolist() == [1, 1]


def test_add_n_errors():
    with pytest.raises(ShapeError, match="at least one array"):
        nd.add_n()
    with pytest.raises(ShapeError, match="the same shape"):
        nd.add_n(nd.ones((2,)), nd.ones((3,)))
    with pytest.raises(DTypeError, match="the same dtype"):
        nd.add_n(nd.ones((2,)), nd.ones((2,), dtype="int32"))
    with pytest.raises(TypeError, match="add_n: args must be an array"):
        nd.add_n(nd.ones((2,)), 1.0)
    with pytest.raises(ShapeError, match="num_args=3 but 2"):
        nd.add_n(nd.ones((2,)), nd.ones((2,)), num_args=3)


@pytest.mark.parametrize("call,error", [
    (lambda: nd.concat(dim=0), ShapeError), (lambda: nd.stack([]), ShapeError),
    (lambda: nd.add_n(), ShapeError), (lambda: nd.khatri_rao([]), ShapeError),
    (lambda: nd.UpSampling(scale=2, sample_type="nearest"), ParamError),
])
def test_variadic_ops_need_at_least_one_array(call, error):
    with pytest.raises(error, match="needs at least one (input )?array"):
        call()


def test_variadic_ops_take_a_list_and_check_num_args():
    a, b = nd.ones((2, 1)), nd.zeros((2, 1))
    assert nd.concat([a, b], dim=1).shape == nd.concat(a, b, dim=1).shape == (2, 2)
    with pytest.raises(ShapeError, match="concat: num_args=3 but 2 arrays given"):
        nd.concat(a, b, num_args=3)
    with pytest.raises(ShapeError, match="stack: num_args=1 but 2 arrays given"):
        nd.stack([a, b], num_args=1)


# ---- moments -----------------------------------------------------------------------------


@FEW
@given(st.sampled_from([(4,), (2, 3), (2, 1, 3), (3, 0)]), st.data(),
       st.sampled_from(["float32", "float64"]))
def test_moments_match_numpy(shape, data, dtype):
    x = rand(*shape, seed=len(shape))
    axes = data.draw(st.one_of(st.none(), st.lists(st.integers(0, len(shape) - 1), min_size=1,
                                                   max_size=len(shape), unique=True)))
    keep = data.draw(st.booleans())
    ax = None if axes is None else tuple(axes)

    def ref(v):
        with warnings.catch_warnings():  # (NumPy warns about empty means, then gives NaN)
            warnings.simplefilter("ignore", RuntimeWarning)
            out = [v.mean(axis=ax, keepdims=keep), v.var(axis=ax, keepdims=keep)]
        return [o.reshape(1) if o.ndim == 0 else o for o in out]
    check(lambda v: nd.moments(v, axes=ax, keepdims=keep), ref, x, dtype=dtype)


def test_moments_gradients_and_errors():
    check_grads(lambda v: nd.moments(v, axes=(1,))[1] * nd.moments(v, axes=(1,))[0],
                [rand(2, 3, seed=3)])
    with pytest.raises(DTypeError, match="floating-point"):
        nd.moments(nd.ones((2,), dtype="int32"))
    with pytest.raises(ShapeError, match="out of range"):
        nd.moments(nd.ones((2, 3)), axes=(2,))


# ---- Crop --------------------------------------------------------------------------------


@FEW
@given(st.sampled_from([(1, 2, 5, 4), (2, 1, 3, 3), (1, 1, 1, 2)]), st.data())
def test_crop_matches_slicing(shape, data):
    x = rand(*shape, seed=shape[2])
    h = data.draw(st.integers(1, shape[2]))
    w = data.draw(st.integers(1, shape[3]))
    y = data.draw(st.integers(0, shape[2] - h))
    z = data.draw(st.integers(0, shape[3] - w))
    check(lambda v: nd.Crop(v, h_w=(h, w), offset=(y, z)), lambda v: v[:, :, y:y + h, z:z + w],
          x)
    top, left = (shape[2] - h) // 2, (shape[3] - w) // 2
    like = nd.zeros((1, 1, h, w))
    check(lambda v: nd.Crop(v, like, center_crop=True),
          lambda v: v[:, :, top:top + h, left:left + w], x)


def test_crop_gradient_and_copy():
    like = nd.zeros((1, 1, 2, 2))
    check_grads(lambda v: nd.Crop(v, like, offset=(1, 0)) ** 2, [rand(1, 2, 3, 3, seed=4)])
    x = nd.ones((1, 1, 3, 3))
    nd.Crop(x, h_w=(2, 2))[:] = 0
    assert x.asnumpy().sum() == 9


@pytest.mark.parametrize("args, kwargs, error, match", [
    (((1, 1, 4, 4),), {}, ParamError, "h_w must be a positive"),
    (((1, 1, 4, 4),), {"h_w": (5, 2)}, ShapeError, "exceeds the input's"),
    (((1, 1, 4, 4),), {"h_w": (2, 2), "offset": (3, 0)}, ShapeError, "outside the input's "
                                                                      "height"),
    (((1, 1, 4, 4),), {"h_w": (2, 2), "offset": (0, -1)}, ShapeError, "outside the input's "
                                                                       "width"),
    (((1, 1, 4, 4),), {"h_w": (2, 2), "offset": (1,)}, ParamError, r"offset must be \(y, x\)"),
    (((1, 4, 4),), {"h_w": (2, 2)}, ShapeError, "must be 4-D"),
    (((1, 1, 4, 4), (2, 2)), {}, ShapeError, "crop_like must be 4-D"),
    (((1, 1, 4, 4), (1, 1, 2, 2), (1, 1, 2, 2)), {}, ParamError, "got 3 arrays"),
    (((1, 1, 4, 4),), {"h_w": (2, 2), "num_args": 2}, ParamError, "num_args=2 but 1"),
])
def test_crop_errors(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        nd.Crop(*(nd.zeros(s) for s in args), **kwargs)


# ---- LRN ---------------------------------------------------------------------------------


def lrn_np(x, nsize, alpha=1e-4, beta=0.75, knorm=2.0):
    half = nsize // 2
    sq = np.pad(x * x, ((0, 0), (half, half), (0, 0), (0, 0)))
    window = sum(sq[:, k:k + x.shape[1]] for k in range(nsize))
    return x / (knorm + alpha / nsize * window) ** beta


@FEW
@given(st.sampled_from([(1, 3, 2, 2), (2, 5, 1, 2), (1, 1, 2, 1)]), st.sampled_from([1, 3, 5]),
       st.sampled_from(["float32", "float64"]))
def test_lrn_matches_numpy(shape, nsize, dtype):
    x = rand(*shape, seed=nsize)
    check(lambda v: nd.LRN(v, alpha=0.3, beta=0.6, knorm=1.5, nsize=nsize),
          lambda v: lrn_np(v, nsize, 0.3, 0.6, 1.5), x, dtype=dtype)


def test_lrn_gradients_and_errors():
    check_grads(lambda v: nd.LRN(v, alpha=0.5, nsize=3), [rand(1, 4, 1, 2, seed=6)])
    with pytest.raises(ParamError, match="nsize .* is required"):
        nd.LRN(nd.ones((1, 3, 2, 2)))
    with pytest.raises(ParamError, match="positive odd int"):
        nd.LRN(nd.ones((1, 3, 2, 2)), nsize=2)
    with pytest.raises(ShapeError, match="must be 4-D"):
        nd.LRN(nd.ones((3, 2, 2)), nsize=3)


# ---- GroupNorm ---------------------------------------------------------------------------


def group_norm_np(x, gamma, beta, groups, eps=1e-5):
    n, c = x.shape[:2]
    g = x.reshape(n, groups, -1)
    mean, std = g.mean(-1, keepdims=True), np.sqrt(g.var(-1, keepdims=True) + eps)
    normed = ((g - mean) / std).reshape(x.shape)
    per_channel = [np.repeat(p, c // groups) if p.size == groups else p for p in (gamma, beta)]
    lay = (1, c) + (1,) * (x.ndim - 2)
    out = normed * per_channel[0].reshape(lay) + per_channel[1].reshape(lay)
    return out, mean.reshape(n, groups), std.reshape(n, groups)


@pytest.mark.parametrize("shape, groups, per_channel, dtype", [
    ((2, 4, 3), 2, False, "float64"), ((1, 6, 2, 2), 3, True, "float32"),
    ((2, 2, 1), 1, True, "float64"), ((1, 3, 2), 3, False, "float32")])
def test_group_norm_matches_numpy(shape, groups, per_channel, dtype):
    c = shape[1]
    x = rand(*shape, seed=c)
    size = c if per_channel else groups
    gamma, beta = rand(size, seed=1), rand(size, seed=2)
    check(lambda v, g, b: nd.GroupNorm(v, g, b, num_groups=groups, eps=1e-3,
                                       output_mean_var=True),
          lambda v, g, b: list(group_norm_np(v, g, b, groups, 1e-3)), x, gamma, beta,
          dtype=dtype)
    single = nd.GroupNorm(nd.array(x), nd.array(gamma), nd.array(beta), num_groups=groups)
    assert single.shape == shape


def test_group_norm_gradients():
    check_grads(lambda v, g, b: nd.GroupNorm(v, g, b, num_groups=2) * v,
                [rand(1, 4, 2, seed=7), rand(2, seed=8), rand(2, seed=9)], rtol=1e-4)


def test_group_norm_errors():
    x = nd.ones((2, 4, 3))
    with pytest.raises(ShapeError, match="at least 3 dims"):
        nd.GroupNorm(nd.ones((2, 4)), nd.ones((1,)), nd.ones((1,)))
    with pytest.raises(ParamError, match="dividing the 4 channels"):
        nd.GroupNorm(x, nd.ones((3,)), nd.ones((3,)), num_groups=3)
    with pytest.raises(ShapeError, match=r"gamma must have shape \(2,\) .* or \(4,\)"):
        nd.GroupNorm(x, nd.ones((3,)), nd.ones((2,)), num_groups=2)
    with pytest.raises(ShapeError, match="beta must have shape"):
        nd.GroupNorm(x, nd.ones((2,)), nd.ones((1,)), num_groups=2)


# ---- khatri_rao --------------------------------------------------------------------------


def khatri_rao_np(*mats):
    out = mats[0]
    for m in mats[1:]:
        out = np.einsum("ir,jr->ijr", out, m).reshape(-1, m.shape[1])
    return out


@FEW
@given(st.lists(st.sampled_from([1, 2, 3]), min_size=1, max_size=3), st.sampled_from([1, 2]),
       st.sampled_from(["float32", "float64"]))
def test_khatri_rao_matches_numpy(rows, columns, dtype):
    mats = [rand(r, columns, seed=k) for k, r in enumerate(rows)]
    check(lambda *xs: nd.khatri_rao(*xs), khatri_rao_np, *mats, dtype=dtype)


def test_khatri_rao_mxnet_example_gradients_and_errors():
    a, b = nd.array([[1, -1], [2, -3]]), nd.array([[1, 4], [2, 5], [3, 6]])
    assert nd.khatri_rao(a, b).asnumpy().tolist() == [[1, -4], [2, -5], [3, -6], [2, -12],
                                                      [4, -15], [6, -18]]
    check_grads(lambda u, v: nd.khatri_rao(u, v) ** 2, [rand(2, 2, seed=1), rand(3, 2, seed=2)])
    with pytest.raises(ShapeError, match="same number of columns"):
        nd.khatri_rao(nd.ones((2, 2)), nd.ones((2, 3)))
    with pytest.raises(ShapeError, match="same number of columns"):
        nd.khatri_rao(nd.ones((2,)))
    with pytest.raises(ShapeError, match="at least one array"):
        nd.khatri_rao()


# ---- boolean_mask ------------------------------------------------------------------------


@FEW
@given(st.sampled_from([(4,), (3, 2), (2, 3, 2), (0, 2)]), st.integers(0, 99), st.data())
def test_boolean_mask_matches_numpy(shape, seed, data):
    x = rand(*shape, seed=seed)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    mask = np.random.default_rng(seed).integers(0, 2, shape[axis]).astype(np.float32)
    want = np.compress(mask != 0, x, axis=axis)
    for v in layouts(x, "float64"):
        got = nd.contrib.boolean_mask(v, nd.array(mask), axis=axis)
        assert got.shape == want.shape
        np.testing.assert_array_equal(got.asnumpy(), want)


def test_boolean_mask_gradients_eagerly_and_with_a_constant_mask_under_jit():
    x = nd.array(rand(3, 2, seed=1), dtype="float64")
    x.attach_grad()
    with mx.autograd.record():
        y = nd.contrib.boolean_mask(x, nd.array([1, 0, 1])) ** 2
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), 2 * x.asnumpy() * [[1], [0], [1]])
    jitted = mx.jit(lambda v: nd.contrib.boolean_mask(v, nd.array([0, 1, 1])))(x)
    np.testing.assert_array_equal(jitted.asnumpy(), x.asnumpy()[1:])
    check_grads(lambda v: nd.contrib.boolean_mask(v, nd.array([1, 0, 1])) ** 3,
                [rand(3, 2, seed=2)])


def test_boolean_mask_errors():
    with pytest.raises(TracerError, match="boolean_mask: the output's shape depends on the "
                                          "values of index"):
        mx.jit(lambda v, m: nd.contrib.boolean_mask(v, m))(nd.ones((2,)), nd.array([1, 0]))
    with pytest.raises(ShapeError, match="one entry per slice of axis 0"):
        nd.contrib.boolean_mask(nd.ones((3, 2)), nd.array([1, 0]))
    with pytest.raises(ShapeError, match="index must be 1-D"):
        nd.contrib.boolean_mask(nd.ones((2, 2)), nd.ones((2, 1)))
    with pytest.raises(ShapeError, match="out of range"):
        nd.contrib.boolean_mask(nd.ones((2, 2)), nd.ones((2,)), axis=2)


# ---- histogram ---------------------------------------------------------------------------


@FEW
@given(st.sampled_from([(50,), (4, 5), (1,), (0,)]), st.integers(1, 9), st.integers(0, 99),
       st.sampled_from(["float32", "float64", "int32"]))
def test_histogram_with_a_range_matches_numpy(shape, bins, seed, dtype):
    x = (rand(*shape, seed=seed, lo=-3, hi=3) * (3 if dtype == "int32" else 1)).astype(dtype)
    counts, edges = nd.histogram(nd.array(x, dtype=dtype), bins=bins, range=(-2, 2.5))
    want_counts, want_edges = np.histogram(x, bins=bins, range=(-2, 2.5))
    assert counts.dtype is np.int64 and edges.dtype is np.dtype(dtype).type
    np.testing.assert_array_equal(counts.asnumpy(), want_counts)
    np.testing.assert_allclose(edges.asnumpy(), want_edges.astype(dtype), rtol=1e-6)


def test_histogram_with_edges_and_without_a_range():
    x = rand(40, seed=3)
    edges = np.array([-2.0, -0.5, 0.0, 0.1, 2.0])
    counts, got_edges = nd.histogram(nd.array(x, dtype="float64"),
                                     bins=nd.array(edges, dtype="float64"))
    np.testing.assert_array_equal(counts.asnumpy(), np.histogram(x, bins=edges)[0])
    np.testing.assert_array_equal(got_edges.asnumpy(), edges)
    _, float32_edges = nd.histogram(nd.array(x, dtype="float64"), bins=nd.array(edges))
    assert float32_edges.dtype is np.float64  # the edges take the data's dtype, as in MXNet
    counts, got_edges = nd.histogram(nd.array(x), bins=6)  # MXNet: NumPy's answer, as float32
    want = np.histogram(x.astype(np.float32), bins=6)
    assert counts.dtype is np.float32 and got_edges.dtype is np.float32
    np.testing.assert_array_equal(counts.asnumpy(), want[0])
    np.testing.assert_allclose(got_edges.asnumpy(), want[1], rtol=1e-6)
    counts, got_edges = nd.histogram(nd.array([1.0, 1.0, 3.0]), bins=2, range=(1, 1))
    assert counts.asnumpy().tolist() == [0, 2]  # an empty range is widened by 0.5 each side
    assert got_edges.asnumpy().tolist() == [0.5, 1.0, 1.5]


def test_histogram_runs_traced_and_agrees_with_mxnet_on_edge_values():
    x = nd.array([0, 1, 2, 2, 3, 4, 5, -1, np.nan, 0.1, 0.2, 0.3, 0.7, 2.5, np.inf, -np.inf])
    cases = [  # (bins, range, MXNet 1.9.1's counts)
        (5, (0, 5), [5, 1, 3, 1, 2]), (7, (0.1, 0.7), [1, 1, 1, 0, 0, 0, 1]),
        (2, (1, 1), [1, 1]), (nd.array([0, 2, np.inf]), None, [6, 7]),
        (nd.array([-1, 0.5, 3]), None, [5, 6])]
    for bins, value_range, want in cases:
        counts, edges = nd.histogram(x, bins=bins, range=value_range)
        assert counts.asnumpy().tolist() == want and counts.dtype is np.int64
        if isinstance(bins, nd.NDArray):
            traced = mx.jit(lambda v, b: nd.histogram(v, bins=b))(x, bins)
        else:
            traced = mx.jit(lambda v, n=bins, r=value_range: nd.histogram(v, n, r))(x)
        assert traced[0].asnumpy().tolist() == want
        np.testing.assert_array_equal(traced[1].asnumpy(), edges.asnumpy())
    grid = nd.array(np.linspace(0, 1, 1001).astype(np.float32))  # values on the edges
    for count, value_range in ((7, (0, 1)), (3, (0.1, 0.7))):
        got = nd.histogram(grid, bins=count, range=value_range)[0].asnumpy()
        np.testing.assert_array_equal(got, np.histogram(grid.asnumpy(), count, value_range)[0])
    assert nd.histogram(nd.zeros((0,)), bins=2, range=(0, 1))[0].asnumpy().tolist() == [0, 0]


def test_histogram_errors():
    with pytest.raises(TracerError, match=r"histogram: without a range \(give range= to "
                                          r"trace it\) the bins come from the values"):
        mx.jit(lambda v: nd.histogram(v, bins=2)[0])(nd.ones((3,)))
    with pytest.raises(ParamError, match="bins must be a positive int or an array"):
        nd.histogram(nd.ones((3,)), bins=[0, 1, 2])
    with pytest.raises(ParamError, match="bins must be a positive int"):
        nd.histogram(nd.ones((3,)), bins=0, range=(0, 1))
    with pytest.raises(ParamError, match="must have low <= high"):
        nd.histogram(nd.ones((3,)), bins=2, range=(1, 0))
    with pytest.raises(ParamError, match=r"range must be \(low, high\)"):
        nd.histogram(nd.ones((3,)), bins=2, range=(1,))
    with pytest.raises(ShapeError, match="1-D array of at least 2 edges"):
        nd.histogram(nd.ones((3,)), bins=nd.ones((1,)))
    with pytest.raises(ParamError, match="increase monotonically"):
        nd.histogram(nd.ones((3,)), bins=nd.array([0, 2, 1]))
    with pytest.raises(ParamError, match="give bin_cnt and range together"):
        lookup("_histogram").impl(nd.ones((3,)), bin_cnt=2)
