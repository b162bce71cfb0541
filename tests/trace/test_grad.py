"""Gradients: every differentiable primitive and composite against central differences.

`check_grads` compares `mx.grad` with float64 central differences, order by order (order k
differentiates the summed gradient of order k-1). Elementwise and reduction primitives are
checked to third order, movement, indexing and contraction primitives and the composite
operators to second order; shapes and values are drawn by hypothesis. Random programs of
`mx.nd` ops check that eager autograd, `mx.grad`, `jit(grad(f))` and `grad(jit(f))` agree.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import mxjit as mx
from mxjit.base import GradientError
from mxjit.core import bind
from mxjit.lower.program import LibraryStep
from mxjit.trace import apply, const, var
from mxjit.trace import grad as grad_module
from tests.helpers import check_grads

nd = mx.nd

# Each distinct shape compiles new kernels (an LLVM compile each, the bulk of the runtime),
# so shapes come from small pools while values are drawn freely.
FEW = settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
SOME = settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
ELEMENTWISE_SHAPES = [(), (2, 3)]


def shapes(min_dims=0, max_dims=2, max_side=3):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side)


def floats(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


@st.composite
def arrays(draw, shape, lo=-2.0, hi=2.0, away_from=None, unique=False):
    """float64 arrays in [lo, hi]; `away_from(x)` True marks values to avoid (kinks)."""
    a = draw(hnp.arrays(np.float64, shape, elements=floats(lo, hi), unique=unique))
    if away_from is not None:
        assume(not np.any(away_from(a)))
    return a


def _near_integer(a, margin=0.1):
    return np.abs(a - np.round(a)) < margin


def _near_half(a, margin=0.1):
    return _near_integer(a + 0.5, margin)


# ---- elementwise primitives, third order -------------------------------------------------

UNARY = {
    # name: (function, low, high, values to avoid)
    "neg": (lambda x: -x, -2, 2, None),
    "abs": (nd.abs, -2, 2, lambda a: np.abs(a) < 0.1),
    "exp": (nd.exp, -2, 2, None),
    "expm1": (nd.expm1, -2, 2, None),
    "log": (nd.log, 0.2, 3, None),
    "log1p": (nd.log1p, -0.7, 3, None),
    "sin": (nd.sin, -3, 3, None),
    "cos": (nd.cos, -3, 3, None),
    "tan": (nd.tan, -1.2, 1.2, None),
    "tanh": (nd.tanh, -2, 2, None),
    "sigmoid": (nd.sigmoid, -3, 3, None),
    "erf": (nd.erf, -2, 2, None),
    "sqrt": (nd.sqrt, 0.2, 3, None),
    "rsqrt": (nd.rsqrt, 0.2, 3, None),
    # Piecewise-constant primitives have zero gradients; times x, the product rule shows it.
    "sign": (lambda x: nd.sign(x) * x * x, -2, 2, lambda a: np.abs(a) < 0.1),
    "floor": (lambda x: nd.floor(x) * x, -3, 3, _near_integer),
    "ceil": (lambda x: nd.ceil(x) * x, -3, 3, _near_integer),
    "trunc": (lambda x: nd.trunc(x) * x, -3, 3, _near_integer),
    "round": (lambda x: nd.round(x) * x, -3, 3, _near_half),
    "rint": (lambda x: nd.rint(x) * x, -3, 3, _near_half),
    "log2": (nd.log2, 0.2, 3, None),
    "log10": (nd.log10, 0.2, 3, None),
    "cbrt": (nd.cbrt, -3, 3, lambda a: np.abs(a) < 0.2),
    "arcsin": (nd.arcsin, -0.9, 0.9, None),
    "arccos": (nd.arccos, -0.9, 0.9, None),
    "arctan": (nd.arctan, -3, 3, None),
    "sinh": (nd.sinh, -2, 2, None),
    "cosh": (nd.cosh, -2, 2, None),
    "arcsinh": (nd.arcsinh, -3, 3, None),
    "arccosh": (nd.arccosh, 1.2, 3, None),
    "arctanh": (nd.arctanh, -0.9, 0.9, None),
    "erfinv": (nd.erfinv, -0.9, 0.9, None),
    # the poles of gamma and gammaln are at 0, -1, -2, ...
    "gamma": (nd.gamma, -2.5, 4, lambda a: _near_integer(a, 0.15) & (a < 0.5)),
    "gammaln": (nd.gammaln, -2.5, 4, lambda a: _near_integer(a, 0.15) & (a < 0.5)),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@FEW
@given(data=st.data())
def test_unary_elementwise_to_third_order(name, data):
    f, lo, hi, avoid = UNARY[name]
    x = data.draw(arrays(data.draw(st.sampled_from(ELEMENTWISE_SHAPES)), lo, hi, avoid))
    check_grads(f, [x], order=3)


def _mod_kinks(x, y):
    with np.errstate(all="ignore"):
        q = x / y
        return ~(np.abs(q - np.round(q)) >= 0.05)


BINARY = {
    # name: (function, (x low, x high), (y low, y high), pairs to avoid)
    "add": (lambda x, y: x + y, (-2, 2), (-2, 2), None),
    "sub": (lambda x, y: x - y, (-2, 2), (-2, 2), None),
    "mul": (lambda x, y: x * y, (-2, 2), (-2, 2), None),
    "div": (lambda x, y: x / y, (-2, 2), (-2, 2), lambda x, y: np.abs(y) < 0.3),
    "pow": (lambda x, y: x ** y, (0.3, 2), (-2, 2), None),
    "maximum": (nd.maximum, (-2, 2), (-2, 2), lambda x, y: np.abs(x - y) < 1e-3),
    "minimum": (nd.minimum, (-2, 2), (-2, 2), lambda x, y: np.abs(x - y) < 1e-3),
    "mod": (lambda x, y: x % y, (-3, 3), (-2, 2), lambda x, y: (np.abs(y) < 0.3)
            | _mod_kinks(x, y)),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@FEW
@given(data=st.data())
def test_binary_elementwise_with_broadcasting_to_third_order(name, data):
    """Operands of mutually broadcastable shapes also check broadcast_to's un-broadcasting."""
    f, (xlo, xhi), (ylo, yhi), avoid = BINARY[name]
    sx, sy = data.draw(hnp.mutually_broadcastable_shapes(
        num_shapes=2, base_shape=(2, 3), min_dims=0, max_dims=2, min_side=1)).input_shapes
    x = data.draw(arrays(sx, xlo, xhi))
    y = data.draw(arrays(sy, ylo, yhi))
    if avoid is not None:
        assume(not np.any(avoid(*np.broadcast_arrays(x, y))))
    check_grads(f, [x, y], order=3)


