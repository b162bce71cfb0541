"""Windows: the movement pair that convolution and pooling are made of.

`window_slices` takes, for each kernel offset (tap) k of an N-D window, the strided slice
of its own row of taps that a convolution or pooling window reads there; `window_spread`
puts such slices back where they came from (zeros elsewhere). Both are index maps (a
kernel reads through them and never copies) and each is the other's transpose, so their
gradients close to any order.

With the data broadcast over the taps, `window_slices` is im2col: for (N, C, H, W) data,
`window_slices(broadcast_to(x[:, :, None, None], (N, C, KH, KW, H, W)))` is the
(N, C, KH, KW, OH, OW) stack of windows, and a reduction over its tap axes is pooling.
Summing `window_spread` over the taps is col2im, a gather over output positions: each
input element adds the window elements it was read as, with no scatter.

Shapes, with nd spatial axes: `window_slices` maps (B..., *K, *S) to (B..., *K, *O), where
out[..., k, o] = x[..., k, o * stride + k * dilate - pad] (per axis), or `fill` where that
position lies outside [0, S); `window_spread` maps (B..., *K, *O) to (B..., *K, *S), where
out[..., k, i] = g[..., k, (i + pad - k * dilate) / stride] where that is a whole number
in [0, O), and 0 elsewhere.
"""
from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from ..base import ShapeError
from .graph import AbstractValue, Node, const
from .primitives import apply, define_primitive


def _geometry(name: str, x: AbstractValue, stride: tuple, dilate: tuple, pad: tuple,
              extent: tuple) -> int:
    """Checks the attributes against the operand; the number of spatial axes."""
    nd = len(stride)
    if not nd or len(dilate) != nd or len(pad) != nd or len(extent) != nd:
        raise ShapeError(f"{name}: stride {stride}, dilate {dilate}, pad {pad} and {extent} "
                         "need one entry per spatial axis")
    if min(stride + dilate) < 1 or min(extent) < 0:
        raise ShapeError(f"{name}: stride {stride} and dilate {dilate} must be positive")
    if x.ndim < 2 * nd:
        raise ShapeError(f"{name}: operand {x.shape} lacks the {nd} tap and {nd} spatial axes")
    return nd


def _slices_rule(x: AbstractValue, fill: AbstractValue, *, stride: tuple, dilate: tuple,
                 pad: tuple, out: tuple) -> AbstractValue:
    nd = _geometry("window_slices", x, stride, dilate, pad, out)
    if fill.shape != () or fill.dtype != x.dtype:
        raise ShapeError("window_slices: the fill value must be a scalar of the operand's dtype")
    return AbstractValue(x.shape[:-nd] + tuple(out), x.dtype)


def _spread_rule(g: AbstractValue, *, stride: tuple, dilate: tuple, pad: tuple, size: tuple
                 ) -> AbstractValue:
    nd = _geometry("window_spread", g, stride, dilate, pad, size)
    return AbstractValue(g.shape[:-nd] + tuple(size), g.dtype)


