"""`mx.gluon.loss`: MXNet 1.9.1's losses, each a `HybridBlock` of `mx.nd` operators.

A loss maps (prediction, target, ...) to one value per sample: it averages (or sums) over
every axis but `batch_axis`, after multiplying by the optional `sample_weight` (broadcast
against the unreduced loss) and the scalar `weight`.

    >>> loss = mx.gluon.loss.SoftmaxCrossEntropyLoss()  # doctest: +SKIP
    >>> with mx.autograd.record(): l = loss(net(x), y)  # doctest: +SKIP
"""
from __future__ import annotations

import math
from typing import Any, cast

import numpy as np

from ..base import ParamError, ShapeError
from ..core import Array
from .block import HybridBlock

__all__ = [
    "Loss", "L2Loss", "L1Loss", "SigmoidBinaryCrossEntropyLoss", "SigmoidBCELoss",
    "SoftmaxCrossEntropyLoss", "SoftmaxCELoss", "KLDivLoss", "CTCLoss", "HuberLoss",
    "HingeLoss", "SquaredHingeLoss", "LogisticLoss", "TripletLoss", "PoissonNLLLoss",
    "CosineEmbeddingLoss", "SDMLLoss",
]


def __dir__() -> list[str]:
    return __all__


_NUMBER = (int, float, np.integer, np.floating)


class Loss(HybridBlock):
    """The base of the losses: a scalar `weight` (None for none) and the `batch_axis` the
    per-sample result keeps. Subclasses define `hybrid_forward`.

    >>> class Cube(mx.gluon.loss.Loss):  # doctest: +SKIP
    ...     def hybrid_forward(self, F, pred, label):
    ...         return F.mean(F.abs(pred - label) ** 3, axis=self._batch_axis, exclude=True)
    """

    def __init__(self, weight: float | None, batch_axis: int, **kwargs: Any):
        super().__init__(**kwargs)
        if weight is not None and not isinstance(weight, _NUMBER):
            raise AssertionError(f"{type(self).__name__}: weight must be a number (or None "
                                 f"for no weighting), got {weight!r}")
        self._weight = weight
        self._batch_axis = batch_axis

    def __repr__(self) -> str:
        return f"{type(self).__name__}(batch_axis={self._batch_axis}, w={self._weight})"

    def _weighted(self, F: Any, loss: Any, sample_weight: Any = None) -> Any:
        """`loss` times `sample_weight` (broadcast) and times the scalar weight."""
        if sample_weight is not None:
            try:
                loss = F.broadcast_mul(loss, sample_weight)
            except ShapeError as e:
                raise ShapeError(
                    f"{type(self).__name__}: sample_weight of shape {sample_weight.shape} does "
                    f"not broadcast against the loss of shape {loss.shape} (for one weight "
                    f"per sample give it the loss's number of axes, 1 on all but the batch "
                    f"axis)") from e
        return loss if self._weight is None else loss * self._weight

    def _per_sample_mean(self, F: Any, loss: Any) -> Any:
        return F.mean(loss, axis=self._batch_axis, exclude=True)

    def _same_size(self, x: Any, like: Any, what: str, to: str = "pred") -> Any:
        """`x` (the argument named `what`) reshaped to the shape of `like` (named `to`):
        targets need only hold as many elements as the prediction."""
        if not isinstance(x, Array) or not isinstance(like, Array):  # (symbols: no shapes)
            return x.reshape_like(like)
        if x.size != like.size:
            raise ShapeError(f"{type(self).__name__}: {what} of shape {x.shape} ({x.size} "
                             f"elements) cannot be reshaped to {to}'s shape {like.shape} "
                             f"({like.size} elements)")
        return cast(Any, x).reshape(like.shape)  # (every front end's arrays reshape)


# ---- MXNet's private helpers, which losses written outside MXNet import (GluonCV's) --------


def _apply_weighting(F: Any, loss: Any, weight: float | None = None,
                     sample_weight: Any = None) -> Any:
    """`loss` times `sample_weight` (broadcast) and times the scalar `weight` (MXNet's).

    >>> _apply_weighting(mx.nd, mx.nd.ones((2, 3)), 0.5, mx.nd.ones((2, 1)))  # doctest: +SKIP
    """
    if sample_weight is not None:
        loss = F.broadcast_mul(loss, sample_weight)
    if weight is not None:
        if not isinstance(weight, _NUMBER):
            raise ParamError(f"weight must be a number, got {weight!r}")
        loss = loss * weight
    return loss


