"""Notebook 11's checkers accept the collapsed solutions (taken from the
notebook itself), say "not yet" to the templates, and reject wrong answers."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import nbformat
import pytest

import conclab as lab

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "11_asyncio.ipynb"
CHECK = re.compile(r"^await lab\.(check_\w+)\(.*\)$", re.M)


def _blocks() -> tuple[dict[str, str], dict[str, str]]:
    """{checker name: source} of the templates and of the solutions."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    templates, solutions = {}, {}
    for cell in nb.cells:
        if cell.cell_type == "code" and CHECK.search(cell.source):
            templates[CHECK.search(cell.source)[1]] = cell.source
        if (
            cell.cell_type == "markdown"
            and "<summary>Solution</summary>" in cell.source
        ):
            code = re.search(r"```python\n(.*?)```", cell.source, re.S)[1]
            if CHECK.search(code):
                solutions[CHECK.search(code)[1]] = code
    return templates, solutions


TEMPLATES, SOLUTIONS = _blocks()


def define(source: str, name: str):
    """Run a notebook block without its checker line; return ``name``."""
    namespace = {"asyncio": asyncio, "lab": lab, "time": time}
    exec(compile(CHECK.sub("", source), "<notebook>", "exec"), namespace)
    return namespace[name]


@pytest.fixture(scope="module")
def server():
    with lab.serve_corpus_async(latency=0.1) as running:
        yield running


def verdict_of(checker, *args):
    return asyncio.run(getattr(lab, checker)(*args))


def test_the_notebook_has_three_exercises_with_solutions():
    assert (
        set(TEMPLATES)
        == set(SOLUTIONS)
        == {
            "check_fetch_all",
            "check_queue_count",
            "check_nonblocking",
        }
    )


# --------------------------------------------------------------- exercise 1


def test_fetch_all_solution_passes(capsys):
    assert verdict_of(
        "check_fetch_all", define(SOLUTIONS["check_fetch_all"], "fetch_all")
    )
    assert "✅ Correct" in capsys.readouterr().out


def test_fetch_all_template_is_not_yet(capsys):
    template = define(TEMPLATES["check_fetch_all"], "fetch_all")
    assert not verdict_of("check_fetch_all", template)
    assert "not answered yet" in capsys.readouterr().out
    assert not verdict_of("check_fetch_all", None)


async def gather_all(urls, fetch, limit):  # no limit at all
    return await asyncio.gather(*(fetch(u) for u in urls))


async def semaphore_per_call(urls, fetch, limit):  # each call has its own
    async def one(url):
        async with asyncio.Semaphore(limit):
            return await fetch(url)

    return await asyncio.gather(*(one(u) for u in urls))


async def one_by_one(urls, fetch, limit):
    return [await fetch(u) for u in urls]


async def as_they_come(urls, fetch, limit):
    sem = asyncio.Semaphore(limit)

    async def one(url):
        async with sem:
            return await fetch(url)

    return [await f for f in asyncio.as_completed([one(u) for u in urls])]


def not_async(urls, fetch, limit):
    return []


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (gather_all, "in flight at once"),
        (semaphore_per_call, "in flight at once"),
        (one_by_one, "at most 1 fetch(es) ran at once"),
        (as_they_come, "not in the order"),
        (not_async, "async def"),
    ],
)
def test_fetch_all_wrong_answers_fail(answer, words, capsys):
    assert not verdict_of("check_fetch_all", answer)
    out = capsys.readouterr().out
    assert "❌ Not yet" in out and words in out


# --------------------------------------------------------------- exercise 2


def test_queue_solution_passes(capsys):
    solution = define(SOLUTIONS["check_queue_count"], "count_with_workers")
    assert verdict_of("check_queue_count", solution)
    assert "✅ Correct" in capsys.readouterr().out


def test_queue_template_is_not_yet(capsys):
    template = define(TEMPLATES["check_queue_count"], "count_with_workers")
    assert not verdict_of("check_queue_count", template)
    assert "not answered yet" in capsys.readouterr().out


