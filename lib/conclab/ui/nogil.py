"""The builds panel of ``12_free_threading.ipynb``: workers × build.

Pick the cases (threads on the GIL build, on the free-threaded build, on it
with ``PYTHON_GIL=1``, processes, threads on any other Python found), the
largest worker count and the size, press **Run**: every case is measured in
its own interpreter and drawn by :func:`conclab.plot_builds`.

Two objects, as for every panel: :class:`BuildsExperiment` measures (and
keeps the last run, so the panel's first picture is the run the notebook just
made, not a placeholder), and the view is a :func:`conclab.figure_panel`
around its :meth:`BuildsExperiment.figure`, with a ``SelectMultiple`` for the
cases (ipywidgets 7.7.1 and 8).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..core.env import usable_cores
from ..core.interpreters import Interpreter
from ..core.nogil import BUILD_CASES, BuildTiming, build_cases, measure_builds
from ..core.validate import check_int
from ..viz.nogil import plot_builds

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["BuildsExperiment", "builds_panel"]

#: The sizes the panel offers (``count_primes(n)`` per task).
SIZES = (30_000, 60_000, 120_000, 240_000)

BUILD_NAMES: tuple[str, ...] = tuple(c.name for c in BUILD_CASES)


class BuildsExperiment:
    """What the builds panel measures: cases by name (:func:`conclab.build_cases`),
    ``tasks`` × ``count_primes(n)`` on 1 … ``max_workers`` workers.

    ``timings`` (from :func:`conclab.measure_builds` with the same settings)
    become the last run, so :meth:`figure` draws them without measuring
    again; any other setting is measured when asked for.
    """

    def __init__(
        self,
        timings: Sequence[BuildTiming] | None = None,
        n: int = 60_000,
        tasks: int = 4,
        max_workers: int = 4,
        found: Iterable[Interpreter] | None = None,
    ) -> None:
        self.cases = build_cases(found)
        self.found = None if found is None else list(found)
        self.tasks = check_int("tasks", tasks, minimum=1, maximum=64)
        self.defaults: dict[str, Any] = {
            "builds": BUILD_NAMES,
            "max_workers": check_int("max_workers", max_workers, minimum=2, maximum=8),
            "n": check_int("n", n, minimum=1_000, maximum=2_000_000),
        }
        self.last: list[BuildTiming] = list(timings or [])
        self._key: tuple | None = None
        if self.last:
            self._key = self._settings(**self.defaults)

    def _settings(self, builds: Sequence[str], max_workers: int, n: int) -> tuple:
        return (tuple(builds), max_workers, n)

    def measure(
        self, builds: Sequence[str], max_workers: int = 4, n: int = 60_000
    ) -> list[BuildTiming]:
        """Measure the named cases now (keeps the result in ``.last``)."""
        from .speedup import worker_counts

        unknown = [b for b in builds if b not in self.cases]
        if unknown or not builds:
            raise ValueError(
                f"builds must be names from {sorted(self.cases)}, got {list(builds)}"
            )
        self.last = measure_builds(
            n=n,
            tasks=self.tasks,
            workers=[w for w in worker_counts(max_workers) if w > 1],
            cases=[self.cases[b] for b in builds],
            found=self.found,
            repeat=1,  # one run per case: a panel should answer in seconds
        )
        self._key = self._settings(builds, max_workers, n)
        return self.last

    def figure(
        self,
        builds: Sequence[str] = BUILD_NAMES,
        max_workers: int = 4,
        n: int = 60_000,
    ) -> Figure:
        """The plot for these settings: the last run if it had them, else a
        new measurement (what the panel's Run button calls)."""
        if self._key != self._settings(builds, max_workers, n) or not self.last:
            self.measure(builds, max_workers, n)
        title = f"{self.tasks} × count_primes({n:,}) · {usable_cores()} usable cores"
        return plot_builds(self.last, title=title)


def builds_panel(experiment: BuildsExperiment | None = None, **kwargs: Any) -> Any:
    """The interactive panel: a :class:`BuildsExperiment` (made from
    ``kwargs`` when not given) viewed through :func:`conclab.figure_panel`,
    with a Run button. ``12_free_threading.ipynb``."""
    import ipywidgets as widgets

    from .panel import figure_panel

    if experiment is None:
        experiment = BuildsExperiment(**kwargs)
    elif kwargs:
        raise TypeError("give either an experiment or its settings, not both")
    choose = widgets.SelectMultiple(
        options=list(experiment.cases),
        value=experiment.defaults["builds"],
        rows=min(8, len(experiment.cases)),
        description="builds",
        layout=widgets.Layout(width="30em"),
    )
    return figure_panel(
        experiment.figure,
        manual=True,
        builds=choose,
        max_workers=(2, 8),
        n=list(SIZES),
    )
