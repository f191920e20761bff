"""Condition variables: the account that waits for money, the bounded buffer.

Introduced in ``07_condition_variables.ipynb``: :class:`ConditionAccount`,
:class:`BoundedBuffer`, the producer/consumer run, the stolen wake-up and the
one-condition stall, and :class:`SyncRecorder`, which logs who waits, who
notifies and who wakes (drawn by :func:`conclab.plot_sync_timeline`).
Threads only; every blocking call takes a ``timeout`` so that no demo hangs.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .validate import (
    check_callable,
    check_choice,
    check_int,
    check_number,
    check_timeout,
)

__all__: list[str] = [
    "BUFFER_KINDS",
    "BoundedBuffer",
    "ConditionAccount",
    "ProducerConsumerResult",
    "RecordingCondition",
    "SyncEvent",
    "SyncRecorder",
    "one_condition_stall",
    "producer_consumer",
    "stingy_spendy",
    "stolen_wakeup",
]


@dataclass(frozen=True)
class SyncEvent:
    """One thing a thread did: ``kind`` is wait/wake/timeout/notify/put/get/…

    ``time`` is in seconds since the recorder started. Introduced in
    ``07_condition_variables.ipynb``.
    """

    time: float
    thread: str
    kind: str
    detail: str = ""


class SyncRecorder:
    """Collect :class:`SyncEvent` s from many threads on one clock.

    ``recorder.condition(lock)`` makes a :class:`RecordingCondition` that logs
    every wait, wake-up, timeout and notify into this recorder;
    ``recorder.record(kind)`` logs anything else. Draw it with
    :func:`plot_sync_timeline`. Introduced in ``07_condition_variables.ipynb``.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._t0 = time.perf_counter()
        self.events: list[SyncEvent] = []

    def record(self, kind: str, detail: str = "") -> None:
        """Log ``kind`` for the calling thread, now."""
        event = SyncEvent(
            time.perf_counter() - self._t0,
            threading.current_thread().name,
            kind,
            detail,
        )
        with self._lock:
            self.events.append(event)

    def condition(
        self, lock: Any = None, name: str = "condition"
    ) -> RecordingCondition:
        """A Condition (on ``lock``, default a new RLock) that logs into this."""
        return RecordingCondition(lock, recorder=self, name=name)

    def history(self) -> list[SyncEvent]:
        """A copy of the events so far, in the order they were recorded."""
        with self._lock:
            return list(self.events)

    def threads(self) -> list[str]:
        """Thread names in order of first appearance."""
        with self._lock:
            return list(dict.fromkeys(e.thread for e in self.events))

    def waits(self) -> list[tuple[str, float, float, str]]:
        """Waiting intervals: (thread, start, end, "wake" or "timeout")."""
        with self._lock:
            events = list(self.events)
        open_: dict[str, float] = {}
        out = []
        for e in events:
            if e.kind == "wait":
                open_[e.thread] = e.time
            elif e.kind in ("wake", "timeout") and e.thread in open_:
                out.append((e.thread, open_.pop(e.thread), e.time, e.kind))
        return out


class RecordingCondition(threading.Condition):
    """A :class:`threading.Condition` that logs wait/wake/timeout/notify.

    Behaves exactly like ``threading.Condition`` (it is one); ``wait_for``
    uses the logging ``wait``. Introduced in ``07_condition_variables.ipynb``.
    """

    def __init__(
        self,
        lock: Any = None,
        *,
        recorder: SyncRecorder,
        name: str = "condition",
    ) -> None:
        super().__init__(lock)
        self.recorder = recorder
        self.name = name
        self._in_notify_all = False

    def wait(self, timeout: float | None = None) -> bool:
        self.recorder.record("wait", self.name)
        woken = super().wait(timeout)
        self.recorder.record("wake" if woken else "timeout", self.name)
        return woken

    def notify(self, n: int = 1) -> None:
        super().notify(n)
        if not self._in_notify_all:
            self.recorder.record("notify", self.name)

    def notify_all(self) -> None:
        self._in_notify_all = True
        try:
            super().notify_all()
        finally:
            self._in_notify_all = False
        self.recorder.record("notify_all", self.name)


