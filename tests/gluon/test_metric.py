"""`mx.metric`: the numbers MXNet 1.9.1 gives (tests/fixtures/mxnet-1.9.1/metrics.json, and
further runs printed by MXNet 1.9.1 whose results are written here), on NDArray and NumPy
inputs; local and global tallies; configurations, the registry and the errors."""
from __future__ import annotations

import json
import math
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import ArgumentError, ParamError, ShapeError

M = mx.metric
nan = float("nan")
CASES = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "mxnet-1.9.1"
                    / "metrics.json").read_text())
#: fixture key -> (registered name, constructor arguments)
MADE_AS = {"TopKAccuracy_k2": ("top_k_accuracy", {"top_k": 2}),
           "Perplexity": ("perplexity", {"ignore_label": None}),
           "PearsonCorrelation": ("pearsonr", {})}


def same(got, expected) -> bool:
    """Equal results, NaN equal to NaN, numbers to 1e-6 relative."""
    if isinstance(expected, (list, tuple)):
        return len(got) == len(expected) and all(same(g, e) for g, e in zip(got, expected))
    if isinstance(expected, float):
        return math.isnan(got) if math.isnan(expected) else got == pytest.approx(expected,
                                                                                  rel=1e-6)
    return got == expected


@pytest.mark.parametrize("key", list(CASES))
@pytest.mark.parametrize("kind", ["ndarray", "numpy", "single"])
def test_the_fixture_numbers(key, kind):
    case = CASES[key]
    name, kwargs = MADE_AS.get(key, (key, {}))
    metric = M.create(name, **kwargs)
    labels = np.array(case["labels"], dtype=np.float32)
    preds = np.array(case["preds"], dtype=np.float32)
    if kind == "ndarray":
        metric.update([mx.nd.array(labels)], [mx.nd.array(preds)])
    elif kind == "numpy":
        metric.update([labels], [preds])
    else:  # one array stands for a list of one
        metric.update(mx.nd.array(labels), mx.nd.array(preds))
    assert metric.get() == (case["name"], pytest.approx(case["value"], rel=1e-6))
    assert metric.get_global() == (case["name"], pytest.approx(case["value"], rel=1e-6))
    assert isinstance(metric.get()[1], float)


# ---- two batches, reset_local, a third: local and global tallies (MXNet 1.9.1's numbers) ---

L1 = [0, 1, 1, 0, 1, 1]
P1 = [[0.4, 0.6], [0.6, 0.4], [0.3, 0.7], [0.8, 0.2], [0.1, 0.9], [0.45, 0.55]]
L2 = [1, 0, 0, 1]
P2 = [[0.2, 0.8], [0.7, 0.3], [0.4, 0.6], [0.9, 0.1]]
#: get() after batch 1; get() and get_global() after batch 2; both after reset_local; both
#: after batch 2 again
TALLIES = {
    "f1": (M.F1, {}, [0.75, 0.625, 0.625, nan, 0.625, 0.5, 0.5833333333333334]),
    "f1 micro": (M.F1, {"average": "micro"},
                 [0.75, 0.6666666666666666, 0.6666666666666666, nan, 0.6666666666666666,
                  0.5, 0.625]),
    "mcc": (M.MCC, {}, [0.25, 0.125, 0.125, nan, 0.125, 0.0, 0.08333333333333333]),
    "mcc micro": (M.MCC, {"average": "micro"},
                  [0.25, 0.16666666666666666, 0.16666666666666666, nan, 0.16666666666666666,
                   0.0, 0.125]),
    "acc": (M.Accuracy, {}, [0.6666666666666666, 0.6, 0.6, nan, 0.6, 0.5, 0.5714285714285714]),
    "pcc": (M.PCC, {}, [0.25, 0.16666666666666666, 0.16666666666666666, nan,
                        0.16666666666666666, 0.0, 0.125]),
    "ce": (M.CrossEntropy, {}, [0.5192662477493286, 0.6914291858673096, 0.6914291858673096, nan,
                                0.6914291858673096, 0.949673593044281, 0.7652133022035871]),
    "nll": (M.NegativeLogLikelihood, {},
            [0.5192662477493286, 0.6914291858673096, 0.6914291858673096, nan,
             0.6914291858673096, 0.949673593044281, 0.7652133022035871]),
    "perplexity": (M.Perplexity, {"ignore_label": 0},
                   [1.6389254066416472, 2.117667630109025, 2.117667630109025, nan,
                    2.117667630109025, 3.535534008882025, 2.407171891079311]),
    "loss": (M.Loss, {}, [0.5, 0.5, 0.5, nan, 0.5, 0.5, 0.5]),
}


