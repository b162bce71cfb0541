"""`mx.metric`: evaluation metrics accumulated over mini-batches.

A metric is updated with a list of labels and a list of predictions (NDArrays or NumPy
arrays; one array stands for a list of one) and reports `(name, value)`. It keeps two
tallies: the local one, which `reset_local` clears (say, every few batches), and the
global one, which only `reset` clears. Metrics are registered by lower-case class name
and aliases ('acc', 'ce', ...) for `create`.

    >>> acc = mx.metric.create('acc')  # doctest: +SKIP
    >>> acc.update([mx.nd.array([0, 1])], [mx.nd.array([[0.7, 0.3], [0.2, 0.8]])])  # doctest: +SKIP
    >>> acc.get()  # doctest: +SKIP
    ('accuracy', 1.0)
"""
from __future__ import annotations

import json
import math
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy

from .base import ArgumentError, NotOverriddenError, ParamError, ShapeError
from .nd import NDArray
from .registry import Registry

__all__ = [
    "check_label_shapes", "EvalMetric", "register", "alias", "create", "CompositeEvalMetric",
    "Accuracy", "TopKAccuracy", "F1", "MCC", "Perplexity", "MAE", "MSE", "RMSE",
    "CrossEntropy", "NegativeLogLikelihood", "PearsonCorrelation", "PCC", "Loss", "Torch",
    "Caffe", "CustomMetric", "np",
]


def __dir__() -> list[str]:
    return __all__


def _numpy(x: Any) -> numpy.ndarray:
    return x.asnumpy() if isinstance(x, NDArray) else numpy.asarray(x)


def _as_list(x: Any) -> Any:
    return [x] if isinstance(x, (NDArray, numpy.ndarray)) else x


def check_label_shapes(labels: Any, preds: Any, wrap: bool = False,
                       shape: bool = False) -> tuple[Any, Any]:
    """Raise unless `labels` and `preds` have equal lengths (or, with `shape=True`, equal
    shapes); with `wrap=True`, a single array comes back as a list of one.

    >>> mx.metric.check_label_shapes([mx.nd.ones(3)], [mx.nd.ones(3)])  # doctest: +SKIP
    """
    got = (labels.shape, preds.shape) if shape else (len(labels), len(preds))
    if got[0] != got[1]:
        raise ShapeError(f"Shape of labels {got[0]} does not match shape of predictions "
                         f"{got[1]}")
    if wrap:
        labels, preds = _as_list(labels), _as_list(preds)
    return labels, preds


