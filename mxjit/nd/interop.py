"""Sharing memory with NumPy and with other frameworks through DLPack (`from_numpy`,
`to_dlpack_for_read`, `to_dlpack_for_write`, `from_dlpack`).

A capsule this module makes is a DLPack 0.x `dltensor` capsule, the kind MXNet 1.x, PyTorch,
CuPy and JAX exchange. NumPy imports such a capsule read-only, so `from_dlpack` reads the
`DLManagedTensor` itself (through ctypes) to give a writable array over the same memory, as
MXNet's does: `from_dlpack(to_dlpack_for_write(x)) += 1` changes `x`.
"""
from __future__ import annotations

import ctypes
import weakref
from typing import Any

import numpy as np

from ..base import ArgumentError, DTypeError, ParamError, UnsupportedError
from ..trace import USER_DTYPES
from .ndarray import NDArray


class _DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class _DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class _DLTensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("device", _DLDevice), ("ndim", ctypes.c_int32),
                ("dtype", _DLDataType), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("strides", ctypes.POINTER(ctypes.c_int64)), ("byte_offset", ctypes.c_uint64)]


class _DLManagedTensor(ctypes.Structure):
    _fields_ = [("dl_tensor", _DLTensor), ("manager_ctx", ctypes.c_void_p),
                ("deleter", ctypes.c_void_p)]


#: DLPack type codes and bits -> NumPy dtypes (kDLInt 0, kDLUInt 1, kDLFloat 2, kDLBool 6)
_DTYPES = {(0, 8): np.int8, (0, 32): np.int32, (0, 64): np.int64, (1, 8): np.uint8,
           (2, 16): np.float16, (2, 32): np.float32, (2, 64): np.float64, (6, 8): np.bool_}
_CPU_DEVICES = (1, 3)  # kDLCPU, kDLCUDAHost (pinned host memory)

_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype = ctypes.c_void_p
_capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
_capsule_is_valid = ctypes.pythonapi.PyCapsule_IsValid
_capsule_is_valid.restype = ctypes.c_int
_capsule_is_valid.argtypes = [ctypes.py_object, ctypes.c_char_p]


def _host_buffer(op: str, data: NDArray) -> np.ndarray:
    if not isinstance(data, NDArray):
        raise ArgumentError(f"{op}: expected an NDArray, got {type(data).__name__}")
    if data.context.device_type != "cpu":
        raise UnsupportedError(f"{op}: arrays on {data.context} cannot be shared through "
                               "DLPack yet; copy to the CPU first (x.as_in_context(mx.cpu()))")
    return data._buffer()  # type: ignore[no-any-return]  # (DLPack carries strides)


def to_dlpack_for_read(data: NDArray) -> Any:
    """A DLPack capsule over `data`'s memory, for another framework to read.

    >>> t = torch.utils.dlpack.from_dlpack(mx.nd.to_dlpack_for_read(x))  # doctest: +SKIP
    """
    return _host_buffer("to_dlpack_for_read", data).__dlpack__()


def to_dlpack_for_write(data: NDArray) -> Any:
    """A DLPack capsule over `data`'s memory, for another framework to write into.

    >>> u = mx.nd.from_dlpack(mx.nd.to_dlpack_for_write(x)); u += 1  # doctest: +SKIP
    """
    buf = _host_buffer("to_dlpack_for_write", data)
    if not buf.flags.writeable:
        raise ArgumentError("to_dlpack_for_write: the array's memory is read-only")
    return buf.__dlpack__()


def from_dlpack(dlpack: Any) -> NDArray:
    """An NDArray over the memory of a DLPack capsule (from `to_dlpack_for_read/write` or
    another framework), or of any object with `__dlpack__` (a NumPy array, a PyTorch CPU
    tensor). The memory is shared, not copied.

    >>> z = mx.nd.from_dlpack(mx.nd.to_dlpack_for_read(mx.nd.ones((2, 3))))  # doctest: +SKIP
    """
    if hasattr(dlpack, "__dlpack__"):
        return NDArray._wrap(_supported("from_dlpack", np.from_dlpack(dlpack)))
    if type(dlpack).__name__ != "PyCapsule":
        raise ArgumentError(f"from_dlpack: expected a DLPack capsule or an object with "
                            f"__dlpack__, got {type(dlpack).__name__}")
    if _capsule_is_valid(dlpack, b"dltensor_versioned"):  # (DLPack 1.x: NumPy reads it)
        return NDArray._wrap(_supported("from_dlpack", np.from_dlpack(_Exported(dlpack))))
    if not _capsule_is_valid(dlpack, b"dltensor"):
        raise ArgumentError("from_dlpack: not a DLPack tensor capsule, or one that another "
                            "framework has consumed already")
    managed = _DLManagedTensor.from_address(_capsule_pointer(dlpack, b"dltensor"))
    return NDArray._wrap(_supported("from_dlpack", _array_over(managed.dl_tensor, dlpack)))


