"""`mx.init`: the printed forms (`dumps`) and fills MXNet 1.9.1 gives, the statistics of the
random initializers against their formulas, dispatch by name suffix, the registry, and
every error a user can hit. Expected strings and arrays were printed by MXNet 1.9.1."""
from __future__ import annotations

import itertools
import json
import logging
import math
from pathlib import Path

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import ArgumentError, ParamError, ShapeError

I = mx.init
D = mx.init.InitDesc
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mxnet-1.9.1"


def filled(init, name, shape, dtype="float32", attrs=None):
    arr = mx.nd.zeros(shape, dtype=dtype) + 5
    init(D(name, attrs=attrs), arr)
    return arr.asnumpy()


def run_lengths(values) -> list[tuple[float, int]]:
    return [(float(k), len(list(g))) for k, g in itertools.groupby(np.ravel(values).tolist())]


# ---- names, printed forms, the registry ---------------------------------------------------


def test_init_and_initializer_are_one_module():
    assert mx.init is mx.initializer
    public = {n for n in dir(mx.init) if not n.startswith("_")}
    assert public == {"Bilinear", "Constant", "FusedRNN", "InitDesc", "Initializer", "LSTMBias",
                      "Load", "MSRAPrelu", "Mixed", "Normal", "One", "Orthogonal", "Uniform",
                      "Xavier", "Zero", "alias", "create", "register"}


DUMPS = [
    (I.Zero(), '["zero", {}]'),
    (I.One(), '["one", {}]'),
    (I.Constant(0.5), '["constant", {"value": 0.5}]'),
    (I.Constant(mx.nd.array([[1, 2], [3, 4]])),
     '["constant", {"value": [[1.0, 2.0], [3.0, 4.0]]}]'),
    (I.Uniform(), '["uniform", {"scale": 0.07}]'),
    (I.Uniform(0.1), '["uniform", {"scale": 0.1}]'),
    (I.Normal(), '["normal", {"sigma": 0.01}]'),
    (I.Normal(0.5), '["normal", {"sigma": 0.5}]'),
    (I.Orthogonal(), '["orthogonal", {"scale": 1.414, "rand_type": "uniform"}]'),
    (I.Orthogonal(2.0, "normal"), '["orthogonal", {"scale": 2.0, "rand_type": "normal"}]'),
    (I.Xavier(), '["xavier", {"rnd_type": "uniform", "factor_type": "avg", "magnitude": 3}]'),
    (I.Xavier(factor_type="in", magnitude=2.34),
     '["xavier", {"rnd_type": "uniform", "factor_type": "in", "magnitude": 2.34}]'),
    (I.Xavier("gaussian", "out", 2),
     '["xavier", {"rnd_type": "gaussian", "factor_type": "out", "magnitude": 2}]'),
    (I.MSRAPrelu(), '["msraprelu", {"factor_type": "avg", "slope": 0.25}]'),
    (I.MSRAPrelu("in", 0.1), '["msraprelu", {"factor_type": "in", "slope": 0.1}]'),
    (I.Bilinear(), '["bilinear", {}]'),
    (I.LSTMBias(), '["lstmbias", {"forget_bias": 1.0}]'),
    (I.LSTMBias(0.5), '["lstmbias", {"forget_bias": 0.5}]'),
    (I.FusedRNN(I.Xavier(), 4, 2, "lstm"),
     '["fusedrnn", {"init": "[\\"xavier\\", {\\"rnd_type\\": \\"uniform\\", \\"factor_type\\": '
     '\\"avg\\", \\"magnitude\\": 3}]", "num_hidden": 4, "num_layers": 2, "mode": "lstm", '
     '"bidirectional": false, "forget_bias": 1.0}]'),
    (I.FusedRNN(None, 4, 1, "gru", True, 0.0),
     '["fusedrnn", {"init": null, "num_hidden": 4, "num_layers": 1, "mode": "gru", '
     '"bidirectional": true, "forget_bias": 0.0}]'),
]


