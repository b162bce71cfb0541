"""MXNet 1.x's elementwise math in `mx.nd`: inverse and hyperbolic trigonometry, log2/log10,
cbrt/rcbrt, rint/fix, degrees/radians, erfinv, gamma/gammaln, softsign, hard_sigmoid and
logical_not.

The primitives among them are checked against NumPy in tests/lower/test_primitives.py (every
dtype and layout), their polynomials in tests/lower/test_llvm_math.py and their gradients in
tests/trace/test_grad.py. Here: the composites against float64 NumPy references (eagerly and
under mx.jit, float16/32/64, edge values, empty and size-1 arrays), MXNet's semantics (which
rounding, which dtype, which special values), errors, and eager autograd.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import mxjit as mx
from mxjit.base import DTypeError

nd = mx.nd
FEW = settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
FLOATS = ["float16", "float32", "float64"]
EDGES = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 100.0, -100.0, math.inf, -math.inf, math.nan]

#: name: (function, float64 reference, roundings in the result)
COMPOSITES: dict[str, tuple[Callable[..., Any], Callable[[np.ndarray], np.ndarray], int]] = {
    "degrees": (nd.degrees, lambda x: x * (180 / np.pi), 2),
    "radians": (nd.radians, lambda x: x * (np.pi / 180), 2),
    "rcbrt": (nd.rcbrt, lambda x: 1 / np.cbrt(x), 2),
    "softsign": (nd.softsign, lambda x: x / (1 + np.abs(x)), 2),
    "hard_sigmoid": (nd.hard_sigmoid, lambda x: np.clip(0.2 * x + 0.5, 0, 1), 3),
}


def assert_close_ulps(got: np.ndarray, want: np.ndarray, dtype: str, ulps: float) -> None:
    """Within `ulps` of the float64 reference (relative; NaN where NaN; a reference beyond
    the dtype's range may give inf or the largest finite value)."""
    assert got.dtype == np.dtype(dtype) and got.shape == want.shape
    g, w = got.astype(np.float64), np.asarray(want, np.float64)
    assert (np.isnan(g) == np.isnan(w)).all(), (got, want)
    info = np.finfo(dtype)
    eps, tiny, top = float(info.eps), float(info.smallest_subnormal), float(info.max)
    big = np.abs(w) > top
    finite = ~np.isnan(g) & ~big
    with np.errstate(invalid="ignore"):
        err = np.where(finite, np.abs(g - w), 0.0)
    np.testing.assert_array_less(err[finite], (ulps * eps * np.abs(w) + tiny)[finite]
                                 * 1.0000001 + 1e-300)
    assert ((np.sign(g) == np.sign(w)) & (np.abs(g) >= top))[big].all(), (got, want)


@pytest.mark.parametrize("name", sorted(COMPOSITES))
@FEW
@given(data=st.data())
def test_composites_match_numpy_eagerly_and_under_jit(name: str, data: Any) -> None:
    f, ref, ulps = COMPOSITES[name]
    dtype = data.draw(st.sampled_from(FLOATS), "dtype")
    shape = data.draw(st.sampled_from([(), (1,), (0,), (7,), (2, 3)]), "shape")
    width = np.dtype(dtype).itemsize * 8
    elems = st.one_of(st.sampled_from(EDGES), st.floats(-1e4, 1e4, width=width))
    x = data.draw(hnp.arrays(dtype, shape, elements=elems), "x")
    with np.errstate(all="ignore"):
        want = ref(x.astype(np.float64))
        if name == "softsign":  # (like MXNet, computed as x / (1 + |x|): NaN at +-inf)
            want = np.where(np.isinf(x), np.nan, want)
    for got in (f(nd.array(x, dtype=dtype)), mx.jit(f)(nd.array(x, dtype=dtype))):
        # float16 computes each op in float32 and rounds it, so one more rounding counts
        assert_close_ulps(got.asnumpy(), want, dtype, ulps + (dtype == "float16"))


def test_hard_sigmoid_takes_alpha_and_beta_and_saturates() -> None:
    x = nd.array([-10.0, -1.0, 0.0, 1.0, 10.0])
    np.testing.assert_allclose(nd.hard_sigmoid(x).asnumpy(), [0, 0.3, 0.5, 0.7, 1], rtol=1e-6)
    np.testing.assert_allclose(nd.hard_sigmoid(x, alpha=0.5, beta=0.25).asnumpy(),
                               [0, 0, 0.25, 0.75, 1], rtol=1e-6)
    kinks = nd.array([-2.5, 0.0, 2.5])  # where 0.2 x + 0.5 is exactly 0 and 1: MXNet gives 0
    kinks.attach_grad()
    with mx.autograd.record():
        y = nd.hard_sigmoid(kinks)
    y.backward()
    np.testing.assert_allclose(kinks.grad.asnumpy(), [0, 0.2, 0], rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "uint8", "int32",
                                   "int64"])
