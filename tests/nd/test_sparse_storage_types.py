"""mx.nd.sparse operators: storage types of results follow MXNet 1.9.1, values follow NumPy.

The expected storage types in the tables below were read from real MXNet 1.9.1 (`x.stype`
of each result); the values are checked against NumPy references computed here.
"""
from __future__ import annotations

import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mxjit as mx
from mxjit.base import ArgumentError, DTypeError, MXNetIndexError, ShapeError
from mxjit.nd.sparse import CSRNDArray, RowSparseNDArray
from tests.helpers import check_grads

S = mx.nd.sparse
A = np.array([[1, 0, 2], [0, 0, 0], [0, -3, 0.5]], np.float32)
B = np.array([[0, 5, 2], [0, 0, 0], [4, 3, 0]], np.float32)
ROW = np.array([[1, 2, 4]], np.float32)
COL = np.array([[1], [2], [4]], np.float32)


def operands() -> dict[str, mx.nd.NDArray]:
    a, b = mx.nd.array(A), mx.nd.array(B)
    return {"c": a.tostype("csr"), "r": a.tostype("row_sparse"), "d": a,
            "c2": b.tostype("csr"), "r2": b.tostype("row_sparse"), "d2": b}


def stype_name(kind: str) -> str:
    return {"c": "csr", "r": "row_sparse", "d": "default"}[kind]


def stored_mask(kind: str) -> np.ndarray:
    """Where A's csr ('c') or row_sparse ('r') form stores values."""
    if kind == "c":
        return A != 0
    return np.broadcast_to(np.any(A != 0, axis=1, keepdims=True), A.shape)


def check(result: mx.nd.NDArray, stype: str, expected: np.ndarray) -> None:
    assert result.stype == stype
    np.testing.assert_allclose(result.asnumpy(), expected, rtol=1e-6, atol=1e-6)
    if isinstance(result, (CSRNDArray, RowSparseNDArray)):
        result.check_format()


# MXNet: unary operators that map 0 to 0 keep csr / row_sparse, the others are dense.
KEEP = {"abs": np.abs, "arcsin": np.arcsin, "arcsinh": np.arcsinh, "arctan": np.arctan,
        "arctanh": np.arctanh, "cbrt": np.cbrt, "ceil": np.ceil, "degrees": np.degrees,
        "expm1": np.expm1, "fix": np.trunc, "floor": np.floor, "log1p": np.log1p,
        "negative": np.negative, "radians": np.radians, "relu": lambda x: np.maximum(x, 0),
        "rint": np.rint, "sign": np.sign, "sin": np.sin, "sinh": np.sinh, "sqrt": np.sqrt,
        "square": np.square, "tan": np.tan, "tanh": np.tanh, "trunc": np.trunc,
        "stop_gradient": lambda x: x, "make_loss": lambda x: x}
DENSE = {"arccos": np.arccos, "cos": np.cos, "cosh": np.cosh, "exp": np.exp, "log": np.log,
         "log10": np.log10, "log2": np.log2, "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
         "rsqrt": lambda x: 1 / np.sqrt(x)}


@pytest.mark.parametrize("name", sorted(KEEP))
@pytest.mark.parametrize("kind", ["c", "r"])
def test_zero_preserving_unary_operators_keep_the_storage_type(name: str, kind: str) -> None:
    x = operands()[kind]
    with np.errstate(all="ignore"):
        want = KEEP[name](A.astype(np.float64))
    want = np.where(stored_mask(kind), want, 0.0)  # (only stored values are computed)
    got = getattr(S, name)(x)
    assert got.stype == stype_name(kind)
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5, atol=1e-6)
    assert getattr(S, name)(operands()["d"]).stype == "default"


@pytest.mark.parametrize("name", sorted(DENSE))
def test_other_unary_operators_give_dense_results(name: str) -> None:
    with np.errstate(all="ignore"):
        want = DENSE[name](A.astype(np.float64))
    for kind in "cr":
        got = getattr(S, name)(operands()[kind])
        assert type(got) is mx.nd.NDArray
        np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5, atol=1e-6)


