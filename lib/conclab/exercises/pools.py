"""Checkers for the exercises of ``09_executors_and_pools.ipynb``.

Each checker runs the student's function on tasks it makes up at check time
(random inputs, durations and failures the student cannot know), watches
how the tasks actually ran (how many at once, how many started, which
threads were left), and prints one verdict line. ``None`` (the unanswered
template) prints "not yet", never a pass.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Any

from ..core.pools import threads_left
from ..core.validate import check_callable
from .verdicts import Verdict, check_answers, correct, not_yet

__all__ = [
    "POOL_QUIZ_OPTIONS",
    "check_collect",
    "check_pool_quiz",
    "check_run_until_error",
]

#: How long a checker waits for a pool's threads to end after the student's
#: function returned: not at all, a pool closed by ``with`` has none left.
_SETTLE = 0.0


class _Watch:
    """Counts the tasks that started and the most that ran at the same time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.started: list[Any] = []

    def __enter__(self) -> _Watch:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self.running -= 1

    def start(self, x: Any) -> None:
        with self._lock:
            self.started.append(x)


def _among(value: Any, values: set[int]) -> bool:
    try:
        return value in values
    except TypeError:  # unhashable: not one of them
        return False


# ---------------------------------------------------------------- exercise 1


def check_collect(
    collect: Callable[..., Any] | None, seed: int | None = None
) -> Verdict:
    """Exercise 1: ``collect(task, inputs)`` returns ``{input: result or the
    exception it raised}``, running the tasks in a thread pool.

    The checker draws 8 inputs, their durations and which 3 of them fail, so
    the finishing order differs from the input order. It rejects: an
    exception escaping, a result or exception attached to the wrong input, an
    exception's text instead of the exception, tasks run one at a time,
    a task run twice, pool threads still running after ``collect`` returned.
    """
    if collect is None:
        return not_yet("write collect(task, inputs) first.")
    check_callable("collect", collect)
    rng = random.Random(seed)
    inputs = rng.sample(range(10, 100), 8)
    failing = set(rng.sample(inputs, 3))
    delays = {x: rng.uniform(0.01, 0.08) for x in inputs}
    watch = _Watch()

    def task(x: int) -> int:
        watch.start(x)
        with watch:
            time.sleep(delays[x])
        if x in failing:
            raise ValueError(f"bad input {x}")
        return x * x

    before = set(threading.enumerate())
    try:
        got = collect(task, list(inputs))
    except Exception as exc:
        return not_yet(
            f"collect raised {type(exc).__name__}: {exc}. A failing task must "
            "not stop collect: its exception is that input's value."
        )
    left = threads_left(before, timeout=_SETTLE)
    return _judge_collect(got, inputs, failing, watch, left)


def _judge_collect(
    got: Any, inputs: list[int], failing: set[int], watch: _Watch, left: list[str]
) -> Verdict:
    if not isinstance(got, Mapping):
        return not_yet(f"collect must return a dict, got {type(got).__name__}.")
    if not got:
        return not_yet("collect returned an empty dict: one entry per input.")
    if left:
        return not_yet(
            f"pool threads were still running after collect returned ({len(left)}): "
            "close the pool before returning."
        )
    if sorted(watch.started) != sorted(inputs):
        return not_yet(
            f"task ran {len(watch.started)} times for {len(inputs)} inputs: "
            "once per input."
        )
    missing = [x for x in inputs if x not in got]
    extra = [k for k in got if k not in inputs]
    if missing or extra:
        return not_yet(
            f"the keys must be the inputs: {len(missing)} inputs missing, "
            f"{len(extra)} keys that are not inputs."
        )
    if any(isinstance(value, Future) for value in got.values()):
        return not_yet(
            "the values are futures: store each one's result, or the exception "
            "it raised."
        )
    results = {x * x for x in inputs if x not in failing}
    for x in inputs:
        value = got[x]
        if x in failing:
            if isinstance(value, BaseException) and str(value) == f"bad input {x}":
                continue
            if isinstance(value, str):
                return not_yet(
                    f"input {x} holds a string: store the exception object itself."
                )
        elif not isinstance(value, BaseException) and value == x * x:
            continue
        if isinstance(value, BaseException) or _among(value, results):
            return not_yet(
                f"input {x} holds another input's outcome: keep track of which "
                "future belongs to which input."
            )
        what = "the exception its task raised" if x in failing else "its own result"
        return not_yet(f"input {x} holds {value!r}, not {what}.")
    if watch.most < 2:
        return not_yet(
            "the tasks ran one at a time: have them all submitted before you "
            "wait for any."
        )
    return correct(
        f"{len(inputs)} inputs: {len(inputs) - len(failing)} results and "
        f"{len(failing)} exceptions, each with its input; up to {watch.most} "
        "tasks ran at once."
    )


# ---------------------------------------------------------------- exercise 2


