"""Tests of conclab.exercises.nogil: each checker passes the notebook's
solution and rejects plausible wrong answers, with a hint that does not give
the answer away."""

from __future__ import annotations

import threading

import pytest

from conclab.exercises import nogil as ex

SPEEDUP_SOLUTION = {
    "3.13": "same",
    "3.13t": "faster",
    "3.13t PYTHON_GIL=1": "same",
    "3.13t after importing tiny": "same",
    "3.13t, 1 core free": "same",
    "3.14 processes": "faster",
    "3.14 InterpreterPoolExecutor": "faster",
    "3.14t": "faster",
}
SAFETY_SOLUTION = {
    "shared.append(x)": "safe",
    "d[key] = value": "safe",
    "d[key] += 1": "unsafe",
    "x = shared.pop()": "safe",
    "if shared: shared.pop()": "unsafe",
    "for x in one_shared_iterator": "unsafe",
    "count += 1 on a global": "unsafe",
    "with lock: d[key] += 1": "safe",
}


def test_speedup_solution_passes(capsys):
    assert ex.check_speedup_predictions(SPEEDUP_SOLUTION)
    assert "Correct" in capsys.readouterr().out
    shouty = {k: v.upper() + " " for k, v in SPEEDUP_SOLUTION.items()}
    assert ex.check_speedup_predictions(shouty)


@pytest.mark.parametrize(
    ("wrong", "why"),
    [
        ({"3.13t PYTHON_GIL=1": "faster"}, "GIL switched back on"),
        ({"3.13t after importing tiny": "faster"}, "turns the GIL back on"),
        ({"3.14 InterpreterPoolExecutor": "same"}, "its own GIL"),
        ({"3.13": "faster", "3.13t, 1 core free": "faster"}, "one GIL"),
    ],
)
def test_speedup_wrong_answers_fail(capsys, wrong, why):
    assert not ex.check_speedup_predictions({**SPEEDUP_SOLUTION, **wrong})
    out = capsys.readouterr().out
    assert "Not yet" in out and "wrong" in out
    assert why not in out  # the explanation would hand over the answer


def test_speedup_template_says_not_yet(capsys):
    template = dict.fromkeys(SPEEDUP_SOLUTION)
    assert not ex.check_speedup_predictions(template)
    out = capsys.readouterr().out
    assert "not answered yet" in out and "Correct" not in out
    for why in ex._SPEEDUP_WHY.values():  # no explanation for a blank answer
        assert why not in out


def test_safety_solution_passes_and_wrong_ones_fail(capsys):
    assert ex.check_thread_safety_answers(SAFETY_SOLUTION)
    for key, flipped in (("d[key] += 1", "safe"), ("shared.append(x)", "unsafe")):
        assert not ex.check_thread_safety_answers({**SAFETY_SOLUTION, key: flipped})
    everything_unsafe = dict.fromkeys(SAFETY_SOLUTION, "unsafe")
    assert not ex.check_thread_safety_answers(everything_unsafe)
    assert "Not yet" in capsys.readouterr().out
    assert not ex.check_thread_safety_answers(dict.fromkeys(SAFETY_SOLUTION))


# -- the tally ------------------------------------------------------------------


def add_solution(table, key, lock):
    with lock:
        table[key] += 1


def add_solution_explicit(table, key, lock):
    lock.acquire()
    try:
        table[key] = table[key] + 1
    finally:
        lock.release()


def add_no_lock(table, key, lock):
    table[key] += 1


def add_lock_around_the_write(table, key, lock):
    seen = table[key]
    with lock:
        table[key] = seen + 1


def add_lock_around_the_read(table, key, lock):
    with lock:
        seen = table[key]
    table[key] = seen + 1


def add_new_lock_each_time(table, key, lock):
    with threading.Lock():
        table[key] += 1


def add_twice(table, key, lock):
    with lock:
        table[key] += 2


def test_tally_solutions_pass(capsys):
    assert ex.check_tally(add_solution)
    assert ex.check_tally(add_solution_explicit)
    assert "Correct" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("wrong", "says"),
    [
        (add_no_lock, "reads of the table without the lock"),
        (add_lock_around_the_write, "reads of the table without the lock"),
        (add_lock_around_the_read, "writes to the table without the lock"),
        (add_new_lock_each_time, "without the lock"),
        (add_twice, "add up to 1600, not 800"),
    ],
)
def test_tally_wrong_solutions_fail(capsys, wrong, says):
    assert not ex.check_tally(wrong)
    out = capsys.readouterr().out
    assert "Not yet" in out and says in out
    assert "with lock" not in out  # the hint names the problem, not the code


def test_tally_template_and_errors(capsys):
    assert not ex.check_tally(None)
    assert "not answered yet" in capsys.readouterr().out

    def broken(table, key, lock):
        raise KeyError(key)

    assert not ex.check_tally(broken)
    assert "KeyError" in capsys.readouterr().out
    with pytest.raises(TypeError, match="add must be callable"):
        ex.check_tally(42)


def test_tally_leaves_no_thread_behind():
    before = threading.active_count()
    ex.check_tally(add_solution)
    assert threading.active_count() == before
