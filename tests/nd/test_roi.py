"""Region-of-interest pooling (ROIPooling, ROIAlign, PSROIPooling, DeformablePSROIPooling,
RROIAlign) against NumPy references written here as MXNet 1.9.1's CPU loops in float64,
eagerly and under `mx.jit`, with their gradients and errors. A few expected values are
copied from real MXNet output (said where)."""
from __future__ import annotations

import math

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import DTypeError, GradientError, ParamError, ShapeError
from tests.helpers import check_grads

C = mx.nd.contrib
TOL = {"float16": 3e-2, "float32": 1e-4, "float64": 1e-9}


def _eager_and_jit(f, *args, jit: bool = True):  # type: ignore[no-untyped-def]
    """f(*args) eagerly, checked against the same call under mx.jit."""
    eager = f(*args)
    if jit:
        traced = mx.jit(f)(*args)
        assert traced.shape == eager.shape and traced.dtype == eager.dtype
        np.testing.assert_allclose(traced.asnumpy(), eager.asnumpy(), rtol=1e-5, atol=1e-5)
    return eager


def _close(got: mx.nd.NDArray, want: np.ndarray, dtype: str) -> None:
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_allclose(got.asnumpy().astype(np.float64), want, rtol=TOL[dtype],
                               atol=TOL[dtype])


def _rois(rng: np.random.Generator, n: int, batches: int, h: int, w: int) -> np.ndarray:
    x1, y1 = rng.uniform(-2, w, n), rng.uniform(-2, h, n)
    x2, y2 = x1 + rng.uniform(0, w, n), y1 + rng.uniform(0, h, n)
    return np.stack([rng.integers(0, batches, n), x1, y1, x2, y2], axis=1)


def _round(v: float) -> int:  # (C++'s round: half away from zero)
    return int(math.copysign(math.floor(abs(v) + 0.5), v))


def _image(data: np.ndarray, index: float) -> np.ndarray | None:
    b = int(index)
    return data[b] if 0 <= b < data.shape[0] else None


# ---- references -------------------------------------------------------------------------------


def _bilinear(img: np.ndarray, y: float, x: float) -> np.ndarray:
    h, w = img.shape[1:]
    if y < -1 or y > h or x < -1 or x > w:
        return np.zeros(img.shape[0])
    y, x = max(y, 0.0), max(x, 0.0)
    y0, x0 = int(y), int(x)
    y1, x1 = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
    y, x = (h - 1 if y0 >= h - 1 else y), (w - 1 if x0 >= w - 1 else x)
    y0, x0 = min(y0, h - 1), min(x0, w - 1)
    ly, lx = y - y0, x - x0
    return ((1 - ly) * (1 - lx) * img[:, y0, x0] + (1 - ly) * lx * img[:, y0, x1] +
            ly * (1 - lx) * img[:, y1, x0] + ly * lx * img[:, y1, x1])


def _ref_align(data: np.ndarray, rois: np.ndarray, pooled: tuple[int, int], scale: float,
               ratio: int = -1, sensitive: bool = False, aligned: bool = False) -> np.ndarray:
    ph_n, pw_n = pooled
    chans = data.shape[1] // (ph_n * pw_n) if sensitive else data.shape[1]
    out = np.zeros((len(rois), chans, ph_n, pw_n))
    for n, roi in enumerate(rois):
        img = _image(data, roi[0])
        if img is None:
            continue
        off = 0.5 if aligned else 0.0
        x1, y1, x2, y2 = (v * scale - off for v in roi[1:])
        rw, rh = x2 - x1, y2 - y1
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        bh, bw = rh / ph_n, rw / pw_n
        gh = ratio if ratio > 0 else math.ceil(rh / ph_n)
        gw = ratio if ratio > 0 else math.ceil(rw / pw_n)
        for ph in range(ph_n):
            for pw in range(pw_n):
                acc = sum(_bilinear(img, y1 + ph * bh + (iy + 0.5) * bh / gh,
                                    x1 + pw * bw + (ix + 0.5) * bw / gw)
                          for iy in range(gh) for ix in range(gw)) / (gh * gw)
                out[n, :, ph, pw] = acc[np.arange(chans) * ph_n * pw_n + ph * pw_n + pw] \
                    if sensitive else acc
    return out


