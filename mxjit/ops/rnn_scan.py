"""The recurrent cells of the fused RNN operator, and one layer direction as a `scan` with a
backward pass of its own (the CPU path of ops/rnn.py).

A cell's step takes the hidden-to-hidden product `hh = h @ W_hh.T + b_hh` already made, so
the matrix product and the gates are apart. Differentiating the plain scan would add each
step's weight gradient `dhh_t.T @ h_{t-1}` into a gradient carry as big as the weights, a
full read and write of it per step (for a 2x200 LSTM over 35 steps, 19 of the 140 ms of a
language-model training step). The backward pass here (as cuDNN's) is a reverse scan that
carries only the state gradients, with each cell's derivative written out over the
activations the forward scan kept (no transcendental function is recomputed), and stacks
each step's `dhh_t`; the weight gradient is then one matrix product over all steps and the
bias gradient one sum. Clipped or projected LSTMs take the plain scan's gradient.

    >>> ys, h, c = scan_direction(projected, h0, c0, w_hh, b_hh, None, 'lstm', 8, None,
    ...                           False)  # doctest: +SKIP
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..core import Array, bind, custom_vjp
from ..core.loops import scan
from . import elementwise, reduce
from .elementwise import relu
from .nn import FullyConnected
from .operands import ew, full, reshape_exact, select
from .shape import broadcast_exact, concat, expand_dims, slice_axis, slice_ranges


@dataclass(frozen=True)
class Clip:
    """The LSTM's cell-state clipping."""

    low: float
    high: float
    nan: bool  # NaN states become `low` rather than propagating


def linear(x: Array, weight: Array, bias: Array | None) -> Array:
    """x @ weight.T + bias over the last axis of x."""
    return FullyConnected(x, weight, bias, num_hidden=weight.shape[0], no_bias=bias is None,
                          flatten=False)


def _gate(z: Array, k: int, hidden: int) -> Array:
    """The k-th block of `hidden` columns of z."""
    return slice_ranges(z, (0, k * hidden), (z.shape[0], (k + 1) * hidden), (1, 1))


@dataclass(frozen=True)
class _Config:
    """What a direction's scan is specialised to (one custom_vjp function per config, so
    eager calls reuse its compiled programs)."""

    mode: str
    hidden: int
    reverse: bool
    cell: bool  # an LSTM's cell state
    bias: bool
    masked: bool  # per-step sequence-length masks

    @property
    def names(self) -> tuple[str, ...]:
        return ("x", "h", "w") + ("c",) * self.cell + ("b",) * self.bias + ("keep",) * self.masked


def _sigmoid_grad(y: Array) -> Array:
    return y * (1 - y)


# ---- each cell's step with what its backward pass needs, and that backward pass ----------
# forward(x, hh, h, c, H, clip) -> (h', c', saved); backward(saved, h, dh', dc') -> (dx,
# dhh, dh through h directly or None, dc or None). x and hh are (batch, gates * H). Only
# the LSTM clips (its backward pass is for the unclipped cell: clipped ones take the
# plain scan's gradient).


def _lstm_forward(x: Array, hh: Array, h: Array, c: Array | None, hidden: int,
                  clip: Clip | None) -> Any:
    assert c is not None
    z = x + hh
    i, f, o = (ew("sigmoid", _gate(z, k, hidden)) for k in (0, 1, 3))
    g = ew("tanh", _gate(z, 2, hidden))
    c_new = f * c + i * g
    if clip is not None:
        clipped = elementwise.clip(c_new, clip.low, clip.high)
        c_new = select(ew("isnan", c_new), full(clip.low, c_new), clipped) if clip.nan \
            else clipped
    tc = ew("tanh", c_new)
    return o * tc, c_new, (i, f, g, o, tc, c)


def _lstm_backward(saved: tuple, h: Array, dh: Array, dc: Array | None) -> Any:
    i, f, g, o, tc, c = saved
    dct = dh * o * (1 - tc * tc)
    if dc is not None:
        dct = dct + dc
    dz = concat(dct * g * _sigmoid_grad(i), dct * c * _sigmoid_grad(f), dct * i * (1 - g * g),
                dh * tc * _sigmoid_grad(o), dim=1)
    return dz, dz, None, dct * f


