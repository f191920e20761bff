"""The install routes agree: pyproject.toml, environment.yml, the Makefile, .ci/run.

conda cannot run on the machines that test this project (conda-forge is out of
reach), so environment.yml is kept right by hand and checked here against
pyproject.toml, which pip installs for real in every test run.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = None


def pyproject() -> dict:
    if tomllib is None:
        pytest.skip("tomllib arrived in Python 3.11; checked on the newer Pythons")
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def split(requirement: str) -> tuple[str, str]:
    """'ipywidgets >=7.6, <9' -> ('ipywidgets', '<9,>=7.6') (name, sorted spec)."""
    found = re.match(r"\s*([A-Za-z0-9_.-]+)\s*(.*)", requirement)
    assert found, requirement
    name = found[1].lower().replace("_", "-")
    spec = ",".join(
        sorted(p.strip() for p in found[2].replace("==", "=").split(",") if p.strip())
    )
    return name, spec


def environment() -> dict:
    import yaml

    return yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))


def test_environment_yml_uses_conda_forge_and_pins_python():
    env = environment()
    assert env["channels"] == ["conda-forge"]
    pythons = [
        d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python")
    ]
    assert pythons and re.fullmatch(r"python=3\.\d+", pythons[0]), pythons


def test_environment_yml_has_the_runtime_dependencies_of_pyproject():
    runtime = dict(split(r) for r in pyproject()["project"]["dependencies"])
    conda = dict(
        split(d)
        for d in environment()["dependencies"]
        if isinstance(d, str) and not d.startswith(("python", "pip"))
    )
    for name, spec in runtime.items():
        assert name in conda, f"environment.yml lacks {name} (pyproject: {name}{spec})"
        assert conda[name] == spec, (
            f"{name}: pyproject says {spec!r}, environment.yml {conda[name]!r}"
        )


#: pip's name -> conda-forge's, where they differ.
CONDA_NAMES = {"dask": "dask-core"}


def test_environment_yml_has_the_dask_extra_of_pyproject():
    """Notebook 13 runs in Binder too: its extra is in environment.yml."""
    project = pyproject()["project"]
    extra = dict(split(r) for r in project["optional-dependencies"]["dask"])
    assert {"dask", "distributed", "bokeh"} <= set(extra)
    conda = dict(
        split(d)
        for d in environment()["dependencies"]
        if isinstance(d, str) and not d.startswith(("python", "pip"))
    )
    for name, spec in extra.items():
        conda_name = CONDA_NAMES.get(name, name)
        assert conda_name in conda, f"environment.yml lacks {conda_name} ({name}{spec})"
        assert conda[conda_name] == spec, (
            f"{name}: pyproject says {spec!r}, environment.yml {conda[conda_name]!r}"
        )
    assert "dask" not in conda, "conda-forge's dask pulls in pandas, pyarrow…"


def test_dev_installs_the_dask_extra():
    dev = pyproject()["project"]["optional-dependencies"]["dev"]
    assert "conclab[dask]" in dev, "make lab / make test must run notebook 13"


def test_environment_yml_has_the_tools_and_installs_the_library():
    env = environment()
    names = {split(d)[0] for d in env["dependencies"] if isinstance(d, str)}
    assert {"jupyterlab", "ipywidgets", "matplotlib", "nbval", "pytest", "pip"} <= names
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip


def test_pyproject_supports_colab_and_old_pythons():
    project = pyproject()["project"]
    assert project["requires-python"] == ">=3.11"
    deps = dict(split(r) for r in project["dependencies"])
    assert deps["ipywidgets"] == "<9,>=7.6", "Colab ships ipywidgets 7.7.1"
    assert "matplotlib" in deps
    assert project["urls"]["Repository"].startswith("https://github.com/")


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in readme and "make lab" in readme
    assert re.search(r"^\s*(exec\s+)?make test\b", ci, re.M), (
        ".ci/run must call make test"
    )


def test_no_sys_path_tricks_in_library_or_notebooks():
    for path in [*ROOT.glob("lib/**/*.py"), *ROOT.glob("notebooks/*.ipynb")]:
        text = path.read_text(encoding="utf-8")
        assert "sys.path.insert" not in text and "sys.path.append" not in text, path