@pytest.mark.parametrize("init,expected", DUMPS, ids=lambda x: x if isinstance(x, str) else "")
def test_dumps_prints_what_mxnet_prints(init, expected):
    assert init.dumps() == expected


@pytest.mark.parametrize("init,expected", [d for d in DUMPS if "value\": [" not in d[1]],
                         ids=lambda x: x if isinstance(x, str) else "")
def test_create_rebuilds_an_equal_initializer_from_dumps(init, expected):
    again = I.create(init.dumps())
    assert type(again) is type(init) and again.dumps() == expected
    if not isinstance(init, I.FusedRNN):  # (its kwargs hold the inner one's dumps: equal too)
        assert again == init


def test_create_takes_names_aliases_dicts_and_instances():
    assert type(I.create("zeros")) is I.Zero and type(I.create("ZERO")) is I.Zero
    assert type(I.create("ones")) is I.One and type(I.create("one")) is I.One
    for name, cls in [("constant", I.Constant), ("uniform", I.Uniform), ("normal", I.Normal),
                      ("orthogonal", I.Orthogonal), ("xavier", I.Xavier),
                      ("msraprelu", I.MSRAPrelu), ("bilinear", I.Bilinear),
                      ("lstmbias", I.LSTMBias)]:
        assert type(I.create(name, 1) if cls is I.Constant else I.create(name)) is cls
    assert I.create("xavier", magnitude=2).magnitude == 2.0
    assert I.create('{"initializer": "xavier", "magnitude": 2}').magnitude == 2.0
    assert I.create({"initializer": "normal", "sigma": 0.5}).sigma == 0.5
    assert I.create(initializer="uniform", scale=0.3).scale == 0.3
    u = I.Uniform()
    assert I.create(u) is u
    assert I.Uniform(0.1) == I.Uniform(0.1) and I.Uniform(0.1) != I.Uniform(0.2)
    assert I.Uniform(0.1) != I.Normal(0.1)


def test_create_errors():
    with pytest.raises(ParamError, match="foo is not registered. Please register with "
                                         "initializer.register first"):
        I.create("foo")
    with pytest.raises(ArgumentError, match="initializer must be of string type"):
        I.create(3)
    with pytest.raises(ArgumentError, match="already an instance. Additional arguments"):
        I.create(I.One(), 1)
    with pytest.raises(ArgumentError, match="JSON initializer takes no further arguments"):
        I.create('["normal", {}]', 0.1)
    with pytest.raises(ArgumentError, match="name the initializer"):
        I.create()


def test_a_users_initializer_registers_and_is_created_by_name():
    @I.register
    @I.alias("tenths_alias")
    class Tenths(I.Initializer):
        def __init__(self, k=1):
            super().__init__(k=k)
            self.k = k

        def _init_weight(self, _, arr):
            arr[:] = 0.1 * self.k

        def _init_bias(self, _, arr):
            arr[:] = 1

    assert type(I.create("tenths")) is Tenths and type(I.create("tenths_alias")) is Tenths
    init = I.create("tenths", k=3)
    assert init.dumps() == '["tenths", {"k": 3}]'
    np.testing.assert_allclose(filled(init, "fc_weight", (2,)), 0.3, rtol=1e-6)
    assert filled(init, "fc_bias", (2,)).tolist() == [1, 1]
    assert filled(init, "bn_gamma", (2,)).tolist() == [1, 1]  # the base class's rule
    # a parameter naming it in its own attributes gets it whatever its name
    np.testing.assert_allclose(filled(I.Zero(), "x", (2,), attrs={"__init__": "tenths"}), 0.1,
                               rtol=1e-6)

    class Other(I.Initializer):
        pass

    with pytest.warns(UserWarning, match="overriding existing initializer"):
        I.alias("tenths_alias")(Other)
    with pytest.raises(ArgumentError, match="Can only register subclass of Initializer"):
        I.register(int)


# ---- dispatch by name ---------------------------------------------------------------------


