"""`mx.test_utils`: MXNet 1.9.1's testing helpers. Messages are compared with what MXNet
1.9.1 itself printed for the same inputs; random helpers are checked for their
distributions' support and structure; `check_numeric_gradient` against right and wrong
gradients."""
from __future__ import annotations

import doctest
import inspect
import math
import os
import sys
import types

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import ArgumentError, DTypeError, ParamError, ShapeError

tu = mx.test_utils

#: MXNet 1.9.1's `mxnet.test_utils` names that mxjit offers now.
MXNET_NAMES = """default_context set_default_context default_dtype default_rtols default_atols
default_numeric_eps effective_dtype get_tolerance get_tols get_atol get_rtol get_etol
random_arrays random_uniform_arrays random_sample rand_shape_2d rand_shape_3d rand_shape_nd
rand_coord_2d rand_ndarray rand_sparse_ndarray create_sparse_array create_sparse_array_zd
shuffle_csr_column_indices np_reduce same almost_equal assert_almost_equal assert_allclose
assert_almost_equal_with_err assert_almost_equal_ignore_nan assert_exception retry same_array
collapse_sum_like compare_ndarray_tuple environment is_cd_run list_gpus discard_stderr
assign_each assign_each2 create_2d_tensor create_vector get_identity_mat get_identity_mat_batch
new_matrix_with_real_eigvals_2d new_matrix_with_real_eigvals_nd new_orthonormal_matrix_2d
new_sym_matrix_with_real_eigvals_2d new_sym_matrix_with_real_eigvals_nd
gen_buckets_probs_with_ppf mean_check var_check chi_square_check verify_generator
check_numeric_gradient compare_optimizer use_np is_op_runnable has_tvm_ops simple_forward
check_symbolic_forward check_symbolic_backward check_consistency check_speed
same_symbol_structure is_aarch64_run DummyIter download download_model get_mnist get_mnist_pkl
get_mnist_ubyte get_cifar10 get_mnist_iterator get_zip_data get_bz2_data get_im2rec_path
numeric_grad check_gluon_hybridize_consistency""".split()


@pytest.fixture(autouse=True)
def _seeded():
    state = np.random.get_state()
    np.random.seed(1234)
    yield
    np.random.set_state(state)


def _has_scipy() -> bool:
    try:
        import scipy.stats  # noqa: F401
    except ImportError:
        return False
    return True


# ---- the namespace -----------------------------------------------------------------------------


def test_the_namespace_has_mxnets_names_and_only_public_ones():
    assert set(MXNET_NAMES) == set(tu._HELPERS)
    public = [n for n in dir(tu) if not n.startswith("_")]
    assert set(public) == set(tu._HELPERS) < set(tu.__all__)
    assert mx.test_utils is sys.modules["mxjit.test_utils"]


@pytest.mark.parametrize("name", MXNET_NAMES)
def test_every_function_has_type_hints_and_an_example(name):
    f = getattr(tu, name)
    assert ">>>" in (f.__doc__ or ""), name
    hints = inspect.signature(f)
    assert hints.return_annotation is not inspect.Signature.empty, name
    assert all(p.annotation is not inspect.Parameter.empty for p in hints.parameters.values())


def test_the_docstring_examples_run():
    result = doctest.testmod(tu, extraglobs={"mx": mx, "np": np, "os": os, "sys": sys})
    assert result.failed == 0 and result.attempted > 50


def test_signatures_and_defaults_are_mxnets():
    sig = inspect.signature(tu.assert_almost_equal)
    assert list(sig.parameters) == ["a", "b", "rtol", "atol", "names", "equal_nan",
                                    "use_broadcast", "mismatches"]
    assert sig.parameters["names"].default == ("a", "b")
    assert sig.parameters["mismatches"].default == (10, 10)
    sig = inspect.signature(tu.check_numeric_gradient)
    assert list(sig.parameters) == ["sym", "location", "aux_states", "numeric_eps", "rtol",
                                    "atol", "grad_nodes", "use_forward_train", "ctx",
                                    "grad_stype_dict", "dtype"]
    assert sig.parameters["dtype"].default is np.float32
    assert inspect.signature(tu.assert_allclose).parameters["rtol"].default == 1e-07
    assert inspect.signature(tu.create_sparse_array).parameters["density"].default == 0.5
    assert inspect.signature(tu.verify_generator).parameters["success_rate"].default == 0.2


# ---- contexts, dtypes and tolerances ------------------------------------------------------------


def test_default_context_follows_set_default_context_and_with_scopes():
    before = tu.default_context()
    assert before == mx.current_context() == mx.cpu(0)
    try:
        tu.set_default_context(mx.cpu(1))
        assert tu.default_context() == mx.cpu(1)
        assert mx.nd.zeros((1,)).context == mx.cpu(1)
        with mx.cpu(2):
            assert tu.default_context() == mx.cpu(2)
        assert tu.default_context() == mx.cpu(1)
    finally:
        tu.set_default_context(before)
    assert tu.default_context() == mx.cpu(0)
    with pytest.raises(ArgumentError, match="ctx must be a Context such as mx.cpu\\(\\), got str"):
        tu.set_default_context("cpu")
    assert tu.default_context() == mx.cpu(0)


def test_default_dtype_and_tolerance_tables():
    assert tu.default_dtype() is np.float32
    rtols, atols, eps = tu.default_rtols(), tu.default_atols(), tu.default_numeric_eps()
    assert rtols[np.dtype(np.float16)] == 1e-2 and atols[np.dtype(np.float16)] == 1e-1
    assert rtols[np.dtype(np.float32)] == 1e-4 and atols[np.dtype(np.float32)] == 1e-3
    assert rtols[np.dtype(np.float64)] == 1e-5 and atols[np.dtype(np.float64)] == 1e-20
    for d in (np.bool_, np.int8, np.uint8, np.int32, np.uint32, np.int64, np.uint64):
        assert rtols[np.dtype(d)] == 0 and atols[np.dtype(d)] == 0
    assert eps == {np.dtype(np.float16): 2.0**-6, np.dtype(np.float32): 2.0**-9,
                   np.dtype(np.float64): 2.0**-14}
    assert tu.get_atol() == 1e-20 and tu.get_atol(0.5) == 0.5
    assert tu.get_atol(dtype=np.float32) == 1e-3
    assert tu.get_rtol() == 1e-5 and tu.get_rtol(0.1) == 0.1
    assert tu.get_rtol(dtype=np.dtype(np.float16)) == 1e-2
    assert tu.get_etol() == 0 and tu.get_etol(0.25) == 0.25


def test_effective_dtype_is_the_data_dtype():
    assert tu.effective_dtype(mx.nd.ones((2,), dtype="float16")) == np.dtype(np.float16)
    assert tu.effective_dtype(np.ones(2)) == np.dtype(np.float64)
    assert tu.effective_dtype(np.int8(3)) == np.dtype(np.int8)


def test_get_tolerance_takes_numbers_dicts_and_defaults():
    x32 = np.ones(2, np.float32)
    assert tu.get_tolerance(x32, 0.5, tu.default_rtols()) == 0.5
    assert tu.get_tolerance(x32, None, tu.default_rtols()) == 1e-4
    assert tu.get_tolerance(x32, {np.float32: 0.3}, tu.default_rtols()) == 0.3
    assert tu.get_tolerance(x32, {np.dtype(np.float64): 0.3}, tu.default_rtols()) == 1e-4
    assert tu.get_tolerance(mx.nd.ones((1,)), None, tu.default_atols()) == 1e-3
    with pytest.raises(DTypeError, match="no default tolerance for dtype complex64; pass"):
        tu.get_tolerance(np.ones(2, np.complex64), None, tu.default_rtols())


