"""The backend-neutral kernel description: a loop nest, buffers and scalar expression DAGs.

A kernel loops over `dims` (outermost first). Some loop variables are reduction variables;
the others index the outputs. The `split` variable's range is cut into [start, stop)
chunks that threads run in parallel. Every value is an `Expr`: a hash-consed node of a
small scalar language (loads, constants, loop variables, and one op per scalar operation),
which the LLVM and CUDA renderers each turn into code through one table of ops.
"""
from __future__ import annotations

import hashlib
import operator
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..trace.graph import postorder

I64 = np.dtype(np.int64)

_interned: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


class Expr:
    """A scalar expression; equal expressions are the same object."""

    __slots__ = ("op", "dtype", "args", "attr", "__weakref__")

    op: str
    dtype: np.dtype
    args: tuple[Expr, ...]
    attr: Any

    @staticmethod
    def make(op: str, dtype: np.dtype, args: tuple[Expr, ...] = (), attr: Any = None) -> Expr:
        key = (op, dtype, tuple(id(a) for a in args), attr)
        e = _interned.get(key)
        if e is None:
            e = object.__new__(Expr)
            e.op, e.dtype, e.args, e.attr = op, np.dtype(dtype), args, attr
            _interned[key] = e
        return e

    def __repr__(self) -> str:
        return f"Expr({self.op}, {self.dtype}, attr={self.attr!r})"


def loop_var(j: int) -> Expr:
    return Expr.make("var", I64, (), j)


def iconst(v: int) -> Expr:
    return Expr.make("const", I64, (), int(v))


def fconst(v: Any, dtype: np.dtype) -> Expr:
    """A literal of `dtype`; the attr keeps its exact bits so NaN and -0.0 survive keys."""
    arr = np.asarray(v, dtype=dtype)
    return Expr.make("const", dtype, (), (arr.tobytes(), arr.item()))


def const_python_value(e: Expr) -> Any:
    """The Python value of a `const` expr."""
    # iconst keeps a plain int; fconst (any dtype, int64 literals of the graph included)
    # keeps (bytes, value)
    return e.attr[1] if isinstance(e.attr, tuple) else e.attr


_dtype_texts: dict[np.dtype, str] = {}


def _dtype_text(dtype: np.dtype) -> str:
    """str(dtype), remembered (NumPy takes microseconds to spell a dtype)."""
    text = _dtype_texts.get(dtype)
    if text is None:
        text = _dtype_texts[dtype] = str(dtype)
    return text


@dataclass(frozen=True)
class Store:
    """Write `value` to output buffer `slot` at element offset `offset`."""

    slot: int
    offset: Expr
    value: Expr


@dataclass(frozen=True)
class Reduction:
    """Combine `value` over the reduction variables with `op` into `init`-started accumulators.

    `op` is sum, prod, max, min, argmax or argmin. With `in_register` the reduction
    variables are innermost and the accumulator lives in a register; otherwise each
    output element accumulates in memory (loops keep the input's memory order).
    """

    op: str
    value: Expr
    in_register: bool


#: Reduction primitives and the `Reduction.op` each becomes.
REDUCE_OPS = {"reduce_sum": "sum", "reduce_prod": "prod", "reduce_max": "max",
              "reduce_min": "min", "argmax": "argmax", "argmin": "argmin"}


