"""mx.recordio: files byte-identical to MXNet 1.9.1's (the expected bytes were written by
real MXNet), the index file, IRHeader packing, image records, and a clear error for every
kind of damaged file."""
from __future__ import annotations

import io
import os
import pickle

import numpy as np
import pytest
from PIL import Image

import mxjit as mx
from mxjit.base import MXNetError
from mxjit.recordio import (
    IRHeader,
    MXIndexedRecordIO,
    MXRecordIO,
    pack,
    pack_img,
    unpack,
    unpack_img,
)

MAGIC = b"\x0a\x23\xd7\xce"
#: Records with the magic word at aligned and unaligned offsets, and several in a row.
RECORDS = [b"", b"a", b"abcd", b"hello", MAGIC, b"xy" + MAGIC + b"zz",
           b"1234" + MAGIC + MAGIC + b"5678" + MAGIC]
#: What MXNet 1.9.1's MXRecordIO wrote for RECORDS.
MXNET_REC = bytes.fromhex(
    "0a23d7ce000000000a23d7ce01000000610000000a23d7ce04000000616263640a23d7ce0500000068656c6c"
    "6f0000000a23d7ce000000200a23d7ce000000600a23d7ce0800000078790a23d7ce7a7a0a23d7ce04000020"
    "313233340a23d7ce000000400a23d7ce04000040353637380a23d7ce00000060")
#: MXNet's MXIndexedRecordIO with write_idx(i, b"rec%d" % i * (i + 1)) for i in 0, 1, 2.
MXNET_INDEXED_REC = bytes.fromhex(
    "0a23d7ce04000000726563300a23d7ce0800000072656331726563310a23d7ce0c0000007265633272656332"
    "72656332")
MXNET_IDX = "0\t0\n1\t12\n2\t28\n"


def read_all(path) -> list[bytes]:
    reader = MXRecordIO(str(path), "r")
    out = []
    while (record := reader.read()) is not None:
        out.append(record)
    reader.close()
    return out


def test_written_bytes_are_mxnets(tmp_path):
    path = tmp_path / "a.rec"
    writer = MXRecordIO(str(path), "w")
    for record in RECORDS:
        writer.write(record)
    writer.close()
    assert path.read_bytes() == MXNET_REC


def test_records_mxnet_wrote_read_back(tmp_path):
    path = tmp_path / "mxnet.rec"
    path.write_bytes(MXNET_REC)
    assert read_all(path) == RECORDS


def test_reset_rereads_and_truncates_for_writing(tmp_path):
    path = tmp_path / "r.rec"
    path.write_bytes(MXNET_REC)
    reader = MXRecordIO(str(path), "r")
    assert [reader.read(), reader.read()] == RECORDS[:2]
    reader.reset()
    assert reader.read() == RECORDS[0]
    writer = MXRecordIO(str(path), "w")
    writer.write(b"only")
    writer.reset()
    writer.write(b"new")
    writer.close()
    assert read_all(path) == [b"new"]


def test_the_indexed_file_and_its_index_are_mxnets(tmp_path):
    rec, idx = tmp_path / "b.rec", tmp_path / "b.idx"
    writer = MXIndexedRecordIO(str(idx), str(rec), "w")
    positions = []
    for i in range(3):
        positions.append(writer.tell())
        writer.write_idx(i, b"rec%d" % i * (i + 1))
    writer.close()
    assert positions == [0, 12, 28]
    assert rec.read_bytes() == MXNET_INDEXED_REC and idx.read_text() == MXNET_IDX
    reader = MXIndexedRecordIO(str(idx), str(rec), "r")
    assert reader.keys == [0, 1, 2] and reader.idx == {0: 0, 1: 12, 2: 28}
    assert reader.read_idx(2) == b"rec2rec2rec2" and reader.read_idx(0) == b"rec0"
    assert reader.read() == b"rec1rec1"  # (reading goes on after the record sought)
    with pytest.raises(KeyError):
        reader.read_idx(7)


def test_string_keys_and_a_pickled_reader(tmp_path):
    rec, idx = str(tmp_path / "s.rec"), str(tmp_path / "s.idx")
    writer = MXIndexedRecordIO(idx, rec, "w", key_type=str)
    for key in ("cat", "dog"):
        writer.write_idx(key, key.encode() * 3)
    writer.close()
    reader = MXIndexedRecordIO(idx, rec, "r", key_type=str)
    clone = pickle.loads(pickle.dumps(reader))
    assert clone.keys == ["cat", "dog"] and clone.read_idx("dog") == b"dogdogdog"
    assert reader.read_idx("cat") == b"catcatcat"


