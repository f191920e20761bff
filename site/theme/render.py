"""Turn mystmd's page AST (mdast) into the HTML pages of the course website.

mystmd (Jupyter Book 2) parses the stored notebooks into one JSON AST per page.
Its own site themes are downloaded from GitHub at build time, which cannot
work offline, so the course ships this small theme instead: ``server.py``
serves the pages ``myst build --html`` asks for, and this module renders them.

Nothing here runs a notebook: code cells show their stored outputs (text,
images, errors). A node type the renderer does not know is rendered as its
children inside ``<div class="conclab-unknown">`` and listed in
``Renderer.unknown``; tools/website.py fails a strict build on it.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ASSETS", "Page", "Renderer", "page_html", "warm_up"]

# mystmd copies the page images to <site>/build/ and rewrites this prefix to
# "<base url>/build/" in every HTML file it writes.
ASSETS = "/myst_assets_folder"

Node = dict[str, Any]

_SIMPLE_TAGS = {
    "paragraph": "p",
    "strong": "strong",
    "emphasis": "em",
    "delete": "del",
    "underline": "u",
    "subscript": "sub",
    "superscript": "sup",
    "smallcaps": "span",
    "blockquote": "blockquote",
    "listItem": "li",
    "keyboard": "kbd",
    "definitionList": "dl",
    "definitionTerm": "dt",
    "definitionDescription": "dd",
    "caption": "figcaption",
    "legend": "div",
    "summary": "summary",
    "tableRow": "tr",
}
_TRANSPARENT = {"root", "mystDirective", "mystRole", "include", "embed"}
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def esc(text: Any) -> str:
    return html.escape(str(text), quote=False)


def attr(text: Any) -> str:
    return html.escape(str(text), quote=True)


def ansi_to_html(text: str) -> str:
    """Coloured spans for a traceback's ANSI codes (nbconvert's filter)."""
    try:
        from nbconvert.filters.ansi import ansi2html
    except ImportError:  # pragma: no cover - nbconvert comes with JupyterLab
        return esc(_ANSI.sub("", text))
    return ansi2html(text)


@functools.cache
def _lexer(lang: str):
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(lang)
    except ClassNotFound:
        return get_lexer_by_name("text")


def highlight(code: str, lang: str | None) -> str:
    """``code`` as Pygments HTML spans (classes styled by conclab-site.css)."""
    try:
        from pygments import highlight as pyg_highlight
        from pygments.formatters import HtmlFormatter
    except ImportError:  # pragma: no cover - Pygments comes with IPython
        return esc(code)
    html_code = pyg_highlight(code, _lexer(lang or "text"), HtmlFormatter(nowrap=True))
    return html_code.rstrip("\n")


def warm_up() -> None:
    """Import and compile what the first page needs (seconds, done once)."""
    ansi_to_html("\x1b[31mx\x1b[0m")
    highlight("x = 1", "python")


@dataclass
class Renderer:
    """mdast -> HTML for one site; ``base_url`` prefixes every internal link.

    ``load`` reads a file of mystmd's content server by its path (large
    outputs may be stored in a file of their own instead of inline).
    """

    base_url: str = ""
    load: Callable[[str], str] | None = None
    unknown: set[str] = field(default_factory=set)

    def render(self, node: Node) -> str:
        """HTML of ``node``; mystmd's cell tags: remove-* drops, hide-* folds."""
        visibility = node.get("visibility")
        if visibility == "remove":
            return ""
        if visibility == "hide":
            shown = self._render(node)
            return f'<details class="hidden"><summary>Show</summary>{shown}</details>'
        return self._render(node)

    def _render(self, node: Node) -> str:
        kind = node.get("type", "")
        method = getattr(self, f"_{kind}", None)
        if method is not None:
            return method(node)
        if kind in _SIMPLE_TAGS:
            tag = _SIMPLE_TAGS[kind]
            return f"<{tag}>{self.children(node)}</{tag}>"
        if kind in _TRANSPARENT:
            return self.children(node)
        self.unknown.add(kind)
        return (
            f'<div class="conclab-unknown" data-node="{attr(kind)}">'
            f"{self.children(node)}</div>"
        )

    def children(self, node: Node) -> str:
        return "".join(self.render(child) for child in node.get("children") or [])

    def href(self, url: str, page: bool = False) -> str:
        """Internal site paths get the base URL; anything else is kept.

        A link to a page (``page``) ends in "/" before its #anchor: each page
        is <slug>/index.html, and a static server redirects /slug to /slug/.
        """
        if not url.startswith("/") or url.startswith("//"):
            return url
        if page:
            path, _, anchor = url.partition("#")
            url = path.rstrip("/") + "/" + (f"#{anchor}" if anchor else "")
        return f"{self.base_url}{url}"

    # --- text -------------------------------------------------------------
    def _text(self, node: Node) -> str:
        return esc(node.get("value", ""))

    def _inlineCode(self, node: Node) -> str:
        return f"<code>{esc(node.get('value', ''))}</code>"

    def _break(self, node: Node) -> str:
        return "<br>"

    def _thematicBreak(self, node: Node) -> str:
        return "<hr>"

    def _comment(self, node: Node) -> str:
        return ""

    def _html(self, node: Node) -> str:
        return node.get("value", "")  # the course's own notebooks: trusted

    def _inlineMath(self, node: Node) -> str:
        return f'<code class="math">{esc(node.get("value", ""))}</code>'

    def _math(self, node: Node) -> str:
        return f'<pre class="math">{esc(node.get("value", ""))}</pre>'

    def _abbreviation(self, node: Node) -> str:
        return (
            f'<abbr title="{attr(node.get("title", ""))}">{self.children(node)}</abbr>'
        )

    # --- structure --------------------------------------------------------
    def _heading(self, node: Node) -> str:
        depth = min(max(int(node.get("depth", 2)), 1), 6)
        ident = node.get("html_id") or node.get("identifier") or ""
        inner = self.children(node)
        if not ident:
            return f"<h{depth}>{inner}</h{depth}>"
        anchor = f'<a class="anchor" href="#{attr(ident)}" aria-hidden="true">#</a>'
        return f'<h{depth} id="{attr(ident)}">{inner}{anchor}</h{depth}>'

    def _block(self, node: Node) -> str:
        kind = node.get("kind", "")
        inner = self.children(node)
        if kind == "notebook-code":
            return f'<div class="cell code-cell">{inner}</div>'
        if kind == "notebook-content":
            return f'<div class="cell markdown-cell">{inner}</div>'
        return f'<div class="block">{inner}</div>'

    def _div(self, node: Node) -> str:
        cls = node.get("class")
        opening = f'<div class="{attr(cls)}">' if cls else "<div>"
        return f"{opening}{self.children(node)}</div>"

    def _span(self, node: Node) -> str:
        cls = node.get("class")
        opening = f'<span class="{attr(cls)}">' if cls else "<span>"
        return f"{opening}{self.children(node)}</span>"

    def _list(self, node: Node) -> str:
        if node.get("ordered"):
            start = node.get("start")
            first = f' start="{int(start)}"' if start not in (None, 1) else ""
            return f"<ol{first}>{self.children(node)}</ol>"
        return f"<ul>{self.children(node)}</ul>"

    def _details(self, node: Node) -> str:
        return f'<details class="collapsed">{self.children(node)}</details>'

    def _table(self, node: Node) -> str:
        return f'<div class="table-wrap"><table>{self.children(node)}</table></div>'

    def _tableCell(self, node: Node) -> str:
        tag = "th" if node.get("header") else "td"
        align = node.get("align")
        style = f' style="text-align:{attr(align)}"' if align else ""
        return f"<{tag}{style}>{self.children(node)}</{tag}>"

    def _admonition(self, node: Node) -> str:
        kind = node.get("kind") or "note"
        return f'<aside class="admonition {attr(kind)}">{self.children(node)}</aside>'

    def _admonitionTitle(self, node: Node) -> str:
        return f'<p class="admonition-title">{self.children(node)}</p>'

    def _container(self, node: Node) -> str:
        return f"<figure>{self.children(node)}</figure>"

    def _footnoteReference(self, node: Node) -> str:
        ident = node.get("identifier", "")
        label = node.get("enumerator") or node.get("label") or ident
        return f'<sup><a href="#fn-{attr(ident)}">{esc(label)}</a></sup>'

    def _footnoteDefinition(self, node: Node) -> str:
        ident = node.get("identifier", "")
        return (
            f'<div class="footnote" id="fn-{attr(ident)}">{self.children(node)}</div>'
        )

    # --- links and images -------------------------------------------------
    def _link(self, node: Node) -> str:
        url = node.get("url", "")
        inner = self.children(node) or esc(url)
        if node.get("static"):  # a file mystmd copied next to the images
            return f'<a href="{attr(ASSETS + url)}" download>{inner}</a>'
        if node.get("internal") or (url.startswith("/") and not url.startswith("//")):
            return f'<a href="{attr(self.href(url, page=True))}">{inner}</a>'
        if url.startswith("#"):
            return f'<a href="{attr(url)}">{inner}</a>'
        return f'<a href="{attr(url)}" rel="noopener">{inner}</a>'

    def _crossReference(self, node: Node) -> str:
        target = node.get("html_id") or node.get("identifier") or ""
        url = node.get("url", "")
        href = self.href(f"{url}#{target}" if target else url, page=bool(url))
        inner = self.children(node) or esc(node.get("label", target))
        return f'<a href="{attr(href)}">{inner}</a>'

    def _image(self, node: Node) -> str:
        url = node.get("url", "")
        if url.startswith("/") and not url.startswith("//"):
            url = f"{ASSETS}{url}"
        alt = node.get("alt") or node.get("title") or ""
        return f'<img src="{attr(url)}" alt="{attr(alt)}" loading="lazy">'

    # --- code and outputs -------------------------------------------------
    def _code(self, node: Node) -> str:
        value = node.get("value", "")
        lang = node.get("lang")
        body = highlight(value, lang)
        cls = "input" if node.get("executable") else "code"
        return f'<pre class="highlight {cls}"><code>{body}</code></pre>'

    def _outputs(self, node: Node) -> str:
        inner = self.children(node)
        return f'<div class="outputs">{inner}</div>' if inner else ""

    def _output(self, node: Node) -> str:
        data = node.get("jupyter_data") or {}
        kind = data.get("output_type")
        if kind == "stream":
            name = "stderr" if data.get("name") == "stderr" else "stdout"
            text = self._content(data.get("text", ""))
            return f'<pre class="output stream {name}">{esc(text)}</pre>'
        if kind == "error":
            trace = self._content(data.get("traceback", ""))
            if isinstance(trace, list):
                trace = "\n".join(trace)
            return f'<pre class="output error">{ansi_to_html(trace)}</pre>'
        if kind in ("display_data", "execute_result"):
            return self._mime_bundle(data.get("data") or {})
        return self.children(node)

    def _mime_bundle(self, bundle: dict[str, Any]) -> str:
        for mime in ("image/png", "image/jpeg", "image/gif", "image/svg+xml"):
            if mime in bundle:
                entry = bundle[mime]
                path = entry.get("path") if isinstance(entry, dict) else None
                if path:
                    src = attr(f"{ASSETS}{path}")
                    return f'<img class="output" src="{src}" alt="a plot">'
        if "text/html" in bundle:
            return (
                f'<div class="output html">{self._content(bundle["text/html"])}</div>'
            )
        if "text/plain" in bundle:
            text = self._content(bundle["text/plain"])
            return f'<pre class="output result">{esc(text)}</pre>'
        return ""

    def _content(self, value: Any) -> Any:
        """An output's text: inline, or in a file of the content server."""
        if isinstance(value, dict):
            if "content" in value:
                return value["content"]
            if value.get("path") and self.load is not None:
                return self.load(value["path"])
            return ""
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return "".join(value)
        return value