def test_get_tols_takes_the_larger_default_of_both_operands():
    assert tu.get_tols(np.ones(2, np.float16), np.ones(2), None, None) == (1e-2, 1e-1)
    assert tu.get_tols(1, np.float16(2), None, None) == (1e-2, 1e-1)
    assert tu.get_tols(1, 2, None, None) == (0, 0)
    assert tu.get_tols(1.0, 2.0, None, None) == (1e-5, 1e-20)
    assert tu.get_tols(mx.nd.ones((1,)), np.ones(1), 0.5, {np.float32: 0.25}) == (0.5, 0.25)


# ---- random data ------------------------------------------------------------------------------


def test_random_arrays():
    a = tu.random_arrays((2, 3))
    assert isinstance(a, np.ndarray) and a.shape == (2, 3) and a.dtype == np.float32
    b, c, d = tu.random_arrays((4,), (), 5)
    assert b.shape == (4,) and c.shape == () and d.shape == (5,)
    assert c.dtype == np.float32
    assert tu.random_arrays() == []
    big = tu.random_arrays((20000,))
    assert abs(big.mean()) < 0.05 and abs(big.std() - 1) < 0.05


def test_random_uniform_arrays():
    arrays = tu.random_uniform_arrays((3, 4), (5,), low=-2.0, high=-1.0, dtype=np.float64)
    assert [a.shape for a in arrays] == [(3, 4), (5,)]
    assert all(a.dtype == np.float64 and (a >= -2).all() and (a < -1).all() for a in arrays)
    one = tu.random_uniform_arrays((2,))
    assert isinstance(one, list) and one[0].dtype == np.float32
    assert ((one[0] >= 0) & (one[0] < 1)).all()
    with pytest.raises(TypeError, match="unexpected keyword argument 'scale'"):
        tu.random_uniform_arrays((2,), scale=2)


def test_random_sample():
    population = list(range(10))
    picked = tu.random_sample(population, 4)
    assert len(picked) == 4 and len(set(picked)) == 4 and set(picked) <= set(population)
    assert population == list(range(10))
    assert sorted(tu.random_sample(population, 10)) == population
    assert tu.random_sample(population, 0) == []
    with pytest.raises(ParamError, match=r"random_sample: k must be in \[0, 10\], got 11"):
        tu.random_sample(population, 11)
    with pytest.raises(ParamError, match=r"got -1"):
        tu.random_sample(population, -1)


def test_random_shapes_and_coordinates():
    for _ in range(20):
        s2, s3 = tu.rand_shape_2d(3, 4), tu.rand_shape_3d(2, 3, 4)
        assert 1 <= s2[0] <= 3 and 1 <= s2[1] <= 4
        assert 1 <= s3[0] <= 2 and 1 <= s3[1] <= 3 and 1 <= s3[2] <= 4
        nd = tu.rand_shape_nd(5, 3)
        assert len(nd) == 5 and all(1 <= d <= 3 for d in nd)
        assert all(type(d) is int for d in s2 + s3 + nd)
        x, y = tu.rand_coord_2d(2, 5, -3, -1)
        assert 2 <= x < 5 and -3 <= y < -1 and type(x) is int
    zeros = [tu.rand_shape_nd(3, 1, allow_zero_size=True) for _ in range(50)]
    assert any(0 in s for s in zeros) and all(set(s) <= {0, 1} for s in zeros)
    assert any(0 in tu.rand_shape_2d(1, 1, allow_zero_size=True) for _ in range(50))
    assert any(0 in tu.rand_shape_3d(1, 1, 1, allow_zero_size=True) for _ in range(50))
    assert tu.rand_shape_2d() <= (10, 10)


# ---- sparse data --------------------------------------------------------------------------------


def test_rand_ndarray_of_each_storage_type():
    dense = tu.rand_ndarray((3, 4))
    assert isinstance(dense, mx.nd.NDArray) and dense.stype == "default"
    assert dense.shape == (3, 4) and dense.dtype == np.float32
    assert tu.rand_ndarray((2,), dtype=np.float64, ctx=mx.cpu(0)).dtype == np.float64
    csr = tu.rand_ndarray((6, 5), "csr", density=0.4)
    assert csr.stype == "csr" and csr.shape == (6, 5) and csr.dtype == np.float32
    assert csr.data.shape == (12,)
    rsp = tu.rand_ndarray((5, 2, 3), "row_sparse", density=1.0, dtype=np.float64)
    assert rsp.stype == "row_sparse" and rsp.indices.asnumpy().tolist() == [0, 1, 2, 3, 4]
    assert rsp.dtype == np.float64
    power = tu.rand_ndarray((4, 8), "csr", density=0.5, distribution="powerlaw")
    assert np.diff(power.indptr.asnumpy()).tolist() == [2, 4, 8, 2]


def test_rand_sparse_ndarray_row_sparse():
    rsp, (values, indices) = tu.rand_sparse_ndarray((10, 3), "row_sparse", density=0.5)
    assert rsp.stype == "row_sparse" and rsp.shape == (10, 3)
    np.testing.assert_array_equal(rsp.indices.asnumpy(), indices)
    np.testing.assert_array_equal(rsp.data.asnumpy(), values)
    dense = rsp.asnumpy()
    assert (dense[indices] == values).all()
    assert not dense[np.setdiff1d(np.arange(10), indices)].any()
    assert ((values >= 0) & (values < 1)).all()
    filled, (values, _) = tu.rand_sparse_ndarray((4, 2), "row_sparse", density=1.0,
                                                  data_init=7, modifier_func=lambda v: v + 1)
    assert values.dtype == np.float64 and (values == 8).all()  # (modified: float64, as MXNet)
    assert filled.dtype == np.float32 and (filled.asnumpy() == 8).all()
    chosen, (_, indices) = tu.rand_sparse_ndarray((6, 2), "row_sparse", rsp_indices=[1, 4])
    assert indices.tolist() == [1, 4] and chosen.indices.asnumpy().tolist() == [1, 4]
    empty, (values, indices) = tu.rand_sparse_ndarray((3, 2), "row_sparse", density=0.0,
                                                      dtype=np.float64)
    assert empty.stype == "row_sparse" and empty.indices.shape == (0,)
    assert values.dtype == np.float64 and values.size == 0 and indices.size == 0
    assert empty.dtype == np.float64


def test_rand_sparse_ndarray_csr_uniform():
    csr, (indptr, indices, data) = tu.rand_sparse_ndarray((8, 10), "csr", density=0.25)
    assert csr.stype == "csr" and csr.dtype == np.float32
    assert all(isinstance(p, mx.nd.NDArray) for p in (indptr, indices, data))
    assert data.shape == (20,) and indptr.asnumpy()[-1] == 20
    assert ((data.asnumpy() >= 0) & (data.asnumpy() < 1)).all()
    csr.check_format()
    dense = csr.asnumpy()
    assert np.count_nonzero(dense) == 20
    filled, (_, _, data) = tu.rand_sparse_ndarray((4, 4), "csr", density=0.5, data_init=3,
                                                  dtype=np.float64)
    assert (data.asnumpy() == 3).all() and filled.dtype == np.float64
    none, _ = tu.rand_sparse_ndarray((3, 3), "csr", density=0.0)
    assert none.data.shape == (0,) and not none.asnumpy().any()


def test_rand_sparse_ndarray_csr_shuffled_column_indices():
    csr, (indptr, indices, _) = tu.rand_sparse_ndarray((20, 30), "csr", density=0.5,
                                                       shuffle_csr_indices=True)
    ptr, cols = indptr.asnumpy(), indices.asnumpy()
    rows = [cols[ptr[i]:ptr[i + 1]] for i in range(20)]
    assert all(len(set(r)) == len(r) for r in rows)
    assert any((np.diff(r) < 0).any() for r in rows)  # (some row is out of order)
    assert csr.asnumpy().shape == (20, 30)
    with pytest.raises(mx.MXNetError, match="ascending order per row"):
        csr.check_format()  # (as MXNet's refuses unsorted column indices)


