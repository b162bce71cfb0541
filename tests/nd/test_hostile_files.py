"""Hostile `.params` files and awkward save targets (issue #11, parts 5 and 6).

Loading: sparse arrays whose index structure is broken, MXNet's "none" records, files that
are not regular files, and sizes larger than the file are refused before anything is built,
with an error naming the file and the array. Saving: through a symlink to its target, keeping
the target's mode, and never over a file the user cannot write (as MXNet).
"""

from __future__ import annotations

import os
import shutil
import stat
import struct
import subprocess
import sys
import threading
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import FilePermissionError, MXNetError, NDArrayFormatError, NDArraySaveError
from mxjit.nd import serialization as ser
from mxjit.nd.serialization import SparseRecord, dumps, load, loads, save

V2 = 0xF993FAC9
ROOT = Path(__file__).resolve().parents[2]


# ----------------------------------------------------------------------------------------------
# Byte-building helpers, written from the format description (not from the module).
# ----------------------------------------------------------------------------------------------


def header(n: int) -> bytes:
    return struct.pack("<QQQ", 0x112, 0, n)


def shape_bytes(shape: tuple[int, ...]) -> bytes:
    return struct.pack("<i", len(shape)) + b"".join(struct.pack("<q", d) for d in shape)


def names_bytes(names: list[str]) -> bytes:
    return struct.pack("<Q", len(names)) + b"".join(
        struct.pack("<Q", len(n.encode())) + n.encode() for n in names
    )


def dense_record(arr: np.ndarray) -> bytes:
    return (struct.pack("<Ii", V2, 0) + shape_bytes(arr.shape) + struct.pack("<iii", 1, 0, 1)
            + arr.astype("<f8").tobytes())  # fmt: skip


def csr_record(shape: tuple[int, int], data: list, indices: list, indptr: list) -> bytes:
    values = np.asarray(data, "<f8")
    cols, ptr = np.asarray(indices, "<i8"), np.asarray(indptr, "<i8")
    return (
        struct.pack("<Ii", V2, 2) + shape_bytes(values.shape) + shape_bytes(shape)
        + struct.pack("<iii", 1, 0, 1)
        + struct.pack("<i", 6) + shape_bytes(ptr.shape)
        + struct.pack("<i", 6) + shape_bytes(cols.shape)
        + values.tobytes() + ptr.tobytes() + cols.tobytes()
    )  # fmt: skip


def rsp_record(shape: tuple[int, ...], rows: list, ids: list) -> bytes:
    values = np.asarray(rows, "<f8").reshape(len(ids), *shape[1:])
    ids_arr = np.asarray(ids, "<i8")
    return (
        struct.pack("<Ii", V2, 1) + shape_bytes(values.shape) + shape_bytes(shape)
        + struct.pack("<iii", 1, 0, 1)
        + struct.pack("<i", 6) + shape_bytes(ids_arr.shape)
        + values.tobytes() + ids_arr.tobytes()
    )  # fmt: skip


def container(records: list[bytes], names: list[str] | None = None) -> bytes:
    return header(len(records)) + b"".join(records) + names_bytes(names or [])


NONE_RECORD = struct.pack("<IiI", V2, 0, 0)
GOOD = dense_record(np.ones(2))


def write(tmp_path: Path, raw: bytes, name: str = "hostile.params") -> Path:
    path = tmp_path / name
    path.write_bytes(raw)
    return path


def expect_load_error(path: Path, *fragments: str) -> str:
    """Both loaders refuse the file with an error naming it and holding each fragment."""
    for loader in (load, mx.nd.load):
        with pytest.raises(NDArrayFormatError) as info:
            loader(path)
        message = str(info.value)
        assert str(path) in message
        for fragment in fragments:
            assert fragment in message, message
    return message


# ----------------------------------------------------------------------------------------------
# Broken sparse structure: refused at load, naming the file, the array index and its name.
# ----------------------------------------------------------------------------------------------

