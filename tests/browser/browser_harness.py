"""Drive JupyterLab and Notebook 7 in Debian's Chromium with Playwright.

Used by tests/browser: finds the notebooks that have interactive panels, starts a
throwaway Jupyter server on a copy of them, and drives every panel as a person
would (run all cells, move a slider, press Run, look at the plot).
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "panel_fixture.ipynb"
FIXTURE_PANEL_CELLS = [3, 4]  # the fixture's button_panel() and slider_panel()
ARTIFACTS = ROOT / "test-artifacts" / "browser"
INSTALL_SCRIPT = ROOT / "tools" / "install_chromium.sh"

CHROMIUM = Path("/usr/bin/chromium")
# Playwright's own browser download cannot work on our machines: drive Debian's
# Chromium with the flags that keep it off the (closed) network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Timeouts, in seconds. The whole browser stage must stay well under 3 minutes.
SERVER_START_TIMEOUT = 60
PAGE_TIMEOUT = 30
KERNEL_IDLE_TIMEOUT = 60
RUN_ALL_TIMEOUT = 90
REDRAW_TIMEOUT = 45

# ---------------------------------------------------------------------------
# Which notebooks have panels (pure functions, tested without a browser)
# ---------------------------------------------------------------------------

_LIBRARY_NAMES = {"lab", "conclab"}


def panel_calls(source: str) -> list[str]:
    """Names of the ``*_panel`` functions from the library that ``source`` calls.

    Counts ``lab.x_panel(...)`` / ``conclab.x_panel(...)`` and bare ``x_panel(...)``
    when ``x_panel`` was imported with ``from conclab import ...``. Comments,
    strings and definitions do not count. Sources that do not parse (IPython
    magics) fall back to a regular expression on the lines without comments.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        code = "\n".join(
            line
            for line in source.splitlines()
            if not line.lstrip().startswith(("#", "%", "!"))
        )
        pattern = r"\b(?:lab|conclab)\s*\.\s*(\w+_panel)\s*\("
        return re.findall(pattern, code)
    imported: dict[str, str] = {}  # local name -> library name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.ImportFrom)
            and (node.module or "").split(".")[0] == "conclab"
        ):
            imported.update(
                (alias.asname or alias.name, alias.name)
                for alias in node.names
                if alias.name.endswith("_panel")
            )
    calls = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr.endswith("_panel")
            and isinstance(func.value, ast.Name)
            and func.value.id in _LIBRARY_NAMES
        ):
            calls.append((node.lineno, node.col_offset, func.attr))
        elif isinstance(func, ast.Name) and func.id in imported:
            calls.append((node.lineno, node.col_offset, imported[func.id]))
    return [name for _, _, name in sorted(calls)]


def panel_cells(notebook: nbformat.NotebookNode) -> list[int]:
    """Indices (in ``notebook.cells``) of the code cells that build a panel."""
    return [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and panel_calls(cell.source)
    ]


def notebooks_with_panels(folder: Path = NOTEBOOKS) -> list[Path]:
    """The course notebooks in ``folder`` that have at least one panel, sorted."""
    if not folder.is_dir():
        return []
    return [
        path
        for path in sorted(folder.glob("*.ipynb"))
        if panel_cells(nbformat.read(path, as_version=4))
    ]


# ---------------------------------------------------------------------------
# Chromium
# ---------------------------------------------------------------------------


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def chromium_installable() -> tuple[bool, str]:
    """Can tools/install_chromium.sh install Chromium here? (answer, why not)"""
    if not sys.platform.startswith("linux"):
        return False, f"not Linux ({sys.platform}): no apt-get to install Chromium"
    if not Path("/etc/debian_version").exists() or shutil.which("apt-get") is None:
        return False, "not a Debian-like system: no apt-get to install Chromium"
    if os.geteuid() != 0:
        return False, (
            "not root: cannot `apt-get install chromium` "
            "(install it, then run tests/browser again)"
        )
    return True, ""


