"""Run the CUDA C that `mxjit.lower.cuda` renders on the host, without a GPU.

The sources are compiled as C++20 by g++ against a small emulation header: every CUDA
thread of a block is a host thread, `__syncthreads` is a barrier over the block, warp
shuffles exchange values through memory between two barriers of the warp, `__shared__`
variables are statics (blocks run one after another), float16 conversions use `_Float16`,
and math functions are the host's libm (plus CUDA's `erfinv`, which it lacks). This checks
the renderings' semantics and the reduction schedules (trees, shuffles, two-stage partials)
here; what it cannot check is CUDA's own compiler and math library, which the PTX test and
the GPU tests cover.

>>> emu = EmulatedModule.build([(kernel, "k0")])  # doctest: +SKIP
>>> run_kernel(emu, kernel, "k0", [x, out], DeviceProps(multiprocessors=2))  # doctest: +SKIP
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from mxjit.lower.cuda import (
    DeviceProps,
    Launch,
    cuda_symbol,
    launch_config,
    render_cuda,
    workspace_layout,
)
from mxjit.lower.kernel import Kernel
from mxjit.lower.program import KernelStep, Program, _apply_views

HEADER = r"""
#define MXJIT_HOST_EMULATION 1
#include <algorithm>
#include <barrier>
#include <cmath>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>
using std::min;
using std::max;
#define __device__
#define __forceinline__ inline
#define __global__
#define __shared__ static
#define __launch_bounds__(n)
struct dim3 { unsigned int x, y, z; };
static thread_local dim3 threadIdx, blockIdx;
static dim3 blockDim, gridDim;
struct __attribute__((aligned(8))) uint2 { unsigned int x, y; };
struct __attribute__((aligned(16))) uint4 { unsigned int x, y, z, w; };
inline int __float_as_int(float f) { int i; std::memcpy(&i, &f, 4); return i; }
inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, 4); return f; }
inline long long __double_as_longlong(double d) { long long i; std::memcpy(&i, &d, 8); return i; }
inline double __longlong_as_double(long long i) { double d; std::memcpy(&d, &i, 8); return d; }
inline unsigned int __umulhi(unsigned int a, unsigned int b) {
  return (unsigned int)(((unsigned long long)a * b) >> 32);
}
inline float mxj_h2f(unsigned short h) { _Float16 x; std::memcpy(&x, &h, 2); return (float)x; }
inline unsigned short mxj_f2h(float f) {
  _Float16 x = (_Float16)f; unsigned short h; std::memcpy(&h, &x, 2); return h;
}
/* CUDA's erfinv, which the host's libm lacks: Giles' approximation (or, past it, the
   asymptotic erfc(y) ~ exp(-y^2) / (y sqrt(pi))), then Newton steps on erf or erfc */
