"""Every primitive's record is complete: a gradient rule (or a declaration that it has
none), and a rendering in each backend's table for its kind."""
from __future__ import annotations

import numpy as np
import pytest

import mxjit  # noqa: F401  (defines every primitive: trace, kernels, autograd.Function)
from mxjit.base import ParamError
from mxjit.lower.cuda import CUDA_OPS
from mxjit.lower.emit import EMIT_RULES
from mxjit.lower.kernel import REDUCE_OPS
from mxjit.lower.llvm import SCALAR_OPS
from mxjit.lower.program import LIBRARY
from mxjit.trace import PRIMITIVES, AbstractValue, define_primitive

#: Elementwise primitives that lower to index maps (their operand) rather than scalar ops.
_EMITTED = {name for name in EMIT_RULES if PRIMITIVES[name].kind == "elementwise"}


def _records():
    return sorted(PRIMITIVES.items())


@pytest.mark.parametrize("name,prim", _records())
def test_every_primitive_has_a_gradient_rule_or_says_it_has_none(name, prim):
    assert (prim.vjp is not None) != (not prim.differentiable), name


@pytest.mark.parametrize("name,prim", _records())
def test_every_primitive_renders_on_the_cpu_and_on_cuda(name, prim):
    if prim.kind == "elementwise":
        if name in _EMITTED:
            return  # an index map over its operand: nothing to render
        assert name in SCALAR_OPS, f"{name}: no LLVM rendering"
        assert name in CUDA_OPS, f"{name}: no CUDA rendering"
    elif prim.kind in ("movement", "index", "leaf", "random"):
        assert name in EMIT_RULES, f"{name}: no index-map rule (lower/emit.py)"
    elif prim.kind == "reduce":
        assert name in REDUCE_OPS, f"{name}: no reduction in the kernel description"
    else:  # library calls: a CPU implementation; CUDA runs cuBLAS or the same on the host
        assert prim.kind in ("contraction", "opaque")
        assert callable(LIBRARY.get(name, prim.numpy_impl))


def test_the_backend_tables_name_only_primitives_or_kernel_scalar_ops():
    kernel_only = {"philox", "floordiv"}  # scalar ops the index algebra and RNG emit
    for table in (SCALAR_OPS, CUDA_OPS, EMIT_RULES):
        assert set(table) - set(PRIMITIVES) <= kernel_only


def test_flags_fit_the_kinds():
    for name, prim in PRIMITIVES.items():
        if prim.view:
            assert prim.kind == "movement", name
        if prim.identity:
            assert prim.kind == "elementwise" and name in EMIT_RULES, name
        if prim.expensive:
            assert prim.kind == "elementwise", name


def test_a_primitive_needs_a_gradient_rule_or_a_declaration():
    rule = lambda x: x  # noqa: E731
    with pytest.raises(ParamError, match="needs a vjp rule or differentiable=False"):
        define_primitive("_test_no_rule", "opaque", rule, np.asarray)
    with pytest.raises(ParamError, match="already defined"):
        define_primitive("exp", "elementwise", rule, np.exp, differentiable=False)
    with pytest.raises(ParamError, match="unknown kind"):
        define_primitive("_test_kind", "magic", rule, np.asarray, differentiable=False)
    assert "_test_no_rule" not in PRIMITIVES
    assert PRIMITIVES["exp"].shape_rule(AbstractValue((2,), np.dtype("float32"))).shape == (2,)
