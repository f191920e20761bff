"""Checkers of the exercises of ``05_race_conditions.ipynb``.

They watch *how* a solution works (which writes held the lock, how often it
was taken), so they do not depend on a race actually happening.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from typing import Any, cast

from ..core.letters import LETTERS, check_urls, count_letters_threads, table_difference
from ..core.races import Account, RaceResult
from ..core.validate import check_callable, check_number
from ..core.waiting import join_all
from .probes import WatchedLock
from .verdicts import Verdict, verdict

__all__: list[str] = [
    "check_counter",
    "check_letter_table",
    "check_lost_updates",
    "check_withdraw",
]


class _WatchedTable(MutableMapping[str, int]):
    """The shared table: counts writes, and writes made without the lock.

    Not a dict subclass: ``dict.update(table, …)`` and ``table |= …`` would
    write a dict's storage directly, past :meth:`__setitem__`. Here every
    write, whichever way it is spelled, comes through :meth:`__setitem__`,
    and ``dict``'s own methods refuse the table."""

    def __init__(self, lock: WatchedLock) -> None:
        self._data = dict.fromkeys(LETTERS, 0)
        self.lock = lock
        self.writes = 0
        self.unlocked_writes = 0

    def __getitem__(self, key: str) -> int:
        return self._data[key]

    def __setitem__(self, key: str, value: int) -> None:
        self.writes += 1
        if not self.lock.held_by_me():
            self.unlocked_writes += 1
        self._data[key] = value

    def __delitem__(self, key: str) -> None:
        self[key] = 0  # a deletion is a write too; keep every letter
        del self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._data))

    def __len__(self) -> int:
        return len(self._data)

    def __ior__(self, other: Any) -> _WatchedTable:
        self.update(other)
        return self

    def __repr__(self) -> str:
        return repr(self._data)


def check_counter(
    worker: Callable[..., None], urls: Sequence[str], expected: Mapping[str, int]
) -> Verdict:
    """Checker for the letter-counter exercise of ``05_race_conditions.ipynb``.

    Runs ``worker(url, table, lock, decode)`` in one thread per URL, with a
    table and a lock that watch what the worker does, and asks for all of:
    the right counts; every write to the shared table made while holding the
    lock; at most one lock acquisition per document; at most 26 writes to
    the shared table per document (count locally, merge once). Deterministic:
    it inspects *how* the table was written, so it does not depend on a race
    actually happening.
    """
    check_callable("worker", worker)
    urls = check_urls(urls)
    lock = WatchedLock()
    table = _WatchedTable(lock)
    # the counters only index the table: a watching mapping stands in for the dict
    count_letters_threads(urls, worker, table=cast("dict[str, int]", table), lock=lock)
    docs = len(urls)
    problems = []
    diff = table_difference(dict(table), expected)
    if diff and not table.unlocked_writes:  # unlocked writes explain a diff
        problems.append(f"{len(diff)} letter(s) have wrong counts")
    if table.unlocked_writes:
        problems.append(
            f"{table.unlocked_writes:,} writes to the shared table happened "
            "without holding the lock"
        )
    if lock.acquisitions > docs:
        problems.append(
            f"the lock was taken {lock.acquisitions:,} times for {docs} documents "
            "(take it once per document)"
        )
    if table.writes > 26 * docs:
        problems.append(
            f"{table.writes:,} writes to the shared table for {docs} documents "
            "(count into a local table, then merge its 26 counts once)"
        )
    return verdict(
        not problems,
        f"right counts, {lock.acquisitions} lock acquisitions for {docs} "
        f"documents, {table.writes} writes to the shared table, all under the lock.",
        "; ".join(problems) + ".",
    )


def check_letter_table(
    table: Mapping[str, int], expected: Mapping[str, int]
) -> Verdict:
    """Checker: does ``table`` equal the ``expected`` letter counts?

    Prints a verdict naming the letters that differ and by how much.
    Used by the exercises of ``05_race_conditions.ipynb``.
    """
    if not isinstance(table, Mapping):
        raise TypeError(f"table must be a dict, got {type(table).__name__}")
    diff = table_difference(table, expected)
    total = sum(expected.values())
    shown = ", ".join(f"{k}: {d:+d}" for k, d in list(diff.items())[:6])
    more = " …" if len(diff) > 6 else ""
    return verdict(
        not diff,
        f"all {len(expected)} letters match ({total:,} letters counted).",
        f"{len(diff)} letter(s) differ from the expected count ({shown}{more}).",
    )


class _MeetingAccount(Account):
    """An account whose balance getter waits (briefly) for a second reader.

    Two unlocked withdrawals both read before either writes, exactly as in
    :func:`withdraw_twice`. A withdrawal that holds a lock around its read
    and write keeps the other reader out: the meeting times out and the
    reads happen one after the other.
    """

    def __init__(self, balance: int, meet_timeout: float) -> None:
        super().__init__(balance)
        self._barrier = threading.Barrier(2, timeout=meet_timeout)

    @property
    def balance(self) -> int:
        seen = self._balance
        # BrokenBarrierError: the other thread could not read now, no meeting
        with contextlib.suppress(threading.BrokenBarrierError):
            self._barrier.wait()
        return seen

    @balance.setter
    def balance(self, value: int) -> None:
        self._balance = value


def check_withdraw(
    withdraw: Callable[[Account, int, Any], None], meet_timeout: float = 0.3
) -> Verdict:
    """Checker for the withdrawal exercise of ``05_race_conditions.ipynb``.

    Runs ``withdraw(account, 30, lock)`` and ``withdraw(account, 50, lock)``
    in two threads on a balance of 100. The account's getter waits up to
    ``meet_timeout`` seconds for the other thread to read too, so a
    withdrawal that reads and writes without holding the lock loses the
    other one every time (70 or 50), and a locked one always leaves 20.
    """
    check_callable("withdraw", withdraw)
    meet_timeout = check_number("meet_timeout", meet_timeout, minimum=0.01, maximum=5)
    account = _MeetingAccount(100, meet_timeout)
    lock = threading.Lock()
    errors: list[BaseException] = []

    def run(amount: int) -> None:
        try:
            withdraw(account, amount, lock)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(a,)) for a in (30, 50)]
    for t in threads:
        t.start()
    join_all(threads, 4 * meet_timeout + 10)
    if errors:
        raise errors[0]
    final = account._balance
    if final in (70, 50):
        hint = (
            "both threads read 100 before either wrote, so one withdrawal was "
            "lost. Hold the lock around the read *and* the write."
        )
    else:
        hint = f"100 - 30 - 50 should leave 20, the balance is {final}."
    return verdict(final == 20, "100 - 30 - 50 = 20, nothing lost.", hint)


def check_lost_updates(result: RaceResult) -> Verdict:
    """Checker: a locked run must lose nothing (prints a verdict)."""
    if not isinstance(result, RaceResult):
        raise TypeError(f"result must be a RaceResult, got {type(result).__name__}")
    return verdict(
        result.lost == 0,
        f"{result.expected:,} increments, 0 lost.",
        f"{result.lost:,} of {result.expected:,} increments were lost: "
        "is every `balance += 1` inside `with lock:`?",
    )
