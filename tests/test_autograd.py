"""`mx.autograd`: MXNet's recording autograd (record/pause/modes, backward, grad, grad_req,
head gradients, retain_graph, create_graph, Function, mark_variables) and its errors."""
import threading

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import AutogradError
from mxjit.core import tape

nd = mx.nd
autograd = mx.autograd


def _var(values, grad_req="write", dtype="float64"):
    x = nd.array(np.asarray(values, dtype=np.float64), dtype=dtype)
    x.attach_grad(grad_req)
    return x


# ---- recording and training state ---------------------------------------------------------

def test_state_outside_any_scope_and_setters_return_the_previous_value():
    assert not autograd.is_recording() and not autograd.is_training()
    assert autograd.set_recording(True) is False
    try:
        assert autograd.is_recording()
        assert autograd.set_recording(True) is True
    finally:
        assert autograd.set_recording(False) is True
    assert not autograd.is_recording()
    assert autograd.set_training(True) is False
    try:
        assert autograd.is_training()
        assert autograd.set_training(False) is True
        assert autograd.set_training(False) is False
    finally:
        autograd.set_training(False)


def test_set_recording_records_like_record():
    x = _var([1.0, 2.0])
    prev = autograd.set_recording(True)
    try:
        y = (x * x).sum()
    finally:
        autograd.set_recording(prev)
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [2.0, 4.0])


def test_is_training_and_is_recording_in_nested_scopes():
    seen = []

    def note(where):
        seen.append((where, autograd.is_recording(), autograd.is_training()))

    with autograd.record():
        note("record")
        with autograd.predict_mode():
            note("record/predict")
            with autograd.train_mode():
                note("record/predict/train")
            note("record/predict")
        with autograd.pause():
            note("record/pause")
            with autograd.train_mode():
                note("record/pause/train")
        with autograd.pause(train_mode=True):
            note("record/pause(train)")
        note("record")
    note("outside")
    with autograd.record(train_mode=False):
        note("record(predict)")
    with autograd.train_mode():
        note("train")
        with autograd.record():
            note("train/record")
    assert seen == [
        ("record", True, True),
        ("record/predict", True, False),
        ("record/predict/train", True, True),
        ("record/predict", True, False),
        ("record/pause", False, False),
        ("record/pause/train", False, True),
        ("record/pause(train)", False, True),
        ("record", True, True),
        ("outside", False, False),
        ("record(predict)", True, False),
        ("train", False, True),
        ("train/record", True, True),
    ]


def test_scopes_restore_the_state_when_an_exception_leaves_them():
    with pytest.raises(RuntimeError):
        with autograd.record():
            raise RuntimeError("boom")
    assert not autograd.is_recording() and not autograd.is_training()


def test_recording_state_is_per_thread():
    seen = []
    with autograd.record():
        t = threading.Thread(target=lambda: seen.append(
            (autograd.is_recording(), autograd.is_training())))
        t.start()
        t.join()
        assert autograd.is_recording()
    assert seen == [(False, False)]


def test_ops_under_pause_are_not_recorded():
    x = _var([1.0, 2.0, 3.0])
    with autograd.record():
        y = x * x
        with autograd.pause():
            c = x * 10  # a constant to the gradient
        z = (y * c).sum()
    z.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), 2 * np.array([1.0, 2, 3]) * [10, 20, 30])


# ---- backward ----------------------------------------------------------------------------------

def test_backward_of_a_scalar_and_of_a_non_scalar_head():
    x = _var([1.0, 2.0, 3.0])
    with autograd.record():
        y = nd.sin(x) * x
    y.backward()  # head gradient of ones, as in MXNet
    xs = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(x.grad.asnumpy(), np.cos(xs) * xs + np.sin(xs), rtol=1e-12)


def test_the_gradient_is_written_in_place_into_the_attached_buffer():
    x = _var([1.0, 2.0])
    buffer = x.grad
    for scale in (2.0, 3.0):
        with autograd.record():
            y = (x * scale).sum()
        y.backward()
        assert x.grad is buffer
        np.testing.assert_array_equal(buffer.asnumpy(), [scale, scale])


