"""Notebook 13's checkers accept the collapsed solutions and reject wrong ones."""

from __future__ import annotations

import pytest

import conclab as lab

pytest.importorskip("distributed", reason="notebook 13's extra: pip install -e .[dask]")
from dask.distributed import Client

pytestmark = pytest.mark.dask

NUMBERS = lab.DOCUMENT_NUMBERS


@pytest.fixture(scope="module")
def client():
    before = lab.snapshot()
    with lab.local_cluster(2) as cluster, Client(cluster.scheduler_address) as client:
        yield client
    assert lab.leftovers(before, timeout=20) == {
        "threads": [],
        "processes": [],
        "listening": [],
    }


# --- the collapsed solution and wrong answers for exercise 1 ----------------


def solution(client, numbers):
    tables = client.map(lab.document_letters, numbers)
    total = client.submit(lab.merge_counts, tables)
    return total.result(timeout=60)


def template(client, numbers):
    return None


def not_reduced(client, numbers):
    return client.gather(client.map(lab.document_letters, numbers))


def merged_with_update(client, numbers):
    table = {}
    for part in client.gather(client.map(lab.document_letters, numbers)):
        table.update(part)  # replaces the counts instead of adding them
    return table


def first_half_only(client, numbers):
    half = numbers[: len(numbers) // 2]
    return client.submit(
        lab.merge_counts, client.map(lab.document_letters, half)
    ).result()


def counted_here(client, numbers):
    return lab.merge_counts(lab.document_letters(n) for n in numbers)


def counted_here_after_a_token_task(client, numbers):
    client.submit(abs, -1).result()
    return lab.merge_counts(lab.document_letters(n) for n in numbers)


def returns_the_future(client, numbers):
    return client.submit(lab.merge_counts, client.map(lab.document_letters, numbers))


def raises(client, numbers):
    client.map(lab.document_letters, numbers)
    raise RuntimeError("oops")


def repr_of_bytes(client, numbers):
    """The notes' bug: counting str(bytes), where every newline is '\\n'."""

    def count(number):
        return lab.count_letters(str(lab.document(number).encode()))

    return client.submit(lab.merge_counts, client.map(count, numbers)).result()


def test_solution_passes_with_its_own_cluster(capsys):
    assert lab.check_corpus_count(solution)
    assert "✅ Correct" in capsys.readouterr().out


def test_solution_passes_with_a_given_client(client, capsys):
    assert lab.check_corpus_count(solution, client)
    assert "20 documents" in capsys.readouterr().out


def test_template_is_not_yet_and_starts_no_cluster(capsys, monkeypatch):
    monkeypatch.setattr(
        "conclab.core.cluster.local_cluster",
        lambda *a, **k: pytest.fail("a template must not start a cluster"),
    )
    assert not lab.check_corpus_count(template)
    out = capsys.readouterr().out
    assert out.startswith("❌ Not yet") and "None" in out


@pytest.mark.parametrize(
    "wrong, words",
    [
        (not_reduced, "that is the map step"),
        (merged_with_update, "dict.update"),
        (first_half_only, "some documents are missing"),
        (counted_here_after_a_token_task, "counted here, in the notebook"),
        (returns_the_future, "you returned a future"),
        (raises, "RuntimeError: oops"),
        (repr_of_bytes, "the sequential count has"),
    ],
)
def test_wrong_answers_are_rejected_with_a_reason(client, capsys, wrong, words):
    assert not lab.check_corpus_count(wrong, client)
    out = capsys.readouterr().out
    assert out.startswith("❌ Not yet") and words in out, out


def test_not_using_the_client_is_rejected_without_a_cluster(capsys):
    assert not lab.check_corpus_count(counted_here)
    assert "never used its client" in capsys.readouterr().out


def test_check_corpus_count_validates():
    with pytest.raises(TypeError, match="count_corpus"):
        lab.check_corpus_count(None)


# --- exercise 2 ----------------------------------------------------------------

SOLUTION = {
    "100,000 tasks of 10 µs each, on one machine": "ProcessPoolExecutor",
    "more work than one machine's cores can do in time": "Dask",
    "a 100 MB input that many tasks read": "client.scatter",
    "client.map(f, [x] * 10) must run f ten times": "pure=False",
    "a lambda runs on Dask workers thanks to": "cloudpickle",
    "a Dask worker dies mid-job: the scheduler": "reschedules its tasks",
    "a pool worker dies mid-job: the pool raises": "BrokenProcessPool",
}


def test_quiz_solution_passes(capsys):
    assert lab.check_dask_quiz(dict(SOLUTION))
    assert "all 7 right" in capsys.readouterr().out


def test_quiz_template_is_not_yet_and_explains_nothing(capsys):
    assert not lab.check_dask_quiz(dict.fromkeys(SOLUTION))
    out = capsys.readouterr().out
    assert "7 of 7 not answered yet" in out and "—" not in out


@pytest.mark.parametrize(
    "key, wrong",
    [
        ("100,000 tasks of 10 µs each, on one machine", "Dask"),
        ("a lambda runs on Dask workers thanks to", "pure=False"),
        ("a pool worker dies mid-job: the pool raises", "reschedules its tasks"),
    ],
)
def test_quiz_wrong_answers_fail_without_naming_them(capsys, key, wrong):
    answers = {**SOLUTION, key: wrong}
    assert not lab.check_dask_quiz(answers)
    out = capsys.readouterr().out
    assert "6 of 7 right, 1 wrong" in out
    assert key not in out and wrong not in out and SOLUTION[key] not in out


def test_quiz_flags_an_answer_that_is_not_a_choice(capsys):
    answers = {**SOLUTION, "a 100 MB input that many tasks read": "scatter it"}
    assert not lab.check_dask_quiz(answers)
    assert "is not one of the choices" in capsys.readouterr().out