def test_unary_edge_cases_nan_empty_and_explicit_zeros() -> None:
    e = S.csr_matrix(([0.0, -4.0, np.nan], [0, 1, 2], [0, 2, 2, 3]), shape=(3, 3))
    got = S.sqrt(e)
    assert got.data.asnumpy()[0] == 0 and np.isnan(got.data.asnumpy()[1:]).all()
    assert got.indices.asnumpy().tolist() == [0, 1, 2]  # (stored zeros stay stored)
    assert S.abs(S.zeros("csr", (0, 3))).shape == (0, 3)
    assert S.relu(S.zeros("row_sparse", (2, 3))).indices.shape == (0,)
    one = S.csr_matrix(([-2.0], [0], [0, 1]), shape=(1, 1))
    assert S.negative(one).asnumpy().tolist() == [[2.0]]
    z = S.zeros_like(operands()["c"])
    assert z.stype == "csr" and z.data.shape == (0,) and z.asnumpy().sum() == 0
    assert S.zeros_like(operands()["r"]).indices.shape == (0,)


def test_clip_keeps_sparse_only_when_zero_is_inside_the_range() -> None:
    for kind in "cr":
        x = operands()[kind]
        check(S.clip(x, -1, 1), stype_name(kind), np.where(A != 0, np.clip(A, -1, 1), 0))
        # (MXNet raises "not implemented" here; the dense result is the clip of the values)
        check(S.clip(x, 0.5, 1), "default", np.clip(A, 0.5, 1))
    check(operands()["c"].clip(-1, 1), "csr", np.clip(A, -1, 1))


# MXNet: (lhs kinds, rhs kinds) -> storage of the result, for the elemwise_* operators.
ELEMWISE = {
    "elemwise_add": ({"cc": "c", "rr": "r"}, np.add),
    "elemwise_sub": ({"cc": "c", "rr": "r"}, np.subtract),
    "elemwise_mul": ({"cc": "c", "rr": "r", "cd": "c", "dc": "c", "rd": "r", "dr": "r"},
                     np.multiply),
    "elemwise_div": ({}, np.divide),
}


@pytest.mark.parametrize("name", sorted(ELEMWISE))
def test_elemwise_operators_follow_mxnets_storage_table(name: str) -> None:
    table, ref = ELEMWISE[name]
    ops = operands()
    for lk in "crd":
        for rk in "crd":
            with np.errstate(all="ignore"):
                want = ref(A.astype(np.float64), B.astype(np.float64))
            got = getattr(S, name)(ops[lk], ops[rk + "2"])
            stype = stype_name(table.get(lk + rk, "d"))
            assert got.stype == stype, (lk, rk)
            np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-6, atol=1e-6)


def test_csr_with_csr_drops_computed_zeros_as_mxnet_does() -> None:
    a, b = operands()["c"], S.csr_matrix(-operands()["d"].asnumpy())
    total = a + b
    assert total.stype == "csr" and total.data.shape == (0,)
    product = a * operands()["c2"]  # (stored where both store a value, non-zero)
    assert product.indices.asnumpy().tolist() == [2, 1]
    np.testing.assert_allclose(product.asnumpy(), A * B)
    rows = operands()["r"] * operands()["r2"]  # (row_sparse: the union of rows, kept)
    assert rows.indices.asnumpy().tolist() == [0, 2]


def test_sparse_with_dense_reads_the_dense_operand_at_stored_positions() -> None:
    ops = operands()
    check(S.elemwise_mul(ops["c"], ops["d2"]), "csr", A * B)
    check(S.elemwise_mul(ops["d2"], ops["r"]), "row_sparse", A * B)
    check(S.broadcast_mul(ops["c"], mx.nd.array(ROW)), "csr", A * ROW)
    check(S.broadcast_mul(ops["c"], mx.nd.array(COL)), "csr", A * COL)
    check(S.broadcast_div(ops["c"], mx.nd.array(COL)), "csr", A / COL)
    zero_col = S.broadcast_div(ops["c"], mx.nd.array([[1.0], [1.0], [0.0]]))
    assert zero_col.stype == "csr" and np.isneginf(zero_col.data.asnumpy()[2])
    # dense on the left, row_sparse, or a widening broadcast: dense, as in MXNet
    check(S.broadcast_mul(mx.nd.array(ROW), ops["c"]), "default", A * ROW)
    check(S.broadcast_mul(ops["r"], mx.nd.array(ROW)), "default", A * ROW)
    narrow = S.csr_matrix(A[:1])
    check(S.broadcast_mul(narrow, mx.nd.array(COL)), "default", A[:1] * COL)
    check(S.broadcast_add(ops["c"], mx.nd.array(ROW)), "default", A + ROW)
    check(S.broadcast_plus(ops["c"], ops["c2"]), "default", A + B)
    check(S.broadcast_minus(ops["r"], ops["r2"]), "default", A - B)
    check(S.broadcast_sub(ops["c"], ops["d2"]), "default", A - B)


