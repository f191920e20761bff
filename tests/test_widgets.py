"""Tests for conclab.widgets, without a browser: build a panel, move a control,
press Run (``button.click()`` works on ipywidgets 7 and 8), read the image and
the numbers behind it. They pass on ipywidgets 8 (the project's venv) and on
7.7.1, Colab's: ``python -m venv /tmp/w7 && /tmp/w7/bin/pip install -e .
"ipywidgets==7.7.1" pytest pytest-timeout``, then ``/tmp/w7/bin/python -m
pytest tests/test_widgets.py tests/test_plots.py``."""

from __future__ import annotations

import base64
import contextlib
import multiprocessing
import sys
import threading
import types
import urllib.error
import urllib.request

import IPython.display
import ipywidgets as widgets
import pytest
from IPython.core.formatters import DisplayFormatter

import conclab as lab
from conclab.core import registry as core_registry
from conclab.ui import speedup as ui_speedup
from conclab.ui.speedup import worker_counts

# ipywidgets 7.7.1 (Colab's) with ipykernel >= 6.18 warns on every widget it
# creates; that is the pair's business, not the panels'. Nothing to ignore on 8.
pytestmark = pytest.mark.filterwarnings(
    "ignore:The `ipykernel.comm.Comm` class has been deprecated:DeprecationWarning"
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CORE_MODULES = {"@jupyter-widgets/controls", "@jupyter-widgets/base"}


def small_panel(**kwargs) -> lab.SpeedupPanel:
    """A panel whose Run costs well under a second."""
    options = {"workload": "primes", "workers": 2, "tasks": 4, "size": 1000}
    if kwargs.get("workload") == "http fetch":
        del options["size"]
    options.update(kwargs)
    return lab.speedup_panel(**options)


def walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


@pytest.fixture
def count_runs(monkeypatch):
    """Count calls of conclab.runner.run (the panel looks it up at Run time)."""
    calls = []
    real = lab.run

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(ui_speedup, "run_once", counting)
    return calls


# --- worker counts ---------------------------------------------------------------


def test_worker_counts():
    assert worker_counts(1) == (1,)
    assert worker_counts(2) == (2,)  # one worker is the sequential baseline
    assert worker_counts(4) == (2, 4)
    assert worker_counts(6) == (2, 4, 6)
    assert worker_counts(8) == (2, 4, 8)
    with pytest.raises(ValueError, match="max_workers"):
        worker_counts(0)


# --- the speedup panel: construction -------------------------------------------


def test_panel_first_picture_is_a_measured_run(count_runs):
    threads_before = set(threading.enumerate())
    panel = small_panel()
    assert [(r.mode, r.workers) for r in panel.last] == [
        ("sequential", 1),
        ("threads", 2),
        ("processes", 2),
    ]
    assert len(count_runs) == 3
    assert set(threading.enumerate()) <= threads_before  # every pool shut down
    assert multiprocessing.active_children() == []
    assert set(panel.controls) == {"workload", "workers", "tasks", "size", "latency"}
    assert isinstance(panel.controls["workload"], widgets.Dropdown)
    assert list(panel.controls["workload"].options) == list(lab.WORKLOADS)
    assert isinstance(panel.controls["workers"], widgets.IntSlider)
    assert isinstance(panel.run_button, widgets.Button)
    assert isinstance(panel.image, widgets.Image)
    assert isinstance(panel.widget, widgets.VBox)
    assert panel.image.format == "png"
    assert panel.png.startswith(PNG_MAGIC)
    assert panel.png == lab.figure_png(panel.figure, dpi=panel.dpi)
    assert panel.status.value.startswith("Done: 3 runs")
    assert panel.image in list(walk(panel.widget))
    speedup_axes = panel.figure.get_axes()[1]
    labels = [line.get_label() for line in speedup_axes.get_lines()]
    assert {"threads", "processes"} <= set(labels)
    assert f"ideal: min(workers, {lab.usable_cores()} cores)" in labels
    assert not any("Amdahl" in label for label in labels)


def test_panel_takes_the_rows_the_notebook_measured(count_runs):
    rows = lab.sweep(lab.count_primes, [1000] * 4, workers=(2,))
    panel = small_panel(results=rows)
    assert count_runs == []
    assert panel.last == rows
    measured = panel.figure.get_axes()[1].get_lines()
    threads = next(line for line in measured if line.get_label() == "threads")
    assert list(threads.get_ydata()) == pytest.approx([rows[0].wall / rows[1].wall])
    with pytest.raises(ValueError, match="results must be the runs"):
        small_panel(results=rows[:2])  # no processes
    with pytest.raises(ValueError, match="results must be the runs"):
        small_panel(results=rows, tasks=3)  # 4 inputs each, not 3
    assert count_runs == []


def test_panel_uses_core_widgets_only():
    panel = small_panel()
    for w in walk(panel.widget):
        assert w._model_module in CORE_MODULES, type(w).__name__
        assert not isinstance(w, widgets.Output)


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"workload": "nope"}, ValueError, "workload must be one of 'primes'"),
        ({"workers": 0}, ValueError, "workers"),
        ({"workers": 2.0}, TypeError, "workers"),
        ({"tasks": 0}, ValueError, "tasks"),
        ({"modes": ("threads",)}, ValueError, "sequential"),
        ({"modes": ("sequential", "fibers")}, ValueError, "modes"),
        ({"latency": -1}, ValueError, "latency"),
        ({"results": []}, ValueError, "results"),
        ({"size": 10**9}, ValueError, "size"),
        ({"workload": "http fetch", "size": 50}, ValueError, "latency"),
        ({"start_method": "teleport"}, ValueError, "start_method"),
    ],
)
def test_panel_validates_arguments(kwargs, error, words):
    with pytest.raises(error, match=words):
        small_panel(**kwargs)


