"""The start-up panels of ``01_processes_and_threads.ipynb`` (workers × mode →
the start-up timeline) and ``03_start_methods.ipynb`` (start method × parent
size → start cost and child memory).

Two objects per panel, as for every panel: an experiment that measures and
keeps the run the notebook just made, so that the panel's first picture is
that run and not a placeholder; and the view, a :func:`conclab.figure_panel`
around the experiment's ``figure`` with a Run button. Every press of Run
measures afresh.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..core.memory import ChildMemory, child_memory_per_method
from ..core.runner import RunResult, run
from ..core.startmethods import StartCosts, check_methods, start_costs
from ..core.validate import check_choice, check_int, check_number
from ..core.workloads import sleep_task
from ..viz.figures import figure
from ..viz.startmethods import plot_child_memory, plot_start_costs
from ..viz.timeline import plot_timeline

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__: list[str] = [
    "StartMethodExperiment",
    "StartupExperiment",
    "start_method_panel",
    "startup_panel",
]

#: The largest worker count and parent growth (MB) the panels offer.
MAX_WORKERS = 8
MAX_PARENT_MB = 400


def _mode_of(result: RunResult) -> str:
    return "threads" if result.mode == "threads" else str(result.start_method)


class StartupExperiment:
    """What the panel of 01 measures: ``workers`` tasks of
    ``sleep_task(seconds)`` on ``workers`` threads, or processes with one start
    method, timed by :func:`conclab.run`.

    ``first`` (a :class:`conclab.RunResult` the notebook made) is what the
    first :meth:`figure` with its settings draws, without measuring; after
    that every call measures.
    """

    def __init__(self, first: RunResult | None = None, seconds: float = 0.15) -> None:
        if first is not None and not isinstance(first, RunResult):
            raise TypeError(f"first must be a RunResult, got {type(first).__name__}")
        if first is not None and first.mode == "sequential":
            raise ValueError("first must be a run with threads or processes")
        self.seconds = check_number("seconds", seconds, minimum=0, maximum=5)
        self.first = first
        self.modes = ["threads", *check_methods(None)]  # and every start method
        self.last: RunResult | None = first

    def measure(self, workers: int, mode: str) -> RunResult:
        """One run now (kept in ``.last``)."""
        workers = check_int("workers", workers, minimum=1, maximum=MAX_WORKERS)
        check_choice("mode", mode, self.modes)
        tasks = [self.seconds] * workers
        if mode == "threads":
            self.last = run(sleep_task, tasks, "threads", workers)
        else:
            self.last = run(sleep_task, tasks, "processes", workers, start_method=mode)
        return self.last

    def figure(self, workers: int = 5, mode: str = "threads") -> Figure:
        """The timeline for these settings: ``first`` once if it has them,
        else a new run (what the panel's Run button calls)."""
        first, self.first = self.first, None
        if first is not None and (first.workers, _mode_of(first)) == (workers, mode):
            result = first
        else:
            result = self.measure(workers, mode)
        began = (min(s.start for s in result.spans) - result.started) * 1000
        label = result.label if mode == "threads" else f"{result.label} ({mode})"
        title = (
            f"{label}: first task began after {began:.1f} ms, "
            f"wall {result.wall * 1000:.0f} ms"
        )
        return plot_timeline(result, title=title)


def startup_panel(experiment: StartupExperiment | None = None) -> Any:
    """The panel of ``01_processes_and_threads.ipynb``: a worker-count slider
    and a mode dropdown (threads, or processes with a start method), Run, the
    start-up timeline of :class:`StartupExperiment`."""
    from .panel import figure_panel

    experiment = StartupExperiment() if experiment is None else experiment
    if not isinstance(experiment, StartupExperiment):
        raise TypeError("experiment must be a StartupExperiment")
    first = experiment.first
    workers = 5 if first is None else min(first.workers, MAX_WORKERS)
    mode = experiment.modes[-1] if first is None else _mode_of(first)
    import ipywidgets as widgets

    slider = widgets.IntSlider(
        value=workers, min=1, max=MAX_WORKERS, description="workers"
    )
    return figure_panel(
        experiment.figure,
        manual=True,
        workers=slider,
        mode=widgets.Dropdown(options=experiment.modes, value=mode, description="mode"),
    )


def _ballast(parent_mb: int) -> bytes:
    """``parent_mb`` MB of written (resident) memory, to make the parent big."""
    return b"\x01" * (parent_mb << 20)


class StartMethodExperiment:
    """What the panel of 03 measures, with the parent grown by ``parent_mb``
    MB: the median start + join of an empty process per start method
    (:func:`conclab.start_costs`, ``repeat`` times) and the memory of one idle
    child (:func:`conclab.child_memory_per_method`).

    ``costs`` and ``memory`` (the notebook's own measurements, parent not
    grown) are what the first :meth:`figure` for every method at 0 MB draws;
    after that every call measures.
    """

    def __init__(
        self,
        costs: StartCosts | None = None,
        memory: Iterable[ChildMemory] = (),
        repeat: int = 5,
    ) -> None:
        memory = list(memory)
        if costs is not None and not isinstance(costs, StartCosts):
            raise TypeError(f"costs must be StartCosts, got {type(costs).__name__}")
        if (costs is None) != (not memory):
            raise ValueError("give both costs and memory (the same run), or neither")
        self.repeat = check_int("repeat", repeat, minimum=1, maximum=30)
        self.methods = tuple(check_methods(None))
        self.first = None if costs is None else (costs, memory)

    def measure(
        self, methods: Sequence[str], parent_mb: int = 0
    ) -> tuple[StartCosts, list[ChildMemory]]:
        """Start costs and child memory now, with the parent grown by
        ``parent_mb`` MB while measuring."""
        methods = check_methods(methods)
        if not methods:
            raise ValueError("methods must name at least one start method")
        parent_mb = check_int("parent_mb", parent_mb, minimum=0, maximum=MAX_PARENT_MB)
        ballast = _ballast(parent_mb)
        try:
            costs = start_costs(methods, self.repeat, fresh=False)
            memory = child_memory_per_method(methods)
        finally:
            del ballast
        return costs, memory

    def figure(
        self, methods: Sequence[str] | None = None, parent_mb: int = 0
    ) -> Figure:
        """Start cost (left) and child memory (right) for these settings:
        the notebook's run once if it has them, else a new measurement."""
        methods = self.methods if methods is None else tuple(methods)
        first, self.first = self.first, None
        if first is not None and (methods, parent_mb) == (self.methods, 0):
            costs, memory = StartCosts(first[0].times, None), first[1]
        else:
            costs, memory = self.measure(methods, parent_mb)
        fig, (left, right) = figure(ncols=2, figsize=(12.5, 4.8))
        grown = f"parent grown by {parent_mb} MB" if parent_mb else "parent as it is"
        plot_start_costs(costs, title=f"Start + join, median ({grown})", ax=left)
        plot_child_memory(
            memory,
            title=f"One idle child (parent RSS {memory[0].parent_rss:.0f} MB)",
            ax=right,
        )
        return fig


def start_method_panel(experiment: StartMethodExperiment | None = None) -> Any:
    """The panel of ``03_start_methods.ipynb``: the start methods to compare,
    a slider that grows the parent, Run, the plots of
    :class:`StartMethodExperiment`."""
    import ipywidgets as widgets

    from .panel import figure_panel

    experiment = StartMethodExperiment() if experiment is None else experiment
    if not isinstance(experiment, StartMethodExperiment):
        raise TypeError("experiment must be a StartMethodExperiment")
    methods = widgets.SelectMultiple(
        options=list(experiment.methods),
        value=experiment.methods,
        rows=len(experiment.methods),
        description="methods (ctrl-click)",
    )
    grow = widgets.IntSlider(
        value=0, min=0, max=MAX_PARENT_MB, step=100, description="parent + MB"
    )
    return figure_panel(experiment.figure, manual=True, methods=methods, parent_mb=grow)
