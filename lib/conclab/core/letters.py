"""The notes' letter counter: sequential, with threads, with processes.

:func:`count_letters` is the one sequential count. ``05_race_conditions.ipynb``
runs one thread per document in four versions (:data:`LETTER_COUNTERS`): no
lock, a lock around the whole count (the notes' version), a lock per
character, and a local count merged once under the lock. Each lowers its
text once, as :func:`count_letters` does (a ``ch.lower()`` per character kept
the free-threaded 3.13 build's threads from counting in parallel).
``04_ipc.ipynb`` counts shares of the documents in child processes that send
back a ``Counter`` (:func:`count_texts_processes`).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from .children import JOIN_TIMEOUT, get_from_children, stop_process
from .env import mp_context
from .validate import check_choice, check_int, check_number
from .waiting import join_all
from .workloads import fetch_text

__all__: list[str] = [
    "LETTERS",
    "LETTER_COUNTERS",
    "count_letters",
    "count_letters_threads",
    "count_share",
    "count_texts_processes",
    "count_texts_sequential",
    "count_texts_threads",
    "count_with_local_merge",
    "count_with_lock",
    "count_with_lock_per_char",
    "count_without_lock",
    "split_evenly",
    "table_difference",
    "time_letter_counters",
]


#: The 26 letters the counters count, in alphabetical order.
LETTERS = "abcdefghijklmnopqrstuvwxyz"


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
    return {letter: lowered.count(letter) for letter in LETTERS}


def count_without_lock(
    url: str, table: dict[str, int], lock: Any, decode: bool = True
) -> None:
    """Count the letters of one document straight into the shared ``table``.

    No lock (``lock`` is ignored): ``table[ch] += 1`` is a read, an add and a
    write, and another thread may write the same key in between.
    """
    text = fetch_text(url, decode=decode).lower()
    for ch in text:
        if ch in table:
            table[ch] += 1


def count_with_lock(
    url: str, table: dict[str, int], lock: Any, decode: bool = True
) -> None:
    """The notes' mutex version, fixed: ``with lock:`` around the whole count.

    Correct, but while one thread counts, every other one waits: the
    counting is serial. (The download before it still overlaps.)
    """
    text = fetch_text(url, decode=decode).lower()
    with lock:
        for ch in text:
            if ch in table:
                table[ch] += 1


def count_with_lock_per_char(
    url: str, table: dict[str, int], lock: Any, decode: bool = True
) -> None:
    """Take the lock for every single letter: correct, and the slowest."""
    text = fetch_text(url, decode=decode).lower()
    for ch in text:
        if ch in table:
            with lock:
                table[ch] += 1


def count_with_local_merge(
    url: str, table: dict[str, int], lock: Any, decode: bool = True
) -> None:
    """Count into a table of this thread's own, then merge it once under the lock."""
    text = fetch_text(url, decode=decode).lower()
    local = dict.fromkeys(table, 0)
    for ch in text:
        if ch in local:
            local[ch] += 1
    with lock:
        for letter, count in local.items():
            table[letter] += count


#: The four thread workers of the letter counter, by name.
LETTER_COUNTERS: dict[str, Callable[..., None]] = {
    "no lock": count_without_lock,
    "lock around the count": count_with_lock,
    "lock per character": count_with_lock_per_char,
    "local count, merge once": count_with_local_merge,
}


def count_letters_threads(
    urls: Sequence[str],
    counter: str | Callable[..., None] = "local count, merge once",
    *,
    decode: bool = True,
    join_timeout: float = 60.0,
    table: dict[str, int] | None = None,
    lock: Any = None,
) -> dict[str, int]:
    """Count the letters of all ``urls``, one thread per URL, with ``counter``.

    ``counter`` is a key of :data:`LETTER_COUNTERS`, ``"sequential"`` (one
    document after the other in this thread), or your own worker
    ``counter(url, table, lock, decode)``. Returns the filled table (all 26
    letters; pass ``table``/``lock`` to use your own). Raises
    ``TimeoutError`` if a thread is still running after ``join_timeout``
    seconds, and re-raises the first error of a worker. Used by
    ``05_race_conditions.ipynb``.
    """
    urls = check_urls(urls)
    if not callable(counter):
        check_choice("counter", counter, ("sequential", *LETTER_COUNTERS))
    join_timeout = check_number("join_timeout", join_timeout, minimum=0.001)
    table = count_letters("") if table is None else table
    lock = threading.Lock() if lock is None else lock
    if counter == "sequential":
        for url in urls:
            count_without_lock(url, table, lock, decode)
        return table
    worker = counter if callable(counter) else LETTER_COUNTERS[counter]
    errors: list[BaseException] = []

    def run(url: str) -> None:
        try:
            worker(url, table, lock, decode)
        except BaseException as exc:  # reported in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(url,)) for url in urls]
    for t in threads:
        t.start()
    join_all(threads, join_timeout)
    if errors:
        raise errors[0]
    return table


