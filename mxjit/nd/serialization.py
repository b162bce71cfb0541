"""MXNet 1.x's NDArray container format (``mx.nd.save`` / ``mx.nd.load``) at the NumPy level.

Files such as ``model-0000.params`` or anything written by ``mx.nd.save`` hold a list of
arrays and, optionally, one name per array. This module reads and writes them with plain
NumPy arrays (dense) and :class:`SparseRecord` (``csr`` / ``row_sparse``); a later layer wraps
the results in NDArrays.

Layout (every integer little-endian), as written by MXNet 1.9.1 ``NDArray::Save``::

    uint64 0x112                 list magic (kMXAPINDArrayListMagic)
    uint64 0                     reserved (ignored when reading)
    uint64 n_arrays, then n_arrays records:
        uint32 magic             0xF993FAC9 (V2, legacy shape semantics)
                                 or 0xF993FACA (V3, NumPy shape semantics, dense only)
        int32  storage_type      0 default (dense), 1 row_sparse, 2 csr
        [shape storage_shape]    sparse only: shape of the stored values
        shape  shape             int32 ndim, then ndim x int64 dims
          -- V2 with ndim 0 ("none" array): the record ends here --
        int32  dev_type, int32 dev_id   (1, 0 = cpu(0))
        int32  type_flag         mshadow: 0 f32, 1 f64, 2 f16, 3 u8, 4 i32, 5 i8, 6 i64, 7 bool
        sparse only, per aux array (csr: indptr then indices; row_sparse: row ids):
            int32 aux_type_flag, shape aux_shape
        raw values               prod(storage_shape or shape) elements, C order
        raw aux arrays           in the same order as their headers
    uint64 n_names (0 or n_arrays), then per name: uint64 byte length, UTF-8 bytes

Legacy records are read too: V1 (magic 0xF993FAC8, no storage type) and pre-V1 (no magic:
the first uint32 is ndim, followed by ndim x uint32 dims). Everything is written as V2,
except that a collection holding a 0-d array is written as V3 (legacy semantics has no
scalars: ndim 0 there means "none"), as MXNet does under ``npx.set_np()``.

Reading trusts nothing: every declared size is checked against what remains before anything
is allocated, sparse index arrays are checked as MXNet's ``check_format`` checks them (ids in
range, ``indptr`` from 0 up to nnz; ids that are merely unsorted are sorted, since MXNet saves
them as given), only regular files are opened, and errors name the file and the array.
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import stat
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TypeAlias

import numpy as np

from ..base import FilePermissionError, MissingFileError, NDArrayFormatError, NDArraySaveError

__all__ = [
    "NDArrayFormatError",
    "NDArraySaveError",
    "SparseRecord",
    "TYPE_FLAGS",
    "dumps",
    "load",
    "loads",
    "save",
]

LIST_MAGIC = 0x112
V1_MAGIC = 0xF993FAC8
V2_MAGIC = 0xF993FAC9
V3_MAGIC = 0xF993FACA

_CPU_CONTEXT = (1, 0)
_DEV_TYPES = frozenset({1, 2, 3, 5})  # cpu, gpu, cpu_pinned, cpu_shared

#: mshadow type flag of every dtype the format carries.
TYPE_FLAGS: Mapping[str, int] = MappingProxyType(
    {
        "float32": 0,
        "float64": 1,
        "float16": 2,
        "uint8": 3,
        "int32": 4,
        "int8": 5,
        "int64": 6,
        "bool": 7,
    }
)
_FLAG_DTYPES = {flag: np.dtype(name) for name, flag in TYPE_FLAGS.items()}
_KIND_FLAGS = {(dt.kind, dt.itemsize): flag for flag, dt in _FLAG_DTYPES.items()}
_AUX_FLAGS = frozenset({TYPE_FLAGS["int32"], TYPE_FLAGS["int64"]})

#: MXNet's storage type codes (its C API's: the file format's and symbols'
#: `__storage_type__`); -1 is 'undefined'. `mx.nd.ndarray` shows them under MXNet's names.
STORAGE_TYPE_CODES = {"undefined": -1, "default": 0, "row_sparse": 1, "csr": 2}
_STYPE_CODES = {k: v for k, v in STORAGE_TYPE_CODES.items() if v >= 0}
_STYPE_NAMES = {code: name for name, code in _STYPE_CODES.items()}
_NUM_AUX = {"default": 0, "row_sparse": 1, "csr": 2}
_MIN_RECORD_BYTES = 4  # a pre-V1 "none" record is a lone uint32 0
_MIN_NAME_BYTES = 8


@dataclass(frozen=True, eq=False)
class SparseRecord:
    """A sparse array as stored in the file (no NDArray class at this level).

    ``csr``: ``data`` holds the ``nnz`` values, ``indices`` their column ids and ``indptr``
    the ``shape[0] + 1`` row offsets. ``row_sparse``: ``data`` holds the stored rows,
    shape ``(n_rows_stored, *shape[1:])``, and ``indices`` their row ids (``indptr`` is None).

    >>> r = SparseRecord("row_sparse", (4, 2), np.ones((1, 2)), np.array([3]), None)
    >>> r.shape, r.indices.dtype
    ((4, 2), dtype('int64'))
    """

    stype: str
    shape: tuple[int, ...]
    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", tuple(int(d) for d in self.shape))
        object.__setattr__(self, "data", np.asarray(self.data))
        object.__setattr__(self, "indices", _as_index_array(self.indices))
        if self.indptr is not None:
            object.__setattr__(self, "indptr", _as_index_array(self.indptr))


Entry: TypeAlias = np.ndarray | SparseRecord | None
Loaded: TypeAlias = list[Entry] | dict[str, Entry]


def _as_index_array(values: object) -> np.ndarray:
    arr = np.asarray(values)
    if arr.size == 0 and arr.dtype.kind not in "iu":
        return arr.astype(np.int64)  # `[]` gives float64: an empty index list is still integer
    return arr


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


class _Reader:
    """A cursor over the input that checks every size against what remains before reading."""

    def __init__(self, buf: bytes | bytearray | memoryview) -> None:
        self.buf = memoryview(buf).cast("B")
        self.pos = 0

    def remaining(self) -> int:
        return len(self.buf) - self.pos

    def fail(self, message: str, pos: int | None = None) -> NDArrayFormatError:
        return NDArrayFormatError(f"offset {self.pos if pos is None else pos}: {message}")

    def need(self, nbytes: int, what: str) -> None:
        if nbytes > self.remaining():
            raise self.fail(
                f"expected {what} ({nbytes} bytes) but only {self.remaining()} bytes remain"
            )

    def scalar(self, fmt: str, what: str) -> int:
        size = struct.calcsize(fmt)
        self.need(size, what)
        (value,) = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += size
        return value

    def u32(self, what: str) -> int:
        return self.scalar("<I", what)

    def i32(self, what: str) -> int:
        return self.scalar("<i", what)

    def u64(self, what: str) -> int:
        return self.scalar("<Q", what)

    def raw(self, dtype: np.dtype, count: int, what: str) -> np.ndarray:
        """A read-only view of ``count`` little-endian elements (checked before any copy)."""
        self.need(count * dtype.itemsize, what)
        arr = np.frombuffer(self.buf, dtype=dtype.newbyteorder("<"), count=count, offset=self.pos)
        self.pos += count * dtype.itemsize
        return arr

    def count(self, what: str, min_item_bytes: int) -> int:
        pos = self.pos
        n = self.u64(what)
        if n * min_item_bytes > self.remaining():
            raise self.fail(
                f"{what} {n} cannot fit in the {self.remaining()} bytes that remain "
                f"(each takes at least {min_item_bytes} bytes)",
                pos,
            )
        return n


def _read_shape(r: _Reader, what: str) -> tuple[int, ...]:
    """A TShape: int32 ndim then ndim x int64 (dims are not checked here)."""
    pos = r.pos
    ndim = r.i32(f"{what} ndim (int32)")
    if ndim < 0:
        raise r.fail(f"expected a {what} ndim >= 0, got {ndim}", pos)
    return tuple(int(d) for d in r.raw(np.dtype(np.int64), ndim, f"{what} dims ({ndim} x int64)"))


def _read_legacy_shape(r: _Reader, ndim: int) -> tuple[int, ...]:
    """A pre-V1 TShape: the ndim was the record's first uint32, dims are uint32."""
    dims = r.raw(np.dtype(np.uint32), ndim, f"pre-V1 shape dims ({ndim} x uint32)")
    return tuple(int(d) for d in dims)


