"""The DataLoader's workers: processes (`ProcessWorkers`) or threads (`ThreadWorkers`)
that run one function on tasks, handing each result back by the ticket `submit` gave.

Each worker process has a pipe of its own: task k goes to worker k mod n, which answers
its tasks in order, so the caller reads the answer to task k from that one pipe. No
helper thread runs in the calling process, and a dead worker is noticed at once (its
process sentinel wakes the wait) rather than after the timeout. Processes are forked
where the platform can (the dataset and the function are inherited, not pickled) and
spawned elsewhere; mxjit resets its locks and thread pool in a forked child
(`mxjit.context.after_fork_in_child`), so a worker can run mxjit operators.
"""
from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import pickle
import signal
import time
import traceback
from collections.abc import Callable, Iterable
from multiprocessing.connection import Connection, wait
from typing import Any, NoReturn

from ...base import MXNetError, WorkerTraceback

_START_METHOD = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"


def _timeout_error(timeout: float, what: str) -> multiprocessing.TimeoutError:
    return multiprocessing.TimeoutError(
        f"DataLoader: no batch from the {what} within timeout={timeout} s; a slow dataset "
        f"or transform needs a larger `timeout`")


def _serve(conn: Connection, fn: Callable[[Any], Any]) -> None:
    """A worker process's loop: answer each (ticket, task) with (ticket, ok, value)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # (Ctrl-C is for the caller to handle)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the caller is gone
            return
        if message is None:
            return
        ticket, task = message
        try:
            try:
                conn.send((ticket, True, fn(task)))
            except Exception as e:  # (the result failing to pickle included)
                conn.send((ticket, False, _portable(e)))
        except (BrokenPipeError, ConnectionResetError):
            return


def _portable(e: Exception) -> tuple[Exception, str]:
    """`e`, or a stand-in when it does not survive pickling, and its traceback text."""
    text = f"in DataLoader worker process {os.getpid()}:\n" + "".join(
        traceback.format_exception(type(e), e, e.__traceback__))
    try:
        pickle.loads(pickle.dumps(e))
    except Exception:
        e = MXNetError(f"{type(e).__name__}: {e}")
    return e, text


class ProcessWorkers:
    """`num_workers` processes that run `fn(task)`; results come back by ticket.

    >>> workers = ProcessWorkers(len, 2)  # doctest: +SKIP
    >>> workers.result(workers.submit([1, 2]), timeout=10)  # doctest: +SKIP
    2
    """

    def __init__(self, fn: Callable[[Any], Any], num_workers: int):
        ctx: Any = multiprocessing.get_context(_START_METHOD)
        self._conns: list[Connection] = []
        self._procs: list[Any] = []
        self._ready: dict[int, tuple[bool, Any]] = {}
        self._dropped: set[int] = set()
        self._next = 0
        self._broken: str | None = None
        for _ in range(num_workers):
            mine, theirs = ctx.Pipe()
            proc = ctx.Process(target=_serve, args=(theirs, fn), daemon=True,
                               name="DataLoaderWorker")
            proc.start()
            theirs.close()
            self._conns.append(mine)
            self._procs.append(proc)

    def submit(self, task: Any) -> int:
        """Queue `task`; returns the ticket to collect its result with."""
        self._check()
        ticket, self._next = self._next, self._next + 1
        w = ticket % len(self._conns)
        try:
            self._conns[w].send((ticket, task))
        except (BrokenPipeError, ConnectionResetError):
            self._died(w)
        return ticket

    def result(self, ticket: int, timeout: float) -> Any:
        """The result of task `ticket`, waiting at most `timeout` seconds; a worker's
        exception is raised here, its traceback text as the `__cause__`."""
        deadline = time.monotonic() + timeout
        while ticket not in self._ready:
            self._check()
            self._receive(ticket % len(self._conns), deadline, timeout)
        ok, value = self._ready.pop(ticket)
        if ok:
            return value
        error, text = value
        error.__cause__ = WorkerTraceback(text)
        raise error

    def forget(self, tickets: Iterable[int]) -> None:
        """Drop the results of `tickets`, now or when they arrive."""
        for t in tickets:
            if self._ready.pop(t, None) is None:
                self._dropped.add(t)

    def close(self) -> None:
        """Stop the workers (mid-task ones too)."""
        for conn in self._conns:
            conn.close()
        for proc in self._procs:
            if proc.is_alive():
                proc.terminate()
            proc.join(timeout=5)
        self._conns, self._procs = [], []
        self._broken = "the DataLoader's worker processes were shut down"

    def _receive(self, w: int, deadline: float, timeout: float) -> None:
        conn, proc = self._conns[w], self._procs[w]
        ready = wait([conn, proc.sentinel], timeout=max(0.0, deadline - time.monotonic()))
        if not ready:
            raise _timeout_error(timeout, f"worker process {proc.pid}")
        if conn not in ready:
            self._died(w)
        try:
            ticket, ok, value = conn.recv()
        except (EOFError, OSError):
            self._died(w)
        if ticket in self._dropped:
            self._dropped.discard(ticket)
        else:
            self._ready[ticket] = (ok, value)

    def _died(self, w: int) -> NoReturn:
        proc = self._procs[w]
        proc.join(timeout=1)
        code = proc.exitcode
        how = (f"was killed by signal {-code}" if code is not None and code < 0
               else f"exited with code {code}")
        self._broken = (f"DataLoader worker process {proc.pid} {how} (out of memory? a "
                        f"crash in native code?)")
        raise MXNetError(self._broken)

    def _check(self) -> None:
        if self._broken is not None:
            raise MXNetError(self._broken)


class ThreadWorkers:
    """`num_workers` threads of this process that run `fn(task)`; results by ticket.

    >>> workers = ThreadWorkers(len, 2)  # doctest: +SKIP
    >>> workers.result(workers.submit([1, 2]), timeout=10)  # doctest: +SKIP
    2
    """

    def __init__(self, fn: Callable[[Any], Any], num_workers: int):
        self._fn = fn
        self._pool = concurrent.futures.ThreadPoolExecutor(num_workers,
                                                           thread_name_prefix="DataLoader")
        self._futures: dict[int, concurrent.futures.Future] = {}
        self._next = 0

    def submit(self, task: Any) -> int:
        """Queue `task`; returns the ticket to collect its result with."""
        ticket, self._next = self._next, self._next + 1
        self._futures[ticket] = self._pool.submit(self._fn, task)
        return ticket

    def result(self, ticket: int, timeout: float) -> Any:
        """The result of task `ticket`, waiting at most `timeout` seconds."""
        try:
            return self._futures.pop(ticket).result(timeout)
        except concurrent.futures.TimeoutError:
            raise _timeout_error(timeout, "worker threads") from None

    def forget(self, tickets: Iterable[int]) -> None:
        """Drop the results of `tickets` (cancelling those not started)."""
        for t in tickets:
            future = self._futures.pop(t, None)
            if future is not None:
                future.cancel()

    def close(self) -> None:
        """Stop the threads once their running tasks end."""
        self._pool.shutdown(wait=False, cancel_futures=True)
