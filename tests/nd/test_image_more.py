"""mx.nd.image flips and colour augmentation (adjust_lighting, the random_* operators)
against NumPy references and Python's `colorsys` (HLS), eagerly and under `mx.jit`; the
random ones exactly where their factor is fixed (min_factor == max_factor) and
statistically otherwise."""
from __future__ import annotations

import colorsys

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import ArgumentError, DTypeError, ParamError, ShapeError
from tests.helpers import check_grads

I = mx.nd.image  # noqa: E741
RNG = np.random.default_rng(0)
LUMA = np.array([0.299, 0.587, 0.114])
EIG = np.array([[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140],
                [-0.5836, -0.6948, 0.4203]]) * np.array([55.46, 4.794, 1.148])


def image(shape: tuple[int, ...] = (3, 4, 3), dtype: str = "float32") -> np.ndarray:
    return RNG.integers(0, 256, shape).astype(dtype)


def stored(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Float results as MXNet stores them: integers truncated and saturated."""
    if np.dtype(dtype).kind in "iu":
        info = np.iinfo(dtype)
        return np.trunc(np.clip(x, info.min, info.max)).astype(dtype)
    return x.astype(dtype)


def gray(x: np.ndarray) -> np.ndarray:
    return x if x.shape[2] == 1 else (x @ LUMA)[..., None]


def contrast_ref(x: np.ndarray, a: float) -> np.ndarray:
    return x * a + gray(x).mean() * (1 - a)


def saturation_ref(x: np.ndarray, a: float) -> np.ndarray:
    return x if x.shape[2] == 1 else x * a + gray(x) * (1 - a)


def hue_ref(x: np.ndarray, a: float) -> np.ndarray:
    """A hue rotation by a turns, pixel by pixel through colorsys's HLS."""
    if x.shape[2] == 1:
        return x
    out = np.empty(x.shape)
    for idx in np.ndindex(x.shape[:2]):
        h, lum, s = colorsys.rgb_to_hls(*(x[idx] / 255))
        out[idx] = np.array(colorsys.hls_to_rgb((h + a) % 1.0, lum, s)) * 255
    return out


def lighting_ref(x: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    return x if x.shape[2] == 1 else x + EIG @ alpha


# ---- flips --------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(3, 5, 3), (4, 1, 1), (0, 2, 3), (1, 1, 3)])
@pytest.mark.parametrize("dtype", ["float32", "uint8", "int32"])
def test_flips_match_numpy_for_odd_and_empty_sizes(shape, dtype) -> None:
    x = image(shape, dtype)
    for op, axis in ((I.flip_left_right, 1), (I.flip_top_bottom, 0)):
        got = op(mx.nd.array(x, dtype=dtype))
        assert got.dtype == np.dtype(dtype) and got.shape == shape
        # (MXNet 1.9 leaves the middle column/row of an odd size unwritten; we copy it)
        np.testing.assert_array_equal(got.asnumpy(), np.flip(x, axis))
        np.testing.assert_array_equal(mx.jit(op)(mx.nd.array(x, dtype=dtype)).asnumpy(),
                                      np.flip(x, axis))


def test_flip_result_is_a_new_array_and_gradients() -> None:
    x = mx.nd.array(image())
    y = I.flip_left_right(x)
    y[:] = 0
    assert x.asnumpy().any()
    v = RNG.random((2, 3, 3))
    weights = mx.nd.array(RNG.random((2, 3, 3)), dtype="float64")
    check_grads(lambda d: I.flip_left_right(d) * weights, [v])
    check_grads(lambda d: I.flip_top_bottom(d) * weights, [v])


def test_random_flips_flip_half_of_the_time_eagerly_and_jitted() -> None:
    x = image((2, 3, 1))
    mx.random.seed(0)
    for op, axis in ((I.random_flip_left_right, 1), (I.random_flip_top_bottom, 0)):
        results = [op(mx.nd.array(x)).asnumpy() for _ in range(120)]
        flipped = sum(np.array_equal(r, np.flip(x, axis)) for r in results)
        assert all(np.array_equal(r, x) or np.array_equal(r, np.flip(x, axis)) for r in results)
        assert 35 <= flipped <= 85  # Binomial(120, 1/2): 60 +- 4.3 sigma
        f = mx.jit(op)
        jitted = {np.array_equal(f(mx.nd.array(x)).asnumpy(), x) for _ in range(30)}
        assert jitted == {True, False}  # a new draw on every call


# ---- brightness, contrast, saturation, hue, lighting with fixed factors --------------------


@pytest.mark.parametrize("dtype", ["float32", "float64", "uint8", "int8", "float16", "int64"])
@pytest.mark.parametrize("channels", [1, 3])
def test_fixed_factors_match_references(dtype: str, channels: int) -> None:
    x = image((3, 4, channels), dtype)
    if dtype == "int8":
        x = (x.astype(np.int64) - 128).astype(dtype)
    xf = x.astype(np.float64)
    cases = [
        (lambda d: I.random_brightness(d, 1.6, 1.6), xf * 1.6),
        (lambda d: I.random_contrast(d, 0.4, 0.4), contrast_ref(xf, 0.4)),
        (lambda d: I.random_saturation(d, 1.7, 1.7), saturation_ref(xf, 1.7)),
        (lambda d: I.adjust_lighting(d, alpha=(0.3, -0.2, 0.5)),
         lighting_ref(xf, np.array([0.3, -0.2, 0.5]))),
    ]
    for op, ref in cases:
        got = op(mx.nd.array(x, dtype=dtype))
        assert got.dtype == np.dtype(dtype) and got.shape == x.shape
        if np.dtype(dtype).kind == "f":
            tol = 2e-3 if dtype == "float16" else 1e-5
            np.testing.assert_allclose(got.asnumpy(), ref, rtol=tol, atol=tol * 10)
        else:  # computed in float32: a value within rounding of an integer may truncate to
            # the one below
            diff = got.asnumpy().astype(np.int64) - stored(ref, np.dtype(dtype))
            assert np.all((diff == 0) | (np.abs(diff) == 1) & (np.abs(ref - np.round(ref))
                                                                 < 1e-3))


def test_uint8_values_copied_from_mxnet() -> None:
    # values printed by MXNet 1.9.1 for this image (brightness 1.5, contrast 0.5, lighting)
    img = mx.nd.array([[[172, 47, 117], [192, 67, 251], [195, 103, 9]],
                       [[211, 21, 242], [36, 87, 70], [216, 88, 140]]], dtype="uint8")
    np.testing.assert_array_equal(I.random_brightness(img, 1.5, 1.5).asnumpy().reshape(-1, 3),
                                  [[255, 70, 175], [255, 100, 255], [255, 154, 13],
                                   [255, 31, 255], [54, 130, 105], [255, 132, 210]])
    np.testing.assert_array_equal(I.random_contrast(img, 0.5, 0.5).asnumpy().reshape(-1, 3),
                                  [[139, 77, 112], [149, 87, 179], [151, 105, 58],
                                   [159, 64, 174], [71, 97, 88], [161, 97, 123]])
    np.testing.assert_array_equal(
        I.adjust_lighting(img, alpha=(0.1, 0.2, 0.3)).asnumpy().reshape(-1, 3),
        [[169, 43, 113], [189, 63, 247], [192, 99, 5], [208, 17, 238], [33, 83, 66],
         [213, 84, 136]])


@pytest.mark.parametrize("turn", [0.0, 0.1, 0.37, 0.5, 0.93])
def test_hue_rotation_matches_colorsys(turn: float) -> None:
    x = image((4, 5, 3)).astype(np.float64)
    x[0, 0] = [90, 90, 90]  # gray: no hue
    x[0, 1] = [255, 255, 0]
    x[0, 2] = [250, 240, 230]  # light (l > 0.5)
    got = I.random_hue(mx.nd.array(x, dtype="float64"), turn, turn).asnumpy()
    np.testing.assert_allclose(got, hue_ref(x, turn), rtol=1e-9, atol=1e-9)
    got32 = I.random_hue(mx.nd.array(x), turn, turn).asnumpy()
    np.testing.assert_allclose(got32, hue_ref(x, turn), rtol=1e-5, atol=2e-3)
    gray_img = image((2, 2, 1))
    np.testing.assert_array_equal(I.random_hue(mx.nd.array(gray_img), turn, turn).asnumpy(),
                                  gray_img)


def test_hue_known_values_from_mxnet() -> None:
    # MXNet 1.9.1's float32 output for hue 0.1 (its last digits differ from ours in rounding)
    img = mx.nd.array([[[172, 47, 117], [192, 67, 251], [195, 103, 9]]])
    np.testing.assert_allclose(I.random_hue(img, 0.1, 0.1).asnumpy()[0],
                               [[172.0, 52.000053, 46.999996], [250.99998, 67.00002, 199.59999],
                                [175.40001, 195.0, 8.999999]], rtol=1e-5)


def test_jit_matches_eager_and_empty_images() -> None:
    x = mx.nd.array(image((3, 4, 3)))
    ops = [lambda d: I.random_brightness(d, 0.7, 0.7), lambda d: I.random_contrast(d, 1.3, 1.3),
           lambda d: I.random_saturation(d, 0.2, 0.2), lambda d: I.random_hue(d, 0.2, 0.2),
           lambda d: I.adjust_lighting(d, (0.1, 0.1, -0.3))]
    for op in ops:
        np.testing.assert_allclose(mx.jit(op)(x).asnumpy(), op(x).asnumpy(), rtol=1e-5,
                                   atol=1e-4)
        # (uint8: fused and eager float32 rounding may differ in the last bit, which can
        # truncate to the integer below)
        x8 = x.astype("uint8")
        diff = mx.jit(op)(x8).asnumpy().astype(int) - op(x8).asnumpy().astype(int)
        assert np.abs(diff).max() <= 1
        assert op(mx.nd.zeros((0, 3, 3))).shape == (0, 3, 3)


def test_gradients_of_fixed_factor_adjustments() -> None:
    x = RNG.uniform(10, 240, (2, 3, 3))
    x[0, 0] = [50, 50, 50]
    for op in (lambda d: I.random_brightness(d, 1.3, 1.3),
               lambda d: I.random_contrast(d, 0.6, 0.6),
               lambda d: I.random_saturation(d, 1.4, 1.4),
               lambda d: I.adjust_lighting(d, (0.2, -0.1, 0.3))):
        check_grads(lambda d, op=op: op(d) ** 2, [x], rtol=1e-5, atol=1e-5)
    # (not at the gray pixel, where the hue is undefined; its gradient is finite though)
    check_grads(lambda d: I.random_hue(d, 0.15, 0.15) ** 2, [x[1:]], rtol=1e-4, atol=1e-4)
    x[0, 1], x[0, 2] = [255, 255, 255], [0, 0, 0]
    grad = mx.grad(lambda d: I.random_hue(d, 0.15, 0.15).sum())(mx.nd.array(x))
    assert np.isfinite(grad.asnumpy()).all()


# ---- random factors ------------------------------------------------------------------------


def test_random_enhance_factors_are_uniform_and_reproducible() -> None:
    x = np.full((1, 2, 3), 100.0)
    x[0, 1] = [200, 40, 10]
    data = mx.nd.array(x)
    mx.random.seed(11)
    factors = np.array([I.random_brightness(data, 0.5, 1.5).asnumpy()[0, 0, 0] / 100
                        for _ in range(300)])
    assert factors.min() >= 0.5 and factors.max() < 1.5
    assert abs(factors.mean() - 1.0) < 0.06 and abs(factors.std() - 1 / np.sqrt(12)) < 0.04
    assert np.histogram(factors, 4, (0.5, 1.5))[0].min() > 45
    mx.random.seed(11)
    again = I.random_brightness(data, 0.5, 1.5).asnumpy()[0, 0, 0] / 100
    assert np.float32(again) == np.float32(factors[0])
    m = gray(x).mean()
    contrast = [(I.random_contrast(data, 0.2, 0.8).asnumpy()[0, 1, 0] - m) / (200 - m)
                for _ in range(100)]
    assert 0.2 <= min(contrast) and max(contrast) <= 0.8 and abs(np.mean(contrast) - 0.5) < 0.06
    g = gray(x)[0, 1, 0]
    saturation = [(I.random_saturation(data, 1.0, 2.0).asnumpy()[0, 1, 0] - g) / (200 - g)
                  for _ in range(100)]
    assert 1.0 - 1e-5 <= min(saturation) and max(saturation) <= 2.0 + 1e-5


def test_random_hue_and_lighting_draws() -> None:
    x = np.array([[[200.0, 40.0, 10.0]]])
    h0 = colorsys.rgb_to_hls(*(x[0, 0] / 255))[0]
    turns = []
    for _ in range(100):
        out = I.random_hue(mx.nd.array(x), 0.1, 0.3).asnumpy()[0, 0]
        turns.append((colorsys.rgb_to_hls(*(out / 255))[0] - h0) % 1.0)
    assert 0.1 - 1e-4 <= min(turns) and max(turns) <= 0.3 + 1e-4
    assert abs(np.mean(turns) - 0.2) < 0.02
    mx.random.seed(3)
    alphas = np.array([np.linalg.solve(EIG, I.random_lighting(mx.nd.array(x), 0.1).asnumpy()
                                       [0, 0] - x[0, 0]) for _ in range(200)])
    assert np.all(np.abs(alphas.mean(axis=0)) < 0.03)
    assert np.all(np.abs(alphas.std(axis=0) - 0.1) < 0.02)
    assert np.array_equal(I.random_lighting(mx.nd.array(x), 0.0).asnumpy(), x.astype(np.float32))
    f = mx.jit(lambda d: I.random_lighting(d, 0.1))
    assert not np.array_equal(f(mx.nd.array(x)).asnumpy(), f(mx.nd.array(x)).asnumpy())


def test_color_jitter_applies_the_steps_in_a_random_order() -> None:
    # A hue rotation keeps a pixel's hue under a * x + gray, so out = a * rot(x) + (1 - a) * c
    # with c the gray level of x (saturation first) or of rot(x) (hue first): the two orders
    # give different c.
    x = np.array([[[200.0, 40.0, 90.0]]])
    data = mx.nd.array(x, dtype="float64")
    hue_in = colorsys.rgb_to_hls(*(x[0, 0] / 255))[0]
    mx.random.seed(5)
    orders = set()
    for _ in range(40):
        out = I.random_color_jitter(data, 0.0, 0.0, 0.5, 0.1).asnumpy()[0, 0]
        turn = (colorsys.rgb_to_hls(*(out / 255))[0] - hue_in + 0.5) % 1.0 - 0.5
        assert abs(turn) <= 0.1 + 1e-9
        rotated = hue_ref(x, turn)[0, 0]
        a = (out[0] - out[1]) / (rotated[0] - rotated[1])
        assert 0.5 - 1e-9 <= a <= 1.5 + 1e-9
        c = (out[0] - a * rotated[0]) / (1 - a)
        if abs(c - rotated @ LUMA) < 1e-6:
            orders.add("hue first")
        else:
            assert abs(c - x[0, 0] @ LUMA) < 1e-6
            orders.add("saturation first")
    assert orders == {"hue first", "saturation first"}


def test_color_jitter_single_steps_uint8_and_jit() -> None:
    x = image((2, 3, 3))
    data = mx.nd.array(x)
    out = I.random_color_jitter(data, 0.0, 0.0, 0.0, 0.0)
    np.testing.assert_array_equal(out.asnumpy(), x)
    out = I.random_color_jitter(data, 0.0, 0.5, 0.0, 0.0).asnumpy()
    a = (out - gray(x).mean()) / (x - gray(x).mean())
    assert np.allclose(a, a.flat[0], atol=1e-4) and 0.5 <= a.flat[0] <= 1.5
    img8 = mx.nd.array(x, dtype="uint8")
    got = I.random_color_jitter(img8, 0.2, 0.2, 0.2, 0.05)
    assert got.dtype == np.uint8 and got.shape == x.shape
    f = mx.jit(lambda d: I.random_color_jitter(d, 0.2, 0.2, 0.2, 0.05))
    first, second = f(img8).asnumpy(), f(img8).asnumpy()
    assert first.dtype == np.uint8 and not np.array_equal(first, second)
    g = mx.jit(lambda d: I.random_color_jitter(d, 0.2, 0.2, 0.2, 0.05))
    mx.random.seed(7)
    eager = I.random_color_jitter(data, 0.2, 0.2, 0.2, 0.05).asnumpy()
    mx.random.seed(7)  # the same draws under jit
    np.testing.assert_allclose(g(data).asnumpy(), eager, rtol=1e-5, atol=1e-4)


# ---- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize("call, error, match", [
    (lambda: I.flip_left_right(np.zeros((2, 2, 3))), ArgumentError, "must be an array"),
    (lambda: I.flip_top_bottom(mx.nd.zeros((2, 2, 2, 3))), ShapeError, r"\(H, W, C\)"),
    (lambda: I.random_flip_left_right(mx.nd.zeros((2, 2, 2))), ShapeError, "C 1 or 3"),
    (lambda: I.random_brightness(mx.nd.zeros((2, 2, 3), dtype="bool"), 1, 1), DTypeError,
     "numbers"),
    (lambda: I.random_contrast(mx.nd.zeros((2, 2, 3)), -0.5, 1.0), ParamError, ">= 0"),
    (lambda: I.random_hue(mx.nd.zeros((2, 2, 3)), 0.0, -1.0), ParamError, "max_factor"),
    (lambda: I.adjust_lighting(mx.nd.zeros((2, 2, 3)), alpha=(0.1, 0.2)), ParamError,
     "3 values"),
    (lambda: I.random_lighting(mx.nd.zeros((2, 2, 3)), alpha_std=-0.1), ParamError,
     "alpha_std"),
    (lambda: I.random_saturation(mx.nd.zeros((2, 2, 3)), 1.0), ParamError, "max_factor"),
])
def test_errors(call, error, match) -> None:
    with pytest.raises(error, match=match):
        call()
