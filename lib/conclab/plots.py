"""Time and speedup plots, bar charts, and how notebooks show figures.

Introduced in ``00_start_here.ipynb`` and used by every notebook that times
something. Everything is built with matplotlib's object-oriented API
(:class:`matplotlib.figure.Figure` drawn by the Agg canvas), never with
``pyplot``: no figure registry, no global state shared between cells, and no
``<Figure size …>`` text that differs between Jupyter and nbval. Notebooks
show a figure with :func:`show`, which displays it as a static PNG.

matplotlib is imported inside the functions, not at module level: a child
process started with spawn or forkserver imports ``conclab`` and should not
pay half a second for a plotting library it never uses.
"""

from __future__ import annotations

import base64
import io
import statistics
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from ._validate import check_choice, check_int, check_number

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "amdahl",
    "figure",
    "figure_png",
    "plot_bars",
    "plot_speedup",
    "plot_sweep",
    "plot_times",
    "show",
]

#: Font sizes (points) chosen to stay readable on a projector.
TITLE_SIZE = 15
LABEL_SIZE = 14
TICK_SIZE = 12
LEGEND_SIZE = 12

#: One colour and marker per execution mode, the same in every plot.
MODE_STYLE: dict[str, dict[str, str]] = {
    "sequential": {"color": "#555555", "marker": "s"},
    "threads": {"color": "#1f77b4", "marker": "o"},
    "processes": {"color": "#d62728", "marker": "^"},
}
_FALLBACK_COLORS = ("#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf")


class Timing(Protocol):
    """What the plots need from a run: a ``runner.RunResult`` has all three."""

    mode: str
    workers: int
    wall: float


def figure(
    ncols: int = 1, figsize: tuple[float, float] | None = None
) -> tuple[Figure, Any]:
    """A new figure with ``ncols`` axes side by side, styled for a projector.

    Returns ``(fig, ax)`` for one column, ``(fig, (ax1, ax2, …))`` for more.
    The figure belongs to no pyplot registry: show it with :func:`show`.
    Introduced in ``00_start_here.ipynb``.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    check_int("ncols", ncols, minimum=1, maximum=4)
    if figsize is None:
        figsize = (6.25 * ncols if ncols > 1 else 8.0, 5.0 if ncols == 1 else 4.8)
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]
    for ax in axes:
        _style(ax)
    return fig, (axes[0] if ncols == 1 else tuple(axes))


def _style(ax: Axes) -> None:
    ax.tick_params(labelsize=TICK_SIZE)
    ax.grid(True, alpha=0.35)


def _mode_line(
    ax: Axes, xs: list[int], ys: list[float], mode: str, style: dict[str, str]
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


def _label(ax: Axes, xlabel: str, ylabel: str, title: str) -> None:
    ax.set_xlabel(xlabel, fontsize=LABEL_SIZE)
    ax.set_ylabel(ylabel, fontsize=LABEL_SIZE)
    if title:
        ax.set_title(title, fontsize=TITLE_SIZE)


def figure_png(fig: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes (Agg renderer; no timestamp or version metadata).

    What :func:`show` displays and the panels' images hold
    (``00_start_here.ipynb``).
    """
    from matplotlib.figure import Figure

    if not isinstance(fig, Figure):
        raise TypeError(
            f"fig must be a matplotlib Figure, got {type(fig).__name__} {fig!r}"
        )
    check_int("dpi", dpi, minimum=20, maximum=600)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def show(fig: Figure, dpi: int = 100) -> None:
    """Display ``fig`` as a static PNG image in the notebook.

    Every notebook shows its figures this way (not ``plt.show()``): the output
    is an ``image/png`` that looks the same in JupyterLab, Notebook, VS Code,
    Colab and on GitHub, and nbval sees no varying ``<Figure …>`` text.
    Outside IPython (a plain script) it prints one line saying what the
    figure is and how to save it, instead of failing.
    """
    png = figure_png(fig, dpi=dpi)
    if _ipython_shell() is not None:
        from IPython.display import Image, display

        display(Image(data=png, format="png"))
        return
    titles = [ax.get_title() for ax in fig.get_axes() if ax.get_title()]
    name = "; ".join(titles) or "untitled"
    print(
        f"[figure: {name} — {len(png)} bytes of PNG; not in a notebook, "
        "save it with open('plot.png', 'wb').write(lab.figure_png(fig))]"
    )