# --- controls --------------------------------------------------------------------


def test_moving_sliders_does_not_measure(count_runs):
    panel = small_panel(workers=4)
    count_runs.clear()
    before = panel.png
    panel.controls["workers"].value = 2
    panel.controls["tasks"].value = 3
    panel.controls["size"].value = 2000
    assert count_runs == []
    assert panel.experiment.counts == (2,)  # the controls are copied into it
    assert "3 runs of 3 tasks" in panel.status.value
    assert panel.png == before


def test_workload_dropdown_reconfigures_size_and_latency():
    panel = small_panel()
    size, latency = panel.controls["size"], panel.controls["latency"]
    assert latency.layout.display == "none"
    assert size.layout.display != "none"
    panel.controls["workload"].value = "sleep"
    sleep = lab.WORKLOADS["sleep"]
    assert (size.min, size.max, size.value) == (
        sleep.min_size,
        sleep.max_size,
        sleep.default_size,
    )
    assert sleep.unit in size.description
    assert sleep.description in panel.about.value
    panel.controls["workload"].value = "http fetch"
    assert size.layout.display == "none"
    assert latency.layout.display != "none"
    panel.controls["workload"].value = "primes"
    assert size.value == lab.WORKLOADS["primes"].default_size
    assert latency.layout.display == "none"


# --- Run ---------------------------------------------------------------------------


def test_run_button_measures_every_mode_and_updates_the_image(count_runs):
    panel = small_panel(workers=4, size=2000)
    count_runs.clear()
    panel.controls["workers"].value = 2  # slider changes, then Run
    panel.controls["size"].value = 1000
    before = panel.png
    panel.run_button.click()
    assert panel.error is None, panel.status.value
    assert [(r.mode, r.workers) for r in panel.last] == [
        ("sequential", 1),
        ("threads", 2),
        ("processes", 2),
    ]
    assert len(count_runs) == 3
    expected = [lab.count_primes(1000)] * 4
    for r in panel.last:
        assert r.results == expected
        assert r.wall > 0
    assert panel.results_agree is True
    assert panel.png != before
    assert panel.png.startswith(PNG_MAGIC)
    assert panel.progress.value == panel.progress.max == 3
    times, right = panel.figure.get_axes()
    assert "(s)" in times.get_ylabel()
    measured = {line.get_label(): list(line.get_ydata()) for line in right.get_lines()}
    base = panel.last[0].wall
    assert measured["processes"] == pytest.approx(
        [base / r.wall for r in panel.last[2:]]
    )
    assert "primes, size 1000 n: 4 tasks" in panel.figure._suptitle.get_text()
    assert panel.status.value.startswith("Done: 3 runs")
    assert "same results" in panel.status.value
    assert not panel.run_button.disabled


