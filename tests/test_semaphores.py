"""Tests of notebook 10's semaphore timing (core), its plot (viz) and its
panel (ui). The download functions here are the notebook's, so the timing
is tested with the code students run. Latencies are small and nothing
asserts an absolute time: only what a semaphore guarantees (a run with one
permit takes at least downloads × latency; never more than ``permits`` at
once) and what the code must return."""

from __future__ import annotations

import threading

import ipywidgets as widgets
import pytest
from matplotlib.figure import Figure

import conclab as lab
from conclab.core.semaphores import DownloadRun, ideal_seconds, time_permits
from conclab.ui.semaphores import permit_counts

pytestmark = pytest.mark.filterwarnings(
    "ignore:The `ipykernel.comm.Comm` class has been deprecated:DeprecationWarning"
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def no_thread_left():
    before = set(threading.enumerate())
    yield
    assert [t.name for t in threading.enumerate() if t not in before] == []


def download_all(urls, permits, timeout=10):
    """The notebook's download_all."""
    sem = threading.BoundedSemaphore(permits)
    lock = threading.Lock()
    texts = [None] * len(urls)
    in_flight = peak = 0

    def download(i, url):
        nonlocal in_flight, peak
        with sem:
            with lock:
                in_flight += 1
                peak = max(peak, in_flight)
            try:
                texts[i] = lab.fetch_text(url, timeout=timeout)
            finally:
                with lock:
                    in_flight -= 1

    threads = [
        threading.Thread(target=download, args=(i, u)) for i, u in enumerate(urls)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    return texts, peak


def test_ideal_seconds():
    assert ideal_seconds(16, 4, 0.04) == pytest.approx(0.16)
    assert ideal_seconds(10, 4, 0.1) == pytest.approx(0.3)  # 3 rounds
    assert ideal_seconds(3, 16, 0.1) == pytest.approx(0.1)
    with pytest.raises(ValueError):
        ideal_seconds(4, 0, 0.1)


def test_download_run_properties():
    run = DownloadRun(
        permits=4, downloads=16, latency=0.04, seconds=0.2, peak=4, correct=True
    )
    assert run.throughput == pytest.approx(80)
    assert run.ideal_seconds == pytest.approx(0.16)
    assert run.ideal_throughput == pytest.approx(100)
    assert run.kept_limit
    too_many = DownloadRun(4, 16, 0.04, 0.2, peak=5, correct=True)
    assert not too_many.kept_limit


def test_time_permits_measures_the_notebooks_download():
    runs = time_permits(download_all, (1, 4), latency=0.01, downloads=8)
    assert [r.permits for r in runs] == [1, 4]
    assert all(r.correct and r.kept_limit for r in runs)
    assert runs[0].peak == 1
    # the server waits 10 ms per request and one permit allows one at a time
    assert runs[0].seconds >= 8 * 0.01
    assert all(r.downloads == 8 and r.latency == 0.01 for r in runs)


def test_time_permits_repeats_documents_past_twenty():
    runs = time_permits(download_all, (8,), latency=0.0, downloads=24)
    assert runs[0].correct


def test_time_permits_catches_wrong_texts_and_closes_its_server():
    servers = []

    def wrong(urls, permits):
        servers.append(urls[0])
        return ["nope"] * len(urls), 1

    (run,) = time_permits(wrong, (2,), latency=0.0, downloads=3)
    assert not run.correct
    with pytest.raises(OSError):  # the server is gone
        lab.fetch_text(servers[0], timeout=2)


def test_time_permits_closes_the_server_when_download_raises():
    def broken(urls, permits):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        time_permits(broken, (1,), latency=0.0, downloads=1)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"permits": ()}, ValueError),
        ({"permits": (0,)}, ValueError),
        ({"latency": -0.1}, ValueError),
        ({"downloads": 0}, ValueError),
        ({"downloads": 1.5}, TypeError),
    ],
)
def test_time_permits_validates(kwargs, error):
    with pytest.raises(error):
        time_permits(download_all, **kwargs)
    with pytest.raises(TypeError):
        time_permits("download_all")


# ---------------------------------------------------------------- the plot


def runs_for_plot():
    return [
        DownloadRun(p, 16, 0.04, 0.64 / p + 0.01, min(p, 16), True)
        for p in (1, 2, 4, 8, 16)
    ]


def test_plot_permit_runs():
    fig = lab.plot_permit_runs(runs_for_plot())
    assert isinstance(fig, Figure)
    left, right = fig.get_axes()
    labels = [line.get_label() for line in left.get_lines()]
    assert labels == ["ideal: no overhead", "measured"]
    assert list(left.get_lines()[1].get_xdata()) == [1, 2, 4, 8, 16]
    assert [bar.get_height() for bar in right.patches] == [1, 2, 4, 8, 16]
    assert "16 downloads, 40 ms" in fig._suptitle.get_text()


def test_plot_without_latency_has_no_ideal_line():
    runs = [DownloadRun(p, 4, 0.0, 0.01, p, True) for p in (1, 2)]
    left = lab.plot_permit_runs(runs, title="t").get_axes()[0]
    assert [line.get_label() for line in left.get_lines()] == ["measured"]


def test_plot_validates():
    with pytest.raises(ValueError):
        lab.plot_permit_runs([])
    with pytest.raises(TypeError):
        lab.plot_permit_runs(runs_for_plot()[0])
    with pytest.raises(TypeError):
        lab.plot_permit_runs([1, 2])


# ---------------------------------------------------------------- the panel


def test_permit_counts():
    assert permit_counts(1) == (1,)
    assert permit_counts(16) == (1, 2, 4, 8, 16)
    assert permit_counts(6) == (1, 2, 4, 6)
    with pytest.raises(ValueError):
        permit_counts(0)


def test_panel_measures_its_defaults_and_reruns_with_new_settings():
    panel = lab.permit_panel(download_all, max_permits=2, latency_ms=0, downloads=4)
    assert isinstance(panel, lab.FigurePanel)
    first = panel.experiment.last
    assert [r.permits for r in first] == [1, 2]
    assert all(r.correct for r in first)
    assert panel.png.startswith(PNG_MAGIC)
    assert isinstance(panel.controls["max_permits"], widgets.IntSlider)
    assert panel.controls["latency_ms"].value == 0
    assert "throughput_vs_permits(max_permits=2" in panel._summary()
    panel.controls["max_permits"].value = 4
    panel.controls["downloads"].value = 6
    before = panel.png
    panel.run_button.click()
    assert panel.error is None
    again = panel.experiment.last
    assert [r.permits for r in again] == [1, 2, 4]
    assert all(r.downloads == 6 for r in again)
    assert first[0].downloads == 4  # the first measurement is kept apart
    assert panel.png != before
    panel.close()


def test_panel_shows_the_measured_figure_as_its_static_image():
    panel = lab.permit_panel(download_all, max_permits=1, latency_ms=0, downloads=2)
    bundle = panel._repr_mimebundle_()
    assert "image/png" in bundle
    assert bundle["text/plain"].startswith("Figure panel: throughput_vs_permits")
    panel.close()


def test_panel_validates():
    with pytest.raises(TypeError):
        lab.permit_panel(None)
    with pytest.raises(ValueError):
        lab.permit_panel(download_all, max_permits=0)
    with pytest.raises(ValueError):
        lab.permit_panel(download_all, latency_ms=500)
