"""The notebook test harness catches what it must: these run nbval for real.

Each test writes a tiny notebook, executes it the way ``make execute`` does,
then spoils it in one way and checks that nbval, run with the project's
options, fails (or, for the shutdown tests, that the kernel exits on its own
and leaves nothing behind, and that the harness notices when it does not).
"""

from __future__ import annotations

import functools
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
    noxfile = _noxfile()
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


def _noxfile():
    """noxfile.py as a module (the py3.13 stage installs nox), loaded once:
    nox warns when a session is registered twice."""
    pytest.importorskip("nox", reason="the py3.13 stage installs nox")
    return _load_noxfile()


@functools.cache
def _load_noxfile():
    import importlib.util

    spec = importlib.util.spec_from_file_location("noxfile", ROOT / "noxfile.py")
    assert spec and spec.loader
    noxfile = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(noxfile)
    return noxfile


def _until(condition, what: str, seconds: float = 30.0) -> None:
    """Wait for a state another thread or process reaches (bounded)."""
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.02)


def test_slots_run_at_most_n_jobs_and_the_longest_waiting_first(tmp_path):
    """noxfile.py's Slots: with both slots held, three jobs wait; each slot
    freed goes to the longest of those still waiting."""
    import contextlib
    import queue
    import threading

    slots = _noxfile().Slots(tmp_path, 2)
    started: queue.Queue[str] = queue.Queue()
    release = {name: threading.Event() for name in ("short", "long", "mid")}

    def job(name: str, seconds: float) -> None:
        with slots.taken(seconds):
            started.put(name)
            release[name].wait(timeout=60)

    with contextlib.ExitStack() as held:
        first, second = held.enter_context(slots.taken(1)), slots.taken(1)
        held.enter_context(second)
        assert first and slots.free() == []
        threads = [
            threading.Thread(target=job, args=(name, seconds))
            for name, seconds in (("short", 5), ("long", 500), ("mid", 50))
        ]
        for thread in threads:
            thread.start()
        _until(lambda: len(slots.waiting()) == 3, "three jobs waiting")
        assert started.empty()
        held.pop_all().close()  # both slots freed at once
        got = {started.get(timeout=30), started.get(timeout=30)}
        assert got == {"long", "mid"}, got
        assert started.empty() and len(slots.waiting()) == 1
        release["mid"].set()
        assert started.get(timeout=30) == "short"
        release["long"].set()
        release["short"].set()
        for thread in threads:
            thread.join(timeout=60)
    assert slots.free() == [0, 1] and slots.waiting() == []


def test_a_slot_is_freed_when_its_holder_dies(tmp_path):
    """A killed job's slot, and a killed waiter's place in the queue, go."""
    noxfile_py = str(ROOT / "noxfile.py")
    holder = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('nf', {noxfile_py!r})\n"
        "nf = importlib.util.module_from_spec(spec); spec.loader.exec_module(nf)\n"
        f"with nf.Slots(nf.Path({str(tmp_path)!r}), 1).taken(float(sys.argv[1])):\n"
        "    print('held', flush=True); sys.stdin.read()\n"
    )
    slots = _noxfile().Slots(tmp_path, 1)
    first = subprocess.Popen(
        [sys.executable, "-c", holder, "1"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert first.stdout.readline() == "held\n"  # before the second one waits
    second = subprocess.Popen(
        [sys.executable, "-c", holder, "9"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        _until(lambda: len(slots.waiting()) == 1, "the second one waiting")
        assert slots.free() == []
        second.kill()
        second.wait(timeout=30)
        assert slots.waiting() == []
        assert list((tmp_path / "waiting").iterdir()) == []  # its file is gone
        first.kill()
        first.wait(timeout=30)
        assert slots.free() == [0]
    finally:
        for child in (first, second):
            child.kill()
            child.wait(timeout=30)
            for stream in (child.stdin, child.stdout):
                stream.close()


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_a_bad_slot_count_is_a_clear_error(monkeypatch, value):
    noxfile = _noxfile()
    monkeypatch.setenv("CONCLAB_TEST_SLOTS", value)
    with pytest.raises(ValueError, match="CONCLAB_TEST_SLOTS must be a whole number"):
        noxfile.slot_count("py3.14")
    with pytest.raises(ValueError, match="count must be at least 1"):
        noxfile.Slots(ROOT / ".nox" / "unused", 0)


def test_nbval_parts_split_the_notebooks_between_them():
    noxfile = _noxfile()
    every = sorted(
        p.relative_to(ROOT).as_posix() for p in ROOT.glob("notebooks/*.ipynb")
    )
    first, second = noxfile.notebooks(0, 2), noxfile.notebooks(1, 2)
    assert sorted(first + second) == every and not set(first) & set(second)
    jobs = noxfile.nbval("spawn", parts=2)
    assert [job.args[-len(first) :] for job in jobs[:1]] == [first]
    assert all(job.env["CONCLAB_START_METHOD"] == "spawn" for job in jobs)
    # the runs that compare outputs share a smaller limit (GROUP_SLOTS)
    assert {job.group for job in jobs} == {"nbval"} and noxfile.GROUP_SLOTS["nbval"] < 3
    assert {job.group for job in noxfile.nbval(None, lax=True)} == {""}
