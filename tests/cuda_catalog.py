"""Programs whose kernels the CUDA tests render, compile, emulate and run on a GPU.

Each `Case` is a graph (output and input nodes) plus input arrays: every elementwise
primitive over every dtype it accepts (edge values: NaN, infinities, signed zeros, integer
extremes, x / 0), every cast, each reduction over each schedule the CUDA renderer picks
(thread, warp, block, two-stage, memory order), movement and indexing ops, random bits,
and composite programs through `mx.jit` (softmax, matmul epilogues, ...).

`check` says how results are compared with the NumPy meaning of the graph (`check_case`):
'exact' (equal; NaN where NaN), 'ulp' (one transcendental op: within `ULPS` of the float64
result rounded, since CUDA's libm, the host's and the CPU's inline polynomials differ
slightly), 'close' (float reductions and composite programs, whose rounding order differs:
relative to the float64 evaluation).
"""
from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import mxjit as mx
from mxjit.base import DTypeError
from mxjit.lower.cuda import cuda_symbol
from mxjit.lower.emit import Layout
from mxjit.lower.kernel import Kernel
from mxjit.lower.program import Program, lower_graph
from mxjit.trace import apply, evaluate
from mxjit.trace.elementwise import BITWISE, COMPARE, LOGICAL, UNARY_FLOAT
from mxjit.trace.graph import Node, const_value, toposort, var

nd = mx.nd
DTYPES = [np.dtype(n) for n in ("float32", "float64", "float16", "int8", "uint8", "int32",
                                "int64", "bool")]
ALL_DTYPES = DTYPES + [np.dtype("uint32")]
FLOATS = [d for d in DTYPES if d.kind == "f"]
NUMBERS = [d for d in DTYPES if d.kind != "b"]
TRANSCENDENTAL = {"exp", "expm1", "log", "log1p", "sin", "cos", "tan", "tanh", "sigmoid",
                  "erf", "pow", "rsqrt", "log2", "log10", "cbrt", "arcsin", "arccos", "arctan",
                  "sinh", "cosh", "arcsinh", "arccosh", "arctanh", "erfinv"}
#: compared 'close': lgamma is accurate to ulps of 1 only next to its zeros (CUDA's the least
#: between -11 and -2), and CUDA documents up to 10 ulp for tgamma.
CLOSE_TRANSCENDENTAL = {"gamma", "gammaln"}
#: ulps from the correctly rounded result that 'ulp' cases may be (CUDA documents <= 4 for
#: tanf and powf, <= 2 for the others; float16 is computed in float32, then rounded).
ULPS = {"float16": 1.0, "float32": 5.0, "float64": 5.0}
#: relative tolerance of 'close' cases, against the float64 evaluation.
RTOL = {"float16": 4e-3, "float32": 3e-5, "float64": 1e-12}


@dataclass
class Case:
    name: str
    outputs: list[Node]
    inputs: list[Node]
    arrays: list[np.ndarray]
    check: str = "exact"
    group: str = ""
    layouts: list[Layout] = field(default_factory=list)

    def lower(self, compile: Callable[[Kernel], Any] | None = None) -> Program:
        """The program (CPU-compiled kernels unless `compile` says otherwise)."""
        layouts = self.layouts or [Layout.of(a) for a in self.arrays]
        return lower_graph(self.outputs, self.inputs, layouts, compile)

    def kernels(self) -> list[Kernel]:
        """The kernel descriptions of the program, without compiling them for the CPU."""
        program = self.lower(compile=Uncompiled)
        return [k.kernel for k in program.kernels]

    def reference(self) -> list[np.ndarray]:
        """The outputs evaluated node by node with the primitives' NumPy meanings."""
        return numpy_eval(self.outputs, self.inputs, self.arrays)


@dataclass
class Uncompiled:
    """A kernel step that only carries its description (for rendering, not running)."""

    kernel: Kernel

    @property
    def symbol(self) -> str:
        return cuda_symbol(self.kernel)


def numpy_eval(outputs: list[Node], inputs: list[Node], arrays: list[np.ndarray]
               ) -> list[np.ndarray]:
    """Evaluate a graph node by node in NumPy (`Primitive.numpy_impl`)."""
    values: dict[Node, np.ndarray] = dict(zip(inputs, arrays))
    for n in toposort(outputs):
        if n in values:
            continue
        v = const_value(n)
        values[n] = v if v is not None else evaluate(n.op, [values[i] for i in n.inputs],
                                                     dict(n.attrs))
    return [np.asarray(values[o]) for o in outputs]


