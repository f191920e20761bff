"""conclab.core.cluster: the course's LocalCluster, and that nothing outlives it.

Every test that starts a cluster compares a :func:`conclab.snapshot` taken
before with what runs after (threads, child processes, listening sockets):
closed by its ``with`` block, a cluster leaves nothing, also when the block
raises or is interrupted.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import sys
import threading

import pytest

import conclab as lab

cluster_module = importlib.import_module("conclab.core.cluster")

pytest.importorskip("distributed", reason="notebook 13's extra: pip install -e .[dask]")
from dask.distributed import Client, get_task_stream  # noqa: E402

pytestmark = pytest.mark.dask


def nothing_left(before: lab.Snapshot) -> None:
    left = lab.leftovers(before, timeout=20)
    assert left == {"threads": [], "processes": [], "listening": []}, left


@pytest.fixture
def clean():
    """A snapshot before the test; after it, nothing new may be left."""
    before = lab.snapshot()
    yield before
    nothing_left(before)


# ---------------------------------------------------------------------------
# Is Dask there?
# ---------------------------------------------------------------------------


def test_require_dask_returns_the_versions():
    versions = lab.require_dask()
    assert set(versions) == {"dask", "distributed", "bokeh"}
    assert versions["dask"] == versions["distributed"] != "not installed"


def test_require_dask_says_how_to_install_it(monkeypatch):
    real = cluster_module.find_spec
    monkeypatch.setattr(
        cluster_module,
        "find_spec",
        lambda name: None if name == "distributed" else real(name),
    )
    with pytest.raises(ModuleNotFoundError) as caught:
        lab.require_dask()
    message = str(caught.value)
    assert message.startswith("distributed not installed")
    assert 'pip install "conclab[dask]"' in message
    assert "restart the kernel" in message


def test_a_blocked_import_counts_as_missing(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "bokeh", None)
    assert not lab.dashboard_available()


def test_require_dask_in_colab_says_pip_in_a_cell(monkeypatch):
    monkeypatch.setattr(cluster_module, "find_spec", lambda name: None)
    monkeypatch.setitem(__import__("sys").modules, "google.colab", object())
    with pytest.raises(ModuleNotFoundError, match=r"dask and distributed.*!pip"):
        lab.require_dask()


def test_dashboard_available_follows_bokeh(monkeypatch):
    assert lab.dashboard_available() == (cluster_module._version("bokeh") is not None)
    monkeypatch.setattr(cluster_module, "_version", lambda name: "3.0.2")
    assert not lab.dashboard_available()
    monkeypatch.setattr(cluster_module, "_version", lambda name: None)
    assert not lab.dashboard_available()


def test_import_conclab_does_not_import_dask():
    import subprocess
    import sys

    code = (
        "import sys, conclab; "
        "print('dask' in sys.modules, 'distributed' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "False"]


# ---------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["fork", "forkserver", "spawn"])
def test_worker_start_method_never_forks(method):
    import multiprocessing

    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"{method} is not available here")
    got = lab.worker_start_method(method)
    assert got != "fork"
    assert got == (method if method != "fork" else "forkserver")
    settings = lab.dask_settings(method)
    assert settings["distributed.worker.multiprocessing-method"] == got


def test_dask_profiles_threads_except_on_the_free_threaded_313(clean):
    """dask_settings(): Dask's profiler reads other threads' frames, which can
    crash the free-threaded 3.13; there the scheduler and every worker run
    without it, elsewhere they keep it."""
    import dask

    want = not (lab.free_threaded_build() and sys.version_info < (3, 14))
    settings = lab.dask_settings()
    assert settings.get("distributed.worker.profile.enabled", True) is want
    with lab.local_cluster(1) as cluster, Client(cluster.scheduler_address) as client:
        on_workers = client.run(
            lambda: dask.config.get("distributed.worker.profile.enabled")
        )
        assert list(on_workers.values()) == [want]
        if not want:  # the scheduler's profiler would run in this process
            assert not [t for t in threading.enumerate() if t.name == "Profile"]


def test_worker_start_method_follows_the_environment(monkeypatch):
    monkeypatch.setenv(lab.START_METHOD_ENV, "spawn")
    assert lab.worker_start_method() == "spawn"
    monkeypatch.setenv(lab.START_METHOD_ENV, "nonsense")
    with pytest.raises(ValueError, match="CONCLAB_START_METHOD"):
        lab.worker_start_method()


def test_local_cluster_validates_before_starting_anything(clean):
    with pytest.raises(ValueError, match="workers"), lab.local_cluster(0):
        pass
    with pytest.raises(TypeError, match="threads"), lab.local_cluster(1, threads="2"):
        pass


def test_local_cluster_leaves_no_scratch_space(clean, tmp_path, monkeypatch):
    """Scheduler, nannies and workers each make a dask-scratch-space."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with lab.local_cluster(1) as cluster, Client(cluster.scheduler_address) as client:
        assert client.submit(abs, -1).result(timeout=30) == 1
    # (multiprocessing's own pymp-* folder may appear: it goes at exit)
    left = [p.name for p in tmp_path.iterdir() if not p.name.startswith("pymp-")]
    assert left == []


