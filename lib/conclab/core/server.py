"""A local HTTP server for the corpus, on 127.0.0.1 and a free port.

Introduced in ``01_processes_and_threads.ipynb``: real socket I/O that works
offline, with a latency you choose, closed by a ``with`` block.
"""

from __future__ import annotations

import contextlib
import threading
import urllib.parse
from collections.abc import Iterable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .corpus import DOCUMENT_NUMBERS, check_numbers, document, document_path
from .validate import check_int, check_number

__all__: list[str] = ["MAX_LATENCY", "CorpusServer", "serve_corpus"]


#: The longest per-request latency :func:`serve_corpus` accepts (seconds).
MAX_LATENCY = 5.0


class _Handler(BaseHTTPRequestHandler):
    """Serves only corpus documents; never touches the file system."""

    server: _Server
    server_version = "conclab-corpus/1"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: nothing printed into notebooks."""

    def _reply(
        self, status: HTTPStatus, body: bytes, head_only: bool = False, **headers: str
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        if not head_only:
            self.wfile.write(body)

    def _error(self, status: HTTPStatus, why: str, head_only: bool, **h: str) -> None:
        self._reply(
            status, f"{status.value} {status.phrase}: {why}\n".encode(), head_only, **h
        )

    def _serve(self, head_only: bool) -> None:
        self.server.count_request()
        latency = self.server.latency
        if latency > 0:
            import time

            time.sleep(latency)
        raw = urllib.parse.urlsplit(self.path).path
        path = urllib.parse.unquote(raw)
        if (
            not path.startswith("/")
            or ".." in path.split("/")
            or "\\" in path
            or "\x00" in path
            or "//" in path
        ):
            self._error(HTTPStatus.BAD_REQUEST, "bad path", head_only)
            return
        if path == "/":
            links = "".join(f"{p}\n" for p in self.server.paths)
            self._reply(HTTPStatus.OK, links.encode("ascii"), head_only)
            return
        number = self.server.paths.get(path)
        if number is None:
            self._error(HTTPStatus.NOT_FOUND, "no such document", head_only)
            return
        body = document(number).encode("utf-8")
        self._reply(HTTPStatus.OK, body, head_only)

    def do_GET(self) -> None:
        self._serve(head_only=False)

    def do_HEAD(self) -> None:
        self._serve(head_only=True)

    def _not_allowed(self) -> None:
        self.server.count_request()
        self._error(
            HTTPStatus.METHOD_NOT_ALLOWED, "only GET and HEAD", False, Allow="GET, HEAD"
        )

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = _not_allowed
    do_CONNECT = _not_allowed


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False
    # socketserver's default backlog is 5: a 6th simultaneous connect has its
    # SYN dropped and the client retries only after ~1 s.
    request_queue_size = 128

    def __init__(self, latency: float, numbers: tuple[int, ...]) -> None:
        self.latency = latency
        self.paths = {document_path(n): n for n in sorted(set(numbers))}
        self.requests = 0
        self.errors = 0
        self.finished = 0
        self._count = threading.Condition()
        super().__init__(("127.0.0.1", 0), _Handler)

    def count_request(self) -> None:
        with self._count:
            self.requests += 1

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: a client that hung up early must not print a traceback into
        the notebook (socketserver's default prints to stderr). Counted."""
        with self._count:
            self.errors += 1

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._count:
                self.finished += 1
                self._count.notify_all()

    def wait_finished(self, count: int, timeout: float) -> bool:
        """Wait until ``count`` connections have been handled completely."""
        with self._count:
            return self._count.wait_for(lambda: self.finished >= count, timeout)


class CorpusServer(contextlib.AbstractContextManager["CorpusServer"]):
    """A running corpus server on ``127.0.0.1``; made by :func:`serve_corpus`.

    ``base_url``, ``url(number)``, ``urls(numbers)``, ``requests`` (how many
    requests it has answered so far), ``latency``. Close it with a ``with``
    block or :meth:`close`; closing twice is fine.
    """

    def __init__(
        self, latency: float = 0.0, numbers: Iterable[int] = DOCUMENT_NUMBERS
    ) -> None:
        self.latency = check_number("latency", latency, minimum=0, maximum=MAX_LATENCY)
        self.numbers = check_numbers(numbers)
        self._requests = 0
        self._errors = 0
        self._server: _Server | None = _Server(self.latency, self.numbers)
        host, port = self._server.server_address[:2]
        self.host: str = str(host)
        self.port: int = int(port)
        self.base_url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="conclab-corpus-server",
            daemon=True,
        )
        self._thread.start()

    @property
    def requests(self) -> int:
        """Requests answered so far (counted thread-safely)."""
        return self._server.requests if self._server is not None else self._requests

    @property
    def errors(self) -> int:
        """Connections that failed while being answered (e.g. the client hung
        up during the latency); they are counted, never printed."""
        return self._server.errors if self._server is not None else self._errors

    def wait_finished(self, count: int, timeout: float = 10.0) -> bool:
        """Wait until ``count`` connections have been answered completely
        (the answer written, the socket closed); False on timeout."""
        check_int("count", count, minimum=0)
        timeout = check_number("timeout", timeout, minimum=0)
        server = self._server
        if server is None:
            raise RuntimeError("the server is closed")
        return server.wait_finished(count, timeout)

    @property
    def running(self) -> bool:
        """True until :meth:`close`."""
        return self._server is not None

    def url(self, number: int) -> str:
        """The URL of document ``number``."""
        check_int("number", number, minimum=1, maximum=99_999)
        return self.base_url + document_path(number)

    def urls(self, numbers: Iterable[int] | None = None) -> list[str]:
        """URLs of ``numbers`` (default: every document this server serves)."""
        chosen = self.numbers if numbers is None else check_numbers(numbers)
        return [self.url(n) for n in chosen]

    def close(self) -> None:
        """Stop serving, close the socket, join the server thread. Idempotent."""
        server, self._server = self._server, None
        if server is None:
            return
        self._requests = server.requests
        self._errors = server.errors
        try:
            server.shutdown()
        finally:
            server.server_close()
            self._thread.join(timeout=10)

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "running" if self.running else "closed"
        return (
            f"CorpusServer({state}, {len(self.numbers)} documents, "
            f"latency={self.latency} s)"
        )


def serve_corpus(
    latency: float = 0.0, numbers: Iterable[int] = DOCUMENT_NUMBERS
) -> CorpusServer:
    """Start a threaded HTTP server for the corpus on ``127.0.0.1``, a free port.

    ``GET /rfc/rfc1000.txt`` returns :func:`document` ``(1000)`` as UTF-8,
    after sleeping ``latency`` seconds (0–5) in that request's own thread, so
    the waits of concurrent requests overlap like a real server's. Unknown
    paths answer 404, path tricks 400, other methods than GET/HEAD 405. Use it
    as a context manager, which always shuts it down (also when the body
    raises or the cell is interrupted)::

        with lab.serve_corpus(latency=0.05) as server:
            text = lab.fetch_text(server.url(1000))

    or ``server = serve_corpus()`` … ``server.close()``.
    Introduced in ``01_processes_and_threads.ipynb``.
    """
    return CorpusServer(latency=latency, numbers=numbers)