def tallies(metric) -> list:
    metric.update([mx.nd.array(L1)], [mx.nd.array(P1)])
    got = [metric.get()[1]]
    metric.update([np.array(L2)], [np.array(P2, dtype=np.float32)])
    got += [metric.get()[1], metric.get_global()[1]]
    metric.reset_local()
    got += [metric.get()[1], metric.get_global()[1]]
    metric.update([mx.nd.array(L2)], [mx.nd.array(P2)])
    return got + [metric.get()[1], metric.get_global()[1]]


@pytest.mark.parametrize("key", list(TALLIES))
def test_local_and_global_tallies(key):
    cls, kwargs, expected = TALLIES[key]
    metric = cls(**kwargs)
    assert same(tallies(metric), expected)
    metric.reset()
    assert same([metric.get()[1], metric.get_global()[1]], [nan, nan])


def test_composite_reports_its_children():
    metric = M.create(["acc", "f1", "ce"])
    got = tallies(metric)
    assert same(got[-2:], [[0.5, 0.5, 0.949673593044281],
                           [0.5714285714285714, 0.5833333333333334, 0.7652133022035871]])
    assert metric.get()[0] == ["accuracy", "f1", "cross-entropy"]
    assert metric.get_name_value()[0] == ("accuracy", 0.5)
    assert metric.get_global_name_value()[0] == ("accuracy", pytest.approx(4 / 7))
    assert str(M.create(["acc", "mse"])) == "EvalMetric: {'accuracy': nan, 'mse': nan}"
    assert metric.get_metric(1).name == "f1"
    with pytest.raises(ParamError, match="Metric index 3 is out of range 0 and 3"):
        metric.get_metric(3)
    metric.add(M.MSE())
    assert [m.name for m in metric.metrics] == ["accuracy", "f1", "cross-entropy", "mse"]
    child = M.Accuracy()
    child.update([mx.nd.array([1])], [mx.nd.array([1])])
    # children keep what they have when the composite is made
    assert M.CompositeEvalMetric([child]).get() == (["accuracy"], [1.0])


# ---- further numbers printed by MXNet 1.9.1 ------------------------------------------------


def test_pcc_with_four_classes_from_scores_or_indices():
    labels = mx.nd.array([0, 1, 2, 2, 1, 0, 3, 3])
    index = [0, 2, 2, 1, 1, 0, 3, 0]
    for preds in [mx.nd.array(np.eye(4)[index] * 0.7 + 0.05), mx.nd.array(index)]:
        metric = M.PCC()
        metric.update([labels], [preds])
        assert metric.get() == ("pcc", pytest.approx(0.5107539184552492, rel=1e-9))
        assert metric.k == 4


YL1, YP1 = [0.1, 0.5, 0.3, 0.9], [0.2, 0.4, 0.4, 0.7]
YL2, YP2 = [1.2, -0.3, 0.0], [1.0, 0.1, -0.2]


@pytest.mark.parametrize("name,expected", [
    ("pearsonr", 0.9391362444904456), ("mae", 0.19583333656191826),
    ("mse", 0.048750005662441254), ("rmse", 0.20756514370441437)])
def test_regression_over_two_batches(name, expected):
    metric = M.create(name)
    metric.update([mx.nd.array(YL1)], [mx.nd.array(YP1)])
    metric.update([mx.nd.array(YL2)], [mx.nd.array(YP2)])
    assert metric.get() == (name, pytest.approx(expected, rel=1e-6))


def test_pearson_micro_pools_all_values():
    metric = M.PearsonCorrelation(average="micro")
    assert same(metric.get(), ("pearsonr", nan))
    metric.update([mx.nd.array(YL1)], [mx.nd.array(YP1)])
    metric.update([np.array(YL2)], [np.array(YP2)])
    assert metric.get() == ("pearsonr", pytest.approx(0.9162654038162333, rel=1e-9))
    # (MXNet 1.9.1 reports 0.0 here: it keeps no global tally for 'micro')
    assert metric.get_global() == metric.get()
    metric.reset()
    assert same(metric.get_global(), ("pearsonr", nan))