@dataclass
class Page:
    """One page of the site: its slug, title and URL path."""

    slug: str
    title: str
    path: str  # "/" for the index, "/<slug>/" otherwise


def page_html(
    *,
    site_title: str,
    page: Page,
    pages: list[Page],
    body: str,
    base_url: str = "",
    repository: str = "",
    generator: str = "",
    title_in_body: bool = True,
) -> str:
    """The whole HTML document: header with search, contents, page, pager."""
    b = attr(base_url)
    index = next(i for i, p in enumerate(pages) if p.slug == page.slug)
    toc = "".join(
        f'<li><a href="{b}{attr(p.path)}"'
        + (' aria-current="page"' if p.slug == page.slug else "")
        + f">{esc(p.title)}</a></li>"
        for p in pages
    )
    pager = []
    if index > 0:
        prev = pages[index - 1]
        pager.append(
            f'<a class="prev" rel="prev" href="{b}{attr(prev.path)}">'
            f"← {esc(prev.title)}</a>"
        )
    if index + 1 < len(pages):
        nxt = pages[index + 1]
        pager.append(
            f'<a class="next" rel="next" href="{b}{attr(nxt.path)}">'
            f"{esc(nxt.title)} →</a>"
        )
    heading = "" if title_in_body else f"<h1>{esc(page.title)}</h1>"
    repo_link = (
        f'<a class="repo" href="{attr(repository)}" rel="noopener">Repository</a>'
        if repository
        else ""
    )
    made = f" with {esc(generator)}" if generator else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(page.title)} · {esc(site_title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{b}/conclab-site.css">
<script src="{b}/conclab-search.js" defer></script>
</head>
<body data-base-url="{b}">
<header class="site-header">
<a class="site-title" href="{b}/">{esc(site_title)}</a>
<form class="search" role="search" onsubmit="return false">
<input id="conclab-search" type="search" placeholder="Search the course"
 aria-label="Search the course" autocomplete="off">
<ol id="conclab-search-results" hidden></ol>
</form>
{repo_link}
</header>
<div class="layout">
<nav class="toc" aria-label="Notebooks"><ol>{toc}</ol></nav>
<main id="content">
<article class="page" data-slug="{attr(page.slug)}">
{heading}{body}
</article>
<nav class="pager" aria-label="Previous and next notebook">{"".join(pager)}</nav>
</main>
</div>
<footer class="site-footer">Built{made} from the stored notebooks: every output
on this page is the one stored in the notebook.</footer>
</body>
</html>
"""
