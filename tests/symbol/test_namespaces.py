"""mx.sym covers mx.nd: every operator function of mx.nd and its contrib, linalg, image,
sparse and random namespaces that comes from the operator table has its mx.sym
counterpart, MXNet's Python-level mx.sym functions are here (creation, samplers, maximum,
...), and a symbol of each operator family computes what mx.nd computes on the same
inputs (the oracle: the eager operator)."""
from __future__ import annotations

import inspect
import json

import numpy as np
import pytest

import mxjit as mx
from mxjit import nd
from mxjit.base import ArgumentError, ParamError, ShapeError, UnsupportedError

NAMESPACES = ["", "contrib", "linalg", "image", "sparse", "random"]
#: Table functions of mx.nd that mx.sym leaves out, each with the reason.
NOT_IN_SYM: dict[str, dict[str, str]] = {}
#: MXNet 1.9.1's Python-level mx.sym functions (not generated from its operator table).
PYTHON_LEVEL = {
    "": ["zeros", "ones", "full", "arange", "linspace", "eye", "maximum", "minimum", "power",
         "pow", "hypot", "histogram", "split_v2", "Group", "Variable", "var", "load",
         "load_json"],
    "random": ["uniform", "normal", "gamma", "exponential", "poisson", "negative_binomial",
               "generalized_negative_binomial", "randint", "randn", "multinomial", "shuffle"],
    "contrib": ["rand_zipfian", "adamw_update", "mp_adamw_update", "foreach", "while_loop",
                "cond"],
}
#: MXNet 1.9.1's mx.sym names that mx.sym leaves out, with the reason.
NOT_PROVIDED: dict[str, dict[str, str]] = {}


@pytest.fixture(autouse=True)
def fresh_names():
    with mx.name.NameManager():
        yield


def namespace_of(root, ns):
    return root if not ns else getattr(root, ns)


def from_table(function) -> bool:
    """Whether an mx.nd function was generated from the operator table (each is compiled
    from source named after its operator)."""
    code = getattr(inspect.unwrap(function), "__code__", None)
    return code is not None and code.co_filename.startswith("<mxjit operator ")


@pytest.mark.parametrize("ns", NAMESPACES)
def test_every_table_function_of_nd_is_in_sym(ns):
    nd_module, sym_module = namespace_of(mx.nd, ns), namespace_of(mx.sym, ns)
    table = [n for n in nd_module.__all__ if from_table(getattr(nd_module, n))]
    assert len(table) >= {"": 250, "sparse": 60, "contrib": 50}.get(ns, 5)
    left_out = NOT_IN_SYM.get(ns, {})
    missing = [n for n in table if n not in left_out and not callable(getattr(sym_module, n,
                                                                              None))]
    assert not missing, f"mx.sym.{ns} lacks {missing}"
    assert all(not hasattr(sym_module, n) for n in left_out), "take them off NOT_IN_SYM"


@pytest.mark.parametrize("ns", NAMESPACES)
def test_mxnets_python_level_functions_are_here_and_namespaces_are_clean(ns):
    module = namespace_of(mx.sym, ns)
    for name in PYTHON_LEVEL.get(ns, []):
        assert callable(getattr(module, name, None)), name
    provided = [n for n in NOT_PROVIDED.get(ns, {}) if hasattr(module, n)]
    assert not provided, f"mx.sym.{ns} has {provided}: take them off NOT_PROVIDED"
    if ns:
        public = {n for n in dir(module) if not n.startswith("_")}
        assert public <= set(module.__all__), public - set(module.__all__)


# ---- each family computes what mx.nd computes ----------------------------------------------

rng = np.random.RandomState(0)
X = rng.randn(3, 4).astype(np.float32)
Y = rng.randn(3, 4).astype(np.float32)
ROW = rng.randn(1, 4).astype(np.float32)
IDX = np.array([2, 0, 1], dtype=np.float32)
IMG = rng.rand(1, 2, 5, 5).astype(np.float32)
SPD = (lambda a: a @ a.T + 3 * np.eye(3))(rng.randn(3, 3)).astype(np.float32)

