"""mx.nd.contrib.hawkesll and backward_hawkesll against MXNet's event-by-event recursion
written out in NumPy (float64), eagerly and under `mx.jit`, with gradient checks."""
from __future__ import annotations

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import ArgumentError, DTypeError, ShapeError
from tests.helpers import check_grads

C = mx.nd.contrib
RNG = np.random.default_rng(0)


def hawkes_ref(lda, alpha, beta, state, lags, marks, valid_length, max_time):  # type: ignore[no-untyped-def]
    """MXNet's hawkesll_forward and hawkesll_forward_compensator, loop for loop (marks
    clipped into range)."""
    n, t_len = lags.shape
    k = lda.shape[1]
    ll, out_state = np.zeros(n), np.zeros((n, k))
    for i in range(n):
        last, t, s = np.zeros(k), 0.0, state[i].astype(np.float64).copy()
        for j in range(t_len):
            if not j < valid_length[i]:
                break
            c = min(max(int(marks[i, j]), 0), k - 1)
            t += lags[i, j]
            d = t - last[c]
            ed = np.exp(-beta[c] * d)
            intensity = lda[i, c] + alpha[c] * beta[c] * s[c] * ed
            ll[i] += np.log(intensity) - (lda[i, c] * d + alpha[c] * s[c] * (1 - ed))
            s[c] = 1 + s[c] * ed
            last[c] = t
        d = max_time[i] - last
        ed = np.exp(-beta * d)
        ll[i] -= np.sum(lda[i] * d + alpha * s * (1 - ed))
        out_state[i] = ed * s
    return ll, out_state


def sample(n: int = 3, t: int = 5, k: int = 2) -> dict[str, np.ndarray]:
    return {"lda": RNG.uniform(0.5, 2.0, (n, k)), "alpha": RNG.uniform(0.1, 0.6, k),
            "beta": RNG.uniform(0.5, 3.0, k), "state": RNG.uniform(0.0, 1.0, (n, k)),
            "lags": RNG.uniform(0.05, 1.0, (n, t)), "marks": RNG.integers(0, k, (n, t)),
            "valid_length": RNG.integers(0, t + 1, n).astype(np.float64),
            "max_time": np.full(n, t * 1.0 + 1)}


def arrays(inputs: dict[str, np.ndarray], dtype: str = "float64") -> list[mx.nd.NDArray]:
    return [mx.nd.array(v, dtype="int32" if name == "marks" else dtype)
            for name, v in inputs.items()]


@pytest.mark.parametrize("n, t, k, dtype, tol", [
    (4, 6, 3, "float64", 1e-10), (4, 6, 3, "float32", 2e-5), (2, 1, 1, "float64", 1e-10),
    (0, 3, 2, "float64", 1e-10), (2, 0, 2, "float64", 1e-10)])
def test_matches_the_recursion(n: int, t: int, k: int, dtype: str, tol: float) -> None:
    inputs = sample(n, t, k)
    if n > 1:
        inputs["valid_length"][:2] = [0, t]  # an empty and a full sequence
    ll, state = C.hawkesll(*arrays(inputs, dtype))
    ref_ll, ref_state = hawkes_ref(*inputs.values())
    assert ll.shape == (n,) and state.shape == (n, k) and ll.dtype == np.dtype(dtype)
    np.testing.assert_allclose(ll.asnumpy(), ref_ll, rtol=tol, atol=tol)
    np.testing.assert_allclose(state.asnumpy(), ref_state, rtol=tol, atol=tol)
    jll, jstate = mx.jit(lambda *a: C.hawkesll(*a))(*arrays(inputs, dtype))
    np.testing.assert_allclose(jll.asnumpy(), ref_ll, rtol=tol, atol=tol)
    np.testing.assert_allclose(jstate.asnumpy(), ref_state, rtol=tol, atol=tol)


def mxnet_example() -> list[mx.nd.NDArray]:
    """The example of MXNet's documentation, with some marks and states changed."""
    return [mx.nd.array(np.tile([1.5, 2.0, 3.0], (4, 1))), mx.nd.array([0.2, 0.3, 0.4]),
            mx.nd.array([1.0, 2.0, 3.0]), mx.nd.array(np.arange(12).reshape(4, 3) * 0.1),
            mx.nd.array([[6, 7, 8, 9], [1, 2, 3, 4], [3, 4, 5, 6], [8, 9, 10, 11]]) * 0.1,
            mx.nd.array([[0, 1, 2, 0], [1, 1, 1, 2], [2, 0, 0, 1], [0, 0, 0, 0]],
                        dtype="int32"),
            mx.nd.array([1, 2, 3, 4]), mx.nd.ones((4,)) * 5.0]


