"""Timing a download function that a semaphore limits, against the corpus server.

Introduced in ``10_semaphores_events_deadlocks.ipynb``. The notebook writes
``download_all(urls, permits) -> (texts, peak)``: one thread per URL, a
``threading.BoundedSemaphore(permits)`` that lets at most ``permits`` of
them download at once, and the largest number seen downloading at the same
time. :func:`time_permits` times that function for several numbers of
permits against a fresh local corpus server with a latency of your choice
(127.0.0.1 only) and checks every text it returned.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .corpus import DOCUMENT_NUMBERS, document
from .server import serve_corpus
from .validate import check_callable, check_int, check_number

__all__ = ["DownloadRun", "ideal_seconds", "time_permits"]

#: What a download function returns: the texts in URL order, and the largest
#: number of downloads that were in flight at the same moment.
Download = Callable[[Sequence[str], int], tuple[Sequence[str], int]]


def ideal_seconds(downloads: int, permits: int, latency: float) -> float:
    """The shortest possible wall time: ``ceil(downloads / permits)`` rounds
    of ``latency`` seconds each (every request waits ``latency`` on the
    server, at most ``permits`` wait at the same time)."""
    check_int("downloads", downloads, minimum=0)
    check_int("permits", permits, minimum=1)
    latency = check_number("latency", latency, minimum=0.0)
    return math.ceil(downloads / permits) * latency


@dataclass(frozen=True)
class DownloadRun:
    """One timed call of a download function (see :func:`time_permits`)."""

    permits: int
    downloads: int
    latency: float
    seconds: float
    peak: int
    correct: bool

    @property
    def throughput(self) -> float:
        """Downloads per second."""
        return self.downloads / self.seconds if self.seconds > 0 else math.inf

    @property
    def ideal_seconds(self) -> float:
        """The wall time with no overhead at all (:func:`ideal_seconds`)."""
        return ideal_seconds(self.downloads, self.permits, self.latency)

    @property
    def ideal_throughput(self) -> float:
        """Downloads per second with no overhead at all."""
        ideal = self.ideal_seconds
        return self.downloads / ideal if ideal > 0 else math.inf

    @property
    def kept_limit(self) -> bool:
        """Never more than ``permits`` downloads at once."""
        return 1 <= self.peak <= self.permits or self.downloads == 0


def time_permits(
    download: Download,
    permits: Iterable[int] = (1, 2, 4, 8, 16),
    *,
    latency: float = 0.04,
    downloads: int = 16,
) -> list[DownloadRun]:
    """Time ``download(urls, p)`` for every ``p`` in ``permits``.

    Starts :func:`conclab.serve_corpus` with ``latency`` seconds per request
    for the duration of the call (closed afterwards, also on an error), and
    asks for ``downloads`` documents (the 20 of the corpus, repeated if
    more). Each run's texts are compared with the corpus: ``correct``.
    Returns one :class:`DownloadRun` per number of permits, in the order
    given. ``10_semaphores_events_deadlocks.ipynb``.
    """
    check_callable("download", download)
    counts = [check_int("permits", p, minimum=1, maximum=64) for p in permits]
    if not counts:
        raise ValueError("permits must not be empty, e.g. (1, 2, 4, 8)")
    latency = check_number("latency", latency, minimum=0.0, maximum=1.0)
    check_int("downloads", downloads, minimum=1, maximum=64)
    numbers = list(itertools.islice(itertools.cycle(DOCUMENT_NUMBERS), downloads))
    expected = [document(n) for n in numbers]
    runs = []
    with serve_corpus(latency=latency) as server:
        urls = [server.url(n) for n in numbers]
        for p in counts:
            start = time.perf_counter()
            texts, peak = download(urls, p)
            seconds = time.perf_counter() - start
            runs.append(
                DownloadRun(
                    permits=p,
                    downloads=downloads,
                    latency=latency,
                    seconds=seconds,
                    peak=int(peak),
                    correct=list(texts) == expected,
                )
            )
    return runs
