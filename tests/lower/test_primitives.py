"""Every primitive's compiled kernels against its NumPy meaning (`Primitive.numpy_impl`).

Graphs are built directly from primitives (`var` + `apply`), lowered with `lower_graph` and
run on NumPy arrays of every layout a kernel can meet: contiguous, transposed, strided with
positive and negative steps, and broadcast views with zero strides. The same operations are
then checked through the user API: eager `mx.nd.*` and `mx.jit`. A last property builds
random DAGs of primitives and compares the fused program with evaluating the graph node by
node in NumPy.

Float references are computed in float64 from the same inputs and compared in ulps of the
result dtype: exactly rounded operations must be exact, transcendentals stay within a few
ulps (the bounds of tests/lower/test_llvm_math.py plus the reference's own error).
"""
from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import mxjit as mx
from mxjit.base import DTypeError, MXNetError, ShapeError
from mxjit.lower.emit import Layout
from mxjit.lower.program import lower_graph
from mxjit.nd.ndarray import NDArray
from mxjit.trace import PRIMITIVES, apply, evaluate
from mxjit.trace.generators import philox_numpy
from mxjit.trace.graph import AbstractValue, Node, const, var

nd = mx.nd
# NumPy references meet NaN, inf and overflow on purpose
pytestmark = pytest.mark.filterwarnings("ignore:(overflow|invalid value|divide by zero) "
                                        "encountered:RuntimeWarning")

DTYPES = [np.dtype(n) for n in
          ("float32", "float64", "float16", "int8", "uint8", "int32", "int64", "bool")]
FLOATS = [d for d in DTYPES if d.kind == "f"]
INTS = [d for d in DTYPES if d.kind in "iu"]
NUMBERS = FLOATS + INTS
BOOL = np.dtype(bool)

#: MXJIT_TEST_SCALE=10 runs ten times as many examples (a deeper hunt than the default,
#: which keeps this file near 70 s: each new kernel compiles in ~40 ms).
SCALE = float(os.environ.get("MXJIT_TEST_SCALE", "1"))


def few(n: int) -> settings:
    return settings(deadline=None, max_examples=max(1, round(n * SCALE)),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


EXAMPLES = few(6)


# ---- values --------------------------------------------------------------------------------


def special_values(dtype: np.dtype) -> list[Any]:
    """Edge values of `dtype`: NaN, infinities, signed zeros, extremes, halves, int min/max."""
    if dtype == BOOL:
        return [False, True]
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        vals = {0, 1, 2, 3, 7, info.max, info.max - 1, info.min}
        if dtype.kind == "i":
            vals |= {-1, -2, -3, -7, info.min + 1}
        return sorted(vals)
    fi = np.finfo(dtype)
    vals = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, -2.5, 2.5, 3.0, -7.0, float(fi.max),
            -float(fi.max), float(fi.tiny), -float(fi.tiny), float(fi.smallest_subnormal),
            float(np.nextafter(dtype.type(0.5), dtype.type(0))), math.pi, 100.0, -100.0,
            float("inf"), float("-inf"), float("nan")]
    return [dtype.type(v) for v in vals]


def elements(dtype: np.dtype, lo: float | None = None, hi: float | None = None,
             full: bool = True) -> st.SearchStrategy:
    """Scalars of `dtype`: edge values, a moderate range and (for floats) any value."""
    if dtype == BOOL:
        return st.booleans()
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        small = st.integers(max(int(info.min), -8), min(int(info.max), 8))
        return st.one_of(small, st.sampled_from(special_values(dtype)),
                         st.integers(int(info.min), int(info.max)))
    width = dtype.itemsize * 8
    top = float(np.finfo(dtype).max)
    lo = -1e4 if lo is None else max(lo, -top)
    hi = 1e4 if hi is None else min(hi, top)
    parts = [st.floats(lo, hi, width=width), st.sampled_from(special_values(dtype))]
    if full:
        parts.append(st.floats(width=width))
    return st.one_of(*parts)


SHAPES = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=6)
LAYOUTS = ("contiguous", "transposed", "strided", "broadcast")


@st.composite
def laid_out(draw: Any, dtype: np.dtype, shape: tuple[int, ...],
             elems: st.SearchStrategy | None = None) -> np.ndarray:
    """An array of `shape` in a random layout: contiguous, transposed, strided with positive
    or negative steps, or a broadcast view with zero strides."""
    elems = elements(dtype) if elems is None else elems
    rank = len(shape)
    how = draw(st.sampled_from(LAYOUTS)) if rank else "contiguous"
    if how == "transposed":
        perm = draw(st.permutations(range(rank)))
        base = draw(hnp.arrays(dtype, tuple(shape[p] for p in perm), elements=elems))
        return base.transpose(np.argsort(perm))
    if how == "strided":
        steps = draw(st.lists(st.sampled_from([1, 2, 3, -1, -2]), min_size=rank,
                              max_size=rank))
        offsets = draw(st.lists(st.integers(0, 2), min_size=rank, max_size=rank))
        if math.prod(o + abs(s) * d for o, s, d in zip(offsets, steps, shape)) > 3000:
            steps = [1 if s > 0 else -1 for s in steps]
        base = draw(hnp.arrays(dtype, tuple(o + abs(s) * d for o, s, d in
                                            zip(offsets, steps, shape)), elements=elems))
        view = base[tuple(slice(o, o + abs(s) * d, abs(s)) for o, s, d in
                          zip(offsets, steps, shape))]
        return view[tuple(slice(None, None, -1) if s < 0 else slice(None) for s in steps)]
    if how == "broadcast":
        keep = draw(st.lists(st.booleans(), min_size=rank, max_size=rank))
        lead = draw(st.integers(0, rank))
        small = tuple(d if k else 1 for d, k in zip(shape, keep))[lead:]
        base = draw(hnp.arrays(dtype, small, elements=elems))
        return np.broadcast_to(base, shape)
    return draw(hnp.arrays(dtype, shape, elements=elems))


# ---- running graphs ------------------------------------------------------------------------


def run_graph(build: Callable[..., Node | list[Node]], *arrays: np.ndarray) -> list[np.ndarray]:
    """Lower the graph `build(*input_nodes)` for these arrays' layouts and run it on them."""
    ins = [var(a.shape, a.dtype) for a in arrays]
    out = build(*ins)
    outs = out if isinstance(out, list) else [out]
    program = lower_graph(outs, ins, [Layout.of(a) for a in arrays])
    return program.run(list(arrays))


def run_prim(name: str, *arrays: np.ndarray, **attrs: Any) -> np.ndarray:
    (got,) = run_graph(lambda *xs: apply(name, *xs, **attrs), *arrays)
    return got


def check_movement(name: str, want: np.ndarray, *arrays: np.ndarray, **attrs: Any) -> None:
    """A movement op alone (an output may be a NumPy view of its input) and inside a kernel
    (its index map fused into a consumer: maximum(y, y) is y for every dtype)."""
    dtype = arrays[0].dtype
    assert_matches(run_prim(name, *arrays, **attrs), want, dtype, what=f"{name} {attrs}")

    def fused(*xs: Node) -> Node:
        y = apply(name, *xs, **attrs)
        return apply("maximum", y, y)

    (got,) = run_graph(fused, *arrays)
    assert_matches(got, want, dtype, what=f"maximum(y, y) of {name} {attrs}")


def reference(name: str, *arrays: np.ndarray, **attrs: Any) -> np.ndarray:
    """`name`'s NumPy meaning; float operands of arithmetic in float64 (not yet rounded)."""
    kind = PRIMITIVES[name].kind
    if kind in ("elementwise", "reduce") and name != "cast":
        arrays = tuple(a.astype(np.float64) if a.dtype.kind == "f" else a for a in arrays)
    return evaluate(name, list(arrays), attrs)


def _ordinal(x: np.ndarray) -> np.ndarray:
    """Floats mapped to integers that count representable values (ulp distances subtract)."""
    bits = {2: np.int16, 4: np.int32, 8: np.int64}[x.dtype.itemsize]
    i = x.view(bits).astype(np.int64)
    return np.where(i < 0, np.int64(np.iinfo(bits).min) - i, i)