BAD_SPARSE = [
    pytest.param(csr_record((2, 3), [1, 2], [0, 1000], [0, 1, 2]),
                 ["column index 1000", "outside [0, 3)"], id="csr-column-past-shape"),
    pytest.param(csr_record((2, 3), [1, 2], [0, -1], [0, 1, 2]),
                 ["column index -1", "outside [0, 3)"], id="csr-negative-column"),
    pytest.param(csr_record((2, 3), [1, 2], [0, 1], [1, 1, 2]),
                 ["indptr must start at 0, got 1"], id="csr-indptr-start"),
    pytest.param(csr_record((2, 3), [1, 2], [0, 1], [0, 2, 1]),
                 ["indptr must not decrease", "row 1"], id="csr-indptr-falls"),
    pytest.param(csr_record((2, 3), [1, 2], [0, 1], [0, -5, 2]),
                 ["indptr must not decrease", "row 0"], id="csr-indptr-negative"),
    pytest.param(csr_record((2, 3), [1, 2], [0, 1], [0, 1, 1]),
                 ["indptr must end at nnz=2, got 1"], id="csr-indptr-end"),
    pytest.param(csr_record((2, 3), [1, 2], [1, 1], [0, 2, 2]),
                 ["row 0 stores column 1 twice"], id="csr-repeated-column"),
    pytest.param(csr_record((2, 3), [1, 2, 3], [2, 0, 2], [0, 3, 3]),
                 ["row 0 stores column 2 twice"], id="csr-repeated-unsorted"),
    pytest.param(rsp_record((4, 2), [[1, 2]], [-1]),
                 ["row index -1", "outside [0, 4)"], id="rsp-negative-row"),
    pytest.param(rsp_record((4, 2), [[1, 2]], [4]),
                 ["row index 4", "outside [0, 4)"], id="rsp-row-past-shape"),
    pytest.param(rsp_record((4, 2), [[1, 2], [3, 4]], [2, 2]),
                 ["row 2 is stored twice"], id="rsp-repeated-row"),
]  # fmt: skip


@pytest.mark.parametrize("record, fragments", BAD_SPARSE)
def test_broken_sparse_structure_is_refused(
    record: bytes, fragments: list[str], tmp_path: Path
) -> None:
    path = write(tmp_path, container([GOOD, record], ["w", "emb"]))
    expect_load_error(path, "array 1 ('emb')", *fragments)
    unnamed = write(tmp_path, container([GOOD, GOOD, record]), "unnamed.params")
    message = expect_load_error(unnamed, "array 2:", *fragments)
    assert "(" not in message.split("array 2")[1].split(":")[0]
    with pytest.raises(NDArrayFormatError, match="array 1"):
        loads(container([GOOD, record]))
    with pytest.raises(NDArrayFormatError, match="array 0"):
        mx.nd.load_frombuffer(container([record]))


def test_column_past_shape_no_longer_reaches_sparse_dot(tmp_path: Path) -> None:
    path = write(tmp_path, container([csr_record((2, 3), [1.0], [1000], [0, 1, 1])]))
    with pytest.raises(NDArrayFormatError, match="column index 1000"):
        mx.nd.sparse.dot(mx.nd.load(str(path))[0], mx.nd.ones((3, 1)))


def test_unsorted_ids_load_sorted_with_their_values(tmp_path: Path) -> None:
    # MXNet 1.9.1 saves and loads ids in the order given (its check_format calls them
    # invalid, its nd.load does not check); mxjit's sparse operators expect them ascending
    csr = csr_record((2, 3), [1, 2, 3], [2, 0, 1], [0, 2, 3])
    rsp = rsp_record((4, 2), [[1, 2], [3, 4]], [3, 1])
    path = write(tmp_path, container([csr, rsp]))
    got_csr, got_rsp = load(path)
    assert got_csr.indices.tolist() == [0, 2, 1] and got_csr.data.tolist() == [2, 1, 3]
    assert got_csr.indptr.tolist() == [0, 2, 3]
    assert got_rsp.indices.tolist() == [1, 3] and got_rsp.data.tolist() == [[3, 4], [1, 2]]
    a, b = mx.nd.load(str(path))
    np.testing.assert_array_equal(a.asnumpy(), [[2, 0, 1], [0, 3, 0]])
    np.testing.assert_array_equal(b.asnumpy(), [[0, 0], [3, 4], [0, 0], [1, 2]])
    a.check_format()
    b.check_format()


def test_valid_sparse_edge_cases_still_load() -> None:
    records = [
        csr_record((0, 3), [], [], [0]),
        csr_record((2, 0), [], [], [0, 0, 0]),
        csr_record((2, 3), [], [], []),  # an all-zero matrix saved before allocation
        rsp_record((0, 2), [], []),
        rsp_record((3,), [5.0], [2]),
    ]
    got = loads(container(records))
    assert [r.shape for r in got] == [(0, 3), (2, 0), (2, 3), (0, 2), (3,)]
    assert [a.shape for a in mx.nd.load_frombuffer(container(records))] == [r.shape for r in got]


