"""The speedup panel: pick a workload, workers and size, press Run.

Introduced in ``00_start_here.ipynb`` and used in ``02_the_gil.ipynb``. It
measures sequential, threads and processes with :func:`conclab.run` and shows
wall time and speedup side by side (:func:`conclab.plot_sweep`). Its first
picture is always a real run: the rows the notebook just measured
(``results=``), or one measurement made when the panel is built.
"""

from __future__ import annotations

import platform
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..core.env import start_method as resolve_start_method
from ..core.env import usable_cores
from ..core.registry import WORKLOADS, Workload
from ..core.runner import MODES, RunResult
from ..core.runner import run as run_once
from ..core.validate import check_choice, check_int, check_number
from ..viz.figures import figure_png
from ..viz.speedup import plot_sweep
from .panel import PANEL_DPI, Panel

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__: list[str] = ["SpeedupExperiment", "SpeedupPanel", "speedup_panel"]


#: The most workers the speedup panel's slider offers.
MAX_PANEL_WORKERS = 16


def worker_counts(max_workers: int) -> tuple[int, ...]:
    """The worker counts a sweep up to ``max_workers`` measures: powers of two
    from 2, and ``max_workers`` itself (``4 -> (2, 4)``, ``6 -> (2, 4, 6)``).
    One worker is the sequential run, the baseline; ``1 -> (1,)``."""
    check_int("max_workers", max_workers, minimum=1, maximum=MAX_PANEL_WORKERS)
    counts = [min(2, max_workers)]
    while counts[-1] * 2 < max_workers:
        counts.append(counts[-1] * 2)
    if counts[-1] != max_workers:
        counts.append(max_workers)
    return tuple(counts)


