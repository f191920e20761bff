"""The functions that ``13_dask.ipynb`` sends to Dask workers (and to a pool).

Each runs in another process — a Dask worker, or a ``ProcessPoolExecutor``
worker for the comparison — so each lives here, in an importable module, and
the notebook prints its source before using it. Dask itself could run
functions defined in the notebook (it pickles them *by value* with
cloudpickle); a process pool cannot under spawn and forkserver (it pickles
them by name). Keeping them here lets both run the same code.

Nothing here imports Dask: the functions are plain Python, usable by any
executor.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterable, Mapping

from .corpus import document
from .letters import LETTERS, count_letters
from .validate import check_int, check_number
from .workloads import fetch_text, make_buffer

__all__ = [
    "add_counts",
    "burn",
    "checksum",
    "document_letters",
    "make_block",
    "merge_counts",
    "noop",
    "square_slowly",
    "url_letters",
    "where",
]

#: The longest task :func:`burn` accepts (seconds), so a typo cannot hang a class.
MAX_BURN = 10.0


def _cpu_clock():
    """This thread's CPU time where it is precise (Linux, macOS), else wall time.

    ``time.thread_time`` ticks in 15.6 ms steps on Windows: useless for a 1 ms
    task, so there :func:`burn` falls back to ``perf_counter``.
    """
    if time.get_clock_info("thread_time").resolution <= 1e-4:
        return time.thread_time
    return time.perf_counter


def burn(seconds: float) -> float:
    """Keep one core busy for ``seconds`` of this thread's CPU time; return it.

    The task of a known size in ``13_dask.ipynb``: its cost does not depend on
    how fast the machine is, so ``n`` tasks of ``s`` seconds are ``n * s``
    seconds of work, and whatever a run takes beyond ``n * s / workers`` is
    the executor's overhead (or another program on the same cores). Pure
    Python: it holds the GIL while it runs.
    """
    seconds = check_number("seconds", seconds, minimum=0.0, maximum=MAX_BURN)
    clock = _cpu_clock()
    end = clock() + seconds
    while clock() < end:
        pass
    return seconds


def noop(x: object) -> object:
    """Return ``x``: a task that costs nothing, so timing it times the executor."""
    return x


def document_letters(number: int) -> dict[str, int]:
    """The map step of the letter counter: count the letters of one document.

    The worker builds document ``number`` of the course's corpus itself
    (:func:`conclab.document`) and sends back only the 26 counts: the data
    stays where it is read, the small result travels (``13_dask.ipynb``).
    """
    return count_letters(document(number))


def url_letters(url: str) -> dict[str, int]:
    """The map step over HTTP: fetch ``url`` (decoded as UTF-8) and count it."""
    return count_letters(fetch_text(url))


def merge_counts(tables: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """The reduce step: add letter tables letter by letter (all 26 keys).

    ``merge_counts([{"a": 1, …}, {"a": 2, …}])["a"] == 3``. Unknown keys are
    an error, not silently kept: a table with ``"A"`` or ``"\\n"`` counted
    something else.
    """
    if isinstance(tables, Mapping):
        raise TypeError(
            "tables must be a list of letter tables, got one table; "
            "wrap it in a list: merge_counts([table])"
        )
    total = dict.fromkeys(LETTERS, 0)
    for i, table in enumerate(tables):
        if not isinstance(table, Mapping):
            raise TypeError(
                f"tables[{i}] must be a dict of letter counts, "
                f"got {type(table).__name__}"
            )
        for letter, count in table.items():
            if letter not in total:
                raise ValueError(f"tables[{i}] has a key {letter!r}, not a..z")
            total[letter] += check_int(f"tables[{i}][{letter!r}]", count, minimum=0)
    return total


def add_counts(a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
    """Two tables added: the binary form of :func:`merge_counts` that
    ``dask.bag.fold`` and a tree reduction want."""
    return merge_counts([a, b])


def square_slowly(x: int, seconds: float = 0.2) -> tuple[int, int]:
    """Sleep ``seconds``, return ``(x * x, pid)``: a task long enough to kill
    its worker in the middle of it, that says which process finished it."""
    check_int("x", x)
    seconds = check_number("seconds", seconds, minimum=0.0, maximum=60.0)
    time.sleep(seconds)
    return x * x, os.getpid()


def make_block(megabytes: int, seed: int = 0) -> bytes:
    """``megabytes`` MiB of deterministic bytes (a big intermediate result).

    ``seed`` changes the first bytes, so blocks of the same size differ.
    """
    check_int("megabytes", megabytes, minimum=0, maximum=512)
    check_int("seed", seed, minimum=0)
    data = make_buffer(megabytes * 2**20)
    tag = seed.to_bytes(8, "big")
    return tag + data[len(tag) :] if len(data) >= len(tag) else data


def checksum(data: bytes) -> str:
    """The first 16 hex digits of SHA-256 of ``data``: a tiny result of a big input."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes, got {type(data).__name__}")
    return hashlib.sha256(data).hexdigest()[:16]


def where(data: object = None) -> dict[str, object]:
    """Which process (and, on a Dask worker, which worker) ran this task.

    ``{"pid": …, "worker": "tcp://127.0.0.1:…" or None, "size": len(data) or
    None}``. Pass a future's data to see where the task that used it ran.
    """
    worker = None
    try:
        from distributed import get_worker

        worker = get_worker().address
    except (ImportError, ValueError):
        pass  # not on a Dask worker
    size = len(data) if isinstance(data, (bytes, bytearray, str, list)) else None
    return {"pid": os.getpid(), "worker": worker, "size": size}