def ulp_error(got: np.ndarray, ref64: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Distance from the unrounded reference in ulps of `dtype`; inf where NaN-ness or an
    infinity differs. A correctly rounded result is within 0.5."""
    got = np.asarray(got, dtype=dtype)
    ref64 = np.asarray(ref64, dtype=np.float64)
    with np.errstate(all="ignore"):
        rounded = ref64.astype(dtype)
        near = np.abs(_ordinal(got) - _ordinal(rounded)).astype(np.float64)
        finite = np.isfinite(got) & np.isfinite(rounded)
        exact = np.abs(got.astype(np.float64) - ref64) / np.spacing(
            np.abs(rounded)).astype(np.float64)
    err = np.where(finite & (near <= 4), exact, near)
    nan_g, nan_r = np.isnan(got), np.isnan(ref64)
    err = np.where(nan_g & nan_r, 0.0, err)
    err = np.where(nan_g != nan_r, np.inf, err)
    # one rounding step across the overflow threshold counts one ulp, not infinitely many
    inf_g, inf_r = np.isinf(got), np.isinf(rounded)
    big = np.abs(ref64) >= float(np.finfo(dtype).max)
    mismatch = (inf_g | inf_r) & (got != rounded) & ~(nan_g | nan_r)
    return np.where(mismatch, np.where(big & (np.sign(got) == np.sign(ref64)), 1.0, np.inf),
                    err)


def assert_matches(got: np.ndarray, ref: np.ndarray, dtype: np.dtype, ulps: float = 0.5,
                   what: str = "") -> None:
    """`got` (of `dtype`) equals the reference: exactly for ints and bools, within `ulps` of
    the (float64) reference for floats."""
    got = np.asarray(got)
    assert got.dtype == dtype, f"{what}: dtype {got.dtype}, expected {dtype}"
    assert got.shape == np.shape(ref), f"{what}: shape {got.shape}, expected {np.shape(ref)}"
    if dtype.kind != "f":
        np.testing.assert_array_equal(got, np.asarray(ref).astype(dtype), err_msg=what)
        return
    err = ulp_error(got, ref, dtype)
    if err.size and not (err <= ulps).all():
        k = np.unravel_index(int(np.argmax(err)), err.shape)
        raise AssertionError(f"{what}: {err.max()} ulp > {ulps} at {k}: got {got[k]!r}, "
                             f"expected {np.asarray(ref)[k]!r} ({int((err > ulps).sum())} bad)")
    zeros = (np.asarray(ref) == 0) & (got == 0)
    wrong_sign = zeros & (np.signbit(got) != np.signbit(np.asarray(ref, dtype=np.float64)))
    where = np.argwhere(wrong_sign)[:3]
    assert not wrong_sign.any(), f"{what}: a zero of the wrong sign at {where}"


def assert_close(got: np.ndarray, ref: np.ndarray, dtype: np.dtype, scale: Any,
                 tol: float | None = None, what: str = "") -> None:
    """For results of many roundings (sums, products, dots): absolute error within
    `tol * scale` elementwise, where `scale` bounds the magnitudes involved."""
    got = np.asarray(got)
    assert got.dtype == dtype and got.shape == np.shape(ref), (what, got.dtype, got.shape)
    if dtype.kind != "f":
        np.testing.assert_array_equal(got, np.asarray(ref).astype(dtype), err_msg=what)
        return
    tol = {2: 4e-3, 4: 2e-6, 8: 1e-13}[dtype.itemsize] if tol is None else tol
    ref = np.asarray(ref, dtype=np.float64)
    g = got.astype(np.float64)
    nan_g, nan_r = np.isnan(g), np.isnan(ref)
    assert (nan_g == nan_r).all(), f"{what}: NaN at {np.argwhere(nan_g != nan_r)[:3]}"
    rounded = ref.astype(dtype).astype(np.float64)
    inf = np.isinf(g) | np.isinf(rounded)
    assert (g[inf] == rounded[inf]).all(), f"{what}: infinities differ: {g[inf]} {rounded[inf]}"
    ok = ~(nan_g | inf)
    bound = tol * (np.broadcast_to(np.asarray(scale, np.float64), ref.shape)[ok] + 1e-30)
    tiny = float(np.finfo(dtype).smallest_subnormal)  # underflow to zero is one rounding
    np.testing.assert_array_less(np.abs(g[ok] - ref[ok]), bound * 1.0000001 + tiny,
                                 err_msg=what)


def accepts(name: str, *avals: AbstractValue, **attrs: Any) -> bool:
    """Whether the shape/dtype rule accepts these operands (DTypeError means no)."""
    try:
        PRIMITIVES[name].shape_rule(*avals, **attrs)
    except DTypeError:
        return False
    return True


# ---- elementwise ---------------------------------------------------------------------------

def _arity(name: str) -> int:
    for k in (1, 2, 3):
        try:
            PRIMITIVES[name].shape_rule(*[AbstractValue((2,), np.dtype(bool))] * k)
            return k
        except TypeError as e:
            if isinstance(e, DTypeError):
                return k
        except ShapeError:
            return k
    return 0  # needs attributes: not a plain elementwise function


ELEMENTWISE = sorted(n for n, p in PRIMITIVES.items()
                     if p.kind == "elementwise" and n not in ("cast", "mark"))
UNARY = [n for n in ELEMENTWISE if _arity(n) == 1]
BINARY = [n for n in ELEMENTWISE if _arity(n) == 2]

#: ulps allowed against the float64 reference (rounded-once operations are exact: 0.5).
ULPS = {"exp": 1.5, "expm1": 2.5, "log": 1.5, "log1p": 2.5, "tanh": 2.5, "sigmoid": 2.5,
        "erf": 1.5, "sin": 1.5, "cos": 1.5, "tan": 2.5, "pow": 2.5, "rsqrt": 1.5,
        "log2": 1.5, "log10": 1.5, "cbrt": 1.5, "arcsin": 1.5, "arccos": 1.5, "arctan": 1.5,
        "sinh": 1.5, "cosh": 1.5, "arcsinh": 1.5, "arccosh": 1.5, "arctanh": 1.5,
        "erfinv": 1.5, "gamma": 1.5, "gammaln": 1.5}
#: float64 references come from NumPy's libm, itself up to ~1 ulp off; erfinv's, gamma's and
#: gammaln's from `mxjit.trace.special` (Newton on math.erf, CPython's math.gamma/lgamma, up
#: to 2, 5 and 4 ulp off), added to our 3, 5 and 3.
ULPS64 = {n: u + 2 for n, u in ULPS.items()} | {"erfinv": 6, "gamma": 11, "gammaln": 8}
#: accurate to ulps of 1 rather than of the value next to its zeros (as CPython's, Cephes')
ABSOLUTE_BELOW_ONE = {"gammaln"}

#: the moderate input range per function (edge values and any float are drawn as well).
DOMAIN = {"exp": (-120, 120), "expm1": (-50, 50), "sigmoid": (-120, 120), "tanh": (-30, 30),
          "erf": (-8, 8), "log": (-1, 1e6), "log1p": (-2, 1e6), "sqrt": (-1, 1e6),
          "rsqrt": (-1, 1e6), "sin": (-100, 100), "cos": (-100, 100), "tan": (-100, 100),
          "pow": (-8, 8), "log2": (-1, 1e6), "log10": (-1, 1e6), "arcsin": (-1.25, 1.25),
          "arccos": (-1.25, 1.25), "arctanh": (-1.25, 1.25), "erfinv": (-1.25, 1.25),
          "arccosh": (0.5, 1e6), "sinh": (-120, 120), "cosh": (-120, 120), "gamma": (-50, 50),
          "gammaln": (-100, 1e4)}
#: sin/cos/tan are accurate for |x| below this (three-part Cody-Waite reduction).
TRIG_RANGE = {2: 7e4, 4: 2.0**17, 8: 2.0**30}


def _allowed_ulps(name: str, dtype: np.dtype) -> float:
    if dtype.kind != "f":
        return 0.0
    if dtype.itemsize == 2:  # computed in float32, rounded once to float16
        return 1.0 if name in ULPS else 0.5
    return (ULPS64 if dtype.itemsize == 8 else ULPS).get(name, 0.5)


def _elems_for(name: str, dtype: np.dtype) -> st.SearchStrategy:
    lo, hi = DOMAIN.get(name, (None, None))
    full = name not in ("sin", "cos", "tan")
    if name in ("sin", "cos", "tan") and dtype.kind == "f":
        lim = min(TRIG_RANGE[dtype.itemsize], float(np.finfo(dtype).max))
        return st.one_of(elements(dtype, lo, hi, full=False),
                         st.floats(-lim, lim, width=dtype.itemsize * 8,
                                   exclude_min=True, exclude_max=True))
    return elements(dtype, lo, hi, full=full)


def _accepted_dtypes(name: str, arity: int) -> list[np.dtype]:
    return [d for d in DTYPES if accepts(name, *[AbstractValue((1,), d)] * arity)]


def absolute_near_zeros(name: str, got: np.ndarray, ref: np.ndarray, ulps: float
                        ) -> np.ndarray:
    """The reference, with results of `ABSOLUTE_BELOW_ONE` functions that are within `ulps`
    ulps of 1 of it (where it is below 1) taken as exact."""
    if name not in ABSOLUTE_BELOW_ONE or got.dtype.kind != "f":
        return ref
    with np.errstate(invalid="ignore"):
        close = np.abs(got.astype(np.float64) - ref) <= ulps * float(np.finfo(got.dtype).eps)
    return np.where((np.abs(ref) < 1) & close, got.astype(np.float64), ref)


def check_elementwise(name: str, *arrays: np.ndarray) -> None:
    got = run_prim(name, *arrays)
    ref = absolute_near_zeros(name, got, reference(name, *arrays),
                              _allowed_ulps(name, arrays[0].dtype))
    out = PRIMITIVES[name].shape_rule(*(AbstractValue(a.shape, a.dtype) for a in arrays)).dtype
    if name in ("sin", "cos", "tan") and arrays[0].dtype.kind == "f":
        x = arrays[0].astype(np.float64)
        far = np.abs(x) >= TRIG_RANGE[arrays[0].dtype.itemsize]
        assert np.isfinite(got[far & np.isfinite(x)]).all(), f"{name}: not finite far out"
        ref = np.where(far, got.astype(np.float64), ref)  # only finiteness is promised there
    assert_matches(got, ref, out, _allowed_ulps(name, arrays[0].dtype),
                   f"{name} {[str(a.dtype) for a in arrays]}")


@pytest.mark.parametrize("name", UNARY)
@given(data=st.data())
@EXAMPLES
def test_unary_elementwise_matches_numpy(name: str, data: Any) -> None:
    dtype = data.draw(st.sampled_from(_accepted_dtypes(name, 1)), "dtype")
    shape = data.draw(SHAPES, "shape")
    x = data.draw(laid_out(dtype, shape, _elems_for(name, dtype)), "x")
    check_elementwise(name, x)


@pytest.mark.parametrize("name", BINARY)
@given(data=st.data())
@EXAMPLES
def test_binary_elementwise_matches_numpy(name: str, data: Any) -> None:
    dtype = data.draw(st.sampled_from(_accepted_dtypes(name, 2)), "dtype")
    shape = data.draw(SHAPES, "shape")
    elems = _elems_for(name, dtype)
    a = data.draw(laid_out(dtype, shape, elems), "a")
    b = data.draw(laid_out(dtype, shape, elems), "b")
    check_elementwise(name, a, b)


@pytest.mark.parametrize("name", UNARY + BINARY)
def test_every_accepted_dtype_on_every_edge_value(name: str) -> None:
    """Each (primitive, dtype) the rule accepts compiles and is right on all edge values
    (for binary ops: all pairs, so x / 0, x % 0 and INT_MIN / -1 are among them)."""
    arity = _arity(name)
    accepted = _accepted_dtypes(name, arity)
    assert accepted, name
    for dtype in accepted:
        vals = np.array(special_values(dtype), dtype=dtype)
        if arity == 1:
            check_elementwise(name, vals)
        else:
            a, b = (v.ravel() for v in np.meshgrid(vals, vals, indexing="ij"))
            check_elementwise(name, a, np.ascontiguousarray(b[::-1])[::-1])  # (reversed view)


@pytest.mark.parametrize("name", UNARY + BINARY)
def test_rejected_dtypes_raise_dtype_error_at_trace_time(name: str) -> None:
    arity = _arity(name)
    accepted = _accepted_dtypes(name, arity)
    for dtype in DTYPES:
        x = var((3,), dtype)
        if dtype in accepted:
            assert apply(name, *[x] * arity).shape == (3,)
        else:
            with pytest.raises(DTypeError) as info:
                apply(name, *[x] * arity)
            assert isinstance(info.value, MXNetError) and name in str(info.value)
    if arity == 2:  # operands of different dtypes or shapes are rejected
        with pytest.raises(DTypeError):
            apply(name, var((3,), accepted[0]), var((3,), DTYPES[(DTYPES.index(accepted[0])
                                                                    + 1) % len(DTYPES)]))
        with pytest.raises(ShapeError):
            apply(name, var((3,), accepted[0]), var((4,), accepted[0]))


def test_dtype_rules_of_the_elementwise_families() -> None:
    """The families as documented: transcendentals need floats, arithmetic refuses bool,
    logical ops need bool, comparisons and isnan give bool."""
    for name in ("exp", "sqrt", "floor", "erf"):
        assert _accepted_dtypes(name, 1) == FLOATS
    for name in ("add", "div", "mod", "pow", "neg", "sign"):
        assert BOOL not in _accepted_dtypes(name, _arity(name))
        assert set(NUMBERS) <= set(_accepted_dtypes(name, _arity(name)))
    for name in ("logical_and", "logical_or", "logical_xor", "logical_not"):
        assert _accepted_dtypes(name, _arity(name)) == [BOOL]
    for name in ("eq", "lt", "isnan"):
        for d in DTYPES:
            assert apply(name, *[var((2,), d)] * _arity(name)).dtype == BOOL


@given(data=st.data())
@few(15)
def test_where_selects_like_numpy(data: Any) -> None:
    dtype = data.draw(st.sampled_from(DTYPES), "dtype")
    shape = data.draw(SHAPES, "shape")
    c = data.draw(laid_out(BOOL, shape), "cond")
    a = data.draw(laid_out(dtype, shape), "a")
    b = data.draw(laid_out(dtype, shape), "b")
    assert_matches(run_prim("where", c, a, b), np.where(c, a, b), dtype, what="where")
    with pytest.raises(DTypeError):
        apply("where", var(shape, dtype if dtype != BOOL else np.dtype("int8")),
              var(shape, dtype), var(shape, dtype))


@given(data=st.data())
@few(60)
def test_cast_between_every_pair_of_dtypes(data: Any) -> None:
    src = data.draw(st.sampled_from(DTYPES), "src")
    dst = data.draw(st.sampled_from(DTYPES + [np.dtype(np.uint32)]), "dst")
    shape = data.draw(SHAPES, "shape")
    elems = elements(src, -300, 300) if src.kind == "f" else None
    x = data.draw(laid_out(src, shape, elems), "x")
    got = run_prim("cast", x, dtype=dst)
    # the reference itself: float -> int truncates toward zero and wraps (x86's conversion)
    ref = reference("cast", x, dtype=dst)
    assert_matches(got, ref, dst, 0.5, f"cast {src} -> {dst}")


def test_cast_edge_values_exactly() -> None:
    for src in DTYPES:
        x = np.array(special_values(src), dtype=src)
        for dst in DTYPES:
            assert_matches(run_prim("cast", x, dtype=dst), reference("cast", x, dtype=dst),
                           dst, 0.5, f"cast {src} -> {dst}")
    x = np.array([2.7, -2.7, 1e10, -1e10, 300.5, -129.9, np.nan, np.inf, -np.inf, 2.0**63,
                  -2.0**63, 2.0**62 * 1.5], dtype=np.float64)
    # as MXNet 1.9.1 casts on x86: NaN and out of range give the minimum of int32 (then wrap
    # to narrower types) or of int64
    low32, low64 = -2**31, -2**63
    assert run_prim("cast", x, dtype=np.dtype("int32")).tolist() == [
        2, -2, low32, low32, 300, -129, low32, low32, low32, low32, low32, low32]
    assert run_prim("cast", x, dtype=np.dtype("uint8")).tolist() == [
        2, 254, 0, 0, 44, 127, 0, 0, 0, 0, 0, 0]
    assert run_prim("cast", x, dtype=np.dtype("int64")).tolist() == [
        2, -2, 10**10, -10**10, 300, -129, low64, low64, low64, low64, low64, 3 * 2**61]
    assert run_prim("cast", x.astype(np.float32), dtype=np.dtype("int8")).tolist() == [
        2, -2, 0, 0, 44, 127, 0, 0, 0, 0, 0, 0]
    # float64 -> float16 rounds once (not through float32), so no spurious overflow
    y = np.array([65519.999, 1 + 2.0**-11 + 2.0**-40, -65519.999], dtype=np.float64)
    np.testing.assert_array_equal(run_prim("cast", y, dtype=np.dtype("float16")),
                                  y.astype(np.float16))


@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=6),
       dtype=st.sampled_from(DTYPES), data=st.data())
@few(20)
def test_iota_counts_along_its_axis(shape: tuple[int, ...], dtype: np.dtype, data: Any
                                    ) -> None:
    axis = data.draw(st.integers(0, len(shape) - 1), "axis")
    (got,) = run_graph(lambda: apply("iota", shape=shape, axis=axis, dtype=dtype))
    assert_matches(got, evaluate("iota", [], {"shape": shape, "axis": axis, "dtype": dtype}),
                   dtype, what="iota")


def test_integer_division_edge_cases_do_not_crash_and_follow_the_reference() -> None:
    for dtype in ("int8", "int32", "int64", "uint8"):
        info = np.iinfo(dtype)
        a = np.array([7, -7, 7, -7, info.min, info.min, info.max, 0, info.min, 5],
                     dtype=dtype) if info.min < 0 else np.array([7, 0, 255, 1], dtype=dtype)
        b = np.array([2, 2, -2, -2, -1, 0, 0, 0, 3, info.max],
                     dtype=dtype) if info.min < 0 else np.array([0, 0, 2, 255], dtype=dtype)
        div, mod = run_prim("div", a, b), run_prim("mod", a, b)
        for k in range(a.size):
            x, y = int(a[k]), int(b[k])
            q = 0 if y == 0 else abs(x) // abs(y) * (1 if (x < 0) == (y < 0) else -1)
            assert int(div[k]) == np.array(q).astype(dtype), (dtype, x, y, div[k])
            r = 0 if y == 0 else x % y
            assert int(mod[k]) == r, (dtype, x, y, mod[k])
        np.testing.assert_array_equal(evaluate("div", [a, b], {}), div)
        np.testing.assert_array_equal(evaluate("mod", [a, b], {}), mod)


def test_round_is_half_away_from_zero_in_the_reference_and_the_kernel() -> None:
    for dtype in FLOATS:
        x = np.array([0.5, -0.5, 1.5, -2.5, 2.4999, 0.0, -0.0, np.inf, np.nan,
                      np.nextafter(dtype.type(0.5), dtype.type(0))], dtype=dtype)
        if dtype != np.float16:
            x = np.concatenate([x, np.array([2.0**23 + 1, -(2.0**23 + 1)], dtype)])
        if dtype == np.float64:
            x = np.concatenate([x, [2.0**52 + 1, 2.0**53 - 1]])
        want = np.array([np.sign(v) * math.floor(abs(v) + 0.5) if np.isfinite(v)
                         and abs(v) < 2.0**52 else v for v in x.astype(np.float64)])
        want[-1 if dtype == np.float16 else 9] = 0.0
        for got in (run_prim("round", x), evaluate("round", [x], {})):
            np.testing.assert_array_equal(got, want.astype(dtype), err_msg=str(dtype))


def test_rint_rounds_halves_to_even_and_fix_toward_zero() -> None:
    """The rint primitive is NumPy's (halves to even); mx.nd's three roundings of halves are
    MXNet's: rint toward -inf, round away from zero, fix toward 0."""
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999, -0.0, 0.0, np.inf, -np.inf, np.nan,
                  3.0, -7.0])
    for dtype in FLOATS:
        v = x.astype(dtype)
        for got, want in ((run_prim("rint", v), np.rint(v)),
                          (nd.fix(nd.array(v, dtype=dtype)).asnumpy(), np.trunc(v))):
            np.testing.assert_array_equal(got, want, err_msg=str(dtype))
            assert (np.signbit(got) == np.signbit(want)).all(), (dtype, got)  # -0.5 -> -0
    halves = nd.array([0.5, 1.5, 2.5, -2.5])
    assert nd.rint(halves).asnumpy().tolist() == [0, 1, 2, -3]
    assert nd.round(halves).asnumpy().tolist() == [1, 2, 3, -3]
    assert nd.fix(nd.array([-2.7, 2.7])).asnumpy().tolist() == [-2, 2]


