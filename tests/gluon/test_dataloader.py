"""The DataLoader: batches and last_batch modes as MXNet 1.9.1 gives them (hard-coded from
runs of real MXNet), the default batchify, and worker processes and threads giving the same
batches as the loop in this process, with their errors, timeouts and fork safety."""
from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import MXNetError
from mxjit.gluon.data import ArrayDataset, BatchSampler, DataLoader, SequentialSampler
from mxjit.gluon.data.dataloader import default_batchify_fn, default_mp_batchify_fn

ROOT = Path(__file__).resolve().parents[2]
needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="workers are forked (POSIX)")

TEN = ArrayDataset(np.arange(10) * 1.5, np.arange(10))


def values(batches):
    """Batches (lists of NDArrays) as nested Python lists, to compare them."""
    return [[part.asnumpy().tolist() for part in batch] for batch in batches]


# ---- batchify -------------------------------------------------------------------------------


def test_default_batchify_stacks_and_keeps_dtypes():
    assert default_batchify_fn([1, 2, 3]).dtype == np.int64
    assert default_batchify_fn([1.0, 2.0]).dtype == np.float64
    assert default_batchify_fn([np.float32(1)]).dtype == np.float32
    assert default_batchify_fn([True, False]).dtype == np.bool_
    images = default_batchify_fn([np.ones((2, 2), dtype=np.uint8)] * 3)
    assert images.dtype == np.uint8 and images.shape == (3, 2, 2)
    rows = default_batchify_fn([mx.nd.ones((2,)), mx.nd.zeros((2,))])
    assert isinstance(rows, mx.nd.NDArray) and rows.asnumpy().tolist() == [[1, 1], [0, 0]]
    assert default_batchify_fn([[1, 2], [3, 4]]).asnumpy().tolist() == [[1, 2], [3, 4]]


def test_default_batchify_recurses_into_tuples_giving_lists():
    out = default_batchify_fn([(mx.nd.ones((2,)), 1), (mx.nd.zeros((2,)), 2)])
    assert isinstance(out, list) and len(out) == 2
    assert out[0].asnumpy().tolist() == [[1, 1], [0, 0]] and out[1].asnumpy().tolist() == [1, 2]
    nested = default_batchify_fn([((1, 2), 3), ((4, 5), 6)])
    assert [[b.asnumpy().tolist() for b in nested[0]], nested[1].asnumpy().tolist()] == \
        [[[1, 4], [2, 5]], [3, 6]]
    assert values([default_mp_batchify_fn([(1, 2.5), (3, 4.5)])]) == [[[1, 3], [2.5, 4.5]]]


def test_default_batchify_says_what_it_cannot_batch():
    with pytest.raises(TypeError, match="samples of type dict .* batchify_fn"):
        default_batchify_fn([{"a": 1}, {"a": 2}])
    with pytest.raises(TypeError, match="samples of type str"):
        default_batchify_fn(["a", "b"])
    with pytest.raises(ValueError, match=r"shapes \[\(2,\), \(3,\)\]"):
        default_batchify_fn([np.ones(2), np.ones(3)])


# ---- batches and modes ----------------------------------------------------------------------


def test_shuffle_and_rollover_give_mxnets_batches():
    np.random.seed(3)
    loader = DataLoader(TEN, batch_size=3, shuffle=True, last_batch="rollover")
    labels = [[[5, 4, 1], [2, 9, 6], [7, 0, 3]],
              [[8, 3, 8], [2, 1, 9], [4, 0, 6]],
              [[7, 5, 0], [5, 8, 3], [9, 4, 7], [2, 6, 1]]]
    for epoch, length in zip(labels, [3, 3, 4]):
        assert len(loader) == length
        got = values(loader)
        assert [label for _, label in got] == epoch
        assert [data for data, _ in got] == [[1.5 * i for i in b] for b in epoch]


def test_keep_discard_and_the_batch_dtypes():
    kept = list(DataLoader(TEN, batch_size=4))
    assert [len(b[1]) for b in kept] == [4, 4, 2]
    assert kept[0][0].dtype == np.float64 and kept[0][1].dtype == np.int64
    discard = DataLoader(TEN, batch_size=4, last_batch="discard")
    assert len(discard) == 2 and values(discard)[1][1] == [4, 5, 6, 7]
    plain = list(DataLoader(np.arange(5.0), batch_size=2))
    assert plain[0].asnumpy().tolist() == [0.0, 1.0] and len(plain) == 3