def test_grad_req_add_accumulates_over_two_backward_passes():
    x = _var([1.0, 2.0, 3.0], grad_req="add")
    for _ in range(2):
        with autograd.record():
            y = (x * x).sum()
        y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [4.0, 8.0, 12.0])
    x.grad[:] = 0  # zeroing the buffer restarts the sum
    with autograd.record():
        y = (x * 3).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [3.0, 3.0, 3.0])


def test_grad_req_null_leaves_the_gradient_alone():
    x = _var([1.0, 2.0], grad_req="null")
    w = _var([3.0, 4.0])
    with autograd.record():
        y = (x * w).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [0.0, 0.0])
    np.testing.assert_array_equal(w.grad.asnumpy(), [1.0, 2.0])


def test_head_gradients():
    x = _var([1.0, 2.0, 3.0])
    with autograd.record():
        y = x * x
    y.backward(out_grad=nd.array([1.0, 10.0, 100.0], dtype="float64"))
    np.testing.assert_array_equal(x.grad.asnumpy(), [2.0, 40.0, 600.0])
    # several heads, each with its head gradient
    with autograd.record():
        a = x * 2
        b = (x * x).sum()
    autograd.backward([a, b], head_grads=[nd.array([1.0, 0.0, -1.0], dtype="float64"),
                                          nd.array([0.5], dtype="float64")])
    np.testing.assert_array_equal(x.grad.asnumpy(), [2 + 1.0, 0 + 2.0, -2 + 3.0])
    with pytest.raises(ValueError, match="head gradient of shape"):
        with autograd.record():
            y = x * x
        y.backward(out_grad=nd.array([1.0, 2.0], dtype="float64"))


def test_retain_graph_allows_a_second_backward():
    x = _var([1.0, 2.0], grad_req="add")
    with autograd.record():
        y = (x * x * x).sum()
    y.backward(retain_graph=True)
    y.backward(retain_graph=True)
    np.testing.assert_array_equal(x.grad.asnumpy(), [6.0, 24.0])
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [9.0, 36.0])
    with pytest.raises(AutogradError, match="retain_graph=True"):
        y.backward()


def test_a_second_backward_on_a_freed_graph_is_an_error():
    x = _var([1.0, 2.0])
    with autograd.record():
        y = (x * x).sum()
    y.backward()
    with pytest.raises(AutogradError, match="already been freed.*retain_graph=True"):
        y.backward()
    with pytest.raises(AutogradError, match="already been freed"):
        autograd.grad(y, [x])


def test_backward_on_an_array_that_was_not_recorded_is_an_error():
    x = _var([1.0, 2.0])
    y = x * 2  # not recording
    with pytest.raises(AutogradError, match="Cannot differentiate node because it is not in "
                                            "a computational graph.*autograd.record"):
        y.backward()
    plain = nd.array([1.0, 2.0])
    with autograd.record():
        z = plain * 2  # depends on no variable
    with pytest.raises(AutogradError, match="not in a computational graph"):
        z.backward()


def test_detach_and_block_grad_cut_the_graph():
    x = _var([1.0, 2.0, 3.0])
    with autograd.record():
        y = x * x
        z = (y.detach() * x).sum()
    z.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [1.0, 4.0, 9.0])
    if hasattr(nd, "BlockGrad"):
        with autograd.record():
            z = (nd.BlockGrad(x * x) * x).sum()
        z.backward()
        np.testing.assert_array_equal(x.grad.asnumpy(), [1.0, 4.0, 9.0])


def test_in_place_updates_are_recorded():
    x = _var([1.0, 2.0])
    with autograd.record():
        y = x * 2
        y += x * x
        y *= 3
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), 3 * (2 + 2 * np.array([1.0, 2.0])))


def test_python_control_flow_is_recorded_per_run():
    x = _var([0.5, -1.5])

    def f(v):
        y = v
        for _ in range(3):
            y = y * 2 if float(y.sum().asscalar()) < 10 else y * 0.5
        return y.sum()

    with autograd.record():
        loss = f(x)
    loss.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [8.0, 8.0])


