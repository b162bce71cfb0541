"""Tests for mxjit.nd.serialization: MXNet 1.x ``mx.nd.save`` / ``mx.nd.load`` files."""

from __future__ import annotations

import os
import struct
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mxjit.base import MXNetError, NDArrayFormatError, NDArraySaveError
from mxjit.nd import serialization as ser
from mxjit.nd.ndarray import _STORAGE_TYPE_ID_TO_STR, _STORAGE_TYPE_STR_TO_ID
from mxjit.nd.serialization import SparseRecord, dumps, load, loads, save

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mxnet-1.9.1"
CONTAINERS = sorted(p.name for p in FIXTURES.iterdir() if p.suffix in (".nd", ".params"))
V1, V2, V3 = 0xF993FAC8, 0xF993FAC9, 0xF993FACA
DTYPES = ["float32", "float64", "float16", "uint8", "int8", "int32", "int64", "bool"]
FLAGS = {"float32": 0, "float64": 1, "float16": 2, "uint8": 3, "int32": 4, "int8": 5,
         "int64": 6, "bool": 7}  # fmt: skip


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# ----------------------------------------------------------------------------------------------
# Byte-building helpers, written from the format description (not from the module).
# ----------------------------------------------------------------------------------------------


def header(n: int) -> bytes:
    return struct.pack("<QQQ", 0x112, 0, n)


def shape_bytes(shape: tuple[int, ...]) -> bytes:
    return struct.pack("<i", len(shape)) + b"".join(struct.pack("<q", d) for d in shape)


def dense_record(arr: np.ndarray, magic: int = V2) -> bytes:
    flag = FLAGS[arr.dtype.name]
    return (
        struct.pack("<Ii", magic, 0)
        + shape_bytes(arr.shape)
        + struct.pack("<iii", 1, 0, flag)
        + arr.astype(arr.dtype.newbyteorder("<")).tobytes()
    )


def names_bytes(names: list[str]) -> bytes:
    out = struct.pack("<Q", len(names))
    for n in names:
        raw = n.encode()
        out += struct.pack("<Q", len(raw)) + raw
    return out


def assert_same_array(got: object, want: np.ndarray) -> None:
    assert isinstance(got, np.ndarray)
    assert got.dtype == want.dtype.newbyteorder("=")
    assert got.shape == want.shape
    assert got.tobytes() == want.astype(want.dtype.newbyteorder("=")).tobytes()


def assert_same_entry(got: object, want: object) -> None:
    if want is None:
        assert got is None
    elif isinstance(want, SparseRecord):
        assert isinstance(got, SparseRecord)
        assert (got.stype, got.shape) == (want.stype, want.shape)
        assert_same_array(got.data, want.data)
        assert_same_array(got.indices, want.indices)
        if want.indptr is None:
            assert got.indptr is None
        else:
            assert_same_array(got.indptr, want.indptr)
    else:
        assert_same_array(got, want)


# ----------------------------------------------------------------------------------------------
# Real MXNet 1.9.1 files: values as stated in the fixtures' README.
# ----------------------------------------------------------------------------------------------


def test_single_array_loads_as_list_of_one() -> None:
    got = load(FIXTURES / "single_float32_2x3.nd")
    assert isinstance(got, list) and len(got) == 1
    assert_same_array(got[0], np.arange(6, dtype=np.float32).reshape(2, 3))


def test_seven_dtypes_list() -> None:
    got = load(str(FIXTURES / "list_7dtypes_3x4.nd"))
    base = np.arange(12).reshape(3, 4) + 1
    names = ["float32", "float64", "float16", "uint8", "int8", "int32", "int64"]
    assert len(got) == len(names)
    for arr, name in zip(got, names):
        assert_same_array(arr, base.astype(name))


def test_dict_params() -> None:
    got = load(FIXTURES / "dict_params.nd")
    assert list(got) == ["arg:fc1_weight", "arg:fc1_bias", "aux:bn_moving_mean"]
    want_w = np.linspace(-1, 1, 20).reshape(4, 5).astype(np.float32)
    assert_same_array(got["arg:fc1_weight"], want_w)
    assert_same_array(got["arg:fc1_bias"], np.array([0.5, -0.5, 1.5, 2.5], np.float32))
    assert_same_array(got["aux:bn_moving_mean"], np.zeros(4, np.float32))


def test_empty_list() -> None:
    assert load(FIXTURES / "empty_list.nd") == []