class SpeedupExperiment:
    """What the speedup panel measures, with no widget in sight.

    One workload (a name of :data:`conclab.WORKLOADS`), ``tasks`` inputs of
    size ``size`` (for ``"http fetch"``: the server's ``latency`` in
    seconds), run sequentially and by every mode in ``modes`` with
    :func:`worker_counts` ``(workers)`` workers. :meth:`run` measures and keeps
    the ``RunResult`` list in ``results`` (or :meth:`keep` takes rows measured
    elsewhere, e.g. by :func:`conclab.sweep`); :meth:`figure` draws them,
    measuring first if nothing was measured yet. The attributes may be changed
    between runs; :class:`SpeedupPanel` sets them from its controls.
    """

    def __init__(
        self,
        workload: str = "primes",
        modes: Sequence[str] | None = None,
        workers: int = 4,
        size: int | None = None,
        tasks: int = 8,
        latency: float = 0.05,
        start_method: str | None = None,
        cores: int | None = None,
    ) -> None:
        spec = WORKLOADS[check_choice("workload", workload, WORKLOADS)]
        if isinstance(modes, str) or (modes is not None and not modes):
            raise ValueError("modes must be a non-empty list of " + ", ".join(MODES))
        modes = tuple(MODES if modes is None else modes)
        for mode in modes:
            check_choice("modes", mode, MODES)
        if "sequential" not in modes:
            raise ValueError(
                "modes must include 'sequential': it is the baseline of the speedup"
            )
        if size is not None and spec.needs_server:
            raise ValueError(
                f"size does not apply to {workload!r}: its knob is the server's "
                "latency, e.g. latency=0.05 (seconds)"
            )
        if size is not None:
            check_int("size", size, minimum=spec.min_size, maximum=spec.max_size)
        self.workload = workload
        self.modes = modes
        self.workers = check_int(
            "workers", workers, minimum=1, maximum=MAX_PANEL_WORKERS
        )
        self.size = spec.default_size if size is None else size
        self.tasks = check_int("tasks", tasks, minimum=1, maximum=64)
        self.latency = check_number("latency", latency, minimum=0.0, maximum=1.0)
        self.start_method = (
            None if start_method is None else resolve_start_method(start_method)
        )
        self.cores = (
            usable_cores() if cores is None else check_int("cores", cores, minimum=1)
        )
        self.results: list[RunResult] = []
        self.results_agree: bool | None = None
        self.label = ""
        self.ideal_measured = "cores"

    @property
    def spec(self) -> Workload:
        """The :class:`conclab.Workload` named by ``workload``."""
        return WORKLOADS[self.workload]

    @property
    def counts(self) -> tuple[int, ...]:
        """The worker counts a run measures."""
        return worker_counts(self.workers)

    def ideal(self) -> str:
        """Waiting (sleep, network) needs no core: its ideal is the workers."""
        return "workers" if self.spec.kind in ("io", "sleep") else "cores"

    def knob(self) -> int:
        """The workload's size, or the server's latency in ms."""
        spec = self.spec
        if spec.needs_server:
            ms = round(self.latency * 1000)
            return min(max(ms, spec.min_size), spec.max_size)
        return self.size

    def plan(self) -> list[tuple[str, int]]:
        """The runs, in order: (mode, workers), sequential first."""
        plan = [("sequential", 1)]
        for mode in self.modes:
            if mode != "sequential":
                plan.extend((mode, w) for w in self.counts)
        return plan

    def run(
        self, progress: Callable[[int, str], None] | None = None
    ) -> list[RunResult]:
        """Measure every run of :meth:`plan`; ``progress(i, label)`` is called
        before run ``i``, after one untimed warm-up call (as :func:`conclab.sweep`).
        For ``"http fetch"`` the local server runs for the duration
        (:meth:`conclab.Workload.prepare`)."""
        spec, size, plan = self.spec, self.knob(), self.plan()
        results = []
        with spec.prepare(size, self.tasks) as inputs:
            if inputs:  # warm-up, untimed, as lab.sweep does
                spec.func(inputs[0])
            for i, (mode, workers) in enumerate(plan):
                if progress is not None:
                    label = (
                        "sequential" if mode == "sequential" else f"{workers} {mode}"
                    )
                    progress(i, label)
                results.append(
                    run_once(spec.func, inputs, mode, workers, self.start_method)
                )
        return self.keep(results)

    def keep(self, results: Sequence[RunResult]) -> list[RunResult]:
        """Take ``results`` as the last run: they must be the runs of
        :meth:`plan` (in any order), each over ``tasks`` inputs, as
        ``lab.sweep(func, inputs, workers=...)`` measures them for the same
        settings (``02_the_gil.ipynb``)."""
        results = list(results)
        got = sorted((r.mode, r.workers, len(r.results)) for r in results)
        want = sorted((m, w, self.tasks) for m, w in self.plan())
        if got != want:
            raise ValueError(
                "results must be the runs of this panel's settings, (mode, workers, "
                f"tasks) {want}; got {got}"
            )
        spec, size = self.spec, self.knob()
        self.results = results
        self.results_agree = all(r.results == results[0].results for r in results)
        unit = f" {spec.unit}" if spec.unit else ""
        knob = f"latency {size} ms" if spec.needs_server else f"size {size}{unit}"
        self.label = f"{spec.name}, {knob}: {self.tasks} tasks"
        self.ideal_measured = self.ideal()
        return results

    def title(self) -> str:
        """The plot's title: what ran, on what."""
        method = next((r.start_method for r in self.results if r.start_method), None)
        parts = [self.label, f"{self.cores} usable cores"]
        parts.append(f"Python {platform.python_version()}")
        if method:
            parts.append(f"start method {method}")
        return " · ".join(parts)

    def figure(self) -> Figure:
        """:func:`conclab.plot_sweep` of the last run (measured now if none)."""
        if not self.results:
            self.run()
        return plot_sweep(
            self.results,
            cores=self.cores,
            title=self.title(),
            ideal=self.ideal_measured,
        )


