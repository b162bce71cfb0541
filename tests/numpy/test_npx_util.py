"""mx.npx (MXNet's operators under their npx names, reshape with npx's codes, save/load)
and mx.util (the NumPy-semantics switches)."""
from __future__ import annotations

import threading

import numpy as onp
import pytest

import mxjit as mx
from mxjit import np, npx


def test_npx_operators_come_from_the_operator_table_and_return_np_arrays():
    x = np.array([[-1.0, 2.0], [3.0, -4.0]])
    assert npx.relu(x).tolist() == [[0.0, 2.0], [3.0, 0.0]]
    assert type(npx.sigmoid(x)) is np.ndarray
    onp.testing.assert_allclose(npx.softmax(x).asnumpy().sum(-1), [1, 1], rtol=1e-6)
    onp.testing.assert_allclose(npx.log_softmax(x).asnumpy(),
                                onp.log(npx.softmax(x).asnumpy()), rtol=1e-5)
    assert npx.activation(x, act_type="tanh").shape == (2, 2)
    fc = npx.fully_connected(x, np.ones((3, 2)), np.zeros(3), num_hidden=3)
    assert fc.tolist() == [[1.0] * 3, [-1.0] * 3]
    assert npx.one_hot(np.array([0, 2]), 3).tolist() == [[1, 0, 0], [0, 0, 1]]
    assert npx.pick(x, np.array([1, 0])).tolist() == [2.0, 3.0]
    assert npx.topk(x, k=1).shape == (2, 1)
    assert npx.batch_dot(np.ones((2, 1, 3)), np.ones((2, 3, 4))).shape == (2, 1, 4)
    onp.testing.assert_allclose(npx.gamma(np.array([5.0])).asnumpy(), [24.0], rtol=1e-5)
    masked = npx.sequence_mask(np.ones((3, 2)), np.array([1.0, 2.0]), use_sequence_length=True)
    assert masked.tolist() == [[1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]
    conv = npx.convolution(np.ones((1, 1, 4, 4)), np.ones((2, 1, 3, 3)), np.zeros(2),
                           kernel=(3, 3), num_filter=2)
    assert conv.shape == (1, 2, 2, 2) and conv.asnumpy().max() == 9.0
    assert npx.pooling(np.ones((1, 1, 4, 4)), kernel=(2, 2), stride=(2, 2)).shape == \
        (1, 1, 2, 2)
    bn = npx.batch_norm(np.ones((2, 3)), np.ones(3), np.zeros(3), np.zeros(3), np.ones(3))
    assert bn.shape == (2, 3)
    emb = npx.embedding(np.array([0, 2]), np.arange(6).reshape(3, 2), input_dim=3,
                        output_dim=2)
    assert emb.tolist() == [[0.0, 1.0], [4.0, 5.0]]
    assert npx.dropout(x, p=0.5).tolist() == x.tolist()  # (not training: identity)
    assert "MXNet operator `FullyConnected`" in npx.fully_connected.__doc__


@pytest.mark.parametrize("shape,codes,want", [
    ((2, 3, 4), (-2, -1), (2, 12)), ((2, 3, 4), (-5, -2), (6, 4)),
    ((2, 1, 4), (-2, -3, -2), (2, 4)), ((2, 3, 4), (-4,), (2, 3, 4)),
    ((6, 4), (-6, 2, 3, -2), (2, 3, 4)), ((6, 4), (-6, -1, 3, -2), (2, 3, 4)),
    ((2, 3, 4), (4, -1), (4, 6))])
def test_npx_reshape_codes_match_mxnet(shape, codes, want):
    """Shapes measured on MXNet 1.9.1."""
    assert npx.reshape(np.ones(shape), codes).shape == want


@pytest.mark.parametrize("shape,codes,want", [
    ((8, 5, 4, 6), (-4, -1, 3, -6), (8, 5, 4, 2, 3)), ((2, 3, 5, 4), (-1, -2), (30, 4)),
    ((2, 3, 5, 4), (-1, -2, -2), (6, 5, 4)), ((2, 1, 3), (-2, -3, -2), (2, 3))])
def test_npx_reshape_reverse_reads_the_codes_right_to_left(shape, codes, want):
    """Shapes measured on MXNet 1.9.1 (the codes and the dims both reversed)."""
    assert npx.reshape(np.ones(shape), codes, reverse=True).shape == want


def test_constraint_check_eagerly_jitted_and_hybridized():
    scale = np.array([1.0, 2.0])
    assert npx.constraint_check(scale > 0).tolist() is True
    checked = mx.jit(lambda s: s * npx.constraint_check(s > 0, "scale must be positive"))
    assert checked(scale).tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match="scale must be positive"):
        checked(np.array([1.0, -2.0]))

    class Checked(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return x * F.npx.constraint_check(x > 0, "positive")

    block = Checked()
    block.hybridize()
    with pytest.raises(ValueError, match="positive"):
        block(np.array([0.0]))


def test_npx_random_samplers():
    npx.random.seed(seed=3)
    b = npx.random.bernoulli(0.25, size=(20000,))
    assert b.dtype == onp.float32 and set(onp.unique(b.asnumpy())) <= {0.0, 1.0}
    assert abs(b.mean().item() - 0.25) < 0.02
    assert abs(npx.random.bernoulli(logit=np.zeros(20000)).mean().item() - 0.5) < 0.02
    assert npx.random.bernoulli(np.array([0.0, 1.0])).tolist() == [0.0, 1.0]
    assert npx.random.normal_n(np.zeros(2), 1.0, batch_shape=(3,)).shape == (3, 2)
    assert npx.random.uniform_n(0, 1, batch_shape=(3, 4)).shape == (3, 4)


def test_save_load_round_trip(tmp_path):
    f = str(tmp_path / "x.npx")
    npx.save(f, {"w": np.arange(3), "b": np.ones(2, dtype="int32")})
    got = npx.load(f)
    assert type(got["w"]) is np.ndarray and got["w"].tolist() == [0.0, 1.0, 2.0]
    assert got["b"].dtype == onp.int32
    npx.save(f, [np.ones(1)])
    assert npx.load(f)[0].tolist() == [1.0]
    npx.waitall()


def test_set_np_reset_np_and_scopes():
    assert not npx.is_np_array() and not npx.is_np_shape()
    npx.set_np()
    try:
        assert npx.is_np_array() and mx.util.is_np_shape()
    finally:
        npx.reset_np()
    assert not mx.util.is_np_array()
    with mx.util.np_shape():
        assert mx.util.is_np_shape() and not mx.util.is_np_array()
        with mx.util.np_array():
            assert mx.util.is_np_array()
    assert not mx.util.is_np_shape()
    assert mx.util.set_np_shape(True) is False
    assert mx.util.set_np_shape(False) is True


def test_scopes_are_per_thread():
    seen = []
    with mx.util.np_array():
        t = threading.Thread(target=lambda: seen.append(mx.util.is_np_array()))
        t.start()
        t.join()
        assert mx.util.is_np_array()
    assert seen == [False]


def test_use_np_decorators_scope_functions_and_properties():
    @mx.util.use_np_shape
    def shape_on():
        return mx.util.is_np_shape(), mx.util.is_np_array()

    @mx.util.use_np_array
    class Thing:
        @property
        def on(self):
            return mx.util.is_np_array()

        def method(self):
            return mx.util.is_np_array()

    assert shape_on() == (True, False)
    assert Thing().on and Thing().method() and not mx.util.is_np_array()


def test_env_and_dirs(tmp_path):
    mx.util.setenv("MXJIT_TEST_VAR", "1")
    assert mx.util.getenv("MXJIT_TEST_VAR") == "1"
    mx.util.setenv("MXJIT_TEST_VAR", None)
    assert mx.util.getenv("MXJIT_TEST_VAR") is None
    mx.util.makedirs(str(tmp_path / "a" / "b"))
    mx.util.makedirs(str(tmp_path / "a" / "b"))
    assert (tmp_path / "a" / "b").is_dir()


def test_the_semantics_switches_are_top_level_names_as_in_mxnet():
    # (MXNet's own tests write `with mx.np_shape(True):`)
    for name in ("is_np_shape", "set_np_shape", "np_shape", "use_np_shape", "is_np_array",
                 "np_array", "use_np_array", "use_np"):
        assert getattr(mx, name) is getattr(mx.util, name)
    with mx.np_shape(True):
        assert mx.is_np_shape()
    assert not mx.is_np_shape()
