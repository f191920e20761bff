"""Checker of the transfer exercise of ``10_semaphores_events_deadlocks.ipynb``.

``check_transfer(transfer)`` runs the student's ``transfer(src, dst, amount)``
on accounts that watch how they are used, in four tests that do not depend
on luck:

1. one transfer: the balances are right, and each balance was written while
   its thread held *both* accounts' locks;
2. two opposite transfers at the same moment: the accounts' locks make the
   two threads meet while each holds its first lock, so code that takes the
   locks in argument order deadlocks every time (every wait ends after a
   timeout, so nothing hangs), while code that takes them in one order
   passes at once;
3. a transfer from an account to itself;
4. a stress run: 6 threads × 300 random transfers among 4 accounts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ..core.deadlocks import BankAccount, TimeoutLock, stress_transfers
from ..core.validate import check_callable
from .verdicts import Verdict, correct, not_yet

__all__ = ["check_transfer"]

Transfer = Callable[[BankAccount, BankAccount, int], object]


class _Meeting:
    """A one-time rendezvous: a thread that takes its first lock waits until
    the other thread holds a first lock too, so opposite transfers both hold
    one lock before either asks for its second. It ends at once, too, when
    the other thread waits for a lock this one holds (they cannot both hold
    one: the locks are taken in one order). ``timeout`` only guards against
    a thread that never comes."""

    def __init__(self, parties: int = 2, timeout: float = 2.0) -> None:
        self.parties = parties
        self.timeout = timeout
        self.cond = threading.Condition()
        self.arrived: set[threading.Thread] = set()
        self.waiting: dict[threading.Thread, TimeoutLock] = {}
        self.open = True

    def _blocked_by(self, me: threading.Thread) -> bool:
        return any(
            lock.owner is me for who, lock in self.waiting.items() if who is not me
        )

    def waits_for(self, lock: TimeoutLock | None) -> None:
        """Note (or, with None, forget) the lock this thread is asking for."""
        me = threading.current_thread()
        with self.cond:
            if lock is None:
                self.waiting.pop(me, None)
            else:
                self.waiting[me] = lock
                self.cond.notify_all()

    def arrive(self) -> None:
        me = threading.current_thread()
        with self.cond:
            if not self.open or me in self.arrived:
                return
            self.arrived.add(me)
            self.cond.notify_all()
            self.cond.wait_for(
                lambda: len(self.arrived) >= self.parties or self._blocked_by(me),
                self.timeout,
            )
            self.open = False  # one meeting only


class _MeetingLock(TimeoutLock):
    def __init__(self, name: str, timeout: float, meeting: _Meeting) -> None:
        super().__init__(name, timeout)
        self.meeting = meeting

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        self.meeting.waits_for(self)
        try:
            got = super().acquire(blocking, timeout)
        finally:
            self.meeting.waits_for(None)
        if got:
            self.meeting.arrive()
        return got


class _WatchedAccount(BankAccount):
    """Records every balance write made without holding the locks of all
    the accounts in ``group`` (the two accounts of the transfer)."""

    def __init__(self, name: str, balance: int, timeout: float) -> None:
        self._balance = 0
        self.group: list[_WatchedAccount] = [self]
        self.problems: list[str] = []
        super().__init__(name, balance, timeout)

    @property
    def balance(self) -> int:
        return self._balance

    @balance.setter
    def balance(self, value: int) -> None:
        me = threading.current_thread()
        if self.group and hasattr(self, "lock"):
            if self.lock.owner is not me:
                self.problems.append(
                    f"changed {self.name}'s balance without holding {self.name}'s "
                    "lock: two transfers at once can lose money"
                )
            elif any(other.lock.owner is not me for other in self.group):
                self.problems.append(
                    "moved money while holding only one of the two locks: for a "
                    "moment the money is in neither account (or in both)"
                )
        self._balance = value


def _accounts(
    names: tuple[str, ...], timeout: float, meeting: _Meeting | None = None
) -> list[_WatchedAccount]:
    accounts = [_WatchedAccount(name, 100, timeout) for name in names]
    for account in accounts:
        account.group = accounts
        if meeting is not None:
            account.lock = _MeetingLock(account.lock.name, timeout, meeting)
    return accounts


def _run(calls: list[tuple[Any, ...]], transfer: Transfer, limit: float) -> list[str]:
    """Run each ``transfer(*args)`` in its own thread, all at once; return
    the errors (``TypeError: ...``), or a note for threads still running."""
    errors: list[str] = []
    lock = threading.Lock()

    def one(args: tuple[Any, ...]) -> None:
        try:
            transfer(*args)
        except Exception as exc:
            with lock:
                errors.append(f"{type(exc).__name__}: {exc}")

    threads = [
        threading.Thread(
            target=one,
            args=(args,),
            name=f"transfer({args[0].name}, {args[1].name}, {args[2]})",
            daemon=True,
        )
        for args in calls
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(limit)
    if any(t.is_alive() for t in threads):
        errors.append(f"a transfer was still running after {limit:g} s")
    return errors


def _problems(accounts: list[_WatchedAccount]) -> list[str]:
    """Every problem once; a write without the account's own lock first."""
    seen: list[str] = []
    for account in accounts:
        for problem in account.problems:
            if problem not in seen:
                seen.append(problem)
    return sorted(seen, key=lambda problem: "without holding" not in problem)