def find_chromium(chromium: Path = CHROMIUM) -> tuple[Path | None, str]:
    """Chromium's path, installing it when possible; else (None, reason)."""
    if chromium.exists():
        return chromium, ""
    installable, why_not = chromium_installable()
    if not installable:
        return None, f"{chromium} is missing and cannot be installed: {why_not}"
    result = subprocess.run(
        ["bash", str(INSTALL_SCRIPT)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if chromium.exists():
        return chromium, ""
    return None, (
        f"{chromium} is missing and tools/install_chromium.sh failed:\n"
        f"{result.stdout}\n{result.stderr}"
    )


def when_unavailable(reason: str) -> tuple[str, str]:
    """("skip", reason) on a person's machine; ("fail", message) under CI=true."""
    if in_ci():
        return "fail", f"CI=true but the browser tests cannot run: {reason}"
    return "skip", reason


# ---------------------------------------------------------------------------
# A throwaway Jupyter server
# ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# JupyterLab user settings: no news or update checks (the network is closed and
# their pop-ups would cover the page), no extension manager, and every cell in
# the DOM (no virtual scrolling), so cell i on the page is cell i of the file.
USER_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/extensionmanager-extension/plugin.jupyterlab-settings": {
        "enabled": False
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "windowingMode": "none"
    },
}


@dataclass
class JupyterServer:
    """``python -m jupyter lab`` on 127.0.0.1, in a temporary Jupyter home."""

    root: Path  # the temporary folder: home/, config/, ..., notebooks/
    port: int
    token: str
    process: subprocess.Popen
    log_path: Path
    _log: Any = field(repr=False, default=None)

    @property
    def notebook_dir(self) -> Path:
        return self.root / "notebooks"

    def url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}{sep}token={self.token}"

    def api(self, method: str, path: str, timeout: float = 10) -> Any:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def kernel_state(self, notebook_path: str) -> str | None:
        """The execution state of the kernel of ``notebook_path``'s session."""
        for session in self.api("GET", "sessions"):
            if session.get("path") == notebook_path and session.get("kernel"):
                return session["kernel"].get("execution_state")
        return None

    def shutdown_kernels(self) -> None:
        """Delete every session and kernel (between tests)."""
        with contextlib.suppress(OSError, ValueError):
            for session in self.api("GET", "sessions"):
                with contextlib.suppress(OSError):
                    self.api("DELETE", f"sessions/{session['id']}", timeout=20)
            for kernel in self.api("GET", "kernels"):
                with contextlib.suppress(OSError):
                    self.api("DELETE", f"kernels/{kernel['id']}", timeout=20)


def _write_user_settings(config_dir: Path) -> None:
    settings = config_dir / "lab" / "user-settings"
    for relative, values in USER_SETTINGS.items():
        path = settings / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values, indent=2))


