"""`mx.vmap`: batched results equal the per-example results, for operators of every family,
batch axes anywhere (`in_axes`, `out_axes`, pytrees), nested, and composed with `jit`, `grad`
and `jvp` in any order; per-example gradients are one program; errors say what is wrong."""
from __future__ import annotations

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import ArgumentError, ParamError, ShapeError

nd = mx.nd
RNG = np.random.default_rng(7)


def rand(*shape):
    return RNG.uniform(-1, 1, shape).astype(np.float32)


def per_example(f, batched, axes, size):
    """The per-example results of f, stacked along axis 0."""
    def pick(x, ax, b):
        return x if ax is None else np.take(x, b, axis=ax)
    return np.stack([f(*[nd.array(pick(x, ax, b)) for x, ax in zip(batched, axes)]).asnumpy()
                     for b in range(size)])


def _idx(*values):
    return nd.array(np.array(values), dtype="int64")


#: operators of each family, per example: (function, shapes of one example's operands)
OPERATORS = {
    "elementwise": (lambda x, y: nd.sigmoid(x) * y - nd.maximum(x, y), [(3, 4), (3, 4)]),
    "broadcasting": (lambda x, y: x * y + 1, [(3, 4), (1, 4)]),
    "softmax": (lambda x: nd.softmax(x, axis=-1), [(3, 4)]),
    "reductions": (lambda x: nd.max(x, axis=1) + nd.sum(x, axis=0)[:3], [(3, 4)]),
    "argmax": (lambda x: nd.argmax(x, axis=1), [(3, 4)]),
    "dot": (lambda a, b: nd.dot(a, b), [(3, 4), (4, 2)]),
    "dot_transposed": (lambda a, b: nd.dot(a, b, transpose_a=True), [(4, 3), (4, 2)]),
    "batch_dot": (lambda a, b: nd.batch_dot(a, b), [(2, 3, 4), (2, 4, 2)]),
    "FullyConnected": (lambda x, w, b: nd.FullyConnected(x, w, b, num_hidden=5),
                       [(3, 4), (5, 4), (5,)]),
    "Convolution": (lambda x, w: nd.Convolution(x, w, kernel=(2, 2), num_filter=2,
                                                no_bias=True), [(1, 2, 4, 4), (2, 2, 2, 2)]),
    "Pooling": (lambda x: nd.Pooling(x, kernel=(2, 2), pool_type="max", stride=(2, 2)),
                [(1, 2, 4, 4)]),
    "LayerNorm": (lambda x, g, b: nd.LayerNorm(x, g, b), [(3, 4), (4,), (4,)]),
    "take": (lambda x: nd.take(x, _idx(0, 2, 2)), [(3, 4)]),
    "pick": (lambda x: nd.pick(x, _idx(0, 3, 1), axis=1), [(3, 4)]),
    "gather_nd": (lambda x: nd.gather_nd(x, _idx([0, 2], [1, 3])), [(3, 4)]),
    "slices": (lambda x: x[1:3, ::-2], [(3, 4)]),
    "concat_tile": (lambda a, b: nd.tile(nd.concat(a, b, dim=0), reps=(1, 2)),
                    [(3, 4), (2, 4)]),
    "pad": (lambda x: nd.pad(x.reshape((1, 1, 3, 4)), mode="constant",
                             pad_width=(0, 0, 0, 0, 1, 1, 2, 0), constant_value=0.5),
            [(3, 4)]),
    "sort_topk": (lambda x: nd.topk(x, k=2, ret_typ="value") + nd.sort(x, axis=1)[:, :2],
                  [(3, 4)]),
    "one_hot": (lambda x: nd.one_hot(nd.argmax(x, axis=1), 5), [(3, 4)]),
    "linalg": (lambda a, b: nd.linalg.trsm(nd.linalg.potrf(
        nd.dot(a, a, transpose_b=True) + nd.array(np.eye(3) * 3)), b), [(3, 3), (3, 2)]),
    "det_inverse": (lambda a: nd.linalg.det(a + nd.array(np.eye(3) * 3)).reshape((1, 1))
                    * nd.linalg.inverse(a + nd.array(np.eye(3) * 3)), [(3, 3)]),
    "ROIPooling (loop fallback)": (
        lambda x: nd.ROIPooling(x, nd.array([[0, 0, 0, 3, 3], [0, 1, 1, 2, 3]]),
                                pooled_size=(2, 2), spatial_scale=1.0), [(1, 2, 4, 4)]),
    "box_nms": (lambda x: nd.contrib.box_nms(nd.abs(x), overlap_thresh=0.5, coord_start=2,
                                             score_index=1, id_index=0), [(5, 6)]),
}


