"""MXNet's 2-bit gradient compression with error feedback.

Each sender keeps a residual per key (and per device): the gradient is added to it, every
value at or above `threshold` is sent as +threshold, every value at or below -threshold
as -threshold, the rest as 0, and what was sent is taken off the residual, so what is
not sent now is sent later. Sixteen values travel in the bytes of one float32: four
2-bit codes a byte, the first value in the high bits (MXNet's `quantize_2bit`: 11 for
+threshold, 10 for -threshold, 00 for 0).

    >>> gc = TwoBitCompression(0.5)
    >>> gc.dequantize(gc.quantize(('w', 0), np.array([0.3, 0.6, -0.7], 'f')), 3)
    array([ 0. ,  0.5, -0.5], dtype=float32)
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..base import ParamError

#: 2-bit codes, as MXNet packs them.
POSITIVE, NEGATIVE = 0b11, 0b10
#: bit shift of the k-th value of a byte (the first value takes the highest bits)
SHIFTS = np.array([6, 4, 2, 0], np.uint8)


def parse_compression_params(params: Any) -> float:
    """The threshold of a `{'type': '2bit', 'threshold': t}` dict (0.5 when left out).

    >>> parse_compression_params({'type': '2bit', 'threshold': 1.0})
    1.0
    """
    if not isinstance(params, dict) or "type" not in params:
        raise ParamError("set_gradient_compression: Required parameter type of string is not "
                         "presented (pass {'type': '2bit', 'threshold': t})")
    if params["type"] != "2bit":
        raise ParamError(f"set_gradient_compression: Unknown type for gradient compression "
                         f"{params['type']} (mxjit, as MXNet 1.9.1, has '2bit')")
    threshold = float(params.get("threshold", 0.5))
    if not threshold > 0:
        raise ParamError(f"set_gradient_compression: threshold must be greater than 0, got "
                         f"{threshold}")
    return threshold


class TwoBitCompression:
    """Quantizes gradients to {-t, 0, +t} with a residual per sender slot.

    >>> gc = TwoBitCompression(threshold=0.5)
    """

    def __init__(self, threshold: float) -> None:
        self.threshold = float(threshold)
        self._residuals: dict[Any, np.ndarray] = {}

    def quantize(self, slot: Any, grad: np.ndarray) -> np.ndarray:
        """The packed codes of `grad` plus the residual of `slot`; updates the residual.

        >>> packed = gc.quantize(('w', 0), grad)  # doctest: +SKIP
        """
        flat = np.asarray(grad, np.float32).ravel()
        residual = self._residuals.get(slot)
        if residual is None or residual.shape != flat.shape:
            residual = self._residuals[slot] = np.zeros_like(flat)
        residual += flat
        t = np.float32(self.threshold)
        pos, neg = residual >= t, residual <= -t
        residual[pos] -= t
        residual[neg] += t
        codes = np.zeros(-(-flat.size // 16) * 16, np.uint8)
        codes[:flat.size][pos] = POSITIVE
        codes[:flat.size][neg] = NEGATIVE
        packed: np.ndarray = (codes.reshape(-1, 4) << SHIFTS).sum(axis=1, dtype=np.uint8)
        return packed

    def dequantize(self, packed: np.ndarray, size: int) -> np.ndarray:
        """The float32 values (-t, 0 or +t) of `size` packed codes.

        >>> gc.dequantize(packed, grad.size)  # doctest: +SKIP
        """
        codes = ((packed[:, None] >> SHIFTS) & 0b11).ravel()[:size]
        values = np.zeros(size, np.float32)
        values[codes == POSITIVE] = self.threshold
        values[codes == NEGATIVE] = -self.threshold
        return values
