"""Inter-process communication: pipes, queues, shared memory, managers.

Introduced in ``04_ipc.ipynb``. Everything that runs in a child process is a
module-level function here, so ``spawn`` and ``forkserver`` children can
import it by name; the parent side lives in the notebook or in the helpers
below. Children never print: they send data back and the parent prints.
Every helper starts its processes through :func:`conclab.env.mp_context`
and stops them in a ``finally`` block, so an exception or a
``KeyboardInterrupt`` leaves no child, queue thread or shared-memory
segment behind.
"""

from __future__ import annotations

import os
import pickle
import re
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from multiprocessing import shared_memory
from typing import Any

from ._validate import check_callable, check_choice, check_int, check_number
from .checks import Verdict, check_answers, verdict
from .env import mp_context
from .processes import run_script

__all__ = [
    "PANEL_SIZES",
    "TRANSPORTS",
    "SharedMemoryWatch",
    "TransportResult",
    "add_one",
    "add_one_to_item",
    "attach_shared_memory",
    "beats",
    "check_letter_counts",
    "check_sendable",
    "check_shared_squares",
    "check_split",
    "count_share",
    "count_texts_processes",
    "count_texts_sequential",
    "count_texts_threads",
    "echo_pipe",
    "echo_queue",
    "echo_shared",
    "format_size",
    "join_before_drain",
    "leak_demo",
    "leftover_children",
    "lost_updates",
    "manager_add",
    "measure_transports",
    "plot_transports",
    "produce",
    "proxy_call_cost",
    "put_big",
    "scale_shared",
    "shared_array",
    "shared_memory_segments",
    "split_evenly",
    "square_server",
    "square_shared",
    "stop_process",
    "transport_panel",
    "try_pickle",
    "use_after_close_demo",
    "watch_shared_memory",
]

#: The three ways of moving bytes that ``measure_transports`` compares.
TRANSPORTS = ("pipe", "queue", "shared memory")

_JOIN_TIMEOUT = 10.0


# ---------------------------------------------------------------------------
# Small helpers used by the parent side
# ---------------------------------------------------------------------------


def stop_process(process: Any, timeout: float = _JOIN_TIMEOUT) -> int | None:
    """Join ``process``; terminate (then kill) it if it is still alive.

    The ``finally`` clause of every demo in ``04_ipc.ipynb``: whatever went
    wrong, no child outlives the cell. Returns the exit code.
    """
    timeout = check_number("timeout", timeout, minimum=0)
    if process.pid is None:  # never started
        return None
    process.join(timeout)
    if process.is_alive():
        process.terminate()
        process.join(2.0)
    if process.is_alive():
        process.kill()
        process.join(2.0)
    return process.exitcode


def _get(queue: Any, children: Sequence[Any], timeout: float = 60.0) -> Any:
    """``queue.get()`` that gives up early when every child has died."""
    import queue as queue_module

    deadline = time.monotonic() + timeout
    while True:
        try:
            return queue.get(timeout=0.05)
        except queue_module.Empty:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"nothing on the queue after {timeout:g} s"
                ) from None
            if not any(child.is_alive() for child in children):
                try:  # the last message may have arrived just now
                    return queue.get(timeout=0.2)
                except queue_module.Empty:
                    codes = [child.exitcode for child in children]
                    raise RuntimeError(
                        f"the child processes exited (exit codes {codes}) "
                        "without sending a result"
                    ) from None