def test_save_refuses_what_load_refuses(tmp_path: Path) -> None:
    bad = [
        SparseRecord("csr", (2, 3), np.ones(1), [1000], [0, 1, 1]),
        SparseRecord("csr", (2, 3), np.ones(2), [1, 1], [0, 2, 2]),
        SparseRecord("csr", (2, 3), np.ones(1), [0], [0, 2, 1]),
        SparseRecord("row_sparse", (4,), np.ones(1), [9]),
        SparseRecord("row_sparse", (4,), np.ones(2), [1, 1]),
    ]
    for rec in bad:
        with pytest.raises(NDArraySaveError, match=r"data\[0\]"):
            dumps([rec])
        with pytest.raises(NDArraySaveError):
            save(tmp_path / "x.params", {"k": rec})
    assert list(tmp_path.iterdir()) == []
    unsorted = SparseRecord("csr", (1, 3), np.array([1.0, 2.0]), [2, 0], [0, 2])
    (got,) = loads(dumps([unsorted]))  # written as given, as MXNet does; read back sorted
    assert got.indices.tolist() == [0, 2] and got.data.tolist() == [2.0, 1.0]


# ----------------------------------------------------------------------------------------------
# MXNet's "none" record: a default-constructed NDArray. MXNet 1.9.1's nd.load refuses it
# ("unknown storage type: -1"); mxjit refuses it with the file and the array.
# ----------------------------------------------------------------------------------------------


def test_none_record_is_refused_by_nd_load(tmp_path: Path) -> None:
    path = write(tmp_path, container([GOOD, NONE_RECORD], ["w", "state"]))
    with pytest.raises(NDArrayFormatError) as info:
        mx.nd.load(str(path))
    message = str(info.value)
    assert str(path) in message and "array 1 ('state')" in message and "'none'" in message
    with pytest.raises(NDArrayFormatError, match=r"array 0: .*'none'"):
        mx.nd.load_frombuffer(container([NONE_RECORD]))
    legacy = header(1) + struct.pack("<I", 0) + names_bytes([])  # pre-V1: ndim 0
    with pytest.raises(NDArrayFormatError, match="'none'"):
        mx.nd.load_frombuffer(legacy)
    assert loads(container([NONE_RECORD])) == [None]  # the NumPy level keeps it


# ----------------------------------------------------------------------------------------------
# Files that are not regular files, and declared sizes larger than the file.
# ----------------------------------------------------------------------------------------------


def test_directory_is_refused(tmp_path: Path) -> None:
    expect_load_error(tmp_path, "not a regular file", "directory")


def test_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.params"
    os.mkfifo(fifo)
    caught: list[BaseException] = []

    def attempt() -> None:
        try:
            load(fifo)
        except BaseException as err:  # noqa: BLE001 (handed to the test thread)
            caught.append(err)

    reader = threading.Thread(target=attempt, daemon=True)
    reader.start()
    reader.join(10)
    if reader.is_alive():
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # let the blocked reader go
        reader.join(10)
        pytest.fail("load waited for a writer on a FIFO")
    (err,) = caught
    assert isinstance(err, NDArrayFormatError)
    assert str(fifo) in str(err) and "FIFO" in str(err)
    expect_load_error(fifo, "not a regular file")


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_dev_zero_is_refused_before_reading() -> None:
    # in a child with 1 GiB of address space beyond what it holds: reading /dev/zero to the end
    # would end in MemoryError there instead of eating this machine's memory
    code = (
        "import resource, sys\n"
        "from mxjit.nd.serialization import load\n"
        "from mxjit.base import NDArrayFormatError\n"
        "used = int(open('/proc/self/statm').read().split()[0]) * resource.getpagesize()\n"
        "resource.setrlimit(resource.RLIMIT_AS, (used + (1 << 30), resource.RLIM_INFINITY))\n"
        "try:\n"
        "    load('/dev/zero')\n"
        "except NDArrayFormatError as err:\n"
        "    print(err)\n"
        "    sys.exit(0)\n"
        "except MemoryError:\n"
        "    sys.exit(3)\n"
    )
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "/dev/zero" in done.stdout and "character device" in done.stdout


def test_huge_regular_file_is_refused_after_its_header(tmp_path: Path) -> None:
    path = write(tmp_path, b"\x07" * (16 << 20), "not-params.bin")
    tracemalloc.start()
    try:
        with pytest.raises(NDArrayFormatError, match="list magic"):
            load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20


@pytest.mark.parametrize("record, what", [
    (struct.pack("<Ii", V2, 0) + shape_bytes((1 << 40,)) + struct.pack("<iii", 1, 0, 0),
     "array data"),
    (struct.pack("<Ii", V2, 0) + struct.pack("<i", 1 << 28), "shape dims"),
    (struct.pack("<Ii", V2, 2) + shape_bytes((1 << 40,)) + shape_bytes((2, 3))
     + struct.pack("<iii", 1, 0, 0) + struct.pack("<i", 6) + shape_bytes((3,))
     + struct.pack("<i", 6) + shape_bytes((1 << 40,)), "csr values"),
], ids=["dense-data", "ndim", "csr-nnz"])  # fmt: skip
def test_declared_sizes_past_the_file_fail_before_allocating(
    record: bytes, what: str, tmp_path: Path
) -> None:
    path = write(tmp_path, container([GOOD, record + b"\0" * 64]))
    tracemalloc.start()
    try:
        message = expect_load_error(path, "array 1:", what, "bytes remain")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20, message


