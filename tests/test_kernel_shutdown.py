"""conclab.core.kernel: ipykernel's shutdown no longer waits on multiprocessing's
helpers. The real kernels are checked by tests/test_harness.py."""

from __future__ import annotations

import psutil

from conclab.core import kernel as _kernel


class FakeChild:
    def __init__(self, pid: int, status: str = psutil.STATUS_SLEEPING) -> None:
        self.pid, self._status = pid, status

    def status(self) -> str:
        if self._status == "gone":
            raise psutil.NoSuchProcess(self.pid)
        return self._status


def test_tracker_zombies_and_vanished_children_are_left_out(monkeypatch):
    monkeypatch.setattr(_kernel, "_tracker_pid", lambda: 11)
    children = [
        FakeChild(10),
        FakeChild(11),  # the resource tracker
        FakeChild(12, psutil.STATUS_ZOMBIE),
        FakeChild(13, "gone"),
        FakeChild(14, psutil.STATUS_RUNNING),
    ]
    kept = _kernel._without_helpers(lambda: children)()
    assert [c.pid for c in kept] == [10, 14]


class FakeKernel:
    def __init__(self) -> None:
        self.calls = 0

    def _process_children(self) -> list[FakeChild]:
        self.calls += 1
        return [FakeChild(20)]


def test_patches_a_running_kernel_once(monkeypatch):
    kernel = FakeKernel()
    monkeypatch.setattr(_kernel, "_running_kernel", lambda: kernel)
    assert _kernel.let_kernel_exit_promptly()
    patched = kernel._process_children
    assert _kernel.let_kernel_exit_promptly()
    assert kernel._process_children is patched  # not wrapped twice
    assert [c.pid for c in kernel._process_children()] == [20]
    assert kernel.calls == 1


def test_does_nothing_outside_a_kernel(monkeypatch):
    assert _kernel._running_kernel() is None  # pytest is no kernel
    assert not _kernel.let_kernel_exit_promptly()
    monkeypatch.setattr(_kernel, "_running_kernel", lambda: object())
    assert not _kernel.let_kernel_exit_promptly()  # an ipykernel without the step
