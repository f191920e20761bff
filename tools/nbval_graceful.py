"""pytest plugin: let nbval shut each notebook's kernel down cleanly.

nbval stops a kernel with ``shutdown_kernel(now=True)``: it kills the
process. A kernel that used multiprocessing under spawn or forkserver then
never runs its exit handlers, and its resource tracker is killed with it, so
the named semaphores of its locks and queues stay in /dev/shm (about twenty
files per notebook run). A normal shutdown, as Jupyter does it, asks the
kernel to exit and leaves nothing behind. Loaded by noxfile.py and
``make nbval`` as ``-p tools.nbval_graceful``.
"""

from __future__ import annotations

import psutil

CHILD_GRACE_S = 10.0


def pytest_configure(config) -> None:
    try:
        from nbval.kernel import RunningKernel
    except ImportError:  # nbval not installed: nothing to patch
        return

    def stop(self) -> None:
        children = _children(self.km)
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=False)  # asks first; kills after a grace time
        # The kernel's resource tracker (it ignores SIGINT and SIGTERM) unlinks
        # the kernel's semaphores once the kernel is gone: wait for it, so that
        # nothing is still in /dev/shm when nbval returns (on 3.13t it took
        # seconds).
        psutil.wait_procs(children, timeout=CHILD_GRACE_S)
        del self.km

    RunningKernel.stop = stop


def _children(km) -> list:
    """The kernel's child processes (its resource tracker, a forkserver)."""
    process = getattr(getattr(km, "provisioner", None), "process", None)
    try:
        return psutil.Process(process.pid).children(recursive=True)
    except (AttributeError, psutil.Error):
        return []