def test_sparse_csr_and_row_sparse() -> None:
    csr, rsp = load(FIXTURES / "sparse_csr_rsp.nd")
    assert_same_entry(
        csr,
        SparseRecord(
            "csr", (3, 3), np.array([1.0, 2.0, 3.0]), np.array([0, 2, 1]), np.array([0, 2, 2, 3])
        ),
    )
    dense = np.zeros((3, 3))
    for row in range(3):
        lo, hi = csr.indptr[row], csr.indptr[row + 1]
        dense[row, csr.indices[lo:hi]] = csr.data[lo:hi]
    np.testing.assert_array_equal(dense, [[1, 0, 2], [0, 0, 0], [0, 3, 0]])
    want_rsp = SparseRecord("row_sparse", (4, 2), np.array([[1.0, 2.0], [3.0, 4.0]]), [0, 2])
    assert_same_entry(rsp, want_rsp)


MLP_KEYS = ["0.weight", "0.bias", "1.gamma", "1.beta", "1.running_mean", "1.running_var",
            "2.weight", "2.bias"]  # fmt: skip
MLP_SHAPES = [(4, 3), (4,), (4,), (4,), (4,), (4,), (2, 4), (2,)]


def mlp_forward(p: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    h = np.maximum(x @ p["0.weight"].T + p["0.bias"], 0)
    h = (h - p["1.running_mean"]) / np.sqrt(p["1.running_var"] + 1e-5)
    h = h * p["1.gamma"] + p["1.beta"]
    return h @ p["2.weight"].T + p["2.bias"]


def test_gluon_save_parameters() -> None:
    params = load(FIXTURES / "mlp.params")
    assert list(params) == MLP_KEYS
    assert [params[k].shape for k in MLP_KEYS] == MLP_SHAPES
    assert all(v.dtype == np.float32 for v in params.values())
    x = np.load(FIXTURES / "mlp_input.npy")
    np.testing.assert_allclose(x, np.arange(6, dtype=np.float32).reshape(2, 3) / 6)
    out = mlp_forward(params, x)
    np.testing.assert_allclose(out, np.load(FIXTURES / "mlp_output.npy"), rtol=1e-5, atol=1e-6)


def test_exported_params_match_gluon_params() -> None:
    exported = load(FIXTURES / "mlp-0000.params")
    params = load(FIXTURES / "mlp.params")
    assert len(exported) == len(MLP_KEYS)
    prefix = "hybridsequential0_"
    layer = {"0": "dense0", "1": "batchnorm0", "2": "dense1"}
    for key in MLP_KEYS:
        idx, attr = key.split(".")
        kind = "aux" if attr.startswith("running") else "arg"
        assert_same_array(exported[f"{kind}:{prefix}{layer[idx]}_{attr}"], params[key])


@pytest.mark.parametrize("name", CONTAINERS)
def test_resave_is_byte_identical(name: str) -> None:
    raw = fixture_bytes(name)
    assert dumps(loads(raw)) == raw


@pytest.mark.parametrize("name", CONTAINERS)
def test_save_file_is_byte_identical(name: str, tmp_path: Path) -> None:
    raw = fixture_bytes(name)
    save(tmp_path / name, load(FIXTURES / name))
    assert (tmp_path / name).read_bytes() == raw


def test_loaded_arrays_are_writable_copies() -> None:
    raw = bytearray(fixture_bytes("single_float32_2x3.nd"))
    (arr,) = loads(raw)
    arr[0, 0] = 42
    raw[0x40:0x44] = b"\xff" * 4
    assert arr[0, 0] == 42 and arr[0, 1] == 1


# ----------------------------------------------------------------------------------------------
# Hand-built layouts compared with dumps output.
# ----------------------------------------------------------------------------------------------


def test_layout_single_dense() -> None:
    arr = np.arange(6, dtype=np.float32).reshape(2, 3)
    want = (
        struct.pack("<QQQ", 0x112, 0, 1)
        + struct.pack("<IiI", V2, 0, 2)
        + struct.pack("<qq", 2, 3)
        + struct.pack("<iii", 1, 0, 0)
        + struct.pack("<6f", *range(6))
        + struct.pack("<Q", 0)
    )
    assert dumps(arr) == want == fixture_bytes("single_float32_2x3.nd")


@pytest.mark.parametrize("dtype", DTYPES)
def test_layout_each_dtype(dtype: str) -> None:
    arr = (np.arange(6).reshape(3, 2) % 2).astype(dtype)
    assert dumps([arr]) == header(1) + dense_record(arr) + names_bytes([])


def test_layout_bool_flag_and_bytes() -> None:
    arr = np.array([True, False, True])
    rec = struct.pack("<IiIq", V2, 0, 1, 3) + struct.pack("<iii", 1, 0, 7) + b"\x01\x00\x01"
    assert dumps(arr) == header(1) + rec + struct.pack("<Q", 0)


def test_layout_dict_names_in_order() -> None:
    a, b = np.ones(2, np.float64), np.zeros((1, 1), np.int8)
    want = header(2) + dense_record(a) + dense_record(b) + names_bytes(["zeta", "äλ"])
    assert dumps({"zeta": a, "äλ": b}) == want


def test_layout_tuple_and_empty_dict() -> None:
    a = np.ones(2, np.int32)
    assert dumps((a, a)) == dumps([a, a])
    assert dumps({}) == dumps([]) == fixture_bytes("empty_list.nd")
    assert loads(dumps({})) == []


def test_layout_zero_size_dims() -> None:
    for shape in [(0,), (2, 0), (0, 3, 4)]:
        arr = np.zeros(shape, np.int64)
        want = struct.pack("<IiI", V2, 0, len(shape)) + struct.pack(f"<{len(shape)}q", *shape)
        want += struct.pack("<iii", 1, 0, 6)
        assert dumps([arr]) == header(1) + want + struct.pack("<Q", 0)
        assert_same_array(loads(dumps([arr]))[0], arr)


def test_layout_scalar_uses_numpy_shape_record() -> None:
    # legacy (V2) ndim 0 means "none array", so MXNet stores scalars only as V3 records
    arr = np.array(2.5, np.float64)
    rec = struct.pack("<IiI", V3, 0, 0) + struct.pack("<iii", 1, 0, 1) + struct.pack("<d", 2.5)
    assert dumps({"s": arr}) == header(1) + rec + names_bytes(["s"])
    other = np.ones(2, np.float32)
    assert dumps([arr, other]) == header(2) + rec + dense_record(other, V3) + names_bytes([])
    assert_same_array(loads(dumps(arr))[0], arr)


def test_layout_np_shape_flag() -> None:
    arr = np.ones((2, 2), np.uint8)
    assert dumps(arr, np_shape=True) == header(1) + dense_record(arr, V3) + names_bytes([])
    assert dumps(arr, np_shape=False) == dumps(arr)


def test_layout_csr() -> None:
    rec = SparseRecord("csr", (2, 5), np.array([7, 8, 9], np.int32), [4, 0, 1], [0, 1, 3])
    want = (
        struct.pack("<Ii", V2, 2)
        + shape_bytes((3,))  # storage shape: (nnz,)
        + shape_bytes((2, 5))
        + struct.pack("<iii", 1, 0, 4)
        + struct.pack("<i", 6) + shape_bytes((3,))  # indptr header first
        + struct.pack("<i", 6) + shape_bytes((3,))  # then indices
        + struct.pack("<3i", 7, 8, 9)
        + struct.pack("<3q", 0, 1, 3)
        + struct.pack("<3q", 4, 0, 1)
    )  # fmt: skip
    assert dumps(rec) == header(1) + want + names_bytes([])
    assert_same_entry(loads(dumps(rec))[0], rec)


def test_layout_row_sparse() -> None:
    data = np.arange(6, dtype=np.float16).reshape(1, 2, 3)
    rec = SparseRecord("row_sparse", (5, 2, 3), data, np.array([3]))
    want = (
        struct.pack("<Ii", V2, 1)
        + shape_bytes((1, 2, 3))
        + shape_bytes((5, 2, 3))
        + struct.pack("<iii", 1, 0, 2)
        + struct.pack("<i", 6) + shape_bytes((1,))
        + data.tobytes()
        + struct.pack("<q", 3)
    )  # fmt: skip
    assert dumps([rec]) == header(1) + want + names_bytes([])


def test_layout_none_array() -> None:
    want = header(2) + struct.pack("<IiI", V2, 0, 0) + dense_record(np.ones(1)) + names_bytes([])
    assert dumps([None, np.ones(1)]) == want
    got = loads(want)
    assert got[0] is None and got[1].shape == (1,)


def test_big_endian_and_strided_input_written_little_endian_c_order() -> None:
    arr = np.arange(12, dtype=">i4").reshape(3, 4).T
    want = np.ascontiguousarray(arr).astype("<i4")
    assert dumps(arr) == dumps(want)
    assert_same_array(loads(dumps(arr))[0], want)


def test_int32_indices_are_kept() -> None:
    rec = SparseRecord("row_sparse", (3,), np.ones(1), np.array([1], np.int32))
    raw = dumps(rec)
    assert struct.unpack_from("<i", raw, 24 + 8 + 12 + 12 + 12)[0] == 4
    (got,) = loads(raw)
    assert got.indices.dtype == np.int32 and dumps(got) == raw


def test_empty_and_unallocated_sparse() -> None:
    empty_csr = SparseRecord("csr", (3, 4), np.zeros(0, np.float32), [], [0, 0, 0, 0])
    unalloc_csr = SparseRecord("csr", (3, 4), np.zeros(0, np.float32), [], [])
    empty_rsp = SparseRecord("row_sparse", (3, 4), np.zeros((0, 4), np.float32), [])
    for rec in (empty_csr, unalloc_csr, empty_rsp):
        raw = dumps(rec)
        (got,) = loads(raw)
        assert_same_entry(got, rec)
        assert dumps(got) == raw


def test_duplicate_names_keep_last_like_mxnet() -> None:
    a, b = np.zeros(1, np.float32), np.ones(1, np.float32)
    raw = header(2) + dense_record(a) + dense_record(b) + names_bytes(["k", "k"])
    got = loads(raw)
    assert list(got) == ["k"] and got["k"][0] == 1


# ----------------------------------------------------------------------------------------------
# Legacy records (read only).
# ----------------------------------------------------------------------------------------------


def test_read_v1_record() -> None:
    arr = np.arange(6, dtype=np.float64).reshape(3, 2)
    rec = struct.pack("<I", V1) + shape_bytes((3, 2)) + struct.pack("<iii", 1, 0, 1)
    got = loads(header(1) + rec + arr.tobytes() + names_bytes(["w"]))
    assert_same_array(got["w"], arr)


def test_read_pre_v1_record() -> None:
    arr = np.arange(4, dtype=np.int32).reshape(2, 2)
    rec = struct.pack("<III", 2, 2, 2) + struct.pack("<iii", 2, 1, 4) + arr.tobytes()
    (got,) = loads(header(1) + rec + names_bytes([]))
    assert_same_array(got, arr)


def test_read_legacy_none_records() -> None:
    raw = header(2) + struct.pack("<I", 0) + struct.pack("<Ii", V1, 0) + names_bytes([])
    assert loads(raw) == [None, None]


def test_read_v3_unknown_shape_is_none() -> None:
    rec = struct.pack("<IiIqq", V3, 0, 2, 3, -1)
    assert loads(header(1) + rec + names_bytes([])) == [None]


def test_read_gpu_context() -> None:
    arr = np.ones(3, np.float32)
    rec = struct.pack("<IiIq", V2, 0, 1, 3) + struct.pack("<iii", 2, 1, 0) + arr.tobytes()
    (got,) = loads(header(1) + rec + names_bytes([]))
    assert_same_array(got, arr)


# ----------------------------------------------------------------------------------------------
# Property-based round trips.
# ----------------------------------------------------------------------------------------------

dtypes = st.sampled_from(DTYPES).map(np.dtype)
any_order = st.tuples(dtypes, st.booleans()).map(lambda t: t[0].newbyteorder(">") if t[1] else t[0])
dense = any_order.flatmap(
    lambda dt: hnp.arrays(dt, hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=4))
)
scalars = dtypes.flatmap(lambda dt: hnp.arrays(dt, ()))


