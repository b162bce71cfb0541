"""The small math operators (ops/contrib_math.py) against NumPy references, eagerly and under
mx.jit, their gradients, MXNet's explicit backward operators against mx.grad, and the
errors."""
from __future__ import annotations

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import DTypeError, MXNetIndexError, ShapeError
from mxjit.core.operators import lookup
from tests.helpers import check_grads

nd = mx.nd
C = nd.contrib


def _f64(x: np.ndarray) -> mx.nd.NDArray:
    return nd.array(x, dtype="float64")


# ---- broadcast_hypot, _hypot, _hypot_scalar, true_divide, identity -----------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_broadcast_hypot_matches_numpy(dtype: str) -> None:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 1)) * 5, rng.standard_normal((4,)) * 5
    got = nd.broadcast_hypot(nd.array(a, dtype=dtype), nd.array(b, dtype=dtype))
    assert got.dtype == np.dtype(dtype) and got.shape == (3, 4)
    np.testing.assert_allclose(got.asnumpy(), np.hypot(a, b), rtol=1e-6)
    jitted = mx.jit(nd.broadcast_hypot)(nd.array(a, dtype=dtype), nd.array(b, dtype=dtype))
    np.testing.assert_allclose(jitted.asnumpy(), got.asnumpy(), rtol=1e-6)
    big = nd.broadcast_hypot(nd.array([3e30, 0.0, np.inf, -4.0]), nd.array([4e30, 0.0, 1.0, 3.0]))
    np.testing.assert_allclose(big.asnumpy(), [5e30, 0, np.inf, 5], rtol=1e-6)  # no overflow
    ints = nd.broadcast_hypot(nd.array([3, 5, 1], dtype="int32"), nd.array([4, 12, 1],
                                                                           dtype="int32"))
    assert ints.dtype == np.int32 and ints.asnumpy().tolist() == [5, 13, 1]  # (as MXNet)


def test_broadcast_hypot_gradients() -> None:
    rng = np.random.default_rng(1)
    check_grads(nd.broadcast_hypot, [rng.uniform(0.5, 2, (2, 3)), rng.uniform(-2, -0.5, (3,))],
                order=2)


EDGES = np.array([3, -5, 0, 1e30, np.inf, np.nan, -np.inf, 1e-30, np.nan, 1e-40])
OTHER = np.array([4, 12, 0, 1e30, np.nan, 1, 3, 1e-30, -np.inf, 1e-40])


def test_broadcast_hypot_edge_values_are_numpys() -> None:
    for dtype in ("float32", "float64"):
        a, b = nd.array(EDGES, dtype=dtype), nd.array(OTHER, dtype=dtype)
        want = np.hypot(EDGES.astype(dtype), OTHER.astype(dtype))  # (an infinite leg wins)
        np.testing.assert_allclose(nd.broadcast_hypot(a, b).asnumpy(), want, rtol=1e-6)
        np.testing.assert_allclose(mx.jit(nd.broadcast_hypot)(a, b).asnumpy(), want, rtol=1e-6)


HYPOT, HYPOT_SCALAR = lookup("_hypot").impl, lookup("_hypot_scalar").impl


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_internal_hypot_operators_match_numpy(dtype: str) -> None:
    a, b = nd.array(EDGES, dtype=dtype), nd.array(OTHER, dtype=dtype)
    want = np.hypot(EDGES.astype(dtype), OTHER.astype(dtype))
    for got in (HYPOT(a, b), mx.jit(HYPOT)(a, b)):
        assert got.dtype == np.dtype(dtype) and got.shape == want.shape
        np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-6)
    for scalar in (4, 2.5, 0, -3):
        want = np.hypot(EDGES.astype(dtype), np.asarray(scalar, dtype))
        for got in (HYPOT_SCALAR(a, scalar=scalar),
                    mx.jit(lambda x, s=scalar: HYPOT_SCALAR(x, scalar=s))(a)):
            np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-6)


