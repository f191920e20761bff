"""Tests of conclab.sync: WaitGroup, condition helpers, bounded buffer, searches.

No sleeps as synchronisation: Events, Barriers and the primitives' own
timeouts make every ordering deterministic. Timeouts are generous upper
bounds, never timing assertions.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
import time
from collections import Counter

import pytest

import conclab as lab
from conclab.core import waitgroup as core_waitgroup
from conclab.exercises import waitgroups as exercises_waitgroups

LONG = 10.0  # an upper bound that is never reached when the code is right


# ---------------------------------------------------------------- WaitGroup


def test_waitgroup_basic_add_done_wait():
    wg = lab.WaitGroup()
    assert wg.wait(timeout=0) is True  # nothing to wait for
    wg.add(2)
    assert wg.count == 2
    assert wg.wait(timeout=0.01) is False
    wg.done()
    wg.done()
    assert wg.count == 0
    assert wg.wait(timeout=0) is True


def test_waitgroup_negative_counter_raises_like_go():
    wg = lab.WaitGroup()
    with pytest.raises(ValueError, match="sync: negative WaitGroup counter"):
        wg.done()
    wg.add(1)
    with pytest.raises(ValueError, match="negative WaitGroup counter"):
        wg.add(-2)
    assert wg.count == 1  # the failed add changed nothing


def test_waitgroup_wait_timeout_returns_false():
    wg = lab.WaitGroup()
    wg.add(1)
    assert wg.wait(timeout=0.05) is False
    assert wg.count == 1


def test_waitgroup_wakes_all_waiters():
    wg = lab.WaitGroup()
    wg.add(1)
    results = []
    ready = threading.Barrier(4)

    def waiter():
        ready.wait(LONG)
        results.append(wg.wait(LONG))

    threads = [threading.Thread(target=waiter) for _ in range(3)]
    for t in threads:
        t.start()
    ready.wait(LONG)
    wg.done()
    for t in threads:
        t.join(LONG)
    assert results == [True, True, True]


def test_waitgroup_stress_200_threads_add_done():
    wg = lab.WaitGroup()
    gate = threading.Event()
    n = 200
    wg.add(n)

    def worker():
        gate.wait(LONG)
        wg.done()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    assert wg.wait(timeout=0.01) is False  # all blocked at the gate
    gate.set()
    assert wg.wait(timeout=LONG) is True
    for t in threads:
        t.join(LONG)
    assert wg.count == 0


def test_waitgroup_stress_concurrent_add_and_done():
    wg = lab.WaitGroup()
    start = threading.Barrier(50)

    def worker():
        start.wait(LONG)
        for _ in range(200):
            wg.add(1)
            wg.done()

    threads = [threading.Thread(target=worker) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(LONG)
    assert wg.count == 0
    assert wg.wait(timeout=0) is True


def test_two_waitgroups_at_once_are_independent():
    a, b = lab.WaitGroup(), lab.WaitGroup()
    gate_a, gate_b = threading.Event(), threading.Event()
    for _ in range(5):
        a.go(gate_a.wait, LONG)
        b.go(gate_b.wait, LONG)
    assert (a.count, b.count) == (5, 5)
    gate_a.set()
    assert a.wait(LONG) is True
    assert b.wait(timeout=0.01) is False  # b's tasks still blocked
    assert b.count == 5
    gate_b.set()
    assert b.wait(LONG) is True


def test_go_counts_and_runs_with_arguments():
    wg = lab.WaitGroup()
    out = []
    lock = threading.Lock()
    gate = threading.Event()

    def task(x, y=0):
        gate.wait(LONG)
        with lock:
            out.append(x + y)

    threads = [wg.go(task, i, y=100) for i in range(20)]
    assert all(isinstance(t, threading.Thread) for t in threads)
    assert wg.count == 20
    gate.set()
    assert wg.wait(LONG)
    assert sorted(out) == [i + 100 for i in range(20)]


def test_go_counts_down_even_when_the_task_raises(monkeypatch):
    wg = lab.WaitGroup()
    reported = []
    monkeypatch.setattr(threading, "excepthook", reported.append)

    def boom():
        raise RuntimeError("bad task")

    thread = wg.go(boom)
    with pytest.raises(ExceptionGroup) as group:
        wg.wait(LONG)
    assert wg.count == 0
    [error] = group.value.exceptions
    assert isinstance(error, RuntimeError) and str(error) == "bad task"
    assert wg.errors == [error]
    # reported as a plain thread's failure is, before done() released wait()
    [args] = reported
    assert args.exc_value is error and args.exc_type is RuntimeError
    assert args.thread is thread
    with pytest.raises(ExceptionGroup):  # the group stays failed
        wg.wait(0)


def test_go_failures_are_all_raised_and_successes_are_not(monkeypatch):
    wg = lab.WaitGroup()
    monkeypatch.setattr(threading, "excepthook", lambda args: None)
    gate = threading.Event()

    def task(i):
        gate.wait(LONG)
        if i % 3 == 0:
            raise ValueError(i)

    for i in range(7):
        wg.go(task, i)
    assert wg.wait(timeout=0.01) is False  # running tasks: no early raise
    gate.set()
    with pytest.raises(ExceptionGroup, match="3 WaitGroup task") as group:
        wg.wait(LONG)
    assert sorted(e.args[0] for e in group.value.exceptions) == [0, 3, 6]


def test_go_without_failures_waits_normally_and_systemexit_is_no_failure(
    monkeypatch,
):
    reported = []
    monkeypatch.setattr(threading, "excepthook", reported.append)
    wg = lab.WaitGroup()
    wg.go(lambda: None)
    exiting = wg.go(sys.exit)  # ends its thread quietly, as in a plain thread
    assert wg.wait(LONG) is True
    assert wg.errors == []
    exiting.join(LONG)  # the thread hands SystemExit on after its done()
    # SystemExit reaches the hook as from a plain thread (the default ignores it)
    assert [args.exc_type for args in reported] == [SystemExit]


def test_default_excepthook_prints_the_traceback(capsys, monkeypatch):
    # pytest installs a hook of its own; put Python's default back
    monkeypatch.setattr(threading, "excepthook", threading.__excepthook__)
    wg = lab.WaitGroup()

    def fails():
        raise KeyError("lost")

    wg.go(fails)
    with pytest.raises(ExceptionGroup):
        wg.wait(LONG)
    err = capsys.readouterr().err
    assert "Traceback" in err and "KeyError: 'lost'" in err


def test_waitgroup_validates_arguments():
    wg = lab.WaitGroup()
    with pytest.raises(TypeError, match="n must be an int"):
        wg.add(1.5)
    with pytest.raises(ValueError, match="timeout"):
        wg.wait(timeout=-1)
    with pytest.raises(TypeError, match="fn must be callable"):
        wg.go(42)
    assert wg.count == 0


def test_waitgroup_state_is_per_instance():
    a, b = lab.WaitGroup(), lab.WaitGroup()
    a.add(3)
    assert b.count == 0
    assert a._cond is not b._cond


# ------------------------------------------------------ the notes' version


def test_notes_waitgroup_shares_its_condition_between_instances():
    a, b = lab.NotesWaitGroup(), lab.NotesWaitGroup()
    assert a.cv is b.cv  # class attribute: one lock for every group
    a.add(1)
    # += created an instance attribute: the counters are not shared ...
    assert (a.wait_count, b.wait_count, lab.NotesWaitGroup.wait_count) == (1, 0, 0)
    # ... but the one Condition is: while group a's lock is held, group b
    # cannot even add.
    added = threading.Event()

    def add_to_b():
        b.add(1)
        added.set()

    with a.cv:
        t = threading.Thread(target=add_to_b)
        t.start()
        assert not added.wait(0.05)
    assert added.wait(LONG)
    t.join(LONG)
    a.done()
    b.done()


def test_notes_waitgroup_done_in_one_group_wakes_waiters_of_another():
    a, b = lab.NotesWaitGroup(), lab.NotesWaitGroup()
    b.add(1)
    wakeups: list[int] = []
    inside, woke = threading.Event(), threading.Event()

    def wait_for_b():
        with b.cv:
            inside.set()  # main can take the lock only once we are in wait
            while b.wait_count > 0:
                if not b.cv.wait(LONG):
                    break
                wakeups.append(b.wait_count)
                woke.set()

    t = threading.Thread(target=wait_for_b)
    t.start()
    assert inside.wait(LONG)
    a.add(1)
    a.done()  # notify_all on the one class-level Condition
    assert woke.wait(LONG)
    b.done()
    t.join(LONG)
    assert not t.is_alive()
    assert wakeups == [1, 0]  # woken by a's done() while b still had a task


def test_notes_waitgroup_ignores_extra_done():
    wg = lab.NotesWaitGroup()
    wg.add(1)
    wg.done()
    wg.done()  # silently ignored: a bug hides
    assert wg.wait_count == 0


def test_notes_waitgroup_wait_timeout_does_not_hang():
    wg = lab.NotesWaitGroup()
    wg.add(1)
    wg.wait(timeout=0.02)
    assert wg.wait_count == 1
    wg.done()


# -------------------------------------------------------- condition account


def test_condition_account_never_negative_and_final_right():
    r = lab.stingy_spendy(deposits=5000, withdrawals=2500)
    assert r["finished"]
    assert r["failed"] == 0
    assert r["min_balance"] >= 0
    assert r["final"] == r["expected"] == 100


def test_condition_account_withdraw_times_out():
    acc = lab.ConditionAccount(10)
    assert acc.withdraw(20, timeout=0.02) is False
    assert acc.balance == 10
    assert acc.withdraw(10, timeout=0) is True
    assert acc.balance == 0


def test_condition_account_many_spenders_never_negative():
    acc = lab.ConditionAccount(0)
    start = threading.Barrier(9)
    got = []
    lock = threading.Lock()

    def spender():
        start.wait(LONG)
        for _ in range(50):
            ok = acc.withdraw(20, timeout=LONG)
            with lock:
                got.append(ok)

    def stingy():
        start.wait(LONG)
        for _ in range(8 * 50 * 2):
            acc.deposit(10)

    threads = [threading.Thread(target=spender) for _ in range(8)]
    threads.append(threading.Thread(target=stingy))
    for t in threads:
        t.start()
    for t in threads:
        t.join(LONG)
    assert got == [True] * 400
    assert acc.balance == 0
    assert acc.min_balance >= 0


def test_condition_account_validates():
    with pytest.raises(ValueError, match="balance"):
        lab.ConditionAccount(-1)
    with pytest.raises(ValueError, match="amount"):
        lab.ConditionAccount().deposit(0)


class IfAccount:
    """The mistake: `if` instead of `while` around wait."""

    def __init__(self, balance=0):
        self.balance = balance
        self.cond = threading.Condition()

    def deposit(self, amount):
        with self.cond:
            self.balance += amount
            self.cond.notify_all()

    def withdraw(self, amount, timeout=None):
        with self.cond:
            if self.balance < amount and not self.cond.wait(timeout):
                return False
            self.balance -= amount
            return True


def test_stolen_wakeup_is_deterministic():
    # IfAccount returns at the deposit: a long timeout costs nothing, and
    # leaves room for a slow start on a busy machine
    for _ in range(20):
        assert lab.stolen_wakeup(IfAccount, timeout=2.0)["balance"] == -20
    r = lab.stolen_wakeup(timeout=0.5)
    # the loser waited its timeout out
    expected = {"balance": 0, "spent": 1, "timed_out": 1, "finished": True}
    assert r == {**expected, "gave_up_early": 0}


class SlowStartIfAccount(IfAccount):
    """IfAccount, but in the first account made, the second withdraw starts
    0.3 s late: a busy machine's slow thread start, longer than the timeout."""

    made = 0

    def __init__(self, balance):
        super().__init__(balance)
        SlowStartIfAccount.made += 1
        self.slow, self.calls = SlowStartIfAccount.made == 1, 0

    def withdraw(self, amount, timeout=None):
        self.calls += 1
        if self.slow and self.calls == 2:
            time.sleep(0.3)  # stands in for a slow start, not synchronisation
        return super().withdraw(amount, timeout)


