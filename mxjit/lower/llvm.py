"""Kernel -> LLVM IR (llvmlite) -> machine code for the host CPU.

`render_llvm` turns a `Kernel` into IR text: a loop nest over `dims` whose body evaluates
the kernel's scalar expressions through `SCALAR_OPS`, one rendering per op.
Transcendentals come from `llvm_math` as inline, vectorisable polynomials. `emit_object`
optimises at O3 for the host CPU and emits an object file (what the disk cache stores);
`load_object` loads one into an MCJIT engine of its own, freed with the last function
object that calls into it.
"""
from __future__ import annotations

import ctypes
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import llvmlite
import llvmlite.binding as llvm
import numpy as np
from llvmlite import ir
from llvmlite.binding import ffi

from ..base import MXNetError
from ..context import process_lock
from ..trace import conversion_bits
from .kernel import I64, Expr, Kernel, KernelChain, const_python_value, walk
from .llvm_math import BINARY_MATH, emit_binary_math, emit_unary_math

i1, i8, i32, i64 = ir.IntType(1), ir.IntType(8), ir.IntType(32), ir.IntType(64)
f16, f32, f64 = ir.HalfType(), ir.FloatType(), ir.DoubleType()
ptr = ir.PointerType()

STORAGE = {"float16": f16, "float32": f32, "float64": f64, "int8": i8, "uint8": i8,
           "int32": i32, "uint32": i32, "int64": i64, "bool": i8}
COMPUTE = {**STORAGE, "float16": f32, "bool": i1}
#: fast-math flags on every float op: contraction to FMA only, so NaN/inf stay exact.
FLAGS = ("contract",)
#: the accumulation of a float reduction may be reassociated, so it vectorises.
REDUCE_FLAGS = ("reassoc", "contract", "nsz")
#: The host CPU's name and LLVM feature string (asking LLVM costs ~0.3 ms each time).
HOST_CPU = (llvm.get_host_cpu_name(), llvm.get_host_cpu_features().flatten())
#: Bytes per cache line (x86-64 and AArch64 servers): the stride of row prefetches.
CACHE_LINE = 64
VECTOR_WIDTH_ATTR = ('"prefer-vector-width"="512" '
                     if "+avx512f" in HOST_CPU[1].split(",") else "")


def compute_type(dtype: np.dtype) -> ir.Type:
    return COMPUTE[dtype.name]


def _signed(dtype: np.dtype) -> bool:
    return dtype.kind == "i"


def _intrinsic(b: ir.IRBuilder, name: str, ty: ir.Type, nargs: int) -> ir.Function:
    suffix = {f32: "f32", f64: "f64"}.get(ty) or f"i{ty.width}"
    full = f"llvm.{name}.{suffix}"
    fn = b.module.globals.get(full)
    if fn is None:
        fn = ir.Function(b.module, ir.FunctionType(ty, [ty] * nargs), name=full)
    return fn


def call_intrinsic(b: ir.IRBuilder, name: str, *args: ir.Value) -> ir.Value:
    return b.call(_intrinsic(b, name, args[0].type, len(args)), list(args))


# ---- scalar ops: one rendering each ------------------------------------------------------

Render = Callable[[ir.IRBuilder, Expr, list[ir.Value]], ir.Value]


def _arith(fop: str, iop: str) -> Render:
    def render(b: ir.IRBuilder, e: Expr, a: list[ir.Value]) -> ir.Value:
        if e.dtype.kind == "f":
            return getattr(b, fop)(a[0], a[1], flags=FLAGS)
        return getattr(b, iop)(a[0], a[1])

    return render


def _div(b: ir.IRBuilder, e: Expr, a: list[ir.Value]) -> ir.Value:
    x, y = a
    if e.dtype.kind == "f":
        return b.fdiv(x, y, flags=FLAGS)
    ty = x.type
    zero, one = ir.Constant(ty, 0), ir.Constant(ty, 1)
    is_zero = b.icmp_unsigned("==", y, zero)
    if not _signed(e.dtype):
        return b.select(is_zero, zero, b.udiv(x, b.select(is_zero, one, y)))
    # x / 0 -> 0 and INT_MIN / -1 -> INT_MIN instead of a SIGFPE.
    minus_one = b.icmp_signed("==", y, ir.Constant(ty, -1))
    safe = b.select(b.or_(is_zero, minus_one), one, y)
    q = b.sdiv(x, safe)
    q = b.select(minus_one, b.sub(zero, x), q)
    return b.select(is_zero, zero, q)


def _floordiv(b: ir.IRBuilder, e: Expr, a: list[ir.Value]) -> ir.Value:
    x, y = a
    q = _div(b, e, a)
    if not _signed(e.dtype):
        return q
    r = b.sub(x, b.mul(q, y))
    zero = ir.Constant(x.type, 0)
    adjust = b.and_(b.icmp_signed("!=", r, zero),
                    b.icmp_signed("!=", b.icmp_signed("<", r, zero), b.icmp_signed("<", y, zero)))
    return b.sub(q, b.zext(adjust, x.type))