def test_internal_hypot_operators_on_integers_truncate_as_mxnet() -> None:
    a = nd.array([3, 5, 2, -7], dtype="int32")
    got = HYPOT(a, nd.array([4, 12, 3, 1], dtype="int32"))
    assert got.dtype == np.int32 and got.asnumpy().tolist() == [5, 13, 3, 7]
    # (the scalar takes the array's dtype: 2.5 is 2, as MXNet 1.9.1 gives)
    assert HYPOT_SCALAR(a, scalar=2.5).asnumpy().tolist() == [3, 5, 2, 7]


def test_internal_hypot_gradients() -> None:
    rng = np.random.default_rng(2)
    check_grads(HYPOT, [rng.uniform(0.5, 2, (2, 3)), rng.uniform(-2, -0.5, (2, 3))], order=2)
    check_grads(lambda x: HYPOT_SCALAR(x, scalar=1.5), [rng.uniform(-2, 2, (4,))], order=2)


def test_internal_hypot_errors() -> None:
    with pytest.raises(ShapeError, match=r"_hypot: operand shapes \(3,\) and \(2,\) differ"):
        HYPOT(nd.ones((3,)), nd.ones((2,)))
    with pytest.raises(DTypeError, match="_hypot: operands of two dtypes, float32 and int32"):
        HYPOT(nd.ones((2,)), nd.ones((2,), dtype="int32"))
    with pytest.raises(DTypeError, match="out of range for the uint8 array"):
        HYPOT_SCALAR(nd.ones((2,), dtype="uint8"), scalar=300)


def test_true_divide_is_divide() -> None:
    a, b = nd.array([7, 8], dtype="int32"), nd.array([2, 3], dtype="int32")
    assert nd.true_divide(a, b).asnumpy().tolist() == [3, 2]  # (MXNet 1.x: like divide)
    np.testing.assert_allclose(nd.true_divide(3, nd.array([2.0, 4.0])).asnumpy(), [1.5, 0.75])
    np.testing.assert_allclose(nd.true_divide(nd.ones((2, 1)), nd.array([2.0, 4.0])).asnumpy(),
                               [[0.5, 0.25], [0.5, 0.25]])


def test_identity_copies() -> None:
    x = nd.array([1.0, 2.0])
    y = nd.identity(x)
    assert y is not x and y.asnumpy().tolist() == [1, 2]
    y[0] = 5
    assert x.asnumpy().tolist() == [1, 2]
    assert mx.jit(lambda v: nd.identity(v) * 2)(x).asnumpy().tolist() == [2, 4]
    assert mx.grad(lambda v: nd.identity(v).sum())(x).asnumpy().tolist() == [1, 1]


# ---- onehot_encode, fill_element_0index -------------------------------------------------------


def test_onehot_encode_writes_into_out() -> None:
    out = nd.zeros((4, 4))
    got = nd.onehot_encode(nd.array([0, 2, 3.9, -0.5]), out)
    assert got is out
    assert out.asnumpy().tolist() == [[1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 0]]
    nd.onehot_encode(nd.array([5, -1, np.nan, 1]), out)  # (out of range: an empty row)
    assert out.asnumpy().tolist() == [[0] * 4, [0] * 4, [0] * 4, [0, 1, 0, 0]]
    with pytest.raises(ShapeError, match=r"onehot_encode: needs 1-D indices \(n,\) and a 2-D"):
        nd.onehot_encode(nd.array([0, 1]), nd.zeros((3, 4)))