def test_eager_training_loop_compiles_only_in_its_first_step(monkeypatch):
    rng = np.random.default_rng(0)
    w = _var(rng.normal(size=(4, 3)), dtype="float32")
    b = _var(np.zeros(3), dtype="float32")
    for step in range(3):
        if step == 2:
            monkeypatch.setenv("MXJIT_FAIL_ON_COMPILE", "1")
        x = nd.array(rng.normal(size=(5, 4)))
        with autograd.record():
            loss = (nd.tanh(nd.dot(x, w) + b) ** 2).mean()
        loss.backward()
        for p in (w, b):
            p -= 0.1 * p.grad
    assert np.all(np.isfinite(w.asnumpy()))


def _mlp_loss(params, x, onehot):
    w1, b1, w2, b2 = params
    h = nd.relu(nd.dot(x, w1) + b1)
    return -(nd.log_softmax(nd.dot(h, w2) + b2) * onehot).sum() / x.shape[0]


def test_a_warm_eager_step_builds_and_lowers_nothing_and_matches_mx_grad(monkeypatch):
    """Backward reads the recorded forward values and its program is cached by the graph's
    structure: a warm step runs no vjp rule, lowers and compiles nothing."""
    counts = {"backward graphs": 0, "lowered": 0}
    programs = []

    def counting_backward(*args, **kwargs):
        counts["backward graphs"] += 1
        return backward_graph(*args, **kwargs)

    def counting_lower(*args, **kwargs):
        counts["lowered"] += 1
        programs.append(lower_graph(*args, **kwargs))
        return programs[-1]

    backward_graph, lower_graph = tape.backward_graph, tape.lower_graph
    monkeypatch.setattr(tape, "backward_graph", counting_backward)
    monkeypatch.setattr(tape, "lower_graph", counting_lower)
    rng = np.random.default_rng(5)
    params = [_var(rng.normal(size=s) * 0.5) for s in [(6, 5), (5,), (5, 3), (3,)]]
    for step in range(3):
        if step == 2:
            monkeypatch.setenv("MXJIT_FAIL_ON_COMPILE", "1")
            counts.update({k: 0 for k in counts})
        x = nd.array(rng.normal(size=(4, 6)), dtype="float64")  # new leaves every step
        onehot = nd.one_hot(nd.array(rng.integers(0, 3, size=4)), 3).astype("float64")
        with autograd.record():
            loss = _mlp_loss(params, x, onehot)
        loss.backward()
        want = mx.grad(_mlp_loss)(params, x, onehot)
        for p, g in zip(params, want):
            np.testing.assert_allclose(p.grad.asnumpy(), g.asnumpy(), rtol=1e-12, atol=1e-15)
    assert counts == {"backward graphs": 0, "lowered": 0}
    # the cold step's program computes no forward product again: 3 products of the backward
    dots = [s for s in programs[0].steps if getattr(s, "name", None) == "dot_general"]
    assert len(dots) == 3, "\n".join(programs[0].plan_text)


def test_in_place_writes_after_recording_do_not_change_the_gradients():
    """A kept forward value that is overwritten (in place, by setitem, through a view) is
    recomputed by backward instead of being read."""
    xs = np.array([1.0, 2.0, 3.0])
    for write in ("iadd", "setitem", "view", "record_iadd"):
        x = _var(xs)
        with autograd.record():
            y = x * x
            z = (y * x).sum()
            if write == "record_iadd":
                y += 1
        if write == "iadd":
            y += 1
        elif write == "setitem":
            y[:] = 0
        elif write == "view":
            v = y.reshape((3,))
            v *= 5
        z.backward()
        np.testing.assert_allclose(x.grad.asnumpy(), 3 * xs * xs, err_msg=write)


# ---- autograd.grad and higher order ---------------------------------------------------------

def test_autograd_grad_returns_new_arrays_and_leaves_dot_grad_alone():
    x = _var([1.0, 2.0])
    w = _var([3.0, -1.0])
    with autograd.record():
        y = (x * x * w).sum()
    gx, gw = autograd.grad(y, [x, w])
    np.testing.assert_array_equal(gx.asnumpy(), [6.0, -4.0])
    np.testing.assert_array_equal(gw.asnumpy(), [1.0, 4.0])
    np.testing.assert_array_equal(x.grad.asnumpy(), [0.0, 0.0])
    with autograd.record():
        y = x * w
    (gx,) = autograd.grad(y, x, head_grads=nd.array([2.0, 5.0], dtype="float64"))
    np.testing.assert_array_equal(gx.asnumpy(), [6.0, -5.0])


