"""conclab.checks and conclab._validate: verdicts and argument errors."""

from __future__ import annotations

import pytest

import conclab as lab
from conclab.core import validate as v


def test_verdict_prints_and_returns(capsys):
    assert lab.verdict(True, "well done", "try again") == True  # noqa: E712
    assert not lab.verdict(False, "well done", "try again")
    assert repr(lab.verdict(True, "", "")) == "Verdict(True)"
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == ["✅ Correct: well done", "❌ Not yet: try again"]


def test_check_answers_counts_wrong_items_without_naming_them(capsys):
    expected = {"a": "threads", "b": "processes"}
    answers = {"a": "threads", "b": "threads"}
    assert not lab.check_answers(answers, expected, {"b": "CPU-bound"})
    out = capsys.readouterr().out
    assert "1 of 2 right, 1 wrong" in out
    assert "'b'" not in out and "CPU-bound" not in out  # nothing to flip
    # the explanations come as a recap once everything is right
    assert lab.check_answers(dict(expected), expected, {"b": "CPU-bound"})
    assert "'b': CPU-bound" in capsys.readouterr().out


def test_check_answers_does_not_explain_placeholders(capsys):
    expected = {"a": "threads", "b": "processes"}
    why = {"a": "waiting releases the GIL", "b": "CPU-bound"}
    assert not lab.check_answers({"a": None}, expected, why)
    out = capsys.readouterr().out
    assert "not answered yet: 'a', 'b'" in out
    assert "✅" not in out
    assert "GIL" not in out and "CPU" not in out


def test_verdict_displays_nothing_in_ipython():
    from IPython.core.formatters import DisplayFormatter

    data, _ = DisplayFormatter().format(lab.Verdict(True))
    assert data == {}


def test_check_answers_rejects_non_dicts():
    with pytest.raises(TypeError, match="answers must be a dict"):
        lab.check_answers(["threads"], {"a": "threads"})


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: v.check_int("workers", 0, minimum=1),
            ValueError,
            "workers must be an int >= 1, got 0",
        ),
        (
            lambda: v.check_int("workers", 2.0, minimum=1),
            TypeError,
            "workers must be an int",
        ),
        (
            lambda: v.check_int("workers", True),
            TypeError,
            "workers must be an int",
        ),
        (
            lambda: v.check_int("size", 11, maximum=10),
            ValueError,
            "size must be an int <= 10",
        ),
        (
            lambda: v.check_number("latency", -1, minimum=0),
            ValueError,
            "latency must be >= 0",
        ),
        (
            lambda: v.check_number("latency", "1"),
            TypeError,
            "latency must be a number",
        ),
        (
            lambda: v.check_number("latency", float("nan")),
            ValueError,
            "nan",
        ),
        (
            lambda: v.check_choice("mode", "x", ("a", "b")),
            ValueError,
            "mode must be one of 'a', 'b'",
        ),
        (
            lambda: v.check_callable("task", 3),
            TypeError,
            "task must be callable",
        ),
    ],
)
def test_validators_name_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_validators_return_good_values():
    assert v.check_int("n", 3, minimum=1) == 3
    assert v.check_number("x", 2, minimum=0) == 2.0
    assert v.check_choice("m", "a", "ab") == "a"
