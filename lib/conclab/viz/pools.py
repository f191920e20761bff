"""Plots of pool measurements: cost per task against chunksize, speedup
against pool size. For ``09_executors_and_pools.ipynb``.

Object-oriented matplotlib only (figures from :func:`conclab.figure`), styled
like the course's other plots: processes red, threads blue, the plain loop
grey.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core.validate import check_int, check_number
from .figures import LABEL_SIZE, LEGEND_SIZE, MODE_STYLE, TITLE_SIZE, figure, label_axes
from .speedup import mode_line, plot_speedup

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["POOL_STYLE", "check_chunk_rows", "plot_chunksizes", "plot_pool_sizes"]

#: Colour and marker of each pool in :func:`plot_chunksizes`.
POOL_STYLE: dict[str, dict[str, str]] = {
    "plain loop": {"color": MODE_STYLE["sequential"]["color"], "marker": "s"},
    "ThreadPoolExecutor": {"color": MODE_STYLE["threads"]["color"], "marker": "o"},
    "ProcessPoolExecutor": {"color": MODE_STYLE["processes"]["color"], "marker": "^"},
    "multiprocessing.Pool": {"color": "#9467bd", "marker": "D"},
}


def check_chunk_rows(rows: Any) -> list[Mapping[str, Any]]:
    """Validate chunksize measurements: a non-empty list of dicts with
    ``pool`` (a name of :data:`POOL_STYLE`), ``chunksize`` (int >= 1) and
    ``per_task`` (seconds > 0); an optional ``default: True`` marks the
    chunksize a pool chose by itself. Returns the rows as a list."""
    if isinstance(rows, (str, bytes)) or not isinstance(rows, Sequence):
        raise TypeError(f"rows must be a list of dicts, got {type(rows).__name__}")
    if not rows:
        raise ValueError("rows must not be empty: measure something first")
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise TypeError(f"rows[{i}] must be a dict, got {type(row).__name__}")
        missing = [k for k in ("pool", "chunksize", "per_task") if k not in row]
        if missing:
            raise ValueError(f"rows[{i}] lacks {', '.join(missing)}")
        if row["pool"] not in POOL_STYLE:
            names = ", ".join(repr(n) for n in POOL_STYLE)
            raise ValueError(f"rows[{i}]['pool'] must be one of {names}")
        check_int(f"rows[{i}]['chunksize']", row["chunksize"], minimum=1)
        check_number(f"rows[{i}]['per_task']", row["per_task"], minimum=1e-12)
    return list(rows)


def plot_chunksizes(rows: Sequence[Mapping[str, Any]], title: str = "") -> Figure:
    """Microseconds per task against ``chunksize``, one line per pool.

    A pool measured at one chunksize only (the plain loop, a thread pool,
    which ignores chunksize) is drawn as a dashed horizontal line; a row with
    ``default: True`` as a large star, labelled "… default". Both axes are
    logarithmic. ``rows`` as :func:`check_chunk_rows` describes
    (``09_executors_and_pools.ipynb``).
    """
    checked = check_chunk_rows(rows)
    fig, ax = figure(figsize=(8.0, 6.0))
    by_pool: dict[str, list[Mapping[str, Any]]] = {}
    for row in checked:
        by_pool.setdefault(row["pool"], []).append(row)
    sizes = sorted({r["chunksize"] for r in checked if not r.get("default")})
    for pool, pool_rows in by_pool.items():
        style = POOL_STYLE[pool]
        swept = sorted(
            (r for r in pool_rows if not r.get("default")), key=lambda r: r["chunksize"]
        )
        if len(swept) == 1 and len(sizes) > 1:
            ax.axhline(
                swept[0]["per_task"] * 1e6,
                color=style["color"],
                linestyle="--",
                linewidth=2,
                label=f"{pool} (no chunks)",
            )
        elif swept:
            xs = [r["chunksize"] for r in swept]
            ys = [r["per_task"] * 1e6 for r in swept]
            mode_line(ax, xs, ys, f"{pool}.map", style)
        for r in pool_rows:
            if r.get("default"):
                ax.plot(
                    [r["chunksize"]],
                    [r["per_task"] * 1e6],
                    color=style["color"],
                    marker="*",
                    markersize=20,
                    linestyle="none",
                    label=f"{pool}.map default (chunksize {r['chunksize']})",
                )
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    if sizes:
        ax.set_xticks(sizes)
        ax.set_xticklabels([str(s) for s in sizes])
    ax.set_xlabel("chunksize (tasks sent to a worker at once)", fontsize=LABEL_SIZE)
    ax.set_ylabel("time per task (µs, log scale)", fontsize=LABEL_SIZE)
    ax.set_title(title or "What a pool costs per task", fontsize=TITLE_SIZE)
    # below the axes: the lines cross the whole plot, a legend inside hides one
    ax.legend(
        fontsize=LEGEND_SIZE - 1,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.16),
        ncol=2,
        frameon=False,
    )
    return fig


@dataclass(frozen=True)
class _Timing:
    mode: str
    workers: int
    wall: float


def _timings(name: str, times: Any, mode: str) -> list[_Timing]:
    if not isinstance(times, Mapping) or not times:
        raise TypeError(f"{name} must be a non-empty dict {{workers: seconds}}")
    out = []
    for workers, seconds in times.items():
        check_int(f"{name} key", workers, minimum=1)
        check_number(f"{name}[{workers}]", seconds, minimum=1e-9)
        out.append(_Timing(mode, workers, float(seconds)))
    if 1 not in times:
        raise ValueError(f"{name} needs the time of a 1-worker pool: the baseline")
    return [_Timing("sequential", 1, float(times[1])), *out]


def plot_pool_sizes(
    cpu: Mapping[int, float],
    io: Mapping[int, float],
    cores: int | None = None,
    cpu_title: str = "CPU-bound work, process pool",
    io_title: str = "Waiting (I/O), thread pool",
) -> Figure:
    """Two speedup plots side by side: ``cpu`` and ``io`` map a pool size to
    its wall time (seconds); each is compared with its own 1-worker pool.

    Left, the ideal line is ``min(workers, cores)``: computing needs a core.
    Right, it is ``workers``: a waiting worker needs none
    (``09_executors_and_pools.ipynb``).
    """
    cpu_runs = _timings("cpu", cpu, "processes")
    io_runs = _timings("io", io, "threads")
    fig, (left, right) = figure(ncols=2)
    plot_speedup(cpu_runs, cores=cores, title=cpu_title, ax=left)
    plot_speedup(io_runs, cores=cores, title=io_title, ax=right, ideal="workers")
    for ax in (left, right):
        for line in ax.get_lines():
            if line.get_label().startswith("sequential"):
                line.set_label("one worker (1×)")
        label_axes(ax, "pool size (max_workers)", "speedup (× one worker)", "")
        ax.legend(fontsize=LEGEND_SIZE)
    return fig
