"""The boundary between the command line and everything below it: what reaches the clerk when something fails.

A settings mistake (WorkspaceError) is its sentences, exit code 2. A failure of the machine (no right to write, a
full disk, a vanished drive) is one sentence naming the path and what to do, exit code 2. Ctrl+C stops with one
line, exit code 130 (workers are stopped by their owners; outputs are written whole or not at all). Anything else
is ours: one sentence saying so, the traceback in the workspace's log, exit code 3.
"""

from __future__ import annotations

import contextlib
import sys
import traceback
import warnings
from pathlib import Path
from typing import Any

import click

from pipeline.files import damaged_database, io_problem, os_detail
from pipeline.messages import Refused, WorkspaceError, say, sentence
from pipeline.runlock import Busy
from pipeline.runlog import record

ROOT_KEY = "annex.root"
EXIT_SETTINGS, EXIT_PROGRAM_FAILED, EXIT_INTERRUPTED = 2, 3, 130


def remember_root(root: Path) -> None:
    """Where a failure of the running command is logged."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.find_root().meta[ROOT_KEY] = root


def _say(text: str) -> None:
    with contextlib.suppress(OSError):  # a console that is gone cannot be told anything
        click.echo(text, err=True)


def _to_log(ctx: click.Context) -> Any:
    """Python's warnings (a library's English: "Workbook contains no default style", "Duplicate name") go to the
    workspace's log, never to the console; before a workspace is known they are dropped."""
    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int, file: Any = None,
             line: str | None = None) -> None:
        if ROOT_KEY in ctx.meta:
            record(Path(ctx.meta[ROOT_KEY]), "cảnh báo của thư viện",
                   warnings.formatwarning(message, category, filename, lineno, line))
    return show


class Guarded(click.Group):
    """Runs a sub-command; turns every exception into the clerk's sentence and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with warnings.catch_warnings():
                warnings.showwarning = _to_log(ctx)
                return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit,
                BrokenPipeError):
            raise
        except KeyboardInterrupt:
            _say("\n" + sentence("interrupted"))
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
        except WorkspaceError as exc:
            for problem in exc.problems:
                _say(problem.text)
            raise click.exceptions.Exit(EXIT_SETTINGS) from None
        except Busy:
            _say(sentence("busy"))
            raise click.exceptions.Exit(EXIT_SETTINGS) from None
        except Refused as exc:
            record(Path(ctx.meta.get(ROOT_KEY, ".")), exc.problem.code, exc.detail or traceback.format_exc())
            _say(exc.problem.text)
            raise click.exceptions.Exit(EXIT_SETTINGS) from None
        except Exception as exc:  # noqa: BLE001 - the boundary between our bugs and the person running the command
            raise click.exceptions.Exit(_unexpected(ctx, exc)) from None


def _unexpected(ctx: click.Context, exc: Exception) -> int:
    root = Path(ctx.meta.get(ROOT_KEY, "."))
    command = f"annex {ctx.invoked_subcommand or ''}".strip()
    log = record(root, f"lệnh {command}", traceback.format_exc())
    if damaged_database(exc):
        _say(sentence("ledger_damaged", path=root))
        return EXIT_SETTINGS
    problem = io_problem(exc, str(root))
    if problem is not None:
        code, path = problem
        _say(say(code, path, detail=os_detail(exc)).text)
        return EXIT_SETTINGS
    _say(sentence("program_failed", command=command, log=log))
    return EXIT_PROGRAM_FAILED


def run_main(main: click.Group) -> None:
    """Run the command in click's standalone mode; Ctrl+C before a sub-command starts still ends in one line."""
    try:
        main.main(prog_name="annex")
    except KeyboardInterrupt:
        _say("\n" + sentence("interrupted"))
        sys.exit(EXIT_INTERRUPTED)
