"""Tests of conclab.exercises.primitives: the stop-flag checker and the quiz
of notebook 10. Each checker gets the collapsed solution (must pass) and the
wrong answers students write (must fail, with a hint that does not hand over
the solution). The checker ends workers that would not stop, so no thread
is left behind."""

from __future__ import annotations

import threading
import time

import pytest

import conclab as lab
from conclab.exercises.primitives import _QUIZ, PRIMITIVES


@pytest.fixture(autouse=True)
def no_thread_left():
    before = set(threading.enumerate())
    yield
    assert [t.name for t in threading.enumerate() if t not in before] == []


# ---------------------------------------------------------------- workers


def solution(stop, step, interval):  # the notebook's collapsed solution
    while not stop.wait(interval):
        step()


def also_right(stop, step, interval):  # the other form the solution names
    while not stop.is_set():
        step()
        stop.wait(interval)


def template(stop, step, interval):  # the exercise's starting point
    while not stop.is_set():
        step()
        time.sleep(interval)


def check_then_sleep(stop, step, interval):
    while True:
        step()
        if stop.is_set():
            break
        time.sleep(interval)


def busy_wait(stop, step, interval):
    next_step = time.monotonic()
    while not stop.is_set():
        if time.monotonic() >= next_step:
            step()
            next_step += interval


def polls_fast(stop, step, interval):
    next_step = time.monotonic()
    while not stop.wait(0.001):
        if time.monotonic() >= next_step:
            step()
            next_step += interval


def ignores_the_flag(stop, step, interval):
    while True:
        step()
        stop.wait(interval)


def no_pause(stop, step, interval):
    while not stop.is_set():
        step()


def only_once(stop, step, interval):
    step()


def test_the_solutions_pass(capsys):
    assert lab.check_stop_worker(solution)
    assert lab.check_stop_worker(also_right)
    assert capsys.readouterr().out.count("✅ Correct:") == 2


@pytest.mark.parametrize(
    ("worker", "says"),
    [
        (template, "slept through stop.set()"),
        (check_then_sleep, "after stop was set"),
        (busy_wait, "busy-waiting"),
        (polls_fast, "busy-waiting"),
        (ignores_the_flag, "after stop was set"),
        (no_pause, "far more often"),
        (only_once, "only once"),
    ],
)
def test_wrong_workers_fail(worker, says, capsys):
    assert not lab.check_stop_worker(worker)
    out = capsys.readouterr().out
    assert out.startswith("❌ Not yet:") and says in out
    assert "stop.wait(interval)" not in out  # the hint does not give it away


def test_a_worker_that_never_steps_nor_stops_is_ended(capsys):
    def stuck(stop, step, interval):
        while True:
            stop.wait(interval)

    assert not lab.check_stop_worker(stuck, interval=0.1)
    assert "never called" in capsys.readouterr().out


def test_a_worker_that_raises(capsys):
    def raises(stop, step, interval):
        raise ValueError("nope")

    assert not lab.check_stop_worker(raises)
    assert "ValueError: nope" in capsys.readouterr().out


def test_unanswered_and_bad_arguments(capsys):
    assert not lab.check_stop_worker(None)
    assert capsys.readouterr().out.startswith("❌ Not yet:")
    with pytest.raises(TypeError):
        lab.check_stop_worker("worker")
    with pytest.raises(ValueError):
        lab.check_stop_worker(solution, interval=0)


def test_the_templates_verdict_line_never_changes(capsys):
    for _ in range(2):
        lab.check_stop_worker(template)
    first, second = capsys.readouterr().out.splitlines()
    assert first == second


# ---------------------------------------------------------------- quiz


def test_quiz_solution_passes(capsys):
    assert lab.check_primitive_quiz(dict(_QUIZ))
    assert "all 7 right" in capsys.readouterr().out


def test_quiz_template_is_not_yet(capsys):
    assert not lab.check_primitive_quiz(dict.fromkeys(_QUIZ))
    out = capsys.readouterr().out
    assert "7 of 7 not answered yet" in out and "✅" not in out


def test_quiz_wrong_answers_fail_without_giving_them_away(capsys):
    answers = dict(_QUIZ)
    key = "at most 4 downloads at once; an extra release() is a bug to catch"
    answers[key] = "Semaphore"
    answers["a method holding the lock calls another method that takes it"] = "Lock"
    assert not lab.check_primitive_quiz(answers)
    out = capsys.readouterr().out
    assert "5 of 7 right" in out
    assert "BoundedSemaphore" not in out and "RLock" not in out


def test_quiz_names_an_unknown_choice(capsys):
    answers = dict(_QUIZ)
    answers["two threads each need the same two locks"] = "Mutex"
    assert not lab.check_primitive_quiz(answers)
    out = capsys.readouterr().out
    assert "'Mutex' is not one of" in out
    assert set(_QUIZ.values()) <= set(PRIMITIVES)
    with pytest.raises(TypeError):
        lab.check_primitive_quiz(["Event"])
