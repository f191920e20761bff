"""Tests of the library behind 09_executors_and_pools.ipynb: the pool workers
(conclab.core.pools), their plots (conclab.viz.pools), the chunksize panel
(conclab.ui.pools) and the exercise checkers (conclab.exercises.pools).

Worker functions run in real pools under every start method. No sleep is used
to synchronise: futures, timeouts and the pools' own shutdown order things.
Every test leaves no child process and no thread behind.
"""

from __future__ import annotations

import functools
import multiprocessing
import threading
import time
from concurrent.futures import (
    FIRST_EXCEPTION,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    as_completed,
    wait,
)
from concurrent.futures.process import BrokenProcessPool

import ipywidgets as widgets
import pytest
from matplotlib.figure import Figure

import conclab as lab
from conclab.core import children as ipc
from conclab.core import pools
from conclab.ui import pools as ui

METHODS = multiprocessing.get_all_start_methods()
LONG = 60  # an upper bound on a wait that is never reached when the code is right

pytestmark = pytest.mark.filterwarnings(
    "ignore:The `ipykernel.comm.Comm` class has been deprecated:DeprecationWarning"
)


@pytest.fixture(autouse=True)
def nothing_left_behind():
    """No child process and no thread started by a test survives it."""
    before = set(threading.enumerate())
    yield
    assert pools.threads_left(before, timeout=10) == []
    assert ipc.leftover_children() == []


@pytest.fixture(params=METHODS)
def ctx(request):
    return multiprocessing.get_context(request.param)


# ------------------------------------------------------------------ workers


def test_slow_square_squares_and_refuses_negative_numbers():
    assert pools.slow_square(7) == 49
    assert pools.slow_square(0, 0.0) == 0
    with pytest.raises(ValueError, match="negative input: -3"):
        pools.slow_square(-3)
    with pytest.raises(TypeError, match="x must be an int"):
        pools.slow_square(1.5)
    with pytest.raises(ValueError, match="seconds"):
        pools.slow_square(1, 61)


def test_plus_one_with_and_without_work():
    assert pools.plus_one(1) == 2
    assert pools.plus_one(41, work=1000) == 42
    with pytest.raises(ValueError, match="work"):
        pools.plus_one(1, work=-1)


def test_exceptions_travel_back_from_a_process_pool(ctx):
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        error = pool.submit(pools.slow_square, -2).exception(timeout=LONG)
        assert isinstance(error, ValueError)
        assert "negative input: -2" in str(error.__cause__)  # the worker's traceback
        assert pool.submit(pools.slow_square, 3).result(timeout=LONG) == 9


def test_initializer_runs_once_per_worker(ctx):
    with ProcessPoolExecutor(
        max_workers=2,
        mp_context=ctx,
        initializer=pools.init_worker,
        initargs=("v1",),
    ) as pool:
        reports = list(pool.map(pools.worker_state, range(6), timeout=LONG))
    assert [r["x"] for r in reports] == list(range(6))
    assert {r["label"] for r in reports} == {"v1"}
    assert {r["inits"] for r in reports} == {1}
    per_pid: dict[int, list[int]] = {}
    for r in reports:
        per_pid.setdefault(r["pid"], []).append(r["task_number"])
    assert 1 <= len(per_pid) <= 2
    for numbers in per_pid.values():  # each worker counts its own tasks
        assert sorted(numbers) == list(range(1, len(numbers) + 1))


def test_init_worker_validates():
    with pytest.raises(TypeError, match="label must be a str"):
        pools.init_worker(3)


@pytest.mark.parametrize("method", [m for m in METHODS if m != "fork"])
def test_max_tasks_per_child_gives_fresh_processes(method):
    ctx = multiprocessing.get_context(method)
    with ProcessPoolExecutor(
        max_workers=2, mp_context=ctx, max_tasks_per_child=1
    ) as pool:
        pids = list(pool.map(pools.worker_pid, range(4), timeout=LONG))
    assert len(set(pids)) == 4


