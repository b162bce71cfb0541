"""Connectionist temporal classification loss (CTCLoss).

The loss is the forward (alpha) recursion of Graves et al. in log space, unrolled over the
known number of frames: each step is one fused kernel of elementwise operations on a
(batch, 2L+1) array, so it runs eagerly and under `mx.jit`, and reverse mode through the
recursion is the beta recursion, which gives the standard alpha-beta gradient with respect to
the unnormalised activations (softmax is applied inside, as in MXNet).

Log-probabilities of impossible prefixes are a large negative number rather than -inf, so
that no NaN reaches the gradient; a label sequence that no alignment fits (its length plus
its repeats exceeds the frames) has loss 0 and gradient 0, as MXNet (warp-ctc) gives.
"""
from __future__ import annotations

import numpy as np

from ..base import DTypeError, ParamError, ShapeError
from ..core import Array, bind
from ..core.operators import register_operator
from . import reduce
from .elementwise import clip
from .nn import BlockGrad, log_softmax
from .operands import (
    as_dtype,
    check_shape,
    ew,
    full,
    iota,
    materialize,
    reshape_exact,
    select,
)
from .shape import broadcast_exact, concat, expand_dims, slice_axis, slice_ranges, stack

# log(0) as a finite number: sums of it with log-probabilities stay finite (it absorbs them)
_LOG_ZERO = -1e30


@register_operator("CTCLoss", inputs=("data", "label", "data_lengths", "label_lengths"),
                   aliases=("ctc_loss", "_contrib_CTCLoss", "_contrib_ctc_loss"))
def CTCLoss(data: Array, label: Array, data_lengths: Array | None = None,
            label_lengths: Array | None = None, use_data_lengths: bool = False,
            use_label_lengths: bool = False, blank_label: str = "first") -> Array:
    """The CTC loss -log p(label | data) of each sequence in the batch, shape (batch,).

    `data` (frames, batch, alphabet) holds unnormalised activations; the blank is class 0
    (`blank_label='first'`) or the last class ('last'). `label` (batch, max_label_length)
    holds class indices (truncated to ints, clipped to the alphabet); a sequence ends at its
    first padding value (0 with blank 'first', -1 with 'last') or, with `use_label_lengths`,
    after `label_lengths` entries. With `use_data_lengths` sequence b has only its first
    `data_lengths[b]` frames (the gradient of the others is 0). Lengths are clipped to the
    array's extent.

    >>> data = mx.nd.random.normal(shape=(5, 2, 4))  # doctest: +SKIP
    >>> mx.nd.CTCLoss(data, mx.nd.array([[1, 2], [3, 0]])).shape  # doctest: +SKIP
    (2,)
    """
    frames, lengths, blank = _check(data, label, data_lengths, label_lengths, use_data_lengths,
                                    use_label_lengths, blank_label)
    work = np.float64 if data._dtype == np.float64 else np.float32
    logp = log_softmax(as_dtype(_past_the_end_zeroed(data, frames), work), axis=-1)
    labels = clip(as_dtype(label, np.int64), 0, data.shape[2] - 1)
    extended = _with_blanks(labels, blank)
    emit = _emissions(logp, extended)
    skip = _skips(extended, blank)
    alpha = _alpha(emit, skip, frames)
    nll = ew("sub", 0, _final_log_likelihood(alpha, lengths))  # (0 - x: +0 for p = 1)
    fits = ew("le", lengths + _repeats(labels, lengths), frames)
    return as_dtype(select(fits, nll, 0), data._dtype)


def _past_the_end_zeroed(data: Array, frames: Array) -> Array:
    """`data` with the frames after each sequence's length set to 0: they take no part,
    and whatever they hold (padding, NaN) must not reach the softmax, whose gradient would
    carry it into the frames' 0 gradient (MXNet's is 0 there)."""
    t, n, k = data.shape
    time = iota((t, n, k), 0, frames)
    ends = broadcast_exact(expand_dims(expand_dims(frames, 0), 2), (t, n, k))
    return select(ew("lt", time, ends), data, full(0, data))


def _check(data: Array, label: Array, data_lengths: Array | None,
           label_lengths: Array | None, use_data_lengths: bool, use_label_lengths: bool,
           blank_label: str) -> tuple[Array, Array, int]:
    """Check the arguments; give the frames and label lengths of each sequence (int64,
    clipped) and the blank's class."""
    if blank_label not in ("first", "last"):
        raise ParamError(f"CTCLoss: blank_label must be 'first' or 'last', got {blank_label!r}")
    if data.ndim != 3 or label.ndim != 2:
        raise ShapeError(f"CTCLoss: data must be (frames, batch, alphabet) and label (batch, "
                         f"max_label_length), got shapes {data.shape} and {label.shape}")
    t, n, a = data.shape
    if label.shape[0] != n:
        raise ShapeError(f"CTCLoss: data {data.shape} and label {label.shape} differ in batch "
                         "size (data axis 1, label axis 0)")
    if label.shape[1] > t:
        raise ShapeError(f"CTCLoss: labels of length {label.shape[1]} cannot fit {t} frames "
                         f"(data {data.shape}, label {label.shape})")
    if a == 0:
        raise ShapeError(f"CTCLoss: the alphabet (data axis 2) is empty: data {data.shape}")
    if data._dtype.kind != "f":
        raise DTypeError(f"CTCLoss: data must be floating point, got {data._dtype.name}")
    for use, arr, what in ((use_data_lengths, data_lengths, "data_lengths"),
                           (use_label_lengths, label_lengths, "label_lengths")):
        if use and arr is None:
            raise ParamError(f"CTCLoss: use_{what}=True needs the `{what}` array")
        if arr is not None and not use:
            raise ParamError(f"CTCLoss: `{what}` given but use_{what}=False; set it to True "
                             "to use the lengths")
        if arr is not None:
            check_shape("CTCLoss", f"{what} (one length per sequence)", arr, (n,))
    blank = 0 if blank_label == "first" else a - 1
    if data_lengths is not None:
        frames = clip(as_dtype(data_lengths, np.int64), 0, t)
    else:
        frames = full(t, iota((n,), 0, data), (n,))
    if label_lengths is not None:
        lengths = clip(as_dtype(label_lengths, np.int64), 0, label.shape[1])
    else:
        lengths = _padded_lengths(as_dtype(label, np.int64), 0 if blank == 0 else -1)
    return frames, lengths, blank