def _check_dims(r: _Reader, shape: tuple[int, ...], what: str, pos: int) -> None:
    if any(d < 0 for d in shape):
        raise r.fail(f"expected {what} dims >= 0, got {shape}", pos)


def _read_context(r: _Reader) -> None:
    pos = r.pos
    dev_type = r.i32("context dev_type (int32)")
    r.i32("context dev_id (int32)")
    if dev_type not in _DEV_TYPES:
        raise r.fail(f"expected a device type in {sorted(_DEV_TYPES)}, got {dev_type}", pos)


def _read_type_flag(r: _Reader, what: str, allowed: frozenset[int] | None = None) -> np.dtype:
    pos = r.pos
    flag = r.i32(f"{what} type flag (int32)")
    if flag not in _FLAG_DTYPES or (allowed is not None and flag not in allowed):
        known = sorted(allowed if allowed is not None else _FLAG_DTYPES)
        raise r.fail(f"expected a {what} type flag in {known}, got {flag}", pos)
    return _FLAG_DTYPES[flag]


def _read_values(r: _Reader, dtype: np.dtype, shape: tuple[int, ...], what: str) -> np.ndarray:
    """Read a C-order block of ``shape``; sizes are checked against the input first."""
    count = math.prod(shape)
    if count == 0 and math.prod(d for d in shape if d) * dtype.itemsize > np.iinfo(np.intp).max:
        raise r.fail(f"{what} shape {shape} is too large for NumPy")
    raw_dtype = np.dtype(np.uint8) if dtype.kind == "b" else dtype
    flat = r.raw(raw_dtype, count, f"{what} ({count} x {dtype.name})")
    if dtype.kind == "b":
        return (flat != 0).reshape(shape)
    return flat.astype(dtype.newbyteorder("="), copy=True).reshape(shape)