def test_top_k_accuracy():
    labels = [mx.nd.array([2, 0, 1, 3])]
    preds = [mx.nd.array([[0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1], [0.3, 0.1, 0.4, 0.2],
                          [0.25, 0.25, 0.3, 0.2]])]
    for k, expected in [(2, 0.5), (3, 0.5), (4, 1.0), (5, 1.0)]:
        metric = M.TopKAccuracy(top_k=k)
        metric.update(labels, preds)
        assert metric.get() == (f"top_k_accuracy_{k}", expected)


def test_accuracy_variants():
    metric = M.Accuracy(axis=0)
    metric.update([mx.nd.array([1, 0])], [mx.nd.array([[0.1, 0.9], [0.9, 0.1]])])
    assert metric.get() == ("accuracy", 1.0)
    metric = M.Accuracy()
    metric.update([mx.nd.array([1, 0, 2])], [mx.nd.array([1, 1, 2])])
    assert metric.get() == ("accuracy", pytest.approx(2 / 3))
    metric = M.Accuracy()
    metric.update([[1, 0]], [[[0.2, 0.8], [0.6, 0.4]]])
    assert metric.get() == ("accuracy", 1.0)


def test_binary_metrics_without_positives():
    f1 = M.F1()
    f1.update([mx.nd.array([0, 0])], [mx.nd.array([[0.9, 0.1], [0.8, 0.2]])])
    mcc = M.MCC()
    mcc.update([mx.nd.array([1, 1])], [mx.nd.array([[0.1, 0.9], [0.2, 0.8]])])
    assert f1.get() == ("f1", 0.0) and mcc.get() == ("mcc", 0.0)


def test_loss_metrics_average_the_values():
    for cls, name in [(M.Loss, "loss"), (M.Torch, "torch"), (M.Caffe, "caffe")]:
        metric = cls()
        metric.update(None, mx.nd.array([1.0, 2.0, 4.0]))
        assert metric.get() == (name, pytest.approx(2.3333333333333335))


def test_update_dict_picks_arrays_by_name():
    labels = OrderedDict(lab0=mx.nd.array([0, 0]), lab1=mx.nd.array([1, 1]))
    metric = M.Accuracy(output_names=["out2"], label_names=["lab1"])
    metric.update_dict(labels, OrderedDict(out1=mx.nd.array([[1, 0], [1, 0]]),
                                           out2=mx.nd.array([[0, 1], [1, 0]])))
    assert metric.get() == ("accuracy", 0.5)
    composite = M.CompositeEvalMetric([M.Accuracy(output_names=["out2"]),
                                       M.Loss(output_names=["out1"])], label_names=["lab1"])
    composite.update_dict(labels, OrderedDict(out1=mx.nd.array([3.0, 5.0]),
                                              out2=mx.nd.array([[0, 1], [1, 0]])))
    assert composite.get() == (["accuracy", "loss"], [0.5, 4.0])
    plain = M.MSE()
    plain.update_dict({"y": mx.nd.array([1.0])}, {"p": mx.nd.array([3.0])})
    assert plain.get() == ("mse", 4.0)


# ---- custom metrics ------------------------------------------------------------------------


def test_custom_metrics_get_numpy_arrays():
    def feval(label, pred):
        assert isinstance(label, np.ndarray) and isinstance(pred, np.ndarray)
        return np.abs(label - pred).sum(), label.size

    metric = M.CustomMetric(feval)
    metric.update([mx.nd.array([1, 2]), mx.nd.array([3.0])],
                  [mx.nd.array([1.5, 2]), mx.nd.array([2.0])])
    assert metric.get() == ("feval", 0.5)
    eq = M.np(lambda label, pred: float(np.mean(label == pred)), name="eq")
    eq.update([mx.nd.array([1, 2])], [mx.nd.array([1, 3])])
    assert eq.get() == ("eq", 0.5)
    extra = M.np(lambda label, pred: float(len(pred)), allow_extra_outputs=True)
    extra.update([mx.nd.array([1, 2])], [mx.nd.array([1, 3]), mx.nd.array([5, 5, 5])])
    assert extra.get() == ("custom(<lambda>)", 2.0)
    assert M.create(feval).name == "feval" and M.np(feval).name == "feval"
    assert M.create(lambda label, pred: 0).name == "custom(<lambda>)"
    with pytest.raises(NotImplementedError, match="CustomMetric cannot be serialized"):
        metric.get_config()
    with pytest.raises(ShapeError, match="Shape of labels 2 does not match shape of "
                                         "predictions 1"):
        metric.update([mx.nd.array([0, 1])] * 2, [mx.nd.array([0, 1])])


