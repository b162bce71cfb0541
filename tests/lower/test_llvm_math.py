"""Accuracy, special values and vectorisation of the inline math in `mxjit.lower.llvm_math`.

Each (function, dtype) is compiled, with llvmlite directly, into a loop kernel
`k(const T *x, [const T *y,] T *out, i64 n)` optimised at O3 for the host CPU, and run on NumPy
arrays. Errors are ulp distances from the correctly rounded result: the float32 reference is the
float64 NumPy result rounded to float32; the float64 reference is computed in long double (or,
for erf, taken from `math.erf`; for erfinv from `mxjit.trace.special`; gamma and gammaln from a
long-double Stirling series). `pytest -s` prints the max-ulp table.
"""
from __future__ import annotations

import ctypes
import math
import re

import llvmlite.binding as llvm
import numpy as np
import pytest
from llvmlite import ir

from mxjit.lower.llvm_math import BINARY_MATH, UNARY_MATH, emit_binary_math, emit_unary_math
from mxjit.trace import special

F32, F64 = ir.FloatType(), ir.DoubleType()
I64 = ir.IntType(64)
PTR = ir.PointerType()
LLTYPE = {np.float32: F32, np.float64: F64}

# Max ulp distance from the correctly rounded result that each function must stay within.
# These are the measured maxima (float32: also over every 13th of all 2^32 inputs; float64:
# also ~5M points per function against long double / mpmath). erf float64 allows 2 because
# its reference, math.erf, is itself up to 1 ulp off; its true max is 1. erfinv float64 is 3
# against mpmath, plus 2 for its reference; gamma float64 is 5 (the reflection for x < 0
# multiplies several rounded factors; 3 for x > 0); gammaln float64 is 3 where |gammaln| >= 1
# and counted in ulps of 1 below (next to its zeros only the absolute error is small, as in
# CPython and Cephes).
ULP_BOUND: dict[str, dict[type, int]] = {
    "exp": {np.float32: 1, np.float64: 1},
    "expm1": {np.float32: 1, np.float64: 2},
    "log": {np.float32: 1, np.float64: 1},
    "log1p": {np.float32: 1, np.float64: 1},
    "log2": {np.float32: 1, np.float64: 1},
    "tanh": {np.float32: 1, np.float64: 1},
    "sigmoid": {np.float32: 1, np.float64: 1},
    "erf": {np.float32: 1, np.float64: 2},
    "sin": {np.float32: 1, np.float64: 1},
    "cos": {np.float32: 1, np.float64: 1},
    "tan": {np.float32: 1, np.float64: 1},
    "pow": {np.float32: 1, np.float64: 1},
    "log10": {np.float32: 1, np.float64: 1},
    "arcsin": {np.float32: 1, np.float64: 1},
    "arccos": {np.float32: 1, np.float64: 1},
    "arctan": {np.float32: 1, np.float64: 1},
    "sinh": {np.float32: 1, np.float64: 1},
    "cosh": {np.float32: 1, np.float64: 1},
    "arcsinh": {np.float32: 1, np.float64: 1},
    "arccosh": {np.float32: 1, np.float64: 1},
    "arctanh": {np.float32: 1, np.float64: 1},
    "cbrt": {np.float32: 1, np.float64: 1},
    "erfinv": {np.float32: 1, np.float64: 5},
    "gamma": {np.float32: 1, np.float64: 5},
    "gammaln": {np.float32: 1, np.float64: 3},
}
#: (references computed element by element) only every k-th input is checked
SUBSAMPLE = {"erfinv": {np.float32: 40, np.float64: 10}, "gamma": {np.float32: 8},
             "gammaln": {np.float32: 8}}
# sin/cos/tan are only accurate below this |x| (three-part Cody-Waite reduction).
TRIG_RANGE = {np.float32: 2.0**17, np.float64: 2.0**45}
# long double with a 64-bit mantissa makes the float64 reference exact enough; otherwise
# (e.g. on Windows) allow one more ulp for the error of the reference itself.
REF_SLACK64 = 0 if np.finfo(np.longdouble).nmant >= 60 else 1

# ---- building and running kernels ------------------------------------------------------------

llvm.initialize_native_target()
llvm.initialize_native_asmprinter()


def _target_machine() -> llvm.TargetMachine:
    target = llvm.Target.from_default_triple()
    return target.create_target_machine(cpu=llvm.get_host_cpu_name(),
                                        features=llvm.get_host_cpu_features().flatten(), opt=3)


