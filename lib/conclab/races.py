"""Race conditions and locks: the letter counter, lost updates, the bank account.

Introduced in ``05_race_conditions.ipynb`` (``06_join.ipynb`` reuses the
waiting helpers). Everything here runs threads in the calling process and
returns data; nothing runs at import. Every wait has a timeout, so a demo of
a bug never hangs a notebook: the bug is shown, then reported.

Three kinds of code live here:

* the notes' letter counter, one thread per document, in four versions
  (:data:`LETTER_COUNTERS`): no lock, a lock around the whole count (the
  notes' version), a lock per character, and a local count merged once under
  the lock;
* lost updates that really happen on every CPython: the deterministic one
  (:func:`withdraw_twice`, two withdrawals meeting at a
  :class:`threading.Barrier`) and the statistical one
  (:func:`count_race`, ``account.balance += 1`` through a property);
* the notes' common mistakes as functions that show the mistake and return
  (:func:`break_with_lock_held`, :func:`start_returns`,
  :func:`poll_racy_counter`, :func:`wait_by_sleeping`).
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import textwrap
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ._validate import check_callable, check_choice, check_int, check_number
from .checks import Verdict, verdict

__all__ = [
    "LETTERS",
    "LETTER_COUNTERS",
    "NOTES_LETTERS",
    "Account",
    "NotesStingySpendy",
    "RaceResult",
    "StingySpendy",
    "WaitResult",
    "break_with_lock_held",
    "check_counter",
    "check_letter_table",
    "check_lost_updates",
    "check_waits_for_all",
    "check_withdraw",
    "count_letters_threads",
    "count_race",
    "count_race_until_lost",
    "count_with_local_merge",
    "count_with_lock",
    "count_with_lock_per_char",
    "count_without_lock",
    "letter_table",
    "nested_acquire",
    "plot_counter_times",
    "plot_race_sweep",
    "plot_waits",
    "poll_racy_counter",
    "print_source",
    "race_sweep",
    "read_document",
    "run_stingy_spendy",
    "start_returns",
    "table_difference",
    "time_letter_counters",
    "wait_by_joining",
    "wait_by_polling",
    "wait_by_sleeping",
    "withdraw_twice",
]

#: The 26 letters the counters count, in alphabetical order.
LETTERS = "abcdefghijklmnopqrstuvwxyz"
#: The notes' alphabet: the same 26 letters, in the order the notes typed them.
NOTES_LETTERS = "abcdefghijklmnopqrstuvxzwy"


# ---------------------------------------------------------------------------
# The letter counter
# ---------------------------------------------------------------------------


def letter_table(text: str = "") -> dict[str, int]:
    """A table ``{letter: count}`` with all 26 letters, counting ``text``.

    ``letter_table()`` is the empty table the counters fill. Upper case counts
    as lower case; anything that is not one of :data:`LETTERS` is skipped.
    Used by ``05_race_conditions.ipynb`` as the sequential reference.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    table = dict.fromkeys(LETTERS, 0)
    for ch in text.lower():
        if ch in table:
            table[ch] += 1
    return table


def read_document(url: str, *, decode: bool = True, timeout: float = 10.0) -> str:
    """GET ``url`` and return its body as text (``05_race_conditions.ipynb``).

    ``decode=True`` decodes the bytes as UTF-8: the right way.
    ``decode=False`` reproduces the notes' ``str(response.read())``: that is
    the *repr* of the bytes (``"b'...\\\\n...'"``), where every newline has
    become the two characters backslash and ``n``, so the letter n is
    over-counted.
    """
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ValueError(f"url must be an http:// or https:// URL, got {url!r}")
    timeout = check_number("timeout", timeout, minimum=0.001)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        exc.close()  # an HTTPError holds the open response: close it now
        raise
    return body.decode("utf-8") if decode else str(body)


def count_without_lock(
    url: str, table: dict[str, int], lock: Any, decode: bool = True
) -> None:
    """Count the letters of one document straight into the shared ``table``.

    No lock (``lock`` is ignored): ``table[ch] += 1`` is a read, an add and a
    write, and another thread may write the same key in between.
    """
    text = read_document(url, decode=decode)
    for ch in text:
        ch = ch.lower()
        if ch in table:
            table[ch] += 1