def test_stolen_wakeup_sets_up_again_when_the_deposit_came_late():
    SlowStartIfAccount.made = 0
    r = lab.stolen_wakeup(SlowStartIfAccount, timeout=0.2)
    assert SlowStartIfAccount.made == 2  # the late first run was set up again
    assert r["balance"] == -20, r  # and the second run shows the bug


def test_check_safe_account(capsys):
    assert lab.check_safe_account(lab.ConditionAccount)
    assert not lab.check_safe_account(IfAccount)
    out = capsys.readouterr().out
    assert "✅" in out and "❌ Not yet: both spenders took the money" in out


# ------------------------------------------------------------ lost wake-up


def test_one_condition_stall_notify_wakes_the_wrong_thread():
    for _ in range(20):  # deterministic: the same every time
        stalled = lab.one_condition_stall("notify", timeout=0.05)
        assert stalled == {
            "delivered": [1],
            "producer_gave_up": True,
            "finished": True,
        }
    fixed = lab.one_condition_stall("notify_all", timeout=LONG)
    assert fixed == {"delivered": [1, 2], "producer_gave_up": False, "finished": True}
    with pytest.raises(ValueError, match="wake"):
        lab.one_condition_stall("notify_one")
    with pytest.raises(ValueError, match="timeout"):
        lab.one_condition_stall(timeout=0)


