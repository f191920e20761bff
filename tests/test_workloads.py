"""conclab.workloads: the timed tasks and the registry the panels use."""

from __future__ import annotations

import functools
import hashlib
import pickle
import sys
import threading

import pytest

import conclab as lab


def _primes_reference(n: int) -> int:
    sieve = bytearray([1]) * max(n, 2)
    sieve[0:2] = b"\x00\x00"
    for i in range(2, int(n**0.5) + 1):
        if sieve[i]:
            sieve[i * i : n : i] = bytearray(len(range(i * i, n, i)))
    return sum(sieve[:n])


@pytest.mark.parametrize("n", [0, 1, 2, 3, 10, 100, 1000, 7919, 7920, 30_000])
def test_count_primes_matches_a_sieve(n):
    assert lab.count_primes(n) == _primes_reference(n)


def test_count_primes_known_values():
    assert lab.count_primes(10) == 4
    assert lab.count_primes(100_000) == 9592


@pytest.mark.parametrize("bad", [-1, 1.5, "10", True, None])
def test_count_primes_rejects_bad_n(bad):
    with pytest.raises((TypeError, ValueError), match="n must be"):
        lab.count_primes(bad)


def test_buffer_is_deterministic_and_cached():
    a = lab.make_buffer(3 * 2**20 + 17)
    assert len(a) == 3 * 2**20 + 17
    assert lab.make_buffer(3 * 2**20 + 17) is a
    block = hashlib.sha256(b"conclab-block-0").digest()
    assert a[:32] == block
    # pinned: the same bytes on every platform and version
    assert a[2**20 : 2**20 + 32] == block  # a 1 MiB block, repeated


def test_hash_bytes_matches_hashlib():
    size = 100_000
    expected = hashlib.sha256(lab.make_buffer(size)).hexdigest()
    assert lab.hash_bytes(size) == expected


@pytest.mark.parametrize("chunk", [0, 1, 64, 2047, 2048, 4096, 99_999, 100_000, 10**6])
def test_hash_bytes_chunking_does_not_change_the_digest(chunk):
    assert lab.hash_bytes(100_000, chunk=chunk) == lab.hash_bytes(100_000)


def test_hash_bytes_rounds_chain():
    one = lab.hash_bytes(5000)
    two = lab.hash_bytes(5000, rounds=2)
    h = hashlib.sha256(bytes.fromhex(one))
    h.update(lab.make_buffer(5000))
    assert two == h.hexdigest()


def test_hash_bytes_pinned_digest():
    # Any drift in the buffer (and so in stored notebook outputs) fails here.
    assert lab.hash_bytes(2**20) == (
        "e9720126963a31a2fb3abafe8d9c62b9c915829ec15427ffdd58a0d3f27eded9"
    )
    assert lab.hash_bytes(3 * 2**20 + 17, chunk=64) == (
        "15c0a22e59c70574d52931d8a672f5721f239fa8a2fa6eee26606bb9d2aeff46"
    )


def test_gil_threshold_constant():
    # CPython's Modules/hashlib.h: the GIL is released for inputs >= 2048 bytes.
    assert lab.HASHLIB_GIL_MINSIZE == 2048


def test_hash_bytes_validation():
    with pytest.raises(ValueError, match="size"):
        lab.hash_bytes(-1)
    with pytest.raises(ValueError, match="chunk"):
        lab.hash_bytes(10, chunk=-5)
    with pytest.raises(ValueError, match="rounds"):
        lab.hash_bytes(10, rounds=0)
    with pytest.raises(ValueError, match="size"):
        lab.hash_bytes(10**12)


def test_compress_bytes():
    small = lab.compress_bytes(100_000)
    assert 0 < small < 100_000 / 2  # English-like text compresses well
    assert lab.compress_bytes(100_000) == small
    assert lab.compress_bytes(100_000, level=1) >= lab.compress_bytes(100_000, level=9)
    with pytest.raises(ValueError, match="level"):
        lab.compress_bytes(10, level=10)


def test_sleep_task_returns_seconds():
    assert lab.sleep_task(0) == 0.0
    assert lab.sleep_task(0.001) == 0.001
    with pytest.raises(ValueError, match="seconds"):
        lab.sleep_task(-1)


def test_count_letters_has_all_26_keys_in_order():
    counts = lab.count_letters("Hello, World!\n123 é")
    assert list(counts) == list("abcdefghijklmnopqrstuvwxyz")
    assert counts["l"] == 3 and counts["o"] == 2 and counts["h"] == 1
    assert counts["z"] == 0
    assert sum(counts.values()) == 10


def test_count_letters_the_notes_bug():
    """str(bytes) turns each newline into backslash-n: n is over-counted."""
    data = b"a\nb\n"
    assert lab.count_letters(data.decode())["n"] == 0
    assert lab.count_letters(str(data))["n"] == 2
    with pytest.raises(TypeError, match="decode"):
        lab.count_letters(data)


def test_do_something_prints_and_returns(capsys):
    out = lab.do_something(3, seconds=0)
    assert capsys.readouterr().out == "Working 3 ...\nWorker 3 finished.\n"
    assert out["number"] == 3
    assert set(out) == {"number", "pid", "thread"}
    assert out["thread"] == "MainThread"


