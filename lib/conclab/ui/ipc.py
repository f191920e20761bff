"""The transport panel of ``04_ipc.ipynb``: sizes and transports, Run, a plot."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..core.transports import (
    PANEL_SIZES,
    TRANSPORTS,
    TransportResult,
    format_size,
    measure_transports,
)
from ..core.validate import check_choice
from ..viz.figures import figure
from ..viz.ipc import plot_transports
from .panel import figure_panel

__all__: list[str] = ["transport_panel"]


def _empty_figure(message: str) -> Any:

    fig, ax = figure(figsize=(12, 4.6))
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=14)
    return fig


def transport_panel(
    sizes: Sequence[int] = (64, 16 * 1024, 1 << 20),
    kinds: Sequence[str] = TRANSPORTS,
    start_method: str | None = None,
    results: Sequence[TransportResult] | None = None,
) -> Any:
    """A panel: pick message sizes and transports, press Run, see the plot.

    Built on :func:`conclab.figure_panel` (a ``widgets.Image`` of PNG bytes,
    works with ipywidgets 7.7.1 and 8). The first plot shows ``results``
    when given (measurements you already have, e.g. from
    :func:`measure_transports`; their sizes and transports preselected),
    otherwise it measures ``sizes`` x ``kinds`` once, so a stored notebook
    shows a plot. Every press of Run measures afresh. ``04_ipc.ipynb``.
    """
    import ipywidgets as widgets

    first: list[TransportResult] = []
    if results is not None:
        first = list(results)
        if not first or not all(isinstance(r, TransportResult) for r in first):
            raise TypeError("results must be a non-empty list of TransportResult")
        sizes = sorted({r.size for r in first})
        kinds = [k for k in TRANSPORTS if any(r.kind == k for r in first)]
    sizes = tuple(check_choice("size", s, PANEL_SIZES) for s in sizes)
    kinds = tuple(check_choice("kind", k, TRANSPORTS) for k in kinds)
    options = [(format_size(s), s) for s in PANEL_SIZES]

    def transports(sizes: tuple[int, ...] = sizes, kinds: tuple[str, ...] = kinds):
        if first:  # the first render shows the results we were given
            shown = plot_transports(first)
            first.clear()
            return shown
        if not sizes or not kinds:
            return _empty_figure("Pick at least one size and one transport.")
        measured = measure_transports(sizes, kinds, start_method=start_method)
        return plot_transports(measured)

    return figure_panel(
        transports,
        manual=True,
        sizes=widgets.SelectMultiple(
            options=options,
            value=sizes,
            rows=len(options),
            description="sizes (ctrl-click)",
        ),
        kinds=widgets.SelectMultiple(
            options=list(TRANSPORTS),
            value=kinds,
            rows=len(TRANSPORTS),
            description="transports",
        ),
    )