def _wait_event(event: Any, child: Any, timeout: float = _JOIN_TIMEOUT) -> bool:
    """``event.wait()`` that gives up early when ``child`` has died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if event.wait(0.05):
            return True
        if not child.is_alive():
            return event.is_set()
    return False


def format_size(nbytes: int) -> str:
    """``1024 -> '1 KiB'``: the size labels of the transport plot."""
    size = float(check_int("nbytes", nbytes, minimum=0))
    for unit in ("B", "KiB"):
        if size < 1024:
            return f"{size:.4g} {unit}"
        size /= 1024
    return f"{size:.4g} MiB"


def try_pickle(obj: Any, size: bool = True) -> str:
    """Pickle ``obj`` (what a Pipe, Queue or spawn child does); say what happened.

    Returns ``"ok (N bytes)"`` (just ``"ok"`` with ``size=False``) or the
    error's type and the first line of its message, e.g.
    ``"TypeError: cannot pickle 'socket' object"``. ``04_ipc.ipynb``.
    """
    try:
        data = pickle.dumps(obj)
    except Exception as exc:  # the point is to show which error
        first = str(exc).splitlines()[0] if str(exc) else ""
        return f"{type(exc).__name__}: {first}"
    return f"ok ({len(data)} bytes)" if size else "ok"


def leftover_children() -> list[str]:
    """Names of this process's live child processes, except the helpers
    multiprocessing keeps on purpose (the forkserver and the resource
    tracker). An empty list means every demo cleaned up after itself.
    """
    import psutil

    def alive(process: psutil.Process) -> bool:
        try:
            return process.status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False

    left = []
    for child in psutil.Process().children():
        try:
            cmdline = " ".join(child.cmdline())
            below = child.children(recursive=True)
        except psutil.Error:
            continue
        if "resource_tracker" in cmdline:
            continue
        # The forkserver stays on purpose; the processes it forked must not.
        suspects = below if "forkserver" in cmdline else [child, *below]
        left.extend(p.name() for p in suspects if alive(p))
    return left


# ---------------------------------------------------------------------------
# Messages: Pipe, Queue, SimpleQueue
# ---------------------------------------------------------------------------


def square_server(conn: Any) -> None:
    """Child side of the Pipe demo: receive numbers, send back their squares.

    Stops at ``None``. Introduced in ``04_ipc.ipynb``.
    """
    try:
        while True:
            number = conn.recv()
            if number is None:
                break
            conn.send(number * number)
    finally:
        conn.close()


def produce(queue: Any, worker: int, count: int) -> None:
    """Child side of the Queue demo: put ``(worker, i, i * i)`` for each i.

    Works with ``Queue`` and ``SimpleQueue`` alike. ``04_ipc.ipynb``.
    """
    for i in range(count):
        queue.put((worker, i, i * i))


def put_big(queue: Any, nbytes: int, done: Any) -> None:
    """Put one ``nbytes`` message on ``queue``, then set the ``done`` event.

    The join-before-draining trap of ``04_ipc.ipynb``: ``put`` returns at
    once (a feeder thread writes to the pipe), but the process cannot exit
    until the feeder has flushed everything, which needs a reader.
    """
    queue.put(b"x" * nbytes)
    done.set()


def join_before_drain(
    nbytes: int = 1 << 20, wait: float = 0.3, start_method: str | None = None
) -> dict[str, Any]:
    """Run the join-before-draining trap safely and report what happened.

    Returns ``{"alive_after_join": bool, "received": int, "exitcode": int}``:
    the child is still alive after ``join(wait)`` when ``nbytes`` is larger
    than the pipe buffer, and exits 0 once the parent has read the message.
    """
    nbytes = check_int("nbytes", nbytes, minimum=1)
    wait = check_number("wait", wait, minimum=0)
    ctx = mp_context(start_method)
    queue, done = ctx.Queue(), ctx.Event()
    child = ctx.Process(target=put_big, args=(queue, nbytes, done))
    child.start()
    try:
        if not _wait_event(done, child):
            raise RuntimeError(f"the child exited with code {child.exitcode}")
        child.join(wait)
        alive = child.is_alive()
        received = len(_get(queue, [child], _JOIN_TIMEOUT))
        child.join(_JOIN_TIMEOUT)
        return {
            "alive_after_join": alive,
            "received": received,
            "exitcode": child.exitcode,
        }
    finally:
        stop_process(child)
        queue.close()
        queue.join_thread()


# ---------------------------------------------------------------------------
# Shared memory: Value / Array, SharedMemory, Manager
# ---------------------------------------------------------------------------


def add_one(counter: Any, times: int, barrier: Any, locked: bool = False) -> None:
    """Child of the lost-update demo: ``counter.value += 1``, ``times`` times.

    Both children meet at ``barrier`` first so that they really overlap.
    With ``locked=True`` every increment holds ``counter.get_lock()``.
    ``04_ipc.ipynb``.
    """
    barrier.wait(_JOIN_TIMEOUT)
    for _ in range(times):
        if locked:
            with counter.get_lock():
                counter.value += 1
        else:
            counter.value += 1


def add_one_to_item(array: Any, times: int, barrier: Any, locked: bool = False) -> None:
    """Like :func:`add_one`, for item 0 of a shared ``Array``. ``04_ipc.ipynb``."""
    barrier.wait(_JOIN_TIMEOUT)
    for _ in range(times):
        if locked:
            with array.get_lock():
                array[0] += 1
        else:
            array[0] += 1


def lost_updates(
    times: int = 50_000,
    locked: bool = False,
    kind: str = "Value",
    start_method: str | None = None,
    attempts: int = 1,
) -> int:
    """Two processes add 1 ``times`` times each to one shared counter.

    Returns how many of the ``2 * times`` increments were lost (0 when
    ``locked``). ``kind`` is ``"Value"`` or ``"Array"``. A race is
    statistical: on a busy machine one child may finish before the other
    gets a core, and nothing is lost that time. With ``attempts > 1`` it
    tries again, up to that many times, until some update is lost.
    ``04_ipc.ipynb``.
    """
    times = check_int("times", times, minimum=1)
    attempts = check_int("attempts", attempts, minimum=1)
    check_choice("kind", kind, ("Value", "Array"))
    lost = 0
    for _ in range(attempts):
        lost = _lost_once(times, locked, kind, start_method)
        if lost:
            break
    return lost


def _lost_once(times: int, locked: bool, kind: str, start_method: str | None) -> int:
    ctx = mp_context(start_method)
    counter = ctx.Value("i", 0) if kind == "Value" else ctx.Array("i", 1)
    barrier = ctx.Barrier(2)
    target = add_one if kind == "Value" else add_one_to_item
    children = [
        ctx.Process(target=target, args=(counter, times, barrier, locked))
        for _ in range(2)
    ]
    try:
        for child in children:
            child.start()
        for child in children:
            child.join(_JOIN_TIMEOUT * 3)
    finally:
        for child in children:
            stop_process(child)
    final = counter.value if kind == "Value" else counter[0]
    return 2 * times - final


def attach_shared_memory(name: str) -> shared_memory.SharedMemory:
    """Attach to an existing segment without becoming responsible for it.

    On Python 3.13+ this passes ``track=False``, so the resource tracker
    only knows the creator's handle; before 3.13 attaching registers the
    name again, which is harmless for children of the creator (they share
    its tracker). ``04_ipc.ipynb``.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty str, got {name!r}")
    if sys.version_info >= (3, 13):
        return shared_memory.SharedMemory(name=name, track=False)
    return shared_memory.SharedMemory(name=name)


