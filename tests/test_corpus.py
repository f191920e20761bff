"""conclab.corpus: the deterministic corpus and its local HTTP server."""

from __future__ import annotations

import hashlib
import http.client
import socket
import struct
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

import conclab as lab
from conclab.core import server as server_module

# Pinned: any change to the generator changes every stored notebook output that
# counts letters. Update it only on purpose.
CORPUS_SHA256 = "68ca39530994774b43589ecc752fbb443d5b2855f616a09d5125d815d422935d"


def _digest() -> str:
    docs = lab.documents()
    joined = "\x00".join(f"{n}:{docs[n]}" for n in sorted(docs))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def test_corpus_digest_is_pinned():
    assert _digest() == CORPUS_SHA256


def test_corpus_digest_same_in_a_fresh_interpreter():
    import subprocess
    import sys

    code = (
        "import hashlib, conclab as lab; d = lab.documents(); "
        "j = '\\x00'.join(f'{n}:{d[n]}' for n in sorted(d)); "
        "print(hashlib.sha256(j.encode()).hexdigest())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == _digest()


def test_documents_shape():
    docs = lab.documents()
    assert tuple(docs) == lab.DOCUMENT_NUMBERS == tuple(range(1000, 1020))
    for number, text in docs.items():
        size = len(text.encode("utf-8"))
        assert 5_000 <= size <= 20_500, (number, size)
        assert text.startswith(f"Document {number}\n")
        assert text.isascii()
        assert text.count("\n") > 50
        assert max(len(line) for line in text.split("\n")) <= 72
    assert len({hashlib.sha256(t.encode()).digest() for t in docs.values()}) == 20


def test_letter_frequencies_look_english():
    counts = lab.count_letters("".join(lab.documents().values()))
    order = sorted(counts, key=counts.get, reverse=True)
    assert order[0] == "e"
    assert set(order[:6]) <= set("etaoinshr")
    assert set(order[-4:]) <= set("jxqzvk")
    assert all(counts[c] > 0 for c in counts)


def test_document_validation_and_other_numbers():
    assert lab.document(42) == lab.document(42)
    assert lab.document(42) != lab.document(43)
    with pytest.raises(ValueError, match="number"):
        lab.document(0)
    with pytest.raises(TypeError, match="number"):
        lab.document("1000")
    with pytest.raises(TypeError, match="numbers"):
        lab.documents(1000)
    assert list(lab.documents([1001, 1000])) == [1001, 1000]


# ------------------------------------------------------------------- server


def _request(server, method, path):
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_get_returns_exact_document_bytes():
    with lab.serve_corpus() as server:
        assert server.host == "127.0.0.1"
        assert server.base_url == f"http://127.0.0.1:{server.port}"
        for number in (1000, 1019):
            status, headers, body = _request(server, "GET", f"/rfc/rfc{number}.txt")
            assert status == 200
            assert body == lab.document(number).encode("utf-8")
            assert headers["Content-Type"] == "text/plain; charset=utf-8"
            assert int(headers["Content-Length"]) == len(body)
        assert server.url(1005) == f"{server.base_url}/rfc/rfc1005.txt"
        assert len(server.urls()) == 20
        assert server.urls([1000]) == [server.url(1000)]


def test_head_and_index():
    with lab.serve_corpus() as server:
        status, headers, body = _request(server, "HEAD", "/rfc/rfc1000.txt")
        assert status == 200 and body == b""
        assert int(headers["Content-Length"]) == len(lab.document(1000))
        status, _, body = _request(server, "GET", "/")
        assert status == 200
        assert body.decode().split() == [f"/rfc/rfc{n}.txt" for n in range(1000, 1020)]


@pytest.mark.parametrize(
    "path",
    ["/rfc/rfc999.txt", "/rfc/rfc2000.txt", "/nope", "/rfc/", "/rfc/rfc1000.txt.bak"],
)
def test_unknown_paths_are_404(path):
    with lab.serve_corpus() as server:
        status, _, body = _request(server, "GET", path)
    assert status == 404
    assert b"404" in body


@pytest.mark.parametrize(
    "path",
    [
        "/../../etc/passwd",
        "/rfc/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/rfc/%2E%2E/rfc1000.txt",
        "/rfc/..%2f..%2fetc%2fpasswd",
        "/rfc\\..\\x",
        "//etc/passwd",
    ],
)
def test_traversal_is_refused(path):
    with lab.serve_corpus() as server:
        status, _, body = _request(server, "GET", path)
    assert status in (400, 404)
    assert b"root:" not in body


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_are_405(method):
    with lab.serve_corpus() as server:
        status, headers, _ = _request(server, method, "/rfc/rfc1000.txt")
    assert status == 405
    assert headers["Allow"] == "GET, HEAD"


def test_never_touches_the_file_system(monkeypatch):
    import builtins
    import io
    import os

    def forbidden(*args, **kwargs):
        raise AssertionError("the server opened a file")

    with lab.serve_corpus() as server:
        monkeypatch.setattr(builtins, "open", forbidden)
        monkeypatch.setattr(io, "open", forbidden)
        monkeypatch.setattr(os, "open", forbidden)
        for path in ("/rfc/rfc1000.txt", "/etc/passwd", "/../../etc/passwd"):
            _request(server, "GET", path)
        monkeypatch.undo()


def test_requests_are_counted_and_quiet(capsys):
    with lab.serve_corpus() as server:
        for _ in range(3):
            _request(server, "GET", "/rfc/rfc1000.txt")
        _request(server, "GET", "/missing")
        _request(server, "POST", "/")
        assert server.requests == 5
    assert server.requests == 5
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def _refuses(host, port) -> bool:
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError:
        return True
    return False


def _server_threads():
    return [t for t in threading.enumerate() if t.name == "conclab-corpus-server"]


def test_closes_after_the_with_block():
    with lab.serve_corpus() as server:
        host, port = server.host, server.port
        assert server.running and _server_threads()
        assert not _refuses(host, port)
    assert not server.running
    assert _refuses(host, port)
    assert not _server_threads()
    server.close()  # idempotent


def test_closes_when_the_body_raises():
    with pytest.raises(ZeroDivisionError), lab.serve_corpus() as server:
        port = server.port
        1 / 0  # noqa: B018
    assert _refuses("127.0.0.1", port)
    assert not _server_threads()


def test_closes_on_keyboard_interrupt():
    with pytest.raises(KeyboardInterrupt), lab.serve_corpus() as server:
        port = server.port
        raise KeyboardInterrupt
    assert _refuses("127.0.0.1", port)
    assert not _server_threads()


def test_explicit_close():
    server = lab.serve_corpus()
    try:
        assert lab.fetch_text(server.url(1003)) == lab.document(1003)
    finally:
        server.close()
    assert _refuses("127.0.0.1", server.port)
    assert "closed" in repr(server)


@pytest.mark.parametrize("bad", [-0.1, 6, float("nan"), "0.1"])
def test_latency_validated(bad):
    with pytest.raises((TypeError, ValueError), match="latency"):
        lab.serve_corpus(latency=bad)


def _fetch_all(urls, threaded: bool):
    if not threaded:
        return [lab.fetch_text(u) for u in urls]
    out = [None] * len(urls)

    def get(i):
        out[i] = lab.fetch_text(urls[i])

    threads = [threading.Thread(target=get, args=(i,)) for i in range(len(urls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return out


@pytest.mark.parametrize("n", [8, 32])
def test_latency_overlaps_across_concurrent_requests(n):
    """N requests in N threads take far less than N sequential ones.

    32 also checks the listen backlog: with socketserver's default of 5, some
    simultaneous connects stall for a second. The latency makes the sequential
    run 1.6 s whatever n, so a loaded machine's overhead per request (a few
    ms) stays small beside the waits that threads overlap.
    """
    with lab.serve_corpus(latency=1.6 / n) as server:
        urls = [server.url(1000 + i % 20) for i in range(n)]
        t0 = time.perf_counter()
        sequential = _fetch_all(urls, threaded=False)
        t1 = time.perf_counter()
        threaded = _fetch_all(urls, threaded=True)
        t2 = time.perf_counter()
        assert server.requests == 2 * n
    assert sequential == threaded == [lab.document(1000 + i % 20) for i in range(n)]
    # side by side, generous: ideal is n times faster
    assert (t2 - t1) < (t1 - t0) / 2.5


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_module_has_no_server_at_import():
    assert not _server_threads()
    assert lab.MAX_LATENCY == 5.0


def test_url_error_on_missing_document():
    with lab.serve_corpus() as server, pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(server.base_url + "/rfc/rfc1.txt", timeout=5)
    info.value.close()  # it holds the response (3.14 warns when it is not closed)


def test_client_hanging_up_prints_nothing(capsys):
    """A client that gives up during the latency: the server's write fails;
    socketserver would print a traceback into the notebook. It must not."""
    with lab.serve_corpus(latency=0.05) as server:
        with socket.create_connection((server.host, server.port), timeout=5) as s:
            s.sendall(b"GET /rfc/rfc1000.txt HTTP/1.0\r\n\r\n")
            linger = struct.pack("HH" if sys.platform == "win32" else "ii", 1, 0)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)  # RST
        assert server.wait_finished(1, timeout=10)
        assert server.requests == 1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_server_error_path_is_counted_not_printed(capsys, monkeypatch):
    """Any exception while answering is counted and kept quiet."""

    def boom(number):
        raise RuntimeError("generator broke")

    with lab.serve_corpus() as server:
        monkeypatch.setattr(server_module, "document", boom)
        with pytest.raises((http.client.HTTPException, OSError)):
            _request(server, "GET", "/rfc/rfc1000.txt")
        assert server.wait_finished(1, timeout=10)
        assert server.errors == 1
    assert server.errors == 1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
