"""mx.nd.image.resize in every interpolation mode: uint8 images against MXNet 1.9.1 pixel for
pixel (it resizes with OpenCV 3.4.2, fixed point for uint8), float32 images against MXNet
within 1e-5, float64 images against per-pixel NumPy oracles written from each mode's
definition; batched, under jit, with gradients, and the error for an unknown mode."""
from __future__ import annotations

import numpy as np
import pytest

import mxjit as mx
from tests.helpers import check_grads

I = mx.nd.image  # noqa: E741
IMG7 = np.random.RandomState(0).randint(0, 256, (7, 9, 3)).astype(np.uint8)
IMG6 = np.random.RandomState(1).randint(0, 256, (6, 8, 3)).astype(np.uint8)
IMGF = (np.random.RandomState(2).rand(7, 9, 3) * 255).astype(np.float32)

# MXNet 1.9.1: mx.nd.image.resize(mx.nd.array(IMG7, dtype='uint8'), (w, h), interp=i).
# (interp, (w, h)): (checksum(out), channel 0, or row 5 of channel 0 for 13 x 11).
UINT8 = {
    (0, (4, 3)): ((4544, 88332), [[172, 195, 36, 58], [127, 163, 34, 38], [127, 232, 23, 49]]),
    (0, (13, 4)): ((18285, 1414596), [[172, 172, 192, 195, 195, 211, 36, 36, 216, 58, 58, 39, 88],
                                      [25, 25, 9, 208, 208, 254, 192, 192, 216, 29, 29, 142, 193],
                                      [31, 31, 65, 57, 57, 119, 82, 82, 142, 140, 140, 84, 6],
                                      [113, 113, 162, 131, 131, 205, 149, 149, 0, 43, 43, 23,
                                       121]]),
    (0, (13, 11)): ((51254, 5467482), [31, 31, 65, 57, 57, 119, 82, 82, 142, 140, 140, 84, 6]),
    (1, (4, 3)): ((4258, 73599), [[71, 235, 194, 126], [52, 111, 142, 55], [157, 154, 16, 44]]),
    (1, (13, 4)): ((19216, 1450028), [[117, 120, 141, 194, 217, 186, 95, 178, 151, 49, 70, 101,
                                       127],
                                      [115, 152, 177, 152, 128, 91, 40, 124, 119, 49, 31, 56, 93],
                                      [115, 153, 192, 208, 170, 109, 30, 92, 97, 67, 132, 162,
                                       173],
                                      [144, 165, 184, 190, 140, 100, 81, 40, 30, 40, 17, 35, 65]]),
    (1, (13, 11)): ((51587, 5576918), [31, 49, 63, 58, 95, 108, 82, 124, 141, 136, 97, 48, 6]),
    (2, (4, 3)): ((4286, 73321), [[32, 255, 206, 150], [54, 115, 147, 50], [155, 163, 0, 26]]),
    (2, (13, 4)): ((19256, 1447018), [[112, 104, 131, 195, 244, 195, 103, 198, 166, 41, 66, 110,
                                       136],
                                      [117, 170, 198, 153, 125, 71, 28, 129, 135, 42, 11, 44, 92],
                                      [111, 154, 207, 222, 185, 92, 21, 99, 107, 63, 140, 183,
                                       183],
                                      [141, 163, 188, 189, 141, 99, 88, 32, 20, 41, 4, 23, 64]]),
    (2, (13, 11)): ((51881, 5590237), [28, 50, 65, 55, 99, 112, 82, 123, 152, 137, 104, 43, 0]),
    (3, (4, 3)): ((4353, 77238), [[118, 184, 130, 100], [117, 113, 102, 88], [162, 139, 48, 62]]),
    (3, (13, 4)): ((19238, 1444089), [[109, 111, 123, 200, 220, 201, 103, 191, 159, 45, 79, 105,
                                       133],
                                      [112, 147, 174, 169, 146, 117, 56, 146, 126, 37, 35, 72,
                                       117],
                                      [99, 136, 166, 182, 154, 117, 40, 105, 108, 75, 133, 141,
                                       142],
                                      [141, 163, 181, 186, 140, 110, 87, 35, 28, 43, 14, 37, 70]]),
    (3, (13, 11)): ((51852, 5608388), [31, 50, 64, 57, 98, 111, 82, 129, 141, 140, 90, 49, 6]),
    (4, (4, 3)): ((4267, 72497), [[22, 255, 209, 161], [57, 116, 148, 50], [149, 158, 0, 13]]),
    (4, (13, 4)): ((19063, 1431376), [[108, 96, 115, 188, 255, 189, 109, 200, 177, 43, 65, 121,
                                       128],
                                      [118, 173, 198, 147, 126, 68, 27, 126, 145, 41, 0, 42, 86],
                                      [111, 148, 203, 222, 191, 85, 21, 105, 112, 62, 139, 192,
                                       177],
                                      [137, 154, 181, 179, 130, 105, 94, 29, 22, 46, 2, 9, 54]]),
    (4, (13, 11)): ((51861, 5585054), [27, 54, 62, 54, 102, 113, 82, 119, 154, 137, 102, 43, 1]),
}
# MXNet 1.9.1, interp=3 of IMG6[:, :, :channels] by integer factors (OpenCV's box sums: a
# 2 x 2 of 1, 3 or 4 channels rounds halves up, any other in float, halves to even).
# ((w, h), channels): (checksum(out), channel 0).
AREA_FACTORS = {
    ((4, 3), 3): ((4574, 80645), [[101, 165, 197, 119], [92, 120, 119, 95], [115, 93, 41, 165]]),
    ((4, 3), 2): ((3003, 35937), [[101, 165, 197, 119], [92, 120, 118, 95], [115, 93, 41, 165]]),
    ((8, 2), 3): ((6092, 142574), [[59, 146, 131, 214, 160, 179, 124, 62],
                                   [105, 100, 42, 116, 62, 75, 165, 154]]),
    ((8, 2), 2): ((4005, 64210), [[59, 146, 131, 214, 160, 179, 124, 62],
                                  [105, 100, 42, 116, 62, 75, 165, 154]]),
    ((4, 2), 3): ((3044, 36383), [[102, 172, 170, 93], [102, 79, 68, 160]]),
    ((4, 2), 2): ((2001, 16498), [[102, 172, 170, 93], [102, 79, 68, 160]]),
}
# MXNet 1.9.1 on the float32 image IMGF: (sum of the output, row 1 of channel 0).
FLOAT32 = {
    (1, (4, 3)): (4460.56, [81.6644, 87.4582, 171.7599, 190.441]),
    (1, (13, 11)): (50952.875, [73.0389, 95.5096, 107.7748, 86.7887, 111.9315, 120.1305,
                                99.9424, 177.7536, 195.0168, 159.9099, 93.3491, 50.873, 27.2023]),
    (2, (4, 3)): (4540.14, [81.9156, 80.0551, 170.2993, 191.3003]),
    (2, (13, 11)): (50815.782, [62.4092, 102.2745, 117.5954, 77.1323, 118.5477, 133.1531,
                                106.546, 192.5635, 222.9685, 162.7501, 91.965, 30.7728, 7.3638]),
    (3, (4, 3)): (4260.833, [107.5743, 111.3128, 120.8943, 144.1883]),
    (3, (13, 11)): (50774.921, [75.2183, 97.0721, 111.006, 82.6129, 111.2801, 119.0757, 96.1924,
                                185.99, 197.7912, 170.0808, 79.3841, 50.0265, 27.5008]),
    (4, (4, 3)): (4602.785, [78.0612, 77.7296, 166.1334, 188.725]),
    (4, (13, 11)): (50789.95, [50.7599, 109.0189, 120.1704, 71.5242, 122.3226, 140.8834,
                               112.4223, 191.7667, 237.9587, 172.8776, 91.715, 28.9575, 2.4124]),
}


