"""Contraction: `dot_general`, the one primitive behind dot, batch_dot, FullyConnected and
convolution (im2col), with its batched-matmul form for the library kernels."""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from ..base import DTypeError, ShapeError
from .dtypes import is_bool
from .graph import AbstractValue, Node
from .primitives import apply, define_primitive


def _dot_rule(a: AbstractValue, b: AbstractValue, *, contract: tuple, batch: tuple
              ) -> AbstractValue:
    (ca, cb), (ba, bb) = contract, batch
    if a.dtype != b.dtype or is_bool(a.dtype):
        raise DTypeError(f"dot: operand dtypes {a.dtype} and {b.dtype} must be equal numbers")
    if [a.shape[k] for k in ca] != [b.shape[k] for k in cb] or [a.shape[k] for k in ba] != [
        b.shape[k] for k in bb
    ]:
        raise ShapeError(f"dot: shapes {a.shape} and {b.shape} do not contract over "
                         f"axes {ca} and {cb}")
    free_a = [d for k, d in enumerate(a.shape) if k not in ca and k not in ba]
    free_b = [d for k, d in enumerate(b.shape) if k not in cb and k not in bb]
    return AbstractValue(tuple([a.shape[k] for k in ba] + free_a + free_b), a.dtype)


class BatchedMatmul(NamedTuple):
    """dot_general as (nb, na, nk) @ (nb, nk, nn): the axis orders that bring each operand
    to that form (before a reshape), the four sizes and the result's shape."""

    perm_a: list[int]
    perm_b: list[int]
    nb: int
    na: int
    nk: int
    nn: int
    shape: list[int]


def batched_matmul(a_shape: tuple[int, ...], b_shape: tuple[int, ...], contract: tuple,
                   batch: tuple) -> BatchedMatmul:
    """The batched-matmul form of `dot_general(a, b, contract=..., batch=...)`.

    >>> batched_matmul((2, 3), (3, 4), ((1,), (0,)), ((), ())).shape
    [2, 4]
    """
    (ca, cb), (ba, bb) = contract, batch
    fa = [k for k in range(len(a_shape)) if k not in ca and k not in ba]
    fb = [k for k in range(len(b_shape)) if k not in cb and k not in bb]

    def size(shape: tuple[int, ...], axes: Sequence[int]) -> int:
        return int(math.prod([shape[k] for k in axes]))

    return BatchedMatmul(list(ba) + fa + list(ca), list(bb) + list(cb) + fb,
                         size(a_shape, ba), size(a_shape, fa), size(a_shape, ca),
                         size(b_shape, fb),
                         [a_shape[k] for k in ba] + [a_shape[k] for k in fa]
                         + [b_shape[k] for k in fb])


def dot_general_numpy(a: np.ndarray, b: np.ndarray, *, contract: tuple, batch: tuple
                      ) -> np.ndarray:
    """dot_general through a batched matmul: (batch, free_a, k) @ (batch, k, free_b)."""
    m = batched_matmul(a.shape, b.shape, contract, batch)
    a3 = np.transpose(a, m.perm_a).reshape(m.nb, m.na, m.nk)
    b3 = np.transpose(b, m.perm_b).reshape(m.nb, m.nk, m.nn)
    with np.errstate(all="ignore"):  # overflow to inf is IEEE's answer, as in our kernels
        out = np.matmul(a3, b3)
    return out.reshape(m.shape).astype(a.dtype, copy=False)


def _dot_vjp(n: Node, g: Node) -> Sequence[Node | None]:
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
    ga = _product_in_order(
        (g, b, (g_fb, tuple(fb)), (g_batch, tuple(bb)), list(ba) + fa + _matching(cb, ca)),
        (b, g, (tuple(fb), g_fb), (tuple(bb), g_batch), list(ba) + _matching(cb, ca) + fa))
    # gb[batch, ca-matching, fb] = sum over fa of a[batch, fa, ca] * g[batch, fa, fb]
    gb = _product_in_order(
        (a, g, (tuple(fa), g_fa), (tuple(ba), g_batch), list(bb) + _matching(ca, cb) + fb),
        (g, a, (g_fa, tuple(fa)), (g_batch, tuple(ba)), list(bb) + fb + _matching(ca, cb)))
    return ga, gb


def _product_in_order(*forms: tuple) -> Node:
    """A cotangent as one of two equivalent products (x, y, contract, batch, the operand
    axis each result axis is), the one whose result is already in the operand's axis
    order if either is (no transposed view: a gradient buffer can then take the result
    over, where a view would be copied element by element), else the first, transposed."""
    x, y, contract, batch, axes = next((f for f in forms if f[4] == sorted(f[4])), forms[0])
    out = apply("dot_general", x, y, contract=contract, batch=batch)
    return apply("transpose", out, perm=tuple(int(i) for i in np.argsort(axes)))


def _matching(theirs: Sequence[int], mine: Sequence[int]) -> list[int]:
    """My contracted axes, in the order the other operand's contracted axes come out."""
    return [mine[list(theirs).index(k)] for k in sorted(theirs)]


define_primitive("dot_general", "contraction", _dot_rule, dot_general_numpy, vjp=_dot_vjp)
