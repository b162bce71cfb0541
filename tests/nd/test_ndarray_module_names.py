"""Names of MXNet's mxnet/ndarray/ndarray.py module that code written for MXNet imports."""
import mxjit as mx


def test_py_slice_is_the_builtin_slice():
    from mxjit.nd.ndarray import py_slice
    assert py_slice is slice
    assert mx.nd.arange(6)[py_slice(1, 3)].asnumpy().tolist() == [1.0, 2.0]