class FlagGate:
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


class NotifyOnlyGate(FlagGate):
    def open(self):
        with self.cond:
            self.cond.notify_all()

    def wait(self, timeout=None):
        with self.cond:
            return self.cond.wait(timeout)


def test_check_gate(capsys):
    assert lab.check_gate(FlagGate)
    assert not lab.check_gate(NotifyOnlyGate, timeout=0.1)
    assert not lab.check_gate(threading.Event)  # has no open()
    out = capsys.readouterr().out
    assert out.count("❌") == 2


# ---------------------------------------------------------- recorder/plot


def test_recording_condition_logs_wait_wake_notify():
    rec = lab.SyncRecorder()
    cond = rec.condition(name="c")
    flag = []
    waiting = threading.Event()

    def waiter():
        with cond:
            waiting.set()
            assert cond.wait_for(lambda: flag, LONG)

    t = threading.Thread(target=waiter, name="w")
    t.start()
    waiting.wait(LONG)
    with cond:  # the waiter is inside wait once this lock is free
        flag.append(1)
        cond.notify()
    t.join(LONG)
    with cond:
        cond.notify_all()
        assert cond.wait(0.001) is False
    counts = Counter(e.kind for e in rec.history())
    assert counts["notify"] == 1
    assert counts["notify_all"] == 1
    assert counts["wait"] == 2
    assert counts["wake"] == 1
    assert counts["timeout"] == 1
    assert [w[0] for w in rec.waits()] == ["w", "MainThread"]
    fig = lab.plot_sync_timeline(rec, title="t")
    assert fig.axes[0].get_title() == "t"