def test_logical_not_gives_one_and_zero_in_the_input_dtype(dtype: str) -> None:
    """MXNet 1.x's nd.logical_not: !x as 1/0 of x's dtype (NaN is true, so it gives 0)."""
    vals = [0, 1, 2, 7] if dtype == "uint8" else [0, 1, -1, 7]
    if dtype.startswith("float"):
        vals += [0.5, -0.0, math.inf, math.nan]
    x = np.array(vals).astype(dtype)
    for got in (nd.logical_not(nd.array(x, dtype=dtype)),
                mx.jit(nd.logical_not)(nd.array(x, dtype=dtype))):
        assert got.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(got.asnumpy(), (x == 0).astype(dtype))
    b = nd.logical_not(nd.array(np.array([True, False]), dtype=bool))
    assert b.dtype == np.bool_ and b.asnumpy().tolist() == [False, True]


SPECIAL: dict[str, list[tuple[float, float]]] = {
    # C99 (and CUDA, and MXNet's std:: functions): signed poles at 0, NaN below
    "gamma": [(0.0, math.inf), (-0.0, -math.inf), (-1.0, math.nan), (-3.0, math.nan),
              (math.inf, math.inf), (-math.inf, math.nan), (5.0, 24.0), (0.5, math.pi ** 0.5),
              (-0.5, -2 * math.pi ** 0.5), (200.0, math.inf), (-1e-309, -math.inf),
              (1e-309, math.inf)],
    "gammaln": [(1.0, 0.0), (2.0, 0.0), (0.0, math.inf), (-2.0, math.inf), (-math.inf, math.inf),
                (math.inf, math.inf), (0.5, math.log(math.pi) / 2), (1e30, math.lgamma(1e30))],
    "erfinv": [(0.0, 0.0), (1.0, math.inf), (-1.0, -math.inf), (1.5, math.nan),
               (math.erf(0.75), 0.75)],
    "arccosh": [(1.0, 0.0), (0.5, math.nan), (math.inf, math.inf)],
    "arctanh": [(1.0, math.inf), (-1.0, -math.inf), (2.0, math.nan)],
    "arcsin": [(1.0, math.pi / 2), (-2.0, math.nan)],
    "log10": [(1000.0, 3.0), (0.0, -math.inf), (-1.0, math.nan)],
    "log2": [(8.0, 3.0), (0.5, -1.0)],
    "cbrt": [(-27.0, -3.0), (8.0, 2.0), (-math.inf, -math.inf)],
    "rcbrt": [(8.0, 0.5), (0.0, math.inf), (-0.0, -math.inf)],
}


@pytest.mark.parametrize("name", sorted(SPECIAL))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_special_values(name: str, dtype: str) -> None:
    x, want = (np.array(v, dtype=np.float64) for v in zip(*SPECIAL[name]))
    with np.errstate(over="ignore"):
        want = want.astype(dtype)
    got = getattr(nd, name)(nd.array(x, dtype=dtype)).asnumpy()
    np.testing.assert_allclose(got, want, rtol=4 * float(np.finfo(dtype).eps), equal_nan=True)
    assert (np.signbit(got) == np.signbit(want))[want == 0].all()