#: family -> (namespace, function, inputs, parameters) cases.
FAMILIES = {
    "elementwise": [
        ("", "exp", [X], {}), ("", "relu", [X], {}), ("", "broadcast_add", [X, ROW], {}),
        ("", "elemwise_mul", [X, Y], {}), ("", "clip", [X], {"a_min": -0.5, "a_max": 0.5}),
        ("", "Activation", [X], {"act_type": "tanh"}), ("", "where", [X > 0, X, Y], {}),
        ("", "broadcast_maximum", [X, ROW], {}), ("", "smooth_l1", [X], {"scalar": 1.0})],
    "reductions": [
        ("", "sum", [X], {"axis": 1}), ("", "mean", [X], {"axis": 0, "keepdims": True}),
        ("", "max", [X], {}), ("", "norm", [X], {"ord": 2, "axis": 1}),
        ("", "argmax", [X], {"axis": 1}), ("", "softmax", [X], {"axis": -1}),
        ("", "topk", [X], {"k": 2, "ret_typ": "both"})],
    "shape": [
        ("", "reshape", [X], {"shape": (2, -1)}), ("", "transpose", [X], {"axes": (1, 0)}),
        ("", "concat", [X, Y], {"dim": 1}), ("", "expand_dims", [X], {"axis": 1}),
        ("", "flip", [X], {"axis": 0}), ("", "tile", [X], {"reps": (2, 1)}),
        ("", "split", [X], {"num_outputs": 2, "axis": 1}), ("", "stack", [X, Y], {"axis": 0}),
        ("", "SwapAxis", [X], {"dim1": 0, "dim2": 1}), ("", "Flatten", [IMG], {})],
    "indexing": [
        ("", "take", [X, IDX], {}), ("", "pick", [X, IDX], {"axis": 1}),
        ("", "one_hot", [IDX], {"depth": 4}),
        ("", "slice", [X], {"begin": (0, 1), "end": (2, 3)}),
        ("", "slice_axis", [X], {"axis": 1, "begin": 1, "end": 3}),
        ("", "gather_nd", [X, np.array([[0, 2], [1, 3]], dtype=np.float32)], {})],
    "nn": [
        ("", "Convolution", [IMG, rng.randn(3, 2, 3, 3).astype(np.float32),
                             rng.randn(3).astype(np.float32)],
         {"kernel": (3, 3), "num_filter": 3, "pad": (1, 1)}),
        ("", "Deconvolution", [IMG, rng.randn(2, 3, 2, 2).astype(np.float32)],
         {"kernel": (2, 2), "num_filter": 3, "stride": (2, 2)}),
        ("", "Pooling", [IMG], {"kernel": (2, 2), "stride": (2, 2), "pool_type": "avg"}),
        ("", "Embedding", [IDX, rng.randn(5, 3).astype(np.float32)],
         {"input_dim": 5, "output_dim": 3}),
        ("", "LayerNorm", [X, rng.rand(4).astype(np.float32), rng.rand(4).astype(np.float32)],
         {}),
        ("", "Dropout", [X], {"p": 0.5}),  # (predicting: the identity)
        ("", "FullyConnected", [X, rng.randn(2, 4).astype(np.float32)],
         {"num_hidden": 2, "no_bias": True})],
    "linalg": [
        ("linalg", "gemm2", [X, Y], {"transpose_b": True, "alpha": 0.5}),
        ("linalg", "potrf", [SPD], {}), ("linalg", "syrk", [X], {}),
        ("linalg", "sumlogdiag", [SPD], {})],
    "contrib": [
        ("contrib", "box_nms", [np.array([[0, 0.9, 0, 0, 1, 1], [0, 0.8, 0, 0, 1, 0.9],
                                          [1, 0.7, 2, 2, 3, 3]], dtype=np.float32)],
         {"overlap_thresh": 0.5}),
        ("contrib", "div_sqrt_dim", [X], {})],
    "image": [
        ("image", "to_tensor", [(rng.rand(4, 5, 3) * 255).astype(np.uint8)], {}),
        ("image", "normalize", [IMG[0]], {"mean": (0.5, 0.2), "std": (0.3, 0.4)})],
    "sparse": [
        ("sparse", "sqrt", [np.abs(X)], {}), ("sparse", "dot", [X, Y], {"transpose_b": True}),
        ("sparse", "elemwise_add", [X, Y], {})],
}


