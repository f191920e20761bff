"""Clients for the corpus server: asyncio streams and plain sockets, a burst
of N concurrent requests measured in a child process, a loop-lag probe, and
a check that nothing is left running.

Introduced in ``11_asyncio.ipynb``. The notebook writes the concurrency
itself (tasks, ``gather``, ``TaskGroup``, semaphores, queues); what lives
here is either plumbing it shows with ``lab.print_source`` before use (the
two ``fetch_*`` functions, the probe) or what must run in another process
(:func:`burst`, which :func:`measure_burst` runs in a fresh child so that its
memory can be measured without the notebook's own).

Both clients send the same bytes: one ``GET`` with ``Connection: close``,
read the head up to the blank line, then exactly ``Content-Length`` bytes.
So a comparison of threads and tasks measures the concurrency model, not
two HTTP libraries.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import os
import socket
import threading
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .async_server import MAX_CONNECTIONS, AsyncCorpusServer, raise_open_files
from .children import inet_connections, live_children
from .corpus import document
from .kernel import KERNEL_MODULES, kernel_thread
from .letters import count_letters
from .timeline import now
from .validate import check_choice, check_int, check_number

__all__ = [
    "BURST_LEVELS",
    "BURST_MODES",
    "BurstResult",
    "HTTPStatusError",
    "LoopLag",
    "burst",
    "burst_levels",
    "burst_sweep",
    "expected_letters",
    "fetch_async",
    "fetch_blocking",
    "left_running",
    "measure_burst",
    "running_now",
    "tasks_burst",
    "threads_burst",
    "watch_loop",
]

#: The concurrency levels of the notebook's sweep (10,000 where allowed).
BURST_LEVELS = (10, 100, 1_000, 10_000)

#: The two ways :func:`burst` runs N requests at once.
BURST_MODES = ("asyncio", "threads")

_SPARE_FILES = 64
_GATE_POLL = 0.002
_runs = itertools.count()


class HTTPStatusError(Exception):
    """The server answered, but not with 200 OK (``status``, ``url``)."""

    def __init__(self, status: int, url: str) -> None:
        super().__init__(f"HTTP {status} for {url}")
        self.status = status
        self.url = url


def _split(url: str) -> tuple[str, int, str]:
    if not isinstance(url, str):
        raise TypeError(f"url must be a str, got {type(url).__name__} {url!r}")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"url must be an http:// URL with a host, got {url!r}")
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return parts.hostname, parts.port or 80, target


def _request(host: str, port: int, target: str) -> bytes:
    return (
        f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n"
    ).encode("ascii")


def _parse_head(head: bytes, url: str) -> int:
    """The Content-Length of a 200 answer; raise HTTPStatusError otherwise."""
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    if status != 200:
        raise HTTPStatusError(status, url)
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            return int(value)
    raise ValueError(f"no Content-Length in the answer from {url}")


async def fetch_async(url: str, timeout: float = 30.0) -> str:
    """GET ``url`` with asyncio streams; return the body as text.

    Standard library only. A ``ValueError`` for a malformed answer,
    :class:`HTTPStatusError` for a status other than 200, ``TimeoutError``
    after ``timeout`` seconds. ``11_asyncio.ipynb``.
    """
    host, port, target = _split(url)
    timeout = check_number("timeout", timeout, minimum=0.001)

    async def get() -> str:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(_request(host, port, target))
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")  # wait: no thread blocks
            body = await reader.readexactly(_parse_head(head, url))
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        return body.decode("utf-8")

    try:
        return await asyncio.wait_for(get(), timeout)
    except TimeoutError as exc:  # the same class as TimeoutError from 3.11
        raise TimeoutError(f"no answer from {url} within {timeout} s") from exc


def fetch_blocking(url: str, timeout: float = 30.0) -> str:
    """GET ``url`` with a blocking socket (one thread waits per request); the
    same bytes on the wire as :func:`fetch_async`. ``11_asyncio.ipynb``."""
    host, port, target = _split(url)
    timeout = check_number("timeout", timeout, minimum=0.001)
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(_request(host, port, target))
        reader = sock.makefile("rb")
        with reader:
            head = b""
            while not head.endswith(b"\r\n\r\n"):  # the thread waits here
                line = reader.readline()
                if not line:
                    raise ValueError(f"the connection closed early: {url}")
                head += line
            length = _parse_head(head, url)
            body = reader.read(length)
    if len(body) != length:
        raise ValueError(f"short body from {url}")
    return body.decode("utf-8")


# --------------------------------------------------------------------------
# A burst of N concurrent requests
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class BurstResult:
    """What one :func:`burst` measured.

    ``wall``: seconds from the first request started to the last letter
    counted. ``launch``: seconds until all ``requests`` were held at the
    server at once. ``rss_*``/``vms_*``: the process's resident memory and
    its address space (bytes) before the burst and while every request was
    waiting. ``letters``: the letter counts summed over every answer.
    ``errors``: requests that failed (``first_error`` says how).
    """

    mode: str
    requests: int
    latency: float
    wall: float
    launch: float
    rss_before: int
    rss_waiting: int
    vms_before: int
    vms_waiting: int
    letters: dict[str, int] = field(repr=False)
    errors: int = 0
    first_error: str = ""

    @property
    def memory_per_request(self) -> float:
        """Resident memory (bytes) per waiting request: the RSS growth while
        all were waiting, divided by their number."""
        return max(0, self.rss_waiting - self.rss_before) / self.requests

    @property
    def address_space_per_request(self) -> float:
        """Address space (bytes) reserved per waiting request (a thread's
        whole stack counts here, touched or not)."""
        return max(0, self.vms_waiting - self.vms_before) / self.requests

    @property
    def ok(self) -> bool:
        """Every request answered and counted."""
        return self.errors == 0


def _add(total: dict[str, int], part: dict[str, int]) -> None:
    for letter, count in part.items():
        total[letter] = total.get(letter, 0) + count


def _memory() -> tuple[int, int]:
    import psutil

    gc.collect()
    info = psutil.Process().memory_info()
    return int(info.rss), int(info.vms)


def _arrived(text: str) -> int:
    return int(text.split()[1].rstrip(","))


async def tasks_burst(
    urls: Sequence[str], all_waiting: Callable[[], Awaitable[None]], timeout: float
) -> list[Any]:
    """One task per URL, all in one thread: fetch, count the letters.

    ``all_waiting()`` returns once every request is waiting at the server
    (:func:`burst` measures the memory there). Returns each URL's letter
    table, or the exception it raised. Notebook 11.
    """

    async def count(url: str) -> dict[str, int]:
        return count_letters(await fetch_async(url, timeout))

    tasks = [asyncio.create_task(count(url)) for url in urls]
    await all_waiting()
    return await asyncio.gather(*tasks, return_exceptions=True)


def threads_burst(
    urls: Sequence[str], all_waiting: Callable[[], None], timeout: float
) -> list[Any]:
    """One thread per URL: fetch, count the letters (the notes' way).

    Same contract as :func:`tasks_burst`. Notebook 11.
    """
    results: list[Any] = [None] * len(urls)

    def count(i: int, url: str) -> None:
        try:
            results[i] = count_letters(fetch_blocking(url, timeout))
        except Exception as exc:
            results[i] = exc

    threads = [
        threading.Thread(target=count, args=(i, url)) for i, url in enumerate(urls)
    ]
    for thread in threads:
        thread.start()
    all_waiting()
    for thread in threads:
        thread.join(timeout)
    return results


def burst(
    mode: str,
    base_url: str,
    numbers: Sequence[int],
    requests: int,
    timeout: float = 60.0,
    latency: float = float("nan"),
) -> BurstResult:
    """Count letters over ``requests`` concurrent GETs with :func:`tasks_burst`
    (``mode="asyncio"``) or :func:`threads_burst` (``mode="threads"``).

    The URLs cycle through ``numbers``; the server
    (:func:`conclab.serve_corpus_async`) holds every answer (``?hold=``)
    until all ``requests`` have arrived and the memory has been read, then
    answers after its latency (``latency`` is only recorded in the result).
    Runs in the calling process: use
    :func:`measure_burst` for a fresh child. Notebook 11.
    """
    check_choice("mode", mode, BURST_MODES)
    check_int("requests", requests, minimum=1, maximum=MAX_CONNECTIONS)
    timeout = check_number("timeout", timeout, minimum=0.1)
    numbers = list(numbers)
    if not numbers:
        raise ValueError("numbers must name at least one document")
    raise_open_files(requests + _SPARE_FILES)
    run = f"{mode}-{requests}-{os.getpid()}-{next(_runs)}"
    hold = urllib.parse.urlencode({"hold": run})
    urls = [
        f"{base_url}/rfc/rfc{numbers[i % len(numbers)]}.txt?{hold}"
        for i in range(requests)
    ]
    gate = f"{base_url}/gate?{urllib.parse.urlencode({'run': run})}"
    seen: dict[str, Any] = {}
    before = _memory()
    start = now()
    deadline = start + timeout

    def note_waiting() -> None:
        seen["launch"] = now() - start
        seen["memory"] = _memory()

    async def all_waiting_async() -> None:
        while now() < deadline and _arrived(await fetch_async(gate)) < requests:
            await asyncio.sleep(_GATE_POLL)
        note_waiting()
        await fetch_async(gate + "&release=1")

    def all_waiting_blocking() -> None:
        while now() < deadline and _arrived(fetch_blocking(gate)) < requests:
            time.sleep(_GATE_POLL)
        note_waiting()
        fetch_blocking(gate + "&release=1")

    if mode == "asyncio":
        results = asyncio.run(tasks_burst(urls, all_waiting_async, timeout))
    else:
        results = threads_burst(urls, all_waiting_blocking, timeout)
    wall = now() - start
    total: dict[str, int] = {}
    errors = [r for r in results if not isinstance(r, dict)]
    for table in results:
        if isinstance(table, dict):
            _add(total, table)
    first = errors[0] if errors else None
    return BurstResult(
        mode=mode,
        requests=requests,
        latency=latency,
        wall=wall,
        launch=seen.get("launch", wall),
        rss_before=before[0],
        rss_waiting=seen.get("memory", before)[0],
        vms_before=before[1],
        vms_waiting=seen.get("memory", before)[1],
        letters=total,
        errors=len(errors),
        first_error="" if first is None else _describe(first),
    )


def _describe(error: Any) -> str:
    if error is None:
        return "no answer (the thread did not finish in time)"
    return f"{type(error).__name__}: {error}"


def measure_burst(
    server: AsyncCorpusServer,
    mode: str,
    requests: int,
    start_method: str | None = None,
    timeout: float = 60.0,
) -> BurstResult:
    """:func:`burst` against ``server`` in a fresh child process (started with
    :func:`conclab.mp_context`), so its memory is its own. Notebook 11."""
    from .children import run_in_child

    if not isinstance(server, AsyncCorpusServer):
        raise TypeError(
            f"server must come from serve_corpus_async, got {type(server).__name__}"
        )
    check_choice("mode", mode, BURST_MODES)
    check_int("requests", requests, minimum=1, maximum=server.max_connections)
    timeout = check_number("timeout", timeout, minimum=0.1)
    return run_in_child(
        burst,
        mode,
        server.base_url,
        tuple(server.numbers),
        requests,
        timeout,
        server.latency,
        method=start_method,
        timeout=timeout + 30,
    )


def burst_levels(
    levels: Iterable[int] = BURST_LEVELS, server: AsyncCorpusServer | None = None
) -> tuple[int, ...]:
    """The ``levels`` this machine allows: each needs one open file per
    request in the client (and in the server: at most its
    ``max_connections``) within the hard open-file limit."""
    hard = _hard_open_files()
    allowed = []
    for level in levels:
        check_int("levels", level, minimum=1, maximum=MAX_CONNECTIONS)
        fits = hard is None or level + _SPARE_FILES <= hard
        if server is not None:
            fits = fits and level <= min(server.max_connections, server.open_files)
        if fits:
            allowed.append(level)
    return tuple(allowed)


def _hard_open_files() -> int | None:
    try:
        import resource
    except ImportError:  # Windows: no such limit for sockets
        return None
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return None if hard == resource.RLIM_INFINITY else int(hard)


def burst_sweep(
    server: AsyncCorpusServer,
    levels: Iterable[int] = BURST_LEVELS,
    modes: Iterable[str] = BURST_MODES,
    start_method: str | None = None,
    timeout: float = 60.0,
) -> list[BurstResult]:
    """:func:`measure_burst` for every mode at every level this machine
    allows (:func:`burst_levels`), each in a fresh child. Notebook 11."""
    modes = [check_choice("modes", m, BURST_MODES) for m in modes]
    return [
        measure_burst(server, mode, level, start_method, timeout)
        for level in burst_levels(levels, server)
        for mode in modes
    ]


def expected_letters(numbers: Sequence[int], requests: int) -> dict[str, int]:
    """The letter counts that ``requests`` answers cycling through
    ``numbers`` must add up to (the sequential reference)."""
    check_int("requests", requests, minimum=0)
    numbers = list(numbers)
    total: dict[str, int] = {}
    for i, number in enumerate(numbers):
        times = requests // len(numbers) + (1 if i < requests % len(numbers) else 0)
        if times:
            table = count_letters(document(number))
            _add(total, {letter: n * times for letter, n in table.items()})
    return total


# --------------------------------------------------------------------------
# The loop-lag probe
# --------------------------------------------------------------------------


class LoopLag:
    """A probe task that asks the loop to wake it every ``interval`` seconds
    and records how late each wake-up came (see :func:`watch_loop`).

    ``samples``: ``(when, lateness)`` pairs in seconds on :func:`conclab.now`;
    ``max``: the worst lateness. A free loop wakes it within a millisecond
    or so; a loop held by blocking code cannot wake it at all until that
    code returns.
    """

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = check_number("interval", interval, minimum=0.0005, maximum=1)
        self.samples: list[tuple[float, float]] = []
        self._task: asyncio.Task[None] | None = None
        self._since: float | None = None

    async def probe(self) -> None:
        """The probe task: sleep ``interval``, note how late it woke, again."""
        while True:
            self._since = before = now()
            await asyncio.sleep(self.interval)  # a free loop wakes it on time
            woke = now()
            self.samples.append((woke, woke - before - self.interval))

    @property
    def max(self) -> float:
        """The worst lateness seen (seconds); 0 before any sample."""
        return max((late for _, late in self.samples), default=0.0)

    async def __aenter__(self) -> LoopLag:
        self._task = asyncio.create_task(self.probe(), name="conclab-lag-probe")
        await asyncio.sleep(0)  # let the probe take its first step
        return self

    async def __aexit__(self, *exc: object) -> None:
        task, self._task = self._task, None
        if self._since is not None:  # a wake-up that is due but has not run yet
            late = now() - self._since - self.interval
            if late > 0:
                self.samples.append((now(), late))
            self._since = None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def watch_loop(interval: float = 0.005) -> LoopLag:
    """``async with lab.watch_loop() as lag:`` — measure the event loop's lag
    while the body runs (``lag.max``, ``lag.samples``). Notebook 11."""
    return LoopLag(interval)


# --------------------------------------------------------------------------
# Nothing left running
# --------------------------------------------------------------------------


def _task_label(task: asyncio.Task[Any]) -> str:
    coro = task.get_coro()
    name = getattr(coro, "__qualname__", type(coro).__name__)
    return f"{task.get_name()} ({name})"


def _kernel_task(task: asyncio.Task[Any]) -> bool:
    frame = getattr(task.get_coro(), "cr_frame", None)
    module = frame.f_globals.get("__name__", "") if frame is not None else ""
    return module.split(".")[0] in KERNEL_MODULES


def running_now() -> dict[str, set[Any]]:
    """What is running in this process now: asyncio tasks (when a loop runs
    here), threads, inet sockets, child processes. Compare with
    :func:`left_running`. Notebook 11."""
    import psutil

    try:
        current = asyncio.current_task()
        tasks = {t for t in asyncio.all_tasks() if t is not current and not t.done()}
    except RuntimeError:  # no running loop in this thread
        tasks = set()
    sockets = {(c.laddr, c.raddr, c.status) for c in inet_connections(psutil.Process())}
    return {
        "tasks": tasks,
        "threads": set(threading.enumerate()),
        "sockets": sockets,
        "processes": set(live_children()),  # less multiprocessing's helpers
    }


_KEYS = {"tasks", "threads", "sockets", "processes"}


def left_running(before: dict[str, set[Any]]) -> dict[str, list[str]]:
    """What runs now and did not at ``before`` (from :func:`running_now`):
    tasks and threads (the kernel's own left out), sockets, and child
    processes (multiprocessing's forkserver and resource tracker left out).
    Empty lists mean that everything was cleaned up. Notebook 11."""
    if not isinstance(before, dict) or not set(before) >= _KEYS:
        raise TypeError("before must be what running_now() returned")
    now_running = running_now()
    tasks = [
        _task_label(t)
        for t in now_running["tasks"] - before["tasks"]
        if not _kernel_task(t)
    ]
    threads = [
        t.name
        for t in now_running["threads"] - before["threads"]
        if not kernel_thread(t)
    ]
    sockets = [
        f"{laddr.ip}:{laddr.port} -> "
        + (f"{raddr.ip}:{raddr.port}" if raddr else "-")
        + f" {status}"
        for laddr, raddr, status in now_running["sockets"] - before["sockets"]
    ]
    processes = [name for _, name in now_running["processes"] - before["processes"]]
    return {
        "tasks": sorted(tasks),
        "threads": sorted(threads),
        "sockets": sorted(sockets),
        "processes": sorted(processes),
    }