def count_with_lock(
    url: str, table: dict[str, int], lock: Any, decode: bool = True
) -> None:
    """The notes' mutex version, fixed: ``with lock:`` around the whole count.

    Correct, but while one thread counts, every other one waits: the
    counting is serial. (The download before it still overlaps.)
    """
    text = read_document(url, decode=decode)
    with lock:
        for ch in text:
            ch = ch.lower()
            if ch in table:
                table[ch] += 1


def count_with_lock_per_char(
    url: str, table: dict[str, int], lock: Any, decode: bool = True
) -> None:
    """Take the lock for every single letter: correct, and the slowest."""
    text = read_document(url, decode=decode)
    for ch in text:
        ch = ch.lower()
        if ch in table:
            with lock:
                table[ch] += 1


def count_with_local_merge(
    url: str, table: dict[str, int], lock: Any, decode: bool = True
) -> None:
    """Count into a table of this thread's own, then merge it once under the lock."""
    text = read_document(url, decode=decode)
    local = dict.fromkeys(table, 0)
    for ch in text:
        ch = ch.lower()
        if ch in local:
            local[ch] += 1
    with lock:
        for letter, count in local.items():
            table[letter] += count


#: The four thread workers of the letter counter, by name.
LETTER_COUNTERS: dict[str, Callable[..., None]] = {
    "no lock": count_without_lock,
    "lock around the count": count_with_lock,
    "lock per character": count_with_lock_per_char,
    "local count, merge once": count_with_local_merge,
}


def count_letters_threads(
    urls: Sequence[str],
    counter: str | Callable[..., None] = "local count, merge once",
    *,
    decode: bool = True,
    join_timeout: float = 60.0,
    table: dict[str, int] | None = None,
    lock: Any = None,
) -> dict[str, int]:
    """Count the letters of all ``urls``, one thread per URL, with ``counter``.

    ``counter`` is a key of :data:`LETTER_COUNTERS`, ``"sequential"`` (one
    document after the other in this thread), or your own worker
    ``counter(url, table, lock, decode)``. Returns the filled table (all 26
    letters; pass ``table``/``lock`` to use your own). Raises
    ``TimeoutError`` if a thread is still running after ``join_timeout``
    seconds, and re-raises the first error of a worker. Used by
    ``05_race_conditions.ipynb``.
    """
    urls = _check_urls(urls)
    if not callable(counter):
        check_choice("counter", counter, ("sequential", *LETTER_COUNTERS))
    join_timeout = check_number("join_timeout", join_timeout, minimum=0.001)
    table = letter_table() if table is None else table
    lock = threading.Lock() if lock is None else lock
    if counter == "sequential":
        for url in urls:
            count_without_lock(url, table, lock, decode)
        return table
    worker = counter if callable(counter) else LETTER_COUNTERS[counter]
    errors: list[BaseException] = []

    def run(url: str) -> None:
        try:
            worker(url, table, lock, decode)
        except BaseException as exc:  # reported in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(url,)) for url in urls]
    for t in threads:
        t.start()
    _join_all(threads, join_timeout)
    if errors:
        raise errors[0]
    return table


