"""Plots of ``05_race_conditions.ipynb`` and ``06_join.ipynb``: where the lock
goes, lost updates against iterations, and the waiting strategies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..core.races import RaceResult
from ..core.waiting import WaitResult
from .figures import LABEL_SIZE, LEGEND_SIZE, TICK_SIZE, TITLE_SIZE, figure

__all__: list[str] = ["plot_counter_times", "plot_race_sweep", "plot_waits"]


def plot_counter_times(times: Mapping[str, float], title: str = "") -> Any:
    """Horizontal bar chart of :func:`time_letter_counters` output (a Figure)."""

    if not times:
        raise ValueError("times must not be empty")
    names = list(times)
    values = [times[n] * 1000 for n in names]
    fig, ax = figure(figsize=(8, 0.55 * len(names) + 1.6))
    bars = ax.barh(names[::-1], values[::-1], color="tab:blue")
    ax.bar_label(bars, fmt="%.0f ms", padding=3, fontsize=TICK_SIZE)
    ax.set_xlabel("wall time (ms, best of the runs)", fontsize=LABEL_SIZE)
    ax.set_xlim(0, max(values) * 1.25)
    ax.set_title(title or "Letter counter: where the lock goes", fontsize=TITLE_SIZE)
    return fig


def plot_race_sweep(results: Sequence[RaceResult], title: str = "") -> Any:
    """Lost updates (%) and time (s) against iterations, locked vs unlocked."""

    if not results:
        raise ValueError("results must not be empty")
    fig, (ax_lost, ax_time) = figure(2, figsize=(11, 4.4))
    for use_lock, style in ((False, "o-"), (True, "s--")):
        rows = sorted(
            (r for r in results if r.use_lock == use_lock), key=lambda r: r.iterations
        )
        if not rows:
            continue
        label = "with lock" if use_lock else "no lock"
        xs = [r.iterations for r in rows]
        lost = [100 * r.lost / r.expected if r.expected else 0 for r in rows]
        ax_lost.plot(xs, lost, style, label=label)
        ax_time.plot(xs, [r.seconds for r in rows], style, label=label)
    threads = results[0].threads
    ax_lost.set_title("updates lost", fontsize=TITLE_SIZE)
    ax_lost.set_ylabel("% of increments lost", fontsize=LABEL_SIZE)
    ax_time.set_title("wall time", fontsize=TITLE_SIZE)
    ax_time.set_ylabel("seconds", fontsize=LABEL_SIZE)
    for ax in (ax_lost, ax_time):
        ax.set_xlabel(f"iterations per thread ({threads} threads)", fontsize=LABEL_SIZE)
        ax.set_xscale("log")
        ax.legend(fontsize=LEGEND_SIZE)
        ax.grid(alpha=0.3)
    ax_lost.set_ylim(bottom=-2)
    ax_time.set_ylim(bottom=0)
    if title:
        fig.suptitle(title, fontsize=TITLE_SIZE)
    return fig


def plot_waits(results: Sequence[WaitResult], title: str = "") -> Any:
    """Bar chart of waiting strategies: time waited, work time marked, and
    which ones returned before the work was done. ``06_join.ipynb``."""

    if not results:
        raise ValueError("results must not be empty")
    names = [r.strategy for r in results]
    fig, ax = figure(figsize=(8, 0.6 * len(results) + 1.8))
    colors = ["tab:green" if r.complete else "tab:red" for r in results]
    bars = ax.barh(names[::-1], [r.seconds for r in results][::-1], color=colors[::-1])
    labels = [f"{r.seconds:.2f} s, {r.finished}/{r.workers} done" for r in results][
        ::-1
    ]
    ax.bar_label(bars, labels=labels, padding=3, fontsize=TICK_SIZE)
    work = max(r.work_seconds for r in results)
    ax.axvline(work, color="black", linestyle="--", linewidth=1)
    ax.text(
        work,
        len(results) - 0.45,
        " the work takes this long",
        va="bottom",
        fontsize=TICK_SIZE,
    )
    ax.set_xlim(0, max(r.seconds for r in results) * 1.5)
    ax.set_ylim(-0.6, len(results) - 0.05)
    ax.set_xlabel(
        "seconds until the waiting ended (red: work not finished yet)",
        fontsize=LABEL_SIZE,
    )
    workers = max(r.workers for r in results)
    ax.set_title(
        title or f"Waiting for {workers} threads: join, poll, or sleep",
        fontsize=TITLE_SIZE,
    )
    return fig
