"""Tests of conclab.ipc under every start method: messages, shared memory,
the transport benchmark, the letter counter and the exercise checkers.

Every test checks that it leaves no child process and no shared-memory
segment behind.
"""

from __future__ import annotations

import multiprocessing
import pickle
import socket
import sys
import threading
from collections import Counter

import numpy as np
import pytest

import conclab as lab
from conclab import mp_context
from conclab.exercises import ipc as exercises_ipc

METHODS = multiprocessing.get_all_start_methods()
TEXTS = [
    "The quick brown fox jumps over the lazy dog.\n" * 50,
    "Pack my box with five dozen liquor jugs!\n" * 40,
    "Ünïcode café, naïve résumé; ZZZ zzz\r\n" * 30,
    "",
    "How vexingly quick daft zebras jump\n" * 20,
]


@pytest.fixture(params=METHODS)
def method(request, monkeypatch):
    monkeypatch.setenv("CONCLAB_START_METHOD", request.param)
    return request.param


# -- messages ---------------------------------------------------------------


def test_pipe_square_server(method):
    ctx = mp_context()
    here, there = ctx.Pipe()
    child = ctx.Process(target=lab.square_server, args=(there,))
    child.start()
    there.close()
    try:
        answers = []
        for n in (2, 3, 12):
            here.send(n)
            answers.append(here.recv())
        here.send(None)
    finally:
        lab.stop_process(child)
        here.close()
    assert answers == [4, 9, 144]
    assert child.exitcode == 0


@pytest.mark.parametrize("kind", ["Queue", "SimpleQueue"])
def test_queue_producers(method, kind):
    ctx = mp_context()
    queue = getattr(ctx, kind)()
    children = [ctx.Process(target=lab.produce, args=(queue, w, 5)) for w in (0, 1)]
    try:
        for c in children:
            c.start()
        items = [queue.get() for _ in range(10)]
    finally:
        for c in children:
            lab.stop_process(c)
        queue.close()
    assert sorted(items) == [(w, i, i * i) for w in (0, 1) for i in range(5)]
    # Each producer's items arrive in the order it put them.
    for w in (0, 1):
        assert [i for (ww, i, _) in items if ww == w] == list(range(5))


def test_try_pickle_reports_the_error():
    assert lab.try_pickle([1, 2, 3]).startswith("ok (")
    assert lab.try_pickle([1, 2, 3], size=False) == "ok"
    assert lab.try_pickle(threading.Lock()) == (
        "TypeError: cannot pickle '_thread.lock' object"
    )
    assert lab.try_pickle(x for x in ()) == (
        "TypeError: cannot pickle 'generator' object"
    )
    assert lab.try_pickle(lambda: 1).startswith(("PicklingError", "AttributeError"))
    lock = mp_context().Lock()
    assert lab.try_pickle(lock) == (
        "RuntimeError: Lock objects should only be shared between processes "
        "through inheritance"
    )
    with (
        socket.socket() as sock,
        pytest.raises(TypeError, match="cannot pickle 'socket' object"),
    ):
        pickle.dumps(sock)


# -- shared memory ----------------------------------------------------------


@pytest.mark.parametrize("kind", ["Value", "Array"])
def test_locked_increments_lose_nothing(method, kind):
    assert lab.lost_updates(times=3000, locked=True, kind=kind) == 0


@pytest.mark.parametrize("kind", ["Value", "Array"])
def test_a_forced_collision_loses_exactly_one_update(method, kind):
    # deterministic: both children read 0 before either writes
    assert lab.lost_updates(kind=kind, collide=True) == 1
    with pytest.raises(ValueError, match="lock"):
        lab.lost_updates(locked=True, collide=True)
    with pytest.raises(ValueError, match="kind"):
        lab.lost_updates(kind="dict", collide=True)


def test_scale_shared_numpy(method):
    from multiprocessing import shared_memory

    ctx = mp_context()
    shm = shared_memory.SharedMemory(create=True, size=6 * 8)
    try:
        array = lab.shared_array(shm, (2, 3), "float64")
        array[:] = np.arange(6).reshape(2, 3)
        with pytest.raises(BufferError):
            shm.close()  # the array holds the buffer
        child = ctx.Process(
            target=lab.scale_shared, args=(shm.name, (2, 3), "float64", 10.0)
        )
        child.start()
        assert lab.stop_process(child) == 0
        result = array.copy()
        del array
    finally:
        shm.close()
        shm.unlink()
    assert result.tolist() == [[0, 10, 20], [30, 40, 50]]