# ---- reductions ----------------------------------------------------------------------------


@st.composite
def reduction_case(draw: Any, dtypes: list[np.dtype], nonempty: bool = False,
                   op: str = "") -> tuple:
    dtype = draw(st.sampled_from(dtypes))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1 if nonempty else 0,
                                  max_side=4 if op == "reduce_prod" else 6))
    axes = tuple(sorted(draw(st.sets(st.integers(0, max(len(shape) - 1, 0)),
                                     max_size=len(shape)))))
    elems = elements(dtype, -3, 3) if draw(st.booleans()) else elements(dtype)
    if dtype.kind == "f" and op in ("reduce_sum", "reduce_prod"):
        # No finite overflow or underflow on the way: whether inf + -inf or inf * 0 shows up
        # would depend on the order of accumulation (NaN, inf and signed zeros still do).
        w, big = dtype.itemsize * 8, op == "reduce_sum"
        edge = [0.0, -0.0, 1.0, -1.0, float("nan"), float("inf"), float("-inf")]
        elems = st.one_of(st.sampled_from([dtype.type(v) for v in edge]),
                          st.floats(-1024 if big else 0.9375, 1024 if big else 1.0625, width=w),
                          st.floats(-1.0625, -0.9375, width=w))
    x = draw(laid_out(dtype, shape, elems))
    return x, axes


