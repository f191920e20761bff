"""Checkers of the quizzes of notebooks 01 (what the parent sees), 02 (the
GIL) and 03 (start methods), with their answer keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .verdicts import Verdict, check_answers

__all__: list[str] = [
    "check_gil_answers",
    "check_start_method_answers",
    "check_visibility_answers",
]


def _as_set(value: Any) -> Any:
    if isinstance(value, (list, tuple, set, frozenset)):
        return frozenset(str(v).strip().lower() for v in value)
    if isinstance(value, str):
        return value.strip().lower()
    return value


_VISIBILITY = {
    "a": True,
    "b": False,
    "c": True,
    "d": False,
    "e": True,
    "f": True,
}

_VISIBILITY_WHY = {
    "a": "threads share the process's memory: the same list object",
    "b": "the child changes its own copy of the list",
    "c": "a module global is one object in the one process all threads share",
    "d": "the child sets the global in its own memory (any start method)",
    "e": "a returned value travels back through a pipe: that is how it's done",
    "f": "multiprocessing.Value lives in shared memory both processes map",
}


def check_visibility_answers(answers: Mapping[str, bool]) -> Verdict:
    """Checker of notebook 01's exercise: which changes does the parent see?

    ``answers`` maps the letters ``"a"`` … ``"f"`` to ``True`` (the parent
    sees the change) or ``False``.
    """
    return check_answers(answers, _VISIBILITY, _VISIBILITY_WHY)


_GIL = {
    "primes": "processes",
    "downloads": "threads",
    "sha256_big": "threads",
    "sha256_small": "processes",
    "sleep": "threads",
    "chain": "neither",
    "zlib": "threads",
}

_GIL_WHY = {
    "primes": "pure Python holds the GIL: one thread runs at a time",
    "downloads": "waiting for the network releases the GIL",
    "sha256_big": "hashlib releases the GIL for inputs of 2048 bytes or more",
    "sha256_small": "64-byte pieces are below hashlib's 2048-byte line",
    "sleep": "time.sleep releases the GIL",
    "chain": "each step needs the previous result: nothing can run at once",
    "zlib": "zlib releases the GIL while it compresses",
}


def check_gil_answers(answers: Mapping[str, str]) -> Verdict:
    """Checker of notebook 02's exercise: classify each snippet as
    ``"threads"`` (threads already speed it up), ``"processes"`` (only
    processes do, on a GIL build) or ``"neither"``."""
    if isinstance(answers, Mapping):
        answers = {k: _as_set(v) for k, v in answers.items()}
    return check_answers(answers, _GIL, _GIL_WHY)


_START = {
    "windows": frozenset({"spawn"}),
    "linux_3_13_default": "fork",
    "linux_3_14_default": "forkserver",
    "macos_default": "spawn",
    "sees_parent_global": frozenset({"fork"}),
    "new_interpreter_per_child": "spawn",
    "notebook_function_ok": frozenset({"fork"}),
}

_START_WHY = {
    "windows": "Windows has no fork(): spawn is the only method",
    "linux_3_13_default": "fork was the Linux default up to 3.13",
    "linux_3_14_default": "3.14 changed the Linux default to forkserver",
    "macos_default": "spawn has been the macOS default since 3.8",
    "sees_parent_global": "only a forked child starts from a copy of the parent",
    "new_interpreter_per_child": "spawn starts a fresh interpreter for every "
    "child; forkserver starts one (its server) and forks the children from it",
    "notebook_function_ok": "spawn and forkserver children import the target "
    "by name; __main__ of a notebook has no such function",
}


def check_start_method_answers(answers: Mapping[str, Any]) -> Verdict:
    """Checker of notebook 03's exercise. Answers are a method name, or a
    set/list of method names where the question asks "which methods"."""
    if isinstance(answers, Mapping):
        answers = {k: _as_set(v) for k, v in answers.items()}
    return check_answers(answers, _START, _START_WHY)