@pytest.mark.parametrize("name", sorted(OPERATORS))
@pytest.mark.parametrize("where", ["first axis", "last axis", "first operand only"])
def test_vmap_of_an_operator_equals_its_per_example_results(name, where):
    f, shapes = OPERATORS[name]
    size = 3
    if where == "first axis":
        axes = [0] * len(shapes)
    elif where == "last axis":
        axes = [len(s) for s in shapes]
    else:
        axes = [0] + [None] * (len(shapes) - 1)
    batched = [rand(*s) if ax is None else
               np.stack([rand(*s) for _ in range(size)], axis=ax) for s, ax in zip(shapes, axes)]
    got = mx.vmap(f, in_axes=tuple(axes))(*[nd.array(b) for b in batched])
    np.testing.assert_allclose(got.asnumpy(), per_example(f, batched, axes, size), rtol=1e-5,
                               atol=1e-5)


def test_in_axes_int_none_negative_and_pytree_prefixes():
    params = {"w": rand(4, 3), "b": rand(4)}
    xs = rand(3, 5)  # the batch along the last axis
    f = mx.vmap(lambda p, x: nd.dot(p["w"], x) + p["b"], in_axes=({"w": None, "b": None}, -1))
    got = f({k: nd.array(v) for k, v in params.items()}, nd.array(xs))
    want = (params["w"] @ xs + params["b"][:, None]).T
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5, atol=1e-6)
    g = mx.vmap(lambda p, x: nd.dot(p["w"], x) + p["b"], in_axes=(None, 1))
    np.testing.assert_allclose(g({k: nd.array(v) for k, v in params.items()},
                                 nd.array(xs)).asnumpy(), want, rtol=1e-5, atol=1e-6)


def test_out_axes_int_negative_none_and_pytrees():
    xs = rand(4, 3)
    f = mx.vmap(lambda x, w: (x * 2, w * 3), in_axes=(0, None), out_axes=(1, None))
    a, b = f(nd.array(xs), nd.array([1.0]))
    np.testing.assert_allclose(a.asnumpy(), (xs * 2).T, rtol=1e-6)
    assert b.shape == (1,) and b.asnumpy()[0] == 3
    c = mx.vmap(lambda x: {"y": x.reshape((3, 1))}, out_axes=-1)(nd.array(xs))["y"]
    assert c.shape == (3, 1, 4)
    np.testing.assert_allclose(c.asnumpy()[:, 0, :], xs.T, rtol=1e-6)
    # an output that depends on no batched value is broadcast over the batch
    d = mx.vmap(lambda x: nd.ones((2,)))(nd.array(xs))
    assert d.shape == (4, 2)


def test_keyword_arguments_are_batched_along_their_first_axis():
    f = mx.vmap(lambda x, scale: x * scale)
    got = f(nd.array(rand(3, 2)), scale=nd.array([[1.0], [2.0], [3.0]]))
    assert got.shape == (3, 2)


def test_nested_vmap_gives_pairwise_results():
    a, b = rand(4, 3), rand(5, 3)
    dist = mx.vmap(mx.vmap(lambda u, v: ((u - v) ** 2).sum(), in_axes=(None, 0)),
                   in_axes=(0, None))
    got = dist(nd.array(a), nd.array(b)).asnumpy().reshape(4, 5)
    np.testing.assert_allclose(got, ((a[:, None] - b[None]) ** 2).sum(-1), rtol=1e-5)


def _mlp_loss(p, x, y):
    h = nd.tanh(nd.dot(x, p["w1"]) + p["b1"])
    return -(nd.log_softmax(nd.dot(h, p["w2"]) + p["b2"]) * y).sum()


def _mlp(rng):
    params = {"w1": rng.normal(0, 0.5, (6, 8)), "b1": rng.normal(0, 0.1, 8),
              "w2": rng.normal(0, 0.5, (8, 3)), "b2": rng.normal(0, 0.1, 3)}
    params = {k: nd.array(v) for k, v in params.items()}
    xs = nd.array(rng.normal(size=(5, 6)))
    ys = nd.array(np.eye(3)[rng.integers(0, 3, 5)])
    return params, xs, ys


