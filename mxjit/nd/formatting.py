"""The printed form of an array's values, as MXNet 1.9.1 prints them (it runs on NumPy
1.x and prints `str(x.asnumpy())`).

NumPy 2 changed one rule of that form: float16 values of 1000 and more switch to
scientific notation (`[3.e+03]` for 3000). Formatting with NumPy's 1.25 rules on NumPy 2
gives MXNet's form on every NumPy this package supports; the user's other print options
(precision, threshold, linewidth) still apply, as they do in MXNet.

    >>> format_values(np.array([3000.0], dtype=np.float16))
    '[3000.]'
"""
from __future__ import annotations

import numpy as np

#: NumPy 1.x prints this way by default; NumPy 2 does when asked for its 1.25 rules.
_LEGACY = "1.25" if int(np.__version__.split(".")[0]) >= 2 else False


def format_values(values: np.ndarray) -> str:
    """The values of an array as MXNet prints them (a 0-d array as its one number).

    >>> format_values(np.arange(3, dtype=np.int32))
    '[0 1 2]'
    """
    if values.ndim == 0:
        return str(values[()])
    return np.array2string(values, separator=" ", legacy=_LEGACY)  # type: ignore[arg-type]
