"""A slide deck (`make slides`) in Chromium, offline: it opens, every slide is
reached by pressing the keys a presenter presses, nothing is logged as an
error or fetched from the network, and the solutions are not in it.

Screenshots: test-artifacts/browser/slides/*.png.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import nbformat
import pytest
from browser_harness import ARTIFACTS as BROWSER_ARTIFACTS
from browser_harness import PAGE_TIMEOUT, when_unavailable
from static_site import load_tool, serve, watch

ARTIFACTS = BROWSER_ARTIFACTS / "slides"  # the Jupyter server fixture clears *.png
slides = load_tool("slides")
stamp = slides.stamp
DECK = "05_race_conditions"  # sections, demos, plots, two exercises


def _unavailable(reason: str) -> None:
    action, message = when_unavailable(reason)
    if action == "fail":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def deck(tmp_path_factory) -> Iterator[dict]:
    if not (slides.REVEAL / "dist" / "reveal.js").exists():
        if shutil.which("npm") is None:
            _unavailable("npm is not installed: no reveal.js for the decks")
        website = load_tool("website")
        try:
            website.install_node_modules()
        except Exception as error:
            _unavailable(str(error))
    work = tmp_path_factory.mktemp("slides")
    path = slides.ROOT / "notebooks" / f"{DECK}.ipynb"
    problems = slides.build_decks([path], work / "out", work / "src")
    assert not problems, problems
    nb = nbformat.read(path, as_version=4)
    with serve(work / "out") as url:
        yield {"url": f"{url}/{DECK}.slides.html", "nb": nb, "out": work / "out"}


def expected_slides(nb: nbformat.NotebookNode) -> int:
    kinds = [c.metadata["slideshow"]["slide_type"] for c in nb.cells]
    shown = [k for k in kinds if k != "skip"]
    return sum(k in ("slide", "subslide") for k in shown) + (shown[0] == "-")


def test_deck_has_no_solutions_and_nothing_remote(deck):
    text = (deck["out"] / f"{DECK}.slides.html").read_text()
    solutions = [
        c.source for c in deck["nb"].cells
        if c.cell_type == "markdown" and stamp.SOLUTION.match(c.source)
    ]  # fmt: skip
    assert solutions
    for source in solutions:
        assert "<summary>Solution" not in text
        last_line = [ln for ln in source.splitlines() if ln.strip()][-2]
        assert last_line.strip() not in text, (
            f"a solution is in the deck: {last_line!r}"
        )
    assert not slides.remote_references(text)


def test_step_through_the_deck(browser: Any, deck):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(PAGE_TIMEOUT * 1000)
    tab = context.new_page()
    seen = watch(context, tab)
    try:
        tab.goto(deck["url"], wait_until="networkidle")
        tab.wait_for_function("window.Reveal && Reveal.isReady()")
        total = tab.evaluate("Reveal.getTotalSlides()")
        assert total == expected_slides(deck["nb"])
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / f"slides-{DECK}-title.png"))
        visited = [tab.evaluate("JSON.stringify(Reveal.getIndices())")]
        shot = False
        for _ in range(total - 1):
            tab.keyboard.press("Space")  # a presenter's "next": right, or down
            tab.wait_for_function(
                "prev => JSON.stringify(Reveal.getIndices()) !== prev", arg=visited[-1]
            )
            visited.append(tab.evaluate("JSON.stringify(Reveal.getIndices())"))
            text = tab.evaluate("Reveal.getCurrentSlide().innerText.trim()")
            assert text, f"slide {visited[-1]} is empty"
            if not shot and tab.evaluate(
                "!!Reveal.getCurrentSlide().querySelector('img')"
            ):
                tab.wait_for_timeout(600)  # the transition
                tab.screenshot(path=str(ARTIFACTS / f"slides-{DECK}-plot.png"))
                images = tab.evaluate(
                    "[...Reveal.getCurrentSlide().querySelectorAll('img')]"
                    ".map(i => i.naturalWidth)"
                )
                assert all(w > 100 for w in images), images
                shot = True
        assert len(set(visited)) == total, "every slide was shown once"
        assert tab.evaluate("Reveal.isLastSlide()")
        assert shot, "no slide with a plot"
        assert not seen.problems(), seen.problems()
    finally:
        context.close()


def test_rise_presents_the_same_slides_in_jupyterlab(page: Any, server: Any):
    """jupyterlab-rise (the `lab` extra) reads the same slide metadata.

    Its console is not checked: in jupyterlab-rise 0.43 the widget manager
    fails to load in the slideshow (jupyterlab-contrib/rise#119), so live
    panels run in the notebook view; stored plots show in the slides.
    """
    name = f"{DECK}.ipynb"
    if not (server.notebook_dir / name).exists():
        pytest.skip(f"{name} is not among the notebooks with panels")
    nb = nbformat.read(server.notebook_dir / name, as_version=4)
    kinds = [c.metadata["slideshow"]["slide_type"] for c in nb.cells]
    page.goto(server.url(f"rise/{name}"))
    page.wait_for_selector(".reveal .slides > section", timeout=PAGE_TIMEOUT * 2000)
    page.wait_for_function(
        "n => document.querySelectorAll('.reveal .slides > section > section').length"
        " >= n",
        arg=expected_slides(nb),
        timeout=PAGE_TIMEOUT * 1000,
    )
    horizontal = page.eval_on_selector_all(".reveal .slides > section", "s => s.length")
    vertical = page.eval_on_selector_all(
        ".reveal .slides > section > section", "s => s.length"
    )
    assert horizontal == kinds.count("slide")
    assert vertical == expected_slides(nb)
    # RISE keeps skipped cells in the page, marked reveal-skip and not displayed
    shown = page.evaluate(
        "[...document.querySelectorAll('summary')]"
        ".filter(s => s.textContent.includes('Solution'))"
        ".map(s => s.closest('.jp-Cell'))"
        ".map(c => c.classList.contains('reveal-skip')"
        " && getComputedStyle(c).display === 'none')"
    )
    assert shown and all(shown), f"solutions skipped: {shown}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"rise-{DECK}.png"))