def shared_array(shm: shared_memory.SharedMemory, shape: Any, dtype: Any) -> Any:
    """A NumPy array of ``shape`` and ``dtype`` on the segment's bytes.

    Uses ``np.frombuffer``, which holds the segment's buffer for as long as
    the array lives: ``shm.close()`` then raises ``BufferError`` instead of
    leaving an array that points at unmapped memory (``np.ndarray(...,
    buffer=shm.buf)`` does not hold it: using such an array after
    ``close()`` crashes the process). Delete the array before ``close()``.
    ``04_ipc.ipynb``.
    """
    import numpy as np

    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    count = 1
    for n in shape:
        count *= check_int("shape item", n, minimum=0)
    return np.frombuffer(shm.buf, dtype=dtype, count=count).reshape(shape)


def scale_shared(name: str, shape: tuple[int, ...], dtype: str, factor: float) -> None:
    """Child of the SharedMemory demo: multiply a NumPy array in place.

    Attaches the segment ``name``, views it as an array of ``shape`` and
    ``dtype``, multiplies by ``factor``, drops the view and closes (never
    unlinks: that is the creator's job). ``04_ipc.ipynb``.
    """
    shm = attach_shared_memory(name)
    try:
        array = shared_array(shm, shape, dtype)
        array *= factor
        del array  # close() refuses while the array holds the buffer
    finally:
        shm.close()


