"""Every error message of mx.np, mx.npx and mx.util, triggered: each names the NumPy
function and the offending shapes or dtypes, as NumPy's do."""
from __future__ import annotations

import numpy as onp
import pytest

import mxjit as mx
from mxjit import np, npx
from mxjit.base import (
    ArgumentError,
    ConstraintError,
    DTypeError,
    MXNetIndexError,
    ParamError,
    ShapeError,
    TracerError,
    UnsupportedError,
)

A = np.ones((2, 3))
SQ = np.array([[2.0, 1.0], [1.0, 3.0]])

CASES = [
    (lambda: np.add(np.ones((2, 3)), np.ones(4)), ShapeError,
     r"add: operands could not be broadcast together with shapes \(2,3\) \(4,\)"),
    (lambda: np.add(A, "x"), ArgumentError, "add: expected an array or a number, got str"),
    (lambda: np.add([1], [2]), ArgumentError, "add: expected an array operand"),
    (lambda: np.subtract(np.ones(2, dtype=bool), np.ones(2, dtype=bool)), DTypeError,
     "subtract: not supported for bool operands"),
    (lambda: np.matmul(np.ones(2, dtype=bool), np.ones(2, dtype=bool)), DTypeError,
     "matmul: bool operands"),
    (lambda: np.matmul(np.array(1.0), A), ShapeError, "matmul: Input operand does not have"),
    (lambda: np.ones((2, 3)) @ np.ones((4, 2)), ShapeError,
     r"matmul: .*mismatch in its core dimension 0.*\(2, 3\) and \(4, 2\)"),
    (lambda: np.dot(A, A), ShapeError, r"dot: shapes \(2, 3\) and \(2, 3\) not aligned"),
    (lambda: np.vdot(A, np.ones(2)), ShapeError, "vdot: vectors have different lengths"),
    (lambda: np.inner(A, np.ones(2)), ShapeError, "inner: shapes .* not aligned"),
    (lambda: np.tensordot(A, A, 3), ShapeError, "tensordot: axes=3 is out of range"),
    (lambda: np.tensordot(A, A, "x"), ArgumentError, "tensordot: axes must be an int"),
    (lambda: np.tensordot(A, A, ((0,), (1,))), ShapeError, "tensordot: shape-mismatch"),
    (lambda: np.einsum("ij,jk", A), ArgumentError, "einsum: the subscripts name 2 operands"),
    (lambda: np.einsum("i1", A), ArgumentError, "einsum: invalid subscript"),
    (lambda: np.einsum("ij->ii", A), ArgumentError, "einsum: output subscript 'ii'"),
    (lambda: np.einsum("ii", A), ShapeError, "einsum: label 'i' has sizes 2 and 3"),
    (lambda: np.einsum(A, A), ArgumentError, "einsum: the first argument"),
    (lambda: np.einsum("i", A), ShapeError, r"einsum: operand of shape \(2, 3\) has 2 axes"),
    (lambda: np.einsum("ij,ij", A, np.ones((2, 2))), ShapeError,
     "einsum: label 'j' has sizes 3 and 2"),
    (lambda: np.linspace(0, 1, 5, axis=1), ArgumentError, "linspace: only axis=0"),
    (lambda: np.zeros(2, dtype="complex64"), DTypeError, "zeros: dtype complex64 is not supp"),
    (lambda: np.zeros(2, dtype="nope"), DTypeError, "zeros: 'nope' is not a dtype"),
    (lambda: A[onp.array([True, False, True])], MXNetIndexError,
     r"boolean index of shape \(3,\) does not match"),
    (lambda: A[True, 0, 9], MXNetIndexError, r"shape \(2, 3\): index 9 is out of bounds"),
    (lambda: mx.jit(lambda x, i: x[True, i])(A, np.array([0, 1], dtype="int64")), TracerError,
     "0-d boolean beside an index array of shape"),
    (lambda: np.zeros(2, order="F"), UnsupportedError, "zeros: only order='C'"),
    (lambda: A.copy(order="F"), UnsupportedError, "copy: only order='C'"),
    (lambda: mx.jit(lambda x: x[x > 1])(A), TracerError, r"boolean mask of shape \(2, 3\)"),
    (lambda: iter(np.array(1.0)), MXNetIndexError, "iteration over a 0-d array"),
    (lambda: format(A, ".1f"), ArgumentError, "format_spec"),
    (lambda: A.reshape(6, order="F"), ArgumentError, "reshape: only order='C'"),
    (lambda: np.reshape(A, 6, order="F"), ArgumentError, "reshape: only order='C'"),
    (lambda: A.reshape(-1, -1), ShapeError, "can only specify one unknown dimension"),
    (lambda: A.reshape(4, -1), ShapeError, r"cannot reshape array of size 6 into shape \(4, -1\)"),
    (lambda: A.reshape(7), ShapeError, r"cannot reshape array of size 6 into shape \(7,\)"),
    (lambda: A & A, DTypeError, "bitwise_and: needs integer or bool operands, got float32"),
    (lambda: np.squeeze(A, 0), ShapeError, r"squeeze: cannot select an axis .*\(2, 3\)"),
    (lambda: np.concatenate(A), ArgumentError, "concatenate: expected a non-empty sequence"),
    (lambda: np.concatenate([A, np.ones(3)]), ShapeError,
     "concatenate: all the input arrays must have the same number of dimensions"),
    (lambda: np.concatenate([A, np.ones((2, 2))], axis=0), ShapeError,
     "concatenate: all the input array dimensions except for the concatenation axis"),
    (lambda: np.stack([A, np.ones(2)]), ShapeError, "stack: all input arrays must have"),
    (lambda: np.split(A, 0, axis=1), ShapeError, "split: number sections must be larger"),
    (lambda: np.split(A, 2, axis=1), ShapeError, "split: array split does not result in"),
    (lambda: np.repeat(A, [1, 2]), UnsupportedError, "repeat: only an int number"),
    (lambda: np.broadcast_to(A, (3,)), ShapeError, r"broadcast_to: .*\(2, 3\) to \(3,\)"),
    (lambda: np.broadcast_to(A, (4, 3)), ShapeError, "broadcast_to: operands could not"),
    (lambda: np.where(A > 0, A), ArgumentError, "where: either both or neither"),
    (lambda: mx.jit(np.nonzero)(A), TracerError, "nonzero"),
    (lambda: np.tril(np.array(1.0)), ShapeError, "tril: the input must have at least 1 dim"),
    (lambda: np.exp(A, where=False), UnsupportedError, "exp: where=False is not supported"),
    (lambda: np.add(A, A, casting="unsafe"), UnsupportedError, "add: casting='unsafe'"),
    (lambda: np.diagonal(np.ones(3)), ShapeError, "diagonal: diag requires an array of at"),
    (lambda: np.pad(A, 1, mode="wrap"), ParamError, "pad: mode must be 'constant', 'edge'"),
    (lambda: np.pad(A, -1), ShapeError, "pad: pad_width must be non-negative"),
    (lambda: np.exp(A, dtype="float64"), UnsupportedError, "exp: dtype='float64' is not"),
    (lambda: np.isnan(A, order="C"), UnsupportedError, "isnan: order='C' is not supported"),
    (lambda: np.add(A, A, dtype="nope"), ArgumentError, "add: dtype='nope' not understood"),
    (lambda: np.argmax(np.ones((2, 0)), 1), ShapeError,
     "argmax: attempt to get argmax of an empty sequence"),
    (lambda: np.argmin(np.array(1.0), 1), ShapeError, "argmin: axis 1 is out of range"),
    (lambda: np.average(A, weights=np.ones(2)), ShapeError, "average: weights of shape"),
    (lambda: np.average(A, axis=1, weights=np.ones(2)), ShapeError,
     "average: 2 weights for axis 1 of length 3"),
    (lambda: np.linalg.inv(np.ones(3)), ShapeError, "linalg.inv: 1-dimensional array given"),
    (lambda: np.linalg.det(A), ShapeError, "linalg.det: Last 2 dimensions of the array must"),
    (lambda: np.linalg.inv(np.eye(2, dtype="float16")), DTypeError,
     "linalg.inv: float16 matrices"),
    (lambda: np.linalg.eigh(SQ, UPLO="X"), ArgumentError, "linalg.eigh: UPLO"),
    (lambda: np.linalg.solve(SQ, np.ones(3)), ShapeError, "linalg.solve: a of shape"),
    (lambda: np.linalg.solve(SQ, np.ones((3, 2))), ShapeError, "linalg.solve: a of shape"),
    (lambda: np.linalg.qr(SQ, mode="complete"), ArgumentError, "linalg.qr: only mode"),
    (lambda: np.linalg.tensorinv(A, ind=0), ArgumentError, "linalg.tensorinv: ind must"),
    (lambda: np.linalg.tensorinv(A, ind=1), ShapeError, "linalg.tensorinv: the product"),
    (lambda: np.linalg.tensorsolve(A, np.ones(3)), ShapeError, "linalg.tensorsolve: a of"),
    (lambda: np.linalg.norm(np.ones((2, 2, 2)), axis=(0, 1, 2)), ShapeError,
     "linalg.norm: improper number of dimensions"),
    (lambda: np.linalg.norm(np.ones(3), "fro", axis=0), ArgumentError,
     "linalg.norm: invalid norm order 'fro' for vectors"),
    (lambda: np.linalg.norm(A, 3, axis=(0, 1)), ArgumentError,
     "linalg.norm: invalid norm order 3 for matrices"),
    (lambda: np.random.normal(0, -1), ParamError, "normal: scale must be non-negative"),
    (lambda: np.random.gamma(0.0), ParamError, "gamma: shape must be positive"),
    (lambda: np.random.gamma(1.0, np.array([1.0, -1.0])), ParamError,
     "gamma: scale must be positive"),
    (lambda: np.random.weibull(0.0), ParamError, "weibull: a must be positive"),
    (lambda: np.random.rayleigh(-1.0), ParamError, "rayleigh: scale must be non-negative"),
    (lambda: np.random.exponential(-2.0), ParamError, "exponential: scale must be non-neg"),
    (lambda: np.random.shuffle(onp.ones(2)), ArgumentError, "shuffle: x must be an mx.np"),
    (lambda: np.random.choice(3, size=5, replace=False), ShapeError,
     r"choice: cannot take a larger sample \(5\)"),
    (lambda: np.random.multinomial(3, A), ShapeError, "multinomial: pvals must be 1-D"),
    (lambda: np.diff(A, -1), ShapeError, "diff: order must be non-negative"),
    (lambda: np.take_along_axis(A, np.zeros(2, dtype="int64"), 1), ShapeError,
     "take_along_axis: indices of shape"),
    (lambda: np.searchsorted(A, 1.0), ShapeError, "searchsorted: a must be 1-D"),
    (lambda: np.searchsorted(np.ones(2), 1.0, side="middle"), ArgumentError,
     "searchsorted: side must be"),
    (lambda: np.quantile(A, 1.5), ArgumentError, r"quantile: q must be in the range \[0, 1\]"),
    (lambda: np.quantile(A, 0.5, interpolation="cubic"), ArgumentError,
     "quantile: interpolation must be one of"),
    (lambda: np.meshgrid(A, indexing="yx"), ArgumentError, "meshgrid: indexing must be"),
    (lambda: np.rollaxis(A, 0, 5), ShapeError, "rollaxis: start 5 is out of range"),
    (lambda: np.polyval(A, 1.0), ShapeError, "polyval: p must be 1-D"),
    (lambda: np.vander(A), ShapeError, "vander: x must be a one-dimensional array"),
    (lambda: np.bitwise_and(A, A), ArgumentError, "bitwise_and: needs integer or bool"),
    (lambda: np.invert(A), ArgumentError, "invert: needs an integer or bool array"),
    (lambda: ~A, DTypeError, "invert: needs an integer or bool array"),
    (lambda: mx.jit(lambda x: np.array_equiv(x, x))(A), TracerError,
     "mx.np.array_equiv .computed by NumPy on the host"),
    (lambda: mx.jit(lambda x: np.bincount(x))(np.array([0, 3], dtype="int32")), TracerError,
     r"mx.np.bincount .computed by NumPy on the host; the shape of its result depends on"),
    (lambda: mx.jit(lambda x: np.ix_(x > 2))(np.arange(5.0)), ShapeError,
     r"mx.np.ix_ inside a compiled program: its results \[\(\(2,\)"),
    (lambda: np.linalg.eigvals(np.array([[0.0, 1.0], [-1.0, 0.0]])), DTypeError,
     r"mx.np.eigvals: NumPy's result is complex \(complex64\)"),
    (lambda: np.delete(A, 5, axis=0), MXNetIndexError,
     "delete: index 5 is out of bounds for axis 0 with size 2"),
    (lambda: np.delete(A, [True], axis=0), ShapeError,
     r"delete: a boolean obj must have shape \(2,\)"),
    (lambda: np.delete(A, [0.5]), ArgumentError, "delete: obj must hold integers"),
    (lambda: npx.constraint_check(A < 0, "all negative"), ConstraintError, "all negative"),
    (lambda: mx.jit(lambda x: x * npx.constraint_check(x > 2))(A), ConstraintError,
     "Constraint violated."),
    (lambda: npx.constraint_check(A), DTypeError, "constraint_check: input must be a bool"),
    (lambda: npx.constraint_check(A > 0, 3), ArgumentError, "msg must be a string"),
    (lambda: np.random.multivariate_normal(np.zeros(2), np.eye(3)), ShapeError,
     r"multivariate_normal: mean of shape \(2,\) and cov of shape \(3, 3\)"),
    (lambda: npx.random.bernoulli(0.5, 1.0), ParamError,
     "Either `prob` or `logit` must be specified, but not both"),
    (lambda: npx.random.bernoulli(np.array([0.5, 2.0])), ParamError,
     r"bernoulli: prob must be in \[0, 1\]"),
    (lambda: npx.reshape(A, (-6, 2)), ShapeError, "npx.reshape: -6 must be followed"),
    (lambda: npx.reshape(A, (-3, -2)), ShapeError, "npx.reshape: -3 at position 0"),
    (lambda: npx.reshape(A, (0, 6)), ShapeError, "npx.reshape: invalid code 0"),
    (lambda: mx.util.set_np(shape=False, array=True), ParamError,
     "NumPy Shape semantics is required"),
    (lambda: mx.util.use_np(3), ArgumentError, "use_np can only decorate classes"),
]


@pytest.mark.parametrize("call,error,message", CASES, ids=[c[2][:40] for c in CASES])
def test_error_messages(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_set_np_shape_cannot_turn_off_shape_semantics_under_array_semantics():
    npx.set_np()
    try:
        with pytest.raises(ParamError, match="call reset_np"):
            mx.util.set_np_shape(False)
    finally:
        npx.reset_np()


def test_in_place_errors():
    i = np.array([1, 2], dtype="int32")
    with pytest.raises(DTypeError, match="in-place div: cannot cast the float32 result"):
        i /= 2
    with pytest.raises(ShapeError, match=r"in-place add: the result's shape \(2, 2\)"):
        i += np.ones((2, 2), dtype="int32")
