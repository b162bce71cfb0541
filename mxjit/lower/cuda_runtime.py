"""The CUDA runtime: devices, device memory, compiled modules and kernel launches.

pycuda is imported lazily, the first time a GPU is asked for (`device_count`, `device`);
without pycuda, a driver or a GPU, `device_count()` is 0 and `device(i)` raises a
`DeviceError` that says why. Everything device-specific goes through a `Driver` (pycuda's
here; tests substitute one that emulates a GPU on the host), so the rest is plain Python:

* `DeviceArray`: an array in device memory (shape, dtype, byte strides, the address of its
  first element) over an allocation from the device's pool (`pycuda.tools.DeviceMemoryPool`).
  Views (basic indexing, reshape, transpose, broadcast) share memory as NumPy's do; their
  layout is computed by applying NumPy to a stand-in array that is never read.
  `np.asarray(a)` copies to the host.
* kernels: each `Kernel` is rendered by `cuda.render_cuda`, compiled by nvcc through pycuda
  (its disk cache under `$MXJIT_CACHE_DIR/cuda`), and kept in memory by content key; the
  kernels of a program are compiled together, in parallel batches when there are many.
  Launches follow `cuda.launch_config` for the device's properties.
* `run_program`: runs a lowered `Program` (the same plan as on the CPU) over device arrays;
  `Program.run` calls it when it is given device arrays. GEMM goes to cuBLAS
  (`mxjit.kernels.cublas`); other library steps run on the host (copied there and back).

>>> from mxjit.lower import cuda_runtime as rt
>>> rt.device_count() >= 0
True
"""
from __future__ import annotations

import atexit
import ctypes
import dataclasses
import functools
import math
import os
import struct
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import context as _context
from ..base import ArgumentError, CompileForbiddenError, DeviceError, UnsupportedError
from ..context import Context, after_fork_in_child, process_lock
from ..trace import PRIMITIVES, apply
from ..trace.graph import var
from . import program as program_module
from .cache import cache_dir, log, log_compiles
from .cuda import (
    DeviceProps,
    Launch,
    block_and_cap,
    cuda_symbol,
    launch_config,
    render_cuda,
    schedule,
    workspace_layout,
)
from .emit import Layout
from .kernel import I64, Expr, Kernel, Store, iconst, loop_var

__all__ = ["DeviceArray", "Driver", "device", "device_count", "run_program", "to_device",
           "unavailable_reason", "use_driver", "synchronize"]

#: Kernels compiled by one nvcc call when a program needs many at once.
BATCH = 48


# ---- the driver --------------------------------------------------------------------------


class Driver:
    """What the runtime needs from CUDA. `PycudaDriver` is the real one.

    Addresses are Python ints; `alloc` returns an object whose `int()` is the address and
    that frees the memory (back to the pool) when it is dropped.
    """

    def device_count(self) -> int:
        raise NotImplementedError

    def props(self, index: int) -> DeviceProps:
        raise NotImplementedError

    def arch(self, index: int) -> str:
        raise NotImplementedError

    def name(self, index: int) -> str:
        raise NotImplementedError

    def activate(self, index: int) -> None:
        """Make the device's context current in the calling thread."""

    def alloc(self, index: int, nbytes: int) -> Any:
        raise NotImplementedError

    def htod(self, dst: int, src: np.ndarray) -> None:
        raise NotImplementedError

    def dtoh(self, dst: np.ndarray, src: int) -> None:
        raise NotImplementedError

    def dtod(self, dst: int, src: int, nbytes: int) -> None:
        raise NotImplementedError

    def memset(self, dst: int, nbytes: int) -> None:
        """Zero `nbytes` at `dst`."""
        raise NotImplementedError

    def build(self, index: int, sources: list[str]) -> list[Any]:
        """Compile each CUDA C source (in parallel) and load it: one module per source."""
        raise NotImplementedError

    def function(self, module: Any, name: str, arg_format: str) -> Callable[..., None]:
        """`fn(grid, block, *args)` launching `name`; `arg_format`: 'P' per pointer, 'q'
        per int64."""
        raise NotImplementedError

    def max_threads(self, module: Any, name: str) -> int:
        """The largest block `name` can be launched with (its registers permitting)."""
        return 1024

    def synchronize(self, index: int) -> None:
        raise NotImplementedError

    def memory_info(self, index: int) -> tuple[int, int]:
        """(free, total) bytes of the device's global memory."""
        raise NotImplementedError

    def empty_cache(self, index: int) -> None:
        """Give the memory held for reuse back to the device (nothing is held by default)."""


