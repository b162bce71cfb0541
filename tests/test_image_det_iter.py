"""mx.image.ImageDetIter over a folder of PNGs, a .lst file and an indexed .rec written
here: the batches (which images, their pixels, the -1-padded boxes, pad) against those
MXNet 1.9.1 gives for the same files; label shapes, skipping, drawing and every error."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import mxjit as mx
from mxjit.base import ArgumentError, MXNetError, ParamError, ShapeError, UnsupportedError


def _png(k: int) -> bytes:
    h, w = 6 + k, 8 + k
    img = ((np.arange(h * w * 3).reshape(h, w, 3) * 5 + 17 * k) % 256).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return buf.getvalue()


def _raw_label(k: int) -> list[float]:
    """Header (2, 5), then 1 to 3 objects [id, xmin, ymin, xmax, ymax]."""
    rows: list[float] = []
    for j in range(1 + k % 3):
        rows += [j, 0.1 * j, 0.05, 0.1 * j + 0.3, 0.6 + 0.1 * (k % 2)]
    return [2, 5, *rows]


IMGLIST = [[*_raw_label(k), f"{k}.png"] for k in range(5)]
# MXNet's pixels [0, 0, 0] and [2, 3, 1] of image k after ForceResizeAug((6, 5), 1)
PIXELS = {0: (14, 131), 1: (48, 135), 2: (84, 71), 3: (123, 79), 4: (102, 134)}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("det")
    rec = mx.recordio.MXIndexedRecordIO(str(d / "t.idx"), str(d / "t.rec"), "w")
    with open(d / "t.lst", "w") as lst:
        for k in range(5):
            (d / f"{k}.png").write_bytes(_png(k))
            header = mx.recordio.IRHeader(0, np.array(_raw_label(k), np.float32), k, 0)
            rec.write_idx(k, mx.recordio.pack(header, _png(k)))
            lst.write("\t".join(str(v) for v in [k, *IMGLIST[k]]) + "\n")
    rec.close()
    return d


def resize_augs(extra: list | None = None) -> list:
    return [mx.image.DetBorrowAug(mx.image.ForceResizeAug((6, 5), 1)),
            mx.image.DetBorrowAug(mx.image.CastAug()), *(extra or [])]


def _batches(it, n):
    """`n` calls of next (a reset after each end of pass): (images, pad) or 'stop', after
    checking each image's pixels and boxes (-1 rows after its objects)."""
    out = []
    for _ in range(n):
        try:
            b = it.next()
        except StopIteration:
            out.append("stop")
            it.reset()
            continue
        x, label = b.data[0].asnumpy(), b.label[0].asnumpy()
        assert x.shape == it.provide_data[0].shape and label.shape == it.provide_label[0].shape
        images = [next(k for k, p in PIXELS.items() if p == (row[0, 0, 0], row[2, 3, 1]))
                  for row in x]
        for k, boxes in zip(images, label):
            objects = np.array(_raw_label(k)[2:]).reshape(-1, 5)
            np.testing.assert_allclose(boxes[:len(objects)], objects, rtol=1e-6)
            assert (boxes[len(objects):] == -1).all()
        out.append((images, b.pad))
    return out


MXNET = {  # MXNet 1.9.1's ImageDetIter(2, (3, 5, 6), imglist=..., last_batch_handle=h)
    "pad": [([0, 1], 0), ([2, 3], 0), ([4, 0], 1), "stop", ([0, 1], 0)],
    "discard": [([0, 1], 0), ([2, 3], 0), "stop", ([0, 1], 0), ([2, 3], 0)],
    "roll_over": [([0, 1], 0), ([2, 3], 0), "stop", ([4, 0], 1), ([1, 2], 0)],
}


@pytest.mark.parametrize("handle", sorted(MXNET))
def test_batches_match_mxnet(files, handle):
    it = mx.image.ImageDetIter(2, (3, 5, 6), imglist=IMGLIST, path_root=str(files),
                               aug_list=resize_augs(), last_batch_handle=handle)
    assert it.label_shape == (3, 5)
    assert it.provide_data == [("data", (2, 3, 5, 6))]
    assert it.provide_label == [("label", (2, 3, 5))]
    assert _batches(it, 5) == MXNET[handle]


