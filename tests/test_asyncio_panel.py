"""Notebook 11's panel: concurrency x latency -> time, tasks vs threads."""

from __future__ import annotations

import pytest

import conclab as lab
from conclab.ui import asyncio_panel


@pytest.fixture(scope="module")
def server():
    with lab.serve_corpus_async(latency=0.05, max_connections=200) as running:
        yield running


@pytest.fixture(scope="module")
def sweep(server):
    return lab.burst_sweep(server, levels=(10,))


def test_the_first_picture_is_the_given_sweep_without_measuring(server, sweep):
    before = server.stats()["requests"]
    panel = lab.burst_panel(server, initial=sweep)
    assert server.stats()["requests"] == before  # nothing was measured again
    assert panel.png.startswith(b"\x89PNG")
    assert panel.values == {"latency": 0.05, "up_to": 10}
    assert panel.experiment.last == sweep
    assert "tasks_vs_threads(latency=0.05, up_to=10)" in panel._summary()
    panel.close()


def test_run_measures_the_chosen_settings(server, sweep):
    panel = lab.burst_panel(server, initial=sweep)
    first = panel.png
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
    assert server.latency == 0.05  # the panel puts the latency back
    panel.close()


def test_threads_are_measured_only_up_to_the_limit(server, monkeypatch):
    monkeypatch.setattr(asyncio_panel, "THREAD_BURST_LIMIT", 10)
    experiment = lab.BurstExperiment(server)
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


def test_the_plan_follows_the_machine_and_the_server(server):
    experiment = lab.BurstExperiment(server)
    assert experiment.levels == (10, 100)  # the server takes up to 200
    assert experiment.plan(100) == (10, 100)
    assert experiment.plan(50) == (10,)
    with pytest.raises(ValueError):
        experiment.plan(5)
    assert experiment.default_up_to == 10


def test_arguments_are_checked(server):
    with pytest.raises(TypeError):
        lab.burst_panel("http://127.0.0.1:1")
    with pytest.raises(TypeError):
        lab.BurstExperiment(server, initial=[object()])
    with pytest.raises(ValueError):
        lab.BurstExperiment(server).measure(2.0, 10)
