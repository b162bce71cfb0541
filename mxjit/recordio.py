"""`mx.recordio`: MXNet's RecordIO files (.rec) and their index files (.idx), byte for byte
as MXNet (dmlc-core) writes them, and the image record: an `IRHeader` and a label before
the payload (`pack`, `unpack`), the payload an encoded image (`pack_img`, `unpack_img`).

A record on disk: the magic word 0xced7230a, a word holding a 3-bit continuation flag
above a 29-bit length, the bytes, and zeros up to a multiple of 4. Where the payload holds
the magic word at an offset divisible by 4, the writer cuts it there and leaves the word
out (flags 1 = first part, 2 = middle, 3 = last; 0 = whole record), so that a reader can
find record starts by the magic word alone. Words are little-endian. The index file has
one line per record: its key, a tab, and its byte offset in the .rec file.

    >>> w = mx.recordio.MXRecordIO('data.rec', 'w'); w.write(b'abc'); w.close()  # doctest: +SKIP
    >>> mx.recordio.MXRecordIO('data.rec', 'r').read()  # doctest: +SKIP
    b'abc'
"""
from __future__ import annotations

import io
import numbers
import os
import struct
from typing import Any, NamedTuple

import numpy as np

from .base import ArgumentError, MXNetError, ParamError

__all__ = ["MXRecordIO", "MXIndexedRecordIO", "IRHeader", "pack", "unpack", "pack_img",
           "unpack_img"]

MAGIC = 0xCED7230A
_MAGIC_BYTES = struct.pack("<I", MAGIC)
_LENGTH_BITS = 29
_LENGTH_MASK = (1 << _LENGTH_BITS) - 1
#: continuation flags: a whole record, or its first, a middle and its last part
_WHOLE, _FIRST, _MIDDLE, _LAST = 0, 1, 2, 3
_IR_FORMAT = "<IfQQ"
_IR_SIZE = struct.calcsize(_IR_FORMAT)


def __dir__() -> list[str]:
    return __all__


def _pad(n: int) -> int:
    return (n + 3) & ~3