@pytest.mark.parametrize("name,expected", [
    ("fc_weight", 0.25), ("fcweight", 0.25), ("fc_bias", 0.0), ("fcbias", 0.0),
    ("bn_gamma", 1.0), ("bn_beta", 0.0), ("q_min", 0.0), ("q_max", 1.0),
    ("fc_bias_quantize", 0.0)])
def test_the_name_suffix_chooses_the_rule(name, expected):
    assert filled(I.Constant(0.25), name, (3,)).tolist() == [expected] * 3


def test_an_unknown_suffix_raises_as_mxnet_does():
    # MXNet 1.9.1: moving statistics have no rule on this path; Gluon gives them their own
    # initializer ('zeros' / 'ones') through the __init__ attribute
    for name in ["bn_moving_mean", "bn_running_mean", "bn_moving_var", "foo"]:
        with pytest.raises(ParamError, match=f"Unknown initialization pattern for {name}. "
                                             "Default initialization is now limited to"):
            filled(I.Uniform(), name, (3,))


def test_a_quantized_weight_gets_random_int8_values():
    mx.random.seed(0)
    w = filled(I.Uniform(), "fc_weight_quantize", (50,), dtype="int8")
    assert w.dtype == np.int8 and w.min() >= -127 and w.max() <= 127 and len(set(w)) > 10


def test_the_init_attribute_overrides_the_name():
    assert filled(I.Uniform(), "foo", (2, 3), attrs={"__init__": "ones"}).tolist() == \
        [[1.0] * 3] * 2
    assert filled(I.Uniform(), "foo", (2, 3),
                  attrs={"__init__": I.Constant(3).dumps()}).tolist() == [[3.0] * 3] * 2
    # an instance, and the weight rule even for a bias
    assert filled(I.Uniform(), "foo_bias", (2, 3),
                  attrs={"__init__": I.Constant(3)}).tolist() == [[3.0] * 3] * 2
    desc = D("foo_weight")
    I.Zero()(desc, mx.nd.zeros(2))
    assert type(desc.global_init) is I.Zero and desc.attrs == {}


def test_the_legacy_str_call_knows_moving_statistics_and_warns():
    expected = {"stn_loc_weight": [0.0] * 6, "stn_loc_bias": [1.0, 0, 0, 0, 1.0, 0],
                "bn_moving_mean": [0.0] * 6, "bn_moving_var": [1.0] * 6,
                "bn_moving_inv_var": [0.0] * 6, "x_moving_avg": [0.0] * 6, "q_min": [0.0] * 6,
                "q_max": [1.0] * 6, "fc_bias": [0.0] * 6, "bn_gamma": [1.0] * 6}
    for name, values in expected.items():
        arr = mx.nd.ones((6,)) * 5
        with pytest.warns(DeprecationWarning, match="deprecated"):
            I.Uniform()(name, arr)
        assert arr.asnumpy().tolist() == values, name
    up = mx.nd.zeros((1, 1, 4, 4))
    with pytest.warns(DeprecationWarning):
        I.Uniform()("upsampling_weight", up)
    np.testing.assert_allclose(up.asnumpy().ravel(), BILINEAR_4x4)
    with pytest.warns(DeprecationWarning), pytest.raises(ParamError, match="bn_running_mean"):
        I.Uniform()("bn_running_mean", mx.nd.zeros(2))
    with pytest.warns(DeprecationWarning), pytest.raises(ArgumentError,
                                                         match="name must be a str"):
        I.Uniform()(3, mx.nd.zeros(3))
    with pytest.warns(DeprecationWarning), pytest.raises(ArgumentError,
                                                         match="must be an NDArray"):
        I.Uniform()("w_weight", np.zeros(3))
    with pytest.warns(DeprecationWarning), pytest.raises(ShapeError, match="6 entries"):
        I.Uniform()("stn_loc_bias", mx.nd.zeros(4))


