"""Store a Dask dashboard screenshot in notebook 13, for readers without a kernel.

    python tools/dask_screenshots.py            # re-take it and store it
    python tools/dask_screenshots.py --check    # exit 1 if the notebook lacks it

The dashboard is a live web page served by the scheduler while a cluster runs:
a stored notebook cannot show it, GitHub and nbviewer cannot open
127.0.0.1. This script starts the course's cluster (``lab.local_cluster(2)``,
everything on 127.0.0.1), keeps it busy with the notebook's own map-reduce
(the letters of the corpus, over and over), opens the dashboard's status page
in headless Chromium (Debian's /usr/bin/chromium, driven by playwright, no
network), and stores the PNG as an attachment of the markdown cell that holds
the marker ``<!-- conclab:dask-dashboard -->``. Attachments travel with the
notebook: JupyterLab, Colab, VS Code, GitHub and nbviewer show them.
Re-run it by hand when the dashboard or the notebook changes; nothing in the
test command needs Chromium for it.
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "13_dask.ipynb"
MARK = "<!-- conclab:dask-dashboard -->"
NAME = "dask-dashboard.png"
ALT = "The Dask dashboard's status page while 2 workers count the corpus's letters"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 820}


def marked_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    cells = [c for c in nb.cells if c.cell_type == "markdown" and MARK in c.source]
    if len(cells) != 1:
        raise SystemExit(f"{NOTEBOOK.name}: expected one cell with {MARK}")
    return cells[0]


def screenshot(seconds_busy: float = 4.0) -> bytes:
    """The dashboard's status page, while the cluster counts letters."""
    from dask.distributed import Client
    from playwright.sync_api import sync_playwright

    import conclab as lab

    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing: bash tools/install_chromium.sh")
    home = Path(tempfile.mkdtemp(prefix="conclab-chromium-"))
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".cfg")}
    stop = threading.Event()
    try:
        with (
            lab.local_cluster(2) as cluster,
            Client(cluster.scheduler_address) as client,
        ):
            link = cluster.dashboard_link
            if not link:
                raise SystemExit("no dashboard: install bokeh")

            def keep_busy() -> None:
                while not stop.is_set():
                    tables = client.map(
                        lab.document_letters, lab.DOCUMENT_NUMBERS, pure=False
                    )
                    client.submit(lab.merge_counts, tables).result(timeout=60)

            worker = threading.Thread(target=keep_busy, name="keep-busy")
            worker.start()
            try:
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(
                        executable_path=str(CHROMIUM), args=ARGS, env=env
                    )
                    try:
                        page = browser.new_page(viewport=VIEWPORT)
                        page.goto(link, timeout=30_000)
                        time.sleep(seconds_busy)  # let the task stream fill up
                        png = page.screenshot(type="png")
                    finally:
                        browser.close()
            finally:
                stop.set()
                worker.join(60)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return png


def store(png: bytes) -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    cell = marked_cell(nb)
    text = cell.source.split(MARK)[0].rstrip()
    cell.source = f"{text}\n\n{MARK}\n![{ALT}](attachment:{NAME})"
    cell["attachments"] = {NAME: {"image/png": base64.b64encode(png).decode()}}
    nbformat.validate(nb)
    nbformat.write(nb, NOTEBOOK)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check")
    args = parser.parse_args()
    if args.check:
        cell = marked_cell(nbformat.read(NOTEBOOK, as_version=4))
        ok = NAME in cell.get("attachments", {}) and f"attachment:{NAME}" in cell.source
        print("stored" if ok else f"missing: run python {Path(__file__).name}")
        return 0 if ok else 1
    png = screenshot()
    store(png)
    print(f"stored {NAME} ({len(png) // 1024} KiB) in {NOTEBOOK.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
