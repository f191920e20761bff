"""Figures: how notebooks make and show them, the projector style, bar charts.

Introduced in ``00_start_here.ipynb`` and used by every plot of the course.
Everything is built with matplotlib's object-oriented API
(:class:`matplotlib.figure.Figure` drawn by the Agg canvas), never with
``pyplot``: no figure registry, no global state shared between cells, and no
``<Figure size …>`` text that differs between Jupyter and nbval. Notebooks
show a figure with :func:`show`, which displays it as a static PNG.

matplotlib is imported inside the functions, not at module level: a child
process started with spawn or forkserver imports ``conclab`` and should not
pay half a second for a plotting library it never uses.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from ..core.validate import check_int, check_number

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__: list[str] = ["figure", "figure_png", "plot_bars", "show"]


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

FALLBACK_COLORS = ("#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf")


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
        ax.tick_params(labelsize=TICK_SIZE)
        ax.grid(True, alpha=0.35)
    return fig, (axes[0] if ncols == 1 else tuple(axes))


def label_axes(ax: Axes, xlabel: str, ylabel: str, title: str) -> None:
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
        fig = cast("Figure", ax.get_figure())
    colors = [FALLBACK_COLORS[i % len(FALLBACK_COLORS)] for i in range(len(labels))]
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
    label_axes(ax, xlabel, ylabel, title)
    return fig