def test_recording_condition_refuses_unowned_lock():
    cond = lab.SyncRecorder().condition()
    with pytest.raises(RuntimeError, match="un-acquired lock"):
        cond.notify()
    with pytest.raises(RuntimeError, match="un-acquired lock"):
        cond.wait(0)


def test_condition_on_a_plain_lock_lets_a_non_owner_notify():
    """07's claim: only the RLock-based Condition knows who holds its lock."""
    holding, release = threading.Event(), threading.Event()
    outcomes = {}
    for name, cond in (
        ("rlock", threading.Condition()),
        ("lock", threading.Condition(threading.Lock())),
    ):
        holding.clear()
        release.clear()

        def holder(cond=cond):
            with cond:
                holding.set()
                release.wait(LONG)

        t = threading.Thread(target=holder)
        t.start()
        assert holding.wait(LONG)
        try:
            cond.notify()  # this thread does not hold the lock
            outcomes[name] = "no error"
        except RuntimeError:
            outcomes[name] = "RuntimeError"
        release.set()
        t.join(LONG)
    assert outcomes == {"rlock": "RuntimeError", "lock": "no error"}


def test_plot_sync_timeline_marks_every_wakeup():
    run = lab.producer_consumer(items=8, capacity=1, consume_time=0.001, record=True)
    assert run.ok and run.recorder is not None
    fig = lab.plot_sync_timeline(run.recorder, capacity=1)
    [marks] = [
        c for c in fig.axes[0].collections if c.get_label() == "woken: wait returns"
    ]
    wakes = sum(e.kind == "wake" for e in run.recorder.history())
    assert len(marks.get_offsets()) == wakes > 0


