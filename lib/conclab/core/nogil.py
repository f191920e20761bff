"""Python without the GIL, measured: the experiments of ``12_free_threading.ipynb``.

Each experiment runs in the interpreters it is about (found by
:func:`conclab.find_interpreters`, run by :func:`conclab.run_in`, with the
code of :mod:`conclab.core.nogil_child`) and returns plain data. When an
interpreter is missing, or its run fails, the experiment returns the
**reference figures** of :mod:`conclab.core.nogil_reference` instead, with
``source="reference"``, so a notebook cell prints the same verdicts
everywhere and says, in a line whose output is not checked, where its
numbers come from.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .interpreters import (
    ChildFailed,
    Interpreter,
    find_interpreters,
    pick_interpreter,
    run_in,
)
from .nogil_reference import NOGIL_REFERENCE
from .validate import check_choice, check_int

__all__ = [
    "BUILD_CASES",
    "DOCUMENTED_COST",
    "BuildCase",
    "BuildTiming",
    "Measured",
    "build_cases",
    "builds_as_predicted",
    "gil_switches",
    "lost_nothing_with_lock",
    "lost_updates_without_lock",
    "measure_builds",
    "measure_builtins",
    "measure_extension",
    "measure_generator",
    "measure_races",
    "measure_subinterpreters",
    "pools_as_predicted",
    "single_thread_cost",
]

_FAILURES = (ChildFailed, TimeoutError, OSError)

#: Threads that take turns on one GIL do not beat one thread; a measured
#: speedup at or above this is not that (a GIL build reaches 0.6–1.1× here).
GIL_BOUND = 1.5

#: Threads that take turns keep at most one core busy: CPU seconds per
#: second of their process stay below this (one core plus switching).
TURNS_BOUND = 1.3

#: The documentation's single-thread cost of the free-threaded build
#: (pyperformance): 3.13's HOWTO "about 40%", 3.14's "about 1% on macOS
#: aarch64 to 8% on x86-64 Linux".
DOCUMENTED_COST = {"3.13 HOWTO": (0.40, 0.40), "3.14 HOWTO": (0.01, 0.08)}


@dataclass(frozen=True)
class Measured:
    """A result from a child: the Python it ran on (``"3.13.5t"``), the
    task's ``result`` dict, and ``source``: ``"measured"`` or ``"reference"``."""

    python: str
    result: dict[str, Any]
    source: str = "measured"


def _reference(key: str) -> Measured:
    stored = copy.deepcopy(NOGIL_REFERENCE[key])  # callers may change theirs
    return Measured(stored["python"], stored["result"], "reference")


def _python_label(facts: Mapping[str, Any]) -> str:
    return facts["version"] + ("t" if facts["free_threaded"] else "")


def _pool(found: Iterable[Interpreter] | None) -> list[Interpreter]:
    return list(find_interpreters() if found is None else found)


# ---------------------------------------------------------------------------
# The builds side by side
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BuildCase:
    """One line of the comparison: an interpreter (``interpreter``, or the one
    :func:`conclab.pick_interpreter` gives for ``kind``), a pool (``mode``:
    ``"threads"`` or ``"processes"``) and extra environment (``env``)."""

    name: str
    kind: str = "gil"
    mode: str = "threads"
    env: Mapping[str, str] = field(default_factory=dict)
    interpreter: Interpreter | None = None


#: The four cases of the notebook, in the order it plots them.
BUILD_CASES: tuple[BuildCase, ...] = (
    BuildCase("GIL build, threads", "gil"),
    BuildCase("free-threaded, threads", "free-threaded"),
    BuildCase("free-threaded + PYTHON_GIL=1", "free-threaded", env={"PYTHON_GIL": "1"}),
    BuildCase("GIL build, processes", "gil", mode="processes"),
)


