"""Time the test suite beside a measure of the machine's speed taken in the same run.

    python benchmarks/suite_time.py                      # the suite without the office tests, two processes
    python benchmarks/suite_time.py -- -n 2 tests/x.py   # any pytest arguments, after --

The hosts we run on differ by up to 1.7x in plain Python speed from one hour to the next, so a suite's time alone
says little. P is the time of a fixed pure-Python loop (the best of five, before and after the suite); the suite's
time divided by P compares runs on different hosts or hours with the same number of test processes (two by
default, as on our two-core machines: each process imports and collects the whole suite). P is taken on an idle
machine, the suite keeps every core busy: the ratio is a guide, not a constant. Prints the suite's wall time, the
CPU time of all its processes, P before and after, and the ratios.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ARGS = ["-n", "2", "-m", "not office"]


def reference() -> float:
    """The best of five runs of a loop of ten million additions, in seconds (about 1 s)."""
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        total = 0
        for i in range(10_000_000):
            total += i
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str]) -> int:
    if argv and "--" not in argv:
        print("pytest's arguments go after --, e.g. python benchmarks/suite_time.py -- -n 2 tests/test_fill.py")
        return 2
    args = argv[argv.index("--") + 1:] if "--" in argv else DEFAULT_ARGS
    before = reference()
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=REPO)
    wall = time.perf_counter() - start
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    after = reference()
    cpu = used.ru_utime + used.ru_stime
    p = min(before, after)
    print(f"pytest {' '.join(args)}: exit {done.returncode}")
    print(f"wall {wall:.1f} s, CPU {cpu:.1f} s; P {before:.2f} s before, {after:.2f} s after")
    print(f"wall / P {wall / p:.0f}, CPU / P {cpu / p:.0f}")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
