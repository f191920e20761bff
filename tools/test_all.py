"""Run every check CI runs, stage by stage, and print one summary.

    python tools/test_all.py            # what `make test` and .ci/run do
    python tools/test_all.py --only lint,unit
    python tools/test_all.py --list

Stages (see README, "Testing"):

lint              ruff check and ruff format --check (library, tests, tools, notebooks)
unit              the library's tests and the notebook hygiene tests (this Python)
nbval-<method>    every notebook under nbval, strict, CONCLAB_START_METHOD=<method>
                  for fork, forkserver and spawn (the ones this platform has)
browser           JupyterLab + Chromium drive every interactive panel
py3.13            a venv on Python 3.13 with ipywidgets 7.7.1 (what Colab runs):
                  unit + nbval per method
py3.10            a venv on Python 3.10 (the oldest supported): unit tests

A stage whose interpreter is missing is reported as SKIPPED with the reason;
any failed stage makes the exit status 1. The last line reads
``stages: N passed, N failed, N skipped``.
"""

from __future__ import annotations

import argparse
import glob
import multiprocessing
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NBVAL = [
    "-p", "no:cacheprovider", "-p", "tools.nbval_graceful",
    "--nbval", "--nbval-current-env",
    "--nbval-sanitize-with", "tests/nbval_sanitize.cfg",
    "--nbval-cell-timeout=120", "notebooks",
]  # fmt: skip
METHODS = [m for m in ("fork", "forkserver", "spawn")
           if m in multiprocessing.get_all_start_methods()]  # fmt: skip


@dataclass
class Outcome:
    name: str
    status: str  # passed / failed / skipped
    seconds: float
    detail: str = ""


def banner(text: str) -> None:
    print(f"\n{'=' * 20} {text} {'=' * max(0, 58 - len(text))}", flush=True)


def run(cmd: list[str], env: dict[str, str] | None = None) -> bool:
    print("$", " ".join(cmd), flush=True)
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(cmd, cwd=ROOT, env=full_env).returncode == 0


def find_python(version: str) -> str | None:
    """``pythonX.Y`` on PATH, else a pyenv install of it, else None."""
    candidates = []
    found = shutil.which(f"python{version}")
    if found:
        candidates.append(found)
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    candidates += sorted(
        glob.glob(f"{pyenv_root}/versions/{version}*/bin/python{version}")
    )
    for exe in candidates:
        probe = subprocess.run([exe, "-c", "import sys; print(sys.version_info[:2])"],
                               capture_output=True, text=True)  # fmt: skip
        if probe.returncode == 0 and probe.stdout.strip() == str(
            tuple(int(p) for p in version.split("."))
        ):
            return exe
    return None


def venv_for(version: str, exe: str, extra: tuple[str, ...] = ()) -> Path:
    """A venv .venv-pyX.Y with the project, its dev extras and ``extra`` installed."""
    venv = ROOT / f".venv-py{version}"
    py = venv / "bin" / "python"
    if not py.exists():
        subprocess.run([exe, "-m", "venv", str(venv)], check=True)
    stamp = venv / ".installed"
    wanted = " ".join(("-e", ".[dev]", *extra))
    pyproject = ROOT / "pyproject.toml"
    if (
        not stamp.exists()
        or stamp.read_text() != wanted
        or stamp.stat().st_mtime < pyproject.stat().st_mtime
    ):
        pip = [str(py), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, "--upgrade", "pip"], check=True)
        subprocess.run([*pip, *wanted.split()], cwd=ROOT, check=True)
        stamp.write_text(wanted)
    return py


def stage_lint(py: str) -> bool:
    paths = ["lib", "tests", "tools", "notebooks"] + (
        ["bench"] if (ROOT / "bench").exists() else []
    )
    ruff = [py, "-m", "ruff"]
    return run([*ruff, "check", *paths]) & run([*ruff, "format", "--check", *paths])


def stage_unit(py: str) -> bool:
    return run([py, "-m", "pytest", "tests", "--ignore=tests/browser"])


def stage_nbval(py: str, method: str) -> bool:
    return run([py, "-m", "pytest", *NBVAL], env={"CONCLAB_START_METHOD": method})


def stage_browser(py: str) -> bool:
    installer = ROOT / "tools" / "install_chromium.sh"
    if installer.exists():
        run(["bash", str(installer)])
    return run([py, "-m", "pytest", "tests/browser"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated stage names")
    parser.add_argument("--list", action="store_true", help="list the stages and exit")
    args = parser.parse_args()
    py = sys.executable
    methods = METHODS
    chosen = os.environ.get("CONCLAB_START_METHOD", "").strip()
    if chosen:
        if chosen not in METHODS:
            print(
                f"test_all: CONCLAB_START_METHOD={chosen!r} is not a start method on "
                f"this platform; use one of {', '.join(METHODS)}, or unset it to run "
                "the notebooks under each of them",
                file=sys.stderr,
            )
            return 2
        methods = [chosen]
        print(f"CONCLAB_START_METHOD={chosen}: notebooks run under {chosen} only")
    stages: list[tuple[str, object]] = [("lint", lambda: stage_lint(py)),
                                        ("unit", lambda: stage_unit(py))]  # fmt: skip
    for method in methods:
        stages.append((f"nbval-{method}", lambda m=method: stage_nbval(py, m)))
    if (ROOT / "tests" / "browser").exists():
        stages.append(("browser", lambda: stage_browser(py)))
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    # 3.13 with ipywidgets 7.7.1: the pair Google Colab runs
    for version, full, extra in (
        ("3.13", True, ("ipywidgets==7.7.1",)),
        ("3.10", False, ()),
    ):
        if version != here:
            stages.append((f"py{version}", (version, full, extra)))
    if args.list:
        print("\n".join(name for name, _ in stages))
        return 0
    wanted = {s for s in args.only.split(",") if s}
    unknown = wanted - {name for name, _ in stages}
    if unknown:
        parser.error(f"unknown stage(s) {sorted(unknown)}; see --list")

    outcomes: list[Outcome] = []
    for name, action in stages:
        if wanted and name not in wanted:
            continue
        banner(name)
        start = time.perf_counter()
        if isinstance(action, tuple):
            version, full, extra = action
            exe = find_python(version)
            if exe is None:
                reason = f"python{version} not found on PATH or in pyenv; stage skipped"
                print(f"SKIPPED: {reason}", flush=True)
                outcomes.append(Outcome(name, "skipped", 0.0, reason))
                continue
            try:
                vpy = str(venv_for(version, exe, extra))
            except subprocess.CalledProcessError as exc:
                outcomes.append(Outcome(name, "failed", time.perf_counter() - start,
                                        f"venv setup failed: {exc}"))  # fmt: skip
                continue
            ok = stage_unit(vpy)
            if full:
                for method in methods:
                    ok = stage_nbval(vpy, method) and ok
            detail = "unit + nbval (" + ", ".join(methods) + ")" if full else "unit"
            if extra:
                detail += " with " + " ".join(extra)
        else:
            ok = bool(action())
            detail = ""
        elapsed = time.perf_counter() - start
        outcomes.append(Outcome(name, "passed" if ok else "failed", elapsed, detail))

    banner("summary")
    for o in outcomes:
        extra = f"  {o.detail}" if o.detail else ""
        print(f"{o.status.upper():8} {o.name:<18} {o.seconds:7.1f} s{extra}")
    counts = {
        s: sum(o.status == s for o in outcomes) for s in ("passed", "failed", "skipped")
    }
    print(f"stages: {counts['passed']} passed, {counts['failed']} failed, "
          f"{counts['skipped']} skipped")  # fmt: skip
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