def test_python_level_add_subtract_multiply_divide() -> None:
    ops = operands()
    check(S.add(ops["c"], ops["c2"]), "csr", A + B)
    check(S.subtract(ops["r"], ops["r2"]), "row_sparse", A - B)
    check(S.multiply(ops["c"], ops["d2"]), "csr", A * B)
    check(S.add(ops["c"], ops["d2"]), "default", A + B)
    with np.errstate(all="ignore"):
        check(S.divide(ops["c"], ops["c2"]), "default", A / B)
    check(S.divide(ops["c"], mx.nd.array(ROW)), "csr", A / ROW)
    check(S.multiply(ops["c"], 2), "csr", A * 2)
    check(S.multiply(3, ops["r"]), "row_sparse", A * 3)
    check(S.add(ops["c"], 1), "default", A + 1)
    check(S.add(0, ops["c"]), "csr", A)
    check(S.subtract(0, ops["c"]), "default", -A)
    check(S.divide(ops["c"], 4), "csr", A / 4)
    check(S.divide(4, ops["r"]), "default", np.divide(4, A, out=np.full_like(A, np.inf),
                                                      where=A != 0))
    assert S.add(2, 3) == 5 and S.divide(1, 4) == 0.25


# MXNet 1.9.1: the storage of `x op scalar` for a csr x (row_sparse the same).
SCALARS = [("x + 2", "d"), ("x - 2", "d"), ("x + 0", "c"), ("x - 0", "c"), ("0 + x", "c"),
           ("0 - x", "d"), ("2 + x", "d"), ("x * 2", "c"), ("2 * x", "c"), ("x * 0", "c"),
           ("x / 2", "c"), ("x / 0", "c"), ("2 / x", "d"), ("x ** 2", "d"), ("x % 2", "d"),
           ("-x", "c"), ("abs(x)", "c"), ("x > 0", "c"), ("x >= 0", "d"), ("x < 0", "c"),
           ("x <= 0", "d"), ("x == 0", "d"), ("x != 0", "c"), ("x > 1", "c"), ("x > -1", "d"),
           ("x < 1", "d"), ("x == 1", "c"), ("x != 1", "d"), ("x >= 1", "c"),
           ("x * float('nan')", "c")]


@pytest.mark.parametrize("expr, kind", SCALARS)
def test_operators_with_a_scalar_follow_mxnet(expr: str, kind: str) -> None:
    for sparse in "cr":
        got = eval(expr, {"x": operands()[sparse]})  # noqa: S307
        with np.errstate(all="ignore"):
            dense = np.asarray(eval(expr, {"x": A.astype(np.float64)}), np.float64)  # noqa: S307
        if kind == "c":
            dense = np.where(stored_mask(sparse), dense, 0.0)  # (only stored values are computed)
            assert got.stype == stype_name(sparse), expr
        else:
            assert got.stype == "default", expr
        np.testing.assert_allclose(got.asnumpy(), dense, rtol=1e-6, atol=1e-6)


# MXNet 1.9.1: `x op y` between arrays (`/` is broadcast_div, the rest as sparse.add ...).
ARRAYS = [("c + c2", "c"), ("c - c2", "c"), ("c * c2", "c"), ("c / c2", "d"), ("r + r2", "r"),
          ("r * r2", "r"), ("r / r2", "d"), ("c + d2", "d"), ("d2 + c", "d"), ("c * d2", "c"),
          ("d2 * c", "d"), ("r * d2", "r"), ("d2 - r", "d"), ("c * r2", "d"), ("c > d2", "d"),
          ("c == c2", "d"), ("c / row", "c"), ("c * col", "c"), ("r / row", "d")]


