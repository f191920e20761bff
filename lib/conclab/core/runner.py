"""Run one task over a list of inputs: sequentially, with threads, with processes.

Introduced in ``01_processes_and_threads.ipynb`` and used by every timing
panel. :func:`run` returns a :class:`RunResult`: the results in input order
(the same in every mode), the wall time measured in the parent, and one
:class:`conclab.Span` per task recorded where the task ran, on the one clock
of :func:`conclab.now`, so :func:`conclab.plot_timeline` can draw it.

Threads come from :class:`concurrent.futures.ThreadPoolExecutor`, processes
from :class:`concurrent.futures.ProcessPoolExecutor` with the start method
of :func:`conclab.mp_context` (argument, else ``$CONCLAB_START_METHOD``, else
the platform default). Pools are closed by ``with`` blocks; on an error or a
KeyboardInterrupt the tasks not yet started are cancelled (and on an
interrupt, worker processes are stopped) before the error is re-raised.
"""

from __future__ import annotations

import functools
import pickle
import sys
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from .children import stop_process
from .env import mp_context
from .env import start_method as _resolve_start_method
from .timeline import Span, now, timed
from .validate import check_callable, check_choice, check_int

__all__: list[str] = ["MODES", "RunResult", "run", "sweep", "task_name"]


#: The ways :func:`run` can run a task list.
MODES = ("sequential", "threads", "processes")

#: ProcessPoolExecutor on Windows accepts at most 61 workers.
_MAX_WORKERS = 61 if sys.platform == "win32" else 256


@dataclass(frozen=True)
class RunResult:
    """What :func:`run` measured.

    ``results`` are in input order; ``wall`` is seconds in the parent, from
    before the pool starts to after it is shut down (start-up included: that
    cost is real); ``spans`` has one :class:`conclab.Span` per task, in input
    order. ``start_method`` is set for ``"processes"`` only. ``started`` and
    ``ended`` are the parent's window on :func:`conclab.now`.
    """

    mode: str
    workers: int
    start_method: str | None
    results: list[Any]
    wall: float
    spans: list[Span]
    task: str = ""
    started: float = 0.0
    ended: float = 0.0

    @property
    def busy(self) -> float:
        """Sum of the tasks' own durations (seconds)."""
        return sum(s.duration for s in self.spans)

    @property
    def label(self) -> str:
        """Short name for legends: "sequential", "4 threads", "2 processes"."""
        if self.mode == "sequential":
            return "sequential"
        singular = {"threads": "thread", "processes": "process"}
        kind = self.mode if self.workers != 1 else singular[self.mode]
        return f"{self.workers} {kind}"

    def __repr__(self) -> str:
        method = f", start_method={self.start_method!r}" if self.start_method else ""
        return (
            f"RunResult(mode={self.mode!r}, workers={self.workers}{method}, "
            f"tasks={len(self.results)}, wall={self.wall:.3f} s)"
        )


def task_name(task: Callable[..., Any]) -> str:
    """A readable name for ``task``, also for a ``functools.partial``."""
    base = task
    extra = ""
    while isinstance(base, functools.partial):
        extra = ", ".join(f"{k}={v!r}" for k, v in base.keywords.items())
        base = base.func
    name = getattr(base, "__qualname__", None) or repr(base)
    return f"{name}({extra})" if extra else name


def _importable_main(func: Any) -> bool:
    """True if a ``__main__`` function can be found by a spawned child: the
    main module is a script file (the child re-runs it as ``__mp_main__``)
    that defines it. Not so in a notebook, a REPL or ``python -c``."""
    main = sys.modules.get("__main__")
    return bool(getattr(main, "__file__", None)) and (
        getattr(main, getattr(func, "__qualname__", ""), None) is func
    )


def _check_process_task(task: Callable[..., Any], method: str) -> None:
    """Fail early, with advice, for tasks a process pool cannot send by name."""
    base = task
    while isinstance(base, functools.partial):
        base = base.func
    qualname = getattr(base, "__qualname__", "") or ""
    module = getattr(base, "__module__", None)
    name = task_name(task)
    if "<lambda>" in qualname or "<locals>" in qualname:
        raise ValueError(
            f"task {name!r} is a lambda or a function defined inside another "
            "function; a process pool sends tasks to the workers by name, so "
            "define it with def at the top level of a module (a .py file)"
        )
    if module == "__main__" and method != "fork" and not _importable_main(base):
        raise ValueError(
            f"task {name!r} is defined in __main__ (a notebook cell or the "
            f"script itself); under the {method!r} start method each worker "
            "process imports its task by name and cannot find it there: move "
            "it to a module (a .py file next to the notebook) and import it, "
            "or use a task from conclab"
        )
    try:
        pickle.dumps(task)
    except Exception as exc:
        raise TypeError(
            f"task {name!r} cannot be pickled, so it cannot be sent to a worker "
            f"process: {exc}"
        ) from exc


def _pool_processes(executor: Executor) -> list[Any]:
    """The worker processes of a process pool (a private attribute, 3.10-3.14)."""
    return list((getattr(executor, "_processes", None) or {}).values())


def _stop_processes(executor: Executor) -> None:
    """On KeyboardInterrupt: stop a process pool's workers instead of waiting."""
    for process in _pool_processes(executor):
        stop_process(process, timeout=0)


