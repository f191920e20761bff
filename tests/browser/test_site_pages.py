"""The website in Chromium: every page loads, its plots render, nothing is
logged as an error, nothing is fetched from the network, the launch links are
tools/stamp.py's, solutions are collapsed, and navigation and search work.

Screenshots: test-artifacts/browser/site/*.png.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from browser_harness import ARTIFACTS as BROWSER_ARTIFACTS
from browser_harness import PAGE_TIMEOUT, when_unavailable
from static_site import load_tool, serve, watch

ARTIFACTS = BROWSER_ARTIFACTS / "site"  # the Jupyter server fixture clears *.png
website = load_tool("website")
stamp = website.stamp
NOTEBOOKS = stamp.notebook_paths()


def _unavailable(reason: str) -> None:
    action, message = when_unavailable(reason)
    if action == "fail":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[dict]:
    """The site, built strict into a temporary folder and served on 127.0.0.1."""
    if shutil.which("node") is None:
        _unavailable("node is not installed: the site cannot be built")
    try:
        website.install_node_modules()
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
        _unavailable(str(error))
    work = tmp_path_factory.mktemp("site")
    names = website.stage(work / "src")
    errors, _ = website.build_staged(work / "src", names, work / "html", strict=True)
    assert not errors, errors
    slugs = website.expected_pages(work / "src")
    paths = {}
    for slug in slugs:
        data = json.loads(
            (work / "src/_build/site/content" / f"{slug}.json").read_text()
        )
        paths[data["location"].lstrip("/")] = "/" if slug == slugs[0] else f"/{slug}/"
    with serve(work / "html") as url:
        yield {"url": url, "paths": paths, "html": work / "html"}


@pytest.fixture
def page(browser: Any) -> Iterator[tuple[Any, Any]]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(PAGE_TIMEOUT * 1000)
    tab = context.new_page()
    seen = watch(context, tab)
    try:
        yield tab, seen
    finally:
        context.close()


def stored_plots(path: Path) -> int:
    nb = nbformat.read(path, as_version=4)
    return sum(
        "image/png" in out.get("data", {})
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
    )


def test_every_page_in_chromium(site, page):
    tab, seen = page
    repo = stamp.repository_url()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for path in NOTEBOOKS:
        tab.goto(site["url"] + site["paths"][path.name], wait_until="networkidle")
        title = stamp.title(nbformat.read(path, as_version=4), path.stem)
        assert tab.title().startswith(title), (tab.title(), title)
        images = tab.eval_on_selector_all(
            "img.output", "els => els.map(e => { e.scrollIntoView(); return e.src; })"
        )
        tab.wait_for_function(
            "[...document.images].every(i => i.complete && i.naturalWidth > 0)"
        )
        assert len(images) == stored_plots(path), f"{path.name}: plots on the page"
        widths = tab.eval_on_selector_all(
            "img.output", "els => els.map(e => e.naturalWidth)"
        )
        assert all(w > 100 for w in widths), (
            f"{path.name}: a plot did not render {widths}"
        )
        launch = dict(
            tab.eval_on_selector_all(
                ".conclab-launch a", "els => els.map(a => [a.textContent, a.href])"
            )
        )
        assert launch == {
            "Open in Colab": stamp.colab_url(repo, path.name),
            "Launch Binder": stamp.binder_url(repo, path.name),
        }, path.name
        closed = tab.eval_on_selector_all("details", "els => els.every(d => !d.open)")
        assert closed, f"{path.name}: a solution is open"
        hidden = tab.eval_on_selector_all(
            "details.collapsed",
            "els => els.every(d => [...d.children].every(c => c.tagName === 'SUMMARY'"
            " || !c.checkVisibility()))",
        )
        assert hidden, f"{path.name}: a solution's content is visible"
        current = tab.locator('.toc a[aria-current="page"]').inner_text()
        assert current == title
        assert not seen.problems(), f"{path.name}: {seen.problems()}"
        if path.name.startswith("05_"):
            tab.locator("img.output").first.scroll_into_view_if_needed()
            tab.evaluate("window.scrollBy(0, -200)")
            tab.screenshot(path=str(ARTIFACTS / "site-05_race_conditions-plot.png"))
            tab.evaluate("window.scrollTo(0, 0)")
            tab.screenshot(path=str(ARTIFACTS / "site-05_race_conditions.png"))


def test_navigation_and_solution_toggle(site, page):
    tab, seen = page
    tab.goto(site["url"] + "/", wait_until="networkidle")
    second = NOTEBOOKS[1]
    tab.locator(".pager a.next").click()
    tab.wait_for_load_state("networkidle")
    assert tab.url.rstrip("/").endswith(site["paths"][second.name].rstrip("/"))
    tab.locator(".toc a").last.click()
    tab.wait_for_load_state("networkidle")
    assert tab.url.rstrip("/").endswith(site["paths"][NOTEBOOKS[-1].name].rstrip("/"))
    solution = tab.locator("details.collapsed").first
    solution.locator("summary").click()
    assert solution.evaluate("d => d.open")
    assert solution.locator("pre").first.is_visible()
    assert not seen.problems(), seen.problems()


def test_search_finds_a_page_and_goes_there(site, page):
    tab, seen = page
    tab.goto(site["url"] + site["paths"][NOTEBOOKS[1].name], wait_until="networkidle")
    box = tab.locator("#conclab-search")
    box.fill("forkserver")
    results = tab.locator("#conclab-search-results a")
    results.first.wait_for(state="visible")
    assert results.count() >= 2
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / "site-search.png"))
    target = results.first.get_attribute("href")
    results.first.click()
    tab.wait_for_load_state("networkidle")
    assert tab.url == site["url"] + target, "the result links to its page, no redirect"
    assert "forkserver" in tab.locator("main").inner_text().lower()
    box = tab.locator("#conclab-search")
    box.fill("zzzz-nothing-here")
    tab.locator("#conclab-search-results .none").wait_for(state="visible")
    assert not seen.problems(), seen.problems()
