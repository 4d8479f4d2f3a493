"""The `annex` command: a thin click layer over the stage functions.

Exit codes: 0 done; 1 `--strict` and files were returned or annexes are missing; 2 the command or the
workspace's settings need correcting (the message says where); 3 this program failed (on a file, an output,
or the whole command): the message says so, the traceback is in the workspace's log file.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Any

import click

from pipeline import workspace
from pipeline.issues import STATE_VN, STATUS_VN
from pipeline.runlog import record
from pipeline.spec.annex import SpecError
from pipeline.template import build as template

EXIT_PROGRAM_FAILED = 3

workspace_option = click.option(
    "--workspace", "-w", "root", type=click.Path(file_okay=False, path_type=Path), default=".",
    show_default=True, help="Thư mục làm việc (có round.toml, units.xlsx, schemas/).")


def _open(root: Path) -> workspace.Workspace:
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.find_root().meta["annex.root"] = root  # where a failure of ours is logged
    try:
        return workspace.open_workspace(root)
    except (workspace.WorkspaceError, SpecError) as exc:
        raise click.UsageError(str(exc)) from None


class _Guarded(click.Group):
    """Any exception of ours becomes one Vietnamese sentence and exit code 3; the traceback goes to the log."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit):
            raise
        except Exception:  # noqa: BLE001 - the boundary between our bugs and the person running the command
            root = Path(ctx.meta.get("annex.root", "."))
            log = record(root, f"lệnh annex {ctx.invoked_subcommand or ''}", traceback.format_exc())
            click.echo(f"Chương trình gặp lỗi ngoài dự kiến khi chạy lệnh annex {ctx.invoked_subcommand or ''}. "
                       "Đây là lỗi của chương trình, không phải lỗi của các tệp hay của thiết lập. Chi tiết kỹ "
                       f"thuật đã ghi vào {log}; hãy gửi tệp đó cho người phụ trách kỹ thuật.", err=True)
            ctx.exit(EXIT_PROGRAM_FAILED)


@click.group(cls=_Guarded, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="annex-pipeline")
def main() -> None:
    """Thu thập, kiểm tra và tổng hợp biểu phụ lục Excel từ các đơn vị.

    Trình tự: annex init → annex templates (gửi biểu cho đơn vị) → chép tệp nhận về vào inbox/ →
    annex collect (kiểm tra, phản hồi, tổng hợp vào outbox/).
    """


@main.command(short_help="Tạo thư mục làm việc mới.")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """Tạo thư mục làm việc mới DIRECTORY với mặc định của xã Phúc Thọ."""
    try:
        workspace.init_workspace(directory)
    except workspace.WorkspaceError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"Đã tạo thư mục làm việc {directory}. Sửa round.toml và units.xlsx cho đợt của mình, "
               f"rồi chạy: annex templates --workspace {directory}")


@main.command(short_help="Tạo biểu mẫu Excel cho từng đơn vị.")
@workspace_option
@click.option("--unit", "units", multiple=True, help="Chỉ tạo biểu cho mã đơn vị này (lặp lại được).")
def templates(root: Path, units: tuple[str, ...]) -> None:
    """Tạo biểu mẫu Excel cho từng đơn vị vào templates_xlsx/."""
    ws = _open(root)
    unknown = [u for u in units if u not in ws.unit_by_code]
    if unknown:
        raise click.UsageError(f"Không có mã đơn vị: {', '.join(unknown)}")
    try:
        results = template.write_templates(ws, list(units) or None)
    except template.TemplateError as exc:
        raise click.ClickException(str(exc)) from None
    for r in results:
        click.echo(f"{r.unit:<10} {', '.join(r.annexes):<28} {r.path}")
    click.echo(f"Đã tạo {len(results)} biểu mẫu trong {ws.templates}.")



@main.command(short_help="Chạy thử trọn một đợt trên số liệu mẫu.")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default="demo")
@click.option("--seed", type=int, default=2026, show_default=True,
              help="Hạt giống số ngẫu nhiên (cùng hạt, cùng số liệu).")
def demo(directory: Path, seed: int) -> None:
    """Chạy thử trọn một đợt trên số liệu mẫu của xã Phúc Thọ (mặc định vào thư mục ./demo)."""
    from pipeline.demo.run import run_demo

    try:
        outcome = run_demo(directory, seed)
    except workspace.WorkspaceError as exc:
        raise click.UsageError(str(exc)) from None
    ws, result = outcome.workspace, outcome.result
    click.echo(f"Đã tạo thư mục làm việc mẫu: {ws.root}")
    click.echo(f"Biểu mẫu của {len(ws.units)} đơn vị: {ws.templates}")
    click.echo(f"Tệp các đơn vị gửi về: {ws.inbox}\n")
    _print_console(result)
    click.echo(f"\nMở bảng tổng hợp bằng Excel: {result.outputs.get('summary')}")


