"""Gluon's activation layers, each one call of `mx.nd.Activation` or `mx.nd.LeakyReLU`.

    >>> mx.gluon.nn.Activation('relu')(mx.nd.array([-1.0, 2.0]))  # doctest: +SKIP
"""
from __future__ import annotations

from typing import Any

from ... import initializer
from ..block import HybridBlock


class Activation(HybridBlock):
    """`mx.nd.Activation` of type `activation` ('relu', 'sigmoid', 'tanh', 'softrelu',
    'softsign'); named after its type (`relu0_`).

    >>> mx.gluon.nn.Activation('tanh')  # doctest: +SKIP
    """

    def __init__(self, activation: str, **kwargs: Any):
        self._act_type = activation
        super().__init__(**kwargs)

    def _alias(self) -> str:
        return self._act_type

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.Activation(x, act_type=self._act_type, name="fwd")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._act_type})"


class LeakyReLU(HybridBlock):
    """x for x >= 0, `alpha * x` below.

    >>> mx.gluon.nn.LeakyReLU(0.1)  # doctest: +SKIP
    """

    def __init__(self, alpha: float, **kwargs: Any):
        if alpha < 0:
            raise AssertionError("Slope coefficient for LeakyReLU must be no less than 0.")
        super().__init__(**kwargs)
        self._alpha = alpha

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.LeakyReLU(x, act_type="leaky", slope=self._alpha, name="fwd")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._alpha})"


class PReLU(HybridBlock):
    """LeakyReLU with a learned slope per channel (`in_channels` of them, or one).

    >>> mx.gluon.nn.PReLU(in_channels=16)  # doctest: +SKIP
    """

    def __init__(self, alpha_initializer: Any = None, in_channels: int = 1, **kwargs: Any):
        super().__init__(**kwargs)
        with self.name_scope():
            self.alpha = self.params.get(
                "alpha", shape=(in_channels,),
                init=initializer.Constant(0.25) if alpha_initializer is None else
                alpha_initializer)

    def hybrid_forward(self, F: Any, x: Any, alpha: Any) -> Any:
        return F.LeakyReLU(x, gamma=alpha, act_type="prelu", name="fwd")


class ELU(HybridBlock):
    """x for x > 0, `alpha * (exp(x) - 1)` below.

    >>> mx.gluon.nn.ELU(alpha=1.0)  # doctest: +SKIP
    """

    def __init__(self, alpha: float = 1.0, **kwargs: Any):
        super().__init__(**kwargs)
        self._alpha = alpha

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.LeakyReLU(x, act_type="elu", slope=self._alpha)


class SELU(HybridBlock):
    """ELU scaled to keep activations normalised (Klambauer et al., 2017).

    >>> mx.gluon.nn.SELU()  # doctest: +SKIP
    """

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.LeakyReLU(x, act_type="selu", name="fwd")


class GELU(HybridBlock):
    """x * Phi(x), Phi the standard normal CDF (Hendrycks and Gimpel, 2016).

    >>> mx.gluon.nn.GELU()  # doctest: +SKIP
    """

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.LeakyReLU(x, act_type="gelu", name="fwd")


class Swish(HybridBlock):
    """x * sigmoid(beta * x) (Ramachandran et al., 2017).

    >>> mx.gluon.nn.Swish(beta=1.0)  # doctest: +SKIP
    """

    def __init__(self, beta: float = 1.0, **kwargs: Any):
        super().__init__(**kwargs)
        self._beta = beta

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return x * F.sigmoid(self._beta * x, name="fwd")
