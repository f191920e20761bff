"""Tests of conclab.core.deadlocks and conclab.exercises.deadlocks (notebook 10).

No sleeps as synchronisation: Events and the locks' own timeouts order
everything. The checker is fed the collapsed solution (must pass) and the
wrong answers students write (must fail, saying what went wrong without
giving the fix away).
"""

from __future__ import annotations

import threading

import pytest

import conclab as lab
from conclab.core.deadlocks import BankAccount, TimeoutLock, stress_transfers


@pytest.fixture(autouse=True)
def no_thread_left():
    before = set(threading.enumerate())
    yield
    left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    for t in left:  # a daemon thread of a failed check may still be unwinding
        t.join(5)
    assert [t.name for t in left if t.is_alive()] == []


# ---------------------------------------------------------------- TimeoutLock


def test_timeout_lock_is_a_lock_with_an_owner():
    lock = TimeoutLock("x", timeout=1)
    assert not lock.locked() and lock.owner is None
    with lock:
        assert lock.locked()
        assert lock.owner is threading.current_thread()
    assert not lock.locked() and lock.owner is None
    assert lock.acquire(blocking=False) is True
    assert lock.acquire(blocking=False) is False
    lock.release()
    assert "free" in repr(lock)


def test_acquire_gives_up_after_the_timeout_and_never_waits_longer():
    lock = TimeoutLock("x", timeout=0.05)
    assert lock.acquire()
    # a second acquire from this thread would wait for itself: it returns False
    assert lock.acquire() is False
    assert lock.acquire(timeout=30) is False  # capped at the lock's own timeout
    lock.release()


def test_with_raises_timeout_error_naming_waiter_lock_and_holder():
    lock = TimeoutLock("b's lock", timeout=0.05)
    holding, done = threading.Event(), threading.Event()

    def hold():
        with lock:
            holding.set()
            done.wait(5)

    holder = threading.Thread(target=hold, name="holder")
    holder.start()
    assert holding.wait(5)
    try:
        with pytest.raises(TimeoutError) as info, lock:
            pass
    finally:
        done.set()
        holder.join(5)
    message = str(info.value)
    assert message == "MainThread waited 0.05 s for b's lock, held by holder"


def test_with_names_a_thread_waiting_for_itself():
    lock = TimeoutLock("a's lock", timeout=0.05)
    with lock, pytest.raises(TimeoutError, match="held by MainThread itself"), lock:
        pass
    assert not lock.locked()


def test_release_of_a_free_lock_raises():
    with pytest.raises(RuntimeError, match="not locked"):
        TimeoutLock("x").release()


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"name": ""}, TypeError),
        ({"name": 3}, TypeError),
        ({"timeout": -1}, ValueError),
        ({"timeout": "1"}, TypeError),
    ],
)
def test_timeout_lock_validates(kwargs, error):
    with pytest.raises(error):
        TimeoutLock(**kwargs)


def test_bank_account():
    account = BankAccount("a", 50, timeout=0.5)
    assert account.balance == 50
    assert isinstance(account.lock, TimeoutLock)
    assert account.lock.name == "a's lock" and account.lock.timeout == 0.5
    assert repr(account) == "BankAccount('a', balance=50)"
    with pytest.raises(TypeError):
        BankAccount("a", 1.5)
    with pytest.raises(TypeError):
        BankAccount("")


# ---------------------------------------------------------------- stress


def ordered(src, dst, amount):
    if src is dst:
        return
    first, second = sorted((src, dst), key=lambda account: account.name)
    with first.lock, second.lock:
        src.balance -= amount
        dst.balance += amount


def test_stress_with_a_lock_order_keeps_every_balance():
    result = stress_transfers(ordered, accounts=3, threads=4, transfers=200)
    assert result.ok
    assert result.completed == result.attempted == 800
    assert result.timeouts == 0 and result.errors == ()
    assert result.money_kept
    assert result.after == result.expected
    assert result.after != result.before  # money really moved


def test_stress_is_reproducible():
    first = stress_transfers(ordered, accounts=3, threads=2, transfers=100, seed=3)
    second = stress_transfers(ordered, accounts=3, threads=2, transfers=100, seed=3)
    assert first.after == second.after


def test_stress_counts_timeouts_and_stops_at_the_first():
    blocker = threading.Lock()
    blocker.acquire()  # never released during the run: every transfer times out

    def stuck(src, dst, amount):
        with src.lock:
            if not blocker.acquire(timeout=src.lock.timeout):
                raise TimeoutError("stuck")

    try:
        result = stress_transfers(
            stuck,
            threads=2,
            transfers=50,
            lock_timeout=0.05,
            stop_at_first_timeout=True,
        )
    finally:
        blocker.release()
    assert not result.ok
    assert 1 <= result.timeouts <= 2  # each thread stops after its first
    assert result.completed == 0
    assert result.money_kept