def test_create_graph_gives_correct_second_derivatives():
    x = _var([0.5, 1.0, 2.0])
    xs = np.array([0.5, 1.0, 2.0])
    with autograd.record():
        y = nd.sin(x) * x * x
        (dy,) = autograd.grad(y, [x], create_graph=True, retain_graph=True)
    np.testing.assert_allclose(dy.asnumpy(), np.cos(xs) * xs ** 2 + 2 * xs * np.sin(xs),
                               rtol=1e-12)
    dy.backward()
    d2 = -np.sin(xs) * xs ** 2 + 4 * xs * np.cos(xs) + 2 * np.sin(xs)
    np.testing.assert_allclose(x.grad.asnumpy(), d2, rtol=1e-12)
    # third order through two create_graph levels
    with autograd.record():
        y = x ** 4
        (d1,) = autograd.grad(y, [x], create_graph=True)
        (d2_,) = autograd.grad(d1, [x], create_graph=True)
    d2_.backward()
    np.testing.assert_allclose(d2_.asnumpy(), 12 * xs ** 2, rtol=1e-12)
    np.testing.assert_allclose(x.grad.asnumpy(), 24 * xs, rtol=1e-12)


def test_autograd_grad_of_a_variable_with_no_path_to_the_head_is_an_error():
    x, unused = _var([1.0, 2.0]), _var([3.0])
    with autograd.record():
        y = (x * x).sum()
    with pytest.raises(AutogradError, match=r"variable 1 \(shape \(1,\)\) is not on any path"):
        autograd.grad(y, [x, unused], retain_graph=True)
    (gx,) = autograd.grad(y, [x])
    np.testing.assert_array_equal(gx.asnumpy(), [2.0, 4.0])


# ---- mark_variables ---------------------------------------------------------------------------

def test_mark_variables_writes_into_the_given_buffers():
    x, w = nd.array([1.0, 2.0], dtype="float64"), nd.array([3.0, 4.0], dtype="float64")
    gx, gw = nd.zeros((2,), dtype="float64"), nd.ones((2,), dtype="float64")
    autograd.mark_variables([x, w], [gx, gw], grad_reqs=["write", "add"])
    with autograd.record():
        y = (x * w).sum()
    y.backward()
    assert x.grad is gx and w.grad is gw
    np.testing.assert_array_equal(gx.asnumpy(), [3.0, 4.0])
    np.testing.assert_array_equal(gw.asnumpy(), [2.0, 3.0])  # 1 + x ('add')
    v, gv = nd.array([2.0], dtype="float64"), nd.zeros((1,), dtype="float64")
    autograd.mark_variables(v, gv)  # single arrays are accepted
    with autograd.record():
        (v * v * v).backward()
    np.testing.assert_array_equal(gv.asnumpy(), [12.0])
    with pytest.raises(ValueError, match="grad_req"):
        autograd.mark_variables([v], [gv], "sometimes")


# ---- autograd.Function --------------------------------------------------------------------------

class Sigmoid(autograd.Function):
    """The guide's custom sigmoid."""

    def forward(self, x):
        y = 1 / (1 + mx.nd.exp(-x))
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        # backward takes as many inputs as forward's outputs,
        # and returns as many NDArrays as forward's inputs
        y, = self.saved_tensors
        return dy * y * (1 - y)


def test_the_guides_custom_sigmoid_function():
    func = Sigmoid()
    x = mx.nd.random.uniform(shape=(10,))
    x.attach_grad()
    with mx.autograd.record():
        m = func(x)
        m.backward()
    dx = x.grad.asnumpy()
    s = 1 / (1 + np.exp(-x.asnumpy().astype(np.float64)))
    np.testing.assert_allclose(m.asnumpy(), s, rtol=1e-6)
    np.testing.assert_allclose(dx, s * (1 - s), rtol=1e-5)


