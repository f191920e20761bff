"""The test matrix (issue 13): one nox session per stage; README, "Testing".

    make test                every stage, in three phases, then the summary
    nox -s py3.14            one stage (nox -l lists them)
    nox -s py3.13 -- -k gil  extra arguments go to the stage's unit tests

A stage whose interpreter is missing is SKIPPED with the reason; under CI=true
it fails instead: CI runs every stage. Each stage records its result and time
in .nox/_results/; ``python noxfile.py summary`` prints them and the closing
line ``stages: N passed, N failed, N skipped`` (exit status 1 if one failed).
Interpreters are looked for on PATH, in tools/provision_pythons.sh's directory,
in pyenv and among uv's managed Pythons.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import glob
import hashlib
import itertools
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import nox

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / ".nox" / "_results"
SLOTS = ROOT / ".nox" / "_slots"  # Slots: one lock file a slot, waiting/
JOB_TIMES = ROOT / ".nox" / "_job_times"  # each job's last time, for Slots
# Jobs (pytest processes) running at once on the machine, by phase (stage()):
# the free-threaded stage's two; three in the other phases (about 1.5 cores
# busy: a checked output promises to withstand one busy core beside it).
# CONCLAB_TEST_SLOTS=N overrides them all.
PHASE_SLOTS = {0: 2, 1: 3, 2: 3}
# Groups of jobs with a lower limit of their own (Job.group): two nbval runs
# that compare outputs at most, the third slot left to library tests (three
# nbval runs keep both cores busy, and a kernel then once took more than 20 s
# to exit).
GROUP_SLOTS = {"nbval": 2}
CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PROVISIONED = Path(os.environ.get("CONCLAB_PYTHONS", "/opt/conclab-pythons"))

nox.options.default_venv_backend = "venv"
nox.options.reuse_venv = "yes"
nox.options.download_python = "never"
nox.options.error_on_missing_interpreters = False  # the stages say why, see stage()

LINT_PATHS = [
    "lib", "tests", "tools", "notebooks", "bench", "site", "conftest.py", "noxfile.py"
]  # fmt: skip
PYTEST = ["-m", "pytest", "-p", "no:cacheprovider"]
NBVAL = [
    *PYTEST, "-p", "tools.nbval_graceful",
    "--nbval", "--nbval-current-env",
    "--nbval-sanitize-with", "tests/nbval_sanitize.cfg",
    "--nbval-cell-timeout=120",
]  # fmt: skip
# The repository checks (notebook hygiene, stamps, packaging, the nbval
# harness, notebook 11 run twice) need one interpreter: 3.13 runs them, the
# other stages run the library's tests only.
REPO_CHECKS = [
    "tests/test_hygiene.py",
    "tests/test_packaging.py",
    "tests/test_harness.py",
    "tests/test_nb11_notebook.py",  # Run All twice; py3.12 does it for every notebook
]
# The website, the slides and the lab extra: built with Node and JupyterLab,
# once, by the browser stage (site/node_modules is one folder for all stages).
SITE_CHECKS = [
    "tests/test_site.py",
    "tests/test_slides_stamp.py",
    "tests/test_lab_extra.py",
]
HOW_TO_GET = {
    "3.13t": "make it with `tools/provision_pythons.sh 313t`, `pyenv install 3.13t`"
    " or `uv python install 3.13t`",
    "3.14t": "`uv python install 3.14t`, `pyenv install 3.14t` or your system's"
    " free-threaded package",
    "3.14": "`tools/provision_pythons.sh sid` (Debian's, in a chroot),"
    " `uv python install 3.14` or `pyenv install 3.14`",
    "3.15": "`tools/provision_pythons.sh sid` (Debian's, in a chroot),"
    " `uv python install 3.15` or `pyenv install 3.15`",
}
PROBE = (
    "import sys, sysconfig; print('%d.%d' % sys.version_info[:2],"
    " int(bool(sysconfig.get_config_var('Py_GIL_DISABLED'))), sys.executable)"
)


# ------------------------------------------------------------ interpreters


def _version_key(path: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", Path(path).name))


def candidates(spec: str) -> list[str]:
    """Where ``python{spec}`` may be ('3.14', '3.13t'), most likely first."""
    xy, ft = spec.removesuffix("t"), spec.endswith("t")
    name = f"python{spec}"
    found = [shutil.which(name) or "", str(PROVISIONED / "bin" / name)]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    pattern = re.compile(rf"{re.escape(xy)}\.\d+{'t' if ft else ''}")
    dirs = [d for d in glob.glob(f"{pyenv}/{xy}.*") if pattern.fullmatch(Path(d).name)]
    found += [f"{d}/bin/{name}" for d in sorted(dirs, key=_version_key, reverse=True)]
    uv = os.environ.get("UV_PYTHON_INSTALL_DIR") or str(
        Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local/share"))
        / "uv/python"
    )
    dirs = [
        d
        for d in glob.glob(f"{uv}/cpython-{xy}.*")
        if ("+freethreaded" in d) == ft and re.match(rf"cpython-{xy}\.\d", Path(d).name)
    ]
    found += [f"{d}/bin/{name}" for d in sorted(dirs, key=_version_key, reverse=True)]
    return [c for c in dict.fromkeys(found) if c]


def find_python(spec: str) -> tuple[str | None, str]:
    """The first candidate that runs and is the build asked for, else why not."""
    want = f"{spec.removesuffix('t')} {int(spec.endswith('t'))}"
    for exe in candidates(spec):
        if not os.access(exe, os.X_OK):
            continue
        try:
            probe = subprocess.run(
                [exe, "-c", PROBE], capture_output=True, text=True, timeout=60
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        # A pyenv shim answers for the version pyenv selects: keep the
        # interpreter's own path.
        words = probe.stdout.split(maxsplit=2)
        if probe.returncode == 0 and len(words) == 3 and " ".join(words[:2]) == want:
            return words[2].strip(), ""
    where = "PATH, " + str(PROVISIONED / "bin") + ", pyenv, uv's Pythons"
    how = HOW_TO_GET.get(spec, f"install Python {spec}")
    return None, f"python{spec} not found ({where}): {how}"


# ------------------------------------------------------------------ stages

STAGES: list[str] = []  # in the order `make test` starts them
PHASES: dict[int, list[str]] = {}  # `make test` runs phase 0, then 1, then 2
STAGE_PHASE: dict[str, int] = {}


def stage(name: str, spec: str | None, covers: str, *, phase: int = 1) -> Callable:
    """A nox session for one stage; records its result for the summary.

    ``phase``: `make test` starts the stages of one phase together, and then
    the next phase's; their jobs share PHASE_SLOTS[phase] slots (Slots).
    0: the free-threaded stage, alone: on an oversubscribed machine 3.13.5t
       starts threads and hands locks over far more slowly (README,
       "Testing", has the measurements).
    1: the stages whose nbval compares outputs.
    2: the browser stage, beside stages whose outputs are not compared:
       Chromium's bursts take more than a core, more than a checked output
       promises to withstand (notebook 12's verdict on the builds failed once
       under py3.14's spawn nbval beside it).
    """
    exe, why = None, ""
    for each in spec.split("|") if spec else ():  # the first one found
        exe, why = find_python(each)
        if exe:
            break
    missing = spec is not None and exe is None

    def decorate(func: Callable[[nox.Session], None]) -> Callable:
        @functools.wraps(func)
        def run(session: nox.Session) -> None:
            start, cpu = time.monotonic(), cpu_seconds()
            status, note = "failed", covers
            try:
                if missing:
                    note = why
                    if CI:
                        session.error(f"{why} (CI=true: every stage must run)")
                    status = "skipped"
                    print(f"SKIPPED: {why}", flush=True)
                    session.skip(why)
                func(session)
                status = "passed"
            except BaseException as exc:  # session.error's reason, for the summary
                if status == "failed" and str(exc):
                    note = f"{note} -- {exc}"
                raise
            finally:
                record(
                    name, status, time.monotonic() - start, cpu_seconds() - cpu, note
                )

        STAGES.append(name)
        PHASES.setdefault(phase, []).append(name)
        STAGE_PHASE[name] = phase
        return nox.session(
            name=name,
            python=exe if spec else None,
            venv_backend="none" if missing else "venv",
        )(run)

    return decorate


def cpu_seconds() -> float:
    """CPU time of this process and the children it waited for (pytest, its
    kernels and their pools, Chromium): what a stage costs the machine."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def record(name: str, status: str, seconds: float, cpu: float, note: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    row = {"name": name, "status": status, "seconds": seconds, "cpu": cpu,
           "note": note, "finished": time.time()}  # fmt: skip
    (RESULTS / f"{name}.json").write_text(json.dumps(row), encoding="utf-8")


