"""A deterministic directory tree, and the notes' file search over it.

Introduced in ``06_join.ipynb``; ``08_wait_groups.ipynb`` searches the same
trees. The searches never look at the reader's own disk: :func:`temp_tree`
builds a tree inside a fresh temporary directory and removes it afterwards.

The tree (:func:`make_tree`) has ``depth`` levels of ``fanout``
sub-directories named ``dir_0``, ``dir_1`` …, each directory holding
``files_per_dir`` files ``file_0.txt`` …; the file to find,
:data:`TARGET` (``findme.txt``), is planted in every ``plant_every``-th
directory (counting in breadth-first order, offset by ``seed``). The same
arguments always give the same tree, on every platform.

Every search returns a :class:`SearchResult` ``(matches, threads)``:
the matches as sorted POSIX-style paths relative to the root (for example
``"dir_0/dir_2/findme.txt"``), never absolute paths, and how many threads it
created. A file matches when its name equals the name searched for.
``delay=`` (seconds, default 0) makes every directory listing wait that
long, like a network drive or a cold disk: waiting is what threads overlap.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from .validate import check_int, check_number

__all__: list[str] = [
    "SEARCHES",
    "TARGET",
    "SearchResult",
    "Tree",
    "list_folder",
    "make_tree",
    "search_pool",
    "search_scandir",
    "search_sweep",
    "search_thread_per_dir",
    "search_walk",
    "temp_tree",
    "tree_size",
]


#: The file name the searches look for (the notes' ``findme.txt``).
TARGET = "findme.txt"


class SearchResult(NamedTuple):
    """What a search found: sorted relative ``matches`` and ``threads`` created."""

    matches: list[str]
    threads: int


@dataclass(frozen=True)
class Tree:
    """A tree made by :func:`temp_tree`: where it is and what a search must find.

    ``root`` is the temporary directory (do not print it: print relative
    paths); ``expected`` the sorted relative paths of every :data:`TARGET`.
    """

    root: Path
    expected: list[str]
    directories: int
    files: int


def tree_size(depth: int, fanout: int) -> int:
    """Number of directories in a tree of ``depth`` levels below the root
    with ``fanout`` sub-directories each, the root included."""
    check_int("depth", depth, minimum=0, maximum=8)
    check_int("fanout", fanout, minimum=0, maximum=50)
    return sum(fanout**level for level in range(depth + 1))


def make_tree(
    root: str | os.PathLike[str],
    depth: int = 3,
    fanout: int = 3,
    files_per_dir: int = 3,
    *,
    plant_every: int = 4,
    seed: int = 0,
    target: str = TARGET,
) -> list[str]:
    """Create the deterministic tree under ``root`` (an empty or new directory).

    Returns the sorted relative paths (POSIX style) of the planted
    ``target`` files: what every correct search must find. At most 20 000
    directories. ``06_join.ipynb``; :func:`temp_tree` is the safe way to use
    it.
    """
    directories = tree_size(depth, fanout)  # checks depth and fanout
    check_int("files_per_dir", files_per_dir, minimum=0, maximum=100)
    check_int("plant_every", plant_every, minimum=1)
    check_int("seed", seed, minimum=0)
    if not isinstance(target, str) or not target or "/" in target or "\\" in target:
        raise ValueError(f"target must be a plain file name, got {target!r}")
    if target.startswith(("dir_", "file_")):
        raise ValueError(f"target must not start with 'dir_' or 'file_': {target!r}")
    if directories > 20_000:
        raise ValueError(
            f"depth={depth}, fanout={fanout} makes {directories:,} "
            "directories; keep it at most 20,000"
        )
    base = Path(root)
    base.mkdir(parents=True, exist_ok=True)
    if any(base.iterdir()):
        raise ValueError("root must be an empty directory (make_tree writes into it)")
    expected: list[str] = []
    level: list[tuple[str, ...]] = [()]
    index = 0
    for current_depth in range(depth + 1):
        next_level: list[tuple[str, ...]] = []
        for parts in level:
            folder = base.joinpath(*parts)
            folder.mkdir(exist_ok=True)
            for k in range(files_per_dir):
                (folder / f"file_{k}.txt").write_text(
                    f"file {k} of {'/'.join(parts)}\n"
                )
            if (index + seed) % plant_every == 0:
                (folder / target).write_text("found me\n")
                expected.append("/".join((*parts, target)))
            index += 1
            if current_depth < depth:
                next_level.extend((*parts, f"dir_{j}") for j in range(fanout))
        level = next_level
    return sorted(expected)


@contextmanager
def temp_tree(
    depth: int = 3,
    fanout: int = 3,
    files_per_dir: int = 3,
    *,
    plant_every: int = 4,
    seed: int = 0,
) -> Iterator[Tree]:
    """``with temp_tree(...) as tree:`` a :func:`make_tree` tree in a fresh
    temporary directory, removed on exit (also after an error).

    ``tree.root`` is the directory to search, ``tree.expected`` the answer.
    ``06_join.ipynb``, ``08_wait_groups.ipynb``.
    """
    with tempfile.TemporaryDirectory(prefix="conclab-tree-") as tmp:
        root = Path(tmp) / "tree"
        expected = make_tree(
            root, depth, fanout, files_per_dir, plant_every=plant_every, seed=seed
        )
        directories = tree_size(depth, fanout)
        files = directories * files_per_dir + len(expected)
        yield Tree(root=root, expected=expected, directories=directories, files=files)


def _slow_disk(delay: float) -> None:
    """Pretend a directory listing waits ``delay`` seconds for a slow disk."""
    if delay:
        time.sleep(delay)


def _relative(path: str, root: str) -> str:
    return Path(os.path.relpath(path, root)).as_posix()


def check_search_args(root: Any, filename: str, delay: float) -> str:
    """Validate a search's arguments; return ``root`` as a str."""
    check_number("delay", delay, minimum=0.0, maximum=1.0)
    if not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"root must be a path, got {type(root).__name__}")
    if not os.path.isdir(root):
        raise ValueError("root must be an existing directory")
    if not isinstance(filename, str) or not filename:
        raise ValueError(f"filename must be a non-empty str, got {filename!r}")
    return os.fspath(root)