def _fill_ref(lhs: np.ndarray, mhs: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    out = lhs.copy()
    for i, (v, j) in enumerate(zip(mhs, np.trunc(rhs))):
        if 0 <= j < lhs.shape[1]:
            out[i, int(j)] = v
    return out


def test_fill_element_0index() -> None:
    lhs = np.arange(12, dtype=np.float32).reshape(3, 4)
    mhs = np.array([10, 20, 30], np.float32)
    for rhs in ([0, 3, 1], [0, 5, -1], [0.6, 2.9, 1.2]):
        r = np.array(rhs, np.float32)
        got = nd.fill_element_0index(nd.array(lhs), nd.array(mhs), nd.array(r))
        np.testing.assert_array_equal(got.asnumpy(), _fill_ref(lhs, mhs, r))
    jitted = mx.jit(nd.fill_element_0index)(nd.array(lhs), nd.array(mhs), nd.array([1, 1, 1]))
    np.testing.assert_array_equal(jitted.asnumpy(), _fill_ref(lhs, mhs, np.ones(3)))
    rhs = nd.array([2.0, 0.0, 3.0], dtype="float64")
    check_grads(lambda a, v: nd.fill_element_0index(a, v, rhs) ** 2,
                [lhs.astype(np.float64), mhs.astype(np.float64)], order=2)


# ---- cumsum -----------------------------------------------------------------------------------


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_cumsum_matches_numpy(axis: int | None) -> None:
    x = np.random.default_rng(2).standard_normal((3, 5))
    got = nd.cumsum(_f64(x), axis=axis)
    np.testing.assert_allclose(got.asnumpy(), np.cumsum(x, axis=axis), rtol=1e-12)
    jitted = mx.jit(lambda v: nd.cumsum(v, axis=axis))(_f64(x))
    np.testing.assert_allclose(jitted.asnumpy(), got.asnumpy(), rtol=1e-12)


def test_cumsum_dtypes_long_axes_and_edges() -> None:
    assert nd.cumsum(nd.array([100, 100, 100], dtype="int8")).asnumpy().tolist() == \
        [100, -56, 44]  # (wraps, in int8, as MXNet)
    flags = nd.cumsum(nd.array([1, 0, 1], dtype="bool"))
    assert flags.dtype == np.int64 and flags.asnumpy().tolist() == [1, 1, 2]
    cut = nd.cumsum(nd.array([1.7, 2.6]), dtype="int32")  # (cast first, as MXNet)
    assert cut.dtype == np.int32 and cut.asnumpy().tolist() == [1, 3]
    assert nd.cumsum(nd.array([1, 2]), dtype="float16").dtype == np.float16
    ints = np.random.default_rng(3).integers(-9, 9, 70000)  # (blocks of blocks of blocks)
    np.testing.assert_array_equal(nd.cumsum(nd.array(ints, dtype="int64")).asnumpy(),
                                  np.cumsum(ints))
    x = np.random.default_rng(4).standard_normal((2, 700))
    np.testing.assert_allclose(nd.cumsum(_f64(x), axis=1).asnumpy(), np.cumsum(x, 1),
                               rtol=1e-10, atol=1e-10)
    assert nd.cumsum(nd.zeros((0, 3)), axis=1).shape == (0, 3)
    assert nd.cumsum(nd.zeros((2, 0))).shape == (0,)
    np.testing.assert_array_equal(nd.cumsum(nd.array([1.0, np.nan, 2.0])).asnumpy(),
                                  [1, np.nan, np.nan])
    with pytest.raises(ShapeError, match="cumsum: axis 2 is out of range"):
        nd.cumsum(nd.ones((2, 2)), axis=2)


def test_cumsum_gradients() -> None:
    check_grads(lambda v: nd.cumsum(v, axis=1) ** 2,
                [np.random.default_rng(5).standard_normal((2, 4))], order=2)
    x = nd.array([[1.0, 2, 3], [4, 5, 6]])
    x.attach_grad()
    with mx.autograd.record():
        y = nd.cumsum(x, axis=1)
    y.backward(nd.array([[1.0, 2, 3], [4, 5, 6]]))
    assert x.grad.asnumpy().tolist() == [[6, 5, 3], [15, 11, 6]]  # (MXNet's values)


# ---- allclose, quadratic, div_sqrt_dim, index_array ------------------------------------------


@pytest.mark.parametrize("a, b, kwargs, expect", [
    ([1e10, 1e-7], [1.00001e10, 1e-8], {}, 0),  # (MXNet's documented examples: in float32
    ([1e10, 1e-8], [1.00001e10, 1e-9], {}, 0),  # 1.00001e10 is 1.0000100352e10, so 0 too)
    ([1.0], [1.1], dict(rtol=0.095, atol=0.0), 1),  # (b is the reference: |a-b| <= .1045)
    ([1.1], [1.0], dict(rtol=0.095, atol=0.0), 0),
    ([np.nan, 1.0], [np.nan, 1.0], {}, 1),
    ([np.nan, 1.0], [np.nan, 1.0], dict(equal_nan=False), 0),
    ([np.inf, 1.0], [np.inf, 1.0], {}, 1),
    ([np.inf, 1.0], [-np.inf, 1.0], {}, 0),  # (MXNet 1.9.1 says 1 here; NumPy says False)
    ([np.inf], [1.0], {}, 0),
    ([], [], {}, 1),
])
def test_allclose(a, b, kwargs, expect) -> None:  # type: ignore[no-untyped-def]
    got = C.allclose(nd.array(a), nd.array(b), **kwargs)
    assert got.dtype == np.uint8 and got.shape == () and int(got.asnumpy()) == expect
    assert int(mx.jit(lambda x, y: C.allclose(x, y, **kwargs))(nd.array(a), nd.array(b))
               .asnumpy()) == expect


def test_allclose_integers_float64_and_errors() -> None:
    assert int(C.allclose(_f64(np.array([1e10, 1e-8])), _f64(np.array([1.00001e10, 1e-9])))
               .asnumpy()) == 1
    assert int(C.allclose(nd.array([1, 2], dtype="int32"), nd.array([1, 3], dtype="int32"))
               .asnumpy()) == 0
    with pytest.raises(ShapeError, match=r"allclose: the arrays must have one shape, got \(2,\)"):
        C.allclose(nd.ones(2), nd.ones(1))


def test_quadratic() -> None:
    x = np.random.default_rng(6).standard_normal((2, 3))
    got = C.quadratic(_f64(x), a=1.5, b=-2.0, c=0.5)
    np.testing.assert_allclose(got.asnumpy(), 1.5 * x ** 2 - 2 * x + 0.5, rtol=1e-12)
    assert C.quadratic(nd.ones(2)).asnumpy().tolist() == [0, 0]  # (all coefficients 0)
    ints = C.quadratic(nd.array([1, 2], dtype="int32"), a=1.5, b=2, c=3)
    assert ints.dtype == np.int32 and ints.asnumpy().tolist() == [6, 13]  # (as MXNet)
    half = C.quadratic(nd.array([1, 2], dtype="float16"), a=1.5, b=2, c=3)
    assert half.asnumpy().tolist() == [6.5, 13]  # (MXNet 1.9.1 gives inf here)
    jitted = mx.jit(lambda v: C.quadratic(v, a=1.5, b=-2.0, c=0.5))(_f64(x))
    np.testing.assert_allclose(jitted.asnumpy(), got.asnumpy())
    check_grads(lambda v: C.quadratic(v, a=1.5, b=-2.0, c=0.5), [x], order=2)


def test_div_sqrt_dim() -> None:
    x = np.random.default_rng(7).standard_normal((2, 4))
    np.testing.assert_allclose(C.div_sqrt_dim(_f64(x)).asnumpy(), x / 2, rtol=1e-12)
    assert C.div_sqrt_dim(nd.array([4, 8], dtype="int32")).asnumpy().tolist() == [4, 8]
    assert C.div_sqrt_dim(nd.ones((2, 0))).shape == (2, 0)
    check_grads(C.div_sqrt_dim, [x], order=2)
    with pytest.raises(ShapeError, match="div_sqrt_dim: needs at least one axis"):
        C.div_sqrt_dim(nd.ones(()))


def _index_ref(shape: tuple[int, ...], axes: tuple[int, ...]) -> np.ndarray:
    grids = np.indices(shape)
    return np.stack([grids[a] for a in axes], axis=-1) if axes else \
        np.zeros(shape + (0,), np.int64)


@pytest.mark.parametrize("axes", [None, (1, 0), (-1,), (0, 0), ()])
def test_index_array(axes: tuple[int, ...] | None) -> None:
    data = nd.ones((3, 2, 2))
    got = C.index_array(data, axes=axes)
    chosen = tuple(range(3)) if axes is None else tuple(a % 3 for a in axes)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got.asnumpy(), _index_ref((3, 2, 2), chosen))
    np.testing.assert_array_equal(mx.jit(lambda v: C.index_array(v, axes=axes))(data).asnumpy(),
                                  got.asnumpy())
    with pytest.raises(ShapeError, match="index_array: axis 3 is out of range"):
        C.index_array(data, axes=(3,))


