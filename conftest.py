"""One leak check for every test: no thread, child process or shared-memory
segment that a test starts may outlive it.

What existed before the test does not count, so the Jupyter server and the
Chromium of the browser session (started once, kept for the session) and
other programs on the machine never trip it; the browser tests themselves,
which start that session, are left out. A thread or process still ending is
given a moment (a pool's worker may be between its last task and its exit).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from conclab import leftover_children, watch_shared_memory

GRACE = 5.0  # seconds a test's threads and children get to finish ending
# Threads a library keeps for the life of the process once it is used: not a
# leak of the test that first used it. distributed's offload executor is one
# module-level pool (distributed.utils), started by the first LocalCluster.
PROCESS_LIFETIME_THREADS = ("Dask-Offload_",)
# Taken out of the environment, so that a pytest a test starts (the nbval
# harness tests) runs all of its own tests.
SHARD = os.environ.pop("CONCLAB_SHARD", "")
# A folder where this pytest notes the test running now and the tests that
# failed (noxfile.py, why_failed()): the stage's summary line names them,
# also when the interpreter crashes mid-test.
NOTES = os.environ.pop("CONCLAB_TEST_NOTES", "")


def _children() -> set[int]:
    return {p.pid for p in psutil.Process().children(recursive=True)}


def _left(before_threads: set[threading.Thread], before_children: set[int]):
    deadline = time.monotonic() + GRACE
    while True:
        threads = [
            t
            for t in threading.enumerate()
            if t not in before_threads
            and t.is_alive()
            and not t.name.startswith(PROCESS_LIFETIME_THREADS)
        ]
        children = leftover_children(ignore=before_children)
        if not (threads or children) or time.monotonic() > deadline:
            return threads, children
        time.sleep(0.05)


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Run the tests that start a Dask cluster last (before the browser tests).

    The first LocalCluster leaves distributed's offload thread running for the
    life of the process, and forking a multi-threaded process can deadlock
    the child. Python 3.15 makes that warning an error under ``-W error`` (3.12
    to 3.14 only printed it as unraisable), so every later fork test failed.
    """
    # The browser tests go after them all: their Chromium, node and Jupyter
    # server (kept for the session) and playwright's event loop in the main
    # thread would trip other tests' leak checks and asyncio.run().
    items.sort(
        key=lambda item: (
            bool(item.get_closest_marker("browser")),
            bool(item.get_closest_marker("dask")),
        )
    )
    # CONCLAB_SHARD=i/n keeps every n-th test from the i-th (0-based), in the
    # order above: the test matrix runs n such pytest processes side by side
    # (noxfile.py, unit()). Single-threaded processes, not pytest-xdist: its
    # workers keep an I/O thread, and forking beside a thread is the warning
    # 3.15 makes an error.
    if SHARD:
        index, _, count = SHARD.partition("/")
        if not (index.isdigit() and count.isdigit() and int(index) < int(count)):
            raise pytest.UsageError(f"CONCLAB_SHARD must be i/n with i < n: {SHARD!r}")
        i, n = int(index), int(count)
        config.hook.pytest_deselected(
            items=[t for k, t in enumerate(items) if k % n != i]
        )
        items[:] = items[i::n]


def pytest_runtest_logstart(nodeid: str, location: tuple) -> None:
    if NOTES:
        Path(NOTES, "running").write_text(nodeid, encoding="utf-8")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if NOTES and report.failed:
        with open(Path(NOTES, "failed"), "a", encoding="utf-8") as f:
            f.write(report.nodeid + "\n")


@pytest.fixture(autouse=True)
def nothing_left_behind(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test that leaves a thread, a child process or a segment behind."""
    if request.node.get_closest_marker("browser"):
        yield
        return
    threads, children = set(threading.enumerate()), _children()
    watch = watch_shared_memory()
    yield
    stray_threads, stray_children = _left(threads, children)
    leaked = watch.leaked()
    assert not stray_threads, f"threads left running: {stray_threads}"
    assert not stray_children, f"child processes left running: {stray_children}"
    assert not leaked, f"shared-memory segments never unlinked: {leaked}"