def _add_kernel(module: ir.Module, name: str, fn: str, ty: ir.Type) -> None:
    """void name(T *x, [T *y,] T *out, i64 n): out[i] = fn(x[i] [, y[i]])."""
    nin = 2 if fn in BINARY_MATH else 1
    func = ir.Function(module, ir.FunctionType(ir.VoidType(), [PTR] * (nin + 1) + [I64]),
                       name=name)
    for a in func.args[:-1]:
        a.add_attribute("noalias")
    *ins, out, n = func.args
    entry, loop, done = (func.append_basic_block(s) for s in ("entry", "loop", "done"))
    b = ir.IRBuilder(entry)
    b.cbranch(b.icmp_signed(">", n, ir.Constant(I64, 0)), loop, done)
    b.position_at_end(loop)
    i = b.phi(I64)
    i.add_incoming(ir.Constant(I64, 0), entry)
    vals = [b.load(b.gep(p, [i], source_etype=ty), typ=ty) for p in ins]
    if nin == 2:
        r = emit_binary_math(b, fn, vals[0], vals[1])
    else:
        r = emit_unary_math(b, fn, vals[0])
    b.store(r, b.gep(out, [i], source_etype=ty))
    i_next = b.add(i, ir.Constant(I64, 1))
    i.add_incoming(i_next, loop)
    b.cbranch(b.icmp_signed("<", i_next, n), loop, done)
    b.position_at_end(done)
    b.ret_void()


def _optimise(ir_text: str, tm: llvm.TargetMachine) -> llvm.ModuleRef:
    mod = llvm.parse_assembly(ir_text)
    mod.verify()
    pto = llvm.create_pipeline_tuning_options(speed_level=3)
    pto.loop_vectorization = True
    pto.slp_vectorization = True
    pb = llvm.create_pass_builder(tm, pto)
    pb.getModulePassManager().run(mod, pb)
    return mod


def _kname(fn: str, dt: type) -> str:
    return f"k_{fn}_{np.dtype(dt).name}"


class Kernels:
    """All (function, dtype) kernels, compiled in one module by one MCJIT engine."""

    def __init__(self) -> None:
        self.tm = _target_machine()
        module = ir.Module(name="llvm_math_test")
        module.triple = llvm.get_process_triple()
        for fn in sorted(UNARY_MATH | BINARY_MATH):
            for dt in (np.float32, np.float64):
                _add_kernel(module, _kname(fn, dt), fn, LLTYPE[dt])
        self.mod = _optimise(str(module), self.tm)
        self.engine = llvm.create_mcjit_compiler(self.mod, self.tm)
        self.engine.finalize_object()

    def __call__(self, fn: str, *args: np.ndarray) -> np.ndarray:
        dt = args[0].dtype.type
        args = tuple(np.ascontiguousarray(a, dtype=dt) for a in np.broadcast_arrays(*args))
        out = np.empty_like(args[0])
        addr = self.engine.get_function_address(_kname(fn, dt))
        cfn = ctypes.CFUNCTYPE(None, *([ctypes.c_void_p] * (len(args) + 1)), ctypes.c_int64)(addr)
        cfn(*(a.ctypes.data for a in args), out.ctypes.data, out.size)
        return out


@pytest.fixture(scope="module")
def kernels() -> Kernels:
    return Kernels()


# ---- references and error measure ------------------------------------------------------------


@np.errstate(all="ignore")
def _erf_ref(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float64)
    out = np.where(np.abs(x) < 1e-300, x * (2 / math.sqrt(math.pi)), np.sign(x))
    mid = (np.abs(x) >= 1e-300) & (np.abs(x) < 6.5)
    out[mid] = np.vectorize(math.erf, otypes=[np.float64])(x[mid])
    out[np.isnan(x)] = np.nan
    return out


def _sigmoid_ref(x: np.ndarray) -> np.ndarray:
    return np.where(x < 0, np.exp(x) / (1 + np.exp(x)), 1 / (1 + np.exp(-x)))


_LD = np.longdouble
_PI_LD = _LD("3.14159265358979323846264338327950288")
# Stirling: lgamma(z) = (z - 1/2) log z - z + log(2 pi) / 2 + sum c_k z^(1 - 2k), z >= 20
_STIRLING = ("1/12", "-1/360", "1/1260", "-1/1680", "1/1188", "-691/360360", "1/156",
             "-3617/122400")