def _ref_pool(data: np.ndarray, rois: np.ndarray, pooled: tuple[int, int], scale: float
              ) -> np.ndarray:
    h, w = data.shape[2:]
    out = np.zeros((len(rois), data.shape[1]) + pooled)
    for n, roi in enumerate(rois):
        img = _image(data, roi[0])
        if img is None:
            continue
        x1, y1, x2, y2 = (_round(v * scale) for v in roi[1:])
        bh, bw = max(y2 - y1 + 1, 1) / pooled[0], max(x2 - x1 + 1, 1) / pooled[1]
        for ph in range(pooled[0]):
            for pw in range(pooled[1]):
                hs, he = (min(max(v, 0), h) for v in (math.floor(ph * bh) + y1,
                                                       math.ceil((ph + 1) * bh) + y1))
                ws, we = (min(max(v, 0), w) for v in (math.floor(pw * bw) + x1,
                                                       math.ceil((pw + 1) * bw) + x1))
                if he > hs and we > ws:
                    out[n, :, ph, pw] = img[:, hs:he, ws:we].max(axis=(1, 2))
    return out


def _group(p: int, group: int, pooled: int) -> int:
    return min(max(p * group // pooled, 0), group - 1)


def _ref_psroi(data: np.ndarray, rois: np.ndarray, scale: float, out_dim: int, pooled: int,
               group: int) -> np.ndarray:
    h, w = data.shape[2:]
    out = np.zeros((len(rois), out_dim, pooled, pooled))
    for n, roi in enumerate(rois):
        img = _image(data, roi[0])
        x1, y1 = _round(roi[1]) * scale, _round(roi[2]) * scale
        x2, y2 = (_round(roi[3]) + 1) * scale, (_round(roi[4]) + 1) * scale
        bh, bw = max(y2 - y1, 0.1) / pooled, max(x2 - x1, 0.1) / pooled
        for c in range(out_dim):
            for ph in range(pooled):
                for pw in range(pooled):
                    hs, he = (min(max(v, 0), h) for v in (math.floor(ph * bh + y1),
                                                           math.ceil((ph + 1) * bh + y1)))
                    ws, we = (min(max(v, 0), w) for v in (math.floor(pw * bw + x1),
                                                           math.ceil((pw + 1) * bw + x1)))
                    if img is None or he <= hs or we <= ws:
                        continue
                    ch = (c * group + _group(ph, group, pooled)) * group + _group(pw, group,
                                                                                  pooled)
                    out[n, c, ph, pw] = img[ch, hs:he, ws:we].mean()
    return out


def _ref_deformable(data: np.ndarray, rois: np.ndarray, trans: np.ndarray | None,
                    scale: float, out_dim: int, group: int, pooled: int, part: int,
                    samples: int, std: float) -> np.ndarray:
    h, w = data.shape[2:]
    classes = 1 if trans is None else trans.shape[1] // 2
    out = np.zeros((len(rois), out_dim, pooled, pooled))
    for n, roi in enumerate(rois):
        img = _image(data, roi[0])
        x1, y1 = _round(roi[1]) * scale - 0.5, _round(roi[2]) * scale - 0.5
        x2, y2 = (_round(roi[3]) + 1) * scale - 0.5, (_round(roi[4]) + 1) * scale - 0.5
        rw, rh = max(x2 - x1, 0.1), max(y2 - y1, 0.1)
        bw, bh = rw / pooled, rh / pooled
        for c in range(out_dim):
            cls = c // (out_dim // classes)
            for ph in range(pooled):
                for pw in range(pooled):
                    ph_part, pw_part = math.floor(ph / pooled * part), math.floor(pw / pooled *
                                                                                  part)
                    tx = 0.0 if trans is None else trans[n, 2 * cls, ph_part, pw_part] * std
                    ty = 0.0 if trans is None else trans[n, 2 * cls + 1, ph_part, pw_part] * std
                    ws, hs = pw * bw + x1 + tx * rw, ph * bh + y1 + ty * rh
                    ch = (c * group + _group(ph, group, pooled)) * group + _group(pw, group,
                                                                                  pooled)
                    total, count = 0.0, 0
                    for iy in range(samples):
                        for ix in range(samples):
                            x, y = ws + ix * bw / samples, hs + iy * bh / samples
                            if img is None or x < -0.5 or x > w - 0.5 or y < -0.5 or \
                                    y > h - 0.5:
                                continue
                            x, y = min(max(x, 0), w - 1), min(max(y, 0), h - 1)
                            xa, xb, ya, yb = math.floor(x), math.ceil(x), math.floor(y), \
                                math.ceil(y)
                            dx, dy = x - xa, y - ya
                            total += ((1 - dx) * (1 - dy) * img[ch, ya, xa] +
                                      (1 - dx) * dy * img[ch, yb, xa] +
                                      dx * (1 - dy) * img[ch, ya, xb] + dx * dy * img[ch, yb, xb])
                            count += 1
                    out[n, c, ph, pw] = total / count if count else 0.0
    return out


def _ref_rotated(data: np.ndarray, rois: np.ndarray, pooled: tuple[int, int], scale: float,
                 ratio: int = -1) -> np.ndarray:
    out = np.zeros((len(rois), data.shape[1]) + pooled)
    for n, roi in enumerate(rois):
        img = _image(data, roi[0])
        if img is None:
            continue
        cx, cy, rw, rh = (v * scale for v in roi[1:5])
        theta = roi[5] * math.pi / 180
        rw, rh = max(rw, 1.0), max(rh, 1.0)
        bh, bw = rh / pooled[0], rw / pooled[1]
        gh = ratio if ratio > 0 else math.ceil(rh / pooled[0])
        gw = ratio if ratio > 0 else math.ceil(rw / pooled[1])
        for ph in range(pooled[0]):
            for pw in range(pooled[1]):
                acc = np.zeros(data.shape[1])
                for iy in range(gh):
                    yy = -rh / 2 + ph * bh + (iy + 0.5) * bh / gh
                    for ix in range(gw):
                        xx = -rw / 2 + pw * bw + (ix + 0.5) * bw / gw
                        acc += _bilinear(img, yy * math.cos(theta) - xx * math.sin(theta) + cy,
                                         xx * math.cos(theta) + yy * math.sin(theta) + cx)
                out[n, :, ph, pw] = acc / (gh * gw)
    return out


# ---- ROIAlign ----------------------------------------------------------------------------------


def test_roi_align_matches_mxnet_values() -> None:
    x = mx.nd.arange(2 * 3 * 4 * 5).reshape((2, 3, 4, 5))
    r = mx.nd.array([[0, 0.5, 0.5, 3.2, 2.9], [1, 1.2, 0.1, 4.7, 3.6]])
    got = C.ROIAlign(x, r, pooled_size=(2, 2), spatial_scale=1.0).asnumpy()[:, 0]
    # (from MXNet 1.9.1)
    np.testing.assert_allclose(got, [[[6.675, 8.025], [12.675, 14.025]],
                                     [[66.95, 68.56875], [75.29375, 76.9125]]], rtol=1e-5)
    got = C.ROIAlign(x, r, pooled_size=(2, 2), spatial_scale=1.0, aligned=True,
                     sample_ratio=2).asnumpy()[:, 0]
    np.testing.assert_allclose(got, [[[3.675, 5.025], [9.675, 11.025]],
                                     [[63.95, 65.7], [72.7, 74.45]]], rtol=1e-5)


@pytest.mark.parametrize("kwargs", [
    dict(pooled_size=(2, 3), spatial_scale=1.0),
    dict(pooled_size=(3, 2), spatial_scale=0.5, sample_ratio=2),
    dict(pooled_size=(2, 2), spatial_scale=1.0, position_sensitive=True),
    dict(pooled_size=(2, 2), spatial_scale=0.9, aligned=True),
])
def test_roi_align_matches_numpy(kwargs: dict) -> None:
    rng = np.random.default_rng(0)
    data = rng.normal(0, 1, (2, 8, 6, 7))
    rois = _rois(rng, 5, 2, 6, 7)
    rois[1] = [0, -30, -20, 40, 35]  # far beyond the map: a large adaptive grid
    rois[2, 0] = -1  # no image: zeros
    want = _ref_align(data, rois, kwargs["pooled_size"], kwargs["spatial_scale"],
                      kwargs.get("sample_ratio", -1), kwargs.get("position_sensitive", False),
                      kwargs.get("aligned", False))
    for dtype in ("float32", "float64"):
        got = _eager_and_jit(lambda d, r: C.ROIAlign(d, r, **kwargs),
                             mx.nd.array(data, dtype=dtype), mx.nd.array(rois, dtype=dtype),
                             jit=dtype == "float32")
        _close(got, want, dtype)


def test_roi_align_gradients_reach_the_data_only() -> None:
    rng = np.random.default_rng(1)
    data, rois = rng.normal(0, 1, (2, 2, 3, 4)), _rois(rng, 3, 2, 3, 4)
    r = mx.nd.array(rois, dtype="float64")
    check_grads(lambda v: C.ROIAlign(v, r, pooled_size=(2, 2), spatial_scale=1.0), [data],
                order=2)
    check_grads(lambda v: C.ROIAlign(v, r, pooled_size=(1, 2), spatial_scale=0.8,
                                     sample_ratio=2, position_sensitive=True), [data], order=1)
    g = mx.grad(lambda v: C.ROIAlign(mx.nd.array(data, dtype="float64"), v, pooled_size=(2, 2),
                                     spatial_scale=1.0).sum())(r)
    assert not g.asnumpy().any()


def test_roi_align_float16_empty_and_nan_regions() -> None:
    data = np.random.default_rng(2).normal(0, 1, (1, 2, 4, 4))
    rois = np.array([[0, 0.5, 0.25, 3.5, 2.75], [0, 1, 1, 3, 3.5], [0, -1, 0, 2.5, 2]])
    got = C.ROIAlign(mx.nd.array(data, dtype="float16"), mx.nd.array(rois, dtype="float16"),
                     pooled_size=(2, 2), spatial_scale=1.0)
    want = _ref_align(data.astype(np.float16).astype(np.float64),
                      rois.astype(np.float16).astype(np.float64), (2, 2), 1.0)
    _close(got, want, "float16")
    none = C.ROIAlign(mx.nd.ones((1, 2, 4, 4)), mx.nd.zeros((0, 5)), pooled_size=(2, 2),
                      spatial_scale=1.0)
    assert none.shape == (0, 2, 2, 2)
    nan = C.ROIAlign(mx.nd.ones((1, 2, 4, 4)), mx.nd.array([[np.nan, 0, 0, 2, 2]]),
                     pooled_size=(2, 2), spatial_scale=1.0)
    assert (nan.asnumpy() == 0).all()


# ---- ROIPooling --------------------------------------------------------------------------------


def test_roi_pooling_matches_mxnet_example() -> None:
    x = mx.nd.arange(48).reshape((1, 1, 8, 6))
    y = mx.nd.array([[0, 0, 0, 4, 4]])
    # (MXNet 1.9.1's documented example)
    np.testing.assert_array_equal(mx.nd.ROIPooling(x, y, (2, 2), 1.0).asnumpy(),
                                  [[[[14, 16], [26, 28]]]])
    np.testing.assert_array_equal(mx.nd.ROIPooling(x, y, (2, 2), 0.7).asnumpy(),
                                  [[[[7, 9], [19, 21]]]])


@pytest.mark.parametrize("pooled, scale", [((2, 3), 1.0), ((3, 3), 0.5)])
def test_roi_pooling_matches_numpy(pooled: tuple[int, int], scale: float) -> None:
    rng = np.random.default_rng(3)
    data = rng.normal(0, 1, (2, 4, 7, 9))
    rois = _rois(rng, 6, 2, 7, 9) / np.array([1, scale, scale, scale, scale])
    rois[1, 3] = rois[1, 1]  # one pixel wide
    rois[2, 4] = rois[2, 2] - 3  # inverted: forced to one pixel
    rois[3, 0] = 5  # no such image: zeros
    want = _ref_pool(data, rois, pooled, scale)
    for dtype in ("float16", "float32", "float64"):
        got = _eager_and_jit(lambda d, r: mx.nd.ROIPooling(d, r, pooled_size=pooled,
                                                           spatial_scale=scale),
                             mx.nd.array(data, dtype=dtype), mx.nd.array(rois, dtype=dtype),
                             jit=dtype == "float32")
        if dtype == "float16":
            want16 = _ref_pool(data.astype(np.float16).astype(np.float64),
                               rois.astype(np.float16).astype(np.float64), pooled, scale)
            _close(got, want16, dtype)
        else:
            _close(got, want, dtype)


def test_roi_pooling_gradient_goes_to_the_first_maximum() -> None:
    rng = np.random.default_rng(4)
    data, rois = rng.normal(0, 1, (2, 2, 4, 5)), _rois(rng, 4, 2, 4, 5)
    r = mx.nd.array(rois, dtype="float64")
    check_grads(lambda v: mx.nd.ROIPooling(v, r, pooled_size=(2, 2), spatial_scale=1.0),
                [data], order=2)
    x = mx.nd.zeros((1, 1, 2, 2))  # a tie: MXNet's backward picks the first element only
    g = mx.grad(lambda v: mx.nd.ROIPooling(v, mx.nd.array([[0, 0, 0, 1, 1]]), (1, 1),
                                           1.0).sum())(x)
    assert g.asnumpy().reshape(-1).tolist() == [1, 0, 0, 0]


# ---- PSROIPooling ------------------------------------------------------------------------------


def test_psroi_pooling_matches_mxnet_values_and_numpy() -> None:
    x = mx.nd.arange(2 * 8 * 5 * 5).reshape((2, 8, 5, 5))
    r = mx.nd.array([[0, 0, 0, 3, 3], [1, 1, 1, 4, 2]])
    got = C.PSROIPooling(x, r, spatial_scale=1.0, output_dim=2, pooled_size=2)
    np.testing.assert_allclose(got.asnumpy(), [  # (from MXNet 1.9.1)
        [[[3, 30], [63, 90]], [[103, 130], [163, 190]]],
        [[[206.5, 233.5], [261.5, 288.5]], [[306.5, 333.5], [361.5, 388.5]]]])
    rng = np.random.default_rng(5)
    data = rng.normal(0, 1, (2, 18, 6, 7))
    rois = _rois(rng, 5, 2, 12, 14)
    rois[4, 0] = -1
    for kwargs in (dict(spatial_scale=0.5, output_dim=2, pooled_size=3),
                   dict(spatial_scale=1.0, output_dim=4, pooled_size=3, group_size=2)):
        want = _ref_psroi(data, rois, kwargs["spatial_scale"], kwargs["output_dim"],
                          kwargs["pooled_size"], kwargs.get("group_size") or 3)
        got = _eager_and_jit(lambda d, q, kw=kwargs: C.PSROIPooling(d, q, **kw),
                             mx.nd.array(data), mx.nd.array(rois))
        _close(got, want, "float32")
    small = data[:1, :8, :4, :5]
    r64 = mx.nd.array(rois[:3] / 2, dtype="float64")
    check_grads(lambda v: C.PSROIPooling(v, r64, spatial_scale=1.0, output_dim=2,
                                         pooled_size=2), [small], order=1)
    assert C.PSROIPooling(mx.nd.array(small), mx.nd.zeros((0, 5)), spatial_scale=0.5,
                          output_dim=2, pooled_size=2).shape == (0, 2, 2, 2)


# ---- DeformablePSROIPooling --------------------------------------------------------------------


def test_deformable_psroi_pooling_matches_mxnet_values() -> None:
    x = mx.nd.arange(8 * 4 * 4).reshape((1, 8, 4, 4))
    t = mx.nd.array(np.array([0.1, -0.2, 0.3, 0.0, 0.2, 0.1, -0.1, 0.05]).reshape(1, 2, 2, 2))
    got = C.DeformablePSROIPooling(x, mx.nd.array([[0, 0, 0, 2, 3]]), t, spatial_scale=1.0,
                                   output_dim=2, group_size=2, pooled_size=2, trans_std=0.5,
                                   sample_per_part=2)
    np.testing.assert_allclose(got.asnumpy(), [[[[2, 18.475], [39.55, 57.775]],  # (MXNet)
                                                [[66, 82.475], [103.55, 121.775]]]], rtol=1e-5)


@pytest.mark.parametrize("kwargs, classes", [
    (dict(spatial_scale=1.0, output_dim=2, group_size=2, pooled_size=2, trans_std=0.3), 2),
    (dict(spatial_scale=0.7, output_dim=2, group_size=2, pooled_size=2, sample_per_part=3,
          trans_std=0.2, part_size=3), 1),
    (dict(spatial_scale=1.0, output_dim=2, group_size=2, pooled_size=3, sample_per_part=2,
          no_trans=True), 0),
])
def test_deformable_psroi_pooling_matches_numpy(kwargs: dict, classes: int) -> None:
    rng = np.random.default_rng(6)
    data, rois = rng.normal(0, 1, (2, 8, 6, 7)), _rois(rng, 4, 2, 6, 7)
    rois[3, 0] = 2
    part = kwargs.get("part_size") or kwargs["pooled_size"]
    trans = rng.normal(0, 0.5, (4, 2 * classes, part, part)) if classes else None
    want = _ref_deformable(data, rois, trans, kwargs["spatial_scale"], kwargs["output_dim"],
                           kwargs["group_size"], kwargs["pooled_size"], part,
                           kwargs.get("sample_per_part", 1), kwargs.get("trans_std", 0.0))
    args = [mx.nd.array(data), mx.nd.array(rois)] + ([mx.nd.array(trans)] if classes else [])
    got = _eager_and_jit(lambda *v: C.DeformablePSROIPooling(*v, **kwargs), *args)
    _close(got, want, "float32")


def test_deformable_psroi_pooling_gradients_to_data_and_offsets() -> None:
    rng = np.random.default_rng(7)
    data, rois = rng.normal(0, 1, (1, 8, 3, 4)), _rois(rng, 2, 1, 3, 4)
    trans = rng.normal(0, 0.5, (2, 2, 2, 2))
    r = mx.nd.array(rois, dtype="float64")
    check_grads(lambda v, t: C.DeformablePSROIPooling(
        v, r, t, spatial_scale=1.0, output_dim=2, group_size=2, pooled_size=2,
        sample_per_part=2, trans_std=0.4), [data, trans], order=1, rtol=1e-4)


# ---- RROIAlign ---------------------------------------------------------------------------------


def test_rroi_align_matches_mxnet_values_and_numpy() -> None:
    x = mx.nd.arange(2 * 3 * 4 * 5).reshape((2, 3, 4, 5))
    rr = mx.nd.array([[0, 2.0, 1.5, 3.0, 2.0, 30.0], [1, 2.5, 2.0, 2.0, 3.0, -45.0]])
    got = C.RROIAlign(x, rr, pooled_size=(2, 2), spatial_scale=1.0).asnumpy()[:, 0]
    np.testing.assert_allclose(got, [[[8.310417, 5.859455], [13.140545, 10.689583]],  # (MXNet)
                                     [[68.257355, 72.5], [72.5, 76.37002]]], rtol=1e-5)
    rng = np.random.default_rng(8)
    data = rng.normal(0, 1, (2, 3, 6, 7))
    rois = np.stack([rng.integers(0, 2, 4), rng.uniform(0, 7, 4), rng.uniform(0, 6, 4),
                     rng.uniform(0.5, 6, 4), rng.uniform(0.5, 6, 4), rng.uniform(-90, 90, 4)], 1)
    rois[3, 0] = -1
    for kwargs in (dict(pooled_size=(2, 3), spatial_scale=1.0),
                   dict(pooled_size=(3, 2), spatial_scale=0.5, sampling_ratio=2)):
        want = _ref_rotated(data, rois, kwargs["pooled_size"], kwargs["spatial_scale"],
                            kwargs.get("sampling_ratio", -1))
        got = _eager_and_jit(lambda d, r, kw=kwargs: C.RROIAlign(d, r, **kw),
                             mx.nd.array(data, dtype="float64"),
                             mx.nd.array(rois, dtype="float64"))
        _close(got, want, "float64")
    with pytest.raises(GradientError, match="RROIAlign has no gradient"):
        mx.grad(lambda v: C.RROIAlign(v, rr, pooled_size=(2, 2), spatial_scale=1.0).sum())(x)


# ---- edge cases ----------------------------------------------------------------------------------


@pytest.mark.parametrize("call, shape", [
    (lambda d, r: mx.nd.ROIPooling(d, r, pooled_size=(2, 2), spatial_scale=1.0), (8, 2, 2)),
    (lambda d, r: C.ROIAlign(d, r, pooled_size=(2, 2), spatial_scale=1.0), (8, 2, 2)),
    (lambda d, r: C.PSROIPooling(d, r, spatial_scale=1.0, output_dim=2, pooled_size=2),
     (2, 2, 2)),
    (lambda d, r: C.DeformablePSROIPooling(d, r, spatial_scale=1.0, output_dim=2, group_size=2,
                                           pooled_size=2, no_trans=True), (2, 2, 2)),
    (lambda d, r: C.RROIAlign(d, mx.nd.concat(r, r[:, :1], dim=1), pooled_size=(2, 2),
                              spatial_scale=1.0), (8, 2, 2)),
])
def test_empty_maps_batches_and_regions(call, shape) -> None:  # type: ignore[no-untyped-def]
    rois = mx.nd.array([[0, 0, 0, 2, 2], [0, 1, 1, 3, 2]])
    for data in (mx.nd.ones((0, 8, 4, 4)), mx.nd.ones((1, 8, 0, 4))):
        out = call(data, rois)
        assert out.shape == (2,) + shape and not out.asnumpy().any()
    assert call(mx.nd.ones((1, 8, 4, 4)), rois[:0]).shape == (0,) + shape


# ---- errors ------------------------------------------------------------------------------------

_X, _R = mx.nd.ones((1, 8, 4, 4)), mx.nd.array([[0, 0, 0, 2, 2]])


@pytest.mark.parametrize("call, error, match", [
    (lambda: C.ROIAlign(mx.nd.ones((8, 4, 4)), _R, pooled_size=(2, 2), spatial_scale=1.0),
     ShapeError, "data must be 4-D"),
    (lambda: C.ROIAlign(_X, mx.nd.ones((1, 4)), pooled_size=(2, 2), spatial_scale=1.0),
     ShapeError, r"rois must be 2-D \(num_rois, 5\)"),
    (lambda: C.ROIAlign(_X, _R.astype("float64"), pooled_size=(2, 2), spatial_scale=1.0),
     DTypeError, "one floating-point dtype"),
    (lambda: C.ROIAlign(_X, _R, pooled_size=(2, 2), spatial_scale=2.0), ParamError,
     r"spatial_scale must lie in \[0, 1\]"),
    (lambda: C.ROIAlign(_X, _R, pooled_size=(2, 0), spatial_scale=1.0), ParamError,
     "pooled_size must be 2 positive ints"),
    (lambda: C.ROIAlign(_X, _R, pooled_size=(3, 3), spatial_scale=1.0,
                        position_sensitive=True), ShapeError, "divisible"),
    (lambda: C.ROIAlign(_X, _R, pooled_size=(2, 2)), ParamError, "spatial_scale"),
    (lambda: mx.nd.ROIPooling(_X, _R, pooled_size=2, spatial_scale=1.0), ParamError,
     "pooled_size"),
    (lambda: C.PSROIPooling(_X, _R, spatial_scale=1.0, output_dim=3, pooled_size=2),
     ShapeError, "at least output_dim"),
    (lambda: C.PSROIPooling(_X, _R, spatial_scale=1.0, output_dim=0, pooled_size=2),
     ParamError, "output_dim"),
    (lambda: C.PSROIPooling(_X, _R, spatial_scale=1.0, output_dim=2, pooled_size=2,
                            group_size=-1), ParamError, "group_size"),
    (lambda: C.DeformablePSROIPooling(_X, _R, spatial_scale=1.0, output_dim=2, group_size=2,
                                      pooled_size=2), ParamError, "trans is required"),
    (lambda: C.DeformablePSROIPooling(_X, _R, mx.nd.ones((1, 3, 2, 2)), spatial_scale=1.0,
                                      output_dim=2, group_size=2, pooled_size=2), ShapeError,
     "trans must be"),
    (lambda: C.DeformablePSROIPooling(_X, _R, spatial_scale=1.0, output_dim=2, group_size=2,
                                      pooled_size=2, no_trans=True, trans_std=2.0),
     ParamError, "trans_std"),
    (lambda: C.RROIAlign(_X, _R, pooled_size=(2, 2), spatial_scale=1.0), ShapeError,
     r"\(num_rois, 6\)"),
])
def test_roi_errors(call, error, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=match):
        call()