def _read_legacy_record(r: _Reader, magic: int) -> np.ndarray | None:
    """V1 (int64 dims) or pre-V1 (``magic`` is ndim, uint32 dims): dense only, no stype."""
    pos = r.pos
    if magic == V1_MAGIC:
        shape = _read_shape(r, "V1 shape")
    else:
        shape = _read_legacy_shape(r, magic)
    if not shape:
        return None  # ndim 0 was a "none" array in legacy shape semantics
    _check_dims(r, shape, "shape", pos)
    _read_context(r)
    dtype = _read_type_flag(r, "data")
    return _read_values(r, dtype, shape, "array data")


def _read_record(r: _Reader) -> Entry:
    magic_pos = r.pos
    magic = r.u32("NDArray magic (uint32)")
    if magic not in (V2_MAGIC, V3_MAGIC):
        if magic != V1_MAGIC and magic * 4 > r.remaining():
            raise r.fail(
                f"expected NDArray magic 0x{V2_MAGIC:08X} or 0x{V3_MAGIC:08X} (or a legacy"
                f" record), got 0x{magic:08X}",
                magic_pos,
            )
        return _read_legacy_record(r, magic)
    return _read_v2_record(r, np_shape=magic == V3_MAGIC)


def _read_stype(r: _Reader, np_shape: bool) -> str:
    pos = r.pos
    code = r.i32("storage type (int32)")
    if code not in _STYPE_NAMES:
        raise r.fail(f"expected a storage type in {sorted(_STYPE_NAMES)}, got {code}", pos)
    if np_shape and code != 0:
        raise r.fail(f"a V3 (numpy-shape) record must be dense, got storage type {code}", pos)
    return _STYPE_NAMES[code]


def _read_v2_record(r: _Reader, np_shape: bool) -> Entry:
    stype = _read_stype(r, np_shape)
    nad = _NUM_AUX[stype]
    sshape_pos = r.pos
    sshape = _read_shape(r, "storage shape") if nad else ()
    shape_pos = r.pos
    shape = _read_shape(r, "shape")
    if (np_shape and -1 in shape) or (not np_shape and not shape):
        return None  # MXNet's "none" array: unknown shape, nothing more is stored
    _check_dims(r, shape, "shape", shape_pos)
    _check_dims(r, sshape, "storage shape", sshape_pos)
    _read_context(r)
    dtype = _read_type_flag(r, "data")
    if stype == "default":
        return _read_values(r, dtype, shape, "array data")
    return _read_sparse_body(r, stype, shape, sshape, dtype)


