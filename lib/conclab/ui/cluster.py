"""The panel of ``13_dask.ipynb``: workers × task size, process pool vs Dask.

Two objects, as for every panel: :class:`TaskSizeExperiment` holds the
settings and runs the measurement (:func:`conclab.task_size_sweep`: a
``ProcessPoolExecutor`` and a Dask ``LocalCluster`` of the same size, closed
by ``with`` blocks before it returns); the view is a
:func:`conclab.figure_panel` (``widgets.Image`` of PNG bytes, ipywidgets 7.7.1
and 8) with a workers slider, a tasks slider, the largest task size and Run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..core.cluster import TaskSizeRow, task_size_sweep
from ..core.env import usable_cores
from ..core.validate import check_choice, check_int
from ..viz.cluster import plot_task_sizes

__all__ = [
    "LARGEST_TASKS_MS",
    "TaskSizeExperiment",
    "show_dashboard",
    "task_size_panel",
]

#: The choices of the panel's "largest task" dropdown (milliseconds).
LARGEST_TASKS_MS = (10, 100, 300)


def task_sizes(largest_ms: int) -> tuple[float, ...]:
    """Task sizes in seconds, by factors of ten from 0.1 ms up to ``largest_ms``
    (``100 -> (0.0001, 0.001, 0.01, 0.1)``; ``300`` adds 0.3 s)."""
    check_choice("largest_ms", largest_ms, LARGEST_TASKS_MS)
    sizes = [0.0001]
    while sizes[-1] * 10 <= largest_ms / 1000 + 1e-12:
        sizes.append(round(sizes[-1] * 10, 6))
    if abs(sizes[-1] - largest_ms / 1000) > 1e-12:
        sizes.append(largest_ms / 1000)
    return tuple(sizes)


@dataclass
class TaskSizeExperiment:
    """Settings and results of one task-size sweep (see :func:`task_size_panel`).

    ``run()`` measures (a few seconds: it starts a pool and a cluster) and
    keeps the rows in ``rows``; ``figure()`` draws them.
    """

    workers: int = 2
    tasks: int = 8
    largest_ms: int = 100
    method: str | None = None
    rows: list[TaskSizeRow] = field(default_factory=list)

    def __post_init__(self) -> None:
        check_int("workers", self.workers, minimum=1, maximum=8)
        check_int("tasks", self.tasks, minimum=1, maximum=256)
        check_choice("largest_ms", self.largest_ms, LARGEST_TASKS_MS)

    def run(self) -> list[TaskSizeRow]:
        sizes = task_sizes(self.largest_ms)
        self.rows = task_size_sweep(self.workers, sizes, self.tasks, method=self.method)
        return self.rows

    def figure(self) -> Any:
        if not self.rows:
            raise ValueError("nothing measured yet: call run() first")
        return plot_task_sizes(
            self.rows,
            title=(
                f"{self.tasks} tasks per size, {self.workers} workers each, "
                f"{usable_cores()} usable cores"
            ),
        )


def task_size_panel(
    workers: int = 2,
    tasks: int = 8,
    largest_ms: int = 100,
    method: str | None = None,
    rows: Sequence[TaskSizeRow] | None = None,
) -> Any:
    """Workers × task size: a process pool and Dask on the same tasks.

    Each press of Run starts a ``ProcessPoolExecutor`` and a ``LocalCluster``
    of ``workers`` processes, runs ``tasks`` × :func:`conclab.burn` of each
    size from 0.1 ms to ``largest_ms`` on both, closes them, and draws
    speedup and overhead per task. The first picture shows ``rows`` when
    given (a measurement you already have), else it measures once, so a
    stored notebook shows a measured plot (``13_dask.ipynb``).
    """
    import ipywidgets as widgets

    from .panel import figure_panel

    experiment = TaskSizeExperiment(workers, tasks, largest_ms, method)
    if rows is not None:
        given = list(rows)
        if not given or not all(isinstance(r, TaskSizeRow) for r in given):
            raise TypeError("rows must be a non-empty list of TaskSizeRow")
        experiment.rows = given

    def pool_vs_dask(
        workers: int = workers, tasks: int = tasks, largest_ms: int = largest_ms
    ) -> Any:
        if experiment.rows and (
            (workers, tasks, largest_ms)
            == (experiment.workers, experiment.tasks, experiment.largest_ms)
            and not panel_state["pressed"]
        ):
            return experiment.figure()  # the first render: what we already have
        experiment.workers, experiment.tasks = workers, tasks
        experiment.largest_ms = largest_ms
        experiment.run()
        return experiment.figure()

    panel_state = {"pressed": False}
    panel = figure_panel(
        pool_vs_dask,
        manual=True,
        workers=widgets.IntSlider(
            value=workers,
            min=1,
            max=4,
            description="workers",
        ),
        tasks=widgets.IntSlider(
            value=tasks,
            min=4,
            max=64,
            step=4,
            description="tasks per size",
        ),
        largest_ms=widgets.Dropdown(
            options=[(f"{ms} ms", ms) for ms in LARGEST_TASKS_MS],
            value=largest_ms,
            description="largest task",
        ),
    )
    panel_state["pressed"] = True  # from now on, every Run measures afresh
    setattr(panel, "experiment", experiment)  # noqa: B010  (FigurePanel has no slot for it)
    return panel


def show_dashboard(cluster: Any) -> str:
    """Show a link to ``cluster``'s dashboard and return its address ("" if none).

    Outside Colab: a Markdown link (``http://127.0.0.1:…/status``). In Colab,
    127.0.0.1 is Colab's machine, not the reader's: the link goes through
    Colab's proxy (``google.colab.output.serve_kernel_port_as_window``).
    Without bokeh there is no dashboard: it says so, and what to install
    (``13_dask.ipynb``).
    """
    from urllib.parse import urlsplit

    from IPython.display import Markdown, display

    from ..core.cluster import dashboard_available
    from ..core.env import in_colab

    link = getattr(cluster, "dashboard_link", "") if dashboard_available() else ""
    if not link:
        print("no dashboard: it needs bokeh (pip install bokeh)")
        return ""
    if in_colab():
        from google.colab import output  # type: ignore[import-not-found]

        output.serve_kernel_port_as_window(urlsplit(link).port, path="/status")
    else:
        display(Markdown(f"The Dask dashboard, while the cluster runs: <{link}>"))
    return link
