"""`mx.np`'s products: `matmul` (`@`), `dot`, `vdot`, `inner`, `outer`, `tensordot` and
`einsum`, each a `dot_general` (the one contraction primitive behind `mx.nd.dot`,
`batch_dot` and FullyConnected) plus the movements NumPy's meaning needs.

`einsum` contracts its operands left to right: labels that a later operand or the output
still needs are batch axes of the pair, the others are contracted (or summed out first
when only one side has them), and a label repeated within an operand takes its diagonal.

    >>> mx.np.einsum('ij,jk->ik', mx.np.ones((2, 3)), mx.np.ones((3, 4))).shape  # doctest: +SKIP
    (2, 4)
"""
from __future__ import annotations

import string
from collections.abc import Callable, Sequence
from typing import Any

from ..base import ArgumentError, DTypeError, ShapeError
from ..core import Array, bind
from ..ops.operands import as_dtype, axis_indices, reshape_exact
from .adapter import finish, operands, operator
from .arithmetic import binary, broadcast_shapes
from .promotion import common_dtype


def _pair(function: str, a: Any, b: Any) -> tuple[Array, Array]:
    """Two operands in their common (numeric) dtype."""
    x, y = operands(function, a, b)
    dtype = common_dtype(x._dtype, y._dtype)
    if dtype.kind == "b":
        raise DTypeError(f"{function}: bool operands are not supported; cast them to a number "
                         "dtype first")
    return as_dtype(x, dtype), as_dtype(y, dtype)


def _contract(a: Array, b: Array, contract: tuple, batch: tuple = ((), ())) -> Array:
    return bind("dot_general", a, b, contract=contract, batch=batch)  # type: ignore


def matmul(a: Any, b: Any, out: Any = None) -> Any:
    """The matrix product, broadcast over leading (batch) axes; a 1-D operand is a vector
    (NumPy's `matmul`, the `@` operator).

    >>> (mx.np.ones((5, 2, 3)) @ mx.np.ones((3, 4))).shape  # doctest: +SKIP
    (5, 2, 4)
    """
    x, y = _pair("matmul", a, b)
    if x.ndim == 0 or y.ndim == 0:
        raise ShapeError("matmul: Input operand does not have enough dimensions (a 0-d "
                         "operand; use multiply or *)")
    x2 = reshape_exact(x, (1,) + x.shape) if x.ndim == 1 else x
    y2 = reshape_exact(y, y.shape + (1,)) if y.ndim == 1 else y
    if x2.shape[-1] != y2.shape[-2]:
        raise ShapeError(f"matmul: Input operand 1 has a mismatch in its core dimension 0, "
                         f"with gufunc signature (n?,k),(k,m?)->(n?,m?) (size {y2.shape[-2]} "
                         f"is different from {x2.shape[-1]}); shapes {x.shape} and {y.shape}")
    lead = broadcast_shapes("matmul", x2.shape[:-2], y2.shape[:-2])
    x3 = _lead(x2, lead)
    y3 = _lead(y2, lead)
    batch = tuple(range(len(lead)))
    result = _contract(x3, y3, ((x3.ndim - 1,), (y3.ndim - 2,)), (batch, batch))
    shape = lead + x.shape[-2:-1] * (x.ndim > 1) + y.shape[-1:] * (y.ndim > 1)
    return finish(result if result.shape == shape else reshape_exact(result, shape), out)


def _lead(x: Array, lead: tuple[int, ...]) -> Array:
    """`x` with its batch axes broadcast to `lead`."""
    shape = lead + x.shape[-2:]
    if x.shape == shape:
        return x
    padded = reshape_exact(x, (1,) * (len(shape) - x.ndim) + x.shape)
    return bind("broadcast_to", padded, shape=shape) if padded.shape != shape else padded  # type: ignore


def dot(a: Any, b: Any, out: Any = None) -> Any:
    """NumPy's `dot`: a product of scalars, the inner product of vectors, else a sum over
    the last axis of `a` and the second-to-last of `b`.

    >>> mx.np.dot(mx.np.ones(3), mx.np.ones(3))  # doctest: +SKIP
    array(3.)
    """
    x, y = _pair("dot", a, b)
    if x.ndim == 0 or y.ndim == 0:
        return finish(binary("mul", x, y), out)
    cb = max(y.ndim - 2, 0)
    if x.shape[-1] != y.shape[cb]:
        raise ShapeError(f"dot: shapes {x.shape} and {y.shape} not aligned: {x.shape[-1]} "
                         f"(dim {x.ndim - 1}) != {y.shape[cb]} (dim {cb})")
    return finish(_contract(x, y, ((x.ndim - 1,), (cb,))), out)