def special_values(dtype: np.dtype) -> np.ndarray:
    """Edge values of `dtype` (NaN, infinities, signed zeros, extremes, halves, int min/max)."""
    if dtype.kind == "b":
        return np.array([False, True])
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        vals = {0, 1, 2, 3, 7, int(info.max), int(info.max) - 1, int(info.min)}
        if dtype.kind == "i":
            vals |= {-1, -2, -3, -7, int(info.min) + 1}
        return np.array(sorted(vals), dtype)
    fi = np.finfo(dtype)
    vals = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, -2.5, 2.5, 3.0, -7.0, float(fi.max),
            -float(fi.max), float(fi.tiny), float(fi.smallest_subnormal), np.pi, 100.0,
            -100.0, 0.3, -12.25, float("inf"), float("-inf"), float("nan")]
    return np.array(vals, dtype)


def _pairs(dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    v = special_values(dtype)
    a, b = np.meshgrid(v, v, indexing="ij")
    return a.ravel().copy(), b.ravel().copy()


def _try(build: Callable[[], Node]) -> Node | None:
    try:
        return build()
    except DTypeError:
        return None


def elementwise_cases() -> list[Case]:
    """Every elementwise primitive over every dtype it accepts, on edge values."""
    cases = []
    unary = list(UNARY_FLOAT) + ["neg", "abs", "sign", "logical_not", "isnan", "invert"]
    binary = ["add", "sub", "mul", "div", "pow", "mod", "maximum", "minimum",
              *COMPARE, *LOGICAL, *BITWISE]
    for dtype in DTYPES:
        v = special_values(dtype)
        if dtype.kind == "f":  # a denser sweep for the transcendentals
            v = np.concatenate([v, np.linspace(-9, 9, 61).astype(dtype)])
        for op in unary:
            x = var(v.shape, dtype)
            out = _try(lambda op=op, x=x: apply(op, x))
            if out is not None:
                check = ("ulp" if op in TRANSCENDENTAL else
                         "close" if op in CLOSE_TRANSCENDENTAL else "exact")
                cases.append(Case(f"{op}-{dtype}", [out], [x], [v], check))
        a, b = _pairs(dtype)
        for op in binary:
            x, y = var(a.shape, dtype), var(b.shape, dtype)
            out = _try(lambda op=op, x=x, y=y: apply(op, x, y))
            if out is not None:
                check = "ulp" if op in TRANSCENDENTAL else "exact"
                cases.append(Case(f"{op}-{dtype}", [out], [x, y], [a, b], check))
        c = (np.arange(a.size) % 3 == 0)
        cn, xn, yn = var(c.shape, c.dtype), var(a.shape, dtype), var(b.shape, dtype)
        cases.append(Case(f"where-{dtype}", [apply("where", cn, xn, yn)], [cn, xn, yn],
                          [c, a, b]))
    for src, dst in itertools.product(ALL_DTYPES, ALL_DTYPES):
        v = special_values(src) if src != np.dtype("uint32") else np.array(
            [0, 1, 7, 2**31, 2**32 - 1], np.uint32)
        x = var(v.shape, src)
        cases.append(Case(f"cast-{src}-{dst}", [apply("cast", x, dtype=dst)], [x], [v]))
    return cases


def _reduce(op: str, x: Node, axis: int) -> Node:
    if op in ("argmax", "argmin"):
        return apply(op, x, axis=axis)
    return apply(f"reduce_{op}", x, axes=(axis,))


#: (shape, axis): thread / warp / block / two-stage (register order), memory order (thread,
#: block), and a reduction of a transposed view.
REDUCE_SHAPES = [((6, 7), 1), ((5, 300), 1), ((3, 3000), 1), ((1, 40000), 1), ((20, 9), 0),
                 ((300, 5), 0)]


def reduction_values(dtype: np.dtype, shape: tuple[int, ...], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if dtype.kind == "f":
        x = rng.standard_normal(shape).astype(dtype)
        if x.size > 40:  # ties, NaNs and infinities for max/argmax
            flat = x.reshape(-1)
            flat[3] = flat[10] = 7.0
            flat[-5] = -np.inf
        return x
    info = np.iinfo(dtype)
    lo, hi = max(int(info.min), -100), min(int(info.max), 100)
    return rng.integers(lo, hi + 1, size=shape).astype(dtype)


def reduction_cases(nan: bool = True) -> list[Case]:
    """Each reduction op over each numeric dtype and each schedule."""
    cases = []
    for op in ("sum", "prod", "max", "min", "argmax", "argmin"):
        for dtype in NUMBERS:
            for k, (shape, axis) in enumerate(REDUCE_SHAPES):
                arr = reduction_values(dtype, shape, k)
                if op == "prod" and dtype.kind == "f":
                    arr = (1 + arr / 64).astype(dtype)  # keep products finite
                x = var(shape, dtype)
                check = "close" if op in ("sum", "prod") and dtype.kind == "f" else "exact"
                cases.append(Case(f"{op}-{dtype}-{shape}-{axis}", [_reduce(op, x, axis)],
                                  [x], [arr], check))
    if nan:  # NaN: propagates through max, and argmax returns the first NaN
        for op in ("max", "min", "argmax", "argmin"):
            for shape, axis in REDUCE_SHAPES[:4]:
                arr = reduction_values(np.dtype("float32"), shape, 5)
                arr.reshape(-1)[[2, shape[1] // 2]] = np.nan
                x = var(shape, arr.dtype)
                cases.append(Case(f"{op}-nan-{shape}", [_reduce(op, x, axis)], [x], [arr]))
    # a reduction over a transposed (strided) input and over all axes
    t = np.random.default_rng(9).standard_normal((40, 33)).astype(np.float32).T
    x = var(t.shape, t.dtype)
    cases.append(Case("sum-transposed", [apply("reduce_sum", x, axes=(1,))], [x], [t], "close"))
    x = var((7, 11, 13), np.dtype(np.float32))
    full = np.random.default_rng(3).standard_normal((7, 11, 13)).astype(np.float32)
    cases.append(Case("sum-all", [apply("reduce_sum", x, axes=(0, 1, 2))], [x], [full], "close"))
    cases.append(Case("max-middle", [apply("reduce_max", x, axes=(1,))], [x], [full]))
    return cases


def movement_cases() -> list[Case]:
    """Movement and indexing ops as index maps, iota and random bits."""
    rng = np.random.default_rng(0)
    cases = []
    a = rng.standard_normal((4, 5, 6)).astype(np.float32)
    x = var(a.shape, a.dtype)
    cases.append(Case("transpose", [apply("cast", apply("transpose", x, perm=(2, 0, 1)),
                                          dtype=np.dtype("float16"))], [x], [a]))
    cases.append(Case("slice-flip", [apply("flip", apply(
        "slice", x, start=(1, 4, 0), stop=(4, 0, 6), step=(2, -1, 3)), axes=(0, 2))], [x], [a]))
    cases.append(Case("reshape", [apply("neg", apply("reshape", apply(
        "transpose", x, perm=(1, 0, 2)), shape=(10, 12)))], [x], [a]))
    cases.append(Case("broadcast", [apply("add", apply("broadcast_to", apply(
        "slice", x, start=(0, 0, 0), stop=(1, 5, 6), step=(1, 1, 1)), shape=(4, 5, 6)), x)],
        [x], [a]))
    pad_value = var((), np.dtype(np.float32))
    cases.append(Case("pad", [apply("pad", x, pad_value, low=(1, 0, 2), high=(0, 3, 1))],
                      [x, pad_value], [a, np.array(-1.5, np.float32)]))
    taps = rng.standard_normal((2, 2, 3, 5, 6)).astype(np.float32)
    t = var(taps.shape, taps.dtype)
    window = {"stride": (2, 1), "dilate": (1, 2), "pad": (1, 1)}
    cases.append(Case("window-slices", [apply("window_slices", t, pad_value, out=(3, 3),
                                              **window)], [t, pad_value],
                      [taps, np.array(-2.5, np.float32)]))
    cases.append(Case("window-spread", [apply("window_spread", apply(
        "slice", t, start=(0, 0, 0, 0, 0), stop=(2, 2, 3, 3, 3), step=(1, 1, 1, 1, 1)),
        size=(5, 6), **window)], [t], [taps]))
    b = rng.standard_normal((4, 3, 6)).astype(np.float32)
    y = var(b.shape, b.dtype)
    cases.append(Case("concat", [apply("concat", x, y, x, axis=1)], [x, y], [a, b]))
    idx = np.array([[0, 3], [-1, 9], [4, 2]], np.int64)
    i = var(idx.shape, idx.dtype)
    for mode in ("clip", "wrap"):
        cases.append(Case(f"take-{mode}", [apply("take", x, i, axis=1, mode=mode)], [x, i],
                          [a, idx]))
    i8 = np.array([1, 0, 3, 2, 2], np.int8)
    j = var(i8.shape, i8.dtype)
    cases.append(Case("take-int8-index", [apply("take", x, j, axis=2, mode="clip")], [x, j],
                      [a, i8]))
    for dtype in (np.float32, np.int64, np.uint8, np.float16):
        cases.append(Case(f"iota-{np.dtype(dtype)}", [apply(
            "iota", shape=(3, 70), axis=1, dtype=np.dtype(dtype))], [], []))
    key = np.array([0x12345678, 0x9ABCDEF0], np.uint32)
    k = var((2,), np.dtype(np.uint32))
    bits = apply("random_bits", k, shape=(3, 1000))
    cases.append(Case("random-bits", [bits], [k], [key]))
    unit = apply("mul", apply("cast", bits, dtype=np.dtype(np.float32)),
                 apply("broadcast_to", apply("cast", apply(
                     "iota", shape=(1,), axis=0, dtype=np.dtype(np.uint8)),
                     dtype=np.dtype(np.float32)), shape=(3, 1000)))
    cases.append(Case("random-fused", [unit], [k], [key]))
    # library ops that run on the host around GPU kernels (opaque primitives)
    g = rng.standard_normal((3, 4)).astype(np.float32)
    gi, ii = var(g.shape, g.dtype), var((3,), np.dtype(np.int64))
    scattered = apply("scatter_add", apply("exp", gi), ii, axis=0, mode="clip", size=5)
    cases.append(Case("scatter-add", [apply("mul", scattered, scattered)], [gi, ii],
                      [g, np.array([4, 0, 4], np.int64)], "close"))
    import mxjit.kernels.sort  # noqa: F401  (registers argsort)

    cases.append(Case("argsort", [apply("argsort", apply("neg", gi), axis=1, is_ascend=True,
                                        k=3)], [gi], [g]))
    m = (rng.standard_normal((5, 9)) > 0)
    mb = var(m.shape, m.dtype)
    u8 = rng.integers(0, 255, (5, 9)).astype(np.uint8)
    mu = var(u8.shape, u8.dtype)
    cases.append(Case("bool-uint8", [apply("where", apply("logical_xor", mb, apply(
        "gt", mu, apply("broadcast_to", apply("reshape", apply(
            "slice", mu, start=(0, 0), stop=(1, 1), step=(1, 1)), shape=()), shape=(5, 9)))),
        mu, apply("neg", mu))], [mb, mu], [m, u8]))
    return cases


def program_cases() -> list[Case]:
    """Composite programs traced through `mx.jit` (their random keys fixed)."""
    rng = np.random.default_rng(1)

    def f32(*shape: int) -> np.ndarray:
        return rng.standard_normal(shape).astype(np.float32)

    progs: list[tuple[str, Callable[..., Any], list[np.ndarray], str]] = [
        ("chain", lambda a, b, c, d: nd.relu(a * b + c) * nd.sigmoid(d) + nd.tanh(a),
         [f32(1000), f32(1000), f32(1000), f32(1000)], "close"),
        ("chain-f16", lambda a, b: nd.relu(a * b + 1) * nd.sigmoid(b),
         [f32(999).astype(np.float16), f32(999).astype(np.float16)], "close"),
        ("softmax", lambda a: nd.softmax(a), [f32(33, 300)], "close"),
        ("softmax-wide", lambda a: nd.softmax(a, axis=0), [f32(2000, 3)], "close"),
        ("log-softmax", lambda a: nd.log_softmax(a), [f32(8, 1500)], "close"),
        ("mean-var", lambda a: ((a - a.mean(axis=1, keepdims=True)) ** 2).mean(axis=1),
         [f32(16, 70)], "close"),
        ("dense-relu", lambda x, w, b: nd.relu(nd.dot(x, w) + b),
         [f32(8, 16), f32(16, 12), f32(12)], "close"),
        ("batch-dot", lambda x, y: nd.batch_dot(x, y) * 2, [f32(3, 4, 5), f32(3, 5, 2)], "close"),
        ("argmax-rows", lambda a: nd.argmax(a, axis=1), [f32(12, 500)], "exact"),
        ("one-hot", lambda i: nd.one_hot(i, 7) * 3,
         [np.array([0, 3, 6, 2], np.float32)], "exact"),
        ("clip-where", lambda a, b: nd.where(a > b, nd.clip(a, -0.5, 0.5), b * 2),
         [f32(7, 9), f32(7, 9)], "exact"),
        ("int64-arith", lambda a, b: (a * b + a) % (b + 3),
         [np.arange(-50, 50, dtype=np.int64), np.arange(100, dtype=np.int64)], "exact"),
        ("int8-sum", lambda a: a.sum(axis=0),
         [rng.integers(-100, 100, (50, 9)).astype(np.int8)], "exact"),
        ("uniform", lambda a: a + nd.random.uniform(shape=(4, 250)), [f32(4, 250)], "close"),
        ("normal", lambda a: a * nd.random.normal(shape=(1000,)), [f32(1000)], "close"),
        ("conv-pool-grad", mx.grad(lambda x, w: (nd.Pooling(nd.relu(nd.Convolution(
            x, w, kernel=(3, 3), pad=(1, 1), num_filter=4, no_bias=True)), kernel=(3, 3),
            stride=(2, 2), pool_type="max") ** 2).sum(), argnums=(0, 1)),
         [f32(2, 3, 7, 7), f32(4, 3, 3, 3)], "close"),
        ("depthwise-avg-pool", lambda x, w: nd.Pooling(nd.Convolution(
            x, w, kernel=(3, 3), stride=(2, 2), pad=(1, 1), num_filter=6, num_group=3,
            no_bias=True), kernel=(2, 2), stride=(1, 1), pool_type="avg"),
         [f32(2, 3, 9, 9), f32(6, 1, 3, 3)], "close"),
    ]
    cases = []
    for name, fn, arrays, check in progs:
        jf = mx.jit(fn)
        outs, _, _, ins = jf.trace(tuple(nd.array(a, dtype=a.dtype) for a in arrays), {})
        keys = [np.array([7 + k, 11 * k + 1], np.uint32) for k in range(len(ins) - len(arrays))]
        cases.append(Case(name, outs, ins, list(arrays) + keys, check))
    return cases


def all_cases() -> list[Case]:
    """The whole catalog, each case tagged with its `group`."""
    cases = []
    for group, make in (("elementwise", elementwise_cases), ("reduce", reduction_cases),
                        ("movement", movement_cases), ("program", program_cases)):
        for case in make():
            case.group = "cast" if case.name.startswith("cast-") else group
            cases.append(case)
    return cases


def _as64(a: np.ndarray) -> np.ndarray:
    return a.astype(np.float64) if a.dtype.kind == "f" else a


def reference(case: Case) -> list[np.ndarray]:
    """What `case` must compute: NumPy node by node ('exact'), or in float64 and rounded at
    the end ('ulp', 'close')."""
    if case.check == "exact":
        return case.reference()
    outs = numpy_eval(case.outputs, case.inputs, [_as64(a) for a in case.arrays])
    return [o.astype(n.dtype) if n.dtype.kind != "f" else o for o, n in zip(outs, case.outputs)]


def ordinal(x: np.ndarray) -> np.ndarray:
    """Floats as integers in their order (adjacent floats differ by 1; -0 == +0)."""
    bits = x.view({2: np.int16, 4: np.int32, 8: np.int64}[x.dtype.itemsize]).astype(np.int64)
    magnitude = bits & ((1 << (8 * x.dtype.itemsize - 1)) - 1)
    return np.where(bits < 0, -magnitude, magnitude)


def check_case(case: Case, got: list[np.ndarray], what: str = "") -> None:
    """Assert that `got` (a program's outputs for `case`) is what the case must compute."""
    refs = reference(case)
    assert len(got) == len(refs)
    for g, r, node in zip(got, refs, case.outputs):
        g = np.asarray(g)
        name = f"{what}{case.name}"
        assert g.dtype == node.dtype and g.shape == node.shape, (
            f"{name}: got {g.dtype}{g.shape}, expected {node.dtype}{node.shape}")
        if g.dtype.kind != "f":
            np.testing.assert_array_equal(g, r, err_msg=name)
            continue
        r = np.asarray(r)
        nan_g, nan_r = np.isnan(g), np.isnan(r)
        if case.check == "exact":
            ok = (g == r.astype(g.dtype)) | (nan_g & nan_r)
        elif case.check == "ulp":
            with np.errstate(all="ignore"):
                rounded = r.astype(g.dtype)
                far = np.abs(ordinal(g) - ordinal(rounded)) > ULPS[g.dtype.name]
            ok = (nan_g == nan_r) & (nan_g | ~far)
        else:
            with np.errstate(all="ignore"):
                err = np.abs(g.astype(np.float64) - r)
                # (equal to the rounded reference: also where that overflows, as gamma does)
                ok = (nan_g == nan_r) & (nan_g | (g == r.astype(g.dtype)) |
                                         (err <= RTOL[g.dtype.name] * (1 + np.abs(r))))
        if not ok.all():
            k = np.flatnonzero(~ok.reshape(-1))[:6]
            inputs = [a.reshape(-1)[k] for a in case.arrays if a.size == g.size]
            raise AssertionError(f"{name} ({case.check}): {int((~ok).sum())} of {g.size} "
                                 f"differ; at {k.tolist()} got {g.reshape(-1)[k]} expected "
                                 f"{r.reshape(-1)[k]} (inputs {inputs})")
