"""Exercise checkers: one clear verdict line, and a bool for tests.

Every notebook's exercises end in a call to a checker that prints
``✅ Correct: …`` or ``❌ Not yet: …`` followed by a hint. The checkers of a
topic live in ``conclab.exercises.<topic>`` and all print through
:func:`verdict`, so they look the same everywhere. Introduced in
``00_start_here.ipynb``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__: list[str] = ["Verdict", "check_answers", "verdict"]


class Verdict(int):
    """The result of a checker: true or false, and silent as a cell's last value.

    A checker prints its verdict line; returning a plain bool would make
    Jupyter add an ``Out[n]: True`` under it. ``Verdict`` behaves as 1 or 0
    (``if``, ``assert``, ``== True``) and displays nothing.
    """

    def __repr__(self) -> str:
        return f"Verdict({bool(self)})"

    def _ipython_display_(self) -> None:
        """Show nothing: the verdict line is already printed."""


def verdict(ok: bool, success: str, hint: str) -> Verdict:
    """Print one verdict line and return a :class:`Verdict` of ``ok``.

    ``success`` is printed after ``✅ Correct:`` when ``ok`` is true,
    ``hint`` after ``❌ Not yet:`` otherwise.
    """
    if ok:
        print(f"✅ Correct: {success}")
    else:
        print(f"❌ Not yet: {hint}")
    return Verdict(bool(ok))


def correct(success: str) -> Verdict:
    """Print ``✅ Correct:`` and ``success``; return a true :class:`Verdict`."""
    return verdict(True, success, "")


def not_yet(hint: str) -> Verdict:
    """Print ``❌ Not yet:`` and ``hint``; return a false :class:`Verdict`."""
    return verdict(False, "", hint)


def check_answers(
    answers: Mapping[Any, Any],
    expected: Mapping[Any, Any],
    explanations: Mapping[Any, str] | None = None,
    *,
    name: str = "answers",
) -> Verdict:
    """Compare a dict of answers with the expected one.

    While any answer is wrong it says only how many are right, never which
    ones or why: with yes/no questions, naming the wrong answer (or
    explaining it) hands over the right one, and a few tries would solve the
    quiz without thinking. Items still ``None`` are listed as not answered
    yet. Once all are right, it prints the explanations as a recap. Raises
    ``TypeError`` when ``answers`` is not a mapping, so a student who passes a
    list learns that at once.
    """
    if not isinstance(answers, Mapping):
        raise TypeError(f"{name} must be a dict, got {type(answers).__name__}")
    explanations = dict(explanations or {})
    unanswered = [key for key in expected if answers.get(key) is None]
    right = sum(
        answers.get(key) is not None and answers.get(key) == want
        for key, want in expected.items()
    )
    extra = [key for key in answers if key not in expected]
    for key in extra:
        print(f"   {key!r} is not one of the questions")
    if unanswered:
        listed = ", ".join(repr(key) for key in unanswered)
        print(f"   not answered yet: {listed}")
    ok = right == len(expected) and not extra
    if ok:
        for key, why in explanations.items():
            print(f"   {key!r}: {why}")
    wrong = len(expected) - right - len(unanswered)
    if not wrong and not extra:
        hint = f"{len(unanswered)} of {len(expected)} not answered yet."
    else:
        hint = (
            f"{right} of {len(expected)} right, {wrong} wrong"
            + (f", {len(unanswered)} not answered yet" if unanswered else "")
            + ". Which ones are wrong is for you to find: think again, not try again."
        )
    return verdict(ok, f"all {len(expected)} right.", hint)
