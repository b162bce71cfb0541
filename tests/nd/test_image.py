"""mx.nd.image (to_tensor, normalize, crop, resize) and GridGenerator / BilinearSampler,
against NumPy references written from MXNet's and OpenCV's definitions."""
from __future__ import annotations

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import DTypeError, ShapeError
from tests.helpers import check_grads

I = mx.nd.image  # noqa: E741
RNG = np.random.default_rng(0)


# ---- to_tensor, normalize, crop ---------------------------------------------------------------


def test_to_tensor() -> None:
    img = RNG.integers(0, 256, (4, 5, 3)).astype(np.uint8)
    got = I.to_tensor(mx.nd.array(img, dtype="uint8"))
    assert got.dtype == np.float32 and got.shape == (3, 4, 5)
    np.testing.assert_allclose(got.asnumpy(), img.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    batch = np.stack([img, 255 - img])
    got = I.to_tensor(mx.nd.array(batch, dtype="uint8")).asnumpy()
    np.testing.assert_allclose(got, batch.transpose(0, 3, 1, 2) / 255.0, rtol=1e-6)
    f = mx.jit(I.to_tensor)
    np.testing.assert_allclose(f(mx.nd.array(img, dtype="uint8")).asnumpy(),
                               img.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    with pytest.raises(ShapeError, match=r"\(H, W, C\)"):
        I.to_tensor(mx.nd.zeros((4, 5)))
    with pytest.raises(TypeError, match="an array"):
        I.to_tensor(img)


def test_normalize() -> None:
    x = RNG.random((3, 4, 5)).astype(np.float32)
    mean, std = (0.1, 0.2, 0.3), (0.5, 0.25, 2.0)
    got = I.normalize(mx.nd.array(x), mean, std).asnumpy()
    ref = (x - np.array(mean).reshape(3, 1, 1)) / np.array(std).reshape(3, 1, 1)
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)
    batch = np.stack([x, x * 2])
    got = I.normalize(mx.nd.array(batch), mean=0.5, std=0.5).asnumpy()
    np.testing.assert_allclose(got, (batch - 0.5) / 0.5, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(I.normalize(mx.nd.array(x)).asnumpy(), x)  # defaults
    out = mx.nd.zeros((3, 4, 5))
    I.normalize(mx.nd.array(x), (0, 0, 0, 0), (1, 1, 1, 1), out=out)
    np.testing.assert_allclose(out.asnumpy(), x)
    with pytest.raises(ValueError, match="1 or 3 values"):
        I.normalize(mx.nd.array(x), mean=(0.1, 0.2))
    with pytest.raises(ValueError, match="non-zero"):
        I.normalize(mx.nd.array(x), std=0)
    with pytest.raises(DTypeError, match="floating-point"):
        I.normalize(mx.nd.zeros((3, 2, 2), dtype="uint8"))


def test_crop() -> None:
    img = np.arange(4 * 6 * 3).reshape(4, 6, 3).astype(np.float32)
    got = I.crop(mx.nd.array(img), x=1, y=2, width=3, height=2).asnumpy()
    np.testing.assert_array_equal(got, img[2:4, 1:4])
    batch = np.stack([img, -img])
    got = I.crop(mx.nd.array(batch), 0, 0, 6, 1).asnumpy()
    np.testing.assert_array_equal(got, batch[:, 0:1, 0:6])
    with pytest.raises(ValueError, match="does not fit"):
        I.crop(mx.nd.array(img), 4, 0, 3, 2)


# ---- resize --------------------------------------------------------------------------------------


def resize_reference(img: np.ndarray, oh: int, ow: int, interp: int) -> np.ndarray:
    """OpenCV's INTER_NEAREST / INTER_LINEAR on (H, W, C) floats, written out per pixel."""
    h, w = img.shape[:2]
    out = np.zeros((oh, ow, img.shape[2]))
    for i in range(oh):
        for j in range(ow):
            if interp == 0:
                out[i, j] = img[min(int(np.floor(i * h / oh)), h - 1),
                                min(int(np.floor(j * w / ow)), w - 1)]
                continue
            coords = []
            for dst, n_in, n_out in ((i, h, oh), (j, w, ow)):
                src = (dst + 0.5) * n_in / n_out - 0.5
                lo = int(np.floor(src))
                frac = src - lo
                if lo < 0:
                    lo, frac = 0, 0.0
                if lo >= n_in - 1:
                    lo, frac = n_in - 1, 0.0
                coords.append((lo, min(lo + 1, n_in - 1), frac))
            (y0, y1, fy), (x0, x1, fx) = coords
            out[i, j] = ((1 - fy) * ((1 - fx) * img[y0, x0] + fx * img[y0, x1])
                         + fy * ((1 - fx) * img[y1, x0] + fx * img[y1, x1]))
    return out


@pytest.mark.parametrize("interp", [0, 1])
@pytest.mark.parametrize("size", [(7, 3), (2, 5), (6, 4)])
def test_resize_matches_reference(interp: int, size: tuple[int, int]) -> None:
    img = RNG.random((4, 6, 2)).astype(np.float32)
    got = I.resize(mx.nd.array(img), size, interp=interp).asnumpy()
    assert got.shape == (size[1], size[0], 2)
    np.testing.assert_allclose(got, resize_reference(img, size[1], size[0], interp),
                               rtol=1e-5, atol=1e-6)


def test_resize_known_values_uint8_batches_and_sizes() -> None:
    row = mx.nd.array([[[0.0], [1.0]]])  # 1 x 2 x 1
    np.testing.assert_allclose(I.resize(row, (4, 1)).asnumpy()[0, :, 0], [0, 0.25, 0.75, 1])
    img = RNG.integers(0, 256, (4, 6, 3)).astype(np.uint8)
    got = I.resize(mx.nd.array(img, dtype="uint8"), (3, 2))
    assert got.dtype == np.uint8
    ref = resize_reference(img.astype(np.float64), 2, 3, 1)
    assert np.abs(got.asnumpy().astype(int) - ref).max() <= 0.5 + 1e-6
    batch = mx.nd.array(np.stack([img, img]), dtype="uint8")
    assert I.resize(batch, 5).shape == (2, 5, 5, 3)
    assert I.resize(mx.nd.zeros((4, 6, 3)), 2, keep_ratio=True).shape == (2, 3, 3)
    assert I.resize(mx.nd.zeros((6, 4, 3)), 2, keep_ratio=True).shape == (3, 2, 3)
    same = RNG.random((3, 5, 1)).astype(np.float32)
    np.testing.assert_allclose(I.resize(mx.nd.array(same), (5, 3)).asnumpy(), same)


def test_resize_gradient_and_errors() -> None:
    x = RNG.random((3, 4, 1))
    check_grads(lambda v: I.resize(v, (5, 2)) ** 2, [x], order=1)
    with pytest.raises(ValueError, match=r"interp must be 0 \(nearest\).*got 5"):
        I.resize(mx.nd.zeros((4, 4, 3)), 2, interp=5)
    with pytest.raises(ValueError, match="size must be given"):
        I.resize(mx.nd.zeros((4, 4, 3)))
    with pytest.raises(ValueError, match="int or"):
        I.resize(mx.nd.zeros((4, 4, 3)), (1, 2, 3))


# ---- GridGenerator / BilinearSampler ------------------------------------------------------------


def sampler_reference(data: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """MXNet 1.9.1's CPU BilinearSamplerForward, loop for loop."""
    n, c, h, w = data.shape
    _, _, oh, ow = grid.shape
    out = np.zeros((n, c, oh, ow))
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                x = (grid[b, 0, i, j] + 1) * (w - 1) / 2
                y = (grid[b, 1, i, j] + 1) * (h - 1) / 2
                x0, y0 = int(np.floor(x)), int(np.floor(y))
                wx, wy = 1 - (x - x0), 1 - (y - y0)
                for dy, fy in ((0, wy), (1, 1 - wy)):
                    for dx, fx in ((0, wx), (1, 1 - wx)):
                        yy, xx = y0 + dy, x0 + dx
                        if 0 <= yy <= h - 1 and 0 <= xx <= w - 1:
                            out[b, :, i, j] += data[b, :, yy, xx] * fy * fx
    return out


def test_grid_generator_affine_and_warp() -> None:
    theta = np.array([[1, 0, 0, 0, 1, 0], [0.5, -0.2, 0.1, 0.3, 0.8, -0.4]], np.float32)
    grid = mx.nd.GridGenerator(mx.nd.array(theta), "affine", target_shape=(3, 4)).asnumpy()
    assert grid.shape == (2, 2, 3, 4)
    xs, ys = np.meshgrid(np.linspace(-1, 1, 4), np.linspace(-1, 1, 3))
    pts = np.stack([xs.ravel(), ys.ravel(), np.ones(12)])
    ref = (theta.reshape(2, 2, 3) @ pts).reshape(2, 2, 3, 4)
    np.testing.assert_allclose(grid, ref, rtol=1e-5, atol=1e-6)
    flow = RNG.random((1, 2, 3, 4)).astype(np.float32)
    warp = mx.nd.GridGenerator(mx.nd.array(flow), "warp").asnumpy()
    ref_x = (flow[0, 0] + np.arange(4)) / 1.5 - 1
    ref_y = (flow[0, 1] + np.arange(3)[:, None]) / 1.0 - 1
    np.testing.assert_allclose(warp[0, 0], ref_x, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(warp[0, 1], ref_y, rtol=1e-5, atol=1e-6)


def test_bilinear_sampler_matches_mxnet_and_identity() -> None:
    data = RNG.random((2, 3, 4, 5)).astype(np.float32)
    identity = mx.nd.GridGenerator(mx.nd.array([[1, 0, 0, 0, 1, 0]] * 2), "affine", (4, 5))
    out = mx.nd.BilinearSampler(mx.nd.array(data), identity).asnumpy()
    np.testing.assert_allclose(out, data, rtol=1e-5, atol=1e-6)
    grid = RNG.uniform(-1.3, 1.3, (2, 2, 3, 6)).astype(np.float32)  # some points outside
    got = mx.nd.BilinearSampler(mx.nd.array(data), mx.nd.array(grid)).asnumpy()
    assert got.shape == (2, 3, 3, 6)
    np.testing.assert_allclose(got, sampler_reference(data, grid), rtol=1e-5, atol=1e-6)
    f = mx.jit(lambda d, t: mx.nd.BilinearSampler(d, mx.nd.GridGenerator(t, "affine", (3, 6))))
    theta = mx.nd.array([[0.9, 0.1, 0.05, -0.1, 1.1, 0.0]] * 2)
    eager = mx.nd.BilinearSampler(mx.nd.array(data), mx.nd.GridGenerator(theta, "affine", (3, 6)))
    np.testing.assert_allclose(f(mx.nd.array(data), theta).asnumpy(), eager.asnumpy(),
                               rtol=1e-5, atol=1e-6)


def test_spatial_transformer_gradients() -> None:
    data = RNG.random((1, 2, 3, 4))
    grid = RNG.uniform(-1.1, 1.1, (1, 2, 2, 3))
    check_grads(lambda d, g: mx.nd.BilinearSampler(d, g), [data, grid], order=1, rtol=1e-4,
                atol=1e-6)
    theta = np.array([[0.9, 0.1, 0.05, -0.1, 1.1, 0.02]])
    check_grads(lambda d, t: mx.nd.BilinearSampler(
        d, mx.nd.GridGenerator(t, "affine", (2, 3))), [data, theta], order=1, rtol=1e-4,
        atol=1e-6)


@pytest.mark.parametrize("call, error, match", [
    (lambda: mx.nd.GridGenerator(mx.nd.zeros((2, 5)), "affine", (2, 2)), ShapeError, r"\(N, 6\)"),
    (lambda: mx.nd.GridGenerator(mx.nd.zeros((2, 6)), "affine"), ValueError, "positive"),
    (lambda: mx.nd.GridGenerator(mx.nd.zeros((2, 6)), "shear", (2, 2)), ValueError,
     "'affine' or 'warp'"),
    (lambda: mx.nd.GridGenerator(mx.nd.zeros((1, 3, 2, 2)), "warp"), ShapeError, "warp data"),
    (lambda: mx.nd.BilinearSampler(mx.nd.zeros((1, 1, 2, 2)), mx.nd.zeros((2, 2, 2, 2))),
     ShapeError, "grid must have shape"),
    (lambda: mx.nd.BilinearSampler(mx.nd.zeros((1, 2, 2)), mx.nd.zeros((1, 2, 2, 2))),
     ShapeError, "data must have shape"),
    (lambda: mx.nd.BilinearSampler(mx.nd.zeros((1, 1, 2, 2)),
                                   mx.nd.zeros((1, 2, 2, 2), dtype="float64")),
     DTypeError, "share a floating-point dtype"),
])
def test_spatial_errors(call, error, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=match):
        call()