@pytest.mark.parametrize("name", ["reduce_sum", "reduce_prod", "reduce_max", "reduce_min"])
@given(data=st.data())
@few(20)
def test_reductions_over_any_axes(name: str, data: Any) -> None:
    x, axes = data.draw(reduction_case(NUMBERS, nonempty=name in ("reduce_max", "reduce_min"),
                                       op=name), "case")
    got = run_prim(name, x, axes=axes)
    ref = reference(name, x, axes=axes)
    if name in ("reduce_max", "reduce_min") or x.dtype.kind != "f":
        assert_matches(got, ref, x.dtype, 0.5, name)
        return
    count = math.prod(x.shape[a] for a in axes)
    with np.errstate(all="ignore"):
        if name == "reduce_sum":
            scale = np.sum(np.abs(x.astype(np.float64)), axis=axes)
        else:
            scale = np.abs(ref)
    tol = {2: 2e-3, 4: 1e-6, 8: 1e-14}[x.dtype.itemsize] * (count + 2)
    assert_close(got, ref, x.dtype, scale, tol, name)


@pytest.mark.parametrize("shape, axes", [
    ((6, 4, 5), (1,)),  # a short register reduction: compares and selects
    ((3, 80), (1,)),  # a long one: LLVM's vectorised intrinsic
    ((80, 7), (0,)),  # into memory, the kept row vectorised
])
def test_max_and_min_order_zeros_and_propagate_nan_in_each_rendering(shape, axes) -> None:
    """Every form a float max or min is rendered in (see lower/llvm.py `_float_minmax`)
    gives IEEE 754-2019's maximum and minimum: -0 below +0 whatever their order, NaN from
    either side."""
    rng = np.random.default_rng(3)
    for dtype in FLOATS:
        x = rng.choice(np.array([0.0, -0.0, 1.0, -1.0], dtype), size=shape)
        x.flat[rng.choice(x.size, 3, replace=False)] = np.nan
        for name in ("reduce_max", "reduce_min"):
            got = run_prim(name, x, axes=axes)
            assert_matches(got, reference(name, x, axes=axes), dtype, 0.5, name)
        zeros = np.array([0.0, -0.0, -0.0, 0.0, np.nan, 1.0, np.nan, -0.0], dtype)
        other = np.array([-0.0, 0.0, -0.0, 0.0, 1.0, np.nan, np.nan, -1.0], dtype)
        for name, want in (("maximum", [0.0, 0.0, -0.0, 0.0, np.nan, np.nan, np.nan, -0.0]),
                           ("minimum", [-0.0, -0.0, -0.0, 0.0, np.nan, np.nan, np.nan, -1.0])):
            got = run_prim(name, zeros, other)
            assert_matches(got, np.array(want, dtype), dtype, 0.5, name)


def test_reductions_propagate_nan_and_handle_empty_axes() -> None:
    for dtype in FLOATS:
        x = np.array([[1.0, np.nan, 3.0], [np.inf, -np.inf, 0.0], [-1.0, 5.0, np.nan]],
                     dtype)
        for name in ("reduce_sum", "reduce_prod", "reduce_max", "reduce_min"):
            for axes, v in (((0,), x), ((1,), x.T[::-1]), ((0, 1), x[:, ::-1])):
                got = run_prim(name, v, axes=axes)
                assert_matches(got, reference(name, v, axes=axes), dtype, 0.5, name)
    empty = np.zeros((3, 0, 2), np.float32)
    assert run_prim("reduce_sum", empty, axes=(1,)).tolist() == [[0, 0]] * 3
    assert run_prim("reduce_prod", empty, axes=(0, 1)).tolist() == [1, 1]
    assert run_prim("reduce_sum", empty, axes=(0, 2)).shape == (0,)
    with pytest.raises(ShapeError):
        apply("reduce_max", var((3, 0), np.float32), axes=(1,))
    with pytest.raises(DTypeError):
        apply("reduce_sum", var((3,), BOOL), axes=(0,))
    ints = np.array([np.iinfo(np.int8).max, 1, np.iinfo(np.int8).min, -1], np.int8)
    assert_matches(run_prim("reduce_sum", ints, axes=(0,)), np.int8(-1), np.dtype("int8"))


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@given(data=st.data())
@few(30)
def test_argmax_argmin_first_extreme_and_first_nan(name: str, data: Any) -> None:
    dtype = data.draw(st.sampled_from(NUMBERS), "dtype")
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=6))
    axis = data.draw(st.integers(0, len(shape) - 1), "axis")
    # few distinct values, so ties (and NaNs) are common
    elems = st.sampled_from(special_values(dtype)[:6] + special_values(dtype)[-3:])
    x = data.draw(laid_out(dtype, shape, elems), "x")
    got = run_prim(name, x, axis=axis)
    assert_matches(got, reference(name, x, axis=axis), np.dtype(np.int64), what=name)


def test_argmax_of_constant_and_all_nan_rows() -> None:
    x = np.array([[np.nan, np.nan], [-np.inf, -np.inf], [2.0, 2.0], [1.0, np.nan]], np.float32)
    assert run_prim("argmax", x, axis=1).tolist() == [0, 0, 0, 1]
    assert run_prim("argmin", x, axis=1).tolist() == [0, 0, 0, 1]
    i = np.full((2, 3), np.iinfo(np.int64).min, np.int64)
    assert run_prim("argmax", i, axis=1).tolist() == [0, 0]
    u = np.full((4,), 255, np.uint8)
    assert run_prim("argmin", u, axis=0).tolist() == 0


# ---- movement ------------------------------------------------------------------------------


def _factorizations(draw: Any, size: int, max_rank: int = 4) -> tuple[int, ...]:
    rank = draw(st.integers(0 if size == 1 else 1, max_rank))
    if rank == 0:
        return ()
    if size == 0:
        dims = [draw(st.integers(0, 4)) for _ in range(rank)]
        dims[draw(st.integers(0, rank - 1))] = 0
        return tuple(dims)
    dims, rest = [], size
    for _ in range(rank - 1):
        divisors = [d for d in range(1, rest + 1) if rest % d == 0]
        d = draw(st.sampled_from(divisors))
        dims.append(d)
        rest //= d
    dims.append(rest)
    return tuple(draw(st.permutations(dims)))


ANY_DTYPE = st.sampled_from(DTYPES)


@given(data=st.data())
@few(25)
def test_reshape_any_factorization_of_any_layout(data: Any) -> None:
    dtype = data.draw(ANY_DTYPE, "dtype")
    shape = data.draw(SHAPES, "shape")
    x = data.draw(laid_out(dtype, shape), "x")
    new = _factorizations(data.draw, x.size)
    check_movement("reshape", x.reshape(new), x, shape=new)


@given(data=st.data())
@few(30)
def test_broadcast_to_adds_and_stretches_axes(data: Any) -> None:
    dtype = data.draw(ANY_DTYPE, "dtype")
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0,
                                                         max_dims=4, max_side=5))
    src = shapes.input_shapes[0]
    target = shapes.result_shape
    assume(len(target) >= len(src))
    lead = len(target) - len(src)
    assume(all(d in (1, t) for d, t in zip(src, target[lead:])))
    x = data.draw(laid_out(dtype, src), "x")
    check_movement("broadcast_to", np.broadcast_to(x, target), x, shape=target)
    with pytest.raises(ShapeError):
        apply("broadcast_to", var((2, 3), dtype), shape=(3, 3))


@given(data=st.data())
@few(30)
def test_transpose_by_any_permutation(data: Any) -> None:
    dtype = data.draw(ANY_DTYPE, "dtype")
    x = data.draw(laid_out(dtype, data.draw(SHAPES, "shape")), "x")
    perm = tuple(data.draw(st.permutations(range(x.ndim)), "perm"))
    check_movement("transpose", np.transpose(x, perm), x, perm=perm)


@st.composite
def slices(draw: Any, shape: tuple[int, ...]) -> tuple[tuple, tuple, tuple]:
    """Normalised (start, stop, step) per axis, as `slice.indices` gives them."""
    starts, stops, steps = [], [], []
    for d in shape:
        step = draw(st.sampled_from([1, 1, 2, 3, -1, -2, -3]))
        lo = draw(st.none() | st.integers(-d - 2, d + 2))
        hi = draw(st.none() | st.integers(-d - 2, d + 2))
        b, e, s = slice(lo, hi, step).indices(d)
        starts.append(b)
        stops.append(e)
        steps.append(s)
    return tuple(starts), tuple(stops), tuple(steps)


@given(data=st.data())
@few(40)
def test_slice_with_positive_and_negative_steps(data: Any) -> None:
    dtype = data.draw(ANY_DTYPE, "dtype")
    x = data.draw(laid_out(dtype, data.draw(SHAPES, "shape")), "x")
    start, stop, step = data.draw(slices(x.shape), "slice")
    want = x[tuple(slice(b, None if e < 0 else e, s) if len(range(b, e, s)) else slice(0, 0)
                   for b, e, s in zip(start, stop, step))]
    ref = evaluate("slice", [x], {"start": start, "stop": stop, "step": step})
    np.testing.assert_array_equal(ref, want)
    check_movement("slice", want, x, start=start, stop=stop, step=step)


