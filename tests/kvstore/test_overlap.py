"""The layout of the overlapped allreduce (`kvstore/overlap.py`); its behaviour across
workers is tested under mpiexec in test_dist.py."""
import numpy as np

from mxjit.kvstore.overlap import plan_buckets


def f32(n):
    return np.zeros(n, np.float32)


def test_buckets_keep_the_order_given_and_start_with_a_small_one():
    arrays = [f32(4), f32(4), f32(4), f32(4), f32(4)]  # (16 bytes each)
    assert plan_buckets(arrays, first=32, limit=48) == [[0, 1], [2, 3, 4]]


def test_a_bucket_holds_one_dtype_and_an_array_larger_than_a_bucket_goes_alone():
    arrays = [f32(2), np.zeros(2, np.float64), f32(100), f32(2), f32(2)]
    assert plan_buckets(arrays, first=64, limit=64) == [[0], [1], [2], [3, 4]]


def test_no_arrays_no_buckets():
    assert plan_buckets([]) == []