def test_per_example_gradients_with_vmap_of_grad_in_any_order_with_jit():
    params, xs, ys = _mlp(np.random.default_rng(0))
    loops = [mx.grad(_mlp_loss)(params, xs[b], ys[b]) for b in range(5)]
    per_example_grads = mx.vmap(mx.grad(_mlp_loss), in_axes=(None, 0, 0))
    for f in (per_example_grads, mx.jit(per_example_grads),
              mx.vmap(mx.jit(mx.grad(_mlp_loss)), in_axes=(None, 0, 0)),
              mx.vmap(mx.grad(mx.jit(_mlp_loss)), in_axes=(None, 0, 0))):
        got = f(params, xs, ys)
        for k in params:
            want = np.stack([g[k].asnumpy() for g in loops])
            np.testing.assert_allclose(got[k].asnumpy(), want, rtol=1e-4, atol=1e-6)


def test_grad_of_vmap_equals_the_sum_of_per_example_gradients():
    params, xs, ys = _mlp(np.random.default_rng(1))
    total = mx.grad(lambda p: mx.vmap(_mlp_loss, in_axes=(None, 0, 0))(p, xs, ys).sum())
    got = total(params)
    want = mx.grad(lambda p: _mlp_loss(p, xs, ys))(params)
    for k in params:
        np.testing.assert_allclose(got[k].asnumpy(), want[k].asnumpy(), rtol=1e-4, atol=1e-6)


def test_per_example_gradients_of_dense_layers_are_fused_products_not_library_calls():
    params, xs, ys = _mlp(np.random.default_rng(2))
    f = mx.vmap(mx.grad(_mlp_loss), in_axes=(None, 0, 0))
    plan = f.lower(params, xs, ys).as_text().split("plan:")[1]
    # the forward and backward matrix products: two dot_generals each way, no more
    assert plan.count("dot_general") == 3, plan


def test_vmap_of_jvp_and_jvp_of_vmap_agree():
    xs, ts = rand(4, 3), rand(4, 3)
    f = lambda x: nd.sin(x) * x.sum()  # noqa: E731
    a = mx.vmap(lambda x, t: mx.jvp(f, (x,), (t,))[1])(nd.array(xs), nd.array(ts))
    b = mx.jvp(mx.vmap(f), (nd.array(xs),), (nd.array(ts),))[1]
    want = np.cos(xs) * xs.sum(1, keepdims=True) * ts + np.sin(xs) * ts.sum(1, keepdims=True)
    np.testing.assert_allclose(a.asnumpy(), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b.asnumpy(), want, rtol=1e-5, atol=1e-6)


def test_an_eager_vmap_compiles_once_per_signature():
    f = mx.vmap(lambda x: nd.exp(x) * 2)
    f(nd.ones((3, 2)))
    f(nd.zeros((3, 2)))
    assert "1 signature" in repr(f)
    f(nd.zeros((4, 2)))
    assert "2 signature" in repr(f)


def test_a_function_closing_over_traced_values_works_inside_grad():
    xs = nd.array(rand(4, 3))

    def loss(w):
        return mx.vmap(lambda x: (nd.dot(w, x) ** 2).sum())(xs).sum()

    w = rand(2, 3)
    got = mx.grad(loss)(nd.array(w)).asnumpy()
    x = xs.asnumpy()
    np.testing.assert_allclose(got, 2 * (w @ x.T) @ x, rtol=1e-5)


def test_random_draws_inside_vmap_differ_between_examples():
    f = mx.vmap(lambda x: x + nd.random.uniform(shape=x.shape) + nd.random.normal(shape=(2,)))
    got = f(nd.zeros((3, 2))).asnumpy()
    assert len({tuple(row) for row in got}) == 3
    samples = mx.vmap(lambda x: nd.random.gamma(2.0, shape=(2,)) + x)(nd.zeros((3, 2)))
    assert len({tuple(row) for row in samples.asnumpy()}) == 3


