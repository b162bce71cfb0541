"""mx.np.ndarray: MXNet 1.9.1's printed forms, conversions, operators, indexing, and the
transforms (mx.jit, mx.grad, autograd) taking and giving mx.np arrays."""
from __future__ import annotations

import numpy as onp
import pytest

import mxjit as mx
from mxjit import np
from mxjit.base import DTypeError, MXNetIndexError, ShapeError, TracerError


@pytest.mark.parametrize("make,text", [
    (lambda: np.array([[1, 2], [3, 4]]), "array([[1., 2.],\n       [3., 4.]])"),
    (lambda: np.array([1.5, 2.5], dtype="float64"), "array([1.5, 2.5], dtype=float64)"),
    (lambda: np.array([2, 4], dtype="int64"), "array([2, 4], dtype=int64)"),
    (lambda: np.ones((2, 2), dtype="int8"), "array([[1, 1],\n       [1, 1]], dtype=int8)"),
    (lambda: np.ones(2, dtype="bool"), "array([ True,  True])"),
    (lambda: np.array(3.5), "array(3.5)"),
    (lambda: np.empty((0, 3)), "array([], shape=(0, 3))"),
    (lambda: np.arange(5), "array([0., 1., 2., 3., 4.])"),
])
def test_repr_is_mxnets(make, text):
    assert repr(make()) == text


def test_repr_names_a_device_other_than_the_cpu():
    """MXNet's rule: `ctx=` in repr and `@ctx` in str off the CPU (checked on host data
    labelled as on a GPU: the printing rule only, without a device)."""
    x = np.array([1.0, 2.0], dtype="float64")
    x._ctx = mx.gpu(0)
    assert repr(x) == "array([1., 2.], dtype=float64, ctx=gpu(0))"
    assert str(x) == "[1. 2.] @gpu(0)"
    y = np.ones(2)
    y._ctx = mx.gpu(1)
    assert repr(y) == "array([1., 1.], ctx=gpu(1))"


def test_str_and_format():
    assert str(np.array([[1, 2], [3, 4]])) == "[[1. 2.]\n [3. 4.]]"
    assert f"{np.array(2.5):.2f}" == "2.50" and f"{np.ones(2)}" == "[1. 1.]"
    with pytest.raises(mx.base.ArgumentError, match="format_spec"):
        format(np.ones(2), ".2f")


def test_a_traced_array_prints_its_shape():
    seen = []
    mx.jit(lambda x: seen.append(repr(x)) or x)(np.ones(2))
    assert seen == ["<ndarray (2,) traced float32>"]


def test_ndarray_is_an_ndarray_of_mx_nd_and_converts_without_copy():
    x = np.ones(3)
    assert isinstance(x, mx.nd.NDArray) and type(x).__name__ == "ndarray"
    y = x.as_nd_ndarray()
    assert type(y) is mx.nd.NDArray and y.as_np_ndarray() is not x
    y[0] = 5
    assert x.tolist() == [5.0, 1.0, 1.0] and x.as_np_ndarray() is x
    assert type(mx.nd.ones(2).as_np_ndarray()) is np.ndarray


def test_values_out():
    x = np.array([[1, 2], [3, 4]])
    assert x.item(1, 0) == 3.0 and np.array([5]).item() == 5.0
    assert x.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert onp.asarray(x).dtype == onp.float32 and x.asnumpy().shape == (2, 2)
    assert x.shape == (2, 2) and x.size == 4 and x.ndim == 2 and len(x) == 2
    assert x.dtype == onp.dtype(onp.float32) and x.T.tolist() == [[1.0, 3.0], [2.0, 4.0]]
    assert [r.tolist() for r in x] == [[1.0, 2.0], [3.0, 4.0]]
    assert float(np.array(2.0)) == 2.0 and int(np.array(3)) == 3


def test_copies_devices_and_dtypes():
    x = np.ones(2)
    c = x.copy()
    c[0] = 3
    assert x.tolist() == [1.0, 1.0]
    assert x.as_in_ctx(mx.cpu()) is x and x.as_in_ctx(mx.cpu(1)).context == mx.cpu(1)
    assert repr(x.as_in_ctx(mx.cpu(1))) == "array([1., 1.])"  # (MXNet: no suffix on CPUs)
    assert x.copyto(mx.cpu(2)).context == mx.cpu(2)
    assert x.astype("int32").dtype == onp.int32 and x.astype("float32", copy=False) is x
    target = np.zeros(2)
    assert x.copyto(target) is target and target.tolist() == [1.0, 1.0]


