"""NDArray basics: attributes, printing, contexts, creation, operators, in-place updates."""
import warnings

import numpy as np
import pytest

import mxjit as mx
from mxjit.nd.context import DeviceError
from mxjit.trace.dtypes import DTypeError
from mxjit.trace.ops import ShapeError

nd = mx.nd


def test_printed_form_matches_mxnet():
    assert repr(nd.array([[1, 2], [3, 4]])) == "\n[[1. 2.]\n [3. 4.]]\n<NDArray 2x2 @cpu(0)>"
    assert str(nd.array([1, 2, 3], dtype="int32")) == "\n[1 2 3]\n<NDArray 3 @cpu(0)>"
    with mx.cpu(2):
        assert repr(nd.ones((1,))).endswith("<NDArray 1 @cpu(2)>")
    assert repr([nd.zeros((1,))]) == "[\n[0.]\n<NDArray 1 @cpu(0)>]"


def test_attributes():
    x = nd.array(np.arange(6).reshape(2, 3))
    assert x.shape == (2, 3) and x.size == 6 and x.ndim == 2
    assert x.dtype is np.float32  # a NumPy scalar type, as in MXNet
    assert x.context == mx.cpu() and x.ctx == mx.cpu(0) and x.stype == "default"
    assert x.T.shape == (3, 2)
    assert nd.array([7]).asscalar() == 7
    assert x.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert np.asarray(x).shape == (2, 3)
    with pytest.raises(ValueError, match="asscalar"):
        x.asscalar()


def test_default_dtypes_follow_mxnet():
    assert nd.array([1, 2, 3]).dtype is np.float32
    assert nd.array(np.arange(3)).dtype is np.float32
    assert nd.array(np.arange(3), dtype="int64").dtype is np.int64
    assert nd.array(nd.array([1], dtype="int32")).dtype is np.int32
    with pytest.raises(DTypeError, match="unknown dtype"):
        nd.zeros((2,), dtype="float128x")
    with pytest.raises(DTypeError, match="unsupported dtype"):
        nd.zeros((2,), dtype="complex64")


def test_contexts():
    assert str(mx.cpu()) == "cpu(0)" and str(mx.gpu(1)) == "gpu(1)"
    gpus = mx.context.num_gpus()  # 0 without pycuda and a GPU (tests/gpu covers the rest)
    with pytest.raises(DeviceError, match="no GPU is available"):
        nd.zeros((2,), ctx=mx.gpu(gpus))
    with pytest.raises(DeviceError, match="no GPU"):
        nd.ones((2,)).copyto(mx.gpu(gpus))
    with pytest.raises(ValueError, match="unknown device type"):
        mx.Context("tpu")
    with mx.Context("cpu", 3):
        assert mx.current_context() == mx.cpu(3)
    assert mx.current_context() == mx.cpu(0)


def test_creation():
    np.testing.assert_array_equal(nd.zeros((2, 3)).asnumpy(), np.zeros((2, 3)))
    np.testing.assert_array_equal(nd.ones(4, dtype="int8").asnumpy(), np.ones(4, np.int8))
    np.testing.assert_array_equal(nd.full((2,), 7).asnumpy(), [7, 7])
    np.testing.assert_array_equal(nd.arange(0, 3, repeat=2).asnumpy(), [0, 0, 1, 1, 2, 2])
    np.testing.assert_allclose(nd.linspace(0, 1, 5).asnumpy(), np.linspace(0, 1, 5))
    np.testing.assert_array_equal(nd.eye(3, k=1).asnumpy(), np.eye(3, k=1))
    x = nd.array([[1, 2]], dtype="int32")
    assert nd.zeros_like(x).dtype is np.int32 and nd.ones_like(x).asnumpy().tolist() == [[1, 1]]
    assert nd.full_like(x, 5).asnumpy().tolist() == [[5, 5]]
    assert nd.empty((0, 3)).shape == (0, 3)
    with pytest.raises(ValueError, match="negative dimension"):
        nd.zeros((-1, 2))


def test_operators_with_scalars_and_broadcasting():
    a = nd.array([[1.0, 2.0], [3.0, 4.0]])
    b = nd.array([10.0, 20.0])
    np.testing.assert_array_equal((a + b).asnumpy(), [[11, 22], [13, 24]])
    np.testing.assert_array_equal((2 - a).asnumpy(), [[1, 0], [-1, -2]])
    np.testing.assert_array_equal((1 / a).asnumpy(), 1 / a.asnumpy())
    np.testing.assert_array_equal((a ** 2).asnumpy(), a.asnumpy() ** 2)
    np.testing.assert_array_equal((-a).asnumpy(), -a.asnumpy())
    gt = a > 2
    assert gt.dtype is np.float32 and gt.asnumpy().tolist() == [[0, 0], [1, 1]]
    assert (a == a).asnumpy().all()
    with pytest.raises(ShapeError, match="cannot be broadcast"):
        a + nd.ones((3,))