@pytest.mark.skipif("fork" not in METHODS, reason="no fork on this platform")
def test_max_tasks_per_child_refuses_fork():
    with pytest.raises(ValueError, match="incompatible with the 'fork'"):
        ProcessPoolExecutor(
            2, mp_context=multiprocessing.get_context("fork"), max_tasks_per_child=1
        )


def test_die_if_breaks_a_process_pool(ctx):
    with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
        assert pool.submit(pools.die_if, 1, 3).result(timeout=LONG) == 1
        crash = pool.submit(pools.die_if, 3, 3, 0.2)  # dies once all are queued
        others = [pool.submit(pools.slow_square, x, 0.5) for x in range(3)]
        wait([crash, *others], timeout=LONG)
        assert isinstance(crash.exception(), BrokenProcessPool)
        assert all(isinstance(f.exception(), BrokenProcessPool) for f in others)
        with pytest.raises(BrokenProcessPool):
            pool.submit(pools.plus_one, 1)


def test_a_queue_cannot_be_a_task_argument_but_initargs_and_managers_work(ctx):
    queue = ctx.Queue()
    try:
        with ctx.Pool(1) as pool, pytest.raises(RuntimeError, match="inheritance"):
            pool.map(functools.partial(pools.put_on, queue), range(3))
        with ProcessPoolExecutor(
            max_workers=2,
            mp_context=ctx,
            initializer=pools.init_queue,
            initargs=(queue,),
        ) as pool:
            sent = list(pool.map(pools.put_result, range(4), timeout=LONG))
        assert sent == [0, 1, 2, 3]
        assert sorted(queue.get(timeout=LONG) for _ in sent) == [0, 1, 4, 9]
    finally:
        queue.close()
        queue.join_thread()
    with ctx.Manager() as manager:
        proxy = manager.Queue()
        with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
            sent = list(pool.map(pools.put_on, [proxy] * 3, range(3), timeout=LONG))
        assert sorted(proxy.get(timeout=LONG) for _ in sent) == [0, 1, 4]


def test_put_result_without_initializer_says_what_to_do():
    with pytest.raises(RuntimeError, match="initializer=init_queue"):
        pools.put_result(1)


def test_threads_left_sees_running_threads_and_waits_for_ending_ones():
    before = set(threading.enumerate())
    stop = threading.Event()
    stuck = threading.Thread(target=stop.wait, args=(LONG,), name="stuck-one")
    stuck.start()
    try:
        assert pools.threads_left(before, timeout=0) == ["stuck-one"]
        assert pools.threads_left(before | {stuck}, timeout=0) == []
    finally:
        stop.set()
        stuck.join(LONG)
    go = threading.Event()
    ending = threading.Thread(target=go.wait, args=(LONG,), name="ending-one")
    ending.start()
    go.set()
    assert pools.threads_left(before, timeout=LONG) == []  # joined, not reported


def test_threads_left_ignores_the_kernels_own_threads():
    """pyzmq starts a thread when a kernel first sends a big message (a plot)."""
    before = set(threading.enumerate())
    stop = threading.Event()

    def target():
        stop.wait(LONG)

    target.__module__ = "zmq.utils.garbage"
    kernel_thread = threading.Thread(target=target, name="zmq-like")
    kernel_thread.start()
    try:
        assert pools.threads_left(before, timeout=0) == []
    finally:
        stop.set()
        kernel_thread.join(LONG)


def test_threads_left_validates():
    with pytest.raises(ValueError, match="timeout"):
        pools.threads_left([], timeout=-1)


# -------------------------------------------------------------------- plots


def rows(process_costs=(200e-6, 60e-6, 10e-6, 3e-6, 2e-6)):
    sizes = ui.CHUNKSIZES
    out = [
        {"pool": "plain loop", "chunksize": 1, "per_task": 0.5e-6},
        {"pool": "ThreadPoolExecutor", "chunksize": 1, "per_task": 10e-6},
    ]
    out += [
        {"pool": "ProcessPoolExecutor", "chunksize": c, "per_task": s}
        for c, s in zip(sizes, process_costs, strict=True)
    ]
    out += [
        {"pool": "multiprocessing.Pool", "chunksize": c, "per_task": s / 5}
        for c, s in zip(sizes, process_costs, strict=True)
    ]
    out.append(
        {
            "pool": "multiprocessing.Pool",
            "chunksize": 125,
            "per_task": 1e-6,
            "default": True,
        }
    )
    return out


