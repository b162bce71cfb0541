"""What the estimator does with one batch: `fit_batch` (forward under `record`, backward)
and `evaluate_batch` (forward only). Subclass `BatchProcessor` to change either.

    >>> class Clipped(BatchProcessor):  # doctest: +SKIP
    ...     def fit_batch(self, estimator, train_batch, batch_axis=0):
    ...         data, label, pred, loss = super().fit_batch(estimator, train_batch, batch_axis)
    ...         grads = [p.grad() for p in estimator.net.collect_params().values()]
    ...         mx.gluon.utils.clip_global_norm(grads, 1.0)
    ...         return data, label, pred, loss
"""
from __future__ import annotations

from typing import Any

from .... import autograd
from ...utils import split_and_load

__all__ = ["BatchProcessor"]


def __dir__() -> list[str]:
    return __all__


Sharded = tuple[list[Any], list[Any], list[Any], list[Any]]


class BatchProcessor:
    """Runs a batch `(data, label, ...)` through the estimator's network and loss, split
    along `batch_axis` over `estimator.context`. Both methods return the lists
    `(data, label, pred, loss)`, one array per context.

    >>> est = Estimator(net, loss, batch_processor=BatchProcessor())  # doctest: +SKIP
    """

    def _get_data_and_label(self, batch: Any, ctx: list[Any], batch_axis: int = 0
                            ) -> tuple[list[Any], list[Any]]:
        data = split_and_load(batch[0], ctx_list=ctx, batch_axis=batch_axis)
        label = split_and_load(batch[1], ctx_list=ctx, batch_axis=batch_axis)
        return data, label

    def evaluate_batch(self, estimator: Any, val_batch: Any, batch_axis: int = 0) -> Sharded:
        """Predict and compute the loss with `estimator.val_net` and `val_loss`.

        >>> data, label, pred, loss = bp.evaluate_batch(est, (x, y))  # doctest: +SKIP
        """
        data, label = self._get_data_and_label(val_batch, estimator.context, batch_axis)
        pred = [estimator.val_net(x) for x in data]
        loss = [estimator.val_loss(p, y) for p, y in zip(pred, label)]
        return data, label, pred, loss

    def fit_batch(self, estimator: Any, train_batch: Any, batch_axis: int = 0) -> Sharded:
        """Forward pass of `estimator.net` and `loss` under `autograd.record()`, then
        backward; the trainer's step is the `GradientUpdateHandler`'s.

        >>> data, label, pred, loss = bp.fit_batch(est, (x, y))  # doctest: +SKIP
        """
        data, label = self._get_data_and_label(train_batch, estimator.context, batch_axis)
        with autograd.record():
            pred = [estimator.net(x) for x in data]
            loss = [estimator.loss(p, y) for p, y in zip(pred, label)]
        for each in loss:
            each.backward()
        return data, label, pred, loss