def test_integer_division_by_zero_gives_zero_instead_of_crashing():
    a = nd.array([7, -7, 5], dtype="int32")
    b = nd.array([2, 2, 0], dtype="int32")
    assert (a / b).asnumpy().tolist() == [3, -3, 0]  # C truncation, x / 0 -> 0
    assert (a % b).asnumpy().tolist() == [1, 1, 0]
    low = nd.array([np.iinfo(np.int32).min], dtype="int32")
    assert (low / nd.array([-1], dtype="int32")).asnumpy().tolist() == [np.iinfo(np.int32).min]


def test_scalars_take_the_array_dtype_and_must_fit_in_it():
    u = nd.array([1, 2, 250], dtype="uint8")
    assert (u + 1.5).asnumpy().tolist() == [2, 3, 251]  # 1.5 becomes uint8 1, as in MXNet
    for bad in (300, -1, float("inf"), float("nan")):
        with pytest.raises(DTypeError, match=f"scalar {bad} is out of range for the uint8"):
            u + bad
    with pytest.raises(DTypeError, match="out of range for the int8"):
        mx.jit(lambda x: x * 1000)(nd.array([1], dtype="int8"))
    # clip bounds beyond the dtype's range clamp into it
    assert nd.clip(u, -5, 300).asnumpy().tolist() == [1, 2, 250]
    assert nd.clip(u, 3, 200).asnumpy().tolist() == [3, 3, 200]


def test_overflowing_matmul_gives_inf_without_warnings():
    big = nd.array(np.full((4, 4), 1e30, np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isinf(nd.dot(big, big).asnumpy()).all()


def test_elemwise_requires_equal_shapes_and_broadcast_ops_broadcast():
    a, b = nd.ones((2, 3)), nd.ones((3,))
    assert nd.broadcast_add(a, b).shape == (2, 3)
    assert nd.broadcast_maximum(a, b * 2).asnumpy().max() == 2
    with pytest.raises(ShapeError, match="elemwise_add: operand shapes .* differ"):
        nd.elemwise_add(a, b)
    out = nd.zeros((2, 3))
    res = nd.elemwise_mul(a, a * 3, out=out)
    assert res is out and out.asnumpy().tolist() == [[3, 3, 3]] * 2
    assert nd.logical_and(nd.array([0, 1, 2]), 1).asnumpy().tolist() == [0, 1, 1]


@pytest.mark.parametrize("op", [nd.tanh, nd.sign, lambda x, out: nd.sum(x, axis=1, out=out),
                                lambda x, out: nd.reshape(x, (6,), out=out)])
def test_a_bad_out_is_rejected_before_anything_is_written(op):
    x = nd.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    wrong_shape = nd.full((5,), 7.0)
    with pytest.raises(ShapeError, match=r"out=: the result has shape \(.*\), out has \(5,\)"):
        op(x, out=wrong_shape)
    assert wrong_shape.asnumpy().tolist() == [7.0] * 5
    good_shape = op(x, out=None).shape
    wrong_dtype = nd.full(good_shape, 7, dtype="int32")
    with pytest.raises(DTypeError, match="out=: the result has dtype float32, out has int32"):
        op(x, out=wrong_dtype)
    assert (wrong_dtype.asnumpy() == 7).all()


def test_in_place_operators_write_into_the_same_array():
    x = nd.array([1.0, 2.0])
    before = id(x)
    x += 1
    x *= nd.array([2.0, 3.0])
    x -= 1
    x /= 2
    assert id(x) == before
    np.testing.assert_array_equal(x.asnumpy(), [1.5, 4.0])
    y = x
    y = y + 1
    assert id(y) != before


def test_out_argument_of_unary_functions():
    x = nd.array([0.0, 1.0])
    out = nd.zeros((2,))
    assert nd.exp(x, out=out) is out
    np.testing.assert_allclose(out.asnumpy(), np.exp([0.0, 1.0]), rtol=1e-6)


def test_copies_and_conversions():
    x = nd.array([1, 2, 3])
    c = x.copy()
    c += 1
    assert x.asnumpy().tolist() == [1, 2, 3]
    target = nd.zeros((3,))
    assert x.copyto(target) is target and target.asnumpy().tolist() == [1, 2, 3]
    with pytest.raises(ValueError, match="copyto: shape"):
        x.copyto(nd.zeros((2,)))
    assert x.as_in_context(mx.cpu()) is x
    assert x.astype("int32").dtype is np.int32
    assert x.astype("float32", copy=False) is x
    x.wait_to_read()
    nd.waitall()


def test_cast_follows_c_conversion():
    x = nd.array([-1.7, 2.9, 300.0, -300.0, np.nan])
    assert nd.cast(x, dtype="int32").asnumpy().tolist() == [-1, 2, 300, -300, 0]
    wraps = nd.array([-1.7, 2.9, 300.0, -300.0])
    assert nd.cast(wraps, dtype="uint8").asnumpy().tolist() == [255, 2, 44, 212]


def test_save_and_load_round_trip(tmp_path):
    path = str(tmp_path / "arrays.nd")
    nd.save(path, {"w": nd.array([[1, 2]]), "b": nd.array([3], dtype="int64")})
    got = nd.load(path)
    assert sorted(got) == ["b", "w"] and got["b"].dtype is np.int64
    nd.save(path, nd.ones((2,)))
    (only,) = nd.load(path)
    assert only.asnumpy().tolist() == [1, 1]
