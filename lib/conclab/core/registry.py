"""The workloads the speedup panels offer, and how to build their inputs.

:data:`WORKLOADS` maps a name to a :class:`Workload` that knows its function
(from :mod:`conclab.core.workloads`), how to build a list of inputs from one
``size`` knob, and what kind of work it is (``00_start_here.ipynb``,
``02_the_gil.ipynb``).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .corpus import DOCUMENT_NUMBERS, document_path
from .server import serve_corpus
from .validate import check_choice, check_int
from .workloads import compress_bytes, count_primes, fetch_text, hash_bytes, sleep_task

__all__: list[str] = ["KINDS", "WORKLOADS", "Workload"]


#: The kinds of work, as the panels label them.
KINDS = {
    "cpu": "CPU-bound pure Python: holds the GIL",
    "c": "C code: releases the GIL only where noted",
    "io": "waiting for the network: releases the GIL",
    "sleep": "sleeping: releases the GIL",
}


@dataclass(frozen=True)
class Workload:
    """One entry of :data:`WORKLOADS`: a task and how to build its inputs.

    ``func`` takes one input (it is a module-level function or a
    ``functools.partial`` of one, so it pickles by name). ``size`` is the one
    knob a panel's slider moves, between ``min_size`` and ``max_size`` in
    steps of ``step``, in ``unit``. ``make_inputs(size, count)`` returns the
    list of ``count`` inputs for :func:`conclab.run`.

    When ``needs_server`` is true (``"http fetch"``), the inputs are URLs of a
    running corpus server: either pass ``base_url=server.base_url`` to
    :meth:`make_inputs`, or, simpler, use :meth:`prepare`, which starts
    :func:`conclab.serve_corpus` with the latency ``size`` ms and closes it
    afterwards::

        w = WORKLOADS["http fetch"]
        with w.prepare(size=50, count=8) as inputs:
            result = run(w.func, inputs, mode="threads", workers=4)
    """

    name: str
    func: Callable[[Any], Any]
    build: Callable[..., list[Any]]
    kind: str
    description: str
    default_size: int
    min_size: int
    max_size: int
    step: int = 1
    unit: str = ""
    releases_gil: bool = False
    needs_server: bool = False

    def __post_init__(self) -> None:
        check_choice("kind", self.kind, KINDS)

    def make_inputs(
        self, size: int | None = None, count: int = 4, base_url: str | None = None
    ) -> list[Any]:
        """``count`` inputs of size ``size`` (default: ``default_size``)."""
        size = self.default_size if size is None else size
        check_int("size", size, minimum=self.min_size, maximum=self.max_size)
        check_int("count", count, minimum=1, maximum=10_000)
        if self.needs_server:
            if base_url is None:
                raise ValueError(
                    f"workload {self.name!r} needs a running corpus server: pass "
                    "base_url=server.base_url, or use workload.prepare(size, count)"
                )
            return self.build(size, count, base_url)
        return self.build(size, count)

    @contextlib.contextmanager
    def prepare(self, size: int | None = None, count: int = 4) -> Iterator[list[Any]]:
        """Context manager yielding :meth:`make_inputs`; runs the corpus server
        (latency ``size`` ms) for the duration when the workload needs one."""
        size = self.default_size if size is None else size
        if not self.needs_server:
            yield self.make_inputs(size, count)
            return

        check_int("size", size, minimum=self.min_size, maximum=self.max_size)
        with serve_corpus(latency=size / 1000) as server:
            yield self.make_inputs(size, count, base_url=server.base_url)


def _repeat(value: Any, count: int) -> list[Any]:
    return [value] * count


def _mib_inputs(size: int, count: int) -> list[int]:
    return _repeat(size * 2**20, count)


def _kib_inputs(size: int, count: int) -> list[int]:
    return _repeat(size * 2**10, count)


def _sleep_inputs(size: int, count: int) -> list[float]:
    return _repeat(size / 1000, count)


def _http_inputs(size: int, count: int, base_url: str) -> list[str]:
    base = base_url.rstrip("/")
    numbers = [DOCUMENT_NUMBERS[i % len(DOCUMENT_NUMBERS)] for i in range(count)]
    return [base + document_path(n) for n in numbers]


#: name -> :class:`Workload`, the dropdown of the speedup panels.
WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        Workload(
            name="primes",
            func=count_primes,
            build=_repeat,
            kind="cpu",
            description="count primes below n in pure Python (holds the GIL)",
            default_size=100_000,
            min_size=1_000,
            max_size=500_000,
            step=1_000,
            unit="n",
        ),
        Workload(
            name="sha256 big buffers",
            func=hash_bytes,
            build=_mib_inputs,
            kind="c",
            description="sha256 of a buffer in one piece (releases the GIL)",
            default_size=32,
            min_size=1,
            max_size=256,
            unit="MiB",
            releases_gil=True,
        ),
        Workload(
            name="sha256 small pieces",
            func=functools.partial(hash_bytes, chunk=64),
            build=_kib_inputs,
            kind="c",
            description="sha256 fed 64 bytes at a time (< 2048: holds the GIL)",
            default_size=4096,
            min_size=16,
            max_size=32768,
            step=16,
            unit="KiB",
        ),
        Workload(
            name="zlib",
            func=compress_bytes,
            build=_mib_inputs,
            kind="c",
            description="zlib-compress English-like text (releases the GIL)",
            default_size=1,
            min_size=1,
            max_size=16,
            unit="MiB",
            releases_gil=True,
        ),
        Workload(
            name="sleep",
            func=sleep_task,
            build=_sleep_inputs,
            kind="sleep",
            description="time.sleep (releases the GIL)",
            default_size=50,
            min_size=0,
            max_size=1000,
            step=10,
            unit="ms",
            releases_gil=True,
        ),
        Workload(
            name="http fetch",
            func=fetch_text,
            build=_http_inputs,
            kind="io",
            description="GET a document from the local corpus server, "
            "latency = size ms (releases the GIL while waiting)",
            default_size=50,
            min_size=0,
            max_size=1000,
            step=10,
            unit="ms latency",
            releases_gil=True,
            needs_server=True,
        ),
    )
}