def test_rand_sparse_ndarray_csr_powerlaw_as_in_mxnets_example():
    csr, (indptr, indices, data) = tu.rand_sparse_ndarray((5, 16), "csr", density=0.5,
                                                          distribution="powerlaw")
    assert np.diff(indptr.asnumpy()).tolist() == [2, 4, 8, 16, 10]
    assert ((data.asnumpy() > 1) & (data.asnumpy() < 3.001)).all()
    full, (indptr, _, _) = tu.rand_sparse_ndarray((3, 2), "csr", density=1.0,
                                                  distribution="powerlaw", dtype=np.float64)
    assert np.diff(indptr.asnumpy()).tolist() == [2, 2, 2] and full.dtype == np.float64


def test_rand_sparse_ndarray_errors():
    with pytest.raises(ParamError, match="Distribution powerlaw not supported for row_sparse"):
        tu.rand_sparse_ndarray((3, 3), "row_sparse", distribution="powerlaw")
    with pytest.raises(ParamError, match="rsp_indices: 4 rows given for an array of 3 rows"):
        tu.rand_sparse_ndarray((3, 3), "row_sparse", rsp_indices=[0, 1, 2, 2])
    with pytest.raises(ShapeError, match=r"a csr array is 2-D, got shape \(3, 3, 3\)"):
        tu.rand_sparse_ndarray((3, 3, 3), "csr")
    with pytest.raises(ParamError, match="Distribution not supported: normal"):
        tu.rand_sparse_ndarray((3, 3), "csr", distribution="normal")
    with pytest.raises(ParamError, match="unknown storage type 'dense'"):
        tu.rand_sparse_ndarray((3, 3), "dense")
    with pytest.raises(ParamError, match="density has to be between 0 and 1"):
        tu.rand_sparse_ndarray((3, 3), "csr", density=1.5)
    with pytest.raises(ValueError, match="num_rows or num_cols should be greater than 0"):
        tu.rand_sparse_ndarray((0, 3), "csr", density=0.5)
    with pytest.raises(ParamError, match=r"not supported for this density: 0.1 for this shape "
                                         r"\(5, 4\) Please keep : num_rows \* num_cols"):
        tu.rand_sparse_ndarray((5, 4), "csr", density=0.1, distribution="powerlaw")


def test_create_sparse_array():
    rsp = tu.create_sparse_array((6, 2), "row_sparse", rsp_indices=[4, 0, 2], data_init=2)
    assert rsp.indices.asnumpy().tolist() == [0, 2, 4] and (rsp.data.asnumpy() == 2).all()
    rsp = tu.create_sparse_array((40, 2), "row_sparse", dtype=np.float64)
    assert rsp.dtype == np.float64 and 5 < rsp.indices.shape[0] < 35  # (density 0.5)
    csr = tu.create_sparse_array((4, 5), "csr", density=0.5, shuffle_csr_indices=True)
    assert csr.stype == "csr" and csr.data.shape == (10,)
    with pytest.raises(AssertionError, match="Unknown storage type: default"):
        tu.create_sparse_array((2, 2), "default")


def test_create_sparse_array_zd():
    rsp = tu.create_sparse_array_zd((5, 3), "row_sparse", density=0.9, rsp_indices=[3, 1])
    assert rsp.indices.asnumpy().tolist() == [1, 3]
    none = tu.create_sparse_array_zd((5, 3), "row_sparse", density=0.9)
    assert none.indices.shape == (0,) and not none.asnumpy().any()
    csr = tu.create_sparse_array_zd((4, 5), "csr", density=0.5)
    assert csr.data.shape == (10,)
    with pytest.raises(ParamError, match="rsp_indices: 3 rows given for an array of 2 rows"):
        tu.create_sparse_array_zd((2, 3), "row_sparse", 0.5, rsp_indices=[0, 1, 1])


def test_shuffle_csr_column_indices_keeps_each_rows_columns():
    dense = np.arange(1, 13, dtype=np.float32).reshape(3, 4)
    csr = mx.nd.sparse.csr_matrix(dense)
    tu.shuffle_csr_column_indices(csr)
    indptr, indices = csr.indptr.asnumpy(), csr.indices.asnumpy()
    for row in range(3):
        assert sorted(indices[indptr[row]:indptr[row + 1]].tolist()) == [0, 1, 2, 3]
    shuffled = csr.asnumpy()
    assert sorted(shuffled.ravel().tolist()) == dense.ravel().tolist()
    assert (np.sort(shuffled, axis=1) == dense).all()  # (values stay in their rows)
    parts = types.SimpleNamespace(indptr=np.array([0, 2, 5]), indices=np.array([0, 1, 0, 1, 2]))
    tu.shuffle_csr_column_indices(parts)
    assert sorted(parts.indices[:2]) == [0, 1] and sorted(parts.indices[2:]) == [0, 1, 2]


# ---- element-wise helpers and large-tensor data -------------------------------------------------


def test_assign_each_and_assign_each2():
    x = np.array([[1, 2], [3, 4]], dtype=np.int32)
    out = tu.assign_each(x, lambda v: v * 0.5)
    assert out.dtype == np.float64 and out.tolist() == [[0.5, 1.0], [1.5, 2.0]]
    copy = tu.assign_each(x, None)
    assert copy.dtype == np.int32 and (copy == x).all() and copy is not x
    out = tu.assign_each2(x, x + 1, lambda a, b: a * b)
    assert out.dtype == np.float64 and out.tolist() == [[2, 6], [12, 20]]
    assert (tu.assign_each2(x, None, None) == x).all()
    with pytest.raises(ShapeError, match=r"assign_each2: shapes \(2, 2\) and \(3,\) differ"):
        tu.assign_each2(x, np.zeros(3), max)


def test_large_tensor_helpers():
    t = tu.create_2d_tensor(3, 2)
    assert t.dtype == np.int64 and t.asnumpy().tolist() == [[0, 0], [1, 1], [2, 2]]
    assert tu.create_2d_tensor(2, 2, dtype=np.float32).dtype == np.float32
    v = tu.create_vector(4)
    assert v.dtype == np.int64 and v.asnumpy().tolist() == [0, 1, 2, 3]
    eye = tu.get_identity_mat(3)
    assert eye.dtype == np.float32 and (eye.asnumpy() == np.eye(3)).all()
    batch = tu.get_identity_mat_batch(2)
    assert batch.shape == (2, 2, 2) and batch.dtype == np.float32
    assert (batch.asnumpy() == np.eye(2)).all()


# ---- comparisons ------------------------------------------------------------------------------


def test_np_reduce_matches_numpy():
    x = np.random.rand(2, 3, 4)
    for axis in (0, 2, (0, 2), [1], None):
        for keepdims in (False, True):
            np.testing.assert_allclose(tu.np_reduce(x, axis, keepdims, np.sum),
                                       np.sum(x, axis=None if axis is None else tuple(
                                           np.atleast_1d(axis)), keepdims=keepdims))
    assert tu.np_reduce(x, (1, 2), True, np.max).shape == (2, 1, 1)


