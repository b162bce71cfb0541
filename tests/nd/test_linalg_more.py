"""mx.nd.linalg's extracttrian, maketrian, gelqf and syevd: against NumPy references and
MXNet's documented values, eagerly and under mx.jit, gradients against numerical differences
(gelqf and syevd on well-conditioned inputs) and the errors."""
from __future__ import annotations

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import ArgumentError, DTypeError, ShapeError
from tests.helpers import check_grads

la = mx.nd.linalg


def _trian_ref(a: np.ndarray, offset: int, lower: bool) -> np.ndarray:
    n = a.shape[-1]
    if offset < 0 or (offset == 0 and lower):
        return a[..., np.tril_indices(n, offset)[0], np.tril_indices(n, offset)[1]]
    rows, cols = np.tril_indices(n, -offset)  # (the upper triangle column by column)
    return np.swapaxes(a, -1, -2)[..., rows, cols]


def _make_ref(v: np.ndarray, offset: int, lower: bool) -> np.ndarray:
    m = int((np.sqrt(8 * v.shape[-1] + 1) - 1) // 2)
    n = m + abs(offset)
    out = np.zeros(v.shape[:-1] + (n, n), v.dtype)
    if offset < 0 or (offset == 0 and lower):
        rows, cols = np.tril_indices(n, offset)
        out[..., rows, cols] = v
    else:
        rows, cols = np.tril_indices(n, -offset)
        out[..., cols, rows] = v
    return out


@pytest.mark.parametrize("offset", [-2, -1, 0, 1, 2])
@pytest.mark.parametrize("lower", [True, False])
def test_extracttrian_and_maketrian_match_numpy(offset: int, lower: bool) -> None:
    a = np.arange(2 * 9, dtype=np.float64).reshape(2, 3, 3)
    got = la.extracttrian(mx.nd.array(a, dtype="float64"), offset=offset, lower=lower)
    np.testing.assert_array_equal(got.asnumpy(), _trian_ref(a, offset, lower))
    v = np.arange(1, 7, dtype=np.float32)
    made = la.maketrian(mx.nd.array(v), offset=offset, lower=lower)
    np.testing.assert_array_equal(made.asnumpy(), _make_ref(v, offset, lower))
    back = la.extracttrian(made, offset=offset, lower=lower)
    np.testing.assert_array_equal(back.asnumpy(), v)
    jitted = mx.jit(lambda x: la.maketrian(x, offset=offset, lower=lower))(mx.nd.array(v))
    np.testing.assert_array_equal(jitted.asnumpy(), made.asnumpy())


def test_mxnet_documented_triangles() -> None:
    a = mx.nd.array([[1.0, 2.0], [3.0, 4.0]])
    assert la.extracttrian(a).asnumpy().tolist() == [1, 3, 4]
    assert la.extracttrian(a, lower=False).asnumpy().tolist() == [1, 2, 4]
    assert la.extracttrian(a, 1).asnumpy().tolist() == [2]
    assert la.extracttrian(a, -1).asnumpy().tolist() == [3]
    v = mx.nd.array([1.0, 2.0, 3.0])
    assert la.maketrian(v).asnumpy().tolist() == [[1, 0], [2, 3]]
    assert la.maketrian(v, lower=False).asnumpy().tolist() == [[1, 2], [0, 3]]
    assert la.maketrian(v, offset=1).asnumpy().tolist() == [[0, 1, 2], [0, 0, 3], [0, 0, 0]]
    assert la.maketrian(mx.nd.array([[1.0, 2, 3], [4, 5, 6]])).shape == (2, 2, 2)
    assert la.maketrian(mx.nd.array([5.0])).asnumpy().tolist() == [[5]]
    assert mx.nd.linalg_extracttrian is not None and mx.nd.linalg_maketrian is not None


def test_triangle_gradients() -> None:
    a = np.random.default_rng(0).standard_normal((2, 3, 3))
    check_grads(lambda x: la.extracttrian(x, offset=-1) ** 2, [a], order=2)
    check_grads(lambda x: la.maketrian(x, offset=1, lower=False) ** 2,
                [np.random.default_rng(1).standard_normal((2, 6))], order=2)
    x = mx.nd.array(np.arange(9.0).reshape(3, 3))
    x.attach_grad()
    with mx.autograd.record():
        y = la.extracttrian(x, offset=1)
    y.backward(mx.nd.array([1.0, 2.0, 3.0]))
    assert x.grad.asnumpy().tolist() == [[0, 1, 2], [0, 0, 3], [0, 0, 0]]  # (as MXNet's)


# ---- gelqf ------------------------------------------------------------------------------------


def test_gelqf_factorises_with_lapacks_signs() -> None:
    a = mx.nd.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    q, lo = la.gelqf(a)
    # MXNet 1.9.1's documented result
    np.testing.assert_allclose(q.asnumpy(), [[-0.26726124, -0.53452248, -0.80178373],
                                             [0.87287156, 0.21821789, -0.43643578]], rtol=1e-5)
    np.testing.assert_allclose(lo.asnumpy(), [[-3.74165739, 0.0], [-8.55235974, 1.96396101]],
                               rtol=1e-5)
    batch = np.random.default_rng(2).standard_normal((3, 2, 4))
    q, lo = la.gelqf(mx.nd.array(batch, dtype="float64"))
    qn, ln = q.asnumpy(), lo.asnumpy()
    np.testing.assert_allclose(ln @ qn, batch, atol=1e-12)
    np.testing.assert_allclose(qn @ np.swapaxes(qn, -1, -2), np.broadcast_to(np.eye(2),
                                                                              (3, 2, 2)),
                               atol=1e-12)
    assert np.all(np.triu(ln, 1) == 0)
    qj, lj = mx.jit(la.gelqf)(mx.nd.array(batch, dtype="float64"))
    np.testing.assert_allclose(qj.asnumpy(), qn)
    np.testing.assert_allclose(lj.asnumpy(), ln)


def test_gelqf_gradients() -> None:
    rng = np.random.default_rng(3)
    wq, wl = rng.standard_normal((2, 3)), rng.standard_normal((2, 2))

    def loss(x):  # type: ignore[no-untyped-def]
        q, lo = la.gelqf(x)
        return (q * mx.nd.array(wq, dtype="float64")).sum() + \
            (lo * mx.nd.array(wl, dtype="float64")).sum()

    a = rng.standard_normal((2, 3)) + np.array([[3.0, 0, 0], [0, 3.0, 0]])
    check_grads(loss, [a], order=2, rtol=1e-4, atol=1e-6)
    # the gradient real MXNet 1.9.1 gives (its backward formula) for this loss and input
    x = mx.nd.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    x.attach_grad()
    with mx.autograd.record():
        q, lo = la.gelqf(x)
        z = (q * mx.nd.array([[1, 2, 3], [4, 5, 6]])).sum() + \
            (lo * mx.nd.array([[1, 2], [3, 4]])).sum()
    z.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [[-11.617422, -3.372063, 4.873296],
                                                  [2.6897032, -0.7306955, -4.151094]],
                               rtol=1e-4)


