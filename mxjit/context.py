"""Devices: `mx.cpu()`, `mx.gpu()`, `mx.Context`, the default-context scope, and the
registry of device backends.

A device backend (the CUDA runtime in `mxjit.lower.cuda_runtime`) registers itself here
with `register_device_backend` when it is imported, and calls `activate_device_backend`
once it has initialised a device. Until then every array is a NumPy array on the CPU, and
hot paths skip device checks by testing `active_array_type` against None.

    >>> with Context('cpu', 0): pass
    >>> cpu()
    cpu(0)
"""
from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable
from typing import Any, Protocol

from .base import ArgumentError, DeviceError, ParamError

__all__ = ["Context", "cpu", "cpu_pinned", "gpu", "current_context", "num_gpus",
           "gpu_memory_info"]


# ---- fork() -------------------------------------------------------------------------------
#
# A forked child has only the thread that called fork(): a lock another thread held is held
# forever there, and a thread pool's workers are gone. Process-wide state registers here
# to be reset in the child, so multiprocessing's fork start method and DataLoader workers
# run mxjit as the parent did.

_process_locks: list[Any] = []


def process_lock() -> threading.Lock:
    """A `threading.Lock` that a forked child finds released, whoever held it at fork().

    >>> with process_lock(): pass
    """
    lock = threading.Lock()
    _process_locks.append(lock)
    return lock


def after_fork_in_child(reset: Callable[[], None]) -> None:
    """Call `reset()` in every child process forked from now on (before any of its code).

    >>> after_fork_in_child(lambda: None)
    """
    if hasattr(os, "register_at_fork"):  # (POSIX; Windows has no fork)
        os.register_at_fork(after_in_child=reset)


def _release_process_locks() -> None:
    for lock in _process_locks:
        lock._at_fork_reinit()  # (what CPython does for its own locks after fork)


after_fork_in_child(_release_process_locks)


_DEFAULT_CTX_DEPRECATED = ("Context.default_ctx has been deprecated. Please use "
                           "Context.current_context() instead. Please use "
                           "test_utils.set_default_context to set a default context")


class _ThreadContext(threading.local):
    # (a class default: a thread without a `with ctx:` scope reads None without raising and
    # catching AttributeError, on every array made)
    current: Context | None = None


class _ContextClass(type):
    """Class-level properties of `Context` (MXNet's deprecated `Context.default_ctx`)."""

    @property
    def default_ctx(cls) -> Context:
        warnings.warn(_DEFAULT_CTX_DEPRECATED, DeprecationWarning, stacklevel=2)
        return current_context()

    @default_ctx.setter
    def default_ctx(cls, ctx: Context) -> None:
        warnings.warn(_DEFAULT_CTX_DEPRECATED, DeprecationWarning, stacklevel=2)
        Context._local.current = ctx


class Context(metaclass=_ContextClass):
    """A device: type ('cpu' or 'gpu') and id; usable as a `with` default scope.

    >>> with mx.Context('cpu', 0): x = mx.nd.ones((2,))  # doctest: +SKIP
    """

    devtype2id = {"cpu": 1, "gpu": 2, "cpu_pinned": 3, "cpu_shared": 5}
    devstr2type = devtype2id  # (MXNet's names for both directions)
    devtype2str = {v: k for k, v in devtype2id.items()}
    _local = _ThreadContext()

    def __init__(self, device_type: str | Context, device_id: int = 0):
        if isinstance(device_type, Context):
            device_id = device_type.device_id
            device_type = device_type.device_type
        if device_type not in self.devtype2id:
            raise ParamError(f"unknown device type {device_type!r}; use 'cpu' or 'gpu'")
        self.device_type: str = device_type
        self.device_id: int = int(device_id)
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

    def empty_cache(self) -> None:
        """Give the memory kept for reuse back: a GPU's pool, or on the CPU the free blocks
        of the pool that large host arrays come from (smaller ones are NumPy memory, freed
        as they are dropped).

        >>> mx.cpu().empty_cache()  # doctest: +SKIP
        """
        if self.device_type.startswith("cpu"):
            for release in _host_caches:
                release()
            return
        backend = _backends.get(self.device_type)
        if backend is not None:
            backend.empty_cache(self.device_id)


def cpu(device_id: int = 0) -> Context:
    """The CPU context; every id is the same host CPU.

    >>> mx.cpu()  # doctest: +SKIP
    cpu(0)
    """
    return Context("cpu", device_id)


def result_context(ctx: Context | None) -> Context | None:
    """The context of an operation's result whose first input is on `ctx`: pinned or
    shared CPU memory gives the CPU's (MXNet: "non-default context does not propagate").

    >>> mx.context.result_context(mx.cpu_pinned(1))  # doctest: +SKIP
    cpu(1)
    """
    if ctx is None or ctx.device_type in ("cpu", "gpu"):
        return ctx
    return Context("cpu", ctx.device_id)