def test_same_and_almost_equal():
    assert tu.same(np.array([1, 2]), mx.nd.array([1, 2]))
    assert not tu.same(np.array([1, 2]), np.array([1, 3]))
    assert not tu.same(np.zeros(2), np.zeros(3))
    assert tu.almost_equal(np.ones(3), np.ones(3) + 1e-6)
    assert not tu.almost_equal(np.ones(3), np.ones(3) + 1e-3)
    assert tu.almost_equal(np.ones(3), np.ones(3) + 1e-3, rtol=1e-2)
    assert tu.almost_equal(mx.nd.ones((3,)), np.ones(3) + 1e-3, atol=1e-2)
    assert tu.almost_equal(np.ones((2, 3)), np.ones(3))
    assert tu.almost_equal(np.ones(2, np.float32), np.ones(2) + 1e-5,
                           rtol={np.float32: 1e-4}, atol={np.float32: 1e-3})
    assert not tu.almost_equal(np.array([np.nan]), np.array([np.nan]))
    assert tu.almost_equal(np.array([np.nan]), np.array([np.nan]), equal_nan=True)
    with pytest.raises(AssertionError, match=r"a.shape = \(2, 3\) and b.shape = \(3,\) are "
                                             "not equal"):
        tu.almost_equal(np.ones((2, 3)), np.ones(3), use_broadcast=False)


# What MXNet 1.9.1 raised for the same comparisons (NumPy 1.23).
MXNET_MESSAGES = [
    ((np.array([1., 2., 3.], np.float32), np.array([1., 2.5, 3.], np.float32),
      {"names": ("x", "y")}),
     "\nItems are not equal:\nError 400.000000 exceeds tolerance rtol=1.000000e-04, "
     "atol=1.000000e-03 (mismatch 33.333333%).\nLocation of maximum error: (1,), "
     "x=2.00000000, y=2.50000000\n ACTUAL: array([1., 2., 3.], dtype=float32)\n "
     "DESIRED: array([1. , 2.5, 3. ], dtype=float32)"),
    ((np.float32(1.0), np.float32(2.0), {}),
     "\nItems are not equal:\nError 833.333333 exceeds tolerance rtol=1.000000e-04, "
     "atol=1.000000e-03.\n\n ACTUAL: 1.0\n DESIRED: 2.0"),
    ((mx.nd.array([1, 2]), mx.nd.array([1, 3]), {}),
     "\nItems are not equal:\nError 769.230774 exceeds tolerance rtol=1.000000e-04, "
     "atol=1.000000e-03 (mismatch 50.000000%).\nLocation of maximum error: (1,), "
     "a=2.00000000, b=3.00000000\n ACTUAL: array([1., 2.], dtype=float32)\n DESIRED: "
     "array([1., 3.], dtype=float32)"),
    ((np.array([1., 2., 3., 4.]), np.array([1.1, 2., 3.3, 4.]), {"mismatches": (1, 1)}),
     "\nItems are not equal:\nError 9090.909091 exceeds tolerance rtol=1.000000e-05, "
     "atol=1.000000e-20 (mismatch at least 50.000000%).\nLocation of maximum error: (0,), "
     "a=1.00000000, b=1.10000000\n ACTUAL: array([1., 2., 3., 4.])\n DESIRED: "
     "array([1.1, 2. , 3.3, 4. ])"),
    ((np.array([1., np.nan]), np.array([1., np.nan]), {}),
     "\nItems are not equal:\nError nan exceeds tolerance rtol=1.000000e-05, "
     "atol=1.000000e-20 (mismatch 50.000000%).\nLocation of maximum error: (1,), a=nan, "
     "b=nan\n ACTUAL: array([ 1., nan])\n DESIRED: array([ 1., nan])"),
    ((np.zeros((2, 3)), np.ones((3,)), {"use_broadcast": False}),
     "\nItems are not equal: a.shape = (2, 3) and b.shape = (3,) are not equal\n ACTUAL: "
     "array([[0., 0., 0.],\n       [0., 0., 0.]])\n DESIRED: array([1., 1., 1.])"),
]


@pytest.mark.parametrize("case", range(len(MXNET_MESSAGES)))
def test_assert_almost_equal_raises_mxnets_message(case):
    (a, b, kwargs), message = MXNET_MESSAGES[case]
    with pytest.raises(AssertionError) as info:
        tu.assert_almost_equal(a, b, **kwargs)
    assert str(info.value) == message


def test_assert_almost_equal_reports_the_largest_violation_and_prints_the_first_ones(capsys):
    a = np.zeros((3, 4))
    b = a.copy()
    b[2, 1], b[0, 3], b[1, 1] = 5.0, 1.0, 2.0
    with pytest.raises(AssertionError) as info:
        tu.assert_almost_equal(a, b, rtol=0.1, atol=0.01, names=("got", "want"),
                               mismatches=(2, 10))
    message = str(info.value)
    assert "Location of maximum error: (2, 1), got=0.00000000, want=5.00000000" in message
    assert "rtol=1.000000e-01, atol=1.000000e-02 (mismatch 25.000000%)" in message
    printed = capsys.readouterr().out
    assert "*** Maximum errors for vector of size 12:  rtol=0.1, atol=0.01" in printed
    assert "  1: Error " in printed and "(2, 1), got=0.00000000, want=5.00000000" in printed
    assert "  2: Error " in printed and "(1, 1), got=0.00000000, want=2.00000000" in printed
    assert "  3: Error" not in printed
    assert np.get_printoptions()["threshold"] == 1000  # (the message leaves NumPy's alone)


def test_assert_almost_equal_passes_and_its_variants():
    tu.assert_almost_equal(mx.nd.array([1, 2]), np.array([1, 2.0001]))
    tu.assert_almost_equal(np.ones((2, 3)), mx.nd.ones((3,)))
    tu.assert_almost_equal(1.0, 1.0 + 1e-7)
    tu.assert_almost_equal(np.array([np.nan]), np.array([np.nan]), equal_nan=True)
    tu.assert_almost_equal(mx.nd.sparse.csr_matrix(np.eye(2)), np.eye(2))
    tu.assert_almost_equal(np.array([True, False]), mx.nd.array([1, 0], dtype="bool"))
    with pytest.raises(AssertionError, match="Arrays are not equal"):
        tu.assert_almost_equal(np.array([True, False]), np.array([True, True]))
    with pytest.raises(AssertionError, match=r"Location of maximum error: \(1,\), a=2.0+, "
                                             r"b=3.0+"):
        tu.assert_almost_equal(np.array([1, 2], np.int32), np.array([1, 3], np.int32))
    with pytest.raises(AssertionError, match=r"mismatch 20.000000%"):
        tu.assert_almost_equal(np.arange(10.), np.where(np.arange(10) < 2, 9.0, np.arange(10)),
                               mismatches=(0, 0))
    with pytest.raises(AssertionError, match=r"mismatch at least 20.000000%"):  # (counts 2)
        tu.assert_almost_equal(np.arange(10.), np.arange(10.) + 1, mismatches=(0, 1))
    with pytest.raises(AssertionError, match=r"rtol=1.000000e-07, atol=0.000000e\+00"):
        tu.assert_allclose(np.array([1.0]), np.array([1.0 + 1e-6]))
    tu.assert_allclose(np.array([1.0, np.nan]), np.array([1.0 + 1e-8, np.nan]))


def test_assert_almost_equal_with_err():
    a, b = np.array([1., 2., 3., 4.]), np.array([1.1, 2., 3.3, 4.])
    tu.assert_almost_equal_with_err(a, b, etol=0.5)
    with pytest.raises(AssertionError) as info:
        tu.assert_almost_equal_with_err(a, b, etol=0.2)
    assert str(info.value) == (
        "\nItems are not equal:\nError 9090.909091 exceeds tolerance rtol=1.000000e-05, "
        "atol=1.000000e-20 (mismatch 50.000000%).\nLocation of maximum error: (0,), "
        "a=1.00000000, b=1.10000000\n ACTUAL: array([1., 2., 3., 4.])\n DESIRED: "
        "array([1.1, 2. , 3.3, 4. ])")
    with pytest.raises(AssertionError, match="x=1.0+, y=1.1"):
        tu.assert_almost_equal_with_err(a, b, names=("x", "y"))  # (etol 0: no tolerance)
    tu.assert_almost_equal_with_err(mx.nd.array(a), mx.nd.array(a), etol=0.1)