def list_folder(
    folder: str, filename: str, top: str, delay: float = 0.0
) -> tuple[list[str], list[str]]:
    """List one directory, after ``delay`` seconds of pretend slow disk.

    Returns the matches (files named ``filename``, relative to ``top``) and
    the sub-directories to search next (symlinks are not followed). Every
    search of the course lists a directory with this one function.
    """
    _slow_disk(delay)
    found, subdirs = [], []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name == filename and entry.is_file():
                found.append(_relative(entry.path, top))
            if entry.is_dir(follow_symlinks=False):
                subdirs.append(entry.path)
    return found, subdirs


def search_thread_per_dir(
    root: str | os.PathLike[str],
    filename: str = TARGET,
    *,
    delay: float = 0.0,
    timeout: float = 60.0,
) -> SearchResult:
    """The notes' design, fixed: one new thread per directory, each joins its children.

    Every thread lists one directory, appends its matches to a shared list
    under a lock, starts a thread for each sub-directory, and ``join()``\\ s
    them before it returns; the caller's thread joins the first one. Correct,
    but it creates one thread per directory: thousands for a big tree.
    The caller waits at most ``timeout`` seconds (``TimeoutError`` after), so
    a demo never hangs. ``06_join.ipynb``.
    """
    top = check_search_args(root, filename, delay)
    check_number("timeout", timeout, minimum=0.001)
    matches: list[str] = []
    lock = threading.Lock()
    created = [0]
    errors: list[BaseException] = []

    def file_search(folder: str) -> None:
        try:
            found, subdirs = list_folder(folder, filename, top, delay)
            children = [
                threading.Thread(target=file_search, args=(d,)) for d in subdirs
            ]
            with lock:
                matches.extend(found)
                created[0] += len(children)
            for t in children:
                t.start()
            for t in children:
                t.join()
        except BaseException as exc:
            with lock:
                errors.append(exc)

    first = threading.Thread(target=file_search, args=(top,))
    created[0] += 1
    first.start()
    first.join(timeout)
    if first.is_alive():
        raise TimeoutError(f"the search did not finish within timeout={timeout} s")
    if errors:
        raise errors[0]
    return SearchResult(sorted(matches), created[0])