class PycudaDriver(Driver):
    """CUDA through pycuda: primary contexts, `DeviceMemoryPool`s, `SourceModule`-style
    compiles (nvcc, pycuda's disk cache) and launches with arguments packed by a struct
    made once per function, on the default stream."""

    def __init__(self) -> None:
        import pycuda.driver as drv  # may raise ImportError or a driver error

        drv.init()
        self.drv = drv
        self._contexts: dict[int, Any] = {}
        self._pools: dict[int, Any] = {}
        self._tls = threading.local()
        self._lock = process_lock()
        atexit.register(self._shutdown)

    def device_count(self) -> int:
        return int(self.drv.Device.count())

    def props(self, index: int) -> DeviceProps:
        attrs = self.drv.Device(index).get_attributes()
        a = self.drv.device_attribute
        return DeviceProps(
            multiprocessors=int(attrs[a.MULTIPROCESSOR_COUNT]),
            max_threads_per_block=int(attrs[a.MAX_THREADS_PER_BLOCK]),
            max_threads_per_multiprocessor=int(attrs[a.MAX_THREADS_PER_MULTIPROCESSOR]),
            warp_size=int(attrs[a.WARP_SIZE]),
            max_grid_x=int(attrs[a.MAX_GRID_DIM_X]),
            compute_capability=tuple(self.drv.Device(index).compute_capability()),
        )

    def arch(self, index: int) -> str:
        major, minor = self.drv.Device(index).compute_capability()
        return f"sm_{major}{minor}"

    def name(self, index: int) -> str:
        return str(self.drv.Device(index).name())

    def activate(self, index: int) -> None:
        if getattr(self._tls, "device", None) == index:
            return
        with self._lock:
            ctx = self._contexts.get(index)
            if ctx is None:
                ctx = self._contexts[index] = self.drv.Device(index).retain_primary_context()
        if getattr(self._tls, "device", None) is not None:
            self.drv.Context.pop()
        ctx.push()
        self._tls.device = index

    def _pool(self, index: int) -> Any:
        pool = self._pools.get(index)
        if pool is None:
            from pycuda.tools import DeviceMemoryPool

            pool = self._pools[index] = DeviceMemoryPool()
        return pool

    def alloc(self, index: int, nbytes: int) -> Any:
        self.activate(index)
        with self._lock:
            pool = self._pool(index)
            try:
                return pool.allocate(max(int(nbytes), 1))
            except self.drv.MemoryError:  # memory held for reuse: give it back, try again
                pool.free_held()
                return pool.allocate(max(int(nbytes), 1))

    def htod(self, dst: int, src: np.ndarray) -> None:
        if src.nbytes:
            self.drv.memcpy_htod(dst, src)

    def dtoh(self, dst: np.ndarray, src: int) -> None:
        if dst.nbytes:
            self.drv.memcpy_dtoh(dst, src)

    def dtod(self, dst: int, src: int, nbytes: int) -> None:
        if nbytes:
            self.drv.memcpy_dtod(dst, src, nbytes)

    def memset(self, dst: int, nbytes: int) -> None:
        if nbytes:
            self.drv.memset_d8(dst, 0, nbytes)

    def build(self, index: int, sources: list[str]) -> list[Any]:
        from pycuda.compiler import compile as nvcc_compile

        arch = self.arch(index)
        where = cache_dir() / "cuda"
        try:
            where.mkdir(parents=True, exist_ok=True)
            disk: Any = str(where)
        except OSError:
            disk = None  # pycuda's own default cache

        def one(source: str) -> bytes:
            return nvcc_compile(source, options=[], no_extern_c=True, arch=arch,
                                cache_dir=disk)

        workers = max(1, min(len(sources), os.cpu_count() or 1))
        if workers == 1:
            cubins = [one(s) for s in sources]
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                cubins = list(pool.map(one, sources))
        self.activate(index)
        return [self.drv.module_from_buffer(c) for c in cubins]

    def function(self, module: Any, name: str, arg_format: str) -> Callable[..., None]:
        # pycuda's own launch, under `prepared_call`'s Python (its checks, an import and
        # the format's parse on every call): the arguments packed by a struct made once
        launch_kernel = module.get_function(name)._launch_kernel
        pack = struct.Struct(arg_format).pack  # (native alignment, as pycuda's own pack)

        def launch(grid: int, block: int, *args: int) -> None:
            launch_kernel((grid, 1), (block, 1, 1), pack(*args), 0, None)

        return launch

    def max_threads(self, module: Any, name: str) -> int:
        fn = module.get_function(name)
        return int(fn.get_attribute(self.drv.function_attribute.MAX_THREADS_PER_BLOCK))

    def synchronize(self, index: int) -> None:
        self.activate(index)
        self.drv.Context.synchronize()

    def memory_info(self, index: int) -> tuple[int, int]:
        self.activate(index)
        free, total = self.drv.mem_get_info()
        return int(free), int(total)

    def empty_cache(self, index: int) -> None:
        with self._lock:
            pool = self._pools.get(index)
            if pool is not None:
                self.activate(index)
                pool.free_held()

    def _shutdown(self) -> None:  # free pooled memory while its context is still alive
        try:
            for index, pool in list(self._pools.items()):
                self.activate(index)
                pool.stop_holding()
            self._pools.clear()
            if getattr(self._tls, "device", None) is not None:
                self.drv.Context.pop()
                self._tls.device = None
        except Exception:  # noqa: BLE001  (interpreter shutdown: nothing left to do)
            pass