def _mod(b: ir.IRBuilder, e: Expr, a: list[ir.Value]) -> ir.Value:
    x, y = a
    if e.dtype.kind == "f":
        r = b.frem(x, y)
        zero = ir.Constant(x.type, 0.0)
        fix = b.and_(b.fcmp_ordered("!=", r, zero),
                     b.xor(b.fcmp_ordered("<", r, zero), b.fcmp_ordered("<", y, zero)))
        # a zero remainder takes the divisor's sign, as in NumPy
        signed_zero = call_intrinsic(b, "copysign", zero, y)
        r = b.select(b.fcmp_ordered("==", r, zero), signed_zero, r)
        return b.select(fix, b.fadd(r, y), r)
    zero = ir.Constant(x.type, 0)
    q = _floordiv(b, e, a)
    r = b.sub(x, b.mul(q, y))
    return b.select(b.icmp_unsigned("==", y, zero), zero, r)


def _minmax(fname: str, pred: str) -> Render:
    def render(b: ir.IRBuilder, e: Expr, a: list[ir.Value]) -> ir.Value:
        if e.dtype.kind == "f":
            return _float_minmax(b, fname, a[0], a[1])
        cmp = b.icmp_signed if _signed(e.dtype) or e.dtype == I64 else b.icmp_unsigned
        return b.select(cmp(pred, a[0], a[1]), a[0], a[1])

    return render


def _float_minmax(b: ir.IRBuilder, fname: str, x: ir.Value, y: ir.Value) -> ir.Value:
    """`llvm.maximum`/`llvm.minimum` (NaN propagates, -0 < +0) as float compares and
    selects. x86 lowers the scalar intrinsic with a branch on an operand's sign bit, which
    random signs mispredict: a relu'd 2x2 max-pool ran 2.4 ms over (64, 16, 28, 28) of
    normal data against 0.36 over zeros. Selects on float compares become blends."""
    big = fname == "maximum"
    r = b.select(b.fcmp_ordered(">" if big else "<", x, y), x, y)
    bits = i64 if isinstance(x.type, ir.DoubleType) else i32
    ix, iy = b.bitcast(x, bits), b.bitcast(y, bits)
    # equal operands differ at most in the sign of a zero: +0 & -0 is +0, +0 | -0 is -0
    tied = b.bitcast(b.and_(ix, iy) if big else b.or_(ix, iy), x.type)
    r = b.select(b.fcmp_ordered("==", x, y), tied, r)
    # (a NaN as the sum, not as the operand: a select that keeps a reduction's loaded
    # accumulator became a masked store, microcoded on AMD: a column max ran 2x slower)
    return b.select(b.fcmp_unordered("uno", x, y), b.fadd(x, y), r)


def _neg(b: ir.IRBuilder, e: Expr, a: list[ir.Value]) -> ir.Value:
    return b.fneg(a[0]) if e.dtype.kind == "f" else b.neg(a[0])


def _abs(b: ir.IRBuilder, e: Expr, a: list[ir.Value]) -> ir.Value:
    if e.dtype.kind == "f":
        return call_intrinsic(b, "fabs", a[0])
    if not _signed(e.dtype):
        return a[0]
    return b.select(b.icmp_signed("<", a[0], ir.Constant(a[0].type, 0)), b.neg(a[0]), a[0])


def _sign(b: ir.IRBuilder, e: Expr, a: list[ir.Value]) -> ir.Value:
    x, ty = a[0], a[0].type
    if e.dtype.kind == "f":
        zero = ir.Constant(ty, 0.0)
        # ±0 gives +0 (NumPy's and MXNet's sign), NaN stays NaN
        rest = b.select(b.fcmp_ordered("==", x, zero), zero, x)
        pos = b.select(b.fcmp_ordered(">", x, zero), ir.Constant(ty, 1.0), rest)
        return b.select(b.fcmp_ordered("<", x, ir.Constant(ty, 0.0)), ir.Constant(ty, -1.0), pos)
    zero = ir.Constant(ty, 0)
    gt = b.zext(b.icmp_signed(">", x, zero) if _signed(e.dtype) else
                b.icmp_unsigned("!=", x, zero), ty)
    lt = b.zext(b.icmp_signed("<", x, zero), ty) if _signed(e.dtype) else zero
    return b.sub(gt, lt)


def _float_intrinsic(name: str) -> Render:
    def render(b: ir.IRBuilder, e: Expr, a: list[ir.Value]) -> ir.Value:
        return call_intrinsic(b, name, a[0])

    return render


def _rsqrt(b: ir.IRBuilder, e: Expr, a: list[ir.Value]) -> ir.Value:
    return b.fdiv(ir.Constant(a[0].type, 1.0), call_intrinsic(b, "sqrt", a[0]), flags=FLAGS)


def _math(name: str) -> Render:
    def render(b: ir.IRBuilder, e: Expr, a: list[ir.Value]) -> ir.Value:
        if name in BINARY_MATH:
            return emit_binary_math(b, name, a[0], a[1])
        return emit_unary_math(b, name, a[0])

    return render


