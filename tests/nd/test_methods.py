"""NDArray's fluent methods (`x.sum(axis=1)` is `mx.nd.sum(x, axis=1)`): every method of the
table against its `mx.nd` function, eagerly and under mx.jit; the argument forms of
reshape/transpose/reductions against NumPy; the `inplace` views; and the errors.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mxjit as mx
from mxjit.base import ParamError, ShapeError
from mxjit.nd.methods import FLUENT_METHODS, SPECIAL_METHODS

nd = mx.nd
SOME = settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
SHAPES = [(1,), (4,), (2, 3), (1, 3), (3, 0), (2, 1, 3), (2, 3, 2)]


def unit(*shape: int) -> np.ndarray:
    """Values in (0.1, 0.9): inside every unary function's domain but arccosh's."""
    return np.linspace(0.1, 0.9, int(np.prod(shape))).reshape(shape)


A23 = unit(2, 3)
#: name -> (input, positional args, keyword args); the default is (A23, (), {}).
CASES = {
    "reshape_like": (A23, (nd.zeros((3, 2)),), {}),
    "broadcast_to": (unit(1, 3), ((2, 3),), {}),
    "broadcast_like": (unit(1, 3), (nd.zeros((2, 3)),), {}),
    "broadcast_axes": (unit(1, 3), (), {"axis": 0, "size": 2}),
    "repeat": (A23, (2,), {"axis": 1}),
    "tile": (A23, ((2, 1),), {}),
    "pad": (unit(1, 1, 2, 3), (), {"mode": "constant", "pad_width": (0, 0, 0, 0, 1, 1, 1, 1)}),
    "swapaxes": (A23, (0, 1), {}),
    "flip": (A23, (), {"axis": 1}),
    "split": (A23, (), {"num_outputs": 3, "axis": 1}),
    "split_v2": (A23, ((1,),), {"axis": 1}),
    "slice": (A23, (), {"begin": (0, 1), "end": (2, 3)}),
    "slice_axis": (A23, (), {"axis": 1, "begin": 0, "end": 2}),
    "slice_like": (A23, (nd.zeros((1, 2)),), {}),
    "depth_to_space": (unit(1, 4, 2, 3), (2,), {}),
    "space_to_depth": (unit(1, 1, 4, 6), (2,), {}),
    "take": (A23, (nd.array([1, 0]),), {}),
    "pick": (A23, (nd.array([0, 2]),), {"axis": 1}),
    "one_hot": (np.array([0.0, 2.0, 1.0]), (3,), {}),
    "topk": (A23, (), {"k": 2, "ret_typ": "value"}),
    "argmax": (A23, (), {"axis": 1}),
    "argmin": (A23, (), {"axis": 0}),
    "sum": (A23, (), {"axis": 1}),
    "prod": (A23, (), {"axis": 0, "keepdims": True}),
    "mean": (A23, (), {"axis": (0, 1)}),
    "min": (A23, (1,), {}),
    "norm": (A23, (), {"ord": 1, "axis": 1}),
    "clip": (A23, (0.2, 0.6), {}),
    "arccosh": (1 + A23, (), {}),
    "softmax": (A23, (), {"axis": 0}),
}


def method_call(name: str, x: mx.nd.NDArray, args: tuple, kwargs: dict):
    return getattr(x, name)(*args, **kwargs)


def function_call(name: str, x: mx.nd.NDArray, args: tuple, kwargs: dict):
    return getattr(nd, name)(x, *args, **kwargs)


def as_list(result) -> list:
    return [r.asnumpy() for r in result] if isinstance(result, list) else [result.asnumpy()]


@pytest.mark.parametrize("name", FLUENT_METHODS)
def test_method_is_the_nd_function(name):
    if not hasattr(nd, name):
        pytest.skip(f"mx.nd.{name} does not exist yet: NDArray.{name} raises "
                    "NotImplementedError until it does")
    data, args, kwargs = CASES.get(name, (A23, (), {}))
    x = nd.array(data)
    want = as_list(function_call(name, x, args, kwargs))
    got = method_call(name, x, args, kwargs)
    for g, w in zip(as_list(got), want, strict=True):
        np.testing.assert_array_equal(g, w)
    if name in ("zeros_like", "ones_like", "shape_array", "size_array"):
        return  # (results that do not depend on traced values: checked eagerly only)
    jitted = mx.jit(lambda v: method_call(name, v, args, kwargs))(x)
    for g, w in zip(as_list(jitted), want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-7)


def test_table_covers_mxnet_methods_without_duplicates():
    assert len(set(FLUENT_METHODS)) == len(FLUENT_METHODS)
    assert not set(FLUENT_METHODS) & set(SPECIAL_METHODS)
    for name in [*FLUENT_METHODS, *SPECIAL_METHODS, "reshape", "transpose"]:
        assert callable(getattr(nd.NDArray, name)), name
    assert nd.NDArray.sum.__qualname__ == "NDArray.sum"
    assert "mx.nd.sum" in nd.NDArray.sum.__doc__


def test_every_fluent_method_is_its_mx_nd_function_with_the_array_first():
    x = nd.array([[1.0, -2.0], [3.0, 0.5]])
    for name in FLUENT_METHODS:
        assert getattr(nd, name).__name__ == name  # (a method exists only over a function)
    for name in ("sum", "abs", "exp", "relu", "argmax"):
        np.testing.assert_array_equal(getattr(x, name)().asnumpy(),
                                      getattr(nd, name)(x).asnumpy())


# ---- argument forms against NumPy --------------------------------------------------------


@st.composite
def arrays(draw: st.DrawFn, min_ndim: int = 1) -> tuple[mx.nd.NDArray, np.ndarray]:
    """(NDArray, NumPy copy) of a pooled shape; the NDArray may be a transposed or strided
    view (non-contiguous)."""
    shape = draw(st.sampled_from([s for s in SHAPES if len(s) >= min_ndim]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    layout = draw(st.sampled_from(["c", "transposed", "strided"]))
    if layout == "transposed" and len(shape) >= 2:
        base = rng.normal(size=shape[::-1])
        return nd.array(base, dtype="float64").T, base.T
    if layout == "strided":
        base = rng.normal(size=(2 * shape[0],) + shape[1:])
        return nd.array(base, dtype="float64")[::2], base[::2]
    base = rng.normal(size=shape)
    return nd.array(base, dtype="float64"), base


def close(got: mx.nd.NDArray, want: np.ndarray) -> None:
    want = np.asarray(want)
    want = want.reshape(1) if want.ndim == 0 else want  # MXNet's global reductions: (1,)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-12, atol=1e-12)


@SOME
@given(arrays(), st.data())
def test_reduction_methods_match_numpy(xs, data):
    x, ref = xs
    axis = data.draw(st.one_of(st.none(), st.integers(-ref.ndim, ref.ndim - 1)))
    keep = data.draw(st.booleans())
    close(x.sum(axis=axis, keepdims=keep), ref.sum(axis=axis, keepdims=keep))
    close(x.sum(axis), ref.sum(axis=axis))  # positional axis, as MXNet forwards *args
    close(x.prod(axis=axis, keepdims=keep), ref.prod(axis=axis, keepdims=keep))
    if ref.size:
        close(x.mean(axis=axis, keepdims=keep), ref.mean(axis=axis, keepdims=keep))
        close(x.max(axis=axis, keepdims=keep), ref.max(axis=axis, keepdims=keep))
        close(x.min(axis=axis), ref.min(axis=axis))


@SOME
@given(arrays(), st.data())
def test_reshape_and_transpose_forms_match_numpy(xs, data):
    x, ref = xs
    flat = (ref.size,)
    close(x.reshape(ref.size), ref.reshape(flat))
    close(x.reshape(flat), ref.reshape(flat))
    close(x.reshape([ref.size]), ref.reshape(flat))
    close(x.reshape(shape=flat), ref.reshape(flat))
    close(x.reshape(-1), ref.reshape(-1))
    perm = tuple(data.draw(st.permutations(range(ref.ndim))))
    close(x.transpose(*perm), ref.transpose(perm))
    close(x.transpose(perm), ref.transpose(perm))
    close(x.transpose(axes=perm), ref.transpose(perm))
    close(x.transpose(), ref.T)


def test_methods_trace_under_jit_and_differentiate():
    x = nd.array(unit(2, 3), dtype="float64")
    f = mx.jit(lambda v: v.reshape(3, 2).transpose().exp().sum(axis=0))
    close(f(x), np.exp(unit(2, 3).reshape(3, 2).T).sum(axis=0))
    g = mx.grad(lambda v: (v.square().sum() + v.mean()))(x)
    close(g, 2 * unit(2, 3) + 1 / 6)


# ---- inplace views -----------------------------------------------------------------------


def test_inplace_forms_are_views_and_others_match_the_functions():
    x = nd.array(np.arange(6.0).reshape(2, 3))
    for view in (x.flatten(inplace=True), x.expand_dims(1, inplace=True),
                 x.reshape(1, 2, 3).squeeze(inplace=True)):
        view[:] = view + 1
    assert x.asnumpy().tolist() == [[3, 4, 5], [6, 7, 8]]
    assert x.flatten(inplace=True).shape == (2, 3)
    assert x.reshape(2, 1, 3).flatten().shape == (2, 3)
    assert x.expand_dims(-1).shape == (2, 3, 1)
    assert x.expand_dims(-3, inplace=True).shape == (1, 2, 3)
    assert nd.ones((1, 3, 1)).squeeze(axis=2).shape == (1, 3)
    assert nd.ones((1, 1)).squeeze(inplace=True).shape == (1,)  # MXNet keeps one dim
    assert x.as_nd_ndarray() is x


# ---- errors ------------------------------------------------------------------------------


def test_method_argument_errors():
    x = nd.ones((2, 3))
    with pytest.raises(TypeError, match="unknown keyword arguments \\['order'\\]"):
        x.reshape(3, 2, order="F")
    with pytest.raises(TypeError, match="positionally or as axes="):
        x.transpose(1, 0, axes=(1, 0))
    with pytest.raises(TypeError, match="positionally or as axes="):
        x.transpose(perm=(1, 0))
    with pytest.raises(ShapeError, match="out of range"):
        x.expand_dims(3, inplace=True)
    with pytest.raises(ShapeError, match="its size is not 1"):
        x.squeeze(axis=0, inplace=True)
    with pytest.raises(ShapeError, match="out of range"):
        x.sum(axis=2)
    with pytest.raises(ShapeError, match="differs from the source size"):
        x.reshape(4, 2)
    with pytest.raises(ParamError, match="the argument 'a_min' is required"):
        x.clip()
