"""`make lab` installs only what teaching needs: pyproject's `lab` extra.

The development set (`dev`, what `make test` installs) is the lab extra plus
the test tooling; environment.yml (conda, Binder) names the lab extra too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEST_TOOLING = {"playwright", "ruff", "nbval", "pytest", "pytest-timeout", "nbclient"}

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = None


def extras() -> dict[str, list[str]]:
    if tomllib is None:
        pytest.skip("tomllib arrived in Python 3.11; checked on the newer Pythons")
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return data["project"]["optional-dependencies"]


def names(requirements: list[str]) -> set[str]:
    return {re.match(r"[A-Za-z0-9_.-]+", r)[0].lower() for r in requirements}


def test_lab_extra_is_the_notebook_front_end_without_test_tooling():
    lab = names(extras()["lab"])
    assert {"jupyterlab", "ipykernel", "jupyterlab-rise"} <= lab
    assert not lab & TEST_TOOLING, lab & TEST_TOOLING


def test_dev_is_lab_plus_the_tools():
    dev = extras()["dev"]
    assert "conclab[lab]" in dev and "conclab[test]" in dev
    assert TEST_TOOLING - {"nbclient"} <= names(dev) | names(extras()["test"])


def test_make_lab_uses_its_own_venv_with_the_lab_extra():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    lab_rule = re.search(r"^lab: (.*)$", makefile, re.M)[1]
    assert "$(LAB_STAMP)" in lab_rule and "$(STAMP)" not in lab_rule.split()
    assert "$(call install-venv,$(LAB_VENV),lab)" in makefile
    assert "$(call install-venv,$(VENV),dev)" in makefile
    assert "python3-venv" in makefile


def test_environment_yml_has_the_lab_extra():
    text = (ROOT / "environment.yml").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\s*-\s*([A-Za-z0-9_.-]+)", text, re.M))
    assert names(extras()["lab"]) - {"conclab"} <= {n.lower() for n in listed}