def checksum(out: np.ndarray) -> tuple[int, int]:
    """The sum and a position-weighted sum of an image's values (sensitive to any change)."""
    flat = out.astype(np.int64).ravel()
    return int(flat.sum()), int((flat * (np.arange(flat.size) % 251 + 1)).sum())


def resize(img: np.ndarray, size: tuple[int, int], interp: int) -> np.ndarray:
    return I.resize(mx.nd.array(img, dtype=img.dtype), size, interp=interp).asnumpy()


@pytest.mark.parametrize("interp,size", list(UINT8))
def test_uint8_matches_mxnet_pixel_for_pixel(interp: int, size: tuple[int, int]) -> None:
    # (13, 11) enlarges by non-integer factors, (4, 3) shrinks, (13, 4) does both; a row of
    # 13 x 3 values is also where OpenCV's bicubic leaves its SSE2 loop for the last 7.
    got = resize(IMG7, size, interp)
    assert got.dtype == np.uint8 and got.shape == (size[1], size[0], 3)
    total, part = UINT8[(interp, size)]
    assert (got[5, :, 0] if size == (13, 11) else got[:, :, 0]).tolist() == part
    assert checksum(got) == total


@pytest.mark.parametrize("size,channels", list(AREA_FACTORS))
def test_uint8_area_by_integer_factors_matches_mxnet(size: tuple[int, int],
                                                     channels: int) -> None:
    got = resize(IMG6[:, :, :channels], size, 3)
    total, channel0 = AREA_FACTORS[(size, channels)]
    assert got[:, :, 0].tolist() == channel0 and checksum(got) == total


@pytest.mark.parametrize("interp,size", list(FLOAT32))
def test_float32_matches_mxnet(interp: int, size: tuple[int, int]) -> None:
    got = resize(IMGF, size, interp)
    assert got.dtype == np.float32
    total, row = FLOAT32[(interp, size)]
    np.testing.assert_allclose(got[1, :, 0], row, rtol=0, atol=1e-4)  # (printed to 4 places)
    np.testing.assert_allclose(got.astype(np.float64).sum(), total, rtol=1e-7)


# ---- float64 against the definitions ---------------------------------------------------------