@pytest.mark.parametrize("exponent", [0, 1, 2, 3, -1, 0.5])
def test_pow_with_non_positive_bases_to_third_order(exponent):
    """Constant exponents: integer powers of negative bases and of zero have finite
    derivatives (x**0 and x**2 at 0 included); x**-1 and x**0.5 need positive bases."""
    x = np.array([-1.5, -0.5, 0.0, 0.7, 1.3])
    if exponent in (-1, 0.5):
        x = np.array([0.4, 0.7, 1.3])
    check_grads(lambda v: v ** exponent, [x], order=3)


def test_pow_gradient_of_the_exponent_at_non_positive_bases_is_zero_not_nan():
    x, y = nd.array([0.0, -2.0, 2.0], dtype="float64"), nd.array([2.0, 3.0, 2.0], dtype="float64")
    gx, gy = mx.grad(lambda a, b: (a ** b).sum(), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx.asnumpy(), [0.0, 12.0, 4.0])
    np.testing.assert_allclose(gy.asnumpy(), [0.0, 0.0, 4.0 * np.log(2.0)])


def test_maximum_and_minimum_ties_send_the_gradient_to_the_first_operand():
    """As MXNet's _backward_maximum (ge / lt) and _backward_minimum (le / gt)."""
    x = nd.array([1.0, 2.0, 3.0], dtype="float64")
    y = nd.array([1.0, 5.0, 3.0], dtype="float64")
    for op, expected_x in ((nd.maximum, [1, 0, 1]), (nd.minimum, [1, 1, 1])):
        gx, gy = mx.grad(lambda a, b, op=op: op(a, b).sum(), argnums=(0, 1))(x, y)
        np.testing.assert_array_equal(gx.asnumpy(), expected_x)
        np.testing.assert_array_equal(gy.asnumpy(), 1 - np.array(expected_x))
    # second order through a tie: d2/dx2 of max(x, y)**2 at x == y is 2 (all on x)
    g2 = mx.grad(lambda a: mx.grad(lambda b: (nd.maximum(b, y) ** 2).sum())(a).sum())(x)
    np.testing.assert_array_equal(g2.asnumpy(), [2.0, 0.0, 2.0])


def test_relu_gradient_at_zero_is_zero_as_in_mxnet():
    """MXNet's relu_grad is (x > 0): nd.relu, Activation('relu') and eager autograd agree."""
    x = nd.array([-1.0, 0.0, 2.0], dtype="float64")
    for relu in (nd.relu, lambda v: nd.Activation(v, act_type="relu")):
        g = mx.grad(lambda v, relu=relu: relu(v).sum())(x)
        np.testing.assert_array_equal(g.asnumpy(), [0.0, 0.0, 1.0])
    v = x.copy()
    v.attach_grad()
    with mx.autograd.record():
        y = nd.relu(v).sum()
    y.backward()
    np.testing.assert_array_equal(v.grad.asnumpy(), [0.0, 0.0, 1.0])


# ---- reductions, third order -------------------------------------------------------------

@st.composite
def axis_subsets(draw, ndim):
    axes = draw(st.lists(st.integers(0, max(ndim - 1, 0)), unique=True, max_size=ndim))
    return tuple(sorted(axes)) if axes else None


REDUCE = {
    "sum": (nd.sum, -2, 2, False),
    "mean": (nd.mean, -2, 2, False),
    "max": (nd.max, -2, 2, True),
    "min": (nd.min, -2, 2, True),
    "prod": (nd.prod, 0.5, 1.5, False),
}


