"""Plots of the directory searches of ``06_join.ipynb`` and ``08_wait_groups``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core.validate import check_number
from ..core.waitgroup import search_rows
from .figures import LABEL_SIZE, LEGEND_SIZE, TICK_SIZE, TITLE_SIZE, figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__: list[str] = ["plot_search_bars", "plot_search_sweep", "plot_tree_searches"]


def plot_search_sweep(rows: list[dict[str, Any]], title: str = "") -> Any:
    """Time and threads created per search against the number of directories.

    ``rows`` are dicts ``{"search", "directories", "seconds", "threads"}``
    (``06_join.ipynb`` builds them). Each search has its own marker and line
    style, the first drawn widest and hollow, so that two searches with the
    same values (08: the WaitGroup and join searches start the same threads)
    are both visible. Returns a matplotlib Figure.
    """

    if not rows:
        raise ValueError("rows must not be empty")
    fig, (ax_time, ax_threads) = figure(2, figsize=(11, 4.6))
    names = list(dict.fromkeys(r["search"] for r in rows))
    markers, dashes = "osd^v<>", ("-", "--", "-.", ":")
    for i, name in enumerate(names):
        mine = sorted(
            (r for r in rows if r["search"] == name), key=lambda r: r["directories"]
        )
        xs = [r["directories"] for r in mine]
        style = {  # lines that coincide stay visible: wide and hollow under thin
            "marker": markers[i % len(markers)],
            "linestyle": dashes[i % len(dashes)],
            "linewidth": max(1.2, 3.5 - i),
            "markersize": 13.0 if i == 0 else 6.0,
            "fillstyle": "none" if i == 0 else "full",
            "label": name,
            "zorder": 2 + i,
        }
        ax_time.plot(xs, [r["seconds"] * 1000 for r in mine], **style)
        ax_threads.plot(xs, [r["threads"] for r in mine], **style)
    ax_time.set_title("wall time", fontsize=TITLE_SIZE)
    ax_time.set_ylabel("wall time (ms)", fontsize=LABEL_SIZE)
    ax_threads.set_title("threads created", fontsize=TITLE_SIZE)
    ax_threads.set_ylabel("threads", fontsize=LABEL_SIZE)
    for ax in (ax_time, ax_threads):
        ax.set_xlabel("directories in the tree", fontsize=LABEL_SIZE)
        ax.set_ylim(bottom=-0.03 * ax.get_ylim()[1])  # 0 on the axis, markers whole
        ax.grid(alpha=0.3)
    ax_time.legend(fontsize=LEGEND_SIZE)
    if title:
        fig.suptitle(title, fontsize=TITLE_SIZE)
    return fig


def plot_search_bars(rows: list[dict[str, Any]], title: str = "") -> Figure:
    """Two bar charts for one tree: wall time and threads per search. ``08``."""
    from matplotlib.figure import Figure

    if not rows:
        raise ValueError("rows must not be empty")
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    ax_t, ax_n = fig.subplots(1, 2)
    names = [r["search"] for r in rows]
    colors = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple"]
    colors = (colors * len(names))[: len(names)]
    for ax, key, scale, label, fmt in (
        (ax_t, "seconds", 1e3, "wall time (ms)", "{:.0f}"),
        (ax_n, "threads", 1, "threads created", "{:.0f}"),
    ):
        values = [r[key] * scale for r in rows]
        bars = ax.barh(names, values, color=colors)
        ax.bar_label(
            bars, [fmt.format(v) for v in values], padding=3, fontsize=TICK_SIZE
        )
        ax.tick_params(labelsize=TICK_SIZE)
        ax.set_xlabel(label, fontsize=LABEL_SIZE)
        ax.invert_yaxis()
        ax.margins(x=0.2)
    ax_n.set_yticklabels([])
    fig.suptitle(
        title or f"one tree of {rows[0]['directories']} directories",
        fontsize=TITLE_SIZE,
    )
    return fig


def plot_tree_searches(
    depth: int = 3, fanout: int = 3, delay_ms: float = 1.0
) -> Figure:
    """Build a tree, run the four searches, draw time and threads as bars.

    For ``lab.figure_panel`` in ``08_wait_groups.ipynb``: ``delay_ms`` is the
    pretend slow-disk wait per directory listing.
    """
    check_number("delay_ms", delay_ms, minimum=0, maximum=20)
    rows = search_rows(depth, fanout, delay=delay_ms / 1e3)
    return plot_search_bars(
        rows,
        title=f"depth {depth}, fanout {fanout}: {rows[0]['directories']} "
        f"directories, {delay_ms:g} ms per listing",
    )
