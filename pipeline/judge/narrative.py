"""The narrative reports (báo cáo lời) units return beside their annexes: which unit each is from, whether its
figures still match the unit's accepted annexes, and each unit's report in the completeness table.

A .docx made from the unit's draft carries its figures bound to bookmarks (`workbook/draft.py`); each bound
figure's text is compared with the figure computed from the unit's accepted submission (a `FigureSource`): a
figure changed in the narrative but not in the annex, or an annex changed after the draft, is a warning naming
the paragraph and both values. A bookmark deleted in editing leaves its figure unbound: nothing is said about it.
A report sent as .doc, .odt or .pdf is counted as received, and the unit is told why it could not be checked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pipeline.intake.docx import ReportReading
from pipeline.intake.identify import unit_of_other_report, unit_of_report
from pipeline.intake.values import parse_number_text
from pipeline.issues import PROGRAM_FAULTS, REPORT_REFUSALS, issue
from pipeline.models import Decision, Submission
from pipeline.workspace import Workspace

FORMAT_NAMES = {"doc": "Word cũ (.doc)", "odt": "OpenDocument (.odt)", "pdf": "PDF", "rtf": "RTF"}
RELATIVE = 1e-9  # two figures are the same number when they differ by less than this, relatively


@dataclass(frozen=True)
class Figure:
    """A figure as the draft inserts it: its exact text ("1.266,5", "45,6 %"), its number, and what it is."""

    text: str
    value: float | None = None
    label: str = ""


# Computes, from a unit's accepted submission, every figure a draft may hold: figure id -> Figure (collect passes
# the report writer's own computation, pipeline/report/narrative/figures.py; None when the outline is unusable).
FigureSource = Callable[[Workspace, Submission], Mapping[str, Figure]]


def parse_figure(text: str) -> float | None:
    """A figure as a Vietnamese text writes it: 1.266,5 ; 45,6 % ; 1.266 ; 12,5 (None when it is not a number)."""
    t = text.replace("\u00a0", " ").replace("−", "-").strip().rstrip("%").strip()
    value, ambiguous = parse_number_text(t)
    if ambiguous:  # "1,234" in a Vietnamese text: a decimal comma
        value = float(t.replace(",", "."))
    return value


def same_figure(written: str, expected: Figure) -> bool:
    """Whether the text in the report says the expected figure (as a number when both are numbers)."""
    number = parse_figure(written)
    wanted = expected.value if expected.value is not None else parse_figure(expected.text)
    if number is None or wanted is None:
        return " ".join(written.split()).casefold() == " ".join(expected.text.split()).casefold()
    shown = parse_figure(expected.text)  # the draft's rounding (45,6 % for 45.6123): the text as printed
    return any(abs(number - w) <= RELATIVE * max(abs(number), abs(w), 1.0)
               for w in (wanted, shown) if w is not None)


def refused(d: Decision, code: str, detail: str) -> None:
    """A report the pre-checks (or the reader) refused: the unit is told why, in a report's words."""
    reason = REPORT_REFUSALS.get(code, REPORT_REFUSALS["unreadable"]).format(detail=detail)
    d.status = "rejected"
    d.issues.append(issue("report_refused", file=d.file.rel, detail=reason))


def judge_report(ws: Workspace, d: Decision, reading: ReportReading | None, counted: dict[str, Submission],
                 figures: FigureSource | None) -> None:
    """Identify one report and check its figures; `reading` is None for a format that cannot be read."""
    if any(i.code in PROGRAM_FAULTS for i in d.issues):
        d.status = "failed"
        return
    if reading is not None and reading.error:
        refused(d, *reading.error)
        unit = unit_of_other_report("", d.file.rel, ws)[0]
        d.unit = unit.code if unit else ""
        return
    if reading is None:
        unit, code, detail = unit_of_other_report("", d.file.rel, ws)
    else:
        unit, code, detail = unit_of_report(reading.properties, reading.head, d.file.rel, ws)
    if code:
        d.issues.append(issue(code, file=d.file.rel, detail=detail,
                              unit=f"{unit.name} ({unit.code})" if unit else ""))
    if unit is None:
        d.status = "ignored" if code == "report_unidentified" else "rejected"
        return
    d.unit, d.status = unit.code, "report"
    if reading is None:
        ext = d.file.path.suffix.lower().lstrip(".")
        d.issues.append(issue("report_unchecked", file=d.file.rel,
                              detail=FORMAT_NAMES.get(d.kind) or FORMAT_NAMES.get(ext) or f".{ext}"))
        return
    sub = counted.get(unit.code)
    if sub is None or figures is None:
        d.issues.append(issue("report_no_annex" if sub is None else "report_no_figures", file=d.file.rel))
        return
    d.issues += compare_figures(d.file.rel, reading, figures(ws, sub))


def compare_figures(rel: str, reading: ReportReading, expected: Mapping[str, Figure]) -> list:
    """A warning for every bound figure whose text differs from the figure computed from the accepted annex,
    then a note of how many were compared. Figures the annex does not give (another unit's) are left alone."""
    found = []
    checked = 0
    for bound in reading.figures:
        wanted = expected.get(bound.figure)
        if wanted is None:
            continue
        checked += 1
        if not same_figure(bound.text, wanted):
            found.append(issue("report_figure_changed", file=rel, paragraph=bound.paragraph, start=bound.start,
                               what=f" \"{wanted.label}\"" if wanted.label else "", value=bound.text or "(trống)",
                               expected=wanted.text))
    found.append(issue("report_checked", file=rel, detail=checked) if checked else issue("report_unbound", file=rel))
    return found


def pick_reports(decisions: list[Decision]) -> dict[str, Decision]:
    """The report that counts for each unit: its newest one received; older ones are superseded."""
    counted: dict[str, Decision] = {}
    for d in sorted((d for d in decisions if d.report and d.status == "report"),
                    key=lambda d: (d.received_at, d.file.rel)):
        old = counted.get(d.unit)
        if old is not None:
            old.status = "superseded"
            old.issues = [*old.issues, issue("superseded", file=old.file.rel, detail=d.file.rel)]
        counted[d.unit] = d
    return counted


def report_completeness(ws: Workspace, decisions: list[Decision]) -> list[dict]:
    """Every unit's narrative report: missing, rejected, or received (figures matched, mismatched or unchecked)."""
    counted = {d.unit: d for d in decisions if d.report and d.status == "report"}
    others: dict[str, Decision] = {}
    for d in sorted(decisions, key=lambda d: d.received_at):
        if d.report and d.unit and d.status in ("rejected", "failed"):
            others[d.unit] = d
    rows = []
    for unit in ws.units:
        d = counted.get(unit.code) or others.get(unit.code)
        rows.append({"unit": unit.code, "unit_name": unit.name, "khoi": unit.khoi, "state": _state(d),
                     "file": d.file.rel if d else None,
                     "received_at": d.received_at.isoformat() if d else None, "late": bool(d and d.late),
                     "mismatches": sum(i.code == "report_figure_changed" for i in d.issues) if d else 0})
    return rows


def _state(d: Decision | None) -> str:
    if d is None:
        return "missing"
    if d.status in ("rejected", "failed"):
        return d.status
    if any(i.code == "report_figure_changed" for i in d.issues):
        return "mismatch"
    if any(i.code == "report_checked" for i in d.issues):
        return "matched"
    return "unchecked"

