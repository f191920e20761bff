"""What runs inside pool workers, for ``09_executors_and_pools.ipynb``.

Every function here is a module-level function, so a ``ProcessPoolExecutor``
or a ``multiprocessing.Pool`` can send it to a worker by name under fork,
forkserver and spawn alike (a function defined in a notebook cell cannot be
found by a spawned worker). The notebook shows each one's source before it
uses it. They import nothing beyond the standard library: each spawn or
forkserver worker imports this module before its first task.

:func:`threads_left` is the parent-side check the notebook ends with.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from typing import Any

from .kernel import kernel_thread
from .validate import check_int, check_number

__all__ = [
    "die_if",
    "init_queue",
    "init_worker",
    "plus_one",
    "put_on",
    "put_result",
    "slow_square",
    "threads_left",
    "worker_pid",
    "worker_state",
]

#: The longest sleep a task here accepts (seconds): a typo must not hang a pool.
MAX_SECONDS = 60.0

#: Per-process state set by :func:`init_worker` (each worker has its own copy).
_STATE: dict[str, Any] = {}

#: The queue :func:`init_queue` hands to a worker (each worker its own handle).
_QUEUE: Any = None


def slow_square(x: int, seconds: float = 0.0) -> int:
    """Sleep ``seconds``, then return ``x * x``; raise ``ValueError`` for x < 0.

    The task of the API demos (``09_executors_and_pools.ipynb``): how long it
    takes is chosen by the caller, and a negative input fails inside the
    worker, so the exception travels back with the future.
    """
    check_int("x", x)
    seconds = check_number("seconds", seconds, minimum=0, maximum=MAX_SECONDS)
    time.sleep(seconds)
    if x < 0:
        raise ValueError(f"negative input: {x}")
    return x * x


def plus_one(x: int, work: int = 0) -> int:
    """Return ``x + 1`` after ``work`` turns of a pure-Python loop.

    With ``work=0`` a task costs well under a microsecond, so timing many of
    them in a pool measures the pool's own cost per task: what ``chunksize``
    saves (``09_executors_and_pools.ipynb``). A turn costs some nanoseconds.
    """
    check_int("work", work, minimum=0, maximum=10**8)
    for _ in range(work):
        pass
    return x + 1


def init_worker(label: str) -> None:
    """An ``initializer``: runs once in each worker process, before its tasks.

    Stores ``label`` (think: a configuration, a connection, a loaded model)
    in this process's module state and counts how often it ran here.
    ``09_executors_and_pools.ipynb``.
    """
    if not isinstance(label, str):
        raise TypeError(f"label must be a str, got {type(label).__name__}")
    _STATE["label"] = label
    _STATE["inits"] = _STATE.get("inits", 0) + 1
    _STATE["tasks"] = 0


def worker_state(x: int) -> dict[str, Any]:
    """A task that reports the state :func:`init_worker` left in its process.

    Returns ``{"x", "pid", "label", "inits", "task_number"}``: which process
    ran it, the label it found, how many times the initializer ran in that
    process, and how many tasks that process has run so far, this one
    included.
    """
    check_int("x", x)
    _STATE["tasks"] = _STATE.get("tasks", 0) + 1
    return {
        "x": x,
        "pid": os.getpid(),
        "label": _STATE.get("label"),
        "inits": _STATE.get("inits", 0),
        "task_number": _STATE["tasks"],
    }


def worker_pid(x: int) -> int:
    """The process id of the worker that ran this task (``max_tasks_per_child``)."""
    check_int("x", x)
    return os.getpid()


def die_if(x: int, bad: int, seconds: float = 0.0) -> int:
    """Sleep ``seconds``; return ``x``, unless ``x == bad``: then end this
    process with ``os._exit(1)``.

    ``os._exit`` ends the process at once: no exception, no cleanup, nothing
    sent back. To the pool it looks like a crash (a segfault in C code, the
    out-of-memory killer): a ``ProcessPoolExecutor`` becomes broken
    (``BrokenProcessPool``). Never call it in the notebook's own process.
    """
    check_int("x", x)
    check_int("bad", bad)
    seconds = check_number("seconds", seconds, minimum=0, maximum=MAX_SECONDS)
    time.sleep(seconds)
    if x == bad:
        os._exit(1)
    return x


def put_on(queue: Any, x: int) -> int:
    """Put ``x * x`` on ``queue`` and return ``x``.

    Passed a ``multiprocessing.Queue`` as an argument of a pool task, this
    fails before it runs: such a queue cannot be pickled into a task ("Queue
    objects should only be shared between processes through inheritance").
    A ``Manager().Queue()`` proxy can be. ``09_executors_and_pools.ipynb``.
    """
    check_int("x", x)
    queue.put(x * x)
    return x


def init_queue(queue: Any) -> None:
    """An ``initializer`` that keeps ``queue`` for :func:`put_result`.

    ``initargs`` travel with the worker process when it starts, which is the
    "inheritance" a ``multiprocessing.Queue`` allows.
    """
    global _QUEUE
    _QUEUE = queue


def put_result(x: int) -> int:
    """Put ``x * x`` on the queue :func:`init_queue` stored; return ``x``."""
    check_int("x", x)
    if _QUEUE is None:
        raise RuntimeError(
            "this worker has no queue: start the pool with "
            "initializer=init_queue, initargs=(queue,)"
        )
    _QUEUE.put(x * x)
    return x


def threads_left(before: Iterable[threading.Thread], timeout: float = 5.0) -> list[str]:
    """Names of the threads alive now that were not in ``before``.

    Waits up to ``timeout`` seconds for such threads to end first (a pool's
    manager thread can take a moment after a shutdown). The kernel's own
    threads (pyzmq's, ipykernel's) are not counted. An empty list means every
    pool, server and queue was closed. ``09_executors_and_pools.ipynb`` ends
    with it.
    """
    timeout = check_number("timeout", timeout, minimum=0, maximum=MAX_SECONDS)
    known = set(before)

    def new() -> list[threading.Thread]:
        return [
            t
            for t in threading.enumerate()
            if t not in known
            and t is not threading.current_thread()
            and t.is_alive()
            and not kernel_thread(t)
        ]

    deadline = time.monotonic() + timeout
    for thread in new():
        thread.join(max(0.0, deadline - time.monotonic()))
    return sorted(t.name for t in new())