@dataclass(frozen=True)
class Kernel:
    name: str
    dims: tuple[int, ...]
    reduce_vars: tuple[bool, ...]
    split: int | None
    buffers: tuple[np.dtype, ...]  # dtype of each buffer slot (inputs first, then outputs)
    n_inputs: int
    stores: tuple[Store, ...]
    reduction: Reduction | None = None
    #: Loop extents read at run time (i64 expressions, loads from a parameter buffer), for
    #: a kernel that serves every shape; `dims` then only give the nest's depth (CPU only).
    extents: tuple[Expr, ...] | None = None

    @property
    def split_extent(self) -> int:
        return self.dims[self.split] if self.split is not None else 1

    def key_text(self) -> str:
        """A canonical text of everything that determines the generated code."""
        lines = [f"dims {self.dims} reduce {self.reduce_vars} split {self.split}",
                 f"buffers {[str(b) for b in self.buffers]} inputs {self.n_inputs}"]
        numbering: dict[int, int] = {}

        def visit(root: Expr) -> int:
            """Number `root` and the expressions under it not numbered yet, arguments
            first, each listed once."""
            for e in postorder([root], lambda e: () if id(e) in numbering else e.args):
                if id(e) not in numbering:
                    args = [numbering[id(a)] for a in e.args]
                    numbering[id(e)] = len(numbering)
                    lines.append(f"%{numbering[id(e)]} = {e.op} {_dtype_text(e.dtype)} "
                                 f"{args} {e.attr!r}")
            return numbering[id(root)]

        for s in self.stores:
            lines.append(f"store {s.slot} at %{visit(s.offset)} = %{visit(s.value)}")
        if self.reduction is not None:
            r = self.reduction
            lines.append(f"reduce {r.op} %{visit(r.value)} register={r.in_register}")
        if self.extents is not None:
            lines.append(f"extents {[f'%{visit(e)}' for e in self.extents]}")
        return "\n".join(lines)

    def key(self) -> str:
        return hashlib.blake2b(self.key_text().encode(), digest_size=20).hexdigest()


@dataclass(frozen=True)
class KernelChain:
    """Kernels that run one after another for each index of their common split loop.

    Every member splits loop 0 over the same extent; the chain's function loops over that
    extent once and runs each member's inner loops for the current index (see `chain.py`).
    `slots[m][k]` is the chain buffer behind slot k of member m: the chain takes
    `buffers` as arguments, and buffers from `len(buffers)` on are scratch arrays on the
    stack, `scratch[s]` = (dtype, elements), indexed by the member's inner loops alone.
    """

    name: str
    kernels: tuple[Kernel, ...]
    slots: tuple[tuple[int, ...], ...]
    buffers: tuple[np.dtype, ...]
    scratch: tuple[tuple[np.dtype, int], ...]
    #: (chain buffer, elements per row c, first and last element read of a row) of the
    #: inputs read row-locally: while row i runs, elements c*(i+1) + [first, last] of
    #: each are prefetched, so their memory latency overlaps the computing
    prefetch: tuple[tuple[int, int, int, int], ...] = ()

    @property
    def split_extent(self) -> int:
        return self.kernels[0].split_extent

    def key_text(self) -> str:
        parts = [f"chain buffers {[str(b) for b in self.buffers]} "
                 f"scratch {[(str(d), n) for d, n in self.scratch]} prefetch {self.prefetch}"]
        for k, slots in zip(self.kernels, self.slots):
            parts.append(f"member slots {slots}\n{k.key_text()}")
        return "\n".join(parts)


def walk(roots: list[Expr]) -> list[Expr]:
    """Every expression under `roots`, arguments before users."""
    return postorder(roots, _args)


_args = operator.attrgetter("args")


def rewrite(e: Expr, fn: Callable[[Expr], Expr | None], memo: dict[int, Expr]) -> Expr:
    """`e` with every subexpression `x` for which `fn(x)` is not None replaced by it (whose
    arguments are then not visited). Iterative, arguments before users: `memo` holds what
    each expression became."""
    stack: list[tuple[Expr, bool]] = [(e, False)]
    while stack:
        x, args_done = stack.pop()
        if id(x) in memo:
            continue
        if not args_done:
            out = fn(x)
            if out is not None:
                memo[id(x)] = out
                continue
            stack.append((x, True))
            stack.extend((a, False) for a in reversed(x.args) if id(a) not in memo)
            continue
        args = tuple(memo[id(a)] for a in x.args)
        memo[id(x)] = x if all(a is b for a, b in zip(args, x.args)) else Expr.make(
            x.op, x.dtype, args, x.attr)
    return memo[id(e)]
