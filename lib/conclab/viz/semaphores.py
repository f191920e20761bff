"""Plots of semaphore-limited downloads: throughput and concurrency vs permits.

For ``10_semaphores_events_deadlocks.ipynb`` and its panel. Object-oriented
matplotlib (a ``Figure`` from :func:`conclab.figure`), never pyplot.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..core.semaphores import DownloadRun
from .figures import LEGEND_SIZE, MODE_STYLE, TITLE_SIZE, figure, label_axes
from .speedup import mode_line

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_permit_runs"]


def _check_runs(runs: Sequence[DownloadRun]) -> list[DownloadRun]:
    if isinstance(runs, DownloadRun) or not isinstance(runs, Sequence):
        raise TypeError("runs must be a list of DownloadRun (from lab.time_permits)")
    runs = list(runs)
    if not runs:
        raise ValueError("runs must not be empty")
    for run in runs:
        if not isinstance(run, DownloadRun):
            raise TypeError(f"runs must hold DownloadRun, got {type(run).__name__}")
    return sorted(runs, key=lambda r: r.permits)


def plot_permit_runs(runs: Sequence[DownloadRun], title: str = "") -> Figure:
    """Left: downloads per second against permits, measured and ideal.
    Right: the most downloads in flight at once against permits, with the
    limit the semaphore promises. ``10_semaphores_events_deadlocks.ipynb``."""
    runs = _check_runs(runs)
    permits = [r.permits for r in runs]
    fig, (left, right) = figure(ncols=2)
    style = MODE_STYLE["threads"]
    if runs[0].latency > 0:  # with no latency there is no finite ideal
        left.plot(
            permits,
            [r.ideal_throughput for r in runs],
            linestyle="--",
            color="black",
            linewidth=1.5,
            label="ideal: no overhead",
        )
    mode_line(left, permits, [r.throughput for r in runs], "measured", style)
    label_axes(left, "permits (semaphore size)", "downloads per second", "Throughput")
    left.set_ylim(bottom=0)
    left.legend(fontsize=LEGEND_SIZE)

    right.plot(
        permits,
        [min(p, runs[0].downloads) for p in permits],
        linestyle="--",
        color="black",
        linewidth=1.5,
        label="limit: min(permits, downloads)",
    )
    right.bar(
        permits,
        [r.peak for r in runs],
        width=[0.35 * p for p in permits],
        color=style["color"],
        alpha=0.8,
        label="measured peak",
    )
    label_axes(
        right, "permits (semaphore size)", "most downloads at once", "Concurrency"
    )
    right.legend(fontsize=LEGEND_SIZE)
    for ax in (left, right):
        ax.set_xscale("log", base=2)
        ax.set_xticks(permits)
        ax.set_xticklabels([str(p) for p in permits])
        ax.minorticks_off()
    first = runs[0]
    fig.suptitle(
        title
        or f"{first.downloads} downloads, {first.latency * 1000:.0f} ms server latency",
        fontsize=TITLE_SIZE,
    )
    return fig