def _gru_forward(x: Array, hh: Array, h: Array, c: Array | None, hidden: int,
                 clip: Clip | None) -> Any:
    r = ew("sigmoid", _gate(x, 0, hidden) + _gate(hh, 0, hidden))
    z = ew("sigmoid", _gate(x, 1, hidden) + _gate(hh, 1, hidden))
    hh_n = _gate(hh, 2, hidden)
    n = ew("tanh", _gate(x, 2, hidden) + r * hh_n)
    return n + z * (h - n), None, (r, z, n, hh_n)


def _gru_backward(saved: tuple, h: Array, dh: Array, dc: Array | None) -> Any:
    r, z, n, hh_n = saved
    dn = dh * (1 - z) * (1 - n * n)
    dr = dn * hh_n * _sigmoid_grad(r)
    dz = dh * (h - n) * _sigmoid_grad(z)
    return concat(dr, dz, dn, dim=1), concat(dr, dz, dn * r, dim=1), dh * z, None


def _tanh_forward(x: Array, hh: Array, h: Array, c: Array | None, hidden: int,
                  clip: Clip | None) -> Any:
    a = ew("tanh", x + hh)
    return a, None, (a,)


def _tanh_backward(saved: tuple, h: Array, dh: Array, dc: Array | None) -> Any:
    a, = saved
    d = dh * (1 - a * a)
    return d, d, None, None


def _relu_forward(x: Array, hh: Array, h: Array, c: Array | None, hidden: int,
                  clip: Clip | None) -> Any:
    a = relu(x + hh)
    return a, None, (a,)


def _relu_backward(saved: tuple, h: Array, dh: Array, dc: Array | None) -> Any:
    a, = saved
    d = select(ew("gt", a, 0), dh, 0)
    return d, d, None, None


_CELLS: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "lstm": (_lstm_forward, _lstm_backward), "gru": (_gru_forward, _gru_backward),
    "rnn_tanh": (_tanh_forward, _tanh_backward), "rnn_relu": (_relu_forward, _relu_backward)}


def _mask(keep: Array | None, like: Array) -> Array | None:
    return None if keep is None else broadcast_exact(expand_dims(keep, 1), like.shape)


def advance(mode: str, hidden: int, clip: Clip | None, x: Array, hh: Array, h: Array,
            c: Array | None, keep: Array | None,
            project: Callable[[Array], Array] | None = None
            ) -> tuple[Array, Array | None, Array, tuple]:
    """(new h, new c, output, what the cell's backward pass needs) of one step, the new h
    `project`ed (an LSTMP's); past a sequence's length (`keep` false) the states stay and
    the output is 0."""
    h_new, c_new, saved = _CELLS[mode][0](x, hh, h, c, hidden, clip)
    if project is not None:
        h_new = project(h_new)
    if keep is None:
        return h_new, c_new, h_new, saved
    if c is not None and c_new is not None:
        c_new = select(_mask(keep, c), c_new, c)
    mask = _mask(keep, h)
    return select(mask, h_new, h), c_new, select(mask, h_new, 0), saved


def _forward(cfg: _Config, a: dict[str, Any]) -> tuple[Array, Array, Any, tuple]:
    """(outputs, final h, final c or None, each step's previous h and saved values)."""
    w, b = a["w"], a.get("b")

    def body(carry: tuple[Array, Any], xs: tuple[Array, Any]) -> Any:
        h, c = carry
        x_t, keep = xs
        h_new, c_new, out, saved = advance(cfg.mode, cfg.hidden, None, x_t, linear(h, w, b),
                                           h, c, keep)
        return (h_new, c_new), (out, h, saved)

    (h, c), (ys, hs, saved) = scan(body, (a["h"], a.get("c")), (a["x"], a.get("keep")),
                                   reverse=cfg.reverse)
    return ys, h, c, (hs, saved)


def row(x: Array, k: int) -> Array:
    """x[k] along the first axis."""
    return reshape_exact(slice_axis(x, 0, k, k + 1), x.shape[1:])


