"""Checkers of the Event and the "which primitive?" exercises of
``10_semaphores_events_deadlocks.ipynb``.

:func:`check_stop_worker` runs the student's ``worker(stop, step, interval)``
with an Event that counts how often it is looked at, lets it make two steps,
sets the Event a fifth of an interval into the worker's pause and measures
how soon the worker returns. A worker that sleeps between steps stops late,
one that spins on ``is_set()`` looks at the flag thousands of times, one that
ignores the flag never stops (it is ended by the checker, so no thread is
left behind).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from ..core.validate import check_callable, check_number
from .verdicts import Verdict, check_answers, not_yet, verdict

__all__ = ["PRIMITIVES", "check_primitive_quiz", "check_stop_worker"]


class _CheckOver(Exception):
    """Raised inside a worker that would not stop, to end its thread."""


class _WatchedEvent(threading.Event):
    """An Event that counts ``is_set``/``wait`` calls and can end a worker."""

    def __init__(self) -> None:
        super().__init__()
        self.checks = 0
        self.over = False

    def is_set(self) -> bool:
        self.checks += 1
        if self.over:
            raise _CheckOver
        return super().is_set()

    def wait(self, timeout: float | None = None) -> bool:
        self.checks += 1
        if self.over:
            raise _CheckOver
        return super().wait(timeout)


def check_stop_worker(
    worker: Callable[[threading.Event, Callable[[], None], float], Any] | None,
    interval: float = 0.4,
) -> Verdict:
    """Checker: ``worker(stop, step, interval)`` calls ``step()`` every
    ``interval`` seconds and returns promptly once ``stop`` is set.

    Wrong answers it rejects: steps without a pause; busy-waiting on
    ``stop.is_set()``; sleeping between steps (it stops late, up to an
    interval after ``stop.set()``); a step after ``stop`` was set; never
    stopping. ``10_semaphores_events_deadlocks.ipynb``.
    """
    if worker is None:
        return not_yet("write worker first.")
    check_callable("worker", worker)
    interval = check_number("interval", interval, minimum=0.1, maximum=5)
    stop = _WatchedEvent()
    steps: list[float] = []
    late_steps: list[float] = []
    stepped = threading.Condition()  # notified at each step and at the end
    ended: list[float] = []
    errors: list[BaseException] = []

    def step() -> None:
        now = time.monotonic()
        if threading.Event.is_set(stop):  # not counted as the worker's check
            late_steps.append(now)
            raise _CheckOver
        with stepped:
            steps.append(now)
            stepped.notify_all()
        if len(steps) > 50:
            raise _CheckOver

    def run() -> None:
        try:
            worker(stop, step, interval)
        except _CheckOver:
            pass
        except Exception as exc:  # reported in the verdict
            errors.append(exc)
        finally:
            with stepped:
                ended.append(time.monotonic())
                stepped.notify_all()

    thread = threading.Thread(target=run, name="stop-worker", daemon=True)
    thread.start()
    with stepped:
        stepped.wait_for(lambda: len(steps) >= 2 or ended, 2 * interval + 2)
    _set_in_a_pause(stepped, steps, ended, interval)
    checks = stop.checks
    set_at = time.monotonic()
    stop.set()
    thread.join(interval + 1)
    still_running = thread.is_alive()
    if still_running:
        stop.over = True  # its next look at the flag (or next step) ends it
        thread.join(interval + 2)
    hint = _stop_hint(errors, steps, late_steps, ended, set_at, checks, interval)
    if not hint and still_running:
        hint = "the worker did not return after stop.set(): look at the flag."
    return verdict(
        not hint,
        "one step per interval, and the worker returned as soon as stop was set.",
        hint,
    )


def _set_in_a_pause(
    stepped: threading.Condition,
    steps: list[float],
    ended: list[float],
    interval: float,
) -> None:
    """Return a fifth of an interval after the worker's latest step, while it
    still pauses: a sleeping worker then has most of its sleep ahead of it.
    When this thread comes too late (a busy machine), try the next pause
    (three at most); the placement is retried, never the verdict."""
    for _ in range(3):
        with stepped:
            if len(steps) < 2 or ended:
                return
            count, last = len(steps), steps[-1]
        time.sleep(max(0.0, last + interval / 5 - time.monotonic()))
        with stepped:
            if len(steps) == count and time.monotonic() - last <= interval / 2:
                return

            def more(n: int = count) -> bool:
                return len(steps) > n or bool(ended)

            stepped.wait_for(more, interval + 1)


def _stop_hint(
    errors: list[BaseException],
    steps: list[float],
    late_steps: list[float],
    ended: list[float],
    set_at: float,
    checks: int,
    interval: float,
) -> str:
    """What went wrong, in words that do not hand over the solution."""
    if errors:
        return f"the worker raised {type(errors[0]).__name__}: {errors[0]}"
    if not steps:
        return "step() was never called: call it once per interval until stop is set."
    gaps = [later - earlier for earlier, later in itertools.pairwise(steps)]
    if any(gap < interval / 2 for gap in gaps):
        return "step() ran far more often than once per interval: pause between steps."
    if len(steps) == 1:
        return "step() ran only once: keep calling it, once per interval."
    if ended and ended[0] < set_at:
        return "the worker returned before stop was set."
    if checks > 40:
        return (
            "the worker looked at the flag thousands of times: busy-waiting burns "
            "a core. Let a blocking call with a timeout do the waiting."
        )
    if late_steps:
        return "step() ran again after stop was set: look at the flag before each step."
    if ended and ended[0] - set_at > interval / 4:
        return (
            "the worker slept through stop.set() and returned only at the end of "
            "its pause: pause in a way that stop.set() interrupts."
        )
    return ""


#: The names the quiz accepts.
PRIMITIVES = (
    "Lock",
    "RLock",
    "Semaphore",
    "BoundedSemaphore",
    "Event",
    "Barrier",
    "Queue",
    "PriorityQueue",
    "lock order",
)

_QUIZ = {
    "at most 4 downloads at once; an extra release() is a bug to catch": (
        "BoundedSemaphore"
    ),
    "one thread tells all waiting threads, once, that they may start": "Event",
    "no thread begins step 2 before every thread has finished step 1": "Barrier",
    "a producer hands items to several consumers, each item to one": "Queue",
    "the most urgent job is handed out first": "PriorityQueue",
    "a method holding the lock calls another method that takes it": "RLock",
    "two threads each need the same two locks": "lock order",
}

_HINTS = {
    "at most 4 downloads at once; an extra release() is a bug to catch": (
        "what happens on a release() that had no acquire()?"
    ),
    "one thread tells all waiting threads, once, that they may start": (
        "nothing is counted or handed over: one signal, and it stays given"
    ),
    "no thread begins step 2 before every thread has finished step 1": (
        "every thread waits for all the others at the same point"
    ),
    "a producer hands items to several consumers, each item to one": (
        "the items themselves must travel safely between threads"
    ),
    "the most urgent job is handed out first": "the order items come out in matters",
    "a method holding the lock calls another method that takes it": (
        "one thread takes the same lock twice"
    ),
    "two threads each need the same two locks": (
        "not an object: a rule that makes a cycle of waits impossible"
    ),
}


def check_primitive_quiz(answers: Mapping[str, Any]) -> Verdict:
    """Checker: for each situation, the primitive that fits (one of
    :data:`PRIMITIVES`). ``10_semaphores_events_deadlocks.ipynb``."""
    if isinstance(answers, Mapping):
        for key, value in answers.items():
            if value is not None and value not in PRIMITIVES:
                print(f"   {key!r}: {value!r} is not one of {', '.join(PRIMITIVES)}")
    return check_answers(answers, _QUIZ, _HINTS, name="answers")
