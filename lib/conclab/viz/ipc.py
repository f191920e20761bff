"""The transport plot of ``04_ipc.ipynb``: round trip and throughput by size."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..core.transports import TRANSPORTS, TransportResult, format_size
from ..core.validate import check_choice
from .figures import figure

__all__: list[str] = ["plot_transports"]


def plot_transports(
    results: Sequence[TransportResult], title: str = "", stat: str = "best"
) -> Any:
    """Two log-log panels: round-trip time and throughput vs message size.

    ``stat="best"`` plots each point's fastest round trip (steady even on a
    busy machine: other programs only ever add time), ``"median"`` the
    typical one.

    Object-oriented matplotlib via :func:`conclab.figure` (no pyplot state);
    show it with ``lab.show(fig)``. ``04_ipc.ipynb``.
    """
    from matplotlib.ticker import FixedLocator, NullLocator

    if not results:
        raise ValueError("results is empty: run measure_transports first")
    check_choice("stat", stat, ("best", "median"))

    def seconds(r: TransportResult) -> float:
        return r.best if stat == "best" and r.best > 0 else r.latency

    fig, (ax_lat, ax_tp) = figure(ncols=2, figsize=(12, 4.6))
    styles = {
        "pipe": {"marker": "o", "color": "#1f77b4"},
        "queue": {"marker": "s", "color": "#ff7f0e"},
        "shared memory": {"marker": "^", "color": "#2ca02c"},
    }
    sizes = sorted({r.size for r in results})
    for kind in TRANSPORTS:
        points = sorted((r for r in results if r.kind == kind), key=lambda r: r.size)
        if not points:
            continue
        xs = [r.size for r in points]
        ax_lat.plot(xs, [seconds(r) * 1e6 for r in points], label=kind, **styles[kind])
        ax_tp.plot(
            xs, [r.size / seconds(r) / 1e6 for r in points], label=kind, **styles[kind]
        )
    for ax in (ax_lat, ax_tp):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.xaxis.set_major_locator(FixedLocator(sizes))
        ax.xaxis.set_minor_locator(NullLocator())
        # 30° apart from a few sizes: neighbours such as 256 KiB and 1 MiB collide
        ax.set_xticklabels(
            [format_size(s) for s in sizes], rotation=30 if len(sizes) > 5 else 0
        )
        ax.set_xlabel("message size (log scale)", fontsize=13)
        ax.grid(True, which="both", alpha=0.3)
        if len(sizes) == 1:
            ax.set_xlim(sizes[0] / 2, sizes[0] * 2)
    ax_lat.set_ylabel(f"{stat} round trip, µs (log scale)", fontsize=13)
    ax_lat.set_title("Latency: lower is better", fontsize=14)
    ax_tp.set_ylabel("throughput, MB/s (log scale)", fontsize=13)
    ax_tp.set_title("Throughput: higher is better", fontsize=14)
    ax_lat.legend(fontsize=12)
    if title:
        fig.suptitle(title, fontsize=15)
    return fig