@pytest.mark.parametrize("name", sorted(REDUCE))
@SOME
@given(data=st.data())
def test_reductions_over_axis_subsets_to_third_order(name, data):
    f, lo, hi, unique = REDUCE[name]
    shape = data.draw(st.sampled_from([(4,), (2, 3), (2, 3, 2)]))
    x = data.draw(arrays(shape, lo, hi, unique=unique))
    if unique:
        assume(np.min(np.diff(np.sort(x, axis=None)), initial=1.0) > 1e-3)
    axis = data.draw(axis_subsets(len(shape)))
    keepdims = data.draw(st.booleans())
    # x * x keeps the higher orders of linear reductions non-trivial
    check_grads(lambda v: f(v * v * v if name != "prod" else v, axis=axis, keepdims=keepdims),
                [x], order=3)


@pytest.mark.parametrize("op", [nd.max, nd.min])
def test_max_and_min_give_every_tie_the_whole_gradient_as_mxnet(op):
    """MXNet's _backward_max/_backward_min: ograd * (data == out), ties not shared."""
    x = nd.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0]], dtype="float64")
    if op is nd.min:
        x = -x
    g = mx.grad(lambda v: (op(v, axis=1) * nd.array([1.0, 6.0], dtype="float64")).sum())(x)
    np.testing.assert_allclose(g.asnumpy(), [[0, 1, 1, 0], [6, 6, 6, 6]])
    g_all = mx.grad(lambda v: op(v).sum())(x)
    np.testing.assert_allclose(g_all.asnumpy(), [[0, 1, 1, 0], [0, 0, 0, 0]])


@pytest.mark.parametrize("x", [[0.0, -1.0, 1.5], [0.0, 0.0, 2.0], [[1.0, 0.0], [3.0, 2.0]]])
def test_prod_with_zeros_has_finite_exact_gradients(x):
    x = np.asarray(x)
    check_grads(lambda v: nd.prod(v, axis=-1), [x], order=1)
    check_grads(lambda v: nd.prod(v * v, axis=-1) * v.sum(), [x[..., :1] + 0.5], order=3)


def test_prod_with_one_zero_to_second_order():
    check_grads(lambda v: nd.prod(v), [np.array([0.0, -1.0, 1.5, 2.0])], order=2)


# ---- movement, indexing, contraction, selection: second order ----------------------------

def _wave(y):
    """A non-linear, non-symmetric function of a moved array, so second order is not zero."""
    return nd.sin(y) * (y + 1.5)


@SOME
@given(data=st.data())
def test_reshape_to_second_order(data):
    shape = data.draw(shapes(min_dims=1, max_dims=3))
    x = data.draw(arrays(shape))
    dims = list(shape)
    data.draw(st.randoms()).shuffle(dims)
    new = (int(np.prod(dims[:1])), -1)
    check_grads(lambda v: _wave(v.reshape(*new)), [x])


@SOME
@given(data=st.data())
def test_broadcast_to_unbroadcasts_size_one_and_missing_leading_axes(data):
    target = data.draw(shapes(min_dims=1, max_dims=3))
    lead = data.draw(st.integers(0, len(target)))
    src = tuple(d if data.draw(st.booleans()) else 1 for d in target[lead:])
    x = data.draw(arrays(src))
    w = data.draw(arrays(target))
    check_grads(lambda v: _wave(nd.broadcast_to(v, target)) * nd.array(w, dtype="float64"), [x])


@SOME
@given(data=st.data())
def test_transpose_to_second_order(data):
    shape = data.draw(shapes(min_dims=1, max_dims=3))
    perm = data.draw(st.permutations(range(len(shape))))
    x = data.draw(arrays(shape))
    w = np.linspace(-1, 1, int(np.prod(shape))).reshape([shape[p] for p in perm])
    check_grads(lambda v: _wave(nd.transpose(v, axes=perm)) * nd.array(w, dtype="float64"), [x])


@SOME
@given(data=st.data())
def test_slice_with_steps_including_negative_to_second_order(data):
    shape = data.draw(shapes(min_dims=1, max_dims=2, max_side=5))
    start, stop, step = zip(*(data.draw(st.slices(d)).indices(d) for d in shape))
    x = data.draw(arrays(shape))
    check_grads(lambda v: _wave(bind("slice", v, start=start, stop=stop, step=step)), [x])


@SOME
@given(data=st.data())
def test_pad_to_second_order_in_the_operand_and_the_padding_value(data):
    shape = data.draw(shapes(min_dims=1, max_dims=2))
    low = tuple(data.draw(st.integers(0, 2)) for _ in shape)
    high = tuple(data.draw(st.integers(0, 2)) for _ in shape)
    x = data.draw(arrays(shape))
    value = np.asarray(data.draw(floats(-1, 1)))
    check_grads(lambda v, c: _wave(bind("pad", v, c, low=low, high=high)), [x, value])