def build_cases(found: Iterable[Interpreter] | None = None) -> dict[str, BuildCase]:
    """Every case the panel offers: the four of :data:`BUILD_CASES`, then
    threads on each interpreter found (and ``PYTHON_GIL=1`` on each
    free-threaded one), by name."""
    cases = {c.name: c for c in BUILD_CASES}
    for i in sorted(_pool(found), key=lambda i: (i.minor, i.free_threaded)):
        cases[f"{i.label} threads"] = BuildCase(f"{i.label} threads", interpreter=i)
        if i.free_threaded:
            name = f"{i.label} threads, PYTHON_GIL=1"
            cases[name] = BuildCase(name, interpreter=i, env={"PYTHON_GIL": "1"})
    return cases


@dataclass(frozen=True)
class BuildTiming:
    """One case measured: ``walls`` maps workers to seconds (1 = sequential,
    no pool); ``gil_enabled`` is what the child said after its run;
    ``source`` is ``"measured"`` or ``"reference"``."""

    case: str
    python: str
    mode: str
    walls: dict[int, float]
    gil_enabled: bool
    source: str = "measured"
    counts_agree: bool = True
    cpu: dict[int, float] = field(default_factory=dict)

    @property
    def sequential(self) -> float:
        return self.walls[1]

    def speedup(self, workers: int) -> float:
        """Sequential time on the same interpreter / time with ``workers``."""
        return self.walls[1] / self.walls[workers]

    @property
    def best_speedup(self) -> float:
        return max(self.speedup(w) for w in self.walls)

    @property
    def most_cores(self) -> float | None:
        """The most cores the interpreter's process kept busy at once: CPU
        seconds per wall-clock second of its pool runs (threads only: a
        process pool's CPU is in its children). Unlike a speedup, this does
        not depend on the sequential run having had the machine to itself."""
        if self.mode != "threads" or not self.cpu:
            return None
        return max(self.cpu[w] / self.walls[w] for w in self.cpu if w > 1)


def _reference_timing(case: BuildCase) -> BuildTiming | None:
    row = NOGIL_REFERENCE["builds"].get(case.name)
    if row is None:
        return None
    return BuildTiming(
        case=case.name,
        python=row["python"],
        mode=case.mode,
        walls={int(k): v for k, v in row["walls"].items()},
        gil_enabled=row["gil_enabled"],
        source="reference",
        cpu={int(k): v for k, v in row.get("cpu", {}).items()},
    )


def _pick(kind: str, pool: list[Interpreter]) -> Interpreter | None:
    """The interpreter of ``kind``; a GIL build of the free-threaded one's
    version when there is one, so the two builds compare like with like."""
    near = pick_interpreter("free-threaded", pool) if kind == "gil" else None
    return pick_interpreter(kind, pool, near=near)


def measure_builds(
    n: int = 60_000,
    tasks: int = 4,
    workers: Sequence[int] = (2, 4),
    cases: Iterable[BuildCase] = BUILD_CASES,
    found: Iterable[Interpreter] | None = None,
    repeat: int = 2,
) -> list[BuildTiming]:
    """02's prime counting, ``tasks`` × ``count_primes(n)``, in each case.

    For each case its interpreter runs the tasks sequentially and on a pool of
    each size in ``workers`` (best of ``repeat``). A case whose interpreter is
    missing, or whose run fails, comes from the reference figures
    (``source="reference"``) when they have it, else is left out.
    ``12_free_threading.ipynb``.
    """
    check_int("n", n, minimum=1_000, maximum=2_000_000)
    check_int("tasks", tasks, minimum=1, maximum=64)
    check_int("repeat", repeat, minimum=1, maximum=10)
    workers = [check_int("workers", w, minimum=2, maximum=64) for w in workers]
    pool = _pool(found)
    out = []
    for case in cases:
        interp = case.interpreter or _pick(case.kind, pool)
        args = {"n": n, "tasks": tasks, "workers": workers, "kind": case.mode}
        try:
            if interp is None:
                raise ChildFailed(f"no interpreter for {case.name!r}")
            done = run_in(interp, "primes", {**args, "repeat": repeat}, env=case.env)
        except _FAILURES:
            stored = _reference_timing(case)
            if stored is not None:
                out.append(stored)
            continue
        out.append(
            BuildTiming(
                case=case.name,
                python=_python_label(done.facts),
                mode=case.mode,
                walls={int(k): v for k, v in done.result["walls"].items()},
                gil_enabled=bool(done.facts["gil_enabled"]),
                counts_agree=bool(done.result["counts_agree"]),
                cpu={int(k): v for k, v in done.result.get("cpu", {}).items()},
            )
        )
    return out