def cpu_pinned(device_id: int = 0) -> Context:
    """MXNet's page-locked host memory context (for fast copies to a GPU); arrays on it
    are host arrays as on `cpu()`.

    >>> mx.cpu_pinned()  # doctest: +SKIP
    cpu_pinned(0)
    """
    return Context("cpu_pinned", device_id)


def gpu(device_id: int = 0) -> Context:
    """A GPU context (arrays on it need a GPU and the CUDA backend).

    >>> mx.gpu(0)  # doctest: +SKIP
    gpu(0)
    """
    return Context("gpu", device_id)


def current_context() -> Context:
    """The default context of this thread (cpu(0) unless a `with ctx:` scope is active).

    >>> mx.current_context()  # doctest: +SKIP
    cpu(0)
    """
    return Context._local.current or Context("cpu", 0)


# ---- device backends --------------------------------------------------------------------


class DeviceBackend(Protocol):
    """What a device backend offers the rest of mxjit (see `mxjit.lower.cuda_runtime`)."""

    array_type: type

    def device_count(self) -> int: ...

    def unavailable_reason(self, device_id: int) -> str | None: ...

    def to_device(self, data: Any, device_id: int) -> Any: ...

    def run(self, program: Any, arrays: list[Any]) -> list[Any]: ...

    def run_flat(self, key: Any, kernel: Any, dtype: Any, shape: tuple[int, ...],
                 arrays: list[Any]) -> Any: ...

    def view(self, op: str, array: Any, attrs: dict[str, Any]) -> Any: ...

    def synchronize(self) -> None: ...

    def memory_info(self, device_id: int) -> tuple[int, int]: ...

    def empty_cache(self, device_id: int) -> None: ...


_backends: dict[str, DeviceBackend] = {}
#: What gives the host memory kept for reuse back (registered by the array memory pool).
_host_caches: list[Callable[[], object]] = []


def register_host_cache(release: Callable[[], object]) -> None:
    """Make `cpu().empty_cache()` call `release` (the host's pool of large arrays).

    >>> register_host_cache(pool_release)  # doctest: +SKIP
    """
    if release not in _host_caches:
        _host_caches.append(release)
#: The backend whose devices hold arrays now, and its array class; None while every array
#: is on the CPU (set through `activate_device_backend`).
active_backend: DeviceBackend | None = None
active_array_type: type | None = None


def register_device_backend(device_type: str, backend: DeviceBackend) -> None:
    """Make `backend` serve contexts of `device_type` ('gpu').

    >>> register_device_backend('gpu', backend)  # doctest: +SKIP
    """
    _backends[device_type] = backend


def activate_device_backend(backend: DeviceBackend | None) -> None:
    """Route arrays of `backend.array_type` to `backend` (None: every array is on the CPU
    again, e.g. when the backend's driver is replaced and its arrays are gone).

    >>> activate_device_backend(None)  # doctest: +SKIP
    """
    global active_backend, active_array_type
    active_backend = backend
    active_array_type = None if backend is None else backend.array_type


def num_gpus() -> int:
    """How many GPUs the CUDA backend can use: 0 without pycuda, a CUDA driver or a GPU.

    >>> mx.context.num_gpus() >= 0  # doctest: +SKIP
    True
    """
    backend = _backends.get("gpu")
    return 0 if backend is None else backend.device_count()


def gpu_memory_info(device_id: int = 0) -> tuple[int, int]:
    """(free, total) bytes of global memory of `gpu(device_id)`; a `DeviceError` that says
    why when there is no such GPU (MXNet raises on the CUDA error too).

    >>> free, total = mx.context.gpu_memory_info(0)  # doctest: +SKIP
    """
    ctx = check_context(gpu(device_id))
    return _backends["gpu"].memory_info(ctx.device_id)


def check_context(ctx: Context) -> Context:
    """`ctx` itself when it can hold arrays here; else a `DeviceError` that says why.

    >>> check_context(cpu())
    cpu(0)
    """
    if not isinstance(ctx, Context):
        raise ArgumentError(f"ctx must be a Context such as mx.cpu() or mx.gpu(0), got "
                            f"{type(ctx).__name__} {ctx!r}")
    if ctx.device_type == "gpu":
        backend = _backends.get("gpu")
        reason = ("no GPU backend is loaded" if backend is None
                  else backend.unavailable_reason(ctx.device_id))
        if reason is not None:
            raise DeviceError(f"cannot place an array on {ctx}: {reason} "
                              f"(mx.context.num_gpus() == {num_gpus()})")
    return ctx


def to_device(data: Any, ctx: Context) -> Any:
    """`data` (a NumPy array) copied onto the device of `ctx` (a GPU context)."""
    backend = _backends.get(ctx.device_type)
    if backend is None:
        check_context(ctx)
        raise DeviceError(f"no backend for {ctx}")
    return backend.to_device(data, ctx.device_id)


def __dir__() -> list[str]:  # (what tab completion offers: the public names)
    return __all__


def synchronize() -> None:
    """Wait for the work queued on every device in use (CPU work runs synchronously)."""
    if active_backend is not None:
        active_backend.synchronize()
