"""The operator library: MXNet's operators as functions over primitives, each registered
once in the operator table (`mxjit.core.operators`) for every front end. Importing the
package registers them all; implementations take and return arrays of any front end."""
from . import (  # noqa: F401  (each registers its operators)
    arith,
    channel_norms,
    combine,
    contrib,
    conv,
    creation,
    data_dependent,
    elementwise,
    feature_maps,
    image,
    indexing,
    linalg,
    nn,
    optimizer_updates,
    ordering,
    quantization,
    random,
    reduce,
    sequence,
    shape,
    spatial,
)
