"""mx.image's augmenters, rotation and padding: the deterministic ones against the numbers
MXNet 1.9.1 gives for the same image, the random ones by their invariants and by their
repetition under `mx.random.seed` (mxjit draws from mx.random, not Python's random)."""
from __future__ import annotations

import json

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import DTypeError, NotOverriddenError, ParamError, ShapeError

IMG = (np.arange(4 * 5 * 3).reshape(4, 5, 3) * 37 % 256).astype(np.uint8)


def fimg() -> mx.nd.NDArray:
    return mx.nd.array(IMG).astype("float32")


# ---- padding and rotation --------------------------------------------------------------------

BORDERS = {  # MXNet's copyMakeBorder(img, 1, 2, 2, 1, type=t), channel 0, rows 0 and 5
    0: ([0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0]),
    1: ([0, 0, 0, 111, 222, 77, 188, 188], [129, 129, 129, 240, 95, 206, 61, 61]),
    2: ([111, 0, 0, 111, 222, 77, 188, 188], [240, 129, 129, 240, 95, 206, 61, 61]),
    3: ([206, 61, 129, 240, 95, 206, 61, 129], [77, 188, 0, 111, 222, 77, 188, 0]),
    4: ([9, 154, 43, 154, 9, 120, 231, 120], [52, 197, 86, 197, 52, 163, 18, 163]),
}


@pytest.mark.parametrize("border", sorted(BORDERS))
def test_copy_make_border_matches_mxnet(border):
    out = mx.image.copyMakeBorder(mx.nd.array(IMG, dtype="uint8"), 1, 2, 2, 1, type=border)
    assert out.shape == (7, 8, 3) and out.dtype == np.uint8
    assert out.asnumpy()[0, :, 0].tolist() == BORDERS[border][0]
    assert out.asnumpy()[5, :, 0].tolist() == BORDERS[border][1]
    np.testing.assert_array_equal(out.asnumpy()[1:5, 2:7], IMG)


def test_copy_make_border_fill_values():
    src = mx.nd.array(IMG, dtype="uint8")
    per_channel = mx.image.copyMakeBorder(src, 1, 0, 0, 1, values=(7, 8, 9)).asnumpy()
    assert per_channel[0, 0].tolist() == [7, 8, 9] and per_channel[1, 5].tolist() == [7, 8, 9]
    assert mx.image.copyMakeBorder(src, 1, 0, 0, 1, value=5).asnumpy()[0, 0].tolist() == [5] * 3
    with pytest.raises(ParamError, match="unknown border type 5"):
        mx.image.copyMakeBorder(src, 1, 1, 1, 1, type=5)
    with pytest.raises(ParamError, match=r"unknown border type 'wrap'.*\+ 16 \(isolated\)"):
        mx.image.copyMakeBorder(src, 1, 1, 1, 1, type="wrap")


def test_copy_make_border_takes_opencvs_isolated_flag_and_one_value():
    # MXNet's copyMakeBorder(img, 1, 0, 0, 1, type=t, values=(100, 101, 102)), channel 0
    # (MXNet's detection padding passes type 16: constant + BORDER_ISOLATED)
    src = mx.nd.array(IMG[:2, :3], dtype="uint8")
    constant = mx.image.copyMakeBorder(src, 1, 0, 0, 1, type=16, values=(100, 101, 102))
    assert constant.asnumpy()[:, :, 0].tolist() == [[100, 100, 100, 100], [0, 111, 222, 100],
                                                    [43, 154, 9, 100]]
    assert constant.asnumpy()[0, 0].tolist() == [100, 101, 102]
    edge = mx.image.copyMakeBorder(src, 1, 0, 0, 1, type=np.int64(17))
    assert edge.asnumpy()[:, :, 0].tolist() == [[0, 111, 222, 222], [0, 111, 222, 222],
                                                [43, 154, 9, 9]]
    # one number as `values` fills every channel (MXNet reads three more it was not given)
    one = mx.image.copyMakeBorder(src, 1, 0, 0, 0, values=5.0)
    assert one.asnumpy()[0, 0].tolist() == [5, 5, 5]


# MXNet's imrotate(float image read as (C, H, W) = (4, 5, 3)), channel 0
ROT30 = [[32.221, 93.828, 154.308, 107.095, 13.767], [65.243, 136.828, 86.457, 31.463, 19.528],
         [98.265, 179.828, 129.457, 58.724, 17.33], [131.286, 119.936, 155.308, 85.985, 23.091]]
ROT90_IN = [[101.6, 112.2, 90.0, 129.24, 124.32], [136.0, 155.2, 133.0, 110.8, 76.8],
            [47.52, 106.04, 176.0, 153.8, 111.2], [81.92, 87.6, 65.4, 135.36, 145.6]]
ROT45_OUT = [[0.0, 12.333, 49.333, 0.0, 0.0], [0.0, 26.667, 78.0, 0.0, 0.0],
             [0.0, 41.0, 106.667, 0.0, 0.0], [0.0, 55.333, 135.333, 0.0, 0.0]]