def test_list_file_and_record_parts_match_mxnet(files):
    it = mx.image.ImageDetIter(3, (3, 5, 6), path_imglist=str(files / "t.lst"),
                               path_root=str(files), aug_list=resize_augs())
    assert _batches(it, 2) == [([0, 1, 2], 0), ([3, 4, 0], 1)]
    it = mx.image.ImageDetIter(2, (3, 5, 6), path_imgrec=str(files / "t.rec"),
                               path_imgidx=str(files / "t.idx"), aug_list=resize_augs(),
                               num_parts=2, part_index=1)
    assert it.label_shape == (3, 5)
    assert _batches(it, 2) == [([2, 3], 0), "stop"]


def test_default_augmenters_match_mxnet(files):
    it = mx.image.ImageDetIter(2, (3, 4, 4), imglist=IMGLIST, path_root=str(files), resize=7,
                               mean=True, std=True, inter_method=1)
    x = it.next().data[0].asnumpy()
    np.testing.assert_allclose(x[:, 0, 0, 0], [-1.3816252, -0.7993835], rtol=1e-5)
    np.testing.assert_allclose(x[:, 2, 3, 1], [-0.0092375, 0.931939], rtol=1e-4)


def test_random_augmenters_run_and_repeat_under_a_seed(files):
    def first_batch():
        it = mx.image.ImageDetIter(2, (3, 8, 8), imglist=IMGLIST, path_root=str(files),
                                   shuffle=True, rand_crop=1, rand_pad=1, rand_mirror=True,
                                   brightness=0.1, min_object_covered=0.5)
        b = it.next()
        return b.data[0].asnumpy(), b.label[0].asnumpy()

    mx.random.seed(5)
    data, label = first_batch()
    mx.random.seed(5)
    again = first_batch()
    np.testing.assert_array_equal(data, again[0])
    np.testing.assert_array_equal(label, again[1])
    boxes = label[label[:, :, 0] >= 0][:, 1:]
    assert ((boxes >= 0) & (boxes <= 1)).all()


class _DropSingles(mx.image.DetAugmenter):
    """Marks the objects of images with one object invalid (class -1)."""

    def __call__(self, src, label):
        if label.shape[0] == 1:
            label = label.copy()
            label[:, 0] = -1
        return src, label


def test_images_left_without_a_valid_object_are_skipped_as_in_mxnet(files):
    it = mx.image.ImageDetIter(2, (3, 5, 6), imglist=IMGLIST, path_root=str(files),
                               aug_list=resize_augs([_DropSingles()]))
    assert _batches(it, 3) == [([1, 2], 0), ([4, 1], 1), "stop"]


class _Raising(mx.image.DetAugmenter):
    def __call__(self, src, label):
        raise ParamError("broken augmenter")


class _Doubling(mx.image.DetAugmenter):
    def __call__(self, src, label):
        return src, np.concatenate([label, label])


def test_augmenter_errors_are_raised_not_skipped(files):
    # (MXNet skips an image on any RuntimeError of its augmenters, so a broken augmenter
    # makes an empty iterator)
    it = mx.image.ImageDetIter(2, (3, 5, 6), imglist=IMGLIST, path_root=str(files),
                               aug_list=resize_augs([_Raising()]))
    with pytest.raises(ParamError, match="broken augmenter"):
        it.next()
    it = mx.image.ImageDetIter(2, (3, 5, 6), imglist=IMGLIST, path_root=str(files),
                               aug_list=resize_augs([_Doubling()]))
    with pytest.raises(ShapeError, match=r"has 4 objects of 5 values, more than the label "
                                         r"shape \(3, 5\) holds"):
        it.next()


def test_sync_label_shape_and_reshape_as_mxnet(files):
    val = mx.image.ImageDetIter(2, (3, 5, 6), imglist=IMGLIST[:1], path_root=str(files),
                                aug_list=resize_augs())
    train = mx.image.ImageDetIter(2, (3, 5, 6), imglist=IMGLIST, path_root=str(files),
                                  aug_list=resize_augs())
    assert val.label_shape == (1, 5)
    assert train.sync_label_shape(val, verbose=True) is val
    assert val.label_shape == (3, 5) and val.provide_label == [("label", (2, 3, 5))]
    assert _batches(val, 1) == [([0, 0], 1)]
    val.reshape((3, 7, 7), (5, 5))
    assert val.provide_data == [("data", (2, 3, 7, 7))]
    assert val.provide_label == [("label", (2, 5, 5))] and val.label_shape == (5, 5)


