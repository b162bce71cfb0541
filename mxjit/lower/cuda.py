"""Kernel -> CUDA C, and how each kernel is launched on a device.

`render_cuda` turns a backend-neutral `Kernel` into CUDA C: `extern "C" __global__` kernels
whose bodies evaluate the kernel's scalar expressions through `CUDA_OPS`, one rendering per
scalar op, the counterpart of `llvm.SCALAR_OPS` with exactly its semantics:

* float16 is stored as 16 bits and computed in float32 (`cvt` instructions, round to
  nearest even); bool is stored as one byte and computed as `bool`;
* integer arithmetic wraps (it is done in the unsigned type of the same width, so there is
  no undefined behaviour); integer division truncates, x / 0 is 0 and INT_MIN / -1 is
  INT_MIN; floordiv and mod have floor semantics and x mod 0 is 0;
* maximum/minimum propagate NaN (NumPy, `llvm.maximum`) and order -0 below +0;
* float -> int casts go through int64, NaN and |x| >= 2**63 give 0, then wrap;
* comparisons are ordered except `ne`, which is unordered, as in LLVM's renderings;
* `round` is half away from zero (`roundf`), `rint` half to even (`rintf`), `philox` is
  word 0 of Philox-4x32-10;
* transcendentals are CUDA's own accurate functions (`expf`, `logf`, `tanhf`, `erff`, `sinf`,
  `powf`, `asinf`, `erfinvf`, `tgammaf`, `lgammaf`, ... and the double versions; within 1-4
  ulp (tgamma 10, lgamma more next to its negative zeros), never the `__fast` intrinsics, and
  nvcc's defaults keep IEEE division, square root and denormals); sigmoid is
  `1 / (1 + exp(-x))`, written as `e / (1 + e)` with `e = exp(-|x|)` for x < 0 like the CPU.

The loop nest maps onto the grid as follows (the CPU's split/start/stop is not needed: one
launch covers the whole nest):

* elementwise: a grid-stride loop over the product of all dims (64-bit index; loop variables
  are recovered by div/mod, in 32 bits when the extent allows). A flat kernel whose loads
  and stores all index the single loop variable directly also gets a vectorised path
  (16-byte loads and stores, taken when every pointer is aligned, with a scalar tail);
* reductions: one of three schedules chosen from the extents (`schedule`): `thread` (one
  thread per output element, looping over the reduced variables in the CPU's order),
  `warp` (one warp per output, lanes striding the reduced index, shuffles), `block` (one
  block per output, warp shuffles plus a tree in shared memory). A `block` reduction also
  renders `<symbol>_part` and `<symbol>_fin`, a two-stage form the runtime uses when there
  are too few outputs to fill the device (partials in a workspace, then combined).
  Arg-reductions break ties towards the smaller index and take the first NaN, so every
  schedule returns what the CPU returns.

`launch_config` computes grids and blocks from a device's properties (pure Python, so it is
tested without a GPU).

>>> from mxjit.lower.kernel import Kernel, Store, loop_var, Expr
>>> import numpy as np
>>> f32 = np.dtype("float32")
>>> x = Expr.make("load", f32, (loop_var(0),), 0)
>>> k = Kernel("neg", (8,), (False,), 0, (f32, f32), 1,
...            (Store(1, loop_var(0), Expr.make("neg", f32, (x,))),))
>>> 'extern "C" __global__ void k0(' in render_cuda(k, "k0")
True
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..trace import conversion_bits
from .kernel import Expr, Kernel, Store, const_python_value, loop_var, walk

__all__ = ["CUDA_OPS", "DeviceProps", "Launch", "Schedule", "block_and_cap", "cuda_symbol",
           "flat_length_ok", "launch_config", "render_cuda", "schedule", "workspace_layout"]

#: C type each dtype is stored as in device memory.
STORAGE = {"float16": "unsigned short", "float32": "float", "float64": "double",
           "int8": "signed char", "uint8": "unsigned char", "int32": "int",
           "uint32": "unsigned int", "int64": "long long", "bool": "unsigned char"}
#: C type each dtype is computed in.
COMPUTE = {**STORAGE, "float16": "float", "bool": "bool"}
#: the unsigned type of the same width, in which signed arithmetic wraps without UB.
UNSIGNED = {"int8": "unsigned char", "uint8": "unsigned char", "int32": "unsigned int",
            "uint32": "unsigned int", "int64": "unsigned long long"}
#: a 64-bit index no reduction reaches: "no element seen yet" for arg-reductions.
NO_INDEX = "0x7fffffffffffffffLL"


def ctype(dtype: np.dtype) -> str:
    """The C type `dtype` is computed in (float16 -> float, bool -> bool).

    >>> ctype(np.dtype("float16"))
    'float'
    """
    return COMPUTE[dtype.name]


def cuda_symbol(kernel: Kernel) -> str:
    """A C identifier for `kernel`, from its content hash.

    >>> from mxjit.lower.kernel import Kernel
    >>> cuda_symbol(Kernel("k", (1,), (False,), 0, (), 0, ())).startswith("mxk_")
    True
    """
    return f"mxk_{kernel.key()[:24]}"


# ---- the prelude: helpers every kernel may use --------------------------------------------

PRELUDE = r"""
#ifndef MXJIT_CUDA_PRELUDE
#define MXJIT_CUDA_PRELUDE
#ifndef MXJIT_HOST_EMULATION  /* (tests run these sources on the host, with their own) */
__device__ __forceinline__ float mxj_h2f(unsigned short h) {
  float f; asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h)); return f;
}
__device__ __forceinline__ unsigned short mxj_f2h(float f) {
  unsigned short h; asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f)); return h;
}
#endif
/* truncating division: x / 0 = 0, INT_MIN / -1 = INT_MIN (wraps) */
template <typename T, typename U> __device__ __forceinline__ T mxj_sdiv(T x, T y) {
  return y == (T)0 ? (T)0 : (y == (T)-1 ? (T)((U)0 - (U)x) : (T)(x / y));
}
template <typename T> __device__ __forceinline__ T mxj_udiv(T x, T y) {
  return y == (T)0 ? (T)0 : (T)(x / y);
}
template <typename T, typename U> __device__ __forceinline__ T mxj_sfloordiv(T x, T y) {
  T q = mxj_sdiv<T, U>(x, y);
  T r = (T)((U)x - (U)q * (U)y);
  return (r != (T)0 && ((r < (T)0) != (y < (T)0))) ? (T)((U)q - (U)1) : q;
}
template <typename T, typename U> __device__ __forceinline__ T mxj_smod(T x, T y) {
  T q = mxj_sfloordiv<T, U>(x, y);
  T r = (T)((U)x - (U)q * (U)y);
  return y == (T)0 ? (T)0 : r;
}
template <typename T> __device__ __forceinline__ T mxj_umod(T x, T y) {
  return y == (T)0 ? (T)0 : (T)(x - mxj_udiv<T>(x, y) * y);
}
/* floor-semantics float remainder (the sign of the divisor), NaN-preserving */
__device__ __forceinline__ float mxj_fmod(float x, float y) {
  float r = fmodf(x, y);
  if (r == 0.0f) return copysignf(0.0f, y);  /* the divisor's sign, as in NumPy */
  return ((r < 0.0f) != (y < 0.0f)) ? r + y : r;
}
__device__ __forceinline__ double mxj_fmod(double x, double y) {
  double r = fmod(x, y);
  if (r == 0.0) return copysign(0.0, y);  /* the divisor's sign, as in NumPy */
  return ((r < 0.0) != (y < 0.0)) ? r + y : r;
}
/* llvm.maximum / llvm.minimum: NaN propagates, -0 < +0 */
__device__ __forceinline__ float mxj_fmax(float a, float b) {
  return (a != a || b != b) ? a + b
       : (a == b ? (__float_as_int(a) < 0 ? b : a) : (a > b ? a : b));
}
__device__ __forceinline__ float mxj_fmin(float a, float b) {
  return (a != a || b != b) ? a + b
       : (a == b ? (__float_as_int(a) < 0 ? a : b) : (a < b ? a : b));
}
__device__ __forceinline__ double mxj_fmax(double a, double b) {
  return (a != a || b != b) ? a + b
       : (a == b ? (__double_as_longlong(a) < 0 ? b : a) : (a > b ? a : b));
}
__device__ __forceinline__ double mxj_fmin(double a, double b) {
  return (a != a || b != b) ? a + b
       : (a == b ? (__double_as_longlong(a) < 0 ? a : b) : (a < b ? a : b));
}
/* integer max/min through a template, so a constant 0 against an unsigned
   operand does not draw nvcc's "pointless comparison" warning */
