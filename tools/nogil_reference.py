"""Measure notebook 12's reference figures and write them into the library.

    python tools/nogil_reference.py          # needs 3.13 (GIL), 3.13t and 3.14
    CONCLAB_PYTHONS=/path/to/a/3.14-venv/bin/python python tools/nogil_reference.py

(a 3.14 with numpy installed shows numpy failing in a subinterpreter).

Runs every experiment of ``conclab.core.nogil`` with its defaults (the
settings notebook 12 uses) on the interpreters this machine has, and writes
``lib/conclab/core/nogil_reference.py``: the figures a notebook shows,
labelled as reference, where an interpreter is missing. Refuses to write
when the machine is busy, when an experiment fell back to the old reference
itself, or when the run does not show what the notebook says it shows (a
reference is one real run that does, not a retry until it does: a run that
does not is reported, and the notebook's claim is what needs looking at).
"""

from __future__ import annotations

import datetime
import os
import platform
import pprint
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "lib" / "conclab" / "core" / "nogil_reference.py"

HEADER = '''"""Reference figures of ``12_free_threading.ipynb``: what its experiments
return, labelled ``source="reference"``, where an interpreter is missing.

Written by ``tools/nogil_reference.py`` from one real run; do not edit by hand.
{note}
"""

from __future__ import annotations

from typing import Any

__all__ = ["NOGIL_REFERENCE"]

NOGIL_REFERENCE: dict[str, Any] = '''


def main() -> int:
    import argparse

    from conclab.core import interpreters, nogil

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--max-load",
        type=float,
        default=1.0,
        help="refuse to measure when the 1-minute load average is higher",
    )
    options = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    if load > options.max_load:
        print(f"not measured: load average {load:.1f} > {options.max_load:g}")
        return 1

    found = interpreters.find_interpreters()
    interpreters.print_interpreters(found)
    runs = {
        "switches": nogil.gil_switches(found=found),
        "races": nogil.measure_races(found=found),
        "races, GIL build": nogil.measure_races(build="gil", trials=1, found=found),
        "builtins": nogil.measure_builtins(found=found),
        "generator": nogil.measure_generator(found=found),
        "extension": nogil.measure_extension(False, found=found),
        "extension, declared": nogil.measure_extension(True, found=found),
        "subinterpreters": nogil.measure_subinterpreters(found=found),
    }
    builds = nogil.measure_builds(found=found)
    stale = [k for k, m in runs.items() if m.source != "measured"]
    stale += [t.case for t in builds if t.source != "measured"]
    if stale or len(builds) != len(nogil.BUILD_CASES):
        print("not written: no measurement for", stale or "some build cases")
        return 1
    claims = {
        "builds as predicted": all(nogil.builds_as_predicted(builds).values()),
        "races lost updates": all(
            nogil.lost_updates_without_lock(runs["races"]).values()
        ),
        "locks lost nothing": all(nogil.lost_nothing_with_lock(runs["races"]).values()),
        "pools as predicted": all(
            nogil.pools_as_predicted(
                runs["subinterpreters"].result["walls"],
                runs["subinterpreters"].result["cpu"],
            ).values()
        ),
    }
    if not all(claims.values()):
        print("not written: this run does not support the notebook's claims:", claims)
        return 1
    pythons = sorted({t.python for t in builds} | {runs["subinterpreters"].python})
    cores = os.cpu_count()
    day = datetime.date.today().isoformat()
    note = (
        f"Measured {day} on {platform.system()} {platform.machine()}, {cores} cores "
        f"(load average {load:.1f} at the start), CPython {', '.join(pythons)}."
    )
    data = {"note": note}
    data["builds"] = {
        t.case: {
            "python": t.python,
            "walls": t.walls,
            "cpu": t.cpu,
            "gil_enabled": t.gil_enabled,
        }
        for t in builds
    }
    for key, m in runs.items():
        data[key] = {"python": m.python, "result": m.result}
    wrapped = textwrap.fill(note, 76)
    body = pprint.pformat(data, width=80, sort_dicts=False)
    text = HEADER.format(note=wrapped) + body
    TARGET.write_text(text + "\n", encoding="utf-8")
    # the same layout as `make format` gives it, where ruff is installed
    ruff = [sys.executable, "-m", "ruff", "format", "-q", str(TARGET)]
    subprocess.run(ruff, check=False)
    print("wrote", TARGET.relative_to(ROOT), "-", note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
