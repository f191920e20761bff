"""Checkers of the exercises of ``08_wait_groups.ipynb``, with the quiz key."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from ..core.validate import check_callable
from .verdicts import Verdict, check_answers, verdict

__all__: list[str] = ["check_count_files", "check_go_quiz"]


def check_count_files(count_files: Callable[[str], int], root: Any) -> Verdict:
    """08 exercise: ``count_files(root)`` must count every regular file."""
    check_callable("count_files", count_files)
    root = os.fspath(root)
    truth = sum(len(files) for _, _, files in os.walk(root))
    try:
        got = count_files(root)
    except Exception as exc:
        return verdict(False, "", f"count_files raised {type(exc).__name__}: {exc}")
    return verdict(
        got == truth,
        f"{got} files, the same as os.walk finds.",
        f"you counted {got!r}, os.walk finds {truth}. Count under a lock, "
        "start one wg.go per directory and wg.wait(timeout) before returning.",
    )


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