def _read_sparse_body(
    r: _Reader, stype: str, shape: tuple[int, ...], sshape: tuple[int, ...], dtype: np.dtype
) -> SparseRecord:
    header_pos = r.pos
    aux_meta = []
    for i in range(_NUM_AUX[stype]):
        aux_dtype = _read_type_flag(r, f"aux {i}", _AUX_FLAGS)
        pos = r.pos
        aux_shape = _read_shape(r, f"aux {i} shape")
        _check_dims(r, aux_shape, f"aux {i} shape", pos)
        aux_meta.append((aux_dtype, aux_shape))
    aux_shapes = [s for _, s in aux_meta]
    indptr_shape = aux_shapes[0] if stype == "csr" else None
    problem = _sparse_layout_problem(stype, shape, sshape, aux_shapes[-1], indptr_shape)
    if problem:
        raise r.fail(f"inconsistent {stype} header: {problem}", header_pos)
    data = _read_values(r, dtype, sshape, f"{stype} values")
    aux = [_read_values(r, dt, s, f"{stype} aux {i}") for i, (dt, s) in enumerate(aux_meta)]
    if stype == "csr":
        return SparseRecord(stype, shape, data, indices=aux[1], indptr=aux[0])
    return SparseRecord(stype, shape, data, indices=aux[0], indptr=None)


def _sparse_layout_problem(
    stype: str,
    shape: tuple[int, ...],
    data_shape: tuple[int, ...],
    indices_shape: tuple[int, ...],
    indptr_shape: tuple[int, ...] | None,
) -> str | None:
    """Why these shapes do not form a ``stype`` array, or None when they do."""
    n_stored = data_shape[0] if data_shape else None
    if len(indices_shape) != 1 or indices_shape[0] != n_stored:
        return f"indices shape {indices_shape} does not match values shape {data_shape}"
    if stype == "row_sparse":
        if not shape or data_shape[1:] != shape[1:] or len(data_shape) != len(shape):
            return f"values shape {data_shape} does not fit array shape {shape}"
        return None
    if len(shape) != 2 or len(data_shape) != 1:
        return f"csr needs a 2-d shape and 1-d values, got {shape} and {data_shape}"
    # an all-zero csr whose storage was never allocated stores an empty indptr
    if indptr_shape not in ((shape[0] + 1,), (0,)) or (indptr_shape == (0,) and data_shape[0]):
        return f"indptr shape {indptr_shape} does not fit {shape[0]} rows"
    return None


def _sparse_index_problem(
    stype: str, shape: tuple[int, ...], indices: np.ndarray, indptr: np.ndarray | None
) -> str | None:
    """Why the index arrays do not describe a ``stype`` array of ``shape`` (the lengths are
    already consistent), or None when they do: MXNet's ``check_format``, except that ids may be
    unsorted (MXNet saves them as given; :func:`_sparse_order` sorts them)."""
    if stype == "csr":
        assert indptr is not None
        problem = _indptr_problem(indptr, indices.shape[0])
        if problem:
            return problem
        limit, what = shape[1], "column"
    else:
        limit, what = shape[0], "row"
    outside = (indices < 0) | (indices >= limit)
    if outside.any():
        at = int(np.argmax(outside))
        return f"{what} index {indices[at]} at position {at} is outside [0, {limit})"
    order = _sparse_order(indices, indptr)
    if order is None:
        return None
    rows = _row_ids(indptr, indices.shape[0])[order]
    ids = indices[order]
    repeated = (rows[1:] == rows[:-1]) & (ids[1:] == ids[:-1])
    if not repeated.any():
        return None
    at = int(np.argmax(repeated))
    if stype == "csr":
        return f"csr row {rows[at]} stores column {ids[at]} twice"
    return f"row {ids[at]} is stored twice"


def _indptr_problem(indptr: np.ndarray, nnz: int) -> str | None:
    if indptr.size == 0:
        return None  # an all-zero matrix saved before its storage was allocated (nnz is 0)
    if indptr[0] != 0:
        return f"indptr must start at 0, got {indptr[0]}"
    falls = np.diff(indptr) < 0
    if falls.any():
        row = int(np.argmax(falls))
        return (
            f"indptr must not decrease, but row {row} runs from {indptr[row]} to {indptr[row + 1]}"
        )
    if indptr[-1] != nnz:
        return f"indptr must end at nnz={nnz}, got {indptr[-1]}"
    return None


