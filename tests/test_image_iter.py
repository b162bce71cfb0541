"""mx.image.ImageIter over a tiny .rec/.idx and a folder of PNGs written here: batches
(pixels, labels, pad) against the numbers MXNet 1.9.1 gives for the same files, and the
shuffle's repetition under `mx.random.seed` (mxjit draws it from mx.random)."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import mxjit as mx
from mxjit.base import MXNetError, ParamError, ShapeError


def _png(k: int) -> bytes:
    h, w = 6, 7 + k % 2
    img = ((np.arange(h * w * 3).reshape(h, w, 3) * 7 + 11 * k) % 256).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("imgs")
    rec = mx.recordio.MXIndexedRecordIO(str(d / "t.idx"), str(d / "t.rec"), "w")
    with open(d / "t.lst", "w") as lst:
        for k in range(5):
            rec.write_idx(k, mx.recordio.pack(mx.recordio.IRHeader(0, k * 1.5, k, 0), _png(k)))
            (d / f"{k}.png").write_bytes(_png(k))
            lst.write(f"{k}\t{k}\t{10 + k}\t{k}.png\n")
    rec.close()
    return d


def _batches(it, n):
    """`n` calls of next (a reset after each end of pass): (pixel [:, 0, 0, 0], pixel
    [:, 2, 3, 1], labels, pad) or 'stop'."""
    out = []
    for _ in range(n):
        try:
            b = it.next()
        except StopIteration:
            out.append("stop")
            it.reset()
            continue
        x = b.data[0].asnumpy()
        assert x.shape == it.provide_data[0].shape and x.dtype == np.float32
        assert b.label[0].shape == it.provide_label[0].shape
        out.append((x[:, 0, 0, 0].tolist(), x[:, 2, 3, 1].tolist(),
                    b.label[0].asnumpy().tolist(), b.pad))
    return out


B0 = ([168, 221], [132, 248], [0.0, 1.5], 0)
B1 = ([190, 243], [154, 14], [3.0, 4.5], 0)
MXNET_REC = {  # MXNet 1.9.1's ImageIter(2, (3, 4, 4), path_imgrec=..., last_batch_handle=h)
    "pad": [B0, B1, ([212, 168], [176, 132], [6.0, 0.0], 1), "stop", B0],
    "discard": [B0, B1, "stop", B0, B1],
    "roll_over": [B0, B1, "stop", ([212, 168], [176, 132], [6.0, 0.0], 1),
                  ([221, 190], [248, 154], [1.5, 3.0], 0)],
}


@pytest.mark.parametrize("handle", sorted(MXNET_REC))
def test_record_batches_match_mxnet(files, handle):
    it = mx.image.ImageIter(2, (3, 4, 4), path_imgrec=str(files / "t.rec"),
                            last_batch_handle=handle)
    assert isinstance(it, mx.io.DataIter)
    assert it.provide_data == [("data", (2, 3, 4, 4))]
    assert it.provide_label == [("softmax_label", (2,))]
    assert _batches(it, 5) == MXNET_REC[handle]


def test_indexed_record_part_matches_mxnet(files):
    it = mx.image.ImageIter(3, (3, 4, 4), path_imgrec=str(files / "t.rec"),
                            path_imgidx=str(files / "t.idx"), num_parts=2, part_index=1)
    assert _batches(it, 2) == [([190, 243, 190], [154, 14, 154], [3.0, 4.5, 3.0], 1), "stop"]


def test_image_list_file_matches_mxnet(files):
    it = mx.image.ImageIter(3, (3, 4, 4), label_width=2, path_imglist=str(files / "t.lst"),
                            path_root=str(files))
    assert it.provide_label == [("softmax_label", (3, 2))]
    assert _batches(it, 3) == [
        ([168, 221, 190], [132, 248, 154], [[0, 10], [1, 11], [2, 12]], 0),
        ([243, 212, 168], [14, 176, 132], [[3, 13], [4, 14], [0, 10]], 1), "stop"]


def test_imglist_and_augmenter_arguments_match_mxnet(files):
    it = mx.image.ImageIter(3, (3, 4, 4), imglist=[[k, f"{k}.png"] for k in range(5)],
                            path_root=str(files), dtype="int32")
    assert _batches(it, 2) == [([168, 221, 190], [132, 248, 154], [0, 1, 2], 0),
                               ([243, 212, 168], [14, 176, 132], [3, 4, 0], 1)]
    it = mx.image.ImageIter(2, (3, 4, 4), path_imgrec=str(files / "t.rec"), resize=5,
                            inter_method=1)
    assert _batches(it, 1) == [([19, 59], [156, 194], [0.0, 1.5], 0)]


def test_shuffle_repeats_under_seed_and_covers_every_image(files):
    def labels():
        it = mx.image.ImageIter(5, (3, 4, 4), path_imgrec=str(files / "t.rec"),
                                path_imgidx=str(files / "t.idx"), shuffle=True)
        first = it.next().label[0].asnumpy().tolist()
        it.reset()
        return first, it.next().label[0].asnumpy().tolist()

    mx.random.seed(3)
    a = labels()
    mx.random.seed(3)
    assert labels() == a
    assert sorted(a[0]) == sorted(a[1]) == [0.0, 1.5, 3.0, 4.5, 6.0]


def test_hooks_and_custom_aug_list(files):
    it = mx.image.ImageIter(1, (3, 2, 2), path_imglist=str(files / "t.lst"),
                            path_root=str(files), label_width=2,
                            aug_list=[mx.image.ForceResizeAug((2, 2))])
    label, raw = it.next_sample()
    assert label.asnumpy().tolist() == [0, 10] and raw == it.read_image("0.png")
    img = it.imdecode(raw)
    assert img.shape == (6, 7, 3)
    out = it.postprocess_data(it.augmentation_transform(img))
    assert out.shape == (3, 2, 2)


def test_errors(files):
    rec = str(files / "t.rec")
    with pytest.raises(ParamError, match="path_imgrec, path_imglist or imglist"):
        mx.image.ImageIter(2, (3, 4, 4))
    with pytest.raises(ShapeError, match="3 channels"):
        mx.image.ImageIter(2, (1, 4, 4), path_imgrec=rec)
    with pytest.raises(ShapeError, match=r"\(channels, height, width\)"):
        mx.image.ImageIter(2, (4, 4), path_imgrec=rec)
    with pytest.raises(ParamError, match="label dtype"):
        mx.image.ImageIter(2, (3, 4, 4), path_imgrec=rec, dtype="uint8")
    with pytest.raises(ParamError, match="last_batch_handle"):
        mx.image.ImageIter(2, (3, 4, 4), path_imgrec=rec, last_batch_handle="keep")
    with pytest.raises(ParamError, match="need path_imgidx"):
        mx.image.ImageIter(2, (3, 4, 4), path_imgrec=rec, shuffle=True)
    with pytest.raises(ParamError, match="part_index"):
        mx.image.ImageIter(2, (3, 4, 4), path_imgrec=rec, path_imgidx=str(files / "t.idx"),
                           num_parts=2, part_index=2)
    with pytest.raises(ShapeError, match="1 labels but label_width is 2"):
        mx.image.ImageIter(2, (3, 4, 4), path_imgrec=rec, label_width=2).next()
    it = mx.image.ImageIter(2, (3, 4, 4), imglist=[[0, "0.png"]], path_root=str(files))
    with pytest.raises(MXNetError, match="broken image filename: 0.png"):
        it.imdecode(b"not an image")
    with pytest.raises(MXNetError, match="no pixels"):
        it.check_valid_image(np.zeros(2))  # (as a subclass's imdecode may give)
