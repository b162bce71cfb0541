"""Index arithmetic: div and mod of affine forms simplify exactly, never to a wrong index."""
from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from mxjit.lower import index as ix


def _value(form: ix.Lin, point: dict[int, int]) -> int:
    """What `form` computes at the loop indices `point` (Python's floor semantics)."""
    total = form.const
    for atom, c in form.terms:
        kind = atom[0]
        if kind == "v":
            v = point[atom[1]]
        elif kind == "div":
            v = _value(atom[1], point) // atom[2]
        elif kind == "mod":
            v = _value(atom[1], point) % atom[2]
        else:
            raise AssertionError(f"unexpected atom {atom}")
        total += c * v
    return total


def _atoms(form: ix.Lin) -> list[tuple]:
    return [a for a, _ in form.terms]


def test_a_window_read_through_a_reshape_divides_the_window_loop_alone():
    # pooling's 2x2 window k over a (12, 12) tile flattened: (12*y + x + 144*k) // 288 == k // 2
    dims = {0: 12, 1: 12, 2: 4}
    flat = ix.add(ix.add(ix.scale(ix.var(0), 12), ix.var(1)), ix.scale(ix.var(2), 144))
    q, r = ix.floordiv(flat, 288, dims), ix.mod(flat, 288, dims)
    assert _atoms(q) == [("div", ix.var(2), 2)]
    assert ("mod", ix.var(2), 2) in _atoms(r) and ("v", 0) in _atoms(r)
    for y, x, k in itertools.product(range(12), range(12), range(4)):
        point = {0: y, 1: x, 2: k}
        assert _value(q, point) == (12 * y + x + 144 * k) // 288
        assert _value(r, point) == (12 * y + x + 144 * k) % 288


@st.composite
def _forms(draw: st.DrawFn) -> tuple[ix.Lin, dict[int, int]]:
    n = draw(st.integers(1, 3))
    dims = {j: draw(st.integers(1, 7)) for j in range(n)}
    form = ix.num(draw(st.integers(0, 50)))
    for j in range(n):
        form = ix.add(form, ix.scale(ix.var(j), draw(st.sampled_from([1, 2, 3, 4, 6, 8, 12, 24]))))
    return form, dims


@given(_forms(), st.sampled_from([2, 3, 4, 6, 8, 12, 16, 24, 48]))
@settings(max_examples=200, deadline=None)
def test_div_and_mod_of_a_form_agree_with_integer_arithmetic(case, c):
    form, dims = case
    q, r = ix.floordiv(form, c, dims), ix.mod(form, c, dims)
    for values in itertools.product(*(range(dims[j]) for j in sorted(dims))):
        point = dict(enumerate(values))
        x = _value(form, point)
        assert (_value(q, point), _value(r, point)) == (x // c, x % c), (form, c, point)
