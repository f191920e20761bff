"""Stamp what derives from the repository URL: badges, setup cells, navigation.

    python tools/stamp.py           # rewrite what is out of date
    python tools/stamp.py --check   # exit 1 and list what is out of date

The repository URL is declared once, in pyproject.toml ``[project.urls]``.
From it this script writes, and re-writes on every run:

- in every notebook: a first markdown cell with the "Open in Colab" badge,
  the first code cell (the setup cell: installs the library in Colab only),
  and a last markdown cell with links to the previous and next notebooks;
- in every notebook, for slides (jupyterlab-rise, ``make slides``): each cell's
  ``slideshow.slide_type`` (``stamp_slides``); a markdown cell is first split
  before each section heading and around each collapsed solution, so that a
  heading can start a slide and a solution can be skipped;
- in README.md: the notebook table between ``<!-- notebooks:start -->`` and
  ``<!-- notebooks:end -->``, and the latest benchmark table (bench/results.md)
  between ``<!-- bench:start -->`` and ``<!-- bench:end -->``.

Each stamped cell carries a marker, so the script finds its own cells again
and never touches anything else. tests/test_hygiene.py fails when a stamp is
out of date.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pip's copy of the same parser (tomli)
    from pip._vendor import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
README = ROOT / "README.md"
BENCH = ROOT / "bench" / "results.md"

BADGE_MARK = "<!-- conclab:badge -->"
NAV_MARK = "<!-- conclab:nav -->"
MAP_MARK = "<!-- conclab:map -->"
SETUP_MARK = "# conclab:setup"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"


def repository_url() -> str:
    """The ``Repository`` entry of ``[project.urls]`` in pyproject.toml."""
    with open(ROOT / "pyproject.toml", "rb") as file:
        project = tomllib.load(file).get("project", {})
    url = project.get("urls", {}).get("Repository")
    if not url:
        raise SystemExit("pyproject.toml has no Repository entry in [project.urls]")
    return url.rstrip("/")


def colab_url(repo: str, name: str) -> str:
    path = repo.removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{path}/blob/main/notebooks/{name}"


def binder_url(repo: str, name: str | None = None) -> str:
    """Binder's JupyterLab on one notebook, or on the notebooks folder."""
    path = repo.removeprefix("https://github.com/")
    target = f"notebooks/{name}" if name else "notebooks"
    return f"https://mybinder.org/v2/gh/{path}/main?urlpath=lab/tree/{target}"


def badge(repo: str, name: str) -> str:
    return f"[![Open In Colab]({COLAB_BADGE})]({colab_url(repo, name)})"


def setup_source(repo: str) -> str:
    return (
        f"{SETUP_MARK} (stamped by tools/stamp.py): in Colab, install the course\n"
        "# library; anywhere else it is already installed, and this does nothing.\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        "    import subprocess\n"
        "\n"
        f'    url = "git+{repo}"\n'
        '    subprocess.run([sys.executable, "-m", "pip", "install", "-q", url], check=True)'  # noqa: E501
    )