def test_run_method_returns_results_and_honours_modes():
    panel = small_panel(modes=("sequential", "threads"), workers=2)
    results = panel.run()
    assert results is panel.last
    assert [r.mode for r in results] == ["sequential", "threads"]


def test_errors_show_in_status_and_are_kept(monkeypatch, capsys):
    panel = small_panel()

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(ui_speedup, "run_once", broken)
    panel.run_button.click()  # the click handler must not swallow it silently
    assert isinstance(panel.error, RuntimeError)
    assert "RuntimeError: boom" in panel.status.value
    assert "boom" in capsys.readouterr().err  # the traceback, for the log
    assert not panel.run_button.disabled
    with pytest.raises(RuntimeError, match="boom"):
        panel.run()
    monkeypatch.undo()
    panel.run()
    assert panel.error is None


def test_a_second_press_while_running_is_refused(count_runs):
    panel = small_panel()
    count_runs.clear()
    panel._lock.acquire()
    try:
        panel.run_button.click()
    finally:
        panel._lock.release()
    assert count_runs == []
    assert "Already running" in panel.status.value


def test_http_workload_starts_and_closes_the_server(monkeypatch):
    servers = []
    real = lab.serve_corpus

    @contextlib.contextmanager
    def recording(latency=0.0):
        with real(latency=latency) as server:
            servers.append((latency, server.base_url))
            yield server

    monkeypatch.setattr(core_registry, "serve_corpus", recording)
    threads_before = set(threading.enumerate())
    panel = small_panel(workload="http fetch", latency=0.0)
    assert [latency for latency, _ in servers] == [0.0]  # the first picture
    panel.controls["latency"].value = 0.01
    assert len(servers) == 1  # moving a slider serves nothing
    panel.run_button.click()
    assert panel.error is None, panel.status.value
    latency, base_url = servers[-1]
    assert latency == pytest.approx(0.01)
    texts = panel.last[0].results
    assert len(texts) == 4
    assert all(isinstance(t, str) and t for t in texts)
    assert all(r.results == texts for r in panel.last)
    # waiting needs no core: the ideal line is the workers, not the cores
    speedup_axes = panel.figure.get_axes()[1]
    labels = [line.get_label() for line in speedup_axes.get_lines()]
    assert "ideal for waiting: workers" in labels
    # the server is gone: nothing listens on its port, no thread is left
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(base_url + "/rfc/rfc1000.txt", timeout=2)
    assert set(threading.enumerate()) <= threads_before


@pytest.mark.parametrize("method", multiprocessing.get_all_start_methods())
def test_processes_under_every_start_method(method):
    panel = small_panel(modes=("sequential", "processes"), start_method=method)
    panel.run()
    assert [r.start_method for r in panel.last] == [None, method]
    assert panel.results_agree


# --- display ------------------------------------------------------------------------


