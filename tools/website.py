"""Build the course website from the stored notebooks with mystmd (Jupyter Book 2).

    python tools/website.py                     # build/site/ (what `make site` runs)
    python tools/website.py --strict            # any warning fails (make site-check)
    python tools/website.py --base-url /concurrency-lab   # served under a sub-path

1. Stage a MyST project in build/site-src/: a myst.yml (the title, the
   notebooks in order, the repository from pyproject.toml, the site template
   site/theme/) and a copy of every notebook with its stored outputs, where
   the Colab badge cell becomes launch links (Open in Colab, Launch Binder:
   the URLs of tools/stamp.py), remote badge images become text and the
   setup cell (it installs the library in Colab) is left out.
2. Run mystmd, installed in site/node_modules by ``npm ci`` (pinned by
   site/package-lock.json), on this machine's Node: ``myst build --html``.
3. Check the result: a page for every notebook, no node the theme cannot
   draw; with --strict also no warning or error from mystmd (a missing
   page, an anchor or cross-reference with no target, an image it could not
   fetch) and no link to a file that is not there. Then copy it to build/site/.

Nothing is downloaded while building: mystmd's own themes come from GitHub,
so the site uses the template in site/theme/ instead (Python, no packages
beyond Pygments and nbconvert, which JupyterLab brings).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "site"
THEME = SITE / "theme"
MYST = SITE / "node_modules" / "mystmd" / "dist" / "myst.cjs"
STAGE = ROOT / "build" / "site-src"
OUT = ROOT / "build" / "site"
TITLE = "Concurrency Lab"
LAUNCH_MARK = "<!-- conclab:launch (tools/website.py) -->"
NODE_MAJOR = 18  # mystmd's minimum
BUILD_TIMEOUT = 600  # seconds
PROBLEM = re.compile(r"^\s*(⛔|⚠)")
# what site/theme/server.py prints when it cannot start; mystmd would wait for it
THEME_FAILED = "site theme: failed to start"
# one myst build at a time on this machine (every checkout): mystmd chooses
# its two ports as the first free ones from 3000 and 3100, so two builds
# started together choose the same and the later theme server cannot listen
BUILD_LOCK = Path(tempfile.gettempdir()) / "conclab-myst-build.lock"


def load_stamp():
    """tools/stamp.py, loaded by path (tools/ is not a package)."""
    spec = importlib.util.spec_from_file_location("stamp", ROOT / "tools" / "stamp.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


stamp = load_stamp()


def site_url(repo: str) -> str:
    """GitHub Pages' address of ``repo``: https://OWNER.github.io/NAME/."""
    owner, name = repo.removeprefix("https://github.com/").split("/")[:2]
    return f"https://{owner.lower()}.github.io/{name}/"


def launch_source(repo: str, name: str) -> str:
    """The markdown that replaces the badge cell on the site: two launch links."""
    return (
        f"{LAUNCH_MARK}\n"
        ":::{div}\n"
        ":class: conclab-launch\n"
        f"[Open in Colab]({stamp.colab_url(repo, name)})"
        f" [Launch Binder]({stamp.binder_url(repo, name)})\n"
        ":::"
    )


def site_notebook(nb: nbformat.NotebookNode, repo: str, name: str) -> None:
    """Adapt a copy of a stored notebook for the site (outputs untouched)."""
    image = f"![Open In Colab]({stamp.COLAB_BADGE})"
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        if stamp.has_mark(cell, stamp.BADGE_MARK):
            cell.source = launch_source(repo, name)
        else:  # mystmd would try to download the badge image (no network)
            cell.source = cell.source.replace(image, "Open in Colab")
    code = [c for c in nb.cells if c.cell_type == "code"]
    if code and stamp.has_mark(code[0], stamp.SETUP_MARK):
        # the setup cell installs the library in Colab: nothing for a reader
        tags = code[0].metadata.setdefault("tags", [])
        if "remove-cell" not in tags:
            tags.append("remove-cell")


def myst_config(repo: str, names: list[str]) -> dict:
    """myst.yml, as a dict (written as JSON, which is YAML too)."""
    return {
        "version": 1,
        "project": {
            "title": TITLE,
            "github": repo,
            "license": "MIT",
            "toc": [{"file": name} for name in names],
        },
        "site": {
            "title": TITLE,
            "template": str(THEME),
            "options": {"repository": repo, "site_url": site_url(repo)},
        },
    }