@given(data=st.data())
@few(20)
def test_pad_with_a_constant_or_an_input_value(data: Any) -> None:
    dtype = data.draw(ANY_DTYPE, "dtype")
    x = data.draw(laid_out(dtype, data.draw(SHAPES, "shape")), "x")
    low = tuple(data.draw(st.lists(st.integers(0, 3), min_size=x.ndim, max_size=x.ndim)))
    high = tuple(data.draw(st.lists(st.integers(0, 3), min_size=x.ndim, max_size=x.ndim)))
    v = np.array(data.draw(elements(dtype), "value"), dtype=dtype)
    want = np.pad(x, list(zip(low, high)), constant_values=v) if x.ndim else x
    got = run_prim("pad", x, v, low=low, high=high)  # the pad value as a 0-d input
    assert_matches(got, want, dtype, what=f"pad {low} {high}")
    (got,) = run_graph(lambda a: apply("pad", a, const(v), low=low, high=high), x)
    assert_matches(got, want, dtype, what=f"pad const {low} {high}")


@given(data=st.data())
@few(30)
def test_concat_including_zero_size_pieces(data: Any) -> None:
    dtype = data.draw(ANY_DTYPE, "dtype")
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5))
    axis = data.draw(st.integers(0, len(shape) - 1), "axis")
    sizes = data.draw(st.lists(st.integers(0, 4), min_size=1, max_size=4), "sizes")
    pieces = [data.draw(laid_out(dtype, shape[:axis] + (n,) + shape[axis + 1:]), "piece")
              for n in sizes]
    assert_matches(run_prim("concat", *pieces, axis=axis), np.concatenate(pieces, axis),
                   dtype, what=f"concat axis {axis} sizes {sizes}")


@given(data=st.data())
@few(25)
def test_flip_any_axes(data: Any) -> None:
    dtype = data.draw(ANY_DTYPE, "dtype")
    x = data.draw(laid_out(dtype, data.draw(SHAPES, "shape")), "x")
    axes = tuple(sorted(data.draw(st.sets(st.integers(0, max(x.ndim - 1, 0)),
                                          max_size=x.ndim), "axes")))
    check_movement("flip", np.flip(x, axes), x, axes=axes)


@given(data=st.data())
@few(40)
def test_take_clip_and_wrap_with_out_of_range_and_negative_indices(data: Any) -> None:
    dtype = data.draw(ANY_DTYPE, "dtype")
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5))
    x = data.draw(laid_out(dtype, shape), "x")
    axis = data.draw(st.integers(0, x.ndim - 1), "axis")
    idx_dtype = data.draw(st.sampled_from(INTS), "index dtype")
    ishape = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=4))
    n = shape[axis]
    info = np.iinfo(idx_dtype)
    idx_elems = st.one_of(st.integers(max(-3 * n, int(info.min)), min(3 * n, int(info.max))),
                          st.sampled_from([int(info.min), int(info.max)]))
    idx = data.draw(laid_out(idx_dtype, ishape, idx_elems), "indices")
    mode = data.draw(st.sampled_from(["clip", "wrap"]), "mode")
    i64 = idx.astype(np.int64)
    want = np.take(x, np.mod(i64, shape[axis]) if mode == "wrap" else i64, axis=axis,
                   mode="clip")  # (NumPy's own wrap mode loops ~2**63 / n times at INT64_MIN)
    np.testing.assert_array_equal(evaluate("take", [x, idx], {"axis": axis, "mode": mode}),
                                  want)
    assert_matches(run_prim("take", x, idx, axis=axis, mode=mode), want, dtype,
                   what=f"take {mode} axis {axis}")


def test_take_rejects_float_indices_and_indexing_an_empty_axis() -> None:
    with pytest.raises(DTypeError):
        apply("take", var((3,), np.float32), var((2,), np.float32), axis=0, mode="clip")
    with pytest.raises(ShapeError):
        apply("take", var((0, 2), np.float32), var((2,), np.int32), axis=0, mode="clip")
    got = run_prim("take", np.zeros((0, 2), np.float32), np.zeros((0,), np.int32), axis=0,
                   mode="wrap")
    assert got.shape == (0, 2)


# ---- contraction and random ----------------------------------------------------------------


@given(data=st.data())
@few(30)
def test_dot_general_matmul_batch_and_layouts(data: Any) -> None:
    dtype = data.draw(st.sampled_from(NUMBERS), "dtype")
    nb = data.draw(st.integers(0, 1), "batch dims")
    b_, m, k, n = (data.draw(st.integers(0, 5)) for _ in range(4))
    a_shape, b_shape = (b_,) * nb + (m, k), (b_,) * nb + (k, n)
    elems = elements(dtype, -4, 4, full=False) if dtype.kind == "f" else st.integers(
        -5 if dtype.kind == "i" else 0, 5)
    a = data.draw(laid_out(dtype, a_shape, elems), "a")
    b = data.draw(laid_out(dtype, b_shape, elems), "b")
    attrs = {"contract": ((nb + 1,), (nb,)), "batch": (tuple(range(nb)), tuple(range(nb)))}
    got = run_prim("dot_general", a, b, **attrs)
    ref = reference("dot_general", a.astype(np.float64) if dtype.kind == "f" else a,
                    b.astype(np.float64) if dtype.kind == "f" else b, **attrs)
    with np.errstate(all="ignore"):
        scale = dot_ref = np.matmul(np.abs(a.astype(np.float64)), np.abs(b.astype(np.float64)))
    assert dot_ref.shape == got.shape
    finite = np.isfinite(scale)
    if dtype.kind == "f":  # (partial sums past the dtype's range overflow in its GEMM)
        finite &= scale <= np.finfo(dtype).max
    tol = {2: 4e-3, 4: 1e-6, 8: 1e-14}.get(dtype.itemsize, 0) * (k + 2)
    if dtype.kind == "f":
        assert_close(got[finite], ref[finite], dtype, scale[finite], tol, "dot_general")
    else:
        assert_matches(got, ref, dtype, what="dot_general")
    # the same through a fused epilogue and transposed operands
    (fused,) = run_graph(lambda p, q: apply("neg", apply(
        "dot_general", apply("transpose", p, perm=tuple(range(nb)) + (nb + 1, nb)), q,
        **attrs)), np.swapaxes(a, -1, -2), b)
    if dtype.kind == "f":
        assert_close(fused[finite], -ref[finite], dtype, scale[finite], tol, "neg(dot)")
    else:
        with np.errstate(all="ignore"):
            assert_matches(fused, -ref, dtype, what="neg(dot)")


@given(key=st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1)),
       shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=7))
@few(20)
def test_random_bits_match_philox_bit_for_bit(key: tuple[int, int], shape: tuple[int, ...]
                                              ) -> None:
    k = np.array(key, np.uint32)
    got = run_prim("random_bits", k, shape=shape)
    want = philox_numpy(k, np.arange(math.prod(shape), dtype=np.uint64)).reshape(shape)
    np.testing.assert_array_equal(got, want)
    assert got.dtype == np.uint32
    # a reversed key view and a fused consumer give the same bits
    kk = np.array(key[::-1], np.uint32)[::-1]
    (fused,) = run_graph(lambda q: apply("cast", apply("random_bits", q, shape=shape),
                                         dtype=np.dtype(np.int64)), kk)
    np.testing.assert_array_equal(fused, want.astype(np.int64))


@given(data=st.data())
@few(20)
def test_scatter_add_is_the_adjoint_of_take(data: Any) -> None:
    dtype = data.draw(st.sampled_from(NUMBERS), "dtype")
    size = data.draw(st.integers(1, 5), "size")
    rest = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=4))
    ishape = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=4))
    axis = data.draw(st.integers(0, len(rest)), "axis")
    mode = data.draw(st.sampled_from(["clip", "wrap"]), "mode")
    idx = data.draw(laid_out(np.dtype(np.int32), ishape, st.integers(-2 * size, 2 * size)))
    g = data.draw(laid_out(dtype, rest[:axis] + ishape + rest[axis:],
                           elements(dtype, -4, 4, full=False)), "updates")
    attrs = {"axis": axis, "mode": mode, "size": size}
    got = run_prim("scatter_add", g, idx, **attrs)
    ref = reference("scatter_add", g, idx, **attrs)
    # <take(x, i), g> == <x, scatter_add(g, i)> for every x: check on a one-hot basis
    scale = np.abs(ref.astype(np.float64)) + 8 * (idx.size + 1)
    assert_close(got, ref, dtype, scale, what="scatter_add")
    (fused,) = run_graph(lambda a, b: apply("neg", apply("scatter_add", a, b, **attrs)), g, idx)
    with np.errstate(all="ignore"):
        assert_close(fused, -ref, dtype, scale, what="neg(scatter)")


def test_mark_is_the_identity_and_fuses() -> None:
    x = np.arange(12, dtype=np.float32).reshape(3, 4)[:, ::-2]
    (got,) = run_graph(lambda v: apply("add", apply("mark", v, id=1), v), x)
    np.testing.assert_array_equal(got, x + x)
    np.testing.assert_array_equal(run_prim("mark", x, id=2), x)


def test_random_bits_known_answer_and_key_checks() -> None:
    # Philox-4x32-10 known-answer vector (Random123): counter 0, key 0 -> word 0 0x6627e8d5
    assert philox_numpy(np.zeros(2, np.uint32), np.zeros(1, np.uint64))[0] == 0x6627E8D5
    assert run_prim("random_bits", np.zeros(2, np.uint32), shape=(1,))[0] == 0x6627E8D5
    with pytest.raises(DTypeError):
        apply("random_bits", var((2,), np.int32), shape=(3,))


# ---- the user API: eager mx.nd and mx.jit --------------------------------------------------

#: mx.nd functions that are one primitive (nd.rint is MXNet's own rounding of halves, a
#: composite: tests/nd/test_elementwise_math.py)
ND_UNARY = {"exp": "exp", "expm1": "expm1", "log": "log", "log1p": "log1p", "sin": "sin",
            "cos": "cos", "tan": "tan", "tanh": "tanh", "sigmoid": "sigmoid", "erf": "erf",
            "sqrt": "sqrt", "rsqrt": "rsqrt", "floor": "floor", "ceil": "ceil",
            "round": "round", "trunc": "trunc", "sign": "sign", "abs": "abs",
            "negative": "neg", "fix": "trunc", "log2": "log2",
            "log10": "log10", "cbrt": "cbrt", "arcsin": "arcsin", "arccos": "arccos",
            "arctan": "arctan", "sinh": "sinh", "cosh": "cosh", "arcsinh": "arcsinh",
            "arccosh": "arccosh", "arctanh": "arctanh", "erfinv": "erfinv", "gamma": "gamma",
            "gammaln": "gammaln"}