def _row_ids(indptr: np.ndarray | None, nnz: int) -> np.ndarray:
    """The CSR row of each stored value (all 0 for row_sparse, whose ids are the rows)."""
    if indptr is None or indptr.size == 0:
        return np.zeros(nnz, np.int64)
    return np.repeat(np.arange(indptr.size - 1, dtype=np.int64), np.diff(indptr))


def _sparse_order(indices: np.ndarray, indptr: np.ndarray | None) -> np.ndarray | None:
    """The permutation that sorts the ids (within each row for csr; ``indptr`` is valid), or
    None when they already ascend strictly."""
    ascending = np.diff(indices) > 0
    if indptr is not None and indptr.size:
        starts = indptr[1:-1]
        ascending[starts[(starts > 0) & (starts < indices.size)] - 1] = True  # a new row
    if ascending.all():
        return None
    return np.lexsort((indices, _row_ids(indptr, indices.size)))


def _checked_sparse(rec: SparseRecord, where: str) -> SparseRecord:
    """``rec`` with its ids sorted, or an error naming ``where`` if its structure is broken."""
    problem = _sparse_index_problem(rec.stype, rec.shape, rec.indices, rec.indptr)
    if problem:
        raise NDArrayFormatError(f"{where}: invalid {rec.stype} array: {problem}")
    order = _sparse_order(rec.indices, rec.indptr)
    if order is None:
        return rec
    return SparseRecord(rec.stype, rec.shape, rec.data[order], rec.indices[order], rec.indptr)


def _read_names(r: _Reader, n_arrays: int) -> list[str]:
    pos = r.pos
    n_names = r.count("name count", _MIN_NAME_BYTES)
    if n_names not in (0, n_arrays):
        raise r.fail(f"expected 0 or {n_arrays} names (one per array), got {n_names}", pos)
    names = []
    for i in range(n_names):
        length = r.u64(f"name {i} length (uint64)")
        name_pos = r.pos
        blob = bytes(r.raw(np.dtype(np.uint8), length, f"name {i} bytes"))
        try:
            names.append(blob.decode("utf-8"))
        except UnicodeDecodeError as err:
            raise r.fail(f"expected name {i} to be UTF-8 ({err.reason})", name_pos) from None
    return names


def loads(buf: bytes | bytearray | memoryview, *, allow_none: bool = True) -> Loaded:
    """Parse the bytes of an ``mx.nd.save`` file.

    Returns a list when the file stores no names, otherwise a dict name -> array (MXNet's
    rule; a repeated name keeps its last array, as in MXNet). Dense arrays come back as
    writable native-endian NumPy arrays, sparse ones as :class:`SparseRecord` (ids sorted),
    and MXNet's "none" arrays (an unknown shape, nothing stored) as None, or as an error with
    ``allow_none=False`` (MXNet's ``nd.load`` cannot load them either).

    >>> loads(dumps({"w": np.zeros(2, np.float32)}))
    {'w': array([0., 0.], dtype=float32)}
    """
    r = _Reader(buf)
    magic = r.u64("list magic (uint64)")
    if magic != LIST_MAGIC:
        raise r.fail(f"expected list magic 0x{LIST_MAGIC:X}, got 0x{magic:X}", 0)
    r.u64("reserved (uint64)")
    n_arrays = r.count("array count", _MIN_RECORD_BYTES)
    arrays = []
    for i in range(n_arrays):
        try:
            arrays.append(_read_record(r))
        except NDArrayFormatError as err:  # (names come last: only the index is known here)
            raise NDArrayFormatError(f"array {i}: {err}") from None
    names = _read_names(r, n_arrays)
    if r.remaining():
        raise r.fail(f"expected end of data, got {r.remaining()} trailing bytes")
    arrays = [_checked_entry(e, _array_label(i, names), allow_none) for i, e in enumerate(arrays)]
    if not names:
        return arrays
    return dict(zip(names, arrays))


def _array_label(i: int, names: list[str]) -> str:
    return f"array {i} ({names[i]!r})" if names else f"array {i}"


def _checked_entry(entry: Entry, where: str, allow_none: bool) -> Entry:
    if isinstance(entry, SparseRecord):
        return _checked_sparse(entry, where)
    if entry is None and not allow_none:
        raise NDArrayFormatError(
            f"{where}: an MXNet 'none' array (a default-constructed NDArray: no shape, no "
            "data) has no value to load; MXNet's nd.load refuses it too"
        )
    return entry