def test_plot_search_sweep_keeps_equal_lines_visible():
    rows = [
        {"search": s, "directories": d, "seconds": 0.01, "threads": d}
        for s in ("WaitGroup + go", "threads + join")
        for d in (4, 13)
    ]
    fig = lab.plot_search_sweep(rows)
    under, over = fig.axes[1].get_lines()
    assert list(under.get_ydata()) == list(over.get_ydata())  # they coincide
    assert under.get_linestyle() != over.get_linestyle()
    assert under.get_markersize() > over.get_markersize()
    assert under.get_fillstyle() == "none" and under.get_zorder() < over.get_zorder()


def test_plot_sync_timeline_validates():
    with pytest.raises(TypeError, match="recorder"):
        lab.plot_sync_timeline([])


# ----------------------------------------------------------- bounded buffer


def test_bounded_buffer_capacity_and_timeouts():
    buf = lab.BoundedBuffer(2)
    buf.put("a")
    buf.put("b")
    with pytest.raises(queue.Full):
        buf.put("c", timeout=0.01)
    assert len(buf) == 2
    assert buf.get() == "a"
    assert buf.get(timeout=0) == "b"
    with pytest.raises(queue.Empty):
        buf.get(timeout=0.01)
    with pytest.raises(ValueError, match="capacity"):
        lab.BoundedBuffer(0)


@pytest.mark.parametrize("kind", lab.BUFFER_KINDS)
@pytest.mark.parametrize("consumers", [1, 4])
def test_producer_consumer_preserves_items_within_capacity(kind, consumers):
    r = lab.producer_consumer(items=500, capacity=3, kind=kind, consumers=consumers)
    assert r.finished
    assert r.consumed == list(range(500))
    assert r.max_size <= 3
    assert r.ok


