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


def check_answers(
    answers: Mapping[Any, Any],
    expected: Mapping[Any, Any],
    explanations: Mapping[Any, str] | None = None,
    *,
    name: str = "answers",
) -> Verdict:
    """Compare a dict of answers with the expected one, item by item.

    Prints one line per wrong item (with its explanation when given), one
    per item still ``None`` or missing (without it: the stored notebook runs
    exercises with ``None`` placeholders, and the explanation would give the
    answer away), and a final verdict. Raises ``TypeError`` when ``answers`` is not a
    mapping, so a student who passes a list learns that at once.
    """
    if not isinstance(answers, Mapping):
        raise TypeError(f"{name} must be a dict, got {type(answers).__name__}")
    explanations = dict(explanations or {})
    wrong = []
    for key, want in expected.items():
        got = answers.get(key)
        if got is None:  # a placeholder: explaining it would give the answer away
            wrong.append(key)
            print(f"   {key!r}: not answered yet")
        elif got != want:
            wrong.append(key)
            why = f" — {explanations[key]}" if key in explanations else ""
            print(f"   {key!r}: you said {got!r}{why}")
    extra = [key for key in answers if key not in expected]
    for key in extra:
        print(f"   {key!r} is not one of the questions")
    right = len(expected) - len(wrong)
    return verdict(
        not wrong and not extra,
        f"all {len(expected)} right.",
        f"{right} of {len(expected)} right; look again at the ones above.",
    )
