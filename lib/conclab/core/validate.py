"""Argument checks shared by the whole library.

Every public function of :mod:`conclab` validates its arguments with these
helpers, so a mistake in a notebook cell fails at once with a message that
names the argument (``workers must be an int >= 1, got 0``) instead of
deep inside a thread or a child process.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from numbers import Real
from typing import Any

__all__: list[str] = []


def check_int(
    name: str, value: Any, minimum: int | None = None, maximum: int | None = None
) -> int:
    """Return ``value`` if it is an int (not a bool) within the bounds."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be an int <= {maximum}, got {value!r}")
    return value


def check_number(
    name: str, value: Any, minimum: float | None = None, maximum: float | None = None
) -> float:
    """Return ``value`` as a float if it is a real number within the bounds."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(
            f"{name} must be a number, got {type(value).__name__} {value!r}"
        )
    value = float(value)
    if value != value:  # NaN
        raise ValueError(f"{name} must be a number, got nan")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value!r}")
    return value


def check_choice(name: str, value: Any, choices: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``choices``; the error lists them."""
    choices = tuple(choices)
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {listed}; got {value!r}")
    return value


def check_callable(name: str, value: Any) -> Any:
    """Return ``value`` if it can be called."""
    if not callable(value):
        raise TypeError(
            f"{name} must be callable, got {type(value).__name__} {value!r}"
        )
    return value


def check_timeout(value: float | None) -> float | None:
    return None if value is None else check_number("timeout", value, minimum=0)


def check_records(
    name: str, records: Any, needed: Iterable[str], kind: str, source: str
) -> list[Any]:
    """A non-empty sequence of ``kind`` records (as ``source`` returns), each
    with the attributes ``needed``; returns it as a list."""
    if isinstance(records, (str, bytes)) or not isinstance(records, Sequence):
        raise TypeError(
            f"{name} must be a list of {kind} (from {source}), "
            f"got {type(records).__name__}"
        )
    if not records:
        raise ValueError(f"{name} must not be empty: run {source} first")
    for i, record in enumerate(records):
        missing = [a for a in needed if not hasattr(record, a)]
        if missing:
            raise TypeError(
                f"{name}[{i}] must be a {kind}; {type(record).__name__} lacks "
                + ", ".join(missing)
            )
    return list(records)
