"""Processes vs threads, child memory, start methods and their traps.

Measurements and demonstrations for ``01_processes_and_threads.ipynb``,
``02_the_gil.ipynb`` (its exercise checker) and ``03_start_methods.ipynb``.

Everything a child process runs here is either a module-level function of
this module (so ``spawn`` and ``forkserver`` can import it by name) or plain
standard-library code. The measurements of start cost and child memory use
children that import nothing of this library, so that they measure the
process itself and not our imports. Every child is waited for with a
timeout and terminated if it does not finish: nothing here can hang.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._validate import check_callable, check_choice, check_int, check_number
from .checks import Verdict, check_answers
from .env import mp_context, start_method
from .plots import LABEL_SIZE, LEGEND_SIZE, TICK_SIZE, TITLE_SIZE, figure

__all__ = [
    "ChildMemory",
    "ScriptResult",
    "StartCosts",
    "append_to",
    "check_gil_answers",
    "check_start_method_answers",
    "check_visibility_answers",
    "child_errors",
    "child_memory",
    "child_memory_per_method",
    "copy_on_write_demo",
    "fork_warning",
    "forkserver_first_start",
    "plot_child_memory",
    "plot_copy_on_write",
    "plot_start_costs",
    "read_setting",
    "run_in_child",
    "run_script",
    "start_costs",
    "start_join_times",
]

#: A module global for the "what does the child see" demo of notebook 03.
#: The parent changes it after import; a forked child sees the change, a
#: spawned (or forkserver) child imports this module afresh and does not.
SETTING = "set at import"

_MB = 1024 * 1024
_CHILD_TIMEOUT = 60.0


def _methods(methods: Iterable[str] | None) -> list[str]:
    available = multiprocessing.get_all_start_methods()
    if methods is None:
        return [m for m in ("fork", "forkserver", "spawn") if m in available]
    if isinstance(methods, str):
        raise TypeError("methods must be a list of start method names, not a str")
    return [check_choice("method", m, available) for m in methods]


def _stop(process: Any, timeout: float = 5.0) -> None:
    """Join ``process``; terminate, then kill it if it does not end in time."""
    if process.pid is None:  # never started
        return
    process.join(timeout)
    if process.is_alive():
        process.terminate()
        process.join(timeout)
    if process.is_alive():  # pragma: no cover - last resort
        process.kill()
        process.join(timeout)


def _expect(conn: Any, timeout: float, process: Any) -> Any:
    """Receive one message from a child, or fail clearly if it died or hung."""
    if not conn.poll(timeout):
        raise TimeoutError(f"the child did not answer within {timeout} s")
    try:
        return conn.recv()
    except EOFError:
        process.join(5)
        raise ChildProcessError(
            f"the child ended without answering (exit code {process.exitcode}); "
            "is its function importable by name?"
        ) from None


# ---------------------------------------------------------------- 01: memory


def append_to(items: list, value: Any) -> list:
    """Append ``value`` to ``items`` and return the list (notebook 01).

    Run in a thread, the caller's list changes; run in a child process, the
    child changes its own copy and the parent's list stays as it was.
    """
    items.append(value)
    return items


def read_setting() -> str:
    """Return this module's ``SETTING`` as the calling process sees it (03)."""
    return SETTING


def _child_call(conn: Any, func: Callable[..., Any], args: tuple) -> None:
    """Child side of :func:`run_in_child`: run ``func`` and send the result."""
    try:
        result = ("ok", func(*args))
    except BaseException as exc:  # report any failure to the parent
        result = ("error", f"{type(exc).__name__}: {exc}")
    try:
        conn.send(result)
    finally:
        conn.close()


def run_in_child(
    func: Callable[..., Any],
    *args: Any,
    method: str | None = None,
    timeout: float = _CHILD_TIMEOUT,
) -> Any:
    """Run ``func(*args)`` in one child process and return what it returns.

    The child sends the result back through a pipe (children return data,
    the parent prints). ``func`` must be importable by name under ``spawn``
    and ``forkserver``: a module-level function of a module, never one
    defined in a notebook cell. Raises ``ChildProcessError`` when the child
    fails and ``TimeoutError`` (after terminating it) when it takes longer
    than ``timeout`` seconds. Introduced in ``01_processes_and_threads``.
    """
    check_callable("func", func)
    timeout = check_number("timeout", timeout, minimum=0.1)
    ctx = mp_context(method)
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child_call, args=(sender, func, args))
    try:
        process.start()
        sender.close()
        status, value = _expect(receiver, timeout, process)
    finally:
        sender.close()
        receiver.close()
        _stop(process)
    if status != "ok":
        raise ChildProcessError(f"the child raised {value}")
    return value


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
    timeout: float = _CHILD_TIMEOUT,
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
    method = start_method(method)
    ctx = multiprocessing.get_context(method)
    receiver, sender = ctx.Pipe(duplex=False)
    release = ctx.Event()
    scope = {"modules": imports, "ready": sender, "release": release}
    scope["timeout"] = timeout
    process = ctx.Process(target=exec, args=(_HOLD, scope))
    try:
        process.start()
        sender.close()
        _expect(receiver, timeout, process)
        info = psutil.Process(process.pid).memory_full_info()
        parent = psutil.Process().memory_info().rss
    finally:
        release.set()
        receiver.close()
        _stop(process)
    return ChildMemory(method, info.rss / _MB, info.uss / _MB, parent / _MB)


