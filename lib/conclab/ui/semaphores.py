"""The permits panel: how many downloads a semaphore lets through, and how fast.

For ``10_semaphores_events_deadlocks.ipynb``. The experiment
(:class:`PermitExperiment`) times the notebook's own ``download_all`` for
1, 2, 4 … permits against the local corpus server; the view is a
:class:`conclab.FigurePanel` with sliders for the largest number of
permits, the server's latency and the number of downloads, and a Run
button. The panel measures once when it is made, so the stored notebook
shows the measured figure for the default settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.semaphores import Download, DownloadRun, time_permits
from ..core.validate import check_callable, check_int
from ..viz.semaphores import plot_permit_runs
from .panel import FigurePanel

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["PermitExperiment", "permit_counts", "permit_panel"]

#: The panel's slider ranges.
MAX_PERMITS = 16
MAX_LATENCY_MS = 100
MAX_DOWNLOADS = 32


def permit_counts(max_permits: int) -> tuple[int, ...]:
    """1, 2, 4 … up to ``max_permits``, which is always included."""
    check_int("max_permits", max_permits, minimum=1, maximum=64)
    counts = [1]
    while counts[-1] * 2 < max_permits:
        counts.append(counts[-1] * 2)
    if counts[-1] != max_permits:
        counts.append(max_permits)
    return tuple(counts)


class PermitExperiment:
    """Times ``download(urls, permits) -> (texts, peak)`` for a range of permits.

    :meth:`run` measures and keeps the runs in ``last``; :meth:`figure`
    measures and draws them. ``10_semaphores_events_deadlocks.ipynb``.
    """

    def __init__(self, download: Download) -> None:
        self.download = check_callable("download", download)
        self.last: list[DownloadRun] = []

    def run(
        self, max_permits: int = 16, latency_ms: int = 40, downloads: int = 16
    ) -> list[DownloadRun]:
        """Measure 1, 2, 4 … ``max_permits`` permits; returns the runs."""
        check_int("max_permits", max_permits, minimum=1, maximum=MAX_PERMITS)
        check_int("latency_ms", latency_ms, minimum=0, maximum=MAX_LATENCY_MS)
        check_int("downloads", downloads, minimum=1, maximum=MAX_DOWNLOADS)
        self.last = time_permits(
            self.download,
            permit_counts(max_permits),
            latency=latency_ms / 1000,
            downloads=downloads,
        )
        return self.last

    def figure(
        self, max_permits: int = 16, latency_ms: int = 40, downloads: int = 16
    ) -> Figure:
        """Measure (see :meth:`run`) and draw the runs."""
        runs = self.run(max_permits, latency_ms, downloads)
        wrong = sum(not r.correct for r in runs)
        note = f" — {wrong} run(s) returned wrong texts!" if wrong else ""
        title = f"{downloads} downloads, server latency {latency_ms} ms{note}"
        return plot_permit_runs(runs, title=title)


def permit_panel(
    download: Download,
    max_permits: int = 16,
    latency_ms: int = 40,
    downloads: int = 16,
) -> FigurePanel:
    """Sliders for permits, latency and downloads, a Run button, the plot.

    ``download`` is the notebook's ``download_all(urls, permits) -> (texts,
    peak)``. The panel measures its default settings when it is made (about
    a second), then again on each Run. Its experiment is ``panel.experiment``
    (the last runs in ``panel.experiment.last``).
    ``10_semaphores_events_deadlocks.ipynb``.
    """
    experiment = PermitExperiment(download)
    check_int("max_permits", max_permits, minimum=1, maximum=MAX_PERMITS)
    check_int("latency_ms", latency_ms, minimum=0, maximum=MAX_LATENCY_MS)
    check_int("downloads", downloads, minimum=1, maximum=MAX_DOWNLOADS)

    def throughput_vs_permits(
        max_permits: int = max_permits,
        latency_ms: int = latency_ms,
        downloads: int = downloads,
    ) -> Figure:
        return experiment.figure(max_permits, latency_ms, downloads)

    panel = FigurePanel(
        throughput_vs_permits,
        {
            "max_permits": (1, MAX_PERMITS),
            "latency_ms": (0, MAX_LATENCY_MS, 10),
            "downloads": (1, MAX_DOWNLOADS),
        },
        manual=True,
    )
    panel.experiment = experiment  # type: ignore[attr-defined]
    return panel
