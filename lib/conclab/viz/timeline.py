"""The Gantt chart of a run (01) and the "who is running" view of the GIL (02)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, cast

from ..core.env import usable_cores
from ..core.runner import RunResult
from ..core.ticks import GAP, TickRun, progress_intervals
from ..core.timeline import Span
from ..core.validate import check_choice, check_number
from .figures import LABEL_SIZE, LEGEND_SIZE, TICK_SIZE, TITLE_SIZE, label_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__: list[str] = ["plot_ticks", "plot_timeline"]


def _worker_order(names: Iterable[str]) -> list[str]:
    """Workers in a natural order: main first, then "thread 2" before "thread 10"."""

    def key(name: str) -> tuple[int, str, int]:
        head, _, tail = name.rpartition(" ")
        if tail.isdigit():
            return (1, head, int(tail))
        return (0 if name == "main" else 2, name, 0)

    return sorted(set(names), key=key)


def plot_timeline(
    spans: Sequence[Span] | RunResult,
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
    if isinstance(spans, RunResult):
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
    if ax is None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(9, 3.6), layout="constrained")
        ax = fig.add_subplot()
        ax.tick_params(labelsize=TICK_SIZE)
    else:
        fig = cast("Figure", ax.figure)
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
    ax.grid(axis="x", alpha=0.3)
    title = title or f"{len(spans)} tasks on {len(workers)} worker(s)"
    label_axes(ax, f"time since start ({unit})", "worker", title)
    return fig


def plot_ticks(*runs: TickRun, title: str = "", gap: float = GAP) -> Figure:
    """The "who is running" view of one or more :class:`TickRun` s, on one
    shared time axis (``02_the_gil.ipynb``).

    Per run: one row per worker, a bar wherever the worker was making progress
    (:func:`conclab.progress_intervals`: ticks less than ``gap`` seconds
    apart), and below it each worker's progress (% of its steps done) over
    time since the run's first tick. Threads under the GIL take turns: the
    bars alternate and the lines climb in steps. Processes on free cores run
    side by side: solid bars and straight lines, in parallel.
    """
    if not runs or not all(isinstance(r, TickRun) for r in runs):
        bad = next((r for r in runs if not isinstance(r, TickRun)), None)
        raise TypeError(f"runs must be TickRun objects, got {type(bad).__name__}")
    gap = check_number("gap", gap, minimum=1e-6)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 4.6 * len(runs)), layout="constrained")
    axes = fig.subplots(
        2 * len(runs), 1, sharex=True, gridspec_kw={"height_ratios": [1, 2] * len(runs)}
    )
    for k, run in enumerate(runs):
        _draw_ticks(axes[2 * k], axes[2 * k + 1], run, gap, title if k == 0 else "")
    axes[-1].set_xlabel("time since the run's first tick (ms)", fontsize=LABEL_SIZE)
    axes[-1].set_xlim(0, max(r.wall for r in runs) * 1000 * 1.02)
    return fig


def _draw_ticks(top: Axes, bottom: Axes, run: TickRun, gap: float, title: str) -> None:
    for ax in (top, bottom):
        ax.tick_params(labelsize=TICK_SIZE)
    origin = run.start
    for i, ticks in enumerate(run.ticks):
        color = f"C{i % 10}"
        bars = [
            ((a - origin) * 1000, max((b - a) * 1000, 0.05))
            for a, b in progress_intervals(ticks, gap)
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
        overlap = run.overlap(gap)
        title = (
            f"{run.workers} {run.mode}: who is running? "
            f"(more than one progressing {overlap:.0%} of the time)"
        )
        if run.mode == "processes" and run.workers > 1 and overlap < 0.5:
            title += (
                "\nonly one usable core"
                if usable_cores() < 2
                else "\nlittle overlap: were other programs using the cores?"
            )
    top.set_title(title, fontsize=TITLE_SIZE - 1)
    top.grid(axis="x", alpha=0.3)
    bottom.set_ylabel("work done (%)", fontsize=LABEL_SIZE)
    bottom.set_ylim(0, 102)
    bottom.grid(alpha=0.3)
    bottom.legend(loc="upper left", fontsize=LEGEND_SIZE)
