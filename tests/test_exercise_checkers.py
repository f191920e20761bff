"""Every reworked checker accepts the notebook's solution and rejects known-wrong
ones, with a message that says what is wrong without handing over the answer.

The wrong solutions are the ones a student (or a review) really wrote: a fixed
sleep instead of join, a plain os.walk instead of threads, an unlocked update,
an ``if`` around ``wait``, a gate that never notifies or that polls.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import conclab as lab
from conclab import WaitGroup


def verdict_of(capsys, checker, *args):
    ok = bool(checker(*args))
    return ok, capsys.readouterr().out


# -- 06 exercise 1: wait for all of them --------------------------------------


def run_all_solution(tasks):
    threads = [threading.Thread(target=task) for task in tasks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def run_all_no_wait(tasks):
    for task in tasks:
        threading.Thread(target=task).start()


def run_all_sleep(seconds):
    def run_all(tasks):
        for task in tasks:
            threading.Thread(target=task).start()
        time.sleep(seconds)

    return run_all


def run_all_one_by_one(tasks):
    for task in tasks:
        t = threading.Thread(target=task)
        t.start()
        t.join()


def run_all_in_the_caller(tasks):
    for task in tasks:
        task()


def run_all_slow_starts(tasks):
    """The solution, on a machine so busy that each thread takes 0.1 s to
    start: longer than the checker's shorter task (CI saw 3 of 4 started)."""
    threads = [threading.Thread(target=task) for task in tasks]
    for t in threads:
        t.start()
        time.sleep(0.1)  # stands in for a slow start, not for synchronisation
    for t in threads:
        t.join()


@pytest.mark.parametrize("solution", [run_all_solution, run_all_slow_starts])
def test_waits_for_all_accepts_start_all_then_join_all(capsys, solution):
    ok, out = verdict_of(capsys, lab.check_waits_for_all, solution)
    assert ok, out


@pytest.mark.parametrize(
    ("wrong", "says"),
    [
        (run_all_no_wait, "still running"),
        # 0.45 s, not less: the short round must still see it late when the
        # threads start slowly (its 0.05 s counts from the last start)
        (run_all_sleep(0.45), "after the last task had finished"),
        (run_all_sleep(1.0), "after the last task had finished"),
        (run_all_one_by_one, "did not all run at the same time"),
        (run_all_in_the_caller, "thread that called run_all"),
    ],
)
def test_waits_for_all_rejects(capsys, wrong, says):
    ok, out = verdict_of(capsys, lab.check_waits_for_all, wrong)
    assert not ok
    assert says in out
    assert "join" not in out  # says what is wrong, not how to fix it


def test_waits_for_all_leaves_no_thread():
    before = threading.active_count()
    lab.check_waits_for_all(run_all_no_wait)
    assert threading.active_count() == before


# -- 06 exercise 2: a thread per top-level directory ---------------------------


def relative(path, root):
    return os.path.relpath(path, root).replace(os.sep, "/")


