"""conclab.env: the start method comes from one place, and the report is true."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys

import pytest

import conclab as lab

AVAILABLE = multiprocessing.get_all_start_methods()


def test_unset_means_platform_default(monkeypatch):
    # the documented defaults: spawn on Windows and macOS; on Linux fork up to
    # 3.13, forkserver from 3.14 (gh-84559)
    if sys.platform in ("win32", "darwin"):
        documented = "spawn"
    else:
        documented = "forkserver" if sys.version_info >= (3, 14) else "fork"
    monkeypatch.delenv("CONCLAB_START_METHOD", raising=False)
    assert lab.start_method() == documented


@pytest.mark.parametrize("method", AVAILABLE)
def test_environment_variable_selects_the_method(monkeypatch, method):
    monkeypatch.setenv("CONCLAB_START_METHOD", method)
    assert lab.start_method() == method
    assert lab.mp_context().get_start_method() == method


def test_argument_wins_over_environment(monkeypatch):
    monkeypatch.setenv("CONCLAB_START_METHOD", AVAILABLE[-1])
    assert lab.start_method(AVAILABLE[0]) == AVAILABLE[0]


def test_bogus_environment_value_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("CONCLAB_START_METHOD", "bogus")
    with pytest.raises(ValueError, match=r"CONCLAB_START_METHOD='bogus'.*'spawn'"):
        lab.start_method()
    with pytest.raises(ValueError, match="bogus"):
        lab.mp_context()


def test_bogus_argument_names_the_argument():
    with pytest.raises(ValueError, match=r"start_method must be one of .*'spawn'"):
        lab.start_method("threads")


def test_mp_context_never_fixes_the_global_start_method():
    code = (
        "import multiprocessing as mp, conclab as lab\n"
        "lab.mp_context(); lab.print_environment()\n"
        "assert mp.get_start_method(allow_none=True) is None\n"
        "mp.set_start_method('spawn')\n"
    )
    env_vars = {k: v for k, v in os.environ.items() if k != "CONCLAB_START_METHOD"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env_vars
    )
    assert result.returncode == 0, result.stderr


def test_report_is_consistent():
    report = lab.environment_report()
    assert report["python"] == ".".join(map(str, sys.version_info[:3]))
    assert report["start_methods"] == AVAILABLE
    assert report["gil_enabled"] is lab.gil_enabled()
    assert 1 <= report["usable_cores"] <= (os.cpu_count() or 1)
    assert report["in_colab"] is False
    if sys.version_info < (3, 13):
        assert lab.gil_enabled() is True


def test_print_environment_lists_every_fact(capsys):
    lab.print_environment()
    out = capsys.readouterr().out
    for label in ("Python", "GIL enabled", "os.cpu_count()", "start methods", "Colab"):
        assert label in out


def test_in_colab_follows_google_colab_module(monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", type(sys)("google.colab"))
    assert lab.in_colab() is True


def test_importing_the_package_starts_nothing():
    code = (
        "import threading, multiprocessing as mp, conclab\n"
        "assert threading.active_count() == 1, threading.enumerate()\n"
        "assert mp.active_children() == []\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
