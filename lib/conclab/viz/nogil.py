"""Plots of ``12_free_threading.ipynb``: builds side by side, the single-thread
cost, lost updates, and subinterpreters against threads and processes.

Object-oriented matplotlib figures built with :func:`conclab.figure`, in the
course's font sizes; a line or bar that shows stored reference figures (an
interpreter was missing) is marked "(reference)".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .figures import LABEL_SIZE, LEGEND_SIZE, TICK_SIZE, TITLE_SIZE, figure, label_axes
from .speedup import resolve_cores

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "plot_builds",
    "plot_interpreter_pools",
    "plot_lost_updates",
    "plot_single_thread_cost",
]

#: One colour per case of the comparison, the same in every plot.
CASE_COLORS = {
    "GIL build, threads": "#1f77b4",
    "free-threaded, threads": "#2ca02c",
    "free-threaded + PYTHON_GIL=1": "#9467bd",
    "GIL build, processes": "#d62728",
    "threads": "#1f77b4",
    "interpreters": "#2ca02c",
    "processes": "#d62728",
}
_MORE = ("#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f")


def _color(name: str, index: int) -> str:
    return CASE_COLORS.get(name, _MORE[index % len(_MORE)])


def _ideal(ax: Axes, max_workers: int, cores: int) -> None:
    span = list(range(1, max_workers + 1))
    ax.plot(
        span,
        [min(n, cores) for n in span],
        color="black",
        linestyle=":",
        linewidth=2,
        label=f"ideal: min(workers, {cores} cores)",
    )
    ax.axhline(1.0, color="#555555", linestyle="--", linewidth=1.2)


def plot_builds(
    timings: Sequence[Any], cores: int | None = None, title: str = ""
) -> Figure:
    """Wall time and speedup against workers, one line per case of
    :func:`conclab.measure_builds` (speedup over the same interpreter's
    sequential run; the dotted ideal is one worker per usable core).
    ``12_free_threading.ipynb``."""
    if not timings:
        raise ValueError("timings must not be empty: run lab.measure_builds() first")
    n_cores = resolve_cores(cores)
    fig, (left, right) = figure(ncols=2, figsize=(12.5, 6.2))
    top = 1.0
    most = max(max(t.walls) for t in timings)
    for i, t in enumerate(timings):
        xs = sorted(t.walls)
        label = f"{t.case} ({t.python})"
        if t.source != "measured":
            label += " (reference)"
        style = {
            "color": _color(t.case, i),
            "marker": "o",
            "linewidth": 2.5,
            "markersize": 7,
            "linestyle": "-" if t.source == "measured" else "--",
        }
        left.plot(xs, [t.walls[w] for w in xs], label=label, **style)
        speed = [t.speedup(w) for w in xs]
        top = max(top, *speed)
        right.plot(xs, speed, label=label, **style)
    _ideal(right, most, n_cores)
    for ax in (left, right):
        ax.set_xticks(sorted({w for t in timings for w in t.walls}))
    label_axes(left, "workers (1 = sequential)", "wall time (s)", "Wall time")
    left.set_ylim(bottom=0)
    speedup = "speedup (× its own sequential run)"
    label_axes(right, "workers (1 = sequential)", speedup, "Speedup")
    right.set_ylim(0, max(top, min(most, n_cores)) * 1.2)
    handles, labels = right.get_legend_handles_labels()
    fig.legend(
        handles, labels, loc="outside lower center", ncols=2, fontsize=LEGEND_SIZE - 1
    )
    if title:
        fig.suptitle(title, fontsize=TITLE_SIZE)
    return fig


def plot_single_thread_cost(
    costs: Mapping[str, float],
    documented: Mapping[str, tuple[float, float]] | None = None,
    title: str = "One thread: how much slower the free-threaded build is",
) -> Figure:
    """Bars: the measured extra time of one thread (0.4 = 40 % slower), and
    the documentation's figures as ranges (``{"3.14 HOWTO": (0.01, 0.08)}``)."""
    if not costs:
        raise ValueError("costs must not be empty: see lab.single_thread_cost()")
    documented = dict(documented or {})
    names = [*costs, *documented]
    values = [100 * v for v in costs.values()]
    values += [100 * (lo + hi) / 2 for lo, hi in documented.values()]
    errors = [0.0] * len(costs) + [
        100 * (hi - lo) / 2 for lo, hi in documented.values()
    ]
    colors = ["#2ca02c"] * len(costs) + ["#bbbbbb"] * len(documented)
    fig, ax = figure(figsize=(max(7.0, 1.9 * len(names) + 2), 4.8))
    bars = ax.bar(names, values, yerr=errors, capsize=8, color=colors)
    labels = [f"{v:+.0f} %" for v in values[: len(costs)]]
    labels += [
        f"{100 * lo:.0f}–{100 * hi:.0f} %" if hi != lo else f"~{100 * lo:.0f} %"
        for lo, hi in documented.values()
    ]
    ax.bar_label(bars, labels=labels, padding=4, fontsize=TICK_SIZE)
    ax.axhline(0, color="black", linewidth=1)
    ax.set_ylabel("extra time of one thread (%)", fontsize=LABEL_SIZE)
    ax.set_title(title, fontsize=TITLE_SIZE)
    ax.margins(y=0.2)
    ax.tick_params(axis="x", labelsize=TICK_SIZE - 1)
    ax.grid(False, axis="x")
    return fig


