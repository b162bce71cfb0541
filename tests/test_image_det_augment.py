"""mx.image's detection augmenters against the numbers MXNet 1.9.1 gives: the box
arithmetic directly, and the random crop and pad with MXNet's draws replaced by a fixed
stream (in both), so that the whole proposal search is compared; then their repetition
under `mx.random.seed`, `CreateDetAugmenter`'s list, and every error."""
from __future__ import annotations

import json

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import ArgumentError, NotOverriddenError, ParamError
from mxjit.image import det_augment

LABEL = np.array([[0, .1, .2, .5, .6], [1, .4, .0, .9, .3], [2, .05, .5, .3, .95]], np.float32)
IMG = (np.arange(4 * 5 * 3).reshape(4, 5, 3) * 37 % 256).astype(np.uint8)
BIG = (np.arange(30 * 40 * 3).reshape(30, 40, 3) % 251).astype(np.uint8)


class FixedDraws:
    """The same draws as Python's `random` gave MXNet in the reference run."""

    U = [0.3, 0.8, 0.55, 0.1, 0.95, 0.42, 0.67, 0.05, 0.5, 0.21, 0.88, 0.73, 0.36]

    def __init__(self) -> None:
        self.k = 0

    def random(self) -> float:
        self.k += 1
        return self.U[(self.k - 1) % len(self.U)]

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.random()

    def randint(self, a: int, b: int) -> int:
        return a + min(int(self.random() * (b - a + 1)), b - a)


@pytest.fixture
def fixed_draws(monkeypatch):
    draws = FixedDraws()
    monkeypatch.setattr(det_augment, "_chance", draws.random)
    monkeypatch.setattr(det_augment, "_uniform", draws.uniform)
    monkeypatch.setattr(det_augment, "_randint", draws.randint)


def close(got: np.ndarray, want: list) -> None:
    np.testing.assert_allclose(got, want, atol=1e-4)


# ---- the box arithmetic -------------------------------------------------------------------

def test_crop_constraints_and_new_boxes_match_mxnet():
    crop = mx.image.DetRandomCropAug(min_object_covered=0.3, min_eject_coverage=0.4)
    windows = [(0, 0, 20, 15), (5, 5, 30, 20), (10, 0, 10, 10), (0, 0, 1, 1), (20, 10, 20, 20)]
    assert [crop._check_satisfy_constraints(LABEL, x, y, x + w, y + h, 40, 30)
            for x, y, w, h in windows] == [False, True, False, False, False]
    close(crop._update_labels(LABEL, (0, 0, 20, 15), 30, 40), [[0, .2, .4, 1, 1]])
    close(crop._update_labels(LABEL, (5, 5, 30, 20), 30, 40),
          [[0, 0, .05, .5, .65], [1, .3667, 0, 1, .2], [2, 0, .5, .2333, 1]])
    assert crop._update_labels(LABEL, (30, 25, 10, 5), 30, 40) is None


def test_pad_boxes_and_flip_match_mxnet():
    close(mx.image.DetRandomPadAug()._update_labels(LABEL, (3, 4, 50, 40), 30, 40),
          [[0, .14, .25, .46, .55], [1, .38, .1, .78, .325], [2, .1, .475, .3, .8125]])
    label = LABEL.copy()
    img, out = mx.image.DetHorizontalFlipAug(1.0)(mx.nd.array(IMG, dtype="uint8"), label)
    assert img.asnumpy()[:, :, 0].tolist() == [[188, 77, 222, 111, 0], [231, 120, 9, 154, 43],
                                               [18, 163, 52, 197, 86], [61, 206, 95, 240, 129]]
    close(out, [[0, .5, .2, .9, .6], [1, .1, 0, .6, .3], [2, .7, .5, .95, .95]])
    assert out is label  # (flipped in place, as MXNet's)
    same, kept = mx.image.DetHorizontalFlipAug(0.0)(mx.nd.array(IMG), LABEL.copy())
    np.testing.assert_array_equal(same.asnumpy(), IMG)
    np.testing.assert_array_equal(kept, LABEL)


# ---- the random proposals, with MXNet's draws ---------------------------------------------