def test_fetch_text_validates():
    with pytest.raises(ValueError, match="url"):
        lab.fetch_text("file:///etc/passwd")
    with pytest.raises(TypeError, match="url"):
        lab.fetch_text(b"http://x")
    with pytest.raises(ValueError, match="timeout"):
        lab.fetch_text("http://127.0.0.1:1/", timeout=0)


def test_fetch_text_decodes_utf8():
    with lab.serve_corpus() as server:
        text = lab.fetch_text(server.url(1000))
    assert text == lab.document(1000)
    assert isinstance(text, str) and "\n" in text and "\\n" not in text


# ---------------------------------------------------------------- registry


def test_registry_has_the_panel_workloads():
    for name in (
        "primes",
        "sha256 big buffers",
        "sha256 small pieces",
        "zlib",
        "sleep",
        "http fetch",
    ):
        assert name in lab.WORKLOADS
    kinds = {w.kind for w in lab.WORKLOADS.values()}
    assert kinds <= set(lab.KINDS)


@pytest.mark.parametrize("name", list(lab.WORKLOADS))
def test_registry_entries_are_consistent(name):
    w = lab.WORKLOADS[name]
    assert w.name == name
    assert w.min_size <= w.default_size <= w.max_size
    assert w.step >= 1 and w.description
    # picklable by name: the processes mode sends it to spawned children
    assert pickle.loads(pickle.dumps(w.func)) is not None
    base = w.func.func if isinstance(w.func, functools.partial) else w.func
    assert base.__module__ == "conclab.core.workloads"
    with pytest.raises(ValueError, match="size"):
        w.make_inputs(w.max_size + 1, 2)


@pytest.mark.parametrize("name", [n for n, w in lab.WORKLOADS.items()])
def test_registry_inputs_run(name):
    w = lab.WORKLOADS[name]
    with w.prepare(w.min_size, 2) as inputs:
        assert len(inputs) == 2
        results = [w.func(x) for x in inputs]
    assert len(results) == 2


def test_sha256_entries_sit_on_both_sides_of_the_gil_line():
    big = lab.WORKLOADS["sha256 big buffers"]
    small = lab.WORKLOADS["sha256 small pieces"]
    assert big.releases_gil and not small.releases_gil
    assert small.func.keywords["chunk"] < lab.HASHLIB_GIL_MINSIZE
    assert big.func(big.make_inputs(1, 1)[0]) == lab.hash_bytes(2**20)


def test_http_workload_needs_a_server():
    w = lab.WORKLOADS["http fetch"]
    assert w.needs_server
    with pytest.raises(ValueError, match="base_url"):
        w.make_inputs(10, 3)
    urls = w.make_inputs(10, 3, base_url="http://127.0.0.1:8000/")
    assert urls == [f"http://127.0.0.1:8000/rfc/rfc{n}.txt" for n in (1000, 1001, 1002)]
    with w.prepare(size=0, count=25) as inputs:
        assert len(inputs) == 25
        assert lab.fetch_text(inputs[20]) == lab.document(1000)


def test_prepare_closes_its_server_on_error():
    w = lab.WORKLOADS["http fetch"]
    with pytest.raises(RuntimeError, match="boom"), w.prepare(size=0, count=1) as urls:
        assert lab.fetch_text(urls[0]) == lab.document(1000)
        raise RuntimeError("boom")
    with pytest.raises(OSError):
        lab.fetch_text(urls[0], timeout=5)


def test_workload_rejects_unknown_kind():
    with pytest.raises(ValueError, match="kind"):
        lab.Workload("x", lab.sleep_task, lambda s, c: [], "gpu", "", 1, 0, 2)


# ------------------------------------------------ which workloads hold the GIL


def _other_thread_ran_meanwhile(task, arg) -> bool:
    """Run ``task(arg)`` in a thread; can this thread run Python meanwhile?

    The switch interval is raised to 100 s, so a thread that holds the GIL is
    never asked to give it up: the main thread then runs only once the task
    is done, unless the task releases the GIL itself (hashlib on pieces of
    >= 2048 bytes, zlib). Deterministic, no timing involved.
    """
    started = threading.Event()
    done = []

    def work():
        started.set()
        task(arg)
        done.append(True)

    old = sys.getswitchinterval()
    worker = threading.Thread(target=work)
    sys.setswitchinterval(100)
    try:
        worker.start()
        started.wait(timeout=60)
        ran_meanwhile = not done  # this line needs the GIL
    finally:
        sys.setswitchinterval(old)
        worker.join(timeout=60)
    return ran_meanwhile


@pytest.mark.parametrize(
    ("name", "releases"),
    [
        ("sha256 big buffers", True),
        ("zlib", True),
        ("sha256 small pieces", False),
        ("primes", False),
    ],
)
def test_which_workloads_release_the_gil(name, releases):
    if not lab.gil_enabled():
        pytest.skip("no GIL on this build")
    w = lab.WORKLOADS[name]
    size = {"primes": 200_000, "sha256 small pieces": 4096, "zlib": 4}.get(name, 64)
    arg = w.make_inputs(size, 1)[0]
    w.func(arg)  # build and cache the input buffer first
    assert w.releases_gil is releases
    assert _other_thread_ran_meanwhile(w.func, arg) is releases