def install(session: nox.Session, *args: str) -> None:
    """pip install ``args`` unless this venv already has them for this pyproject."""
    digest = hashlib.sha256(
        "\0".join(
            [*args, (ROOT / "pyproject.toml").read_text(encoding="utf-8")]
        ).encode()
    ).hexdigest()
    stamp = Path(session.virtualenv.location) / ".conclab-installed"
    if stamp.exists() and stamp.read_text(encoding="utf-8") == digest:
        session.log("dependencies up to date (pyproject.toml unchanged)")
        return
    session.install("--upgrade", "pip")
    session.install(*args)
    stamp.write_text(digest, encoding="utf-8")


def dev_pin(name: str) -> str:
    """The [dev] extra's requirement for ``name`` (one place for the pins)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for req in pyproject["project"]["optional-dependencies"]["dev"]:
        if re.match(rf"{re.escape(name)}\b", req):
            return req
    return name


class Job(NamedTuple):
    """One pytest process of a stage; ``label`` names it in the log and, with
    why it failed, on the stage's summary line. ``seconds``: how long it is
    expected to take until it has run once here (then its last time counts),
    so that :class:`Slots` starts the longest first."""

    label: str
    args: list[str]
    env: dict[str, str]
    seconds: float = 60.0
    group: str = ""  # GROUP_SLOTS: at most so many of its jobs at once


def unit(session: nox.Session, *, repo_checks: bool, shards: int = 2) -> list[Job]:
    """The library's tests as ``shards`` pytest processes, and with
    ``repo_checks`` one more for the repository checks; the stage's extra
    arguments (``nox -s py3.13 -- -k gil``) go to each.

    Most tests wait (on children, sockets, timeouts): one pytest process keeps
    about half a core busy. Each shard takes every n-th test (conftest.py,
    CONCLAB_SHARD).
    """
    skip = [f"--ignore={p}" for p in [*REPO_CHECKS, *SITE_CHECKS]]
    args = [*PYTEST, "tests", "--ignore=tests/browser", *skip, *session.posargs]
    jobs = [
        Job(
            f"unit tests, shard {i + 1} of {shards}",
            args,
            {"CONCLAB_SHARD": f"{i}/{shards}"},
            180.0 / shards,
        )
        for i in range(shards)
    ]
    if repo_checks:
        repo = [*PYTEST, *REPO_CHECKS, *session.posargs]
        jobs.append(Job("repository checks", repo, {}, 100.0))
    return jobs


def notebooks(part: int, parts: int) -> list[str]:
    """Every ``parts``-th notebook from the ``part``-th (0-based), in course
    order: neighbours alternate, so each part gets light and heavy ones."""
    every = sorted(
        p.relative_to(ROOT).as_posix() for p in ROOT.glob("notebooks/*.ipynb")
    )
    return every[part::parts]


def nbval(
    method: str | None, *, lax: bool = False, twice: bool = False, parts: int = 2
) -> list[Job]:
    """Every notebook under nbval, split into ``parts`` pytest processes (a
    notebook stays whole in one); ``method`` None leaves the default.
    ``twice``: then every cell again in the same kernel (a second Run All)."""
    label = f"nbval, start method {method or 'unset (the default)'}"
    label += ", each notebook twice" if twice else ""
    env = {"CONCLAB_NBVAL_TWICE": str(int(twice))}
    if method:
        env["CONCLAB_START_METHOD"] = method
    lax_args = ["--nbval-lax"] if lax else []
    return [
        Job(
            label + (f", notebooks part {i + 1} of {parts}" if parts > 1 else ""),
            [*NBVAL, *lax_args, *notebooks(i, parts)],
            env,
            (240.0 if twice else 125.0) / parts,
            "" if lax else "nbval",
        )
        for i in range(parts)
    ]


_TICKETS = itertools.count()


class Slots:
    """At most ``count`` jobs at once on this machine, across the stages that
    run side by side; a freed slot goes to the job expected to take longest.

    A slot is a lock file (``fcntl.flock``), so a holder that ends, however it
    ends, frees it. A waiting job is a file in ``waiting/`` named by its
    expected seconds and its process; files of processes that ended are
    removed. The waiting is polled (every 0.1 s), between whole test runs.
    A waiter joins the queue, and looks at the queue and the free slots and
    takes one, in a turn of its own (``queue.lock``): otherwise it could act
    on a queue that a longer job had joined since it looked.
    """

    def __init__(self, folder: Path, count: int) -> None:
        if count < 1:
            raise ValueError(f"count must be at least 1, not {count}")
        self.folder, self.count = folder, count
        (folder / "waiting").mkdir(parents=True, exist_ok=True)

    @contextlib.contextmanager
    def _turn(self) -> Iterator[None]:
        """Only one waiter at a time, in any process, inside this block."""
        with open(self.folder / "queue.lock", "a") as turn:
            fcntl.flock(turn, fcntl.LOCK_EX)
            yield  # closing the file unlocks it

    def free(self) -> list[int]:
        """The slots nobody holds now."""
        with self._turn():
            return self._free()

    def _free(self) -> list[int]:
        found = []
        for i in range(self.count):
            with open(self.folder / f"{i}.lock", "a") as lock:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue
                found.append(i)  # closing the file unlocks it
        return found

    def waiting(self) -> list[str]:
        """The waiting jobs' names, longest expected first."""
        names = []
        for path in (self.folder / "waiting").iterdir():
            try:
                os.kill(int(path.name.split("-")[1]), 0)
            except (IndexError, ValueError, ProcessLookupError):
                path.unlink(missing_ok=True)  # its process ended
                continue
            except PermissionError:
                pass  # alive, someone else's
            names.append(path.name)
        return sorted(names, reverse=True)

    @contextlib.contextmanager
    def taken(
        self, seconds: float, stop: threading.Event | None = None
    ) -> Iterator[bool]:
        """Hold a slot; yields False instead if ``stop`` was set meanwhile."""
        name = f"{min(seconds, 99_999_999.0):010.1f}-{os.getpid()}-{next(_TICKETS)}"
        mine = self.folder / "waiting" / name
        held = None
        try:
            with self._turn():
                mine.touch()
            while held is None and not (stop is not None and stop.is_set()):
                with self._turn():
                    names = self.waiting()
                    if name not in names:  # someone cleared the folder: rejoin
                        mine.touch()
                        names = self.waiting()
                    ahead = names.index(name)
                    for i in self._free()[ahead : ahead + 1]:
                        lock = open(self.folder / f"{i}.lock", "a")  # noqa: SIM115
                        try:  # free a moment ago, and no waiter acted since
                            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        except BlockingIOError:  # taken from outside the queue
                            lock.close()
                            continue
                        held = lock
                        mine.unlink(missing_ok=True)
                if held is None:
                    if stop is None:
                        time.sleep(0.1)
                    else:
                        stop.wait(0.1)
            yield held is not None
        finally:
            mine.unlink(missing_ok=True)
            if held is not None:
                held.close()


