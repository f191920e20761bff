"""Checkers of ``12_free_threading.ipynb`` and their answer keys.

- :func:`check_speedup_predictions`: which setups speed up CPU-bound threads;
- :func:`check_tally`: a shared tally made safe with a lock, checked by
  *how* it touches the table (deterministic, on any build);
- :func:`check_thread_safety_answers`: which operations on builtins stay
  safe without the GIL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from ..core.validate import check_callable
from .probes import WatchedLock
from .verdicts import Verdict, check_answers, not_yet, verdict

__all__ = [
    "check_speedup_predictions",
    "check_tally",
    "check_thread_safety_answers",
]


def _normalise(answers: Any) -> Any:
    if isinstance(answers, Mapping):
        return {
            k: v.strip().lower() if isinstance(v, str) else v
            for k, v in answers.items()
        }
    return answers


_SPEEDUP = {
    "3.13": "same",
    "3.13t": "faster",
    "3.13t PYTHON_GIL=1": "same",
    "3.13t after importing tiny": "same",
    "3.13t, 1 core free": "same",
    "3.14 processes": "faster",
    "3.14 InterpreterPoolExecutor": "faster",
    "3.14t": "faster",
}
_SPEEDUP_WHY = {
    "3.13": "one GIL: the threads take turns",
    "3.13t": "no GIL: each thread runs on a core of its own",
    "3.13t PYTHON_GIL=1": "the same build with the GIL switched back on",
    "3.13t after importing tiny": "an extension that does not declare support "
    "turns the GIL back on for the whole process",
    "3.13t, 1 core free": "no GIL, but only one core to run on",
    "3.14 processes": "each process has its own GIL",
    "3.14 InterpreterPoolExecutor": "each subinterpreter has its own GIL",
    "3.14t": "the free-threaded build of 3.14, GIL off",
}


def check_speedup_predictions(answers: Mapping[str, str]) -> Verdict:
    """Exercise 1: for each setup, do 4 workers counting primes on a 2-core
    machine finish ``"faster"`` than one, or take the ``"same"`` time?"""
    return check_answers(_normalise(answers), _SPEEDUP, _SPEEDUP_WHY)


_SAFETY = {
    "shared.append(x)": "safe",
    "d[key] = value": "safe",
    "d[key] += 1": "unsafe",
    "x = shared.pop()": "safe",
    "if shared: shared.pop()": "unsafe",
    "for x in one_shared_iterator": "unsafe",
    "count += 1 on a global": "unsafe",
    "with lock: d[key] += 1": "safe",
}
_SAFETY_WHY = {
    "shared.append(x)": "one operation under the list's own lock (atomic)",
    "d[key] = value": "one write under the dict's own lock",
    "d[key] += 1": "a read, an add and a write: another thread can write between",
    "x = shared.pop()": "popping the last item is one operation (atomic)",
    "if shared: shared.pop()": "check-then-act: the list may be empty by the "
    "time pop runs",
    "for x in one_shared_iterator": "the iterator's position is read and "
    "advanced by several threads: duplicates or missing items",
    "count += 1 on a global": "read-modify-write, as in 05",
    "with lock: d[key] += 1": "the lock makes the read and the write one step",
}


def check_thread_safety_answers(answers: Mapping[str, str]) -> Verdict:
    """Exercise 3: ``"safe"`` or ``"unsafe"`` without a lock of your own, on
    the free-threaded build, for each line (the documentation's thread-safety
    guarantees for builtins)."""
    return check_answers(_normalise(answers), _SAFETY, _SAFETY_WHY)


class _WatchedTable(dict):
    """A shared table that notes each read and write made without the lock."""

    def __init__(self, lock: WatchedLock, keys: list[str]) -> None:
        super().__init__(dict.fromkeys(keys, 0))
        self._watch = lock
        self._tally = threading.Lock()  # the checker's own counts must not race
        self.unlocked_reads = 0
        self.unlocked_writes = 0

    def _note(self, what: str) -> None:
        if self._watch.owner != threading.get_ident():
            with self._tally:
                setattr(self, what, getattr(self, what) + 1)

    def __getitem__(self, key: str) -> int:
        self._note("unlocked_reads")
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self._note("unlocked_reads")
        return super().get(key, default)

    def __setitem__(self, key: str, value: int) -> None:
        self._note("unlocked_writes")
        super().__setitem__(key, value)


def check_tally(
    add: Callable[[dict, str, Any], None] | None,
    threads: int = 4,
    per_thread: int = 200,
) -> Verdict:
    """Exercise 2: ``add(table, key, lock)`` adds 1 to ``table[key]``, safely.

    Runs ``add`` from ``threads`` threads, ``per_thread`` times each over a few
    keys, with a table and a lock that watch what ``add`` does. It passes when
    the counts are right **and** every read and write of the table happened
    while the lock it was given was held by the thread doing it. Checking how,
    not just what, makes the verdict the same on every build: with the GIL the
    unsafe versions often count right by luck.
    """
    if add is None:
        return not_yet("not answered yet: write add(table, key, lock).")
    check_callable("add", add)
    lock = WatchedLock()
    keys = ["a", "b", "c"]
    table = _WatchedTable(lock, keys)
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait(timeout=10)
            for i in range(per_thread):
                add(table, keys[i % len(keys)], lock)
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(timeout=30)
    if any(t.is_alive() for t in workers):
        return not_yet("add did not return within 30 s: a lock not released?")
    if errors:
        error = errors[0]
        return not_yet(f"add raised {type(error).__name__}: {error}")
    total = sum(dict.values(table))
    expected = threads * per_thread
    problems = []
    if table.unlocked_reads:
        problems.append(f"{table.unlocked_reads} reads of the table without the lock")
    if table.unlocked_writes:
        problems.append(f"{table.unlocked_writes} writes to the table without the lock")
    if total != expected and not problems:  # unlocked access explains a loss
        problems.append(f"the counts add up to {total}, not {expected}")
    if not problems and lock.acquisitions == 0:
        problems.append("the lock you were given was never taken")
    return verdict(
        not problems,
        f"{expected} additions from {threads} threads, every read and write "
        "under the lock.",
        "; ".join(problems) + ".",
    )