class MXRecordIO:
    """A RecordIO file read ('r') or written ('w') record after record.

    Reads go through `os.pread` at this object's own position, so a process forked from
    the one that opened the file (a DataLoader worker) reads it independently.

    >>> r = mx.recordio.MXRecordIO('data.rec', 'r'); first = r.read()  # doctest: +SKIP
    """

    def __init__(self, uri: str, flag: str):
        self.uri = os.fspath(uri)
        self.flag = flag
        self.is_open = False
        self.pid: int | None = None
        self._file: Any = None  # the written file object, or the read file's descriptor
        self._pos = 0
        self._size = 0
        self.open()

    @property
    def writable(self) -> bool:
        return self.flag == "w"

    def open(self) -> None:
        """Open the file (truncating it for 'w') and go to its first record."""
        if self.flag == "w":
            self._file = open(self.uri, "wb")
        elif self.flag == "r":
            self._file = os.open(self.uri, os.O_RDONLY)
            self._size = os.fstat(self._file).st_size
        else:
            raise ParamError(f"Invalid flag {self.flag!r}: use 'r' to read or 'w' to write")
        self._pos = 0
        self.pid = os.getpid()
        self.is_open = True

    def close(self) -> None:
        """Close the file (a no-op when closed)."""
        if not self.is_open:
            return
        if self.writable:
            self._file.close()
        else:
            os.close(self._file)
        self._file = None
        self.is_open = False
        self.pid = None

    def reset(self) -> None:
        """Go back to the first record (for 'w': start the file anew, empty).

        >>> r.reset(); r.read()  # doctest: +SKIP
        """
        self.close()
        self.open()

    def __del__(self) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.update(_file=None, is_open=False, pid=None)
        state["_reopen"] = self.is_open
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        reopen = state.pop("_reopen")
        self.__dict__.update(state)
        if reopen:
            self.open()

    def _check_open(self, writing: bool) -> None:
        if not self.is_open:
            raise MXNetError(f"{self.uri}: the record file is closed")
        if writing != self.writable:
            raise MXNetError(f"{self.uri}: opened with flag {self.flag!r}, cannot "
                             f"{'write' if writing else 'read'}")

    def write(self, buf: bytes) -> None:
        """Append `buf` (bytes-like) as one record.

        >>> w = mx.recordio.MXRecordIO('data.rec', 'w'); w.write(b'abc')  # doctest: +SKIP
        """
        self._check_open(writing=True)
        if self.pid != os.getpid():
            # (the parent's unflushed buffer was copied into this child: both would write it)
            raise MXNetError(f"{self.uri}: writing to a record file opened in another "
                               f"process is forbidden")
        if isinstance(buf, str):
            raise ArgumentError("write: a record holds bytes, not str (encode it first)")
        size = memoryview(buf).nbytes
        if size > _LENGTH_MASK:
            raise ParamError(f"write: a record holds less than 2**29 bytes, got {size}")
        data = bytes(buf)
        out = self._file
        start = 0
        cut = data.find(_MAGIC_BYTES)
        while 0 <= cut <= len(data) - 4:
            if cut % 4 == 0:
                flag = _FIRST if start == 0 else _MIDDLE
                out.write(struct.pack("<II", MAGIC, flag << _LENGTH_BITS | (cut - start)))
                out.write(data[start:cut])
                start = cut + 4
            cut = data.find(_MAGIC_BYTES, cut + 1)
        flag = _WHOLE if start == 0 else _LAST
        out.write(struct.pack("<II", MAGIC, flag << _LENGTH_BITS | (len(data) - start)))
        out.write(data[start:])
        out.write(bytes(_pad(len(data)) - len(data)))

    def read(self) -> bytes | None:
        """The next record, or None at the end of the file.

        >>> r = mx.recordio.MXRecordIO('data.rec', 'r'); r.read()  # doctest: +SKIP
        b'abc'
        """
        self._check_open(writing=False)
        if self._pos >= self._size:
            self._size = os.fstat(self._file).st_size  # (the file may have grown)
            if self._pos >= self._size:
                return None
        parts: list[bytes] = []
        pos = self._pos
        while True:
            flag, length = self._read_head(pos, first=not parts)
            body = _pad(length)
            if pos + 8 + body > self._size:
                raise MXNetError(f"{self.uri}: invalid RecordIO file: the record at byte "
                                 f"{pos} needs {8 + body} bytes but the file ends after "
                                 f"{self._size - pos} (truncated?)")
            parts.append(os.pread(self._file, length, pos + 8))
            pos += 8 + body
            if flag in (_WHOLE, _LAST):
                break
        self._pos = pos
        return _MAGIC_BYTES.join(parts)

    def _read_head(self, pos: int, first: bool) -> tuple[int, int]:
        head = os.pread(self._file, 8, pos)
        if len(head) < 8:
            raise MXNetError(f"{self.uri}: invalid RecordIO file: it ends inside the record "
                             f"header at byte {pos} (truncated?)")
        magic, word = struct.unpack("<II", head)
        if magic != MAGIC:
            raise MXNetError(f"{self.uri}: invalid RecordIO file: no record starts at byte "
                             f"{pos} (found {magic:#010x}, not the magic word {MAGIC:#010x})")
        flag = word >> _LENGTH_BITS
        if flag not in ((_WHOLE, _FIRST) if first else (_MIDDLE, _LAST)):
            raise MXNetError(f"{self.uri}: invalid RecordIO file: the record at byte {pos} "
                             f"has continuation flag {flag}, not "
                             f"{'0 or 1 (a record start)' if first else '2 or 3 (a part)'}")
        return flag, word & _LENGTH_MASK