@contextlib.contextmanager
def jupyter_server(notebooks: list[Path]) -> Iterator[JupyterServer]:
    """Start JupyterLab on copies of ``notebooks``; stop it and its kernels after.

    Everything Jupyter, IPython and matplotlib write goes to a temporary folder
    (HOME included), which is removed at the end; the repository is untouched.
    """
    import psutil

    root = Path(tempfile.mkdtemp(prefix="conclab-browser-"))
    dirs = {
        name: root / name
        for name in ("home", "config", "data", "runtime", "ipython", "notebooks")
    }
    for path in dirs.values():
        path.mkdir()
    for notebook in notebooks:
        shutil.copy2(notebook, dirs["notebooks"] / notebook.name)
    # Files next to the notebooks (data, images) come along too.
    if NOTEBOOKS.is_dir():
        for path in NOTEBOOKS.iterdir():
            target = dirs["notebooks"] / path.name
            if path.name.startswith(".") or target.exists():
                continue
            if path.is_dir():
                shutil.copytree(path, target, ignore=shutil.ignore_patterns(".*"))
            elif path.suffix != ".ipynb":
                shutil.copy2(path, target)
    _write_user_settings(dirs["config"])

    env = dict(os.environ)
    env.update(
        HOME=str(dirs["home"]),
        USERPROFILE=str(dirs["home"]),
        XDG_CONFIG_HOME=str(dirs["home"] / ".config"),
        XDG_CACHE_HOME=str(dirs["home"] / ".cache"),
        XDG_DATA_HOME=str(dirs["home"] / ".local" / "share"),
        JUPYTER_CONFIG_DIR=str(dirs["config"]),
        JUPYTER_DATA_DIR=str(dirs["data"]),
        JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
        JUPYTERLAB_SETTINGS_DIR=str(dirs["config"] / "lab" / "user-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(dirs["config"] / "lab" / "workspaces"),
        IPYTHONDIR=str(dirs["ipython"]),
        MPLCONFIGDIR=str(dirs["home"] / ".matplotlib"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.pop("JUPYTER_PATH", None)
    env.pop("JUPYTER_PREFER_ENV_PATH", None)
    env.pop("PYTHONWARNINGS", None)

    port = free_port()
    token = hashlib.sha256(os.urandom(32)).hexdigest()[:32]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shard = os.environ.get("CONCLAB_SHARD_LABEL", "")  # one log per browser shard
    log_path = ARTIFACTS / f"jupyter-server{shard}.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed in the finally below
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--allow-root",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--port-retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={dirs['notebooks']}",
        "--ServerApp.terminals_enabled=False",
        "--LabApp.news_url=",
        "--ContentsManager.allow_hidden=False",
    ]
    process = subprocess.Popen(
        command,
        cwd=dirs["notebooks"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, killed as a whole
    )
    server = JupyterServer(root, port, token, process, log_path, log)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"jupyter lab exited with code {process.returncode}:\n"
                    + server.log_tail()
                )
            try:
                server.api("GET", "status", timeout=2)
                break
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"jupyter lab did not answer within {SERVER_START_TIMEOUT} s:\n"
                    + server.log_tail()
                )
            time.sleep(0.2)
        yield server
    finally:
        _stop_server(server, psutil)
        log.close()
        shutil.rmtree(root, ignore_errors=True)


def _stop_server(server: JupyterServer, psutil: Any) -> None:
    """Shut kernels down, stop the server, then kill whatever is left."""
    process = server.process
    try:
        family = psutil.Process(process.pid).children(recursive=True)
    except psutil.Error:
        family = []
    if process.poll() is None:
        server.shutdown_kernels()
        with contextlib.suppress(psutil.Error):
            family = psutil.Process(process.pid).children(recursive=True) + family
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)
    # Kernels run in their own sessions (jupyter_client's choice): kill any
    # survivor, with its own process group (a kernel's pool workers).
    for child in family:
        with contextlib.suppress(psutil.Error, ProcessLookupError, PermissionError):
            if child.is_running():
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(child.pid, signal.SIGKILL)
                child.kill()
    psutil.wait_procs(family, timeout=10)


# ---------------------------------------------------------------------------
# Driving a notebook in the browser
# ---------------------------------------------------------------------------

# Runs in the page: the SHA-256 of an <img>'s bytes (blob: or data: URL), its
# size, and whether it decoded into a picture.
_IMAGE_DIGEST_JS = """
async (img) => {
    const bytes = await (await fetch(img.src)).arrayBuffer();
    const digest = await crypto.subtle.digest("SHA-256", bytes);
    const hex = Array.from(new Uint8Array(digest))
        .map((b) => b.toString(16).padStart(2, "0")).join("");
    return {digest: hex, size: bytes.byteLength, src: img.src.slice(0, 40),
            complete: img.complete, width: img.naturalWidth};
}
"""

_ERROR_TEXT = re.compile(
    r"Traceback \(most recent call last\)|\b\w+(?:Error|Exception):"
)


class PanelError(AssertionError):
    """A panel does not work in the browser (the test's failure)."""


@dataclass
class PanelReport:
    """What happened to one panel."""

    cell: int
    control: str
    before: str
    after: str
    screenshot: Path
    seconds: float