def vdot(a: Any, b: Any) -> Any:
    """The dot product of the flattened arrays.

    >>> mx.np.vdot(mx.np.ones((2, 2)), mx.np.ones(4))  # doctest: +SKIP
    array(4.)
    """
    x, y = _pair("vdot", a, b)
    if x.size != y.size:
        raise ShapeError(f"vdot: vectors have different lengths ({x.size} and {y.size})")
    return dot(reshape_exact(x, (x.size,)), reshape_exact(y, (y.size,)))


def inner(a: Any, b: Any) -> Any:
    """Sums of products over the last axes of `a` and `b`.

    >>> mx.np.inner(mx.np.ones((2, 3)), mx.np.ones(3)).shape  # doctest: +SKIP
    (2,)
    """
    x, y = _pair("inner", a, b)
    if x.ndim == 0 or y.ndim == 0:
        return finish(binary("mul", x, y))
    if x.shape[-1] != y.shape[-1]:
        raise ShapeError(f"inner: shapes {x.shape} and {y.shape} not aligned in their last "
                         "axis")
    return finish(_contract(x, y, ((x.ndim - 1,), (y.ndim - 1,))))


def outer(a: Any, b: Any, out: Any = None) -> Any:
    """The outer product of the flattened arrays.

    >>> mx.np.outer(mx.np.ones(2), mx.np.ones(3)).shape  # doctest: +SKIP
    (2, 3)
    """
    x, y = _pair("outer", a, b)
    return finish(binary("mul", reshape_exact(x, (x.size, 1)), reshape_exact(y, (1, y.size))),
                  out)


def tensordot(a: Any, b: Any, axes: Any = 2) -> Any:
    """Sums of products over `axes`: the last N of `a` with the first N of `b`, or the
    two lists of axes given.

    >>> mx.np.tensordot(mx.np.ones((2, 3)), mx.np.ones((3, 4)), axes=1).shape  # doctest: +SKIP
    (2, 4)
    """
    x, y = _pair("tensordot", a, b)
    if isinstance(axes, int):
        if axes < 0 or axes > min(x.ndim, y.ndim):
            raise ShapeError(f"tensordot: axes={axes} is out of range for shapes {x.shape} "
                             f"and {y.shape}")
        ca, cb = tuple(range(x.ndim - axes, x.ndim)), tuple(range(axes))
    else:
        try:
            first, second = axes
        except (TypeError, ValueError):
            raise ArgumentError(f"tensordot: axes must be an int or a pair of axis lists, got "
                                f"{axes!r}") from None
        ca = axis_indices(first, x.ndim, "tensordot")
        cb = axis_indices(second, y.ndim, "tensordot")
    if [x.shape[k] for k in ca] != [y.shape[k] for k in cb]:
        raise ShapeError(f"tensordot: shape-mismatch for sum: axes {ca} of {x.shape} and "
                         f"{cb} of {y.shape}")
    return finish(_contract(x, y, (ca, cb)))


# ---- einsum ----------------------------------------------------------------------------------


def _parse(subscripts: str, ndims: Sequence[int]) -> tuple[list[str], str]:
    """The subscripts as one label string per operand and the output's labels, an
    ellipsis spelled out in letters the subscripts do not use (aligned from the right)."""
    text = subscripts.replace(" ", "")
    inputs, arrow, output = text.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(ndims):
        raise ArgumentError(f"einsum: the subscripts name {len(terms)} operands, "
                            f"{len(ndims)} given")
    for t in terms + [output]:
        if any(c not in string.ascii_letters for c in t.replace("...", "")):
            raise ArgumentError(f"einsum: invalid subscript in {subscripts!r}; use letters")
    spare = [c for c in string.ascii_letters if c not in text]
    widths = [nd - (len(t) - 3) if "..." in t else 0 for t, nd in zip(terms, ndims)]
    width = max(widths, default=0)
    ellipsis = "".join(spare[:width])
    terms = [t.replace("...", ellipsis[width - w:]) for t, w in zip(terms, widths)]
    if not arrow:
        joined = "".join(terms)
        once = [c for c in sorted(set(joined) - set(ellipsis)) if joined.count(c) == 1]
        output = ellipsis + "".join(once)
    else:
        output = output.replace("...", ellipsis)
        if len(set(output)) != len(output) or set(output) - set("".join(terms)):
            raise ArgumentError(f"einsum: output subscript {output!r} must name distinct "
                                "labels of the inputs")
    return terms, output