@pytest.mark.parametrize("expr, kind", ARRAYS)
def test_operators_between_arrays_follow_mxnet(expr: str, kind: str) -> None:
    env = {**operands(), "row": mx.nd.array(ROW), "col": mx.nd.array(COL)}
    got = eval(expr, env)  # noqa: S307
    dense = {"c": A, "r": A, "d": A, "c2": B, "r2": B, "d2": B, "row": ROW, "col": COL}
    with np.errstate(all="ignore"):
        want = eval(expr, {k: v.astype(np.float64) for k, v in dense.items()})  # noqa: S307
    assert got.stype == stype_name(kind), expr
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-6, atol=1e-6)


def test_in_place_operators_keep_the_storage_type() -> None:
    x = operands()["c"]
    x += operands()["c2"]
    assert isinstance(x, CSRNDArray)
    np.testing.assert_allclose(x.asnumpy(), A + B)
    x *= 2
    x -= 1  # (a dense result, stored back as csr)
    assert x.stype == "csr"
    np.testing.assert_allclose(x.asnumpy(), (A + B) * 2 - 1)
    r = operands()["r"]
    r /= 2
    assert r.stype == "row_sparse"
    np.testing.assert_allclose(r.asnumpy(), A / 2)


def test_out_takes_the_result_in_its_own_storage_type() -> None:
    x = operands()["c"]
    dense_out = mx.nd.zeros((3, 3))
    assert S.abs(x, out=dense_out) is dense_out and dense_out.stype == "default"
    np.testing.assert_allclose(dense_out.asnumpy(), np.abs(A))
    csr_out = S.zeros("csr", (3, 3))
    assert S.exp(x, out=csr_out) is csr_out and csr_out.stype == "csr"
    np.testing.assert_allclose(csr_out.asnumpy(), np.exp(A), rtol=1e-6)
    rsp_out = S.zeros("row_sparse", (3, 3))
    S.square(x, out=rsp_out)
    assert rsp_out.stype == "row_sparse"
    np.testing.assert_allclose(rsp_out.asnumpy(), A * A)
    copied = x.copyto(mx.nd.zeros((3, 3)))
    assert copied.stype == "default"
    np.testing.assert_allclose(copied.asnumpy(), A)


def test_fluent_methods_of_sparse_arrays() -> None:
    x = operands()["r"]
    with np.errstate(invalid="ignore"):
        check(x.sqrt(), "row_sparse", np.sqrt(A))
    check(x.abs(), "row_sparse", np.abs(A))
    check(x.exp(), "default", np.exp(A))
    check(x.sum(axis=1), "default", A.sum(axis=1))
    check(operands()["c"].slice(begin=(0,), end=(2,)), "csr", A[:2])
    check(operands()["c"].zeros_like(), "csr", np.zeros_like(A))


def test_reductions_and_layers_read_sparse_operands_densely() -> None:
    for kind in "cr":
        x = operands()[kind]
        check(S.sum(x), "default", np.array([A.sum()]))
        check(S.sum(x, axis=0), "default", A.sum(axis=0))
        check(S.mean(x, axis=1, keepdims=True), "default", A.mean(axis=1, keepdims=True))
        check(S.norm(x), "default", np.array([np.linalg.norm(A)]))
        check(S.where(x, operands()["d2"], -operands()["d2"]), "default",
              np.where(A != 0, B, -B))
        w, bias = np.ones((2, 3), np.float32), np.arange(2, dtype=np.float32)
        check(S.FullyConnected(x, mx.nd.array(w), mx.nd.array(bias), num_hidden=2),
              "default", A @ w.T + bias)
        check(S.LinearRegressionOutput(x, operands()["d2"]), "default", A)
        check(S.MAERegressionOutput(x, operands()["d2"]), "default", A)
        check(S.LogisticRegressionOutput(x, operands()["d2"]), "default", 1 / (1 + np.exp(-A)))
    check(S.Embedding(mx.nd.array([0, 2]), operands()["r"], input_dim=3, output_dim=3),
          "default", A[[0, 2]])


