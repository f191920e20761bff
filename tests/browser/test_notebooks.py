"""Every course notebook with an interactive panel, driven in a real browser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser_harness import (
    FIXTURE,
    FIXTURE_PANEL_CELLS,
    JupyterServer,
    check_notebook,
    notebooks_with_panels,
)

PANEL_NOTEBOOKS = notebooks_with_panels()
NAMES = [path.name for path in PANEL_NOTEBOOKS]


@pytest.mark.parametrize("name", NAMES)
def test_panels_in_jupyterlab(lab_page: Any, server: JupyterServer, name: str) -> None:
    reports = check_notebook(lab_page, server, name, "lab")
    for report in reports:
        print(
            f"{name} cell {report.cell}: {report.control}, plot "
            f"{report.before} -> {report.after} in {report.seconds:.1f} s, "
            f"screenshot {Path(report.screenshot).name}"
        )


@pytest.mark.parametrize("name", NAMES[:1] or [FIXTURE.name])
def test_panel_in_notebook7(page: Any, server: JupyterServer, name: str) -> None:
    """The classic interface users still have: /tree, then /notebooks/<name>.

    One course notebook (the first with a panel); the fixture while none has one.
    """
    expected = FIXTURE_PANEL_CELLS if name == FIXTURE.name else None
    reports = check_notebook(page, server, name, "notebook", expected_cells=expected)
    assert reports
    assert all(r.screenshot.name.startswith(Path(name).stem + "-nb7-") for r in reports)
