"""What runs inside *another* Python for ``12_free_threading.ipynb``.

The notebook's kernel starts the interpreter it wants to measure (the
free-threaded 3.13t, the same with ``PYTHON_GIL=1``, 3.14 …) as a child
process and reads back one line of JSON (:func:`conclab.run_in`)::

    python -m conclab.core.nogil_child TASK '{"n": 40000, "tasks": 4}'

Every function here uses only the standard library and three modules of the
course that do too: ``conclab.core.workloads`` (``count_primes``, 02's workload),
``conclab.core.races`` (05's stingy/spendy account) and ``conclab.core.corpus`` (05's
texts). The parent puts a stub ``conclab`` package on the child's
``PYTHONPATH`` that points at this library's folder without running the
package's ``__init__`` (which imports numpy and matplotlib), so the child
needs nothing installed. The notebook shows each function before it runs.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import platform
import sys
import sysconfig
import threading
import time
import warnings
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

__all__ = [
    "TINY_EXTENSION",
    "NoLockStingySpendy",
    "append_from_threads",
    "build_facts",
    "build_tiny_extension",
    "count_letters_shared",
    "count_letters_shared_locked",
    "import_and_watch",
    "import_in_subinterpreter",
    "in_subinterpreter",
    "increment_global",
    "increment_global_locked",
    "primes_on_pool",
    "primes_on_warm_pool",
    "primes_sequential",
    "share_one_generator",
    "share_one_iterator",
    "share_with_subinterpreter",
    "start_together",
    "stingy_spendy_together",
]

#: How long a child waits for its own threads before it gives up (seconds).
JOIN_TIMEOUT = 120.0


# ---------------------------------------------------------------------------
# Which Python is this?
# ---------------------------------------------------------------------------


def build_facts() -> dict[str, Any]:
    """What this interpreter is: version, build, GIL now, subinterpreters.

    The build and the GIL come from :mod:`conclab.core.env`, as in every
    notebook's environment report: ``sysconfig.get_config_var
    ("Py_GIL_DISABLED")`` says whether the *build* is free-threaded,
    ``sys._is_gil_enabled()`` (3.13+) whether the GIL is on *now*.
    """
    from conclab.core.env import free_threaded_build, gil_enabled

    return {
        "version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "free_threaded": free_threaded_build(),
        "gil_enabled": gil_enabled(),
        "subinterpreters": importlib.util.find_spec("concurrent.interpreters")
        is not None,
        "executable": sys.executable,
    }


# ---------------------------------------------------------------------------
# 02's prime counting: sequential, threads, processes, subinterpreters
# ---------------------------------------------------------------------------


def primes_sequential(n: int, tasks: int) -> tuple[float, list[int]]:
    """``tasks`` × ``count_primes(n)`` one after the other; (seconds, counts)."""
    from conclab.core.workloads import count_primes

    start = time.perf_counter()
    counts = [count_primes(n) for _ in range(tasks)]
    return time.perf_counter() - start, counts


def _pool(kind: str, workers: int) -> Executor:
    if kind == "threads":
        return ThreadPoolExecutor(max_workers=workers)
    if kind == "processes":
        from conclab.core.env import mp_context  # $CONCLAB_START_METHOD, as everywhere

        return ProcessPoolExecutor(max_workers=workers, mp_context=mp_context())
    if kind == "interpreters":  # Python 3.14+
        from concurrent.futures import (  # type: ignore[attr-defined]
            InterpreterPoolExecutor,
        )

        return InterpreterPoolExecutor(max_workers=workers)
    raise ValueError(f"kind must be threads, processes or interpreters, got {kind!r}")


def primes_on_pool(
    kind: str, workers: int, n: int, tasks: int
) -> tuple[float, list[int]]:
    """The same tasks on a pool of ``workers`` threads, processes or
    interpreters; (seconds, counts). The time includes starting the pool."""
    from conclab.core.workloads import count_primes

    start = time.perf_counter()
    with _pool(kind, workers) as pool:
        counts = list(pool.map(count_primes, [n] * tasks))
    return time.perf_counter() - start, counts


def primes_on_warm_pool(
    kind: str, workers: int, n: int, tasks: int
) -> tuple[float, float, float, list[int]]:
    """The same on a pool that is started (and every worker warmed up with a
    small task) first: (start-up seconds, work seconds, this process's CPU
    seconds during the work, counts). A new
    subinterpreter or spawned process imports its modules afresh, which can
    take longer than the work itself; this separates the two."""
    from conclab.core.workloads import count_primes

    start = time.perf_counter()
    with _pool(kind, workers) as pool:
        list(pool.map(count_primes, [20_000] * workers))  # one per worker
        ready, used = time.perf_counter(), time.process_time()
        counts = list(pool.map(count_primes, [n] * tasks))
        done, used = time.perf_counter(), time.process_time() - used
    return ready - start, done - ready, used, counts


def _primes(args: dict[str, Any]) -> dict[str, Any]:
    """Task ``primes``: the sequential time and each pool size, best of
    ``repeat`` (round-robin, so a burst of load hits every case alike)."""
    n, tasks, repeat = args["n"], args["tasks"], args.get("repeat", 1)
    kind, workers = args.get("kind", "threads"), args.get("workers", [2, 4])
    best: dict[str, float] = {}
    cpu: dict[str, float] = {}  # this process's CPU time in the best run
    counts = set()
    for _ in range(repeat):
        for w in [1, *workers]:
            used = time.process_time()
            if w == 1:
                seconds, result = primes_sequential(n, tasks)
            else:
                seconds, result = primes_on_pool(kind, w, n, tasks)
            used = time.process_time() - used
            if seconds < best.get(str(w), float("inf")):
                best[str(w)], cpu[str(w)] = seconds, used
            counts.add(tuple(result))
    return {"walls": best, "cpu": cpu, "counts_agree": len(counts) == 1, "kind": kind}


# ---------------------------------------------------------------------------
# 05's races, again
# ---------------------------------------------------------------------------


def start_together(target: Callable[..., Any], args_per_thread: list[tuple]) -> None:
    """One thread per argument tuple, all released at once by a barrier, all
    joined (with a timeout: a child never hangs)."""
    barrier = threading.Barrier(len(args_per_thread))

    def run(*args: Any) -> None:
        barrier.wait(timeout=JOIN_TIMEOUT)
        target(*args)

    threads = [threading.Thread(target=run, args=a) for a in args_per_thread]
    for t in threads:
        t.start()
    deadline = time.monotonic() + JOIN_TIMEOUT
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
        if t.is_alive():
            raise TimeoutError(f"a thread ran longer than {JOIN_TIMEOUT:g} s")


count = 0  # the shared counter of 05: a module global


def increment_global(iterations: int) -> None:
    """05's ``count += 1``, no lock."""
    global count
    for _ in range(iterations):
        count += 1