def test_pack_and_unpack_match_mxnets_bytes():
    scalar = pack(IRHeader(0, 3.5, 7, 1), b"xyz")
    assert scalar == bytes.fromhex("00000000000060400700000000000000010000000000000078797a")
    header, payload = unpack(scalar)
    assert header == (0, 3.5, 7, 1) and payload == b"xyz"
    assert pickle.loads(pickle.dumps(header)) == header  # (DataLoader workers send headers)
    array = pack(IRHeader(9, [1, 2.5, -1], 2**40 + 5, 3), b"data")
    assert array == bytes.fromhex("030000000000000005000000000100000300000000000000"
                                  "0000803f00002040000080bf64617461")
    header, payload = unpack(array)
    assert header.flag == 3 and header.id == 2**40 + 5 and header.id2 == 3
    assert header.label.dtype == np.float32 and header.label.tolist() == [1, 2.5, -1]
    assert payload == b"data" and repr(header).startswith("HEADER(flag=3")


def test_pack_sets_the_flag_from_the_label_as_mxnet():
    assert unpack(pack(IRHeader(5, 4, 1, 0), b"q"))[0] == (0, 4.0, 1, 0)
    assert unpack(pack(IRHeader(5, np.float64(4), 1, 0), b"q"))[0] == (0, 4.0, 1, 0)
    for label in ([4.0], np.array(4.0)):
        header = unpack(pack(IRHeader(5, label, 1, 0), b"q"))[0]
        assert header.flag == 1 and header.label.tolist() == [4.0]


def test_pack_and_unpack_errors():
    with pytest.raises(TypeError, match="bytes, not str"):
        pack(IRHeader(0, 1, 0, 0), "text")
    with pytest.raises(MXNetError, match="shorter than the 24-byte IRHeader"):
        unpack(b"short")
    with pytest.raises(MXNetError, match="announces 3 float32 labels"):
        unpack(pack(IRHeader(0, [1, 2, 3], 0, 0), b"")[:30])


# ---- images ----------------------------------------------------------------------------------

RNG = np.random.RandomState(0)
BGR = RNG.randint(0, 256, (5, 7, 3)).astype(np.uint8)


@pytest.mark.parametrize("img", [BGR, BGR[..., 0], RNG.randint(0, 256, (4, 3, 4)).astype(np.uint8)],
                         ids=["bgr", "gray", "bgra"])
def test_png_image_records_round_trip_exactly(img):
    record = pack_img(IRHeader(0, [1, 2], 9, 0), img, quality=3, img_fmt=".png")
    header, got = unpack_img(record)
    assert header.label.tolist() == [1, 2] and header.id == 9
    assert got.dtype == np.uint8 and np.array_equal(got, img)


def test_images_are_stored_in_rgb_and_given_in_bgr_as_opencv_does():
    red_in_bgr = np.zeros((2, 2, 3), np.uint8)
    red_in_bgr[..., 2] = 255
    _, payload = unpack(pack_img(IRHeader(0, 0, 0, 0), red_in_bgr, img_fmt=".png"))
    assert Image.open(io.BytesIO(payload)).getpixel((0, 0)) == (255, 0, 0)
    rgb_png = io.BytesIO()
    Image.new("RGB", (3, 2), (10, 20, 30)).save(rgb_png, format="PNG")
    _, img = unpack_img(pack(IRHeader(0, 0, 0, 0), rgb_png.getvalue()))
    assert img.shape == (2, 3, 3) and img[0, 0].tolist() == [30, 20, 10]


def test_iscolor_chooses_gray_or_color():
    record = pack_img(IRHeader(0, 0, 0, 0), BGR, img_fmt=".png")
    gray = unpack_img(record, iscolor=0)[1]
    assert gray.shape == (5, 7)
    expected = np.asarray(Image.fromarray(BGR[..., ::-1].copy()).convert("L"))
    assert np.array_equal(gray, expected)
    color = unpack_img(pack_img(IRHeader(0, 0, 0, 0), BGR[..., 1], img_fmt=".png"), 1)[1]
    assert color.shape == (5, 7, 3) and np.array_equal(color[..., 0], BGR[..., 1])
    with pytest.raises(ValueError, match="iscolor must be"):
        unpack_img(record, iscolor=-2)


def test_jpeg_records_are_close_and_quality_matters():
    smooth = np.add.outer(np.arange(32), np.arange(32)).astype(np.uint8)[..., None] * \
        np.array([1, 2, 3], np.uint8)
    good = pack_img(IRHeader(0, 0, 0, 0), smooth, quality=95)
    poor = pack_img(IRHeader(0, 0, 0, 0), smooth, quality=10)
    assert len(poor) < len(good)
    _, got = unpack_img(good)
    assert got.shape == smooth.shape and np.abs(got.astype(int) - smooth).mean() < 3
    assert unpack(good)[1][:2] == b"\xff\xd8"  # (a JPEG file starts with SOI)


