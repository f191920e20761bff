"""The notebook test harness catches what it must: these run nbval for real.

Each test writes a tiny notebook, executes it the way ``make execute`` does,
then spoils it in one way and checks that nbval, run with the project's
options, fails (or, for the shutdown test, leaves nothing behind).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
SHM = Path("/dev/shm")


def nbval(path: Path, **env: str) -> subprocess.CompletedProcess:
    """Run nbval on one notebook with the options noxfile.py uses."""
    cmd = [
        sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
        "-p", "tools.nbval_graceful", "--nbval", "--nbval-current-env",
        "--nbval-sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg"),
        "--nbval-cell-timeout=60", "-c", str(ROOT / "pyproject.toml"),
        "--rootdir", str(path.parent), str(path),
    ]  # fmt: skip
    full_env = {k: v for k, v in os.environ.items() if k != "CONCLAB_START_METHOD"}
    full_env.update(env)
    return subprocess.run(
        cmd, cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=240
    )


def executed(tmp_path: Path, *sources: str) -> Path:
    """A notebook of these code cells, executed with tools/execute.py."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    path = tmp_path / "tiny.ipynb"
    nbformat.write(nb, path)
    cmd = [sys.executable, str(ROOT / "tools" / "execute.py"), str(path)]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, timeout=240)
    return path


def test_a_clean_notebook_passes(tmp_path):
    path = executed(tmp_path, "print(6 * 7)")
    result = nbval(path)
    assert result.returncode == 0, result.stdout


def test_an_edited_output_fails(tmp_path):
    path = executed(tmp_path, "print(6 * 7)")
    nb = json.loads(path.read_text())
    nb["cells"][0]["outputs"][0]["text"] = ["41\n"]
    path.write_text(json.dumps(nb))
    result = nbval(path)
    assert result.returncode != 0
    assert "41" in result.stdout and "42" in result.stdout


def test_a_cell_that_raises_fails(tmp_path):
    path = executed(tmp_path, "x = 1")
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source = "raise RuntimeError('boom')"
    nbformat.write(nb, path)
    result = nbval(path)
    assert result.returncode != 0
    assert "RuntimeError" in result.stdout


def test_a_bogus_start_method_fails_with_a_clear_message(tmp_path):
    path = executed(
        tmp_path,
        "import conclab as lab\nprint(lab.mp_context().get_start_method() != '')",
    )
    result = nbval(path, CONCLAB_START_METHOD="bogus")
    assert result.returncode != 0
    assert "CONCLAB_START_METHOD='bogus' is not a start method" in result.stdout


@pytest.mark.skipif(
    not SHM.is_dir() or sys.platform != "linux", reason="needs Linux /dev/shm"
)
def test_kernels_are_shut_down_cleanly(tmp_path):
    """A spawn Lock and Queue in the kernel leave no semaphore in /dev/shm.

    The cell records its own semaphores' names: other programs on the machine
    create and remove semaphores of their own meanwhile.
    """
    names = tmp_path / "names.txt"
    path = executed(
        tmp_path,
        "import multiprocessing as mp\nctx = mp.get_context('spawn')\n"
        "lock, queue = ctx.Lock(), ctx.Queue()\nqueue.put(1)\n"
        "print(queue.get(timeout=10))\n"
        "locks = (lock, queue._rlock, queue._wlock, queue._sem)\n"
        f"_ = open({str(names)!r}, 'w').write("
        "' '.join(x._semlock.name for x in locks))",
    )
    result = nbval(path)
    assert result.returncode == 0, result.stdout
    created = names.read_text().split()
    assert len(created) == 4, created
    left = [n for n in created if (SHM / f"sem.{n.lstrip('/')}").exists()]
    assert not left, f"semaphores left in /dev/shm: {left}"