def _diagonals(x: Array, labels: str) -> tuple[Array, str]:
    """Repeated labels within one operand (of equal sizes, checked by the caller): take
    the diagonal (MXNet's `diag` operator)."""
    while len(set(labels)) != len(labels):
        c = next(c for c in labels if labels.count(c) > 1)
        p = labels.index(c)
        q = labels.index(c, p + 1)
        x = operator("diag")(x, k=0, axis1=p, axis2=q)
        labels = labels[:p] + labels[p + 1:q] + labels[q + 1:] + c
    return x, labels


def _sum_out(x: Array, labels: str, keep: set[str]) -> tuple[Array, str]:
    drop = tuple(k for k, c in enumerate(labels) if c not in keep)
    if not drop:
        return x, labels
    return bind("reduce_sum", x, axes=drop), "".join(c for c in labels if c in keep)


def einsum(subscripts: str, *operands_: Any, out: Any = None, optimize: bool = False) -> Any:
    """Einstein summation over `operands_` as `subscripts` names their axes (letters;
    implicit output: the labels seen once, sorted).

    >>> mx.np.einsum('ii', mx.np.eye(3))  # doctest: +SKIP
    array(3.)
    """
    if not isinstance(subscripts, str):
        raise ArgumentError("einsum: the first argument must be the subscripts string")
    xs = operands("einsum", *operands_)
    terms, output = _parse(subscripts, [x.ndim for x in xs])
    dtype = xs[0]._dtype
    for x in xs[1:]:
        dtype = common_dtype(dtype, x._dtype)
    sizes: dict[str, int] = {}
    for x, t in zip(xs, terms):
        if len(t) != x.ndim:
            raise ShapeError(f"einsum: operand of shape {x.shape} has {x.ndim} axes but "
                             f"subscripts {t!r} name {len(t)}")
        for c, d in zip(t, x.shape):
            known = sizes.setdefault(c, d)
            if known != d and 1 not in (known, d):
                raise ShapeError(f"einsum: label {c!r} has sizes {known} and {d} "
                                 f"(operands {[x.shape for x in xs]})")
            sizes[c] = max(known, d)  # (a size-1 axis broadcasts, as NumPy's)
    items = []
    for x, t in zip(xs, terms):
        full = tuple(sizes[c] for c in t)
        x = as_dtype(x, dtype)
        items.append(_diagonals(bind("broadcast_to", x, shape=full) if x.shape != full else x,
                                t))
    needed = [set(output).union(*(set(t) for _, t in items[k + 1:])) for k in range(len(items))]
    acc, labels = _sum_out(*items[0], needed[0] | set().union(*(set(t) for _, t in items[1:])))
    for k, (y, ly) in enumerate(items[1:], 1):
        y, ly = _sum_out(y, ly, needed[k] | set(labels))
        keep = needed[k]
        shared = [c for c in labels if c in ly]
        batch = [c for c in shared if c in keep]
        contract = [c for c in shared if c not in keep]
        acc = _contract(acc, y, (tuple(labels.index(c) for c in contract),
                                 tuple(ly.index(c) for c in contract)),
                        (tuple(labels.index(c) for c in batch),
                         tuple(ly.index(c) for c in batch)))
        labels = "".join(batch) + "".join(c for c in labels if c not in shared) + \
            "".join(c for c in ly if c not in shared)
        acc, labels = _sum_out(acc, labels, keep)
    acc, labels = _sum_out(acc, labels, set(output))
    perm = tuple(labels.index(c) for c in output)
    if perm != tuple(range(len(perm))):
        acc = operator("transpose")(acc, axes=perm)
    return finish(acc if len(xs) > 1 or acc is not xs[0] else as_dtype(acc, acc._dtype), out)


def kron(a: Any, b: Any) -> Any:
    """The Kronecker product.

    >>> mx.np.kron(mx.np.eye(2), mx.np.ones((2, 2))).shape  # doctest: +SKIP
    (4, 4)
    """
    x, y = _pair("kron", a, b)
    n = max(x.ndim, y.ndim)
    x = reshape_exact(x, (1,) * (n - x.ndim) + x.shape)
    y = reshape_exact(y, (1,) * (n - y.ndim) + y.shape)
    spread = binary("mul", reshape_exact(x, tuple(v for d in x.shape for v in (d, 1))),
                    reshape_exact(y, tuple(v for d in y.shape for v in (1, d))))
    return finish(reshape_exact(spread, tuple(p * q for p, q in zip(x.shape, y.shape))))


def functions() -> dict[str, Callable[..., Any]]:
    """The products by NumPy name."""
    found: Sequence[Callable[..., Any]] = (matmul, dot, vdot, inner, outer, tensordot, einsum,
                                           kron)
    return {f.__name__: f for f in found}
