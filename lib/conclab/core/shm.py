"""Shared memory segments: attach, view as NumPy, watch for leaks.

Introduced in ``04_ipc.ipynb``. The children that work on a segment are
module-level functions here; :func:`watch_shared_memory` tells which segments
this process created and never unlinked; the demos of the traps
(:func:`leak_demo`, :func:`use_after_close_demo`) run in a fresh Python.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from multiprocessing import shared_memory
from typing import Any

from .children import run_script
from .validate import check_int

__all__: list[str] = [
    "SharedMemoryWatch",
    "attach_shared_memory",
    "leak_demo",
    "scale_shared",
    "shared_array",
    "square_shared",
    "use_after_close_demo",
    "watch_shared_memory",
]


def attach_shared_memory(name: str) -> shared_memory.SharedMemory:
    """Attach to an existing segment without becoming responsible for it.

    On Python 3.13+ this passes ``track=False``, so the resource tracker
    only knows the creator's handle; before 3.13 attaching registers the
    name again, which is harmless for children of the creator (they share
    its tracker). ``04_ipc.ipynb``.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty str, got {name!r}")
    if sys.version_info >= (3, 13):
        return shared_memory.SharedMemory(name=name, track=False)
    return shared_memory.SharedMemory(name=name)


def shared_array(shm: shared_memory.SharedMemory, shape: Any, dtype: Any) -> Any:
    """A NumPy array of ``shape`` and ``dtype`` on the segment's bytes.

    Uses ``np.frombuffer``, which holds the segment's buffer for as long as
    the array lives: ``shm.close()`` then raises ``BufferError`` instead of
    leaving an array that points at unmapped memory (``np.ndarray(...,
    buffer=shm.buf)`` does not hold it: using such an array after
    ``close()`` crashes the process). Delete the array before ``close()``.
    ``04_ipc.ipynb``.
    """
    import numpy as np

    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    count = 1
    for n in shape:
        count *= check_int("shape item", n, minimum=0)
    if shm.buf is None:
        raise ValueError(f"shm: segment {shm.name!r} is closed")
    return np.frombuffer(shm.buf, dtype=dtype, count=count).reshape(shape)


def scale_shared(name: str, shape: tuple[int, ...], dtype: str, factor: float) -> None:
    """Child of the SharedMemory demo: multiply a NumPy array in place.

    Attaches the segment ``name``, views it as an array of ``shape`` and
    ``dtype``, multiplies by ``factor``, drops the view and closes (never
    unlinks: that is the creator's job). ``04_ipc.ipynb``.
    """
    shm = attach_shared_memory(name)
    try:
        array = shared_array(shm, shape, dtype)
        array *= factor
        del array  # close() refuses while the array holds the buffer
    finally:
        shm.close()


