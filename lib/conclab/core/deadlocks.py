"""Locks that never wait forever, bank accounts, and a stress run of transfers.

Introduced in ``10_semaphores_events_deadlocks.ipynb``. The notebook writes
the transfers, makes them deadlock, finds out who waits on what and fixes
them; this module holds what the notebook and its checker share:

* :class:`TimeoutLock`: a ``threading.Lock`` whose every acquire gives up
  after a timeout (``with lock:`` raises ``TimeoutError`` naming the holder)
  and which knows the thread holding it. A deadlock in a demo becomes an
  error after a second instead of a frozen kernel.
* :class:`BankAccount`: a name, a balance and a :class:`TimeoutLock`.
* :func:`stress_transfers`: many threads doing random transfers between a
  few accounts with *your* ``transfer`` function, and what came of it.

Threads only: nothing here depends on the multiprocessing start method.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .validate import check_callable, check_int, check_number

__all__ = ["BankAccount", "StressResult", "TimeoutLock", "stress_transfers"]


class TimeoutLock:
    """A lock that never waits forever, and knows who holds it.

    Works like ``threading.Lock`` (``acquire``, ``release``, ``locked``,
    ``with``), with two differences: every acquire waits at most ``timeout``
    seconds (``acquire()`` then returns False; ``with lock:`` raises
    ``TimeoutError`` saying who waited, for which lock, and who holds it),
    and ``owner`` is the ``threading.Thread`` that holds it (None when free).
    Used for the accounts of ``10_semaphores_events_deadlocks.ipynb``, so
    that its deadlocks end after a second.
    """

    def __init__(self, name: str = "lock", timeout: float = 1.0) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"name must be a non-empty str, got {name!r}")
        self.name = name
        self.timeout = check_number("timeout", timeout, minimum=0.0, maximum=60.0)
        self._lock = threading.Lock()
        self.owner: threading.Thread | None = None

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        """Take the lock; wait at most ``timeout`` (and never more than the
        lock's own ``timeout``) seconds. True if taken."""
        if not blocking:
            got = self._lock.acquire(blocking=False)
        else:
            wait = self.timeout if timeout is None or timeout < 0 else timeout
            got = self._lock.acquire(timeout=min(wait, self.timeout))
        if got:
            self.owner = threading.current_thread()
        return got

    def release(self) -> None:
        """Release the lock (any thread may, as with ``threading.Lock``)."""
        if not self._lock.locked():
            raise RuntimeError(f"release of {self.name}, which is not locked")
        self.owner = None
        self._lock.release()

    def locked(self) -> bool:
        """True while some thread holds the lock."""
        return self._lock.locked()

    def __enter__(self) -> TimeoutLock:
        if not self.acquire():
            me = threading.current_thread()
            holder = self.owner
            who = (
                "nobody"
                if holder is None
                else f"{me.name} itself"
                if holder is me
                else holder.name
            )
            raise TimeoutError(
                f"{me.name} waited {self.timeout:g} s for {self.name}, held by {who}"
            )
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __repr__(self) -> str:
        state = f"held by {self.owner.name}" if self.owner else "free"
        return f"TimeoutLock({self.name!r}, {state})"


class BankAccount:
    """An account: ``name``, ``balance`` and its own ``lock`` (a :class:`TimeoutLock`).

    ``timeout`` is how long a thread waits for the lock before giving up.
    The accounts of ``10_semaphores_events_deadlocks.ipynb``.
    """

    def __init__(self, name: str, balance: int = 100, timeout: float = 1.0) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"name must be a non-empty str, got {name!r}")
        self.name = name
        self.balance = check_int("balance", balance)
        self.lock = TimeoutLock(f"{name}'s lock", timeout)

    def __repr__(self) -> str:
        return f"BankAccount({self.name!r}, balance={self.balance})"