def _consumers(queue, fetch, total, mark_done=True):
    async def consumer():
        while True:
            url = await queue.get()
            for letter, n in lab.count_letters(await fetch(url)).items():
                total[letter] += n
            if mark_done:
                queue.task_done()

    return consumer


async def no_task_done(urls, fetch, workers):
    queue, total = asyncio.Queue(), lab.count_letters("")
    consumer = _consumers(queue, fetch, total, mark_done=False)
    tasks = [asyncio.create_task(consumer()) for _ in range(workers)]
    for url in urls:
        queue.put_nowait(url)
    await queue.join()  # never returns
    for t in tasks:
        t.cancel()
    return total


async def consumers_left_running(urls, fetch, workers):
    queue, total = asyncio.Queue(), lab.count_letters("")
    consumer = _consumers(queue, fetch, total)
    for _ in range(workers):
        asyncio.create_task(consumer())  # noqa: RUF006 - the mistake under test
    for url in urls:
        queue.put_nowait(url)
    await queue.join()
    return total


async def one_worker(urls, fetch, workers):
    return await consumers_and_cancel(urls, fetch, 1)


async def consumers_and_cancel(urls, fetch, workers):
    queue, total = asyncio.Queue(), lab.count_letters("")
    consumer = _consumers(queue, fetch, total)
    tasks = [asyncio.create_task(consumer()) for _ in range(workers)]
    for url in urls:
        queue.put_nowait(url)
    await queue.join()
    for t in tasks:
        t.cancel()
    return total


async def counts_twice(urls, fetch, workers):
    total = await consumers_and_cancel(urls, fetch, workers)
    return {k: 2 * v for k, v in total.items()}


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (no_task_done, "did not return within 5 s"),
        (consumers_left_running, "still running"),
        (one_worker, "workers=3, but 1 fetch(es) ran at once"),
        (counts_twice, "letter table differs"),
    ],
)
def test_queue_wrong_answers_fail(answer, words, capsys):
    assert not verdict_of("check_queue_count", answer)
    out = capsys.readouterr().out
    assert "❌ Not yet" in out and words in out


def test_the_right_shape_with_a_cancelled_consumer_passes():
    assert verdict_of("check_queue_count", consumers_and_cancel)


# --------------------------------------------------------------- exercise 3


def test_nonblocking_solution_passes(server, capsys):
    solution = define(SOLUTIONS["check_nonblocking"], "fetch_count")
    assert verdict_of("check_nonblocking", solution, server)
    assert "✅ Correct" in capsys.readouterr().out


def test_nonblocking_template_fails_because_it_blocks(server, capsys):
    template = define(TEMPLATES["check_nonblocking"], "fetch_count")
    assert not verdict_of("check_nonblocking", template, server)
    assert "blocked" in capsys.readouterr().out


async def yields_then_blocks(url):
    await asyncio.sleep(0)
    return lab.count_letters(lab.fetch_text(url))


async def sleeps_blocking(url):
    time.sleep(0.2)
    return lab.count_letters(await lab.fetch_async(url))


async def wrong_table(url):
    return lab.count_letters((await lab.fetch_async(url)).upper()[:100])


_one_at_a_time = None


async def serialised(url):
    global _one_at_a_time
    _one_at_a_time = _one_at_a_time or asyncio.Lock()
    async with _one_at_a_time:
        return lab.count_letters(await lab.fetch_async(url))


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (yields_then_blocks, "blocked"),
        (sleeps_blocking, "blocked"),
        (wrong_table, "letter table of that document"),
        (serialised, "one after the other"),
    ],
)
def test_nonblocking_wrong_answers_fail(server, answer, words, capsys):
    global _one_at_a_time
    _one_at_a_time = None
    assert not verdict_of("check_nonblocking", answer, server)
    out = capsys.readouterr().out
    assert "❌ Not yet" in out and words in out


def test_nonblocking_needs_a_running_server():
    async def fine(url):
        return {}

    with pytest.raises(TypeError):
        asyncio.run(lab.check_nonblocking(fine, "server"))