def test_local_cluster_removes_the_workers_scratch_space(clean):
    import tempfile
    from pathlib import Path

    with lab.local_cluster(1) as cluster, Client(cluster.scheduler_address) as client:
        where = client.run(lambda dask_worker: dask_worker.local_directory)
        (folder,) = where.values()
        scratch = next(
            p for p in Path(folder).parents if p.name.startswith("conclab-dask-")
        )
        assert Path(folder).exists()
        assert scratch.parent == Path(tempfile.gettempdir())
    assert not scratch.exists()


# ---------------------------------------------------------------------------
# capture_logs
# ---------------------------------------------------------------------------


def test_capture_logs_catches_and_mutes_then_restores(capsys):
    logger = logging.getLogger("distributed.test-conclab")
    root = logging.getLogger("distributed")
    stream = logging.StreamHandler()
    stream.setLevel(logging.INFO)
    root.addHandler(stream)
    old_level = root.level
    try:
        with lab.capture_logs() as lines:
            logger.warning("Restarting worker %s", "w1")
            logger.debug("too fine to keep")
            assert stream.level > logging.CRITICAL
        assert lines == ["distributed.test-conclab WARNING Restarting worker w1"]
        assert lines.matching("Restarting") == lines
        assert lines.matching("nothing") == []
        assert stream.level == logging.INFO
        assert root.level == old_level
        assert all(
            not isinstance(h, cluster_module._ListHandler) for h in root.handlers
        )
    finally:
        root.removeHandler(stream)
    assert "Restarting" not in capsys.readouterr().err


def test_capture_logs_restores_on_error():
    root = logging.getLogger("distributed")
    before = list(root.handlers)
    with pytest.raises(RuntimeError), lab.capture_logs():
        raise RuntimeError("boom")
    assert root.handlers == before


# ---------------------------------------------------------------------------
# snapshot / leftovers: they see what is left
# ---------------------------------------------------------------------------


def test_leftovers_sees_a_thread_a_socket_and_a_process():
    import subprocess
    import sys

    before = lab.snapshot()
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, name="conclab-test-leftover")
    thread.start()
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        left = lab.leftovers(before, timeout=0)
        assert left["threads"] == ["conclab-test-leftover"]
        assert any(f"127.0.0.1:{port}" in line for line in left["listening"])
        assert any(f"pid {child.pid}" in line for line in left["processes"])
    finally:
        stop.set()
        thread.join(5)
        listener.close()
        child.kill()
        child.wait(10)
    nothing_left(before)


def test_leftovers_validates():
    with pytest.raises(TypeError, match="Snapshot"):
        lab.leftovers({})
    with pytest.raises(ValueError, match="timeout"):
        lab.leftovers(lab.snapshot(), timeout=-1)


# ---------------------------------------------------------------------------
# A real cluster, closed by its with block
# ---------------------------------------------------------------------------


def test_local_cluster_is_processes_on_loopback_and_leaves_nothing(clean):
    with lab.local_cluster(2) as cluster, Client(cluster.scheduler_address) as client:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        pids = client.run(os.getpid)
        assert len(pids) == 2 and os.getpid() not in pids.values()
        assert all(addr.startswith("tcp://127.0.0.1:") for addr in pids)
        assert client.submit(lab.document_letters, 1000).result(timeout=30) == (
            lab.document_letters(1000)
        )
        # the nannies passed the course's settings on to the workers
        setting = "distributed.worker.multiprocessing-method"
        seen = client.run(lambda: __import__("dask").config.get(setting))
        assert set(seen.values()) == {lab.worker_start_method()}
        # every socket of the cluster listens on 127.0.0.1 only
        now = lab.snapshot()
        new = now.listening - clean.listening
        assert new, "a running cluster listens somewhere"
        assert all(address.startswith("127.0.0.1:") for _, address in new), new
        if lab.dashboard_available():
            assert cluster.dashboard_link.startswith("http://127.0.0.1:")


