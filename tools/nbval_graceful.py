"""pytest plugin: nbval shuts each notebook's kernel down cleanly, and checks it.

nbval stops a kernel with ``shutdown_kernel(now=True)``: it kills the
process. A kernel that used multiprocessing under spawn or forkserver then
never runs its exit handlers, and its resource tracker is killed with it, so
the named semaphores of its locks and queues stay in /dev/shm (about twenty
files per notebook run). A normal shutdown, as Jupyter does it, asks the
kernel to exit first. Loaded by the test command and ``make nbval`` as
``-p tools.nbval_graceful``.

After each notebook this plugin also checks that the kernel exited on its own
within Jupyter's grace time (it was not terminated or killed), and that it
left nothing behind: no child process, nothing in its temp dir (each kernel
gets a private one: multiprocessing's ``pymp-*`` folders land there), and none
of the semaphores and shared memory segments that it created (a startup file
logs what the kernel registers with multiprocessing's resource tracker, so
segments that other programs on the machine create are never counted). A
kernel that fails the check fails the notebook's last test.

With ``CONCLAB_NBVAL_TWICE=1`` every code cell then runs a second time in the
same kernel before it is shut down, as an instructor's second Run All does: a
cell that raises then (other than one tagged ``raises-exception``) fails the
notebook's last test too.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

SHM = Path("/dev/shm")
# Folders a library keeps in the temp dir for every later run on the machine,
# by design: Dask's scratch space (its ``temporary-directory``), which every
# LocalCluster shares and none removes. Not a leak of one kernel.
SHARED_DIRS = {"dask-scratch-space"}

# Runs in the kernel at start-up (IPython startup file): log every name the
# kernel registers with the resource tracker.
LOG_REGISTRATIONS = """\
import os as _os
from multiprocessing import resource_tracker as _tracker


def _conclab_register(
    name, rtype, _register=_tracker.register, _path=_os.environ["CONCLAB_KERNEL_LOG"]
):
    with open(_path, "a", encoding="utf-8") as log:
        log.write(f"{rtype} {name}\\n")
    return _register(name, rtype)


_tracker.register = _conclab_register
del _os, _tracker, _conclab_register
"""


def leftovers(home: Path, family: list[Any]) -> list[str]:
    """What a stopped kernel left behind: live descendants, anything in its
    private temp dir, semaphores and segments it registered."""
    import psutil

    problems = []
    # the resource tracker unlinks what the kernel leaked once the kernel has
    # gone: give it time (seconds on the free-threaded build, under load)
    _, alive = psutil.wait_procs(family, timeout=20)
    for proc in alive:
        try:
            problems.append(f"process {proc.pid} ({' '.join(proc.cmdline())[:80]})")
        except psutil.Error:
            continue
    tmp = home / "tmp"
    problems += [
        f"{p.name} in its temp dir" for p in tmp.iterdir() if p.name not in SHARED_DIRS
    ]
    log = home / "registered.log"
    if SHM.is_dir() and log.exists():
        for line in log.read_text(encoding="utf-8").splitlines():
            rtype, _, name = line.partition(" ")
            prefix = "sem." if rtype == "semaphore" else ""
            if (SHM / f"{prefix}{name.lstrip('/')}").exists():
                problems.append(f"{rtype} {name} in /dev/shm")
    return problems


def pytest_configure(config) -> None:
    try:
        import nbval.kernel as nbval_kernel
        from jupyter_client.manager import _ShutdownStatus
    except ImportError:  # nbval not installed: nothing to patch
        return

    start_new_kernel = nbval_kernel.start_new_kernel

    def start_in_a_home_of_its_own(*args: Any, **kwargs: Any) -> Any:
        home = Path(tempfile.mkdtemp(prefix="conclab-kernel-"))
        startup = home / "ipython" / "profile_default" / "startup"
        startup.mkdir(parents=True)
        (startup / "00-log-registrations.py").write_text(LOG_REGISTRATIONS)
        (home / "tmp").mkdir()
        kwargs["env"] = {
            **os.environ,
            "TMPDIR": str(home / "tmp"),
            "IPYTHONDIR": str(home / "ipython"),
            "CONCLAB_KERNEL_LOG": str(home / "registered.log"),
        }
        km, kc = start_new_kernel(*args, **kwargs)
        km.conclab_home = home
        return km, kc

    nbval_kernel.start_new_kernel = start_in_a_home_of_its_own

    def stop(self) -> None:
        import psutil

        km, home = self.km, self.km.conclab_home
        try:
            family = psutil.Process(km.provisioner.pid).children(recursive=True)
        except (psutil.Error, AttributeError):
            family = []
        self.kc.stop_channels()
        # Jupyter's grace time is 5 s: half of it to exit, then SIGTERM. Allow
        # four times that, for a loaded machine (a 3.13t kernel under two
        # parallel stages needed more than 5 s); a kernel held up by its
        # children needs about 29 s and is still caught.
        km.shutdown_wait_time = 20.0
        km.shutdown_kernel(now=False)  # asks first; kills after a grace time
        forced = getattr(km, "_shutdown_status", None) in (
            _ShutdownStatus.SigtermRequest,
            _ShutdownStatus.SigkillRequest,
        )
        del self.km
        problems = leftovers(home, family)
        shutil.rmtree(home, ignore_errors=True)
        if forced:
            problems.insert(0, "the kernel did not exit within the grace time")
        if problems:
            raise RuntimeError(
                "the notebook's kernel did not shut down cleanly: "
                + "; ".join(problems)
            )

    nbval_kernel.RunningKernel.stop = stop
    if os.environ.get("CONCLAB_NBVAL_TWICE") == "1":
        _run_all_again_before_teardown()


def _run_all_again_before_teardown() -> None:
    from nbval.plugin import IPyNbFile

    teardown = IPyNbFile.teardown

    def run_again_then_teardown(self: Any) -> None:
        failed = []
        if self.kernel is not None and self.kernel.is_alive():
            for index, cell in enumerate(self.nb.cells):
                if cell.cell_type != "code":
                    continue
                reply = self.kernel.kc.execute_interactive(
                    cell.source, store_history=False, allow_stdin=False,
                    timeout=120, output_hook=lambda msg: None,
                )  # fmt: skip
                meant = "raises-exception" in cell.metadata.get("tags", [])
                got = reply["content"]
                if got["status"] == "error" and not meant:
                    failed.append(f"cell {index}: {got['ename']}: {got['evalue']}")
        teardown(self)
        if failed:
            raise RuntimeError("the second Run All failed: " + "; ".join(failed))

    IPyNbFile.teardown = run_again_then_teardown