def test_gamma_of_small_integers_is_the_exact_factorial() -> None:
    n = np.arange(1.0, 24.0)
    want = np.array([math.factorial(int(k) - 1) for k in n], dtype=np.float64)
    np.testing.assert_array_equal(nd.gamma(nd.array(n, dtype="float64")).asnumpy(), want)
    np.testing.assert_array_equal(nd.gamma(nd.array(n[:12])).asnumpy(), want[:12])


#: The unary float math of mx.nd, which MXNet also applies to integer arrays.
FLOAT_MATH = ["arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctanh", "cbrt", "cos",
              "cosh", "erf", "erfinv", "exp", "expm1", "gamma", "gammaln", "log", "log10",
              "log1p", "log2", "rsqrt", "sigmoid", "sin", "sinh", "sqrt", "tan", "tanh",
              "degrees", "radians", "rcbrt", "softsign", "reciprocal"]
INTS = {"int8": [-3, -1, 0, 1, 2, 5, 100], "uint8": [0, 1, 2, 5, 100, 200],
        "int32": [-3, -1, 0, 1, 2, 5, 100, 1000], "int64": [-3, -1, 0, 1, 2, 5, 100, 1000]}


def x86_to_int(y: np.ndarray, dtype: str) -> np.ndarray:
    """float64 -> integer as MXNet's C++ casts run on x86: through int32 (int64 for int64),
    NaN and out of range giving that type's minimum, then wrapping."""
    bits = 64 if dtype == "int64" else 32
    fits = (y >= -(2.0 ** (bits - 1))) & (y < 2.0 ** (bits - 1))
    wide = np.where(fits, np.trunc(np.where(fits, y, 0)), -(2.0 ** (bits - 1)))
    return wide.astype(f"int{bits}").astype(dtype)


@pytest.mark.parametrize("name", FLOAT_MATH)
@pytest.mark.parametrize("dtype", sorted(INTS))
def test_float_math_on_integers_computes_in_float64_and_keeps_the_dtype(name: str, dtype: str
                                                                        ) -> None:
    x = np.array(INTS[dtype], dtype=dtype)
    f = getattr(nd, name)
    with np.errstate(all="ignore"):
        want = x86_to_int(getattr(nd, name)(nd.array(x, dtype="float64")).asnumpy(), dtype)
    got = f(nd.array(x, dtype=dtype))
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got.asnumpy(), want)
    np.testing.assert_array_equal(mx.jit(f)(nd.array(x, dtype=dtype)).asnumpy(), want)


def test_integer_math_matches_values_mxnet_printed() -> None:
    # (printed by MXNet 1.9.1 for these int32 / int8 / uint8 arrays)
    i32 = nd.array([-3, -1, 0, 1, 2, 5, 100, 1000], dtype="int32")
    low = -2**31
    assert nd.exp(nd.array([1, 2], dtype="int32")).asnumpy().tolist() == [2, 7]
    assert nd.exp(i32).asnumpy().tolist() == [0, 0, 1, 2, 7, 148, low, low]
    assert nd.log(i32).asnumpy().tolist() == [low, low, low, 0, 0, 1, 4, 6]
    assert nd.sqrt(i32).asnumpy().tolist() == [low, low, 0, 1, 1, 2, 10, 31]
    assert nd.tan(nd.array([0, 1, 2, 5, 100, 200], dtype="uint8")).asnumpy().tolist() == [
        0, 1, 254, 253, 0, 255]
    assert nd.exp(nd.array([-3, -1, 0, 1, 2, 5, 100], dtype="int8")).asnumpy().tolist() == [
        0, 0, 1, 2, 7, -108, 0]
    assert nd.degrees(i32).asnumpy().tolist() == [-171, -57, 0, 57, 114, 286, 5729, 57295]


@pytest.mark.parametrize("name", ["floor", "ceil", "round", "rint", "trunc", "fix"])
@pytest.mark.parametrize("dtype", sorted(INTS))
def test_rounding_returns_integers_unchanged_as_a_new_array(name: str, dtype: str) -> None:
    x = nd.array(INTS[dtype], dtype=dtype)
    y = getattr(nd, name)(x)
    assert y.dtype == np.dtype(dtype) and y.asnumpy().tolist() == INTS[dtype]
    assert not np.shares_memory(y.asnumpy(), x.asnumpy())
    big = nd.array([2**62 + 1], dtype="int64")  # (exact: MXNet rounds it through a double)
    assert getattr(nd, name)(big).asnumpy().tolist() == [2**62 + 1]