def _scaled(best: float, yardstick: float | None) -> bool:
    """At least 0.6 × the yardstick's speedup (processes on the same machine:
    the free cores bound both), or 1.3×."""
    bar = 1.3 if yardstick is None else min(1.3, 0.6 * yardstick)
    return best >= bar


def builds_as_predicted(timings: Sequence[BuildTiming]) -> dict[str, bool]:
    """What each build predicts, checked on :func:`measure_builds` output.

    Threads with the GIL on take turns: their process never keeps more than
    one core busy (below 1.3 cores, :attr:`BuildTiming.most_cores`; without
    CPU figures: below 1.5× their sequential speed). Threads without the GIL
    run at once: they keep more than 1.3 cores busy, or scale like processes
    do (:func:`_scaled`) — a busy machine lowers that bar for both alike.
    Every case must also have counted the same primes in every run. Returns
    ``{case: bool}``.
    """
    processes = next((t for t in timings if t.mode == "processes"), None)
    yardstick = None if processes is None else processes.best_speedup
    verdicts = {}
    for t in timings:
        cores = t.most_cores
        if t.mode == "processes":
            ok = True
        elif t.gil_enabled:
            ok = (
                cores < TURNS_BOUND if cores is not None else t.best_speedup < GIL_BOUND
            )
        else:
            at_once = cores is not None and cores >= TURNS_BOUND
            ok = at_once or _scaled(t.best_speedup, yardstick)
        verdicts[t.case] = ok and t.counts_agree
    return verdicts


def single_thread_cost(timings: Sequence[BuildTiming]) -> dict[str, float]:
    """How much longer one thread takes on the free-threaded build than on the
    GIL build (0.4 = 40 % longer): each free-threaded case's sequential time
    over the GIL build's threads case, minus 1."""
    base = next((t for t in timings if t.case == "GIL build, threads"), None)
    if base is None:
        return {}
    return {
        f"{t.python}" + (", PYTHON_GIL=1" if t.gil_enabled else ""): t.sequential
        / base.sequential
        - 1
        for t in timings
        if t.case.startswith("free-threaded")
    }


# ---------------------------------------------------------------------------
# The switch: PYTHON_GIL=1 and -X gil=1
# ---------------------------------------------------------------------------


def gil_switches(found: Iterable[Interpreter] | None = None) -> Measured:
    """Start the free-threaded build three ways and ask whether the GIL is on:
    plainly, with ``PYTHON_GIL=1``, with ``-X gil=1``. And a GIL build with
    ``PYTHON_GIL=0``: the interpreter refuses to start."""
    pool = _pool(found)
    free, standard = _pick("free-threaded", pool), _pick("gil", pool)
    if free is None or standard is None:
        return _reference("switches")
    result: dict[str, Any] = {}
    try:
        for name, env, flags in (
            ("plain", {}, ()),
            ("PYTHON_GIL=1", {"PYTHON_GIL": "1"}, ()),
            ("-X gil=1", {}, ("-X", "gil=1")),
        ):
            facts = run_in(free, "probe", env=env, flags=flags).facts
            result[name] = facts["gil_enabled"]
        run_in(standard, "probe", env={"PYTHON_GIL": "0"})
        result["GIL build, PYTHON_GIL=0"] = "started"
    except ChildFailed as exc:
        result["GIL build, PYTHON_GIL=0"] = str(exc)
    except (TimeoutError, OSError):
        return _reference("switches")
    if len(result) < 4:
        return _reference("switches")
    return Measured(f"{free.version}t and {standard.version}", result)


