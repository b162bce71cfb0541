"""im2col, col2im and Correlation against float64 NumPy loops written here, eagerly and
under mx.jit, with gradients by central differences and every user error.

The references were checked against MXNet 1.9.1 (values and gradients, 2-D windows; its
1-D and 3-D im2col crash). Shapes are small: each one compiles kernels.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import DTypeError, ParamError, ShapeError
from tests.helpers import assert_eager_and_jit, check_grads

nd = mx.nd


def rand(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-2, 2, shape)


def out_sizes(spatial, kernel, stride, dilate, pad):
    return tuple((d + 2 * p - dl * (k - 1) - 1) // s + 1
                 for d, k, s, dl, p in zip(spatial, kernel, stride, dilate, pad))


def im2col_np(x, kernel, stride, dilate, pad):
    n, c = x.shape[:2]
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])
    out = out_sizes(x.shape[2:], kernel, stride, dilate, pad)
    cols = np.zeros((n, c, int(np.prod(kernel))) + out)
    for t, offs in enumerate(itertools.product(*(range(k) for k in kernel))):
        for pos in itertools.product(*(range(m) for m in out)):
            src = tuple(o * dl + q * s for o, dl, q, s in zip(offs, dilate, pos, stride))
            cols[(slice(None), slice(None), t) + pos] = xp[(slice(None), slice(None)) + src]
    return cols.reshape(n, -1, int(np.prod(out)))


def col2im_np(cols, size, kernel, stride, dilate, pad):
    n = cols.shape[0]
    taps = int(np.prod(kernel))
    c = cols.shape[1] // taps
    out = out_sizes(size, kernel, stride, dilate, pad)
    blocks = cols.reshape((n, c, taps) + out)
    img = np.zeros((n, c) + tuple(d + 2 * p for d, p in zip(size, pad)))
    for t, offs in enumerate(itertools.product(*(range(k) for k in kernel))):
        for pos in itertools.product(*(range(m) for m in out)):
            dst = tuple(o * dl + q * s for o, dl, q, s in zip(offs, dilate, pos, stride))
            img[(slice(None), slice(None)) + dst] += blocks[(slice(None), slice(None), t) + pos]
    return img[(slice(None), slice(None)) + tuple(slice(p, p + d) for p, d in zip(pad, size))]


WINDOWS = [  # (data shape, kernel, stride, dilate, pad)
    ((2, 3, 5, 6), (2, 3), (1, 2), (2, 1), (1, 1)),
    ((1, 2, 4, 4), (3, 3), (1, 1), (1, 1), (0, 0)),
    ((1, 2, 5, 6), (1, 2), (3, 1), (1, 1), (0, 2)),
    ((2, 2, 7), (3,), (2,), (1,), (1,)),
    ((1, 1, 3, 4, 3), (2, 2, 1), (1, 2, 1), (1, 1, 1), (0, 1, 1)),
]


@pytest.mark.parametrize("shape, kernel, stride, dilate, pad", WINDOWS)
def test_im2col_and_col2im_match_numpy(shape, kernel, stride, dilate, pad):
    kw = dict(kernel=kernel, stride=stride, dilate=dilate, pad=pad)
    x = rand(*shape)
    want = im2col_np(x, kernel, stride, dilate, pad)
    assert_eager_and_jit(lambda v: nd.im2col(v, **kw), want, x)
    cols = rand(*want.shape, seed=1)
    assert_eager_and_jit(lambda v: nd.col2im(v, output_size=shape[2:], **kw),
                         col2im_np(cols, shape[2:], kernel, stride, dilate, pad), cols)


def test_im2col_float32_and_defaults():
    x = rand(1, 2, 3, 4).astype(np.float32)
    got = nd.im2col(nd.array(x), kernel=(2, 2))
    assert got.shape == (1, 8, 6) and got.dtype == np.float32
    np.testing.assert_allclose(got.asnumpy(), im2col_np(x, (2, 2), (1, 1), (1, 1), (0, 0)),
                               rtol=1e-6)


def test_col2im_sums_overlaps():
    # (the count of windows covering each pixel of a 3x3 image under a 2x2 kernel, as the
    # col2im docstring of MXNet describes it)
    cols = nd.im2col(nd.ones((1, 1, 3, 3)), kernel=(2, 2))
    got = nd.col2im(cols, output_size=(3, 3), kernel=(2, 2)).asnumpy()[0, 0]
    np.testing.assert_array_equal(got, [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


@pytest.mark.parametrize("shape, kernel, stride, dilate, pad", [
    ((1, 2, 3, 4), (2, 2), (1, 2), (2, 1), (1, 1)), ((1, 1, 5), (3,), (2,), (1,), (1,))])
def test_im2col_and_col2im_gradients(shape, kernel, stride, dilate, pad):
    kw = dict(kernel=kernel, stride=stride, dilate=dilate, pad=pad)
    x = rand(*shape)
    # (linear maps: order 2 checks that the second derivative is zero)
    check_grads(lambda v: nd.im2col(v, **kw) ** 2, [x], order=2)
    cols = rand(*im2col_np(x, kernel, stride, dilate, pad).shape, seed=2)
    check_grads(lambda v: nd.col2im(v, output_size=shape[2:], **kw) ** 2, [cols], order=1)


def test_im2col_and_col2im_are_adjoint_through_autograd():
    x = nd.array(rand(1, 2, 4, 5))
    x.attach_grad()
    head = rand(1, 2 * 4, 10, seed=3)
    with mx.autograd.record():
        cols = nd.im2col(x, kernel=(2, 2), stride=(1, 2), pad=(1, 0))
    cols.backward(nd.array(head))
    want = nd.col2im(nd.array(head), output_size=(4, 5), kernel=(2, 2), stride=(1, 2),
                     pad=(1, 0))
    np.testing.assert_allclose(x.grad.asnumpy(), want.asnumpy(), rtol=1e-6)


def test_im2col_empty_batch():
    assert nd.im2col(nd.zeros((0, 2, 3, 3)), kernel=(2, 2)).shape == (0, 8, 4)
    assert nd.col2im(nd.zeros((0, 8, 4)), output_size=(3, 3), kernel=(2, 2)).shape == (0, 2, 3, 3)


@pytest.mark.parametrize("call, error, match", [
    (lambda: nd.im2col(nd.ones((1, 1, 3, 3)), kernel=(2, 2, 2, 2)), ParamError,
     "1, 2 or 3 entries"),
    (lambda: nd.im2col(nd.ones((1, 1, 3, 3)), kernel=(2, 2), stride=(0, 1)), ParamError,
     "must be positive"),
    (lambda: nd.im2col(nd.ones((1, 1, 3, 3)), kernel=(2, 2), pad=(1,)), ParamError,
     "must have 2 entries"),
    (lambda: nd.im2col(nd.ones((1, 3, 3)), kernel=(2, 2)), ShapeError, "needs 4-D data"),
    (lambda: nd.im2col(nd.ones((1, 1, 3, 3)), kernel=(2, 4)), ShapeError,
     "exceeds the spatial size"),
    (lambda: nd.im2col(nd.ones((1, 1, 3, 3), dtype="int32"), kernel=(2, 2)), DTypeError,
     "floating-point"),
    (lambda: nd.col2im(nd.ones((1, 8, 4)), output_size=(0, 3), kernel=(2, 2)), ParamError,
     "output_size must be positive"),
    (lambda: nd.col2im(nd.ones((1, 7, 4)), output_size=(3, 3), kernel=(2, 2)), ShapeError,
     r"must have shape \(N, C \* 4, 4\)"),
    (lambda: nd.col2im(nd.ones((1, 8, 5)), output_size=(3, 3), kernel=(2, 2)), ShapeError,
     "must have shape"),
    (lambda: nd.col2im(nd.ones((1, 8, 4), dtype="int32"), output_size=(3, 3), kernel=(2, 2)),
     DTypeError, "floating-point"),
])
def test_im2col_col2im_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---- Correlation -------------------------------------------------------------------------


def correlation_np(a, b, k, md, s1, s2, p, multiply):
    n, c, h, w = a.shape
    ap, bp = (np.pad(v, [(0, 0), (0, 0), (p, p), (p, p)]) for v in (a, b))
    border = md + (k - 1) // 2
    oh, ow = (int(np.ceil((d + 2 * p - 2 * border) / s1)) for d in (h, w))
    r = md // s2
    shifts = list(itertools.product(range(-r, r + 1), repeat=2))
    out = np.zeros((n, len(shifts), oh, ow))
    for q, (dy, dx) in enumerate(shifts):
        for i in range(oh):
            for j in range(ow):
                y1, x1 = i * s1 + md, j * s1 + md
                p1 = ap[:, :, y1:y1 + k, x1:x1 + k]
                p2 = bp[:, :, y1 + dy * s2:y1 + dy * s2 + k, x1 + dx * s2:x1 + dx * s2 + k]
                v = p1 * p2 if multiply else np.abs(p1 - p2)
                out[:, q, i, j] = v.sum(axis=(1, 2, 3)) / (k * k * c)
    return out


CORRELATIONS = [  # kernel_size, max_displacement, stride1, stride2, pad_size, is_multiply
    (1, 1, 1, 1, 0, True),
    (3, 2, 2, 2, 2, True),
    (3, 1, 1, 1, 1, False),
    (1, 3, 3, 2, 3, True),
]


@pytest.mark.parametrize("k, md, s1, s2, p, multiply", CORRELATIONS)
def test_correlation_matches_numpy(k, md, s1, s2, p, multiply):
    a, b = rand(2, 3, 7, 8, seed=4), rand(2, 3, 7, 8, seed=5)
    kw = dict(kernel_size=k, max_displacement=md, stride1=s1, stride2=s2, pad_size=p,
              is_multiply=multiply)
    assert_eager_and_jit(lambda u, v: nd.Correlation(u, v, **kw),
                         correlation_np(a, b, k, md, s1, s2, p, multiply), a, b)


def test_correlation_defaults_and_float32():
    a, b = rand(1, 2, 5, 5, seed=6), rand(1, 2, 5, 5, seed=7)
    got = nd.Correlation(nd.array(a), nd.array(b))
    assert got.shape == (1, 9, 3, 3) and got.dtype == np.float32
    np.testing.assert_allclose(got.asnumpy(), correlation_np(a, b, 1, 1, 1, 1, 0, True),
                               rtol=1e-5, atol=1e-6)


def test_correlation_gradients():
    a, b = rand(1, 2, 4, 5, seed=8), rand(1, 2, 4, 5, seed=9)
    kw = dict(kernel_size=3, max_displacement=1, pad_size=1)
    check_grads(lambda u, v: nd.Correlation(u, v, **kw), [a, b], order=2)
    check_grads(lambda u, v: nd.Correlation(u, v, is_multiply=False, **kw), [a, b], order=1)


def test_correlation_absolute_difference_ties_follow_mxnet():
    # where data1 == data2, MXNet's backward gives +1 to data1 and -1 to data2 (abs' own
    # gradient would be 0)
    a = nd.ones((1, 1, 1, 1))
    b = nd.ones((1, 1, 1, 1))
    a.attach_grad()
    b.attach_grad()
    with mx.autograd.record():
        y = nd.Correlation(a, b, max_displacement=0, is_multiply=False)
    y.backward()
    assert a.grad.asnumpy().item() == 1 and b.grad.asnumpy().item() == -1


@pytest.mark.parametrize("kwargs, shapes, error, match", [
    ({"kernel_size": 2}, None, ParamError, "kernel_size must be odd"),
    ({"kernel_size": 0}, None, ParamError, "kernel_size must be an int >= 1"),
    ({"stride1": 0}, None, ParamError, "stride1 must be an int >= 1"),
    ({"max_displacement": -1}, None, ParamError, "max_displacement must be an int >= 0"),
    ({}, ((1, 2, 5, 5), (1, 2, 5, 4)), ShapeError, "of one shape"),
    ({}, ((2, 5, 5), (2, 5, 5)), ShapeError, "must be 4-D"),
    ({"max_displacement": 3}, None, ShapeError, "do not fit"),
])
def test_correlation_errors(kwargs, shapes, error, match):
    s1, s2 = shapes or ((1, 2, 5, 5), (1, 2, 5, 5))
    with pytest.raises(error, match=match):
        nd.Correlation(nd.ones(s1), nd.ones(s2), **kwargs)


def test_correlation_dtype_errors():
    with pytest.raises(DTypeError, match="floating-point"):
        nd.Correlation(nd.ones((1, 1, 3, 3), dtype="int32"), nd.ones((1, 1, 3, 3), dtype="int32"))
    with pytest.raises(DTypeError, match="share a dtype"):
        nd.Correlation(nd.ones((1, 1, 3, 3)), nd.ones((1, 1, 3, 3), dtype="float64"))