def test_autograd_function_inside_vmap_runs_per_example():
    class Square(mx.autograd.Function):
        def forward(self, x):
            self.save_for_backward(x)
            return x * x

        def backward(self, dy):
            x, = self.saved_tensors
            return 2 * x * dy

    xs = rand(3, 2)
    got = mx.vmap(lambda x: Square()(x) + 1)(nd.array(xs))
    np.testing.assert_allclose(got.asnumpy(), xs * xs + 1, rtol=1e-6)


def test_vmap_on_the_autograd_tape():
    x = nd.array(rand(3, 2))
    x.attach_grad()
    with mx.autograd.record():
        y = mx.vmap(lambda r: nd.exp(r).sum())(x).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), np.exp(x.asnumpy()), rtol=1e-5)


# ---- errors ----------------------------------------------------------------------------------


def test_batch_sizes_that_disagree_are_a_shape_error():
    with pytest.raises(ShapeError, match="disagree on the batch size"):
        mx.vmap(lambda a, b: a + b)(nd.ones((3, 2)), nd.ones((4, 2)))


def test_no_batched_argument_is_a_param_error():
    with pytest.raises(ParamError, match="no argument is batched"):
        mx.vmap(lambda a: a, in_axes=None)(nd.ones((3, 2)))


def test_in_axes_of_the_wrong_length_or_kind_are_argument_errors():
    with pytest.raises(ArgumentError, match="in_axes has 1 entries for 2"):
        mx.vmap(lambda a, b: a, in_axes=(0,))(nd.ones(2), nd.ones(2))
    with pytest.raises(ArgumentError, match="must be an int, None"):
        mx.vmap(lambda a: a, in_axes="0")
    with pytest.raises(ArgumentError, match="do not match its structure"):
        mx.vmap(lambda p: p["a"], in_axes=({"b": 0},))({"a": nd.ones(2)})
    with pytest.raises(ArgumentError, match="expected a function"):
        mx.vmap(3)


def test_an_axis_out_of_range_is_a_shape_error():
    with pytest.raises(ShapeError, match="in_axes 2 of argument 0"):
        mx.vmap(lambda a: a, in_axes=2)(nd.ones((3, 2)))
    with pytest.raises(ShapeError, match="out_axes 3 of output 0"):
        mx.vmap(lambda a: a, out_axes=3)(nd.ones((3, 2)))


def test_out_axes_none_for_a_batched_output_is_a_param_error():
    with pytest.raises(ParamError, match="out_axes cannot be None"):
        mx.vmap(lambda a: a * 2, out_axes=None)(nd.ones((3, 2)))


def test_a_function_returning_something_else_than_arrays_is_an_argument_error():
    with pytest.raises(ArgumentError, match="must return arrays"):
        mx.vmap(lambda a: [a, {1, 2}])(nd.ones((3, 2)))


def test_out_axes_of_another_structure_than_the_output_is_an_argument_error():
    with pytest.raises(ArgumentError, match="axes given for the output"):
        mx.vmap(lambda a: (a, a), out_axes=(0, 0, 0))(nd.ones((3, 2)))


def test_vmap_of_hessian_and_grad_of_per_example_gradient_norms():
    f = lambda x: (nd.sin(x) ** 2).sum() * x.sum()  # noqa: E731
    xs = np.random.default_rng(5).uniform(-1, 1, (4, 3))
    batched = mx.vmap(mx.hessian(f))(nd.array(xs, dtype="float64")).asnumpy()
    for b in range(4):
        np.testing.assert_allclose(batched[b], mx.hessian(f)(nd.array(xs[b], dtype="float64"))
                                   .asnumpy(), rtol=1e-12)

    def norms(w):
        loss = lambda w, x: (nd.tanh(nd.dot(x, w)) ** 2).sum()  # noqa: E731
        g = mx.vmap(mx.grad(loss), in_axes=(None, 0))(w, nd.array(xs, dtype="float64"))
        return (g ** 2).sum()

    w = np.random.default_rng(6).uniform(-1, 1, (3, 2))
    got = mx.grad(norms)(nd.array(w, dtype="float64")).asnumpy()
    eps, want = 1e-6, np.zeros_like(w)
    for i, j in np.ndindex(*w.shape):
        d = np.zeros_like(w)
        d[i, j] = eps
        plus = norms(nd.array(w + d, dtype="float64")).asnumpy()[0]
        minus = norms(nd.array(w - d, dtype="float64")).asnumpy()[0]
        want[i, j] = (plus - minus) / (2 * eps)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)
