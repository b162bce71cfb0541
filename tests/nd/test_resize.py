"""contrib.AdaptiveAvgPooling2D, contrib.BilinearResize2D and SpatialTransformer against
float64 NumPy references written here (checked against MXNet 1.9.1, values and gradients),
eagerly and under mx.jit, with gradients and every user error.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import DTypeError, ParamError, ShapeError
from tests.helpers import assert_eager_and_jit, check_grads

AdaptiveAvgPooling2D = mx.nd.contrib.AdaptiveAvgPooling2D
BilinearResize2D = mx.nd.contrib.BilinearResize2D
SpatialTransformer = mx.nd.SpatialTransformer


def rand(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape)


# ---- AdaptiveAvgPooling2D ----------------------------------------------------------------


def adaptive_np(x, oh, ow):
    h, w = x.shape[2:]
    out = np.zeros(x.shape[:2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            r0, r1 = (i * h) // oh, math.ceil((i + 1) * h / oh)
            c0, c1 = (j * w) // ow, math.ceil((j + 1) * w / ow)
            out[:, :, i, j] = x[:, :, r0:r1, c0:c1].mean(axis=(2, 3))
    return out


@pytest.mark.parametrize("output_size, hw", [((), (1, 1)), (3, (3, 3)), ((2, 4), (2, 4)),
                                             ((5, 7), (5, 7)), ((7, 10), (7, 10))])
def test_adaptive_avg_pooling_matches_numpy(output_size, hw):
    x = rand(2, 3, 5, 7)
    assert_eager_and_jit(lambda v: AdaptiveAvgPooling2D(v, output_size=output_size),
                         adaptive_np(x, *hw), x)


def test_adaptive_avg_pooling_float16_gradient_and_empty():
    x = rand(1, 2, 5, 4)
    got = AdaptiveAvgPooling2D(mx.nd.array(x, dtype="float16"), output_size=(2, 3))
    assert got.dtype == np.float16
    np.testing.assert_allclose(got.asnumpy(), adaptive_np(x, 2, 3), rtol=5e-3, atol=5e-3)
    check_grads(lambda v: AdaptiveAvgPooling2D(v, output_size=(3, 2)) ** 2, [x], order=2)
    assert AdaptiveAvgPooling2D(mx.nd.ones((0, 2, 3, 3)), output_size=2).shape == (0, 2, 2, 2)


@pytest.mark.parametrize("call, error, match", [
    (lambda: AdaptiveAvgPooling2D(mx.nd.ones((2, 3, 3))), ShapeError, "must be 4-D"),
    (lambda: AdaptiveAvgPooling2D(mx.nd.ones((1, 1, 3, 3), dtype="int32")), DTypeError,
     "floating-point"),
    (lambda: AdaptiveAvgPooling2D(mx.nd.ones((1, 1, 3, 3)), output_size=(1, 2, 3)), ParamError,
     "an int or"),
    (lambda: AdaptiveAvgPooling2D(mx.nd.ones((1, 1, 0, 3)), output_size=2), ShapeError,
     "cannot pool the empty maps"),
])
def test_adaptive_avg_pooling_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---- BilinearResize2D --------------------------------------------------------------------


def linear_np(size, out, align_corners):
    """(out, size) interpolation weights with MXNet's float32 source positions."""
    f32 = np.float32
    scale = (f32(size - 1) / f32(out - 1) if align_corners else f32(size) / f32(out)) \
        if out > 1 else f32(0)
    weights = np.zeros((out, size))
    for i in range(out):
        src = scale * f32(i) if align_corners else f32(max(float(scale) * (i + 0.5) - 0.5, 0))
        lo = int(src)
        hi = lo + 1 if lo < size - 1 else lo
        lam = float(src - f32(lo))
        weights[i, lo] += 1 - lam
        weights[i, hi] += lam
    return weights


def resize_np(x, oh, ow, align_corners=True):
    rows, cols = (linear_np(s, o, align_corners) for s, o in zip(x.shape[2:], (oh, ow)))
    return np.einsum("ih,nchw,jw->ncij", rows, x, cols)