def test_random_crop_search_matches_mxnet(fixed_draws):
    aug = mx.image.DetRandomCropAug(min_object_covered=0.2, aspect_ratio_range=(0.5, 2.0),
                                    area_range=(0.2, 1.0))
    img, label = aug(mx.nd.array(BIG, dtype="uint8"), LABEL.copy())
    assert img.shape == (28, 27, 3) and int(img.asnumpy().astype(np.int64).sum()) == 280601
    close(label, [[0, .1111, .1786, .7037, .6071], [1, .5556, 0, 1, .2857],
                  [2, .037, .5, .4074, .9821]])


def test_random_pad_search_matches_mxnet(fixed_draws):
    aug = mx.image.DetRandomPadAug(aspect_ratio_range=(0.5, 2.0), area_range=(1.0, 3.0),
                                   pad_val=(1, 2, 3))
    img, label = aug(mx.nd.array(BIG, dtype="uint8"), LABEL.copy())
    pixels = img.asnumpy()
    assert img.shape == (58, 55, 3) and int(pixels.astype(np.int64).sum()) == 454845
    assert pixels[0, 0].tolist() == [1, 2, 3]
    close(label, [[0, .0909, .3621, .3818, .569], [1, .3091, .2586, .6727, .4138],
                  [2, .0545, .5172, .2364, .75]])


def test_random_select_skips_or_crops_as_mxnet(fixed_draws):
    aug = mx.image.CreateMultiRandCropAugmenter(min_object_covered=[0.1], area_range=(0.3, 1.0),
                                                skip_prob=0.5)
    got = [aug(mx.nd.array(BIG, dtype="uint8"), LABEL.copy()) for _ in range(3)]
    assert [img.shape for img, _ in got] == [(30, 40, 3), (19, 20, 3), (26, 20, 3)]
    close(got[0][1], LABEL)
    close(got[1][1], [[0, 0, 0, .6, .3684], [2, 0, .2105, .2, .9211]])
    close(got[2][1], [[1, 0, 0, .9, .3077]])


def test_random_augmenters_repeat_under_a_seed_and_keep_boxes_inside():
    augs = [mx.image.DetRandomCropAug(min_object_covered=0.1), mx.image.DetRandomPadAug(),
            mx.image.DetHorizontalFlipAug(0.5)]

    def run():
        out = []
        for _ in range(5):
            img, label = mx.nd.array(BIG, dtype="uint8"), LABEL.copy()
            for aug in augs:
                img, label = aug(img, label)
            out.append((img.shape, label.tolist()))
        return out

    mx.random.seed(7)
    first = run()
    mx.random.seed(7)
    assert run() == first
    for _, label in first:
        boxes = np.array(label)[:, 1:]
        assert ((boxes >= 0) & (boxes <= 1)).all()
        assert (boxes[:, 2] > boxes[:, 0]).all() and (boxes[:, 3] > boxes[:, 1]).all()


# ---- the standard list and dumps ----------------------------------------------------------

MXNET_DUMPS = [
    ["detborrowaug", '["resizeaug", {"size": 40, "interp": 2}]'],
    ["detrandomselectaug", ['["detrandomcropaug", {"min_object_covered": 0.1, '
                            '"aspect_ratio_range": [0.75, 1.33], "area_range": [0.05, 3.0], '
                            '"min_eject_coverage": 0.3, "max_attempts": 50}]']],
    '["dethorizontalflipaug", {"p": 0.5}]',
    ["detrandomselectaug", ['["detrandompadaug", {"aspect_ratio_range": [0.75, 1.33], '
                            '"area_range": [1.0, 3.0], "max_attempts": 50, '
                            '"pad_val": [127, 127, 127]}]']],
    ["detborrowaug", '["forceresizeaug", {"size": [30, 30], "interp": 2}]'],
    ["detborrowaug", '["castaug", {"type": "float32"}]'],
    ["detborrowaug", ["colorjitteraug", ['["brightnessjitteraug", {"brightness": 0.1}]']]],
    ["detborrowaug", '["huejitteraug", {"hue": 0.1}]'],
    ["detborrowaug", '["lightingaug", {"alphastd": 0.1, "eigval": [55.46, 4.794, 1.148], '
                     '"eigvec": [[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.814], '
                     '[-0.5836, -0.6948, 0.4203]]}]'],
    ["detborrowaug", '["randomgrayaug", {"p": 0.1}]'],
    ["detborrowaug", '["colornormalizeaug", {"mean": [123.68, 116.28, 103.53], '
                     '"std": [58.395, 57.12, 57.375]}]'],
]