def _lgamma_ld(z: np.ndarray) -> np.ndarray:
    """log gamma(z) in long double for z > 0 (shifted up to 20 by the recurrence)."""
    shift = np.ceil(np.maximum(20 - z, 0))
    prod = np.ones_like(z)
    for k in range(int(shift.max(initial=0))):
        prod = np.where(k < shift, prod * (z + k), prod)
    u = z + shift
    inv2 = 1 / (u * u)
    series = np.zeros_like(u)
    for c in reversed(_STIRLING):
        num, den = c.split("/")
        series = series * inv2 + _LD(num) / _LD(den)
    two_pi = 2 * _PI_LD
    return (u - _LD(0.5)) * np.log(u) - u + np.log(two_pi) / 2 + series / u - np.log(prod)


@np.errstate(all="ignore")
def _gamma_refs(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(gamma, gammaln) of float64 x in long double, with the reflection for x < 1/2 (its
    sin(pi x) from the exact reduction x - round(x)) and C99's poles."""
    x = x.astype(_LD)
    neg = x < 0.5
    z = np.where(neg, 1 - x, x)
    z = np.where(np.isfinite(z) & (z > 0), z, _LD(1))
    lg = _lgamma_ld(z)
    r = x - np.round(x)
    s = np.sin(_PI_LD * r) * np.where(np.mod(np.round(x), 2) == 0, 1, -1)  # sin(pi x)
    g = np.where(neg, _PI_LD / (s * np.exp(lg)), np.exp(lg))
    lg = np.where(neg, np.log(_PI_LD) - np.log(np.abs(s)) - lg, lg)
    pole = (x <= 0) & (x == np.floor(x))
    g = np.where(pole | (x == -np.inf), np.nan, np.where(x == np.inf, np.inf, g))
    g = np.where(x == 0, np.copysign(_LD(np.inf), x), g)
    lg = np.where(pole | np.isinf(x), np.inf, lg)
    nan = np.isnan(x)
    return np.where(nan, np.nan, g), np.where(nan, np.nan, lg)


def _reference(fn: str, dt: type, *args: np.ndarray) -> np.ndarray:
    """Correctly rounded fn(*args) in dtype dt (to the accuracy of the reference)."""
    if fn == "erf":
        return _erf_ref(args[0]).astype(dt)
    with np.errstate(all="ignore"):  # (signalling NaNs among the inputs)
        if fn == "erfinv":
            return special.erfinv(args[0].astype(np.float64)).astype(dt)
        if fn in ("gamma", "gammaln"):
            return _gamma_refs(args[0].astype(np.float64))[fn == "gammaln"].astype(dt)
    wide = np.float64 if dt is np.float32 else np.longdouble
    with np.errstate(all="ignore"):  # signalling NaNs, overflow to inf: all intended
        a = [v.astype(wide) for v in args]
        table = {
            "exp": np.exp, "expm1": np.expm1, "log": np.log, "log1p": np.log1p,
            "log2": np.log2, "tanh": np.tanh, "sigmoid": _sigmoid_ref, "sin": np.sin,
            "cos": np.cos, "tan": np.tan, "pow": np.power, "log10": np.log10,
            "arcsin": np.arcsin, "arccos": np.arccos, "arctan": np.arctan, "sinh": np.sinh,
            "cosh": np.cosh, "arcsinh": np.arcsinh, "arccosh": np.arccosh,
            "arctanh": np.arctanh, "cbrt": np.cbrt,
        }
        return table[fn](*a).astype(dt)


def _ordered(v: np.ndarray) -> np.ndarray:
    """Float bits mapped to integers that are monotonic in the float value (+0 == -0)."""
    it = np.int32 if v.dtype == np.float32 else np.int64
    i = v.view(it).astype(np.int64)
    return np.where(i < 0, np.iinfo(it).min - i, i)


def ulp_error(got: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """ulp distance; inf where NaN-ness or an infinity differs, so those can never pass."""
    d = np.abs(_ordered(got) - _ordered(ref)).astype(np.float64)
    nan_g, nan_r = np.isnan(got), np.isnan(ref)
    d[nan_g & nan_r] = 0
    d[nan_g != nan_r] = np.inf
    inf_mismatch = (np.isinf(got) | np.isinf(ref)) & (got != ref) & ~(nan_g | nan_r)
    d[inf_mismatch] = np.inf
    return d


# ---- inputs ----------------------------------------------------------------------------------


def _f32_inputs(fn: str, rng: np.random.Generator) -> np.ndarray:
    # every 1031st bit pattern: ~4.2M points spread over all exponents and signs
    sweep = np.arange(0, 2**32, 1031, dtype=np.uint64).astype(np.uint32).view(np.float32)
    dense = [rng.uniform(-lim, lim, 200_000).astype(np.float32)
             for lim in (1.0, 4.0, 20.0, 120.0)]
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 1.17549435e-38,
                        88.72283, 88.72284, 88.7229, -87.33655, -103.97207, -103.97208,
                        -104.0, 0.6931472, -0.6931472, 1.0, -1.0, 3.9192, 0.625, 9.0],
                       dtype=np.float32)
    x = np.concatenate([sweep, *dense, special])
    if fn in ("log", "log1p", "log2"):
        x = np.concatenate([x, rng.uniform(0.5, 2.0, 200_000).astype(np.float32),
                            rng.uniform(-1.0, -0.99, 50_000).astype(np.float32)])
    return np.concatenate([x, *_domain_inputs(fn, np.float32, rng, 100_000)])


