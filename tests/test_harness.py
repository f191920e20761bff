"""The notebook test harness catches what it must: these run nbval for real.

Each test writes a tiny notebook, executes it the way ``make execute`` does,
then spoils it in one way and checks that nbval, run with the project's
options, fails (or, for the shutdown tests, that the kernel exits on its own
and leaves nothing behind, and that the harness notices when it does not).
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


def test_a_notebook_that_cannot_run_twice_fails_the_second_run_all(tmp_path):
    path = executed(tmp_path, "assert 'seen' not in globals(), 'ran before'\nseen = 1")
    assert nbval(path).returncode == 0  # one Run All: fine
    result = nbval(path, CONCLAB_NBVAL_TWICE="1")
    assert result.returncode != 0
    assert "the second Run All failed: cell 0: AssertionError: ran before" in (
        result.stdout
    )


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
@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_kernels_are_shut_down_cleanly(tmp_path, method):
    """A kernel that used the library's context, a Lock and a Queue exits on
    its own and leaves nothing behind (tools/nbval_graceful.py checks it)."""
    path = executed(
        tmp_path,
        f"import conclab as lab\nctx = lab.mp_context({method!r})\n"
        "lock, queue = ctx.Lock(), ctx.Queue()\nqueue.put(1)\n"
        "print(queue.get(timeout=10))\n"
        "p = ctx.Process(target=print)\np.start()\np.join(timeout=30)",
    )
    result = nbval(path)
    assert result.returncode == 0, result.stdout
    assert "did not shut down cleanly" not in result.stdout


def test_a_kernel_that_cannot_exit_in_time_fails(tmp_path):
    """Without the library's shutdown fix a forkserver keeps ipykernel's
    shutdown waiting for ~29 s: Jupyter kills the kernel, its exit handlers
    never run, and the harness says so."""
    path = executed(
        tmp_path,
        "import multiprocessing as mp\nctx = mp.get_context('forkserver')\n"
        "p = ctx.Process(target=print)\np.start()\np.join(timeout=30)",
    )
    result = nbval(path)
    assert result.returncode != 0
    assert "did not exit within the grace time" in result.stdout
    assert "pymp-" in result.stdout


def test_nbval_still_has_the_method_the_graceful_plugin_replaces():
    """tools/nbval_graceful.py replaces nbval's RunningKernel.stop (nbval is
    pinned in pyproject.toml): a new nbval that renames or reshapes it must
    fail here, not leave semaphores in /dev/shm unnoticed."""
    import importlib.metadata
    import inspect

    from nbval.kernel import RunningKernel

    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    dev = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = dev["project"]["optional-dependencies"]["test"]
    assert f"nbval=={importlib.metadata.version('nbval')}" in pins
    stop = inspect.getsource(RunningKernel.stop)
    assert "shutdown_kernel(now=True)" in stop, "nbval's stop changed: read it again"
    plugin = (ROOT / "tools" / "nbval_graceful.py").read_text(encoding="utf-8")
    assert "nbval_kernel.RunningKernel.stop = stop" in plugin


def _collected(shard: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CONCLAB_SHARD"}
    if shard is not None:
        env["CONCLAB_SHARD"] = shard
    files = ["tests/test_env.py", "tests/test_checks.py"]
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
           "--collect-only", "-q", *files]  # fmt: skip
    return subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def _ids(result: subprocess.CompletedProcess) -> list[str]:
    assert result.returncode == 0, result.stdout + result.stderr
    return [line for line in result.stdout.splitlines() if "::" in line]


def test_unit_shards_split_the_tests_between_them():
    """noxfile.py's unit(): CONCLAB_SHARD=i/n processes run every test once."""
    every = _ids(_collected(None))
    first, second = _ids(_collected("0/2")), _ids(_collected("1/2"))
    assert len(every) > 10
    assert first and second
    assert not set(first) & set(second)
    assert sorted(first + second) == sorted(every)
    assert abs(len(first) - len(second)) <= 1


@pytest.mark.parametrize("shard", ["2/2", "a/b"])
def test_a_bad_shard_is_a_clear_error(shard):
    result = _collected(shard)
    assert result.returncode != 0
    assert "CONCLAB_SHARD must be i/n with i < n" in result.stdout + result.stderr


_CRASH_AND_FAIL = """
import os, signal
import pytest

@pytest.fixture
def breaks_on_teardown():
    yield
    raise RuntimeError("teardown fails too")

@pytest.mark.parametrize("cell", [25], ids=["Cell 25"])  # a space, as nbval ids
def test_fails(cell, breaks_on_teardown):
    assert cell == 2

def test_crashes():
    os.kill(os.getpid(), signal.SIGSEGV)
"""


def test_the_summary_names_a_failed_test_and_the_test_a_crash_killed(tmp_path):
    """noxfile.py's why_failed(), from what conftest.py notes as tests run:
    CI shows only the end of the log, so the stage's summary line must say
    which test failed, or which one was running when a signal killed pytest."""
    import importlib.util

    pytest.importorskip("nox", reason="the py3.13 stage installs nox")
    spec = importlib.util.spec_from_file_location("noxfile", ROOT / "noxfile.py")
    assert spec and spec.loader
    noxfile = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(noxfile)

    (tmp_path / "conftest.py").write_text(
        (ROOT / "conftest.py").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "test_tiny.py").write_text(_CRASH_AND_FAIL, encoding="utf-8")
    notes = tmp_path / "notes"
    notes.mkdir()
    env = {**os.environ, "CONCLAB_TEST_NOTES": str(notes)}
    env.pop("CONCLAB_SHARD", None)
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p",
           "no:faulthandler", "-q", "test_tiny.py"]  # fmt: skip
    done = subprocess.run(
        cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == -11, done.stdout + done.stderr
    assert noxfile.why_failed(done.returncode, notes) == (
        "killed by SIGSEGV during test_tiny.py::test_crashes"
    )
    (notes / "running").unlink()
    assert noxfile.why_failed(1, notes) == "1 failed: test_tiny.py::test_fails[Cell 25]"
    (notes / "failed").unlink()
    assert noxfile.why_failed(3, notes) == "exit 3"