def child_memory_per_method(
    methods: Iterable[str] | None = None, imports: Iterable[str] = ()
) -> list[ChildMemory]:
    """:func:`child_memory` for each start method available here (01, 03)."""
    imports = tuple(imports)
    return [child_memory(m, imports) for m in _methods(methods)]


def _figure(width: float = 8.0, height: float = 4.5) -> tuple[Any, Any]:
    """A projector-styled figure (:func:`conclab.plots.figure`), no x grid."""
    fig, ax = figure(figsize=(width, height))
    ax.grid(False, axis="x")
    return fig, ax


def plot_child_memory(rows: list[ChildMemory], title: str = "") -> Any:
    """Bars of RSS and USS per start method (notebooks 01 and 03)."""
    if not rows:
        raise ValueError("rows must hold at least one ChildMemory")
    fig, ax = _figure()
    xs = range(len(rows))
    width = 0.38
    rss = ax.bar(
        [x - width / 2 for x in xs],
        [r.rss for r in rows],
        width,
        label="RSS: resident (shared pages count too)",
        color="#9ecae1",
    )
    uss = ax.bar(
        [x + width / 2 for x in xs],
        [r.uss for r in rows],
        width,
        label="USS: unique to the child",
        color="#3182bd",
    )
    ax.bar_label(rss, fmt="%.0f", fontsize=TICK_SIZE)
    ax.bar_label(uss, fmt="%.1f", fontsize=TICK_SIZE)
    ax.set_xticks(list(xs), [r.method for r in rows])
    ax.set_ylabel("MB", fontsize=LABEL_SIZE)
    ax.set_ylim(0, max(r.rss for r in rows) * 1.3)
    ax.set_title(
        title or f"Memory of one idle child (parent RSS {rows[0].parent_rss:.0f} MB)",
        fontsize=TITLE_SIZE,
    )
    ax.legend(loc="upper right", fontsize=LEGEND_SIZE)
    return fig


# ------------------------------------------------------------ 03: start cost


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
        process.join(_CHILD_TIMEOUT)
        times.append(time.perf_counter() - begin)
        _stop(process)
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


def start_costs(methods: Iterable[str] | None = None, repeat: int = 10) -> StartCosts:
    """Measure :func:`start_join_times` for each method (after one warm-up
    start each, so the fork server is already running) and
    :func:`forkserver_first_start` (notebook 03)."""
    repeat = check_int("repeat", repeat, minimum=1, maximum=1000)
    times = {}
    for method in _methods(methods):
        start_join_times(method, 1)  # warm-up: imports, the fork server
        times[method] = start_join_times(method, repeat)
    first = None
    if "forkserver" in times:
        first = forkserver_first_start()[0]
    return StartCosts(times, first)


def plot_start_costs(costs: StartCosts, title: str = "") -> Any:
    """Bar chart of the median start+join time per method; forkserver's first
    start (which also starts the server) as a separate hatched bar (03)."""
    medians = costs.medians_ms()
    labels = list(medians)
    values = list(medians.values())
    colors = ["#3182bd"] * len(values)
    hatches = [""] * len(values)
    if costs.forkserver_first is not None:
        labels.append("forkserver\nfirst start\n(fresh interpreter)")
        values.append(costs.forkserver_first * 1000)
        colors.append("#fdae6b")
        hatches.append("//")
    fig, ax = _figure()
    bars = ax.bar(labels, values, color=colors, hatch=hatches, edgecolor="white")
    ax.bar_label(bars, fmt="%.1f ms", fontsize=TICK_SIZE)
    ax.set_ylabel("start + join, empty process (ms)", fontsize=LABEL_SIZE)
    ax.set_ylim(0, max(values) * 1.2)
    ax.set_title(
        title or "What starting one process costs (median)", fontsize=TITLE_SIZE
    )
    return fig


# ------------------------------------------------------- 03: copy-on-write


