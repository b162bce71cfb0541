"""gluon.contrib.estimator: MXNet 1.9.1's log text and checkpoint names for the same runs,
the order of events, early stopping, checkpoints that resume where training stopped, the
progress bar, and the errors."""
from __future__ import annotations

import io
import os
import re
import warnings

import numpy as np
import pytest

import mxjit as mx
from mxjit import gluon
from mxjit.gluon.contrib.estimator import (
    BatchBegin,
    BatchEnd,
    BatchProcessor,
    CheckpointHandler,
    EarlyStoppingHandler,
    EpochBegin,
    EpochEnd,
    Estimator,
    GradientUpdateHandler,
    LoggingHandler,
    MetricHandler,
    ProgressBarHandler,
    TrainBegin,
    TrainEnd,
    ValidationHandler,
)
from mxjit.gluon.data import ArrayDataset, DataLoader

RS = np.random.RandomState(0)
X = RS.rand(40, 5).astype(np.float32)
Y = (X.sum(axis=1) > 2.5).astype(np.float32)


def loader(batch_size: int = 16) -> DataLoader:
    """40 samples in batches of 16, 16 and 8, in order."""
    return DataLoader(ArrayDataset(X, Y), batch_size=batch_size)


def make_estimator(lr: float = 0.05, **kwargs) -> Estimator:
    """A Dense(2) with fixed weights (those of the MXNet 1.9.1 runs quoted below), Adam."""
    net = gluon.nn.Dense(2, in_units=5)
    net.initialize()
    net.weight.set_data(mx.nd.array(np.linspace(-1, 1, 10).reshape(2, 5)))
    net.bias.set_data(mx.nd.array([0.1, -0.1]))
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": lr})
    return Estimator(net, gluon.loss.SoftmaxCrossEntropyLoss(), trainer=trainer, **kwargs)


def masked(text: str) -> list[str]:
    """The log lines with their times replaced by <t>."""
    text = re.sub(r"in [0-9.]+s", "in <t>s", text)
    text = re.sub(r"interval: [0-9.]+s", "interval: <t>s", text)
    text = re.sub(r"total [0-9]+s", "total <t>s", text)
    return [line for line in text.splitlines() if line.strip()]


#: What MXNet 1.9.1 prints for `test_the_log_is_mxnets` (its trailing space dropped).
MXNET_LOG = """\
Training begin: using optimizer Adam with current learning rate 0.0500
Train for 2 epochs.
[Epoch 0] Begin, current learning rate: 0.0500
Validation Begin
[Epoch 0] Finished in <t>s, validation accuracy: 0.5000, validation softmaxcrossentropyloss: 0.7527
[Epoch 0] Finished in <t>s, training accuracy: 0.5000, training softmaxcrossentropyloss: 0.9605
[Epoch 1] Begin, current learning rate: 0.0500
Validation Begin
[Epoch 0] Finished in <t>s, validation accuracy: 0.5500, validation softmaxcrossentropyloss: 0.5906
[Epoch 1] Finished in <t>s, training accuracy: 0.5000, training softmaxcrossentropyloss: 0.6892
Train finished using total <t>s with 2 epochs. training accuracy: 0.5000, training \
softmaxcrossentropyloss: 0.6892
Training begin: using optimizer Adam with current learning rate 0.0500
Train for 4 batches.
[Epoch 0] Begin, current learning rate: 0.0500
[Epoch 0][Batch 0][Samples 16] time/interval: <t>s training accuracy: 0.6250, training \
softmaxcrossentropyloss: 0.5776
[Epoch 0][Batch 2][Samples 40] time/interval: <t>s training accuracy: 0.6500, training \
softmaxcrossentropyloss: 0.5763
[Epoch 0] Finished in <t>s, training accuracy: 0.6500, training softmaxcrossentropyloss: 0.5763
[Epoch 1] Begin, current learning rate: 0.0500
[Epoch 1][Batch 0][Samples 56] time/interval: <t>s training accuracy: 0.7500, training \
softmaxcrossentropyloss: 0.5911
[Epoch 1] Finished in <t>s, training accuracy: 0.7500, training softmaxcrossentropyloss: 0.5911
Train finished using total <t>s with 2 epochs. training accuracy: 0.7500, training \
softmaxcrossentropyloss: 0.5911
Validation Begin
[Epoch 0] Finished in <t>s, validation accuracy: 0.5750, validation softmaxcrossentropyloss: 0.6139
"""


