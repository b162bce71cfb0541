"""How many threads run kernels: MXJIT_NUM_THREADS, MXNet's OMP_NUM_THREADS, the affinity."""
import os

import pytest

from mxjit.lower import program


def test_the_environment_sets_the_kernel_threads():
    assert program.kernel_threads({"MXJIT_NUM_THREADS": "3"}) == 3
    assert program.kernel_threads({"OMP_NUM_THREADS": "1"}) == 1
    # mxjit's own setting wins over MXNet's
    assert program.kernel_threads({"MXJIT_NUM_THREADS": "4", "OMP_NUM_THREADS": "1"}) == 4


def test_without_a_setting_the_threads_are_the_cpus_the_process_may_use():
    assert program.kernel_threads({}) == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5"])
def test_a_bad_setting_is_ignored_with_a_warning(value):
    with pytest.warns(RuntimeWarning, match=f"MXJIT_NUM_THREADS={value!r} is not a positive"):
        threads = program.kernel_threads({"MXJIT_NUM_THREADS": value, "OMP_NUM_THREADS": "2"})
    assert threads == 2
