"""Inter-process communication: pipes, queues, shared counters, managers.

Introduced in ``04_ipc.ipynb``. Everything a child runs is a module-level
function here, so ``spawn`` and ``forkserver`` children can import it by
name; the parent side lives in the notebook. Children never print: they
send data back and the parent prints. Every helper starts its processes
through :func:`conclab.mp_context` and stops them in a ``finally`` block.
"""

from __future__ import annotations

import pickle
import time
from typing import Any

from .children import JOIN_TIMEOUT, stop_process
from .env import mp_context
from .validate import check_choice, check_int

__all__: list[str] = [
    "add_one",
    "add_one_to_item",
    "lost_updates",
    "manager_add",
    "produce",
    "proxy_call_cost",
    "put_big",
    "read_meet_write",
    "square_server",
    "try_pickle",
]


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


def add_one(counter: Any, times: int, barrier: Any, locked: bool = False) -> None:
    """Child of the lost-update demo: ``counter.value += 1``, ``times`` times.

    Both children meet at ``barrier`` first so that they really overlap.
    With ``locked=True`` every increment holds ``counter.get_lock()``.
    ``04_ipc.ipynb``.
    """
    barrier.wait(JOIN_TIMEOUT)
    for _ in range(times):
        if locked:
            with counter.get_lock():
                counter.value += 1
        else:
            counter.value += 1


def add_one_to_item(array: Any, times: int, barrier: Any, locked: bool = False) -> None:
    """Like :func:`add_one`, for item 0 of a shared ``Array``. ``04_ipc.ipynb``."""
    barrier.wait(JOIN_TIMEOUT)
    for _ in range(times):
        if locked:
            with array.get_lock():
                array[0] += 1
        else:
            array[0] += 1


def read_meet_write(counter: Any, barrier: Any) -> None:
    """Child of the forced lost update: read the counter (a ``Value``, or item
    0 of an ``Array``), wait at ``barrier`` until the other child has read
    too, then write what it read plus one. Two children both read 0 and
    both write 1: one update is lost every time. ``04_ipc.ipynb``."""
    seen = counter.value if hasattr(counter, "value") else counter[0]
    barrier.wait(JOIN_TIMEOUT)
    if hasattr(counter, "value"):
        counter.value = seen + 1
    else:
        counter[0] = seen + 1


def lost_updates(
    times: int = 50_000,
    locked: bool = False,
    kind: str = "Value",
    start_method: str | None = None,
    collide: bool = False,
) -> int:
    """Two processes add 1 ``times`` times each to one shared counter.

    Returns how many of the ``2 * times`` increments were lost (0 when
    ``locked``). ``kind`` is ``"Value"`` or ``"Array"``. A race is
    statistical: how many are lost varies, and on a busy machine one child
    may finish before the other gets a core, and nothing is lost. With
    ``collide=True`` each child adds 1 once, by :func:`read_meet_write`: the
    collision is forced, and exactly 1 of the 2 updates is lost, every time.
    ``04_ipc.ipynb``.
    """
    times = check_int("times", times, minimum=1)
    check_choice("kind", kind, ("Value", "Array"))
    if collide and locked:
        raise ValueError("collide=True meets at a barrier: it cannot hold the lock")
    ctx = mp_context(start_method)
    counter: Any = ctx.Value("i", 0) if kind == "Value" else ctx.Array("i", 1)
    barrier = ctx.Barrier(2)
    target: Any = add_one if kind == "Value" else add_one_to_item
    args: tuple[Any, ...] = (counter, times, barrier, locked)
    if collide:
        target, args, times = read_meet_write, (counter, barrier), 1
    children = [ctx.Process(target=target, args=args) for _ in range(2)]
    try:
        for child in children:
            child.start()
        for child in children:
            child.join(JOIN_TIMEOUT * 3)
    finally:
        for child in children:
            stop_process(child)
    final = counter.value if kind == "Value" else counter[0]
    return 2 * times - final


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