def test_plot_chunksizes_draws_lines_references_and_the_default():
    fig = lab.plot_chunksizes(rows(), title="t")
    assert isinstance(fig, Figure)
    ax = fig.get_axes()[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert "ProcessPoolExecutor.map" in labels
    assert "multiprocessing.Pool.map" in labels
    assert "plain loop (no chunks)" in labels
    assert "ThreadPoolExecutor (no chunks)" in labels
    assert "multiprocessing.Pool.map default (chunksize 125)" in labels
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    line = next(x for x in ax.get_lines() if x.get_label() == "ProcessPoolExecutor.map")
    assert list(line.get_xdata()) == list(ui.CHUNKSIZES)
    assert line.get_ydata()[0] == pytest.approx(200)  # µs
    assert lab.figure_png(fig).startswith(b"\x89PNG")


@pytest.mark.parametrize(
    "bad, error, words",
    [
        ("rows", TypeError, "list of dicts"),
        ([], ValueError, "empty"),
        ([1], TypeError, "must be a dict"),
        ([{"pool": "plain loop"}], ValueError, "lacks chunksize, per_task"),
        (
            [{"pool": "dask", "chunksize": 1, "per_task": 1.0}],
            ValueError,
            "must be one of",
        ),
        (
            [{"pool": "plain loop", "chunksize": 0, "per_task": 1.0}],
            ValueError,
            "chunksize",
        ),
        (
            [{"pool": "plain loop", "chunksize": 1, "per_task": 0}],
            ValueError,
            "per_task",
        ),
    ],
)
def test_chunk_rows_are_validated(bad, error, words):
    with pytest.raises(error, match=words):
        lab.plot_chunksizes(bad)


def test_plot_pool_sizes_two_speedup_plots():
    fig = lab.plot_pool_sizes(
        {1: 1.0, 2: 0.55, 4: 0.6}, {1: 0.64, 2: 0.33, 32: 0.04}, cores=2
    )
    left, right = fig.get_axes()
    assert "process pool" in left.get_title()
    assert "thread pool" in right.get_title()
    ideal = next(x for x in right.get_lines() if x.get_label().startswith("ideal"))
    assert max(ideal.get_ydata()) == 32  # waiting: the ideal is the workers
    threads = next(x for x in right.get_lines() if x.get_label() == "threads")
    assert threads.get_ydata()[-1] == pytest.approx(16)
    assert "one worker (1×)" in [x.get_label() for x in left.get_lines()]


def test_plot_pool_sizes_validates():
    with pytest.raises(ValueError, match="1-worker pool"):
        lab.plot_pool_sizes({2: 1.0}, {1: 1.0})
    with pytest.raises(TypeError, match="non-empty dict"):
        lab.plot_pool_sizes({}, {1: 1.0})
    with pytest.raises(ValueError, match=r"io\[2\]"):
        lab.plot_pool_sizes({1: 1.0}, {1: 1.0, 2: -1})


# -------------------------------------------------------------------- panel


class FakeMeasure:
    """Stands in for the notebook's time_chunksizes; records its calls."""

    def __init__(self):
        self.calls = []

    def __call__(self, tasks, work, workers, chunksizes):
        self.calls.append({"tasks": tasks, "work": work, "workers": workers})
        scale = 1 + work / 1000 + workers
        return [
            {**r, "per_task": r["per_task"] * scale}
            for r in rows()
            if r["chunksize"] in chunksizes or r["pool"] == "multiprocessing.Pool"
        ]


def test_panel_measures_once_with_its_defaults_then_on_run():
    measure = FakeMeasure()
    panel = lab.chunksize_panel(measure)
    assert measure.calls == [{"tasks": 1000, "work": 0, "workers": 2}]
    assert panel.png.startswith(b"\x89PNG")
    assert panel.experiment.settings == {"workers": 2, "tasks": 1000, "work": 0}
    first = panel.png
    assert isinstance(panel.controls["workers"], widgets.IntSlider)
    assert next(iter(panel.controls)) == "workers"  # the slider a browser test moves
    panel.controls["workers"].value = 3
    panel.controls["work"].value = 1000
    assert len(measure.calls) == 1  # changing a setting measures nothing
    panel.run_button.click()
    assert measure.calls[-1] == {"tasks": 1000, "work": 1000, "workers": 3}
    assert panel.png != first
    assert "Chunksize panel: workers=3, tasks=1000, work=1000" in panel._summary()
    panel.close()


def test_panel_starting_values_and_per_task_lookup():
    measure = FakeMeasure()
    panel = lab.chunksize_panel(measure, workers=1, tasks=500, work=100)
    assert measure.calls == [{"tasks": 500, "work": 100, "workers": 1}]
    cost = panel.experiment.per_task
    scale = 1 + 0.1 + 1
    assert cost("ProcessPoolExecutor", 1) == pytest.approx(200e-6 * scale)
    assert cost("multiprocessing.Pool") == pytest.approx(1e-6 * scale)  # default
    assert cost("plain loop") == pytest.approx(0.5e-6 * scale)
    with pytest.raises(ValueError, match="not measured at chunksize 3"):
        cost("ProcessPoolExecutor", 3)
    with pytest.raises(ValueError, match="pool must be one of"):
        cost("dask")
    panel.close()


def test_experiment_validates():
    with pytest.raises(TypeError, match="measure"):
        ui.ChunksizeExperiment("not callable")
    with pytest.raises(ValueError, match="increasing"):
        ui.ChunksizeExperiment(FakeMeasure(), chunksizes=(4, 1))
    with pytest.raises(ValueError, match="at least one"):
        ui.ChunksizeExperiment(FakeMeasure(), chunksizes=())
    experiment = ui.ChunksizeExperiment(FakeMeasure())
    with pytest.raises(ValueError, match="nothing measured yet"):
        experiment.per_task("plain loop")
    with pytest.raises(ValueError, match="workers"):
        experiment.run(workers=0)
    with pytest.raises(ValueError, match="tasks must be one of"):
        lab.chunksize_panel(FakeMeasure(), tasks=3)
    with pytest.raises(ValueError, match="rows must not be empty"):
        ui.ChunksizeExperiment(lambda **kw: []).run()


def test_panel_shows_a_failing_measurement_in_its_status(capsys):
    measure = FakeMeasure()
    panel = lab.chunksize_panel(measure)

    def broken(**kwargs):
        raise RuntimeError("the pool broke")

    panel.experiment.measure = broken
    panel.run_button.click()
    assert "the pool broke" in panel.status.value
    assert isinstance(panel.error, RuntimeError)
    assert "the pool broke" in capsys.readouterr().err
    panel.close()


def real_measure(tasks, work, workers, chunksizes):
    """A small real measurement, the shape of the notebook's."""
    task = functools.partial(lab.plus_one, work=work)
    inputs = list(range(tasks))
    out = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=lab.mp_context()) as pool:
        for size in chunksizes:
            start = time.perf_counter()
            assert list(pool.map(task, inputs, chunksize=size)) == [
                x + 1 for x in inputs
            ]
            seconds = (time.perf_counter() - start) / tasks
            out.append(
                {"pool": "ProcessPoolExecutor", "chunksize": size, "per_task": seconds}
            )
    return out