def _pooled(
    executor: Executor, task: Callable[[Any], Any], items: Sequence[Any]
) -> list[tuple[Any, Span]]:
    futures: list[Future] = []
    stopped = False
    try:
        futures = [
            executor.submit(timed, task, x, label=f"#{i}") for i, x in enumerate(items)
        ]
        return [f.result() for f in futures]
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt) and isinstance(
            executor, ProcessPoolExecutor
        ):
            # Stop the workers now instead of waiting for their tasks; the pool
            # then fails every pending future with BrokenProcessPool itself.
            # Not cancelled first: on 3.10/3.11 the pool's manager thread
            # raises InvalidStateError on a cancelled future (gh-94777).
            stopped = True
            _stop_processes(executor)
        else:
            for f in futures:
                f.cancel()
        raise
    finally:
        # Waits for the running tasks (and, for processes, the workers' exit).
        # Not shutdown(wait=False) first: that forgets the workers to wait for.
        processes = _pool_processes(executor)
        executor.shutdown(wait=True, cancel_futures=not stopped)
        for process in processes:
            process.join(timeout=10)


def _rename(outcomes: list[tuple[Any, Span]], mode: str) -> list[Span]:
    """Name workers "main", "thread 1", "process 2" in order of first start."""
    spans = [span for _, span in outcomes]
    if mode == "sequential":
        return [replace(s, worker="main") for s in spans]
    prefix = "thread" if mode == "threads" else "process"
    key = (lambda s: s.thread) if mode == "threads" else (lambda s: s.pid)
    names: dict[Any, str] = {}
    for s in sorted(spans, key=lambda s: s.start):
        names.setdefault(key(s), f"{prefix} {len(names) + 1}")
    return [replace(s, worker=names[key(s)]) for s in spans]


def run(
    task: Callable[[Any], Any],
    inputs: Sequence[Any],
    mode: str = "sequential",
    workers: int = 1,
    start_method: str | None = None,
) -> RunResult:
    """Run ``task(x)`` for every ``x`` in ``inputs`` and time it.

    ``mode`` is "sequential", "threads" or "processes"; ``workers`` the pool
    size (ignored by "sequential"); ``start_method`` the processes' start
    method (default: ``$CONCLAB_START_METHOD``, else the platform's). For
    "processes" the task must be importable by name: a module-level function
    of a module (like ``conclab.count_primes``), of the script being run (with
    the ``if __name__ == "__main__":`` guard), or a ``functools.partial`` of
    one. A function defined in a notebook cell works only under fork; ``run``
    says so, with the fix, before starting any process. Returns a
    :class:`RunResult` (``01_processes_and_threads.ipynb``).
    """
    check_callable("task", task)
    if isinstance(inputs, (str, bytes)) or not isinstance(inputs, Sequence):
        raise TypeError(
            f"inputs must be a sequence (list, tuple, range) of task inputs, got "
            f"{type(inputs).__name__}"
        )
    check_choice("mode", mode, MODES)
    check_int("workers", workers, minimum=1, maximum=_MAX_WORKERS)
    method = None
    if mode == "processes":
        method = _resolve_start_method(start_method)
        _check_process_task(task, method)
    elif start_method is not None:
        _resolve_start_method(start_method)  # validate it all the same
    items = list(inputs)
    size = max(1, min(workers, len(items)))
    started = now()
    if mode == "sequential":
        outcomes = [timed(task, x, label=f"#{i}") for i, x in enumerate(items)]
    elif mode == "threads":
        executor: Executor = ThreadPoolExecutor(
            max_workers=size, thread_name_prefix="conclab"
        )
        outcomes = _pooled(executor, task, items)
    else:
        executor = ProcessPoolExecutor(max_workers=size, mp_context=mp_context(method))
        outcomes = _pooled(executor, task, items)
    ended = now()
    return RunResult(
        mode=mode,
        workers=1 if mode == "sequential" else workers,
        start_method=method,
        results=[result for result, _ in outcomes],
        wall=ended - started,
        spans=_rename(outcomes, mode),
        task=task_name(task),
        started=started,
        ended=ended,
    )


def sweep(
    task: Callable[[Any], Any],
    inputs: Sequence[Any],
    workers: Iterable[int] = (1, 2, 4),
    modes: Iterable[str] = MODES,
    start_method: str | None = None,
) -> list[RunResult]:
    """:func:`run` for every mode × worker count; "sequential" once (1 worker).

    The data behind the speedup plots (:func:`conclab.plot_speedup`). Results
    come sequential first, then each mode in the order given, workers
    ascending as given. One untimed call of ``task(inputs[0])`` comes first,
    so that the sequential baseline does not pay for a cold start (imports,
    caches, the interpreter's specialisation) that later runs skip.
    """
    modes = tuple(modes)
    workers = tuple(workers)
    if not modes:
        raise ValueError("modes must name at least one of " + ", ".join(MODES))
    for m in modes:
        check_choice("modes", m, MODES)
    if not workers:
        raise ValueError("workers must hold at least one int >= 1")
    for w in workers:
        check_int("workers", w, minimum=1, maximum=_MAX_WORKERS)
    out: list[RunResult] = []
    if inputs:
        task(inputs[0])  # warm-up, untimed
    if "sequential" in modes:
        out.append(run(task, inputs, "sequential", 1, start_method))
    for m in modes:
        if m == "sequential":
            continue
        for w in workers:
            out.append(run(task, inputs, m, w, start_method))
    return out
