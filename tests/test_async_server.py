"""The asyncio corpus server of notebook 11: serves, holds, counts, closes."""

from __future__ import annotations

import asyncio
import multiprocessing
import socket
import threading
import urllib.error
import urllib.request

import pytest

import conclab as lab
from conclab.core.async_server import raise_open_files

METHODS = [
    m
    for m in ("fork", "forkserver", "spawn")
    if m in multiprocessing.get_all_start_methods()
]


@pytest.fixture(scope="module")
def server():
    with lab.serve_corpus_async(latency=0.0, max_connections=500) as running:
        yield running


def get(url: str, method: str = "GET") -> tuple[int, bytes]:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read()


def test_serves_the_corpus_documents(server):
    status, body = get(server.url(1000))
    assert status == 200
    assert body.decode("utf-8") == lab.document(1000)
    status, index = get(server.base_url + "/")
    assert status == 200 and index.decode().split() == [
        f"/rfc/rfc{n}.txt" for n in lab.DOCUMENT_NUMBERS
    ]


def test_errors_have_their_status(server):
    assert get(server.url(99))[0] == 404
    assert get(server.base_url + "/etc/passwd")[0] == 404
    assert get(server.url(1000), method="POST")[0] == 405
    assert get(server.base_url + "/rfc/rfc1000.txt?latency=9")[0] == 400
    status, head = get(server.url(1001), method="HEAD")
    assert status == 200 and head == b""


def test_binds_loopback_and_a_free_port(server):
    assert server.host == "127.0.0.1"
    assert server.base_url == f"http://127.0.0.1:{server.port}"
    assert 0 < server.port < 65536


def test_latency_per_request_and_for_the_server(server):
    start = lab.now()
    assert get(server.url(1000, latency=0.2))[0] == 200
    assert lab.now() - start >= 0.2
    server.latency = 0.15
    try:
        start = lab.now()
        get(server.url(1002))
        assert lab.now() - start >= 0.15
        assert server.stats()["latency"] == 0.15
    finally:
        server.latency = 0.0
    assert server.latency == 0.0


def test_hold_keeps_every_answer_until_released_and_counts_the_peak(server):
    server.reset_stats()
    run = "test-hold"
    results: list[str] = []

    gate = f"{server.base_url}/gate?run={run}"  # the protocol of the module docstring

    async def main() -> tuple[str, str]:
        urls = [server.url(1000 + i % 20, hold=run) for i in range(30)]
        tasks = [asyncio.create_task(lab.fetch_async(u)) for u in urls]
        while True:
            report = await lab.fetch_async(gate)
            if report.startswith("arrived 30,"):
                break
            await asyncio.sleep(0.005)
        assert not any(t.done() for t in tasks)  # all held
        released = await lab.fetch_async(gate + "&release=1")
        results.extend(await asyncio.gather(*tasks))
        return report, released

    report, released = asyncio.run(main())
    assert report == "arrived 30, held\n"
    assert released == "arrived 30, released\n"
    assert results[0] == lab.document(1000)
    assert len(results) == 30
    assert server.stats()["peak_open"] >= 30


def test_a_held_request_is_released_after_the_gate_timeout():
    with lab.serve_corpus_async(gate_timeout=0.2) as server:
        start = lab.now()
        assert lab.fetch_blocking(server.url(1000, hold="nobody-releases")) == (
            lab.document(1000)
        )
        assert lab.now() - start >= 0.2
        assert server.stats()["gate_timeouts"] == 1


def test_a_client_that_hangs_up_is_counted_not_fatal(server):
    before = server.stats()["errors"]
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        sock.sendall(b"GET /rfc/rfc1000.txt HTTP/1.1\r\n")  # and leaves
    deadline = lab.now() + 5
    while server.stats()["errors"] == before and lab.now() < deadline:
        threading.Event().wait(0.01)
    assert server.stats()["errors"] == before + 1
    assert get(server.url(1000))[0] == 200


def test_stats_count_requests(server):
    server.reset_stats()
    for n in (1000, 1001, 1002):
        get(server.url(n))
    stats = server.stats()
    assert stats["requests"] == 3 and stats["open"] == 0


@pytest.mark.parametrize("method", METHODS)
def test_runs_under_every_start_method(method):
    with lab.serve_corpus_async(start_method=method, numbers=[1005]) as server:
        assert lab.fetch_blocking(server.url(1005)) == lab.document(1005)
        pid = server.pid
    assert not server.running
    assert pid not in {p.pid for p in multiprocessing.active_children()}


def test_close_is_idempotent_and_keeps_the_last_stats():
    server = lab.serve_corpus_async()
    lab.fetch_blocking(server.url(1000))
    server.close()
    server.close()
    assert not server.running
    assert server.stats()["requests"] == 1
    assert "closed" in repr(server)
    with pytest.raises(RuntimeError, match="closed"):
        server.latency = 0.1


def test_closes_when_the_block_is_interrupted():
    with pytest.raises(KeyboardInterrupt), lab.serve_corpus_async() as server:
        raise KeyboardInterrupt
    assert not server.running
    assert server._process.exitcode is not None


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"latency": -1}, ValueError),
        ({"latency": "fast"}, TypeError),
        ({"numbers": []}, ValueError),
        ({"numbers": [0]}, ValueError),
        ({"max_connections": 0}, ValueError),
        ({"max_connections": 10**6}, ValueError),
        ({"gate_timeout": 0}, ValueError),
        ({"start_method": "bogus"}, ValueError),
    ],
)
def test_arguments_are_checked(kwargs, error):
    with pytest.raises(error):
        lab.serve_corpus_async(**kwargs)


def test_urls_are_checked(server):
    with pytest.raises(ValueError, match="latency or hold"):
        server.url(1000, speed=1)
    with pytest.raises(ValueError):
        server.url(0)
    assert server.urls(3) == [server.url(1000), server.url(1001), server.url(1002)]
    assert len(server.urls(45)) == 45 and server.urls(45)[40] == server.url(1000)


def test_raise_open_files_never_exceeds_the_hard_limit():
    resource = pytest.importorskip("resource")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        got = raise_open_files(soft + 10)
        assert got >= min(soft + 10, hard) or got == soft
        assert raise_open_files(1) >= 1
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    with pytest.raises(ValueError):
        raise_open_files(0)


def _start_and_die(conn, method) -> None:
    """A parent that starts a server, reports its pid, and is killed."""
    server = lab.serve_corpus_async(start_method=method)
    conn.send(server.pid)
    threading.Event().wait(60)  # killed before this returns


@pytest.mark.parametrize("method", METHODS)
def test_the_server_stops_when_its_parent_is_killed(method):
    import psutil

    ctx = lab.mp_context(method)
    receiver, sender = ctx.Pipe(duplex=False)
    parent = ctx.Process(target=_start_and_die, args=(sender, method))
    parent.start()
    assert receiver.poll(60)
    pid = receiver.recv()
    parent.kill()  # like a kernel that is restarted: no clean-up runs
    parent.join(10)
    try:
        server = psutil.Process(pid)
        server.wait(timeout=10)  # it notices and exits
    except psutil.NoSuchProcess:
        pass
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie"