def _pow(b: ir.IRBuilder, e: Expr, a: list[ir.Value]) -> ir.Value:
    if e.dtype.kind == "f":
        return emit_binary_math(b, "pow", a[0], a[1])
    # Integer power by squaring over every exponent bit, branch-free; negative exponents -> 0.
    x, y = a
    ty = x.type
    result, base, exp = ir.Constant(ty, 1), x, y
    for _ in range(ty.width):
        bit = b.trunc(exp, i1)
        result = b.select(bit, b.mul(result, base), result)
        base = b.mul(base, base)
        exp = b.lshr(exp, ir.Constant(ty, 1))
    if _signed(e.dtype):
        negative = b.icmp_signed("<", y, ir.Constant(ty, 0))
        result = b.select(negative, ir.Constant(ty, 0), result)
    return result


_FCMP = {"eq": "==", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


def _compare(op: str) -> Render:
    sym = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}[op]

    def render(b: ir.IRBuilder, e: Expr, a: list[ir.Value]) -> ir.Value:
        operand = e.args[0].dtype
        if operand.kind == "f":
            if op == "ne":
                return b.fcmp_unordered("!=", a[0], a[1])
            return b.fcmp_ordered(sym, a[0], a[1])
        if operand.kind == "i" or operand == I64:
            return b.icmp_signed(sym, a[0], a[1])
        return b.icmp_unsigned(sym, a[0], a[1])

    return render