def test_bounded_buffer_stress_many_producers():
    buf = lab.BoundedBuffer(4)
    start = threading.Barrier(16)
    got = []
    lock = threading.Lock()

    def producer(p):
        start.wait(LONG)
        for i in range(100):
            buf.put((p, i), timeout=LONG)

    def consumer():
        start.wait(LONG)
        for _ in range(100):
            item = buf.get(timeout=LONG)
            with lock:
                got.append(item)

    threads = [threading.Thread(target=producer, args=(p,)) for p in range(8)]
    threads += [threading.Thread(target=consumer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(LONG)
    assert sorted(got) == sorted((p, i) for p in range(8) for i in range(100))
    assert buf.max_size <= 4
    for p in range(8):  # each producer's items stay in order
        mine = [i for q, i in got if q == p]
        assert sorted(mine) == list(range(100))


def test_producer_consumer_recorder_and_plot():
    r = lab.producer_consumer(items=10, capacity=2, record=True)
    assert r.ok
    counts = Counter(e.kind for e in r.recorder.history())
    assert counts["put"] == counts["get"] == 11  # 10 items + 1 stop marker
    fig = lab.plot_sync_timeline(r.recorder, capacity=2)
    assert len(fig.axes) == 2


def test_producer_consumer_validates():
    with pytest.raises(ValueError, match="kind"):
        lab.producer_consumer(kind="pipe")
    with pytest.raises(ValueError, match="capacity"):
        lab.producer_consumer(capacity=0)


# ------------------------------------------------------------------ search


@pytest.fixture
def tree():
    with lab.temp_tree(depth=3, fanout=3) as t:
        yield t


def test_search_waitgroup_finds_the_planted_files(tree):
    r = lab.search_waitgroup(tree.root)
    assert r.matches == tree.expected
    assert r.threads == tree.directories  # one thread per directory
    assert not any(os.path.isabs(m) for m in r.matches)


def test_search_waitgroup_raises_when_one_listing_fails(tree, monkeypatch):
    reported = []
    monkeypatch.setattr(threading, "excepthook", reported.append)
    listed = []

    def lister(folder, filename, top, delay):
        if os.path.relpath(folder, top) == "dir_1":
            raise PermissionError("cannot list dir_1")
        listed.append(folder)
        return lab.list_folder(folder, filename, top, delay)

    with pytest.raises(ExceptionGroup) as group:
        lab.search_waitgroup(tree.root, lister=lister)
    [error] = group.value.exceptions
    assert isinstance(error, PermissionError)
    assert [args.exc_value for args in reported] == [error]
    assert len(listed) == sum(1 for _ in os.walk(tree.root)) - tree_size_below(tree)
    with pytest.raises(TypeError, match="lister"):
        lab.search_waitgroup(tree.root, lister=42)


def tree_size_below(tree):
    """Directories in dir_1's subtree, dir_1 included (none of them is listed)."""
    return sum(1 for _ in os.walk(tree.root / "dir_1"))


def test_search_waitgroup_with_delay_and_validation(tree):
    assert lab.search_waitgroup(tree.root, delay=0.001).matches == tree.expected
    with pytest.raises(ValueError, match="root"):
        lab.search_waitgroup(tree.root / "missing")
    with pytest.raises(ValueError, match="filename"):
        lab.search_waitgroup(tree.root, "")


def test_search_notes_waitgroup_finds_the_same(tree):
    r = lab.search_notes_waitgroup(tree.root)
    assert r.matches == tree.expected
    assert r.threads == tree.directories


def test_notes_file_search_leaves_t_none(tree):
    wg = lab.NotesWaitGroup()
    matches, mutex = [], threading.Lock()
    wg.add(1)
    lab.notes_file_search(str(tree.root), lab.TARGET, wg, matches, mutex)
    wg.wait(timeout=LONG)
    assert wg.wait_count == 0
    assert core_waitgroup._relative(matches, str(tree.root)) == tree.expected


def test_search_rows_and_plots():
    rows = lab.search_rows(depth=2, fanout=3)
    assert [r["search"] for r in rows] == list(lab.WAITGROUP_SEARCHES)
    assert {r["directories"] for r in rows} == {13}
    threads = {r["search"]: r["threads"] for r in rows}
    assert threads["WaitGroup + go"] == threads["threads + join"] == 13
    assert threads["os.walk"] == 0
    assert threads["pool + futures.wait"] <= 4
    fig = lab.plot_search_bars(rows)
    assert len(fig.axes) == 2
    with pytest.raises(ValueError, match="searches"):
        lab.search_rows(searches=["magic"])
    with pytest.raises(ValueError, match="rows"):
        lab.plot_search_bars([])


def test_check_count_files(tree, capsys):
    def good(root):
        wg, lock, total = lab.WaitGroup(), threading.Lock(), [0]

        def walk(d):
            with os.scandir(d) as it:
                for e in it:
                    if e.is_dir():
                        wg.go(walk, e.path)
                    else:
                        with lock:
                            total[0] += 1

        wg.go(walk, root)
        wg.wait(LONG)
        return total[0]

    assert lab.check_count_files(good, tree.root)
    assert not lab.check_count_files(lambda root: 0, tree.root)
    assert "❌" in capsys.readouterr().out


def test_check_go_quiz(capsys):
    assert lab.check_go_quiz(dict(exercises_waitgroups._GO_QUIZ))
    assert not lab.check_go_quiz({})
    with pytest.raises(TypeError):
        lab.check_go_quiz([])


def test_panel_render_functions():
    fig = lab.plot_producer_consumer(items=5, capacity=2, produce_ms=0, consume_ms=0)
    assert "NOT OK" not in fig.axes[0].get_title()
    fig = lab.plot_tree_searches(depth=1, fanout=2)
    assert "3 directories" in fig.texts[0].get_text()
    with pytest.raises(ValueError, match="consume_ms"):
        lab.plot_producer_consumer(consume_ms=-1)
