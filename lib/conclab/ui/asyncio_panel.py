"""The panel of notebook 11: concurrency × latency → time, tasks vs threads.

An experiment object (:class:`BurstExperiment`: measures bursts of concurrent
requests against an asyncio corpus server of its own, each burst in a fresh
child process, and remembers what it measured) and a view
(:func:`burst_panel`: a :class:`conclab.FigurePanel` with a latency slider, an
"up to" dropdown and a Run button, showing :func:`conclab.plot_bursts`).
Built the course's way: an image of PNG bytes, so it works on ipywidgets
7.7.1 (Colab) and 8.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..core.async_clients import BURST_LEVELS, BURST_MODES, burst_levels, burst_sweep
from ..core.async_server import serve_corpus_async
from ..core.validate import check_choice, check_int, check_number
from ..viz.asyncio_plots import plot_bursts

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from .panel import FigurePanel

__all__ = ["THREAD_BURST_LIMIT", "BurstExperiment", "burst_panel"]

#: The panel measures threads only up to this many at once: when 5,000
#: answers come back together, 5,000 threads queue for the GIL and a burst
#: took 90 s on the 2-core machine of notebook 11 (10,000: not done after
#: 11 minutes).
THREAD_BURST_LIMIT = 2_000

_Key = tuple[float, tuple[int, ...]]

#: The latency of a panel that starts without an initial sweep (seconds).
DEFAULT_LATENCY = 0.1


class BurstExperiment:
    """Bursts of concurrent requests, tasks vs threads.

    :meth:`measure` ``(latency, up_to)`` starts an asyncio corpus server
    (:func:`conclab.serve_corpus_async`) with that latency for the duration
    of the measurement, runs :func:`conclab.burst_sweep` at every level of
    :data:`BURST_LEVELS` up to ``up_to`` that this machine allows (threads
    only up to :data:`THREAD_BURST_LIMIT`), closes the server, and keeps the
    results: the same settings again return what was measured. ``initial``
    is a sweep already made (e.g. in the cell above): the panel then shows
    it without measuring it twice. Notebook 11.
    """

    def __init__(
        self, initial: Sequence[Any] | None = None, start_method: str | None = None
    ) -> None:
        self.start_method = start_method
        self.levels = burst_levels(BURST_LEVELS)
        if not self.levels:
            raise ValueError("this machine allows no burst level (open-file limit)")
        self.results: dict[_Key, list[Any]] = {}
        self.last: list[Any] = []
        self.latency = DEFAULT_LATENCY
        if initial is not None:
            initial = list(initial)
            if not initial or not all(
                hasattr(r, "requests") and hasattr(r, "latency") for r in initial
            ):
                raise TypeError("initial must be a non-empty list of BurstResult")
            latencies = {round(r.latency, 6) for r in initial}
            if len(latencies) != 1:
                raise ValueError("initial must be one sweep, at one latency")
            self.latency = latencies.pop()
            levels = tuple(sorted({r.requests for r in initial}))
            self.results[(self.latency, levels)] = initial
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
            results = []
            with serve_corpus_async(
                latency=latency,
                max_connections=max(levels),
                start_method=self.start_method,
            ) as server:
                for level in levels:
                    modes = [
                        m
                        for m in BURST_MODES
                        if m != "threads" or level <= THREAD_BURST_LIMIT
                    ]
                    results += burst_sweep(server, (level,), modes, self.start_method)
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
    initial: Sequence[Any] | None = None, start_method: str | None = None
) -> FigurePanel:
    """Choose the server's latency and the largest number of concurrent
    requests, press Run: time and memory per request, tasks vs threads.

    Each Run starts its own asyncio corpus server and closes it afterwards,
    so the panel works after the notebook's own server is closed and leaves
    nothing running. The first image is ``initial`` (a sweep made above), so
    nothing is measured twice; without it the first image is a measurement.
    Returns a :class:`conclab.FigurePanel`. ``11_asyncio.ipynb``.
    """
    from .panel import FigurePanel

    experiment = BurstExperiment(initial, start_method)
    latency_now = round(experiment.latency, 2)
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