def test_the_log_is_mxnets(capsys):
    est = make_estimator()
    assert [m.name for m in est.train_metrics] == ["training accuracy",
                                                   "training softmaxcrossentropyloss"]
    assert [m.name for m in est.val_metrics] == ["validation accuracy",
                                                 "validation softmaxcrossentropyloss"]
    est.fit(loader(), val_data=loader(), epochs=2)
    est.fit(loader(), batches=4,
            event_handlers=[LoggingHandler(log_interval=2, metrics=est.train_metrics)])
    est.evaluate(loader())
    assert masked(capsys.readouterr().out) == MXNET_LOG.splitlines()


class Recorder(TrainBegin, EpochBegin, BatchBegin, BatchEnd, EpochEnd, TrainEnd):
    def __init__(self, events: list[str], name: str = "user", priority: float = 0):
        self.events, self.name, self.priority = events, name, priority

    def train_begin(self, estimator, *args, **kwargs):
        self.events.append("train_begin")

    def epoch_begin(self, estimator, *args, **kwargs):
        self.events.append("epoch_begin")

    def batch_begin(self, estimator, *args, **kwargs):
        self.events.append("batch_begin")

    def batch_end(self, estimator, *args, **kwargs):
        assert set(kwargs) == {"batch", "pred", "label", "loss"}
        self.events.append("batch_end")
        return False

    def epoch_end(self, estimator, *args, **kwargs):
        self.events.append("epoch_end")
        return False

    def train_end(self, estimator, *args, **kwargs):
        self.events.append("train_end")


def test_events_come_in_order_and_batches_stop_mid_epoch():
    events: list[str] = []
    est = make_estimator()
    est.fit(loader(), batches=4, event_handlers=[Recorder(events)], progress_bar=False)
    epoch = ["epoch_begin"] + ["batch_begin", "batch_end"] * 3 + ["epoch_end"]
    assert events == (["train_begin"] + epoch + ["epoch_begin", "batch_begin", "batch_end",
                                                 "epoch_end", "train_end"])


def test_handlers_run_by_priority():
    """Gradient update, then metrics, then the user's handlers, then logging."""
    seen = []

    class Spy(BatchEnd):
        def __init__(self, priority):
            self.priority = priority

        def batch_end(self, estimator, *args, **kwargs):
            step = estimator.trainer.optimizer.num_update
            seen.append((self.priority, step, estimator.train_metrics[0].num_inst))
            return False

    est = make_estimator()
    est.fit(loader(), batches=1, event_handlers=[Spy(0), Spy(-1500), Spy(-3000)],
            progress_bar=False)
    # before the update: step 0; after it but before the metrics: no instances counted
    assert seen == [(-3000, 0, 0), (-1500, 1, 0), (0, 1, 16)]


def test_early_stopping_stops_when_the_monitor_stalls(capsys):
    est = make_estimator(lr=0.0)  # nothing changes: the loss never improves after epoch 0
    loss = est.train_metrics[1]
    stopper = EarlyStoppingHandler(loss, patience=2, mode="min")
    events: list[str] = []
    est.fit(loader(), epochs=10, event_handlers=[stopper, Recorder(events)])
    assert events.count("epoch_end") == 3
    assert stopper.stopped_epoch == 2
    assert ("[Epoch 2] EarlyStoppingHandler: early stopping due to training "
            "softmaxcrossentropyloss not improving") in capsys.readouterr().out


def test_early_stopping_lets_an_improving_loss_train_on():
    """'auto' minimises a loss (MXNet 1.9.1 maximised every monitor) and maximises an
    accuracy."""
    est = make_estimator()
    with pytest.warns(UserWarning, match="smaller"):
        stopper = EarlyStoppingHandler(est.train_metrics[1], patience=0)
    with pytest.warns(UserWarning, match="greater"):
        EarlyStoppingHandler(est.train_metrics[0])
    events: list[str] = []
    est.fit(loader(), epochs=3, event_handlers=[stopper, Recorder(events)],
            progress_bar=False)  # (the loss falls for three epochs)
    assert events.count("epoch_end") == 3 and not stopper.stop_training