def test_slice_of_csr_is_csr() -> None:
    x = operands()["c"]
    check(S.slice(x, begin=(1,), end=(3,)), "csr", A[1:3])
    check(S.slice(x, begin=(0, 1), end=(3, 3)), "csr", A[:, 1:3])
    check(S.slice(x, begin=(-2, None), end=(None, -1)), "csr", A[-2:, :-1])
    check(S.slice(x, begin=(0,), end=(3,), step=(1,)), "csr", A)
    check(S.slice(x, begin=(0,), end=(3,), step=(2,)), "default", A[::2])
    check(S.slice(x, begin=(2,), end=(1,)), "csr", A[2:1])
    check(S.slice(operands()["r"], begin=(1,), end=(3,)), "default", A[1:3])


def test_concat_of_csr_along_rows_is_csr() -> None:
    ops = operands()
    check(S.concat(ops["c"], ops["c2"], dim=0), "csr", np.concatenate([A, B]))
    check(S.concat([ops["c"], ops["c2"], ops["c"]], dim=0), "csr", np.concatenate([A, B, A]))
    check(S.concat(ops["c"], ops["c2"], dim=1), "default", np.concatenate([A, B], axis=1))
    check(S.concat(ops["c"], ops["d2"], dim=0), "default", np.concatenate([A, B]))
    check(S.concat(ops["r"], ops["r2"], dim=0), "default", np.concatenate([A, B]))


def test_add_n_of_row_sparse_is_row_sparse() -> None:
    ops = operands()
    got = S.add_n(ops["r"], ops["r2"], ops["r"])
    check(got, "row_sparse", 2 * A + B)
    assert got.indices.asnumpy().tolist() == [0, 2]
    check(S.ElementWiseSum(ops["r"], ops["r2"]), "row_sparse", A + B)
    check(S.add_n(ops["c"], ops["c2"]), "default", A + B)
    check(S.add_n(ops["r"], ops["d2"]), "default", A + B)


def test_retain_keeps_the_chosen_rows() -> None:
    r = S.row_sparse_array(([[1.0, 2.0], [3.0, 4.0]], [0, 2]), shape=(4, 2))
    got = S.retain(r, mx.nd.array([2, 1]))
    assert got.stype == "row_sparse" and got.indices.asnumpy().tolist() == [1, 2]
    np.testing.assert_allclose(got.asnumpy(), [[0, 0], [0, 0], [3, 4], [0, 0]])
    assert S.retain(r, mx.nd.array([], dtype="int64")).indices.shape == (0,)
    out = S.zeros("row_sparse", (4, 2))
    assert S.retain(r, mx.nd.array([0]), out=out) is out
    np.testing.assert_allclose(out.asnumpy(), [[1, 2], [0, 0], [0, 0], [0, 0]])


# MXNet 1.9.1: dot's result storage without forward_stype.
DOT = [("c", "d2", False, False, "d"), ("c", "d2", True, False, "r"), ("c", "d2", False, True, "d"),
       ("c", "d2", True, True, "d"), ("c", "r2", True, False, "r"), ("c", "c2", True, False, "d"),
       ("d", "c2", False, False, "c"), ("d", "c2", False, True, "c"),
       ("d", "c2", True, False, "d"), ("r", "d2", False, False, "d"),
       ("d", "r2", False, False, "d")]


@pytest.mark.parametrize("lk, rk, ta, tb, kind", DOT)
def test_dot_storage_types(lk: str, rk: str, ta: bool, tb: bool, kind: str) -> None:
    ops = operands()
    got = S.dot(ops[lk], ops[rk], transpose_a=ta, transpose_b=tb)
    assert got.stype == stype_name(kind)
    np.testing.assert_allclose(got.asnumpy(), (A.T if ta else A) @ (B.T if tb else B),
                               rtol=1e-6)
    forced = S.dot(ops[lk], ops[rk], transpose_a=ta, transpose_b=tb, forward_stype="csr")
    assert forced.stype == "csr"