def test_create_det_augmenter_builds_mxnets_list():
    augs = mx.image.CreateDetAugmenter((3, 30, 30), resize=40, rand_crop=0.5, rand_pad=0.5,
                                       rand_mirror=True, mean=True, std=True, brightness=0.1,
                                       hue=0.1, pca_noise=0.1, rand_gray=0.1)
    assert [a.dumps() for a in augs] == MXNET_DUMPS
    assert augs[1].skip_prob == 0.5 and augs[3].skip_prob == 0.5
    plain = mx.image.CreateDetAugmenter((3, 8, 6))
    assert [a.dumps() for a in plain] == [
        ["detborrowaug", '["forceresizeaug", {"size": [6, 8], "interp": 2}]'], MXNET_DUMPS[5]]


def test_single_numbers_are_fixed_ranges_and_lists_make_several_crops():
    aug = mx.image.DetRandomCropAug(aspect_ratio_range=1.0, area_range=0.5)
    assert json.loads(aug.dumps())[1]["area_range"] == [0.5, 0.5]
    multi = mx.image.CreateMultiRandCropAugmenter(min_object_covered=[0.1, 0.3, 0.5],
                                                  area_range=[(0.1, 1.0)])
    assert [a.min_object_covered for a in multi.aug_list] == [0.1, 0.3, 0.5]
    assert all(a.area_range == (0.1, 1.0) for a in multi.aug_list)
    assert mx.image.DetRandomSelectAug([]).skip_prob == 1


def test_a_single_pad_value_fills_every_channel(fixed_draws):
    # (MXNet hands OpenCV one value and three it does not hold: 9, 0, 0 in practice)
    aug = mx.image.DetRandomPadAug(aspect_ratio_range=(0.5, 2.0), pad_val=9)
    img, _ = aug(mx.nd.array(BIG, dtype="uint8"), LABEL.copy())
    assert img.shape == (58, 55, 3) and img.asnumpy()[0, 0].tolist() == [9, 9, 9]


def test_invalid_ranges_disable_with_a_warning():
    # (MXNet 1.9.1 means to warn here but raises TypeError from warnings.warn)
    with pytest.warns(UserWarning, match="invalid area_range"):
        assert not mx.image.DetRandomCropAug(area_range=(0.5, 0.1)).enabled
    with pytest.warns(UserWarning, match="invalid aspect_ratio_range"):
        assert not mx.image.DetRandomCropAug(aspect_ratio_range=(2, 1)).enabled
    with pytest.warns(UserWarning, match="invalid area_range"):
        pad = mx.image.DetRandomPadAug(area_range=(1.0, 1.0))
    with pytest.warns(UserWarning, match="invalid aspect_ratio_range"):
        mx.image.DetRandomPadAug(aspect_ratio_range=(0, 1))
    img, label = pad(mx.nd.array(IMG), LABEL)
    assert img.shape == IMG.shape and label is LABEL
    with pytest.warns(UserWarning, match="DetRandomPadAug"):
        mx.image.CreateDetAugmenter((3, 8, 8), rand_pad=1, area_range=(0.1, 1.0))


def test_errors():
    with pytest.raises(ArgumentError, match="borrows an mx.image.Augmenter, got int"):
        mx.image.DetBorrowAug(3)
    with pytest.raises(ArgumentError, match="takes DetAugmenters only, got CastAug"):
        mx.image.DetRandomSelectAug([mx.image.CastAug()])
    with pytest.raises(ParamError, match="area_range must be a number or a"):
        mx.image.DetRandomCropAug(area_range="big")
    with pytest.raises(ParamError, match="pad_val must be a number or one per channel"):
        mx.image.DetRandomPadAug(pad_val="gray")
    with pytest.raises(ParamError, match="must have one value or 3"):
        mx.image.CreateMultiRandCropAugmenter(min_object_covered=[0.1, 0.2, 0.3],
                                              max_attempts=[5, 6])
    with pytest.raises(ParamError, match="CreateDetAugmenter: mean must be True, None"):
        mx.image.CreateDetAugmenter((3, 8, 8), mean=[1, 2, 3])
    with pytest.raises(NotOverriddenError, match="DetAugmenter does not define __call__"):
        mx.image.DetAugmenter()(mx.nd.array(IMG), LABEL)


def test_module_paths_are_mxnets():
    assert mx.image.det is mx.image.detection
    for name in mx.image.detection.__all__:
        assert getattr(mx.image.detection, name) is getattr(mx.image, name), name
