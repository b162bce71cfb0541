"""Sharing memory with NumPy and other frameworks (from_numpy, DLPack), and the deprecated
Python-level helpers old code still calls (concatenate, load_frombuffer)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import ArgumentError, DTypeError, ParamError
from mxjit.nd import NDArray

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mxnet-1.9.1"


def test_dlpack_for_write_shares_memory_both_ways():
    x = mx.nd.ones((2, 3))
    u = mx.nd.from_dlpack(mx.nd.to_dlpack_for_write(x))
    u += 1  # (MXNet's own docstring example)
    np.testing.assert_array_equal(x.asnumpy(), np.full((2, 3), 2.0))
    x[0, 0] = 7
    assert u.asnumpy()[0, 0] == 7


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "uint8", "int32",
                                   "int64", "bool"])
def test_dlpack_round_trip_keeps_dtype_shape_and_values(dtype):
    data = (np.arange(24).reshape(2, 3, 4) % 3).astype(dtype)
    z = mx.nd.from_dlpack(mx.nd.to_dlpack_for_read(mx.nd.array(data, dtype=dtype)))
    assert isinstance(z, NDArray) and z.dtype == np.dtype(dtype) and z.shape == (2, 3, 4)
    np.testing.assert_array_equal(z.asnumpy(), data)


def test_dlpack_of_views_scalars_and_empty_arrays():
    base = mx.nd.array(np.arange(12.0).reshape(3, 4))
    col = base[:, 1]
    shared = mx.nd.from_dlpack(mx.nd.to_dlpack_for_write(col))
    np.testing.assert_array_equal(shared.asnumpy(), [1.0, 5.0, 9.0])
    shared[:] = 0
    np.testing.assert_array_equal(col.asnumpy(), [0.0, 0.0, 0.0])
    rows = base[1:3]  # (a view of base's rows, as in MXNet)
    mx.nd.from_dlpack(mx.nd.to_dlpack_for_write(rows))[:] = -1
    np.testing.assert_array_equal(base.asnumpy()[1:], -np.ones((2, 4)))
    strided = np.arange(12.0).reshape(3, 4)[:, ::2]
    got = mx.nd.from_dlpack(strided.__dlpack__())  # (a capsule read through its strides)
    np.testing.assert_array_equal(got.asnumpy(), strided)
    empty = mx.nd.from_dlpack(mx.nd.to_dlpack_for_read(mx.nd.zeros((0, 3))))
    assert empty.shape == (0, 3)


def test_from_dlpack_takes_objects_with_the_protocol_and_versioned_capsules():
    a = np.arange(4, dtype=np.int32)
    np.testing.assert_array_equal(mx.nd.from_dlpack(a).asnumpy(), a)
    b = np.ones(3)
    x = mx.nd.from_dlpack(b.__dlpack__(max_version=(1, 0)))
    x += 1
    np.testing.assert_array_equal(b, [2.0, 2.0, 2.0])


def test_dlpack_user_errors():
    with pytest.raises(ArgumentError, match="DLPack capsule or an object with __dlpack__"):
        mx.nd.from_dlpack(3)
    with pytest.raises(DTypeError, match="no MXNet dtype"):
        mx.nd.from_dlpack(np.ones(2, dtype=np.complex64))
    with pytest.raises(ArgumentError, match="expected an NDArray"):
        mx.nd.to_dlpack_for_read(np.ones(2))


def test_from_numpy_shares_memory_and_freezes_the_numpy_array():
    a = np.arange(6.0).reshape(2, 3)
    x = mx.nd.from_numpy(a)
    assert x.dtype == np.float64 and not a.flags.writeable
    x += 1
    np.testing.assert_array_equal(a, np.arange(6.0).reshape(2, 3) + 1)
    c = np.arange(3, dtype=np.int32)
    y = mx.nd.from_numpy(c, zero_copy=False)
    y += 1
    np.testing.assert_array_equal(c, [0, 1, 2])
    assert c.flags.writeable


def test_an_array_from_numpy_made_read_only_is_shared_writably_again():
    # (MXNet's test_zero_from_numpy: its NDArray writes the frozen NumPy array's memory)
    a = np.array([[1, 2], [3, 4], [5, 6]], dtype=np.float32)
    first = mx.nd.from_numpy(a)
    second = mx.nd.from_numpy(a)
    with pytest.raises(ValueError):
        a[2, 1] = 0
    second[2, 1] = 100
    assert a[2, 1] == 100 and first[2, 1].asscalar() == 100
    frozen = np.ones(3, np.float32)
    frozen.flags.writeable = False  # (read-only for its own reasons: never written)
    with pytest.raises(mx.base.ParamError, match="read-only"):
        mx.nd.from_numpy(frozen)[0] = 2
    assert mx.nd.from_numpy(np.zeros((1, 0, 2), np.float32)).shape == (1, 0, 2)


def test_dlpack_methods_of_ndarray():
    x = mx.nd.array([1.0, 2.0])
    np.testing.assert_array_equal(mx.nd.from_dlpack(x.to_dlpack_for_read()).asnumpy(), [1, 2])
    shared = mx.nd.from_dlpack(x.to_dlpack_for_write())
    shared[0] = 7
    assert x[0].asscalar() == 7


def test_from_numpy_user_errors():
    with pytest.raises(ParamError, match="C-contiguous"):  # (a ValueError, as MXNet's)
        mx.nd.from_numpy(np.ones((3, 4))[:, ::2])
    with pytest.raises(ArgumentError, match="numpy.ndarray"):
        mx.nd.from_numpy([1, 2])
    with pytest.raises(DTypeError, match="no MXNet dtype"):
        mx.nd.from_numpy(np.ones(2, dtype=np.uint16))


def test_concatenate_joins_along_an_axis():
    a, b = mx.nd.ones((1, 2)), mx.nd.zeros((2, 2))
    np.testing.assert_array_equal(mx.nd.concatenate([a, b]).asnumpy(),
                                  [[1, 1], [0, 0], [0, 0]])
    np.testing.assert_array_equal(mx.nd.concatenate([b, b[:, :1]], axis=1).shape, (2, 3))
    assert mx.nd.concatenate([a], always_copy=False) is a
    assert mx.nd.concatenate([a]) is not a
    with pytest.raises(ArgumentError, match="non-empty list"):
        mx.nd.concatenate([])
    with pytest.raises(DTypeError):
        mx.nd.concatenate([a, mx.nd.ones((1, 2), dtype="int32")])


def test_load_frombuffer_reads_what_save_and_mxnet_wrote(tmp_path):
    path = tmp_path / "x.nd"
    mx.nd.save(str(path), {"w": mx.nd.arange(3)})
    got = mx.nd.load_frombuffer(path.read_bytes())
    np.testing.assert_array_equal(got["w"].asnumpy(), [0, 1, 2])
    written = (FIXTURES / "dict_params.nd").read_bytes()
    params = mx.nd.load_frombuffer(bytearray(written))
    assert sorted(params) == ["arg:fc1_bias", "arg:fc1_weight", "aux:bn_moving_mean"]
    with pytest.raises(ArgumentError, match="expected bytes"):
        mx.nd.load_frombuffer("x.nd")
