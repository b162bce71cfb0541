"""Small math operators: in `mx.nd` broadcast_hypot (and MXNet's internal `_hypot` and
`_hypot_scalar`, which `mx.sym.hypot` writes), identity, onehot_encode,
fill_element_0index and cumsum; in `mx.nd.contrib` allclose, quadratic, gradientmultiplier,
the straight-through estimators round_ste and sign_ste, index_array, div_sqrt_dim, and
MXNet's explicit backward operators (backward_quadratic, backward_gradientmultiplier,
backward_index_copy), which are the vjps of their forward operators.

    >>> mx.nd.contrib.quadratic(mx.nd.array([1, 2]), a=1, b=2, c=3)  # doctest: +SKIP
    [ 6. 11.]
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..base import DTypeError, MXNetIndexError, ShapeError
from ..core import Array, bind, jit, scalar_operand, vjp
from ..core.operators import register_operator
from .arith import check_same_shape
from .contrib import index_copy
from .elementwise import abs, binary, cast, maximum, promote, round, sign, sqrt
from .indexing import concrete, one_hot
from .mixed_precision import compute_dtype, every
from .nn import BlockGrad
from .operands import (
    as_dtype,
    axis_index,
    constant,
    ew,
    iota,
    reshape_exact,
    select,
    write_out,
)
from .prefix_sums import prefix_sums_last
from .shape import broadcast_exact, swapaxes

# ---- mx.nd ------------------------------------------------------------------------------------


@register_operator("broadcast_hypot", inputs=("lhs", "rhs"))
def broadcast_hypot(lhs: Array, rhs: Array) -> Array:
    """sqrt(lhs**2 + rhs**2) with broadcasting, without overflow for large legs (integer
    arrays give the truncated result in their dtype, as MXNet).

    >>> mx.nd.broadcast_hypot(mx.nd.array([[3, 3]]), mx.nd.array([[4], [4]]))  # doctest: +SKIP
    [[5. 5.]
     [5. 5.]]
    """
    dtype = np.result_type(lhs._dtype, rhs._dtype)
    cd = compute_dtype(dtype)
    a, b = abs(as_dtype(lhs, cd)), abs(as_dtype(rhs, cd))
    big = maximum(a, b)
    scale = select(ew("gt", big, 0), big, 1)  # (big itself is the result's size)
    legs = big * sqrt((a / scale) * (a / scale) + (b / scale) * (b / scale))
    # (an infinite leg wins over a NaN one, as C's hypot and NumPy's)
    legs = select(ew("eq", a, np.inf), a, select(ew("eq", b, np.inf), b, legs))
    return as_dtype(legs, dtype)


@register_operator("_hypot", inputs=("lhs", "rhs"), aliases=("_Hypot",), fresh=True)
def hypot(lhs: Array, rhs: Array) -> Array:
    """sqrt(lhs**2 + rhs**2) of two arrays of one shape and dtype (MXNet's `_hypot`, what
    `mx.sym.hypot` of two symbols writes; `broadcast_hypot` broadcasts).

    >>> mx.sym.hypot(mx.sym.var('x'), mx.sym.var('y'))  # doctest: +SKIP
    """
    check_same_shape("_hypot", lhs, rhs, "broadcast_hypot")
    return broadcast_hypot(*promote(lhs, rhs, "_hypot"))


@register_operator("_hypot_scalar", aliases=("_HypotScalar",), fresh=True)
def hypot_scalar(data: Array, scalar: float = 1.0, is_int: bool = True) -> Array:
    """sqrt(data**2 + scalar**2), the scalar taking the array's dtype (MXNet's
    `_hypot_scalar`, what `mx.sym.hypot` of a symbol and a number writes).

    >>> mx.sym.hypot(mx.sym.var('x'), 4)  # doctest: +SKIP
    """
    return broadcast_hypot(data, scalar_operand(scalar, data))


@register_operator("_copy", aliases=("identity",))
def identity(data: Array) -> Array:
    """A copy of `data`.

    >>> mx.nd.identity(mx.nd.array([1, 2]))  # doctest: +SKIP
    """
    return cast(data, data._dtype)  # (a copy)


@register_operator("_identity_with_attr_like_rhs", inputs=("lhs", "rhs"))
def identity_with_attr_like_rhs(lhs: Array, rhs: Array) -> Array:
    """A copy of `lhs`, which must have `rhs`'s shape (a shape constraint for inference:
    `rhs` gets no gradient).

    >>> mx.sym._internal._identity_with_attr_like_rhs(w2, w)  # doctest: +SKIP
    """
    if lhs.shape != rhs.shape:
        raise ShapeError(f"_identity_with_attr_like_rhs: lhs's shape {lhs.shape} is not "
                         f"rhs's {rhs.shape}")
    return cast(lhs, lhs._dtype)  # (a copy)


@register_operator("_onehot_encode", inputs=("lhs", "rhs"))
def onehot_encode_into(lhs: Array, rhs: Array) -> Array:
    """One-hot rows of `rhs`'s shape and dtype: row i is 1 at column trunc(lhs[i]), and all
    0 where that column is out of range.

    >>> mx.nd.onehot_encode(mx.nd.array([0, 2]), mx.nd.zeros((2, 3)))  # doctest: +SKIP
    """
    if lhs.ndim != 1 or rhs.ndim != 2 or lhs.shape[0] != rhs.shape[0]:
        raise ShapeError(f"onehot_encode: needs 1-D indices (n,) and a 2-D output (n, depth), "
                         f"got {lhs.shape} and {rhs.shape}")
    return one_hot(lhs, rhs.shape[1], dtype=rhs._dtype)


def onehot_encode(indices: Array, out: Array) -> Array:
    """Write the one-hot encoding of `indices` (n,) into `out` (n, depth) and return `out`
    (deprecated in MXNet: use `one_hot`).

    >>> mx.nd.onehot_encode(mx.nd.array([0, 2]), mx.nd.zeros((2, 3)))  # doctest: +SKIP
    """
    return write_out(onehot_encode_into(indices, out), out)


@register_operator("fill_element_0index", inputs=("lhs", "mhs", "rhs"))
def fill_element_0index(lhs: Array, mhs: Array, rhs: Array) -> Array:
    """A copy of the matrix `lhs` with element [i, trunc(rhs[i])] set to mhs[i] in each row
    (rows whose index is out of range are left as they are).

    >>> mx.nd.fill_element_0index(mx.nd.zeros((2, 3)), mx.nd.array([7, 8]),
    ...                           mx.nd.array([0, 2]))  # doctest: +SKIP
    [[7. 0. 0.]
     [0. 0. 8.]]
    """
    if lhs.ndim != 2 or mhs.shape != lhs.shape[:1] or rhs.shape != lhs.shape[:1]:
        raise ShapeError(f"fill_element_0index: needs a matrix (n, m), values (n,) and indices "
                         f"(n,), got {lhs.shape}, {mhs.shape} and {rhs.shape}")
    if mhs._dtype != lhs._dtype:
        raise DTypeError(f"fill_element_0index: the values ({mhs._dtype}) must have the "
                         f"matrix's dtype ({lhs._dtype})")
    hit = one_hot(rhs, lhs.shape[1], dtype=np.bool_)
    values = broadcast_exact(reshape_exact(mhs, (lhs.shape[0], 1)), lhs.shape)
    return select(hit, values, lhs)


@register_operator("_np_cumsum", inputs=("a",), aliases=("cumsum",),
                   kinds={"dtype": "dtype"})
def cumsum(a: Array, axis: int | None = None, dtype: Any = None) -> Array:
    """Cumulative sums along `axis` (of the flattened array when None), in `dtype` (default:
    `a`'s; bool sums as int64; float16 accumulates in float32). Integer sums wrap around
    like C's.

    >>> mx.nd.cumsum(mx.nd.array([[1, 2], [3, 4]]), axis=0)  # doctest: +SKIP
    [[1. 2.]
     [4. 6.]]
    """
    if dtype is None:
        dtype = np.int64 if a._dtype == np.bool_ else a._dtype
    x = as_dtype(a, dtype)
    if axis is None:
        x, ax = reshape_exact(x, (x.size,)), 0
    else:
        ax = axis_index(axis, x.ndim, "cumsum")
    if x.size == 0:
        return cast(x, x._dtype)  # (a copy)
    last = x.ndim - 1
    if x._dtype == np.float16:  # (accumulated in float32, as sums of float16 are)
        wide = prefix_sums_last(swapaxes(cast(x, np.float32), ax, last))
        return cast(swapaxes(wide, ax, last), np.float16)
    return swapaxes(prefix_sums_last(swapaxes(x, ax, last)), ax, last)


# ---- mx.nd.contrib ------------------------------------------------------------------------


@register_operator("_contrib_allclose", inputs=("a", "b"))
def allclose(a: Array, b: Array, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = True) -> Array:
    """1 (uint8, 0-d) if |a - b| <= atol + rtol * |b| everywhere (`b` is the reference),
    else 0. Infinities are close only to themselves; NaNs to NaNs with `equal_nan`.

    >>> mx.nd.contrib.allclose(mx.nd.array([1e10, 1e-8]),
    ...                        mx.nd.array([1.00001e10, 1e-9]))  # doctest: +SKIP
    1
    """
    if a.shape != b.shape:
        raise ShapeError(f"allclose: the arrays must have one shape, got {a.shape} and "
                         f"{b.shape}")
    x, y = as_dtype(a, np.float64), as_dtype(b, np.float64)
    # (MXNet holds the tolerances as float32)
    limit = ew("add", ew("mul", abs(y), float(np.float32(rtol))), float(np.float32(atol)))
    finite = ew("logical_and", ew("lt", abs(x), np.inf), ew("lt", abs(y), np.inf))
    near = ew("logical_and", finite, ew("le", abs(x - y), limit))
    close = ew("logical_or", ew("eq", x, y), near)
    if equal_nan:
        close = ew("logical_or", close, ew("logical_and", ew("isnan", x), ew("isnan", y)))
    return cast(every(close), np.uint8)


def _in_compute_dtype(data: Array, f: Callable[[Array], Array]) -> Array:
    """f(data) computed in float (float32 for float16, float64 for integers) and returned
    in data's dtype, as MXNet's kernels compute with their float parameters."""
    cd = compute_dtype(data._dtype)
    return as_dtype(f(as_dtype(data, cd)), data._dtype)


@register_operator("_contrib_quadratic")
def quadratic(data: Array, a: float = 0.0, b: float = 0.0, c: float = 0.0) -> Array:
    """a * x**2 + b * x + c, elementwise.

    >>> mx.nd.contrib.quadratic(mx.nd.array([[1, 2], [3, 4]]), a=1, b=2, c=3)  # doctest: +SKIP
    [[ 6. 11.]
     [18. 27.]]
    """
    return _in_compute_dtype(data, lambda x: x * (x * float(a) + float(b)) + float(c))


def _with_gradient_of(value: Array, t: Array) -> Array:
    """`value`, with the gradient of `t`: value - (t - t) with the gradient stopped on all
    but the last t, which is exactly `value` wherever t is finite (elsewhere `value`, with
    no gradient)."""
    if value._dtype.kind != "f":
        return identity(value)  # (no gradients over integers)
    through = ew("sub", BlockGrad(value), ew("sub", BlockGrad(t), t))
    return select(ew("lt", abs(t), np.inf), through, value)


@register_operator("_contrib_gradientmultiplier")
def gradientmultiplier(data: Array, scalar: float = 1.0, is_int: bool = True) -> Array:
    """The identity, whose gradient is the incoming one times `scalar` (a gradient reversal
    layer with scalar=-1).

    >>> y = mx.nd.contrib.gradientmultiplier(x, scalar=-1.0)  # doctest: +SKIP
    """
    return _with_gradient_of(data, data * float(scalar))


@register_operator("_contrib_round_ste")
def round_ste(data: Array) -> Array:
    """round(x) (halves away from zero), whose gradient passes through unchanged (a
    straight-through estimator).

    >>> mx.nd.contrib.round_ste(mx.nd.array([-1.5, 1.5, 2.7]))  # doctest: +SKIP
    [-2.  2.  3.]
    """
    return _with_gradient_of(round(data), data)


@register_operator("_contrib_sign_ste")
def sign_ste(data: Array) -> Array:
    """sign(x), whose gradient passes through unchanged (a straight-through estimator).

    >>> mx.nd.contrib.sign_ste(mx.nd.array([-2, 0, 3]))  # doctest: +SKIP
    [-1.  0.  1.]
    """
    return _with_gradient_of(sign(data), data)


@register_operator("_contrib_index_array", kinds={"axes": "shape"})
def index_array(data: Array, axes: Sequence[int] | None = None) -> Array:
    """The index of each element of `data`: shape data.shape + (len(axes),), entry
    [i_1, ..., i_n, j] = i_axes[j] (all axes in order by default), int64.

    >>> mx.nd.contrib.index_array(mx.nd.ones((2, 2)))  # doctest: +SKIP
    """
    chosen = range(data.ndim) if axes is None else [
        axis_index(a, data.ndim, "index_array") for a in axes]
    shape = data.shape + (1,)
    columns = [iota(shape, k, data) for k in chosen]
    if not columns:
        return constant(np.zeros(data.shape + (0,), np.int64), data)
    return columns[0] if len(columns) == 1 else bind("concat", *columns, axis=data.ndim)


@register_operator("_contrib_div_sqrt_dim")
def div_sqrt_dim(data: Array) -> Array:
    """data / sqrt(data.shape[-1]) (the scaling of dot-product attention).

    >>> mx.nd.contrib.div_sqrt_dim(mx.nd.ones((2, 4)))  # doctest: +SKIP
    [[0.5 0.5 0.5 0.5]
     [0.5 0.5 0.5 0.5]]
    """
    if data.ndim == 0:
        raise ShapeError("div_sqrt_dim: needs at least one axis (the channels)")
    return binary("div", data, math.sqrt(data.shape[-1]))


# ---- MXNet's explicit backward operators, as mx's vjps ---------------------------------------


def _cotangents(forward: Callable[..., Any], wrt: tuple[int, ...], params: tuple,
                cotangent: Array, *inputs: Array) -> tuple:
    """The cotangents of inputs[wrt] for forward(*inputs, **params) at `cotangent`."""
    def of_primals(*primals: Array) -> Any:
        args = list(inputs)
        for k, p in zip(wrt, primals):
            args[k] = p
        return forward(*args, **dict(params))

    _, back = vjp(of_primals, *(inputs[k] for k in wrt))
    return back(cotangent)  # type: ignore[no-any-return]


#: One compiled program per forward operator, parameters and shapes (inlined when traced).
_vjp_program = jit(_cotangents, static_argnums=(0, 1, 2))


def _floating(op: str, *arrays: Array) -> None:
    for x in arrays:
        if x._dtype.kind != "f":
            raise DTypeError(f"{op}: gradients are floating-point; got {x._dtype}")


@register_operator("_contrib_backward_quadratic", inputs=("ograd", "data"))
def backward_quadratic(ograd: Array, data: Array, a: float = 0.0, b: float = 0.0,
                       c: float = 0.0) -> Array:
    """The gradient of `quadratic` at `data` for the head gradient `ograd`:
    ograd * (2 a x + b).

    >>> mx.nd.contrib.backward_quadratic(mx.nd.ones(2), mx.nd.array([1, 2]), a=1)  # doctest: +SKIP
    [2. 4.]
    """
    _floating("backward_quadratic", ograd, data)
    params = (("a", float(a)), ("b", float(b)), ("c", float(c)))
    return _vjp_program(quadratic, (0,), params, ograd, data)[0]  # type: ignore[no-any-return]


@register_operator("_contrib_backward_gradientmultiplier")
def backward_gradientmultiplier(data: Array, scalar: float = 1.0, is_int: bool = True
                                ) -> Array:
    """The gradient of `gradientmultiplier` for the head gradient `data`: data * scalar
    (for an integer `data`, `scalar` truncated with `is_int`, else the result is float64).

    >>> mx.nd.contrib.backward_gradientmultiplier(mx.nd.ones(2), scalar=3)  # doctest: +SKIP
    [3. 3.]
    """
    if data._dtype.kind != "f":  # (scalar operators' integer rule; no vjp over integers)
        return binary("mul", data if is_int else as_dtype(data, np.float64), float(scalar))
    params = (("scalar", float(scalar)), ("is_int", bool(is_int)))
    # the operator is linear: its vjp is the same at every point, `data` included
    return _vjp_program(gradientmultiplier, (0,), params, data, data)[0]  # type: ignore


@register_operator("_contrib_backward_index_copy",
                   inputs=("ograd", "old_tensor", "index_vector", "new_tensor"))
def backward_index_copy(ograd: Array, old_tensor: Array, index_vector: Array,
                        new_tensor: Array) -> list[Array]:
    """The gradients of `index_copy` for the head gradient `ograd`: [for old_tensor (0 in
    the copied rows), for index_vector (zeros), for new_tensor (the copied rows of ograd;
    where an index repeats, its last row, the one index_copy keeps)].

    >>> x, i, t = mx.nd.zeros((3, 2)), mx.nd.array([2]), mx.nd.ones((1, 2))
    >>> g_old, g_i, g_new = mx.nd.contrib.backward_index_copy(x + 1, x, i, t)  # doctest: +SKIP
    """
    _floating("backward_index_copy", ograd, old_tensor, new_tensor)
    if ograd.shape != old_tensor.shape:
        raise ShapeError(f"backward_index_copy: ograd {ograd.shape} must have old_tensor's "
                         f"shape {old_tensor.shape}")
    n = old_tensor.shape[0] if old_tensor.ndim else 0
    values = concrete(index_vector)  # (checked here: the program's index is traced)
    if values is not None and values.size and not 0 <= values.min() <= values.max() < n:
        raise MXNetIndexError(f"backward_index_copy: indices must be in [0, {n}), got "
                              f"{values.tolist()}")
    g_old, g_new = _vjp_program(index_copy, (0, 2), (), ograd, old_tensor, index_vector,
                                new_tensor)
    zeros = broadcast_exact(constant(np.zeros((), index_vector._dtype), index_vector),
                            index_vector.shape)
    return [g_old, zeros, g_new]
