"""Minimal local equivalents of the library pieces the benchmark times.

``bench/run.py`` uses the real ``conclab`` functions whenever they exist and
falls back to these only for a name the library does not (yet) export; the
report then says which figures came from a local equivalent. Everything here
is a module-level function so child processes (spawn, forkserver) can import
it by name.
"""

from __future__ import annotations

import hashlib
import http.server
import math
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from string import ascii_lowercase
from typing import Any


def count_primes(n: int) -> int:
    """Primes below ``n`` by trial division (CPU-bound pure Python)."""
    count = 0
    for k in range(2, n):
        for d in range(2, math.isqrt(k) + 1):
            if k % d == 0:
                break
        else:
            count += 1
    return count


def _buffer(size: int) -> bytes:
    block = bytes(range(256))
    return (block * (size // 256 + 1))[:size]


def hash_bytes(size: int, chunk: int = 0, rounds: int = 1) -> str:
    """sha256 of ``size`` bytes fed in ``chunk``-byte pieces (0 = at once)."""
    data = memoryview(_buffer(size))
    digest = hashlib.sha256()
    for _ in range(rounds):
        if chunk == 0:
            digest.update(data)
        else:
            for start in range(0, size, chunk):
                digest.update(data[start : start + chunk])
    return digest.hexdigest()


def sleep_task(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def fetch_text(url: str, timeout: float = 10) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode("utf-8")


def count_letters(text: str) -> dict[str, int]:
    counts = Counter(ch for ch in text.lower() if ch in ascii_lowercase)
    return {ch: counts.get(ch, 0) for ch in ascii_lowercase}


def document(number: int) -> str:
    words = ("concurrency", "thread", "process", "lock", "queue", "python", "gil")
    return " ".join(words[(number * 7 + i * i) % len(words)] for i in range(2000))


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        time.sleep(self.server.latency)  # type: ignore[attr-defined]
        number = int(self.path.rsplit("rfc", 1)[-1].split(".")[0])
        body = document(number).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


@dataclass
class LocalServer:
    base_url: str

    def url(self, number: int) -> str:
        return f"{self.base_url}/rfc/rfc{number}.txt"

    def urls(self, numbers: Sequence[int] = tuple(range(1000, 1020))) -> list[str]:
        return [self.url(n) for n in numbers]


@contextmanager
def serve_corpus(latency: float = 0.0) -> Iterator[LocalServer]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.latency = latency  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LocalServer(f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@dataclass
class RunResult:
    mode: str
    workers: int
    start_method: str | None
    results: list[Any]
    wall: float
    spans: list[Any] = field(default_factory=list)


def run(
    task: Callable[[Any], Any],
    inputs: Sequence[Any],
    mode: str = "sequential",
    workers: int = 1,
    start_method: str | None = None,
) -> RunResult:
    """Sequential loop, a thread pool or a process pool; no spans recorded."""
    start = time.perf_counter()
    if mode == "sequential":
        results = [task(x) for x in inputs]
    elif mode == "threads":
        with ThreadPoolExecutor(workers) as pool:
            results = list(pool.map(task, inputs))
    else:
        from conclab.env import mp_context

        ctx = mp_context(start_method)
        with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            results = list(pool.map(task, inputs))
    return RunResult(mode, workers, start_method, results, time.perf_counter() - start)


def count_locked_per_char(text: str, threads: int = 4) -> dict[str, int]:
    """Every thread takes the shared lock for every letter (the notes' mutex)."""
    table = dict.fromkeys(ascii_lowercase, 0)
    lock = threading.Lock()
    parts = [text[i::threads] for i in range(threads)]

    def work(part: str) -> None:
        for ch in part.lower():
            if ch in table:
                with lock:
                    table[ch] += 1

    pool = [threading.Thread(target=work, args=(p,)) for p in parts]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return table


def count_local_then_merge(text: str, threads: int = 4) -> dict[str, int]:
    """Every thread counts its part locally and merges once under the lock."""
    table = dict.fromkeys(ascii_lowercase, 0)
    lock = threading.Lock()
    parts = [text[i::threads] for i in range(threads)]

    def work(part: str) -> None:
        local = count_letters(part)
        with lock:
            for ch, n in local.items():
                table[ch] += n

    pool = [threading.Thread(target=work, args=(p,)) for p in parts]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return table


def empty_child() -> None:
    """The target of the start-method measurement: does nothing."""
