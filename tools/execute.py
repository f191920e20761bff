"""Re-execute notebooks in place, exactly as the hygiene test wants them.

    python tools/execute.py                 # every notebook
    python tools/execute.py notebooks/05_race_conditions.ipynb

Runs each notebook top to bottom in a fresh kernel of *this* interpreter
(the project's venv, like nbval's ``--nbval-current-env``), from the
notebooks folder, with the platform's default start method. Cells tagged
``raises-exception`` may raise; any other error stops with a message. Then
it cleans what a person's machine would leave behind: widget state, run
timestamps, execution counts out of order.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from traitlets import default

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


class CurrentEnvKernelSpecs(KernelSpecManager):
    """Every kernel name resolves to ipykernel on this interpreter."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        return KernelSpec(
            argv=[
                sys.executable,
                "-m",
                "ipykernel_launcher",
                "-f",
                "{connection_file}",
            ],
            display_name="Python 3 (ipykernel)",
            language="python",
        )


class CurrentEnvKernelManager(AsyncKernelManager):
    """A kernel manager whose every kernel runs on this interpreter.

    (A user-wide ``python3`` kernelspec would otherwise win over the venv's.)
    """

    @default("kernel_spec_manager")
    def _current_env_specs(self) -> KernelSpecManager:
        return CurrentEnvKernelSpecs(data_dir=self.data_dir)


def scrub(line: str) -> str:
    """Make a traceback's file paths relative: no machine paths in stored output."""
    line = STDLIB.sub("", SITE_PACKAGES.sub("", line))
    return line.replace(str(ROOT) + os.sep, "")


PATH_START = r"(?:[A-Za-z]:)?[/\\\\][^\s'\"(\x1b]*?"
SITE_PACKAGES = re.compile(PATH_START + r"[/\\\\]site-packages[/\\\\]")
STDLIB = re.compile(PATH_START + r"[/\\\\]lib[/\\\\]python3\.\d+t?[/\\\\]")


def clean(nb: nbformat.NotebookNode) -> None:
    """Drop run metadata and widget state; keep the python3 kernelspec."""
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("collapsed", None)
        cell.metadata.pop("scrolled", None)
        if cell.cell_type == "code":
            for output in cell.outputs:
                output.get("metadata", {}).pop("execution", None)
                if output.output_type == "error":
                    output.traceback = [scrub(line) for line in output.traceback]
                data = output.get("data", {})
                # A widget view's state lives in the kernel; keep its text form.
                data.pop("application/vnd.jupyter.widget-view+json", None)


def execute(path: Path, timeout: int) -> float:
    nb = nbformat.read(path, as_version=4)
    env_method = os.environ.pop("CONCLAB_START_METHOD", None)
    try:
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            kernel_manager_class=CurrentEnvKernelManager,
            resources={"metadata": {"path": str(NOTEBOOKS)}},
            record_timing=False,
            allow_errors=False,
            store_widget_state=False,
        )
        start = time.perf_counter()
        client.execute()
        elapsed = time.perf_counter() - start
    finally:
        if env_method is not None:
            os.environ["CONCLAB_START_METHOD"] = env_method
    clean(nb)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[NOTEBOOKS])
    parser.add_argument("--timeout", type=int, default=120, help="seconds per cell")
    args = parser.parse_args()
    paths: list[Path] = []
    for p in args.paths:
        paths.extend(sorted(p.glob("*.ipynb")) if p.is_dir() else [p])
    for path in paths:
        print(f"executing {path.name} …", end=" ", flush=True)
        elapsed = execute(path.resolve(), args.timeout)
        print(f"{elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