def _kernel_weights(interp: int, out_len: int, in_len: int) -> np.ndarray:
    """(out_len, in_len) weights of one axis, written from each mode's definition: Keys'
    cubic (A = -0.75) or Lanczos-4 on pixel centres with the border repeated, or the
    fraction of each output cell that each source pixel covers (area)."""
    weights = np.zeros((out_len, in_len))
    scale = in_len / out_len
    for d in range(out_len):
        if interp == 3:
            lo, hi = d * scale, (d + 1) * scale
            for p in range(in_len):
                weights[d, p] = max(0.0, min(hi, p + 1) - max(lo, p)) / (hi - lo)
            continue
        src = (d + 0.5) * scale - 0.5
        base = int(np.floor(src))
        for k in range(-3, 5):
            t = abs(src - (base + k))
            if interp == 2:
                a = -0.75
                w = ((a + 2) * t - (a + 3)) * t * t + 1 if t <= 1 else (
                    ((t - 5) * t + 8) * t - 4) * a if t < 2 else 0.0
            else:
                w = np.sinc(t) * np.sinc(t / 4) if t < 4 else 0.0
            weights[d, min(max(base + k, 0), in_len - 1)] += w
        weights[d] /= weights[d].sum()
    return weights


# (4, 2) reads only some rows; area that shrinks one side and enlarges the other is OpenCV's
# own blend (UINT8 has it)
@pytest.mark.parametrize("interp,size", [(i, s) for i in (2, 3, 4) for s in ((4, 2), (13, 17),
                                                                               (5, 14))
                                         if (i, s) != (3, (5, 14))])
def test_float64_follows_the_definitions(interp: int, size: tuple[int, int]) -> None:
    img = np.random.RandomState(3).rand(12, 9, 2)
    got = resize(img, size, interp)
    wy, wx = _kernel_weights(interp, size[1], 12), _kernel_weights(interp, size[0], 9)
    np.testing.assert_allclose(got, np.einsum("ip,pqc,jq->ijc", wy, img, wx), atol=1e-6)


# ---- batches, jit, other dtypes, gradients, errors ---------------------------------------------


def test_batches_jit_and_integer_images() -> None:
    batch = np.stack([IMG7, IMG7[::-1]])
    for interp in (2, 3, 4):
        got = I.resize(mx.nd.array(batch, dtype="uint8"), (13, 4), interp=interp).asnumpy()
        for k in range(2):
            np.testing.assert_array_equal(got[k], resize(batch[k], (13, 4), interp))
        jitted = mx.jit(lambda x, interp=interp: I.resize(x, (4, 3), interp=interp))
        np.testing.assert_array_equal(jitted(mx.nd.array(IMG7, dtype="uint8")).asnumpy(),
                                      resize(IMG7, (4, 3), interp))
        np.testing.assert_allclose(jitted(mx.nd.array(IMGF)).asnumpy(),  # (fused otherwise)
                                   resize(IMGF, (4, 3), interp), rtol=1e-6)
    # other integer images: computed in float32, rounded half to even and saturated
    wide = IMG7.astype(np.int32) * 300 - 30000
    got = resize(wide, (13, 11), 2)
    ref = np.rint(resize(wide.astype(np.float32), (13, 11), 2))
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, ref.astype(np.int32))
    # the same size is a copy, as in OpenCV
    np.testing.assert_array_equal(resize(IMGF, (9, 7), 4), IMGF)


def test_lanczos_where_opencv_gives_nan() -> None:
    # Enlarging 1 pixel to 49 meets an offset of 1 - 2**-24, where OpenCV's Lanczos weights
    # divide by zero (MXNet 1.9.1 gives NaN, or 255 in uint8): here the window's limit.
    for dtype in ("uint8", "float32"):
        got = resize(np.full((1, 1, 1), 100, dtype), (49, 49), 4)
        np.testing.assert_allclose(got, 100, rtol=1e-6)


@pytest.mark.parametrize("interp,size", [(1, (3, 1)), (2, (5, 2)), (3, (2, 2)), (3, (7, 5)),
                                         (4, (5, 7))])
def test_gradients(interp: int, size: tuple[int, int]) -> None:
    x = np.random.RandomState(4).rand(3, 4, 2)
    check_grads(lambda v: I.resize(v, size, interp=interp) ** 2, [x], order=1)


def test_kernels_under_jit() -> None:
    # a pass is one gather with its weighted sum, the width's then the height's; uint8 images
    # may take one more, for the fixed-point rounding after the height's sums
    for interp in (1, 2, 3, 4):
        f = mx.jit(lambda x, interp=interp: I.resize(x, (13, 5), interp=interp))
        assert len(f.lower(mx.nd.array(IMGF)).kernels) == 2
        assert len(f.lower(mx.nd.array(IMG7, dtype="uint8")).kernels) <= 3


def test_errors() -> None:
    with pytest.raises(ValueError, match=r"interp must be 0 \(nearest\).*got 9"):
        I.resize(mx.nd.array(IMG7, dtype="uint8"), (4, 3), interp=9)
    with pytest.raises(TypeError, match="must hold numbers, got bool"):
        I.resize(mx.nd.array(IMG7 > 9, dtype="bool"), (4, 3), interp=2)
