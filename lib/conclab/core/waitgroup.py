"""Go's WaitGroup in Python, the notes' version, and the searches built on it.

Introduced in ``08_wait_groups.ipynb``: :class:`WaitGroup` (instance state,
one Condition, a negative counter raises), the notes' :class:`NotesWaitGroup`
as written, and the recursive directory search over :mod:`conclab.core.fs`
trees with each.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from typing import Any

from .fs import (
    TARGET,
    SearchResult,
    check_search_args,
    list_folder,
    search_pool,
    search_sweep,
    search_thread_per_dir,
    search_walk,
)
from .validate import (
    check_callable,
    check_choice,
    check_int,
    check_number,
    check_timeout,
)

__all__: list[str] = [
    "WAITGROUP_SEARCHES",
    "NotesWaitGroup",
    "WaitGroup",
    "notes_file_search",
    "search_notes_waitgroup",
    "search_rows",
    "search_waitgroup",
]


class WaitGroup:
    """Go's ``sync.WaitGroup`` in Python: a counter you can wait on.

    ``add(n)`` raises the counter, ``done()`` lowers it by one, ``wait()``
    blocks until it is zero (``wait(timeout)`` returns ``False`` if the time
    ran out). A negative counter raises ``ValueError`` — Go panics with
    ``sync: negative WaitGroup counter``. ``go(fn, *args)`` starts ``fn`` in a
    thread and counts it, like Go 1.25's ``wg.Go``; a failed task is reported
    and raised again by ``wait()`` (see :meth:`go`). All state lives in the
    instance, guarded by one :class:`threading.Condition`. Introduced in
    ``08_wait_groups.ipynb``.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._count = 0
        self.errors: list[Exception] = []

    @property
    def count(self) -> int:
        """The counter now (for display; it may change at once)."""
        with self._cond:
            return self._count

    def add(self, n: int = 1) -> None:
        """Add ``n`` (may be negative) to the counter; wake waiters at zero."""
        check_int("n", n)
        with self._cond:
            if self._count + n < 0:
                raise ValueError("sync: negative WaitGroup counter")
            self._count += n
            if self._count == 0:
                self._cond.notify_all()

    def done(self) -> None:
        """One task finished: lower the counter by one."""
        self.add(-1)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the counter is zero; ``False`` if ``timeout`` ran out.

        At zero, raise an ``ExceptionGroup`` of the tasks of :meth:`go` that
        failed, if any did (on every later ``wait`` too: make a new group).
        """
        timeout = check_timeout(timeout)
        with self._cond:
            if not self._cond.wait_for(lambda: self._count == 0, timeout):
                return False
            errors = list(self.errors)
        if errors:
            raise ExceptionGroup(f"{len(errors)} WaitGroup task(s) failed", errors)
        return True

    def go(
        self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> threading.Thread:
        """Count one task, run ``fn(*args, **kwargs)`` in a new thread, return it.

        ``done()`` is called in a ``finally``, so a failing ``fn`` cannot
        leave the counter stuck; but first its exception is kept in
        ``errors`` and reported through ``threading.excepthook``, as a plain
        thread's is, so the ``wait()`` this ``done()`` releases raises it.
        (Go's ``wg.Go`` requires that ``f`` not panic, and skips ``Done``
        when it does.) The thread is a daemon: a task stuck for ever cannot
        keep Python from exiting.
        """
        check_callable("fn", fn)
        self.add(1)

        def run() -> None:
            try:
                fn(*args, **kwargs)
            except Exception as exc:  # reported, then raised again by wait()
                with self._cond:
                    self.errors.append(exc)
                report = (type(exc), exc, exc.__traceback__, threading.current_thread())
                threading.excepthook(threading.ExceptHookArgs(report))
            finally:
                self.done()

        thread = threading.Thread(target=run, daemon=True)
        try:
            thread.start()
        except BaseException:
            self.done()
            raise
        return thread

    def __repr__(self) -> str:
        return f"<WaitGroup count={self.count}>"


class NotesWaitGroup:
    """The notes' WaitGroup, kept as written (comments translated).

    Its state is declared on the *class*: ``cv`` is one Condition shared by
    every wait group in the program, and ``wait_count = 0`` only becomes a
    per-instance counter because the first ``self.wait_count += count``
    creates an instance attribute. An extra ``done()`` is silently ignored
    instead of being reported. The one change: ``wait`` accepts a
    ``timeout`` (default ``None`` = as in the notes) so a notebook can never
    hang on it. Introduced in ``08_wait_groups.ipynb``.
    """

    wait_count = 0  # count waiting threads
    cv = threading.Condition()

    def add(self, count: int) -> None:
        # add thread
        self.cv.acquire()
        self.wait_count += count
        self.cv.release()

    def done(self) -> None:
        self.cv.acquire()
        if self.wait_count > 0:
            self.wait_count -= 1
        # check if all threads have finished
        if self.wait_count == 0:
            self.cv.notify_all()
        self.cv.release()

    def wait(self, timeout: float | None = None) -> None:
        self.cv.acquire()
        # wait threads to finish
        while self.wait_count > 0:
            if not self.cv.wait(timeout):  # conclab: timeout added, no hang
                break
        self.cv.release()


def _relative(paths: Iterable[str], root: str) -> list[str]:
    return sorted(os.path.relpath(p, root).replace(os.sep, "/") for p in paths)


def notes_file_search(
    root: str, filename: str, wait_group: Any, matches: list[str], mutex: Any
) -> None:
    """The notes' wait-group search, as written (minus its print of each path).

    A thread per sub-directory, counted by ``wait_group``; a name matches
    when it *contains* ``filename``. Note ``t = Thread(...).start()``: ``t``
    is ``None``; and ``done()`` is not in a ``finally``: one ``os.listdir``
    error and ``wait()`` never returns. Introduced in ``08_wait_groups.ipynb``.
    """
    for file in os.listdir(root):
        full_path = os.path.join(root, file)
        if filename in file:
            mutex.acquire()
            matches.append(full_path)
            mutex.release()
        if os.path.isdir(full_path):
            # add thread to group
            wait_group.add(1)
            t = threading.Thread(  # noqa: F841 (the notes' bug: t is None)
                target=notes_file_search,
                args=([full_path, filename, wait_group, matches, mutex]),
            ).start()  # type: ignore[func-returns-value]
    # send signal to notify to waiters that the process was finished
    wait_group.done()


def search_notes_waitgroup(
    root: str | os.PathLike[str], filename: str = TARGET, timeout: float = 10.0
) -> SearchResult:
    """Run :func:`notes_file_search` with a :class:`NotesWaitGroup`.

    Returns an ``SearchResult`` (relative paths, threads created) like the
    other searches. ``wait`` gets a ``timeout`` so it cannot hang.
    Introduced in ``08_wait_groups.ipynb``.
    """
    top = check_search_args(root, filename, 0.0)
    check_number("timeout", timeout, minimum=0)
    wait_group = NotesWaitGroup()
    matches: list[str] = []
    wait_group.add(1)
    threading.Thread(
        target=notes_file_search,
        args=([top, filename, wait_group, matches, threading.Lock()]),
    ).start()
    wait_group.wait(timeout)
    if wait_group.wait_count:
        raise TimeoutError(f"the notes' search did not finish in {timeout} s")
    threads = sum(1 for _ in os.walk(top))  # one per directory, the root's too
    return SearchResult(_relative(matches, top), threads)


def search_waitgroup(
    root: str | os.PathLike[str],
    filename: str = TARGET,
    *,
    delay: float = 0.0,
    lister: Callable[..., tuple[list[str], list[str]]] = list_folder,
) -> SearchResult:
    """The notes' search with :class:`WaitGroup` done right: ``wg.go`` per directory.

    Each thread lists one directory (``lister``, by default
    :func:`conclab.core.fs.list_folder`, ``delay`` seconds of pretend slow
    disk), records its matches under a lock and ``wg.go``\\ s a search of
    each sub-directory; the caller waits once, with a timeout, for the whole
    tree. No thread waits for its children (unlike ``search_thread_per_dir``).
    A listing that fails makes ``wg.wait`` raise (an ``ExceptionGroup``):
    never a partial result. Same result type and matching rule (equal names)
    as the searches in :mod:`conclab.core.fs`. Introduced in
    ``08_wait_groups.ipynb``.
    """
    top = check_search_args(root, filename, delay)
    check_callable("lister", lister)
    wg = WaitGroup()
    lock = threading.Lock()
    matches: list[str] = []
    created = [1]

    def file_search(folder: str) -> None:
        found, subdirs = lister(folder, filename, top, delay)
        with lock:
            matches.extend(found)
            created[0] += len(subdirs)
        for subdir in subdirs:
            wg.go(file_search, subdir)  # counted before it starts

    wg.go(file_search, top)
    if not wg.wait(timeout=60):  # raises if a task failed
        raise TimeoutError("the search did not finish in 60 s")
    return SearchResult(sorted(matches), created[0])


#: The four ways 08 compares, by the names its plots use.
WAITGROUP_SEARCHES: dict[str, Callable[..., SearchResult]] = {
    "WaitGroup + go": search_waitgroup,
    "threads + join": search_thread_per_dir,
    "pool + futures.wait": search_pool,
    "os.walk": search_walk,
}


def search_rows(
    depth: int = 3,
    fanout: int = 3,
    delay: float = 0.0,
    searches: Iterable[str] | None = None,
    repeat: int = 1,
) -> list[dict[str, Any]]:
    """Time each search of :data:`WAITGROUP_SEARCHES` on one generated tree.

    One depth of :func:`conclab.fs.search_sweep` (which builds the tree,
    keeps the best of ``repeat`` runs and checks each search found exactly
    the planted files) over these searches: rows ``{"search", "depth",
    "directories", "seconds", "threads"}`` for ``plot_search_sweep`` or
    :func:`plot_search_bars`. Introduced in ``08_wait_groups.ipynb``.
    """
    names = list(WAITGROUP_SEARCHES) if searches is None else list(searches)
    for name in names:
        check_choice("searches", name, WAITGROUP_SEARCHES)
    check_number("delay", delay, minimum=0, maximum=0.1)
    return search_sweep(
        (depth,),
        fanout,
        delay=delay,
        searches={name: WAITGROUP_SEARCHES[name] for name in names},
        repeat=repeat,
    )