def test_early_stopping_baseline_and_min_delta():
    est = make_estimator()
    stopper = EarlyStoppingHandler(est.train_metrics[1], mode="min", baseline=0.1, patience=1)
    events: list[str] = []
    est.fit(loader(), epochs=5, event_handlers=[stopper, Recorder(events)],
            progress_bar=False)
    assert events.count("epoch_end") == 1  # a loss above the baseline is no improvement
    big_delta = EarlyStoppingHandler(est.train_metrics[1], mode="min", min_delta=10,
                                     patience=1)
    events.clear()
    est.fit(loader(), epochs=5, event_handlers=[big_delta, Recorder(events)],
            progress_bar=False)
    assert events.count("epoch_end") == 2  # epoch 0 beats inf, epoch 1 not by 10


def files(path) -> list[str]:
    return sorted(os.listdir(path))


def test_checkpoints_have_mxnets_names_and_rotate(tmp_path):
    est = make_estimator()
    handler = CheckpointHandler(str(tmp_path), model_prefix="m", max_checkpoints=2)
    est.fit(loader(), epochs=3, event_handlers=[handler], progress_bar=False)
    assert files(tmp_path) == ["m-epoch1batch6.params", "m-epoch1batch6.states",
                               "m-epoch2batch9.params", "m-epoch2batch9.states"]
    saved = mx.nd.load(str(tmp_path / "m-epoch2batch9.params"))
    assert np.array_equal(saved["weight"].asnumpy(), est.net.weight.data().asnumpy())


def test_checkpoints_by_batch_and_the_best(tmp_path):
    est = make_estimator()
    with pytest.warns(UserWarning, match="greater"):
        handler = CheckpointHandler(str(tmp_path), model_prefix="m", epoch_period=None,
                                    batch_period=2, monitor=est.train_metrics[0],
                                    save_best=True)
    est.fit(loader(), batches=5, event_handlers=[handler], progress_bar=False)
    assert files(tmp_path) == ["m-best.params", "m-best.states", "m-epoch0batch1.params",
                               "m-epoch0batch1.states", "m-epoch1batch3.params",
                               "m-epoch1batch3.states"]
    assert handler.best == est.train_metrics[0].get()[1]


def test_verbose_checkpoints_log_what_they_save(tmp_path, capsys):
    est = make_estimator(lr=0.0)
    handler = CheckpointHandler(str(tmp_path), model_prefix="m", verbose=1, mode="max",
                                monitor=est.train_metrics[0], save_best=True)
    est.fit(loader(), epochs=2, event_handlers=[handler], progress_bar=False)
    out = capsys.readouterr().out
    assert ("[Epoch 0] CheckpointHandler: trained total 4 batches, saving model at "
            f"{tmp_path} with prefix: m-epoch0batch3") in out
    assert ("[Epoch 0] CheckpointHandler: training accuracy improved from -inf to 0.50000, "
            f"updating best model at {tmp_path} with prefix: m-best") in out
    assert ("[Epoch 1] CheckpointHandler: training accuracy did not improve from 0.50000, "
            "skipping updating best model") in out
    assert "Model architecture(symbol file) is not saved" in out and "m-symbol.json." in out


def test_a_resumed_run_ends_where_an_uninterrupted_one_does(tmp_path, capsys):
    straight = make_estimator()
    straight.fit(loader(), epochs=4, progress_bar=False)

    first = make_estimator()
    first.fit(loader(), epochs=2, progress_bar=False,
              event_handlers=[CheckpointHandler(str(tmp_path), model_prefix="m")])
    resumed = make_estimator()
    events: list[str] = []
    resumed.fit(loader(), epochs=4, progress_bar=False, event_handlers=[
        CheckpointHandler(str(tmp_path), model_prefix="m", resume_from_checkpoint=True),
        Recorder(events)])
    assert events.count("epoch_end") == 2
    out = capsys.readouterr().out
    assert "CheckpointHandler: Checkpoint resumed from epoch 1 batch 6, continue to train " \
           "for 2 epochs" in out
    assert files(tmp_path) == [f"m-epoch{e}batch{b}.{ext}" for e, b in
                               [(0, 3), (1, 6), (2, 9), (3, 12)] for ext in ("params", "states")]
    for name in ("weight", "bias"):
        np.testing.assert_allclose(getattr(resumed.net, name).data().asnumpy(),
                                   getattr(straight.net, name).data().asnumpy(), rtol=1e-5)