def load(fname: str | os.PathLike[str], *, allow_none: bool = True) -> Loaded:
    """Read an ``mx.nd.save`` / ``.params`` file; see :func:`loads` for the result.

    Only regular files are read (a FIFO, a device or a directory is refused before reading),
    and a file that does not start like one is refused after its first 8 bytes.

    >>> load("model-0000.params")["arg:fc1_weight"].shape  # doctest: +SKIP
    (128, 784)
    """
    path = os.fspath(fname)
    try:
        return loads(_read_regular_file(path), allow_none=allow_none)
    except NDArrayFormatError as err:
        raise NDArrayFormatError(f"{path}: {err}") from None


_FILE_KINDS = {
    stat.S_IFDIR: "directory",
    stat.S_IFIFO: "FIFO",
    stat.S_IFCHR: "character device",
    stat.S_IFBLK: "block device",
    stat.S_IFSOCK: "socket",
}


def _read_regular_file(path: str) -> bytes:
    # O_NONBLOCK: opening a FIFO must not wait for a writer before fstat can refuse it
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError as err:
        raise MissingFileError(f"load: no such file: {path!r}") from err
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = _FILE_KINDS.get(stat.S_IFMT(mode), "special file")
            raise NDArrayFormatError(
                f"not a regular file but a {kind}; NDArray files are regular files "
                "(nothing was read)"
            )
        with os.fdopen(fd, "rb", closefd=False) as f:
            head = f.read(8)
            if head != struct.pack("<Q", LIST_MAGIC):
                return head  # not an NDArray file: loads says why without the rest
            return head + f.read()
    finally:
        os.close(fd)


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def _flatten(data: object) -> tuple[list[Entry], list[bytes]]:
    """MXNet's rules: one array -> a list of one; a dict -> its values with keys as names."""
    if isinstance(data, np.ndarray | SparseRecord):
        return [_check_entry(data, "data")], []
    if isinstance(data, Mapping):
        entries, names = [], []
        for key, value in data.items():
            if not isinstance(key, str):
                raise NDArraySaveError(f"dict keys must be str, got {type(key).__name__} {key!r}")
            names.append(_encode_name(key))
            entries.append(_check_entry(value, f"data[{key!r}]"))
        return entries, names
    if isinstance(data, Sequence) and not isinstance(data, str | bytes | bytearray):
        return [_check_entry(v, f"data[{i}]") for i, v in enumerate(data)], []
    raise NDArraySaveError(
        "data must be a numpy array, a SparseRecord, a list/tuple of them or a dict str -> "
        f"them, got {type(data).__name__}"
    )


def _encode_name(key: str) -> bytes:
    try:
        return key.encode("utf-8")
    except UnicodeEncodeError as err:
        raise NDArraySaveError(f"name {key!r} cannot be encoded as UTF-8 ({err.reason})") from None


def _check_entry(value: object, where: str) -> Entry:
    if value is None:
        return None
    if isinstance(value, SparseRecord):
        _check_sparse(value, where)
        return value
    if isinstance(value, np.ndarray):
        _type_flag(value.dtype, where)
        return value
    raise NDArraySaveError(
        f"{where} must be a numpy array, a SparseRecord or None, got {type(value).__name__}"
    )


def _type_flag(dtype: np.dtype, where: str) -> int:
    flag = None if dtype.fields or dtype.subdtype else _KIND_FLAGS.get((dtype.kind, dtype.itemsize))
    if flag is None:
        raise NDArraySaveError(
            f"{where} has dtype {dtype}, which the format cannot store (supported: "
            f"{', '.join(TYPE_FLAGS)})"
        )
    return flag


def _check_sparse(rec: SparseRecord, where: str) -> None:
    if rec.stype not in ("csr", "row_sparse"):
        raise NDArraySaveError(f"{where}: stype must be 'csr' or 'row_sparse', got {rec.stype!r}")
    _type_flag(rec.data.dtype, f"{where}.data")
    if any(d < 0 for d in rec.shape):
        raise NDArraySaveError(f"{where}: shape {rec.shape} has a negative dim")
    aux = [("indices", rec.indices)]
    if rec.stype == "csr":
        if rec.indptr is None:
            raise NDArraySaveError(f"{where}: a csr record needs indptr")
        aux.append(("indptr", rec.indptr))
    elif rec.indptr is not None:
        raise NDArraySaveError(f"{where}: a row_sparse record has no indptr")
    for name, arr in aux:
        _aux_array(arr, f"{where}.{name}")
    indptr_shape = None if rec.indptr is None else rec.indptr.shape
    problem = _sparse_layout_problem(
        rec.stype, rec.shape, rec.data.shape, rec.indices.shape, indptr_shape
    ) or _sparse_index_problem(rec.stype, rec.shape, rec.indices, rec.indptr)
    if problem:  # (what load would refuse)
        raise NDArraySaveError(f"{where}: {problem}")