def wait_until(predicate: Any, timeout: float, message: Any, poll: float = 0.2) -> Any:
    """Poll ``predicate()`` until truthy; raise PanelError(message()) on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise PanelError(message() if callable(message) else message)
        time.sleep(poll)


def lab_ready(page: Any) -> bool:
    """Is JupyterLab up in ``page`` with no notebook and no dialog open?"""
    return (
        not page.is_closed()
        and "/lab" in page.url
        and page.locator("#jp-main-dock-panel").count() == 1
        and page.locator(".jp-DirListing-item").count() > 0
        and page.locator(".jp-Notebook, .jp-Dialog, .jp-LogConsolePanel").count() == 0
    )


def close_lab_notebook(page: Any) -> bool:
    """File → Close and Shut Down Notebook; True when ``page`` can be reused."""
    if page.is_closed() or "/lab" not in page.url:
        return False
    try:
        page.keyboard.press("Escape")
        if page.locator(".jp-Notebook").count():
            page.locator(
                ".lm-MenuBar-itemLabel", has_text=re.compile("^File$")
            ).first.click()
            page.locator(
                ".lm-Menu-content .lm-Menu-itemLabel",
                has_text=re.compile("^Close and Shut Down Notebook"),
            ).first.click(timeout=5000)
            page.locator(".jp-Dialog .jp-mod-accept").first.click(timeout=5000)
            page.locator(".jp-Notebook").first.wait_for(state="detached", timeout=10000)
    except Exception:
        return False
    return lab_ready(page)


class NotebookPage:
    """A notebook open in JupyterLab (``ui="lab"``) or Notebook 7 (``"notebook"``)."""

    def __init__(self, page: Any, server: JupyterServer, name: str, ui: str) -> None:
        self.page = page
        self.server = server
        self.name = name
        self.ui = ui
        self.console_errors: list[str] = []
        page.on(
            "console",
            lambda msg: (
                self.console_errors.append(msg.text) if msg.type == "error" else None
            ),
        )
        page.set_default_timeout(PAGE_TIMEOUT * 1000)
        self.notebook = nbformat.read(server.notebook_dir / name, as_version=4)

    # -- opening ---------------------------------------------------------
    def open(self) -> None:
        quoted = urllib.parse.quote(self.name)
        if self.ui == "lab" and self.lab_loaded():
            # JupyterLab is already up in this page (an earlier test closed its
            # notebook): open the file from the file browser, as a person does.
            item = self.page.locator(
                ".jp-DirListing-item",
                has=self.page.locator(
                    ".jp-DirListing-itemText",
                    has_text=re.compile(f"^{re.escape(self.name)}$"),
                ),
            ).first
            item.dblclick()
        elif self.ui == "lab":
            self.page.goto(self.server.url(f"lab/tree/{quoted}?reset"))
        else:
            # Notebook 7 the way its users get there: the file browser, then
            # the notebook's own page.
            self.page.goto(self.server.url("tree"))
            self.page.wait_for_selector(f"text={self.name}")
            self.page.goto(self.server.url(f"notebooks/{quoted}"))
        self.page.wait_for_selector(".jp-Notebook .jp-Cell")
        cells = self.page.locator(".jp-Notebook .jp-Cell")
        wait_until(
            lambda: cells.count() == len(self.notebook.cells),
            PAGE_TIMEOUT,
            lambda: (
                f"{self.name}: the page shows {cells.count()} cells, "
                f"the file has {len(self.notebook.cells)}"
            ),
        )
        self.wait_kernel_idle()

    def wait_kernel_idle(self, timeout: float = KERNEL_IDLE_TIMEOUT) -> None:
        """Wait until the kernel has started and is idle, in the page and the server."""
        indicator = self.page.locator(".jp-Notebook-ExecutionIndicator").first
        kernel_name = self.page.locator(".jp-KernelName").first

        def idle() -> bool:
            try:
                status = indicator.get_attribute("data-status", timeout=1000)
                name = kernel_name.inner_text(timeout=1000)
            except Exception:
                return False
            return (
                status == "idle"
                and "No Kernel" not in name
                and self.server.kernel_state(self.name) == "idle"
            )

        # Idle twice in a row, 0.3 s apart: not a blink between two busy states.
        wait_until(
            lambda: idle() and (time.sleep(0.3) or idle()),
            timeout,
            lambda: (
                f"{self.name}: the kernel was not idle within {timeout} s "
                f"(server says {self.server.kernel_state(self.name)!r})\n"
                + self.server.log_tail(15)
            ),
        )

    # -- menus -----------------------------------------------------------
    def menu(self, top: str, item: str) -> None:
        """Click ``top`` in the menu bar, then the entry of its menu that starts
        with ``item``."""
        self.page.locator(
            ".lm-MenuBar-itemLabel", has_text=re.compile(f"^{re.escape(top)}$")
        ).first.click()
        entry = self.page.locator(
            ".lm-Menu-content .lm-Menu-itemLabel",
            has_text=re.compile(f"^{re.escape(item)}"),
        ).first
        entry.click()

    def lab_loaded(self) -> bool:
        return lab_ready(self.page)

    # -- running ---------------------------------------------------------
    def code_cells(self) -> list[int]:
        """Indices of the code cells that have code (empty ones get no number)."""
        return [
            index
            for index, cell in enumerate(self.notebook.cells)
            if cell.cell_type == "code" and cell.source.strip()
        ]

    def prompts(self) -> list[str]:
        return self.page.eval_on_selector_all(
            ".jp-Notebook .jp-Cell",
            "cells => cells.map(c => {"
            "  const p = c.querySelector('.jp-InputArea-prompt');"
            "  return p ? p.textContent.trim() : ''; })",
        )

    def run_all(self, timeout: float = RUN_ALL_TIMEOUT) -> float:
        """Clear all outputs, Run → Run All Cells, wait until every cell ran."""
        self.menu("Edit", "Clear Outputs of All Cells")
        code = self.code_cells()
        wait_until(
            lambda: not any(re.search(r"\d", self.prompts()[i]) for i in code),
            PAGE_TIMEOUT,
            f"{self.name}: prompts still numbered after Clear Outputs",
        )
        start = time.monotonic()
        self.menu("Run", "Run All Cells")

        def finished() -> bool:
            prompts = self.prompts()
            return (
                bool(code)
                and "*" not in "".join(prompts)
                and bool(re.search(r"\d", prompts[code[0]]))
            )

        wait_until(
            finished,
            timeout,
            lambda: (
                f"{self.name}: Run All did not finish within {timeout} s; "
                f"prompts: {self.prompts()}\n{self.error_report()}"
            ),
            poll=0.25,
        )
        seconds = time.monotonic() - start
        self.wait_kernel_idle()
        prompts = self.prompts()
        missing = [i for i in code if not re.search(r"\d", prompts[i])]
        errors = self.cell_errors()
        if missing or errors:
            raise PanelError(
                f"{self.name}: after Run All, cells {missing} did not run\n"
                + self.error_report()
            )
        return seconds

    # -- errors ----------------------------------------------------------
    def cell_errors(self) -> dict[int, str]:
        """Error text shown in cells, except cells tagged ``raises-exception``.

        Errors and tracebacks render as stderr text; "Error displaying widget"
        and widget-manager failures render as plain text in the output area.
        """
        texts = self.page.eval_on_selector_all(
            ".jp-Notebook .jp-Cell",
            """cells => cells.map(c => Array.from(
                c.querySelectorAll('.jp-OutputArea-output')).map(o => {
                const mime = o.getAttribute('data-mime-type') || '';
                const t = o.innerText;
                return (/stderr|error/.test(mime)
                        || /Error displaying widget|model not found/.test(t))
                    ? t : ''; }).join('\\n'))""",
        )
        errors = {}
        for index, text in enumerate(texts):
            cell = (
                self.notebook.cells[index] if index < len(self.notebook.cells) else {}
            )
            tags = cell.get("metadata", {}).get("tags", [])
            if "raises-exception" in tags:
                continue
            if _ERROR_TEXT.search(text) or "Error displaying widget" in text:
                errors[index] = text.strip()
        return errors

    def error_report(self) -> str:
        errors = self.cell_errors()
        lines = [
            f"--- cell {i} shows an error:\n{text[-2000:]}"
            for i, text in errors.items()
        ]
        if self.console_errors:
            lines.append(
                "--- browser console errors:\n" + "\n".join(self.console_errors[-10:])
            )
        return "\n".join(lines) or "(no error shown in any cell)"

    def logged_errors(self) -> str:
        """Text of the kernel messages JupyterLab put in its log console (if any).

        Output of widget callbacks (a traceback when one raises) belongs to no
        cell: JupyterLab shows it in the log console, Notebook 7 nowhere.
        """
        if self.ui != "lab":
            return ""
        item = self.page.locator(".jp-LogConsoleStatusItem")
        if item.count() == 0 or not item.first.inner_text().strip():
            return ""
        item.first.click()
        panel = self.page.locator(".jp-LogConsolePanel").first
        with contextlib.suppress(Exception):
            panel.wait_for(timeout=5000)
            time.sleep(0.5)
            return panel.inner_text()
        return ""

    # -- panels ----------------------------------------------------------
    def panels(self) -> list[tuple[int, Any]]:
        """(cell index, locator) of every widget output that shows an image."""
        found = []
        cells = self.page.locator(".jp-Notebook .jp-Cell")
        for index in range(cells.count()):
            outputs = cells.nth(index).locator(
                ".jp-OutputArea-output:has(img.widget-image)"
            )
            for k in range(outputs.count()):
                found.append((index, outputs.nth(k)))
        return found

    def image_digests(self, panel: Any) -> list[str]:
        images = panel.locator("img.widget-image")
        digests = []
        for k in range(images.count()):
            info = images.nth(k).evaluate(_IMAGE_DIGEST_JS)
            if not (info["complete"] and info["width"] > 0 and info["size"] > 0):
                digests.append("not-decoded:" + info["digest"])
            else:
                digests.append(info["digest"])
        return digests

    def change_control(self, panel: Any) -> str:
        """Move the panel's first slider (keyboard, else mouse); say what changed."""
        handle = panel.locator(".noUi-handle, .ui-slider-handle").first
        if handle.count():
            handle.scroll_into_view_if_needed()
            before = handle.get_attribute("aria-valuenow")
            # Click the handle first, as a person does: that also makes its cell
            # the active one (else the notebook's own arrow-key shortcuts, such
            # as collapsing a heading cell, may get the keys).
            handle.click()
            after = handle.get_attribute("aria-valuenow")
            if after != before:
                return f"slider {before} -> {after} (click)"
            # Notebook 7 handles the arrow keys itself in command mode, even with
            # the handle focused (ArrowLeft collapses the heading above): there a
            # person drags the handle, so do we.
            if self.ui == "lab":
                handle.focus()
                self.page.keyboard.press("ArrowRight")
                after = handle.get_attribute("aria-valuenow")
                if after == before:  # at its maximum: go the other way
                    self.page.keyboard.press("ArrowLeft")
                    after = handle.get_attribute("aria-valuenow")
                if after != before:
                    return f"slider {before} -> {after} (keyboard)"
            # The keys went elsewhere: drag the handle instead.
            for direction in (1, -1):
                self._drag(panel, handle, direction)
                after = handle.get_attribute("aria-valuenow")
                if after != before:
                    return f"slider {before} -> {after} (mouse drag)"
            raise PanelError(f"{self.name}: the slider did not move ({before})")
        select = panel.locator("select").first
        if select.count():
            options = select.locator("option")
            values = [
                options.nth(k).get_attribute("value") for k in range(options.count())
            ]
            current = select.input_value()
            choice = next((v for v in values if v != current), None)
            if choice is None:
                raise PanelError(f"{self.name}: a panel's dropdown has one option only")
            select.select_option(choice)
            return f"dropdown {current} -> {choice}"
        raise PanelError(f"{self.name}: a panel has no slider or dropdown to change")

    def exercise_panel(
        self,
        cell: int,
        panel: Any,
        screenshot: Path,
        redraw_timeout: float = REDRAW_TIMEOUT,
    ) -> PanelReport:
        """Change a control, press Run (if any), wait for a new plot, screenshot."""
        start = time.monotonic()
        before = self.image_digests(panel)
        if not before or any(d.startswith("not-decoded") for d in before):
            raise PanelError(f"{self.name}: cell {cell}'s panel shows no picture")
        control = self.change_control(panel)
        run = panel.locator("button", has_text=re.compile(r"\brun\b", re.IGNORECASE))
        if run.count():
            run.first.click()
            control += ", Run pressed"

        def redrawn() -> list[str] | None:
            now = self.image_digests(panel)
            changed = [
                b != a and not a.startswith("not-decoded")
                for b, a in zip(before, now, strict=False)
            ]
            return now if len(now) == len(before) and any(changed) else None

        try:
            after = wait_until(
                redrawn,
                redraw_timeout,
                f"{self.name}: cell {cell}'s panel did not redraw its plot within "
                f"{redraw_timeout} s after {control}",
                poll=0.3,
            )
        except PanelError as error:
            self._save(panel, screenshot)
            logged = self.logged_errors()
            detail = f"\npanel text: {panel.inner_text()[:500]!r}"
            if logged:
                detail += f"\nJupyterLab's log console:\n{logged[-2000:]}"
            raise PanelError(str(error) + detail) from None
        # A panel that catches its own exception and prints it as status text.
        text = panel.inner_text()
        if _ERROR_TEXT.search(text):
            self._save(panel, screenshot)
            raise PanelError(
                f"{self.name}: cell {cell}'s panel shows an error:\n{text}"
            )
        # Let the button re-enable and the status settle before the picture.
        if run.count():
            with contextlib.suppress(Exception):
                wait_until(run.first.is_enabled, 5, "")
        self._save(panel, screenshot)
        return PanelReport(
            cell,
            control,
            before[0][:12],
            after[0][:12],
            screenshot,
            time.monotonic() - start,
        )

    def _drag(self, panel: Any, handle: Any, direction: int) -> None:
        """Drag a slider's handle by a tenth of its track (at least one step)."""
        box = handle.bounding_box()
        track = panel.locator(".noUi-base, .ui-slider").first.bounding_box()
        if not box or not track:
            raise PanelError(f"{self.name}: a panel's slider is not on screen")
        low = float(handle.get_attribute("aria-valuemin") or 0)
        high = float(handle.get_attribute("aria-valuemax") or 1)
        step = max(track["width"] / max(high - low, 1), track["width"] / 10)
        x = box["x"] + box["width"] / 2
        y = box["y"] + box["height"] / 2
        self.page.mouse.move(x, y)
        self.page.mouse.down()
        self.page.mouse.move(x + direction * step, y, steps=5)
        self.page.mouse.up()
        time.sleep(0.2)

    @staticmethod
    def _save(panel: Any, screenshot: Path) -> None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(Exception):
            panel.screenshot(path=str(screenshot), timeout=10000)


