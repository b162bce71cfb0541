"""`mx.runtime`: MXNet 1.9.1's feature names, each answered for mxjit on this machine."""
from __future__ import annotations

import llvmlite.binding as llvm
import pytest

import mxjit as mx

#: MXNet 1.9.1's `[f.name for f in mx.runtime.feature_list()]`.
MXNET_FEATURES = [
    "CUDA", "CUDNN", "NCCL", "CUDA_RTC", "TENSORRT", "CPU_SSE", "CPU_SSE2", "CPU_SSE3",
    "CPU_SSE4_1", "CPU_SSE4_2", "CPU_SSE4A", "CPU_AVX", "CPU_AVX2", "OPENMP", "SSE", "F16C",
    "JEMALLOC", "BLAS_OPEN", "BLAS_ATLAS", "BLAS_MKL", "BLAS_APPLE", "LAPACK", "MKLDNN",
    "OPENCV", "CAFFE", "PROFILER", "DIST_KVSTORE", "CXX14", "INT64_TENSOR_SIZE",
    "SIGNAL_HANDLER", "DEBUG", "TVM_OP"]


def test_the_features_are_mxnets_names_in_mxnets_order():
    assert [f.name for f in mx.runtime.feature_list()] == MXNET_FEATURES
    features = mx.runtime.Features()
    assert list(features) == MXNET_FEATURES and mx.runtime.Features() is features


def test_cuda_is_enabled_exactly_when_a_gpu_can_hold_arrays():
    assert mx.runtime.Features().is_enabled("CUDA") == (mx.context.num_gpus() > 0)


def test_cpu_features_are_the_hosts_that_llvm_compiles_for():
    host = llvm.get_host_cpu_features()
    features = mx.runtime.Features()
    assert features.is_enabled("CPU_SSE2") == bool(host.get("sse2", False))
    assert features.is_enabled("cpu_avx2") == bool(host.get("avx2", False))  # (any case)


def test_parts_of_mxnets_native_build_are_off():
    for name in ("CUDNN", "NCCL", "MKLDNN", "OPENMP", "TENSORRT", "TVM_OP", "CUDA_RTC"):
        assert not mx.runtime.Features().is_enabled(name), name


def test_printed_forms_are_mxnets():
    assert repr(mx.runtime.Feature("CUDA", False)) == "✖ CUDA"
    assert repr(mx.runtime.Feature("LAPACK", True)) == "✔ LAPACK"
    printed = repr(mx.runtime.Features())
    assert printed.startswith("[") and ", ✖ CUDNN, ✖ NCCL," in printed


def test_an_unknown_feature_is_an_error_listing_the_known_ones():
    with pytest.raises(RuntimeError, match=r"Feature 'WARP_DRIVE' is unknown, known features "
                                           r"are: \['CUDA', 'CUDNN'"):
        mx.runtime.Features().is_enabled("warp_drive")
