"""`mx.nd.contrib`: control flow (foreach, while_loop, cond), index_copy, rand_zipfian,
isinf/isnan/isfinite, getnnz, arange_like and boolean_mask (from data_dependent.py).

Control flow is built on `mx.lax` (`core/loops.py`): bodies are traced once and run as
loops in compiled code, never unrolled.

* `foreach` is a `scan` over the first axis of `data`, eagerly too (compiled once per body
  and shapes, recorded on the autograd tape as one call);
* `cond` runs Python's `if` when the predicate has a value (eagerly, as MXNet 1.x does) and
  is a `cond` of both branches inside a trace (both must give the same structure, shapes and
  dtypes; only the branch the predicate picks runs);
* `while_loop` runs as Python's `while` eagerly; inside a trace it is a `scan` of
  `max_iterations` steps with a running "still looping" mask: a step after the condition
  first fails keeps the loop variables unchanged and gives zero output rows, which is what
  MXNet 1.9.1 gives eagerly, and it is differentiable. One difference: when the condition
  fails at once, the eager loop returns `[]` for the outputs (MXNet's behaviour) but the
  traced loop returns `max_iterations` zero rows (their shapes come from tracing `func`).
  Gradients flow through the steps that ran only; a body that divides by zero on the masked
  steps can still give NaN gradients, as with `where` in any traced framework.

    >>> outs, states = mx.nd.contrib.while_loop(
    ...     lambda i, s: i <= 5, lambda i, s: ([i + s], [i + 1, s + i]),
    ...     (mx.nd.array([0]), mx.nd.array([1])), max_iterations=10)  # doctest: +SKIP
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..base import (
    ArgumentError,
    ControlFlowError,
    DTypeError,
    MXNetIndexError,
    ParamError,
    ShapeError,
)
from ..core import Array, bind, current_trace, default_array_class
from ..core.loops import scan_as, switch_as
from ..core.operators import register_operator
from ..core.pytree import flatten_nested, regroup_nested
from ..trace import canonical_dtype, const
from . import elementwise
from .elementwise import binary, cast, exp, floor, log
from .operands import iota, not_equal_zero, reshape_exact
from .random import uniform
from .shape import broadcast_exact


def _flatten(args: Any, what: str) -> tuple[list[Array], Any]:
    return flatten_nested(args, what, Array, "an array or a (nested) list of arrays")


def _local(value: np.ndarray, traced: bool) -> Array:
    """A constant array of the default class: a graph literal when tracing, else eager."""
    cls = default_array_class()
    return cls._traced(const(value)) if traced else cls._wrap(value)


def _zeros(shape: tuple[int, ...], dtype: np.dtype, traced: bool) -> Array:
    return broadcast_exact(_local(np.zeros((), dtype), traced), shape)


def _stack(items: Sequence[Array], where: str) -> Array:
    first = items[0]
    for k, x in enumerate(items):
        if x.shape != first.shape or x._dtype != first._dtype:
            raise ControlFlowError(
                f"{where}: step outputs must keep their shape and dtype; step 0 gave "
                f"{first.shape} {first._dtype}, step {k} gave {x.shape} {x._dtype}")
    rows = [reshape_exact(x, shape=(1,) + x.shape) for x in items]
    return bind("concat", *rows, axis=0)


def _truth(value: Any, what: str) -> bool:
    if isinstance(value, Array):
        if value.size != 1:
            raise ControlFlowError(f"{what} must be a scalar (one element), got shape "
                                   f"{value.shape}")
        value = value.asscalar()
    try:
        return bool(value)
    except Exception:
        raise ControlFlowError(f"Cannot convert {what} to python bool") from None


def _is_traced(x: Any) -> bool:
    return isinstance(x, Array) and x._node is not None


def _mask(pred: Array, what: str) -> Array:
    """A traced scalar condition as a 0-d bool array."""
    if pred.size != 1:
        raise ControlFlowError(f"{what} must be a scalar (one element), got shape {pred.shape}")
    return not_equal_zero(reshape_exact(pred, shape=()))


def _select(mask: Array, a: Array, b: Array, where: str) -> Array:
    if a.shape != b.shape or a._dtype != b._dtype:
        raise ControlFlowError(f"{where}: the two values have shapes/dtypes {a.shape} "
                               f"{a._dtype} and {b.shape} {b._dtype}; they must match")
    return bind("where", broadcast_exact(mask, a.shape), a, b)


# ---- foreach, while_loop, cond ------------------------------------------------------------


def foreach(body: Callable[..., Any], data: Any, init_states: Any, name: str = "foreach"
            ) -> tuple[Any, Any]:
    """Run `body(data[i], states) -> (out, states)` over the first axis of `data` (`name`
    names the node on symbols and is accepted here, as in MXNet).

    Returns the outputs stacked along a new first axis and the final states. `body` is
    traced once and runs as one compiled loop (`mx.lax.scan`), eagerly too.

    >>> step = lambda x, s: (x + s[0], [s[0] * 2])
    >>> x, s0 = mx.nd.ones((3, 2)), [mx.nd.ones((2,))]
    >>> outs, states = mx.nd.contrib.foreach(step, x, s0)  # doctest: +SKIP
    """
    if not callable(body):
        raise ArgumentError("foreach: body must be a function")
    flat_data, _ = _flatten(data, "foreach: data")
    flat_states, state_fmt = _flatten(init_states, "foreach: init_states")
    single = isinstance(data, Array)
    if any(d.ndim == 0 for d in flat_data):
        raise ShapeError("foreach: data arrays need a first axis to iterate over")
    n = flat_data[0].shape[0]
    if any(d.shape[0] != n for d in flat_data):
        raise ShapeError(f"foreach: data arrays differ in length: "
                         f"{[d.shape[0] for d in flat_data]}")
    if n == 0:
        raise ShapeError("foreach: data has no rows to iterate over")
    formats: dict[str, Any] = {}

    def step(carry: list[Array], rows: list[Array]) -> tuple[list[Array], list[Array]]:
        states = regroup_nested(list(carry), state_fmt)[0]
        result = body(rows[0] if single else list(rows), states)
        if not isinstance(result, (list, tuple)) or len(result) != 2:
            raise ControlFlowError("foreach: body must return a pair (outputs, new_states)")
        outs, new_states = result
        flat_out, formats["out"] = _flatten(outs, "foreach: body outputs")
        flat_new, formats["states"] = _flatten(new_states, "foreach: body states")
        if len(flat_new) != len(carry):
            raise ControlFlowError(f"foreach: step outputs and states must keep their shape, "
                                   f"dtype and number from step to step: init_states holds "
                                   f"{len(carry)} arrays, body returned {len(flat_new)}")
        return list(flat_new), flat_out

    final, ys = scan_as("foreach", step, flat_states, flat_data)
    return regroup_nested(ys, formats["out"])[0], regroup_nested(final, formats["states"])[0]


def _as_list(x: Any) -> list[Any]:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def while_loop(cond: Callable[..., Any], func: Callable[..., Any], loop_vars: Any,
               max_iterations: Any = None, name: str = "while_loop") -> tuple[Any, Any]:
    """Run `func(*loop_vars) -> (step_output, new_loop_vars)` while `cond(*loop_vars)`.

    The step outputs are stacked into arrays with `max_iterations` rows; rows after the
    last executed step are zero (MXNet 1.9.1). Returns (outputs, final loop_vars).

    >>> cond = lambda i, s: i <= 5
    >>> func = lambda i, s: ([i + s], [i + 1, s + i])
    >>> vs = (mx.nd.array([0], dtype='int64'), mx.nd.array([1], dtype='int64'))
    >>> outs, states = mx.nd.contrib.while_loop(cond, func, vs, 10)  # doctest: +SKIP
    """
    if max_iterations is None:
        raise ParamError("max_iterations should be specified")
    try:
        limit = int(max_iterations.asscalar() if isinstance(max_iterations, Array)
                    else max_iterations)
    except (TypeError, ValueError):
        raise ParamError("Cannot convert max_iteration to python int") from None
    if limit < 0:
        raise ParamError(f"max_iterations must be >= 0, got {limit}")
    single = isinstance(loop_vars, Array)
    variables = _as_list(loop_vars)
    if not variables:
        raise ParamError("loop_vars should contain at least one element")
    _flatten(variables, "while_loop: loop_vars")
    if current_trace() is not None or any(_is_traced(v) for v in _flatten(variables, "")[0]):
        return masked_while_loop(cond, func, variables, limit, single)
    steps, out_fmt = 0, None
    outputs: list[list[Array]] = []
    while steps < limit:
        if not _truth(cond(*variables), "Return value of cond"):
            break
        step_output, variables = _call_body(func, variables)
        flat, out_fmt = _flatten(step_output, "while_loop: step_output")
        if outputs and len(flat) != len(outputs[0]):
            raise ParamError("Number of elements in step_output should be the same in each "
                             "step")
        outputs.append(flat)
        steps += 1
    stacked: Any = []
    for k, col in enumerate(zip(*outputs)):
        try:
            rows = _stack(col, "while_loop")
        except ControlFlowError:
            shapes = "\n".join(f"  Step {i}, shape is {x.shape}" for i, x in enumerate(col))
            raise ParamError(f"Shapes of {k + 1}-th elements in step_outputs are "
                             f"inconsistent, which are:\n{shapes}") from None
        if steps < limit:
            pad = _zeros((limit - steps,) + col[0].shape, col[0]._dtype, False)
            rows = bind("concat", rows, pad, axis=0)
        stacked.append(rows)
    if out_fmt is not None:
        stacked, _ = regroup_nested(stacked, out_fmt)
    return stacked, variables[0] if single else variables


def masked_while_loop(cond: Callable[..., Any], func: Callable[..., Any], variables: list[Any],
                      limit: int, single: bool) -> tuple[Any, Any]:
    """`while_loop` as a scan of `limit` steps carrying a "still looping" flag (inside a
    trace, and for MXNet's `_while_loop` node): steps after it turns false keep the
    variables and give zero rows.

    >>> outs, final = masked_while_loop(cond, func, [i, s], 10, False)  # doctest: +SKIP
    """
    flat, fmt = _flatten(variables, "while_loop: loop_vars")
    formats: dict[str, Any] = {}

    def step(carry: list[Array], _: Any) -> tuple[list[Array], list[Array]]:
        active, old = carry[0], carry[1:]
        now = regroup_nested(list(old), fmt)[0]
        c = cond(*now)
        if not isinstance(c, Array):
            c = _local(np.asarray([float(_truth(c, "Return value of cond"))]), True)
        active = bind("logical_and", active, _mask(c, "Return value of cond"))
        step_output, new_vars = _call_body(func, now)
        flat_out, formats["out"] = _flatten(step_output, "while_loop: step_output")
        flat_new, _ = _flatten(new_vars, "while_loop: new loop_vars")
        if len(flat_new) != len(old):
            raise ParamError("The length of loop_vars should be consistent during the loop")
        outs = [_select(active, o, _zeros(o.shape, o._dtype, True), "while_loop output")
                for o in flat_out]
        kept = [_select(active, a, b, "while_loop loop_vars") for a, b in zip(flat_new, old)]
        return [active] + kept, outs

    start = default_array_class()._wrap(np.asarray(True))
    final, ys = scan_as("while_loop", step, [start] + flat, None, length=limit)
    stacked = regroup_nested(ys, formats["out"])[0]
    result = regroup_nested(final[1:], fmt)[0]
    return stacked, result[0] if single else result


def _call_body(func: Callable[..., Any], variables: list[Any]) -> tuple[Any, list[Any]]:
    result = func(*variables)
    if not isinstance(result, (list, tuple)) or len(result) != 2:
        raise ControlFlowError("while_loop: func must return a pair (step_output, "
                               "new_loop_vars)")
    step_output, new_vars = result
    step_output = [] if step_output is None else step_output
    if isinstance(step_output, tuple):
        step_output = list(step_output)
    new_vars = _as_list([] if new_vars is None else new_vars)
    if len(new_vars) != len(variables):
        raise ParamError("The length of loop_vars should be consistent during the loop")
    return step_output, new_vars


def cond(pred: Any, then_func: Callable[[], Any], else_func: Callable[[], Any],
         name: str = "cond") -> Any:
    """`then_func()` if `pred` (a one-element array) is non-zero, else `else_func()` (`name`
    names the node on symbols and is accepted here, as in MXNet).

    >>> a, b = mx.nd.array([1]), mx.nd.array([2])
    >>> then, other = lambda: (a + 5) * (b + 5), lambda: (a - 5) * (b - 5)
    >>> mx.nd.contrib.cond(a * b < 5, then, other)  # doctest: +SKIP
    [42.]
    <Array 1 @cpu(0)>
    """
    if not _is_traced(pred):
        return then_func() if _truth(pred, "pred") else else_func()
    return switch_as("cond", _mask(pred, "pred"), [lambda: else_func(), lambda: then_func()],
                     (), ("then_func", "else_func")[::-1])


# ---- index_copy, rand_zipfian ---------------------------------------------------------------


@register_operator("_contrib_index_copy", inputs=("old_tensor", "index_vector", "new_tensor"))
def index_copy(old_tensor: Array, index_vector: Array, new_tensor: Array) -> Array:
    """A copy of `old_tensor` whose rows `index_vector[i]` are `new_tensor[i]`.

    Where an index repeats, its last row wins. Differentiable in both tensors.

    >>> x = mx.nd.zeros((5, 3)); t = mx.nd.ones((3, 3)); i = mx.nd.array([0, 4, 2])
    >>> mx.nd.contrib.index_copy(x, i, t).asnumpy()[:, 0]  # doctest: +SKIP
    array([1., 0., 1., 0., 1.], dtype=float32)
    """
    for name, a in (("old_tensor", old_tensor), ("index_vector", index_vector),
                    ("new_tensor", new_tensor)):
        if not isinstance(a, Array):
            raise ArgumentError(f"index_copy: {name} must be an array, got {type(a).__name__}")
    if index_vector.ndim != 1:
        raise ShapeError(f"index_copy: index_vector must be 1-D, got shape "
                         f"{index_vector.shape}")
    if old_tensor.ndim == 0 or new_tensor.shape != index_vector.shape + old_tensor.shape[1:]:
        raise ShapeError(f"index_copy: new_tensor must have shape "
                         f"{index_vector.shape + old_tensor.shape[1:]} (one row of old_tensor "
                         f"{old_tensor.shape} per index), got {new_tensor.shape}")
    if old_tensor._dtype != new_tensor._dtype:
        raise DTypeError(f"index_copy: old_tensor and new_tensor dtypes differ: "
                         f"{old_tensor._dtype} and {new_tensor._dtype}")
    n, m = old_tensor.shape[0], index_vector.shape[0]
    if index_vector._data is not None:
        idx_values = index_vector._data
        if m and (idx_values.min() < 0 or idx_values.max() >= n):
            raise MXNetIndexError(f"index_copy: indices must be in [0, {n}), got "
                             f"{idx_values.tolist()}")
    idx = index_vector if index_vector._dtype == np.int64 else cast(index_vector,
                                                                        np.int64)
    if m == 0:
        return old_tensor  # (front ends return it as a new array)
    # keep[i]: no later position holds the same index (the last write wins)
    pair = (m, m)
    same = bind("eq", broadcast_exact(reshape_exact(idx, shape=(m, 1)), pair),
                broadcast_exact(reshape_exact(idx, shape=(1, m)), pair))
    later = bind("gt", iota(pair, 1, idx), iota(pair, 0, idx))
    shadowed = cast(bind("logical_and", same, later), np.int64)
    keep = cast(bind("eq", bind("reduce_sum", shadowed, axes=(1,)),
                         broadcast_exact(_local(np.zeros((), np.int64), idx._node is not None),
                                          (m,))), old_tensor._dtype)
    row = index_vector.shape + (1,) * (old_tensor.ndim - 1)
    kept = new_tensor * broadcast_exact(reshape_exact(keep, shape=row), new_tensor.shape)
    scattered = bind("scatter_add", kept, idx, axis=0, mode="clip", size=n)
    hits = bind("scatter_add", keep, idx, axis=0, mode="clip", size=n)
    mask = not_equal_zero(broadcast_exact(
        reshape_exact(hits, shape=(n,) + (1,) * (old_tensor.ndim - 1)), old_tensor.shape))
    return bind("where", mask, scattered, old_tensor)


def rand_zipfian(true_classes: Array, num_sampled: int, range_max: int,
                 ctx: Any = None) -> tuple[Array, Array, Array]:
    """Draw `num_sampled` classes from the log-uniform (Zipfian) distribution on
    [0, range_max), with the expected counts of the true and of the sampled classes.

    Samples are int64, expected counts float64.

    >>> s, c_true, c_s = mx.nd.contrib.rand_zipfian(mx.nd.array([3]), 4, 5)  # doctest: +SKIP
    """
    if not isinstance(true_classes, Array):
        raise ArgumentError("rand_zipfian: true_classes must be an array")
    if int(num_sampled) <= 0 or int(range_max) <= 0:
        raise ParamError(f"rand_zipfian: num_sampled and range_max must be positive, got "
                         f"{num_sampled} and {range_max}")
    log_range = math.log(range_max + 1)
    rand = uniform(0, log_range, shape=(int(num_sampled),), dtype="float64", ctx=ctx)
    sampled = binary("mod", cast(exp(rand) - 1.0, np.int64), int(range_max))
    true_f = true_classes if true_classes._dtype == np.float64 else cast(true_classes,
                                                                             np.float64)
    count_true = log((true_f + 2.0) / (true_f + 1.0)) / log_range * float(num_sampled)
    sampled_f = cast(sampled, np.float64)
    count_sampled = log((sampled_f + 2.0) / (sampled_f + 1.0)) / log_range * float(
        num_sampled)
    return sampled, count_true, count_sampled


# ---- elementwise tests ------------------------------------------------------------------------


def _check_array(fn: str, data: Any) -> Array:
    if not isinstance(data, Array):
        raise ArgumentError(f"{fn}: data must be an array, got {type(data).__name__}")
    return data


def _as_dtype(mask: Array, like: Array) -> Array:
    return cast(mask, like._dtype) if like._dtype != np.bool_ else mask


def isinf(data: Array) -> Array:
    """1 where `data` is +inf or -inf, else 0 (in `data`'s dtype).

    >>> mx.nd.contrib.isinf(mx.nd.array([np.inf, -np.inf, 1]))  # doctest: +SKIP
    [1. 1. 0.]
    <Array 3 @cpu(0)>
    """
    data = _check_array("isinf", data)
    if data._dtype.kind != "f":
        return broadcast_exact(_local(np.zeros((), data._dtype), data._node is not None),
                                data.shape)
    inf = broadcast_exact(_local(np.asarray(np.inf, data._dtype), data._node is not None),
                           data.shape)
    return _as_dtype(bind("eq", elementwise.abs(data), inf), data)


def isnan(data: Array) -> Array:
    """1 where `data` is NaN, else 0 (in `data`'s dtype).

    >>> mx.nd.contrib.isnan(mx.nd.array([np.nan, -1]))  # doctest: +SKIP
    [1. 0.]
    <Array 2 @cpu(0)>
    """
    data = _check_array("isnan", data)
    if data._dtype.kind != "f":
        return broadcast_exact(_local(np.zeros((), data._dtype), data._node is not None),
                                data.shape)
    return _as_dtype(bind("isnan", data), data)


def isfinite(data: Array) -> Array:
    """1 where `data` is neither infinite nor NaN, else 0 (in `data`'s dtype).

    >>> mx.nd.contrib.isfinite(mx.nd.array([np.inf, np.nan, 1]))  # doctest: +SKIP
    [0. 0. 1.]
    <Array 3 @cpu(0)>
    """
    data = _check_array("isfinite", data)
    if data._dtype.kind != "f":
        return broadcast_exact(_local(np.ones((), data._dtype), data._node is not None),
                                data.shape)
    return 1 - isinf(data) - isnan(data)


# ---- arange_like ------------------------------------------------------------


@register_operator("_contrib_arange_like")
def arange_like(data: Array, start: float = 0.0, step: float = 1.0, repeat: int = 1,
                ctx: Any = None, axis: int | None = None) -> Array:
    """start + step * (i // repeat) over the elements of `data` (its shape, or the length of
    `axis` as a 1-D array), in `data`'s dtype.

    >>> mx.nd.contrib.arange_like(mx.nd.zeros((2, 3)))  # doctest: +SKIP
    [[0. 1. 2.]
     [3. 4. 5.]]
    <Array 2x3 @cpu(0)>
    """
    data = _check_array("arange_like", data)
    if int(repeat) < 1:
        raise ParamError(f"arange_like: repeat must be >= 1, got {repeat}")
    if axis is None:
        shape = data.shape
    else:
        ax = axis + data.ndim if axis < 0 else axis
        if not 0 <= ax < data.ndim:
            raise ShapeError(f"arange_like: axis {axis} out of range for shape {data.shape}")
        shape = (data.shape[ax],)
    d = canonical_dtype(data._dtype)
    n = int(math.prod(shape))
    flat = iota((n,), 0, data, np.float64)
    if int(repeat) > 1:
        flat = floor(flat / float(repeat))
    values = reshape_exact(flat * float(step) + float(start), shape=shape)
    result = values if d == np.float64 else cast(values, d)
    if ctx is not None and result._node is None:
        result._ctx = ctx
    return result
