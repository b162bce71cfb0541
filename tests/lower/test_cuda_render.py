"""The CUDA rendering without a GPU: CUDA C that compiles, semantics that match the CPU.

* Every kernel of the CUDA catalog (`tests/cuda_catalog.py`: each elementwise primitive over
  each dtype, casts, each reduction over each schedule, movement/indexing, random bits,
  composite programs) and every kernel the test session has compiled so far is rendered and
  compiled to PTX with `nvcc --ptx -arch=sm_90` (skipped without nvcc). Many kernels share
  one .cu file per nvcc call; the bulk is compiled with NVVM at -O0 (the front end finds
  what a rendering bug breaks), a representative part fully optimised and through ptxas.
* The same CUDA C is run on the host by `tests/cuda_emu.py` (g++; skipped without it),
  with small blocks so that grid-stride loops, warp shuffles, block trees and two-stage
  reductions all run, and compared with the NumPy meaning of each graph.
* `launch_config` and `schedule` are checked as pure functions.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import mxjit as mx
from mxjit.lower.cache import KERNELS
from mxjit.lower.cuda import (
    CUDA_OPS,
    DeviceProps,
    Launch,
    flat_length_ok,
    launch_config,
    literal,
    render_cuda,
    schedule,
    workspace_layout,
)
from mxjit.lower.kernel import Expr, Kernel, KernelChain, Reduction, Store, iconst, loop_var
from mxjit.lower.llvm import SCALAR_OPS
from tests import cuda_catalog as catalog
from tests import cuda_emu

NVCC = shutil.which("nvcc")
needs_nvcc = pytest.mark.skipif(NVCC is None, reason="nvcc is not installed")
needs_gxx = pytest.mark.skipif(cuda_emu.gxx() is None, reason="g++ is not installed")
H100 = DeviceProps(multiprocessors=132)
#: a tiny device for emulation: 64-thread blocks, at most a few of them
TINY = DeviceProps(multiprocessors=1, max_threads_per_block=64,
                   max_threads_per_multiprocessor=128)
F32 = np.dtype(np.float32)


@pytest.fixture(scope="module")
def cases() -> list[catalog.Case]:
    return catalog.all_cases()


def _unique(kernels: list[Kernel]) -> list[Kernel]:
    return list({k.key(): k for k in kernels}.values())


def compile_ptx(kernels: list[Kernel], workdir: Path, optimize: bool = False,
                per_file: int = 150, length_param: bool = False) -> None:
    """Render `kernels` into .cu files of `per_file` kernels and compile each with
    `nvcc --ptx -arch=sm_90` (NVVM at -O0 unless `optimize`, which also runs ptxas)."""
    files = []
    for f, start in enumerate(range(0, len(kernels), per_file)):
        chunk = kernels[start:start + per_file]
        path = workdir / f"kernels{f}{'_opt' if optimize else ''}.cu"
        path.write_text("\n".join(render_cuda(k, f"k{start + i}", length_param)
                                  for i, k in enumerate(chunk)))
        files.append(path)

    def nvcc(path: Path) -> tuple[Path, subprocess.CompletedProcess]:
        if optimize:
            cmd = [NVCC, "--cubin", "-arch=sm_90", str(path), "-o", str(path.with_suffix(".cubin"))]
        else:
            cmd = [NVCC, "--ptx", "-arch=sm_90", "-Xcicc", "-O0", str(path), "-o",
                   str(path.with_suffix(".ptx"))]
        return path, subprocess.run(cmd, capture_output=True, text=True)

    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1)) as pool:
        for path, done in pool.map(nvcc, files):
            assert done.returncode == 0, f"nvcc failed on {path}:\n{done.stderr[:6000]}"
            assert "warning" not in done.stderr, _warned(path, done.stderr)


def _warned(path: Path, stderr: str) -> str:
    """nvcc's warning with the kernel it is about (the source from the kernel's start)."""
    lines = path.read_text().splitlines()
    found = re.search(r"\((\d+)\): warning", stderr)
    at = int(found.group(1)) - 1 if found else 0
    start = max((k for k in range(at + 1) if lines[k].startswith("extern")), default=0)
    return f"nvcc warned on {path}:\n{stderr[:2000]}\n" + "\n".join(lines[start:at + 3])


# ---- pure Python -------------------------------------------------------------------------


def test_one_cuda_rendering_per_llvm_rendering():
    assert set(CUDA_OPS) == set(SCALAR_OPS)


def test_literals_keep_exact_bits():
    assert literal(float("nan"), F32) == "__int_as_float(2143289344)"
    assert literal(-0.0, np.dtype(np.float64)) == "__longlong_as_double(-9223372036854775808LL)"
    assert literal(float("-inf"), np.dtype(np.float16)).startswith("__int_as_float(")
    assert literal(np.float32(0.1), F32) == "0.1f"
    assert literal(1e300, np.dtype(np.float64)) == "1e+300"
    assert literal(3.0, np.dtype(np.float64)) == "3.0"
    assert literal(255, np.dtype(np.uint8)) == "((unsigned char)255)"
    assert literal(-2**31, np.dtype(np.int32)) == "(-2147483647 - 1)"
    assert literal(True, np.dtype(bool)) == "true"


def _map_kernel(n: int, dtype: np.dtype = F32) -> Kernel:
    x = Expr.make("load", dtype, (loop_var(0),), 0)
    return Kernel("neg", (n,), (False,), 0, (dtype, dtype), 1,
                  (Store(1, loop_var(0), Expr.make("neg", dtype, (x,))),))


def _reduce_kernel(dims: tuple[int, ...], reduce_vars: tuple[bool, ...], op: str = "sum",
                   in_register: bool = True) -> Kernel:
    i64 = np.dtype(np.int64)
    offset = loop_var(0)
    for j in range(1, len(dims)):
        offset = Expr.make("add", i64, (Expr.make("mul", i64, (offset, iconst(dims[j]))),
                                        loop_var(j)))
    x = Expr.make("load", F32, (offset,), 0)
    out_dtype = np.dtype(np.int64) if op.startswith("arg") else F32
    return Kernel("r", dims, reduce_vars, reduce_vars.index(False) if False in reduce_vars
                  else None, (F32, out_dtype), 1,
                  (Store(1, loop_var(0), Expr.make("acc", out_dtype)),),
                  Reduction(op, x, in_register))


def test_elementwise_launches_cover_the_extent_with_a_capped_grid():
    for n in (1, 31, 1000, 1 << 20, 1 << 30, 3 * (1 << 31)):
        (ln,) = launch_config(_map_kernel(n), "s", H100)
        assert ln.function == "s" and ln.block == 256 and ln.parts == 0
        items = -(-n // schedule(_map_kernel(n)).vector)
        assert 1 <= ln.grid <= 132 * 8 * 8
        assert ln.grid == min(-(-items // 256), 132 * 8 * 8)
    assert schedule(_map_kernel(1 << 20)).vector == 4
    assert schedule(_map_kernel(1 << 20, np.dtype(np.float16))).vector == 8
    assert schedule(_map_kernel(1 << 20, np.dtype(np.float64))).vector == 2
    assert schedule(_map_kernel(3)).vector == 1


def test_reduction_schedules_follow_the_extents():
    assert schedule(_reduce_kernel((1000, 8), (False, True))).kind == "thread"
    assert schedule(_reduce_kernel((1000, 1000), (False, True))).kind == "warp"
    assert schedule(_reduce_kernel((8192, 4096), (False, True))).kind == "block"
    assert schedule(_reduce_kernel((4096, 9000), (True, False), in_register=False)).kind \
        == "thread"
    assert schedule(_reduce_kernel((4096, 5), (True, False), in_register=False)).kind \
        == "block"
    rows = launch_config(_reduce_kernel((8192, 4096), (False, True)), "s", H100)
    assert rows == [Launch("s", 8192, 512)]
    warp = launch_config(_reduce_kernel((1000, 1000), (False, True)), "s", H100)
    assert warp == [Launch("s", 125, 256)]


def test_small_output_counts_reduce_in_two_stages():
    k = _reduce_kernel((1 << 26,), (True,))
    part, fin = launch_config(k, "s", H100)
    assert part.function == "s_part" and fin.function == "s_fin"
    assert part.parts == fin.parts >= 2 and part.grid == part.parts
    assert part.block == 1024 and fin.block <= 1024 and fin.block % 32 == 0
    assert part.parts * part.block * 8 <= (1 << 26) + part.block * 8
    size, index_at = workspace_layout(k, [part, fin])
    assert index_at % 256 == 0 and size == index_at + part.parts * 8
    # enough outputs to fill the device: one stage
    assert len(launch_config(_reduce_kernel((4096, 8192), (False, True)), "s", H100)) == 1


def test_every_launch_respects_the_device_limits(cases):
    for props in (H100, TINY, DeviceProps(multiprocessors=1, max_threads_per_block=512)):
        for case in cases[::7]:
            for k in case.kernels():
                for ln in launch_config(k, "s", props):
                    assert ln.block % 32 == 0 and 32 <= ln.block <= props.max_threads_per_block
                    assert 1 <= ln.grid <= props.max_grid_x


def test_lower_backend_cuda_lists_cuda_c():
    x = mx.nd.ones((64, 32))
    lowered = mx.jit(lambda v: mx.nd.softmax(v * 2)).lower(x, backend="cuda")
    assert len(lowered.kernels) == 3
    for k in lowered.kernels:
        assert f'extern "C" __global__ void {k.symbol}(' in k.source
        assert "#include" not in k.source  # nothing the device machine could lack


# ---- nvcc --------------------------------------------------------------------------------


@needs_nvcc
def test_a_partial_reduction_declares_only_the_indices_its_value_reads(tmp_path):
    # the reduced value does not depend on the output row (a broadcast input): the partial
    # kernels, whose results the final kernel stores, must not declare the row index
    i64 = np.dtype(np.int64)
    x = Expr.make("load", i64, (loop_var(1),), 0)
    kernel = Kernel("r", (4, 4096), (False, True), 0, (i64, i64), 1,
                    (Store(1, loop_var(0), Expr.make("acc", i64)),), Reduction("prod", x, True))
    assert "const long long v0" not in render_cuda(kernel, "k").split("_part(")[1].split(
        "extern")[0]
    compile_ptx([kernel], tmp_path)


@needs_nvcc
def test_catalog_kernels_compile_to_ptx(cases, tmp_path):
    kernels = _unique([k for c in cases for k in c.kernels()])
    assert len(kernels) > 400
    compile_ptx(kernels, tmp_path)


@needs_nvcc
def test_representative_kernels_compile_optimised_through_ptxas(cases, tmp_path):
    chosen = [c for c in cases if c.group in ("movement", "program")
              or (c.group == "reduce" and c.name.startswith(("sum-float32", "argmax-float32")))
              or (c.group == "elementwise" and "float16" in c.name)]
    kernels = _unique([k for c in chosen for k in c.kernels()])
    compile_ptx(kernels, tmp_path, optimize=True, per_file=40)


@needs_nvcc
def test_flat_kernels_taking_their_length_compile_to_ptx(cases, tmp_path):
    """The eager ops' form of flat elementwise kernels (`length_param`), optimised through
    ptxas, float16 and vector paths among them."""
    kernels = _unique([k for c in cases if c.group in ("elementwise", "cast")
                       for k in c.kernels() if flat_length_ok(k)])
    assert len(kernels) > 100
    assert all("const long long n)" in render_cuda(k, "k", length_param=True)
               for k in kernels)
    # (what the length changes is shared by all: one kernel per distinct buffer dtypes)
    chosen = list({k.buffers: k for k in kernels}.values())
    compile_ptx(chosen, tmp_path, optimize=True, per_file=60, length_param=True)


def test_only_flat_kernels_take_their_length():
    """A reduction, or a load whose offset depends on the built length (a flip), would
    read out of bounds at another length: refused."""
    i64 = np.dtype(np.int64)
    x = Expr.make("load", i64, (loop_var(0),), 0)
    reduction = Kernel("k", (4, 8), (False, True), 0, (i64, i64), 1,
                       (Store(1, loop_var(0), Expr.make("acc", i64)),),
                       Reduction("sum", x, True))
    flipped = Expr.make("load", i64, (Expr.make("sub", i64, (iconst(7), loop_var(0))),), 0)
    flip = Kernel("k", (8,), (False,), 0, (i64, i64), 1, (Store(1, loop_var(0), flipped),))
    copy = Kernel("k", (8,), (False,), 0, (i64, i64), 1, (Store(1, loop_var(0), x),))
    assert flat_length_ok(copy) and "const long long n)" in render_cuda(copy, "k", True)
    for kernel in (reduction, flip):
        assert not flat_length_ok(kernel)
        with pytest.raises(AssertionError, match="not a flat elementwise kernel"):
            render_cuda(kernel, "k", length_param=True)


@needs_nvcc
@pytest.mark.run_last
def test_every_kernel_of_this_session_compiles_to_ptx(cases):
    """Every kernel the test session's jitted programs compiled for the CPU so far (run last,
    so that with the whole suite it covers the suite's programs: under `make test`'s
    several pytest processes, those of the process it runs in, about 1/n of them, a
    different share each run)."""
    done = {k.key() for c in cases for k in c.kernels()}
    # (a CPU row chain stands for its member kernels, which CUDA compiles one by one; eager
    # kernels with extents read at run time are CPU-only)
    seen = [k for c in list(KERNELS._memory.values())
            for k in (c.kernel.kernels if isinstance(c.kernel, KernelChain) else (c.kernel,))
            if k.extents is None]
    kernels = [k for k in _unique(seen) if k.key() not in done]
    if not kernels:
        pytest.skip("no other kernels were compiled in this session")
    with tempfile.TemporaryDirectory(prefix="mxjit-ptx-") as d:
        compile_ptx(kernels, Path(d), per_file=200)


# ---- the CUDA C, run on the host ---------------------------------------------------------


@pytest.fixture(scope="module")
def emulated(cases):
    programs = [c.lower(compile=catalog.Uncompiled) for c in cases]
    return programs, cuda_emu.build_for(programs)  # (cached in the temp dir by content)


@needs_gxx
@pytest.mark.parametrize("group", ["elementwise", "cast", "reduce", "movement", "program"])
def test_emulated_cuda_computes_what_numpy_does(cases, emulated, group):
    programs, module = emulated
    chosen = [(c, p) for c, p in zip(cases, programs) if c.group == group]
    assert chosen
    for case, program in chosen:
        got = cuda_emu.run_program(program, case.arrays, module, TINY)
        catalog.check_case(case, got, what="emulated CUDA: ")


@needs_gxx
def test_emulated_two_stage_and_block_reductions_match_one_thread(tmp_path):
    """Every schedule of the same reduction gives the sequential (CPU-order) answer for
    max/argmax (exact) and sum (close), including the two-stage partials."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 5000)).astype(np.float32)
    x[0, [10, 4000]] = 3.5  # a tie: the first index wins
    x[1, [7, 2500]] = np.nan  # the first NaN wins
    kernels = [(_reduce_kernel((2, 5000), (False, True), op), f"k_{op}")
               for op in ("sum", "max", "argmax", "argmin")]
    module = cuda_emu.EmulatedModule.build(kernels, str(tmp_path))
    for k, sym in kernels:
        ref = None
        for props in (TINY, DeviceProps(multiprocessors=1, max_threads_per_block=128,
                                        max_threads_per_multiprocessor=128)):
            for launches in (launch_config(k, sym, props),
                             [Launch(sym + "_part", 3, 64, 5), Launch(sym + "_fin", 2, 32, 5)],
                             [Launch(sym, 1, 96)]):
                out = np.zeros(2, k.buffers[1])
                cuda_emu.run_kernel(module, k, sym, [x, out], props, launches)
                if ref is None:
                    ref = out
                elif k.reduction.op == "sum":
                    np.testing.assert_allclose(out, ref, rtol=1e-5)
                else:
                    np.testing.assert_array_equal(out, ref)
        if k.reduction.op == "argmax":
            assert ref.tolist() == [10, 7]
        if k.reduction.op == "argmin":
            assert ref.tolist() == [int(np.argmin(x[0])), 7]


@needs_gxx
def test_emulated_vector_path_handles_unaligned_pointers_and_tails(tmp_path):
    """The 16-byte path is taken only when every pointer is aligned; the tail and the
    unaligned case run the scalar loop, with the same results."""
    f16 = np.dtype(np.float16)
    kernels = [(_map_kernel(1001), "k_f32"), (_map_kernel(1001, f16), "k_f16")]
    module = cuda_emu.EmulatedModule.build(kernels, str(tmp_path))
    for k, sym in kernels:
        dtype = k.buffers[0]
        assert schedule(k).vector > 1
        base = np.arange(1003).astype(dtype)
        for shift in (0, 1):  # (numpy's buffers are 16-byte aligned; +1 element is not)
            x = base[shift:shift + 1001]
            out = np.zeros(1002, dtype)[shift:shift + 1001]
            cuda_emu.run_kernel(module, k, sym, [x, out], TINY)
            np.testing.assert_array_equal(out, -x)
