"""The IR: graphs of primitive applications, their shape and dtype rules, gradients and
simplification. Importing the package defines every primitive of the core; the names
below are what the layers above use."""
from . import (  # noqa: F401
    batching,
    contraction,
    control,
    custom,
    elementwise,
    forward,
    generators,
    host,
    indexing,
    movement,
    reductions,
    windows,
)
from .dtypes import ALL_DTYPES, DEFAULT_FLOAT, USER_DTYPES, canonical_dtype, conversion_bits
from .grad import backward
from .graph import (
    AbstractValue,
    Node,
    const,
    const_value,
    format_graph,
    postorder,
    substitute,
    toposort,
    var,
)
from .primitives import (
    PRIMITIVES,
    Primitive,
    apply,
    define_primitive,
    evaluate,
    full_like,
    ones_like,
    zeros_like,
)