class _WatchedLock:
    """A lock that counts its acquisitions and knows which thread holds it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.owner: int | None = None
        self.acquisitions = 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        got = self._lock.acquire(blocking, timeout)
        if got:
            self.owner = threading.get_ident()
            self.acquisitions += 1
        return got

    def release(self) -> None:
        self.owner = None
        self._lock.release()

    def locked(self) -> bool:
        return self._lock.locked()

    def held_by_me(self) -> bool:
        return self.owner == threading.get_ident()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


class _WatchedTable(dict):
    """The shared table: counts writes, and writes made without the lock."""

    def __init__(self, lock: _WatchedLock) -> None:
        super().__init__(dict.fromkeys(LETTERS, 0))
        self.lock = lock
        self.writes = 0
        self.unlocked_writes = 0

    def __setitem__(self, key: str, value: int) -> None:
        self.writes += 1
        if not self.lock.held_by_me():
            self.unlocked_writes += 1
        super().__setitem__(key, value)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value


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
    urls = _check_urls(urls)
    lock = _WatchedLock()
    table = _WatchedTable(lock)
    count_letters_threads(urls, worker, table=table, lock=lock)
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


def time_letter_counters(
    urls: Sequence[str],
    counters: Iterable[str] = ("sequential", *LETTER_COUNTERS),
    *,
    repeat: int = 3,
) -> dict[str, float]:
    """Best-of-``repeat`` wall time in seconds of each letter counter.

    Returns ``{counter: seconds}`` in the order given; ``05_race_conditions``
    plots it with :func:`plot_counter_times`.
    """
    urls = _check_urls(urls)
    repeat = check_int("repeat", repeat, minimum=1)
    counters = list(counters)
    for name in counters:
        check_choice("counters", name, ("sequential", *LETTER_COUNTERS))
    times = dict.fromkeys(counters, float("inf"))
    for _ in range(repeat):  # round-robin: a burst of load hits every counter
        for name in counters:
            start = time.perf_counter()
            count_letters_threads(urls, name)
            times[name] = min(times[name], time.perf_counter() - start)
    return times


def print_source(func: Callable[..., Any]) -> None:
    """Print ``func``'s source code without its docstring.

    ``05_race_conditions.ipynb`` shows the letter counters this way, so the
    notebook always shows the code that actually runs.
    """
    check_callable("func", func)
    lines = inspect.getsource(func).splitlines()
    tree = ast.parse(textwrap.dedent("\n".join(lines)))
    node = tree.body[0]
    body = getattr(node, "body", [])
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        first, last = body[0].lineno - 1, body[0].end_lineno or body[0].lineno
        lines = lines[:first] + lines[last:]
    print(textwrap.dedent("\n".join(lines)))


def table_difference(
    table: Mapping[str, int], expected: Mapping[str, int]
) -> dict[str, int]:
    """``{letter: table[letter] - expected[letter]}`` for the letters that differ."""
    keys = sorted(set(table) | set(expected))
    diff = {k: table.get(k, 0) - expected.get(k, 0) for k in keys}
    return {k: d for k, d in diff.items() if d}


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


def plot_counter_times(times: Mapping[str, float], title: str = "") -> Any:
    """Horizontal bar chart of :func:`time_letter_counters` output (a Figure)."""
    from .plots import LABEL_SIZE, TICK_SIZE, TITLE_SIZE, figure

    if not times:
        raise ValueError("times must not be empty")
    names = list(times)
    values = [times[n] * 1000 for n in names]
    fig, ax = figure(figsize=(8, 0.55 * len(names) + 1.6))
    bars = ax.barh(names[::-1], values[::-1], color="tab:blue")
    ax.bar_label(bars, fmt="%.0f ms", padding=3, fontsize=TICK_SIZE)
    ax.set_xlabel("wall time (ms, best of the runs)", fontsize=LABEL_SIZE)
    ax.set_xlim(0, max(values) * 1.25)
    ax.set_title(title or "Letter counter: where the lock goes", fontsize=TITLE_SIZE)
    return fig


# ---------------------------------------------------------------------------
# Lost updates that really happen
# ---------------------------------------------------------------------------


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
    _join_all(threads, timeout + 5)
    if errors:
        raise errors[0]
    return account.balance


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
    _join_all(threads, 4 * meet_timeout + 10)
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


def _add_many(account: Account, iterations: int, barrier: threading.Barrier) -> None:
    barrier.wait()
    for _ in range(iterations):
        account.balance += 1


def _add_many_locked(
    account: Account, iterations: int, barrier: threading.Barrier, lock: Any
) -> None:
    barrier.wait()
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
    Fewer iterations often lose nothing, because a thread finishes inside its
    5 ms time slice (``sys.getswitchinterval()``) before the other one runs.
    ``use_lock=True`` puts ``with lock:`` around each ``+=``: nothing is ever
    lost (and it is slower). ``05_race_conditions.ipynb``.
    """
    threads = check_int("threads", threads, minimum=1, maximum=64)
    iterations = check_int("iterations", iterations, minimum=0)
    timeout = check_number("timeout", timeout, minimum=0.001)
    account = Account(0)
    barrier = threading.Barrier(threads + 1, timeout=timeout)
    lock = threading.Lock()
    if use_lock:
        workers = [
            threading.Thread(
                target=_add_many_locked, args=(account, iterations, barrier, lock)
            )
            for _ in range(threads)
        ]
    else:
        workers = [
            threading.Thread(target=_add_many, args=(account, iterations, barrier))
            for _ in range(threads)
        ]
    for t in workers:
        t.start()
    start = time.perf_counter()
    barrier.wait()  # all threads start counting together
    _join_all(workers, timeout)
    seconds = time.perf_counter() - start
    return RaceResult(
        threads=threads,
        iterations=iterations,
        use_lock=use_lock,
        expected=threads * iterations,
        final=account.balance,
        seconds=seconds,
    )


