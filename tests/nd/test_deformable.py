"""contrib.DeformableConvolution and contrib.ModulatedDeformableConvolution against a float64
NumPy loop written here (MXNet's sampling rules, checked against MXNet 1.9.1 on values and,
for v1, gradients), eagerly and under mx.jit, with gradients w.r.t. every input by central
differences and every user error.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import DTypeError, ParamError, ShapeError
from tests.helpers import assert_eager_and_jit, check_grads

C = mx.nd.contrib


def rand(*shape: int, seed: int = 0, scale: float = 1.0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape) * scale


def sample_v1(img, y, x):
    """v1: inside [0, H) x [0, W) only; the last row (column) is read alone."""
    h, w = img.shape
    if not (0 <= y < h and 0 <= x < w):
        return 0.0
    y0, x0 = math.floor(y), math.floor(x)
    y1, ly = (y0 + 1, y - y0) if y0 < h - 1 else (y0, 0.0)
    x1, lx = (x0 + 1, x - x0) if x0 < w - 1 else (x0, 0.0)
    return ((1 - ly) * (1 - lx) * img[y0, x0] + (1 - ly) * lx * img[y0, x1]
            + ly * (1 - lx) * img[y1, x0] + ly * lx * img[y1, x1])


def sample_v2(img, y, x):
    """v2: inside (-1, H) x (-1, W); neighbours outside the image are zeros."""
    h, w = img.shape
    if not (-1 < y < h and -1 < x < w):
        return 0.0
    y0, x0 = math.floor(y), math.floor(x)
    ly, lx = y - y0, x - x0

    def at(r, c):
        return img[r, c] if 0 <= r < h and 0 <= c < w else 0.0
    return ((1 - ly) * (1 - lx) * at(y0, x0) + (1 - ly) * lx * at(y0, x0 + 1)
            + ly * (1 - lx) * at(y0 + 1, x0) + ly * lx * at(y0 + 1, x0 + 1))


def deformable_np(x, offset, mask, weight, bias, kernel, stride=(1, 1), dilate=(1, 1),
                  pad=(0, 0), groups=1, dg=1):
    n, c, h, w = x.shape
    taps = kernel[0] * kernel[1]
    ho, wo = offset.shape[2:]
    cols = np.zeros((n, c, taps, ho, wo))
    for b, ch, (t, (i, j)), oy, ox in itertools.product(
            range(n), range(c), enumerate(itertools.product(*map(range, kernel))), range(ho),
            range(wo)):
        g = ch // (c // dg)
        y = oy * stride[0] - pad[0] + i * dilate[0] + offset[b, g * 2 * taps + 2 * t, oy, ox]
        xx = ox * stride[1] - pad[1] + j * dilate[1] + offset[b, g * 2 * taps + 2 * t + 1, oy, ox]
        if mask is None:
            cols[b, ch, t, oy, ox] = sample_v1(x[b, ch], y, xx)
        else:
            cols[b, ch, t, oy, ox] = sample_v2(x[b, ch], y, xx) * mask[b, g * taps + t, oy, ox]
    f = weight.shape[0]
    cg, fg = c // groups, f // groups
    out = np.concatenate([np.einsum("fct,nctyx->nfyx",
                                    weight[k * fg:(k + 1) * fg].reshape(fg, cg, taps),
                                    cols[:, k * cg:(k + 1) * cg]) for k in range(groups)], axis=1)
    return out if bias is None else out + bias[None, :, None, None]


CONFIGS = [  # data shape, kwargs
    ((2, 4, 4, 5), dict(kernel=(3, 3), pad=(1, 1), num_filter=4, num_group=2,
                        num_deformable_group=2)),
    ((1, 2, 4, 5), dict(kernel=(2, 3), stride=(2, 1), dilate=(1, 2), pad=(1, 0), num_filter=2)),
]


def inputs(shape, kw, seed=0, on_grid=True):
    n, c, h, w = shape
    kh, kw_ = kw["kernel"]
    s, d, p = (kw.get(k, dflt) for k, dflt in (("stride", (1, 1)), ("dilate", (1, 1)),
                                                ("pad", (0, 0))))
    ho = (h + 2 * p[0] - d[0] * (kh - 1) - 1) // s[0] + 1
    wo = (w + 2 * p[1] - d[1] * (kw_ - 1) - 1) // s[1] + 1
    dg, g, f = kw.get("num_deformable_group", 1), kw.get("num_group", 1), kw["num_filter"]
    offset = rand(n, dg * 2 * kh * kw_, ho, wo, seed=seed + 1, scale=1.5)
    if on_grid:  # offsets onto grid points and the borders (kinks: not for gradient checks)
        offset.reshape(-1)[:6] = [0.0, 1.0, -1.0, 0.5, -0.5, 2.0]
    mask = np.random.default_rng(seed + 2).uniform(size=(n, dg * kh * kw_, ho, wo))
    return (rand(*shape, seed=seed), offset, mask, rand(f, c // g, kh, kw_, seed=seed + 3),
            rand(f, seed=seed + 4))


def ref_kwargs(kw):
    return dict(kernel=kw["kernel"], stride=kw.get("stride", (1, 1)),
                dilate=kw.get("dilate", (1, 1)), pad=kw.get("pad", (0, 0)),
                groups=kw.get("num_group", 1), dg=kw.get("num_deformable_group", 1))


@pytest.mark.parametrize("shape, kw", CONFIGS)
def test_deformable_convolution_matches_numpy(shape, kw):
    x, offset, mask, weight, bias = inputs(shape, kw)
    rk = ref_kwargs(kw)
    assert_eager_and_jit(lambda *a: C.DeformableConvolution(*a, **kw),
                         deformable_np(x, offset, None, weight, bias, **rk), x, offset, weight,
                         bias)
    assert_eager_and_jit(lambda *a: C.ModulatedDeformableConvolution(*a, **kw),
                         deformable_np(x, offset, mask, weight, bias, **rk), x, offset, mask,
                         weight, bias)


def test_float32_and_no_bias():
    shape, kw = CONFIGS[1]
    x, offset, mask, weight, _ = inputs(shape, kw, seed=5)
    got = C.DeformableConvolution(*(mx.nd.array(a) for a in (x, offset, weight)), no_bias=True,
                                  **kw)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got.asnumpy(), deformable_np(x, offset, None, weight, None,
                                                            **ref_kwargs(kw)),
                               rtol=1e-4, atol=1e-5)


def test_zero_offsets_are_a_convolution():
    x, w, b = rand(1, 2, 4, 4), rand(3, 2, 3, 3, seed=1), rand(3, seed=2)
    args = [mx.nd.array(a, dtype="float64") for a in (x, w, b)]
    conv = mx.nd.Convolution(*args, kernel=(3, 3), pad=(1, 1), num_filter=3).asnumpy()
    offset = mx.nd.zeros((1, 18, 4, 4), dtype="float64")
    got = C.DeformableConvolution(args[0], offset, *args[1:], kernel=(3, 3), pad=(1, 1),
                                  num_filter=3)
    np.testing.assert_allclose(got.asnumpy(), conv, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dy, dx, v1, v2", [
    # (values from MXNet 1.9.1: data [[1, 2], [3, 4]], a 1x1 kernel of weight 1 at (0, 0))
    (1.5, 0.0, 3.0, 1.5), (-0.5, 0.0, 0.0, 0.5), (0.5, 1.25, 3.0, 2.25), (2.0, 0.0, 0.0, 0.0),
    (-1.0, 0.0, 0.0, 0.0), (float("nan"), 0.0, 0.0, 0.0), (1e9, -1e9, 0.0, 0.0),
])
def test_border_rules_of_each_version(dy, dx, v1, v2):
    x = mx.nd.array([[[[1, 2], [3, 4]]]])
    offset = np.zeros((1, 2, 2, 2), np.float32)
    offset[0, :, 0, 0] = dy, dx
    off = mx.nd.array(offset)
    kw = dict(kernel=(1, 1), num_filter=1, no_bias=True)
    w = mx.nd.ones((1, 1, 1, 1))
    got1 = C.DeformableConvolution(x, off, w, **kw).asnumpy()[0, 0, 0, 0]
    got2 = C.ModulatedDeformableConvolution(x, off, mx.nd.ones((1, 1, 2, 2)), w, **kw)
    assert got1 == v1 and got2.asnumpy()[0, 0, 0, 0] == v2


def test_offsets_far_outside_give_the_bias():
    x, w, b = rand(1, 2, 3, 3), rand(2, 2, 2, 2, seed=1), rand(2, seed=2)
    far = np.full((1, 8, 2, 2), 50.0)
    got = C.DeformableConvolution(*(mx.nd.array(a, dtype="float64") for a in (x, far, w, b)),
                                  kernel=(2, 2), num_filter=2)
    np.testing.assert_array_equal(got.asnumpy(), np.broadcast_to(b[None, :, None, None],
                                                                 (1, 2, 2, 2)))


def test_gradients_of_every_input():
    kw = dict(kernel=(2, 2), pad=(1, 0), num_filter=2, num_deformable_group=2)
    x, offset, mask, weight, bias = inputs((1, 2, 3, 3), kw, seed=7, on_grid=False)
    check_grads(lambda *a: C.DeformableConvolution(*a, **kw), [x, offset, weight, bias],
                order=2, rtol=1e-5, atol=1e-6)
    check_grads(lambda *a: C.ModulatedDeformableConvolution(*a, **kw),
                [x, offset, mask, weight, bias], order=1, rtol=1e-5, atol=1e-6)


def test_gradients_through_autograd():
    kw = dict(kernel=(2, 2), num_filter=1)
    x, offset, mask, weight, bias = inputs((1, 1, 3, 3), kw, seed=9, on_grid=False)
    args = [mx.nd.array(a, dtype="float64") for a in (x, offset, mask, weight, bias)]
    for a in args:
        a.attach_grad()
    with mx.autograd.record():
        y = C.ModulatedDeformableConvolution(*args, **kw)
    y.backward()
    want = mx.grad(lambda *a: C.ModulatedDeformableConvolution(*a, **kw).sum(),
                   argnums=tuple(range(5)))(*(mx.nd.array(a, dtype="float64") for a in
                                              (x, offset, mask, weight, bias)))
    for a, g in zip(args, want):
        np.testing.assert_allclose(a.grad.asnumpy(), g.asnumpy(), rtol=1e-12, atol=1e-12)


def test_empty_batch_and_empty_maps():
    kw = dict(kernel=(1, 1), num_filter=2)
    got = C.DeformableConvolution(mx.nd.zeros((0, 2, 2, 2)), mx.nd.zeros((0, 2, 2, 2)),
                                  mx.nd.ones((2, 2, 1, 1)), mx.nd.ones(2), **kw)
    assert got.shape == (0, 2, 2, 2)
    # maps without pixels, padded: every sample lies outside, leaving the bias
    got = C.ModulatedDeformableConvolution(mx.nd.zeros((1, 2, 0, 2)), mx.nd.zeros((1, 2, 2, 4)),
                                           mx.nd.ones((1, 1, 2, 4)), mx.nd.ones((2, 2, 1, 1)),
                                           mx.nd.array([1, 2]), pad=(1, 1), **kw)
    np.testing.assert_array_equal(got.asnumpy(), np.array([1, 2]).reshape(1, 2, 1, 1)
                                  * np.ones((1, 2, 2, 4)))


def _call(modulated=False, data=(1, 2, 3, 3), offset=(1, 8, 2, 2), mask=(1, 4, 2, 2),
          weight=(2, 2, 2, 2), dtype="float32", **kw):
    kw = {"kernel": (2, 2), "num_filter": 2, **kw}
    arrays = {"data": mx.nd.ones(data, dtype=dtype), "offset": mx.nd.zeros(offset),
              "weight": mx.nd.ones(weight), "bias": mx.nd.zeros(2)}
    if modulated:
        return C.ModulatedDeformableConvolution(mask=mx.nd.ones(mask), **arrays, **kw)
    return C.DeformableConvolution(**arrays, **kw)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"kernel": (2, 2, 2)}, ParamError, "only 2-D"),
    ({"layout": "NHWC"}, ParamError, "layout must be 'NCHW'"),
    ({"stride": (0, 1)}, ParamError, "must be positive"),
    ({"num_group": 3}, ParamError, "num_group=3 must divide"),
    ({"num_deformable_group": 0}, ParamError, "num_deformable_group must be a positive int"),
    ({"data": (1, 2, 3)}, ShapeError, "data must be 4-D"),
    ({"kernel": (4, 4)}, ShapeError, "does not fit"),
    ({"offset": (1, 4, 2, 2)}, ShapeError, "offset"),
    ({"weight": (2, 1, 2, 2)}, ShapeError, "weight"),
    ({"dtype": "float64"}, DTypeError, "share a floating-point dtype"),
    ({"no_bias": False, "num_filter": 3, "weight": (3, 2, 2, 2)}, ShapeError, "bias"),
    ({"modulated": True, "mask": (1, 2, 2, 2)}, ShapeError, "mask"),
    ({"modulated": True, "num_deformable_group": 2, "offset": (1, 16, 2, 2),
      "mask": (1, 8, 2, 2), "num_filter": 3, "weight": (3, 2, 2, 2)}, ParamError,
     "must divide num_filter=3"),
    ({"modulated": True, "data": (3, 2, 3, 3), "offset": (3, 8, 2, 2), "mask": (3, 4, 2, 2),
      "im2col_step": 2}, ParamError, "divisible by im2col_step=2"),
    ({"modulated": True, "im2col_step": 0}, ParamError, "im2col_step must be a positive"),
])
def test_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        _call(**kwargs)


def test_bias_required_unless_no_bias():
    with pytest.raises(ParamError, match="bias is required"):
        C.DeformableConvolution(mx.nd.ones((1, 1, 2, 2)), mx.nd.zeros((1, 2, 2, 2)),
                                mx.nd.ones((1, 1, 1, 1)), kernel=(1, 1), num_filter=1)