def _reshape_like(F: Any, x: Any, y: Any) -> Any:
    """`x` reshaped to the shape of `y` (MXNet's).

    >>> _reshape_like(mx.nd, mx.nd.ones(6), mx.nd.ones((2, 3))).shape  # doctest: +SKIP
    (2, 3)
    """
    return x.reshape(y.shape) if isinstance(y, Array) else F.reshape_like(x, y)


def _bce_from_logits(F: Any, pred: Any, label: Any) -> Any:
    """-label*log(sigmoid(pred)) - (1-label)*log(1-sigmoid(pred)), written as
    max(x, 0) - x*z + log(1 + exp(-|x|)) so that no exp overflows."""
    return F.relu(pred) - pred * label + F.Activation(-F.abs(pred), act_type="softrelu")


class L2Loss(Loss):
    """Half the squared error, `weight/2 * (label - pred)**2`, averaged per sample
    (`weight=None` counts as 1, where MXNet 1.9.1 fails). `label` needs only as many
    elements as `pred`.

    >>> mx.gluon.loss.L2Loss()(mx.nd.array([[1, 2]]), mx.nd.array([[1, 4]]))  # doctest: +SKIP
    """

    def __init__(self, weight: float | None = 1.0, batch_axis: int = 0, **kwargs: Any):
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        label = self._same_size(label, pred, "label")
        # (halving is exact, so this equals MXNet's scaling by weight/2)
        loss = self._weighted(F, F.square(label - pred) / 2, sample_weight)
        return self._per_sample_mean(F, loss)


class L1Loss(Loss):
    """The absolute error `|label - pred|`, averaged per sample.

    >>> mx.gluon.loss.L1Loss()(mx.nd.array([[1, 2]]), mx.nd.array([[1, 4]]))  # doctest: +SKIP
    """

    def __init__(self, weight: float | None = None, batch_axis: int = 0, **kwargs: Any):
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        label = self._same_size(label, pred, "label")
        loss = self._weighted(F, F.abs(label - pred), sample_weight)
        return self._per_sample_mean(F, loss)


class SigmoidBinaryCrossEntropyLoss(Loss):
    """Binary cross-entropy of labels in [0, 1] against `sigmoid(pred)` (or against `pred`
    itself with `from_sigmoid=True`), averaged per sample. The optional `pos_weight`
    (broadcast against `label`, e.g. (1, classes)) scales the positive term: above 1 it
    favours recall, below 1 precision.

    >>> loss = mx.gluon.loss.SigmoidBCELoss(from_sigmoid=False)  # doctest: +SKIP
    >>> loss(logits, labels, None, mx.nd.array([[2.0, 1.0]]))  # doctest: +SKIP
    """

    def __init__(self, from_sigmoid: bool = False, weight: float | None = None,
                 batch_axis: int = 0, **kwargs: Any):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_sigmoid = from_sigmoid

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None,
                       pos_weight: Any = None) -> Any:
        label = self._same_size(label, pred, "label")
        if not self._from_sigmoid:
            if pos_weight is None:
                loss = _bce_from_logits(F, pred, label)
            else:
                # -log(sigmoid(x)) = log(1 + exp(-|x|)) + max(-x, 0), scaled for positives
                log_weight = 1 + F.broadcast_mul(pos_weight - 1, label)
                loss = pred - pred * label + log_weight * (
                    F.Activation(-F.abs(pred), act_type="softrelu") + F.relu(-pred))
        else:
            eps = 1e-12  # (keeps log finite at probabilities of exactly 0 or 1)
            positive = F.log(pred + eps) * label
            if pos_weight is not None:
                positive = F.broadcast_mul(positive, pos_weight)
            loss = -(positive + F.log(1.0 - pred + eps) * (1.0 - label))
        loss = self._weighted(F, loss, sample_weight)
        return self._per_sample_mean(F, loss)


SigmoidBCELoss = SigmoidBinaryCrossEntropyLoss