class SpeedupPanel(Panel):
    """The speedup panel (see :func:`speedup_panel`): the view of a
    :class:`SpeedupExperiment` (``.experiment``).

    Attributes: ``widget`` (the VBox), ``controls`` (name -> widget:
    ``workload``, ``workers``, ``tasks``, ``size``, ``latency``),
    ``run_button``, ``progress``, ``status``,
    ``image`` (a ``widgets.Image`` of PNG bytes), ``figure`` (the matplotlib
    Figure behind it), ``last`` (the ``RunResult`` list of the last run),
    ``error`` (the exception of the last failed run, else None).
    """

    def __init__(
        self,
        experiment: SpeedupExperiment,
        dpi: int = PANEL_DPI,
    ) -> None:
        import ipywidgets as widgets

        self.dpi = check_int("dpi", dpi, minimum=20, maximum=300)
        self.experiment = e = experiment
        self.error: BaseException | None = None
        self._lock = threading.Lock()
        wide = {"description_width": "initial"}
        slider = {"continuous_update": False, "style": wide}
        self.controls: dict[str, Any] = {
            "workload": widgets.Dropdown(
                options=list(WORKLOADS),
                value=e.workload,
                description="workload",
                style=wide,
            ),
            "workers": widgets.IntSlider(
                value=e.workers,
                min=1,
                max=max(8, e.workers),
                description="max workers",
                **slider,
            ),
            "tasks": widgets.IntSlider(
                value=e.tasks,
                min=1,
                max=max(32, e.tasks),
                description="tasks",
                **slider,
            ),
            "size": widgets.IntSlider(description="size", **slider),
            "latency": widgets.FloatSlider(
                value=e.latency,
                min=0.0,
                max=1.0,
                step=0.01,
                readout_format=".2f",
                description="server latency (s)",
                **slider,
            ),
        }
        self.about = widgets.Label(value="")
        self.run_button = widgets.Button(
            description="Run",
            button_style="primary",
            icon="play",
            tooltip="measure every mode and worker count (takes a few seconds)",
        )
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="")
        # its own full-width row: a Label does not wrap, and beside the button
        # a long status line was cut off at a 1280-px window
        self.status = widgets.Label(value="", layout=widgets.Layout(width="100%"))
        self._configure_size(e.size)
        self.figure: Figure = e.figure()
        self.image = self._make_image(figure_png(self.figure, dpi=self.dpi))
        c = self.controls
        self.widget = widgets.VBox(
            [
                widgets.HBox([c["workload"], self.about]),
                widgets.HBox([c["workers"], c["tasks"]]),
                widgets.HBox([c["size"], c["latency"]]),
                widgets.HBox([self.run_button, self.progress]),
                self.status,
                self.image,
            ]
        )
        self.about.value = e.spec.description
        self.status.value = self._done()
        self.run_button.on_click(self._on_click)
        c["workload"].observe(self._on_workload, names="value")
        for name in ("workers", "tasks", "size", "latency"):
            c[name].observe(lambda _: self._describe(), names="value")

    @property
    def last(self) -> list[RunResult]:
        """The ``RunResult`` list of the last run (empty before any)."""
        return self.experiment.results

    @property
    def results_agree(self) -> bool | None:
        """Whether every mode returned the same results in the last run."""
        return self.experiment.results_agree

    def _sync(self) -> None:
        """Copy the controls into the experiment."""
        for name, control in self.controls.items():
            setattr(self.experiment, name, control.value)

    def _summary(self) -> str:
        self._sync()
        e = self.experiment
        return (
            f"Speedup panel: {e.workload}, {e.tasks} tasks, "
            f"workers {', '.join(map(str, e.counts))} "
            + "(measured; press Run in a live notebook to measure again)"
        )

    def _configure_size(self, value: int) -> None:
        spec = WORKLOADS[self.controls["workload"].value]
        slider = self.controls["size"]
        # widen first, so no intermediate state has min > max or value outside
        slider.min = min(slider.min, spec.min_size)
        slider.max = max(slider.max, spec.max_size)
        slider.value = min(max(value, spec.min_size), spec.max_size)
        slider.min, slider.max, slider.step = spec.min_size, spec.max_size, spec.step
        slider.description = f"size ({spec.unit})" if spec.unit else "size"
        hidden, shown = "none", None
        slider.layout.display = hidden if spec.needs_server else shown
        self.controls["latency"].layout.display = shown if spec.needs_server else hidden

    def _describe(self) -> None:
        self._sync()
        e = self.experiment
        self.about.value = e.spec.description
        self.status.value = (
            f"Press Run to measure {len(e.plan())} runs of {e.tasks} "
            f"tasks on {e.cores} usable cores."
        )

    def _on_workload(self, change: dict[str, Any]) -> None:
        self._configure_size(WORKLOADS[change["new"]].default_size)
        self._describe()

    def _on_click(self, button: Any) -> None:
        try:
            self.run()
        except Exception:
            # shown in .status and kept in .error; the traceback goes to stderr
            # (JupyterLab's log console), never silently nowhere
            traceback.print_exc(file=sys.stderr)

    def _done(self) -> str:
        results = self.last
        agree = (
            "✅ every mode returned the same results."
            if self.results_agree
            else "❌ the modes returned different results!"
        )
        total = sum(r.wall for r in results)
        return f"Done: {len(results)} runs in {total:.1f} s; {agree}"

    def _progress(self, i: int, label: str) -> None:
        plan = len(self.experiment.plan())
        self.progress.value = i
        self.status.value = (
            f"⏳ Running {self.experiment.workload}: {label} ({i + 1}/{plan})…"
        )

    def run(self) -> list[RunResult]:
        """Measure every mode and worker count now (what the Run button does).

        Returns the ``RunResult`` list (also kept in ``.last``). Errors are
        shown in ``.status``, kept in ``.error`` and raised.
        """
        if not self._lock.acquire(blocking=False):
            self.status.value = "⏳ Already running: wait for this run to finish."
            return self.last
        self.error = None
        self.run_button.disabled = True
        self._sync()
        self.progress.max = len(self.experiment.plan())
        self.progress.value = 0
        try:
            results = self.experiment.run(self._progress)
            self.progress.value = self.progress.max
            self.figure = self.experiment.figure()
            self.image.value = figure_png(self.figure, dpi=self.dpi)
            self.status.value = self._done()
            return results
        except KeyboardInterrupt:
            self.status.value = "⏹ Interrupted: the pools were shut down."
            raise
        except Exception as exc:
            self._fail(exc)
            raise
        finally:
            self.run_button.disabled = False
            self._lock.release()


