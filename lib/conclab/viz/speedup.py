"""Time and speedup plots with the ideal line.

Introduced in ``02_the_gil.ipynb``; the speedup panel draws with them. All
object-oriented matplotlib (:func:`conclab.figure`), never pyplot.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, cast

from ..core.env import usable_cores
from ..core.validate import check_choice, check_int, check_number
from .figures import (
    FALLBACK_COLORS,
    LEGEND_SIZE,
    MODE_STYLE,
    TITLE_SIZE,
    figure,
    label_axes,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__: list[str] = ["plot_speedup", "plot_sweep"]


class Timing(Protocol):
    """What the plots need from a run: a ``runner.RunResult`` has all three."""

    @property
    def mode(self) -> str: ...
    @property
    def workers(self) -> int: ...
    @property
    def wall(self) -> float: ...


def mode_line(
    ax: Axes, xs: Sequence[float], ys: Sequence[float], mode: str, style: dict[str, str]
) -> None:
    """One measured line, in the mode's colour and marker."""
    ax.plot(
        xs,
        ys,
        marker=style["marker"],
        color=style["color"],
        linewidth=2.5,
        markersize=8,
        label=mode,
    )


def _check_results(results: Sequence[Any]) -> list[Timing]:
    if isinstance(results, (str, bytes)) or not isinstance(results, Sequence):
        raise TypeError(
            "results must be a list of RunResult (from lab.sweep or lab.run), "
            f"got {type(results).__name__}"
        )
    if not results:
        raise ValueError("results must not be empty: run lab.sweep(...) first")
    for i, r in enumerate(results):
        missing = [a for a in ("mode", "workers", "wall") if not hasattr(r, a)]
        if missing:
            raise TypeError(
                f"results[{i}] must have .mode, .workers and .wall (a RunResult); "
                f"{type(r).__name__} lacks {', '.join(missing)}"
            )
        check_int(f"results[{i}].workers", r.workers, minimum=1)
        check_number(f"results[{i}].wall", r.wall, minimum=0.0)
    return list(results)


def _by_mode(results: list[Timing]) -> dict[str, list[tuple[int, float]]]:
    """mode -> sorted [(workers, wall)], the median wall per worker count."""
    grouped: dict[str, dict[int, list[float]]] = {}
    for r in results:
        grouped.setdefault(r.mode, {}).setdefault(r.workers, []).append(r.wall)
    return {
        mode: sorted((w, statistics.median(walls)) for w, walls in per.items())
        for mode, per in grouped.items()
    }


def _style_for(mode: str, index: int) -> dict[str, str]:
    default = {
        "color": FALLBACK_COLORS[index % len(FALLBACK_COLORS)],
        "marker": "D",
    }
    return MODE_STYLE.get(mode, default)


def _worker_ticks(ax: Axes, results: list[Timing]) -> list[int]:
    ticks = sorted({r.workers for r in results})
    ax.set_xticks(ticks)
    return ticks


def _sequential_wall(by_mode: dict[str, list[tuple[int, float]]]) -> float:
    if "sequential" not in by_mode:
        raise ValueError(
            "speedup needs a 'sequential' result as the baseline; include "
            "'sequential' in modes"
        )
    return statistics.median(wall for _, wall in by_mode["sequential"])


def _draw_times(ax: Axes, results: list[Timing], title: str) -> None:
    by_mode = _by_mode(results)
    _worker_ticks(ax, results)
    for i, (mode, points) in enumerate(by_mode.items()):
        style = _style_for(mode, i)
        if mode == "sequential":
            wall = statistics.median(w for _, w in points)
            ax.axhline(
                wall,
                color=style["color"],
                linestyle="--",
                linewidth=2,
                label=f"sequential ({wall:.2f} s)",
            )
            continue
        mode_line(ax, [w for w, _ in points], [wall for _, wall in points], mode, style)
    ax.set_ylim(bottom=0)
    label_axes(ax, "workers", "wall time (s)", title)
    ax.legend(fontsize=LEGEND_SIZE)