def slot_count(stage_name: str) -> int:
    """How many jobs run at once in ``stage_name``'s phase (PHASE_SLOTS)."""
    given = os.environ.get("CONCLAB_TEST_SLOTS", "")
    if given:
        if not given.isdigit() or int(given) < 1:
            raise ValueError(
                f"CONCLAB_TEST_SLOTS must be a whole number >= 1: {given!r}"
            )
        return int(given)
    return PHASE_SLOTS.get(STAGE_PHASE.get(stage_name, 1), 2)


def expected_seconds(stage_name: str, job: Job) -> float:
    """The job's last time on this machine, else its estimate."""
    try:
        return float((JOB_TIMES / job_key(stage_name, job)).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return job.seconds


def job_key(stage_name: str, job: Job) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "-", f"{stage_name} {job.label}").strip("-")


def side_by_side(session: nox.Session, *jobs: Job) -> None:
    """Run ``jobs`` at once in the stage's venv, each in a slot (:class:`Slots`,
    shared with the stages of the same phase); fail with why each failed.

    Each job's output follows when all have ended. conftest.py notes the tests
    each one runs (CONCLAB_TEST_NOTES) for why_failed(). On an interrupt the
    jobs still running are stopped, and the waiting ones never start.
    """
    wrong = [job for job in jobs if not isinstance(job, Job)]
    if wrong or not jobs:
        raise TypeError(f"side_by_side() takes one or more Jobs as jobs, not {wrong}")
    bin_dir = str(Path(session.virtualenv.location) / "bin")
    env = {**os.environ, "VIRTUAL_ENV": str(session.virtualenv.location),
           "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}  # fmt: skip
    env.pop("CONCLAB_START_METHOD", None)  # each job says which one it wants
    slots = Slots(SLOTS, slot_count(session.name))
    stop = threading.Event()
    ended: dict[int, tuple[int | None, float]] = {}
    children: dict[int, subprocess.Popen] = {}
    errors: list[BaseException] = []
    JOB_TIMES.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        notes = [folder / str(i) for i in range(len(jobs))]
        logs = [stack.enter_context(tempfile.TemporaryFile()) for _ in jobs]

        def run(i: int, job: Job) -> None:
            try:
                notes[i].mkdir()
                seconds = expected_seconds(session.name, job)
                with contextlib.ExitStack() as held:
                    if job.group:  # its group's slot first, then a slot
                        group = Slots(SLOTS / job.group, GROUP_SLOTS[job.group])
                        if not held.enter_context(group.taken(seconds, stop)):
                            return
                    if not held.enter_context(slots.taken(seconds, stop)):
                        return
                    start = time.monotonic()
                    print(f"nox > {job.label}: started", flush=True)
                    children[i] = subprocess.Popen(
                        [str(Path(bin_dir) / "python"), *job.args],
                        env={**env, **job.env, "CONCLAB_TEST_NOTES": str(notes[i])},
                        stdout=logs[i], stderr=subprocess.STDOUT,
                    )  # fmt: skip
                    code = children[i].wait()
                    seconds = time.monotonic() - start
                    ended[i] = (code, seconds)
                    (JOB_TIMES / job_key(session.name, job)).write_text(
                        f"{seconds:.1f}", encoding="utf-8"
                    )
            except BaseException as exc:  # reported by the main thread
                errors.append(exc)

        threads = [
            threading.Thread(target=run, args=(i, job), daemon=True)
            for i, job in enumerate(jobs)
        ]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        except BaseException:  # Ctrl-C: stop what runs, start nothing more
            stop.set()
            for child in list(children.values()):
                with contextlib.suppress(OSError):
                    child.terminate()
            for child in list(children.values()):
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
            raise
        failed: list[str] = []
        for i, job in enumerate(jobs):
            code, seconds = ended.get(i, (None, 0.0))
            logs[i].seek(0)
            session.log(f"{job.label} (exit {code}, {seconds:.0f} s):")
            print(logs[i].read().decode("utf-8", "replace"), flush=True)
            if i not in ended:
                failed.append(f"{job.label}: did not run")
            elif code:
                failed.append(f"{job.label}: {why_failed(code, notes[i])}")
    if errors:
        raise errors[0]
    if failed:
        session.error("failed: " + "; ".join(failed))


def why_failed(code: int | None, folder: Path) -> str:
    """What went wrong in one pytest process, for the summary line: the tests
    that failed, or, if a signal killed it, the signal and the test it was
    running. conftest.py writes both into ``folder`` (CONCLAB_TEST_NOTES)."""
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        running = folder / "running"
        test = running.read_text(encoding="utf-8") if running.exists() else "?"
        return f"killed by {name} during {test}"
    listed = folder / "failed"
    # one id a line (nbval's hold a space: "x.ipynb::Cell 25"); a test that
    # failed in its call and its teardown is listed once
    text = listed.read_text(encoding="utf-8") if listed.exists() else ""
    failed = list(dict.fromkeys(text.splitlines()))
    if not failed:
        return f"exit {code}"
    more = f" and {len(failed) - 3} more" if len(failed) > 3 else ""
    return f"{len(failed)} failed: {', '.join(failed[:3])}{more}"


def expect(session: nox.Session, code: str) -> None:
    """Run an assertion about the interpreter (it prints what it found)."""
    session.run("python", "-c", code)


@stage("py3.14", "3.14", "unit, nbval with the default start method (forkserver)"
       " and spawn")  # fmt: skip
def py314(session: nox.Session) -> None:
    install(session, "-e", ".[test,dask]")
    expect(
        session,
        "import multiprocessing as mp; m = mp.get_start_method();"
        " print('default start method:', m); assert m == 'forkserver', m",
    )
    side_by_side(
        session,
        *unit(session, repo_checks=False),
        *nbval(None),
        *nbval("spawn"),
    )


@stage("py3.13t", "3.13t|3.14t", "unit beside nbval (default start method);"
       " free-threaded; run alone", phase=0)  # fmt: skip
def py313t(session: nox.Session) -> None:
    # Not .[dev]: cffi (under jupyterlab) refuses the free-threaded build.
    # --prefer-binary: matplotlib 3.11.2 has no cp313t wheel, 3.11.1 has.
    install(session, "--prefer-binary", "-e", ".[test,dask]")
    expect(
        session,
        "import sys, conclab, numpy, matplotlib, zmq, ipykernel;"
        " print('GIL enabled after imports:', sys._is_gil_enabled());"
        " assert not sys._is_gil_enabled()",
    )
    # Two pytest processes, the library tests and nbval; the stage runs
    # alone, so nothing else is busy. Two library-test processes with a third
    # program busy made 32 threads' waits on the corpus server overlap too
    # little (1.5 s, not 0.1 s), the effect stage() describes.
    side_by_side(
        session, *unit(session, repo_checks=False, shards=1), *nbval(None, parts=1)
    )


@stage("py3.12", "3.12", "unit, nbval fork, each notebook run twice in one kernel")
def py312(session: nox.Session) -> None:
    install(session, "-e", ".[test,dask]")
    side_by_side(
        session,
        *unit(session, repo_checks=False),
        *nbval("fork", twice=True),
    )


@stage("py3.13", "3.13", "unit + repo checks, nbval fork (Colab's);"
       " ipywidgets 7.7.1 (Colab's)")  # fmt: skip
def py313(session: nox.Session) -> None:
    # nox: tests/test_harness.py checks what the summary says of a failure.
    install(session, "-e", ".[test,dask]", "ipywidgets==7.7.1", dev_pin("nox"))
    side_by_side(session, *unit(session, repo_checks=True), *nbval("fork"))


@stage("py3.11", "3.11", "unit (the oldest supported Python)", phase=2)
def py311(session: nox.Session) -> None:
    install(session, "-e", ".[test,dask]")
    side_by_side(session, *unit(session, repo_checks=False))


@stage("lint", None, "ruff check, ruff format --check, mypy lib", phase=2)
def lint(session: nox.Session) -> None:
    # mypy reads the types of what the library imports: Dask (notebook 13's
    # extra) and psutil's stubs.
    tools = [dev_pin(name) for name in ("ruff", "mypy", "types-psutil")]
    install(session, "-e", ".[dask]", *tools)
    with Slots(SLOTS, slot_count(session.name)).taken(45.0):
        session.run("ruff", "check", *LINT_PATHS)
        session.run("ruff", "format", "--check", *LINT_PATHS)
        session.run("mypy", "lib")


@stage("browser", "3.13", "site checks; browser tests (panels, website, slides)",
       phase=2)  # fmt: skip
def browser(session: nox.Session) -> None:
    # ipywidgets 8 here: JupyterLab 4's widget manager does not load 7.x models.
    install(session, "-e", ".[dev]")
    # Two Chromiums, two Jupyter servers: the tests mostly wait on kernels
    # and redraws. Screenshots older than this run are removed.
    since = {"CONCLAB_ARTIFACTS_SINCE": f"{time.time():.0f}"}
    side_by_side(
        session,
        *(
            Job(
                f"browser tests, shard {i + 1} of 2",
                [*PYTEST, "tests/browser"],
                {
                    **since,
                    "CONCLAB_SHARD": f"{i}/2",
                    "CONCLAB_SHARD_LABEL": f"-{i + 1}",
                },
                170.0,
            )
            for i in range(2)
        ),
    )
    # Then the site checks, after the browser tests: they fail on a theme
    # server that outlives a build, anybody's, and the website's browser tests
    # build the site too.
    side_by_side(session, Job("site checks", [*PYTEST, *SITE_CHECKS], {}, 20.0))


@stage("py3.15", "3.15", "unit, every notebook executed (nbval --nbval-lax)",
       phase=2)  # fmt: skip
def py315(session: nox.Session) -> None:
    install(session, "-e", ".[test,dask]")
    side_by_side(session, *unit(session, repo_checks=False), *nbval(None, lax=True))


nox.options.sessions = list(STAGES)


# ------------------------------------------------- make test: begin, summary


def begin() -> int:
    """Forget the results of earlier runs; say in which order the stages run."""
    shutil.rmtree(RESULTS, ignore_errors=True)
    RESULTS.mkdir(parents=True)
    (RESULTS / "run.json").write_text(
        json.dumps({"started": time.time(), "stages": STAGES}), encoding="utf-8"
    )
    order = [", ".join(PHASES[n]) for n in sorted(PHASES)]
    print("stages: " + ", then ".join(order), flush=True)
    return 0


def phase(number: str) -> int:
    """The stages of phase ``number``, in start order (stage(phase=...))."""
    print(" ".join(PHASES.get(int(number), [])))
    return 0


def summary() -> int:
    """One line per stage of this run, then ``stages: N passed, ...``."""
    try:
        run = json.loads((RESULTS / "run.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        run = {"started": 0.0, "stages": STAGES}
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    print(f"\n{'=' * 20} summary {'=' * 51}")
    for name in run["stages"]:
        try:
            row = json.loads((RESULTS / f"{name}.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            row = None
        if row is None or row["finished"] < run["started"]:
            note = "no result: nox stopped before the stage ran (see above)"
            row = {"status": "failed", "seconds": 0.0, "note": note}
        counts[row["status"]] += 1
        status, seconds = row["status"].upper(), row["seconds"]
        cpu = row.get("cpu", 0.0)
        print(f"{status:8} {name:<8} {seconds:7.1f} s {cpu:6.0f} cpu-s  {row['note']}")
    print("stages: " + ", ".join(f"{n} {s}" for s, n in counts.items()))
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    commands: dict[str, Callable[..., int]] = {
        "begin": begin, "phase": phase, "summary": summary
    }  # fmt: skip
    arity = {"phase": 1}
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    if name not in commands or len(sys.argv) != 2 + arity.get(name, 0):
        sys.exit("usage: python noxfile.py {begin,phase N,summary}")
    sys.exit(commands[name](*sys.argv[2:]))
