"""Checkers of the exercises of ``07_condition_variables.ipynb``."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

from ..core.conditions import stolen_wakeup
from ..core.validate import check_callable
from .verdicts import Verdict, not_yet, verdict

__all__: list[str] = ["check_gate", "check_safe_account"]


def check_safe_account(account_class: type, timeout: float = 0.3) -> Verdict:
    """07 exercise: the account must survive a stolen wake-up.

    Two spenders of 20 wait on an empty account; one deposit of 20 wakes
    both. Correct: the balance never goes below 0, one spender gets the
    money, the other keeps waiting and its ``withdraw(20, timeout)`` returns
    ``False`` only once its whole timeout has passed.
    """
    check_callable("account_class", account_class)
    try:
        r = stolen_wakeup(account_class, amount=20, timeout=timeout)
    except Exception as exc:  # report, don't crash the notebook
        return not_yet(f"the account raised {type(exc).__name__}: {exc}")
    if not r["finished"]:
        return not_yet("a spender was still waiting long after its timeout.")
    if r["balance"] < 0 or r["spent"] > 1:
        return not_yet(
            f"both spenders took the money: the balance ended at {r['balance']}."
        )
    if r["gave_up_early"]:
        return not_yet(
            f"a spender gave up after less than its timeout of {timeout:g} s: "
            "the money could still have come."
        )
    return verdict(
        r["balance"] == 0 and r["spent"] == 1 and r["timed_out"] == 1,
        "one spender got the 20, the other went on waiting and timed out after "
        "its full timeout; the balance never went negative.",
        f"{r['spent']} spender(s) got the money and {r['timed_out']} timed out: "
        "one of each was expected.",
    )


def check_gate(gate_class: type, timeout: float = 0.3) -> Verdict:
    """07 exercise: a gate that stays open even if opened before anyone waits.

    ``gate_class()`` must have ``open()`` and ``wait(timeout) -> bool``.
    Checks: open-then-wait returns ``True`` at once (no lost wake-up);
    a thread already waiting (with a long timeout) wakes promptly when
    another thread opens the gate (a gate that never notifies wakes only at
    its timeout); a gate never opened returns ``False`` after its timeout,
    not before; and no waiting is done by polling with ``time.sleep``.
    """
    check_callable("gate_class", gate_class)
    sleeps = _SleepCounter()
    try:
        with sleeps:
            problem = _gate_problem(gate_class, timeout, sleeps)
    except Exception as exc:
        return not_yet(f"the gate raised {type(exc).__name__}: {exc}")
    if not problem and sleeps.calls:
        problem = (
            f"the gate called time.sleep {sleeps.calls} time(s): it polls "
            "instead of being woken."
        )
    return verdict(
        not problem,
        "open() is remembered, so no wake-up can be lost; a waiting thread "
        "wakes at once, and a closed gate times out with False.",
        problem,
    )


def _gate_problem(gate_class: type, timeout: float, sleeps: _SleepCounter) -> str:
    early = gate_class()
    early.open()
    start = time.perf_counter()
    first = early.wait(timeout)
    if first is not True or time.perf_counter() - start > timeout / 2:
        return "open() before wait() was lost: wait() timed out."
    # the closed gate first: its verdict does not depend on how soon the
    # waiter below is scheduled
    start = time.perf_counter()
    closed = gate_class().wait(timeout)
    waited = time.perf_counter() - start
    if closed is not False:
        return "wait() on a gate that was never opened must return False."
    if waited < 0.9 * timeout:
        return f"wait({timeout:g}) on a closed gate gave up after {waited:.2f} s."
    late = gate_class()
    long_wait = max(2.0, timeout * 10)
    inside = threading.Event()
    got: list[Any] = []
    woke: list[float] = []

    def waiter() -> None:
        sleeps.watch_this_thread()
        with _tells_when_it_waits(inside):
            got.append(late.wait(long_wait))
        woke.append(time.perf_counter())

    t = threading.Thread(target=waiter, daemon=True)
    t.start()
    # open() only once the waiter is in a Condition's wait (Event.wait and
    # wait_for use one too): it still holds that Condition's lock when it
    # tells, so an open() that takes the lock comes after its wait began.
    # A gate that waits some other way gets `timeout` seconds to get there.
    inside.wait(timeout)
    opened = time.perf_counter()
    late.open()
    t.join(long_wait + 5)
    if got != [True]:
        return "a thread waiting before open() was not woken."
    if woke[0] - opened > long_wait / 2:
        return (
            f"a waiting thread woke {woke[0] - opened:.1f} s after open(): only "
            "when its own timeout ran out."
        )
    return ""


@contextlib.contextmanager
def _tells_when_it_waits(inside: threading.Event) -> Iterator[None]:
    """While inside, this thread's calls of ``threading.Condition.wait`` set
    ``inside`` first, while the thread still holds the Condition's lock.
    Other threads' calls pass straight through."""
    real, me = threading.Condition.wait, threading.get_ident()

    def wait(cond: Any, timeout: float | None = None) -> bool:
        if threading.get_ident() == me:
            inside.set()
        return real(cond, timeout)

    threading.Condition.wait = wait  # type: ignore[method-assign, assignment]
    try:
        yield
    finally:
        threading.Condition.wait = real  # type: ignore[method-assign]


class _SleepCounter:
    """Counts calls of ``time.sleep`` while inside, from the thread that
    entered and the threads that called :meth:`watch_this_thread`."""

    def __init__(self) -> None:
        self.calls = 0
        self._real = time.sleep
        self._threads = {threading.get_ident()}

    def watch_this_thread(self) -> None:
        self._threads.add(threading.get_ident())

    def _sleep(self, seconds: float) -> None:
        if threading.get_ident() in self._threads:
            self.calls += 1
        self._real(seconds)

    def __enter__(self) -> _SleepCounter:
        time.sleep = self._sleep  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        time.sleep = self._real