class MXIndexedRecordIO(MXRecordIO):
    """A RecordIO file with an index file: `write_idx(key, buf)` records where each record
    starts, `read_idx(key)` reads any record. `keys` lists the keys in file order;
    `key_type` converts the index file's keys when reading.

    >>> r = mx.recordio.MXIndexedRecordIO('data.idx', 'data.rec', 'r')  # doctest: +SKIP
    >>> r.read_idx(r.keys[-1])  # doctest: +SKIP
    """

    def __init__(self, idx_path: str, uri: str, flag: str, key_type: type = int):
        self.idx_path = os.fspath(idx_path)
        self.idx: dict[Any, int] = {}
        self.keys: list[Any] = []
        self.key_type = key_type
        self.fidx: Any = None
        super().__init__(uri, flag)

    def open(self) -> None:
        """Open both files; for reading, load the index."""
        super().open()
        self.idx = {}
        self.keys = []
        self.fidx = open(self.idx_path, self.flag)
        if not self.writable:
            for number, line in enumerate(self.fidx, 1):
                if not line.strip():
                    continue
                fields = line.strip().split("\t")
                try:
                    key, pos = self.key_type(fields[0]), int(fields[1])
                except (ValueError, IndexError):
                    self.close()
                    raise MXNetError(f"{self.idx_path}:{number}: invalid index line "
                                     f"{line.rstrip()!r}: expected a key, a tab and a byte "
                                     f"offset") from None
                self.idx[key] = pos
                self.keys.append(key)

    def close(self) -> None:
        """Close both files."""
        if not self.is_open:
            return
        super().close()
        if self.fidx is not None:  # (None when opening the index file failed)
            self.fidx.close()
            self.fidx = None

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state["fidx"] = None
        return state

    def seek(self, idx: Any) -> None:
        """Make the record with key `idx` the next one `read()` returns."""
        self._check_open(writing=False)
        self._pos = self.idx[idx]

    def tell(self) -> int:
        """The byte offset where the next record written will start.

        >>> w.tell()  # doctest: +SKIP
        0
        """
        self._check_open(writing=True)
        return int(self._file.tell())

    def read_idx(self, idx: Any) -> bytes | None:
        """The record with key `idx`.

        >>> r.read_idx(3)  # doctest: +SKIP
        """
        self.seek(idx)
        return self.read()

    def write_idx(self, idx: Any, buf: bytes) -> None:
        """Append `buf` as the record with key `idx`.

        >>> w = mx.recordio.MXIndexedRecordIO('d.idx', 'd.rec', 'w')  # doctest: +SKIP
        >>> w.write_idx(0, b'x')  # doctest: +SKIP
        """
        key = self.key_type(idx)
        pos = self.tell()
        self.write(buf)
        self.fidx.write(f"{key}\t{pos}\n")
        self.idx[key] = pos
        self.keys.append(key)


class IRHeader(NamedTuple):
    """The header before an image record's payload: `label` is a number or an array of
    float32 (its length is then stored in `flag`, and the array before the payload);
    `id` and `id2` are the record's 64-bit id and the high bits of a longer one.

    >>> mx.recordio.IRHeader(0, 3.0, 7, 0)  # doctest: +SKIP
    HEADER(flag=0, label=3.0, id=7, id2=0)
    """

    flag: int
    label: Any
    id: int
    id2: int


IRHeader.__name__ = "HEADER"  # (MXNet's printed name; pickle finds the class by __qualname__)


def pack(header: IRHeader | tuple, s: bytes) -> bytes:
    """The record bytes of `header` followed by `s`. A number `label` sits in the header
    (and `flag` becomes 0); an array label is written as float32 after it (and `flag`
    becomes its length).

    >>> mx.recordio.pack(mx.recordio.IRHeader(0, [1, 2], 5, 0), b'payload')  # doctest: +SKIP
    """
    header = IRHeader(*header)
    if isinstance(s, str):
        raise ArgumentError("pack: the payload must be bytes, not str (encode it first)")
    if isinstance(header.label, numbers.Number):
        header = header._replace(flag=0)
        prefix = b""
    else:
        label = np.asarray(header.label, dtype=np.float32)
        header = header._replace(flag=label.size, label=0)
        prefix = label.tobytes()
    return struct.pack(_IR_FORMAT, *header) + prefix + bytes(s)


def unpack(s: bytes) -> tuple[IRHeader, bytes]:
    """The header of an image record and its payload (the label a float32 array when the
    record holds one, of `flag` elements).

    >>> header, payload = mx.recordio.unpack(record.read())  # doctest: +SKIP
    """
    if len(s) < _IR_SIZE:
        raise MXNetError(f"unpack: a record of {len(s)} bytes is shorter than the "
                         f"{_IR_SIZE}-byte IRHeader")
    header = IRHeader(*struct.unpack(_IR_FORMAT, s[:_IR_SIZE]))
    s = s[_IR_SIZE:]
    if header.flag > 0:
        if len(s) < 4 * header.flag:
            raise MXNetError(f"unpack: the header announces {header.flag} float32 labels "
                             f"but only {len(s)} bytes follow it")
        header = header._replace(label=np.frombuffer(s, np.float32, header.flag))
        s = s[4 * header.flag:]
    return header, s