@SOME
@given(data=st.data())
def test_concat_to_second_order(data):
    shape = data.draw(shapes(min_dims=1, max_dims=3))
    axis = data.draw(st.integers(0, len(shape) - 1))
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    xs = [data.draw(arrays(shape[:axis] + (n,) + shape[axis + 1:])) for n in sizes]
    check_grads(lambda *vs: _wave(nd.concat(*vs, dim=axis)), xs)


@SOME
@given(data=st.data())
def test_flip_to_second_order(data):
    shape = data.draw(shapes(min_dims=1, max_dims=3))
    axes = data.draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, unique=True))
    x = data.draw(arrays(shape))
    w = np.linspace(-1, 2, int(np.prod(shape))).reshape(shape)
    check_grads(lambda v: _wave(nd.flip(v, axis=tuple(axes))) * nd.array(w, dtype="float64"),
                [x])


@pytest.mark.parametrize("mode", ["clip", "wrap"])
@SOME
@given(data=st.data())
def test_take_clip_and_wrap_with_repeated_and_out_of_range_indices(mode, data):
    shape = data.draw(shapes(min_dims=1, max_dims=2))
    axis = data.draw(st.integers(0, len(shape) - 1))
    n = shape[axis]
    idx = data.draw(hnp.arrays(np.int64, data.draw(shapes(min_dims=1, max_dims=2)),
                               elements=st.integers(-2 * n - 1, 2 * n + 1)))
    x = data.draw(arrays(shape))
    indices = nd.array(idx, dtype="int64")
    check_grads(lambda v: _wave(nd.take(v, indices, axis=axis, mode=mode)), [x])


DOTS = {
    "matmul": (lambda a, b: nd.dot(a, b), (2, 3), (3, 4)),
    "matvec": (lambda a, b: nd.dot(a, b), (2, 3), (3,)),
    "vecvec": (lambda a, b: nd.dot(a, b), (3,), (3,)),
    "transpose_a": (lambda a, b: nd.dot(a, b, transpose_a=True), (3, 2), (3, 4)),
    "transpose_b": (lambda a, b: nd.dot(a, b, transpose_b=True), (2, 3), (4, 3)),
    "transpose_ab": (lambda a, b: nd.dot(a, b, transpose_a=True, transpose_b=True),
                     (3, 2), (4, 3)),
    "batched": (lambda a, b: nd.batch_dot(a, b), (2, 2, 3), (2, 3, 4)),
    "batched_transposed": (lambda a, b: nd.batch_dot(a, b, transpose_a=True, transpose_b=True),
                           (2, 3, 2), (2, 4, 3)),
    "batched_4d": (lambda a, b: nd.batch_dot(a, b, transpose_b=True), (2, 1, 2, 3), (2, 1, 4, 3)),
    "tensordot": (lambda a, b: nd.dot(a, b), (2, 2, 3), (3, 2, 2)),
    # batch and contracted axes anywhere, two contracted axes in swapped order
    "general": (lambda a, b: bind("dot_general", a, b, contract=((2, 0), (0, 3)),
                                  batch=((1,), (2,))), (2, 3, 4), (4, 2, 3, 2)),
}


@pytest.mark.parametrize("name", sorted(DOTS))
@FEW
@given(data=st.data())
def test_dot_general_to_second_order(name, data):
    f, sa, sb = DOTS[name]
    a, b = data.draw(arrays(sa)), data.draw(arrays(sb))
    check_grads(lambda x, y: nd.sin(f(x, y)), [a, b])


@SOME
@given(data=st.data())
def test_where_to_second_order(data):
    shape = data.draw(shapes())
    x = data.draw(arrays(shape, away_from=lambda a: np.abs(a) < 0.05))
    y = data.draw(arrays(shape))
    check_grads(lambda a, b: nd.where(a > 0, a * b * b, nd.sin(b) * a), [x, y])


def test_cast_passes_gradients_between_float_types_and_blocks_integers():
    check_grads(lambda v: v * nd.cast(nd.cast(v, "int32"), "float64"),
                [np.array([1.3, -2.6, 0.4])], order=2)
    x32 = nd.array([1.0, 2.0, 3.0], dtype="float32")
    g = mx.grad(lambda v: (nd.cast(v, "float64") ** 2).sum())(x32)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g.asnumpy(), [2.0, 4.0, 6.0])
    g16 = mx.grad(lambda v: (nd.cast(v, "float16") * 3).astype("float64").sum())(
        nd.array([1.0, 2.0], dtype="float64"))
    assert g16.dtype == np.float64
    np.testing.assert_allclose(g16.asnumpy(), [3.0, 3.0])


# ---- composite operators, second order ---------------------------------------------------

