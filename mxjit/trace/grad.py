"""Reverse mode as a graph transformation: one vjp rule per primitive and a backward walk.

Each rule receives the node and the cotangent of its output and returns the cotangents of
its inputs, built from primitives with `apply`, so the backward pass is an ordinary graph
(simplified, fused, compiled) and can be differentiated again. Un-broadcasting happens in
one place: the rule of `broadcast_to`, the only primitive that broadcasts.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from ..base import GradientError
from .graph import Node, const, toposort
from .ops import apply
from .simplify import scalar_of


def full_like(node: Node, value: float) -> Node:
    return apply("broadcast_to", const(np.asarray(value, node.dtype)), shape=node.shape)


def zeros_like(node: Node) -> Node:
    return full_like(node, 0)


def ones_like(node: Node) -> Node:
    return full_like(node, 1)


def _bin(op: str, a: Node, b: Node) -> Node:
    return apply(op, a, b)


def _scale(g: Node, value: float) -> Node:
    return apply("mul", g, full_like(g, value))


Rule = Callable[[Node, Node], Sequence[Node | None]]


def _unary(derivative: Callable[[Node, Node], Node]) -> Rule:
    """A rule g * f'(x), with f' written from the input x and the output y."""
    return lambda n, g: (_bin("mul", g, derivative(n.inputs[0], n)),)


def _one_minus_sq(y: Node) -> Node:
    return _bin("sub", full_like(y, 1), _bin("mul", y, y))


def _one_minus_x_sq(x: Node) -> Node:
    """(1 - x)(1 + x): 1 - x^2 without the cancellation of 1 - x * x next to |x| = 1."""
    return _bin("mul", _bin("sub", full_like(x, 1), x), _bin("add", full_like(x, 1), x))


#: Bernoulli terms of digamma's asymptotic series: psi(u) ~ log u - 1/(2u) - sum c_k u^-2k.
_DIGAMMA_SERIES = (1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12,
                   -3617 / 8160)


def _digamma(x: Node) -> Node:
    """psi(x) = d gammaln(x) / dx, from primitives so that it differentiates again: the
    reflection psi(1 - x) - pi cot(pi x) below 1/2, six steps of psi(z) = psi(z + 1) - 1/z,
    then the asymptotic series at z + 6 >= 6.5 (error ~1e-14)."""
    reflect = _bin("lt", x, full_like(x, 0.5))
    z = apply("where", reflect, _bin("sub", full_like(x, 1), x), x)
    steps = [_bin("div", full_like(z, 1), _bin("add", z, full_like(z, k))) for k in range(6)]
    u = _bin("add", z, full_like(z, 6))
    inv = _bin("div", full_like(u, 1), u)
    inv2 = _bin("mul", inv, inv)
    tail = full_like(u, _DIGAMMA_SERIES[-1])
    for c in reversed(_DIGAMMA_SERIES[:-1]):
        tail = _bin("add", full_like(u, c), _bin("mul", inv2, tail))
    psi = _bin("sub", apply("log", u), _bin("add", _scale(inv, 0.5), _bin("mul", inv2, tail)))
    for step in steps:
        psi = _bin("sub", psi, step)
    # cot(pi x) = cot(pi r), r = x - round(x) exactly; as cos / sin, not 1 / tan, whose
    # derivatives blow up at |r| = 1/2. The unused branch reads a safe value, so that its
    # derivatives stay finite too (0 * inf would be NaN).
    r = apply("where", reflect, _bin("sub", x, apply("round", x)), full_like(x, 0.25))
    pi_r = _scale(r, math.pi)
    cot = _bin("div", _scale(apply("cos", pi_r), math.pi), apply("sin", pi_r))
    return apply("where", reflect, _bin("sub", psi, cot), psi)


def _div_rule(n: Node, g: Node) -> Sequence[Node | None]:
    x, y = n.inputs
    gx = _bin("div", g, y)
    return gx, apply("neg", _bin("mul", gx, n))


def _pow_rule(n: Node, g: Node) -> Sequence[Node | None]:
    x, y = n.inputs
    c = scalar_of(y)
    if c in (0, 1):  # a constant exponent (x ** 2 ...): no pow where it is 0, 1 or 2
        slope = full_like(x, c)
    elif c == 2:
        slope = _scale(x, 2)
    elif c is not None:
        slope = _scale(apply("pow", x, full_like(x, c - 1)), c)
    else:
        # d(x**0)/dx is 0, also at x = 0 where y * x**(y-1) would be 0 * inf; the unused
        # branch reads a safe base so that its own derivatives stay finite too.
        zero_zero = _bin("logical_and", _bin("eq", x, zeros_like(x)),
                         _bin("eq", y, zeros_like(y)))
        base = apply("where", zero_zero, ones_like(x), x)
        slope = _bin("mul", y, apply("pow", base, _bin("sub", y, full_like(y, 1))))
        slope = apply("where", zero_zero, zeros_like(y), slope)
    gx = _bin("mul", g, slope)
    positive = _bin("gt", x, zeros_like(x))
    safe_log = apply("log", apply("where", positive, x, full_like(x, 1)))
    gy = _bin("mul", g, _bin("mul", n, safe_log))
    return gx, gy


def _select_rule(pred: str) -> Rule:
    def rule(n: Node, g: Node) -> Sequence[Node | None]:
        x, y = n.inputs
        take_x = _bin(pred, x, y)  # ties go to the first operand, as in MXNet
        zero = zeros_like(g)
        return apply("where", take_x, g, zero), apply("where", take_x, zero, g)

    return rule


def _mod_rule(n: Node, g: Node) -> Sequence[Node | None]:
    x, y = n.inputs
    return g, apply("neg", _bin("mul", g, apply("floor", _bin("div", x, y))))


def _where_rule(n: Node, g: Node) -> Sequence[Node | None]:
    c = n.inputs[0]
    zero = zeros_like(g)
    return None, apply("where", c, g, zero), apply("where", c, zero, g)


def _cast_rule(n: Node, g: Node) -> Sequence[Node | None]:
    src = n.inputs[0].dtype
    return (apply("cast", g, dtype=src),) if src.kind == "f" else (None,)


def _keepdims(g: Node, x: Node, axes: Sequence[int]) -> Node:
    """The cotangent of a reduction, broadcast back over the reduced axes."""
    shape = tuple(1 if k in axes else d for k, d in enumerate(x.shape))
    return apply("broadcast_to", apply("reshape", g, shape=shape), shape=x.shape)


def _sum_rule(n: Node, g: Node) -> Sequence[Node | None]:
    return (_keepdims(g, n.inputs[0], n.attr("axes")),)


def _extremum_rule(n: Node, g: Node) -> Sequence[Node | None]:
    """g where x equals the max (min): every tied element gets all of it, as in MXNet's
    _backward_max (ograd * (data == out))."""
    x, axes = n.inputs[0], n.attr("axes")
    hit = apply("cast", _bin("eq", x, _keepdims(n, x, axes)), dtype=x.dtype)
    return (_bin("mul", _keepdims(g, x, axes), hit),)


def _prod_rule(n: Node, g: Node) -> Sequence[Node | None]:
    """g times the product of the other elements: prod / x, or, at a zero, the product of
    the non-zeros when it is the only zero (0 when there are more)."""
    x, axes = n.inputs[0], n.attr("axes")
    zero = _bin("eq", x, zeros_like(x))
    safe = apply("where", zero, ones_like(x), x)
    zeros = _keepdims(apply("reduce_sum", apply("cast", zero, dtype=x.dtype), axes=axes), x, axes)
    only_zero = _keepdims(apply("reduce_prod", safe, axes=axes), x, axes)
    at_zero = apply("where", _bin("eq", zeros, ones_like(x)), only_zero, zeros_like(x))
    others = apply("where", zero, at_zero, _bin("div", _keepdims(n, x, axes), safe))
    return (_bin("mul", _keepdims(g, x, axes), others),)


def _unbroadcast(n: Node, g: Node) -> Sequence[Node | None]:
    """Sum the cotangent over the axes `broadcast_to` created or stretched."""
    x = n.inputs[0]
    lead = len(n.shape) - len(x.shape)
    axes = tuple(range(lead)) + tuple(
        lead + k for k, d in enumerate(x.shape) if d == 1 and n.shape[lead + k] != 1)
    summed = apply("reduce_sum", g, axes=axes) if axes else g
    return (apply("reshape", summed, shape=x.shape),)


def _transpose_rule(n: Node, g: Node) -> Sequence[Node | None]:
    perm = n.attr("perm")
    inverse = tuple(int(i) for i in np.argsort(perm))
    return (apply("transpose", g, perm=inverse),)


def _slice_rule(n: Node, g: Node) -> Sequence[Node | None]:
    """Scatter the cotangent back: flip negative steps, spread steps, pad to the input."""
    x = n.inputs[0]
    starts, steps = n.attr("start"), n.attr("step")
    flip_axes = tuple(k for k, s in enumerate(steps) if s < 0)
    if flip_axes:
        g = apply("flip", g, axes=flip_axes)
    low, high = [], []
    for k, (b, s, d) in enumerate(zip(starts, steps, x.shape)):
        count = g.shape[k]
        step = abs(s)
        first = b if s > 0 else b + s * (count - 1)  # lowest index touched
        if step > 1 and count > 0:
            g = _spread(g, k, step)
        span = g.shape[k]
        low.append(first if count else 0)
        high.append(d - span - (first if count else 0))
    pad_value = const(np.asarray(0, g.dtype))
    return (apply("pad", g, pad_value, low=tuple(low), high=tuple(high)),)


def _spread(g: Node, axis: int, step: int) -> Node:
    """Insert step-1 zeros after each element along `axis` (then drop the trailing ones)."""
    shape = g.shape
    expanded = apply("reshape", g, shape=shape[:axis + 1] + (1,) + shape[axis + 1:])
    zero = const(np.asarray(0, g.dtype))
    low = (0,) * (len(shape) + 1)
    high = tuple(step - 1 if k == axis + 1 else 0 for k in range(len(shape) + 1))
    padded = apply("pad", expanded, zero, low=low, high=high)
    merged = shape[:axis] + (shape[axis] * step,) + shape[axis + 1:]
    flat = apply("reshape", padded, shape=merged)
    keep = (shape[axis] - 1) * step + 1
    stops = tuple(keep if k == axis else d for k, d in enumerate(merged))
    return apply("slice", flat, start=(0,) * len(merged), stop=stops, step=(1,) * len(merged))


def _pad_rule(n: Node, g: Node) -> Sequence[Node | None]:
    x = n.inputs[0]
    low = n.attr("low")
    inner = apply("slice", g, start=tuple(low),
                  stop=tuple(lo + d for lo, d in zip(low, x.shape)), step=(1,) * x.ndim)
    all_axes = tuple(range(g.ndim))
    g_value = _bin("sub", apply("reduce_sum", g, axes=all_axes),
                   apply("reduce_sum", inner, axes=all_axes))
    return inner, g_value


def _concat_rule(n: Node, g: Node) -> Sequence[Node | None]:
    axis, out, start = n.attr("axis"), [], 0
    for x in n.inputs:
        stop = start + x.shape[axis]
        starts = tuple(start if k == axis else 0 for k in range(g.ndim))
        stops = tuple(stop if k == axis else d for k, d in enumerate(g.shape))
        out.append(apply("slice", g, start=starts, stop=stops, step=(1,) * g.ndim))
        start = stop
    return out


def _take_rule(n: Node, g: Node) -> Sequence[Node | None]:
    x, idx = n.inputs
    return apply("scatter_add", g, idx, axis=n.attr("axis"), mode=n.attr("mode"),
                 size=x.shape[n.attr("axis")]), None


def _scatter_rule(n: Node, g: Node) -> Sequence[Node | None]:
    _, idx = n.inputs
    return apply("take", g, idx, axis=n.attr("axis"), mode=n.attr("mode")), None


def _dot_rule(n: Node, g: Node) -> Sequence[Node | None]:
    """Cotangents of dot_general: contract g with the other operand over its free axes."""
    a, b = n.inputs
    (ca, cb), (ba, bb) = n.attr("contract"), n.attr("batch")
    fa = [k for k in range(a.ndim) if k not in ca and k not in ba]
    fb = [k for k in range(b.ndim) if k not in cb and k not in bb]
    nbatch, nfa = len(ba), len(fa)
    g_batch = tuple(range(nbatch))
    g_fa = tuple(range(nbatch, nbatch + nfa))
    g_fb = tuple(range(nbatch + nfa, g.ndim))
    # ga[batch, fa, ca] = sum over fb of g[batch, fa, fb] * b[batch, cb, fb]
    ga = apply("dot_general", g, b, contract=(g_fb, tuple(fb)), batch=(g_batch, tuple(bb)))
    ga_axes = list(ba) + fa + _matching(cb, ca)
    ga = apply("transpose", ga, perm=tuple(int(i) for i in np.argsort(ga_axes)))
    # gb[batch, ca-matching, fb] = sum over fa of a[batch, fa, ca] * g[batch, fa, fb]
    gb = apply("dot_general", a, g, contract=(tuple(fa), g_fa), batch=(tuple(ba), g_batch))
    gb_axes = list(bb) + _matching(ca, cb) + fb
    gb = apply("transpose", gb, perm=tuple(int(i) for i in np.argsort(gb_axes)))
    return ga, gb


def _matching(theirs: Sequence[int], mine: Sequence[int]) -> list[int]:
    """My contracted axes, in the order the other operand's contracted axes come out."""
    return [mine[list(theirs).index(k)] for k in sorted(theirs)]


