"""The start-up panels of notebooks 01 and 03 (conclab.ui.startmethods): the
first picture is the notebook's run, Run measures the settings chosen."""

from __future__ import annotations

import multiprocessing

import pytest

import conclab as lab
from conclab.core.memory import ChildMemory
from conclab.core.startmethods import StartCosts
from conclab.ui import startmethods as ui

METHODS = [
    m
    for m in ("fork", "forkserver", "spawn")
    if m in multiprocessing.get_all_start_methods()
]


def fake_run(task, inputs, mode, workers, start_method=None):
    return lab.run(lab.sleep_task, [0.0] * len(inputs), "threads", workers)


def test_startup_panel_shows_the_given_run_then_measures(monkeypatch):
    first = lab.run(lab.sleep_task, [0.0] * 3, "threads", 3)
    calls = []

    def recording_run(task, inputs, mode, workers, start_method=None):
        calls.append((mode, workers, start_method, list(inputs)))
        return fake_run(task, inputs, mode, workers, start_method)

    monkeypatch.setattr(ui, "run", recording_run)
    experiment = lab.StartupExperiment(first, seconds=0.01)
    panel = lab.startup_panel(experiment)
    try:
        assert panel.png.startswith(b"\x89PNG") and calls == []  # no measurement
        assert panel.controls["workers"].value == 3
        assert panel.controls["mode"].value == "threads"
        assert panel.controls["mode"].options[0] == "threads"
        assert list(panel.controls["mode"].options[1:]) == METHODS
        shown = panel.png
        panel.controls["workers"].value = 2
        panel.controls["mode"].value = METHODS[-1]
        panel.run_button.click()
        assert panel.error is None
        assert calls == [("processes", 2, METHODS[-1], [0.01, 0.01])]
        assert panel.png != shown
        assert f"({METHODS[-1]})" in panel.last.axes[0].get_title()
        # the same settings as the first run: measured again, not the old run
        panel.controls["workers"].value = 3
        panel.controls["mode"].value = "threads"
        panel.run_button.click()
        assert calls[-1] == ("threads", 3, None, [0.01] * 3)
    finally:
        panel.close()


def test_startup_experiment_draws_a_real_run():
    experiment = lab.StartupExperiment(seconds=0.0)
    fig = experiment.figure(workers=2, mode="threads")
    assert experiment.last.workers == 2 and len(experiment.last.spans) == 2
    assert fig.axes[0].get_title().startswith("2 threads: first task began after")


def test_startup_experiment_validates():
    with pytest.raises(TypeError, match="RunResult"):
        lab.StartupExperiment("not a run")
    sequential = lab.run(lab.sleep_task, [0.0], "sequential")
    with pytest.raises(ValueError, match="threads or processes"):
        lab.StartupExperiment(sequential)
    experiment = lab.StartupExperiment()
    with pytest.raises(ValueError, match="workers"):
        experiment.measure(0, "threads")
    with pytest.raises(ValueError, match="mode"):
        experiment.measure(2, "processes")
    with pytest.raises(TypeError, match="StartupExperiment"):
        lab.startup_panel(object())


def memory_row(method, uss=1.0):
    return ChildMemory(method, rss=10.0, uss=uss, parent_rss=50.0)


def test_start_method_panel_shows_the_given_run_then_measures(monkeypatch):
    costs = StartCosts({m: [0.001, 0.002] for m in METHODS}, forkserver_first=0.1)
    memory = [memory_row(m) for m in METHODS]
    calls = []
    sizes = []

    def fake_costs(methods, repeat, fresh=True):
        calls.append(("costs", list(methods), repeat, fresh))
        return StartCosts({m: [0.003] for m in methods}, None)

    def fake_memory(methods):
        calls.append(("memory", list(methods)))
        return [memory_row(m, uss=2.0) for m in methods]

    real_ballast = ui._ballast

    def recording_ballast(parent_mb):
        sizes.append(parent_mb)
        return real_ballast(min(parent_mb, 1))

    monkeypatch.setattr(ui, "start_costs", fake_costs)
    monkeypatch.setattr(ui, "child_memory_per_method", fake_memory)
    monkeypatch.setattr(ui, "_ballast", recording_ballast)
    panel = lab.start_method_panel(lab.StartMethodExperiment(costs, memory, repeat=3))
    try:
        assert panel.png.startswith(b"\x89PNG") and calls == []
        left, _right = panel.last.axes
        # the notebook's run, without the fresh-interpreter bar
        assert [t.get_text() for t in left.get_xticklabels()] == METHODS
        shown = panel.png
        panel.controls["parent_mb"].value = 100
        panel.controls["methods"].value = (METHODS[0],)
        panel.run_button.click()
        assert panel.error is None
        assert calls == [("costs", [METHODS[0]], 3, False), ("memory", [METHODS[0]])]
        assert sizes == [100]
        assert "grown by 100 MB" in panel.last.axes[0].get_title()
        assert panel.png != shown
        panel.controls["methods"].value = ()
        panel.run_button.click()
        assert "at least one start method" in panel.status.value
    finally:
        panel.close()


def test_ballast_is_the_size_asked_for():
    assert len(ui._ballast(2)) == 2 << 20 and ui._ballast(0) == b""


def test_start_method_experiment_validates():
    costs = StartCosts({"spawn": [0.01]}, None)
    with pytest.raises(ValueError, match="both costs and memory"):
        lab.StartMethodExperiment(costs)
    with pytest.raises(TypeError, match="StartCosts"):
        lab.StartMethodExperiment({"spawn": [0.01]}, [memory_row("spawn")])
    experiment = lab.StartMethodExperiment()
    with pytest.raises(ValueError, match="parent_mb"):
        experiment.measure(["spawn"], parent_mb=10_000)
    with pytest.raises(ValueError, match="method"):
        experiment.measure(["no such method"])
    with pytest.raises(TypeError, match="StartMethodExperiment"):
        lab.start_method_panel(object())


def test_start_method_experiment_measures_for_real():
    experiment = lab.StartMethodExperiment(repeat=1)
    fig = experiment.figure(methods=(METHODS[0],), parent_mb=0)
    left, right = fig.axes
    assert [t.get_text() for t in left.get_xticklabels()] == [METHODS[0]]
    assert [t.get_text() for t in right.get_xticklabels()] == [METHODS[0]]


def test_the_plots_draw_on_a_given_axes():
    fig, (left, right) = lab.figure(ncols=2)
    assert lab.plot_start_costs(StartCosts({"spawn": [0.01]}, None), ax=left) is fig
    assert lab.plot_child_memory([memory_row("spawn")], ax=right) is fig
    with pytest.raises(ValueError, match="at least one method"):
        lab.plot_start_costs(StartCosts({}, None))
