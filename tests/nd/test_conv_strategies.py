"""Convolution by each strategy (direct, im2col + GEMM in chunks of the batch, a 1x1
convolution reading the image itself, Winograd's F(2x2, 3x3)), forward and both
gradients, against float64 loops; the rules that pick the strategy; pooling's gradient to
the first maximum."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mxjit as mx
from mxjit.kernels import convolution as cv
from mxjit.kernels import winograd
from mxjit.ops import conv as conv_ops
from tests.helpers import check_grads
from tests.nd.test_nn_ops import conv_np

nd = mx.nd


def conv_grads_np(x, w, gy, stride, pad, dilate, groups):
    """Data and weight gradients of the convolution of x and w at output gradient gy, by
    loops over output positions and taps (float64)."""
    n, c = x.shape[:2]
    f, k = w.shape[0], w.shape[2:]
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    cg, fg = c // groups, f // groups
    for o in itertools.product(*(range(m) for m in gy.shape[2:])):
        for t in itertools.product(*(range(m) for m in k)):
            at = (slice(None), slice(None)) + tuple(
                o[i] * stride[i] + t[i] * dilate[i] for i in range(len(k)))
            for g in range(groups):
                rows, cols = slice(g * fg, (g + 1) * fg), slice(g * cg, (g + 1) * cg)
                go = gy[(slice(None), rows) + o]  # (n, fg)
                dxp[at][:, cols] += go @ w[(rows, slice(None)) + t]
                dw[(rows, slice(None)) + t] += go.T @ xp[at][:, cols]
    inner = (slice(None), slice(None)) + tuple(slice(p, p + d) for p, d in zip(pad, x.shape[2:]))
    return dxp[inner], dw


@st.composite
def cases(draw):
    nd_ = draw(st.integers(1, 3))
    groups = draw(st.sampled_from([1, 2, 3]))
    c = groups * draw(st.integers(1, 3))
    f = groups * draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd_))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nd_))
    dilate = tuple(draw(st.integers(1, 2)) for _ in range(nd_))
    pad = tuple(draw(st.integers(0, 2)) for _ in range(nd_))
    least = [max(1, d * (k - 1) + 1 - 2 * p) for k, d, p in zip(kernel, dilate, pad)]
    spatial = tuple(draw(st.integers(m, m + (3 if nd_ < 3 else 1))) for m in least)
    n = draw(st.integers(1, 4))
    return (n, c) + spatial, (f, c // groups) + kernel, stride, dilate, pad, groups


def _run(xshape, wshape, stride, dilate, pad, groups, seed=0):
    rng = np.random.default_rng(seed)
    x, w = rng.uniform(-1, 1, xshape), rng.uniform(-1, 1, wshape)
    want = conv_np(x, w, None, stride, pad, dilate, groups)
    gy = rng.uniform(-1, 1, want.shape)
    want_dx, want_dw = conv_grads_np(x, w, gy, stride, pad, dilate, groups)

    def conv(v, wt):
        return nd.Convolution(v, wt, kernel=wshape[2:], stride=stride, dilate=dilate, pad=pad,
                              num_filter=wshape[0], num_group=groups, no_bias=True)

    step = mx.jit(mx.value_and_grad(lambda v, wt, g: (conv(v, wt) * g).sum(), argnums=(0, 1)))
    args = [nd.array(a, dtype="float32") for a in (x, w, gy)]
    got = mx.jit(conv)(*args[:2]).asnumpy()
    _, (dx, dw) = step(*args)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dx.asnumpy(), want_dx, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dw.asnumpy(), want_dw, rtol=1e-4, atol=1e-4)
    # eagerly, through the tape
    xv, wv = args[0].copy(), args[1].copy()
    xv.attach_grad()
    wv.attach_grad()
    with mx.autograd.record():
        y = conv(xv, wv)
    y.backward(args[2])
    np.testing.assert_allclose(y.asnumpy(), want, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(xv.grad.asnumpy(), want_dx, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(wv.grad.asnumpy(), want_dw, rtol=1e-4, atol=1e-4)


def _winograd_everywhere(monkeypatch):
    """Winograd for every 3x3 stride-1 convolution, however thin or small."""
    monkeypatch.setattr(winograd, "MIN_CHANNELS", 1)
    monkeypatch.setattr(winograd, "MIN_TILES", {"conv": 0, "conv_data_grad": 0})


@pytest.fixture(params=["direct", "gemm, whole batch", "gemm, one image a chunk",
                        "winograd where it applies"])
def strategy(request, monkeypatch):
    """Forces each strategy in turn: the direct kernel for every shape, im2col + GEMM with
    chunks of the whole batch or of one image, or Winograd for every 3x3 stride-1 shape
    whatever its channels (in chunks of one image)."""
    monkeypatch.setattr(winograd, "MIN_CHANNELS", 10**9)
    if request.param == "direct":
        monkeypatch.setattr(conv_ops, "DIRECT_MAX_DEPTH", 10**9)
    else:
        monkeypatch.setattr(conv_ops, "DIRECT_MAX_DEPTH", 0)
        if request.param.endswith("one image a chunk"):
            monkeypatch.setattr(cv, "CHUNK_BYTES", 1)
        if request.param.startswith("winograd"):
            _winograd_everywhere(monkeypatch)
            monkeypatch.setattr(winograd, "CHUNK_BYTES", 1)
    return request.param


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # (a setting only)
@given(cases())
def test_each_strategy_matches_loops_forward_and_both_gradients(strategy, case):
    _run(*case)


@pytest.mark.parametrize("case", [
    ((3, 4, 5, 6), (6, 4, 1, 1), (1, 1), (1, 1), (0, 0), 1),  # an image is its own columns
    ((3, 4, 5, 6), (6, 2, 1, 1), (1, 1), (1, 1), (0, 0), 2),
    ((2, 6, 7), (6, 1, 3), (2,), (2,), (2,), 6),  # depthwise
    ((2, 4, 6, 6), (8, 1, 3, 3), (1, 1), (1, 1), (1, 1), 4),  # depth multiplier 2
    ((2, 2, 3, 4, 5), (2, 2, 2, 2, 2), (1, 2, 1), (1, 1, 2), (1, 0, 1), 1),
])
def test_named_shapes_by_every_strategy(strategy, monkeypatch, case):
    _run(*case)


def test_the_strategy_rule_picks_direct_for_shallow_sums_and_gemm_otherwise():
    assert conv_ops.conv_strategy(128, 128, 128, (3, 3)) == "direct"  # depthwise 3x3
    assert conv_ops.conv_strategy(64, 128, 64, (3, 3)) == "direct"  # depth multiplier 2
    assert conv_ops.conv_strategy(16, 16, 2, (2,)) == "direct"  # 16 products, 2 groups
    assert conv_ops.conv_strategy(1, 16, 1, (3, 3)) == "gemm"  # one group: one GEMM
    assert conv_ops.conv_strategy(1, 20, 1, (5, 5)) == "gemm"
    assert conv_ops.conv_strategy(64, 64, 1, (3, 3)) == "gemm"
    assert conv_ops.conv_strategy(64, 128, 1, (1, 1)) == "gemm"
    assert conv_ops.conv_strategy(128, 128, 8, (3, 3)) == "gemm"  # 144 products per output


@pytest.mark.parametrize("chunk_bytes", [1, 1 << 30], ids=["one image a chunk", "one chunk"])
@pytest.mark.parametrize("case", [
    ((2, 16, 6, 6), (16, 16, 3, 3), (1, 1)),  # even output: whole tiles
    ((3, 16, 7, 5), (20, 16, 3, 3), (1, 1)),  # odd output rows and columns: a cut tile
    ((1, 17, 4, 9), (16, 17, 3, 3), (0, 0)),  # unpadded (data gradient padded by 2)
    ((2, 16, 3, 3), (16, 16, 3, 3), (2, 2)),  # padded by 2 (data gradient unpadded)
    ((2, 16, 1, 1), (16, 16, 3, 3), (1, 1)),  # one pixel: one tile mostly of padding
    ((2, 16, 5, 8), (16, 16, 3, 3), (2, 0)),  # a different pad per axis
])
def test_winograd_matches_loops_forward_and_both_gradients(monkeypatch, chunk_bytes, case):
    _winograd_everywhere(monkeypatch)
    monkeypatch.setattr(winograd, "CHUNK_BYTES", chunk_bytes)
    xshape, wshape, pad = case
    geo = cv.Geometry(xshape[0], xshape[1], wshape[0], 1, xshape[2:], (3, 3),
                      tuple(d + 2 * p - 2 for d, p in zip(xshape[2:], pad)), (1, 1), (1, 1),
                      pad)
    assert cv.strategy("conv", geo, np.dtype("float32")) == "winograd"
    assert cv.strategy("conv_data_grad", geo, np.dtype("float32")) == "winograd"
    _run(xshape, wshape, (1, 1), (1, 1), pad, 1)


def test_winograd_rounds_like_a_direct_sum_at_scale():
    # 256 channels of 3x3 taps: the transforms' extra roundings stay near float32's own
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 256, 14, 14)).astype(np.float32)
    w = rng.standard_normal((64, 256, 3, 3)).astype(np.float32)
    want = conv_np(x.astype(np.float64), w.astype(np.float64), None, (1, 1), (1, 1), (1, 1), 1)
    got = nd.Convolution(nd.array(x), nd.array(w), kernel=(3, 3), pad=(1, 1), num_filter=64,
                         no_bias=True).asnumpy()
    assert np.abs(got - want).max() <= 2e-6 * np.abs(want).max()


def test_the_plan_rule_picks_winograd_for_wide_large_3x3_stride_1_float32_layers_only():
    def pick(op="conv", c=64, f=64, groups=1, kernel=(3, 3), stride=(1, 1), dilate=(1, 1),
             pad=(1, 1), size=(56, 56), dtype="float32", n=32):
        out = tuple((d + 2 * p - dl * (k - 1) - 1) // s + 1
                    for d, p, dl, k, s in zip(size, pad, dilate, kernel, stride))
        geo = cv.Geometry(n, c, f, groups, size, kernel, out, stride, dilate, pad)
        return cv.strategy(op, geo, np.dtype(dtype))

    for c, size in ((64, (56, 56)), (128, (28, 28)), (256, (14, 14))):  # issue #13's layers
        assert pick(c=c, f=c, size=size) == "winograd"
        assert pick("conv_data_grad", c=c, f=c, size=size) == "winograd"
        assert pick("conv_weight_grad", c=c, f=c, size=size) == "im2col"
    assert pick(pad=(0, 2)) == "winograd"
    assert pick(c=32) == pick(f=16) == pick(c=3) == "im2col"  # too thin for 16 GEMMs
    # ResNet-18 at batch 16 on 64x64 images: 1,024 tiles of 64 channels and 256 of 128
    # take Winograd forward only; 256 and 512 channels at 4x4 and 2x2 are too few tiles
    assert pick(n=16, size=(16, 16)) == pick(n=16, c=128, f=128, size=(8, 8)) == "winograd"
    assert pick("conv_data_grad", n=16, size=(16, 16)) == "im2col"
    assert pick(n=16, c=512, f=512, size=(2, 2)) == "im2col"
    assert pick(n=16, c=256, f=256, size=(4, 4)) == "im2col"
    assert pick(stride=(2, 2)) == pick(dilate=(2, 2)) == pick(groups=2) == "im2col"
    assert pick(kernel=(5, 5), pad=(2, 2)) == pick(kernel=(1, 1), pad=(0, 0)) == "im2col"
    assert pick(pad=(3, 3)) == "im2col"  # its data gradient would need a negative pad
    assert pick(kernel=(3,), stride=(1,), dilate=(1,), pad=(1,), size=(56,)) == "im2col"
    assert pick(dtype="float64") == "im2col"
    assert winograd.chunk_images(64, (56, 56), 4, 32) * 16 * 64 * 28 * 28 * 4 \
        <= winograd.CHUNK_BYTES


def test_the_plan_the_rule_picks_is_what_runs():
    x = nd.ones((2, 8, 6, 6))
    deep = mx.jit(lambda v, w: nd.Convolution(v, w, kernel=(3, 3), num_filter=4, no_bias=True))
    assert "library conv(" in deep.lower(x, nd.ones((4, 8, 3, 3))).as_text()
    shallow = mx.jit(lambda v, w: nd.Convolution(v, w, kernel=(3, 3), num_filter=8,
                                                 num_group=8, no_bias=True))
    text = shallow.lower(x, nd.ones((8, 1, 3, 3))).as_text()
    assert "library" not in text and text.count("kernel ") == 1, text


def test_chunks_keep_the_columns_within_the_budget():
    geo = cv.Geometry(32, 256, 256, 1, (14, 14), (3, 3), (14, 14), (1, 1), (1, 1), (1, 1))
    images = cv.chunk_images(geo, 4)  # (the most that fit, evened out over the batch)
    most = cv.CHUNK_BYTES // (256 * 9 * 196 * 4)
    assert images <= most and -(-32 // images) == -(-32 // most)
    big = cv.Geometry(32, 64, 64, 1, (56, 56), (3, 3), (56, 56), (1, 1), (1, 1), (1, 1))
    assert cv.chunk_images(big, 4) == 1  # more than the budget: still one image
    assert cv.reads_image_as_columns(cv.Geometry(2, 4, 4, 1, (5, 5), (1, 1), (5, 5), (1, 1),
                                                 (1, 1), (0, 0)))
    assert not cv.reads_image_as_columns(cv.Geometry(2, 4, 4, 1, (5, 5), (1, 1), (3, 3),
                                                     (2, 2), (1, 1), (0, 0)))


def test_shallow_forward_products_run_a_gemm_per_image():
    def geo(c, k, groups=1):
        return cv.Geometry(64, c, 20 * groups, groups, (28, 28), (k, k), (28 - k + 1,) * 2,
                           (1, 1), (1, 1), (0, 0))

    assert cv.per_image_columns(geo(1, 5), 64)  # 25 deep: LeNet's first layer
    assert cv.per_image_columns(geo(3, 3), 64)
    assert not cv.per_image_columns(geo(20, 5), 64)  # 500 deep: one GEMM for the chunk
    assert not cv.per_image_columns(geo(2, 3, groups=2), 64)
    assert not cv.per_image_columns(geo(1, 5), 1)  # a chunk of one image is one GEMM anyway


def _squared_convolution(**params):
    """The square of a convolution without bias (its gradients depend on its input)."""
    def f(v, wt):
        y = nd.Convolution(v, wt, no_bias=True, **params)
        return y * y

    return f


def test_the_library_primitives_differentiate_to_second_order():
    rng = np.random.default_rng(5)
    x, w = rng.uniform(-1, 1, (2, 4, 5, 4)), rng.uniform(-1, 1, (4, 2, 2, 3))

    f = _squared_convolution(kernel=(2, 3), stride=(2, 1), pad=(1, 1), num_filter=4,
                             num_group=2)
    check_grads(f, [x, w], order=2, rtol=1e-4, atol=1e-6)
    check_grads(lambda v, wt: nd.Deconvolution(v, wt, kernel=(3, 2), stride=(2, 2),
                                               pad=(1, 0), adj=(1, 1), num_filter=3) ** 2,
                [rng.uniform(-1, 1, (1, 2, 3, 3)), rng.uniform(-1, 1, (2, 3, 3, 2))],
                order=2, rtol=1e-4, atol=1e-6)


def test_float16_and_float64_convolutions():
    rng = np.random.default_rng(6)
    x, w = rng.uniform(-1, 1, (2, 3, 6, 6)), rng.uniform(-1, 1, (4, 3, 3, 3))
    want = conv_np(x, w, None, (1, 1), (1, 1), (1, 1), 1)
    for dtype, tol in (("float16", 2e-2), ("float64", 1e-12)):
        got = nd.Convolution(nd.array(x, dtype=dtype), nd.array(w, dtype=dtype), kernel=(3, 3),
                             pad=(1, 1), num_filter=4, no_bias=True)
        assert got.dtype == np.dtype(dtype)
        np.testing.assert_allclose(got.asnumpy(), want, rtol=tol, atol=tol)


def test_max_pooling_gives_each_window_s_gradient_to_its_first_maximum():
    # relu before a pool: windows of tied zeros; MXNet (and PyTorch) give the gradient to
    # the first one in the window only
    x = nd.array(np.array([[[[0, 0, 1, 1], [0, 0, 1, 1], [2, 0, 0, 0], [0, 2, 0, 0]]]],
                          dtype=np.float32))
    want = np.array([[[[1, 0, 1, 0], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]]]], np.float32)
    def f(v):
        return nd.Pooling(v, kernel=(2, 2), stride=(2, 2), pool_type="max").sum()

    _, g = mx.jit(mx.value_and_grad(f))(x)
    np.testing.assert_array_equal(g.asnumpy(), want)
    v = x.copy()
    v.attach_grad()
    with mx.autograd.record():
        y = nd.Pooling(v, kernel=(2, 2), stride=(2, 2), pool_type="max")
    y.backward()
    np.testing.assert_array_equal(v.grad.asnumpy(), want)


def test_overlapping_max_pool_gradient_sums_over_the_windows_that_picked_an_element():
    rng = np.random.default_rng(7)
    x = rng.permutation(7 * 7).reshape(1, 1, 7, 7).astype(np.float64)
    g = rng.uniform(-1, 1, (1, 1, 3, 3))
    want = np.zeros_like(x)
    for i, j in itertools.product(range(3), range(3)):
        win = x[0, 0, 2 * i:2 * i + 3, 2 * j:2 * j + 3]
        a, b = np.unravel_index(np.argmax(win), win.shape)
        want[0, 0, 2 * i + a, 2 * j + b] += g[0, 0, i, j]
    _, got = mx.jit(mx.value_and_grad(lambda v, w: (nd.Pooling(
        v, kernel=(3, 3), stride=(2, 2), pool_type="max") * w).sum()))(
        nd.array(x, dtype="float64"), nd.array(g, dtype="float64"))
    np.testing.assert_allclose(got.asnumpy(), want)


def test_a_stride_one_direct_convolution_differentiates_to_direct_convolutions():
    # its data gradient convolves the padded cotangent with the flipped weights: windows
    # over a padded copy, never the bounds-tested gather of differentiating the windows
    rng = np.random.default_rng(7)
    x, w = rng.uniform(-1, 1, (2, 6, 5, 4)), rng.uniform(-1, 1, (12, 1, 3, 2))

    f = _squared_convolution(kernel=(3, 2), dilate=(1, 2), pad=(1, 2), num_filter=12,
                             num_group=6)

    assert conv_ops.conv_strategy(6, 12, 6, (3, 2)) == "direct"
    args = [nd.array(a) for a in (x, w)]
    text = mx.jit(mx.grad(lambda v, wt: f(v, wt).sum(), argnums=(0, 1))).lower(*args).as_text()
    assert "window_spread" not in text and "flip(" in text, text
    check_grads(f, [x, w], order=2, rtol=1e-4, atol=1e-6)


def test_float16_layers_take_winograd_in_float32():
    # (float16 convolutions compute in float32 and round once: Winograd's rule sees float32)
    rng = np.random.default_rng(9)
    x, w = rng.uniform(-1, 1, (8, 64, 12, 12)), rng.uniform(-1, 1, (64, 64, 3, 3))
    geo = cv.Geometry(8, 64, 64, 1, (12, 12), (3, 3), (12, 12), (1, 1), (1, 1), (1, 1))
    plan = cv.ConvPlan("conv", x.astype(np.float16), w.astype(np.float16),
                       dict(out=(12, 12), stride=(1, 1), dilate=(1, 1), pad=(1, 1), groups=1))
    assert plan.strategy == cv.strategy("conv", geo, np.dtype("float32")) == "winograd"
    got = nd.Convolution(nd.array(x, dtype="float16"), nd.array(w, dtype="float16"),
                         kernel=(3, 3), pad=(1, 1), num_filter=64, no_bias=True)
    assert got.dtype == np.float16
    want = conv_np(x, w, None, (1, 1), (1, 1), (1, 1), 1)
    np.testing.assert_allclose(got.asnumpy(), want, rtol=2e-2, atol=0.1)


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_col2im_adds_each_column_entry_where_it_was_read(data):
    from mxjit.kernels.col2im import col2im
    from mxjit.trace.windows import _spread_impl

    rank = data.draw(st.integers(1, 3))
    kernel = tuple(data.draw(st.integers(1, 3)) for _ in range(rank))
    stride = tuple(data.draw(st.integers(1, 3)) for _ in range(rank))
    dilate = tuple(data.draw(st.integers(1, 2)) for _ in range(rank))
    pad = tuple(data.draw(st.integers(0, 2)) for _ in range(rank))
    size = tuple(max(1, (k - 1) * d + 1 - 2 * p) + data.draw(st.integers(0, 4))
                 for k, d, p in zip(kernel, dilate, pad))
    out = tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                for n, p, d, k, s in zip(size, pad, dilate, kernel, stride))
    images, channels = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    cols = np.random.default_rng(rank).standard_normal(
        (channels,) + kernel + (images,) + out).astype(np.float32)
    as_taps = np.moveaxis(cols, 1 + rank, 0).astype(np.float64)  # (B, C, *K, *O)
    want = _spread_impl(as_taps, stride=stride, dilate=dilate, pad=pad, size=size).sum(
        axis=tuple(range(2, 2 + rank)))
    np.testing.assert_allclose(col2im(cols, kernel, out, size, stride, dilate, pad), want,
                               rtol=1e-5, atol=1e-5)
    into = np.full((images, channels) + size, np.nan, np.float32)
    col2im(cols, kernel, out, size, stride, dilate, pad, into=into)
    np.testing.assert_allclose(into, want, rtol=1e-5, atol=1e-5)
