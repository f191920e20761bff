"""Helpers for the browser tests of the website and the slide decks.

Builds them with tools/website.py and tools/slides.py into a temporary folder,
serves the folder on 127.0.0.1, and watches a Playwright page for what a
person would notice: console errors, failed or remote requests, broken images.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import importlib.util
import shutil
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]


def load_tool(name: str):
    """tools/<name>.py, loaded by path (tools/ is not a package)."""
    spec = importlib.util.spec_from_file_location(
        f"conclab_{name}", ROOT / "tools" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """``folder`` over HTTP on 127.0.0.1 and a free port; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@dataclass
class Watch:
    """What a page logged or asked for that a person would call a fault."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    remote: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return [
            *(f"console error: {m}" for m in self.console_errors),
            *(f"page error: {m}" for m in self.page_errors),
            *(f"failed request: {m}" for m in self.failed),
            *(f"request off this machine: {m}" for m in self.remote),
        ]


def watch(context: Any, page: Any) -> Watch:
    """Record faults of ``page``; block every request that leaves 127.0.0.1."""
    seen = Watch()

    def route(r: Any) -> None:
        host = urlparse(r.request.url).hostname
        if r.request.url.startswith("data:") or host in {"127.0.0.1", "localhost"}:
            r.continue_()
        else:
            seen.remote.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page.on(
        "console",
        lambda m: seen.console_errors.append(m.text) if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: seen.page_errors.append(str(e)))
    page.on("requestfailed", lambda r: seen.failed.append(r.url))
    page.on(
        "response",
        lambda r: (
            seen.failed.append(f"{r.status} {r.url}") if r.status >= 400 else None
        ),
    )
    return seen


def clean(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