def square_shared(name: str, start: int, stop: int) -> None:
    """Child of the shared-memory exercise: square ``int64`` items in place.

    Squares items ``start:stop`` of the ``int64`` array stored in segment
    ``name``. ``04_ipc.ipynb``.
    """
    shm = attach_shared_memory(name)
    try:
        array = shared_array(shm, shm.size // 8, "int64")
        array[start:stop] **= 2
        del array
    finally:
        shm.close()


_USE_AFTER_CLOSE_SCRIPT = """
import resource
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core file, please
from multiprocessing import shared_memory
import numpy as np
shm = shared_memory.SharedMemory(create=True, size=16)
try:
    view = np.ndarray((2,), dtype=np.int64, buffer=shm.buf)
    shm.close()
    print("close() raised nothing", flush=True)
    print(view[0], flush=True)  # the memory is no longer mapped
finally:
    shm.unlink()
"""


def use_after_close_demo() -> dict[str, Any]:
    """Run a fresh Python that closes a segment under a live ``np.ndarray``
    view and then reads the view. Returns ``{"printed": [...],
    "returncode": int, "crashed": bool, "signal": str | None}``.

    The read kills that process with ``SIGSEGV``. It runs on Linux only
    (elsewhere it returns ``{"skipped": reason}``): macOS would open a crash
    report dialog, Windows reports an access violation. The segment is
    unlinked before the read, and core files are disabled, so nothing is
    left behind. ``04_ipc.ipynb``.
    """
    import signal

    if not sys.platform.startswith("linux"):
        return {"skipped": "runs on Linux only (a crash would open a dialog)"}
    result = run_script(_USE_AFTER_CLOSE_SCRIPT, timeout=60)
    name = None
    if result.returncode < 0:
        try:
            name = signal.Signals(-result.returncode).name
        except ValueError:
            name = str(-result.returncode)
    return {
        "printed": result.stdout.splitlines(),
        "returncode": result.returncode,
        "crashed": result.returncode != 0,
        "signal": name,
    }


_REGISTERED: dict[str, int] = {}  # name -> registrations not yet undone


def _install_segment_log() -> None:
    """Wrap ``resource_tracker.register``/``unregister`` to keep a log.

    ``SharedMemory`` calls them (on POSIX) when a segment is created or
    attached and when it is unlinked; the names registered and never
    unregistered are exactly what the resource tracker warns about at
    shutdown. Installed once per process; the originals still run.
    """
    try:
        from multiprocessing import resource_tracker
    except ImportError:  # pragma: no cover - no tracker on this platform
        return
    if getattr(resource_tracker, "_conclab_segment_log", False):
        return
    register, unregister = resource_tracker.register, resource_tracker.unregister

    def logged_register(name: str, rtype: str) -> None:
        if rtype == "shared_memory":
            _REGISTERED[name] = _REGISTERED.get(name, 0) + 1
        register(name, rtype)

    def logged_unregister(name: str, rtype: str) -> None:
        if rtype == "shared_memory":
            _REGISTERED.pop(name, None)
        unregister(name, rtype)

    resource_tracker.register = logged_register
    resource_tracker.unregister = logged_unregister
    resource_tracker._conclab_segment_log = True  # type: ignore[attr-defined]


class SharedMemoryWatch:
    """Which shared-memory segments this process created (or attached) since
    :func:`watch_shared_memory` and has not unlinked. See ``leaked()``."""

    def __init__(self) -> None:
        _install_segment_log()
        self._before = set(_REGISTERED)

    def leaked(self) -> list[str]:
        """Names (without the leading ``/``) registered since the watch
        began and never unlinked: what the resource tracker would warn
        about at shutdown. Always empty on Windows, which has no tracker
        (a segment there disappears with its last handle)."""
        return sorted(n.lstrip("/") for n in _REGISTERED if n not in self._before)


def watch_shared_memory() -> SharedMemoryWatch:
    """Start watching this process's shared-memory segments.

    ``watch = lab.watch_shared_memory()`` … ``watch.leaked()`` lists the
    segments created since then and not unlinked. It only looks at this
    process (not at other programs' segments in ``/dev/shm``), so it is
    exact on a shared machine. ``04_ipc.ipynb``.
    """
    return SharedMemoryWatch()


def shared_memory_segments() -> set[str] | None:
    """Names of the POSIX shared-memory segments now present (``/dev/shm``).

    ``None`` where the system has no ``/dev/shm`` to list (macOS, Windows).
    Used to check that a notebook leaves no segment behind.
    """
    folder = "/dev/shm"
    if not os.path.isdir(folder):
        return None
    try:
        return {n for n in os.listdir(folder) if n.startswith(("psm_", "wnsm_"))}
    except OSError:
        return None


_LEAK_SCRIPT = """
from multiprocessing import shared_memory
shm = shared_memory.SharedMemory(create=True, size=1024)
print(shm.name.lstrip("/"))
shm.close()  # closed, but nobody calls shm.unlink()
"""


def leak_demo() -> dict[str, Any]:
    """Run a fresh Python that creates a segment and never unlinks it.

    Returns ``{"warnings": [...], "left_behind": bool}``: the resource
    tracker's warnings (machine paths and segment names removed, so the
    text is the same on every version) and
    whether the segment still exists afterwards (on POSIX the tracker
    unlinks it at shutdown; the warning is the sign of the bug).
    ``04_ipc.ipynb``.
    """
    result = run_script(_LEAK_SCRIPT, timeout=60)
    name = result.stdout.strip()
    warnings = []
    for line in result.stderr.splitlines():
        if "UserWarning:" in line:
            line = line.split("UserWarning:", 1)[1].strip()
        elif not line.strip() or line.startswith(" "):
            continue
        # 3.13+ appends the (random) names: ": {'/psm_1a2b3c'}"; drop them.
        line = re.sub(r": \{[^}]*\}$", "", line)
        if name:
            line = line.replace(name, "<segment>")
        warnings.append(line)
    left = False
    if name and sys.platform != "win32":
        try:
            probe = shared_memory.SharedMemory(name=name, create=False)
        except FileNotFoundError:
            left = False
        else:  # pragma: no cover - only if the tracker failed; clean it up
            left = True
            probe.close()
            probe.unlink()
    return {"warnings": warnings, "left_behind": left}


def manager_add(shared: Any, key: str, times: int) -> None:
    """Child of the Manager demo: ``shared[key] = i`` for i in range(times).

    ``shared`` is a ``Manager().dict()`` proxy: every assignment is a round
    trip to the manager process. ``04_ipc.ipynb``.
    """
    for i in range(times):
        shared[key] = i


def proxy_call_cost(
    calls: int = 2000, start_method: str | None = None
) -> dict[str, float]:
    """Seconds per ``d[key] = i`` on a plain dict and on a Manager dict proxy.

    ``calls`` assignments each, in 5 blocks; the fastest block counts.
    Returns ``{"dict": s, "proxy": s, "ratio": proxy / dict}``. Starts and
    shuts down its own Manager. ``04_ipc.ipynb``.
    """
    calls = check_int("calls", calls, minimum=1)

    def per_call(d: Any) -> float:
        # Another program can only add time: a single preemption must not
        # turn a ~20 ns dict assignment into a microsecond one.
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            for i in range(max(1, calls // 5)):
                d["k"] = i
            best = min(best, (time.perf_counter() - start) / max(1, calls // 5))
        return best

    t_dict = per_call({})
    with mp_context(start_method).Manager() as manager:
        t_proxy = per_call(manager.dict())
    return {"dict": t_dict, "proxy": t_proxy, "ratio": t_proxy / t_dict}


# ---------------------------------------------------------------------------
# Measured: latency and throughput vs message size
# ---------------------------------------------------------------------------


def echo_pipe(conn: Any) -> None:
    """Benchmark child: receive a message, answer with its length; ``None`` stops.

    ``04_ipc.ipynb``.
    """
    try:
        while True:
            message = conn.recv()
            if message is None:
                break
            conn.send(len(message))
    finally:
        conn.close()


def echo_queue(inbox: Any, outbox: Any) -> None:
    """Benchmark child: get a message, put its length; ``None`` stops.

    ``04_ipc.ipynb``.
    """
    while True:
        message = inbox.get()
        if message is None:
            break
        outbox.put(len(message))


def echo_shared(name: str, conn: Any) -> None:
    """Benchmark child: on each size received, copy that many bytes out of
    the shared segment ``name`` and answer with the length; ``None`` stops.

    Only the size travels through the pipe; the data is read from shared
    memory (copied once, as a reader that keeps it would). ``04_ipc.ipynb``.
    """
    shm = attach_shared_memory(name)
    try:
        while True:
            size = conn.recv()
            if size is None:
                break
            data = bytes(shm.buf[:size])
            conn.send(len(data))
    finally:
        shm.close()
        conn.close()


@dataclass(frozen=True)
class TransportResult:
    """One measured point: ``kind`` (a :data:`TRANSPORTS` item), message
    ``size`` in bytes, median round-trip ``latency`` in seconds (message
    there, a small answer back), ``throughput`` = size / latency in bytes/s,
    how many ``repeats`` the median is over, and the ``best`` (fastest)
    round trip: other programs can only slow a round trip down, so ``best``
    is the steadiest number to compare transports on a busy machine."""

    kind: str
    size: int
    latency: float
    throughput: float
    repeats: int
    best: float = 0.0


def _repeats(size: int, budget_bytes: int) -> int:
    return max(5, min(100, budget_bytes // max(size, 1)))


class _Channel:
    """One echo child and the parent's way to talk to it."""

    def __init__(self, kind: str, ctx: Any, capacity: int) -> None:
        self.kind = kind
        self.child: Any = None
        self.shm: shared_memory.SharedMemory | None = None
        self.queues: tuple[Any, ...] = ()
        self.conn: Any = None
        if kind == "queue":
            self.queues = (ctx.Queue(), ctx.Queue())
            self.child = ctx.Process(target=echo_queue, args=self.queues)
            self.child.start()
            return
        here, there = ctx.Pipe()
        self.conn = here
        if kind == "pipe":
            self.child = ctx.Process(target=echo_pipe, args=(there,))
        else:
            self.shm = shared_memory.SharedMemory(create=True, size=capacity)
            self.child = ctx.Process(target=echo_shared, args=(self.shm.name, there))
        self.child.start()
        there.close()

    def roundtrip(self, payload: bytes) -> float:
        """Send ``payload``, wait for the answer; return the seconds taken."""
        start = time.perf_counter()
        if self.kind == "pipe":
            self.conn.send(payload)
            answer = self.conn.recv()
        elif self.kind == "queue":
            self.queues[0].put(payload)
            answer = _get(self.queues[1], [self.child], _JOIN_TIMEOUT)
        else:
            assert self.shm is not None
            self.shm.buf[: len(payload)] = payload
            self.conn.send(len(payload))
            answer = self.conn.recv()
        elapsed = time.perf_counter() - start
        if answer != len(payload):
            raise RuntimeError(f"{self.kind}: child answered {answer}")
        return elapsed

    def close(self) -> None:
        """Tell the child to stop, join it, release everything."""
        try:
            if self.child is not None and self.child.is_alive():
                if self.kind == "queue":
                    self.queues[0].put(None)
                else:
                    self.conn.send(None)
        except (OSError, ValueError):
            pass
        finally:
            if self.child is not None:
                stop_process(self.child)
            for queue in self.queues:
                queue.close()
                queue.join_thread()
            if self.conn is not None:
                self.conn.close()
            if self.shm is not None:
                self.shm.close()
                self.shm.unlink()


def measure_transports(
    sizes: Iterable[int] = (64, 1024, 16 * 1024, 256 * 1024, 4 * 1024 * 1024),
    kinds: Iterable[str] = TRANSPORTS,
    budget_bytes: int = 4 * 1024 * 1024,
    start_method: str | None = None,
) -> list[TransportResult]:
    """Round-trip latency and throughput of each transport for each size.

    One echo child per transport, all alive at once. For each size, after
    one warm-up each, the transports take turns in four blocks (pipe, queue,
    shared memory, pipe, …) of ``budget_bytes // size`` round trips in all
    (5 to 100): a machine that gets busier half-way slows them all alike,
    and within a block the caches stay warm. The median is kept. The
    message is ``bytes`` of that size; the answer is its length (a small
    int). ``shared memory`` writes the bytes into a segment, sends only the
    size through a pipe, and the child copies the bytes out.
    ``04_ipc.ipynb``.
    """
    sizes = sorted({check_int("size", s, minimum=1, maximum=64 << 20) for s in sizes})
    if not sizes:
        raise ValueError("sizes must name at least one message size")
    kinds = [check_choice("kind", k, TRANSPORTS) for k in kinds]
    if not kinds:
        raise ValueError(f"kinds must name at least one of {TRANSPORTS}")
    kinds = [k for k in TRANSPORTS if k in kinds]  # fixed order, no repeats
    budget_bytes = check_int("budget_bytes", budget_bytes, minimum=1)
    ctx = mp_context(start_method)
    channels: list[_Channel] = []
    times: dict[tuple[str, int], list[float]] = {}
    try:
        for kind in kinds:
            channels.append(_Channel(kind, ctx, max(sizes)))
        for size in sizes:
            payload = bytes(size)
            for channel in channels:
                channel.roundtrip(payload)  # warm up buffers and code paths
            repeats = _repeats(size, budget_bytes)
            rounds = min(4, repeats)
            for turn in range(rounds):  # take turns, a block of round trips each
                block = repeats // rounds + (turn < repeats % rounds)
                for channel in channels:
                    samples = times.setdefault((channel.kind, size), [])
                    samples.extend(channel.roundtrip(payload) for _ in range(block))
    finally:
        for channel in channels:
            channel.close()
    results = []
    for kind in kinds:
        for size in sizes:
            samples = times[kind, size]
            latency = statistics.median(samples)
            results.append(
                TransportResult(
                    kind, size, latency, size / latency, len(samples), min(samples)
                )
            )
    return results


def beats(
    fast: str,
    slow: str,
    size: int,
    results: Sequence[TransportResult] = (),
    attempts: int = 3,
    start_method: str | None = None,
) -> bool:
    """True when transport ``fast`` has a quicker best round trip than
    ``slow`` for ``size``-byte messages.

    Looks at ``results`` first (from :func:`measure_transports`); if they
    do not show it, measures the two again, up to ``attempts`` times in all:
    a busy machine can slow any single measurement. ``04_ipc.ipynb``.
    """
    check_choice("fast", fast, TRANSPORTS)
    check_choice("slow", slow, TRANSPORTS)
    size = check_int("size", size, minimum=1, maximum=64 << 20)
    attempts = check_int("attempts", attempts, minimum=1)

    def shows_it(points: Sequence[TransportResult]) -> bool | None:
        best = {r.kind: r.best for r in points if r.size == size}
        if fast not in best or slow not in best:
            return None
        return best[fast] < best[slow]

    verdict_ = shows_it(results)
    tries = 1 if verdict_ is not None else 0
    while not verdict_ and tries < attempts:
        fresh = measure_transports([size], [fast, slow], start_method=start_method)
        verdict_ = shows_it(fresh)
        tries += 1
    return bool(verdict_)


def plot_transports(
    results: Sequence[TransportResult], title: str = "", stat: str = "best"
) -> Any:
    """Two log-log panels: round-trip time and throughput vs message size.

    ``stat="best"`` plots each point's fastest round trip (steady even on a
    busy machine: other programs only ever add time), ``"median"`` the
    typical one.

    Object-oriented matplotlib via :func:`conclab.figure` (no pyplot state);
    show it with ``lab.show(fig)``. ``04_ipc.ipynb``.
    """
    from matplotlib.ticker import FixedLocator, NullLocator

    from .plots import figure

    if not results:
        raise ValueError("results is empty: run measure_transports first")
    check_choice("stat", stat, ("best", "median"))

    def seconds(r: TransportResult) -> float:
        return r.best if stat == "best" and r.best > 0 else r.latency

    fig, (ax_lat, ax_tp) = figure(ncols=2, figsize=(12, 4.6))
    styles = {
        "pipe": {"marker": "o", "color": "#1f77b4"},
        "queue": {"marker": "s", "color": "#ff7f0e"},
        "shared memory": {"marker": "^", "color": "#2ca02c"},
    }
    sizes = sorted({r.size for r in results})
    for kind in TRANSPORTS:
        points = sorted((r for r in results if r.kind == kind), key=lambda r: r.size)
        if not points:
            continue
        xs = [r.size for r in points]
        ax_lat.plot(xs, [seconds(r) * 1e6 for r in points], label=kind, **styles[kind])
        ax_tp.plot(
            xs, [r.size / seconds(r) / 1e6 for r in points], label=kind, **styles[kind]
        )
    for ax in (ax_lat, ax_tp):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.xaxis.set_major_locator(FixedLocator(sizes))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticklabels([format_size(s) for s in sizes])
        ax.set_xlabel("message size (log scale)", fontsize=13)
        ax.grid(True, which="both", alpha=0.3)
        if len(sizes) == 1:
            ax.set_xlim(sizes[0] / 2, sizes[0] * 2)
    ax_lat.set_ylabel(f"{stat} round trip, µs (log scale)", fontsize=13)
    ax_lat.set_title("Latency: lower is better", fontsize=14)
    ax_tp.set_ylabel("throughput, MB/s (log scale)", fontsize=13)
    ax_tp.set_title("Throughput: higher is better", fontsize=14)
    ax_lat.legend(fontsize=12)
    if title:
        fig.suptitle(title, fontsize=15)
    return fig


#: The sizes the transport panel offers.
PANEL_SIZES = (64, 1024, 16 * 1024, 256 * 1024, 1 << 20, 4 << 20, 16 << 20)


def _empty_figure(message: str) -> Any:
    from .plots import figure

    fig, ax = figure(figsize=(12, 4.6))
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=14)
    return fig


def transport_panel(
    sizes: Sequence[int] = (64, 16 * 1024, 1 << 20),
    kinds: Sequence[str] = TRANSPORTS,
    start_method: str | None = None,
    results: Sequence[TransportResult] | None = None,
) -> Any:
    """A panel: pick message sizes and transports, press Run, see the plot.

    Built on :func:`conclab.figure_panel` (a ``widgets.Image`` of PNG bytes,
    works with ipywidgets 7.7.1 and 8). The first plot shows ``results``
    when given (measurements you already have, e.g. from
    :func:`measure_transports`; their sizes and transports preselected),
    otherwise it measures ``sizes`` x ``kinds`` once, so a stored notebook
    shows a plot. Every press of Run measures afresh. ``04_ipc.ipynb``.
    """
    import ipywidgets as widgets

    from .widgets import figure_panel

    first: list[TransportResult] = []
    if results is not None:
        first = list(results)
        if not first or not all(isinstance(r, TransportResult) for r in first):
            raise TypeError("results must be a non-empty list of TransportResult")
        sizes = sorted({r.size for r in first})
        kinds = [k for k in TRANSPORTS if any(r.kind == k for r in first)]
    sizes = tuple(check_choice("size", s, PANEL_SIZES) for s in sizes)
    kinds = tuple(check_choice("kind", k, TRANSPORTS) for k in kinds)
    options = [(format_size(s), s) for s in PANEL_SIZES]
    style = {"description_width": "initial"}

    def transports(sizes: tuple[int, ...] = sizes, kinds: tuple[str, ...] = kinds):
        if first:  # the first render shows the results we were given
            shown = plot_transports(first)
            first.clear()
            return shown
        if not sizes or not kinds:
            return _empty_figure("Pick at least one size and one transport.")
        measured = measure_transports(sizes, kinds, start_method=start_method)
        return plot_transports(measured)

    return figure_panel(
        transports,
        manual=True,
        sizes=widgets.SelectMultiple(
            options=options,
            value=sizes,
            rows=len(options),
            description="sizes (ctrl-click)",
            style=style,
        ),
        kinds=widgets.SelectMultiple(
            options=list(TRANSPORTS),
            value=kinds,
            rows=len(TRANSPORTS),
            description="transports",
            style=style,
        ),
    )


# ---------------------------------------------------------------------------
# The notes' letter counter with processes
# ---------------------------------------------------------------------------


def _count(texts: Iterable[str]) -> Counter:
    from .workloads import count_letters

    total: Counter = Counter()
    for text in texts:
        total.update(count_letters(text))
    return total


def count_share(texts: list[str], queue: Any, index: int) -> None:
    """Child of the letter counter: count ``texts``, put ``(index, Counter)``.

    Counts locally, sends one message: nothing shared, nothing locked.
    ``04_ipc.ipynb``.
    """
    queue.put((index, _count(texts)))


def split_evenly(items: Sequence[Any], workers: int) -> list[list[Any]]:
    """Deal ``items`` round-robin into ``workers`` shares (some may be empty)."""
    workers = check_int("workers", workers, minimum=1)
    return [list(items[i::workers]) for i in range(workers)]


def count_texts_sequential(texts: Iterable[str]) -> Counter:
    """Letter counts of all ``texts``, one after the other. ``04_ipc.ipynb``."""
    return _count(texts)


def count_texts_threads(texts: Sequence[str], workers: int = 2) -> Counter:
    """Each of ``workers`` threads counts a share; the caller merges.

    The GIL lets only one of them count at a time. ``04_ipc.ipynb``.
    """
    workers = check_int("workers", workers, minimum=1)
    shares = split_evenly(list(texts), workers)
    parts: list[Counter] = [Counter() for _ in shares]

    def work(i: int) -> None:
        parts[i] = _count(shares[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total: Counter = Counter()
    for part in parts:
        total.update(part)
    return total


def count_texts_processes(
    texts: Sequence[str], workers: int = 2, start_method: str | None = None
) -> Counter:
    """Each of ``workers`` processes counts a share and puts a ``Counter``
    on a queue; the parent gets them all (before joining) and merges.
    ``04_ipc.ipynb``."""
    workers = check_int("workers", workers, minimum=1)
    ctx = mp_context(start_method)
    queue = ctx.Queue()
    shares = split_evenly(list(texts), workers)
    children = [
        ctx.Process(target=count_share, args=(share, queue, i))
        for i, share in enumerate(shares)
    ]
    try:
        for child in children:
            child.start()
        parts = dict(_get(queue, children) for _ in children)  # drain first …
        for child in children:  # … then join
            child.join(_JOIN_TIMEOUT)
    finally:
        for child in children:
            stop_process(child)
        queue.close()
        queue.join_thread()
    total: Counter = Counter()
    for i in range(len(children)):
        total.update(parts[i])
    return total


# ---------------------------------------------------------------------------
# Checkers for the exercises of 04_ipc.ipynb
# ---------------------------------------------------------------------------


def check_letter_counts(counts: Any, texts: Iterable[str]) -> Verdict:
    """Verdict: ``counts`` equals the sequential letter count of ``texts``."""
    expected = dict(count_texts_sequential(texts))
    if not isinstance(counts, dict):
        return verdict(
            False, "", f"expected a dict or Counter, got {type(counts).__name__}"
        )
    got = {k: v for k, v in counts.items() if v}
    want = {k: v for k, v in expected.items() if v}
    wrong = sorted(k for k in set(got) | set(want) if got.get(k) != want.get(k))
    return verdict(
        not wrong,
        f"identical to the sequential count ({sum(want.values()):,} letters).",
        f"{len(wrong)} letters differ from the sequential count "
        f"(first: {wrong[:3]}); did every share get counted exactly once?",
    )


_SENDABLE = {
    "a dict of lists": True,
    "a lambda": False,
    "a function from conclab": True,
    "an open file": False,
    "a threading.Event": False,
    "1 MB of bytes": True,
    "a generator": False,
}

_SENDABLE_WHY = {
    "a dict of lists": "plain data pickles",
    "a lambda": "pickle stores functions by name; a lambda has none",
    "a function from conclab": "stored by name (module + qualified name)",
    "an open file": "it wraps this process's file descriptor: TypeError",
    "a threading.Event": "it holds a threading lock: cannot pickle '_thread.lock'",
    "1 MB of bytes": "any size pickles; big messages are just slow",
    "a generator": "TypeError: cannot pickle 'generator' object",
}


def check_sendable(answers: dict[str, bool]) -> Verdict:
    """Checker of exercise 1: which objects can be put on a Queue?"""
    return check_answers(answers, _SENDABLE, _SENDABLE_WHY, name="answers")


def check_split(split: Callable[[list[int], int], Any], workers: int = 3) -> Verdict:
    """Checker of exercise 2: ``split(items, workers)`` must return
    ``workers`` lists that together hold every item exactly once."""
    check_callable("split", split)
    items = list(range(1000, 1020))
    try:
        shares = split(items, workers)
    except Exception as exc:
        return verdict(False, "", f"split raised {type(exc).__name__}: {exc}")
    if shares is None:
        return verdict(False, "", "split returned None; return a list of lists")
    shares = [list(s) for s in shares]
    flat = sorted(x for s in shares for x in s)
    if len(shares) != workers:
        return verdict(False, "", f"asked for {workers} shares, got {len(shares)}")
    if flat != items:
        missing = sorted(set(items) - set(flat))
        twice = sorted({x for x in flat if flat.count(x) > 1})
        problems = []
        if missing:
            problems.append(f"{len(missing)} items in no share (e.g. {missing[:3]})")
        if twice:
            problems.append(f"{len(twice)} items in two shares (e.g. {twice[:3]})")
        if not problems:
            problems.append("the shares hold items that were not given")
        return verdict(False, "", "; ".join(problems))
    sizes = sorted(len(s) for s in shares)
    return verdict(
        sizes[-1] - sizes[0] <= 1,
        f"{workers} shares of sizes {sizes}, every item exactly once.",
        f"every item is there once, but the shares are uneven: {sizes}",
    )


def _unlink_all(names: Iterable[str]) -> None:
    for name in names:
        try:
            segment = shared_memory.SharedMemory(name=name)
        except FileNotFoundError:
            _REGISTERED.pop("/" + name, None)
            continue
        segment.close()
        segment.unlink()


def check_shared_squares(
    fn: Callable[[list[int]], Any], numbers: Sequence[int] = (1, 2, 3, 4, 5, 6)
) -> Verdict:
    """Checker of exercise 3: ``fn(numbers)`` must return their squares,
    computed by children in shared memory, and leave no segment behind."""
    check_callable("fn", fn)
    watch = watch_shared_memory()
    try:
        result = fn(list(numbers))
    except Exception as exc:
        _unlink_all(watch.leaked())
        return verdict(False, "", f"your function raised {type(exc).__name__}: {exc}")
    leaked = watch.leaked()
    _unlink_all(leaked)  # clean up for the student, then say so
    want = [n * n for n in numbers]
    try:
        got = None if result is None else [int(x) for x in result]
    except (TypeError, ValueError):
        got = result
    if got != want:
        return verdict(False, "", f"expected {want}, got {got!r}")
    if leaked:
        return verdict(
            False,
            "",
            "right squares, but the segment was never unlinked: call "
            "shm.unlink() in a finally block (the checker unlinked it for you)",
        )
    return verdict(True, "right squares and no segment left behind.", "")