class ConditionAccount:
    """A balance that never goes negative: ``withdraw`` waits for money.

    ``deposit(amount)`` adds and notifies; ``withdraw(amount, timeout)`` waits
    with ``wait_for`` (a ``while`` loop inside) until the balance allows it,
    then takes the money and returns ``True`` — or returns ``False`` when the
    timeout runs out. ``min_balance`` is the lowest balance ever stored,
    ``waits`` how many withdrawals had to wait. The notes' stingy/spendy,
    fixed. Introduced in ``07_condition_variables.ipynb``.
    """

    def __init__(self, balance: int = 100) -> None:
        self.cond = threading.Condition()
        self.balance = check_int("balance", balance, minimum=0)
        self.min_balance = balance
        self.waits = 0

    def deposit(self, amount: int) -> None:
        """Add ``amount`` and wake the waiters (they re-check the balance)."""
        check_int("amount", amount, minimum=1)
        with self.cond:
            self.balance += amount
            self.cond.notify_all()

    def withdraw(self, amount: int, timeout: float | None = None) -> bool:
        """Wait until ``balance >= amount``, then take it; ``False`` on timeout."""
        check_int("amount", amount, minimum=1)
        timeout = check_timeout(timeout)
        with self.cond:
            if self.balance < amount:
                self.waits += 1
            if not self.cond.wait_for(lambda: self.balance >= amount, timeout):
                return False
            self.balance -= amount
            self.min_balance = min(self.min_balance, self.balance)
            return True


def stingy_spendy(
    deposits: int = 20_000,
    deposit: int = 10,
    withdrawals: int = 10_000,
    withdrawal: int = 20,
    balance: int = 100,
    timeout: float = 10.0,
) -> dict[str, Any]:
    """The notes' stingy (deposits) and spendy (withdrawals) on a Condition.

    Runs one thread of each, joins both (with ``timeout``) and returns
    ``{"final", "expected", "min_balance", "waits", "failed", "finished"}``.
    The notes used 1,000,000 × +10 and 500,000 × −20; the defaults are 50×
    smaller, same ratio, so the final balance is again the starting 100.
    Introduced in ``07_condition_variables.ipynb``.
    """
    check_int("deposits", deposits, minimum=0)
    check_int("deposit", deposit, minimum=1)
    check_int("withdrawals", withdrawals, minimum=0)
    check_int("withdrawal", withdrawal, minimum=1)
    check_number("timeout", timeout, minimum=0)
    account = ConditionAccount(balance)
    failed = [0]

    def stingy() -> None:
        for _ in range(deposits):
            account.deposit(deposit)

    def spendy() -> None:
        for _ in range(withdrawals):
            if not account.withdraw(withdrawal, timeout=timeout):
                failed[0] += 1
                return

    threads = [  # spendy first: it soon finds the account short and waits
        threading.Thread(target=spendy, name="spendy", daemon=True),
        threading.Thread(target=stingy, name="stingy", daemon=True),
    ]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    return {
        "final": account.balance,
        "expected": balance + deposits * deposit - withdrawals * withdrawal,
        "min_balance": account.min_balance,
        "waits": account.waits,
        "failed": failed[0],
        "finished": not any(t.is_alive() for t in threads),
    }