def stage(dest: Path = STAGE, paths: list[Path] | None = None) -> list[str]:
    """Write the MyST project to ``dest``; return the notebook names in order."""
    repo = stamp.repository_url()
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    names = []
    for path in stamp.notebook_paths() if paths is None else paths:
        nb = nbformat.read(path, as_version=4)
        site_notebook(nb, repo, path.name)
        nbformat.write(nb, dest / path.name)
        names.append(path.name)
    if not names:
        raise SystemExit("site: no notebooks/NN_*.ipynb to build")
    config = json.dumps(myst_config(repo, names), indent=2)
    (dest / "myst.yml").write_text(config + "\n", encoding="utf-8")
    return names


def node() -> str:
    """This machine's node (≥ 18), or a clear error."""
    found = shutil.which("node")
    if found is None:
        raise SystemExit(
            "site: Node.js is not installed; mystmd needs Node "
            f"≥ {NODE_MAJOR} (Debian/Ubuntu: apt-get install nodejs npm)"
        )
    version = subprocess.run(
        [found, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    major = int(re.match(r"v?(\d+)", version)[1])
    if major < NODE_MAJOR:
        raise SystemExit(
            f"site: node {version} is too old; mystmd needs ≥ {NODE_MAJOR}"
        )
    return found


def install_node_modules(timeout: float = 600) -> None:
    """``npm ci`` in site/ when mystmd is missing (what `make site` does first).

    Raises RuntimeError with the reason when it cannot (no npm, no registry).
    """
    if MYST.exists() and (SITE / "node_modules" / "reveal.js").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed (Debian/Ubuntu: apt-get install npm)")
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=SITE, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    if result.returncode != 0 or not MYST.exists():
        raise RuntimeError(f"npm ci in site/ failed:\n{result.stdout}\n{result.stderr}")


def myst_cli() -> Path:
    if not MYST.exists():
        raise SystemExit(
            f"site: {MYST.relative_to(ROOT)} is missing: run `make site` "
            "(it runs `npm ci` in site/ first)"
        )
    return MYST


def run_myst(
    stage_dir: Path, base_url: str, port: int | None = None
) -> tuple[int, list[str]]:
    """``myst build --html`` in ``stage_dir``; its exit code and problem lines.

    ``port`` is where the theme server listens; by default mystmd chooses
    the first free one from 3000.
    """
    env = dict(os.environ)
    env.pop("HOST", None)  # mystmd serves on localhost unless told otherwise
    env.pop("PORT", None)  # mystmd reads its --port from PORT
    env.update(
        CONCLAB_SITE_PYTHON=sys.executable,
        CONCLAB_SITE_REPORT=str(stage_dir / "theme-report.jsonl"),
        NO_COLOR="1",
        FORCE_COLOR="0",
    )
    if base_url:
        env["BASE_URL"] = base_url
    else:
        env.pop("BASE_URL", None)
    # not mystmd's --strict: it also fetches every external link (no network)
    command = [node(), str(myst_cli()), "build", "--html"]
    if port is not None:
        command += ["--port", str(port)]
    with one_build_at_a_time():
        return _run_myst(command, stage_dir, env)


@contextlib.contextmanager
def one_build_at_a_time() -> Iterator[None]:
    """Hold ``BUILD_LOCK`` (an flock, so it also holds across processes)."""
    try:
        import fcntl
    except ImportError:  # Windows: no flock; builds there are not run side by side
        yield
        return
    with open(BUILD_LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _run_myst(
    command: list[str], stage_dir: Path, env: dict[str, str]
) -> tuple[int, list[str]]:
    problems: list[str] = []
    process = subprocess.Popen(
        command,
        cwd=stage_dir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
        start_new_session=True,
    )

    def stop_group() -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGTERM)

    timed_out = threading.Event()

    def on_deadline() -> None:
        timed_out.set()
        stop_group()

    # the deadline holds even when mystmd prints nothing more (it waits
    # silently for a theme server that never says it is listening)
    watchdog = threading.Timer(BUILD_TIMEOUT, on_deadline)
    watchdog.daemon = True
    watchdog.start()
    assert process.stdout is not None
    try:
        for line in process.stdout:
            print(line, end="", flush=True)
            if PROBLEM.match(line):
                problems.append(line.strip())
            if THEME_FAILED in line:
                problems.append(line.strip())
                break
    finally:
        watchdog.cancel()
        process.stdout.close()
        # mystmd exits before its theme server is gone: stop the whole group
        stop_group()
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            code = process.wait()
    if timed_out.is_set():
        problems.append(f"myst build took longer than {BUILD_TIMEOUT} s: stopped")
    return code, problems


def expected_pages(stage_dir: Path) -> list[str]:
    """Slugs of every page mystmd made (index first), from its config.json."""
    config = json.loads((stage_dir / "_build" / "site" / "config.json").read_text())
    project = config["projects"][0]
    return [project["index"]] + [p["slug"] for p in project["pages"] if "slug" in p]


SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def broken_links(stage_dir: Path) -> list[str]:
    """Links mystmd could not resolve to a page or file of the site.

    mystmd marks every link it resolved (``internal`` or ``static``); a
    relative link left unmarked names a file that is not there. It reports
    those only while checking external links, which needs the network.
    """
    found = []

    def walk(node: dict, page: str) -> None:
        if node.get("type") == "link":
            url = node.get("url", "")
            resolved = node.get("internal") or node.get("static")
            if not resolved and not SCHEME.match(url) and not url.startswith("#"):
                found.append(f"page {page} links to {url!r}: no such page or file")
        for child in node.get("children") or []:
            walk(child, page)

    for path in sorted((stage_dir / "_build" / "site" / "content").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        walk(data["mdast"], data.get("location", path.stem).lstrip("/"))
    return found


def check_site(stage_dir: Path, names: list[str]) -> list[str]:
    """What is wrong with the built site (an empty list when nothing is)."""
    html = stage_dir / "_build" / "html"
    errors = []
    if not (html / "index.html").exists():
        return [f"{html / 'index.html'} was not written"]
    slugs = expected_pages(stage_dir)
    if len(slugs) != len(names):
        errors.append(f"{len(names)} notebooks but {len(slugs)} pages: {slugs}")
    for slug in slugs[1:]:
        if not (html / slug / "index.html").exists():
            errors.append(f"page {slug}/index.html was not written")
    report = stage_dir / "theme-report.jsonl"
    if report.exists():
        for line in report.read_text().splitlines():
            entry = json.loads(line)
            errors.append(
                f"page {entry['page']}: the theme cannot draw {entry['unknown']}"
            )
    return errors


def build_staged(
    stage_dir: Path, names: list[str], out: Path, strict: bool, base_url: str = ""
) -> tuple[list[str], list[str]]:
    """Build a staged project; copy the site to ``out`` if nothing is wrong.

    Returns (errors, warnings); in strict mode every warning is an error.
    """
    code, problems = run_myst(stage_dir, base_url)
    errors = [] if code == 0 else [f"myst build exited with {code}"]
    errors += check_site(stage_dir, names)
    problems += broken_links(stage_dir)
    if strict:
        errors += [f"(strict) {line}" for line in problems]
    else:
        for line in problems:
            print(f"site: warning: {line}", file=sys.stderr)
    if not errors:
        if out.exists():
            shutil.rmtree(out)
        shutil.copytree(stage_dir / "_build" / "html", out)
    return errors, problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--strict",
        action="store_true",
        help="fail on any warning or error of mystmd (broken links, missing pages)",
    )
    parser.add_argument(
        "--base-url",
        default=os.environ.get("SITE_BASE_URL", ""),
        help="path the site is served under, e.g. /concurrency-lab (GitHub Pages)",
    )
    parser.add_argument("--out", type=Path, default=OUT, help="where to put the site")
    parser.add_argument(
        "--stage", type=Path, default=STAGE, help="where to stage the MyST project"
    )
    args = parser.parse_args()
    base_url = args.base_url.rstrip("/")
    if base_url and not base_url.startswith("/"):
        parser.error("--base-url must start with / (e.g. /concurrency-lab)")
    start = time.monotonic()
    names = stage(args.stage)
    errors, warnings = build_staged(args.stage, names, args.out, args.strict, base_url)
    if errors:
        print("\nsite: FAILED", file=sys.stderr)
        for error in errors:
            print(f"  - {error}", file=sys.stderr)
        return 1
    warned = f", {len(warnings)} warning(s) above" if warnings else ""
    shown = args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out
    print(
        f"\nsite: {len(names)} notebooks -> {shown}/ in "
        f"{time.monotonic() - start:.0f} s{warned}"
        + (" (strict)" if args.strict else "")
    )
    print(f"view it: python3 -m http.server -d {shown} 8000 --bind 127.0.0.1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
