"""What the console shows: a run's result a clerk can scan (errors and warnings counted and listed apart), and
progress on every step that can take more than a moment."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, TextIO

import click

from pipeline.issues import ENVIRONMENT, REPORT_STATE_VN, SEVERITY_ACTION_VN, STATE_VN, STATUS_VN, Issue, Severity
from pipeline.launcher import REPORT_CMD_NAME, REPORT_SH_NAME
from pipeline.messages import STEPS, phrase, sentence

if TYPE_CHECKING:  # the console layer stays light: `annex --help` imports no stage
    from pipeline.models import CollectResult, Decision
    from pipeline.report.rollup import RollupResult
    from pipeline.watch import Change

Echo = Callable[[str], None]


class Steps:
    """Progress of a command on stderr: one labelled bar per step (a plain line when not a console)."""

    def __init__(self, enabled: bool = True, stream: TextIO | None = None) -> None:
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.step = ""
        self.bar = None

    def __call__(self, step: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if step != self.step:
            self.finish()
            self.step = step
            if not _is_console(self.stream):  # a file or a pipe gets one line per step, no bar
                click.echo(f"{STEPS.get(step, step)}…", file=self.stream)
                return
            self.bar = click.progressbar(length=max(total, 1), label=STEPS.get(step, step), file=self.stream,
                                         show_eta=False, show_pos=total > 1)
            self.bar.render_progress()
        if self.bar is not None:
            self.bar.length = max(total, 1)
            self.bar.update(max(0, done - self.bar.pos))

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.update(max(0, self.bar.length - self.bar.pos))
            self.bar.render_finish()
            self.bar = None
        self.step = ""


def _is_console(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _issues_by_severity(d: Decision) -> dict[Severity, list[Issue]]:
    found: dict[Severity, list[Issue]] = {Severity.ERROR: [], Severity.WARNING: []}
    for i in d.issues:
        if i.severity in found and i.code not in ("internal_error",):
            found[i.severity].append(i)
    return found


def file_lines(d: Decision, replaced_by: str = "") -> list[str]:
    """One line for the file, then its errors and its warnings under their own headings; a refused file that a
    later accepted one of its unit has replaced is one line that says so (nothing is left to fix in it)."""
    if d.status == "ignored":
        said = d.issues[0].message
        return [f"{d.file.rel:<40} {'-':<9} {STATUS_VN[d.status].lower()}: {said[:1].lower()}{said[1:]}"]
    late = ", nộp muộn" if d.late else ""
    lines = [f"{d.file.rel:<40} {d.unit or '-':<9} {STATUS_VN[d.status].lower()}{late}"
             f" ({sentence('screen_counts', errors=d.errors, warnings=d.warnings)})"]
    if replaced_by:
        return [lines[0] + " — " + phrase("screen_replaced", file=replaced_by)]
    for severity, found in _issues_by_severity(d).items():
        if found:
            lines.append(f"    {SEVERITY_ACTION_VN[severity]}: {len(found)}")
            lines += [f"      - {(i.where + ': ') if i.where else ''}{i.message}" for i in found]
    return lines


def replaced_by(result: CollectResult, d: Decision) -> str:
    """The name of the later file of the same unit that counts, when `d` was refused before it; else ""."""
    sub = result.counted.get(d.unit) if d.unit and d.status == "rejected" else None
    if sub is None or sub.file.rel == d.file.rel or sub.received_at < d.received_at:
        return ""
    return PurePath(sub.file.rel).name  # the name the unit gave it, without the clerk's folders


def totals_line(result: CollectResult) -> str:
    files = [d for d in result.files if d.status != "ignored" and not d.report]
    rejected = [d for d in files if d.status in ("rejected", "unidentified") and not replaced_by(result, d)]
    warned = [d for d in files if d.warnings and not replaced_by(result, d)]
    line = sentence("screen_totals", files=len(files), rejected=len(rejected),
                    errors=sum(d.errors for d in rejected), warned=len(warned),
                    warnings=sum(d.warnings for d in warned))
    replaced = sum(1 for d in files if replaced_by(result, d))
    return line + (" " + sentence("screen_replaced_count", n=replaced) if replaced else "")


def show_result(result: CollectResult, echo: Echo) -> None:
    for d in result.files:
        for line in file_lines(d, replaced_by(result, d)):
            echo(line)
    echo("")
    echo(totals_line(result))
    _missing(result, echo)
    _reports(result, echo)
    _outputs(result, echo)
    _failures(result, echo)


def _failures(result: CollectResult, echo: Echo) -> None:
    """What the program failed to do (its own faults, then the machine's): said by every command and every run of
    watch mode, or the clerk would take the last run's outputs for this one's."""
    failed = [d for d in result.files if d.status == "failed"]
    ours = [*(i for d in failed for i in d.issues if i.code == "internal_error"),
            *(i for i in result.failures if i.code not in ENVIRONMENT)]
    machine = [i for i in result.failures if i.code in ENVIRONMENT]
    for title, items in (("screen_ours", ours), ("screen_machine", machine)):
        if items:
            echo("\n" + sentence(title))
            echo_items = [f"  - {i.file}: {i.message}" if i.file else f"  - {i.message}" for i in items]
            for line in echo_items:
                echo(line)


def show_change(result: CollectResult, change: Change, when: str, echo: Echo) -> None:
    """What a run of `collect --watch` after a change of the inbox says: the change, the files it concerns, the
    totals, what is missing and where the outputs are."""
    what = [sentence(code, n=len(files)).lower() for code, files in (
        ("watch_added", change.added), ("watch_changed", change.changed), ("watch_removed", change.removed)) if files]
    echo("")
    echo(sentence("watch_change", time=when, what=", ".join(what) or "0"))
    concerned = set(change.added) | set(change.changed)
    for d in result.files:
        if d.file.rel in concerned:
            for line in file_lines(d, replaced_by(result, d)):
                echo(line)
    if change.removed:
        echo(sentence("watch_gone", names=", ".join(change.removed)))
    echo(totals_line(result))
    _missing(result, echo)
    _outputs(result, echo)
    _failures(result, echo)


def _missing(result: CollectResult, echo: Echo) -> None:
    missing: dict[str, list[str]] = {}
    for c in result.completeness:
        if c["state"] in ("missing", "rejected"):
            state = STATE_VN[c["state"]].lower()
            missing.setdefault(f"{c['unit']} ({c['unit_name']})", []).append(f"{c['annex']}: {state}")
    if not missing:
        echo("\n" + sentence("screen_complete"))
        return
    echo("\n" + sentence("screen_missing", n=len(missing)))
    for unit, annexes in missing.items():
        echo(f"  {unit}: {', '.join(annexes)}")


def _reports(result: CollectResult, echo: Echo) -> None:
    """The narrative reports (báo cáo lời) beside the annexes: how many came, and the units still to send one."""
    if not result.reports:
        return
    received = [r for r in result.reports if r["state"] not in ("missing", "rejected")]
    mismatch = sum(r["state"] == "mismatch" for r in result.reports)
    unchecked = sum(r["state"] == "unchecked" for r in result.reports)
    echo("\n" + sentence("screen_reports", received=len(received), expected=len(result.reports), mismatch=mismatch,
                          unchecked=unchecked))
    for state in ("missing", "rejected"):
        units = [r["unit"] for r in result.reports if r["state"] == state]
        if units:
            echo(f"  {REPORT_STATE_VN[state]} ({sentence('screen_units', n=len(units)).lower()}): {', '.join(units)}")


def _outputs(result: CollectResult, echo: Echo) -> None:
    out = result.outputs
    if out.get("summary"):
        echo("\n" + sentence("screen_summary", path=out["summary"]))
    if out.get("summary_pdf"):
        echo(sentence("screen_pdf", path=out["summary_pdf"]))
    if out.get("feedback_files"):
        units = {str(p).replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0] for p in out["feedback_files"]}
        echo(sentence("screen_feedback", n=len(units), path=out["feedback_dir"]))
    if out.get("draft_files"):
        echo(sentence("screen_drafts", n=len(out["draft_files"]), path=out["drafts_dir"]))
    elif out.get("drafts_pending"):
        pending = list(out["drafts_pending"])
        units = ", ".join(pending[:10]) + (", …" if len(pending) > 10 else "")
        echo(sentence("drafts_pending", n=len(pending), units=units,
                      launcher=REPORT_CMD_NAME if sys.platform == "win32" else REPORT_SH_NAME))
    elif out.get("drafts_current"):
        echo(sentence("screen_drafts", n=len(out["drafts_current"]), path=out["drafts_dir"]))
    if out.get("drafts_new") and set(out["drafts_new"]) != {Path(p).stem for p in out.get("draft_files", [])}:
        echo(sentence("drafts_new", units=", ".join(out["drafts_new"])))
    if out.get("drafts_removed"):
        echo(sentence("drafts_removed", units=", ".join(out["drafts_removed"])))
    for note in out.get("notes", []):
        echo(str(note))


def rollup_lines(result: RollupResult) -> list[str]:
    """What was rolled up, from how many units, and whether the figures are provisional (units missing)."""
    lines = [sentence("rollup_done", units=result.units, expected=result.expected, path=result.path)]
    if result.missing:
        names = "; ".join(f"{code} ({name})" for code, name in result.missing)
        lines.append(sentence("rollup_provisional", n=len(result.missing), names=names))
    lines += [f"  {annex_id}: {sentence('rollup_rows', n=rows).lower()}" for annex_id, rows in result.annexes.items()]
    if result.note:
        lines.append(result.note)
    return lines


def report_lines(result: CollectResult, commune: Path, echo: Echo) -> None:
    """What `annex report` says: the commune's draft (provisional, with the units missing, when some are), the
    units' drafts and how to send them, the summary they agree with."""
    echo(sentence("report_commune", path=commune))
    missing = list(result.outputs.get("report_missing", []))
    if missing:
        echo(sentence("report_provisional", n=len(missing), names="; ".join(missing)))
    drafts = [Path(p).stem for p in result.outputs.get("draft_files", [])]
    if drafts:
        units = ", ".join(drafts[:10]) + (", …" if len(drafts) > 10 else "")
        echo(sentence("report_units", n=len(drafts), units=units, path=result.outputs.get("drafts_dir", "")))
    echo(sentence("screen_summary", path=result.outputs.get("summary", "")))
    _failures(result, echo)