def test_dot_keeps_the_positions_mxnet_stores() -> None:
    c = S.csr_matrix(([1.0, 0.0, 2.0], [0, 2, 3], [0, 2, 2, 3]), shape=(3, 5))
    d = mx.nd.array([[1, 2], [3, 4], [0, 0]])
    rows = S.dot(c, d, transpose_a=True)  # (MXNet: every column holding a value)
    assert rows.indices.asnumpy().tolist() == [0, 2, 3]
    assert S.dot(c, d.tostype("row_sparse"), transpose_a=True).indices.asnumpy().tolist() == [0, 2]
    product = S.dot(d.T, c)  # (MXNet: each row stores every column c holds)
    assert product.indices.asnumpy().tolist() == [0, 2, 3, 0, 2, 3]
    np.testing.assert_allclose(product.asnumpy(), d.asnumpy().T @ c.asnumpy())


def test_traced_or_recorded_dense_operands_give_dense_results() -> None:
    c = mx.nd.array(A.astype(np.float64)).tostype("csr")
    x = np.arange(9, dtype=np.float64).reshape(3, 3) + 1
    eager = S.elemwise_mul(c, mx.nd.array(x))
    assert eager.stype == "csr"
    jitted = mx.jit(lambda y: S.elemwise_mul(c, y) + S.broadcast_mul(c, y[:1]))(mx.nd.array(x))
    np.testing.assert_allclose(jitted.asnumpy(), eager.asnumpy() + A * x[:1])
    v = mx.nd.array(x)
    v.attach_grad()
    with mx.autograd.record():
        y = S.elemwise_mul(c, v)
        rows = S.dot(c, v, transpose_a=True)
        total = y.sum() + rows.sum()
    assert y.stype == "default" and rows.stype == "default"
    total.backward()
    np.testing.assert_allclose(v.grad.asnumpy(), A + A.sum(axis=1)[:, None])


def test_gradients_through_sparse_operators_with_a_dense_operand() -> None:
    c = mx.nd.array(A, dtype="float64").tostype("csr")
    x = np.linspace(0.5, 2.0, 9).reshape(3, 3)
    check_grads(lambda y: S.elemwise_mul(c, y * y), [x])
    check_grads(lambda y: S.broadcast_div(c, y[:, :1] + 2) * y, [x])
    check_grads(lambda y: S.dot(c, y * y, transpose_a=True), [x])


@pytest.mark.parametrize("call, error, match", [
    (lambda: S.elemwise_add(S.zeros("csr", (2, 3)), S.zeros("csr", (3, 3))), ShapeError,
     "same shape"),
    (lambda: S.elemwise_mul(S.zeros("row_sparse", (2, 3)), mx.nd.ones((3, 3))), ShapeError,
     "same shape"),
    (lambda: S.exp(S.zeros("csr", (2, 2)), out=mx.nd.zeros((3, 2))), ShapeError, "out="),
    (lambda: S.abs(S.zeros("csr", (2, 2)), out=S.zeros("csr", (2, 2), dtype="float64")),
     DTypeError, "dtype"),
    (lambda: S.zeros("csr", (2, 2)).copyto("cpu"), ArgumentError, "NDArray or a Context"),
    (lambda: S.retain(S.zeros("csr", (2, 2)), mx.nd.array([0])), ArgumentError, "RowSparseNDArray"),
    (lambda: S.retain(S.zeros("row_sparse", (2, 2)), mx.nd.array([0.5])),
     ArgumentError, "whole numbers"),
    (lambda: S.retain(S.zeros("row_sparse", (2, 2)), mx.nd.array([2])),
     MXNetIndexError, r"\[0, 2\)"),
    (lambda: S.concat(S.zeros("csr", (2, 2)), S.zeros("csr", (2, 3)), dim=0), ShapeError,
     "concat"),
    (lambda: S.slice(S.zeros("csr", (2, 2)), begin=(0, 0, 0), end=(1, 1, 1)), ShapeError,
     "slice"),
])
def test_user_errors(call, error, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=match):
        call()