def test_a_batch_sampler_or_a_sampler_chooses_the_batches():
    by_batches = DataLoader(TEN, batch_sampler=BatchSampler(SequentialSampler(10), 5))
    assert [b[1] for b in values(by_batches)] == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    by_sampler = DataLoader(TEN, batch_size=4, sampler=SequentialSampler(6, 4))
    assert [b[1] for b in values(by_sampler)] == [[4, 5, 6, 7], [8, 9]]


@pytest.mark.parametrize("kwargs, message", [
    (dict(), "batch_size must be specified"),
    (dict(batch_sampler=BatchSampler(SequentialSampler(10), 5), batch_size=2),
     "must not be specified if batch_sampler"),
    (dict(batch_size=2, shuffle=True, sampler=SequentialSampler(10)), "shuffle must not"),
    (dict(batch_size=2, timeout=0), "timeout must be positive"),
])
def test_conflicting_arguments_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DataLoader(TEN, **kwargs)


def test_a_custom_batchify_and_the_accepted_options():
    loader = DataLoader(TEN, batch_size=5, batchify_fn=lambda s: [label for _, label in s],
                        pin_memory=True, pin_device_id=0)
    assert list(loader) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]


@pytest.mark.parametrize("options", [dict(), dict(num_workers=2, thread_pool=True),
                                     pytest.param(dict(num_workers=2), marks=needs_fork)],
                         ids=["same process", "threads", "processes"])
def test_pin_memory_puts_batches_in_pinned_memory_as_mxnet(options):
    plain = DataLoader(TEN, batch_size=4, **options)
    assert {part.context for batch in plain for part in batch} == {mx.cpu(0)}
    pinned = DataLoader(TEN, batch_size=4, pin_memory=True, pin_device_id=1, **options)
    batches = list(pinned)
    assert {part.context for batch in batches for part in batch} == {mx.cpu_pinned(1)}
    assert values(batches) == values(plain)


def test_auto_reload_prepares_the_next_pass():
    seen = []
    ds = ArrayDataset(list(range(4))).transform(lambda x: seen.append(x) or x)
    loader = DataLoader(ds, batch_size=2, num_workers=1, thread_pool=True, auto_reload=True)
    assert values([[b] for b in loader]) == [[[0, 1]], [[2, 3]]]
    loader.clean()
    assert len(list(loader)) == 2


# ---- workers --------------------------------------------------------------------------------


def _scaled(x, label):
    """A transform running mxjit operators (in the workers too)."""
    return mx.nd.relu(mx.nd.array([x, -x]) * 2 + 1), label


def _fail_on_seven(x):
    if x == 7:
        raise ValueError("sample seven is broken")
    return x


def _sleep_on_three(x):
    if x == 3:
        time.sleep(1.5)
    return x


class _NeedsTwoArguments(Exception):
    def __init__(self, a, b):
        super().__init__(f"{a} {b}")


def _unpicklable_error(x):
    raise _NeedsTwoArguments(x, "no")


def _die(x):
    os.kill(os.getpid(), signal.SIGKILL)


@needs_fork
@pytest.mark.parametrize("options", [dict(num_workers=2), dict(num_workers=2, prefetch=0),
                                     dict(num_workers=2, thread_pool=True)],
                         ids=["processes", "no-prefetch", "threads"])
def test_workers_give_the_batches_of_the_loop_in_this_process(options):
    ds = TEN.transform(_scaled)
    expected = []
    for _ in range(2):
        np.random.seed(7)
        expected.append(values(DataLoader(ds, batch_size=3, shuffle=True)))
    loader = DataLoader(ds, batch_size=3, shuffle=True, **options)
    for epoch in expected:
        np.random.seed(7)
        assert values(loader) == epoch
    assert len(loader) == 4


@needs_fork
def test_workers_run_a_custom_batchify_and_send_back_any_structure():
    def batchify(samples):
        data = mx.nd.array([x for x, _ in samples])
        return {"data": data, "labels": (data * 2, [int(y) for _, y in samples])}

    loader = DataLoader(TEN, batch_size=4, num_workers=2, batchify_fn=batchify)
    batch = next(iter(loader))
    assert isinstance(batch["data"], mx.nd.NDArray) and batch["labels"][1] == [0, 1, 2, 3]
    assert batch["labels"][0].asnumpy().tolist() == [0, 3, 6, 9]