def _f64_inputs(fn: str, rng: np.random.Generator) -> np.ndarray:
    sweep = rng.integers(0, 2**64, 400_000, dtype=np.uint64).view(np.float64)
    dense = [rng.uniform(-lim, lim, 60_000) for lim in (1.0, 4.0, 40.0, 800.0)]
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324,
                        2.2250738585072014e-308, 709.782712893384, 709.7828, -708.39641853,
                        -745.1332191, -745.1333, 0.6931471805599453, 1.0, -1.0, 5.92])
    x = np.concatenate([sweep, *dense, special])
    if fn in ("log", "log1p", "log2"):
        x = np.concatenate([x, rng.uniform(0.5, 2.0, 60_000), rng.uniform(-1.0, -0.99, 20_000)])
    return np.concatenate([x, *_domain_inputs(fn, np.float64, rng, 40_000)])


def _domain_inputs(fn: str, dt: type, rng: np.random.Generator, n: int) -> list[np.ndarray]:
    """Dense inputs where a function's domain or its algorithm's branches lie."""
    near_one = 1 - np.exp2(-rng.uniform(1, 54 if dt is np.float64 else 25, n))
    if fn in ("arcsin", "arccos", "arctanh", "erfinv"):
        parts = [rng.uniform(-1, 1, n), near_one, -near_one, rng.uniform(0.4, 0.6, n)]
    elif fn == "arccosh":
        parts = [1 / near_one, rng.uniform(1, 3, n)]
    elif fn == "arctan":  # around the reduction's interval ends 7/16, 11/16, 19/16, 39/16
        parts = [rng.uniform(0.3, 2.6, n), -rng.uniform(0.3, 2.6, n)]
    elif fn in ("sinh", "cosh"):
        top = 89.5 if dt is np.float32 else 710.5
        parts = [rng.uniform(-2, 2, n), rng.uniform(top - 2, top, n)]
    elif fn in ("gamma", "gammaln"):
        top = 40 if dt is np.float32 else 190
        parts = [rng.uniform(-top, top, n), rng.uniform(0, 5, n), rng.uniform(-5, 0, n)]
    else:
        parts = []
    return [p.astype(dt) for p in parts]


