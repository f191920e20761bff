"""Start methods: what a child sees, what starting one costs, fork's traps.

Introduced in ``01_processes_and_threads.ipynb`` (:func:`append_to`) and
``03_start_methods.ipynb``. The start-cost measurements use children that
import nothing of this library, so that they measure the process itself.
"""

from __future__ import annotations

import multiprocessing
import re
import statistics
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .children import CHILD_TIMEOUT, stop_process
from .env import mp_context
from .validate import check_choice, check_int, check_number

__all__: list[str] = [
    "StartCosts",
    "append_to",
    "fork_warning",
    "forkserver_first_start",
    "read_setting",
    "start_costs",
    "start_join_times",
    "try_lock",
]


#: A module global for the "what does the child see" demo of notebook 03.
#: The parent changes it after import; a forked child sees the change, a
#: spawned (or forkserver) child imports this module afresh and does not.
SETTING = "set at import"


def check_methods(methods: Iterable[str] | None) -> list[str]:
    available = multiprocessing.get_all_start_methods()
    if methods is None:
        return [m for m in ("fork", "forkserver", "spawn") if m in available]
    if isinstance(methods, str):
        raise TypeError("methods must be a list of start method names, not a str")
    return [check_choice("method", m, available) for m in methods]


def append_to(items: list, value: Any) -> list:
    """Append ``value`` to ``items`` and return the list (notebook 01).

    Run in a thread, the caller's list changes; run in a child process, the
    child changes its own copy and the parent's list stays as it was.
    """
    items.append(value)
    return items


def try_lock(lock: Any, timeout: float = 0.5) -> bool:
    """Try to take ``lock`` within ``timeout`` seconds; release it if taken.

    Notebook 03 runs it in a child forked while a thread of the parent held
    ``lock``: the child's copy of the lock is held too, by a thread that does
    not exist there, so it returns False instead of waiting forever.
    """
    timeout = check_number("timeout", timeout, minimum=0, maximum=60)
    taken = lock.acquire(timeout=timeout)
    if taken:
        lock.release()
    return taken


def read_setting() -> str:
    """Return this module's ``SETTING`` as the calling process sees it (03)."""
    return SETTING


def start_join_times(method: str | None = None, repeat: int = 10) -> list[float]:
    """Seconds to start and join an empty ``Process`` (no target), ``repeat``
    times, with one start method (notebook 03).

    The first start of ``forkserver`` in a process also starts the fork
    server; that cost is included here only if the server was not running.
    See :func:`forkserver_first_start` for it on its own.
    """
    repeat = check_int("repeat", repeat, minimum=1, maximum=1000)
    ctx = mp_context(method)
    times = []
    for _ in range(repeat):
        process = ctx.Process()
        begin = time.perf_counter()
        process.start()
        process.join(CHILD_TIMEOUT)
        times.append(time.perf_counter() - begin)
        stop_process(process)
    return times


_FIRST_START = """\
import json, multiprocessing, time
ctx = multiprocessing.get_context("forkserver")
times = []
for _ in range(REPEAT):
    p = ctx.Process()
    t = time.perf_counter()
    p.start()
    p.join(60)
    times.append(time.perf_counter() - t)
print(json.dumps(times))
"""


def forkserver_first_start(repeat: int = 5, timeout: float = 60) -> list[float] | None:
    """Start+join times of empty forkserver children in a *fresh* interpreter.

    The fork server lives as long as the process that started it, so its
    start-up cost is paid once per process. To see it every time, this runs
    a small ``python -c`` program: element 0 of the result includes starting
    the server, the others do not. Returns ``None`` where forkserver does
    not exist (Windows). Introduced in ``03_start_methods``.
    """
    repeat = check_int("repeat", repeat, minimum=2, maximum=100)
    timeout = check_number("timeout", timeout, minimum=1)
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return None
    code = _FIRST_START.replace("REPEAT", str(repeat))
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    import json

    return [float(t) for t in json.loads(done.stdout.strip().splitlines()[-1])]


@dataclass(frozen=True)
class StartCosts:
    """Start+join times (seconds) per method, and forkserver's first start."""

    times: dict[str, list[float]]
    forkserver_first: float | None

    def medians_ms(self) -> dict[str, float]:
        """Median start+join time per method, in milliseconds."""
        return {m: statistics.median(t) * 1000 for m, t in self.times.items()}


def start_costs(
    methods: Iterable[str] | None = None, repeat: int = 10, fresh: bool = True
) -> StartCosts:
    """Measure :func:`start_join_times` for each method (after one warm-up
    start each, so the fork server is already running) and, with ``fresh``,
    :func:`forkserver_first_start` (notebook 03)."""
    repeat = check_int("repeat", repeat, minimum=1, maximum=1000)
    times = {}
    for method in check_methods(methods):
        start_join_times(method, 1)  # warm-up: imports, the fork server
        times[method] = start_join_times(method, repeat)
    first = None
    if fresh and "forkserver" in times:
        firsts = forkserver_first_start()
        first = firsts[0] if firsts else None
    return StartCosts(times, first)


def fork_warning() -> str | None:
    """Fork while another thread is alive and return the warning's text.

    Python 3.12+ warns (``DeprecationWarning``: "This process … is
    multi-threaded, use of fork() may lead to deadlocks in the child.") but
    the default filters hide it when ``multiprocessing`` forks; here it is
    recorded with ``simplefilter("always")``. The pid in the text becomes
    ``N``. Returns ``None`` when no warning was raised (Python 3.10/3.11),
    and raises ``RuntimeError`` where fork does not exist. Notebook 03.
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        raise RuntimeError("fork is not available on this platform")
    release = threading.Event()
    helper = threading.Thread(target=release.wait, args=(CHILD_TIMEOUT,), daemon=True)
    helper.start()  # make sure this process has a second thread
    process = multiprocessing.get_context("fork").Process()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            process.start()
    finally:
        release.set()
        helper.join(5)
        stop_process(process)
    for item in caught:
        text = str(item.message)
        if issubclass(item.category, DeprecationWarning) and "fork" in text:
            return f"{item.category.__name__}: " + re.sub(r"pid=\d+", "pid=N", text)
    return None
