"""Spans on one clock across threads and processes, and the charts drawn from them.

Introduced in ``01_processes_and_threads.ipynb`` (the Gantt chart of a run)
and ``02_the_gil.ipynb`` (the "who is running" view of the GIL).

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

import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._validate import check_callable, check_choice, check_int, check_number
from .plots import LABEL_SIZE, LEGEND_SIZE, TICK_SIZE, TITLE_SIZE

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "Recorder",
    "Span",
    "TickRun",
    "gil_ticks",
    "now",
    "plot_ticks",
    "plot_timeline",
    "run_ticks",
    "tick_overlap",
    "timed",
]


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

    def span(self, label: str = "", worker: str | None = None) -> _SpanContext:
        """Context manager that records the time its body takes as one span."""
        return _SpanContext(self, label, worker)

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class _SpanContext:
    def __init__(self, recorder: Recorder, label: str, worker: str | None) -> None:
        self.recorder = recorder
        self.label = label
        self.worker = worker
        self.start = 0.0

    def __enter__(self) -> _SpanContext:
        self.start = now()
        return self

    def __exit__(self, *exc: object) -> None:
        self.recorder.add(_here(self.worker, self.start, now(), self.label))


# --------------------------------------------------------------------------
# The Gantt chart
# --------------------------------------------------------------------------


def _new_axes(ax: Axes | None, width: float = 9, height: float = 3.6):
    if ax is not None:
        return ax.figure, ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    ax = fig.add_subplot()
    ax.tick_params(labelsize=TICK_SIZE)
    return fig, ax


def _worker_order(names: Iterable[str]) -> list[str]:
    """Workers in a natural order: main first, then "thread 2" before "thread 10"."""

    def key(name: str) -> tuple[int, str, int]:
        head, _, tail = name.rpartition(" ")
        if tail.isdigit():
            return (1, head, int(tail))
        return (0 if name == "main" else 2, name, 0)

    return sorted(set(names), key=key)


def plot_timeline(
    spans: Sequence[Span] | Any,
    title: str = "",
    ax: Axes | None = None,
    origin: float | None = None,
    unit: str = "ms",
) -> Figure:
    """Gantt chart of ``spans``: one row per worker, one bar per task.

    Time runs from ``origin`` (default: the first span's start) in ``unit``
    ("ms" or "s"). Gaps between bars are idle time. ``spans`` may also be a
    :class:`conclab.RunResult`: then time runs from the moment the parent
    started the run, so the pool's start-up shows as the gap before the first
    bar, and a dashed line marks when the parent had all results (the wall
    time). Returns a :class:`matplotlib.figure.Figure` built without pyplot;
    show it with :func:`conclab.show`. Introduced in
    ``01_processes_and_threads.ipynb``.
    """
    run_end = None
    if hasattr(spans, "spans") and hasattr(spans, "started"):
        result = spans
        spans = result.spans
        origin = result.started if origin is None else origin
        run_end = result.ended
        if not title:
            title = (
                f"{result.label}: {len(spans)} × {result.task}, "
                f"wall {result.wall * 1000:.0f} ms"
            )
    if isinstance(spans, (str, bytes)) or not isinstance(spans, Iterable):
        raise TypeError(
            f"spans must be a list of Span or a RunResult, got {type(spans).__name__}"
        )
    spans = list(spans)
    for span in spans:
        if not isinstance(span, Span):
            raise TypeError(f"spans must hold Span objects, got {type(span).__name__}")
    check_choice("unit", unit, ("ms", "s"))
    scale = 1000.0 if unit == "ms" else 1.0
    fig, ax = _new_axes(ax)
    if not spans:
        ax.text(0.5, 0.5, "no spans", ha="center", va="center")
        ax.set_axis_off()
        return fig
    if origin is None:
        origin = min(s.start for s in spans)
    workers = _worker_order(s.worker for s in spans)
    row = {name: i for i, name in enumerate(workers)}
    colors = [f"C{i % 10}" for i in range(len(workers))]
    last = max(s.end for s in spans) if run_end is None else run_end
    total = (last - origin) * scale
    for s in spans:
        y = row[s.worker]
        left = (s.start - origin) * scale
        width = max(s.duration * scale, total * 0.002)
        ax.barh(
            y,
            width,
            left=left,
            height=0.6,
            color=colors[y],
            edgecolor="black",
            linewidth=0.6,
        )
        if s.label and width > total * 0.06:
            ax.text(
                left + width / 2,
                y,
                s.label,
                ha="center",
                va="center",
                fontsize=TICK_SIZE - 1,
                clip_on=True,
            )
    if run_end is not None:
        ax.axvline(total, color="black", linestyle="--", linewidth=1)
        ax.text(
            total,
            -0.55,
            " all results back",
            ha="right",
            va="top",
            fontsize=TICK_SIZE - 1,
        )
    ax.set_yticks(range(len(workers)), workers)
    ax.set_ylim(len(workers) - 0.4, -0.6)
    ax.set_xlim(0, total * 1.02 if total > 0 else 1)
    ax.set_xlabel(f"time since start ({unit})", fontsize=LABEL_SIZE)
    ax.set_ylabel("worker", fontsize=LABEL_SIZE)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(
        title or f"{len(spans)} tasks on {len(workers)} worker(s)", fontsize=TITLE_SIZE
    )
    return fig


# --------------------------------------------------------------------------
# "Who is running": progress ticks under the GIL
# --------------------------------------------------------------------------


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


_SINGULAR = {"threads": "thread", "processes": "process"}


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

    def overlap(self, window: float = 0.001) -> float:
        """:func:`tick_overlap` of this run."""
        return tick_overlap(self.ticks, window)

    def coverage(self, window: float = 0.001) -> tuple[float, ...]:
        """Per worker: share of its own lifetime (first to last tick) in which
        it made progress, in windows of ``window`` seconds.

        About 1 for a worker that ran without a break (a process on a free
        core); about 1/2 for each of two threads under the GIL; lower for a
        process when other programs kept its core busy.
        """
        window = check_number("window", window, minimum=1e-6)
        return tuple(_coverage(t, window) for t in self.ticks)

    def summary(self) -> str:
        """One line for a notebook: who ran how long, and the overlap."""
        each = ", ".join(f"{(t[-1] - t[0]) * 1000:.0f}" for t in self.ticks)
        running = ", ".join(f"{c:.0%}" for c in self.coverage())
        return (
            f"{self.workers} {self.mode}, {self.n:,} steps each: alive for "
            f"{each} ms (making progress {running} of that time), all done "
            f"after {self.wall * 1000:.0f} ms; more than one progressing in "
            f"{self.overlap():.0%} of 1 ms windows"
        )


def _coverage(ticks: Sequence[float], window: float) -> float:
    if len(ticks) < 2:
        return 0.0
    lo, hi = ticks[0], ticks[-1]
    bins = max(1, int((hi - lo) / window))
    seen = {min(int((t - lo) / window), bins - 1) for t in ticks}
    return len(seen) / bins


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
        from .env import mp_context

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
        for r in runners:
            if mode == "processes" and r.is_alive():
                r.terminate()
                r.join(timeout=5)
        if mode == "processes":
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
        names=tuple(f"{_SINGULAR[mode]} {i + 1}" for i in order),
    )


def tick_overlap(ticks: Sequence[Sequence[float]], window: float = 0.001) -> float:
    """Share of time at least two workers made progress in the same ``window``.

    Cuts the time when all workers were running (from the latest first tick
    to the earliest last tick) into windows of ``window`` seconds and returns
    the fraction of windows in which two or more workers ticked. Near 1:
    they ran side by side. Near 0: they took turns. Threads under the GIL
    switch every ~5 ms, so with 1 ms windows only the windows around a switch
    count, about 0.1–0.3; processes on two free cores give about 1.
    """
    window = check_number("window", window, minimum=1e-6)
    series = [sorted(t) for t in ticks if len(t) > 0]
    if len(series) < 2:
        return 0.0
    lo = max(s[0] for s in series)
    hi = min(s[-1] for s in series)
    bins = int((hi - lo) / window)
    if bins < 1:
        return 0.0
    counts = [0] * bins
    for s in series:
        seen = set()
        for t in s:
            if lo <= t < lo + bins * window:
                seen.add(int((t - lo) / window))
        for b in seen:
            if b < bins:
                counts[b] += 1
    return sum(1 for c in counts if c >= 2) / bins


def _running_intervals(ticks: Sequence[float], gap: float) -> list[tuple[float, float]]:
    """Merge ticks closer than ``gap`` into (start, end) intervals of running."""
    intervals: list[tuple[float, float]] = []
    if not ticks:
        return intervals
    start = prev = ticks[0]
    for t in ticks[1:]:
        if t - prev > gap:
            intervals.append((start, prev))
            start = t
        prev = t
    intervals.append((start, prev))
    return intervals


def plot_ticks(run: TickRun, title: str = "", gap: float = 0.0005) -> Figure:
    """The "who is running" view of a :class:`TickRun` (``02_the_gil.ipynb``).

    Top: one row per worker, a bar wherever the worker was making progress
    (ticks less than ``gap`` seconds apart). Bottom: each worker's progress
    (% of its steps done) over time. Threads under the GIL take turns: the bars
    alternate and the progress lines climb in steps, one at a time.
    Processes run side by side: solid bars and straight lines, in parallel.
    """
    if not isinstance(run, TickRun):
        raise TypeError(f"run must be a TickRun, got {type(run).__name__}")
    gap = check_number("gap", gap, minimum=1e-6)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 5.2), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 2]})
    for ax in (top, bottom):
        ax.tick_params(labelsize=TICK_SIZE)
    origin = run.start
    for i, ticks in enumerate(run.ticks):
        color = f"C{i % 10}"
        bars = [
            ((a - origin) * 1000, max((b - a) * 1000, 0.05))
            for a, b in _running_intervals(ticks, gap)
        ]
        top.broken_barh(bars, (i - 0.3, 0.6), color=color)
        done = [100 * min(k * run.tick, run.n) / run.n for k in range(len(ticks))]
        bottom.plot(
            [(t - origin) * 1000 for t in ticks],
            done,
            color=color,
            label=run.names[i],
            linewidth=1.5,
        )
    top.set_yticks(range(run.workers), run.names)
    top.set_ylim(run.workers - 0.5, -0.5)
    if not title:
        overlap = run.overlap()
        title = (
            f"{run.workers} {run.mode}: who is running? "
            f"(more than one progressing {overlap:.0%} of the time)"
        )
        if run.mode == "processes" and run.workers > 1 and overlap < 0.5:
            from .env import usable_cores

            title += (
                "\nonly one usable core"
                if usable_cores() < 2
                else "\nlittle overlap: were other programs using the cores?"
            )
    top.set_title(title, fontsize=TITLE_SIZE - 1)
    top.grid(axis="x", alpha=0.3)
    bottom.set_xlabel("time since the first tick (ms)", fontsize=LABEL_SIZE)
    bottom.set_ylabel("work done (%)", fontsize=LABEL_SIZE)
    bottom.set_ylim(0, 102)
    bottom.set_xlim(0, run.wall * 1000 * 1.02)
    bottom.grid(alpha=0.3)
    bottom.legend(loc="upper left", fontsize=LEGEND_SIZE)
    return fig