def test_resuming_by_batches_continues_mxnets_numbering(tmp_path):
    def handler(resume):
        return CheckpointHandler(str(tmp_path), model_prefix="m", epoch_period=None,
                                 batch_period=2, resume_from_checkpoint=resume)

    make_estimator().fit(loader(), batches=5, event_handlers=[handler(False)],
                         progress_bar=False)
    est = make_estimator()
    events: list[str] = []
    est.fit(loader(), batches=9, event_handlers=[handler(True), Recorder(events)],
            progress_bar=False)
    assert events.count("batch_end") == 5
    assert files(tmp_path) == [f"m-epoch{e}batch{b}.{ext}" for e, b in
                               [(0, 1), (1, 3), (2, 5), (3, 7)] for ext in ("params", "states")]


def test_resume_counts_earlier_checkpoints_towards_the_limit(tmp_path):
    make_estimator().fit(loader(), epochs=2, progress_bar=False, event_handlers=[
        CheckpointHandler(str(tmp_path), model_prefix="m")])
    make_estimator().fit(loader(), epochs=3, progress_bar=False, event_handlers=[
        CheckpointHandler(str(tmp_path), model_prefix="m", max_checkpoints=2,
                          resume_from_checkpoint=True)])
    assert files(tmp_path) == ["m-epoch1batch6.params", "m-epoch1batch6.states",
                               "m-epoch2batch9.params", "m-epoch2batch9.states"]


def test_resume_without_checkpoints_trains_from_scratch(tmp_path, capsys):
    make_estimator().fit(loader(), epochs=1, event_handlers=[
        CheckpointHandler(str(tmp_path), resume_from_checkpoint=True)])
    assert "CheckpointHandler: No checkpoint found, training from scratch for 1 epochs" in \
        capsys.readouterr().out
    assert files(tmp_path) == ["model-epoch0batch3.params", "model-epoch0batch3.states"]


def test_resume_errors(tmp_path):
    make_estimator().fit(loader(), epochs=2, progress_bar=False, event_handlers=[
        CheckpointHandler(str(tmp_path), model_prefix="m")])
    with pytest.raises(ValueError, match="already has all 2 epochs"):
        make_estimator().fit(loader(), epochs=2, event_handlers=[
            CheckpointHandler(str(tmp_path), model_prefix="m", resume_from_checkpoint=True)])
    with pytest.raises(AssertionError, match="save by the unit you train by"):
        make_estimator().fit(loader(), batches=2, event_handlers=[
            CheckpointHandler(str(tmp_path), model_prefix="m", resume_from_checkpoint=True)])
    os.remove(tmp_path / "m-epoch1batch6.states")
    with pytest.raises(FileNotFoundError, match="m-epoch1batch6.states"):
        make_estimator().fit(loader(), epochs=4, event_handlers=[
            CheckpointHandler(str(tmp_path), model_prefix="m", resume_from_checkpoint=True)])
    (tmp_path / "m-epoch9batch9.params").write_bytes(b"")
    (tmp_path / "m-epoch9batch90.params").write_bytes(b"")
    handler = CheckpointHandler(str(tmp_path), model_prefix="m")
    assert handler._existing()[-2:] == [(9, 9), (9, 90)]
    with pytest.raises(ValueError, match="save_best=True needs a monitor"):
        CheckpointHandler(str(tmp_path), save_best=True)


def test_validation_every_few_batches():
    calls = []
    est = make_estimator()
    validation = ValidationHandler(loader(), lambda **kw: calls.append(kw), epoch_period=None,
                                   batch_period=2)
    est.fit(loader(), epochs=2, event_handlers=[validation], progress_bar=False)
    assert len(calls) == 3 and calls[0]["batch_axis"] == 0


def test_evaluate_matches_a_direct_computation():
    est = make_estimator()
    est.evaluate(loader())
    scores = est.net(mx.nd.array(X)).asnumpy()
    accuracy = (scores.argmax(axis=1) == Y).mean()
    assert est.val_metrics[0].get() == ("validation accuracy", pytest.approx(accuracy))


