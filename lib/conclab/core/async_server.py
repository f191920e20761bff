"""The corpus served by an asyncio server in a process of its own.

Introduced in ``11_asyncio.ipynb``. The course's first server
(:func:`conclab.serve_corpus`) is a ``ThreadingHTTPServer`` inside the
notebook's process: one thread per connection, a listen backlog of 128, and
the client's Python work sharing one GIL with the server's. That is fine for
twenty documents, not for ten thousand requests at once. This one is a
single-threaded asyncio server (one coroutine per connection) in a child
process started with :func:`conclab.mp_context`, on ``127.0.0.1`` and a free
port, with a listen backlog as long as the system allows and an open-file
limit raised to what ``max_connections`` needs.

It serves the same documents at the same paths (``/rfc/rfc1000.txt``), after
a server-side ``latency`` (seconds, ``asyncio.sleep``, so waits overlap), and
two query options the notebook uses:

``?latency=0.5``
    this request's own latency (0–5 s), e.g. a slow request for a timeout.
``?hold=ID``
    hold the answer until run ``ID`` is released (at most ``gate_timeout``
    seconds, :data:`GATE_TIMEOUT` by default), then wait the latency.
    ``GET /gate?run=ID`` answers ``arrived N`` (how many requests of that
    run are held), ``GET /gate?run=ID&release=1`` lets them go. A client
    that starts N requests, waits until N have arrived, measures its memory
    and then releases them has measured N requests in flight at once.

``Connection: close`` on every answer; the server closes first. Nothing in
this module runs at import; the server runs only inside ``with``
:func:`serve_corpus_async` (or until :meth:`AsyncCorpusServer.close`).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .children import stop_process
from .corpus import DOCUMENT_NUMBERS, check_numbers, document
from .server import MAX_LATENCY
from .validate import check_int, check_number

__all__ = [
    "GATE_TIMEOUT",
    "MAX_CONNECTIONS",
    "AsyncCorpusServer",
    "raise_open_files",
    "serve_corpus_async",
]

#: The most simultaneous connections a server (or a client burst) is sized for.
MAX_CONNECTIONS = 20_000

#: Longest time (s) a ``?hold=ID`` request waits to be released.
GATE_TIMEOUT = 20.0

_PATH = re.compile(r"/rfc/rfc(\d{1,5})\.txt")
_SPARE_FILES = 64  # descriptors beyond one per connection (stdio, pipes, …)
_START_TIMEOUT = 60.0


def raise_open_files(needed: int) -> int:
    """Raise this process's soft limit of open files to ``needed`` if it is
    lower (never above the hard limit); return the soft limit now in force.

    Every socket is a file descriptor: 10,000 connections need 10,000 of
    them, and many systems start processes with a soft limit of 1,024
    (macOS: 256). POSIX only; elsewhere (Windows has no such limit for
    sockets) it returns ``needed``. Notebook 11.
    """
    check_int("needed", needed, minimum=1)
    try:
        import resource
    except ImportError:  # Windows
        return needed
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        with contextlib.suppress(ValueError, OSError):  # macOS caps lower
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return needed if soft == resource.RLIM_INFINITY else int(soft)


# --------------------------------------------------------------------------
# Inside the server process
# --------------------------------------------------------------------------


@dataclass
class _Gate:
    arrived: int = 0
    released: bool = False
    event: asyncio.Event = field(default_factory=asyncio.Event)

    def release(self) -> None:
        self.released = True
        self.event.set()


@dataclass
class _State:
    latency: float
    bodies: dict[int, bytes]
    index: bytes
    gate_timeout: float = GATE_TIMEOUT
    requests: int = 0
    errors: int = 0
    open: int = 0
    peak_open: int = 0
    gate_timeouts: int = 0
    gates: dict[str, _Gate] = field(default_factory=dict)

    def stats(self) -> dict[str, Any]:
        return {
            "latency": self.latency,
            "requests": self.requests,
            "errors": self.errors,
            "open": self.open,
            "peak_open": self.peak_open,
            "gate_timeouts": self.gate_timeouts,
        }

    def reset(self) -> None:
        self.requests = self.errors = self.gate_timeouts = 0
        self.peak_open = self.open


def _answer(status: int, phrase: str, body: bytes) -> bytes:
    head = (
        f"HTTP/1.1 {status} {phrase}\r\n"
        "Server: conclab-async-corpus/1\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


def _error(status: int, phrase: str, why: str) -> bytes:
    return _answer(status, phrase, f"{status} {phrase}: {why}\n".encode())


def _gate(state: _State, run: str) -> _Gate:
    gate = state.gates.get(run)
    if gate is None:
        if len(state.gates) >= 64:  # forget the oldest released runs
            for key in [k for k, g in state.gates.items() if g.released][:32]:
                del state.gates[key]
        gate = state.gates[run] = _Gate()
    return gate


def _gate_report(state: _State, query: dict[str, list[str]]) -> bytes:
    gate = _gate(state, query.get("run", [""])[0])
    if query.get("release", ["0"])[0] == "1":
        gate.release()
    word = "released" if gate.released else "held"
    return _answer(200, "OK", f"arrived {gate.arrived}, {word}\n".encode("ascii"))


async def _hold(state: _State, run: str) -> None:
    gate = _gate(state, run)
    gate.arrived += 1
    if gate.released:
        return
    try:
        await asyncio.wait_for(gate.event.wait(), state.gate_timeout)
    except TimeoutError:
        state.gate_timeouts += 1
        gate.release()


def _number(query: dict[str, list[str]], name: str, high: float) -> float | None:
    if name not in query:
        return None
    value = float(query[name][0])
    if not 0 <= value <= high:
        raise ValueError(name)
    return value


async def _reply(state: _State, target: str) -> bytes:
    """What to send for ``GET target`` (after the waits it asks for)."""
    parts = urllib.parse.urlsplit(target)
    path = urllib.parse.unquote(parts.path)
    query = urllib.parse.parse_qs(parts.query)
    if path == "/gate":
        return _gate_report(state, query)
    try:
        latency = _number(query, "latency", MAX_LATENCY)
    except ValueError as exc:
        return _error(400, "Bad Request", f"bad {exc}")
    if "hold" in query:
        await _hold(state, query["hold"][0])
    wait = state.latency if latency is None else latency
    if wait > 0:
        await asyncio.sleep(wait)
    if path == "/":
        return _answer(200, "OK", state.index)
    match = _PATH.fullmatch(path)
    if match is None or int(match.group(1)) not in state.bodies:
        return _error(404, "Not Found", "no such document")
    return _answer(200, "OK", state.bodies[int(match.group(1))])


async def _handle(
    state: _State, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """One connection: read one request, answer it, close."""
    state.open += 1
    state.peak_open = max(state.peak_open, state.open)
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        state.requests += 1
        method, target, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
        if method not in ("GET", "HEAD"):
            answer = _error(405, "Method Not Allowed", "only GET and HEAD")
        else:
            answer = await _reply(state, target)
            if method == "HEAD":
                answer = answer.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
        writer.write(answer)
        await writer.drain()
    except (TimeoutError, OSError, ValueError, asyncio.IncompleteReadError):
        state.errors += 1  # a client that hung up: counted, never printed
    except asyncio.LimitOverrunError:
        state.errors += 1
    finally:
        state.open -= 1
        writer.close()


def _commands(conn: Any, loop: asyncio.AbstractEventLoop, state: _State, stop: Any):
    """The control channel, in a thread of the server process: the parent
    asks for stats, sets the latency, or stops the server."""

    def on_loop(action: Any) -> Any:
        async def run() -> Any:
            return action()

        return asyncio.run_coroutine_threadsafe(run(), loop).result(10)

    import multiprocessing
    from multiprocessing.connection import wait

    parent = multiprocessing.parent_process()
    watched = [conn] if parent is None else [conn, parent.sentinel]
    try:
        while True:
            # Under fork this process also holds the parent's end of the
            # pipe, so a killed parent (a restarted kernel) never shows as
            # EOF: its sentinel does.
            if conn not in wait(watched):
                break
            try:
                command, *args = conn.recv()
            except (EOFError, OSError):  # the parent went away: stop
                break
            if command == "stop":
                break
            if command == "latency":
                seconds = float(args[0])
                on_loop(lambda: setattr(state, "latency", seconds))  # noqa: B023
                conn.send(("ok", None))
            elif command == "stats":
                conn.send(("ok", on_loop(state.stats)))
            elif command == "reset":
                conn.send(("ok", on_loop(state.reset)))
            else:
                conn.send(("error", f"unknown command {command!r}"))
    finally:
        loop.call_soon_threadsafe(stop.set)


async def _main(
    conn: Any,
    latency: float,
    numbers: tuple[int, ...],
    connections: int,
    gate_timeout: float,
) -> None:
    limit = raise_open_files(connections + _SPARE_FILES)
    bodies = {n: document(n).encode("utf-8") for n in numbers}
    index = "".join(f"/rfc/rfc{n}.txt\n" for n in numbers).encode("ascii")
    state = _State(latency, bodies, index, gate_timeout)
    server = await asyncio.start_server(
        lambda r, w: _handle(state, r, w),
        "127.0.0.1",
        0,
        backlog=min(max(connections, 128), 65_535),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    control = threading.Thread(
        target=_commands,
        args=(conn, loop, state, stop),
        name="conclab-async-corpus-control",
        daemon=True,
    )
    async with server:
        port = server.sockets[0].getsockname()[1]
        conn.send(("ready", (port, limit)))
        control.start()
        await stop.wait()
    conn.send(("stopped", state.stats()))


def _serve(
    conn: Any,
    latency: float,
    numbers: tuple[int, ...],
    connections: int,
    gate_timeout: float = GATE_TIMEOUT,
) -> None:
    """The server process's target (importable by name for spawn/forkserver)."""
    try:
        asyncio.run(_main(conn, latency, numbers, connections, gate_timeout))
    except BaseException as exc:  # report to the parent, never hang it
        with contextlib.suppress(OSError):
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