def test_assert_almost_equal_ignore_nan():
    tu.assert_almost_equal_ignore_nan(np.array([1.0, np.nan, 3.0]), np.array([1.0, 9.0, np.nan]))
    x = mx.nd.array([1.0, 2.0])
    tu.assert_almost_equal_ignore_nan(x, np.array([np.nan, 2.0]))
    assert not np.isnan(x.asnumpy()).any()
    with pytest.raises(AssertionError, match=r"Location of maximum error: \(2,\), p=3.0+, q=4"):
        tu.assert_almost_equal_ignore_nan(np.array([1.0, np.nan, 3.0]), np.array([1.0, 2.0, 4.0]),
                                          names=("p", "q"))


def test_assert_exception():
    tu.assert_exception(int, ValueError, "x")
    tu.assert_exception(lambda a, b=0: a / b, ZeroDivisionError, 1, b=0)
    tu.assert_exception(lambda: mx.nd.zeros((2,)) + mx.nd.zeros((3,)), mx.base.MXNetError)
    with pytest.raises(AssertionError, match="<lambda> did not raise ValueError"):
        tu.assert_exception(lambda: 1, ValueError)
    with pytest.raises(ZeroDivisionError):  # (a different exception passes through)
        tu.assert_exception(lambda: 1 / 0, ValueError)
    with pytest.raises(AssertionError, match="did not raise AssertionError"):
        tu.assert_exception(lambda: 1, AssertionError)


def test_compare_ndarray_tuple():
    tu.compare_ndarray_tuple((mx.nd.ones((2,)), (np.zeros(3), mx.nd.zeros((1,)))),
                             (np.ones(2), (mx.nd.zeros((3,)), np.zeros(1))))
    tu.compare_ndarray_tuple(None, (np.ones(2),))
    tu.compare_ndarray_tuple(np.ones(2), np.ones(2) + 0.05, rtol=0.1)
    with pytest.raises(AssertionError, match=r"Location of maximum error: \(0,\)"):
        tu.compare_ndarray_tuple((np.ones(1), (np.ones(1),)), (np.ones(1), (np.zeros(1),)))


def test_same_array():
    x = mx.nd.arange(6).reshape((2, 3))
    assert tu.same_array(x, x)
    assert tu.same_array(x, x[:])
    assert not tu.same_array(x, x.copy())
    assert not tu.same_array(x, mx.nd.arange(6).reshape((2, 3)))
    assert x.asnumpy().tolist() == [[0, 1, 2], [3, 4, 5]]


def test_collapse_sum_like():
    a = np.random.rand(2, 3, 4)
    np.testing.assert_allclose(tu.collapse_sum_like(a, (3, 1)),
                               a.sum(axis=(0, 2)).reshape(3, 1))
    np.testing.assert_allclose(tu.collapse_sum_like(a, (1, 3, 4)), a.sum(axis=0, keepdims=True))
    np.testing.assert_allclose(tu.collapse_sum_like(a, (2, 3, 4)), a)
    assert tu.collapse_sum_like(a, ()).shape == () and np.isclose(tu.collapse_sum_like(a, ()),
                                                                   a.sum())
    zero = tu.collapse_sum_like(np.ones((0, 3), np.float32), (3,))
    assert zero.shape == (3,) and zero.dtype == np.float32 and not zero.any()
    with pytest.raises(ShapeError, match=r"shape \(1, 2, 3, 4\) has more axes than \(2, 3, 4\)"):
        tu.collapse_sum_like(a, (1, 2, 3, 4))
    with pytest.raises(ShapeError, match=r"shape \(2, 4\) does not broadcast to \(2, 3, 4\)"):
        tu.collapse_sum_like(a, (2, 4))


# ---- test control ----------------------------------------------------------------------------


def test_retry_reruns_assertion_failures_up_to_n_times():
    calls = []

    @tu.retry(3)
    def flaky(limit, *, tag="t"):
        """A test."""
        calls.append(tag)
        assert len(calls) >= limit

    flaky(2)
    assert calls == ["t", "t"]
    assert flaky.__name__ == "flaky" and flaky.__doc__ == "A test."
    calls.clear()
    with pytest.raises(AssertionError):
        flaky(10, tag="u")
    assert calls == ["u", "u", "u"]
    calls.clear()

    @tu.retry(5)
    def broken():
        calls.append(1)
        raise KeyError("k")

    with pytest.raises(KeyError):  # (only AssertionErrors are retried)
        broken()
    assert calls == [1]
    with pytest.raises(ParamError, match="retry: n must be positive, got 0"):
        tu.retry(0)


def test_environment_sets_and_restores_variables():
    os.environ.pop("MXJIT_TU_A", None)
    os.environ["MXJIT_TU_B"] = "old"
    try:
        with tu.environment("MXJIT_TU_A", "1"):
            assert os.environ["MXJIT_TU_A"] == "1"
        assert "MXJIT_TU_A" not in os.environ
        with tu.environment({"MXJIT_TU_A": "2", "MXJIT_TU_B": None}):
            assert os.environ["MXJIT_TU_A"] == "2" and "MXJIT_TU_B" not in os.environ
        assert "MXJIT_TU_A" not in os.environ and os.environ["MXJIT_TU_B"] == "old"
        with pytest.raises(RuntimeError), tu.environment("MXJIT_TU_B", "new"):
            assert os.environ["MXJIT_TU_B"] == "new"
            raise RuntimeError
        assert os.environ["MXJIT_TU_B"] == "old"

        @tu.environment("MXJIT_TU_A", "deco")
        def read(depth=0):
            inner = read(depth + 1) if depth < 1 else None
            return os.environ["MXJIT_TU_A"], inner

        assert read() == ("deco", ("deco", None)) and "MXJIT_TU_A" not in os.environ
    finally:
        os.environ.pop("MXJIT_TU_B", None)
    with pytest.raises(ArgumentError, match="Expecting one dict arg or two args: env var name "
                                            "and value"):
        tu.environment("MXJIT_TU_A")
    with pytest.raises(ArgumentError, match="Expecting one dict arg"):
        tu.environment("A", "1", "B")


def test_is_cd_run_and_list_gpus():
    with tu.environment("CD_JOB", None):
        assert tu.is_cd_run() is False
    with tu.environment("CD_JOB", "1"):
        assert tu.is_cd_run() is True
    with tu.environment("CD_JOB", "0"):
        assert tu.is_cd_run() is False
    gpus = tu.list_gpus()
    assert isinstance(gpus, range) and gpus == range(mx.context.num_gpus())


def test_discard_stderr_drops_what_descriptor_2_receives(capfd, monkeypatch):
    monkeypatch.setattr(sys, "stderr", sys.__stderr__)
    os.write(2, b"kept-before\n")
    with tu.discard_stderr():
        os.write(2, b"dropped\n")
        print("dropped-too", file=sys.stderr)
    os.write(2, b"kept-after\n")
    err = capfd.readouterr().err
    assert "kept-before" in err and "kept-after" in err and "dropped" not in err


def test_discard_stderr_without_a_descriptor_runs_the_block(monkeypatch):
    class NoFileno:
        def fileno(self):
            raise AttributeError("fileno")

    monkeypatch.setattr(sys, "stderr", NoFileno())
    ran = []
    with tu.discard_stderr():
        ran.append(1)
    assert ran == [1]


# ---- well-conditioned matrices ---------------------------------------------------------------


