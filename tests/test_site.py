"""The website (`make site`): built strict and offline from the stored notebooks.

tools/website.py stages a MyST project and runs mystmd (site/node_modules, on
this machine's Node) with the template in site/theme. These tests build it
once, inside a network namespace without a network where this machine allows
one (root on Linux), so a build that needs a download fails here; then check
every page against its notebook. tests/browser/test_site.py opens the pages.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SITE = ROOT / "site"
THEME = SITE / "theme"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


website = _load("conclab_website", ROOT / "tools" / "website.py")
render = _load("conclab_site_render", THEME / "render.py")
stamp = website.stamp


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"CI=true but the site cannot be built: {reason}", pytrace=False)
    pytest.skip(reason)


def ensure_node_modules() -> None:
    """mystmd in site/node_modules (npm ci, as `make site` does), or skip/fail."""
    if shutil.which("node") is None:
        _unavailable(
            "node is not installed (Debian/Ubuntu: apt-get install nodejs npm)"
        )
    try:
        website.install_node_modules()
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
        _unavailable(str(error))


def offline_prefix() -> list[str]:
    """A command prefix that runs without any network, or [] if not allowed here."""
    if not sys.platform.startswith("linux") or not shutil.which("unshare"):
        return []
    probe = ["unshare", "-n", "sh", "-c", "ip link set lo up"]
    try:
        ok = subprocess.run(probe, capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    return (
        ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh"]
        if ok
        else []
    )


def theme_servers() -> list:
    """Theme servers still running (mystmd exits without waiting for them)."""
    import psutil

    found = []
    for process in psutil.process_iter(["cmdline", "cwd"]):
        cmd = process.info.get("cmdline") or []
        if process.info.get("cwd") == str(THEME) and any("server.py" in c for c in cmd):
            found.append(process)
    return found


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    """The strict site build, offline where possible: its folder and log."""
    ensure_node_modules()
    work = tmp_path_factory.mktemp("site")
    out, stage = work / "html", work / "src"
    prefix = offline_prefix()
    command = [
        *prefix, sys.executable, str(ROOT / "tools" / "website.py"),
        "--strict", "--out", str(out), "--stage", str(stage),
    ]  # fmt: skip
    result = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    return {"out": out, "stage": stage, "offline": bool(prefix), "log": log}


def page_path(out: Path, slug: str, index: str) -> Path:
    return out / "index.html" if slug == index else out / slug / "index.html"


@pytest.fixture(scope="module")
def pages(built) -> dict[str, str]:
    """Notebook name -> the HTML of its page."""
    stage = built["stage"]
    slugs = website.expected_pages(stage)
    found = {}
    for slug in slugs:
        data = json.loads((stage / "_build/site/content" / f"{slug}.json").read_text())
        name = data["location"].lstrip("/")
        found[name] = page_path(built["out"], slug, slugs[0]).read_text()
    return found


def test_build_is_strict_offline_and_leaves_nothing_running(built):
    print("offline (network namespace):", built["offline"])
    assert "site: 9 notebooks" in built["log"] or "site: " in built["log"]
    assert "(strict)" in built["log"]
    assert not theme_servers(), "a theme server outlived the build"


def test_every_notebook_is_a_page_in_order(pages):
    assert sorted(pages) == [p.name for p in NOTEBOOKS]
    first = pages[NOTEBOOKS[0].name]
    toc = re.search(r'<nav class="toc".*?</nav>', first, re.S)[0]
    titles = re.findall(r">([^<]+)</a></li>", toc)
    expected = [stamp.title(nbformat.read(p, as_version=4), p.stem) for p in NOTEBOOKS]
    assert [t.replace("&amp;", "&") for t in titles] == expected


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_page_keeps_the_stored_outputs(path, pages, built):
    nb = nbformat.read(path, as_version=4)
    html = pages[path.name]
    images = sum(
        "image/png" in out.get("data", {})
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
    )
    sources = re.findall(r'<img class="output" src="([^"]+)"', html)
    assert len(sources) == images, "every stored plot is on the page"
    for src in sources:
        assert src.startswith("/build/"), src
        assert (built["out"] / src.lstrip("/")).stat().st_size > 1000
    errors = sum(
        out.output_type == "error"
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
    )
    assert html.count('<pre class="output error">') == errors


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_page_has_collapsed_solutions_and_launch_links(path, pages):
    nb = nbformat.read(path, as_version=4)
    html = pages[path.name]
    solutions = sum(
        c.source.count("<summary>Solution")
        for c in nb.cells
        if c.cell_type == "markdown"
    )
    assert len(re.findall(r"<details[^>]*>\s*<summary>Solution", html)) == solutions
    assert "<details open" not in html
    repo = stamp.repository_url()
    launch = re.search(r'<div class="conclab-launch">(.*?)</div>', html, re.S)[1]
    links = dict(
        (text, href)
        for href, text in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', launch)
    )
    assert links == {
        "Open in Colab": stamp.colab_url(repo, path.name),
        "Launch Binder": stamp.binder_url(repo, path.name),
    }


def test_pages_load_nothing_from_the_network_and_theme_knew_every_node(pages):
    remote = re.compile(
        r'<(?:script|link|img)\b[^>]*(?:src|href)="(?:https?:)?//', re.I
    )
    for name, html in pages.items():
        assert not remote.search(html), f"{name} loads a remote file"
        assert "conclab-unknown" not in html, name
        assert "# conclab:setup" not in html, f"{name} shows the Colab setup cell"


def test_search_index_covers_every_page(built, pages):
    index = json.loads((built["out"] / "myst.search.json").read_text())
    urls = {r["url"].split("#")[0] for r in index["records"]}
    slugs = website.expected_pages(built["stage"])
    assert {"/" if s == slugs[0] else f"/{s}" for s in slugs} <= urls


def test_strict_build_fails_on_a_broken_link_and_a_missing_page(tmp_path):
    """Also built under a base URL, as GitHub Pages serves it."""
    ensure_node_modules()
    stage = tmp_path / "src"
    names = website.stage(stage)
    victim = stage / names[-1]
    nb = nbformat.read(victim, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("See [gone](99_gone.ipynb)."))
    nbformat.write(nb, victim)
    config = json.loads((stage / "myst.yml").read_text())
    config["project"]["toc"].append({"file": "98_missing.ipynb"})
    (stage / "myst.yml").write_text(json.dumps(config))
    errors, _ = website.build_staged(
        stage, names, tmp_path / "html", strict=True, base_url="/course"
    )
    text = "\n".join(errors)
    assert "99_gone.ipynb" in text, text
    assert "98_missing.ipynb" in text, text
    assert not (tmp_path / "html").exists(), "a failed strict build publishes nothing"
    assert not theme_servers()
    # what mystmd wrote, built for a sub-path (GitHub Pages): links stay inside
    html = (stage / "_build" / "html" / "index.html").read_text()
    local = re.findall(r'(?:href|src)="(/[^"]*)"', html)
    assert 'href="/course/conclab-site.css"' in html
    assert local and all(h.startswith("/course/") for h in local), local


def test_a_theme_server_that_cannot_listen_stops_the_build(tmp_path):
    """mystmd waits, silently, until its theme server says it is listening.

    When the theme server cannot listen (its port was taken after mystmd
    chose it), the build stops and says why instead of hanging.
    """
    ensure_node_modules()
    stage = tmp_path / "src"
    website.stage(stage)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        code, problems = website.run_myst(stage, "", port=taken.getsockname()[1])
    assert code != 0
    failed = [line for line in problems if website.THEME_FAILED in line]
    assert failed and "in use" in failed[0], problems
    assert not theme_servers()


def test_builds_started_together_each_build_their_own_site(tmp_path):
    """Two builds at once (the browser shards do that) choose their ports
    one after the other, so neither theme server finds its port taken."""
    ensure_node_modules()
    stages = {mark: tmp_path / mark / "src" for mark in "ab"}
    for mark, stage in stages.items():
        names = website.stage(stage)
        nb = nbformat.read(stage / names[0], as_version=4)
        nb.cells.append(nbformat.v4.new_markdown_cell(f"Marker build-{mark}-only."))
        nbformat.write(nb, stage / names[0])
    results: dict[Path, tuple] = {}

    def build(stage: Path) -> None:
        results[stage] = website.run_myst(stage, "")

    threads = [threading.Thread(target=build, args=(s,)) for s in stages.values()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for mark, stage in stages.items():
        code, problems = results[stage]
        assert code == 0, problems
        html = (stage / "_build" / "html" / "index.html").read_text()
        other = "b" if mark == "a" else "a"
        assert f"build-{mark}-only" in html and f"build-{other}-only" not in html
    assert not theme_servers()


def test_renderer_links_images_and_unknown_nodes():
    r = render.Renderer(base_url="/course")
    tree = {
        "type": "root",
        "children": [
            {"type": "link", "url": "/join", "internal": True,
             "children": [{"type": "text", "value": "06 <Join>"}]},
            {"type": "image", "url": "/abc.png", "alt": "a plot"},
            {"type": "mysteryNode", "children": [{"type": "text", "value": "x"}]},
        ],
    }  # fmt: skip
    out = r.render(tree)
    assert '<a href="/course/join/">06 &lt;Join&gt;</a>' in out
    assert f'src="{render.ASSETS}/abc.png"' in out
    assert r.unknown == {"mysteryNode"} and "conclab-unknown" in out