def test_function_inside_a_larger_graph_matches_the_builtin_sigmoid():
    x = _var([-1.0, 0.5, 2.0])
    with autograd.record():
        y = (Sigmoid()(x * 2) ** 2).sum()
    y.backward()
    s = 1 / (1 + np.exp(-2 * np.array([-1.0, 0.5, 2.0])))
    np.testing.assert_allclose(x.grad.asnumpy(), 2 * s * s * (1 - s) * 2, rtol=1e-12)


class MulAdd(autograd.Function):
    """Two inputs, two outputs: (x * y, x + y)."""

    def forward(self, x, y):
        self.save_for_backward(x, y)
        return x * y, x + y

    def backward(self, d_prod, d_sum):
        x, y = self.saved_tensors
        return d_prod * y + d_sum, d_prod * x + d_sum


def test_function_with_two_inputs_and_two_outputs():
    x, y = _var([1.0, 2.0]), _var([3.0, -1.0])
    with autograd.record():
        p, s = MulAdd()(x, y)
        loss = (p * 2 + s * s).sum()
    loss.backward()
    xs, ys = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    np.testing.assert_allclose(x.grad.asnumpy(), 2 * ys + 2 * (xs + ys), rtol=1e-12)
    np.testing.assert_allclose(y.grad.asnumpy(), 2 * xs + 2 * (xs + ys), rtol=1e-12)
    # only one output used: the other's gradient is zero
    with autograd.record():
        p, _ = MulAdd()(x, y)
        p.sum().backward()
    np.testing.assert_allclose(x.grad.asnumpy(), ys)
    np.testing.assert_allclose(y.grad.asnumpy(), xs)


def test_function_outside_record_just_runs_forward():
    out = Sigmoid()(nd.array([0.0]))
    np.testing.assert_allclose(out.asnumpy(), [0.5])


# ---- train_mode / predict_mode layers ---------------------------------------------------------

@pytest.mark.skipif(not hasattr(nd, "Dropout"), reason="mx.nd.Dropout is not built yet")
def test_dropout_is_identity_in_predict_mode_and_masks_in_train_mode():
    x = nd.array(np.arange(1, 201, dtype=np.float32).reshape(10, 20))
    x.attach_grad()
    np.testing.assert_array_equal(nd.Dropout(x, p=0.5).asnumpy(), x.asnumpy())  # predicting
    with autograd.record():
        with autograd.predict_mode():
            y = nd.Dropout(x, p=0.5)
    np.testing.assert_array_equal(y.asnumpy(), x.asnumpy())
    with autograd.record():  # training mode
        y = nd.Dropout(x, p=0.5)
    out = y.asnumpy()
    kept = out != 0
    assert 0.3 < kept.mean() < 0.7
    np.testing.assert_allclose(out[kept], 2 * x.asnumpy()[kept], rtol=1e-6)
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), 2 * kept, rtol=1e-6)
    with autograd.train_mode():  # training without recording masks too
        assert (nd.Dropout(x, p=0.5).asnumpy() == 0).any()


def test_batchnorm_uses_batch_statistics_only_in_train_mode():
    rng = np.random.default_rng(0)
    x = nd.array(rng.normal(3.0, 2.0, size=(8, 2)))
    x.attach_grad()
    gamma, beta = nd.ones((2,)), nd.zeros((2,))
    mean, var = nd.zeros((2,)), nd.ones((2,))
    with autograd.record(), autograd.predict_mode():
        y = nd.BatchNorm(x, gamma, beta, mean, var, eps=0.0)
    np.testing.assert_allclose(y.asnumpy(), x.asnumpy(), rtol=1e-6)  # moving stats 0 / 1
    np.testing.assert_array_equal(mean.asnumpy(), [0.0, 0.0])
    with autograd.record():
        y = nd.BatchNorm(x, gamma, beta, mean, var, eps=0.0)
    np.testing.assert_allclose(y.asnumpy().mean(axis=0), [0.0, 0.0], atol=1e-5)
    np.testing.assert_allclose(y.asnumpy().std(axis=0), [1.0, 1.0], rtol=1e-4)
    y.backward()  # (MXNet updates the moving statistics in the backward pass)
    np.testing.assert_allclose(mean.asnumpy(), 0.1 * x.asnumpy().mean(axis=0), rtol=1e-5)


