"""mx.image: decoding against the numbers MXNet 1.9.1 (OpenCV) gives for the same files,
resizing and cropping against MXNet's results on a small image (bilinear uint8 within 1:
OpenCV rounds its fixed-point weights), the random crops' bounds and their repetition
under `mx.random.seed`, and every error a user can hit."""
from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from PIL import Image

import mxjit as mx
from mxjit.base import MissingFileError, MXNetError, ParamError

IMG = (np.arange(4 * 5 * 3).reshape(4, 5, 3) * 37 % 256).astype(np.uint8)
# Pixels where libpng's gray, OpenCV's cvtColor gray and the rounded variants disagree.
GRAYPIX = np.array([[[161, 217, 0], [157, 244, 3], [155, 232, 4], [174, 209, 18]],
                    [[158, 216, 26], [62, 207, 61], [244, 191, 52], [236, 191, 73]]], np.uint8)


def encode(pixels: np.ndarray, fmt: str, **options) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format=fmt, **options)
    return buf.getvalue()


def img() -> mx.nd.NDArray:
    return mx.nd.array(IMG, dtype="uint8")


def smooth(h: int = 24, w: int = 32) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([4 * x + 50, 6 * y + 30, 2 * (x + y) + 20], -1).astype(np.uint8)


# ---- decoding --------------------------------------------------------------------------------


def test_imdecode_png_gives_its_pixels_in_rgb_or_bgr():
    png = encode(IMG, "PNG")
    out = mx.image.imdecode(png)
    assert out.dtype == np.uint8 and out.shape == (4, 5, 3)
    np.testing.assert_array_equal(out.asnumpy(), IMG)
    np.testing.assert_array_equal(mx.image.imdecode(png, to_rgb=False).asnumpy(),
                                  IMG[:, :, ::-1])
    for buf in (bytearray(png), np.frombuffer(png, np.uint8),
                mx.nd.array(np.frombuffer(png, np.uint8), dtype="uint8")):
        np.testing.assert_array_equal(mx.image.imdecode(buf).asnumpy(), IMG)


def test_imdecode_gray_follows_opencv_per_format():
    # MXNet 1.9.1: imdecode(png, 0) (libpng's truncating luma) and imdecode(bmp, 0)
    # (OpenCV's cvtColor) of the same pixels.
    png = mx.image.imdecode(encode(GRAYPIX, "PNG"), flag=0)
    assert png.shape == (2, 4, 1) and png.dtype == np.uint8
    assert png.asnumpy()[:, :, 0].tolist() == [[175, 190, 182, 176], [176, 146, 190, 190]]
    bmp = mx.image.imdecode(encode(GRAYPIX, "BMP"), flag=0)
    assert bmp.asnumpy()[:, :, 0].tolist() == [[176, 191, 183, 177], [177, 147, 191, 191]]


def test_imdecode_jpeg_decodes_as_libjpeg():
    pixels = smooth()
    jpg = encode(pixels, "JPEG", quality=95)
    rgb = mx.image.imdecode(jpg).asnumpy()
    np.testing.assert_array_equal(rgb, np.asarray(Image.open(io.BytesIO(jpg)).convert("RGB")))
    assert np.abs(rgb.astype(int) - pixels).max() <= 8
    gray = mx.image.imdecode(jpg, flag=0).asnumpy()[:, :, 0]
    luma = pixels @ np.array([0.299, 0.587, 0.114])
    assert np.abs(gray - luma).max() <= 8


def test_imdecode_converts_channels_as_opencv():
    gray_png = encode(IMG[:, :, 0], "PNG")
    np.testing.assert_array_equal(mx.image.imdecode(gray_png).asnumpy(),
                                  np.repeat(IMG[:, :, :1], 3, axis=2))
    np.testing.assert_array_equal(mx.image.imdecode(gray_png, 0).asnumpy(), IMG[:, :, :1])
    rgba = np.dstack([IMG, np.full((4, 5, 1), 128, np.uint8)])
    np.testing.assert_array_equal(mx.image.imdecode(encode(rgba, "PNG")).asnumpy(), IMG)
    deep = (IMG[:, :, 0].astype(np.uint16) * 257)
    np.testing.assert_array_equal(mx.image.imdecode(encode(deep, "PNG"), 0).asnumpy(),
                                  IMG[:, :, :1])