def test_a_users_handlers_replace_the_defaults_of_their_kind():
    steps = []

    class CountingUpdate(GradientUpdateHandler):
        def batch_end(self, estimator, *args, **kwargs):
            steps.append(1)
            return super().batch_end(estimator, *args, **kwargs)

    est = make_estimator()
    est.fit(loader(), batches=2, event_handlers=CountingUpdate(), progress_bar=False)
    assert len(steps) == 2 and est.trainer.optimizer.num_update == 2


def test_handlers_must_use_the_estimators_metrics():
    est = make_estimator()
    with pytest.raises(ValueError, match="none of the estimator's"):
        est.fit(loader(), epochs=1, event_handlers=[
            LoggingHandler(metrics=[mx.metric.Accuracy()])])
    with pytest.raises(ValueError, match="none of the estimator's"):
        est.fit(loader(), epochs=1, event_handlers=[
            EarlyStoppingHandler(mx.metric.Loss(), mode="min")])
    est.fit(loader(), epochs=1, event_handlers=[MetricHandler(est.train_metrics)],
            progress_bar=False)


def test_the_progress_bar_shows_batches_and_metrics(capsys):
    file = io.StringIO()
    est = make_estimator()
    bar = ProgressBarHandler(est.train_metrics + est.val_metrics, total=3, disable=False,
                             file=file)
    est.fit(loader(), val_data=loader(), epochs=2, event_handlers=[bar])
    text = file.getvalue()
    assert "[Epoch 0]" in text and "[Epoch 1]" in text and "3/3" in text
    assert re.search(r"acc=0\.\d{3}, loss=\d\.\d{3}, val_acc=0\.\d{3}, "
                     r"val_loss=\d\.\d{3}", text)
    assert "batch/s" not in capsys.readouterr().out  # the log has no bar in it


def test_the_progress_bar_is_on_only_on_a_terminal_unless_asked(capsys):
    make_estimator().fit(loader(), epochs=1)  # standard output is pytest's capture
    assert "batch/s" not in capsys.readouterr().out
    make_estimator().fit(loader(), epochs=1, progress_bar=True)
    assert "3/3" in capsys.readouterr().out


def test_a_custom_batch_processor():
    class Halved(BatchProcessor):
        def fit_batch(self, estimator, train_batch, batch_axis=0):
            data, label = train_batch
            return super().fit_batch(estimator, (data[:4], label[:4]), batch_axis)

    est = make_estimator(batch_processor=Halved())
    est.fit(loader(), epochs=1, progress_bar=False)
    assert est.train_metrics[0].num_inst == 12


def test_plain_iterables_of_batches_work():
    batches = [(mx.nd.array(X[k:k + 16]), mx.nd.array(Y[k:k + 16])) for k in range(0, 40, 16)]
    est = make_estimator()
    est.fit(batches, val_data=batches, epochs=2, progress_bar=False)
    assert est.train_metrics[0].num_inst == 40 and est.val_metrics[0].num_inst == 40