@st.composite
def csr_records(draw: st.DrawFn) -> SparseRecord:
    rows, cols = draw(st.integers(0, 5)), draw(st.integers(1, 5))
    mask = draw(hnp.arrays(np.bool_, (rows, cols)))
    values = draw(hnp.arrays(draw(dtypes), (rows, cols)))
    r, c = np.nonzero(mask)
    indptr = np.concatenate([[0], np.cumsum(mask.sum(axis=1))]).astype(np.int64)
    return SparseRecord("csr", (rows, cols), values[r, c], c.astype(np.int64), indptr)


@st.composite
def row_sparse_records(draw: st.DrawFn) -> SparseRecord:
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4))
    rows = sorted(draw(st.sets(st.integers(0, max(shape[0] - 1, 0)), max_size=shape[0])))
    data = draw(hnp.arrays(draw(dtypes), (len(rows), *shape[1:])))
    return SparseRecord("row_sparse", shape, data, np.array(rows, np.int64))


entries = st.one_of(dense, csr_records(), row_sparse_records(), st.none())
fast = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast
@given(dense)
def test_roundtrip_single_dense(arr: np.ndarray) -> None:
    got = loads(dumps(arr))
    assert isinstance(got, list) and len(got) == 1
    assert_same_array(got[0], arr)


