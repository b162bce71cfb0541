"""mx.np against NumPy itself, over the same functions: shapes (0-d and empty included),
broadcasting, dtypes and edge values drawn by hypothesis. Where MXNet 1.9.1's mx.np differs
from NumPy on purpose, the expectation comes from `deviations.py`, the one list of them."""
from __future__ import annotations

import warnings

import numpy as onp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import mxjit as mx
from mxjit import jit, np
from mxjit.base import ShapeError, TracerError
from tests.helpers import check_grads

from .deviations import FLOAT16_CUMSUM_IN_FLOAT32, UNIQUE_INVERSE_IS_1D, expected_binary_dtype

FEW = settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)
FLOATS = [onp.float32, onp.float64]
ALL = ["bool", "int8", "uint8", "int32", "int64", "float16", "float32", "float64"]


def close(got, want, dtype=None):
    got_np = onp.asarray(got.asnumpy())
    assert got_np.shape == onp.shape(want), (got_np.shape, onp.shape(want))
    d = onp.dtype(dtype or got_np.dtype)
    if d.kind == "f":
        tol = {2: 2e-3, 4: 2e-5, 8: 1e-11}[d.itemsize]
        onp.testing.assert_allclose(got_np, onp.asarray(want, dtype=onp.float64), rtol=tol,
                                    atol=tol, equal_nan=True)
    else:
        onp.testing.assert_array_equal(got_np, want)


#: Float ufuncs and the interval their inputs are drawn from (edges included).
UNARY = {
    "exp": (-20, 20), "expm1": (-5, 5), "log": (1e-3, 1e3), "log10": (1e-3, 1e3),
    "log2": (1e-3, 1e3), "log1p": (-0.9, 100), "sqrt": (0, 1e4), "cbrt": (-1e3, 1e3),
    "sin": (-10, 10), "cos": (-10, 10), "tan": (-1.5, 1.5), "arcsin": (-1, 1),
    "arccos": (-1, 1), "arctan": (-50, 50), "sinh": (-5, 5), "cosh": (-5, 5),
    "tanh": (-20, 20), "arcsinh": (-50, 50), "arccosh": (1, 50), "arctanh": (-0.99, 0.99),
    "floor": (-50, 50), "ceil": (-50, 50), "trunc": (-50, 50), "fix": (-50, 50),
    "sign": (-5, 5), "abs": (-5, 5), "absolute": (-5, 5), "fabs": (-5, 5),
    "negative": (-5, 5), "square": (-50, 50), "reciprocal": (0.5, 50),
    "degrees": (-7, 7), "radians": (-400, 400), "rad2deg": (-7, 7), "deg2rad": (-400, 400),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@FEW
@given(data=st.data())
def test_unary_float_functions_match_numpy(name, data):
    lo, hi = UNARY[name]
    dtype = data.draw(st.sampled_from(FLOATS))
    x = data.draw(hnp.arrays(dtype, SHAPES, elements=st.floats(
        float(onp.float32(lo)), float(onp.float32(hi)), width=32, allow_subnormal=False)))
    got = getattr(np, name)(np.array(x))
    assert got.dtype == dtype
    close(got, getattr(onp, name)(x.astype(onp.float64)).astype(dtype))


@pytest.mark.parametrize("name", ["isnan", "isinf", "isposinf", "isneginf", "isfinite"])
@pytest.mark.parametrize("dtype", ALL)
def test_float_predicates_match_numpy_on_every_dtype(name, dtype):
    # (an integer 0 compared with the weak float 0.5 made isposinf(0) True)
    x = onp.array([0, 1, 2, -3, 7, 0], dtype=onp.float64)
    if dtype.startswith("float"):
        x[[1, 2, 3]] = [onp.inf, -onp.inf, onp.nan]
    x = x.astype(dtype) if dtype != "uint8" else onp.abs(x).astype(dtype)
    for shape in [(6,), (2, 3), (), (0, 2)]:
        arr = x[0] if shape == () else x[:0].reshape(0, 2) if shape == (0, 2) else x.reshape(
            shape)
        got = getattr(np, name)(np.array(arr, dtype=dtype))
        want = getattr(onp, name)(arr)
        assert got.dtype == onp.bool_
        onp.testing.assert_array_equal(got.asnumpy(), want)
        jitted = mx.jit(lambda a: getattr(np, name)(a))(np.array(arr, dtype=dtype))
        onp.testing.assert_array_equal(jitted.asnumpy(), want)


@pytest.mark.parametrize("name", ["sqrt", "exp", "log", "square", "abs", "sign", "negative"])
def test_float_math_of_integers_keeps_their_dtype(name):
    """deviations.FLOAT_MATH_KEEPS_INTEGERS: computed in float64, converted back."""
    x = onp.array([1, 2, 4, 9], dtype=onp.int32)
    got = getattr(np, name)(np.array(x))
    assert got.dtype == onp.int32
    want = getattr(onp, name)(x.astype(onp.float64))
    onp.testing.assert_array_equal(got.asnumpy(), want.astype(onp.int32))


#: Binary ufuncs, the dtypes they are drawn over, and the element strategy.
BINARY = ["add", "subtract", "multiply", "true_divide", "divide", "maximum", "minimum",
          "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
          "logical_and", "logical_or", "logical_xor", "mod", "power"]


def _elements(dtype, op, rhs):
    d = onp.dtype(dtype)
    if d.kind == "b":
        return st.booleans()
    if op in ("mod", "true_divide", "divide") and rhs:  # (no division by zero)
        return st.integers(1, 9) if d.kind in "iu" else st.floats(0.5, 9, width=16)
    if op == "power":
        return st.integers(0, 3) if d.kind in "iu" else st.floats(0.25, 3, width=16)
    return st.integers(0 if d.kind == "u" else -9, 9) if d.kind in "iu" else st.floats(
        -9, 9, width=16)


@pytest.mark.parametrize("op", BINARY)
@FEW
@given(data=st.data())
def test_binary_functions_broadcast_and_promote_as_mxnet_numpy(op, data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3,
                                                         max_side=3))
    kinds = ALL if op not in ("subtract", "power", "mod") else ALL[1:]
    da = onp.dtype(data.draw(st.sampled_from(kinds)))
    db = onp.dtype(data.draw(st.sampled_from(kinds)))
    if op in ("mod", "power") and {da.kind, db.kind} == {"i", "u"}:
        db = da  # (NumPy's own int/uint promotion to int64 is not what we check here)
    a = data.draw(hnp.arrays(da, shapes.input_shapes[0], elements=_elements(da, op, False)))
    b = data.draw(hnp.arrays(db, shapes.input_shapes[1], elements=_elements(db, op, True)))
    want_dtype = expected_binary_dtype(op, da, db)
    got = getattr(np, op)(np.array(a), np.array(b))
    assert got.dtype == want_dtype.type, (op, da, db, got.dtype)
    if op in ("logical_and", "logical_or", "logical_xor"):
        want = getattr(onp, op)(a, b)
    else:
        compute = want_dtype if want_dtype.kind != "b" else onp.result_type(da, db)
        with onp.errstate(all="ignore"):  # (x / 0 and 0 / 0 are drawn on purpose)
            want = getattr(onp, op)(a.astype(compute), b.astype(compute))
    close(got, onp.asarray(want).astype(want_dtype), want_dtype)


