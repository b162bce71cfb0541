"""MXNet's control-flow operators `_foreach`, `_while_loop` and `_cond`: what a symbol graph
holds for `mx.sym.contrib.foreach`, `while_loop` and `cond`, their bodies kept as
subgraphs of the node.

Each takes the node's inputs and MXNet's parameters, which say where each input goes among
a body's inputs (`in_data_locs`, `func_input_locs`, ...), and `subgraphs`: each body as a
function of its inputs (in the subgraph's `list_inputs()` order) that returns its outputs,
which running a symbol graph passes. The loops themselves are `mx.nd.contrib`'s (a scan,
a masked scan of `max_iterations` steps, a cond), so a bound graph compiles them once.

    >>> outs = foreach_node(x, s0, num_args=3, num_outputs=2, num_out_data=1,
    ...                     in_state_locs=(1,), in_data_locs=(0,), remain_locs=(),
    ...                     subgraphs=[body])  # doctest: +SKIP
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

from ..base import ParamError, UnsupportedError
from ..core import Array
from ..core.operators import register_operator
from .contrib import cond, foreach, masked_while_loop

#: A body: arrays in, its outputs (a list of arrays) out.
Body = Callable[..., list[Array]]


def _bodies(op: str, subgraphs: Sequence[Body], count: int) -> Sequence[Body]:
    if not subgraphs:
        raise UnsupportedError(f"{op} runs its bodies from a symbol graph's subgraphs; from "
                               f"Python, call mx.nd.contrib.{op.strip('_')} with functions")
    if len(subgraphs) != count:
        raise ParamError(f"{op}: needs {count} subgraphs, got {len(subgraphs)}")
    return subgraphs


def _placed(op: str, size: int, groups: Sequence[tuple[Sequence[int], Sequence[Array]]]
            ) -> list[Array]:
    """A body's `size` inputs: each group's arrays at its locations."""
    slots: list[Array | None] = [None] * size
    for locations, arrays in groups:
        for loc, array in zip(locations, arrays):
            if not 0 <= loc < size or slots[loc] is not None:
                raise ParamError(f"{op}: input location {loc} is out of range or taken twice "
                                 f"for a body of {size} inputs")
            slots[loc] = array
    if any(s is None for s in slots):
        raise ParamError(f"{op}: the locations leave body inputs "
                         f"{[k for k, s in enumerate(slots) if s is None]} without a value")
    return slots  # type: ignore[return-value]


def _checked(op: str, locations: Sequence[int], size: int) -> list[int]:
    if any(not 0 <= k < size for k in locations):
        raise ParamError(f"{op}: locations {list(locations)} are out of range for {size} "
                         f"inputs")
    return list(locations)


def _picked(op: str, data: Sequence[Array], locations: Sequence[int]) -> list[Array]:
    return [data[k] for k in _checked(op, locations, len(data))]


@register_operator("_foreach", inputs=("data",))
def foreach_node(*data: Array, num_args: int, num_outputs: int, num_out_data: int,
                 in_state_locs: Sequence[int], in_data_locs: Sequence[int],
                 remain_locs: Sequence[int], subgraphs: Sequence[Body] = ()) -> list[Array]:
    """MXNet's `_foreach`: the body over the first axis of the data inputs, which come
    first, then the initial states, then what the body reads besides. Returns the stacked
    step outputs (`num_out_data`), then the final states.

    >>> outs, states = mx.sym.contrib.foreach(step, x, [s0])  # doctest: +SKIP
    """
    (body,) = _bodies("_foreach", subgraphs, 1)
    n_data, n_states = len(in_data_locs), len(in_state_locs)
    if len(data) != n_data + n_states + len(remain_locs):
        raise ParamError(f"_foreach: {len(data)} inputs for {n_data} data arrays, {n_states} "
                         f"states and {len(remain_locs)} other inputs")
    remains = data[n_data + n_states:]

    def step(rows: list[Array], states: list[Array]) -> tuple[list[Array], list[Array]]:
        outs = body(*_placed("_foreach", len(data), [
            (in_data_locs, rows), (in_state_locs, states), (remain_locs, remains)]))
        return outs[:num_out_data], outs[num_out_data:]

    outs, states = foreach(step, list(data[:n_data]), list(data[n_data:n_data + n_states]))
    return [*outs, *states]


@register_operator("_while_loop", inputs=("data",))
def while_loop_node(*data: Array, num_args: int, num_outputs: int, num_out_data: int,
                    max_iterations: int, cond_input_locs: Sequence[int],
                    func_input_locs: Sequence[int], func_var_locs: Sequence[int],
                    subgraphs: Sequence[Body] = ()) -> list[Array]:
    """MXNet's `_while_loop`: the body while the condition holds, at most
    `max_iterations` steps; the loop variables are the body's inputs at `func_var_locs`.
    Returns the step outputs stacked to `max_iterations` rows (zero rows after the last
    step, as MXNet's symbols give), then the final loop variables.

    >>> outs, final = mx.sym.contrib.while_loop(cond, func, [i, s], 10)  # doctest: +SKIP
    """
    cond_body, func_body = _bodies("_while_loop", subgraphs, 2)
    at = _checked("_while_loop", func_input_locs, len(data))
    positions = [at[k] for k in _checked("_while_loop", func_var_locs, len(at))]

    def current(values: Sequence[Array]) -> list[Array]:
        now = list(data)
        for k, value in zip(positions, values):
            now[k] = value
        return now

    def condition(*values: Array) -> Array:
        return cond_body(*_picked("_while_loop", current(values), cond_input_locs))[0]

    def step(*values: Array) -> tuple[list[Array], list[Array]]:
        outs = func_body(*[current(values)[k] for k in at])
        return outs[:num_out_data], outs[num_out_data:]

    outs, final = masked_while_loop(condition, step, [data[k] for k in positions],
                                    max_iterations, False)
    return [*outs, *final]


@register_operator("_cond", inputs=("data",))
def cond_node(*data: Array, num_args: int, num_outputs: int, cond_input_locs: Sequence[int],
              then_input_locs: Sequence[int], else_input_locs: Sequence[int],
              subgraphs: Sequence[Body] = ()) -> list[Array]:
    """MXNet's `_cond`: the then branch's outputs where the condition body gives non-zero,
    else the else branch's (each body reads the inputs at its locations).

    >>> out = mx.sym.contrib.cond(a < b, lambda: a + 1, lambda: b - 1)  # doctest: +SKIP
    """
    pred_body, then_body, else_body = _bodies("_cond", subgraphs, 3)
    pred = pred_body(*_picked("_cond", data, cond_input_locs))[0]
    then_in, else_in = _picked("_cond", data, then_input_locs), _picked("_cond", data,
                                                                       else_input_locs)
    return list(cond(pred, lambda: then_body(*then_in), lambda: else_body(*else_in)))
