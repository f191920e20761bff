"""The library's shape: layers, one home per name, lazy exports.

conclab is split by layer (core < viz < ui; exercises use core). These tests
read the source with ``ast``, so they also hold for code no test runs.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import conclab as lab

PACKAGE = Path(lab.__file__).parent
LAYERS = ("core", "viz", "ui", "exercises")
#: layer -> the layers its modules may import from
ALLOWED = {
    "core": {"core"},
    "viz": {"core", "viz"},
    "ui": {"core", "viz", "ui"},
    "exercises": {"core", "exercises"},
}


def modules() -> list[str]:
    """Every module of the layers, as "layer.name"."""
    return [
        f"{layer}.{path.stem}"
        for layer in LAYERS
        for path in sorted((PACKAGE / layer).glob("*.py"))
        if path.stem != "__init__"
    ]


def tree(module: str) -> ast.Module:
    layer, name = module.split(".")
    return ast.parse((PACKAGE / layer / f"{name}.py").read_text(encoding="utf-8"))


def declared_all(module: str) -> list[str]:
    for node in tree(module).body:
        target = getattr(node, "target", None) or (getattr(node, "targets", [None])[0])
        if isinstance(target, ast.Name) and target.id == "__all__":
            return list(ast.literal_eval(node.value))
    raise AssertionError(f"conclab.{module} has no __all__")


def imported_layers(module: str) -> set[tuple[str, int]]:
    """(conclab.<layer>.<module> imported, line) for every import in ``module``,
    at any depth (a function-level import counts too)."""
    layer = module.split(".")[0]
    found = set()
    for node in ast.walk(tree(module)):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                target = f"{layer}.{node.module or ''}"
            elif node.level == 2:
                target = node.module or ""
            elif node.level == 0 and (node.module or "").startswith("conclab"):
                target = (node.module or "").removeprefix("conclab").lstrip(".")
            else:
                continue
            found.add((target, node.lineno))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("conclab"):
                    found.add((alias.name.removeprefix("conclab."), node.lineno))
    return found


def test_the_export_table_matches_every_module_all():
    table = {m: names.split() for m, names in lab._EXPORTS.items()}
    assert sorted(table) == sorted(m for m in modules() if declared_all(m)), (
        "every module with public names has one line in conclab._EXPORTS"
    )
    for module, names in table.items():
        assert sorted(names) == sorted(declared_all(module)), module


def test_no_two_modules_export_the_same_name():
    home: dict[str, str] = {}
    for module in modules():
        for name in declared_all(module):
            assert name not in home, f"{name} in conclab.{home[name]} and {module}"
            home[name] = module


@pytest.mark.parametrize("module", modules())
def test_a_module_imports_only_its_own_or_a_lower_layer(module):
    layer = module.split(".")[0]
    for target, line in imported_layers(module):
        other = target.split(".")[0]
        assert other in ALLOWED[layer], (
            f"conclab/{module.replace('.', '/')}.py:{line} imports conclab.{target}: "
            f"{layer} may use only {sorted(ALLOWED[layer])}"
        )


@pytest.mark.parametrize("module", modules())
def test_no_private_name_is_imported_from_another_module(module):
    for node in ast.walk(tree(module)):
        if isinstance(node, ast.ImportFrom) and node.level:
            private = [a.name for a in node.names if a.name.startswith("_")]
            assert not private, f"conclab.{module} imports {private}"


def test_every_name_resolves_and_is_listed_by_dir():
    for name in lab.__all__:
        assert getattr(lab, name) is not None
    assert set(lab.__all__) <= set(dir(lab))
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = lab.no_such_name


def test_import_conclab_loads_no_module_of_the_library():
    code = (
        "import sys, conclab\n"
        "print(sorted(m for m in sys.modules if m.startswith('conclab')))\n"
        "conclab.count_primes\n"
        "print(sorted(m for m in sys.modules if m.startswith('conclab')))\n"
        "heavy = ('http.server', 'importlib.metadata', 'matplotlib', 'ipywidgets',"
        " 'numpy', 'urllib.request')\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    first, second, heavy = done.stdout.splitlines()
    assert first == "['conclab']"
    assert "conclab.core.workloads" in second and "conclab.viz" not in second
    assert heavy == "[]", "a worker that imports a workload pays for " + heavy