VJP: dict[str, Rule] = {
    "mark": lambda n, g: (g,),
    "loss_output": lambda n, g: (None, _bin("mul", n.inputs[2], g) if n.attr("head")
                                 else n.inputs[2], None),
    "add": lambda n, g: (g, g),
    "sub": lambda n, g: (g, apply("neg", g)),
    "mul": lambda n, g: (_bin("mul", g, n.inputs[1]), _bin("mul", g, n.inputs[0])),
    "div": _div_rule,
    "pow": _pow_rule,
    "maximum": _select_rule("ge"),
    "minimum": _select_rule("le"),
    "mod": _mod_rule,
    "neg": lambda n, g: (apply("neg", g),),
    "abs": _unary(lambda x, y: apply("sign", x)),
    "exp": _unary(lambda x, y: y),
    "expm1": _unary(lambda x, y: _bin("add", y, full_like(y, 1))),
    "log": lambda n, g: (_bin("div", g, n.inputs[0]),),
    "log1p": lambda n, g: (_bin("div", g, _bin("add", n.inputs[0], full_like(g, 1))),),
    "sin": _unary(lambda x, y: apply("cos", x)),
    "cos": _unary(lambda x, y: apply("neg", apply("sin", x))),
    "tan": _unary(lambda x, y: _bin("add", full_like(y, 1), _bin("mul", y, y))),
    "tanh": _unary(lambda x, y: _one_minus_sq(y)),
    "sigmoid": _unary(lambda x, y: _bin("mul", y, _bin("sub", full_like(y, 1), y))),
    "erf": _unary(lambda x, y: _scale(apply("exp", apply("neg", _bin("mul", x, x))),
                                      2 / math.sqrt(math.pi))),
    "sqrt": lambda n, g: (_bin("div", _scale(g, 0.5), n),),
    "rsqrt": lambda n, g: (_bin("mul", _scale(g, -0.5), _bin("div", n, n.inputs[0])),),
    "log2": lambda n, g: (_bin("div", g, _scale(n.inputs[0], math.log(2))),),
    "log10": lambda n, g: (_bin("div", g, _scale(n.inputs[0], math.log(10))),),
    "cbrt": lambda n, g: (_bin("div", g, _scale(_bin("mul", n, n), 3)),),
    "arcsin": _unary(lambda x, y: apply("rsqrt", _one_minus_x_sq(x))),
    "arccos": _unary(lambda x, y: apply("neg", apply("rsqrt", _one_minus_x_sq(x)))),
    "arctan": lambda n, g: (_bin("div", g, _bin("add", full_like(g, 1),
                                                _bin("mul", n.inputs[0], n.inputs[0]))),),
    "sinh": _unary(lambda x, y: apply("cosh", x)),
    "cosh": _unary(lambda x, y: apply("sinh", x)),
    "arcsinh": _unary(lambda x, y: apply("rsqrt", _bin("add", _bin("mul", x, x),
                                                       full_like(x, 1)))),
    "arccosh": _unary(lambda x, y: apply("rsqrt", _bin("mul", _bin("sub", x, full_like(x, 1)),
                                                       _bin("add", x, full_like(x, 1))))),
    "arctanh": lambda n, g: (_bin("div", g, _one_minus_x_sq(n.inputs[0])),),
    "erfinv": _unary(lambda x, y: _scale(apply("exp", _bin("mul", y, y)),
                                         math.sqrt(math.pi) / 2)),
    "gammaln": _unary(lambda x, y: _digamma(x)),
    "gamma": _unary(lambda x, y: _bin("mul", y, _digamma(x))),
    "where": _where_rule,
    "cast": _cast_rule,
    "reduce_sum": _sum_rule,
    "reduce_max": _extremum_rule,
    "reduce_min": _extremum_rule,
    "reduce_prod": _prod_rule,
    "broadcast_to": _unbroadcast,
    "reshape": lambda n, g: (apply("reshape", g, shape=n.inputs[0].shape),),
    "transpose": _transpose_rule,
    "slice": _slice_rule,
    "flip": lambda n, g: (apply("flip", g, axes=n.attr("axes")),),
    "pad": _pad_rule,
    "concat": _concat_rule,
    "take": _take_rule,
    "scatter_add": _scatter_rule,
    "dot_general": _dot_rule,
    "custom_call": lambda n, g: [
        apply("custom_vjp", *n.inputs, g, fn=n.attr("fn"), index=n.attr("index"),
              avals=n.attr("avals"), which=k) for k in range(len(n.inputs))],
}
#: Primitives whose outputs are piecewise constant or not real-valued: zero cotangents.
ZERO_GRAD = frozenset({"sign", "floor", "ceil", "round", "trunc", "rint", "eq", "ne", "lt",
                       "le", "gt", "ge", "logical_and", "logical_or", "logical_xor", "logical_not",
                       "isnan", "argmax", "argmin", "iota", "random_bits",
                       "stop_gradient"})