def symbol_and_feed(cases):
    """One group of every case's symbol (inputs as variables) and the arrays to feed."""
    symbols, feed, counts = [], {}, []
    for k, (ns, name, inputs, params) in enumerate(cases):
        variables = []
        for j, value in enumerate(inputs):
            feed[f"in{k}_{j}"] = nd.array(value, dtype=value.dtype)
            variables.append(mx.sym.var(f"in{k}_{j}"))
        symbol = getattr(namespace_of(mx.sym, ns), name)(*variables, **params)
        symbols.append(symbol)
        counts.append(len(symbol))
    return mx.sym.Group(symbols), feed, counts


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_a_symbol_of_each_family_computes_what_nd_computes(family):
    cases = FAMILIES[family]
    group, feed, counts = symbol_and_feed(cases)
    got = group.eval(**feed)
    start = 0
    for (ns, name, inputs, params), count in zip(cases, counts):
        want = getattr(namespace_of(mx.nd, ns), name)(
            *[nd.array(v, dtype=v.dtype) for v in inputs], **params)
        want = want if isinstance(want, (list, tuple)) else [want]
        assert len(want) == count, name
        for g, w in zip(got[start:start + count], want):
            assert g.shape == w.shape and g.dtype == w.dtype, name
            np.testing.assert_allclose(g.asnumpy(), w.asnumpy(), rtol=1e-5, atol=1e-6,
                                       err_msg=f"{ns}.{name}")
        start += count


def test_creation_functions_are_mxnets_nodes_and_compute_what_nd_computes():
    pairs = [(mx.sym.zeros((2, 3)), nd.zeros((2, 3))),
             (mx.sym.ones((2,), dtype="int32"), nd.ones((2,), dtype="int32")),
             (mx.sym.full((2, 2), 3.5), nd.full((2, 2), 3.5)),
             (mx.sym.arange(1, 7, 2, repeat=2), nd.arange(1, 7, 2, repeat=2)),
             (mx.sym.arange(5, dtype="int64"), nd.arange(5, dtype="int64")),
             (mx.sym.eye(3, 4, k=1), nd.eye(3, 4, k=1)),
             (mx.sym.linspace(0, 1, 5, endpoint=False), nd.linspace(0, 1, 5, endpoint=False))]
    group = mx.sym.Group([s for s, _ in pairs])
    for got, (_, want) in zip(group.eval(), pairs):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got.asnumpy(), want.asnumpy())
    assert group.infer_shape()[1] == [w.shape for _, w in pairs]
    assert group.infer_type()[1][1] is np.int32
    # what MXNet 1.9.1 writes for the same calls
    nodes = [(n["op"], n["name"], n["attrs"]) for n in json.loads(mx.sym.Group(
        [mx.sym.zeros((2, 3)), mx.sym.full((2, 2), 3.5), mx.sym.arange(5),
         mx.sym.eye(3, k=1), mx.sym.linspace(0, 1, 5)]).tojson())["nodes"]]
    assert nodes == [
        ("_zeros", "_zeros1", {"dtype": "float32", "shape": "(2, 3)"}),
        ("_full", "_full1", {"dtype": "float32", "shape": "(2, 2)", "value": "3.5"}),
        ("_arange", "_arange2", {"dtype": "float32", "infer_range": "False", "repeat": "1",
                                 "start": "5", "step": "1.0", "stop": "None"}),
        ("_eye", "_eye1", {"M": "0", "N": "3", "dtype": "float32", "k": "1"}),
        ("_linspace", "_linspace1", {"dtype": "float32", "endpoint": "True", "num": "5",
                                     "start": "0", "stop": "1"})]
    placed = mx.sym.zeros((2,), ctx=mx.cpu(), name="z")
    assert placed.attr("ctx") == "cpu(0)"  # (as MXNet writes it; only eager calls place)
    assert mx.sym.load_json(placed.tojson()).eval()[0].shape == (2,)


def test_creation_errors():
    with pytest.raises(ParamError, match="step must be a finite non-zero"):
        mx.sym.arange(0, 5, 0).eval()
    with pytest.raises(UnsupportedError, match="infer_range"):
        mx.sym.arange(0, infer_range=True).eval()
    with pytest.raises(ParamError, match="negative dimension"):
        mx.sym.zeros((2, -1)).eval()
    with pytest.raises(ParamError, match="has no parameter 'bogus'"):
        mx.sym.ones((2,), bogus=1)


