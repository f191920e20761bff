"""Tests for conclab.plots: figure content, not just "it did not crash"."""

from __future__ import annotations

import sys
from types import SimpleNamespace

import pytest
from matplotlib.figure import Figure

import conclab as lab
from conclab.viz import figures, speedup

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def result(mode: str, workers: int, wall: float) -> SimpleNamespace:
    return SimpleNamespace(mode=mode, workers=workers, wall=wall)


def sweep_like() -> list[SimpleNamespace]:
    """A sequential baseline of 2 s, threads flat, processes twice as fast."""
    out = [result("sequential", 1, 2.0)]
    for w in (1, 2, 4):
        out.append(result("threads", w, 2.0))
        out.append(result("processes", w, 2.0 / min(w, 2)))
    return out


def lines_by_label(ax) -> dict[str, tuple[list[float], list[float]]]:
    return {
        line.get_label(): (list(line.get_xdata()), list(line.get_ydata()))
        for line in ax.get_lines()
    }


def suptitle(fig) -> str:
    """fig.get_suptitle() exists from matplotlib 3.8; the course allows 3.5."""
    return fig._suptitle.get_text() if fig._suptitle is not None else ""


def legend_texts(ax) -> list[str]:
    legend = ax.get_legend()
    assert legend is not None, "the plot has no legend"
    return [t.get_text() for t in legend.get_texts()]


def assert_readable(ax) -> None:
    ax.figure.canvas.draw()  # matplotlib < 3.6 makes tick labels when drawing
    assert ax.xaxis.label.get_fontsize() >= 12
    assert ax.yaxis.label.get_fontsize() >= 12
    assert ax.title.get_fontsize() >= 12
    for label in ax.get_xticklabels() + ax.get_yticklabels():
        assert label.get_fontsize() >= 12
    for text in ax.get_legend().get_texts():
        assert text.get_fontsize() >= 12
    assert any(line.get_visible() for line in ax.get_xgridlines())


# --- figure, figure_png, show ---------------------------------------------------


def test_figure_is_object_oriented_and_leaves_no_pyplot_state():
    fig, ax = lab.figure()
    assert isinstance(fig, Figure)
    assert ax.figure is fig
    fig2, axes = lab.figure(ncols=2)
    assert all(a.figure is fig2 for a in axes)
    assert len(axes) == 2
    # plots never import pyplot, so no figure registry can fill up
    if "matplotlib.pyplot" in sys.modules:
        import matplotlib.pyplot as plt

        assert plt.get_fignums() == []


def test_figure_png_is_png_and_validates():
    fig = lab.plot_sweep(sweep_like())
    png = lab.figure_png(fig, dpi=50)
    assert png.startswith(PNG_MAGIC)
    assert len(lab.figure_png(fig, dpi=100)) > len(png)
    with pytest.raises(TypeError, match="fig"):
        lab.figure_png("not a figure")
    with pytest.raises(ValueError, match="dpi"):
        lab.figure_png(fig, dpi=0)


def test_show_outside_ipython_prints_a_line(capsys, monkeypatch):
    monkeypatch.setattr(figures, "_ipython_shell", lambda: None)
    lab.show(lab.plot_sweep(sweep_like()))
    out = capsys.readouterr().out
    assert "Wall time vs workers" in out
    assert "figure_png" in out
    assert out.count("\n") == 1


def test_show_inside_ipython_displays_a_png(monkeypatch):
    shown = []
    monkeypatch.setattr(figures, "_ipython_shell", lambda: object())
    import IPython.display

    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    lab.show(lab.plot_sweep(sweep_like()))
    (image,) = shown
    assert isinstance(image, IPython.display.Image)
    assert image.data.startswith(PNG_MAGIC)


# --- plot_sweep's wall-time axes --------------------------------------------------


def test_wall_time_axes_content():
    ax = lab.plot_sweep(sweep_like()).get_axes()[0]
    assert ax.get_xlabel() == "workers"
    assert "(s)" in ax.get_ylabel()
    assert ax.get_title()
    lines = lines_by_label(ax)
    assert lines["threads"] == ([1, 2, 4], [2.0, 2.0, 2.0])
    assert lines["processes"] == ([1, 2, 4], [2.0, 1.0, 1.0])
    # sequential is a horizontal reference line at its wall time
    (seq,) = [k for k in lines if k.startswith("sequential")]
    assert set(lines[seq][1]) == {2.0}
    assert "2.00 s" in seq
    assert set(legend_texts(ax)) == {seq, "threads", "processes"}
    assert list(ax.get_xticks()) == [1, 2, 4]
    assert_readable(ax)


def test_wall_time_axes_use_the_median_of_repeats():
    results = [*sweep_like(), result("threads", 2, 4.0), result("threads", 2, 3.0)]
    ax = lab.plot_sweep(results).get_axes()[0]
    assert lines_by_label(ax)["threads"][1] == [2.0, 3.0, 2.0]


# --- plot_speedup ----------------------------------------------------------------


def test_plot_speedup_lines_and_ideal():
    fig = lab.plot_speedup(sweep_like(), cores=2)
    (ax,) = fig.get_axes()
    assert ax.get_xlabel() == "workers"
    assert "speedup" in ax.get_ylabel()
    lines = lines_by_label(ax)
    assert lines["threads"] == ([1, 2, 4], [1.0, 1.0, 1.0])
    assert lines["processes"] == ([1, 2, 4], [1.0, 2.0, 2.0])
    ideal = lines["ideal: min(workers, 2 cores)"]
    assert ideal == ([1, 2, 3, 4], [1, 2, 2, 2])
    assert set(lines["sequential (1×)"][1]) == {1.0}
    assert set(legend_texts(ax)) == set(lines)
    assert_readable(ax)


