"""`mx.libinfo`, MXNet's helpers in `mx.base`, and the rest of `mx.context`'s API."""
from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

import mxjit as mx
from mxjit import base
from mxjit.lower import cuda_runtime


def test_the_version_is_the_mxnet_api_level_and_mxjits_own_stays():
    assert mx.libinfo.__version__ == "1.9.1"
    assert mx.__version__ != mx.libinfo.__version__


def test_without_a_native_library_the_finders_say_why(monkeypatch):
    monkeypatch.delenv("MXNET_LIBRARY_PATH", raising=False)
    monkeypatch.delenv("MXNET_INCLUDE_PATH", raising=False)
    with pytest.raises(RuntimeError, match=r"cannot find the MXNet library \(libmxnet\): "
                                           "mxjit has no native MXNet library"):
        mx.libinfo.find_lib_path()
    with pytest.raises(base.MissingFileError, match="cannot find the MXNet include path: "
                                                    "mxjit has no native"):
        mx.libinfo.find_include_path()


def test_the_finders_answer_with_what_the_environment_names(monkeypatch, tmp_path):
    lib = tmp_path / "libmxnet.so"
    lib.write_bytes(b"")
    monkeypatch.setenv("MXNET_LIBRARY_PATH", str(lib))
    monkeypatch.setenv("MXNET_INCLUDE_PATH", str(tmp_path))
    assert mx.libinfo.find_lib_path() == [str(lib)]
    assert mx.libinfo.find_include_path() == str(tmp_path)
    monkeypatch.setenv("MXNET_LIBRARY_PATH", str(tmp_path / "gone.so"))
    monkeypatch.setenv("MXNET_INCLUDE_PATH", str(lib))
    with pytest.raises(base.MissingFileError, match="MXNET_LIBRARY_PATH=.*gone.so' is no file"):
        mx.libinfo.find_lib_path()
    with pytest.raises(base.MissingFileError, match="MXNET_INCLUDE_PATH=.* is no folder"):
        mx.libinfo.find_include_path()


def test_base_helpers_are_mxnets(monkeypatch):
    assert base.string_types == (str,) and isinstance(np.float32(1), base.numeric_types)
    assert isinstance(np.int64(1), base.integer_types) and not isinstance(1.0,
                                                                           base.integer_types)
    assert base.py_str(b"gpu") == "gpu"
    monkeypatch.delenv("MXNET_HOME", raising=False)
    assert base.data_dir() == os.path.join(os.path.expanduser("~"), ".mxnet")
    monkeypatch.setenv("MXNET_HOME", "/data/mx")
    assert base.data_dir() == "/data/mx" and base.data_dir_default().endswith(".mxnet")


def test_default_ctx_is_deprecated_but_works():
    with pytest.warns(DeprecationWarning, match="Context.default_ctx has been deprecated"):
        assert mx.Context.default_ctx == mx.cpu()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        mx.Context.default_ctx = mx.cpu(1)
        try:
            assert mx.current_context() == mx.cpu(1)
        finally:
            mx.Context.default_ctx = mx.cpu(0)


def test_context_tables_and_empty_cache():
    assert mx.Context.devtype2str == {1: "cpu", 2: "gpu", 3: "cpu_pinned", 5: "cpu_shared"}
    assert mx.Context.devstr2type["gpu"] == 2 and mx.gpu(1).device_typeid == 2
    mx.cpu().empty_cache()  # (host arrays are NumPy memory: nothing is pooled)


@pytest.mark.skipif(mx.context.num_gpus() > 0, reason="this machine has a GPU")
def test_gpu_memory_info_without_a_gpu_says_why():
    with pytest.raises(base.DeviceError, match=r"gpu\(0\): no GPU is available"):
        mx.context.gpu_memory_info(0)


@pytest.mark.skipif(mx.context.num_gpus() == 0, reason="needs a GPU")
def test_gpu_memory_info_reports_free_and_total_bytes():
    free, total = mx.context.gpu_memory_info(0)
    assert 0 < free <= total
    mx.gpu(0).empty_cache()


class _OneGpu(cuda_runtime.Driver):
    """A driver with one GPU that answers only the questions asked here."""

    def __init__(self) -> None:
        self.emptied: list[int] = []

    def device_count(self) -> int:
        return 1

    def memory_info(self, index: int) -> tuple[int, int]:
        return 3 << 30, 8 << 30

    def empty_cache(self, index: int) -> None:
        self.emptied.append(index)


def test_gpu_memory_info_empty_cache_and_the_cuda_feature_ask_the_cuda_backend():
    driver = _OneGpu()
    cuda_runtime.use_driver(driver)
    try:
        assert mx.context.gpu_memory_info(0) == (3 << 30, 8 << 30)
        mx.gpu(0).empty_cache()
        assert driver.emptied == [0]
        assert [f.enabled for f in mx.runtime.feature_list() if f.name == "CUDA"] == [True]
        with pytest.raises(base.DeviceError, match=r"gpu\(1\): this machine has 1"):
            mx.context.gpu_memory_info(1)
    finally:
        cuda_runtime.use_driver(None)