def test_panel_with_a_real_process_pool():
    panel = ui.chunksize_panel(real_measure, workers=1, tasks=250)
    assert [r["chunksize"] for r in panel.experiment.last] == list(ui.CHUNKSIZES)
    assert all(r["per_task"] > 0 for r in panel.experiment.last)
    panel.close()


# ------------------------------------------------------------ exercise 1


def collect_solution(task, inputs):
    results = {}
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {pool.submit(task, x): x for x in inputs}
        for future in as_completed(futures, timeout=LONG):
            error = future.exception()
            results[futures[future]] = error if error is not None else future.result()
    return results


def collect_template(task, inputs):  # the notebook's starting point
    results = {}
    with ThreadPoolExecutor(max_workers=4) as pool:
        for x in inputs:
            results[x] = pool.submit(task, x)
    return results


def collect_with_map(task, inputs):
    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(inputs, pool.map(task, inputs), strict=True))


def collect_one_at_a_time(task, inputs):
    results = {}
    for x in inputs:
        try:
            results[x] = task(x)
        except Exception as error:
            results[x] = error
    return results


def collect_submit_then_wait_each(task, inputs):
    results = {}
    with ThreadPoolExecutor(max_workers=4) as pool:
        for x in inputs:
            future = pool.submit(task, x)
            error = future.exception()
            results[x] = error if error is not None else future.result()
    return results