def search_pool(
    root: str | os.PathLike[str],
    filename: str = TARGET,
    workers: int = 4,
    *,
    delay: float = 0.0,
    timeout: float = 60.0,
) -> SearchResult:
    """A bounded pool: ``workers`` threads take directories from a shared queue.

    Each task lists one directory and *returns* its matches and
    sub-directories; the caller's thread submits the sub-directories as
    tasks. No task waits for another (in a bounded pool that could
    deadlock: every worker waiting for a task that has no worker left).
    ``threads`` counts the pool threads that actually ran tasks. Waits at
    most ``timeout`` seconds in all (``TimeoutError`` after). ``06_join.ipynb``.
    """
    top = check_search_args(root, filename, delay)
    check_int("workers", workers, minimum=1, maximum=256)
    check_number("timeout", timeout, minimum=0.001)
    deadline = time.monotonic() + timeout
    used: set[int] = set()
    lock = threading.Lock()

    def scan(folder: str) -> tuple[list[str], list[str]]:
        with lock:
            used.add(threading.get_ident())
        return list_folder(folder, filename, top, delay)

    matches: list[str] = []
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="search") as pool:
        pending: set[Future] = {pool.submit(scan, top)}
        while pending:
            left = deadline - time.monotonic()
            done, pending = wait(
                pending, timeout=max(left, 0), return_when=FIRST_COMPLETED
            )
            if not done:
                for future in pending:
                    future.cancel()
                raise TimeoutError(
                    f"the search did not finish within timeout={timeout} s"
                )
            for future in done:
                found, subdirs = future.result()
                matches.extend(found)
                pending.update(pool.submit(scan, d) for d in subdirs)
    return SearchResult(sorted(matches), len(used))


def search_walk(
    root: str | os.PathLike[str], filename: str = TARGET, *, delay: float = 0.0
) -> SearchResult:
    """Sequential search with ``os.walk``: no thread created. ``06_join.ipynb``."""
    top = check_search_args(root, filename, delay)
    matches = []
    for folder, _dirs, files in os.walk(top):
        _slow_disk(delay)  # (os.walk has listed the folder already; same cost)
        if filename in files:
            matches.append(_relative(os.path.join(folder, filename), top))
    return SearchResult(sorted(matches), 0)


def search_scandir(
    root: str | os.PathLike[str], filename: str = TARGET, *, delay: float = 0.0
) -> SearchResult:
    """Sequential search with ``os.scandir`` and an explicit stack of directories."""
    top = check_search_args(root, filename, delay)
    matches: list[str] = []
    stack = [top]
    while stack:
        found, subdirs = list_folder(stack.pop(), filename, top, delay)
        matches.extend(found)
        stack.extend(subdirs)
    return SearchResult(sorted(matches), 0)


#: The searches, by the name the plots use.
SEARCHES: dict[str, Callable[..., SearchResult]] = {
    "thread per directory": search_thread_per_dir,
    "pool of 4 threads": search_pool,
    "os.walk": search_walk,
    "os.scandir": search_scandir,
}


def search_sweep(
    depths: Sequence[int] = (1, 2, 3, 4),
    fanout: int = 4,
    *,
    delay: float = 0.0,
    files_per_dir: int = 3,
    searches: Mapping[str, Callable[..., SearchResult]] | None = None,
    repeat: int | None = None,
) -> list[dict[str, Any]]:
    """Time every search over trees of growing depth; rows for
    :func:`plot_search_sweep`.

    For each depth a :func:`temp_tree` is built (and removed), every search
    in ``searches`` (default :data:`SEARCHES`) runs once, is checked against
    the expected matches (``AssertionError`` otherwise), and one row
    ``{"search", "depth", "directories", "seconds", "threads"}`` is recorded.
    ``seconds`` is the best of ``repeat`` runs (default: 3 on a local disk,
    where a search takes a few ms and one run is noisy; 1 when ``delay`` > 0).
    ``06_join.ipynb``.
    """
    depths = [check_int("depths", d, minimum=0, maximum=8) for d in depths]
    if not depths:
        raise ValueError("depths must not be empty")
    check_int("fanout", fanout, minimum=1, maximum=50)
    check_number("delay", delay, minimum=0.0, maximum=1.0)
    if repeat is None:
        repeat = 1 if delay else 3
    check_int("repeat", repeat, minimum=1, maximum=20)
    searches = dict(SEARCHES if searches is None else searches)
    rows: list[dict[str, Any]] = []
    for depth in depths:
        with temp_tree(depth, fanout, files_per_dir) as tree:
            for name, search in searches.items():
                seconds = float("inf")
                for _ in range(repeat):
                    start = time.perf_counter()
                    result = search(tree.root, delay=delay)
                    seconds = min(seconds, time.perf_counter() - start)
                if result.matches != tree.expected:
                    raise AssertionError(f"{name} found wrong matches at depth {depth}")
                rows.append(
                    {
                        "search": name,
                        "depth": depth,
                        "directories": tree.directories,
                        "seconds": seconds,
                        "threads": result.threads,
                    }
                )
    return rows