def _packed(ys: Array, h: Array, c: Array | None) -> Array:
    """The outputs and final states as one array (steps + 1 or 2, batch, H): a custom_vjp
    runs its backward pass once per output array."""
    finals = [expand_dims(h, 0)] + ([expand_dims(c, 0)] if c is not None else [])
    return concat(ys, *finals, dim=0)


def _backward(cfg: _Config, res: tuple, g: Array) -> tuple:
    w, keep, hs, saved = res
    steps = hs.shape[0]
    cell_backward = _CELLS[cfg.mode][1]
    dys = slice_axis(g, 0, 0, steps)
    dh_last = row(g, steps)
    dc_last = row(g, steps + 1) if cfg.cell else None

    def body(carry: tuple[Array, Any], xs: tuple) -> Any:
        dh, dc = carry
        h, saved_t, keep_t, dy = xs
        mask = _mask(keep_t, h)
        dh_new, dc_new = dh + dy, dc
        if mask is not None:  # (masked steps pass the state gradients straight through)
            dh_new = select(mask, dh_new, 0)
            dc_new = select(mask, dc, 0) if dc is not None else None
        dx, dhh, dh_prev, dc_prev = cell_backward(saved_t, h, dh_new, dc_new)
        through = bind("dot_general", dhh, w, contract=((1,), (0,)), batch=((), ()))
        dh_prev = through if dh_prev is None else dh_prev + through
        if mask is not None:
            dh_prev = dh_prev + select(mask, 0, dh)
            if dc is not None:
                dc_prev = dc_prev + select(mask, 0, dc)
        return (dh_prev, dc_prev), (dx, dhh)

    (dh0, dc0), (dxs, dhhs) = scan(body, (dh_last, dc_last), (hs, saved, keep, dys),
                                   reverse=not cfg.reverse)
    dw = bind("dot_general", dhhs, hs, contract=((0, 1), (0, 1)), batch=((), ()))
    out: dict[str, Any] = {"x": dxs, "h": dh0, "w": dw, "c": dc0, "keep": None}
    if cfg.bias:
        out["b"] = reduce.sum(dhhs, axis=(0, 1))
    return tuple(out[n] for n in cfg.names)


_FUNCTIONS: dict[_Config, custom_vjp] = {}


def _function(cfg: _Config) -> custom_vjp:
    def run(*arrays: Array) -> Array:
        ys, h, c, _ = _forward(cfg, dict(zip(cfg.names, arrays)))
        return _packed(ys, h, c)

    def fwd(*arrays: Array) -> tuple[Array, tuple]:
        a = dict(zip(cfg.names, arrays))
        ys, h, c, (hs, saved) = _forward(cfg, a)
        return _packed(ys, h, c), (a["w"], a.get("keep"), hs, saved)

    run.__name__ = f"rnn_{cfg.mode}_direction"
    f = custom_vjp(run)
    f.defvjp(fwd, lambda res, g: _backward(cfg, res, g))
    return f


def scan_direction(x: Array, h: Array, c: Array | None, weight: Array, bias: Array | None,
                   keep: Array | None, mode: str, hidden: int, reverse: bool
                   ) -> tuple[Array, Array, Array | None]:
    """One layer direction (without clipping or projection) over the input projections `x`
    (steps, batch, gates * H) from the states `h` (and `c`): (outputs, final h, final c).
    `keep` (steps, batch) masks the steps past each sequence's length.

    >>> ys, h, c = scan_direction(x, h0, None, w, b, None, 'gru', 8, False)  # doctest: +SKIP
    """
    cfg = _Config(mode, hidden, reverse, c is not None, bias is not None, keep is not None)
    f = _FUNCTIONS.get(cfg)
    if f is None:
        f = _FUNCTIONS[cfg] = _function(cfg)
    arrays = [x, h, weight] + [a for a in (c, bias, keep) if a is not None]
    packed = f(*arrays)
    steps = x.shape[0]
    return (slice_axis(packed, 0, 0, steps), row(packed, steps),
            row(packed, steps + 1) if c is not None else None)