def test_imdecode_and_imread_write_into_out(tmp_path):
    out = mx.nd.zeros((4, 5, 3), dtype="uint8")
    assert mx.image.imdecode(encode(IMG, "PNG"), out=out) is out
    np.testing.assert_array_equal(out.asnumpy(), IMG)
    path = tmp_path / "a.png"
    path.write_bytes(encode(IMG, "PNG"))
    np.testing.assert_array_equal(mx.image.imread(str(path)).asnumpy(), IMG)
    np.testing.assert_array_equal(mx.img.imread(path, flag=0).asnumpy(),
                                  mx.image.imdecode(path.read_bytes(), 0).asnumpy())
    with pytest.raises(ParamError, match=r"out has shape \(2, 2, 3\)"):
        mx.image.imdecode(encode(IMG, "PNG"), out=mx.nd.zeros((2, 2, 3), dtype="uint8"))


def test_decoding_errors_say_what_is_wrong(tmp_path):
    with pytest.raises(ValueError, match="buf must be bytes.*got str"):
        mx.image.imdecode("not bytes")
    with pytest.raises(MXNetError, match="decoding failed, the 3 bytes are not an image"):
        mx.image.imdecode(b"abc")
    with pytest.raises(ParamError, match="flag must be 1 .* or 0"):
        mx.image.imdecode(encode(IMG, "PNG"), flag=-1)
    missing = tmp_path / "nope.png"
    with pytest.raises(FileNotFoundError) as info:
        mx.image.imread(str(missing))
    assert isinstance(info.value, MissingFileError) and str(missing) in str(info.value)


# ---- resizing and cropping -------------------------------------------------------------------


def assert_within_one(got: mx.nd.NDArray, channel0: list, shape: tuple):
    assert got.shape == shape and got.dtype == np.uint8
    np.testing.assert_allclose(got.asnumpy()[:, :, 0], np.array(channel0), atol=1)


def test_imresize_matches_opencv():
    # MXNet 1.9.1's mx.image.imresize of IMG (channel 0).
    assert_within_one(mx.image.imresize(img(), 3, 2, interp=1),
                      [[59, 116, 172], [145, 74, 88]], (2, 3, 3))
    assert_within_one(mx.image.imresize(img(), 7, 6, interp=1),
                      [[0, 63, 143, 222, 118, 124, 188], [22, 85, 128, 116, 103, 146, 210],
                       [50, 113, 120, 16, 95, 156, 195], [79, 142, 148, 45, 124, 112, 53],
                       [108, 171, 177, 74, 153, 122, 40], [129, 192, 199, 95, 174, 144, 61]],
                      (6, 7, 3))
    near = mx.image.imresize(img(), 3, 3, interp=0)
    assert near.asnumpy()[:, :, 0].tolist() == [[0, 111, 77], [43, 154, 120], [86, 197, 163]]
    upf = mx.image.imresize(img().astype("float32"), 7, 6, interp=1).asnumpy()
    np.testing.assert_allclose(upf[2, :4, 0], [50.166664, 113.59524, 119.73809, 16.166664],
                               rtol=1e-5)
    out = mx.nd.zeros((2, 3, 3), dtype="uint8")
    assert mx.image.imresize(img(), 3, 2, out=out) is out


def test_resize_short_keeps_the_aspect_ratio():
    assert_within_one(mx.image.resize_short(img(), 3, interp=1),
                      [[44, 186, 158], [102, 31, 130], [159, 88, 102]], (3, 3, 3))
    tall = mx.nd.array(IMG.transpose(1, 0, 2), dtype="uint8")
    assert mx.image.resize_short(tall, 2, interp=1).shape == (2, 2, 3)
    # the default, bicubic, exactly as MXNet 1.9.1 (OpenCV's fixed point)
    assert mx.image.resize_short(img(), 8).asnumpy()[:, :, 0].tolist() == [
        [0, 16, 67, 155, 235, 216, 105, 79, 152, 195],
        [0, 32, 88, 146, 173, 154, 94, 103, 175, 218],
        [17, 57, 124, 130, 71, 51, 76, 143, 214, 255], [44, 87, 160, 135, 23, 6, 90, 159, 179, 191],
        [62, 104, 175, 157, 56, 44, 127, 143, 87, 54], [89, 131, 201, 186, 91, 82, 165, 150, 48, 0],
        [109, 151, 222, 207, 112, 102, 184, 175, 83, 28],
        [122, 164, 235, 219, 125, 114, 196, 189, 102, 50]]