def stolen_wakeup(
    account_class: type | None = None, amount: int = 20, timeout: float = 0.5
) -> dict[str, Any]:
    """Two spenders wait on an empty account; one deposit of ``amount`` arrives.

    ``account_class`` (default :class:`ConditionAccount`) is called with the
    starting balance 0 and must give ``balance``, ``cond`` (its Condition),
    ``deposit(amount)`` and ``withdraw(amount, timeout)`` → bool. Both
    spenders are parked inside ``cond.wait`` before the deposit — no sleeps:
    each one signals while it still holds the lock, and the lock only comes
    free inside ``wait`` — then ``deposit`` calls ``notify_all``: both wake,
    only one may spend. With an ``if`` around ``wait`` both spend and the
    balance goes to −``amount``. Returns ``{"balance", "spent", "timed_out",
    "finished", "gave_up_early"}``: ``gave_up_early`` counts the spenders
    that got ``False`` before 90 % of ``timeout`` had passed. A run whose
    deposit came more than half of ``timeout`` after the first spender
    started (a busy machine) is set up again, up to 5 times in all.
    Introduced in ``07_condition_variables.ipynb``.
    """
    account_class = account_class or ConditionAccount
    check_callable("account_class", account_class)
    check_int("amount", amount, minimum=1)
    check_number("timeout", timeout, minimum=0.01)
    for _ in range(_STOLEN_WAKEUP_TRIES - 1):
        result, late = _stolen_wakeup_once(account_class, amount, timeout)
        if late <= timeout / 2:
            return result
    return _stolen_wakeup_once(account_class, amount, timeout)[0]


#: How many times :func:`stolen_wakeup` sets the scene up before it keeps a
#: run whose deposit came late anyway.
_STOLEN_WAKEUP_TRIES = 5


def _stolen_wakeup_once(
    account_class: type, amount: int, timeout: float
) -> tuple[dict[str, Any], float]:
    """One run of :func:`stolen_wakeup`, and how long after the first spender
    started the deposit came. On a busy machine, starting and parking the
    spenders can take so long that one times out before the deposit, or
    gives up at the deposit yet after 90 % of its timeout: that run shows
    nothing about the account, and :func:`stolen_wakeup` sets it up again,
    whatever its outcome."""
    account = account_class(0)
    for attr in ("cond", "deposit", "withdraw"):
        if not hasattr(account, attr):
            raise TypeError(f"account_class must give objects with .{attr}")
    cond = account.cond
    real_wait = cond.wait
    entering = threading.Semaphore(0)

    def wait_and_tell(t: float | None = None) -> bool:
        entering.release()  # still holding the lock here
        return real_wait(t)

    results: list[Any] = ["not finished", "not finished"]
    seconds: list[float] = [0.0, 0.0]
    starts: list[float] = []

    def spender(i: int) -> None:
        start = time.perf_counter()
        starts.append(start)
        results[i] = account.withdraw(amount, timeout)
        seconds[i] = time.perf_counter() - start

    threads = [
        threading.Thread(target=spender, args=(i,), name=f"spender-{i}", daemon=True)
        for i in range(2)
    ]
    cond.wait = wait_and_tell
    try:
        for t in threads:
            t.start()
        parked = all(entering.acquire(timeout=timeout) for _ in range(2))
        with cond:  # free only once both spenders are inside wait
            pass
    finally:
        cond.wait = real_wait
    deposited = time.perf_counter()
    account.deposit(amount)
    late = deposited - min(starts, default=deposited)
    for t in threads:
        t.join(timeout * 4)
    result = {
        "balance": account.balance,
        "spent": sum(r is not False and r != "not finished" for r in results),
        "timed_out": sum(r is False for r in results),
        "finished": parked and not any(t.is_alive() for t in threads),
        "gave_up_early": sum(
            r is False and t < 0.9 * timeout
            for r, t in zip(results, seconds, strict=True)
        ),
    }
    return result, late