def test_verbose_mode_logs_each_array(caplog):
    init = I.One().set_verbosity(True)
    with caplog.at_level(logging.INFO):
        init(D("fc_weight"), mx.nd.zeros((2, 2)))
        init(D("bn_beta"), mx.nd.zeros(2))
    assert "Initialized fc_weight as weight: 1.0" in caplog.text
    assert "Initialized bn_beta as beta: 0.0" in caplog.text
    init.set_verbosity(True, print_func=lambda a: "custom")
    with caplog.at_level(logging.INFO):
        init(D("x", attrs={"__init__": "zeros"}), mx.nd.zeros(2))
    assert "Initialized x as zeros: custom" in caplog.text


def test_the_base_class_needs_a_weight_rule():
    with pytest.raises(NotImplementedError, match="Must override it"):
        filled(I.Initializer(), "fc_weight", (3,))


# ---- the deterministic initializers -------------------------------------------------------


def test_zero_one_constant():
    assert filled(I.Zero(), "w_weight", (2, 2)).tolist() == [[0, 0], [0, 0]]
    assert filled(I.One(), "w_weight", (2, 2)).tolist() == [[1, 1], [1, 1]]
    assert filled(I.Constant(2.7), "w_weight", (2, 3), "int32").tolist() == [[2] * 3] * 2
    row = mx.nd.array([1, 2])
    assert filled(I.Constant(row), "w_weight", (2, 2)).tolist() == [[1, 2], [1, 2]]
    with pytest.raises(ValueError):
        filled(I.Constant(mx.nd.ones(2)), "w_weight", (3,))
    assert I.Constant(np.array([1.5, 2])).dumps() == '["constant", {"value": [1.5, 2.0]}]'


BILINEAR_4x4 = [0.0625, 0.1875, 0.1875, 0.0625, 0.1875, 0.5625, 0.5625, 0.1875,
                0.1875, 0.5625, 0.5625, 0.1875, 0.0625, 0.1875, 0.1875, 0.0625]


def test_bilinear_is_mxnets_kernel():
    np.testing.assert_allclose(filled(I.Bilinear(), "up_weight", (1, 1, 4, 4)).ravel(),
                               BILINEAR_4x4)
    # height 3, width 5: both axes use the width's factor f = 3, centre c = 2/3
    row = [1 / 9, 2 / 9, 3 / 9, 2 / 9, 1 / 9]
    expected = np.array([row, [2 * v for v in row], [3 * v for v in row]])
    got = filled(I.Bilinear(), "up_weight", (2, 1, 3, 5))
    np.testing.assert_allclose(got, np.broadcast_to(expected, (2, 1, 3, 5)), rtol=1e-6)
    with pytest.raises(ShapeError, match="Bilinear: the weight must be 4-d"):
        filled(I.Bilinear(), "up_weight", (2, 2))


def test_lstm_bias_sets_the_forget_gate_when_given_as_the_bias_initializer():
    got = filled(I.Uniform(), "lstm0_i2h_bias", (8,), attrs={"__init__": I.LSTMBias(2.5)})
    assert got.tolist() == [0, 0, 2.5, 2.5, 0, 0, 0, 0]
    assert filled(I.Uniform(), "x", (8,), attrs={"__init__": "lstmbias"}).tolist() == \
        [0, 0, 1, 1, 0, 0, 0, 0]
    # called by name, a bias gets the base rule (zeros), as in MXNet
    assert filled(I.LSTMBias(2.5), "lstm_bias", (8,)).tolist() == [0] * 8


def test_load_from_a_dict_and_from_a_file():
    init = I.Load({"arg:w": mx.nd.array([1, 2, 3]), "b": mx.nd.array([4.0])},
                  default_init=I.Constant(9))
    for name, shape, expected in [("w", 3, [1, 2, 3]), ("b", 1, [4]), ("c_weight", 2, [9, 9])]:
        arr = mx.nd.zeros(shape)
        init(D(name), arr)
        assert arr.asnumpy().tolist() == expected
    from_file = I.Load(str(FIXTURES / "dict_params.nd"), verbose=True)
    arr = mx.nd.zeros(4)
    from_file(D("fc1_bias"), arr)
    assert arr.asnumpy().tolist() == [0.5, -0.5, 1.5, 2.5]
    with pytest.raises(ShapeError, match=r"Parameter w cannot be initialized from loading. "
                                         r"Shape mismatch, target \(4,\) vs loaded \(3,\)"):
        init(D("w"), mx.nd.zeros(4))
    with pytest.raises(ParamError, match="Cannot Initialize c. Not found in loaded param and "
                                         "no default Initializer is provided."):
        I.Load({"a": mx.nd.zeros(3)})("c", mx.nd.zeros(3))
    with pytest.raises(ArgumentError, match="needs a dict of named arrays"):
        I.Load(str(FIXTURES / "single_float32_2x3.nd"))