# ---- straight-through estimators, gradientmultiplier -------------------------------------------


def test_straight_through_estimators() -> None:
    values = np.array([-1.5, 1.5, -1.9, 1.9, 2.7, 0.5, -0.5, 2.5, 0.3, 123456.7, np.inf,
                       np.nan], np.float32)
    x = nd.array(values)
    rounded = np.where(np.abs(values) < np.inf, np.sign(values) * np.floor(np.abs(values) + 0.5),
                       values)
    np.testing.assert_array_equal(C.round_ste(x).asnumpy(), rounded)  # exactly
    np.testing.assert_array_equal(C.sign_ste(x[:-1]).asnumpy(), np.sign(values[:-1]))
    for ste in (C.round_ste, C.sign_ste):
        g = mx.grad(lambda v, f=ste: (f(v) * nd.array([1.0, 2.0, 3.0])).sum())(
            nd.array([-1.7, 0.2, 3.0]))
        assert g.asnumpy().tolist() == [1, 2, 3]  # (passes through unchanged)
        y = nd.array([0.4, -2.6])
        y.attach_grad()
        with mx.autograd.record():
            z = ste(y)
        z.backward()
        assert y.grad.asnumpy().tolist() == [1, 1]
        jitted = mx.jit(mx.grad(lambda v, f=ste: f(v).sum()))(nd.array([0.4, -2.6]))
        assert jitted.asnumpy().tolist() == [1, 1]
    assert C.round_ste(nd.array([-2, 0, 3], dtype="int32")).asnumpy().tolist() == [-2, 0, 3]


