"""Show the code that runs: the source of a library function in a notebook."""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from typing import Any

from .validate import check_callable

__all__: list[str] = ["print_source"]


def print_source(obj: Callable[..., Any]) -> None:
    """Print the source of a function or class, without its docstrings.

    Notebooks show the library code they teach this way (the letter
    counters of 05, the account and the buffer of 07, the searches of 06
    and 08 …), so a notebook always shows the code that actually runs.
    """
    check_callable("obj", obj)
    source = textwrap.dedent(inspect.getsource(obj))
    lines = source.splitlines()
    drop: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        first = node.body[0]
        if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)):
            continue
        if isinstance(first.value.value, str) and len(node.body) > 1:
            end = first.end_lineno or first.lineno
            blank = end < len(lines) and not lines[end].strip()
            drop.update(range(first.lineno - 1, end + blank))
    print("\n".join(line for i, line in enumerate(lines) if i not in drop))