@FEW
@given(x=hnp.arrays(onp.float32, SHAPES, elements=st.floats(-9, 9, width=32)),
       scalar=st.sampled_from([2, 0.5, -3, True]))
def test_python_numbers_take_the_arrays_dtype(x, scalar):
    got = np.array(x) * scalar
    assert got.dtype == onp.float32
    close(got, x * onp.float32(scalar))


def test_integer_array_with_a_float_number_stays_integer_as_in_mxnet():
    """deviations.SCALARS_TAKE_ARRAY_DTYPE (NumPy would give float64 [2.5, 3.5])."""
    got = np.array([1, 2], dtype="int32") + 1.5
    assert got.dtype == onp.int32 and got.tolist() == [2, 3]
    assert (np.array([1, 2], dtype="int32") / 2).tolist() == [0.5, 1.0]
    assert (np.array([True, False], dtype=bool) + 2).dtype == onp.int64


REDUCTIONS = ["sum", "prod", "mean", "max", "min", "amax", "amin", "std", "var", "all",
              "any", "ptp", "nansum", "nanprod"]


@pytest.mark.parametrize("name", REDUCTIONS)
@FEW
@given(data=st.data())
def test_reductions_over_axes_match_numpy(name, data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    dtype = data.draw(st.sampled_from([onp.float32, onp.float64]))
    x = data.draw(hnp.arrays(dtype, shape, elements=st.floats(-3, 3, width=32)))
    axis = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1)
                     | st.just(tuple(range(len(shape)))))
    keepdims = data.draw(st.booleans())
    got = getattr(np, name)(np.array(x), axis=axis, keepdims=keepdims)
    want = getattr(onp, name)(x.astype(onp.float64), axis=axis, keepdims=keepdims)
    close(got, onp.asarray(want).astype(got.asnumpy().dtype))


@pytest.mark.parametrize("dtype,name,want", [
    ("bool", "sum", onp.int64), ("int8", "sum", onp.int8), ("int32", "mean", onp.float32),
    ("float16", "mean", onp.float16), ("int32", "prod", onp.int32),
    ("int8", "std", onp.float32), ("bool", "cumsum", onp.int64)])