def test_draw_next_yields_bgr_images_with_the_boxes(files):
    it = mx.image.ImageDetIter(1, (3, 5, 6), imglist=IMGLIST, path_root=str(files),
                               aug_list=[mx.image.DetBorrowAug(mx.image.CastAug())])
    images = list(it.draw_next(color=(255, 0, 0), thickness=1, id2labels={0: "a", 1: "b"}))
    assert len(images) == 5
    first = images[0]
    plain = np.asarray(Image.open(io.BytesIO(_png(0))))
    assert first.dtype == np.uint8 and first.shape == plain.shape
    # box 0 of image 0: x from 0 to int(0.3 * 8) = 2, y from int(0.05 * 6) = 0 to 3
    assert first[3, 1].tolist() == [0, 0, 255]  # (red, in BGR order)
    assert first[5, 7].tolist() == plain[5, 7, ::-1].tolist()  # (outside the box)
    it.reset()
    normalised = mx.image.ImageDetIter(1, (3, 5, 6), imglist=IMGLIST, path_root=str(files),
                                       aug_list=resize_augs([]) + [mx.image.DetBorrowAug(
                                           mx.image.ColorNormalizeAug(
                                               np.array([123.68, 116.28, 103.53]),
                                               np.array([58.395, 57.12, 57.375])))])
    restored = next(normalised.draw_next(mean=True, std=True, thickness=1))
    unchanged = next(mx.image.ImageDetIter(1, (3, 5, 6), imglist=IMGLIST, path_root=str(files),
                                           aug_list=resize_augs()).draw_next(color=(0, 0, 0),
                                                                             thickness=1))
    assert np.abs(restored[4:, 4:].astype(int) - unchanged[4:, 4:]).max() <= 1
    with pytest.raises(UnsupportedError, match="no OpenCV to show window 'draw_next'"):
        next(it.draw_next(waitKey=0))


def test_errors(files):
    it = mx.image.ImageDetIter(2, (3, 5, 6), imglist=IMGLIST, path_root=str(files),
                               aug_list=resize_augs())
    with pytest.raises(MXNetError, match="there are no images to read"):
        mx.image.ImageDetIter(2, (3, 5, 6), imglist=[], path_root=str(files))
    with pytest.raises(ShapeError, match="a header of 2 and an object of 5 values at least, "
                                         "got 5 values"):
        it._parse_label([2, 5, 0, .1, .1])
    with pytest.raises(ShapeError, match="a label of 8 values does not hold a header of 2 "
                                         "and objects of 5 values"):
        it._parse_label([2, 5, 0, .1, .1, .5, .5, 1])
    with pytest.raises(MXNetError, match=r"the image has no valid box"):
        mx.image.ImageDetIter(2, (3, 5, 6), imglist=[[2, 5, 0, .5, .5, .4, .4, "0.png"]],
                              path_root=str(files))
    with pytest.raises(ShapeError, match=r"must have shape \(objects, 5 or more\), got "
                                         r"\(2, 4\)"):
        it._check_valid_label(np.zeros((2, 4)))
    with pytest.raises(MXNetError, match="the augmented label has no valid object"):
        it._check_valid_label(np.array([[-1, .1, .1, .5, .5]]))
    with pytest.raises(ShapeError, match="attempts to reduce label count from 3 to 2"):
        it.reshape(None, (2, 5))
    with pytest.raises(ShapeError, match="object width inconsistent: 5 vs 6"):
        it.reshape(None, (4, 6))
    with pytest.raises(ShapeError, match=r"label_shape must be \(objects, width\)"):
        it.reshape(None, (4,))
    with pytest.raises(ArgumentError, match="synchronize with an ImageDetIter, got ImageIter"):
        it.sync_label_shape(mx.image.ImageIter(2, (3, 5, 6), imglist=[[0, "0.png"]],
                                               path_root=str(files)))
    wide = mx.image.ImageDetIter(2, (3, 5, 6), imglist=[[2, 6, 0, .1, .1, .5, .5, 7, "0.png"]],
                                 path_root=str(files), aug_list=resize_augs())
    with pytest.raises(ShapeError, match="object width mismatch: 5 vs 6"):
        it.sync_label_shape(wide)
