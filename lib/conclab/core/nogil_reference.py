"""Reference figures of ``12_free_threading.ipynb``: what its experiments
return, labelled ``source="reference"``, where an interpreter is missing.

Written by ``tools/nogil_reference.py`` from one real run; do not edit by hand.
Measured 2026-12-01 on Linux x86_64, 2 cores (load average 13.6 at the
start), CPython 3.13.0, 3.13.5t, 3.14.10.
"""

from __future__ import annotations

from typing import Any

__all__ = ["NOGIL_REFERENCE"]

NOGIL_REFERENCE: dict[str, Any] = {
    "note": "Measured 2026-12-01 on Linux x86_64, 2 cores (load average 13.6 at "
    "the start), CPython 3.13.0, 3.13.5t, 3.14.10.",
    "builds": {
        "GIL build, threads": {
            "python": "3.13.0",
            "walls": {
                1: 0.17103317300006893,
                2: 0.18890773000021,
                4: 0.19293266400018183,
            },
            "cpu": {
                1: 0.16525688500000002,
                2: 0.17110668499999998,
                4: 0.16900373899999993,
            },
            "gil_enabled": True,
        },
        "free-threaded, threads": {
            "python": "3.13.5t",
            "walls": {
                1: 0.29778192699996,
                2: 0.1795016920004855,
                4: 0.21632908300034615,
            },
            "cpu": {1: 0.287226275, 2: 0.28595291300000003, 4: 0.28922215800000006},
            "gil_enabled": False,
        },
        "free-threaded + PYTHON_GIL=1": {
            "python": "3.13.5t",
            "walls": {
                1: 0.2862631119996877,
                2: 0.3184559130004345,
                4: 0.3187322520007001,
            },
            "cpu": {
                1: 0.33225431400000005,
                2: 0.29358859800000003,
                4: 0.3096331969999999,
            },
            "gil_enabled": True,
        },
        "GIL build, processes": {
            "python": "3.13.0",
            "walls": {
                1: 0.16389516799972625,
                2: 0.11368707100064057,
                4: 0.13485824300005333,
            },
            "cpu": {
                1: 0.19842524700000003,
                2: 0.006780428000000005,
                4: 0.007698545000000001,
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
                "got": 154644,
                "trials": [154644, 107826, 113893, 127020, 129634],
                "seconds": 0.06548125799999979,
            },
            "count += 1, locked": {
                "expected": 400000,
                "got": 400000,
                "trials": [400000],
                "seconds": 0.2138828420002028,
            },
            "table[ch] += 1": {
                "expected": 115832,
                "got": 108574,
                "trials": [108574, 102068, 108393, 101746, 101898],
                "seconds": 0.025208724999902187,
            },
            "table[ch] += 1, locked": {
                "expected": 115832,
                "got": 115832,
                "trials": [115832],
                "seconds": 0.018684422999285744,
            },
            "stingy/spendy": {
                "expected": 100,
                "got": -219340,
                "trials": [-219340, 376850, -55860, 1111190, 100],
                "seconds": 0.07254794639993634,
                "updates": 400000,
            },
            "stingy/spendy, locked": {
                "expected": 100,
                "got": 100,
                "trials": [100],
                "seconds": 0.24463466099950892,
                "updates": 400000,
            },
        },
    },
    "races, GIL build": {
        "python": "3.13.0",
        "result": {
            "count += 1": {
                "expected": 400000,
                "got": 400000,
                "trials": [400000],
                "seconds": 0.03856661299960251,
            },
            "count += 1, locked": {
                "expected": 400000,
                "got": 400000,
                "trials": [400000],
                "seconds": 0.1552859820003505,
            },
            "table[ch] += 1": {
                "expected": 115832,
                "got": 115832,
                "trials": [115832],
                "seconds": 0.013817783999911626,
            },
            "table[ch] += 1, locked": {
                "expected": 115832,
                "got": 115832,
                "trials": [115832],
                "seconds": 0.01998833600009675,
            },
            "stingy/spendy": {
                "expected": 100,
                "got": 100,
                "trials": [100],
                "seconds": 0.023044945000037842,
                "updates": 400000,
            },
            "stingy/spendy, locked": {
                "expected": 100,
                "got": 100,
                "trials": [100],
                "seconds": 0.16592962100003206,
                "updates": 400000,
            },
        },
    },
    "builtins": {
        "python": "3.13.5t",
        "result": {
            "list.append": {"expected": 800000, "got": 800000},
            "shared iterator": [
                {"items": 200000, "taken": 511964, "distinct": 200000},
                {"items": 200000, "taken": 507256, "distinct": 200000},
                {"items": 200000, "taken": 538134, "distinct": 200000},
                {"items": 200000, "taken": 578746, "distinct": 200000},
                {"items": 200000, "taken": 518849, "distinct": 200000},
            ],
        },
    },
    "generator": {
        "python": "3.13.5t",
        "result": {
            "outcomes": ["ValueError", "crashed (signal 11)", "crashed (signal 11)"]
        },
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
            "free_threaded_build": True,
            "walls": {"1": 0.17648022200046398, "4": 0.17925400100011757},
            "cores used": 0.9603909315245194,
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
            "free_threaded_build": True,
            "walls": {"1": 0.1820707830001993, "4": 0.14150450199940678},
            "cores used": 1.1779598150219897,
        },
    },
    "subinterpreters": {
        "python": "3.14.10",
        "result": {
            "walls": {
                "sequential 1": 0.23450210899954982,
                "threads 2": 0.25728494099985255,
                "threads 4": 0.23920553199968708,
                "interpreters 2": 0.13505737200011936,
                "interpreters 4": 0.13694517299973086,
                "processes 2": 0.13153802900069422,
                "processes 4": 0.12783258899980865,
            },
            "start-up": {
                "threads 2": 0.01537360800011811,
                "threads 4": 0.028122108999923512,
                "interpreters 2": 0.0805012020000504,
                "interpreters 4": 0.17033824700047262,
                "processes 2": 0.14694462799980101,
                "processes 4": 0.16837097099960374,
            },
            "cpu": {
                "sequential 1": 0.2331609379999997,
                "threads 2": 0.23865508000000002,
                "threads 4": 0.234441801,
                "interpreters 2": 0.23313219799999996,
                "interpreters 4": 0.2302251500000001,
                "processes 2": 0.0013944059999997371,
                "processes 4": 0.0010164139999999655,
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
                    "there": "ImportError: module "
                    "numpy._core._multiarray_umath "
                    "does not support "
                    "loading in "
                    "subinterpreters",
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
