"""Composite operators compiled eagerly (core/eager_compiled.py): a signature compiles on its
second call, the compiled program gives the primitive-by-primitive numbers and gradients,
traces inline the implementation, and the tables stay bounded."""
from __future__ import annotations

import numpy as np
import pytest

import mxjit as mx
from mxjit.core import eager_compiled
from mxjit.core.operators import OPERATORS

nd = mx.nd
RNG = np.random.default_rng(0)


def _array(*shape: int) -> mx.nd.NDArray:
    return nd.array(RNG.standard_normal(shape).astype(np.float32))


#: Each compiled operator with arguments to call it on: its arrays, then its parameters.
CALLS = {
    "log_softmax": lambda: ([_array(4, 5)], {"axis": 1}),
    "softmax": lambda: ([_array(4, 5)], {"axis": 0, "temperature": 2.0}),
    "softmax:length": lambda: ([_array(3, 5), nd.array([1, 5, 3], dtype="int32")],
                               {"use_length": True}),
    "softmin": lambda: ([_array(4, 5)], {}),
    "pick": lambda: ([_array(4, 5), nd.array([0, 4, 2, 7])], {"axis": 1}),
    "FullyConnected": lambda: ([_array(4, 2, 3), _array(5, 6), _array(5)], {"num_hidden": 5}),
    "LeakyReLU": lambda: ([_array(4, 5)], {"act_type": "elu", "slope": 0.3}),
    "LeakyReLU:prelu": lambda: ([_array(4, 3), _array(3)], {"act_type": "prelu"}),
    "LayerNorm": lambda: ([_array(4, 5), _array(5), _array(5)], {}),
    "InstanceNorm": lambda: ([_array(2, 3, 4), _array(3), _array(3)], {}),
    "GroupNorm": lambda: ([_array(2, 4, 3), _array(2), _array(2)], {"num_groups": 2}),
    "L2Normalization": lambda: ([_array(3, 4, 2)], {"mode": "channel"}),
    "softmax_cross_entropy": lambda: ([_array(4, 5), nd.array([0, 4, 2, 1])], {}),
    "smooth_l1": lambda: ([_array(4, 5) * 2], {"scalar": 1.5}),
}


def test_the_table_covers_every_compiled_operator() -> None:
    assert {name for name, op in OPERATORS.items()
            if isinstance(op.impl, eager_compiled.CompiledEagerly)} == \
        {case.split(":")[0] for case in CALLS}


def _run(name: str, arrays: list, params: dict) -> tuple[np.ndarray, list[np.ndarray]]:
    """The operator's first result and the gradients of a weighted sum of it."""
    inputs = [a.copy() for a in arrays]
    for a in inputs:
        a.attach_grad()
    with mx.autograd.record():
        out = getattr(nd, name)(*inputs, **params)
        weights = nd.array(np.linspace(-1, 2, out.size, dtype=np.float32).reshape(out.shape))
        loss = (out * weights).sum()
    loss.backward()
    return out.asnumpy(), [a.grad.asnumpy() for a in inputs]