ND_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "mod": lambda a, b: a % b, "pow": lambda a, b: a ** b,
    "maximum": nd.maximum, "minimum": nd.minimum, "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b, "lt": lambda a, b: a < b, "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b}


def _wrap(x: np.ndarray) -> NDArray:
    """An NDArray over this exact buffer (views stay views, as eager transpose gives)."""
    return NDArray._wrap(x)


@pytest.mark.parametrize("fname", sorted(ND_UNARY))
@given(data=st.data())
@few(3)
def test_nd_unary_eager_and_jit(fname: str, data: Any) -> None:
    prim = ND_UNARY[fname]
    dtype = data.draw(st.sampled_from(_accepted_dtypes(prim, 1)), "dtype")
    x = data.draw(laid_out(dtype, data.draw(SHAPES, "shape"), _elems_for(prim, dtype)), "x")
    f = getattr(nd, fname)
    ref = reference(prim, x)
    if prim in ("sin", "cos", "tan"):
        ref = np.where(np.abs(x.astype(np.float64)) >= TRIG_RANGE[dtype.itemsize],
                       np.nan, ref)
        x = np.where(np.isnan(ref), dtype.type(0), x).astype(dtype)
        ref = reference(prim, x)
    ulps = _allowed_ulps(prim, dtype)
    for how, got in (("nd", f(_wrap(x)).asnumpy()), ("jit nd", mx.jit(f)(x).asnumpy())):
        assert_matches(got, absolute_near_zeros(prim, got, ref, ulps), dtype, ulps,
                       f"{how}.{fname}")


@pytest.mark.parametrize("op", sorted(ND_BINARY))
@given(data=st.data())
@few(3)
def test_nd_binary_broadcasting_eager_and_jit(op: str, data: Any) -> None:
    dtype = data.draw(st.sampled_from([d for d in NUMBERS if accepts(
        op, *[AbstractValue((1,), d)] * 2)]), "dtype")
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=4,
                                                         max_side=5))
    elems = _elems_for(op, dtype)
    a = data.draw(laid_out(dtype, shapes.input_shapes[0], elems), "a")
    b = data.draw(laid_out(dtype, shapes.input_shapes[1], elems), "b")
    a_full = np.broadcast_to(a, shapes.result_shape)
    b_full = np.broadcast_to(b, shapes.result_shape)
    ref = reference(op, a_full, b_full)
    if op in ("eq", "ne", "lt", "le", "gt", "ge"):  # MXNet gives 1/0 in the operand dtype
        ref = ref.astype(dtype)
    f = ND_BINARY[op]
    ulps = _allowed_ulps(op, dtype)
    assert_matches(f(_wrap(a), _wrap(b)).asnumpy(), ref, dtype, ulps, f"nd {op}")
    assert_matches(mx.jit(f)(a, b).asnumpy(), ref, dtype, ulps, f"jit {op}")
    # with a Python scalar on either side
    s = np.asarray(data.draw(st.sampled_from(special_values(dtype)[:8]), "scalar"), dtype)
    with np.errstate(all="ignore"):
        ref = reference(op, a, np.full(a.shape, s, dtype))
        ref_r = reference(op, np.full(a.shape, s, dtype), a)
    if op in ("eq", "ne", "lt", "le", "gt", "ge"):
        ref, ref_r = ref.astype(dtype), ref_r.astype(dtype)
    assert_matches(f(_wrap(a), s.item()).asnumpy(), ref, dtype, ulps, f"nd {op} scalar")
    assert_matches(f(s.item(), _wrap(a)).asnumpy(), ref_r, dtype, ulps, f"nd scalar {op}")


@pytest.mark.parametrize("fname", ["sum", "max", "min", "prod", "mean"])
@given(data=st.data())
@few(12)
def test_nd_reductions_eager_and_jit(fname: str, data: Any) -> None:
    x, axes = data.draw(reduction_case([np.dtype("float32"), np.dtype("float64"),
                                        np.dtype("int32"), np.dtype("int64")],
                                       nonempty=True), "case")
    assume(x.ndim > 0)
    if fname in ("prod", "mean", "sum") and x.dtype.kind == "f":
        lim = 1.5 if fname == "prod" else 3  # (no overflow: inf * 0 would depend on order)
        x = np.clip(np.nan_to_num(x), -lim, lim).astype(x.dtype)
    keepdims = data.draw(st.booleans(), "keepdims")
    axis = axes if axes else None
    f = getattr(nd, fname)
    npf = {"sum": np.sum, "max": np.max, "min": np.min, "prod": np.prod, "mean": np.mean}[fname]
    with np.errstate(all="ignore"):
        want = npf(x.astype(np.float64) if x.dtype.kind == "f" else x, axis=axis,
                   keepdims=keepdims)
    want = np.asarray(want)
    if want.ndim == 0:
        want = want.reshape(1)
    eager = f(_wrap(x), axis=axis, keepdims=keepdims).asnumpy()
    jitted = mx.jit(lambda v: f(v, axis=axis, keepdims=keepdims))(x).asnumpy()
    for got in (eager, jitted):
        assert got.shape == want.shape
        if fname == "mean" and x.dtype.kind != "f":
            continue  # integer mean: MXNet's integer division, not checked here
        with np.errstate(all="ignore"):
            scale = npf(np.abs(x.astype(np.float64)), axis=axis, keepdims=keepdims) + 1
        assert_close(got, want.astype(x.dtype), x.dtype, np.reshape(scale, want.shape),
                     {4: 1e-5, 8: 1e-13}.get(x.dtype.itemsize, 0), f"nd.{fname}")


@given(data=st.data())
@few(20)
def test_nd_argmax_argmin_eager_and_jit(data: Any) -> None:
    dtype = data.draw(st.sampled_from(NUMBERS), "dtype")
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5))
    x = data.draw(laid_out(dtype, shape, st.sampled_from(special_values(dtype)[:5])), "x")
    axis = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1), "axis")
    for fname in ("argmax", "argmin"):
        want = getattr(np, fname)(x, axis=axis)
        want = np.asarray(want, np.float32).reshape(-1 if axis is None else want.shape)
        f = getattr(nd, fname)
        np.testing.assert_array_equal(f(_wrap(x), axis=axis).asnumpy(), want)
        np.testing.assert_array_equal(mx.jit(lambda v, f=f: f(v, axis=axis))(x).asnumpy(),
                                      want)


@given(data=st.data())
@few(15)
def test_nd_movement_eager_and_jit(data: Any) -> None:
    dtype = data.draw(st.sampled_from(NUMBERS), "dtype")
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5))
    x = data.draw(laid_out(dtype, shape), "x")
    perm = tuple(data.draw(st.permutations(range(x.ndim)), "perm"))
    new = _factorizations(data.draw, x.size)
    axis = data.draw(st.integers(0, x.ndim - 1), "axis")
    idx = data.draw(hnp.arrays(np.int32, data.draw(st.integers(0, 4)), elements=st.integers(
        -7, 7)), "indices")

    def f(v: Any) -> Any:
        t = nd.transpose(v, axes=perm)
        return (nd.reshape(t, shape=new), nd.flip(v, axis=axis), nd.concat(v, v, dim=axis),
                nd.expand_dims(v, 0), nd.broadcast_to(nd.expand_dims(v, 0), (2,) + shape),
                nd.take(v, nd.array(idx, dtype="int32"), axis=axis) if shape[axis] else t,
                nd.take(v, nd.array(idx, dtype="int32"), axis=axis, mode="wrap")
                if shape[axis] else t)

    want = (np.transpose(x, perm).reshape(new), np.flip(x, axis), np.concatenate([x, x], axis),
            x[None], np.broadcast_to(x[None], (2,) + shape),
            np.take(x, idx, axis=axis, mode="clip") if shape[axis] else np.transpose(x, perm),
            np.take(x, idx % max(shape[axis], 1), axis=axis) if shape[axis]
            else np.transpose(x, perm))
    for got_tuple, how in ((f(_wrap(x)), "eager"), (mx.jit(f)(x), "jit")):
        for k, (got, w) in enumerate(zip(got_tuple, want)):
            assert_matches(got.asnumpy(), w, dtype, what=f"{how} movement #{k}")


@given(data=st.data())
@few(10)
def test_nd_where_cast_clip_relu_eager_and_jit(data: Any) -> None:
    dtype = data.draw(st.sampled_from(NUMBERS), "dtype")
    to = data.draw(st.sampled_from(DTYPES), "to")
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3,
                                                         max_side=4))
    c = data.draw(laid_out(dtype, shapes.input_shapes[0]), "cond")
    a = data.draw(laid_out(dtype, shapes.input_shapes[1]), "a")
    b = data.draw(laid_out(dtype, shapes.input_shapes[2]), "b")

    def f(c: Any, a: Any, b: Any) -> Any:
        return (nd.where(c, a, b), nd.cast(a, to), nd.clip(a, lo, 3), nd.relu(a))

    lo = 0 if dtype.kind == "u" else -2
    # (MXNet's rule: a 1-D condition as long as x's first axis selects rows of x)
    rows = c.ndim == 1 and a.ndim > 1 and c.shape[0] == a.shape[0] and c.shape != a.shape
    picked = c.reshape(c.shape + (1,) * (a.ndim - 1)) if rows else c
    with np.errstate(all="ignore"):
        want = (np.where(picked != 0, a, b), reference("cast", a, dtype=to),
                np.minimum(np.maximum(a, dtype.type(lo)), dtype.type(3)),
                # (relu keeps NaN and makes -0 +0, as MXNet's does)
                np.where((a > 0) | np.isnan(a), a, dtype.type(0)))
    for got_tuple, how in ((f(_wrap(c), _wrap(a), _wrap(b)), "eager"), (mx.jit(f)(c, a, b),
                                                                         "jit")):
        for k, (got, w) in enumerate(zip(got_tuple, want)):
            d = to if k == 1 else dtype
            assert_matches(got.asnumpy(), np.asarray(w).astype(d), d, what=f"{how} #{k}")


