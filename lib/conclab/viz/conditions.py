"""Timelines of condition variables: who waits, who notifies, who wakes (07)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..core.conditions import SyncRecorder, producer_consumer
from ..core.validate import check_int, check_number
from .figures import LABEL_SIZE, LEGEND_SIZE, TICK_SIZE, TITLE_SIZE

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__: list[str] = ["plot_producer_consumer", "plot_sync_timeline"]


_KIND_STYLE = {  # kind: (marker, color, legend, vertical offset in the row)
    "notify": ("v", "black", "notify", -0.42),
    "notify_all": ("v", "tab:purple", "notify_all", -0.42),
    "wake": ("^", "tab:brown", "woken: wait returns", 0.34),
    "put": ("|", "tab:green", "put", 0.0),
    "get": ("|", "tab:blue", "get", 0.0),
    "deposit": ("|", "tab:green", "deposit", 0.0),
    "withdraw": ("|", "tab:blue", "withdraw", 0.0),
}


def plot_sync_timeline(
    recorder: SyncRecorder,
    title: str = "",
    capacity: int | None = None,
    order: Iterable[str] = ("producer", "stingy", "spendy"),
) -> Figure:
    """Draw who waited (bars), who notified (triangles), puts and gets (ticks).

    One row per thread; an orange bar runs from ``wait`` to the wake-up, a red
    one ends in a timeout; each wake-up is also marked under its bar (a
    thread that wakes, works for microseconds and waits again would
    otherwise look like one long wait). With ``capacity`` a second panel
    shows the buffer size over time (from the put/get events) under the
    capacity line. Rows named in ``order`` come first, the others follow in
    order of appearance. Returns the Figure (show it with ``lab.show``).
    Introduced in ``07_condition_variables.ipynb``.
    """
    from matplotlib.figure import Figure

    if not isinstance(recorder, SyncRecorder):
        raise TypeError(
            f"recorder must be a SyncRecorder, got {type(recorder).__name__}"
        )
    if capacity is not None:
        check_int("capacity", capacity, minimum=1)
    seen, order = recorder.threads(), tuple(order)
    threads = [n for n in order if n in seen] + [n for n in seen if n not in order]
    height = 1.0 + 0.6 * max(2, len(threads))
    if capacity is None:
        fig = Figure(figsize=(11, height), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = Figure(figsize=(11, height + 2.0), layout="constrained")
        ax, ax_size = fig.subplots(
            2, 1, sharex=True, gridspec_kw={"height_ratios": [height, 2.0]}
        )
    row = {name: i for i, name in enumerate(threads)}
    labelled: set[str] = set()

    def label(key: str) -> str:
        if key in labelled:
            return "_nolegend_"
        labelled.add(key)
        return key

    for thread, start, end, how in recorder.waits():
        color = "tab:orange" if how == "wake" else "tab:red"
        key = "waiting → woken" if how == "wake" else "waiting → timed out"
        ax.broken_barh(
            [(start * 1e3, max((end - start) * 1e3, 0.05))],
            (row[thread] - 0.25, 0.5),
            color=color,
            edgecolor="white",
            linewidth=0.6,
            label=label(key),
        )
    events = recorder.history()
    for kind, (marker, color, name, dy) in _KIND_STYLE.items():
        chosen = [e for e in events if e.kind == kind]
        if chosen:
            ax.scatter(
                [e.time * 1e3 for e in chosen],
                [row[e.thread] + dy for e in chosen],
                marker=marker,
                color=color,
                s=28 if dy else 90,
                label=label(name),
                zorder=3,
            )
    ax.set_yticks(range(len(threads)))
    ax.set_yticklabels(threads)
    ax.set_ylim(len(threads) - 0.45, -0.65)
    ax.tick_params(labelsize=TICK_SIZE)
    ax.set_title(title or "who waits, who notifies, who wakes", fontsize=TITLE_SIZE)
    if labelled:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=LEGEND_SIZE)
    if capacity is None:
        ax.set_xlabel("time (ms)", fontsize=LABEL_SIZE)
    else:
        times, sizes, size = [0.0], [0], 0
        for e in events:
            if e.kind in ("put", "get"):
                size += 1 if e.kind == "put" else -1
                times.append(e.time * 1e3)
                sizes.append(size)
        ax_size.step(times, sizes, where="post", color="tab:gray")
        ax_size.axhline(capacity, color="tab:red", linestyle="--", label="capacity")
        ax_size.set_ylim(-0.3, capacity + 0.8)
        ax_size.tick_params(labelsize=TICK_SIZE)
        ax_size.set_ylabel("in buffer", fontsize=LABEL_SIZE)
        ax_size.set_xlabel("time (ms)", fontsize=LABEL_SIZE)
        ax_size.legend(
            loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=LEGEND_SIZE
        )
    return fig


def plot_producer_consumer(
    items: int = 20,
    capacity: int = 3,
    produce_ms: float = 1.0,
    consume_ms: float = 3.0,
    consumers: int = 1,
) -> Figure:
    """Run :func:`producer_consumer` on a recorded buffer and draw its timeline.

    For ``lab.figure_panel`` in ``07_condition_variables.ipynb``: times per
    item in milliseconds of pretend work. The title says who waited most.
    """
    check_number("produce_ms", produce_ms, minimum=0, maximum=50)
    check_number("consume_ms", consume_ms, minimum=0, maximum=50)
    r = producer_consumer(
        items=items,
        capacity=capacity,
        produce_time=produce_ms / 1e3,
        consume_time=consume_ms / 1e3,
        consumers=consumers,
        record=True,
    )
    assert r.recorder is not None
    waited: dict[str, float] = {}
    for thread, start, end, _how in r.recorder.waits():
        role = "producer" if thread == "producer" else "consumers"
        waited[role] = waited.get(role, 0.0) + end - start
    title = (
        f"{items} items, capacity {capacity}: producer waited "
        f"{waited.get('producer', 0) * 1e3:.0f} ms, consumers "
        f"{waited.get('consumers', 0) * 1e3:.0f} ms" + ("" if r.ok else " — NOT OK")
    )
    return plot_sync_timeline(r.recorder, title=title, capacity=capacity)