@fast
@given(st.lists(scalars | dense, max_size=4))
def test_roundtrip_dense_lists_with_scalars(arrays: list[np.ndarray]) -> None:
    raw = dumps(arrays)
    got = loads(raw)
    assert isinstance(got, list) and len(got) == len(arrays)
    for g, a in zip(got, arrays):
        assert_same_array(g, a)
    assert dumps(got) == raw


@fast
@given(st.lists(entries, max_size=4))
def test_roundtrip_mixed_lists(items: list) -> None:
    raw = dumps(items)
    got = loads(raw)
    assert len(got) == len(items)
    for g, w in zip(got, items):
        assert_same_entry(g, w)
    assert dumps(got) == raw


@fast
@given(st.dictionaries(st.text(max_size=8), entries, max_size=4))
def test_roundtrip_dicts(items: dict) -> None:
    got = loads(dumps(items))
    if not items:
        assert got == []
        return
    assert isinstance(got, dict) and list(got) == list(items)
    for key, want in items.items():
        assert_same_entry(got[key], want)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(CONTAINERS),
    st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 255)), min_size=1, max_size=4),
)
def test_corrupted_fixtures_fail_cleanly(name: str, edits: list[tuple[int, int]]) -> None:
    raw = bytearray(fixture_bytes(name))
    for pos, value in edits:
        raw[pos % len(raw)] = value
    try:
        loads(bytes(raw))
    except NDArrayFormatError:
        pass


