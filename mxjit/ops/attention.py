"""Attention operators of mx.nd.contrib: the interleaved multi-head matrix products that
GluonNLP's BERT and transformer layers call (`interleaved_matmul_selfatt_qk`, `..._valatt`,
`interleaved_matmul_encdec_qk`, `..._valatt`).

MXNet's layout: sequences are time-major, (seq_length, batch, ...), and the projections of
each head sit next to each other: self-attention packs (seq, batch, heads * 3 * head_dim) as
(heads, [query, key, value], head_dim) per position, encoder-decoder attention packs the keys
and values as (heads, [key, value], head_dim). Attention maps are (batch * heads, seq_q,
seq_k), batch-major. Each operator is a reshape, a slice and one `dot_general`, so it fuses
its scale and views and differentiates (to any order) through the primitives.

    >>> qkv = mx.nd.ones((5, 2, 3 * 8))  # (seq, batch, heads * 3 * head_dim), 2 heads of 4
    >>> mx.nd.contrib.interleaved_matmul_selfatt_qk(qkv, heads=2).shape  # doctest: +SKIP
    (4, 5, 5)
"""
from __future__ import annotations

import math
from typing import Any

from ..base import ArgumentError, DTypeError, ParamError, ShapeError
from ..core import Array, bind
from ..core.operators import register_operator
from .operands import int_param, reshape_exact
from .shape import permute, slice_ranges


def _operand(fn: str, what: str, x: Any, layout: str) -> Array:
    if not isinstance(x, Array):
        raise ArgumentError(f"{fn}: {what} must be an array, got {type(x).__name__}")
    if x.ndim != 3:
        raise ShapeError(f"{fn}: {what} must be 3-D {layout}, got shape {x.shape}")
    if x._dtype.kind != "f":
        raise DTypeError(f"{fn}: {what} must be floating-point, got {x._dtype}")
    return x


_PACKED = {1: ("heads * head_dim", ""), 2: ("heads * 2 * head_dim", "keys and values"),
           3: ("heads * 3 * head_dim", "queries, keys and values")}


def _packed(fn: str, what: str, x: Any, parts: int, heads: Any) -> tuple[Array, int]:
    """A (seq, batch, heads * parts * head_dim) operand and its number of heads, checked."""
    layout, packs = _PACKED[parts]
    x = _operand(fn, what, x, f"(seq_length, batch, {layout})")
    if x.shape[2] % parts:
        raise ShapeError(f"{fn}: {what}.shape[2] must be a multiple of {parts} ({packs}), "
                         f"got {x.shape}")
    width = x.shape[2] // parts
    h = int_param(fn, "heads", heads)
    if h < 1 or width % h:
        raise ParamError(f"{fn}: heads={heads} must be a positive divisor of the width "
                         f"{width} of each projection in {what} {x.shape}")
    return x, h


def _same_dtype(fn: str, a: Array, b: Array) -> None:
    if a._dtype != b._dtype:
        raise DTypeError(f"{fn}: the inputs must have one dtype, got {a._dtype} and {b._dtype}")


def _projection(packed: Array, heads: int, parts: int, part: int) -> Array:
    """Part `part` of the `parts` projections packed per head in (seq, batch, heads * parts
    * head_dim): (seq, batch, heads, head_dim)."""
    seq, batch, width = packed.shape
    d = width // (heads * parts)
    split = reshape_exact(packed, (seq, batch, heads, parts, d))
    one = slice_ranges(split, (0, 0, 0, part, 0), (seq, batch, heads, part + 1, d),
                       (1, 1, 1, 1, 1))
    return reshape_exact(one, (seq, batch, heads, d))


def _scores(q: Array, k: Array) -> Array:
    """(batch * heads, seq_q, seq_k) products of (seq, batch, heads, d) queries and keys,
    scaled by 1 / sqrt(d)."""
    _, batch, heads, d = q.shape
    s = bind("dot_general", q, k, contract=((3,), (3,)), batch=((1, 2), (1, 2)))
    s = s * (1 / math.sqrt(d)) if d else s
    return reshape_exact(s, (batch * heads, q.shape[0], k.shape[0]))


def _weighted(att: Array, v: Array) -> Array:
    """(seq_q, batch, heads * d): the (batch * heads, seq_q, seq_k) attention maps applied to
    (seq_k, batch, heads, d) values."""
    seq_k, batch, heads, d = v.shape
    maps = reshape_exact(att, (batch, heads, att.shape[1], seq_k))
    out = bind("dot_general", maps, v, contract=((3,), (0,)), batch=((0, 1), (1, 2)))
    return reshape_exact(permute(out, (2, 0, 1, 3)), (att.shape[1], batch, heads * d))