def square_shared(name: str, start: int, stop: int) -> None:
    """Child of the shared-memory exercise: square ``int64`` items in place.

    Squares items ``start:stop`` of the ``int64`` array stored in segment
    ``name``. ``04_ipc.ipynb``.
    """
    shm = attach_shared_memory(name)
    try:
        array = shared_array(shm, shm.size // 8, "int64")
        array[start:stop] **= 2
        del array
    finally:
        shm.close()


_USE_AFTER_CLOSE_SCRIPT = """
import resource
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core file, please
from multiprocessing import shared_memory
import numpy as np
shm = shared_memory.SharedMemory(create=True, size=16)
try:
    view = np.ndarray((2,), dtype=np.int64, buffer=shm.buf)
    shm.close()
    print("close() raised nothing", flush=True)
    print(view[0], flush=True)  # the memory is no longer mapped
finally:
    shm.unlink()
"""


def use_after_close_demo() -> dict[str, Any]:
    """Run a fresh Python that closes a segment under a live ``np.ndarray``
    view and then reads the view. Returns ``{"printed": [...],
    "returncode": int, "crashed": bool, "signal": str | None}``.

    The read kills that process with ``SIGSEGV``. It runs on Linux only
    (elsewhere it returns ``{"skipped": reason}``): macOS would open a crash
    report dialog, Windows reports an access violation. The segment is
    unlinked before the read, and core files are disabled, so nothing is
    left behind. ``04_ipc.ipynb``.
    """
    import signal

    if not sys.platform.startswith("linux"):
        return {"skipped": "runs on Linux only (a crash would open a dialog)"}
    result = run_script(_USE_AFTER_CLOSE_SCRIPT, timeout=60)
    name = None
    if result.returncode < 0:
        try:
            name = signal.Signals(-result.returncode).name
        except ValueError:
            name = str(-result.returncode)
    return {
        "printed": result.stdout.splitlines(),
        "returncode": result.returncode,
        "crashed": result.returncode != 0,
        "signal": name,
    }


_REGISTERED: dict[str, int] = {}  # name -> registrations not yet undone


def _install_segment_log() -> None:
    """Wrap ``resource_tracker.register``/``unregister`` to keep a log.

    ``SharedMemory`` calls them (on POSIX) when a segment is created or
    attached and when it is unlinked; the names registered and never
    unregistered are exactly what the resource tracker warns about at
    shutdown. Installed once per process; the originals still run.
    """
    try:
        from multiprocessing import resource_tracker
    except ImportError:  # pragma: no cover - no tracker on this platform
        return
    if getattr(resource_tracker, "_conclab_segment_log", False):
        return
    register, unregister = resource_tracker.register, resource_tracker.unregister

    def logged_register(name: str, rtype: str) -> None:
        if rtype == "shared_memory":
            _REGISTERED[name] = _REGISTERED.get(name, 0) + 1
        register(name, rtype)

    def logged_unregister(name: str, rtype: str) -> None:
        if rtype == "shared_memory":
            _REGISTERED.pop(name, None)
        unregister(name, rtype)

    resource_tracker.register = logged_register  # type: ignore[assignment]
    resource_tracker.unregister = logged_unregister  # type: ignore[assignment]
    resource_tracker._conclab_segment_log = True  # type: ignore[attr-defined]


class SharedMemoryWatch:
    """Which shared-memory segments this process created (or attached) since
    :func:`watch_shared_memory` and has not unlinked. See ``leaked()``."""

    def __init__(self) -> None:
        _install_segment_log()
        self._before = set(_REGISTERED)

    def leaked(self) -> list[str]:
        """Names (without the leading ``/``) registered since the watch
        began and never unlinked: what the resource tracker would warn
        about at shutdown. Always empty on Windows, which has no tracker
        (a segment there disappears with its last handle)."""
        return sorted(n.lstrip("/") for n in _REGISTERED if n not in self._before)


def watch_shared_memory() -> SharedMemoryWatch:
    """Start watching this process's shared-memory segments.

    ``watch = lab.watch_shared_memory()`` … ``watch.leaked()`` lists the
    segments created since then and not unlinked. It only looks at this
    process (not at other programs' segments in ``/dev/shm``), so it is
    exact on a shared machine. ``04_ipc.ipynb``.
    """
    return SharedMemoryWatch()


_LEAK_SCRIPT = """
from multiprocessing import shared_memory
shm = shared_memory.SharedMemory(create=True, size=1024)
print(shm.name.lstrip("/"))
shm.close()  # closed, but nobody calls shm.unlink()
"""


def leak_demo() -> dict[str, Any]:
    """Run a fresh Python that creates a segment and never unlinks it.

    Returns ``{"warnings": [...], "left_behind": bool}``: the resource
    tracker's warnings (machine paths and segment names removed, so the
    text is the same on every version) and
    whether the segment still exists afterwards (on POSIX the tracker
    unlinks it at shutdown; the warning is the sign of the bug).
    ``04_ipc.ipynb``.
    """
    result = run_script(_LEAK_SCRIPT, timeout=60)
    name = result.stdout.strip()
    warnings = []
    for line in result.stderr.splitlines():
        if "UserWarning:" in line:
            line = line.split("UserWarning:", 1)[1].strip()
        elif not line.strip() or line.startswith(" "):
            continue
        # 3.13+ appends the (random) names: ": {'/psm_1a2b3c'}"; drop them.
        line = re.sub(r": \{[^}]*\}$", "", line)
        if name:
            line = line.replace(name, "<segment>")
        warnings.append(line)
    left = False
    if name and sys.platform != "win32":
        try:
            probe = shared_memory.SharedMemory(name=name, create=False)
        except FileNotFoundError:
            left = False
        else:  # pragma: no cover - only if the tracker failed; clean it up
            left = True
            probe.close()
            probe.unlink()
    return {"warnings": warnings, "left_behind": left}


def unlink_segments(names: Iterable[str]) -> None:
    for name in names:
        try:
            segment = shared_memory.SharedMemory(name=name)
        except FileNotFoundError:
            _REGISTERED.pop("/" + name, None)
            continue
        segment.close()
        segment.unlink()