class SoftmaxCrossEntropyLoss(Loss):
    """Cross-entropy of `softmax(pred)` along `axis` (of `pred` itself with
    `from_logits=True`, then log-probabilities) against class indices (`label` shaped as
    `pred` without `axis`) or, with `sparse_label=False`, against probabilities shaped as
    `pred`; averaged per sample.

    >>> loss = mx.gluon.loss.SoftmaxCELoss()  # doctest: +SKIP
    >>> loss(mx.nd.array([[1., 2., 0.]]), mx.nd.array([1]))  # doctest: +SKIP
    """

    def __init__(self, axis: int = -1, sparse_label: bool = True, from_logits: bool = False,
                 weight: float | None = None, batch_axis: int = 0, **kwargs: Any):
        super().__init__(weight, batch_axis, **kwargs)
        self._axis = axis
        self._sparse_label = sparse_label
        self._from_logits = from_logits

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        if not self._from_logits:
            pred = F.log_softmax(pred, axis=self._axis)
        if self._sparse_label:
            loss = -F.pick(pred, label, axis=self._axis, keepdims=True)
        else:
            label = self._same_size(label, pred, "label")
            loss = -F.sum(pred * label, axis=self._axis, keepdims=True)
        loss = self._weighted(F, loss, sample_weight)
        return self._per_sample_mean(F, loss)


SoftmaxCELoss = SoftmaxCrossEntropyLoss


class KLDivLoss(Loss):
    """The Kullback-Leibler divergence `label * (log(label) - pred)`, summed per sample:
    `pred` holds log-probabilities (`from_logits=True`, the default) or unnormalised
    scores that `log_softmax` along `axis` turns into them.

    >>> mx.gluon.loss.KLDivLoss(from_logits=False)(scores, probabilities)  # doctest: +SKIP
    """

    def __init__(self, from_logits: bool = True, axis: int = -1, weight: float | None = None,
                 batch_axis: int = 0, **kwargs: Any):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._axis = axis

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        if not self._from_logits:
            pred = F.log_softmax(pred, axis=self._axis)
        loss = label * (F.log(label + 1e-12) - pred)  # (0 log 0 counts as 0)
        loss = self._weighted(F, loss, sample_weight)
        return F.sum(loss, axis=self._batch_axis, exclude=True)


class CTCLoss(Loss):
    """Connectionist temporal classification: -log p(label | pred) per sequence, `pred`
    holding unnormalised scores whose last class is the blank. `layout` is 'NTC' or
    'TNC' (batch, time, classes); `label` ('NT' or 'TN') holds class indices padded with
    -1, unless `label_lengths` gives each sequence's length; `pred_lengths` gives each
    sequence's number of frames.

    >>> scores = mx.nd.random.normal(shape=(2, 8, 5))  # doctest: +SKIP
    >>> mx.gluon.loss.CTCLoss()(scores, mx.nd.array([[1, 2], [3, -1]]))  # doctest: +SKIP
    """

    def __init__(self, layout: str = "NTC", label_layout: str = "NT",
                 weight: float | None = None, **kwargs: Any):
        if layout not in ("NTC", "TNC"):
            raise AssertionError(f"Only 'NTC' and 'TNC' layouts for pred are supported. "
                                 f"Got: {layout}")
        if label_layout not in ("NT", "TN"):
            raise AssertionError(f"Only 'NT' and 'TN' layouts for label are supported. "
                                 f"Got: {label_layout}")
        self._layout = layout
        self._label_layout = label_layout
        super().__init__(weight, label_layout.find("N"), **kwargs)

    def hybrid_forward(self, F: Any, pred: Any, label: Any, pred_lengths: Any = None,
                       label_lengths: Any = None, sample_weight: Any = None) -> Any:
        if self._layout == "NTC":
            pred = F.swapaxes(pred, 0, 1)
        if self._batch_axis == 1:
            label = F.swapaxes(label, 0, 1)
        loss = F.CTCLoss(pred, label, pred_lengths, label_lengths,
                         use_data_lengths=pred_lengths is not None,
                         use_label_lengths=label_lengths is not None, blank_label="last")
        return self._weighted(F, loss, sample_weight)


