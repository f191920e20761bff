"""The tasks the course times: CPU-bound, GIL-releasing C, I/O-bound, sleep.

Introduced in ``01_processes_and_threads.ipynb`` and ``02_the_gil.ipynb``.
Every workload is a module-level function, so a child process started with
``spawn`` or ``forkserver`` can import it by name (a function defined in a
notebook cell cannot be found there).
The panels offer them through :data:`conclab.WORKLOADS`
(:mod:`conclab.core.registry`).
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
import time
import zlib
from typing import Any

from .corpus import document
from .validate import check_int, check_number

__all__: list[str] = [
    "HASHLIB_GIL_MINSIZE",
    "compress_bytes",
    "count_primes",
    "do_something",
    "fetch_text",
    "hash_bytes",
    "make_buffer",
    "sleep_task",
]


#: hashlib releases the GIL only while hashing inputs of at least this many
#: bytes (``HASHLIB_GIL_MINSIZE`` in CPython's ``Modules/hashlib.h``).
HASHLIB_GIL_MINSIZE = 2048

#: The largest buffer a workload builds (bytes), to keep a typo from eating
#: the memory of a Colab machine.
MAX_BUFFER = 512 * 2**20


def count_primes(n: int) -> int:
    """Count the primes below ``n`` by trial division, in pure Python.

    The CPU-bound workload of ``02_the_gil.ipynb``: it holds the GIL all the
    time, so threads cannot speed it up on a GIL build; processes can. The
    cost grows like ``n ** 1.5 / log(n)`` (about ×5 for ×3 larger ``n``;
    ``n = 100_000`` takes some tens of milliseconds).
    """
    check_int("n", n, minimum=0, maximum=10**8)
    count = 0
    for candidate in range(2, n):
        if candidate % 2 == 0:
            count += candidate == 2
            continue
        divisor = 3
        while divisor * divisor <= candidate:
            if candidate % divisor == 0:
                break
            divisor += 2
        else:
            count += 1
    return count


@functools.lru_cache(maxsize=1)
def _block() -> bytes:
    """1 MiB of pseudo-random bytes: SHA-256 of a counter, the same everywhere."""
    digests = [
        hashlib.sha256(b"conclab-block-%d" % i).digest() for i in range(2**20 // 32)
    ]
    return b"".join(digests)


@functools.lru_cache(maxsize=4)
def make_buffer(size: int) -> bytes:
    """A deterministic buffer of ``size`` bytes, built once per process.

    The same bytes on every platform and Python version (a 1 MiB block of
    SHA-256 output, repeated), so :func:`hash_bytes` returns the same digest
    in every mode. Cached: the first call in a process pays ~20 ms, later calls
    nothing, so timing a workload does not time building its input.
    """
    check_int("size", size, minimum=0, maximum=MAX_BUFFER)
    block = _block()
    repeats, rest = divmod(size, len(block))
    return block * repeats + block[:rest]


def hash_bytes(size: int, chunk: int = 0, rounds: int = 1) -> str:
    """SHA-256 of a deterministic ``size``-byte buffer; returns the hex digest.

    ``chunk`` feeds the buffer in pieces of that many bytes (0: all at once).
    hashlib releases the GIL while it hashes a piece of 2048 bytes or more, so
    big pieces run in parallel in threads; small pieces hold the GIL and do
    not (``02_the_gil.ipynb``). ``rounds`` repeats the whole hash, chaining
    the digests, to make a task longer without a bigger buffer.
    """
    check_int("size", size, minimum=0, maximum=MAX_BUFFER)
    check_int("chunk", chunk, minimum=0)
    check_int("rounds", rounds, minimum=1, maximum=10_000)
    data = make_buffer(size)
    view = memoryview(data)
    digest = b""
    for _ in range(rounds):
        h = hashlib.sha256(digest)
        if chunk == 0 or chunk >= size:
            h.update(view)
        else:
            for start in range(0, size, chunk):
                h.update(view[start : start + chunk])
        digest = h.digest()
    return digest.hex()


@functools.lru_cache(maxsize=1)
def _text_block() -> bytes:
    """~60 KB of corpus text: longer than zlib's 32 KiB window, so repeating it
    does not make compression easier; cheap to build in a fresh process."""

    return "\n".join(document(n) for n in range(1000, 1006)).encode("utf-8")


@functools.lru_cache(maxsize=4)
def _text_buffer(size: int) -> bytes:
    block = _text_block()
    repeats, rest = divmod(size, len(block))
    return block * repeats + block[:rest]


def compress_bytes(size: int, level: int = 6) -> int:
    """Compress ``size`` bytes of the English-like corpus text with zlib.

    Returns the compressed length (the same in every mode). zlib releases the
    GIL while it compresses, so threads can run it in parallel
    (``02_the_gil.ipynb``). The text is built once per process and cached.
    """
    check_int("size", size, minimum=0, maximum=MAX_BUFFER)
    check_int("level", level, minimum=0, maximum=9)
    return len(zlib.compress(_text_buffer(size), level))


def sleep_task(seconds: float) -> float:
    """Sleep ``seconds`` and return them: waiting that releases the GIL.

    The simplest I/O-like task (``01_processes_and_threads.ipynb``).
    """
    seconds = check_number("seconds", seconds, minimum=0, maximum=60)
    time.sleep(seconds)
    return seconds


def fetch_text(url: str, timeout: float = 10, *, decode: bool = True) -> str:
    """GET ``url`` and return the body decoded as UTF-8.

    The I/O-bound workload of ``01_processes_and_threads.ipynb``, usually
    pointed at the local corpus server (:func:`conclab.serve_corpus`).
    Decoding matters: the original notes did ``str(response.read())``, the
    ``repr`` of the bytes, in which every newline is the two characters
    ``\\n`` and the letter ``n`` is over-counted; ``decode=False`` does just
    that, for ``05_race_conditions.ipynb``.
    """
    if not isinstance(url, str):
        raise TypeError(f"url must be a str, got {type(url).__name__} {url!r}")
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"url must start with http:// or https://, got {url!r}")
    timeout = check_number("timeout", timeout, minimum=0.001, maximum=600)
    import urllib.error  # here, not at the top: they cost a worker ~15 ms
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        exc.close()  # an HTTPError holds the open response: close it now
        raise
    return body.decode("utf-8") if decode else str(body)


def do_something(number: int, seconds: float = 0.15) -> dict[str, Any]:
    """The notes' worker: print, sleep ``seconds``, print, return who ran it.

    Prints ``Working {number} ...`` and ``Worker {number} finished.``;
    returns ``{"number", "pid", "thread"}`` so the parent can show which
    process and thread did the work (``01_processes_and_threads.ipynb``).
    Under pytest, what a child process prints is not captured: print the
    returned data in the parent instead.
    """
    check_int("number", number)
    seconds = check_number("seconds", seconds, minimum=0, maximum=60)
    print(f"Working {number} ...", flush=True)
    time.sleep(seconds)
    print(f"Worker {number} finished.", flush=True)
    return {
        "number": number,
        "pid": os.getpid(),
        "thread": threading.current_thread().name,
    }