@pytest.mark.parametrize("kwargs, hw", [
    ({"height": 3, "width": 9}, (3, 9)),
    ({"height": 8, "width": 4, "align_corners": False}, (8, 4)),
    ({"scale_height": 1.7, "scale_width": 0.6}, (8, 4)),
    ({"mode": "odd_scale", "scale_height": 2.0, "scale_width": 0.5}, (9, 4)),
    ({"mode": "to_even_up"}, (6, 8)), ({"mode": "to_even_down"}, (4, 6)),
    ({"mode": "to_odd_up"}, (5, 7)), ({"mode": "to_odd_down", "align_corners": False}, (5, 7)),
    ({}, (1, 1)), ({"height": 12, "width": 15, "align_corners": False}, (12, 15)),
])
def test_bilinear_resize_matches_numpy(kwargs, hw):
    x = rand(2, 3, 5, 7)
    assert_eager_and_jit(lambda v: BilinearResize2D(v, **kwargs),
                         resize_np(x, *hw, kwargs.get("align_corners", True)), x)


def test_bilinear_resize_like_mxnet_example_and_float32():
    like = mx.nd.zeros((1, 1, 4, 11))
    got = BilinearResize2D(mx.nd.array(rand(1, 2, 3, 3)), like, mode="like")
    assert got.shape == (1, 2, 4, 11) and got.dtype == np.float32
    # (MXNet 1.9.1's output, both with and without align_corners)
    x = mx.nd.array(np.arange(4).reshape(1, 1, 2, 2))
    for corners in (True, False):
        got = BilinearResize2D(x, height=3, width=3, align_corners=corners).asnumpy()[0, 0]
        np.testing.assert_allclose(got, [[0, 0.5, 1], [1, 1.5, 2], [2, 2.5, 3]])


def test_bilinear_resize_gradients():
    x = rand(1, 2, 3, 4, seed=1)
    check_grads(lambda v: BilinearResize2D(v, height=5, width=3) ** 2, [x], order=2)
    check_grads(lambda v: BilinearResize2D(v, height=2, width=6, align_corners=False) ** 2, [x],
                order=1)
    data, like = mx.nd.array(x), mx.nd.ones((1, 1, 2, 2))
    data.attach_grad()
    like.attach_grad()
    with mx.autograd.record():
        y = BilinearResize2D(data, like, mode="like")
    y.backward()
    np.testing.assert_array_equal(like.grad.asnumpy(), np.zeros((1, 1, 2, 2)))  # (only a shape)


def test_bilinear_resize_to_nothing():
    assert BilinearResize2D(mx.nd.ones((1, 1, 5, 5)), scale_height=0.1,
                            scale_width=0.1).shape == (1, 1, 0, 0)


@pytest.mark.parametrize("call, error, match", [
    (lambda: BilinearResize2D(mx.nd.ones((1, 3, 3))), ShapeError, "must be 4-D"),
    (lambda: BilinearResize2D(mx.nd.ones((1, 1, 2, 2), dtype="int32")), DTypeError,
     "floating-point"),
    (lambda: BilinearResize2D(mx.nd.ones((1, 1, 2, 2)), mode="area"), ParamError,
     "mode must be one of"),
    (lambda: BilinearResize2D(mx.nd.ones((1, 1, 2, 2)), mode="like"), ParamError,
     "exactly when mode='like'"),
    (lambda: BilinearResize2D(mx.nd.ones((1, 1, 2, 2)), mx.nd.ones((1, 1, 3, 3))), ParamError,
     "exactly when mode='like'"),
    (lambda: BilinearResize2D(mx.nd.ones((1, 1, 2, 2)), mx.nd.ones((3, 3)), mode="like"),
     ShapeError, "like must be 4-D"),
    (lambda: BilinearResize2D(mx.nd.ones((1, 1, 2, 2)), height=0), ParamError,
     "height must be a positive int"),
    (lambda: BilinearResize2D(mx.nd.ones((1, 1, 2, 2)), mode="odd_scale"), ParamError,
     "needs scale_height"),
    (lambda: BilinearResize2D(mx.nd.ones((1, 1, 2, 2)), scale_height=-1.0), ShapeError,
     "cannot resize"),
    (lambda: BilinearResize2D(mx.nd.ones((1, 1, 0, 2)), height=2, width=2), ShapeError,
     "cannot resize"),
])
def test_bilinear_resize_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---- SpatialTransformer ------------------------------------------------------------------