def count_race_until_lost(
    threads: int = 2, iterations: int = 500_000, *, attempts: int = 3
) -> RaceResult:
    """Run :func:`count_race` (no lock) until a run loses updates, at most
    ``attempts`` times; return the first losing run, else the last one.

    Makes a notebook's "the race loses updates" claim robust on a busy
    machine: one run of 2 × 500 000 lost updates in 50 of 50 trials here.
    """
    attempts = check_int("attempts", attempts, minimum=1)
    result = count_race(threads, iterations)
    for _ in range(attempts - 1):
        if result.lost:
            break
        result = count_race(threads, iterations)
    return result


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


def plot_race_sweep(results: Sequence[RaceResult], title: str = "") -> Any:
    """Lost updates (%) and time (s) against iterations, locked vs unlocked."""
    from .plots import LABEL_SIZE, LEGEND_SIZE, TITLE_SIZE, figure

    if not results:
        raise ValueError("results must not be empty")
    fig, (ax_lost, ax_time) = figure(2, figsize=(11, 4.4))
    for use_lock, style in ((False, "o-"), (True, "s--")):
        rows = sorted(
            (r for r in results if r.use_lock == use_lock), key=lambda r: r.iterations
        )
        if not rows:
            continue
        label = "with lock" if use_lock else "no lock"
        xs = [r.iterations for r in rows]
        lost = [100 * r.lost / r.expected if r.expected else 0 for r in rows]
        ax_lost.plot(xs, lost, style, label=label)
        ax_time.plot(xs, [r.seconds for r in rows], style, label=label)
    threads = results[0].threads
    ax_lost.set_title("updates lost", fontsize=TITLE_SIZE)
    ax_lost.set_ylabel("% of increments lost", fontsize=LABEL_SIZE)
    ax_time.set_title("wall time", fontsize=TITLE_SIZE)
    ax_time.set_ylabel("seconds", fontsize=LABEL_SIZE)
    for ax in (ax_lost, ax_time):
        ax.set_xlabel(f"iterations per thread ({threads} threads)", fontsize=LABEL_SIZE)
        ax.set_xscale("log")
        ax.legend(fontsize=LEGEND_SIZE)
        ax.grid(alpha=0.3)
    ax_lost.set_ylim(bottom=-2)
    ax_time.set_ylim(bottom=0)
    if title:
        fig.suptitle(title, fontsize=TITLE_SIZE)
    return fig


# ---------------------------------------------------------------------------
# The bank account of the notes
# ---------------------------------------------------------------------------


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
    _join_all(threads, timeout)
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


# ---------------------------------------------------------------------------
# Common mistakes, run safely
# ---------------------------------------------------------------------------


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


def start_returns(target: Callable[[], Any] | None = None) -> Any:
    """Return what ``threading.Thread(target=...).start()`` returns: ``None``.

    The thread is started and joined here, so nothing is left running.
    ``05_race_conditions.ipynb``.
    """
    t = threading.Thread(target=target or (lambda: None))
    returned = t.start()
    t.join(10)
    return returned


