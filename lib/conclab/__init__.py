"""Concurrency Lab: the library every notebook of the course imports.

``import conclab as lab``. Each module holds one concern and names, in its
docstrings, the notebook that introduces it:

========== ==============================================================
env        Python build, cores, start methods (``CONCLAB_START_METHOD``)
checks     exercise verdicts
workloads  CPU-bound, GIL-releasing C, I/O-bound and sleep tasks
corpus     an offline English-like corpus and a local HTTP server for it
runner     one task list run sequentially, with threads, with processes
timeline   spans on one clock across processes; Gantt and GIL views
plots      time and speedup plots with the ideal and Amdahl's curve
widgets    interactive panels (ipywidgets core + PNG images)
processes  processes vs threads, memory and start-method measurements
ipc        pipes, queues, shared memory, managers
races      lost updates, the letter counter, the bank account
fs         a deterministic directory tree and the searches over it
sync       WaitGroup, Condition-based teaching primitives
========== ==============================================================

Importing the package starts nothing: no thread, no process, no server.
"""

from .checks import *
from .corpus import *
from .env import *
from .fs import *
from .ipc import *
from .plots import *
from .processes import *
from .races import *
from .runner import *
from .sync import *
from .timeline import *
from .widgets import *
from .workloads import *

__version__ = "0.1.0"
from .core.cluster import *  # nb13
from .core.dasktasks import *  # nb13
from .exercises.cluster import *  # nb13
from .ui.cluster import *  # nb13
from .viz.cluster import *  # nb13