# ---- syevd -------------------------------------------------------------------------------------


def test_syevd_eigendecomposes_reading_the_lower_triangle() -> None:
    u, lam = la.syevd(mx.nd.array([[[1.0, 2.0], [2.0, 4.0]], [[1.0, 2.0], [2.0, 5.0]]]))
    # MXNet 1.9.1's documented result
    np.testing.assert_allclose(u.asnumpy(), [[[0.89442719, -0.4472136], [0.4472136, 0.89442719]],
                                             [[0.92387953, -0.38268343],
                                              [0.38268343, 0.92387953]]], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(lam.asnumpy(), [[0.0, 5.0], [0.17157288, 5.82842712]],
                               rtol=1e-5, atol=1e-6)
    rng = np.random.default_rng(4)
    s = rng.standard_normal((3, 4, 4))
    s = s + np.swapaxes(s, -1, -2)
    upper_noise = np.triu(rng.standard_normal((4, 4)), 1)  # (only the lower triangle is read)
    u, lam = la.syevd(mx.nd.array(s + upper_noise, dtype="float64"))
    un, ln = u.asnumpy(), lam.asnumpy()
    np.testing.assert_allclose(un @ s, ln[..., None] * un, atol=1e-10)
    np.testing.assert_allclose(un @ np.swapaxes(un, -1, -2), np.broadcast_to(np.eye(4), s.shape),
                               atol=1e-12)
    assert np.all(np.diff(ln, axis=-1) > 0)
    biggest = np.take_along_axis(un, np.abs(un).argmax(-1)[..., None], -1)
    assert np.all(biggest > 0)  # (each eigenvector's largest entry is positive)
    uj, lj = mx.jit(la.syevd)(mx.nd.array(s, dtype="float64"))
    np.testing.assert_allclose(uj.asnumpy(), un, atol=1e-12)
    assert la.syevd(mx.nd.ones((2, 2))).__len__() == 2 and not hasattr(mx.nd, "linalg_syevd")


def test_syevd_gradients() -> None:
    rng = np.random.default_rng(5)
    wu, wl = rng.standard_normal((3, 3)), rng.standard_normal(3)

    def loss(x):  # type: ignore[no-untyped-def]
        u, lam = la.syevd((x + x.T) * 0.5)  # (a symmetric input: the gradient is symmetric)
        return (u * mx.nd.array(wu, dtype="float64")).sum() + \
            (lam * mx.nd.array(wl, dtype="float64")).sum()

    s = np.diag([1.0, 2.5, 4.0]) + 0.2 * rng.standard_normal((3, 3))
    check_grads(loss, [s], order=2, rtol=1e-4, atol=1e-6)
    # the gradient real MXNet 1.9.1 gives for this loss and input
    x = mx.nd.array([[4.0, 1, 0.3], [1, 3, 1], [0.3, 1, 2]])
    x.attach_grad()
    with mx.autograd.record():
        u, lam = la.syevd(x)
        z = (u * mx.nd.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]])).sum() + \
            (lam * mx.nd.array([1, 2, 3])).sum()
    z.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [[-0.11696595, 0.10207748, 1.5764513],
                                                  [0.10207772, 5.0785036, 1.7522743],
                                                  [1.5764513, 1.7522743, 1.0384634]], rtol=1e-4,
                               atol=1e-5)