class HuberLoss(Loss):
    """The smoothed L1 loss: `(label - pred)**2 / (2 rho)` where the error is below `rho`,
    `|label - pred| - rho/2` beyond; averaged per sample.

    >>> mx.gluon.loss.HuberLoss(rho=0.5)(pred, label)  # doctest: +SKIP
    """

    def __init__(self, rho: float = 1, weight: float | None = None, batch_axis: int = 0,
                 **kwargs: Any):
        super().__init__(weight, batch_axis, **kwargs)
        self._rho = rho

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        label = self._same_size(label, pred, "label")
        error = F.abs(label - pred)
        loss = F.where(error > self._rho, error - 0.5 * self._rho,
                       (0.5 / self._rho) * F.square(error))
        loss = self._weighted(F, loss, sample_weight)
        return self._per_sample_mean(F, loss)


class HingeLoss(Loss):
    """The SVM hinge loss `max(0, margin - pred * label)` for labels -1 and 1, averaged
    per sample.

    >>> mx.gluon.loss.HingeLoss(margin=1)(scores, signs)  # doctest: +SKIP
    """

    def __init__(self, margin: float = 1, weight: float | None = None, batch_axis: int = 0,
                 **kwargs: Any):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        label = self._same_size(label, pred, "label")
        loss = self._weighted(F, F.relu(self._margin - pred * label), sample_weight)
        return self._per_sample_mean(F, loss)


class SquaredHingeLoss(Loss):
    """The soft-margin SVM loss `max(0, margin - pred * label)**2` for labels -1 and 1,
    averaged per sample.

    >>> mx.gluon.loss.SquaredHingeLoss()(scores, signs)  # doctest: +SKIP
    """

    def __init__(self, margin: float = 1, weight: float | None = None, batch_axis: int = 0,
                 **kwargs: Any):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        label = self._same_size(label, pred, "label")
        loss = F.square(F.relu(self._margin - pred * label))
        loss = self._weighted(F, loss, sample_weight)
        return self._per_sample_mean(F, loss)


class LogisticLoss(Loss):
    """The logistic loss `log(1 + exp(-pred * label))` for labels -1 and 1
    (`label_format='signed'`) or 0 and 1 (`'binary'`), averaged per sample.

    >>> mx.gluon.loss.LogisticLoss(label_format='binary')(scores, bits)  # doctest: +SKIP
    """

    def __init__(self, weight: float | None = None, batch_axis: int = 0,
                 label_format: str = "signed", **kwargs: Any):
        super().__init__(weight, batch_axis, **kwargs)
        if label_format not in ("signed", "binary"):
            raise ParamError(f"label_format can only be signed or binary, received "
                             f"{label_format!r}.")
        self._label_format = label_format

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        label = self._same_size(label, pred, "label")
        if self._label_format == "signed":
            label = (label + 1.0) / 2.0
        loss = self._weighted(F, _bce_from_logits(F, pred, label), sample_weight)
        return self._per_sample_mean(F, loss)


class TripletLoss(Loss):
    """`max(0, |positive - pred|^2 - |negative - pred|^2 + margin)` per sample, the
    squared distances summed over the non-batch axes.

    >>> mx.gluon.loss.TripletLoss(margin=1)(anchor, positive, negative)  # doctest: +SKIP
    """

    def __init__(self, margin: float = 1, weight: float | None = None, batch_axis: int = 0,
                 **kwargs: Any):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F: Any, pred: Any, positive: Any, negative: Any) -> Any:
        positive = self._same_size(positive, pred, "positive")
        negative = self._same_size(negative, pred, "negative")
        gap = F.sum(F.square(positive - pred) - F.square(negative - pred),
                    axis=self._batch_axis, exclude=True)
        return self._weighted(F, F.relu(gap + self._margin))


class PoissonNLLLoss(Loss):
    """The negative log-likelihood of counts `target` under Poisson rates: `exp(pred) -
    target * pred` for log-rates (`from_logits=True`), else `pred - target * log(pred +
    epsilon)`; with `compute_full`, plus Stirling's approximation of log(target!) where
    target > 1 (MXNet 1.9.1 gives NaN for targets of 0). One number, the mean over every
    element (shape (1,)).

    >>> mx.gluon.loss.PoissonNLLLoss(from_logits=False)(rates, counts)  # doctest: +SKIP
    """

    def __init__(self, weight: float | None = None, from_logits: bool = True,
                 batch_axis: int = 0, compute_full: bool = False, **kwargs: Any):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._compute_full = compute_full

    def hybrid_forward(self, F: Any, pred: Any, target: Any, sample_weight: Any = None,
                       epsilon: float = 1e-08) -> Any:
        target = self._same_size(target, pred, "target")
        if self._from_logits:
            loss = F.exp(pred) - target * pred
        else:
            loss = pred - target * F.log(pred + epsilon)
        if self._compute_full:
            stirling = target * F.log(target) - target + 0.5 * F.log(2 * math.pi * target)
            # (MXNet multiplies by target > 1 instead, which turns 0 * log(0) into NaN)
            loss = loss + F.where(target > 1, stirling, F.zeros_like(stirling))
        loss = self._weighted(F, loss, sample_weight)
        return F.mean(loss)