def check_notebook(
    page: Any,
    server: JupyterServer,
    name: str,
    ui: str = "lab",
    redraw_timeout: float = REDRAW_TIMEOUT,
    expected_cells: list[int] | None = None,
) -> list[PanelReport]:
    """The whole check for one notebook; raises PanelError when something fails."""
    notebook_page = NotebookPage(page, server, name, ui)
    start = time.monotonic()
    notebook_page.open()
    opened = time.monotonic() - start
    run_all = notebook_page.run_all()
    panels = notebook_page.panels()
    if expected_cells is None:
        expected_cells = panel_cells(notebook_page.notebook)
    shown = {cell for cell, _ in panels}
    missing = [cell for cell in expected_cells if cell not in shown]
    if missing or not panels:
        raise PanelError(
            f"{name}: cells {missing or expected_cells} build a panel, but the page "
            "shows no widget with a plot there\n" + notebook_page.error_report()
        )
    stem = Path(name).stem + ("" if ui == "lab" else "-nb7")
    reports = []
    for n, (cell, panel) in enumerate(panels, start=1):
        reports.append(
            notebook_page.exercise_panel(
                cell, panel, ARTIFACTS / f"{stem}-{n}.png", redraw_timeout
            )
        )
    errors = notebook_page.cell_errors()
    if errors:
        raise PanelError(
            f"{name}: after using the panels, cells show errors\n"
            + notebook_page.error_report()
        )
    logged = notebook_page.logged_errors()
    if _ERROR_TEXT.search(logged):
        raise PanelError(
            f"{name}: a widget callback logged an error:\n{logged[-2000:]}"
        )
    print(
        f"{name} in {ui}: opened and kernel idle in {opened:.1f} s, Run All "
        f"{run_all:.1f} s, {len(reports)} panel(s) redrawn in "
        f"{sum(r.seconds for r in reports):.1f} s, total "
        f"{time.monotonic() - start:.1f} s"
    )
    return reports