def _tap_positions(k: Sequence[int], stride: tuple, dilate: tuple, pad: tuple,
                   count: tuple, size: tuple) -> tuple[tuple[slice, ...], tuple[slice, ...]] | None:
    """For tap `k`: which window positions (of `count`) read inside [0, size) and the
    matching input positions, as slices; None when no position does."""
    outs, ins = [], []
    for kk, s, d, p, m, n in zip(k, stride, dilate, pad, count, size):
        first = kk * d - p  # the input position window 0 reads
        lo = max(0, -(first // s))  # the first o with o * s + first >= 0: ceil(-first / s)
        hi = min(m, (n - 1 - first) // s + 1) if first <= n - 1 else 0
        if hi <= lo:
            return None
        outs.append(slice(lo, hi))
        ins.append(slice(first + lo * s, first + (hi - 1) * s + 1, s))
    return tuple(outs), tuple(ins)


def _slices_impl(x: np.ndarray, fill: np.ndarray, *, stride: tuple, dilate: tuple, pad: tuple,
                 out: tuple) -> np.ndarray:
    nd = len(stride)
    taps, size = x.shape[-2 * nd:-nd], x.shape[-nd:]
    result = np.full(x.shape[:-nd] + tuple(out), fill, x.dtype)
    lead = (slice(None),) * (x.ndim - 2 * nd)
    for k in itertools.product(*(range(t) for t in taps)):
        where = _tap_positions(k, stride, dilate, pad, out, size)
        if where is not None:
            result[lead + k + where[0]] = x[lead + k + where[1]]
    return result


def _spread_impl(g: np.ndarray, *, stride: tuple, dilate: tuple, pad: tuple, size: tuple
                 ) -> np.ndarray:
    nd = len(stride)
    taps, count = g.shape[-2 * nd:-nd], g.shape[-nd:]
    result = np.zeros(g.shape[:-nd] + tuple(size), g.dtype)
    lead = (slice(None),) * (g.ndim - 2 * nd)
    for k in itertools.product(*(range(t) for t in taps)):
        where = _tap_positions(k, stride, dilate, pad, count, size)
        if where is not None:
            result[lead + k + where[1]] = g[lead + k + where[0]]
    return result


def _slices_vjp(n: Node, g: Node) -> Sequence[Node | None]:
    x = n.inputs[0]
    nd = len(n.attr("stride"))
    back = apply("window_spread", g, stride=n.attr("stride"), dilate=n.attr("dilate"),
                 pad=n.attr("pad"), size=x.shape[-nd:])
    # the fill took what did not land back in x
    every = tuple(range(g.ndim))
    filled = apply("sub", apply("reduce_sum", g, axes=every), apply("reduce_sum", back, axes=every))
    return back, filled


def _spread_vjp(n: Node, h: Node) -> Sequence[Node | None]:
    g = n.inputs[0]
    nd = len(n.attr("stride"))
    return (apply("window_slices", h, const(np.asarray(0, h.dtype)), stride=n.attr("stride"),
                  dilate=n.attr("dilate"), pad=n.attr("pad"), out=g.shape[-nd:]),)


def summed_spread(x: Node, axes: tuple[int, ...]) -> Node | None:
    """`reduce_sum(x, axes)` without a reduction where `x` is a `window_spread` summed over
    its tap axes and the windows tile the data without overlap (stride = window, no
    dilation: pooling 2x2 with stride 2): each position is then read by one tap of one
    window, so the sum is a layout change of the spread values, (B..., K..., O...) to
    (B..., O1, K1, O2, K2, ...) as (B..., O1*K1, ...), cut or padded to the data's size.
    A kernel then computes each position once instead of testing every tap there (max
    pooling's backward pass over LeNet's first layer: 4.1 ms against 0.3). None where
    that does not hold."""
    if x.op != "window_spread":
        return None
    h = x.inputs[0]
    stride, dilate, pad, size = (x.attr(a) for a in ("stride", "dilate", "pad", "size"))
    nd = len(stride)
    lead = h.ndim - 2 * nd
    taps, count = h.shape[lead:lead + nd], h.shape[lead + nd:]
    if tuple(sorted(axes)) != tuple(range(lead, lead + nd)) or tuple(stride) != taps \
            or any(d != 1 for d in dilate):
        return None
    starts, stops, lows, highs = [], [], [], []
    for p, s, o, k in zip(pad, size, count, taps):
        first = max(p, 0)  # (out[i] = tiled[i + p] where that lies in the tiling)
        at = max(-p, 0)
        n = min(o * k - first, s - at)
        if n <= 0:
            return None
        starts.append(first)
        stops.append(first + n)
        lows.append(at)
        highs.append(s - at - n)
    perm = tuple(range(lead)) + tuple(a for i in range(nd) for a in (lead + nd + i, lead + i))
    tiled = apply("reshape", apply("transpose", h, perm=perm),
                  shape=h.shape[:lead] + tuple(o * k for o, k in zip(count, taps)))
    kept = (0,) * lead
    cut = apply("slice", tiled, start=kept + tuple(starts), stop=h.shape[:lead] + tuple(stops),
                step=(1,) * (lead + nd))
    return apply("pad", cut, const(np.asarray(0, h.dtype)), low=kept + tuple(lows),
                 high=kept + tuple(highs))


define_primitive("window_slices", "movement", _slices_rule, _slices_impl, vjp=_slices_vjp)
define_primitive("window_spread", "movement", _spread_rule, _spread_impl, vjp=_spread_vjp)


class FirstMax:
    """The gradient rule of a max over one axis that MXNet's pooling gives: the whole
    cotangent to the first maximal element (the least index equal to the max, then a
    gather), where a plain `reduce_max` shares it among ties. For
    `custom_derivative(reduce_max(x, axes=(axis,)), x, rule=first_max(axis), index=0)`: a
    relu before a max-pool makes many windows of tied zeros, and only the first of each
    gets the gradient, as in MXNet and PyTorch."""

    def __init__(self, axis: int):
        self.axis = axis

    def vjp(self, node: Node, g: Node) -> Sequence[Node | None]:
        x = node.inputs[1]
        shape, axis = x.shape, self.axis
        kept = shape[:axis] + (1,) + shape[axis + 1:]
        # The first maximal element: the least index where x equals the window's max (the
        # node's value) or is NaN (where the max is NaN, as np.argmax takes the first
        # NaN), a min-reduction that vectorises like the max, where an argmax kernel ran
        # 6.5x slower over the same windows (max pooling over (64, 16, 28, 28): 3.2 ms).
        at = apply("iota", shape=shape, axis=axis, dtype=np.dtype(np.int32))
        top = apply("broadcast_to", apply("reshape", node, shape=kept), shape=shape)
        hit = apply("logical_or", apply("eq", x, top), apply("ne", x, x))
        beyond = apply("broadcast_to", const(np.asarray(shape[axis], np.int32)), shape=shape)
        least = apply("reduce_min", apply("where", hit, at, beyond), axes=(axis,))
        first = apply("broadcast_to", apply("reshape", least, shape=kept), shape=shape)
        spread = apply("broadcast_to", apply("reshape", g, shape=kept), shape=shape)
        zero = apply("broadcast_to", const(np.asarray(0, x.dtype)), shape=shape)
        return None, apply("where", apply("eq", at, first), spread, zero)


_FIRST_MAX: dict[int, FirstMax] = {}


def first_max(axis: int) -> FirstMax:
    """The `FirstMax` rule of `axis` (one object per axis: rules compare by identity, so
    equal graphs stay equal).

    >>> first_max(2) is first_max(2)
    True
    """
    return _FIRST_MAX.setdefault(axis, FirstMax(axis))