def test_reduction_dtypes_follow_mxnet(dtype, name, want):
    """deviations.REDUCTION_KEEPS_DTYPE."""
    assert getattr(np, name)(np.ones(3, dtype=dtype)).dtype == want


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@FEW
@given(data=st.data())
def test_arg_reductions_give_int64_indices_like_numpy(name, data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    x = data.draw(hnp.arrays(onp.float32, shape, elements=st.floats(-9, 9, width=32),
                             unique=True))
    axis = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1))
    got = getattr(np, name)(np.array(x), axis=axis)
    assert got.dtype == onp.int64
    onp.testing.assert_array_equal(got.asnumpy(), getattr(onp, name)(x, axis=axis))


@FEW
@given(data=st.data())
def test_matmul_broadcasts_batches_and_vectors_like_numpy(data):
    n, k, m = (data.draw(st.integers(1, 4)) for _ in range(3))
    lead = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3))
    a_vec, b_vec = data.draw(st.booleans()), data.draw(st.booleans())
    a_shape = (k,) if a_vec else lead.input_shapes[0] + (n, k)
    b_shape = (k,) if b_vec else lead.input_shapes[1] + (k, m)
    a = data.draw(hnp.arrays(onp.float64, a_shape, elements=st.floats(-3, 3)))
    b = data.draw(hnp.arrays(onp.float64, b_shape, elements=st.floats(-3, 3)))
    close(np.array(a) @ np.array(b), a @ b)
    close(np.dot(np.array(a), np.array(b)), onp.dot(a, b))