# --------------------------------------------------------------------------
# In the notebook's process
# --------------------------------------------------------------------------


class AsyncCorpusServer(contextlib.AbstractContextManager["AsyncCorpusServer"]):
    """A running asyncio corpus server; made by :func:`serve_corpus_async`.

    ``base_url``, ``url(number, **query)``, ``urls(count)``, ``latency`` (set
    it to change the server's latency), ``stats()`` (requests answered,
    errors, connections open now and at most), ``reset_stats()``,
    ``open_files`` (the server's open-file limit), ``pid``. Close it with a
    ``with`` block or :meth:`close` (idempotent).
    """

    def __init__(
        self,
        latency: float = 0.0,
        numbers: Iterable[int] = DOCUMENT_NUMBERS,
        max_connections: int = 10_000,
        start_method: str | None = None,
        gate_timeout: float = GATE_TIMEOUT,
    ) -> None:
        from .env import mp_context

        self._latency = check_number("latency", latency, minimum=0, maximum=MAX_LATENCY)
        self.numbers = check_numbers(numbers)
        if not self.numbers:
            raise ValueError("numbers must name at least one document")
        self.max_connections = check_int(
            "max_connections", max_connections, minimum=1, maximum=MAX_CONNECTIONS
        )
        self.gate_timeout = check_number(
            "gate_timeout", gate_timeout, minimum=0.01, maximum=600
        )
        ctx = mp_context(start_method)
        self._lock = threading.Lock()
        self._conn, child = ctx.Pipe()
        self._process: Any = ctx.Process(
            target=_serve,
            args=(
                child,
                self._latency,
                self.numbers,
                self.max_connections,
                self.gate_timeout,
            ),
            name="conclab-async-corpus",
            daemon=True,
        )
        self._final: dict[str, Any] | None = None
        try:
            self._process.start()
            child.close()
            kind, value = self._receive(_START_TIMEOUT)
            if kind != "ready":
                raise RuntimeError(f"the server did not start: {value}")
        except BaseException:
            self.close()
            raise
        self.port, self.open_files = int(value[0]), int(value[1])
        self.host = "127.0.0.1"
        self.base_url = f"http://{self.host}:{self.port}"

    # -- talking to the server process ----------------------------------------

    def _receive(self, timeout: float) -> tuple[str, Any]:
        if not self._conn.poll(timeout):
            raise TimeoutError(f"the server did not answer within {timeout} s")
        try:
            return self._conn.recv()
        except EOFError:
            raise RuntimeError(
                f"the server process ended (exit code {self._process.exitcode})"
            ) from None

    def _ask(self, *command: Any) -> Any:
        with self._lock:
            if not self.running:
                raise RuntimeError("the server is closed")
            self._conn.send(command)
            kind, value = self._receive(10)
        if kind != "ok":
            raise RuntimeError(f"the server answered {kind}: {value}")
        return value

    @property
    def running(self) -> bool:
        """True until :meth:`close`."""
        return self._final is None and self._process.is_alive()

    @property
    def pid(self) -> int | None:
        """The server process's id."""
        return self._process.pid

    @property
    def latency(self) -> float:
        """The server's latency (s); assign to change it for later requests."""
        return self._latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        seconds = check_number("latency", seconds, minimum=0, maximum=MAX_LATENCY)
        self._ask("latency", seconds)
        self._latency = seconds

    def stats(self) -> dict[str, Any]:
        """``requests``, ``errors``, ``open``, ``peak_open`` (most connections
        open at once), ``gate_timeouts``, ``latency``; after :meth:`close`,
        the last ones."""
        if self._final is not None:
            return dict(self._final)
        return self._ask("stats")

    def reset_stats(self) -> None:
        """Start counting requests, errors and the peak afresh."""
        self._ask("reset")

    # -- addresses --------------------------------------------------------------

    def url(self, number: int, **query: Any) -> str:
        """The URL of document ``number``, with query options
        (``latency=0.5``, ``hold="run-1"``)."""
        check_int("number", number, minimum=1, maximum=99_999)
        for name in query:
            if name not in ("latency", "hold"):
                raise ValueError(f"unknown query option {name!r}; use latency or hold")
        tail = f"?{urllib.parse.urlencode(query)}" if query else ""
        return f"{self.base_url}/rfc/rfc{number}.txt{tail}"

    def urls(self, count: int | None = None, **query: Any) -> list[str]:
        """``count`` URLs cycling through the documents (default: each once)."""
        count = len(self.numbers) if count is None else count
        check_int("count", count, minimum=0, maximum=MAX_CONNECTIONS)
        n = len(self.numbers)
        return [self.url(self.numbers[i % n], **query) for i in range(count)]

    # -- closing ----------------------------------------------------------------

    def close(self) -> None:
        """Stop the server and its process (terminate it if it does not
        stop within seconds). Idempotent."""
        if self._final is not None:
            return
        final: dict[str, Any] = {}
        process = self._process
        try:
            if process.pid is not None and process.is_alive():
                with self._lock, contextlib.suppress(OSError, TimeoutError):
                    self._conn.send(("stop",))
                    while True:  # skip any late reply; stop at "stopped"
                        kind, value = self._receive(10)
                        if kind == "stopped":
                            final = value
                            break
        except RuntimeError:
            pass
        finally:
            self._final = final
            self._conn.close()
            stop_process(process)

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "running" if self.running else "closed"
        return (
            f"AsyncCorpusServer({state}, {len(self.numbers)} documents, "
            f"latency={self._latency} s, up to {self.max_connections:,} connections)"
        )


def serve_corpus_async(
    latency: float = 0.0,
    numbers: Iterable[int] = DOCUMENT_NUMBERS,
    max_connections: int = 10_000,
    start_method: str | None = None,
    gate_timeout: float = GATE_TIMEOUT,
) -> AsyncCorpusServer:
    """Start the asyncio corpus server in a process of its own (see the module
    docstring) and return it once it listens on ``127.0.0.1``::

        with lab.serve_corpus_async(latency=0.1) as server:
            text = await lab.fetch_async(server.url(1000))

    ``max_connections`` sizes the listen backlog and the server's open-file
    limit; ``gate_timeout`` bounds how long a ``?hold=`` request waits to be
    released. Introduced in ``11_asyncio.ipynb``.
    """
    return AsyncCorpusServer(
        latency, numbers, max_connections, start_method, gate_timeout
    )
