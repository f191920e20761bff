"""Spans on one clock across threads and processes.

Introduced in ``01_processes_and_threads.ipynb``: :func:`conclab.run` records
one :class:`Span` per task, :func:`conclab.plot_timeline` draws them.

The clock
---------
:func:`now` is :func:`time.perf_counter`. A span recorded in a child process
must line up with the parent's, so the clock must be one clock for the whole
machine, not one per process. Python's docs promise only that differences
within one process are meaningful, but on every platform the course supports
``perf_counter`` reads a system-wide counter: ``CLOCK_MONOTONIC`` on Linux
(since boot, shared by all processes), ``mach_absolute_time`` /
``CLOCK_UPTIME_RAW`` on macOS, ``QueryPerformanceCounter`` on Windows. It has
sub-microsecond resolution and never jumps. :func:`time.time` is also shared,
but it is the wall clock: NTP may step or slew it in the middle of a run and
on Windows before 3.13 it ticked only every ~15 ms. ``time.monotonic`` is
``GetTickCount64`` (15.6 ms steps) on Windows before 3.13. The tests check
the claim: a child's span lies inside the parent's window around it, under
fork, forkserver and spawn.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .validate import check_callable

__all__: list[str] = ["Recorder", "Span", "now", "timed"]


def now() -> float:
    """Seconds on the course's one clock (:func:`time.perf_counter`).

    Only differences mean something, but they mean the same in every process
    on this machine (see the module docstring), so spans from threads and
    child processes can be drawn on one axis.
    """
    return time.perf_counter()


@dataclass(frozen=True)
class Span:
    """One task's run: who ran it, from when to when (seconds of :func:`now`).

    ``worker`` is a readable name ("main", "thread 1", "process 2"); ``pid``
    and ``thread`` say where the task really ran.
    """

    worker: str
    pid: int
    thread: str
    start: float
    end: float
    label: str = ""

    @property
    def duration(self) -> float:
        """``end - start`` in seconds."""
        return self.end - self.start


def _here(worker: str | None, start: float, end: float, label: str) -> Span:
    thread = threading.current_thread().name
    return Span(
        worker=worker if worker is not None else thread,
        pid=os.getpid(),
        thread=thread,
        start=start,
        end=end,
        label=label,
    )


def timed(task: Callable[..., Any], *args: Any, label: str = "") -> tuple[Any, Span]:
    """Call ``task(*args)`` and return ``(result, span)`` of that call.

    The span's worker is the current thread's name; :func:`conclab.run` renames
    workers to "thread 1", "process 2" … afterwards. Module-level, so a
    process pool can run it (``timed`` itself pickles by name).
    """
    check_callable("task", task)
    start = now()
    result = task(*args)
    end = now()
    return result, _here(None, start, end, label)


@dataclass
class Recorder:
    """Collect spans from several threads: ``with rec.span("label"): ...``.

    Thread-safe. For processes, have the child return spans (:func:`timed`);
    the parent adds them with :meth:`add`.
    """

    spans: list[Span] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, span: Span) -> None:
        """Add a span recorded elsewhere (e.g. returned by a child process)."""
        if not isinstance(span, Span):
            raise TypeError(f"span must be a Span, got {type(span).__name__}")
        with self._lock:
            self.spans.append(span)

    @contextlib.contextmanager
    def span(self, label: str = "", worker: str | None = None) -> Iterator[None]:
        """Context manager that records the time its body takes as one span
        (also when the body raises)."""
        start = now()
        try:
            yield
        finally:
            self.add(_here(worker, start, now(), label))