def test_imrotate_matches_mxnet():
    np.testing.assert_allclose(mx.image.imrotate(fimg(), 30).asnumpy()[:, :, 0], ROT30,
                               atol=2e-3)
    np.testing.assert_allclose(mx.image.imrotate(fimg(), 90, zoom_in=True).asnumpy()[:, :, 0],
                               ROT90_IN, atol=2e-3)
    np.testing.assert_allclose(mx.image.imrotate(fimg(), 45, zoom_out=True).asnumpy()[:, :, 0],
                               ROT45_OUT, atol=2e-3)
    batch = mx.nd.stack(fimg(), fimg())
    out = mx.image.imrotate(batch, mx.nd.array([30.0, 0.0]))
    np.testing.assert_allclose(out.asnumpy()[0, :, :, 0], ROT30, atol=2e-3)
    np.testing.assert_allclose(out.asnumpy()[1], IMG, atol=1e-3)


def test_random_rotate_repeats_under_a_seed():
    mx.random.seed(3)
    first = mx.image.random_rotate(fimg(), (-40, 40)).asnumpy()
    mx.random.seed(3)
    np.testing.assert_array_equal(mx.image.random_rotate(fimg(), (-40, 40)).asnumpy(), first)
    assert mx.image.random_rotate(mx.nd.stack(fimg(), fimg()), (5, 6)).shape == (2, 4, 5, 3)
    np.testing.assert_allclose(mx.image.random_rotate(fimg(), (0, 0)).asnumpy(), IMG,
                               atol=1e-3)


def test_imrotate_errors():
    with pytest.raises(ParamError, match="cannot both be True"):
        mx.image.imrotate(fimg(), 10, zoom_in=True, zoom_out=True)
    with pytest.raises(DTypeError, match="only float32"):
        mx.image.imrotate(mx.nd.array(IMG, dtype="uint8"), 10)
    with pytest.raises(TypeError, match="one rotation angle"):  # (MXNet's TypeError)
        mx.image.imrotate(fimg(), mx.nd.array([1.0]))
    with pytest.raises(ShapeError, match=r"\(C, H, W\) or \(N, C, H, W\)"):
        mx.image.imrotate(mx.nd.zeros((4, 5)), 10)
    with pytest.raises(ShapeError, match="2 images but 3 rotation angles"):
        mx.image.imrotate(mx.nd.stack(fimg(), fimg()), mx.nd.array([1.0, 2.0, 3.0]))


# ---- augmenters ------------------------------------------------------------------------------

# MXNet's [a.dumps() for a in CreateAugmenter((3, 2, 3), resize=3, rand_mirror=True, mean=True,
# std=True, brightness=0.1, hue=0.1, pca_noise=0.1, rand_gray=0.2)]
CREATED = [
    '["resizeaug", {"size": 3, "interp": 2}]', '["centercropaug", {"size": [3, 2], "interp": 2}]',
    '["horizontalflipaug", {"p": 0.5}]', '["castaug", {"type": "float32"}]',
    ['colorjitteraug', ['["brightnessjitteraug", {"brightness": 0.1}]']],
    '["huejitteraug", {"hue": 0.1}]',
    '["lightingaug", {"alphastd": 0.1, "eigval": [55.46, 4.794, 1.148], "eigvec": [[-0.5675, '
    '0.7192, 0.4009], [-0.5808, -0.0045, -0.814], [-0.5836, -0.6948, 0.4203]]}]',
    '["randomgrayaug", {"p": 0.2}]',
    '["colornormalizeaug", {"mean": [123.68000030517578, 116.27999877929688, '
    '103.52999877929688], "std": [58.39500045776367, 57.119998931884766, 57.375]}]']


def test_create_augmenter_builds_mxnets_list():
    augs = mx.image.CreateAugmenter((3, 2, 3), resize=3, rand_mirror=True, mean=True, std=True,
                                    brightness=0.1, hue=0.1, pca_noise=0.1, rand_gray=0.2)
    assert [a.dumps() for a in augs] == CREATED
    out = mx.nd.array(IMG, dtype="uint8")
    for aug in augs:
        out = aug(out)
    assert out.shape == (2, 3, 3) and out.dtype == np.float32
    kinds = [type(a).__name__ for a in mx.image.CreateAugmenter((3, 2, 2), rand_crop=True,
                                                                rand_resize=True)]
    assert kinds == ["RandomSizedCropAug", "CastAug"]
    assert type(mx.image.CreateAugmenter((3, 2, 2), rand_crop=True)[0]).__name__ == \
        "RandomCropAug"
    with pytest.raises(ParamError, match="rand_resize needs rand_crop"):
        mx.image.CreateAugmenter((3, 2, 2), rand_resize=True)
    with pytest.raises(ParamError, match="mean must be True, None or an array"):
        mx.image.CreateAugmenter((3, 2, 2), mean=[1.0, 2.0, 3.0])