# ---------------------------------------------------------------------------
# The races of 05, the builtins, an extension, subinterpreters
# ---------------------------------------------------------------------------


def _on(
    kind: str, task: str, args: dict[str, Any], found: Any, key: str = ""
) -> Measured:
    """Run ``task`` on the interpreter of ``kind``, or return the reference
    figures stored under ``key`` (default: the task's name)."""
    interp = _pick(kind, _pool(found))
    if interp is None:
        return _reference(key or task)
    try:
        done = run_in(interp, task, args)
    except _FAILURES:
        return _reference(key or task)
    return Measured(_python_label(done.facts), done.result)


def measure_races(
    threads: int = 4,
    iterations: int = 100_000,
    stingy_times: int = 200_000,
    trials: int = 5,
    build: str = "free-threaded",
    found: Iterable[Interpreter] | None = None,
) -> Measured:
    """05's three races on the free-threaded build (``build="gil"``: on the
    GIL build, for comparison): each without the lock in ``trials`` runs, and
    once with it: ``{name: {"expected", "got", "trials", "seconds"}}``
    (``nogil_child._races``; ``"got"`` is the first trial)."""
    args = {
        "threads": check_int("threads", threads, minimum=2, maximum=64),
        "iterations": check_int("iterations", iterations, minimum=1),
        "stingy_times": check_int("stingy_times", stingy_times, minimum=1),
        "trials": check_int("trials", trials, minimum=1, maximum=20),
    }
    check_choice("build", build, ("free-threaded", "gil"))
    key = "races" if build == "free-threaded" else "races, GIL build"
    return _on(build, "races", args, found, key=key)


def lost_updates_without_lock(races: Measured) -> dict[str, bool]:
    """``{race: lost updates in at least one trial?}`` for the unlocked races
    of :func:`measure_races`."""
    return {
        name: any(got != row["expected"] for got in row.get("trials", [row["got"]]))
        for name, row in races.result.items()
        if "locked" not in name
    }


def lost_nothing_with_lock(races: Measured) -> dict[str, bool]:
    """``{race: nothing lost?}`` for the locked races of :func:`measure_races`."""
    return {
        name: all(got == row["expected"] for got in row.get("trials", [row["got"]]))
        for name, row in races.result.items()
        if "locked" in name
    }


def measure_builtins(
    threads: int = 4,
    items: int = 200_000,
    trials: int = 5,
    found: Iterable[Interpreter] | None = None,
) -> Measured:
    """``list.append`` on a shared list, and ``trials`` runs of one list
    iterator shared by ``threads`` threads, on the free-threaded build."""
    args = {
        "threads": check_int("threads", threads, minimum=2, maximum=64),
        "items": check_int("items", items, minimum=1, maximum=10_000_000),
        "trials": check_int("trials", trials, minimum=1, maximum=50),
    }
    return _on("free-threaded", "builtins", args, found)


def measure_generator(
    threads: int = 4,
    items: int = 200_000,
    trials: int = 3,
    found: Iterable[Interpreter] | None = None,
) -> Measured:
    """One generator shared by ``threads`` threads, ``trials`` times, each in a
    child of its own: ``{"outcomes": [...]}``, each ``"ValueError"``,
    ``"crashed (signal 11)"`` or ``"no error"``."""
    args = {
        "threads": check_int("threads", threads, minimum=2, maximum=64),
        "items": check_int("items", items, minimum=1, maximum=10_000_000),
    }
    check_int("trials", trials, minimum=1, maximum=20)
    free = pick_interpreter("free-threaded", _pool(found))
    if free is None:
        return _reference("generator")
    outcomes = []
    for _ in range(trials):
        try:
            done = run_in(free, "generator", args)
        except ChildFailed as exc:
            code = exc.returncode
            crashed = code is not None and code < 0
            outcomes.append(f"crashed (signal {-(code or 0)})" if crashed else str(exc))
            continue
        except (TimeoutError, OSError):
            return _reference("generator")
        outcomes.append("ValueError" if done.result["errors"] else "no error")
    return Measured(f"{free.version}t", {"outcomes": outcomes})