class CosineEmbeddingLoss(Loss):
    """For pairs of rows and labels 1 (similar) or -1 (dissimilar): `1 - cos(input1,
    input2)` for 1, `max(0, cos(input1, input2) - margin)` for -1; shape (batch, 1).

    >>> mx.gluon.loss.CosineEmbeddingLoss()(a, b, mx.nd.array([1, -1]))  # doctest: +SKIP
    """

    def __init__(self, weight: float | None = None, batch_axis: int = 0, margin: float = 0,
                 **kwargs: Any):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F: Any, input1: Any, input2: Any, label: Any,
                       sample_weight: Any = None) -> Any:
        input1 = self._same_size(input1, input2, "input1", "input2")
        label = label.reshape((-1, 1))
        cos_sim = self._cosine_similarity(F, input1, input2)
        similar = (1 - cos_sim) * (label == 1)
        dissimilar = F.relu((label == -1) * (cos_sim - self._margin))
        return self._weighted(F, similar + dissimilar, sample_weight)

    @staticmethod
    def _cosine_similarity(F: Any, x: Any, y: Any, axis: int = -1) -> Any:
        x_norm = F.norm(x, axis=axis).reshape((-1, 1))
        y_norm = F.norm(y, axis=axis).reshape((-1, 1))
        x_dot_y = F.sum(x * y, axis=axis).reshape((-1, 1))
        return x_dot_y / F.maximum(x_norm * y_norm, 1e-12)  # (zero vectors: cos 0)


class SDMLLoss(Loss):
    """Smoothed deep metric learning (Bonadiman et al., 2019) for aligned batches `x1`,
    `x2` of shape (batch, dim): row i of `x2` is the positive of row i of `x1`, the other
    rows its negatives. Per row, the KL divergence between the softmax of the negative
    squared distances and the identity smoothed by `smoothing_parameter`, times `weight`
    (which MXNet 1.9.1 documents but leaves unapplied).

    >>> mx.gluon.loss.SDMLLoss(smoothing_parameter=0.3)(questions, paraphrases)  # doctest: +SKIP
    """

    def __init__(self, smoothing_parameter: float = 0.3, weight: float | None = 1.0,
                 batch_axis: int = 0, **kwargs: Any):
        super().__init__(weight, batch_axis, **kwargs)
        self.kl_loss = KLDivLoss(from_logits=True)
        self.smoothing_parameter = smoothing_parameter

    def hybrid_forward(self, F: Any, x1: Any, x2: Any) -> Any:
        if x1.shape != x2.shape:
            raise AssertionError(f"SDMLLoss: x1 and x2 must have the same shape, got "
                                 f"{x1.shape} and {x2.shape}")
        if x1.ndim != 2:
            raise ShapeError(f"SDMLLoss: x1 and x2 must be (batch_size, dim), got shape "
                             f"{x1.shape}")
        batch_size = x1.shape[0]
        if batch_size < 2:
            # (MXNet 1.9.1 divides by batch_size - 1 and returns NaN)
            raise ShapeError(f"SDMLLoss: a batch needs at least 2 samples (the others are "
                             f"each sample's negatives), got shape {x1.shape}")
        gold = F.eye(batch_size, ctx=x1.context, dtype=x1.dtype)
        smoothing = self.smoothing_parameter
        labels = gold * (1 - smoothing) + (1 - gold) * smoothing / (batch_size - 1)
        distances = F.sum(F.square(F.broadcast_sub(F.expand_dims(x1, 1),
                                                   F.expand_dims(x2, 0))), axis=2)
        loss = self.kl_loss(F.log_softmax(-distances, axis=1), labels)
        return self._weighted(F, loss)
