"""Tests of conclab.processes (notebooks 01, 02's checker, 03)."""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import threading

import pytest

import conclab as lab
from conclab.core import memory as core_memory
from conclab.core import startmethods as core_startmethods
from conclab.exercises import processes as exercises_processes

METHODS = multiprocessing.get_all_start_methods()
needs_fork = pytest.mark.skipif("fork" not in METHODS, reason="no fork here")


def test_append_to_changes_the_list_in_a_thread():
    items = [1, 2]
    thread = threading.Thread(target=lab.append_to, args=(items, 3))
    thread.start()
    thread.join()
    assert items == [1, 2, 3]


@pytest.mark.parametrize("method", METHODS)
def test_child_changes_its_own_copy(method):
    items = [1, 2]
    assert lab.run_in_child(lab.append_to, items, 3, method=method) == [1, 2, 3]
    assert items == [1, 2]


@pytest.mark.parametrize("method", METHODS)
def test_module_global_seen_only_under_fork(method, monkeypatch):
    monkeypatch.setattr(core_startmethods, "SETTING", "changed in the parent")
    seen = lab.run_in_child(lab.read_setting, method=method)
    expected = "changed in the parent" if method == "fork" else "set at import"
    assert seen == expected


def test_run_in_child_reports_a_failing_child():
    with pytest.raises(ChildProcessError, match="ZeroDivisionError"):
        lab.run_in_child(divmod, 1, 0)


@needs_fork
def test_run_in_child_reports_a_child_that_dies():
    with pytest.raises(ChildProcessError, match="exit code 3"):
        lab.run_in_child(os._exit, 3, method="fork")


def test_run_in_child_validates():
    with pytest.raises(TypeError, match="func"):
        lab.run_in_child(42)
    with pytest.raises(ValueError, match="start_method"):
        lab.run_in_child(len, [], method="teleport")
    with pytest.raises(ValueError, match="timeout"):
        lab.run_in_child(len, [], timeout=0)


@pytest.mark.parametrize("method", METHODS)
def test_child_memory(method):
    row = lab.child_memory(method)
    assert row.method == method
    assert 0 < row.uss <= row.rss
    assert row.parent_rss > 0


@needs_fork
def test_forked_child_shares_most_of_its_memory():
    row = lab.child_memory("fork")
    assert row.uss < row.rss / 2


def test_child_memory_validates():
    with pytest.raises(TypeError, match="imports"):
        lab.child_memory(imports=[3])
    with pytest.raises(TypeError, match="methods"):
        lab.child_memory_per_method("fork")


def test_child_memory_per_method_and_plot():
    rows = lab.child_memory_per_method()
    assert [r.method for r in rows] == [
        m for m in ("fork", "forkserver", "spawn") if m in METHODS
    ]
    fig = lab.plot_child_memory(rows)
    assert fig.axes and fig.axes[0].get_ylabel() == "MB"
    with pytest.raises(ValueError, match="rows"):
        lab.plot_child_memory([])


def test_start_join_times():
    times = lab.start_join_times(repeat=3)
    assert len(times) == 3 and all(t > 0 for t in times)
    with pytest.raises(ValueError, match="repeat"):
        lab.start_join_times(repeat=0)


@pytest.mark.skipif("forkserver" not in METHODS, reason="no forkserver here")
def test_forkserver_first_start_in_a_fresh_interpreter():
    times = lab.forkserver_first_start(repeat=3)
    assert len(times) == 3 and all(t > 0 for t in times)


def test_start_costs_and_plot():
    costs = lab.start_costs(repeat=2)
    assert set(costs.times) == {
        m for m in ("fork", "forkserver", "spawn") if m in METHODS
    }
    assert all(v > 0 for v in costs.medians_ms().values())
    assert (costs.forkserver_first is None) == ("forkserver" not in METHODS)
    fig = lab.plot_start_costs(costs)
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels[: len(costs.times)] == list(costs.times)


@needs_fork
def test_copy_on_write_and_gc_freeze():
    result = lab.copy_on_write_demo(n=300_000)
    labels = [label for label, _, _ in core_memory.COW_CASES]
    assert list(result) == labels
    waits, iterates, collects, frozen_collect, _ = result.values()
    # generous ratios: touching objects makes memory private, freeze avoids
    # the collector's writes
    assert iterates > 4 * max(waits, 0.5)
    assert collects > 4 * max(frozen_collect, 0.5)
    fig = lab.plot_copy_on_write(result, n=300_000)
    assert fig.axes
    assert gc.isenabled()


@needs_fork
def test_fork_warning_matches_the_version():
    text = lab.fork_warning()
    if sys.version_info >= (3, 12):
        assert text is not None
        assert text.startswith("DeprecationWarning: This process (pid=N)")
        assert "multi-threaded" in text
    else:
        assert text is None


@needs_fork
# Forking with a second thread alive is the point; 3.15 makes the warning an
# error under the test suite's filterwarnings = error (3.12-3.14 only print it).
@pytest.mark.filterwarnings("ignore:This process .* multi-threaded:DeprecationWarning")
def test_a_lock_held_by_a_thread_at_fork_stays_held_in_the_child():
    lock = threading.Lock()
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with lock:
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        assert lab.run_in_child(lab.try_lock, lock, 0.2, method="fork") is False
    finally:
        release.set()
        holder.join(10)
    # free in the parent: taken, then released again
    assert lab.try_lock(lock, 0) is True and not lock.locked()
    assert lab.run_in_child(lab.try_lock, lock, 0.2, method="fork") is True


