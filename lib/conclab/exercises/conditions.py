"""Checkers of the exercises of ``07_condition_variables.ipynb``."""

from __future__ import annotations

import threading
import time
from typing import Any

from ..core.conditions import stolen_wakeup
from ..core.validate import check_callable
from .verdicts import Verdict, verdict

__all__: list[str] = ["check_gate", "check_safe_account"]


def check_safe_account(account_class: type) -> Verdict:
    """07 exercise: the account must survive a stolen wake-up.

    Two spenders of 20 wait on an empty account; one deposit of 20 wakes
    both. Correct: the balance never goes below 0, one spender gets the
    money, the other's ``withdraw(20, timeout)`` returns ``False``.
    """
    check_callable("account_class", account_class)
    try:
        r = stolen_wakeup(account_class, amount=20, timeout=0.3)
    except Exception as exc:  # report, don't crash the notebook
        return verdict(False, "", f"the account raised {type(exc).__name__}: {exc}")
    if not r["finished"]:
        return verdict(
            False,
            "",
            "a spender is still waiting: did withdraw pass its timeout to wait?",
        )
    return verdict(
        r["balance"] == 0 and r["spent"] == 1 and r["timed_out"] == 1,
        "one spender got the 20, the other re-checked, waited and timed out; "
        "the balance never went negative.",
        f"the balance ended at {r['balance']}: after a wake-up, check the "
        "balance again (a while loop or wait_for), another thread may have "
        "spent the money first.",
    )


def check_gate(gate_class: type, timeout: float = 0.3) -> Verdict:
    """07 exercise: a gate that stays open even if opened before anyone waits.

    ``gate_class()`` must have ``open()`` and ``wait(timeout) -> bool``.
    Checks: open-then-wait returns ``True`` at once (no lost wake-up),
    wait-then-open (from another thread) returns ``True``, a gate never
    opened returns ``False`` after the timeout.
    """
    check_callable("gate_class", gate_class)
    try:
        early = gate_class()
        early.open()
        start = time.perf_counter()
        first = early.wait(timeout)
        quick = time.perf_counter() - start < timeout / 2
        late = gate_class()
        started = threading.Event()
        got: list[Any] = []

        def waiter() -> None:
            started.set()
            got.append(late.wait(timeout * 10))

        t = threading.Thread(target=waiter, daemon=True)
        t.start()
        started.wait(timeout)
        late.open()
        t.join(timeout * 10)
        closed = gate_class().wait(timeout / 3)
    except Exception as exc:
        return verdict(False, "", f"the gate raised {type(exc).__name__}: {exc}")
    if not (first is True and quick):
        return verdict(
            False,
            "",
            "open() before wait() was lost: wait() timed out. Remember the "
            "state in a flag and wait with wait_for(lambda: self.is_open, ...).",
        )
    if got != [True]:
        return verdict(False, "", "a thread waiting before open() was not woken.")
    if closed is not False:
        return verdict(False, "", "wait() on a closed gate must return False.")
    return verdict(
        True,
        "the flag remembers open(), so no wake-up can be lost; waiters wake, "
        "and a closed gate times out with False.",
        "",
    )
