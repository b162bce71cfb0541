"""Without pycuda, a driver or a GPU: `import mxjit` works, `num_gpus()` is 0, and GPU arrays
raise a `DeviceError` that says why (these tests run everywhere; GPU machines skip some)."""
from __future__ import annotations

import struct
import subprocess
import sys

import pytest

import mxjit as mx
from mxjit import context
from mxjit.base import DeviceError
from mxjit.lower import cuda_runtime as rt


def test_importing_mxjit_imports_no_optional_or_lazy_package():
    """pycuda only for a GPU; Pillow and tqdm only when images or progress bars are used
    (a machine may lack them: the GPU machine's image does not list them)."""
    code = ("import sys, mxjit; mxjit.nd.ones((2,)) + 1; "
            "print([m for m in ('pycuda', 'PIL', 'tqdm', 'scipy', 'sklearn') "
            "if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_no_gpu_means_a_clear_device_error():
    if mx.context.num_gpus():
        pytest.skip("this machine has a GPU")
    reason = rt.unavailable_reason(0)
    assert reason and reason.startswith("no GPU is available")
    for make in (lambda: mx.nd.zeros((2,), ctx=mx.gpu(0)),
                 lambda: mx.nd.array([1, 2], ctx=mx.gpu()),
                 lambda: mx.nd.ones((2,)).copyto(mx.gpu(0)),
                 lambda: mx.nd.ones((2,)).as_in_context(mx.gpu(0))):
        with pytest.raises(DeviceError, match="no GPU is available") as info:
            make()
        assert reason in str(info.value)
    with pytest.raises(DeviceError, match="cannot use gpu"):
        rt.device(0)
    assert context.active_backend is None  # CPU programs never look for device arrays


def test_missing_pycuda_is_named(monkeypatch):
    monkeypatch.setitem(sys.modules, "pycuda", None)
    monkeypatch.setitem(sys.modules, "pycuda.driver", None)
    rt.use_driver(None)
    try:
        assert mx.context.num_gpus() == 0
        assert "pycuda is not installed" in (rt.unavailable_reason() or "")
        with pytest.raises(DeviceError, match="pip install pycuda"):
            mx.nd.zeros((1,), ctx=mx.gpu(0))
    finally:
        rt.use_driver(None)


def test_pycuda_launches_pack_their_arguments_once_per_call():
    """The pycuda driver's launches call pycuda's `_launch_kernel` with pointers and
    lengths packed as 8-byte native values, as `prepared_call` packs them."""
    calls = []

    class Function:
        def _launch_kernel(self, *args):
            calls.append(args)

    class Module:
        def get_function(self, name):
            assert name == "k"
            return Function()

    driver = object.__new__(rt.PycudaDriver)  # (no pycuda here: only `function` runs)
    launch = driver.function(Module(), "k", "PPq")
    launch(3, 128, 0x1000, 0x7f0000002008, 12345)
    assert calls == [((3, 1), (128, 1, 1), struct.pack("<QQq", 0x1000, 0x7f0000002008, 12345),
                      0, None)]