def test_matrices_with_real_eigenvalues():
    a = tu.new_matrix_with_real_eigvals_2d(4)
    eig = np.linalg.eigvals(a)
    assert a.shape == (4, 4) and np.allclose(eig.imag, 0) and (np.abs(eig.real) < 10).all()
    batch = tu.new_matrix_with_real_eigvals_nd((2, 3, 3, 3))
    assert batch.shape == (2, 3, 3, 3) and np.allclose(np.linalg.eigvals(batch).imag, 0)
    assert tu.new_matrix_with_real_eigvals_nd((3, 3)).shape == (3, 3)
    q = tu.new_orthonormal_matrix_2d(5)
    np.testing.assert_allclose(q @ q.T, np.eye(5), atol=1e-12)
    s = tu.new_sym_matrix_with_real_eigvals_2d(4)
    np.testing.assert_allclose(s, s.T, atol=1e-12)
    assert (np.abs(np.linalg.eigvalsh(s)) < 10).all()
    sb = tu.new_sym_matrix_with_real_eigvals_nd((2, 3, 3))
    np.testing.assert_allclose(sb, np.swapaxes(sb, -1, -2), atol=1e-12)


# ---- random generators -----------------------------------------------------------------------


def test_gen_buckets_probs_with_ppf():
    buckets, probs = tu.gen_buckets_probs_with_ppf(lambda p: 2 * p, 4)
    assert buckets == [(0.0, 0.5), (0.5, 1.0), (1.0, 1.5), (1.5, 2.0)]
    assert probs == [0.25] * 4
    with pytest.raises(ParamError, match="nbuckets must be positive, got 0"):
        tu.gen_buckets_probs_with_ppf(lambda p: p, 0)


def test_mean_check_and_var_check():
    mx.random.seed(11)
    def normal(n):
        return np.random.normal(1.0, 2.0, size=n)

    assert tu.mean_check(normal, 1.0, 2.0, nsamples=20000) is True
    assert tu.mean_check(normal, 1.2, 2.0, nsamples=20000) is False
    assert tu.var_check(normal, 2.0, nsamples=20000) is True
    assert tu.var_check(normal, 2.2, nsamples=20000) is False
    assert tu.mean_check(lambda n: mx.nd.random.normal(0, 1, shape=(n,)), 0.0, 1.0, 20000)


def _chisquare_sf(stat, dof):
    """Wilson-Hilferty's approximation of the chi-square survival function."""
    z = ((stat / dof) ** (1 / 3) - (1 - 2 / (9 * dof))) / math.sqrt(2 / (9 * dof))
    return 0.5 * math.erfc(z / math.sqrt(2))


@pytest.fixture
def scipy_stats(monkeypatch):
    """SciPy's stats where it is installed, else a stand-in with `chisquare` (the test of
    the bucketing does not depend on SciPy's exact p values)."""
    if _has_scipy():
        import scipy.stats

        return scipy.stats
    stats = types.ModuleType("scipy.stats")

    def chisquare(f_obs, f_exp):
        f_obs, f_exp = np.asarray(f_obs, float), np.asarray(f_exp, float)
        stat = float(((f_obs - f_exp) ** 2 / f_exp).sum())
        return stat, _chisquare_sf(stat, len(f_obs) - 1)

    stats.chisquare = chisquare
    stats.chi2 = types.SimpleNamespace(sf=_chisquare_sf)
    package = types.ModuleType("scipy")
    package.stats = stats
    monkeypatch.setitem(sys.modules, "scipy", package)
    monkeypatch.setitem(sys.modules, "scipy.stats", stats)
    return stats


def test_chi_square_check_buckets_continuous_and_discrete_samples(scipy_stats):
    mx.random.seed(12)
    buckets, probs = tu.gen_buckets_probs_with_ppf(lambda p: p, 5)
    p, observed, expected = tu.chi_square_check(lambda n: np.random.uniform(size=n), buckets,
                                                probs, nsamples=10000)
    assert observed.sum() == 10000 and expected.tolist() == [2000] * 5 and p > 1e-4
    p, observed, _ = tu.chi_square_check(lambda n: np.random.uniform(0, 0.5, size=n),
                                         buckets, probs, nsamples=10000)
    assert observed[3:].sum() == 0 and p < 1e-6
    p, observed, expected = tu.chi_square_check(
        lambda n: np.random.choice([1, 3, 5], size=n, p=[0.2, 0.3, 0.5]), [1, 3, 5],
        [0.2, 0.3, 0.5], nsamples=10000)
    assert observed.sum() == 10000 and expected.tolist() == [2000, 3000, 5000] and p > 1e-4
    p, _, _ = tu.chi_square_check(lambda n: mx.nd.random.uniform(shape=(n,)), buckets, probs,
                                  nsamples=10000)
    assert p > 1e-4


def test_chi_square_check_errors(scipy_stats):
    with pytest.raises(ArgumentError, match="buckets must be a list, got tuple"):
        tu.chi_square_check(np.random.uniform, ((0, 1),), [1.0], nsamples=10)
    with pytest.raises(ParamError, match="2 probabilities for 1 buckets"):
        tu.chi_square_check(np.random.uniform, [(0, 1)], [0.5, 0.5], nsamples=10)
    with pytest.raises(ParamError, match="ascending .* without overlap"):
        tu.chi_square_check(np.random.uniform, [(0, 0.6), (0.5, 1)], [0.5, 0.5], nsamples=10)
    with pytest.raises(ParamError, match="ascending"):
        tu.chi_square_check(np.random.uniform, [(0.5, 0.1)], [1.0], nsamples=10)


def test_verify_generator(scipy_stats):
    buckets, probs = tu.gen_buckets_probs_with_ppf(lambda p: p, 4)
    p_values = tu.verify_generator(lambda n: np.random.uniform(size=n), buckets, probs,
                                   nsamples=5000, nrepeat=3)
    assert len(p_values) == 3
    with pytest.raises(AssertionError, match=r"Generator test fails, Chi-square p=\[.*\]"
                                             r", obs_freq=.*\nbuckets=.*, probs="):
        tu.verify_generator(lambda n: np.random.uniform(0, 0.7, size=n), buckets, probs,
                            nsamples=5000, nrepeat=3)


def test_chi_square_check_without_scipy_says_so(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy", None)
    monkeypatch.setitem(sys.modules, "scipy.stats", None)
    with pytest.raises(ImportError, match="scipy") as info:
        tu.chi_square_check(np.random.uniform, [(0, 1)], [1.0], nsamples=10)
    if sys.version_info >= (3, 11):
        assert info.value.__notes__ == ["scipy is not available. Please check if the scipy "
                                        "python bindings are installed."]
    with pytest.raises(ImportError, match="scipy"):
        tu.verify_generator(np.random.uniform, [(0, 1)], [1.0], nsamples=10)


@pytest.mark.skipif(not _has_scipy(), reason="SciPy is not installed")
def test_chi_square_check_with_scipys_distributions():
    import scipy.stats as ss

    buckets, probs = tu.gen_buckets_probs_with_ppf(lambda p: ss.norm.ppf(p, 0, 1), 5)
    tu.verify_generator(lambda n: np.random.normal(0, 1, size=n), buckets, probs,
                        nsamples=10000)


def test_chi_square_check_takes_expected_counts_that_do_not_sum_to_nsamples(scipy_stats):
    # (the truncated expected counts sum to 9999: SciPy's own chisquare refuses such counts)
    probs = [0.33335, 0.33335, 0.3333]
    values = [0, 1, 2]
    p, observed, expected = tu.chi_square_check(
        lambda n: np.random.choice(values, size=n, p=np.array(probs) / sum(probs)), values,
        probs, nsamples=10000)
    assert expected.sum() == 9999 and observed.sum() == 10000
    statistic = ((observed - expected) ** 2 / expected).sum()
    assert p == pytest.approx(scipy_stats.chi2.sf(statistic, 2), rel=1e-6)


# ---- check_numeric_gradient -------------------------------------------------------------------


class _WrongSquare(mx.autograd.Function):
    """x * x whose backward says 3x instead of 2x."""

    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, dy):
        (x,) = self.saved_tensors
        return dy * x * 3