def increment_global_locked(iterations: int, lock: threading.Lock) -> None:
    """The same under a lock."""
    global count
    for _ in range(iterations):
        with lock:
            count += 1


def count_letters_shared(text: str, table: dict[str, int]) -> None:
    """05's letter counter without a lock: ``table[ch] += 1`` on a shared dict."""
    for ch in text:
        if ch in table:
            table[ch] += 1


def count_letters_shared_locked(
    text: str, table: dict[str, int], lock: threading.Lock
) -> None:
    """05's fix: count into a table of this thread's own, merge once under the lock."""
    local = dict.fromkeys(table, 0)
    for ch in text:
        if ch in local:
            local[ch] += 1
    with lock:
        for letter, n in local.items():
            table[letter] += n


class NoLockStingySpendy:
    """05's ``StingySpendy`` with the lock taken out (05 builds the same class
    in a cell): ``self.money += 10`` and ``-= 10``, unprotected."""

    def __init__(self, money: int = 100) -> None:
        self.money = money

    def stingy(self, times: int = 100_000) -> None:
        for _ in range(times):
            self.money += 10

    def spendy(self, times: int = 100_000) -> None:
        for _ in range(times):
            self.money -= 10


def stingy_spendy_together(account: Any, times: int) -> int:
    """05's ``run_stingy_spendy``, with both threads released by one barrier
    (so that they surely overlap); returns ``account.money``."""
    start_together(lambda method: method(times), [(account.stingy,), (account.spendy,)])
    return account.money