def test_mixed_takes_the_first_matching_pattern():
    init = I.Mixed([".*bias", ".*"], [I.Zero(), I.Constant(4)])
    assert filled(init, "fc_weight", (2,)).tolist() == [4, 4]
    assert filled(init, "fc_bias", (2,)).tolist() == [0, 0]
    with pytest.raises(ParamError, match='Parameter name b_weight did not match any pattern. '
                                         'Consider adding a ".\\*" pattern'):
        I.Mixed(["a"], [I.One()])(D("b_weight"), mx.nd.zeros(3))
    with pytest.raises(ArgumentError, match="2 patterns but 1 initializers"):
        I.Mixed(["a", "b"], [I.One()])


# ---- FusedRNN: the packed parameters of the RNN operator ----------------------------------


@I.register
class ShapeCode(I.Initializer):
    """Writes each piece's shape into it, so the layout can be read back."""

    def _init_weight(self, _, arr):
        arr[:] = 100 * arr.shape[0] + arr.shape[1]

    def _init_bias(self, _, arr):
        arr[:] = arr.shape[0] + 0.5


def test_fused_rnn_initializes_each_gate_as_mxnet_unpacks_it():
    # lstm, 2 layers, bidirectional, num_hidden 2, input size 3: 240 values (MXNet 1.9.1)
    got = filled(I.Uniform(), "lstm_parameters", (240,),
                 attrs={"__init__": I.FusedRNN(ShapeCode(), 2, 2, "lstm", True, 3.0)})
    biases = [(2.5, 2), (3.0, 2)] + [(2.5, 6), (3.0, 2)] * 7 + [(2.5, 4)]
    assert run_lengths(got) == [(203.0, 24), (202.0, 16), (203.0, 24), (202.0, 16),
                                (204.0, 32), (202.0, 16), (204.0, 32), (202.0, 16), *biases]
    got = filled(I.Constant(2.0), "rnn_parameters", (14,),
                 attrs={"__init__": I.FusedRNN(ShapeCode(), 2, 1, "rnn_tanh")})
    assert run_lengths(got) == [(203.0, 6), (202.0, 4), (2.5, 4)]


def test_fused_rnn_without_init_hands_the_pieces_to_the_global_initializer():
    spec = I.FusedRNN(None, 2, 1, "gru").dumps()
    got = filled(I.Constant(2.0), "gru_parameters", (42,), attrs={"__init__": spec})
    assert run_lengths(got) == [(2.0, 30), (0.0, 12)]
    with pytest.raises(ParamError, match="hands the pieces to the global initializer"):
        I.FusedRNN(None, 2, 1, "gru")._init_weight("w", mx.nd.zeros(42))


def test_fused_rnn_errors():
    with pytest.raises(ShapeError, match="41 values are not the parameters of a gru layer"):
        filled(I.Uniform(), "x", (41,), attrs={"__init__": I.FusedRNN(ShapeCode(), 2, 1, "gru")})
    with pytest.raises(ParamError, match="mode must be one of"):
        I.FusedRNN(None, 2, 1, "lstmx")
    # a string init is created (MXNet 1.9.1 fails on its own dumps here)
    assert type(I.FusedRNN('["xavier", {}]', 4, 1, "lstm")._init) is I.Xavier


# ---- the random initializers: statistics against the formulas -----------------------------


