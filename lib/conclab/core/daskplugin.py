"""The worker plugin behind :func:`conclab.quiet_worker_logs` (imports distributed).

Kept apart so that ``import conclab`` never imports Dask: only
:func:`conclab.quiet_worker_logs` imports this module, and a worker process
unpickles the plugin by this module's name.
"""

from __future__ import annotations

import logging

from distributed.diagnostics.plugin import WorkerPlugin

__all__ = ["QuietWorkerLogs"]


class QuietWorkerLogs(WorkerPlugin):
    """Raise the worker process's Dask log handlers to ``level`` (default ERROR+1).

    A worker is another process: what it logs goes to its own stderr, which
    Jupyter copies into whichever cell runs at that moment. Two messages
    would end up in ``13_dask.ipynb`` that way: ``Compute Failed`` (every
    task that raises; the client raises the same exception anyway) and a
    harmless ``Failed to communicate with scheduler during heartbeat`` when
    a cluster closes while a heartbeat is on its way (dask/distributed#9032).
    """

    name = "conclab-quiet-worker-logs"
    idempotent = True

    def __init__(self, level: int = logging.CRITICAL) -> None:
        self.level = level

    def setup(self, worker: object) -> None:
        for name in ("distributed", "tornado", "bokeh"):
            logger = logging.getLogger(name)
            logger.setLevel(self.level)
            for handler in logger.handlers:
                handler.setLevel(self.level)
