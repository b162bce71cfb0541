"""mx.nd.sparse optimizer updates with row_sparse gradients: MXNet's lazy_update semantics
(only the stored rows move, in the weight and the states), against NumPy references."""
from __future__ import annotations

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import ArgumentError, ParamError, ShapeError

S = mx.nd.sparse
W = np.arange(12, dtype=np.float64).reshape(4, 3) / 10 + 1
G = np.zeros((4, 3))
G[1], G[3] = [1, -2, 3], [0.5, 0.5, -0.5]
ROWS = [1, 3]


def grad() -> mx.nd.NDArray:
    return mx.nd.array(G, dtype="float64").tostype("row_sparse")


def arr(x: np.ndarray) -> mx.nd.NDArray:
    return mx.nd.array(x, dtype="float64")


def sgd_ref(w, g, lr, wd, rescale=1.0, clip=-1.0):  # type: ignore[no-untyped-def]
    g = g * rescale
    g = np.clip(g, -clip, clip) if clip >= 0 else g
    return w - lr * (g + wd * w)


def only_rows(new: np.ndarray, old: np.ndarray, lazy: bool) -> np.ndarray:
    """The lazy update: the gradient's rows from `new`, the rest from `old`."""
    if not lazy:
        return new
    out = old.copy()
    out[ROWS] = new[ROWS]
    return out


@pytest.mark.parametrize("lazy", [True, False])
def test_sgd_update(lazy: bool) -> None:
    w = arr(W)
    got = S.sgd_update(w, grad(), lr=0.1, wd=0.1, rescale_grad=2.0, clip_gradient=1.5,
                       lazy_update=lazy, out=w)
    assert got is w and w.stype == "default"
    want = only_rows(sgd_ref(W, G, 0.1, 0.1, 2.0, 1.5), W, lazy)
    np.testing.assert_allclose(w.asnumpy(), want, rtol=1e-12)
    fresh = S.sgd_update(arr(W), grad(), lr=0.1, wd=0.1, lazy_update=lazy)
    np.testing.assert_allclose(fresh.asnumpy(), only_rows(sgd_ref(W, G, 0.1, 0.1), W, lazy))


@pytest.mark.parametrize("lazy", [True, False])
def test_sgd_mom_update(lazy: bool) -> None:
    w, mom = arr(W), arr(np.ones((4, 3)))
    S.sgd_mom_update(w, grad(), mom, lr=0.1, momentum=0.9, wd=0.1, lazy_update=lazy, out=w)
    new_mom = 0.9 * np.ones((4, 3)) - 0.1 * (G + 0.1 * W)
    np.testing.assert_allclose(mom.asnumpy(), only_rows(new_mom, np.ones((4, 3)), lazy))
    np.testing.assert_allclose(w.asnumpy(), only_rows(W + new_mom, W, lazy))


@pytest.mark.parametrize("lazy", [True, False])
def test_adam_update(lazy: bool) -> None:
    w, mean, var = arr(W), arr(np.full((4, 3), 0.1)), arr(np.full((4, 3), 0.2))
    S.adam_update(w, grad(), mean, var, lr=0.1, wd=0.1, lazy_update=lazy, out=w)
    g = G + 0.1 * W
    m, v = 0.9 * 0.1 + 0.1 * g, 0.999 * 0.2 + 0.001 * g * g
    np.testing.assert_allclose(mean.asnumpy(), only_rows(m, np.full((4, 3), 0.1), lazy))
    np.testing.assert_allclose(var.asnumpy(), only_rows(v, np.full((4, 3), 0.2), lazy))
    np.testing.assert_allclose(w.asnumpy(), only_rows(W - 0.1 * m / (np.sqrt(v) + 1e-8), W,
                                                       lazy))


def test_ftrl_update_reads_the_gradient_densely() -> None:
    w, z, n = arr(W), arr(np.full((4, 3), 0.1)), arr(np.full((4, 3), 0.2))
    S.ftrl_update(w, grad(), z, n, lr=0.1, wd=0.1, out=w)
    new_n = 0.2 + G * G
    new_z = 0.1 + G - (np.sqrt(new_n) - np.sqrt(0.2)) * W / 0.1
    want = (np.sign(new_z) * 0.01 - new_z) / ((1.0 + np.sqrt(new_n)) / 0.1 + 0.1)
    np.testing.assert_allclose(z.asnumpy(), new_z)
    np.testing.assert_allclose(n.asnumpy(), new_n)
    np.testing.assert_allclose(w.asnumpy(), np.where(np.abs(new_z) > 0.01, want, 0))


@pytest.mark.parametrize("clip", [-1.0, 0.0, 0.5])
def test_adagrad_update(clip: float) -> None:
    w, history = arr(W), arr(np.full((4, 3), 0.1))
    S.adagrad_update(w, grad(), history, lr=0.1, rescale_grad=2.0, clip_gradient=clip, out=w)
    g = 2.0 * G if clip < 0 else np.clip(2.0 * G, -clip, clip)
    h = 0.1 + g * g
    np.testing.assert_allclose(history.asnumpy(), only_rows(h, np.full((4, 3), 0.1), True))
    np.testing.assert_allclose(w.asnumpy(), only_rows(W - 0.1 * g / np.sqrt(h + 1e-7), W, True))


def test_sparse_weights_and_states_keep_their_storage() -> None:
    w = arr(W).tostype("row_sparse")
    S.sgd_update(w, grad(), lr=0.1, out=w)
    assert w.stype == "row_sparse" and w.indices.asnumpy().tolist() == [0, 1, 2, 3]
    np.testing.assert_allclose(w.asnumpy(), only_rows(sgd_ref(W, G, 0.1, 0.0), W, True))
    mom = arr(np.ones((4, 3))).tostype("row_sparse")
    w2 = arr(W)
    S.sgd_mom_update(w2, grad(), mom, lr=0.1, momentum=0.9, out=w2)
    assert mom.stype == "row_sparse"
    new_mom = only_rows(0.9 - 0.1 * G, np.ones((4, 3)), True)
    np.testing.assert_allclose(mom.asnumpy(), new_mom)


def test_empty_and_dense_gradients() -> None:
    w = arr(W)
    S.sgd_update(w, S.zeros("row_sparse", (4, 3), dtype="float64"), lr=0.1, wd=0.5, out=w)
    np.testing.assert_allclose(w.asnumpy(), W)  # (no stored rows: nothing moves)
    dense = S.sgd_update(arr(W), arr(G), lr=0.1, wd=0.1)
    assert dense.stype == "default"
    np.testing.assert_allclose(dense.asnumpy(), sgd_ref(W, G, 0.1, 0.1))


@pytest.mark.parametrize("call, error, match", [
    (lambda: S.sgd_update(arr(W), S.zeros("row_sparse", (3, 3), dtype="float64"), lr=0.1),
     ShapeError, "weight's shape"),
    (lambda: S.adam_update(arr(W), grad(), np.zeros((4, 3)), arr(W), lr=0.1), ArgumentError,
     "must be an array"),
    (lambda: S.adagrad_update(arr(W), arr(G), arr(W), lr=0.1), ArgumentError,
     "RowSparseNDArray"),
    (lambda: S.adagrad_update(arr(W), grad(), arr(W).tostype("row_sparse"), lr=0.1),
     ArgumentError, "dense"),
    (lambda: S.adagrad_update(arr(W), grad(), arr(W), lr=0.1, wd=0.1), ParamError,
     "weight decay"),
])
def test_user_errors(call, error, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=match):
        call()
