"""Checkers of the exercises of ``08_wait_groups.ipynb``, with the quiz key."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ..core.validate import check_callable
from ..core.waitgroup import WaitGroup
from .probes import thread_starts, watching_threading
from .verdicts import Verdict, check_answers, not_yet, verdict

__all__: list[str] = ["check_count_files", "check_go_quiz"]


def check_count_files(count_files: Callable[[str], int], root: Any) -> Verdict:
    """08 exercise: ``count_files(root)`` counts every regular file, with one
    task per directory, started with the WaitGroup, and every update of the
    shared total made under a lock the function created.

    The checker runs a copy of ``count_files`` whose ``threading.Lock`` makes
    locks that count their acquisitions (:mod:`conclab.exercises.probes`), and
    counts the threads the call starts and the tasks the WaitGroup counts."""
    check_callable("count_files", count_files)
    root = os.fspath(root)
    folders = sum(1 for _ in os.walk(root))
    truth = sum(len(files) for _, _, files in os.walk(root))
    watched, locks = watching_threading(count_files)
    try:
        with thread_starts() as started, _waitgroup_tasks() as tasks:
            got = watched(root)
    except Exception as exc:
        return not_yet(f"count_files raised {type(exc).__name__}: {exc}")
    problems = []
    if got != truth:
        problems.append(f"you counted {got!r} files, os.walk finds {truth}")
    if len(started) < folders or len(tasks) < folders:
        problems.append(
            f"{folders} directories, but {len(tasks)} WaitGroup task(s) and "
            f"{len(started)} thread(s): one task per directory"
        )
    if locks.acquisitions < folders:
        problems.append(
            f"the lock you made was taken {locks.acquisitions} time(s) for "
            f"{folders} directories: every task updates the shared total, so "
            "every update needs it"
        )
    return verdict(
        not problems,
        f"{got} files, the same as os.walk finds: {folders} tasks, each adding "
        "its count under the lock.",
        "; ".join(problems) + ".",
    )


@contextmanager
def _waitgroup_tasks() -> Iterator[list[int]]:
    """The tasks added to any WaitGroup (``add(n)`` with n > 0, ``go``) while
    inside the block: one entry per task."""
    added: list[int] = []
    original = WaitGroup.add

    def add(self: WaitGroup, n: int = 1) -> None:
        if isinstance(n, int) and n > 0:
            added.extend([n] * n)
        original(self, n)

    WaitGroup.add = add  # type: ignore[method-assign]
    try:
        yield added
    finally:
        WaitGroup.add = original  # type: ignore[method-assign]


_GO_QUIZ = {
    "wg.Add(1)": "wg.add(1)",
    "wg.Done()": "wg.done()",
    "wg.Wait()": "wg.wait(timeout)",
    "wg.Go(f)": "wg.go(f)",
    "counter goes negative": "ValueError",
    "all N threads meet, then all go on": "threading.Barrier",
    "wait for N pool tasks": "concurrent.futures.wait",
}


def check_go_quiz(answers: dict[str, str]) -> Verdict:
    """08 exercise: map Go's WaitGroup vocabulary to Python."""
    return check_answers(
        answers,
        _GO_QUIZ,
        {
            "wg.Wait()": "Python's wait takes a timeout; use it",
            "counter goes negative": "Go panics; our WaitGroup raises",
            "all N threads meet, then all go on": "a rendezvous, reusable",
            "wait for N pool tasks": "futures, not a counter",
        },
        name="answers",
    )