_driver: Driver | None = None
_driver_error: str | None = None
_driver_lock = process_lock()


def use_driver(driver: Driver | None) -> None:
    """Use `driver` instead of pycuda (None: back to pycuda, re-initialised on next use).
    Devices and compiled kernels of the previous driver are forgotten."""
    global _driver, _driver_error
    with _driver_lock:
        _driver, _driver_error = driver, None
        _devices.clear()
        _copies.clear()
        _unregister()


def _forget_gpus_in_child() -> None:
    """CUDA does not survive fork(): a child of a process that initialised it cannot use
    the GPU (its calls fail or hang), so it is told why instead."""
    global _driver, _driver_error
    if isinstance(_driver, PycudaDriver):
        _driver, _driver_error = None, (
            "CUDA was initialised in the parent before this process was forked, and CUDA "
            "does not survive fork(): start GPU workers with multiprocessing's 'spawn' "
            "method (multiprocessing.get_context('spawn'))")
        _devices.clear()
        _copies.clear()


after_fork_in_child(_forget_gpus_in_child)


def _get_driver() -> Driver | None:
    global _driver, _driver_error
    if _driver is not None or _driver_error is not None:
        return _driver
    with _driver_lock:
        if _driver is None and _driver_error is None:
            try:
                _driver = PycudaDriver()
            except ModuleNotFoundError as e:
                if not (e.name or "").startswith("pycuda"):
                    _driver_error = f"pycuda could not be imported: {e}"
                else:
                    _driver_error = f"pycuda is not installed ({e}); pip install pycuda"
            except ImportError as e:  # e.g. no libcuda.so.1: no NVIDIA driver here
                _driver_error = (f"pycuda could not be loaded ({e}); is the NVIDIA driver "
                                 "installed?")
            except Exception as e:  # noqa: BLE001  (no driver library, no device, ...)
                _driver_error = f"the CUDA driver could not be initialised: {e}"
    return _driver


def device_count() -> int:
    """How many GPUs the CUDA backend can use (0 without pycuda, a driver or a GPU).

    >>> device_count() >= 0
    True
    """
    driver = _get_driver()
    if driver is None:
        return 0
    try:
        return driver.device_count()
    except Exception:  # noqa: BLE001
        return 0


def unavailable_reason(index: int = 0) -> str | None:
    """Why `gpu(index)` cannot hold arrays, or None when it can.

    >>> isinstance(unavailable_reason(10**6), str)
    True
    """
    driver = _get_driver()
    if driver is None:
        return f"no GPU is available: {_driver_error}"
    n = device_count()
    if n == 0:
        return "no GPU is available: the CUDA driver reports none"
    if not 0 <= index < n:
        return f"no GPU is available as gpu({index}): this machine has {n}"
    return None


# ---- devices -----------------------------------------------------------------------------


@dataclass
class CompiledCuda:
    """A kernel compiled for one device: its launches and the functions they call."""

    kernel: Kernel
    symbol: str
    launches: list[Launch]
    functions: dict[str, Callable[..., None]]
    workspace: tuple[int, int]  # (bytes, offset of the index array)