def test_try_lock_validates_its_timeout():
    with pytest.raises(ValueError, match="timeout"):
        lab.try_lock(threading.Lock(), -1)


def test_start_costs_without_the_fresh_interpreter():
    costs = lab.start_costs(["spawn"], repeat=1, fresh=False)
    assert list(costs.times) == ["spawn"] and costs.forkserver_first is None


GUARDLESS = """\
import multiprocessing

def work():
    print("child")

process = multiprocessing.get_context("spawn").Process(target=work)
process.start()
process.join()
print("exit code", process.exitcode)
"""


def test_run_script_unguarded_spawn_fails_clearly():
    result = lab.run_script(GUARDLESS, timeout=60)
    assert "exit code 1" in result.stdout
    assert result.error() == (
        "RuntimeError: An attempt has been made to start a new process before "
        "the current process has finished its bootstrapping phase."
    )
    assert "script.py" in result.stderr
    assert "/tmp" not in result.stderr


def test_run_script_guarded_spawn_works():
    guarded = (
        GUARDLESS.replace("process = ", 'if __name__ == "__main__":\n    process = ')
        .replace("\nprocess.", "\n    process.")
        .replace('\nprint("exit', '\n    print("exit')
    )
    result = lab.run_script(guarded, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["child", "exit code 0"]
    assert result.error() == ""


def test_set_start_method_twice():
    source = (
        "import multiprocessing\n"
        "multiprocessing.set_start_method('spawn')\n"
        "multiprocessing.set_start_method('spawn')\n"
    )
    result = lab.run_script(source)
    assert result.returncode == 1
    assert result.error() == "RuntimeError: context has already been set"


def test_run_script_validates():
    with pytest.raises(TypeError, match="source"):
        lab.run_script(b"print(1)")


def test_visibility_checker(capsys):
    right = dict(exercises_processes._VISIBILITY)
    assert lab.check_visibility_answers(right)
    assert "✅" in capsys.readouterr().out
    wrong = dict(right, b=True)
    assert not lab.check_visibility_answers(wrong)
    out = capsys.readouterr().out
    assert "5 of 6 right, 1 wrong" in out and "❌" in out
    assert "'b'" not in out  # naming it would hand over the answer


def test_gil_checker_normalises_case(capsys):
    right = {k: v.upper() for k, v in exercises_processes._GIL.items()}
    assert lab.check_gil_answers(right)
    assert not lab.check_gil_answers({})
    with pytest.raises(TypeError):
        lab.check_gil_answers(["threads"])


def test_start_method_checker_accepts_lists_and_sets(capsys):
    answers = {
        k: (sorted(v) if isinstance(v, frozenset) else v)
        for k, v in exercises_processes._START.items()
    }
    assert lab.check_start_method_answers(answers)
    answers["windows"] = ["spawn", "fork"]
    assert not lab.check_start_method_answers(answers)
    assert "Windows has no fork" in capsys.readouterr().out


def test_child_errors_prints_only_the_exception_line(capsys):
    ctx = multiprocessing.get_context("spawn")
    with lab.child_errors() as errors:
        process = ctx.Process(target=divmod, args=(1, 0))
        process.start()
        process.join(60)
    assert process.exitcode == 1
    assert "Traceback" in errors.text
    try:  # the message changed in 3.14 ("division by zero")
        divmod(1, 0)
    except ZeroDivisionError as exc:
        line = f"ZeroDivisionError: {exc}"
    assert errors.lines() == [line]
    out = capsys.readouterr().out
    assert out == f"a child process reported: {line}\n"


def test_child_errors_reports_also_when_the_block_raises(capsys):
    ctx = multiprocessing.get_context("spawn")
    with pytest.raises(RuntimeError, match="parent"), lab.child_errors():
        process = ctx.Process(target=divmod, args=(1, 0))
        process.start()
        process.join(60)
        raise RuntimeError("parent fails too")
    assert "ZeroDivisionError" in capsys.readouterr().out


def test_script_error_ignores_colours():
    coloured = "Traceback\n\x1b[1;35mRuntimeError\x1b[0m: \x1b[35mboom\x1b[0m\n"
    assert lab.ScriptResult(1, "", coloured).error() == "RuntimeError: boom"


@pytest.mark.parametrize(
    ("checker", "expected"),
    [
        (lab.check_visibility_answers, exercises_processes._VISIBILITY),
        (lab.check_gil_answers, exercises_processes._GIL),
        (lab.check_start_method_answers, exercises_processes._START),
    ],
)
def test_checkers_do_not_explain_unanswered_questions(checker, expected, capsys):
    placeholder = dict.fromkeys(expected)
    assert not checker(placeholder)
    out = capsys.readouterr().out
    assert " — " not in out  # no explanation gives an answer away
    assert "not answered yet: " + ", ".join(map(repr, expected)) in out
    assert "✅" not in out
    # one wrong answer among right ones: it is counted, not named or explained
    first = next(iter(expected))
    wrong = dict(expected, **{first: "nonsense"})
    assert not checker(wrong)
    out = capsys.readouterr().out
    assert f"{len(expected) - 1} of {len(expected)} right, 1 wrong" in out
    assert repr(first) not in out and " — " not in out
    assert checker(dict(expected))
