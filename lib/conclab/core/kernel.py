"""A Jupyter kernel that used multiprocessing shuts down at once.

Used by :func:`conclab.env.mp_context`, which every notebook that starts
processes goes through (notebooks 01, 03, 04 and on).

At shutdown ipykernel (6.10+) sends SIGTERM to each child process in its
process group and waits until none is left: up to about 15 s, then as long
again with SIGKILL. Two of multiprocessing's helpers never leave that list:
the resource tracker ignores SIGTERM on purpose, and a terminated fork server
stays a zombie, because nobody reaps it. So a kernel that started either one
needs about 29 s to exit, Jupyter's grace time (5 s) runs out first, and the
kernel is killed: multiprocessing's exit handlers never run, and a
``pymp-*`` folder stays in the temp dir on every run.

:func:`let_kernel_exit_promptly` leaves both out of ipykernel's list: the
tracker ends by itself once the kernel has gone (and first removes anything
the kernel leaked), and a zombie is already dead.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["let_kernel_exit_promptly"]

_MARK = "_conclab_prompt_exit"

#: Modules whose threads and tasks belong to the notebook's kernel, not to the
#: lesson: pyzmq starts a garbage-collector thread the first time it sends a
#: large message (a plot), whenever that happens.
KERNEL_MODULES = ("zmq", "ipykernel", "IPython", "jupyter_client", "tornado")


def kernel_thread(thread: threading.Thread) -> bool:
    """A thread of the Jupyter kernel itself (e.g. pyzmq's garbage collector,
    started the first time a big message such as a plot is sent)."""
    target = getattr(thread, "_target", None)
    modules = (type(thread).__module__, getattr(target, "__module__", None) or "")
    return any(m.split(".")[0] in KERNEL_MODULES for m in modules)


def _running_kernel() -> Any:
    """The ipykernel Kernel object this code runs in, or None (not in a kernel).

    Looks only at modules already imported, so a plain script or a worker
    process imports nothing for it."""
    ipython = sys.modules.get("IPython")
    if ipython is None or "ipykernel" not in sys.modules:
        return None
    shell = ipython.get_ipython()
    return getattr(shell, "kernel", None)


def _tracker_pid() -> int | None:
    from multiprocessing import resource_tracker

    return getattr(resource_tracker._resource_tracker, "_pid", None)


def _without_helpers(children: Callable[[], list[Any]]) -> Callable[[], list[Any]]:
    def process_children() -> list[Any]:
        import psutil

        tracker = _tracker_pid()
        kept = []
        for child in children():
            try:
                if child.pid != tracker and child.status() != psutil.STATUS_ZOMBIE:
                    kept.append(child)
            except psutil.Error:  # it has gone meanwhile
                continue
        return kept

    setattr(process_children, _MARK, True)
    return process_children


def let_kernel_exit_promptly() -> bool:
    """In a Jupyter kernel, stop ipykernel's shutdown from waiting ~29 s on
    multiprocessing's resource tracker and on zombie children (see the module
    docstring). Idempotent; does nothing outside a kernel, or where ipykernel
    has no such shutdown step. Returns True when the kernel is now patched."""
    kernel = _running_kernel()
    children = getattr(kernel, "_process_children", None)
    if children is None:
        return False
    if not getattr(children, _MARK, False):
        kernel._process_children = _without_helpers(children)
    return True
