"""The chunksize panel of ``09_executors_and_pools.ipynb``.

Pool size, number of tasks and work per task → what a pool costs per task at
each ``chunksize``, drawn by :func:`conclab.viz.pools.plot_chunksizes`.

The experiment (:class:`ChunksizeExperiment`) holds the settings and the last
measurement; the measuring itself is the notebook's own function, passed in,
so the student sees every line that times a pool. The view is the course's
figure panel (core ipywidgets around a PNG image): it works on ipywidgets
7.7.1 (Colab) and 8, and it measures once, with the default settings, when
it is created, so the stored notebook shows a real measurement.
"""

from __future__ import annotations

import functools
import platform
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..core.validate import check_callable, check_choice, check_int
from ..viz.pools import check_chunk_rows, plot_chunksizes
from .panel import FigurePanel

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "CHUNKSIZES",
    "ChunksizeExperiment",
    "ChunksizePanel",
    "chunksize_panel",
]

#: The chunksizes the panel measures.
CHUNKSIZES = (1, 4, 16, 64, 256)

#: The choices the panel offers.
TASK_COUNTS = (250, 500, 1000, 2000, 4000)
WORK_CHOICES = (0, 100, 1000, 10_000)
MAX_WORKERS = 4


class ChunksizeExperiment:
    """Settings in, measured rows out; the last rows are kept in ``last``.

    ``measure(tasks=, work=, workers=, chunksizes=)`` returns the rows
    :func:`conclab.viz.pools.check_chunk_rows` accepts (``pool``,
    ``chunksize``, ``per_task`` in seconds). ``settings`` holds the keyword
    arguments of the last run.
    """

    def __init__(
        self,
        measure: Callable[..., Sequence[Mapping[str, Any]]],
        chunksizes: Sequence[int] = CHUNKSIZES,
    ) -> None:
        self.measure = check_callable("measure", measure)
        sizes = tuple(chunksizes)
        if not sizes:
            raise ValueError("chunksizes must hold at least one int >= 1")
        for size in sizes:
            check_int("chunksizes", size, minimum=1, maximum=100_000)
        if list(sizes) != sorted(set(sizes)):
            raise ValueError(f"chunksizes must be increasing, got {sizes!r}")
        self.chunksizes = sizes
        self.last: list[Mapping[str, Any]] = []
        self.settings: dict[str, int] = {}

    def run(self, workers: int = 2, tasks: int = 1000, work: int = 0) -> list[Any]:
        """Measure now with these settings; returns (and keeps) the rows."""
        check_int("workers", workers, minimum=1, maximum=MAX_WORKERS)
        check_int("tasks", tasks, minimum=1, maximum=100_000)
        check_int("work", work, minimum=0, maximum=10**6)
        settings = {"workers": workers, "tasks": tasks, "work": work}
        rows = check_chunk_rows(self.measure(chunksizes=self.chunksizes, **settings))
        self.last, self.settings = rows, settings
        return rows

    def per_task(self, pool: str, chunksize: int | None = None) -> float:
        """Seconds per task the last run measured for ``pool`` at ``chunksize``
        (``None``: the pool's only measurement, or its default)."""
        if not self.last:
            raise ValueError("nothing measured yet: call run() first")
        check_choice("pool", pool, sorted({r["pool"] for r in self.last}))
        rows = [r for r in self.last if r["pool"] == pool]
        if chunksize is None:
            chosen = [r for r in rows if r.get("default")] or rows[:1]
        else:
            chosen = [r for r in rows if r["chunksize"] == chunksize]
            if not chosen:
                raise ValueError(f"{pool} was not measured at chunksize {chunksize}")
        return float(chosen[0]["per_task"])

    def render(self, workers: int = 2, tasks: int = 1000, work: int = 0) -> Figure:
        """Measure, then draw: what the panel calls."""
        from ..core.env import start_method

        rows = self.run(workers=workers, tasks=tasks, work=work)
        title = (
            f"{tasks} tasks, work={work}, {workers} workers · "
            f"Python {platform.python_version()} · {start_method()}"
        )
        return plot_chunksizes(rows, title=title)


class ChunksizePanel(FigurePanel):
    """The figure panel with its experiment attached (``panel.experiment``)."""

    experiment: ChunksizeExperiment

    def _summary(self) -> str:
        settings = ", ".join(f"{k}={v}" for k, v in self.values.items())
        return f"Chunksize panel: {settings}"


def chunksize_panel(
    measure: Callable[..., Sequence[Mapping[str, Any]]],
    workers: int = 2,
    tasks: int = 1000,
    work: int = 0,
    chunksizes: Sequence[int] = CHUNKSIZES,
) -> ChunksizePanel:
    """Controls for workers, tasks and work per task; a Run button; the plot.

    ``measure`` is the notebook's timing function (see
    :class:`ChunksizeExperiment`). It runs once now, with these settings, and
    again on every press of Run. The measured rows are in
    ``panel.experiment.last``. Put ``panel`` last in a cell to show it
    (``09_executors_and_pools.ipynb``).
    """
    check_int("workers", workers, minimum=1, maximum=MAX_WORKERS)
    check_choice("tasks", tasks, TASK_COUNTS)
    check_choice("work", work, WORK_CHOICES)
    experiment = ChunksizeExperiment(measure, chunksizes)
    render = functools.partial(
        experiment.render, workers=workers, tasks=tasks, work=work
    )
    controls = {
        "workers": (1, MAX_WORKERS),
        "tasks": list(TASK_COUNTS),
        "work": list(WORK_CHOICES),
    }
    panel = ChunksizePanel(render, controls, manual=True)
    panel.experiment = experiment
    return panel