@pytest.mark.filterwarnings("ignore::UserWarning")  # (no trainer; 'auto' guessing)
def test_estimator_errors():
    est = make_estimator()
    with pytest.raises(ValueError, match="exactly one of epochs"):
        est.fit(loader())
    with pytest.raises(ValueError, match="exactly one of epochs"):
        est.fit(loader(), epochs=1, batches=1)
    with pytest.raises(ValueError, match="train_data must be a gluon.data.DataLoader"):
        est.fit(mx.nd.array(X), epochs=1)
    with pytest.raises(ValueError, match="val_data must be a gluon.data.DataLoader"):
        est.evaluate(3)
    # (as MXNet's: an mx.io iterator and a list of bare arrays are refused)
    with pytest.raises(ValueError, match="got NDArrayIter"):
        est.fit(mx.io.NDArrayIter(X, Y, batch_size=4), epochs=1)
    with pytest.raises(ValueError, match="got list"):
        est.fit([mx.nd.array(X)], epochs=1)
    batches = iter(list(loader()))
    with pytest.raises(ValueError, match="no batches in epoch 1"):
        est.fit(batches, batches=10, progress_bar=False)
    with pytest.raises(ValueError, match="event_handlers must be an EventHandler"):
        est.fit(loader(), epochs=1, event_handlers=[print])
    net = gluon.nn.Dense(2)
    with pytest.raises(ValueError, match="the loss must be a gluon.loss.Loss"):
        Estimator(net, lambda p, y: p)
    loss = gluon.loss.L2Loss()
    with pytest.raises(ValueError, match="trainer must be a gluon.Trainer"):
        Estimator(net, loss, trainer="sgd")
    with pytest.raises(ValueError, match="context must be a Context"):
        Estimator(net, loss, context="cpu")
    with pytest.raises(ValueError, match="metrics must be an mx.metric.EvalMetric"):
        Estimator(net, loss, train_metrics=["acc"])
    with pytest.raises(ValueError, match="fit_batch"):
        Estimator(net, loss, batch_processor=object())
    with pytest.raises(ValueError, match="log_interval must be an int"):
        LoggingHandler(log_interval="batch")
    with pytest.raises(ValueError, match="CompositeEvalMetric cannot be monitored"):
        EarlyStoppingHandler(mx.metric.CompositeEvalMetric(["acc"]))
    with pytest.raises(ValueError, match="the monitor must be one of"):
        EarlyStoppingHandler("acc")
    with pytest.warns(RuntimeWarning, match="mode 'best' is unknown"):
        EarlyStoppingHandler(mx.metric.Accuracy(), mode="best")


def test_defaults_and_their_warnings():
    net = gluon.nn.Dense(2)
    with pytest.warns(UserWarning, match="No trainer specified, default SGD"):
        est = Estimator(net, gluon.loss.L2Loss(), initializer=mx.init.One())
    assert type(est.trainer.optimizer).__name__ == "SGD"
    assert est.trainer.learning_rate == 0.001
    assert est.context == [mx.cpu()]
    assert [m.name for m in est.train_metrics] == ["training l2loss"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.warns(UserWarning, match="Network already fully initialized, skipping"):
            Estimator(net, gluon.loss.L2Loss(), initializer=mx.init.Zero())
    acc = mx.metric.Accuracy()
    est = make_estimator(train_metrics=acc)
    assert acc.name == "training accuracy" and est.val_metrics[0].name == "validation accuracy"
    assert est.val_metrics[0] is not acc


def test_checkpoints_of_a_hybridized_network_write_its_graph_once(tmp_path, capsys):
    est = make_estimator()
    est.net.hybridize()
    handler = CheckpointHandler(str(tmp_path), model_prefix="h", epoch_period=None,
                                batch_period=2)
    est.fit(loader(), batches=4, event_handlers=[handler], progress_bar=False)
    assert "h-symbol.json" in files(tmp_path)
    graph = mx.sym.load(str(tmp_path / "h-symbol.json"))
    names = graph.list_arguments()
    assert names[0] == "data" and len(names) == 3
    x = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32)
    params = {"data": mx.nd.array(x), **{p.name: p.data() for p in
                                          est.net.collect_params().values()}}
    out = graph.bind(mx.cpu(), params).forward()[0]
    np.testing.assert_allclose(out.asnumpy(), est.net(mx.nd.array(x)).asnumpy(), rtol=1e-6)
    # (not hybridized: no graph, and the log says why, in MXNet's words)
    plain = make_estimator()
    other = CheckpointHandler(str(tmp_path / "plain"), model_prefix="p", epoch_period=None,
                              batch_period=2)
    capsys.readouterr()
    plain.fit(loader(), batches=2, event_handlers=[other], progress_bar=False)
    assert "p-symbol.json" not in files(tmp_path / "plain")
    assert "Model architecture(symbol file) is not saved" in capsys.readouterr().out


def test_the_default_handlers_of_mxnets_two_arguments_are_mxnets():
    # (MXNet's test_default_handlers calls this with two arguments: no progress bar)
    est = make_estimator()
    early = EarlyStoppingHandler(monitor=est.train_metrics[0], mode="max")
    handlers = est._prepare_default_handlers(val_data=None, event_handlers=[early])
    assert [type(h).__name__ for h in handlers] == [
        "GradientUpdateHandler", "MetricHandler", "EarlyStoppingHandler", "StoppingHandler",
        "LoggingHandler"]
