"""Notebook 11's clients: fetches, bursts in a child, the lag probe, leftovers."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import threading
import time

import pytest

import conclab as lab
from conclab.core import async_clients


@pytest.fixture(scope="module")
def server():
    with lab.serve_corpus_async(latency=0.05, max_connections=500) as running:
        yield running


# ------------------------------------------------------------------ fetches


def test_both_clients_return_the_same_text(server):
    url = server.url(1007)
    assert asyncio.run(lab.fetch_async(url)) == lab.document(1007)
    assert lab.fetch_blocking(url) == lab.document(1007)


def test_a_status_other_than_200_raises(server):
    for fetch in (lambda u: asyncio.run(lab.fetch_async(u)), lab.fetch_blocking):
        with pytest.raises(lab.HTTPStatusError) as caught:
            fetch(server.url(99))
        assert caught.value.status == 404
        assert caught.value.url == server.url(99)


def test_a_slow_answer_times_out(server):
    slow = server.url(1000, latency=2)
    with pytest.raises(TimeoutError):
        asyncio.run(lab.fetch_async(slow, timeout=0.1))
    with pytest.raises(TimeoutError):
        lab.fetch_blocking(slow, timeout=0.1)


@pytest.mark.parametrize("url", ["https://127.0.0.1/x", "127.0.0.1:80/x", "http:///x"])
def test_only_plain_http_urls(url):
    with pytest.raises(ValueError):
        lab.fetch_blocking(url)
    with pytest.raises(ValueError):
        asyncio.run(lab.fetch_async(url))
    with pytest.raises(TypeError):
        lab.fetch_blocking(42)


# ------------------------------------------------------------------- bursts


@pytest.mark.parametrize("mode", lab.BURST_MODES)
def test_a_burst_counts_every_answer_while_all_wait(server, mode):
    result = lab.burst(mode, server.base_url, server.numbers, 25, timeout=30)
    assert result.ok, result.first_error
    assert result.letters == lab.expected_letters(server.numbers, 25)
    assert 0 < result.launch <= result.wall
    assert result.rss_before > 0 and result.rss_waiting > 0
    assert result.memory_per_request >= 0


def test_a_burst_in_a_child_has_its_own_memory(server):
    result = lab.measure_burst(server, "threads", 40)
    assert isinstance(result, lab.BurstResult)
    assert result.ok and result.requests == 40
    assert result.latency == server.latency
    # 40 thread stacks are reserved while they wait: address space grows
    assert result.vms_waiting > result.vms_before
    assert result.address_space_per_request > result.memory_per_request


def test_a_failed_request_is_counted_not_raised():
    with lab.serve_corpus_async(numbers=[1000]) as server:
        result = lab.burst("asyncio", server.base_url, [1000, 1001], 4, timeout=10)
    assert result.errors == 2 and not result.ok
    assert "HTTPStatusError" in result.first_error
    assert result.letters == lab.expected_letters([1000], 2)


def test_memory_per_request_is_the_growth_divided():
    base = lab.BurstResult("asyncio", 4, 0.1, 1.0, 0.5, 1000, 5096, 10, 10, letters={})
    assert base.memory_per_request == 1024
    assert dataclasses.replace(base, rss_waiting=10).memory_per_request == 0
    assert base.address_space_per_request == 0


def test_sweep_runs_each_mode_at_each_allowed_level(server):
    results = lab.burst_sweep(server, levels=(5, 20))
    assert [(r.requests, r.mode) for r in results] == [
        (5, "asyncio"),
        (5, "threads"),
        (20, "asyncio"),
        (20, "threads"),
    ]
    assert all(r.ok for r in results)


def test_levels_beyond_the_open_file_limit_are_left_out(server, monkeypatch):
    monkeypatch.setattr(async_clients, "_hard_open_files", lambda: 1_100)
    assert lab.burst_levels((10, 100, 1_000, 10_000)) == (10, 100, 1_000)
    assert lab.burst_levels((10, 1_000), server) == (10,)  # server: up to 500
    monkeypatch.setattr(async_clients, "_hard_open_files", lambda: None)
    assert lab.burst_levels((10, 10_000)) == (10, 10_000)


def test_bursts_check_their_arguments(server):
    with pytest.raises(ValueError):
        lab.burst("fibers", server.base_url, server.numbers, 10)
    with pytest.raises(ValueError):
        lab.burst("asyncio", server.base_url, [], 10)
    with pytest.raises(ValueError):
        lab.measure_burst(server, "asyncio", 501)
    with pytest.raises(TypeError):
        lab.measure_burst("http://127.0.0.1:1", "asyncio", 10)


def test_expected_letters_cycles_through_the_documents():
    numbers = [1000, 1001, 1002]
    want: dict[str, int] = {}
    for i in range(7):
        for letter, n in lab.count_letters(lab.document(numbers[i % 3])).items():
            want[letter] = want.get(letter, 0) + n
    assert lab.expected_letters(numbers, 7) == want
    assert lab.expected_letters(numbers, 0) == {}


# ------------------------------------------------------------ the lag probe


def test_the_probe_sees_a_blocked_loop():
    async def main() -> tuple[float, float]:
        async with lab.watch_loop(0.005) as free:
            await asyncio.sleep(0.1)
        async with lab.watch_loop(0.005) as blocked:
            await asyncio.sleep(0.02)
            time.sleep(0.1)  # the loop cannot wake the probe meanwhile
            await asyncio.sleep(0.02)
        return free.max, blocked.max

    free, blocked = asyncio.run(main())
    assert blocked >= 0.09  # the probe cannot be late by less than the block
    assert free < blocked


def test_a_stall_at_the_very_end_is_still_recorded():
    async def main() -> lab.LoopLag:
        async with lab.watch_loop(0.005) as lag:
            await asyncio.sleep(0.01)
            time.sleep(0.06)
        return lag

    lag = asyncio.run(main())
    assert lag.max >= 0.05
    assert all(isinstance(t, float) for t, _ in lag.samples)


def test_the_probe_task_is_gone_afterwards():
    async def main() -> set[str]:
        async with lab.watch_loop():
            await asyncio.sleep(0.01)
        await asyncio.sleep(0)
        return {t.get_name() for t in asyncio.all_tasks()}

    assert "conclab-lag-probe" not in asyncio.run(main())
    with pytest.raises(ValueError):
        lab.watch_loop(0)


# ------------------------------------------------------ nothing left running


def test_left_running_names_tasks_threads_sockets_and_processes():
    async def main() -> tuple[dict, dict]:
        before = lab.running_now()
        stop = threading.Event()
        thread = threading.Thread(target=stop.wait, args=(10,), name="lingering")
        thread.start()
        task = asyncio.create_task(asyncio.sleep(10), name="forgotten")
        listener = socket.create_server(("127.0.0.1", 0))
        ctx = lab.mp_context()
        child = ctx.Process(target=time.sleep, args=(10,))
        child.start()
        try:
            during = lab.left_running(before)
        finally:
            task.cancel()
            stop.set()
            thread.join(5)
            listener.close()
            child.terminate()
            child.join(5)
        await asyncio.sleep(0)
        return during, lab.left_running(before)

    during, after = asyncio.run(main())
    assert any(t.startswith("forgotten") for t in during["tasks"])
    assert "lingering" in during["threads"]
    assert any("LISTEN" in s for s in during["sockets"])
    assert len(during["processes"]) == 1
    assert after == {"tasks": [], "threads": [], "sockets": [], "processes": []}


def test_left_running_needs_a_snapshot():
    with pytest.raises(TypeError):
        lab.left_running({})
    with pytest.raises(TypeError):
        lab.left_running({"tasks": set(), "threads": set()})


def test_inet_connections_works_with_psutil_5_and_6() -> None:
    """running_now() and the cluster's snapshot on psutil 5.9 (which
    pyproject allows), with ``connections`` only, and on psutil 6+."""
    from conclab.core.children import inet_connections

    class Old:
        def connections(self, kind: str) -> list[str]:
            return [f"old {kind}"]

    class New(Old):
        def net_connections(self, kind: str) -> list[str]:
            return [f"new {kind}"]

    assert inet_connections(Old()) == ["old inet"]
    assert inet_connections(New()) == ["new inet"]