def check_run_until_error(
    run_until_error: Callable[..., Any] | None, seed: int | None = None
) -> Verdict:
    """Exercise 2: ``run_until_error(task, inputs, workers=4)`` returns the
    results in input order; when a task raises, it cancels the tasks not yet
    started at once and re-raises that exception.

    First a run where nothing fails (the finishing order is reversed, so the
    input order must be restored). Then 20 inputs where the first task is
    slow and one of the next three fails at once: a solution that notices
    the failure only when its turn in the list comes, or that does not
    cancel, lets (nearly) all 20 start.
    """
    if run_until_error is None:
        return not_yet("write run_until_error(task, inputs, workers) first.")
    check_callable("run_until_error", run_until_error)
    rng = random.Random(seed)
    workers = 4

    # 1. nothing fails: the results, in input order
    small = rng.sample(range(10, 100), 6)

    def quick(x: int) -> int:
        time.sleep(0.01 * (6 - small.index(x)))  # the last input finishes first
        return x * x

    before = set(threading.enumerate())
    try:
        got = run_until_error(quick, list(small), workers)
    except Exception as exc:
        return not_yet(f"with no failing task it raised {type(exc).__name__}: {exc}.")
    if threads_left(before, timeout=_SETTLE):
        return not_yet("pool threads were still running after it returned.")
    if got is None or list(got) != [x * x for x in small]:
        return not_yet(
            f"with no failing task it must return the {len(small)} results in "
            f"input order; it returned {got!r}."
        )

    # 2. one task fails at once while an earlier one is still running
    inputs = list(range(20))
    bad = rng.randint(1, 3)
    watch = _Watch()

    def task(x: int) -> int:
        watch.start(x)
        if x == bad:
            raise ValueError(f"task {x} failed")
        with watch:
            time.sleep(0.6 if x == 0 else 0.1)
        return x * x

    before = set(threading.enumerate())
    try:
        got = run_until_error(task, inputs, workers)
    except ValueError as exc:
        if str(exc) != f"task {bad} failed":
            return not_yet(
                f"it raised ValueError({exc!r}), not the failing task's own."
            )
    except Exception as exc:
        return not_yet(
            f"it raised {type(exc).__name__}: {exc}; re-raise the failing task's "
            "own exception."
        )
    else:
        return not_yet(
            f"task {bad} raised ValueError, but run_until_error returned "
            f"{got!r} instead of raising it."
        )
    if threads_left(before, timeout=_SETTLE):
        return not_yet("pool threads were still running after it raised.")
    started = len(watch.started)
    if started > 2 * workers + 2:
        return not_yet(
            "tasks kept starting after one of them failed at once, while the "
            "first was still running: stop the rest as soon as a task fails, "
            "not when its turn in the list comes."
        )
    return correct(
        f"results in input order; when task {bad} failed, only {started} of "
        f"{len(inputs)} tasks had started and the rest were cancelled."
    )


# ---------------------------------------------------------------- exercise 3

#: The answers the quiz accepts.
POOL_QUIZ_OPTIONS = (
    "thread pool, many workers",
    "process pool, one worker per core",
    "bigger chunksize",
    "initializer",
    "max_tasks_per_child",
    "map",
    "as_completed",
    "a new pool",
)

_QUIZ = {
    "500 downloads from a server that answers in 0.2 s": "thread pool, many workers",
    "8 long pure-Python computations": "process pool, one worker per core",
    "100,000 tasks of 2 µs each are slow in a process pool": "bigger chunksize",
    "each worker opens one database connection before its first task": ("initializer"),
    "a C extension leaks memory on every call": "max_tasks_per_child",
    "the results in the order of the inputs": "map",
    "each result shown as soon as it is ready": "as_completed",
    "submit() raises BrokenProcessPool": "a new pool",
}

_QUIZ_WHY = {
    "500 downloads from a server that answers in 0.2 s": (
        "see 'Sizing a pool': does a waiting task need a core?"
    ),
    "8 long pure-Python computations": (
        "see 'Sizing a pool': what do more workers than cores add to computing?"
    ),
    "100,000 tasks of 2 µs each are slow in a process pool": (
        "see the panel: what does a process pool cost per task, besides the "
        "task itself?"
    ),
    "each worker opens one database connection before its first task": (
        "see 'Per-worker set-up': what runs once per worker, not per task?"
    ),
    "a C extension leaks memory on every call": (
        "see 'Per-worker set-up and recycling'"
    ),
    "the results in the order of the inputs": "see 'The API'",
    "each result shown as soon as it is ready": "see 'The API'",
    "submit() raises BrokenProcessPool": "see 'Common mistakes', the first one",
}


def check_pool_quiz(answers: Mapping[str, Any]) -> Verdict:
    """Exercise 3: pick, for each situation, one of :data:`POOL_QUIZ_OPTIONS`.

    A wrong answer gets a pointer to the section that explains it, not the
    answer; an answer that is not one of the options is named as such.
    """
    if isinstance(answers, Mapping):
        for key, value in answers.items():
            if value is not None and value not in POOL_QUIZ_OPTIONS:
                print(f"   {key!r}: {value!r} is not one of the options")
    return check_answers(answers, _QUIZ, _QUIZ_WHY)