def test_workers_keep_their_logs_to_themselves(clean, capfd):
    def fail():
        raise ValueError("on purpose")

    with lab.local_cluster(1) as cluster, Client(cluster.scheduler_address) as client:
        with pytest.raises(ValueError, match="on purpose"):
            client.submit(fail).result(timeout=30)
        levels = client.run(lambda: logging.getLogger("distributed").level)
        assert set(levels.values()) == {logging.CRITICAL}
    assert "Compute Failed" not in capfd.readouterr().err


def test_a_cluster_is_closed_when_the_block_raises(clean):
    with pytest.raises(ZeroDivisionError):  # noqa: SIM117 (the order is the point)
        with lab.local_cluster(1) as cluster, Client(cluster.scheduler_address) as c:
            assert c.submit(abs, -1).result(timeout=30) == 1
            raise ZeroDivisionError


def test_a_cluster_is_closed_on_keyboard_interrupt(clean):
    with pytest.raises(KeyboardInterrupt):  # noqa: SIM117
        with lab.local_cluster(1) as cluster, Client(cluster.scheduler_address) as c:
            assert c.submit(abs, -2).result(timeout=30) == 2
            raise KeyboardInterrupt


def test_a_killed_worker_is_restarted_and_its_tasks_rerun(clean):
    import signal
    import time

    kill = getattr(signal, "SIGKILL", signal.SIGTERM)
    with (
        lab.local_cluster(2) as cluster,
        Client(cluster.scheduler_address) as client,
        lab.capture_logs() as logs,
    ):
        pids = client.run(os.getpid)
        victim = sorted(pids)[0]
        futures = client.map(lab.square_slowly, range(6), seconds=0.3)
        deadline = time.monotonic() + 20
        while not client.processing().get(victim) and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(pids[victim], kill)
        results = client.gather(futures)
        client.wait_for_workers(2, timeout=60)
        after = client.run(os.getpid)
    assert [r for r, _ in results] == [x * x for x in range(6)]
    assert pids[victim] not in {pid for _, pid in results}
    assert pids[victim] not in after.values()
    assert logs.matching("Restarting worker")


# ---------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------


def test_time_pool_and_time_dask_run_every_task(clean):
    from concurrent.futures import ProcessPoolExecutor

    calls = []

    class CountingPool:
        def __init__(self, pool):
            self.pool = pool

        def submit(self, func, x):
            calls.append(x)
            return self.pool.submit(func, x)

    with ProcessPoolExecutor(1, mp_context=lab.mp_context()) as pool:
        seconds = lab.time_pool(CountingPool(pool), lab.noop, range(5))
    assert seconds > 0 and calls == list(range(5))
    with lab.local_cluster(1) as cluster, Client(cluster.scheduler_address) as client:
        with get_task_stream(client) as stream:
            seconds = lab.time_dask(client, lab.burn, [0.001] * 4)
        assert seconds > 0
        # pure=False: four tasks, not one (equal arguments, one key otherwise)
        assert sum(1 for t in stream.data if t["key"].startswith("burn")) == 4


def test_task_size_sweep_rows(clean):
    rows = lab.task_size_sweep(workers=1, sizes=(0.0001, 0.002), tasks=4)
    assert [(r.engine, r.size) for r in rows] == [
        ("process pool", 0.0001),
        ("dask", 0.0001),
        ("process pool", 0.002),
        ("dask", 0.002),
    ]
    for row in rows:
        assert row.tasks == 4 and row.workers == 1 and row.wall > 0
        assert row.work == pytest.approx(4 * row.size)
        assert row.ideal == pytest.approx(row.work / min(1, row.cores))
        assert row.speedup == pytest.approx(row.work / row.wall)
        assert row.overhead >= 0


def test_task_size_row_arithmetic():
    row = lab.TaskSizeRow("dask", workers=4, size=0.01, tasks=10, wall=0.1, cores=2)
    assert row.work == pytest.approx(0.1)
    assert row.ideal == pytest.approx(0.05)  # 4 workers, but only 2 cores
    assert row.speedup == pytest.approx(1.0)
    assert row.overhead == pytest.approx(0.005)
    fast = lab.TaskSizeRow("dask", workers=2, size=0.01, tasks=10, wall=0.01, cores=2)
    assert fast.overhead == 0.0


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"workers": 0}, ValueError, "workers"),
        ({"tasks": 0}, ValueError, "tasks"),
        ({"sizes": ()}, ValueError, "sizes"),
        ({"sizes": "0.1"}, TypeError, "sizes"),
        ({"sizes": (2.0,)}, ValueError, "sizes"),
    ],
)
def test_task_size_sweep_validates(kwargs, error, words):
    with pytest.raises(error, match=words):
        lab.task_size_sweep(**kwargs)
