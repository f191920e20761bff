""" "Who is running": progress ticks of threads and processes under the GIL.

Introduced in ``02_the_gil.ipynb``: :func:`gil_ticks` does pure-Python steps
and notes the time every ``tick`` steps; :func:`run_ticks` runs it in several
threads or processes started together; :func:`tick_overlap` says how often
two of them made progress at once. :func:`conclab.plot_ticks` draws it.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .children import stop_process
from .env import mp_context
from .timeline import now
from .validate import check_choice, check_int, check_number

__all__: list[str] = [
    "TickRun",
    "gil_ticks",
    "progress_intervals",
    "run_ticks",
    "tick_overlap",
]

#: Ticks further apart than this (seconds) mean the worker was not running.
GAP = 0.0005


def gil_ticks(n: int, tick: int = 500) -> list[float]:
    """Do ``n`` pure-Python steps; return :func:`now` every ``tick`` steps.

    A CPU-bound task that reports its progress: the tick times show when this
    worker was actually running. Under the GIL two threads take turns (one
    advances, the other waits, switching about every 5 ms —
    ``sys.getswitchinterval()``); two processes tick side by side
    (``02_the_gil.ipynb``).
    """
    check_int("n", n, minimum=1, maximum=10**9)
    check_int("tick", tick, minimum=1)
    ticks = [now()]
    x = 1
    done = 0
    while done < n:
        step = min(tick, n - done)
        for _ in range(step):
            x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        done += step
        ticks.append(now())
    return ticks


def _tick_worker(index: int, n: int, tick: int, barrier: Any, results: Any) -> None:
    """Wait at ``barrier`` so all workers start together, tick, report back."""
    try:
        barrier.wait(timeout=60)
        ticks = gil_ticks(n, tick)
        results.put((index, os.getpid(), threading.current_thread().name, ticks))
    except BaseException as exc:  # report, never hang the parent
        results.put((index, os.getpid(), "", repr(exc)))


@dataclass(frozen=True)
class TickRun:
    """What :func:`run_ticks` measured: tick times per worker, on :func:`now`."""

    mode: str
    workers: int
    n: int
    tick: int
    ticks: tuple[tuple[float, ...], ...]
    pids: tuple[int, ...]
    names: tuple[str, ...]

    @property
    def start(self) -> float:
        """The first tick of any worker."""
        return min(t[0] for t in self.ticks)

    @property
    def end(self) -> float:
        """The last tick of any worker."""
        return max(t[-1] for t in self.ticks)

    @property
    def wall(self) -> float:
        """Seconds from the first tick to the last."""
        return self.end - self.start

    def overlap(self, gap: float = GAP) -> float:
        """:func:`tick_overlap` of this run."""
        return tick_overlap(self.ticks, gap)


def progress_intervals(
    ticks: Sequence[float], gap: float = GAP
) -> list[tuple[float, float]]:
    """The (start, end) intervals in which a worker made progress: runs of
    ticks less than ``gap`` seconds apart. A tick comes every few tens of
    microseconds while a worker runs; a thread waiting for the GIL (~5 ms,
    the switch interval) or a process waiting for a core leaves a longer gap
    (``02_the_gil.ipynb``)."""
    gap = check_number("gap", gap, minimum=1e-6)
    intervals: list[tuple[float, float]] = []
    for t in ticks:
        if intervals and t - intervals[-1][1] <= gap:
            intervals[-1] = (intervals[-1][0], t)
        else:
            intervals.append((t, t))
    return intervals


def run_ticks(
    mode: str = "threads",
    workers: int = 2,
    n: int = 2_000_000,
    tick: int = 500,
    start_method: str | None = None,
    timeout: float = 30.0,
) -> TickRun:
    """Run :func:`gil_ticks` in ``workers`` threads or processes, started together.

    Each worker first waits at a barrier, so start-up costs (a spawned process
    takes tens of milliseconds to start) do not blur the picture: from the
    barrier on, all workers want to run. Returns a :class:`TickRun`; draw it
    with :func:`plot_ticks`. ``mode`` is "threads" or "processes"
    (``02_the_gil.ipynb``). Each worker's ticks take ~0.1–0.3 s.
    """
    check_choice("mode", mode, ("threads", "processes"))
    check_int("workers", workers, minimum=1, maximum=16)
    check_int("n", n, minimum=1, maximum=10**8)
    check_int("tick", tick, minimum=1)
    timeout = check_number("timeout", timeout, minimum=0.1)
    if mode == "threads":
        barrier: Any = threading.Barrier(workers)
        results: Any = queue.SimpleQueue()
        worker: Any = threading.Thread
    else:
        ctx = mp_context(start_method)
        barrier, results, worker = ctx.Barrier(workers), ctx.Queue(), ctx.Process
    kind = "thread" if mode == "threads" else "process"
    runners: list[Any] = [
        worker(
            target=_tick_worker,
            args=(i, n, tick, barrier, results),
            name=f"{kind} {i + 1}",
            daemon=True,
        )
        for i in range(workers)
    ]
    got: dict[int, tuple[int, str, Any]] = {}
    try:
        for r in runners:
            r.start()
        deadline = now() + timeout
        while len(got) < workers:
            left = deadline - now()
            if left <= 0:
                raise TimeoutError(f"run_ticks: workers did not finish in {timeout} s")
            try:
                index, pid, name, ticks = results.get(timeout=left)
            except queue.Empty:
                continue
            if isinstance(ticks, str):
                raise RuntimeError(f"run_ticks: worker {index + 1} failed: {ticks}")
            got[index] = (pid, name, ticks)
        for r in runners:
            r.join(timeout=max(0.1, deadline - now()))
    finally:
        if mode == "processes":
            for r in runners:
                stop_process(r, timeout=0)
            results.close()
            results.join_thread()
    order = range(workers)
    return TickRun(
        mode=mode,
        workers=workers,
        n=n,
        tick=tick,
        ticks=tuple(tuple(got[i][2]) for i in order),
        pids=tuple(got[i][0] for i in order),
        names=tuple(f"{kind} {i + 1}" for i in order),
    )


def tick_overlap(ticks: Sequence[Sequence[float]], gap: float = GAP) -> float:
    """Share of the time all workers were alive in which two or more of them
    made progress at once (:func:`progress_intervals` with ``gap``).

    Near 1: they ran side by side (processes on free cores). Near 0: they
    took turns (threads under the GIL: while one runs, the other waits
    for the GIL, and its ticks stop).
    """
    series = [sorted(t) for t in ticks if len(t) > 0]
    if len(series) < 2:
        return 0.0
    lo = max(s[0] for s in series)
    hi = min(s[-1] for s in series)
    if hi <= lo:
        return 0.0
    edges = []  # +1 where a worker starts progressing, -1 where it stops
    for s in series:
        for a, b in progress_intervals(s, gap):
            a, b = max(a, lo), min(b, hi)
            if b > a:
                edges += [(a, 1), (b, -1)]
    both, running, last = 0.0, 0, lo
    for t, step in sorted(edges):
        if running >= 2:
            both += t - last
        running, last = running + step, t
    return both / (hi - lo)