def one_condition_stall(wake: str = "notify", timeout: float = 0.3) -> dict[str, Any]:
    """One Condition for two reasons: ``notify()`` wakes the wrong kind of thread.

    A buffer of capacity 1 whose producers and consumers all wait on the
    *same* Condition. Two consumers are parked inside ``wait`` (no sleeps:
    each signals while it still holds the lock), then the producer puts
    item 1, calls ``wake`` (``"notify"`` or ``"notify_all"``) and waits for
    room for item 2. The consumer that takes item 1 calls ``wake`` too:
    ``notify()`` wakes one waiter; CPython picks the longest waiter (a FIFO
    queue: an implementation detail, not a promise) —
    which is the *other consumer*, not the producer. It finds nothing and
    waits again: everyone waits — there is room, but nobody tells the
    producer — and the producer gives up after ``timeout``. With
    ``notify_all()`` the producer is woken and both items arrive. Returns
    ``{"delivered", "producer_gave_up", "finished"}``. Introduced in
    ``07_condition_variables.ipynb``.
    """
    check_choice("wake", wake, ("notify", "notify_all"))
    check_number("timeout", timeout, minimum=0.01, maximum=10)
    cond = threading.Condition()
    items: deque[int] = deque()
    delivered: list[int] = []
    total = 2
    notify = getattr(cond, wake)
    real_wait = cond.wait
    entering = threading.Semaphore(0)

    def wait_and_tell(t: float | None = None) -> bool:
        entering.release()  # still holding the lock here
        return real_wait(t)

    closed = [False]  # set by the producer when it stops

    def consumer() -> None:
        while True:
            with cond:  # the long timeout is only a safety net
                cond.wait_for(lambda: items or closed[0], timeout * 10)
                if not items:
                    return  # the producer has stopped
                delivered.append(items.popleft())
                notify()  # "there is room": meant for the producer

    threads = [
        threading.Thread(target=consumer, name=f"consumer-{i}", daemon=True)
        for i in range(2)
    ]
    cond.wait = wait_and_tell  # type: ignore[method-assign, assignment]
    try:
        for t in threads:
            t.start()
        parked = all(entering.acquire(timeout=timeout * 4) for _ in range(2))
        cond.acquire()  # free only once both consumers are inside wait
    finally:
        cond.wait = real_wait  # type: ignore[method-assign]
    gave_up = False
    try:  # the producer, in the calling thread
        for item in range(1, total + 1):
            while len(items) >= 1 and not gave_up:  # full: wait for room
                gave_up = not cond.wait(timeout)  # nobody woke the producer
            if gave_up:
                break
            items.append(item)
            notify()  # "there is an item": meant for a consumer
    finally:
        closed[0] = True  # let the consumers go home
        cond.notify_all()
        cond.release()
    for t in threads:
        t.join(timeout * 12)
    return {
        "delivered": sorted(delivered),
        "producer_gave_up": gave_up,
        "finished": parked and not any(t.is_alive() for t in threads),
    }


class BoundedBuffer:
    """A FIFO of at most ``capacity`` items built on two Conditions, one lock.

    ``put(item, timeout)`` waits while full, ``get(timeout)`` waits while
    empty; on timeout they raise ``queue.Full`` / ``queue.Empty`` like
    ``queue.Queue`` (which is built the same way and what to use in
    practice). ``max_size`` is the largest size ever reached. Introduced in
    ``07_condition_variables.ipynb``.
    """

    def __init__(self, capacity: int, recorder: SyncRecorder | None = None):
        self.capacity = check_int("capacity", capacity, minimum=1)
        self.recorder = recorder
        lock = threading.Lock()
        if recorder is not None:
            self.not_full: threading.Condition = recorder.condition(lock, "not_full")
            self.not_empty: threading.Condition = recorder.condition(lock, "not_empty")
        else:
            self.not_full = threading.Condition(lock)
            self.not_empty = threading.Condition(lock)
        self._items: deque[Any] = deque()
        self.max_size = 0

    def put(self, item: Any, timeout: float | None = None) -> None:
        """Append ``item``, waiting while the buffer is full."""
        timeout = check_timeout(timeout)
        with self.not_full:
            if not self.not_full.wait_for(
                lambda: len(self._items) < self.capacity, timeout
            ):
                raise queue.Full
            self._items.append(item)
            self.max_size = max(self.max_size, len(self._items))
            if self.recorder:
                self.recorder.record("put")
            self.not_empty.notify()

    def get(self, timeout: float | None = None) -> Any:
        """Remove and return the oldest item, waiting while empty."""
        timeout = check_timeout(timeout)
        with self.not_empty:
            if not self.not_empty.wait_for(lambda: len(self._items) > 0, timeout):
                raise queue.Empty
            item = self._items.popleft()
            if self.recorder:
                self.recorder.record("get")
            self.not_full.notify()
            return item

    def __len__(self) -> int:
        with self.not_full:
            return len(self._items)


