"""The built-in optimizers' update: one compiled program over every parameter of a call.

Each built-in optimizer states its step once, as a pure function of one parameter
(`_step`: the weight, its gradient, its states, and its scalars as traced 0-d arrays,
returning the new weight and states). `update` runs that step over all the parameters it
is given inside one `mx.jit` function, so the fuser puts the elementwise work of every
parameter into a few kernels (row chains over same-shaped parameters on the CPU) instead
of one kernel per parameter per arithmetic op. What changes from call to call (learning
rates, weight decays, step counts, `rescale_grad`, betas) enters as two float64 arrays,
one row per parameter and one shared, so a schedule or a new batch size never traces
again; only structural choices (momentum on or off, clipping, centring) are part of the
compiled program's key.

    >>> opt = mx.optimizer.Adam(learning_rate=0.01)  # doctest: +SKIP
    >>> opt.update([0, 1], [w0, w1], [g0, g1], [s0, s1])  # doctest: +SKIP
"""
from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np

from .. import nd
from ..base import NotOverriddenError
from ..core import Array, JitFunction, jit, tape
from ..nd import NDArray
from .optimizer import Optimizer
from .sparse_rows import Job, RowJob, is_dense

#: The parameters one call of a built-in optimizer takes at most, unless
#: MXNET_OPTIMIZER_AGGREGATION_SIZE says otherwise: all of a Trainer's, as one program.
ALL_PARAMETERS = 1 << 30

Step = SimpleNamespace  # (the argument of `_step`; see FusedOptimizer._step)


def aggregation_size() -> int:
    """How many parameters the `Updater` passes a built-in optimizer in one call."""
    text = os.environ.get("MXNET_OPTIMIZER_AGGREGATION_SIZE", "").strip()
    return int(text) if text else ALL_PARAMETERS


def state_arrays(state: Any) -> tuple[NDArray, ...]:
    """The arrays of a state (an array, None, or a tuple of arrays and Nones), in order."""
    if state is None:
        return ()
    if isinstance(state, NDArray):
        return (state,)
    return tuple(s for s in state if s is not None)


