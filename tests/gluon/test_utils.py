"""gluon.utils: splitting batches over contexts, clipping by the global norm in one
compiled program, file hashes and replacement, downloads that fail clearly offline."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest

import mxjit as mx
from mxjit import nd
from mxjit.base import MXNetError
from mxjit.gluon import utils


def test_split_data_even_and_uneven():
    x = nd.array(np.arange(10).reshape(5, 2))
    parts = utils.split_data(x, 2, even_split=False)
    assert [p.shape for p in parts] == [(3, 2), (2, 2)]
    np.testing.assert_array_equal(np.concatenate([p.asnumpy() for p in parts]), x.asnumpy())
    assert [p.shape for p in utils.split_data(x, 2, batch_axis=1)] == [(5, 1), (5, 1)]
    with pytest.raises(ValueError, match="evenly split"):
        utils.split_data(x, 2)


def test_split_and_load_keeps_a_csr_batch_sparse():
    rows = np.zeros((6, 5), np.float32)
    rows[4, 3] = 2.0
    batch = nd.array(rows).tostype("csr")
    parts = utils.split_and_load(batch, [mx.cpu(0), mx.cpu(1)])
    assert [type(p).__name__ for p in parts] == ["CSRNDArray"] * 2
    assert [p.context for p in parts] == [mx.cpu(0), mx.cpu(1)]
    np.testing.assert_array_equal(np.concatenate([p.asnumpy() for p in parts]), rows)


def test_split_and_load_puts_one_piece_on_each_context():
    ctxs = [mx.cpu(0), mx.cpu(1)]
    parts = utils.split_and_load(np.ones((4, 3)), ctxs)
    assert [p.context for p in parts] == ctxs and [p.shape for p in parts] == [(2, 3)] * 2
    assert utils.split_and_load(nd.ones((4, 3)), [mx.cpu(1)])[0].context == mx.cpu(1)


def test_clip_global_norm_scales_in_place_with_one_program():
    arrays = [nd.ones((3, 4)) * 3, nd.ones((5,)) * 4]
    norm = utils.clip_global_norm(arrays, 1.0)
    assert norm == pytest.approx(np.sqrt(12 * 9 + 5 * 16), rel=1e-6)
    total = np.sqrt(sum((a.asnumpy() ** 2).sum() for a in arrays))
    assert total == pytest.approx(1.0, rel=1e-5)
    small = [nd.ones((2,)) * 0.1]
    utils.clip_global_norm(small, 1.0)
    np.testing.assert_allclose(small[0].asnumpy(), [0.1, 0.1], rtol=1e-6)
    assert len(utils._global_norm._cache) >= 1
    with pytest.warns(UserWarning, match="nan or inf"):
        utils.clip_global_norm([nd.array([np.inf, 1.0])], 1.0)
    assert isinstance(utils.clip_global_norm([nd.ones((2,))], 1.0, check_isfinite=False),
                      nd.NDArray)


def test_clip_global_norm_leaves_arrays_within_the_bound_alone_and_nan_spreads():
    small = nd.array([0.1, -0.2])
    view = small[0:1]  # (shares the memory: a write would be seen here too)
    before = small._buffer().ctypes.data
    scaled_once = utils._scale_all._cache.copy()
    utils.clip_global_norm([small], 1.0)
    assert small.asnumpy().tolist() == [np.float32(0.1), np.float32(-0.2)]
    assert small._buffer().ctypes.data == before and view.asnumpy()[0] == np.float32(0.1)
    assert utils._scale_all._cache == scaled_once  # (no scaling program ran)
    with pytest.warns(UserWarning, match="nan or inf"):
        poisoned = [nd.array([np.nan, 1.0]), nd.array([2.0])]
        utils.clip_global_norm(poisoned, 1.0)
    assert all(np.isnan(a.asnumpy()).all() for a in poisoned)  # (as MXNet's multiplication)


def test_clip_global_norm_scales_sparse_arrays_in_their_storage():
    # (MXNet's test_global_norm_clip: row_sparse gradients keep their storage type)
    x1 = nd.ones((3, 3)).tostype("row_sparse")
    x2 = nd.ones((4, 4)).tostype("row_sparse")
    assert utils.clip_global_norm([x1, x2], 1.0) == pytest.approx(5.0)
    assert x1.stype == "row_sparse"
    np.testing.assert_allclose(x1.asnumpy(), np.full((3, 3), 0.2), rtol=1e-6)
    np.testing.assert_allclose(x2.asnumpy(), np.full((4, 4), 0.2), rtol=1e-6)


def test_check_sha1_and_replace_file(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"mxjit")
    assert utils.check_sha1(str(path), hashlib.sha1(b"mxjit").hexdigest())
    assert not utils.check_sha1(str(path), "0" * 40)
    src = tmp_path / "new.bin"
    src.write_bytes(b"new")
    utils.replace_file(str(src), str(path))
    assert path.read_bytes() == b"new" and not src.exists()
    with pytest.raises(MXNetError, match="retry"):
        utils.replace_file(str(tmp_path / "missing"), str(path))


def test_download_without_network_is_a_clear_error_and_leaves_no_file(tmp_path):
    with pytest.raises(MXNetError, match="failed after 1 tries"):
        utils.download("http://127.0.0.1:9/data.csv", path=str(tmp_path) + "/", retries=0)
    assert list(tmp_path.iterdir()) == []
    present = tmp_path / "data.csv"
    present.write_text("x")
    assert utils.download("http://127.0.0.1:9/data.csv", path=str(present)) == str(present)