def test_a_users_metric_registers_and_has_base_behaviour():
    @M.register
    @M.alias("hits_alias")
    class Hits(M.EvalMetric):
        def __init__(self, name="hits", **kwargs):
            super().__init__(name, **kwargs)

        def update(self, labels, preds):
            self.sum_metric += len(preds)
            self.num_inst += 1

    metric = M.create("hits_alias")
    assert type(metric) is Hits and type(M.create("HITS")) is Hits
    metric.update([], [1, 2, 3])
    # without global statistics the global results are the local ones
    assert metric.get() == ("hits", 3.0) and metric.get_global() == ("hits", 3.0)
    assert metric.get_global_name_value() == [("hits", 3.0)]
    metric.reset_local()
    assert metric.num_inst == 0 and metric.sum_metric == 0.0
    with pytest.raises(NotImplementedError):
        M.EvalMetric("x").update([], [])
    with pytest.warns(UserWarning, match="overriding existing metric"):
        M.register(M.MSE, "hits")
    with pytest.raises(ArgumentError, match="Can only register subclass of EvalMetric"):
        M.register(int)


# ---- configurations and the registry ------------------------------------------------------


def test_get_config_is_mxnets_and_create_rebuilds_from_it():
    base = {"output_names": None, "label_names": None}
    assert M.Accuracy().get_config() == {"axis": 1, "metric": "Accuracy", "name": "accuracy",
                                         **base}
    assert M.TopKAccuracy(3).get_config() == {"top_k": 3, "metric": "TopKAccuracy",
                                              "name": "top_k_accuracy_3", **base}
    assert M.Perplexity(None).get_config() == {"ignore_label": None, "metric": "Perplexity",
                                               "name": "perplexity", **base}
    assert M.CrossEntropy().get_config() == {"eps": 1e-12, "metric": "CrossEntropy",
                                             "name": "cross-entropy", **base}
    for cls, name in [(M.F1, "f1"), (M.MCC, "mcc"), (M.MAE, "mae"), (M.PCC, "pcc"),
                      (M.PearsonCorrelation, "pearsonr"), (M.Loss, "loss"),
                      (M.Torch, "torch"), (M.Caffe, "caffe")]:
        assert cls().get_config() == {"metric": cls.__name__, "name": name, **base}
    composite = M.CompositeEvalMetric([M.Accuracy(), "mse"])
    assert composite.get_config() == {
        "metric": "CompositeEvalMetric", "name": "composite", **base,
        "metrics": [M.Accuracy().get_config(), M.MSE().get_config()]}
    again = M.create(**M.Accuracy(axis=0, label_names=["y"]).get_config())
    assert type(again) is M.Accuracy and again.axis == 0 and again.label_names == ["y"]
    assert M.create({"metric": "Accuracy", "axis": 0}).axis == 0


def test_registered_names():
    names = {"acc": M.Accuracy, "accuracy": M.Accuracy, "caffe": M.Caffe, "ce": M.CrossEntropy,
             "composite": M.CompositeEvalMetric, "compositeevalmetric": M.CompositeEvalMetric,
             "crossentropy": M.CrossEntropy, "f1": M.F1, "loss": M.Loss, "mae": M.MAE,
             "mcc": M.MCC, "mse": M.MSE, "negativeloglikelihood": M.NegativeLogLikelihood,
             "nll_loss": M.NegativeLogLikelihood, "pcc": M.PCC,
             "pearsoncorrelation": M.PearsonCorrelation, "pearsonr": M.PearsonCorrelation,
             "rmse": M.RMSE, "top_k_acc": M.TopKAccuracy, "top_k_accuracy": M.TopKAccuracy,
             "topkaccuracy": M.TopKAccuracy, "torch": M.Torch}
    for name, cls in names.items():
        args = {"top_k": 2} if cls is M.TopKAccuracy else \
            {"ignore_label": None} if cls is M.Perplexity else {}
        assert type(M.create(name, **args)) is cls, name
    assert type(M.create("perplexity", None)) is M.Perplexity
    assert type(M.create("custommetric", len)) is M.CustomMetric
    metric = M.MSE()
    assert M.create(metric) is metric
    public = {n for n in dir(M) if not n.startswith("_")}
    assert public == {"Accuracy", "Caffe", "CompositeEvalMetric", "CrossEntropy", "CustomMetric",
                      "EvalMetric", "F1", "Loss", "MAE", "MCC", "MSE", "NegativeLogLikelihood",
                      "PCC", "PearsonCorrelation", "Perplexity", "RMSE", "TopKAccuracy", "Torch",
                      "alias", "check_label_shapes", "create", "np", "register"}