@dataclass(frozen=True)
class WaitResult:
    """How a waiting strategy did: how long it took, how much work it saw done."""

    strategy: str
    seconds: float
    finished: int
    workers: int
    work_seconds: float

    @property
    def complete(self) -> bool:
        return self.finished == self.workers

    @property
    def wasted(self) -> float:
        """Seconds spent waiting after the slowest worker had finished."""
        return max(0.0, self.seconds - self.work_seconds)


def _sleeper(seconds: float, done: list[int], lock: Any) -> None:
    time.sleep(seconds)
    with lock:
        done.append(1)


def _start_sleepers(workers: int, work_seconds: float) -> tuple[list, list[int]]:
    done: list[int] = []
    lock = threading.Lock()
    threads = [
        threading.Thread(target=_sleeper, args=(work_seconds, done, lock), daemon=True)
        for _ in range(workers)
    ]
    for t in threads:
        t.start()
    return threads, done


def _check_wait_args(workers: int, work_seconds: float) -> tuple[int, float]:
    return (
        check_int("workers", workers, minimum=1, maximum=1000),
        check_number("work_seconds", work_seconds, minimum=0.0, maximum=60.0),
    )


def wait_by_joining(workers: int = 8, work_seconds: float = 0.2) -> WaitResult:
    """Start ``workers`` threads that each sleep ``work_seconds``; ``join()`` them.

    The reference: the wait ends as soon as the last worker has finished.
    ``05_race_conditions.ipynb`` and ``06_join.ipynb``.
    """
    workers, work_seconds = _check_wait_args(workers, work_seconds)
    start = time.perf_counter()
    threads, done = _start_sleepers(workers, work_seconds)
    _join_all(threads, work_seconds + 30)
    return WaitResult(
        "join", time.perf_counter() - start, len(done), workers, work_seconds
    )


def wait_by_sleeping(
    workers: int = 8, work_seconds: float = 0.2, sleep_seconds: float = 1.0
) -> WaitResult:
    """The notes' ``time.sleep(10)``: wait a fixed time instead of joining.

    Too long wastes ``sleep_seconds - work_seconds``; too short reads the
    result before the work is done (``complete`` is False). The workers are
    daemon threads and are joined afterwards, so none is left running.
    ``05_race_conditions.ipynb`` and ``06_join.ipynb``.
    """
    workers, work_seconds = _check_wait_args(workers, work_seconds)
    sleep_seconds = check_number(
        "sleep_seconds", sleep_seconds, minimum=0.0, maximum=60
    )
    start = time.perf_counter()
    threads, done = _start_sleepers(workers, work_seconds)
    time.sleep(sleep_seconds)
    result = WaitResult(
        f"sleep({sleep_seconds:g})",
        time.perf_counter() - start,
        len(done),
        workers,
        work_seconds,
    )
    _join_all(threads, work_seconds + 30)  # tidy up after the demo
    return result


def wait_by_polling(
    workers: int = 8, work_seconds: float = 0.2, poll_seconds: float = 0.5
) -> WaitResult:
    """The notes' loop: ``while finished_count < N: time.sleep(0.5)``.

    Here the counter is updated under a lock, so the loop does end; it still
    wakes up late, up to ``poll_seconds`` after the work is done.
    ``05_race_conditions.ipynb`` and ``06_join.ipynb``.
    """
    workers, work_seconds = _check_wait_args(workers, work_seconds)
    poll_seconds = check_number("poll_seconds", poll_seconds, minimum=0.001, maximum=10)
    start = time.perf_counter()
    threads, done = _start_sleepers(workers, work_seconds)
    deadline = start + work_seconds + 30
    while len(done) < workers and time.perf_counter() < deadline:
        time.sleep(poll_seconds)
    result = WaitResult(
        f"poll every {poll_seconds:g} s",
        time.perf_counter() - start,
        len(done),
        workers,
        work_seconds,
    )
    _join_all(threads, work_seconds + 30)
    return result