@given(data=st.data())
@few(15)
def test_nd_dot_and_batch_dot_eager_and_jit(data: Any) -> None:
    dtype = data.draw(st.sampled_from([np.dtype("float32"), np.dtype("float64"),
                                       np.dtype("int32")]), "dtype")
    m, k, n = (data.draw(st.integers(1, 5)) for _ in range(3))
    batch = tuple(data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=2), "batch"))
    elems = st.integers(-4, 4)
    a = data.draw(laid_out(dtype, (m, k), elems), "a")
    b = data.draw(laid_out(dtype, (k, n), elems), "b")
    p = data.draw(laid_out(dtype, batch + (m, k), elems), "p")
    q = data.draw(laid_out(dtype, batch + (n, k), elems), "q")

    def f(a: Any, b: Any, p: Any, q: Any) -> Any:
        return (nd.dot(a, b), nd.dot(b, a, transpose_a=True, transpose_b=True),
                nd.batch_dot(p, q, transpose_b=True))

    want = (a @ b, b.T @ a.T, p @ np.swapaxes(q, -1, -2))
    for got_tuple, how in ((f(*map(_wrap, (a, b, p, q))), "eager"), (mx.jit(f)(a, b, p, q),
                                                                      "jit")):
        for j, (got, w) in enumerate(zip(got_tuple, want)):
            assert_matches(got.asnumpy(), w, dtype, what=f"{how} dot #{j}")


# ---- random DAGs of primitives -------------------------------------------------------------

FLOAT_UNARY = ["neg", "abs", "tanh", "sin", "sigmoid", "cos"]
INT_UNARY = ["neg", "abs", "sign"]
FLOAT_BINARY = ["add", "sub", "mul", "maximum", "minimum"]
INT_BINARY = ["add", "sub", "mul", "maximum", "minimum", "div", "mod"]
MOVEMENT = ["transpose", "reshape", "flip", "slice", "pad", "broadcast_to", "concat", "take"]
REDUCE = ["reduce_sum", "reduce_max", "reduce_min", "argmax"]


@st.composite
def dags(draw: Any) -> tuple[np.dtype, list[np.ndarray], list[tuple], list[int]]:
    """A recipe of 3-10 primitive applications over 1-3 inputs, with one reduction.

    Each step is (op, operand ids, attrs) or ('const', value); ids count inputs first.
    Values are kept bounded (`bound`) so float results stay well conditioned.
    """
    dtype = draw(st.sampled_from([np.dtype("float32"), np.dtype("float64"),
                                  np.dtype("float16"), np.dtype("int32"), np.dtype("int8")]))
    is_float = dtype.kind == "f"
    base = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5))
    n_in = draw(st.integers(1, 3))
    shapes = [base]
    for _ in range(n_in - 1):
        how = draw(st.sampled_from(["same", "bcast", "other"]))
        if how == "same":
            shapes.append(base)
        elif how == "bcast":
            shapes.append(tuple(1 if draw(st.booleans()) else d for d in base))
        else:
            shapes.append(draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0,
                                                max_side=4)))
    elems = st.floats(-2, 2, width=dtype.itemsize * 8) if is_float else st.integers(-9, 9)
    arrays = [draw(laid_out(dtype, s, elems)) for s in shapes]
    nodes: list[tuple[tuple[int, ...], np.dtype, float]] = [(s, dtype, 2.0 if is_float else 9)
                                                            for s in shapes]
    steps: list[tuple] = []

    def push(step: tuple, shape: tuple[int, ...], dt: np.dtype, bound: float) -> int:
        steps.append(step)
        nodes.append((shape, dt, bound))
        return len(nodes) - 1

    def pick(pred: Callable[[int], bool] = lambda k: True) -> int | None:
        ok = [k for k in range(len(nodes)) if nodes[k][1] == dtype and pred(k)]
        return draw(st.sampled_from(ok)) if ok else None

    def scalar(v: Any) -> int:
        return push(("const", np.array(v, dtype)), (), dtype, abs(float(v)))

    def fit(k: int, shape: tuple[int, ...]) -> int:
        """Node k made to have `shape` (broadcast, reshape or a fill)."""
        s, _, bnd = nodes[k]
        if s == shape:
            return k
        lead = len(shape) - len(s)
        if lead >= 0 and all(d in (1, t) for d, t in zip(s, shape[lead:])):
            return push(("broadcast_to", (k,), {"shape": shape}), shape, dtype, bnd)
        if math.prod(s) == math.prod(shape):
            return push(("reshape", (k,), {"shape": shape}), shape, dtype, bnd)
        c = scalar(draw(elems))
        return push(("broadcast_to", (c,), {"shape": shape}), shape, dtype, nodes[c][2])

    n_ops = draw(st.integers(3, 10))
    reduce_at = draw(st.integers(0, n_ops - 1))
    for j in range(n_ops):
        a = pick()
        assert a is not None
        shape, _, bound = nodes[a]
        rank, size = len(shape), math.prod(shape)
        if j == reduce_at:
            op = draw(st.sampled_from(REDUCE))
            if op == "argmax":
                if rank == 0 or 0 in shape:
                    continue
                axis = draw(st.integers(0, rank - 1))
                kept = shape[:axis] + shape[axis + 1:]
                r = push(("argmax", (a,), {"axis": axis}), kept, np.dtype(np.int64),
                         shape[axis])
                push(("cast", (r,), {"dtype": dtype}), kept, dtype, shape[axis])
                continue
            axes = tuple(sorted(draw(st.sets(st.integers(0, max(rank - 1, 0)),
                                             max_size=rank))))
            if op != "reduce_sum" and any(shape[x] == 0 for x in axes):
                op = "reduce_sum"
            n = math.prod(shape[x] for x in axes) if op == "reduce_sum" else 1
            if bound * n > 1e4:
                continue
            kept = tuple(d for x, d in enumerate(shape) if x not in axes)
            push((op, (a,), {"axes": axes}), kept, dtype, bound * n)
            continue
        cat = draw(st.sampled_from(["unary", "binary", "binary", "movement", "movement",
                                    "where"]))
        if cat == "unary":
            op = draw(st.sampled_from(FLOAT_UNARY if is_float else INT_UNARY))
            nb = 1.0 if op in ("tanh", "sin", "cos", "sigmoid") else bound + 1
            push((op, (a,), {}), shape, dtype, nb)
        elif cat in ("binary", "where"):
            b = pick(lambda k, s=shape: nodes[k][0] == s) if draw(st.booleans()) else pick()
            assert b is not None
            b = fit(b, shape)
            bb = nodes[b][2]
            if cat == "where":
                c = push(("lt", (a, b), {}), shape, BOOL, 1)
                push(("where", (c, b, a), {}), shape, dtype, max(bound, bb))
                continue
            op = draw(st.sampled_from(FLOAT_BINARY if is_float else INT_BINARY))
            nb = bound * bb if op == "mul" else bound + bb
            if is_float and nb > 1e4:
                op, nb = "maximum", max(bound, bb)
            push((op, (a, b), {}), shape, dtype, nb)
        else:
            op = draw(st.sampled_from(MOVEMENT))
            if op == "transpose":
                perm = tuple(draw(st.permutations(range(rank))))
                push((op, (a,), {"perm": perm}), tuple(shape[p] for p in perm), dtype, bound)
            elif op == "reshape":
                new = _factorizations(draw, size, 4)
                push((op, (a,), {"shape": new}), new, dtype, bound)
            elif op == "flip":
                axes = tuple(sorted(draw(st.sets(st.integers(0, max(rank - 1, 0)),
                                                 max_size=rank))))
                push((op, (a,), {"axes": axes}), shape, dtype, bound)
            elif op == "slice":
                start, stop, step = draw(slices(shape))
                new = tuple(len(range(*t)) for t in zip(start, stop, step))
                push((op, (a,), {"start": start, "stop": stop, "step": step}), new, dtype,
                     bound)
            elif op == "pad":
                low = tuple(draw(st.integers(0, 2)) for _ in shape)
                high = tuple(draw(st.integers(0, 2)) for _ in shape)
                if math.prod(d + lo + hi for d, lo, hi in zip(shape, low, high)) > 3000:
                    continue
                v = scalar(draw(elems))
                new = tuple(d + lo + hi for d, lo, hi in zip(shape, low, high))
                push((op, (a, v), {"low": low, "high": high}), new, dtype,
                     max(bound, nodes[v][2]))
            elif op == "broadcast_to":
                if size * 3 > 3000 or rank >= 4:
                    continue
                new = (draw(st.integers(0, 3)),) + tuple(
                    draw(st.sampled_from([1, 3])) if d == 1 else d for d in shape)
                push((op, (a,), {"shape": new}), new, dtype, bound)
            elif op == "concat":
                if rank == 0 or size * 2 > 3000:
                    continue
                axis = draw(st.integers(0, rank - 1))
                b = pick(lambda k, s=shape, ax=axis: len(nodes[k][0]) == len(s) and all(
                    d == e for x, (d, e) in enumerate(zip(nodes[k][0], s)) if x != ax))
                assert b is not None
                new = list(shape)
                new[axis] += nodes[b][0][axis]
                push((op, (a, b), {"axis": axis}), tuple(new), dtype, max(bound, nodes[b][2]))
            else:  # take with a constant index array
                if rank == 0 or shape[0] == 0:
                    continue
                n_idx = draw(st.integers(0, 6))
                idx = np.array([draw(st.integers(-2 * shape[0], 2 * shape[0]))
                                for _ in range(n_idx)], np.int64)
                steps.append(("const", idx))
                nodes.append(((n_idx,), np.dtype(np.int64), 0))
                mode = draw(st.sampled_from(["clip", "wrap"]))
                push((op, (a, len(nodes) - 1), {"axis": 0, "mode": mode}),
                     (n_idx,) + shape[1:], dtype, bound)
    outs = [len(nodes) - 1]
    extra = draw(st.integers(0, len(nodes) - 1))
    if extra != outs[0] and nodes[extra][1] == dtype:
        outs.append(extra)
    return dtype, arrays, steps, outs