# ----------------------------------------------------------------------------------------------
# Rejecting corrupt input.
# ----------------------------------------------------------------------------------------------


def expect_format_error(raw: bytes, *fragments: str) -> NDArrayFormatError:
    with pytest.raises(NDArrayFormatError) as info:
        loads(raw)
    for fragment in fragments:
        assert fragment in str(info.value)
    return info.value


def test_error_types() -> None:
    assert issubclass(NDArrayFormatError, MXNetError) and issubclass(NDArrayFormatError, ValueError)
    assert issubclass(NDArraySaveError, MXNetError) and issubclass(NDArraySaveError, TypeError)


@pytest.mark.parametrize("name", CONTAINERS)
def test_every_truncation_fails(name: str) -> None:
    raw = fixture_bytes(name)
    for cut in range(len(raw)):
        with pytest.raises(NDArrayFormatError, match=r"offset \d+"):
            loads(raw[:cut])


@pytest.mark.parametrize("name", CONTAINERS)
def test_trailing_garbage_fails(name: str) -> None:
    expect_format_error(fixture_bytes(name) + b"\x00", "trailing")


@pytest.mark.parametrize("pos", range(8))
def test_flipped_list_magic(pos: int) -> None:
    raw = bytearray(fixture_bytes("dict_params.nd"))
    raw[pos] ^= 0xFF
    expect_format_error(bytes(raw), "offset 0", "list magic")


@pytest.mark.parametrize("name", ["single_float32_2x3.nd", "sparse_csr_rsp.nd", "mlp.params"])
@pytest.mark.parametrize("pos", range(24, 28))
def test_flipped_array_magic(name: str, pos: int) -> None:
    raw = bytearray(fixture_bytes(name))
    raw[pos] ^= 0xFF
    expect_format_error(bytes(raw), "offset 24", "magic")


def one_dense(arr: np.ndarray) -> bytearray:
    return bytearray(header(1) + dense_record(arr) + names_bytes([]))


@pytest.mark.parametrize("flag", [-1, 8, 12, 1000])
def test_bad_dtype_flag(flag: int) -> None:
    raw = one_dense(np.ones(2, np.float32))
    struct.pack_into("<i", raw, 24 + 8 + 12 + 8, flag)
    expect_format_error(bytes(raw), "offset 52", "type flag")


