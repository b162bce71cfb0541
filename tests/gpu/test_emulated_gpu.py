"""The GPU tests (test_gpu.py) on a GPU emulated on the host: the CUDA runtime's code
(device arrays, views, copies, program runs, launches, two-stage reductions, the cuBLAS
operand analysis) runs for real, and the kernels are the rendered CUDA C built by g++.

Emulation compiles each new kernel with g++ and runs a host thread per CUDA thread, so the
tests that compile hundreds of kernels are marked slow (`pytest -m slow` runs them).
"""
from __future__ import annotations

import pytest

from mxjit.kernels import cublas
from mxjit.lower import cuda_runtime as rt
from tests.cuda_emu import gxx
from tests.gpu import test_gpu as real
from tests.gpu.emulated import EmulatedDriver, FakeCublas
from tests.gpu.test_gpu import (  # noqa: F401  (the same tests, with the fixture below)
    cases,
    test_compiled_operators_run_as_one_program_on_gpu_arrays,
    test_device_array_transposes_are_numpys,
    test_eager_elementwise_ops_compile_once_for_every_length,
    test_gemm_layouts_and_dtypes,
    test_jit_and_autograd_on_gpu_arrays,
    test_multi_store_kernels_on_gpu,
    test_num_gpus_and_contexts,
    test_philox_streams_are_the_same_on_cpu_and_gpu,
    test_results_never_share_a_programs_constants_or_kept_scalars,
    test_the_catalog_covers_every_primitive,
    test_views_setitem_and_inplace_ops_stay_on_the_gpu,
)


@pytest.fixture(scope="module")
def gpu():
    """gpu(0) of an emulated driver (skipped without g++)."""
    if gxx() is None:
        pytest.skip("g++ is not installed")
    rt.use_driver(EmulatedDriver())
    saved = cublas._lib
    cublas._lib = FakeCublas()
    try:
        yield rt.device(0)
    finally:
        cublas._lib = saved
        rt.use_driver(None)


@pytest.mark.slow
@pytest.mark.parametrize("group", ["reduce", "movement", "program"])
def test_every_operator_matches_the_cpu(gpu, cases, group):  # noqa: F811
    real.test_every_operator_matches_the_cpu(gpu, cases, group)


@pytest.mark.slow
def test_eager_ops_on_gpu_arrays_match_the_cpu(gpu):
    real.test_eager_ops_on_gpu_arrays_match_the_cpu(gpu)


@pytest.mark.slow
def test_random_programs_match_the_cpu(gpu):
    real.test_random_programs_match_the_cpu(gpu)


@pytest.mark.slow
@pytest.mark.parametrize("name, make, shape", real._layer_cases(),
                         ids=[c[0] for c in real._layer_cases()])
def test_gluon_layers_match_the_cpu(gpu, name, make, shape):
    real.test_gluon_layers_match_the_cpu(gpu, name, make, shape)


@pytest.mark.slow
def test_hybridized_training_on_the_gpu_matches_the_cpu(gpu):
    real.test_hybridized_training_on_the_gpu_matches_the_cpu(gpu)


@pytest.mark.slow
def test_module_training_and_executors_on_the_gpu_match_the_cpu(gpu):
    real.test_module_training_and_executors_on_the_gpu_match_the_cpu(gpu)