def _lost_share(row: Mapping[str, Any]) -> float:
    """Net share of updates lost, the mean over the row's trials: for the
    account each update is ±10, and ``row["updates"]`` of them were made."""
    shares = []
    for got in row.get("trials", [row["got"]]):
        if "updates" in row:
            shares.append(abs(got - row["expected"]) / 10 / row["updates"])
        else:
            shares.append((row["expected"] - got) / row["expected"])
    return sum(shares) / len(shares)


def plot_lost_updates(rows: Mapping[str, Mapping[str, Any]], title: str = "") -> Figure:
    """Horizontal bars: the share of updates lost by each race of
    :func:`conclab.measure_races`, without and with the lock."""
    if not rows:
        raise ValueError("rows must not be empty: run lab.measure_races() first")
    names = list(rows)
    shares = [100 * _lost_share(rows[n]) for n in names]
    fig, ax = figure(figsize=(9, 0.55 * len(names) + 1.8))
    colors = ["#888888" if "locked" in n else "#d62728" for n in names]
    bars = ax.barh(names[::-1], shares[::-1], color=colors[::-1])
    ax.bar_label(
        bars, labels=[f"{s:.1f} %" for s in shares[::-1]], padding=3, fontsize=TICK_SIZE
    )
    ax.set_xlim(0, max(10.0, max(shares) * 1.3))
    ax.set_xlabel(
        "updates lost (net, % of all updates; mean of the runs)", fontsize=LABEL_SIZE
    )
    ax.set_title(title or "05's races on the free-threaded build", fontsize=TITLE_SIZE)
    ax.grid(False, axis="y")
    return fig


def plot_interpreter_pools(
    walls: Mapping[str, float], cores: int | None = None, title: str = ""
) -> Figure:
    """Speedup of threads, interpreters and processes against workers, from
    :func:`conclab.measure_subinterpreters` (keys ``"sequential 1"``,
    ``"threads 2"``, ``"interpreters 4"`` …)."""
    if "sequential 1" not in walls:
        raise ValueError("walls must hold 'sequential 1' (the baseline)")
    n_cores = resolve_cores(cores)
    base = walls["sequential 1"]
    kinds: dict[str, dict[int, float]] = {}
    for key, seconds in walls.items():
        kind, workers = key.rsplit(" ", 1)
        if kind != "sequential":
            kinds.setdefault(kind, {})[int(workers)] = base / seconds
    fig, ax = figure()
    most = max(max(per) for per in kinds.values())
    top = 1.0
    for i, (kind, per) in enumerate(kinds.items()):
        xs = [1, *sorted(per)]
        ys = [1.0, *(per[w] for w in sorted(per))]
        top = max(top, *ys)
        ax.plot(xs, ys, marker="o", linewidth=2.5, color=_color(kind, i), label=kind)
    _ideal(ax, most, n_cores)
    ax.set_xticks([1, *sorted({w for per in kinds.values() for w in per})])
    ax.set_ylim(0, max(top, min(most, n_cores)) * 1.2)
    ax.set_xlabel("workers (1 = sequential)", fontsize=LABEL_SIZE)
    ax.set_ylabel("speedup (× sequential)", fontsize=LABEL_SIZE)
    ax.set_title(title or "The same work on three kinds of pool", fontsize=TITLE_SIZE)
    ax.legend(fontsize=LEGEND_SIZE)
    return fig
