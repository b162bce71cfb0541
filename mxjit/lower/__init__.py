"""From graphs to executable programs: fusion, kernel descriptions, the LLVM (CPU) and CUDA
backends, the compiled-kernel cache, and programs that run them.

The names below are what the layers above use; the modules are this package's own.
Importing it registers the GPU backend with `mxjit.context` (pycuda itself is imported
only when a GPU is first asked for).
"""
# (cuda_runtime registers the GPU backend with mxjit.context; loops, the loops' steps with
# the planner; host, the host calls' steps)
from . import cuda_runtime, host, loops  # noqa: F401
from .cache import KERNELS, CompiledKernel, clear_disk_cache, disk_usage, log, log_compiles
from .cuda import cuda_symbol, render_cuda
from .cuda_runtime import register_device_library
from .emit import Layout
from .generic import elementwise_kernel, reduction_kernel
from .kernel import I64, REDUCE_OPS, Expr, Kernel, Store, iconst, loop_var
from .llvm import render_llvm
from .memory import empty, owns_memory, pooled_size, tune_malloc
from .program import (
    PARALLEL_MIN_WORK,
    THREADS,
    KernelStep,
    Program,
    launch,
    lower_graph,
    register_library,
)
from .reduce_split import JOIN, ROWS

tune_malloc()

__all__ = ["KERNELS", "CompiledKernel", "clear_disk_cache", "disk_usage", "log", "log_compiles",
           "cuda_symbol", "render_cuda",
           "Layout", "elementwise_kernel", "reduction_kernel", "REDUCE_OPS", "render_llvm",
           "I64", "Expr", "Kernel", "Store", "iconst", "loop_var",
           "PARALLEL_MIN_WORK", "THREADS", "KernelStep", "Program", "launch", "lower_graph",
           "JOIN", "ROWS", "register_library", "register_device_library", "empty",
           "owns_memory", "pooled_size"]
