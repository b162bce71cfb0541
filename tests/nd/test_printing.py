"""NDArrays print as MXNet 1.9.1 printed them (on NumPy 1.x), whatever NumPy is installed:
the printed forms of tests/fixtures/mxnet-1.9.1/printed.json, written by MXNet itself."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mxjit as mx

CASES = json.loads((Path(__file__).parents[1] / "fixtures" / "mxnet-1.9.1" / "printed.json")
                   .read_text())


def _array(case: dict[str, Any]) -> np.ndarray:
    """The array of a case, rebuilt as the fixture's README describes."""
    dtype = case["dtype"]
    if "values" in case:
        with np.errstate(over="ignore"):
            return np.array(case["values"]).astype(dtype)
    rs = np.random.RandomState(case["seed"])
    n = int(np.prod(case["shape"]))
    if dtype == "bool":
        a = rs.rand(n) > 0.5
    elif dtype.startswith("float"):
        a = rs.randn(n) * case["scale"]
        if n > 3:
            a[1], a[2], a[3] = np.nan, -np.inf, -0.0
    else:
        a = rs.randint(-100 if dtype[0] == "i" else 0, 100, n)
    with np.errstate(over="ignore"):
        return a.astype(dtype).reshape(case["shape"])


@pytest.mark.parametrize("case", CASES,
                         ids=lambda c: f"{c['dtype']}-{c.get('seed', c.get('values'))}")
def test_printed_form_is_mxnets(case: dict[str, Any]) -> None:
    assert repr(mx.nd.array(_array(case), dtype=case["dtype"])) == case["printed"]


def test_float16_thousands_print_positionally() -> None:
    assert str(mx.nd.array([3000.0], dtype="float16")) == "\n[3000.]\n<NDArray 1 @cpu(0)>"


def test_print_options_of_the_user_still_apply() -> None:
    with np.printoptions(precision=2):
        assert "[0.33 0.67]" in repr(mx.nd.array([1 / 3, 2 / 3]))
