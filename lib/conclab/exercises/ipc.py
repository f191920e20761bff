"""Checkers of the exercises of ``04_ipc.ipynb``, with their answer keys."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ..core.letters import count_texts_sequential
from ..core.shm import unlink_segments, watch_shared_memory
from ..core.validate import check_callable
from .verdicts import Verdict, check_answers, correct, not_yet, verdict

__all__: list[str] = [
    "check_letter_counts",
    "check_sendable",
    "check_shared_squares",
    "check_split",
]


def check_letter_counts(counts: Any, texts: Iterable[str]) -> Verdict:
    """Verdict: ``counts`` equals the sequential letter count of ``texts``."""
    expected = dict(count_texts_sequential(texts))
    if not isinstance(counts, dict):
        return not_yet(f"expected a dict or Counter, got {type(counts).__name__}")
    got = {k: v for k, v in counts.items() if v}
    want = {k: v for k, v in expected.items() if v}
    wrong = sorted(k for k in set(got) | set(want) if got.get(k) != want.get(k))
    return verdict(
        not wrong,
        f"identical to the sequential count ({sum(want.values()):,} letters).",
        f"{len(wrong)} letters differ from the sequential count "
        f"(first: {wrong[:3]}); did every share get counted exactly once?",
    )


_SENDABLE = {
    "a dict of lists": True,
    "a lambda": False,
    "a function from conclab": True,
    "an open file": False,
    "a threading.Event": False,
    "1 MB of bytes": True,
    "a generator": False,
}

_SENDABLE_WHY = {
    "a dict of lists": "plain data pickles",
    "a lambda": "pickle stores functions by name; a lambda has none",
    "a function from conclab": "stored by name (module + qualified name)",
    "an open file": "it wraps this process's file descriptor: TypeError",
    "a threading.Event": "it holds a threading lock: cannot pickle '_thread.lock'",
    "1 MB of bytes": "any size pickles; big messages are just slow",
    "a generator": "TypeError: cannot pickle 'generator' object",
}


def check_sendable(answers: dict[str, bool]) -> Verdict:
    """Checker of exercise 1: which objects can be put on a Queue?"""
    return check_answers(answers, _SENDABLE, _SENDABLE_WHY, name="answers")


def check_split(split: Callable[[list[int], int], Any], workers: int = 3) -> Verdict:
    """Checker of exercise 2: ``split(items, workers)`` must return
    ``workers`` lists that together hold every item exactly once."""
    check_callable("split", split)
    items = list(range(1000, 1020))
    try:
        shares = split(items, workers)
    except Exception as exc:
        return not_yet(f"split raised {type(exc).__name__}: {exc}")
    if shares is None:
        return not_yet("split returned None; return a list of lists")
    shares = [list(s) for s in shares]
    flat = sorted(x for s in shares for x in s)
    if len(shares) != workers:
        return not_yet(f"asked for {workers} shares, got {len(shares)}")
    if flat != items:
        missing = sorted(set(items) - set(flat))
        twice = sorted({x for x in flat if flat.count(x) > 1})
        problems = []
        if missing:
            problems.append(f"{len(missing)} items in no share (e.g. {missing[:3]})")
        if twice:
            problems.append(f"{len(twice)} items in two shares (e.g. {twice[:3]})")
        if not problems:
            problems.append("the shares hold items that were not given")
        return not_yet("; ".join(problems))
    sizes = sorted(len(s) for s in shares)
    return verdict(
        sizes[-1] - sizes[0] <= 1,
        f"{workers} shares of sizes {sizes}, every item exactly once.",
        f"every item is there once, but the shares are uneven: {sizes}",
    )


def check_shared_squares(
    fn: Callable[[list[int]], Any], numbers: Sequence[int] = (1, 2, 3, 4, 5, 6)
) -> Verdict:
    """Checker of exercise 3: ``fn(numbers)`` must return their squares,
    computed by children in shared memory, and leave no segment behind."""
    check_callable("fn", fn)
    watch = watch_shared_memory()
    try:
        result = fn(list(numbers))
    except Exception as exc:
        unlink_segments(watch.leaked())
        return not_yet(f"your function raised {type(exc).__name__}: {exc}")
    leaked = watch.leaked()
    unlink_segments(leaked)  # clean up for the student, then say so
    want = [n * n for n in numbers]
    try:
        got = None if result is None else [int(x) for x in result]
    except (TypeError, ValueError):
        got = result
    if got != want:
        return not_yet(f"expected {want}, got {got!r}")
    if leaked:
        return not_yet(
            "right squares, but the segment was never unlinked: call "
            "shm.unlink() in a finally block (the checker unlinked it for you)"
        )
    return correct("right squares and no segment left behind.")
