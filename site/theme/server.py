"""The course website's theme server, started by ``myst build --html``.

mystmd runs ``build.start`` of template.yml in this folder with PORT (where to
listen), CONTENT_CDN_PORT (its own server of the page ASTs), BASE_URL and
HOST set. It waits for a line with ``http://`` on stdout, then fetches every
page and a few fixed files from here and writes them to ``_build/html``.

Only the standard library, Pygments and nbconvert (both come with JupyterLab),
and only 127.0.0.1 / ::1: nothing is fetched from the network.
Set CONCLAB_SITE_REPORT to a file path to get the node types the renderer did
not know (JSON, one entry per page), which tools/website.py checks.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import socket
import sys
import threading
import time
import urllib.request
import zlib
from struct import pack

from render import Page, Renderer, page_html, warm_up  # next to this file


def content_url(path: str) -> str:
    return f"http://localhost:{os.environ['CONTENT_CDN_PORT']}{path}"


def fetch(path: str) -> bytes:
    with urllib.request.urlopen(content_url(path), timeout=30) as response:
        return response.read()


def fetch_json(path: str) -> dict:
    return json.loads(fetch(path))


def site_pages(config: dict) -> list[Page]:
    """The index page first, then every page in the order of the toc."""
    project = config["projects"][0]
    index = fetch_json(f"/content/{project['index']}.json")
    pages = [Page(project["index"], index["frontmatter"].get("title", "Home"), "/")]
    for entry in project.get("pages", []):
        if entry.get("slug"):
            pages.append(
                Page(
                    entry["slug"],
                    entry.get("title", entry["slug"]),
                    f"/{entry['slug']}/",
                )
            )
    return pages


def favicon() -> bytes:
    """A 16 × 16 PNG (browsers accept PNG in favicon.ico): the site's colour."""
    row = b"\x00" + b"\x1f\x4e\x79" * 16
    raw = zlib.compress(row * 16)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return pack(">I", len(data)) + kind + data + pack(">I", zlib.crc32(kind + data))

    header = pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", raw)
        + chunk(b"IEND", b"")
    )


def report_unknown(slug: str, unknown: set[str]) -> None:
    path = os.environ.get("CONCLAB_SITE_REPORT")
    if not path or not unknown:
        return
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps({"page": slug, "unknown": sorted(unknown)}) + "\n")


def render_page(slug: str) -> bytes:
    config = fetch_json("/config.json")
    pages = site_pages(config)
    page = next(p for p in pages if p.slug == slug)
    data = fetch_json(f"/content/{slug}.json")
    base = os.environ.get("BASE_URL", "").rstrip("/")
    renderer = Renderer(base_url=base, load=lambda p: fetch(p).decode("utf-8"))
    body = renderer.render(data["mdast"])
    report_unknown(slug, renderer.unknown)
    options = config.get("options", {})
    project = config["projects"][0]
    text = page_html(
        site_title=project.get("title", "Site"),
        page=page,
        pages=pages,
        body=body,
        base_url=base,
        repository=options.get("repository") or project.get("github", ""),
        generator=f"mystmd {config.get('myst', '')}".strip(),
        title_in_body=bool(data["frontmatter"].get("content_includes_title")),
    )
    return text.encode("utf-8")


def sitemap() -> bytes:
    config = fetch_json("/config.json")
    root = config.get("options", {}).get("site_url", "").rstrip("/")
    urls = "".join(f"<url><loc>{root}{p.path}</loc></url>" for p in site_pages(config))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{urls}</urlset>\n"
    ).encode()


SITEMAP_XSL = b"""<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
 xmlns:s="http://www.sitemaps.org/schemas/sitemap/0.9">
<xsl:template match="/"><html><body><ul>
<xsl:for-each select="s:urlset/s:url"><li><xsl:value-of select="s:loc"/></li>
</xsl:for-each></ul></body></html></xsl:template>
</xsl:stylesheet>
"""


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        try:
            kind, body = self.route(path)
        except KeyError:
            self.send_error(404)
            return
        except Exception as error:  # a broken page must fail loudly, not hang
            print(f"conclab theme: {path}: {error!r}", file=sys.stderr, flush=True)
            self.send_error(500, explain=repr(error))
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def route(self, path: str) -> tuple[str, bytes]:
        fixed = {
            "/robots.txt": ("text/plain", b"User-agent: *\nAllow: /\n"),
            "/myst-theme.css": ("text/css", b"/* styles: conclab-site.css */\n"),
            "/sitemap_style.xsl": ("text/xsl", SITEMAP_XSL),
        }
        if path in fixed:
            return fixed[path]
        if path == "/favicon.ico":
            return "image/png", favicon()
        if path == "/sitemap.xml":
            return "application/xml", sitemap()
        slug = path.strip("/").replace("/", ".")
        if slug.endswith(".json"):  # the page ASTs, for anyone who wants them
            return "application/json", fetch(f"/content/{slug}")
        config = fetch_json("/config.json")
        slugs = {p.slug for p in site_pages(config)}
        slug = slug or config["projects"][0]["index"]
        if slug not in slugs:
            raise KeyError(slug)
        return "text/html; charset=utf-8", render_page(slug)

    def log_message(self, format: str, *args) -> None:
        pass  # quiet: mystmd prints its own progress


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


class Server6(Server):
    address_family = socket.AF_INET6


def exit_with_mystmd(period: float = 2.0) -> None:
    """Stop when mystmd's content server is gone.

    ``myst build --html`` exits without waiting for this server to be killed
    (it kills it asynchronously, then calls process.exit), so without this
    watch the server would outlive every build.
    """
    failures = 0
    while True:
        time.sleep(period)
        try:
            with socket.create_connection(
                ("localhost", int(os.environ["CONTENT_CDN_PORT"])), timeout=2
            ):
                failures = 0
        except OSError:
            failures += 1
            if failures >= 2:
                os._exit(0)


def main() -> None:
    threading.Thread(target=exit_with_mystmd, daemon=True).start()
    port = int(os.environ["PORT"])
    try:
        # listen first, then warm up: mystmd chose the port as free a moment
        # ago, and another program could take it while the imports run
        servers = [Server(("127.0.0.1", port), Handler)]
        with contextlib.suppress(OSError):  # where localhost is ::1 first (macOS)
            servers.append(Server6(("::1", port), Handler))
        warm_up()
    except Exception as error:
        # mystmd waits until this server prints its URL, so say why it never
        # will (tools/website.py stops the build when it reads this line)
        print(f"site theme: failed to start on port {port}: {error!r}", flush=True)
        sys.exit(1)
    for extra in servers[1:]:
        threading.Thread(target=extra.serve_forever, daemon=True).start()
    print(f"Concurrency Lab site theme on http://127.0.0.1:{port}", flush=True)
    try:
        servers[0].serve_forever()
    finally:
        for server in servers:
            server.server_close()


if __name__ == "__main__":
    main()