def test_panel_displays_as_widget_with_png_fallback(monkeypatch):
    panel = small_panel()
    data = panel._repr_mimebundle_()
    view = data["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] == panel.widget.model_id
    assert view["version_major"] == 2
    assert base64.b64decode(data["image/png"]) == panel.png
    assert data["text/plain"] == (
        "Speedup panel: primes, 4 tasks, workers 2 "
        "(measured; press Run in a live notebook to measure again)"
    )
    # IPython (display(panel) or a cell's last expression) goes through
    # _ipython_display_, which publishes the same bundle as raw display data
    shown = []
    monkeypatch.setattr(
        IPython.display, "display", lambda *objs, **kw: shown.append((objs, kw))
    )
    assert DisplayFormatter().format(panel) == ({}, {})
    ((objs, kw),) = shown
    assert kw == {"raw": True}
    assert objs[0].keys() == data.keys()
    assert objs[0]["image/png"] == data["image/png"]


def test_no_png_fallback_inside_colab(monkeypatch):
    panel = small_panel()
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    data = panel._repr_mimebundle_()
    assert "image/png" not in data
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"]


# --- figure_panel ----------------------------------------------------------------


def bars(n: int = 3, scale: float = 1.0, label: str = "a", log: bool = False):
    fig = lab.plot_bars(
        [f"{label}{i}" for i in range(n)],
        [scale * (i + 1) for i in range(n)],
        ylabel="value (units)",
    )
    if log:
        fig.get_axes()[0].set_yscale("log")
    return fig


def test_figure_panel_controls_and_redraw():
    calls = []

    def render(n: int = 3, scale: float = 1.0, label: str = "b", log: bool = False):
        calls.append((n, scale, label, log))
        return bars(n, scale, label, log)

    panel = lab.figure_panel(
        render, n=(1, 10), scale=(0.5, 5.0, 0.5), label=["a", "b"], log=False
    )
    c = panel.controls
    assert isinstance(c["n"], widgets.IntSlider)
    assert isinstance(c["scale"], widgets.FloatSlider)
    assert isinstance(c["label"], widgets.Dropdown)
    assert isinstance(c["log"], widgets.Checkbox)
    assert panel.run_button is None
    # starting values are the function's defaults; the first render is real
    assert calls == [(3, 1.0, "b", False)]
    assert panel.png.startswith(PNG_MAGIC)
    first = panel.png
    c["n"].value = 5
    assert calls[-1] == (5, 1.0, "b", False)
    assert panel.png != first
    assert len(panel.last.get_axes()[0].patches) == 5
    for w in walk(panel.widget):
        assert w._model_module in CORE_MODULES


def test_figure_panel_manual_runs_only_on_click():
    calls = []

    def render(n: int = 2):
        calls.append(n)
        return bars(n)

    panel = lab.figure_panel(render, manual=True, n=(1, 6))
    assert calls == [2]
    panel.controls["n"].value = 4
    assert calls == [2]
    assert "press Run" in panel.status.value
    panel.run_button.click()
    assert calls == [2, 4]
    assert panel.status.value == ""


def test_figure_panel_errors_are_shown_and_kept(capsys):
    def render(n: int = 1):
        if n > 1:
            raise ValueError("n too big")
        return bars(1)

    panel = lab.figure_panel(render, n=(1, 3))
    panel.controls["n"].value = 2
    assert isinstance(panel.error, ValueError)
    assert "n too big" in panel.status.value
    assert "n too big" in capsys.readouterr().err
    panel.controls["n"].value = 1
    assert panel.error is None


def test_figure_panel_validates():
    with pytest.raises(TypeError, match="render"):
        lab.figure_panel("not callable", n=(1, 2))
    with pytest.raises(ValueError, match="at least one control"):
        lab.figure_panel(bars)
    with pytest.raises(ValueError, match=r"^n: .*min"):
        lab.figure_panel(bars, n=(5, 1))
    with pytest.raises(TypeError, match=r"^n: give .*slider"):
        lab.figure_panel(bars, n=(1, "x"))
    with pytest.raises(TypeError, match=r"^n: give .*dropdown"):
        lab.figure_panel(bars, n=object())
    with pytest.raises(TypeError, match="Figure"):
        lab.figure_panel(lambda n=1: "not a figure", n=(1, 2))


def test_the_experiment_measures_without_any_widget():
    e = lab.SpeedupExperiment(
        "sleep", modes=("sequential", "threads"), workers=2, size=0, tasks=2, cores=2
    )
    assert e.plan() == [("sequential", 1), ("threads", 2)]
    assert e.results == []
    e.figure()  # nothing measured yet: a figure measures first, never a placeholder
    assert [(r.mode, r.workers) for r in e.results] == e.plan()
    seen = []
    results = e.run(lambda i, label: seen.append((i, label)))
    assert seen == [(0, "sequential"), (1, "2 threads")]
    assert results is e.results and e.results_agree is True
    assert e.ideal_measured == "workers"  # sleeping needs no core
    assert "sleep, size 0 ms: 2 tasks" in e.figure()._suptitle.get_text()
    with pytest.raises(ValueError, match="sequential"):
        lab.SpeedupExperiment(modes=("threads",))
    for modes in ("sequential", ()):  # one str is not a list of modes
        with pytest.raises(ValueError, match="modes must be a non-empty list"):
            lab.SpeedupExperiment(modes=modes)
    with pytest.raises(ValueError, match="latency"):
        lab.SpeedupExperiment("http fetch", size=10)
