"""The `annex` command: a thin click layer over the stage functions, in Vietnamese throughout.

Exit codes: 0 done; 1 `collect --strict` and files were returned or annexes are missing; 2 the command, the
workspace's settings or the machine need correcting (a mistake in round.toml or units.xlsx, a folder that cannot be
written, a full disk: the message says where and what to do); 3 this program failed (on a file, an output, or the
whole command): the message says so, the traceback is in the workspace's log file; 130 stopped with Ctrl+C (nothing
is left half-written; `collect --watch` stopped with Ctrl+C ends with 0). Every failure is one Vietnamese sentence
per problem; no traceback reaches the console.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pipeline import clickvn, console, guard
from pipeline.issues import SEVERITY_VN, Severity
from pipeline.launcher import (
    CMD_NAME,
    REPORT_CMD_NAME,
    REPORT_SH_NAME,
    SH_NAME,
    WATCH_CMD_NAME,
    WATCH_SH_NAME,
    write_launcher,
)
from pipeline.messages import WARNING, WorkspaceError, quoted, say, sentence
from pipeline.report import screen

if TYPE_CHECKING:  # the stages are imported by the commands that use them: `annex --help` stays quick
    from pipeline.workspace import Workspace

clickvn.install()  # before any click object below is built: some of click's texts are read when built

EXIT_STRICT, EXIT_SETTINGS, EXIT_PROGRAM_FAILED = 1, 2, 3
WATCH_INTERVAL = 2.0  # seconds between two looks at the inbox in `collect --watch`
WORKSPACE_HELP = ("Thư mục làm việc của đợt báo cáo (có round.toml, units.xlsx). Bỏ trống: thư mục hiện tại, nếu đó "
                  "là một đợt đang làm.")


class _Command(click.Command):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[TÙY_CHỌN]")
        super().__init__(*args, **kwargs)


class _Group(guard.Guarded):
    command_class = _Command


def _echo(text: str = "") -> None:
    click.echo(text)


def _note(text: str) -> None:
    click.echo(text, err=True)


workspace_option = click.option("--workspace", "-w", "root", metavar="THƯ_MỤC", default=None,
                                type=click.Path(file_okay=False, path_type=Path), help=WORKSPACE_HELP)


def _open(root: Path | None, command: str, receiving: bool = False) -> Workspace:
    """The workspace of a command: the one named, or the current folder when it is a round in progress."""
    from pipeline import workspace
    from pipeline.settings import state

    if root is None:
        root = Path.cwd()
        state.check_default(root, command, receiving)
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.find_root().meta[guard.ROOT_KEY] = root  # where a failure of ours is logged
    ws = workspace.open_workspace(root, receiving=receiving, command=command)
    for problem in ws.warnings:
        _note(f"{SEVERITY_VN[Severity.WARNING]} — {problem.text}")
    return ws


@click.group("annex", cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110},
             subcommand_metavar="LỆNH [THAM_SỐ]...", options_metavar="[TÙY_CHỌN]")
@click.version_option(package_name="annex-pipeline", message="%(prog)s, phiên bản %(version)s",
                      help="In phiên bản của chương trình rồi thoát.")
def main() -> None:
    """Thu thập, kiểm tra và tổng hợp biểu phụ lục Excel từ các đơn vị.

    Trình tự: annex init → annex templates (gửi biểu cho đơn vị) → chép tệp nhận về vào inbox/ →
    annex collect (kiểm tra, phản hồi, tổng hợp vào outbox/) → annex report (dự thảo báo cáo lời).
    """


@main.command(short_help="Tạo thư mục làm việc mới.")
@click.argument("directory", metavar="THƯ_MỤC", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """Tạo thư mục làm việc mới THƯ_MỤC với mặc định của xã Phúc Thọ, kèm tệp bấm đúp để tổng hợp."""
    from pipeline.workspace import init_workspace

    guard.remember_root(directory)
    init_workspace(directory, launcher=False)
    launcher = write_launcher(directory)
    windows = launcher.name == CMD_NAME
    watcher, reporter = (WATCH_CMD_NAME, REPORT_CMD_NAME) if windows else (WATCH_SH_NAME, REPORT_SH_NAME)
    for code in ("init_done", "init_edit", "init_templates", "init_collect", "init_watch", "init_report"):
        _echo(sentence(code, folder=quoted(directory), launcher=launcher.name, watcher=watcher, reporter=reporter))


@main.command(short_help="Tạo biểu mẫu Excel cho từng đơn vị.")
@workspace_option
@click.option("--unit", "units", multiple=True, metavar="MÃ", help="Chỉ tạo biểu cho mã đơn vị này (lặp lại được).")
def templates(root: Path | None, units: tuple[str, ...]) -> None:
    """Tạo biểu mẫu Excel cho từng đơn vị vào templates_xlsx/."""
    from pipeline.settings import state
    from pipeline.template import batch

    ws = _open(root, "templates")
    unknown = [u for u in units if u not in ws.unit_by_code]
    if unknown:
        raise WorkspaceError(say("unknown_unit_codes", codes=", ".join(unknown),
                                 known=", ".join(ws.unit_by_code)))
    steps = screen.Steps()
    try:
        results = batch.write_templates(ws, list(units) or None, progress=steps)
    finally:
        steps.finish()
    state.record_issued(ws.root, ws.round.round_id, [r.unit for r in results])
    for r in results:
        _echo(f"{r.unit:<10} {', '.join(r.annexes):<28} {r.path}")
        if r.path.name != f"{r.unit}.xlsx":
            _note(sentence("file_open", name=f"{r.unit}.xlsx", new=r.path.name))
    _echo(sentence("templates_done", n=len(results), folder=ws.templates))
    _echo(sentence("templates_next", inbox=ws.inbox, launcher=CMD_NAME if sys.platform == "win32" else SH_NAME))


@main.command(short_help="Chạy thử trọn một đợt trên số liệu mẫu.")
@click.argument("directory", metavar="[THƯ_MỤC]", type=click.Path(file_okay=False, path_type=Path), default="demo")
@click.option("--seed", type=clickvn.INT, default=2026, metavar="SỐ",
              help="Hạt giống số ngẫu nhiên (cùng hạt, cùng số liệu; mặc định 2026).")
def demo(directory: Path, seed: int) -> None:
    """Chạy thử trọn một đợt trên số liệu mẫu của xã Phúc Thọ (mặc định vào thư mục ./demo)."""
    from pipeline.demo.run import run_demo

    guard.remember_root(directory)
    steps = screen.Steps()
    try:
        outcome = run_demo(directory, seed, progress=steps)
    finally:
        steps.finish()
    ws, result = outcome.workspace, outcome.result
    _echo(sentence("demo_folder", folder=ws.root))
    _echo(sentence("demo_templates", n=len(ws.units), folder=ws.templates))
    _echo(sentence("demo_inbox", folder=ws.inbox) + "\n")
    screen.show_result(result, _echo)
    _echo("\n" + sentence("open_summary", path=result.outputs.get("summary")))
    _echo(sentence("demo_report", path=result.outputs.get("report")))


@main.command(short_help="Kiểm tra tệp trong inbox/, phản hồi và tổng hợp.")
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng một đối tượng JSON (UTF-8).")
@click.option("--strict", is_flag=True, help="Trả mã 1 khi có tệp bị trả lại hoặc phụ lục còn thiếu.")
@click.option("--workers", type=clickvn.IntegerRange(1, 64), default=None, metavar="SỐ",
              help="Số tiến trình đọc tệp (mặc định: số nhân CPU).")
@click.option("--open", "open_summary", is_flag=True, help="Mở bảng tổng hợp (bằng Excel) khi xong.")
@click.option("--watch", is_flag=True,
              help="Chạy liên tục: theo dõi inbox/, tự kiểm tra và tổng hợp lại mỗi khi có tệp mới, tệp được thay hoặc "
                   "tệp bị xóa (bấm Ctrl+C để dừng).")
@click.option("--interval", type=clickvn.NumberRange(0.1, 3600), default=WATCH_INTERVAL, metavar="GIÂY",
              help=f"Với --watch: bao lâu xem lại inbox/ một lần (mặc định {WATCH_INTERVAL:g} giây).")
def collect(root: Path | None, as_json: bool, strict: bool, workers: int | None, open_summary: bool, watch: bool,
            interval: float) -> None:
    """Đọc inbox/, kiểm tra từng tệp, gửi phản hồi và tổng hợp vào outbox/.

    Không bao giờ sửa, chuyển hay xóa tệp trong inbox/. Chạy lại bao nhiêu lần cũng được: tệp đã đọc
    được ghi nhớ trong ledger.sqlite, chỉ tệp mới được đọc. Với --watch, lệnh chạy cho đến khi bấm Ctrl+C
    và tổng hợp lại mỗi khi inbox/ thay đổi (thiết lập round.toml, units.xlsx được đọc một lần lúc bắt đầu).
    """
    if watch and (as_json or strict):
        raise WorkspaceError(say("watch_options"))
    ws = _open(root, "collect", receiving=True)  # (a wrong folder is said before the stages are imported)
    from pipeline.collect import collect as run

    if watch:
        _watch(ws, workers, interval, open_summary)
        return
    steps = screen.Steps(enabled=not as_json)
    try:
        result = run(ws, workers=workers, progress=steps)
    finally:
        steps.finish()
    if as_json:
        data = result.to_json()
        data["settings_warnings"] = [p.text for p in ws.warnings if p.severity == WARNING]
        console.write_json(json.dumps(data, ensure_ascii=False, indent=1))
    else:
        screen.show_result(result, _echo)
    if open_summary and result.outputs.get("summary") and not console.open_file(Path(str(result.outputs["summary"]))):
        _note(sentence("open_summary", path=result.outputs["summary"]))
    sys.exit(_collect_code(result, strict))


def _watch(ws: Workspace, workers: int | None, interval: float, open_summary: bool) -> None:
    """`collect --watch`: collect whenever the inbox has changed, until Ctrl+C (exit code 0)."""
    import datetime as dt

    from pipeline.collect import Warm, holding
    from pipeline.collect import collect as run
    from pipeline.report.drafts import add_unit_drafts
    from pipeline.watch import watch

    warm = Warm(watching=True)

    def once() -> Any:  # the summary first, then the drafts of the units whose accepted data changed
        steps = screen.Steps()
        try:
            with holding(ws):
                result = run(ws, workers=workers, progress=steps, warm=warm, held=True)
                add_unit_drafts(ws, result, workers, steps)
            return result
        finally:
            steps.finish()

    def show(result: Any, change: Any) -> None:
        if change is None:
            screen.show_result(result, _echo)
            if open_summary and result.outputs.get("summary"):
                console.open_file(Path(str(result.outputs["summary"])))
            _echo("\n" + sentence("watch_started", inbox=ws.inbox))
        else:
            screen.show_change(result, change, f"{dt.datetime.now():%H:%M:%S}", _echo)

    try:
        watch(ws, once, show, lambda: _note(sentence("watch_busy", time=f"{dt.datetime.now():%H:%M:%S}")), interval)
    except KeyboardInterrupt:
        _echo("\n" + sentence("watch_stopped"))


def _collect_code(result: Any, strict: bool) -> int:
    from pipeline.issues import ENVIRONMENT

    if any(f.status == "failed" for f in result.files) or any(i.code not in ENVIRONMENT for i in result.failures):
        return EXIT_PROGRAM_FAILED
    if result.failures:
        return EXIT_SETTINGS
    if strict and (any(f.status == "rejected" for f in result.files)
                   or any(c["state"] in ("missing", "rejected") for c in result.completeness)):
        return EXIT_STRICT
    return 0


@main.command(short_help="Lập dự thảo báo cáo lời (Word) từ số liệu đã tiếp nhận.")
@workspace_option
def report(root: Path | None) -> None:
    """Lập dự thảo báo cáo lời của xã (outbox/BaoCao_<đợt>.docx) theo đề cương baocao.toml, điền sẵn số liệu
    đã tiếp nhận, kèm các phụ lục; và dự thảo cho từng đơn vị có biểu đã được tiếp nhận (outbox/baocao/).

    Chạy kiểm tra inbox/ như lệnh collect trước, để số liệu trong dự thảo khớp với bảng tổng hợp.
    """
    ws = _open(root, "report", receiving=True)
    from pipeline.collect import collect as run
    from pipeline.collect import holding
    from pipeline.report.drafts import write_report
    from pipeline.report.narrative.outline import load_outline

    outline = load_outline(ws.root, ws.specs)  # a mistake in baocao.toml is said before anything is read
    steps = screen.Steps()
    try:
        with holding(ws):
            result = run(ws, progress=steps, held=True)
            path = write_report(ws, result, progress=steps, outline=outline)
    finally:
        steps.finish()
    for note in result.outputs.get("notes", []):
        _note(str(note))
    if path.name != f"BaoCao_{ws.round.round_id}.docx":
        _note(sentence("file_open", name=f"BaoCao_{ws.round.round_id}.docx", new=path.name))
    screen.report_lines(result, path, _echo)
    sys.exit(_collect_code(result, False))


@main.command(short_help="Lập biểu gửi cấp trên từ số liệu đã tiếp nhận.")
@workspace_option
@click.option("--parent", "parent_root", required=True, metavar="THƯ_MỤC",
              type=click.Path(file_okay=False, path_type=Path),
              help="Thư mục làm việc của cấp trên (có round.toml, units.xlsx, schemas/ của đợt cấp trên).")
@click.option("--unit", "unit_code", required=True, metavar="MÃ",
              help="Mã của đơn vị mình trong danh sách đơn vị của cấp trên.")
def rollup(root: Path | None, parent_root: Path, unit_code: str) -> None:
    """Lập biểu gửi cấp trên: số liệu đã tiếp nhận, tổng hợp, điền vào biểu mẫu của cấp trên."""
    ws = _open(root, "rollup", receiving=True)
    parent = _open(parent_root, "rollup")
    from pipeline.report.rollup import rollup as run

    steps = screen.Steps()
    try:
        result = run(ws, parent, unit_code, progress=steps)
    finally:
        steps.finish()
    for line in screen.rollup_lines(result):
        _echo(line)


def run() -> None:
    """The entry point (`annex`, `python -m pipeline`): streams made safe for Vietnamese before anything else."""
    console.setup()
    guard.run_main(main)
