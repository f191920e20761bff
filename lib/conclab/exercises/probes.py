"""How the checkers watch what a solution does, not only what it returns.

Used by the checkers of notebooks 05–08: a lock that counts its acquisitions,
a count of the threads a call starts, and a copy of a student's function whose
global names (``threading``, ``WaitGroup``) are replaced by watching ones,
for that call only and for that function (and the functions it defines) only.
"""

from __future__ import annotations

import threading
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__: list[str] = []


class WatchedLock:
    """A lock that counts its acquisitions and knows which thread holds it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.owner: int | None = None
        self.acquisitions = 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        got = self._lock.acquire(blocking, timeout)
        if got:
            self.owner = threading.get_ident()
            self.acquisitions += 1
        return got

    def release(self) -> None:
        self.owner = None
        self._lock.release()

    def locked(self) -> bool:
        return self._lock.locked()

    def held_by_me(self) -> bool:
        return self.owner == threading.get_ident()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


class LockFactory:
    """Stands in for ``threading.Lock`` in a student's function: every lock it
    makes is a :class:`WatchedLock`, kept in :attr:`made`."""

    def __init__(self) -> None:
        self.made: list[WatchedLock] = []

    def __call__(self) -> WatchedLock:
        lock = WatchedLock()
        self.made.append(lock)
        return lock

    @property
    def acquisitions(self) -> int:
        return sum(lock.acquisitions for lock in self.made)


@contextmanager
def thread_starts() -> Iterator[list[threading.Thread]]:
    """The threads started (by anyone: plain threads, pools, WaitGroup.go)
    while inside the block."""
    started: list[threading.Thread] = []
    original = threading.Thread.start

    def start(self: threading.Thread) -> None:
        started.append(self)
        original(self)

    threading.Thread.start = start  # type: ignore[method-assign]
    try:
        yield started
    finally:
        threading.Thread.start = original  # type: ignore[method-assign]


def with_globals(func: Callable[..., Any], **names: Any) -> Callable[..., Any]:
    """``func`` with some global names replaced, in a copy of its globals: the
    functions it defines while it runs see the same replacements."""
    if not isinstance(func, types.FunctionType):
        return func  # a builtin or a callable object: run it as it is
    scope = {**func.__globals__, **names}
    return types.FunctionType(
        func.__code__, scope, func.__name__, func.__defaults__, func.__closure__
    )


def watching_threading(
    func: Callable[..., Any],
) -> tuple[Callable[..., Any], LockFactory]:
    """``func`` whose ``threading.Lock`` (or a global ``Lock``) makes watched
    locks; returns the copy and the factory that knows them."""
    locks = LockFactory()
    module = types.ModuleType("threading")
    module.__dict__.update(vars(threading))
    module.Lock = locks  # type: ignore[attr-defined]
    names: dict[str, Any] = {}
    scope = getattr(func, "__globals__", {})
    if scope.get("threading") is threading:
        names["threading"] = module
    if scope.get("Lock") is threading.Lock:
        names["Lock"] = locks
    return with_globals(func, **names), locks
