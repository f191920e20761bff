"""conclab.ui.cluster: the workers × task size panel and the dashboard link."""

from __future__ import annotations

import importlib

import pytest

import conclab as lab

pytest.importorskip("distributed", reason="notebook 13's extra: pip install -e .[dask]")
panel_module = importlib.import_module("conclab.ui.cluster")

pytestmark = [
    pytest.mark.dask,
    pytest.mark.filterwarnings(
        "ignore:The `ipykernel.comm.Comm` class has been deprecated:DeprecationWarning"
    ),
]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def fake_rows(workers=2, tasks=8, sizes=(0.0001, 0.001, 0.01, 0.1)):
    rows = []
    for size in sizes:
        for engine, extra in (("process pool", 0.0002), ("dask", 0.002)):
            wall = tasks * (size / workers + extra)
            rows.append(lab.TaskSizeRow(engine, workers, size, tasks, wall, 2))
    return rows


def test_task_sizes_go_up_by_tens_to_the_largest():
    assert panel_module.task_sizes(10) == (0.0001, 0.001, 0.01)
    assert panel_module.task_sizes(100) == (0.0001, 0.001, 0.01, 0.1)
    assert panel_module.task_sizes(300) == (0.0001, 0.001, 0.01, 0.1, 0.3)
    with pytest.raises(ValueError, match="largest_ms"):
        panel_module.task_sizes(50)


def test_experiment_validates():
    with pytest.raises(ValueError, match="workers"):
        lab.TaskSizeExperiment(workers=0)
    with pytest.raises(ValueError, match="largest_ms"):
        lab.TaskSizeExperiment(largest_ms=7)
    with pytest.raises(ValueError, match="run"):
        lab.TaskSizeExperiment().figure()


def test_panel_with_rows_draws_them_without_measuring(monkeypatch):
    calls = []
    monkeypatch.setattr(
        panel_module, "task_size_sweep", lambda *a, **k: calls.append(a) or fake_rows()
    )
    panel = lab.task_size_panel(rows=fake_rows())
    assert calls == []
    assert panel.png.startswith(PNG_MAGIC)
    assert set(panel.controls) == {"workers", "tasks", "largest_ms"}
    assert panel.run_button is not None
    panel.close()


def test_panel_measures_once_without_rows_and_again_on_run(monkeypatch):
    calls = []

    def sweep(workers, sizes, tasks, method=None):
        calls.append((workers, sizes, tasks))
        return fake_rows(workers, tasks, sizes)

    monkeypatch.setattr(panel_module, "task_size_sweep", sweep)
    panel = lab.task_size_panel(workers=2, tasks=8, largest_ms=10)
    assert calls == [(2, (0.0001, 0.001, 0.01), 8)]
    first = panel.png
    panel.controls["workers"].value = 3
    assert len(calls) == 1, "moving a slider must not measure"
    panel.run_button.click()
    assert calls[-1] == (3, (0.0001, 0.001, 0.01), 8)
    assert panel.png != first and panel.error is None
    assert panel.experiment.workers == 3
    panel.close()


def test_panel_rejects_rows_of_another_kind():
    with pytest.raises(TypeError, match="TaskSizeRow"):
        lab.task_size_panel(rows=[object()])
    with pytest.raises(TypeError, match="TaskSizeRow"):
        lab.task_size_panel(rows=[])


def test_panel_really_measures(capsys):
    """One real run, as the notebook's Run button does it (a pool and a cluster)."""
    before = lab.snapshot()
    panel = lab.task_size_panel(workers=1, tasks=4, largest_ms=10)
    rows = panel.experiment.rows
    assert [(r.engine, r.size) for r in rows][:2] == [
        ("process pool", 0.0001),
        ("dask", 0.0001),
    ]
    assert len(rows) == 6 and panel.png.startswith(PNG_MAGIC)
    panel.close()
    assert lab.leftovers(before, timeout=20) == {
        "threads": [],
        "processes": [],
        "listening": [],
    }


class FakeCluster:
    dashboard_link = "http://127.0.0.1:8787/status"


def test_show_dashboard_links_it(monkeypatch):
    shown = []
    monkeypatch.setattr(
        panel_module, "dashboard_available", lambda: True, raising=False
    )
    monkeypatch.setattr("conclab.core.cluster.dashboard_available", lambda: True)
    monkeypatch.setattr("IPython.display.display", lambda obj, **k: shown.append(obj))
    assert lab.show_dashboard(FakeCluster()) == FakeCluster.dashboard_link
    assert FakeCluster.dashboard_link in shown[0].data


def test_show_dashboard_without_bokeh_says_what_to_install(monkeypatch, capsys):
    monkeypatch.setattr("conclab.core.cluster.dashboard_available", lambda: False)
    assert lab.show_dashboard(FakeCluster()) == ""
    assert "pip install bokeh" in capsys.readouterr().out


def test_show_dashboard_in_colab_goes_through_its_proxy(monkeypatch):
    import sys
    import types

    served = []
    colab = types.ModuleType("google.colab")
    colab.output = types.SimpleNamespace(
        serve_kernel_port_as_window=lambda port, path: served.append((port, path))
    )
    google = types.ModuleType("google")
    google.colab = colab
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setattr("conclab.core.cluster.dashboard_available", lambda: True)
    assert lab.show_dashboard(FakeCluster()) == FakeCluster.dashboard_link
    assert served == [(8787, "/status")]
