#!/usr/bin/env bash
# The CUDA backend's checks on a machine with a GPU, in one call of a few minutes:
# install pycuda from the offline wheels, run the GPU tests, then the GPU benchmark,
# whose table prints last.
#
# Before (on a machine with ../shared): copy the wheels into the ignored .device folder,
#   mkdir -p .device && cp -r ../shared/wheels/cp312 .device/wheels
# then on the GPU machine, from the repository root (the device tool: carry [".device"]):
#   bash benchmarks/gpu/run_device.sh
# Options through the environment: GPU_TEST_TIMEOUT (s, default 330), BENCH_TIMEOUT (s,
# default 150), BENCH_ARGS (e.g. --quick). A log goes to $OUT/gpu_log.txt when OUT is set.
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

echo "== GPU tests"
t0=$SECONDS
timeout "${GPU_TEST_TIMEOUT:-330}" python3 -m pytest tests/gpu/test_gpu.py -x -q \
    -p no:cacheprovider -o addopts="" --durations=10
tests_rc=$?
echo "GPU tests: exit $tests_rc in $((SECONDS - t0)) s"

echo "== GPU benchmark (the table is last)"
timeout "${BENCH_TIMEOUT:-150}" python3 benchmarks/gpu/bench_gpu.py ${BENCH_ARGS:-}
bench_rc=$?
exit $(( tests_rc != 0 ? tests_rc : bench_rc ))