def _races(args: dict[str, Any]) -> dict[str, Any]:
    """Task ``races``: the three races of 05, each without the lock in
    ``trials`` runs (``"got"`` is the first, ``"trials"`` all of them), and
    once with it."""
    global count
    from conclab.core.corpus import document
    from conclab.core.letters import count_letters
    from conclab.core.races import StingySpendy

    threads, iterations = args["threads"], args["iterations"]
    trials = args.get("trials", 5)
    text = "".join(document(n) for n in range(1000, 1000 + args.get("documents", 4)))
    letters = sum(count_letters(text).values())
    times = args.get("stingy_times", iterations)
    lock = threading.Lock()

    def counted(target: Callable[..., None], *extra: Any) -> int:
        global count
        count = 0
        start_together(target, [(iterations, *extra)] * threads)
        return count

    def tabled(target: Callable[..., None], *extra: Any) -> int:
        table = count_letters("")
        start_together(target, [(text.lower(), table, *extra)] * threads)
        return sum(table.values())

    def banked(account: Any) -> int:
        return stingy_spendy_together(account, times)

    races = {
        "count += 1": (threads * iterations, lambda: counted(increment_global)),
        "count += 1, locked": (
            threads * iterations,
            lambda: counted(increment_global_locked, lock),
        ),
        "table[ch] += 1": (threads * letters, lambda: tabled(count_letters_shared)),
        "table[ch] += 1, locked": (
            threads * letters,
            lambda: tabled(count_letters_shared_locked, lock),
        ),
        "stingy/spendy": (100, lambda: banked(NoLockStingySpendy(100))),
        "stingy/spendy, locked": (100, lambda: banked(StingySpendy(100))),
    }
    out: dict[str, Any] = {}
    for name, (expected, run) in races.items():
        start = time.perf_counter()
        got = [run() for _ in range(1 if "locked" in name else trials)]
        out[name] = {
            "expected": expected,
            "got": got[0],
            "trials": got,
            "seconds": (time.perf_counter() - start) / len(got),
        }
        if name.startswith("stingy"):
            out[name]["updates"] = 2 * times  # each one ±10
    return out


# ---------------------------------------------------------------------------
# What stays safe: per-object locks; what does not: a shared iterator
# ---------------------------------------------------------------------------


def append_from_threads(threads: int, items: int) -> dict[str, int]:
    """Every thread appends ``items`` numbers to one shared list.

    ``list.append`` takes the list's own lock on the free-threaded build (an
    *atomic* operation in the documentation's terms): nothing is lost.
    """
    shared: list[int] = []

    def work() -> None:
        for i in range(items):
            shared.append(i)

    start_together(work, [()] * threads)
    return {"expected": threads * items, "got": len(shared)}


def share_one_iterator(threads: int, items: int) -> dict[str, int]:
    """Every thread takes numbers from **one** shared iterator over a list.

    Each number should be taken exactly once. Without the GIL several threads
    read and advance the iterator's position at the same time: some numbers
    are taken twice (the documentation: "threads may see duplicate or missing
    elements").
    """
    numbers = iter(list(range(items)))
    taken: list[list[int]] = [[] for _ in range(threads)]

    def work(mine: list[int]) -> None:
        for x in numbers:
            mine.append(x)

    start_together(work, [(mine,) for mine in taken])
    every = [x for mine in taken for x in mine]
    return {"items": items, "taken": len(every), "distinct": len(set(every))}


def share_one_generator(threads: int, items: int) -> dict[str, Any]:
    """The same with a generator: a generator runs in one thread at a time,
    and a second thread that calls ``next`` meanwhile gets ``ValueError``."""
    numbers = (x for x in range(items))
    errors: list[str] = []

    def work() -> None:
        try:
            for _ in numbers:
                pass
        except ValueError as exc:
            errors.append(str(exc))

    start_together(work, [()] * threads)
    return {"threads": threads, "errors": len(errors), "error": errors[:1]}


def _builtins(args: dict[str, Any]) -> dict[str, Any]:
    threads, items, trials = args["threads"], args["items"], args.get("trials", 5)
    return {
        "list.append": append_from_threads(threads, items),
        "shared iterator": [share_one_iterator(threads, items) for _ in range(trials)],
    }


def _generator(args: dict[str, Any]) -> dict[str, Any]:
    """One trial per child: on 3.13t a shared generator can crash the process."""
    return share_one_generator(args["threads"], args["items"])


# ---------------------------------------------------------------------------
# An extension that does not declare free-threading support
# ---------------------------------------------------------------------------


