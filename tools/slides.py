"""Build a reveal.js slide deck of every notebook, for class (``make slides``).

    python tools/slides.py                               # every notebook
    python tools/slides.py notebooks/05_race_conditions.ipynb

Each deck is ``jupyter nbconvert --to slides`` of the stored notebook (its
outputs as stored, nothing is run) with the template in site/slides/, which
loads reveal.js from build/slides/reveal.js/: a copy of the npm package in
site/node_modules (``npm ci`` in site/, pinned by site/package-lock.json).
No file is fetched from a CDN, so a deck opens offline, from the disk too.

What becomes a slide is each cell's ``slideshow`` metadata, written by
tools/stamp.py: headings start slides, demos are sub-slides (press ↓),
collapsed solutions are skipped. In JupyterLab, jupyterlab-rise presents the
same notebook live from the same metadata.
"""

from __future__ import annotations

import argparse
import html
import importlib.util
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
REVEAL = ROOT / "site" / "node_modules" / "reveal.js"
TEMPLATES = ROOT / "site" / "slides"
OUT = ROOT / "build" / "slides"
STAGE = ROOT / "build" / "slides-src"
NOTEBOOK_LINK = re.compile(r"\]\((\d\d_[\w-]+)\.ipynb(#[^)\s]*)?\)")
REVEAL_PARTS = ("dist", "plugin/notes", "LICENSE")  # what a deck loads
# <script src=…>, <link href=…> and CSS url(…) that leave the machine
REMOTE = re.compile(
    r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//"
    r"|@import\s+url\(\s*[\"']?(?:https?:)?//"
    r"|\bimport\s[^;]*?from\s+[\"'](?:https?:)?//",
    re.I,
)


def load_stamp():
    """tools/stamp.py, loaded by path (tools/ is not a package)."""
    spec = importlib.util.spec_from_file_location("stamp", ROOT / "tools" / "stamp.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


stamp = load_stamp()


def notebooks(args: list[str]) -> list[Path]:
    if args:
        paths = [Path(a).resolve() for a in args]
    else:
        paths = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise SystemExit(f"slides: no such notebook: {', '.join(missing)}")
    return paths


def copy_reveal(dest: Path) -> Path:
    """reveal.js's files a deck loads, copied next to the decks."""
    if not (REVEAL / "dist" / "reveal.js").exists():
        raise SystemExit(
            f"slides: {REVEAL.relative_to(ROOT)} is missing: run `make slides` "
            "(it runs `npm ci` in site/ first)"
        )
    target = dest / "reveal.js"
    if target.exists():
        shutil.rmtree(target)
    for part in REVEAL_PARTS:
        source = REVEAL / part
        if source.is_dir():
            shutil.copytree(
                source, target / part, ignore=shutil.ignore_patterns("*.map")
            )
        else:
            (target / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / part)
    return target


def stage(paths: list[Path], dest: Path = STAGE) -> list[Path]:
    """Copies of the notebooks whose Colab badge images are plain links.

    The badge is an image on the internet: in a deck shown offline it would
    be a broken image. Links to another notebook go to its deck. Nothing else
    changes; the outputs are the stored ones.
    """
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    image = f"![Open In Colab]({stamp.COLAB_BADGE})"
    staged = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                text = cell.source.replace(image, "Open in Colab")
                cell.source = NOTEBOOK_LINK.sub(r"](\1.slides.html\2)", text)
        nbformat.write(nb, dest / path.name)
        staged.append(dest / path.name)
    return staged


def nbconvert_command(paths: list[Path], out: Path) -> list[str]:
    """The ``jupyter nbconvert --to slides`` call, offline."""
    return [
        sys.executable, "-m", "jupyter", "nbconvert", "--to", "slides",
        "--template", "conclab",
        f"--TemplateExporter.extra_template_basedirs={TEMPLATES}",
        "--SlidesExporter.reveal_url_prefix=reveal.js",
        "--SlidesExporter.reveal_theme=white",
        "--TemplateExporter.exclude_input_prompt=True",
        "--TemplateExporter.exclude_output_prompt=True",
        f"--output-dir={out}",
        *map(str, paths),
    ]  # fmt: skip


def remote_references(text: str) -> list[str]:
    """Every script, style sheet or image in ``text`` that would be fetched."""
    return [text[m.start() : m.start() + 120] for m in REMOTE.finditer(text)]


def index_html(decks: list[Path]) -> str:
    items = "\n".join(
        f'<li><a href="{html.escape(d.name)}">{html.escape(d.name.split(".")[0])}</a>'
        "</li>"
        for d in decks
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>Concurrency Lab slides</title></head><body>"
        "<h1>Concurrency Lab slides</h1><p>→ next slide, ↓ the demo under it, "
        "<kbd>s</kbd> speaker notes, <kbd>Esc</kbd> overview.</p>"
        f"<ol>\n{items}\n</ol></body></html>\n"
    )


def build_decks(paths: list[Path], out: Path, stage_dir: Path = STAGE) -> list[str]:
    """Write a deck per notebook and an index to ``out``; return what is wrong."""
    out.mkdir(parents=True, exist_ok=True)
    copy_reveal(out)
    command = nbconvert_command(stage(paths, stage_dir), out)
    subprocess.run(command, check=True, cwd=ROOT, stdin=subprocess.DEVNULL)
    problems = []
    for path in paths:
        deck = out / f"{path.stem}.slides.html"
        if not deck.exists():
            problems.append(f"{deck} was not written")
            continue
        for found in remote_references(deck.read_text(encoding="utf-8")):
            problems.append(f"{deck.name} loads a remote file: {found!r}")
    decks = sorted(out.glob("*.slides.html"))
    (out / "index.html").write_text(index_html(decks), encoding="utf-8")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="default: every notebook")
    parser.add_argument("--out", type=Path, default=OUT, help="where the decks go")
    args = parser.parse_args()
    start = time.monotonic()
    paths = notebooks(args.notebooks)
    problems = build_decks(paths, args.out)
    if problems:
        print("slides: FAILED", *problems, sep="\n  - ", file=sys.stderr)
        return 1
    shown = args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out
    print(
        f"slides: {len(paths)} deck(s) in {shown}/ in {time.monotonic() - start:.0f} s;"
        f" open {shown}/index.html (offline: reveal.js is in {shown}/reveal.js/)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
