"""Checkers of the exercises of ``06_join.ipynb`` (also used by ``08``)."""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from ..core.fs import SearchResult
from ..core.validate import check_callable, check_int
from .probes import thread_starts
from .verdicts import Verdict, correct, not_yet, verdict

__all__: list[str] = ["check_search", "check_top_level_search", "check_waits_for_all"]


def check_search(result: Any, expected: list[str]) -> Verdict:
    """Checker: did a search find exactly the ``expected`` relative paths?"""
    problem = check_search_result(result, expected)
    return verdict(
        not problem, f"all {len(expected)} matches found, nothing else.", f"{problem}."
    )


def check_search_result(result: Any, expected: list[str]) -> str:
    """What is wrong with a search's matches (missing, extra, duplicated,
    absolute paths), or "" when they are exactly ``expected``."""
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
    return "; ".join(problems)


def check_top_level_search(search: Callable[..., Any], tree: Any) -> Verdict:
    """06 exercise 2: ``search(root)`` starts one thread per sub-directory of
    the root (no more, no fewer), joins them all before it returns, and finds
    exactly ``tree.expected``. ``tree`` is a :class:`conclab.core.fs.Tree`."""
    check_callable("search", search)
    root = os.fspath(tree.root)
    folders = [e.name for e in os.scandir(root) if e.is_dir(follow_symlinks=False)]
    try:
        with thread_starts() as started:
            result = search(root)
    except Exception as exc:
        return not_yet(f"search raised {type(exc).__name__}: {exc}")
    still_running = sum(t.is_alive() for t in started)
    found = check_search_result(result, tree.expected)
    problems = [found] if found else []
    if len(started) != len(folders):
        problems.append(
            f"{len(started)} thread(s) for {len(folders)} top-level directories"
        )
    if still_running:
        problems.append(f"{still_running} thread(s) still running when it returned")
    return verdict(
        not problems,
        f"all {len(tree.expected)} matches, one thread for each of the "
        f"{len(folders)} top-level directories, all joined.",
        "; ".join(problems) + ".",
    )


def check_waits_for_all(
    run_all: Callable[[list[Callable[[], None]]], Any], tasks: int = 4
) -> Verdict:
    """Checker for the join exercise of ``06_join.ipynb``.

    Calls ``run_all(list_of_tasks)`` twice. The tasks block until the checker
    lets them finish, a time after the last of them started that is drawn at
    check time: once 0.05 s, once 0.5–0.8 s, so that no fixed sleep can be
    right both times. If they have not all started within
    ``_ALL_STARTED_GRACE`` seconds (a solution that joins each before it
    starts the next), the checker lets them finish anyway and says so.
    ``run_all`` must run every task in a thread of its own, have them all
    running at the same time (not join each before starting the next), and
    return only once all have finished, and soon after.
    """
    check_callable("run_all", run_all)
    tasks = check_int("tasks", tasks, minimum=2, maximum=100)
    for delay in (0.05, random.uniform(0.5, 0.8)):
        problem = _waits_for_all_once(run_all, tasks, delay)
        if problem:
            return not_yet(problem)
    return correct(
        f"all {tasks} tasks ran at the same time, and run_all returned as soon "
        "as the last one finished (twice, for tasks of two lengths)."
    )


#: How long the checker waits for every task to start before it lets them
#: finish anyway. Starting 4 threads takes well under 0.05 s on an idle
#: machine, but can take longer than that on one whose cores are busy: the
#: delays are counted from the last start, not from the call.
_ALL_STARTED_GRACE = 2.0


def _waits_for_all_once(
    run_all: Callable[[list[Callable[[], None]]], Any], tasks: int, delay: float
) -> str:
    """One round of :func:`check_waits_for_all`; returns what went wrong, or ""."""
    changed = threading.Condition()
    release = threading.Event()
    stop = threading.Event()
    started: set[threading.Thread] = set()
    finished: list[float] = []
    running_at_release: list[int] = []
    before = set(threading.enumerate())

    def task() -> None:
        with changed:
            started.add(threading.current_thread())
            changed.notify_all()
        release.wait(timeout=_ALL_STARTED_GRACE + delay + 10)
        with changed:
            finished.append(time.perf_counter())

    def let_them_finish() -> None:
        with changed:
            changed.wait_for(
                lambda: len(started) >= tasks or stop.is_set(), _ALL_STARTED_GRACE
            )
            running_at_release.append(len(started))
        if not stop.wait(delay):
            release.set()

    releaser = threading.Thread(target=let_them_finish, daemon=True)
    releaser.start()
    try:
        run_all([task for _ in range(tasks)])
    finally:
        returned = time.perf_counter()
        with changed:
            done_at_return = len(finished)
            stop.set()
            changed.notify_all()
        release.set()
        for t in set(threading.enumerate()) - before:  # the releaser, and what
            if t is not threading.current_thread():  # run_all left running
                t.join(5)
    if threading.current_thread() in started:
        return "a task ran in the thread that called run_all: start a thread per task."
    if done_at_return < tasks:
        return (
            f"run_all returned while {tasks - done_at_return} of {tasks} tasks "
            "were still running."
        )
    if running_at_release and running_at_release[0] < tasks:
        return (
            f"only {running_at_release[0]} of {tasks} tasks had started when the "
            "first could finish: they did not all run at the same time."
        )
    if len(started) < tasks:
        return f"{tasks} tasks ran in only {len(started)} thread(s)."
    late = returned - max(finished)
    if late > 0.2:
        return (
            f"run_all returned {late:.2f} s after the last task had finished: it "
            "waited longer than the tasks needed."
        )
    return ""