COMPOSITES = {
    "softmax": lambda x: nd.softmax(x) * nd.sin(x),
    "softmax_axis0": lambda x: nd.softmax(x, axis=0) * x,
    "log_softmax": lambda x: nd.log_softmax(x) * nd.cos(x),
    "softmax_temperature": lambda x: nd.softmax(x, temperature=2.0) * x,
    "relu": lambda x: nd.relu(x) * x,
    "clip": lambda x: nd.clip(x * x, 0.5, 2.0) * x,
    "square": lambda x: nd.square(nd.sin(x)),
    "reciprocal": lambda x: nd.reciprocal(x * x + 1),
    "mean": lambda x: nd.mean(x * x, axis=0) * nd.mean(x),
    "expand_dims": lambda x: nd.sin(nd.expand_dims(x, 0)) * x,
    "broadcast_add": lambda x: nd.broadcast_mul(x, nd.sin(x)) + nd.broadcast_add(x, x),
    "power": lambda x: nd.power(x * x + 1, nd.cos(x)),
    "getitem": lambda x: nd.sin(x[::-1]) * x[:1] + x[-1:] * x,
    "degrees": lambda x: nd.sin(nd.degrees(x) / 50) * x,
    "radians": lambda x: nd.sin(nd.radians(x * 50)) * x,
    "rcbrt": lambda x: nd.rcbrt(x * x + 1),
    "softsign": lambda x: nd.softsign(x) * nd.cos(x),
    # (alpha and beta put the kinks at -9/7 and 11/7, away from the values drawn)
    "hard_sigmoid": lambda x: nd.hard_sigmoid(x, alpha=0.35, beta=0.45) * x,
}


@pytest.mark.parametrize("name", sorted(COMPOSITES))
@settings(FEW, max_examples=2)
@given(data=st.data())
def test_composite_operators_to_second_order(name, data):
    def kinks(a):
        return (np.abs(a) < 0.05) | (np.abs(a * a - 0.5) < 0.05) | (np.abs(a * a - 2) < 0.05)

    x = data.draw(arrays(data.draw(st.sampled_from([(4,), (2, 3)])), away_from=kinks))
    check_grads(COMPOSITES[name], [x], order=2)


def test_one_hot_and_argmax_are_constants_to_the_gradient():
    x = np.array([[0.3, -1.2, 2.0], [1.1, 0.4, -0.6]])

    def f(v):
        hot = nd.one_hot(nd.argmax(v, axis=1), 3, dtype="float64")
        return (hot * nd.log_softmax(v)).sum(axis=1)

    check_grads(f, [x], order=2)


# ---- transforms: argnums, pytrees, has_aux, value_and_grad, vjp --------------------------

def _arr(values, dtype="float64"):
    return nd.array(np.asarray(values, dtype=np.float64), dtype=dtype)


X = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]
Y = [0.3, -0.6, 1.2]


def test_argnums_int_negative_and_tuple():
    x, y, z = _arr(X), _arr(Y), _arr([2.0])

    def f(a, b, c):
        return (a * b * b).sum() + (c * c).sum()

    np.testing.assert_allclose(mx.grad(f)(x, y, z).asnumpy(), np.broadcast_to(
        np.square(Y), (2, 3)))
    np.testing.assert_allclose(mx.grad(f, argnums=1)(x, y, z).asnumpy(),
                               2 * np.asarray(Y) * np.sum(X, axis=0))
    np.testing.assert_allclose(mx.grad(f, argnums=-1)(x, y, z).asnumpy(), [4.0])
    gx, gz = mx.grad(f, argnums=(0, 2))(x, y, z)
    assert gx.shape == (2, 3) and gz.asnumpy().tolist() == [4.0]
    (gy,) = mx.grad(f, argnums=(1,))(x, y, z)
    assert gy.shape == (3,)
    with pytest.raises(ValueError, match="argnums"):
        mx.grad(f, argnums=3)(x, y, z)


def test_nested_list_tuple_and_dict_arguments_get_gradients_of_the_same_structure():
    def loss(params, batch):
        (w, (b,)), scale = params["layer"], params["scale"]
        return (nd.tanh(nd.dot(batch["x"], w) + b) * scale).sum()

    rng = np.random.default_rng(1)
    w, b, scale = _arr(rng.normal(size=(3, 2))), _arr(rng.normal(size=(2,))), _arr([1.5])
    batch = {"x": _arr(X)}
    params = {"layer": [w, (b,)], "scale": scale}
    g = mx.grad(loss)(params, batch)
    assert isinstance(g, dict) and isinstance(g["layer"], list)
    assert isinstance(g["layer"][1], tuple)
    h = np.tanh(np.asarray(X) @ w.asnumpy() + b.asnumpy())
    dpre = (1 - h * h) * 1.5
    np.testing.assert_allclose(g["layer"][0].asnumpy(), np.asarray(X).T @ dpre, rtol=1e-12)
    np.testing.assert_allclose(g["layer"][1][0].asnumpy(), dpre.sum(0), rtol=1e-12)
    np.testing.assert_allclose(g["scale"].asnumpy(), [h.sum()], rtol=1e-12)
    gb = mx.grad(loss, argnums=1)(params, batch)
    np.testing.assert_allclose(gb["x"].asnumpy(), dpre @ w.asnumpy().T, rtol=1e-12)