def _attend(fn: str, what: str, packed: Any, attention: Any, parts: int, heads: Any
            ) -> Array:
    """The attention maps applied to the values, the last of the `parts` projections in
    `packed`; self-attention (3 parts) has square maps."""
    x, h = _packed(fn, what, packed, parts, heads)
    att = _operand(fn, "attention", attention, "(batch * heads, seq_q, seq_k)")
    _same_dtype(fn, x, att)
    seq, batch = x.shape[:2]
    rows = seq if parts == 3 else att.shape[1]
    if att.shape != (batch * h, rows, seq):
        want = f"({batch * h}, {seq if parts == 3 else 'seq_q'}, {seq})"
        raise ShapeError(f"{fn}: attention must have shape {want} (batch * heads, query "
                         f"length, key length), got {att.shape}")
    return _weighted(att, _projection(x, h, parts, parts - 1))


@register_operator("_contrib_interleaved_matmul_selfatt_qk", inputs=("queries_keys_values",))
def interleaved_matmul_selfatt_qk(queries_keys_values: Array, heads: int) -> Array:
    """Self-attention scores q . k / sqrt(head_dim) of every head, from the interleaved
    projections (seq, batch, heads * 3 * head_dim): shape (batch * heads, seq, seq).

    >>> qkv = mx.nd.ones((5, 2, 24))
    >>> mx.nd.contrib.interleaved_matmul_selfatt_qk(qkv, heads=2).shape  # doctest: +SKIP
    (4, 5, 5)
    """
    qkv, h = _packed("interleaved_matmul_selfatt_qk", "queries_keys_values",
                     queries_keys_values, 3, heads)
    return _scores(_projection(qkv, h, 3, 0), _projection(qkv, h, 3, 1))


@register_operator("_contrib_interleaved_matmul_selfatt_valatt",
                   inputs=("queries_keys_values", "attention"))
def interleaved_matmul_selfatt_valatt(queries_keys_values: Array, attention: Array,
                                      heads: int) -> Array:
    """The attention maps (batch * heads, seq, seq) applied to the values of the interleaved
    projections (seq, batch, heads * 3 * head_dim): shape (seq, batch, heads * head_dim).

    >>> att = mx.nd.ones((4, 5, 5)) / 5
    >>> mx.nd.contrib.interleaved_matmul_selfatt_valatt(mx.nd.ones((5, 2, 24)), att,
    ...                                                 heads=2).shape  # doctest: +SKIP
    (5, 2, 8)
    """
    return _attend("interleaved_matmul_selfatt_valatt", "queries_keys_values",
                   queries_keys_values, attention, 3, heads)


@register_operator("_contrib_interleaved_matmul_encdec_qk", inputs=("queries", "keys_values"))
def interleaved_matmul_encdec_qk(queries: Array, keys_values: Array, heads: int) -> Array:
    """Encoder-decoder attention scores q . k / sqrt(head_dim) of every head, from queries
    (seq_q, batch, heads * head_dim) and interleaved keys and values (seq_k, batch, heads * 2
    * head_dim): shape (batch * heads, seq_q, seq_k).

    >>> q, kv = mx.nd.ones((3, 2, 8)), mx.nd.ones((5, 2, 16))
    >>> mx.nd.contrib.interleaved_matmul_encdec_qk(q, kv, heads=2).shape  # doctest: +SKIP
    (4, 3, 5)
    """
    fn = "interleaved_matmul_encdec_qk"
    q, h = _packed(fn, "queries", queries, 1, heads)
    kv = _operand(fn, "keys_values", keys_values, "(seq_length, batch, heads * 2 * head_dim)")
    _same_dtype(fn, q, kv)
    if kv.shape[1:] != (q.shape[1], 2 * q.shape[2]):
        raise ShapeError(f"{fn}: keys_values must have shape (seq_k, {q.shape[1]}, "
                         f"{2 * q.shape[2]}) for queries of shape {q.shape} (the batch and "
                         f"twice the width), got {kv.shape}")
    return _scores(_projection(q, h, 1, 0), _projection(kv, h, 2, 0))


@register_operator("_contrib_interleaved_matmul_encdec_valatt",
                   inputs=("keys_values", "attention"))
def interleaved_matmul_encdec_valatt(keys_values: Array, attention: Array, heads: int
                                     ) -> Array:
    """The attention maps (batch * heads, seq_q, seq_k) applied to the values of the
    interleaved keys and values (seq_k, batch, heads * 2 * head_dim): shape (seq_q, batch,
    heads * head_dim).

    >>> att = mx.nd.ones((4, 3, 5)) / 5
    >>> mx.nd.contrib.interleaved_matmul_encdec_valatt(mx.nd.ones((5, 2, 16)), att,
    ...                                                heads=2).shape  # doctest: +SKIP
    (3, 2, 8)
    """
    return _attend("interleaved_matmul_encdec_valatt", "keys_values", keys_values, attention,
                   2, heads)