@main.command(short_help="Kiểm tra tệp trong inbox/, phản hồi và tổng hợp.")
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng một đối tượng JSON.")
@click.option("--strict", is_flag=True, help="Trả mã 1 khi có tệp bị trả lại hoặc phụ lục còn thiếu.")
@click.option("--workers", type=int, default=None, help="Số tiến trình đọc tệp (mặc định: số nhân CPU).")
def collect(root: Path, as_json: bool, strict: bool, workers: int | None) -> None:
    """Đọc inbox/, kiểm tra từng tệp, gửi phản hồi và tổng hợp vào outbox/.

    Không bao giờ sửa, chuyển hay xóa tệp trong inbox/. Chạy lại bao nhiêu lần cũng được: tệp đã đọc
    được ghi nhớ trong ledger.sqlite, chỉ tệp mới được đọc.
    """
    import json

    from pipeline.collect import collect as run

    ws = _open(root)
    bar = None
    if not as_json:
        bar = click.progressbar(length=1, label="Đang đọc tệp", file=sys.stderr)

    def progress(done: int, total: int) -> None:
        if bar is not None and total >= 20:
            bar.length = total
            bar.update(done - bar.pos)

    from pipeline.runlock import Busy

    try:
        result = run(ws, workers=workers, progress=progress)
    except Busy as exc:
        raise click.UsageError(str(exc)) from None
    if bar is not None and bar.pos:
        bar.render_finish()
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=1))
    else:
        _print_console(result)
    if result.failures or any(f.status == "failed" for f in result.files):
        raise SystemExit(EXIT_PROGRAM_FAILED)
    if strict and (any(f.status == "rejected" for f in result.files)
                   or any(c["state"] in ("missing", "rejected") for c in result.completeness)):
        raise SystemExit(1)


def _print_console(result) -> None:
    for d in result.files:
        if d.status == "ignored":
            click.echo(f"{d.file.rel:<40} {'-':<9} {STATUS_VN[d.status].lower()}: {d.issues[0].message}")
            continue
        late = ", nộp muộn" if d.late else ""
        click.echo(f"{d.file.rel:<40} {d.unit or '-':<9} {STATUS_VN[d.status].lower()}{late}"
                   f" ({d.errors} lỗi, {d.warnings} cảnh báo)")
        for i in d.issues:
            if i.severity.value in ("error", "warning"):
                click.echo(f"    - {i.where or ''} {i.message}")
    missing: dict[str, list[str]] = {}
    for c in result.completeness:
        if c["state"] in ("missing", "rejected"):
            state = STATE_VN[c["state"]].lower()
            missing.setdefault(f"{c['unit']} ({c['unit_name']})", []).append(f"{c['annex']}: {state}")
    if missing:
        click.echo("\nĐơn vị còn thiếu:")
        for unit, annexes in missing.items():
            click.echo(f"  {unit}: {', '.join(annexes)}")
    else:
        click.echo("\nĐã đủ tất cả phụ lục của tất cả đơn vị.")
    out = result.outputs
    if out.get("summary"):
        click.echo(f"\nBảng tổng hợp: {out['summary']}")
    if out.get("feedback_files"):
        units = {p.rsplit("/", 1)[-1].rsplit(".", 1)[0] for p in out["feedback_files"]}
        click.echo(f"Phản hồi cho đơn vị ({len(units)} đơn vị): {out['feedback_dir']}")
    if out.get("note"):
        click.echo(str(out["note"]))
    failed = [d for d in result.files if d.status == "failed"]
    if failed or result.failures:
        click.echo("\nLỗi của chương trình (không phải lỗi của đơn vị; đơn vị không cần gửi lại):")
        for item in [*(i for d in failed for i in d.issues if i.code == "internal_error"), *result.failures]:
            click.echo(f"  - {item.file}: {item.message}")


@main.command(short_help="Lập biểu gửi cấp trên từ số liệu đã tiếp nhận.")
@workspace_option
@click.option("--parent", "parent_root", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Thư mục làm việc của cấp trên (có round.toml, units.xlsx, schemas/ của đợt cấp trên).")
@click.option("--unit", "unit_code", required=True, help="Mã của đơn vị mình trong danh sách đơn vị của cấp trên.")
def rollup(root: Path, parent_root: Path, unit_code: str) -> None:
    """Lập biểu gửi cấp trên: số liệu đã tiếp nhận, tổng hợp, điền vào biểu mẫu của cấp trên."""
    from pipeline.report.rollup import rollup as run

    ws, parent = _open(root), _open(parent_root)
    try:
        result = run(ws, parent, unit_code)
    except workspace.WorkspaceError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"Đã lập biểu gửi cấp trên từ {result.units} đơn vị: {result.path}")
    for annex_id, rows in result.annexes.items():
        click.echo(f"  {annex_id}: {rows} dòng")
