"""Summing a Trainer's gradients over the workers while the backward pass computes them.

A backward pass is one compiled program, but its gradients become final one by one: the
last layer's first. `OverlappedAllreduce` hears of each as soon as it is final (a gradient
watcher of `core/tape.py`), copies it into a flat bucket, and starts a non-blocking
allreduce (`Iallreduce`) of each bucket as soon as the bucket is full, while the program
goes on; between the program's steps it lets MPI progress (`Testall`). `step` then only
waits for the sums.

MXNet's order of events is kept: `step` sums the gradients as they are when it is called,
so a change made to them after `backward` (clipping, scaling) must win. The sums started
early are speculative: at `step` every worker compares its gradients with what it sent
(byte for byte), and the workers agree in one small allreduce whether all of them are
unchanged; if any changed (or the workers ran different numbers of backward passes since
the last step), the early sums are dropped and the store sums the gradients as they are
now, as without overlap.

Every worker must start the same collectives in the same order. Buckets are therefore
started strictly in their order (bucket k only after bucket k-1), their layout is agreed
once (rank 0's order of readiness, broadcast), a bucket not started during the backward
pass (a gradient that pass did not compute) is started at `step` with the gradient as it
is, and a worker that ran fewer backward passes than another starts dummy rounds at
`step` to match. Each backward pass whose gradients reach the trainer starts a round; a
round that no `step` consumed is finished without waiting and its sums dropped.

The first step only chooses the store; during the second backward pass the order in which
gradients become final is recorded, and from the third on the sums overlap. The first
bucket is small (`MXJIT_KVSTORE_FIRST_BUCKET_MB`, default 1) so communication starts early;
the others are as large as the store's (`MXJIT_KVSTORE_BUCKET_MB`). It is on when the
workers span several machines (`wanted`); `MXJIT_KVSTORE_OVERLAP=1` or `0` decides.

    >>> kv = mx.kv.create('dist_sync')  # under mpiexec  # doctest: +SKIP
    >>> trainer = gluon.Trainer(net.collect_params(), 'sgd', kvstore=kv)  # doctest: +SKIP
"""
from __future__ import annotations

import atexit
import ctypes
import os
import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core import tape
from . import mpi

#: bytes of the first bucket (the gradients final first: communication starts early)
FIRST_BUCKET_BYTES = int(float(os.environ.get("MXJIT_KVSTORE_FIRST_BUCKET_MB", "1")) * 2**20)

_memcmp = ctypes.CDLL(None).memcmp
_memcmp.restype = ctypes.c_int
_memcmp.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]


def wanted(comm: Any) -> bool:
    """Whether a distributed Trainer over the workers of `comm` (the world) overlaps its
    allreduce with the backward pass: `MXJIT_KVSTORE_OVERLAP` '1' or '0', else (unset or
    'auto') when the workers span several machines. On one machine an allreduce is
    shared-memory copies made by the same cores that compute, so overlapping gains
    nothing and its checks (a copy and a comparison of the gradients) cost a little;
    over a network the transfers leave the cores free. Every worker must call it (on
    first use it splits the world by machine).

    >>> wanted(mpi.world())  # doctest: +SKIP
    False
    """
    setting = os.environ.get("MXJIT_KVSTORE_OVERLAP", "auto").strip()
    if setting in ("0", "1"):
        return setting == "1"
    return int(mpi.local_comm().Get_size()) < int(comm.Get_size())


def plan_buckets(arrays: Sequence[np.ndarray], first: int = FIRST_BUCKET_BYTES,
                 limit: int = mpi.BUCKET_BYTES) -> list[list[int]]:
    """Consecutive runs of `arrays` (in the order given) of one dtype, the first of at
    most `first` bytes and the others of at most `limit` (an array larger than that is a
    bucket of its own).

    >>> plan_buckets([np.ones(4, 'f'), np.ones(4, 'f'), np.ones(4, 'd')], first=16)
    [[0], [1], [2]]
    """
    planned: list[list[int]] = []
    size = 0
    for i, a in enumerate(arrays):
        bound = first if len(planned) <= 1 else limit
        if planned and arrays[planned[-1][0]].dtype == a.dtype and size + a.nbytes <= bound:
            planned[-1].append(i)
            size += a.nbytes
        else:
            planned.append([i])
            size = a.nbytes
    return planned