def test_random_initializers_follow_mx_random_seed():
    for init in [I.Uniform(), I.Normal(), I.Xavier(), I.MSRAPrelu(), I.Orthogonal()]:
        mx.random.seed(7)
        a = filled(init, "fc_weight", (5, 6))
        mx.random.seed(7)
        b = filled(init, "fc_weight", (5, 6))
        c = filled(init, "fc_weight", (5, 6))
        assert np.array_equal(a, b) and not np.array_equal(a, c), type(init).__name__


def test_uniform_and_normal():
    mx.random.seed(1)
    u = filled(I.Uniform(0.2), "fc_weight", (200, 300))
    assert u.min() >= -0.2 and u.max() <= 0.2 and u.min() < -0.199 and u.max() > 0.199
    assert abs(u.mean()) < 0.002 and u.std() == pytest.approx(0.2 / math.sqrt(3), rel=0.01)
    n = filled(I.Normal(0.5), "fc_weight", (200, 300), dtype="float64")
    assert abs(n.mean()) < 0.005 and n.std() == pytest.approx(0.5, rel=0.01)
    assert filled(I.Uniform(), "fc_weight", (3,), dtype="float16").dtype == np.float16


@pytest.mark.parametrize("rnd_type", ["uniform", "gaussian"])
@pytest.mark.parametrize("factor_type,fan", [("avg", (288 + 576) / 2), ("in", 288),
                                             ("out", 576)])
def test_xavier_scale_from_the_fans(rnd_type, factor_type, fan):
    # (out, in, kh, kw) = (64, 32, 3, 3): fan_in = 32 * 9, fan_out = 64 * 9
    mx.random.seed(2)
    w = filled(I.Xavier(rnd_type, factor_type, 2.5), "conv_weight", (64, 32, 3, 3))
    scale = math.sqrt(2.5 / fan)
    if rnd_type == "uniform":
        assert np.abs(w).max() <= scale and np.abs(w).max() > 0.99 * scale
        assert w.std() == pytest.approx(scale / math.sqrt(3), rel=0.03)
    else:
        assert w.std() == pytest.approx(scale, rel=0.03)
    assert abs(w.mean()) < 0.05 * scale


def test_msra_prelu_is_gaussian_xavier_with_magnitude_from_the_slope():
    mx.random.seed(3)
    w = filled(I.MSRAPrelu("in", 0.5), "conv_weight", (64, 32, 3, 3))
    assert w.std() == pytest.approx(math.sqrt(2 / (1 + 0.25) / 288), rel=0.03)
    init = I.MSRAPrelu()
    assert (init.rnd_type, init.factor_type, init.magnitude) == ("gaussian", "avg", 2 / 1.0625)


@pytest.mark.parametrize("shape", [(6, 10), (10, 6), (4, 2, 2, 2)])
@pytest.mark.parametrize("rand_type", ["uniform", "normal"])
def test_orthogonal_rows_or_columns_are_orthonormal(shape, rand_type):
    w = filled(I.Orthogonal(1.5, rand_type), "fc_weight", shape).reshape(shape[0], -1)
    gram = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
    np.testing.assert_allclose(gram, 1.5 ** 2 * np.eye(min(w.shape)), atol=1e-5)


@pytest.mark.parametrize("init,message,error", [
    (I.Xavier(), "Xavier initializer cannot be applied to vector fc_weight. It requires at "
                 "least 2D.", ShapeError),
    (I.Xavier(factor_type="x"), "Incorrect factor type 'x'", ParamError),
    (I.Xavier(rnd_type="x"), "Unknown random type 'x'", ParamError),
    (I.Orthogonal(rand_type="x"), "rand_type must be 'uniform' or 'normal', got 'x'",
     ParamError),
])
def test_random_initializer_errors(init, message, error):
    shape = (3,) if "vector" in message else (3, 3)
    with pytest.raises(error, match=message.replace("(", r"\(")):
        filled(init, "fc_weight", shape)


def test_dumps_is_json_of_the_constructor_arguments():
    name, kwargs = json.loads(I.Xavier("gaussian", "in", 2).dumps())
    assert name == "xavier" and I.Xavier(**kwargs) == I.Xavier("gaussian", "in", 2)