@needs_fork
def test_an_abandoned_pass_does_not_disturb_the_next():
    loader = DataLoader(TEN, batch_size=2, num_workers=2)
    for _ in loader:
        break
    first = iter(loader)
    second = iter(loader)
    assert next(first)[1].asnumpy().tolist() == [0, 1]
    assert next(second)[1].asnumpy().tolist() == [0, 1]
    assert [b[1].asnumpy().tolist() for b in first] == [[2, 3], [4, 5], [6, 7], [8, 9]]


@needs_fork
@pytest.mark.parametrize("thread_pool", [False, True], ids=["processes", "threads"])
def test_a_workers_exception_reaches_the_caller_with_its_traceback(thread_pool):
    ds = ArrayDataset(list(range(10))).transform(_fail_on_seven)
    loader = DataLoader(ds, batch_size=2, num_workers=2, thread_pool=thread_pool)
    with pytest.raises(ValueError, match="sample seven is broken") as info:
        list(loader)
    if thread_pool:
        assert info.traceback[-1].name == "_fail_on_seven"
    else:
        text = str(info.value.__cause__)
        assert "in DataLoader worker process" in text and "_fail_on_seven" in text
        assert 'raise ValueError("sample seven is broken")' in text
    assert next(iter(loader)).asnumpy().tolist() == [0, 1]  # (the workers go on)


@needs_fork
def test_an_exception_that_cannot_be_pickled_arrives_as_its_text():
    loader = DataLoader(ArrayDataset([1, 2]).transform(_unpicklable_error), batch_size=1,
                        num_workers=1)
    with pytest.raises(MXNetError, match="_NeedsTwoArguments: 1 no") as info:
        list(loader)
    assert "_unpicklable_error" in str(info.value.__cause__)


@needs_fork
@pytest.mark.parametrize("thread_pool", [False, True], ids=["processes", "threads"])
def test_a_slow_worker_times_out(thread_pool):
    ds = ArrayDataset(list(range(6))).transform(_sleep_on_three)
    loader = DataLoader(ds, batch_size=2, num_workers=2, thread_pool=thread_pool,
                        timeout=0.3)
    start = time.monotonic()
    with pytest.raises(multiprocessing.TimeoutError, match="timeout=0.3"):
        list(loader)
    assert time.monotonic() - start < 1.4


@needs_fork
def test_a_dead_worker_is_reported_at_once():
    loader = DataLoader(ArrayDataset([1, 2, 3]).transform(_die), batch_size=1, num_workers=1)
    with pytest.raises(MXNetError, match="killed by signal 9"):
        list(loader)
    with pytest.raises(MXNetError, match="killed by signal 9"):
        list(loader)


@needs_fork
def test_workers_that_were_shut_down_say_so():
    loader = DataLoader(TEN, batch_size=2, num_workers=1)
    loader._workers.close()
    with pytest.raises(MXNetError, match="worker processes were shut down"):
        list(loader)


FORK_SCENARIO = """
import numpy as np
import mxjit as mx
from mxjit.gluon.data import ArrayDataset, DataLoader

double = mx.jit(lambda a: a * 2 + 1)

def transform(x, label):
    # a kernel the parent compiled, one it did not, and the large kernel's thread pool
    big = mx.nd.ones((1024, 1024)) * float(label)
    return double(mx.nd.array(x)).tanh() + big.sum() * 0, label

if __name__ == "__main__":
    x = mx.nd.ones((2048, 1024))  # starts the kernel thread pool in the parent
    assert float((x * 3).sum().asscalar()) == 3 * 2048 * 1024
    assert double(mx.nd.ones(4)).asnumpy().tolist() == [3.0] * 4
    ds = ArrayDataset(np.random.rand(24, 4).astype(np.float32), np.arange(24))
    loader = DataLoader(ds.transform(transform), batch_size=4, num_workers=2)
    for epoch in range(2):
        got = [label.asnumpy().tolist() for _, label in loader]
    assert got == [list(range(i, i + 4)) for i in range(0, 24, 4)], got
    print("done")
"""


@needs_fork
def test_forked_workers_run_mxjit_ops_after_the_parent_did(tmp_path):
    script = tmp_path / "scenario.py"
    script.write_text(textwrap.dedent(FORK_SCENARIO))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    # (a session of its own, so that a hang's workers are killed with it)
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"the DataLoader hung after fork:\n{out}\n{err}")
    assert proc.returncode == 0 and "done" in out, out + err