def test_image_errors_are_clear():
    with pytest.raises(MXNetError, match="not an image Pillow can decode"):
        unpack_img(pack(IRHeader(0, 0, 0, 0), b"not an image"))
    jpeg = unpack(pack_img(IRHeader(0, 0, 0, 0), BGR))[1]
    with pytest.raises(MXNetError, match="not an image"):
        unpack_img(pack(IRHeader(0, 0, 0, 0), jpeg[: len(jpeg) // 2]))
    with pytest.raises(ValueError, match="unknown image format"):
        pack_img(IRHeader(0, 0, 0, 0), BGR, img_fmt=".nope")
    with pytest.raises(ValueError, match="1, 3 or 4 channels"):
        pack_img(IRHeader(0, 0, 0, 0), np.zeros((2, 2, 2), np.uint8))
    with pytest.raises(ValueError, match=r"rows x columns \(x channels\), got shape \(4,\)"):
        pack_img(IRHeader(0, 0, 0, 0), np.zeros(4, np.uint8))
    with pytest.raises(MXNetError, match="failed to encode"):
        pack_img(IRHeader(0, 0, 0, 0), np.zeros((2, 2, 3), np.float32))


# ---- damaged files and misuse ------------------------------------------------------------------


@pytest.mark.parametrize("data, message", [
    (b"garbage!", "no record starts at byte 0"),
    (MXNET_REC[:10], "ends inside the record header at byte 8"),
    (MXNET_REC[:18], "the record at byte 8 needs 12 bytes but the file ends after 10"),
    (bytes.fromhex("0a23d7ce00000040"), "continuation flag 2, not 0 or 1"),
    (bytes.fromhex("0a23d7ce00000020") + MXNET_REC[:8], "continuation flag 0, not 2 or 3"),
    (bytes.fromhex("0a23d7ceffffff1f") + b"tiny", "needs 536870920 bytes"),
], ids=["magic", "header", "body", "first-flag", "part-flag", "huge-length"])
def test_damaged_files_raise_a_clear_error(tmp_path, data, message):
    path = tmp_path / "bad.rec"
    path.write_bytes(data)
    with pytest.raises(MXNetError, match=message):
        read_all(path)


def test_every_truncation_gives_records_or_a_clear_error(tmp_path):
    path = tmp_path / "cut.rec"
    for end in range(len(MXNET_REC)):
        path.write_bytes(MXNET_REC[:end])
        try:
            got = read_all(path)
        except MXNetError as e:
            assert "invalid RecordIO file" in str(e)
        else:
            assert got == RECORDS[: len(got)]


def test_a_damaged_index_names_its_line(tmp_path):
    rec, idx = tmp_path / "i.rec", tmp_path / "i.idx"
    rec.write_bytes(MXNET_INDEXED_REC)
    idx.write_text("0\t0\n\n1 12\n")
    with pytest.raises(MXNetError, match=r"i.idx:3: invalid index line '1 12'"):
        MXIndexedRecordIO(str(idx), str(rec), "r")


def test_misuse_is_refused(tmp_path):
    path = str(tmp_path / "m.rec")
    with pytest.raises(ValueError, match="Invalid flag 'a'"):
        MXRecordIO(path, "a")
    writer = MXRecordIO(path, "w")
    with pytest.raises(MXNetError, match="cannot read"):
        writer.read()
    with pytest.raises(TypeError, match="not str"):
        writer.write("text")
    with pytest.raises(ValueError, match=r"less than 2\*\*29 bytes, got 536870912"):
        writer.write(np.zeros(2**29, np.uint8))  # (calloc'ed: no memory is touched)
    writer.pid = -1  # (as in a process forked from the writer's)
    with pytest.raises(RuntimeError, match="another process"):
        writer.write(b"x")
    writer.close()
    reader = MXRecordIO(path, "r")
    with pytest.raises(MXNetError, match="cannot write"):
        reader.write(b"x")
    reader.close()
    reader.close()
    with pytest.raises(MXNetError, match="closed"):
        reader.read()
    with pytest.raises(FileNotFoundError):
        MXRecordIO(str(tmp_path / "missing.rec"), "r")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="workers are forked (POSIX)")
def test_dataloader_workers_read_one_record_file(tmp_path):
    rec, idx = str(tmp_path / "w.rec"), str(tmp_path / "w.idx")
    writer = MXIndexedRecordIO(idx, rec, "w")
    for i in range(40):
        writer.write_idx(i, pack(IRHeader(0, float(i), i, 0), MAGIC * (i % 3) + b"%d" % i))
    writer.close()
    ds = mx.gluon.data.RecordFileDataset(rec).transform(lambda r: unpack(r)[0].label)
    ds[5]  # (the parent reads first: workers must not share its file position)
    loader = mx.gluon.data.DataLoader(ds, batch_size=4, num_workers=2)
    labels = [x for batch in loader for x in batch.asnumpy().tolist()]
    assert labels == [float(i) for i in range(40)]
