"""`dist_async`: asynchronous updates through a server thread on rank 0, over MPI.

Rank 0 runs, besides its worker, a server thread that owns the stored values. A push is
one message to it: the worker sums its devices' values and goes on without waiting for
the other workers; the server applies each push as it arrives (ASSIGN, or the optimizer
given to `set_optimizer`), one at a time. A pull asks the server for the current values
and waits for the answer. The guarantees (those of MXNet's `dist_async`):

* no two updates of a key run at the same time; pushes of different workers are applied
  in the order they arrive, which nothing fixes;
* a worker's own messages arrive in the order it sent them (MPI's non-overtaking rule),
  so its pull sees its earlier pushes; when it also sees other workers' pushes depends on
  timing;
* `init` stores rank 0's values and returns on every worker after they are stored;
  `barrier()` waits for every worker.

Requests travel on one duplicated communicator and answers on another, so the server
thread never takes an answer meant for rank 0's worker. At exit the workers meet in a
barrier and rank 0 stops its server.

    >>> kv = mx.kv.create('dist_async')  # under mpiexec  # doctest: +SKIP
    >>> kv.push('w', grad)  # applied on the server without waiting for others  # doctest: +SKIP
"""
from __future__ import annotations

import atexit
import threading
import time
from typing import Any

import numpy as np

from .. import optimizer as opt
from ..base import MXNetKeyError, ParamError, ShapeError
from ..nd import NDArray
from . import mpi
from .compression import TwoBitCompression
from .keys import Key
from .local import KVStore, as_ndarray, check_first_init, write

__all__ = ["DistAsyncKVStore"]

#: message tags of requests (to the server) and answers (to a worker)
INIT, PUSH, PUSH_2BIT, PULL, STOP, ANSWER = 1, 2, 3, 4, 5, 6
#: seconds the idle server sleeps between polls (an idle blocking receive would spin)
POLL_S = 0.0002


class AsyncServer:
    """The stored values and the updater of a `dist_async` store, served to every worker
    from a thread of rank 0."""

    def __init__(self, requests: Any, answers: Any) -> None:
        self.requests, self.answers = requests, answers
        self.store: dict[Key, NDArray] = {}
        self.updater: Any = None
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._serve, name="mxjit-kvstore-server",
                                       daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        from mpi4py import MPI

        status = MPI.Status()
        try:
            while True:
                if not self.requests.Iprobe(source=MPI.ANY_SOURCE, tag=MPI.ANY_TAG,
                                            status=status):
                    time.sleep(POLL_S)
                    continue
                source, tag = status.Get_source(), status.Get_tag()
                body = self.requests.recv(source=source, tag=tag)
                if tag == STOP:
                    return
                with self.lock:
                    answer = self._handle(tag, body)
                if answer is not None:
                    self.answers.send(answer, dest=source, tag=ANSWER)
        except Exception:
            mpi.print_traceback_and_abort(self.requests)

    def _handle(self, tag: int, body: Any) -> Any:
        if tag == INIT:
            for k, v in body:
                self.store[k] = NDArray._wrap(np.array(v, copy=True))
            return True
        if tag == PUSH:
            for k, v in body:
                self._apply(k, v)
            return None
        if tag == PUSH_2BIT:
            threshold, packed = body
            gc = TwoBitCompression(threshold)
            for k, codes, shape, dtype in packed:
                size = int(np.prod(shape, dtype=np.int64))
                self._apply(k, gc.dequantize(codes, size).reshape(shape).astype(dtype))
            return None
        return [self.store[k].asnumpy() for k in body]  # PULL

    def _apply(self, key: Key, value: np.ndarray) -> None:
        stored = self.store[key]
        if self.updater is None:
            np.copyto(stored._buffer(), value, casting="unsafe")
        else:
            name = key.encode() if isinstance(key, str) else key
            self.updater(name, as_ndarray(value, stored.context), stored)