def collect_text_of_errors(task, inputs):
    results = {}
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {pool.submit(task, x): x for x in inputs}
        for future in as_completed(futures):
            try:
                results[futures[future]] = future.result()
            except Exception as error:
                results[futures[future]] = str(error)
    return results


def collect_in_finishing_order(task, inputs):
    results = {}
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(task, x) for x in inputs]
        for x, future in zip(
            sorted(inputs), as_completed(futures, timeout=LONG), strict=True
        ):
            error = future.exception()
            results[x] = error if error is not None else future.result()
    return results


def collect_pool_left_running(task, inputs):
    pool = ThreadPoolExecutor(max_workers=4)
    futures = {pool.submit(task, x): x for x in inputs}
    done = next(as_completed(futures, timeout=LONG))
    results = {x: None for x in inputs}
    results[futures[done]] = done.result() if done.exception() is None else None
    pool.shutdown(wait=False)
    collect_pool_left_running.pool = pool  # keep it alive while the checker looks
    return results


def test_collect_solution_passes(capsys):
    for seed in range(3):
        assert lab.check_collect(collect_solution, seed=seed)
    assert capsys.readouterr().out.count("✅ Correct") == 3


def test_collect_none_is_not_yet(capsys):
    assert not lab.check_collect(None)
    assert "❌ Not yet: write collect(task, inputs) first" in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, words",
    [
        (collect_template, "the values are futures"),
        (collect_with_map, "collect raised ValueError"),
        (collect_one_at_a_time, "one at a time"),
        (collect_submit_then_wait_each, "one at a time"),
        (collect_text_of_errors, "holds a string"),
        (collect_in_finishing_order, "keep track of which future belongs"),
    ],
)
def test_collect_wrong_solutions_fail(wrong, words, capsys):
    assert not lab.check_collect(wrong, seed=1)
    out = capsys.readouterr().out
    assert "❌ Not yet" in out and words in out
    assert "as_completed" not in out and "exception()" not in out  # no give-away


def test_collect_pool_left_running_fails(capsys):
    try:
        assert not lab.check_collect(collect_pool_left_running, seed=2)
        assert "still running after collect returned" in capsys.readouterr().out
    finally:
        collect_pool_left_running.pool.shutdown(wait=True)


# ------------------------------------------------------------ exercise 2


def run_until_error_solution(task, inputs, workers=4):
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(task, x) for x in inputs]
        done, _ = wait(futures, timeout=LONG, return_when=FIRST_EXCEPTION)
        failed = [f for f in futures if f in done and f.exception() is not None]
        if failed:
            pool.shutdown(cancel_futures=True)
            raise failed[0].exception()
        return [f.result() for f in futures]


def run_until_error_template(task, inputs, workers=4):
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(task, x) for x in inputs]
        return [f.result() for f in futures]


def run_until_error_map(task, inputs, workers=4):
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(task, inputs))


def run_until_error_no_cancel(task, inputs, workers=4):
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(task, x) for x in inputs]
        done, _ = wait(futures, timeout=LONG, return_when=FIRST_EXCEPTION)
        for f in done:
            if f.exception() is not None:
                raise f.exception()
        return [f.result() for f in futures]


def run_until_error_swallows(task, inputs, workers=4):
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(task, x) for x in inputs]
        done, _ = wait(futures, timeout=LONG, return_when=FIRST_EXCEPTION)
        if any(f.exception() is not None for f in done):
            pool.shutdown(cancel_futures=True)
            return None
        return [f.result() for f in futures]