def test_gradientmultiplier() -> None:
    values = np.array([1.0, -2.5, 3e38, 0.1], np.float32)
    x = nd.array(values)
    np.testing.assert_array_equal(C.gradientmultiplier(x, scalar=-3.0).asnumpy(), values)
    g = mx.grad(lambda v: (C.gradientmultiplier(v, scalar=2.5) * nd.array([1.0, 3.0])).sum())(
        nd.array([1.0, 2.0]))
    assert g.asnumpy().tolist() == [2.5, 7.5]  # (MXNet's values)
    y = nd.array([1.0, 2.0])
    y.attach_grad()
    with mx.autograd.record():
        z = C.gradientmultiplier(y, scalar=-1.0)
    z.backward()
    assert y.grad.asnumpy().tolist() == [-1, -1]


# ---- MXNet's explicit backward operators -----------------------------------------------------


def test_backward_quadratic_is_the_vjp() -> None:
    x, g = np.array([1.0, 3.0, -2.0]), np.array([1.0, 2.0, 0.5])
    got = C.backward_quadratic(_f64(g), _f64(x), a=1, b=2, c=3)
    np.testing.assert_allclose(got.asnumpy(), g * (2 * x + 2))
    want = mx.grad(lambda v: (C.quadratic(v, a=1, b=2, c=3) * _f64(g)).sum())(_f64(x))
    np.testing.assert_allclose(got.asnumpy(), want.asnumpy())
    traced = mx.jit(lambda u, v: C.backward_quadratic(u, v, a=1, b=2))(_f64(g), _f64(x))
    np.testing.assert_allclose(traced.asnumpy(), got.asnumpy())
    with pytest.raises(DTypeError, match="backward_quadratic: gradients are floating-point"):
        C.backward_quadratic(nd.ones(2, dtype="int32"), nd.ones(2, dtype="int32"))


