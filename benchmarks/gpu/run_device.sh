#!/usr/bin/env bash
# The CUDA backend's checks on a machine with a GPU, in one call of at most 7 minutes:
# install pycuda from the offline wheels, run the GPU tests, the GPU benchmark and the
# Gluon GPU tests; the benchmark's table prints again last.
#
# Before (on a machine with ../shared): copy the wheels into the ignored .device folder,
#   mkdir -p .device && cp -r ../shared/wheels/cp312 .device/wheels
# then on the GPU machine, from the repository root (the device tool: carry [".device"]):
#   bash benchmarks/gpu/run_device.sh
# Options through the environment: GPU_TEST_TIMEOUT (s, default 180), BENCH_TIMEOUT (s,
# default 120), GLUON_TEST_TIMEOUT (s, default 120), BENCH_ARGS (e.g. --quick). A log goes
# to $OUT/gpu_log.txt and the benchmark's output to $OUT/gpu_bench.txt when OUT is set.
set -uo pipefail
cd "$(dirname "$0")/../.."
log=${OUT:-/tmp}/gpu_log.txt
exec > >(tee "$log") 2>&1

python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site \
    .device/wheels/*.whl || { echo "installing the pycuda wheels failed"; exit 1; }
export PYTHONPATH=/tmp/site:$PWD
export PYTHONUNBUFFERED=1
export MXJIT_CACHE_DIR=${MXJIT_CACHE_DIR:-/tmp/mxjit-cache}

echo "== device"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
command -v nvcc && nvcc --version | tail -1
python3 - <<'EOF'
import mxjit as mx
from mxjit.lower import cuda_runtime as rt
print("num_gpus", mx.context.num_gpus(), "reason", rt.unavailable_reason())
if mx.context.num_gpus():
    d = rt.device(0)
    print(d, d.props)
EOF

# Three stages, each with its own time limit (together under the device tool's 10 minutes
# a call): the core GPU tests, the benchmark, then the Gluon tests, whose eager ops compile
# one nvcc module per new shape and so take longest. Each test's result prints as it ends
# (-v), so a stage cut short by its limit still shows how far it got.
gpu_tests() {  # gpu_tests <title> <time limit, s> <pytest -k expression>
    echo "== $1"
    local t0=$SECONDS
    timeout "$2" python3 -m pytest tests/gpu/test_gpu.py -k "$3" -v -p no:cacheprovider \
        -o addopts="" --tb=short --maxfail=10 -rfE --durations=10
    local rc=$?
    echo "$1: exit $rc in $((SECONDS - t0)) s"
    return $rc
}

gpu_tests "GPU tests" "${GPU_TEST_TIMEOUT:-180}" "not gluon and not hybridized"
tests_rc=$?

echo "== GPU benchmark"
timeout "${BENCH_TIMEOUT:-120}" python3 benchmarks/gpu/bench_gpu.py ${BENCH_ARGS:-} \
    | tee "${OUT:-/tmp}/gpu_bench.txt"
bench_rc=${PIPESTATUS[0]}

gpu_tests "Gluon on the GPU" "${GLUON_TEST_TIMEOUT:-120}" "gluon or hybridized"
gluon_rc=$?

echo "== the benchmark's table"
tail -n 20 "${OUT:-/tmp}/gpu_bench.txt"
exit $(( tests_rc != 0 ? tests_rc : (bench_rc != 0 ? bench_rc : gluon_rc) ))