def test_operators_with_numpy_promotion():
    i, f = np.array([1, 2], dtype="int32"), np.array([0.5, 1.0], dtype="float64")
    assert (i + f).dtype == onp.float64 and (i * i).dtype == onp.int32
    assert (i / i).dtype == onp.float32 and (-i).tolist() == [-1, -2]
    assert (f ** 2).tolist() == [0.25, 1.0] and (2 ** i).tolist() == [2, 4]
    assert (i // 2).tolist() == [0, 1] and (f // 0.3).tolist() == [1.0, 3.0]
    assert (i % 2).tolist() == [1, 0] and abs(np.array([-1.0])).tolist() == [1.0]
    assert (i == 1).dtype == onp.bool_ and (i > 1).tolist() == [False, True]
    m = i > 1
    assert (~m).tolist() == [True, False] and (m & (i > 0)).tolist() == [False, True]
    assert (m | ~m).tolist() == [True, True] and (m ^ m).tolist() == [False, False]
    assert (np.ones((2, 3)) @ np.ones(3)).tolist() == [3.0, 3.0]
    assert (+f).tolist() == [0.5, 1.0] and (1 - f).tolist() == [0.5, 0.0]


def test_in_place_operators_keep_dtype_and_memory():
    x = np.ones(3)
    view = x[1:]
    x += 1
    x *= np.array([1.0, 2.0, 3.0])
    assert view.tolist() == [4.0, 6.0]
    i = np.array([1, 2], dtype="int32")
    i += 1
    assert i.dtype == onp.int32 and i.tolist() == [2, 3]
    with pytest.raises(DTypeError, match="same_kind"):
        i /= 2
    with pytest.raises(ShapeError, match="cannot be written"):
        x += np.ones((2, 3))


def test_indexing_basic_advanced_and_masks():
    b = np.arange(12).reshape(3, 4)
    assert b[1, 2].shape == () and b[1, 2].item() == 6.0
    assert b[[0, 2]].shape == (2, 4) and b[1:, ::2].tolist() == [[4.0, 6.0], [8.0, 10.0]]
    assert b[b > 8].tolist() == [9.0, 10.0, 11.0]
    assert b[onp.array([True, False, True])].shape == (2, 4)
    assert b[:, np.array([True, False, True, False], dtype=bool)].tolist() == \
        [[0.0, 2.0], [4.0, 6.0], [8.0, 10.0]]
    assert b[None, ..., 0].shape == (1, 3)
    assert b[True].shape == (1, 3, 4) and b[np.array(False, dtype=bool)].shape == (0, 3, 4)
    b[b > 8] = 0
    assert b.sum().item() == 36.0
    b[1] = np.array([1.0, 1.0, 1.0, 1.0])
    assert b[1].tolist() == [1.0] * 4
    s = np.array(4.0)
    s[()] = 7
    assert s.item() == 7.0 and s[()].shape == ()


def test_indexing_errors_name_the_shapes():
    b = np.arange(6).reshape(2, 3)
    with pytest.raises(MXNetIndexError, match=r"boolean index of shape \(3,\)"):
        b[onp.array([True, False, True])]
    with pytest.raises(MXNetIndexError, match=r"shape \(2, 3\): index 5 is out of bounds"):
        b[True, 5]
    with pytest.raises(TracerError, match="boolean mask of shape"):
        mx.jit(lambda x: x[x > 1])(b)
    with pytest.raises(MXNetIndexError, match="0-d"):
        iter(np.array(1.0))


def test_reshape_and_transpose_methods_take_numpys_arguments():
    x = np.arange(6)
    assert x.reshape(2, -1).shape == (2, 3) and x.reshape((3, 2)).shape == (3, 2)
    assert np.zeros((0, 4)).reshape(0, 2, 2).shape == (0, 2, 2)
    assert np.ones((2, 3, 4)).transpose(2, 0, 1).shape == (4, 2, 3)
    assert np.ones((2, 3)).transpose().shape == (3, 2)
    assert x.flatten().shape == (6,) and x.reshape(2, 3).sum(axis=1).tolist() == [3.0, 12.0]
    assert x.reshape(2, 3).mean(axis=0).shape == (3,) and x.argmax().item() == 5
    with pytest.raises(ShapeError, match="cannot reshape array of size 6 into shape"):
        x.reshape(4, -1)
    with pytest.raises(ShapeError, match="only specify one unknown"):
        x.reshape(-1, -1)
    with pytest.raises(mx.base.ArgumentError, match="order='C'"):
        x.reshape(6, order="F")


def test_jit_grad_and_autograd_take_and_give_np_arrays():
    f = mx.jit(lambda x, w, b: np.tanh(x @ w + b).sum(axis=1))
    out = f(np.ones((4, 3)), np.ones((3, 5)), np.zeros(5))
    assert type(out) is np.ndarray and out.shape == (4,)
    onp.testing.assert_allclose(out.asnumpy(), 5 * onp.tanh(3.0), rtol=1e-6)
    g = mx.grad(lambda x: (x * x).sum())(np.array([1.0, 2.0]))
    assert type(g) is np.ndarray and g.tolist() == [2.0, 4.0]
    x = np.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with mx.autograd.record():
        y = (np.exp(x) * x)[x > 1].sum()
    y.backward()
    assert type(x.grad) is np.ndarray
    onp.testing.assert_allclose(x.grad.asnumpy(), [0, 3 * onp.e ** 2, 4 * onp.e ** 3],
                                rtol=1e-5)


def test_ufunc_keywords_and_methods_with_mxnets_names():
    x = np.array([1.0, 2.0])
    assert np.add(x, x, where=True, casting="same_kind").tolist() == [2.0, 4.0]
    assert np.arange(5).clip(1, 3).tolist() == [1.0, 1.0, 2.0, 3.0, 3.0]
    assert np.arange(5).clip(max=2).tolist() == [0.0, 1.0, 2.0, 2.0, 2.0]


def test_grad_is_none_for_grad_req_null():
    x = np.ones(2)
    assert x.grad is None
    x.attach_grad(grad_req="null")
    assert x.grad is None
    x.attach_grad()
    assert x.grad.tolist() == [0.0, 0.0]


def test_dlpack_and_array_protocol_share_memory_with_numpy():
    x = np.arange(4)
    shared = onp.from_dlpack(x)
    assert shared.tolist() == [0.0, 1.0, 2.0, 3.0] and x.__dlpack_device__() == (1, 0)
    x[0] = 9
    assert shared[0] == 9.0
    back = np.from_dlpack(onp.arange(3, dtype=onp.float32))
    assert type(back) is np.ndarray and back.tolist() == [0.0, 1.0, 2.0]
    assert onp.asarray(x, dtype=onp.float64).dtype == onp.float64


def test_dlpack_round_trip_with_torch():
    torch = pytest.importorskip("torch")
    x = np.arange(4)
    t = torch.from_dlpack(x)
    t[1] = 7
    assert x[1].item() == 7.0
    assert np.from_dlpack(torch.ones(2)).tolist() == [1.0, 1.0]


ZERO_D_BOOL_KEYS = [(0, True, True, onp.array([[False, True, True], [False, True, False]])),
                    (False, 1), (True,), (True, 0), (Ellipsis, True), (slice(None), True, 1),
                    (onp.array([0, 1]), True, slice(None), onp.array([2, 0])), (True, False)]


@pytest.mark.parametrize("key", ZERO_D_BOOL_KEYS, ids=range(len(ZERO_D_BOOL_KEYS)))
def test_zero_d_booleans_among_other_items_index_as_numpy(key):
    data = onp.random.default_rng(0).standard_normal((2, 2, 3, 4)).astype("float32")
    mx_key = tuple(np.array(k, dtype=k.dtype) if isinstance(k, onp.ndarray) else k for k in key)
    expected = data[key]
    got = np.array(data)[mx_key].asnumpy()
    assert got.shape == expected.shape and onp.array_equal(got, expected)
    value = onp.arange(expected.shape[-1], dtype="float32") if expected.ndim else 3.0
    written, reference = np.array(data), data.copy()
    written[mx_key] = value
    reference[key] = value
    assert onp.array_equal(written.asnumpy(), reference)


def test_zero_d_boolean_key_is_differentiable():
    mask = onp.array([[False, True, True], [False, True, False]])
    x = np.array(onp.random.default_rng(1).standard_normal((2, 2, 3, 4)))
    x.attach_grad()
    with mx.autograd.record():
        y = (x[0, True, True, np.array(mask, dtype=bool)] * 2).sum()
    y.backward()
    expected = onp.zeros(x.shape, dtype="float32")
    expected[0][mask] = 2
    assert onp.array_equal(x.grad.asnumpy(), expected)


def test_arrays_pickle_with_their_shape_and_class():
    import pickle
    for value in (np.array(3.5), np.array([[1, 2], [3, 4]], dtype="float16"),
                  np.zeros((0, 3))):
        back = pickle.loads(pickle.dumps(value))
        assert type(back) is np.ndarray and back.shape == value.shape
        assert back.dtype == value.dtype and back.asnumpy().tolist() == value.asnumpy().tolist()