def test_maximum_minimum_and_power_take_numbers_as_mxnet():
    x, y = mx.sym.var("x"), mx.sym.var("y")
    group = mx.sym.Group([mx.sym.maximum(x, 2), mx.sym.maximum(x, y), mx.sym.minimum(3, x),
                          mx.sym.power(x, y), mx.sym.pow(2, x), mx.sym.power(x, 2)])
    nodes = [(n["op"], n["name"]) for n in json.loads(group.tojson())["nodes"]
             if n["op"] != "null"]
    assert nodes == [("_maximum_scalar", "_maximumscalar0"), ("_maximum", "_maximum0"),
                     ("_minimum_scalar", "_minimumscalar0"), ("_power", "_power0"),
                     ("_rpower_scalar", "_rpowerscalar0"), ("_power_scalar", "_powerscalar0")]
    a, b = np.array([1.0, 2.0, 3.0], np.float32), np.array([3.0, 2.0, 1.0], np.float32)
    got = [g.asnumpy() for g in group.eval(x=nd.array(a), y=nd.array(b))]
    for g, w in zip(got, [np.maximum(a, 2), np.maximum(a, b), np.minimum(3, a), a ** b,
                          2 ** a, a ** 2]):
        np.testing.assert_allclose(g, w, rtol=1e-6)
    assert mx.sym.maximum(2, 3) == 3 and mx.sym.pow(2, 3) == 8
    with pytest.raises(ArgumentError, match="expected Symbols or numbers"):
        mx.sym.maximum("a", x)


def test_random_symbols_repeat_after_seeding_and_match_nd():
    u = mx.sym.random.uniform(shape=(2, 3))
    mx.random.seed(7)
    first = u.eval()[0].asnumpy()
    mx.random.seed(7)
    again = u.eval()[0].asnumpy()
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(u.eval()[0].asnumpy(), first)
    mx.random.seed(7)
    np.testing.assert_array_equal(nd.random.uniform(shape=(2, 3)).asnumpy(), first)
    assert first.shape == (2, 3) and ((0 <= first) & (first < 1)).all()


def test_random_samplers_are_mxnets_nodes_with_mxnets_shapes():
    x, p = mx.sym.var("x"), mx.sym.var("p")
    group = mx.sym.Group([
        mx.sym.random.normal(shape=(2,)), mx.sym.random.exponential(2, shape=(2,)),
        mx.sym.random.randint(0, 5, shape=(4,)), mx.sym.random.randn(2, 3, loc=1, scale=2),
        mx.sym.random.shuffle(x), mx.sym.random.uniform_like(x, low=2, high=3),
        mx.sym.random.multinomial(p, get_prob=False)])
    nodes = [(n["op"], n["name"], n.get("attrs")) for n in json.loads(group.tojson())["nodes"]
             if n["op"] != "null"]
    assert nodes == [
        ("_random_normal", "_random_normal0", {"loc": "0", "scale": "1", "shape": "(2,)"}),
        ("_random_exponential", "_random_exponential0", {"lam": "0.5", "shape": "(2,)"}),
        ("_random_randint", "_random_randint0", {"high": "5", "low": "0", "shape": "(4,)"}),
        ("_random_normal", "_random_normal1", {"loc": "1", "scale": "2", "shape": "(2, 3)"}),
        ("_shuffle", "_shuffle0", None), ("_random_uniform_like", "uniform_like0",
                                          {"high": "3", "low": "2"}),
        ("_sample_multinomial", "_sample_multinomial0", {"dtype": "int32",
                                                         "get_prob": "False"})]
    xs = nd.array([1.0, 2.0, 3.0])
    out = group.eval(x=xs, p=nd.array([[0.0, 1.0], [1.0, 0.0]]))
    assert [o.shape for o in out] == [(2,), (2,), (4,), (2, 3), (3,), (3,), (2,)]
    assert sorted(out[4].asnumpy().tolist()) == [1.0, 2.0, 3.0]
    assert ((out[5].asnumpy() >= 2) & (out[5].asnumpy() < 3)).all()
    assert out[6].asnumpy().tolist() == [1, 0] and out[2].dtype == np.int32
    with pytest.raises(ArgumentError, match="must be numbers"):
        mx.sym.random.randint(x, 5)
    node = json.loads(mx.sym.random.gamma(x, x, shape=2).tojson())["nodes"][-1]
    assert (node["op"], node["attrs"]) == ("_sample_gamma", {"shape": "(2,)"})


