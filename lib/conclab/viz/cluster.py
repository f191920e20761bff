"""Plots of ``13_dask.ipynb``: a task graph, and the cost of tiny tasks.

- :func:`plot_task_graph` draws a Dask collection's task graph (a
  ``dask.delayed`` result, a ``dask.bag``) with matplotlib from the graph's
  own dependencies: no graphviz needed (``collection.visualize()`` needs the
  graphviz program, often missing, and Colab's is not always there either).
- :func:`plot_task_sizes` draws the panel's measurements: speedup and
  overhead per task against the task size, process pool against Dask.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..core.validate import check_records
from .figures import LABEL_SIZE, LEGEND_SIZE, MODE_STYLE, TICK_SIZE, figure, label_axes
from .speedup import mode_line

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "ENGINE_STYLE",
    "graph_layers",
    "plot_task_graph",
    "plot_task_sizes",
    "task_label",
]

#: One colour and marker per engine, the same in every plot of notebook 13.
ENGINE_STYLE: dict[str, dict[str, str]] = {
    "process pool": MODE_STYLE["processes"],
    "dask": {"color": "#ff7f0e", "marker": "D"},
}
_NODE_COLORS = ("#cfe2f3", "#fde2c8", "#d9ead3", "#ead1dc", "#fff2cc", "#d0e0e3")

# a token Dask appends to keys: 32 hex digits, or a uuid
_TOKEN = re.compile(r"-([0-9a-f]{32}|[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12})$")


def _graph_of(collection: Any) -> dict[Hashable, Any]:
    if isinstance(collection, Mapping):
        return dict(collection)
    getter = getattr(collection, "__dask_graph__", None)
    if getter is None:
        raise TypeError(
            "collection must be a Dask collection (dask.delayed, dask.bag …) or "
            f"its graph as a dict, got {type(collection).__name__}"
        )
    return dict(getter())


def _dependencies(graph: dict[Hashable, Any]) -> dict[Hashable, set[Hashable]]:
    """key -> the keys it needs, inside ``graph`` (Dask's own reading of it)."""
    from dask.core import get_dependencies

    return {
        key: {d for d in get_dependencies(graph, key) if d in graph}  # type: ignore[call-overload]
        for key in graph
    }


def task_label(key: Hashable) -> str:
    """A short name for a task key: ``"count-1003"`` stays, ``"merge_counts-3f2a…"``
    becomes ``"merge_counts"``, ``("from_sequence-9e1…", 2)`` ``"from_sequence 2"``."""
    if isinstance(key, tuple) and key:
        head = task_label(key[0])
        rest = " ".join(str(k) for k in key[1:])
        return f"{head} {rest}".strip()
    text = str(key)
    return _TOKEN.sub("", text)


def _function_name(key: Hashable) -> str:
    """What colours a box: the label without its index (``count-1003`` and
    ``count-1004`` are both ``count``; ``reduce-part 2`` is ``reduce``)."""
    return task_label(key).split(" ")[0].rsplit("-", 1)[0]


def graph_layers(collection: Any) -> list[list[Hashable]]:
    """The task keys by depth: layer 0 needs nothing, layer n needs layer n-1 at
    most. Within a layer, keys are ordered so that edges cross little: the
    first layer by label, each next one by where its dependencies are."""
    graph = _graph_of(collection)
    if not graph:
        raise ValueError("the graph has no tasks")
    deps = _dependencies(graph)
    depth: dict[Hashable, int] = {}

    def depth_of(key: Hashable, seen: tuple[Hashable, ...] = ()) -> int:
        if key in depth:
            return depth[key]
        if key in seen:
            raise ValueError("the graph has a cycle")
        below = [depth_of(d, (*seen, key)) for d in deps[key]]
        depth[key] = 1 + max(below) if below else 0
        return depth[key]

    for key in graph:
        depth_of(key)
    layers: list[list[Hashable]] = [[] for _ in range(max(depth.values()) + 1)]
    for key, d in depth.items():
        layers[d].append(key)

    def natural(key: Hashable) -> tuple[Any, ...]:
        label = task_label(key)
        return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", label))

    layers[0].sort(key=natural)
    position = {key: i for i, key in enumerate(layers[0])}
    for layer in layers[1:]:

        def centre(key: Hashable) -> tuple[float, tuple[Any, ...]]:
            xs = [position[d] for d in deps[key] if d in position]
            return (sum(xs) / len(xs) if xs else 0.0, natural(key))

        layer.sort(key=centre)
        for i, key in enumerate(layer):
            position[key] = i
    return layers


def plot_task_graph(collection: Any, title: str = "") -> Figure:
    """The task graph of ``collection``: one box per task, an arrow from each
    task to the tasks that need its result; inputs at the top, the result at
    the bottom; boxes coloured by function (``13_dask.ipynb``)."""
    graph = _graph_of(collection)
    layers = graph_layers(graph)
    deps = _dependencies(graph)
    width = max(len(layer) for layer in layers)
    fig, ax = figure(figsize=(max(6.0, 1.9 * width), 1.35 * len(layers) + 1.2))
    xy: dict[Hashable, tuple[float, float]] = {}
    for row, layer in enumerate(layers):
        offset = (width - len(layer)) / 2
        for i, key in enumerate(layer):
            xy[key] = (offset + i + 0.5, -row)
    names = sorted({_function_name(k) for k in graph})
    colour = {n: _NODE_COLORS[i % len(_NODE_COLORS)] for i, n in enumerate(names)}
    for key, needs in deps.items():
        for dep in needs:
            ax.annotate(
                "",
                xy=xy[key],
                xytext=xy[dep],
                arrowprops={
                    "arrowstyle": "-|>",
                    "color": "#555555",
                    "linewidth": 1.4,
                    "shrinkA": 14,
                    "shrinkB": 14,
                },
            )
    for key, (x, y) in xy.items():
        label = task_label(key)
        name = _function_name(key)
        ax.text(
            x,
            y,
            label.replace(" ", "\n", 1) if len(label) > 14 else label,
            ha="center",
            va="center",
            fontsize=TICK_SIZE - 1,
            bbox={
                "boxstyle": "round,pad=0.4",
                "facecolor": colour[name],
                "edgecolor": "#333333",
            },
        )
    edges = sum(len(v) for v in deps.values())
    ax.set_xlim(0, width)
    ax.set_ylim(-len(layers) + 0.5, 0.5)
    ax.set_axis_off()
    ax.set_title(
        title or f"{len(graph)} tasks, {edges} dependencies",
        fontsize=LABEL_SIZE,
    )
    return fig


def plot_task_sizes(rows: Sequence[Any], title: str = "") -> Figure:
    """Speedup (left) and overhead per task (right) against the task size, one
    line per engine, from :func:`conclab.task_size_sweep` (``13_dask.ipynb``).

    The ideal speedup is ``min(workers, cores)``; a task is "big enough" for
    an engine when its line reaches the ideal.
    """
    checked = check_records(
        "rows",
        rows,
        ("engine", "size", "speedup", "overhead"),
        "TaskSizeRow",
        "lab.task_size_sweep()",
    )
    fig, (left, right) = figure(ncols=2)
    sizes = sorted({r.size for r in checked if r.size > 0})
    workers = max(r.workers for r in checked)
    cores = max(getattr(r, "cores", workers) for r in checked)
    ideal = min(workers, cores)
    left.axhline(
        ideal,
        color="black",
        linestyle=":",
        linewidth=2,
        label=f"ideal: min({workers} workers, {cores} cores)",
    )
    left.axhline(1.0, color="#555555", linestyle="--", linewidth=1.5, label="1×")
    for engine in [e for e in ENGINE_STYLE if any(r.engine == e for r in checked)]:
        style = ENGINE_STYLE[engine]
        mine = sorted(
            (r for r in checked if r.engine == engine and r.size > 0),
            key=lambda r: r.size,
        )
        xs = [r.size for r in mine]
        for ax, ys in (
            (left, [r.speedup for r in mine]),
            (right, [max(r.overhead, 1e-6) * 1000 for r in mine]),
        ):
            mode_line(ax, xs, ys, engine, style)
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_xticks(sizes)
        ax.set_xticklabels([f"{s * 1000:g} ms" for s in sizes])
        ax.minorticks_off()
    right.set_yscale("log")
    top = max([ideal, *(r.speedup for r in checked if r.size > 0)])
    left.set_ylim(0, top * 1.2)
    label_axes(left, "task size (CPU time per task)", "speedup (work / wall time)",
           "Speedup vs task size")  # fmt: skip
    label_axes(right, "task size (CPU time per task)", "overhead per task (ms)",
           "Time per task beyond the ideal")  # fmt: skip
    left.legend(fontsize=LEGEND_SIZE)
    right.legend(fontsize=LEGEND_SIZE)
    if title:
        fig.suptitle(title, fontsize=LABEL_SIZE + 1)
    return fig
