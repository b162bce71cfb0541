"""mx.optimizer with sparse weights, states and gradients, against NumPy float64 references
of MXNet 1.9.1's update operators: a row_sparse gradient updates only its rows (weight and
states, decay and momentum included) where MXNet's sparse kernel is lazy (SGD and Adam
with lazy_update and states stored like the weight, AdaGrad, GroupAdaGrad, Ftrl with
everything row_sparse); elsewhere every row is updated with the gradient read densely,
and every array keeps its storage type."""
from __future__ import annotations

import numpy as np
import pytest

import mxjit as mx

nd = mx.nd
ROWS, COLS = 5, 3
GRAD_ROWS = [1, 3]


def start() -> tuple[np.ndarray, np.ndarray]:
    """A weight and the stored rows of a gradient (float64 for the references)."""
    rng = np.random.default_rng(7)
    return rng.uniform(-1, 1, (ROWS, COLS)), rng.uniform(-1, 1, (len(GRAD_ROWS), COLS))


def arrays(weight_stype: str, grad_stype: str = "row_sparse") -> tuple[nd.NDArray, nd.NDArray]:
    w, g = start()
    weight = nd.array(w.astype(np.float32))
    grad = nd.sparse.row_sparse_array((g.astype(np.float32), GRAD_ROWS), shape=(ROWS, COLS))
    if weight_stype != "default":
        weight = weight.tostype(weight_stype)
    if grad_stype != "row_sparse":
        grad = grad.tostype(grad_stype)
    return weight, grad


def dense_grad() -> np.ndarray:
    _, g = start()
    full = np.zeros((ROWS, COLS))
    full[GRAD_ROWS] = g
    return full


def states_of(state) -> list:
    return [s for s in (state if isinstance(state, tuple) else (state,)) if s is not None]


def sgd_reference(w: np.ndarray, g: np.ndarray, mom: np.ndarray, rows, lr: float,
                  momentum: float, wd: float) -> tuple[np.ndarray, np.ndarray]:
    """MXNet's sgd_mom_update on `rows`: mom = momentum * mom - lr * (wd * w + g), w += mom."""
    w, mom = w.copy(), mom.copy()
    mom[rows] = momentum * mom[rows] - lr * (wd * w[rows] + g[rows])
    w[rows] += mom[rows]
    return w, mom