class FusedOptimizer(Optimizer):
    """The base of the built-in optimizers; see the module docstring. A subclass defines
    `create_state` and `_step`, and says which scalars its step reads: `_coefficients`
    (one dict per parameter: lr, wd, bias corrections; it also counts the updates) and
    `_hyper` (shared by all: betas, momentum, rescale_grad; plain attributes are named in
    `_hyper_attrs`)."""

    #: MXNet clips in two ways: its update operators clip when `clip_gradient` is given
    #: and >= 0; its optimizers written in Python clip whenever it is not None.
    _clips_when_given = False
    #: The attributes `_hyper` passes on by name, next to `rescale_grad`.
    _hyper_attrs: tuple[str, ...] = ()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.aggregate_num = aggregation_size()
        self._programs: dict[Any, JitFunction] = {}
        #: The compiled programs of `_programs` by the shapes and dtypes of their host
        #: buffers, run on the buffers directly: the hot path of a training step.
        self._known: dict[Any, Any] = {}  # (`JitFunction.program_for`'s programs)

    # ---- what a subclass says --------------------------------------------------------

    def _coefficients(self, indices: Sequence[Any]) -> list[dict[str, float]]:
        """The per-parameter scalars of `_step`, counting one update of each index."""
        rows = []
        for index in indices:
            self._update_count(index)
            rows.append({"lr": self._get_lr(index), "wd": self._get_wd(index)})
        return rows

    def _hyper(self) -> dict[str, float]:
        """The scalars `_step` reads that all parameters share."""
        return {"rescale_grad": self.rescale_grad,
                **{name: getattr(self, name) for name in self._hyper_attrs}}

    def _structure(self) -> tuple:
        """What changes the traced step besides shapes and dtypes (part of the key)."""
        return (self._clip_bound(),)

    def _step(self, s: Step) -> tuple[Array, tuple[Array, ...]]:
        """One parameter's update: (new weight, new states). `s.w` is the weight it runs
        on (the float32 master copy in multi-precision), `s.g` the gradient in its dtype,
        `s.states` the state arrays (`state_arrays` order), `s.stored` the weight as
        stored, `s.clip` this optimizer's gradient clipping, and each scalar of
        `_coefficients` and `_hyper` an attribute (a 0-d array of `s.w`'s dtype)."""
        raise NotOverriddenError

    def _split_state(self, state: Any, mixed: bool) -> tuple[NDArray | None, Any]:
        """(float32 master copy or None, the state proper)."""
        return (state[0], state[1]) if mixed else (None, state)

    def _lazy(self, weight: NDArray, states: tuple[NDArray, ...], mixed: bool) -> bool:
        """Whether a row_sparse gradient updates only the rows it stores (MXNet's lazy
        update; see sparse_rows.py) for a weight and states of these storage types."""
        return False

    # ---- shared pieces of the steps --------------------------------------------------

    def _clip_bound(self) -> float | None:
        bound = self.clip_gradient
        if self._clips_when_given:
            return bound
        return bound if bound and bound >= 0 else None

    def _clip(self, x: Array) -> Array:
        bound = self._clip_bound()
        return x if bound is None else nd.clip(x, -bound, bound)

    def _job(self, weight: NDArray, grad: NDArray, master: NDArray | None,
             states: tuple[NDArray, ...]) -> Job | RowJob:
        """One parameter to update: the arrays themselves when all are dense, else their
        dense rows (`RowJob`)."""
        if is_dense(weight, grad, master, *states):
            return (weight, grad, master, states)
        return RowJob(weight, grad, master, states,
                      self._lazy(weight, states, master is not None))

    # ---- the update ------------------------------------------------------------------

    def update(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        """Update one weight (an index) or several (lists), as one compiled program.

        >>> opt.update(0, weight, grad, state)  # doctest: +SKIP
        """
        self._update_fused(index, weight, grad, state, False)

    def update_multi_precision(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        """`update`, through the float32 master copies of float16 weights when
        `multi_precision` is on.

        >>> opt.update_multi_precision([0, 1], [w0, w1], [g0, g1], [s0, s1])  # doctest: +SKIP
        """
        if type(self).update is FusedOptimizer.update:
            self._update_fused(index, weight, grad, state, self.multi_precision)
            return
        # A subclass with its own `update`: MXNet's protocol, one parameter per call.
        if not isinstance(index, (list, tuple)):
            index, weight, grad, state = [index], [weight], [grad], [state]
        for i, w, g, s in zip(index, weight, grad, state):
            if not (self.multi_precision and w.dtype == np.float16):
                self.update(i, w, g, s)
                continue
            master, inner = self._split_state(s, True)
            self.update(i, master, g.astype(np.float32), inner)
            nd.cast(master, dtype=w.dtype, out=w)

    def _update_fused(self, index: Any, weight: Any, grad: Any, state: Any,
                      multi_precision: bool) -> None:
        if not isinstance(index, (list, tuple)):
            index, weight, grad, state = [index], [weight], [grad], [state]
        for w, g in zip(weight, grad):
            if not (isinstance(w, NDArray) and isinstance(g, NDArray)):
                raise AssertionError(f"{type(self).__name__}.update: weight and grad must be "
                                     f"NDArrays, got {type(w).__name__} and "
                                     f"{type(g).__name__}")
        self._run(*self._prepare(list(index), list(weight), list(grad), list(state),
                                 multi_precision))

    def _prepare(self, indices: list[Any], weights: list[NDArray], grads: list[NDArray],
                 states: list[Any], multi_precision: bool
                 ) -> tuple[list[Job | RowJob], list[dict]]:
        """The parameters to update (`_job`s) and their `_coefficients`."""
        rows = self._coefficients(indices)
        jobs = []
        for w, g, st in zip(weights, grads, states):
            master, inner = self._split_state(st, multi_precision and w.dtype == np.float16)
            jobs.append(self._job(w, g, master, state_arrays(inner)))
        return jobs, rows

    def _run(self, jobs: list[Job | RowJob], rows: list[dict[str, float]]) -> None:
        """Run the step over `jobs` with the scalars `rows` as one program, store the
        results in the arrays given, and write sparse parameters' rows back."""
        pending = [j for j in jobs if isinstance(j, RowJob) and not j.empty]
        kept = [(j.job if isinstance(j, RowJob) else j, row) for j, row in zip(jobs, rows)
                if not (isinstance(j, RowJob) and j.empty)]
        self._run_dense([j for j, _ in kept], [row for _, row in kept])
        for job in pending:
            job.write_back()

    def _run_dense(self, jobs: list[Job], rows: list[dict[str, float]]) -> None:
        """`_run` over dense arrays: weight, grad, master or None, state arrays."""
        if not jobs:
            return
        hyper = self._hyper()
        names = tuple(rows[0])
        layout = tuple((master is not None, len(states)) for _, _, master, states in jobs)
        key = (layout, names, tuple(hyper), self._structure())
        table = np.array([[row[n] for n in names] for row in rows], dtype=np.float64)
        table = table.reshape(len(rows), len(names))
        shared = np.array(list(hyper.values()), dtype=np.float64)
        targets = [a for w, _, master, states in jobs
                   for a in ((w, master) if master is not None else (w,)) + states]
        # (a result that is one of the update's own arrays is copied: DCASGD's previous
        # weight is the weight)
        given = {id(a._data) for w, g, m, states in jobs for a in (w, g, m, *states)
                 if a is not None}
        buffers = _host_buffers(jobs, table, shared)
        signature = None if buffers is None else (
            key, tuple([b.shape for b in buffers]), tuple([b.dtype for b in buffers]))
        known = self._known.get(signature) if signature is not None else None
        if known is not None and buffers is not None:
            outs = known.run(buffers)
            del buffers  # (its references would make the old buffers look shared)
            _store_all(targets, outs, given | _constant_ids(known))
            return
        jitted = self._programs.get(key)
        if jitted is None:
            jitted = self._programs[key] = self._program(layout, names, tuple(hyper))
        args = ([w for w, _, _, _ in jobs], [g for _, g, _, _ in jobs],
                [m for _, _, m, _ in jobs if m is not None],
                [list(states) for _, _, _, states in jobs], table, shared)
        with tape.pause():
            results = jitted(*args)
        program = jitted.program_for(*args)
        if program is not None:
            if signature is not None:
                self._known[signature] = program
            given |= _constant_ids(program)
        del buffers
        _store_all(targets, [v._data for new in results for v in new], given)

    def _program(self, layout: tuple[tuple[bool, int], ...], names: tuple[str, ...],
                 hyper: tuple[str, ...]) -> JitFunction:
        """The jitted update of parameters laid out as `layout` (mixed precision or not,
        number of state arrays, per parameter)."""

        def update(weights: list[NDArray], grads: list[NDArray], masters: list[NDArray],
                   states: list[list[NDArray]], table: NDArray, shared: NDArray
                   ) -> list[list[Array]]:
            masters_left = iter(masters)
            results = []
            for i, (mixed, _) in enumerate(layout):
                stored = weights[i]
                w = next(masters_left) if mixed else stored
                scalars = {n: _element(table, (i, k), w.dtype) for k, n in enumerate(names)}
                scalars.update({n: _element(shared, (k,), w.dtype) for k, n in enumerate(hyper)})
                g = nd.cast(grads[i], w.dtype) if mixed else grads[i]
                new_w, new_states = self._step(Step(w=w, g=g, states=tuple(states[i]),
                                                    stored=stored, clip=self._clip, **scalars))
                head = [nd.cast(new_w, stored.dtype), new_w] if mixed else [new_w]
                results.append(head + list(new_states))
            return results

        update.__name__ = update.__qualname__ = f"{type(self).__name__}.update"
        return jit(update)  # type: ignore[no-any-return]

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        del state["_programs"], state["_known"]
        return state

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        self._programs = {}
        self._known = {}


def _element(values: NDArray, at: tuple[int, ...], dtype: Any) -> NDArray:
    """values[at] as a 0-d array of `dtype`."""
    return values[at].reshape(()).astype(dtype)


def sum_of_squares(x: Array) -> Array:
    """The sum of x's squares in float32 (MXNet's multi_sum_sq), as a 0-d array."""
    x32 = nd.cast(x, np.float32)
    return nd.sum(x32 * x32).reshape(())  # type: ignore[no-any-return]


def _host_buffers(jobs: list[Job], table: np.ndarray, shared: np.ndarray
                  ) -> list[np.ndarray] | None:
    """The buffers of the update's arguments in the order of its leaves (weights, grads,
    masters, states, the two tables), when all are C-contiguous host arrays; else None."""
    buffers = [w._data for w, _, _, _ in jobs] + [g._data for _, g, _, _ in jobs]
    buffers += [m._data for _, _, m, _ in jobs if m is not None]
    buffers += [s._data for _, _, _, states in jobs for s in states]
    for b in buffers:
        if type(b) is not np.ndarray:
            return None
        flags = b.flags
        if not (flags.c_contiguous and flags.aligned):
            return None
    return buffers + [table, shared]


def _constant_ids(program: Any) -> set[int]:
    """The ids of a program's constant buffers, which no array may take as its own."""
    return {id(c) for c in program.constants.values()}


def _store_all(targets: list[NDArray], values: list[Any], given: set[int]) -> None:
    """Make each target hold its new value (`_store`). A value that is one of the buffers
    given to the update (their ids `given`: DCASGD's previous weight is the weight; the
    program's constants) is copied before any target is written."""
    values = [v if id(v) not in given or v is t._data else v.copy()
              for t, v in zip(targets, values)]
    bound: set[int] = set()
    for target, value in zip(targets, values):
        _store(target, value, bound)


def _store(target: NDArray, new: Any, bound: set[int]) -> None:
    """Make `target` hold the data `new`, as MXNet's in-place updates do.

    The cheap way is to give `target` the result's buffer, which is safe when nothing
    else can see the old one: a NumPy buffer that owns its memory (not a view of another
    array) and that no view, no autograd record and no other array refers to (its
    reference count is that of the array's own slot and of the call's argument). Then
    nobody can tell the difference and a copy is saved. Otherwise (views, device memory,
    a result buffer already given to another array) the result is copied into the
    target's memory."""
    old = target._data
    if (type(new) is np.ndarray and type(old) is np.ndarray and new.base is None
            and old.base is None and id(new) not in bound
            and sys.getrefcount(target._data) <= 3):  # (the slot, `old`, the argument)
        bound.add(id(new))
        target._data = new
        return
    tape.overwriting(old)
    old[...] = new