@pytest.mark.parametrize("subscripts,shapes", [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ii", [(3, 3)]), ("ii->i", [(3, 3)]),
    ("ij->ji", [(2, 3)]), ("ij,ij->", [(2, 3), (2, 3)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("i,j->ij", [(2,), (3,)]), ("ijk,jl,kl->il", [(2, 3, 4), (3, 5), (4, 5)]),
    ("ij", [(2, 3)]), ("ji", [(2, 3)]), ("i,i", [(4,), (4,)]),
    ("...ij,...jk->...ik", [(2, 2, 3), (2, 3, 2)]), ("i...->...", [(3, 2, 2)]),
    ("...i,i", [(2, 3), (3,)])])
def test_einsum_matches_numpy(subscripts, shapes):
    rng = onp.random.default_rng(0)
    xs = [rng.standard_normal(s) for s in shapes]
    close(np.einsum(subscripts, *[np.array(x) for x in xs]), onp.einsum(subscripts, *xs))


@pytest.mark.parametrize("axes", [0, 1, 2, ((1, 0), (0, 1))])
def test_tensordot_matches_numpy(axes):
    rng = onp.random.default_rng(1)
    a, b = rng.standard_normal((3, 2, 4)), rng.standard_normal((2, 3, 4))
    if axes in (1, 2):
        b = rng.standard_normal((4, 2) if axes == 1 else (2, 4, 3))
    close(np.tensordot(np.array(a), np.array(b), axes), onp.tensordot(a, b, axes))


#: Shape functions called the same way on both libraries.
SHAPE_CASES = [
    ("reshape", lambda m, x: m.reshape(x, (3, -1))),
    ("ravel", lambda m, x: m.ravel(x)),
    ("transpose", lambda m, x: m.transpose(x, (1, 0, 2))),
    ("swapaxes", lambda m, x: m.swapaxes(x, 0, 2)),
    ("moveaxis", lambda m, x: m.moveaxis(x, 0, -1)),
    ("expand_dims", lambda m, x: m.expand_dims(x, 1)),
    ("squeeze", lambda m, x: m.squeeze(m.expand_dims(x, 0))),
    ("flip", lambda m, x: m.flip(x, 1)),
    ("flip_all", lambda m, x: m.flip(x)),
    ("concatenate", lambda m, x: m.concatenate([x, x], axis=1)),
    ("concatenate_none", lambda m, x: m.concatenate([x, x], axis=None)),
    ("stack", lambda m, x: m.stack([x, x], axis=-1)),
    ("vstack", lambda m, x: m.vstack([x[0], x[1]])),
    ("hstack", lambda m, x: m.hstack([x[0], x[1]])),
    ("dstack", lambda m, x: m.dstack([x[0], x[1]])),
    ("column_stack", lambda m, x: m.column_stack([x[0, 0], x[1, 0]])),
    ("split", lambda m, x: m.split(x, 2, axis=0)[1]),
    ("array_split", lambda m, x: m.array_split(x, 2, axis=1)[0]),
    ("split_points", lambda m, x: m.split(x, [1, 2], axis=1)[2]),
    ("tile", lambda m, x: m.tile(x, (2, 1, 1))),
    ("repeat", lambda m, x: m.repeat(x, 2, axis=1)),
    ("repeat_flat", lambda m, x: m.repeat(x, 2)),
    ("broadcast_to", lambda m, x: m.broadcast_to(x[:, :1], (2, 3, 4))),
    ("roll", lambda m, x: m.roll(x, 2, axis=2)),
    ("roll_flat", lambda m, x: m.roll(x, -3)),
    ("rot90", lambda m, x: m.rot90(x[0])),
    ("tril", lambda m, x: m.tril(x, -1)),
    ("triu", lambda m, x: m.triu(x[0], 1)),
    ("tril_1d", lambda m, x: m.tril(x[0, 0])),
    ("eye_no_columns", lambda m, x: m.eye(3, 0)),
    ("arange_step_none", lambda m, x: m.arange(1, 4, None)),
    ("all_empty", lambda m, x: m.all(x[:, :0], axis=1)),
    ("any_empty", lambda m, x: m.any(x[:0])),
    ("round_int_negative_decimals", lambda m, x: m.round(m.arange(-50, 50, 7, dtype="int32"),
                                                          -1)),
    ("pinv_rcond_per_matrix", lambda m, x: m.linalg.pinv(x[:, :2, :2], m.array([0.1, 0.5]))),
    ("norm_inf_string", lambda m, x: m.linalg.norm(x[0, 0], "inf" if m is np else m.inf)),
    ("where", lambda m, x: m.where(x > 0, x, 0.5)),
    ("take", lambda m, x: m.take(x, [[0, 1], [1, 0]], axis=1)),
    ("take_flat", lambda m, x: m.take(x, [5, 0, 7])),
    ("sort", lambda m, x: m.sort(x, axis=1)),
    ("argsort", lambda m, x: m.argsort(x, axis=-1)),
    ("cumsum", lambda m, x: m.cumsum(x, axis=1)),
    ("clip", lambda m, x: m.clip(x, -0.5, 0.5)),
    ("diag", lambda m, x: m.diag(x[0])),
    ("outer", lambda m, x: m.outer(x[0, 0], x[1, 1])),
    ("inner", lambda m, x: m.inner(x, x[0, 0])),
    ("kron", lambda m, x: m.kron(x[0], x[1, :2, :2])),
    ("atleast_3d", lambda m, x: m.atleast_3d(x[0, 0])),
    ("pad", lambda m, x: m.pad(x, ((0, 1), (1, 0), (2, 2)))),
    ("pad_edge", lambda m, x: m.pad(x, ((0, 1), (1, 0), (2, 2)), mode="edge")),
    ("pad_reflect", lambda m, x: m.pad(x, 2, mode="reflect")),
    ("argmax_0d", lambda m, x: m.argmax(x[0, 0, 0])),
    ("einsum_broadcast", lambda m, x: m.einsum("...ij,...jk", x[:1], m.swapaxes(x, 1, 2))),
    ("round", lambda m, x: m.round(x * 10, 0)),
    ("around", lambda m, x: m.around(x, 1)),
    ("hypot", lambda m, x: m.hypot(x, x[0])),
    ("arctan2", lambda m, x: m.arctan2(x, x[::-1])),
    ("copysign", lambda m, x: m.copysign(x, x[::-1])),
    ("floor_divide", lambda m, x: m.floor_divide(x, 0.3)),
    ("average", lambda m, x: m.average(x, axis=1, weights=x[0, :, 0] ** 2 + 1)),
    ("count_nonzero", lambda m, x: m.count_nonzero(m.floor(x), axis=0)),
    ("isnan", lambda m, x: m.isnan(m.log(x))),
    ("isfinite", lambda m, x: m.isfinite(m.log(x))),
    ("isinf", lambda m, x: m.isinf(m.log(m.abs(m.floor(x))))),
    ("isclose", lambda m, x: m.isclose(x, x[0] + 0.5, atol=0.3)),
    ("allclose", lambda m, x: m.allclose(x, x + 1e-9)),
    ("diagonal", lambda m, x: m.diagonal(x, 1, 1, 2)),
    ("trace", lambda m, x: m.trace(x[0])),
    ("diff", lambda m, x: m.diff(x, 2, axis=2)),
    ("ediff1d", lambda m, x: m.ediff1d(x[0, 0], to_begin=x[1, 1, :1])),
    ("signbit", lambda m, x: m.signbit(x)),
    ("nan_to_num", lambda m, x: m.nan_to_num(m.log(x))),
    ("take_along_axis", lambda m, x: m.take_along_axis(x, m.argsort(x, axis=1), axis=1)),
    ("searchsorted", lambda m, x: m.searchsorted(m.sort(x[0, 0]), x[1])),
    ("quantile", lambda m, x: m.quantile(x, 0.3, axis=2)),
    ("quantile_many", lambda m, x: m.quantile(x, [0.1, 0.9], axis=1, keepdims=True)),
    ("percentile", lambda m, x: m.percentile(x, 75)),
    ("median", lambda m, x: m.median(x, axis=0)),
    ("meshgrid", lambda m, x: m.meshgrid(x[0, 0], x[1, 1, :2], x[0, 1])[0]),
    ("meshgrid_ij", lambda m, x: m.meshgrid(x[0, 0], x[1, 1, :2], indexing="ij")[1]),
    ("indices", lambda m, x: m.indices((2, 3))),
    ("rollaxis", lambda m, x: m.rollaxis(x, 2, 1)),
    ("heaviside", lambda m, x: m.heaviside(m.floor(x), 0.5)),
    ("float_power", lambda m, x: m.float_power(m.abs(x), 1.5)),
    ("ldexp", lambda m, x: m.ldexp(x, 3)),
    ("polyval", lambda m, x: m.polyval(x[0, 0], x)),
    ("vander", lambda m, x: m.vander(x[0, 0], 3)),
    ("resize", lambda m, x: m.resize(x[0], (5, 3))),
    ("unravel_index", lambda m, x: m.unravel_index(m.array([0, 5, 7]), (2, 4))[1]),
    ("nanmax", lambda m, x: m.nanmax(m.log(x), axis=1)),
    ("nanmin", lambda m, x: m.nanmin(m.log(x))),
    ("hanning", lambda m, x: m.hanning(7)),
    ("hamming", lambda m, x: m.hamming(6)),
    ("blackman", lambda m, x: m.blackman(5)),
    ("bitwise_and", lambda m, x: m.bitwise_and(x > 0, x < 0.5)),
    ("multi_dot", lambda m, x: m.linalg.multi_dot([x[0], x[1].T, x[0]])),
    ("digitize (fallback)", lambda m, x: m.digitize(x, m.array([-0.5, 0.0, 0.5]))),
    ("cov (fallback)", lambda m, x: m.cov(x[0])),
    ("interp (fallback)", lambda m, x: m.interp(x[0, 0], m.array([-1.0, 1.0]),
                                                 m.array([0.0, 10.0]))),
    ("delete", lambda m, x: m.delete(x, m.array([0, 2]), axis=2)),
    ("delete_flat", lambda m, x: m.delete(x, slice(3, 20, 4))),
    ("diagflat", lambda m, x: m.diagflat(x[0], 1)),
    ("diagflat_low", lambda m, x: m.diagflat(x[1, 0], -2)),
]


def test_diagflat_differentiates():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    x.attach_grad()
    with mx.autograd.record():
        y = jit(lambda t: np.diagflat(t, k=1) * 2)(x)
    y.backward()
    assert x.grad.tolist() == [[2.0, 2.0], [2.0, 2.0]]


def test_delete_ignores_indices_outside_the_axis_as_mxnet_and_differentiates():
    x = np.arange(12.0).reshape(3, 4)
    picked = np.array([1, 3, 9, -1], dtype="int64")  # (9 and -1: ignored, as MXNet 1.9.1)
    assert np.delete(x, picked).tolist() == [0.0, 2.0, 4.0, 5.0, 6.0, 7.0, 8.0, 10.0, 11.0]
    x.attach_grad()
    with mx.autograd.record():
        y = jit(lambda t: np.delete(t, [0, 2], axis=1))(x)
    y.backward()
    assert x.grad.tolist() == [[0.0, 1.0, 0.0, 1.0]] * 3


FALLBACK_IN_JIT = [
    ("eigvals", lambda m, x: m.linalg.eigvals(x[0, :3, :3] @ x[0, :3, :3].T)),
    ("eigh_of_eig", lambda m, x: m.linalg.eig(x[0, :3, :3] + x[0, :3, :3].T)[0]),
    ("lcm", lambda m, x: m.lcm(m.floor(x * 9).astype("int32"), 6)),
    ("digitize", lambda m, x: m.digitize(x, m.array([-0.5, 0.0, 0.5]))),
    ("diag_indices_from", lambda m, x: m.diag_indices_from(x[0, :3, :3])[1]),
    ("interp_keywords", lambda m, x: m.interp(m.array([0.25]), xp=m.sort(x[0, 0]),
                                              fp=x[1, 1])),
]


@pytest.mark.parametrize("name,f", FALLBACK_IN_JIT, ids=[c[0] for c in FALLBACK_IN_JIT])
def test_numpy_fallbacks_run_inside_jit_as_host_calls(name, f):
    x = onp.random.default_rng(4).uniform(-1, 1, (2, 3, 4))
    eager = f(np, np.array(x))
    traced = jit(lambda v: f(np, v))(np.array(x))
    got = [eager, traced]
    if name.startswith(("eig", "eigh")):  # (eigenvalues in NumPy's order either way)
        got = [np.array(onp.sort(g.asnumpy())) for g in got]
    onp.testing.assert_allclose(got[1].asnumpy(), got[0].asnumpy(), rtol=1e-5)
    assert traced.dtype == eager.dtype


def test_no_gradient_flows_through_a_traced_fallback():
    x = np.array([1.0, 2.0])
    x.attach_grad()
    with mx.autograd.record():
        y = jit(lambda t: (np.interp(np.array([1.5]), t, np.array([0.0, 10.0])) + t).sum())(x)
    y.backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_ufunc_keywords_of_written_out_functions_follow_mxnet():
    a, i = np.array([1.5, -2.0]), np.array([3, 4], dtype="int32")
    for f, args in [(np.copysign, (a, a)), (np.hypot, (a, a)), (np.arctan2, (a, a)),
                    (np.ldexp, (a, 2)), (np.invert, (i,)), (np.bitwise_not, (i,)),
                    (np.bitwise_xor, (i, i)), (np.lcm, (i, i))]:
        f(*args, where=True, casting="same_kind", order="K", subok=True)
        with pytest.raises(mx.base.UnsupportedError, match="where=False is not supported"):
            f(*args, where=False)
        with pytest.raises(NotImplementedError):
            f(*args, order="C")
        with pytest.raises(TypeError, match="casting='mxnet' not understood"):
            f(*args, casting="mxnet")


@pytest.mark.parametrize("name,f", SHAPE_CASES, ids=[c[0] for c in SHAPE_CASES])
def test_shape_and_other_functions_match_numpy(name, f):
    x = onp.random.default_rng(2).uniform(-1, 1, (2, 3, 4))
    # (log of negatives: NaN rows on purpose, which nanmax warns of)
    with onp.errstate(all="ignore"), warnings.catch_warnings():
        warnings.filterwarnings("ignore", "All-NaN slice encountered", RuntimeWarning)
        want = f(onp, x)
    got = f(np, np.array(x))
    close(got if isinstance(got, np.ndarray) else np.array(onp.asarray(got)), want)


PAD_MODES = ["constant", "edge", "reflect", "symmetric", "maximum", "minimum"]
WIDTH = st.integers(0, 9)


@pytest.mark.parametrize("mode", PAD_MODES)
@FEW
@given(data=st.data())
def test_pad_matches_numpy_eagerly_and_under_jit(mode, data):
    shape = data.draw(SHAPES)
    dtype = data.draw(st.sampled_from(["int32", "float32", "float64"]))
    x = data.draw(hnp.arrays(onp.int8, shape, elements=st.integers(-9, 9))).astype(dtype)
    forms = [WIDTH, st.tuples(WIDTH, WIDTH)]  # (one int or one pair for all axes)
    if shape:  # (or a pair per axis)
        forms.append(st.tuples(*[st.tuples(WIDTH, WIDTH)] * len(shape)))
    widths = data.draw(st.one_of(forms))
    try:
        want = onp.pad(x, widths, mode=mode)
    except ValueError:  # (NumPy cannot fill a pad from an empty axis but with a constant)
        with pytest.raises(ShapeError, match=f"pad: mode '{mode}' cannot pad the empty axis"):
            np.pad(np.array(x), widths, mode=mode)
        return
    got = np.pad(np.array(x), widths, mode=mode)
    assert got.dtype == dtype
    close(got, want)
    close(jit(lambda v: np.pad(v, widths, mode=mode))(np.array(x)), want)


@pytest.mark.parametrize("mode", PAD_MODES)
@pytest.mark.parametrize("shape,widths", [
    ((1,), 5), ((2,), (7, 3)), ((3,), ((8, 0),)), ((3, 1), ((4, 0), (2, 5))),
    ((2, 3), ((5, 6), (7, 1))), ((), 3), ((0, 2), ((0, 0), (3, 1))), ((2, 0, 1), 0)])
def test_pad_edge_cases_match_numpy(mode, shape, widths):
    """Size-1 axes, pads wider than the axis (several times over), 0-d and empty arrays."""
    x = onp.random.default_rng(3).uniform(-1, 1, shape)
    close(np.pad(np.array(x), widths, mode=mode), onp.pad(x, widths, mode=mode))


@pytest.mark.parametrize("mode", PAD_MODES)
def test_pad_gradients_match_finite_differences(mode):
    x = onp.random.default_rng(4).permutation(6).reshape(3, 2) - 2.5  # (no tied maxima)
    widths = ((4, 1), (0, 5))  # (both wider than their axis)
    check_grads(lambda v: np.pad(v, widths, mode=mode) ** 2, [x])
    a = np.array(x)
    a.attach_grad()
    with mx.autograd.record():
        y = np.pad(a, widths, mode=mode) ** 2
    y.backward()
    close(a.grad, mx.grad(lambda v: (np.pad(v, widths, mode=mode) ** 2).sum())(np.array(x)))


@pytest.mark.parametrize("shape,mode,widths,error,message", [
    ((2, 3), "wrap", 1, ValueError, "pad: mode must be 'constant', .* or 'minimum', got 'wrap'"),
    ((2, 3), "symmetric", ((1, 2), (3, 4), (5, 6)), ShapeError, "not fit an array of 2 dims"),
    ((2, 3), "symmetric", ((1, -1), (0, 0)), ShapeError, "pad_width must be non-negative"),
    ((2, 3), "symmetric", 1.5, TypeError, "pad: pad_width must hold integers"),
    ((0, 3), "symmetric", 1, ShapeError, r"mode 'symmetric' cannot pad the empty axis 0"),
    ((3, 0), "edge", 1, ShapeError, r"mode 'edge' cannot pad the empty axis 1")])
def test_pad_errors(shape, mode, widths, error, message):
    with pytest.raises(error, match=message):
        np.pad(np.ones(shape), widths, mode=mode)


@FEW
@given(data=st.data())
def test_unique_along_an_axis_matches_numpy(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4))
    dtype = data.draw(st.sampled_from(["bool", "int32", "float32", "float64"]))
    x = data.draw(hnp.arrays(onp.int8, shape, elements=st.integers(0, 2))).astype(dtype)
    axis = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1))
    values, first, inverse, counts = np.unique(np.array(x), True, True, True, axis=axis)
    want = onp.unique(x, True, True, True, axis=axis)
    assert values.dtype == dtype and first.dtype == inverse.dtype == counts.dtype == onp.int64
    close(values, want[0])
    close(first, want[1])
    close(inverse, want[2].reshape(-1) if axis is None and UNIQUE_INVERSE_IS_1D else want[2])
    close(counts, want[3])
    close(np.unique(np.array(x), axis=axis), want[0])
    only_counts = np.unique(np.array(x), return_counts=True, axis=axis)
    assert len(only_counts) == 2
    close(only_counts[1], want[3])


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_unique_of_nan_follows_numpy(axis):
    """Without axis NaNs are one value, sorted last; with one, sub-arrays holding NaN
    all differ."""
    x = onp.array([[onp.nan, 1.0], [0.0, 1.0], [onp.nan, 1.0], [0.0, 1.0], [-0.0, 1.0]])
    values, counts = np.unique(np.array(x), return_counts=True, axis=axis)
    want_values, want_counts = onp.unique(x, return_counts=True, axis=axis)
    close(values, want_values)
    close(counts, want_counts)