#: What bounds the ideal speedup: the cores (computing) or the workers (waiting).
IDEALS = ("cores", "workers")


def draw_reference_lines(
    ax: Axes,
    max_workers: int,
    cores: int,
    ideal: str = "cores",
) -> float:
    """The ideal line and the 1× line; returns the highest
    reference value. ``ideal="cores"``: min(workers, cores), for work that
    needs a core; ``"workers"``: workers, for waiting (sleep, network), which
    needs no core."""
    span = list(range(1, max_workers + 1))
    if ideal == "cores":
        processors = [min(n, cores) for n in span]
        label = f"ideal: min(workers, {cores} cores)"
    else:
        processors = span
        label = "ideal for waiting: workers"
    ax.plot(span, processors, color="black", linestyle=":", linewidth=2, label=label)
    ax.axhline(
        1.0,
        color=MODE_STYLE["sequential"]["color"],
        linestyle="--",
        linewidth=1.5,
        label="sequential (1×)",
    )
    top = float(max(processors))
    ax.set_ylim(0, top * 1.15)
    return top


def _draw_speedup(
    ax: Axes,
    results: list[Timing],
    cores: int,
    title: str,
    ideal: str = "cores",
) -> None:
    by_mode = _by_mode(results)
    base = _sequential_wall(by_mode)
    ticks = _worker_ticks(ax, results)
    top = draw_reference_lines(ax, max(ticks), cores, ideal)
    for i, (mode, points) in enumerate(by_mode.items()):
        if mode == "sequential":
            continue
        style = _style_for(mode, i)
        xs = [w for w, _ in points]
        ys = [base / wall if wall > 0 else float("inf") for _, wall in points]
        top = max([top, *(y for y in ys if y != float("inf"))])
        mode_line(ax, xs, ys, mode, style)
    ax.set_ylim(0, top * 1.15)
    label_axes(ax, "workers", "speedup (× sequential)", title)
    ax.legend(fontsize=LEGEND_SIZE)


def resolve_cores(cores: int | None) -> int:
    """``cores``, checked, or this machine's usable cores when None."""
    if cores is None:
        return usable_cores()
    return check_int("cores", cores, minimum=1)


def plot_speedup(
    results: Sequence[Timing],
    cores: int | None = None,
    title: str = "Speedup vs workers",
    ax: Axes | None = None,
    ideal: str = "cores",
) -> Figure:
    """Speedup (sequential wall time / wall time) against workers, one line per
    mode, with the ideal line ``min(workers, cores)`` (``cores`` defaults to
    ``lab.usable_cores()``): more workers than cores add no processors. For
    waiting (sleep, network) pass ``ideal="workers"``: a waiting worker needs
    no core, so the ideal is ``workers``. Introduced in
    ``02_the_gil.ipynb``.
    """
    checked = _check_results(results)
    n_cores = resolve_cores(cores)
    check_choice("ideal", ideal, IDEALS)
    if ax is None:
        fig, ax = figure()
    else:
        fig = cast("Figure", ax.get_figure())
    _draw_speedup(ax, checked, n_cores, title, ideal)
    return fig


def plot_sweep(
    results: Sequence[Timing],
    cores: int | None = None,
    title: str = "",
    ideal: str = "cores",
) -> Figure:
    """Wall time and speedup side by side (the speedup panel's picture,
    ``00_start_here.ipynb``); arguments as for :func:`plot_speedup`."""
    checked = _check_results(results)
    n_cores = resolve_cores(cores)
    check_choice("ideal", ideal, IDEALS)
    fig, (left, right) = figure(ncols=2)
    _draw_times(left, checked, "Wall time vs workers")
    _draw_speedup(right, checked, n_cores, "Speedup vs workers", ideal)
    if title:
        fig.suptitle(title, fontsize=TITLE_SIZE)
    return fig