def time_letter_counters(
    urls: Sequence[str],
    counters: Iterable[str] = ("sequential", *LETTER_COUNTERS),
    *,
    repeat: int = 3,
) -> dict[str, float]:
    """Best-of-``repeat`` wall time in seconds of each letter counter.

    Returns ``{counter: seconds}`` in the order given; ``05_race_conditions``
    plots it with :func:`plot_counter_times`.
    """
    urls = check_urls(urls)
    repeat = check_int("repeat", repeat, minimum=1)
    counters = list(counters)
    for name in counters:
        check_choice("counters", name, ("sequential", *LETTER_COUNTERS))
    times = dict.fromkeys(counters, float("inf"))
    for _ in range(repeat):  # round-robin: a burst of load hits every counter
        for name in counters:
            start = time.perf_counter()
            count_letters_threads(urls, name)
            times[name] = min(times[name], time.perf_counter() - start)
    return times


def table_difference(
    table: Mapping[str, int], expected: Mapping[str, int]
) -> dict[str, int]:
    """``{letter: table[letter] - expected[letter]}`` for the letters that differ."""
    keys = sorted(set(table) | set(expected))
    diff = {k: table.get(k, 0) - expected.get(k, 0) for k in keys}
    return {k: d for k, d in diff.items() if d}


def check_urls(urls: Sequence[str]) -> list[str]:
    if isinstance(urls, str):
        raise TypeError("urls must be a list of URLs, not one string")
    urls = list(urls)
    if not urls:
        raise ValueError("urls must not be empty")
    for url in urls:
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError(f"urls must hold http:// URLs, got {url!r}")
    return urls


def count_share(texts: list[str], queue: Any, index: int) -> None:
    """Child of the letter counter: count ``texts``, put ``(index, Counter)``.

    Counts locally, sends one message: nothing shared, nothing locked.
    ``04_ipc.ipynb``.
    """
    queue.put((index, count_texts_sequential(texts)))


def split_evenly(items: Sequence[Any], workers: int) -> list[list[Any]]:
    """Deal ``items`` round-robin into ``workers`` shares (some may be empty)."""
    workers = check_int("workers", workers, minimum=1)
    return [list(items[i::workers]) for i in range(workers)]


def count_texts_sequential(texts: Iterable[str]) -> Counter:
    """Letter counts of all ``texts``, one after the other. ``04_ipc.ipynb``."""
    total: Counter = Counter()
    for text in texts:
        total.update(count_letters(text))
    return total


def count_texts_threads(texts: Sequence[str], workers: int = 2) -> Counter:
    """Each of ``workers`` threads counts a share; the caller merges.

    The GIL lets only one of them count at a time. ``04_ipc.ipynb``.
    """
    workers = check_int("workers", workers, minimum=1)
    shares = split_evenly(list(texts), workers)
    parts: list[Counter] = [Counter() for _ in shares]

    def work(i: int) -> None:
        parts[i] = count_texts_sequential(shares[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total: Counter = Counter()
    for part in parts:
        total.update(part)
    return total


def count_texts_processes(
    texts: Sequence[str], workers: int = 2, start_method: str | None = None
) -> Counter:
    """Each of ``workers`` processes counts a share and puts a ``Counter``
    on a queue; the parent gets them all (before joining) and merges.
    ``04_ipc.ipynb``."""
    workers = check_int("workers", workers, minimum=1)
    ctx = mp_context(start_method)
    queue = ctx.Queue()
    shares = split_evenly(list(texts), workers)
    children = [
        ctx.Process(target=count_share, args=(share, queue, i))
        for i, share in enumerate(shares)
    ]
    try:
        for child in children:
            child.start()
        parts = dict(
            get_from_children(queue, children) for _ in children
        )  # drain first …
        for child in children:  # … then join
            child.join(JOIN_TIMEOUT)
    finally:
        for child in children:
            stop_process(child)
        queue.close()
        queue.join_thread()
    total: Counter = Counter()
    for i in range(len(children)):
        total.update(parts[i])
    return total
