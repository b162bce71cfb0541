"""Inline, branch-free transcendental functions emitted into an llvmlite `IRBuilder`.

A call to libm (`expf`, `tanhf`, ...) or to `llvm.exp.*` stays a scalar call in the LLVM that
ships with llvmlite and stops the loop vectoriser. Everything here is therefore straight-line
arithmetic: Cody-Waite range reduction, polynomial kernels evaluated with `llvm.fma`, exponent
manipulation through integer bitcasts, and `select` for special values. The only intrinsics
used (`fma`, `fabs`, `floor`, `rint`, `copysign`) lower to plain vector instructions on x86.

float32 is computed in float32 (16 lanes per AVX-512 vector), except `pow`, whose
`y * log|x|` needs more than 24 bits and is done in float64, and arcsinh, arccosh, arctanh,
cbrt, erfinv, gamma and gammaln, whose float64 algorithms (double-word logarithms,
reflection formulas) also serve float32, rounded once. float64 `pow` carries `log|x|` as a
double-double. No fast-math flags are set, so NaN, infinities and signed zeros stay IEEE.

Accuracy, as the max distance in ulp from the correctly rounded result: float32 <= 1 ulp
for every function over the whole range (checked on every 13th of all 2^32 inputs), float64
<= 1 ulp except expm1 <= 2, erfinv <= 3, gammaln <= 3 and gamma <= 5 (<= 3 for x > 0), all
sampled across all binades against long double and mpmath; gammaln, like CPython's and
Cephes', is accurate to ulps of 1 rather than of the value next to its zeros (1, 2 and
between the negative poles). The test tests/lower/test_llvm_math.py holds the per-function
table (`ULP_BOUND`). Known limits:

* sin/cos/tan use a three-part Cody-Waite reduction by pi/2. They are accurate for
  |x| < 2**17 (float32) and |x| < 2**45 (float64). Beyond that the result is still finite
  (and in [-1, 1] for sin/cos) but not accurate; inf gives NaN.
* pow(x, y) whose exact result is representable (3.0 ** 2.0) comes out exact in practice
  (checked for integer |x| <= 20, 0 <= y <= 8), but is only guaranteed to 1 ulp.
* `llvm.fma` is assumed to be a hardware instruction (x86-64 since Haswell, AArch64). On a
  target without FMA it becomes a libm call: results stay the same, but the loop no longer
  vectorises.

Polynomial coefficients were fitted once (not at run time) by weighted least squares on
Chebyshev nodes in 50-digit arithmetic (mpmath), rounding the coefficients to the target
precision one at a time and refitting the rest; the weight makes the fit minimise the
relative error of the final function value rather than of the polynomial.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

from llvmlite import ir

__all__ = ["BINARY_MATH", "UNARY_MATH", "emit_binary_math", "emit_unary_math"]

_F32 = ir.FloatType()
_F64 = ir.DoubleType()
_I1 = ir.IntType(1)
_I32 = ir.IntType(32)

# ---- coefficients ----------------------------------------------------------------------------
# Each tuple is lowest degree first. The comment gives the approximated function, the interval
# and the polynomial variable; "fit" means the weighted least-squares fit described above.

# exp(r) = 1 + r + r^2 * Q(r), |r| <= ln2/2 (fit).
_EXP_Q = {
    32: (0.49999988, 0.16666514, 0.041669603, 0.008369482, 0.0013751017),
    64: (0.5, 0.16666666666666685, 0.04166666666666652, 0.008333333333315946,
         0.0013888888888971733, 0.00019841269898712865, 2.480158714841907e-05,
         2.755723278359432e-06, 2.75574228568013e-07, 2.5112698543642578e-08,
         2.0869698501793855e-09),
}
# expm1(r) = r + r^2/2 + r^3 * Q(r), |r| <= ln2/2 (fit).
_EXPM1_Q = {
    32: (0.16666666, 0.041666474, 0.008333566, 0.0013934184, 0.00019745364),
    64: (0.16666666666666677, 0.0416666666666666, 0.008333333333321414,
         0.0013888888888928291, 0.0001984126988670138, 2.4801587227907433e-05,
         2.7557243597880685e-06, 2.7557361310227897e-07, 2.5109262211577823e-08,
         2.0886910500875195e-09),
}
# float32: log1p(f) = f - f^2/2 + f^3 * P(f), f in [sqrt(1/2) - 1, sqrt(2) - 1] (fit; the
# same form as Cephes logf).
_LOG_P32 = (0.3333331, -0.25000015, 0.20002238, -0.16667749, 0.14217174, -0.12408799,
            0.11908105, -0.11663964, 0.0668901)
# float64: log1p(f) = 2 atanh(s), s = f / (2 + f), |s| <= 3 - 2 sqrt(2);
# 2 atanh(s) = 2s + s * z * T(z), z = s^2 (fit; the form of fdlibm/musl log).
_LOG_T64 = (0.6666666666666737, 0.3999999999939738, 0.2857142874602297, 0.22222198209402613,
            0.1818358309169255, 0.15313568964217067, 0.1480081467875877)
# float64 pow: 2 atanh(s) = 2s + (2/3) s^3 + s^5 * T2(z) to ~2^-66 relative (fit), so that
# log|x| can be carried as a double-double.
_POW_LOG_T2 = (0.40000000000002406, 0.28571428570036084, 0.22222222530264935,
               0.18181783524195114, 0.153867940230204, 0.1325600186032361, 0.1320361753037405)
# float32 pow, computed in float64 to ~2^-34: shorter versions of the two fits above.
_POW32_EXP_Q = (0.5000000080549564, 0.16666666156129073, 0.04166626208237721,
                0.008333429740328156, 0.0013946613129724747, 0.00019827789474365396)
_POW32_LOG_T = (0.6666666559669624, 0.4000034542814686, 0.28536675331288863,
                0.23594115286122902)
# sin(r) = r + r^3 * S(z), cos(r) = 1 - z/2 + z^2 * C(z), z = r^2, |r| <= pi/4 (fit).
_SIN_S = {
    32: (-0.16666667, 0.008333372, -0.00019849883, 2.7999947e-06),
    64: (-0.16666666666666666, 0.0083333333333331, -0.00019841269841057262,
         2.7557319129442582e-06, -2.5052086035241672e-08, 1.6056259377010433e-10,
         -7.485494624534584e-13),
}
_COS_C = {
    32: (0.041666646, -0.0013887306, 2.443165e-05),
    64: (0.04166666666666659, -0.0013888888888872312, 2.4801587288430034e-05,
         -2.755731406637371e-07, 2.0875686390922807e-09, -1.1357823982573252e-11),
}
# tanh(x) = x + x^3 * T(x^2), |x| < 0.625 (fit). Above that, tanh = e / (e + 2) with
# e = expm1(2|x|) >= 2.49, where the division no longer amplifies the error of e.
_TANH_SMALL = 0.625
_TANH_T = {
    32: (-0.33333278, 0.13331343, -0.053732213, 0.0206162, -0.005680648),
    64: (-0.33333333333332815, 0.133333333332577, -0.05396825392950821, 0.02186948754023301,
         -0.00886322057596447, 0.0035919860025634756, -0.0014549437090826372,
         0.000586269847726894, -0.00022847483384539412, 7.704757078310237e-05,
         -1.6027257714727486e-05),
}
# erf(x) = x + x * E(x^2) for |x| < 1 (fit, E(z) = erf(sqrt z)/sqrt z - 1).
_ERF_E = {
    32: (0.12837917, -0.37612626, 0.11283582, -0.026853587, 0.005187818, -0.00080052245,
         7.836217e-05),
    64: (0.12837916709551256, -0.37612638903183454, 0.11283791670942422,
         -0.026866170642893924, 0.005223977604631819, -0.0008548325867396044,
         0.00012055291923694104, -1.4924683408344833e-05, 1.6446802691148066e-06,
         -1.620396534737401e-07, 1.3701428985721456e-08, -7.762588909383106e-10),
}
# erf(t) = 1 - exp(-t^2 + H(t - c)) for 1 <= t <= t_max, H(t) = log(erfc t) + t^2 (fit,
# weighted by erfc(t): only the absolute error of 1 - erfc matters). Past t_max erf rounds to 1.
_ERF_H = {
    32: (-1.5568179, -0.35269332, 0.05611998, -0.010705275, 0.0024709983, -0.0001493851,
         0.00018684824),
    64: (-1.8624374021423915, -0.2660995882691505, 0.03324694553961348,
         -0.0052256589992388126, 0.0008736817704090025, -0.00014730822115861572,
         2.438345955048626e-05, -3.869752903532722e-06, 6.221241134973334e-07,
         -5.35562475242589e-08, 1.1071639958906998e-08, -1.6478131367249894e-08,
         -1.6173755952065613e-08, -8.828754200437549e-09, -3.068206205952288e-09,
         -6.673285867856973e-10, -8.593201603264919e-11, -4.792995020765134e-12),
}
_ERF_CENTER = {32: 2.5, 64: 3.5}
_ERF_TMAX = {32: 3.93, 64: 5.93}
# asin(s) = s + s * z * R(z), z = s^2 <= 1/4 (fit). |x| >= 1/2 uses the same interval through
# asin|x| = pi/2 - 2 asin(s), s = sqrt((1 - |x|) / 2).
_ASIN_R = {
    32: (0.16666752, 0.0749531, 0.04546902, 0.024185503, 0.042157013),
    64: (0.16666666666665408, 0.07500000000337068, 0.04464285682831547, 0.030381959136652398,
         0.02237175807227739, 0.01735970427532913, 0.013885241470805606, 0.012169166244876656,
         0.006528191471242363, 0.019527631788531195, -0.016223208681234554,
         0.031911527921225674),
}
# atan(u) = u + u * z * T(z), z = u^2, |u| <= 7/16 (fit). Larger |x| are reduced as in
# fdlibm: atan|x| = atan(c) + atan(u), u = (|x| - c) / (1 + c |x|) for c = 1/2, 1, 3/2, and
# pi/2 + atan(-1/|x|) beyond 39/16; each numerator |x| - c is exact in its interval.
_ATAN_T = {
    32: (-0.33333305, 0.19997782, -0.14230172, 0.10494109, -0.058256425),
    64: (-0.3333333333333292, 0.19999999999873747, -0.1428571427226648, 0.11111110395239628,
         -0.09090886879304161, 0.07691872291171707, -0.06661034568542082, 0.05833326550780184,
         -0.04975924279473802, 0.03651049434144857, -0.01626571959541873),
}
# (lower end of the interval, c, atan(c) as hi + lo); c = inf stands for u = -1/|x|.
_ATAN_STEPS = {
    32: ((7 / 16, 0.5, 0.46364760398864746, 5.01215868808913e-09),
         (11 / 16, 1.0, 0.7853981852531433, -2.1855694143368964e-08),
         (19 / 16, 1.5, 0.9827937483787537, -2.5131424052915463e-08),
         (39 / 16, float("inf"), 1.5707963705062866, -4.371138828673793e-08)),
    64: ((7 / 16, 0.5, 0.4636476090008061, 2.2698777452961687e-17),
         (11 / 16, 1.0, 0.7853981633974483, 3.061616997868383e-17),
         (19 / 16, 1.5, 0.982793723247329, 1.3903311031230998e-17),
         (39 / 16, float("inf"), 1.5707963267948966, 6.123233995736766e-17)),
}
# sinh(x) = x + x * z * S(z), z = x^2, |x| < 1.1 (fit); above, sinh comes from exp.
_SINH_SMALL = 1.1
_SINH_S = {
    32: (0.16666666, 0.008333398, 0.00019828421, 2.8541576e-06),
    64: (0.16666666666666669, 0.008333333333332861, 0.0001984126984163953,
         2.7557319091646994e-06, 2.5052133259927532e-08, 1.605650249148457e-10,
         7.780650415938653e-13),
}
# erfinv(x) = x * P(v), in float64 for both widths (fit, relative), after Giles: w =
# -log((1 - x)(1 + x)); v = w - 3.125 for w < 6.25, else v = sqrt(w) - 3.25 for sqrt(w) < 4,
# else v = sqrt(w) - 5.025 (up to 6.05, past the last float64 below 1). The float32 sets only
# need ~30 bits (their inputs stay below sqrt(w) = 4).
_ERFINV_CENTRAL = {
    32: (1.6536545624558432, 0.24015817881818147, -0.006033669367546245,
         -0.0007406917899760065, 0.00018673268040849208, -1.3891707741014555e-05,
         -1.3649593844867393e-06, 4.2688382166354656e-07, -2.9128851807419223e-08,
         -4.74238251399186e-09, 1.0518225265900241e-09, 5.302683675280428e-12,
         -1.3096822396601127e-11),
    64: (1.6536545626831027, 0.24015818242558826, -0.00603367087142769, -0.0007407025341538962,
         0.00018673420802408383, -1.3882523395920268e-05, -1.3654691842224888e-06,
         4.2347881921730697e-07, -2.907038291947304e-08, -4.112662065159152e-09,
         1.0512184584810424e-09, -5.41423558521023e-11, -1.2976974300773478e-11,
         2.6303458981675357e-12, -8.116728680098197e-14, -3.9988318509581004e-14,
         6.594380752118837e-15, -4.302697823295827e-17, -1.3001621203834936e-16,
         1.5771039809155096e-17, 1.1434783712408866e-18, -3.5799975955135876e-19,
         -9.92512694361522e-22, 3.3835911921674036e-21),
}
_ERFINV_MID = {
    32: (3.0838856062131974, 1.0052589866591286, 0.005371304652897805, -0.0037517073578705474,
         0.002485767653901547, -0.0016845206022540653, 0.0009822626119953546,
         -0.00036689882029571834, -3.709803794961516e-05, 8.589187398724111e-05),
    64: (3.0838856104922208, 1.0052589676941652, 0.005370914553547698, -0.0037512085082256085,
         0.002491442097897191, -0.0016882755351039296, 0.0009532893491944001,
         -0.000355037821692155, 2.403137752879033e-05, 6.82871948656952e-05,
         -4.731955841317465e-05, 1.2464621175913718e-05, 2.927362393634602e-06,
         -3.984471943769301e-06, 1.495975897713852e-06, -2.9780625685865752e-08,
         -2.688510268772123e-07, 1.3362494491034788e-07, -2.5586926882161563e-10,
         -1.6104363908440195e-08),
}
_ERFINV_TAIL = (4.875163823000273, 1.0102931304286784, -0.00015456464400254424,
                -0.00020755220216494687, 7.357695083425839e-05, -1.9015698648950843e-05,
                4.356202416421836e-06, -9.486903356230036e-07, 2.1459065734609112e-07,
                -6.07852922043998e-08, 2.5245207238807065e-08, -1.3099892967327898e-08,
                6.576050890962028e-09, -3.0062649286959983e-09, 1.3396029008525032e-09,
                -4.2530763873290596e-10, -8.588962838347198e-12, 3.820945266298245e-11)
# sin(pi r) = pi r + r * z * Q(z), z = r^2 <= 1/4 (fit), for the reflection formulas of gamma.
_SINPI_Q = (-5.167712780049969, 2.550164039877269, -0.599264529317766, 0.0821458865528188,
            -0.0073704303219091485, 0.0004662989058607248, -2.1901174244300733e-05,
            7.673901022902705e-07)
# Lanczos approximation (g = 6.024680040776729583740234375, 13 terms; Boost's lanczos13m53,
# also used by CPython's math.gamma): gamma(x) = L(x) (x + g - 1/2)^(x - 1/2) / e^(x + g - 1/2)
# with L = num / den, relative error < 3e-17 for x > 0. den is x (x + 1) ... (x + 11).
_LANCZOS_G = 6.024680040776729583740234375
_LANCZOS_NUM = (23531376880.41076, 42919803642.6491, 35711959237.35567, 17921034426.03721,
                6039542586.352028, 1439720407.3117216, 248874557.86205417, 31426415.585400194,
                2876370.6289353725, 186056.26539522348, 8071.672002365816, 210.82427775157936,
                2.5066282746310002)
_LANCZOS_DEN = (0.0, 39916800.0, 120543840.0, 150917976.0, 105258076.0, 45995730.0,
                13339535.0, 2637558.0, 357423.0, 32670.0, 1925.0, 66.0, 1.0)
# cbrt (FreeBSD/musl): a 5-bit estimate from the exponent bits (B1), a polynomial step to
# ~23 bits, then one Newton step in float64 (error <= 0.667 ulp).
_CBRT_B1 = 715094163  # (1023 - 1023/3 - 0.03306235651) * 2^20
_CBRT_P = (1.87595182427177009643, -1.88497979543377169875, 1.621429720105354466140,
           -0.758397934778766047437, 0.145996192886612446982)

# ---- constants -------------------------------------------------------------------------------
# Two- and three-part splits: hi is the constant rounded to the format, the next part is the
# rounded remainder. With an fma, n * hi is exact before the subtraction, so a Cody-Waite step
# x - n*hi is exact while n < 2^(mantissa bits).
_LN2 = {32: (0.6931472, -1.9046542e-09), 64: (0.6931471805599453, 2.3190468138462996e-17)}
_LOG2E = {32: (1.442695, 1.925963e-08), 64: (1.4426950408889634, 2.0355273740931033e-17)}
_PIO2 = {
    32: (1.5707964, -4.371139e-08, -1.7151245e-15),
    64: (1.5707963267948966, 6.123233995736766e-17, -1.4973849048591698e-33),
}
_TWO_OVER_PI = {32: 0.63661975, 64: 0.6366197723675814}
# ln2 with 42 significant bits, so k * hi is exact for the |k| < 2^11 of a float64 exponent.
_LN2_DD = (0.6931471805598903, 5.497923018708371e-14)
_TWO_THIRDS = (0.6666666666666666, 3.700743415417188e-17)
# exp clamps its argument here: above, the result overflows to inf; below, it rounds to 0.
_EXP_HI = {32: 89.0, 64: 710.0}
_EXP_LO = {32: -104.0, 64: -746.0}
# expm1 below this is -1 after rounding.
_EXPM1_LO = {32: -25.0, 64: -40.0}
# tanh(|x|) rounds to 1 beyond this.
_TANH_HI = {32: 9.5, 64: 20.0}
_LOG10E = {32: (0.4342945, -1.0103049952192578e-08),
           64: (0.4342944819032518, 1.098319650216765e-17)}
# log10(2) with its high part short enough that k * hi is exact for every exponent k.
_LOG10_2 = {32: (0.301025390625, 4.605039066518657e-06),
            64: (0.30102999566395283, 2.8363394551044964e-14)}
_PI = (3.141592653589793, 1.2246467991473532e-16)
_LOG_PI = 1.1447298858494002


# ---- emission context ------------------------------------------------------------------------


class _Ctx:
    """Builder plus the float type being emitted, with one-line helpers for the operations the
    emitters need. Integer work uses an integer type as wide as the float."""

    def __init__(self, b: ir.IRBuilder, ty: ir.Type) -> None:
        if ty == _F32:
            self.bits, self.mant, self.bias, self.suffix = 32, 23, 127, "f32"
        elif ty == _F64:
            self.bits, self.mant, self.bias, self.suffix = 64, 52, 1023, "f64"
        else:
            raise TypeError(f"llvm_math: expected float or double, got {ty}")
        self.b, self.ty = b, ty
        self.ity = ir.IntType(self.bits)

    # constants
    def c(self, v: float) -> ir.Constant:
        return ir.Constant(self.ty, float(v))

    def ic(self, v: int) -> ir.Constant:
        return ir.Constant(self.ity, v)

    def nan(self) -> ir.Constant:
        return self.c(float("nan"))

    def inf(self) -> ir.Constant:
        return self.c(float("inf"))

    # arithmetic
    def add(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.fadd(a, b)

    def sub(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.fsub(a, b)

    def mul(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.fmul(a, b)

    def div(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.fdiv(a, b)

    def neg(self, a: ir.Value) -> ir.Value:
        return self.b.fneg(a)

    def call(self, name: str, *args: ir.Value) -> ir.Value:
        full = f"llvm.{name}.{self.suffix}"
        fn = self.b.module.globals.get(full)
        if fn is None:
            fn = ir.Function(self.b.module, ir.FunctionType(self.ty, [self.ty] * len(args)),
                             name=full)
        return self.b.call(fn, list(args))

    def fma(self, a: ir.Value, b: ir.Value, c: ir.Value) -> ir.Value:
        return self.call("fma", a, b, c)

    def abs(self, a: ir.Value) -> ir.Value:
        return self.call("fabs", a)

    def floor(self, a: ir.Value) -> ir.Value:
        return self.call("floor", a)

    def rint(self, a: ir.Value) -> ir.Value:
        return self.call("rint", a)

    def copysign(self, mag: ir.Value, sign: ir.Value) -> ir.Value:
        return self.call("copysign", mag, sign)

    # comparisons and selection; ordered compares are false for NaN
    def lt(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.fcmp_ordered("<", a, b)

    def gt(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.fcmp_ordered(">", a, b)

    def eq(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.fcmp_ordered("==", a, b)

    def ne(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.fcmp_ordered("!=", a, b)

    def isnan(self, a: ir.Value) -> ir.Value:
        return self.b.fcmp_unordered("uno", a, a)

    def sel(self, cond: ir.Value, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.select(cond, a, b)

    def clamp(self, x: ir.Value, lo: float, hi: float) -> ir.Value:
        """x limited to [lo, hi]; NaN becomes lo, so that no NaN reaches an fptosi (poison)."""
        x = self.sel(self.gt(x, self.c(lo)), x, self.c(lo))
        return self.sel(self.lt(x, self.c(hi)), x, self.c(hi))

    # polynomials
    def horner(self, x: ir.Value, coefs: Sequence[float]) -> ir.Value:
        acc: ir.Value = self.c(coefs[-1])
        for k in reversed(coefs[:-1]):
            acc = self.fma(acc, x, self.c(k))
        return acc

    def estrin(self, x: ir.Value, coefs: Sequence[float]) -> ir.Value:
        """Same value as `horner` up to rounding, with a dependency chain of ~2 log2(n)
        operations instead of n fmas."""
        terms: list[ir.Value] = [self.c(k) for k in coefs]
        power = x
        while len(terms) > 1:
            pairs = [self.fma(terms[i + 1], power, terms[i]) for i in range(0, len(terms) - 1, 2)]
            if len(terms) % 2:
                pairs.append(terms[-1])
            terms = pairs
            if len(terms) > 1:
                power = self.mul(power, power)
        return terms[0]

    def poly(self, x: ir.Value, coefs: Sequence[float]) -> ir.Value:
        # A vectorised loop body of ~100 instructions leaves the out-of-order window room for
        # only a couple of iterations, so latency, not throughput, bounds it: long polynomials
        # use Estrin. All leading terms are kept outside these polynomials, so the slightly
        # different rounding of Estrin does not show in the result.
        return self.horner(x, coefs) if len(coefs) <= 4 else self.estrin(x, coefs)

    # integers and exponent manipulation
    def to_bits(self, x: ir.Value) -> ir.Value:
        return self.b.bitcast(x, self.ity)

    def from_bits(self, i: ir.Value) -> ir.Value:
        return self.b.bitcast(i, self.ty)

    def to_i32(self, x: ir.Value) -> ir.Value:
        """Float holding a small integer -> i32. i32 rather than i64 for float64 too, because
        AVX2 converts double <-> i32 vectors in one instruction but has no i64 conversions."""
        return self.b.fptosi(x, _I32)

    def from_i32(self, i: ir.Value) -> ir.Value:
        return self.b.sitofp(i, self.ty)

    def pow2(self, k: ir.Value) -> ir.Value:
        """2^k for an i32 k in the normal exponent range."""
        e = self.b.add(k, ir.Constant(_I32, self.bias))
        if self.bits == 64:
            e = self.b.sext(e, self.ity)
        return self.from_bits(self.b.shl(e, self.ic(self.mant)))

    def exponent_i32(self, bits: ir.Value) -> ir.Value:
        """The biased exponent field of positive float bits, as i32."""
        e = self.b.lshr(bits, self.ic(self.mant))
        return self.b.trunc(e, _I32) if self.bits == 64 else e

    def sign_bit(self, x: ir.Value) -> ir.Value:
        return self.b.and_(self.to_bits(x), self.ic(1 << (self.bits - 1)))


def _fast2sum(ctx: _Ctx, a: ir.Value, b: ir.Value) -> tuple[ir.Value, ir.Value]:
    """(s, e) with s + e == a + b exactly, given |a| >= |b| or a == 0."""
    s = ctx.add(a, b)
    return s, ctx.sub(b, ctx.sub(s, a))


def _two_sum(ctx: _Ctx, a: ir.Value, b: ir.Value) -> tuple[ir.Value, ir.Value]:
    """(s, e) with s + e == a + b exactly, for any magnitudes (Knuth)."""
    s = ctx.add(a, b)
    bb = ctx.sub(s, a)
    return s, ctx.add(ctx.sub(a, ctx.sub(s, bb)), ctx.sub(b, bb))


# ---- exp family ------------------------------------------------------------------------------


def _exp_reduce(ctx: _Ctx, x: ir.Value, xlo: ir.Value | None = None,
                q_coefs: Sequence[float] | None = None) -> tuple[ir.Value, ir.Value]:
    """(n as i32, e) with exp(x + xlo) = 2^n (1 + e), |e| < 0.42, for x already clamped to
    [_EXP_LO, _EXP_HI] (no NaN); xlo is a small finite correction carried from a
    double-double argument."""
    w = ctx.bits
    n = ctx.rint(ctx.mul(x, ctx.c(_LOG2E[w][0])))
    r = ctx.fma(ctx.neg(n), ctx.c(_LN2[w][0]), x)
    r = ctx.fma(ctx.neg(n), ctx.c(_LN2[w][1]), r)
    if xlo is not None:
        r = ctx.add(r, xlo)
    q = ctx.poly(r, _EXP_Q[w] if q_coefs is None else q_coefs)
    return ctx.to_i32(n), ctx.fma(ctx.mul(r, r), q, r)


def _scale_pow2(ctx: _Ctx, p: ir.Value, ni: ir.Value) -> ir.Value:
    """p * 2^n for an i32 n from below the subnormal range up to past the overflow threshold:
    2^n is applied as two factors that both stay normal, so the product rounds only once."""
    n1 = ctx.b.ashr(ni, ir.Constant(_I32, 1))
    n2 = ctx.b.sub(ni, n1)
    return ctx.mul(ctx.mul(p, ctx.pow2(n1)), ctx.pow2(n2))


def _exp_kernel(ctx: _Ctx, x: ir.Value, xlo: ir.Value | None = None,
                q_coefs: Sequence[float] | None = None) -> ir.Value:
    """exp(x + xlo) for x already clamped to [_EXP_LO, _EXP_HI] (see `_exp_reduce`)."""
    ni, e = _exp_reduce(ctx, x, xlo, q_coefs)
    return _scale_pow2(ctx, ctx.add(ctx.c(1.0), e), ni)


def _exp(ctx: _Ctx, x: ir.Value) -> ir.Value:
    w = ctx.bits
    y = _exp_kernel(ctx, ctx.clamp(x, _EXP_LO[w], _EXP_HI[w]))
    return ctx.sel(ctx.isnan(x), x, y)


def _expm1(ctx: _Ctx, x: ir.Value) -> ir.Value:
    w = ctx.bits
    xc = ctx.clamp(x, _EXPM1_LO[w], _EXP_HI[w])
    n = ctx.rint(ctx.mul(xc, ctx.c(_LOG2E[w][0])))
    r = ctx.fma(ctx.neg(n), ctx.c(_LN2[w][0]), xc)
    r = ctx.fma(ctx.neg(n), ctx.c(_LN2[w][1]), r)
    q = ctx.fma(r, ctx.poly(r, _EXPM1_Q[w]), ctx.c(0.5))
    e = ctx.fma(ctx.mul(r, r), q, r)  # expm1(r)
    # expm1(x) = 2^n e + (2^n - 1) = 2 (u e + (u - 1/2)) with u = 2^(n-1): u - 1/2 is exact
    # wherever the -1 is visible at all, the fma rounds once, and u stays finite at the
    # overflow end (n = 128 or 1024), where 2^n would not.
    ni = ctx.to_i32(n)
    u = ctx.pow2(ctx.b.sub(ni, ir.Constant(_I32, 1)))
    scaled = ctx.mul(ctx.c(2.0), ctx.fma(u, e, ctx.sub(u, ctx.c(0.5))))
    y = ctx.sel(ctx.b.icmp_signed("==", ni, ir.Constant(_I32, 0)), e, scaled)
    # the polynomial turns -0 into +0; x == 0 and NaN pass through unchanged
    keep = ctx.b.or_(ctx.eq(x, ctx.c(0.0)), ctx.isnan(x))
    return ctx.sel(keep, x, y)


def _sigmoid(ctx: _Ctx, x: ir.Value) -> ir.Value:
    # exp(-|x|) never overflows: for x < 0, e / (1 + e) keeps the subnormal tail that
    # 1 / (1 + exp(-x)) would flush to 0.
    w = ctx.bits
    e = _exp_kernel(ctx, ctx.clamp(ctx.neg(ctx.abs(x)), _EXP_LO[w], 0.0))
    num = ctx.sel(ctx.lt(x, ctx.c(0.0)), e, ctx.c(1.0))
    # num / (1 + e) with 1 + e kept unrounded (d + d_lo) and one correction step, so that
    # only the error of e itself remains (~1 ulp instead of ~2)
    d, d_lo = _fast2sum(ctx, ctx.c(1.0), e)
    inv = ctx.div(ctx.c(1.0), d)
    q = ctx.mul(num, inv)
    resid = ctx.fma(ctx.neg(q), d_lo, ctx.fma(ctx.neg(q), d, num))
    y = ctx.fma(resid, inv, q)
    return ctx.sel(ctx.isnan(x), x, y)


def _tanh(ctx: _Ctx, x: ir.Value) -> ir.Value:
    w = ctx.bits
    ax = ctx.abs(x)
    z = ctx.mul(ax, ax)
    small = ctx.fma(ctx.mul(ax, z), ctx.poly(z, _TANH_T[w]), ax)
    e = _expm1(ctx, ctx.mul(ctx.c(2.0), ctx.clamp(ax, 0.0, _TANH_HI[w])))
    large = ctx.div(e, ctx.add(e, ctx.c(2.0)))
    y = ctx.copysign(ctx.sel(ctx.lt(ax, ctx.c(_TANH_SMALL)), small, large), x)
    return ctx.sel(ctx.isnan(x), x, y)


def _erf(ctx: _Ctx, x: ir.Value) -> ir.Value:
    w = ctx.bits
    ax = ctx.abs(x)
    z = ctx.mul(ax, ax)
    small = ctx.fma(ax, ctx.poly(z, _ERF_E[w]), ax)
    t = ctx.clamp(ax, 1.0, _ERF_TMAX[w])
    h = ctx.poly(ctx.sub(t, ctx.c(_ERF_CENTER[w])), _ERF_H[w])
    # -t^2 + h rounded once; its absolute error becomes a relative error of erfc, which is
    # <= 0.16 here, so it is scaled down in 1 - erfc
    large = ctx.sub(ctx.c(1.0), _exp_kernel(ctx, ctx.fma(ctx.neg(t), t, h)))
    y = ctx.copysign(ctx.sel(ctx.lt(ax, ctx.c(1.0)), small, large), x)
    return ctx.sel(ctx.isnan(x), x, y)


# ---- log family ------------------------------------------------------------------------------


def _log_reduce(ctx: _Ctx, x: ir.Value) -> tuple[ir.Value, ir.Value]:
    """x = 2^k * m with m in [sqrt(1/2), sqrt(2)); returns (k as i32, m). Meaningful for
    positive finite x, subnormals included; garbage (but no poison) otherwise."""
    # subnormals are scaled into the normal range first
    tiny = ctx.lt(x, ctx.c(2.0 ** (1 - ctx.bias)))
    scale = ctx.mant + 2
    xs = ctx.sel(tiny, ctx.mul(x, ctx.c(2.0**scale)), x)
    kadj = ctx.b.select(tiny, ir.Constant(_I32, -scale), ir.Constant(_I32, 0))
    one = ctx.bias << ctx.mant  # bits of 1.0
    sqrt_half = 0x3F3504F3 if ctx.bits == 32 else 0x3FE6A09E667F3BCD
    # offsetting the bits moves the exponent boundary from 1.0 to sqrt(1/2)
    ix = ctx.b.add(ctx.to_bits(xs), ctx.ic(one - sqrt_half))
    k = ctx.b.sub(ctx.exponent_i32(ix), ir.Constant(_I32, ctx.bias))
    k = ctx.b.add(k, kadj)
    mbits = ctx.b.add(ctx.b.and_(ix, ctx.ic((1 << ctx.mant) - 1)), ctx.ic(sqrt_half))
    return k, ctx.from_bits(mbits)


def _log1p_f(ctx: _Ctx, f: ir.Value) -> ir.Value:
    """y with log1p(f) ~= f + y for f in [sqrt(1/2) - 1, sqrt(2) - 1], |y| << |f|."""
    z = ctx.mul(f, f)
    if ctx.bits == 32:
        return ctx.fma(ctx.mul(f, z), ctx.poly(f, _LOG_P32), ctx.mul(ctx.c(-0.5), z))
    # musl: log1p(f) = f - hfsq + s (hfsq + R), hfsq = f^2/2, R = z T(z), s = f / (2 + f)
    s = ctx.div(f, ctx.add(ctx.c(2.0), f))
    s2 = ctx.mul(s, s)
    r = ctx.mul(s2, ctx.poly(s2, _LOG_T64))
    hfsq = ctx.mul(ctx.c(0.5), z)
    return ctx.sub(ctx.mul(s, ctx.add(hfsq, r)), hfsq)


def _log_specials(ctx: _Ctx, x: ir.Value, y: ir.Value) -> ir.Value:
    y = ctx.sel(ctx.eq(x, ctx.inf()), x, y)
    y = ctx.sel(ctx.eq(x, ctx.c(0.0)), ctx.neg(ctx.inf()), y)
    return ctx.sel(ctx.b.fcmp_unordered("<", x, ctx.c(0.0)), ctx.nan(), y)


def _log_parts(ctx: _Ctx, u: ir.Value, eps: ir.Value | None) -> tuple[ir.Value, ...]:
    """(k, f, y): log(u + eps) ~= k ln2 + f + y; eps is a tiny correction (see `_log1p`)."""
    k, m = _log_reduce(ctx, u)
    f = ctx.sub(m, ctx.c(1.0))  # exact (Sterbenz)
    if eps is not None:
        # log(u + eps) = k ln2 + log(m + eps 2^-k). 2^-k is clamped to stay normal; where the
        # clamp bites (u near the top of the range), eps / u is far below the ulp anyway.
        kc = ctx.b.select(ctx.b.icmp_signed("<", k, ir.Constant(_I32, ctx.bias - 1)),
                          k, ir.Constant(_I32, ctx.bias - 1))
        f = ctx.fma(eps, ctx.pow2(ctx.b.neg(kc)), f)
    return ctx.from_i32(k), f, _log1p_f(ctx, f)


def _log_combine(ctx: _Ctx, kf: ir.Value, f: ir.Value, y: ir.Value) -> ir.Value:
    w = ctx.bits
    t = ctx.add(ctx.fma(kf, ctx.c(_LN2[w][1]), y), f)
    return ctx.fma(kf, ctx.c(_LN2[w][0]), t)


def _log(ctx: _Ctx, x: ir.Value) -> ir.Value:
    kf, f, y = _log_parts(ctx, x, None)
    return _log_specials(ctx, x, _log_combine(ctx, kf, f, y))


def _log2(ctx: _Ctx, x: ir.Value) -> ir.Value:
    w = ctx.bits
    kf, f, y = _log_parts(ctx, x, None)
    hi, lo = _LOG2E[w]
    t = ctx.fma(f, ctx.c(hi), ctx.fma(y, ctx.c(hi), ctx.mul(f, ctx.c(lo))))
    return _log_specials(ctx, x, ctx.add(t, kf))


def _log1p(ctx: _Ctx, x: ir.Value) -> ir.Value:
    # u = 1 + x rounds; eps = x - (u - 1) is that rounding error, exactly, and is fed into
    # the reduced argument so small x keep their full precision.
    u = ctx.add(ctx.c(1.0), x)
    eps = ctx.sub(x, ctx.sub(u, ctx.c(1.0)))
    eps = ctx.sel(ctx.lt(ctx.abs(u), ctx.inf()), eps, ctx.c(0.0))
    kf, f, y = _log_parts(ctx, u, eps)
    r = _log_specials(ctx, u, _log_combine(ctx, kf, f, y))
    return ctx.sel(ctx.b.or_(ctx.eq(x, ctx.c(0.0)), ctx.isnan(x)), x, r)


# ---- trigonometric ---------------------------------------------------------------------------


def _trig(ctx: _Ctx, x: ir.Value, which: str) -> ir.Value:
    w = ctx.bits
    ax = ctx.abs(x)
    finite = ctx.lt(ax, ctx.inf())
    ax = ctx.sel(finite, ax, ctx.c(0.0))
    n = ctx.rint(ctx.mul(ax, ctx.c(_TWO_OVER_PI[w])))
    p1, p2, p3 = _PIO2[w]
    nn = ctx.neg(n)
    r1 = ctx.fma(nn, ctx.c(p1), ax)  # exact
    if which == "tan":
        # tan(r) magnifies the relative error of r up to pi/2 times, so r is kept as r + r_lo
        w2 = ctx.mul(n, ctx.c(p2))
        r, r_lo = _two_sum(ctx, r1, ctx.neg(w2))
        r_lo = ctx.fma(nn, ctx.c(p3), ctx.sub(r_lo, ctx.fma(n, ctx.c(p2), ctx.neg(w2))))
        r, r_lo = _fast2sum(ctx, r, r_lo)
    else:
        r = ctx.fma(nn, ctx.c(p3), ctx.fma(nn, ctx.c(p2), r1))
    # only out of the accurate range can |r| exceed pi/4; keep the polynomials bounded there
    r = ctx.clamp(r, -0.8, 0.8)
    # quadrant n mod 4 computed in floating point: exact for every n, and no fptosi of a
    # value outside the i32 range (poison)
    quad = ctx.to_i32(ctx.fma(ctx.c(-4.0), ctx.floor(ctx.mul(n, ctx.c(0.25))), n))
    z = ctx.mul(r, r)
    # sin(r) = r + s_tail and cos(r) = one_hz + c_tail, each summed with one rounding;
    # tan needs them unrounded, as double-word pairs (fast2sum: the first part dominates)
    s_tail = ctx.mul(ctx.mul(r, z), ctx.poly(z, _SIN_S[w]))
    # 1 - z/2 rounds; (1 - one_hz) - z/2 recovers that rounding error exactly (fdlibm)
    hz = ctx.mul(ctx.c(0.5), z)
    one_hz = ctx.sub(ctx.c(1.0), hz)
    c_tail = ctx.fma(ctx.mul(z, z), ctx.poly(z, _COS_C[w]),
                     ctx.sub(ctx.sub(ctx.c(1.0), one_hz), hz))
    odd = ctx.b.trunc(quad, _I1)
    if which == "tan":
        # tan(r) = s / c, or -c / s in odd quadrants. One division gives q0; a correction
        # from the unrounded pairs fixes both the division's rounding and that of s and c.
        s_hi, s_lo = _fast2sum(ctx, r, s_tail)
        c_hi, c_lo = _fast2sum(ctx, one_hz, c_tail)
        # first-order terms of r_lo: sin(r + r_lo) ~ s + r_lo c, cos(r + r_lo) ~ c - r_lo s
        s_lo = ctx.fma(r_lo, one_hz, s_lo)
        c_lo = ctx.fma(ctx.neg(r_lo), r, c_lo)
        num_hi, num_lo = ctx.sel(odd, c_hi, s_hi), ctx.sel(odd, c_lo, s_lo)
        den_hi, den_lo = ctx.sel(odd, s_hi, c_hi), ctx.sel(odd, s_lo, c_lo)
        inv = ctx.div(ctx.c(1.0), den_hi)
        q0 = ctx.mul(num_hi, inv)
        resid = ctx.fma(ctx.neg(q0), den_hi, num_hi)
        resid = ctx.add(resid, ctx.fma(ctx.neg(q0), den_lo, num_lo))
        q = ctx.fma(resid, inv, q0)
        v = ctx.sel(odd, ctx.neg(q), q)
        flip: ir.Value = ir.Constant(_I32, 0)
    else:
        s = ctx.add(r, s_tail)
        c = ctx.add(one_hz, c_tail)
        if which == "sin":
            v = ctx.sel(odd, c, s)
            flip = ctx.b.and_(quad, ir.Constant(_I32, 2))  # 2 where the sign flips
        else:
            v = ctx.sel(odd, s, c)
            flip = ctx.b.and_(ctx.b.add(quad, ir.Constant(_I32, 1)), ir.Constant(_I32, 2))
    if ctx.bits == 64:
        flip = ctx.b.zext(flip, ctx.ity)
    sign = ctx.b.shl(flip, ctx.ic(ctx.bits - 2))
    if which != "cos":  # odd functions: the sign of x, which also gives sin(-0) = -0
        sign = ctx.b.xor(sign, ctx.sign_bit(x))
    y = ctx.from_bits(ctx.b.xor(ctx.to_bits(v), sign))
    return ctx.sel(finite, y, ctx.nan())


def _sin(ctx: _Ctx, x: ir.Value) -> ir.Value:
    return _trig(ctx, x, "sin")


def _cos(ctx: _Ctx, x: ir.Value) -> ir.Value:
    return _trig(ctx, x, "cos")


def _tan(ctx: _Ctx, x: ir.Value) -> ir.Value:
    return _trig(ctx, x, "tan")


# ---- pow -------------------------------------------------------------------------------------


def _log_dd(ctx: _Ctx, ax: ir.Value) -> tuple[ir.Value, ir.Value]:
    """log(ax) as a float64 double-double (hi, lo) with ~2^-64 relative error, for positive
    finite ax; 0 and inf give (-inf, 0) and (inf, 0), NaN gives (NaN, 0)."""
    k, m = _log_reduce(ctx, ax)
    kf = ctx.from_i32(k)
    f = ctx.sub(m, ctx.c(1.0))
    two = ctx.c(2.0)
    # s = f / (2 + f) as s + s_lo
    u = ctx.add(two, f)
    u_lo = ctx.sub(f, ctx.sub(u, two))
    s = ctx.div(f, u)
    res = ctx.fma(ctx.neg(s), u_lo, ctx.fma(ctx.neg(s), u, f))
    s_lo = ctx.div(res, u)
    # log m = 2s + 2 s_lo + (2/3) s^3 + s^5 T2(s^2); the s^3 term is formed in double-double
    z = ctx.mul(s, s)
    z_lo = ctx.fma(ctx.mul(two, s), s_lo, ctx.fma(s, s, ctx.neg(z)))
    c3 = ctx.mul(s, z)
    c3_lo = ctx.add(ctx.fma(s, z, ctx.neg(c3)), ctx.fma(s, z_lo, ctx.mul(s_lo, z)))
    th, tl = _TWO_THIRDS
    t3 = ctx.mul(c3, ctx.c(th))
    t3_lo = ctx.add(ctx.fma(c3, ctx.c(th), ctx.neg(t3)),
                    ctx.fma(c3, ctx.c(tl), ctx.mul(c3_lo, ctx.c(th))))
    tail = ctx.mul(ctx.mul(c3, z), ctx.poly(z, _POW_LOG_T2))
    hi, lo = _fast2sum(ctx, ctx.mul(two, s), t3)
    lo = ctx.add(lo, ctx.add(ctx.fma(two, s_lo, t3_lo), tail))
    # + k ln2, k ln2_hi exact; |k ln2| >= ln2 > |hi| unless k == 0
    hi, lo2 = _fast2sum(ctx, ctx.mul(kf, ctx.c(_LN2_DD[0])), hi)
    lo = ctx.add(lo2, ctx.fma(kf, ctx.c(_LN2_DD[1]), lo))
    hi, lo = _fast2sum(ctx, hi, lo)
    special = ctx.b.or_(ctx.b.fcmp_unordered("uno", ax, ax),
                        ctx.b.or_(ctx.eq(ax, ctx.c(0.0)), ctx.eq(ax, ctx.inf())))
    hi = ctx.sel(ctx.eq(ax, ctx.c(0.0)), ctx.neg(ctx.inf()), hi)
    hi = ctx.sel(ctx.eq(ax, ctx.inf()), ax, hi)
    hi = ctx.sel(ctx.isnan(ax), ax, hi)
    return hi, ctx.sel(special, ctx.c(0.0), lo)


def _exp_dd(ctx: _Ctx, hi: ir.Value, lo: ir.Value) -> ir.Value:
    w = ctx.bits
    inside = ctx.b.and_(ctx.gt(hi, ctx.c(_EXP_LO[w])), ctx.lt(hi, ctx.c(_EXP_HI[w])))
    y = _exp_kernel(ctx, ctx.clamp(hi, _EXP_LO[w], _EXP_HI[w]), ctx.sel(inside, lo, ctx.c(0.0)))
    return ctx.sel(ctx.isnan(hi), hi, y)


def _pow32_magnitude(ctx: _Ctx, x: ir.Value, y: ir.Value) -> ir.Value:
    """|x| ** y for float32. y * log|x| needs ~33 significant bits to keep the result within
    an ulp, so log and exp run in float64, with polynomials only as long as those bits need.
    The reduction of x stays in float32 (8 integer lanes)."""
    b = ctx.b
    c64 = _Ctx(b, _F64)
    ax = ctx.abs(x)
    k, m = _log_reduce(ctx, ax)
    f = b.fpext(ctx.sub(m, ctx.c(1.0)), _F64)
    s = c64.div(f, c64.add(c64.c(2.0), f))
    z = c64.mul(s, s)
    log1p_f = c64.fma(c64.mul(s, z), c64.poly(z, _POW32_LOG_T), c64.add(s, s))
    lg = _log_specials(c64, b.fpext(ax, _F64), c64.fma(c64.from_i32(k), c64.c(_LN2[64][0]),
                                                            log1p_f))
    t = c64.mul(b.fpext(y, _F64), lg)
    e = _exp_kernel(c64, c64.clamp(t, _EXP_LO[64], _EXP_HI[64]), q_coefs=_POW32_EXP_Q)
    return b.fptrunc(c64.sel(c64.isnan(t), t, e), _F32)


def _pow(ctx: _Ctx, x: ir.Value, y: ir.Value) -> ir.Value:
    b = ctx.b
    if ctx.bits == 32:
        mag = _pow32_magnitude(ctx, x, y)
    else:
        lhi, llo = _log_dd(ctx, ctx.abs(x))
        thi = ctx.mul(y, lhi)
        tlo = ctx.fma(y, llo, ctx.fma(y, lhi, ctx.neg(thi)))
        mag = _exp_dd(ctx, thi, tlo)
    # sign and special cases of C99 / NumPy pow
    y_int = ctx.eq(ctx.floor(y), y)  # true for +-inf too, which count as even
    hy = ctx.mul(y, ctx.c(0.5))
    y_odd = b.and_(y_int, ctx.ne(ctx.floor(hy), hy))
    x_neg = b.icmp_unsigned("!=", ctx.sign_bit(x), ctx.ic(0))
    r = ctx.sel(b.and_(x_neg, y_odd), ctx.neg(mag), mag)
    finite_neg = b.and_(ctx.lt(x, ctx.c(0.0)), ctx.gt(x, ctx.neg(ctx.inf())))
    r = ctx.sel(b.and_(finite_neg, b.not_(y_int)), ctx.nan(), r)
    # (-1) ** +-inf = 1; x ** 0 = 1 and 1 ** y = 1 even for NaN
    one = b.or_(b.or_(ctx.eq(y, ctx.c(0.0)), ctx.eq(x, ctx.c(1.0))),
                b.and_(ctx.eq(ctx.abs(x), ctx.c(1.0)), ctx.eq(ctx.abs(y), ctx.inf())))
    return ctx.sel(one, ctx.c(1.0), r)


# ---- log10 -----------------------------------------------------------------------------------


def _log10(ctx: _Ctx, x: ir.Value) -> ir.Value:
    w = ctx.bits
    kf, f, y = _log_parts(ctx, x, None)
    hi, lo = _LOG10E[w]
    k_hi, k_lo = _LOG10_2[w]
    t = ctx.fma(f, ctx.c(hi), ctx.fma(y, ctx.c(hi), ctx.fma(f, ctx.c(lo),
                                                              ctx.mul(kf, ctx.c(k_lo)))))
    return _log_specials(ctx, x, ctx.fma(kf, ctx.c(k_hi), t))


# ---- inverse trigonometric -------------------------------------------------------------------


def _asin_acos(ctx: _Ctx, x: ir.Value, which: str) -> ir.Value:
    """asin or acos from one polynomial on [0, 1/4]. Every path ends as (a + b) + c, with
    a + b kept exact (two-sum) and c a small correction, so the result rounds about once."""
    w = ctx.bits
    ax = ctx.abs(x)
    big = ctx.b.fcmp_unordered(">=", ax, ctx.c(0.5))  # (NaN takes this path and stays NaN)
    z_big = ctx.mul(ctx.c(0.5), ctx.sub(ctx.c(1.0), ax))  # exact for 1/2 <= |x| <= 1
    z = ctx.sel(big, z_big, ctx.mul(ax, ax))
    r = ctx.poly(z, _ASIN_R[w])
    # big: asin(s) = s + tail with s = sqrt(z); s_lo is the rounding error of the square root
    s = ctx.call("sqrt", z_big)
    s_lo = ctx.div(ctx.fma(ctx.neg(s), s, z_big), ctx.add(s, s))
    s_lo = ctx.sel(ctx.eq(s, ctx.c(0.0)), ctx.c(0.0), s_lo)
    two_s, tail2 = ctx.add(s, s), ctx.mul(ctx.c(2.0), ctx.fma(ctx.mul(s, z), r, s_lo))
    pio2_hi, pio2_lo = ctx.c(_PIO2[w][0]), ctx.c(_PIO2[w][1])
    if which == "asin":
        small = ctx.fma(ctx.mul(ax, z), r, ax)
        # pi/2 - 2 asin(s)
        hi, lo = _two_sum(ctx, pio2_hi, ctx.neg(two_s))
        y = ctx.add(hi, ctx.add(lo, ctx.sub(pio2_lo, tail2)))
        return ctx.copysign(ctx.sel(big, y, small), x)
    # acos: pi/2 - asin(x) for |x| < 1/2; 2 asin(s) for x >= 1/2; pi - 2 asin(s) below -1/2
    neg = ctx.lt(x, ctx.c(0.0))
    a = ctx.sel(big, ctx.sel(neg, ctx.c(2 * _PIO2[w][0]), ctx.c(0.0)), pio2_hi)
    b = ctx.sel(big, ctx.sel(neg, ctx.neg(two_s), two_s), ctx.neg(x))
    c_big = ctx.sel(neg, ctx.sub(ctx.c(2 * _PIO2[w][1]), tail2), tail2)
    c = ctx.sel(big, c_big, ctx.sub(pio2_lo, ctx.mul(ctx.mul(x, z), r)))
    hi, lo = _two_sum(ctx, a, b)
    return ctx.add(hi, ctx.add(lo, c))


def _asin(ctx: _Ctx, x: ir.Value) -> ir.Value:
    return _asin_acos(ctx, x, "asin")


def _acos(ctx: _Ctx, x: ir.Value) -> ir.Value:
    return _asin_acos(ctx, x, "acos")


def _atan(ctx: _Ctx, x: ir.Value) -> ir.Value:
    w = ctx.bits
    t = ctx.abs(x)
    # u = (a t - b) / (c t + d) and the base atan(c), chosen by interval (NaN keeps u = t)
    a, bb, cc, d = ctx.c(1.0), ctx.c(0.0), ctx.c(0.0), ctx.c(1.0)
    base_hi, base_lo = ctx.c(0.0), ctx.c(0.0)
    for lower, cv, hi, lo in _ATAN_STEPS[w]:
        inside = ctx.b.fcmp_ordered(">=", t, ctx.c(lower))
        if cv == float("inf"):  # -1 / t
            row = (0.0, 1.0, 1.0, 0.0)
        else:  # (t - c) / (1 + c t), scaled by 2 for c = 1/2 so that 2t - 1 stays exact
            k = 2.0 if cv == 0.5 else 1.0
            row = (k, k * cv, k * cv, k)
        a, bb, cc, d = (ctx.sel(inside, ctx.c(v), old) for v, old in zip(row, (a, bb, cc, d)))
        base_hi = ctx.sel(inside, ctx.c(hi), base_hi)
        base_lo = ctx.sel(inside, ctx.c(lo), base_lo)
    u = ctx.div(ctx.fma(a, t, ctx.neg(bb)), ctx.fma(cc, t, d))
    u = ctx.sel(ctx.eq(t, ctx.inf()), ctx.c(-0.0), u)  # (0 * inf in the numerator)
    z = ctx.mul(u, u)
    tail = ctx.mul(ctx.mul(u, z), ctx.poly(z, _ATAN_T[w]))
    y = ctx.add(base_hi, ctx.add(u, ctx.add(tail, base_lo)))
    return ctx.copysign(y, x)


# ---- hyperbolic ------------------------------------------------------------------------------


def _sinh_cosh(ctx: _Ctx, x: ir.Value, which: str) -> ir.Value:
    """From exp|x| = 2^n (1 + e): sinh or cosh |x| = 2^(n-1) (1 + (e -+ 2^-2n / (1 + e))),
    so that only the last addition rounds at the scale of the result; no overflow before
    the result itself overflows."""
    w = ctx.bits
    ax = ctx.abs(x)
    ni, e = _exp_reduce(ctx, ctx.clamp(ax, 0.0, _EXP_HI[w] + 1.0))
    p = ctx.add(ctx.c(1.0), e)
    # 2^-2n, clamped where it is far below an ulp of 1 (n >= 0 here)
    m = ctx.b.shl(ni, ir.Constant(_I32, 1))
    cap = ir.Constant(_I32, 2 * ctx.mant + 2)
    m = ctx.b.select(ctx.b.icmp_signed("<", m, cap), m, cap)
    other = ctx.div(ctx.pow2(ctx.b.neg(m)), p)
    inner = ctx.add(ctx.c(1.0), (ctx.sub if which == "sinh" else ctx.add)(e, other))
    big = _scale_pow2(ctx, inner, ctx.b.sub(ni, ir.Constant(_I32, 1)))
    if which == "cosh":
        return ctx.sel(ctx.isnan(x), x, big)
    z = ctx.mul(ax, ax)
    small = ctx.fma(ctx.mul(ax, z), ctx.poly(z, _SINH_S[w]), ax)
    y = ctx.copysign(ctx.sel(ctx.lt(ax, ctx.c(_SINH_SMALL)), small, big), x)
    return ctx.sel(ctx.isnan(x), x, y)


def _sinh(ctx: _Ctx, x: ir.Value) -> ir.Value:
    return _sinh_cosh(ctx, x, "sinh")


def _cosh(ctx: _Ctx, x: ir.Value) -> ir.Value:
    return _sinh_cosh(ctx, x, "cosh")


# ---- float64 cores, also used for float32 ----------------------------------------------------
# The functions below need more than 24 bits in intermediate steps (double-word logarithms,
# cancellations in the reflection formulas), so float32 goes through float64 and rounds once.

_Core = Callable[[_Ctx, ir.Value, int], ir.Value]


def _via_f64(core: _Core) -> Callable[[_Ctx, ir.Value], ir.Value]:
    """A unary emitter computing `core(ctx64, x, width)` in float64 for both widths."""
    def emit(ctx: _Ctx, x: ir.Value) -> ir.Value:
        if ctx.bits == 64:
            return core(ctx, x, 64)
        c64 = _Ctx(ctx.b, _F64)
        return ctx.b.fptrunc(core(c64, ctx.b.fpext(x, _F64), 32), _F32)

    return emit


def _sqrt_dd(c: _Ctx, hi: ir.Value, lo: ir.Value) -> tuple[ir.Value, ir.Value]:
    """sqrt(hi + lo) as s + s_lo (hi >= 0, |lo| <= ulp(hi)); (0, 0) for 0."""
    s = c.call("sqrt", hi)
    s_lo = c.div(c.add(c.fma(c.neg(s), s, hi), lo), c.add(s, s))
    return s, c.sel(c.eq(s, c.c(0.0)), c.c(0.0), s_lo)


def _log_of_dd(c: _Ctx, a: ir.Value, a_lo: ir.Value) -> ir.Value:
    """log(a + a_lo) for a >= 1 finite given as a double-word, rounded about once."""
    hi, lo = _log_dd(c, a)
    return c.add(hi, c.add(lo, c.div(a_lo, a)))


def _log_plus_ln2(c: _Ctx, ax: ir.Value) -> ir.Value:
    """log(ax) + ln2 (asinh and acosh of large arguments, where x^2 would overflow)."""
    hi, lo = _log_dd(c, ax)
    s, e = _fast2sum(c, hi, c.c(_LN2_DD[0]))
    return c.add(s, c.add(e, c.add(lo, c.c(_LN2_DD[1]))))


def _asinh_core(c: _Ctx, x: ir.Value, width: int) -> ir.Value:
    ax = c.abs(x)
    # log(|x| + sqrt(x^2 + 1)) with the argument carried as a double-word
    x2 = c.mul(ax, ax)
    u, u_lo = _two_sum(c, c.c(1.0), x2)
    s, s_lo = _sqrt_dd(c, u, c.add(u_lo, c.fma(ax, ax, c.neg(x2))))
    a, a_lo = _fast2sum(c, s, ax)
    mid = _log_of_dd(c, a, c.add(a_lo, s_lo))
    y = c.sel(c.gt(ax, c.c(2.0**28)), _log_plus_ln2(c, ax), mid)
    # asinh x = x (1 - x^2/6 ...) rounds to x; and inf to inf
    y = c.sel(c.b.or_(c.lt(ax, c.c(2.0**-26)), c.eq(ax, c.inf())), ax, y)
    return c.sel(c.isnan(x), x, c.copysign(y, x))


def _acosh_core(c: _Ctx, x: ir.Value, width: int) -> ir.Value:
    # log(x + sqrt(x^2 - 1)); x^2 - 1 is exact as a double-word, also next to 1
    x2 = c.mul(x, x)
    u, u_lo = _two_sum(c, x2, c.c(-1.0))
    s, s_lo = _sqrt_dd(c, u, c.add(u_lo, c.fma(x, x, c.neg(x2))))
    a, a_lo = _fast2sum(c, x, s)
    mid = _log_of_dd(c, a, c.add(a_lo, s_lo))
    y = c.sel(c.gt(x, c.c(2.0**28)), _log_plus_ln2(c, x), mid)
    y = c.sel(c.eq(x, c.inf()), x, y)
    return c.sel(c.b.fcmp_unordered("<", x, c.c(1.0)), c.nan(), y)


def _atanh_core(c: _Ctx, x: ir.Value, width: int) -> ir.Value:
    # log((1 + |x|) / (1 - |x|)) / 2 with the quotient carried as a double-word
    ax = c.abs(x)
    n, n_lo = _fast2sum(c, c.c(1.0), ax)
    d, d_lo = _fast2sum(c, c.c(1.0), c.neg(ax))
    q = c.div(n, d)
    q_lo = c.div(c.sub(c.add(c.fma(c.neg(q), d, n), n_lo), c.mul(q, d_lo)), d)
    y = c.mul(c.c(0.5), _log_of_dd(c, q, q_lo))
    y = c.sel(c.lt(ax, c.c(2.0**-27)), ax, y)  # atanh x = x (1 + x^2/3 ...) rounds to x
    y = c.sel(c.eq(ax, c.c(1.0)), c.inf(), y)
    y = c.sel(c.b.fcmp_unordered(">", ax, c.c(1.0)), c.nan(), y)
    return c.copysign(y, x)


def _cbrt_core(c: _Ctx, x: ir.Value, width: int) -> ir.Value:
    b = c.b
    ax = c.abs(x)
    tiny = c.lt(ax, c.c(2.0**-1022))  # subnormals: scaled by 2^54, the result by 2^-18
    xs = c.sel(tiny, c.mul(ax, c.c(2.0**54)), ax)
    high = b.trunc(b.lshr(c.to_bits(xs), c.ic(32)), _I32)
    est = b.add(b.udiv(high, ir.Constant(_I32, 3)), ir.Constant(_I32, _CBRT_B1))
    t = c.from_bits(b.shl(b.zext(est, c.ity), c.ic(32)))
    p0, p1, p2, p3, p4 = (c.c(v) for v in _CBRT_P)
    r = c.mul(c.mul(t, t), c.div(t, xs))
    t = c.mul(t, c.add(c.add(p0, c.mul(r, c.add(p1, c.mul(r, p2)))),
                       c.mul(c.mul(c.mul(r, r), r), c.add(p3, c.mul(r, p4)))))
    # round t to 32 bits, so that t * t below is exact
    t = c.from_bits(b.and_(b.add(c.to_bits(t), c.ic(0x80000000)), c.ic(0xFFFFFFFFC0000000)))
    r = c.div(xs, c.mul(t, t))
    r = c.div(c.sub(r, t), c.add(c.add(t, t), r))
    t = c.add(t, c.mul(t, r))
    y = c.copysign(c.sel(tiny, c.mul(t, c.c(2.0**-18)), t), x)
    # 0, inf and NaN are their own cube roots
    keep = b.or_(c.eq(ax, c.c(0.0)), b.not_(c.lt(ax, c.inf())))
    return c.sel(keep, x, y)


def _erfinv_core(c: _Ctx, x: ir.Value, width: int) -> ir.Value:
    ax = c.abs(x)
    # w = -log((1 - |x|)(1 + |x|)) with the product carried as a double-word: an error in w
    # would reach the result through the steep central part of erfinv
    a, a_lo = _fast2sum(c, c.c(1.0), c.neg(ax))
    b, b_lo = _fast2sum(c, c.c(1.0), ax)
    m = c.mul(a, b)
    m_lo = c.fma(a, b_lo, c.fma(a_lo, b, c.fma(a, b, c.neg(m))))
    hi, lo = _log_dd(c, m)
    w = c.neg(c.add(hi, c.add(lo, c.div(m_lo, m))))
    s = c.call("sqrt", w)
    # Horner, not Estrin: with |v| up to 3.125 Estrin's powers of v double the rounding error
    p = c.sel(c.lt(s, c.c(4.0)), c.horner(c.sub(s, c.c(3.25)), _ERFINV_MID[width]),
              c.horner(c.sub(s, c.c(5.025)), _ERFINV_TAIL))
    p = c.sel(c.lt(w, c.c(6.25)), c.horner(c.sub(w, c.c(3.125)), _ERFINV_CENTRAL[width]), p)
    y = c.sel(c.eq(ax, c.c(1.0)), c.copysign(c.inf(), x), c.mul(x, p))
    return c.sel(c.b.fcmp_unordered(">", ax, c.c(1.0)), c.nan(), y)


def _sinpi(c: _Ctx, ax: ir.Value) -> ir.Value:
    """sin(pi ax) for finite ax >= 0: the argument is reduced exactly to |r| <= 1/2."""
    n = c.rint(ax)
    r = c.sub(ax, n)
    z = c.mul(r, r)
    y = c.fma(r, c.c(_PI[0]), c.fma(c.mul(r, z), c.poly(z, _SINPI_Q), c.mul(r, c.c(_PI[1]))))
    odd = c.ne(c.floor(c.mul(n, c.c(0.5))), c.mul(n, c.c(0.5)))
    return c.sel(odd, c.neg(y), y)


def _small_factorial(c: _Ctx, x: ir.Value) -> tuple[ir.Value, ir.Value]:
    """(whether x is one of 1, 2, ..., 23; (x - 1)! for those): exact in float64, as users
    expect of gamma at small integers (every partial product is representable)."""
    fact = c.c(1.0)
    for k in range(2, 23):
        fact = c.mul(fact, c.sel(c.lt(c.c(float(k)), x), c.c(float(k)), c.c(1.0)))
    in_range = c.b.and_(c.b.fcmp_ordered(">=", x, c.c(1.0)), c.b.fcmp_ordered("<=", x, c.c(23.0)))
    return c.b.and_(c.eq(c.floor(x), x), in_range), fact


def _lanczos(c: _Ctx, ax: ir.Value) -> tuple[ir.Value, ir.Value]:
    """num(ax) / den(ax) as a double-word, in powers of ax below 5 and of 1/ax above (no
    overflow). Compensated Horner (Graillat, Langlois and Louvet): plain Horner leaves up to
    5 ulp in this ratio of two long sums, more than everything else in gamma."""
    small = c.lt(ax, c.c(5.0))
    v = c.sel(small, ax, c.div(c.c(1.0), ax))
    top = len(_LANCZOS_NUM) - 1

    def horner(coefs: Sequence[float]) -> tuple[ir.Value, ir.Value]:
        s = c.sel(small, c.c(coefs[top]), c.c(coefs[0]))
        err = c.c(0.0)
        for j in range(1, top + 1):
            p = c.mul(s, v)
            p_err = c.fma(s, v, c.neg(p))
            s, s_err = _two_sum(c, p, c.sel(small, c.c(coefs[top - j]), c.c(coefs[j])))
            err = c.fma(err, v, c.add(p_err, s_err))
        return s, err

    n, n_lo = horner(_LANCZOS_NUM)
    d, d_lo = horner(_LANCZOS_DEN)
    q = c.div(n, d)
    return q, c.div(c.sub(c.add(c.fma(c.neg(q), d, n), n_lo), c.mul(q, d_lo)), d)


def _gamma_core(c: _Ctx, x: ir.Value, width: int) -> ir.Value:
    """gamma(x) = L(|x|) e^t, t = (|x| - 1/2) log y - y, y = |x| + g - 1/2, with t carried
    as a double-word into one exponential (y^(|x| - 1/2) and e^y apart would round twice and
    overflow early), and the reflection gamma(x) = -pi / (sin(pi |x|) |x| gamma(|x|)) for
    x < 0."""
    ax = c.abs(x)
    gmh = _LANCZOS_G - 0.5
    lz, lz_lo = _lanczos(c, ax)
    y = c.add(ax, c.c(gmh))
    # t at the exact y - err is t(y) - (|x| - 1/2) err / y + err = t(y) + g err / y
    err = c.sel(c.gt(ax, c.c(gmh)), c.sub(c.sub(y, ax), c.c(gmh)), c.sub(c.sub(y, c.c(gmh)), ax))
    u, u_lo = _two_sum(c, ax, c.c(-0.5))
    lh, ll = _log_dd(c, y)
    t = c.mul(u, lh)
    t_lo = c.add(c.fma(u, lh, c.neg(t)), c.fma(u, ll, c.mul(u_lo, lh)))
    t, e = _two_sum(c, t, c.neg(y))
    t_lo = c.add(e, c.add(t_lo, c.div(c.mul(err, c.c(_LANCZOS_G)), y)))
    et = _exp_dd(c, t, t_lo)
    pos = c.fma(lz, et, c.mul(lz_lo, et))
    # 1 / gamma(|x|) = e^-t / L: e^-t as two equal factors where one would underflow
    halves = c.b.fcmp_ordered(">=", ax, c.c(140.0))
    half = c.sel(halves, c.c(0.5), c.c(1.0))  # (scaling by a power of 2 keeps t exact)
    inv = _exp_dd(c, c.neg(c.mul(t, half)), c.neg(c.mul(t_lo, half)))
    sin_pi = _sinpi(c, ax)
    neg = c.mul(c.div(c.c(-_PI[0]), c.mul(c.mul(sin_pi, ax), c.add(lz, lz_lo))), inv)
    neg = c.sel(halves, c.mul(neg, inv), neg)
    is_neg = c.lt(x, c.c(0.0))
    r = c.sel(is_neg, neg, pos)
    r = c.sel(c.gt(x, c.c(171.7)), c.inf(), r)
    # below -184 gamma underflows to a zero of the sign of -sin(pi |x|)
    r = c.sel(c.lt(x, c.c(-184.0)), c.copysign(c.c(0.0), c.neg(sin_pi)), r)
    r = c.sel(c.lt(ax, c.c(2.0**-60)), c.div(c.c(1.0), x), r)  # 1/x - euler: 1/x
    small_int, fact = _small_factorial(c, x)
    r = c.sel(small_int, fact, r)
    pole = c.b.and_(is_neg, c.eq(c.floor(x), x))  # negative integers and -inf
    r = c.sel(pole, c.nan(), r)
    return c.sel(c.isnan(x), x, r)


def _lgamma_core(c: _Ctx, x: ir.Value, width: int) -> ir.Value:
    """log|gamma(x)|: below |x| = 20 the logarithm of `_gamma_core` (one rounding of a
    product, where a sum of the logarithms of its factors would cancel); above,
    log L(|x|) - g + (|x| - 1/2) (log y - 1) with the reflection
    log(pi / |sin(pi x)|) - log|x| - lgamma(|x|) for x < 0 (as CPython's math.lgamma).
    Relative accuracy, except near the zeros (1, 2 and between the negative poles), where
    the error is absolute (a few ulp of 1)."""
    ax = c.abs(x)
    y = c.add(ax, c.c(_LANCZOS_G - 0.5))
    r = c.sub(_log(c, c.add(*_lanczos(c, ax))), c.c(_LANCZOS_G))
    r = c.fma(c.sub(ax, c.c(0.5)), c.sub(_log(c, y), c.c(1.0)), r)
    refl = c.sub(c.sub(c.sub(c.c(_LOG_PI), _log(c, c.abs(_sinpi(c, ax)))), _log(c, ax)), r)
    r = c.sel(c.lt(x, c.c(0.0)), refl, r)
    r = c.sel(c.lt(ax, c.c(20.0)), _log(c, c.abs(_gamma_core(c, x, width))), r)
    r = c.sel(c.lt(ax, c.c(2.0**-60)), c.neg(_log(c, ax)), r)
    small_int, fact = _small_factorial(c, x)
    r = c.sel(small_int, _log(c, fact), r)  # (exactly 0 at 1 and 2)
    # poles (0 and the negative integers) and both infinities give +inf
    pole = c.b.or_(c.b.and_(c.b.not_(c.gt(x, c.c(0.0))), c.eq(c.floor(x), x)),
                   c.eq(ax, c.inf()))
    r = c.sel(pole, c.inf(), r)
    return c.sel(c.isnan(x), x, r)


# ---- public interface ------------------------------------------------------------------------

_Unary = Callable[[_Ctx, ir.Value], ir.Value]
_Binary = Callable[[_Ctx, ir.Value, ir.Value], ir.Value]

_UNARY: dict[str, _Unary] = {
    "exp": _exp, "expm1": _expm1, "log": _log, "log1p": _log1p, "log2": _log2,
    "log10": _log10, "tanh": _tanh, "sigmoid": _sigmoid, "erf": _erf, "sin": _sin,
    "cos": _cos, "tan": _tan, "arcsin": _asin, "arccos": _acos, "arctan": _atan,
    "sinh": _sinh, "cosh": _cosh, "arcsinh": _via_f64(_asinh_core),
    "arccosh": _via_f64(_acosh_core), "arctanh": _via_f64(_atanh_core),
    "cbrt": _via_f64(_cbrt_core), "erfinv": _via_f64(_erfinv_core),
    "gamma": _via_f64(_gamma_core), "gammaln": _via_f64(_lgamma_core),
}
_BINARY: dict[str, _Binary] = {"pow": _pow}

UNARY_MATH: frozenset[str] = frozenset(_UNARY)
BINARY_MATH: frozenset[str] = frozenset(_BINARY)


def emit_unary_math(builder: ir.IRBuilder, name: str, x: ir.Value) -> ir.Value:
    """Emit `name(x)` for a float or double scalar `x` at the builder's position."""
    try:
        fn = _UNARY[name]
    except KeyError:
        raise ValueError(f"llvm_math: no unary function {name!r}") from None
    return fn(_Ctx(builder, x.type), x)


def emit_binary_math(builder: ir.IRBuilder, name: str, x: ir.Value, y: ir.Value) -> ir.Value:
    """Emit `name(x, y)` for float or double scalars of the same type."""
    try:
        fn = _BINARY[name]
    except KeyError:
        raise ValueError(f"llvm_math: no binary function {name!r}") from None
    if x.type != y.type:
        raise TypeError(f"llvm_math: {name} operands differ in type: {x.type} vs {y.type}")
    return fn(_Ctx(builder, x.type), x, y)
