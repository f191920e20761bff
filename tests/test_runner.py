"""conclab.runner: one task list, three ways, same results, spans per task.

Runs under whatever ``CONCLAB_START_METHOD`` says (the test command leaves
it unset: each Python's default, fork, and forkserver on 3.14); a few tests
also loop over every start method this platform has.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import sys
import threading
import types

import pytest

import conclab as lab
from conclab.core import runner as core_runner

METHODS = multiprocessing.get_all_start_methods()


def test_modes():
    assert lab.MODES == ("sequential", "threads", "processes")


@pytest.mark.parametrize("mode", lab.MODES)
def test_results_in_input_order_and_identical(mode):
    inputs = [3000, 10, 2000, 500, 1000, 7]
    expected = [lab.count_primes(n) for n in inputs]
    result = lab.run(lab.count_primes, inputs, mode=mode, workers=3)
    assert result.results == expected
    assert result.mode == mode
    assert result.workers == (1 if mode == "sequential" else 3)
    assert len(result.spans) == len(inputs)
    assert [s.label for s in result.spans] == [f"#{i}" for i in range(len(inputs))]
    assert result.wall > 0
    assert result.started <= min(s.start for s in result.spans)
    assert max(s.end for s in result.spans) <= result.ended
    assert result.wall == pytest.approx(result.ended - result.started)
    assert result.task == "count_primes"


def test_start_method_recorded_for_processes_only():
    assert lab.run(lab.sleep_task, [0], "threads", 2).start_method is None
    r = lab.run(lab.sleep_task, [0], "processes", 1)
    assert r.start_method == lab.start_method()


def test_worker_names_and_pids():
    seq = lab.run(lab.sleep_task, [0] * 3)
    assert {s.worker for s in seq.spans} == {"main"}
    assert {s.pid for s in seq.spans} == {os.getpid()}

    thr = lab.run(lab.sleep_task, [0.01] * 6, "threads", 3)
    assert {s.pid for s in thr.spans} == {os.getpid()}
    names = {s.worker for s in thr.spans}
    assert names <= {"thread 1", "thread 2", "thread 3"} and "thread 1" in names

    proc = lab.run(lab.sleep_task, [0.01] * 4, "processes", 2)
    pids = {s.pid for s in proc.spans}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2
    names = {s.worker for s in proc.spans}
    assert names <= {"process 1", "process 2"}
    # the first span to start belongs to "process 1"
    first = min(proc.spans, key=lambda s: s.start)
    assert first.worker == "process 1"


@pytest.mark.parametrize("method", METHODS)
def test_processes_under_every_start_method(method):
    inputs = list(range(0, 2000, 250))
    r = lab.run(lab.count_primes, inputs, "processes", 2, start_method=method)
    assert r.results == [lab.count_primes(n) for n in inputs]
    assert r.start_method == method
    # spans recorded in the children lie inside the parent's window
    for s in r.spans:
        assert r.started <= s.start <= s.end <= r.ended


def test_partial_tasks_work_in_processes():
    task = functools.partial(lab.hash_bytes, chunk=64)
    r = lab.run(task, [1000, 5000], "processes", 2)
    assert r.results == [lab.hash_bytes(1000), lab.hash_bytes(5000)]
    assert r.task == "hash_bytes(chunk=64)"


def test_sweep_runs_sequential_once():
    results = lab.sweep(lab.count_primes, [2000] * 4, workers=(1, 2))
    assert [(r.mode, r.workers) for r in results] == [
        ("sequential", 1),
        ("threads", 1),
        ("threads", 2),
        ("processes", 1),
        ("processes", 2),
    ]
    assert all(r.results == results[0].results for r in results)
    assert [r.label for r in results] == [
        "sequential",
        "1 thread",
        "2 threads",
        "1 process",
        "2 processes",
    ]


def test_sweep_warms_up_once_untimed_before_the_baseline():
    calls = []

    def task(x):
        calls.append(x)
        return x

    results = lab.sweep(task, [7, 8], workers=(2,), modes=("sequential", "threads"))
    assert calls[0] == 7 and len(calls) == 1 + 2 * 2  # warm-up, then two runs
    assert [r.results for r in results] == [[7, 8], [7, 8]]


def test_sweep_subset_and_validation():
    results = lab.sweep(lab.sleep_task, [0, 0], workers=[3], modes=["threads"])
    assert [(r.mode, r.workers) for r in results] == [("threads", 3)]
    with pytest.raises(ValueError, match="modes must be one of"):
        lab.sweep(lab.sleep_task, [0], modes=["gpu"])
    with pytest.raises(ValueError, match="workers"):
        lab.sweep(lab.sleep_task, [0], workers=[0])
    with pytest.raises(ValueError, match="modes"):
        lab.sweep(lab.sleep_task, [0], modes=[])


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize("workers", [0, -1])
def test_workers_must_be_at_least_one(workers):
    with pytest.raises(ValueError, match="workers must be an int >= 1"):
        lab.run(lab.sleep_task, [0], "threads", workers)


@pytest.mark.parametrize("workers", [1.5, "2", True, None])
def test_workers_must_be_an_int(workers):
    with pytest.raises(TypeError, match="workers must be an int"):
        lab.run(lab.sleep_task, [0], "threads", workers)


def test_unknown_mode_lists_the_valid_ones():
    with pytest.raises(ValueError) as info:
        lab.run(lab.sleep_task, [0], mode="thread")
    message = str(info.value)
    assert "mode must be one of" in message
    for mode in lab.MODES:
        assert repr(mode) in message


def test_unknown_start_method_lists_the_valid_ones():
    with pytest.raises(ValueError) as info:
        lab.run(lab.sleep_task, [0], "processes", 1, start_method="clone")
    assert "start_method" in str(info.value)
    for method in METHODS:
        assert repr(method) in str(info.value)
    with pytest.raises(ValueError, match="start_method"):
        lab.run(lab.sleep_task, [0], "threads", 1, start_method="clone")


def test_task_and_inputs_validated():
    with pytest.raises(TypeError, match="task must be callable"):
        lab.run(42, [1])
    with pytest.raises(TypeError, match="inputs must be a sequence"):
        lab.run(lab.sleep_task, iter([0]))
    with pytest.raises(TypeError, match="inputs must be a sequence"):
        lab.run(lab.sleep_task, "abc")


def _in_main(source_name: str = "square"):
    """A function whose __module__ is __main__, like one defined in a notebook."""
    namespace = {"__name__": "__main__"}
    exec(f"def {source_name}(x):\n    return x * x\n", namespace)
    return namespace[source_name]


@pytest.mark.parametrize("method", [m for m in METHODS if m != "fork"])
def test_task_defined_in_main_gets_advice(method):
    task = _in_main()
    assert task.__module__ == "__main__"
    with pytest.raises(ValueError) as info:
        lab.run(task, [1, 2], "processes", 2, start_method=method)
    message = str(info.value)
    assert "defined in __main__" in message
    assert "move it to a module" in message
    assert repr(method) in message


@pytest.mark.parametrize("method", [m for m in METHODS if m != "fork"])
def test_notebook_main_gets_advice(method, monkeypatch):
    """Like ipykernel: __main__ holds the function but has no __file__ that a
    spawned child could re-run."""
    fake_main = types.ModuleType("__main__")
    exec("def square(x):\n    return x * x\n", fake_main.__dict__)
    monkeypatch.setitem(sys.modules, "__main__", fake_main)
    with pytest.raises(ValueError, match="move it to a module"):
        lab.run(fake_main.square, [1], "processes", 1, start_method=method)


def test_script_main_works_under_spawn(tmp_path):
    """A script with the __main__ guard is fine: spawn re-runs the file."""
    script = tmp_path / "script.py"
    script.write_text(
        "import conclab as lab\n"
        "def square(x):\n"
        "    return x * x\n"
        "if __name__ == '__main__':\n"
        "    r = lab.run(square, [1, 2, 3], 'processes', 2, start_method='spawn')\n"
        "    print(r.results)\n"
    )
    import subprocess

    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[1, 4, 9]"


def test_task_defined_in_main_is_fine_for_threads():
    assert lab.run(_in_main(), [1, 2, 3], "threads", 2).results == [1, 4, 9]


def test_lambda_and_nested_functions_are_refused_for_processes():
    def nested(x):
        return x

    for task in (lambda x: x, nested):
        with pytest.raises(ValueError, match="top level of a module"):
            lab.run(task, [1], "processes", 1)
        assert lab.run(task, [1], "threads", 1).results == [1]


def test_unpicklable_task_is_a_clear_type_error():
    module = types.ModuleType("conclab_fake_module")
    exec("def f(x):\n    return x\n", module.__dict__)
    with pytest.raises(TypeError, match="cannot be pickled"):
        lab.run(module.f, [1], "processes", 1)


# ------------------------------------------------------------ errors, cleanup


def _live_pool_threads():
    return [
        t
        for t in threading.enumerate()
        if t.name.startswith("conclab_") or "ThreadPoolExecutor" in t.name
    ]


@pytest.mark.parametrize("mode", lab.MODES)
def test_task_error_propagates_and_pool_closes(mode):
    with pytest.raises(ValueError, match="n must be an int >= 0"):
        lab.run(lab.count_primes, [10, -5, 10], mode, 2)
    assert not _live_pool_threads()


def test_keyboard_interrupt_cancels_and_closes(monkeypatch):
    """Ctrl-C while waiting: pending tasks dropped, pool shut down, re-raised.

    Repeated for processes: on 3.10/3.11 cancelling futures and then stopping
    the workers made the pool's manager thread raise InvalidStateError
    (gh-94777) about once in 30 runs; pytest reports such a thread error.
    """
    from concurrent.futures import Future

    calls = {"n": 0}
    real_result = Future.result
    hooked: list[str] = []
    monkeypatch.setattr(
        threading, "excepthook", lambda args: hooked.append(repr(args.exc_value))
    )

    def interrupted(self, timeout=None):
        calls["n"] += 1
        raise KeyboardInterrupt

    rounds = ["threads"] + ["processes"] * 8
    for mode in rounds:
        monkeypatch.setattr(Future, "result", interrupted)
        with pytest.raises(KeyboardInterrupt):
            lab.run(lab.sleep_task, [0.2] * 20, mode, 2)
        monkeypatch.setattr(Future, "result", real_result)
        assert not _live_pool_threads()
        assert multiprocessing.active_children() == []
    assert calls["n"] == len(rounds)
    assert hooked == []


def test_stop_processes_terminates_workers():
    """_stop_processes kills a pool's busy workers (used on KeyboardInterrupt)."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    pool = ProcessPoolExecutor(1, mp_context=lab.mp_context())
    try:
        assert pool.submit(lab.sleep_task, 0).result(timeout=60) == 0  # worker up
        future = pool.submit(lab.sleep_task, 30)
        core_runner._stop_processes(pool)
        with pytest.raises(BrokenProcessPool):
            future.result(timeout=60)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def test_repr_is_short():
    r = lab.run(lab.sleep_task, [0], "threads", 2)
    assert repr(r).startswith("RunResult(mode='threads', workers=2, tasks=1, wall=")
    assert r.busy == sum(s.duration for s in r.spans)
    assert 0 < r.busy <= r.wall  # the task ran inside the parent's window


def test_no_state_left_in_sys_modules_main():
    # the __main__ probe must not leak into the real __main__ module
    assert not hasattr(sys.modules["__main__"], "square")
