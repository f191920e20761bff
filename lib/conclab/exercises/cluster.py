"""Checkers of ``13_dask.ipynb``: the letter counter on Dask, and a quiz.

- :func:`check_corpus_count`: ``count_corpus(client, numbers)`` must count
  the letters of the corpus documents *on the workers* (map) and add the
  tables up (reduce); compared with the sequential count.
- :func:`check_dask_quiz`: which tool for which job.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..core.corpus import DOCUMENT_NUMBERS
from ..core.dasktasks import LETTERS, document_letters, merge_counts
from ..core.validate import check_callable
from .verdicts import Verdict, check_answers, correct, not_yet

__all__ = ["DASK_QUIZ_CHOICES", "check_corpus_count", "check_dask_quiz"]


def _diagnose(got: Any, numbers: Sequence[int]) -> str | None:
    """Why ``got`` is not the corpus's letter table (None when it is)."""
    want = merge_counts(document_letters(n) for n in numbers)
    if isinstance(got, (list, tuple)):
        if got and all(isinstance(t, Mapping) for t in got):
            return (
                f"you returned {len(got)} tables, one per document: that is the "
                "map step. Add them up (the reduce step) and return one table."
            )
        return f"return one dict of letter counts, not a {type(got).__name__}"
    if not isinstance(got, Mapping):
        return f"return a dict of letter counts, got {type(got).__name__}"
    if set(got) != set(LETTERS):
        return "the table must have the 26 keys 'a'..'z', as lab.count_letters gives"
    if dict(got) == want:
        return None
    for n in numbers:
        if dict(got) == document_letters(n):
            return (
                f"your table is document {n}'s alone: the reduce step must add "
                "the tables (merge_counts), not keep one or replace counts "
                "with dict.update"
            )
    short = [k for k in LETTERS if got[k] < want[k]]
    if short and all(got[k] <= want[k] for k in LETTERS):
        return (
            "some documents are missing: every letter count is at most the "
            f"right one ({short[0]!r}: {got[short[0]]} of {want[short[0]]}); "
            f"map over all {len(numbers)} numbers"
        )
    wrong = next(k for k in LETTERS if got[k] != want[k])
    return f"{wrong!r}: you have {got[wrong]}, the sequential count has {want[wrong]}"


_RETURNED_NONE = "count_corpus returned None: fill in the map and the reduce steps."


class _ClientUsed(BaseException):
    """Raised by :class:`_ProbeClient` (a BaseException, so that a student's
    ``except Exception`` does not swallow it)."""


class _ProbeClient:
    """Stands in for a client: shows, without starting a cluster, whether
    ``count_corpus`` uses its client at all (an unanswered template does not)."""

    def __getattr__(self, name: str) -> Any:
        raise _ClientUsed(name)


def check_corpus_count(
    count_corpus: Callable[[Any, Sequence[int]], Any],
    client: Any = None,
    numbers: Sequence[int] = DOCUMENT_NUMBERS,
) -> Verdict:
    """13 exercise: ``count_corpus(client, numbers)`` returns the letter table
    of the documents ``numbers``, computed by tasks on the cluster.

    First a stand-in client shows whether the function uses a client at all
    (an unanswered template returns None without one: "not yet", no cluster
    started). Then, with ``client=None``, the checker starts a 2-worker
    :func:`local_cluster`, runs the function on it and closes it (a ``with``
    block) before it returns. Prints one verdict line; returns a
    :class:`conclab.Verdict`.
    """
    check_callable("count_corpus", count_corpus)
    numbers = tuple(numbers)
    try:
        probe = count_corpus(_ProbeClient(), numbers)
    except _ClientUsed:
        pass  # it uses the client: check it on a real cluster
    except Exception as exc:
        return not_yet(f"count_corpus raised {type(exc).__name__}: {exc}")
    else:
        if probe is None:
            return not_yet(_RETURNED_NONE)
        return not_yet(
            "count_corpus never used its client: the counting must run as tasks "
            "on the cluster (client.map, client.submit)."
        )
    if client is None:
        from ..core.cluster import local_cluster, require_dask

        require_dask()  # says what to install, before Dask's own ImportError
        from dask.distributed import Client

        with (
            local_cluster(2) as cluster,
            Client(cluster.scheduler_address) as own,
        ):
            return _check_with(count_corpus, own, numbers)
    return _check_with(count_corpus, client, numbers)


def _check_with(
    count_corpus: Callable[[Any, Sequence[int]], Any],
    client: Any,
    numbers: tuple[int, ...],
) -> Verdict:
    from dask.distributed import get_task_stream

    try:
        with get_task_stream(client) as stream:
            got = count_corpus(client, numbers)
    except Exception as exc:
        return not_yet(f"count_corpus raised {type(exc).__name__}: {exc}")
    if got is None:
        return not_yet(_RETURNED_NONE)
    if hasattr(got, "result") and hasattr(got, "key"):
        return not_yet(
            "you returned a future: return its result (future.result(timeout=…))"
        )
    problem = _diagnose(got, numbers)
    if problem is not None:
        return not_yet(problem)
    ran = len(stream.data)
    if ran < 2:
        return not_yet(
            "the table is right, but it was counted here, in the notebook: "
            f"the workers ran {ran} task(s). Map the counting over the "
            "documents with the client, then reduce."
        )
    return correct(
        f"the table of {len(numbers)} documents, counted in {ran} tasks on "
        "the workers; the same as the sequential count."
    )


#: What ``check_dask_quiz`` accepts as answers.
DASK_QUIZ_CHOICES = (
    "ProcessPoolExecutor",
    "Dask",
    "client.scatter",
    "pure=False",
    "cloudpickle",
    "reschedules its tasks",
    "BrokenProcessPool",
)

_QUIZ = {
    "100,000 tasks of 10 µs each, on one machine": "ProcessPoolExecutor",
    "more work than one machine's cores can do in time": "Dask",
    "a 100 MB input that many tasks read": "client.scatter",
    "client.map(f, [x] * 10) must run f ten times": "pure=False",
    "a lambda runs on Dask workers thanks to": "cloudpickle",
    "a Dask worker dies mid-job: the scheduler": "reschedules its tasks",
    "a pool worker dies mid-job: the pool raises": "BrokenProcessPool",
}


def check_dask_quiz(answers: dict[str, str]) -> Verdict:
    """13 exercise: pick, for each situation, one of :data:`DASK_QUIZ_CHOICES`."""
    if isinstance(answers, Mapping):
        odd = [
            v for v in answers.values() if v is not None and v not in DASK_QUIZ_CHOICES
        ]
        if odd:
            print(f"   {odd[0]!r} is not one of the choices: {DASK_QUIZ_CHOICES}")
    return check_answers(
        answers,
        _QUIZ,
        {
            "100,000 tasks of 10 µs each, on one machine": (
                "each task costs the scheduler far more than 10 µs; "
                "look at the overhead measured above"
            ),
            "more work than one machine's cores can do in time": (
                "a pool ends at the machine's edge"
            ),
            "a 100 MB input that many tasks read": "send it to the workers once",
            "client.map(f, [x] * 10) must run f ten times": (
                "equal arguments give equal keys"
            ),
            "a lambda runs on Dask workers thanks to": (
                "the standard pickle stores functions by name"
            ),
            "a Dask worker dies mid-job: the scheduler": "what did the demo show?",
            "a pool worker dies mid-job: the pool raises": (
                "concurrent.futures.process has the answer"
            ),
        },
        name="answers",
    )
