"""Test helpers: numerical gradient checks in the style of JAX's `check_grads`."""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from hypothesis import strategies as st

import mxjit as mx

Fun = Callable[..., mx.nd.NDArray]


def numerical_grad(f: Callable[..., float], args: Sequence[np.ndarray], k: int,
                   eps: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar f(*args) w.r.t. args[k] (float64)."""
    args = [np.asarray(a, dtype=np.float64) for a in args]
    grad = np.zeros_like(args[k])
    flat = grad.reshape(-1)
    for i in range(flat.size):
        plus = [a.copy() for a in args]
        minus = [a.copy() for a in args]
        plus[k].reshape(-1)[i] += eps
        minus[k].reshape(-1)[i] -= eps
        flat[i] = (f(*plus) - f(*minus)) / (2 * eps)
    return grad


def _summed_grad(fun: Fun, n: int) -> Callable[..., tuple]:
    """The gradient of sum(fun) w.r.t. all n arguments (one transform: one compile per shape)."""
    return mx.grad(lambda *ys: fun(*ys).sum(), argnums=tuple(range(n)))


def _total_gradient(grad_fun: Callable[..., tuple]) -> Fun:
    """x -> sum of every entry of grad_fun(x): a scalar again."""

    def total(*xs: mx.nd.NDArray) -> mx.nd.NDArray:
        grads = grad_fun(*xs)
        out = grads[0].sum()
        for g in grads[1:]:
            out = out + g.sum()
        return out

    return total


def check_grads(f: Fun, args: Sequence[np.ndarray], order: int = 2, rtol: float = 1e-5,
                atol: float = 1e-7, eps: float = 1e-6) -> None:
    """Check mx.grad of sum(f) against central differences in float64, to `order`.

    Order k differentiates the summed gradient of order k-1, so order 2 checks the
    Hessian applied to a vector of ones.
    """
    arrays = [np.asarray(a, dtype=np.float64) for a in args]
    fun = f
    for level in range(order):
        def scalar(*xs: np.ndarray, fun: Fun = fun) -> float:
            return float(fun(*[mx.nd.array(x, dtype="float64") for x in xs]).asnumpy().sum())

        grad_fun = _summed_grad(fun, len(arrays))
        analytic = grad_fun(*[mx.nd.array(a, dtype="float64") for a in arrays])
        for k in range(len(arrays)):
            numeric = numerical_grad(scalar, arrays, k, eps)
            np.testing.assert_allclose(analytic[k].asnumpy(), numeric, rtol=rtol, atol=atol,
                                       err_msg=f"order {level + 1}, argument {k}")
        fun = _total_gradient(grad_fun)


@st.composite
def nd_arrays(draw: st.DrawFn, shapes: list, dtypes: list, min_ndim: int = 0
              ) -> tuple[mx.nd.NDArray, np.ndarray]:
    """(NDArray, the same values in NumPy) of one of `shapes` and `dtypes` with values in
    [0, 100); the NDArray may be a transposed or strided view."""
    shape = draw(st.sampled_from([s for s in shapes if len(s) >= min_ndim]))
    dtype = draw(st.sampled_from(dtypes))
    layout = draw(st.sampled_from(["c", "transposed", "strided"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    if layout == "transposed" and len(shape) >= 2:
        base = rng.integers(0, 100, shape[::-1]).astype(dtype)
        return mx.nd.array(base, dtype=dtype).T, base.T
    if layout == "strided" and len(shape) >= 1:
        base = rng.integers(0, 100, (2 * shape[0],) + shape[1:]).astype(dtype)
        return mx.nd.array(base, dtype=dtype)[::2], base[::2]
    base = rng.integers(0, 100, shape).astype(dtype)
    return mx.nd.array(base, dtype=dtype), base


def assert_eager_and_jit(f: Fun, want: np.ndarray, *arrays: np.ndarray, dtype: str = "float64",
                         rtol: float = 1e-12, atol: float = 1e-12) -> None:
    """f over NDArrays of `arrays` (in `dtype`) equals `want`, eagerly and under mx.jit."""
    args = [mx.nd.array(a, dtype=dtype) for a in arrays]
    for got in (f(*args), mx.jit(f)(*args)):
        assert got.shape == want.shape and got.dtype == np.dtype(dtype)
        np.testing.assert_allclose(got.asnumpy(), want, rtol=rtol, atol=atol)
