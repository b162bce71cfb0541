"""From graphs to executable programs: fusion, kernel descriptions, the LLVM (CPU) and CUDA
backends, the compiled-kernel cache, and programs that run them."""
from . import cuda_runtime  # noqa: F401  (registers the GPU backend with mxjit.context)
