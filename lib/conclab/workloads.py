"""The tasks the course times: CPU-bound, GIL-releasing C, I/O-bound, sleep.

Introduced in ``01_processes_and_threads.ipynb`` and ``02_the_gil.ipynb``.
Every workload is a module-level function, so a child process started with
``spawn`` or ``forkserver`` can import it by name (a function defined in a
notebook cell cannot be found there).

:data:`WORKLOADS` is the registry the interactive panels offer in their
dropdown: a name mapped to a :class:`Workload` that knows its function, how to
build a list of inputs from one ``size`` knob, and what kind of work it is.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import threading
import time
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ._validate import check_choice, check_int, check_number

__all__ = [
    "HASHLIB_GIL_MINSIZE",
    "KINDS",
    "WORKLOADS",
    "Workload",
    "compress_bytes",
    "count_letters",
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

_LETTERS = "abcdefghijklmnopqrstuvwxyz"


# --------------------------------------------------------------------------
# CPU-bound pure Python
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# C code that releases the GIL (or not)
# --------------------------------------------------------------------------


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
    from .corpus import document

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


# --------------------------------------------------------------------------
# Waiting: sleep and HTTP
# --------------------------------------------------------------------------


def sleep_task(seconds: float) -> float:
    """Sleep ``seconds`` and return them: waiting that releases the GIL.

    The simplest I/O-like task (``01_processes_and_threads.ipynb``).
    """
    seconds = check_number("seconds", seconds, minimum=0, maximum=60)
    time.sleep(seconds)
    return seconds


def fetch_text(url: str, timeout: float = 10) -> str:
    """GET ``url`` and return the body decoded as UTF-8.

    The I/O-bound workload of ``01_processes_and_threads.ipynb``, usually
    pointed at the local corpus server (:func:`conclab.serve_corpus`).
    Decoding matters: the original notes did ``str(response.read())``, the
    ``repr`` of the bytes, in which every newline is the two characters
    ``\\n`` and the letter ``n`` is over-counted.
    """
    if not isinstance(url, str):
        raise TypeError(f"url must be a str, got {type(url).__name__} {url!r}")
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"url must start with http:// or https://, got {url!r}")
    timeout = check_number("timeout", timeout, minimum=0.001, maximum=600)
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode("utf-8")


# --------------------------------------------------------------------------
# The notes' examples
# --------------------------------------------------------------------------


def count_letters(text: str) -> dict[str, int]:
    """Count the letters a..z in ``text``, case-insensitively.

    All 26 keys are present, in alphabetical order, also for letters that do
    not occur (``05_race_conditions.ipynb`` counts letters over the corpus).
    Other characters (digits, spaces, accents, newlines) are ignored.
    """
    if not isinstance(text, str):
        raise TypeError(
            f"text must be a str, got {type(text).__name__}; decode bytes first "
            "with .decode('utf-8') (str(some_bytes) gives their repr)"
        )
    lowered = text.lower()
    return {letter: lowered.count(letter) for letter in _LETTERS}


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


# --------------------------------------------------------------------------
# The registry the panels use
# --------------------------------------------------------------------------

#: The kinds of work, as the panels label them.
KINDS = {
    "cpu": "CPU-bound pure Python: holds the GIL",
    "c": "C code: releases the GIL only where noted",
    "io": "waiting for the network: releases the GIL",
    "sleep": "sleeping: releases the GIL",
}


@dataclass(frozen=True)
class Workload:
    """One entry of :data:`WORKLOADS`: a task and how to build its inputs.

    ``func`` takes one input (it is a module-level function or a
    ``functools.partial`` of one, so it pickles by name). ``size`` is the one
    knob a panel's slider moves, between ``min_size`` and ``max_size`` in
    steps of ``step``, in ``unit``. ``make_inputs(size, count)`` returns the
    list of ``count`` inputs for :func:`conclab.run`.

    When ``needs_server`` is true (``"http fetch"``), the inputs are URLs of a
    running corpus server: either pass ``base_url=server.base_url`` to
    :meth:`make_inputs`, or, simpler, use :meth:`prepare`, which starts
    :func:`conclab.serve_corpus` with the latency ``size`` ms and closes it
    afterwards::

        w = WORKLOADS["http fetch"]
        with w.prepare(size=50, count=8) as inputs:
            result = run(w.func, inputs, mode="threads", workers=4)
    """

    name: str
    func: Callable[[Any], Any]
    build: Callable[..., list[Any]]
    kind: str
    description: str
    default_size: int
    min_size: int
    max_size: int
    step: int = 1
    unit: str = ""
    releases_gil: bool = False
    needs_server: bool = False

    def __post_init__(self) -> None:
        check_choice("kind", self.kind, KINDS)

    def make_inputs(
        self, size: int | None = None, count: int = 4, base_url: str | None = None
    ) -> list[Any]:
        """``count`` inputs of size ``size`` (default: ``default_size``)."""
        size = self.default_size if size is None else size
        check_int("size", size, minimum=self.min_size, maximum=self.max_size)
        check_int("count", count, minimum=1, maximum=10_000)
        if self.needs_server:
            if base_url is None:
                raise ValueError(
                    f"workload {self.name!r} needs a running corpus server: pass "
                    "base_url=server.base_url, or use workload.prepare(size, count)"
                )
            return self.build(size, count, base_url)
        return self.build(size, count)

    @contextlib.contextmanager
    def prepare(self, size: int | None = None, count: int = 4) -> Iterator[list[Any]]:
        """Context manager yielding :meth:`make_inputs`; runs the corpus server
        (latency ``size`` ms) for the duration when the workload needs one."""
        size = self.default_size if size is None else size
        if not self.needs_server:
            yield self.make_inputs(size, count)
            return
        from .corpus import serve_corpus

        check_int("size", size, minimum=self.min_size, maximum=self.max_size)
        with serve_corpus(latency=size / 1000) as server:
            yield self.make_inputs(size, count, base_url=server.base_url)

    def seconds(self, size: int | None = None) -> float | None:
        """For ``sleep`` and ``http fetch``: the wait per task in seconds."""
        size = self.default_size if size is None else size
        return size / 1000 if self.kind in ("sleep", "io") else None


def _repeat(value: Any, count: int) -> list[Any]:
    return [value] * count


def _primes_inputs(size: int, count: int) -> list[int]:
    return _repeat(size, count)


def _mib_inputs(size: int, count: int) -> list[int]:
    return _repeat(size * 2**20, count)


def _kib_inputs(size: int, count: int) -> list[int]:
    return _repeat(size * 2**10, count)


def _sleep_inputs(size: int, count: int) -> list[float]:
    return _repeat(size / 1000, count)


def _http_inputs(size: int, count: int, base_url: str) -> list[str]:
    from .corpus import DOCUMENT_NUMBERS

    base = base_url.rstrip("/")
    numbers = [DOCUMENT_NUMBERS[i % len(DOCUMENT_NUMBERS)] for i in range(count)]
    return [f"{base}/rfc/rfc{n}.txt" for n in numbers]


#: name -> :class:`Workload`, the dropdown of the speedup panels.
WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        Workload(
            name="primes",
            func=count_primes,
            build=_primes_inputs,
            kind="cpu",
            description="count primes below n in pure Python (holds the GIL)",
            default_size=100_000,
            min_size=1_000,
            max_size=500_000,
            step=1_000,
            unit="n",
        ),
        Workload(
            name="sha256 big buffers",
            func=hash_bytes,
            build=_mib_inputs,
            kind="c",
            description="sha256 of a buffer in one piece (releases the GIL)",
            default_size=32,
            min_size=1,
            max_size=256,
            unit="MiB",
            releases_gil=True,
        ),
        Workload(
            name="sha256 small pieces",
            func=functools.partial(hash_bytes, chunk=64),
            build=_kib_inputs,
            kind="c",
            description="sha256 fed 64 bytes at a time (< 2048: holds the GIL)",
            default_size=4096,
            min_size=16,
            max_size=32768,
            step=16,
            unit="KiB",
        ),
        Workload(
            name="zlib",
            func=compress_bytes,
            build=_mib_inputs,
            kind="c",
            description="zlib-compress English-like text (releases the GIL)",
            default_size=1,
            min_size=1,
            max_size=16,
            unit="MiB",
            releases_gil=True,
        ),
        Workload(
            name="sleep",
            func=sleep_task,
            build=_sleep_inputs,
            kind="sleep",
            description="time.sleep (releases the GIL)",
            default_size=50,
            min_size=0,
            max_size=1000,
            step=10,
            unit="ms",
            releases_gil=True,
        ),
        Workload(
            name="http fetch",
            func=fetch_text,
            build=_http_inputs,
            kind="io",
            description="GET a document from the local corpus server, "
            "latency = size ms (releases the GIL while waiting)",
            default_size=50,
            min_size=0,
            max_size=1000,
            step=10,
            unit="ms latency",
            releases_gil=True,
            needs_server=True,
        ),
    )
}