def test_has_aux_and_value_and_grad():
    x = _arr(X)

    def f(v):
        y = nd.sin(v)
        return (y * y).sum(), {"y": y, "stats": (y.max(), v.min())}

    g, aux = mx.grad(f, has_aux=True)(x)
    np.testing.assert_allclose(g.asnumpy(), np.sin(2 * np.asarray(X)), rtol=1e-12)
    np.testing.assert_allclose(aux["y"].asnumpy(), np.sin(X), rtol=1e-12)
    np.testing.assert_allclose(aux["stats"][1].asnumpy(), [-1.0])
    (value, aux2), g2 = mx.value_and_grad(f, has_aux=True)(x)
    np.testing.assert_allclose(value.asnumpy(), [np.sum(np.sin(X) ** 2)], rtol=1e-12)
    np.testing.assert_allclose(g2.asnumpy(), g.asnumpy())
    assert set(aux2) == {"y", "stats"}
    v, (ga, gb) = mx.value_and_grad(lambda a, b: (a * b).sum(), argnums=(0, 1))(x, _arr(Y))
    np.testing.assert_allclose(v.asnumpy(), [np.sum(np.asarray(X) * Y)], rtol=1e-12)
    np.testing.assert_allclose(ga.asnumpy(), np.broadcast_to(Y, (2, 3)))
    np.testing.assert_allclose(gb.asnumpy(), np.sum(X, axis=0))


def test_vjp_with_non_scalar_outputs_and_cotangents():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(3, 4))
    out, back = mx.vjp(lambda p, q: nd.dot(p, q), _arr(a), _arr(b))
    np.testing.assert_allclose(out.asnumpy(), a @ b, rtol=1e-12)
    ct = rng.normal(size=(2, 4))
    ga, gb = back(_arr(ct))
    np.testing.assert_allclose(ga.asnumpy(), ct @ b.T, rtol=1e-12)
    np.testing.assert_allclose(gb.asnumpy(), a.T @ ct, rtol=1e-12)
    # several outputs (a pytree) and a pytree primal
    x = rng.normal(size=(3,))
    outs, back = mx.vjp(lambda p: (p["x"] * 2, {"s": nd.sin(p["x"])}), {"x": _arr(x)})
    c1, c2 = rng.normal(size=3), rng.normal(size=3)
    (g,) = back((_arr(c1), {"s": _arr(c2)}))
    np.testing.assert_allclose(g["x"].asnumpy(), 2 * c1 + np.cos(x) * c2, rtol=1e-12)
    with pytest.raises(ValueError, match="cotangent shapes"):
        back((_arr(c1[:2]), {"s": _arr(c2)}))


def test_gradients_of_integer_or_bool_inputs_are_errors_that_name_the_argument():
    x, n = _arr(Y), nd.array([1, 2, 3], dtype="int32")
    f = lambda a, b: (a * nd.cast(b, "float64")).sum()  # noqa: E731
    np.testing.assert_allclose(mx.grad(f)(x, n).asnumpy(), [1, 2, 3])  # n is not differentiated
    with pytest.raises(GradientError, match="argument 1 has dtype int32"):
        mx.grad(f, argnums=(0, 1))(x, n)
    with pytest.raises(GradientError, match=r"argument 0 \(array 1\) has dtype bool"):
        mx.grad(lambda p: (p[0] * nd.cast(p[1], "float64")).sum())(
            [x, nd.array([1, 0, 1], dtype="bool")])
    with pytest.raises(GradientError, match="primal 0"):
        mx.vjp(lambda v: v * 2, n)[1](n)


def test_grad_of_a_non_scalar_or_integer_output_is_an_error():
    x = _arr(X)
    with pytest.raises(GradientError, match=r"size 1 .*got \(2, 3\).*mx.vjp"):
        mx.grad(lambda v: v * 2)(x)
    with pytest.raises(GradientError, match="floating-point"):
        mx.grad(lambda v: nd.cast(v.sum(), "int32"))(x)
    assert mx.grad(lambda v: v.sum())(x).shape == (2, 3)  # shape (1,) is a scalar loss
    assert mx.grad(lambda v: v.sum().reshape(()))(x).shape == (2, 3)


def test_gradient_of_an_unused_argument_is_zero():
    g = mx.grad(lambda a, b: (a * a).sum(), argnums=1)(_arr(X), _arr(Y))
    np.testing.assert_array_equal(g.asnumpy(), np.zeros(3))


# ---- composing transforms -------------------------------------------------------------------

def test_jit_of_grad_grad_of_jit_and_higher_orders_agree():
    x = _arr(X)
    f = lambda v: (nd.sin(v) * v).sum()  # noqa: E731
    expected = np.cos(X) * np.asarray(X) + np.sin(X)
    for g in (mx.grad(f), mx.jit(mx.grad(f)), mx.grad(mx.jit(f)), mx.jit(mx.grad(mx.jit(f)))):
        np.testing.assert_allclose(g(x).asnumpy(), expected, rtol=1e-12)
    d3 = mx.grad(lambda v: mx.grad(lambda u: mx.grad(f)(u).sum())(v).sum())
    xs = np.asarray(X)
    expected3 = -3 * np.sin(xs) - xs * np.cos(xs)
    np.testing.assert_allclose(d3(x).asnumpy(), expected3, rtol=1e-12)
    np.testing.assert_allclose(mx.jit(d3)(x).asnumpy(), expected3, rtol=1e-12)