def test_stress_reports_other_errors_and_wrong_balances():
    def broken(src, dst, amount):
        raise ValueError("oops")

    result = stress_transfers(broken, threads=2, transfers=5)
    assert not result.ok
    assert result.errors and result.errors[0] == "ValueError: oops"

    def leaky(src, dst, amount):
        with src.lock, dst.lock:
            src.balance -= amount  # the money goes nowhere

    result = stress_transfers(leaky, threads=2, transfers=20)
    assert not result.money_kept and not result.ok


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"accounts": 1}, ValueError),
        ({"threads": 0}, ValueError),
        ({"transfers": -1}, ValueError),
        ({"lock_timeout": 0}, ValueError),
        ({"seed": 1.5}, TypeError),
    ],
)
def test_stress_validates(kwargs, error):
    with pytest.raises(error):
        stress_transfers(ordered, **kwargs)
    with pytest.raises(TypeError):
        stress_transfers(None)


# ---------------------------------------------------------------- the checker


def solution(src, dst, amount):  # the notebook's collapsed solution
    if src is dst:
        return
    first, second = sorted((src, dst), key=lambda account: account.name)
    with first.lock, second.lock:
        src.balance -= amount
        dst.balance += amount


def by_id(src, dst, amount):  # another global order: accepted
    if src is dst:
        return
    first, second = sorted((src, dst), key=id)
    with first.lock, second.lock:
        src.balance -= amount
        dst.balance += amount


def argument_order(src, dst, amount):  # the exercise's template
    with src.lock, dst.lock:
        src.balance -= amount
        dst.balance += amount


def no_locks(src, dst, amount):
    src.balance -= amount
    dst.balance += amount


def one_lock(src, dst, amount):
    with src.lock:
        src.balance -= amount
        dst.balance += amount


def one_at_a_time(src, dst, amount):
    with src.lock:
        src.balance -= amount
    with dst.lock:
        dst.balance += amount


def by_balance(src, dst, amount):
    if src is dst:
        return
    first, second = sorted((src, dst), key=lambda account: account.balance)
    with first.lock, second.lock:
        src.balance -= amount
        dst.balance += amount


def ordered_but_not_self(src, dst, amount):
    first, second = sorted((src, dst), key=lambda account: account.name)
    with first.lock, second.lock:
        src.balance -= amount
        dst.balance += amount


GLOBAL = threading.Lock()


def one_global_lock(src, dst, amount):
    with GLOBAL:
        src.balance -= amount
        dst.balance += amount


def wrong_amount(src, dst, amount):
    if src is dst:
        return
    first, second = sorted((src, dst), key=lambda account: account.name)
    with first.lock, second.lock:
        src.balance -= amount
        dst.balance += 2 * amount


def test_checker_accepts_the_solution(capsys):
    assert lab.check_transfer(solution)
    out = capsys.readouterr().out
    assert out.startswith("✅ Correct:") and "1,800 transfers" in out


def test_checker_accepts_any_global_order():
    assert lab.check_transfer(by_id)


@pytest.mark.parametrize(
    ("transfer", "says"),
    [
        (argument_order, "deadlocked: each thread held one lock"),
        (by_balance, "deadlocked"),
        (no_locks, "without holding a's lock"),
        (one_lock, "without holding b's lock"),
        (one_global_lock, "without holding a's lock"),
        (one_at_a_time, "holding only one of the two locks"),
        (ordered_but_not_self, "transfer(a, a, 10) failed"),
        (wrong_amount, "expected 70 and 130"),
    ],
)
def test_checker_rejects_wrong_transfers(transfer, says, capsys):
    assert not lab.check_transfer(transfer)
    out = capsys.readouterr().out
    assert out.startswith("❌ Not yet:")
    assert says in out
    assert "sorted" not in out and "src is dst" not in out  # no solution given away


def test_checker_output_for_the_template_is_always_the_same(capsys):
    lines = set()
    for _ in range(3):
        lab.check_transfer(argument_order)
        lines.add(capsys.readouterr().out)
    assert len(lines) == 1


def test_checker_unanswered_and_errors(capsys):
    assert not lab.check_transfer(None)
    assert capsys.readouterr().out.startswith("❌ Not yet:")

    def raises(src, dst, amount):
        raise KeyError("x")

    assert not lab.check_transfer(raises)
    assert "KeyError" in capsys.readouterr().out
    with pytest.raises(TypeError):
        lab.check_transfer("transfer")