def _replay(steps: list[tuple], inputs: list[Any], leaf: Callable[[np.ndarray], Any],
            op: Callable[..., Any]) -> list[Any]:
    values = list(inputs)
    for step in steps:
        if step[0] == "const":
            values.append(leaf(step[1]))
        else:
            name, args, attrs = step
            values.append(op(name, [values[k] for k in args], attrs))
    return values


@given(dags())
@few(40)
def test_random_dags_jit_compile_like_node_by_node_numpy(case: tuple) -> None:
    from mxjit.core import bind

    dtype, arrays, steps, outs = case
    with np.errstate(all="ignore"):
        ref = _replay(steps, arrays, lambda v: v, lambda n, xs, at: evaluate(n, xs, at))

    def f(*xs: Any) -> Any:
        vals = _replay(steps, list(xs), lambda v: NDArray._traced(const(v)),
                       lambda n, args, at: bind(n, *args, **at))
        return tuple(vals[k] for k in outs)

    got = mx.jit(f)(*arrays)
    scale = max([float(np.max(np.abs(v.astype(np.float64)), initial=0)) for v in ref
                 if v.dtype.kind == "f"], default=0.0)
    for k, g in zip(outs, got):
        what = f"output {k} of {steps}"
        if dtype.kind == "f":
            tol = {2: 4e-3, 4: 1e-5, 8: 1e-12}[dtype.itemsize] * (1 + scale) ** 2
            assert_close(g.asnumpy(), ref[k], dtype, 1.0, tol, what)
        else:
            assert_matches(g.asnumpy(), ref[k], dtype, what=what)


# ---- regressions found by the properties above ---------------------------------------------


def test_float16_rounds_after_every_fused_op_like_numpy() -> None:
    a, b = np.array([2048, 1000], np.float16), np.array([1, 0.25], np.float16)
    got = mx.jit(lambda x, y: (x + y) - x)(a, b).asnumpy()
    np.testing.assert_array_equal(got, (a + b) - a)  # 2049 is not a float16: 0, not 1
    x = np.array([65530.0, 3.0], np.float32)
    got = mx.jit(lambda v: nd.cast(v, "float16") * 0.5)(x).asnumpy()
    np.testing.assert_array_equal(got, x.astype(np.float16) * np.float16(0.5))  # inf stays


def test_scalar_literals_and_constant_outputs() -> None:
    x = np.arange(4, dtype=np.int64)
    np.testing.assert_array_equal(mx.jit(lambda v: v * 3 + 5)(x).asnumpy(), x * 3 + 5)
    assert mx.jit(lambda v: v * 0)(np.array(7, np.int32)).asnumpy() == 0  # output: a const
    (got,) = run_graph(lambda v: apply("isnan", v), np.array(3, np.int8))
    assert got.shape == () and not got
    user = np.arange(3.0)
    node = const(user)
    assert user.flags.writeable and node.attr("value").array.shape == (3,)
    assert const(np.float32(2)).attr("value").array.shape == ()


def test_eager_cast_to_the_same_dtype_is_a_copy() -> None:
    x = nd.array(np.arange(3, dtype=np.float32))
    y = nd.cast(x, "float32")
    assert y.asnumpy().tolist() == [0, 1, 2] and y._buffer() is not x._buffer()


# ---- windows and convolution -----------------------------------------------------------------

def windows_by_loops(x: np.ndarray, fill: Any, stride: tuple, dilate: tuple, pad: tuple,
                     out: tuple) -> np.ndarray:
    """window_slices element by element: out[..., k, o] = x[..., k, o*s + k*d - p]."""
    nd_ = len(stride)
    taps, size = x.shape[-2 * nd_:-nd_], x.shape[-nd_:]
    res = np.full(x.shape[:-nd_] + tuple(out), fill, x.dtype)
    for k in np.ndindex(*taps):
        for o in np.ndindex(*out):
            at = tuple(a * s + b * d - p for a, s, b, d, p in zip(o, stride, k, dilate, pad))
            if all(0 <= i < n for i, n in zip(at, size)):
                res[(...,) + k + o] = x[(...,) + k + at]
    return res


@st.composite
def window_cases(draw: st.DrawFn) -> tuple:
    nd_ = draw(st.integers(1, 2))
    ints = st.integers
    taps = tuple(draw(ints(1, 3)) for _ in range(nd_))
    size = tuple(draw(ints(1, 6)) for _ in range(nd_))
    attrs = {"stride": tuple(draw(ints(1, 3)) for _ in range(nd_)),
             "dilate": tuple(draw(ints(1, 2)) for _ in range(nd_)),
             "pad": tuple(draw(ints(-1, 2)) for _ in range(nd_))}
    out = tuple(draw(ints(1, 5)) for _ in range(nd_))
    return (draw(ints(1, 2)),) + taps, size, out, attrs, draw(st.sampled_from(DTYPES))


def _values(dtype: np.dtype, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Small numbers of `dtype` with a few of its edge values among them."""
    if dtype == BOOL:
        return rng.integers(0, 2, shape).astype(bool)
    low = 0 if dtype.kind in "ub" else -8
    x = rng.integers(low, 8, shape).astype(dtype)
    if dtype.kind == "f" and x.size:
        x = (x / 2).astype(dtype)
        x.flat[rng.integers(0, x.size, min(3, x.size))] = special_values(dtype)[-3:]
    return x


@few(12)
@given(window_cases())
def test_window_slices_and_spread_match_loops_and_transpose_each_other(case) -> None:
    lead, size, out, attrs, dtype = case
    rng = np.random.default_rng(len(lead) + sum(size))
    x = _values(dtype, lead + size, rng)
    fill = special_values(dtype)[-1]
    want = windows_by_loops(x, fill, out=out, **attrs)
    got = run_prim("window_slices", x, np.asarray(fill, dtype), out=out, **attrs)
    np.testing.assert_array_equal(got, want)
    g = _values(dtype, lead + out, rng)
    spread = run_prim("window_spread", g, size=size, **attrs)
    np.testing.assert_array_equal(spread, evaluate("window_spread", [g], {"size": size,
                                                                        **attrs}))
    if dtype.kind == "f":  # the adjoint: <slices(x), g> = <x, spread(g)>
        # (over finite values: an inf where the other side is 0 makes one sum nan)
        xf = np.where(np.isfinite(x), x, 0).astype(np.float64)
        gf = np.where(np.isfinite(g), g, 0)
        spread_f = run_prim("window_spread", gf, size=size, **attrs)
        zeros = windows_by_loops(xf, 0, out=out, **attrs)
        lhs, rhs = (zeros * gf).sum(), (xf * spread_f).sum()
        np.testing.assert_allclose(lhs, rhs, rtol=1e-2 if dtype == np.float16 else 1e-6)


@few(8)
@given(st.integers(1, 3), st.sampled_from([1, 2]), st.integers(1, 3), st.integers(0, 2),
       st.sampled_from([np.float32, np.float64, np.float16, np.int32]))
def test_conv_primitives_planned_for_the_cpu_match_their_numpy_meaning(
        nd_, groups, stride, pad, dtype) -> None:
    import mxjit.kernels.convolution as cv

    rng = np.random.default_rng(nd_ * 10 + stride)
    size, kernel = (5,) * nd_, (3,) * nd_
    attrs = {"stride": (stride,) * nd_, "dilate": (1,) * nd_, "pad": (pad,) * nd_,
             "groups": groups}
    out = tuple((s + 2 * pad - k) // stride + 1 for s, k in zip(size, kernel))
    x, w, g = (rng.integers(-4, 5, shape).astype(dtype) for shape in (
        (3, 2 * groups) + size, (2 * groups, 2) + kernel, (3, 2 * groups) + out))
    tol = {np.float16: 2e-2, np.float32: 1e-4}.get(dtype, 1e-12)
    for op, a, b, extent in (("conv", x, w, {"out": out}),
                             ("conv_data_grad", g, w, {"size": size}),
                             ("conv_weight_grad", x, g, {"kernel": kernel})):
        want = evaluate(op, [a, b], {**attrs, **extent})
        got = run_prim(op, a, b, **attrs, **extent)
        assert got.dtype == dtype, op
        np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64),
                                   rtol=tol, atol=tol, err_msg=op)
        assert isinstance(cv.ConvPlan(op, a, b, {**attrs, **extent}), cv.ConvPlan)


# ---- coverage ------------------------------------------------------------------------------

#: opaque primitives (library calls: linalg, sorting, samplers, autograd's custom calls) run
#: their NumPy meaning itself, so only fused kernels need the comparison; loss_output is a
#: gradient-only marker (the identity forward)
NOT_KERNELS = {n for n, p in PRIMITIVES.items() if p.kind == "opaque"} - {"scatter_add"}
NOT_KERNELS |= {"loss_output"}
COVERED = set(ELEMENTWISE) | {
    "cast", "where", "iota", "mark", "reduce_sum", "reduce_prod", "reduce_max", "reduce_min",
    "argmax", "argmin", "reshape", "broadcast_to", "transpose", "slice", "pad", "concat",
    "flip", "take", "scatter_add", "dot_general", "random_bits", "window_slices",
    "window_spread", "conv", "conv_data_grad", "conv_weight_grad"}


def test_every_primitive_is_covered_here() -> None:
    """A new primitive needs a property test in this file (or a reason to be left out)."""
    import mxjit.kernels  # noqa: F401  (registers the library primitives)

    missing = set(PRIMITIVES) - COVERED - NOT_KERNELS
    assert not missing, f"primitives without a test against NumPy: {sorted(missing)}"