#: Pillow mode -> what OpenCV's imdecode gives with IMREAD_UNCHANGED (-1), which is MXNet's
_UNCHANGED_MODES = {"L": "L", "1": "L", "P": "RGB", "RGB": "RGB", "CMYK": "RGB",
                    "YCbCr": "RGB", "RGBA": "RGBA", "LA": "RGBA", "PA": "RGBA",
                    "I;16": "I;16"}


def unpack_img(s: bytes, iscolor: int = -1) -> tuple[IRHeader, np.ndarray]:
    """The header and the decoded image of an image record, as MXNet (through OpenCV)
    gives it: uint8 rows x columns (gray) or rows x columns x 3 in BGR order (4 with
    alpha, BGRA). `iscolor`: -1 keeps the stored channels, 0 gives gray, 1 gives BGR.

    >>> header, img = mx.recordio.unpack_img(record.read())  # doctest: +SKIP
    """
    from PIL import Image  # (imported when used: `import mxjit` needs no Pillow)

    header, payload = unpack(s)
    try:
        img: Image.Image = Image.open(io.BytesIO(payload))
        img.load()
    except (OSError, ValueError, Image.DecompressionBombError) as e:
        raise MXNetError(f"unpack_img: the record's payload ({len(payload)} bytes) is not an "
                         f"image Pillow can decode: {e}") from e
    if iscolor == 0:
        mode = "L"
    elif iscolor > 0:
        mode = "RGB"
    elif iscolor == -1:
        mode = _UNCHANGED_MODES.get(img.mode, "RGB")
        if img.mode == "P" and "transparency" in img.info:
            mode = "RGBA"
    else:
        raise ParamError(f"unpack_img: iscolor must be -1 (as stored), 0 (gray) or 1 "
                         f"(color), got {iscolor}")
    if img.mode != mode:
        img = img.convert(mode)
    arr = np.asarray(img)
    if mode == "I;16":
        arr = arr.astype(np.uint16)
    if arr.ndim == 3:  # (OpenCV's channel order: BGR, BGRA)
        arr = arr[..., [2, 1, 0, 3][:arr.shape[2]]]
    return header, arr


def pack_img(header: IRHeader | tuple, img: np.ndarray, quality: int = 95,
             img_fmt: str = ".jpg") -> bytes:
    """`pack` of `img` encoded as `img_fmt` ('.jpg' with JPEG `quality` 1-100, '.png' with
    `quality` the compression level 0-9, or another format Pillow writes). `img` is
    uint8 rows x columns (gray) or rows x columns x 3 in BGR order (4: BGRA), as OpenCV
    and MXNet's `pack_img` take it.

    >>> rec = mx.recordio.pack_img(mx.recordio.IRHeader(0, 1.0, 0, 0), img)  # doctest: +SKIP
    """
    arr = np.asarray(img)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim == 3:
        if arr.shape[2] not in (3, 4):
            raise ParamError(f"pack_img: an image has 1, 3 or 4 channels, got shape "
                             f"{arr.shape}")
        arr = arr[..., [2, 1, 0, 3][:arr.shape[2]]]
    elif arr.ndim != 2:
        raise ParamError(f"pack_img: expected rows x columns (x channels), got shape "
                         f"{arr.shape}")
    from PIL import Image  # (imported when used: `import mxjit` needs no Pillow)

    fmt = Image.registered_extensions().get(img_fmt.lower())
    if fmt is None:
        raise ParamError(f"pack_img: unknown image format {img_fmt!r}; use '.jpg' or '.png'")
    options: dict[str, Any] = {}
    if fmt == "JPEG":
        options["quality"] = int(quality)
    elif fmt == "PNG":
        options["compress_level"] = min(max(int(quality), 0), 9)
    buf = io.BytesIO()
    try:
        Image.fromarray(np.ascontiguousarray(arr)).save(buf, format=fmt, **options)
    except (OSError, ValueError, TypeError, KeyError) as e:
        raise MXNetError(f"pack_img: failed to encode an image of shape {arr.shape} and dtype "
                         f"{arr.dtype} as {fmt}: {e}") from e
    return pack(header, buf.getvalue())