# ---- errors --------------------------------------------------------------------------------


def test_check_label_shapes():
    labels, preds = M.check_label_shapes(mx.nd.ones(3), mx.nd.ones((3, 2)), wrap=True)
    assert isinstance(labels, list) and len(labels) == 1 and len(preds) == 1
    with pytest.raises(ShapeError, match=r"Shape of labels \(3,\) does not match shape of "
                                         r"predictions \(2,\)"):
        M.check_label_shapes(mx.nd.ones(3), mx.nd.ones(2), shape=True)


@pytest.mark.parametrize("call,error,message", [
    (lambda: M.Accuracy().update([mx.nd.array([0, 1])], [mx.nd.array([[0.3, 0.7]] * 3)]),
     ShapeError, "Shape of labels 2 does not match shape of predictions 3"),
    (lambda: M.Accuracy().update([mx.nd.array([0, 1])] * 2, [mx.nd.array([[0.3, 0.7]] * 2)]),
     ShapeError, "Shape of labels 2 does not match shape of predictions 1"),
    (lambda: M.TopKAccuracy(1), ParamError, "Please use Accuracy if top_k is no more than 1"),
    (lambda: M.TopKAccuracy(2).update([mx.nd.array([0, 1, 2])], [mx.nd.ones((2, 2))]),
     ShapeError, "Shape of labels 3 does not match shape of predictions 2"),
    (lambda: M.TopKAccuracy(2).update([mx.nd.array([0, 1])], [mx.nd.ones((2, 2, 2))]),
     ShapeError, "Predictions should be no more than 2 dims"),
    (lambda: M.F1().update([mx.nd.array([0, 1, 2])], [mx.nd.array([[0.3, 0.7]] * 3)]),
     ParamError, "F1 currently only supports binary classification."),
    (lambda: M.MCC().update([mx.nd.array([0, 1, 2])], [mx.nd.array([[0.3, 0.7]] * 3)]),
     ParamError, "MCC currently only supports binary classification."),
    (lambda: M.MAE().update([mx.nd.array([0, 1, 2])], [mx.nd.array([0.3, 0.7])]),
     ValueError, "could not be broadcast"),
    (lambda: M.Perplexity(None).update([mx.nd.array([0, 1, 2])], [mx.nd.ones((2, 2))]),
     ShapeError, r"shape mismatch: \(3,\) vs. \(2, 2\)"),
    (lambda: M.Perplexity(None).update([mx.nd.array([0])] * 2, [mx.nd.ones((1, 2))]),
     ShapeError, "Perplexity: 2 labels but 1 predictions"),
    (lambda: M.PearsonCorrelation().update([mx.nd.array([0, 1, 2])], [mx.nd.array([0, 1])]),
     ShapeError, r"Shape of labels \(3,\) does not match shape of predictions \(2,\)"),
    (lambda: M.CrossEntropy().update([mx.nd.array([0, 1, 2])], [mx.nd.ones((2, 2))]),
     ShapeError, "CrossEntropy: 3 labels but 2 predictions"),
    (lambda: M.NegativeLogLikelihood().update([mx.nd.array([0, 1, 2])], [mx.nd.ones((2, 2))]),
     ShapeError, "NegativeLogLikelihood: 3 labels but 2 predictions"),
    (lambda: M.create("foo"), ParamError,
     "foo is not registered. Please register with metric.register first"),
    (lambda: M.create(3), ArgumentError, "metric must be of string type"),
    (lambda: M.create(M.MSE(), 1), ArgumentError, "already an instance"),
    (lambda: M.Perplexity(), TypeError, "ignore_label"),
])
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_create_from_the_json_of_get_config_as_mxnet():
    for name, args, kwargs in (("acc", (), {"axis": 0}), ("f1", (), {}),
                               ("perplexity", (-1,), {}), ("pcc", (), {})):
        metric = mx.metric.create(name, *args, **kwargs)
        again = mx.metric.create(json.dumps(metric.get_config()))
        assert again.get_config() == metric.get_config()
