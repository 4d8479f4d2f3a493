"""Collect annex tables from many reporting units, check them, roll them up and draft the report."""

import signal as _signal
import sys as _sys

if "--multiprocessing-fork" in _sys.orig_argv:  # a worker process being spawned (Windows, macOS): Ctrl+C reaches every
    _signal.signal(_signal.SIGINT, _signal.SIG_IGN)  # process of the console and is its parent's to handle; from
    # here on, not in the second of imports before the worker's first line (it printed a traceback)
