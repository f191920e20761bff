"""Notebook 11's panel: concurrency x latency -> time, tasks vs threads."""

from __future__ import annotations

import pytest

import conclab as lab
from conclab.core import async_clients
from conclab.ui import asyncio_panel


@pytest.fixture(scope="module")
def sweep():
    with lab.serve_corpus_async(latency=0.05, max_connections=100) as server:
        return lab.burst_sweep(server, levels=(10,))


@pytest.fixture
def small_machine(monkeypatch):
    """Pretend the open-file limit allows up to 100 requests at once."""
    monkeypatch.setattr(async_clients, "_hard_open_files", lambda: 200)


def test_the_first_picture_is_the_given_sweep_without_measuring(
    sweep, small_machine, monkeypatch
):
    def no_server(**kwargs):
        raise AssertionError("the initial sweep must not be measured again")

    monkeypatch.setattr(asyncio_panel, "serve_corpus_async", no_server)
    panel = lab.burst_panel(initial=sweep)
    assert panel.png.startswith(b"\x89PNG")
    assert panel.values == {"latency": 0.05, "up_to": 10}
    assert panel.experiment.last == sweep
    assert "tasks_vs_threads(latency=0.05, up_to=10)" in panel._summary()
    panel.close()


def test_run_measures_with_a_server_of_its_own(sweep, small_machine):
    panel = lab.burst_panel(initial=sweep)
    first = panel.png
    before = lab.running_now()
    panel.controls["latency"].value = 0.0
    assert panel.status.value == "Settings changed: press Run."
    panel.run_button.click()
    assert panel.error is None, panel.status.value
    assert panel.png != first
    results = panel.experiment.last
    assert {(r.mode, r.requests) for r in results} == {
        ("asyncio", 10),
        ("threads", 10),
    }
    assert all(r.ok and r.latency == 0.0 for r in results)
    assert lab.left_running(before)["processes"] == []  # its server is closed
    panel.close()


def test_threads_are_measured_only_up_to_the_limit(small_machine, monkeypatch):
    monkeypatch.setattr(asyncio_panel, "THREAD_BURST_LIMIT", 10)
    experiment = lab.BurstExperiment()
    results = experiment.measure(0.0, 100)
    assert [(r.requests, r.mode) for r in results] == [
        (10, "asyncio"),
        (10, "threads"),
        (100, "asyncio"),
    ]
    again = experiment.measure(0.0, 100)
    assert again is results  # the same settings are not measured twice
    fig = experiment.figure(0.0, 100)
    assert "threads measured up to 10" in fig._suptitle.get_text()


def test_the_plan_follows_the_machine(small_machine):
    experiment = lab.BurstExperiment()
    assert experiment.levels == (10, 100)
    assert experiment.plan(100) == (10, 100)
    assert experiment.plan(50) == (10,)
    with pytest.raises(ValueError):
        experiment.plan(5)
    assert experiment.default_up_to == 10
    assert experiment.latency == asyncio_panel.DEFAULT_LATENCY


def test_arguments_are_checked(sweep):
    with pytest.raises(TypeError):
        lab.burst_panel(initial=[object()])
    with pytest.raises(TypeError):
        lab.BurstExperiment(initial=[])
    mixed = [sweep[0], type(sweep[0])(**{**vars(sweep[0]), "latency": 0.2})]
    with pytest.raises(ValueError, match="one latency"):
        lab.BurstExperiment(initial=mixed)
    with pytest.raises(ValueError):
        lab.BurstExperiment().measure(2.0, 10)