def _aux_array(arr: np.ndarray, where: str) -> np.ndarray:
    """Indices as stored: int32 and int64 as they are, other integers widened to int64."""
    if arr.dtype.kind not in "iu":
        raise NDArraySaveError(f"{where} must hold integers, got dtype {arr.dtype}")
    if arr.dtype.kind == "i" and arr.dtype.itemsize in (4, 8):
        return arr
    if not np.can_cast(arr.dtype, np.int64):
        raise NDArraySaveError(f"{where} has dtype {arr.dtype}, which does not fit int64")
    return arr.astype(np.int64)


def _pack_shape(shape: tuple[int, ...]) -> bytes:
    return struct.pack(f"<i{len(shape)}q", len(shape), *shape)


def _pack_values(arr: np.ndarray) -> bytes:
    return np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()


def _encode_dense(arr: np.ndarray, magic: int) -> bytes:
    head = struct.pack("<Ii", magic, _STYPE_CODES["default"]) + _pack_shape(arr.shape)
    flag = _type_flag(arr.dtype, "array")
    return head + struct.pack("<iii", *_CPU_CONTEXT, flag) + _pack_values(arr)


def _encode_sparse(rec: SparseRecord) -> bytes:
    named = [("indptr", rec.indptr), ("indices", rec.indices)]
    aux = [_aux_array(a, name) for name, a in named if a is not None]
    parts = [
        struct.pack("<Ii", V2_MAGIC, _STYPE_CODES[rec.stype]),
        _pack_shape(rec.data.shape),
        _pack_shape(rec.shape),
        struct.pack("<iii", *_CPU_CONTEXT, _type_flag(rec.data.dtype, "data")),
    ]
    parts += [struct.pack("<i", _type_flag(a.dtype, "aux")) + _pack_shape(a.shape) for a in aux]
    parts += [_pack_values(rec.data)] + [_pack_values(a) for a in aux]
    return b"".join(parts)


def _encode_entry(entry: Entry, np_shape: bool) -> bytes:
    if entry is None:  # V2 "none" array: legacy ndim 0, nothing else
        return struct.pack("<Iii", V2_MAGIC, _STYPE_CODES["default"], 0)
    if isinstance(entry, SparseRecord):
        return _encode_sparse(entry)
    return _encode_dense(entry, V3_MAGIC if np_shape else V2_MAGIC)


def _resolve_np_shape(entries: list[Entry], np_shape: bool | None) -> bool:
    """V3 (numpy-shape) records are needed for 0-d arrays and allow dense arrays only."""
    has_scalar = any(isinstance(e, np.ndarray) and e.ndim == 0 for e in entries)
    if np_shape is None:
        np_shape = has_scalar
    if np_shape and any(not isinstance(e, np.ndarray) for e in entries):
        reason = "0-d arrays need" if has_scalar else "np_shape=True asks for"
        raise NDArraySaveError(
            f"{reason} numpy-shape (V3) records, which MXNet allows for dense arrays only "
            "(no SparseRecord, no None)"
        )
    if not np_shape and has_scalar:
        raise NDArraySaveError("a 0-d array needs numpy-shape semantics (np_shape)")
    return np_shape


def dumps_record(entry: np.ndarray | SparseRecord) -> bytes:
    """One array (dense, or a `SparseRecord`) as a single record, without the list header:
    MXNet's raw bytes of an NDArray (`MXNDArraySaveRawBytes`, what its pickled state holds).

    >>> loads_record(dumps_record(np.ones(2, np.float32)))
    array([1., 1.], dtype=float32)
    """
    if isinstance(entry, SparseRecord):
        return _encode_sparse(entry)
    return _encode_dense(entry, V3_MAGIC if entry.ndim == 0 else V2_MAGIC)