def test_sampling_with_symbol_parameters_runs():
    x = mx.sym.var("x")
    assert mx.sym.random.gamma(x, x, shape=2).eval(x=nd.ones(3))[0].shape == (3, 2)


def test_exponential_with_a_symbol_scale_draws_with_that_mean():
    # (MXNet writes 1 / scale as the _sample_exponential's rate: an _rdiv_scalar node)
    scale = mx.sym.var("scale")
    draws = mx.sym.random.exponential(scale=scale, shape=(500,))
    ops = [n["op"] for n in json.loads(draws.tojson())["nodes"]]
    assert ops == ["null", "_rdiv_scalar", "_sample_exponential"]
    mx.random.seed(3)
    got = draws.eval(scale=nd.array([4.0, 0.5]))[0].asnumpy()
    np.testing.assert_allclose(got.mean(axis=1), [4.0, 0.5], rtol=0.15)


def test_integer_results_infer_int64_as_mxnet():
    x = mx.sym.var("x")
    for sym in (mx.sym.shape_array(x), mx.sym.size_array(x), mx.sym.contrib.index_array(x)):
        assert sym.infer_type(x="float32")[1] == [np.int64]


def test_multinomial_with_probabilities_has_two_outputs():
    draws = mx.sym.random.multinomial(mx.sym.var("p"))
    assert draws.list_outputs() == ["_sample_multinomial0_output0",
                                    "_sample_multinomial0_output1"]


def test_contrib_python_level_functions():
    sampled, count_true, count_sampled = mx.sym.contrib.rand_zipfian(mx.sym.var("t"), 4, 10)
    s, ct, cs = mx.sym.Group([sampled, count_true, count_sampled]).eval(
        t=nd.array([1.0, 3.0]))
    classes = s.asnumpy()
    assert classes.dtype == np.int64 and ((0 <= classes) & (classes < 10)).all()
    expected = lambda c: np.log((c + 2.0) / (c + 1.0)) / np.log(11) * 4  # noqa: E731
    np.testing.assert_allclose(ct.asnumpy(), expected(np.array([1.0, 3.0])), rtol=1e-12)
    np.testing.assert_allclose(cs.asnumpy(), expected(classes.astype(np.float64)), rtol=1e-12)
    v = mx.sym.var
    update = mx.sym.contrib.adamw_update(v("w"), v("g"), v("m"), v("v"), 1.0, lr=0.1, eta=1.0)
    assert update.get_children().list_outputs()[-1] == "_full0_output"
    w, g = nd.array([1.0, 2.0]), nd.array([0.5, -0.5])
    got = update.eval(w=w, g=g, m=nd.zeros(2), v=nd.zeros(2))[0].asnumpy()
    want = nd.contrib.adamw_update(w, g, nd.zeros(2), nd.zeros(2), 1.0, lr=0.1, eta=1.0)
    np.testing.assert_allclose(got, want.asnumpy(), rtol=1e-6)


# ---- hypot, histogram, split_v2: MXNet's Python-level functions over its operators ------

def test_hypot_histogram_and_split_v2_write_what_mxnet_writes():
    x, b = mx.sym.var("x"), mx.sym.var("b")
    group = mx.sym.Group([
        mx.sym.hypot(x, b), mx.sym.hypot(x, 4), mx.sym.hypot(2.5, x),
        *mx.sym.histogram(x, bins=5, range=(0, 5)), *mx.sym.histogram(x, b),
        *mx.sym.split_v2(x, 3, axis=1), *mx.sym.split_v2(x, (1, 3), axis=-1),
        mx.sym.split_v2(x, (1,), axis=0, squeeze_axis=True)[0]])
    graph = json.loads(group.tojson())
    nodes = [(n["op"], n["name"], n.get("attrs")) for n in graph["nodes"] if n["op"] != "null"]
    assert nodes == [  # what MXNet 1.9.1 writes for the same calls
        ("_hypot", "_hypot0", None), ("_hypot_scalar", "_hypotscalar0", {"scalar": "4"}),
        ("_hypot_scalar", "_hypotscalar1", {"scalar": "2.5"}),
        ("_histogram", "_histogram0", {"bin_cnt": "5", "range": "(0, 5)"}),
        ("_histogram", "_histogram1", None),
        ("_split_v2", "_split_v20", {"axis": "1", "indices": "[]", "sections": "3",
                                     "squeeze_axis": "False"}),
        ("_split_v2", "_split_v21", {"axis": "-1", "indices": "[0, 1, 3]", "sections": "0",
                                     "squeeze_axis": "False"}),
        ("_split_v2", "_split_v22", {"axis": "0", "indices": "[0, 1]", "sections": "0",
                                     "squeeze_axis": "True"})]
    assert graph["node_row_ptr"] == [0, 1, 2, 3, 4, 5, 7, 9, 12, 15, 17]
    assert group.list_outputs()[3:6] == ["_histogram0_output0", "_histogram0_output1",
                                         "_histogram1_output0"]
    assert mx.sym.load_json(group.tojson()).tojson() == group.tojson()
    assert mx.sym.hypot(3, 4) == 5.0


