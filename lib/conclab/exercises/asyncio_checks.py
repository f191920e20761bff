"""Checkers of notebook 11's exercises (asyncio).

Each checker is a coroutine, awaited in the notebook (``await
lab.check_fetch_all(fetch_all)``), because the student's code runs on the
notebook's own event loop; a test runs it with ``asyncio.run``. Each prints
one verdict line (:func:`conclab.verdict`) and returns a
:class:`conclab.Verdict`. A template left unanswered (``None``, or a body
that returns ``None``) prints "not yet" and never passes. The hints say what
is wrong, not how to write it.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

from ..core.async_clients import watch_loop
from ..core.corpus import document
from ..core.letters import count_letters
from ..core.timeline import now
from ..core.workloads import fetch_text
from .verdicts import Verdict, correct, not_yet

__all__ = ["check_fetch_all", "check_nonblocking", "check_queue_count"]

_NOT_YET = "not answered yet: fill in the TODO and run the cell again."


class _Meter:
    """A fake ``fetch`` that counts how many calls are in flight at once."""

    def __init__(self, delays: dict[str, float]) -> None:
        self.delays = delays
        self.in_flight = 0
        self.peak = 0
        self.calls = 0

    async def fetch(self, url: str) -> str:
        self.calls += 1
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(self.delays[url])
        finally:
            self.in_flight -= 1
        return f"page of {url}"


def _ours() -> set[asyncio.Task[Any]]:
    current = asyncio.current_task()
    return {t for t in asyncio.all_tasks() if t is not current and not t.done()}


async def _left_behind(before: set[asyncio.Task[Any]]) -> list[asyncio.Task[Any]]:
    await asyncio.sleep(0)  # let tasks that were just cancelled finish
    return [t for t in _ours() - before if not t.done()]


async def _cancel(tasks: list[asyncio.Task[Any]]) -> None:
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks, timeout=2)


def _not_async(name: str, func: Any) -> str | None:
    if func is None:
        return _NOT_YET
    if not callable(func):
        return f"{name} must be a function, got {type(func).__name__}."
    if not inspect.iscoroutinefunction(func):
        return f"{name} must be a coroutine function: define it with async def."
    return None


async def _run(coro: Any, timeout: float) -> tuple[str, Any]:
    """("ok", value), ("timeout", None) or ("error", exception)."""
    try:
        async with asyncio.timeout(timeout):
            return "ok", await coro
    except TimeoutError:
        return "timeout", None
    except Exception as exc:
        return "error", exc


# --------------------------------------------------------------- exercise 1


async def check_fetch_all(fetch_all: Callable[..., Any] | None) -> Verdict:
    """Exercise 1: ``async def fetch_all(urls, fetch, limit)`` returns
    ``[await fetch(url) for url in urls]``, in order, with at most ``limit``
    calls in flight at once, and really ``limit`` of them (not one by one).

    Run twice (limits 3 and 5, 12 URLs whose fetches take different times),
    with a fake ``fetch`` that counts the calls in flight.
    """
    problem = _not_async("fetch_all", fetch_all)
    if problem:
        return not_yet(problem)
    assert fetch_all is not None  # _not_async said so
    for limit in (3, 5):
        urls = [f"/doc/{i}" for i in range(12)]
        meter = _Meter({u: 0.01 + 0.004 * ((i * 7) % 5) for i, u in enumerate(urls)})
        before = _ours()
        status, got = await _run(fetch_all(urls, meter.fetch, limit), 5)
        left = await _left_behind(before)
        await _cancel(left)
        expected = [f"page of {u}" for u in urls]
        if status == "timeout":
            return not_yet("fetch_all did not return within 5 s.")
        if status == "error":
            return not_yet(f"fetch_all raised {type(got).__name__}: {got}")
        if got is None:
            return not_yet(_NOT_YET)
        if left:
            return not_yet(
                f"{len(left)} task(s) still running after fetch_all returned."
            )
        if not isinstance(got, list) or sorted(map(str, got)) != sorted(expected):
            return not_yet("return a list with one fetched page per URL (all of them).")
        if got != expected:
            return not_yet("the pages are not in the order of the URLs.")
        if meter.peak > limit:
            return not_yet(
                f"limit={limit}, but {meter.peak} fetches were in flight at once."
            )
        if meter.peak < limit:
            return not_yet(
                f"limit={limit}, but at most {meter.peak} fetch(es) ran at once: "
                "they should overlap, up to the limit."
            )
    return correct(
        "the pages come back in order, never more than `limit` in flight, "
        "and exactly that many when there is enough work."
    )


# --------------------------------------------------------------- exercise 2


async def check_queue_count(count_with_workers: Callable[..., Any] | None) -> Verdict:
    """Exercise 2: ``async def count_with_workers(urls, fetch, workers)``
    counts the letters of every page with ``workers`` consumer tasks fed by
    an ``asyncio.Queue``; returns the summed letter table; leaves no task
    running. Run with 3 and then 4 workers on 24 pages; a fake ``fetch``
    serves the corpus and counts how many consumers fetch at once.
    """
    problem = _not_async("count_with_workers", count_with_workers)
    if problem:
        return not_yet(problem)
    assert count_with_workers is not None  # _not_async said so
    for workers in (3, 4):
        urls = [f"doc:{1000 + i % 20}" for i in range(24)]
        pages = {u: document(int(u.split(":")[1])) for u in urls}
        meter = _Meter(dict.fromkeys(urls, 0.005))

        async def fetch(url: str, meter: _Meter = meter, pages: Any = pages) -> str:
            await meter.fetch(url)
            return pages[url]

        expected: dict[str, int] = {}
        for url in urls:
            for letter, n in count_letters(pages[url]).items():
                expected[letter] = expected.get(letter, 0) + n
        before = _ours()
        status, got = await _run(count_with_workers(urls, fetch, workers), 5)
        left = await _left_behind(before)
        await _cancel(left)
        if status == "timeout":
            return not_yet(
                "count_with_workers did not return within 5 s: does queue.join() "
                "ever see every item marked done?"
            )
        if status == "error":
            return not_yet(f"count_with_workers raised {type(got).__name__}: {got}")
        if got is None:
            return not_yet(_NOT_YET)
        if left:
            return not_yet(
                f"{len(left)} task(s) still running after it returned: the "
                "consumers wait for ever on an empty queue unless stopped."
            )
        if meter.calls != len(urls):
            return not_yet(f"{meter.calls} fetches for {len(urls)} URLs: one each.")
        if not isinstance(got, dict) or {k: got.get(k, 0) for k in expected} != (
            expected
        ):
            return not_yet("the letter table differs from counting each page once.")
        if meter.peak != workers:
            return not_yet(
                f"workers={workers}, but {meter.peak} fetch(es) ran at once: "
                "start that many consumers."
            )
    return correct(
        "every page counted once by `workers` consumers, and none left running."
    )


# --------------------------------------------------------------- exercise 3

_LATENCY = 0.2


async def check_nonblocking(
    fetch_count: Callable[..., Any] | None, server: Any
) -> Verdict:
    """Exercise 3: ``async def fetch_count(url)`` returns the letter table of
    one document without blocking the event loop. Three calls run together
    against ``server`` (a :func:`conclab.serve_corpus_async` server) with a
    0.2 s latency, under :func:`conclab.watch_loop`: the loop must stay
    responsive (no loop stall of 3/4 of the latency) and the three must overlap.
    """
    problem = _not_async("fetch_count", fetch_count)
    if problem:
        return not_yet(problem)
    assert fetch_count is not None  # _not_async said so
    if not hasattr(server, "url") or not getattr(server, "running", False):
        raise TypeError("server must be a running lab.serve_corpus_async() server")
    numbers = list(server.numbers)[:3]
    urls = [server.url(n, latency=_LATENCY) for n in numbers]
    # A process's first urlopen builds urllib's opener (and a TLS context);
    # three threads doing that at once take long. Not the student's doing:
    fetch_text(server.url(numbers[0], latency=0))
    before = _ours()
    start = now()
    async with watch_loop(0.005) as lag:
        status, got = await _run(
            asyncio.gather(*(fetch_count(u) for u in urls)), 10 + 4 * _LATENCY
        )
    wall = now() - start
    left = await _left_behind(before)
    await _cancel(left)
    if status == "timeout":
        return not_yet("the three calls did not finish within 10 s.")
    if status == "error":
        return not_yet(f"fetch_count raised {type(got).__name__}: {got}")
    if not isinstance(got, list) or all(g is None for g in got):
        return not_yet(_NOT_YET)
    expected = [count_letters(document(n)) for n in numbers]
    if got != expected:
        return not_yet(
            "fetch_count(url) must return the letter table of that document."
        )
    # A blocking download stalls the loop for the whole latency (0.2 s, about
    # 0.195 s seen by a 5 ms tick); 3/4 of it leaves room for a busy machine.
    if lag.max >= 0.75 * _LATENCY:
        return not_yet(
            "the event loop was blocked while the documents downloaded: "
            "something inside the coroutine waits without await."
        )
    if wall >= 2.5 * _LATENCY:
        return not_yet(
            "the three calls took as long as one after the other: they should overlap."
        )
    return correct(
        "right tables, the loop stayed free, and the three calls overlapped."
    )