@pytest.mark.parametrize("weight_stype", ["row_sparse", "default"])
def test_lazy_sgd_momentum_moves_only_the_gradients_rows(weight_stype):
    opt = mx.optimizer.SGD(learning_rate=0.1, momentum=0.9, wd=0.1)
    weight, grad = arrays(weight_stype)
    mom = opt.create_state(0, weight)
    assert mom.stype == weight_stype
    opt.update(0, weight, grad, mom)
    w0, _ = start()
    want_w, want_mom = sgd_reference(w0, dense_grad(), np.zeros_like(w0), GRAD_ROWS, 0.1, 0.9,
                                     0.1)
    assert weight.stype == weight_stype and mom.stype == weight_stype
    np.testing.assert_allclose(weight.asnumpy(), want_w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(mom.asnumpy(), want_mom, rtol=1e-5, atol=1e-6)
    untouched = [r for r in range(ROWS) if r not in GRAD_ROWS]
    np.testing.assert_array_equal(weight.asnumpy()[untouched], w0[untouched].astype(np.float32))
    # a second step on other rows leaves the first rows' weight and momentum alone
    other = nd.sparse.row_sparse_array((np.ones((1, COLS), np.float32), [0]), shape=(ROWS, COLS))
    opt.update(0, weight, other, mom)
    g2 = np.zeros((ROWS, COLS))
    g2[0] = 1
    want_w, want_mom = sgd_reference(want_w, g2, want_mom, [0], 0.1, 0.9, 0.1)
    np.testing.assert_allclose(weight.asnumpy(), want_w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(mom.asnumpy(), want_mom, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("weight_stype", ["row_sparse", "default"])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_standard_sgd_updates_every_row(weight_stype, momentum):
    opt = mx.optimizer.SGD(learning_rate=0.1, momentum=momentum, wd=0.1, lazy_update=False)
    weight, grad = arrays(weight_stype)
    state = opt.create_state(0, weight)
    opt.update(0, weight, grad, state)
    w0, _ = start()
    want_w, want_mom = sgd_reference(w0, dense_grad(), np.zeros_like(w0), slice(None), 0.1,
                                     momentum, 0.1)
    assert weight.stype == weight_stype
    np.testing.assert_allclose(weight.asnumpy(), want_w, rtol=1e-5, atol=1e-6)
    if momentum:
        assert state.stype == "default"  # (MXNet's standard update keeps a dense momentum)
        np.testing.assert_allclose(state.asnumpy(), want_mom, rtol=1e-5, atol=1e-6)


def adam_reference(w, g, rows, lr=0.1, wd=0.1, beta1=0.9, beta2=0.999, eps=1e-8):
    """One step of MXNet's Adam (t = 1) on `rows`: the decay enters the gradient."""
    w, mean, var = w.copy(), np.zeros_like(w), np.zeros_like(w)
    step_lr = lr * np.sqrt(1 - beta2) / (1 - beta1)
    gw = g[rows] + wd * w[rows]
    mean[rows] = (1 - beta1) * gw
    var[rows] = (1 - beta2) * gw * gw
    w[rows] -= step_lr * mean[rows] / (np.sqrt(var[rows]) + eps)
    return w, mean, var


@pytest.mark.parametrize("weight_stype", ["row_sparse", "default"])
@pytest.mark.parametrize("lazy", [True, False])
def test_adam_is_lazy_only_with_lazy_update(weight_stype, lazy):
    opt = mx.optimizer.Adam(learning_rate=0.1, wd=0.1, lazy_update=lazy)
    weight, grad = arrays(weight_stype)
    state = opt.create_state(0, weight)
    assert [s.stype for s in state] == [weight_stype if lazy else "default"] * 2
    opt.update(0, weight, grad, state)
    w0, _ = start()
    want = adam_reference(w0, dense_grad(), GRAD_ROWS if lazy else slice(None))
    assert weight.stype == weight_stype
    for got, expected in zip([weight, *state], want):
        np.testing.assert_allclose(got.asnumpy(), expected, rtol=1e-4, atol=1e-6)


def ftrl_reference(w, g, rows, lr=0.1, wd=0.1, lamda1=0.01, beta=1.0):
    w, z, n = w.copy(), np.zeros_like(w), np.zeros_like(w)
    gr = g[rows]
    z[rows] = gr - (np.sqrt(gr * gr) - 0) * w[rows] / lr
    n[rows] = gr * gr
    shrink = (np.sign(z[rows]) * lamda1 - z[rows]) / ((beta + np.sqrt(n[rows])) / lr + wd)
    w[rows] = shrink * (np.abs(z[rows]) > lamda1)
    return w, z, n


@pytest.mark.parametrize("weight_stype", ["row_sparse", "default"])
def test_ftrl_is_lazy_when_everything_is_row_sparse(weight_stype):
    opt = mx.optimizer.Ftrl(learning_rate=0.1, wd=0.1)
    weight, grad = arrays(weight_stype)
    state = opt.create_state(0, weight)
    opt.update(0, weight, grad, state)
    w0, _ = start()
    # (a dense weight: MXNet runs its dense kernel, where a zero gradient zeroes the row)
    want = ftrl_reference(w0, dense_grad(), GRAD_ROWS if weight_stype == "row_sparse"
                          else slice(None))
    for got, expected in zip([weight, *state], want):
        np.testing.assert_allclose(got.asnumpy(), expected, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("weight_stype", ["row_sparse", "default"])
@pytest.mark.parametrize("wd", [0.0, 0.1])
def test_adagrad_with_a_sparse_gradient_updates_its_rows(weight_stype, wd):
    opt = mx.optimizer.AdaGrad(learning_rate=0.1, wd=wd)
    weight, grad = arrays(weight_stype)
    history = opt.create_state(0, weight)
    opt.update(0, weight, grad, history)
    w0, _ = start()
    g = dense_grad()
    want_w, want_h = w0.copy(), np.zeros_like(w0)
    want_h[GRAD_ROWS] = g[GRAD_ROWS] ** 2
    div = g[GRAD_ROWS] / np.sqrt(want_h[GRAD_ROWS] + 1e-7)
    # (MXNet's sparse AdaGrad refuses wd != 0; here the decay applies to the rows updated)
    want_w[GRAD_ROWS] -= 0.1 * (div + wd * w0[GRAD_ROWS])
    np.testing.assert_allclose(weight.asnumpy(), want_w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(history.asnumpy(), want_h, rtol=1e-5, atol=1e-6)


def test_group_adagrad_updates_the_gradients_rows():
    opt = mx.optimizer.contrib.GroupAdaGrad(learning_rate=0.1)
    weight, grad = arrays("default")
    history = opt.create_state(0, weight)
    opt.update(0, weight, grad, history)
    w0, _ = start()
    g = dense_grad()
    want_h = np.zeros((ROWS, 1))
    want_h[GRAD_ROWS] = (g[GRAD_ROWS] ** 2).mean(axis=1, keepdims=True)
    want_w = w0.copy()
    want_w[GRAD_ROWS] -= 0.1 * g[GRAD_ROWS] / np.sqrt(want_h[GRAD_ROWS] + 1e-5)
    np.testing.assert_allclose(weight.asnumpy(), want_w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(history.asnumpy(), want_h, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, state_stype", [("rmsprop", "row_sparse"), ("nag", "default")])
def test_optimizers_without_a_sparse_kernel_update_every_row_of_a_sparse_weight(name,
                                                                                state_stype):
    weight, grad = arrays("row_sparse")
    dense_w, dense_g = arrays("default", "default")
    kwargs = {"learning_rate": 0.1, "wd": 0.1, **({"momentum": 0.9} if name == "nag" else {})}
    opt, ref = mx.optimizer.create(name, **kwargs), mx.optimizer.create(name, **kwargs)
    state, ref_state = opt.create_state(0, weight), ref.create_state(0, dense_w)
    assert [s.stype for s in states_of(state)] == [state_stype] * len(states_of(state))
    opt.update(0, weight, grad, state)
    # (the same numbers as for a dense weight; MXNet's NAG differs there: its storage
    # fallback decays the momentum with the old weight, its dense kernel with the new one)
    ref.update(0, dense_w, dense_g, ref_state)
    assert weight.stype == "row_sparse"
    np.testing.assert_allclose(weight.asnumpy(), dense_w.asnumpy(), rtol=1e-6)
    for got, want in zip(states_of(state), states_of(ref_state)):
        np.testing.assert_allclose(got.asnumpy(), want.asnumpy(), rtol=1e-6)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_a_csr_weight_is_updated_densely_and_stays_csr(momentum):
    w0, _ = start()
    w0[w0 < 0] = 0  # (a csr matrix with zeros in it)
    weight = nd.array(w0.astype(np.float32)).tostype("csr")
    g = dense_grad()
    grad = nd.array(g.astype(np.float32)).tostype("csr")
    opt = mx.optimizer.SGD(learning_rate=0.1, momentum=momentum, wd=0.1)
    mom = opt.create_state(0, weight)
    opt.update(0, weight, grad, mom)
    want_w, want_mom = sgd_reference(w0, g, np.zeros_like(w0), slice(None), 0.1, momentum, 0.1)
    assert weight.stype == "csr"
    np.testing.assert_allclose(weight.asnumpy(), want_w, rtol=1e-5, atol=1e-6)
    if momentum:
        assert mom.stype == "csr"
        np.testing.assert_allclose(mom.asnumpy(), want_mom, rtol=1e-5, atol=1e-6)


def test_float16_multi_precision_sgd_is_standard_and_writes_both_copies():
    weight, grad = arrays("row_sparse")
    weight = weight.astype(np.float16)
    grad = grad.astype(np.float16)
    opt = mx.optimizer.SGD(learning_rate=0.1, momentum=0.9, wd=0.1, multi_precision=True)
    state = opt.create_state_multi_precision(0, weight)
    opt.update_multi_precision(0, weight, grad, state)
    mom, master = state
    w0, _ = start()
    w16 = w0.astype(np.float16).astype(np.float64)
    g16 = dense_grad().astype(np.float16).astype(np.float64)
    # (MXNet's mp_sgd_mom_update has no sparse kernel: every row decays)
    want_w, _ = sgd_reference(w16, g16, np.zeros_like(w0), slice(None), 0.1, 0.9, 0.1)
    np.testing.assert_allclose(master.asnumpy(), want_w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(weight.asnumpy(), want_w.astype(np.float16), rtol=1e-3)
    assert weight.stype == "row_sparse" and weight.dtype == np.float16


def test_a_gradient_without_rows_changes_nothing_and_still_counts():
    opt = mx.optimizer.Adam(learning_rate=0.1, wd=0.1)
    weight, _ = arrays("row_sparse")
    empty = nd.sparse.zeros("row_sparse", (ROWS, COLS))
    state = opt.create_state(0, weight)
    before = weight.asnumpy()
    opt.update(0, weight, empty, state)
    np.testing.assert_array_equal(weight.asnumpy(), before)
    assert opt._index_update_count[0] == 1


def test_several_parameters_mixing_dense_and_sparse_update_in_one_call():
    opt = mx.optimizer.SGD(learning_rate=0.1, momentum=0.9, wd=0.1)
    sparse_w, sparse_g = arrays("row_sparse")
    dense_w, dense_g = arrays("default", "default")
    states = [opt.create_state(0, sparse_w), opt.create_state(1, dense_w)]
    opt.update([0, 1], [sparse_w, dense_w], [sparse_g, dense_g], states)
    w0, _ = start()
    lazy_w, _ = sgd_reference(w0, dense_grad(), np.zeros_like(w0), GRAD_ROWS, 0.1, 0.9, 0.1)
    full_w, _ = sgd_reference(w0, dense_grad(), np.zeros_like(w0), slice(None), 0.1, 0.9, 0.1)
    np.testing.assert_allclose(sparse_w.asnumpy(), lazy_w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dense_w.asnumpy(), full_w, rtol=1e-5, atol=1e-6)
