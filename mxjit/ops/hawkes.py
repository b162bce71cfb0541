"""`mx.nd.contrib.hawkesll`: the log-likelihood of marked self-exciting (Hawkes) processes
with exponential decay, and `backward_hawkesll`, its gradient in the form of MXNet's backward
operator.

MXNet walks each sequence event by event. The same quantities are sums over pairs of events,
which need no loop: with t_j the time of event j (the running sum of the lags), k its mark
and s the state (the memory of earlier events at time 0), the intensity at event j is

    lda_k + alpha_k beta_k (s_k e^(-beta_k t_j) + sum over earlier events i of mark k of
    e^(-beta_k (t_j - t_i)))

and the compensator (the intensity's integral over (0, max_time]) of mark k is

    lda_k max_time + alpha_k (s_k (1 - e^(-beta_k max_time)) + sum over events i of mark k
    of (1 - e^(-beta_k (max_time - t_i)))),

which is what MXNet's recursion adds up. The returned state is s_k e^(-beta_k max_time) plus
e^(-beta_k (max_time - t_i)) over the events of mark k. Every term is a primitive, so the
operator runs eagerly and under `mx.jit` and differentiates (to any order) with respect to
lda, alpha, beta, the state, the lags and max_time. The pairs cost N * T^2 work and memory
where the recursion costs N * T: a price for sequences of hundreds of events, not thousands.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..base import ArgumentError, DTypeError, ShapeError
from ..core import Array, bind, vjp
from ..core.operators import register_operator
from .elementwise import clip
from .operands import any_traced, constant, ew, iota, reshape_exact, select
from .reduce import sum as reduce_sum

_INPUTS = ("lda", "alpha", "beta", "state", "lags", "marks", "valid_length", "max_time")


def _check(fn: str, arrays: dict[str, Any]) -> tuple[int, int, int]:
    """(N, T, K) of the inputs, or an error naming the one that does not fit."""
    for name, a in arrays.items():
        if not isinstance(a, Array):
            raise ArgumentError(f"{fn}: {name} must be an array, got {type(a).__name__}")
    lda, lags = arrays["lda"], arrays["lags"]
    if lda.ndim != 2 or lags.ndim != 2:
        raise ShapeError(f"{fn}: lda must be (N, K) and lags (N, T), got shapes {lda.shape} "
                         f"and {lags.shape}")
    (n, t), k = lags.shape, lda.shape[1]
    shapes = {"lda": (n, k), "alpha": (k,), "beta": (k,), "state": (n, k), "lags": (n, t),
              "marks": (n, t), "valid_length": (n,), "max_time": (n,)}
    for name, shape in shapes.items():
        if arrays[name].shape != shape:
            raise ShapeError(f"{fn}: {name} must have shape {shape} for N={n} sequences of "
                             f"T={t} events and K={k} marks, got {arrays[name].shape}")
    if k == 0:
        raise ShapeError(f"{fn}: lda must have at least one mark (K >= 1), got shape "
                         f"{lda.shape}")
    if lda._dtype.kind != "f":
        raise DTypeError(f"{fn}: lda must be floating-point, got {lda._dtype}")
    for name, a in arrays.items():
        if name != "marks" and a._dtype != lda._dtype:
            raise DTypeError(f"{fn}: {name} must have lda's dtype {lda._dtype}, got {a._dtype}")
    if arrays["marks"]._dtype.kind not in "iu":
        raise DTypeError(f"{fn}: marks must be integers (the process ids), got "
                         f"{arrays['marks']._dtype}")
    return n, t, k


def _loglikelihood(lda: Array, alpha: Array, beta: Array, state: Array, lags: Array,
                   marks: Array, valid_length: Array, max_time: Array) -> list[Array]:
    """[log-likelihood (N,), state at max_time (N, K)] (see the module docstring)."""
    (n, t), k, dtype = lags.shape, lda.shape[1], lda._dtype
    valid = ew("lt", iota((n, t), 1, lags, dtype), reshape_exact(valid_length, (n, 1)))
    # running sums of the valid lags (the others may hold anything, NaN included)
    upper = constant(np.triu(np.ones((t, t), dtype)), lags)
    times = bind("dot_general", select(valid, lags, 0.0), upper, contract=((1,), (0,)),
                 batch=((), ()))
    # Marks outside [0, K) are clipped (MXNet reads out of bounds there).
    mark = clip(marks, 0, k - 1)
    hot = ew("logical_and", ew("eq", reshape_exact(mark, (n, t, 1)),
                                iota((1, 1, k), 2, mark, mark._dtype)),
             reshape_exact(valid, (n, t, 1)))
    hot = ew("where", hot, 1.0, 0.0, like=lda)  # (N, T, K): event j has mark k and is valid

    def at_events(p: Array) -> Array:
        """The value of each event's mark in the (N, K) or (K,) parameter p: (N, T)."""
        per_mark = reshape_exact(p, (1, 1, k) if p.ndim == 1 else (n, 1, k))
        return reduce_sum(ew("mul", hot, per_mark), axis=2)

    mu_e, alpha_e, beta_e, state_e = (at_events(p) for p in (lda, alpha, beta, state))
    earlier = constant(np.tril(np.ones((t, t), bool), -1), lags)  # [j, i]: i before j
    pairs = ew("logical_and", ew("eq", reshape_exact(mark, (n, t, 1)),
                                 reshape_exact(mark, (n, 1, t))),
               ew("logical_and", earlier, reshape_exact(valid, (n, 1, t))))
    gaps = select(pairs, ew("sub", reshape_exact(times, (n, t, 1)),
                            reshape_exact(times, (n, 1, t))), 0.0)
    decays = select(pairs, ew("exp", ew("mul", reshape_exact(beta_e, (n, t, 1)), gaps) * -1.0),
                    0.0)
    memory = reduce_sum(decays, axis=2) + state_e * ew("exp", beta_e * times * -1.0)
    intensity = mu_e + alpha_e * beta_e * memory
    # invalid events are masked before the log, so neither they nor their gradients are NaN
    log_terms = select(valid, ew("log", select(valid, intensity, 1.0)), 0.0)

    horizon = reshape_exact(max_time, (n, 1))
    tails = ew("exp", beta_e * (horizon - times) * -1.0)  # each event's decay to max_time
    tail_sums = reduce_sum(ew("mul", hot, reshape_exact(tails, (n, t, 1))), axis=1)
    counts = reduce_sum(hot, axis=1)
    end = ew("exp", ew("mul", reshape_exact(beta, (1, k)), horizon) * -1.0)
    compensator = ew("mul", lda, horizon) + ew(
        "mul", reshape_exact(alpha, (1, k)), state * (1.0 - end) + counts - tail_sums)
    loglik = reduce_sum(log_terms, axis=1) - reduce_sum(compensator, axis=1)
    return [loglik, state * end + tail_sums]


