"""The panel of notebook 11: concurrency × latency → time, tasks vs threads.

An experiment object (:class:`BurstExperiment`: measures bursts of
concurrent requests against an asyncio corpus server, each in a fresh child
process, and remembers what it measured) and a view (:func:`burst_panel`: a
:class:`conclab.FigurePanel` with a latency slider, a "up to" dropdown and a
Run button, showing :func:`conclab.plot_bursts`). Built the course's way: an
image of PNG bytes, so it works on ipywidgets 7.7.1 (Colab) and 8.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .._validate import check_choice, check_int, check_number
from ..core.async_clients import BURST_LEVELS, BURST_MODES, burst_levels, burst_sweep
from ..core.async_server import AsyncCorpusServer
from ..viz.asyncio_plots import plot_bursts

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from ..widgets import FigurePanel

__all__ = ["THREAD_BURST_LIMIT", "BurstExperiment", "burst_panel"]

#: The panel measures threads only up to this many at once: when 5,000
#: answers come back together, 5,000 threads queue for the GIL and a burst
#: took 90 s on the 2-core machine of notebook 11 (10,000: not done after
#: 11 minutes).
THREAD_BURST_LIMIT = 2_000

_Key = tuple[float, tuple[int, ...]]


class BurstExperiment:
    """Bursts of concurrent requests, tasks vs threads, against ``server``.

    :meth:`measure` ``(latency, up_to)`` sets the server's latency, runs
    :func:`conclab.burst_sweep` at every level of :data:`BURST_LEVELS` up to
    ``up_to`` that this machine allows (threads only up to
    :data:`THREAD_BURST_LIMIT`), and keeps the results; the same settings
    again return what was measured. ``initial`` is a sweep already made
    (e.g. in the cell above) for the server's current latency: the panel
    then shows it without measuring it twice. Notebook 11.
    """

    def __init__(
        self,
        server: AsyncCorpusServer,
        initial: Sequence[Any] | None = None,
        start_method: str | None = None,
    ) -> None:
        if not isinstance(server, AsyncCorpusServer):
            raise TypeError(
                f"server must come from serve_corpus_async, got {type(server).__name__}"
            )
        self.server = server
        self.start_method = start_method
        self.levels = burst_levels(BURST_LEVELS, server)
        if not self.levels:
            raise ValueError("this machine allows no burst level (open-file limit)")
        self.results: dict[_Key, list[Any]] = {}
        self.last: list[Any] = []
        if initial is not None:
            initial = list(initial)
            if not initial or not all(hasattr(r, "requests") for r in initial):
                raise TypeError("initial must be a list of BurstResult")
            levels = tuple(sorted({r.requests for r in initial}))
            self.results[(round(server.latency, 6), levels)] = initial
            self.last = initial

    @property
    def default_up_to(self) -> int:
        """The largest level of the initial sweep (else the second largest
        level allowed, to keep a first run short)."""
        if self.last:
            return max(r.requests for r in self.last)
        return self.levels[-2] if len(self.levels) > 1 else self.levels[-1]

    def plan(self, up_to: int) -> tuple[int, ...]:
        """The levels a measurement up to ``up_to`` runs."""
        check_int("up_to", up_to, minimum=1)
        chosen = tuple(level for level in self.levels if level <= up_to)
        if not chosen:
            raise ValueError(f"up_to must be at least {self.levels[0]}, got {up_to}")
        return chosen

    def measure(self, latency: float, up_to: int) -> list[Any]:
        """Bursts at every planned level, both modes (see the class)."""
        latency = check_number("latency", latency, minimum=0.0, maximum=1.0)
        levels = self.plan(up_to)
        key = (round(latency, 6), levels)
        if key not in self.results:
            previous = self.server.latency
            self.server.latency = latency
            try:
                results = []
                for level in levels:
                    modes = [
                        m
                        for m in BURST_MODES
                        if m != "threads" or level <= THREAD_BURST_LIMIT
                    ]
                    results += burst_sweep(
                        self.server, (level,), modes, self.start_method
                    )
            finally:
                self.server.latency = previous
            self.results[key] = results
        self.last = self.results[key]
        return self.last

    def figure(self, latency: float, up_to: int) -> Figure:
        """:meth:`measure`, drawn with :func:`conclab.plot_bursts`."""
        results = self.measure(latency, up_to)
        capped = max(self.plan(up_to)) > THREAD_BURST_LIMIT
        note = f"; threads measured up to {THREAD_BURST_LIMIT:,}" if capped else ""
        failed = [r for r in results if not r.ok]
        if failed:
            note += f"; {len(failed)} burst(s) failed: {failed[0].first_error}"
        return plot_bursts(
            results,
            title=f"{latency:g} s latency at the server, each burst in a fresh "
            f"process{note}",
        )


def burst_panel(
    server: AsyncCorpusServer,
    initial: Sequence[Any] | None = None,
    start_method: str | None = None,
) -> FigurePanel:
    """Choose the server's latency and the largest number of concurrent
    requests, press Run: time and memory per request, tasks vs threads.

    The first image is ``initial`` (the sweep made above, for the server's
    current latency), so nothing is measured twice; otherwise the first
    image is a measurement. Returns a :class:`conclab.FigurePanel`.
    ``11_asyncio.ipynb``.
    """
    from ..widgets import FigurePanel

    experiment = BurstExperiment(server, initial, start_method)
    latency_now = round(server.latency, 2)
    up_to_now = experiment.default_up_to

    def tasks_vs_threads(latency: float = latency_now, up_to: int = up_to_now):
        return experiment.figure(latency, up_to)

    levels = list(experiment.levels)
    check_choice("up_to", up_to_now, levels)
    panel = FigurePanel(
        tasks_vs_threads,
        {"latency": (0.0, 1.0, 0.05), "up_to": levels},
        manual=True,
        button="Run",
    )
    panel.experiment = experiment  # type: ignore[attr-defined]
    return panel
