"""Where the course runs: Python build, cores, start methods, Colab.

Introduced in ``00_start_here.ipynb``; every notebook that starts processes
goes through :func:`mp_context`, so the start method can be chosen once, by
the environment variable ``CONCLAB_START_METHOD`` (the test command runs
every notebook under ``fork``, ``forkserver`` and ``spawn``).
"""

from __future__ import annotations

import multiprocessing
import os
import platform
import sys
from typing import TYPE_CHECKING, cast

from .kernel import let_kernel_exit_promptly
from .validate import check_choice

if TYPE_CHECKING:
    from multiprocessing.context import ForkContext, ForkServerContext, SpawnContext

    Context = ForkContext | ForkServerContext | SpawnContext

__all__: list[str] = [
    "START_METHOD_ENV",
    "environment_report",
    "free_threaded_build",
    "gil_enabled",
    "in_colab",
    "mp_context",
    "print_environment",
    "start_method",
    "usable_cores",
]


#: The environment variable that selects the start method the library uses.
START_METHOD_ENV = "CONCLAB_START_METHOD"


def start_method(method: str | None = None) -> str:
    """Return the start method to use: ``method``, else ``$CONCLAB_START_METHOD``,
    else this platform's default.

    Never calls :func:`multiprocessing.set_start_method`, so it is safe to run
    twice in a notebook. Raises ``ValueError`` naming the valid methods when
    the argument or the environment variable names one this platform lacks.
    """
    available = multiprocessing.get_all_start_methods()
    if method is not None:
        return check_choice("start_method", method, available)
    from_env = os.environ.get(START_METHOD_ENV, "").strip()
    if from_env:
        if from_env not in available:
            listed = ", ".join(repr(m) for m in available)
            raise ValueError(
                f"{START_METHOD_ENV}={from_env!r} is not a start method on this "
                f"platform; use one of {listed}, or unset it for the default"
            )
        return from_env
    # get_all_start_methods() lists the platform default first (3.10-3.14).
    return available[0]


def mp_context(method: str | None = None) -> Context:
    """A :mod:`multiprocessing` context for :func:`start_method` ``(method)``.

    Use ``ctx.Process``, ``ctx.Queue``, ``ctx.Pool`` … from it instead of
    ``set_start_method``, which may be called only once per process.

    In a Jupyter kernel it also makes the kernel's shutdown leave
    multiprocessing's helper processes to end by themselves, so that the
    kernel exits at once and cleans up (see :mod:`conclab.core.kernel`).
    """
    context = multiprocessing.get_context(start_method(method))
    let_kernel_exit_promptly()
    return cast("Context", context)


def gil_enabled() -> bool:
    """True when this interpreter runs with the GIL.

    ``sys._is_gil_enabled()`` exists from Python 3.13; every earlier CPython
    always has the GIL.
    """
    probe = getattr(sys, "_is_gil_enabled", None)
    return True if probe is None else bool(probe())


def usable_cores() -> int:
    """The cores this process may run on.

    ``os.process_cpu_count()`` (3.13+) or the affinity mask where the platform
    has one (Linux), else ``os.cpu_count()``. A core busy with another program
    still counts: speedup is bounded by the cores that are actually free.
    """
    counter = getattr(os, "process_cpu_count", None)
    if counter is not None:
        return counter() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def in_colab() -> bool:
    """True inside Google Colab (its kernel imports ``google.colab``)."""
    return "google.colab" in sys.modules


def _version(package: str) -> str:
    from importlib import metadata  # here: it costs every worker ~10 ms

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def environment_report() -> dict[str, object]:
    """Facts about this kernel, as a dict (see :func:`print_environment`)."""
    build = "free-threaded" if free_threaded_build() else "standard (with the GIL)"
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "build": build,
        "gil_enabled": gil_enabled(),
        "platform": f"{platform.system()} {platform.machine()}",
        "cpu_count": os.cpu_count(),
        "usable_cores": usable_cores(),
        "start_methods": multiprocessing.get_all_start_methods(),
        "default_start_method": multiprocessing.get_all_start_methods()[0],
        "course_start_method": start_method(),
        "in_colab": in_colab(),
        "ipywidgets": _version("ipywidgets"),
        "matplotlib": _version("matplotlib"),
    }


def free_threaded_build() -> bool:
    """True on a free-threaded build (``python3.13t`` and later), GIL or not."""
    import sysconfig

    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def print_environment() -> None:
    """Print :func:`environment_report` as aligned lines."""
    report = environment_report()
    labels = {
        "python": "Python",
        "implementation": "implementation",
        "build": "build",
        "gil_enabled": "GIL enabled",
        "platform": "platform",
        "cpu_count": "os.cpu_count()",
        "usable_cores": "cores this process may use",
        "start_methods": "start methods available",
        "default_start_method": "platform default",
        "course_start_method": "the course uses",
        "in_colab": "running in Colab",
        "ipywidgets": "ipywidgets",
        "matplotlib": "matplotlib",
    }
    width = max(len(v) for v in labels.values())
    for key, label in labels.items():
        value = report[key]
        if isinstance(value, list):
            value = ", ".join(value)
        print(f"{label:<{width}}  {value}")