def check_transfer(transfer: Transfer | None) -> Verdict:
    """Checker: ``transfer(src, dst, amount)`` moves money without deadlocking.

    See the module's docstring for the four tests. The hint names the first
    test that failed and what went wrong, not the fix.
    ``10_semaphores_events_deadlocks.ipynb``.
    """
    if transfer is None:
        return not_yet("define transfer first.")
    check_callable("transfer", transfer)

    # 1. one transfer, watched
    a, b = _accounts(("a", "b"), timeout=1.0)
    errors = _run([(a, b, 30)], transfer, limit=5)
    if errors:
        return not_yet(f"transfer(a, b, 30) failed: {errors[0]}")
    problems = _problems([a, b])
    if problems:
        return not_yet(f"transfer(a, b, 30) {problems[0]}.")
    if (a.balance, b.balance) != (70, 130):
        return not_yet(
            f"after transfer(a, b, 30) from 100 and 100: a = {a.balance}, "
            f"b = {b.balance}; expected 70 and 130."
        )

    # 2. two opposite transfers, each thread holding its first lock
    meeting = _Meeting(parties=2)
    a, b = _accounts(("a", "b"), timeout=0.8, meeting=meeting)
    errors = _run([(a, b, 10), (b, a, 20)], transfer, limit=5)
    if errors:
        return not_yet(
            "transfer(a, b, 10) and transfer(b, a, 20) at the same moment "
            "deadlocked: each thread held one lock and waited for the other's "
            "(a TimeoutError ended the wait)."
        )
    problems = _problems([a, b])
    if problems:
        return not_yet(f"two opposite transfers: {problems[0]}.")
    if (a.balance, b.balance) != (110, 90):
        return not_yet(
            f"after transfer(a, b, 10) and transfer(b, a, 20): a = {a.balance}, "
            f"b = {b.balance}; expected 110 and 90."
        )

    # 3. from an account to itself
    (a,) = _accounts(("a",), timeout=0.5)
    errors = _run([(a, a, 10)], transfer, limit=5)
    if errors:
        return not_yet(
            f"transfer(a, a, 10) failed: {errors[0]}. A thread waited for a lock "
            "it holds itself."
        )
    if a.balance != 100:
        return not_yet(f"transfer(a, a, 10) changed a from 100 to {a.balance}.")

    # 4. stress
    result = stress_transfers(
        transfer, accounts=4, threads=6, transfers=300, seed=15, lock_timeout=5.0
    )
    if not result.ok:
        what = (
            f"{result.timeouts} transfers timed out (a deadlock?)"
            if result.timeouts
            else result.errors[0]
            if result.errors
            else "some balances are wrong"
            if result.finished
            else "it did not finish"
        )
        return not_yet(
            f"a stress run of {result.attempted} transfers from 6 threads: {what}."
        )
    return correct(
        "opposite transfers at the same moment do not deadlock, a transfer to "
        f"the same account works, and {result.completed:,} transfers from 6 "
        "threads kept every balance right."
    )