def _pow_inputs(dt: type, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n = 400_000 if dt is np.float32 else 200_000
    x = np.exp2(rng.uniform(-130, 130, n)) * rng.choice([-1.0, 1.0], n)
    y = rng.uniform(-3, 3, n)
    # exponents that take the result near overflow/underflow, where log|x| must be precise
    x2 = np.exp2(rng.uniform(-60, 60, n))
    y2 = rng.uniform(-1, 1, n) * (120 if dt is np.float32 else 1000) / np.maximum(
        np.abs(np.log2(x2)), 1e-3)
    xi = rng.uniform(-10, 10, n // 4)
    yi = rng.integers(-40, 40, n // 4).astype(np.float64)  # negative bases, integer y
    xs = np.concatenate([x, x2, xi, rng.uniform(0.9, 1.1, n // 4)])
    ys = np.concatenate([y, y2, yi, rng.uniform(-1e4, 1e4, n // 4)])
    with np.errstate(over="ignore"):  # |x| beyond the float32 range becomes inf, on purpose
        return xs.astype(dt), ys.astype(dt)


# ---- accuracy --------------------------------------------------------------------------------

RESULTS: dict[tuple[str, str], float] = {}


def _check(fn: str, dt: type, err: np.ndarray, where: np.ndarray) -> None:
    bound = ULP_BOUND[fn][dt] + (REF_SLACK64 if dt is np.float64 else 0)
    worst = int(np.argmax(err))
    RESULTS[(fn, np.dtype(dt).name)] = float(err.max())
    print(f"\n{fn:8s} {np.dtype(dt).name:8s} max ulp {err.max():g} (bound {bound})", end="")
    assert err.max() <= bound, f"{fn} {np.dtype(dt).name}: {err.max()} ulp at {where[worst]!r}"


@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("fn", sorted(UNARY_MATH))
def test_unary_accuracy(kernels: Kernels, fn: str, dt: type) -> None:
    rng = np.random.default_rng(1234)
    x = _f32_inputs(fn, rng) if dt is np.float32 else _f64_inputs(fn, rng)
    x = x[::SUBSAMPLE.get(fn, {}).get(dt, 1)]
    got = kernels(fn, x)
    ref = _reference(fn, dt, x)
    err = ulp_error(got, ref)
    if fn == "gammaln":  # in ulps of 1 where |gammaln| < 1 (next to its zeros)
        with np.errstate(invalid="ignore"):
            absolute = np.abs(got.astype(np.float64) - ref) / float(np.finfo(dt).eps)
        err = np.where(np.abs(ref) < 1, np.minimum(err, absolute), err)
    if fn in ("sin", "cos", "tan"):
        # outside the accurate range only finite results (in [-1, 1] for sin/cos) are promised
        far = np.abs(x) >= TRIG_RANGE[dt]
        far_finite = got[far & np.isfinite(x)]
        assert np.isfinite(far_finite).all()
        assert fn == "tan" or (np.abs(far_finite) <= 1).all()
        err = np.where(far, 0, err)
    _check(fn, dt, err, x)


@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=["f32", "f64"])
def test_pow_accuracy(kernels: Kernels, dt: type) -> None:
    x, y = _pow_inputs(dt, np.random.default_rng(99))
    got = kernels("pow", x, y)
    err = ulp_error(got, _reference("pow", dt, x, y))
    _check("pow", dt, err, np.stack([x, y], axis=1))


# ---- special values --------------------------------------------------------------------------

INF, NAN = math.inf, math.nan
SPECIAL: dict[str, list[tuple[float, float]]] = {
    "exp": [(0.0, 1.0), (-0.0, 1.0), (INF, INF), (-INF, 0.0), (NAN, NAN), (1000.0, INF),
            (-1000.0, 0.0), (1.0, math.e)],
    "expm1": [(0.0, 0.0), (-0.0, -0.0), (INF, INF), (-INF, -1.0), (NAN, NAN), (1000.0, INF),
              (-1000.0, -1.0)],
    "log": [(1.0, 0.0), (0.0, -INF), (-0.0, -INF), (INF, INF), (-INF, NAN), (-1.0, NAN),
            (NAN, NAN), (2.0, math.log(2.0))],
    "log1p": [(0.0, 0.0), (-0.0, -0.0), (-1.0, -INF), (-2.0, NAN), (INF, INF), (-INF, NAN),
              (NAN, NAN)],
    "log2": [(1.0, 0.0), (8.0, 3.0), (0.5, -1.0), (0.0, -INF), (-1.0, NAN), (INF, INF),
             (NAN, NAN)],
    "tanh": [(0.0, 0.0), (-0.0, -0.0), (INF, 1.0), (-INF, -1.0), (NAN, NAN), (50.0, 1.0),
             (-50.0, -1.0)],
    "sigmoid": [(0.0, 0.5), (-0.0, 0.5), (INF, 1.0), (-INF, 0.0), (NAN, NAN), (1000.0, 1.0),
                (-1000.0, 0.0)],
    "erf": [(0.0, 0.0), (-0.0, -0.0), (INF, 1.0), (-INF, -1.0), (NAN, NAN), (10.0, 1.0),
            (-10.0, -1.0)],
    "sin": [(0.0, 0.0), (-0.0, -0.0), (INF, NAN), (-INF, NAN), (NAN, NAN)],
    "cos": [(0.0, 1.0), (-0.0, 1.0), (INF, NAN), (-INF, NAN), (NAN, NAN)],
    "tan": [(0.0, 0.0), (-0.0, -0.0), (INF, NAN), (-INF, NAN), (NAN, NAN)],
    "log10": [(1.0, 0.0), (10.0, 1.0), (1000.0, 3.0), (1e-5, -5.0), (0.0, -INF), (-1.0, NAN),
              (INF, INF), (NAN, NAN)],
    "arcsin": [(0.0, 0.0), (-0.0, -0.0), (1.0, math.pi / 2), (-1.0, -math.pi / 2),
               (0.5, math.pi / 6), (1.5, NAN), (-INF, NAN), (NAN, NAN)],
    "arccos": [(1.0, 0.0), (-1.0, math.pi), (0.0, math.pi / 2), (-0.0, math.pi / 2),
               (0.5, math.pi / 3), (-0.5, 2 * math.pi / 3), (1.5, NAN), (INF, NAN), (NAN, NAN)],
    "arctan": [(0.0, 0.0), (-0.0, -0.0), (1.0, math.pi / 4), (INF, math.pi / 2),
               (-INF, -math.pi / 2), (1e30, math.pi / 2), (NAN, NAN)],
    "sinh": [(0.0, 0.0), (-0.0, -0.0), (INF, INF), (-INF, -INF), (1000.0, INF),
             (-1000.0, -INF), (NAN, NAN)],
    "cosh": [(0.0, 1.0), (-0.0, 1.0), (INF, INF), (-INF, INF), (-1000.0, INF), (NAN, NAN)],
    "arcsinh": [(0.0, 0.0), (-0.0, -0.0), (INF, INF), (-INF, -INF), (NAN, NAN)],
    "arccosh": [(1.0, 0.0), (0.5, NAN), (-1.0, NAN), (INF, INF), (-INF, NAN), (NAN, NAN)],
    "arctanh": [(0.0, 0.0), (-0.0, -0.0), (1.0, INF), (-1.0, -INF), (1.5, NAN), (INF, NAN),
                (NAN, NAN)],
    "cbrt": [(0.0, 0.0), (-0.0, -0.0), (8.0, 2.0), (-27.0, -3.0), (INF, INF), (-INF, -INF),
             (NAN, NAN)],
    "erfinv": [(0.0, 0.0), (-0.0, -0.0), (1.0, INF), (-1.0, -INF), (1.5, NAN), (-INF, NAN),
               (NAN, NAN)],
    # C99: poles at 0 (signed) and NaN at the negative integers; exact small factorials
    "gamma": [(0.0, INF), (-0.0, -INF), (-1.0, NAN), (-2.0, NAN), (INF, INF), (-INF, NAN),
              (1.0, 1.0), (5.0, 24.0), (11.0, 3628800.0), (0.5, math.sqrt(math.pi)),
              (1000.0, INF), (NAN, NAN)],
    "gammaln": [(1.0, 0.0), (2.0, 0.0), (3.0, math.log(2)), (0.0, INF), (-0.0, INF),
                (-1.0, INF), (INF, INF), (-INF, INF), (NAN, NAN)],
}
SPECIAL_POW: list[tuple[float, float, float]] = [
    (2.0, 0.0, 1.0), (NAN, 0.0, 1.0), (NAN, -0.0, 1.0), (1.0, NAN, 1.0), (1.0, INF, 1.0),
    (-1.0, INF, 1.0), (-1.0, -INF, 1.0), (-2.0, 3.0, -8.0), (-2.0, 2.0, 4.0), (-2.0, 0.5, NAN),
    (-2.0, -1.0, -0.5), (0.0, -1.0, INF), (-0.0, -1.0, -INF), (-0.0, -2.0, INF),
    (-0.0, 3.0, -0.0), (-0.0, 0.5, 0.0), (0.0, 2.0, 0.0), (0.0, -INF, INF), (0.5, INF, 0.0),
    (0.5, -INF, INF), (2.0, INF, INF), (2.0, -INF, 0.0), (INF, 2.0, INF), (INF, -2.0, 0.0),
    (-INF, 3.0, -INF), (-INF, -3.0, -0.0), (-INF, 2.0, INF), (-INF, 0.5, INF),
    (-INF, -0.5, 0.0), (NAN, 1.0, NAN), (2.0, NAN, NAN), (2.0, 1e4, INF), (2.0, -1e4, 0.0),
    (4.0, 0.5, 2.0),
]


def _same(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Equal including the sign of zero, NaN matching NaN; finite values to 1 ulp."""
    both_nan = np.isnan(got) & np.isnan(want)
    exact = (got == want) & (np.signbit(got) == np.signbit(want))
    close = np.isfinite(want) & (want != 0) & (ulp_error(got, want) <= 1)
    return both_nan | exact | close


@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("fn", sorted(SPECIAL))
def test_special_values(kernels: Kernels, fn: str, dt: type) -> None:
    x = np.array([p[0] for p in SPECIAL[fn]], dtype=dt)
    want = np.array([p[1] for p in SPECIAL[fn]], dtype=dt)
    got = kernels(fn, x)
    bad = ~_same(got, want)
    assert not bad.any(), f"{fn}: x={x[bad]} got {got[bad]} want {want[bad]}"


@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=["f32", "f64"])
def test_special_values_pow(kernels: Kernels, dt: type) -> None:
    x, y, want = (np.array(c, dtype=dt) for c in zip(*SPECIAL_POW))
    got = kernels("pow", x, y)
    bad = ~_same(got, want)
    assert not bad.any(), f"pow: x={x[bad]} y={y[bad]} got {got[bad]} want {want[bad]}"
    with np.errstate(all="ignore"):
        assert _same(got, np.power(x, y)).all()


def test_subnormals(kernels: Kernels) -> None:
    tiny32 = np.array([1e-45, 3e-42, 1e-39, 1.1754942e-38], dtype=np.float32)
    assert (ulp_error(kernels("log", tiny32), np.log(tiny32.astype(np.float64)).astype(
        np.float32)) <= 1).all()
    x = np.array([-100.0, -103.0, -90.0], dtype=np.float32)  # exp underflows to subnormals
    got = kernels("exp", x)
    assert (got > 0).all() and (got < 1.2e-38).all()
    assert (ulp_error(got, np.exp(x.astype(np.float64)).astype(np.float32)) <= 1).all()
    assert (kernels("sigmoid", x) > 0).all()
    tiny64 = np.array([5e-324, 1e-310, 2.2250738585072009e-308])
    assert (ulp_error(kernels("log", tiny64), np.log(tiny64.astype(np.longdouble)).astype(
        np.float64)) <= 1).all()


def test_interface() -> None:
    assert {"exp", "expm1", "log", "log1p", "tanh", "sigmoid", "erf", "sin", "cos",
            "tan", "log10", "arcsin", "arccos", "arctan", "sinh", "cosh", "arcsinh", "arccosh",
            "arctanh", "cbrt", "erfinv", "gamma", "gammaln"} <= UNARY_MATH
    assert "pow" in BINARY_MATH
    b = ir.IRBuilder(ir.Function(ir.Module(), ir.FunctionType(F32, [F32]), "f")
                     .append_basic_block())
    with pytest.raises(ValueError):
        emit_unary_math(b, "nope", b.function.args[0])
    with pytest.raises(TypeError):
        emit_unary_math(b, "exp", ir.Constant(ir.IntType(32), 1))


# ---- vectorisation ---------------------------------------------------------------------------


@pytest.mark.parametrize("fn", ["exp", "tanh", "arctan", "sinh", "arcsinh", "cbrt", "erfinv",
                                "gammaln"])
def test_loop_vectorises(fn: str) -> None:
    module = ir.Module(name="vec")
    module.triple = llvm.get_process_triple()
    _add_kernel(module, "k", fn, F32)
    text = str(_optimise(str(module), _target_machine()))
    assert re.search(r"<(4|8|16) x float>", text), text
    assert not re.search(r"@(expf|tanhf|exp|tanh)\b|@llvm\.exp", text)
    # no calls at all except to intrinsics (which lower to instructions)
    assert not re.search(r"call [^@]*@(?!llvm\.)", text)


def test_zz_summary() -> None:
    """Prints the table of measured max ulp errors (run with -s)."""
    if RESULTS:
        print("\nfunction  dtype     max ulp")
        for (fn, dt), e in sorted(RESULTS.items()):
            print(f"{fn:9s} {dt:9s} {e:g}")
