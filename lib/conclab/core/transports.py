"""Latency and throughput of pipe, queue and shared memory by message size.

Introduced in ``04_ipc.ipynb``: one echo child per transport, all alive at
once, taking turns; :func:`conclab.plot_transports` draws the result.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterable
from dataclasses import dataclass
from multiprocessing import shared_memory
from typing import Any

from .children import JOIN_TIMEOUT, get_from_children, stop_process
from .env import mp_context
from .shm import attach_shared_memory
from .validate import check_choice, check_int

__all__: list[str] = [
    "PANEL_SIZES",
    "TRANSPORTS",
    "TransportResult",
    "echo_pipe",
    "echo_queue",
    "echo_shared",
    "format_size",
    "measure_transports",
]


#: The three ways of moving bytes that ``measure_transports`` compares.
TRANSPORTS = ("pipe", "queue", "shared memory")


def format_size(nbytes: int) -> str:
    """``1024 -> '1 KiB'``: the size labels of the transport plot."""
    size = float(check_int("nbytes", nbytes, minimum=0))
    for unit in ("B", "KiB"):
        if size < 1024:
            return f"{size:.4g} {unit}"
        size /= 1024
    return f"{size:.4g} MiB"


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
    buffer = shm.buf
    assert buffer is not None
    try:
        while True:
            size = conn.recv()
            if size is None:
                break
            data = bytes(buffer[:size])
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
            answer = get_from_children(self.queues[1], [self.child], JOIN_TIMEOUT)
        else:
            assert self.shm is not None and self.shm.buf is not None
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
            repeats = max(5, min(100, budget_bytes // size))  # round trips
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


#: The sizes the transport panel offers.
PANEL_SIZES = (64, 1024, 16 * 1024, 256 * 1024, 1 << 20, 4 << 20, 16 << 20)
