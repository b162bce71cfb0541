"""mx.nd.sparse: CSR / row_sparse arrays, conversions, dot, printing and save/load."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import DTypeError, ShapeError, SparseFormatError
from mxjit.nd.sparse import CSRNDArray, RowSparseNDArray

S = mx.nd.sparse
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mxnet-1.9.1"
DENSE = np.array([[1, 0, 2], [0, 0, 0], [0, 3, 0]], np.float32)


def test_csr_matrix_components_and_printed_form() -> None:
    a = S.csr_matrix(([1, 2, 3], [0, 2, 1], [0, 2, 2, 3]), shape=(3, 3))
    assert isinstance(a, CSRNDArray) and isinstance(a, mx.nd.NDArray)
    assert a.stype == "csr" and a.shape == (3, 3) and a.dtype == np.float32
    assert repr(a) == "\n<CSRNDArray 3x3 @cpu(0)>" and str(a) == repr(a)
    np.testing.assert_array_equal(a.asnumpy(), DENSE)
    assert a.data.asnumpy().tolist() == [1, 2, 3]
    assert a.indices.asnumpy().tolist() == [0, 2, 1] and a.indices.dtype == np.int64
    assert a.indptr.asnumpy().tolist() == [0, 2, 2, 3] and a.indptr.dtype == np.int64
    assert a.context == mx.cpu(0)
    inferred = S.csr_matrix((np.array([1.0, 2.0]), [0, 4], [0, 1, 2]))
    assert inferred.shape == (2, 5) and inferred.dtype == np.float64
    coo = S.csr_matrix(([5.0, 6.0], ([2, 0], [1, 1])), shape=(3, 2))
    np.testing.assert_array_equal(coo.asnumpy(), [[0, 6], [0, 0], [0, 5]])
    assert S.csr_matrix((2, 4)).asnumpy().tolist() == [[0] * 4] * 2
    np.testing.assert_array_equal(S.csr_matrix(DENSE, dtype="float64").asnumpy(), DENSE)
    a.check_format()


def test_row_sparse_array_components_and_printed_form() -> None:
    r = S.row_sparse_array(([[1, 2], [3, 4]], [0, 2]), shape=(4, 2))
    assert isinstance(r, RowSparseNDArray) and r.stype == "row_sparse"
    assert repr(r) == "\n<RowSparseNDArray 4x2 @cpu(0)>"
    np.testing.assert_array_equal(r.asnumpy(), [[1, 2], [0, 0], [3, 4], [0, 0]])
    assert r.indices.asnumpy().tolist() == [0, 2]
    unsorted = S.row_sparse_array((np.array([[3.0], [1.0]]), [3, 1]), shape=(5, 1))
    assert unsorted.indices.asnumpy().tolist() == [3, 1]  # (kept as given, as MXNet does)
    np.testing.assert_array_equal(unsorted.asnumpy()[:, 0], [0, 1, 0, 3, 0])
    three_d = S.row_sparse_array((np.ones((1, 2, 2)), [1]))
    assert three_d.shape == (2, 2, 2) and three_d.asnumpy()[1].sum() == 4
    assert S.row_sparse_array((3, 2)).asnumpy().shape == (3, 2)


def test_tostype_round_trips_and_zeros() -> None:
    dense = mx.nd.array(DENSE)
    csr = dense.tostype("csr")
    assert csr.stype == "csr" and csr.indptr.asnumpy().tolist() == [0, 2, 2, 3]
    rsp = csr.tostype("row_sparse")
    assert rsp.stype == "row_sparse" and rsp.indices.asnumpy().tolist() == [0, 2]
    back = rsp.tostype("default")
    assert type(back) is mx.nd.NDArray and back.stype == "default"
    np.testing.assert_array_equal(back.asnumpy(), DENSE)
    np.testing.assert_array_equal(rsp.tostype("csr").asnumpy(), DENSE)
    assert dense.tostype("default").asnumpy().tolist() == DENSE.tolist()
    assert S.cast_storage(dense, "row_sparse").stype == "row_sparse"
    z = mx.nd.zeros((3, 4), stype="csr")
    assert isinstance(z, CSRNDArray) and z.asnumpy().sum() == 0 and z.data.shape == (0,)
    zr = mx.nd.zeros((3, 4), dtype="float64", stype="row_sparse")
    assert isinstance(zr, RowSparseNDArray) and zr.dtype == np.float64
    assert S.zeros("csr", (2, 2)).indptr.asnumpy().tolist() == [0, 0, 0]
    assert S.empty("row_sparse", (2, 3)).shape == (2, 3)
    assert mx.nd.empty((2, 2), stype="csr").stype == "csr"
    assert type(mx.nd.zeros((2,), stype="default")) is mx.nd.NDArray


def test_dense_fallback_copy_astype_and_slicing() -> None:
    a = mx.nd.array(DENSE).tostype("csr")
    np.testing.assert_array_equal((a * 2 + 1).asnumpy(), DENSE * 2 + 1)
    np.testing.assert_allclose(mx.nd.exp(a).asnumpy(), np.exp(DENSE), rtol=1e-6)
    b = a.copy()
    assert b.stype == "csr" and b is not a
    c = a.astype("float64")
    assert c.stype == "csr" and c.dtype == np.float64
    np.testing.assert_array_equal(a[1:3].asnumpy(), DENSE[1:3])
    np.testing.assert_array_equal(a[-1].asnumpy(), DENSE[2:3])
    assert a[1:3].stype == "csr"
    with pytest.raises(ValueError, match="continuous slicing"):
        a[::2]
    with pytest.raises(ValueError, match="Multi-dimension"):
        a[0, 1]
    with pytest.raises(IndexError):
        a[3]
    assert a.copyto(mx.cpu(0)).stype == "csr"


def test_dot_matches_numpy_and_differentiates() -> None:
    rng = np.random.default_rng(1)
    dense = (rng.random((5, 4)) * (rng.random((5, 4)) < 0.4)).astype(np.float32)
    a = mx.nd.array(dense).tostype("csr")
    rhs = rng.random((4, 3)).astype(np.float32)
    np.testing.assert_allclose(S.dot(a, mx.nd.array(rhs)).asnumpy(), dense @ rhs, rtol=1e-5)
    rhs_t = rng.random((5, 2)).astype(np.float32)
    got = S.dot(a, mx.nd.array(rhs_t), transpose_a=True)
    assert got.stype == "row_sparse"  # (MXNet's storage for dot(csr.T, dense))
    np.testing.assert_allclose(got.asnumpy(), dense.T @ rhs_t, rtol=1e-5)
    np.testing.assert_allclose(S.dot(a, mx.nd.array(rhs.T), transpose_b=True).asnumpy(),
                               dense @ rhs, rtol=1e-5)
    vec = rng.random(4).astype(np.float32)
    np.testing.assert_allclose(S.dot(a, mx.nd.array(vec)).asnumpy(), dense @ vec, rtol=1e-5)
    lhs = rng.random((2, 5)).astype(np.float32)
    prod = S.dot(mx.nd.array(lhs), a)
    assert prod.stype == "csr"
    np.testing.assert_allclose(prod.asnumpy(), lhs @ dense, rtol=1e-5)
    dense_out = S.dot(mx.nd.array(lhs), a, forward_stype="default")
    assert dense_out.stype == "default"
    lhs_t = rng.random((2, 4)).astype(np.float32)
    np.testing.assert_allclose(
        S.dot(mx.nd.array(lhs_t), a, transpose_b=True, forward_stype="default").asnumpy(),
        lhs_t @ dense.T, rtol=1e-5)
    rsp = mx.nd.array(rhs).tostype("row_sparse")
    np.testing.assert_allclose(S.dot(a, rsp).asnumpy(), dense @ rhs, rtol=1e-5)
    np.testing.assert_allclose(S.dot(mx.nd.array(dense), mx.nd.array(rhs)).asnumpy(),
                               dense @ rhs, rtol=1e-5)
    empty = S.zeros("csr", (2, 4))
    assert S.dot(empty, mx.nd.array(rhs)).asnumpy().tolist() == [[0] * 3] * 2
    g = mx.grad(lambda x: S.dot(a, x).sum())(mx.nd.array(rhs)).asnumpy()
    np.testing.assert_allclose(g, np.repeat(dense.sum(0)[:, None], 3, axis=1), rtol=1e-5)
    jitted = mx.jit(lambda x: S.dot(a, x) * 2)(mx.nd.array(rhs)).asnumpy()
    np.testing.assert_allclose(jitted, dense @ rhs * 2, rtol=1e-5)


def test_load_fixture_written_by_mxnet() -> None:
    csr, rsp = mx.nd.load(str(FIXTURES / "sparse_csr_rsp.nd"))
    assert isinstance(csr, CSRNDArray) and csr.dtype == np.float64
    np.testing.assert_array_equal(csr.asnumpy(), [[1, 0, 2], [0, 0, 0], [0, 3, 0]])
    assert csr.indices.asnumpy().tolist() == [0, 2, 1]
    assert csr.indptr.asnumpy().tolist() == [0, 2, 2, 3]
    assert isinstance(rsp, RowSparseNDArray) and rsp.dtype == np.float64
    np.testing.assert_array_equal(rsp.asnumpy(), [[1, 2], [0, 0], [3, 4], [0, 0]])
    assert rsp.indices.asnumpy().tolist() == [0, 2]


def test_save_load_round_trip(tmp_path: Path) -> None:
    csr, rsp = mx.nd.load(str(FIXTURES / "sparse_csr_rsp.nd"))
    path = str(tmp_path / "mixed.nd")
    mx.nd.save(path, {"csr": csr, "rsp": rsp, "dense": mx.nd.ones((2,)),
                      "zero": S.zeros("csr", (2, 3))})
    got = mx.nd.load(path)
    assert got["csr"].stype == "csr" and got["rsp"].stype == "row_sparse"
    np.testing.assert_array_equal(got["csr"].asnumpy(), csr.asnumpy())
    np.testing.assert_array_equal(got["rsp"].asnumpy(), rsp.asnumpy())
    assert got["dense"].asnumpy().tolist() == [1, 1]
    assert got["zero"].asnumpy().tolist() == [[0] * 3] * 2
    fixture = str(FIXTURES / "sparse_csr_rsp.nd")
    mx.nd.save(str(tmp_path / "again.nd"), [csr, rsp])
    assert (tmp_path / "again.nd").read_bytes() == Path(fixture).read_bytes()


@pytest.mark.parametrize("call, error, match", [
    (lambda: S.csr_matrix(([1.0], [5], [0, 1]), shape=(1, 3)).check_format(),
     SparseFormatError, r"less than the number of columns \(3\), got \[5\]"),
    (lambda: S.csr_matrix(([1.0, 2.0], [0], [0, 1]), shape=(1, 3)), SparseFormatError,
     "one entry per stored value"),
    (lambda: S.csr_matrix(([1.0], [0], [0, 1, 1]), shape=(1, 3)), SparseFormatError,
     "indptr must have 2 entries"),
    (lambda: S.csr_matrix(([1.0], [0], [1, 0]), shape=(1, 3)).check_format(),
     SparseFormatError, "IndPtr of csr NDArray should be non-negative"),
    (lambda: S.csr_matrix(([1.0], [0.5], [0, 1])), DTypeError, "integers"),
    (lambda: S.csr_matrix("abc"), TypeError, "unexpected input"),
    (lambda: S.csr_matrix(np.zeros((2, 2, 2))), ShapeError, "2-D"),
    (lambda: S.row_sparse_array(([[1.0]], [4]), shape=(3, 1)).check_format(),
     SparseFormatError, r"less than the size of first dimension \(3\)"),
    (lambda: S.row_sparse_array(([[1.0], [2.0]], [1, 1]), shape=(3, 1)).check_format(),
     SparseFormatError, r"in ascending order, got \[1, 1\]"),
    (lambda: S.row_sparse_array(([[1.0, 2.0]], [0]), shape=(3, 1)), SparseFormatError,
     "do not fit"),
    (lambda: S.zeros("csr", (2, 2, 2)), ShapeError, "must be 2-D"),
    (lambda: S.zeros("coo", (2, 2)), ValueError, "unknown storage type"),
    (lambda: mx.nd.ones((2, 2)).tostype("coo"), ValueError, "unknown storage type"),
    (lambda: mx.nd.ones((2,)).tostype("csr"), ShapeError, "2-D"),
    (lambda: S.array(np.zeros((2, 2))), ValueError, "expected a CSRNDArray"),
    (lambda: S.dot(S.zeros("csr", (2, 3)), mx.nd.ones((4, 2))), ShapeError, "do not match"),
    (lambda: S.dot(mx.nd.ones((2, 2)), S.zeros("csr", (3, 2))), ShapeError, "do not match"),
    (lambda: S.dot(S.zeros("csr", (2, 3)), np.ones((3, 2))), TypeError, "NDArray"),
    (lambda: S.dot(S.zeros("csr", (2, 3)), mx.nd.ones((3, 2)), forward_stype="x"),
     ValueError, "forward_stype"),
    (lambda: S.zeros("csr", (2, 2)).copyto(mx.nd.zeros((3, 2))), ShapeError, "shape"),
])
def test_user_errors(call, error, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=match):
        call()


def test_dense_views_are_read_only() -> None:
    a = S.zeros("csr", (2, 2))
    with pytest.raises(ValueError, match="read-only"):
        a._data[0, 0] = 1.0


def test_sparse_arrays_pickle_as_mxnets_raw_records():
    import pickle
    graph = mx.nd.sparse.csr_matrix(([1.0, 0.0, 3.0], [0, 2, 1], [0, 2, 2, 3]), shape=(3, 3))
    back = pickle.loads(pickle.dumps(graph))
    assert type(back) is type(graph) and back.shape == (3, 3)
    # (the stored zero stays stored: the record keeps the storage, not the dense values)
    assert back.data.asnumpy().tolist() == [1.0, 0.0, 3.0]
    assert back.indices.asnumpy().tolist() == [0, 2, 1]
    rows = mx.nd.sparse.row_sparse_array(([[1.0, 2.0]], [1]), shape=(3, 2))
    back = pickle.loads(pickle.dumps(rows))
    assert back.indices.asnumpy().tolist() == [1] and back.asnumpy()[1].tolist() == [1, 2]
    with pytest.raises(mx.base.ArgumentError, match="the state holds a row_sparse array"):
        graph.__setstate__(rows.__getstate__())