def test_check_numeric_gradient_passes_for_right_gradients():
    tu.check_numeric_gradient(lambda a: mx.nd.tanh(a) * a, [np.random.rand(3, 4)])
    tu.check_numeric_gradient(lambda a, b: mx.nd.dot(a, b),
                              {"b": np.random.rand(3, 2), "a": np.random.rand(2, 3)},
                              dtype=np.float64, rtol=1e-6, atol=1e-8)
    tu.check_numeric_gradient(lambda a, b: [a * b, mx.nd.sum(mx.nd.exp(a))],
                              [mx.nd.array(np.random.rand(2, 3)), np.random.rand(2, 3)],
                              ctx=mx.cpu(0), numeric_eps={np.float32: 2.0 ** -8})
    tu.check_numeric_gradient(lambda x: mx.nd.softmax(x, axis=-1), [np.random.rand(2, 5)],
                              dtype=np.float16)


def test_check_numeric_gradient_fails_for_a_wrong_gradient(capsys):
    with pytest.raises(AssertionError) as info:
        tu.check_numeric_gradient(lambda x: _WrongSquare()(x), [np.random.rand(2, 2) + 0.5])
    message = str(info.value)
    assert "Location of maximum error: (" in message
    assert "NUMERICAL_x=" in message and "BACKWARD_x=" in message
    assert "rtol=1.000000e-04, atol=1.000000e-03 (mismatch 100.000000%)" in message
    with pytest.raises(AssertionError, match=r"NUMERICAL_arg0=.*BACKWARD_arg0="):
        tu.check_numeric_gradient(_WrongSquare(), [np.random.rand(3) + 0.5])


def test_check_numeric_gradient_grad_nodes_and_grad_reqs():
    def f(a, b):
        return a * b + mx.nd.sin(a)

    location = [np.random.rand(2, 3), np.random.rand(2, 3)]
    tu.check_numeric_gradient(f, location, grad_nodes=["b"])
    tu.check_numeric_gradient(f, location, grad_nodes=[0])
    tu.check_numeric_gradient(f, location, grad_nodes={"a": "add", "b": "null"})
    tu.check_numeric_gradient(f, location, grad_nodes={"b": "null"})
    tu.check_numeric_gradient(f, location, grad_nodes=[])
    with pytest.raises(AssertionError, match="NUMERICAL_b="):
        tu.check_numeric_gradient(lambda a, b: a * _WrongSquare()(b), location,
                                  grad_nodes={"a": "write", "b": "add"})
    tu.check_numeric_gradient(lambda a, b: a * _WrongSquare()(b), location, grad_nodes=["a"])
    with pytest.raises(ParamError, match=r"grad_nodes names 'c', not an argument; the "
                                         r"arguments are \['a', 'b'\]"):
        tu.check_numeric_gradient(f, location, grad_nodes=["c"])
    with pytest.raises(ParamError, match="Invalid grad_req inplace for argument a"):
        tu.check_numeric_gradient(f, location, grad_nodes={"a": "inplace"})
    with pytest.raises(ParamError, match="grad_nodes must be None, a list of argument names "
                                         "or a dict name -> grad_req, got str"):
        tu.check_numeric_gradient(f, location, grad_nodes="a")


def test_check_numeric_gradient_auxiliary_states_are_fresh_for_each_call():
    calls = []

    def f(x, gamma, beta, moving_mean, moving_var):
        calls.append(moving_mean.asnumpy().copy())
        return mx.nd.BatchNorm(x, gamma, beta, moving_mean, moving_var, fix_gamma=False)

    tu.check_numeric_gradient(f, [np.random.rand(4, 3), np.random.rand(3) + 0.5,
                                  np.random.rand(3)],
                              aux_states=[np.zeros(3), np.ones(3)], dtype=np.float64)
    assert len(calls) > 10 and all((c == 0).all() for c in calls)

    def g(x, *, scale):
        return x * scale

    tu.check_numeric_gradient(g, {"x": np.random.rand(3)}, aux_states={"scale": np.full(3, 2.)})


def test_check_numeric_gradient_use_forward_train():
    def f(x):
        return x * (2 if mx.autograd.is_training() else 3)

    tu.check_numeric_gradient(f, [np.random.rand(3)])
    with pytest.raises(AssertionError, match="NUMERICAL_x"):
        tu.check_numeric_gradient(f, [np.random.rand(3)], use_forward_train=False)


def test_check_numeric_gradient_leaves_its_inputs_alone_and_skips_integer_ones():
    x = mx.nd.array([[0.5, 1.0]])
    idx = mx.nd.array([1, 0], dtype="int64")
    tu.check_numeric_gradient(lambda x, idx: mx.nd.take(x * x, idx, axis=1), [x, idx])
    assert x.asnumpy().tolist() == [[0.5, 1.0]] and x.grad is None
    csr = mx.nd.sparse.csr_matrix(np.array([[1.0, 0.0], [0.0, 2.0]]))
    tu.check_numeric_gradient(lambda c, w: mx.nd.dot(c, w), [csr, np.random.rand(2, 3)],
                              grad_nodes=["w"])


def test_check_numeric_gradient_errors():
    x = [np.random.rand(2)]
    with pytest.raises(ArgumentError, match="sym must be an mx.sym.Symbol or a Python "
                                            "function of NDArrays, got NDArray"):
        tu.check_numeric_gradient(mx.nd.ones((2,)), x)
    with pytest.raises(DTypeError, match="dtype must be float16, float32 or float64, got int32"):
        tu.check_numeric_gradient(mx.nd.exp, x, dtype=np.int32)
    with pytest.raises(DTypeError, match="unknown dtype 'nonsense'"):
        tu.check_numeric_gradient(mx.nd.exp, x, dtype="nonsense")
    with pytest.raises(ArgumentError, match="location must be a list, tuple or dict of arrays, "
                                            "got ndarray"):
        tu.check_numeric_gradient(mx.nd.exp, np.ones(2))
    with pytest.raises(ArgumentError, match="grad_stype_dict must be a dict"):
        tu.check_numeric_gradient(mx.nd.exp, x, grad_stype_dict=["default"])
    with pytest.raises(ArgumentError, match="must return an NDArray or a list of NDArrays, "
                                            "got float"):
        tu.check_numeric_gradient(lambda a: 1.0, x)
    with pytest.raises(ParamError, match=r"numeric_eps=1e-06 is too small for float32 finite "
                                         r"differences \(at least 1e-5\)"):
        tu.check_numeric_gradient(mx.nd.exp, x, numeric_eps=1e-6)
    tu.check_numeric_gradient(mx.nd.exp, x, numeric_eps=1e-6, dtype=np.float64)
    tu.check_numeric_gradient(mx.nd.exp, x, grad_stype_dict={"data": "default"})


def test_compare_optimizer_agrees_for_equal_optimizers_and_catches_a_difference():
    import mxjit as mx
    from mxjit.test_utils import compare_optimizer
    compare_optimizer(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9),
                      mx.optimizer.SGD(learning_rate=0.1, momentum=0.9), (3, 4), "float32")
    compare_optimizer(mx.optimizer.Adam(), mx.optimizer.Adam(), [(2, 3), (4,)], "float32",
                      ntensors=2)
    with pytest.raises(AssertionError):
        compare_optimizer(mx.optimizer.SGD(learning_rate=0.1),
                          mx.optimizer.SGD(learning_rate=0.2), (3, 4), "float32")