def test_hypot_histogram_and_split_v2_compute_what_nd_computes():
    x, b = mx.sym.var("x"), mx.sym.var("b")
    data = np.array([[3.0, -5.0, 0.0, np.inf, np.nan, 2.5], [1e30, 0.1, 0.7, 4.0, -1.0, 2.0]],
                    np.float32)
    other = np.array([[4.0, 12.0, 0.0, np.nan, 1.0, 2.0], [1e30, 3.0, 2.0, 5.0, 1.0, 0.5]],
                     np.float32)
    edges = np.array([-1.0, 0.5, 3.0], np.float32)
    group = mx.sym.Group([
        mx.sym.hypot(x, b), mx.sym.hypot(x, 4), *mx.sym.histogram(x, bins=5, range=(0, 5)),
        *mx.sym.histogram(x, mx.sym.var("e")), *mx.sym.split_v2(x, 3, axis=1),
        *mx.sym.split_v2(x, (1, 3), axis=-1), *x.split_v2(2, axis=0, squeeze_axis=True)])
    got = group.eval(x=nd.array(data), b=nd.array(other), e=nd.array(edges))
    xs = nd.array(data)
    want = [nd.broadcast_hypot(xs, nd.array(other)), nd.broadcast_hypot(xs, nd.full((2, 6), 4)),
            *nd.histogram(xs, bins=5, range=(0, 5)), *nd.histogram(xs, bins=nd.array(edges)),
            *nd.split_v2(xs, 3, axis=1), *nd.split_v2(xs, (1, 3), axis=-1),
            *nd.split_v2(xs, 2, axis=0, squeeze_axis=True)]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g.asnumpy(), w.asnumpy(), rtol=1e-6)
    np.testing.assert_allclose(got[0].asnumpy(), np.hypot(data, other), rtol=1e-6)
    assert got[2].asnumpy().tolist() == np.histogram(data, 5, (0, 5))[0].tolist()
    counts = mx.sym.histogram(x, bins=5, range=(0, 5))
    assert counts.infer_shape(x=(2, 6))[1] == [(5,), (6,)]
    assert counts.infer_type(x="float32")[1] == [np.int64, np.float32]  # (as MXNet)
    assert mx.sym.split_v2(x, 4, axis=1).infer_shape(x=(2, 6))[1] == [(2, 2), (2, 2), (2, 1),
                                                                       (2, 1)]


def test_hypot_histogram_and_split_v2_errors():
    x = mx.sym.var("x")
    with pytest.raises(ArgumentError, match="expected Symbols or numbers"):
        mx.sym.hypot(x, "a")
    with pytest.raises(ParamError, match="a symbol needs range= with an int bins"):
        mx.sym.histogram(x, bins=5)
    with pytest.raises(ArgumentError, match="bins must be an int or a Symbol"):
        mx.sym.histogram(x, bins=[0, 1])
    with pytest.raises(ArgumentError, match="a must be a Symbol"):
        mx.sym.histogram(nd.ones(2), bins=2, range=(0, 1))
    with pytest.raises(ArgumentError, match="ary must be a Symbol"):
        mx.sym.split_v2(nd.ones(2), 2)
    with pytest.raises(ShapeError, match="_hypot '_hypot0': _hypot: operand shapes"):
        mx.sym.hypot(x, mx.sym.var("y")).eval(x=nd.ones(2), y=nd.ones(3))
    with pytest.raises(ShapeError, match="bins must be a 1-D array of at least 2 edges"):
        mx.sym.histogram(x, mx.sym.var("e")).eval(x=nd.ones(2), e=nd.ones((1,)))