def _round_to_odd_f32(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    """double -> float rounded to odd, so a second rounding to half is correctly rounded
    (LLVM's direct double -> half is a libcall that a JIT cannot resolve)."""
    t = b.fptrunc(x, f32)
    back = b.fpext(t, f64)
    bits = b.bitcast(t, i32)
    even = b.icmp_unsigned("==", b.and_(bits, ir.Constant(i32, 1)), ir.Constant(i32, 0))
    inexact = b.fcmp_ordered("!=", back, x)
    away = b.fcmp_ordered(">", call_intrinsic(b, "fabs", back), call_intrinsic(b, "fabs", x))
    step = b.select(away, ir.Constant(i32, -1), ir.Constant(i32, 1))
    odd = b.add(bits, b.select(b.and_(even, inexact), step, ir.Constant(i32, 0)))
    return b.bitcast(odd, f32)


def _cast(b: ir.IRBuilder, e: Expr, a: list[ir.Value]) -> ir.Value:
    src, dst, x = e.args[0].dtype, e.dtype, a[0]
    to = compute_type(dst)
    if src.kind == "f":
        if dst.kind == "f":
            if x.type == to:
                return x
            if dst.name == "float16" and x.type == f64:
                return b.fpext(b.fptrunc(_round_to_odd_f32(b, x), f16), f32)
            return b.fpext(x, to) if to == f64 else b.fptrunc(x, to)
        if dst.kind == "b":
            return b.fcmp_unordered("!=", x, ir.Constant(x.type, 0.0))
        # x86's conversion (trace.dtypes.conversion_bits); fptosi never sees what it
        # cannot convert, since that would be poison.
        bits = conversion_bits(dst)
        wide, limit = ir.IntType(bits), 2.0 ** (bits - 1)
        fits = b.and_(b.fcmp_ordered(">=", x, ir.Constant(x.type, -limit)),
                      b.fcmp_ordered("<", x, ir.Constant(x.type, limit)))
        converted = b.fptosi(b.select(fits, x, ir.Constant(x.type, 0.0)), wide)
        v = b.select(fits, converted, ir.Constant(wide, -(1 << (bits - 1))))
        return v if to.width == bits else b.trunc(v, to)
    if src.kind == "b":
        return b.uitofp(x, to) if dst.kind == "f" else (x if dst.kind == "b" else b.zext(x, to))
    if dst.kind == "b":
        return b.icmp_unsigned("!=", x, ir.Constant(x.type, 0))
    signed = _signed(src) or src == I64
    if dst.kind == "f":
        return b.sitofp(x, to) if signed else b.uitofp(x, to)
    if to.width == x.type.width:
        return x
    if to.width < x.type.width:
        return b.trunc(x, to)
    return b.sext(x, to) if signed else b.zext(x, to)


def _logical(op: str) -> Render:
    def render(b: ir.IRBuilder, e: Expr, a: list[ir.Value]) -> ir.Value:
        return getattr(b, op)(a[0], a[1])

    return render


def _philox(b: ir.IRBuilder, e: Expr, a: list[ir.Value]) -> ir.Value:
    counter, k0, k1 = a
    c0 = b.trunc(counter, i32)
    c1 = b.trunc(b.lshr(counter, ir.Constant(i64, 32)), i32)
    c2 = c3 = ir.Constant(i32, 0)
    for _ in range(10):
        p0 = b.mul(b.zext(c0, i64), ir.Constant(i64, 0xD2511F53))
        p1 = b.mul(b.zext(c2, i64), ir.Constant(i64, 0xCD9E8D57))
        hi0 = b.trunc(b.lshr(p0, ir.Constant(i64, 32)), i32)
        hi1 = b.trunc(b.lshr(p1, ir.Constant(i64, 32)), i32)
        c0, c1, c2, c3 = (b.xor(b.xor(hi1, c1), k0), b.trunc(p1, i32),
                          b.xor(b.xor(hi0, c3), k1), b.trunc(p0, i32))
        k0 = b.add(k0, ir.Constant(i32, 0x9E3779B9))
        k1 = b.add(k1, ir.Constant(i32, 0xBB67AE85))
    return c0


SCALAR_OPS: dict[str, Render] = {
    "add": _arith("fadd", "add"), "sub": _arith("fsub", "sub"), "mul": _arith("fmul", "mul"),
    "div": _div, "floordiv": _floordiv, "mod": _mod, "pow": _pow,
    "maximum": _minmax("maximum", ">"), "minimum": _minmax("minimum", "<"),
    "neg": _neg, "abs": _abs, "sign": _sign,
    "sqrt": _float_intrinsic("sqrt"), "rsqrt": _rsqrt, "floor": _float_intrinsic("floor"),
    "ceil": _float_intrinsic("ceil"), "round": _float_intrinsic("round"),
    "trunc": _float_intrinsic("trunc"), "rint": _float_intrinsic("rint"),
    **{n: _math(n) for n in ("exp", "expm1", "log", "log1p", "sin", "cos", "tan", "tanh",
                             "sigmoid", "erf", "log2", "log10", "cbrt", "arcsin", "arccos",
                             "arctan", "sinh", "cosh", "arcsinh", "arccosh", "arctanh",
                             "erfinv", "gamma", "gammaln")},
    **{c: _compare(c) for c in ("eq", "ne", "lt", "le", "gt", "ge")},
    "logical_and": _logical("and_"), "logical_or": _logical("or_"),
    "logical_xor": _logical("xor"),
    "logical_not": lambda b, e, a: b.not_(a[0]),
    "bitwise_and": _logical("and_"), "bitwise_or": _logical("or_"),
    "bitwise_xor": _logical("xor"), "invert": lambda b, e, a: b.not_(a[0]),
    "isnan": lambda b, e, a: b.fcmp_unordered("uno", a[0], a[0]),
    "where": lambda b, e, a: b.select(a[0], a[1], a[2]),
    "cast": _cast, "philox": _philox,
}


def _constant(e: Expr) -> ir.Constant:
    value = const_python_value(e)
    ty = compute_type(e.dtype)
    if e.dtype.kind == "f":
        return ir.Constant(ty, float(value))
    if e.dtype.kind == "b":
        return ir.Constant(i1, int(bool(value)))
    return ir.Constant(ty, int(value))


# ---- the loop nest -----------------------------------------------------------------------


class _Body:
    """Renders expressions at one point of the loop nest (a fresh memo per loop body)."""

    def __init__(self, b: ir.IRBuilder, bufs: list[ir.Value], kernel: Kernel,
                 loop_vars: dict[int, ir.Value], acc: ir.Value | None = None):
        self.b, self.bufs, self.kernel, self.vars, self.acc = b, bufs, kernel, loop_vars, acc
        self.memo: dict[int, ir.Value] = {}

    def value(self, root: Expr) -> ir.Value:
        for e in walk([root]):
            if id(e) not in self.memo:
                self.memo[id(e)] = self._one(e)
        return self.memo[id(root)]

    def _one(self, e: Expr) -> ir.Value:
        if e.op == "const":
            return _constant(e)
        if e.op == "var":
            return self.vars[e.attr]
        if e.op == "acc":
            assert self.acc is not None
            return self.acc
        if e.op == "load":
            return self.load(e.attr, self.memo[id(e.args[0])])
        args = [self.memo[id(a)] for a in e.args]
        value = SCALAR_OPS[e.op](self.b, e, args)
        if e.dtype.name == "float16":  # computed in float32, rounded to half after every op
            value = self.b.fpext(self.b.fptrunc(value, f16), f32)
        return value

    def address(self, slot: int, offset: ir.Value) -> ir.Value:
        ty = STORAGE[self.kernel.buffers[slot].name]
        return self.b.gep(self.bufs[slot], [offset], source_etype=ty, inbounds=True)

    def load(self, slot: int, offset: ir.Value) -> ir.Value:
        dtype = self.kernel.buffers[slot]
        raw = self.b.load(self.address(slot, offset), typ=STORAGE[dtype.name])
        if dtype.name == "float16":
            return self.b.fpext(raw, f32)
        if dtype.name == "bool":
            return self.b.icmp_unsigned("!=", raw, ir.Constant(i8, 0))
        return raw

    def store(self, slot: int, offset: ir.Value, value: ir.Value) -> None:
        dtype = self.kernel.buffers[slot]
        if dtype.name == "float16":
            value = self.b.fptrunc(value, f16)
        elif dtype.name == "bool":
            value = self.b.zext(value, i8)
        self.b.store(value, self.address(slot, offset))


#: Loops of at least this many iterations (known when the kernel is built) are not
#: unrolled after vectorising: unrolling a 1024-iteration row loop doubles the compile
#: time of a softmax and measured no faster; short loops (a window, a small reduced axis)
#: still unroll fully, which is where unrolling pays (3x on a max over 7 elements). In a
#: nest, a loop counts the copies of the loops inside it that unroll too: two nested
#: 64-iteration loops fully unrolled are 4,096 bodies, which took LLVM 1.1 s to optimise
#: (a bias gradient's sum over batch and pixels; 9 ms with the outer loop kept).
NO_UNROLL_TRIPS = 128
#: The bound for a reduction into memory (a load, add and store per step): LLVM's time to
#: optimise its unrolled chain jumps from 36 ms at 24 copies to 0.56 s at 32 and 1.3 s at 64.
MEMORY_REDUCTION_UNROLL_TRIPS = 24
#: A register reduction over at most this many elements (a pooling window) unrolls into
#: straight-line code: its max or min takes the branch-free form (`_float_minmax`).
SHORT_REDUCTION = 16


def _loop(b: ir.IRBuilder, lo: ir.Value, hi: ir.Value, body: Callable[[ir.Value], None],
          unroll: bool | None = None) -> None:
    """A loop over [lo, hi); `unroll` False forbids LLVM to unroll it, None decides by its
    own trip count (`NO_UNROLL_TRIPS`)."""
    pre = b.block
    header = b.append_basic_block("loop")
    inner = b.append_basic_block("body")
    done = b.append_basic_block("done")
    b.branch(header)
    b.position_at_end(header)
    i = b.phi(i64)
    i.add_incoming(lo, pre)
    b.cbranch(b.icmp_signed("<", i, hi), inner, done)
    b.position_at_end(inner)
    body(i)
    nxt = b.add(i, ir.Constant(i64, 1), flags=("nsw",))
    i.add_incoming(nxt, b.block)
    back = b.branch(header)
    if unroll is None:
        unroll = not (isinstance(lo, ir.Constant) and isinstance(hi, ir.Constant)
                      and hi.constant - lo.constant >= NO_UNROLL_TRIPS)
    if not unroll:
        back.set_metadata("llvm.loop", _loop_id(b.module, "llvm.loop.unroll.disable"))
    b.position_at_end(done)


def _loop_id(module: ir.Module, *options: str) -> ir.NamedValue:
    """Loop metadata with `options`. LLVM wants a distinct node whose first operand is
    itself, which llvmlite cannot spell: the node is tagged with a unique string here, and
    `_distinct_loop_ids` rewrites it in the module's text."""
    tag = ir.MetaDataString(module, f"mxj.loop.{len(module.metadata)}")
    return module.add_metadata([tag, *(module.add_metadata([ir.MetaDataString(module, o)])
                                       for o in options)])


def _distinct_loop_ids(text: str) -> str:
    return _LOOP_ID.sub(lambda m: f"{m[1]} = distinct !{{ {m[1]}, {m[2]} }}", text)


_LOOP_ID = re.compile(r'^(!\d+) = !\{ ?!"mxj\.loop\.\d+", (.*?) ?\}$', re.MULTILINE)


@dataclass
class _Range:
    """The bounds of a kernel's loops: [start, stop) for the split loop, [0, his[j]) else."""

    split: int | None
    start: ir.Value
    stop: ir.Value
    his: list[ir.Value]


def _nest(b: ir.IRBuilder, r: _Range, levels: list[int], loop_vars: dict[int, ir.Value],
          body: Callable[[dict[int, ir.Value]], None], inner: int = 1,
          limit: int = NO_UNROLL_TRIPS) -> None:
    """Loops over `levels` (outermost first) around `body`, which holds `inner` copies of
    the body of loops that may unroll fully (see `_unrolling`)."""
    unroll = _unrolling(r, levels, inner, limit)

    def level(i: int, loop_vars: dict[int, ir.Value]) -> None:
        if i == len(levels):
            body(loop_vars)
            return
        j = levels[i]
        lo = r.start if j == r.split else ir.Constant(i64, 0)
        hi = r.stop if j == r.split else r.his[j]
        _loop(b, lo, hi, lambda v: level(i + 1, {**loop_vars, j: v}), unroll[i])

    level(0, loop_vars)


def _unrolling(r: _Range, levels: list[int], inner: int = 1, limit: int = NO_UNROLL_TRIPS
               ) -> list[bool | None]:
    """Whether each loop of a nest may unroll fully: a loop of a known trip count t whose
    inner loops unroll into s copies of the body may unroll unless t * s reaches `limit`;
    a loop of a run-time trip count cannot (None: LLVM decides how far to unroll it)."""
    flags: list[bool | None] = [None] * len(levels)
    copies = inner
    for i in reversed(range(len(levels))):
        j = levels[i]
        hi = r.his[j]
        if j != r.split and isinstance(hi, ir.Constant):
            trips = int(hi.constant)
            flags[i] = unrolls = trips * copies < limit
            copies = trips * copies if unrolls else copies
    return flags


def _unrolled_copies(r: _Range, levels: list[int]) -> int:
    """How many copies of its body a nest over `levels` may unroll into."""
    copies = 1
    for j, unrolls in zip(levels, _unrolling(r, levels)):
        if unrolls:
            copies *= int(r.his[j].constant)
    return copies


REDUCE_COMBINE = {"sum": ("fadd", "add"), "prod": ("fmul", "mul")}


def _init_value(op: str, dtype: np.dtype) -> ir.Constant:
    ty = compute_type(dtype)
    if op in ("sum", "prod"):
        v = 0 if op == "sum" else 1
        return ir.Constant(ty, float(v) if dtype.kind == "f" else v)
    high = op in ("min", "argmin")
    if dtype.kind == "f":
        return ir.Constant(ty, float("inf") if high else float("-inf"))
    info = np.iinfo(dtype)
    return ir.Constant(ty, int(info.max if high else info.min))


def _combine(b: ir.IRBuilder, op: str, dtype: np.dtype, acc: ir.Value, x: ir.Value,
             long_loop: bool = False) -> ir.Value:
    """`acc` combined with `x`; `long_loop`: in a register reduction over a loop long enough
    to vectorise, where LLVM vectorises a max or min as a recurrence only in the intrinsic's
    form (whose scalar lowering branches: see `_float_minmax`)."""
    if op in REDUCE_COMBINE:
        fop, iop = REDUCE_COMBINE[op]
        if dtype.kind == "f":
            return getattr(b, fop)(acc, x, flags=REDUCE_FLAGS)
        return getattr(b, iop)(acc, x)
    name = "maximum" if op == "max" else "minimum"
    if long_loop and dtype.kind == "f":
        return call_intrinsic(b, name, acc, x)
    return SCALAR_OPS[name](b, Expr.make(name, dtype), [acc, x])


def _find_data_offset() -> int:
    """Where a NumPy array object keeps its data pointer (PyArrayObject.data), in bytes.

    Kernel trampolines read it directly, so a call passes arrays as objects: asking NumPy
    for the pointer (`arr.ctypes.data`) costs more than the whole call of a small kernel.
    """
    probes = [np.empty(n, np.uint8) for n in (1, 7, 64)]
    for offset in range(8, 64, 8):
        if all(ctypes.c_void_p.from_address(id(a) + offset).value == a.ctypes.data
               for a in probes):
            return offset
    raise MXNetError("cannot locate the data pointer inside NumPy array objects")


DATA_OFFSET = _find_data_offset()


def render_llvm(kernel: Kernel | KernelChain, symbol: str) -> str:
    """The LLVM IR text of `kernel` (or of a chain of kernels): `void symbol(ptr b0, ...,
    i64 start, i64 stop)` and the trampoline `symbol_py`, which takes NumPy array objects
    instead of data pointers."""
    module = ir.Module(name=symbol)
    module.triple = llvm.get_process_triple()
    module.data_layout = str(target_machine().target_data)
    n = len(kernel.buffers)
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [ptr] * n + [i64, i64]), name=symbol)
    # The trampoline calls the kernel; inlined there (LLVM does so for small kernels and
    # chains), the whole loop nest would be optimised and compiled twice.
    fn.attributes.add("noinline")
    for arg in fn.args[:n]:
        arg.add_attribute("noalias")
    bufs, (start, stop) = list(fn.args[:n]), fn.args[n:]
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    if isinstance(kernel, KernelChain):
        _render_chain(b, kernel, bufs, start, stop)
    else:
        _render_kernel(b, kernel, bufs, start, stop, {})
    b.ret_void()
    _render_trampoline(module, fn, n)
    # llvmlite cannot spell string attributes; AVX-512 hosts default to 256-bit vectors.
    head, sep, rest = _distinct_loop_ids(str(module)).partition("\n{")
    return f"{head} #0{sep}{rest}\nattributes #0 = {{ nounwind {VECTOR_WIDTH_ATTR}}}\n"


