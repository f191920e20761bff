"""The harness on a fixture notebook with two small ipywidgets panels.

Proves the checks work before (and besides) the course's own panels, and that
they FAIL when a panel's callback raises or stops redrawing, or a cell shows an
error. (The fixture also has a cell tagged raises-exception: Run All must go on.)
"""

from __future__ import annotations

from typing import Any

import pytest
from browser_harness import (
    FIXTURE,
    FIXTURE_PANEL_CELLS,
    JupyterServer,
    PanelError,
    check_notebook,
)

FIXTURE_NAME = FIXTURE.name
# Notebook 7: test_notebooks.py checks a course notebook there, or this fixture
# while no course notebook has a panel.
BROKEN_REDRAW_TIMEOUT = 3  # the fixture redraws in well under a second


def test_fixture_panels_in_jupyterlab(lab_page: Any, server: JupyterServer) -> None:
    reports = check_notebook(
        lab_page, server, FIXTURE_NAME, "lab", expected_cells=FIXTURE_PANEL_CELLS
    )
    assert [r.cell for r in reports] == FIXTURE_PANEL_CELLS
    assert "Run pressed" in reports[0].control
    assert "Run pressed" not in reports[1].control
    for report in reports:
        assert report.before != report.after
        assert report.screenshot.stat().st_size > 1000


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("raise", "RuntimeError: the panel's callback failed"),
        ("stale", "did not redraw its plot"),
    ],
)
def test_broken_panel_is_caught(
    lab_page: Any, server: JupyterServer, mode: str, message: str
) -> None:
    with pytest.raises(PanelError) as caught:
        check_notebook(
            lab_page,
            server,
            f"panel_fixture_{mode}.ipynb",
            "lab",
            redraw_timeout=BROKEN_REDRAW_TIMEOUT,
            expected_cells=FIXTURE_PANEL_CELLS,
        )
    print(f"caught as expected:\n{caught.value}")
    assert "did not redraw its plot" in str(caught.value)
    assert message in str(caught.value)


def test_cell_error_is_caught(lab_page: Any, server: JupyterServer) -> None:
    with pytest.raises(PanelError) as caught:
        check_notebook(
            lab_page,
            server,
            "panel_fixture_error.ipynb",
            "lab",
            expected_cells=FIXTURE_PANEL_CELLS,
        )
    print(f"caught as expected:\n{caught.value}")
    assert "cell 2 shows an error" in str(caught.value)
    assert "ValueError: expected" in str(caught.value)