def sampler_np(x, loc, oh, ow):
    n, c, h, w = x.shape
    ys, xs = np.meshgrid(np.linspace(-1, 1, oh), np.linspace(-1, 1, ow), indexing="ij")
    out = np.zeros((n, c, oh, ow))
    for b in range(n):
        theta = loc[b].reshape(2, 3)
        gx = theta[0, 0] * xs + theta[0, 1] * ys + theta[0, 2]
        gy = theta[1, 0] * xs + theta[1, 1] * ys + theta[1, 2]
        px, py = (gx + 1) * (w - 1) / 2, (gy + 1) * (h - 1) / 2
        x0, y0 = np.floor(px).astype(int), np.floor(py).astype(int)
        for dy in (0, 1):
            for dx in (0, 1):
                wt = (1 - abs(px - x0 - dx)) * (1 - abs(py - y0 - dy))
                xi, yi = x0 + dx, y0 + dy
                inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
                vals = x[b][:, np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)]
                out[b] += vals * (wt * inside)
    return out


LOC = np.array([[0.9, 0.1, 0.05, -0.2, 1.1, 0.1], [1.3, -0.3, 0.2, 0.25, 0.7, -0.3]])


def test_spatial_transformer_matches_numpy():
    x = rand(2, 3, 5, 7)
    kw = dict(target_shape=(4, 6), transform_type="affine", sampler_type="bilinear")
    assert_eager_and_jit(lambda v, t: SpatialTransformer(v, t, **kw), sampler_np(x, LOC, 4, 6),
                         x, LOC)
    identity = mx.nd.array([[1, 0, 0, 0, 1, 0]])
    data = mx.nd.array(rand(1, 2, 3, 4))
    got = SpatialTransformer(data, identity, target_shape=(3, 4), transform_type="affine",
                             sampler_type="bilinear")
    np.testing.assert_allclose(got.asnumpy(), data.asnumpy(), rtol=1e-5, atol=1e-6)


def test_spatial_transformer_gradients():
    kw = dict(target_shape=(2, 3), transform_type="affine", sampler_type="bilinear")
    loc = np.array([[0.83, 0.11, 0.07, -0.17, 1.07, 0.13]])  # (no sample on a pixel: kinks)
    check_grads(lambda v, t: SpatialTransformer(v, t, **kw), [rand(1, 1, 3, 4), loc], order=1)


@pytest.mark.parametrize("kwargs, shapes, error, match", [
    ({"transform_type": "warp"}, None, ParamError, "transform_type must be 'affine'"),
    ({"sampler_type": "nearest"}, None, ParamError, "sampler_type must be 'bilinear'"),
    ({"target_shape": (0, 2)}, None, ParamError, "target_shape must be a positive"),
    ({}, ((1, 3, 3), (1, 6)), ShapeError, "data must be 4-D"),
    ({}, ((2, 1, 3, 3), (1, 6)), ShapeError, r"loc must have shape \(2, 6\)"),
])
def test_spatial_transformer_errors(kwargs, shapes, error, match):
    data, loc = shapes or ((1, 1, 3, 3), (1, 6))
    kw = {"target_shape": (2, 2), "transform_type": "affine", "sampler_type": "bilinear",
          **kwargs}
    with pytest.raises(error, match=match):
        SpatialTransformer(mx.nd.ones(data), mx.nd.ones(loc), **kw)


def test_spatial_transformer_requires_its_types():
    with pytest.raises(ParamError, match="'transform_type' is required"):
        SpatialTransformer(mx.nd.ones((1, 1, 2, 2)), mx.nd.ones((1, 6)), target_shape=(2, 2),
                           sampler_type="bilinear")
