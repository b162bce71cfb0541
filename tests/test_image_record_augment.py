"""ImageRecordIter's augmentations against what real MXNet 1.9.1 gives
(tests/fixtures/image_record, written by the script there), the random ones for their
properties, and `mean_img` and `path_imglist`."""
from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import mxjit as mx
from mxjit import base
from mxjit.io.image_augmenter import hls_to_rgb, rgb_to_hls

FIXTURE = Path(__file__).parent / "fixtures" / "image_record" / "reference.npz"
_spec = importlib.util.spec_from_file_location("image_record_cases", FIXTURE.parent / "cases.py")
assert _spec is not None and _spec.loader is not None
_cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_cases)
CASES = _cases.CASES
IMAGE = _cases.image()


@pytest.fixture(scope="module")
def rec(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("rec") / "t.rec")
    buf = io.BytesIO()
    Image.fromarray(IMAGE).save(buf, format="PNG")
    writer = mx.recordio.MXRecordIO(path, "w")
    writer.write(mx.recordio.pack(mx.recordio.IRHeader(0, 3.0, 7, 0), buf.getvalue()))
    writer.close()
    return path


def _first(rec: str, **kwargs) -> np.ndarray:
    args = dict(path_imgrec=rec, data_shape=(3, 6, 8), batch_size=1, dtype="uint8")
    args.update(kwargs)
    return mx.io.ImageRecordIter(**args).next().data[0].asnumpy()[0]


@pytest.mark.parametrize("case", sorted(CASES))
def test_deterministic_augmentations_give_mxnets_pixels(rec, case):
    want = np.load(FIXTURE)[case]
    got = _first(rec, **CASES[case])
    assert got.shape == want.shape
    diff = np.abs(got.astype(int) - want.astype(int))
    # (OpenCV interpolates in fixed point, positions in 1/32 pixel: a level or a few)
    assert diff.max() <= 5 and diff.mean() < 1, (case, diff.max(), diff.mean())


@pytest.mark.parametrize("kwargs", [
    dict(max_shear_ratio=0.4), dict(max_aspect_ratio=0.5), dict(max_rotate_angle=30),
    dict(min_crop_size=3, max_crop_size=6, rand_crop=True),
    dict(random_resized_crop=True, min_random_area=0.3, max_aspect_ratio=0.3),
    dict(random_h=30, random_s=60, random_l=40), dict(pca_noise=0.5),
    dict(brightness=0.4, contrast=0.4, saturation=0.4)])
def test_random_augmentations_follow_seed_aug(rec, kwargs):
    a, b = _first(rec, seed_aug=1, **kwargs), _first(rec, seed_aug=1, **kwargs)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (3, 6, 8)
    others = [_first(rec, seed_aug=s, **kwargs) for s in range(2, 8)]
    assert any(not np.array_equal(a, o) for o in others)


def test_hls_conversion_round_trips_within_rounding():
    rgb = np.random.RandomState(1).randint(0, 256, (40, 40, 3)).astype(np.uint8)
    hls = rgb_to_hls(rgb)
    assert hls[..., 0].max() <= 180  # (OpenCV's 8-bit hue is degrees / 2)
    # (hue in steps of 2 degrees moves a channel by up to 255 / 60 per degree)
    assert np.abs(hls_to_rgb(hls).astype(int) - rgb).max() <= 6
    gray = np.full((2, 2, 3), 77, np.uint8)
    np.testing.assert_array_equal(rgb_to_hls(gray)[..., [0, 2]], 0)
    np.testing.assert_array_equal(hls_to_rgb(rgb_to_hls(gray)), gray)


def test_mean_img_is_computed_saved_and_then_loaded(rec, tmp_path):
    path = str(tmp_path / "mean.nd")
    first = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 6, 8), batch_size=1,
                                  mean_img=path, mean_r=10.0)
    saved = mx.nd.load(path)
    np.testing.assert_allclose(saved["mean_img"].asnumpy(),
                               IMAGE.transpose(2, 0, 1) - np.array([10, 0, 0])[:, None, None])
    # as in MXNet, the mean image replaces mean_r..: subtracting the mean of (pixel - 10)
    # from the one image leaves 10 in the red channel
    np.testing.assert_allclose(first.next().data[0].asnumpy()[0],
                               np.broadcast_to(np.array([10, 0, 0])[:, None, None], (3, 6, 8)),
                               atol=1e-5)
    again = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 6, 8), batch_size=1,
                                  mean_img=path, scale=0.5)
    np.testing.assert_allclose(again.next().data[0].asnumpy()[0],
                               (IMAGE.transpose(2, 0, 1) - saved["mean_img"].asnumpy()) * 0.5,
                               rtol=1e-6)


def test_a_mean_img_of_the_wrong_shape_or_not_an_array_file_is_an_error(rec, tmp_path):
    wrong = str(tmp_path / "wrong.nd")
    mx.nd.save(wrong, {"mean_img": mx.nd.zeros((3, 4, 4))})
    with pytest.raises(base.ShapeError, match=r"must hold one array of shape \(3, 6, 8\)"):
        mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 6, 8), batch_size=1,
                              mean_img=wrong)
    junk = tmp_path / "junk.nd"
    junk.write_bytes(b"not an array file")
    with pytest.raises(base.MXNetError, match="is not an NDArray file"):
        mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 6, 8), batch_size=1,
                              mean_img=str(junk))


def test_path_imglist_gives_the_labels_by_image_index(rec, tmp_path):
    lst = tmp_path / "t.lst"
    lst.write_text("7\t1.5\t2.5\timg.png\n")
    it = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 6, 8), batch_size=1,
                               path_imglist=str(lst), label_width=2)
    np.testing.assert_array_equal(it.next().label[0].asnumpy(), [[1.5, 2.5]])
    lst.write_text("8\t1.5\t2.5\timg.png\n")
    with pytest.raises(base.MXNetError, match="image index 7 .* is not in path_imglist"):
        mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 6, 8), batch_size=1,
                              path_imglist=str(lst), label_width=2).next()
    lst.write_text("7\t1.5\timg.png\n")
    with pytest.raises(base.MXNetError, match="line 1 of path_imglist"):
        mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 6, 8), batch_size=1,
                              path_imglist=str(lst), label_width=2)