def test_unique_is_computed_eagerly_or_on_constants():
    x = np.array([[1.0, 2.0], [1.0, 2.0]])
    with pytest.raises(TracerError, match="unique .whose result's shape depends on the"):
        jit(lambda v: np.unique(v, axis=0))(x)
    close(jit(lambda v: v + np.unique(np.array([[1.0, 2.0], [1.0, 2.0]]), axis=0))(x[:1]),
          [[2.0, 4.0]])
    with pytest.raises(ShapeError, match=r"unique: axis 2 is out of range"):
        np.unique(x, axis=2)


def test_round_halves_to_even_and_rint_halves_down():
    """deviations.RINT_HALVES_DOWN (MXNet's rint); round is NumPy's."""
    x = onp.array([0.5, 1.5, 2.5, -0.5, -1.5])
    assert np.round(np.array(x)).tolist() == onp.round(x).tolist()
    assert np.rint(np.array(x)).tolist() == [0.0, 1.0, 2.0, -1.0, -2.0]


@FEW
@given(data=st.data())
def test_indexing_matches_numpy_including_boolean_masks(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    x = onp.arange(int(onp.prod(shape)), dtype=onp.float32).reshape(shape)
    key = data.draw(hnp.basic_indices(shape, allow_newaxis=True)
                    | hnp.arrays(onp.bool_, shape)
                    | hnp.arrays(onp.bool_, shape[:1])
                    | hnp.integer_array_indices(shape))
    got = np.array(x)[key]
    close(got, x[key])
    mask = x > x.mean()
    close(np.array(x)[np.array(x) > float(x.mean())], x[mask])


@given(hnp.arrays(st.sampled_from([onp.int8, onp.uint8, onp.int32, onp.int64]),
                  hnp.array_shapes(max_dims=3, max_side=4)), st.integers(-100, 100))
@settings(max_examples=30, deadline=None)
def test_integer_bitwise_operations_match_numpy(x, k):
    a = np.array(x, dtype=x.dtype)
    b = onp.asarray(k).astype(x.dtype)
    for name in ("bitwise_and", "bitwise_or", "bitwise_xor"):
        got = getattr(np, name)(a, np.array(b, dtype=x.dtype)).asnumpy()
        onp.testing.assert_array_equal(got, getattr(onp, name)(x, b), err_msg=name)
    onp.testing.assert_array_equal(np.invert(a).asnumpy(), onp.invert(x))
    onp.testing.assert_array_equal((~a).asnumpy(), onp.invert(x))
    onp.testing.assert_array_equal((a & a).asnumpy(), x)
    jitted = jit(lambda u: np.bitwise_xor(u, u) | ~u)
    onp.testing.assert_array_equal(jitted(a).asnumpy(), onp.invert(x))


def test_broadcast_to_keeps_input_sizes_at_minus_two_as_mxnet():
    x = mx.np.array(onp.arange(4.0).reshape(1, 4))
    got = mx.np.broadcast_to(x, (3, -2, -2))
    onp.testing.assert_array_equal(got.asnumpy(), onp.broadcast_to(x.asnumpy(), (3, 1, 4)))
    assert mx.np.broadcast_to(mx.np.ones((1, 0)), (2, -2, -2)).shape == (2, 1, 0)
    with pytest.raises(ShapeError, match="-2 in .* must stand for an axis of the input"):
        mx.np.broadcast_to(mx.np.ones(5), (-2, 3, 5))


def test_squeeze_of_a_zero_d_array_along_its_only_position():
    # (NumPy 2 takes -1 only; NumPy 1.x, which MXNet's tests run on, took 0 too)
    x = mx.np.array(2.5)
    assert mx.np.squeeze(x, -1).shape == onp.squeeze(onp.array(2.5), -1).shape == ()
    for axis in (0, (0,)):
        assert mx.np.squeeze(x, axis).shape == ()
    with pytest.raises(ShapeError, match="axis 1 is out of range for a 0-d array"):
        mx.np.squeeze(x, 1)


def test_sums_accumulate_as_mxnet_and_integer_means_follow_numpy():
    rng = onp.random.default_rng(5)
    x32 = rng.uniform(-1, 1, (40, 50)).astype(onp.float32)
    # float16 results of wider arrays: summed wide, then rounded once (MXNet's accumulator)
    want = x32.astype(onp.float64).sum(axis=1).astype(onp.float16)
    assert onp.array_equal(np.sum(np.array(x32), axis=1, dtype="float16").asnumpy(), want)
    x16 = x32.astype(onp.float16)
    want = x16.astype(onp.float64).mean(axis=0).astype(onp.float16)
    got = np.mean(np.array(x16), axis=0).asnumpy()
    assert onp.abs(got.astype(onp.float64) - want).max() <= onp.spacing(onp.float16(1))
    # integer means in an integer dtype: NumPy's wrapping sum, divided and truncated
    ints = rng.integers(-128, 127, (6, 7)).astype(onp.int8)
    for axis in (0, 1, None):
        got = np.mean(np.array(ints), axis=axis, dtype="int8").asnumpy()
        assert onp.array_equal(got, onp.mean(ints, axis=axis, dtype="int8"))
    # a float array's mean into an integer dtype still differentiates as 1/N
    x = np.array(rng.uniform(-1, 1, (3, 2)))
    x.attach_grad()
    with mx.autograd.record():
        y = x.mean(axis=0, dtype="int32")
    y.backward()
    assert onp.array_equal(x.grad.asnumpy(), onp.full((3, 2), 1 / 3))


def test_float16_cumsum_rounds_the_float32_running_sum_once():
    x = onp.random.default_rng(0).uniform(0, 1, (3, 400)).astype(onp.float16)
    got = np.cumsum(np.array(x), axis=1).asnumpy()
    exact = onp.cumsum(x.astype(onp.float64), axis=1)
    assert got.dtype == onp.float16
    if FLOAT16_CUMSUM_IN_FLOAT32:
        onp.testing.assert_array_equal(got, onp.cumsum(x.astype(onp.float32), axis=1)
                                       .astype(onp.float16))
        # (nearer the exact sums than NumPy's float16 running sum)
        assert abs(got - exact).max() <= abs(onp.cumsum(x, axis=1) - exact).max()
