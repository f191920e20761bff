"""Other Pythons on this machine: find them, and run a measurement in one.

Introduced in ``12_free_threading.ipynb``. The notebook's kernel is one
Python (in Colab: 3.13 with the GIL); the free-threaded build, the same build
with ``PYTHON_GIL=1`` and 3.14's subinterpreters are measured in *other*
interpreters, started as child processes:

- :func:`find_interpreters` looks on ``PATH`` (``python3.11`` …
  ``python3.16t``, which includes host-side wrappers such as a chroot's
  ``python3.14``), in pyenv's versions, among uv's managed Pythons, and in
  ``$CONCLAB_PYTHONS`` (extra commands, separated by ``os.pathsep``), and
  asks each what it is (:data:`conclab.core.nogil_child.build_facts`, which
  uses :mod:`conclab.env`'s own checks);
- :func:`run_in` runs one task of :mod:`conclab.core.nogil_child` in one of
  them (``python -m conclab.core.nogil_child TASK JSON``) and returns what it
  printed, as data. The child needs nothing installed: it gets a stub
  ``conclab`` package on its ``PYTHONPATH`` that points at this library's
  folder without running the package's ``__init__``.

Nothing here prints a file path: notebooks store their outputs.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .validate import check_choice, check_number

__all__ = [
    "ChildFailed",
    "ChildResult",
    "Interpreter",
    "find_interpreters",
    "how_to_get",
    "install_with_uv",
    "pick_interpreter",
    "print_interpreters",
    "run_in",
]

#: Extra interpreter commands to consider, separated by ``os.pathsep``.
PYTHONS_ENV = "CONCLAB_PYTHONS"
#: Paths a chroot wrapper (``tools/chroot_python.sh``) binds into its chroot.
CHROOT_BIND_ENV = "CONCLAB_CHROOT_BIND"
#: The oldest and newest minor versions looked for (3.11 … 3.16).
MINORS = range(11, 17)
#: Environment variables a child must not inherit from the kernel: they point
#: at the kernel's own installation or would change the child's build setting.
_DROP = frozenset(
    {
        "PYTHONPATH",
        "PYTHONHOME",
        "PYTHONSTARTUP",
        "PYTHONEXECUTABLE",
        "PYTHONSAFEPATH",
        "PYTHON_GIL",
        "VIRTUAL_ENV",
        "__PYVENV_LAUNCHER__",
    }
)
_NAME = re.compile(r"python3\.(\d+)(t?)(\.exe)?$")
_CHILD = "conclab.core.nogil_child"


@dataclass(frozen=True)
class Interpreter:
    """One Python found on this machine, as it described itself.

    ``command`` is what starts it (a path, or a wrapper); ``free_threaded``
    is its build (``Py_GIL_DISABLED``), ``gil_enabled`` whether the GIL is on
    when it starts (``sys._is_gil_enabled()``; for this kernel: now),
    ``subinterpreters`` whether
    it has ``concurrent.interpreters`` (3.14+); ``found_in`` says where it
    was found: ``"this kernel"``, ``"PATH"``, ``"pyenv"``, ``"uv"`` or
    ``"$CONCLAB_PYTHONS"``.
    """

    command: tuple[str, ...]
    version: str
    free_threaded: bool
    gil_enabled: bool
    subinterpreters: bool
    found_in: str
    implementation: str = "CPython"

    @property
    def minor(self) -> tuple[int, int]:
        major, minor = self.version.split(".")[:2]
        return int(major), int(minor)

    @property
    def label(self) -> str:
        """``"3.13t"`` for a free-threaded 3.13, ``"3.14"`` for a GIL build."""
        return f"{self.minor[0]}.{self.minor[1]}{'t' if self.free_threaded else ''}"

    @property
    def build(self) -> str:
        if not self.free_threaded:
            return "standard (with the GIL)"
        return "free-threaded, GIL " + ("on" if self.gil_enabled else "off")

    def __str__(self) -> str:
        return (
            f"Python {self.version}{'t' if self.free_threaded else ''} ({self.build})"
        )


# ---------------------------------------------------------------------------
# Running a task in another interpreter
# ---------------------------------------------------------------------------


class ChildFailed(RuntimeError):
    """A child interpreter exited with an error; the message is its last line,
    ``returncode`` its exit status (negative: killed by that signal, POSIX)."""

    def __init__(self, message: str, returncode: int | None = None) -> None:
        super().__init__(message)
        self.returncode = returncode


@dataclass(frozen=True)
class ChildResult:
    """What :func:`run_in` got back: the child's ``facts`` about itself (taken
    after the task), the task's ``result``, and the wall time of the whole
    child process in ``seconds`` (start-up included)."""

    interpreter: Interpreter
    facts: dict[str, Any]
    result: dict[str, Any]
    seconds: float
    env: dict[str, str] = field(default_factory=dict)
    flags: tuple[str, ...] = ()


def _library_folder() -> Path:
    """The folder that holds the ``conclab`` package (for the child's stub)."""
    return Path(__file__).resolve().parent.parent


def _write_stub(folder: str) -> None:
    package = Path(folder, "conclab")
    package.mkdir()
    package.joinpath("__init__.py").write_text(
        "# A stand-in for the conclab package in a child interpreter\n"
        "# (conclab.core.interpreters): the course's modules, without the\n"
        "# package's own imports of numpy, matplotlib and ipywidgets.\n"
        f"__path__ = [{str(_library_folder())!r}]\n",
        encoding="utf-8",
    )


def _child_env(stub: str, extra: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _DROP}
    env["PYTHONPATH"] = stub
    env["PYTHON_COLORS"] = "0"
    env["PYTHONIOENCODING"] = "utf-8"
    if os.name == "posix":  # a chroot wrapper must see the library's folder
        bind = [p for p in env.get(CHROOT_BIND_ENV, "").split(":") if p]
        env[CHROOT_BIND_ENV] = ":".join([*bind, str(_library_folder()), stub])
    env.update(extra)
    return env


def _last_error(stderr: str) -> str:
    """The line of a child's stderr that says what went wrong, without paths."""
    from .children import ScriptResult, strip_paths

    fatal = [ln for ln in stderr.splitlines() if "Fatal Python error" in ln]
    line = fatal[-1] if fatal else ScriptResult(1, "", stderr).error()
    if not line:
        lines = [ln for ln in stderr.strip().splitlines() if ln.strip()]
        line = lines[-1] if lines else "no error message"
    return strip_paths(line).strip()


def run_in(
    interpreter: Interpreter | Sequence[str],
    task: str,
    args: Mapping[str, Any] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    flags: Sequence[str] = (),
    timeout: float = 120.0,
) -> ChildResult:
    """Run ``task`` of :mod:`conclab.core.nogil_child` in ``interpreter``.

    ``args`` is the task's JSON argument; ``env`` adds environment variables
    (``{"PYTHON_GIL": "1"}``); ``flags`` go before ``-m`` (``("-X",
    "gil=1")``). The child runs from a fresh temporary folder that holds the
    stub package, and is killed after ``timeout`` seconds (``TimeoutError``).
    Raises :class:`ChildFailed` with the child's last error line when it
    fails. Used by ``12_free_threading.ipynb``.
    """
    from .nogil_child import TASKS

    check_choice("task", task, TASKS)
    timeout = check_number("timeout", timeout, minimum=1, maximum=3600)
    if isinstance(interpreter, Interpreter):
        command = list(interpreter.command)
    elif isinstance(interpreter, (list, tuple)) and interpreter:
        command = [str(c) for c in interpreter]
        interpreter = _unprobed(tuple(command))
    else:
        raise TypeError(
            "interpreter must be an Interpreter (from lab.find_interpreters()) "
            f"or a command list, got {type(interpreter).__name__}"
        )
    flags = [str(f) for f in flags]
    extra = {str(k): str(v) for k, v in (env or {}).items()}
    payload = json.dumps(dict(args or {}))
    with tempfile.TemporaryDirectory(prefix="conclab-child-") as stub:
        _write_stub(stub)
        start = time.perf_counter()
        try:
            done = subprocess.run(
                [*command, *flags, "-m", _CHILD, task, payload],
                cwd=stub,
                env=_child_env(stub, extra),
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="replace",
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as exc:
            raise TimeoutError(
                f"{interpreter} did not finish {task!r} within {timeout:g} s"
            ) from exc
        except OSError as exc:
            raise ChildFailed(f"could not start {interpreter}: {exc.strerror}") from exc
        seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise ChildFailed(_last_error(done.stderr), done.returncode)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        raise ChildFailed(f"{interpreter} printed no result for {task!r}")
    answer = json.loads(lines[-1])
    return ChildResult(
        interpreter, answer["facts"], answer["result"], seconds, extra, tuple(flags)
    )


def _unprobed(command: tuple[str, ...]) -> Interpreter:
    return Interpreter(command, "0.0.0", False, True, False, "given")


# ---------------------------------------------------------------------------
# Finding interpreters
# ---------------------------------------------------------------------------


def _version_from_name(path: str) -> tuple[int, bool] | None:
    """(minor, free-threaded) from a name like ``python3.13t``, else None."""
    found = _NAME.search(os.path.basename(path))
    return (int(found[1]), bool(found[2])) if found else None


def _looks_like_python(path: str) -> bool:
    """``python3.13t``, ``python3``, ``python.exe``; not ``python3.13-config``."""
    base = os.path.basename(path)
    return bool(_NAME.search(base)) or base in (
        "python3",
        "python",
        "python.exe",
        "python3.exe",
    )


def _wanted(path: str) -> bool:
    known = _version_from_name(path)
    return known is None or known[0] in MINORS


def _on_path() -> list[tuple[str, str]]:
    names = ["python3"] + [f"python3.{m}{t}" for m in MINORS for t in ("", "t")]
    out = []
    for name in names:
        path = shutil.which(name)
        # pyenv's shims pick a version by configuration; its versions come next
        if path and f"{os.sep}shims{os.sep}" not in path:
            out.append((path, "PATH"))
    return out


def _in_pyenv() -> list[tuple[str, str]]:
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    patterns = [
        str(root / "versions" / "*" / "bin" / "python3.*"),
        str(root / "pyenv-win" / "versions" / "*" / "python3*.exe"),
    ]
    return [(p, "pyenv") for pat in patterns for p in sorted(glob.glob(pat))]


def _uv_folders() -> list[Path]:
    folders = []
    if os.environ.get("UV_PYTHON_INSTALL_DIR"):
        folders.append(Path(os.environ["UV_PYTHON_INSTALL_DIR"]))
    if os.name == "nt" and os.environ.get("APPDATA"):
        folders.append(Path(os.environ["APPDATA"]) / "uv" / "python")
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    folders.append(Path(data) / "uv" / "python")
    return folders


def _in_uv() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for folder in _uv_folders():
        for pattern in ("*/bin/python3.*", "*/python3*.exe", "*/python.exe"):
            out.extend((p, "uv") for p in sorted(glob.glob(str(folder / pattern))))
    return out


def _from_env() -> list[tuple[str, str]]:
    extra = os.environ.get(PYTHONS_ENV, "")
    return [(p, "$" + PYTHONS_ENV) for p in extra.split(os.pathsep) if p.strip()]


def _candidates() -> list[tuple[tuple[str, ...], str]]:
    """Commands to ask, in order of preference, each once."""
    found = [(sys.executable, "this kernel"), *_from_env(), *_on_path()]
    found += [*_in_pyenv(), *_in_uv()]
    seen: set[str] = set()
    out: list[tuple[tuple[str, ...], str]] = []
    for path, where in found:
        if not _looks_like_python(path) or not _wanted(path):
            continue
        key = os.path.realpath(path)
        if key in seen or not os.access(path, os.X_OK):
            continue
        seen.add(key)
        out.append(((path,), where))
    return out


def _probe(command: tuple[str, ...], where: str, timeout: float) -> Interpreter | None:
    try:
        answer = run_in(command, "probe", timeout=timeout)
    except (ChildFailed, TimeoutError, OSError, ValueError):
        return None
    if answer.facts.get("implementation") != "CPython":
        return None
    return _described(command, answer.facts, where)


def _described(
    command: tuple[str, ...], facts: dict[str, Any], where: str
) -> Interpreter:
    """The :class:`Interpreter` that ``facts`` (``nogil_child.build_facts``)
    describe."""
    return Interpreter(
        command=command,
        version=facts["version"],
        free_threaded=bool(facts["free_threaded"]),
        gil_enabled=bool(facts["gil_enabled"]),
        subinterpreters=bool(facts["subinterpreters"]),
        found_in=where,
        implementation=facts["implementation"],
    )


_FOUND: list[Interpreter] | None = None


def find_interpreters(
    refresh: bool = False, timeout: float = 30.0
) -> list[Interpreter]:
    """Every CPython 3.11+ this machine has, each (version, build) once.

    Looks at this kernel's own interpreter first, then ``$CONCLAB_PYTHONS``,
    ``PATH``, pyenv's versions and uv's managed Pythons, and starts each
    candidate once to ask what it is (in parallel; a candidate that does not
    answer within ``timeout`` seconds is left out). The answer is cached for
    the kernel's lifetime; ``refresh=True`` looks again (after installing
    one). ``12_free_threading.ipynb``.
    """
    global _FOUND
    timeout = check_number("timeout", timeout, minimum=1, maximum=600)
    if _FOUND is not None and not refresh:
        return list(_FOUND)
    from .nogil_child import build_facts

    kernel, *others = _candidates()  # this kernel describes itself, no child
    with ThreadPoolExecutor(max_workers=8) as pool:
        probed: list[Interpreter | None] = [
            _described(kernel[0], build_facts(), "this kernel")
        ]
        probed += list(pool.map(lambda c: _probe(c[0], c[1], timeout), others))
    found: list[Interpreter] = []
    keys: set[tuple[str, bool]] = set()
    for interp in probed:
        if interp is None or interp.implementation != "CPython":
            continue
        if interp.minor[0] != 3 or interp.minor[1] not in MINORS:
            continue
        key = (interp.version, interp.free_threaded)
        if key not in keys:
            keys.add(key)
            found.append(interp)
    _FOUND = found
    return list(found)


def pick_interpreter(
    kind: str,
    found: Iterable[Interpreter] | None = None,
    *,
    near: Interpreter | None = None,
) -> Interpreter | None:
    """The interpreter a measurement needs, or None when there is none.

    ``kind``: ``"free-threaded"`` (the newest free-threaded build),
    ``"gil"`` (a standard build: the same minor version as ``near`` when
    there is one, else this kernel's if it has the GIL, else the newest),
    ``"subinterpreters"`` (this kernel when it is 3.14+, else the oldest
    3.14+, a standard build preferred: the notebook speaks of 3.14).
    """
    check_choice("kind", kind, ("free-threaded", "gil", "subinterpreters"))
    pool = list(find_interpreters() if found is None else found)
    newest_first = sorted(pool, key=lambda i: i.minor, reverse=True)
    if kind == "free-threaded":
        return next((i for i in newest_first if i.free_threaded), None)
    if kind == "subinterpreters":  # this kernel, else the oldest 3.14+ GIL build
        able = sorted((i for i in pool if i.subinterpreters), key=lambda i: i.minor)
        able.sort(key=lambda i: (i.found_in != "this kernel", i.free_threaded))
        return able[0] if able else None
    standard = [i for i in pool if not i.free_threaded]
    if near is not None:
        same = [i for i in standard if i.minor == near.minor]
        if same:
            return same[0]
    kernel = [i for i in standard if i.found_in == "this kernel"]
    if kernel:
        return kernel[0]
    standard.sort(key=lambda i: i.minor, reverse=True)
    return standard[0] if standard else None


def print_interpreters(found: Iterable[Interpreter] | None = None) -> None:
    """One line per interpreter: version, build, subinterpreters, where found
    (never the path: notebooks store their outputs)."""
    pool = list(find_interpreters() if found is None else found)
    if not pool:
        print("no CPython 3.11+ found")
        return
    for i in sorted(pool, key=lambda i: (i.minor, i.free_threaded)):
        sub = "concurrent.interpreters" if i.subinterpreters else ""
        print(f"{i.version + ('t' if i.free_threaded else ''):<10} {i.build:<28} "
              f"{sub:<24} found in: {i.found_in}")  # fmt: skip


_HOW = {
    "free-threaded": (
        "No free-threaded Python found (looked on PATH, in pyenv and in uv's "
        "Pythons). To get one: `uv python install 3.14t`, or `pyenv install "
        "3.14t`, or your system's package (python.org's installers for macOS "
        "and Windows offer it as an option; Linux distributions name it, e.g., "
        "python3.14-nogil or python3.14-freethreading). In Colab, run the "
        "install cell at the top with INSTALL = True."
    ),
    "gil": (
        "No standard (GIL) build of Python 3.11+ found besides a free-threaded "
        "one: `uv python install 3.14` or `pyenv install 3.14` gives one."
    ),
    "subinterpreters": (
        "No Python 3.14+ found: subinterpreters (concurrent.interpreters) are "
        "new in 3.14. `uv python install 3.14` or `pyenv install 3.14` gives "
        "one; in Colab, run the install cell at the top with INSTALL = True."
    ),
}


def how_to_get(kind: str) -> str:
    """One paragraph: how to get the interpreter ``kind`` (see
    :func:`pick_interpreter`), for a cell that falls back to stored figures."""
    return _HOW[check_choice("kind", kind, tuple(_HOW))]


def install_with_uv(
    requests: Sequence[str] = ("3.14t", "3.14"), timeout: float = 900.0
) -> list[Interpreter]:
    """Install Pythons with uv (``uv python install 3.14t 3.14``) and find again.

    Installs uv with this kernel's pip first if it is missing. Downloads about
    30–40 MB per Python, so it needs the internet: notebooks call it only when
    the student asks for it (Colab's install cell). Returns
    :func:`find_interpreters` ``(refresh=True)``.
    """
    if isinstance(requests, str) or not requests:
        raise ValueError("requests must be a list such as ['3.14t', '3.14']")
    for r in requests:
        if not re.fullmatch(r"3\.\d+(\.\d+)?t?", str(r)):
            raise ValueError(f"requests must hold versions like '3.14t', got {r!r}")
    timeout = check_number("timeout", timeout, minimum=10, maximum=3600)
    uv = shutil.which("uv")
    if uv is None:
        pip = [sys.executable, "-m", "pip", "install", "-q", "uv"]
        subprocess.run(pip, check=True, timeout=timeout)
        uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    subprocess.run([uv, "python", "install", *requests], check=True, timeout=timeout)
    return find_interpreters(refresh=True)