template <typename T> __device__ __forceinline__ T mxj_imax(T a, T b) {
  return a > b ? a : b;
}
template <typename T> __device__ __forceinline__ T mxj_imin(T a, T b) {
  return a < b ? a : b;
}
/* integer power by squaring; a negative exponent gives 0 */
template <typename T, typename U> __device__ __forceinline__ T mxj_upow(T x, T y) {
  U r = 1, b = (U)x, e = (U)y;
  while (e) { if (e & (U)1) r = (U)(r * b); b = (U)(b * b); e = (U)(e >> 1); }
  return (T)r;
}
template <typename T, typename U> __device__ __forceinline__ T mxj_spow(T x, T y) {
  return y < (T)0 ? (T)0 : mxj_upow<T, U>(x, y);
}
/* x86's float -> int conversion: NaN and out of range give the minimum */
__device__ __forceinline__ int mxj_f2i32(float x) {
  return x >= -2147483648.0f && x < 2147483648.0f ? (int)x : (-2147483647 - 1);
}
__device__ __forceinline__ int mxj_f2i32(double x) {
  return x >= -2147483648.0 && x < 2147483648.0 ? (int)x : (-2147483647 - 1);
}
__device__ __forceinline__ long long mxj_f2i64(float x) {
  return x >= -9223372036854775808.0f && x < 9223372036854775808.0f ? (long long)x
                                                                     : (-9223372036854775807LL - 1);
}
__device__ __forceinline__ long long mxj_f2i64(double x) {
  return x >= -9223372036854775808.0 && x < 9223372036854775808.0 ? (long long)x
                                                                   : (-9223372036854775807LL - 1);
}
/* e / (1 + e) with e = exp(-|x|): never overflows, keeps the tail for x < 0 */
__device__ __forceinline__ float mxj_sigmoid(float x) {
  float e = expf(-fabsf(x));
  return (x < 0.0f ? e : 1.0f) / (1.0f + e);
}
__device__ __forceinline__ double mxj_sigmoid(double x) {
  double e = exp(-fabs(x));
  return (x < 0.0 ? e : 1.0) / (1.0 + e);
}
/* word 0 of Philox-4x32-10 at counter (lo, hi, 0, 0) */
__device__ __forceinline__ unsigned int mxj_philox(long long counter, unsigned int k0,
                                                  unsigned int k1) {
  unsigned int c0 = (unsigned int)counter;
  unsigned int c1 = (unsigned int)((unsigned long long)counter >> 32);
  unsigned int c2 = 0u, c3 = 0u;
#pragma unroll
  for (int i = 0; i < 10; ++i) {
    unsigned int hi0 = __umulhi(0xD2511F53u, c0), lo0 = 0xD2511F53u * c0;
    unsigned int hi1 = __umulhi(0xCD9E8D57u, c2), lo1 = 0xCD9E8D57u * c2;
    unsigned int n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
    c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
    k0 += 0x9E3779B9u; k1 += 0xBB67AE85u;
  }
  return c0;
}
/* butterfly shuffles for every compute type */
__device__ __forceinline__ float mxj_shfl(float v, int m) {
  return __shfl_xor_sync(0xffffffffu, v, m);
}
__device__ __forceinline__ double mxj_shfl(double v, int m) {
  return __shfl_xor_sync(0xffffffffu, v, m);
}
__device__ __forceinline__ long long mxj_shfl(long long v, int m) {
  return __shfl_xor_sync(0xffffffffu, v, m);
}
__device__ __forceinline__ int mxj_shfl(int v, int m) {
  return __shfl_xor_sync(0xffffffffu, v, m);
}
__device__ __forceinline__ unsigned int mxj_shfl(unsigned int v, int m) {
  return __shfl_xor_sync(0xffffffffu, v, m);
}
__device__ __forceinline__ signed char mxj_shfl(signed char v, int m) {
  return (signed char)__shfl_xor_sync(0xffffffffu, (int)v, m);
}
__device__ __forceinline__ unsigned char mxj_shfl(unsigned char v, int m) {
  return (unsigned char)__shfl_xor_sync(0xffffffffu, (int)v, m);
}
__device__ __forceinline__ bool mxj_shfl(bool v, int m) {
  return __shfl_xor_sync(0xffffffffu, (int)v, m) != 0;
}
#endif
"""


# ---- scalar ops: one rendering each ------------------------------------------------------

Render = Callable[[Expr, list[str]], str]


def _is_float(dtype: np.dtype) -> bool:
    return dtype.kind == "f"


def _signed(dtype: np.dtype) -> bool:
    return dtype.kind == "i"


def _wrapping(op: str) -> Render:
    """`a op b`: IEEE for floats, modulo 2**bits for integers (through the unsigned type)."""
    def render(e: Expr, a: list[str]) -> str:
        if _is_float(e.dtype) or e.dtype.kind == "b":
            return f"({a[0]} {op} {a[1]})"
        t, u = ctype(e.dtype), UNSIGNED[e.dtype.name]
        return f"(({t})(({u}){a[0]} {op} ({u}){a[1]}))"

    return render


def _int_helper(signed_name: str, unsigned_name: str, float_fmt: str) -> Render:
    def render(e: Expr, a: list[str]) -> str:
        t = ctype(e.dtype)
        if _is_float(e.dtype):
            return float_fmt.format(*a)
        if _signed(e.dtype):
            return f"mxj_{signed_name}<{t}, {UNSIGNED[e.dtype.name]}>({a[0]}, {a[1]})"
        return f"mxj_{unsigned_name}<{t}>({a[0]}, {a[1]})"

    return render


def _minmax(fname: str, iname: str) -> Render:
    def render(e: Expr, a: list[str]) -> str:
        if _is_float(e.dtype):
            return f"mxj_{fname}({a[0]}, {a[1]})"
        return f"mxj_{iname}<{ctype(e.dtype)}>({a[0]}, {a[1]})"

    return render


def _neg(e: Expr, a: list[str]) -> str:
    if _is_float(e.dtype):
        return f"(-{a[0]})"
    t, u = ctype(e.dtype), UNSIGNED[e.dtype.name]
    return f"(({t})(({u})0 - ({u}){a[0]}))"


def _abs(e: Expr, a: list[str]) -> str:
    if _is_float(e.dtype):
        return f"fabs{_f(e)}({a[0]})"
    if not _signed(e.dtype):
        return a[0]
    t, u = ctype(e.dtype), UNSIGNED[e.dtype.name]
    return f"({a[0]} < ({t})0 ? ({t})(({u})0 - ({u}){a[0]}) : {a[0]})"


def _sign(e: Expr, a: list[str]) -> str:
    x, t = a[0], ctype(e.dtype)
    if _is_float(e.dtype):
        # ±0 gives +0 (NumPy's and MXNet's sign), NaN stays NaN
        rest = f"({x} == ({t})0 ? ({t})0 : {x})"
        return f"({x} < ({t})0 ? ({t})-1 : ({x} > ({t})0 ? ({t})1 : {rest}))"
    if _signed(e.dtype):
        return f"(({t})(({x} > ({t})0) - ({x} < ({t})0)))"
    return f"(({t})({x} != ({t})0))"


def _f(e: Expr) -> str:
    """The C math-function suffix of a float expression: 'f' for float (and float16)."""
    return "" if e.dtype.name == "float64" else "f"


def _libm(name: str) -> Render:
    def render(e: Expr, a: list[str]) -> str:
        return f"{name}{_f(e)}({', '.join(a)})"

    return render


def _rsqrt(e: Expr, a: list[str]) -> str:  # two roundings, like the CPU's 1 / sqrt(x)
    one = "1.0" if e.dtype.name == "float64" else "1.0f"
    return f"({one} / sqrt{_f(e)}({a[0]}))"


def _sigmoid(e: Expr, a: list[str]) -> str:
    return f"mxj_sigmoid({a[0]})"


def _pow(e: Expr, a: list[str]) -> str:
    if _is_float(e.dtype):
        return f"pow{_f(e)}({a[0]}, {a[1]})"
    t, u = ctype(e.dtype), UNSIGNED[e.dtype.name]
    return f"mxj_{'s' if _signed(e.dtype) else 'u'}pow<{t}, {u}>({a[0]}, {a[1]})"


def _compare(sym: str) -> Render:
    # C's ==, <, <=, >, >= are ordered and != is unordered, exactly LLVM's choices here
    def render(e: Expr, a: list[str]) -> str:
        return f"({a[0]} {sym} {a[1]})"

    return render


def _cast(e: Expr, a: list[str]) -> str:
    src, dst, x = e.args[0].dtype, e.dtype, a[0]
    to = ctype(dst)
    if src.kind == "f":
        if dst.kind == "f":
            return x if ctype(src) == to else f"(({to}){x})"
        if dst.kind == "b":
            return f"({x} != ({ctype(src)})0)"
        # x86's conversion (trace.dtypes.conversion_bits), then a wrap to the width
        bits = conversion_bits(dst)
        wide = f"mxj_f2i{bits}({x})"
        return wide if dst.itemsize * 8 == bits and dst.kind == "i" else f"(({to}){wide})"
    if src.kind == "b":
        return x if dst.kind == "b" else f"(({to}){x})"
    if dst.kind == "b":
        return f"({x} != ({ctype(src)})0)"
    return x if ctype(src) == to else f"(({to}){x})"


def _isnan(e: Expr, a: list[str]) -> str:
    return f"({a[0]} != {a[0]})" if _is_float(e.args[0].dtype) else "false"


CUDA_OPS: dict[str, Render] = {
    "add": _wrapping("+"), "sub": _wrapping("-"), "mul": _wrapping("*"),
    "div": _int_helper("sdiv", "udiv", "({0} / {1})"),
    "floordiv": _int_helper("sfloordiv", "udiv", "floor({0} / {1})"),
    "mod": _int_helper("smod", "umod", "mxj_fmod({0}, {1})"),
    "pow": _pow,
    "maximum": _minmax("fmax", "imax"), "minimum": _minmax("fmin", "imin"),
    "neg": _neg, "abs": _abs, "sign": _sign,
    "sqrt": _libm("sqrt"), "rsqrt": _rsqrt, "floor": _libm("floor"), "ceil": _libm("ceil"),
    "round": _libm("round"), "trunc": _libm("trunc"), "rint": _libm("rint"),
    **{n: _libm(n) for n in ("exp", "expm1", "log", "log1p", "sin", "cos", "tan", "tanh",
                             "erf", "log2", "log10", "cbrt", "sinh", "cosh", "erfinv")},
    **{n: _libm(c) for n, c in (("arcsin", "asin"), ("arccos", "acos"), ("arctan", "atan"),
                                ("arcsinh", "asinh"), ("arccosh", "acosh"),
                                ("arctanh", "atanh"), ("gamma", "tgamma"),
                                ("gammaln", "lgamma"))},
    "sigmoid": _sigmoid,
    **{c: _compare(s) for c, s in (("eq", "=="), ("ne", "!="), ("lt", "<"), ("le", "<="),
                                   ("gt", ">"), ("ge", ">="))},
    "logical_and": lambda e, a: f"({a[0]} && {a[1]})",
    "logical_or": lambda e, a: f"({a[0]} || {a[1]})",
    "logical_xor": lambda e, a: f"({a[0]} != {a[1]})",
    "logical_not": lambda e, a: f"(!{a[0]})",
    "bitwise_and": lambda e, a: f"({a[0]} & {a[1]})",
    "bitwise_or": lambda e, a: f"({a[0]} | {a[1]})",
    "bitwise_xor": lambda e, a: f"({a[0]} ^ {a[1]})",
    "invert": lambda e, a: f"(!{a[0]})" if e.dtype == np.bool_ else f"(~{a[0]})",
    "isnan": _isnan,
    "where": lambda e, a: f"({a[0]} ? {a[1]} : {a[2]})",
    "cast": _cast,
    "philox": lambda e, a: f"mxj_philox({a[0]}, {a[1]}, {a[2]})",
}


def literal(value: object, dtype: np.dtype) -> str:
    """A C literal of `dtype`'s compute type with exactly `value`'s bits (NaN, -0.0, inf).

    >>> literal(0.1, np.dtype("float32")), literal(-2**63, np.dtype("int64"))
    ('0.1f', '(-9223372036854775807LL - 1)')
    """
    name = dtype.name
    if dtype.kind == "b":
        return "true" if value else "false"
    if dtype.kind == "f":
        if name == "float64":
            v = float(value)  # type: ignore[arg-type]
            if not math.isfinite(v) or (v == 0 and math.copysign(1.0, v) < 0):
                bits = int(np.array(v, np.float64).view(np.int64))
                return f"__longlong_as_double({bits}LL)"
            text = repr(v)
            return text if any(c in text for c in ".en") else text + ".0"
        v32 = np.float32(value)  # type: ignore[arg-type]  # (float16 is exact in float32)
        if not np.isfinite(v32) or (v32 == 0 and np.signbit(v32)):
            return f"__int_as_float({int(np.array(v32).view(np.int32))})"
        text = str(v32)
        return (text if any(c in text for c in ".e") else text + ".0") + "f"
    v = int(value)  # type: ignore[call-overload]
    if name == "int64":
        return "(-9223372036854775807LL - 1)" if v == -2**63 else f"{v}LL"
    if name == "uint32":
        return f"{v}u"
    if name == "int32":
        return "(-2147483647 - 1)" if v == -2**31 else str(v)
    return f"(({COMPUTE[name]}){v})"


def _constant(e: Expr) -> str:
    return literal(const_python_value(e), e.dtype)


# ---- schedules and launch configuration --------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """How a kernel maps onto the grid (pure function of the kernel's dims).

    `kind` is 'map' (elementwise), 'thread', 'warp' or 'block' (reductions); `outputs` is
    the number of output elements (M), `reduce` the reduced extent per output (R), `vector`
    the elements per thread of the vectorised elementwise path (1: none).
    """

    kind: str
    outputs: int
    reduce: int
    vector: int = 1


def _prod(xs: tuple[int, ...] | list[int]) -> int:
    return int(math.prod(xs)) if xs else 1


def schedule(kernel: Kernel) -> Schedule:
    """The grid mapping `render_cuda` uses for `kernel`.

    >>> from mxjit.lower.kernel import Kernel
    >>> schedule(Kernel("k", (4096, 4096), (False, True), 0, (), 0, (), None)).kind
    'map'
    """
    red = kernel.reduction
    out_dims = [d for d, r in zip(kernel.dims, kernel.reduce_vars) if not r]
    red_dims = [d for d, r in zip(kernel.dims, kernel.reduce_vars) if r]
    m, r = _prod(out_dims), _prod(red_dims)
    if red is None:
        return Schedule("map", _prod(list(kernel.dims)), 1, _vector_width(kernel))
    if red.in_register:
        kind = "thread" if r <= 16 else "warp" if r <= 1024 else "block"
    else:  # reduced variables outside kept ones: threads over outputs read coalesced
        kind = "thread" if (m >= 8192 or r <= 64) else "block"
    return Schedule(kind, m, r)


def _vector_width(kernel: Kernel) -> int:
    """Elements per thread of the vectorised path of a flat elementwise kernel (1: none).

    Every load and store must index the one loop variable directly (or not at all)."""
    if kernel.reduction is not None or len(kernel.dims) != 1:
        return 1
    v0 = loop_var(0)
    sizes = []
    for s in kernel.stores:
        if s.offset is not v0:
            return 1
        sizes.append(kernel.buffers[s.slot].itemsize)
    for e in walk([s.value for s in kernel.stores]):
        if e.op == "load":
            if e.args[0] is v0:
                sizes.append(kernel.buffers[e.attr].itemsize)
            elif any(a.op == "var" for a in walk([e.args[0]])):
                return 1
    if not sizes:
        return 1
    width = min(8, 16 // max(sizes))
    return width if width >= 2 and kernel.dims[0] >= width else 1


@dataclass(frozen=True)
class DeviceProps:
    """What launch configuration needs to know about a device.

    >>> DeviceProps(multiprocessors=132).max_threads_per_block
    1024
    """

    multiprocessors: int
    max_threads_per_block: int = 1024
    max_threads_per_multiprocessor: int = 2048
    warp_size: int = 32
    max_grid_x: int = 2**31 - 1
    compute_capability: tuple[int, int] = (9, 0)


@dataclass(frozen=True)
class Launch:
    """One kernel launch: the function's symbol, grid and block sizes (1-D), and `parts`,
    the number of partials per output of a two-stage reduction (0 for a plain launch;
    then the kernel takes the workspace pointers and `parts` after the buffers)."""

    function: str
    grid: int
    block: int
    parts: int = 0


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _pow2_at_least(n: int) -> int:
    return 1 << max(0, (max(n, 1) - 1).bit_length())


def block_and_cap(props: DeviceProps, block: int = 256) -> tuple[int, int]:
    """The block size of elementwise kernels and thread reductions on a device with
    `props` (at most `block`), and the most blocks worth launching: a few waves of
    resident blocks, which grid-stride loops take through any length.

    >>> block_and_cap(DeviceProps(multiprocessors=132))
    (256, 8448)
    """
    block = min(block, props.max_threads_per_block)
    waves = props.multiprocessors * max(1, props.max_threads_per_multiprocessor // block)
    return block, min(props.max_grid_x, 8 * waves)


def launch_config(kernel: Kernel, symbol: str, props: DeviceProps) -> list[Launch]:
    """The launches that run `kernel` (rendered as `symbol`) on a device with `props`.

    Grid-stride loops let the grid be capped at a few waves of resident blocks.

    >>> from mxjit.lower.kernel import Kernel
    >>> k = Kernel("k", (1 << 20,), (False,), 0, (), 0, ())
    >>> launch_config(k, "s", DeviceProps(multiprocessors=132))
    [Launch(function='s', grid=4096, block=256, parts=0)]
    """
    sch = schedule(kernel)
    block, cap = block_and_cap(props)
    if sch.kind == "map":
        items = _ceil_div(sch.outputs, sch.vector)
        return [Launch(symbol, max(1, min(_ceil_div(items, block), cap)), block)]
    m, r = sch.outputs, sch.reduce
    if sch.kind == "thread":
        return [Launch(symbol, max(1, min(_ceil_div(m, block), cap)), block)]
    if sch.kind == "warp":
        per_block = block // props.warp_size
        return [Launch(symbol, max(1, min(_ceil_div(m, per_block), cap)), block)]
    # block: threads striding the reduced extent, up to 1024 for long rows
    threads = min(props.max_threads_per_block, 1024,
                  max(props.warp_size * 2, _pow2_at_least(_ceil_div(r, 8))))
    resident = props.multiprocessors * max(1, props.max_threads_per_multiprocessor // threads)
    parts = min(_ceil_div(r, threads * 8), _ceil_div(2 * resident, max(m, 1)))
    if m < resident and parts >= 2:
        fin_threads = min(threads, max(props.warp_size, _pow2_at_least(parts)))
        return [Launch(symbol + "_part", min(m * parts, cap * 4), threads, parts),
                Launch(symbol + "_fin", max(1, min(m, cap)), fin_threads, parts)]
    return [Launch(symbol, max(1, min(m, cap * 4)), threads)]


def workspace_layout(kernel: Kernel, launches: list[Launch]) -> tuple[int, int]:
    """(bytes, offset of the index array) of the device scratch the launches need: the
    partials of a two-stage reduction (accumulators of <= 8 bytes, then int64 indices).

    >>> workspace_layout(Kernel("k", (1,), (False,), 0, (), 0, ()), [])
    (0, 0)
    """
    parts = max((ln.parts for ln in launches), default=0)
    if not parts or kernel.reduction is None:
        return 0, 0
    n = schedule(kernel).outputs * parts
    index_at = _ceil_div(n * 8, 256) * 256
    return index_at + n * 8, index_at


# ---- rendering ---------------------------------------------------------------------------


class _Body:
    """Renders expressions as C statements at one point of the nest (a memo per scope)."""

    def __init__(self, kernel: Kernel, out: list[str], indent: str, names: dict[int, str],
                 counter: list[int], acc: str | None = None,
                 vector_loads: dict[int, str] | None = None):
        self.kernel, self.out, self.indent, self.names = kernel, out, indent, names
        self.counter, self.acc, self.vector_loads = counter, acc, vector_loads or {}
        self.memo: dict[int, str] = {}

    def line(self, text: str) -> None:
        self.out.append(self.indent + text)

    def temp(self, ctype_: str, text: str) -> str:
        name = f"t{self.counter[0]}"
        self.counter[0] += 1
        self.line(f"const {ctype_} {name} = {text};")
        return name

    def value(self, root: Expr) -> str:
        for e in walk([root]):
            if id(e) not in self.memo:
                self.memo[id(e)] = self._one(e)
        return self.memo[id(root)]

    def _one(self, e: Expr) -> str:
        if e.op == "const":
            return _constant(e)
        if e.op == "var":
            return self.names[e.attr]
        if e.op == "acc":
            assert self.acc is not None, "acc outside a reduction's epilogue"
            return self.acc
        if e.op == "load":
            if e.attr in self.vector_loads and e.args[0] is loop_var(0):
                return self.temp(ctype(e.dtype), _convert_load(
                    self.kernel.buffers[e.attr], self.vector_loads[e.attr]))
            return self.temp(ctype(e.dtype), self.load(e.attr, self.memo[id(e.args[0])]))
        args = [self.memo[id(a)] for a in e.args]
        return self.temp(ctype(e.dtype), CUDA_OPS[e.op](e, args))

    def load(self, slot: int, offset: str) -> str:
        return _convert_load(self.kernel.buffers[slot], f"p{slot}[{offset}]")

    def store(self, store: Store, value: str | None = None) -> None:
        dtype = self.kernel.buffers[store.slot]
        v = self.value(store.value) if value is None else value
        self.line(f"p{store.slot}[{self.value(store.offset)}] = {_convert_store(dtype, v)};")


def _convert_load(dtype: np.dtype, raw: str) -> str:
    if dtype.name == "float16":
        return f"mxj_h2f({raw})"
    if dtype.name == "bool":
        return f"({raw} != 0)"
    return raw


def _convert_store(dtype: np.dtype, value: str) -> str:
    if dtype.name == "float16":
        return f"mxj_f2h({value})"
    if dtype.name == "bool":
        return f"(unsigned char)({value})"
    return value


def _params(kernel: Kernel, extra: str = "") -> str:
    ps = []
    for slot, dtype in enumerate(kernel.buffers):
        const = "const " if slot < kernel.n_inputs else ""
        ps.append(f"{const}{STORAGE[dtype.name]}* __restrict__ p{slot}")
    return ", ".join(ps) + extra


def _used_vars(kernel: Kernel, stores: bool = True) -> set[int]:
    """The loop variables the expressions of `kernel` read (without `stores`: its reduced
    value's alone, what a partial reduction, whose results the final kernel stores, reads)."""
    roots = [e for s in kernel.stores for e in (s.offset, s.value)] if stores else []
    if kernel.reduction is not None:
        roots.append(kernel.reduction.value)
    return {e.attr for e in walk(roots) if e.op == "var"}


def _recover(out: list[str], indent: str, index: str, dims: list[tuple[int, int]],
             total: int, used: set[int]) -> dict[int, str]:
    """Lines defining the loop variables `v<j>` in `used` from a flat `index` over `dims`
    ((j, extent), outermost first); div/mod in 32 bits when the extent allows."""
    names: dict[int, str] = {}
    small = total < 2**31
    inner = 1
    for j, d in reversed(dims):
        if d == 1 or j not in used:
            names[j] = "0LL"
            inner *= d
            continue
        if small:
            x = f"(unsigned int){index}"
            x = f"{x} / {inner}u" if inner != 1 else x
            x = f"({x}) % {d}u" if inner * d < total else x
            text = f"(long long)({x})"
        else:
            x = f"{index} / {inner}LL" if inner != 1 else index
            text = f"({x}) % {d}LL" if inner * d < total else x
        out.append(f"{indent}const long long v{j} = {text};")
        names[j] = f"v{j}"
        inner *= d
    return names


def render_cuda(kernel: Kernel, symbol: str, length_param: bool = False) -> str:
    """The CUDA C source of `kernel`: `extern "C" __global__ void symbol(p0, ..., pn)` over
    the buffers (inputs `const`), plus `symbol_part`/`symbol_fin` for `block` reductions.

    With `length_param`, a flat elementwise kernel (one loop, no reduction: an eager op's,
    see `flat_length_ok`) takes its length as a last `long long n` and runs for any length,
    so one compile serves every shape.

    >>> from mxjit.lower.kernel import Kernel, Store, loop_var, iconst
    >>> k = Kernel("k", (4,), (False,), 0, (np.dtype("int8"),), 0,
    ...            (Store(0, loop_var(0), Expr.make("cast", np.dtype("int8"), (loop_var(0),))),))
    >>> "signed char* __restrict__ p0" in render_cuda(k, "k")
    True
    """
    out = [PRELUDE.strip("\n"), f"/* {kernel.name}: dims {kernel.dims} */"]
    red = kernel.reduction
    if length_param:
        if not flat_length_ok(kernel):
            raise AssertionError(f"{kernel.name} is not a flat elementwise kernel")
        _render_map(kernel, symbol, out, length_param=True)
    elif red is None:
        _render_map(kernel, symbol, out)
    else:
        sch = schedule(kernel)
        if sch.kind == "thread":
            _render_thread_reduction(kernel, symbol, out)
        elif sch.kind == "warp":
            _render_tree_reduction(kernel, symbol, out, "warp")
        else:
            _render_tree_reduction(kernel, symbol, out, "block")
            _render_tree_reduction(kernel, symbol + "_part", out, "part")
            _render_tree_reduction(kernel, symbol + "_fin", out, "fin")
    return "\n".join(out) + "\n"


def flat_length_ok(kernel: Kernel) -> bool:
    """Whether `kernel` can take its length at launch (`render_cuda(length_param=True)`):
    one loop, no reduction, and every load and store at the loop variable itself or at a
    constant, so that no offset depends on the length it was built for (a flip's does).

    >>> flat_length_ok(Kernel("k", (8,), (False,), 0, (), 0, ()))
    True
    """
    if kernel.reduction is not None or len(kernel.dims) != 1:
        return False
    v0 = loop_var(0)
    offsets = [s.offset for s in kernel.stores] + [
        e.args[0] for e in walk([s.value for s in kernel.stores]) if e.op == "load"]
    return all(o is v0 or not any(a.op == "var" for a in walk([o])) for o in offsets)


def _render_map(kernel: Kernel, symbol: str, out: list[str], length_param: bool = False
                ) -> None:
    total = _prod(list(kernel.dims))
    dims = list(enumerate(kernel.dims))
    counter = [0]
    extra = ", const long long n" if length_param else ""
    out.append(f'extern "C" __global__ void {symbol}({_params(kernel, extra)}) {{')
    out.append("  const long long step = (long long)gridDim.x * blockDim.x;")
    out.append("  const long long tid = (long long)blockIdx.x * blockDim.x + threadIdx.x;")
    out.append(f"  const long long total = {'n' if length_param else f'{total}LL'};")
    out.append("  long long head = 0;")
    width = _vector_width(kernel)
    if width > 1:
        _render_vector_path(kernel, width, out, counter)
    out.append("  for (long long i = head + tid; i < total; i += step) {")
    # (a runtime length may pass 2^31: the loop variable is the 64-bit index itself)
    names = ({0: "i"} if length_param else
             _recover(out, "    ", "i", dims, total, _used_vars(kernel)))
    body = _Body(kernel, out, "    ", names, counter)
    for s in kernel.stores:
        body.store(s)
    out.append("  }")
    out.append("}")


_CHUNK = {2: "unsigned short", 4: "unsigned int", 8: "uint2", 16: "uint4"}


def _render_vector_path(kernel: Kernel, width: int, out: list[str], counter: list[int]) -> None:
    """Each thread takes `width` consecutive elements: one vector load per buffer that the
    loop variable indexes directly, when every such pointer is aligned to its vector."""
    v0 = loop_var(0)
    loaded = sorted({e.attr for e in walk([s.value for s in kernel.stores])
                     if e.op == "load" and e.args[0] is v0})
    stored = sorted({s.slot for s in kernel.stores})
    checks = [f"((unsigned long long)p{slot} % {width * kernel.buffers[slot].itemsize}ULL)"
              for slot in loaded + stored]
    out.append(f"  if (({' | '.join(checks)}) == 0ULL) {{")
    out.append(f"    const long long nv = total / {width}LL;")
    out.append("    for (long long t = tid; t < nv; t += step) {")

    def union(slot: int, name: str) -> None:
        dtype = kernel.buffers[slot]
        chunk = _CHUNK[width * dtype.itemsize]
        out.append(f"      union {{ {chunk} v; {STORAGE[dtype.name]} e[{width}]; }} {name};")

    for slot in loaded:
        union(slot, f"l{slot}")
        chunk = _CHUNK[width * kernel.buffers[slot].itemsize]
        out.append(f"      l{slot}.v = *reinterpret_cast<const {chunk}*>(p{slot} + t * {width}LL);")
    for slot in stored:
        union(slot, f"s{slot}")
    for u in range(width):
        out.append("      {")
        names = {0: f"(t * {width}LL + {u}LL)"}
        body = _Body(kernel, out, "        ", names, counter,
                     vector_loads={slot: f"l{slot}.e[{u}]" for slot in loaded})
        for s in kernel.stores:
            value = body.value(s.value)
            dtype = kernel.buffers[s.slot]
            out.append(f"        s{s.slot}.e[{u}] = {_convert_store(dtype, value)};")
        out.append("      }")
    for slot in stored:
        chunk = _CHUNK[width * kernel.buffers[slot].itemsize]
        out.append(f"      *reinterpret_cast<{chunk}*>(p{slot} + t * {width}LL) = s{slot}.v;")
    out.append("    }")
    out.append(f"    head = nv * {width}LL;")
    out.append("  }")


# ---- reductions --------------------------------------------------------------------------


def _identity(op: str, dtype: np.dtype) -> str:
    """The value an accumulator starts from (the CPU's init value)."""
    if op == "sum":
        return literal(0, dtype)
    if op == "prod":
        return literal(1, dtype)
    high = op in ("min", "argmin")
    if dtype.kind == "f":
        return literal(float("inf") if high else float("-inf"), dtype)
    if dtype.kind == "b":
        return literal(high, dtype)
    info = np.iinfo(dtype)
    return literal(int(info.max if high else info.min), dtype)


def _combine(op: str, dtype: np.dtype, acc: str, x: str) -> str:
    name = {"sum": "add", "prod": "mul", "max": "maximum", "min": "minimum"}[op]
    return CUDA_OPS[name](Expr.make(name, dtype), [acc, x])


def _seq_better(op: str, dtype: np.dtype, x: str, acc: str) -> str:
    """The CPU's test for a new arg-reduction winner: strictly better, or the first NaN."""
    cmp = ">" if op == "argmax" else "<"
    if dtype.kind == "f":
        return f"(({x} {cmp} {acc}) || ({x} != {x} && {acc} == {acc}))"
    return f"({x} {cmp} {acc})"


def _pair_better(op: str, dtype: np.dtype, x: str, xi: str, acc: str, ai: str) -> str:
    """(x, xi) beats (acc, ai) in an order where NaN is best and ties go to the lower index,
    so that combining partial results in any tree gives the sequential answer."""
    cmp = ">" if op == "argmax" else "<"
    ordinary = f"({x} {cmp} {acc} || ({x} == {acc} && {xi} < {ai}))"
    if dtype.kind != "f":
        return ordinary
    return (f"(({x} != {x}) ? (({acc} == {acc}) || {xi} < {ai}) "
            f": (({acc} == {acc}) && {ordinary}))")


def _split_dims(kernel: Kernel) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    outer = [(j, d) for j, (d, r) in enumerate(zip(kernel.dims, kernel.reduce_vars)) if not r]
    inner = [(j, d) for j, (d, r) in enumerate(zip(kernel.dims, kernel.reduce_vars)) if r]
    return outer, inner


def _epilogue(kernel: Kernel, out: list[str], indent: str, outer_names: dict[int, str],
              counter: list[int], result: str) -> None:
    names = {j: "0LL" for j in range(len(kernel.dims))}
    names.update(outer_names)
    body = _Body(kernel, out, indent, names, counter, acc=result)
    for s in kernel.stores:
        body.store(s)


def _render_thread_reduction(kernel: Kernel, symbol: str, out: list[str]) -> None:
    """One thread per output element, looping over the reduced variables in the CPU's order
    (so sums accumulate in the same order as the CPU's)."""
    red = kernel.reduction
    assert red is not None
    dtype = red.value.dtype
    arg = red.op in ("argmax", "argmin")
    outer, inner = _split_dims(kernel)
    m = _prod([d for _, d in outer])
    counter = [0]
    out.append(f'extern "C" __global__ void {symbol}({_params(kernel)}) {{')
    out.append("  const long long step = (long long)gridDim.x * blockDim.x;")
    out.append(f"  for (long long o = (long long)blockIdx.x * blockDim.x + threadIdx.x; "
               f"o < {m}LL; o += step) {{")
    names = _recover(out, "    ", "o", outer, m, _used_vars(kernel))
    out.append(f"    {ctype(dtype)} acc = {_identity(red.op, dtype)};")
    if arg:
        out.append("    long long ai = 0;")
    indent = "    "
    for j, d in inner:
        out.append(f"{indent}for (long long v{j} = 0; v{j} < {d}LL; ++v{j}) {{")
        indent += "  "
    body = _Body(kernel, out, indent, {**names, **{j: f"v{j}" for j, _ in inner}}, counter)
    x = body.value(red.value)
    if arg:
        at = f"v{inner[0][0]}" if inner else "0LL"
        out.append(f"{indent}if ({_seq_better(red.op, dtype, x, 'acc')}) "
                   f"{{ acc = {x}; ai = {at}; }}")
    else:
        out.append(f"{indent}acc = {_combine(red.op, dtype, 'acc', x)};")
    for _ in inner:
        indent = indent[:-2]
        out.append(f"{indent}}}")
    _epilogue(kernel, out, "    ", names, counter, "ai" if arg else "acc")
    out.append("  }")
    out.append("}")


def _render_tree_reduction(kernel: Kernel, symbol: str, out: list[str], mode: str) -> None:
    """`warp`: a warp per output; `block`: a block per output; `part`: a block per
    (output, part) writing partials to the workspace; `fin`: a block per output combining
    its partials from the workspace. Threads stride the flat reduced index."""
    red = kernel.reduction
    assert red is not None
    dtype, op = red.value.dtype, red.op
    arg = op in ("argmax", "argmin")
    acc_t = ctype(dtype)
    outer, inner = _split_dims(kernel)
    m = _prod([d for _, d in outer])
    r_total = _prod([d for _, d in inner])
    ident = _identity(op, dtype)
    counter = [0]
    extra = ""
    if mode == "part":
        extra = f", {acc_t}* __restrict__ ws, long long* __restrict__ wsi, long long parts"
    elif mode == "fin":
        extra = (f", const {acc_t}* __restrict__ ws, const long long* __restrict__ wsi, "
                 "long long parts")
    bounds = "" if mode == "warp" else "__launch_bounds__(1024) "  # (<= 64 registers)
    out.append(f'extern "C" __global__ void {bounds}{symbol}({_params(kernel, extra)}) {{')
    out.append("  const int lane = threadIdx.x & 31;")
    if mode == "warp":
        out.append("  const long long step = ((long long)gridDim.x * blockDim.x) >> 5;")
        out.append("  for (long long o = ((long long)blockIdx.x * blockDim.x + threadIdx.x) "
                   f">> 5; o < {m}LL; o += step) {{")
    else:
        out.append(f"  __shared__ {acc_t} sh_acc[32];")
        if arg:
            out.append("  __shared__ long long sh_idx[32];")
        out.append("  const int warp = threadIdx.x >> 5;")
        out.append("  const int nwarps = (blockDim.x + 31) >> 5;")
        count = f"{m}LL * parts" if mode == "part" else f"{m}LL"
        out.append(f"  for (long long b = blockIdx.x; b < {count}; b += gridDim.x) {{")
        if mode == "part":
            out.append("    const long long o = b / parts, part = b % parts;")
        else:
            out.append("    const long long o = b;")
    out.append("    (void)o;")
    names = _recover(out, "    ", "o", outer, m, _used_vars(kernel, stores=mode != "part"))
    out.append(f"    {acc_t} acc = {ident};")
    if arg:
        out.append(f"    long long ai = {NO_INDEX};")
    if mode == "fin":
        out.append("    for (long long q = threadIdx.x; q < parts; q += blockDim.x) {")
        out.append(f"      const {acc_t} x = ws[o * parts + q];")
        if arg:
            out.append("      const long long xi = wsi[o * parts + q];")
            out.append(f"      if ({_pair_better(op, dtype, 'x', 'xi', 'acc', 'ai')}) "
                       "{ acc = x; ai = xi; }")
        else:
            out.append(f"      acc = {_combine(op, dtype, 'acc', 'x')};")
        out.append("    }")
    else:
        if mode == "warp":
            lo, hi, stride = "lane", f"{r_total}LL", "32"
        elif mode == "block":
            lo, hi, stride = "threadIdx.x", f"{r_total}LL", "blockDim.x"
        else:
            out.append(f"    const long long chunk = ({r_total}LL + parts - 1) / parts;")
            out.append("    const long long lo = part * chunk;")
            out.append(f"    const long long hi = min(lo + chunk, {r_total}LL);")
            lo, hi, stride = "lo + threadIdx.x", "hi", "blockDim.x"
        out.append(f"    for (long long r = {lo}; r < {hi}; r += {stride}) {{")
        inner_names = _recover(out, "      ", "r", inner, r_total, _used_vars(kernel))
        body = _Body(kernel, out, "      ", {**names, **inner_names}, counter)
        x = body.value(red.value)
        if arg:
            out.append(f"      if ({_seq_better(op, dtype, x, 'acc')}) {{ acc = {x}; ai = r; }}")
        else:
            out.append(f"      acc = {_combine(op, dtype, 'acc', x)};")
        out.append("    }")
    _warp_reduce(out, "    ", op, dtype, arg)
    if mode == "warp":
        out.append("    if (lane == 0) {")
        _finish(kernel, out, "      ", names, counter, arg)
        out.append("    }")
    else:
        out.append("    if (lane == 0) {")
        out.append("      sh_acc[warp] = acc;")
        if arg:
            out.append("      sh_idx[warp] = ai;")
        out.append("    }")
        out.append("    __syncthreads();")
        out.append("    if (warp == 0) {")
        out.append(f"      acc = lane < nwarps ? sh_acc[lane] : {ident};")
        if arg:
            out.append(f"      ai = lane < nwarps ? sh_idx[lane] : {NO_INDEX};")
        _warp_reduce(out, "      ", op, dtype, arg)
        out.append("      if (lane == 0) {")
        if mode == "part":
            out.append("        ws[b] = acc;")
            if arg:
                out.append("        wsi[b] = ai;")
        else:
            _finish(kernel, out, "        ", names, counter, arg)
        out.append("      }")
        out.append("    }")
        out.append("    __syncthreads();")
    out.append("  }")
    out.append("}")


def _warp_reduce(out: list[str], indent: str, op: str, dtype: np.dtype, arg: bool) -> None:
    out.append(f"{indent}#pragma unroll")
    out.append(f"{indent}for (int m = 16; m > 0; m >>= 1) {{")
    out.append(f"{indent}  const {ctype(dtype)} x = mxj_shfl(acc, m);")
    if arg:
        out.append(f"{indent}  const long long xi = mxj_shfl(ai, m);")
        out.append(f"{indent}  if ({_pair_better(op, dtype, 'x', 'xi', 'acc', 'ai')}) "
                   "{ acc = x; ai = xi; }")
    else:
        out.append(f"{indent}  acc = {_combine(op, dtype, 'acc', 'x')};")
    out.append(f"{indent}}}")


def _finish(kernel: Kernel, out: list[str], indent: str, names: dict[int, str],
            counter: list[int], arg: bool) -> None:
    if arg:  # nothing beat the start value (all -inf, say): index 0, as on the CPU
        out.append(f"{indent}const long long res = ai == {NO_INDEX} ? 0LL : ai;")
        _epilogue(kernel, out, indent, names, counter, "res")
    else:
        _epilogue(kernel, out, indent, names, counter, "acc")
