"""pytest plugin: let nbval shut each notebook's kernel down cleanly.

nbval stops a kernel with ``shutdown_kernel(now=True)``: it kills the
process. A kernel that used multiprocessing under spawn or forkserver then
never runs its exit handlers, and its resource tracker is killed with it, so
the named semaphores of its locks and queues stay in /dev/shm (about twenty
files per notebook run). A normal shutdown, as Jupyter does it, asks the
kernel to exit and leaves nothing behind. Loaded by tools/test_all.py and
``make nbval`` as ``-p tools.nbval_graceful``.
"""

from __future__ import annotations


def pytest_configure(config) -> None:
    try:
        from nbval.kernel import RunningKernel
    except ImportError:  # nbval not installed: nothing to patch
        return

    def stop(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=False)  # asks first; kills after a grace time
        del self.km

    RunningKernel.stop = stop
