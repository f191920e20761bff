"""Tests of conclab.core.interpreters: finding Pythons, running a task in one."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

import pytest

import conclab as lab
from conclab.core import env
from conclab.core import interpreters as it

KERNEL = (sys.executable,)


def _interp(version, free_threaded=False, where="PATH", sub=None, gil=None):
    return it.Interpreter(
        command=(f"/x/python{version}",),
        version=version,
        free_threaded=free_threaded,
        gil_enabled=(not free_threaded) if gil is None else gil,
        subinterpreters=tuple(int(p) for p in version.split(".")[:2]) >= (3, 14)
        if sub is None
        else sub,
        found_in=where,
    )


# -- names and candidates -------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "wanted"),
    [
        ("python3.13t", True),
        ("python3.14", True),
        ("python3", True),
        ("python.exe", True),
        ("python3.13-config", False),
        ("python3.13t-config", False),
        ("python3.13-gdb.py", False),
        ("pip3.13", False),
    ],
)
def test_looks_like_python(name, wanted):
    assert it._looks_like_python(f"/some/bin/{name}") is wanted


def test_versions_outside_the_range_are_not_asked():
    assert it._version_from_name("/x/python3.13t") == (13, True)
    assert not it._wanted("/x/python3.9")
    assert not it._wanted("/x/python3.10")
    assert it._wanted("/x/python3.11")
    assert it._wanted("/x/python3")  # unknown: asked


def test_candidates_start_with_this_kernel_and_skip_shims(tmp_path, monkeypatch):
    shims = tmp_path / "shims"
    shims.mkdir()
    fake = shims / "python3.14"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(shims) + os.pathsep + os.environ["PATH"])
    candidates = it._candidates()
    assert candidates[0] == (KERNEL, "this kernel")
    assert all(str(shims) not in c[0][0] for c in candidates)


def test_extra_commands_from_the_environment(tmp_path, monkeypatch):
    link = tmp_path / "python3.13"
    link.symlink_to(sys.executable)  # the same file: asked once, as the kernel
    other = tmp_path / "pythonX"
    other.write_text("")
    monkeypatch.setenv(it.PYTHONS_ENV, os.pathsep.join([str(link), str(other)]))
    commands = [c[0][0] for c in it._candidates()]
    assert str(link) not in commands  # same real file as sys.executable
    assert str(other) not in commands  # not a python name


# -- probing and running ----------------------------------------------------------


def test_this_kernel_is_found_and_described_truly():
    found = it.find_interpreters(refresh=True)
    kernel = next(i for i in found if i.found_in == "this kernel")
    assert kernel.version == platform.python_version()
    assert kernel.free_threaded == env.free_threaded_build()
    assert kernel.gil_enabled == (env.gil_enabled() or not kernel.free_threaded)
    assert kernel.subinterpreters == (sys.version_info >= (3, 14))
    assert kernel.label == f"3.{sys.version_info.minor}" + (
        "t" if kernel.free_threaded else ""
    )
    assert it.find_interpreters() == found  # cached
    keys = [(i.version, i.free_threaded) for i in found]
    assert len(keys) == len(set(keys))


def test_print_interpreters_shows_no_paths(capsys):
    it.print_interpreters([_interp("3.13.5", True, "pyenv"), _interp("3.14.1")])
    out = capsys.readouterr().out
    assert "3.13.5t" in out and "free-threaded, GIL off" in out
    assert "concurrent.interpreters" in out
    assert "/x/" not in out
    it.print_interpreters([])
    assert "no CPython" in capsys.readouterr().out


def test_run_in_returns_the_childs_facts_and_result():
    done = it.run_in(KERNEL, "primes", {"n": 2_000, "tasks": 2, "workers": [2]})
    assert done.facts["version"] == platform.python_version()
    assert done.result["counts_agree"] is True
    assert set(done.result["walls"]) == {"1", "2"}
    assert done.seconds > 0


def test_the_child_gets_a_stub_package_and_a_clean_environment(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", "/nowhere")
    monkeypatch.setenv("PYTHON_GIL", "1")
    env_ = it._child_env("/stub", {"X": "1"})
    assert env_["PYTHONPATH"] == "/stub"
    assert "PYTHON_GIL" not in env_
    assert env_["X"] == "1"
    if os.name == "posix":
        assert str(it._library_folder()) in env_[it.CHROOT_BIND_ENV].split(":")


def test_stub_points_at_this_library(tmp_path):
    it._write_stub(str(tmp_path))
    namespace: dict = {}
    exec((tmp_path / "conclab" / "__init__.py").read_text(), namespace)
    assert Path(namespace["__path__"][0]) == Path(it.__file__).resolve().parent.parent


@pytest.mark.skipif(env.free_threaded_build(), reason="needs a GIL build")
@pytest.mark.skipif(sys.version_info < (3, 13), reason="PYTHON_GIL exists from 3.13")
@pytest.mark.skipif(not lab.gil_enabled(), reason="a GIL build's refusal")
def test_a_gil_build_refuses_python_gil_0():
    with pytest.raises(it.ChildFailed, match="Disabling the GIL is not supported"):
        it.run_in(KERNEL, "probe", env={"PYTHON_GIL": "0"})


def test_a_child_that_runs_too_long_is_stopped():
    with pytest.raises(TimeoutError, match="did not finish"):
        it.run_in(KERNEL, "primes", {"n": 2_000_000, "tasks": 50}, timeout=1)


def test_a_missing_command_is_a_child_failure(tmp_path):
    with pytest.raises(it.ChildFailed, match="could not start"):
        it.run_in((str(tmp_path / "python3.99"),), "probe")


def test_run_in_checks_its_arguments():
    with pytest.raises(ValueError, match="task must be one of"):
        it.run_in(KERNEL, "nothing")
    with pytest.raises(TypeError, match="interpreter must be"):
        it.run_in("python3", "probe")
    with pytest.raises(ValueError, match="timeout"):
        it.run_in(KERNEL, "probe", timeout=0)


def test_last_error_keeps_the_message_and_drops_paths():
    stderr = (
        "Traceback (most recent call last):\n"
        '  File "/root/x/y.py", line 1, in <module>\n'
        "ModuleNotFoundError: No module named 'nope'\n"
    )
    assert it._last_error(stderr) == "ModuleNotFoundError: No module named 'nope'"
    fatal = "Fatal Python error: config_read_gil: Disabling the GIL is not supported"
    assert it._last_error(fatal + "\nPython runtime state: preinitialized\n") == fatal
    assert it._last_error("") == "no error message"


# -- choosing -----------------------------------------------------------------------


def test_pick_interpreter_chooses_by_build_and_version():
    kernel = _interp("3.13.0", where="this kernel")
    ft13 = _interp("3.13.5", True, "pyenv")
    ft14 = _interp("3.14.1", True, "uv")
    gil14, gil15 = _interp("3.14.10"), _interp("3.15.2")
    gil12 = _interp("3.12.1", where="pyenv")
    pool = [kernel, gil12, ft13, gil14, gil15, ft14]
    assert it.pick_interpreter("free-threaded", pool) is ft14
    assert it.pick_interpreter("gil", pool, near=ft14) is gil14
    assert it.pick_interpreter("gil", pool, near=ft13) is kernel
    assert it.pick_interpreter("gil", [gil12, gil15]) is gil15
    assert it.pick_interpreter("subinterpreters", pool) is gil14
    kernel314 = _interp("3.14.2", where="this kernel")
    assert it.pick_interpreter("subinterpreters", [gil15, kernel314]) is kernel314
    assert it.pick_interpreter("free-threaded", [kernel]) is None
    assert it.pick_interpreter("subinterpreters", [kernel, gil12]) is None
    with pytest.raises(ValueError, match="kind must be one of"):
        it.pick_interpreter("fast", pool)


def test_interpreter_labels():
    assert _interp("3.13.5", True).label == "3.13t"
    assert _interp("3.14.0").label == "3.14"
    assert "GIL off" in str(_interp("3.13.5", True))
    assert "GIL on" in _interp("3.13.5", True, gil=True).build


def test_how_to_get_names_the_ways():
    text = it.how_to_get("free-threaded")
    assert "uv python install 3.14t" in text and "pyenv install 3.14t" in text
    assert "3.14" in it.how_to_get("subinterpreters")
    with pytest.raises(ValueError):
        it.how_to_get("fast")


def test_install_with_uv_runs_uv_and_looks_again(monkeypatch):
    calls = []
    monkeypatch.setattr(it.shutil, "which", lambda name: "/fake/uv")
    monkeypatch.setattr(
        it.subprocess, "run", lambda cmd, **kw: calls.append(cmd) or None
    )
    monkeypatch.setattr(it, "find_interpreters", lambda refresh=False: ["found"])
    assert it.install_with_uv(["3.14t", "3.14"]) == ["found"]
    assert calls == [["/fake/uv", "python", "install", "3.14t", "3.14"]]


def test_install_with_uv_installs_uv_with_pip_first(monkeypatch):
    calls = []
    monkeypatch.setattr(it.shutil, "which", lambda name: None)
    monkeypatch.setattr(
        it.subprocess, "run", lambda cmd, **kw: calls.append(cmd) or None
    )
    monkeypatch.setattr(it, "find_interpreters", lambda refresh=False: [])
    it.install_with_uv(["3.14t"])
    assert calls[0][1:] == ["-m", "pip", "install", "-q", "uv"]
    assert calls[1][1:] == ["python", "install", "3.14t"]


@pytest.mark.parametrize("bad", ["3.14t", [], ["latest"], ["3.14; rm -rf /"]])
def test_install_with_uv_checks_its_requests(bad):
    with pytest.raises(ValueError, match="requests"):
        it.install_with_uv(bad)


def test_the_stub_folder_is_removed_afterwards(monkeypatch):
    made = []
    real = it.tempfile.TemporaryDirectory

    def recording(*args, **kwargs):
        folder = real(*args, **kwargs)
        made.append(folder.name)
        return folder

    monkeypatch.setattr(it.tempfile, "TemporaryDirectory", recording)
    it.run_in(KERNEL, "probe")
    with pytest.raises(it.ChildFailed):
        it.run_in(KERNEL, "probe", flags=("-X", "no-such-option=1", "-c", "1/0"))
    assert len(made) == 2
    assert not any(os.path.exists(m) for m in made)