class DistAsyncKVStore(mpi.WorldMember, KVStore):
    """An asynchronous store: a push is applied on rank 0's server without waiting for
    the other workers.

    >>> kv = mx.kv.create('dist_async')  # doctest: +SKIP
    """

    _sums_rows = False  # (workers' sums travel dense)

    def __init__(self, name: str = "dist_async") -> None:
        super().__init__(name)
        self._comm = mpi.world()
        self._requests = self._comm.Dup()
        self._answers = self._comm.Dup()
        self._server = AsyncServer(self._requests, self._answers) if self.rank == 0 else None
        self._shapes: dict[Key, tuple[tuple[int, ...], Any]] = {}
        atexit.register(self._shutdown)

    def init(self, key: Any, value: Any) -> None:
        items = self._order.group(key, value)
        for k, arrays in items:
            check_first_init(k, self._shapes)
            self._shapes[k] = (arrays[0].shape, arrays[0].dtype)
        mpi.check_agreement(self._comm, "init",
                            [(k, a[0].shape, str(a[0].dtype)) for k, a in items])
        if self.rank == 0:
            self._ask(INIT, [(k, a[0].asnumpy()) for k, a in items])
        self._comm.Barrier()

    def push(self, key: Any, value: Any, priority: int = 0) -> None:
        items = self._order.group(key, value)
        for k, arrays in items:
            self._check(k, "push", arrays[0].shape)
        merged = [(k, self._merge(k, arrays)) for k, arrays in items]
        gc = self._compression
        if gc is None:
            self._requests.send(merged, dest=0, tag=PUSH)
        else:  # (the packed 2-bit codes travel: 1/16 of the bytes)
            packed = [(k, gc.quantize(k, m), m.shape, m.dtype) for k, m in merged]
            self._requests.send((gc.threshold, packed), dest=0, tag=PUSH_2BIT)

    def pull(self, key: Any, out: Any = None, priority: int = 0,
             ignore_sparse: bool = True) -> None:
        if out is None:
            raise ParamError("KVStore.pull: out= is required")
        items = self._order.group(key, out, "out")
        for k, _ in items:
            self._check(k, "pull")
        values = self._ask(PULL, [k for k, _ in items])
        for (k, outs), v in zip(items, values):
            for o in outs:
                if not (ignore_sparse and o.stype != "default"):
                    write(o, v, k, "pull")

    def row_sparse_pull(self, key: Any, out: Any = None, priority: int = 0,
                        row_ids: Any = None) -> None:
        raise ParamError("KVStore.row_sparse_pull: dist_async stores dense values only; "
                         "use pull")

    def _set_updater(self, updater: Any) -> None:
        # (the server is a thread of rank 0: rank 0's updater object is the one it runs)
        self._updater = updater
        if self._server is not None:
            with self._server.lock:
                self._server.updater = updater
        self._comm.Barrier()

    set_updater = _set_updater

    def save_optimizer_states(self, fname: str, dump_optimizer: bool = False) -> None:
        self._server_updater("save_optimizer_states")
        with self._server.lock:  # type: ignore[union-attr]
            super().save_optimizer_states(fname, dump_optimizer)

    def load_optimizer_states(self, fname: str) -> None:
        self._server_updater("load_optimizer_states")
        with self._server.lock:  # type: ignore[union-attr]
            super().load_optimizer_states(fname)

    def _server_updater(self, call: str) -> None:
        if self._server is None or not isinstance(self._updater, opt.Updater):
            raise ParamError(f"KVStore.{call}: dist_async keeps the optimizer's states on "
                             f"rank 0's server; call it on rank 0 after set_optimizer")

    def _check(self, key: Key, call: str, shape: tuple[int, ...] | None = None) -> None:
        known = self._shapes.get(key)
        if known is None:
            raise MXNetKeyError(f"KVStore.{call}: key {key!r} has not been inited (call "
                                f"kv.init first)")
        if shape is not None and tuple(shape) != known[0]:
            raise ShapeError(f"KVStore.{call}: key {key!r} holds shape {known[0]}, the "
                             f"pushed value has shape {tuple(shape)}")

    def _ask(self, tag: int, body: Any) -> Any:
        self._requests.send(body, dest=0, tag=tag)
        return self._answers.recv(source=0, tag=ANSWER)

    def _shutdown(self) -> None:
        from mpi4py import MPI

        if MPI.Is_finalized():
            return
        self._comm.Barrier()
        if self._server is not None:
            self._requests.send(None, dest=0, tag=STOP)
            self._server.thread.join()
