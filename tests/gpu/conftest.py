"""The `gpu` fixture: gpu(0) through pycuda, or a skip that says why there is none."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def gpu():
    """The CUDA runtime's `Device` for gpu(0); skips without pycuda, a driver or a GPU."""
    pytest.importorskip("pycuda")
    from mxjit.lower import cuda_runtime as rt

    if rt.device_count() == 0:
        pytest.skip(f"no GPU: {rt.unavailable_reason()}")
    return rt.device(0)
