"""`mx.optimizer.contrib`: GroupAdaGrad, AdaGrad with one learning rate per row.

    >>> opt = mx.optimizer.contrib.GroupAdaGrad(learning_rate=0.1)  # doctest: +SKIP
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import nd
from ..core import Array
from ..nd import NDArray, zeros
from .fused import FusedOptimizer, Step
from .optimizer import register, require

__all__ = ["GroupAdaGrad"]


@register
class GroupAdaGrad(FusedOptimizer):
    """AdaGrad over the rows of a 2-D weight: g = clip(rescale_grad * grad), each row's
    history += the row's mean of g ** 2, `weight -= lr * g / sqrt(history + eps)`. Weight
    decay is not supported (MXNet's).

    >>> opt = mx.optimizer.contrib.GroupAdaGrad(learning_rate=0.1, eps=1e-5)  # doctest: +SKIP
    """

    _clips_when_given = True

    def __init__(self, eps: float = 1e-5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index: Any, weight: NDArray) -> Any:
        require(len(weight.shape) == 2,
                f"GroupAdaGrad: the weight must be 2-D (rows), got shape {weight.shape}")
        return zeros((weight.shape[0], 1), weight.context, dtype=weight.dtype,
                     stype=weight.stype)

    def _lazy(self, weight: NDArray, states: tuple[NDArray, ...], mixed: bool) -> bool:
        return True  # (MXNet's group_adagrad_update: row_sparse gradients, their rows)

    def _coefficients(self, indices: Sequence[Any]) -> list[dict[str, float]]:
        rows = super()._coefficients(indices)
        for row in rows:
            require(row["wd"] == 0, "Weight decay is not supported for GroupAdaGrad")
        return rows

    def _hyper(self) -> dict[str, float]:
        return {**super()._hyper(), "eps": self.float_stable_eps}

    def _step(self, s: Step) -> tuple[Array, tuple[Array, ...]]:
        g = s.clip(s.g * s.rescale_grad)
        history = s.states[0] + nd.mean(g * g, axis=1, keepdims=True)
        return s.w - s.lr * g / nd.sqrt(history + s.eps), (history,)
