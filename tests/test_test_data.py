"""MXNet's test_utils data helpers: downloads (through file:// URLs, since tests have no
network), reading files already present, the MNIST readers, DummyIter; and check_speed,
same_symbol_structure."""
import bz2
import gzip
import struct
import zipfile

import numpy as np
import pytest

import mxjit as mx
from mxjit import test_utils as tu
from mxjit.base import MXNetError


def _idx_pair(folder, stem, n, compress):
    """Tiny MNIST-format files: n 28x28 images of value i and labels i."""
    labels = struct.pack(">II", 2049, n) + bytes(range(n))
    images = struct.pack(">IIII", 2051, n, 28, 28) + b"".join(bytes([i]) * 784 for i in range(n))
    opener = gzip.open if compress else open
    suffix = ".gz" if compress else ""
    with opener(folder / f"{stem}-labels-idx1-ubyte{suffix}", "wb") as f:
        f.write(labels)
    with opener(folder / f"{stem}-images-idx3-ubyte{suffix}", "wb") as f:
        f.write(images)


def test_download_copies_a_url_and_keeps_a_present_file(tmp_path):
    src = tmp_path / "src.txt"
    src.write_text("hello")
    got = tu.download(src.as_uri(), fname="copy.txt", dirname=str(tmp_path / "out"))
    assert got == str(tmp_path / "out" / "copy.txt") and open(got).read() == "hello"
    src.write_text("changed")
    assert open(tu.download(src.as_uri(), fname=got)).read() == "hello"  # present: kept
    assert open(tu.download(src.as_uri(), fname=got, overwrite=True)).read() == "changed"


def test_a_failed_download_names_the_url_and_leaves_no_file(tmp_path):
    url = (tmp_path / "missing.bin").as_uri()
    with pytest.raises(MXNetError, match="download of .*missing.bin failed after 2 tries"):
        tu.download(url, dirname=str(tmp_path / "out"), retries=1)
    assert list((tmp_path / "out").iterdir()) == []


def test_get_mnist_reads_the_files_in_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _idx_pair(tmp_path, "train", 3, compress=True)
    _idx_pair(tmp_path, "t10k", 2, compress=True)
    mnist = tu.get_mnist()
    assert mnist["train_data"].shape == (3, 1, 28, 28) and mnist["train_data"].dtype == np.float32
    np.testing.assert_array_equal(mnist["train_label"], np.array([0, 1, 2], np.int8))
    np.testing.assert_allclose(mnist["test_data"][1], np.full((1, 28, 28), 1 / 255))


def test_mnist_iterators_read_get_mnist_ubytes_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    _idx_pair(tmp_path / "data", "train", 4, compress=False)
    _idx_pair(tmp_path / "data", "t10k", 4, compress=False)
    train, val = tu.get_mnist_iterator(2, (1, 28, 28))
    batch = next(iter(val))  # (shuffled, as MXNet's MNISTIter is by default)
    assert batch.data[0].shape == (2, 1, 28, 28)
    labels = batch.label[0].asnumpy()
    np.testing.assert_allclose(batch.data[0].asnumpy()[:, 0, 0, 0], labels / 256)
    flat_train, _ = tu.get_mnist_iterator(4, (784,))
    assert next(iter(flat_train)).data[0].shape == (4, 784)


def test_zip_and_bz2_archives_are_fetched_and_unpacked(tmp_path):
    archive = tmp_path / "pack.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("inside.txt", "zipped")
    tu.get_zip_data(str(tmp_path / "z"), archive.as_uri(), "pack.zip")
    assert (tmp_path / "z" / "inside.txt").read_text() == "zipped"
    compressed = tmp_path / "rows.bz2"
    compressed.write_bytes(bz2.compress(b"1 2\n3 4\n"))
    tu.get_bz2_data(str(tmp_path / "b"), "rows.txt", compressed.as_uri(), "rows.bz2")
    assert (tmp_path / "b" / "rows.txt").read_bytes() == b"1 2\n3 4\n"
    assert not (tmp_path / "b" / "rows.bz2").exists()  # the archive goes, as in MXNet


def test_download_model_by_table_and_unknown_names(tmp_path):
    (tmp_path / "s.json").write_text("{}")
    (tmp_path / "p.params").write_bytes(b"x")
    meta = {"tiny": {"symbol": (tmp_path / "s.json").as_uri(),
                     "params": (tmp_path / "p.params").as_uri()}}
    prefix, epoch = tu.download_model("tiny", str(tmp_path / "m"), meta)
    assert epoch == 0 and open(prefix + "-symbol.json").read() == "{}"
    assert tu.download_model("no-such-model", str(tmp_path / "m"), meta) == (None, 0)


def test_im2rec_is_found_only_through_mxnet_home(tmp_path, monkeypatch):
    monkeypatch.delenv("MXNET_HOME", raising=False)
    with pytest.raises(OSError, match="Could not find path to tools/im2rec.py"):
        tu.get_im2rec_path()
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "im2rec.py").write_text("")
    monkeypatch.setenv("MXNET_HOME", str(tmp_path))
    assert tu.get_im2rec_path() == str(tmp_path / "tools" / "im2rec.py")


def test_dummy_iter_repeats_the_first_batch_forever():
    real = mx.io.NDArrayIter(np.arange(8.0).reshape(4, 2), np.arange(4.0), batch_size=2)
    it = tu.DummyIter(real)
    batches = [next(it) for _ in range(5)]
    assert all(b is batches[0] for b in batches)
    assert it.provide_data == real.provide_data and it.batch_size == 2


def test_check_speed_times_forward_and_backward():
    sym = mx.sym.FullyConnected(mx.sym.var("x"), num_hidden=3, name="fc")
    assert tu.check_speed(sym, N=2, x=(4, 5)) > 0
    location = {"x": np.ones((4, 5)), "fc_weight": np.ones((3, 5)), "fc_bias": np.zeros(3)}
    assert tu.check_speed(sym, location=location, N=2, typ="forward") > 0
    with pytest.raises(ValueError, match='typ can only be "whole" or "forward"'):
        tu.check_speed(sym, N=1, typ="backward", x=(4, 5))
    with pytest.raises(TypeError, match='Expect dict, get "location"'):
        tu.check_speed(sym, location=[np.ones((4, 5))], N=1)


def test_same_symbol_structure_compares_operators_node_by_node():
    a, b = mx.sym.var("a"), mx.sym.var("b")
    assert tu.same_symbol_structure(mx.sym.relu(a) + 1, mx.sym.relu(b) + 2)
    assert not tu.same_symbol_structure(mx.sym.relu(a), mx.sym.sigmoid(a))