def speedup_panel(
    workload: str = "primes",
    modes: Sequence[str] | None = None,
    workers: int = 4,
    size: int | None = None,
    tasks: int = 8,
    latency: float = 0.05,
    start_method: str | None = None,
    cores: int | None = None,
    results: Sequence[RunResult] | None = None,
) -> SpeedupPanel:
    """An interactive speedup experiment: choose, press Run, read the plot.

    ``workload`` is a name from :data:`conclab.WORKLOADS`; ``workers`` the
    largest worker count (the run measures 1, 2, 4 … up to it); ``tasks`` how
    many inputs each run processes; ``size`` the workload's size knob
    (default: the workload's own); ``latency`` the local server's delay in
    seconds for ``"http fetch"`` (the panel starts :func:`conclab.serve_corpus`
    for the duration of a run and closes it). The first picture is a real
    run: ``results`` (the rows ``lab.sweep`` just measured for the same
    settings, see :meth:`SpeedupExperiment.keep`), else one run made now.
    Put ``panel`` as the last expression of a cell to show it
    (``00_start_here.ipynb``, ``02_the_gil.ipynb``).
    """
    experiment = SpeedupExperiment(
        workload, modes, workers, size, tasks, latency, start_method, cores
    )
    if results is not None:
        experiment.keep(results)
    return SpeedupPanel(experiment)