def plot_waits(results: Sequence[WaitResult], title: str = "") -> Any:
    """Bar chart of waiting strategies: time waited, work time marked, and
    which ones returned before the work was done. ``06_join.ipynb``."""
    from .plots import LABEL_SIZE, TICK_SIZE, TITLE_SIZE, figure

    if not results:
        raise ValueError("results must not be empty")
    names = [r.strategy for r in results]
    fig, ax = figure(figsize=(8, 0.6 * len(results) + 1.8))
    colors = ["tab:green" if r.complete else "tab:red" for r in results]
    bars = ax.barh(names[::-1], [r.seconds for r in results][::-1], color=colors[::-1])
    labels = [f"{r.seconds:.2f} s, {r.finished}/{r.workers} done" for r in results][
        ::-1
    ]
    ax.bar_label(bars, labels=labels, padding=3, fontsize=TICK_SIZE)
    work = max(r.work_seconds for r in results)
    ax.axvline(work, color="black", linestyle="--", linewidth=1)
    ax.text(
        work,
        len(results) - 0.45,
        " the work takes this long",
        va="bottom",
        fontsize=TICK_SIZE,
    )
    ax.set_xlim(0, max(r.seconds for r in results) * 1.5)
    ax.set_ylim(-0.6, len(results) - 0.05)
    ax.set_xlabel(
        "seconds until the waiting ended (red: work not finished yet)",
        fontsize=LABEL_SIZE,
    )
    workers = max(r.workers for r in results)
    ax.set_title(
        title or f"Waiting for {workers} threads: join, poll, or sleep",
        fontsize=TITLE_SIZE,
    )
    return fig


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
    _join_all(threads, timeout + 5)
    return {
        "finished_count": state["finished_count"],
        "workers_done": len(done),
        "gave_up": gave_up,
        "seconds": time.perf_counter() - start,
    }


def check_waits_for_all(
    run_all: Callable[[list[Callable[[], None]]], Any],
    tasks: int = 4,
    task_seconds: float = 0.2,
) -> Verdict:
    """Checker for the join exercise of ``06_join.ipynb``.

    Calls ``run_all(list_of_tasks)``: each task sleeps ``task_seconds`` and
    records that it finished. ``run_all`` must start one thread per task and
    return only when all have finished, and the tasks must run at the same
    time: no fixed sleep standing in for ``join``, and no joining each thread
    before starting the next (that takes ``tasks`` times as long).
    """
    check_callable("run_all", run_all)
    tasks = check_int("tasks", tasks, minimum=1, maximum=100)
    task_seconds = check_number("task_seconds", task_seconds, minimum=0.0, maximum=5)
    finished: list[int] = []
    lock = threading.Lock()
    before = {t.ident for t in threading.enumerate()}

    def task() -> None:
        time.sleep(task_seconds)
        with lock:
            finished.append(1)

    start = time.perf_counter()
    run_all([task for _ in range(tasks)])
    seconds = time.perf_counter() - start
    done_at_return = len(finished)
    # tidy up: wait for any thread the attempt left running
    for t in threading.enumerate():
        if t.ident not in before and t is not threading.current_thread():
            t.join(task_seconds + 5)
    if done_at_return < tasks:
        hint = (
            f"run_all returned while {tasks - done_at_return} of {tasks} tasks "
            "were still running: join() every thread you started."
        )
    elif seconds > task_seconds + max(0.3, 0.5 * (tasks - 1) * task_seconds):
        hint = (
            f"all tasks finished, but run_all took {seconds:.1f} s for {tasks} "
            f"tasks of {task_seconds:g} s: did you sleep instead of joining, or "
            "join each thread before starting the next? Start all, then join all."
        )
    else:
        hint = ""
    return verdict(
        not hint,
        f"run_all waited for all {tasks} tasks, and no longer than needed.",
        hint,
    )


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _check_urls(urls: Sequence[str]) -> list[str]:
    if isinstance(urls, str):
        raise TypeError("urls must be a list of URLs, not one string")
    urls = list(urls)
    if not urls:
        raise ValueError("urls must not be empty")
    for url in urls:
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError(f"urls must hold http:// URLs, got {url!r}")
    return urls


def _join_all(threads: Iterable[threading.Thread], timeout: float) -> None:
    """Join every thread within ``timeout`` seconds in total, or raise."""
    end = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, end - time.monotonic()))
        if t.is_alive():
            raise TimeoutError(f"thread {t.name} still running after {timeout:g} s")