def test_declared_counts_past_the_file(tmp_path: Path) -> None:
    expect_load_error(write(tmp_path, struct.pack("<QQQ", 0x112, 0, 1 << 60), "a"), "array count")
    raw = header(1) + GOOD + struct.pack("<QQ", 1, 1 << 50) + b"w"
    expect_load_error(write(tmp_path, raw, "b"), "name 0 bytes")


def test_a_failed_load_returns_nothing_partial(tmp_path: Path) -> None:
    good = [dense_record(np.full(3, i)) for i in range(3)]
    bad = csr_record((2, 3), [1], [7], [0, 1, 1])
    path = write(tmp_path, container([*good, bad], ["a", "b", "c", "d"]))
    result = None
    with pytest.raises(NDArrayFormatError, match="array 3 \\('d'\\)"):
        result = mx.nd.load(str(path))
    assert result is None


def test_missing_file_still_names_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such file"):
        load(tmp_path / "absent.params")


# ----------------------------------------------------------------------------------------------
# save: through symlinks, onto FIFOs, and never over a file the user cannot write.
# ----------------------------------------------------------------------------------------------


def test_save_writes_through_a_symlink(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "links").mkdir()
    target = tmp_path / "models" / "real.params"
    save(target, [np.zeros(2)])
    os.chmod(target, 0o640)
    link = tmp_path / "links" / "current.params"
    link.symlink_to(Path("..") / "models" / "real.params")
    save(link, {"w": np.ones(3)})
    assert link.is_symlink() and os.readlink(link) == os.path.join("..", "models", "real.params")
    assert load(target)["w"].tolist() == [1, 1, 1]
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert sorted(p.name for p in (tmp_path / "links").iterdir()) == ["current.params"]
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["real.params"]
    mx.nd.save(str(link), [mx.nd.ones(4)])
    assert link.is_symlink() and load(target)[0].shape == (4,)


def test_save_through_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "link.params"
    link.symlink_to("made.params")
    save(link, [np.ones(1)])
    assert link.is_symlink() and load(tmp_path / "made.params")[0].tolist() == [1.0]


def test_save_into_a_fifo_writes_through(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.params"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    save(fifo, [np.ones(2)])
    reader.join(10)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert got == [dumps([np.ones(2)])]


def test_save_refuses_a_read_only_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "frozen.params"
    save(path, [np.zeros(2)])
    old = path.read_bytes()
    monkeypatch.setattr(ser.os, "access", lambda p, mode: False)  # as a user without write access
    for saver in (save, mx.nd.save):
        with pytest.raises(FilePermissionError) as info:
            saver(str(path), [mx.nd.ones(3)] if saver is mx.nd.save else [np.ones(3)])
        assert isinstance(info.value, PermissionError) and isinstance(info.value, MXNetError)
        assert str(path) in str(info.value) and "read-only" in str(info.value)
    link = tmp_path / "link.params"
    link.symlink_to(path)
    with pytest.raises(FilePermissionError, match="symlink"):
        save(link, [np.ones(3)])
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frozen.params", "link.params"]


def _without_dac_override() -> list[str] | None:
    """A command prefix that runs a child without the right to write others' files."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    caps = "-dac_override,-dac_read_search"
    prefix = [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}"]
    if subprocess.run([*prefix, "true"], capture_output=True, timeout=30).returncode:
        return None  # (no right to drop capabilities here)
    return prefix


def test_save_refuses_a_0444_file_for_real(tmp_path: Path) -> None:
    prefix = _without_dac_override()
    if prefix is None:
        pytest.skip("running as root and cannot drop CAP_DAC_OVERRIDE: every file is writable")
    path = tmp_path / "frozen.params"
    save(path, [np.zeros(2)])
    os.chmod(path, 0o444)
    old = path.read_bytes()
    code = (
        "import sys\n"
        "import numpy as np\n"
        "from mxjit.nd.serialization import save\n"
        "try:\n"
        "    save(sys.argv[1], [np.ones(3)])\n"
        "except PermissionError as err:\n"
        "    print(type(err).__name__, err)\n"
    )
    done = subprocess.run([*prefix, sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("FilePermissionError") and "read-only" in done.stdout
    assert path.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["frozen.params"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_save_as_root_keeps_the_owner(tmp_path: Path) -> None:
    path = tmp_path / "theirs.params"
    save(path, [np.zeros(2)])
    os.chown(path, 65534, 65534)
    os.chmod(path, 0o604)
    save(path, [np.ones(2)])
    st = os.stat(path)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (65534, 65534, 0o604)