def title(nb: nbformat.NotebookNode, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown" and BADGE_MARK not in cell.source:
            found = re.search(r"^#\s+(.+)$", cell.source, re.M)
            if found:
                return found[1].strip()
    return fallback


def notebook_paths() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def has_mark(cell: nbformat.NotebookNode, mark: str) -> bool:
    return mark in cell.source


def stamp_notebook(nb, repo: str, name: str, prev, nxt) -> None:
    """Put the badge, setup and navigation cells in place (idempotent)."""
    cells = [
        c for c in nb.cells if not has_mark(c, BADGE_MARK) and not has_mark(c, NAV_MARK)
    ]
    badge_cell = nbformat.v4.new_markdown_cell(f"{BADGE_MARK}\n{badge(repo, name)}")
    cells.insert(0, badge_cell)
    setup = setup_source(repo)
    code = [i for i, c in enumerate(cells) if c.cell_type == "code"]
    if code and has_mark(cells[code[0]], SETUP_MARK):
        cell = cells[code[0]]
        if cell.source != setup:
            cell.source = setup
    else:
        at = code[0] if code else len(cells)
        # after the title cell, before the first code cell
        cells.insert(at, nbformat.v4.new_code_cell(setup))
    links = []
    if prev is not None:
        links.append(f"← [{prev[1]}]({prev[0]})")
    if name != "00_start_here.ipynb" and (
        prev is None or prev[0] != "00_start_here.ipynb"
    ):
        links.append("[Start here](00_start_here.ipynb)")
    if nxt is not None:
        links.append(f"[{nxt[1]}]({nxt[0]}) →")
    cells.append(
        nbformat.v4.new_markdown_cell(f"{NAV_MARK}\n---\n" + " · ".join(links))
    )
    # keep ids of cells that existed; new cells get fresh ids from nbformat
    old = {c.source: c.get("id") for c in nb.cells if c.cell_type == "markdown"}
    for cell in (cells[0], cells[-1]):
        if old.get(cell.source):
            cell["id"] = old[cell.source]
    nb.cells = cells


def stamp_map(nb, repo: str, entries: list[tuple[str, str]]) -> None:
    """Fill a cell marked MAP_MARK (the start-here notebook) with the table."""
    for cell in nb.cells:
        if cell.cell_type == "markdown" and has_mark(cell, MAP_MARK):
            cell.source = f"{MAP_MARK}\n{readme_table(repo, entries, folder='')}"


def readme_table(
    repo: str, entries: list[tuple[str, str]], folder: str = "notebooks/"
) -> str:
    """The notebook table: number, linked title, Colab badge."""
    rows = ["| # | notebook | open |", "| --- | --- | --- |"]
    for name, head in entries:
        number = name[:2]
        label = re.sub(r"^\d\d\s*[—–-]\s*", "", head)
        rows.append(f"| {number} | [{label}]({folder}{name}) | {badge(repo, name)} |")
    rows.append("")
    rows.append(
        f"Or all of them in [Binder]({binder_url(repo)}) (built from environment.yml)."
    )
    return "\n".join(rows)


# --- Slides (issue 19) ------------------------------------------------------
# RISE and `jupyter nbconvert --to slides` read each cell's
# metadata.slideshow.slide_type. It is derived from the cell, never typed by
# hand, so a new notebook gets it from `make stamp` like its badge:
#   a title or section heading (#, ##)    -> "slide"
#   a subsection heading (###)            -> "subslide"
#   a code cell (a demo, an exercise)     -> "subslide"
#   a collapsed solution                  -> "skip"
#     (<details><summary>Solution…)
#   the stamped badge, setup, navigation  -> "skip"
#   any other markdown                    -> "-" (continues the slide above)
# A slide starts at a cell, so markdown cells are split first (text unchanged)
# before each such heading and around each solution block.

SLIDE_HEADING = re.compile(r"^(#{1,3})\s")
SOLUTION = re.compile(r"\s*<details[^>]*>\s*<summary>\s*(<[^>]+>\s*)*solution", re.I)
FENCE = re.compile(r"^\s*(```|~~~)")
RISE_SETTINGS = {"scroll": True}  # notebook metadata.rise: long demos scroll


def _is_details(line: str) -> bool:
    return line.lstrip().lower().startswith("<details")


def split_markdown(source: str) -> list[str]:
    """``source`` cut before each heading of depth 1-3 and around each
    ``<details>…</details>`` block, outside code fences; blank lines at the cuts
    are dropped, nothing else changes. One piece when there is nothing to cut.
    """
    pieces: list[list[str]] = [[]]
    fence = None  # the fence marker while inside a fenced block
    in_details = False
    for line in source.splitlines():
        found = FENCE.match(line)
        if (
            fence is None
            and not in_details
            and (SLIDE_HEADING.match(line) or _is_details(line))
        ):
            pieces.append([])
            in_details = _is_details(line)
        pieces[-1].append(line)
        if found:
            fence = None if fence == found[1] else (fence or found[1])
        elif in_details and fence is None and "</details>" in line.lower():
            in_details = False
            pieces.append([])
    texts = ["\n".join(lines).strip("\n") for lines in pieces]
    return [text for text in texts if text.strip()] or [source]


def split_for_slides(nb: nbformat.NotebookNode) -> None:
    """Split every unmarked markdown cell with :func:`split_markdown` (idempotent).

    The first piece keeps the cell (its id and metadata); the others get ids
    derived from it, so stamping the same notebook twice gives the same file.
    """
    cells = []
    for cell in nb.cells:
        marked = any(has_mark(cell, m) for m in (BADGE_MARK, NAV_MARK, MAP_MARK))
        pieces = (
            []
            if cell.cell_type != "markdown" or marked
            else split_markdown(cell.source)
        )
        if len(pieces) <= 1:
            cells.append(cell)
            continue
        cell.source = pieces[0]
        cells.append(cell)
        base = cell.get("id") or "cell"
        for k, text in enumerate(pieces[1:], start=1):
            new = nbformat.v4.new_markdown_cell(text)
            new["id"] = f"{base[:56]}-s{k}"
            cells.append(new)
    nb.cells = cells


def slide_type(cell: nbformat.NotebookNode, setup: bool = False) -> str:
    """The RISE / reveal.js slide type of one cell (see the table above)."""
    if setup or any(has_mark(cell, m) for m in (BADGE_MARK, NAV_MARK)):
        return "skip"
    if cell.cell_type == "code":
        return "subslide"
    first = next((ln for ln in cell.source.splitlines() if ln.strip()), "")
    if cell.cell_type != "markdown":
        return "-"
    if SOLUTION.match(first):
        return "skip"
    heading = SLIDE_HEADING.match(first)
    if heading:
        return "slide" if len(heading[1]) <= 2 else "subslide"
    return "-"


def stamp_slides(nb: nbformat.NotebookNode) -> None:
    """Split markdown cells for slides, then write every cell's slide type."""
    split_for_slides(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    setup = code[0] if code and has_mark(code[0], SETUP_MARK) else None
    for cell in nb.cells:
        wanted = {"slide_type": slide_type(cell, setup=cell is setup)}
        if cell.metadata.get("slideshow") != wanted:
            cell.metadata["slideshow"] = wanted
    rise = nb.metadata.get("rise", {})
    if any(rise.get(k) != v for k, v in RISE_SETTINGS.items()):
        nb.metadata["rise"] = {**rise, **RISE_SETTINGS}


def replace_between(text: str, start: str, end: str, body: str) -> str:
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        return text
    return pattern.sub(lambda _: f"{start}\n{body}\n{end}", text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="only report, change nothing"
    )
    args = parser.parse_args()
    repo = repository_url()
    paths = notebook_paths()
    notebooks = {p: nbformat.read(p, as_version=4) for p in paths}
    entries = [(p.name, title(nb, p.stem)) for p, nb in notebooks.items()]
    stale: list[str] = []
    for i, (path, nb) in enumerate(notebooks.items()):
        before = nbformat.writes(nb)
        prev = entries[i - 1] if i > 0 else None
        nxt = entries[i + 1] if i + 1 < len(entries) else None
        stamp_notebook(nb, repo, path.name, prev, nxt)
        stamp_map(nb, repo, entries)
        stamp_slides(nb)
        if nbformat.writes(nb) != before:
            stale.append(str(path.relative_to(ROOT)))
            if not args.check:
                nbformat.write(nb, path)
    if README.exists():
        text = README.read_text(encoding="utf-8")
        new = replace_between(
            text,
            "<!-- notebooks:start -->",
            "<!-- notebooks:end -->",
            readme_table(repo, entries),
        )
        if BENCH.exists():
            new = replace_between(
                new,
                "<!-- bench:start -->",
                "<!-- bench:end -->",
                BENCH.read_text(encoding="utf-8").strip(),
            )
        if new != text:
            stale.append("README.md")
            if not args.check:
                README.write_text(new, encoding="utf-8")
    if args.check:
        for item in stale:
            print(f"out of date: {item} (run: make stamp, then make execute)")
        return 1 if stale else 0
    for item in stale:
        print(f"stamped {item}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
