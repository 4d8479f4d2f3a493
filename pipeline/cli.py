"""The `annex` command: a thin click layer over the stage functions."""

from __future__ import annotations

from pathlib import Path

import click

from . import template, workspace
from .spec import SpecError

workspace_option = click.option(
    "--workspace", "-w", "root", type=click.Path(file_okay=False, path_type=Path), default=".",
    show_default=True, help="Thư mục làm việc (có round.toml, units.xlsx, schemas/).")


def _open(root: Path) -> workspace.Workspace:
    try:
        return workspace.open_workspace(root)
    except (workspace.WorkspaceError, SpecError) as exc:
        raise click.UsageError(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="annex-pipeline")
def main() -> None:
    """Thu thập, kiểm tra và tổng hợp biểu phụ lục Excel từ các đơn vị.

    Trình tự: annex init → annex templates (gửi biểu cho đơn vị) → chép tệp nhận về vào inbox/ →
    annex collect (kiểm tra, phản hồi, tổng hợp vào outbox/).
    """


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """Tạo thư mục làm việc mới DIRECTORY với mặc định của xã Phúc Thọ."""
    try:
        workspace.init_workspace(directory)
    except workspace.WorkspaceError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"Đã tạo thư mục làm việc {directory}. Sửa round.toml và units.xlsx cho đợt của mình, "
               f"rồi chạy: annex templates --workspace {directory}")


@main.command()
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
