"""mx.callback, mx.monitor and the log lines of Module.fit: MXNet 1.9.1's formats."""
from __future__ import annotations

import logging
import re
from types import SimpleNamespace

import numpy as np
import pytest

import mxjit as mx
from mxjit import nd

_RS = np.random.RandomState(0)
X = _RS.rand(8, 4).astype(np.float32)
Y = np.array([0, 1, 2, 0, 1, 2, 0, 1], dtype=np.float32)


@pytest.fixture(autouse=True)
def fresh_names():
    with mx.name.NameManager():
        yield


def mlp() -> mx.sym.Symbol:
    h = mx.sym.Activation(mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=5, name="fc1"),
                          act_type="tanh")
    return mx.sym.SoftmaxOutput(mx.sym.FullyConnected(h, num_hidden=3, name="fc2"),
                                name="softmax")


def messages(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records]


def test_fit_logs_the_epoch_lines_and_calls_every_callback(caplog, tmp_path):
    it = mx.io.NDArrayIter(X, Y, batch_size=2)
    prefix = str(tmp_path / "cb")
    ends = []
    mod = mx.mod.Module(mlp())
    with caplog.at_level(logging.INFO):
        mod.fit(it, eval_data=it, num_epoch=2,
                batch_end_callback=[mx.callback.Speedometer(2, 2),
                                    mx.callback.log_train_metric(2),
                                    mx.callback.ProgressBar(4, length=10)],
                eval_end_callback=mx.callback.LogValidationMetricsCallback(),
                epoch_end_callback=[mx.callback.do_checkpoint(prefix),
                                    lambda epoch, sym, arg, aux: ends.append((epoch, sorted(arg)))])
    lines = messages(caplog)
    patterns = [
        r"Iter\[0\] Batch\[0\] Train-accuracy=\d\.\d{6}", r"\[----------\] 0%\r",
        r"\[==--------\] 25%\r",
        r"Epoch\[0\] Batch \[0-2\]\tSpeed: [\d.]+ samples/sec\taccuracy=\d\.\d{6}",
        r"Iter\[0\] Batch\[2\] Train-accuracy=nan",  # (the Speedometer had just reset it)
        r"\[=====-----\] 50%\r", r"\[========--\] 75%\r",
        r"Epoch\[0\] Train-accuracy=\d\.\d{6}", r"Epoch\[0\] Time cost=\d+\.\d{3}",
        f'Saved checkpoint to "{re.escape(prefix)}-0001.params"',
        r"Epoch\[0\] Validation-accuracy=\d\.\d{6}", r"Epoch\[0\] Validation-accuracy=\d\.\d{6}",
        r"Iter\[1\] Batch\[0\] Train-accuracy=\d\.\d{6}"]
    for pattern, line in zip(patterns, lines):
        assert re.fullmatch(pattern, line), (pattern, line)
    assert ends == [(0, ["fc1_bias", "fc1_weight", "fc2_bias", "fc2_weight"]),
                    (1, ["fc1_bias", "fc1_weight", "fc2_bias", "fc2_weight"])]
    symbol, args, _ = mx.model.load_checkpoint(prefix, 2)
    assert symbol.list_outputs() == ["softmax_output"]
    np.testing.assert_array_equal(args["fc2_bias"].asnumpy(),
                                  mod.get_params()[0]["fc2_bias"].asnumpy())


def _param(nbatch: int, metric=None, epoch: int = 0):
    return mx.model.BatchEndParam(epoch=epoch, nbatch=nbatch, eval_metric=metric, locals={})


def test_speedometer_formats(caplog, monkeypatch):
    clock = iter([100.0, 102.0, 103.0, 200.0, 201.0, 202.0])
    monkeypatch.setattr(mx.callback, "time", SimpleNamespace(time=lambda: next(clock)))
    acc = mx.metric.Accuracy()
    acc.update([nd.array([0, 1])], [nd.array([[0.9, 0.1], [0.8, 0.2]])])
    keep = mx.callback.Speedometer(batch_size=10, frequent=2, auto_reset=False)
    silent = mx.callback.Speedometer(batch_size=10, frequent=2)
    with caplog.at_level(logging.INFO):
        for n in range(3):
            keep(_param(n, acc))
        silent(_param(0))
        silent(_param(2))
    assert messages(caplog) == [
        "Epoch[0] Batch [0-2]\tSpeed: 10.00 samples/sec\taccuracy=0.500000",
        "Iter[0] Batch [2]\tSpeed: 20.00 samples/sec"]
    assert acc.get() == ("accuracy", 0.5)  # (auto_reset=False keeps the running value)


def test_module_checkpoint_saves_every_period_with_optimizer_states(tmp_path):
    prefix = str(tmp_path / "m")
    mod = mx.mod.Module(mlp())
    mod.fit(mx.io.NDArrayIter(X, Y, batch_size=4), num_epoch=4,
            epoch_end_callback=mx.callback.module_checkpoint(mod, prefix, period=2,
                                                             save_optimizer_states=True))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "m-0002.params", "m-0002.states", "m-0004.params", "m-0004.states", "m-symbol.json"]


def test_monitor_collects_statistics_every_interval(caplog):
    mod = mx.mod.Module(mlp())
    mod.bind(data_shapes=[("data", (8, 4))], label_shapes=[("softmax_label", (8,))])
    mod.init_params(mx.init.Xavier())
    mon = mx.monitor.Monitor(2, pattern="fc2_.*|softmax.*", sort=True)
    mod.install_monitor(mon)
    batch = mx.io.DataBatch([nd.array(X)], [nd.array(Y)])
    results = []
    for _ in range(3):
        mon.tic()
        mod.forward(batch, is_train=False)
        results.append(mon.toc())
    # (what MXNet 1.9.1 reports for the same module: operator outputs, then at toc the
    # arguments, sorted)
    assert results[1] == [] and [r[0] for r in results[0]] == [1, 1, 1, 1, 1]
    assert [name for _, name, _ in results[2]] == ["fc2_bias", "fc2_output", "fc2_weight",
                                                   "softmax_label", "softmax_output"]
    weight = mod.get_params()[0]["fc2_weight"].asnumpy()
    rms = np.sqrt((weight ** 2).sum() / weight.size)
    value = dict((name, text) for _, name, text in results[0])["fc2_weight"]
    assert value.endswith("\t") and float(value) == pytest.approx(rms, rel=1e-5)
    with caplog.at_level(logging.INFO):
        for _ in range(2):
            mon.tic()
            mod.forward(batch)
            mon.toc_print()
    assert len(caplog.records) == 5
    assert messages(caplog)[0].startswith("Batch:       5 fc2_bias                       ")


def test_monitor_with_its_own_statistic_and_in_fit(caplog):
    mon = mx.monitor.Monitor(1, stat_func=lambda x: [x.max(), x.min()], pattern="fc1_bias")
    with caplog.at_level(logging.INFO):
        mx.mod.Module(mlp()).fit(mx.io.NDArrayIter(X, Y, batch_size=4), num_epoch=1,
                                 monitor=mon)
    lines = [m for m in messages(caplog) if m.startswith("Batch:")]
    assert len(lines) == 2 and lines[0].startswith("Batch:       1 fc1_bias ")
    assert len(lines[0].split("\t")) == 3  # (two values, each followed by a tab)
