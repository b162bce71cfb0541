"""mxjit: Apache MXNet's Python API on a tracing compiler (LLVM on the CPU).

    >>> import mxjit as mx
    >>> f = mx.jit(lambda a, b: mx.nd.relu(a * b + 1))
"""
from . import autograd, context, nd, random
from .base import MXNetError
from .context import Context, cpu, current_context, gpu
from .trace.functional import grad, value_and_grad, vjp
from .trace.tracer import jit

ndarray = nd
__version__ = "0.1.0"

__all__ = ["autograd", "nd", "random", "ndarray", "jit", "grad", "value_and_grad", "vjp",
           "cpu", "gpu", "Context", "current_context", "context", "MXNetError", "__version__"]