def _squares_good(numbers):
    from multiprocessing import shared_memory

    ctx = mp_context()
    shm = shared_memory.SharedMemory(create=True, size=8 * len(numbers))
    try:
        array = lab.shared_array(shm, len(numbers), np.int64)
        array[:] = numbers
        half = len(numbers) // 2
        children = [
            ctx.Process(target=lab.square_shared, args=(shm.name, a, b))
            for a, b in ((0, half), (half, len(numbers)))
        ]
        for c in children:
            c.start()
        for c in children:
            lab.stop_process(c)
        result = array.tolist()
        del array
        return result
    finally:
        shm.close()
        shm.unlink()


def _squares_leaky(numbers):
    from multiprocessing import shared_memory

    shm = shared_memory.SharedMemory(create=True, size=8 * len(numbers))
    array = lab.shared_array(shm, len(numbers), np.int64)
    array[:] = [n * n for n in numbers]
    result = array.tolist()
    del array
    shm.close()  # but never unlinked
    return result


def test_check_shared_squares(method, capsys):
    assert lab.check_shared_squares(_squares_good)
    assert "✅" in capsys.readouterr().out
    if sys.platform != "win32":
        assert not lab.check_shared_squares(_squares_leaky)
        assert "unlink" in capsys.readouterr().out
    assert not lab.check_shared_squares(lambda numbers: None)
    assert not lab.check_shared_squares(lambda numbers: numbers)


@pytest.mark.skipif(sys.platform == "win32", reason="no resource tracker")
def test_watch_sees_only_this_process_leaks():
    from multiprocessing import shared_memory

    watch = lab.watch_shared_memory()
    report = lab.leak_demo()  # another process leaks: not ours
    assert report["left_behind"] is False
    assert watch.leaked() == []
    shm = shared_memory.SharedMemory(create=True, size=8)
    try:
        assert watch.leaked() == [shm.name.lstrip("/")]
    finally:
        shm.close()
        shm.unlink()
    assert watch.leaked() == []
    assert lab.watch_shared_memory().leaked() == []


@pytest.mark.skipif(sys.platform == "win32", reason="no resource tracker")
def test_leak_demo_warns_and_tracker_cleans_up():
    report = lab.leak_demo()
    assert report["left_behind"] is False
    assert any("leaked shared_memory" in w for w in report["warnings"])
    assert not any("/" in w for w in report["warnings"])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
def test_use_after_close_crashes_only_the_fresh_python():
    report = lab.use_after_close_demo()
    assert report["printed"] == ["close() raised nothing"]
    assert report["crashed"] is True
    assert report["signal"] in {"SIGSEGV", "SIGBUS"}


def test_shared_array_validates():
    from multiprocessing import shared_memory

    shm = shared_memory.SharedMemory(create=True, size=64)
    try:
        with pytest.raises(ValueError, match="shape"):
            lab.shared_array(shm, (-1, 2), "int64")
        array = lab.shared_array(shm, 8, "int64")
        assert array.shape == (8,) and array.flags.writeable
        del array
    finally:
        shm.close()
        shm.unlink()


def test_manager_proxy(method):
    ctx = mp_context()
    with ctx.Manager() as manager:
        shared = manager.dict()
        children = [
            ctx.Process(target=lab.manager_add, args=(shared, k, 50)) for k in "ab"
        ]
        for c in children:
            c.start()
        for c in children:
            lab.stop_process(c)
        assert dict(shared) == {"a": 49, "b": 49}


def test_proxy_call_cost_is_higher_than_a_dict(method):
    cost = lab.proxy_call_cost(calls=200)
    assert cost["proxy"] > cost["dict"] > 0
    assert cost["ratio"] == pytest.approx(cost["proxy"] / cost["dict"])


# -- transports ---------------------------------------------------------------


def test_measure_transports(method):
    results = lab.measure_transports(sizes=(64, 4096), budget_bytes=64 * 1024)
    assert [(r.kind, r.size) for r in results] == [
        (k, s) for k in lab.TRANSPORTS for s in (64, 4096)
    ]
    for r in results:
        assert r.latency > 0
        assert r.throughput == pytest.approx(r.size / r.latency)
        assert 5 <= r.repeats <= 100
    fig = lab.plot_transports(results, title="test")
    assert len(fig.axes) == 2
    assert fig.axes[0].get_ylabel().startswith("best")
    assert lab.plot_transports(results, stat="median").axes[0].get_ylabel()[:6] == (
        "median"
    )
    with pytest.raises(ValueError, match="stat"):
        lab.plot_transports(results, stat="mean")
    assert all(ax.get_xscale() == "log" for ax in fig.axes)


def test_measure_transports_validates():
    with pytest.raises(ValueError, match="kind"):
        lab.measure_transports(sizes=(64,), kinds=("carrier pigeon",))
    with pytest.raises(ValueError, match="size"):
        lab.measure_transports(sizes=(0,))
    with pytest.raises(TypeError, match="size"):
        lab.measure_transports(sizes=(1.5,))
    with pytest.raises(ValueError, match="sizes"):
        lab.measure_transports(sizes=())
    with pytest.raises(ValueError, match="results"):
        lab.plot_transports([])