def _padded_lengths(labels: Array, pad: int) -> Array:
    """The position of each row's first `pad` value (the row's length when there is none)."""
    n, width = labels.shape
    positions = iota(labels.shape, 1, labels)
    if width == 0:
        return full(0, positions, (n,))
    return reduce.min(select(ew("eq", labels, pad), positions, width), axis=1)


def _with_blanks(labels: Array, blank: int) -> Array:
    """(batch, 2L + 1): the labels with a blank before, between and after them."""
    n, width = labels.shape
    blanks = full(blank, labels, (n, width))
    pairs = reshape_exact(stack(labels, blanks, axis=2), (n, 2 * width)) if width else None
    first = full(blank, labels, (n, 1))
    return first if pairs is None else concat(first, pairs, dim=1)


def _emissions(logp: Array, extended: Array) -> Array:
    """(frames, batch, 2L + 1): the log-probability of each extended label at each frame."""
    t, n, a = logp.shape
    rows = iota(extended.shape, 0, extended)
    flat = reshape_exact(logp, (t, n * a))
    return bind("take", flat, rows * a + extended, axis=1, mode="clip")


def _skips(extended: Array, blank: int) -> Array:
    """Where a path may jump over the blank before it: a label unlike the one two back."""
    n, s = extended.shape
    if s < 3:
        return full(False, ew("eq", extended, blank))
    here = slice_ranges(extended, (0, 2), (n, s), (1, 1))
    back = slice_ranges(extended, (0, 0), (n, s - 2), (1, 1))
    jump = ew("logical_and", ew("ne", here, back), ew("ne", here, blank))
    return concat(full(False, jump, (n, 2)), jump, dim=1)


def _shift(x: Array, by: int) -> Array:
    """x[:, s - by] along axis 1, log(0) where s < by."""
    n, s = x.shape
    padded = bind("pad", x, full(_LOG_ZERO, x, ()), low=(0, by), high=(0, 0))
    return slice_ranges(padded, (0, 0), (n, s), (1, 1))


def _log_add_exp(*terms: Array) -> Array:
    """log(sum of exp(term)) elementwise; the shift by the largest term is held constant
    (the result does not depend on it), so it costs the backward pass nothing."""
    top = terms[0]
    for x in terms[1:]:
        top = ew("maximum", top, x)
    top = BlockGrad(top)
    total = ew("exp", terms[0] - top)
    for x in terms[1:]:
        total = total + ew("exp", x - top)
    return top + ew("log", total)


def _log_sum_exp(x: Array, axis: int) -> Array:
    """log(sum(exp(x))) along `axis`, with the maximum held constant as above."""
    top = BlockGrad(reduce.max(x, axis=axis, keepdims=True))
    total = reduce.sum(ew("exp", x - top), axis=axis, keepdims=True)
    return reshape_exact(top + ew("log", total), x.shape[:axis] + x.shape[axis + 1:])


def _alpha(emit: Array, skip: Array, frames: Array) -> Array:
    """The forward variables after each sequence's last frame, (batch, 2L + 1)."""
    t, n, s = emit.shape
    states = iota((n, s), 1, emit, emit._dtype)
    alpha = select(ew("eq", states, 0), full(0, states), _LOG_ZERO)  # before the first frame
    for step in range(t):
        here = reshape_exact(slice_axis(emit, 0, step, step + 1), (n, s))
        jump = select(skip, _shift(alpha, 2), _LOG_ZERO)
        new = _log_add_exp(alpha, _shift(alpha, 1), jump) + here
        running = broadcast_exact(expand_dims(ew("gt", frames, step), 1), (n, s))
        alpha = materialize(select(running, new, alpha))  # (one step per kernel)
    return alpha


def _final_log_likelihood(alpha: Array, lengths: Array) -> Array:
    """log p(label): the paths ending on the last label or on the blank after it."""
    n, s = alpha.shape
    states = iota((n, s), 1, lengths)
    last = broadcast_exact(expand_dims(lengths * 2, 1), (n, s))
    ends = ew("logical_or", ew("eq", states, last), ew("eq", states + 1, last))
    return _log_sum_exp(select(ends, alpha, _LOG_ZERO), axis=1)


def _repeats(labels: Array, lengths: Array) -> Array:
    """How many labels within each sequence's length equal the one before them."""
    n, width = labels.shape
    if width < 2:
        return full(0, lengths)
    here = slice_ranges(labels, (0, 1), (n, width), (1, 1))
    before = slice_ranges(labels, (0, 0), (n, width - 1), (1, 1))
    inside = ew("lt", iota(here.shape, 1, here) + 1,
                broadcast_exact(expand_dims(lengths, 1), here.shape))
    same = ew("logical_and", ew("eq", here, before), inside)
    return reduce.sum(as_dtype(same, np.int64), axis=1)