def _render_trampoline(module: ir.Module, kernel_fn: ir.Function, n: int) -> None:
    fn = ir.Function(module, kernel_fn.function_type, name=kernel_fn.name + "_py")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    offset = ir.Constant(i64, DATA_OFFSET)
    datas = [b.load(b.gep(obj, [offset], source_etype=i8), typ=ptr) for obj in fn.args[:n]]
    b.call(kernel_fn, datas + list(fn.args[n:]))
    b.ret_void()


def _render_kernel(b: ir.IRBuilder, k: Kernel, bufs: list, start: ir.Value, stop: ir.Value,
                   bound: dict[int, ir.Value]) -> None:
    """The loop nest of `k`, inside loops already opened for the variables in `bound`."""
    order = [j for j in range(len(k.dims)) if j not in bound]
    if k.extents is None:
        his = [ir.Constant(i64, d) for d in k.dims]
    else:  # shapes known at run time: the extents are read once, here
        his = [_Body(b, bufs, k, {}).value(e) for e in k.extents]
    r = _Range(k.split, start, stop, his)
    red = k.reduction
    if red is None:
        _render_map(b, k, bufs, order, r, bound)
    elif red.in_register:
        _render_register_reduction(b, k, bufs, order, r, bound)
    else:
        _render_memory_reduction(b, k, bufs, order, r, bound)