def test_the_namespace_has_mxnets_sparse_functions() -> None:
    import inspect

    # dir(mx.nd.sparse) of MXNet 1.9.1, without the module internals it leaks (ctypes, ...)
    mxnet_names = """BaseSparseNDArray CSRNDArray ElementWiseSum Embedding FullyConnected
        LinearRegressionOutput LogisticRegressionOutput MAERegressionOutput RowSparseNDArray abs
        adagrad_update adam_update add add_n arccos arccosh arcsin arcsinh arctan arctanh array
        broadcast_add broadcast_div broadcast_minus broadcast_mul broadcast_plus broadcast_sub
        cast_storage cbrt ceil clip concat cos cosh csr_matrix degrees divide dot elemwise_add
        elemwise_div elemwise_mul elemwise_sub empty exp expm1 fix floor ftrl_update gamma
        gammaln log log10 log1p log2 make_loss mean multiply negative norm radians relu retain
        rint round row_sparse_array rsqrt sgd_mom_update sgd_update sigmoid sign sin sinh slice
        sqrt square stop_gradient subtract sum tan tanh trunc where zeros zeros_like""".split()
    assert sorted(set(mxnet_names) - set(S.__all__)) == []
    sig = inspect.signature(S.clip)
    assert list(sig.parameters) == ["data", "a_min", "a_max", "out", "name"]
    assert S.sqrt.__module__ == "mxjit.nd.sparse" and "Storage types" in S.sqrt.__doc__
    assert "lazy_update" in inspect.signature(S.sgd_update).parameters


@settings(max_examples=25, deadline=None)
@given(rows=st.integers(0, 4), cols=st.integers(0, 4), seed=st.integers(0, 2**16),
       op=st.sampled_from(["+", "-", "*"]), stype=st.sampled_from(["csr", "row_sparse"]))
def test_sparse_arithmetic_matches_dense_on_random_patterns(rows: int, cols: int, seed: int,
                                                            op: str, stype: str) -> None:
    rng = np.random.default_rng(seed)
    a, b = ((rng.integers(-3, 4, (rows, cols)) * (rng.random((rows, cols)) < 0.4))
            .astype(np.float32) for _ in range(2))
    x, y = mx.nd.array(a).tostype(stype), mx.nd.array(b).tostype(stype)
    got = {"+": x + y, "-": x - y, "*": x * y}[op]
    assert got.stype == stype and got.shape == (rows, cols)
    got.check_format()
    np.testing.assert_array_equal(got.asnumpy(), {"+": a + b, "-": a - b, "*": a * b}[op])
    scaled = x * 2.5
    assert scaled.stype == stype
    np.testing.assert_array_equal(scaled.asnumpy(), a * 2.5)
    with_dense = S.elemwise_mul(x, mx.nd.array(b))
    assert with_dense.stype == stype
    np.testing.assert_array_equal(with_dense.asnumpy(), a * b)


def test_mx_nd_operators_keep_sparse_storage_as_mx_nd_sparse_does() -> None:
    c = mx.nd.array(A).tostype("csr")
    assert mx.nd.abs(c).stype == "csr" and mx.nd.sqrt(mx.nd.abs(c)).stype == "csr"
    assert mx.nd.exp(c).stype == "default"  # (exp(0) is 1: dense, as in MXNet)
    assert mx.nd.dot(c, mx.nd.ones((3, 2)), transpose_a=True).stype == "row_sparse"
    assert mx.nd.elemwise_add(c, c).stype == "csr"
    np.testing.assert_array_equal(mx.nd.abs(c).asnumpy(), np.abs(A))
    assert mx.nd.abs(mx.nd.array(A)).stype == "default"
    assert mx.nd.abs.__name__ == "abs" and "data" in str(inspect.signature(mx.nd.abs))


@pytest.mark.parametrize("stype", ["row_sparse", "csr"])
def test_a_sparse_gradient_buffer_takes_the_dense_gradient_in_its_own_storage(stype) -> None:
    # MXNet's storage fallback: mark_variables with sparse buffers (its test_autograd does)
    u = mx.nd.array(np.array([[0.5, 0.0, 1.0], [0.0, 0.0, 0.0]]))
    x = u.tostype(stype)
    for req, scale in (("write", 1), ("add", 2)):
        g = mx.nd.zeros_like(x)
        mx.autograd.mark_variables([x], [g], req)
        for _ in range(scale):
            with mx.autograd.record():
                y = mx.nd.exp(x)
            mx.autograd.backward([y])
        assert g.stype == stype
        np.testing.assert_allclose(g.asnumpy(), scale * np.exp(u.asnumpy()), rtol=1e-6)