def measure_extension(
    declare: bool = False, found: Iterable[Interpreter] | None = None
) -> Measured:
    """Compile ``nogil_child.TINY_EXTENSION`` for the free-threaded build, with
    (``declare=True``) or without its ``Py_mod_gil`` slot, import it there and
    report the GIL before and after, the warning, and then 1 and 4 threads of
    prime counting."""
    args = {"declare": bool(declare), "then_time": True, "n": 40_000, "tasks": 4}
    args["workers"] = 4
    key = "extension, declared" if declare else "extension"
    return _on("free-threaded", "extension", args, found, key=key)


def measure_subinterpreters(
    n: int = 100_000,
    tasks: int = 4,
    workers: Sequence[int] = (2, 4),
    repeat: int = 2,
    found: Iterable[Interpreter] | None = None,
) -> Measured:
    """3.14+: the same prime counting sequentially, on threads, on an
    ``InterpreterPoolExecutor`` and on processes; what a subinterpreter
    shares; whether numpy imports in one."""
    args = {
        "n": check_int("n", n, minimum=1_000, maximum=2_000_000),
        "tasks": check_int("tasks", tasks, minimum=1, maximum=64),
        "workers": [check_int("workers", w, minimum=2, maximum=64) for w in workers],
        "repeat": check_int("repeat", repeat, minimum=1, maximum=10),
    }
    measured = _on("subinterpreters", "subinterpreters", args, found)
    if measured.source == "measured":
        measured.result["imports"] = _with_reference_imports(measured.result["imports"])
    return measured


def _with_reference_imports(imports: list[dict[str, str]]) -> list[dict[str, str]]:
    """A module not installed in the measured Python (numpy in a bare 3.14)
    is shown from the reference figures, marked ``"source": "reference"``."""
    stored = NOGIL_REFERENCE.get("subinterpreters", {}).get("result", {})
    stored = stored.get("imports", [])
    by_module = {entry["module"]: entry for entry in stored}
    out = []
    for entry in imports:
        if entry["there"] == "not tried" and entry["module"] in by_module:
            entry = {**by_module[entry["module"]], "source": "reference"}
        out.append(entry)
    return out


def pools_as_predicted(
    walls: Mapping[str, float], cpu: Mapping[str, float] | None = None
) -> dict[str, bool]:
    """On a GIL build: threads take turns (their process keeps below 1.3
    cores busy; without ``cpu``: below 1.5× the sequential speed);
    interpreters (one GIL each) run at once: more than 1.3 cores busy, or a
    speedup like the processes' (at least 0.6 × their best, or 1.3×)."""
    base = walls["sequential 1"]
    best: dict[str, float] = {}
    cores: dict[str, float] = {}
    for key, seconds in walls.items():
        kind = key.rsplit(" ", 1)[0]
        best[kind] = max(best.get(kind, 0.0), base / seconds)
        if cpu and key in cpu and kind != "sequential":
            cores[kind] = max(cores.get(kind, 0.0), cpu[key] / seconds)
    if "threads" in cores:
        turns = cores["threads"] < TURNS_BOUND
    else:
        turns = best.get("threads", 0.0) < GIL_BOUND
    at_once = cores.get("interpreters", 0.0) >= TURNS_BOUND
    scaled = _scaled(best.get("interpreters", 0.0), best.get("processes"))
    return {"threads": turns, "interpreters": at_once or scaled}