def test_transport_panel(method):
    panel = lab.transport_panel(sizes=(64,), kinds=("pipe",))
    first = bytes(panel.image.value)
    assert first.startswith(b"\x89PNG")
    panel.controls["sizes"].value = (64, 1024)
    panel.controls["kinds"].value = ("pipe", "shared memory")
    panel.run_button.click()
    assert panel.error is None
    assert bytes(panel.image.value) != first
    assert len(panel.last.axes) == 2
    panel.controls["kinds"].value = ()
    panel.run()
    assert panel.error is None  # an empty choice draws a message, no error
    panel.close()
    with pytest.raises(ValueError, match="size"):
        lab.transport_panel(sizes=(3,))


def test_transport_panel_shows_given_results_first(method):
    given = [
        lab.TransportResult("queue", 1024, 1e-5, 1024 / 1e-5, 5),
        lab.TransportResult("queue", 64, 1e-5, 64 / 1e-5, 5),
    ]
    panel = lab.transport_panel(results=given)
    assert panel.controls["sizes"].value == (64, 1024)
    assert panel.controls["kinds"].value == ("queue",)
    assert bytes(panel.image.value).startswith(b"\x89PNG")
    panel.controls["sizes"].value = (64,)
    panel.run()  # measures for real now
    assert panel.error is None
    panel.close()
    with pytest.raises(TypeError, match="results"):
        lab.transport_panel(results=[])
    with pytest.raises(ValueError, match="size"):
        lab.transport_panel(results=[lab.TransportResult("pipe", 3, 1, 3, 5)])


def test_format_size():
    assert lab.format_size(64) == "64 B"
    assert lab.format_size(1024) == "1 KiB"
    assert lab.format_size(1536) == "1.5 KiB"
    assert lab.format_size(16 << 20) == "16 MiB"
    with pytest.raises(ValueError, match="nbytes"):
        lab.format_size(-1)


# -- the letter counter -----------------------------------------------------


def test_letter_counter_processes_equal_sequential(method):
    want = lab.count_texts_sequential(TEXTS)
    for workers in (1, 3):
        got = lab.count_texts_processes(TEXTS, workers=workers)
        assert got == want
        assert set(got) == set("abcdefghijklmnopqrstuvwxyz")


def test_letter_counter_threads_equal_sequential():
    want = lab.count_texts_sequential(TEXTS)
    assert lab.count_texts_threads(TEXTS, workers=3) == want
    assert want["z"] == 6 * 30 + 50 + 40 + 20
    with pytest.raises(ValueError, match="workers"):
        lab.count_texts_threads(TEXTS, workers=0)
    with pytest.raises(ValueError, match="workers"):
        lab.count_texts_processes(TEXTS, workers=0)


def test_split_evenly():
    assert lab.split_evenly([1, 2, 3, 4, 5], 2) == [[1, 3, 5], [2, 4]]
    assert lab.split_evenly([1], 3) == [[1], [], []]
    with pytest.raises(TypeError, match="workers"):
        lab.split_evenly([1], 2.0)


# -- checkers -----------------------------------------------------------------


def test_check_letter_counts(capsys):
    assert lab.check_letter_counts(lab.count_texts_sequential(TEXTS), TEXTS)
    wrong = Counter(lab.count_texts_sequential(TEXTS))
    wrong["n"] += 1
    assert not lab.check_letter_counts(wrong, TEXTS)
    assert not lab.check_letter_counts([1, 2], TEXTS)
    out = capsys.readouterr().out
    assert out.count("✅") == 1 and out.count("❌") == 2


def test_check_sendable(capsys):
    assert lab.check_sendable(dict(exercises_ipc._SENDABLE))
    assert not lab.check_sendable({})
    assert "a lambda" in capsys.readouterr().out


def test_check_split(capsys):
    assert lab.check_split(lab.split_evenly)
    assert not lab.check_split(lambda items, workers: [items[:10], items[10:], []])
    assert not lab.check_split(lambda items, workers: [items, items, items])
    assert not lab.check_split(lambda items, workers: None)
    with pytest.raises(TypeError, match="split"):
        lab.check_split(42)


def test_stop_process_terminates_a_stuck_child(method):
    ctx = mp_context()
    queue, done = ctx.Queue(), ctx.Event()
    child = ctx.Process(target=lab.put_big, args=(queue, 1 << 20, done))
    child.start()
    try:
        assert done.wait(30)
        assert lab.leftover_children(), "a stuck child must be reported"
        code = lab.stop_process(child, timeout=0.1)
    finally:
        queue.close()
        queue.cancel_join_thread()
    assert code is not None and code != 0
    assert not child.is_alive()
