"""Plots of notebook 11 (asyncio): tasks vs threads at many concurrent
requests, and a blocked event loop on the course's Gantt timeline.

Object-oriented matplotlib :class:`~matplotlib.figure.Figure`s built with
:func:`conclab.figure` (no pyplot); show them with :func:`conclab.show`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..core.timeline import Span
from ..core.validate import check_number, check_records
from .figures import (
    LABEL_SIZE,
    LEGEND_SIZE,
    MODE_STYLE,
    TICK_SIZE,
    TITLE_SIZE,
    figure,
    label_axes,
)
from .speedup import mode_line
from .timeline import plot_timeline

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["ASYNCIO_STYLE", "plot_bursts", "plot_loop_lag"]

#: asyncio's colour and marker, beside the course's threads and processes.
ASYNCIO_STYLE = {"color": "#2ca02c", "marker": "D"}

_KIB = 1024.0


def _style(mode: str) -> dict[str, str]:
    return ASYNCIO_STYLE if mode == "asyncio" else MODE_STYLE.get(mode, ASYNCIO_STYLE)


def _series(results: list[Any], value: str) -> dict[str, list[tuple[int, float]]]:
    out: dict[str, list[tuple[int, float]]] = {}
    for r in results:
        if getattr(r, "ok", True):
            out.setdefault(r.mode, []).append((r.requests, float(getattr(r, value))))
    return {mode: sorted(points) for mode, points in out.items()}


def _log_axis(ax: Any, levels: list[int]) -> None:
    ax.set_xscale("log")
    ax.set_xticks(levels, [f"{n:,}" for n in levels])
    ax.minorticks_off()


def plot_bursts(results: Sequence[Any], title: str = "") -> Figure:
    """Wall time (left) and resident memory per waiting request (right)
    against the number of concurrent requests, one line per mode.

    ``results`` is what :func:`conclab.burst_sweep` returns. The dashed line
    on the left is the server's latency: no burst can finish sooner.
    Failed bursts are left out. ``11_asyncio.ipynb``.
    """
    needed = ("mode", "requests", "wall", "memory_per_request", "latency")
    checked = check_records(
        "results", results, needed, "BurstResult", "lab.burst_sweep(...)"
    )
    levels = sorted({r.requests for r in checked})
    fig, (left, right) = figure(ncols=2)
    for mode, points in _series(checked, "wall").items():
        walls = [w for _, w in points]
        mode_line(left, [n for n, _ in points], walls, mode, _style(mode))
    latencies = {round(r.latency, 6) for r in checked if not math.isnan(r.latency)}
    if len(latencies) == 1:
        latency = latencies.pop()
        left.axhline(
            latency,
            color="black",
            linestyle="--",
            linewidth=1.5,
            label=f"server latency ({latency:g} s)",
        )
    _log_axis(left, levels)
    left.set_ylim(bottom=0)
    label_axes(left, "concurrent requests", "wall time (s)", "Time for all requests")
    left.legend(fontsize=LEGEND_SIZE)
    memory = _series(checked, "memory_per_request")
    for mode, points in memory.items():
        kib = [m / _KIB for _, m in points]
        mode_line(right, [n for n, _ in points], kib, mode, _style(mode))
    _log_axis(right, levels)
    right.set_ylim(
        0, max([m / _KIB for p in memory.values() for _, m in p] + [1]) * 1.15
    )
    label_axes(
        right,
        "concurrent requests",
        "resident memory per request (KiB)",
        "Memory per waiting request",
    )
    if min(levels) < 100:
        right.text(
            0.5,
            0.97,
            "with few requests, the process's first allocations dominate",
            transform=right.transAxes,
            ha="center",
            va="top",
            fontsize=TICK_SIZE - 2,
            color="#555555",
        )
    right.legend(fontsize=LEGEND_SIZE, loc="center right")
    if title:
        fig.suptitle(title, fontsize=TITLE_SIZE)
    return fig


def _check_runs(runs: Mapping[str, Any]) -> list[tuple[str, list[Span], Any]]:
    if not isinstance(runs, Mapping) or not runs:
        raise TypeError(
            "runs must be a dict {title: (spans, lag)} with at least one run"
        )
    out = []
    for name, value in runs.items():
        if not isinstance(value, tuple) or len(value) != 2:
            raise TypeError(f"runs[{name!r}] must be a (spans, lag) pair")
        spans, lag = value
        spans = list(spans)
        if not all(isinstance(s, Span) for s in spans) or not spans:
            raise TypeError(f"runs[{name!r}]: spans must be a non-empty list of Span")
        if not hasattr(lag, "samples"):
            raise TypeError(f"runs[{name!r}]: lag must be a LoopLag (lab.watch_loop)")
        out.append((str(name), spans, lag))
    return out


def plot_loop_lag(runs: Mapping[str, Any], blocked: float | None = None) -> Figure:
    """For each run, a Gantt chart of its tasks (top) and the event loop's
    lag (bottom: one stem per wake-up of the probe, as late as it came), on
    one time axis; runs side by side, same scales.

    ``runs`` maps a title to ``(spans, lag)``: the spans recorded with
    :class:`conclab.Recorder` (``worker`` = the task's name) and the
    :class:`conclab.LoopLag` of :func:`conclab.watch_loop`. ``blocked``
    draws a dotted line at that lag (e.g. the length of the blocking call).
    ``11_asyncio.ipynb``.
    """
    checked = _check_runs(runs)
    if blocked is not None:
        blocked = check_number("blocked", blocked, minimum=0)
    from matplotlib.figure import Figure

    ncols = len(checked)
    fig = Figure(figsize=(6.4 * ncols if ncols > 1 else 8.5, 6.2), layout="constrained")
    grid = fig.add_gridspec(2, ncols, height_ratios=[3, 2])
    starts = [min(s.start for s in spans) for _, spans, _ in checked]
    ends = [
        max([s.end for s in spans] + [t for t, _ in lag.samples])
        for _, spans, lag in checked
    ]
    span_ms = max(e - s for s, e in zip(starts, ends, strict=True)) * 1000
    worst = max((lag.max for _, _, lag in checked), default=0.0) * 1000
    top_lag = max(worst, (blocked or 0) * 1000, 1.0) * 1.15
    for col, ((name, spans, lag), origin) in enumerate(
        zip(checked, starts, strict=True)
    ):
        gantt = fig.add_subplot(grid[0, col])
        gantt.tick_params(labelsize=TICK_SIZE)
        plot_timeline(spans, title=name, ax=gantt, origin=origin)
        gantt.set_xlim(0, span_ms * 1.02)
        gantt.set_xlabel("")
        if col:
            gantt.set_ylabel("")
        below = fig.add_subplot(grid[1, col], sharex=gantt)
        below.tick_params(labelsize=TICK_SIZE)
        xs = [(t - origin) * 1000 for t, _ in lag.samples]
        ys = [late * 1000 for _, late in lag.samples]
        # one stem per wake-up: how late it came (nothing is known in between)
        below.vlines(xs, 0, ys, color="#9467bd", linewidth=1.5)
        below.plot(xs, ys, "o", color="#9467bd", markersize=3, label="wake-up lag")
        if blocked is not None:
            below.axhline(
                blocked * 1000,
                color="black",
                linestyle=":",
                linewidth=1.2,
                label=f"{blocked * 1000:.0f} ms",
            )
        below.set_ylim(0, top_lag)
        below.grid(alpha=0.35)
        below.set_xlabel("time since start (ms)", fontsize=LABEL_SIZE)
        if col == 0:
            below.set_ylabel("loop lag (ms)", fontsize=LABEL_SIZE)
        below.set_title(f"worst lag {lag.max * 1000:.0f} ms", fontsize=TITLE_SIZE - 2)
        below.legend(fontsize=LEGEND_SIZE - 1, loc="upper right")
    return fig