@pytest.mark.parametrize("case", sorted(CALLS))
def test_compiled_calls_give_the_primitive_by_primitive_results_and_gradients(
        case: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    arrays, params = CALLS[case]()
    name = case.split(":")[0]
    OPERATORS[name].impl.seen.clear()  # (other tests of this process may have called it)
    OPERATORS[name].impl.programs.clear()
    monkeypatch.setenv("MXJIT_LOG_COMPILES", "1")
    first = _run(name, arrays, params)  # (a new signature: primitive by primitive)
    assert f"jit: tracing {name}" not in capsys.readouterr().err
    second = _run(name, arrays, params)
    assert f"jit: tracing {name}" in capsys.readouterr().err
    third = _run(name, arrays, params)
    assert "jit: tracing" not in capsys.readouterr().err
    for got in (second, third):
        np.testing.assert_allclose(got[0], first[0], rtol=1e-6, atol=1e-6)
        for g, want in zip(got[1], first[1]):
            np.testing.assert_allclose(g, want, rtol=1e-5, atol=1e-6)


def test_results_match_numpy_and_outputs_are_written_with_out() -> None:
    x = _array(3, 4)
    want = x.asnumpy() - np.log(np.exp(x.asnumpy()).sum(axis=1, keepdims=True))
    out = nd.zeros((3, 4))
    for _ in range(3):
        np.testing.assert_allclose(nd.log_softmax(x).asnumpy(), want, rtol=1e-5, atol=1e-6)
        nd.log_softmax(x, out=out)
        np.testing.assert_allclose(out.asnumpy(), want, rtol=1e-5, atol=1e-6)


def test_a_parameter_that_changes_on_every_call_never_compiles(monkeypatch, capsys) -> None:
    monkeypatch.setenv("MXJIT_LOG_COMPILES", "1")
    x = _array(3, 4)
    for t in (1.0, 1.5, 2.0, 2.5):
        want = np.exp(x.asnumpy() / t)
        want /= want.sum(axis=-1, keepdims=True)
        np.testing.assert_allclose(nd.softmax(x, temperature=t).asnumpy(), want, rtol=1e-5)
    assert "jit: tracing softmax" not in capsys.readouterr().err


def test_inside_a_trace_the_implementation_is_inlined(monkeypatch, capsys) -> None:
    monkeypatch.setenv("MXJIT_LOG_COMPILES", "1")
    f = mx.jit(lambda x: nd.log_softmax(x) * 2)
    x = _array(3, 4)
    for _ in range(3):
        f(x)
    log = capsys.readouterr().err
    assert log.count("jit: tracing") == 1 and "tracing log_softmax" not in log


def test_the_tables_stay_bounded(monkeypatch) -> None:
    monkeypatch.setattr(eager_compiled, "SIGNATURES_KEPT", 4)
    monkeypatch.setattr(eager_compiled, "PARAMETER_SETS_KEPT", 2)
    run = eager_compiled.CompiledEagerly(lambda x, scale=1.0: x * scale + 1)
    x = _array(2)
    for scale in range(8):
        for _ in range(2):
            np.testing.assert_allclose(run(x, scale=float(scale)).asnumpy(),
                                       x.asnumpy() * scale + 1, rtol=1e-6)
    assert len(run.seen) == 4 and len(run.programs) == 2


def test_unhashable_parameters_and_other_inputs_run_primitive_by_primitive() -> None:
    calls = []

    def impl(x, shape=None):
        calls.append(getattr(x, "_node", None) is None)
        return x + 1

    run = eager_compiled.CompiledEagerly(impl)
    x = _array(2)
    for _ in range(3):
        run(x, shape=[1, 2])  # (a list: no program can be keyed by it)
        run(np.ones(2), shape=None)  # (not an mxjit array)
    assert calls == [True] * 6  # (never traced)


def test_symbols_of_compiled_operators_pickle() -> None:
    # (an operator pickles as its name: the compiled wrapper and its programs stay home)
    import pickle
    x = mx.sym.var("x")
    y = mx.sym.log_softmax(mx.sym.FullyConnected(x, num_hidden=3, name="fc"))
    back = pickle.loads(pickle.dumps(y))
    assert back.tojson() == y.tojson()
    assert pickle.loads(pickle.dumps(OPERATORS["pick"])) is OPERATORS["pick"]
    data = nd.array(np.arange(8, dtype=np.float32).reshape(2, 4))
    weight = nd.array(np.ones((3, 4), np.float32))
    bias = nd.zeros((3,))
    got = back.eval(x=data, fc_weight=weight, fc_bias=bias)
    want = y.eval(x=data, fc_weight=weight, fc_bias=bias)
    np.testing.assert_allclose(got[0].asnumpy(), want[0].asnumpy(), rtol=1e-6)


def test_parameters_equal_as_keys_but_of_other_types_compile_apart() -> None:
    seen = []
    run = eager_compiled.CompiledEagerly(lambda x, k=1: seen.append(type(k)) or x * k)
    x = _array(2)
    for k in (1, 1, 1.0, 1.0, True, True):
        run(x, k=k)
    assert len(run.programs) == 3 and set(seen) == {int, float, bool}
