"""`annex collect`: inbox → read → validate → decide → ledger → feedback → summary.

Never modifies the inbox; one bad file never stops the run; every file ends with a status and reasons.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from dataclasses import replace as dc_replace

from pipeline.files import DENIED, DISK_FULL, IO_REASONS, OS_FAILED, os_detail
from pipeline.intake import inbox
from pipeline.intake.docx import ReportReading
from pipeline.intake.identify import unit_of_name, unit_of_text
from pipeline.intake.isolate import Failed, run_isolated
from pipeline.intake.worker import process, process_report, worker_setup
from pipeline.issues import PROGRAM_FAULTS, Issue, issue
from pipeline.judge import narrative, validate
from pipeline.judge.decide import completeness, decide, resubmissions
from pipeline.judge.ledger import Ledger, cache_key, received_from_mtime, restore
from pipeline.models import CollectResult, Decision, Submission, submission_from_plain
from pipeline.report.narrative.figures import unit_figures
from pipeline.report.narrative.outline import load_outline
from pipeline.report.narrative.write import UNIT_FOLDER
from pipeline.report.outputs import write_outputs as write
from pipeline.runlock import RunLock
from pipeline.runlog import LOG_NAME, record
from pipeline.workspace import Workspace, WorkspaceError

READABLE = {"xlsx", "xlsm", "xls", "ods"}
LEDGER_NAME = "ledger.sqlite"
Progress = Callable[[str, int, int], None]  # (step, done, total): prepare, read, validate, outputs


def _quiet(step: str, done: int, total: int) -> None:
    pass


@dataclass
class Warm:
    """What a process that collects again and again (watch mode) keeps between runs, all by content hash, so that an
    unchanged file is neither opened again nor restored from the ledger: its type (with its extension), its reading
    as validated (under the cache key), a narrative report's reading. A file whose bytes change gets a new hash; a
    file that could not be opened or read is not remembered (the lock may pass)."""

    watching: bool = False  # someone waits for each new summary: its CSV files are written after it, not beside it
    sniffed: dict[tuple[str, str], inbox.Sniffed] = field(default_factory=dict)
    readings: dict[tuple[str, str], Submission] = field(default_factory=dict)  # (hash, cache key) -> read, validated
    reports: dict[str, tuple] = field(default_factory=dict)  # hash -> a narrative report's reading (plain), when read

    def keep(self, key: str, subs: list[Submission]) -> None:
        """Remember this run's readings as they stand after validation (the ledger caches the same, and every older
        one): what the inbox no longer holds is let go."""
        self.readings = {(s.sha256, key): s for s in subs}  # not copied: nothing changes a reading once validated

    def reading(self, key: str, stub: Submission) -> Submission | None:
        known = self.readings.get((stub.sha256, key))
        return None if known is None else _again(known, stub)


def _again(known: Submission, stub: Submission) -> Submission:
    """A reading for another run or another name of the same bytes: the stub's file, kind and received time; lists
    and dicts of its own (the annexes' data are never changed once read, and are shared)."""
    issues = list(known.issues) if known.file.rel == stub.file.rel else \
        [dc_replace(i, file=stub.file.rel) if i.file == known.file.rel else i for i in known.issues]
    return dc_replace(known, file=stub.file, kind=stub.kind, received_at=stub.received_at, meta=dict(known.meta),
                      annexes=dict(known.annexes), issues=issues)


def collect(ws: Workspace, workers: int | None = None, progress: Progress | None = None,
            write_outputs: bool = True, warm: Warm | None = None, held: bool = False) -> CollectResult:
    """One run over the inbox; refuses (runlock.Busy) while another run holds the workspace. Interrupted (Ctrl+C),
    it leaves no temporary output behind: the ledger's transaction is rolled back and outputs are whole or absent.
    `held`: the caller holds the workspace already (`holding`), to write more outputs after the run."""
    if held:
        return _collect(ws, workers, progress or _quiet, write_outputs, warm or Warm())
    with holding(ws):
        return _collect(ws, workers, progress or _quiet, write_outputs, warm or Warm())


@contextlib.contextmanager
def holding(ws: Workspace) -> Iterator[None]:
    """The workspace held for a run and the outputs written after it (the drafts, a roll-up): another run neither
    starts meanwhile nor takes their temporary files for a killed run's."""
    with RunLock(ws.root):
        _remove_stale_temporaries(ws)
        try:
            yield
        except BaseException:
            _remove_stale_temporaries(ws)
            raise


def _remove_stale_temporaries(ws: Workspace) -> None:
    """Half-written outputs of a run that was killed (ours, in the outbox only: never the inbox)."""
    for folder in (ws.outbox, ws.outbox / "feedback", ws.outbox / "rollup", ws.outbox / UNIT_FOLDER):
        if folder.is_dir():
            for tmp in [*folder.glob(".*.tmp*"), *folder.glob(".*.template.xlsx")]:
                with contextlib.suppress(OSError):
                    tmp.unlink(missing_ok=True)


def _collect(ws: Workspace, workers: int | None, progress: Progress, write_outputs: bool,
             warm: Warm) -> CollectResult:
    ledger = Ledger(ws.root / LEDGER_NAME)
    try:
        found = inbox.scan(ws.inbox)
        held: list[Issue] = []
        subs, pre, reports = _prepare(ws, ledger, found, progress, warm, held)
        fresh = _read_all(ws, subs, ledger, workers, progress, warm, held)
        progress("validate", 0, 1)
        _validate_all(ws, fresh)
        progress("validate", 1, 1)
        key = cache_key(ws)
        ledger.store(key, [s for s in fresh if not _program_fault(s)])
        warm.keep(key, [s for s in subs if not _program_fault(s)])
        decisions, counted = decide(ws, subs, pre)
        result = CollectResult(decisions, completeness(ws, decisions, counted), counted, failures=held)
        result.changes = resubmissions(decisions)
        _judge_reports(ws, reports, counted, workers, warm)
        narrative.pick_reports(reports)
        decisions += reports
        decisions.sort(key=lambda d: d.file.rel)
        result.reports = narrative.report_completeness(ws, decisions)
        ledger.record([d.ledger_entry() for d in decisions])
    finally:
        ledger.close()
    if write_outputs:
        result.outputs = write(ws, result, workers, progress, csv_last=warm.watching)
    return result


def _program_fault(sub: Submission) -> bool:
    return any(i.code in PROGRAM_FAULTS for i in sub.issues)


def _prepare(ws: Workspace, ledger: Ledger, found: list[inbox.InboxFile], progress: Progress,
             warm: Warm, held: list[Issue]) -> tuple[list[Submission], list[Decision], list[Decision]]:
    """Hash and sniff every file; the ones that can be read become submissions, narrative reports (báo cáo lời)
    decisions of their own, the rest decisions. A file that cannot be opened now (held by another program, moved
    away meanwhile) is not judged: `held` says so, and the next run reads it.
    Received: the date of a dated folder (the clerk's record), else when the ledger first saw these bytes (their
    modification time then), else the file's modification time now."""
    subs: list[Submission] = []
    pre: list[Decision] = []
    reports: list[Decision] = []
    for n, f in enumerate(found, start=1):
        progress("prepare", n, len(found))
        ext = f.path.suffix.lower()
        try:
            sha = ledger.known_hash(f.rel, f.size, f.mtime) or inbox.sha256(f.path)
            sniffed = warm.sniffed.get((sha, ext)) or inbox.sniff(f.path)
        except OSError as exc:
            held.append(issue("input_held", file=f.rel, name=f.rel, detail=os_detail(exc)))
            continue
        seen = ledger.first_seen(sha)
        received = inbox.dated(f.rel) or (seen.received_at if seen else received_from_mtime(f.mtime))
        if sniffed.kind != "broken":  # "broken" may be a passing lock (an antivirus, a backup): look again next time
            warm.sniffed[sha, ext] = sniffed
        if inbox.is_report(sniffed, f.path):
            reports.append(Decision(f, sha, sniffed.kind, received, late=received > ws.round.deadline_end,
                                    report=True))
            continue
        if sniffed.kind in READABLE:
            sub = Submission(f, sha, sniffed.kind, received)
            if sniffed.kind == "xlsm":
                sub.add("macro")
            subs.append(sub)
            continue
        decision = Decision(f, sha, sniffed.kind, received)
        if ext not in inbox.WORKBOOK_EXTS and sniffed.kind in ("other", "empty"):
            decision.status = "ignored"
            decision.issues.append(issue("ignored", file=f.rel, detail=sniffed.detail or "tệp rỗng"))
        else:  # refused unread, yet tied to its unit where its name (or a CSV's header) says which
            decision.status = "rejected"
            decision.issues.append(_refusal(f.rel, sniffed.kind, sniffed.detail, ext))
            unit = unit_of_text(f.path, ws) if sniffed.kind == "csv" else None
            unit = unit or unit_of_name(f.rel, ws)
            decision.unit = unit.code if unit else ""
            decision.late = received > ws.round.deadline_end
        pre.append(decision)
    return subs, pre, reports


def _refusal(rel: str, kind: str, detail: str, ext: str) -> Issue:
    if kind == "csv":
        return issue("csv_file", file=rel)
    if kind == "empty":
        return issue("empty_file", file=rel)
    if kind == "encrypted":
        return issue("encrypted", file=rel)
    if kind == "xlsb":
        return issue("unsupported_format", file=rel, detail="Excel nhị phân (.xlsb)")
    if kind == "broken":
        return issue("unreadable", file=rel, detail=detail)
    return issue("not_workbook", file=rel, detail=f"đuôi {ext} nhưng nội dung là {detail}")


def _read_all(ws: Workspace, subs: list[Submission], ledger: Ledger, workers: int | None,
              progress: Progress, warm: Warm, held: list[Issue]) -> list[Submission]:
    """Fill every submission: from this process's memory or the ledger's cache when its bytes were read before by
    this code under the same specs, units and round, else in a reader process. Returns the ones that still need
    validating. A file the machine would not let the reader open is taken out of `subs` and said in `held`."""
    key = cache_key(ws)
    fresh: list[int] = []
    for i, sub in enumerate(subs):
        restored = warm.reading(key, sub)
        if restored is None:
            cached = ledger.cached(sub.sha256, key)
            restored = restore(cached, sub, ws) if cached is not None else None
        if restored is None:
            fresh.append(i)
        else:
            subs[i] = restored
    tasks = [(subs[i],) for i in fresh]
    progress("read", 0, len(tasks))
    setup, setup_args = worker_setup(ws)
    for done, (n, result) in enumerate(run_isolated(process, tasks, workers=workers, setup=setup,
                                                    setup_args=setup_args), start=1):
        i = fresh[n]
        if isinstance(result, Failed) and result.reason in IO_REASONS and result.path == str(subs[i].file.path):
            held.append(issue("input_held", file=subs[i].file.rel, name=subs[i].file.rel, detail=HELD[result.reason]))
        elif isinstance(result, Failed):
            _failed(ws, subs[i], result)
        else:
            subs[i] = submission_from_plain(result, subs[i], ws)
        progress("read", done, len(tasks))
    read = [subs[i] for i in fresh]
    gone = {h.file for h in held}
    subs[:] = [s for s in subs if s.file.rel not in gone]
    return [s for s in read if s.file.rel not in gone]


HELD = {DENIED: "tệp đang bị giữ hoặc không có quyền đọc", DISK_FULL: "ổ đĩa đầy", OS_FAILED: "hệ điều hành báo lỗi"}


def _failed(ws: Workspace, sub: Submission, failed: Failed) -> None:
    """A reader that did not return: the file's fault when it crashed, hung or exhausted the parser; ours
    (logged, and said to be ours) when our own code raised."""
    if failed.reason == "internal" or failed.reason in IO_REASONS:
        record(ws.root, f"đọc tệp {sub.file.rel}", failed.detail)
        sub.add("internal_error", detail="khi đọc và kiểm tra tệp", log=LOG_NAME)
        return
    text = {"timeout": "đọc tệp quá lâu, có thể tệp bị hỏng hoặc quá lớn",
            "memory": "tệp đòi quá nhiều bộ nhớ khi đọc, có thể là tệp độc hại hoặc hỏng",
            }.get(failed.reason, f"trình đọc bị dừng đột ngột ({failed.detail}), có thể tệp bị hỏng")
    sub.add("unreadable", detail=text)


def _judge_reports(ws: Workspace, reports: list[Decision], counted: dict[str, Submission],
                   workers: int | None, warm: Warm) -> None:
    """Read every .docx report in a reader process (after the pre-checks), then identify and check each report;
    other formats (.doc, .pdf) are counted unread, and a file refused by its type is said to be refused."""
    unread = {"encrypted": ("encrypted", ""), "empty": ("empty_file", ""),
              "broken": ("unreadable", "tệp nén hỏng hoặc bị cắt cụt"),
              "other": ("unreadable", "nội dung không phải văn bản Word")}
    readings: dict[int, ReportReading | None] = {}
    for i, d in enumerate(reports):
        word = d.file.path.suffix.lower() in (".docx", ".docm")
        if d.kind in unread and (d.kind != "other" or word):
            readings[i] = ReportReading(error=unread[d.kind])
        elif d.kind != "docx":  # .doc, .odt, .pdf, .rtf: counted, not read
            readings[i] = None
        elif d.sha256 in warm.reports:
            readings[i] = ReportReading.from_plain(warm.reports[d.sha256])
    tasks = [i for i in range(len(reports)) if i not in readings]
    paths = [(str(reports[i].file.path),) for i in tasks]
    for n, result in run_isolated(process_report, paths, workers=workers) if tasks else ():
        d = reports[tasks[n]]
        if isinstance(result, Failed):
            readings[tasks[n]] = _report_failed(ws, d, result)
        else:
            readings[tasks[n]] = ReportReading.from_plain(result)
            if result[3] is None:  # read, not refused (a refusal may pass: look again next time)
                warm.reports[d.sha256] = result
    figures = _draft_figures(ws) if reports else None
    for i, d in enumerate(reports):
        narrative.judge_report(ws, d, readings[i], counted, figures)


def _draft_figures(ws: Workspace) -> narrative.FigureSource | None:
    """The figures a unit's draft holds, computed as the draft writer computes them (same outline, same
    aggregation); None when the workspace's outline cannot be used (that is said where the drafts are written)."""
    try:
        outline = load_outline(ws.root, ws.specs)
    except WorkspaceError:
        return None

    def source(ws: Workspace, sub: Submission) -> dict[str, narrative.Figure]:
        drafted = unit_figures(ws, outline, sub.unit.code, sub) if sub.unit else {}
        return {fid: narrative.Figure(f.text, None if "%" in f.text else f.number) for fid, f in drafted.items()}

    return source


def _report_failed(ws: Workspace, d: Decision, failed: Failed) -> ReportReading:
    """A report's reader that did not return: ours when our code raised (logged), else the file's."""
    if failed.reason == "internal" or failed.reason in IO_REASONS:
        record(ws.root, f"đọc tệp {d.file.rel}", failed.detail)
        d.issues.append(issue("internal_error", file=d.file.rel, detail="khi đọc báo cáo lời", log=LOG_NAME))
        return ReportReading()
    return ReportReading(error=("unreadable", "trình đọc bị dừng khi đọc tệp, có thể tệp bị hỏng hoặc độc hại"))


def _validate_all(ws: Workspace, subs: list[Submission]) -> None:
    """One lazy pandera validation per annex over every identified submission."""
    ok = {i: s for i, s in enumerate(subs) if s.extracted}
    frames: dict[str, validate.AnnexFrame] = {}
    for annex_id, spec in ws.specs.annexes.items():
        items = [(i, s.annexes[annex_id]) for i, s in ok.items() if annex_id in s.annexes]
        frames[annex_id] = validate.build_frame(spec, items)
    forms = {k: v for k, v in frames.items() if v.spec.layout == "form"}
    for af in frames.values():
        validate.validate_annex(af, ok, forms, ws.round.constants)