def test_nested_grads_keep_their_variables_apart():
    """Perturbation confusion: the inner grad closes over the outer variable."""
    x = _arr(Y)

    def outer(v):
        inner = mx.grad(lambda u: (v * u).sum())(v)  # = v, so outer = sum(v * v)
        return (v * inner).sum()

    np.testing.assert_allclose(mx.grad(outer)(x).asnumpy(), 2 * np.asarray(Y), rtol=1e-12)
    np.testing.assert_allclose(mx.jit(mx.grad(outer))(x).asnumpy(), 2 * np.asarray(Y))


def test_vjp_composes_with_jit_and_grad():
    x, ct = _arr([1.0, 2.0, 3.0]), _arr([1.0, 10.0, 100.0])

    def pullback(v, c):
        _, back = mx.vjp(lambda u: nd.sin(u) * u, v)
        return back(c)[0]

    xs, cs = np.array([1.0, 2.0, 3.0]), np.array([1.0, 10.0, 100.0])
    expected = (np.cos(xs) * xs + np.sin(xs)) * cs
    np.testing.assert_allclose(pullback(x, ct).asnumpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(mx.jit(pullback)(x, ct).asnumpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(mx.grad(lambda v: pullback(v, ct).sum())(x).asnumpy(),
                               (2 * np.cos(xs) - np.sin(xs) * xs) * cs, rtol=1e-12)


# ---- fusion of forward and backward ---------------------------------------------------------

def _counts(lowered):
    steps = lowered.program.steps
    dots = sum(isinstance(s, LibraryStep) and s.name == "dot_general" for s in steps)
    return dots, len(lowered.kernels)


def test_value_and_grad_of_a_layer_loss_compiles_to_few_fused_kernels():
    rng = np.random.default_rng(3)

    def loss(params, x, t):
        w, b = params
        h = nd.relu(nd.dot(x, w) + b)
        return ((h - t) ** 2).mean()

    w, b = nd.array(rng.normal(size=(16, 8))), nd.array(rng.normal(size=(8,)))
    x, t = nd.array(rng.normal(size=(32, 16))), nd.array(rng.normal(size=(32, 8)))
    step = mx.jit(mx.value_and_grad(loss))
    lowered = step.lower((w, b), x, t)
    dots, kernels = _counts(lowered)
    # forward x @ w and backward x.T @ g only (x needs no gradient); one kernel for the
    # loss sum, one for its scale, one for the relu'd cotangent, one for the bias gradient
    assert dots == 2, lowered.as_text()
    assert kernels <= 4, lowered.as_text()
    value, (gw, gb) = step((w, b), x, t)
    xs, ws, bs, ts = (a.asnumpy().astype(np.float64) for a in (x, w, b, t))
    pre = xs @ ws + bs
    h = np.maximum(pre, 0)
    np.testing.assert_allclose(value.asnumpy(), [np.mean((h - ts) ** 2)], rtol=1e-5)
    dpre = 2 * (h - ts) / h.size * (pre > 0)
    np.testing.assert_allclose(gw.asnumpy(), xs.T @ dpre, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(gb.asnumpy(), dpre.sum(0), rtol=1e-4, atol=1e-6)


def test_value_and_grad_of_an_mlp_with_softmax_cross_entropy_is_fused():
    rng = np.random.default_rng(4)

    def loss(params, x, onehot):
        w1, b1, w2, b2 = params
        h = nd.relu(nd.dot(x, w1) + b1)
        return -(nd.log_softmax(nd.dot(h, w2) + b2) * onehot).sum() / x.shape[0]

    shapes_ = [(16, 8), (8,), (8, 4), (4,)]
    params = [nd.array(rng.normal(size=s) * 0.3) for s in shapes_]
    x = nd.array(rng.normal(size=(32, 16)))
    onehot = nd.one_hot(nd.array(rng.integers(0, 4, size=32)), 4)
    lowered = mx.jit(mx.value_and_grad(loss)).lower(params, x, onehot)
    dots, kernels = _counts(lowered)
    n_ops = sum(1 for line in lowered.program.graph_text.splitlines() if " = " in line)
    assert dots == 5, lowered.as_text()  # 2 forward, 3 backward (no gradient for x)
    assert kernels <= 12 and n_ops > 4 * kernels, lowered.as_text()
    # log_softmax's max shift is held constant: no tie test (eq) and no kernels for it
    assert " eq(" not in lowered.program.graph_text, lowered.as_text()


# ---- random programs: eager autograd, grad, jit(grad), grad(jit) agree ----------------------

_W = np.linspace(-1.0, 1.0, 9).reshape(3, 3)
_IDX = np.array([2, 0, 2])
UNARY_STEPS = {
    "tanh": nd.tanh, "sin": nd.sin, "sigmoid": nd.sigmoid, "abs": nd.abs, "relu": nd.relu,
    "half_square": lambda a: a * a * 0.5,
    "gauss": lambda a: nd.exp(-(a * a)),
    "log1p_square": lambda a: nd.log1p(a * a),
    "softmax": lambda a: nd.softmax(a),
    "sum_last": lambda a: a.sum(axis=-1, keepdims=True),
    "max_first": lambda a: nd.max(a, axis=0, keepdims=True),
    "mean": lambda a: a.mean(),
    "flip": lambda a: nd.flip(a, axis=-1),
    "dot": lambda a: nd.dot(nd.broadcast_to(a, (2, 3)), _arr(_W)),
    "take": lambda a: nd.take(nd.broadcast_to(a, (2, 3)), nd.array(_IDX), axis=1),
    "pow3": lambda a: nd.tanh(a) ** 3,
}
BINARY_STEPS = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "maximum": nd.maximum, "minimum": nd.minimum,
    "div": lambda a, b: a / (1 + b * b),
    "where": lambda a, b: nd.where(a > b, a * b, a - b),
}
STEP_NAMES = sorted(UNARY_STEPS) + sorted(BINARY_STEPS)


def _program(steps):
    """A function of three arrays (shapes (2, 3), (3,), (2, 1)) that runs `steps`."""
    def f(x, y, z):
        pool = [x, y, z]
        for name, i, j in steps:
            a, b = pool[i % len(pool)], pool[j % len(pool)]
            pool.append(UNARY_STEPS[name](a) if name in UNARY_STEPS else BINARY_STEPS[name](a, b))
        total = pool[0].sum()
        for k, v in enumerate(pool[1:]):
            total = total + v.sum() * (1.0 + 0.25 * k)
        return total

    return f


programs = st.lists(st.tuples(st.sampled_from(STEP_NAMES), st.integers(0, 30),
                              st.integers(0, 30)), min_size=1, max_size=6)


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=programs, seed=st.integers(0, 2 ** 16))
def test_random_programs_eager_autograd_grad_and_jit_agree(steps, seed):
    rng = np.random.default_rng(seed)
    values = [rng.normal(size=s) for s in ((2, 3), (3,), (2, 1))]
    f = _program(steps)
    args = [_arr(v) for v in values]
    expected_value = f(*args).asnumpy()

    variables = [_arr(v) for v in values]
    for v in variables:
        v.attach_grad()
    with mx.autograd.record():
        loss = f(*variables)
    loss.backward()
    eager = [v.grad.asnumpy() for v in variables]
    np.testing.assert_allclose(loss.asnumpy(), expected_value, rtol=1e-12)

    argnums = (0, 1, 2)
    value, grads = mx.value_and_grad(f, argnums=argnums)(*args)
    np.testing.assert_allclose(value.asnumpy(), expected_value, rtol=1e-9, atol=1e-12)
    for how, got in (("grad", grads),
                     ("jit(grad)", mx.jit(mx.grad(f, argnums=argnums))(*args)),
                     ("grad(jit)", mx.grad(mx.jit(f), argnums=argnums)(*args))):
        for k, (g, e) in enumerate(zip(got, eager)):
            np.testing.assert_allclose(g.asnumpy(), e, rtol=1e-9, atol=1e-12,
                                       err_msg=f"{how}, argument {k}, steps {steps}")


def test_large_expensive_values_only_reductions_read_are_recomputed_not_kept():
    """A softmax's exp(x - max) over a million elements is fused into its sum by the forward
    pass; the backward pass computes it again instead of reading 4 MB back (grad.py)."""
    def kept(rows):
        x = var((rows, 1024), np.dtype(np.float32))
        top = apply("reduce_max", x, axes=(1,))
        e = apply("exp", apply("sub", x, apply("broadcast_to", apply("reshape", top,
                                                                      shape=(rows, 1)),
                                                  shape=(rows, 1024))))
        lse = apply("log", apply("reduce_sum", e, axes=(1,)))
        return [n.op for n in grad_module.residuals([lse], [x])]

    large = grad_module.RECOMPUTE_MIN_ELEMENTS // 1024
    assert "exp" not in kept(large) and "reduce_sum" in kept(large)
    assert "exp" in kept(4)  # (small: kept, as every expensive value)


def test_operands_of_contractions_are_kept_not_recomputed():
    """relu(x @ w1 + b) feeds the next matmul, so the forward pass writes it to memory
    anyway: the backward pass (which reads it for w2's gradient) keeps it rather than
    running a kernel to compute it again; the cheap bias add alone is recomputed."""
    f32 = np.dtype(np.float32)
    x, w1, b, w2 = var((8, 4), f32), var((4, 6), f32), var((6,), f32), var((6, 3), f32)
    dot = lambda a, c: apply("dot_general", a, c, contract=((1,), (0,)), batch=((), ()))  # noqa: E731
    z = apply("add", dot(x, w1), apply("broadcast_to", b, shape=(8, 6)))
    h = apply("maximum", z, apply("broadcast_to", const(np.float32(0)), shape=(8, 6)))
    y = apply("reduce_sum", dot(h, w2), axes=(0, 1))
    kept = grad_module.residuals([y], [x, w1, b, w2])
    assert h in kept and z not in kept
    assert [n.op for n in kept if n.op == "dot_general"]  # (x @ w1, for relu's mask)