def _render_chain(b: ir.IRBuilder, chain: KernelChain, args: list, start: ir.Value,
                  stop: ir.Value) -> None:
    """One loop over the members' shared split loop; in it, each member's inner loops."""
    with b.goto_entry_block():
        scratch = [b.alloca(STORAGE[dtype.name], size=ir.Constant(i64, size))
                   for dtype, size in chain.scratch]
    for s in scratch:
        s.align = 64
    bufs = list(args) + scratch

    def row(i: ir.Value) -> None:
        _prefetch_next_row(b, chain, bufs, i)
        for k, slots in zip(chain.kernels, chain.slots):
            _render_kernel(b, k, [bufs[s] for s in slots], start, stop, {0: i})

    _loop(b, start, stop, row)


def _prefetch_next_row(b: ir.IRBuilder, chain: KernelChain, bufs: list, i: ir.Value) -> None:
    """Prefetch row i + 1 (the last row: itself again) of the chain's row-local inputs, one
    call per cache line of the elements a row reads. A prefetch never faults, but these
    stay inside what the kernels read anyway."""
    if not chain.prefetch:
        return
    prefetch = b.module.globals.get("llvm.prefetch.p0") or ir.Function(
        b.module, ir.FunctionType(ir.VoidType(), [ptr, i32, i32, i32]), name="llvm.prefetch.p0")
    last_row = ir.Constant(i64, chain.split_extent - 1)
    nxt = b.add(i, ir.Constant(i64, 1))
    nxt = b.select(b.icmp_signed("<", nxt, last_row), nxt, last_row)
    # llvm.prefetch(address, 0: a read, 3: keep in every cache level, 1: data)
    flags = [ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)]
    for slot, elements, first, last in chain.prefetch:
        size = chain.buffers[slot].itemsize
        start = b.add(b.mul(nxt, ir.Constant(i64, elements * size)), ir.Constant(i64, first * size))
        base = b.gep(bufs[slot], [start], source_etype=i8)
        row_bytes = (last - first + 1) * size

        def line(j: ir.Value, base: ir.Value = base) -> None:
            address = b.gep(base, [b.mul(j, ir.Constant(i64, CACHE_LINE))], source_etype=i8)
            b.call(prefetch, [address, *flags])

        _loop(b, ir.Constant(i64, 0), ir.Constant(i64, -(-row_bytes // CACHE_LINE)), line)


def _render_map(b: ir.IRBuilder, k: Kernel, bufs: list, order: list[int], rng: _Range,
                bound: dict[int, ir.Value]) -> None:
    def body(loop_vars: dict[int, ir.Value]) -> None:
        r = _Body(b, bufs, k, loop_vars)
        for s in k.stores:
            r.store(s.slot, r.value(s.offset), r.value(s.value))

    _nest(b, rng, order, bound, body)


def _render_register_reduction(b: ir.IRBuilder, k: Kernel, bufs: list, order: list[int],
                               rng: _Range, bound: dict[int, ir.Value]) -> None:
    red = k.reduction
    assert red is not None
    dtype = red.value.dtype
    arg = red.op in ("argmax", "argmin")
    outer = [j for j in order if not k.reduce_vars[j]]
    inner = [j for j in order if k.reduce_vars[j]]
    # (an i32 index beside a float32 value keeps one vector width: LLVM vectorises the
    # kept loop around a short unrolled argmax only so)
    count = math.prod(k.dims[j] for j in inner)
    itype = i32 if count < 2**31 else i64
    long_loop = count > SHORT_REDUCTION
    with b.goto_entry_block():
        acc_slot = b.alloca(compute_type(dtype))
        idx_slot = b.alloca(itype)

    def outer_body(outer_vars: dict[int, ir.Value]) -> None:
        b.store(_init_value(red.op, dtype), acc_slot)
        b.store(ir.Constant(itype, 0), idx_slot)

        def step(all_vars: dict[int, ir.Value]) -> None:
            x = _Body(b, bufs, k, all_vars).value(red.value)
            acc = b.load(acc_slot, typ=compute_type(dtype))
            if not arg:
                b.store(_combine(b, red.op, dtype, acc, x, long_loop), acc_slot)
                return
            at = all_vars[inner[0]] if inner else ir.Constant(i64, 0)
            at = b.trunc(at, itype) if itype is i32 else at
            better = _arg_better(b, red.op, dtype, acc, x)
            b.store(b.select(better, x, acc), acc_slot)
            b.store(b.select(better, at, b.load(idx_slot, typ=itype)), idx_slot)

        _nest(b, rng, inner, outer_vars, step)
        if arg:
            result = b.load(idx_slot, typ=itype)
            result = b.sext(result, i64) if itype is i32 else result
        else:
            result = b.load(acc_slot, typ=compute_type(dtype))
        r = _Body(b, bufs, k, outer_vars, acc=result)
        s = k.stores[0]
        r.store(s.slot, r.value(s.offset), result)

    _nest(b, rng, outer, bound, outer_body, inner=_unrolled_copies(rng, inner))


def _arg_better(b: ir.IRBuilder, op: str, dtype: np.dtype, acc: ir.Value, x: ir.Value
                ) -> ir.Value:
    if dtype.kind == "f":
        strictly = b.fcmp_ordered(">" if op == "argmax" else "<", x, acc)
        first_nan = b.and_(b.fcmp_unordered("uno", x, x), b.fcmp_ordered("ord", acc, acc))
        return b.or_(strictly, first_nan)
    cmp = b.icmp_signed if _signed(dtype) else b.icmp_unsigned
    return cmp(">" if op == "argmax" else "<", x, acc)


def _render_memory_reduction(b: ir.IRBuilder, k: Kernel, bufs: list, order: list[int],
                             rng: _Range, bound: dict[int, ir.Value]) -> None:
    red = k.reduction
    assert red is not None
    dtype = red.value.dtype
    s = k.stores[0]
    outer = [j for j in order if not k.reduce_vars[j]]

    def init(loop_vars: dict[int, ir.Value]) -> None:
        r = _Body(b, bufs, k, loop_vars)
        r.store(s.slot, r.value(s.offset), _init_value(red.op, dtype))

    def accumulate(loop_vars: dict[int, ir.Value]) -> None:
        r = _Body(b, bufs, k, loop_vars)
        at = r.value(s.offset)
        r.store(s.slot, at, _combine(b, red.op, dtype, r.load(s.slot, at), r.value(red.value)))

    _nest(b, rng, outer, bound, init)
    _nest(b, rng, order, bound, accumulate, limit=MEMORY_REDUCTION_UNROLL_TRIPS)


# ---- compiling ---------------------------------------------------------------------------

_lock = process_lock()  # (a forked child finds it released)
_state: dict[str, Any] = {}


def target_machine() -> Any:
    """The host target machine (created once): O3, this CPU's name and features."""
    tm = _state.get("tm")
    if tm is None:
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        target = llvm.Target.from_default_triple()
        if target.name.startswith("x86"):
            # x86's pass that turns conditional moves in loops back into branches bets on
            # predictable conditions; ours are data (which tap of a window is its max,
            # where a value is negative), and mispredicted branches made max pooling's
            # first-max index 2-4x slower over random data than over constant data
            llvm.set_option("", "--x86-cmov-converter=false")
        tm = target.create_target_machine(cpu=HOST_CPU[0], features=HOST_CPU[1],
                                          opt=3, reloc="pic", codemodel="jitdefault")
        _state["tm"] = tm
    return tm


def target_id() -> str:
    """What makes object code specific to this machine and toolchain (part of cache keys)."""
    got = _state.get("target_id")
    if got is None:
        llvm.initialize_native_target()
        got = (f"{HOST_CPU[0]}|{HOST_CPU[1]}|"
               f"numpy-data-offset-{DATA_OFFSET}|"
               f"llvmlite-{llvmlite.__version__}|"
               f"llvm-{'.'.join(map(str, llvm.llvm_version_info))}")
        _state["target_id"] = got
    return got


def _new_engine() -> Any:
    # One engine per object file: MCJIT mis-relocates the constant pools of an engine's
    # objects after its first (constants read as zero or garbage), whether they are added
    # before or after finalize_object (23 of 24 kernels wrong when loaded together).
    # The engine is created around an empty module, which it would otherwise compile to
    # machine code at every finalize_object (~1 ms, most of a cached load): take it back.
    # It owns (and deletes) the target machine it is given, so each gets one of its own: a
    # generic one (50x cheaper to create than the host's), as it only relocates objects.
    empty = llvm.parse_assembly("")
    tm = llvm.Target.from_default_triple().create_target_machine(reloc="pic",
                                                                 codemodel="jitdefault")
    engine = llvm.create_mcjit_compiler(empty, tm)
    engine.remove_module(empty)
    return engine


def optimize(ir_text: str) -> Any:
    """Parse, verify and optimise IR at O3 with loop and SLP vectorisation.

    Each module gets an LLVM context of its own, freed with it (the global one keeps every
    constant and name it ever saw)."""
    mod = llvm.parse_assembly(ir_text, context=llvm.create_context())
    mod.verify()
    pto = llvm.create_pipeline_tuning_options(speed_level=3)
    pto.loop_vectorization = True
    pto.slp_vectorization = True
    pb = llvm.create_pass_builder(target_machine(), pto)
    mpm = pb.getModulePassManager()
    try:
        mpm.run(mod, pb)
    finally:
        _close_pass_manager(mpm)
    return mod


def _close_pass_manager(mpm: Any) -> None:
    """Free a module pass manager. llvmlite 0.50's never frees itself (its `_dispose`
    resolves to `ObjectRef`'s, which does nothing), which leaked its O3 pipeline, about
    70 KiB, at every compile."""
    if type(mpm)._dispose is ffi.ObjectRef._dispose:
        ffi.lib.LLVMPY_DisposeNewModulePassManger(mpm)
        mpm.detach()
    else:
        mpm.close()


def emit_object(ir_text: str) -> bytes:
    return bytes(target_machine().emit_object(optimize(ir_text)))


def load_object(obj: bytes, symbol: str, n_buffers: int
                ) -> tuple[Callable[..., None], Callable[..., None]]:
    """Load object code into a new engine; return the kernel taking data pointers and its
    trampoline taking NumPy arrays, as ctypes functions (both release the GIL).

    Both functions hold the engine (`._engine`), which frees the code when the last of
    them is collected: whoever can still call the code keeps it."""
    with _lock:
        engine = _new_engine()
        engine.add_object_file(llvm.ObjectFileRef.from_data(obj))
        engine.finalize_object()
        addr = engine.get_function_address(symbol)
        addr_py = engine.get_function_address(symbol + "_py")
    if not addr or not addr_py:
        raise MXNetError(f"kernel symbol {symbol} missing from its object file")
    raw = ctypes.CFUNCTYPE(None, *([ctypes.c_void_p] * n_buffers), ctypes.c_int64,
                           ctypes.c_int64)
    objects = ctypes.CFUNCTYPE(None, *([ctypes.py_object] * n_buffers), ctypes.c_int64,
                               ctypes.c_int64)
    fn, call = raw(addr), objects(addr_py)
    fn._engine = call._engine = engine  # type: ignore[attr-defined]
    return fn, call
