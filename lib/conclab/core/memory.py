"""What a child process costs in memory, and what copy-on-write shares.

Introduced in ``01_processes_and_threads.ipynb`` (:func:`child_memory`) and
``03_start_methods.ipynb`` (per start method, and :func:`copy_on_write_demo`).
The children measured run only standard-library code, so they measure the
process and not this library's imports.
"""

from __future__ import annotations

import gc
import multiprocessing
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .children import CHILD_TIMEOUT, receive_or_fail, stop_process
from .env import mp_context
from .startmethods import check_methods
from .validate import check_int, check_number

__all__: list[str] = [
    "ChildMemory",
    "child_memory",
    "child_memory_per_method",
    "copy_on_write_demo",
]


_MB = 1024 * 1024


@dataclass(frozen=True)
class ChildMemory:
    """Memory of one waiting child, measured from the parent (MB).

    ``rss`` is resident memory (includes pages shared with the parent);
    ``uss`` is unique memory, what the child costs on its own.
    """

    method: str
    rss: float
    uss: float
    parent_rss: float


_HOLD = """\
import importlib
for name in modules:
    importlib.import_module(name)
ready.send("ready")
ready.close()
release.wait(timeout)
"""


def child_memory(
    method: str | None = None,
    imports: Iterable[str] = (),
    timeout: float = CHILD_TIMEOUT,
) -> ChildMemory:
    """Start one child, measure its RSS and USS while it waits, then end it.

    The child runs only standard-library code (``exec`` of a few lines): it
    imports the modules named in ``imports`` (none by default), signals that
    it is ready and waits on an ``Event``. The parent reads
    ``psutil.Process(pid).memory_full_info()`` in the meantime. Introduced in
    ``01_processes_and_threads``; compared per start method in
    ``03_start_methods``.
    """
    import psutil

    imports = tuple(imports)
    for name in imports:
        if not isinstance(name, str):
            raise TypeError("imports must be module names (str)")
    timeout = check_number("timeout", timeout, minimum=0.1)
    ctx = mp_context(method)
    method = ctx.get_start_method()
    receiver, sender = ctx.Pipe(duplex=False)
    release = ctx.Event()
    scope = {"modules": imports, "ready": sender, "release": release}
    scope["timeout"] = timeout
    process = ctx.Process(target=exec, args=(_HOLD, scope))
    try:
        process.start()
        sender.close()
        receive_or_fail(receiver, timeout, process)
        info = psutil.Process(process.pid).memory_full_info()
        parent = psutil.Process().memory_info().rss
    finally:
        release.set()
        receiver.close()
        stop_process(process)
    return ChildMemory(method, info.rss / _MB, info.uss / _MB, parent / _MB)


def child_memory_per_method(
    methods: Iterable[str] | None = None, imports: Iterable[str] = ()
) -> list[ChildMemory]:
    """:func:`child_memory` for each start method available here (01, 03)."""
    imports = tuple(imports)
    return [child_memory(m, imports) for m in check_methods(methods)]


def _cow_child(data: list, action: str, conn: Any) -> None:
    """Fork child of :func:`copy_on_write_demo`: report, act, report, wait."""
    conn.send("ready")
    if conn.poll(CHILD_TIMEOUT):
        conn.recv()
        if action == "iterate":
            for _item in data:
                pass
        elif action == "collect":
            gc.collect()
        conn.send("done")
        conn.poll(CHILD_TIMEOUT)
    conn.close()


def _cow_case(data: list, action: str, freeze: bool) -> float:
    """USS growth (MB) of a forked child doing ``action`` on ``data``.

    Called with automatic garbage collection disabled, so that neither the
    parent nor the child collects on its own during the measurement. The
    parent unfreezes only after the child is measured: on the free-threaded
    build ``gc.unfreeze()`` writes to every object, and a page the parent
    writes stops being shared, which would count in the child's USS before
    the child did anything.
    """
    import psutil

    ctx = multiprocessing.get_context("fork")
    parent_end, child_end = ctx.Pipe()
    process = ctx.Process(target=_cow_child, args=(data, action, child_end))
    try:
        if freeze:
            gc.freeze()
        with warnings.catch_warnings():
            # the multi-threaded fork warning has its own demo (fork_warning)
            warnings.simplefilter("ignore", DeprecationWarning)
            process.start()
        child_end.close()
        child = psutil.Process(process.pid)
        receive_or_fail(parent_end, CHILD_TIMEOUT, process)
        before = child.memory_full_info().uss
        parent_end.send("go")
        receive_or_fail(parent_end, CHILD_TIMEOUT, process)
        after = child.memory_full_info().uss
        parent_end.send("exit")
    finally:
        if freeze:
            gc.unfreeze()
        parent_end.close()
        stop_process(process)
    return (after - before) / _MB


#: The cases of :func:`copy_on_write_demo`: (label, child's action, freeze).
COW_CASES = (
    ("child only waits", "wait", False),
    ("child iterates over the objects", "iterate", False),
    ("child runs gc.collect()", "collect", False),
    ("gc.freeze() in the parent,\nchild runs gc.collect()", "collect", True),
    ("gc.freeze() in the parent,\nchild iterates", "iterate", True),
)


def copy_on_write_demo(n: int = 1_000_000) -> dict[str, float] | None:
    """How much memory a *forked* child makes private, per action (MB).

    With automatic garbage collection off (as a pre-forking server would
    run), the parent builds ``n`` small lists (GC-tracked objects); each case
    forks a child, measures its unique memory (USS), lets it act on the
    objects, and measures again. Returns ``{case label: MB made private}``,
    or ``None`` (after printing why) where ``fork`` does not exist.
    Introduced in ``03_start_methods``.
    """
    n = check_int("n", n, minimum=1, maximum=10_000_000)
    if "fork" not in multiprocessing.get_all_start_methods():
        print(
            "fork is not available on this platform: copy-on-write sharing "
            "exists only for fork, so there is nothing to measure here."
        )
        return None
    was_enabled = gc.isenabled()
    gc.disable()  # no automatic collection in the parent or the children
    try:
        data = [[i] for i in range(n)]
        return {
            label: _cow_case(data, action, freeze)
            for label, action, freeze in COW_CASES
        }
    finally:
        data = []  # free the million lists before collection comes back on
        if was_enabled:
            gc.enable()
