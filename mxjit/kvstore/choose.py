"""Which store a Gluon `Trainer` or a `Module` trains through, and whether the store runs
the optimizer (`update_on_kvstore`): MXNet 1.9.1's `model._create_kvstore` rules.

* None, or a type string on one device without 'dist': no store.
* 'local' with a parameter over 16M elements: the store only sums (the update runs on
  the devices).
* Otherwise the store updates the weights when it can (`is_capable('optimizer')`),
  unless the environment variable `MXNET_UPDATE_ON_KVSTORE` is 0.

    >>> kv, update_on_kvstore = create_kvstore('device', 2, {'w': weight})  # doctest: +SKIP
"""
from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..base import ArgumentError, ParamError
from .base import KVStoreBase
from .create import create

__all__ = ["create_kvstore", "create_sparse_kvstore"]

#: above this many elements in one parameter, 'local' does not update on the store
BIG_PARAMETER = 1024 * 1024 * 16


def create_kvstore(kvstore: Any, num_device: int, arg_params: dict[str, Any]
                   ) -> tuple[KVStoreBase | None, bool]:
    """(the store or None, whether the optimizer runs on it).

    >>> create_kvstore('local', 1, params)  # doctest: +SKIP
    (None, False)
    """
    update_on_kvstore = bool(int(os.getenv("MXNET_UPDATE_ON_KVSTORE", "1")))
    kv: KVStoreBase | None
    if kvstore is None:
        kv = None
    elif isinstance(kvstore, KVStoreBase):
        kv = kvstore
    elif isinstance(kvstore, str):
        if num_device == 1 and "dist" not in kvstore:
            kv = None  # (one device on one machine: nothing to sum)
        else:
            kv = create(kvstore)
            if kvstore == "local" and arg_params:
                biggest = max(int(np.prod(p.shape)) for p in arg_params.values())
                if biggest > BIG_PARAMETER:
                    update_on_kvstore = False
    else:
        raise ArgumentError(f"kvstore must be KVStore, str or None, got "
                            f"{type(kvstore).__name__}")
    if kv is None:
        return None, False
    return kv, update_on_kvstore and kv.is_capable(KVStoreBase.OPTIMIZER)


def create_sparse_kvstore(kvstore: Any) -> tuple[KVStoreBase, bool]:
    """(the store, True): row_sparse weights always update on a store (MXNet's
    `_create_sparse_kvstore`), even on one device.

    >>> kv, _ = create_sparse_kvstore('local')  # doctest: +SKIP
    """
    if isinstance(kvstore, KVStoreBase):
        kv = kvstore
    elif isinstance(kvstore, str):
        kv = create(kvstore)
    else:
        raise ArgumentError(f"Cannot create '{kvstore}' KVStore with row_sparse parameters. "
                            f"The type must be KVStore or str.")
    if not kv.is_capable(KVStoreBase.OPTIMIZER):
        raise ParamError(f"KVStore with sparse weight requires optimizer support. However, "
                         f"{type(kv)} does not support optimizer. Please consider other "
                         f"kvstore backends (e.g. dist_device) instead.")
    return kv, True
