"""The functions 13_dask.ipynb sends to Dask workers and to a process pool."""

from __future__ import annotations

import os
import pickle
import time

import pytest

import conclab as lab
from conclab.core import dasktasks


def test_burn_uses_at_least_the_cpu_time_asked_for():
    clock = dasktasks._cpu_clock()
    start = clock()
    assert lab.burn(0.02) == 0.02
    assert clock() - start >= 0.02


def test_burn_zero_returns_at_once_and_rejects_bad_sizes():
    assert lab.burn(0) == 0.0
    with pytest.raises(ValueError, match="seconds"):
        lab.burn(-1)
    with pytest.raises(ValueError, match="seconds"):
        lab.burn(dasktasks.MAX_BURN + 1)
    with pytest.raises(TypeError, match="seconds"):
        lab.burn("1")


def test_cpu_clock_is_precise_enough_for_a_tenth_of_a_millisecond():
    clock = dasktasks._cpu_clock()
    assert clock in (time.thread_time, time.perf_counter)
    name = "thread_time" if clock is time.thread_time else "perf_counter"
    assert time.get_clock_info(name).resolution <= 1e-4


def test_noop_returns_its_argument():
    marker = object()
    assert lab.noop(marker) is marker


def test_document_letters_is_count_letters_of_the_document():
    for number in (1000, 1019):
        assert lab.document_letters(number) == lab.count_letters(lab.document(number))


def test_url_letters_counts_what_the_corpus_server_serves():
    with lab.serve_corpus() as server:
        assert lab.url_letters(server.url(1003)) == lab.document_letters(1003)


def test_merge_counts_adds_letter_by_letter():
    a = lab.count_letters("aab")
    b = lab.count_letters("bz")
    total = lab.merge_counts([a, b])
    assert list(total) == list("abcdefghijklmnopqrstuvwxyz")
    assert (total["a"], total["b"], total["z"], total["c"]) == (2, 2, 1, 0)
    assert lab.add_counts(a, b) == total
    assert lab.merge_counts([]) == dict.fromkeys(total, 0)
    assert lab.merge_counts(iter([a, a, a]))["a"] == 6


def test_merge_counts_rejects_what_is_not_a_list_of_letter_tables():
    table = lab.count_letters("abc")
    with pytest.raises(TypeError, match="wrap it in a list"):
        lab.merge_counts(table)
    with pytest.raises(TypeError, match=r"tables\[1\]"):
        lab.merge_counts([table, [1, 2]])
    with pytest.raises(ValueError, match="'A'"):
        lab.merge_counts([{"A": 1}])
    with pytest.raises(ValueError, match=">= 0"):
        lab.merge_counts([{"a": -1}])


def test_merged_corpus_equals_counting_the_whole_text():
    numbers = lab.DOCUMENT_NUMBERS
    merged = lab.merge_counts(lab.document_letters(n) for n in numbers)
    assert merged == lab.count_letters("".join(lab.document(n) for n in numbers))


def test_square_slowly_returns_the_square_and_who_computed_it():
    assert lab.square_slowly(7, 0) == (49, os.getpid())
    with pytest.raises(ValueError, match="seconds"):
        lab.square_slowly(1, -1)


def test_make_block_is_deterministic_sized_and_seeded():
    one = lab.make_block(1)
    assert len(one) == 2**20
    assert lab.make_block(1) == one
    assert lab.make_block(1, seed=1) != one
    assert lab.make_block(1, seed=1)[8:] == one[8:]
    assert lab.make_block(0) == b""
    with pytest.raises(ValueError, match="megabytes"):
        lab.make_block(-1)


def test_checksum_is_short_and_tells_blocks_apart():
    first, second = lab.checksum(lab.make_block(1)), lab.checksum(lab.make_block(1, 1))
    assert len(first) == 16 and first != second
    assert lab.checksum(memoryview(b"abc")) == lab.checksum(b"abc")
    with pytest.raises(TypeError, match="bytes"):
        lab.checksum("abc")


def test_where_outside_a_dask_worker():
    here = lab.where(b"12345")
    assert here == {"pid": os.getpid(), "worker": None, "size": 5}
    assert lab.where()["size"] is None


def test_every_task_pickles_by_reference():
    """A process pool pickles functions by name: they must be importable."""
    for func in (
        lab.burn,
        lab.noop,
        lab.document_letters,
        lab.url_letters,
        lab.merge_counts,
        lab.add_counts,
        lab.square_slowly,
        lab.make_block,
        lab.checksum,
        lab.where,
    ):
        assert pickle.loads(pickle.dumps(func)) is func