class EvalMetric:
    """Base class of metrics: a subclass implements `update(labels, preds)`, adding to
    `sum_metric` and `num_inst` (and, with global statistics, their `global_`
    counterparts); `get()` reports their ratio. `output_names` and `label_names` pick
    the arrays `update_dict` passes on (default: all, in order).

    >>> class Count(mx.metric.EvalMetric):  # doctest: +SKIP
    ...     def update(self, labels, preds):
    ...         self.sum_metric += len(preds); self.num_inst += 1
    """

    num_inst: int | float
    sum_metric: Any
    global_num_inst: int | float
    global_sum_metric: Any

    def __init__(self, name: str, output_names: list[str] | None = None,
                 label_names: list[str] | None = None, **kwargs: Any) -> None:
        self.name = str(name)
        self.output_names = output_names
        self.label_names = label_names
        self._has_global_stats = kwargs.pop("has_global_stats", False)
        self._kwargs = kwargs
        self.reset()

    def __str__(self) -> str:
        return f"EvalMetric: {dict(self.get_name_value())}"

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, with the class under 'metric': `create(**config)`
        makes the metric again.

        >>> mx.metric.Accuracy().get_config()['metric']  # doctest: +SKIP
        'Accuracy'
        """
        return {**self._kwargs, "metric": type(self).__name__, "name": self.name,
                "output_names": self.output_names, "label_names": self.label_names}

    def update_dict(self, label: Mapping[str, Any], pred: Mapping[str, Any]) -> None:
        """Update with named labels and predictions, picked by `label_names` and
        `output_names`.

        >>> acc.update_dict({'label': y}, {'out': p})  # doctest: +SKIP
        """
        preds = [pred[n] for n in self.output_names] if self.output_names is not None \
            else list(pred.values())
        labels = [label[n] for n in self.label_names] if self.label_names is not None \
            else list(label.values())
        self.update(labels, preds)

    def update(self, labels: Any, preds: Any) -> None:
        """Add one mini-batch: lists of label and prediction arrays.

        >>> acc.update([mx.nd.array([1])], [mx.nd.array([[0.2, 0.8]])])  # doctest: +SKIP
        """
        raise NotOverriddenError()

    def reset(self) -> None:
        """Clear both the local and the global tallies.

        >>> acc.reset()  # doctest: +SKIP
        """
        self.num_inst = 0
        self.sum_metric = 0.0
        self.global_num_inst = 0
        self.global_sum_metric = 0.0

    def reset_local(self) -> None:
        """Clear the local tally only.

        >>> acc.reset_local()  # doctest: +SKIP
        """
        self.num_inst = 0
        self.sum_metric = 0.0

    def _accumulate(self, amount: Any, count: int | float) -> None:
        # as a Python float: NumPy 2 would keep adding float32 batch sums in float32, where
        # MXNet's NumPy 1 promoted them to float64
        amount = float(amount)
        self.sum_metric += amount
        self.global_sum_metric += amount
        self.num_inst += count
        self.global_num_inst += count

    def get(self) -> tuple[Any, Any]:
        """`(name, value)` of the local tally (NaN before any update).

        >>> mx.metric.Accuracy().get()  # doctest: +SKIP
        ('accuracy', nan)
        """
        return self.name, _ratio(self.sum_metric, self.num_inst)

    def get_global(self) -> tuple[Any, Any]:
        """`(name, value)` of the global tally (the local one for a metric without global
        statistics).

        >>> acc.get_global()  # doctest: +SKIP
        """
        if not self._has_global_stats:
            return self.get()
        return self.name, _ratio(self.global_sum_metric, self.global_num_inst)

    def get_name_value(self) -> list[tuple[str, Any]]:
        """The local result as a list of `(name, value)` pairs.

        >>> mx.metric.create(['acc', 'mse']).get_name_value()  # doctest: +SKIP
        [('accuracy', nan), ('mse', nan)]
        """
        return _pairs(*self.get())

    def get_global_name_value(self) -> list[tuple[str, Any]]:
        """The global result as a list of `(name, value)` pairs.

        >>> acc.get_global_name_value()  # doctest: +SKIP
        """
        return _pairs(*self.get_global()) if self._has_global_stats else self.get_name_value()


def _ratio(total: Any, count: Any) -> float:
    return float("nan") if count == 0 else float(total / count)


def _pairs(name: Any, value: Any) -> list[tuple[str, Any]]:
    names = name if isinstance(name, list) else [name]
    values = value if isinstance(value, list) else [value]
    return list(zip(names, values))


# ---- the registry of metrics by name ---------------------------------------------------------

_REGISTRY = Registry(EvalMetric, "metric")
_M = TypeVar("_M", bound=type[EvalMetric])


def register(klass: _M, name: str | None = None) -> _M:
    """Register an `EvalMetric` subclass under its lower-case class name (or `name`) for
    `create`. Use it as a class decorator.

    >>> @mx.metric.register  # doctest: +SKIP
    ... class Hits(mx.metric.EvalMetric): ...
    """
    return _REGISTRY.register(klass, name)


def alias(*aliases: str) -> Callable[[_M], _M]:
    """Class decorator registering a metric under further names.

    >>> @mx.metric.register  # doctest: +SKIP
    ... @mx.metric.alias('hits')
    ... class Hits(mx.metric.EvalMetric): ...
    """
    return _REGISTRY.alias(*aliases)


def create(metric: Any, *args: Any, **kwargs: Any) -> EvalMetric:
    """A metric from a registered name (with constructor arguments), a `get_config()`
    dict, a list of these (a `CompositeEvalMetric`), a function `feval(label, pred)` of
    NumPy arrays (a `CustomMetric`), or a metric (returned as is).

    >>> mx.metric.create(['acc', 'f1', mx.metric.TopKAccuracy(top_k=3)])  # doctest: +SKIP
    """
    if callable(metric):
        return CustomMetric(metric, *args, **kwargs)
    if isinstance(metric, list):
        composite = CompositeEvalMetric()
        for child in metric:
            composite.add(create(child, *args, **kwargs))
        return composite
    if isinstance(metric, EvalMetric):
        if args or kwargs:
            raise ArgumentError("metric is already an instance. Additional arguments are "
                                "invalid")
        return metric
    if isinstance(metric, dict):
        return create(**metric)
    if not isinstance(metric, str):
        raise ArgumentError(f"metric must be of string type, got {type(metric).__name__}")
    if metric.startswith(("[", "{")):  # (a JSON form: `json.dumps(m.get_config())`)
        if args or kwargs:
            raise ArgumentError("metric: a JSON config takes no further arguments")
        config = json.loads(metric)
        if isinstance(config, list):
            return create(config[0], **config[1])
        return create(**config)
    return _REGISTRY.find(metric)(*args, **kwargs)


@register
@alias("composite")
class CompositeEvalMetric(EvalMetric):
    """Several metrics updated together; `get()` gives their names and values as two lists.

    >>> m = mx.metric.CompositeEvalMetric([mx.metric.Accuracy(), mx.metric.F1()])  # doctest: +SKIP
    >>> m.update(labels, preds); m.get()  # doctest: +SKIP
    (['accuracy', 'f1'], [0.6666666666666666, 0.8])
    """

    def __init__(self, metrics: Sequence[Any] | None = None, name: str = "composite",
                 output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        self.metrics: list[EvalMetric] = []
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.metrics = [create(m) for m in metrics or []]

    def add(self, metric: Any) -> None:
        """Add a child metric (anything `create` takes).

        >>> m.add('mse')  # doctest: +SKIP
        """
        self.metrics.append(create(metric))

    def get_metric(self, index: int) -> EvalMetric:
        """The child metric at `index`.

        >>> m.get_metric(0).name  # doctest: +SKIP
        'accuracy'
        """
        if not -len(self.metrics) <= index < len(self.metrics):
            raise ParamError(f"Metric index {index} is out of range 0 and {len(self.metrics)}")
        return self.metrics[index]

    def update_dict(self, labels: Mapping[str, Any], preds: Mapping[str, Any]) -> None:
        """Pass the named arrays (those in `label_names`/`output_names`, when set) to
        every child's `update_dict`.

        >>> m.update_dict({'label': y}, {'out': p})  # doctest: +SKIP
        """
        if self.label_names is not None:
            labels = OrderedDict((k, v) for k, v in labels.items() if k in self.label_names)
        if self.output_names is not None:
            preds = OrderedDict((k, v) for k, v in preds.items() if k in self.output_names)
        for metric in self.metrics:
            metric.update_dict(labels, preds)

    def update(self, labels: Any, preds: Any) -> None:
        """Update every child metric.

        >>> m.update(labels, preds)  # doctest: +SKIP
        """
        for metric in self.metrics:
            metric.update(labels, preds)

    def reset(self) -> None:
        """Reset every child metric.

        >>> m.reset()  # doctest: +SKIP
        """
        for metric in self.metrics:
            metric.reset()

    def reset_local(self) -> None:
        """Reset the local tallies of every child metric.

        >>> m.reset_local()  # doctest: +SKIP
        """
        for metric in self.metrics:
            metric.reset_local()

    def get(self) -> tuple[list[str], list[Any]]:
        """The children's local results: `([names], [values])`.

        >>> m.get()  # doctest: +SKIP
        """
        return _joined(m.get() for m in self.metrics)

    def get_global(self) -> tuple[list[str], list[Any]]:
        """The children's global results: `([names], [values])`.

        >>> m.get_global()  # doctest: +SKIP
        """
        return _joined(m.get_global() for m in self.metrics)

    def get_config(self) -> dict[str, Any]:
        """The configuration, with each child's under 'metrics'.

        >>> m.get_config()['metrics'][0]['metric']  # doctest: +SKIP
        'Accuracy'
        """
        return {**super().get_config(), "metrics": [m.get_config() for m in self.metrics]}


def _joined(results: Any) -> tuple[list[str], list[Any]]:
    names: list[str] = []
    values: list[Any] = []
    for name, value in results:
        names.extend([name] if isinstance(name, str) else name)
        values.extend(value if isinstance(value, list) else [value])
    return names, values


# ---- classification --------------------------------------------------------------------------


@register
@alias("acc")
class Accuracy(EvalMetric):
    """The fraction of predictions equal to the label. A prediction of another shape than
    its label holds a score per class along `axis`; its arg-max is the prediction.

    >>> acc = mx.metric.Accuracy()  # doctest: +SKIP
    >>> preds = [mx.nd.array([[0.3, 0.7], [0, 1.], [0.4, 0.6]])]  # doctest: +SKIP
    >>> acc.update([mx.nd.array([0, 1, 1])], preds)  # doctest: +SKIP
    >>> acc.get()  # doctest: +SKIP
    ('accuracy', 0.6666666666666666)
    """

    def __init__(self, axis: int = 1, name: str = "accuracy",
                 output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        super().__init__(name, axis=axis, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.axis = axis

    def update(self, labels: Any, preds: Any) -> None:
        """Add a batch of class-index labels and class scores (or class indices).

        >>> acc.update(labels, preds)  # doctest: +SKIP
        """
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label, pred = _numpy(label), _numpy(pred)
            if pred.shape != label.shape:
                pred = numpy.argmax(pred, axis=self.axis)
            pred = pred.astype("int32").ravel()
            label = label.astype("int32").ravel()
            check_label_shapes(label, pred)
            self._accumulate(int((pred == label).sum()), len(pred))


@register
@alias("top_k_accuracy", "top_k_acc")
class TopKAccuracy(EvalMetric):
    """The fraction of samples whose label is among the `top_k` highest-scored classes
    (`top_k` > 1; the name gets `_<top_k>`).

    >>> mx.metric.TopKAccuracy(top_k=3).name  # doctest: +SKIP
    'top_k_accuracy_3'
    """

    def __init__(self, top_k: int = 1, name: str = "top_k_accuracy",
                 output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        super().__init__(name, top_k=top_k, output_names=output_names,
                         label_names=label_names, has_global_stats=True)
        self.top_k = top_k
        if not self.top_k > 1:
            raise ParamError("Please use Accuracy if top_k is no more than 1")
        self.name += f"_{self.top_k}"

    def update(self, labels: Any, preds: Any) -> None:
        """Add a batch of class-index labels and (batch, classes) scores.

        >>> top3.update(labels, preds)  # doctest: +SKIP
        """
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            scores = _numpy(pred).astype("float32")
            if scores.ndim > 2:
                raise ShapeError(f"Predictions should be no more than 2 dims, got shape "
                                 f"{scores.shape}")
            k = min(self.top_k, scores.shape[-1])
            ranked = numpy.argpartition(scores, -k)
            label = _numpy(label).astype("int32")
            check_label_shapes(label, ranked)
            label = label.ravel()
            # argpartition leaves the k highest-scored classes in the last k columns
            top = ranked if ranked.ndim == 1 else ranked[:, -k:]
            hits = numpy.equal(top, label if ranked.ndim == 1 else label[:, None]).sum()
            self._accumulate(int(hits), ranked.shape[0])


@dataclass
class _Counts:
    """True/false positive/negative counts of a binary classifier."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, other: _Counts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.tn += other.tn

    @property
    def total(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def fscore(self) -> float:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        if precision + recall == 0:
            return 0.0
        return 2 * precision * recall / (precision + recall)

    @property
    def mcc(self) -> float:
        """Matthews' coefficient, with zero factors of the denominator taken as 1."""
        if not self.total:
            return 0.0
        tp, fp, fn, tn = float(self.tp), float(self.fp), float(self.fn), float(self.tn)
        denominator = math.prod(t for t in (tp + fp, tp + fn, tn + fp, tn + fn) if t != 0)
        return (tp * tn - fp * fn) / math.sqrt(denominator)


def _binary_counts(metric: str, label: Any, pred: Any) -> _Counts:
    scores = _numpy(pred)
    label = _numpy(label).astype("int32").ravel()
    check_label_shapes(label, scores)
    if len(numpy.unique(label)) > 2:
        raise ParamError(f"{metric} currently only supports binary classification.")
    predicted = numpy.equal(numpy.argmax(scores, axis=1), 1)
    actual = numpy.equal(label, 1)
    return _Counts(tp=int((predicted & actual).sum()), fp=int((predicted & ~actual).sum()),
                   fn=int((~predicted & actual).sum()), tn=int((~predicted & ~actual).sum()))


class _BinaryMetric(EvalMetric):
    """F1 and MCC: a score of each batch's confusion counts averaged over batches
    ('macro'), or the score of the counts summed over batches ('micro')."""

    def __init__(self, name: str, output_names: list[str] | None,
                 label_names: list[str] | None, average: str) -> None:
        self.average = average
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def _score(self, counts: _Counts) -> float:
        raise NotOverriddenError()

    def update(self, labels: Any, preds: Any) -> None:
        """Add a batch of 0/1 labels and (batch, 2) class scores.

        >>> f1.update([mx.nd.array([0, 1])], [mx.nd.array([[.7, .3], [.2, .8]])])  # doctest: +SKIP
        """
        labels, preds = check_label_shapes(labels, preds, True)
        batch = _Counts()
        for label, pred in zip(labels, preds):
            batch.add(_binary_counts(type(self).__name__, label, pred))
        if self.average == "macro":
            self._accumulate(self._score(batch), 1)
            return
        self._local.add(batch)
        self._global.add(batch)
        self.sum_metric = self._score(self._local) * self._local.total
        self.global_sum_metric = self._score(self._global) * self._global.total
        self.num_inst = self._local.total
        self.global_num_inst = self._global.total

    def reset(self) -> None:
        """Clear both tallies and the confusion counts.

        >>> f1.reset()  # doctest: +SKIP
        """
        super().reset()
        self._local, self._global = _Counts(), _Counts()

    def reset_local(self) -> None:
        """Clear the local tally and the local confusion counts.

        >>> f1.reset_local()  # doctest: +SKIP
        """
        super().reset_local()
        self._local = _Counts()


@register
class F1(_BinaryMetric):
    """The F1 score (harmonic mean of precision and recall) of a binary classifier, whose
    prediction is the arg-max of two class scores. `average='macro'` averages the scores of
    the batches, `'micro'` scores the counts of all batches together.

    >>> f1 = mx.metric.F1()  # doctest: +SKIP
    >>> preds = [mx.nd.array([[0.3, 0.7], [0, 1.], [0.4, 0.6]])]  # doctest: +SKIP
    >>> f1.update([mx.nd.array([0., 1., 1.])], preds)  # doctest: +SKIP
    >>> f1.get()  # doctest: +SKIP
    ('f1', 0.8)
    """

    def __init__(self, name: str = "f1", output_names: list[str] | None = None,
                 label_names: list[str] | None = None, average: str = "macro") -> None:
        super().__init__(name, output_names, label_names, average)

    def _score(self, counts: _Counts) -> float:
        return counts.fscore


@register
class MCC(_BinaryMetric):
    """Matthews' correlation coefficient of a binary classifier, (TP·TN - FP·FN) over the
    square root of the product of the four margins (zero margins counted as 1); `average`
    as for `F1`. See `PCC` for more than two classes.

    >>> mcc = mx.metric.MCC(average='micro')  # doctest: +SKIP
    """

    def __init__(self, name: str = "mcc", output_names: list[str] | None = None,
                 label_names: list[str] | None = None, average: str = "macro") -> None:
        super().__init__(name, output_names, label_names, average)

    def _score(self, counts: _Counts) -> float:
        return counts.mcc


@register
class Perplexity(EvalMetric):
    """exp of the mean negative log of the probability predicted for the label; labels
    equal to `ignore_label` (None: none) are left out. `axis` is the class axis.

    >>> perp = mx.metric.Perplexity(ignore_label=None)  # doctest: +SKIP
    >>> preds = [mx.nd.array([[0.3, 0.7], [0, 1.], [0.4, 0.6]])]  # doctest: +SKIP
    >>> perp.update([mx.nd.array([0, 1, 1])], preds)  # doctest: +SKIP
    >>> perp.get()  # doctest: +SKIP
    ('perplexity', 1.7710976285155853)
    """

    def __init__(self, ignore_label: int | None, axis: int = -1, name: str = "perplexity",
                 output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        super().__init__(name, ignore_label=ignore_label, output_names=output_names,
                         label_names=label_names, has_global_stats=True)
        self.ignore_label = ignore_label
        self.axis = axis

    def update(self, labels: Any, preds: Any) -> None:
        """Add a batch of class-index labels and class probabilities.

        >>> perp.update(labels, preds)  # doctest: +SKIP
        """
        labels, preds = _as_list(labels), _as_list(preds)
        if len(labels) != len(preds):
            raise ShapeError(f"Perplexity: {len(labels)} labels but {len(preds)} predictions")
        loss, num = 0.0, 0
        for label, pred in zip(labels, preds):
            probs, label = _numpy(pred), _numpy(label)
            if label.size * probs.shape[-1] != probs.size:
                raise ShapeError(f"shape mismatch: {label.shape} vs. {probs.shape}")
            probs = numpy.moveaxis(probs, self.axis, -1)
            probs = probs.reshape(-1, probs.shape[-1])
            label = label.reshape(-1)
            # MXNet's `pick` clips out-of-range indices (an ignored -1 picks class 0)
            index = numpy.clip(label.astype("int32"), 0, probs.shape[-1] - 1)
            picked = numpy.take_along_axis(probs, index[:, None], axis=1)[:, 0]
            if self.ignore_label is not None:
                ignore = (label == self.ignore_label).astype(picked.dtype)
                num -= int(ignore.sum())
                picked = picked * (1 - ignore) + ignore
            loss -= float(numpy.log(numpy.maximum(picked.dtype.type(1e-10), picked)).sum())
            num += picked.size
        self._accumulate(loss, num)

    def get(self) -> tuple[str, float]:
        """`('perplexity', exp(mean negative log-likelihood))` of the local tally.

        >>> perp.get()  # doctest: +SKIP
        """
        return self.name, _exp_ratio(self.sum_metric, self.num_inst)

    def get_global(self) -> tuple[str, float]:
        """The same of the global tally.

        >>> perp.get_global()  # doctest: +SKIP
        """
        return self.name, _exp_ratio(self.global_sum_metric, self.global_num_inst)


def _exp_ratio(total: float, count: int | float) -> float:
    return float("nan") if count == 0 else math.exp(total / count)


# ---- regression ------------------------------------------------------------------------------


class _PerBatchError(EvalMetric):
    """MAE, MSE and RMSE: one error per (label, prediction) pair, averaged over pairs."""

    def __init__(self, name: str, output_names: list[str] | None,
                 label_names: list[str] | None) -> None:
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def _error(self, diff: numpy.ndarray) -> Any:
        raise NotOverriddenError()

    def update(self, labels: Any, preds: Any) -> None:
        """Add a batch of targets and predictions (vectors stand for columns).

        >>> mae.update([mx.nd.array([2.5, 0.0])], [mx.nd.array([3, -0.5])])  # doctest: +SKIP
        """
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label, pred = _numpy(label), _numpy(pred)
            if label.ndim == 1:
                label = label.reshape(label.shape[0], 1)
            if pred.ndim == 1:
                pred = pred.reshape(pred.shape[0], 1)
            self._accumulate(self._error(label - pred), 1)


@register
class MAE(_PerBatchError):
    """Mean absolute error, averaged over batches.

    >>> mae = mx.metric.MAE()  # doctest: +SKIP
    >>> mae.update([mx.nd.array([2.5, 0, 2, 8])], [mx.nd.array([3, -0.5, 2, 7])])  # doctest: +SKIP
    >>> mae.get()  # doctest: +SKIP
    ('mae', 0.5)
    """

    def __init__(self, name: str = "mae", output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        super().__init__(name, output_names, label_names)

    def _error(self, diff: numpy.ndarray) -> Any:
        return numpy.abs(diff).mean()


@register
class MSE(_PerBatchError):
    """Mean squared error, averaged over batches.

    >>> mx.metric.MSE().name  # doctest: +SKIP
    'mse'
    """

    def __init__(self, name: str = "mse", output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        super().__init__(name, output_names, label_names)

    def _error(self, diff: numpy.ndarray) -> Any:
        return (diff ** 2.0).mean()


@register
class RMSE(_PerBatchError):
    """Root mean squared error of each batch, averaged over batches.

    >>> mx.metric.RMSE().name  # doctest: +SKIP
    'rmse'
    """

    def __init__(self, name: str = "rmse", output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        super().__init__(name, output_names, label_names)

    def _error(self, diff: numpy.ndarray) -> Any:
        return numpy.sqrt((diff ** 2.0).mean())


class _LabelLogLoss(EvalMetric):
    """CrossEntropy and NegativeLogLikelihood: the mean of -log(p[label] + eps) over samples."""

    def __init__(self, eps: float, name: str, output_names: list[str] | None,
                 label_names: list[str] | None) -> None:
        super().__init__(name, eps=eps, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.eps = eps

    def update(self, labels: Any, preds: Any) -> None:
        """Add a batch of class-index labels and (batch, classes) probabilities.

        >>> ce.update([mx.nd.array([0, 1])], [mx.nd.array([[0.3, 0.7], [0, 1.]])])  # doctest: +SKIP
        """
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label, probs = _numpy(label).ravel(), _numpy(pred)
            if label.shape[0] != probs.shape[0]:
                raise ShapeError(f"{type(self).__name__}: {label.shape[0]} labels but "
                                 f"{probs.shape[0]} predictions")
            picked = probs[numpy.arange(label.shape[0]), numpy.int64(label)]
            self._accumulate((-numpy.log(picked + self.eps)).sum(), label.shape[0])


@register
@alias("ce")
class CrossEntropy(_LabelLogLoss):
    """Cross-entropy of predicted class probabilities against class-index labels, per sample.

    >>> ce = mx.metric.CrossEntropy()  # doctest: +SKIP
    >>> preds = [mx.nd.array([[0.3, 0.7], [0, 1.], [0.4, 0.6]])]  # doctest: +SKIP
    >>> ce.update([mx.nd.array([0, 1, 1])], preds)  # doctest: +SKIP
    >>> ce.get()  # doctest: +SKIP
    ('cross-entropy', 0.5715994834899902)
    """

    def __init__(self, eps: float = 1e-12, name: str = "cross-entropy",
                 output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        super().__init__(eps, name, output_names, label_names)


@register
@alias("nll_loss")
class NegativeLogLikelihood(_LabelLogLoss):
    """Negative log-likelihood of class-index labels under predicted probabilities, per
    sample (the same number as `CrossEntropy`).

    >>> mx.metric.create('nll_loss').name  # doctest: +SKIP
    'nll-loss'
    """

    def __init__(self, eps: float = 1e-12, name: str = "nll-loss",
                 output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        super().__init__(eps, name, output_names, label_names)


@register
@alias("pearsonr")
class PearsonCorrelation(EvalMetric):
    """Pearson's correlation of predictions with labels: per batch and averaged
    (`average='macro'`), or over all the values seen since `reset` (`'micro'`, kept with
    Welford's running sums).

    >>> pr = mx.metric.PearsonCorrelation()  # doctest: +SKIP
    >>> preds = [mx.nd.array([[0.3, 0.7], [0, 1.], [0.4, 0.6]])]  # doctest: +SKIP
    >>> pr.update([mx.nd.array([[1, 0], [0, 1], [0, 1]])], preds)  # doctest: +SKIP
    >>> pr.get()  # doctest: +SKIP
    ('pearsonr', 0.42163704544016183)
    """

    def __init__(self, name: str = "pearsonr", output_names: list[str] | None = None,
                 label_names: list[str] | None = None, average: str = "macro") -> None:
        self.average = average
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def reset(self) -> None:
        """Clear both tallies (and, for 'micro', the running sums).

        >>> pr.reset()  # doctest: +SKIP
        """
        super().reset()
        # (count, mean, sum of squared deviations) of labels and of predictions
        self._labels = (0, 0.0, 0.0)
        self._preds = (0, 0.0, 0.0)
        self._comoment = 0.0

    def update(self, labels: Any, preds: Any) -> None:
        """Add a batch of targets and predictions of equal shapes.

        >>> pr.update(labels, preds)  # doctest: +SKIP
        """
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            check_label_shapes(label, pred, False, True)
            y = _numpy(label).ravel().astype(numpy.float64)
            p = _numpy(pred).ravel().astype(numpy.float64)
            if self.average == "macro":
                self._accumulate(float(numpy.corrcoef(p, y)[0, 1]), 1)
                continue
            self.num_inst += 1
            self.global_num_inst += 1
            # MXNet's order: the co-moment takes the labels' updated mean and the
            # predictions' previous one
            self._labels = _welford(self._labels, y)
            self._comoment += float(numpy.sum((y - self._labels[1]) * (p - self._preds[1])))
            self._preds = _welford(self._preds, p)

    def _micro(self) -> float:
        n = self._labels[0]
        return self._comoment / ((n - 1) * math.sqrt(self._preds[2] / (n - 1))
                                 * math.sqrt(self._labels[2] / (n - 1)))

    def get(self) -> tuple[str, float]:
        """`('pearsonr', value)` of the local tally.

        >>> pr.get()  # doctest: +SKIP
        """
        if self.average == "macro" or self.num_inst == 0:
            return super().get()
        return self.name, self._micro()

    def get_global(self) -> tuple[str, float]:
        """`('pearsonr', value)` of the global tally ('micro': of everything since `reset`).

        >>> pr.get_global()  # doctest: +SKIP
        """
        if self.average == "macro" or self.global_num_inst == 0:
            return super().get_global()
        return self.name, self._micro()


def _welford(state: tuple[int, float, float], values: numpy.ndarray
             ) -> tuple[int, float, float]:
    count, mean, m2 = state
    count += len(values)
    delta = values - mean
    mean += float(numpy.sum(delta / count))
    return count, mean, m2 + float(numpy.sum(delta * (values - mean)))


@register
class PCC(EvalMetric):
    """Multi-class Matthews/Pearson correlation of the confusion matrix (Gorodkin's R_K);
    for two classes it equals `MCC`. Predictions are class scores (their arg-max counts) or
    class indices; the matrix grows with the largest class seen.

    >>> pcc = mx.metric.PCC()  # doctest: +SKIP
    >>> pcc.update([mx.nd.array([0, 1, 2])], [mx.nd.array([0, 2, 2])])  # doctest: +SKIP
    """

    lcm: numpy.ndarray
    gcm: numpy.ndarray

    def __init__(self, name: str = "pcc", output_names: list[str] | None = None,
                 label_names: list[str] | None = None, has_global_stats: bool = True) -> None:
        self.k = 2
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=has_global_stats)

    def _grow(self, inc: int) -> None:
        self.lcm = numpy.pad(self.lcm, ((0, inc), (0, inc)))
        self.gcm = numpy.pad(self.gcm, ((0, inc), (0, inc)))
        self.k += inc

    @staticmethod
    def _calc_mcc(cmat: numpy.ndarray) -> float:
        n = cmat.sum()
        x = cmat.sum(axis=1)
        y = cmat.sum(axis=0)
        cov_xx = numpy.sum(x * (n - x))
        cov_yy = numpy.sum(y * (n - y))
        if cov_xx == 0 or cov_yy == 0:
            return float("nan")
        cov_xy = numpy.sum(cmat.diagonal() * n - x * y)
        return float(cov_xy / (cov_xx * cov_yy) ** 0.5)

    def update(self, labels: Any, preds: Any) -> None:
        """Add a batch of class-index labels and class scores or indices.

        >>> pcc.update(labels, preds)  # doctest: +SKIP
        """
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label, pred = _numpy(label).astype("int32"), _numpy(pred)
            pred = pred.argmax(axis=1) if pred.shape != label.shape else pred.astype("int32")
            n = int(max(pred.max(), label.max()))
            if n >= self.k:
                self._grow(n + 1 - self.k)
            batch = numpy.zeros((self.k, self.k))
            numpy.add.at(batch, (pred, label), 1)
            self.lcm += batch
            self.gcm += batch
        self.num_inst += 1
        self.global_num_inst += 1

    @property
    def sum_metric(self) -> float:
        """The local coefficient times `num_inst`, so that `get()` gives the coefficient."""
        return self._calc_mcc(self.lcm) * self.num_inst

    @property
    def global_sum_metric(self) -> float:
        """The global coefficient times `global_num_inst`."""
        return self._calc_mcc(self.gcm) * self.global_num_inst

    def reset(self) -> None:
        """Clear both confusion matrices.

        >>> pcc.reset()  # doctest: +SKIP
        """
        self.global_num_inst = 0
        self.gcm = numpy.zeros((self.k, self.k))
        self.reset_local()

    def reset_local(self) -> None:
        """Clear the local confusion matrix.

        >>> pcc.reset_local()  # doctest: +SKIP
        """
        self.num_inst = 0
        self.lcm = numpy.zeros((self.k, self.k))


# ---- losses and custom metrics ---------------------------------------------------------------


@register
class Loss(EvalMetric):
    """The mean of the values of the predictions (say, a network's loss output); labels are
    not used.

    >>> loss = mx.metric.Loss()  # doctest: +SKIP
    >>> loss.update(None, [mx.nd.array([1., 2., 4.])]); loss.get()  # doctest: +SKIP
    ('loss', 2.3333333333333335)
    """

    def __init__(self, name: str = "loss", output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def update(self, _: Any, preds: Any) -> None:
        """Add the values of `preds` (one array or a list).

        >>> loss.update(None, mx.nd.array([0.5, 1.5]))  # doctest: +SKIP
        """
        for pred in _as_list(preds):
            values = _numpy(pred)
            self._accumulate(float(values.sum()), values.size)


@register
class Torch(Loss):
    """`Loss` under the name 'torch' (for Torch criterions).

    >>> mx.metric.Torch().name  # doctest: +SKIP
    'torch'
    """

    def __init__(self, name: str = "torch", output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        super().__init__(name, output_names=output_names, label_names=label_names)


@register
class Caffe(Loss):
    """`Loss` under the name 'caffe' (for Caffe criterions).

    >>> mx.metric.Caffe().name  # doctest: +SKIP
    'caffe'
    """

    def __init__(self, name: str = "caffe", output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        super().__init__(name, output_names=output_names, label_names=label_names)


@register
class CustomMetric(EvalMetric):
    """A metric from `feval(label, pred)` on NumPy arrays, returning a number (one
    instance) or `(sum_metric, num_inst)`. Its name is `feval`'s, or `custom(<lambda>)`;
    `allow_extra_outputs` lets there be more predictions than labels (RNN states).

    >>> m = mx.metric.CustomMetric(lambda label, pred: (label + pred).mean())  # doctest: +SKIP
    >>> m.name  # doctest: +SKIP
    'custom(<lambda>)'
    """

    def __init__(self, feval: Callable[..., Any], name: str | None = None,
                 allow_extra_outputs: bool = False, output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        if name is None:
            name = feval.__name__
            if "<" in name:
                name = f"custom({name})"
        super().__init__(name, feval=feval, allow_extra_outputs=allow_extra_outputs,
                         output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self._feval = feval
        self._allow_extra_outputs = allow_extra_outputs

    def update(self, labels: Any, preds: Any) -> None:
        """Add `feval`'s result on each (label, prediction) pair.

        >>> m.update([mx.nd.array([2.5, 0.0])], [mx.nd.array([3, -0.5])])  # doctest: +SKIP
        """
        if self._allow_extra_outputs:
            labels, preds = _as_list(labels), _as_list(preds)
        else:
            labels, preds = check_label_shapes(labels, preds, True)
        for pred, label in zip(preds, labels):
            result = self._feval(_numpy(label), _numpy(pred))
            if isinstance(result, tuple):
                self._accumulate(*result)
            else:
                self._accumulate(result, 1)

    def get_config(self) -> dict[str, Any]:
        """Not available: a function cannot be written into a configuration.

        >>> m.get_config()  # doctest: +SKIP
        NotImplementedError: CustomMetric cannot be serialized
        """
        raise NotOverriddenError("CustomMetric cannot be serialized")


def np(numpy_feval: Callable[..., Any], name: str | None = None,
       allow_extra_outputs: bool = False) -> CustomMetric:
    """A `CustomMetric` from a function of NumPy arrays `numpy_feval(label, pred)`.

    >>> mae = mx.metric.np(lambda label, pred: numpy.abs(label - pred).mean())  # doctest: +SKIP
    """
    return CustomMetric(numpy_feval, name, allow_extra_outputs)