class _Round:
    """One backward pass's sums: a send and a receive buffer per bucket, which slots are
    packed, how many buckets have started, and their requests."""

    def __init__(self, sends: list[np.ndarray], recvs: list[np.ndarray], slots: int):
        self.sends, self.recvs = sends, recvs
        self.packed = [False] * slots
        self.started = 0
        self.requests: list[Any] = []


class OverlappedAllreduce:
    """The overlapped sum of the gradients of `params` (Gluon Parameters, one context,
    dense) over the workers of `comm`: see the module docstring.

    >>> overlap = OverlappedAllreduce(mpi.world(), params)  # doctest: +SKIP
    >>> loss.backward(); sums = overlap.finish(params)  # doctest: +SKIP
    """

    def __init__(self, comm: Any, params: Sequence[Any]):
        from mpi4py import MPI

        self._mpi = MPI
        self._params = list(params)
        self._data = comm.Dup()  # (the buckets' allreduces, apart from the stores' calls)
        self._control = comm.Dup()  # (the agreements at `step`)
        #: slot -> (offset, elements) in its bucket's flat buffer, and its bucket
        self._where: list[tuple[int, int, int]] = []
        self._buckets: list[list[int]] = []
        self._layout: list[tuple[tuple[int, ...], np.dtype]] = []
        self._order: list[int] | None = None  # (while observing: the slots in order final)
        #: id(variable) -> (slot, variable): holding the variable, no other array can
        #: take its id while it is mapped
        self._slot_of: dict[int, tuple[int, Any]] = {}
        self._open: _Round | None = None
        self._rounds = 0  # rounds begun since the last `finish`
        self._retired: list[_Round] = []  # begun, superseded, not yet waited for
        self._spare: list[_Round] = []
        #: every round started and not yet waited for (their buffers must outlive their
        #: requests: if this object goes first, they are kept until MPI is finalized)
        self._pending: list[_Round] = []
        self._observing = True
        self._watched_a_step = False  # (whether a `step` came since this began observing)
        #: buckets started while their backward pass still had program steps to run, and
        #: steps whose gradients came summed from the backward pass, in all (for tests and
        #: benchmarks)
        self.started_in_backward = 0
        self.summed_steps = 0
        self._steps_run = 0  # (program steps run by the backward pass under way)
        self._started_at: list[int] = []  # (the step count when each of its buckets started)
        self._map_slots()
        tape.gradient_watchers.add(self)
        if not _live and not _orphaned:  # (after mpi4py's own exit handler: ours runs first)
            atexit.unregister(_close_all)
            atexit.register(_close_all)
        _live.add(self)
        weakref.finalize(self, _orphaned.extend, self._pending)

    # ---- the gradient watcher (`core/tape.py`) -----------------------------------------

    def begin(self, variables: list[Any]) -> dict[int, int]:
        """A backward pass over `variables` starts: the positions of those this sums
        (dense, one context, grad_req 'write'), each with its slot."""
        asked = {}
        for k, v in enumerate(variables):
            mapped = self._slot_of.get(id(v))
            if mapped is not None and mapped[1] is v and v._grad_req == "write":
                asked[k] = mapped[0]
        if not asked:
            return asked
        if self._observing:
            self._order = [] if self._order is None else self._order
            return asked
        if self._open is not None:
            self._retire(self._open)
        self._reap()
        self._open = self._new_round()
        self._pending.append(self._open)
        self._rounds += 1
        self._steps_run, self._started_at = 0, []
        return asked

    def final(self, slot: int, value: Any) -> None:
        """Gradient `slot` is final: pack it, and start every bucket now full (in order)."""
        if self._observing:
            if self._order is not None and slot not in self._order:
                self._order.append(slot)
            return
        r = self._open
        if r is None or r.packed[slot] or not self._fits(slot, value):
            return
        bucket, offset, n = self._where[slot]
        np.copyto(r.sends[bucket][offset:offset + n], np.ravel(value))
        r.packed[slot] = True
        started = r.started
        self._start_full(r)
        self._started_at += [self._steps_run] * (r.started - started)

    def stepped(self) -> None:
        """Let MPI progress the allreduces under way (MPICH moves data only inside MPI
        calls)."""
        self._steps_run += 1
        r = self._open
        if r is not None and r.requests:
            self._mpi.Request.Testall(r.requests)

    def end(self) -> None:
        """The backward pass has ended."""
        self.started_in_backward += sum(k < self._steps_run - 1 for k in self._started_at)
        self._started_at = []

    # ---- at `step` ---------------------------------------------------------------------

    def finish(self, params: Sequence[Any]) -> list[np.ndarray] | None:
        """Called by `step` on every worker with the parameters it sums: the sums of their
        gradients over the workers, computed while the last backward pass ran (views of
        this object's buffers, valid until the next backward pass), when every worker's
        gradients are still what it sent; None when they are not, or no backward pass
        started a round: the store then sums the gradients itself."""
        relaid = list(params) != self._params
        if relaid:
            self._params = list(params)
        self._map_slots()
        if self._observing:
            if self._watched_a_step:
                self._agree_on_layout()
            self._watched_a_step = True  # (a backward pass before the next step: observed)
            return None
        r = self._open
        grads = self._grads()
        relaid = relaid or any((g.shape, g.dtype) != kept for g, kept in zip(grads, self._layout))
        valid = r is not None and not relaid and self._unchanged(r, grads)
        counts = np.array([self._rounds, -self._rounds, not valid, relaid], np.int64)
        self._control.Allreduce(mpi.in_place(), counts, op=self._mpi.MAX)
        most, fewest, any_invalid = int(counts[0]), -int(counts[1]), bool(counts[2])
        waiting = self._retired + ([r] if r is not None else [])
        for w in waiting:
            self._start_rest(w, grads)
        for _ in range(most - self._rounds):  # (dummy rounds: the others ran more passes)
            dummy = self._new_round()
            self._start_rest(dummy, grads)
            waiting.append(dummy)
        for w in waiting:
            self._mpi.Request.Waitall(w.requests)
        self._spare.extend(waiting)
        self._retired, self._open, self._rounds = [], None, 0
        self._pending.clear()
        if counts[3]:  # (the parameters changed on some worker: lay the buckets out anew)
            self._observing, self._watched_a_step, self._spare = True, False, []
            return None
        if any_invalid or fewest != most or r is None:
            return None
        self.summed_steps += 1
        return [r.recvs[b][offset:offset + n].reshape(shape)
                for (b, offset, n), (shape, _) in zip(self._where, self._layout)]

    # ---- the pieces --------------------------------------------------------------------

    def _map_slots(self) -> None:
        data = [p.list_data()[0] for p in self._params]
        self._slot_of = {id(d): (s, d) for s, d in enumerate(data)}

    def _grads(self) -> list[np.ndarray]:
        """The gradient buffer of every slot."""
        return [p.list_grad()[0]._buffer() for p in self._params]

    def _fits(self, slot: int, value: Any) -> bool:
        shape, dtype = self._layout[slot]
        return isinstance(value, np.ndarray) and value.shape == shape and value.dtype == dtype

    def _agree_on_layout(self) -> None:
        """Rank 0's order of readiness (slots never seen last, in slot order), agreed by
        every worker, and the buckets over it."""
        order = self._order or []
        order = order + [s for s in range(len(self._params)) if s not in order]
        order = mpi.broadcast_object(self._control, order)
        grads = self._grads()
        mpi.check_agreement(self._control, "pushpull",
                            [(s, grads[s].shape, str(grads[s].dtype)) for s in order])
        self._layout = [(g.shape, g.dtype) for g in grads]
        self._buckets = [[order[i] for i in b]
                         for b in plan_buckets([grads[s] for s in order])]
        self._where = [(0, 0, 0)] * len(grads)
        for b, members in enumerate(self._buckets):
            offset = 0
            for s in members:
                self._where[s] = (b, offset, grads[s].size)
                offset += grads[s].size
        self._observing, self._order = False, None

    def _new_round(self) -> _Round:
        if self._spare:
            r = self._spare.pop()
            r.packed = [False] * len(self._layout)
            r.started, r.requests = 0, []
            return r
        sizes = [sum(int(np.prod(self._layout[s][0])) for s in members)
                 for members in self._buckets]
        dtypes = [self._layout[members[0]][1] for members in self._buckets]
        return _Round([np.empty(n, d) for n, d in zip(sizes, dtypes)],
                      [np.empty(n, d) for n, d in zip(sizes, dtypes)], len(self._layout))

    def _start_full(self, r: _Round) -> None:
        while r.started < len(self._buckets) and \
                all(r.packed[s] for s in self._buckets[r.started]):
            b = r.started
            r.requests.append(self._data.Iallreduce(r.sends[b], r.recvs[b],
                                                    op=self._mpi.SUM))
            r.started += 1

    def _start_rest(self, r: _Round, grads: list[np.ndarray]) -> None:
        """Pack what the round lacks from `grads` (the gradients as they are), and start
        the rest."""
        for slot, kept in enumerate(self._layout):
            if not r.packed[slot]:
                bucket, offset, n = self._where[slot]
                grad = grads[slot] if slot < len(grads) else None
                if grad is not None and (grad.shape, grad.dtype) == kept:  # (else: dropped)
                    np.copyto(r.sends[bucket][offset:offset + n], np.ravel(grad))
                r.packed[slot] = True
        self._start_full(r)

    def _retire(self, r: _Round) -> None:
        """A new backward pass supersedes round `r`: start what it lacks (every worker
        starts the same buckets), drop its sums once they arrive."""
        self._start_rest(r, self._grads())
        self._retired.append(r)

    def _reap(self) -> None:
        """Recycle the superseded rounds whose sums have arrived (every worker starts the
        same rounds, so they do, as MPI progresses): a trainer that is not stepped while
        backward passes go on keeps only the rounds under way."""
        done = [r for r in self._retired if self._mpi.Request.Testall(r.requests)]
        if done:
            self._retired = [r for r in self._retired if r not in done]
            self._pending[:] = [r for r in self._pending if r not in done]
            self._spare.extend(done)

    def _unchanged(self, r: _Round, grads: list[np.ndarray]) -> bool:
        """Whether every gradient is byte for byte what round `r` sent for it (a slot the
        round has not packed will be packed as it is: unchanged)."""
        for slot, grad in enumerate(grads):
            if not r.packed[slot]:
                continue
            bucket, offset, n = self._where[slot]
            sent = r.sends[bucket][offset:offset + n]
            if grad.shape != self._layout[slot][0] or grad.dtype != sent.dtype \
                    or not grad.flags.c_contiguous:
                return False
            if _memcmp(grad.ctypes.data, sent.ctypes.data, grad.nbytes) != 0:
                return False
        return True

    def close(self) -> None:
        """Stop hearing of gradients; start and wait for what is under way (every worker
        must call it, as `finish`).

        >>> overlap.close()  # doctest: +SKIP
        """
        tape.gradient_watchers.discard(self)
        waiting = self._retired + ([self._open] if self._open is not None else [])
        for w in waiting:
            self._start_rest(w, self._grads())
            self._mpi.Request.Waitall(w.requests)
        self._retired, self._open = [], None
        self._pending.clear()
        _live.discard(self)


#: the OverlappedAllreduces alive, and the rounds under way of those gone: waited for at
#: exit, before MPI is finalized (the buffers must outlive the requests)
_live: weakref.WeakSet[OverlappedAllreduce] = weakref.WeakSet()
_orphaned: list[_Round] = []


def _close_all() -> None:
    for o in list(_live):
        o.close()
    if _orphaned:
        from mpi4py import MPI

        for r in _orphaned:
            MPI.Request.Waitall(r.requests)
        _orphaned.clear()
