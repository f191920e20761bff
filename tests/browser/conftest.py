"""Fixtures for the browser tests: Chromium, one Jupyter server, one page per test.

Run them with ``python -m pytest tests/browser`` (after tools/install_chromium.sh).
Screenshots and the server's log go to test-artifacts/browser/.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from browser_harness import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    FIXTURE,
    PAGE_TIMEOUT,
    JupyterServer,
    close_lab_notebook,
    find_chromium,
    jupyter_server,
    notebooks_with_panels,
    when_unavailable,
)

# Copies of the fixture notebook that are broken on purpose.
BROKEN_VARIANTS = {
    "raise": "every panel callback raises",
    "stale": "panel callbacks stop redrawing",
    "error": "a cell raises without the raises-exception tag",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


def _unavailable(reason: str) -> None:
    """Skip, or fail under CI=true: CI must run the browser tests."""
    action, message = when_unavailable(reason)
    if action == "fail":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium() -> Path:
    path, reason = find_chromium()
    if path is None:
        _unavailable(reason)
    return path


@pytest.fixture(scope="session")
def browser(chromium: Path) -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        _unavailable(f"playwright is not installed ({error}): pip install -e '.[dev]'")
    # Chromium's own files (crash reports, caches) go to a temporary home too.
    home = Path(tempfile.mkdtemp(prefix="conclab-chromium-"))
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
    }
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium),
            headless=True,
            args=CHROMIUM_ARGS,
            env=env,
            timeout=PAGE_TIMEOUT * 1000,
        )
        try:
            yield browser
        finally:
            browser.close()
            shutil.rmtree(home, ignore_errors=True)


def _broken_copies(folder: Path) -> list[Path]:
    source = nbformat.read(FIXTURE, as_version=4)
    paths = []
    for mode in BROKEN_VARIANTS:
        notebook = nbformat.from_dict(source)
        for cell in notebook.cells:
            if mode == "error":
                cell.metadata.pop("tags", None)
            else:
                cell.source = cell.source.replace('MODE = "ok"', f'MODE = "{mode}"')
        path = folder / f"panel_fixture_{mode}.ipynb"
        nbformat.write(notebook, path)
        paths.append(path)
    return paths


@pytest.fixture(scope="session")
def server(chromium: Path) -> Iterator[JupyterServer]:
    """One JupyterLab for the session, serving copies of the notebooks."""
    # No stale screenshot from an earlier run; a shard running beside this one
    # (noxfile.py) made the newer ones.
    since = float(os.environ.get("CONCLAB_ARTIFACTS_SINCE") or time.time())
    for old in ARTIFACTS.glob("*.png"):
        if old.stat().st_mtime < since:
            old.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="conclab-fixtures-") as folder:
        notebooks = [*notebooks_with_panels(), FIXTURE, *_broken_copies(Path(folder))]
        with jupyter_server(notebooks) as running:
            yield running


@pytest.fixture(scope="session")
def context(browser: Any) -> Iterator[Any]:
    """One browser context: JupyterLab's files load from its cache after the first."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(context: Any, server: JupyterServer) -> Iterator[Any]:
    """A fresh page; the kernels it started are shut down afterwards."""
    page = context.new_page()
    try:
        yield page
    finally:
        page.close()
        server.shutdown_kernels()


@pytest.fixture(scope="session")
def _lab_pages() -> dict[str, Any]:
    return {}


@pytest.fixture
def lab_page(
    context: Any, server: JupyterServer, _lab_pages: dict[str, Any]
) -> Iterator[Any]:
    """A page with JupyterLab, reused between tests (loading Lab takes seconds).

    After each test its notebook is closed and shut down from the File menu; if
    that fails, or a dialog or the log console is left open, the page is
    dropped and the next test loads JupyterLab afresh.
    """
    page = _lab_pages.pop("page", None)
    if page is None:
        page = context.new_page()
    try:
        yield page
    finally:
        if close_lab_notebook(page):
            _lab_pages["page"] = page
        else:
            page.close()
        server.shutdown_kernels()