#: A C extension module of one function, as small as one can be. Compiled
#: with ``-DDECLARE`` it declares that it can run without the GIL (the
#: ``Py_mod_gil`` slot, 3.13+); without, it does not.
TINY_EXTENSION = r"""
#include <Python.h>

static PyObject *hello(PyObject *self, PyObject *unused) {
    return PyUnicode_FromString("hello from C");
}

static PyMethodDef methods[] = {
    {"hello", hello, METH_NOARGS, "Say hello."},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot slots[] = {
#if defined(DECLARE) && PY_VERSION_HEX >= 0x030D0000
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},  /* "I can run without the GIL" */
#endif
    {0, NULL},
};

static struct PyModuleDef tiny = {
    PyModuleDef_HEAD_INIT, "tiny", "An extension module.", 0, methods, slots,
};

PyMODINIT_FUNC PyInit_tiny(void) { return PyModuleDef_Init(&tiny); }
"""


def build_tiny_extension(declare: bool, folder: str = ".") -> str:
    """Compile :data:`TINY_EXTENSION` into ``folder`` with this Python's own
    compiler settings (``sysconfig``); returns the path of the module's file."""
    import os
    import shlex
    import shutil
    import subprocess

    ldshared = sysconfig.get_config_var("LDSHARED")
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    if not ldshared or not suffix:
        raise RuntimeError("this Python has no C compiler settings (sysconfig)")
    source = os.path.join(folder, "tiny.c")
    with open(source, "w", encoding="utf-8") as f:
        f.write(TINY_EXTENSION)
    linker = shlex.split(ldshared)
    if shutil.which(linker[0]) is None:  # built elsewhere with another compiler
        found = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
        if found is None:
            raise RuntimeError("no C compiler found (cc, gcc or clang)")
        linker = [found, "-shared"]
    command = [
        *linker,
        *shlex.split(sysconfig.get_config_var("CCSHARED") or ""),
        "-I" + sysconfig.get_paths()["include"],
        *(["-DDECLARE"] if declare else []),
        source,
        "-o",
        os.path.join(folder, "tiny" + suffix),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines() or ["failed"]
        raise RuntimeError(f"compiling the extension failed: {lines[-1]}")
    return os.path.abspath(command[-1])


def import_and_watch(module: str, path: str | None = None) -> dict[str, Any]:
    """Import ``module`` (from the file ``path`` when given); report the GIL
    before and after, and any warning."""
    probe = getattr(sys, "_is_gil_enabled", lambda: True)
    before = probe()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if path is None:
                importlib.import_module(module)
            else:  # an extension module in a file of its own
                spec = importlib.util.spec_from_file_location(module, path)
                if spec is None or spec.loader is None:
                    raise ImportError(f"no module {module!r} in {path}")
                spec.loader.exec_module(importlib.util.module_from_spec(spec))
            error = ""
        except ImportError as exc:
            error = f"{type(exc).__name__}: {exc}"
    return {
        "module": module,
        "gil_before": before,
        "gil_after": probe(),
        "warnings": [f"{w.category.__name__}: {w.message}" for w in caught],
        "error": error,
    }


def _extension(args: dict[str, Any]) -> dict[str, Any]:
    if args.get("module"):
        watched = import_and_watch(args["module"])
    else:  # the parent runs us from a fresh folder: build tiny there
        watched = import_and_watch("tiny", build_tiny_extension(args["declare"]))
    watched["free_threaded_build"] = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    if args.get("then_time"):  # threads after the import: is the GIL back?
        n, tasks, workers = args["n"], args["tasks"], args["workers"]
        seconds, _ = primes_sequential(n, tasks)
        used = time.process_time()
        threaded, _ = primes_on_pool("threads", workers, n, tasks)
        used = time.process_time() - used
        watched["walls"] = {"1": seconds, str(workers): threaded}
        watched["cores used"] = used / threaded  # CPU seconds per second
    return watched


# ---------------------------------------------------------------------------
# Subinterpreters (3.14): what they share and what they do not
# ---------------------------------------------------------------------------


def in_subinterpreter(view: memoryview, numbers: list, queue: Any) -> int:
    """Runs *inside* a subinterpreter: writes into the shared buffer, changes
    its copy of the list, sends a message; returns its own module global."""
    view[0] = 42  # the main interpreter's bytearray: shared, not copied
    numbers.append(4)  # a copy (pickled): the main interpreter's list stays
    queue.put(("hello from a subinterpreter", len(numbers)))
    return count  # this module's global, in this interpreter's own copy


def share_with_subinterpreter() -> dict[str, Any]:
    """What a subinterpreter shares with the main one (a queue, a memoryview's
    buffer) and what it does not (a list is copied; modules are its own)."""
    global count
    from concurrent import interpreters  # type: ignore[attr-defined]  # 3.14+

    count = 7  # set in the main interpreter only
    buffer = bytearray(4)
    numbers = [1, 2, 3]
    interp = interpreters.create()
    try:
        queue = interpreters.create_queue()
        their_count = interp.call(in_subinterpreter, memoryview(buffer), numbers, queue)
        message, their_length = queue.get(timeout=10)
    finally:
        interp.close()
    return {
        "queue message": message,
        "bytearray[0] after the write there": buffer[0],
        "list length there": their_length,
        "list length here": len(numbers),
        "module global here": count,
        "module global there": their_count,
    }


def import_in_subinterpreter(module: str) -> dict[str, str]:
    """Import ``module`` in the main interpreter, then in a fresh subinterpreter.

    An extension module must declare that it supports several interpreters
    (PEP 489 multi-phase init and the ``Py_mod_multiple_interpreters`` slot);
    numpy does not (2.x), nor does ``readline`` of the standard library.
    """
    from concurrent import interpreters  # type: ignore[attr-defined]  # 3.14+

    here = import_and_watch(module)["error"] or "imported"
    if here != "imported":
        return {"module": module, "here": here, "there": "not tried"}
    interp = interpreters.create()
    try:
        interp.exec(f"import {module}")
        there = "imported"
    except interpreters.ExecutionFailed as exc:
        there = f"{exc.excinfo.type.__name__}: {_cause(exc.excinfo.msg)}"
    finally:
        interp.close()
    return {"module": module, "here": here, "there": there}


def _cause(message: str) -> str:
    """The line of a long import error that says why (numpy's message is a
    page of advice that ends in "Original error was: ...")."""
    lines = [ln.strip() for ln in message.splitlines() if ln.strip()]
    why = [ln for ln in lines if "subinterpreters" in ln] or lines[-1:] or [""]
    return why[-1].removeprefix("Original error was: ")


def _subinterpreters(args: dict[str, Any]) -> dict[str, Any]:
    """Task ``subinterpreters``: warm pools of each kind (best of ``repeat``,
    round-robin), their start-up apart; then sharing and imports."""
    out: dict[str, Any] = {"walls": {}, "start-up": {}, "cpu": {}}
    n, tasks, workers = args["n"], args["tasks"], args["workers"]
    for _ in range(args.get("repeat", 1)):
        cases = [("sequential", 1)] + [
            (kind, w)
            for kind in ("threads", "interpreters", "processes")
            for w in workers
        ]
        for kind, w in cases:
            key = f"{kind} {w}"
            if kind == "sequential":
                used = time.process_time()
                seconds, _ = primes_sequential(n, tasks)
                used = time.process_time() - used
            else:
                started, seconds, used, _ = primes_on_warm_pool(kind, w, n, tasks)
                best = out["start-up"].get(key, started)
                out["start-up"][key] = min(best, started)
            if seconds < out["walls"].get(key, float("inf")):
                out["walls"][key], out["cpu"][key] = seconds, used
    if args.get("sharing", True):
        out["sharing"] = share_with_subinterpreter()
        modules = args.get("modules", ["numpy", "readline"])
        out["imports"] = [import_in_subinterpreter(m) for m in modules]
    return out


# ---------------------------------------------------------------------------
# The command line: python -m conclab.core.nogil_child TASK JSON
# ---------------------------------------------------------------------------

TASKS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "probe": lambda args: {},
    "primes": _primes,
    "races": _races,
    "builtins": _builtins,
    "generator": _generator,
    "extension": _extension,
    "subinterpreters": _subinterpreters,
}


def main(argv: list[str]) -> int:
    """Run one task and print ``{"facts": ..., "result": ...}`` as one JSON line."""
    if len(argv) != 2 or argv[0] not in TASKS:
        print(f"usage: nogil_child {{{','.join(TASKS)}}} JSON", file=sys.stderr)
        return 2
    result = TASKS[argv[0]](json.loads(argv[1]))
    facts = build_facts()  # after the task: an import may have enabled the GIL
    print(json.dumps({"facts": facts, "result": result}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
