"""Slide metadata: tools/stamp.py splits markdown cells and writes slide types.

Every stored notebook must carry it (a new notebook gets it from `make stamp`;
test_hygiene's stamp check fails until then), and the rules must hold for a
notebook the stamp has never seen.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


stamp = _load("stamp", ROOT / "tools" / "stamp.py")

SOLUTION = """<details><summary>Solution</summary>

```python
# a comment that looks like a heading
## and another one
x = 1
```

</details>"""


def md(source: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(source)


def code(source: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(source)


def types(nb: nbformat.NotebookNode) -> list[str]:
    return [c.metadata["slideshow"]["slide_type"] for c in nb.cells]


def unseen_notebook() -> nbformat.NotebookNode:
    """A notebook written the way the course's are, never stamped before."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        md("# 42 — Something new\n\nWhat you will learn: a lot."),
        code("import conclab as lab"),
        md("Some words.\n\n## 1. A section\n\nIts text.\n\n### A subsection\n\nMore."),
        code("print(1)"),
        md("Output explained.\n\n## Exercises\n\n### Exercise 1\n\nDo it."),
        code("answer = None"),
        md(f"{SOLUTION}\n\n### Exercise 2\n\nAgain.\n\n{SOLUTION}\n\n## Key points"),
    ]
    return nb


def stamped(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    repo = "https://github.com/example/course"
    stamp.stamp_notebook(nb, repo, "42_new.ipynb", ("41_old.ipynb", "41"), None)
    stamp.stamp_slides(nb)
    return nb


def test_split_keeps_every_line_and_cuts_at_headings_and_solutions():
    text = f"Intro.\n\n## Two\n\nBody.\n\n{SOLUTION}\n\nAfter.\n### Three\nEnd."
    pieces = stamp.split_markdown(text)
    assert pieces == [
        "Intro.",
        "## Two\n\nBody.",
        SOLUTION,
        "After.",
        "### Three\nEnd.",
    ]
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert [ln for p in pieces for ln in p.splitlines() if ln.strip()] == lines


def test_split_ignores_headings_inside_code_fences_and_solutions():
    text = "```python\n# not a heading\n## nor this\n```\n\n#### deep heading stays"
    assert stamp.split_markdown(text) == [text]
    assert stamp.split_markdown(SOLUTION) == [SOLUTION]


def test_unseen_notebook_gets_the_slide_rules():
    nb = stamped(unseen_notebook())
    firsts = [c.source.splitlines()[0][:22] for c in nb.cells]
    got = list(zip(firsts, types(nb), strict=True))
    assert got == [
        ("<!-- conclab:badge -->", "skip"),
        ("# 42 — Something new", "slide"),
        ("# conclab:setup (stamp", "skip"),
        ("import conclab as lab", "subslide"),
        ("Some words.", "-"),
        ("## 1. A section", "slide"),
        ("### A subsection", "subslide"),
        ("print(1)", "subslide"),
        ("Output explained.", "-"),
        ("## Exercises", "slide"),
        ("### Exercise 1", "subslide"),
        ("answer = None", "subslide"),
        ("<details><summary>Solu", "skip"),
        ("### Exercise 2", "subslide"),
        ("<details><summary>Solu", "skip"),
        ("## Key points", "slide"),
        ("<!-- conclab:nav -->", "skip"),
    ]
    assert nb.metadata["rise"]["scroll"] is True


def test_stamping_twice_changes_nothing_and_ids_are_stable():
    nb = stamped(unseen_notebook())
    once = nbformat.writes(nb)
    stamped(nb)
    assert nbformat.writes(nb) == once
    other = stamped(unseen_notebook())
    ids = [c.id for c in nb.cells if c.id.rsplit("-", 1)[-1].startswith("s")]
    assert ids, "split cells get ids derived from the cell they came from"
    assert len({c.id for c in nb.cells}) == len(nb.cells)
    nbformat.validate(nb)
    assert len(other.cells) == len(nb.cells)


def test_other_collapsed_blocks_are_split_but_shown():
    nb = nbformat.v4.new_notebook()
    nb.cells = [md("## Try\n\n<details><summary>Hint</summary>\n\nLook.\n\n</details>")]
    stamp.stamp_slides(nb)
    assert types(nb) == ["slide", "-"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_stored_notebook_has_slide_metadata(path: Path):
    nb = nbformat.read(path, as_version=4)
    kinds = types(nb)
    assert kinds[0] == "skip" and kinds[-1] == "skip", "badge and navigation"
    assert kinds.count("slide") >= 2, "the title and at least one section"
    for cell, kind in zip(nb.cells, kinds, strict=True):
        if cell.cell_type == "markdown" and stamp.SOLUTION.match(cell.source):
            assert kind == "skip", f"a solution is shown: {cell.source[:60]!r}"
        if cell.cell_type == "markdown" and kind != "skip":
            assert "<summary>Solution" not in cell.source, (
                "a solution shares a cell with slide content: run `make stamp`"
            )