def test_copy_is_recorded_and_works_under_jit():
    # MXNet records copy() (its _copy op) as an identity; a copy also traces under jit
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        c = x.copy()
        y = (c * c).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [2.0, 4.0])
    assert not np.shares_memory(c.asnumpy(), x.asnumpy())
    np.testing.assert_array_equal(mx.jit(lambda a: a.copy() * 2)(x).asnumpy(), [2.0, 4.0])
    np.testing.assert_array_equal(mx.grad(lambda a: (a.copy() ** 2).sum())(x).asnumpy(),
                                  [2.0, 4.0])


def test_out_keyword_results_are_recorded():
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    buf = nd.zeros((2,))
    with autograd.record():
        nd.exp(x, out=buf)
        y = (buf * 2).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), 2 * np.exp([1.0, 2.0]), rtol=1e-6)


@pytest.mark.parametrize(("after", "factor"), [
    (lambda d: nd.flip(d, axis=0), 1.0),
    (lambda d: d.sum(axis=0), 1.0),
    (lambda d: nd.where(d > 0, d, nd.zeros((1,))), 1.0),
    (lambda d: nd.dot(d, nd.array([2.0])), 2.0),
])
def test_backward_through_a_vector_dot_sees_its_one_element_shape(after, factor) -> None:
    # (a library call's 0-d result once came back as shape (1,), unlike its graph node)
    x, c = nd.array([1.0, 2.0, 3.0]), nd.array([4.0, 5.0, 6.0])
    x.attach_grad()
    with autograd.record():
        d = nd.dot(x, c)
        w = after(d)
    assert d.shape == (1,)
    w.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), factor * c.asnumpy())


def test_integer_gradients_are_mxnets():
    # (what MXNet 1.9.1 prints for a = [7, 9], b = [3, 4] int32: mod's are zero)
    want = {"mod": ([0, 0], [0, 0]), "mul": ([3, 4], [7, 9]), "sub": ([1, 1], [-1, -1]),
            "div": ([0, 0], [0, 0]), "power": ([147, 2916], [667, 14415]),
            "maximum": ([1, 1], [0, 0])}
    for op, (ga, gb) in want.items():
        a, b = mx.nd.array([7, 9], dtype="int32"), mx.nd.array([3, 4], dtype="int32")
        a.attach_grad()
        b.attach_grad()
        with mx.autograd.record():
            y = getattr(mx.nd, "broadcast_" + op)(a, b)
        y.backward()
        assert a.grad.asnumpy().tolist() == ga and b.grad.asnumpy().tolist() == gb, op


def test_backward_hands_a_fresh_gradient_over_unless_something_sees_the_buffer():
    w = nd.ones((3, 4))
    w.attach_grad()
    g = w.grad
    for scale in (2.0, 3.0):
        with mx.autograd.record():
            y = (w * scale).sum()
        y.backward()
        assert w.grad is g  # the same NDArray, whichever buffer it holds
        np.testing.assert_array_equal(g.asnumpy(), np.full((3, 4), scale))
    # a view of the gradient keeps seeing the gradient: the gradient is then copied into
    # the buffer it views
    row = w.grad[1]
    with mx.autograd.record():
        y = (w * 5.0).sum()
    y.backward()
    np.testing.assert_array_equal(row.asnumpy(), np.full(4, 5.0))


def test_a_matrix_products_gradients_come_out_in_the_operands_layout():
    # (a transposed view could not become the gradient buffer: it would be copied)
    x, w = nd.ones((5, 4)), nd.ones((3, 4))
    grads = mx.jit(mx.grad(lambda a, b: nd.FullyConnected(a, b, num_hidden=3,
                                                          no_bias=True).sum(),
                           argnums=(0, 1)))(x, w)
    for g in grads:
        assert g.asnumpy().flags.c_contiguous
        assert g._data.flags.c_contiguous and g._data.flags.owndata