def run_until_error_wraps(task, inputs, workers=4):
    try:
        return run_until_error_solution(task, inputs, workers)
    except ValueError as error:
        raise RuntimeError("a task failed") from error


def run_until_error_finishing_order(task, inputs, workers=4):
    # as_completed() while the tasks run: the results in finishing order. (Run
    # after wait() had returned, over futures all done already, it yields them
    # in a set's order, which is sometimes the input order: such a solution
    # passes by luck, on 3.13t once in CI.)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(task, x) for x in inputs]
        results = []
        for future in as_completed(futures, timeout=LONG):
            if future.exception() is not None:
                pool.shutdown(cancel_futures=True)
                raise future.exception()
            results.append(future.result())
        return results


def test_run_until_error_solution_passes(capsys):
    for seed in range(3):
        assert lab.check_run_until_error(run_until_error_solution, seed=seed)
    assert capsys.readouterr().out.count("✅ Correct") == 3


def test_run_until_error_none_is_not_yet(capsys):
    assert not lab.check_run_until_error(None)
    assert "❌ Not yet: write run_until_error" in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, words",
    [
        (run_until_error_template, "kept starting"),
        (run_until_error_map, "kept starting"),
        (run_until_error_no_cancel, "kept starting"),
        (run_until_error_swallows, "returned None instead of raising"),
        (run_until_error_wraps, "raised RuntimeError"),
        (run_until_error_finishing_order, "in input order"),
    ],
)
def test_run_until_error_wrong_solutions_fail(wrong, words, capsys):
    assert not lab.check_run_until_error(wrong, seed=0)
    out = capsys.readouterr().out
    assert "❌ Not yet" in out and words in out
    assert "FIRST_EXCEPTION" not in out and "cancel_futures" not in out


def test_template_message_is_the_same_every_time(capsys):
    """The notebook stores the template's verdict: it must not vary."""
    for seed in (0, 7):
        lab.check_run_until_error(run_until_error_template, seed=seed)
    first, second = capsys.readouterr().out.strip().splitlines()
    assert first == second


# ------------------------------------------------------------ exercise 3

QUIZ_SOLUTION = {
    "500 downloads from a server that answers in 0.2 s": "thread pool, many workers",
    "8 long pure-Python computations": "process pool, one worker per core",
    "100,000 tasks of 2 µs each are slow in a process pool": "bigger chunksize",
    "each worker opens one database connection before its first task": ("initializer"),
    "a C extension leaks memory on every call": "max_tasks_per_child",
    "the results in the order of the inputs": "map",
    "each result shown as soon as it is ready": "as_completed",
    "submit() raises BrokenProcessPool": "a new pool",
}


def test_quiz_solution_passes(capsys):
    assert lab.check_pool_quiz(QUIZ_SOLUTION)
    assert "✅ Correct: all 8 right" in capsys.readouterr().out


def test_quiz_template_is_not_yet(capsys):
    assert not lab.check_pool_quiz(dict.fromkeys(QUIZ_SOLUTION))
    out = capsys.readouterr().out
    assert "8 of 8 not answered yet" in out and "✅" not in out
    for answer in lab.POOL_QUIZ_OPTIONS:
        assert f"'{answer}'" not in out


def test_quiz_swapped_answers_fail_without_giving_them_away(capsys):
    wrong = dict(QUIZ_SOLUTION)
    wrong["500 downloads from a server that answers in 0.2 s"] = (
        "process pool, one worker per core"
    )
    wrong["8 long pure-Python computations"] = "thread pool, many workers"
    assert not lab.check_pool_quiz(wrong)
    out = capsys.readouterr().out
    assert "6 of 8 right, 2 wrong" in out
    for option in lab.POOL_QUIZ_OPTIONS:  # neither named nor explained
        assert option not in out


def test_quiz_names_answers_that_are_not_options(capsys):
    typo = dict(QUIZ_SOLUTION, **{"the results in the order of the inputs": "Map"})
    assert not lab.check_pool_quiz(typo)
    assert "'Map' is not one of the options" in capsys.readouterr().out
