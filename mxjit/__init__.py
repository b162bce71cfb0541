"""mxjit: Apache MXNet's Python API on a tracing compiler (LLVM on the CPU, CUDA C on GPUs).

    >>> import mxjit as mx
    >>> f = mx.jit(lambda a, b: mx.nd.relu(a * b + 1))
"""
from . import (
    attribute,
    autograd,
    base,
    callback,
    context,
    contrib,
    engine,
    gluon,
    image,
    initializer,
    io,
    kvstore,
    lax,
    libinfo,
    lr_scheduler,
    metric,
    model,
    module,
    monitor,
    name,
    nd,
    numpy,
    numpy_extension,
    operator,
    optimizer,
    random,
    recordio,
    rnn,
    runtime,
    symbol,
    test_utils,
    util,
    visualization,
)
from .attribute import AttrScope
from .base import MXNetError
from .context import Context, cpu, cpu_pinned, current_context, gpu
from .core import (
    checkpoint,
    custom_jvp,
    custom_vjp,
    grad,
    hessian,
    jacfwd,
    jacrev,
    jit,
    jvp,
    linearize,
    register_pytree_node,
    remat,
    tree_flatten,
    tree_leaves,
    tree_map,
    tree_structure,
    tree_unflatten,
    value_and_grad,
    vjp,
    vmap,
)
from .mxnet_alias import install_as_mxnet
from .util import (
    is_np_array,
    is_np_shape,
    np_array,
    np_shape,
    set_np_shape,
    use_np,
    use_np_array,
    use_np_shape,
)

ndarray = nd
sym = symbol
# (MXNet's mx.nd.CachedOp runs a symbol, which mx.nd may not import: it lives there)
nd.CachedOp = symbol.CachedOp  # type: ignore[attr-defined]
nd.__all__ = sorted([*nd.__all__, "CachedOp"])
# (MXNet's autograd module imports NDArray and Symbol, and has no __all__: its tests get
# NDArray from `from mxnet.autograd import *`; autograd may not import either layer)
autograd.NDArray, autograd.Symbol = nd.NDArray, symbol.Symbol  # type: ignore[attr-defined]
autograd.__all__ = [*autograd.__all__, "NDArray", "Symbol"]
img = image
init = initializer
mod = module
kv = kvstore
viz = visualization
np = numpy
npx = numpy_extension
__version__ = "0.1.0"

__all__ = ["autograd", "base", "nd", "lax", "random", "ndarray", "jit", "grad", "value_and_grad",
           "vjp", "jvp", "linearize", "jacfwd", "jacrev", "hessian", "vmap", "custom_vjp",
           "custom_jvp", "checkpoint", "remat", "cpu", "cpu_pinned", "gpu", "Context",
           "current_context",
           "context", "MXNetError",
           "test_utils", "gluon", "initializer", "init", "name", "metric", "tree_flatten",
           "tree_unflatten", "tree_leaves", "tree_map", "tree_structure", "register_pytree_node",
           "optimizer", "lr_scheduler", "image", "recordio", "img", "symbol", "sym", "attribute",
           "AttrScope", "io", "visualization", "viz", "module", "mod", "model", "callback",
           "monitor", "kvstore", "kv", "__version__", "libinfo", "runtime", "install_as_mxnet",
           "np", "npx", "numpy", "numpy_extension", "util", "is_np_shape", "set_np_shape",
           "np_shape", "use_np_shape", "is_np_array", "np_array", "use_np_array", "use_np"]
