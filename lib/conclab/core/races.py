"""Lost updates that really happen, the notes' bank account, and its mistakes.

Introduced in ``05_race_conditions.ipynb``: the deterministic lost update
(:func:`withdraw_twice`, two withdrawals meeting at a
:class:`threading.Barrier`), the statistical one (:func:`count_race`,
``account.balance += 1`` through a property), the notes' stingy/spendy
account, and the notes' mistakes run safely (:func:`break_with_lock_held`,
:func:`poll_racy_counter`). Every wait has a timeout.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .validate import check_int, check_number
from .waiting import join_all

__all__: list[str] = [
    "Account",
    "NotesStingySpendy",
    "RaceResult",
    "StingySpendy",
    "break_with_lock_held",
    "count_race",
    "nested_acquire",
    "poll_racy_counter",
    "race_sweep",
    "run_stingy_spendy",
    "withdraw_twice",
]


class Account:
    """A balance read and written through a Python ``@property``.

    ``account.balance += 1`` calls the getter (a Python function), adds, and
    calls the setter: since Python 3.10 the interpreter may hand the GIL to
    another thread right after such a call, between the read and the write,
    so two threads lose updates. Used by ``05_race_conditions.ipynb``.
    """

    def __init__(self, balance: int = 0) -> None:
        self._balance = check_int("balance", balance)

    @property
    def balance(self) -> int:
        return self._balance

    @balance.setter
    def balance(self, value: int) -> None:
        self._balance = value

    def __repr__(self) -> str:
        return f"Account(balance={self._balance})"


def withdraw_twice(
    balance: int = 100,
    amounts: tuple[int, int] = (30, 50),
    *,
    use_lock: bool = False,
    timeout: float = 5.0,
) -> int:
    """The deterministic lost update: two withdrawals, returns the final balance.

    Without the lock each thread reads the balance, both meet at a
    ``threading.Barrier(2)`` (so both have read before either writes), then
    each writes ``seen - amount``: 100 - 30 - 50 leaves 70 or 50, whichever
    write comes last, and never 20. With ``use_lock=True`` the read and the
    write happen together under one lock (the threads still start together
    at the barrier): always 20. ``05_race_conditions.ipynb``.
    """
    balance = check_int("balance", balance)
    if len(amounts) != 2:
        raise ValueError(f"amounts must be two numbers, got {amounts!r}")
    for amount in amounts:
        check_int("amounts", amount)
    timeout = check_number("timeout", timeout, minimum=0.001)
    account = Account(balance)
    barrier = threading.Barrier(2, timeout=timeout)
    lock = threading.Lock()
    errors: list[BaseException] = []

    def withdraw(amount: int) -> None:
        try:
            if use_lock:
                barrier.wait()
                with lock:
                    seen = account.balance
                    account.balance = seen - amount
            else:
                seen = account.balance
                barrier.wait()  # both threads have read: now both write
                account.balance = seen - amount
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=withdraw, args=(a,)) for a in amounts]
    for t in threads:
        t.start()
    join_all(threads, timeout + 5)
    if errors:
        raise errors[0]
    return account.balance


@dataclass(frozen=True)
class RaceResult:
    """What :func:`count_race` measured: ``expected - final`` updates were lost."""

    threads: int
    iterations: int
    use_lock: bool
    expected: int
    final: int
    seconds: float

    @property
    def lost(self) -> int:
        return self.expected - self.final


def _all_running(barrier: threading.Barrier, running: list[None]) -> None:
    """Return once every counting thread runs Python code, not only once the
    barrier let it go: on a busy machine a thread woken by the barrier can
    wait for a core longer than the other needs for all its increments, and
    then nothing overlaps and nothing is lost (seen once in CI, 3.14)."""
    barrier.wait()
    running.append(None)
    while len(running) < barrier.parties - 1:
        time.sleep(0)  # lets the others take the GIL


def _add_many(
    account: Account, iterations: int, barrier: threading.Barrier, running: list[None]
) -> None:
    _all_running(barrier, running)
    for _ in range(iterations):
        account.balance += 1


def _add_many_locked(
    account: Account,
    iterations: int,
    barrier: threading.Barrier,
    running: list[None],
    lock: Any,
) -> None:
    _all_running(barrier, running)
    for _ in range(iterations):
        with lock:
            account.balance += 1


def count_race(
    threads: int = 2,
    iterations: int = 500_000,
    *,
    use_lock: bool = False,
    timeout: float = 60.0,
) -> RaceResult:
    """``threads`` threads each do ``account.balance += 1`` ``iterations`` times.

    The statistical lost update. Measured on 2 cores with CPython 3.10–3.13
    (GIL builds): 2 × 500 000 lost updates in every trial, in about 0.1–0.2 s.
    Fewer iterations often lose nothing: the threads switch every 5 ms
    (``sys.getswitchinterval()``), so a short run switches only a few times,
    and a switch loses updates only when it falls between the getter and the
    setter. 2 × 500 000 lost nothing once in CI (3.14, a busy machine);
    ``05_race_conditions.ipynb`` checks 2 × 2 000 000 (0.5–1 s idle here).
    ``use_lock=True`` puts ``with lock:`` around each ``+=``: nothing is ever
    lost (and it is slower). ``05_race_conditions.ipynb``.
    """
    threads = check_int("threads", threads, minimum=1, maximum=64)
    iterations = check_int("iterations", iterations, minimum=0)
    timeout = check_number("timeout", timeout, minimum=0.001)
    account = Account(0)
    barrier = threading.Barrier(threads + 1, timeout=timeout)
    lock = threading.Lock()
    running: list[None] = []
    target: Callable[..., None] = _add_many_locked if use_lock else _add_many
    extra = (lock,) if use_lock else ()
    workers = [
        threading.Thread(
            target=target, args=(account, iterations, barrier, running, *extra)
        )
        for _ in range(threads)
    ]
    for t in workers:
        t.start()
    start = time.perf_counter()
    barrier.wait()  # all threads start counting together
    join_all(workers, timeout)
    seconds = time.perf_counter() - start
    return RaceResult(
        threads=threads,
        iterations=iterations,
        use_lock=use_lock,
        expected=threads * iterations,
        final=account.balance,
        seconds=seconds,
    )


def race_sweep(
    threads: int = 2,
    iterations: int = 500_000,
    *,
    steps: Sequence[int] = (1_000, 10_000, 50_000, 200_000, 500_000, 1_000_000),
    use_lock: Iterable[bool] = (False, True),
) -> list[RaceResult]:
    """:func:`count_race` for every step up to ``iterations`` (and
    ``iterations`` itself), without and with the lock: the data of the panel in
    ``05_race_conditions.ipynb`` (plot it with :func:`plot_race_sweep`)."""
    threads = check_int("threads", threads, minimum=1, maximum=64)
    iterations = check_int("iterations", iterations, minimum=1, maximum=10_000_000)
    sizes = sorted({n for n in steps if n < iterations} | {iterations})
    return [count_race(threads, n, use_lock=lock) for lock in use_lock for n in sizes]


class StingySpendy:
    """The notes' account, done right: instance attributes and ``with lock:``.

    ``stingy`` adds 10 and ``spendy`` takes 10, ``times`` times each; run
    together by :func:`run_stingy_spendy`, the balance ends where it started.
    ``05_race_conditions.ipynb``.
    """

    def __init__(self, money: int = 100) -> None:
        self.money = check_int("money", money)
        self.lock = threading.Lock()

    def stingy(self, times: int = 100_000) -> None:
        for _ in range(times):
            with self.lock:
                self.money += 10

    def spendy(self, times: int = 100_000) -> None:
        for _ in range(times):
            with self.lock:
                self.money -= 10


class NotesStingySpendy:
    """The notes' version: ``money`` and ``mutex`` are *class* attributes.

    The lock is shared by every instance (two accounts would wait for each
    other), and the first ``self.money += 10`` creates an *instance*
    attribute: the class attribute stays 100. It works, but for a reason
    that is easy to miss. ``05_race_conditions.ipynb``.
    """

    money = 100
    mutex = threading.Lock()

    def stingy(self, times: int = 100_000) -> None:
        for _ in range(times):
            self.mutex.acquire()
            try:
                self.money += 10
            finally:
                self.mutex.release()

    def spendy(self, times: int = 100_000) -> None:
        for _ in range(times):
            self.mutex.acquire()
            try:
                self.money -= 10
            finally:
                self.mutex.release()


def run_stingy_spendy(
    account: Any, times: int = 100_000, *, timeout: float = 60.0
) -> int:
    """Run ``account.stingy`` and ``account.spendy`` in two threads, join both
    (instead of the notes' ``time.sleep(10)``) and return ``account.money``."""
    times = check_int("times", times, minimum=0)
    timeout = check_number("timeout", timeout, minimum=0.001)
    threads = [
        threading.Thread(target=account.stingy, args=(times,)),
        threading.Thread(target=account.spendy, args=(times,)),
    ]
    for t in threads:
        t.start()
    join_all(threads, timeout)
    return account.money


def nested_acquire(lock: Any, timeout: float = 0.2) -> bool:
    """Take ``lock``, then try to take it again from the same thread.

    Returns whether the second acquire succeeded. A ``Lock`` says False
    after ``timeout`` seconds (without the timeout the thread would wait for
    itself forever); an ``RLock`` says True. ``05_race_conditions.ipynb``.
    """
    timeout = check_number("timeout", timeout, minimum=0.0)
    with lock:
        got = lock.acquire(timeout=timeout)
        if got:
            lock.release()
        return got


def break_with_lock_held(timeout: float = 0.2) -> dict[str, bool]:
    """The notes' waiting loop: ``break`` out of ``while True`` with the lock held.

    Runs the loop (the work is already finished, so it breaks at once) and
    reports what is left: ``{"locked": lock.locked(), "acquired": ...}``,
    where ``acquired`` is whether another thread can get the lock within
    ``timeout`` seconds. The answer is ``locked=True, acquired=False``: the
    next ``acquire()`` without a timeout would wait forever.
    ``05_race_conditions.ipynb``.
    """
    timeout = check_number("timeout", timeout, minimum=0.0)
    lock = threading.Lock()
    finished_count = 20
    while True:
        lock.acquire()
        if finished_count == 20:
            break  # leaves the loop with the lock held
        lock.release()
    acquired: list[bool] = []
    other = threading.Thread(
        target=lambda: acquired.append(lock.acquire(timeout=timeout))
    )
    other.start()
    other.join(timeout + 5)
    report = {"locked": lock.locked(), "acquired": bool(acquired and acquired[0])}
    if lock.locked():
        lock.release()  # clean up: this demo must not leave a held lock behind
    return report


def poll_racy_counter(deadline: float = 0.5, timeout: float = 5.0) -> dict[str, Any]:
    """Two workers each do ``finished_count += 1`` without a lock, racing for sure.

    Both read the counter, meet at a barrier, then write ``seen + 1``: the
    counter ends at 1 although 2 workers finished. The notes' poller,
    ``while finished_count < 2: time.sleep(...)``, would wait forever; here
    it gives up after ``deadline`` seconds. Returns
    ``{"finished_count", "workers_done", "gave_up", "seconds"}``.
    ``05_race_conditions.ipynb``.
    """
    deadline = check_number("deadline", deadline, minimum=0.0, maximum=60)
    timeout = check_number("timeout", timeout, minimum=0.001)
    state = {"finished_count": 0}
    barrier = threading.Barrier(2, timeout=timeout)
    done = []

    def worker() -> None:
        seen = state["finished_count"]
        barrier.wait()
        state["finished_count"] = seen + 1
        done.append(1)

    start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    gave_up = False
    while state["finished_count"] < 2:
        if time.perf_counter() - start > deadline:
            gave_up = True
            break
        time.sleep(0.01)
    join_all(threads, timeout + 5)
    return {
        "finished_count": state["finished_count"],
        "workers_done": len(done),
        "gave_up": gave_up,
        "seconds": time.perf_counter() - start,
    }