class _Exported:
    """A capsule with the `__dlpack__` protocol around it, for np.from_dlpack."""

    def __init__(self, capsule: Any):
        self.capsule = capsule

    def __dlpack__(self, **kwargs: Any) -> Any:
        return self.capsule

    def __dlpack_device__(self) -> tuple[int, int]:
        return (1, 0)


def _array_over(t: _DLTensor, owner: Any) -> np.ndarray:
    """A writable NumPy array over a DLTensor's memory; `owner` (the capsule, whose deleter
    frees the memory) lives as long as the array."""
    if t.device.device_type not in _CPU_DEVICES:
        raise UnsupportedError(f"from_dlpack: memory on DLPack device type "
                               f"{t.device.device_type} (not the CPU) is not supported yet")
    key = (t.dtype.code, t.dtype.bits)
    if key not in _DTYPES or t.dtype.lanes != 1:
        raise DTypeError(f"from_dlpack: DLPack dtype (code {t.dtype.code}, {t.dtype.bits} "
                         f"bits, {t.dtype.lanes} lanes) has no MXNet dtype")
    dtype = np.dtype(_DTYPES[key])
    shape = tuple(int(t.shape[k]) for k in range(t.ndim))
    if 0 in shape:
        return np.empty(shape, dtype)
    if t.strides:
        strides = tuple(int(t.strides[k]) * dtype.itemsize for k in range(t.ndim))
    else:
        strides = _c_strides(shape, dtype.itemsize)
    if any(s < 0 for s in strides):
        raise UnsupportedError("from_dlpack: negative strides are not supported")
    nbytes = sum((d - 1) * s for d, s in zip(shape, strides)) + dtype.itemsize
    memory = (ctypes.c_char * nbytes).from_address(int(t.data or 0) + int(t.byte_offset))
    memory._owner = owner  # type: ignore[attr-defined]  # (frees the memory when it goes)
    return np.ndarray(shape, dtype, buffer=memoryview(memory), strides=strides)


def _c_strides(shape: tuple[int, ...], itemsize: int) -> tuple[int, ...]:
    strides, step = [], itemsize
    for d in reversed(shape):
        strides.append(step)
        step *= d
    return tuple(reversed(strides))


def _supported(op: str, arr: np.ndarray) -> np.ndarray:
    if arr.dtype not in USER_DTYPES:
        raise DTypeError(f"{op}: {arr.dtype} arrays have no MXNet dtype; valid: "
                         f"{[str(d) for d in USER_DTYPES]}")
    return arr


def from_numpy(ndarray: np.ndarray, zero_copy: bool = True, array_cls: type[NDArray] = NDArray
               ) -> Any:
    """An NDArray backed by `ndarray`'s memory (with `zero_copy`, which needs a C-contiguous
    array; the NumPy array is made read-only, as MXNet does, so that it is not changed
    behind the NDArray's back), or a copy of it.

    >>> a = mx.nd.from_numpy(np.ones((2, 3), dtype=np.float32))  # doctest: +SKIP
    """
    if not isinstance(ndarray, np.ndarray):
        raise ArgumentError(f"from_numpy: expected a numpy.ndarray, got "
                            f"{type(ndarray).__name__}")
    _supported("from_numpy", ndarray)
    if not zero_copy:
        return array_cls._wrap(np.array(ndarray, copy=True))
    if not ndarray.flags.c_contiguous:
        raise ParamError("from_numpy: only C-contiguous arrays can be shared without a "
                            "copy (zero_copy=True); pass zero_copy=False or "
                            "np.ascontiguousarray(a)")
    if not ndarray.flags.writeable and _FROZEN.get(id(ndarray)) is ndarray:
        shared = _writable_alias(ndarray)  # (shared again: MXNet's NDArray writes it too)
    else:
        shared = ndarray.view()  # (keeps its own writeable flag)
        ndarray.flags.writeable = False
        _FROZEN[id(ndarray)] = ndarray
    return array_cls._wrap(shared)


#: NumPy arrays `from_numpy` made read-only (by id): their memory is writable, so a later
#: `from_numpy` of one may share it writably again; any other read-only array may be
#: read-only memory (a read-only mmap), which no NDArray may write.
_FROZEN: weakref.WeakValueDictionary[int, np.ndarray] = weakref.WeakValueDictionary()


def _writable_alias(ndarray: np.ndarray) -> np.ndarray:
    """A writable array over the memory of `ndarray` (one `from_numpy` made read-only),
    keeping it alive."""
    memory = (ctypes.c_char * ndarray.nbytes).from_address(ndarray.ctypes.data)
    memory.owner = ndarray  # type: ignore[attr-defined]
    return np.frombuffer(memoryview(memory), dtype=ndarray.dtype).reshape(ndarray.shape)