def test_backward_gradientmultiplier() -> None:
    assert C.backward_gradientmultiplier(nd.array([1.0, 2.0]), scalar=2.5).asnumpy().tolist() \
        == [2.5, 5]
    ints = C.backward_gradientmultiplier(nd.array([1, 2], dtype="int32"), scalar=2.5)
    assert ints.dtype == np.int32 and ints.asnumpy().tolist() == [2, 4]  # (as MXNet)
    wide = C.backward_gradientmultiplier(nd.array([1, 2], dtype="int32"), scalar=2.5,
                                         is_int=False)
    assert wide.dtype == np.float64 and wide.asnumpy().tolist() == [2.5, 5]  # (as MXNet)


def test_backward_index_copy_is_the_vjp() -> None:
    ograd = np.arange(15, dtype=np.float32).reshape(5, 3)
    old, new = np.zeros((5, 3), np.float32), np.ones((3, 3), np.float32)
    g_old, g_idx, g_new = C.backward_index_copy(nd.array(ograd), nd.array(old),
                                                nd.array([0, 4, 2]), nd.array(new))
    np.testing.assert_array_equal(g_old.asnumpy(), ograd * np.array([[0], [1], [0], [1], [0]]))
    np.testing.assert_array_equal(g_new.asnumpy(), ograd[[0, 4, 2]])
    assert g_idx.shape == (3,) and not g_idx.asnumpy().any()
    # a repeated index: the row index_copy keeps (the last) gets the gradient (MXNet 1.9.1
    # gives it to the first, which index_copy overwrote)
    _, _, g_new = C.backward_index_copy(nd.array(ograd), nd.array(old), nd.array([0, 4, 0]),
                                        nd.array(new))
    np.testing.assert_array_equal(g_new.asnumpy(), [[0, 0, 0], ograd[4], ograd[0]])
    want = mx.grad(lambda o, n: (C.index_copy(o, nd.array([0, 4, 0]), n) * nd.array(ograd))
                   .sum(), argnums=(0, 1))(nd.array(old), nd.array(new))
    np.testing.assert_array_equal(g_new.asnumpy(), want[1].asnumpy())
    with pytest.raises(ShapeError, match="backward_index_copy: ograd"):
        C.backward_index_copy(nd.ones((2, 3)), nd.array(old), nd.array([0]), nd.ones((1, 3)))
    with pytest.raises(MXNetIndexError, match=r"backward_index_copy: indices must be in \[0, 5\)"):
        C.backward_index_copy(nd.array(ograd), nd.array(old), nd.array([7]), nd.ones((1, 3)))


@pytest.mark.parametrize("call, error, match", [
    (lambda: nd.fill_element_0index(nd.ones((2, 3)), nd.ones(3), nd.ones(2)), ShapeError,
     r"fill_element_0index: needs a matrix \(n, m\)"),
    (lambda: nd.fill_element_0index(nd.ones((2, 3)), nd.ones(2, dtype="float64"), nd.ones(2)),
     DTypeError, "fill_element_0index: the values"),
    (lambda: nd.broadcast_hypot(nd.ones((2, 3)), nd.ones((3, 2))), ShapeError,
     "cannot be broadcast"),
])
def test_errors(call, error, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=match):
        call()
