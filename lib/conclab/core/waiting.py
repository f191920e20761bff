"""Waiting for threads: join, a fixed sleep, or polling a counter.

Introduced in ``05_race_conditions.ipynb`` and ``06_join.ipynb``, which time
the notes' waiting strategies against ``join()``. :func:`join_all` joins a
list of threads within one timeout.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .validate import check_int, check_number

__all__: list[str] = [
    "WaitResult",
    "wait_by_joining",
    "wait_by_polling",
    "wait_by_sleeping",
]


@dataclass(frozen=True)
class WaitResult:
    """How a waiting strategy did: how long it took, how much work it saw done."""

    strategy: str
    seconds: float
    finished: int
    workers: int
    work_seconds: float

    @property
    def complete(self) -> bool:
        return self.finished == self.workers

    @property
    def wasted(self) -> float:
        """Seconds spent waiting after the slowest worker had finished."""
        return max(0.0, self.seconds - self.work_seconds)


def _sleeper(seconds: float, done: list[int], lock: Any) -> None:
    time.sleep(seconds)
    with lock:
        done.append(1)


def _start_sleepers(workers: int, work_seconds: float) -> tuple[list, list[int]]:
    done: list[int] = []
    lock = threading.Lock()
    threads = [
        threading.Thread(target=_sleeper, args=(work_seconds, done, lock), daemon=True)
        for _ in range(workers)
    ]
    for t in threads:
        t.start()
    return threads, done


def _timed_wait(
    strategy: str,
    workers: int,
    work_seconds: float,
    wait: Callable[[list[threading.Thread], list[int]], object],
) -> WaitResult:
    """Start the sleepers, ``wait(threads, done)`` the strategy's way and time
    that; then join every sleeper, so that none is left running."""
    workers = check_int("workers", workers, minimum=1, maximum=1000)
    work_seconds = check_number("work_seconds", work_seconds, minimum=0.0, maximum=60)
    start = time.perf_counter()
    threads, done = _start_sleepers(workers, work_seconds)
    wait(threads, done)
    seconds, finished = time.perf_counter() - start, len(done)
    join_all(threads, work_seconds + 30)
    return WaitResult(strategy, seconds, finished, workers, work_seconds)


def wait_by_joining(workers: int = 8, work_seconds: float = 0.2) -> WaitResult:
    """Start ``workers`` threads that each sleep ``work_seconds``; ``join()`` them.

    The reference: the wait ends as soon as the last worker has finished.
    ``05_race_conditions.ipynb`` and ``06_join.ipynb``.
    """
    return _timed_wait(
        "join", workers, work_seconds, lambda threads, _: join_all(threads, 90)
    )


def wait_by_sleeping(
    workers: int = 8, work_seconds: float = 0.2, sleep_seconds: float = 1.0
) -> WaitResult:
    """The notes' ``time.sleep(10)``: wait a fixed time instead of joining.

    Too long wastes ``sleep_seconds - work_seconds``; too short reads the
    result before the work is done (``complete`` is False). The workers are
    daemon threads and are joined afterwards, so none is left running.
    ``05_race_conditions.ipynb`` and ``06_join.ipynb``.
    """
    sleep_seconds = check_number("sleep_seconds", sleep_seconds, minimum=0, maximum=60)
    return _timed_wait(
        f"sleep({sleep_seconds:g})",
        workers,
        work_seconds,
        lambda threads, done: time.sleep(sleep_seconds),
    )


def wait_by_polling(
    workers: int = 8, work_seconds: float = 0.2, poll_seconds: float = 0.5
) -> WaitResult:
    """The notes' loop: ``while finished_count < N: time.sleep(0.5)``.

    Here the counter is updated under a lock, so the loop does end; it still
    wakes up late, up to ``poll_seconds`` after the work is done.
    ``05_race_conditions.ipynb`` and ``06_join.ipynb``.
    """
    poll_seconds = check_number("poll_seconds", poll_seconds, minimum=0.001, maximum=10)

    def poll(threads: list[threading.Thread], done: list[int]) -> None:
        deadline = time.perf_counter() + 90
        while len(done) < len(threads) and time.perf_counter() < deadline:
            time.sleep(poll_seconds)

    return _timed_wait(f"poll every {poll_seconds:g} s", workers, work_seconds, poll)


def join_all(threads: Iterable[threading.Thread], timeout: float) -> None:
    """Join every thread within ``timeout`` seconds in total, or raise."""
    end = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, end - time.monotonic()))
        if t.is_alive():
            raise TimeoutError(f"thread {t.name} still running after {timeout:g} s")