def test_compare_optimizer_gives_sparse_gradients_missing_rows():
    # (the second optimizer's lazy update of the sparse arrays skips the rows the gradient
    # lacks, the first one's of their dense copies does not: the gradients of some draws
    # lack rows, and the comparison fails there)
    np.random.seed(3)
    failures = 0
    for _ in range(8):
        try:
            tu.compare_optimizer(mx.optimizer.SGD(learning_rate=0.1, wd=0.1),
                                 mx.optimizer.SGD(learning_rate=0.1, wd=0.1),
                                 (6, 2), "float32", w_stype="row_sparse", g_stype="row_sparse")
        except AssertionError:
            failures += 1
    assert 0 < failures < 8


def test_mxnets_test_helpers_for_tvm_and_numpy_semantics():
    assert mx.test_utils.is_op_runnable() and not mx.test_utils.has_tvm_ops()
    assert mx.test_utils.use_np is mx.util.use_np


# ---- symbols ------------------------------------------------------------------------------------


def _product():
    x, y = mx.sym.var("x"), mx.sym.var("y")
    return x * y, [np.array([1.0, 2.0]), np.array([3.0, -1.0])]


def test_simple_forward_and_check_symbolic_forward():
    sym, at = _product()
    np.testing.assert_allclose(tu.simple_forward(sym, x=at[0], y=at[1]), [3, -2])
    outs = tu.check_symbolic_forward(sym, at, [np.array([3.0, -2.0])])
    assert outs[0].asnumpy().tolist() == [3, -2]
    tu.check_symbolic_forward(sym, {"x": at[0], "y": at[1]}, {sym.list_outputs()[0]: [3, -2]})
    with pytest.raises(AssertionError, match="EXPECTED_.*FORWARD_"):
        tu.check_symbolic_forward(sym, at, [np.array([3.0, 2.0])])
    with pytest.raises(ValueError, match="Symbol arguments and keys of the given location do "
                                         "not match"):
        tu.check_symbolic_forward(sym, {"x": at[0]}, [np.zeros(2)])


def test_check_symbolic_backward_write_add_and_null():
    sym, at = _product()
    head = [np.array([1.0, 10.0])]
    grads = tu.check_symbolic_backward(sym, at, head, [at[1] * head[0], at[0] * head[0]])
    assert grads["x"].asnumpy().tolist() == [3, -10]
    tu.check_symbolic_backward(sym, at, head, {"x": at[1] * head[0]}, grad_req="add")
    tu.check_symbolic_backward(sym, at, head, {"x": at[1] * head[0], "y": np.zeros(2)},
                               grad_req={"x": "write", "y": "null"})
    with pytest.raises(AssertionError, match="EXPECTED_x.*BACKWARD_x"):
        tu.check_symbolic_backward(sym, at, head, [at[1], at[0]])
    bn = mx.sym.BatchNorm(mx.sym.var("data"), fix_gamma=False, name="bn")
    data = np.random.rand(4, 3)
    centered = data - data.mean(axis=0)
    out = centered / np.sqrt(data.var(axis=0) + 1e-3)
    tu.check_symbolic_backward(bn, [data, np.ones(3), np.zeros(3)], [np.ones((4, 3))],
                               {"bn_gamma": out.sum(axis=0), "bn_beta": np.full(3, 4.0)},
                               aux_states=[np.zeros(3), np.ones(3)], rtol=1e-4, atol=1e-4)


def test_check_consistency_across_dtypes_and_its_failures():
    conv = mx.sym.Convolution(num_filter=3, kernel=(3, 3), name="conv")
    ctx_list = [{"ctx": mx.cpu(0), "conv_data": (2, 2, 6, 6), "type_dict": {"conv_data": t}}
                for t in (np.float64, np.float32, np.float16)]
    truth = tu.check_consistency(conv, ctx_list)
    assert truth["conv_output"].dtype == np.float64 and truth["conv_weight"].shape == (3, 2, 3, 3)
    bn = mx.sym.BatchNorm(mx.sym.var("data"), name="bn")
    tu.check_consistency(bn, [{"ctx": mx.cpu(0), "data": (2, 3, 4),
                               "type_dict": {"data": t}} for t in (np.float64, np.float32)],
                         grad_req="add", use_uniform=True)
    # two different symbols under the same names do not agree
    x = mx.sym.var("x")
    with pytest.raises(AssertionError, match="predict .*run 1 against run 0"):
        tu.check_consistency([mx.sym.tanh(x, name="f"), mx.sym.sigmoid(x, name="f")],
                             [{"ctx": mx.cpu(0), "x": (3,)}] * 2)
    with pytest.raises(ArgumentError, match="at least two entries"):
        tu.check_consistency(conv, ctx_list[:1])


def test_check_numeric_gradient_of_a_symbol_with_auxiliary_states():
    x, y = mx.sym.var("x"), mx.sym.var("y")
    tu.check_numeric_gradient(mx.sym.tanh(x) * y, [np.random.rand(3), np.random.rand(3)])
    bn = mx.sym.BatchNorm(mx.sym.var("data"), fix_gamma=False, name="bn")
    tu.check_numeric_gradient(bn, [np.random.rand(2, 3, 4), np.random.rand(3),
                                   np.random.rand(3)], aux_states=[np.zeros(3), np.ones(3)],
                              numeric_eps=1e-3, rtol=1e-2, atol=1e-3, dtype=np.float64)
    with pytest.raises(ValueError, match="location must give the symbol's 2 arguments"):
        tu.check_numeric_gradient(mx.sym.tanh(x) * y, [np.random.rand(3)])


def test_numeric_grad_differentiates_a_bound_executor():
    x, y = mx.sym.var("x"), mx.sym.var("y")
    exe = (x * x * y).simple_bind(mx.cpu(), x=(3,), y=(3,))
    xv, yv = np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 1.0])
    grads = tu.numeric_grad(exe, {"x": xv, "y": yv}, eps=1e-2)
    np.testing.assert_allclose(grads["x"], 2 * xv * yv, rtol=1e-3)
    np.testing.assert_allclose(grads["y"], xv * xv, rtol=1e-3)
    np.testing.assert_array_equal(exe.arg_dict["x"].asnumpy(), xv)  # (left at the point)
    with pytest.raises(DTypeError, match="numeric_grad: dtype must be float16"):
        tu.numeric_grad(exe, {"x": xv}, dtype=np.int32)


def _two_layers(prefix):
    net = mx.gluon.nn.HybridSequential(prefix=prefix)
    with net.name_scope():
        net.add(mx.gluon.nn.Dense(4, in_units=3, activation="tanh"), mx.gluon.nn.Dense(2))
    return net


def test_check_gluon_hybridize_consistency_passes_a_pure_block_and_checks_numpy():
    data = [mx.nd.array(np.random.rand(5, 3))]
    tu.check_gluon_hybridize_consistency(_two_layers, data)
    tu.check_gluon_hybridize_consistency(lambda prefix: mx.gluon.nn.HybridLambda(
        lambda F, x: F.exp(x), prefix=prefix), data, numpy_func=np.exp)
    with pytest.raises(AssertionError):
        tu.check_gluon_hybridize_consistency(lambda prefix: mx.gluon.nn.HybridLambda(
            lambda F, x: F.exp(x), prefix=prefix), data, numpy_func=np.sin)


def test_star_imports_give_what_mxnets_modules_give():
    # MXNet's test_utils and autograd have no __all__: its tests use the modules and names
    # they import (np, mx, sys, array; NDArray from autograd)
    names: dict = {}
    exec("from mxjit.autograd import *\nfrom mxjit.test_utils import *", names)  # noqa: S102
    assert names["np"] is np and names["mx"] is mx and names["sys"].platform
    assert names["array"] is mx.nd.array and names["NDArray"] is mx.nd.NDArray
    assert names["Symbol"] is mx.sym.Symbol and names["assert_almost_equal"]
    assert "np" not in dir(mx.test_utils)  # (tab completion offers the helpers alone)


def test_a_missing_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        mx.test_utils.nope  # noqa: B018
