"""`mx.io`'s names that data code written for MXNet imports: the private `mx.io.utils`
helpers of NDArrayIter and the `_v1` record iterators."""
from __future__ import annotations

import numpy as np
import pytest

import mxjit as mx
from mxjit.io.utils import _getdata_by_idx, _has_instance, _init_data


def test_init_data_names_and_sorts_like_mxnet():
    pairs = _init_data([np.arange(3.0), np.ones((3, 2))], allow_empty=False,
                       default_name="data")
    assert [k for k, _ in pairs] == ["_0_data", "_1_data"]
    assert all(isinstance(v, mx.nd.NDArray) for _, v in pairs)
    assert [k for k, _ in _init_data({"b": np.ones(2), "a": np.ones(2)}, False, "x")] == \
        ["a", "b"]
    assert _init_data(None, allow_empty=True, default_name="label") == []
    with pytest.raises(mx.base.ParamError, match="data is required"):
        _init_data([], allow_empty=False, default_name="data")


def test_getdata_by_idx_takes_rows_in_order_dense_and_csr():
    dense = _init_data(np.arange(6.0).reshape(3, 2), False, "data")
    shuffled = _getdata_by_idx(dense, [2, 0, 1])
    np.testing.assert_array_equal(shuffled[0][1].asnumpy(), [[4, 5], [0, 1], [2, 3]])
    csr = _init_data({"c": mx.nd.sparse.csr_matrix(np.eye(3, dtype=np.float32))}, False, "x")
    assert _has_instance(csr, mx.nd.sparse.CSRNDArray)
    assert not _has_instance(dense, mx.nd.sparse.CSRNDArray)
    got = _getdata_by_idx(csr, [2, 0, 1])[0][1]
    assert isinstance(got, mx.nd.sparse.CSRNDArray)
    np.testing.assert_array_equal(got.asnumpy(), np.eye(3)[[2, 0, 1]])


def test_the_v1_record_iterators_are_mxnets_names():
    assert mx.io.ImageRecordIter_v1 is mx.io.ImageRecordIter
    assert mx.io.ImageRecordUInt8Iter_v1 is mx.io.ImageRecordUInt8Iter
    assert mx.io.utils._init_data is _init_data
