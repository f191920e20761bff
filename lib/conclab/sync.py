"""Synchronisation done right: wait groups, condition variables, a bounded buffer.

Introduced in ``07_condition_variables.ipynb`` (:class:`ConditionAccount`,
:class:`BoundedBuffer`, :class:`SyncRecorder` and its timeline) and
``08_wait_groups.ipynb`` (:class:`WaitGroup`, the notes' :class:`NotesWaitGroup`
and the recursive directory search). Everything here uses threads only, so it
behaves the same under every multiprocessing start method. Every blocking call
takes a ``timeout`` so that no demo can hang.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import fs
from ._validate import check_callable, check_choice, check_int, check_number
from .checks import Verdict, check_answers, verdict

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "BUFFER_KINDS",
    "WAITGROUP_SEARCHES",
    "BoundedBuffer",
    "ConditionAccount",
    "NotesWaitGroup",
    "ProducerConsumerResult",
    "RecordingCondition",
    "SyncEvent",
    "SyncRecorder",
    "WaitGroup",
    "check_count_files",
    "check_gate",
    "check_go_quiz",
    "check_safe_account",
    "missed_notify",
    "notes_file_search",
    "one_condition_stall",
    "plot_producer_consumer",
    "plot_search_bars",
    "plot_sync_timeline",
    "plot_tree_searches",
    "producer_consumer",
    "search_notes_waitgroup",
    "search_rows",
    "search_waitgroup",
    "stingy_spendy",
    "stolen_wakeup",
]


def _check_timeout(value: float | None) -> float | None:
    return None if value is None else check_number("timeout", value, minimum=0)


# --------------------------------------------------------------------------
# WaitGroup (08)
# --------------------------------------------------------------------------


class WaitGroup:
    """Go's ``sync.WaitGroup`` in Python: a counter you can wait on.

    ``add(n)`` raises the counter, ``done()`` lowers it by one, ``wait()``
    blocks until it is zero (``wait(timeout)`` returns ``False`` if the time
    ran out). A negative counter raises ``ValueError`` — Go panics with
    ``sync: negative WaitGroup counter``. ``go(fn, *args)`` starts ``fn`` in a
    thread and counts it, like Go 1.25's ``wg.Go``. All state lives in the
    instance, guarded by one :class:`threading.Condition`. Introduced in
    ``08_wait_groups.ipynb``.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._count = 0
        self.errors: list[BaseException] = []

    @property
    def count(self) -> int:
        """The counter now (for display; it may change at once)."""
        with self._cond:
            return self._count

    def add(self, n: int = 1) -> None:
        """Add ``n`` (may be negative) to the counter; wake waiters at zero."""
        check_int("n", n)
        with self._cond:
            if self._count + n < 0:
                raise ValueError("sync: negative WaitGroup counter")
            self._count += n
            if self._count == 0:
                self._cond.notify_all()

    def done(self) -> None:
        """One task finished: lower the counter by one."""
        self.add(-1)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the counter is zero; ``False`` if ``timeout`` ran out."""
        timeout = _check_timeout(timeout)
        with self._cond:
            return self._cond.wait_for(lambda: self._count == 0, timeout)

    def go(
        self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> threading.Thread:
        """Count one task, run ``fn(*args, **kwargs)`` in a new thread, return it.

        ``done()`` is called in a ``finally``, so an exception in ``fn`` cannot
        leave the counter stuck; the exception is kept in ``self.errors``
        (and not printed), the way ``concurrent.futures`` keeps it in a Future.
        The thread is a daemon: a task stuck for ever cannot keep Python from
        exiting (a notebook's ``wait(timeout)`` returns ``False`` instead).
        """
        check_callable("fn", fn)
        self.add(1)

        def run() -> None:
            try:
                fn(*args, **kwargs)
            except BaseException as exc:  # kept for the caller, not printed
                with self._cond:
                    self.errors.append(exc)
            finally:
                self.done()

        thread = threading.Thread(target=run, daemon=True)
        try:
            thread.start()
        except BaseException:
            self.done()
            raise
        return thread

    def __repr__(self) -> str:
        return f"<WaitGroup count={self.count}>"


class NotesWaitGroup:
    """The notes' WaitGroup, kept as written (comments translated).

    Its state is declared on the *class*: ``cv`` is one Condition shared by
    every wait group in the program, and ``wait_count = 0`` only becomes a
    per-instance counter because the first ``self.wait_count += count``
    creates an instance attribute. An extra ``done()`` is silently ignored
    instead of being reported. The one change: ``wait`` accepts a
    ``timeout`` (default ``None`` = as in the notes) so a notebook can never
    hang on it. Introduced in ``08_wait_groups.ipynb``.
    """

    wait_count = 0  # count waiting threads
    cv = threading.Condition()

    def add(self, count: int) -> None:
        # add thread
        self.cv.acquire()
        self.wait_count += count
        self.cv.release()

    def done(self) -> None:
        self.cv.acquire()
        if self.wait_count > 0:
            self.wait_count -= 1
        # check if all threads have finished
        if self.wait_count == 0:
            self.cv.notify_all()
        self.cv.release()

    def wait(self, timeout: float | None = None) -> None:
        self.cv.acquire()
        # wait threads to finish
        while self.wait_count > 0:
            if not self.cv.wait(timeout):  # conclab: timeout added, no hang
                break
        self.cv.release()


# --------------------------------------------------------------------------
# Recording who waits, who notifies, who wakes (07)
# --------------------------------------------------------------------------


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

    def counts(self) -> dict[str, int]:
        """How many events of each kind, e.g. ``{"wait": 3, "notify": 5}``."""
        with self._lock:
            return dict(Counter(e.kind for e in self.events))

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
        if not self._is_owned():
            raise RuntimeError("cannot wait on un-acquired lock")
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


_KIND_STYLE = {  # kind: (marker, color, legend, vertical offset in the row)
    "notify": ("v", "black", "notify", -0.42),
    "notify_all": ("v", "tab:purple", "notify_all", -0.42),
    "put": ("|", "tab:green", "put", 0.0),
    "get": ("|", "tab:blue", "get", 0.0),
    "deposit": ("|", "tab:green", "deposit", 0.0),
    "withdraw": ("|", "tab:blue", "withdraw", 0.0),
}


def plot_sync_timeline(
    recorder: SyncRecorder,
    title: str = "",
    capacity: int | None = None,
    order: Iterable[str] = ("producer", "stingy", "spendy"),
) -> Figure:
    """Draw who waited (bars), who notified (triangles), puts and gets (ticks).

    One row per thread; an orange bar runs from ``wait`` to the wake-up, a red
    one ends in a timeout. With ``capacity`` a second panel shows the buffer
    size over time (from the put/get events) under the capacity line. Rows
    named in ``order`` come first, the others follow in order of appearance.
    Returns
    the Figure (show it with ``lab.show``). Introduced in
    ``07_condition_variables.ipynb``.
    """
    from matplotlib.figure import Figure

    from .plots import LABEL_SIZE, LEGEND_SIZE, TICK_SIZE, TITLE_SIZE

    if not isinstance(recorder, SyncRecorder):
        raise TypeError(
            f"recorder must be a SyncRecorder, got {type(recorder).__name__}"
        )
    if capacity is not None:
        check_int("capacity", capacity, minimum=1)
    seen, order = recorder.threads(), tuple(order)
    threads = [n for n in order if n in seen] + [n for n in seen if n not in order]
    height = 1.0 + 0.6 * max(2, len(threads))
    if capacity is None:
        fig = Figure(figsize=(11, height), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = Figure(figsize=(11, height + 2.0), layout="constrained")
        ax, ax_size = fig.subplots(
            2, 1, sharex=True, gridspec_kw={"height_ratios": [height, 2.0]}
        )
    row = {name: i for i, name in enumerate(threads)}
    labelled: set[str] = set()

    def label(key: str) -> str:
        if key in labelled:
            return "_nolegend_"
        labelled.add(key)
        return key

    for thread, start, end, how in recorder.waits():
        color = "tab:orange" if how == "wake" else "tab:red"
        key = "waiting → woken" if how == "wake" else "waiting → timed out"
        ax.broken_barh(
            [(start * 1e3, max((end - start) * 1e3, 0.05))],
            (row[thread] - 0.25, 0.5),
            color=color,
            label=label(key),
        )
    with recorder._lock:
        events = list(recorder.events)
    for kind, (marker, color, name, dy) in _KIND_STYLE.items():
        chosen = [e for e in events if e.kind == kind]
        if chosen:
            ax.scatter(
                [e.time * 1e3 for e in chosen],
                [row[e.thread] + dy for e in chosen],
                marker=marker,
                color=color,
                s=28 if dy else 90,
                label=label(name),
                zorder=3,
            )
    ax.set_yticks(range(len(threads)))
    ax.set_yticklabels(threads)
    ax.set_ylim(len(threads) - 0.45, -0.65)
    ax.tick_params(labelsize=TICK_SIZE)
    ax.set_title(title or "who waits, who notifies, who wakes", fontsize=TITLE_SIZE)
    if labelled:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=LEGEND_SIZE)
    if capacity is None:
        ax.set_xlabel("time (ms)", fontsize=LABEL_SIZE)
    else:
        times, sizes, size = [0.0], [0], 0
        for e in events:
            if e.kind in ("put", "get"):
                size += 1 if e.kind == "put" else -1
                times.append(e.time * 1e3)
                sizes.append(size)
        ax_size.step(times, sizes, where="post", color="tab:gray")
        ax_size.axhline(capacity, color="tab:red", linestyle="--", label="capacity")
        ax_size.set_ylim(-0.3, capacity + 0.8)
        ax_size.tick_params(labelsize=TICK_SIZE)
        ax_size.set_ylabel("in buffer", fontsize=LABEL_SIZE)
        ax_size.set_xlabel("time (ms)", fontsize=LABEL_SIZE)
        ax_size.legend(
            loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=LEGEND_SIZE
        )
    return fig


# --------------------------------------------------------------------------
# The stingy/spendy account on a Condition (07)
# --------------------------------------------------------------------------


class ConditionAccount:
    """A balance that never goes negative: ``withdraw`` waits for money.

    ``deposit(amount)`` adds and notifies; ``withdraw(amount, timeout)`` waits
    with ``wait_for`` (a ``while`` loop inside) until the balance allows it,
    then takes the money and returns ``True`` — or returns ``False`` when the
    timeout runs out. ``min_balance`` is the lowest balance ever stored,
    ``waits`` how many withdrawals had to wait. The notes' stingy/spendy,
    fixed. Introduced in ``07_condition_variables.ipynb``.
    """

    def __init__(self, balance: int = 100, recorder: SyncRecorder | None = None):
        check_int("balance", balance, minimum=0)
        self.recorder = recorder
        self.cond: threading.Condition = (
            recorder.condition(name="money") if recorder else threading.Condition()
        )
        self.balance = balance
        self.min_balance = balance
        self.waits = 0

    def deposit(self, amount: int) -> None:
        """Add ``amount`` and wake the waiters (they re-check the balance)."""
        check_int("amount", amount, minimum=1)
        with self.cond:
            self.balance += amount
            if self.recorder:
                self.recorder.record("deposit")
            self.cond.notify_all()

    def withdraw(self, amount: int, timeout: float | None = None) -> bool:
        """Wait until ``balance >= amount``, then take it; ``False`` on timeout."""
        check_int("amount", amount, minimum=1)
        timeout = _check_timeout(timeout)
        with self.cond:
            if self.balance < amount:
                self.waits += 1
            if not self.cond.wait_for(lambda: self.balance >= amount, timeout):
                return False
            self.balance -= amount
            self.min_balance = min(self.min_balance, self.balance)
            if self.recorder:
                self.recorder.record("withdraw")
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
    "finished"}``. Introduced in ``07_condition_variables.ipynb``.
    """
    account_class = account_class or ConditionAccount
    check_callable("account_class", account_class)
    check_int("amount", amount, minimum=1)
    check_number("timeout", timeout, minimum=0.01)
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

    def spender(i: int) -> None:
        results[i] = account.withdraw(amount, timeout)

    threads = [
        threading.Thread(target=spender, args=(i,), name=f"spender-{i}", daemon=True)
        for i in range(2)
    ]
    cond.wait = wait_and_tell  # type: ignore[method-assign]
    try:
        for t in threads:
            t.start()
        parked = all(entering.acquire(timeout=timeout) for _ in range(2))
        with cond:  # free only once both spenders are inside wait
            pass
    finally:
        cond.wait = real_wait  # type: ignore[method-assign]
    account.deposit(amount)
    for t in threads:
        t.join(timeout * 4)
    return {
        "balance": account.balance,
        "spent": sum(r is not False and r != "not finished" for r in results),
        "timed_out": sum(r is False for r in results),
        "finished": parked and not any(t.is_alive() for t in threads),
    }


# --------------------------------------------------------------------------
# Lost wake-up (07)
# --------------------------------------------------------------------------


def missed_notify(fixed: bool = False, timeout: float = 0.5) -> dict[str, Any]:
    """Notify before the waiter waits: the notification is lost.

    A Condition keeps no memory: ``notify()`` with nobody waiting does
    nothing. The waiter is held at an Event until the notify has happened
    (deterministic, no sleeps). Unfixed, it calls ``wait(timeout)`` and gets
    ``False`` after ``timeout``. Fixed, the notifier also sets a flag under
    the lock and the waiter uses ``wait_for(lambda: ready, timeout)``, which
    checks the flag first and returns ``True`` at once. Returns
    ``{"woken", "seconds"}``. Introduced in ``07_condition_variables.ipynb``.
    """
    check_number("timeout", timeout, minimum=0)
    cond = threading.Condition()
    state = {"ready": False}
    notified = threading.Event()
    out: dict[str, Any] = {}

    def waiter() -> None:
        notified.wait(timeout * 4)  # let the notify happen first
        start = time.perf_counter()
        with cond:
            if fixed:
                out["woken"] = cond.wait_for(lambda: state["ready"], timeout)
            else:
                out["woken"] = cond.wait(timeout)
        out["seconds"] = time.perf_counter() - start

    t = threading.Thread(target=waiter, name="waiter", daemon=True)
    t.start()
    with cond:
        state["ready"] = True
        cond.notify()
    notified.set()
    t.join(timeout * 4 + 1)
    return out


def one_condition_stall(wake: str = "notify", timeout: float = 0.3) -> dict[str, Any]:
    """One Condition for two reasons: ``notify()`` wakes the wrong kind of thread.

    A buffer of capacity 1 whose producers and consumers all wait on the
    *same* Condition. Two consumers are parked inside ``wait`` (no sleeps:
    each signals while it still holds the lock), then the producer puts
    item 1, calls ``wake`` (``"notify"`` or ``"notify_all"``) and waits for
    room for item 2. The consumer that takes item 1 calls ``wake`` too:
    ``notify()`` wakes the longest waiter — CPython wakes in FIFO order —
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
    cond.wait = wait_and_tell  # type: ignore[method-assign]
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


# --------------------------------------------------------------------------
# Bounded buffer (07)
# --------------------------------------------------------------------------


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
        timeout = _check_timeout(timeout)
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
        timeout = _check_timeout(timeout)
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


def plot_producer_consumer(
    items: int = 20,
    capacity: int = 3,
    produce_ms: float = 1.0,
    consume_ms: float = 3.0,
    consumers: int = 1,
) -> Figure:
    """Run :func:`producer_consumer` on a recorded buffer and draw its timeline.

    For ``lab.figure_panel`` in ``07_condition_variables.ipynb``: times per
    item in milliseconds of pretend work. The title says who waited most.
    """
    check_number("produce_ms", produce_ms, minimum=0, maximum=50)
    check_number("consume_ms", consume_ms, minimum=0, maximum=50)
    r = producer_consumer(
        items=items,
        capacity=capacity,
        produce_time=produce_ms / 1e3,
        consume_time=consume_ms / 1e3,
        consumers=consumers,
        record=True,
    )
    assert r.recorder is not None
    waited: dict[str, float] = {}
    for thread, start, end, _how in r.recorder.waits():
        role = "producer" if thread == "producer" else "consumers"
        waited[role] = waited.get(role, 0.0) + end - start
    title = (
        f"{items} items, capacity {capacity}: producer waited "
        f"{waited.get('producer', 0) * 1e3:.0f} ms, consumers "
        f"{waited.get('consumers', 0) * 1e3:.0f} ms" + ("" if r.ok else " — NOT OK")
    )
    return plot_sync_timeline(r.recorder, title=title, capacity=capacity)


# --------------------------------------------------------------------------
# Recursive directory search (08)
# --------------------------------------------------------------------------


def _relative(paths: Iterable[str], root: str) -> list[str]:
    return sorted(os.path.relpath(p, root).replace(os.sep, "/") for p in paths)


def notes_file_search(
    root: str, filename: str, wait_group: Any, matches: list[str], mutex: Any
) -> None:
    """The notes' wait-group search, as written (minus its print of each path).

    A thread per sub-directory, counted by ``wait_group``; a name matches
    when it *contains* ``filename``. Note ``t = Thread(...).start()``: ``t``
    is ``None``; and ``done()`` is not in a ``finally``: one ``os.listdir``
    error and ``wait()`` never returns. Introduced in ``08_wait_groups.ipynb``.
    """
    for file in os.listdir(root):
        full_path = os.path.join(root, file)
        if filename in file:
            mutex.acquire()
            matches.append(full_path)
            mutex.release()
        if os.path.isdir(full_path):
            # add thread to group
            wait_group.add(1)
            t = threading.Thread(  # noqa: F841 (the notes' bug: t is None)
                target=notes_file_search,
                args=([full_path, filename, wait_group, matches, mutex]),
            ).start()
    # send signal to notify to waiters that the process was finished
    wait_group.done()


def search_notes_waitgroup(
    root: str | os.PathLike[str], filename: str = fs.TARGET, timeout: float = 10.0
) -> fs.SearchResult:
    """Run :func:`notes_file_search` with a :class:`NotesWaitGroup`.

    Returns an ``fs.SearchResult`` (relative paths, threads created) like the
    other searches. ``wait`` gets a ``timeout`` so it cannot hang.
    Introduced in ``08_wait_groups.ipynb``.
    """
    top = fs._check_search_args(root, filename, 0.0)
    check_number("timeout", timeout, minimum=0)
    wait_group = NotesWaitGroup()
    matches: list[str] = []
    wait_group.add(1)
    threading.Thread(
        target=notes_file_search,
        args=([top, filename, wait_group, matches, threading.Lock()]),
    ).start()
    wait_group.wait(timeout)
    if wait_group.wait_count:
        raise TimeoutError(f"the notes' search did not finish in {timeout} s")
    threads = sum(1 for _ in os.walk(top))  # one per directory, the root's too
    return fs.SearchResult(_relative(matches, top), threads)


def search_waitgroup(
    root: str | os.PathLike[str], filename: str = fs.TARGET, *, delay: float = 0.0
) -> fs.SearchResult:
    """The notes' search with :class:`WaitGroup` done right: ``wg.go`` per directory.

    Each thread lists one directory (after ``delay`` seconds of pretend slow
    disk), records its matches under a lock and ``wg.go``\\ s a search of each
    sub-directory; the caller waits once, with a timeout, for the whole tree.
    No thread waits for its children (unlike ``fs.search_thread_per_dir``).
    Same result type and matching rule (equal names) as the searches in
    :mod:`conclab.fs`. Introduced in ``08_wait_groups.ipynb``.
    """
    top = fs._check_search_args(root, filename, delay)
    matches: list[str] = []
    lock = threading.Lock()
    created = [1]
    wg = WaitGroup()

    def file_search(folder: str) -> None:
        if delay:
            time.sleep(delay)  # pretend slow disk, as in conclab.fs
        with os.scandir(folder) as it:
            entries = list(it)
        for entry in entries:
            if entry.name == filename and entry.is_file():
                with lock:
                    matches.append(entry.path)
            if entry.is_dir(follow_symlinks=False):
                with lock:
                    created[0] += 1
                wg.go(file_search, entry.path)

    wg.go(file_search, top)
    if not wg.wait(timeout=60):
        raise TimeoutError("the search did not finish in 60 s")
    if wg.errors:
        raise wg.errors[0]
    return fs.SearchResult(_relative(matches, top), created[0])


#: The four ways 08 compares, by the names its plots use.
WAITGROUP_SEARCHES: dict[str, Callable[..., fs.SearchResult]] = {
    "WaitGroup + go": search_waitgroup,
    "threads + join": fs.search_thread_per_dir,
    "pool + futures.wait": fs.search_pool,
    "os.walk": fs.search_walk,
}


def search_rows(
    depth: int = 3,
    fanout: int = 3,
    delay: float = 0.0,
    searches: Iterable[str] | None = None,
    repeat: int = 1,
) -> list[dict[str, Any]]:
    """Time each search of :data:`WAITGROUP_SEARCHES` on one generated tree.

    One depth of :func:`conclab.fs.search_sweep` (which builds the tree,
    keeps the best of ``repeat`` runs and checks each search found exactly
    the planted files) over these searches: rows ``{"search", "depth",
    "directories", "seconds", "threads"}`` for ``fs.plot_search_sweep`` or
    :func:`plot_search_bars`. Introduced in ``08_wait_groups.ipynb``.
    """
    names = list(WAITGROUP_SEARCHES) if searches is None else list(searches)
    for name in names:
        check_choice("searches", name, WAITGROUP_SEARCHES)
    check_number("delay", delay, minimum=0, maximum=0.1)
    return fs.search_sweep(
        (depth,),
        fanout,
        delay=delay,
        searches={name: WAITGROUP_SEARCHES[name] for name in names},
        repeat=repeat,
    )


def plot_search_bars(rows: list[dict[str, Any]], title: str = "") -> Figure:
    """Two bar charts for one tree: wall time and threads per search. ``08``."""
    from matplotlib.figure import Figure

    from .plots import LABEL_SIZE, TICK_SIZE, TITLE_SIZE

    if not rows:
        raise ValueError("rows must not be empty")
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    ax_t, ax_n = fig.subplots(1, 2)
    names = [r["search"] for r in rows]
    colors = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple"]
    colors = (colors * len(names))[: len(names)]
    for ax, key, scale, label, fmt in (
        (ax_t, "seconds", 1e3, "wall time (ms)", "{:.0f}"),
        (ax_n, "threads", 1, "threads created", "{:.0f}"),
    ):
        values = [r[key] * scale for r in rows]
        bars = ax.barh(names, values, color=colors)
        ax.bar_label(
            bars, [fmt.format(v) for v in values], padding=3, fontsize=TICK_SIZE
        )
        ax.tick_params(labelsize=TICK_SIZE)
        ax.set_xlabel(label, fontsize=LABEL_SIZE)
        ax.invert_yaxis()
        ax.margins(x=0.2)
    ax_n.set_yticklabels([])
    fig.suptitle(
        title or f"one tree of {rows[0]['directories']} directories",
        fontsize=TITLE_SIZE,
    )
    return fig


def plot_tree_searches(
    depth: int = 3, fanout: int = 3, delay_ms: float = 1.0
) -> Figure:
    """Build a tree, run the four searches, draw time and threads as bars.

    For ``lab.figure_panel`` in ``08_wait_groups.ipynb``: ``delay_ms`` is the
    pretend slow-disk wait per directory listing.
    """
    check_number("delay_ms", delay_ms, minimum=0, maximum=20)
    rows = search_rows(depth, fanout, delay=delay_ms / 1e3)
    return plot_search_bars(
        rows,
        title=f"depth {depth}, fanout {fanout}: {rows[0]['directories']} "
        f"directories, {delay_ms:g} ms per listing",
    )


# --------------------------------------------------------------------------
# Exercise checkers
# --------------------------------------------------------------------------


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


def check_count_files(count_files: Callable[[str], int], root: Any) -> Verdict:
    """08 exercise: ``count_files(root)`` must count every regular file."""
    check_callable("count_files", count_files)
    root = os.fspath(root)
    truth = sum(len(files) for _, _, files in os.walk(root))
    try:
        got = count_files(root)
    except Exception as exc:
        return verdict(False, "", f"count_files raised {type(exc).__name__}: {exc}")
    return verdict(
        got == truth,
        f"{got} files, the same as os.walk finds.",
        f"you counted {got!r}, os.walk finds {truth}. Count under a lock, "
        "start one wg.go per directory and wg.wait(timeout) before returning.",
    )


_GO_QUIZ = {
    "wg.Add(1)": "wg.add(1)",
    "wg.Done()": "wg.done()",
    "wg.Wait()": "wg.wait(timeout)",
    "wg.Go(f)": "wg.go(f)",
    "counter goes negative": "ValueError",
    "all N threads meet, then all go on": "threading.Barrier",
    "wait for N pool tasks": "concurrent.futures.wait",
}


def check_go_quiz(answers: dict[str, str]) -> Verdict:
    """08 exercise: map Go's WaitGroup vocabulary to Python."""
    return check_answers(
        answers,
        _GO_QUIZ,
        {
            "wg.Wait()": "Python's wait takes a timeout; use it",
            "counter goes negative": "Go panics; our WaitGroup raises",
            "all N threads meet, then all go on": "a rendezvous, reusable",
            "wait for N pool tasks": "futures, not a counter",
        },
        name="answers",
    )
