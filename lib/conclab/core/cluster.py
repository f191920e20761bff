"""A Dask cluster on this machine, and what it leaves behind: ``13_dask.ipynb``.

- :func:`require_dask` says, in one clear error, how to install Dask when it
  is missing (``pip install "conclab[dask]"``); :func:`dask_versions` and
  :func:`dashboard_available` tell what is there.
- :func:`local_cluster` is the ``LocalCluster`` the notebook writes out in
  full once: worker processes on 127.0.0.1, the dashboard on a free port of
  127.0.0.1, the course's start method, workers' log lines kept out of the
  notebook (:func:`quiet_worker_logs`). Use it in a ``with`` block.
- :func:`capture_logs` keeps what the scheduler and the nannies log (in this
  process) off stderr and hands the lines to the notebook.
- :func:`snapshot` and :func:`leftovers`: what a cluster left running —
  threads, child processes, listening sockets — checked by the notebook's
  last cell and by the tests.
- :func:`time_pool`, :func:`time_dask` and :func:`task_size_sweep`: the
  per-task overhead of a ``ProcessPoolExecutor`` and of Dask, measured on
  the same tasks (the notebook prints their source; the panel uses them).

Dask is imported inside the functions: ``import conclab`` works without it.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from importlib.util import find_spec
from typing import Any

from .children import inet_connections
from .env import free_threaded_build, mp_context, start_method, usable_cores
from .validate import check_int, check_number

__all__ = [
    "DASK_INSTALL",
    "DASK_INSTALL_PLAIN",
    "LogLines",
    "Snapshot",
    "TaskSizeRow",
    "capture_logs",
    "dashboard_available",
    "dask_settings",
    "dask_versions",
    "leftovers",
    "local_cluster",
    "quiet_worker_logs",
    "require_dask",
    "snapshot",
    "task_size_sweep",
    "time_dask",
    "time_pool",
    "worker_start_method",
]

#: How to install what ``13_dask.ipynb`` needs (Dask, its distributed
#: scheduler, and bokeh for the dashboard): the ``dask`` extra of the course.
DASK_INSTALL = 'pip install "conclab[dask]"'

#: The same without the course library's extra.
DASK_INSTALL_PLAIN = 'pip install "dask[distributed]" bokeh'

#: Threads started once per process and kept for its life, not one per
#: cluster: distributed's single-thread "offload" executor (by name), and
#: pyzmq's garbage collector of zero-copy messages, which a Jupyter kernel
#: starts the first time it sends a big message, such as a panel's picture
#: (by class).
PROCESS_WIDE_THREADS = ("Dask-Offload",)
PROCESS_WIDE_THREAD_CLASSES = ("zmq.utils.garbage.GarbageCollectorThread",)

#: Child processes that multiprocessing starts once and keeps for the life of
#: the process (the resource tracker, the fork server): not a cluster's.
PROCESS_WIDE_HELPERS = (
    "multiprocessing.resource_tracker",
    "multiprocessing.forkserver",
)


# ---------------------------------------------------------------------------
# Is Dask there?
# ---------------------------------------------------------------------------


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def dask_versions() -> dict[str, str]:
    """``{"dask": "2026.8.0", "distributed": …, "bokeh": …}``; "not installed"
    for a missing one."""
    return {
        name: _version(name) or "not installed"
        for name in ("dask", "distributed", "bokeh")
    }


def _findable(name: str) -> bool:
    try:
        return find_spec(name) is not None
    except (ImportError, ValueError):  # a module blocked with sys.modules[name] = None
        return False


def dashboard_available() -> bool:
    """True when bokeh >= 3.1 is installed: Dask's dashboard (and its
    performance reports) need it; without it the cluster works, unwatched."""
    version = _version("bokeh")
    if version is None or not _findable("bokeh"):
        return False
    major, minor = (int(p) if p.isdigit() else 0 for p in version.split(".")[:2])
    return (major, minor) >= (3, 1)


def require_dask() -> dict[str, str]:
    """Return :func:`dask_versions`, or raise ``ModuleNotFoundError`` saying how
    to install Dask (the first code cell of ``13_dask.ipynb`` calls it, so a
    missing Dask stops the notebook at once with that message, not with a
    ``NameError`` thirty cells later)."""
    missing = [name for name in ("dask", "distributed") if not _findable(name)]
    if missing:
        where = (
            'In Colab, run `!pip install -q "dask[distributed]"` in a cell'
            if "google.colab" in __import__("sys").modules
            else f"Install it with `{DASK_INSTALL}` (or `{DASK_INSTALL_PLAIN}`)"
        )
        raise ModuleNotFoundError(
            f"{' and '.join(missing)} not installed: notebook 13 runs Dask's "
            f"distributed scheduler. {where}, then restart the kernel and run "
            "the notebook again."
        )
    return dask_versions()


# ---------------------------------------------------------------------------
# The course's LocalCluster
# ---------------------------------------------------------------------------


def worker_start_method(method: str | None = None) -> str:
    """The start method Dask's worker processes use: the course's
    (:func:`conclab.start_method`), except **fork**, which becomes forkserver.

    Forking copies a process in the middle of what its threads are doing, and
    a Jupyter kernel runs several (the client adds an event loop of its own):
    on an overloaded 2-core machine, fork-started clusters left the kernel
    unable to answer in each of 5 runs (its ZMQ socket closed: "Socket
    operation on non-socket"); on a calmer one the same cells ran. A race.
    Dask's own default is spawn on every platform. forkserver forks the
    workers from a clean, single-threaded server process instead: as safe as
    spawn, and faster. Windows has spawn only.
    """
    import multiprocessing

    chosen = start_method(method)
    if chosen != "fork":
        return chosen
    available = multiprocessing.get_all_start_methods()
    return "forkserver" if "forkserver" in available else "spawn"


def dask_settings(method: str | None = None) -> dict[str, object]:
    """The Dask configuration the course uses (``dask.config.set(...)``).

    - ``distributed.worker.multiprocessing-method``: how the nannies start
      worker processes, :func:`worker_start_method` (Dask's default is spawn
      everywhere);
    - ``distributed.admin.tick.limit``: a busy 2-core machine can stall an
      event loop for a few seconds; Dask would warn after 3 s;
    - on the free-threaded 3.13 only, ``distributed.worker.profile.enabled``
      off. Dask's profiler reads other threads' frames
      (``sys._current_frames()``) while they run, and on that build reading
      a frame its thread is leaving is a use-after-free (CPython gh-152355,
      fixed in 3.14, not backported). Measured on 3.13.5t, sampling every
      1 ms: the process of the scheduler and the client crashed (SIGSEGV)
      in 2 of 3 runs of 15 s, and workers died in all three; with profiling
      off nothing died in 3 runs, nor on the GIL build 3.13 in 2.
    """
    settings: dict[str, object] = {
        "distributed.worker.multiprocessing-method": worker_start_method(method),
        "distributed.admin.tick.limit": "60s",
    }
    if free_threaded_build() and sys.version_info < (3, 14):
        settings["distributed.worker.profile.enabled"] = False
    return settings


def quiet_worker_logs(level: int = logging.CRITICAL) -> Any:
    """A worker plugin that keeps the workers' own log lines out of the notebook.

    Pass it as ``LocalCluster(..., plugins={lab.quiet_worker_logs()})``. Errors
    of tasks still reach you: the client raises them. On a real cluster, read
    the workers' logs in the dashboard (Info) or ``client.get_worker_logs()``.
    """
    require_dask()
    from .daskplugin import QuietWorkerLogs

    return QuietWorkerLogs(check_int("level", level, minimum=0, maximum=100))


@contextlib.contextmanager
def local_cluster(
    workers: int = 2, threads: int = 1, method: str | None = None, **options: Any
) -> Iterator[Any]:
    """This machine as a Dask cluster: ``workers`` worker processes on 127.0.0.1.

    A context manager around the call ``13_dask.ipynb`` first writes out in
    full::

        LocalCluster(n_workers=workers, threads_per_worker=threads,
                     processes=True, host="127.0.0.1",
                     dashboard_address="127.0.0.1:0",
                     silence_logs=logging.ERROR,
                     plugins={quiet_worker_logs()})

    started under :func:`dask_settings` (``method``, default the course's
    start method), with the workers' scratch space (``dask-scratch-space``,
    which Dask never removes) in a temporary folder of its own. Without
    bokeh there is no dashboard (``dashboard_address=None``). ``options`` go
    to ``LocalCluster``. Leaving the ``with`` block closes the workers, the
    nannies and the scheduler, then removes the folder, also on an error or
    an interrupt::

        with lab.local_cluster(2) as cluster, Client(cluster) as client:
            ...
    """
    require_dask()
    import dask
    from dask.distributed import LocalCluster

    check_int("workers", workers, minimum=1, maximum=16)
    check_int("threads", threads, minimum=1, maximum=16)
    with tempfile.TemporaryDirectory(prefix="conclab-dask-") as scratch:
        kwargs: dict[str, Any] = {
            "n_workers": workers,
            "threads_per_worker": threads,
            "processes": True,
            "host": "127.0.0.1",
            "dashboard_address": "127.0.0.1:0" if dashboard_available() else None,
            "silence_logs": logging.ERROR,
            "plugins": {quiet_worker_logs()},
            "local_directory": scratch,
            **options,
        }
        # the scheduler and the nannies make a scratch space too, where the
        # configuration says (by default in the system's temporary folder)
        with dask.config.set({**dask_settings(method), "temporary-directory": scratch}):
            cluster = LocalCluster(**kwargs)
        with cluster:
            yield cluster


# ---------------------------------------------------------------------------
# Logs of the scheduler and the nannies (this process)
# ---------------------------------------------------------------------------


class LogLines(list):
    """The log lines :func:`capture_logs` caught, as ``"logger LEVEL message"``."""

    def matching(self, text: str) -> list[str]:
        """The lines that contain ``text``."""
        return [line for line in self if text in line]


class _ListHandler(logging.Handler):
    def __init__(self, lines: LogLines) -> None:
        super().__init__(logging.DEBUG)
        self.lines = lines
        self._lock_lines = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = f"{record.name} {record.levelname} {record.getMessage()}"
        except Exception:  # a bad format string must not break the cluster
            line = f"{record.name} {record.levelname} {record.msg!r}"
        with self._lock_lines:
            self.lines.append(line)


@contextlib.contextmanager
def capture_logs(
    name: str = "distributed", level: int = logging.INFO
) -> Iterator[LogLines]:
    """Catch what logger ``name`` logs at ``level`` and above, and keep it off
    stderr, for the duration of the block; yields the list of lines.

    In a ``LocalCluster`` the scheduler and the nannies run in *this*
    process: their warnings (``Restarting worker``) would be printed into
    the cell. ``13_dask.ipynb`` kills a worker inside this block and prints
    what Dask said instead. Nest it inside the cluster's ``with`` block.
    """
    check_int("level", level, minimum=0, maximum=100)
    logger = logging.getLogger(name)
    lines = LogLines()
    handler = _ListHandler(lines)
    handler.setLevel(level)
    muted = [
        (h, h.level) for h in logger.handlers if isinstance(h, logging.StreamHandler)
    ]
    old_level = logger.level
    for h, _ in muted:
        h.setLevel(logging.CRITICAL + 1)
    logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > level:
        logger.setLevel(level)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        for h, old in muted:
            h.setLevel(old)


# ---------------------------------------------------------------------------
# What is left running
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """Threads, child processes and listening sockets of this process, now.

    ``threads``: ``{ident: name}`` (without the process-wide ones, see
    :func:`leftovers`); ``processes``: ``{pid: command line}`` of
    the children (recursively), without multiprocessing's process-wide
    helpers; ``listening``: ``{(pid, "127.0.0.1:port")}`` of this process and
    its children.
    """

    threads: dict[int, str] = field(default_factory=dict)
    processes: dict[int, str] = field(default_factory=dict)
    listening: frozenset[tuple[int, str]] = frozenset()


def snapshot() -> Snapshot:
    """What runs now (see :class:`Snapshot`); take one before a demo."""
    import psutil

    me = psutil.Process()
    threads = {
        t.ident or 0: t.name
        for t in threading.enumerate()
        if not t.name.startswith(PROCESS_WIDE_THREADS)
        and f"{type(t).__module__}.{type(t).__qualname__}"
        not in PROCESS_WIDE_THREAD_CLASSES
    }
    processes: dict[int, str] = {}
    listening: set[tuple[int, str]] = set()
    for proc in [me, *me.children(recursive=True)]:
        try:
            if proc.pid != me.pid:
                line = " ".join(proc.cmdline())
                if any(helper in line for helper in PROCESS_WIDE_HELPERS):
                    continue
                processes[proc.pid] = line
            for conn in inet_connections(proc):
                if conn.status == psutil.CONN_LISTEN and conn.laddr:
                    listening.add((proc.pid, f"{conn.laddr.ip}:{conn.laddr.port}"))
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return Snapshot(threads, processes, frozenset(listening))


def _new_things(before: Snapshot, now: Snapshot) -> dict[str, list[str]]:
    threads = [
        name for ident, name in now.threads.items() if ident not in before.threads
    ]
    processes = [
        f"pid {pid}: {line[:80]}"
        for pid, line in now.processes.items()
        if pid not in before.processes
    ]
    listening = sorted(
        f"{address} (pid {pid})" for pid, address in now.listening - before.listening
    )
    return {"threads": sorted(threads), "processes": processes, "listening": listening}


def leftovers(before: Snapshot, timeout: float = 10.0) -> dict[str, list[str]]:
    """What runs now that did not run at ``before``: ``{"threads": […],
    "processes": […], "listening": […]}``, all empty when a cluster closed
    cleanly.

    Threads and processes take a moment to end after ``close()`` returns,
    so this looks again every 50 ms, for up to ``timeout`` seconds, until
    nothing new is left. Threads and processes that live as long as the
    process whatever you do (:data:`PROCESS_WIDE_THREADS`,
    :data:`PROCESS_WIDE_HELPERS`: Dask's offload thread, pyzmq's garbage
    collector, multiprocessing's resource tracker and fork server) do not
    count.
    """
    if not isinstance(before, Snapshot):
        raise TypeError(
            "before must be a Snapshot from lab.snapshot(), "
            f"got {type(before).__name__}"
        )
    timeout = check_number("timeout", timeout, minimum=0.0, maximum=120.0)
    deadline = time.monotonic() + timeout
    while True:
        found = _new_things(before, snapshot())
        if not any(found.values()) or time.monotonic() >= deadline:
            return found
        time.sleep(0.05)


# ---------------------------------------------------------------------------
# Timing the same tasks on a process pool and on Dask
# ---------------------------------------------------------------------------


def time_pool(
    pool: Any, func: Callable[[Any], Any], inputs: Sequence[Any], timeout: float = 60
) -> float:
    """Seconds a ``concurrent.futures`` pool takes to run ``func`` on every input.

    One ``submit`` per input, then every ``result`` (``13_dask.ipynb``).
    """
    start = time.perf_counter()
    futures = [pool.submit(func, x) for x in inputs]
    for future in futures:
        future.result(timeout=timeout)
    return time.perf_counter() - start


def time_dask(
    client: Any, func: Callable[[Any], Any], inputs: Sequence[Any], timeout: float = 60
) -> float:
    """Seconds a Dask client takes to run ``func`` on every input.

    ``client.map`` (with ``pure=False``: equal inputs are still separate
    tasks), then ``client.gather`` (``13_dask.ipynb``).
    """
    from dask.distributed import wait

    start = time.perf_counter()
    futures = client.map(func, list(inputs), pure=False)
    wait(futures, timeout=timeout)
    client.gather(futures)
    return time.perf_counter() - start


@dataclass(frozen=True)
class TaskSizeRow:
    """One measurement of :func:`task_size_sweep`.

    ``engine`` ("process pool" or "dask"), ``workers``, ``size`` (seconds of
    CPU per task), ``tasks``, ``wall`` (seconds), ``cores``. Derived:
    ``work`` (``tasks * size``), ``ideal`` (the best wall time,
    ``work / min(workers, cores)``), ``speedup`` (``work / wall``),
    ``overhead`` (seconds per task beyond the ideal).
    """

    engine: str
    workers: int
    size: float
    tasks: int
    wall: float
    cores: int

    @property
    def work(self) -> float:
        return self.tasks * self.size

    @property
    def ideal(self) -> float:
        return self.work / min(self.workers, self.cores)

    @property
    def speedup(self) -> float:
        return self.work / self.wall if self.wall > 0 else float("inf")

    @property
    def overhead(self) -> float:
        return max(0.0, self.wall - self.ideal) / self.tasks


#: The task sizes (seconds of CPU per task) the panel sweeps by default.
DEFAULT_SIZES = (0.0001, 0.001, 0.01, 0.1)


def _check_sizes(sizes: Iterable[float]) -> tuple[float, ...]:
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Iterable):
        raise TypeError("sizes must be a list of task sizes in seconds")
    out = tuple(check_number("sizes", s, minimum=0.0, maximum=1.0) for s in sizes)
    if not out:
        raise ValueError("sizes must not be empty")
    return out


def task_size_sweep(
    workers: int = 2,
    sizes: Iterable[float] = DEFAULT_SIZES,
    tasks: int = 8,
    method: str | None = None,
) -> list[TaskSizeRow]:
    """Run ``tasks`` × :func:`conclab.burn` ``(size)`` for each size, on a
    ``ProcessPoolExecutor`` and on a Dask ``LocalCluster`` of ``workers``
    processes each (``13_dask.ipynb``'s panel).

    Both are started and warmed up first (their start-up is not timed), then
    for each size the pool and Dask run the same tasks back to back. The
    pool and the cluster are closed by ``with`` blocks before this returns,
    also on an error or an interrupt.
    """
    from concurrent.futures import ProcessPoolExecutor

    from .dasktasks import burn, noop

    require_dask()
    from dask.distributed import Client

    check_int("workers", workers, minimum=1, maximum=8)
    check_int("tasks", tasks, minimum=1, maximum=256)
    chosen = _check_sizes(sizes)
    cores = usable_cores()
    rows: list[TaskSizeRow] = []
    with (
        ProcessPoolExecutor(max_workers=workers, mp_context=mp_context(method)) as pool,
        local_cluster(workers, method=method) as cluster,
        Client(cluster.scheduler_address) as client,
    ):
        time_pool(pool, burn, [0.02] * workers)  # every pool worker started
        time_dask(client, noop, range(workers))
        for size in chosen:
            wall = time_pool(pool, burn, [size] * tasks)
            rows.append(TaskSizeRow("process pool", workers, size, tasks, wall, cores))
            wall = time_dask(client, burn, [size] * tasks)
            rows.append(TaskSizeRow("dask", workers, size, tasks, wall, cores))
    return rows