def _cow_child(data: list, action: str, conn: Any) -> None:
    """Fork child of :func:`copy_on_write_demo`: report, act, report, wait."""
    conn.send("ready")
    if conn.poll(_CHILD_TIMEOUT):
        conn.recv()
        if action == "iterate":
            for _item in data:
                pass
        elif action == "collect":
            gc.collect()
        conn.send("done")
        conn.poll(_CHILD_TIMEOUT)
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
        _expect(parent_end, _CHILD_TIMEOUT, process)
        before = child.memory_full_info().uss
        parent_end.send("go")
        _expect(parent_end, _CHILD_TIMEOUT, process)
        after = child.memory_full_info().uss
        parent_end.send("exit")
    finally:
        if freeze:
            gc.unfreeze()
        parent_end.close()
        _stop(process)
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
        data = None
        if was_enabled:
            gc.enable()


def plot_copy_on_write(result: Mapping[str, float], n: int = 1_000_000) -> Any:
    """Horizontal bars of :func:`copy_on_write_demo` (notebook 03)."""
    labels = list(result)[::-1]
    values = [result[k] for k in labels]
    fig, ax = _figure(9.0, 5.0)
    ax.grid(False, axis="y")
    bars = ax.barh(labels, values, color="#e6550d")
    ax.bar_label(bars, fmt="%.1f MB", fontsize=TICK_SIZE, padding=3)
    ax.set_xlim(0, max(max(values), 1) * 1.3)
    ax.set_xlabel("memory the child made private (USS growth, MB)", fontsize=LABEL_SIZE)
    ax.set_title(
        f"Copy-on-write in CPython:\n{n:,} objects shared with a forked child",
        fontsize=TITLE_SIZE,
    )
    return fig


# --------------------------------------------------------------- 03: traps


def _hold_thread(event: threading.Event) -> None:
    event.wait(_CHILD_TIMEOUT)


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
    helper = threading.Thread(target=_hold_thread, args=(release,), daemon=True)
    helper.start()  # make sure this process has a second thread
    process = multiprocessing.get_context("fork").Process()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            process.start()
    finally:
        release.set()
        helper.join(5)
        _stop(process)
    for item in caught:
        text = str(item.message)
        if issubclass(item.category, DeprecationWarning) and "fork" in text:
            return f"{item.category.__name__}: " + re.sub(r"pid=\d+", "pid=N", text)
    return None


@dataclass
class ChildErrors:
    """What child processes wrote to standard error in :func:`child_errors`."""

    text: str = ""

    def lines(self) -> list[str]:
        """The exception lines (``SomeError: message``), without tracebacks."""
        found = re.findall(r"^(\w+(?:Error|Exception): .*)$", self.text, re.M)
        return [_strip_paths(line) for line in found]


def _strip_paths(text: str) -> str:
    return re.sub(r"(/|[A-Za-z]:\\)[^\s'\"]*[/\\]", "", text)


@contextmanager
def child_errors() -> Iterator[ChildErrors]:
    """Collect what child processes write to stderr inside the block; at the
    end print only their exception lines (``AttributeError: …``).

    A child that dies prints a long traceback full of file paths; the line
    that matters is its last one. This redirects file descriptor 2 (which
    children inherit) to a temporary file for the block, then prints each
    exception line as ``a child process reported: …`` — also when the block
    raises, before the parent's own traceback. The kernel's own ``print``
    is not affected. Meant for *spawned* children: a forkserver child
    inherits the server's stderr (fixed when the server started), a forked
    one may write through an inherited Python-level ``sys.stderr``.
    Notebook 03 (the notebook-function trap).
    """
    captured = ChildErrors()
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # pragma: no cover - no file descriptor 2 at all
        yield captured
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield captured
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            captured.text = sink.read().decode("utf-8", errors="replace")
            for line in captured.lines():
                print("a child process reported:", line)


@dataclass(frozen=True)
class ScriptResult:
    """What a script run by :func:`run_script` did."""

    returncode: int
    stdout: str
    stderr: str

    def error(self) -> str:
        """The last exception of ``stderr`` as one line (type: first sentence)."""
        plain = re.sub(r"\x1b\[[0-9;]*m", "", self.stderr)
        lines = plain.strip().splitlines()
        for i in range(len(lines) - 1, -1, -1):
            if re.match(r"^\w+(Error|Exception|Warning)\b", lines[i]):
                text = " ".join(part.strip() for part in lines[i:])
                text = re.sub(r"\s+", " ", text)
                head, _, rest = text.partition(":")
                first = re.match(r"(.+?\.)(\s|$)", rest.strip())
                sentence = first.group(1) if first else rest.strip()
                return f"{head}: {sentence}" if sentence else head
        return ""