def backward(outputs: Sequence[Node], cotangents: Sequence[Node], wrt: Sequence[Node]
             ) -> list[Node]:
    """Cotangents of `wrt` given cotangents of `outputs`: a graph built from vjp rules.

    Nodes in `wrt` that no output depends on get zeros.
    """
    order = toposort(list(outputs))
    wrt_set = set(wrt)
    needed: set[Node] = set()
    for n in order:  # only nodes downstream of some wrt node carry cotangents
        if n in wrt_set or any(i in needed for i in n.inputs):
            needed.add(n)
    ct: dict[Node, Node] = {}
    for o, g in zip(outputs, cotangents):
        if o in needed:
            ct[o] = _accumulate(ct.get(o), g)
    for n in reversed(order):
        got = ct.get(n)
        if got is None or n.op in ("var", "const") or n.op in ZERO_GRAD:
            continue
        g = got
        rule = VJP.get(n.op)
        if rule is None:
            raise GradientError(f"no gradient rule for {n.op}")
        for inp, gi in zip(n.inputs, rule(n, g)):
            if gi is not None and inp in needed and inp.dtype.kind == "f":
                ct[inp] = _accumulate(ct.get(inp), gi)
    return [ct.get(w) or zeros_like(w) for w in wrt]


def _accumulate(acc: Node | None, g: Node) -> Node:
    return g if acc is None else apply("add", acc, g)
