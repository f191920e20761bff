"""Notebook 11 survives Run All twice in one kernel and leaves nothing running.

The notebook's last cell prints what it left running (tasks, threads,
sockets, child processes). This test runs every cell twice in the same
kernel and checks that line both times, and checks from outside, after the
kernel has shut down, that no process it started is still alive.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import psutil

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "11_asyncio.ipynb"
NOTHING = "left running: {'tasks': [], 'threads': [], 'sockets': [], 'processes': []}"


def _kernel_manager():
    spec = importlib.util.spec_from_file_location(
        "execute", ROOT / "tools" / "execute.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CurrentEnvKernelManager


def _text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def test_run_all_twice_in_one_kernel_leaves_nothing_running():
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        nb,
        timeout=180,
        kernel_name="python3",
        kernel_manager_class=_kernel_manager(),
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    last_lines = []
    with client.setup_kernel():
        kernel = psutil.Process(client.km.provisioner.pid)
        for _ in range(2):
            for index, cell in enumerate(nb.cells):
                if cell.cell_type == "code":
                    client.execute_cell(cell, index)  # raises on an unexpected error
            last_lines.append(_text(nb.cells[-2]).strip())
        below_kernel = {p.pid for p in kernel.children(recursive=True)}
    assert last_lines == [NOTHING, NOTHING]
    survivors = [
        p
        for p in psutil.Process().children(recursive=True)
        if p.pid not in before and p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    ]
    assert not [p for p in survivors if p.pid in below_kernel], survivors
