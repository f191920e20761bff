"""Child processes: run a function or a script in one, stop one, list leftovers.

The plumbing every notebook that starts processes uses (``01`` to ``04``):
:func:`run_in_child` (the child returns data through a pipe, the parent
prints), :func:`run_script` (a fresh Python on a saved script),
:func:`stop_process` (join, then terminate, then kill: the ``finally`` of
every demo), :func:`child_errors` and :func:`leftover_children`. Every wait
has a timeout: nothing here can hang.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .env import mp_context
from .validate import check_callable, check_number

__all__: list[str] = [
    "ScriptResult",
    "child_errors",
    "leftover_children",
    "run_in_child",
    "run_script",
    "stop_process",
]


JOIN_TIMEOUT = 10.0


def stop_process(process: Any, timeout: float = JOIN_TIMEOUT) -> int | None:
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


def get_from_children(
    queue: Any, children: Sequence[Any], timeout: float = 60.0
) -> Any:
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


def leftover_children(ignore: Iterable[int] = ()) -> list[str]:
    """Names of this process's live child processes, except the helpers
    multiprocessing keeps on purpose (the forkserver and the resource
    tracker) and the pids in ``ignore`` (children that were there before).
    An empty list means every demo cleaned up after itself.
    """
    old = set(ignore)
    return [name for pid, name in live_children() if pid not in old]


def live_children() -> list[tuple[int, str]]:
    """``(pid, name)`` of every live child and grandchild, less
    multiprocessing's own helpers: the resource tracker, and the forkserver
    itself (not what it forked). Zombies do not count."""
    import psutil

    def alive(process: psutil.Process) -> bool:
        try:
            return process.status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False

    found: list[tuple[int, str]] = []
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
        for process in suspects:
            if alive(process):
                with contextlib.suppress(psutil.Error):
                    found.append((process.pid, process.name()))
    return found


CHILD_TIMEOUT = 60.0


def inet_connections(proc: Any) -> list[Any]:
    """``proc``'s inet sockets (a ``psutil.Process``). psutil 6 renamed
    ``connections`` to ``net_connections``; pyproject allows psutil 5.9."""
    getter = getattr(proc, "net_connections", None) or proc.connections
    return list(getter(kind="inet"))


def receive_or_fail(conn: Any, timeout: float, process: Any) -> Any:
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
    timeout: float = CHILD_TIMEOUT,
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
        status, value = receive_or_fail(receiver, timeout, process)
    finally:
        sender.close()
        receiver.close()
        stop_process(process)
    if status != "ok":
        raise ChildProcessError(f"the child raised {value}")
    return value


@dataclass
class ChildErrors:
    """What child processes wrote to standard error in :func:`child_errors`."""

    text: str = ""

    def lines(self) -> list[str]:
        """The exception lines (``SomeError: message``), without tracebacks."""
        found = re.findall(r"^(\w+(?:Error|Exception): .*)$", self.text, re.M)
        return [strip_paths(line) for line in found]


def strip_paths(text: str) -> str:
    """``text`` without the folders of any file path in it (notebooks store
    their outputs)."""
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