def test_center_and_fixed_crop_match_mxnet():
    crop, rect = mx.image.center_crop(img(), (3, 2))
    assert rect == (1, 1, 3, 2)
    np.testing.assert_array_equal(crop.asnumpy(), IMG[1:3, 1:4])
    up, rect = mx.image.center_crop(img(), (6, 6), interp=1)
    assert rect == (0, 0, 4, 4)
    assert_within_one(up, [[0, 55, 129, 203, 149, 77], [22, 77, 129, 118, 107, 99],
                           [50, 106, 137, 40, 72, 127], [79, 134, 166, 69, 100, 156],
                           [108, 163, 194, 98, 129, 185], [129, 184, 216, 119, 150, 206]],
                      (6, 6, 3))
    np.testing.assert_array_equal(mx.image.fixed_crop(img(), 1, 1, 3, 2).asnumpy(),
                                  IMG[1:3, 1:4])
    assert_within_one(mx.image.fixed_crop(img(), 1, 1, 3, 2, size=(6, 4), interp=1),
                      [[154, 118, 45, 37, 92, 120], [165, 128, 56, 47, 103, 131],
                       [186, 150, 77, 69, 124, 152], [197, 161, 88, 80, 135, 163]], (4, 6, 3))


def test_scale_down_fits_the_crop_in_the_image():
    assert mx.image.scale_down((640, 480), (720, 120)) == (640, 106)
    assert mx.image.scale_down((5, 4), (6, 6)) == (4, 4)
    assert mx.image.scale_down((5, 4), (10, 2)) == (5, 1)
    assert mx.image.scale_down((5, 4), (3, 2)) == (3, 2)


def test_random_crop_stays_inside_and_repeats_under_a_seed():
    rects = set()
    for s in range(12):
        mx.random.seed(s)
        crop, (x, y, w, h) = mx.image.random_crop(img(), (3, 2))
        assert (w, h) == (3, 2) and 0 <= x <= 2 and 0 <= y <= 2
        np.testing.assert_array_equal(crop.asnumpy(), IMG[y:y + 2, x:x + 3])
        rects.add((x, y))
        mx.random.seed(s)
        assert mx.image.random_crop(img(), (3, 2))[1] == (x, y, w, h)
    assert len(rects) > 3
    big, rect = mx.image.random_crop(img(), (10, 8), interp=1)
    assert big.shape == (8, 10, 3) and rect == (0, 0, 5, 4)


def test_random_size_crop_draws_area_and_ratio_in_range():
    for s in range(8):
        mx.random.seed(s)
        crop, (x, y, w, h) = mx.image.random_size_crop(img(), (2, 2), (0.3, 0.8), (0.5, 2.0),
                                                       interp=1)
        assert crop.shape == (2, 2, 3)
        assert 0 <= x and x + w <= 5 and 0 <= y and y + h <= 4
        mx.random.seed(s)
        assert mx.image.random_size_crop(img(), (2, 2), (0.3, 0.8), (0.5, 2.0),
                                         interp=1)[1] == (x, y, w, h)
    whole, rect = mx.image.random_size_crop(img(), (5, 4), 1.0, (1.25, 1.25))
    assert rect == (0, 0, 5, 4)
    np.testing.assert_array_equal(whole.asnumpy(), IMG)
    # no window of aspect ratio 10 to 20 fits: the center crop
    _, rect = mx.image.random_size_crop(img(), (3, 2), (0.5, 1.0), (10.0, 20.0), interp=1)
    assert rect == (1, 1, 3, 2)


def test_color_normalize_works_in_place():
    src = img().astype("float32")
    out = mx.image.color_normalize(src, mx.nd.array([10.0, 20.0, 30.0]),
                                   mx.nd.array([2.0, 4.0, 8.0]))
    assert out is src
    assert out.asnumpy()[0, 0].tolist() == [-5.0, 4.25, 5.5]
    assert out.asnumpy()[3, 4].tolist() == [25.5, 19.5, 13.125]
    plain = mx.image.color_normalize(img().astype("float32"), [10.0, 20.0, 30.0])
    np.testing.assert_array_equal(plain.asnumpy(), IMG - np.float32([10, 20, 30]))
    scalar = mx.image.color_normalize(img().astype("float32"), None, 2.0)
    np.testing.assert_array_equal(scalar.asnumpy(), IMG / np.float32(2))


def test_interpolation_codes():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every method is implemented: no fallback warning
        shrunk = mx.image.imresize(img(), 2, 2, interp=9)  # shrinking: area
        assert shrunk.asnumpy()[:, :, 0].tolist() == [[85, 146], [145, 104]]  # MXNet, interp=3
        assert mx.image.imresize(img(), 3, 3, interp=10).shape == (3, 3, 3)
    with pytest.raises(ParamError, match="unknown interpolation method 7"):
        mx.image.imresize(img(), 3, 3, interp=7)
    with pytest.raises(ParamError, match=r"one \(H, W, C\) image"):
        mx.image.imresize(mx.nd.zeros((2, 4, 4, 3), dtype="uint8"), 3, 3)