inline double mxj_emu_erfinv(double x) {
  static const double c[9] = {1.50140941, 0.246640727, -0.00417768164, -0.00125372503,
                              0.00021858087, -4.39150654e-06, -3.5233877e-06, 3.43273939e-07,
                              2.81022636e-08};
  static const double t[9] = {2.83297682, 1.00167406, 0.00943887047, -0.0076224613,
                              0.00573950773, -0.00367342844, 0.00134934322, 0.000100950558,
                              -0.000200214257};
  const double a = std::fabs(x), rpi = 1.0 / std::sqrt(M_PI);
  if (!(a <= 1.0)) return NAN;
  if (a == 1.0) return std::copysign(INFINITY, x);
  double w = -std::log((1.0 - a) * (1.0 + a)), y, p = 0.0;
  if (w < 16.0) {
    const double* k = w < 5.0 ? c : t;
    const double v = w < 5.0 ? w - 2.5 : std::sqrt(w) - 3.0;
    for (int i = 8; i >= 0; --i) p = p * v + k[i];
    y = a * p;
  } else {
    y = std::sqrt(w);
    for (int i = 0; i < 3; ++i) y = std::sqrt(w + std::log(2.0 * rpi) - std::log(y));
  }
  for (int i = 0; i < 3; ++i) {
    const double f = a < 0.5 ? std::erf(y) - a : (1.0 - a) - std::erfc(y);
    y -= f / (2.0 * rpi * std::exp(-y * y));
  }
  return std::copysign(y, x);
}
inline double erfinv(double x) { return mxj_emu_erfinv(x); }
inline float erfinvf(float x) { return (float)mxj_emu_erfinv(x); }
static std::barrier<>* emu_block_barrier;
static std::barrier<>* emu_warp_barrier[32];
static unsigned long long emu_slots[1024];
inline void __syncthreads() { emu_block_barrier->arrive_and_wait(); }
template <class T> T __shfl_xor_sync(unsigned, T v, int m) {
  unsigned t = threadIdx.x;
  std::memcpy(&emu_slots[t], &v, sizeof(T));
  emu_warp_barrier[t >> 5]->arrive_and_wait();
  T r;
  std::memcpy(&r, &emu_slots[(t & ~31u) | ((t & 31u) ^ (unsigned)m)], sizeof(T));
  emu_warp_barrier[t >> 5]->arrive_and_wait();
  return r;
}
#include <type_traits>
#include <utility>
template <class P> P emu_arg(void* p) {
  if constexpr (std::is_pointer_v<P>) return (P)p; else return *(P*)p;
}
template <class... Ps, std::size_t... I>
void emu_invoke(void (*k)(Ps...), void** a, std::index_sequence<I...>) {
  k(emu_arg<Ps>(a[I])...);
}
template <class... Ps> void emu_call(void (*k)(Ps...), void** a) {
  emu_invoke(k, a, std::index_sequence_for<Ps...>{});
}
static void emu_launch(unsigned grid, unsigned block, void (*body)(void**), void** args) {
  gridDim = {grid, 1, 1};
  blockDim = {block, 1, 1};
  for (unsigned b = 0; b < grid; ++b) {
    std::barrier<> bb(block);
    emu_block_barrier = &bb;
    std::vector<std::unique_ptr<std::barrier<>>> wb;
    for (unsigned w = 0; w * 32 < block; ++w) {
      wb.emplace_back(new std::barrier<>(std::min(32u, block - 32 * w)));
      emu_warp_barrier[w] = wb.back().get();
    }
    std::vector<std::thread> ts;
    for (unsigned t = 0; t < block; ++t)
      ts.emplace_back([=] { threadIdx = {t, 0, 0}; blockIdx = {b, 0, 0}; body(args); });
    for (auto& th : ts) th.join();
  }
}
"""


def gxx() -> str | None:
    """The host C++ compiler, when there is one that can build the emulation."""
    return shutil.which(os.environ.get("CXX", "g++"))


_KERNEL = re.compile(r'extern "C" __global__ void (?:__launch_bounds__\(\d+\) )?(\w+)\(')


def _wrappers(source: str) -> list[str]:
    """A host entry `emu_<name>(grid, block, void** args)` per kernel of `source`; args are
    addresses: of buffers for pointer parameters, of the value for the others."""
    return [f"static void body_{name}(void** a) {{ emu_call({name}, a); }}\n"
            f'extern "C" void emu_{name}(unsigned g, unsigned b, void** a) {{ '
            f"emu_launch(g, b, body_{name}, a); }}" for name in _KERNEL.findall(source)]


class EmulatedModule:
    """Shared libraries of rendered kernels built for host emulation (several, built in
    parallel, for a long list of kernels)."""

    def __init__(self, libs: list[ctypes.CDLL]):
        self.libs = libs

    @staticmethod
    def build(kernels: list[tuple[Kernel, str]], workdir: str | None = None,
              jobs: int | None = None) -> EmulatedModule:
        """Render `kernels` (with their symbols) and build them (in parallel chunks)."""
        jobs = max(1, min(jobs or os.cpu_count() or 1, len(kernels) // 40 or 1))
        sources = ["\n".join(render_cuda(k, s) for k, s in kernels[j::jobs])
                   for j in range(jobs)]
        return EmulatedModule.from_sources(sources, workdir)

    @staticmethod
    def from_sources(sources: list[str], workdir: str | None = None) -> EmulatedModule:
        """Build CUDA C sources (one library each, in parallel)."""
        with ThreadPoolExecutor(max_workers=max(1, len(sources))) as pool:
            paths = list(pool.map(lambda src: _build_library(src, workdir), sources))
        return EmulatedModule([ctypes.CDLL(str(p)) for p in paths])

    def launch(self, function: str, grid: int, block: int, args: list[int]) -> None:
        """Run `function` over `grid` blocks of `block` threads; `args` are addresses (of
        buffers, or of the int64 `parts` value)."""
        fn = next(getattr(lib, f"emu_{function}") for lib in self.libs
                  if hasattr(lib, f"emu_{function}"))
        arr = (ctypes.c_void_p * len(args))(*args)
        fn(ctypes.c_uint(grid), ctypes.c_uint(block), arr)


_FLAGS = ["-std=c++20", "-O0", "-w", "-fPIC", "-pthread"]
_pch_lock = threading.Lock()


def _compile(cmd: list[str], what: Path) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"g++ failed on {what}:\n{done.stderr[:4000]}")


def _header(where: Path) -> str:
    """The emulation header's name in `where`, precompiled once (a .gch next to it): the
    C++ standard headers it pulls in cost seconds per compile otherwise."""
    name = f"emu_{hashlib.blake2b(HEADER.encode(), digest_size=8).hexdigest()}.h"
    with _pch_lock:
        if not (where / f"{name}.gch").exists():
            (where / name).write_text(HEADER)
            tmp = where / f".{name}.{os.getpid()}.gch"
            _compile([gxx() or "g++", *_FLAGS, "-x", "c++-header", str(where / name), "-o",
                      str(tmp)], where / name)
            os.replace(tmp, where / f"{name}.gch")
    return name


def _build_library(cuda_source: str, workdir: str | None) -> Path:
    where = Path(workdir or tempfile.gettempdir()) / "mxjit-cuda-emu"
    where.mkdir(parents=True, exist_ok=True)
    header = _header(where)
    source = "\n".join([f'#include "{header}"', cuda_source, *_wrappers(cuda_source)])
    digest = hashlib.blake2b(source.encode(), digest_size=10).hexdigest()
    lib_path = where / f"emu_{digest}.so"
    if not lib_path.exists():
        cu = where / f"emu_{digest}.{os.getpid()}.{threading.get_ident()}.cpp"
        cu.write_text(source)
        tmp = where / f".emu_{digest}.{os.getpid()}.{threading.get_ident()}.so"
        _compile([gxx() or "g++", *_FLAGS, "-shared", "-I", str(where), "-x", "c++", str(cu),
                  "-o", str(tmp)], cu)
        os.replace(tmp, lib_path)
        cu.unlink()
    return lib_path


def run_kernel(module: EmulatedModule, kernel: Kernel, symbol: str, arrays: list[np.ndarray],
               props: DeviceProps, launches: list[Launch] | None = None) -> None:
    """Launch `kernel` on host `arrays` (inputs, then the output, written in place) the way
    the CUDA runtime would: `launch_config` for `props`, workspace for partials."""
    launches = launches if launches is not None else launch_config(kernel, symbol, props)
    ptrs = [a.ctypes.data for a in arrays]
    extra: list[int] = []
    keep: list[np.ndarray] = []
    size, index_at = workspace_layout(kernel, launches)
    if size:
        parts = max(ln.parts for ln in launches)
        ws = np.zeros(size + 256, np.uint8)
        base = (ws.ctypes.data + 255) // 256 * 256
        parts_arr = np.array([parts], np.int64)
        keep += [ws, parts_arr]
        extra = [base, base + index_at, parts_arr.ctypes.data]
    for ln in launches:
        module.launch(ln.function, ln.grid, ln.block, ptrs + (extra if ln.parts else []))


def run_program(program: Program, arrays: list[np.ndarray], module: EmulatedModule,
                props: DeviceProps) -> list[np.ndarray]:
    """`program.run(arrays)` with every kernel step run by the emulated CUDA C (kernel
    symbols: `cuda_symbol`); library steps and output views as on the CPU."""
    bufs: list[Any] = [None] * program.n_buffers
    bufs[: len(arrays)] = arrays
    for k, v in program.constants.items():
        bufs[k] = v
    for k, shape, dtype in program.allocations:
        bufs[k] = np.zeros(shape, dtype)
    for step in program.steps:
        if isinstance(step, KernelStep):
            kernel = step.compiled.kernel
            run_kernel(module, kernel, cuda_symbol(kernel), [bufs[a] for a in step.args], props)
        else:
            operands = [_apply_views(bufs[b], ops) for b, ops in step.args]
            bufs[step.out] = np.ascontiguousarray(step.fn(*operands, **step.attrs))
    return [_apply_views(bufs[k], ops) if ops else bufs[k] for k, ops in program.output_ids]


def build_for(programs: list[Program], workdir: str | None = None) -> EmulatedModule:
    """One emulated module holding every kernel of `programs`."""
    kernels = {}
    for p in programs:
        for c in p.kernels:
            kernels[cuda_symbol(c.kernel)] = c.kernel
    return EmulatedModule.build([(k, s) for s, k in kernels.items()], workdir)
