"""Plots of ``01_processes_and_threads`` and ``03_start_methods``: child memory,
start costs and copy-on-write.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..core.memory import ChildMemory
from ..core.startmethods import StartCosts
from .figures import LABEL_SIZE, LEGEND_SIZE, TICK_SIZE, TITLE_SIZE, figure

__all__: list[str] = ["plot_child_memory", "plot_copy_on_write", "plot_start_costs"]


def _figure(width: float = 8.0, height: float = 4.5, ax: Any = None) -> tuple[Any, Any]:
    """A projector-styled figure (:func:`conclab.figure`), no x grid; or
    ``ax``'s figure when an axes is given (a panel's side-by-side plots)."""
    if ax is None:
        fig, ax = figure(figsize=(width, height))
    else:
        fig = ax.figure
    ax.grid(False, axis="x")
    return fig, ax


def plot_child_memory(rows: list[ChildMemory], title: str = "", ax: Any = None) -> Any:
    """Bars of RSS and USS per start method (notebooks 01 and 03), on ``ax``
    when given."""
    if not rows:
        raise ValueError("rows must hold at least one ChildMemory")
    fig, ax = _figure(ax=ax)
    xs = range(len(rows))
    width = 0.38
    rss = ax.bar(
        [x - width / 2 for x in xs],
        [r.rss for r in rows],
        width,
        label="RSS: resident (shared pages count too)",
        color="#9ecae1",
    )
    uss = ax.bar(
        [x + width / 2 for x in xs],
        [r.uss for r in rows],
        width,
        label="USS: unique to the child",
        color="#3182bd",
    )
    ax.bar_label(rss, fmt="%.0f", fontsize=TICK_SIZE)
    ax.bar_label(uss, fmt="%.1f", fontsize=TICK_SIZE)
    ax.set_xticks(list(xs), [r.method for r in rows])
    ax.set_ylabel("MB", fontsize=LABEL_SIZE)
    ax.set_ylim(0, max(r.rss for r in rows) * 1.3)
    ax.set_title(
        title or f"Memory of one idle child (parent RSS {rows[0].parent_rss:.0f} MB)",
        fontsize=TITLE_SIZE,
    )
    ax.legend(loc="upper right", fontsize=LEGEND_SIZE)
    return fig


def plot_start_costs(costs: StartCosts, title: str = "", ax: Any = None) -> Any:
    """Bar chart of the median start+join time per method; forkserver's first
    start (which also starts the server) as a separate hatched bar (03). On
    ``ax`` when given."""
    medians = costs.medians_ms()
    labels = list(medians)
    values = list(medians.values())
    colors = ["#3182bd"] * len(values)
    hatches = [""] * len(values)
    if costs.forkserver_first is not None:
        labels.append("forkserver\nfirst start\n(fresh interpreter)")
        values.append(costs.forkserver_first * 1000)
        colors.append("#fdae6b")
        hatches.append("//")
    if not values:
        raise ValueError("costs must hold the times of at least one method")
    fig, ax = _figure(ax=ax)
    bars = ax.bar(labels, values, color=colors, hatch=hatches, edgecolor="white")
    ax.bar_label(bars, fmt="%.1f ms", fontsize=TICK_SIZE)
    ax.set_ylabel("start + join, empty process (ms)", fontsize=LABEL_SIZE)
    ax.set_ylim(0, max(values) * 1.2)
    ax.set_title(
        title or "What starting one process costs (median)", fontsize=TITLE_SIZE
    )
    return fig


def plot_copy_on_write(result: Mapping[str, float], n: int = 1_000_000) -> Any:
    """Horizontal bars of :func:`copy_on_write_demo` (notebook 03)."""
    labels = list(result)[::-1]
    values = [result[k] for k in labels]
    fig, ax = _figure(9.0, 5.0)
    ax.grid(False, axis="y")
    bars = ax.barh(labels, values, color="#e6550d")
    ax.bar_label(bars, fmt="%.1f MB", fontsize=TICK_SIZE, padding=3)
    ax.set_xlim(0, max(max(values), 1) * 1.3)
    ax.set_xlabel("memory the child made private (USS growth, MB)", fontsize=LABEL_SIZE)
    ax.set_title(
        f"Copy-on-write in CPython:\n{n:,} objects shared with a forked child",
        fontsize=TITLE_SIZE,
    )
    return fig