def run_script(source: str, timeout: float = 60) -> ScriptResult:
    """Save ``source`` as ``script.py`` in a fresh temporary folder and run it
    with this Python, from that folder, ``timeout`` seconds at most.

    Lets a notebook show what a *script* does (``__main__`` guard,
    ``set_start_method``) without touching the kernel's own state. Paths of
    the temporary folder are removed from the output. Notebook 03.
    """
    if not isinstance(source, str):
        raise TypeError("source must be the script's text (str)")
    timeout = check_number("timeout", timeout, minimum=1)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "script.py")
        path.write_text(source, encoding="utf-8")
        skip = {"PYTHONSTARTUP", "FORCE_COLOR"}
        env = {k: v for k, v in os.environ.items() if k not in skip}
        env["PYTHON_COLORS"] = "0"  # 3.13+ colours tracebacks in a kernel
        try:
            done = subprocess.run(
                [sys.executable, "script.py"],
                cwd=folder,
                capture_output=True,
                text=True,
                timeout=timeout,
                env=env,
            )
        except subprocess.TimeoutExpired as exc:
            raise TimeoutError(f"the script ran longer than {timeout} s") from exc
        out = done.stdout.replace(str(path), "script.py").replace(folder, ".")
        err = done.stderr.replace(str(path), "script.py").replace(folder, ".")
    return ScriptResult(done.returncode, out, err)


# ------------------------------------------------------------- checkers


def _check(
    answers: Mapping[str, Any], expected: Mapping[str, Any], why: Mapping[str, str]
) -> Verdict:
    """:func:`check_answers`: unanswered questions get no explanation."""
    return check_answers(answers, expected, why)


def _as_set(value: Any) -> Any:
    if isinstance(value, (list, tuple, set, frozenset)):
        return frozenset(str(v).strip().lower() for v in value)
    if isinstance(value, str):
        return value.strip().lower()
    return value


_VISIBILITY = {
    "a": True,
    "b": False,
    "c": True,
    "d": False,
    "e": True,
    "f": True,
}
_VISIBILITY_WHY = {
    "a": "threads share the process's memory: the same list object",
    "b": "the child changes its own copy of the list",
    "c": "a module global is one object in the one process all threads share",
    "d": "the child sets the global in its own memory (any start method)",
    "e": "a returned value travels back through a pipe: that is how it's done",
    "f": "multiprocessing.Value lives in shared memory both processes map",
}


def check_visibility_answers(answers: Mapping[str, bool]) -> Verdict:
    """Checker of notebook 01's exercise: which changes does the parent see?

    ``answers`` maps the letters ``"a"`` … ``"f"`` to ``True`` (the parent
    sees the change) or ``False``.
    """
    return _check(answers, _VISIBILITY, _VISIBILITY_WHY)


_GIL = {
    "primes": "processes",
    "downloads": "threads",
    "sha256_big": "threads",
    "sha256_small": "processes",
    "sleep": "threads",
    "chain": "neither",
    "zlib": "threads",
}
_GIL_WHY = {
    "primes": "pure Python holds the GIL: one thread runs at a time",
    "downloads": "waiting for the network releases the GIL",
    "sha256_big": "hashlib releases the GIL for inputs of 2048 bytes or more",
    "sha256_small": "64-byte pieces are below hashlib's 2048-byte line",
    "sleep": "time.sleep releases the GIL",
    "chain": "each step needs the previous result: nothing can run at once",
    "zlib": "zlib releases the GIL while it compresses",
}


def check_gil_answers(answers: Mapping[str, str]) -> Verdict:
    """Checker of notebook 02's exercise: classify each snippet as
    ``"threads"`` (threads already speed it up), ``"processes"`` (only
    processes do, on a GIL build) or ``"neither"``."""
    if isinstance(answers, Mapping):
        answers = {k: _as_set(v) for k, v in answers.items()}
    return _check(answers, _GIL, _GIL_WHY)


_START = {
    "windows": frozenset({"spawn"}),
    "linux_3_13_default": "fork",
    "linux_3_14_default": "forkserver",
    "macos_default": "spawn",
    "sees_parent_global": frozenset({"fork"}),
    "new_interpreter_per_child": "spawn",
    "notebook_function_ok": frozenset({"fork"}),
}
_START_WHY = {
    "windows": "Windows has no fork(): spawn is the only method",
    "linux_3_13_default": "fork was the Linux default up to 3.13",
    "linux_3_14_default": "3.14 changed the Linux default to forkserver",
    "macos_default": "spawn has been the macOS default since 3.8",
    "sees_parent_global": "only a forked child starts from a copy of the parent",
    "new_interpreter_per_child": "spawn starts a fresh interpreter for every "
    "child; forkserver starts one (its server) and forks the children from it",
    "notebook_function_ok": "spawn and forkserver children import the target "
    "by name; __main__ of a notebook has no such function",
}


def check_start_method_answers(answers: Mapping[str, Any]) -> Verdict:
    """Checker of notebook 03's exercise. Answers are a method name, or a
    set/list of method names where the question asks "which methods"."""
    if isinstance(answers, Mapping):
        answers = {k: _as_set(v) for k, v in answers.items()}
    return _check(answers, _START, _START_WHY)
