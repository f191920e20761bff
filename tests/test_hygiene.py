"""Every stored notebook is clean: executed in order, no errors, no machine traces.

What nbval does not check and a reader would notice: a notebook stored half
run, with counts out of order, with an error nobody meant, with the widget
state of someone's session, with the path, user or host name of the machine
that ran it. ``make execute`` writes notebooks that pass.
"""

from __future__ import annotations

import getpass
import json
import re
import socket
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load_stamp():
    """tools/stamp.py, loaded by path (it is a script, not part of the library)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("stamp", ROOT / "tools" / "stamp.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


stamp = _load_stamp()

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
RAISES = {"raises-exception", "nbval-raises-exception"}
MACHINE_PATH = re.compile(
    r"(/home/\w|/root/|/Users/\w|/tmp/|/var/folders/|/private/var/|[A-Za-z]:\\\\Users"
    r"|/work/|site-packages|\.pyenv|\.venv)"
)
COMMENT_MARKERS = re.compile(r"#\s*NBVAL_\w+")


def ids(paths):
    return [p.name for p in paths]


@pytest.fixture(params=NOTEBOOKS, ids=ids(NOTEBOOKS))
def nb(request):
    return nbformat.read(request.param, as_version=4)


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def test_there_are_notebooks():
    assert (ROOT / "notebooks" / "00_start_here.ipynb").exists()
    assert len(NOTEBOOKS) >= 1


def test_valid_nbformat(nb):
    nbformat.validate(nb)


def test_python3_kernelspec(nb):
    spec = nb.metadata.get("kernelspec", {})
    assert spec.get("name") == "python3", spec
    assert spec.get("language") == "python", spec


def test_executed_in_order(nb):
    counts = [c.execution_count for c in code_cells(nb)]
    assert None not in counts, "a code cell has not run: re-execute with `make execute`"
    assert counts == list(range(1, len(counts) + 1)), f"execution counts {counts}"


def test_no_unexpected_errors(nb):
    for i, cell in enumerate(code_cells(nb)):
        tags = set(cell.metadata.get("tags", []))
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if tags & RAISES:
            assert errors, f"code cell {i} is tagged to raise but stores no error"
        else:
            assert not errors, (
                f"code cell {i} stores {errors[0].ename}: {cell.source[:80]!r}"
            )


def test_no_stray_warnings(nb):
    for i, cell in enumerate(code_cells(nb)):
        for out in cell.outputs:
            if out.output_type == "stream" and out.name == "stderr":
                assert (
                    "Warning" not in out.text
                    or "warning-expected" in cell.metadata.get("tags", [])
                ), f"code cell {i} prints a warning: {out.text[:200]!r}"


def test_no_widget_state(nb):
    assert "widgets" not in nb.metadata, (
        "widget state stored: re-execute with `make execute`"
    )
    for cell in code_cells(nb):
        for out in cell.outputs:
            assert "application/vnd.jupyter.widget-state+json" not in out.get(
                "data", {}
            )


def test_no_traces_of_the_machine(nb):
    text = json.dumps([c.get("outputs", []) for c in code_cells(nb)])
    found = MACHINE_PATH.search(text)
    if found:
        context = text[max(0, found.start() - 60) : found.end() + 60]
        pytest.fail(f"an output holds a machine path: …{context}…")
    host = socket.gethostname()
    if len(host) >= 6:
        assert host not in text, "an output holds this machine's host name"
    user = getpass.getuser()
    if user not in {"root", "runner", "user", "jovyan"} and len(user) >= 4:
        assert not re.search(rf"\b{re.escape(user)}\b", text), (
            "an output holds the user name"
        )


def test_tags_not_comment_markers(nb):
    for cell in code_cells(nb):
        assert not COMMENT_MARKERS.search(cell.source), (
            "use cell tags, not # NBVAL_ comments"
        )


def test_first_code_cell_is_the_setup_cell(nb):
    first = code_cells(nb)[0]
    assert first.source == stamp.setup_source(stamp.repository_url())
    assert first.outputs == [], "the setup cell prints nothing outside Colab"


def test_setup_cell_installs_only_in_colab():
    source = stamp.setup_source("https://github.com/example/repo")
    namespace: dict = {}
    calls = []
    import subprocess

    real = subprocess.run
    subprocess.run = lambda *a, **k: calls.append(a)  # type: ignore[assignment]
    try:
        exec(compile(source, "setup", "exec"), namespace)
        assert calls == [], "outside Colab the setup cell must do nothing"
        sys.modules["google.colab"] = type(sys)("google.colab")
        exec(compile(source, "setup", "exec"), namespace)
    finally:
        subprocess.run = real  # type: ignore[assignment]
        sys.modules.pop("google.colab", None)
    assert len(calls) == 1
    assert calls[0][0][-1] == "git+https://github.com/example/repo"


def test_stamps_up_to_date():
    """Badges, setup cells, navigation and README table match pyproject's URL."""
    import subprocess

    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "stamp.py"), "--check"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
