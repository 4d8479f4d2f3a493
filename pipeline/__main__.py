"""`python -m pipeline`: the `annex` command (the launchers written by `annex init` run it this way)."""

import sys

try:
    from pipeline.cli import run
except KeyboardInterrupt:  # Ctrl+C while the program is still loading: nothing has started, nothing to say
    sys.exit(130)

run()
