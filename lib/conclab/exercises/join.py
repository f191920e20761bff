"""Checkers of the exercises of ``06_join.ipynb`` (also used by ``08``)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

from ..core.fs import SearchResult
from ..core.validate import check_callable, check_int, check_number
from .verdicts import Verdict, verdict

__all__: list[str] = ["check_search", "check_waits_for_all"]


def check_search(result: Any, expected: list[str]) -> Verdict:
    """Checker: did a search find exactly the ``expected`` relative paths?"""
    matches = result.matches if isinstance(result, SearchResult) else result
    if isinstance(matches, (str, bytes)) or not hasattr(matches, "__iter__"):
        raise TypeError("result must be a SearchResult or a list of paths")
    matches = sorted(matches)
    missing = sorted(set(expected) - set(matches))
    extra = sorted(set(matches) - set(expected))
    dupes = len(matches) - len(set(matches))
    problems = []
    if missing:
        problems.append(f"{len(missing)} missing (e.g. {missing[0]})")
    if extra:
        problems.append(f"{len(extra)} unexpected (e.g. {extra[0]})")
    if dupes:
        problems.append(f"{dupes} duplicate(s)")
    if any(os.path.isabs(m) for m in matches):
        problems.append("paths must be relative to the root")
    return verdict(
        not problems,
        f"all {len(expected)} matches found, nothing else.",
        "; ".join(problems) + ".",
    )


def check_waits_for_all(
    run_all: Callable[[list[Callable[[], None]]], Any],
    tasks: int = 4,
    task_seconds: float = 0.2,
) -> Verdict:
    """Checker for the join exercise of ``06_join.ipynb``.

    Calls ``run_all(list_of_tasks)``: each task sleeps ``task_seconds`` and
    records that it finished. ``run_all`` must start one thread per task and
    return only when all have finished, and the tasks must run at the same
    time: no fixed sleep standing in for ``join``, and no joining each thread
    before starting the next (that takes ``tasks`` times as long).
    """
    check_callable("run_all", run_all)
    tasks = check_int("tasks", tasks, minimum=1, maximum=100)
    task_seconds = check_number("task_seconds", task_seconds, minimum=0.0, maximum=5)
    finished: list[int] = []
    lock = threading.Lock()
    before = {t.ident for t in threading.enumerate()}

    def task() -> None:
        time.sleep(task_seconds)
        with lock:
            finished.append(1)

    start = time.perf_counter()
    run_all([task for _ in range(tasks)])
    seconds = time.perf_counter() - start
    done_at_return = len(finished)
    # tidy up: wait for any thread the attempt left running
    for t in threading.enumerate():
        if t.ident not in before and t is not threading.current_thread():
            t.join(task_seconds + 5)
    if done_at_return < tasks:
        hint = (
            f"run_all returned while {tasks - done_at_return} of {tasks} tasks "
            "were still running: join() every thread you started."
        )
    elif seconds > task_seconds + max(0.3, 0.5 * (tasks - 1) * task_seconds):
        hint = (
            f"all tasks finished, but run_all took {seconds:.1f} s for {tasks} "
            f"tasks of {task_seconds:g} s: did you sleep instead of joining, or "
            "join each thread before starting the next? Start all, then join all."
        )
    else:
        hint = ""
    return verdict(
        not hint,
        f"run_all waited for all {tasks} tasks, and no longer than needed.",
        hint,
    )