def top_level_solution(root, filename="findme.txt"):
    matches, lock = [], threading.Lock()

    def walk(top):
        found = [
            relative(os.path.join(d, f), root)
            for d, _, files in os.walk(top)
            for f in files
            if f == filename
        ]
        with lock:
            matches.extend(found)

    threads = [
        threading.Thread(target=walk, args=(entry.path,))
        for entry in os.scandir(root)
        if entry.is_dir()
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    matches += [e.name for e in os.scandir(root) if e.name == filename]
    return sorted(matches)


def top_level_plain_walk(root, filename="findme.txt"):
    return sorted(
        relative(os.path.join(d, f), root)
        for d, _, files in os.walk(root)
        for f in files
        if f == filename
    )


def top_level_thread_per_directory(root, filename="findme.txt"):
    return lab.search_thread_per_dir(root, filename).matches


def top_level_forgets_root_files(root, filename="findme.txt"):
    return [m for m in top_level_solution(root, filename) if "/" in m]


def top_level_no_join(root, filename="findme.txt"):
    matches = []
    for entry in os.scandir(root):
        if entry.is_dir():
            threading.Thread(target=time.sleep, args=(0.3,)).start()
    matches += top_level_plain_walk(root, filename)
    return matches


@pytest.fixture(scope="module")
def tree():
    with lab.temp_tree(depth=3, fanout=4) as tree:
        yield tree


def test_top_level_search_accepts_the_solution(capsys, tree):
    ok, out = verdict_of(capsys, lab.check_top_level_search, top_level_solution, tree)
    assert ok, out


@pytest.mark.parametrize(
    ("wrong", "says"),
    [
        (top_level_plain_walk, "0 thread(s) for 4 top-level directories"),
        (top_level_thread_per_directory, "thread(s) for 4 top-level directories"),
        (top_level_forgets_root_files, "missing"),
        (top_level_no_join, "still running when it returned"),
    ],
)
def test_top_level_search_rejects(capsys, tree, wrong, says):
    ok, out = verdict_of(capsys, lab.check_top_level_search, wrong, tree)
    assert not ok
    assert says in out


# -- 08 exercise 1: count every file with a WaitGroup -------------------------


def count_files_solution(root):
    wg = WaitGroup()
    lock = threading.Lock()
    total = 0

    def count(folder):
        nonlocal total
        files = 0
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    wg.go(count, entry.path)
                elif entry.is_file():
                    files += 1
        with lock:
            total += files

    wg.go(count, root)
    if not wg.wait(timeout=10):
        raise TimeoutError("count_files did not finish")
    return total


def count_files_os_walk(root):
    return sum(len(files) for _, _, files in os.walk(root))


def count_files_no_lock(root):
    wg = WaitGroup()
    lock = threading.Lock()  # made, never taken
    total = 0

    def count(folder):
        nonlocal total
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    wg.go(count, entry.path)
                elif entry.is_file():
                    total += 1

    assert lock is not None
    wg.go(count, root)
    wg.wait(timeout=10)
    return total


def count_files_pool_of_walks(root):
    with ThreadPoolExecutor(2) as pool:
        return sum(pool.map(lambda d: len(os.listdir(d)) * 0, [root])) + (
            count_files_os_walk(root)
        )


def count_files_template(root):
    wg = WaitGroup()
    lock = threading.Lock()
    total = 0

    def count(folder):
        nonlocal total
        files = 0
        with lock:
            total += files

    wg.go(count, root)
    wg.wait(timeout=10)
    return total


def test_count_files_accepts_the_solution(capsys, tree):
    ok, out = verdict_of(capsys, lab.check_count_files, count_files_solution, tree.root)
    assert ok, out


@pytest.mark.parametrize(
    ("wrong", "says"),
    [
        (count_files_os_walk, "one task per directory"),
        (count_files_no_lock, "the lock you made was taken 0 time(s)"),
        (count_files_pool_of_walks, "one task per directory"),
        (count_files_template, "you counted 0 files"),
    ],
)
def test_count_files_rejects(capsys, tree, wrong, says):
    ok, out = verdict_of(capsys, lab.check_count_files, wrong, tree.root)
    assert not ok
    assert says in out
    assert "✅" not in out


def test_count_files_leaves_threading_and_waitgroup_as_they_were(tree):
    lab.check_count_files(count_files_no_lock, tree.root)
    assert threading.Lock().__class__.__name__ == "lock"
    assert threading.Thread.start.__qualname__ == "Thread.start"
    assert WaitGroup.add.__qualname__ == "WaitGroup.add"


# -- 07 exercise 1: an account that cannot go negative ------------------------


class SafeAccount:
    def __init__(self, balance=0):
        self.cond = threading.Condition()
        self.balance = balance

    def deposit(self, amount):
        with self.cond:
            self.balance += amount
            self.cond.notify_all()

    def withdraw(self, amount, timeout=None):
        with self.cond:
            if not self.cond.wait_for(lambda: self.balance >= amount, timeout):
                return False
            self.balance -= amount
            return True


class IfWaitAccount(SafeAccount):  # the template: if + wait
    def withdraw(self, amount, timeout=None):
        with self.cond:
            if self.balance < amount:
                self.cond.wait(timeout)
            self.balance -= amount
            return True


class RecheckOnceAccount(SafeAccount):  # re-checks once, gives up early
    def withdraw(self, amount, timeout=None):
        with self.cond:
            if self.balance < amount:
                self.cond.wait(timeout)
                if self.balance < amount:
                    return False
            self.balance -= amount
            return True


class NoTimeoutAccount(SafeAccount):  # ignores the timeout: waits for ever
    def withdraw(self, amount, timeout=None):
        with self.cond:
            self.cond.wait_for(lambda: self.balance >= amount, 1.5)
            if self.balance < amount:
                return False
            self.balance -= amount
            return True


def test_safe_account_accepts_the_solution(capsys):
    ok, out = verdict_of(capsys, lab.check_safe_account, SafeAccount)
    assert ok, out


@pytest.mark.parametrize(
    ("wrong", "says"),
    [
        (IfWaitAccount, "both spenders took the money"),
        (RecheckOnceAccount, "gave up after"),
        (NoTimeoutAccount, "still waiting long after its timeout"),
    ],
)
def test_safe_account_rejects(capsys, wrong, says):
    ok, out = verdict_of(capsys, lab.check_safe_account, wrong)
    assert not ok
    assert says in out
    assert "wait_for" not in out and "while" not in out


# -- 07 exercise 2: a gate that remembers --------------------------------------


class Gate:
    def __init__(self):
        self.cond = threading.Condition()
        self.is_open = False

    def open(self):
        with self.cond:
            self.is_open = True
            self.cond.notify_all()

    def wait(self, timeout=None):
        with self.cond:
            return self.cond.wait_for(lambda: self.is_open, timeout)


class TemplateGate(Gate):  # forgets an early open()
    def open(self):
        with self.cond:
            self.cond.notify_all()

    def wait(self, timeout=None):
        with self.cond:
            return self.cond.wait(timeout)


class SilentGate(Gate):  # remembers, but never notifies
    def open(self):
        with self.cond:
            self.is_open = True


class PollingGate(Gate):
    def wait(self, timeout=None):
        deadline = time.monotonic() + (timeout or 0)
        while not self.is_open and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.is_open


class ImpatientGate(Gate):  # returns False at once when closed
    def wait(self, timeout=None):
        with self.cond:
            return self.cond.wait_for(lambda: self.is_open, min(timeout, 0.01))


class SlowSilentGate(SilentGate):
    """SilentGate in a thread slow to reach its wait: open() could come first,
    and the gate, never notifying, would seem to wake its waiter."""

    def wait(self, timeout=None):
        until = time.perf_counter() + 0.1
        while time.perf_counter() < until:
            pass  # a slow start; not time.sleep, which the checker counts
        return super().wait(timeout)


def test_gate_accepts_the_solution_and_threading_event(capsys):
    ok, out = verdict_of(capsys, lab.check_gate, Gate)
    assert ok, out

    class EventGate:
        def __init__(self):
            self.event = threading.Event()

        def open(self):
            self.event.set()

        def wait(self, timeout=None):
            return self.event.wait(timeout)

    assert verdict_of(capsys, lab.check_gate, EventGate)[0]


@pytest.mark.parametrize(
    ("wrong", "says"),
    [
        (TemplateGate, "open() before wait() was lost"),
        (SilentGate, "only when its own timeout ran out"),
        (SlowSilentGate, "only when its own timeout ran out"),
        (PollingGate, "it polls"),
        (ImpatientGate, "gave up after"),
    ],
)
def test_gate_rejects(capsys, wrong, says):
    ok, out = verdict_of(capsys, lab.check_gate, wrong)
    assert not ok
    assert says in out
    assert "wait_for" not in out and "flag" not in out


# -- 05 exercise 2: count locally, merge once under the lock -------------------


@pytest.fixture(scope="module")
def corpus():
    with lab.serve_corpus() as server:
        urls = server.urls()[:4]
        expected = lab.count_letters("".join(lab.fetch_text(url) for url in urls))
        yield urls, expected


def merge_with_dict_update(url, table, lock, decode=True):
    local = lab.count_letters(lab.fetch_text(url, decode=decode))
    dict.update(table, {k: table[k] + v for k, v in local.items()})


def merge_with_ior(url, table, lock, decode=True):
    local = lab.count_letters(lab.fetch_text(url, decode=decode))
    table |= {k: table[k] + v for k, v in local.items()}


def merge_locked(url, table, lock, decode=True):
    local = lab.count_letters(lab.fetch_text(url, decode=decode))
    with lock:
        for k, v in local.items():
            table[k] += v


def merge_ior_locked(url, table, lock, decode=True):
    local = lab.count_letters(lab.fetch_text(url, decode=decode))
    with lock:
        table |= {k: table[k] + v for k, v in local.items()}


@pytest.mark.parametrize("right", [merge_locked, merge_ior_locked])
def test_counter_accepts_locked_merges(capsys, corpus, right):
    urls, expected = corpus
    ok, out = verdict_of(capsys, lab.check_counter, right, urls, expected)
    assert ok, out


@pytest.mark.parametrize("wrong", [merge_with_dict_update, merge_with_ior])
def test_counter_rejects_merges_that_bypass_the_lock(capsys, corpus, wrong):
    urls, expected = corpus
    try:
        ok, out = verdict_of(capsys, lab.check_counter, wrong, urls, expected)
    except TypeError as exc:  # dict's own methods refuse the watched table
        assert "dict" in str(exc)
        return
    assert not ok
    assert "without holding the lock" in out
