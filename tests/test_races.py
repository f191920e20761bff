"""Tests of conclab.races: letter counters, lost updates, the account, mistakes."""

from __future__ import annotations

import sys
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import conclab as lab

TEXTS = {
    "/a.txt": "The quick brown fox\njumps over the lazy dog.\n" * 40,
    "/b.txt": "Ünïcode café, naïve résumé\nand\nnewlines\n" * 30,
    "/c.txt": "ZZZ zzz\tTabs\r\nCRLF lines\n" * 25,
    # "İ".lower() is "i" + a combining dot: counted as i only when the whole
    # text is lowered at once, as count_letters and the four workers do
    "/d.txt": "İSTANBUL \u212a STRASSE ß\n" * 10,
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = TEXTS.get(self.path)
        if body is None:
            self.send_error(404)
            return
        data = body.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def urls() -> Iterator[list[str]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        yield [base + path for path in TEXTS] * 4
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def expected_table() -> dict[str, int]:
    return lab.count_letters("".join(TEXTS.values()) * 4)


# -- letter counter ---------------------------------------------------------


def test_count_letters_counts_26_letters_case_insensitive() -> None:
    table = lab.count_letters("Aa b! Zz é")
    assert list(table) == list(lab.LETTERS)
    assert table["a"] == 2 and table["b"] == 1 and table["z"] == 2
    assert sum(table.values()) == 5


def test_count_letters_rejects_bytes() -> None:
    with pytest.raises(TypeError, match="text"):
        lab.count_letters(b"abc")  # type: ignore[arg-type]


def test_fetch_text_decodes_and_notes_way_overcounts_n(urls) -> None:
    url = urls[0]
    right = lab.fetch_text(url)
    wrong = lab.fetch_text(url, decode=False)
    assert right == TEXTS["/a.txt"]
    assert wrong.startswith("b'") and "\\n" in wrong
    diff = lab.table_difference(lab.count_letters(wrong), lab.count_letters(right))
    # every newline became backslash + n; the leading b of b'...' adds one b
    assert diff == {"n": right.count("\n"), "b": 1}


def test_str_of_bytes_mangles_non_ascii(urls) -> None:
    url = urls[1]
    wrong = lab.count_letters(lab.fetch_text(url, decode=False))
    right = lab.count_letters(lab.fetch_text(url))
    assert wrong != right
    assert wrong["x"] > right["x"]  # \xc3\xa9 ... escapes add x's


def test_fetch_text_validates_url() -> None:
    with pytest.raises(ValueError, match="url"):
        lab.fetch_text("ftp://example.org/x")
    with pytest.raises(ValueError, match="timeout"):
        lab.fetch_text("http://127.0.0.1:9/x", timeout=0)


@pytest.mark.parametrize(
    "counter",
    [
        "sequential",
        "lock around the count",
        "lock per character",
        "local count, merge once",
    ],
)
def test_correct_counters_match_sequential(urls, counter) -> None:
    assert lab.count_letters_threads(urls, counter) == expected_table()


def test_unlocked_counter_returns_full_table(urls) -> None:
    # may lose counts (free-threaded build, Python <= 3.9); never gains any
    table = lab.count_letters_threads(urls, "no lock")
    expected = expected_table()
    assert list(table) == list(lab.LETTERS)
    assert all(table[k] <= expected[k] for k in expected)


def test_counters_notes_way_overcounts_n(urls) -> None:
    table = lab.count_letters_threads(urls, "local count, merge once", decode=False)
    diff = lab.table_difference(table, expected_table())
    assert diff["n"] == sum(TEXTS[p].count("\n") for p in TEXTS) * 4


def test_counter_arguments_validated(urls) -> None:
    with pytest.raises(ValueError, match="counter"):
        lab.count_letters_threads(urls, "fastest")
    with pytest.raises(ValueError, match="urls"):
        lab.count_letters_threads([])
    with pytest.raises(TypeError, match="urls"):
        lab.count_letters_threads(urls[0])
    with pytest.raises(ValueError, match="urls"):
        lab.count_letters_threads(["not a url"])


def test_counter_propagates_worker_error(urls) -> None:
    missing = urls[0].rsplit("/", 1)[0] + "/missing.txt"
    with pytest.raises(Exception, match="404"):
        lab.count_letters_threads([missing, urls[0]], "lock around the count")


def test_time_letter_counters_and_plot(urls) -> None:
    times = lab.time_letter_counters(urls[:3], repeat=1)
    assert list(times) == ["sequential", *lab.LETTER_COUNTERS]
    assert all(t > 0 for t in times.values())
    fig = lab.plot_counter_times(times)
    assert len(fig.axes) == 1
    with pytest.raises(ValueError, match="repeat"):
        lab.time_letter_counters(urls, repeat=0)
    with pytest.raises(ValueError, match="counters"):
        lab.time_letter_counters(urls, counters=["nope"])


def test_check_letter_table(capsys) -> None:
    expected = lab.count_letters("hello world")
    assert lab.check_letter_table(dict(expected), expected) == True  # noqa: E712
    assert "✅ Correct" in capsys.readouterr().out
    wrong = dict(expected, l=1, n=5)
    assert lab.check_letter_table(wrong, expected) == False  # noqa: E712
    out = capsys.readouterr().out
    assert "❌ Not yet" in out and "l: -2" in out and "n: +5" in out
    with pytest.raises(TypeError):
        lab.check_letter_table([1, 2], expected)  # type: ignore[arg-type]


# -- the deterministic lost update -------------------------------------------


def test_withdraw_twice_unlocked_always_loses_one_withdrawal() -> None:
    results = Counter(lab.withdraw_twice() for _ in range(200))
    assert set(results) <= {70, 50}
    assert 20 not in results


def test_withdraw_twice_locked_always_20() -> None:
    assert {lab.withdraw_twice(use_lock=True) for _ in range(200)} == {20}


def test_withdraw_twice_validates() -> None:
    with pytest.raises(ValueError, match="amounts"):
        lab.withdraw_twice(amounts=(1, 2, 3))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="balance"):
        lab.withdraw_twice(balance=1.5)  # type: ignore[arg-type]


# -- the statistical lost update ---------------------------------------------


def test_account_property() -> None:
    account = lab.Account(5)
    account.balance += 1
    assert account.balance == 6 and repr(account) == "Account(balance=6)"


def test_locked_count_never_loses_even_with_tiny_switch_interval() -> None:
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for _ in range(3):
            result = lab.count_race(4, 20_000, use_lock=True)
            assert result.lost == 0
            assert result.final == result.expected == 80_000
    finally:
        sys.setswitchinterval(old)


@pytest.mark.skipif(
    sys.version_info < (3, 10), reason="measured claim is about CPython 3.10+"
)
def test_unlocked_count_loses_updates() -> None:
    # 2 x 500k through a property: lost updates in 50/50 trials on 3.10-3.13,
    # but none once in CI (3.14, busy); 2 x 2M switches a hundred times or more
    result = lab.count_race(2, 2_000_000)
    assert 0 < result.lost < result.expected


def test_count_race_fields_and_validation() -> None:
    result = lab.count_race(3, 0)
    assert (result.expected, result.final, result.lost) == (0, 0, 0)
    assert (result.threads, result.iterations, result.use_lock) == (3, 0, False)
    with pytest.raises(ValueError, match="threads"):
        lab.count_race(0, 10)
    with pytest.raises(TypeError, match="iterations"):
        lab.count_race(2, 1.5)  # type: ignore[arg-type]


def test_check_lost_updates(capsys) -> None:
    good = lab.count_race(2, 1_000, use_lock=True)
    assert lab.check_lost_updates(good) == True  # noqa: E712
    bad = lab.RaceResult(2, 10, False, 20, 15, 0.1)
    assert bad.lost == 5
    assert lab.check_lost_updates(bad) == False  # noqa: E712
    assert "5 of 20" in capsys.readouterr().out
    with pytest.raises(TypeError):
        lab.check_lost_updates(5)  # type: ignore[arg-type]


def test_plot_race_sweep() -> None:
    rows = [
        lab.RaceResult(2, n, lock, 2 * n, 2 * n - (0 if lock else n // 3), 0.01)
        for n in (1_000, 10_000)
        for lock in (False, True)
    ]
    fig = lab.plot_race_sweep(rows, title="t")
    assert len(fig.axes) == 2
    with pytest.raises(ValueError):
        lab.plot_race_sweep([])


# -- the bank account ----------------------------------------------------------


def test_stingy_spendy_balanced_with_tiny_switch_interval() -> None:
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        account = lab.StingySpendy(100)
        assert lab.run_stingy_spendy(account, 20_000) == 100
    finally:
        sys.setswitchinterval(old)


def test_stingy_spendy_instances_are_independent() -> None:
    a, b = lab.StingySpendy(), lab.StingySpendy(50)
    a.stingy(3)
    assert (a.money, b.money) == (130, 50)
    assert a.lock is not b.lock


def test_notes_stingy_spendy_class_attributes() -> None:
    a, b = lab.NotesStingySpendy(), lab.NotesStingySpendy()
    assert a.mutex is b.mutex  # one lock shared by every account
    assert lab.run_stingy_spendy(a, 1_000) == 100
    a.stingy(1)
    assert a.money == 110
    assert "money" in vars(a)  # += made an instance attribute
    assert lab.NotesStingySpendy.money == 100 == b.money


def test_nested_acquire() -> None:
    assert lab.nested_acquire(threading.Lock(), timeout=0.05) is False
    assert lab.nested_acquire(threading.RLock()) is True


# -- common mistakes -----------------------------------------------------------


def test_break_with_lock_held() -> None:
    assert lab.break_with_lock_held(timeout=0.05) == {
        "locked": True,
        "acquired": False,
    }


def test_poll_racy_counter_gives_up() -> None:
    report = lab.poll_racy_counter(deadline=0.05)
    assert report["finished_count"] == 1
    assert report["workers_done"] == 2
    assert report["gave_up"] is True


def test_waiting_strategies() -> None:
    joined = lab.wait_by_joining(4, 0.05)
    assert joined.complete and joined.finished == 4 and joined.strategy == "join"
    short = lab.wait_by_sleeping(4, 0.3, sleep_seconds=0.0)
    assert not short.complete  # read the result before the work was done
    long = lab.wait_by_sleeping(2, 0.0, sleep_seconds=0.1)
    assert long.complete and long.wasted > 0.05
    polled = lab.wait_by_polling(2, 0.02, poll_seconds=0.1)
    assert polled.complete and polled.seconds >= 0.1
    # side by side, generous: joining waits less than sleeping 0.1 s longer
    assert joined.seconds < long.seconds + 0.2
    with pytest.raises(ValueError, match="workers"):
        lab.wait_by_joining(0)
    with pytest.raises(ValueError, match="poll_seconds"):
        lab.wait_by_polling(poll_seconds=0)


# -- exercise checkers and notebook helpers -----------------------------------


def _withdraw_unlocked(account, amount, lock) -> None:
    account.balance -= amount


def _withdraw_locked(account, amount, lock) -> None:
    with lock:
        account.balance = account.balance - amount


def test_check_withdraw_is_deterministic(capsys) -> None:
    # The unlocked threads meet as soon as both have read (a busy machine may
    # start the second one late: 0.05 s was not always enough on 3.13t); only
    # the locked version waits out its timeout.
    for _ in range(5):
        assert lab.check_withdraw(_withdraw_unlocked, meet_timeout=2.0) == False  # noqa: E712
    assert "one withdrawal was lost" in capsys.readouterr().out
    for _ in range(3):
        assert lab.check_withdraw(_withdraw_locked, meet_timeout=0.05) == True  # noqa: E712
    with pytest.raises(TypeError, match="withdraw"):
        lab.check_withdraw(5)  # type: ignore[arg-type]


def test_check_counter_judges_how_the_table_is_written(urls, capsys) -> None:
    expected = expected_table()
    verdicts = {
        name: bool(lab.check_counter(worker, urls, expected))
        for name, worker in lab.LETTER_COUNTERS.items()
    }
    assert verdicts == {
        "no lock": False,
        "lock around the count": False,
        "lock per character": False,
        "local count, merge once": True,
    }
    out = capsys.readouterr().out
    assert "without holding the lock" in out
    assert "the lock was taken" in out
    assert "count into a local table" in out


def test_check_counter_update_merge_and_errors(urls) -> None:
    def merge_with_update(url, table, lock, decode=True):
        local = lab.count_letters(lab.fetch_text(url, decode=decode))
        with lock:
            table.update({k: table[k] + v for k, v in local.items()})

    assert lab.check_counter(merge_with_update, urls, expected_table()) == True  # noqa: E712

    def broken(url, table, lock, decode=True):
        raise ValueError("student bug")

    with pytest.raises(ValueError, match="student bug"):
        lab.check_counter(broken, urls, expected_table())


def test_race_sweep_sizes() -> None:
    rows = lab.race_sweep(2, 20_000, steps=(1_000, 50_000))
    assert [(r.iterations, r.use_lock) for r in rows] == [
        (1_000, False),
        (20_000, False),
        (1_000, True),
        (20_000, True),
    ]
    assert all(r.lost == 0 for r in rows if r.use_lock)
    with pytest.raises(ValueError, match="iterations"):
        lab.race_sweep(2, 0)


def test_print_source_drops_docstring(capsys) -> None:
    lab.print_source(lab.count_with_local_merge)
    out = capsys.readouterr().out
    assert out.startswith("def count_with_local_merge(")
    assert "Count into a table" not in out and "with lock:" in out
    lab.print_source(lab.Account)
    out = capsys.readouterr().out
    assert out.startswith("class Account:") and "@property" in out
    assert "implementation" not in out


def test_plot_waits() -> None:
    waits = [lab.wait_by_joining(2, 0.0), lab.wait_by_sleeping(2, 0.05, 0.0)]
    fig = lab.plot_waits(waits)
    assert len(fig.axes) == 1
    with pytest.raises(ValueError):
        lab.plot_waits([])


def test_print_source_drops_every_docstring_but_keeps_the_code(capsys) -> None:
    lab.print_source(lab.ConditionAccount)
    shown = capsys.readouterr().out
    assert shown.startswith("class ConditionAccount:\n    def __init__(")
    assert '"""' not in shown
    assert "self.cond.wait_for(lambda: self.balance >= amount, timeout)" in shown