@pytest.mark.parametrize("dtype", FLOATS)
def test_rint_rounds_halves_down_as_mxnet_does(dtype: str) -> None:
    x = nd.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.5, -0.2, 0.7, math.nan, math.inf],
                 dtype=dtype)
    want = [0.0, 1.0, 2.0, -1.0, -2.0, -3.0, 3.0, -0.0, 1.0, math.nan, math.inf]
    for got in (nd.rint(x), mx.jit(nd.rint)(x)):
        np.testing.assert_array_equal(got.asnumpy(), np.array(want, dtype=dtype))
        assert np.signbit(got.asnumpy()[7])


def test_hard_sigmoid_rejects_integers_as_mxnet_does() -> None:
    x = nd.array(np.array([1, 2], np.int32), dtype="int32")
    with pytest.raises(DTypeError, match="hard_sigmoid"):
        nd.hard_sigmoid(x)
    with pytest.raises(DTypeError, match="hard_sigmoid"):
        mx.jit(nd.hard_sigmoid)(x)


NEW = ["arcsin", "arccos", "arctan", "sinh", "cosh", "arcsinh", "arccosh", "arctanh", "log10",
       "log2", "cbrt", "rcbrt", "rint", "fix", "degrees", "radians", "erfinv", "gamma",
       "gammaln", "softsign", "hard_sigmoid", "logical_not"]


def test_every_function_is_exported_with_an_example() -> None:
    for name in NEW:
        f = getattr(nd, name)
        assert f.__name__ == name and ">>> mx.nd." in (f.__doc__ or ""), name


def test_empty_and_size_one_arrays() -> None:
    for name in NEW:
        f = getattr(nd, name)
        empty = f(nd.array(np.zeros((0, 3)), dtype="float32"))
        assert empty.shape == (0, 3) and empty.dtype == np.float32, name
        one = f(nd.array([[1.5]], dtype="float64"))
        assert one.shape == (1, 1) and one.dtype == np.float64, name


def test_out_keyword_writes_in_place() -> None:
    x = nd.array([0.25, 0.5])
    out = nd.zeros((2,))
    assert nd.arcsin(x, out=out) is out and nd.degrees(x, out=nd.zeros((2,))).shape == (2,)
    np.testing.assert_allclose(out.asnumpy(), np.arcsin([0.25, 0.5]), rtol=1e-6)


#: name: (function, low, high): eager autograd agrees with mx.grad (float32 and float64)
AUTOGRAD = {"arcsin": (-0.9, 0.9), "arctanh": (-0.9, 0.9), "sinh": (-2, 2), "arccosh": (1.2, 3),
            "erfinv": (-0.9, 0.9), "gamma": (0.5, 4), "gammaln": (0.5, 4), "cbrt": (0.5, 3),
            "log10": (0.5, 3), "rcbrt": (0.5, 3), "softsign": (0.2, 2), "degrees": (-2, 2),
            "hard_sigmoid": (-2, 2), "rint": (0.2, 0.4)}


@pytest.mark.parametrize("name", sorted(AUTOGRAD))
def test_eager_autograd_agrees_with_grad(name: str) -> None:
    lo, hi = AUTOGRAD[name]
    f = getattr(nd, name)
    for dtype in ("float32", "float64"):
        x = nd.array(np.linspace(lo, hi, 5), dtype=dtype)
        x.attach_grad()
        with mx.autograd.record():
            y = (f(x) * x).sum()
        y.backward()
        want = mx.grad(lambda v: (f(v) * v).sum())(x)
        assert x.grad.dtype == np.dtype(dtype)
        np.testing.assert_allclose(x.grad.asnumpy(), want.asnumpy(), rtol=1e-5, atol=1e-6)
