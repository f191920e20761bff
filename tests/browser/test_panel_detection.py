"""Which notebooks have panels: pure functions, no browser needed."""

from __future__ import annotations

from pathlib import Path

import browser_harness
import nbformat
import pytest
from browser_harness import FIXTURE, notebooks_with_panels, panel_calls, panel_cells
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("lab.speedup_panel()", ["speedup_panel"]),
        ("panel = lab.figure_panel(draw, workers=(1, 8))", ["figure_panel"]),
        ("conclab.speedup_panel(workload='hash')", ["speedup_panel"]),
        ("lab . timeline_panel (3)", ["timeline_panel"]),
        (
            "a = lab.speedup_panel()\nb = lab.figure_panel(f)",
            ["speedup_panel", "figure_panel"],
        ),
        (
            "from conclab import speedup_panel\nspeedup_panel(workers=4)",
            ["speedup_panel"],
        ),
        ("from conclab.widgets import figure_panel as fp\nfp(draw)", ["figure_panel"]),
        ("%timeit x\nlab.speedup_panel()", ["speedup_panel"]),
        # Not a panel call:
        ("# lab.speedup_panel()\nx = 1", []),
        ("print('lab.speedup_panel()')", []),
        ("lab.speedup_panel", []),
        ("lab.show(fig)", []),
        ("def my_panel():\n    pass\nmy_panel()", []),
        ("other.speedup_panel()", []),
        ("%time x\n# lab.figure_panel(f)", []),
    ],
)
def test_panel_calls(source: str, expected: list[str]) -> None:
    assert panel_calls(source) == expected


def test_panel_cells_only_counts_code_cells() -> None:
    notebook = new_notebook(
        cells=[
            new_markdown_cell("Run `lab.speedup_panel()` below."),
            new_code_cell("import conclab as lab"),
            new_code_cell("lab.speedup_panel()"),
            new_code_cell("lab.show(fig)"),
            new_code_cell("lab.figure_panel(draw)"),
        ]
    )
    assert panel_cells(notebook) == [2, 4]


def test_notebooks_with_panels(tmp_path: Path) -> None:
    with_panel = new_notebook(cells=[new_code_cell("lab.speedup_panel()")])
    without = new_notebook(cells=[new_code_cell("lab.show(fig)")])
    nbformat.write(with_panel, tmp_path / "02_b.ipynb")
    nbformat.write(without, tmp_path / "01_a.ipynb")
    nbformat.write(with_panel, tmp_path / "00_c.ipynb")
    assert [p.name for p in notebooks_with_panels(tmp_path)] == [
        "00_c.ipynb",
        "02_b.ipynb",
    ]
    assert notebooks_with_panels(tmp_path / "missing") == []


def test_fixture_panels_are_not_library_panels() -> None:
    """The fixture builds its panels itself; its tests name the cells explicitly."""
    assert panel_cells(nbformat.read(FIXTURE, as_version=4)) == []


def test_missing_chromium_skips_or_fails(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Skip only when Chromium cannot be installed; under CI=true, fail."""
    monkeypatch.setattr(browser_harness.os, "geteuid", lambda: 1000)
    path, reason = browser_harness.find_chromium(tmp_path / "no-chromium")
    assert path is None
    assert "cannot be installed" in reason
    monkeypatch.setenv("CI", "true")
    assert browser_harness.when_unavailable(reason)[0] == "fail"
    monkeypatch.setenv("CI", "false")
    assert browser_harness.when_unavailable(reason) == ("skip", reason)
    monkeypatch.delenv("CI")
    assert browser_harness.when_unavailable(reason)[0] == "skip"


def test_present_chromium_is_found(tmp_path: Path) -> None:
    fake = tmp_path / "chromium"
    fake.write_text("")
    assert browser_harness.find_chromium(fake) == (fake, "")
