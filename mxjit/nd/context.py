"""Devices: `mx.cpu()`, `mx.gpu()`, `mx.Context` and the default-context scope."""
from __future__ import annotations

import threading
from typing import Any

from ..base import DeviceError


class Context:
    """A device: type ('cpu' or 'gpu') and id; usable as a `with` default scope.

    >>> with mx.Context('cpu', 0): x = mx.nd.ones((2,))  # doctest: +SKIP
    """

    devtype2id = {"cpu": 1, "gpu": 2, "cpu_pinned": 3, "cpu_shared": 5}
    _local = threading.local()

    def __init__(self, device_type: str | Context, device_id: int = 0):
        if isinstance(device_type, Context):
            device_type, device_id = device_type.device_type, device_type.device_id
        if device_type not in self.devtype2id:
            raise ValueError(f"unknown device type {device_type!r}; use 'cpu' or 'gpu'")
        self.device_type = device_type
        self.device_id = int(device_id)
        self._old: list[Context] = []

    @property
    def device_typeid(self) -> int:
        return self.devtype2id[self.device_type]

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Context) and self.device_type == other.device_type
                and self.device_id == other.device_id)

    def __hash__(self) -> int:
        return hash((self.device_type, self.device_id))

    def __repr__(self) -> str:
        return f"{self.device_type}({self.device_id})"

    __str__ = __repr__

    def __enter__(self) -> Context:
        self._old.append(current_context())
        Context._local.current = self
        return self

    def __exit__(self, *exc: Any) -> None:
        Context._local.current = self._old.pop()


def cpu(device_id: int = 0) -> Context:
    """The CPU context; every id is the same host CPU.

    >>> mx.cpu()  # doctest: +SKIP
    cpu(0)
    """
    return Context("cpu", device_id)


def gpu(device_id: int = 0) -> Context:
    """A GPU context (arrays on it need a GPU and the CUDA backend).

    >>> mx.gpu(0)  # doctest: +SKIP
    gpu(0)
    """
    return Context("gpu", device_id)


def current_context() -> Context:
    """The default context of this thread (cpu(0) unless a `with ctx:` scope is active)."""
    return getattr(Context._local, "current", None) or Context("cpu", 0)


def num_gpus() -> int:
    """How many GPUs the CUDA backend can use: 0 without pycuda, a CUDA driver or a GPU.

    >>> mx.context.num_gpus() >= 0  # doctest: +SKIP
    True
    """
    from ..lower.cuda_runtime import device_count

    return device_count()


def check_context(ctx: Context) -> Context:
    """`ctx` itself when it can hold arrays here; else a `DeviceError` that says why."""
    if ctx.device_type == "gpu":
        from ..lower.cuda_runtime import unavailable_reason

        reason = unavailable_reason(ctx.device_id)
        if reason is not None:
            raise DeviceError(f"cannot place an array on {ctx}: {reason} "
                              f"(mx.context.num_gpus() == {num_gpus()})")
    return ctx