def loads_sparse_record(buf: bytes | bytearray | memoryview) -> SparseRecord:
    """The sparse array of one record (see `loads_record`), checked as `nd.load` checks
    sparse arrays."""
    r = _Reader(buf)
    entry = _read_record(r)
    if r.remaining():
        raise r.fail(f"expected end of data, got {r.remaining()} trailing bytes")
    if not isinstance(entry, SparseRecord):
        raise NDArrayFormatError("the record holds a dense or 'none' array, not a sparse one")
    return _checked_sparse(entry, "the record")


def loads_record(buf: bytes | bytearray | memoryview) -> np.ndarray:
    """The dense array of one record (MXNet's `MXNDArrayLoadFromRawBytes`): any version,
    saved on any device; a sparse or "none" record, or bytes left over, is an error."""
    r = _Reader(buf)
    entry = _read_record(r)
    if r.remaining():
        raise r.fail(f"expected end of data, got {r.remaining()} trailing bytes")
    if not isinstance(entry, np.ndarray):
        raise NDArrayFormatError("the record holds a sparse or 'none' array, not a dense one")
    return entry


def dumps(data: object, *, np_shape: bool | None = None) -> bytes:
    """Serialize like ``mx.nd.save``: an array, a list/tuple of arrays or a dict str -> array.

    Arrays are numpy arrays (float32/64/16, uint8, int8, int32, int64, bool), SparseRecord or
    None (MXNet's "none" array). Records are V2 (legacy shape semantics, MXNet's default);
    ``np_shape=True``, or ``None`` when some array is 0-d, writes V3 records instead, which
    real MXNet loads under ``npx.set_np()`` / ``np_shape(True)``.

    >>> len(dumps(np.arange(6, dtype=np.float32).reshape(2, 3)))
    96
    >>> dumps([]) == bytes.fromhex("1201" + "00" * 30)
    True
    """
    entries, names = _flatten(data)
    v3 = _resolve_np_shape(entries, np_shape)
    parts = [struct.pack("<QQQ", LIST_MAGIC, 0, len(entries))]
    parts += [_encode_entry(e, v3) for e in entries]
    parts.append(struct.pack("<Q", len(names)))
    parts += [struct.pack("<Q", len(n)) + n for n in names]
    return b"".join(parts)


def save(fname: str | os.PathLike[str], data: object, *, np_shape: bool | None = None) -> None:
    """Write ``data`` (see :func:`dumps`) to ``fname`` atomically, as MXNet writes: through a
    symlink to its target, keeping the target's mode, never over a file the user cannot write.

    The bytes are built first, written to a temporary file next to the target and moved over
    it with ``os.replace``: on any error the target is untouched and no partial file remains.
    A target that is not a regular file (a FIFO, ``/dev/null``) is written into, not replaced.

    >>> save("params.nd", {"w": np.ones(3, np.float32)})  # doctest: +SKIP
    """
    payload = dumps(data, np_shape=np_shape)
    path = os.fspath(fname)
    target = os.path.realpath(path)
    try:
        old = os.stat(target)
    except FileNotFoundError:
        old = None
    if old is not None and not os.access(target, os.W_OK):
        via = f" (a symlink to {target!r})" if os.path.islink(path) else ""
        raise FilePermissionError(
            f"save: {path!r}{via} is read-only for this user; MXNet refuses to overwrite it too "
            "(make it writable or save elsewhere)"
        )
    if old is not None and not stat.S_ISREG(old.st_mode):
        with open(target, "wb") as f:  # (a directory raises IsADirectoryError here)
            f.write(payload)
        return
    _write_atomic(target, payload, old)


def _write_atomic(path: str, payload: bytes, old: os.stat_result | None) -> None:
    fd, tmp = _open_temp(path)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        if old is not None:
            _keep_owner_and_mode(tmp, old)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _open_temp(path: str) -> tuple[int, str]:
    """A new file beside ``path``, created with mode 0o666 less the umask (as open() would)."""
    directory, base = os.path.split(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue


def _keep_owner_and_mode(tmp: str, old: os.stat_result) -> None:
    """Give the replacement the replaced file's owner (where allowed: root, or a group of
    one's own) and permission bits, as MXNet's write in place keeps them."""
    if hasattr(os, "chown"):
        with contextlib.suppress(OSError):
            os.chown(tmp, old.st_uid, old.st_gid)
    os.chmod(tmp, stat.S_IMODE(old.st_mode))