BUFFER_KINDS = ("condition", "queue")


@dataclass
class ProducerConsumerResult:
    """What :func:`producer_consumer` saw. Introduced in ``07``."""

    kind: str
    capacity: int
    produced: list[Any]
    consumed: list[Any]
    max_size: int
    seconds: float
    finished: bool
    recorder: SyncRecorder | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """Every item arrived once, in order, and the capacity held."""
        return (
            self.finished
            and self.consumed == self.produced
            and self.max_size <= self.capacity
        )


_STOP = object()


def producer_consumer(
    items: int = 30,
    capacity: int = 3,
    produce_time: float = 0.0,
    consume_time: float = 0.0,
    kind: str = "condition",
    consumers: int = 1,
    record: bool = False,
    timeout: float = 10.0,
) -> ProducerConsumerResult:
    """One producer puts ``items`` numbers, ``consumers`` threads get them.

    ``produce_time`` / ``consume_time`` are seconds of pretend work per item
    (a sleep: it stands for work, never for synchronisation). ``kind`` is
    ``"condition"`` (:class:`BoundedBuffer`) or ``"queue"``
    (``queue.Queue(maxsize=capacity)``). With ``record=True`` (condition
    only) the result holds a :class:`SyncRecorder` to draw with
    :func:`plot_sync_timeline`. Introduced in ``07_condition_variables.ipynb``.
    """
    check_int("items", items, minimum=0, maximum=100_000)
    check_int("capacity", capacity, minimum=1)
    check_number("produce_time", produce_time, minimum=0, maximum=1)
    check_number("consume_time", consume_time, minimum=0, maximum=1)
    check_choice("kind", kind, BUFFER_KINDS)
    check_int("consumers", consumers, minimum=1, maximum=64)
    check_number("timeout", timeout, minimum=0)
    recorder = SyncRecorder() if record and kind == "condition" else None
    if kind == "condition":
        buf: Any = BoundedBuffer(capacity, recorder)
    else:
        buf = queue.Queue(maxsize=capacity)
    sizes = [0]
    produced = list(range(items))
    consumed: list[Any] = []
    consumed_lock = threading.Lock()

    def producer() -> None:
        for item in [*produced, *([_STOP] * consumers)]:
            if item is not _STOP and produce_time:
                time.sleep(produce_time)
            buf.put(item, timeout=timeout)
            if kind == "queue":
                sizes[0] = max(sizes[0], buf.qsize())

    def consumer() -> None:
        while True:
            item = buf.get(timeout=timeout)
            if item is _STOP:
                return
            with consumed_lock:
                consumed.append(item)
            if consume_time:
                time.sleep(consume_time)

    threads = [threading.Thread(target=producer, name="producer", daemon=True)]
    threads += [
        threading.Thread(
            target=consumer,
            name="consumer" if consumers == 1 else f"consumer-{i}",
            daemon=True,
        )
        for i in range(consumers)
    ]
    start = time.perf_counter()
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    seconds = time.perf_counter() - start
    if consumers > 1:
        consumed.sort()
    return ProducerConsumerResult(
        kind=kind,
        capacity=capacity,
        produced=produced,
        consumed=consumed,
        max_size=buf.max_size if kind == "condition" else sizes[0],
        seconds=seconds,
        finished=not any(t.is_alive() for t in threads),
        recorder=recorder,
    )