def test_plot_speedup_ideal_for_waiting_is_the_workers():
    ax = lab.plot_speedup(sweep_like(), cores=2, ideal="workers").get_axes()[0]
    lines = lines_by_label(ax)
    assert lines["ideal for waiting: workers"] == ([1, 2, 3, 4], [1, 2, 3, 4])
    assert not any("cores" in k for k in lines)
    with pytest.raises(ValueError, match="ideal must be one of 'cores', 'workers'"):
        lab.plot_speedup(sweep_like(), ideal="threads")
    with pytest.raises(ValueError, match="ideal"):
        lab.plot_sweep(sweep_like(), ideal="threads")


def test_plot_speedup_cores_default_to_usable_cores(monkeypatch):
    monkeypatch.setattr(speedup, "usable_cores", lambda: 3)
    ax = lab.plot_speedup(sweep_like()).get_axes()[0]
    ideal = lines_by_label(ax)["ideal: min(workers, 3 cores)"]
    assert ideal[1] == [1, 2, 3, 3]
    assert not any(k.startswith("Amdahl") for k in lines_by_label(ax))


def test_plot_speedup_keeps_measured_points_visible():
    fast = [result("sequential", 1, 4.0), result("processes", 2, 0.5)]
    ax = lab.plot_speedup(fast, cores=2).get_axes()[0]
    assert ax.get_ylim()[1] > 8.0


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"cores": 0}, ValueError, "cores"),
        ({"cores": 2.0}, TypeError, "cores"),
        ({"ideal": "threads"}, ValueError, "ideal"),
    ],
)
def test_plot_speedup_validates(kwargs, error, words):
    with pytest.raises(error, match=words):
        lab.plot_speedup(sweep_like(), **kwargs)


def test_plot_speedup_needs_a_sequential_baseline():
    no_baseline = [r for r in sweep_like() if r.mode != "sequential"]
    with pytest.raises(ValueError, match="sequential"):
        lab.plot_speedup(no_baseline)


@pytest.mark.parametrize(
    ("results", "error", "words"),
    [
        ([], ValueError, "empty"),
        ("threads", TypeError, "results"),
        ([object()], TypeError, r"\.wall"),
        ([result("threads", 0, 1.0)], ValueError, "workers"),
        ([result("threads", 1, -1.0)], ValueError, "wall"),
    ],
)
def test_results_are_validated(results, error, words):
    for plot in (lab.plot_speedup, lab.plot_sweep):
        with pytest.raises(error, match=words):
            plot(results)


def test_plot_sweep_has_both_axes():
    fig = lab.plot_sweep(sweep_like(), cores=2, title="primes")
    left, right = fig.get_axes()
    assert "(s)" in left.get_ylabel()
    assert "speedup" in right.get_ylabel()
    assert "ideal: min(workers, 2 cores)" in lines_by_label(right)
    assert suptitle(fig) == "primes"
    assert lab.figure_png(fig).startswith(PNG_MAGIC)


# --- plot_bars -------------------------------------------------------------------


def test_plot_bars_content():
    fig = lab.plot_bars(
        ["fork", "spawn"],
        [2.0, 50.0],
        errors=[0.5, 5.0],
        ylabel="start + join (ms)",
        title="Start methods",
    )
    (ax,) = fig.get_axes()
    fig.canvas.draw()  # matplotlib < 3.6 fills tick labels only when drawing
    heights = [p.get_height() for p in ax.patches]
    assert heights == [2.0, 50.0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["fork", "spawn"]
    assert ax.get_ylabel() == "start + join (ms)"
    assert ax.get_title() == "Start methods"
    assert {t.get_text() for t in ax.texts} == {"2", "50"}
    assert len(ax.containers) >= 2  # the bars and the error bars
    assert ax.yaxis.label.get_fontsize() >= 12


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "words"),
    [
        (([], []), {}, ValueError, "labels"),
        ((["a", "b"], [1.0]), {}, ValueError, "values"),
        ((["a"], ["x"]), {}, TypeError, r"values\[0\]"),
        ((["a"], [1.0]), {"errors": [-1.0]}, ValueError, r"errors\[0\]"),
        ((["a"], [1.0]), {"errors": [1.0, 2.0]}, ValueError, "errors"),
        (("ab", [1.0, 2.0]), {}, TypeError, "labels"),
    ],
)
def test_plot_bars_validates(args, kwargs, error, words):
    with pytest.raises(error, match=words):
        lab.plot_bars(*args, **kwargs)


def test_no_pyplot_anywhere():
    """Plotting through conclab never imports pyplot (no global figure state)."""
    import subprocess

    code = (
        "import sys, types, conclab as lab\n"
        "R = types.SimpleNamespace\n"
        "rs = [R(mode='sequential', workers=1, wall=1.0),"
        " R(mode='threads', workers=2, wall=0.6)]\n"
        "lab.figure_png(lab.plot_sweep(rs, cores=2))\n"
        "lab.figure_png(lab.plot_bars(['a'], [1.0]))\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
