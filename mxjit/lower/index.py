"""Index arithmetic inside kernels: affine forms over loop variables with exact simplification.

Movement ops map an output index to an input index. Keeping those maps as affine forms
(sum of coefficient x atom, plus a constant) lets reshape's div/mod cancel against the
loop nest (so a reshape of a contiguous array costs nothing) and lets adjacent loops merge.
Atoms are loop variables, floor-div and mod of a form by a constant, clamps and values read
from data; each has a known range, and the simplifier uses ranges to drop div/mod.
"""
from __future__ import annotations

import hashlib
import math

from ..trace.graph import postorder
from .kernel import I64, Expr, iconst, loop_var

# ('v', j) | ('div', Lin, c) | ('mod', Lin, c) | ('clamp', Lin, lo, hi) | ('data', Expr)
Atom = tuple
#: Longest text a form is known by (`Lin.key`); a longer one is known by a digest of it.
KEY_TEXT = 400


class Lin:
    """sum(coef * atom) + const, with terms in a canonical order."""

    __slots__ = ("terms", "const", "key", "_hash", "_range")

    def __init__(self, terms: dict[Atom, int], const: int = 0):
        items = [(a, c) for a, c in terms.items() if c != 0]
        self.terms: tuple[tuple[Atom, int], ...] = tuple(sorted(items, key=_atom_order))
        self.const = int(const)
        self._hash = hash((self.terms, self.const))
        # Its printed form, built from the keys of the forms nested in its atoms: a form
        # that nests others twice (the div and mod of a reshape) would otherwise print, and
        # sort, in time exponential in the depth of nesting.
        text = " + ".join([f"{c}*{_atom_text(a)}" for a, c in self.terms] + [str(self.const)])
        self.key = text if len(text) <= KEY_TEXT else (
            "#" + hashlib.blake2b(text.encode(), digest_size=16).hexdigest())
        self._range: tuple[dict[int, int], tuple[float, float]] | None = None  # (dims, range)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        """Structural equality, iteratively (forms nest as deep as a kernel's movements),
        each pair of nested forms compared once (a form nests its operand twice)."""
        if not isinstance(other, Lin):
            return False
        pairs = [(self, other)]
        compared: set[tuple[int, int]] = set()
        while pairs:
            a, b = pairs.pop()
            if a is b or (id(a), id(b)) in compared:
                continue
            compared.add((id(a), id(b)))
            if a._hash != b._hash or a.const != b.const or len(a.terms) != len(b.terms):
                return False
            for (x, c), (y, d) in zip(a.terms, b.terms):
                if c != d or len(x) != len(y):
                    return False
                for u, v in zip(x, y):
                    if isinstance(u, Lin) and isinstance(v, Lin):
                        pairs.append((u, v))
                    elif u is not v and (isinstance(u, Lin) or isinstance(v, Lin) or u != v):
                        return False
        return True

    def __repr__(self) -> str:
        return self.key

    def as_dict(self) -> dict[Atom, int]:
        return dict(self.terms)


def _atom_text(a: Atom) -> str:
    if a[0] == "v":
        return f"v{a[1]}"
    return f"{a[0]}({', '.join(x.key if isinstance(x, Lin) else repr(x) for x in a[1:])})"


def _atom_order(item: tuple[Atom, int]) -> tuple:
    a = item[0]
    return (0, a[1]) if a[0] == "v" else (1, _atom_text(a))


def _nested(x: Lin) -> list[Lin]:
    """The forms inside the atoms of `x` (of div, mod and clamp)."""
    return [a[1] for a, _ in x.terms if a[0] in ("div", "mod", "clamp")]


def var(j: int) -> Lin:
    return Lin({("v", j): 1})


def num(c: int) -> Lin:
    return Lin({}, c)


def add(a: Lin, b: Lin) -> Lin:
    """a + b, with k*c*div(X, c) + k*mod(X, c) folded back into k*X (merged loops, reshape
    round trips) for as long as such a pair is left."""
    while True:
        terms = a.as_dict()
        for atom, c in b.terms:
            terms[atom] = terms.get(atom, 0) + c
        x = Lin(terms, a.const + b.const)
        pair = _mod_div_pair(x)
        if pair is None:
            return x
        mod_atom, div_atom, k = pair
        rest = x.as_dict()
        del rest[mod_atom], rest[div_atom]
        a, b = Lin(rest, x.const), scale(mod_atom[1], k)


def scale(a: Lin, k: int) -> Lin:
    return Lin({atom: c * k for atom, c in a.terms}, a.const * k)


def _mod_div_pair(x: Lin) -> tuple[Atom, Atom, int] | None:
    """(mod(X, c), div(X, c), k) when `x` holds k*mod(X, c) and k*c*div(X, c)."""
    terms = x.as_dict()
    for atom, k in x.terms:
        if atom[0] == "mod":
            partner = _div_atom(atom[1], atom[2])
            if terms.get(partner) == k * atom[2]:
                return atom, partner, k
    return None


def _single_div(x: Lin) -> Atom | None:
    """The atom of `x` when `x` is exactly one div atom (coefficient 1, no constant)."""
    if x.const == 0 and len(x.terms) == 1 and x.terms[0][1] == 1 and x.terms[0][0][0] == "div":
        return x.terms[0][0]
    return None


def _div_atom(x: Lin, c: int) -> Atom:
    """The canonical atom of floor(x / c): floor(floor(y / a) / c) is floor(y / (a*c))."""
    inner = _single_div(x)
    if inner is not None:
        return ("div", inner[1], inner[2] * c)
    return ("div", x, c)


def value_range(x: Lin, dims: dict[int, int]) -> tuple[float, float]:
    """Bounds (inclusive) of `x` given the loop extents `dims`; infinite when unknown.

    Each form remembers its bounds for the last `dims` object it was asked with (an
    emitter's, which never changes), so forms nested in forms are bounded once."""
    for form in postorder([x], lambda f: () if _known_range(f, dims) else _nested(f)):
        if _known_range(form, dims):
            continue
        lo = hi = float(form.const)
        for atom, c in form.terms:
            a_lo, a_hi = _atom_range(atom, dims)
            lo += min(c * a_lo, c * a_hi)
            hi += max(c * a_lo, c * a_hi)
        form._range = (dims, (lo, hi))
    return x._range[1]  # type: ignore[index]


def _known_range(form: Lin, dims: dict[int, int]) -> bool:
    return form._range is not None and form._range[0] is dims


def _atom_range(a: Atom, dims: dict[int, int]) -> tuple[float, float]:
    kind = a[0]
    if kind == "v":
        return 0.0, float(dims[a[1]] - 1)
    if kind == "div":
        lo, hi = a[1]._range[1]  # (bounded first, by value_range)
        return lo // a[2], hi // a[2]
    if kind == "mod":
        return 0.0, float(a[2] - 1)
    if kind == "clamp":
        return float(a[2]), float(a[3])
    return float("-inf"), float("inf")


def floordiv(x: Lin, c: int, dims: dict[int, int]) -> Lin:
    """floor(x / c) for c > 0 and x >= 0."""
    if c == 1:
        return x
    exact = {a: k // c for a, k in x.terms if k % c == 0}
    rest = Lin({a: k for a, k in x.terms if k % c != 0}, x.const % c)
    base = Lin(exact, x.const // c)
    lo, hi = value_range(rest, dims)
    if 0 <= lo and hi < c:
        return base
    split = _split(x, c, dims)
    if split is not None:
        coarse, _, d = split
        return floordiv(coarse, c // d, dims)
    if lo < 0:  # keep div/mod operands non-negative, so renderers may use unsigned division
        return Lin({_div_atom(x, c): 1})
    return add(base, Lin({_div_atom(rest, c): 1}))


def mod(x: Lin, c: int, dims: dict[int, int]) -> Lin:
    """x mod c for c > 0 and x >= 0."""
    if c == 1:
        return num(0)
    rest = Lin({a: k for a, k in x.terms if k % c != 0}, x.const % c)
    lo, hi = value_range(rest, dims)
    if 0 <= lo and hi < c:
        return rest
    split = _split(x, c, dims)
    if split is not None:
        coarse, fine, d = split
        return add(scale(mod(coarse, c // d, dims), d), fine)
    return Lin({("mod", x if lo < 0 else rest, c): 1})


def _split(x: Lin, c: int, dims: dict[int, int]) -> tuple[Lin, Lin, int] | None:
    """(A, r, d) with x = d*A + r, 0 <= r < d and d a proper divisor of c, d as large as
    such a split allows; then floor(x / c) = floor(A / (c/d)) and x mod c = d*(A mod c/d) + r.

    A window read through a reshape divides `12*y + x + 144*k` by 288: with 12*y + x in
    [0, 144) that is k // 2, a division of the window loop alone, which unrolls away."""
    for d in sorted({math.gcd(c, k) for _, k in x.terms} - {1, c}, reverse=True):
        fine = Lin({a: k for a, k in x.terms if k % d}, x.const % d)
        lo, hi = value_range(fine, dims)
        if 0 <= lo and hi < d:
            return Lin({a: k // d for a, k in x.terms if k % d == 0}, x.const // d), fine, d
    return None


def clamp(x: Lin, lo: int, hi: int, dims: dict[int, int]) -> Lin:
    x_lo, x_hi = value_range(x, dims)
    if lo <= x_lo and x_hi <= hi:
        return x
    return Lin({("clamp", x, lo, hi): 1})


def data(e: Expr) -> Lin:
    """An index read from memory (take/gather); its range is unknown until clamped."""
    return Lin({("data", e): 1})


def to_expr(x: Lin) -> Expr:
    """The i64 scalar expression computing `x`."""
    exprs: dict[int, Expr] = {}  # of x and the forms nested in it
    for form in postorder([x], _nested):
        total: Expr | None = None
        for atom, c in form.terms:
            term = _atom_expr(atom, exprs)
            if c != 1:
                term = Expr.make("mul", I64, (term, iconst(c)))
            total = term if total is None else Expr.make("add", I64, (total, term))
        if total is None:
            total = iconst(form.const)
        elif form.const != 0:
            total = Expr.make("add", I64, (total, iconst(form.const)))
        exprs[id(form)] = total
    return exprs[id(x)]


def _atom_expr(a: Atom, exprs: dict[int, Expr]) -> Expr:
    kind = a[0]
    if kind == "v":
        return loop_var(a[1])
    if kind in ("div", "mod"):
        return Expr.make("floordiv" if kind == "div" else "mod", I64,
                         (exprs[id(a[1])], iconst(a[2])))
    if kind == "clamp":
        inner = Expr.make("maximum", I64, (exprs[id(a[1])], iconst(a[2])))
        return Expr.make("minimum", I64, (inner, iconst(a[3])))
    e = a[1]
    return e if e.dtype == I64 else Expr.make("cast", I64, (e,))
