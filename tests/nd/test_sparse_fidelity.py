"""Sparse arrays behave as MXNet 1.9.1's: creation stores components as given (only
`check_format` checks them), shape mismatches and wrong inputs are MXNet's errors, dense
values are written into sparse targets, `take` of CSR rows is CSR, and sparse arrays are
autograd variables with gradients in a sparse storage type."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as spsp

import mxjit as mx
from mxjit.base import ParamError, ShapeError, SparseFormatError

S = mx.nd.sparse
CSR = ([1.0, 2.0, 3.0], [0, 2, 1], [0, 2, 2, 3])
DENSE = np.array([[1.0, 0.0, 2.0], [0.0, 0.0, 0.0], [0.0, 3.0, 0.0]], np.float32)


def test_index_array_counts() -> None:
    assert S.zeros("csr", (2, 2))._num_aux == 2
    assert S.zeros("row_sparse", (2, 2))._num_aux == 1


# ---- creation: components stored as given, checked by check_format ------------------------


def test_components_are_stored_unchecked_and_check_format_finds_the_fault() -> None:
    unordered = S.csr_matrix(([7.0, 8.0, 9.0], [2, 1, 1], [0, 2, 2, 3]), shape=(3, 4))
    assert unordered.indices.asnumpy().tolist() == [2, 1, 1]
    np.testing.assert_array_equal(unordered.asnumpy()[0], [0, 8, 7, 0])
    with pytest.raises(SparseFormatError, match="in ascending order per row"):
        unordered.check_format()
    unordered.check_format(full_check=False)  # (the lengths are consistent)
    rows = S.row_sparse_array(([[1.0, 2.0], [3.0, 4.0]], [2, 0]), shape=(3, 2))
    np.testing.assert_array_equal(rows.asnumpy(), [[3, 4], [0, 0], [1, 2]])
    with pytest.raises(SparseFormatError, match="row_sparse NDArray should be non-negative"):
        rows.check_format()
    S.zeros("csr", (2, 3)).check_format()
    S.zeros("row_sparse", (2, 3)).check_format()


@pytest.mark.parametrize("indptr", [[0, 5, 2, 3], [0, 2, 2, 4], [0, -2, 2, 3]])
def test_a_bad_indptr_fails_check_format_and_reading(indptr: list[int]) -> None:
    a = S.csr_matrix(([7.0, 8.0, 9.0], [0, 2, 1], indptr), shape=(3, 4))
    with pytest.raises(SparseFormatError, match=r"IndPtr of csr NDArray .* got \[0, "):
        a.check_format()
    with pytest.raises(SparseFormatError, match="IndPtr"):
        a.asnumpy()  # (values cannot be read from it: an error, never garbage)


def test_ids_out_of_range_fail_reading() -> None:
    with pytest.raises(SparseFormatError, match=r"less than the number of columns \(4\)"):
        S.csr_matrix(([1.0], [-1], [0, 1]), shape=(1, 4)).asnumpy()
    with pytest.raises(SparseFormatError, match=r"first dimension \(3\)"):
        S.row_sparse_array(([[1.0, 2.0]], [4]), shape=(3, 2)).asnumpy()


def test_shape_mismatches_are_mxnets_value_errors() -> None:
    with pytest.raises(ShapeError, match=r"Shape mismatch detected. \(2, 2\) v.s. \(3, 2\)"):
        S.csr_matrix((2, 2), shape=(3, 2))
    with pytest.raises(ValueError, match="Shape mismatch"):
        S.csr_matrix(mx.nd.ones((2, 2)), shape=(3, 2))
    with pytest.raises(ValueError, match="Shape mismatch"):
        S.csr_matrix(S.zeros("csr", (2, 2)), shape=(3, 3))
    with pytest.raises(ValueError, match="Shape mismatch"):
        S.row_sparse_array(S.zeros("row_sparse", (2, 2)), shape=(3, 2))
    dims = (np.int32(4), np.int32(3))
    assert S.row_sparse_array(dims, (4, 3)).shape == (4, 3)
    with pytest.raises(ValueError, match=r"\(4, 3\) v.s. \(5, 3\)"):
        S.row_sparse_array(dims, (5, 3))


def test_inputs_of_the_other_kind_are_refused() -> None:
    with pytest.raises(ParamError, match="Unexpected input type: RowSparseNDArray"):
        S.csr_matrix(S.zeros("row_sparse", (2, 2)))
    with pytest.raises(ParamError, match="Unexpected input type: CSRNDArray"):
        S.row_sparse_array(S.zeros("csr", (2, 2)))
    with pytest.raises(ParamError, match="Unexpected length of input tuple: 4"):
        S.csr_matrix((1, 2, 3, 4))
    with pytest.raises(ParamError, match="Unexpected length of input tuple: 1"):
        S.row_sparse_array((5,))
    assert S.row_sparse_array((2, 3, 4)).shape == (2, 3, 4)


def test_a_shape_cannot_be_inferred_from_no_stored_values() -> None:
    with pytest.raises(ShapeError, match="csr_matrix: cannot infer the shape"):
        S.csr_matrix((np.zeros(0), [], [0, 0, 0]))
    with pytest.raises(ShapeError, match="row_sparse_array: cannot infer the shape"):
        S.row_sparse_array((np.zeros((0, 2)), []))
    inferred = S.csr_matrix(([1.0], [1], [0, 1, 1]))
    assert inferred.shape == (2, 2)


def test_scipy_matrices_are_made_canonical() -> None:
    messy = spsp.csr_matrix((np.array([1.0, 2, 3, 4, 5, 6, 1]), np.array([0, 2, 2, 0, 1, 2, 1]),
                             np.array([0, 2, 3, 7])), shape=(3, 3))
    for make in (S.array, S.csr_matrix, mx.nd.array):
        a = make(messy)
        assert a.stype == "csr" and a.dtype == np.float64
        assert a.indices.asnumpy().tolist() == [0, 2, 2, 0, 1, 2]
        assert a.indptr.asnumpy().tolist() == [0, 2, 3, 6]
        assert a.data.asnumpy().tolist() == [1, 2, 3, 4, 6, 6]
        a.check_format()


def test_nd_array_of_a_sparse_array_is_a_sparse_copy() -> None:
    a = S.csr_matrix(CSR, shape=(3, 3))
    copy = mx.nd.array(a)
    assert copy.stype == "csr" and copy is not a
    np.testing.assert_array_equal(copy.asnumpy(), DENSE)
    rows = mx.nd.array(a.tostype("row_sparse"), dtype="float64")
    assert rows.stype == "row_sparse" and rows.dtype == np.float64


# ---- dense values written into sparse targets -----------------------------------------------


@pytest.mark.parametrize("stype", ["csr", "row_sparse"])
def test_copyto_a_sparse_array_converts_to_its_storage(stype: str) -> None:
    target = S.zeros(stype, (3, 3))
    assert mx.nd.array(DENSE).copyto(target) is target
    assert target.stype == stype
    np.testing.assert_array_equal(target.asnumpy(), DENSE)


def test_an_operators_out_may_be_sparse() -> None:
    out = S.zeros("row_sparse", (4, 3))
    dense = mx.nd.zeros((4, 3))
    mx.random.seed(3)
    mx.nd.random.uniform(shape=(4, 3), out=dense)
    mx.random.seed(3)
    assert mx.nd.random.uniform(shape=(4, 3), out=out) is out
    assert out.stype == "row_sparse" and out.indices.asnumpy().tolist() == [0, 1, 2, 3]
    np.testing.assert_array_equal(out.asnumpy(), dense.asnumpy())


# ---- operators ----------------------------------------------------------------------------------


def test_fully_connected_takes_a_column_bias() -> None:
    x, w = mx.nd.ones((5, 10)), mx.nd.ones((8, 10))
    column = mx.nd.arange(8).reshape((8, 1))
    expected = 10 + np.arange(8, dtype=np.float32)
    got = mx.nd.FullyConnected(x, w, column, num_hidden=8)
    np.testing.assert_array_equal(got.asnumpy(), np.tile(expected, (5, 1)))
    sparse = S.FullyConnected(x.tostype("csr"), w.tostype("row_sparse"),
                              column.tostype("row_sparse"), num_hidden=8)
    np.testing.assert_array_equal(sparse.asnumpy(), got.asnumpy())
    with pytest.raises(ShapeError, match="bias must have shape"):
        mx.nd.FullyConnected(x, w, mx.nd.ones((1, 8)), num_hidden=8)


@pytest.mark.parametrize("mode, rows, indptr", [
    ("clip", [2, 0, 0, 2, 1], [0, 1, 3, 5, 6, 6]),
    ("wrap", [2, 2, 0, 2, 1], [0, 1, 2, 4, 5, 5]),
])
def test_take_of_csr_rows_is_csr(mode: str, rows: list[int], indptr: list[int]) -> None:
    a = S.csr_matrix(CSR, shape=(3, 3)).astype("int32")
    idx = mx.nd.array([2, -1, 0, 5, 1.7])  # (floats truncate toward 0)
    got = mx.nd.take(a, idx, mode=mode)
    assert got.stype == "csr" and got.dtype == np.int32 and got.shape == (5, 3)
    np.testing.assert_array_equal(got.asnumpy(), DENSE[rows])
    assert got.indptr.asnumpy().tolist() == indptr
    got.check_format()


def test_take_of_csr_on_other_terms_is_dense() -> None:
    a = S.csr_matrix(CSR, shape=(3, 3))
    columns = mx.nd.take(a, mx.nd.array([2, 0]), axis=1)
    assert columns.stype == "default"
    np.testing.assert_array_equal(columns.asnumpy(), DENSE[:, [2, 0]])
    assert mx.nd.take(a, mx.nd.array([[1, 0]])).stype == "default"
    assert mx.nd.take(a, mx.nd.array([1]), mode="raise").stype == "default"
    assert not hasattr(S, "take")  # (not in MXNet's mx.nd.sparse)


# ---- autograd -------------------------------------------------------------------------------


@pytest.mark.parametrize("stype", ["csr", "row_sparse"])
def test_a_sparse_variable_gets_a_gradient_of_its_storage_type(stype: str) -> None:
    x = mx.nd.array(DENSE).tostype(stype)
    x.attach_grad()
    assert x.grad.stype == stype and x.grad.asnumpy().sum() == 0
    with mx.autograd.record():
        y = mx.nd.exp(x) * 2 + x * x
    assert y.stype == "default"  # (recorded: the dense result autograd uses)
    y.backward(out_grad=mx.nd.ones_like(y).tostype(stype))
    assert x.grad.stype == stype
    np.testing.assert_allclose(x.grad.asnumpy(), 2 * np.exp(DENSE) + 2 * DENSE, rtol=1e-6)
    assert (x * 2).stype == stype  # (outside record(), sparse again)


def test_attach_grad_with_a_storage_type_and_detach() -> None:
    for array_stype in ("default", "csr", "row_sparse"):
        x = mx.nd.zeros((2, 2), stype=array_stype)
        assert x.detach().stype == array_stype
        for grad_stype in ("default", "csr", "row_sparse"):
            x.attach_grad(stype=grad_stype)
            assert x.grad.stype == grad_stype
    with pytest.raises(ValueError, match="unknown storage type"):
        mx.nd.ones(2).attach_grad(stype="coo")


def test_gradients_of_sparse_products_are_row_sparse() -> None:
    lhs = S.csr_matrix(CSR, shape=(3, 3))
    expected = DENSE.T @ np.ones((3, 2), np.float32)
    rsp = mx.nd.ones((3, 2)).tostype("row_sparse")
    rsp.attach_grad()
    dense = mx.nd.ones((3, 2))
    dense.attach_grad(stype="row_sparse")
    for weight in (rsp, dense):
        with mx.autograd.record():
            y = mx.nd.dot(lhs, weight)
        y.backward()
        assert weight.grad.stype == "row_sparse"
        np.testing.assert_allclose(weight.grad.asnumpy(), expected)