@dataclass
class FlatCuda:
    """A flat elementwise kernel compiled to take its length (`render_cuda` with
    `length_param`): one launch over operands of any length."""

    function: Callable[..., None]
    block: int
    per_block: int  # elements a block's threads take in one pass (block * vector width)
    cap: int  # the most blocks worth launching (grid-stride loops take the rest)

    def launch(self, ptrs: list[int], n: int) -> None:
        """Run over `n` elements of the buffers at `ptrs` (operands, then the result)."""
        self.function(max(1, min(-(-n // self.per_block), self.cap)), self.block, *ptrs, n)


#: Scalars kept on each device, at most (see `Device.scalar`).
SCALARS_KEPT = 1024


class Device:
    """One GPU: its properties, memory pool, compiled kernels and cuBLAS handle."""

    def __init__(self, driver: Driver, index: int):
        self.driver, self.index = driver, index
        driver.activate(index)
        self.props = driver.props(index)
        self.arch = driver.arch(index)
        self.context = Context("gpu", index)
        self.kernels: dict[str, CompiledCuda] = {}
        self.flat_kernels: dict[str, FlatCuda] = {}
        #: eager elementwise ops' kernels by their flat key (`core.eager.FLAT_KERNELS`)
        self.flat_ops: dict[Any, FlatCuda] = {}
        self._scalars: dict[tuple[str, bytes], DeviceArray] = {}
        self.compiles = 0
        self._lock = process_lock()
        self.blas: Any = None

    def __repr__(self) -> str:
        return f"Device(gpu({self.index}), {self.arch})"

    # memory

    def empty(self, shape: Sequence[int], dtype: Any) -> DeviceArray:
        shape, dtype = tuple(int(d) for d in shape), np.dtype(dtype)
        return self._empty(shape, dtype, int(math.prod(shape)))

    def _empty(self, shape: tuple[int, ...], dtype: np.dtype, size: int) -> DeviceArray:
        alloc = self.driver.alloc(self.index, size * dtype.itemsize)
        out = DeviceArray(shape, dtype, _contiguous_strides(shape, dtype.itemsize),
                          int(alloc), alloc, self)
        out._flags = _CONTIGUOUS
        return out

    def zeros(self, shape: Sequence[int], dtype: Any) -> DeviceArray:
        out = self.empty(shape, dtype)
        self.driver.memset(out.ptr, out.nbytes)
        return out

    def upload(self, host: np.ndarray) -> DeviceArray:
        """A device copy of `host` with its layout (strides, negative and zero ones too):
        programs lowered for a host array's layout run on its copy unchanged."""
        host = np.asarray(host)
        if host.flags.c_contiguous or host.size == 0:
            host = np.asarray(host, order="C")
            out = self.empty(host.shape, host.dtype)
            self.driver.activate(self.index)
            self.driver.htod(out.ptr, host)
            return out
        lo = sum(s * (d - 1) for s, d in zip(host.strides, host.shape) if s < 0)
        hi = sum(s * (d - 1) for s, d in zip(host.strides, host.shape) if s > 0)
        span = hi - lo + host.itemsize  # the bytes from the lowest to the highest element
        raw = np.ctypeslib.as_array((ctypes.c_uint8 * span).from_address(host.ctypes.data + lo))
        alloc = self.driver.alloc(self.index, span)
        self.driver.activate(self.index)
        self.driver.htod(int(alloc), np.ascontiguousarray(raw))
        return DeviceArray(host.shape, host.dtype, host.strides, int(alloc) - lo, alloc, self)

    def scalar(self, host: np.ndarray) -> DeviceArray:
        """A device copy of the 0-d `host`, uploaded once per value and kept: eager code
        reuses a few constants (`x + 1`), and an upload costs more than a small kernel."""
        key = (host.dtype.str, host.tobytes())
        got = self._scalars.get(key)
        if got is None:
            if len(self._scalars) >= SCALARS_KEPT:
                self._scalars.clear()  # (stream order keeps freed ones valid for launches)
            got = self._scalars[key] = self.upload(host)
        return got

    # kernels

    def compiled_flat(self, kernel: Kernel) -> FlatCuda:
        """`kernel` (flat, see `cuda.flat_length_ok`) compiled to take its length."""
        key = kernel.key()
        got = self.flat_kernels.get(key)
        if got is None:
            with self._lock:
                got = self.flat_kernels.get(key)
                if got is None:
                    symbol = cuda_symbol(kernel) + "_n"
                    module = self._build([render_cuda(kernel, symbol, length_param=True)],
                                         kernel.name)[0]
                    block, cap = block_and_cap(self.props)
                    limit = self.driver.max_threads(module, symbol)
                    block = min(block, max(32, limit // 32 * 32))  # (registers)
                    function = self.driver.function(module, symbol,
                                                    "P" * len(kernel.buffers) + "q")
                    vector = schedule(kernel).vector
                    got = self.flat_kernels[key] = FlatCuda(function, block, block * vector,
                                                            cap)
        return got

    def compiled(self, kernels: Sequence[Kernel]) -> list[CompiledCuda]:
        """The compiled form of each kernel; the missing ones are compiled together."""
        keys = [k.key() for k in kernels]
        missing = {key: k for key, k in zip(keys, kernels) if key not in self.kernels}
        if missing:
            with self._lock:
                todo = [(key, k) for key, k in missing.items() if key not in self.kernels]
                if todo:
                    self._compile(todo)
        return [self.kernels[key] for key in keys]

    def _build(self, sources: list[str], first: str, count: int = 1) -> list[Any]:
        """Modules of CUDA C `sources` holding `count` kernels, the first named `first`
        (unless MXJIT_FAIL_ON_COMPILE forbids compiling)."""
        if os.environ.get("MXJIT_FAIL_ON_COMPILE", "") not in ("", "0"):
            raise CompileForbiddenError(
                f"{count} CUDA kernel(s) ({first}, ...) are not compiled and "
                "MXJIT_FAIL_ON_COMPILE is set")
        t0 = time.perf_counter()
        modules = self.driver.build(self.index, sources)
        self.compiles += count
        if log_compiles():
            log(f"compiled {count} CUDA kernel(s) for gpu({self.index}) ({self.arch}) in "
                f"{(time.perf_counter() - t0) * 1e3:.1f} ms")
        return modules

    def _compile(self, todo: list[tuple[str, Kernel]]) -> None:
        batches = [todo[i:i + BATCH] for i in range(0, len(todo), BATCH)]
        sources = ["\n".join(render_cuda(k, cuda_symbol(k)) for _, k in batch)
                   for batch in batches]
        modules = self._build(sources, todo[0][1].name, len(todo))
        for batch, module in zip(batches, modules):
            for key, kernel in batch:
                symbol = cuda_symbol(kernel)
                launches = launch_config(kernel, symbol, self.props)
                limit = min(self.driver.max_threads(module, ln.function) for ln in launches)
                if limit < max(ln.block for ln in launches):  # registers: smaller blocks
                    props = dataclasses.replace(
                        self.props, max_threads_per_block=max(32, limit // 32 * 32))
                    launches = launch_config(kernel, symbol, props)
                pointers = "P" * len(kernel.buffers)
                functions = {}
                for ln in launches:
                    fmt = pointers + ("PPq" if ln.parts else "")
                    functions[ln.function] = self.driver.function(module, ln.function, fmt)
                self.kernels[key] = CompiledCuda(kernel, symbol, launches, functions,
                                                 workspace_layout(kernel, launches))

    def launch(self, compiled: CompiledCuda, ptrs: list[int]) -> None:
        """Run a compiled kernel over buffers at `ptrs` (inputs, then the output)."""
        self.driver.activate(self.index)
        workspace = None
        extra: list[int] = []
        size, index_at = compiled.workspace
        if size:
            workspace = self.driver.alloc(self.index, size)
            parts = max(ln.parts for ln in compiled.launches)
            extra = [int(workspace), int(workspace) + index_at, parts]
        for ln in compiled.launches:
            compiled.functions[ln.function](ln.grid, ln.block, *ptrs,
                                            *(extra if ln.parts else ()))
        del workspace  # (returned to the pool; later launches on the stream still see it)

    def synchronize(self) -> None:
        self.driver.synchronize(self.index)


_devices: dict[int, Device] = {}


def device(index: int = 0) -> Device:
    """The `Device` for gpu(index), initialised on first use; raises `DeviceError` saying
    why when there is no such GPU.

    >>> device(10**6)  # doctest: +SKIP
    Traceback (most recent call last):
    DeviceError: ...
    """
    got = _devices.get(index)
    if got is not None:
        return got
    reason = unavailable_reason(index)
    if reason is not None:
        raise DeviceError(f"cannot use gpu({index}): {reason}")
    driver = _get_driver()
    assert driver is not None
    with _driver_lock:
        got = _devices.get(index)
        if got is None:
            got = _devices[index] = Device(driver, index)
    _register()
    return got


def synchronize(index: int | None = None) -> None:
    """Wait for the work queued on gpu(index) (every initialised GPU when None)."""
    for i, d in list(_devices.items()):
        if index is None or i == index:
            d.synchronize()


def memory_info(index: int) -> tuple[int, int]:
    """(free, total) bytes of gpu(index)'s memory (`mx.context.gpu_memory_info`)."""
    driver = _get_driver()
    assert driver is not None  # (the caller checked the context first)
    return driver.memory_info(index)


def empty_cache(index: int) -> None:
    """Give gpu(index)'s pooled free memory back to the device (`Context.empty_cache`)."""
    driver = _get_driver()
    if driver is not None:
        driver.empty_cache(index)


# ---- device arrays -----------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _contiguous_strides(shape: tuple[int, ...], itemsize: int) -> tuple[int, ...]:
    strides, acc = [], itemsize
    for d in reversed(shape):
        strides.append(acc)
        acc *= max(d, 1)
    return tuple(reversed(strides))


class _Flags:
    __slots__ = ("c_contiguous",)
    aligned = True
    writeable = True

    def __init__(self, c_contiguous: bool):
        self.c_contiguous = c_contiguous


_CONTIGUOUS = _Flags(True)


_BASIC = (int, np.integer, slice, type(None), type(Ellipsis))


def _basic(key: tuple) -> bool:
    """Whether NumPy would index with `key` as a view (no arrays or booleans in it)."""
    return all(isinstance(k, _BASIC) and not isinstance(k, (bool, np.bool_)) for k in key)


class DeviceArray:
    """An array in GPU memory: NumPy's metadata over a pooled device allocation.

    >>> x = to_device(np.arange(6.0).reshape(2, 3))  # doctest: +SKIP
    >>> x.T.shape, np.asarray(x[1])  # doctest: +SKIP
    ((3, 2), array([3., 4., 5.]))
    """

    __slots__ = ("shape", "dtype", "strides", "ptr", "base", "device", "_flags", "__weakref__")
    __array_priority__ = 500.0

    def __init__(self, shape: tuple[int, ...], dtype: np.dtype, strides: tuple[int, ...],
                 ptr: int, base: Any, dev: Device):
        self.shape, self.dtype, self.strides = shape, dtype, strides
        self.ptr, self.base, self.device = ptr, base, dev
        self._flags: _Flags | None = None

    # metadata, as NumPy's

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(math.prod(self.shape))

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.size * self.itemsize

    @property
    def flags(self) -> _Flags:
        flags = self._flags
        if flags is None:  # (the layout never changes: worked out once)
            flags = self._flags = _Flags(self.size <= 1 or all(
                s == c for s, c, d in zip(self.strides, _contiguous_strides(self.shape,
                                                                            self.itemsize),
                                          self.shape) if d != 1))
        return flags

    @property
    def context(self) -> Context:
        return self.device.context

    def __len__(self) -> int:
        if not self.shape:
            raise ArgumentError("len() of a 0-d array")
        return self.shape[0]

    # transfers

    def get(self) -> np.ndarray:
        """A host copy."""
        src = self if self.flags.c_contiguous else self.copy()
        out = np.empty(self.shape, self.dtype)
        src.device.driver.activate(src.device.index)
        src.device.driver.dtoh(out, src.ptr)
        return out

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        host = self.get()
        return host if dtype is None else host.astype(dtype, copy=False)

    def tolist(self) -> Any:
        return self.get().tolist()

    def __repr__(self) -> str:
        return f"DeviceArray({self.get()!r}, gpu({self.device.index}))"

    def __str__(self) -> str:
        return str(self.get())

    def copy(self) -> DeviceArray:
        """A contiguous copy on the same device."""
        out = self.device.empty(self.shape, self.dtype)
        _copy_into(out, self)
        return out

    def astype(self, dtype: Any) -> DeviceArray:
        if np.dtype(dtype) == self.dtype:
            return self.copy()
        return _run_op("cast", [self], {"dtype": np.dtype(dtype)})

    # views

    def _probe(self) -> tuple[np.ndarray, int]:
        """A stand-in with this layout over one element of host memory (never read) and
        its data address: NumPy computes views of it without touching memory."""
        base = np.zeros(1, self.dtype)
        probe = np.lib.stride_tricks.as_strided(base, shape=self.shape, strides=self.strides)
        return probe, probe.__array_interface__["data"][0]

    def _like(self, view: np.ndarray, origin: int) -> DeviceArray:
        delta = view.__array_interface__["data"][0] - origin
        return DeviceArray(view.shape, self.dtype, view.strides, self.ptr + delta, self.base,
                           self.device)

    def transpose(self, *axes: Any) -> DeviceArray:
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = tuple(axes[0]) if axes[0] is not None else ()
        perm = axes or tuple(range(self.ndim - 1, -1, -1))
        if sorted(perm) == list(range(self.ndim)):  # (the common case, without a probe)
            return DeviceArray(tuple(self.shape[p] for p in perm), self.dtype,
                               tuple(self.strides[p] for p in perm), self.ptr, self.base,
                               self.device)
        probe, origin = self._probe()  # (negative axes, and NumPy's errors)
        return self._like(probe.transpose(*axes), origin)

    @property
    def T(self) -> DeviceArray:
        return self.transpose()

    def reshape(self, *shape: Any, order: str = "C") -> DeviceArray:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        probe, origin = self._probe()
        try:
            view = probe.reshape(shape, copy=False)  # NumPy >= 2.1: never copies
        except TypeError:  # older NumPy: setting .shape fails where a copy would be needed
            view = probe.view()
            try:
                view.shape = shape
            except AttributeError:
                return self.copy().reshape(shape)
        except ValueError:
            if self.flags.c_contiguous:
                raise
            return self.copy().reshape(shape)  # not expressible as a view: copy first
        return self._like(view, origin)

    def broadcast_to(self, shape: Sequence[int]) -> DeviceArray:
        probe, origin = self._probe()
        return self._like(np.broadcast_to(probe, tuple(shape)), origin)

    def __getitem__(self, key: Any) -> Any:
        key = key if isinstance(key, tuple) else (key,)
        if not _basic(key):  # advanced: a copy, as in NumPy
            return self.device.upload(np.asarray(self.get()[key]))
        scalar = all(isinstance(k, (int, np.integer)) for k in key) and len(key) == self.ndim
        probe, origin = self._probe()
        view = self._like(probe[key + (Ellipsis,) if Ellipsis not in key else key], origin)
        return view.get()[()] if scalar else view

    def __setitem__(self, key: Any, value: Any) -> None:
        keys = key if isinstance(key, tuple) else (key,)
        if not _basic(keys):  # advanced: through the host
            host = self.get()
            host[key] = np.asarray(value)
            _copy_into(self, self.device.upload(host))
            return
        target = self[keys + (Ellipsis,) if Ellipsis not in keys else keys]
        if not isinstance(value, DeviceArray):
            value = self.device.upload(np.asarray(value, dtype=self.dtype))
        elif value.dtype != self.dtype:
            value = value.astype(self.dtype)
        elif value.device is not self.device:
            value = self.device.upload(value.get())
        _copy_into(target, value.broadcast_to(target.shape))

    def __iadd__(self, other: Any) -> DeviceArray:
        if not isinstance(other, DeviceArray):
            other = self.device.upload(np.asarray(other, dtype=self.dtype))
        other = other.broadcast_to(self.shape) if other.shape != self.shape else other
        self[...] = _run_op("add", [self, other], {})
        return self


def to_device(host: Any, index: int = 0) -> DeviceArray:
    """A copy of `host` (array-like) in gpu(index)'s memory.

    >>> to_device(np.ones(3)).shape  # doctest: +SKIP
    (3,)
    """
    return device(index).upload(np.asarray(host))


# ---- copies on the device ----------------------------------------------------------------


def _strided_offset(strides_elems: tuple[int, ...], shape: tuple[int, ...]) -> Expr:
    offset: Expr = iconst(0)
    for j, (s, d) in enumerate(zip(strides_elems, shape)):
        if s and d != 1:
            term = loop_var(j) if s == 1 else Expr.make("mul", I64, (loop_var(j), iconst(s)))
            offset = term if offset.op == "const" and offset.attr == 0 else Expr.make(
                "add", I64, (offset, term))
    return offset


def copy_kernel(shape: tuple[int, ...], dtype: np.dtype, src_strides: tuple[int, ...],
                dst_strides: tuple[int, ...]) -> Kernel:
    """dst[i] = src[i] over `shape`, both strided (in elements; zero strides broadcast)."""
    load = Expr.make("load", dtype, (_strided_offset(src_strides, shape),), 0)
    return Kernel("copy", shape or (1,), (False,) * max(len(shape), 1), 0, (dtype, dtype), 1,
                  (Store(1, _strided_offset(dst_strides, shape), load),))


def _copy_into(dst: DeviceArray, src: DeviceArray) -> None:
    """Copy `src` (same shape and dtype, any layout, the same device) into `dst`."""
    assert src.shape == dst.shape and src.dtype == dst.dtype
    if dst.size == 0:
        return
    dev = dst.device
    if src.flags.c_contiguous and dst.flags.c_contiguous:
        dev.driver.activate(dev.index)
        dev.driver.dtod(dst.ptr, src.ptr, dst.nbytes)
        return
    item = dst.itemsize
    key = (dev.index, dst.shape, dst.dtype, src.strides, dst.strides)
    compiled = _copies.get(key)
    if compiled is None:
        kernel = copy_kernel(dst.shape, dst.dtype, tuple(s // item for s in src.strides),
                             tuple(s // item for s in dst.strides))
        (compiled,) = dev.compiled([kernel])
        _copies[key] = compiled
    dev.launch(compiled, [src.ptr, dst.ptr])


_copies: dict[Any, CompiledCuda] = {}


def view_op(op: str, x: DeviceArray, attrs: dict[str, Any]) -> DeviceArray:
    """A movement op that NumPy expresses as a view, applied to a device array (a view)."""
    if PRIMITIVES[op].identity:
        return x
    if op == "reshape":
        return x.reshape(tuple(attrs["shape"]))
    if op == "transpose":
        return x.transpose(tuple(attrs["perm"]))
    if op == "broadcast_to":
        return x.broadcast_to(tuple(attrs["shape"]))
    if op == "slice":
        return x[tuple(slice(b, None if (e < 0 and s < 0) else e, s)
                       for b, e, s in zip(attrs["start"], attrs["stop"], attrs["step"]))]
    if op == "flip":
        return x[tuple(slice(None, None, -1) if k in attrs["axes"] else slice(None)
                       for k in range(x.ndim))]
    raise UnsupportedError(f"{op} is not a view op")


# ---- running programs --------------------------------------------------------------------


@dataclass
class _DeviceProgram:
    """A program's device-side state: compiled kernels, uploaded constants, and the
    buffers to allocate per run (id, shape, dtype, size)."""

    compiled: list[CompiledCuda | None]  # one per step (None: a library step)
    constants: dict[int, DeviceArray]
    allocations: list[tuple[int, tuple[int, ...], np.dtype, int]]


def _prepare(program: Any, dev: Device) -> _DeviceProgram:
    cache: dict[int, _DeviceProgram] = program.__dict__.setdefault("_cuda", {})
    got = cache.get(dev.index)
    if got is not None:
        return got
    kernel_steps = [s for s in program.steps if isinstance(s, program_module.KernelStep)]
    compiled = iter(dev.compiled([s.compiled.kernel for s in kernel_steps]))
    per_step = [next(compiled) if isinstance(s, program_module.KernelStep) else None
                for s in program.steps]
    constants = {k: dev.upload(v) for k, v in program.constants.items()}
    allocations = [(k, tuple(int(d) for d in shape), np.dtype(dtype), math.prod(shape))
                   for k, shape, dtype in program.allocations]
    got = cache[dev.index] = _DeviceProgram(per_step, constants, allocations)
    return got


def _on(dev: Device, a: Any) -> DeviceArray:
    if type(a) is DeviceArray:
        if a.device is dev:
            return a
        return dev.upload(a.get())  # another GPU: through the host
    a = np.asarray(a)
    return dev.scalar(a) if a.ndim == 0 else dev.upload(a)


def run_program(program: Any, arrays: list[Any]) -> list[DeviceArray]:
    """Run a lowered program over arrays on a GPU (host arrays among them are copied to
    the GPU of the first device array): the same plan as `Program.run`, CUDA kernels."""
    dev = next(a.device for a in arrays if type(a) is DeviceArray)
    state = _prepare(program, dev)
    bufs: list[Any] = [None] * program.n_buffers
    for k, a in enumerate(arrays):
        bufs[k] = _on(dev, a)
    for k, v in state.constants.items():
        bufs[k] = v
    for k, shape, dtype, size in state.allocations:
        bufs[k] = dev._empty(shape, dtype, size)
    for step, compiled in zip(program.steps, state.compiled):
        if compiled is not None:
            dev.launch(compiled, [bufs[a].ptr for a in step.args])
        else:
            operands = [_views(bufs[b], ops) for b, ops in step.args]
            bufs[step.out] = _library(dev, step, operands)
    outs = []
    for k, ops in program.output_ids:
        x = bufs[k]
        if k in state.constants or (k < len(arrays) and type(arrays[k]) is not DeviceArray
                                    and x.ndim == 0):
            x = x.copy()  # (a program's constant or a kept scalar: shared, so never handed out)
        outs.append(_views(x, ops) if ops else x)
    return outs


def run_flat(key: Any, kernel: Kernel, dtype: np.dtype, shape: tuple[int, ...],
             arrays: list[Any]) -> DeviceArray:
    """An eager elementwise op over contiguous operands of `shape` or 0-d (some in device
    memory, see `core.eager.flat_kernel`): `kernel` compiled to take its length, once per
    `key` and device, and launched directly. This is eager GPU code's hot path."""
    dev = next(a.device for a in arrays if type(a) is DeviceArray)
    flat = dev.flat_ops.get(key)
    if flat is None:
        flat = dev.flat_ops[key] = dev.compiled_flat(kernel)
    n = math.prod(shape)
    out = dev._empty(shape, dtype, n)
    if n:
        operands = [_on(dev, a) for a in arrays]
        flat.launch([a.ptr for a in operands] + [out.ptr], n)
    return out


def _views(x: DeviceArray, ops: list[Any]) -> DeviceArray:
    for n in ops:
        x = view_op(n.op, x, dict(n.attrs))
    return x


#: Device implementations of library primitives (cuBLAS GEMM from `mxjit.kernels.cublas`,
#: registered with `register_device_library`): fn(device, *operands, **attrs) -> the result
#: on the device, or None where it does not apply (then the step runs on the host).
DEVICE_LIBRARY: dict[str, Callable[..., Any]] = {}


def register_device_library(name: str, fn: Callable[..., Any]) -> None:
    """Run the library primitive `name` on GPUs with `fn` (see `DEVICE_LIBRARY`).

    >>> register_device_library('dot_general', cublas.dot_general)  # doctest: +SKIP
    """
    DEVICE_LIBRARY[name] = fn


def _library(dev: Device, step: Any, operands: list[DeviceArray]) -> DeviceArray:
    device_fn = DEVICE_LIBRARY.get(step.name)
    if device_fn is not None:
        got = device_fn(dev, *operands, **step.attrs)
        if got is not None:
            return got  # type: ignore[no-any-return]
    # everything else (scatter_add, sort, custom calls, integer GEMM): on the host
    host = step.fn(*[a.get() for a in operands], **step.attrs)
    return dev.upload(np.asarray(host, order="C"))


_op_programs: dict[Any, Any] = {}


def _run_op(op: str, arrays: list[DeviceArray], attrs: dict[str, Any]) -> DeviceArray:
    """One primitive over device arrays (a one-node program, cached by layout)."""
    key = (op, tuple(sorted(attrs.items())), *[(a.shape, a.strides, a.dtype) for a in arrays])
    program = _op_programs.get(key)
    if program is None:
        inputs = [var(a.shape, a.dtype) for a in arrays]
        out = apply(op, *inputs, **attrs)
        program = _op_programs[key] = program_module.lower_graph(
            [out], inputs, [Layout.of(a) for a in arrays])
    return run_program(program, arrays)[0]


class CudaBackend:
    """The CUDA runtime as a device backend of `mxjit.context` (see `DeviceBackend`)."""

    array_type: type = DeviceArray

    def device_count(self) -> int:
        return device_count()

    def unavailable_reason(self, device_id: int) -> str | None:
        return unavailable_reason(device_id)

    def to_device(self, data: Any, device_id: int) -> DeviceArray:
        return to_device(data, device_id)

    def run(self, program: Any, arrays: list[Any]) -> list[Any]:
        return run_program(program, arrays)

    def run_flat(self, key: Any, kernel: Any, dtype: np.dtype, shape: tuple[int, ...],
                 arrays: list[Any]) -> Any:
        return run_flat(key, kernel, dtype, shape, arrays)

    def view(self, op: str, array: Any, attrs: dict[str, Any]) -> Any:
        return view_op(op, array, attrs)

    def synchronize(self) -> None:
        synchronize()

    def memory_info(self, device_id: int) -> tuple[int, int]:
        return memory_info(device_id)

    def empty_cache(self, device_id: int) -> None:
        empty_cache(device_id)


BACKEND = CudaBackend()


def _register() -> None:
    """Route programs over device arrays here, and let arrays recognise them."""
    if _context.active_backend is not BACKEND:
        _context.activate_device_backend(BACKEND)


def _unregister() -> None:
    """Back to CPU-only dispatch (when the driver changes: its arrays are gone)."""
    _context.activate_device_backend(None)


_context.register_device_backend("gpu", BACKEND)