def test_sequential_aug_dumps_and_chains():
    seq = mx.image.SequentialAug([mx.image.ResizeAug(3), mx.image.CastAug()])
    assert seq.dumps() == ["sequentialaug", ['["resizeaug", {"size": 3, "interp": 2}]',
                                             '["castaug", {"type": "float32"}]']]
    out = seq(mx.nd.array(IMG, dtype="uint8"))
    assert out.shape == (3, 3, 3) and out.dtype == np.float32
    with pytest.raises(NotOverriddenError, match="does not define __call__"):
        mx.image.Augmenter(a=1)(fimg())
    assert json.loads(mx.image.Augmenter(a=np.arange(2)).dumps()) == ["augmenter", {"a": [0, 1]}]


def test_geometric_augmenters_match_the_functions():
    src = mx.nd.array(IMG, dtype="uint8")
    np.testing.assert_array_equal(mx.image.ResizeAug(2, 1)(src).asnumpy(),
                                  mx.image.resize_short(src, 2, 1).asnumpy())
    forced = mx.image.ForceResizeAug((3, 3), 9)(src)
    np.testing.assert_array_equal(forced.asnumpy(), mx.image.imresize(src, 3, 3, 3).asnumpy())
    np.testing.assert_array_equal(mx.image.CenterCropAug((3, 2))(src).asnumpy(),
                                  IMG[1:3, 1:4])
    for aug in (mx.image.RandomCropAug((3, 2)),
                mx.image.RandomSizedCropAug((3, 2), (0.3, 1.0), (0.5, 2.0), 1)):
        mx.random.seed(5)
        first = aug(src).asnumpy()
        assert first.shape == (2, 3, 3)
        mx.random.seed(5)
        np.testing.assert_array_equal(aug(src).asnumpy(), first)


def test_flip_gray_cast_normalize_match_mxnet():
    np.testing.assert_array_equal(mx.image.HorizontalFlipAug(1.0)(fimg()).asnumpy(),
                                  IMG[:, ::-1])
    np.testing.assert_array_equal(mx.image.HorizontalFlipAug(0.0)(fimg()).asnumpy(), IMG)
    gray = mx.image.RandomGrayAug(1.0)(fimg()).asnumpy()
    np.testing.assert_allclose(gray[0, :, 0], [31.82, 142.82, 51.58, 108.82, 201.9],
                               atol=1e-4)  # MXNet's
    np.testing.assert_array_equal(gray[:, :, 0], gray[:, :, 2])
    assert mx.image.CastAug("float64")(fimg()).dtype == np.float64
    norm = mx.image.ColorNormalizeAug([10.0, 20.0, 30.0], [2.0, 4.0, 8.0])(fimg()).asnumpy()
    assert norm[0, 0].tolist() == [-5.0, 4.25, 5.5]


def _seeded(aug, seed=7):
    mx.random.seed(seed)
    first = aug(fimg()).asnumpy()
    mx.random.seed(seed)
    np.testing.assert_array_equal(aug(fimg()).asnumpy(), first)
    return first


def test_colour_jitters_keep_their_invariants():
    x = IMG.astype(np.float64)
    luma = np.array([0.299, 0.587, 0.114])
    for s in range(5):
        out = _seeded(mx.image.BrightnessJitterAug(0.3), s).astype(np.float64)
        ratio = out[x > 0] / x[x > 0]
        assert 0.7 <= ratio.min() and ratio.max() <= 1.3 and np.ptp(ratio) < 1e-5
        out = _seeded(mx.image.ContrastJitterAug(0.3), s)
        alpha = (out[0, 1, 0] - out[0, 0, 0]) / (x[0, 1, 0] - x[0, 0, 0])
        mean = 3 * (x * luma).sum() / x.size
        np.testing.assert_allclose(out, alpha * x + (1 - alpha) * mean, rtol=1e-4, atol=1e-3)
        out = _seeded(mx.image.SaturationJitterAug(0.3), s)
        gray = (x * luma).sum(-1, keepdims=True)
        np.testing.assert_allclose((out * luma).sum(-1, keepdims=True), gray, atol=1e-3)
        out = _seeded(mx.image.HueJitterAug(0.3), s)  # the YIQ luma stays
        # (MXNet's YIQ matrices are rounded to 3 digits: the luma moves by a little)
        np.testing.assert_allclose((out * luma).sum(-1), gray[..., 0], atol=0.1)
    np.testing.assert_allclose(mx.image.HueJitterAug(0.0)(fimg()).asnumpy(), IMG, atol=1.0)


def test_lighting_and_random_order():
    for s in range(3):
        out = _seeded(mx.image.LightingAug(0.1, np.ones(3), np.eye(3)), s)
        shift = out - IMG
        np.testing.assert_allclose(shift, np.broadcast_to(shift[0, 0], shift.shape), atol=1e-4)
    np.testing.assert_array_equal(mx.image.LightingAug(0.0, np.ones(3), np.eye(3))(
        fimg()).asnumpy(), IMG)
    jitter = mx.image.ColorJitterAug(0.2, 0.2, 0.2)
    orders = set()
    for s in range(12):
        mx.random.seed(s)
        jitter(fimg())
        orders.add(tuple(type(t).__name__ for t in jitter.ts))
    assert len(orders) > 2
    _seeded(mx.image.RandomOrderAug([mx.image.BrightnessJitterAug(0.2),
                                     mx.image.ContrastJitterAug(0.2)]))
