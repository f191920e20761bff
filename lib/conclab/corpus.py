"""An offline English-like corpus and a local HTTP server that serves it.

Introduced in ``01_processes_and_threads.ipynb``. The original notes fetched
RFCs 1000–1019 from the internet; the course serves look-alike documents
1000–1019 from ``127.0.0.1`` instead, so I/O is real socket I/O that works
offline, in a classroom and in CI, with a latency you choose.

The text is generated, not shipped: a fixed vocabulary of common English words
drawn with Zipf-like weights by a pseudo-random stream made of SHA-256 digests
of a counter. Only integer arithmetic and ``hashlib`` are involved, so every
Python version on every platform produces the same bytes (the ``random``
module's ``choices``/``shuffle`` are not promised to stay the same).
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import re
import struct
import threading
import urllib.parse
from collections.abc import Iterable, Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ._validate import check_int, check_number

__all__ = [
    "DOCUMENT_NUMBERS",
    "MAX_LATENCY",
    "RFC_BASE_URL",
    "CorpusServer",
    "corpus",
    "document",
    "fetch_rfcs",
    "serve_corpus",
]

#: The documents of the course, numbered like the RFCs the notes fetched.
DOCUMENT_NUMBERS = tuple(range(1000, 1020))

#: Where :func:`fetch_rfcs` finds the real RFCs.
RFC_BASE_URL = "https://www.rfc-editor.org/rfc/"

#: The longest per-request latency :func:`serve_corpus` accepts (seconds).
MAX_LATENCY = 5.0

# Common English words, most frequent first (weights fall off like 1/rank).
_WORD_TEXT = """
the of and to a in is that for it as was with be by on not he this are or his
from at which but have an they you were her she there one all we their can has
been more if will would so no when who what its out up into them some time only
other new than then these two may any could about first also do like over such
our after most made many before must through back years where much your way
well down should because each just those people how too little state good very
make world still own see men work long here between both life being under never
day same another know while last might us great old year off come since against
go came right used take three states himself few house use during without again
place around however home small found thought went say part once general high
upon school every does got united left number course war until always away
something fact water though less public put think almost hand enough far took
head yet government system better set told nothing night end why called didn
eyes find going look asked later knew point next program city business give
group toward young days let room president side social given present several
order national second possible rather per face among form important often
things looking early white case john become large big need four within felt
along children saw best church ever least power development light thing seemed
family interest want members mind country area others although turn done open
god service certain kind problem began different door thus help sense means
whole matter perhaps itself york times law human line above name example action
company hands local show whether five history gave today either act feet across
taken past quite anything seen having death experience body word half really
week field car words already themselves information tell together college shall
money period held keep sure free seems political real behind question air office
making brought whose special heard major problems ago became federal study
available known result street economic boy position reason change south board
individual job society areas west close turned community true court force full
network host protocol message data packet address server request reply user
file text mail remote access control value query quick zone size jump quiet
exactly object subject move box six next zero lazy puzzle jazz
"""
_WORDS = tuple(_WORD_TEXT.split())

_CUMULATIVE: list[int] = []
_total = 0
for _rank, _ in enumerate(_WORDS):
    _total += 1_000_000 // (_rank + 3)
    _CUMULATIVE.append(_total)
_TOTAL_WEIGHT = _total
del _rank, _total


def _numbers(seed: bytes) -> Iterator[int]:
    """Deterministic 32-bit numbers: SHA-256 of ``seed:counter``, 8 per digest."""
    for counter in itertools.count():
        yield from struct.unpack(
            ">8I", hashlib.sha256(b"%s:%d" % (seed, counter)).digest()
        )


class _Stream:
    """The pseudo-random choices of one document (integer arithmetic only)."""

    def __init__(self, seed: str) -> None:
        self.next = _numbers(seed.encode("ascii")).__next__

    def below(self, n: int) -> int:
        return self.next() % n

    def words(self, count: int) -> list[str]:
        draw, cumulative, total = self.next, _CUMULATIVE, _TOTAL_WEIGHT
        pick = bisect.bisect_right
        return [_WORDS[pick(cumulative, draw() % total)] for _ in range(count)]


def _sentence(stream: _Stream) -> str:
    words = stream.words(5 + stream.below(14))
    for i in range(1, len(words) - 1):
        if stream.below(10) == 0:
            words[i] += ","
    words[0] = words[0].capitalize()
    return " ".join(words) + ("?" if stream.below(20) == 0 else ".")


def _wrap(text: str, width: int = 72) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return lines


@functools.lru_cache(maxsize=256)
def document(number: int) -> str:
    """The English-like text of document ``number`` (5–20 KB, ASCII).

    Deterministic: the same text on every Python version and platform. It
    starts with a title block, has paragraphs of lines wrapped at 72
    characters, and its letter frequencies look like English (e, t, a, o …
    most common). Any number from 1 to 99999 works; the course uses
    :data:`DOCUMENT_NUMBERS`.
    """
    check_int("number", number, minimum=1, maximum=99_999)
    stream = _Stream(f"conclab-document-{number}")
    target = 5_000 + stream.below(14_001)
    title = " ".join(stream.words(3 + stream.below(4))).title()
    lines = [f"Document {number}", "", title, ""]
    size = sum(len(line) + 1 for line in lines)
    while size < target:
        paragraph = " ".join(_sentence(stream) for _ in range(2 + stream.below(5)))
        block = [*_wrap(paragraph), ""]
        lines.extend(block)
        size += sum(len(line) + 1 for line in block)
    return "\n".join(lines)


def corpus(numbers: Iterable[int] = DOCUMENT_NUMBERS) -> dict[int, str]:
    """``{number: document(number)}`` for ``numbers`` (default: 1000–1019)."""
    return {number: document(number) for number in _check_numbers(numbers)}


def _check_numbers(numbers: Iterable[int]) -> tuple[int, ...]:
    if isinstance(numbers, (str, bytes)) or not isinstance(numbers, Iterable):
        raise TypeError(
            f"numbers must be an iterable of ints, got {type(numbers).__name__}"
        )
    out = tuple(numbers)
    for number in out:
        check_int("numbers", number, minimum=1, maximum=99_999)
    return out


# --------------------------------------------------------------------------
# The local server
# --------------------------------------------------------------------------

_PATH = re.compile(r"/rfc/rfc(\d{1,5})\.txt")


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
            links = "".join(f"/rfc/rfc{n}.txt\n" for n in self.server.numbers)
            self._reply(HTTPStatus.OK, links.encode("ascii"), head_only)
            return
        match = _PATH.fullmatch(path)
        if match is None or int(match.group(1)) not in self.server.numbers:
            self._error(HTTPStatus.NOT_FOUND, "no such document", head_only)
            return
        body = document(int(match.group(1))).encode("utf-8")
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
        self.numbers = frozenset(numbers)
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


class CorpusServer:
    """A running corpus server on ``127.0.0.1``; made by :func:`serve_corpus`.

    ``base_url``, ``url(number)``, ``urls(numbers)``, ``requests`` (how many
    requests it has answered so far), ``latency``. Close it with a ``with``
    block or :meth:`close`; closing twice is fine.
    """

    def __init__(
        self, latency: float = 0.0, numbers: Iterable[int] = DOCUMENT_NUMBERS
    ) -> None:
        self.latency = check_number("latency", latency, minimum=0, maximum=MAX_LATENCY)
        self.numbers = _check_numbers(numbers)
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
        return f"{self.base_url}/rfc/rfc{number}.txt"

    def urls(self, numbers: Iterable[int] | None = None) -> list[str]:
        """URLs of ``numbers`` (default: every document this server serves)."""
        chosen = self.numbers if numbers is None else _check_numbers(numbers)
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

    def __enter__(self) -> CorpusServer:
        return self

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


def _fetch_all(urls: dict[int, str], timeout: float) -> dict[int, str]:
    from concurrent.futures import ThreadPoolExecutor

    from .workloads import fetch_text

    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="conclab-rfc") as pool:
        futures = {n: pool.submit(fetch_text, url, timeout) for n, url in urls.items()}
        return {n: f.result() for n, f in futures.items()}


def fetch_rfcs(
    numbers: Iterable[int] = range(1000, 1020),
    timeout: float = 5.0,
    base_url: str = RFC_BASE_URL,
) -> dict[int, str]:
    """The real RFCs ``numbers`` from the internet, else the offline corpus.

    Fetches ``{base_url}rfc{n}.txt`` with 8 threads. On any failure (no
    internet, a timeout, a missing RFC) prints one line, ``offline: using the
    built-in corpus instead``, and returns :func:`corpus` ``(numbers)``.
    The notes did this in ``01``; the course uses the offline corpus by default.
    """
    chosen = _check_numbers(numbers)
    timeout = check_number("timeout", timeout, minimum=0.001, maximum=120)
    if not isinstance(base_url, str) or not base_url.startswith(
        ("http://", "https://")
    ):
        raise ValueError(
            f"base_url must start with http:// or https://, got {base_url!r}"
        )
    base = base_url if base_url.endswith("/") else base_url + "/"
    try:
        return _fetch_all({n: f"{base}rfc{n}.txt" for n in chosen}, timeout)
    except Exception as exc:
        reason = type(exc).__name__
        print(f"offline: using the built-in corpus instead ({reason})")
        return corpus(chosen)
