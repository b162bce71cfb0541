"""What every front end shares: the array base class, dispatch to eager kernels and their
cache, the autograd tape, random keys, `jit` and the functional transforms. It imports the
layers below (trace, lower, kernels) and no front end."""
from .. import kernels, lower
from . import tape
from .array import (
    Array,
    concrete_error,
    default_array_class,
    is_array,
    set_default_array_class,
    weak_class,
    weakened,
)
from .custom import checkpoint, custom_jvp, custom_vjp, remat
from .dispatch import bind, bind_elementwise, same_shape_binary, scalar_binary, scalar_operand
from .eager import run_eager
from .forward import hessian, jacfwd, jacrev, jvp, linearize
from .jit import JitFunction, Lowered, jit
from .pytree import (
    register_pytree_node,
    tree_flatten,
    tree_leaves,
    tree_map,
    tree_structure,
    tree_unflatten,
)
from .random import eager_bits, next_key, next_key_value, seed
from .trace_state import current_trace
from .transforms import grad, value_and_grad, vjp
from .vmap import vmap

kernels.register(lower.register_library, lower.register_device_library)

__all__ = ["tape", "Array", "weak_class", "weakened", "concrete_error", "default_array_class",
           "is_array", "set_default_array_class", "bind", "bind_elementwise", "same_shape_binary",
           "scalar_binary",
           "scalar_operand", "run_eager", "JitFunction", "Lowered", "jit", "tree_flatten",
           "tree_unflatten", "tree_leaves", "tree_map", "tree_structure",
           "register_pytree_node", "eager_bits", "next_key", "next_key_value", "seed",
           "current_trace", "grad", "value_and_grad", "vjp", "jvp", "linearize", "jacfwd",
           "jacrev", "hessian", "vmap", "custom_vjp", "custom_jvp", "checkpoint", "remat"]