@pytest.mark.parametrize("call, error, match", [
    (lambda: la.extracttrian(mx.nd.ones((2, 3))), ShapeError,
     "linalg.extracttrian: needs square matrices"),
    (lambda: la.extracttrian(mx.nd.ones(3)), ShapeError, "linalg.extracttrian: needs matrices"),
    (lambda: la.extracttrian(mx.nd.ones((3, 3)), offset=3), ShapeError,
     r"offset must have \|offset\| < 3"),
    (lambda: la.maketrian(mx.nd.ones(3), offset=1.5), ArgumentError,
     "linalg.maketrian: offset must be an int, got float"),
    (lambda: la.extracttrian(mx.nd.ones((2, 2), dtype="int32")), DTypeError,
     "floating-point"),
    (lambda: la.maketrian(mx.nd.ones(4)), ShapeError,
     "linalg.maketrian: the last axis must hold m"),
    (lambda: la.maketrian(mx.nd.ones(())), ShapeError, "linalg.maketrian: needs at least"),
    (lambda: la.maketrian(mx.nd.ones(3, dtype="int32")), DTypeError, "linalg.maketrian"),
    (lambda: la.gelqf(mx.nd.ones((3, 2))), ShapeError, "linalg.gelqf: needs .* m <= n"),
    (lambda: la.gelqf(mx.nd.ones((2, 3), dtype="float16")), DTypeError,
     "linalg.gelqf: supports float32 and float64"),
    (lambda: la.syevd(mx.nd.ones((2, 3))), ShapeError, "linalg.syevd: needs square"),
    (lambda: la.syevd(mx.nd.ones((2, 2), dtype="float16")), DTypeError, "linalg.syevd"),
])
def test_errors(call, error, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=match):
        call()
