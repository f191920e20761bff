"""Reference figures of ``12_free_threading.ipynb``: what its experiments
return, labelled ``source="reference"``, where an interpreter is missing.

Written by ``tools/nogil_reference.py`` from one real run; do not edit by hand.
Measured 2026-12-01 on Linux x86_64, 2 cores (load average 11.3 at the start), CPython 3.13.0, 3.13.5t, 3.14.10.
"""

from __future__ import annotations

from typing import Any

__all__ = ["NOGIL_REFERENCE"]

NOGIL_REFERENCE: dict[str, Any] = {
    "note": "Measured 2026-12-01 on Linux x86_64, 2 cores (load average 11.3 at "
    "the start), CPython 3.13.0, 3.13.5t, 3.14.10.",
    "builds": {
        "GIL build, threads": {
            "python": "3.13.0",
            "walls": {
                1: 0.22971591999998964,
                2: 0.2519944680000208,
                4: 0.17277684800001225,
            },
            "gil_enabled": True,
        },
        "free-threaded, threads": {
            "python": "3.13.5t",
            "walls": {
                1: 0.341111834000003,
                2: 0.5663280430001123,
                4: 0.594579923999845,
            },
            "gil_enabled": False,
        },
        "free-threaded + PYTHON_GIL=1": {
            "python": "3.13.5t",
            "walls": {
                1: 0.6099562069998683,
                2: 0.5817218760000742,
                4: 0.5892197830000896,
            },
            "gil_enabled": True,
        },
        "GIL build, processes": {
            "python": "3.13.0",
            "walls": {
                1: 0.21563235600001462,
                2: 0.38558734799994454,
                4: 0.1468951780000225,
            },
            "gil_enabled": True,
        },
    },
    "switches": {
        "python": "3.13.5t and 3.13.0",
        "result": {
            "plain": False,
            "PYTHON_GIL=1": True,
            "-X gil=1": True,
            "GIL build, PYTHON_GIL=0": "Fatal Python error: "
            "config_read_gil: "
            "Disabling the GIL is not "
            "supported by this build",
        },
    },
    "races": {
        "python": "3.13.5t",
        "result": {
            "count += 1": {
                "expected": 400000,
                "got": 166952,
                "seconds": 0.05543319299999894,
            },
            "count += 1, locked": {
                "expected": 400000,
                "got": 400000,
                "seconds": 0.2096828539999933,
            },
            "table[ch] += 1": {
                "expected": 115832,
                "got": 99945,
                "seconds": 0.02989608000007138,
            },
            "table[ch] += 1, locked": {
                "expected": 115832,
                "got": 115832,
                "seconds": 0.015471661999981734,
            },
            "stingy/spendy": {
                "expected": 100,
                "got": 396840,
                "updates": 400000,
                "seconds": 0.07799434100002145,
            },
            "stingy/spendy, locked": {
                "expected": 100,
                "got": 100,
                "updates": 400000,
                "seconds": 0.26639369600002283,
            },
        },
    },
    "builtins": {
        "python": "3.13.5t",
        "result": {
            "list.append": {"expected": 800000, "got": 800000},
            "shared iterator": [
                {"items": 200000, "taken": 378242, "distinct": 200000},
                {"items": 200000, "taken": 441499, "distinct": 200000},
                {"items": 200000, "taken": 470755, "distinct": 200000},
                {"items": 200000, "taken": 303543, "distinct": 200000},
                {"items": 200000, "taken": 302283, "distinct": 200000},
            ],
        },
    },
    "generator": {
        "python": "3.13.5t",
        "result": {"outcomes": ["crashed (signal 11)", "no error", "no error"]},
    },
    "extension": {
        "python": "3.13.5t",
        "result": {
            "module": "tiny",
            "gil_before": False,
            "gil_after": True,
            "warnings": [
                "RuntimeWarning: The global interpreter "
                "lock (GIL) has been enabled to load "
                "module 'tiny', which has not declared "
                "that it can run safely without the "
                "GIL. To override this behavior and "
                "keep the GIL disabled (at your own "
                "risk), run with PYTHON_GIL=0 or "
                "-Xgil=0."
            ],
            "error": "",
            "walls": {"1": 0.25379078199989635, "4": 0.2551390140001786},
        },
    },
    "extension, declared": {
        "python": "3.13.5t",
        "result": {
            "module": "tiny",
            "gil_before": False,
            "gil_after": False,
            "warnings": [],
            "error": "",
            "walls": {"1": 0.1744472789998781, "4": 0.17626392800002577},
        },
    },
    "subinterpreters": {
        "python": "3.14.10",
        "result": {
            "walls": {
                "sequential 1": 0.34098470000003545,
                "threads 2": 0.32364894900001673,
                "threads 4": 0.39968231000011656,
                "interpreters 2": 0.5483234659998288,
                "interpreters 4": 0.6268275690001701,
                "processes 2": 0.35220106899987513,
                "processes 4": 0.34744691000014427,
            },
            "sharing": {
                "queue message": "hello from a subinterpreter",
                "bytearray[0] after the write there": 42,
                "list length there": 4,
                "list length here": 3,
                "module global here": 7,
                "module global there": 0,
            },
            "imports": [
                {
                    "module": "numpy",
                    "here": "imported",
                    "there": "ImportError: \n"
                    "\n"
                    "IMPORTANT: PLEASE READ "
                    "THIS FOR ADVICE ON HOW "
                    "TO SOLVE THIS ISSUE!\n"
                    "\n"
                    "Importing the numpy "
                    "C-extensions failed. "
                    "This error can happen "
                    "for\n"
                    "many reasons, often due "
                    "to issues with your "
                    "setup or how NumPy was\n"
                    "installed.\n"
                    "\n"
                    "We have compiled some "
                    "common reasons and "
                    "troubleshooting tips "
                    "at:\n"
                    "\n"
                    "    "
                    "https://numpy.org/devdocs/user/troubleshooting-importerror.html\n"
                    "\n"
                    "Please note and check "
                    "the following:\n"
                    "\n"
                    "  * The Python version "
                    "is: Python 3.14 from "
                    '"/tmp/nb12-v314/bin/python"\n'
                    "  * The NumPy version "
                    'is: "2.5.5"\n'
                    "\n"
                    "and make sure that they "
                    "are the versions you "
                    "expect.\n"
                    "\n"
                    "Please carefully study "
                    "the information and "
                    "documentation linked "
                    "above.\n"
                    "This is unlikely to be "
                    "a NumPy issue but will "
                    "be caused by a bad "
                    "install\n"
                    "or environment on your "
                    "machine.\n"
                    "\n"
                    "Original error was: "
                    "module "
                    "numpy._core._multiarray_umath "
                    "does not support "
                    "loading in "
                    "subinterpreters\n",
                },
                {
                    "module": "readline",
                    "here": "imported",
                    "there": "ImportError: module "
                    "readline does not "
                    "support loading in "
                    "subinterpreters",
                },
            ],
        },
    },
}