@dataclass(frozen=True)
class StressResult:
    """What :func:`stress_transfers` saw.

    ``completed`` transfers returned, ``timeouts`` raised ``TimeoutError``
    (a lock not obtained in time: a deadlock, or a lock held far too long),
    ``errors`` lists other exceptions; ``before``/``after`` are the balances,
    ``expected`` what the completed transfers should have left.
    """

    threads: int
    attempted: int
    completed: int
    timeouts: int
    errors: tuple[str, ...]
    before: dict[str, int]
    after: dict[str, int]
    expected: dict[str, int]
    seconds: float
    finished: bool

    @property
    def money_kept(self) -> bool:
        """No money created or destroyed: the total is what it was."""
        return sum(self.after.values()) == sum(self.before.values())

    @property
    def ok(self) -> bool:
        """Everything finished, nothing timed out or failed, every balance right."""
        return (
            self.finished
            and self.timeouts == 0
            and not self.errors
            and self.after == self.expected
        )


def stress_transfers(
    transfer: Callable[[BankAccount, BankAccount, int], object],
    *,
    accounts: int = 4,
    threads: int = 8,
    transfers: int = 300,
    seed: int = 10,
    lock_timeout: float = 2.0,
    stop_at_first_timeout: bool = False,
    timeout: float = 60.0,
) -> StressResult:
    """Run ``transfer(src, dst, amount)`` many times from many threads at once.

    ``threads`` threads each make ``transfers`` transfers of 1–10 between
    two different accounts drawn at random (each thread has its own
    ``random.Random(seed + i)``, so the same arguments make the same
    transfers) among ``accounts`` :class:`BankAccount` s of 1000. All
    threads start together at a barrier. A lock not obtained within
    ``lock_timeout`` seconds raises ``TimeoutError`` inside ``transfer``:
    it is counted, and with ``stop_at_first_timeout`` every thread stops
    soon after the first one. Returns a :class:`StressResult`.
    ``10_semaphores_events_deadlocks.ipynb``.
    """
    check_callable("transfer", transfer)
    check_int("accounts", accounts, minimum=2, maximum=100)
    check_int("threads", threads, minimum=1, maximum=64)
    check_int("transfers", transfers, minimum=0, maximum=100_000)
    check_int("seed", seed)
    check_number("lock_timeout", lock_timeout, minimum=0.01, maximum=60)
    check_number("timeout", timeout, minimum=0.01)
    bank = [BankAccount(f"acct{i}", 1000, lock_timeout) for i in range(accounts)]
    before = {a.name: a.balance for a in bank}
    start = threading.Barrier(threads, timeout=timeout)
    stop = threading.Event()
    lock = threading.Lock()
    done: list[tuple[str, str, int]] = []
    counts = {"attempted": 0, "timeouts": 0}
    errors: list[str] = []

    def worker(i: int) -> None:
        rng = random.Random(seed + i)
        mine: list[tuple[str, str, int]] = []
        attempted = timeouts = 0
        try:
            start.wait()
            for _ in range(transfers):
                if stop.is_set():
                    break
                src, dst = rng.sample(bank, 2)
                amount = rng.randint(1, 10)
                attempted += 1
                try:
                    transfer(src, dst, amount)
                except TimeoutError:
                    timeouts += 1
                    if stop_at_first_timeout:
                        stop.set()
                    continue
                mine.append((src.name, dst.name, amount))
        except Exception as exc:  # reported in the result, never lost
            with lock:
                errors.append(f"{type(exc).__name__}: {exc}")
            stop.set()
        with lock:
            done.extend(mine)
            counts["attempted"] += attempted
            counts["timeouts"] += timeouts

    pool = [
        threading.Thread(target=worker, args=(i,), name=f"stress-{i}", daemon=True)
        for i in range(threads)
    ]
    began = time.perf_counter()
    for t in pool:
        t.start()
    deadline = time.monotonic() + timeout
    for t in pool:
        t.join(max(0.0, deadline - time.monotonic()))
    seconds = time.perf_counter() - began
    finished = not any(t.is_alive() for t in pool)
    if not finished:
        stop.set()  # the rest stop at their next transfer
    expected = dict(before)
    for src, dst, amount in done:
        expected[src] -= amount
        expected[dst] += amount
    return StressResult(
        threads=threads,
        attempted=counts["attempted"],
        completed=len(done),
        timeouts=counts["timeouts"],
        errors=tuple(errors),
        before=before,
        after={a.name: a.balance for a in bank},
        expected=expected,
        seconds=seconds,
        finished=finished,
    )