@register_operator("_contrib_hawkesll", inputs=_INPUTS)
def hawkesll(lda: Array, alpha: Array, beta: Array, state: Array, lags: Array, marks: Array,
             valid_length: Array, max_time: Array) -> list[Array]:
    """Log-likelihood of N sequences of marked Hawkes processes on (0, max_time] with
    background intensities `lda` (N, K), branching ratios `alpha` (K,) and decays `beta`
    (K,): the intensity of mark k is lda_k + alpha_k * sum over its earlier events of
    beta_k exp(-beta_k (t - t_i)). `lags` (N, T) are the times between events, `marks` (N, T)
    their int process ids, `valid_length` (N,) the number of events of each sequence, and
    `state` (N, K) the memory of earlier events at time 0. Returns [log-likelihood (N,),
    state at max_time (N, K)].

    >>> ll, state = mx.nd.contrib.hawkesll(lda, alpha, beta, state, lags, marks,
    ...                                    valid_length, max_time)  # doctest: +SKIP
    """
    arrays = dict(zip(_INPUTS, (lda, alpha, beta, state, lags, marks, valid_length, max_time)))
    _check("hawkesll", arrays)
    return _loglikelihood(**arrays)


@register_operator("_contrib_backward_hawkesll", inputs=("out_grad", "out_state_grad")
                   + _INPUTS)
def backward_hawkesll(out_grad: Array, out_state_grad: Array, lda: Array, alpha: Array,
                      beta: Array, state: Array, lags: Array, marks: Array,
                      valid_length: Array, max_time: Array) -> list[Array]:
    """The gradients of `hawkesll`'s inputs for the output gradients `out_grad` (N,) and
    `out_state_grad` (N, K), in MXNet's input order; one per input, those of marks and
    valid_length zero.

    >>> grads = mx.nd.contrib.backward_hawkesll(mx.nd.ones((N,)), mx.nd.zeros((N, K)), lda,
    ...     alpha, beta, state, lags, marks, valid_length, max_time)  # doctest: +SKIP
    """
    arrays = dict(zip(_INPUTS, (lda, alpha, beta, state, lags, marks, valid_length, max_time)))
    n, _, k = _check("backward_hawkesll", arrays)
    for name, g, shape in (("out_grad", out_grad, (n,)), ("out_state_grad", out_state_grad,
                                                          (n, k))):
        if not isinstance(g, Array) or g.shape != shape:
            raise ShapeError(f"backward_hawkesll: {name} must be an array of shape {shape}, "
                             f"got {getattr(g, 'shape', type(g).__name__)}")
    floats = [a for name, a in arrays.items() if name != "marks"]
    if any_traced(marks) and not any_traced(*floats):
        # (the primals decide whether vjp traces: they must be traced with marks)
        floats = [constant(a._buffer(), marks) for a in floats]

    def loglikelihood(lda: Array, alpha: Array, beta: Array, state: Array, lags: Array,
                      valid_length: Array, max_time: Array) -> list[Array]:
        return _loglikelihood(lda, alpha, beta, state, lags, marks, valid_length, max_time)

    _, pullback = vjp(loglikelihood, *floats)
    grads = list(pullback([out_grad, out_state_grad]))
    return grads[:5] + [marks * 0] + grads[5:]