def _ipython_shell() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def png_base64(png: bytes) -> str:
    """PNG bytes as the base64 text notebooks store (used by the panels)."""
    return base64.b64encode(png).decode("ascii")


def amdahl(workers: int, serial_fraction: float) -> float:
    """Amdahl's law: the best speedup on ``workers`` cores when a fraction
    ``serial_fraction`` of the work cannot run in parallel.

    ``1 / (s + (1 - s) / n)``: with ``s = 0.1`` no number of cores gets past
    10×. Introduced in ``02_the_gil.ipynb``.
    """
    n = check_int("workers", workers, minimum=1)
    s = check_number("serial_fraction", serial_fraction, minimum=0.0, maximum=1.0)
    return 1.0 / (s + (1.0 - s) / n)


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
        "color": _FALLBACK_COLORS[index % len(_FALLBACK_COLORS)],
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
        _mode_line(
            ax, [w for w, _ in points], [wall for _, wall in points], mode, style
        )
    ax.set_ylim(bottom=0)
    _label(ax, "workers", "wall time (s)", title)
    ax.legend(fontsize=LEGEND_SIZE)


#: What bounds the ideal speedup: the cores (computing) or the workers (waiting).
IDEALS = ("cores", "workers")


def _draw_reference_lines(
    ax: Axes,
    max_workers: int,
    cores: int,
    serial_fraction: float | None,
    ideal: str = "cores",
) -> float:
    """The ideal line, Amdahl's curve, the 1× line; returns the highest
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
    if serial_fraction is not None:
        curve = [amdahl(n, serial_fraction) for n in processors]
        ax.plot(
            span,
            curve,
            color="#ff7f0e",
            linestyle="-.",
            linewidth=2,
            label=f"Amdahl, serial fraction {serial_fraction:g}",
        )
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
    serial_fraction: float | None,
    title: str,
    ideal: str = "cores",
) -> None:
    by_mode = _by_mode(results)
    base = _sequential_wall(by_mode)
    ticks = _worker_ticks(ax, results)
    top = _draw_reference_lines(ax, max(ticks), cores, serial_fraction, ideal)
    for i, (mode, points) in enumerate(by_mode.items()):
        if mode == "sequential":
            continue
        style = _style_for(mode, i)
        xs = [w for w, _ in points]
        ys = [base / wall if wall > 0 else float("inf") for _, wall in points]
        top = max([top, *(y for y in ys if y != float("inf"))])
        _mode_line(ax, xs, ys, mode, style)
    ax.set_ylim(0, top * 1.15)
    _label(ax, "workers", "speedup (× sequential)", title)
    ax.legend(fontsize=LEGEND_SIZE)


def _cores(cores: int | None) -> int:
    if cores is None:
        from .env import usable_cores

        return usable_cores()
    return check_int("cores", cores, minimum=1)


def _fraction(serial_fraction: float | None) -> float | None:
    if serial_fraction is None:
        return None
    return check_number("serial_fraction", serial_fraction, minimum=0.0, maximum=1.0)


def plot_times(
    results: Sequence[Timing],
    title: str = "Wall time vs workers",
    ax: Axes | None = None,
) -> Figure:
    """Wall time (s) against workers, one line per mode; sequential is a
    dashed horizontal reference line. ``results`` come from ``lab.sweep``
    (``02_the_gil.ipynb``).
    """
    checked = _check_results(results)
    if ax is None:
        fig, ax = figure()
    else:
        fig = ax.get_figure()
    _draw_times(ax, checked, title)
    return fig


def plot_speedup(
    results: Sequence[Timing],
    cores: int | None = None,
    serial_fraction: float | None = None,
    title: str = "Speedup vs workers",
    ax: Axes | None = None,
    ideal: str = "cores",
) -> Figure:
    """Speedup (sequential wall time / wall time) against workers, one line per
    mode, with the ideal line ``min(workers, cores)`` (``cores`` defaults to
    ``lab.usable_cores()``) and, when ``serial_fraction`` is given, Amdahl's
    curve ``amdahl(min(workers, cores), serial_fraction)``: more workers than
    cores add no processors. For waiting (sleep, network) pass
    ``ideal="workers"``: a waiting worker needs no core, so the ideal is
    ``workers`` and Amdahl's curve uses it too. Introduced in
    ``02_the_gil.ipynb``.
    """
    checked = _check_results(results)
    n_cores = _cores(cores)
    fraction = _fraction(serial_fraction)
    check_choice("ideal", ideal, IDEALS)
    if ax is None:
        fig, ax = figure()
    else:
        fig = ax.get_figure()
    _draw_speedup(ax, checked, n_cores, fraction, title, ideal)
    return fig


def plot_sweep(
    results: Sequence[Timing],
    cores: int | None = None,
    serial_fraction: float | None = None,
    title: str = "",
    ideal: str = "cores",
) -> Figure:
    """Wall time and speedup side by side (the speedup panel's picture,
    ``00_start_here.ipynb``); arguments as for :func:`plot_speedup`."""
    checked = _check_results(results)
    n_cores = _cores(cores)
    fraction = _fraction(serial_fraction)
    check_choice("ideal", ideal, IDEALS)
    fig, (left, right) = figure(ncols=2)
    _draw_times(left, checked, "Wall time vs workers")
    _draw_speedup(right, checked, n_cores, fraction, "Speedup vs workers", ideal)
    if title:
        fig.suptitle(title, fontsize=TITLE_SIZE)
    return fig


def plot_bars(
    labels: Sequence[str],
    values: Sequence[float],
    errors: Sequence[float] | None = None,
    ylabel: str = "",
    title: str = "",
    xlabel: str = "",
    fmt: str = "{:.3g}",
    ax: Axes | None = None,
) -> Figure:
    """A bar per label with its value written on top, optional error bars.

    For start-method costs, lock granularity, memory per child …: ``ylabel``
    should name the unit, e.g. ``plot_bars(["fork", "spawn"], [2.1, 55],
    ylabel="start + join (ms)")`` (``03_start_methods.ipynb``).
    """
    if isinstance(labels, str) or not isinstance(labels, Sequence):
        raise TypeError(f"labels must be a list of str, got {type(labels).__name__}")
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise TypeError(
            f"values must be a list of numbers, got {type(values).__name__}"
        )
    if not labels:
        raise ValueError("labels must not be empty")
    if len(values) != len(labels):
        raise ValueError(
            f"values must have one number per label: {len(labels)} labels, "
            f"{len(values)} values"
        )
    nums = [check_number(f"values[{i}]", v) for i, v in enumerate(values)]
    errs = None
    if errors is not None:
        if len(errors) != len(labels):
            raise ValueError(
                f"errors must have one number per label: {len(labels)} labels, "
                f"{len(errors)} errors"
            )
        errs = [
            check_number(f"errors[{i}]", e, minimum=0.0) for i, e in enumerate(errors)
        ]
    fmt.format(1.0)  # a bad format string fails here, with its own message
    if ax is None:
        fig, ax = figure(figsize=(max(6.0, 1.3 * len(labels) + 3), 5.0))
    else:
        fig = ax.get_figure()
    colors = [_FALLBACK_COLORS[i % len(_FALLBACK_COLORS)] for i in range(len(labels))]
    colors = [
        MODE_STYLE.get(str(lab), {}).get("color", c)
        for lab, c in zip(labels, colors, strict=True)
    ]
    bars = ax.bar([str(x) for x in labels], nums, yerr=errs, capsize=6, color=colors)
    for bar, value, err in zip(bars, nums, errs or [0.0] * len(nums), strict=True):
        ax.annotate(
            fmt.format(value),
            (bar.get_x() + bar.get_width() / 2, value + (err if value >= 0 else -err)),
            xytext=(0, 4 if value >= 0 else -4),
            textcoords="offset points",
            ha="center",
            va="bottom" if value >= 0 else "top",
            fontsize=TICK_SIZE,
        )
    ax.grid(False, axis="x")
    ax.margins(y=0.15)
    _label(ax, xlabel, ylabel, title)
    return fig