@pytest.mark.parametrize("stype", [-1, 3, 7])
def test_unknown_storage_type(stype: int) -> None:
    raw = one_dense(np.ones(2, np.float32))
    struct.pack_into("<i", raw, 28, stype)
    expect_format_error(bytes(raw), "offset 28", "storage type")


def test_sparse_in_numpy_shape_record() -> None:
    raw = bytearray(fixture_bytes("sparse_csr_rsp.nd"))
    struct.pack_into("<I", raw, 24, V3)
    expect_format_error(bytes(raw), "V3")


def test_bad_device_type() -> None:
    raw = one_dense(np.ones(2, np.float32))
    struct.pack_into("<i", raw, 44, 9)
    expect_format_error(bytes(raw), "offset 44", "device type")


def test_negative_ndim_and_dims() -> None:
    raw = one_dense(np.ones(2, np.float32))
    struct.pack_into("<i", raw, 32, -1)
    expect_format_error(bytes(raw), "offset 32", "ndim")
    raw = one_dense(np.ones(2, np.float32))
    struct.pack_into("<q", raw, 36, -2)
    expect_format_error(bytes(raw), "dims >= 0")


@pytest.mark.parametrize(
    "dims", [(2**62,), (2**31, 2**31), (2**20, 2**20, 2**20), (10**8,), (1 << 40, 0, 1 << 40)]
)
def test_huge_declared_dims_fail_before_allocating(dims: tuple[int, ...]) -> None:
    rec = struct.pack("<Ii", V2, 0) + shape_bytes(dims) + struct.pack("<iii", 1, 0, 0)
    raw = header(1) + rec + b"\x00" * 64 + names_bytes([])
    tracemalloc.start()
    try:
        with pytest.raises(NDArrayFormatError):
            loads(raw)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20


def test_huge_counts_and_lengths() -> None:
    expect_format_error(struct.pack("<QQQ", 0x112, 0, 2**63), "array count")
    expect_format_error(header(0) + struct.pack("<Q", 2**40), "name count")
    raw = header(1) + dense_record(np.ones(1)) + struct.pack("<QQ", 1, 2**60) + b"abc"
    expect_format_error(raw, "name 0 bytes")
    expect_format_error(header(1) + struct.pack("<I", 2**31) + b"\0" * 8, "magic")
    raw = header(1) + struct.pack("<IiI", V2, 0, 2**30) + b"\0" * 16
    expect_format_error(raw, "shape dims")


def test_names_count_mismatch() -> None:
    a = np.ones(1, np.float32)
    raw = header(2) + dense_record(a) + dense_record(a) + names_bytes(["only"])
    expect_format_error(raw, "expected 0 or 2 names")


def test_non_utf8_name() -> None:
    raw = header(1) + dense_record(np.ones(1)) + struct.pack("<Q", 1) + struct.pack("<Q", 2)
    expect_format_error(raw + b"\xff\xfe", "UTF-8")


def test_bad_aux_type_and_inconsistent_sparse_header() -> None:
    raw = bytearray(fixture_bytes("sparse_csr_rsp.nd"))
    struct.pack_into("<i", raw, 0x4C, 0)  # csr indptr aux type -> float32
    expect_format_error(bytes(raw), "aux 0 type flag")
    raw = bytearray(fixture_bytes("sparse_csr_rsp.nd"))
    struct.pack_into("<q", raw, 0x54, 3)  # indptr length 3 for 3 rows
    expect_format_error(bytes(raw), "indptr")
    raw = bytearray(fixture_bytes("sparse_csr_rsp.nd"))
    struct.pack_into("<q", raw, 0xC8, 3)  # row_sparse storage rows 3 but 2 row ids
    expect_format_error(bytes(raw), "indices shape")


def test_load_error_names_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.params"
    path.write_bytes(fixture_bytes("mlp.params")[:100])
    with pytest.raises(NDArrayFormatError, match="bad.params"):
        load(path)


# ----------------------------------------------------------------------------------------------
# Rejecting data dumps cannot store.
# ----------------------------------------------------------------------------------------------

