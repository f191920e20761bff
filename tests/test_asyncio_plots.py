"""Notebook 11's plots: bursts (time and memory) and the blocked loop."""

from __future__ import annotations

import pytest
from matplotlib.figure import Figure

import conclab as lab


def burst(mode: str, requests: int, wall: float, rss: int, ok: bool = True):
    return lab.BurstResult(
        mode,
        requests,
        0.1,
        wall,
        wall / 2,
        1_000_000,
        1_000_000 + rss,
        0,
        0,
        letters={},
        errors=0 if ok else 1,
    )


SWEEP = [
    burst("asyncio", 10, 0.12, 300_000),
    burst("threads", 10, 0.13, 600_000),
    burst("asyncio", 100, 0.2, 1_000_000),
    burst("threads", 100, 0.25, 2_500_000),
    burst("asyncio", 1000, 1.2, 9_000_000),
    burst("threads", 1000, 1.3, 21_000_000),
]


def test_plot_bursts_draws_time_and_memory_per_mode():
    fig = lab.plot_bursts(SWEEP, title="t")
    assert isinstance(fig, Figure)
    left, right = fig.get_axes()
    assert {line.get_label() for line in left.get_lines()} >= {"asyncio", "threads"}
    assert any("latency" in line.get_label() for line in left.get_lines())
    threads = next(line for line in right.get_lines() if line.get_label() == "threads")
    assert list(threads.get_ydata()) == pytest.approx(
        [58.59375, 24.4140625, 20.5078125]
    )
    assert left.get_xscale() == "log"
    assert len(lab.figure_png(fig)) > 1000


def test_plot_bursts_leaves_failed_bursts_out():
    fig = lab.plot_bursts([*SWEEP[:2], burst("threads", 100, 9.0, 1, ok=False)])
    left, _ = fig.get_axes()
    threads = next(line for line in left.get_lines() if line.get_label() == "threads")
    assert list(threads.get_xdata()) == [10]


@pytest.mark.parametrize(
    ("results", "error", "words"),
    [
        ("sweep", TypeError, r"results must be a list of BurstResult \(from lab.burst"),
        ([], ValueError, "results must not be empty"),
        ([object()], TypeError, "results.0. must be a BurstResult; object lacks mode"),
    ],
)
def test_plot_bursts_checks_its_input(results, error, words):
    with pytest.raises(error, match=words):
        lab.plot_bursts(results)


def spans(blocked: float) -> list[lab.Span]:
    out = [lab.Span(f"fetch {i}", 1, "MainThread", 0.0, 0.05 + blocked) for i in (1, 2)]
    return [*out, lab.Span("the fourth task", 1, "MainThread", 0.05, 0.05 + blocked)]


def lag(worst: float) -> lab.LoopLag:
    probe = lab.LoopLag(0.005)
    probe.samples = [(0.01, 0.001), (0.2, worst), (0.21, 0.0)]
    return probe


def test_plot_loop_lag_puts_runs_side_by_side():
    fig = lab.plot_loop_lag(
        {"free": (spans(0.0), lag(0.001)), "blocked": (spans(0.2), lag(0.2))},
        blocked=0.2,
    )
    axes = fig.get_axes()
    assert len(axes) == 4
    titles = [ax.get_title() for ax in axes]
    assert "free" in titles and "blocked" in titles
    assert "worst lag 200 ms" in titles
    assert len(lab.figure_png(fig)) > 1000


@pytest.mark.parametrize(
    "runs",
    [
        {},
        {"x": spans(0.1)},
        {"x": ([], lag(0.1))},
        {"x": (spans(0.1), object())},
        [("x", (spans(0.1), lag(0.1)))],
    ],
)
def test_plot_loop_lag_checks_its_input(runs):
    with pytest.raises(TypeError):
        lab.plot_loop_lag(runs)
