"""Stamp what derives from the repository URL: badges, setup cells, navigation.

    python tools/stamp.py           # rewrite what is out of date
    python tools/stamp.py --check   # exit 1 and list what is out of date

The repository URL is declared once, in pyproject.toml ``[project.urls]``.
From it this script writes, and re-writes on every run:

- in every notebook: a first markdown cell with the "Open in Colab" badge,
  the first code cell (the setup cell: installs the library in Colab only),
  and a last markdown cell with links to the previous and next notebooks;
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
    binder = (
        f"https://mybinder.org/v2/gh/{repo.removeprefix('https://github.com/')}/main"
    )
    rows.append("")
    rows.append(
        f"Or all of them in [Binder]({binder}?urlpath=lab/tree/notebooks) "
        "(built from environment.yml)."
    )
    return "\n".join(rows)


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