def test_values_and_gradients_copied_from_mxnet() -> None:
    # printed by MXNet 1.9.1 for mxnet_example(), the gradients of sum(ll * [1, 2, 3, 4])
    args = mxnet_example()
    ll, state = C.hawkesll(*args)
    np.testing.assert_allclose(ll.asnumpy(), [-32.402077, -31.762922, -31.77137, -32.238434],
                               rtol=1e-6)
    np.testing.assert_allclose(state.asnumpy()[:, 0], [0.0122773, 0.0020214, 0.0399821,
                                                       0.4593961], rtol=1e-5)
    for a in args[:3]:
        a.attach_grad()
    with mx.autograd.record():
        ll, _ = C.hawkesll(*args)
        loss = (ll * mx.nd.array([1, 2, 3, 4])).sum()
    loss.backward()
    np.testing.assert_allclose(args[0].grad.asnumpy()[:, 0], [-4.3333335, -10.0, -11.266408,
                                                              -10.023734], rtol=1e-5)
    np.testing.assert_allclose(args[1].grad.asnumpy(), [-19.850082, -8.998315, -10.136562],
                               rtol=1e-5)
    np.testing.assert_allclose(args[2].grad.asnumpy(), [-0.9025296, 0.1867207, 0.0115033],
                               rtol=1e-4)


def test_gradients_to_second_order() -> None:
    inputs = sample(2, 3, 2)
    inputs["valid_length"] = np.array([2.0, 3.0])
    fixed = {name: mx.nd.array(inputs[name], dtype="int32" if name == "marks" else "float64")
             for name in ("marks", "valid_length")}

    def ll(lda, alpha, beta, state, lags, max_time):  # type: ignore[no-untyped-def]
        out, end_state = C.hawkesll(lda, alpha, beta, state, lags, fixed["marks"],
                                    fixed["valid_length"], max_time)
        return out * 1.5 + end_state.sum(axis=1)

    params = [inputs[n] for n in ("lda", "alpha", "beta", "state", "lags", "max_time")]
    check_grads(ll, params, rtol=1e-5, atol=1e-6)


def test_backward_hawkesll_matches_autograd() -> None:
    args = mxnet_example()
    out_grad, state_grad = mx.nd.array([1, 2, 3, 4]), mx.nd.array(RNG.random((4, 3)))
    grads = C.backward_hawkesll(out_grad, state_grad, *args)
    assert [g.shape for g in grads] == [a.shape for a in args]
    assert grads[5].dtype == np.int32 and not grads[5].asnumpy().any()
    assert not grads[6].asnumpy().any()
    floats = [a for k, a in enumerate(args) if k != 5]
    for a in floats:
        a.attach_grad()
    with mx.autograd.record():
        ll, state = C.hawkesll(*args)
        loss = (ll * out_grad).sum() + (state * state_grad).sum()
    loss.backward()
    for g, a in zip([g for k, g in enumerate(grads) if k != 5], floats):
        np.testing.assert_allclose(g.asnumpy(), a.grad.asnumpy(), rtol=1e-5, atol=1e-6)
    jitted = mx.jit(lambda *xs: C.backward_hawkesll(*xs))(out_grad, state_grad, *args)
    for g, j in zip(grads, jitted):
        np.testing.assert_allclose(j.asnumpy(), g.asnumpy(), rtol=1e-5, atol=1e-6)


def test_marks_out_of_range_are_clipped_and_padding_is_ignored() -> None:
    inputs = sample(2, 4, 3)
    inputs["valid_length"] = np.array([2.0, 3.0])
    wild = {**inputs, "marks": inputs["marks"].copy(), "lags": inputs["lags"].copy()}
    wild["marks"][0, 0], wild["marks"][1, 1] = 7, -2
    wild["lags"][0, 2:], wild["marks"][0, 2:] = np.nan, 1000  # beyond valid_length
    ll, state = C.hawkesll(*arrays(wild))
    clipped = {**wild, "marks": np.clip(wild["marks"], 0, 2)}
    ref_ll, ref_state = hawkes_ref(*clipped.values())
    np.testing.assert_allclose(ll.asnumpy(), ref_ll, rtol=1e-10)
    np.testing.assert_allclose(state.asnumpy(), ref_state, rtol=1e-10)


def test_errors() -> None:
    args = mxnet_example()
    with pytest.raises(ArgumentError, match="lags must be an array"):
        C.hawkesll(*args[:4], np.ones((4, 4)), *args[5:])
    with pytest.raises(ShapeError, match=r"lda must be \(N, K\)"):
        C.hawkesll(mx.nd.ones((3,)), *args[1:])
    with pytest.raises(ShapeError, match=r"alpha must have shape \(3,\)"):
        C.hawkesll(args[0], mx.nd.ones((2,)), *args[2:])
    with pytest.raises(ShapeError, match=r"valid_length must have shape \(4,\)"):
        C.hawkesll(*args[:6], mx.nd.ones((5,)), args[7])
    with pytest.raises(ShapeError, match="at least one mark"):
        C.hawkesll(mx.nd.ones((4, 0)), mx.nd.ones((0,)), mx.nd.ones((0,)), mx.nd.ones((4, 0)),
                   *args[4:])
    with pytest.raises(DTypeError, match="lda must be floating-point"):
        C.hawkesll(args[0].astype("int32"), *args[1:])
    with pytest.raises(DTypeError, match="beta must have lda's dtype"):
        C.hawkesll(*args[:2], args[2].astype("float64"), *args[3:])
    with pytest.raises(DTypeError, match="marks must be integers"):
        C.hawkesll(*args[:5], args[5].astype("float32"), *args[6:])
    with pytest.raises(ShapeError, match=r"out_state_grad must be an array of shape \(4, 3\)"):
        C.backward_hawkesll(mx.nd.ones((4,)), mx.nd.ones((4,)), *args)
