"""Index arithmetic inside kernels: affine forms over loop variables with exact simplification.

Movement ops map an output index to an input index. Keeping those maps as affine forms
(sum of coefficient x atom, plus a constant) lets reshape's div/mod cancel against the
loop nest (so a reshape of a contiguous array costs nothing) and lets adjacent loops merge.
Atoms are loop variables, floor-div and mod of a form by a constant, clamps and values read
from data; each has a known range, and the simplifier uses ranges to drop div/mod.
"""
from __future__ import annotations

from .kernel import I64, Expr, iconst, loop_var

# ('v', j) | ('div', Lin, c) | ('mod', Lin, c) | ('clamp', Lin, lo, hi) | ('data', Expr)
Atom = tuple


class Lin:
    """sum(coef * atom) + const, with terms in a canonical order."""

    __slots__ = ("terms", "const", "_hash")

    def __init__(self, terms: dict[Atom, int], const: int = 0):
        items = [(a, c) for a, c in terms.items() if c != 0]
        self.terms: tuple[tuple[Atom, int], ...] = tuple(sorted(items, key=_atom_order))
        self.const = int(const)
        self._hash = hash((self.terms, self.const))

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Lin) and (self.terms, self.const) == (other.terms, other.const)

    def __repr__(self) -> str:
        parts = [f"{c}*{_atom_repr(a)}" for a, c in self.terms] + [str(self.const)]
        return " + ".join(parts)

    def as_dict(self) -> dict[Atom, int]:
        return dict(self.terms)


def _atom_repr(a: Atom) -> str:
    return f"v{a[1]}" if a[0] == "v" else f"{a[0]}({', '.join(map(repr, a[1:]))})"


def _atom_order(item: tuple[Atom, int]) -> tuple:
    a = item[0]
    return (0, a[1]) if a[0] == "v" else (1, repr(a))


def var(j: int) -> Lin:
    return Lin({("v", j): 1})


def num(c: int) -> Lin:
    return Lin({}, c)


def add(a: Lin, b: Lin) -> Lin:
    terms = a.as_dict()
    for atom, c in b.terms:
        terms[atom] = terms.get(atom, 0) + c
    return _recombine(Lin(terms, a.const + b.const))


def scale(a: Lin, k: int) -> Lin:
    return Lin({atom: c * k for atom, c in a.terms}, a.const * k)


def _recombine(x: Lin) -> Lin:
    """Fold k*c*div(X, c) + k*mod(X, c) back into k*X (merged loops, reshape round trips)."""
    terms = x.as_dict()
    for atom, k in list(terms.items()):
        if atom[0] != "mod" or atom not in terms:
            continue
        partner = _div_atom(atom[1], atom[2])
        if terms.get(partner) == k * atom[2]:
            del terms[atom], terms[partner]
            return add(Lin(terms, x.const), scale(atom[1], k))
    return x


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
    """Bounds (inclusive) of `x` given the loop extents `dims`; infinite when unknown."""
    lo = hi = float(x.const)
    for atom, c in x.terms:
        a_lo, a_hi = _atom_range(atom, dims)
        lo += min(c * a_lo, c * a_hi)
        hi += max(c * a_lo, c * a_hi)
    return lo, hi


def _atom_range(a: Atom, dims: dict[int, int]) -> tuple[float, float]:
    kind = a[0]
    if kind == "v":
        return 0.0, float(dims[a[1]] - 1)
    if kind == "div":
        lo, hi = value_range(a[1], dims)
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
    return Lin({("mod", x if lo < 0 else rest, c): 1})


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
    total: Expr | None = None
    for atom, c in x.terms:
        term = _atom_expr(atom)
        if c != 1:
            term = Expr.make("mul", I64, (term, iconst(c)))
        total = term if total is None else Expr.make("add", I64, (total, term))
    if total is None:
        return iconst(x.const)
    return total if x.const == 0 else Expr.make("add", I64, (total, iconst(x.const)))


def _atom_expr(a: Atom) -> Expr:
    kind = a[0]
    if kind == "v":
        return loop_var(a[1])
    if kind in ("div", "mod"):
        return Expr.make("floordiv" if kind == "div" else "mod", I64, (to_expr(a[1]), iconst(a[2])))
    if kind == "clamp":
        inner = Expr.make("maximum", I64, (to_expr(a[1]), iconst(a[2])))
        return Expr.make("minimum", I64, (inner, iconst(a[3])))
    e = a[1]
    return e if e.dtype == I64 else Expr.make("cast", I64, (e,))