BAD_DATA = [
    pytest.param({1: np.ones(1)}, id="int-key"),
    pytest.param({b"k": np.ones(1)}, id="bytes-key"),
    pytest.param(np.array([object()]), id="object"),
    pytest.param(np.ones(2, np.complex64), id="complex"),
    pytest.param(np.array(["a"]), id="str"),
    pytest.param(np.ones(2, np.int16), id="int16"),
    pytest.param(np.ones(2, np.uint64), id="uint64"),
    pytest.param(np.ones(2, np.longdouble), id="longdouble"),
    pytest.param(np.zeros(2, "datetime64[s]"), id="datetime"),
    pytest.param(np.zeros(2, [("a", "f4")]), id="structured"),
    pytest.param(np.float32(1), id="numpy-scalar"),
    pytest.param(1.5, id="float"),
    pytest.param("abc", id="string"),
    pytest.param(None, id="none"),
    pytest.param([np.ones(1), [1, 2]], id="nested-list"),
    pytest.param({"\ud800": np.ones(1)}, id="surrogate-name"),
    pytest.param(SparseRecord("coo", (2,), np.ones(1), [0]), id="bad-stype"),
    pytest.param(SparseRecord("csr", (2, 2), np.ones(1), [0], None), id="csr-no-indptr"),
    pytest.param(SparseRecord("csr", (2, 2), np.ones(1), [0], [0, 1]), id="csr-short-indptr"),
    pytest.param(SparseRecord("csr", (2, 2), np.ones(2), [0], [0, 1, 1]), id="csr-nnz"),
    pytest.param(SparseRecord("csr", (4,), np.ones(1), [0], [0, 1]), id="csr-1d"),
    pytest.param(SparseRecord("csr", (1, 2), np.ones(1), [0.0], [0, 1]), id="float-idx"),
    pytest.param(SparseRecord("row_sparse", (3, 2), np.ones((1, 3)), [0]), id="rsp-cols"),
    pytest.param(SparseRecord("row_sparse", (3,), np.ones(1), [0], [0, 1]), id="rsp-indptr"),
    pytest.param(SparseRecord("row_sparse", (3,), np.ones(1), [0, 1]), id="rsp-ids"),
    pytest.param(SparseRecord("row_sparse", (3,), np.ones(1, np.complex128), [0]), id="rsp-c"),
    pytest.param(SparseRecord("row_sparse", (-3,), np.ones(1), [0]), id="rsp-neg"),
    pytest.param([np.ones(()), None], id="scalar-with-none"),
    pytest.param(
        [np.ones(()), SparseRecord("row_sparse", (3,), np.ones(1), [0])], id="scalar-with-sparse"
    ),
]


@pytest.mark.parametrize("data", BAD_DATA)
def test_dumps_rejects(data: object, tmp_path: Path) -> None:
    with pytest.raises(NDArraySaveError):
        dumps(data)
    path = tmp_path / "out.params"
    with pytest.raises(NDArraySaveError):
        save(path, data)
    assert list(tmp_path.iterdir()) == []


def test_np_shape_conflicts() -> None:
    with pytest.raises(NDArraySaveError, match="0-d"):
        dumps(np.ones(()), np_shape=False)
    with pytest.raises(NDArraySaveError, match="dense"):
        dumps(SparseRecord("row_sparse", (3,), np.ones(1), [0]), np_shape=True)


# ----------------------------------------------------------------------------------------------
# Files.
# ----------------------------------------------------------------------------------------------


def test_save_load_roundtrip(tmp_path: Path) -> None:
    data = {"a": np.arange(3, dtype=np.int8), "b": np.ones((2, 2), np.float16)}
    save(str(tmp_path / "x.params"), data)
    got = load(tmp_path / "x.params")
    for key, value in data.items():
        assert_same_array(got[key], value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.params"]


def test_failed_save_keeps_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "x.params"
    save(path, [np.ones(2)])
    os.chmod(path, 0o640)
    old = path.read_bytes()
    with pytest.raises(NDArraySaveError):
        save(path, {"k": np.ones(2, np.complex64)})
    assert path.read_bytes() == old

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(ser.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk on fire"):
        save(path, [np.zeros(3)])
    assert path.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["x.params"]
    monkeypatch.undo()
    save(path, [np.zeros(3)])
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert_same_array(load(path)[0], np.zeros(3))


def test_mxnets_storage_type_codes_under_its_private_names():
    assert _STORAGE_TYPE_STR_TO_ID == {"undefined": -1, "default": 0, "row_sparse": 1,
                                       "csr": 2}
    assert _STORAGE_TYPE_ID_TO_STR[2] == "csr"
